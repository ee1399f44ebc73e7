//! The log panes: the retained lines of one family, styled by outcome.
//!
//! Only the rows on screen are sanitised, so drawing costs the same with ten
//! lines retained or a million.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::detail::{filter_title, filtered_lines};
use super::draw::{LogRows, pane_frame};
use super::header::notice_text;
use super::{Focus, LogView, Theme, UiState};
use crate::pipeline::recall::RecalledLine;
use crate::pipeline::{LineKind, LineMeta, LineStore, Model};
use crate::sanitize::{sanitize, sanitize_str};
use crate::vocab::{Family, Outcome};

fn line_style(kind: LineKind, theme: &Theme) -> (&'static str, Style) {
    match kind {
        LineKind::Event {
            outcome: Outcome::Failure,
            ..
        } => ("✖ ", theme.failure),
        LineKind::Event {
            outcome: Outcome::Success,
            ..
        } => ("✔ ", theme.success),
        LineKind::Event {
            outcome: Outcome::SessionEnd,
            ..
        } => ("○ ", theme.session_end),
        LineKind::Event {
            outcome: Outcome::Info,
            ..
        } => ("  ", theme.info),
        // A follow-on line of a failed client attempt: context, muted.
        LineKind::FollowOn { .. } => ("· ", theme.muted),
        // A copy of a line another headend source delivered: counted once.
        LineKind::Duplicate { .. } => ("= ", theme.muted),
        LineKind::Plain => ("  ", theme.plain),
        LineKind::Marker => ("", theme.marker),
        LineKind::Continuation => ("↪ ", theme.muted),
    }
}

/// Index range (of every line the store ever held) a view shows in `rows`
/// rows. Below [`LineStore::evicted`] the lines are no longer kept and come
/// from the store's recalled window.
pub(super) fn visible(store: &LineStore, view: LogView, rows: usize) -> std::ops::Range<u64> {
    let total = store.total();
    if total == 0 || rows == 0 {
        return 0..0;
    }
    let floor = store.oldest_viewable();
    // A view pinned below what can still be shown shows the oldest page.
    let bottom = match view.pinned_bottom {
        None => total - 1,
        Some(n) if n < floor => floor + rows as u64 - 1,
        Some(n) => n,
    }
    .min(total - 1);
    (bottom + 1).saturating_sub(rows as u64).max(floor)..bottom + 1
}

/// One row of a log pane, from the kept lines or the recalled window.
fn row_at<'a>(store: &'a LineStore, index: u64) -> Row<'a> {
    if let Some(i) = index.checked_sub(store.evicted()) {
        return match usize::try_from(i).ok().and_then(|i| store.get(i)) {
            Some((bytes, meta)) => Row::Line(bytes, meta),
            None => Row::Reading,
        };
    }
    match store.recalled().and_then(|r| r.get(index)) {
        Some(RecalledLine::Line(bytes, meta)) => Row::Line(bytes, *meta),
        Some(RecalledLine::Missing(why)) => Row::Missing(why),
        None => Row::Reading,
    }
}

