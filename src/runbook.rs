//! Runbooks: the Markdown checklists the incident lead works through.
//!
//! A runbook is ordinary Markdown (optionally with YAML front matter). Its
//! steps are the ordered list under the first heading that contains "Steps"
//! (or, without such a heading, the first ordered list, or else the first GFM
//! task list); nested bullets are sub-steps. Inline code in a step is kept as
//! a command the operator may want to copy.
//!
//! Parsing is pure: the caller reads the file and names it for errors.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// The runbook the console uses when none is given.
pub const DEFAULT_RUNBOOK: &str = include_str!("../runbooks/anyconnect-auth-failed.md");
/// The name the default runbook is shown and journaled under.
pub const DEFAULT_RUNBOOK_NAME: &str = "anyconnect-auth-failed.md";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Runbook {
    pub title: String,
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// `"2"` for a step, `"2.1"` for its first sub-step: what the journal records.
    pub id: String,
    pub text: String,
    /// Inline code spans in the text, in order.
    pub commands: Vec<String>,
    /// 1-based line of the step in the file.
    pub line: usize,
    pub substeps: Vec<Step>,
}

impl Runbook {
    /// Steps and sub-steps in reading order, with their depth (0 or 1).
    pub fn items(&self) -> Vec<(usize, &Step)> {
        let mut out = Vec::new();
        for step in &self.steps {
            out.push((0, step));
            for sub in &step.substeps {
                out.push((1, sub));
            }
        }
        out
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RunbookError {
    #[error("line {line}: the \"{heading}\" heading is followed by no list of steps")]
    EmptyStepsSection { line: usize, heading: String },
    #[error(
        "no steps: expected an ordered list (under a heading containing \"Steps\") or a task list"
    )]
    NoSteps,
    #[error("line {line}: step {id} has no text")]
    EmptyStep { line: usize, id: String },
}

/// Parses a runbook from Markdown text.
pub fn parse(markdown: &str) -> Result<Runbook, RunbookError> {
    let options = Options::ENABLE_YAML_STYLE_METADATA_BLOCKS | Options::ENABLE_TASKLISTS;
    let events: Vec<(Event, std::ops::Range<usize>)> = Parser::new_ext(markdown, options)
        .into_offset_iter()
        .collect();
    let line_of = |offset: usize| markdown[..offset.min(markdown.len())].matches('\n').count() + 1;

    let title = first_heading(&events, HeadingLevel::H1).unwrap_or_else(|| "Runbook".to_string());
    let lists = top_level_lists(&events);
    let steps_heading = steps_heading(&events);

    let chosen = match &steps_heading {
        Some((heading_end, _, _)) => lists
            .iter()
            .find(|l| l.start > *heading_end && (l.ordered || l.tasks))
            .filter(|l| l.section_heading == Some(*heading_end)),
        None => lists
            .iter()
            .find(|l| l.ordered)
            .or_else(|| lists.iter().find(|l| l.tasks)),
    };
    let Some(list) = chosen else {
        return Err(match steps_heading {
            Some((_, offset, heading)) => RunbookError::EmptyStepsSection {
                line: line_of(offset),
                heading,
            },
            None => RunbookError::NoSteps,
        });
    };

    let steps = collect_items(&events[list.start..=list.end], &line_of)?;
    if steps.is_empty() {
        return Err(RunbookError::NoSteps);
    }
    Ok(Runbook { title, steps })
}

struct ListSpan {
    start: usize,
    end: usize,
    ordered: bool,
    tasks: bool,
    /// Index of the end of the heading whose section holds the list.
    section_heading: Option<usize>,
}

fn first_heading(
    events: &[(Event, std::ops::Range<usize>)],
    level: HeadingLevel,
) -> Option<String> {
    let start = events.iter().position(
        |(e, _)| matches!(e, Event::Start(Tag::Heading { level: l, .. }) if *l == level),
    )?;
    let text = inline_text(
        events[start + 1..]
            .iter()
            .map(|(e, _)| e)
            .take_while(|e| !matches!(e, Event::End(TagEnd::Heading(_)))),
    );
    Some(text.trim().to_string())
}

