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
use vpnwatch::config::{self, Config};
use vpnwatch::engine::IncidentLimits;
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
#[command(
    name = "vpnwatch",
    version,
    args_conflicts_with_subcommands = true,
    after_help = "Examples:
  vpnwatch demo                                  replay the sample incident
  vpnwatch /var/log/asa/vpn.log laptop.log       follow logs, roles detected
  vpnwatch --headend asa.log --client laptop.log force the roles
  vpnwatch --syslog-udp=0.0.0.0:514              receive syslog (note the =)
  vpnwatch --command 'ssh fw1 tail -F /var/log/asa.log'"
)]
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

    /// Users tracked one by one (dashboard, scan, events, report, bundle);
    /// further users are counted together, exactly, in one
    /// `(other N users)` row.
    #[arg(long, global = true, value_name = "N", default_value_t = vpnwatch::engine::incident::DEFAULT_MAX_USERS)]
    max_users: usize,
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

    /// Theme: default, light, high-contrast, colorblind, or a path to a
    /// .toml theme (default: the config file's `theme`, else default; `t`
    /// cycles the bundled ones at run time).
    #[arg(long, value_name = "NAME", value_parser = parse_theme)]
    theme: Option<String>,

    /// Log lines kept in memory per pane.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_RETAIN)]
    retain: usize,

    /// Seconds (log time) a headend log may be silent while other sources
    /// move on before the header marks it `⚠ quiet` (default: the config
    /// file's `quiet_after`, else 120).
    #[arg(long, value_name = "SECS")]
    quiet_after: Option<i64>,

    /// Leave the mouse to the terminal (select and copy text) instead of
    /// clicking panes and scrolling with the wheel (also `mouse = false` in
    /// the config file).
    #[arg(long)]
    no_mouse: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Replay the bundled sample incident as live logs in the dashboard.
    #[command(mut_arg("journal", |a| a.help(
        "Journal of checklist changes (JSONL, append-only). Default: journal.jsonl in the demo's \
         temporary directory, removed when the demo ends (its ticks are practice)"
    )))]
    #[command(after_help = "Examples:
  vpnwatch demo                     the story plays in about a minute
  vpnwatch demo --speed 1           in real time (about half an hour)
  vpnwatch demo --theme light       on a light terminal")]
    Demo {
        /// Replay speed as a multiple of real time (default: the story plays in about a minute).
        #[arg(long)]
        speed: Option<f64>,
        #[command(flatten)]
        dashboard: DashboardArgs,
    },
    /// Read logs to the end and print the per-user failure table.
    #[command(after_help = "Examples:
  vpnwatch scan asa.log laptop.log
  vpnwatch scan --json asa.log | jq '.users[] | select(.state == \"failing\")'
  zcat asa.log.gz | vpnwatch scan             a piped log is read from stdin
  vpnwatch scan --tz Europe/Berlin asa.log    stamps without a zone are Berlin time")]
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
    #[command(after_help = "Examples:
  vpnwatch formats
  vpnwatch scan --format cisco-ise auth.log    read a file as one of them")]
    Formats,
    /// Print one JSON object per recognised log line (NDJSON).
    #[command(after_help = "Examples:
  vpnwatch events asa.log | jq 'select(.outcome == \"failure\")'
  vpnwatch events --follow asa.log            keep printing as lines arrive
  vpnwatch events --follow --syslog-udp=0.0.0.0:514")]
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
    #[command(after_help = "Examples:
  vpnwatch runbook check runbooks/anyconnect-auth-failed.md")]
    Runbook {
        #[command(subcommand)]
        command: RunbookCommand,
    },
    /// Write a .tar.gz of one user's log lines (with context), stats and the checklist.
    #[command(after_help = "Examples:
  vpnwatch bundle --user tbrennan asa.log laptop.log
  vpnwatch bundle --user tbrennan --redact -o for-it.tar.gz asa.log
  vpnwatch bundle --user 192.0.2.147 asa.log    a hidden user, by client IP")]
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
    /// Each result is journaled (today's journal unless named), so the
    /// report's timeline has the check.
    #[command(after_help = "Examples:
  vpnwatch probe                                 the servers in the config's [probe]
  vpnwatch probe --radius 10.20.0.13 --secret-file ~/.radius-secret
  vpnwatch probe --ldap ldaps://dc01 --user tbrennan --base-dn dc=corp,dc=example
  vpnwatch probe --ldap ldaps://dc01 --ldap-ca corp-root-ca.pem
  vpnwatch probe --from-logs asa.log             every AAA server the log names
  vpnwatch probe --journal vpnwatch-2026-11-28.jsonl --from-logs asa.log")]
    Probe(ProbeCli),
    /// Write the postmortem (Markdown) from the journal and, optionally, the logs.
    #[command(after_help = "Examples:
  vpnwatch report                              today's journal, to stdout
  vpnwatch report --journal vpnwatch-2026-11-28.jsonl -o postmortem.md asa.log")]
    Report {
        /// The incident's journal (read only). Default: today's journal,
        /// vpnwatch-YYYY-MM-DD.jsonl in the current directory.
        #[arg(long, value_name = "FILE")]
        journal: Option<PathBuf>,
        /// The runbook the journal belongs to (default: the bundled one).
        #[arg(long, value_name = "FILE")]
        runbook: Option<PathBuf>,
        /// Write to FILE instead of standard output.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        roles: RoleArgs,
    },
    /// Print a shell completion script.
    #[command(after_help = "Examples:
  vpnwatch completions bash > ~/.local/share/bash-completion/completions/vpnwatch
  vpnwatch completions zsh > ~/.zfunc/_vpnwatch
  vpnwatch completions fish > ~/.config/fish/completions/vpnwatch.fish
  vpnwatch completions powershell >> $PROFILE")]
    Completions {
        /// The shell: bash, zsh, fish, powershell or elvish.
        shell: clap_complete::Shell,
    },
    /// Show the configuration file: where it is looked for, or the settings
    /// in force (the file merged over the defaults).
    #[command(after_help = "Examples:
  vpnwatch config --path                 where the file is looked for
  vpnwatch config --print                every setting in force, as TOML
  $EDITOR \"$(vpnwatch config --path)\"")]
    Config {
        /// Print the path of the configuration file (whether or not it exists).
        #[arg(long, conflicts_with = "print", required_unless_present = "print")]
        path: bool,
        /// Print the settings in force, as TOML.
        #[arg(long)]
        print: bool,
    },
    /// Print a manual page (roff): vpnwatch(1), or one subcommand's with
    /// its options (vpnwatch-scan(1)); `--dir` writes them all.
    #[command(after_help = "Examples:
  vpnwatch man | man -l -                 the main page
  vpnwatch man scan | man -l -            vpnwatch-scan(1), with scan's options
  vpnwatch man runbook check              a nested subcommand's page
  vpnwatch man --dir /usr/local/share/man/man1   every page, one file each")]
    Man {
        /// The subcommand whose page to print (`scan`; `runbook check`);
        /// none for the main page.
        #[arg(value_name = "SUBCOMMAND", conflicts_with = "dir")]
        page: Vec<String>,
        /// Write every page (vpnwatch.1, vpnwatch-scan.1, …) into DIR and
        /// print their paths.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
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
    /// Trust the CA certificates in this PEM file for ldaps:// (a private
    /// CA), instead of the system's store (else the config's ldap_ca).
    #[arg(long, value_name = "FILE")]
    ldap_ca: Option<PathBuf>,
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
    /// Journal each result here (JSONL, append-only), so the report's
    /// timeline has the check. Default: today's journal
    /// (vpnwatch-YYYY-MM-DD.jsonl in the config's journal_dir, else here).
    #[arg(long, value_name = "FILE")]
    journal: Option<PathBuf>,
    /// Journal nothing.
    #[arg(long, conflicts_with = "journal")]
    no_journal: bool,
    /// Configuration file (default: $XDG_CONFIG_HOME/vpnwatch/config.toml).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum RunbookCommand {
    /// Validate a runbook and print its steps, commands and cause hints.
    #[command(after_help = "Examples:
  vpnwatch runbook check my-runbook.md")]
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

/// How the logs named in `roles` are parsed: this year for stamps without
/// one, the `--tz` rules (else the config file's `tz`) and `--json-field`.
fn parse_context(roles: &RoleArgs) -> ParseContext {
    // The flags replace the file's rules, all of them.
    let from_config: Vec<String> = user_config()
        .tz
        .as_ref()
        .map(|t| t.0.clone())
        .unwrap_or_default();
    let rules = if roles.tz.is_empty() {
        &from_config
    } else {
        &roles.tz
    };
    match vpnwatch::parse::clock::TimeRules::parse(rules) {
        Ok(rules) => ParseContext::default()
            .with_time_rules(rules)
            .with_json_field(roles.json_field.as_deref()),
        // The config's rules were checked where it was read (file, line and
        // key); an error here is the flag's.
        Err(message) => usage_error(&format!("--tz: {message}")),
    }
}

/// `--theme NAME|FILE`, loaded once here so a wrong name is a usage error
/// (exit 2) before the terminal is touched.
fn parse_theme(name: &str) -> Result<String, String> {
    Theme::load(name)
        .map(|_| name.to_string())
        .map_err(|e| e.to_string())
}

/// `--format NAME`, checked against the known formats.
fn parse_format(name: &str) -> Result<Format, String> {
    Format::from_name(name)
        .ok_or_else(|| format!("unknown format {name:?}; `vpnwatch formats` lists the formats"))
}

/// Keeps glibc's allocator from holding on to freed large buffers. Its
/// threshold for serving a large allocation from its own mapping rises to
/// the size of the largest such buffer freed, after which the bulk
/// reader's per-block results (several MiB each, from two worker threads)
/// come from per-thread heaps that keep their pages: under a million-name
/// spray that was 90 MiB of peak RSS for nothing (BENCHMARKS.md, issue 12).
/// A fixed threshold of 128 KiB (glibc's default start) keeps large
/// buffers in mappings returned on free.
fn keep_large_buffers_mapped() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's tuning; it is called
    // before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

fn main() -> ExitCode {
    use clap::{CommandFactory, FromArgMatches};
    keep_large_buffers_mapped();
    let matches = Cli::command().get_matches();
    if let Some(name) = matches.subcommand_name() {
        let _ = SUBCOMMAND.set(name.to_string());
    }
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
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

/// Writes `bytes` to stdout; a write error (a closed pipe too) is returned.
fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    Ok(out.flush()?)
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
    err.chain()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join(": ")
}

/// The configuration file, read once; an unusable one ends the process with
/// one line naming the file, line and key, exit 2.
fn user_config() -> &'static Config {
    static CONFIG: std::sync::OnceLock<Config> = std::sync::OnceLock::new();
    CONFIG.get_or_init(|| {
        config::load(None).unwrap_or_else(|e| {
            eprintln!("vpnwatch: {e}");
            std::process::exit(2)
        })
    })
}

