//! Runbooks: the Markdown checklists the incident lead works through.
//!
//! A runbook is ordinary Markdown (optionally with YAML front matter). Its
//! steps are the ordered list under the first heading that contains "Steps"
//! (or, without such a heading, the first ordered list, or else the first GFM
//! task list); nested bullets are sub-steps. Inline code in a step is kept as
//! a command the operator may want to copy.
//!
//! Steps may carry hints: the failure causes they address, either in the
//! front matter (`causes: {1: [token_required, bad_credentials]}`, keys are
//! step ids) or in an HTML comment inside the step
//! (`<!-- causes: account_locked, unknown_user -->`). The live diagnosis uses
//! them to suggest the next step. An unknown cause id or step id is an error
//! naming its line, so a typo cannot silently disable a suggestion.
//!
//! Parsing is pure: the caller reads the file and names it for errors.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use yaml_rust2::{Yaml, YamlLoader};

use crate::vocab::Cause;

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
    /// Failure causes this step addresses (front matter or HTML comment).
    pub causes: Vec<Cause>,
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
    #[error("line {line}: front matter: {message}")]
    FrontMatter { line: usize, message: String },
    #[error("line {line}: unknown cause id \"{cause}\" for step {step} (known: {known})", known = known_causes())]
    UnknownCause {
        line: usize,
        step: String,
        cause: String,
    },
    #[error(
        "line {line}: front matter `causes` names step {step}, which the runbook does not have"
    )]
    UnknownStep { line: usize, step: String },
}

fn known_causes() -> String {
    Cause::ALL.map(Cause::id).join(", ")
}

/// The cause with this stable id (`token_required`).
pub fn cause_from_id(id: &str) -> Option<Cause> {
    Cause::ALL.into_iter().find(|c| c.id() == id)
}