/// The first heading whose text contains "steps": (index of its end event,
/// byte offset, text).
fn steps_heading(events: &[(Event, std::ops::Range<usize>)]) -> Option<(usize, usize, String)> {
    let mut i = 0;
    while i < events.len() {
        if let Event::Start(Tag::Heading { .. }) = events[i].0 {
            let end = events[i..]
                .iter()
                .position(|(e, _)| matches!(e, Event::End(TagEnd::Heading(_))))
                .map(|p| i + p)?;
            let text = inline_text(events[i + 1..end].iter().map(|(e, _)| e));
            if text.to_lowercase().contains("steps") {
                return Some((end, events[i].1.start, text.trim().to_string()));
            }
            i = end;
        }
        i += 1;
    }
    None
}

fn top_level_lists(events: &[(Event, std::ops::Range<usize>)]) -> Vec<ListSpan> {
    let mut lists = Vec::new();
    let mut depth = 0usize;
    let mut current: Option<ListSpan> = None;
    let mut last_heading_end: Option<usize> = None;
    for (i, (event, _)) in events.iter().enumerate() {
        match event {
            Event::End(TagEnd::Heading(_)) if depth == 0 => last_heading_end = Some(i),
            Event::Start(Tag::List(first)) => {
                if depth == 0 {
                    current = Some(ListSpan {
                        start: i,
                        end: i,
                        ordered: first.is_some(),
                        tasks: false,
                        section_heading: last_heading_end,
                    });
                }
                depth += 1;
            }
            Event::TaskListMarker(_) if depth == 1 => {
                if let Some(list) = current.as_mut() {
                    list.tasks = true;
                }
            }
            Event::End(TagEnd::List(_)) => {
                depth = depth.saturating_sub(1);
                if depth == 0
                    && let Some(mut list) = current.take()
                {
                    list.end = i;
                    lists.push(list);
                }
            }
            _ => {}
        }
    }
    lists
}

