//! The command line's definition: every flag and subcommand of `vpnwatch`
//! (clap), the value checks clap runs, and the one way a usage error is
//! reported (exit 2, with the subcommand's usage). [`resolve`] turns the
//! parsed arguments into what `vpnwatch::app` takes; [`show`] holds the
//! commands that print what vpnwatch knows of itself (manual pages,
//! settings). `main.rs` only dispatches.

pub mod resolve;
pub mod show;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use vpnwatch::app::sources;
use vpnwatch::parse::formats::Format;
use vpnwatch::pipeline::DEFAULT_RETAIN;
use vpnwatch::source::syslog;
use vpnwatch::ui::Theme;

/// The arguments of this run; clap's own errors (and `--help`,
/// `--version`) end the process here. The subcommand is remembered so a
/// later usage error shows its usage.
pub fn parse() -> Cli {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().get_matches();
    if let Some(name) = matches.subcommand_name() {
        let _ = SUBCOMMAND.set(name.to_string());
    }
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

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
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub roles: RoleArgs,

    /// The user a client log is about when its lines do not name one (a log collected from one person).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,

    #[command(flatten)]
    pub dashboard: DashboardArgs,

    #[command(flatten)]
    pub ingest: IngestArgs,

    /// Users tracked one by one (dashboard, scan, events, report, bundle);
    /// further users are counted together, exactly, in one
    /// `(other N users)` row.
    #[arg(long, global = true, value_name = "N", default_value_t = vpnwatch::engine::incident::DEFAULT_MAX_USERS)]
    pub max_users: usize,
}

/// How sources are read, and the sources that are not files.
#[derive(Args, Clone)]
pub struct IngestArgs {
    /// Lines shown at once from each file that exists at start-up (found by
    /// reading backwards from its end); then the file is followed.
    #[arg(long, value_name = "N", default_value_t = sources::DEFAULT_BACKLOG)]
    pub backlog: u64,

    /// Read files that exist at start-up from their first line instead.
    #[arg(long, conflicts_with = "backlog")]
    pub from_start: bool,

    /// Lines longer than this many bytes are split into marked pieces.
    #[arg(long, value_name = "BYTES", default_value_t = vpnwatch::source::lines::DEFAULT_MAX_LINE)]
    pub max_line: usize,

    /// Follow files by polling only, without inotify (network file systems).
    #[arg(long)]
    pub poll: bool,

    /// Seconds between checks of each followed file.
    #[arg(long, value_name = "SECONDS", default_value_t = 1.0)]
    pub poll_interval: f64,

    /// Run CMD with `sh -c` and follow its output as a headend log; it is
    /// restarted (1 s to 30 s backoff) when it exits. Repeatable.
    #[arg(long = "command", id = "run_command", value_name = "CMD")]
    pub commands: Vec<String>,

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
    pub syslog_udp: Option<SocketAddr>,

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
    pub syslog_tcp: Option<SocketAddr>,

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
    pub syslog_tls: Option<SocketAddr>,

    /// The receiver's certificate chain (PEM) for --syslog-tls.
    #[arg(long, value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,

    /// The private key (PEM) for --syslog-tls.
    #[arg(long, value_name = "FILE")]
    pub tls_key: Option<PathBuf>,

    /// Accept syslog only from senders in this address block (192.0.2.0/24,
    /// or one address); others are dropped and counted. Repeatable.
    #[arg(long, value_name = "CIDR")]
    pub syslog_allow: Vec<syslog::Cidr>,

    /// UDP receive buffer to ask the kernel for, in bytes; the size granted
    /// is shown in the source's status.
    #[arg(long, value_name = "BYTES", default_value_t = syslog::DEFAULT_RCVBUF)]
    pub syslog_rcvbuf: usize,
}

#[derive(Args, Clone)]
pub struct DashboardArgs {
    /// Markdown runbook to show as the checklist (default: the bundled
    /// AnyConnect "Authentication Failed" runbook).
    #[arg(long, value_name = "FILE")]
    pub runbook: Option<PathBuf>,

    /// Journal of checklist changes (JSONL, append-only). Default:
    /// vpnwatch-YYYY-MM-DD.jsonl in the current directory.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,

    /// Name recorded with each checklist change (default: the login name).
    #[arg(long, value_name = "NAME")]
    pub operator: Option<String>,

    /// Theme: default, light, high-contrast, colorblind, or a path to a
    /// .toml theme (default: the config file's `theme`, else default; `t`
    /// cycles the bundled ones at run time).
    #[arg(long, value_name = "NAME", value_parser = parse_theme)]
    pub theme: Option<String>,

    /// Log lines kept in memory per pane.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_RETAIN)]
    pub retain: usize,

    /// Seconds (log time) a headend log may be silent while other sources
    /// move on before the header marks it `⚠ quiet` (default: the config
    /// file's `quiet_after`, else 120).
    #[arg(long, value_name = "SECS")]
    pub quiet_after: Option<i64>,

