//! AnyConnect / Secure Client lines from a user's machine, as written to
//! syslog on Linux and macOS (and by Android logcat).
//!
//! Only lines from the client's own processes are recognised: `acvpnui`,
//! `acvpnagent`, `vpnagentd`, `vpnui`, `vpnagent`, `vpnapi`, `acvpndownloader`
//! and Secure Client 5's `csc_vpnagent`, `csc_vpnapi`. Header forms:
//!
//! * BSD syslog: `Jan 12 17:05:35 host acvpnui[16263]: …` (also with an empty
//!   host, and with an RFC 3339 time as rsyslog writes it); journald's
//!   `short` output is the same, its `short-iso` output is
//!   `2026-11-28T08:41:07+0000 host acvpnui[123]: …`;
//! * macOS console: `5/20/14 11:33:56.909 PM acvpnagent[69]: …`;
//! * Android logcat: `05-20 11:33:56.909 W/acvpnagent(14592): …`, or the
//!   same without a time.
//!
//! Bodies:
//!
//! * `Function: F File: X Line: N Invoked Function: G Return Code: -N (0xHEX)
//!   Description: SYMBOL [text]`: `msg_id` is the symbol (the numeric code
//!   differs between client versions, the symbol does not); a symbol with
//!   `_ERROR_` is a failure whose cause comes from the symbol, or from the
//!   text when the symbol says nothing specific (`GLOBAL_ERROR_UNEXPECTED
//!   Unable to contact vpn.example.com.`).
//! * `Function: getUserName … PasswordEntry username is NAME`: the only line
//!   naming the user.
//! * `Message type error|warning|information sent to the user: TEXT`: what
//!   the user saw; errors and warnings that say why a connection failed are
//!   failures.
//! * `VPN state: Connected …`: a success.
//!
//! Any other line from those processes is `Info`, its text in `reason`.
//! rsyslog's `message repeated N times: [ … ]` wrapper is unwrapped. Times
//! without a zone are UTC (see [`time`]).

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use memchr::memmem;

use super::text::{after, contains_ci};
use super::{Cause, Event, Family, Outcome, ParseContext, field, time};

/// Parses one client log line. `None` unless it comes from an AnyConnect process.
pub fn parse<'a>(line: &'a str, ctx: &ParseContext) -> Option<Event<'a>> {
    let line = line.strip_suffix('\n').unwrap_or(line);
    let line = line.strip_suffix('\r').unwrap_or(line);
    let (ts, host, body) = match split_header(line, ctx.default_year) {
        Some(parts) => parts,
        None => split_ios(line, ctx.default_year)?,
    };
    let mut ev = Event::new(Family::Client, Outcome::Info);
    ev.ts = ts;
    ev.host = host;
    ev.body = Some(body);
    classify_body(&mut ev, body);
    Some(ev)
}

/// Classifies a client message body (the text after the process tag, or the
/// message of a Windows event / DART record) into `ev`: outcome, cause,
/// return-code symbol, user, reason. A failure always gets a cause.
pub(crate) fn classify_body<'a>(ev: &mut Event<'a>, body: &'a str) {
    classify(ev, unwrap_repeated(body));
    if ev.outcome == Outcome::Failure && ev.cause.is_none() {
        ev.cause = Some(Cause::Other);
    }
}

/// rsyslog's repeat compression, `… message repeated N times: [ inner ]`,
/// anywhere in `line` (normally after the syslog header): returns N and the
/// inner message, so the caller can count the line as N events. [`parse`]
/// on the whole line already reads the inner message. `None` for any other
/// line, including the old `last message repeated N times` (which has no
/// inner message).
pub fn repeated(line: &str) -> Option<(u32, &str)> {
    // Asked of every client line: one searcher built once, not one per call.
    static FINDER: LazyLock<memmem::Finder<'static>> = LazyLock::new(|| memmem::Finder::new(PAT));
    const PAT: &str = "message repeated ";
    let at = FINDER.find(line.as_bytes())?;
    if line.get(..at)?.ends_with("last ") {
        return None;
    }
    let rest = line.get(at + PAT.len()..)?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let n: u32 = rest.get(..digits)?.parse().ok()?;
    let rest = rest.get(digits..)?;
    let rest = rest
        .strip_prefix(" times: [")
        .or_else(|| rest.strip_prefix(" time: ["))?;
    let inner = rest.trim_end_matches(['\n', '\r']).trim();
    Some((n, inner.strip_suffix(']').unwrap_or(inner).trim()))
}

