//! LDAP / LDAPS probe: connect, simple bind with the service account, and
//! optionally read one user's account state from Active Directory
//! attributes. Read-only: a bind and a search, nothing else.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ldap3::{LdapConnAsync, LdapConnSettings, Scope, SearchEntry, ldap_escape};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

use crate::parse::debug_trace::{ad_data_cause, ad_data_code};
use crate::vocab::Cause;

/// The attributes a `--user` lookup reads.
pub const AD_ATTRIBUTES: [&str; 6] = [
    "userAccountControl",
    "lockoutTime",
    "pwdLastSet",
    "msDS-UserPasswordExpiryTimeComputed",
    "accountExpires",
    "sAMAccountName",
];

/// userAccountControl flags (Microsoft's documented values).
const UAC_ACCOUNTDISABLE: u64 = 0x2;
const UAC_LOCKOUT: u64 = 0x10;
const UAC_PASSWORD_EXPIRED: u64 = 0x80_0000;
/// AD's "never" for FILETIME attributes.
const FILETIME_NEVER: i64 = i64::MAX;

/// What the bind and lookup found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LdapOutcome {
    /// Could not connect (refused, unreachable, TLS, timeout).
    Connect(String),
    /// The server answered the bind with a non-zero result.
    BindFailed {
        rc: u32,
        text: String,
        cause: Option<Cause>,
    },
    Bound {
        elapsed: Duration,
        user: Option<UserState>,
    },
}

/// One user's state as the directory tells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserState {
    pub name: String,
    /// The causes the attributes show, worst first; empty when the account is usable.
    pub causes: Vec<(Cause, &'static str)>,
    pub found: bool,
    /// The search failed (no base DN, access denied …).
    pub error: Option<String>,
}

/// Settings for one LDAP probe. The password is held only for the bind.
pub struct LdapProbe<'a> {
    pub url: &'a str,
    pub bind_dn: Option<&'a str>,
    pub password: Option<&'a str>,
    pub base_dn: Option<&'a str>,
    pub user_filter: &'a str,
    pub user: Option<&'a str>,
    pub timeout: Duration,
    /// The TLS settings for `ldaps://` (a private CA, [`tls_config`]);
    /// `None` trusts the system's certificate store.
    pub tls: Option<Arc<ClientConfig>>,
}

