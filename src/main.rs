//! The `vpnwatch` command line: turns arguments into calls to [`vpnwatch::app`].
//!
//! Exit codes: 0 success, 1 runtime error (one line naming the file), 2 usage error.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use vpnwatch::app::console::{self, ConsoleConfig};
use vpnwatch::app::follow::{self, FollowConfig};
use vpnwatch::app::headless::{self, HeadlessFile};
use vpnwatch::app::sources::{self, SourceSettings};
use vpnwatch::app::{self, Input, InputPath, demo, incident_cmd};
use vpnwatch::parse::ParseContext;
use vpnwatch::parse::formats::Format;
use vpnwatch::pipeline::DEFAULT_RETAIN;
use vpnwatch::runbook::{self, DEFAULT_RUNBOOK, Runbook};
use vpnwatch::source::syslog;
use vpnwatch::ui::Theme;
use vpnwatch::ui::theme::no_color_requested;
use vpnwatch::vocab::Family;

/// Terminal incident console for Cisco AnyConnect / Secure Client VPN outages.
///
/// Tails headend (ASA/FTD) and client logs, highlights and classifies
/// authentication failures, counts them per user, and keeps the runbook
/// checklist beside the logs.
#[derive(Parser)]
#[command(name = "vpnwatch", version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    roles: RoleArgs,

    /// The user a client log is about when its lines do not name one (a log collected from one person).
    #[arg(long, value_name = "NAME")]
    user: Option<String>,

    #[command(flatten)]
    dashboard: DashboardArgs,

    #[command(flatten)]
    ingest: IngestArgs,
}

/// How sources are read, and the sources that are not files.
#[derive(Args, Clone)]
struct IngestArgs {
    /// Lines shown at once from each file that exists at start-up (found by
    /// reading backwards from its end); then the file is followed.
    #[arg(long, value_name = "N", default_value_t = sources::DEFAULT_BACKLOG)]
    backlog: u64,

    /// Read files that exist at start-up from their first line instead.
    #[arg(long, conflicts_with = "backlog")]
    from_start: bool,

    /// Lines longer than this many bytes are split into marked pieces.
    #[arg(long, value_name = "BYTES", default_value_t = vpnwatch::source::lines::DEFAULT_MAX_LINE)]
    max_line: usize,

    /// Follow files by polling only, without inotify (network file systems).
    #[arg(long)]
    poll: bool,

    /// Seconds between checks of each followed file.
    #[arg(long, value_name = "SECONDS", default_value_t = 1.0)]
    poll_interval: f64,

    /// Run CMD with `sh -c` and follow its output as a headend log; it is
    /// restarted (1 s to 30 s backoff) when it exits. Repeatable.
    #[arg(long = "command", id = "run_command", value_name = "CMD")]
    commands: Vec<String>,

    /// Receive syslog over UDP: `--syslog-udp` listens on 127.0.0.1:5514,
    /// `--syslog-udp=ADDR` on ADDR (the `=` keeps a file name after the
    /// flag from being taken for an address).
    #[arg(
        long,
        value_name = "ADDR",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = syslog::DEFAULT_ADDR
    )]
    syslog_udp: Option<SocketAddr>,

    /// Receive syslog over TCP: `--syslog-tcp` listens on 127.0.0.1:5514,
    /// `--syslog-tcp=ADDR` on ADDR (the `=` keeps a file name after the
    /// flag from being taken for an address).
    #[arg(
        long,
        value_name = "ADDR",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = syslog::DEFAULT_ADDR
    )]
    syslog_tcp: Option<SocketAddr>,

    /// Receive syslog over TLS (RFC 5425, octet-counted frames), as
    /// enterprise relays forward it: `--syslog-tls=ADDR`, with --tls-cert
    /// and --tls-key.
    #[arg(
        long,
        value_name = "ADDR",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "127.0.0.1:6514",
        requires_all = ["tls_cert", "tls_key"]
    )]
    syslog_tls: Option<SocketAddr>,

    /// The receiver's certificate chain (PEM) for --syslog-tls.
    #[arg(long, value_name = "FILE")]
    tls_cert: Option<PathBuf>,

    /// The private key (PEM) for --syslog-tls.
    #[arg(long, value_name = "FILE")]
    tls_key: Option<PathBuf>,

    /// Accept syslog only from senders in this address block (192.0.2.0/24,
    /// or one address); others are dropped and counted. Repeatable.
    #[arg(long, value_name = "CIDR")]
    syslog_allow: Vec<syslog::Cidr>,

    /// UDP receive buffer to ask the kernel for, in bytes; the size granted
    /// is shown in the source's status.
    #[arg(long, value_name = "BYTES", default_value_t = syslog::DEFAULT_RCVBUF)]
    syslog_rcvbuf: usize,
}