/// Cause of a failure from the client's return-code symbol.
pub fn cause_from_symbol(symbol: &str) -> Cause {
    if symbol.contains("CERT") {
        Cause::Certificate
    } else if [
        "TIMEOUT",
        "GETADDRINFO",
        "HOST_RESOLUTION",
        "CONNECT_FAILED",
        "NO_INTERNET",
    ]
    .iter()
    .any(|k| symbol.contains(k))
    {
        Cause::ClientNetwork
    } else {
        Cause::Other
    }
}

/// Cause of a failure from a message shown to the user, or `None` when the
/// message does not report a failure.
pub fn cause_from_user_message(text: &str) -> Option<Cause> {
    let has = |needles: &[&str]| needles.iter().any(|n| contains_ci(text, n));
    if has(LOGIN_FAILED) {
        return Some(if has(&["token", "passcode", " pin"]) {
            Cause::TokenRequired
        } else {
            Cause::BadCredentials
        });
    }
    if has(UNTRUSTED) {
        return Some(Cause::Certificate);
    }
    if has(UNREACHABLE) {
        return Some(Cause::ClientNetwork);
    }
    if has(NOT_ESTABLISHED) {
        return Some(Cause::Other);
    }
    None
}

// The words the free-text classifiers look for (ASCII case ignored). Each
// list is used by its classifier and, all together, by [`OUTCOME_WORDS`]:
// a text with none of them states no outcome, so most lines of a client
// log (UI chatter, routing, interface changes) are passed over with one
// search instead of a score of them.

/// A login the user was told failed ([`cause_from_user_message`]).
const LOGIN_FAILED: &[&str] = &[
    "login failed",
    "login denied",
    "authentication failed",
    "authentication rejected",
];
/// A server certificate the client did not trust.
const UNTRUSTED: &[&str] = &["certificate", "not be trustworthy"];
/// The headend could not be reached.
const UNREACHABLE: &[&str] = &[
    "timed out",
    "unable to contact",
    "domain name resolution",
    "unable to resolve",
];
/// A connection that failed for no stated reason.
const NOT_ESTABLISHED: &[&str] = &[
    "connection attempt has failed",
    "was not able to establish",
    "could not establish",
];
/// Library errors [`stated_failure`] reads before the user's message:
/// OpenSSL's and NSS's certificate errors and a failed DNS lookup (the
/// case of `SEC_ERROR_` matters there; ignoring it here only lets more
/// texts through to the exact check).
const LIBRARY_ERRORS: &[&str] = &[
    "X509_verify_cert",
    "SEC_ERROR_",
    "certificate verify failed",
    "getaddrinfo",
];
/// A connection or login that succeeded ([`is_success_text`]).
const SUCCEEDED: &[&str] = &[
    "vpn connection has been established",
    "complete vpn connection has been established",
    "authentication succeeded",
];

/// Every list above: the words some classifier looks for.
const OUTCOME_WORD_LISTS: [&[&str]; 6] = [
    LOGIN_FAILED,
    UNTRUSTED,
    UNREACHABLE,
    NOT_ESTABLISHED,
    LIBRARY_ERRORS,
    SUCCEEDED,
];

/// Every word above in one automaton: whether a text may state an outcome
/// at all. A prefilter only: the classifiers decide.
static OUTCOME_WORDS: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    let words = OUTCOME_WORD_LISTS.concat();
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(words)
        .ok()
});

/// Whether `text` holds one of the words an outcome is stated with (true
/// when the automaton could not be built: then every classifier runs).
fn may_state_outcome(text: &str) -> bool {
    OUTCOME_WORDS
        .as_ref()
        .is_none_or(|words| words.is_match(text))
}

const PROCESSES: [&str; 9] = [
    "acvpnui",
    "acvpnagent",
    "vpnagentd",
    "vpnui",
    "vpnagent",
    "vpnapi",
    "acvpndownloader",
    "csc_vpnagent",
    "csc_vpnapi",
];

/// Splits a line into time, host and the body after the process tag.
fn split_header(
    line: &str,
    default_year: i16,
) -> Option<(Option<jiff::Timestamp>, Option<&str>, &str)> {
    let (ts, rest, may_have_host) = if let Some((t, n)) = time::parse_prefix(line, default_year) {
        (t, line.get(n..)?, true)
    } else if let Some((t, n)) = time::parse_us_prefix(line) {
        (t, line.get(n..)?, false)
    } else if let Some((t, n)) = time::parse_logcat_prefix(line, default_year) {
        (t, line.get(n..)?, false)
    } else {
        (None, line, false)
    };
    let rest = rest.trim_start();
    if let Some(body) = process_tag(rest) {
        return Some((ts, None, body));
    }
    if !may_have_host {
        return None;
    }
    let end = rest.find([' ', '\t'])?;
    let (host, rest) = rest.split_at(end);
    let body = process_tag(rest.trim_start())?;
    Some((ts, Some(host), body))
}