/// The default journal: today's file in the config's `journal_dir`, else here.
fn default_journal() -> PathBuf {
    let name = app::default_journal_path();
    match &user_config().journal_dir {
        Some(dir) => dir.join(name),
        None => name,
    }
}

/// `vpnwatch man`: the main page, one subcommand's page (named by its
/// words, `runbook check`), or every page written into `dir`.
fn man_pages(words: &[String], dir: Option<&Path>) -> anyhow::Result<()> {
    use clap::CommandFactory;
    // Built, so each subcommand is named `vpnwatch-scan` as its page is.
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let mut written = String::new();
        let mut pages = vec![cmd];
        while let Some(cmd) = pages.pop() {
            pages.extend(cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned());
            let path = man_page(cmd)
                .generate_to(dir)
                .with_context(|| format!("writing a manual page into {}", dir.display()))?;
            written.push_str(&format!("{}\n", path.display()));
        }
        return write_stdout(written.as_bytes());
    }
    let mut page = cmd;
    for word in words {
        let Some(sub) = page.find_subcommand(word).cloned() else {
            let names: Vec<&str> = page.get_subcommands().map(|s| s.get_name()).collect();
            usage_error(&format!(
                "no manual page for {:?}; one of: {}",
                words.join(" "),
                names.join(", ")
            ));
        };
        page = sub;
    }
    let mut roff = Vec::new();
    man_page(page).render(&mut roff)?;
    write_stdout(&roff)
}

