//! The dashboard's incident actions: notes, mitigated/resolved marks,
//! evidence bundles, reports, copying a command, and keeping the checklist
//! in step with the shared journal.
//!
//! Every journaled action goes through [`record`]: append (fsynced), then
//! read the journal back from where this console last read it and apply
//! every new record in file order — this console's own and any other
//! console's. Nothing is applied that is not on disk, and every console
//! applies the same records in the same order, so all of them show what a
//! fresh replay of the file would.

use std::io::Write;
use std::path::{Path, PathBuf};

use jiff::Timestamp;

use super::bundle::{self, BundleJob};
use super::console::ConsoleConfig;
use super::{InputPath, clipboard, report};
use crate::engine::checklist::{Evidence, Mark, Record};
use crate::engine::evidence::DEFAULT_CONTEXT;
use crate::engine::{Model, StepState};
use crate::journal::Journal;
use crate::parse::ParseContext;
use crate::ui::editor::{NoteEdit, edit_note_key};
use crate::ui::{Action, UiState};

/// Applies every record appended to the journal since this console last
/// read it. Returns whether anything changed.
pub fn sync(model: &mut Model, ui: &mut UiState, journal: &mut Journal) -> bool {
    match journal.poll() {
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
    }
}

/// Journals a record and then shows it (by reading it back). Returns false
/// when it could not be saved; the status line says why.
pub fn record(model: &mut Model, ui: &mut UiState, journal: &mut Journal, rec: &Record) -> bool {
    match journal.append(rec) {
        Ok(()) => {
            ui.status = None;
            // What `U` can take back; an undo itself is not undone.
            if !matches!(rec, Record::Undo(_)) {
                ui.written.push(rec.clone());
            }
            sync(model, ui, journal);
            true
        }
        Err(e) => {
            ui.status = Some(format!("not saved: {e}"));
            false
        }
    }
}

/// A step change, journaled first.
pub fn set_step(
    model: &mut Model,
    ui: &mut UiState,
    to: StepState,
    operator: &str,
    journal: &mut Journal,
) {
    if let Some(rec) = model
        .checklist
        .change(ui.step_selected, to, operator, Timestamp::now())
    {
        record(model, ui, journal, &rec);
    }
}

/// A key while the note editor is open.
pub fn note_key(
    model: &mut Model,
    ui: &mut UiState,
    key: ratatui::crossterm::event::KeyEvent,
    operator: &str,
    journal: &mut Journal,
) {
    if let NoteEdit::Save(text) = edit_note_key(ui, key)
        && let Some(rec) = model
            .checklist
            .note(ui.step_selected, &text, operator, Timestamp::now())
        && record(model, ui, journal, &rec)
    {
        ui.status = Some("note saved".into());
    }
}

/// A key while the footer asks to confirm `M` or `R`: `y` journals the
/// mark, any other key (Esc) cancels it.
pub fn confirm_key(
    model: &mut Model,
    ui: &mut UiState,
    key: ratatui::crossterm::event::KeyEvent,
    operator: &str,
    journal: &mut Journal,
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
    if record(model, ui, journal, &rec) {
        ui.status = Some(format!("incident marked {word} (U undoes)"));
    }
}

