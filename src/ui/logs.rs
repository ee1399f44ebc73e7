//! The log panes: the retained lines of one family, styled by outcome.
//!
//! Only the rows on screen are sanitised, so drawing costs the same with ten
//! lines retained or a million.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::detail::{filter_title, filtered_lines};
use super::draw::pane_block;
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
    if let Some(pinned) = view.pinned_bottom {
        let newer = store.total().saturating_sub(pinned + 1);
        title.push(Span::styled(format!(" ‖ PAUSED +{newer} "), theme.paused));
    }
    // `f`: only the lines the engine filed under the selected user.
    let filter = ui
        .filter
        .as_ref()
        .map(|key| (key, model.incident.user(key)));
    if let Some((key, _)) = filter {
        // Right after the pane's name, so a narrow pane still shows it.
        title.insert(1, Span::styled(filter_title(key), theme.marker));
    }
    let block = pane_block(title, ui.focus == focus, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let rows = inner.height as usize;
    // Unterminated last lines, shown below the others in a muted style while
    // the pane follows; the complete line replaces them when it arrives.
    let pending: Vec<&[u8]> = if view.pinned_bottom.is_none() {
        model
            .sources
            .iter()
            .filter(|s| s.family == family)
            .filter_map(|s| s.pending.as_deref())
            .take(rows.saturating_sub(1))
            .collect()
    } else {
        Vec::new()
    };
    let mut lines: Vec<Line> = Vec::with_capacity(rows);
    let shown: Vec<Row> = match filter {
        Some((_, Some(stats))) => filtered_lines(store, family, stats, view, rows)
            .into_iter()
            .map(|(bytes, meta)| Row::Line(bytes, meta))
            .collect(),
        Some((_, None)) => Vec::new(),
        None => visible(store, view, rows - pending.len())
            .map(|i| row_at(store, i))
            .collect(),
    };
    let pending = if filter.is_some() {
        Vec::new()
    } else {
        pending
    };
    for row in shown {
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
        let (glyph, style) = line_style(meta.kind, theme);
        let mut spans = vec![Span::styled(glyph, style)];
        if let LineKind::Event {
            cause: Some(cause),
            outcome: Outcome::Failure,
        } = meta.kind
        {
            spans.push(Span::styled(format!("{} ", cause.id()), style));
        }
        spans.push(Span::styled(sanitize(bytes), style));
        lines.push(Line::from(spans));
    }
    for bytes in pending {
        lines.push(Line::from(vec![
            Span::styled("… ", theme.muted),
            Span::styled(sanitize(bytes), theme.muted),
            Span::styled(" (no newline yet)", theme.muted),
        ]));
    }
    if lines.is_empty() && filter.is_some() {
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
    frame.render_widget(Paragraph::new(lines), inner);
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
        };
        assert_eq!(visible(&store, pinned, 10), 0..5);
        assert!(matches!(row_at(&store, 3), Row::Reading));
        assert!(matches!(row_at(&store, 45), Row::Line(b"x", _)));
    }
}