impl IngestArgs {
    fn settings(&self) -> SourceSettings {
        if !(self.poll_interval.is_finite() && self.poll_interval > 0.0) {
            usage_error("--poll-interval must be a positive number of seconds");
        }
        SourceSettings {
            poll_interval: Duration::from_secs_f64(self.poll_interval.min(3600.0)),
            poll_only: self.poll,
            backlog: (!self.from_start).then_some(self.backlog),
            max_line: self.max_line.max(1),
            commands: self.commands.clone(),
            syslog_udp: self.syslog_udp,
            syslog_tcp: self.syslog_tcp,
            syslog_tls: self.syslog_tls,
            tls_cert: self.tls_cert.clone(),
            tls_key: self.tls_key.clone(),
            syslog_allow: self.syslog_allow.clone(),
            syslog_rcvbuf: self.syslog_rcvbuf,
        }
    }

    /// Sources besides files and stdin were asked for.
    fn has_other_sources(&self) -> bool {
        !self.commands.is_empty()
            || self.syslog_udp.is_some()
            || self.syslog_tcp.is_some()
            || self.syslog_tls.is_some()
    }
}

#[derive(Args, Clone)]
struct DashboardArgs {
    /// Markdown runbook to show as the checklist (default: the bundled
    /// AnyConnect "Authentication Failed" runbook).
    #[arg(long, value_name = "FILE")]
    runbook: Option<PathBuf>,

    /// Journal of checklist changes (JSONL, append-only). Default:
    /// vpnwatch-YYYY-MM-DD.jsonl in the current directory.
    #[arg(long, value_name = "FILE")]
    journal: Option<PathBuf>,

    /// Name recorded with each checklist change (default: the login name).
    #[arg(long, value_name = "NAME")]
    operator: Option<String>,

    /// Theme: default, light, high-contrast, or a path to a .toml theme.
    #[arg(long, value_name = "NAME", default_value = "default")]
    theme: String,

    /// Log lines kept in memory per pane.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_RETAIN)]
    retain: usize,

    /// Seconds (log time) a headend log may be silent while other sources
    /// move on before the header marks it `⚠ quiet`.
    #[arg(long, value_name = "SECS", default_value_t = vpnwatch::pipeline::DEFAULT_QUIET_AFTER.as_secs())]
    quiet_after: i64,
}