/// TLS settings that trust the CA certificates in the PEM file `ca` (and
/// only those, as `TLS_CACERT` does for OpenLDAP's tools). The error is one
/// line and names the file.
pub fn tls_config(ca: &Path) -> Result<Arc<ClientConfig>, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let name = ca.display();
    // Read first, so an unreadable file says why in the system's words.
    let pem = std::fs::read(ca).map_err(|e| format!("{name}: {e}"))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{name}: not a PEM certificate file ({e})"))?;
    if certs.is_empty() {
        return Err(format!("{name}: no certificate in the file (PEM expected)"));
    }
    let mut roots = RootCertStore::empty();
    for (i, cert) in certs.into_iter().enumerate() {
        roots
            .add(cert)
            .map_err(|e| format!("{name}: certificate {}: {e}", i + 1))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("{name}: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Result code names for the common bind answers.
pub fn rc_name(rc: u32) -> &'static str {
    match rc {
        0 => "success",
        7 => "auth method not supported",
        8 => "stronger auth required",
        13 => "confidentiality required",
        32 => "no such object",
        48 => "inappropriate authentication",
        49 => "invalid credentials",
        50 => "insufficient access rights",
        51 => "busy",
        52 => "unavailable",
        53 => "unwilling to perform",
        _ => "error",
    }
}

pub async fn probe(p: &LdapProbe<'_>) -> LdapOutcome {
    let start = Instant::now();
    let mut settings = LdapConnSettings::new().set_conn_timeout(p.timeout);
    if let Some(tls) = &p.tls {
        settings = settings.set_config(Arc::clone(tls));
    }
    let (conn, mut ldap) = match LdapConnAsync::with_settings(settings, p.url).await {
        Ok(c) => c,
        Err(e) => return LdapOutcome::Connect(connect_error(&e)),
    };
    ldap3::drive!(conn);
    let bind = ldap
        .with_timeout(p.timeout)
        .simple_bind(p.bind_dn.unwrap_or(""), p.password.unwrap_or(""))
        .await;
    let res = match bind {
        Ok(r) => r,
        Err(e) => return LdapOutcome::Connect(connect_error(&e)),
    };
    if res.rc != 0 {
        let cause = ad_data_code(&res.text).and_then(ad_data_cause);
        let _ = ldap.unbind().await;
        return LdapOutcome::BindFailed {
            rc: res.rc,
            text: res.text,
            cause,
        };
    }
    let elapsed = start.elapsed();
    let user = match p.user {
        None => None,
        Some(name) => Some(lookup(&mut ldap, p, name).await),
    };
    let _ = ldap.unbind().await;
    LdapOutcome::Bound { elapsed, user }
}

async fn lookup(ldap: &mut ldap3::Ldap, p: &LdapProbe<'_>, name: &str) -> UserState {
    let mut state = UserState {
        name: name.to_string(),
        causes: Vec::new(),
        found: false,
        error: None,
    };
    let Some(base) = p.base_dn else {
        state.error = Some("no base DN (set base_dn in [probe] or --base-dn)".into());
        return state;
    };
    let filter = p.user_filter.replace("{user}", &ldap_escape(name));
    let found = ldap
        .with_timeout(p.timeout)
        .search(base, Scope::Subtree, &filter, AD_ATTRIBUTES.to_vec())
        .await
        .and_then(|r| r.success());
    match found {
        Err(e) => state.error = Some(format!("lookup failed: {}", one_line(&e.to_string()))),
        Ok((entries, _)) => {
            if let Some(entry) = entries.into_iter().next() {
                let entry = SearchEntry::construct(entry);
                state.found = true;
                state.causes = account_causes(&entry.attrs, now_filetime());
            } else {
                state.causes = vec![(Cause::UnknownUser, "no such account")];
            }
        }
    }
    state
}

/// Now as a Windows FILETIME (100 ns ticks since 1601-01-01).
pub fn now_filetime() -> i64 {
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    (unix + 11_644_473_600) * 10_000_000
}

/// The causes an account's AD attributes show at `now` (FILETIME), each
/// with the attribute that says so.
pub fn account_causes(
    attrs: &HashMap<String, Vec<String>>,
    now: i64,
) -> Vec<(Cause, &'static str)> {
    let get = |k: &str| {
        attrs
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(k))
            .and_then(|(_, v)| v.first())
            .and_then(|v| v.trim().parse::<i64>().ok())
    };
    let mut out = Vec::new();
    let uac = get("userAccountControl").unwrap_or(0) as u64;
    if uac & UAC_ACCOUNTDISABLE != 0 {
        out.push((Cause::AccountDisabled, "userAccountControl: disabled"));
    }
    if let Some(exp) = get("accountExpires")
        && exp != 0
        && exp != FILETIME_NEVER
        && exp <= now
    {
        out.push((Cause::AccountDisabled, "accountExpires: expired"));
    }
    if get("lockoutTime").is_some_and(|t| t > 0) || uac & UAC_LOCKOUT != 0 {
        out.push((Cause::AccountLocked, "lockoutTime: locked out"));
    }
    if uac & UAC_PASSWORD_EXPIRED != 0 {
        out.push((
            Cause::PasswordExpired,
            "userAccountControl: password expired",
        ));
    } else if get("msDS-UserPasswordExpiryTimeComputed")
        .is_some_and(|t| t != 0 && t != FILETIME_NEVER && t <= now)
    {
        out.push((
            Cause::PasswordExpired,
            "msDS-UserPasswordExpiryTimeComputed: expired",
        ));
    } else if get("pwdLastSet") == Some(0) {
        out.push((Cause::PasswordExpired, "pwdLastSet: must change password"));
    }
    out
}

fn connect_error(e: &ldap3::LdapError) -> String {
    let text = match e {
        ldap3::LdapError::Timeout { .. } => "timed out".to_string(),
        // A TLS failure says what the certificate check found
        // ("invalid peer certificate: UnknownIssuer").
        ldap3::LdapError::Io { source } if source.kind() == std::io::ErrorKind::InvalidData => {
            format!("TLS: {source}")
        }
        // The kind reads the same as the TCP probe's ("connection refused").
        ldap3::LdapError::Io { source } => source.kind().to_string().to_lowercase(),
        other => other.to_string(),
    };
    one_line(&text)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, &str)]) -> HashMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
            .collect()
    }

    const NOW: i64 = 134_000_000_000_000_000;

    #[test]
    fn usable_account_shows_no_cause() {
        let a = attrs(&[
            ("userAccountControl", "512"),
            ("lockoutTime", "0"),
            ("pwdLastSet", "133900000000000000"),
            ("accountExpires", "9223372036854775807"),
            ("msDS-UserPasswordExpiryTimeComputed", "134100000000000000"),
        ]);
        assert!(account_causes(&a, NOW).is_empty());
    }

    #[test]
    fn each_attribute_maps_to_its_cause() {
        let causes = |pairs: &[(&str, &str)]| -> Vec<Cause> {
            account_causes(&attrs(pairs), NOW)
                .into_iter()
                .map(|(c, _)| c)
                .collect()
        };
        assert_eq!(
            causes(&[("userAccountControl", "514")]),
            [Cause::AccountDisabled]
        );
        assert_eq!(
            causes(&[("lockoutTime", "133990000000000000")]),
            [Cause::AccountLocked]
        );
        assert_eq!(causes(&[("pwdLastSet", "0")]), [Cause::PasswordExpired]);
        assert_eq!(
            causes(&[("msDS-UserPasswordExpiryTimeComputed", "133000000000000000")]),
            [Cause::PasswordExpired]
        );
        assert_eq!(
            causes(&[("accountExpires", "133000000000000000")]),
            [Cause::AccountDisabled]
        );
        assert_eq!(causes(&[("accountExpires", "0")]), []);
        assert_eq!(causes(&[("userAccountControl", "not a number")]), []);
    }
}
