//! The footer's key hints and the `?` help overlay.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};

use super::{Focus, Theme, UiState};
use crate::engine::kpi;
use crate::sanitize::sanitize_str;
use unicode_width::UnicodeWidthStr;

pub(super) fn draw_footer(frame: &mut Frame, area: Rect, ui: &UiState, theme: &Theme) {
    let hints = footer_hints(ui);
    // The status (a save error, where a bundle went) comes first: it must
    // not be cut off by hints. Then as many whole hints as fit.
    let mut spans = Vec::new();
    let mut used = 0usize;
    if let Some(status) = &ui.status {
        let text = format!(" {}  ", sanitize_str(status));
        used += text.width();
        spans.push(Span::styled(text, theme.marker));
    }
    for (key, what) in hints {
        let (key, what) = (format!(" {key}"), format!(" {what} "));
        let width = key.width() + what.width();
        if used + width > usize::from(area.width) {
            break;
        }
        used += width;
        spans.push(Span::styled(key, theme.key));
        spans.push(Span::styled(what, theme.muted));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The keys that matter where the focus is (the `?` help has them all),
/// named as bound ([`super::keys::KeyMap`]). Help and quit come early: on
/// a narrow terminal they matter most.
pub(super) fn footer_hints(ui: &UiState) -> Vec<(String, &'static str)> {
    let k = |action: &str| ui.keys.first(action);
    let slash = |a: &str, b: &str| format!("{}/{}", k(a), k(b));
    let pair = |a: &str, b: &str| key_pair(ui, a, b);
    let mut hints = Vec::new();
    if ui.line_view.open.is_some() {
        hints.extend([
            (k("back"), "close"),
            (k("help"), "help"),
            (k("quit"), "quit"),
        ]);
        return hints;
    }
    if ui.detail.is_some() {
        hints.extend([
            (k("back"), "back"),
            (pair("up", "down"), "scroll"),
            (k("help"), "help"),
            (k("quit"), "quit"),
            (k("filter"), "filter logs"),
            (k("raw"), "raw"),
            (k("evidence"), "bundle"),
        ]);
        return hints;
    }
    hints.extend([
        (format!("{} 1-5", k("focus_next")), "pane"),
        (k("help"), "help"),
        (k("quit"), "quit"),
        (k("presenter"), "present"),
    ]);
    match ui.focus {
        Focus::Headend | Focus::Client | Focus::Auth => hints.extend([
            (pair("up", "down"), "cursor"),
            (k("open"), "line"),
            (k("end"), "follow"),
            (k("pause"), "pause"),
            (k("copy_command"), "copy"),
            (k("search"), "search"),
            (k("text_filter"), "filter"),
            (k("auth_only"), "auth only"),
            (k("raw"), "raw"),
            (k("step_doing"), "wrap"),
            (pair("left", "right"), "sideways"),
        ]),
        Focus::Users => hints.extend([
            (pair("up", "down"), "select"),
            (k("open"), "user"),
            (k("filter"), "filter"),
            (k("sort"), "order"),
            (k("evidence"), "bundle"),
            (k("probe"), "probe AAA"),
        ]),
        Focus::Checklist => hints.extend([
            (pair("up", "down"), "step"),
            (k("advance_step"), "advance"),
            (slash("step_done", "step_skipped"), "done/skip"),
            (k("note"), "note"),
            (k("copy_command"), "copy"),
            (slash("mitigated", "resolved"), "mitigated/resolved"),
            (k("undo"), "undo"),
        ]),
    }
    hints
}

/// A row of the help: the actions whose keys it names (as bound, two
/// spaces between actions) or fixed text, and what they do.
enum Keys {
    Bound(&'static [&'static str]),
    Fixed(&'static str),
}

use Keys::{Bound, Fixed};

const HELP: &[(Keys, &str)] = &[
    (
        Bound(&["focus_next", "focus_prev"]),
        "move focus between panes",
    ),
    (Fixed("1 2 3 4 5"), "focus the n-th pane (Tab order)"),
    (
        Bound(&["up", "down"]),
        "move the line cursor in a log pane, or the selection",
    ),
    (Bound(&["page_up", "page_down"]), "move a page"),
    (
        Bound(&["home", "end"]),
        "oldest line (re-read from file) / newest (End follows again)",
    ),
    (
        Bound(&["pause"]),
        "pause all log panes (+N: new since); cursor up pauses one (⇡)",
    ),
    (
        Bound(&["raw"]),
        "log lines raw / message first (time host id message)",
    ),
    (
        Bound(&["step_doing"]),
        "log panes, drill-down: wrap lines; Runbook: step doing",
    ),
    (Bound(&["left", "right"]), "scroll the log panes sideways"),
    (
        Bound(&["open"]),
        "log pane: open the line under the cursor whole (Esc closes)",
    ),
    (
        Bound(&["advance_step"]),
        "advance the selected step: todo → doing → done",
    ),
    (
        Bound(&["step_doing", "step_done", "step_skipped", "step_todo"]),
        "set the step to doing / done / skipped / todo",
    ),
    (
        Bound(&["note", "copy_command"]),
        "step note (Enter saves) / copy the step's command or cursor line",
    ),
    (
        Bound(&["mitigated", "resolved"]),
        "mark the incident mitigated / resolved: y confirms, Esc cancels",
    ),
    (
        Bound(&["evidence", "report"]),
        "Users pane or drill-down: evidence bundle / postmortem report",
    ),
    (
        Bound(&["search", "note", "search_prev"]),
        "search / next match older (Runbook: a note) / newer",
    ),
    (
        Bound(&["text_filter", "auth_only"]),
        "filter by text, regex, id, cause or host / auth lines only",
    ),
    (
        Bound(&["undo", "presenter", "theme"]),
        "undo own last record (journaled) / presenter view / next theme",
    ),
    (
        Bound(&["probe"]),
        "probe the AAA servers the logs named (AAA line; journaled)",
    ),
    (
        Bound(&["open"]),
        "Users pane: open the selected user's events (Esc returns)",
    ),
    (
        Bound(&["filter"]),
        "filter the log panes to the selected user; again or Esc clears",
    ),
    (
        Bound(&["sort"]),
        "Users order: recent (failing now, last 15 min, total), total, name, last seen",
    ),
    (Bound(&["help", "back"]), "show or hide this help"),
    (Bound(&["quit"]), "quit (Ctrl-C always quits)"),
];

/// The first keys of two actions as one hint: `↑↓` as one, keys with
/// longer names apart (`Ctrl-P/Ctrl-N`, `PgUp/PgDn`).
fn key_pair(ui: &UiState, a: &str, b: &str) -> String {
    let (a, b) = (ui.keys.first(a), ui.keys.first(b));
    if a.chars().count() == 1 && b.chars().count() == 1 {
        format!("{a}{b}")
    } else {
        format!("{a}/{b}")
    }
}

/// What the help says of the screen's words and glyphs, after the keys.
const GLOSSARY: &[(&str, &str)] = &[
    ("", ""),
    (
        "INCIDENT",
        "incident age = KPI age; now: log time in a replay, else wall",
    ),
    (
        "failed attempt",
        "one failed login; its 113005 and 716039 lines count once",
    ),
    (
        "failing now",
        "failed in the last 5 min (of now), no success since",
    ),
    (
        "⊘ ? ✖ ✗ ✔ ·",
        "locked, unknown user, failing, failed (not now), recovered, ok",
    ),
    (
        "(spray) IP",
        "a password spray's attempts from IP, counted apart: SCOPE ATTACK",
    ),
    (
        "(hidden) IP",
        "user name hidden by the headend, counted per client IP",
    ),
    ("✖ ✔ ○", "failure, success, session end"),
    (
        "SCOPE",
        "infrastructure · widespread · attack · isolated · none · unknown",
    ),
    (
        "FAIL/MIN",
        "a user's failed attempts per minute, newest right (█ = 4+)",
    ),
    (
        "times",
        "shown in UTC; stamps without a zone are UTC unless --tz (header says)",
    ),
    (
        "· line",
        "a follow-on line of a failed client attempt: context, not a failure",
    ),
];

/// The help's rows: the keys as bound, then the glossary and the KPI
/// definitions (they live with the KPIs, shared with the report).
fn help_rows(keys: &super::keys::KeyMap) -> Vec<(String, &'static str)> {
    let bound = HELP.iter().map(|(k, what)| {
        let k = match k {
            Bound(actions) => actions
                .iter()
                .map(|a| keys.all(a))
                .collect::<Vec<_>>()
                .join("  "),
            Fixed(text) => text.to_string(),
        };
        (k, *what)
    });
    let words = GLOSSARY
        .iter()
        .chain(kpi::DEFINITIONS)
        .map(|(k, what)| (k.to_string(), *what));
    bound.chain(words).collect()
}

/// Draws the help; returns how it was drawn (see [`super::HelpView`]).
pub(super) fn draw_help(
    frame: &mut Frame,
    area: Rect,
    ui: &UiState,
    theme: &Theme,
) -> super::HelpView {
    let width = area.width.min(84);
    let entries = help_rows(&ui.keys);
    // Keys rebound to long names widen the key column.
    let column = entries
        .iter()
        .map(|(k, _)| k.width())
        .max()
        .unwrap_or(0)
        .clamp(15, 30)
        + 1;
    // Each description wrapped beside its key: on a narrow screen the
    // end of a line is never cut off.
    let text_width = usize::from(width.saturating_sub(2)).saturating_sub(column + 1);
    let mut lines: Vec<Line> = Vec::new();
    for (k, v) in entries {
        let pad = " ".repeat(column.saturating_sub(k.width()));
        let rows = super::draw::wrap_line(Line::from(Span::styled(v, theme.base)), text_width);
        for (i, row) in rows.into_iter().enumerate() {
            let lead = if i == 0 {
                Span::styled(format!(" {k}{pad}"), theme.key)
            } else {
                Span::raw(" ".repeat(column + 1))
            };
            let mut spans = vec![lead];
            spans.extend(row.spans);
            lines.push(Line::from(spans));
        }
    }
    let total = lines.len();
    let height = (total as u16 + 2).min(area.height);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    let shown = usize::from(height.saturating_sub(2));
    let max_scroll = total.saturating_sub(shown);
    let scroll = ui.help_scroll.min(max_scroll);
    let mut title = vec![Span::styled(" Help ", theme.title)];
    if shown < total {
        // More than the screen holds: say so, and how to see the rest.
        title.push(Span::styled(
            format!(
                "rows {}–{} of {total} · {} {} scroll ",
                scroll + 1,
                scroll + shown,
                key_pair(ui, "up", "down"),
                key_pair(ui, "page_up", "page_down"),
            ),
            theme.muted,
        ));
    }
    let visible: Vec<Line> = lines.into_iter().skip(scroll).take(shown).collect();
    frame.render_widget(Clear, popup);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Thick)
        .border_style(theme.border_focused)
        .title(Line::from(title))
        .style(theme.base);
    frame.render_widget(Paragraph::new(visible).block(block), popup);
    super::HelpView { max_scroll, shown }
}
