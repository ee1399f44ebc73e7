//! Drawing the dashboard: header, log panes, users, checklist, footer, help.
//!
//! Every piece of log-derived text goes through [`crate::sanitize`] before it
//! becomes a `Span`; only the rows on screen are sanitised, so drawing costs
//! the same with ten lines retained or a million.

use std::borrow::Cow;

use jiff::{SignedDuration, Timestamp};
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph, Widget};

use super::checklist::draw_checklist;
use super::detail::draw_detail;
use super::header::draw_header;
use super::help::{draw_footer, draw_help};
use super::logs::draw_log;
use super::users::draw_users;
use super::{Focus, Theme, UiState};
use crate::pipeline::Model;
use crate::vocab::Family;

/// Below this the dashboard asks for a bigger terminal instead of drawing
/// something unreadable.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

/// From this width the logs and the incident panes sit side by side.
pub(super) const WIDE: u16 = 110;

/// Below this height the dashboard is compact: the focused pane takes the
/// room, and each log pane not shown gets a one-row summary (README,
/// "Small screens").
pub const COMPACT_BELOW: u16 = 32;

/// What the caller needs to know about the frame just drawn.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FrameInfo {
    /// Rows of content in the focused pane (the page size for PgUp/PgDn).
    pub page_rows: usize,
    /// Where each pane was drawn, for the mouse.
    pub panes: Vec<(Focus, Rect)>,
    /// Screen row of the first row of each runbook step drawn: (y, step).
    pub step_rows: Vec<(u16, usize)>,
    /// How the help was drawn, when it is shown (hand it to
    /// [`UiState::help_drawn`]).
    pub help: Option<super::HelpView>,
}

/// Draws the whole dashboard. `wall` is the current wall-clock time, for the
/// journal's clock (KPIs, "updated … ago"); the incident's own clock is set
/// on the model before drawing ([`Model::set_wall_clock`]).
pub fn draw(
    frame: &mut Frame,
    model: &Model,
    ui: &UiState,
    theme: &Theme,
    wall: Timestamp,
) -> FrameInfo {
    let area = frame.area();
    fill_style(frame.buffer_mut(), area, theme.base);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        // Short words, wrapped: the message fits the screens it is shown on.
        let msg = format!(
            "vpnwatch needs {MIN_WIDTH}x{MIN_HEIGHT}; this is {}x{}. q quits.",
            area.width, area.height
        );
        frame.render_widget(
            Paragraph::new(msg)
                .style(theme.alert)
                .wrap(ratatui::widgets::Wrap { trim: true }),
            area,
        );
        return FrameInfo::default();
    }

    if ui.presenter {
        super::presenter::draw_presenter(frame, area, model, ui, theme, wall);
        return FrameInfo {
            help: help_over(frame, area, ui, theme),
            ..FrameInfo::default()
        };
    }

    let [header, body, footer] = Layout::vertical([
        Constraint::Length(4),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(frame, header, model, ui, theme, wall);
    if ui.note_editor.is_some() {
        super::editor::draw_note_editor(frame, footer, model, ui, theme);
    } else if ui.find.input.is_some() {
        super::search::draw_input(frame, footer, ui, theme);
    } else {
        draw_footer(frame, footer, ui, theme);
    }

    // The drill-down takes the whole body; Esc brings the panes back.
    if let Some(key) = &ui.detail {
        draw_detail(frame, body, model, key, ui, theme);
        return FrameInfo {
            page_rows: body.height.saturating_sub(7) as usize,
            help: help_over(frame, area, ui, theme),
            ..FrameInfo::default()
        };
    }

    let info = if area.height < COMPACT_BELOW {
        draw_compact(frame, body, model, ui, theme)
    } else {
        draw_full(frame, body, model, ui, theme, area.width)
    };
    if let Some((family, index)) = ui.line_view.open {
        super::logs::draw_open_line(frame, body, model, (family, index), ui, theme);
    }
    FrameInfo {
        help: help_over(frame, area, ui, theme),
        ..info
    }
}

/// The help over the screen, when it is open, and how it was drawn.
fn help_over(
    frame: &mut Frame,
    area: Rect,
    ui: &UiState,
    theme: &Theme,
) -> Option<super::HelpView> {
    ui.show_help.then(|| draw_help(frame, area, ui, theme))
}

/// The log panes of the open sources: family, focus, share of the height.
fn log_panes(model: &Model) -> Vec<(Family, Focus, u16)> {
    // The headend pane is always there (it is the main log); client and
    // auth-server panes appear when such a source is open.
    [
        (Family::Headend, Focus::Headend, 60),
        (Family::Client, Focus::Client, 40),
        (Family::AuthServer, Focus::Auth, 40),
    ]
    .into_iter()
    .filter(|(family, _, _)| *family == Family::Headend || model.has_family(*family))
    .collect()
}

/// Every pane at once, for a screen of [`COMPACT_BELOW`] rows or more.
fn draw_full(
    frame: &mut Frame,
    body: Rect,
    model: &Model,
    ui: &UiState,
    theme: &Theme,
    width: u16,
) -> FrameInfo {
    let mut info = FrameInfo::default();
    let (logs, users, steps) = if width >= WIDE {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(body);
        let [users, steps] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(right);
        (left, users, steps)
    } else {
        let [top, bottom] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body);
        let [users, steps] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(bottom);
        (top, users, steps)
    };

    let mut note_rows = |focus: Focus, area: Rect| {
        if ui.focus == focus {
            info.page_rows = area.height.saturating_sub(2) as usize;
        }
        info.panes.push((focus, area));
    };
    let families = log_panes(model);
    let weights: u16 = families.iter().map(|(_, _, w)| w).sum();
    let constraints = families
        .iter()
        .map(|(_, _, w)| Constraint::Ratio(u32::from(*w), u32::from(weights)));
    let areas = Layout::vertical(constraints).split(logs);
    for ((family, focus, _), pane) in families.iter().zip(areas.iter()) {
        draw_log(frame, *pane, model, *family, ui, theme);
        note_rows(*focus, *pane);
    }
    draw_users(frame, users, model, ui, theme);
    let step_rows = draw_checklist(frame, steps, model, ui, theme);
    note_rows(Focus::Users, users);
    note_rows(Focus::Checklist, steps);
    info.step_rows = step_rows;

    info
}

