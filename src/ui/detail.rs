//! The drill-down view of one user (Enter on the Users pane; Esc returns):
//! the user's numbers, causes and client IPs, then every retained line about
//! them from every source, headend and client merged in log-time order.
//!
//! Lines are found through the engine's per-user line references (store
//! indexes), never by re-parsing or scanning the stores, so opening the
//! view costs the same with ten lines retained or a million. Also home of
//! the log panes' user filter (`f`), which uses the same references.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::draw::{clock, pane_frame};
use super::users::{SPARK_FULL_SCALE, sparkline, user_name};
use super::{LogView, Theme, UiState};
use crate::engine::window::WINDOWS;
use crate::engine::{LineRef, UserKey, UserState, UserStats};
use crate::pipeline::{LineKind, LineMeta, LineStore, Model};
use crate::sanitize::sanitize_str;
use crate::vocab::{Family, Outcome};

/// Minutes of history in the drill-down's sparkline.
const SPARK_MINUTES: usize = 15;

/// The retained line a reference points to, if it has not been evicted.
fn resolve<'a>(store: &'a LineStore, r: &LineRef) -> Option<(&'a [u8], LineMeta)> {
    let i = r.index.checked_sub(store.evicted())?;
    store.get(usize::try_from(i).ok()?)
}

/// The lines of `family` that the filter on `stats`' user lets through,
/// oldest first: the last `rows` of them at or before the view's bottom.
pub(super) fn filtered_lines<'a>(
    store: &'a LineStore,
    family: Family,
    stats: &UserStats,
    view: LogView,
    rows: usize,
) -> Vec<(u64, &'a [u8], LineMeta)> {
    // In the pane's order, by index: a line can be filed under a user
    // after later ones (an attempt that a verdict named moves to the
    // named user).
    let mut refs: Vec<&LineRef> = stats
        .lines
        .iter()
        .filter(|r| r.family == family)
        .filter(|r| view.pinned_bottom.is_none_or(|b| r.index <= b))
        .collect();
    refs.sort_by_key(|r| r.index);
    let mut shown: Vec<(u64, &[u8], LineMeta)> = refs
        .into_iter()
        .rev()
        .filter_map(|r| resolve(store, r).map(|(b, m)| (r.index, b, m)))
        .take(rows)
        .collect();
    shown.reverse();
    shown
}

/// The title words for a filtered log pane.
pub(super) fn filter_title(key: &UserKey, keys: &super::keys::KeyMap) -> String {
    format!(
        " filter: {} ({} clears) ",
        user_name(key),
        keys.first("filter")
    )
}

fn outcome_glyph(meta: &LineMeta) -> &'static str {
    match meta.kind {
        LineKind::Event {
            outcome: Outcome::Failure,
            ..
        } => "✖",
        LineKind::Event {
            outcome: Outcome::Success,
            ..
        } => "✔",
        LineKind::Event {
            outcome: Outcome::SessionEnd,
            ..
        } => "○",
        // A follow-on line of a failed client attempt: context.
        LineKind::FollowOn { .. } => "·",
        LineKind::Duplicate { .. } => "=",
        _ => " ",
    }
}

