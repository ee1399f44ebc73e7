//! `vpnwatch probe`: gathers targets (flags, the config file, the servers
//! the logs name), loads the secrets (files, environment, prompt — never a
//! flag value), runs the probes, prints one line per target or JSON, and
//! journals each result (the dashboard's `A` does too), so the report's
//! timeline has the check. A result holds no secret, so neither does the
//! journal.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;

use crate::app::headless::{self, HeadlessFile};
use crate::config::{Config, ProbeConfig};
use crate::engine::incident::{Incident, IncidentLimits};
use crate::parse::ParseContext;
use crate::probe::{self, LogServerKind, ProbeResult, Settings, Target};

pub const ENV_RADIUS_SECRET: &str = "VPNWATCH_RADIUS_SECRET";
pub const ENV_LDAP_PASSWORD: &str = "VPNWATCH_LDAP_PASSWORD";

/// What the command line asked for.
#[derive(Default)]
pub struct ProbeArgs {
    pub radius: Vec<String>,
    pub ldap: Vec<String>,
    pub tcp: Vec<String>,
    pub from_logs: Vec<HeadlessFile>,
    pub secret_file: Option<PathBuf>,
    pub bind_dn: Option<String>,
    pub bind_password_file: Option<PathBuf>,
    pub base_dn: Option<String>,
    /// PEM file of the CA the LDAPS servers' certificates are signed by.
    pub ldap_ca: Option<PathBuf>,
    pub user: Option<String>,
    pub test_user: Option<String>,
    pub test_password_file: Option<PathBuf>,
    pub timeout: Option<f64>,
    pub tries: Option<u32>,
    pub json: bool,
    /// The journal each result is appended to (`None`: not journaled).
    pub journal: Option<PathBuf>,
    /// Who ran the probe, as the journal records it.
    pub operator: String,
    /// The bounds of the incident `from_logs` are read into (`--max-users`).
    pub limits: IncidentLimits,
}

/// A usage error (exit 2): the message is one line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The targets the flags name, else the config's, plus any the logs name.
pub fn targets(args: &ProbeArgs, config: &ProbeConfig) -> Result<Vec<Target>, UsageError> {
    let from_flags = !(args.radius.is_empty() && args.ldap.is_empty() && args.tcp.is_empty());
    let (radius, ldap, tcp) = if from_flags || !args.from_logs.is_empty() {
        (&args.radius, &args.ldap, &args.tcp)
    } else {
        (&config.radius, &config.ldap, &config.tcp)
    };
    let mut out = Vec::new();
    for r in radius {
        out.push(Target::radius(r).map_err(|e| UsageError(format!("--radius: {e}")))?);
    }
    for l in ldap {
        out.push(Target::ldap(l).map_err(|e| UsageError(format!("--ldap: {e}")))?);
    }
    for t in tcp {
        out.push(Target::tcp(t).map_err(|e| UsageError(format!("--tcp: {e}")))?);
    }
    Ok(out)
}