/// Parses a runbook from Markdown text.
pub fn parse(markdown: &str) -> Result<Runbook, RunbookError> {
    let options = Options::ENABLE_YAML_STYLE_METADATA_BLOCKS | Options::ENABLE_TASKLISTS;
    let events: Vec<(Event, std::ops::Range<usize>)> = Parser::new_ext(markdown, options)
        .into_offset_iter()
        .collect();
    let line_of = |offset: usize| markdown[..offset.min(markdown.len())].matches('\n').count() + 1;

    let front = front_matter(markdown)?;
    let title = first_heading(&events, HeadingLevel::H1)
        .or(front.title.clone())
        .unwrap_or_else(|| "Runbook".to_string());
    let lists = top_level_lists(&events);
    let headings = steps_headings(&events);
    // The first "Steps" heading whose section holds a list: a title such as
    // "# Nested steps" above "## Steps" does not hide the real section.
    let list_under = |heading_end: usize| {
        lists
            .iter()
            .find(|l| l.start > heading_end && (l.ordered || l.tasks))
            .filter(|l| l.section_heading == Some(heading_end))
    };
    let steps_heading = headings.first().cloned();
    let chosen = match &steps_heading {
        Some(_) => headings.iter().find_map(|(end, _, _)| list_under(*end)),
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

    let mut steps = collect_items(&events[list.start..=list.end], &line_of)?;
    if steps.is_empty() {
        return Err(RunbookError::NoSteps);
    }
    for hint in front.causes {
        let step = steps.iter_mut().find_map(|s| {
            if s.id == hint.step {
                Some(s)
            } else {
                s.substeps.iter_mut().find(|sub| sub.id == hint.step)
            }
        });
        let Some(step) = step else {
            return Err(RunbookError::UnknownStep {
                line: hint.line,
                step: hint.step,
            });
        };
        for cause in hint.causes {
            if !step.causes.contains(&cause) {
                step.causes.push(cause);
            }
        }
    }
    Ok(Runbook { title, steps })
}

/// What the runbook's YAML front matter says that vpnwatch uses.
#[derive(Debug, Default)]
struct FrontMatter {
    title: Option<String>,
    causes: Vec<CauseHint>,
}

#[derive(Debug)]
struct CauseHint {
    step: String,
    causes: Vec<Cause>,
    /// Line of the step's key in the file.
    line: usize,
}

/// Parses the YAML front matter (between a first line `---` and the next
/// `---` or `...`), if there is one. Only `title` and `causes` are read;
/// other keys (`metadata`, `scenario` …) are allowed and ignored.
fn front_matter(markdown: &str) -> Result<FrontMatter, RunbookError> {
    let mut lines = markdown.split_inclusive('\n');
    if lines.next().map(str::trim_end) != Some("---") {
        return Ok(FrontMatter::default());
    }
    let mut yaml = String::new();
    let mut closed = false;
    for line in lines {
        if matches!(line.trim_end(), "---" | "...") {
            closed = true;
            break;
        }
        yaml.push_str(line);
    }
    if !closed {
        // pulldown-cmark reads an unclosed block as a thematic break and
        // text; so do we.
        return Ok(FrontMatter::default());
    }
    // The YAML starts on line 2 of the file.
    const FIRST: usize = 2;
    let docs = YamlLoader::load_from_str(&yaml).map_err(|e| RunbookError::FrontMatter {
        // The YAML parser counts lines from 1 within the front matter.
        line: FIRST + e.marker().line().saturating_sub(1),
        message: e.info().to_string(),
    })?;
    let mut title = None;
    let mut raw_causes = None;
    match docs.into_iter().next() {
        None | Some(Yaml::Null) => {}
        Some(Yaml::Hash(map)) => {
            for (key, value) in map {
                match key.as_str() {
                    Some("title") => title = value.into_string(),
                    Some("causes") => raw_causes = Some(value),
                    _ => {}
                }
            }
        }
        Some(other) => {
            return Err(RunbookError::FrontMatter {
                line: FIRST,
                message: format!("expected keys such as `title:`, not {}", describe(&other)),
            });
        }
    }
    let yaml_lines: Vec<&str> = yaml.lines().collect();
    let causes_line = yaml_lines
        .iter()
        .position(|l| l.starts_with("causes:"))
        .unwrap_or(0);
    let key_line = |key: &str| {
        yaml_lines
            .iter()
            .enumerate()
            .skip(causes_line + 1)
            .find(|(_, l)| {
                let t = l.trim_start().trim_start_matches(['"', '\'']);
                t.strip_prefix(key)
                    .is_some_and(|rest| rest.trim_start_matches(['"', '\'']).starts_with(':'))
            })
            .map_or(FIRST + causes_line, |(i, _)| FIRST + i)
    };
    let mut causes = Vec::new();
    match raw_causes {
        None | Some(Yaml::Null) => {}
        Some(Yaml::Hash(map)) => {
            for (key, value) in map {
                let step = match key {
                    Yaml::Integer(n) => n.to_string(),
                    Yaml::Real(n) => n,
                    Yaml::String(s) => s.trim().to_string(),
                    other => {
                        return Err(RunbookError::FrontMatter {
                            line: FIRST + causes_line,
                            message: format!(
                                "`causes` keys must be step numbers, not {}",
                                describe(&other)
                            ),
                        });
                    }
                };
                let line = key_line(&step);
                let ids: Vec<String> = match value {
                    Yaml::Array(items) => items
                        .into_iter()
                        .map(|v| match v {
                            Yaml::String(s) => Ok(s),
                            other => Err(RunbookError::FrontMatter {
                                line,
                                message: format!(
                                    "step {step}: cause ids must be words, not {}",
                                    describe(&other)
                                ),
                            }),
                        })
                        .collect::<Result<_, _>>()?,
                    Yaml::String(s) => s.split(',').map(|c| c.trim().to_string()).collect(),
                    other => {
                        return Err(RunbookError::FrontMatter {
                            line,
                            message: format!(
                                "step {step}: expected a list of cause ids, not {}",
                                describe(&other)
                            ),
                        });
                    }
                };
                let causes_of_step = ids
                    .into_iter()
                    .filter(|id| !id.is_empty())
                    .map(|id| {
                        cause_from_id(&id).ok_or_else(|| RunbookError::UnknownCause {
                            line,
                            step: step.clone(),
                            cause: id,
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                causes.push(CauseHint {
                    step,
                    causes: causes_of_step,
                    line,
                });
            }
        }
        Some(other) => {
            return Err(RunbookError::FrontMatter {
                line: FIRST + causes_line,
                message: format!(
                    "`causes` must map step numbers to lists of cause ids, not {}",
                    describe(&other)
                ),
            });
        }
    }
    Ok(FrontMatter { title, causes })
}

/// A YAML value as an error message names it.
fn describe(value: &Yaml) -> String {
    match value {
        Yaml::String(s) => format!("{s:?}"),
        Yaml::Integer(n) => n.to_string(),
        Yaml::Real(n) => n.clone(),
        Yaml::Boolean(b) => b.to_string(),
        Yaml::Array(_) => "a list".to_string(),
        Yaml::Hash(_) => "a mapping".to_string(),
        Yaml::Null => "nothing".to_string(),
        Yaml::Alias(_) | Yaml::BadValue => "an alias".to_string(),
    }
}

/// Cause ids from an HTML comment `<!-- causes: a, b -->`; `None` when the
/// HTML is something else.
fn comment_causes(html: &str) -> Option<Vec<&str>> {
    let body = html
        .trim()
        .strip_prefix("<!--")?
        .strip_suffix("-->")?
        .trim();
    let list = body.strip_prefix("causes:")?;
    Some(
        list.split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect(),
    )
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

/// The headings whose text contains "steps", in order: (index of the end
/// event, byte offset, text).
fn steps_headings(events: &[(Event, std::ops::Range<usize>)]) -> Vec<(usize, usize, String)> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < events.len() {
        if let Event::Start(Tag::Heading { .. }) = events[i].0 {
            let Some(end) = events[i..]
                .iter()
                .position(|(e, _)| matches!(e, Event::End(TagEnd::Heading(_))))
                .map(|p| i + p)
            else {
                break;
            };
            let text = inline_text(events[i + 1..end].iter().map(|(e, _)| e));
            if text.to_lowercase().contains("steps") {
                found.push((end, events[i].1.start, text.trim().to_string()));
            }
            i = end;
        }
        i += 1;
    }
    found
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
                } else if let Some(target) = current_step(&mut steps, list_depth) {
                    // Deeper bullets are folded into the sub-step: keep
                    // their words apart.
                    target.text.push(' ');
                }
            }
            Event::Start(Tag::Paragraph) => {
                if let Some(target) = current_step(&mut steps, list_depth) {
                    target.text.push(' ');
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
            Event::Html(html) | Event::InlineHtml(html) => {
                let Some(ids) = comment_causes(html) else {
                    continue;
                };
                let line = line_of(range.start);
                if let Some(target) = current_step(&mut steps, list_depth) {
                    for id in ids {
                        let cause =
                            cause_from_id(id).ok_or_else(|| RunbookError::UnknownCause {
                                line,
                                step: target.id.clone(),
                                cause: id.to_string(),
                            })?;
                        if !target.causes.contains(&cause) {
                            target.causes.push(cause);
                        }
                    }
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
        causes: Vec::new(),
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

    /// The front matter shapes runbooks use, read by the pure-Rust YAML
    /// parser: block and flow mappings, numeric and quoted step keys, lists
    /// and comma-separated strings of cause ids, keys it ignores.
    #[test]
    fn front_matter_shapes_and_errors() {
        let fm = front_matter(
            "---\ntitle: \"Quoted: title\"\nother: {deep: [1, 2]}\ncauses:\n  1: [bad_credentials]\n  \"2\": account_locked, unknown_user\n---\n",
        )
        .unwrap();
        assert_eq!(fm.title.as_deref(), Some("Quoted: title"));
        let got: Vec<(&str, usize, usize)> = fm
            .causes
            .iter()
            .map(|h| (h.step.as_str(), h.causes.len(), h.line))
            .collect();
        assert_eq!(got, [("1", 1, 5), ("2", 2, 6)]);
        assert!(front_matter("---\n---\n").unwrap().causes.is_empty());
        let err = |text: &str| front_matter(text).unwrap_err().to_string();
        assert_eq!(
            err("---\njust words\n---\n"),
            "line 2: front matter: expected keys such as `title:`, not \"just words\""
        );
        assert_eq!(
            err("---\ntitle: x\ncauses: [a]\n---\n"),
            "line 3: front matter: `causes` must map step numbers to lists of cause ids, not a list"
        );
        assert_eq!(
            err("---\ncauses:\n  1: {a: b}\n---\n"),
            "line 3: front matter: step 1: expected a list of cause ids, not a mapping"
        );
    }

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
