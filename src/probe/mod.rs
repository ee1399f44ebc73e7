//! Probes of the AAA servers, the IT-side check of the runbook: a RADIUS
//! Status-Server (and optional test Access-Request), an LDAP bind (and
//! optional account lookup), or a TCP connect, each bounded in time.
//!
//! Used by `vpnwatch probe` and the dashboard's probe key. Results carry no
//! secret: passwords and shared secrets go into packets and binds only.

pub mod ldap;
pub mod radius;

use std::collections::BTreeMap;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::sanitize::sanitize_str;
use crate::vocab::Cause;

pub const RADIUS_PORT: u16 = 1812;
pub const LDAP_PORT: u16 = 389;
pub const LDAPS_PORT: u16 = 636;
/// Default wait for each try, and the bounds on what a user may set.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);
pub const DEFAULT_TRIES: u32 = 3;
pub const MAX_TRIES: u32 = 10;

/// What kind of check a target gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Radius,
    Ldap,
    Tcp,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Radius => "radius",
            Kind::Ldap => "ldap",
            Kind::Tcp => "tcp",
        }
    }
}

/// One server to probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub kind: Kind,
    /// As shown: `HOST:PORT` for RADIUS and TCP, the URL for LDAP.
    pub label: String,
    pub host: String,
    pub port: u16,
}

impl Target {
    /// `--radius HOST[:PORT]`.
    pub fn radius(spec: &str) -> Result<Target, String> {
        let (host, port) = split_host_port(spec, Some(RADIUS_PORT))?;
        Ok(Target {
            kind: Kind::Radius,
            label: join_host_port(&host, port),
            host,
            port,
        })
    }

    /// `--tcp HOST:PORT`.
    pub fn tcp(spec: &str) -> Result<Target, String> {
        let (host, port) = split_host_port(spec, None)?;
        Ok(Target {
            kind: Kind::Tcp,
            label: join_host_port(&host, port),
            host,
            port,
        })
    }

    /// `--ldap URL` (`ldap://HOST[:PORT]` or `ldaps://HOST[:PORT]`).
    pub fn ldap(url: &str) -> Result<Target, String> {
        let (default, rest) = if let Some(r) = url.strip_prefix("ldap://") {
            (LDAP_PORT, r)
        } else if let Some(r) = url.strip_prefix("ldaps://") {
            (LDAPS_PORT, r)
        } else {
            return Err(format!("{url:?} is not an ldap:// or ldaps:// URL"));
        };
        let hostport = rest.split('/').next().unwrap_or("");
        let (host, port) = split_host_port(hostport, Some(default))?;
        Ok(Target {
            kind: Kind::Ldap,
            label: url.trim_end_matches('/').to_string(),
            host,
            port,
        })
    }

    /// The server this target talks to: one probe at a time per server.
    fn server_key(&self) -> (String, u16) {
        (self.host.to_ascii_lowercase(), self.port)
    }
}

fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// `HOST[:PORT]`, `[V6]:PORT`; the port is required when `default` is `None`.
fn split_host_port(spec: &str, default: Option<u16>) -> Result<(String, u16), String> {
    let spec = spec.trim();
    let bad = || format!("{spec:?} is not HOST:PORT");
    let (host, port) = if let Some(rest) = spec.strip_prefix('[') {
        let (h, after) = rest.split_once(']').ok_or_else(bad)?;
        (h, after.strip_prefix(':'))
    } else if spec.matches(':').count() == 1 {
        let (h, p) = spec.split_once(':').ok_or_else(bad)?;
        (h, Some(p))
    } else {
        (spec, None)
    };
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(bad());
    }
    let port = match (port, default) {
        (Some(p), _) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| format!("{spec:?}: port {p:?} is not 1-65535"))?,
        (None, Some(d)) => d,
        (None, None) => return Err(format!("{spec:?} needs a port (HOST:PORT)")),
    };
    Ok((host.to_string(), port))
}

/// What the servers named in logs speak (`log_servers` in `[probe]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogServerKind {
    Radius,
    Ldap,
    Ldaps,
    Tcp(u16),
}

