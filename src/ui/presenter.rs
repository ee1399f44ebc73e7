//! The presenter view (`P`): one screen for the shared call. The verdict
//! word in block letters (legible through a compressed video stream), its
//! evidence, the failing-now count, the top failing users with cause and
//! state, the suggested step and the KPIs.
//!
//! Every word and number is the engine's, read the way the header and the
//! Users pane read it: the scope verdict, the blind reason, the users'
//! states and the suggestion are never worked out again here.

use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::header::LogTime;
use super::theme::emphasis;
use super::users::user_name;
use super::{Theme, UiState};
use crate::engine::suggest::suggest;
use crate::engine::{UserState, Verdict};
use crate::pipeline::Model;
use crate::sanitize::sanitize_str;

/// How loud the verdict is, as the header colours it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Level {
    /// Infrastructure, widespread, attack, blind: the alert style.
    Alarm,
    /// Isolated, unknown, counting: the marker style.
    Notice,
    /// None: the ok style.
    Calm,
}

/// The verdict as the header shows it: the word, its evidence, its level.
pub(super) struct VerdictView {
    pub word: String,
    pub evidence: String,
    pub level: Level,
    /// Blind: zero counts mean "cannot see".
    pub blind: bool,
}

/// The header's verdict, from the same engine values: counting the earlier
/// lines, blind, else the scope verdict.
pub(super) fn verdict_view(model: &Model) -> VerdictView {
    let counting = model.backlog_progress().is_some();
    if counting {
        return VerdictView {
            word: "COUNTING".into(),
            evidence: "no verdict until the earlier lines are counted".into(),
            level: Level::Notice,
            blind: false,
        };
    }
    if let Some(reason) = model.blind() {
        return VerdictView {
            word: "BLIND".into(),
            evidence: format!("SCOPE UNKNOWN · {}", sanitize_str(&reason)),
            level: Level::Alarm,
            blind: true,
        };
    }
    let scope = model.incident.scope();
    VerdictView {
        word: scope.verdict.as_str().to_uppercase(),
        evidence: sanitize_str(&scope.evidence),
        level: match scope.verdict {
            Verdict::Infrastructure | Verdict::Widespread | Verdict::Attack => Level::Alarm,
            Verdict::Isolated | Verdict::Unknown => Level::Notice,
            Verdict::None => Level::Calm,
        },
        blind: false,
    }
}

/// Block letters, 4 columns by 5 rows; `#` is a filled cell.
fn glyph(c: char) -> [&'static str; 5] {
    match c {
        'A' => [" ## ", "#  #", "####", "#  #", "#  #"],
        'B' => ["### ", "#  #", "### ", "#  #", "### "],
        'C' => [" ###", "#   ", "#   ", "#   ", " ###"],
        'D' => ["### ", "#  #", "#  #", "#  #", "### "],
        'E' => ["####", "#   ", "### ", "#   ", "####"],
        'F' => ["####", "#   ", "### ", "#   ", "#   "],
        'G' => [" ###", "#   ", "# ##", "#  #", " ###"],
        'H' => ["#  #", "#  #", "####", "#  #", "#  #"],
        'I' => ["###", " # ", " # ", " # ", "###"],
        'J' => ["  ##", "   #", "   #", "#  #", " ## "],
        'K' => ["#  #", "# # ", "##  ", "# # ", "#  #"],
        'L' => ["#   ", "#   ", "#   ", "#   ", "####"],
        'M' => ["#   #", "## ##", "# # #", "#   #", "#   #"],
        'N' => ["#  #", "## #", "# ##", "#  #", "#  #"],
        'O' => [" ## ", "#  #", "#  #", "#  #", " ## "],
        'P' => ["### ", "#  #", "### ", "#   ", "#   "],
        'Q' => [" ## ", "#  #", "#  #", "# ##", " ###"],
        'R' => ["### ", "#  #", "### ", "# # ", "#  #"],
        'S' => [" ###", "#   ", " ## ", "   #", "### "],
        'T' => ["###", " # ", " # ", " # ", " # "],
        'U' => ["#  #", "#  #", "#  #", "#  #", " ## "],
        'V' => ["#  #", "#  #", "#  #", " ## ", " ## "],
        'W' => ["#   #", "#   #", "# # #", "## ##", "#   #"],
        'X' => ["#  #", " ## ", " ## ", " ## ", "#  #"],
        'Y' => ["#  #", "#  #", " ## ", " #  ", " #  "],
        'Z' => ["####", "   #", " ## ", "#   ", "####"],
        _ => ["  ", "  ", "  ", "  ", "  "],
    }
}

