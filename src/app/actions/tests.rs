//! Tests of the dashboard's actions: journaled keys, the journal writer,
//! and `e`'s bundle jobs.

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
    for r in crate::journal::replay(&path, &bytes).unwrap().records {
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
const OTHER: &str =
    "<166>Nov 28 2026 08:46:00 vpn-asa-01 : %ASA-6-302013: Built inbound TCP connection 1 for x\n";

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
    for r in crate::journal::replay(&path, &std::fs::read(&path).unwrap())
        .unwrap()
        .records
    {
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

#[test]
fn e_on_the_other_users_row_bundles_the_state_the_panes_show() {
    use crate::engine::{IncidentLimits, UserState};
    let rb = runbook::parse("## Steps\n1. one\n").unwrap();
    let ctx = ParseContext::for_year(2026);
    let mut model = Model::new(Vec::new(), &rb, 10, ctx.clone());
    model.incident = crate::engine::Incident::with_limits(IncidentLimits { max_users: 1 });
    let header = |s: u32| format!("Jun 01 2026 10:00:{s:02} fw1 : ");
    let rejected = |s, u: &str| {
        format!(
            "{}%ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.0.0.5 : user = {u} : user IP = 192.0.2.9",
            header(s)
        )
    };
    let accepted = |s, u: &str| {
        format!(
            "{}%ASA-6-113004: AAA user authentication Successful : server = 10.0.0.5 : user = {u}",
            header(s)
        )
    };
    // Past the cap of one: amy fails and stays failing; bob fails, then
    // logs in after her. The row's own last times read "recovered".
    for line in [
        accepted(0, "tracked"),
        rejected(10, "amy"),
        rejected(20, "bob"),
        accepted(30, "bob"),
    ] {
        let ev = crate::parse::parse_line(&line, crate::vocab::Family::Headend, &ctx)
            .expect("an ASA line");
        model.incident.apply(&ev);
    }
    let other = model
        .incident
        .users()
        .map(|(k, _)| k.clone())
        .find(|k| matches!(k, UserKey::Other(_)))
        .expect("the other row");
    let stats = model.incident.user(&other).expect("the other row");
    assert_eq!(model.incident.state_of(&other, stats), UserState::Failing);
    let mut ui = UiState {
        detail: Some(other),
        ..UiState::default()
    };
    let cfg = config(Path::new("j.jsonl"));
    let mut job = evidence_job(&model, &mut ui, &cfg, Timestamp::now()).expect("a job");
    assert_eq!(job.state, UserState::Failing, "what the Users pane shows");
    let dir = tempfile::tempdir().unwrap();
    job.dir = dir.path().to_path_buf();
    let written = bundle::write_filed(&mut job, &AtomicBool::new(false)).unwrap();
    let user_json = entry(&written.path, "user.json");
    assert!(user_json.contains(r#""state": "failing""#), "{user_json}");
}
