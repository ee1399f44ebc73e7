//! Authentication-server logs: what the RADIUS server, Cisco ISE, Microsoft
//! NPS or the Active Directory domain controller said about a login. These
//! name the real cause (a locked account, a password that must change) when
//! the headend only says "AAA failure".
//!
//! Formats, each with its own entry point (all pure, borrowing from the record):
//!
//! * Windows Security log ([`parse_security_xml`], [`parse_security_row`]):
//!   4625 (logon failure; Status / SubStatus NTSTATUS codes), 4740 (account
//!   locked out; its `TargetDomainName` is the *caller computer*, reported in
//!   `server`), 4771 (Kerberos pre-authentication failure codes), and the
//!   NPS events in the same log: 6272 (granted), 6273 (denied, `ReasonCode`),
//!   6279 (account locked). As `wevtutil`/Event Viewer XML or as the Event
//!   Viewer .csv/.txt export (fields read from the rendered message).
//! * NPS accounting log in DTS (XML) format, `%windir%\System32\LogFiles\IN*.log`
//!   ([`parse_nps_dts`]): one `<Event>…</Event>` per line; Access-Reject with
//!   its `Reason-Code`, Access-Accept.
//! * Cisco ISE syslog ([`parse_ise`]): `CISE_Failed_Attempts` (message code
//!   5400 …; cause from the `FailureReason` number) and
//!   `CISE_Passed_Authentications` 5200. Multi-segment messages are joined
//!   by [`records::RecordAssembler`](super::records::RecordAssembler) first.
//! * FreeRADIUS `radius.log` ([`parse_freeradius`]): `Login incorrect (…)`,
//!   `Login OK`, `Invalid user`; an NTSTATUS code in the reason (from
//!   `ntlm_auth`) is read with the 4625 table.
//!
//! Every failure gets exactly one cause; the code tables are public functions
//! so tests and the runbook can name them. `msg_id` is the Windows event id,
//! the ISE message code, or `None` (FreeRADIUS).

use super::{Cause, Event, Family, Outcome, ParseContext, cause, field_or_dash, time, winevent};

/// Parses one auth-server line in any single-line format (ISE, FreeRADIUS,
/// NPS DTS, a Windows Security XML record on one line); `None` when it is
/// not recognised.
pub fn parse<'a>(line: &'a str, ctx: &ParseContext) -> Option<Event<'a>> {
    let line = line.strip_suffix('\n').unwrap_or(line);
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.contains(" CISE_") || line.starts_with("CISE_") {
        return parse_ise(line, ctx);
    }
    if line.contains("<Event") {
        return parse_nps_dts(line, ctx).or_else(|| parse_security_xml(line, ctx));
    }
    parse_freeradius(line, ctx).or_else(|| parse_ise(line, ctx))
}

// ---- code tables ----

/// Cause of a Windows logon failure (4625) from its Status and SubStatus
/// NTSTATUS codes. The generic statuses 0xC000006D / 0xC000006E defer to a
/// SubStatus that says more.
pub fn cause_from_ntstatus(status: u32, sub_status: u32) -> Cause {
    let main = ntstatus_cause(status);
    if matches!(status, 0xC000_006D | 0xC000_006E) {
        let sub = ntstatus_cause(sub_status);
        if sub_status != 0 && sub != Cause::Other {
            return sub;
        }
    }
    main
}

fn ntstatus_cause(code: u32) -> Cause {
    match code {
        0xC000_006A | 0xC000_006D | 0xC000_006E => Cause::BadCredentials,
        0xC000_0064 => Cause::UnknownUser,
        0xC000_0234 => Cause::AccountLocked,
        0xC000_0072 | 0xC000_0193 => Cause::AccountDisabled,
        0xC000_0071 | 0xC000_0224 => Cause::PasswordExpired,
        0xC000_005E | 0xC000_0192 => Cause::AaaUnreachable,
        _ => Cause::Other,
    }
}

/// The documented meaning of a 4625 status code, for `reason`.
pub fn ntstatus_text(code: u32) -> Option<&'static str> {
    Some(match code {
        0xC000_005E => "no logon servers available",
        0xC000_0064 => "user name does not exist",
        0xC000_006A => "bad password",
        0xC000_006D => "bad user name or authentication information",
        0xC000_006E => "unknown user name or bad password",
        0xC000_006F => "logon outside authorized hours",
        0xC000_0070 => "logon from unauthorized workstation",
        0xC000_0071 => "password expired",
        0xC000_0072 => "account disabled",
        0xC000_0133 => "clock skew between DC and client",
        0xC000_015B => "logon type not granted",
        0xC000_018C => "trust relationship failed",
        0xC000_0192 => "Netlogon service not started",
        0xC000_0193 => "account expired",
        0xC000_0224 => "user must change password",
        0xC000_0234 => "account locked out",
        0xC000_0413 => "authentication firewall",
        _ => return None,
    })
}

/// Cause of a Kerberos pre-authentication failure (4771 Failure Code).
pub fn cause_from_kerberos(code: u32) -> Cause {
    match code {
        0x18 => Cause::BadCredentials,
        0x17 => Cause::PasswordExpired,
        // KDC_ERR_CLIENT_REVOKED: disabled, expired or locked.
        0x12 => Cause::AccountDisabled,
        0x06 => Cause::UnknownUser,
        0x10 => Cause::Certificate,
        // 0x25 is clock skew.
        _ => Cause::Other,
    }
}

fn kerberos_text(code: u32) -> Option<&'static str> {
    Some(match code {
        0x06 => "client principal unknown",
        0x10 => "smart-card logon: PA-DATA type not supported",
        0x12 => "client credentials revoked (disabled, expired or locked)",
        0x17 => "password expired",
        0x18 => "pre-authentication failed (bad password)",
        0x25 => "clock skew too great",
        _ => return None,
    })
}

/// Cause of an NPS denial from its reason code (6273 `ReasonCode`, DTS `Reason-Code`).
pub fn cause_from_nps_reason(code: u32) -> Cause {
    match code {
        16 => Cause::BadCredentials,
        8 => Cause::UnknownUser,
        36 | 64 => Cause::AccountLocked,
        34 | 35 => Cause::AccountDisabled,
        33 => Cause::PasswordExpired,
        5 | 117 | 261 => Cause::AaaUnreachable,
        48 | 49 | 65 => Cause::AuthorizationDenied,
        256 | 259 | 265 | 268 | 270 => Cause::Certificate,
        _ => Cause::Other,
    }
}

