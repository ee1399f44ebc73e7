//! From parsed arguments to what `vpnwatch::app` takes: the inputs and
//! their roles (or standard input), how they are parsed (`--tz`,
//! `--json-field`), the source settings, the dashboard's and the probe's
//! settings merged over the configuration file, and the usage checks they
//! share.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;

use vpnwatch::app::console::ConsoleConfig;
use vpnwatch::app::headless::HeadlessFile;
use vpnwatch::app::probe_cmd::ProbeArgs;
use vpnwatch::app::sources::SourceSettings;
use vpnwatch::app::{self, Input, InputPath};
use vpnwatch::config::{self, Config};
use vpnwatch::engine::IncidentLimits;
use vpnwatch::parse::ParseContext;
use vpnwatch::runbook::{self, DEFAULT_RUNBOOK, Runbook};
use vpnwatch::ui::Theme;
use vpnwatch::ui::theme::no_color_requested;
use vpnwatch::vocab::Family;

use super::{DashboardArgs, IngestArgs, ProbeCli, RoleArgs, usage_error};

impl IngestArgs {
    /// How sources are read, as the flags ask (a bad `--poll-interval` is a
    /// usage error).
    pub fn settings(&self) -> SourceSettings {
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
    pub fn has_other_sources(&self) -> bool {
        !self.commands.is_empty()
            || self.syslog_udp.is_some()
            || self.syslog_tcp.is_some()
            || self.syslog_tls.is_some()
    }
}

/// How the logs named in `roles` are parsed: this year for stamps without
/// one, the `--tz` rules (else the config file's `tz`) and `--json-field`.
pub fn parse_context(roles: &RoleArgs) -> ParseContext {
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

/// The configuration file, read once; an unusable one ends the process with
/// one line naming the file, line and key, exit 2.
pub fn user_config() -> &'static Config {
    static CONFIG: std::sync::OnceLock<Config> = std::sync::OnceLock::new();
    CONFIG.get_or_init(|| {
        config::load(None).unwrap_or_else(|e| {
            eprintln!("vpnwatch: {e}");
            std::process::exit(2)
        })
    })
}

/// The default journal: today's file in the config's `journal_dir`, else here.
pub fn default_journal() -> PathBuf {
    let name = app::default_journal_path();
    match &user_config().journal_dir {
        Some(dir) => dir.join(name),
        None => name,
    }
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
/// surely a listener address that lost its `=` (`--syslog-udp 0.0.0.0:514`),
/// and one named like a command is a command typed after an option that
/// belongs to it (`vpnwatch --max-users 2 scan …`): say so instead of
/// waiting for that file for ever.
pub fn check_address_like_files(inputs: &[Input]) {
    let command = <super::Cli as clap::CommandFactory>::command();
    for input in inputs {
        let InputPath::File(path) = &input.path else {
            continue;
        };
        if path.exists() {
            continue;
        }
        let text = path.to_string_lossy();
        if command.find_subcommand(text.as_ref()).is_some() {
            usage_error(&format!(
                "{text} is not a file: to run `vpnwatch {text}`, name it first and put its \
                 options after it (`vpnwatch {text} --max-users N FILE…`)"
            ));
        }
        if text.parse::<SocketAddr>().is_ok() {
            usage_error(&format!(
                "{text} is not a file; to receive syslog there write --syslog-udp={text} \
                 or --syslog-tcp={text} (with `=`)"
            ));
        }
    }
}

/// The usage checks every following command shares: something to read,
/// and stdin at most once.
pub fn check_inputs(inputs: &[Input], ingest: &IngestArgs, none_given: &str) {
    if inputs.is_empty() && !ingest.has_other_sources() {
        usage_error(none_given);
    }
    if inputs.iter().filter(|i| i.path == InputPath::Stdin).count() > 1 {
        usage_error("`-` (stdin) can be given only once");
    }
}

/// The inputs named on the command line, each with its forced role, format
/// and user, and the format detected where none was forced.
pub fn inputs(roles: &RoleArgs, user: Option<&str>) -> Vec<Input> {
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
pub fn inputs_or_stdin(roles: &RoleArgs, user: Option<&str>) -> Vec<Input> {
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

pub fn headless_files(roles: &RoleArgs, user: Option<&str>) -> anyhow::Result<Vec<HeadlessFile>> {
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

pub fn load_runbook(path: Option<&Path>) -> anyhow::Result<Runbook> {
    match path {
        None => runbook::parse(DEFAULT_RUNBOOK).context("bundled runbook"),
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| p.display().to_string())?;
            runbook::parse(&text).with_context(|| p.display().to_string())
        }
    }
}

pub fn console_config(
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

/// `vpnwatch probe`'s flags, checked, with the configuration they name
/// (`--config`, else the default file): an unusable value or file ends the
/// process with exit 2.
pub fn probe_args(cli: ProbeCli, limits: IncidentLimits) -> anyhow::Result<(ProbeArgs, Config)> {
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
    Ok((args, config))
}