/// A small screen: the focused pane takes the room. With a log pane
/// focused, it is shown full height above Users and Runbook, and every
/// other log pane is a one-row summary; with Users or Runbook focused,
/// every log pane is a summary row and the focused pane takes the rest.
fn draw_compact(
    frame: &mut Frame,
    body: Rect,
    model: &Model,
    ui: &UiState,
    theme: &Theme,
) -> FrameInfo {
    let panes = log_panes(model);
    let shown = panes.iter().find(|(_, f, _)| *f == ui.focus).copied();
    let summaries: Vec<(usize, Family)> = panes
        .iter()
        .enumerate()
        .filter(|(_, (_, f, _))| *f != ui.focus)
        .map(|(i, (family, _, _))| (i + 1, *family))
        .collect();
    let [rows, rest] = Layout::vertical([
        Constraint::Length(summaries.len() as u16),
        Constraint::Min(0),
    ])
    .areas(body);
    for ((n, family), row) in summaries.iter().zip(rows.rows()) {
        super::logs::draw_summary(frame, row, model, *family, *n, ui, theme);
    }
    let mut info = FrameInfo::default();
    if let Some((family, _, _)) = shown {
        // The incident panes keep a glance: a third of the rest, at least
        // a few rows, never more than leaves the log pane 8 rows of lines
        // (that bound wins where the two meet: on a short screen with two
        // summary rows the rest may leave no room for both).
        let most = rest.height.saturating_sub(10).max(3);
        let glance = (rest.height / 3).max(5).min(most);
        let [log, bottom] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(glance)]).areas(rest);
        let [users, steps] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(bottom);
        draw_log(frame, log, model, family, ui, theme);
        draw_users(frame, users, model, ui, theme);
        draw_checklist(frame, steps, model, ui, theme);
        info.page_rows = log.height.saturating_sub(2) as usize;
    } else {
        // Users or Runbook focused: it takes the room, the other a glance.
        let glance = (rest.height / 3).clamp(3, 6);
        let [first, second] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(glance)]).areas(rest);
        let (users, steps) = if ui.focus == Focus::Checklist {
            (second, first)
        } else {
            (first, second)
        };
        draw_users(frame, users, model, ui, theme);
        draw_checklist(frame, steps, model, ui, theme);
        info.page_rows = first.height.saturating_sub(2) as usize;
    }
    info
}