enum Row<'a> {
    Line(&'a [u8], LineMeta),
    /// Not kept and not read back (yet): shown as a placeholder.
    Reading,
    Missing(&'a str),
}

pub(super) fn draw_log(
    frame: &mut Frame,
    area: Rect,
    model: &Model,
    family: Family,
    ui: &UiState,
    theme: &Theme,
) {
    let (store, view, focus, label) = match family {
        Family::Headend => (&model.headend, ui.headend_view, Focus::Headend, "Headend"),
        Family::Client => (&model.client, ui.client_view, Focus::Client, "Client"),
        Family::AuthServer => (&model.auth, ui.auth_view, Focus::Auth, "Auth server"),
    };
    let names: Vec<String> = model
        .sources
        .iter()
        .filter(|s| s.family == family)
        .map(|s| sanitize_str(&s.name))
        .collect();
    let mut title = vec![
        Span::styled(format!(" {label} "), theme.title),
        Span::styled(
            format!("{} · {} lines ", names.join(", "), store.total()),
            theme.muted,
        ),
    ];
    if view.pinned_bottom.is_some() {
        // Lines that arrived since the pane stopped following, not the
        // lines below the view.
        let newer = view.arrived_since(store);
        let word = if ui.paused {
            "‖ PAUSED"
        } else {
            "⇡ scrolled"
        };
        title.push(Span::styled(format!(" {word} +{newer} "), theme.paused));
    }
    if ui.line_view.raw {
        title.push(Span::styled(
            format!(" raw ({}) ", ui.keys.first("raw")),
            theme.muted,
        ));
    }
    // `f`: only the lines the engine filed under the selected user.
    let filter = ui
        .filter
        .as_ref()
        .map(|key| (key, model.incident.user(key)));
    if let Some((key, _)) = filter {
        // Right after the pane's name, so a narrow pane still shows it.
        title.insert(1, Span::styled(filter_title(key, &ui.keys), theme.marker));
    }
    super::search::title_spans(&mut title, &ui.find, focus, theme);
    let block = pane_frame(title, ui.focus == focus, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let rows = inner.height as usize;
    let pending = pending_lines(model, ui, family, rows);
    let shown = shown_rows(model, ui, family, rows - pending.len());
    let filter = filter.is_some();
    // The line cursor, in the focused pane only (reverse video, so it shows
    // without colour too).
    let cursor = (ui.focus == focus)
        .then(|| pick_cursor(&shown, view.cursor))
        .flatten();
    let mut lines: Vec<Line> = Vec::with_capacity(rows);
    let search = ui.find.search_in(focus);
    for (index, row) in shown {
        let (bytes, meta) = match row {
            Row::Line(bytes, meta) => (bytes, meta),
            Row::Reading => {
                lines.push(Line::styled(
                    "  … reading older lines from the file",
                    theme.muted,
                ));
                continue;
            }
            Row::Missing(why) => {
                lines.push(Line::styled(
                    format!("  ‹not kept: {}›", sanitize_str(why)),
                    theme.muted,
                ));
                continue;
            }
        };
        let line = log_line(bytes, meta, ui.line_view.raw, theme);
        // `/`: the current match in reverse video, the others bold and
        // underlined (legible without colour).
        lines.push(match search {
            _ if index.is_some() && index == cursor => {
                line.patch_style(Style::new().add_modifier(Modifier::REVERSED))
            }
            Some(s) if index.is_some() && index == s.at => line.style(theme.selected),
            Some(s) if s.query.matches(bytes, &meta) => {
                line.style(ratatui::style::Modifier::BOLD | ratatui::style::Modifier::UNDERLINED)
            }
            _ => line,
        });
    }
    for bytes in pending {
        lines.push(Line::from(vec![
            Span::styled("… ", theme.muted),
            Span::styled(sanitize(bytes), theme.muted),
            Span::styled(" (no newline yet)", theme.muted),
        ]));
    }
    if lines.is_empty() && filter {
        lines.push(Line::styled(
            "  no lines of this user in this pane",
            theme.muted,
        ));
    }
    if lines.is_empty() {
        let waiting = model
            .sources
            .iter()
            .filter(|s| s.family == family)
            .find_map(|s| notice_text(s.status.as_ref()))
            .unwrap_or_else(|| "no lines yet".to_string());
        lines.push(Line::styled(format!("  {waiting}"), theme.muted));
    }
    let width = usize::from(inner.width.max(1));
    let rows = LogRows {
        lines: fit_rows(lines, rows, width, ui.line_view.wrap),
        // Wrapped rows fit the pane: nothing to scroll sideways.
        sideways: if ui.line_view.wrap {
            0
        } else {
            ui.line_view.sideways
        },
    };
    frame.render_widget(rows, inner);
}

/// Unterminated last lines, shown below the others in a muted style while
/// the pane follows unfiltered; the complete line replaces them when it
/// arrives.
fn pending_lines<'a>(model: &'a Model, ui: &UiState, family: Family, rows: usize) -> Vec<&'a [u8]> {
    if ui.view(family).pinned_bottom.is_some() || ui.filter.is_some() || ui.find.filters() {
        return Vec::new();
    }
    model
        .sources
        .iter()
        .filter(|s| s.family == family)
        .filter_map(|s| s.pending.as_deref())
        .take(rows.saturating_sub(1))
        .collect()
}

