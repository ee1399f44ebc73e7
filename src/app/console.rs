//! The live dashboard: sources feed an ingest task that owns the parsing,
//! the terminal loop only draws and handles keys.
//!
//! ```text
//! file / stdin tasks ──(bounded channel of line batches)──▶ ingest task
//!                                                            │ parse + apply under the model lock
//!                                                            ▼
//!          keys ──▶ terminal loop ◀── "changed" notification ┘
//!                   draws at most FRAME_RATE times a second, only when something changed
//! ```

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::Context;
use jiff::Timestamp;
use ratatui::crossterm::event::{self, Event as TermEvent};
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;

use super::{Input, InputPath};
use crate::engine::{Model, SourceState, StepState};
use crate::journal::Journal;
use crate::parse::{Family, ParseContext};
use crate::runbook::Runbook;
use crate::source::file::{FileOptions, spawn_file};
use crate::source::stdin::spawn_stdin;
use crate::source::{SourceId, SourceMsg};
use crate::ui::{self, Action, Theme, UiState};

/// Frames per second at most, however fast lines arrive.
pub const FRAME_RATE: u32 = 30;

/// Batches in flight between sources and the engine. Files wait when it is
/// full (they can be re-read); nothing is dropped.
const CHANNEL_BATCHES: usize = 256;

/// Everything the dashboard needs, resolved from the command line.
pub struct ConsoleConfig {
    pub inputs: Vec<Input>,
    /// Family of each input, in the same order.
    pub families: Vec<Family>,
    pub runbook: Runbook,
    pub journal: PathBuf,
    pub operator: String,
    pub theme: Theme,
    pub retain: usize,
    pub poll_interval: Duration,
}

struct Shared {
    model: Mutex<Model>,
    changed: Notify,
    dirty: AtomicBool,
}

impl Shared {
    /// The model, even if a panicking thread poisoned the lock: the state is
    /// plain counters and is still worth showing.
    fn model(&self) -> MutexGuard<'_, Model> {
        self.model.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Runs the dashboard until the operator quits or a signal arrives.
pub async fn run(config: ConsoleConfig) -> anyhow::Result<()> {
    let (mut journal, replay) = Journal::open(&config.journal)?;
    let sources: Vec<SourceState> = config
        .inputs
        .iter()
        .zip(&config.families)
        .map(|(input, family)| SourceState {
            name: short_name(&input.path),
            family: *family,
            lines: 0,
            unrecognised: 0,
            status: None,
        })
        .collect();
    let mut model = Model::new(
        sources,
        &config.runbook,
        config.retain,
        ParseContext::default(),
    );
    let mut warnings = replay.warnings;
    let unknown = replay
        .records
        .iter()
        .filter(|r| !model.checklist.apply(r))
        .count();
    if unknown > 0 {
        warnings.push(format!(
            "journal {}: {unknown} records name steps this runbook does not have",
            config.journal.display()
        ));
    }

    let shared = Arc::new(Shared {
        model: Mutex::new(model),
        changed: Notify::new(),
        dirty: AtomicBool::new(true),
    });
    let (tx, rx) = mpsc::channel(CHANNEL_BATCHES);
    start_sources(&config, tx);
    let ingest = tokio::spawn(ingest(rx, shared.clone()));

    let mut ui_state = UiState {
        status: warnings.first().cloned(),
        ..UiState::default()
    };
    let mut terminal = ratatui::init();
    let result = event_loop(&mut terminal, &shared, &mut ui_state, &config, &mut journal).await;
    ratatui::restore();
    ingest.abort();
    for w in warnings {
        eprintln!("vpnwatch: {w}");
    }
    result
}

fn short_name(path: &InputPath) -> String {
    match path {
        InputPath::File(p) => p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| p.display().to_string()),
        InputPath::Stdin => "stdin".to_string(),
    }
}

fn start_sources(config: &ConsoleConfig, tx: mpsc::Sender<SourceMsg>) {
    for (i, input) in config.inputs.iter().enumerate() {
        let id = SourceId(i as u16);
        match &input.path {
            InputPath::File(path) => {
                let opts = FileOptions {
                    follow: true,
                    poll_interval: config.poll_interval,
                    ..FileOptions::default()
                };
                spawn_file(id, path.clone(), opts, tx.clone());
            }
            InputPath::Stdin => {
                spawn_stdin(id, crate::source::lines::DEFAULT_MAX_LINE, tx.clone());
            }
        }
    }
}