pub(super) fn hms(d: SignedDuration) -> String {
    let s = d.as_secs().max(0);
    format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

pub(super) fn clock(ts: Timestamp) -> String {
    ts.strftime("%H:%M:%S").to_string()
}

/// A pane's frame: a thick border when the pane has the focus, a plain one
/// otherwise, and its title on the top border.
pub(super) fn pane_frame<'a>(title: Vec<Span<'a>>, focused: bool, theme: &Theme) -> Pane<'a> {
    let (border, kind) = if focused {
        (theme.border_focused, BorderType::Thick)
    } else {
        (theme.border, BorderType::Plain)
    };
    Pane {
        title: Line::from(title),
        border,
        symbols: kind.to_border_set(),
    }
}

/// What a `Block` with all borders, a border style and a left-aligned top
/// title draws, cell for cell (a proptest holds the two equal), without
/// the pass a `Block` makes over every cell of its area to apply a style
/// of its own. Panes have none, so that pass changes nothing, yet it was
/// an eighth of a frame with an event before every frame at 200x60.
pub(super) struct Pane<'a> {
    title: Line<'a>,
    border: Style,
    symbols: ratatui::symbols::border::Set<'a>,
}

impl<'a> Pane<'a> {
    /// The area inside the border.
    pub(super) fn inner(&self, area: Rect) -> Rect {
        Block::bordered().inner(area)
    }

    /// The same pane as a `Block`, for a widget that draws its own block
    /// (a popup's paragraph): what [`Pane`]'s own drawing must equal.
    pub(super) fn into_block(self) -> Block<'a> {
        Block::bordered()
            .border_set(self.symbols)
            .border_style(self.border)
            .title(self.title)
    }
}

impl Widget for Pane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        if area.is_empty() {
            return;
        }
        let (left, top) = (area.left(), area.top());
        let right = area.right().saturating_sub(1);
        let bottom = area.bottom().saturating_sub(1);
        let s = &self.symbols;
        // The sides in a `Block`'s order, then the corners over them: in a
        // pane one cell wide or tall the last one drawn is what shows.
        for y in top..=bottom {
            buf[(left, y)].set_symbol(s.vertical_left);
        }
        for x in left..=right {
            buf[(x, top)].set_symbol(s.horizontal_top);
        }
        for y in top..=bottom {
            buf[(right, y)].set_symbol(s.vertical_right);
        }
        for x in left..=right {
            buf[(x, bottom)].set_symbol(s.horizontal_bottom);
        }
        buf[(right, bottom)].set_symbol(s.bottom_right);
        buf[(right, top)].set_symbol(s.top_right);
        buf[(left, bottom)].set_symbol(s.bottom_left);
        buf[(left, top)].set_symbol(s.top_left);
        for x in left..=right {
            buf[(x, top)].set_style(self.border);
            buf[(x, bottom)].set_style(self.border);
        }
        for y in top..=bottom {
            buf[(left, y)].set_style(self.border);
            buf[(right, y)].set_style(self.border);
        }
        let room = area.width.saturating_sub(2);
        let width = u16::try_from(self.title.width()).unwrap_or(u16::MAX);
        let title = Rect::new(left.saturating_add(1), top, width.min(room), 1);
        self.title.render(title, buf);
    }
}

/// Sets `style` on every cell of `area`, as a `Block` with that style and
/// nothing else would, a row at a time rather than a cell at a time.
pub(super) fn fill_style(buf: &mut Buffer, area: Rect, style: Style) {
    let area = area.intersection(buf.area);
    if area.is_empty() {
        // Its left edge may lie past the buffer's: no row to index.
        return;
    }
    for y in area.top()..area.bottom() {
        let start = buf.index_of(area.left(), y);
        let end = start + usize::from(area.width);
        for cell in buf.content.get_mut(start..end).into_iter().flatten() {
            cell.set_style(style);
        }
    }
}