pub(super) fn draw_detail(
    frame: &mut Frame,
    area: Rect,
    model: &Model,
    key: &UserKey,
    ui: &UiState,
    theme: &Theme,
) {
    let inc = &model.incident;
    let now = inc.now();
    let title = vec![
        Span::styled(format!(" User {} ", user_name(key)), theme.title),
        Span::styled(" Esc back · f filter the logs · ↑↓ scroll ", theme.muted),
    ];
    let block = pane_frame(title, true, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(stats) = inc.user(key) else {
        frame.render_widget(
            Paragraph::new("  this user is no longer known").style(theme.muted),
            inner,
        );
        return;
    };

    let state = inc.state_of(key, stats);
    let state_style = match state {
        UserState::Failing | UserState::Failed | UserState::Locked | UserState::Unknown => {
            theme.failure
        }
        UserState::Recovered => theme.success,
        UserState::Ok => theme.plain,
    };
    let windows = WINDOWS
        .iter()
        .map(|&m| stats.failures_in(now, m).to_string())
        .collect::<Vec<_>>()
        .join("/");
    let causes = if stats.causes.is_empty() {
        "-".to_string()
    } else {
        stats
            .causes
            .iter()
            .map(|(c, n)| format!("{c} {n}"))
            .collect::<Vec<_>>()
            .join(" · ")
    };
    let mut reasons = vec![
        Span::styled(" causes ", theme.muted),
        Span::styled(causes, theme.failure),
        Span::styled("   last reason ", theme.muted),
        Span::styled(
            stats
                .last_reason
                .as_deref()
                .map(sanitize_str)
                .unwrap_or_else(|| "-".into()),
            theme.plain,
        ),
    ];
    if let Some(reason) = stats.auth_reason() {
        reasons.push(Span::styled("   auth server says ", theme.muted));
        reasons.push(Span::styled(sanitize_str(reason), theme.plain));
    }
    let ips = if stats.client_ips.is_empty() {
        "-".to_string()
    } else {
        sanitize_str(&stats.client_ips.join(", "))
    };
    // With `~` / `?` when the time is a JSON record's or the read time.
    let time = |t: Option<jiff::Timestamp>| {
        t.map(|t| format!("{}{}", clock(t), inc.time_mark(Some(t))))
            .unwrap_or_else(|| "-".into())
    };
    let spark = sparkline(&stats.recent.series(now, SPARK_MINUTES), SPARK_FULL_SCALE);
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!(" {} ", state.label()), state_style),
            Span::styled(
                format!(
                    " failed attempts {} · logins {} · sessions {} up / {} down · failed in last 1/5/15 min: {windows}",
                    stats.failures, stats.successes, stats.sessions_up, stats.sessions_down
                ),
                theme.header,
            ),
        ]),
        Line::from(reasons),
        Line::from(vec![
            Span::styled(" client IPs ", theme.muted),
            Span::styled(ips, theme.plain),
            Span::styled(
                format!(
                    "   first failure {} · last failure {} · last success {}",
                    time(stats.first_failure),
                    time(stats.last_failure),
                    time(stats.last_success)
                ),
                theme.muted,
            ),
        ]),
        Line::from(vec![
            Span::styled(" failures/min, last 15 min ", theme.muted),
            Span::styled(format!("▕{spark}▏"), theme.failure),
        ]),
        Line::styled(" TIME      SRC     RESULT / CAUSE        LINE", theme.muted),
    ];

    // Headend and client lines together, in log time; lines without a time
    // keep their arrival order (the sort is stable).
    let mut refs: Vec<&LineRef> = stats.lines.iter().collect();
    refs.sort_by_key(|r| r.ts);
    let rows = (inner.height as usize).saturating_sub(lines.len());
    let head = lines.len();
    let entries: Vec<(&LineRef, &[u8], LineMeta)> = refs
        .into_iter()
        .filter_map(|r| resolve(model.store(r.family), r).map(|(b, m)| (r, b, m)))
        .collect();
    let end = entries
        .len()
        .saturating_sub(ui.detail_scroll.min(entries.len()));
    let start = end.saturating_sub(rows);
    if entries.is_empty() {
        lines.push(Line::styled(
            "  no retained lines for this user",
            theme.muted,
        ));
    }
    for (r, bytes, meta) in entries.get(start..end).unwrap_or(&[]) {
        let (glyph, style) = match meta.kind {
            LineKind::Event {
                outcome: Outcome::Failure,
                ..
            } => (outcome_glyph(meta), theme.failure),
            LineKind::Event {
                outcome: Outcome::Success,
                ..
            } => (outcome_glyph(meta), theme.success),
            LineKind::Event {
                outcome: Outcome::SessionEnd,
                ..
            } => (outcome_glyph(meta), theme.session_end),
            LineKind::FollowOn { .. } | LineKind::Duplicate { .. } => {
                (outcome_glyph(meta), theme.muted)
            }
            _ => (" ", theme.info),
        };
        // The engine's cause (token_required after a challenge), not the
        // line's own generic one.
        let cause = match meta.kind {
            LineKind::Event {
                cause,
                outcome: Outcome::Failure,
            } => r.cause.or(cause).map_or("", |c| c.id()),
            _ => "",
        };
        let src = format!("{:<7}", r.family.label());
        // The time's mark (`~` a JSON record's, `?` the read time) sits in
        // the column's second space.
        lines.push(Line::from(vec![
            Span::styled(
                format!(
                    " {}{:<1} {src} ",
                    r.ts.map(clock).unwrap_or_else(|| "--:--:--".into()),
                    meta.compact.time_from().mark()
                ),
                theme.muted,
            ),
            Span::styled(format!("{glyph} {cause:<20} "), style),
        ]));
        // Message first, like the log panes (`v` shows the raw line).
        if let Some(line) = lines.last_mut() {
            line.spans.extend(super::logs::message_spans(
                bytes,
                *meta,
                ui.line_view.raw,
                false,
                style,
                theme,
            ));
        }
    }
    if ui.line_view.wrap {
        // `w`: the newest of the shown lines wrapped, as many as fit.
        let width = usize::from(inner.width);
        let entries = lines.split_off(head.min(lines.len()));
        let mut wrapped: Vec<Line> = entries
            .into_iter()
            .flat_map(|l| super::draw::wrap_line(l, width))
            .collect();
        wrapped.drain(..wrapped.len().saturating_sub(rows));
        lines.extend(wrapped);
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