/// The lines a log pane shows in `rows` rows, top to bottom, each with its
/// index in the pane's store: the user filter (`f`), the text filter and
/// "auth only" (`F`, `a`), or every line.
fn shown_rows<'a>(
    model: &'a Model,
    ui: &UiState,
    family: Family,
    rows: usize,
) -> Vec<(Option<u64>, Row<'a>)> {
    let store = model.store(family);
    let view = ui.view(family);
    match &ui.filter {
        Some(key) => match model.incident.user(key) {
            Some(stats) => filtered_lines(store, family, stats, view, rows)
                .into_iter()
                .map(|(i, bytes, meta)| (Some(i), Row::Line(bytes, meta)))
                .collect(),
            None => Vec::new(),
        },
        None if ui.find.filters() => {
            super::search::filtered_rows(store, &ui.find, view.pinned_bottom, rows)
                .into_iter()
                .map(|(i, bytes, meta)| (Some(i), Row::Line(bytes, meta)))
                .collect()
        }
        None => visible(store, view, rows)
            .map(|i| (Some(i), row_at(store, i)))
            .collect(),
    }
}

/// The row the cursor is drawn on: the cursor's line, or the nearest line
/// shown above it (a filter may hide the line itself), or the newest line
/// shown when the pane follows.
fn pick_cursor(shown: &[(Option<u64>, Row)], cursor: Option<u64>) -> Option<u64> {
    let mut indexes = shown.iter().filter_map(|(i, _)| *i);
    match cursor {
        None => indexes.next_back(),
        Some(c) => {
            let first = indexes.clone().next();
            indexes.rfind(|i| *i <= c).or(first)
        }
    }
}

/// The index of the line under the cursor of `family`'s pane, as a pane of
/// `rows` rows shows it: what Enter opens and `y` copies.
pub(super) fn cursor_index(
    model: &Model,
    ui: &UiState,
    family: Family,
    rows: usize,
) -> Option<u64> {
    let pending = pending_lines(model, ui, family, rows).len();
    let shown = shown_rows(model, ui, family, rows.saturating_sub(pending).max(1));
    pick_cursor(&shown, ui.view(family).cursor)
}

/// Where the cursor lands `steps` shown lines from line `from` in a
/// filtered pane (`f`, `F`, `a`): hidden lines are skipped, so one ↑ is
/// one row. `None` when no shown line lies that way: the cursor stays, or
/// (going down) the pane follows again.
pub(super) fn step_filtered(
    model: &Model,
    ui: &UiState,
    family: Family,
    from: u64,
    steps: isize,
) -> Option<u64> {
    let store = model.store(family);
    let floor = store.evicted();
    let last = store.total().checked_sub(1)?;
    let user = ui.filter.as_ref().map(|key| model.incident.user(key));
    let shown = |index: u64| match user {
        Some(Some(stats)) => stats
            .lines
            .iter()
            .any(|r| r.family == family && r.index == index),
        Some(None) => false,
        None => match row_at(store, index) {
            Row::Line(bytes, meta) => ui.find.shows(bytes, &meta),
            Row::Reading | Row::Missing(_) => false,
        },
    };
    let mut left = steps.unsigned_abs();
    let mut at = from;
    let mut found = None;
    // As far as a filtered pane looks back (see `filtered_rows`).
    for _ in 0..super::search::FILTER_SCAN {
        let next = if steps < 0 {
            at.checked_sub(1).filter(|i| *i >= floor)
        } else {
            Some(at + 1).filter(|i| *i <= last)
        };
        let Some(next) = next else { break };
        at = next;
        if shown(at) {
            found = Some(at);
            left -= 1;
            if left == 0 {
                break;
            }
        }
    }
    found
}