/// The iOS client's log and messages files: `[TIME] Error: BODY`,
/// `[TIME] [VPN] - BODY` (the level or the `[VPN] -` marker is required, so
/// other bracketed lines are not taken for client lines).
fn split_ios(
    line: &str,
    default_year: i16,
) -> Option<(Option<jiff::Timestamp>, Option<&str>, &str)> {
    let rest = line.strip_prefix('[')?;
    let close = rest.find(']')?;
    let stamp = rest.get(..close)?.trim();
    let ts = time::parse_prefix(stamp, default_year)
        .or_else(|| time::parse_us_prefix(stamp))
        .and_then(|(t, _)| t);
    let rest = rest.get(close + 1..)?.trim_start();
    if let Some(body) = rest.strip_prefix("[VPN] -") {
        return Some((ts, None, body.trim_start()));
    }
    let (level, body) = rest.split_once(": ")?;
    ["Error", "Warning", "Info", "Information", "Debug"]
        .contains(&level)
        .then_some((ts, None, body))
}

/// If `s` starts with a known process tag (`name[pid]:`, `name:`,
/// `L/name(pid):`, `L/name  (pid):`), returns the text after it.
fn process_tag(s: &str) -> Option<&str> {
    // Logcat: a priority letter, a slash, the tag, then `(pid):`.
    if let Some(tag) = s
        .get(..2)
        .filter(|p| {
            matches!(
                p.as_bytes(),
                [b'V' | b'D' | b'I' | b'W' | b'E' | b'F', b'/']
            )
        })
        .and(s.get(2..))
    {
        let close = tag.find("):")?;
        let open = tag.get(..close)?.find('(')?;
        let name = tag.get(..open)?.trim_end();
        return PROCESSES
            .contains(&name)
            .then(|| tag.get(close + 2..).unwrap_or("").trim_start());
    }
    let end = s.find([' ', '\t']).unwrap_or(s.len());
    let (tok, rest) = s.split_at(end);
    let tok = tok.strip_suffix(':')?;
    let name = match tok.find('[') {
        Some(open) if tok.ends_with(']') => tok.get(..open)?,
        Some(_) => return None,
        None => tok,
    };
    PROCESSES.contains(&name).then(|| rest.trim_start())
}

/// `message repeated 29 times: [ body ]` → `body`.
fn unwrap_repeated(body: &str) -> &str {
    if body.starts_with("message repeated ")
        && let Some((_, inner)) = body.split_once(": [")
    {
        let inner = inner.trim();
        return inner.strip_suffix(']').unwrap_or(inner).trim();
    }
    body
}

fn classify<'a>(ev: &mut Event<'a>, body: &'a str) {
    if body.starts_with("Function:") {
        function_line(ev, body);
    } else if let Some(rest) = body.strip_prefix("Message type ") {
        let (kind, text) = match rest.split_once(" sent to the user:") {
            Some((kind, text)) => (kind.trim(), text.trim()),
            None => ("", rest.trim()),
        };
        ev.reason = field(text);
        if (kind.eq_ignore_ascii_case("error") || kind.eq_ignore_ascii_case("warning"))
            && let Some(cause) = stated_failure(text)
        {
            ev.outcome = Outcome::Failure;
            ev.cause = Some(cause);
        }
    } else if let Some(rest) = body.strip_prefix("VPN state:") {
        ev.reason = field(body);
        if rest.split_whitespace().next() == Some("Connected") {
            ev.outcome = Outcome::Success;
        }
    } else {
        ev.reason = field(body);
        classify_free_text(ev, body);
    }
}

/// A return-code symbol that is context, not a failure: the client
/// certificate store enumerated and found no client certificate (normal
/// when the headend does not ask for one).
fn is_context_symbol(symbol: &str) -> bool {
    symbol.starts_with("CERTSTORE_ERROR_CERT_NOT_FOUND")
}

/// The cause of a failure a line's free text states, or `None`: what the
/// user was told ([`cause_from_user_message`]), server-certificate
/// verification errors from OpenSSL (`X509_verify_cert … unable to get
/// local issuer certificate`) and NSS (`SEC_ERROR_…`), and DNS failures
/// (`getaddrinfo failed`).
fn stated_failure(text: &str) -> Option<Cause> {
    if !may_state_outcome(text) {
        return None;
    }
    stated_failure_unfiltered(text)
}

/// [`stated_failure`] without the prefilter (the tests hold the two equal).
fn stated_failure_unfiltered(text: &str) -> Option<Cause> {
    let has = |n: &str| contains_ci(text, n);
    if has("X509_verify_cert") || text.contains("SEC_ERROR_") || has("certificate verify failed") {
        return Some(Cause::Certificate);
    }
    if has("getaddrinfo") && (has("fail") || has("error")) {
        return Some(Cause::ClientNetwork);
    }
    cause_from_user_message(text)
}

