//! The runbook checklist: each step's state, who changed it and when.
//!
//! State is derived only from [`Record`]s, the same records the journal
//! stores, so replaying a journal rebuilds exactly what the operator saw.
//! Besides step changes the journal holds notes on steps, the incident
//! lead's "mitigated" and "resolved" marks, and evidence exports; the
//! checklist keeps every applied record in order so the KPIs
//! ([`super::kpi`]) and the postmortem can be computed from it.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::runbook::Runbook;
use crate::vocab::Cause;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    #[default]
    Todo,
    Doing,
    Done,
    Skipped,
}

impl StepState {
    /// Glyph and word: the state must read without colour on a shared screen.
    pub fn label(self) -> &'static str {
        match self {
            StepState::Todo => "[ ] TODO",
            StepState::Doing => "[~] DOING",
            StepState::Done => "[x] DONE",
            StepState::Skipped => "[-] SKIP",
        }
    }

    /// The journal's word for the state.
    pub fn word(self) -> &'static str {
        match self {
            StepState::Todo => "todo",
            StepState::Doing => "doing",
            StepState::Done => "done",
            StepState::Skipped => "skipped",
        }
    }

    /// The state Space moves a step to: todo → doing → done → todo; a
    /// skipped step goes back to todo.
    pub fn next(self) -> StepState {
        match self {
            StepState::Todo => StepState::Doing,
            StepState::Doing => StepState::Done,
            StepState::Done | StepState::Skipped => StepState::Todo,
        }
    }

    pub fn is_closed(self) -> bool {
        matches!(self, StepState::Done | StepState::Skipped)
    }
}

/// One operator action, as journaled.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepChange {
    pub ts: Timestamp,
    pub operator: String,
    /// Step id from the runbook: `"2"`, or `"2.1"` for a sub-step.
    pub step: String,
    pub from: StepState,
    pub to: StepState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A note on a step (`n` in the dashboard).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepNote {
    pub ts: Timestamp,
    pub operator: String,
    pub step: String,
    pub note: String,
}

/// The incident lead's "mitigated" (`M`) or "resolved" (`R`) mark.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    pub ts: Timestamp,
    pub operator: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// An evidence bundle written for a user (`e`, `vpnwatch bundle`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub ts: Timestamp,
    pub operator: String,
    /// The user the bundle is about, as shown in the users pane.
    pub user: String,
    /// Where the bundle was written.
    pub path: String,
    #[serde(default)]
    pub redacted: bool,
}

/// An undo (`U` in the dashboard): names the record it takes back by kind,
/// time and operator, which together identify one record of one console.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Undo {
    pub ts: Timestamp,
    pub operator: String,
    /// The undone record's `kind`.
    pub undoes: String,
    /// The undone record's `ts`.
    pub undoes_ts: Timestamp,
    /// What the undone record did, for timelines that show the undo alone.
    pub what: String,
}

/// An AAA server probe run from the dashboard (`A`): what the server
/// answered, never the secret used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeCheck {
    pub ts: Timestamp,
    pub operator: String,
    /// `radius`, `ldap` or `tcp`.
    pub protocol: String,
    /// The server as probed (`10.20.0.11:1812`, `ldaps://dc01:636`).
    pub target: String,
    /// It answered and accepted the probe's own credentials.
    pub ok: bool,
    /// What happened, one line (`answered Status-Server in 4 ms`).
    pub detail: String,
}

/// A journal record. The `kind` field names the variant, so later kinds of
/// record can be added without breaking old journals: `step` (the first
/// kind) is unchanged, and a kind this version does not know is read as
/// [`Record::Unknown`] and ignored rather than reported as a bad line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    Step(StepChange),
    Note(StepNote),
    Mitigated(Mark),
    Resolved(Mark),
    Evidence(Evidence),
    /// `U`: takes back an earlier record of the same console. Every console
    /// and the report read the undo from the journal like any record.
    Undo(Undo),
    Probe(ProbeCheck),
    /// A kind written by a newer vpnwatch. Never written.
    #[serde(other)]
    Unknown,
}

impl Record {
    /// When the operator acted (wall time); `None` for an unknown kind.
    pub fn ts(&self) -> Option<Timestamp> {
        match self {
            Record::Step(c) => Some(c.ts),
            Record::Note(n) => Some(n.ts),
            Record::Mitigated(m) | Record::Resolved(m) => Some(m.ts),
            Record::Evidence(e) => Some(e.ts),
            Record::Undo(u) => Some(u.ts),
            Record::Probe(p) => Some(p.ts),
            Record::Unknown => None,
        }
    }

