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
//! the list of files and writes the bundle on a blocking thread; `r`
//! renders the report (pure) and writes it on a blocking thread. Their
//! outcomes come back as [`Finished`].

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use jiff::Timestamp;
use tokio::sync::mpsc::UnboundedSender;

use super::bundle::{self, BundleJob};
use super::console::ConsoleConfig;
use super::headless::HeadlessFile;
use super::{InputPath, clipboard, report};
use crate::engine::checklist::{Evidence, Mark, Record};
use crate::engine::evidence::DEFAULT_CONTEXT;
use crate::engine::{Model, StepState, UserKey};
use crate::journal::{Journal, Replay};
use crate::parse::ParseContext;
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
    let mut changed = match reply.read {
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
    changed = true;
    changed
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
/// back to the terminal loop.
pub struct JournalQueue(std::sync::mpsc::Sender<JournalJob>);

impl Journaling for JournalQueue {
    fn submit(&mut self, _model: &mut Model, ui: &mut UiState, job: JournalJob) {
        if self.0.send(job).is_err() {
            ui.status = Some("not saved: the journal writer stopped".into());
        }
    }
}

/// Moves the journal to a thread of its own: appends (each fsynced) and
/// reads happen there, in the order submitted; each reply goes to
/// `replies`. The thread ends when the queue is dropped.
pub fn spawn_journal_writer(
    mut journal: Journal,
    replies: UnboundedSender<JournalReply>,
) -> std::io::Result<JournalQueue> {
    let (tx, rx) = std::sync::mpsc::channel::<JournalJob>();
    std::thread::Builder::new()
        .name("vpnwatch-journal".into())
        .spawn(move || {
            for job in rx {
                if replies.send(run_journal_job(&mut journal, job)).is_err() {
                    break;
                }
            }
        })?;
    Ok(JournalQueue(tx))
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
    journal.submit(
        model,
        ui,
        JournalJob::Append {
            record: rec,
            saved,
        },
    );
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
    /// An evidence bundle for `user` taken at `at`: its path, or why not.
    Bundle {
        user: UserKey,
        at: Timestamp,
        result: Result<PathBuf, String>,
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
        Action::EditNote => {
            if model.checklist.items().get(ui.step_selected).is_some() {
                ui.focus = crate::ui::Focus::Checklist;
                ui.note_editor = Some(String::new());
            }
        }
        Action::CopyCommand => copy_command(model, ui),
        Action::MarkMitigated | Action::MarkResolved => {
            let mark = Mark {
                ts: now,
                operator: config.operator.clone(),
                note: None,
            };
            let (rec, word) = if action == Action::MarkMitigated {
                (Record::Mitigated(mark), "MITIGATED")
            } else {
                (Record::Resolved(mark), "RESOLVED")
            };
            record(
                model,
                ui,
                journal,
                rec,
                Some(format!("incident marked {word}")),
            );
        }
        Action::ExportEvidence => {
            if let Some(job) = evidence_job(model, ui, config, now) {
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
            result: Ok(path),
        } => {
            let rec = Record::Evidence(Evidence {
                ts: at,
                operator: operator.to_string(),
                user: user.to_string(),
                path: path.display().to_string(),
                redacted: false,
            });
            let saved = format!("evidence bundle written: {}", path.display());
            record(model, ui, journal, rec, Some(saved));
        }
        Finished::Bundle {
            result: Err(e), ..
        } => ui.status = Some(format!("evidence bundle not written: {e}")),
        Finished::Report(Ok(p)) => ui.status = Some(format!("report written: {}", p.display())),
        Finished::Report(Err(e)) => ui.status = Some(format!("report not written: {e}")),
    }
}

/// Where bundles and reports go: the current directory, where the default
/// journal is too. (Not beside the journal: `demo` keeps its journal in a
/// temporary directory that is removed on exit.)
fn output_dir(_config: &ConsoleConfig) -> PathBuf {
    PathBuf::new()
}

fn copy_command(model: &Model, ui: &mut UiState) {
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

/// `e`: what the bundle needs, copied out of the model (the user, the
/// user's statistics, the checklist) and the configuration (the files, with
/// their format and `--user`), so the model's lock can be released before
/// any file is read.
pub fn evidence_job(
    model: &Model,
    ui: &mut UiState,
    config: &ConsoleConfig,
    now: Timestamp,
) -> Option<BundleJob> {
    let Some(user) = ui.detail.clone().or_else(|| ui.selected_user(model)) else {
        ui.status = Some("no user selected (Users pane)".into());
        return None;
    };
    // Files only: stdin and network sources cannot be read again.
    let files: Vec<HeadlessFile> = config
        .inputs
        .iter()
        .zip(&config.families)
        .filter_map(|(input, family)| match &input.path {
            InputPath::File(p) if Path::new(p).is_file() => Some(HeadlessFile {
                path: p.clone(),
                family: *family,
                format: input.format,
                user: input.user.clone(),
            }),
            _ => None,
        })
        .collect();
    ui.status = Some(format!("writing the evidence bundle for {user}…"));
    Some(BundleJob {
        stats: model.incident.user(&user).cloned(),
        user,
        files,
        checklist: model.checklist.clone(),
        context: DEFAULT_CONTEXT,
        redact: false,
        operator: config.operator.clone(),
        ctx: ParseContext::default(),
        out: None,
        dir: output_dir(config),
        taken_at: now,
    })
}

/// Writes a bundle on a blocking thread; the outcome goes to
/// `background.finished`.
pub fn spawn_bundle(job: BundleJob, background: Background) -> tokio::task::JoinHandle<()> {
    tokio::task::spawn_blocking(move || {
        let result = bundle::write(&job, &background.cancel).map_err(|e| format!("{e:#}"));
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
    use crate::runbook;

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
}
