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

use super::headless::{self, HeadlessFile};
use super::sources::{self, Planned, SourceSettings, SourceSpec};
use super::{Input, actions, recall};
use crate::engine::{Incident, IncidentLimits};
use crate::journal::Journal;
use crate::parse::ParseContext;
use crate::pipeline::recall::Recalled;
use crate::pipeline::{Model, SourceState};
use crate::runbook::Runbook;
use crate::source::SourceMsg;
use crate::ui::{self, Action, Theme, UiState};
use crate::vocab::Family;
use crate::vocab::{Notice, SourceId};

/// How often the journal is checked for records other consoles appended.
const JOURNAL_POLL: Duration = Duration::from_millis(500);

/// Frames per second at most, however fast lines arrive.
pub const FRAME_RATE: u32 = 30;

/// Batches in flight between sources and the engine. Files wait when it is
/// full (they can be re-read); nothing is dropped. A batch holds up to 4096
/// lines or 1 MiB, so this bounds the queue at 8 MiB (about 5 MiB of
/// typical 150-byte lines): 256 let a file read from its start park over
/// 150 MiB in the queue, most of the dashboard's memory budget.
pub(crate) const CHANNEL_BATCHES: usize = 8;

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
    /// How files are followed, and the commands and receivers to start.
    pub ingest: SourceSettings,
    /// See [`crate::pipeline::DEFAULT_QUIET_AFTER`] (`--quiet-after`).
    pub quiet_after: jiff::SignedDuration,
    /// Clicks and the wheel (`--no-mouse` turns them off so the terminal
    /// selects text).
    pub mouse: bool,
    /// The configuration file's `[keys]` (see [`super::keys`]).
    pub keys: crate::ui::keys::KeyMap,
    /// `[probe]` of the config file: how `A` probes the AAA servers.
    pub probe: crate::config::ProbeConfig,
    /// How lines are parsed (year, `--tz`, `--json-field`).
    pub ctx: ParseContext,
    /// The incident's bounds (`--max-users`).
    pub limits: IncidentLimits,
}

struct Shared {
    model: Mutex<Model>,
    changed: Notify,
    dirty: AtomicBool,
    /// The background count of the backlog finished (see [`count_backlog`]).
    released: Notify,
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
    let (journal, replay) = Journal::open(&config.journal)?;
    let plan = sources::plan(&config.inputs, &config.families, &config.ingest);
    let sources: Vec<SourceState> = plan
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut state = SourceState::new(short_name(p), p.family);
            // The inputs come first in the plan, in order.
            if let Some(input) = config.inputs.get(i) {
                state.format = input.format;
                state.default_user = input.user.clone();
                (state.auto_detect, state.detect) = late_detection(input);
            }
            state
        })
        .collect();
    let mut model = Model::new(sources, &config.runbook, config.retain, config.ctx.clone())
        .with_incident_limits(config.limits);
    model.quiet_after = config.quiet_after;
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
        released: Notify::new(),
    });
    // Files that exist now show their last lines at once; the bytes before
    // those are counted in the background, and counting the lines shown is
    // put off until then so that events are still counted in file order.
    let backlog = sources::backlog_jobs(&plan, &config.ingest);
    if !backlog.is_empty() {
        let total = backlog.iter().map(|j| j.bytes).sum();
        shared
            .model()
            .hold_counting(backlog.iter().map(|j| j.source).collect(), total);
    }
    let (tx, rx) = mpsc::channel(CHANNEL_BATCHES);
    // Before the terminal is taken over, so a port in use is a plain error.
    sources::start(&plan, &config.ingest, &backlog, &tx).await?;
    drop(tx);
    if !backlog.is_empty() {
        let files = backlog_files(&backlog, &config.inputs, &config.families);
        let shared = shared.clone();
        tokio::task::spawn_blocking(move || count_backlog(&files, &shared));
    }
    let ingest = tokio::spawn(ingest(rx, shared.clone()));

    let mut ui_state = UiState {
        status: warnings.first().cloned(),
        keys: config.keys.clone(),
        ..UiState::default()
    };
    let mut terminal = ratatui::init();
    if config.mouse {
        let _ = ratatui::crossterm::execute!(
            std::io::stdout(),
            ratatui::crossterm::event::EnableMouseCapture
        );
    }
    let result = event_loop(&mut terminal, &shared, &mut ui_state, &config, journal).await;
    restore_terminal();
    // restore_terminal has shown the cursor. Dropping the `Terminal` would
    // try again and, on a terminal that has hung up, print its failure with
    // `eprintln!`, which panics on the dead terminal and aborts the process
    // before the demo's directory is removed.
    std::mem::forget(terminal);
    ingest.abort();
    let mut stderr = std::io::stderr();
    for w in warnings {
        // Not eprintln!: after a hang-up stderr is gone, and that is no reason to abort.
        let _ = std::io::Write::write_fmt(&mut stderr, format_args!("vpnwatch: {w}\n"));
    }
    result
}

