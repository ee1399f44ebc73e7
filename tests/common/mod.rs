//! Helpers shared by the integration tests: drawing the dashboard into a
//! `TestBackend`, and [`need`] for what a test needs from its environment.
//! Each test binary uses only some of them.
#![allow(dead_code)]

pub mod need;
pub mod testca;

use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use vpnwatch::pipeline::Model;
use vpnwatch::ui::{self, Theme, UiState};

/// Long after any test log's time, so the incident clock uses log time.
pub fn wall() -> Timestamp {
    "2027-01-01T00:00:00Z".parse().unwrap()
}

/// One frame of the dashboard at `width` x `height`.
pub fn render(
    model: &Model,
    ui: &UiState,
    theme: &Theme,
    width: u16,
    height: u16,
) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| {
            ui::draw(f, model, ui, theme, wall());
        })
        .unwrap();
    terminal
}

/// The frame's text, one line per row.
pub fn screen_text(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}
