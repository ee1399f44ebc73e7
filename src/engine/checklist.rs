//! The runbook checklist: each step's state, who changed it and when.
//!
//! State is derived only from [`Record`]s, the same records the journal
//! stores, so replaying a journal rebuilds exactly what the operator saw.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::runbook::Runbook;

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

/// A journal record. The `kind` field names the variant, so later kinds of
/// record can be added without breaking old journals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    Step(StepChange),
}

impl Record {
    pub fn ts(&self) -> Timestamp {
        match self {
            Record::Step(c) => c.ts,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChecklistItem {
    pub id: String,
    /// 0 for a step, 1 for a sub-step.
    pub depth: usize,
    pub text: String,
    pub state: StepState,
    pub changed_by: Option<String>,
    pub changed_at: Option<Timestamp>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Checklist {
    pub title: String,
    items: Vec<ChecklistItem>,
    last_change: Option<Timestamp>,
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
                state: StepState::Todo,
                changed_by: None,
                changed_at: None,
            })
            .collect();
        Checklist {
            title: runbook.title.clone(),
            items,
            last_change: None,
        }
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

    /// Applies a record. Returns false (and changes nothing) for a step the
    /// runbook does not have, e.g. a journal written for another runbook.
    pub fn apply(&mut self, record: &Record) -> bool {
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
                self.last_change = Some(self.last_change.map_or(change.ts, |t| t.max(change.ts)));
                true
            }
        }
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
}