/// The word in block letters at `scale` (each cell `scale` wide and tall),
/// one string per row; `None` when it does not fit in `width`.
pub(super) fn big_text(word: &str, scale: usize, width: usize) -> Option<Vec<String>> {
    let glyphs: Vec<_> = word.chars().map(glyph).collect();
    let cols: usize = glyphs
        .iter()
        .map(|g| g[0].len() + 1)
        .sum::<usize>()
        .saturating_sub(1);
    if cols * scale > width {
        return None;
    }
    let mut rows = Vec::with_capacity(5 * scale);
    for r in 0..5 {
        let mut row = String::new();
        for (i, g) in glyphs.iter().enumerate() {
            if i > 0 {
                row.push_str(&" ".repeat(scale));
            }
            for cell in g[r].chars() {
                let fill = if cell == '#' { '█' } else { ' ' };
                row.extend(std::iter::repeat_n(fill, scale));
            }
        }
        for _ in 0..scale {
            rows.push(row.clone());
        }
    }
    Some(rows)
}

pub(super) fn draw_presenter(
    frame: &mut Frame,
    area: Rect,
    model: &Model,
    ui: &UiState,
    theme: &Theme,
    wall: Timestamp,
) {
    let inc = &model.incident;
    let verdict = verdict_view(model);
    let word_style = match verdict.level {
        Level::Alarm => theme.alert,
        Level::Notice => theme.marker,
        Level::Calm => theme.ok,
    };
    // As large as fits in the width and a third of the height; a word too
    // long even at scale 1 is shown as text in reverse video.
    let width = usize::from(area.width.saturating_sub(2));
    let big = (1..=3)
        .rev()
        .filter(|s| 5 * s <= usize::from(area.height) / 3 || *s == 1)
        .find_map(|s| big_text(&verdict.word, s, width));
    let big_rows = big.as_ref().map_or(1, Vec::len) as u16;

    let failing = inc.failing_now();
    let totals = inc.totals();
    let suggestion = suggest(inc, &model.checklist);
    let sorted = inc.users_sorted(ui.user_sort);
    // The evidence wraps onto a second row when it is longer than the width.
    let evidence_rows = if verdict.evidence.chars().count() + verdict.word.len() + 6 > width {
        2
    } else {
        1
    };
    // The users take what the other rows leave, up to all of them; the
    // rest is blank at the bottom, so the step stays under the users.
    let fixed = 1 + big_rows + 1 + evidence_rows + 1 + 1 + 2 + 1 + 1;
    let users_rows = area
        .height
        .saturating_sub(fixed)
        .min(sorted.len().max(1) as u16 + 2);
    let [
        title,
        word,
        _,
        evidence,
        counts,
        _,
        users,
        step,
        kpis,
        _,
        footer,
    ] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(big_rows),
        Constraint::Length(1),
        Constraint::Length(evidence_rows),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(users_rows),
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);

    // The header's badge for the newest line's time: an old log's
    // "failing now" is not happening now, and the bridge must see that
    // here too.
    let mut title_spans = vec![Span::styled(" vpnwatch · presenter view ", theme.title)];
    let paused = ui.paused && !ui.is_live();
    if paused {
        title_spans.push(Span::raw(" "));
        title_spans.push(Span::styled(" ‖ PAUSED ", theme.paused));
    }
    match super::header::log_time_badge(model, wall, paused, theme) {
        Some(LogTime::NotNow(badge) | LogTime::Live(badge)) => {
            title_spans.push(Span::raw(" "));
            title_spans.push(badge);
        }
        None => {}
    }
    title_spans.push(Span::styled(
        format!(" {}", sanitize_str(&model.time_note)),
        theme.muted,
    ));
    frame.render_widget(Paragraph::new(Line::from(title_spans)), title);
    let word_lines: Vec<Line> = match &big {
        Some(rows) => rows
            .iter()
            .map(|r| Line::styled(format!(" {r}"), strip_bg(word_style)))
            .collect(),
        None => vec![Line::styled(
            format!(" {} ", verdict.word),
            emphasis(word_style),
        )],
    };
    // The word in plain letters too, for screen readers and transcripts.
    frame.render_widget(Paragraph::new(word_lines), word);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::raw(" "),
            Span::styled(format!(" {} ", verdict.word), emphasis(word_style)),
            Span::styled(format!("  {}", verdict.evidence), theme.header),
        ]))
        .wrap(ratatui::widgets::Wrap { trim: false }),
        evidence,
    );
    // Blind, zero failing is "cannot see": not in the all-clear style.
    let failing_style = if failing > 0 {
        emphasis(theme.alert)
    } else if verdict.blind {
        theme.muted
    } else {
        theme.ok
    };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::raw(" "),
            Span::styled(format!(" {failing} failing now "), failing_style),
            Span::styled(
                format!(
                    "  ✖ {} failed attempts · {} users · ✔ {} logins",
                    totals.failures,
                    inc.users_by_failures().len(),
                    totals.successes
                ),
                theme.header,
            ),
        ])),
        counts,
    );

    // The Users pane's order, so the two never disagree on who is on top.
    let mut lines = vec![Line::styled(
        format!(" {:<12} {:<28} {:>5}  CAUSE", "STATE", "TOP USERS", "FAIL"),
        theme.muted,
    )];
    let room = usize::from(users.height).saturating_sub(2);
    for (key, stats) in sorted.iter().take(room) {
        let state = inc.state_of(key, stats);
        let style = match state {
            UserState::Recovered => theme.success,
            UserState::Ok => theme.plain,
            _ => theme.failure,
        };
        let cause = stats.last_cause.map(|c| c.id()).unwrap_or("");
        lines.push(Line::styled(
            format!(
                " {:<12} {:<28} {:>5}  {cause}",
                state.label(),
                user_name(key),
                stats.failures
            ),
            style,
        ));
    }
    if sorted.is_empty() {
        lines.push(Line::styled(super::users::no_users(model), theme.muted));
    }
    frame.render_widget(Paragraph::new(lines), users);

    let step_lines = match &suggestion {
        Some(s) => {
            let text = model
                .checklist
                .items()
                .get(s.index)
                .map(|i| sanitize_str(&i.text))
                .unwrap_or_default();
            vec![
                Line::from(vec![
                    Span::raw(" "),
                    Span::styled(" ★ SUGGESTED ", emphasis(theme.alert)),
                    Span::styled(format!(" step {}: {text}", s.step), theme.title),
                ]),
                Line::styled(format!("   {}", sanitize_str(&s.evidence())), theme.marker),
            ]
        }
        None => vec![Line::styled(" no step suggested", theme.muted)],
    };
    frame.render_widget(Paragraph::new(step_lines), step);
    let narrow = area.width < super::draw::WIDE;
    frame.render_widget(
        Paragraph::new(super::kpi::kpi_line(model, theme, wall, narrow)),
        kpis,
    );
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" P", theme.key),
            Span::styled(" dashboard ", theme.muted),
            Span::styled(" t", theme.key),
            Span::styled(" theme ", theme.muted),
            Span::styled(" q", theme.key),
            Span::styled(" quit ", theme.muted),
        ])),
        footer,
    );
}

/// Block letters in the style's colour (a background would fill the gaps
/// and blur the letters on video), bold.
fn strip_bg(style: Style) -> Style {
    let fg = style.bg.or(style.fg);
    Style {
        fg,
        bg: None,
        ..style
    }
    .remove_modifier(Modifier::REVERSED)
    .add_modifier(Modifier::BOLD)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_letters_scale_and_refuse_what_does_not_fit() {
        let rows = big_text("NONE", 1, 80).unwrap();
        assert_eq!(rows.len(), 5);
        assert_eq!(rows[0], "#  #  ##  #  # ####".replace('#', "█"));
        assert_eq!(big_text("NONE", 2, 80).unwrap().len(), 10);
        // 14 letters at 4-5 columns: fits in 78 columns at scale 1 only.
        assert!(big_text("INFRASTRUCTURE", 1, 78).is_some());
        assert!(big_text("INFRASTRUCTURE", 2, 78).is_none());
    }
}
