//! The log panes: the retained lines of one family, styled by outcome.
//!
//! Only the rows on screen are sanitised, so drawing costs the same with ten
//! lines retained or a million.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::draw::pane_block;
use super::header::notice_text;
use super::{Focus, LogView, Theme, UiState};
use crate::engine::{LineKind, LineStore, Model};
use crate::parse::{Family, Outcome};
use crate::sanitize::{sanitize, sanitize_str};

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
        LineKind::Plain => ("  ", theme.plain),
        LineKind::Marker => ("", theme.marker),
    }
}

/// Index range of the retained lines a view shows in `rows` rows.
pub(super) fn visible(store: &LineStore, view: LogView, rows: usize) -> std::ops::Range<usize> {
    if store.is_empty() || rows == 0 {
        return 0..0;
    }
    let bottom = match view.pinned_bottom {
        Some(n) => n
            .saturating_sub(store.evicted())
            .min(store.len() as u64 - 1) as usize,
        None => store.len() - 1,
    };
    (bottom + 1).saturating_sub(rows)..bottom + 1
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
    let block = pane_block(title, ui.focus == focus, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let rows = inner.height as usize;
    let mut lines: Vec<Line> = Vec::with_capacity(rows);
    for (bytes, meta) in store.range(visible(store, view, rows)) {
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

    #[test]
    fn visible_range_follows_or_stays_pinned() {
        let mut store = LineStore::new(100);
        let meta = crate::engine::LineMeta {
            source: crate::source::SourceId(0),
            line_no: 1,
            kind: LineKind::Plain,
        };
        for _ in 0..50 {
            store.push(b"x", meta);
        }
        assert_eq!(visible(&store, LogView::default(), 10), 40..50);
        let pinned = LogView {
            pinned_bottom: Some(19),
        };
        assert_eq!(visible(&store, pinned, 10), 10..20);
        assert_eq!(visible(&store, pinned, 100), 0..20);
    }
}