#[derive(Subcommand)]
enum Command {
    /// Replay the bundled sample incident as live logs in the dashboard.
    Demo {
        /// Replay speed as a multiple of real time (default: the story plays in about a minute).
        #[arg(long)]
        speed: Option<f64>,
        #[command(flatten)]
        dashboard: DashboardArgs,
    },
    /// Read logs to the end and print the per-user failure table.
    Scan {
        /// Print one JSON document instead of a table.
        #[arg(long)]
        json: bool,
        /// The user a client log is about when its lines do not name one.
        #[arg(long, value_name = "NAME")]
        user: Option<String>,
        #[command(flatten)]
        roles: RoleArgs,
    },
    /// List the log formats vpnwatch reads, with an example line of each.
    Formats,
    /// Print one JSON object per recognised log line (NDJSON).
    Events {
        /// Keep following the files (and any --command / --syslog-* source)
        /// as the dashboard does, printing lines as they arrive, until
        /// SIGTERM or SIGINT.
        #[arg(long)]
        follow: bool,
        /// The user a client log is about when its lines do not name one.
        #[arg(long, value_name = "NAME")]
        user: Option<String>,
        #[command(flatten)]
        roles: RoleArgs,
        #[command(flatten)]
        ingest: IngestArgs,
    },
    /// Runbook tools: `runbook check FILE` validates a runbook and prints its steps.
    Runbook {
        #[command(subcommand)]
        command: RunbookCommand,
    },
    /// Write a .tar.gz of one user's log lines (with context), stats and the checklist.
    Bundle {
        /// The user: a user name, or a hidden user's client IP.
        #[arg(long, value_name = "NAME")]
        user: String,
        /// Lines of context before and after each of the user's lines.
        #[arg(long, value_name = "N", default_value_t = vpnwatch::engine::evidence::DEFAULT_CONTEXT)]
        context: usize,
        /// Replace user names, IPs and host names with stable pseudonyms everywhere.
        #[arg(long)]
        redact: bool,
        /// Where to write the bundle (default: a timestamped .tar.gz here).
        #[arg(short = 'o', long = "output", value_name = "OUT.tar.gz")]
        output: Option<PathBuf>,
        /// Journal: the checklist state comes from it and the export is recorded in it.
        #[arg(long, value_name = "FILE")]
        journal: Option<PathBuf>,
        /// The runbook the journal belongs to (default: the bundled one).
        #[arg(long, value_name = "FILE")]
        runbook: Option<PathBuf>,
        /// Name recorded with the export (default: the login name).
        #[arg(long, value_name = "NAME")]
        operator: Option<String>,
        #[command(flatten)]
        roles: RoleArgs,
    },
    /// Check the AAA servers: RADIUS Status-Server, LDAP bind, TCP connect.
    /// Secrets come from files, the environment or a prompt, never a flag.
    Probe(ProbeCli),
    /// Write the postmortem (Markdown) from the journal and, optionally, the logs.
    Report {
        /// The incident's journal (read only).
        #[arg(long, value_name = "FILE")]
        journal: PathBuf,
        /// The runbook the journal belongs to (default: the bundled one).
        #[arg(long, value_name = "FILE")]
        runbook: Option<PathBuf>,
        /// Write to FILE instead of standard output.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        roles: RoleArgs,
    },
}

/// `vpnwatch probe` flags. Exit 0 when every target answered, 1 when one
/// did not (or refused the probe's credentials), 2 on usage errors.
#[derive(Args)]
struct ProbeCli {
    /// RADIUS server HOST[:PORT] (port 1812 by default); repeatable.
    #[arg(long, value_name = "HOST[:PORT]")]
    radius: Vec<String>,
    /// LDAP server URL (ldap://HOST[:PORT], ldaps://HOST[:PORT]); repeatable.
    #[arg(long, value_name = "URL")]
    ldap: Vec<String>,
    /// Any other server, checked by a TCP connect; repeatable.
    #[arg(long, value_name = "HOST:PORT")]
    tcp: Vec<String>,
    /// Also probe every AAA server these logs name (`log_servers` in the
    /// config says what they speak; RADIUS by default).
    #[arg(long, value_name = "FILE", num_args = 1..)]
    from_logs: Vec<PathBuf>,
    /// File whose first line is the RADIUS shared secret (else
    /// $VPNWATCH_RADIUS_SECRET, the config's secret_file, or a prompt).
    #[arg(long, value_name = "FILE")]
    secret_file: Option<PathBuf>,
    /// LDAP service account DN for the bind (anonymous when unset).
    #[arg(long, value_name = "DN")]
    bind_dn: Option<String>,
    /// File whose first line is the bind password (else
    /// $VPNWATCH_LDAP_PASSWORD, the config's bind_password_file, or a prompt).
    #[arg(long, value_name = "FILE")]
    bind_password_file: Option<PathBuf>,
    /// Where `--user` is looked up in LDAP.
    #[arg(long, value_name = "DN")]
    base_dn: Option<String>,
    /// Look this user up in LDAP and report the account's state.
    #[arg(long, value_name = "NAME")]
    user: Option<String>,
    /// Send a test Access-Request for this account to each RADIUS server.
    #[arg(long, value_name = "NAME")]
    test_user: Option<String>,
    /// File whose first line is the test account's password (else a prompt).
    #[arg(long, value_name = "FILE", requires = "test_user")]
    test_password_file: Option<PathBuf>,
    /// Seconds to wait for each try (default 2; at most 60).
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<f64>,
    /// Sends per RADIUS request (default 3; at most 10).
    #[arg(long, value_name = "N")]
    tries: Option<u32>,
    /// Print one JSON array instead of lines.
    #[arg(long)]
    json: bool,
    /// Configuration file (default: $XDG_CONFIG_HOME/vpnwatch/config.toml).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum RunbookCommand {
    /// Validate a runbook and print its steps, commands and cause hints.
    Check {
        /// The Markdown runbook.
        file: PathBuf,
    },
}