fn nps_reason_text(code: u32) -> Option<&'static str> {
    Some(match code {
        5 => "domain controller unreachable",
        7 => "domain does not exist",
        8 => "user account does not exist",
        16 => "user credentials mismatch",
        22 | 23 => "EAP negotiation error",
        33 => "user must change password",
        34 => "account disabled",
        35 => "account expired",
        36 => "account locked out (lockout threshold)",
        37 => "outside logon hours",
        48 => "no matching network policy",
        49 => "no matching connection request policy",
        64 => "remote access account lockout",
        65 => "network access permission denied",
        66 => "authentication method not enabled",
        112 => "remote RADIUS server rejected",
        117 => "remote RADIUS server did not respond",
        256 => "certificate revoked",
        259 => "CRL or CA unavailable",
        261 => "cannot contact Active Directory",
        265 => "certificate chain to untrusted root",
        268 => "certificate expired",
        270 => "smart card required",
        _ => return None,
    })
}

/// Cause of a Cisco ISE failure from its `FailureReason` number.
pub fn cause_from_ise_reason(code: u32) -> Cause {
    match code {
        22040 | 22063 | 24020 | 24408 | 24406 | 24403 | 24508 | 24613 => Cause::BadCredentials,
        22041 | 22056 | 24008 | 24412 | 24552 => Cause::UnknownUser,
        22091 | 24057 | 24415 => Cause::AccountLocked,
        24206 | 24409 | 24414 => Cause::AccountDisabled,
        24407 => Cause::PasswordExpired,
        24511 | 24512 | 24513 | 24514 | 24515 | 24518 | 24521 | 24522 => Cause::TokenRequired,
        24001 | 24429 | 24446 | 24454 | 24495 | 24503 | 24547 | 24616 | 11353 => {
            Cause::AaaUnreachable
        }
        12309 | 12321 | 12514 | 12516 | 12517 => Cause::Certificate,
        15039 => Cause::AuthorizationDenied,
        _ => Cause::Other,
    }
}

// ---- Windows Security log ----

/// Where a field of a Security event is found: the XML `Data` name, and in
/// the rendered message (text exports) a section heading and a label.
struct Field {
    xml: &'static str,
    section: &'static str,
    label: &'static str,
}

const fn f(xml: &'static str, section: &'static str, label: &'static str) -> Field {
    Field {
        xml,
        section,
        label,
    }
}

const F4625_USER: Field = f(
    "TargetUserName",
    "Account For Which Logon Failed:",
    "Account Name:",
);
const F4625_STATUS: Field = f("Status", "Failure Information:", "Status:");
const F4625_SUB: Field = f("SubStatus", "Failure Information:", "Sub Status:");
const F4625_IP: Field = f(
    "IpAddress",
    "Network Information:",
    "Source Network Address:",
);
const F4740_USER: Field = f(
    "TargetUserName",
    "Account That Was Locked Out:",
    "Account Name:",
);
const F4740_CALLER: Field = f(
    "TargetDomainName",
    "Additional Information:",
    "Caller Computer Name:",
);
const F4771_USER: Field = f("TargetUserName", "Account Information:", "Account Name:");
const F4771_STATUS: Field = f("Status", "Additional Information:", "Failure Code:");
const F4771_IP: Field = f("IpAddress", "Network Information:", "Client Address:");
const FNPS_USER: Field = f("SubjectUserName", "User:", "Account Name:");
const FNPS_FQ_USER: Field = f(
    "FullyQualifiedSubjectUserName",
    "User:",
    "Fully Qualified Account Name:",
);
const FNPS_CALLING: Field = f(
    "CallingStationID",
    "Client Machine:",
    "Calling Station Identifier:",
);
const FNPS_SERVER: Field = f(
    "AuthenticationServer",
    "Authentication Details:",
    "Authentication Server:",
);
const FNPS_REASON_CODE: Field = f("ReasonCode", "Authentication Details:", "Reason Code:");
const FNPS_REASON: Field = f("Reason", "Authentication Details:", "Reason:");
const F4624_USER: Field = f("TargetUserName", "New Logon:", "Account Name:");
const F4624_IP: Field = f(
    "IpAddress",
    "Network Information:",
    "Source Network Address:",
);
const F4768_USER: Field = f("TargetUserName", "Account Information:", "Account Name:");
const F4768_STATUS: Field = f("Status", "Additional Information:", "Result Code:");
const F4768_IP: Field = f("IpAddress", "Network Information:", "Client Address:");
// 4776's rendered message has no section heading: its fields follow a blank line.
const F4776_USER: Field = f("TargetUserName", "", "Logon Account:");
const F4776_WORKSTATION: Field = f("Workstation", "", "Source Workstation:");
const F4776_STATUS: Field = f("Status", "", "Error Code:");

/// A Security event's fields, from XML `Data` or from a rendered message.
enum Fields<'a> {
    Xml(&'a str),
    Text(&'a str),
    /// NXLog's top-level fields or Winlogbeat's `winlog.event_data`, named
    /// as the XML `Data` elements are.
    Json(&'a serde_json::Map<String, serde_json::Value>),
}

impl<'a> Fields<'a> {
    fn get(&self, field: &Field) -> Option<&'a str> {
        match *self {
            Fields::Xml(body) => winevent::data(body, field.xml),
            Fields::Text(msg) => labeled(msg, field.section, field.label),
            Fields::Json(map) => map
                .get(field.xml)
                .and_then(serde_json::Value::as_str)
                .and_then(field_or_dash),
        }
    }
}

/// In a rendered message, the value of the first line starting with `label`
/// after the line that is `section`; `None` when absent, empty or `-`.
fn labeled<'a>(msg: &'a str, section: &str, label: &str) -> Option<&'a str> {
    let mut in_section = false;
    for line in msg.lines() {
        let t = line.trim();
        if !in_section {
            in_section = t == section;
            continue;
        }
        if let Some(v) = t.strip_prefix(label) {
            let v = v.trim();
            return (!v.is_empty() && v != "-").then_some(v);
        }
    }
    None
}

/// The Security event ids this module reads.
pub const SECURITY_EVENT_IDS: [&str; 11] = [
    "4624", "4625", "4740", "4768", "4771", "4776", "6272", "6273", "6274", "6276", "6279",
];

/// One Security-log event from a `wevtutil` or Event Viewer XML export.
/// `None` for events other than [`SECURITY_EVENT_IDS`].
pub fn parse_security_xml<'a>(record: &'a str, _ctx: &ParseContext) -> Option<Event<'a>> {
    let w = winevent::parse_xml(record)?;
    security_event(&w, &Fields::Xml(w.body))
}

/// One Security-log row of an Event Viewer .csv (`sep` `,`) or .txt (`sep`
/// `\t`) export; fields are read from the rendered message. `None` for the
/// header row and other events.
pub fn parse_security_row<'a>(record: &'a str, sep: u8, _ctx: &ParseContext) -> Option<Event<'a>> {
    let w = winevent::parse_row(record, sep)?;
    security_event(&w, &Fields::Text(w.body))
}

