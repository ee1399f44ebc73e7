//! The incident-workflow commands: `runbook check`, `bundle` and `report`.
//! `main` parses the arguments; these do the work.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use anyhow::Context;
use jiff::Timestamp;

use super::bundle::{self, BundleJob};
use super::headless::HeadlessFile;
use super::report;
use crate::engine::checklist::{Evidence, Record};
use crate::engine::{Checklist, IncidentLimits};
use crate::journal::{self, Journal};
use crate::parse::ParseContext;
use crate::parse::formats::Format;
use crate::runbook::{self, Runbook, Step};
use crate::sanitize::sanitize_str;

/// `vpnwatch runbook check FILE`: parses the runbook and prints its steps;
/// a malformed runbook is an error naming the file and line.
pub fn runbook_check(path: &Path, mut out: impl Write) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
    let rb = runbook::parse(&text).with_context(|| path.display().to_string())?;
    let items = rb.items().len();
    writeln!(out, "{}: ok", sanitize_str(&path.display().to_string()))?;
    writeln!(out, "title: {}", sanitize_str(&rb.title))?;
    writeln!(out, "steps: {} ({items} with sub-steps)\n", rb.steps.len())?;
    for step in &rb.steps {
        write_step(&mut out, step, 0)?;
        for sub in &step.substeps {
            write_step(&mut out, sub, 1)?;
        }
    }
    Ok(())
}

fn write_step(out: &mut impl Write, step: &Step, depth: usize) -> std::io::Result<()> {
    let indent = "    ".repeat(depth);
    writeln!(
        out,
        "{indent}{:<5} {}  (line {})",
        step.id,
        sanitize_str(&step.text),
        step.line
    )?;
    if !step.causes.is_empty() {
        let ids: Vec<&str> = step.causes.iter().map(|c| c.id()).collect();
        writeln!(out, "{indent}      causes: {}", ids.join(", "))?;
    }
    for command in &step.commands {
        writeln!(out, "{indent}      $ {}", sanitize_str(command))?;
    }
    Ok(())
}

/// The checklist as a journal left it (read-only), with replay warnings.
pub fn checklist_from_journal(
    runbook: &Runbook,
    path: Option<&Path>,
) -> anyhow::Result<(Checklist, Vec<String>)> {
    let mut checklist = Checklist::new(runbook);
    let Some(path) = path else {
        return Ok((checklist, Vec::new()));
    };
    let bytes = std::fs::read(path).with_context(|| format!("journal {}", path.display()))?;
    let replay = journal::replay(path, &bytes)?;
    for r in &replay.records {
        checklist.apply(r);
    }
    Ok((checklist, replay.warnings))
}

/// Options of `vpnwatch bundle`.
pub struct BundleArgs {
    pub user: String,
    pub context: usize,
    pub redact: bool,
    pub output: Option<PathBuf>,
    pub journal: Option<PathBuf>,
    pub operator: String,
    pub runbook: Runbook,
    /// How the logs are parsed (year, `--tz`, `--json-field`).
    pub ctx: ParseContext,
    /// The incident's bounds (`--max-users`).
    pub limits: IncidentLimits,
}

/// `vpnwatch bundle`: writes the user's evidence bundle, prints its path,
/// and journals it when a journal is named.
pub fn bundle(
    args: &BundleArgs,
    files: &[HeadlessFile],
    mut out: impl Write,
) -> anyhow::Result<()> {
    let cancel = AtomicBool::new(false);
    let files = &for_one_person(files);
    let survey = bundle::survey(files, &args.ctx, args.limits, args.redact, &cancel)?;
    let Some((user, stats)) = bundle::find_user(&survey.incident, &args.user) else {
        let others = survey.incident.other_users();
        if others > 0 {
            // Past the cap the user may be one of the others: "not in the
            // logs" would be wrong.
            anyhow::bail!(
                "user {:?} is not among the {} users tracked one by one: it may be one of the \
                 {others} more counted together past --max-users; raise --max-users to bundle it",
                sanitize_str(&args.user),
                survey.incident.max_users()
            );
        }
        anyhow::bail!(
            "user {:?} does not appear in the logs (give a user name, or a hidden user's client IP)",
            sanitize_str(&args.user)
        );
    };
    let (checklist, warnings) = checklist_from_journal(&args.runbook, args.journal.as_deref())
        .or_else(|e| match &args.journal {
            // A journal that does not exist yet is created when we journal.
            Some(p) if !p.exists() => Ok((Checklist::new(&args.runbook), Vec::new())),
            _ => Err(e),
        })?;
    for w in warnings {
        eprintln!("vpnwatch: {w}");
    }
    let now = Timestamp::now();
    let job = BundleJob {
        files: files.to_vec(),
        checklist,
        context: args.context,
        operator: args.operator.clone(),
        ctx: args.ctx.clone(),
        out: args.output.clone(),
        dir: PathBuf::from("."),
        taken_at: now,
    };
    let path = bundle::write_surveyed(&job, &survey, &user, Some(&stats), &cancel)?;
    if let Some(journal_path) = &args.journal {
        let (mut journal, _) = Journal::open(journal_path)?;
        journal.append(&Record::Evidence(Evidence {
            ts: now,
            operator: args.operator.clone(),
            user: user.to_string(),
            path: path.display().to_string(),
            redacted: args.redact,
        }))?;
    }
    writeln!(out, "{}", path.display())?;
    Ok(())
}

/// The bundle's user is the user of a client log collected from one person
/// (a DART bundle, a Windows event export) even where its records name
/// no one; a client log in syslog gathers many laptops, and the user's
/// laptops are found by the name they logged instead (see
/// [`crate::engine::evidence`]).
fn for_one_person(files: &[HeadlessFile]) -> Vec<HeadlessFile> {
    files
        .iter()
        .cloned()
        .map(|mut f| {
            if f.format.is_none_or(|fmt| fmt == Format::AnyConnectSyslog) {
                f.user = None;
            }
            f
        })
        .collect()
}

/// `vpnwatch report`: the postmortem, to `output` or stdout.
pub fn report(
    journal: &Path,
    runbook: &Runbook,
    files: &[HeadlessFile],
    ctx: &ParseContext,
    limits: IncidentLimits,
    output: Option<&Path>,
    mut out: impl Write,
) -> anyhow::Result<()> {
    let (md, warnings) =
        report::from_files(journal, runbook, files, ctx, limits, Timestamp::now())?;
    for w in warnings {
        eprintln!("vpnwatch: {w}");
    }
    match output {
        Some(p) => {
            std::fs::write(p, md).with_context(|| p.display().to_string())?;
            writeln!(out, "{}", p.display())?;
        }
        None => out.write_all(md.as_bytes())?,
    }
    Ok(())
}