/// One page, its footer naming vpnwatch and its version (a subcommand has
/// no version of its own).
fn man_page(cmd: clap::Command) -> clap_mangen::Man {
    clap_mangen::Man::new(cmd)
        .source(format!("vpnwatch {}", env!("CARGO_PKG_VERSION")))
        .manual("vpnwatch manual")
}

/// `config --print`: every setting in force, as TOML.
fn print_config() -> anyhow::Result<()> {
    use toml::Value;
    let c = user_config();
    let mut top = toml::Table::new();
    let mut set = |k: &str, v: Value| {
        top.insert(k.to_string(), v);
    };
    set(
        "theme",
        Value::String(c.theme.clone().unwrap_or_else(|| "default".into())),
    );
    set(
        "operator",
        Value::String(c.operator.clone().unwrap_or_else(app::default_operator)),
    );
    set(
        "journal_dir",
        Value::String(
            c.journal_dir
                .as_ref()
                .map_or_else(|| ".".to_string(), |d| d.display().to_string()),
        ),
    );
    set("mouse", Value::Boolean(c.mouse.unwrap_or(true)));
    set(
        "quiet_after",
        Value::Integer(
            c.quiet_after
                .unwrap_or(vpnwatch::pipeline::DEFAULT_QUIET_AFTER.as_secs()),
        ),
    );
    set(
        "tz",
        match c.tz.as_ref().map(|t| t.0.as_slice()) {
            None => Value::String("UTC".into()),
            Some([one]) => Value::String(one.clone()),
            Some(rules) => Value::Array(rules.iter().cloned().map(Value::String).collect()),
        },
    );
    let keys: toml::Table = vpnwatch::ui::keys::ACTIONS
        .iter()
        .map(|(action, defaults)| {
            let keys: Vec<String> = match c.keys.get(*action) {
                Some(k) => k.0.clone(),
                None => defaults.iter().map(|d| d.to_string()).collect(),
            };
            let value = match keys.as_slice() {
                [one] => Value::String(one.clone()),
                _ => Value::Array(keys.into_iter().map(Value::String).collect()),
            };
            (action.to_string(), value)
        })
        .collect();
    set("keys", Value::Table(keys));
    set("probe", Value::Table(toml::Table::try_from(&c.probe)?));
    write_stdout(toml::to_string(&top)?.as_bytes())
}