/// One Security-log event as JSON: NXLog's `to_json()` (`EventID`,
/// `TargetUserName`, `Status` … at the top level, `Hostname`, `EventTime`)
/// or Winlogbeat / ECS (`winlog.event_id`, `winlog.event_data.*`,
/// `winlog.computer_name`, `source.ip`, `@timestamp`). Numbers must already
/// be strings (see [`envelope`](super::envelope)). Read with the same field
/// names and code tables as the XML form. `None` for other events.
pub fn parse_security_json(v: &serde_json::Value) -> Option<Event<'_>> {
    use super::envelope::lookup;
    use serde_json::Value;
    let obj = v.as_object()?;
    let s = |path: &str| lookup(obj, path).and_then(Value::as_str);
    let data = match lookup(obj, "winlog.event_data") {
        Some(Value::Object(m)) => m,
        _ => obj,
    };
    let w = winevent::WinEvent {
        provider: s("winlog.provider_name").or_else(|| s("SourceName")),
        event_id: s("winlog.event_id").or_else(|| s("EventID")),
        ts: super::envelope::envelope_time(obj),
        computer: s("winlog.computer_name")
            .or_else(|| s("Hostname"))
            .or_else(|| s("host.name")),
        channel: s("winlog.channel").or_else(|| s("Channel")),
        level: None,
        body: "",
    };
    let mut ev = security_event(&w, &Fields::Json(data))?;
    if ev.client_ip.is_none() {
        ev.client_ip = s("source.ip").and_then(ip);
    }
    Some(ev)
}

fn security_event<'a>(w: &winevent::WinEvent<'a>, fields: &Fields<'a>) -> Option<Event<'a>> {
    let id = w.event_id?;
    let mut ev = Event::new(Family::AuthServer, Outcome::Info);
    ev.ts = w.ts;
    ev.host = w.computer;
    ev.msg_id = Some(id);
    match id {
        "4625" => {
            ev.outcome = Outcome::Failure;
            ev.user = fields.get(&F4625_USER);
            ev.client_ip = fields.get(&F4625_IP).and_then(ip);
            let status = fields.get(&F4625_STATUS).and_then(hex).unwrap_or(0);
            let sub = fields.get(&F4625_SUB).and_then(hex).unwrap_or(0);
            ev.cause = Some(cause_from_ntstatus(status, sub));
            let shown = if matches!(status, 0xC000_006D | 0xC000_006E) && sub != 0 {
                sub
            } else {
                status
            };
            ev.reason = ntstatus_text(shown).or(Some("account failed to log on"));
        }
        "4624" => {
            ev.outcome = Outcome::Success;
            ev.user = fields.get(&F4624_USER);
            ev.client_ip = fields.get(&F4624_IP).and_then(ip);
        }
        // Kerberos TGT (4768) and NTLM credential validation (4776): a
        // non-zero result code is a failure, read with the 4771 and 4625
        // tables; success is only information (every domain logon makes one).
        "4768" => {
            ev.user = fields.get(&F4768_USER);
            ev.client_ip = fields.get(&F4768_IP).and_then(ip);
            let code = fields.get(&F4768_STATUS).and_then(hex).unwrap_or(0);
            if code != 0 {
                ev.outcome = Outcome::Failure;
                ev.cause = Some(cause_from_kerberos(code));
                ev.reason = kerberos_text(code).or(Some("Kerberos TGT request failed"));
            }
        }
        "4776" => {
            ev.user = fields.get(&F4776_USER);
            ev.server = fields.get(&F4776_WORKSTATION);
            let code = fields.get(&F4776_STATUS).and_then(hex).unwrap_or(0);
            if code != 0 {
                ev.outcome = Outcome::Failure;
                ev.cause = Some(cause_from_ntstatus(code, 0));
                ev.reason = ntstatus_text(code).or(Some("credential validation failed"));
            }
        }
        "4740" => {
            ev.outcome = Outcome::Failure;
            ev.cause = Some(Cause::AccountLocked);
            ev.user = fields.get(&F4740_USER);
            // Not a domain here: the computer the failed logons came from.
            ev.server = fields.get(&F4740_CALLER);
            ev.reason = Some("account locked out");
        }
        "4771" => {
            ev.outcome = Outcome::Failure;
            ev.user = fields.get(&F4771_USER);
            ev.client_ip = fields.get(&F4771_IP).and_then(ip);
            let code = fields.get(&F4771_STATUS).and_then(hex).unwrap_or(0);
            ev.cause = Some(cause_from_kerberos(code));
            ev.reason = kerberos_text(code).or(Some("Kerberos pre-authentication failed"));
        }
        "6272" | "6273" | "6274" | "6276" | "6279" => {
            ev.user = fields.get(&FNPS_USER).or_else(|| fields.get(&FNPS_FQ_USER));
            ev.client_ip = fields.get(&FNPS_CALLING).and_then(ip);
            ev.server = fields.get(&FNPS_SERVER).or(w.computer);
            match id {
                "6272" => ev.outcome = Outcome::Success,
                // Quarantined: granted, with restricted access.
                "6276" => ev.reason = Some("NPS quarantined the user"),
                "6279" => {
                    ev.outcome = Outcome::Failure;
                    ev.cause = Some(Cause::AccountLocked);
                    ev.reason = Some("NPS locked the user account");
                }
                _ => {
                    ev.outcome = Outcome::Failure;
                    let code = fields
                        .get(&FNPS_REASON_CODE)
                        .and_then(|c| c.parse::<u32>().ok());
                    ev.cause = Some(code.map_or(Cause::Other, cause_from_nps_reason));
                    ev.reason = fields
                        .get(&FNPS_REASON)
                        .or_else(|| code.and_then(nps_reason_text));
                }
            }
        }
        _ => return None,
    }
    Some(ev)
}

/// `0xC000006D` / `0x18` / `24` → the number.
fn hex(s: &str) -> Option<u32> {
    let s = s.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u32::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// An IP address as logged, without the IPv4-mapped `::ffff:` prefix;
/// `None` for anything else (`-`, a MAC address, a host name).
fn ip(s: &str) -> Option<&str> {
    let s = s.trim();
    let s = s
        .strip_prefix("::ffff:")
        .or_else(|| s.strip_prefix("::FFFF:"))
        .unwrap_or(s);
    s.parse::<std::net::IpAddr>().ok().map(|_| s)
}

// ---- NPS DTS log ----

/// One line of the NPS accounting log in DTS (XML) format. `None` unless it
/// is an `<Event>` with a `<Packet-Type>`.
pub fn parse_nps_dts<'a>(line: &'a str, _ctx: &ParseContext) -> Option<Event<'a>> {
    let at = line.find("<Event>")?;
    let rec = line.get(at..)?;
    let packet: u32 = winevent::element_text(rec, "<Packet-Type")?
        .trim()
        .parse()
        .ok()?;
    let text = |tag| winevent::element_text(rec, tag).and_then(field_or_dash);
    let mut ev = Event::new(Family::AuthServer, Outcome::Info);
    ev.ts = text("<Timestamp")
        .and_then(time::parse_us_prefix)
        .and_then(|(ts, _)| ts);
    ev.server = text("<Computer-Name");
    ev.host = ev.server;
    ev.user = text("<User-Name").or_else(|| text("<SAM-Account-Name"));
    ev.client_ip = text("<Calling-Station-Id").and_then(ip);
    ev.msg_id = Some(match packet {
        1 => "Access-Request",
        2 => "Access-Accept",
        3 => "Access-Reject",
        4 => "Accounting-Request",
        5 => "Accounting-Response",
        11 => "Access-Challenge",
        _ => "RADIUS",
    });
    match packet {
        2 => ev.outcome = Outcome::Success,
        3 => {
            ev.outcome = Outcome::Failure;
            let code = text("<Reason-Code").and_then(|c| c.parse::<u32>().ok());
            ev.cause = Some(code.map_or(Cause::Other, cause_from_nps_reason));
            ev.reason = code.and_then(nps_reason_text).or(Some("Access-Reject"));
        }
        _ => {}
    }
    Some(ev)
}

