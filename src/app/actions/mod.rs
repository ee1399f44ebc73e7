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
use crate::engine::{StepState, UserKey, UserState};
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
                    .map(|s| report::ReportSource {
                        name: s.name.clone(),
                        family: s.family,
                        lines: s.lines,
                        unparsed: s.unrecognised,
                    })
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
    let stats = model.incident.user(&user);
    Some(FiledJob {
        state: stats.map_or(UserState::Ok, |s| model.incident.state_of(&user, s)),
        stats: stats.cloned(),
        lines: model.user_lines(&user),
        full_command: full_bundle_command(config, &user),
        named: bundle::named_attempts(&model.incident, &user),
        user,
        checklist: model.checklist.clone(),
        context: DEFAULT_CONTEXT,
        operator: config.operator.clone(),
        dir: output_dir(config),
        taken_at: now,
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
mod tests;