impl LogServerKind {
    pub fn parse(s: &str) -> Option<LogServerKind> {
        match s {
            "radius" => Some(LogServerKind::Radius),
            "ldap" => Some(LogServerKind::Ldap),
            "ldaps" => Some(LogServerKind::Ldaps),
            _ => s
                .strip_prefix("tcp:")
                .and_then(|p| p.parse().ok())
                .filter(|p| *p != 0)
                .map(LogServerKind::Tcp),
        }
    }

    /// The target for a server address as the headend logged it (no port).
    pub fn target(self, address: &str) -> Result<Target, String> {
        let host = if address.contains(':') && !address.starts_with('[') {
            format!("[{address}]")
        } else {
            address.to_string()
        };
        match self {
            LogServerKind::Radius => Target::radius(&host),
            LogServerKind::Ldap => Target::ldap(&format!("ldap://{host}")),
            LogServerKind::Ldaps => Target::ldap(&format!("ldaps://{host}")),
            LogServerKind::Tcp(port) => Target::tcp(&format!("{host}:{port}")),
        }
    }
}

/// Everything a probe run needs besides the targets. Secrets live here
/// only as long as the run.
#[derive(Clone, Default)]
pub struct Settings {
    pub timeout: Option<Duration>,
    pub tries: Option<u32>,
    pub radius_secret: Option<Vec<u8>>,
    pub test_user: Option<(String, Vec<u8>)>,
    pub bind_dn: Option<String>,
    pub bind_password: Option<String>,
    pub base_dn: Option<String>,
    pub user_filter: Option<String>,
    pub user: Option<String>,
    /// TLS settings for LDAPS with a private CA (`--ldap-ca`).
    pub ldap_tls: Option<std::sync::Arc<tokio_rustls::rustls::ClientConfig>>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secrets, even in a debug print.
        f.debug_struct("Settings")
            .field("timeout", &self.timeout)
            .field("tries", &self.tries)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl Settings {
    fn timeout(&self) -> Duration {
        self.timeout
            .unwrap_or(DEFAULT_TIMEOUT)
            .clamp(Duration::from_millis(50), Duration::from_secs(60))
    }
    fn tries(&self) -> u32 {
        self.tries.unwrap_or(DEFAULT_TRIES).clamp(1, MAX_TRIES)
    }
}

/// What a probe of one target found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProbeResult {
    pub kind: Kind,
    pub target: String,
    /// The server answered and accepted the probe's own credentials.
    pub ok: bool,
    /// Any answer at all came back (a failed bind is an answer).
    pub answered: bool,
    pub elapsed_ms: Option<u64>,
    /// One line: what happened (server text sanitised).
    pub detail: String,
    pub cause: Option<Cause>,
    pub tries: u32,
    /// The test account's or looked-up user's state, when asked for.
    pub user: Option<UserFinding>,
}

/// A test user's answer (RADIUS) or an account's state (LDAP).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserFinding {
    pub name: String,
    pub detail: String,
    pub cause: Option<Cause>,
}

impl ProbeResult {
    /// The line `vpnwatch probe` prints.
    pub fn line(&self) -> String {
        let mark = if self.ok { '✔' } else { '✖' };
        let mut s = format!(
            "{mark} {} {} {}",
            self.kind.as_str(),
            sanitize_str(&self.target),
            self.detail
        );
        if let Some(u) = &self.user {
            s.push_str(&format!("; user {}: {}", sanitize_str(&u.name), u.detail));
        }
        s
    }

    /// Short form for the dashboard's header: `✔ probe 4 ms` / `✖ probe timeout`.
    pub fn short(&self) -> String {
        match (self.ok, self.elapsed_ms) {
            (true, Some(ms)) => format!("✔ probe {}", human_ms(ms)),
            (true, None) => "✔ probe".to_string(),
            (false, _) if !self.answered => "✖ probe timeout".to_string(),
            (false, _) => "✖ probe refused".to_string(),
        }
    }
}