/// The logs to read and what they are, for the dashboard and every command
/// that reads logs.
#[derive(Args)]
struct RoleArgs {
    /// Log files; each file's role is detected from its content. `-` reads stdin.
    files: Vec<PathBuf>,
    /// Read FILE as a headend (ASA/FTD syslog) log, whatever its content.
    #[arg(long, value_name = "FILE")]
    headend: Vec<PathBuf>,
    /// Read FILE as an AnyConnect client log, whatever its content.
    #[arg(long, value_name = "FILE")]
    client: Vec<PathBuf>,
    /// Read FILE as an authentication-server log (RADIUS, ISE, NPS, AD), whatever its content.
    #[arg(long, value_name = "FILE")]
    auth: Vec<PathBuf>,
    /// Read every file in this format instead of detecting it (`vpnwatch formats` lists them).
    #[arg(long, value_name = "NAME", value_parser = parse_format)]
    format: Option<Format>,
    /// In JSON input (a log store's export), the raw line is at this field
    /// path (`payload.text`), tried before the known fields.
    #[arg(long, value_name = "PATH")]
    json_field: Option<String>,
    /// The zone of time stamps that carry none (default UTC): `--tz ZONE`
    /// for every file, `--tz FILE=ZONE` for one (repeatable). ZONE is an
    /// IANA name (Europe/Berlin), UTC, or an offset (+02:00).
    #[arg(long, value_name = "ZONE|FILE=ZONE")]
    tz: Vec<String>,
}

/// Installs the `--tz` rules before any log is read.
fn install_time_rules(roles: &RoleArgs) {
    match vpnwatch::parse::clock::TimeRules::parse(&roles.tz) {
        Ok(rules) => vpnwatch::parse::clock::set_rules(rules),
        Err(message) => usage_error(&message),
    }
}