/// The name in the header: a file's name without its directory.
fn short_name(p: &Planned) -> String {
    match &p.spec {
        SourceSpec::File(path) | SourceSpec::Glob(path) => path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| p.name.clone()),
        _ => p.name.clone(),
    }
}

/// Lines held for counting while the backlog is counted, at most: past
/// this the ingest task stops taking batches, so file sources wait (they
/// can read on later) and network sources count what they drop.
const DEFERRED_CAP: usize = 64 * 1024 * 1024;

/// Applies source messages to the model, a batch at a time.
async fn ingest(mut rx: mpsc::Receiver<SourceMsg>, shared: Arc<Shared>) {
    while let Some(msg) = rx.recv().await {
        let full = {
            let mut model = shared.model();
            apply(&mut model, msg);
            // Drain what is already queued under the same lock: one
            // notification for many batches during a flood.
            while model.deferred_bytes() < DEFERRED_CAP
                && let Ok(more) = rx.try_recv()
            {
                apply(&mut model, more);
            }
            model.deferred_bytes() >= DEFERRED_CAP
        };
        shared.dirty.store(true, Ordering::Release);
        shared.changed.notify_one();
        if full {
            shared.released.notified().await;
        }
    }
}

/// The files of the backlog jobs, with their formats, to count headlessly.
fn backlog_files(
    jobs: &[sources::BacklogJob],
    inputs: &[Input],
    families: &[Family],
) -> Vec<(sources::BacklogJob, HeadlessFile)> {
    jobs.iter()
        .filter_map(|job| {
            let i = job.source.0 as usize;
            let input = inputs.get(i)?;
            let file = HeadlessFile {
                path: job.path.clone(),
                family: *families.get(i)?,
                format: input.format,
                user: input.user.clone(),
            };
            Some((job.clone(), file))
        })
        .collect()
}

/// Counts the bytes before each file's backlog into a new incident, showing
/// progress, then hands it to the model, which counts the lines it put off
/// on top. On a read error the earlier bytes stay uncounted and the header
/// says so.
fn count_backlog(files: &[(sources::BacklogJob, HeadlessFile)], shared: &Shared) {
    // Counting is held until this ends; a panic in the count must not leave
    // it held (and the ingest task waiting) for the rest of the session.
    let mut release = Release {
        shared,
        first: files.first().map(|(job, _)| job.source),
        outcome: None,
    };
    // Read as the model reads its sources.
    let (ctx, mut incident) = {
        let model = shared.model();
        (model.ctx().clone(), model.new_incident())
    };
    let mut before = 0u64;
    // Until counted, the number of lines before each pane's first is not
    // known (`e` numbers lines as in the file with it).
    for (job, _) in files {
        shared.model().set_earlier(job.source, job.file_id, None);
    }
    for (job, file) in files {
        let mut progress = |done: u64| {
            shared.model().set_backlog_done(before + done);
            shared.dirty.store(true, Ordering::Release);
            shared.changed.notify_one();
        };
        incident.set_source(job.source);
        match headless::count_prefix(file, job.bytes, &ctx, &mut incident, &mut progress) {
            Ok(lines) => shared
                .model()
                .set_earlier(job.source, job.file_id, Some(lines)),
            Err(e) => {
                release.outcome = Some(Err((job.source, format!("{e:#}"))));
                return;
            }
        }
        before += job.bytes;
    }
    release.outcome = Some(Ok(incident));
}