    /// The undo record that takes this one back.
    pub fn undo(&self, operator: &str, ts: Timestamp) -> Option<Record> {
        (!matches!(self, Record::Undo(_) | Record::Unknown)).then(|| {
            Record::Undo(Undo {
                ts,
                operator: operator.to_string(),
                undoes: self.kind().to_string(),
                undoes_ts: self.ts().unwrap_or(ts),
                what: self.describe(),
            })
        })
    }

    pub fn operator(&self) -> Option<&str> {
        match self {
            Record::Step(c) => Some(&c.operator),
            Record::Note(n) => Some(&n.operator),
            Record::Mitigated(m) | Record::Resolved(m) => Some(&m.operator),
            Record::Evidence(e) => Some(&e.operator),
            Record::Undo(u) => Some(&u.operator),
            Record::Probe(p) => Some(&p.operator),
            Record::Unknown => None,
        }
    }

    /// The `kind` word as journaled.
    pub fn kind(&self) -> &'static str {
        match self {
            Record::Step(_) => "step",
            Record::Note(_) => "note",
            Record::Mitigated(_) => "mitigated",
            Record::Resolved(_) => "resolved",
            Record::Evidence(_) => "evidence",
            Record::Undo(_) => "undo",
            Record::Probe(_) => "probe",
            Record::Unknown => "unknown",
        }
    }

    /// One line for timelines: what happened, without time and operator.
    pub fn describe(&self) -> String {
        match self {
            Record::Step(c) => {
                let mut s = format!("step {}: {} → {}", c.step, c.from.word(), c.to.word());
                if let Some(note) = &c.note {
                    s.push_str(&format!(" — {note}"));
                }
                s
            }
            Record::Note(n) => format!("note on step {}: {}", n.step, n.note),
            Record::Mitigated(m) => with_note("marked MITIGATED", &m.note),
            Record::Resolved(m) => with_note("marked RESOLVED", &m.note),
            Record::Evidence(e) => format!(
                "evidence bundle for {}{}: {}",
                e.user,
                if e.redacted { " (redacted)" } else { "" },
                e.path
            ),
            Record::Undo(u) => format!("undid: {}", u.what),
            Record::Probe(p) => format!(
                "AAA probe {} {} {}: {}",
                if p.ok { "✔" } else { "✖" },
                p.protocol,
                p.target,
                p.detail
            ),
            Record::Unknown => "unknown record".to_string(),
        }
    }
}

fn with_note(what: &str, note: &Option<String>) -> String {
    match note {
        Some(n) => format!("{what} — {n}"),
        None => what.to_string(),
    }
}