/// `--format NAME`, checked against the known formats.
fn parse_format(name: &str) -> Result<Format, String> {
    Format::from_name(name)
        .ok_or_else(|| format!("unknown format {name:?}; `vpnwatch formats` lists the formats"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
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
    err.chain()
        .filter_map(|e| e.downcast_ref::<std::io::Error>())
        .any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

fn one_line(err: &anyhow::Error) -> String {
    err.chain()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join(": ")
}

fn usage_error(message: &str) -> ! {
    use clap::CommandFactory;
    Cli::command()
        .error(clap::error::ErrorKind::ValueValidation, message)
        .exit()
}

/// The inputs named on the command line, each with its forced role, format
/// and user, and the format detected where none was forced.
fn inputs(roles: &RoleArgs, user: Option<&str>) -> Vec<Input> {
    if let Some(path) = &roles.json_field {
        vpnwatch::parse::envelope::set_json_field(path.clone());
    }
    let input = |p: &PathBuf, family| Input {
        family,
        format: roles.format,
        user: user.map(str::to_string),
        ..Input::new(InputPath::from_arg(p))
    };
    let mut all: Vec<Input> = roles.files.iter().map(|p| input(p, None)).collect();
    all.extend(
        roles
            .headend
            .iter()
            .map(|p| input(p, Some(Family::Headend))),
    );
    all.extend(roles.client.iter().map(|p| input(p, Some(Family::Client))));
    all.extend(
        roles
            .auth
            .iter()
            .map(|p| input(p, Some(Family::AuthServer))),
    );
    app::resolve_formats(&mut all);
    all
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        None => install_time_rules(&cli.roles),
        Some(
            Command::Scan { roles, .. }
            | Command::Events { roles, .. }
            | Command::Bundle { roles, .. }
            | Command::Report { roles, .. },
        ) => install_time_rules(roles),
        Some(_) => {}
    }
    match cli.command {
        Some(Command::Formats) => {
            print!("{}", vpnwatch::parse::formats::describe_formats());
            Ok(())
        }
        Some(Command::Scan { json, user, roles }) => {
            let files = headless_files(&roles, user.as_deref())?;
            let report = headless::scan(&files, &ParseContext::default())?;
            let mut out = std::io::stdout().lock();
            if json {
                serde_json::to_writer_pretty(&mut out, &report)?;
                writeln!(out)?;
            } else {
                headless::write_table(&report, &mut out)?;
            }
            out.flush()?;
            for w in &report.warnings {
                eprintln!("vpnwatch: {w}");
            }
            if report.files.iter().all(|f| f.recognised == 0) {
                // Nothing was read: an empty report is no all-clear.
                std::process::exit(1);
            }
            Ok(())
        }
        Some(Command::Events {
            follow: true,
            roles,
            ingest,
            user,
        }) => run_follow(&roles, &ingest, user.as_deref()),
        Some(Command::Events { roles, user, .. }) => {
            let files = headless_files(&roles, user.as_deref())?;
            headless::events(&files, &ParseContext::default(), std::io::stdout().lock())
        }
        Some(Command::Demo { speed, dashboard }) => run_demo(speed, dashboard),
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
                operator: operator.unwrap_or_else(app::default_operator),
                runbook: load_runbook(runbook.as_deref())?,
            };
            incident_cmd::bundle(&args, &files, std::io::stdout().lock())
        }
        Some(Command::Probe(args)) => run_probe(args),
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
            incident_cmd::report(
                &journal,
                &load_runbook(runbook.as_deref())?,
                &files,
                output.as_deref(),
                std::io::stdout().lock(),
            )
        }
        None => {
            let inputs = inputs(&cli.roles, cli.user.as_deref());
            check_inputs(
                &inputs,
                &cli.ingest,
                "no log files given (try `vpnwatch demo`, or `vpnwatch --help`)",
            );
            need_terminal()?;
            let families = app::resolve_families(&inputs)?;
            let mut config = console_config(inputs, families, &cli.dashboard, None)?;
            config.ingest = cli.ingest.settings();
            run_console(config)
        }
    }
}

fn run_probe(cli: ProbeCli) -> anyhow::Result<()> {
    use vpnwatch::app::probe_cmd::{self, ProbeArgs};
    if let Some(t) = cli.timeout
        && !(t.is_finite() && t > 0.0 && t <= 60.0)
    {
        usage_error("--timeout must be a number of seconds between 0 and 60");
    }
    if let Some(n) = cli.tries
        && !(1..=vpnwatch::probe::MAX_TRIES).contains(&n)
    {
        usage_error("--tries must be between 1 and 10");
    }
    let config = match vpnwatch::config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("vpnwatch: {e}");
            std::process::exit(2);
        }
    };
    let from_logs = if cli.from_logs.is_empty() {
        Vec::new()
    } else {
        let roles = RoleArgs {
            files: cli.from_logs.clone(),
            headend: Vec::new(),
            client: Vec::new(),
            auth: Vec::new(),
            format: None,
            tz: Vec::new(),
            json_field: None,
        };
        headless_files(&roles, None)?
    };
    let args = ProbeArgs {
        radius: cli.radius,
        ldap: cli.ldap,
        tcp: cli.tcp,
        from_logs,
        secret_file: cli.secret_file,
        bind_dn: cli.bind_dn,
        bind_password_file: cli.bind_password_file,
        base_dn: cli.base_dn,
        user: cli.user,
        test_user: cli.test_user,
        test_password_file: cli.test_password_file,
        timeout: cli.timeout,
        tries: cli.tries,
        json: cli.json,
    };
    let mut out = std::io::stdout().lock();
    match probe_cmd::run(&args, &config, &mut out)? {
        Ok(true) => Ok(()),
        Ok(false) => {
            out.flush()?;
            std::process::exit(1);
        }
        Err(e) => {
            eprintln!("vpnwatch: probe: {e}");
            std::process::exit(2);
        }
    }
}

