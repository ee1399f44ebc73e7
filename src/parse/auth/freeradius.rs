//! FreeRADIUS `radius.log` and its syslog form: `Login incorrect`, `Login OK`,
//! `Invalid user`, with or without a header.

use super::*;
use crate::parse::{Cause, Event, Family, Outcome, ParseContext, cause, field_or_dash, time};

/// One FreeRADIUS `radius.log` line (ctime header, ` : Auth: ` or the linelog
/// form), or a syslog line from `radiusd` / `freeradius`. Auth lines become
/// failures and successes; other radius.log lines (`Info:`, `Error:`) are
/// recognised as `Info`.
pub fn parse_freeradius<'a>(line: &'a str, ctx: &ParseContext) -> Option<Event<'a>> {
    let (ts, host, body) = radius_header(line, ctx)?;
    let mut ev = Event::new(Family::AuthServer, Outcome::Info);
    ev.ts = ts;
    ev.host = host;
    if body.len() == line.len() {
        ev.ts_from = crate::parse::TimeFrom::Missing;
    }
    let mut body = body.trim_start();
    let mut is_auth = false;
    if let Some(b) = body.strip_prefix("Auth:") {
        body = b.trim_start();
        is_auth = true;
    }
    // v3 request number: `(3) `.
    if let Some(b) = body.strip_prefix('(')
        && let Some((n, rest)) = b.split_once(')')
        && !n.is_empty()
        && n.bytes().all(|c| c.is_ascii_digit())
    {
        body = rest.trim_start();
    }
    let (kind, rest) = if let Some(r) = body.strip_prefix("Login incorrect") {
        (Some(Outcome::Failure), r)
    } else if let Some(r) = body.strip_prefix("Login OK") {
        (Some(Outcome::Success), r)
    } else if let Some(r) = body
        .strip_prefix("Invalid user")
        .or_else(|| body.strip_prefix("Home server says invalid user"))
    {
        ev.cause = Some(Cause::UnknownUser);
        (Some(Outcome::Failure), r)
    } else if let Some(r) = body.strip_prefix("Multiple logins") {
        ev.cause = Some(Cause::Capacity);
        (Some(Outcome::Failure), r)
    } else {
        (None, body)
    };
    let Some(outcome) = kind else {
        if !is_auth && !has_radius_level(body) {
            return None;
        }
        ev.reason = field_or_dash(body);
        return Some(ev);
    };
    ev.outcome = outcome;
    let mut rest = rest.trim_start();
    // `(reason)` right after the message, with nested parentheses.
    if rest.starts_with('(') {
        let mut depth = 0usize;
        let mut end = None;
        for (i, c) in rest.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = Some(i);
                        break;
                    }
                }
                _ => {}
            }
        }
        if let Some(end) = end {
            ev.reason = rest.get(1..end).and_then(field_or_dash);
            rest = rest.get(end + 1..).unwrap_or("");
        }
    }
    if let Some(open) = rest.find('[') {
        let inner = rest.get(open + 1..).unwrap_or("");
        let close = inner
            .find("] (from")
            .or_else(|| inner.find(']'))
            .unwrap_or(inner.len());
        let user = inner.get(..close).unwrap_or("");
        // `[user/password]` (auth_badpass) or `[user/<via Auth-Type = eap>]`.
        let user = user.split('/').next().unwrap_or(user);
        ev.user = field_or_dash(user);
        rest = inner.get(close..).unwrap_or("");
    }
    if let Some(cli) = rest.find(" cli ").and_then(|i| rest.get(i + 5..)) {
        let end = cli.find([' ', ')']).unwrap_or(cli.len());
        ev.client_ip = cli.get(..end).and_then(ip);
    }
    if ev.outcome == Outcome::Failure && ev.cause.is_none() {
        ev.cause = Some(radius_reason_cause(ev.reason.unwrap_or("")));
    }
    Some(ev)
}

/// "Login incorrect" means bad credentials unless the reason says more: an
/// NTSTATUS code from `ntlm_auth`, or words the headend table knows.
pub(super) fn radius_reason_cause(reason: &str) -> Cause {
    let lower_hex = reason
        .find("0xc0")
        .or_else(|| reason.find("0xC0"))
        .and_then(|i| reason.get(i + 2..i + 10))
        .and_then(|h| u32::from_str_radix(h, 16).ok());
    if let Some(code) = lower_hex {
        return cause_from_ntstatus(code, 0);
    }
    match cause::cause_from_reason(reason) {
        Cause::Other => Cause::BadCredentials,
        c => c,
    }
}

pub(super) fn has_radius_level(body: &str) -> bool {
    [
        "Info:", "Error:", "Warning:", "Debug:", "Proxy:", "WARNING:", "ERROR:",
    ]
    .iter()
    .any(|l| body.starts_with(l))
}

/// `Wed Mar 26 12:54:17 2014 : body` (ctime, radius.log) or
/// `Mar 26 12:54:17 host radiusd[812]: body` (syslog).
pub(super) fn radius_header<'a>(
    line: &'a str,
    ctx: &ParseContext,
) -> Option<(Option<jiff::Timestamp>, Option<&'a str>, &'a str)> {
    if let Some(r) = ctime_header(line, ctx) {
        return Some(r);
    }
    if is_bare_radius_body(line) {
        return Some((None, None, line));
    }
    // syslog: time, host, then the daemon's tag.
    let (ts, n) = time::parse_prefix(line, ctx.default_year)?;
    let rest = line.get(n..)?.trim_start();
    let (host, rest) = rest.split_once(' ')?;
    let (tag, body) = rest.split_once(": ")?;
    let name = tag.split('[').next().unwrap_or(tag);
    matches!(name, "radiusd" | "freeradius").then_some((ts, field_or_dash(host), body))
}

/// A radius.log body whose header a collector removed: `Auth: …`,
/// `(12) Login incorrect …`, `Login OK: …`, `Invalid user …`.
pub(super) fn is_bare_radius_body(line: &str) -> bool {
    let body = line.trim_start();
    let body = body.strip_prefix("Auth:").map_or(body, str::trim_start);
    let body = match body.strip_prefix('(').and_then(|b| b.split_once(')')) {
        Some((n, rest)) if !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()) => {
            rest.trim_start()
        }
        _ => body,
    };
    [
        "Login incorrect",
        "Login OK",
        "Invalid user",
        "Home server says invalid user",
    ]
    .iter()
    .any(|p| body.starts_with(p))
}

/// `Wed Mar 26 12:54:17 2014 : body`.
pub(super) fn ctime_header<'a>(
    line: &'a str,
    ctx: &ParseContext,
) -> Option<(Option<jiff::Timestamp>, Option<&'a str>, &'a str)> {
    let weekday = line.get(..3)?;
    if line.as_bytes().get(3) != Some(&b' ') || !weekday.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let rest = line.get(4..)?;
    let (_, n) = time::parse_prefix(rest, ctx.default_year)?;
    let after = rest.get(n..)?;
    let year_str = after.trim_start();
    let digits = year_str.bytes().take_while(u8::is_ascii_digit).count();
    let (year, tail) = if digits == 4 {
        (year_str.get(..4)?.parse::<i16>().ok(), year_str.get(4..)?)
    } else {
        (None, after)
    };
    // Read again with the year that follows the clock.
    let ts = time::parse_prefix(rest, year.unwrap_or(ctx.default_year)).and_then(|(t, _)| t);
    let body = tail.trim_start().strip_prefix(':')?;
    Some((ts, None, body))
}