/// Applies source messages to the model, a batch at a time.
async fn ingest(mut rx: mpsc::Receiver<SourceMsg>, shared: Arc<Shared>) {
    while let Some(msg) = rx.recv().await {
        {
            let mut model = shared.model();
            apply(&mut model, msg);
            // Drain what is already queued under the same lock: one
            // notification for many batches during a flood.
            while let Ok(more) = rx.try_recv() {
                apply(&mut model, more);
            }
        }
        shared.dirty.store(true, Ordering::Release);
        shared.changed.notify_one();
    }
}

fn apply(model: &mut Model, msg: SourceMsg) {
    match msg {
        SourceMsg::Lines(id, batch) => model.ingest(id, &batch),
        SourceMsg::Notice(id, notice) => model.notice(id, notice),
    }
}

/// Terminal keys, read on their own thread (crossterm's read blocks).
fn spawn_key_reader() -> mpsc::UnboundedReceiver<TermEvent> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        while let Ok(ev) = event::read() {
            if tx.send(ev).is_err() {
                break;
            }
        }
    });
    rx
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    shared: &Shared,
    ui_state: &mut UiState,
    config: &ConsoleConfig,
    journal: &mut Journal,
) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut sigterm = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut sighup = signal(SignalKind::hangup()).context("installing the SIGHUP handler")?;
    let mut sigint = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    let mut keys = spawn_key_reader();
    let frame = Duration::from_secs(1) / FRAME_RATE;
    // The clock in the header moves once a second even when nothing arrives.
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut last_draw = Instant::now() - frame;
    let mut want_draw = true;

    loop {
        if want_draw || shared.dirty.swap(false, Ordering::AcqRel) {
            want_draw = true;
        }
        let next_frame = last_draw + frame;
        tokio::select! {
            key = keys.recv() => {
                let Some(key) = key else { return Ok(()) };
                match key {
                    TermEvent::Key(k) => {
                        if let Some(action) = ui::action_for_key(k) {
                            if action == Action::Quit {
                                return Ok(());
                            }
                            handle_action(action, shared, ui_state, config, journal);
                        }
                    }
                    TermEvent::Resize(..) => {}
                    _ => continue,
                }
                want_draw = true;
                // Keys answer at once rather than waiting for the next frame slot.
                last_draw = Instant::now() - frame;
            }
            _ = shared.changed.notified() => want_draw = true,
            _ = tick.tick() => want_draw = true,
            _ = sigterm.recv() => return Ok(()),
            _ = sighup.recv() => return Ok(()),
            _ = sigint.recv() => return Ok(()),
            _ = tokio::time::sleep_until(next_frame), if want_draw => {
                let model = shared.model();
                let mut info = ui::draw::FrameInfo::default();
                terminal
                    .draw(|f| info = ui::draw(f, &model, ui_state, &config.theme, Timestamp::now()))
                    .context("drawing the dashboard")?;
                drop(model);
                ui_state.page_rows = info.page_rows.max(1);
                last_draw = Instant::now();
                want_draw = false;
            }
        }
    }
}

fn handle_action(
    action: Action,
    shared: &Shared,
    ui_state: &mut UiState,
    config: &ConsoleConfig,
    journal: &mut Journal,
) {
    if ui_state.show_help && !matches!(action, Action::ToggleHelp | Action::CloseHelp) {
        ui_state.show_help = false;
        return;
    }
    let mut model = shared.model();
    let Some(target) = ui_state.apply(action, &model) else {
        return;
    };
    set_step(&mut model, ui_state, target, config, journal);
}

/// Journals a step change and only then shows it: what the screen shows is
/// on disk.
fn set_step(
    model: &mut Model,
    ui_state: &mut UiState,
    to: StepState,
    config: &ConsoleConfig,
    journal: &mut Journal,
) {
    let Some(record) = model.checklist.change(
        ui_state.step_selected,
        to,
        &config.operator,
        Timestamp::now(),
    ) else {
        return;
    };
    match journal.append(&record) {
        Ok(()) => {
            model.checklist.apply(&record);
            ui_state.status = None;
        }
        Err(e) => ui_state.status = Some(format!("not saved: {e}")),
    }
}
