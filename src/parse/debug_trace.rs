//! The headend's debug trace: `debug ldap 255`, `debug radius`, `debug aaa
//! authentication` and `debug webvpn anyconnect` output, as `%ASA-7-711001:`
//! syslog lines (`logging debug-trace`) or as console output pasted into a
//! file (format `asa-debug-trace`).
//!
//! The trace says what the directory answered, which the ASA's own syslog
//! does not: Active Directory's `AcceptSecurityContext error, data NNN` and
//! a RADIUS Access-Challenge asking for a passcode. Those lines become
//! failure verdicts with the directory's cause; every other trace line is
//! an info event, so the drill-down shows the whole trace in the attempt's
//! timeline.
//!
//! Lines do not always name the user: `debug ldap` numbers every line with
//! its LDAP session (`[53] …`) and names the user on some of them; `debug
//! radius` names the user once (`got user 'NAME'`). The parser stays pure:
//! it reports the session ([`Event::trace_session`]) and the name where a
//! line gives it, and the engine remembers which user each session is for.

use super::{Cause, Event, Family, Outcome, ParseContext};

/// The session key for `debug radius` lines, which carry no number: they
/// belong to the user the RADIUS trace last named.
pub const RADIUS_SESSION: &str = "radius";

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

/// What an AD `data` code means, in the words of an incident note.
pub fn ad_data_meaning(code: &str) -> &'static str {
    match code.to_ascii_lowercase().as_str() {
        "52e" => "invalid credentials",
        "525" => "user not found",
        "530" => "not permitted to log on at this time",
        "531" => "not permitted to log on at this workstation",
        "532" => "password expired",
        "533" => "account disabled",
        "701" => "account expired",
        "773" => "user must reset password",
        "775" => "account locked out",
        _ => "unknown code",
    }
}

/// The `data` code in an AD diagnostic message, if there is one.
pub fn ad_data_code(text: &str) -> Option<&str> {
    const KEY: &str = "AcceptSecurityContext error, data ";
    let at = text.find(KEY)?;
    let rest = &text[at + KEY.len()..];
    let end = rest
        .find(|c: char| !c.is_ascii_hexdigit())
        .unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

/// Fills in a `%ASA-7-711001:` event from its body (the trace text). The
/// ASA parser calls this; a body that is no trace we know stays plain.
pub fn extract<'a>(ev: &mut Event<'a>, body: &'a str) {
    read_trace(ev, body.trim());
}

/// One line of pasted console output. `None` when it is no trace line.
pub fn parse_console<'a>(line: &'a str, _ctx: &ParseContext) -> Option<Event<'a>> {
    let line = line.trim_end_matches(['\r', '\n']);
    let text = line.trim();
    let mut ev = Event::new(Family::Headend, Outcome::Info);
    ev.msg_id = Some("debug-trace");
    read_trace(&mut ev, text).then_some(ev)
}

/// Reads trace text into `ev`; false when it is not a trace line.
fn read_trace<'a>(ev: &mut Event<'a>, text: &'a str) -> bool {
    if let Some((session, rest)) = ldap_session(text) {
        ev.trace_session = Some(session);
        ldap_line(ev, rest);
        return true;
    }
    if radius_line(ev, text) {
        return true;
    }
    const AAA: [&str; 7] = [
        "AAA API:",
        "AAA FSM:",
        "AAA task:",
        "AAA_",
        "aaa_",
        "callback_aaa_task",
        "Initiating authentication to",
    ];
    const WEBVPN: [&str; 5] = [
        "webvpn_",
        "CSTP state",
        "Processing CSTP header line",
        "Validating address",
        "SVC message",
    ];
    AAA.iter().chain(WEBVPN.iter()).any(|p| text.starts_with(p))
}

/// `[53] text` or `[-2147483611] text`: the LDAP session number and the rest.
fn ldap_session(text: &str) -> Option<(&str, &str)> {
    let inner = text.strip_prefix('[')?;
    let close = inner.find(']')?;
    let num = inner[..close].trim();
    let digits = num.strip_prefix('-').unwrap_or(num);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((num, inner[close + 1..].trim()))
}

