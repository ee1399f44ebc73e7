//! Helpers shared by the integration tests: drawing the dashboard into a
//! `TestBackend`, running the binary's script commands (`scan --json`,
//! `bundle`) and reading what they wrote, and [`need`] for what a test needs
//! from its environment.
//! Each test binary uses only some of them.
#![allow(dead_code)]

pub mod need;
pub mod servers;
pub mod testca;

use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use vpnwatch::parse::ParseContext;
use vpnwatch::pipeline::{Model, SourceState};
use vpnwatch::runbook::{self, DEFAULT_RUNBOOK};
use vpnwatch::ui::{self, Theme, UiState};
use vpnwatch::vocab::{Family, LineBatch, SourceId};

/// Long after any test log's time, so the incident clock uses log time.
pub fn wall() -> Timestamp {
    "2027-01-01T00:00:00Z".parse().unwrap()
}

/// A source of the given name and family.
pub fn source(name: &str, family: Family) -> SourceState {
    SourceState::new(name.into(), family)
}

/// Hands `text` to source `id` of `model` as one batch of lines.
pub fn feed(model: &mut Model, id: u16, text: &str) {
    let mut batch = LineBatch::new(1);
    for line in text.lines() {
        batch.push(line.as_bytes());
    }
    model.ingest(SourceId(id), &batch);
}

/// A model with the bundled runbook and one source per log, each fed its
/// text in order (stamps without a year read as 2026, the samples' year).
pub fn model_of(logs: &[(SourceState, &str)]) -> Model {
    let mut model = empty_model(logs.iter().map(|(s, _)| s.clone()).collect());
    for (id, (_, text)) in logs.iter().enumerate() {
        feed(&mut model, id as u16, text);
    }
    model
}

/// A model with the bundled runbook and these sources, nothing read yet
/// (stamps without a year read as 2026, the samples' year).
pub fn empty_model(sources: Vec<SourceState>) -> Model {
    let runbook = runbook::parse(DEFAULT_RUNBOOK).unwrap();
    Model::new(sources, &runbook, 10_000, ParseContext::for_year(2026))
}

/// [`model_of`] the files at these paths, each read whole in its family.
pub fn model_of_files(files: &[(&str, Family)]) -> Model {
    let texts: Vec<String> = files
        .iter()
        .map(|(path, _)| std::fs::read_to_string(path).unwrap())
        .collect();
    let logs: Vec<(SourceState, &str)> = files
        .iter()
        .zip(&texts)
        .map(|((path, family), text)| (source(path, *family), text.as_str()))
        .collect();
    model_of(&logs)
}

/// The bundled headend and client samples, as [`model_of`] takes them.
pub fn headend_and_client_samples() -> [(SourceState, &'static str); 2] {
    [
        (
            source("asa-headend.log", Family::Headend),
            include_str!("../../sample-logs/asa-headend.log"),
        ),
        (
            source("anyconnect-client.log", Family::Client),
            include_str!("../../sample-logs/anyconnect-client.log"),
        ),
    ]
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

/// The text of one frame at `width` x `height` in the default theme, with
/// nothing selected: what most header and pane checks read.
pub fn default_screen(model: &Model, width: u16, height: u16) -> String {
    let theme = Theme::load("default").unwrap();
    screen_text(&render(model, &UiState::default(), &theme, width, height))
}

/// The `vpnwatch` binary, run from the package's root (where the sample
/// logs and fixtures are).
pub fn vpnwatch() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("vpnwatch").expect("binary is built");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// `vpnwatch scan --json FILES…`'s report; the command must succeed.
pub fn scan_json(files: &[&str]) -> serde_json::Value {
    scan_json_with(files, &[])
}

/// [`scan_json`] read by `reader` (`lines`: the line-by-line reader;
/// `blocks`: the block reader), as `VPNWATCH_SCAN_READER` picks.
pub fn scan_json_read_by(reader: &str, files: &[&str]) -> serde_json::Value {
    scan_json_with(files, &[("VPNWATCH_SCAN_READER", reader)])
}

fn scan_json_with(files: &[&str], env: &[(&str, &str)]) -> serde_json::Value {
    let out = vpnwatch()
        .arg("scan")
        .arg("--json")
        .args(files)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(out.status.success(), "scan --json {files:?} {env:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `vpnwatch report` of FILES with an empty journal (written in `dir`):
/// the postmortem's Markdown.
pub fn report_of(dir: &std::path::Path, files: &[&str]) -> String {
    let journal = dir.join("journal.jsonl");
    std::fs::write(&journal, "").unwrap();
    let out = vpnwatch()
        .arg("report")
        .arg("--journal")
        .arg(&journal)
        .args(files)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The bundled headend sample up to the first line stamped `stop`
/// (`"08:53:01"`: 10.20.0.13 has been FAILED for a minute, the runbook's
/// step 4 suggested).
pub fn headend_sample_until(stop: &str) -> String {
    include_str!("../../sample-logs/asa-headend.log")
        .lines()
        .take_while(|l| !l.contains(stop))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// The files of `vpnwatch bundle --user USER FILES…`'s archive, each as
/// its path inside the archive and its text.
pub fn bundle_files(user: &str, files: &[&str]) -> Vec<(std::path::PathBuf, String)> {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle.tar.gz");
    vpnwatch()
        .args(["bundle", "--user", user, "-o"])
        .arg(&out)
        .args(files)
        .assert()
        .success();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(
        std::fs::File::open(&out).unwrap(),
    ));
    archive
        .entries()
        .unwrap()
        .map(|entry| {
            let mut entry = entry.unwrap();
            let path = entry.path().unwrap().into_owned();
            let mut text = String::new();
            entry.read_to_string(&mut text).unwrap();
            (path, text)
        })
        .collect()
}