/// `U`: journals an undo of the newest record this console wrote that is
/// still in force; every console and the report read it back.
pub fn undo_last(model: &mut Model, ui: &mut UiState, operator: &str, journal: &mut Journal) {
    let Some(last) = ui.written.pop() else {
        ui.status = Some("nothing this console journaled is left to undo".into());
        return;
    };
    let Some(undo) = last.undo(operator, Timestamp::now()) else {
        return;
    };
    if record(model, ui, journal, &undo) {
        ui.status = Some(format!("undone: {}", last.describe()));
    } else {
        // Not saved: it can still be undone later.
        ui.written.push(last);
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

/// Carries out the actions that journal or write files. Returns false for
/// any other action.
pub fn handle(
    action: Action,
    model: &mut Model,
    ui: &mut UiState,
    config: &ConsoleConfig,
    journal: &mut Journal,
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
        Action::ExportEvidence => export_evidence(model, ui, config, journal, now),
        Action::WriteReport => {
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
            ui.status = Some(match report::write_file(&output_dir(config), &md, now) {
                Ok(p) => format!("report written: {}", p.display()),
                Err(e) => format!("report not written: {e:#}"),
            });
        }
        _ => return false,
    }
    true
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

fn export_evidence(
    model: &mut Model,
    ui: &mut UiState,
    config: &ConsoleConfig,
    journal: &mut Journal,
    now: Timestamp,
) {
    let Some(user) = ui.detail.clone().or_else(|| ui.selected_user(model)) else {
        ui.status = Some("no user selected (Users pane)".into());
        return;
    };
    // Files only: stdin and network sources cannot be read again.
    let files: Vec<_> = config
        .inputs
        .iter()
        .zip(&config.families)
        .filter_map(|(input, family)| match &input.path {
            InputPath::File(p) if Path::new(p).is_file() => Some((p.clone(), *family)),
            _ => None,
        })
        .collect();
    let result = bundle::read_sources(&files).and_then(|sources| {
        bundle::write(&BundleJob {
            user: &user,
            stats: model.incident.user(&user),
            sources: &sources,
            checklist: &model.checklist,
            context: DEFAULT_CONTEXT,
            redact: false,
            operator: &config.operator,
            ctx: ParseContext::default(),
            out: None,
            dir: output_dir(config),
            taken_at: now,
            incident_now: model.incident.now(),
        })
    });
    match result {
        Ok(path) => {
            let rec = Record::Evidence(Evidence {
                ts: now,
                operator: config.operator.clone(),
                user: user.to_string(),
                path: path.display().to_string(),
                redacted: false,
            });
            if record(model, ui, journal, &rec) {
                ui.status = Some(format!("evidence bundle written: {}", path.display()));
            }
        }
        Err(e) => ui.status = Some(format!("evidence bundle not written: {e:#}")),
    }
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
        assert!(sync(&mut ma, &mut ua, &mut ja), "A picks up B's change");
        assert_eq!(states(&ma), states(&mb));
        assert!(!sync(&mut ma, &mut ua, &mut ja), "nothing new");

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
        let (mut other, mut ui2, mut j2) = console(&path);
        sync(&mut other, &mut ui2, &mut j2);
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

    #[test]
    fn e_and_r_outside_the_users_pane_say_so() {
        let mut ui = UiState::default();
        assert!(needs_users_pane(&mut ui, 'e'));
        assert!(ui.status.as_deref().unwrap().contains("Users pane"));
        ui.focus = crate::ui::Focus::Users;
        assert!(!needs_users_pane(&mut ui, 'r'));
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
        }
    }

    #[test]
    fn keys_ask_refuse_or_redirect_before_anything_is_journaled() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let (mut m, mut ui, mut j) = console(&path);
        let cfg = config(&path);
        // M asks in the footer; nothing is journaled yet.
        assert!(handle(Action::MarkMitigated, &mut m, &mut ui, &cfg, &mut j));
        assert_eq!(ui.confirm, Some(Action::MarkMitigated));
        assert!(ui.status.as_deref().unwrap().contains("y confirms"));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "");
        ui.confirm = None;
        // e and r on the Headend pane say where to go, and write nothing.
        for action in [Action::ExportEvidence, Action::WriteReport] {
            ui.status = None;
            assert!(handle(action, &mut m, &mut ui, &cfg, &mut j));
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
        assert!(handle(Action::EditNote, &mut m, &mut ui, &cfg, &mut j));
        assert_eq!(ui.note_editor, None);
        assert_eq!(ui.status.as_deref(), Some("no match"));
        ui.focus = crate::ui::Focus::Checklist;
        assert!(handle(Action::EditNote, &mut m, &mut ui, &cfg, &mut j));
        assert_eq!(ui.note_editor.as_deref(), Some(""));
    }
}