/// Ends the hold on counting when [`count_backlog`] returns or unwinds.
struct Release<'a> {
    shared: &'a Shared,
    /// Where an unfinished count is reported.
    first: Option<SourceId>,
    /// `None`: the count did not finish (it panicked).
    outcome: Option<Result<Incident, (SourceId, String)>>,
}

impl Drop for Release<'_> {
    fn drop(&mut self) {
        {
            let mut model = self.shared.model();
            match self.outcome.take() {
                Some(Ok(incident)) => model.release(Some(incident)),
                Some(Err((source, e))) => {
                    model.release(None);
                    let msg = format!("lines before the backlog not counted: {e}");
                    model.notice(source, Notice::Error(msg));
                }
                None => {
                    model.release(None);
                    if let Some(source) = self.first {
                        let msg = "counting the lines before the backlog stopped unexpectedly";
                        model.notice(source, Notice::Error(msg.into()));
                    }
                }
            }
        }
        self.shared.released.notify_one();
        self.shared.dirty.store(true, Ordering::Release);
        self.shared.changed.notify_one();
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
    journal: Journal,
) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    // The journal's appends (fsynced) and reads run on a thread of their
    // own; its replies are applied here. Bundles and reports are written on
    // blocking threads and report back on `finished`.
    let (replies_tx, mut replies) = mpsc::unbounded_channel();
    let mut queue = actions::spawn_journal_writer(journal, replies_tx)
        .context("starting the journal writer")?;
    let journal = &mut queue;
    let (finished_tx, mut finished) = mpsc::unbounded_channel();
    let background = actions::Background {
        finished: finished_tx,
        cancel: Arc::new(AtomicBool::new(false)),
    };
    // A bundle still being written when the dashboard quits stops.
    let _cancel_on_exit = CancelOnDrop(background.cancel.clone());
    let mut sigterm = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut sighup = signal(SignalKind::hangup()).context("installing the SIGHUP handler")?;
    let mut sigint = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    let mut keys = spawn_key_reader();
    // The clock in the header moves once a second even when nothing arrives.
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    // Other consoles on the same journal: their records show within a second.
    let mut journal_poll = tokio::time::interval(JOURNAL_POLL);
    let mut frames = FramePacer::new(FRAME_RATE, Instant::now());
    // Older lines read back from files when a pane scrolls past what it
    // keeps: one read at a time, off the terminal loop.
    let (recalled_tx, mut recalled_rx) = mpsc::unbounded_channel();
    let mut recall_in_flight: Option<(Family, std::ops::Range<u64>)> = None;
    // `t` cycles themes; where the last frame drew each pane (the mouse).
    let mut theme = config.theme.clone();
    let mut last_frame = ui::draw::FrameInfo::default();
    // AAA probes (`A`): one run at a time, off the terminal loop and never
    // under the model lock; the results arrive here.
    let (probed_tx, mut probed_rx) = mpsc::unbounded_channel();
    let mut probe_in_flight = false;

    loop {
        if shared.dirty.swap(false, Ordering::AcqRel) {
            frames.changed();
        }
        if recall_in_flight.is_none() {
            recall_in_flight = start_recall(shared, ui_state, config, &recalled_tx);
        }
        let next_frame = frames.next_frame();
        tokio::select! {
            key = keys.recv() => {
                let Some(key) = key else { return Ok(()) };
                match key {
                    TermEvent::Key(k) if ui_state.note_editor.is_some() => {
                        let mut model = shared.model();
                        actions::note_key(&mut model, ui_state, k, &config.operator, journal);
                    }
                    TermEvent::Key(k) if ui_state.find.input.is_some() => {
                        let model = shared.model();
                        ui::search::input_key(ui_state, k, &model);
                    }
                    TermEvent::Key(k) if ui_state.confirm.is_some() => {
                        let mut model = shared.model();
                        actions::confirm_key(&mut model, ui_state, k, &config.operator, journal);
                    }
                    TermEvent::Key(k) => {
                        let Some(k) = config.keys.translate(k) else { continue };
                        if let Some(action) = ui::action_for_key(k) {
                            if action == Action::Quit {
                                return Ok(());
                            }
                            if action == Action::CycleTheme {
                                theme = theme.next_builtin();
                                ui_state.status = Some(format!("theme {} (t for the next)", theme.name));
                            } else if action == Action::Probe && !ui_state.show_help {
                                if probe_in_flight {
                                    ui_state.status = Some("probe already running".into());
                                } else {
                                    probe_in_flight = start_probe(shared, ui_state, config, &probed_tx);
                                }
                            } else {
                                handle_action(action, shared, ui_state, config, journal, &background);
                            }
                        }
                    }
                    TermEvent::Mouse(m) if config.mouse => {
                        let model = shared.model();
                        ui::mouse::handle(m, &last_frame, ui_state, &model);
                    }
                    TermEvent::Resize(..) => {}
                    _ => continue,
                }
                frames.key(Instant::now());
            }
            Some(results) = probed_rx.recv() => {
                probe_in_flight = false;
                let mut model = shared.model();
                super::probe_cmd::apply_results(&mut model, ui_state, journal, &config.operator, &results);
                frames.changed();
            }
            Some((family, recalled)) = recalled_rx.recv() => {
                shared.model().set_recalled(family, recalled);
                recall_in_flight = None;
                frames.changed();
            }
            _ = shared.changed.notified() => frames.changed(),
            _ = tick.tick() => frames.changed(),
            _ = journal_poll.tick() => {
                let mut model = shared.model();
                actions::sync(&mut model, ui_state, journal);
            }
            Some(reply) = replies.recv() => {
                let mut model = shared.model();
                if actions::apply_journal_reply(&mut model, ui_state, reply) {
                    frames.changed();
                }
            }
            Some(done) = finished.recv() => {
                let mut model = shared.model();
                actions::finished(done, &mut model, ui_state, &config.operator, journal);
                frames.changed();
            }
            _ = sigterm.recv() => {
                arm_exit_fallback(SIGTERM);
                return Ok(());
            }
            _ = sighup.recv() => {
                arm_exit_fallback(SIGHUP);
                return Ok(());
            }
            _ = sigint.recv() => {
                arm_exit_fallback(SIGINT);
                return Ok(());
            }
            _ = tokio::time::sleep_until(next_frame.unwrap_or_else(Instant::now)), if next_frame.is_some() => {
                let mut model = shared.model();
                let wall = Timestamp::now();
                // One clock for the frame: incident age, KPI age, failing now.
                model.set_wall_clock(wall);
                let mut info = ui::draw::FrameInfo::default();
                terminal
                    .draw(|f| info = ui::draw(f, &model, ui_state, &theme, wall))
                    .context("drawing the dashboard")?;
                drop(model);
                ui_state.page_rows = info.page_rows.max(1);
                ui_state.help_drawn(info.help);
                last_frame = info;
                frames.drawn(Instant::now());
            }
        }
    }
}