fn headless_files(roles: &RoleArgs, user: Option<&str>) -> anyhow::Result<Vec<HeadlessFile>> {
    let inputs = inputs(roles, user);
    if inputs.is_empty() {
        usage_error("no log files given");
    }
    let families = app::resolve_families(&inputs)?;
    inputs
        .into_iter()
        .zip(families)
        .map(|(input, family)| {
            let path = match input.path {
                InputPath::File(path) => path,
                InputPath::Stdin => PathBuf::from("/dev/stdin"),
            };
            Ok(HeadlessFile {
                path,
                family,
                format: input.format,
                user: input.user,
            })
        })
        .collect()
}

fn load_runbook(path: Option<&Path>) -> anyhow::Result<Runbook> {
    match path {
        None => runbook::parse(DEFAULT_RUNBOOK).context("bundled runbook"),
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| p.display().to_string())?;
            runbook::parse(&text).with_context(|| p.display().to_string())
        }
    }
}

fn console_config(
    inputs: Vec<Input>,
    families: Vec<Family>,
    args: &DashboardArgs,
    default_journal: Option<PathBuf>,
) -> anyhow::Result<ConsoleConfig> {
    let mut theme = Theme::load(&args.theme)?;
    if no_color_requested() {
        theme = theme.without_colour();
    }
    Ok(ConsoleConfig {
        inputs,
        families,
        runbook: load_runbook(args.runbook.as_deref())?,
        journal: args
            .journal
            .clone()
            .or(default_journal)
            .unwrap_or_else(app::default_journal_path),
        operator: args.operator.clone().unwrap_or_else(app::default_operator),
        theme,
        retain: args.retain.max(1),
        ingest: SourceSettings::default(),
        quiet_after: jiff::SignedDuration::from_secs(args.quiet_after.max(1)),
        probe: match vpnwatch::config::load(None) {
            Ok(c) => c.probe,
            Err(e) => {
                eprintln!("vpnwatch: {e}");
                std::process::exit(2);
            }
        },
    })
}

fn run_demo(speed: Option<f64>, args: DashboardArgs) -> anyhow::Result<()> {
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
    let paths = demo::create_files(dir.path()).context("creating the demo files")?;
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
    )?;
    let _writer = demo::spawn_writer(plan, paths, speed);
    run_console(config)
}

/// `events --follow`: the dashboard's sources, printed as NDJSON.
fn run_follow(roles: &RoleArgs, ingest: &IngestArgs, user: Option<&str>) -> anyhow::Result<()> {
    // `--user` names the person a client log is about, as in `events`.
    let inputs = inputs(roles, user);
    check_inputs(&inputs, ingest, "no log files given");
    let families = app::resolve_families(&inputs)?;
    let config = FollowConfig {
        inputs,
        families,
        ingest: ingest.settings(),
        ctx: ParseContext::default(),
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

/// The usage checks every following command shares: something to read,
/// and stdin at most once.
fn check_inputs(inputs: &[Input], ingest: &IngestArgs, none_given: &str) {
    if inputs.is_empty() && !ingest.has_other_sources() {
        usage_error(none_given);
    }
    if inputs.iter().filter(|i| i.path == InputPath::Stdin).count() > 1 {
        usage_error("`-` (stdin) can be given only once");
    }
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