/// A line in no known body shape (the 2.x `ConnectMgr.cpp:626 (0) …` form,
/// the iOS messages file, a library load): a failure or success only when
/// its text states one.
fn classify_free_text(ev: &mut Event<'_>, body: &str) {
    if !may_state_outcome(body) {
        return;
    }
    if let Some(cause) = stated_failure_unfiltered(body) {
        ev.outcome = Outcome::Failure;
        ev.cause = Some(cause);
    } else if is_success_text(body) {
        ev.outcome = Outcome::Success;
    }
}

/// Text that says a connection or login succeeded.
fn is_success_text(text: &str) -> bool {
    SUCCEEDED.iter().any(|n| contains_ci(text, n))
}

/// One line of the `vpn` / `vpncli` command-line client's transcript
/// (`  >> state: Connecting`, `  >> notice: Contacting vpn.example.com.`,
/// `  >> Login failed.`, `VPN> connect vpn.example.com`). The transcript
/// carries no times. `None` for any other line.
pub fn parse_cli<'a>(line: &'a str, _ctx: &ParseContext) -> Option<Event<'a>> {
    let line = line.trim_end_matches(['\n', '\r']).trim_start();
    let line = line.strip_prefix("VPN>").map_or(line, str::trim_start);
    let mut ev = Event::new(Family::Client, Outcome::Info);
    if let Some(body) = line.strip_prefix(">>") {
        let body = body.trim();
        ev.reason = field(body);
        let (kind, text) = match body.split_once(':') {
            Some((k, t))
                if ["state", "notice", "error", "warning", "info"]
                    .contains(&k.trim().to_ascii_lowercase().as_str()) =>
            {
                (k.trim(), t.trim())
            }
            _ => ("", body),
        };
        if kind.eq_ignore_ascii_case("state") {
            if text.split_whitespace().next() == Some("Connected") {
                ev.outcome = Outcome::Success;
            }
        } else if kind.eq_ignore_ascii_case("notice") || kind.eq_ignore_ascii_case("info") {
            // A notice reports progress; the state line reports the outcome.
        } else if let Some(cause) = stated_failure(text) {
            ev.outcome = Outcome::Failure;
            ev.cause = Some(cause);
        }
        return Some(ev);
    }
    if let Some(rest) = line.strip_prefix("Username:") {
        // `Username: [jdoe] jdoe`: the prompt echoes the name given.
        ev.user = rest
            .trim()
            .strip_prefix('[')
            .and_then(|r| r.split_once(']'))
            .and_then(|(u, _)| field(u));
        return Some(ev);
    }
    let is_banner = line.starts_with("Cisco AnyConnect Secure Mobility Client")
        || line.starts_with("Cisco Secure Client")
        || line.starts_with("connect ")
        || line.starts_with("disconnect")
        || line.starts_with("Copyright (c)");
    is_banner.then(|| {
        ev.reason = field(line);
        ev
    })
}

/// `Function: F File: X Line: N …`.
fn function_line<'a>(ev: &mut Event<'a>, body: &'a str) {
    if let Some(desc) = after(body, "Description:") {
        let desc = desc.trim_start();
        // Any whitespace: in a DART record the symbol can end the line.
        let end = desc.find(char::is_whitespace).unwrap_or(desc.len());
        let (symbol, text) = desc.split_at(end);
        ev.msg_id = field(symbol);
        ev.reason = field(text);
        if symbol.contains("_ERROR_") && !is_context_symbol(symbol) {
            // A trace states a failure only when its symbol or its text
            // names one; a generic symbol (`CONNECTMGR_ERROR_UNEXPECTED`)
            // is the echo of a failure another line states: context.
            let cause = match cause_from_symbol(symbol) {
                // NSS's own symbols (`SEC_ERROR_UNKNOWN_ISSUER`) say
                // certificate without the word.
                Cause::Other => stated_failure(symbol).or_else(|| stated_failure(text)),
                c => Some(c),
            };
            if let Some(cause) = cause {
                ev.outcome = Outcome::Failure;
                ev.cause = Some(cause);
            }
        }
        return;
    }
    if let Some(user) = after(body, "PasswordEntry username is ") {
        // Only to the end of its line (a DART record goes on).
        ev.user = user.lines().next().and_then(field);
        return;
    }
    // Informational variant: the text after `Line: N`.
    ev.reason = after(body, "Line: ")
        .map(|s| s.trim_start_matches(|c: char| c.is_ascii_digit()))
        .and_then(field)
        .or_else(|| field(body));
    if let Some(text) = ev.reason {
        classify_free_text(ev, text);
    }
}

#[cfg(test)]
mod tests;