/// Starts probing every AAA server the logs named (`A`); the results
/// arrive on `done`. False when nothing was started (the status says why).
fn start_probe(
    shared: &Shared,
    ui_state: &mut UiState,
    config: &ConsoleConfig,
    done: &mpsc::UnboundedSender<Vec<(String, crate::probe::ProbeResult)>>,
) -> bool {
    use super::probe_cmd;
    // The lock is held only to copy the addresses.
    let addresses: Vec<String> = shared
        .model()
        .incident
        .servers()
        .iter()
        .map(|s| s.address.clone())
        .collect();
    let pairs = probe_cmd::targets_for_servers(&addresses, &config.probe);
    if pairs.is_empty() {
        ui_state.status = Some("probe: the logs name no AAA server yet".into());
        return false;
    }
    let targets: Vec<crate::probe::Target> = pairs.iter().map(|(_, t)| t.clone()).collect();
    let settings = match probe_cmd::dashboard_settings(&config.probe, &targets) {
        Ok(s) => s,
        Err(e) => {
            ui_state.status = Some(format!("probe: {e}"));
            return false;
        }
    };
    for (address, _) in &pairs {
        ui_state.probes.insert(
            address.clone(),
            ui::ProbeMark {
                ok: false,
                answered: false,
                short: "… probing".into(),
            },
        );
    }
    ui_state.status = Some(format!("probing {} AAA servers…", pairs.len()));
    let done = done.clone();
    tokio::spawn(async move {
        let results = crate::probe::run(&targets, &settings).await;
        let addresses = pairs.into_iter().map(|(a, _)| a);
        // The console may have quit meanwhile; nothing to do then.
        let _ = done.send(addresses.zip(results).collect());
    });
    true
}