/// Steps (with sub-steps) from the events of one top-level list, start and
/// end events included.
fn collect_items(
    events: &[(Event, std::ops::Range<usize>)],
    line_of: &dyn Fn(usize) -> usize,
) -> Result<Vec<Step>, RunbookError> {
    let mut steps: Vec<Step> = Vec::new();
    let mut list_depth = 0usize;
    for (event, range) in events {
        match event {
            Event::Start(Tag::List(_)) => list_depth += 1,
            Event::End(TagEnd::List(_)) => list_depth = list_depth.saturating_sub(1),
            Event::Start(Tag::Item) => {
                let line = line_of(range.start);
                if list_depth == 1 {
                    steps.push(new_step((steps.len() + 1).to_string(), line));
                } else if list_depth == 2
                    && let Some(parent) = steps.last_mut()
                {
                    let id = format!("{}.{}", parent.id, parent.substeps.len() + 1);
                    parent.substeps.push(new_step(id, line));
                }
            }
            Event::Code(code) => {
                if let Some(target) = current_step(&mut steps, list_depth) {
                    target.commands.push(code.to_string());
                    target.text.push_str(code);
                }
            }
            Event::Text(text) => {
                if let Some(target) = current_step(&mut steps, list_depth) {
                    target.text.push_str(text);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(target) = current_step(&mut steps, list_depth) {
                    target.text.push(' ');
                }
            }
            _ => {}
        }
    }
    for step in steps.iter_mut() {
        finish_text(step)?;
        for sub in step.substeps.iter_mut() {
            finish_text(sub)?;
        }
    }
    Ok(steps)
}

fn new_step(id: String, line: usize) -> Step {
    Step {
        id,
        text: String::new(),
        commands: Vec::new(),
        line,
        substeps: Vec::new(),
    }
}

/// The step that text at this list depth belongs to. Text nested deeper than
/// sub-steps is folded into the sub-step.
fn current_step(steps: &mut [Step], list_depth: usize) -> Option<&mut Step> {
    let step = steps.last_mut()?;
    if list_depth >= 2 {
        step.substeps.last_mut()
    } else {
        Some(step)
    }
}

fn finish_text(step: &mut Step) -> Result<(), RunbookError> {
    let collapsed = step.text.split_whitespace().collect::<Vec<_>>().join(" ");
    // "**Check Account Status:**" reads better without the trailing colon.
    step.text = collapsed.trim_end_matches(':').trim().to_string();
    if step.text.is_empty() {
        return Err(RunbookError::EmptyStep {
            line: step.line,
            id: step.id.clone(),
        });
    }
    Ok(())
}

fn inline_text<'e, 'a: 'e>(events: impl Iterator<Item = &'e Event<'a>>) -> String {
    let mut out = String::new();
    for event in events {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED_SHAPE: &str = "---\nmetadata:\n  source: forum\nscenario: vpn_outage\n---\n\n\
# Title Of Doc\n\n## Problem\nText.\n\n- a bullet that is not a step\n\n\
## Ground Truth Resolution Steps\n\
1. **Verify Things:**\n   - First point.\n   - Second point with `show run`.\n\n\
2. **Check Account:**\n   - Only point.\n\n## References\n1. not a step\n";

    #[test]
    fn steps_come_from_the_list_under_the_steps_heading() {
        let rb = parse(SEED_SHAPE).unwrap();
        assert_eq!(rb.title, "Title Of Doc");
        assert_eq!(rb.steps.len(), 2);
        assert_eq!(rb.steps[0].text, "Verify Things");
        assert_eq!(rb.steps[0].substeps.len(), 2);
        assert_eq!(rb.steps[0].substeps[1].id, "1.2");
        assert_eq!(rb.steps[0].substeps[1].commands, ["show run"]);
        assert_eq!(rb.steps[1].substeps[0].text, "Only point.");
        assert_eq!(rb.steps[1].line, 19);
        assert_eq!(rb.items().len(), 5);
    }

    #[test]
    fn without_a_steps_heading_the_first_ordered_list_is_used() {
        let rb = parse("# T\n\n- bullet\n\n1. one\n2. two\n").unwrap();
        let texts: Vec<_> = rb.steps.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(texts, ["one", "two"]);
    }

    #[test]
    fn task_lists_work() {
        let rb = parse("# T\n## Steps\n- [ ] check `ping 10.0.0.1`\n- [x] call the vendor\n  - [ ] open a case\n").unwrap();
        assert_eq!(rb.steps.len(), 2);
        assert_eq!(rb.steps[0].commands, ["ping 10.0.0.1"]);
        assert_eq!(rb.steps[1].substeps[0].text, "open a case");
    }

    #[test]
    fn a_steps_heading_without_a_list_names_its_line() {
        let err = parse("# T\n\ntext\n\n## Steps\n\nJust prose.\n").unwrap_err();
        assert_eq!(
            err,
            RunbookError::EmptyStepsSection {
                line: 5,
                heading: "Steps".into()
            }
        );
        assert!(err.to_string().starts_with("line 5:"));
    }

    #[test]
    fn no_list_at_all_is_an_error() {
        assert_eq!(
            parse("# Only a title\n\nprose\n").unwrap_err(),
            RunbookError::NoSteps
        );
        assert_eq!(parse("").unwrap_err(), RunbookError::NoSteps);
    }

    #[test]
    fn an_empty_step_names_its_line() {
        let err = parse("## Steps\n1. fine\n2.\n").unwrap_err();
        assert_eq!(
            err,
            RunbookError::EmptyStep {
                line: 3,
                id: "2".into()
            }
        );
    }
}