/// The subcommand being run, so a usage error shows its usage rather than
/// the top-level one.
static SUBCOMMAND: std::sync::OnceLock<String> = std::sync::OnceLock::new();

fn usage_error(message: &str) -> ! {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    // Building fills in each subcommand's `vpnwatch NAME` for its usage line.
    cmd.build();
    let sub = SUBCOMMAND
        .get()
        .and_then(|name| cmd.find_subcommand_mut(name))
        .map(|s| s.clone());
    sub.unwrap_or(cmd)
        .error(clap::error::ErrorKind::ValueValidation, message)
        .exit()
}

/// Standard input carries data (a pipe, a file or a socket), as in
/// `zcat asa.log.gz | vpnwatch scan`: then it is read when no file is
/// named. A terminal or /dev/null is not taken for a log.
fn stdin_is_data() -> bool {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        use std::os::unix::fs::FileTypeExt;
        let Ok(fd) = std::io::stdin().as_fd().try_clone_to_owned() else {
            return false;
        };
        std::fs::File::from(fd).metadata().is_ok_and(|m| {
            let t = m.file_type();
            t.is_fifo() || t.is_file() || t.is_socket()
        })
    }
    #[cfg(not(unix))]
    {
        use std::io::IsTerminal;
        !std::io::stdin().is_terminal()
    }
}