/// Starts reading back the lines the focused pane shows but no longer
/// keeps, if there are any; the result arrives on `done`.
fn start_recall(
    shared: &Shared,
    ui_state: &UiState,
    config: &ConsoleConfig,
    done: &mpsc::UnboundedSender<(Family, Recalled)>,
) -> Option<(Family, std::ops::Range<u64>)> {
    let (family, range, runs, mut readers) = {
        let model = shared.model();
        let (family, range) = ui_state.recall_wanted(&model, recall::MARGIN)?;
        let runs = model.store(family).recall_index().runs_for(range.clone());
        let readers: Vec<_> = (0..model.sources.len())
            .map(|i| model.new_reader(i))
            .collect();
        (family, range, runs, readers)
    };
    let max_line = config.ingest.max_line;
    let done = done.clone();
    let wanted = range.clone();
    tokio::task::spawn_blocking(move || {
        let recalled = recall::read(&runs, range, &mut readers, max_line);
        // The console may have quit meanwhile; nothing to do then.
        let _ = done.send((family, recalled));
    });
    Some((family, wanted))
}

/// Sets its flag when dropped (the terminal loop returned).
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// When the terminal loop draws: only when something changed, at most
/// `rate` frames a second however fast lines arrive, and at once after a
/// key (an operator waits for the answer to a key, not for a frame slot).
#[derive(Clone, Copy, Debug)]
struct FramePacer {
    interval: Duration,
    last_draw: Instant,
    pending: bool,
}

impl FramePacer {
    /// A pacer that wants the first frame at once.
    fn new(rate: u32, now: Instant) -> Self {
        let interval = Duration::from_secs(1) / rate.max(1);
        FramePacer {
            interval,
            last_draw: now.checked_sub(interval).unwrap_or(now),
            pending: true,
        }
    }

    /// Something on screen changed.
    fn changed(&mut self) {
        self.pending = true;
    }

    /// A key was handled: draw now, not at the next slot.
    fn key(&mut self, now: Instant) {
        self.pending = true;
        self.last_draw = now.checked_sub(self.interval).unwrap_or(self.last_draw);
    }

    /// When the next frame is due; `None` while nothing changed.
    fn next_frame(&self) -> Option<Instant> {
        self.pending.then(|| self.last_draw + self.interval)
    }

    fn drawn(&mut self, now: Instant) {
        self.last_draw = now;
        self.pending = false;
    }
}

const SIGHUP: i32 = 1;
const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;

