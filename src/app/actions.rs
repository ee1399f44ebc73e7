//! The dashboard's incident actions: notes, mitigated/resolved marks,
//! evidence bundles, reports, copying a command, and keeping the checklist
//! in step with the shared journal.
//!
//! Every journaled action goes through [`Journaling::submit`]: append
//! (fsynced), then read the journal back from where this console last read
//! it and apply every new record in file order — this console's own and any
//! other console's. Nothing is applied that is not on disk, and every
//! console applies the same records in the same order, so all of them show
//! what a fresh replay of the file would.
//!
//! Nothing slow runs under the model's lock or on the terminal loop: the
//! dashboard's journal lives on a writer thread ([`spawn_journal_writer`])
//! whose replies the loop applies; `e` copies the user, the checklist and
//! where the user's filed lines are ([`Model::user_lines`]) and reads them
//! back and writes the bundle on a blocking thread; `r`
//! renders the report (pure) and writes it on a blocking thread. Their
//! outcomes come back as [`Finished`].

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use jiff::Timestamp;
use tokio::sync::mpsc::UnboundedSender;

use super::bundle::{self, FiledJob, Written};
use super::console::ConsoleConfig;
use super::{InputPath, clipboard, report};
use crate::engine::checklist::{Evidence, Mark, Record};
use crate::engine::evidence::DEFAULT_CONTEXT;
use crate::engine::{StepState, UserKey};
use crate::journal::{Journal, Replay};
use crate::pipeline::Model;
use crate::ui::editor::{NoteEdit, edit_note_key};
use crate::ui::{Action, UiState};

/// What the journal is asked to do.
#[derive(Debug)]
pub enum JournalJob {
    /// Append a record, then read back; `saved` is the status to show once
    /// it is on disk.
    Append {
        record: Record,
        saved: Option<String>,
    },
    /// Read back what other consoles appended.
    Poll,
}

/// What the journal did: the records read back (or why not), and for an
/// append whether it was saved.
#[derive(Debug)]
pub struct JournalReply {
    read: Result<Replay, String>,
    appended: Option<Result<Option<String>, String>>,
}

/// Does a journal job: the journal's I/O (append with fsync, read back).
pub fn run_journal_job(journal: &mut Journal, job: JournalJob) -> JournalReply {
    let poll = |j: &mut Journal| j.poll().map_err(|e| e.to_string());
    match job {
        JournalJob::Poll => JournalReply {
            read: poll(journal),
            appended: None,
        },
        JournalJob::Append { record, saved } => match journal.append(&record) {
            Ok(()) => JournalReply {
                read: poll(journal),
                appended: Some(Ok(saved)),
            },
            Err(e) => JournalReply {
                read: Ok(Replay::default()),
                appended: Some(Err(format!("not saved: {e}"))),
            },
        },
    }
}

/// Applies a journal reply to the model (pure). Returns whether anything
/// changed.
pub fn apply_journal_reply(model: &mut Model, ui: &mut UiState, reply: JournalReply) -> bool {
    if let Some(Ok(_)) = &reply.appended {
        ui.status = None;
    }
    let changed = match reply.read {
        Ok(replay) => {
            if let Some(w) = replay.warnings.last() {
                ui.status = Some(w.clone());
            }
            let mut changed = !replay.warnings.is_empty();
            for r in &replay.records {
                changed |= model.checklist.apply(r);
            }
            changed
        }
        Err(e) => {
            ui.status = Some(format!("journal not read: {e}"));
            true
        }
    };
    match reply.appended {
        Some(Ok(Some(saved))) => ui.status = Some(saved),
        Some(Err(why)) => ui.status = Some(why),
        _ => return changed,
    }
    true
}

/// Where journal jobs go: straight to a [`Journal`] (tests, one-shot
/// commands) or to the dashboard's writer thread.
pub trait Journaling {
    fn submit(&mut self, model: &mut Model, ui: &mut UiState, job: JournalJob);
}

impl Journaling for Journal {
    fn submit(&mut self, model: &mut Model, ui: &mut UiState, job: JournalJob) {
        let reply = run_journal_job(self, job);
        apply_journal_reply(model, ui, reply);
    }
}