    /// Leave the mouse to the terminal (select and copy text) instead of
    /// clicking panes and scrolling with the wheel (also `mouse = false` in
    /// the config file).
    #[arg(long)]
    pub no_mouse: bool,
}

#[derive(Subcommand)]
pub enum Command {
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
pub struct ProbeCli {
    /// RADIUS server HOST[:PORT] (port 1812 by default); repeatable.
    #[arg(long, value_name = "HOST[:PORT]")]
    pub radius: Vec<String>,
    /// LDAP server URL (ldap://HOST[:PORT], ldaps://HOST[:PORT]); repeatable.
    #[arg(long, value_name = "URL")]
    pub ldap: Vec<String>,
    /// Any other server, checked by a TCP connect; repeatable.
    #[arg(long, value_name = "HOST:PORT")]
    pub tcp: Vec<String>,
    /// Also probe every AAA server these logs name (`log_servers` in the
    /// config says what they speak; RADIUS by default).
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub from_logs: Vec<PathBuf>,
    /// File whose first line is the RADIUS shared secret (else
    /// $VPNWATCH_RADIUS_SECRET, the config's secret_file, or a prompt).
    #[arg(long, value_name = "FILE")]
    pub secret_file: Option<PathBuf>,
    /// LDAP service account DN for the bind (anonymous when unset).
    #[arg(long, value_name = "DN")]
    pub bind_dn: Option<String>,
    /// File whose first line is the bind password (else
    /// $VPNWATCH_LDAP_PASSWORD, the config's bind_password_file, or a prompt).
    #[arg(long, value_name = "FILE")]
    pub bind_password_file: Option<PathBuf>,
    /// Where `--user` is looked up in LDAP.
    #[arg(long, value_name = "DN")]
    pub base_dn: Option<String>,
    /// Trust the CA certificates in this PEM file for ldaps:// (a private
    /// CA), instead of the system's store (else the config's ldap_ca).
    #[arg(long, value_name = "FILE")]
    pub ldap_ca: Option<PathBuf>,
    /// Look this user up in LDAP and report the account's state.
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// Send a test Access-Request for this account to each RADIUS server.
    #[arg(long, value_name = "NAME")]
    pub test_user: Option<String>,
    /// File whose first line is the test account's password (else a prompt).
    #[arg(long, value_name = "FILE", requires = "test_user")]
    pub test_password_file: Option<PathBuf>,
    /// Seconds to wait for each try (default 2; at most 60).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Sends per RADIUS request (default 3; at most 10).
    #[arg(long, value_name = "N")]
    pub tries: Option<u32>,
    /// Print one JSON array instead of lines.
    #[arg(long)]
    pub json: bool,
    /// Journal each result here (JSONL, append-only), so the report's
    /// timeline has the check. Default: today's journal
    /// (vpnwatch-YYYY-MM-DD.jsonl in the config's journal_dir, else here).
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Journal nothing.
    #[arg(long, conflicts_with = "journal")]
    pub no_journal: bool,
    /// Configuration file (default: $XDG_CONFIG_HOME/vpnwatch/config.toml).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum RunbookCommand {
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
pub struct RoleArgs {
    /// Log files; each file's role is detected from its content. `-` reads stdin.
    pub files: Vec<PathBuf>,
    /// Read FILE as a headend (ASA/FTD syslog) log, whatever its content.
    #[arg(long, value_name = "FILE")]
    pub headend: Vec<PathBuf>,
    /// Read FILE as an AnyConnect client log, whatever its content.
    #[arg(long, value_name = "FILE")]
    pub client: Vec<PathBuf>,
    /// Read FILE as an authentication-server log (RADIUS, ISE, NPS, AD), whatever its content.
    #[arg(long, value_name = "FILE")]
    pub auth: Vec<PathBuf>,
    /// Read every file in this format instead of detecting it (`vpnwatch formats` lists them).
    #[arg(long, value_name = "NAME", value_parser = parse_format)]
    pub format: Option<Format>,
    /// In JSON input (a log store's export), the raw line is at this field
    /// path (`payload.text`), tried before the known fields.
    #[arg(long, value_name = "PATH")]
    pub json_field: Option<String>,
    /// The zone of time stamps that carry none (default UTC): `--tz ZONE`
    /// for every file, `--tz FILE=ZONE` for one (repeatable). ZONE is an
    /// IANA name (Europe/Berlin), UTC, or an offset (+02:00).
    #[arg(long, value_name = "ZONE|FILE=ZONE")]
    pub tz: Vec<String>,
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

/// The subcommand being run, so a usage error shows its usage rather than
/// the top-level one.
static SUBCOMMAND: std::sync::OnceLock<String> = std::sync::OnceLock::new();

pub fn usage_error(message: &str) -> ! {
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