/// How long the normal shutdown after a signal may take before the fallback
/// ends the process. Generous: on a loaded two-core machine stopping the
/// sources and flushing the journal's writer thread was seen to take over
/// two seconds, and the fallback skips every drop.
const EXIT_GRACE: Duration = Duration::from_secs(5);

/// A signal asked to quit, and the normal path (return, restore the
/// terminal, stop the sources) is about to run. tokio keeps its handlers for
/// the life of the process, so a second signal would otherwise do nothing:
/// if one arrives, or the normal path has not ended the process within
/// [`EXIT_GRACE`], restore the terminal here and exit with 128 + the signal.
fn arm_exit_fallback(signo: i32) {
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        // Waited on here, not in tasks of their own: at the runtime's
        // shutdown such tasks are cancelled, and a cancelled wait read as a
        // second signal made a clean exit end with 128 + the signal.
        let mut term = signal(SignalKind::terminate()).ok();
        let mut hup = signal(SignalKind::hangup()).ok();
        let mut int = signal(SignalKind::interrupt()).ok();
        tokio::select! {
            () = delivered(term.as_mut()) => {}
            () = delivered(hup.as_mut()) => {}
            () = delivered(int.as_mut()) => {}
            () = tokio::time::sleep(EXIT_GRACE) => {}
        }
        restore_terminal();
        remove_scratch_dirs();
        std::process::exit(128 + signo);
    });
}

/// Completes when `signal` is delivered; never when it has no handler or
/// its stream has ended (the runtime is shutting down), so only a real
/// signal, never the end of a wait, counts as one.
async fn delivered(signal: Option<&mut tokio::signal::unix::Signal>) {
    if let Some(signal) = signal
        && signal.recv().await.is_some()
    {
        return;
    }
    std::future::pending::<()>().await;
}

/// Directories that exist only for this run (the demo's copy of the sample
/// logs and its practice journal). The normal path removes them when their
/// owner is dropped; the exit fallback skips every drop, so it removes them
/// here. A terminal closing sends SIGHUP more than once, so that is the
/// path a hang-up usually takes.
static SCRATCH_DIRS: std::sync::Mutex<Vec<std::path::PathBuf>> = std::sync::Mutex::new(Vec::new());

/// Registers `dir` to be removed if a signal ends the process through the
/// exit fallback.
pub fn remove_on_signal_exit(dir: &std::path::Path) {
    if let Ok(mut dirs) = SCRATCH_DIRS.lock() {
        dirs.push(dir.to_path_buf());
    }
}