/// `line` cut into rows of at most `width` columns at spaces (a word wider
/// than a row is cut), styles kept, so the rows can be counted and
/// scrolled exactly (a `Paragraph`'s own wrap cannot be).
pub(super) fn wrap_line(line: Line<'static>, width: usize) -> Vec<Line<'static>> {
    use unicode_width::UnicodeWidthStr;
    let width = width.max(1);
    let mut rows: Vec<Line<'static>> = Vec::new();
    let mut row: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    let push_row = |row: &mut Vec<Span<'static>>, rows: &mut Vec<Line<'static>>| {
        rows.push(Line::from(std::mem::take(row)).style(line.style));
    };
    for span in &line.spans {
        // Words with the spaces after them.
        for word in span.content.split_inclusive(' ') {
            let mut word = word.to_string();
            loop {
                let w = word.width();
                if used + w <= width || (used == 0 && w <= width) {
                    used += w;
                    row.push(Span::styled(word, span.style));
                    break;
                }
                if used > 0 && w <= width {
                    push_row(&mut row, &mut rows);
                    used = 0;
                    continue;
                }
                // Wider than what is left of the row: cut it.
                let room = width - used;
                let mut cut = 0;
                let mut cols = 0;
                for (i, ch) in word.char_indices() {
                    let cw = unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
                    if cols + cw > room {
                        break;
                    }
                    cols += cw;
                    cut = i + ch.len_utf8();
                }
                if cut == 0 && used == 0 {
                    // Not even one character fits an empty row.
                    cut = word.chars().next().map_or(word.len(), char::len_utf8);
                }
                let rest = word.split_off(cut);
                if !word.is_empty() {
                    row.push(Span::styled(word, span.style));
                }
                push_row(&mut row, &mut rows);
                used = 0;
                word = rest;
                if word.is_empty() {
                    break;
                }
            }
        }
    }
    if !row.is_empty() || rows.is_empty() {
        push_row(&mut row, &mut rows);
    }
    rows
}

/// First row to show so that `selected` is on screen.
pub(super) fn scroll_offset(selected: usize, rows: usize) -> usize {
    if rows == 0 {
        selected
    } else {
        (selected + 1).saturating_sub(rows)
    }
}

/// Log rows, one [`Line`] a row from the top, not wrapped, `sideways`
/// columns scrolled off the left: what a [`Paragraph`] scrolled by
/// `(0, sideways)` draws, cell for cell (a proptest holds them equal).
/// Unscrolled, a span of printable ASCII and the panes' glyphs (nearly all
/// of a sanitised log line, see [`one_cell_each`]) is written a character a
/// cell instead of through Unicode segmentation and width tables, which
/// were a fifth of a busy 200x60 frame; other spans are cut as the
/// paragraph cuts them, grapheme by grapheme.
pub(super) struct LogRows {
    pub lines: Vec<Line<'static>>,
    pub sideways: u16,
}

impl Widget for LogRows {
    fn render(self, area: Rect, buf: &mut ratatui::buffer::Buffer) {
        use ratatui::buffer::CellWidth;
        use ratatui::text::StyledGrapheme;
        let area = area.intersection(buf.area);
        if self.sideways > 0 {
            Paragraph::new(self.lines)
                .scroll((0, self.sideways))
                .render(area, buf);
            return;
        }
        let right = u32::from(area.right());
        for (line, y) in self.lines.iter().zip(area.top()..area.bottom()) {
            let mut x = area.left();
            'spans: for span in &line.spans {
                if one_cell_each(&span.content) {
                    let style = line.style.patch(span.style);
                    match put_cells(buf, &span.content, (x, y), area.right(), style) {
                        Some(end) => x = end,
                        None => break 'spans,
                    }
                    continue;
                }
                for StyledGrapheme { symbol, style } in span.styled_graphemes(line.style) {
                    let width = symbol.cell_width();
                    // As the paragraph: a symbol wider than the row is
                    // skipped, one that does not fit ends the row, and one
                    // of no width takes no cell.
                    if width > area.width {
                        continue;
                    }
                    if u32::from(x) + u32::from(width) > right {
                        break 'spans;
                    }
                    if width == 0 {
                        continue;
                    }
                    buf[(x, y)].set_symbol(symbol).set_style(style);
                    x += width;
                }
            }
        }
    }
}