/// The AAA servers the logs name, as targets of the configured kind; a
/// server the config lists (same host) keeps the config's kind and port.
pub fn targets_from_incident(incident: &Incident, config: &ProbeConfig) -> Vec<Target> {
    let addresses: Vec<String> = incident
        .servers()
        .iter()
        .map(|s| s.address.clone())
        .collect();
    let mut out: Vec<Target> = Vec::new();
    for (_, t) in targets_for_servers(&addresses, config) {
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// Each server address (as the headend logs it) with the target it is
/// probed as.
pub fn targets_for_servers(addresses: &[String], config: &ProbeConfig) -> Vec<(String, Target)> {
    let kind = config
        .log_servers
        .as_deref()
        .and_then(LogServerKind::parse)
        .unwrap_or(LogServerKind::Radius);
    let configured: Vec<Target> = config
        .radius
        .iter()
        .filter_map(|r| Target::radius(r).ok())
        .chain(config.ldap.iter().filter_map(|l| Target::ldap(l).ok()))
        .chain(config.tcp.iter().filter_map(|t| Target::tcp(t).ok()))
        .collect();
    addresses
        .iter()
        .filter_map(|address| {
            let target = configured
                .iter()
                .find(|t| t.host.eq_ignore_ascii_case(address))
                .cloned()
                .or_else(|| kind.target(address).ok())?;
            Some((address.clone(), target))
        })
        .collect()
}

/// Settings for the dashboard's probe: as `vpnwatch probe` with no flags,
/// but never a prompt (the terminal belongs to the dashboard).
pub fn dashboard_settings(
    config: &ProbeConfig,
    targets: &[Target],
) -> Result<Settings, UsageError> {
    load_settings(&ProbeArgs::default(), config, targets, Prompt::Never)
}

/// Whether a missing secret may be asked for on the terminal.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Prompt {
    IfTerminal,
    Never,
}

/// The LDAPS trust settings for a private CA file, when one is given.
fn ldap_tls(
    ca: Option<&Path>,
) -> Result<Option<std::sync::Arc<tokio_rustls::rustls::ClientConfig>>, UsageError> {
    ca.map(|ca| probe::ldap::tls_config(ca).map_err(|e| UsageError(format!("LDAPS CA file {e}"))))
        .transpose()
}

fn read_secret_file(path: &Path, what: &str) -> Result<Vec<u8>, UsageError> {
    // The error names the file, never its content.
    let bytes = std::fs::read(path)
        .map_err(|e| UsageError(format!("{what} file {}: {e}", path.display())))?;
    let line = bytes.split(|b| *b == b'\n').next().unwrap_or(&[]);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.is_empty() {
        return Err(UsageError(format!(
            "{what} file {}: first line is empty",
            path.display()
        )));
    }
    Ok(line.to_vec())
}

fn prompt(what: &str, may: Prompt) -> Result<Option<Vec<u8>>, UsageError> {
    if may == Prompt::Never || !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    let answer = rpassword::prompt_password(format!("{what}: "))
        .map_err(|e| UsageError(format!("reading the {what}: {e}")))?;
    Ok(Some(answer.into_bytes()))
}

/// A secret from, in order: the flag's file, the environment, the config's
/// file, a prompt on the terminal.
fn secret(
    flag_file: Option<&Path>,
    env: &str,
    config_file: Option<&Path>,
    what: &str,
    may: Prompt,
) -> Result<Option<Vec<u8>>, UsageError> {
    if let Some(f) = flag_file {
        return read_secret_file(f, what).map(Some);
    }
    if let Some(v) = std::env::var_os(env).filter(|v| !v.is_empty()) {
        return Ok(Some(v.into_encoded_bytes()));
    }
    if let Some(f) = config_file {
        return read_secret_file(f, what).map(Some);
    }
    prompt(what, may)
}

/// The settings for a run, secrets loaded as needed by `targets`.
pub fn settings(
    args: &ProbeArgs,
    config: &ProbeConfig,
    targets: &[Target],
) -> Result<Settings, UsageError> {
    load_settings(args, config, targets, Prompt::IfTerminal)
}

fn load_settings(
    args: &ProbeArgs,
    config: &ProbeConfig,
    targets: &[Target],
    may: Prompt,
) -> Result<Settings, UsageError> {
    let has = |k| targets.iter().any(|t| t.kind == k);
    let mut s = Settings {
        timeout: args.timeout.or(config.timeout).map(Duration::from_secs_f64),
        tries: args.tries.or(config.tries),
        bind_dn: args.bind_dn.clone().or_else(|| config.bind_dn.clone()),
        base_dn: args.base_dn.clone().or_else(|| config.base_dn.clone()),
        user_filter: config.user_filter.clone(),
        user: args.user.clone(),
        ldap_tls: ldap_tls(args.ldap_ca.as_deref().or(config.ldap_ca.as_deref()))?,
        ..Settings::default()
    };
    if has(probe::Kind::Radius) {
        s.radius_secret = secret(
            args.secret_file.as_deref(),
            ENV_RADIUS_SECRET,
            config.secret_file.as_deref(),
            "RADIUS shared secret",
            may,
        )?;
        if s.radius_secret.is_none() {
            let flag = if may == Prompt::Never {
                ""
            } else {
                "give --secret-file FILE, "
            };
            return Err(UsageError(format!(
                "no RADIUS shared secret: {flag}set {ENV_RADIUS_SECRET}, or set secret_file in [probe]"
            )));
        }
        if let Some(user) = &args.test_user {
            let pw = match &args.test_password_file {
                Some(f) => Some(read_secret_file(f, "test password")?),
                None => prompt(&format!("password for test user {user}"), may)?,
            };
            let pw = pw.ok_or_else(|| {
                UsageError(
                    "--test-user needs --test-password-file FILE or a terminal to prompt on".into(),
                )
            })?;
            s.test_user = Some((user.clone(), pw));
        }
    }
    if has(probe::Kind::Ldap) && s.bind_dn.is_some() {
        let pw = secret(
            args.bind_password_file.as_deref(),
            ENV_LDAP_PASSWORD,
            config.bind_password_file.as_deref(),
            "LDAP bind password",
            may,
        )?;
        let pw = pw.ok_or_else(|| {
            let flag = if may == Prompt::Never { "" } else { "give --bind-password-file FILE, " };
            UsageError(format!(
                "no LDAP bind password: {flag}set {ENV_LDAP_PASSWORD}, or set bind_password_file in [probe]"
            ))
        })?;
        s.bind_password = Some(
            String::from_utf8(pw)
                .map_err(|_| UsageError("the LDAP bind password is not UTF-8".into()))?,
        );
    }
    Ok(s)
}

/// Runs the probes and writes the result; `Ok(true)` when every target
/// answered and accepted the probe's own credentials.
pub fn run(
    args: &ProbeArgs,
    config: &Config,
    out: &mut dyn Write,
) -> anyhow::Result<Result<bool, UsageError>> {
    let mut targets = match targets(args, &config.probe) {
        Ok(t) => t,
        Err(e) => return Ok(Err(e)),
    };
    if !args.from_logs.is_empty() {
        let ctx = ParseContext::default();
        let mut incident =
            Incident::for_sources(args.from_logs.iter().map(|f| f.family), args.limits);
        for file in &args.from_logs {
            headless::count_prefix(file, u64::MAX, &ctx, &mut incident, &mut |_| {})?;
        }
        let found = targets_from_incident(&incident, &config.probe);
        if found.is_empty() && targets.is_empty() {
            return Ok(Err(UsageError("the logs name no AAA server".into())));
        }
        for t in found {
            if !targets.contains(&t) {
                targets.push(t);
            }
        }
    }
    if targets.is_empty() {
        return Ok(Err(UsageError(
            "nothing to probe: give --radius, --ldap, --tcp or --from-logs, or list servers in [probe] of the config file".into(),
        )));
    }
    let settings = match settings(args, &config.probe, &targets) {
        Ok(s) => s,
        Err(e) => return Ok(Err(e)),
    };
    // Opened before any probe is sent: a journal that cannot be written
    // stops the run instead of losing its results.
    let mut journal = match &args.journal {
        Some(path) => match crate::journal::Journal::open(path) {
            Ok((j, _)) => Some(j),
            Err(e) => return Ok(Err(UsageError(e.to_string()))),
        },
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let results = runtime.block_on(probe::run(&targets, &settings));
    write_results(&results, args.json, out)?;
    if let Some(journal) = &mut journal {
        let now = jiff::Timestamp::now();
        for r in &results {
            journal.append(&journal_record(r, &args.operator, now))?;
        }
        eprintln!(
            "vpnwatch: probe: {} journaled to {}",
            crate::plural::count(results.len(), "result", "results"),
            journal.path().display()
        );
    }
    Ok(Ok(results.iter().all(|r| r.ok)))
}

/// The journal record of one probe result (the same for `vpnwatch probe`
/// and the dashboard's `A`).
fn journal_record(
    r: &ProbeResult,
    operator: &str,
    ts: jiff::Timestamp,
) -> crate::engine::checklist::Record {
    use crate::engine::checklist::{ProbeCheck, Record};
    Record::Probe(ProbeCheck {
        ts,
        operator: operator.to_string(),
        protocol: r.kind.as_str().to_string(),
        target: r.target.clone(),
        ok: r.ok,
        detail: r.detail.clone(),
    })
}

pub fn write_results(
    results: &[ProbeResult],
    json: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    if json {
        serde_json::to_writer_pretty(&mut *out, results)?;
        writeln!(out)
    } else {
        for r in results {
            writeln!(out, "{}", r.line())?;
        }
        Ok(())
    }
}

/// The dashboard's probe (`A`) after it ran: each result beside its server
/// on the AAA line, each journaled (so the report's timeline has it), and a
/// summary in the status line.
pub fn apply_results(
    model: &mut crate::pipeline::Model,
    ui: &mut crate::ui::UiState,
    journal: &mut dyn super::actions::Journaling,
    operator: &str,
    results: &[(String, ProbeResult)],
) {
    let now = jiff::Timestamp::now();
    let ok = results.iter().filter(|(_, r)| r.ok).count();
    let summary = format!(
        "probe: {ok} of {} AAA servers answered (journaled)",
        results.len()
    );
    for (i, (address, r)) in results.iter().enumerate() {
        ui.probes.insert(
            address.clone(),
            crate::ui::ProbeMark {
                ok: r.ok,
                answered: r.answered,
                short: r.short(),
            },
        );
        let rec = journal_record(r, operator, now);
        // The summary shows once the last record is on disk; a failed
        // write shows instead.
        let saved = (i + 1 == results.len()).then(|| summary.clone());
        super::actions::record(model, ui, journal, rec, saved);
    }
}