/// The index of each row of `family`'s pane of `rows` rows, top to bottom
/// (for a mouse click; `None` for a row that shows no stored line).
pub(super) fn row_indexes(
    model: &Model,
    ui: &UiState,
    family: Family,
    rows: usize,
) -> Vec<Option<u64>> {
    let pending = pending_lines(model, ui, family, rows).len();
    shown_rows(model, ui, family, rows - pending)
        .into_iter()
        .map(|(i, _)| i)
        .collect()
}

/// The bytes of the line at `index` of `family`'s pane, when kept or read
/// back (for `y`).
pub(super) fn line_bytes(model: &Model, family: Family, index: u64) -> Option<&[u8]> {
    match row_at(model.store(family), index) {
        Row::Line(bytes, _) => Some(bytes),
        Row::Reading | Row::Missing(_) => None,
    }
}

/// A log pane not shown on a small screen, in one row: its key, name,
/// lines and `✖` lines, and whether it is paused.
pub(super) fn draw_summary(
    frame: &mut Frame,
    area: Rect,
    model: &Model,
    family: Family,
    key: usize,
    ui: &UiState,
    theme: &Theme,
) {
    let store = model.store(family);
    let label = pane_label(family);
    let mut spans = vec![
        Span::styled(format!(" {key} "), theme.key),
        Span::styled(format!("{label} "), theme.title),
        Span::styled(format!("{} lines", store.total()), theme.muted),
    ];
    let failures = store.failure_lines();
    if failures > 0 {
        spans.push(Span::styled(
            format!(" · ✖ {failures} failure lines"),
            theme.failure,
        ));
    }
    let view = ui.view(family);
    if view.pinned_bottom.is_some() {
        let word = if ui.paused {
            "‖ PAUSED"
        } else {
            "⇡ scrolled"
        };
        spans.push(Span::styled(
            format!("  {word} +{}", view.arrived_since(store)),
            theme.paused,
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn pane_label(family: Family) -> &'static str {
    match family {
        Family::Headend => "Headend",
        Family::Client => "Client",
        Family::AuthServer => "Auth server",
    }
}

/// The line opened with Enter, whole: where it came from, message first
/// and raw, wrapped, over the panes (Esc closes).
pub(super) fn draw_open_line(
    frame: &mut Frame,
    area: Rect,
    model: &Model,
    (family, index): (Family, u64),
    ui: &UiState,
    theme: &Theme,
) {
    let scroll = ui.line_view.open_scroll;
    let store = model.store(family);
    let mut lines = Vec::new();
    match row_at(store, index) {
        Row::Line(bytes, meta) => {
            let name = model
                .sources
                .get(usize::from(meta.source.0))
                .map(|s| sanitize_str(&s.name))
                .unwrap_or_default();
            lines.push(Line::styled(
                format!("{name} line {}", meta.line_no),
                theme.muted,
            ));
            lines.push(Line::default());
            lines.push(log_line(bytes, meta, false, theme));
            lines.push(Line::default());
            lines.push(Line::styled("raw", theme.muted));
            lines.push(Line::styled(sanitize(bytes), theme.plain));
        }
        Row::Reading => lines.push(Line::styled(
            "… reading the line from its file",
            theme.muted,
        )),
        Row::Missing(why) => lines.push(Line::styled(
            format!("‹not kept: {}›", sanitize_str(why)),
            theme.muted,
        )),
    }
    let popup = area;
    let block = pane_frame(
        vec![
            Span::styled(format!(" {} line ", pane_label(family)), theme.title),
            Span::styled(
                format!(
                    " {} closes · {}{} scroll ",
                    ui.keys.first("back"),
                    ui.keys.first("up"),
                    ui.keys.first("down")
                ),
                theme.muted,
            ),
        ],
        true,
        theme,
    )
    .into_block()
    .style(theme.base);
    frame.render_widget(ratatui::widgets::Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        popup,
    );
}

/// The newest of `lines` that fit `rows` rows: wrapped, a line takes as
/// many rows as it needs, so fewer of them fit.
fn fit_rows(
    lines: Vec<Line<'static>>,
    rows: usize,
    width: usize,
    wrap: bool,
) -> Vec<Line<'static>> {
    if !wrap {
        return lines;
    }
    let mut out: Vec<Line<'static>> = lines
        .into_iter()
        .flat_map(|line| super::draw::wrap_line(line, width))
        .collect();
    out.drain(..out.len().saturating_sub(rows));
    out
}

/// One log line as a pane shows it: its outcome glyph and cause, then the
/// message first — time, host, message id, body, from where the parser
/// found them ([`crate::engine::lines::Compact`]) — or the raw line when
/// `raw` is set or the parser placed no body.
pub(super) fn log_line(bytes: &[u8], meta: LineMeta, raw: bool, theme: &Theme) -> Line<'static> {
    let (glyph, style) = line_style(meta.kind, theme);
    let mut spans = vec![Span::styled(glyph, style)];
    if let LineKind::Event {
        cause: Some(cause),
        outcome: Outcome::Failure,
    } = meta.kind
    {
        spans.push(Span::styled(format!("{} ", cause.id()), style));
    }
    spans.extend(message_spans(bytes, meta, raw, true, style, theme));
    Line::from(spans)
}

/// The text of a line, message first unless `raw` (see [`log_line`]);
/// `with_time: false` leaves out the time, for views that show it apart.
pub(super) fn message_spans(
    bytes: &[u8],
    meta: LineMeta,
    raw: bool,
    with_time: bool,
    style: Style,
    theme: &Theme,
) -> Vec<Span<'static>> {
    let c = meta.compact;
    let body = c.body().and_then(|at| bytes.get(at..)).filter(|_| !raw);
    let mut spans = Vec::new();
    if let Some(s) = c.time_of_day().filter(|_| with_time && !raw) {
        // A time that is not the line's own carries its mark: `~` its JSON
        // record's, `?` the time it was read.
        let clock = format!(
            "{:02}:{:02}:{:02}{} ",
            s / 3600,
            (s / 60) % 60,
            s % 60,
            c.time_from().mark()
        );
        spans.push(Span::styled(clock, theme.muted));
    }
    let (Some(at), Some(body)) = (c.body(), body) else {
        // No parts placed (a JSON record around the line): the time, then
        // the line raw.
        spans.push(Span::styled(sanitize(bytes), style));
        return spans;
    };
    let part = |r: Option<std::ops::Range<usize>>| r.and_then(|r| bytes.get(r)).map(sanitize);
    if let Some(host) = part(c.host()) {
        spans.push(Span::styled(format!("{host} "), theme.muted));
    }
    // An id inside the body (a client's return-code symbol) is read there.
    if let Some(id) = part(c.msg_id().filter(|r| r.end <= at)) {
        spans.push(Span::styled(format!("{id} "), theme.key));
    }
    spans.push(Span::styled(sanitize(body), style));
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store that was given 50 one-byte lines and keeps `retain`.
    fn store_of_50(retain: usize) -> LineStore {
        let mut store = LineStore::new(retain);
        let meta = crate::pipeline::LineMeta {
            source: crate::vocab::SourceId(0),
            line_no: 1,
            kind: LineKind::Plain,
            compact: crate::pipeline::lines::Compact::default(),
        };
        for _ in 0..50 {
            store.push(b"x", meta);
        }
        store
    }

    #[test]
    fn visible_range_follows_or_stays_pinned() {
        let store = store_of_50(100);
        assert_eq!(visible(&store, LogView::default(), 10), 40..50);
        let pinned = LogView {
            pinned_bottom: Some(19),
            since: 0,
            cursor: None,
        };
        assert_eq!(visible(&store, pinned, 10), 10..20);
        assert_eq!(visible(&store, pinned, 100), 0..20);
    }

    #[test]
    fn a_view_below_the_kept_lines_reaches_back_to_the_first() {
        let store = store_of_50(10);
        assert_eq!(store.evicted(), 40);
        let pinned = LogView {
            pinned_bottom: Some(4),
            since: 0,
            cursor: None,
        };
        assert_eq!(visible(&store, pinned, 10), 0..5);
        assert!(matches!(row_at(&store, 3), Row::Reading));
        assert!(matches!(row_at(&store, 45), Row::Line(b"x", _)));
    }
}