/// A note shown under its step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub ts: Timestamp,
    pub operator: String,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChecklistItem {
    pub id: String,
    /// 0 for a step, 1 for a sub-step.
    pub depth: usize,
    pub text: String,
    /// Inline code of the step: commands `y` copies.
    pub commands: Vec<String>,
    /// Causes the step addresses (runbook hints).
    pub causes: Vec<Cause>,
    pub state: StepState,
    pub changed_by: Option<String>,
    pub changed_at: Option<Timestamp>,
    /// Notes in journal order; the pane shows the last.
    pub notes: Vec<Note>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Checklist {
    pub title: String,
    items: Vec<ChecklistItem>,
    last_change: Option<Timestamp>,
    /// Every applied record, in journal order.
    history: Vec<Record>,
    /// When every step became done or skipped (cleared when one reopens).
    all_closed_at: Option<Timestamp>,
    /// Indexes into `history` of records an undo took back.
    undone: Vec<usize>,
}

impl Checklist {
    pub fn new(runbook: &Runbook) -> Self {
        let items = runbook
            .items()
            .into_iter()
            .map(|(depth, step)| ChecklistItem {
                id: step.id.clone(),
                depth,
                text: step.text.clone(),
                commands: step.commands.clone(),
                causes: step.causes.clone(),
                state: StepState::Todo,
                changed_by: None,
                changed_at: None,
                notes: Vec::new(),
            })
            .collect();
        Checklist {
            title: runbook.title.clone(),
            items,
            last_change: None,
            history: Vec::new(),
            all_closed_at: None,
            undone: Vec::new(),
        }
    }

    /// The records in force: every applied record but undos and the
    /// records they took back. The KPIs count these.
    pub fn effective(&self) -> impl Iterator<Item = &Record> {
        self.history
            .iter()
            .enumerate()
            .filter(|(i, r)| !matches!(r, Record::Undo(_)) && !self.undone.contains(i))
            .map(|(_, r)| r)
    }

    /// Whether `history()[index]` was taken back by an undo.
    pub fn is_undone(&self, index: usize) -> bool {
        self.undone.contains(&index)
    }

    /// Applies an undo: marks the newest matching record not yet undone and
    /// rebuilds the steps from the records still in force.
    fn apply_undo(&mut self, undo: &Undo) -> bool {
        let Some(target) = self.history.iter().enumerate().rposition(|(i, r)| {
            !self.undone.contains(&i)
                && r.kind() == undo.undoes
                && r.ts() == Some(undo.undoes_ts)
                && r.operator() == Some(undo.operator.as_str())
        }) else {
            return false;
        };
        self.undone.push(target);
        for item in &mut self.items {
            item.state = StepState::Todo;
            item.changed_by = None;
            item.changed_at = None;
            item.notes.clear();
        }
        self.all_closed_at = None;
        let kept: Vec<Record> = self.effective().cloned().collect();
        for r in &kept {
            self.apply_to_items(r);
        }
        true
    }

    /// Every applied record, in journal order.
    pub fn history(&self) -> &[Record] {
        &self.history
    }

    /// When every step was first seen done or skipped, unless one has been
    /// reopened since.
    pub fn all_closed_at(&self) -> Option<Timestamp> {
        self.all_closed_at
    }

    /// The note record for item `index`; `None` when there is no such item
    /// or the note is blank.
    pub fn note(&self, index: usize, text: &str, operator: &str, ts: Timestamp) -> Option<Record> {
        let item = self.items.get(index)?;
        let text = text.trim();
        (!text.is_empty()).then(|| {
            Record::Note(StepNote {
                ts,
                operator: operator.to_string(),
                step: item.id.clone(),
                note: text.to_string(),
            })
        })
    }

    pub fn items(&self) -> &[ChecklistItem] {
        &self.items
    }

    /// When the checklist last changed.
    pub fn last_change(&self) -> Option<Timestamp> {
        self.last_change
    }

    /// Closed (done or skipped) items and all items.
    pub fn progress(&self) -> (usize, usize) {
        let closed = self.items.iter().filter(|i| i.state.is_closed()).count();
        (closed, self.items.len())
    }

    /// The change that moves item `index` to `to`; `None` when there is no
    /// such item or it is already there.
    pub fn change(
        &self,
        index: usize,
        to: StepState,
        operator: &str,
        ts: Timestamp,
    ) -> Option<Record> {
        let item = self.items.get(index)?;
        (item.state != to).then(|| {
            Record::Step(StepChange {
                ts,
                operator: operator.to_string(),
                step: item.id.clone(),
                from: item.state,
                to,
                note: None,
            })
        })
    }

    /// A step change or note applied to its step; false for a step the
    /// runbook does not have.
    fn apply_to_items(&mut self, record: &Record) -> bool {
        match record {
            Record::Step(change) => {
                let Some(item) = self.items.iter_mut().find(|i| i.id == change.step) else {
                    return false;
                };
                // Records are applied in journal order; the last one wins,
                // which is how two consoles on one journal agree.
                item.state = change.to;
                item.changed_by = Some(change.operator.clone());
                item.changed_at = Some(change.ts);
                if let Some(note) = &change.note {
                    item.notes.push(Note {
                        ts: change.ts,
                        operator: change.operator.clone(),
                        text: note.clone(),
                    });
                }
                let all_closed = self.items.iter().all(|i| i.state.is_closed());
                self.all_closed_at = match (all_closed, self.all_closed_at) {
                    (true, None) => Some(change.ts),
                    (true, kept) => kept,
                    (false, _) => None,
                };
            }
            Record::Note(note) => {
                let Some(item) = self.items.iter_mut().find(|i| i.id == note.step) else {
                    return false;
                };
                item.notes.push(Note {
                    ts: note.ts,
                    operator: note.operator.clone(),
                    text: note.note.clone(),
                });
            }
            Record::Mitigated(_) | Record::Resolved(_) | Record::Evidence(_) | Record::Probe(_) => {
            }
            Record::Undo(_) | Record::Unknown => return false,
        }
        true
    }

    /// Applies a record. Returns false (and changes nothing) for a step the
    /// runbook does not have, e.g. a journal written for another runbook,
    /// and for a record kind this version does not know.
    pub fn apply(&mut self, record: &Record) -> bool {
        match record {
            Record::Undo(undo) => {
                if !self.apply_undo(undo) {
                    return false;
                }
            }
            Record::Unknown => return false,
            _ => {
                if !self.apply_to_items(record) {
                    return false;
                }
            }
        }
        if let Some(ts) = record.ts() {
            self.last_change = Some(self.last_change.map_or(ts, |t| t.max(ts)));
        }
        self.history.push(record.clone());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook;

    fn checklist() -> Checklist {
        let rb = runbook::parse("## Steps\n1. one\n   - one.a\n2. two\n").unwrap();
        Checklist::new(&rb)
    }

    fn ts(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap()
    }

    #[test]
    fn items_flatten_steps_and_substeps() {
        let c = checklist();
        let ids: Vec<_> = c.items().iter().map(|i| (i.id.as_str(), i.depth)).collect();
        assert_eq!(ids, [("1", 0), ("1.1", 1), ("2", 0)]);
        assert_eq!(c.progress(), (0, 3));
    }

    #[test]
    fn changes_apply_and_record_who_and_when() {
        let mut c = checklist();
        let rec = c.change(1, StepState::Done, "ana", ts(5)).unwrap();
        assert!(c.apply(&rec));
        let item = &c.items()[1];
        assert_eq!(item.state, StepState::Done);
        assert_eq!(item.changed_by.as_deref(), Some("ana"));
        assert_eq!(c.last_change(), Some(ts(5)));
        assert_eq!(c.progress(), (1, 3));
        assert!(
            c.change(1, StepState::Done, "ana", ts(6)).is_none(),
            "no-op changes are not recorded"
        );
    }

    #[test]
    fn unknown_steps_are_refused() {
        let mut c = checklist();
        let rec = Record::Step(StepChange {
            ts: ts(0),
            operator: "x".into(),
            step: "9".into(),
            from: StepState::Todo,
            to: StepState::Done,
            note: None,
        });
        assert!(!c.apply(&rec));
        assert_eq!(c.progress(), (0, 3));
    }

    #[test]
    fn space_cycles_through_the_states() {
        assert_eq!(StepState::Todo.next(), StepState::Doing);
        assert_eq!(StepState::Doing.next(), StepState::Done);
        assert_eq!(StepState::Done.next(), StepState::Todo);
        assert_eq!(StepState::Skipped.next(), StepState::Todo);
    }

    #[test]
    fn records_serialise_with_their_kind() {
        let rec = Record::Step(StepChange {
            ts: ts(0),
            operator: "ana".into(),
            step: "1.1".into(),
            from: StepState::Todo,
            to: StepState::Doing,
            note: None,
        });
        let json = serde_json::to_string(&rec).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"step","ts":"2027-01-15T08:00:00Z","operator":"ana","step":"1.1","from":"todo","to":"doing"}"#
        );
        assert_eq!(serde_json::from_str::<Record>(&json).unwrap(), rec);
    }

    #[test]
    fn notes_marks_and_evidence_are_kept_in_order() {
        let mut c = checklist();
        let note = c
            .note(1, "  asked the user to retry ", "bo", ts(1))
            .unwrap();
        assert!(
            c.note(1, "   ", "bo", ts(1)).is_none(),
            "blank notes are not journaled"
        );
        assert!(c.apply(&note));
        let mark = Record::Mitigated(Mark {
            ts: ts(2),
            operator: "lead".into(),
            note: None,
        });
        assert!(c.apply(&mark));
        assert_eq!(c.items()[1].notes[0].text, "asked the user to retry");
        assert_eq!(
            c.items()[1].state,
            StepState::Todo,
            "a note is not a change"
        );
        assert_eq!(c.history(), [note, mark]);
        assert_eq!(c.last_change(), Some(ts(2)));
    }

    #[test]
    fn every_kind_round_trips_and_old_step_lines_still_read() {
        let records = [
            Record::Note(StepNote {
                ts: ts(0),
                operator: "a".into(),
                step: "1".into(),
                note: "n".into(),
            }),
            Record::Resolved(Mark {
                ts: ts(0),
                operator: "a".into(),
                note: Some("tunnels up".into()),
            }),
            Record::Evidence(Evidence {
                ts: ts(0),
                operator: "a".into(),
                user: "bob".into(),
                path: "/tmp/b.tar.gz".into(),
                redacted: true,
            }),
        ];
        for r in records {
            let json = serde_json::to_string(&r).unwrap();
            assert!(
                json.starts_with(&format!("{{\"kind\":\"{}\"", r.kind())),
                "{json}"
            );
            assert_eq!(serde_json::from_str::<Record>(&json).unwrap(), r);
        }
        // The first version's line, byte for byte.
        let old = r#"{"kind":"step","ts":"2026-11-28T08:52:03Z","operator":"oncall","step":"1.1","from":"todo","to":"done"}"#;
        assert!(matches!(
            serde_json::from_str::<Record>(old),
            Ok(Record::Step(_))
        ));
    }

    #[test]
    fn a_kind_from_a_newer_version_is_ignored_not_an_error() {
        let rec: Record =
            serde_json::from_str(r#"{"kind":"handoff","ts":"2026-11-28T08:52:03Z","to":"x"}"#)
                .unwrap();
        assert_eq!(rec, Record::Unknown);
        let mut c = checklist();
        assert!(!c.apply(&rec));
        assert!(c.history().is_empty());
    }
}