/// `4 ms`, `2 s`, `2.5 s`.
pub fn human_ms(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

fn resolve(host: &str, port: u16) -> Result<SocketAddr, String> {
    (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .next()
        .ok_or_else(|| format!("cannot resolve {host}"))
}

/// Probes every target: different servers at once, one probe at a time
/// per server. Results come back in the targets' order.
pub async fn run(targets: &[Target], settings: &Settings) -> Vec<ProbeResult> {
    let mut by_server: BTreeMap<(String, u16), Vec<usize>> = BTreeMap::new();
    for (i, t) in targets.iter().enumerate() {
        by_server.entry(t.server_key()).or_default().push(i);
    }
    let mut groups = tokio::task::JoinSet::new();
    for indices in by_server.into_values() {
        let (targets, settings) = (targets.to_vec(), settings.clone());
        groups.spawn(async move {
            let mut out = Vec::new();
            for i in indices {
                out.push((i, probe_one(&targets[i], &settings).await));
            }
            out
        });
    }
    let mut all: Vec<(usize, ProbeResult)> = Vec::new();
    while let Some(done) = groups.join_next().await {
        // A probe task that panicked lost its results; the others stand.
        if let Ok(out) = done {
            all.extend(out);
        }
    }
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}

/// Probes one target.
pub async fn probe_one(target: &Target, settings: &Settings) -> ProbeResult {
    match target.kind {
        Kind::Radius => probe_radius(target, settings).await,
        Kind::Ldap => probe_ldap(target, settings).await,
        Kind::Tcp => probe_tcp(target, settings).await,
    }
}

fn result(target: &Target) -> ProbeResult {
    ProbeResult {
        kind: target.kind,
        target: target.label.clone(),
        ok: false,
        answered: false,
        elapsed_ms: None,
        detail: String::new(),
        cause: None,
        tries: 1,
        user: None,
    }
}

fn ms(d: Duration) -> u64 {
    d.as_millis().min(u64::MAX as u128) as u64
}

/// A process-wide counter for RADIUS ids, so retries and probes differ.
fn next_id() -> u8 {
    use std::sync::atomic::{AtomicU8, Ordering};
    static ID: AtomicU8 = AtomicU8::new(0);
    ID.fetch_add(1, Ordering::Relaxed)
        .wrapping_add(radius::random_authenticator()[0])
}

async fn probe_radius(target: &Target, settings: &Settings) -> ProbeResult {
    let mut r = result(target);
    let Some(secret) = settings.radius_secret.as_deref() else {
        r.detail = "no shared secret".into();
        return r;
    };
    let addr = match resolve(&target.host, target.port) {
        Ok(a) => a,
        Err(e) => {
            r.detail = e;
            r.cause = Some(Cause::AaaUnreachable);
            return r;
        }
    };
    let (timeout, tries) = (settings.timeout(), settings.tries());
    let reply = radius::exchange(
        addr,
        radius::status_server(next_id()),
        secret,
        timeout,
        tries,
    )
    .await;
    match reply {
        Err(e) => {
            r.detail = format!("send failed: {e}");
            r.cause = Some(Cause::AaaUnreachable);
            return r;
        }
        Ok(radius::Reply::NoAnswer { tries, waited }) => {
            r.tries = tries;
            r.detail = format!(
                "no answer in {} ({tries} {})",
                human_ms((ms(waited) + 50) / 100 * 100),
                if tries == 1 { "try" } else { "tries" }
            );
            r.cause = Some(Cause::AaaUnreachable);
            return r;
        }
        Ok(radius::Reply::Answer { code, elapsed, .. }) => {
            r.answered = true;
            r.ok = true;
            r.elapsed_ms = Some(ms(elapsed));
            r.detail = format!("answered Status-Server in {}", human_ms(ms(elapsed)));
            if code != radius::ACCESS_ACCEPT {
                r.detail.push_str(&format!(" (code {code})"));
            }
        }
    }
    if let Some((user, password)) = &settings.test_user {
        let packet = radius::access_request(next_id(), user, password, secret);
        let reply = radius::exchange(addr, packet, secret, timeout, tries).await;
        r.user = Some(test_user_finding(user, reply));
    }
    r
}

/// The test Access-Request's answer as a vpnwatch cause.
fn test_user_finding(user: &str, reply: std::io::Result<radius::Reply>) -> UserFinding {
    let (detail, cause) = match reply {
        Err(e) => (format!("send failed: {e}"), Some(Cause::AaaUnreachable)),
        Ok(radius::Reply::NoAnswer { tries, .. }) => (
            format!("no answer to Access-Request ({tries} tries)"),
            Some(Cause::AaaUnreachable),
        ),
        Ok(radius::Reply::Answer {
            code,
            reply_message,
            elapsed,
        }) => {
            let msg = reply_message
                .map(|m| format!(" \"{}\"", sanitize_str(m.trim())))
                .unwrap_or_default();
            let t = human_ms(ms(elapsed));
            match code {
                radius::ACCESS_ACCEPT => (format!("Access-Accept in {t}"), None),
                radius::ACCESS_REJECT => (
                    format!("Access-Reject{msg} in {t} (bad_credentials)"),
                    Some(Cause::BadCredentials),
                ),
                radius::ACCESS_CHALLENGE => (
                    format!("Access-Challenge{msg} in {t} (token_required)"),
                    Some(Cause::TokenRequired),
                ),
                other => (
                    format!("unexpected answer code {other}"),
                    Some(Cause::Other),
                ),
            }
        }
    };
    UserFinding {
        name: user.to_string(),
        detail,
        cause,
    }
}

async fn probe_ldap(target: &Target, settings: &Settings) -> ProbeResult {
    let mut r = result(target);
    let p = ldap::LdapProbe {
        url: &target.label,
        bind_dn: settings.bind_dn.as_deref(),
        password: settings.bind_password.as_deref(),
        base_dn: settings.base_dn.as_deref(),
        user_filter: settings
            .user_filter
            .as_deref()
            .unwrap_or("(sAMAccountName={user})"),
        user: settings.user.as_deref(),
        timeout: settings.timeout(),
        tls: settings.ldap_tls.clone(),
    };
    match ldap::probe(&p).await {
        ldap::LdapOutcome::Connect(e) => {
            r.detail = if e == "timed out" {
                format!("no answer in {}", human_ms(ms(settings.timeout())))
            } else {
                format!("connect failed: {}", sanitize_str(&e))
            };
            r.cause = Some(Cause::AaaUnreachable);
        }
        ldap::LdapOutcome::BindFailed { rc, text, cause } => {
            r.answered = true;
            r.cause = cause;
            r.detail = bind_failed_detail(rc, &text, cause);
        }
        ldap::LdapOutcome::Bound { elapsed, user } => {
            r.answered = true;
            r.ok = true;
            r.elapsed_ms = Some(ms(elapsed));
            let who = if settings.bind_dn.is_some() {
                "bound"
            } else {
                "bound anonymously"
            };
            r.detail = format!("{who} in {}", human_ms(ms(elapsed)));
            r.user = user.map(|u| {
                let (detail, cause) = if let Some(e) = u.error {
                    (sanitize_str(&e), None)
                } else if u.causes.is_empty() {
                    ("account usable".to_string(), None)
                } else {
                    let parts: Vec<String> = u
                        .causes
                        .iter()
                        .map(|(c, why)| format!("{} ({why})", c.id()))
                        .collect();
                    (parts.join(", "), u.causes.first().map(|(c, _)| *c))
                };
                UserFinding {
                    name: u.name,
                    detail,
                    cause,
                }
            });
        }
    }
    r
}

/// `bind failed: invalid credentials (49), AD data 775 (account_locked)`.
fn bind_failed_detail(rc: u32, text: &str, cause: Option<Cause>) -> String {
    let mut detail = format!("bind failed: {} ({rc})", ldap::rc_name(rc));
    if let Some(code) = crate::parse::debug_trace::ad_data_code(text) {
        detail.push_str(&format!(", AD data {}", sanitize_str(code)));
        if let Some(c) = cause {
            detail.push_str(&format!(" ({})", c.id()));
        }
    }
    detail
}

async fn probe_tcp(target: &Target, settings: &Settings) -> ProbeResult {
    let mut r = result(target);
    let start = Instant::now();
    let timeout = settings.timeout();
    let addr = match resolve(&target.host, target.port) {
        Ok(a) => a,
        Err(e) => {
            r.detail = e;
            r.cause = Some(Cause::AaaUnreachable);
            return r;
        }
    };
    match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr)).await {
        Err(_) => {
            r.detail = format!("no answer in {}", human_ms(ms(timeout)));
            r.cause = Some(Cause::AaaUnreachable);
        }
        Ok(Err(e)) => {
            r.detail = format!("connect failed: {}", e.kind().to_string().to_lowercase());
            if e.kind() == std::io::ErrorKind::ConnectionRefused {
                // A refusal is the host answering: the service is down.
                r.answered = true;
            }
            r.cause = Some(Cause::AaaUnreachable);
        }
        Ok(Ok(_)) => {
            let e = ms(start.elapsed());
            r.ok = true;
            r.answered = true;
            r.elapsed_ms = Some(e);
            r.detail = format!("connected in {}", human_ms(e));
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_with_default_ports() {
        let r = Target::radius("10.20.0.11").unwrap();
        assert_eq!((r.label.as_str(), r.port), ("10.20.0.11:1812", 1812));
        assert_eq!(Target::radius("rad:1645").unwrap().port, 1645);
        assert_eq!(Target::radius("[::1]:1812").unwrap().host, "::1");
        let l = Target::ldap("ldaps://dc01").unwrap();
        assert_eq!((l.host.as_str(), l.port), ("dc01", 636));
        assert_eq!(Target::ldap("ldap://dc01:3268/").unwrap().port, 3268);
        assert!(Target::ldap("http://dc01").is_err());
        assert!(Target::tcp("host").is_err());
        assert!(Target::tcp("host:0").is_err());
        assert!(Target::radius("a b").is_err());
    }

    #[test]
    fn log_server_kinds() {
        let k = LogServerKind::parse("tcp:443").unwrap();
        assert_eq!(k.target("10.0.0.5").unwrap().label, "10.0.0.5:443");
        let k = LogServerKind::parse("ldaps").unwrap();
        assert_eq!(k.target("dc01").unwrap().label, "ldaps://dc01");
        assert_eq!(
            LogServerKind::parse("radius")
                .unwrap()
                .target("::1")
                .unwrap()
                .label,
            "[::1]:1812"
        );
        assert_eq!(LogServerKind::parse("tcp:x"), None);
    }

    #[test]
    fn lines_as_the_issue_shows_them() {
        let mut r = result(&Target::radius("10.20.0.11").unwrap());
        r.ok = true;
        r.answered = true;
        r.elapsed_ms = Some(4);
        r.detail = "answered Status-Server in 4 ms".into();
        assert_eq!(
            r.line(),
            "✔ radius 10.20.0.11:1812 answered Status-Server in 4 ms"
        );
        assert_eq!(r.short(), "✔ probe 4 ms");
        r.ok = false;
        r.answered = false;
        assert_eq!(r.short(), "✖ probe timeout");
        assert_eq!(human_ms(2000), "2 s");
        assert_eq!(human_ms(2500), "2.5 s");
    }

    /// Active Directory's diagnostic on a failed bind, as AD words it.
    #[test]
    fn ad_bind_diagnostic_names_the_cause() {
        let text = "80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 775, v4563";
        let cause = crate::parse::debug_trace::ad_data_code(text)
            .and_then(crate::parse::debug_trace::ad_data_cause);
        assert_eq!(cause, Some(Cause::AccountLocked));
        assert_eq!(
            bind_failed_detail(49, text, cause),
            "bind failed: invalid credentials (49), AD data 775 (account_locked)"
        );
        assert_eq!(
            bind_failed_detail(49, "", None),
            "bind failed: invalid credentials (49)"
        );
    }

    #[test]
    fn settings_debug_hides_secrets() {
        let s = Settings {
            radius_secret: Some(b"hunter2".to_vec()),
            bind_password: Some("pw-xyz".into()),
            test_user: Some(("t".into(), b"tpw".to_vec())),
            ..Settings::default()
        };
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("pw-xyz") && !shown.contains("tpw"));
    }

    #[tokio::test]
    async fn closed_tcp_port_is_refused_quickly() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        let t = Target::tcp(&format!("127.0.0.1:{port}")).unwrap();
        let r = probe_one(&t, &Settings::default()).await;
        assert!(!r.ok);
        assert!(
            r.detail.starts_with("connect failed: connection refused"),
            "{}",
            r.detail
        );
    }
}
