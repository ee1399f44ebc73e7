//! The `vpnwatch` command line: the arguments, parsed by [`cli`], become
//! calls into [`vpnwatch::app`]; this file only dispatches.
//!
//! Exit codes: 0 success, 1 runtime error (one line naming the file), 2 usage error.

mod cli;

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use vpnwatch::app::console::{self, ConsoleConfig};
use vpnwatch::app::follow::{self, FollowConfig};
use vpnwatch::app::headless;
use vpnwatch::app::{self, Input, InputPath, demo, incident_cmd};
use vpnwatch::config;
use vpnwatch::engine::IncidentLimits;
use vpnwatch::parse::ParseContext;

use cli::resolve::{
    check_address_like_files, check_inputs, console_config, default_journal, headless_files,
    inputs, inputs_or_stdin, load_runbook, parse_context, probe_args, user_config,
};
use cli::show::{man_pages, print_config, write_stdout};
use cli::{
    Cli, Command, DashboardArgs, IngestArgs, ProbeCli, RoleArgs, RunbookCommand, usage_error,
};

fn main() -> ExitCode {
    let cli = cli::parse();
    // The allocator's setting for the command's life, before any other
    // thread exists: `scan` reads its files once and exits, its memory
    // only grows; the others give large buffers back.
    if matches!(cli.command, Some(Command::Scan { .. })) {
        app::main_heap_on_huge_pages();
    } else {
        app::return_large_frees_to_the_system();
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("vpnwatch: {}", one_line(&err));
            ExitCode::from(1)
        }
    }
}

/// `head` closing the pipe is the reader being done, not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        let kind = e
            .downcast_ref::<std::io::Error>()
            .map(std::io::Error::kind)
            // serde_json wraps the write error in its own type.
            .or_else(|| e.downcast_ref::<serde_json::Error>()?.io_error_kind());
        kind == Some(std::io::ErrorKind::BrokenPipe)
    })
}

fn one_line(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = err.chain().map(|e| e.to_string()).collect();
    // A context that already ends with its cause's text would say it twice.
    parts.dedup_by(|cause, context| context.ends_with(cause.as_str()));
    // File names and messages echo input: they reach the terminal sanitised.
    vpnwatch::sanitize::sanitize_str(&parts.join(": "))
}

fn run(cli: Cli) -> anyhow::Result<()> {
    // Read before anything else, so a bad --tz is the first error.
    let ctx = match &cli.command {
        None => parse_context(&cli.roles),
        Some(
            Command::Scan { roles, .. }
            | Command::Events { roles, .. }
            | Command::Bundle { roles, .. }
            | Command::Report { roles, .. },
        ) => parse_context(roles),
        Some(_) => ParseContext::default(),
    };
    let limits = IncidentLimits {
        max_users: cli.max_users,
    };
    match cli.command {
        Some(Command::Formats) => {
            write_stdout(vpnwatch::parse::formats::describe_formats().as_bytes())
        }
        Some(Command::Scan { json, user, roles }) => {
            let files = headless_files(&roles, user.as_deref())?;
            // The command ends once the report is written, or fails
            // writing it: the incident is left to the process's exit on
            // every path (see `headless::Scanned`).
            let scanned = std::mem::ManuallyDrop::new(headless::scan(&files, &ctx, limits)?);
            let report = scanned.report();
            let mut out = app::report_output()?;
            if json {
                headless::write_scan_json(&mut out, &report)?;
                writeln!(out)?;
            } else {
                headless::write_table(&report, &mut out)?;
            }
            out.flush()?;
            for w in &report.warnings {
                eprintln!("vpnwatch: {}", vpnwatch::sanitize::sanitize_str(w));
            }
            if report.files.iter().all(|f| f.recognised == 0) {
                // Nothing was read: an empty report is no all-clear.
                std::process::exit(1);
            }
            // Its rows too.
            std::mem::forget(report);
            Ok(())
        }
        Some(Command::Events {
            follow: true,
            roles,
            ingest,
            user,
        }) => run_follow(&roles, &ingest, user.as_deref(), ctx, limits),
        Some(Command::Events { roles, user, .. }) => {
            let files = headless_files(&roles, user.as_deref())?;
            if !headless::events(&files, &ctx, limits, std::io::stdout().lock())? {
                // Nothing was read, as with `scan`: no all-clear.
                std::process::exit(1);
            }
            Ok(())
        }
        Some(Command::Demo { speed, dashboard }) => run_demo(speed, dashboard, limits),
        Some(Command::Completions { shell }) => {
            use clap::CommandFactory;
            // Into a buffer: `generate` panics on a write error, and a
            // closed pipe is no reason to.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "vpnwatch", &mut script);
            write_stdout(&script)
        }
        Some(Command::Config { path, .. }) => {
            if path {
                let path = config::default_path()
                    .ok_or_else(|| anyhow::anyhow!("neither XDG_CONFIG_HOME nor HOME is set"))?;
                write_stdout(format!("{}\n", path.display()).as_bytes())
            } else {
                print_config()
            }
        }
        Some(Command::Man { page, dir }) => man_pages(&page, dir.as_deref()),
        Some(Command::Runbook {
            command: RunbookCommand::Check { file },
        }) => incident_cmd::runbook_check(&file, std::io::stdout().lock()),
        Some(Command::Bundle {
            user,
            context,
            redact,
            output,
            journal,
            runbook,
            operator,
            roles,
        }) => {
            // The bundle is about one person: a client log that does not
            // name its user is theirs.
            let files = headless_files(&roles, Some(&user))?;
            let args = incident_cmd::BundleArgs {
                user,
                context,
                redact,
                output,
                journal,
                operator: operator
                    .or_else(|| user_config().operator.clone())
                    .unwrap_or_else(app::default_operator),
                runbook: load_runbook(runbook.as_deref())?,
                ctx,
                limits,
            };
            incident_cmd::bundle(&args, &files, std::io::stdout().lock())
        }
        Some(Command::Probe(args)) => run_probe(args, limits),
        Some(Command::Report {
            journal,
            runbook,
            output,
            roles,
        }) => {
            let no_logs = roles.files.is_empty()
                && roles.headend.is_empty()
                && roles.client.is_empty()
                && roles.auth.is_empty();
            let files = if no_logs {
                Vec::new()
            } else {
                headless_files(&roles, None)?
            };
            let journal = match journal {
                Some(j) => j,
                None => {
                    let today = default_journal();
                    if !today.exists() {
                        usage_error(&format!(
                            "no journal today ({} not found here); name one with --journal FILE",
                            today.display()
                        ));
                    }
                    today
                }
            };
            incident_cmd::report(
                &journal,
                &load_runbook(runbook.as_deref())?,
                &files,
                &ctx,
                limits,
                output.as_deref(),
                std::io::stdout().lock(),
            )
        }
        None => {
            let inputs = inputs(&cli.roles, cli.user.as_deref());
            check_address_like_files(&inputs);
            check_inputs(
                &inputs,
                &cli.ingest,
                "no log files given (try `vpnwatch demo`, or `vpnwatch --help`)",
            );
            need_terminal()?;
            let families = app::resolve_families(&inputs)?;
            let mut config = console_config(inputs, families, &cli.dashboard, None, ctx, limits)?;
            config.ingest = cli.ingest.settings();
            run_console(config)
        }
    }
}