/// The characters besides printable ASCII that the panes draw most: the
/// users' state glyphs and the sparklines' blocks. Each is one cell wide
/// and a grapheme of its own beside ASCII and the others (a test checks
/// both for every one); a mark that would join one (a combining accent, a
/// variation selector) is not on the list, so a text holding it is not
/// taken for one cell a character (see [`one_cell_each`]).
const ONE_CELL: [char; 13] = [
    '·', '⊘', '✖', '✗', '✔', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█',
];

/// Whether every character of `text` takes one cell and is a grapheme of
/// its own (printable ASCII and [`ONE_CELL`]), so it can be written a
/// character a cell without segmenting it.
fn one_cell_each(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_ascii_graphic() || c == ' ' || ONE_CELL.contains(&c))
}

/// Writes `text` (see [`one_cell_each`]) a character a cell from `(x, y)`
/// on, each cell given `style`, stopping before column `right`: what
/// ratatui's span drawing writes for it. The column after the last cell,
/// or `None` when `text` did not fit.
fn put_cells(
    buf: &mut Buffer,
    text: &str,
    (x, y): (u16, u16),
    right: u16,
    style: Style,
) -> Option<u16> {
    let mut x = x;
    for c in text.chars() {
        if x >= right {
            return None;
        }
        buf[(x, y)].set_char(c).set_style(style);
        x += 1;
    }
    Some(x)
}

/// A table of one-line rows under a one-line header, in columns of
/// `widths` one cell apart: what ratatui's `Table` with those rows, that
/// header and no block, selection or highlight draws, cell for cell (a
/// proptest holds them equal). A cell of printable ASCII and the panes'
/// own glyphs (a state, a count, a cause, a sparkline, a time, nearly
/// every name) is written a character a cell instead of through Unicode
/// segmentation and width tables, which were an eighth of a busy 200x60
/// frame in the users pane.
pub(super) struct TableRows<'a> {
    pub header: Vec<&'a str>,
    pub header_style: Style,
    /// Each row's cells and its style.
    pub rows: Vec<(Vec<Cow<'a, str>>, Style)>,
    pub widths: Vec<Constraint>,
}

impl Widget for TableRows<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        use ratatui::layout::Flex;
        if area.is_empty() {
            return;
        }
        // The table's own layout calls, so the geometry is its own: no
        // selection column, then the columns; a header row, then the rows.
        let [_, columns] = Layout::horizontal([Constraint::Length(0), Constraint::Fill(0)])
            .areas(Rect::new(0, 0, area.width, 1));
        // No widths: the table shares the width out evenly between as many
        // columns as the header or the longest row has cells.
        let even;
        let widths = if self.widths.is_empty() {
            let count = self.rows.iter().map(|(cells, _)| cells.len());
            let count = count.chain([self.header.len()]).max().unwrap_or(0);
            let share = u16::try_from(count.max(1)).map_or(0, |n| area.width / n);
            even = vec![Constraint::Length(share); count];
            &even
        } else {
            &self.widths
        };
        let columns = Layout::horizontal(widths.iter().copied())
            .flex(Flex::Start)
            .spacing(1)
            .split(columns);
        let parts = Layout::vertical([
            Constraint::Length(0),
            Constraint::Length(1),
            Constraint::Length(0),
            Constraint::Min(0),
            Constraint::Length(0),
            Constraint::Length(0),
            Constraint::Length(0),
        ])
        .split(area);
        let (Some(&header_area), Some(&rows_area)) = (parts.get(1), parts.get(3)) else {
            return;
        };
        let cell_area = |row: Rect, col: &Rect| {
            Rect::new(row.x.saturating_add(col.x), row.y, col.width, row.height)
        };
        buf.set_style(header_area, self.header_style);
        for (col, text) in columns.iter().zip(&self.header) {
            put_cell(buf, text, cell_area(header_area, col));
        }
        for ((cells, style), y) in self.rows.iter().zip(rows_area.top()..rows_area.bottom()) {
            let row_area = Rect {
                y,
                height: 1,
                ..rows_area
            };
            buf.set_style(row_area, *style);
            for (col, text) in columns.iter().zip(cells) {
                put_cell(buf, text, cell_area(row_area, col));
            }
        }
    }
}

