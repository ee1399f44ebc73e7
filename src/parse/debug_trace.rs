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
//! radius` names the user once (`got user 'NAME'`); `debug aaa
//! authentication` runs one AAA transaction at a time (`AAA session opened:
//! handle = N` … `User: NAME` … `auth_status = REJECT`) and `debug webvpn
//! anyconnect` one tunnel request at a time. The parser stays pure: it
//! reports the session ([`Event::trace_session`]), marks the line that
//! opens one ([`Role::TraceStart`]) and gives the name where a line does;
//! the engine remembers which user each session is for.
//!
//! Lines that state an outcome are verdicts like an auth server's: the AD
//! `data` code, a RADIUS challenge, the AAA transaction's final status
//! (`REJECT` reads as the `bad_credentials` a 113005 "AAA failure" does,
//! `CHALLENGE` as `token_required`, a timeout as `aaa_unreachable`), a
//! WebVPN authentication failure (its words mapped as a rejection reason
//! is, `parse::cause`). An accepted transaction or a connected tunnel is a
//! success line, evidence only.

use super::{Cause, Event, Family, Outcome, ParseContext, Role};

/// The session key for `debug radius` lines, which carry no number: they
/// belong to the user the RADIUS trace last named.
pub const RADIUS_SESSION: &str = "radius";

/// The session key for `debug aaa authentication` lines: one AAA
/// transaction at a time (the debug is turned on for one attempt).
pub const AAA_SESSION: &str = "aaa";

/// The session key for `debug webvpn anyconnect` lines: one AnyConnect
/// request at a time (narrowed with `debug webvpn condition user NAME`).
pub const WEBVPN_SESSION: &str = "webvpn";

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
        if rest == "Session Start" {
            ev.role = Role::TraceStart;
        }
        ldap_line(ev, rest);
        return true;
    }
    radius_line(ev, text) || aaa_line(ev, text) || webvpn_line(ev, text) || ldap_search_part(text)
}

/// The lines `debug ldap` prints under `[N] LDAP Search:` without the
/// session number (`Base DN = [...]`, `Filter  = [...]`, `Scope   =
/// [SUBTREE]`): trace lines, but of no session the line says.
fn ldap_search_part(text: &str) -> bool {
    ["Base DN", "Filter", "Scope"].iter().any(|k| {
        text.strip_prefix(k)
            .is_some_and(|rest| rest.trim_start().starts_with("= ["))
    })
}

/// `debug aaa authentication` lines (the ASA's AAA task and state machine).
fn aaa_line<'a>(ev: &mut Event<'a>, text: &'a str) -> bool {
    const AAA: [&str; 11] = [
        "AAA API:",
        "AAA FSM:",
        "AAA task:",
        "AAA session ",
        "AAA_",
        "aaa_",
        "callback_aaa_task",
        "Initiating authentication to",
        "Back End response",
        "Authentication Status:",
        "Checking simultaneous login restriction",
    ];
    // `User: NAME` on a line of its own: the transaction's user, as the
    // AAA state machine sends it to the server.
    let user_line = text
        .strip_prefix("User: ")
        .map(str::trim)
        .filter(|u| !u.is_empty() && !u.contains(char::is_whitespace));
    if user_line.is_none() && !AAA.iter().any(|p| text.starts_with(p)) {
        return false;
    }
    ev.trace_session = Some(AAA_SESSION);
    if text == "AAA API: In aaa_open" || text.starts_with("AAA session opened") {
        ev.role = Role::TraceStart;
    }
    ev.user = user_line.or_else(|| named_user(text));
    // The transaction's end state: `Authentication Status: … (REJECT)` or
    // `AAA_NextFunction: … auth_status = REJECT`.
    let status = text
        .split_once("auth_status")
        .or_else(|| text.split_once("Authentication Status:"))
        .map(|(_, s)| s.to_ascii_uppercase());
    if let Some(status) = status {
        let verdict = if status.contains("REJECT") {
            Some(Cause::BadCredentials)
        } else if status.contains("CHALLENGE") {
            Some(Cause::TokenRequired)
        } else if status.contains("TIMEOUT") || status.contains("TIMED OUT") {
            Some(Cause::AaaUnreachable)
        } else {
            if status.contains("ACCEPT") {
                ev.outcome = Outcome::Success;
            }
            None
        };
        if let Some(cause) = verdict {
            ev.outcome = Outcome::Failure;
            ev.cause = Some(cause);
            ev.reason = Some(text);
        }
    }
    true
}

/// `debug webvpn anyconnect` lines (the AnyConnect request and tunnel).
fn webvpn_line<'a>(ev: &mut Event<'a>, text: &'a str) -> bool {
    const WEBVPN: [&str; 6] = [
        "webvpn_",
        "CSTP state",
        "Processing CSTP header line",
        "Validating address",
        "SVC message",
        "SVC: ",
    ];
    if !WEBVPN.iter().any(|p| text.starts_with(p)) {
        return false;
    }
    ev.trace_session = Some(WEBVPN_SESSION);
    if text.starts_with("webvpn_rx_data_tunnel_connect") {
        ev.role = Role::TraceStart;
    }
    ev.user = named_user(text);
    let lower = text.to_ascii_lowercase();
    // The tunnel's last state; its name differs between descriptions
    // (`CONNECTED`, `ESTABLISHED`).
    if lower.contains("cstp state = connected") || lower.contains("cstp state = established") {
        ev.outcome = Outcome::Success;
    } else if [
        "login failed",
        "auth failed",
        "authentication failed",
        "authentication rejected",
    ]
    .iter()
    .any(|k| lower.contains(k))
    {
        ev.outcome = Outcome::Failure;
        ev.cause = Some(super::cause::cause_from_reason(text));
        ev.reason = Some(text);
    }
    true
}

/// The user an AAA or WebVPN trace line names: `for user NAME`, `user =
/// NAME`, `user 'NAME'`, `username: NAME` or an XML `<username>NAME</username>`.
/// A hidden (`*****`) or empty name names no one.
fn named_user(text: &str) -> Option<&str> {
    // A name ends at white space or the punctuation around it.
    let token = |rest: &str| {
        rest.find(|c: char| c.is_whitespace() || matches!(c, ',' | ')' | '\'' | '"' | '<' | '!'))
            .unwrap_or(rest.len())
    };
    let found = if let Some((_, rest)) = text.split_once("<username>") {
        rest.split_once("</username>").map(|(u, _)| u)
    } else if let Some((_, rest)) = text.split_once("user '") {
        rest.split_once('\'').map(|(u, _)| u)
    } else {
        [
            "for user ",
            "user = ",
            "username: ",
            "Username: ",
            "username = ",
        ]
        .iter()
        .find_map(|k| text.split_once(k))
        .and_then(|(_, rest)| {
            let rest = rest.trim_start();
            rest.get(..token(rest))
        })
    };
    found
        .map(str::trim)
        .filter(|u| !u.is_empty() && !u.starts_with("*****"))
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
    // `Reading password policy for jdoe, dn:CN=…`: the user being
    // authenticated, named once their entry is found.
    if let Some(after) = rest.strip_prefix("Reading password policy for ") {
        ev.user = after.split([',', ' ']).next().filter(|u| !u.is_empty());
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
    if text.starts_with("radius mkreq") {
        ev.role = Role::TraceStart;
    }
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