// ---- Cisco ISE ----

/// One Cisco ISE syslog message (segments already joined). `None` unless it
/// has a `CISE_` category and a message code.
pub fn parse_ise<'a>(line: &'a str, ctx: &ParseContext) -> Option<Event<'a>> {
    let Some(seg) = super::records::ise_segment(line) else {
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
fn ise_body_only<'a>(line: &'a str, ctx: &ParseContext) -> Option<Event<'a>> {
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
    ev.ts_from = super::TimeFrom::Missing;
    let ev = ise_body(ev, line, category, ctx);
    // ISE's own time is in the body: it is the line's.
    Some(Event {
        ts_from: if ev.ts.is_some() {
            super::TimeFrom::Line
        } else {
            super::TimeFrom::Missing
        },
        ..ev
    })
}

/// The part of an ISE message after its segment numbers.
fn ise_body<'a>(mut ev: Event<'a>, text: &'a str, category: &str, ctx: &ParseContext) -> Event<'a> {
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
fn ise_attr<'a>(body: &'a str, key: &str) -> Option<&'a str> {
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

// ---- FreeRADIUS ----

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
        ev.ts_from = super::TimeFrom::Missing;
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
fn radius_reason_cause(reason: &str) -> Cause {
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

fn has_radius_level(body: &str) -> bool {
    [
        "Info:", "Error:", "Warning:", "Debug:", "Proxy:", "WARNING:", "ERROR:",
    ]
    .iter()
    .any(|l| body.starts_with(l))
}

/// `Wed Mar 26 12:54:17 2014 : body` (ctime, radius.log) or
/// `Mar 26 12:54:17 host radiusd[812]: body` (syslog).
fn radius_header<'a>(
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
fn is_bare_radius_body(line: &str) -> bool {
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
fn ctime_header<'a>(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::TimeFrom;

    fn ctx() -> ParseContext {
        ParseContext { default_year: 2026 }
    }

    fn ts(s: &str) -> Option<jiff::Timestamp> {
        Some(s.parse().unwrap())
    }

    // ---- code tables ----

    #[test]
    fn ntstatus_table() {
        use Cause::*;
        let cases = [
            (0xC000_006A, 0, BadCredentials),
            (0xC000_006D, 0, BadCredentials),
            (0xC000_006D, 0xC000_006A, BadCredentials),
            (0xC000_006D, 0xC000_0064, UnknownUser),
            (0xC000_006D, 0xC000_0072, AccountDisabled),
            (0xC000_006D, 0xC000_0071, PasswordExpired),
            (0xC000_006D, 0xC000_0413, BadCredentials),
            (0xC000_006E, 0xC000_0193, AccountDisabled),
            (0xC000_006E, 0, BadCredentials),
            (0xC000_0064, 0, UnknownUser),
            (0xC000_0234, 0, AccountLocked),
            (0xC000_0234, 0xC000_006A, AccountLocked),
            (0xC000_0072, 0, AccountDisabled),
            (0xC000_0193, 0, AccountDisabled),
            (0xC000_0071, 0, PasswordExpired),
            (0xC000_0224, 0, PasswordExpired),
            (0xC000_005E, 0, AaaUnreachable),
            (0xC000_0192, 0, AaaUnreachable),
            (0xC000_006F, 0, Other),
            (0xC000_0070, 0, Other),
            (0xC000_0133, 0, Other),
            (0xC000_015B, 0, Other),
            (0, 0, Other),
            (u32::MAX, u32::MAX, Other),
        ];
        for (status, sub, cause) in cases {
            assert_eq!(
                cause_from_ntstatus(status, sub),
                cause,
                "{status:#x}/{sub:#x}"
            );
        }
    }

    #[test]
    fn kerberos_table() {
        use Cause::*;
        for (code, cause) in [
            (0x18, BadCredentials),
            (0x17, PasswordExpired),
            (0x12, AccountDisabled),
            (0x6, UnknownUser),
            (0x25, Other),
            (0x10, Certificate),
            (0x0, Other),
            (0x44, Other),
        ] {
            assert_eq!(cause_from_kerberos(code), cause, "{code:#x}");
        }
    }

    #[test]
    fn nps_table() {
        use Cause::*;
        let expect = |codes: &[u32], cause: Cause| {
            for &c in codes {
                assert_eq!(cause_from_nps_reason(c), cause, "{c}");
            }
        };
        expect(&[16], BadCredentials);
        expect(&[8], UnknownUser);
        expect(&[36, 64], AccountLocked);
        expect(&[34, 35], AccountDisabled);
        expect(&[33], PasswordExpired);
        expect(&[5, 117, 261], AaaUnreachable);
        expect(&[48, 49, 65], AuthorizationDenied);
        expect(&[256, 259, 265, 268, 270], Certificate);
        expect(&[0, 7, 22, 23, 37, 66, 112, 9999], Other);
    }

    #[test]
    fn ise_table() {
        use Cause::*;
        let expect = |codes: &[u32], cause: Cause| {
            for &c in codes {
                assert_eq!(cause_from_ise_reason(c), cause, "{c}");
            }
        };
        expect(
            &[22040, 22063, 24020, 24408, 24406, 24403, 24508, 24613],
            BadCredentials,
        );
        expect(&[22041, 22056, 24008, 24412, 24552], UnknownUser);
        expect(&[22091, 24057, 24415], AccountLocked);
        expect(&[24206, 24409, 24414], AccountDisabled);
        expect(&[24407], PasswordExpired);
        expect(
            &[24511, 24512, 24513, 24514, 24515, 24518, 24521, 24522],
            TokenRequired,
        );
        expect(
            &[
                24001, 24429, 24446, 24454, 24495, 24503, 24547, 24616, 11353,
            ],
            AaaUnreachable,
        );
        expect(&[12309, 12321, 12514, 12516, 12517], Certificate);
        expect(&[15039], AuthorizationDenied);
        expect(&[0, 11007, 11036, 24492, 5400, 99999], Other);
    }

    // ---- Windows Security XML ----

    fn sec_xml(id: &str, data: &str) -> String {
        format!(
            "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing' Guid='{{54849625-5478-4994-a5ba-3e3b0328c30d}}'/><EventID>{id}</EventID><TimeCreated SystemTime='2026-11-28T08:44:10.1234567Z'/><Channel>Security</Channel><Computer>dc01.corp.example</Computer></System><EventData>{data}</EventData></Event>"
        )
    }

    fn d(name: &str, v: &str) -> String {
        format!("<Data Name='{name}'>{v}</Data>")
    }

    #[test]
    fn xml_4625_with_substatus() {
        let rec = sec_xml(
            "4625",
            &[
                d("SubjectUserName", "-"),
                d("TargetUserName", "mkowalski"),
                d("TargetDomainName", "CORP"),
                d("Status", "0xc000006d"),
                d("FailureReason", "%%2313"),
                d("SubStatus", "0xc0000234"),
                d("IpAddress", "::ffff:198.51.100.40"),
            ]
            .concat(),
        );
        let e = parse_security_xml(&rec, &ctx()).unwrap();
        assert_eq!(e.family, Family::AuthServer);
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.cause, Some(Cause::AccountLocked));
        assert_eq!(e.user, Some("mkowalski"));
        assert_eq!(e.client_ip, Some("198.51.100.40"));
        assert_eq!(e.host, Some("dc01.corp.example"));
        assert_eq!(e.msg_id, Some("4625"));
        assert_eq!(e.ts, ts("2026-11-28T08:44:10.1234567Z"));
        assert_eq!(e.reason, Some("account locked out"));
        // The same through the single-line entry point.
        assert_eq!(parse(&rec, &ctx()), Some(e));
    }

    #[test]
    fn xml_4740_caller_computer() {
        let rec = sec_xml(
            "4740",
            &[
                d("TargetUserName", "mkowalski"),
                d("TargetDomainName", "NPS01"),
                d("SubjectUserName", "DC01$"),
            ]
            .concat(),
        );
        let e = parse_security_xml(&rec, &ctx()).unwrap();
        assert_eq!(e.cause, Some(Cause::AccountLocked));
        assert_eq!(e.user, Some("mkowalski"));
        assert_eq!(e.server, Some("NPS01"));
    }

    #[test]
    fn xml_4771_codes() {
        for (code, cause) in [
            ("0x18", Cause::BadCredentials),
            ("0x17", Cause::PasswordExpired),
            ("0x12", Cause::AccountDisabled),
            ("0x6", Cause::UnknownUser),
            ("0x25", Cause::Other),
            ("0x10", Cause::Certificate),
            ("garbage", Cause::Other),
        ] {
            let rec = sec_xml(
                "4771",
                &[
                    d("TargetUserName", "apatel"),
                    d("ServiceName", "krbtgt/CORP"),
                    d("Status", code),
                    d("IpAddress", "::ffff:192.0.2.15"),
                ]
                .concat(),
            );
            let e = parse_security_xml(&rec, &ctx()).unwrap();
            assert_eq!(e.cause, Some(cause), "{code}");
            assert_eq!(e.client_ip, Some("192.0.2.15"));
        }
    }

    #[test]
    fn xml_nps_events() {
        let base = [
            d("SubjectUserName", "gtanaka"),
            d("FullyQualifiedSubjectUserName", "CORP\\gtanaka"),
            d("CallingStationID", "203.0.113.61"),
            d("AuthenticationServer", "nps01.corp.example"),
        ]
        .concat();
        let granted = sec_xml("6272", &base);
        let e = parse_security_xml(&granted, &ctx()).unwrap();
        assert_eq!(e.outcome, Outcome::Success);
        assert_eq!(e.user, Some("gtanaka"));
        assert_eq!(e.client_ip, Some("203.0.113.61"));
        assert_eq!(e.server, Some("nps01.corp.example"));
        for (code, cause) in [
            ("16", Cause::BadCredentials),
            ("36", Cause::AccountLocked),
            ("117", Cause::AaaUnreachable),
            ("48", Cause::AuthorizationDenied),
            ("268", Cause::Certificate),
            ("7", Cause::Other),
        ] {
            let rec = sec_xml(
                "6273",
                &format!(
                    "{base}{}{}",
                    d("ReasonCode", code),
                    d("Reason", "Some reason.")
                ),
            );
            let e = parse_security_xml(&rec, &ctx()).unwrap();
            assert_eq!(e.outcome, Outcome::Failure);
            assert_eq!(e.cause, Some(cause), "{code}");
            assert_eq!(e.reason, Some("Some reason."));
        }
        let locked = sec_xml("6279", &base);
        let e = parse_security_xml(&locked, &ctx()).unwrap();
        assert_eq!(e.cause, Some(Cause::AccountLocked));
        // Other Security events are not ours.
        assert!(parse_security_xml(&sec_xml("4634", &base), &ctx()).is_none());
    }

    #[test]
    fn headerless_freeradius_and_ise_bodies() {
        for body in [
            "(12) Login incorrect (Invalid password): [ewright] (from client asa port 0 cli 198.51.100.77)",
            "Auth: Login incorrect: [ewright] (from client asa port 0 cli 198.51.100.77)",
        ] {
            let e = parse(body, &ctx()).unwrap();
            assert_eq!(
                (e.outcome, e.user, e.client_ip, e.ts, e.ts_from),
                (
                    Outcome::Failure,
                    Some("ewright"),
                    Some("198.51.100.77"),
                    None,
                    TimeFrom::Missing
                ),
                "{body}"
            );
        }
        let e = parse("Invalid user: [ghost] (from client asa port 0)", &ctx()).unwrap();
        assert_eq!(e.cause, Some(Cause::UnknownUser));
        assert!(parse("(12) something else entirely", &ctx()).is_none());
        let cat = "CISE_Failed_Attempts 0000000001 1 0 2026-11-28 08:46:02.118 +00:00 0000000002 5400 NOTICE Failed-Attempt: Authentication failed, UserName=rn, FailureReason=24415 locked,";
        let e = parse(cat, &ctx()).unwrap();
        assert_eq!(
            (e.host, e.user, e.cause),
            (None, Some("rn"), Some(Cause::AccountLocked))
        );
        let bare = "2026-11-28 08:46:02.118 +00:00 0000000002 5400 NOTICE Failed-Attempt: Authentication failed, UserName=rn, FailureReason=24415 locked,";
        let e = parse(bare, &ctx()).unwrap();
        assert_eq!(
            (e.user, e.cause, e.ts_from, e.ts),
            (
                Some("rn"),
                Some(Cause::AccountLocked),
                TimeFrom::Line,
                "2026-11-28T08:46:02.118Z".parse().ok()
            )
        );
        assert_eq!(
            crate::parse::formats::detect_format(&[bare, cat]),
            Some(crate::parse::formats::Format::Ise)
        );
    }

    #[test]
    fn xml_4624_4768_4776_6274() {
        let ok = sec_xml(
            "4624",
            &format!(
                "{}{}",
                d("TargetUserName", "ann"),
                d("IpAddress", "::ffff:198.51.100.7")
            ),
        );
        let e = parse_security_xml(&ok, &ctx()).unwrap();
        assert_eq!(
            (e.outcome, e.user, e.client_ip),
            (Outcome::Success, Some("ann"), Some("198.51.100.7"))
        );
        let tgt = |code: &str| {
            sec_xml(
                "4768",
                &format!("{}{}", d("TargetUserName", "bo"), d("Status", code)),
            )
        };
        let rec = tgt("0x12");
        let e = parse_security_xml(&rec, &ctx()).unwrap();
        assert_eq!(
            (e.outcome, e.cause),
            (Outcome::Failure, Some(Cause::AccountDisabled))
        );
        let rec = tgt("0x0");
        let e = parse_security_xml(&rec, &ctx()).unwrap();
        assert_eq!((e.outcome, e.cause), (Outcome::Info, None));
        let ntlm = sec_xml(
            "4776",
            &format!("{}{}", d("TargetUserName", "cy"), d("Status", "0xC0000234")),
        );
        let e = parse_security_xml(&ntlm, &ctx()).unwrap();
        assert_eq!(
            (e.outcome, e.cause, e.user),
            (Outcome::Failure, Some(Cause::AccountLocked), Some("cy"))
        );
        let discarded = sec_xml(
            "6274",
            &format!("{}{}", d("SubjectUserName", "di"), d("ReasonCode", "117")),
        );
        let e = parse_security_xml(&discarded, &ctx()).unwrap();
        assert_eq!(
            (e.outcome, e.cause),
            (Outcome::Failure, Some(Cause::AaaUnreachable))
        );
    }

    fn json(text: &str) -> serde_json::Value {
        let mut items = Vec::new();
        crate::parse::envelope::unwrap(
            serde_json::from_str(text).unwrap_or_default(),
            None,
            &mut items,
        );
        match items.pop() {
            Some(crate::parse::envelope::Item::Windows(v)) => v,
            other => panic!("not a Windows event: {other:?}"),
        }
    }

    #[test]
    fn nxlog_json_reads_like_the_xml() {
        let v = json(
            r#"{"EventTime":"2026-11-28 08:44:10","Hostname":"dc01.corp.example","EventID":4625,"SourceName":"Microsoft-Windows-Security-Auditing","Channel":"Security","TargetUserName":"ewright","Status":"0xC000006D","SubStatus":"0xC0000064","IpAddress":"198.51.100.77","FailureReason":"%%2313"}"#,
        );
        let j = parse_security_json(&v).unwrap();
        let xml = sec_xml(
            "4625",
            &format!(
                "{}{}{}{}",
                d("TargetUserName", "ewright"),
                d("Status", "0xC000006D"),
                d("SubStatus", "0xC0000064"),
                d("IpAddress", "198.51.100.77")
            ),
        );
        let x = parse_security_xml(&xml, &ctx()).unwrap();
        assert_eq!(j.cause, Some(Cause::UnknownUser));
        assert_eq!(
            (
                j.outcome,
                j.cause,
                j.user,
                j.client_ip,
                j.reason,
                j.msg_id,
                j.host
            ),
            (
                x.outcome,
                x.cause,
                x.user,
                x.client_ip,
                x.reason,
                x.msg_id,
                x.host
            )
        );
        assert_eq!(j.ts, "2026-11-28T08:44:10Z".parse().ok());
    }

    #[test]
    fn winlogbeat_json_nps_and_lockout() {
        let v = json(
            r#"{"@timestamp":"2026-11-28T08:44:10.123Z","winlog":{"event_id":6273,"computer_name":"nps01","channel":"Security","event_data":{"SubjectUserName":"dokafor","CallingStationID":"203.0.113.88","ReasonCode":"65","Reason":"Permission denied."}}}"#,
        );
        let e = parse_security_json(&v).unwrap();
        assert_eq!(
            (e.outcome, e.cause, e.user, e.client_ip, e.host),
            (
                Outcome::Failure,
                Some(Cause::AuthorizationDenied),
                Some("dokafor"),
                Some("203.0.113.88"),
                Some("nps01")
            )
        );
        let v = json(
            r#"{"winlog":{"event_id":"4771","event_data":{"TargetUserName":"fi","Status":"0x18"}},"source":{"ip":"198.51.100.9"}}"#,
        );
        let e = parse_security_json(&v).unwrap();
        assert_eq!(
            (e.cause, e.client_ip),
            (Some(Cause::BadCredentials), Some("198.51.100.9"))
        );
    }

    // ---- Windows Security text / CSV ----

    const MSG_4625: &str = "An account failed to log on.\n\nSubject:\n\tSecurity ID:\t\tNULL SID\n\tAccount Name:\t\t-\n\tAccount Domain:\t\t-\n\nLogon Type:\t\t\t3\n\nAccount For Which Logon Failed:\n\tSecurity ID:\t\tNULL SID\n\tAccount Name:\t\tewright\n\tAccount Domain:\t\tCORP\n\nFailure Information:\n\tFailure Reason:\t\tUnknown user name or bad password.\n\tStatus:\t\t\t0xC000006D\n\tSub Status:\t\t0xC000006A\n\nNetwork Information:\n\tWorkstation Name:\tLT-0099\n\tSource Network Address:\t198.51.100.77\n\tSource Port:\t\t0";

    #[test]
    fn text_4625() {
        let row = format!(
            "Audit Failure\t11/28/2026 8:44:10 AM\tMicrosoft-Windows-Security-Auditing\t4625\tLogon\t\"{MSG_4625}\""
        );
        let e = parse_security_row(&row, b'\t', &ctx()).unwrap();
        assert_eq!(e.user, Some("ewright"));
        assert_eq!(e.cause, Some(Cause::BadCredentials));
        assert_eq!(e.client_ip, Some("198.51.100.77"));
        assert_eq!(e.ts, ts("2026-11-28T08:44:10Z"));
        assert_eq!(e.reason, Some("bad password"));
        // The same as CSV, with a comma in the quoted message.
        let csv = format!(
            "Audit Failure,11/28/2026 8:44:10 AM,Microsoft-Windows-Security-Auditing,4625,Logon,\"{}\"",
            MSG_4625.replace("bad password.", "bad password, again.")
        );
        let e2 = parse_security_row(&csv, b',', &ctx()).unwrap();
        assert_eq!((e2.user, e2.cause), (e.user, e.cause));
    }

    #[test]
    fn text_4740_4771_6273() {
        let m4740 = "A user account was locked out.\n\nSubject:\n\tAccount Name:\t\tDC01$\n\nAccount That Was Locked Out:\n\tSecurity ID:\t\tCORP\\mkowalski\n\tAccount Name:\t\tmkowalski\n\nAdditional Information:\n\tCaller Computer Name:\tNPS01";
        let row = format!(
            "Information,11/28/2026 8:50:00 AM,Microsoft-Windows-Security-Auditing,4740,User Account Management,\"{m4740}\""
        );
        let e = parse_security_row(&row, b',', &ctx()).unwrap();
        assert_eq!(
            (e.user, e.server, e.cause),
            (Some("mkowalski"), Some("NPS01"), Some(Cause::AccountLocked))
        );

        let m4771 = "Kerberos pre-authentication failed.\n\nAccount Information:\n\tSecurity ID:\t\tCORP\\lfischer\n\tAccount Name:\t\tlfischer\n\nService Information:\n\tService Name:\t\tkrbtgt/CORP\n\nNetwork Information:\n\tClient Address:\t\t::ffff:192.0.2.33\n\tClient Port:\t\t50123\n\nAdditional Information:\n\tTicket Options:\t\t0x40810010\n\tFailure Code:\t\t0x17\n\tPre-Authentication Type:\t2";
        let row = format!(
            "Audit Failure,11/28/2026 8:50:01 AM,Microsoft-Windows-Security-Auditing,4771,Kerberos Authentication Service,\"{m4771}\""
        );
        let e = parse_security_row(&row, b',', &ctx()).unwrap();
        assert_eq!(
            (e.user, e.client_ip, e.cause),
            (
                Some("lfischer"),
                Some("192.0.2.33"),
                Some(Cause::PasswordExpired)
            )
        );

        let m6273 = "Network Policy Server denied access to a user.\n\nUser:\n\tSecurity ID:\t\t\tCORP\\tbrennan\n\tAccount Name:\t\t\ttbrennan\n\tAccount Domain:\t\t\tCORP\n\tFully Qualified Account Name:\tCORP\\tbrennan\n\nClient Machine:\n\tSecurity ID:\t\t\tNULL SID\n\tAccount Name:\t\t\t-\n\tCalling Station Identifier:\t\t203.0.113.57\n\nAuthentication Details:\n\tAuthentication Server:\t\tnps01.corp.example\n\tReason Code:\t\t\t65\n\tReason:\t\t\t\tThe connection attempt failed because remote access permission for the user account was denied.";
        let row = format!(
            "Audit Failure,11/28/2026 8:50:02 AM,Microsoft-Windows-Security-Auditing,6273,Network Policy Server,\"{m6273}\""
        );
        let e = parse_security_row(&row, b',', &ctx()).unwrap();
        assert_eq!(e.user, Some("tbrennan"));
        assert_eq!(e.client_ip, Some("203.0.113.57"));
        assert_eq!(e.server, Some("nps01.corp.example"));
        assert_eq!(e.cause, Some(Cause::AuthorizationDenied));
        assert!(
            e.reason
                .unwrap()
                .starts_with("The connection attempt failed")
        );
    }

    // ---- NPS DTS ----

    #[test]
    fn nps_dts_reject_and_accept() {
        let reject = r#"<Event><Timestamp data_type="4">11/28/2026 08:47:31.412</Timestamp><Computer-Name data_type="1">NPS01</Computer-Name><Event-Source data_type="1">IAS</Event-Source><User-Name data_type="1">dokafor</User-Name><Calling-Station-Id data_type="1">203.0.113.88</Calling-Station-Id><Client-IP-Address data_type="3">192.0.2.1</Client-IP-Address><Packet-Type data_type="0">3</Packet-Type><Reason-Code data_type="0">16</Reason-Code></Event>"#;
        let e = parse(reject, &ctx()).unwrap();
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.cause, Some(Cause::BadCredentials));
        assert_eq!(e.user, Some("dokafor"));
        assert_eq!(e.client_ip, Some("203.0.113.88"));
        assert_eq!(e.server, Some("NPS01"));
        assert_eq!(e.ts, ts("2026-11-28T08:47:31.412Z"));
        let accept = reject
            .replace(">3</Packet-Type>", ">2</Packet-Type>")
            .replace(">16<", ">0<");
        assert_eq!(parse(&accept, &ctx()).unwrap().outcome, Outcome::Success);
        let request = reject.replace(">3</Packet-Type>", ">1</Packet-Type>");
        assert_eq!(parse(&request, &ctx()).unwrap().outcome, Outcome::Info);
    }

    // ---- ISE ----

    #[test]
    fn ise_failed_attempt() {
        let line = "<181>Nov 28 08:46:02 ise-psn01 CISE_Failed_Attempts 0000412345 1 0 2026-11-28 08:46:02.118 +00:00 0001234567 5400 NOTICE Failed-Attempt: Authentication failed, ConfigVersionId=212, Device IP Address=192.0.2.1, Device Port=1645, DestinationIPAddress=192.0.2.50, UserName=rnguyen, User-Name=rnguyen, NAS-IP-Address=192.0.2.1, NAS-Port-Type=Virtual, Calling-Station-ID=203.0.113.19, CVPN3000/ASA/PIX7x-Tunnel-Group-Name=RA_CONTRACTORS, FailureReason=24515 RSA SecurID Set New PIN operation failed, Step=11001, ";
        let e = parse(line, &ctx()).unwrap();
        assert_eq!(e.family, Family::AuthServer);
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.cause, Some(Cause::TokenRequired));
        assert_eq!(e.msg_id, Some("5400"));
        assert_eq!(e.user, Some("rnguyen"));
        assert_eq!(e.client_ip, Some("203.0.113.19"));
        assert_eq!(e.group, Some("RA_CONTRACTORS"));
        assert_eq!(e.server, Some("ise-psn01"));
        assert_eq!(e.host, Some("ise-psn01"));
        assert_eq!(e.ts, ts("2026-11-28T08:46:02.118Z"));
        assert_eq!(
            e.reason,
            Some("24515 RSA SecurID Set New PIN operation failed")
        );
    }

    #[test]
    fn ise_user_and_ip_fallbacks() {
        let line = "<181>Nov 28 08:46:02 ise01 CISE_Failed_Attempts 0000000001 1 0 2026-11-28 08:46:02.118 +01:00 0000000002 5400 NOTICE Failed-Attempt: Authentication failed, User-Name=cmorales, Calling-Station-ID=00-11-22-33-44-55, Remote-Address=198.51.100.9, FailureReason=99999 Something new";
        let e = parse(line, &ctx()).unwrap();
        assert_eq!(e.user, Some("cmorales"));
        assert_eq!(e.client_ip, Some("198.51.100.9"));
        assert_eq!(e.cause, Some(Cause::Other));
        assert_eq!(e.ts, ts("2026-11-28T07:46:02.118Z"));
        let line = line.replace(
            ", Remote-Address=198.51.100.9",
            ", Framed-IP-Address=198.51.100.10",
        );
        assert_eq!(
            parse(&line, &ctx()).unwrap().client_ip,
            Some("198.51.100.10")
        );
        // No FailureReason at all: still one cause.
        let line = "<181>Nov 28 08:46:02 ise01 CISE_Failed_Attempts 0000000001 1 0 2026-11-28 08:46:02.118 +00:00 0000000002 5411 NOTICE Failed-Attempt: Supplicant stopped responding to ISE, UserName=x";
        assert_eq!(parse(line, &ctx()).unwrap().cause, Some(Cause::Other));
    }

    #[test]
    fn ise_passed_and_summaries() {
        let ok = "<181>Nov 28 08:46:09 ise01 CISE_Passed_Authentications 0000000010 1 0 2026-11-28 08:46:09.500 +00:00 0000000011 5200 NOTICE Passed-Auth: Authentication succeeded, UserName=rnguyen, Calling-Station-ID=203.0.113.19, ";
        let e = parse(ok, &ctx()).unwrap();
        assert_eq!(e.outcome, Outcome::Success);
        assert_eq!(e.user, Some("rnguyen"));
        let summary = "<181>Nov 28 08:46:09 ise01 CISE_Failed_Attempts 0000000012 1 0 2026-11-28 08:46:09.500 +00:00 0000000013 5435 NOTICE RADIUS: NAS conducted several failed authentications of the same scenario, FailureReason=22040 Wrong password, ";
        let e = parse(summary, &ctx()).unwrap();
        assert_eq!(e.outcome, Outcome::Info);
        assert_eq!(e.cause, None);
        let acct = "<181>Nov 28 08:46:09 ise01 CISE_RADIUS_Accounting 0000000014 1 0 2026-11-28 08:46:09.500 +00:00 0000000015 3000 NOTICE Radius-Accounting: RADIUS Accounting start request, UserName=rnguyen, ";
        assert_eq!(parse(acct, &ctx()).unwrap().outcome, Outcome::Info);
    }

    // ---- FreeRADIUS ----

    #[test]
    fn freeradius_lines() {
        let e = parse("Sat Nov 28 08:45:12 2026 : Auth: (41) Login incorrect (mschap: Program returned code (1) and output 'Logon failure (0xc000006d)'): [ewright] (from client asa-outside port 0 cli 198.51.100.77)", &ctx()).unwrap();
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.cause, Some(Cause::BadCredentials));
        assert_eq!(e.user, Some("ewright"));
        assert_eq!(e.client_ip, Some("198.51.100.77"));
        assert_eq!(e.ts, ts("2026-11-28T08:45:12Z"));
        assert!(e.reason.unwrap().starts_with("mschap: Program returned"));

        let e = parse("Sat Nov 28 08:45:13 2026 : Auth: (42) Login incorrect (mschap: External script says Account locked out (0xc0000234)): [mkowalski/<via Auth-Type = eap>] (from client asa port 0 cli 203.0.113.4 via TLS tunnel)", &ctx()).unwrap();
        assert_eq!(e.cause, Some(Cause::AccountLocked));
        assert_eq!(e.user, Some("mkowalski"));
        assert_eq!(e.client_ip, Some("203.0.113.4"));

        let e = parse("Sat Nov  7 08:45:14 2026 : Auth: Login OK: [apatel] (from client asa port 0 cli 192.0.2.200)", &ctx()).unwrap();
        assert_eq!(e.outcome, Outcome::Success);
        assert_eq!(e.user, Some("apatel"));
        assert_eq!(e.ts, ts("2026-11-07T08:45:14Z"));

        let e = parse("Sat Nov 28 08:45:15 2026 : Auth: (43) Invalid user: [nobody] (from client asa port 0 cli 192.0.2.201)", &ctx()).unwrap();
        assert_eq!(e.cause, Some(Cause::UnknownUser));

        // linelog form, no reason, password logged.
        let e = parse("Sat Nov 28 08:45:16 2026 : Login incorrect: [spereira/hunter2] (from client asa cli 00:11:22:33:44:55 port 0)", &ctx()).unwrap();
        assert_eq!(e.user, Some("spereira"));
        assert_eq!(e.client_ip, None);
        assert_eq!(e.cause, Some(Cause::BadCredentials));

        let e = parse("Sat Nov 28 08:45:17 2026 : Auth: (44) Login incorrect (rlm_ldap: password has expired): [x] (from client asa port 0)", &ctx()).unwrap();
        assert_eq!(e.cause, Some(Cause::PasswordExpired));

        let e = parse(
            "Sat Nov 28 08:40:00 2026 : Info: Ready to process requests",
            &ctx(),
        )
        .unwrap();
        assert_eq!(e.outcome, Outcome::Info);

        let e = parse("Nov 28 08:45:18 radius01 radiusd[812]: (45) Login incorrect (pap: Cleartext password does not match): [gtanaka] (from client asa port 0 cli 203.0.113.61)", &ctx()).unwrap();
        assert_eq!(e.host, Some("radius01"));
        assert_eq!(e.cause, Some(Cause::BadCredentials));
        assert_eq!(e.user, Some("gtanaka"));
    }

    #[test]
    fn not_auth_lines() {
        for line in [
            "",
            "hello",
            "<166>Nov 28 2026 08:41:07 vpn-asa-01 : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.20.0.11 : user = ***** : user IP = 192.0.2.147",
            "Nov 28 08:41:07 lt acvpnui[1]: Message type error sent to the user: Login failed.",
            "Sat Nov 28 08:45:12 2026 : something else",
            "Nov 28 08:45:18 radius01 sshd[812]: Login incorrect",
        ] {
            assert!(parse(line, &ctx()).is_none(), "{line}");
        }
    }

    #[test]
    fn garbage_never_panics() {
        let shapes = [
            "<181>Nov 28 08:46:02 ise01 CISE_Failed_Attempts 0000000001 1 0 2026-11-28 08:46:02.118 +00:00 0000000002 5400 NOTICE Failed-Attempt: x, UserName=é, FailureReason=2, Calling-Station-ID=::ffff:1.2.3.4",
            "Sat Nov 28 08:45:12 2026 : Auth: (41) Login incorrect ((((: [[[ewright] (from client a port 0 cli )",
            "<Event><Packet-Type>3</Packet-Type><Reason-Code>x</Reason-Code><Timestamp>1/1/1 1:1:1</Timestamp></Event>",
        ];
        let xml = sec_xml("4625", &d("Status", "0xZZ"));
        let row = format!("Audit Failure,x,y,4625,z,\"{MSG_4625}\"");
        for s in shapes.iter().copied().chain([xml.as_str(), row.as_str()]) {
            for (i, _) in s.char_indices() {
                for part in [&s[..i], &s[i..]] {
                    let _ = parse(part, &ctx());
                    let _ = parse_security_row(part, b',', &ctx());
                    let _ = parse_security_row(part, b'\t', &ctx());
                    if let Some(e) = parse(part, &ctx())
                        && e.outcome == Outcome::Failure
                    {
                        assert!(e.cause.is_some(), "{part}");
                    }
                }
            }
        }
    }
}