/// One table cell: what the table's cell draws of `text`.
fn put_cell(buf: &mut Buffer, text: &str, area: Rect) {
    let area = area.intersection(buf.area);
    if area.is_empty() {
        return;
    }
    if one_cell_each(text) {
        put_cells(buf, text, (area.x, area.y), area.right(), Style::default());
    } else {
        ratatui::text::Text::raw(text).render(area, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hms_formats_long_incidents() {
        assert_eq!(hms(SignedDuration::from_secs(3 * 3600 + 61)), "03:01:01");
    }

    #[test]
    fn each_one_cell_glyph_is_a_grapheme_one_cell_wide_beside_ascii_and_the_others() {
        use ratatui::buffer::CellWidth;
        for c in ONE_CELL {
            for other in ONE_CELL.iter().copied().chain(['a', ' ', '~']) {
                let text: String = [other, c, other, c, c].iter().collect();
                let graphemes: Vec<String> = Span::raw(text.as_str())
                    .styled_graphemes(Style::default())
                    .map(|g| g.symbol.to_string())
                    .collect();
                let chars: Vec<String> = text.chars().map(String::from).collect();
                assert_eq!(graphemes, chars, "{text:?}");
            }
            assert_eq!(c.to_string().as_str().cell_width(), 1, "{c:?}");
            assert!(one_cell_each(&format!("a{c}b")));
        }
        assert!(!one_cell_each("✖\u{fe0f}"), "an emoji presentation is not");
    }

    mod log_rows {
        use super::*;
        use proptest::prelude::*;
        use ratatui::buffer::Buffer;
        use ratatui::style::{Color, Modifier, Style};

        /// Pieces of text that take different paths: ASCII, the glyphs the
        /// panes start lines with, wide and zero-width symbols, combining
        /// marks, a control character, an emoji sequence.
        const PIECES: &[&str] = &[
            "asa-fw1 ",
            "%ASA-6-113005: ",
            "user = alice",
            "✖ ",
            "⊘ ",
            "· ",
            "漢字",
            "🔥",
            "e\u{301}",
            "\u{200b}",
            "a\tb",
            "👩\u{200d}💻",
            " ",
            "",
            "▁▂█",
            "✔ ✗",
            "✖\u{fe0f}",
        ];

        fn style(n: u8) -> Style {
            match n % 4 {
                0 => Style::new(),
                1 => Style::new().fg(Color::Red),
                2 => Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
                _ => Style::new()
                    .bg(Color::Blue)
                    .add_modifier(Modifier::REVERSED),
            }
        }

        fn line(spans: Vec<(usize, u8)>, line_style: u8) -> Line<'static> {
            let spans: Vec<Span<'static>> = spans
                .into_iter()
                .map(|(piece, s)| Span::styled(PIECES[piece % PIECES.len()], style(s)))
                .collect();
            Line::from(spans).style(style(line_style))
        }

        /// A buffer already drawn on: every cell a symbol and a style, so
        /// that what a pane leaves alone is seen too.
        fn used_buffer(area: Rect, seed: u8) -> Buffer {
            let mut buf = Buffer::empty(area);
            for (i, cell) in buf.content.iter_mut().enumerate() {
                let n = seed.wrapping_add(i as u8);
                cell.set_symbol(PIECES[usize::from(n) % 3].get(..1).unwrap_or("x"))
                    .set_style(style(n));
            }
            buf
        }

        proptest! {
            /// A pane draws what the `Block` it stands for draws, cell for
            /// cell, in any size down to nothing and partly off the buffer.
            #[test]
            fn a_pane_draws_what_its_block_draws(
                title in prop::collection::vec((0usize..64, any::<u8>()), 0..5),
                focused in any::<bool>(),
                (x, y) in (0u16..12, 0u16..10),
                (width, height) in (0u16..14, 0u16..6),
                seed in any::<u8>(),
                base in any::<u8>(),
                (border, border_focused) in (any::<u8>(), any::<u8>()),
            ) {
                let theme = crate::ui::Theme {
                    border: style(border),
                    border_focused: style(border_focused),
                    ..crate::ui::Theme::default()
                };
                let title: Vec<Span<'static>> = title
                    .into_iter()
                    .map(|(piece, s)| Span::styled(PIECES[piece % PIECES.len()], style(s)))
                    .collect();
                let screen = Rect::new(0, 0, 10, 8);
                let area = Rect::new(x, y, width, height);
                let mut fast = used_buffer(screen, seed);
                let mut block = fast.clone();
                fill_style(&mut fast, area, style(base));
                Block::default().style(style(base)).render(area, &mut block);
                prop_assert_eq!(&fast, &block);
                let pane = pane_frame(title.clone(), focused, &theme);
                prop_assert_eq!(pane.inner(area), pane_frame(title.clone(), focused, &theme).into_block().inner(area));
                pane.render(area, &mut fast);
                pane_frame(title, focused, &theme).into_block().render(area, &mut block);
                prop_assert_eq!(fast, block);
            }

            /// Cell for cell (symbols and styles), what ratatui's table
            /// draws of the same rows, header and widths, in any size down
            /// to nothing and partly off the buffer.
            #[test]
            fn table_rows_draw_what_a_table_draws(
                header in prop::collection::vec(0usize..64, 0..8),
                rows in prop::collection::vec(
                    (prop::collection::vec(prop::collection::vec(0usize..64, 0..4), 0..8), any::<u8>()),
                    0..7,
                ),
                widths in prop::collection::vec((0u8..3, 0u16..12), 0..8),
                (x, y) in (0u16..6, 0u16..4),
                (width, height) in (0u16..40, 0u16..9),
                (header_style, seed) in (any::<u8>(), any::<u8>()),
            ) {
                use ratatui::widgets::{Row, Table};
                // A cell's text: pieces joined, so ASCII and the rest mix
                // within a cell as within a user's name.
                let text = |pieces: &[usize]| -> String {
                    pieces.iter().map(|&p| PIECES[p % PIECES.len()]).collect()
                };
                let header: Vec<&str> = header.iter().map(|&p| PIECES[p % PIECES.len()]).collect();
                let rows: Vec<(Vec<String>, Style)> = rows
                    .into_iter()
                    .map(|(cells, s)| (cells.iter().map(|c| text(c)).collect(), style(s)))
                    .collect();
                let widths: Vec<Constraint> = widths
                    .into_iter()
                    .map(|(kind, n)| match kind {
                        0 => Constraint::Length(n),
                        1 => Constraint::Min(n),
                        _ => Constraint::Max(n),
                    })
                    .collect();
                let screen = Rect::new(0, 0, 30, 8);
                let area = Rect::new(x, y, width, height);
                let mut fast = used_buffer(screen, seed);
                let mut table = fast.clone();
                TableRows {
                    header: header.clone(),
                    header_style: style(header_style),
                    rows: rows
                        .iter()
                        .map(|(cells, s)| (cells.iter().map(|c| Cow::Borrowed(c.as_str())).collect(), *s))
                        .collect(),
                    widths: widths.clone(),
                }
                .render(area, &mut fast);
                Table::new(
                    rows.iter().map(|(cells, s)| Row::new(cells.clone()).style(*s)),
                    widths,
                )
                .header(Row::new(header).style(style(header_style)))
                .column_spacing(1)
                .render(area, &mut table);
                prop_assert_eq!(fast, table);
            }

            /// Cell for cell (symbols and styles), what a paragraph scrolled
            /// sideways by the same amount draws.
            #[test]
            fn log_rows_draw_what_a_paragraph_draws(
                lines in prop::collection::vec(
                    (prop::collection::vec((0usize..64, any::<u8>()), 0..8), any::<u8>()),
                    0..6,
                ),
                width in 1u16..24,
                height in 1u16..5,
                sideways in prop_oneof![Just(0u16), 0u16..6],
            ) {
                let lines: Vec<Line<'static>> =
                    lines.into_iter().map(|(spans, s)| line(spans, s)).collect();
                let area = Rect::new(1, 1, width, height);
                let mut fast = Buffer::empty(Rect::new(0, 0, width + 2, height + 2));
                let mut paragraph = fast.clone();
                LogRows { lines: lines.clone(), sideways }.render(area, &mut fast);
                Paragraph::new(lines).scroll((0, sideways)).render(area, &mut paragraph);
                prop_assert_eq!(fast, paragraph);
            }
        }
    }
}
