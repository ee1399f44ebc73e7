//! The headend's debug trace: `debug ldap 255`, `debug radius`, `debug aaa
//! authentication` and `debug webvpn anyconnect` output, as `%ASA-7-711001:`
//! syslog lines (`logging debug-trace`) or as console output pasted into a
//! file.
//!
//! The trace says what the directory answered, which the ASA's own syslog
//! does not: Active Directory's `AcceptSecurityContext error, data NNN` and
//! a RADIUS Access-Challenge asking for a passcode.

use super::Cause;

/// The cause Active Directory gives with a failed bind: the Win32 code after
/// `data` in `AcceptSecurityContext error, data 775, v…` (Microsoft's
/// documented values).
pub fn ad_data_cause(code: &str) -> Option<Cause> {
    Some(match code.to_ascii_lowercase().as_str() {
        "52e" => Cause::BadCredentials,
        "525" => Cause::UnknownUser,
        "530" | "531" => Cause::AuthorizationDenied,
        "532" | "773" => Cause::PasswordExpired,
        "533" | "701" => Cause::AccountDisabled,
        "775" => Cause::AccountLocked,
        _ => return None,
    })
}

/// The `data` code in an AD diagnostic message, if there is one.
pub fn ad_data_code(text: &str) -> Option<&str> {
    let at = text.find("AcceptSecurityContext error, data ")?;
    let rest = &text[at + "AcceptSecurityContext error, data ".len()..];
    let end = rest
        .find(|c: char| !c.is_ascii_hexdigit())
        .unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}