fn remove_scratch_dirs() {
    if let Ok(dirs) = SCRATCH_DIRS.lock() {
        for dir in dirs.iter() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Everything vpnwatch changes in the terminal, undone: raw mode and the
/// alternate screen (`ratatui::restore`) and the hidden cursor (normally
/// shown again when the `Terminal` is dropped, which an exit skips), and
/// mouse capture. Bracketed paste and keyboard flags are never enabled.
fn restore_terminal() {
    let _ = ratatui::crossterm::execute!(
        std::io::stdout(),
        ratatui::crossterm::event::DisableMouseCapture
    );
    // Not `ratatui::restore`: it reports a failure with `eprintln!`, which
    // panics when the terminal has hung up (SIGHUP) and so aborts the exit.
    let _ = ratatui::try_restore();
    let _ = ratatui::crossterm::execute!(std::io::stdout(), ratatui::crossterm::cursor::Show);
}

fn handle_action(
    action: Action,
    shared: &Shared,
    ui_state: &mut UiState,
    config: &ConsoleConfig,
    journal: &mut actions::JournalQueue,
    background: &actions::Background,
) {
    // Over the help, the scrolling keys scroll it; any other key closes it.
    let scrolls = matches!(
        action,
        Action::Move(_) | Action::PageUp | Action::PageDown | Action::Home | Action::End
    );
    if ui_state.show_help && !scrolls && !matches!(action, Action::ToggleHelp | Action::CloseHelp) {
        ui_state.show_help = false;
        return;
    }
    let mut model = shared.model();
    if actions::handle(action, &mut model, ui_state, config, journal, background) {
        return;
    }
    let Some(target) = ui_state.apply(action, &model) else {
        return;
    };
    actions::set_step(&mut model, ui_state, target, &config.operator, journal);
}

/// Whether an input's role and format are detected again when its file is
/// recreated, and whether they are still to be detected from the first
/// lines that arrive (the file is missing or empty now). A role forced with
/// `--headend/--client/--auth`, stdin and globs are left as planned.
pub(super) fn late_detection(input: &super::Input) -> (bool, bool) {
    let super::InputPath::File(path) = &input.path else {
        return (false, false);
    };
    if input.family.is_some() || crate::source::glob::is_pattern(path) {
        return (false, false);
    }
    let empty = std::fs::metadata(path).map_or(true, |m| m.len() == 0);
    (true, empty && input.format.is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_missing_or_empty_at_start_are_detected_when_lines_arrive() {
        use super::super::{Input, InputPath};
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str| Input::new(InputPath::File(dir.path().join(name)));
        std::fs::write(dir.path().join("empty.log"), "").unwrap();
        std::fs::write(dir.path().join("asa.log"), "x\n").unwrap();
        assert_eq!(late_detection(&file("missing.log")), (true, true));
        assert_eq!(late_detection(&file("empty.log")), (true, true));
        // Read now (detected at start), detected again if recreated.
        assert_eq!(late_detection(&file("asa.log")), (true, false));
        let forced = Input {
            family: Some(crate::vocab::Family::Client),
            ..file("missing.log")
        };
        assert_eq!(late_detection(&forced), (false, false));
        assert_eq!(
            late_detection(&Input::new(InputPath::Stdin)),
            (false, false)
        );
    }

    /// Drives the pacer the way the loop does, one millisecond at a time,
    /// and counts the frames drawn.
    fn frames_drawn(
        pacer: &mut FramePacer,
        start: Instant,
        ms: u64,
        change: impl Fn(u64) -> bool,
    ) -> u32 {
        let mut frames = 0;
        for t in 0..ms {
            let now = start + Duration::from_millis(t);
            if change(t) {
                pacer.changed();
            }
            if pacer.next_frame().is_some_and(|due| due <= now) {
                pacer.drawn(now);
                frames += 1;
            }
        }
        frames
    }

    #[test]
    fn a_flood_of_changes_draws_at_most_the_frame_rate() {
        let start = Instant::now();
        let mut pacer = FramePacer::new(FRAME_RATE, start);
        // A change every millisecond for two seconds: one frame per slot
        // (a slot is 33.3 ms; drawn on whole milliseconds, some take 34).
        let frames = frames_drawn(&mut pacer, start, 2000, |_| true);
        assert!(
            (2 * FRAME_RATE - 2..=2 * FRAME_RATE + 1).contains(&frames),
            "{frames} frames"
        );
    }

    #[test]
    fn nothing_changed_draws_nothing() {
        let start = Instant::now();
        let mut pacer = FramePacer::new(FRAME_RATE, start);
        // The first frame, then silence.
        assert_eq!(frames_drawn(&mut pacer, start, 2000, |_| false), 1);
        assert_eq!(pacer.next_frame(), None);
        // One change, one frame.
        assert_eq!(
            frames_drawn(&mut pacer, start + Duration::from_secs(3), 1000, |t| t
                == 500),
            1
        );
    }

    #[test]
    fn a_key_is_answered_at_once() {
        let start = Instant::now();
        let mut pacer = FramePacer::new(FRAME_RATE, start);
        pacer.drawn(start);
        let now = start + Duration::from_millis(1);
        pacer.changed();
        assert!(
            pacer.next_frame().is_some_and(|due| due > now),
            "a change waits for its slot"
        );
        pacer.key(now);
        assert!(
            pacer.next_frame().is_some_and(|due| due <= now),
            "a key does not"
        );
    }
}