fn ldap_line<'a>(ev: &mut Event<'a>, rest: &'a str) {
    // `Simple authentication for kate returned code (49) Invalid credentials`:
    // the bind of the user being authenticated (or of the service account,
    // when that one fails).
    if let Some(after) = rest.strip_prefix("Simple authentication for ")
        && let Some(end) = after.find(" returned code")
    {
        ev.user = Some(after[..end].trim()).filter(|u| !u.is_empty());
        ev.reason = Some(after[end + 1..].trim());
        return;
    }
    if let Some(code) = ad_data_code(rest) {
        ev.outcome = Outcome::Failure;
        ev.cause = Some(ad_data_cause(code).unwrap_or(Cause::Other));
        ev.reason = Some(rest);
        if let Some(after) = rest.split(" for ").nth(1) {
            ev.user = after
                .split_whitespace()
                .next()
                .filter(|u| !u.ends_with(':'));
        }
    }
}

/// `debug radius` lines. The Reply-Message of a challenge is printed as a
/// hex dump whose text column (after `|`) carries the prompt.
fn radius_line<'a>(ev: &mut Event<'a>, text: &'a str) -> bool {
    if let Some(after) = text.strip_prefix("got user '") {
        ev.trace_session = Some(RADIUS_SESSION);
        ev.user = after.split('\'').next().filter(|u| !u.is_empty());
        return true;
    }
    const PREFIXES: [&str; 12] = [
        "radius mkreq",
        "RADIUS packet decode",
        "RADIUS_",
        "Radius: ",
        "rad_procpkt",
        "rad_mkpkt",
        "radius.c:",
        "alloc_rip",
        "new request",
        "add_req",
        "remove_req",
        "got password",
    ];
    let hex_dump = text.contains(" | ")
        && text.split(" | ").next().is_some_and(|h| {
            h.split_whitespace()
                .all(|b| b.len() == 2 && b.bytes().all(|c| c.is_ascii_hexdigit()))
        });
    if !PREFIXES.iter().any(|p| text.starts_with(p)) && !hex_dump {
        return false;
    }
    ev.trace_session = Some(RADIUS_SESSION);
    let prompt = if hex_dump {
        text.split_once(" | ").map(|(_, t)| t.trim())
    } else {
        text.split_once("Reply-Message").map(|(_, t)| t.trim())
    };
    if let Some(p) = prompt
        && asks_for_token(p)
    {
        ev.outcome = Outcome::Failure;
        ev.cause = Some(Cause::TokenRequired);
        ev.reason = Some(p);
    }
    true
}

/// A RADIUS Reply-Message asking for a one-time code.
fn asks_for_token(prompt: &str) -> bool {
    let p = prompt.to_ascii_lowercase();
    [
        "passcode",
        "token",
        "one-time",
        "otp",
        "next code",
        "new pin",
        "verification code",
    ]
    .iter()
    .any(|k| p.contains(k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ad_codes_map_as_microsoft_documents_them() {
        let c = |s| ad_data_cause(s);
        assert_eq!(c("52e"), Some(Cause::BadCredentials));
        assert_eq!(c("525"), Some(Cause::UnknownUser));
        assert_eq!(c("530"), Some(Cause::AuthorizationDenied));
        assert_eq!(c("531"), Some(Cause::AuthorizationDenied));
        assert_eq!(c("532"), Some(Cause::PasswordExpired));
        assert_eq!(c("773"), Some(Cause::PasswordExpired));
        assert_eq!(c("533"), Some(Cause::AccountDisabled));
        assert_eq!(c("701"), Some(Cause::AccountDisabled));
        assert_eq!(c("775"), Some(Cause::AccountLocked));
        assert_eq!(c("52E"), Some(Cause::BadCredentials));
        assert_eq!(c("999"), None);
        assert_eq!(
            ad_data_code(
                "80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 775, v3839"
            ),
            Some("775")
        );
        assert_eq!(ad_data_code("AcceptSecurityContext error, data , v1"), None);
    }

    #[test]
    fn not_a_trace_line() {
        let ctx = ParseContext::default();
        assert!(parse_console("hello world", &ctx).is_none());
        assert!(parse_console("[abc] not a session", &ctx).is_none());
        assert!(parse_console("", &ctx).is_none());
    }
}