/// A FILE argument that does not exist but reads as `HOST:PORT` is almost
/// surely a listener address that lost its `=` (`--syslog-udp 0.0.0.0:514`):
/// say so instead of waiting for that file for ever.
fn check_address_like_files(inputs: &[Input]) {
    for input in inputs {
        let InputPath::File(path) = &input.path else {
            continue;
        };
        if path.exists() {
            continue;
        }
        let text = path.to_string_lossy();
        if text.parse::<SocketAddr>().is_ok() {
            usage_error(&format!(
                "{text} is not a file; to receive syslog there write --syslog-udp={text} \
                 or --syslog-tcp={text} (with `=`)"
            ));
        }
    }
}

/// The inputs named on the command line, each with its forced role, format
/// and user, and the format detected where none was forced.
fn inputs(roles: &RoleArgs, user: Option<&str>) -> Vec<Input> {
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

/// [`inputs`], or standard input when no file is named and stdin carries
/// data (`vpnwatch scan < asa.log`).
fn inputs_or_stdin(roles: &RoleArgs, user: Option<&str>) -> Vec<Input> {
    let all = inputs(roles, user);
    if !all.is_empty() || !stdin_is_data() {
        return all;
    }
    let mut all = vec![Input {
        format: roles.format,
        user: user.map(str::to_string),
        ..Input::new(InputPath::Stdin)
    }];
    app::resolve_formats(&mut all);
    all
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
            let report = headless::scan(&files, &ctx, limits)?;
            // Stdout is line-buffered: unbuffered, the pretty JSON would be
            // one write(2) per line (130 k on a 2 M-line log).
            let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
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
        }) => run_follow(&roles, &ingest, user.as_deref(), ctx, limits),
        Some(Command::Events { roles, user, .. }) => {
            let files = headless_files(&roles, user.as_deref())?;
            headless::events(&files, &ctx, limits, std::io::stdout().lock())
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
        ldap_ca: cli.ldap_ca,
        user: cli.user,
        test_user: cli.test_user,
        test_password_file: cli.test_password_file,
        timeout: cli.timeout,
        tries: cli.tries,
        json: cli.json,
        // Today's journal as the dashboard and `report` name it, from the
        // config this run loaded (`--config` included).
        journal: (!cli.no_journal).then(|| {
            cli.journal.unwrap_or_else(|| {
                let name = app::default_journal_path();
                config
                    .journal_dir
                    .as_ref()
                    .map_or(name.clone(), |d| d.join(&name))
            })
        }),
        operator: config
            .operator
            .clone()
            .unwrap_or_else(app::default_operator),
        limits,
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
    let inputs = inputs_or_stdin(roles, user);
    if inputs.is_empty() {
        usage_error("no log files given (name them, or pipe a log into standard input)");
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
    ctx: ParseContext,
    limits: IncidentLimits,
) -> anyhow::Result<ConsoleConfig> {
    let cfg = user_config();
    let theme_name = args.theme.as_ref().or(cfg.theme.as_ref());
    let mut theme = Theme::load(theme_name.map_or("default", String::as_str))?;
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
            .unwrap_or_else(self::default_journal),
        operator: args
            .operator
            .clone()
            .or_else(|| cfg.operator.clone())
            .unwrap_or_else(app::default_operator),
        theme,
        retain: args.retain.max(1),
        ingest: SourceSettings::default(),
        quiet_after: jiff::SignedDuration::from_secs(
            args.quiet_after
                .or(cfg.quiet_after)
                .unwrap_or(vpnwatch::pipeline::DEFAULT_QUIET_AFTER.as_secs())
                .max(1),
        ),
        keys: cfg.key_map(),
        mouse: !args.no_mouse && cfg.mouse.unwrap_or(true),
        probe: cfg.probe.clone(),
        ctx,
        limits,
    })
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
