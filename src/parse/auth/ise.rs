//! Cisco ISE syslog: `CISE_Failed_Attempts` and `CISE_Passed_Authentications`,
//! with or without the syslog header a collector may have removed.

use super::*;
use crate::parse::{Cause, Event, Family, Outcome, ParseContext, field_or_dash, time};

/// One Cisco ISE syslog message (segments already joined). `None` unless it
/// has a `CISE_` category and a message code.
pub fn parse_ise<'a>(line: &'a str, ctx: &ParseContext) -> Option<Event<'a>> {
    let Some(seg) = crate::parse::records::ise_segment(line) else {
        return ise_body_only(line, ctx);
    };
    let mut key = seg.key.split(' ');
    let first = key.next()?;
    // A collector may have removed the syslog header up to the category.
    let (host, category) = match first.strip_prefix("CISE_") {
        Some(category) => (None, category),
        None => (
            Some(first).filter(|h| !h.is_empty()),
            key.next()?.strip_prefix("CISE_")?,
        ),
    };
    let mut ev = Event::new(Family::AuthServer, Outcome::Info);
    ev.host = host;
    ev.server = host;
    // Header time (`<181>Nov 28 08:41:07`), overridden by ISE's own zoned time.
    let header = line.get(..line.find(seg.key).unwrap_or(0)).unwrap_or("");
    let header = header.trim_start();
    let header = match header.strip_prefix('<') {
        Some(h) => h.split_once('>').map_or(h, |(_, r)| r),
        None => header,
    };
    ev.ts = time::parse_prefix(header, ctx.default_year).and_then(|(ts, _)| ts);
    Some(ise_body(ev, seg.text, category, ctx))
}

/// An ISE message with everything before its own time removed:
/// `2026-11-28 08:41:09.118 +00:00 0001234567 5400 NOTICE Failed-Attempt: …`.
/// The category is told by the class (`Failed-Attempt`, `Passed-Authentication`).
pub(super) fn ise_body_only<'a>(line: &'a str, ctx: &ParseContext) -> Option<Event<'a>> {
    let (Some(_), n) = time::parse_prefix(line, ctx.default_year)? else {
        return None;
    };
    let mut words = line.get(n..)?.trim_start().splitn(5, ' ');
    let (_seq, code, _severity, class) =
        (words.next()?, words.next()?, words.next()?, words.next()?);
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let category = match class {
        "Failed-Attempt:" => "Failed_Attempts",
        "Passed-Authentication:" | "Passed-Auth:" => "Passed_Authentications",
        _ => return None,
    };
    let mut ev = Event::new(Family::AuthServer, Outcome::Info);
    ev.ts_from = crate::parse::TimeFrom::Missing;
    let ev = ise_body(ev, line, category, ctx);
    // ISE's own time is in the body: it is the line's.
    Some(Event {
        ts_from: if ev.ts.is_some() {
            crate::parse::TimeFrom::Line
        } else {
            crate::parse::TimeFrom::Missing
        },
        ..ev
    })
}

/// The part of an ISE message after its segment numbers.
pub(super) fn ise_body<'a>(
    mut ev: Event<'a>,
    text: &'a str,
    category: &str,
    ctx: &ParseContext,
) -> Event<'a> {
    let mut body = text;
    if let Some((ts, n)) = time::parse_prefix(body, ctx.default_year) {
        if ts.is_some() {
            ev.ts = ts;
        }
        body = body.get(n..).unwrap_or("").trim_start();
        // `seq code SEVERITY Class: text, k=v, …`
        let mut words = body.splitn(4, ' ');
        let _seq = words.next();
        ev.msg_id = words
            .next()
            .filter(|c| c.bytes().all(|b| b.is_ascii_digit()));
        let _severity = words.next();
        body = words.next().unwrap_or("");
    }
    ev.body = Some(body);
    ev.user = ise_attr(body, "UserName").or_else(|| ise_attr(body, "User-Name"));
    ev.client_ip = ise_attr(body, "Calling-Station-ID")
        .or_else(|| ise_attr(body, "Calling-Station-Id"))
        .and_then(ip)
        .or_else(|| ise_attr(body, "Remote-Address").and_then(ip))
        .or_else(|| ise_attr(body, "Framed-IP-Address").and_then(ip));
    ev.group = ise_attr(body, "CVPN3000/ASA/PIX7x-Tunnel-Group-Name");
    let code: u32 = ev.msg_id.and_then(|c| c.parse().ok()).unwrap_or(0);
    match category {
        "Failed_Attempts" => {
            // 5434/5435/5440/5449 summarise repeats or abandoned sessions;
            // counting them would count the same attempt twice.
            if matches!(code, 5434 | 5435 | 5440 | 5449) {
                ev.reason = field_or_dash(body);
            } else {
                ev.outcome = Outcome::Failure;
                let reason = ise_attr(body, "FailureReason");
                let number = reason.and_then(|r| {
                    let d = r.bytes().take_while(u8::is_ascii_digit).count();
                    r.get(..d)?.parse::<u32>().ok()
                });
                ev.cause = Some(number.map_or(Cause::Other, cause_from_ise_reason));
                ev.reason = reason.or_else(|| field_or_dash(body));
            }
        }
        "Passed_Authentications" if code == 5200 => ev.outcome = Outcome::Success,
        _ => {}
    }
    ev
}

/// `key=value` in ISE's `, `-separated attribute list; the value runs to the
/// next `, `.
pub(super) fn ise_attr<'a>(body: &'a str, key: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(i) = body.get(from..)?.find(key) {
        let at = from + i;
        from = at + key.len();
        let boundary = at == 0 || matches!(body.as_bytes().get(at - 1), Some(b' ' | b','));
        if !boundary || body.as_bytes().get(from) != Some(&b'=') {
            continue;
        }
        let v = body.get(from + 1..)?;
        let end = v.find(", ").unwrap_or(v.len());
        return v
            .get(..end)
            .and_then(field_or_dash)
            .map(|s| s.trim_end_matches(','));
    }
    None
}