fn run_probe(cli: ProbeCli, limits: IncidentLimits) -> anyhow::Result<()> {
    use vpnwatch::app::probe_cmd;
    let (args, config) = probe_args(cli, limits)?;
    let mut out = std::io::stdout().lock();
    match probe_cmd::run(&args, &config, &mut out)? {
        Ok(true) => Ok(()),
        Ok(false) => {
            out.flush()?;
            std::process::exit(1);
        }
        Err(e) => {
            eprintln!(
                "vpnwatch: probe: {}",
                vpnwatch::sanitize::sanitize_str(&e.to_string())
            );
            std::process::exit(2);
        }
    }
}

fn run_demo(speed: Option<f64>, args: DashboardArgs, limits: IncidentLimits) -> anyhow::Result<()> {
    if let Some(s) = speed
        && !(s.is_finite() && s > 0.0)
    {
        usage_error("--speed must be a positive number");
    }
    need_terminal()?;
    let dir = tempfile::Builder::new()
        .prefix("vpnwatch-demo-")
        .tempdir()
        .context("creating the demo directory")?;
    console::remove_on_signal_exit(dir.path());
    let paths = demo::create_files(dir.path()).context("creating the demo files")?;
    // The demo reads its own sample logs: no --tz, no --json-field.
    let ctx = ParseContext::default();
    let plan = demo::schedule(&demo::SAMPLE_LOGS, &ctx);
    let speed = speed.unwrap_or_else(|| demo::default_speed(&plan));
    let inputs: Vec<Input> = paths
        .iter()
        .zip(demo::SAMPLE_LOGS.iter())
        .map(|(p, (_, family, _))| Input {
            family: Some(*family),
            format: Some(demo::sample_format(*family)),
            ..Input::new(InputPath::File(p.clone()))
        })
        .collect();
    let families = inputs.iter().filter_map(|i| i.family).collect();
    // The demo's ticks are practice: they go to the demo directory unless a
    // journal is named.
    let config = console_config(
        inputs,
        families,
        &args,
        Some(dir.path().join("journal.jsonl")),
        ctx,
        limits,
    )?;
    let _writer = demo::spawn_writer(plan, paths, speed);
    run_console(config)
}

/// `events --follow`: the dashboard's sources, printed as NDJSON.
fn run_follow(
    roles: &RoleArgs,
    ingest: &IngestArgs,
    user: Option<&str>,
    ctx: ParseContext,
    limits: IncidentLimits,
) -> anyhow::Result<()> {
    // `--user` names the person a client log is about, as in `events`.
    let inputs = if ingest.has_other_sources() {
        inputs(roles, user)
    } else {
        inputs_or_stdin(roles, user)
    };
    check_address_like_files(&inputs);
    check_inputs(&inputs, ingest, "no log files given");
    let families = app::resolve_families(&inputs)?;
    let config = FollowConfig {
        inputs,
        families,
        ingest: ingest.settings(),
        ctx,
        limits,
    };
    block_on(follow::run(
        config,
        std::io::stdout().lock(),
        std::io::stderr(),
    ))
}

fn run_console(config: ConsoleConfig) -> anyhow::Result<()> {
    block_on(console::run(config))
}

/// The one place the async runtime is set up and shut down.
fn block_on(work: impl Future<Output = anyhow::Result<()>>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let result = runtime.block_on(work);
    // A stdin read cannot be cancelled; don't let it hold up the exit.
    runtime.shutdown_timeout(Duration::from_millis(200));
    result
}

/// The dashboard draws on stdout and reads keys from the controlling
/// terminal (stdin, or `/dev/tty` when stdin carries a log). Without them
/// (cron, `ssh` without `-t`, output redirected) it says so in one line
/// instead of failing inside the terminal setup.
fn need_terminal() -> anyhow::Result<()> {
    use std::io::IsTerminal;
    let keys = std::io::stdin().is_terminal()
        || std::fs::File::open("/dev/tty").is_ok_and(|tty| tty.is_terminal());
    if std::io::stdout().is_terminal() && keys {
        Ok(())
    } else {
        anyhow::bail!("the dashboard needs a terminal; use scan or events for files")
    }
}