/// The dashboard's journal: jobs go to the writer thread, replies come
/// back to the terminal loop. Dropping it waits until every job submitted
/// is on disk (an action taken just before quitting is not lost).
pub struct JournalQueue {
    jobs: Option<std::sync::mpsc::Sender<JournalJob>>,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl Journaling for JournalQueue {
    fn submit(&mut self, _model: &mut Model, ui: &mut UiState, job: JournalJob) {
        let sent = self
            .jobs
            .as_ref()
            .is_some_and(|jobs| jobs.send(job).is_ok());
        if !sent {
            ui.status = Some("not saved: the journal writer stopped".into());
        }
    }
}

impl Drop for JournalQueue {
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// Moves the journal to a thread of its own: appends (each fsynced) and
/// reads happen there, in the order submitted; each reply goes to
/// `replies`. The thread ends when the queue is dropped, after the jobs
/// already submitted.
pub fn spawn_journal_writer(
    mut journal: Journal,
    replies: UnboundedSender<JournalReply>,
) -> std::io::Result<JournalQueue> {
    let (tx, rx) = std::sync::mpsc::channel::<JournalJob>();
    let writer = std::thread::Builder::new()
        .name("vpnwatch-journal".into())
        .spawn(move || {
            for job in rx {
                // Once the terminal loop is gone nobody reads the replies,
                // but what was submitted is still written.
                let _ = replies.send(run_journal_job(&mut journal, job));
            }
        })?;
    Ok(JournalQueue {
        jobs: Some(tx),
        writer: Some(writer),
    })
}

/// Applies every record appended to the journal since this console last
/// read it.
pub fn sync(model: &mut Model, ui: &mut UiState, journal: &mut dyn Journaling) {
    journal.submit(model, ui, JournalJob::Poll);
}

/// Journals a record and then shows it (by reading it back); `saved` is
/// the status once it is on disk. A failure shows in the status line.
pub fn record(
    model: &mut Model,
    ui: &mut UiState,
    journal: &mut dyn Journaling,
    rec: Record,
    saved: Option<String>,
) {
    // What `U` can take back (counted when submitted: an undo of a record
    // that did not reach the disk matches nothing and changes nothing); an
    // undo itself is not undone.
    if !matches!(rec, Record::Undo(_)) {
        ui.written.push(rec.clone());
    }
    journal.submit(model, ui, JournalJob::Append { record: rec, saved });
}

/// A key while the footer asks to confirm `M` or `R`: `y` journals the
/// mark, any other key (Esc) cancels it.
pub fn confirm_key(
    model: &mut Model,
    ui: &mut UiState,
    key: ratatui::crossterm::event::KeyEvent,
    operator: &str,
    journal: &mut dyn Journaling,
) {
    use ratatui::crossterm::event::{KeyCode, KeyEventKind};
    if key.kind == KeyEventKind::Release {
        return;
    }
    let Some(action) = ui.confirm.take() else {
        return;
    };
    if key.code != KeyCode::Char('y') {
        ui.status = Some("not marked".into());
        return;
    }
    let mark = Mark {
        ts: Timestamp::now(),
        operator: operator.to_string(),
        note: None,
    };
    let (rec, word) = if action == Action::MarkMitigated {
        (Record::Mitigated(mark), "MITIGATED")
    } else {
        (Record::Resolved(mark), "RESOLVED")
    };
    let saved = format!("incident marked {word} (U undoes)");
    record(model, ui, journal, rec, Some(saved));
}

/// `U`: journals an undo of the newest record this console wrote that is
/// still in force; every console and the report read it back.
pub fn undo_last(
    model: &mut Model,
    ui: &mut UiState,
    operator: &str,
    journal: &mut dyn Journaling,
) {
    let Some(last) = ui.written.pop() else {
        ui.status = Some("nothing this console journaled is left to undo".into());
        return;
    };
    if let Some(undo) = last.undo(operator, Timestamp::now()) {
        let saved = format!("undone: {}", last.describe());
        record(model, ui, journal, undo, Some(saved));
    }
}

/// `e` and `r` act on the user in the Users pane or the drill-down; from
/// another pane they say so instead of picking the top user silently.
fn needs_users_pane(ui: &mut UiState, key: char) -> bool {
    if ui.focus == crate::ui::Focus::Users || ui.detail.is_some() {
        return false;
    }
    ui.status = Some(format!(
        "{key}: focus the Users pane (Tab) or open a user (Enter) first"
    ));
    true
}

/// A step change, journaled first.
pub fn set_step(
    model: &mut Model,
    ui: &mut UiState,
    to: StepState,
    operator: &str,
    journal: &mut dyn Journaling,
) {
    if let Some(rec) = model
        .checklist
        .change(ui.step_selected, to, operator, Timestamp::now())
    {
        record(model, ui, journal, rec, None);
    }
}

/// A key while the note editor is open.
pub fn note_key(
    model: &mut Model,
    ui: &mut UiState,
    key: ratatui::crossterm::event::KeyEvent,
    operator: &str,
    journal: &mut dyn Journaling,
) {
    if let NoteEdit::Save(text) = edit_note_key(ui, key)
        && let Some(rec) = model
            .checklist
            .note(ui.step_selected, &text, operator, Timestamp::now())
    {
        record(model, ui, journal, rec, Some("note saved".into()));
    }
}

/// Work that finished off the terminal loop.
#[derive(Debug)]
pub enum Finished {
    /// An evidence bundle for `user` taken at `at`: where it is (and
    /// whether it lacks lines), or why not.
    Bundle {
        user: UserKey,
        at: Timestamp,
        result: Result<Written, String>,
    },
    /// A report: its path, or why not.
    Report(Result<PathBuf, String>),
}

/// Where the actions that run off the terminal loop report back, and the
/// flag that stops them when the dashboard quits.
#[derive(Clone, Debug)]
pub struct Background {
    pub finished: UnboundedSender<Finished>,
    pub cancel: Arc<AtomicBool>,
}

/// Carries out the actions that journal or write files. Returns false for
/// any other action.
pub fn handle(
    action: Action,
    model: &mut Model,
    ui: &mut UiState,
    config: &ConsoleConfig,
    journal: &mut dyn Journaling,
    background: &Background,
) -> bool {
    let now = Timestamp::now();
    match action {
        // `n` in a log pane with a search: the next match.
        Action::EditNote if ui.n_is_next_match() => ui.step_search(model, true),
        Action::EditNote => {
            if model.checklist.items().get(ui.step_selected).is_some() {
                ui.focus = crate::ui::Focus::Checklist;
                ui.note_editor = Some(String::new());
            }
        }
        Action::CopyCommand => copy_command(model, ui),
        Action::MarkMitigated | Action::MarkResolved => {
            let word = if action == Action::MarkMitigated {
                "MITIGATED"
            } else {
                "RESOLVED"
            };
            ui.confirm = Some(action);
            ui.status = Some(format!(
                "mark the incident {word}?  y confirms · Esc cancels"
            ));
        }
        Action::Undo => undo_last(model, ui, &config.operator, journal),
        Action::ExportEvidence | Action::WriteReport
            if needs_users_pane(
                ui,
                if action == Action::ExportEvidence {
                    'e'
                } else {
                    'r'
                },
            ) => {}
        Action::ExportEvidence => {
            if let Some(mut job) = evidence_job(model, ui, config, now) {
                job.dir = output_dir(config);
                spawn_bundle(job, background.clone());
            }
        }
        Action::WriteReport => {
            // Rendering is pure; the file is written off the loop.
            let md = report::render(&report::ReportInput {
                incident: &model.incident,
                checklist: &model.checklist,
                sources: &model
                    .sources
                    .iter()
                    .map(|s| (s.name.clone(), s.family, s.lines))
                    .collect::<Vec<_>>(),
                journal: &config.journal.display().to_string(),
                generated_at: now,
            });
            let dir = output_dir(config);
            let done = background.finished.clone();
            ui.status = Some("writing the report…".into());
            tokio::task::spawn_blocking(move || {
                let result = report::write_file(&dir, &md, now).map_err(|e| format!("{e:#}"));
                let _ = done.send(Finished::Report(result));
            });
        }
        _ => return false,
    }
    true
}

/// Applies what finished off the loop: a written bundle is journaled.
pub fn finished(
    done: Finished,
    model: &mut Model,
    ui: &mut UiState,
    operator: &str,
    journal: &mut dyn Journaling,
) {
    match done {
        Finished::Bundle {
            user,
            at,
            result: Ok(Written { path, partial }),
        } => {
            let rec = Record::Evidence(Evidence {
                ts: at,
                operator: operator.to_string(),
                user: user.to_string(),
                path: path.display().to_string(),
                redacted: false,
            });
            let saved = bundle_written(&path, partial.as_deref());
            record(model, ui, journal, rec, Some(saved));
        }
        Finished::Bundle { result: Err(e), .. } => {
            ui.status = Some(format!("evidence bundle not written: {e}"))
        }
        Finished::Report(Ok(p)) => ui.status = Some(format!("report written: {}", p.display())),
        Finished::Report(Err(e)) => ui.status = Some(format!("report not written: {e}")),
    }
}

/// The status line after `e`. The status line is one row, cut at the
/// terminal's width: that the bundle may lack lines comes before the path
/// and the command, so that even 80 columns show it and a partial bundle
/// never reads as complete.
fn bundle_written(path: &Path, full_command: Option<&str>) -> String {
    match full_command {
        Some(command) => format!(
            "evidence bundle written: may lack some of the user's lines (its README.txt says \
             which): {}; all of them: {command}",
            path.display()
        ),
        None => format!("evidence bundle written: {}", path.display()),
    }
}

/// Where bundles and reports go: the current directory, where the default
/// journal is too. (Not beside the journal: `demo` keeps its journal in a
/// temporary directory that is removed on exit.)
fn output_dir(_config: &ConsoleConfig) -> PathBuf {
    PathBuf::new()
}

fn copy_command(model: &Model, ui: &mut UiState) {
    // In a log pane `y` copies the line under the cursor.
    if ui.detail.is_none() && ui.log_focus().is_some() {
        let Some(line) = ui.cursor_text(model) else {
            ui.status = Some("no line under the cursor to copy".into());
            return;
        };
        let mut out = std::io::stdout().lock();
        ui.status = Some(match clipboard::copy(&mut out, &line) {
            Ok(()) => "line copied to the clipboard (OSC 52)".to_string(),
            Err(e) => format!("not copied: {e}"),
        });
        return;
    }
    let Some(item) = model.checklist.items().get(ui.step_selected) else {
        return;
    };
    if item.commands.is_empty() {
        ui.status = Some(format!("step {} has no command to copy", item.id));
        return;
    }
    let n = item.commands.len();
    let command = &item.commands[ui.copy_next % n];
    let mut out = std::io::stdout().lock();
    ui.status = Some(match clipboard::copy(&mut out, command) {
        Ok(()) => format!(
            "copied to the clipboard (OSC 52): {}{}",
            clipboard::clean_command(command),
            if n > 1 {
                format!("  ({}/{n}, y for the next)", ui.copy_next % n + 1)
            } else {
                String::new()
            }
        ),
        Err(e) => format!("not copied: {e}"),
    });
    let _ = out.flush();
    ui.copy_next = (ui.copy_next + 1) % n;
}

/// The command that bundles every line of `user`'s from the dashboard's
/// files, read whole: what a bundle made from the dashboard's references
/// points to when it lacks lines.
pub fn full_bundle_command(config: &ConsoleConfig, user: &UserKey) -> String {
    let name = match user {
        UserKey::Named(n) | UserKey::Hidden(n) => n.clone(),
        UserKey::Spray(ip) => format!("(spray) {ip}"),
        UserKey::Other(_) => user.to_string(),
    };
    let mut words = vec![
        "vpnwatch".to_string(),
        "bundle".into(),
        "--user".into(),
        shell_word(&name),
    ];
    for input in &config.inputs {
        if let InputPath::File(p) = &input.path {
            words.push(shell_word(&p.display().to_string()));
        }
    }
    words.join(" ")
}

/// `word` as one shell word: as it is when it is plain, else in single
/// quotes.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./,:@+=".contains(&b));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// `e`: what the bundle needs, copied out of the model (the user, the
/// user's statistics, the checklist, where the user's filed lines are), so
/// the model's lock can be released before any line is read back. Written
/// in the current directory. While the lines before the panes' first are
/// still being counted, their number (and so the line numbers) is not
/// known yet: `e` says so and waits for another press.
pub fn evidence_job(
    model: &Model,
    ui: &mut UiState,
    config: &ConsoleConfig,
    now: Timestamp,
) -> Option<FiledJob> {
    let Some(user) = ui.detail.clone().or_else(|| ui.selected_user(model)) else {
        ui.status = Some("no user selected (Users pane)".into());
        return None;
    };
    if model.backlog_progress().is_some() {
        ui.status = Some(
            "e: the logs' earlier lines are still being counted (header); press e again when done"
                .into(),
        );
        return None;
    }
    ui.status = Some(format!("writing the evidence bundle for {user}…"));
    Some(FiledJob {
        stats: model.incident.user(&user).cloned(),
        lines: model.user_lines(&user),
        full_command: full_bundle_command(config, &user),
        user,
        checklist: model.checklist.clone(),
        context: DEFAULT_CONTEXT,
        operator: config.operator.clone(),
        dir: PathBuf::new(),
        taken_at: now,
        incident_now: model.incident.now(),
        time_marks: model.incident.time_marks().clone(),
        max_line: config.ingest.max_line,
    })
}

/// Writes a bundle on a blocking thread; the outcome goes to
/// `background.finished`.
pub fn spawn_bundle(mut job: FiledJob, background: Background) -> tokio::task::JoinHandle<()> {
    tokio::task::spawn_blocking(move || {
        let result =
            bundle::write_filed(&mut job, &background.cancel).map_err(|e| format!("{e:#}"));
        let _ = background.finished.send(Finished::Bundle {
            user: job.user,
            at: job.taken_at,
            result,
        });
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::checklist::Checklist;
    use crate::parse::ParseContext;
    use crate::runbook;
    use std::path::Path;

    fn console(path: &Path) -> (Model, UiState, Journal) {
        let rb = runbook::parse("## Steps\n1. one\n2. two\n").unwrap();
        let model = Model::new(Vec::new(), &rb, 10, ParseContext::default());
        let (journal, _) = Journal::open(path).unwrap();
        (model, UiState::default(), journal)
    }

    fn states(model: &Model) -> Vec<StepState> {
        model.checklist.items().iter().map(|i| i.state).collect()
    }

    #[test]
    fn two_consoles_converge_on_the_files_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let (mut ma, mut ua, mut ja) = console(&path);
        let (mut mb, mut ub, mut jb) = console(&path);
        // Both act on step 1 before seeing each other's change.
        set_step(&mut ma, &mut ua, StepState::Doing, "ana", &mut ja);
        set_step(&mut mb, &mut ub, StepState::Skipped, "bo", &mut jb);
        // B read A's record back before its own: it already agrees.
        assert_eq!(states(&mb), [StepState::Skipped, StepState::Todo]);
        assert_eq!(states(&ma), [StepState::Doing, StepState::Todo]);
        sync(&mut ma, &mut ua, &mut ja);
        assert_eq!(states(&ma), states(&mb), "A picks up B's change");

        // The state equals a fresh replay of the file.
        let rb = runbook::parse("## Steps\n1. one\n2. two\n").unwrap();
        let mut fresh = Checklist::new(&rb);
        let bytes = std::fs::read(&path).unwrap();
        for r in crate::journal::replay(&path, &bytes).records {
            fresh.apply(&r);
        }
        assert_eq!(fresh, ma.checklist);
        assert_eq!(fresh, mb.checklist);
    }

    #[test]
    fn a_note_is_journaled_on_enter_and_dropped_on_esc() {
        use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let (mut m, mut ui, mut j) = console(&path);
        let key = |c| KeyEvent::new(c, KeyModifiers::NONE);
        ui.note_editor = Some(String::new());
        for c in "called ISE".chars() {
            note_key(&mut m, &mut ui, key(KeyCode::Char(c)), "ana", &mut j);
        }
        note_key(&mut m, &mut ui, key(KeyCode::Enter), "ana", &mut j);
        assert_eq!(m.checklist.items()[0].notes[0].text, "called ISE");
        ui.note_editor = Some("draft".into());
        note_key(&mut m, &mut ui, key(KeyCode::Esc), "ana", &mut j);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.contains(r#""kind":"note""#), "{text}");
    }

    const ANN_FAILS: &str = "<166>Nov 28 2026 08:45:59 vpn-asa-01 : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.20.0.11 : user = ann : user IP = 203.0.113.5\n";
    const OTHER: &str = "<166>Nov 28 2026 08:46:00 vpn-asa-01 : %ASA-6-302013: Built inbound TCP connection 1 for x\n";

    /// A dashboard model that read the lines of `text` from `skip` on from
    /// the file at `path`, as its file source delivers them (a batch with
    /// its span; the pane numbers them from 1), with ann selected.
    fn model_of_file(path: &Path, text: &str, skip: usize, retain: usize) -> (Model, UiState) {
        use crate::vocab::{FileKey, FileSpan, LineBatch, SourceId};
        std::fs::write(path, text).unwrap();
        let rb = runbook::parse("## Steps\n1. one\n").unwrap();
        let sources = vec![crate::pipeline::SourceState::new(
            "asa.log".into(),
            crate::vocab::Family::Headend,
        )];
        let mut model = Model::new(sources, &rb, retain, ParseContext::default());
        let start: usize = text.lines().take(skip).map(|l| l.len() + 1).sum();
        let mut batch = LineBatch::new(1);
        for line in text.lines().skip(skip) {
            batch.push(line.as_bytes());
        }
        batch.span = Some(FileSpan {
            file: Arc::new(FileKey {
                path: path.to_path_buf(),
                id: None,
            }),
            start: start as u64,
            end: text.len() as u64,
        });
        model.ingest(SourceId(0), &batch);
        let ui = UiState {
            detail: Some(UserKey::Named("ann".into())),
            ..UiState::default()
        };
        (model, ui)
    }

    /// Every entry of a written bundle whose path contains `part`, joined.
    fn entry(path: &Path, part: &str) -> String {
        let file = std::fs::File::open(path).unwrap();
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
        let mut text = String::new();
        for entry in tar.entries().unwrap() {
            let mut entry = entry.unwrap();
            if entry.path().unwrap().to_string_lossy().contains(part) {
                std::io::Read::read_to_string(&mut entry, &mut text).unwrap();
            }
        }
        text
    }

    /// A runtime that does not wait for blocking tasks when dropped, so a
    /// failing test ends instead of waiting on a log that never comes.
    struct Runtime(Option<tokio::runtime::Runtime>);

    impl std::ops::Deref for Runtime {
        type Target = tokio::runtime::Runtime;
        fn deref(&self) -> &Self::Target {
            self.0.as_ref().unwrap()
        }
    }

    impl Drop for Runtime {
        fn drop(&mut self) {
            if let Some(rt) = self.0.take() {
                rt.shutdown_background();
            }
        }
    }

    fn runtime() -> Runtime {
        Runtime(Some(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap(),
        ))
    }

    /// How long a test waits for something that must happen before it
    /// fails; nothing here sleeps.
    const BOUND: std::time::Duration = std::time::Duration::from_secs(20);

    #[test]
    fn e_reads_the_users_lines_back_off_the_loop_without_the_model_lock() {
        let rt = runtime();
        let _enter = rt.enter();
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("asa.log");
        let text = format!("{OTHER}{OTHER}{ANN_FAILS}{OTHER}{OTHER}{OTHER}{OTHER}{OTHER}");
        // One line retained: ann's line is read back from the file.
        let (model, mut ui) = model_of_file(&log, &text, 0, 1);
        let model = std::sync::Mutex::new(model);
        let cfg = config(&dir.path().join("j.jsonl"));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let background = Background {
            finished: tx,
            cancel: Arc::new(AtomicBool::new(false)),
        };
        // The key copies under the lock; no file is opened.
        let job = {
            let guard = model.lock().unwrap();
            evidence_job(&guard, &mut ui, &cfg, Timestamp::now())
        };
        let mut job = job.expect("ann is selected");
        assert_eq!(
            ui.status.as_deref(),
            Some("writing the evidence bundle for ann…")
        );
        job.dir = dir.path().to_path_buf();
        // The model stays locked until the bundle is written: its I/O does
        // not need the lock.
        let guard = model.lock().unwrap();
        let handle = spawn_bundle(job, background);
        let done = rt
            .block_on(async { tokio::time::timeout(BOUND, rx.recv()).await })
            .expect("the bundle finishes while the model is locked");
        drop(guard);
        rt.block_on(handle).unwrap();
        let Some(Finished::Bundle {
            user,
            result: Ok(Written { path, partial }),
            ..
        }) = done
        else {
            panic!("{done:?}");
        };
        assert_eq!(user, UserKey::Named("ann".into()));
        assert!(path.starts_with(dir.path()), "{}", path.display());
        assert_eq!(partial, None, "every line of ann's is in it");
        // Ann's line, marked with its cause, and three lines each side.
        let lines = entry(&path, "lines/");
        let numbers: Vec<&str> = lines.lines().map(|l| &l[..9]).collect();
        assert_eq!(
            numbers,
            [
                "       1:",
                "       2:",
                ">      3:",
                "       4:",
                "       5:",
                "       6:"
            ],
            "{lines}"
        );
        assert!(
            lines.contains(">      3: [bad_credentials] <166>"),
            "{lines}"
        );
        let readme = entry(&path, "README.txt");
        assert!(
            readme.contains("1 of the user's lines out of 8 in asa.log"),
            "{readme}"
        );
        assert!(!readme.contains("Not in this bundle"), "{readme}");
    }

    #[test]
    fn past_the_cap_or_the_backlog_the_bundle_says_what_it_lacks_and_how_to_get_it() {
        use crate::engine::incident::USER_LINES_CAP;
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("asa.log");
        // Five lines before the backlog, then ann failing past the cap.
        let text = format!(
            "{}{}",
            OTHER.repeat(5),
            ANN_FAILS.repeat(USER_LINES_CAP + 10)
        );
        let (mut model, mut ui) = model_of_file(&log, &text, 5, 1_000);
        model.set_earlier(crate::vocab::SourceId(0), None, Some(5));
        let mut cfg = config(&dir.path().join("j.jsonl"));
        cfg.inputs = vec![super::super::Input::new(InputPath::File(log.clone()))];
        let mut job = evidence_job(&model, &mut ui, &cfg, Timestamp::now()).unwrap();
        job.dir = dir.path().to_path_buf();
        let written = bundle::write_filed(&mut job, &AtomicBool::new(false)).unwrap();
        let command = format!("vpnwatch bundle --user ann {}", log.display());
        let partial = written.partial.expect("the status says it is not all");
        assert_eq!(partial, command);
        // Even an 80-column status line says the bundle is not all.
        let status = bundle_written(&written.path, Some(&partial));
        let seen: String = status.chars().take(79).collect();
        assert!(seen.contains("may lack some"), "{status}");
        assert!(status.ends_with(&command), "{status}");
        let readme = entry(&written.path, "README.txt");
        assert!(readme.contains("Not in this bundle"), "{readme}");
        assert!(
            readme.contains("10 older lines of the user's that the dashboard no longer refers to"),
            "{readme}"
        );
        assert!(readme.contains("lines 1-5 of asa.log: counted"), "{readme}");
        assert!(readme.contains(&command), "{readme}");
        // Numbered as in the file. The older lines fall in the stretch read
        // back for the newer ones, so they are marked as the user's too;
        // the engine's cause is on the lines it still refers to.
        let lines = entry(&written.path, "lines/");
        let marked = lines.lines().filter(|l| l.starts_with('>')).count();
        assert_eq!(marked, USER_LINES_CAP + 10, "{lines}");
        let with_cause = lines
            .lines()
            .filter(|l| l.contains("[bad_credentials]"))
            .count();
        assert_eq!(with_cause, USER_LINES_CAP, "{lines}");
        assert!(
            lines.contains(">    415: [bad_credentials] <166>"),
            "{lines}"
        );
        assert!(lines.contains(">     15: <166>"), "{lines}");
        assert!(lines.contains("       5: <166>"), "{lines}");
        assert!(!lines.contains("       1: <166>"), "{lines}");
    }

    #[test]
    fn the_full_bundle_command_quotes_what_a_shell_would_split() {
        let mut cfg = config(Path::new("j.jsonl"));
        cfg.inputs = vec![
            super::super::Input::new(InputPath::File("/var/log/my logs/asa.log".into())),
            super::super::Input::new(InputPath::File("ise.log".into())),
        ];
        assert_eq!(
            full_bundle_command(&cfg, &UserKey::Named("o'neil x".into())),
            r"vpnwatch bundle --user 'o'\''neil x' '/var/log/my logs/asa.log' ise.log"
        );
        // A spray source as the Users pane and `bundle --user` name it.
        assert_eq!(
            full_bundle_command(&cfg, &UserKey::Spray("192.0.2.7".into())),
            "vpnwatch bundle --user '(spray) 192.0.2.7' '/var/log/my logs/asa.log' ise.log"
        );
    }

    #[test]
    fn e_waits_while_the_earlier_lines_are_counted() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("asa.log");
        let (mut model, mut ui) = model_of_file(&log, ANN_FAILS, 0, 10);
        model.hold_counting(vec![crate::vocab::SourceId(0)], 100);
        let cfg = config(&dir.path().join("j.jsonl"));
        assert!(evidence_job(&model, &mut ui, &cfg, Timestamp::now()).is_none());
        assert!(
            ui.status
                .as_deref()
                .unwrap()
                .contains("still being counted"),
            "{:?}",
            ui.status
        );
    }

    #[test]
    fn the_dashboards_journal_is_written_on_its_own_thread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let (mut model, mut ui, journal) = console(&path);
        let (tx, mut replies) = tokio::sync::mpsc::unbounded_channel();
        let mut queue = spawn_journal_writer(journal, tx).unwrap();
        set_step(&mut model, &mut ui, StepState::Doing, "ana", &mut queue);
        // Submitting only queues: nothing is applied that is not on disk.
        assert_eq!(states(&model), [StepState::Todo, StepState::Todo]);
        let reply = replies.blocking_recv().expect("the writer replies");
        // The writer appended (and fsynced) before replying.
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(r#""kind":"step""#), "{text}");
        assert!(apply_journal_reply(&mut model, &mut ui, reply));
        assert_eq!(states(&model), [StepState::Doing, StepState::Todo]);

        // Quitting right after an action: the loop (the replies' reader) is
        // gone, and the action is still written before the queue is gone.
        drop(replies);
        ui.step_selected = 1;
        set_step(&mut model, &mut ui, StepState::Done, "ana", &mut queue);
        drop(queue);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
    }

    #[test]
    fn m_asks_first_and_u_journals_an_undo_every_reader_sees() {
        use crate::engine::kpi;
        use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let (mut m, mut ui, mut j) = console(&path);
        let key = |c| KeyEvent::new(c, KeyModifiers::NONE);
        let marks = |path: &Path| {
            std::fs::read_to_string(path)
                .unwrap()
                .matches(r#""kind":"mitigated""#)
                .count()
        };
        // M asks; Esc cancels without journaling.
        ui.confirm = Some(Action::MarkMitigated);
        confirm_key(&mut m, &mut ui, key(KeyCode::Esc), "ana", &mut j);
        assert_eq!(marks(&path), 0);
        assert_eq!(ui.confirm, None);
        // y confirms.
        ui.confirm = Some(Action::MarkMitigated);
        confirm_key(&mut m, &mut ui, key(KeyCode::Char('y')), "ana", &mut j);
        assert_eq!(marks(&path), 1);
        let first_failure = Some(Timestamp::from_second(1_700_000_000).unwrap());
        assert!(
            kpi::compute(first_failure, &m.checklist)
                .mitigated
                .is_some()
        );
        // U takes it back, journaled; a fresh reader of the file agrees.
        undo_last(&mut m, &mut ui, "ana", &mut j);
        assert!(
            kpi::compute(first_failure, &m.checklist)
                .mitigated
                .is_none()
        );
        let (mut other, _, _) = console(&path);
        for r in crate::journal::replay(&path, &std::fs::read(&path).unwrap()).records {
            other.checklist.apply(&r);
        }
        assert!(
            kpi::compute(first_failure, &other.checklist)
                .mitigated
                .is_none()
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(r#""kind":"undo""#), "{text}");
        // Nothing left of this console's to undo.
        undo_last(&mut m, &mut ui, "ana", &mut j);
        assert_eq!(text, std::fs::read_to_string(&path).unwrap());
    }

    #[test]
    fn u_reverts_a_step_change_of_this_console() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let (mut m, mut ui, mut j) = console(&path);
        set_step(&mut m, &mut ui, StepState::Doing, "ana", &mut j);
        set_step(&mut m, &mut ui, StepState::Done, "ana", &mut j);
        undo_last(&mut m, &mut ui, "ana", &mut j);
        assert_eq!(states(&m), [StepState::Doing, StepState::Todo]);
        undo_last(&mut m, &mut ui, "ana", &mut j);
        assert_eq!(states(&m), [StepState::Todo, StepState::Todo]);
    }

    fn config(journal: &Path) -> ConsoleConfig {
        ConsoleConfig {
            inputs: Vec::new(),
            families: Vec::new(),
            runbook: runbook::parse("## Steps\n1. one\n2. two\n").unwrap(),
            journal: journal.to_path_buf(),
            operator: "ana".into(),
            theme: crate::ui::Theme::default(),
            retain: 10,
            ingest: super::super::sources::SourceSettings::default(),
            quiet_after: jiff::SignedDuration::from_secs(120),
            mouse: true,
            keys: Default::default(),
            probe: crate::config::ProbeConfig::default(),
            ctx: ParseContext::default(),
            limits: Default::default(),
        }
    }

    #[test]
    fn keys_ask_refuse_or_redirect_before_anything_is_journaled() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let (mut m, mut ui, mut j) = console(&path);
        let cfg = config(&path);
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let bg = Background {
            finished: tx,
            cancel: Arc::new(AtomicBool::new(false)),
        };
        // M asks in the footer; nothing is journaled yet.
        assert!(handle(
            Action::MarkMitigated,
            &mut m,
            &mut ui,
            &cfg,
            &mut j,
            &bg
        ));
        assert_eq!(ui.confirm, Some(Action::MarkMitigated));
        assert!(ui.status.as_deref().unwrap().contains("y confirms"));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "");
        ui.confirm = None;
        // e and r on the Headend pane say where to go, and write nothing.
        for action in [Action::ExportEvidence, Action::WriteReport] {
            ui.status = None;
            assert!(handle(action, &mut m, &mut ui, &cfg, &mut j, &bg));
            assert!(ui.status.as_deref().unwrap().contains("Users pane"));
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "");
        // n: the note editor in the Runbook pane, the next match in a log
        // pane with a search.
        ui.focus = crate::ui::Focus::Headend;
        ui.find.search = Some(crate::ui::search::Search {
            focus: crate::ui::Focus::Headend,
            query: crate::ui::search::Query::parse("x").unwrap(),
            at: None,
            pos: 0,
            hits: 0,
        });
        assert!(handle(Action::EditNote, &mut m, &mut ui, &cfg, &mut j, &bg));
        assert_eq!(ui.note_editor, None);
        assert_eq!(ui.status.as_deref(), Some("no match"));
        ui.focus = crate::ui::Focus::Checklist;
        assert!(handle(Action::EditNote, &mut m, &mut ui, &cfg, &mut j, &bg));
        assert_eq!(ui.note_editor.as_deref(), Some(""));
    }

    #[test]
    fn e_and_r_outside_the_users_pane_say_so() {
        let mut ui = UiState::default();
        assert!(needs_users_pane(&mut ui, 'e'));
        assert!(ui.status.as_deref().unwrap().contains("Users pane"));
        ui.focus = crate::ui::Focus::Users;
        assert!(!needs_users_pane(&mut ui, 'r'));
    }
}
