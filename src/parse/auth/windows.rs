//! The Windows Security log (4624, 4625, 4740, 4768, 4771, 4776 and the NPS
//! events 6272–6279): from `wevtutil` XML, Event Viewer CSV/TXT exports and
//! shippers' JSON, through one table of where each field is found.

use super::*;
use crate::parse::{Cause, Event, Family, Outcome, ParseContext, field_or_dash, winevent};

/// Where a field of a Security event is found: the XML `Data` name, and in
/// the rendered message (text exports) a section heading and a label.
pub(super) struct Field {
    xml: &'static str,
    section: &'static str,
    label: &'static str,
}

pub(super) const fn f(xml: &'static str, section: &'static str, label: &'static str) -> Field {
    Field {
        xml,
        section,
        label,
    }
}

pub(super) const F4625_USER: Field = f(
    "TargetUserName",
    "Account For Which Logon Failed:",
    "Account Name:",
);
pub(super) const F4625_STATUS: Field = f("Status", "Failure Information:", "Status:");
pub(super) const F4625_SUB: Field = f("SubStatus", "Failure Information:", "Sub Status:");
pub(super) const F4625_IP: Field = f(
    "IpAddress",
    "Network Information:",
    "Source Network Address:",
);
pub(super) const F4740_USER: Field = f(
    "TargetUserName",
    "Account That Was Locked Out:",
    "Account Name:",
);
pub(super) const F4740_CALLER: Field = f(
    "TargetDomainName",
    "Additional Information:",
    "Caller Computer Name:",
);
pub(super) const F4771_USER: Field = f("TargetUserName", "Account Information:", "Account Name:");
pub(super) const F4771_STATUS: Field = f("Status", "Additional Information:", "Failure Code:");
pub(super) const F4771_IP: Field = f("IpAddress", "Network Information:", "Client Address:");
pub(super) const FNPS_USER: Field = f("SubjectUserName", "User:", "Account Name:");
pub(super) const FNPS_FQ_USER: Field = f(
    "FullyQualifiedSubjectUserName",
    "User:",
    "Fully Qualified Account Name:",
);
pub(super) const FNPS_CALLING: Field = f(
    "CallingStationID",
    "Client Machine:",
    "Calling Station Identifier:",
);
pub(super) const FNPS_SERVER: Field = f(
    "AuthenticationServer",
    "Authentication Details:",
    "Authentication Server:",
);
pub(super) const FNPS_REASON_CODE: Field =
    f("ReasonCode", "Authentication Details:", "Reason Code:");
pub(super) const FNPS_REASON: Field = f("Reason", "Authentication Details:", "Reason:");
pub(super) const F4624_USER: Field = f("TargetUserName", "New Logon:", "Account Name:");
pub(super) const F4624_IP: Field = f(
    "IpAddress",
    "Network Information:",
    "Source Network Address:",
);
pub(super) const F4768_USER: Field = f("TargetUserName", "Account Information:", "Account Name:");
pub(super) const F4768_STATUS: Field = f("Status", "Additional Information:", "Result Code:");
pub(super) const F4768_IP: Field = f("IpAddress", "Network Information:", "Client Address:");
// 4776's rendered message has no section heading: its fields follow a blank line.
pub(super) const F4776_USER: Field = f("TargetUserName", "", "Logon Account:");
pub(super) const F4776_WORKSTATION: Field = f("Workstation", "", "Source Workstation:");
pub(super) const F4776_STATUS: Field = f("Status", "", "Error Code:");

/// A Security event's fields, from XML `Data` or from a rendered message.
pub(super) enum Fields<'a> {
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
pub(super) fn labeled<'a>(msg: &'a str, section: &str, label: &str) -> Option<&'a str> {
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
/// be strings (see [`envelope`](crate::parse::envelope)). Read with the same field
/// names and code tables as the XML form. `None` for other events.
pub fn parse_security_json(v: &serde_json::Value) -> Option<Event<'_>> {
    use crate::parse::envelope::lookup;
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
        ts: crate::parse::envelope::envelope_time(obj),
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

pub(super) fn security_event<'a>(
    w: &winevent::WinEvent<'a>,
    fields: &Fields<'a>,
) -> Option<Event<'a>> {
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
pub(super) fn hex(s: &str) -> Option<u32> {
    let s = s.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u32::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// An IP address as logged, without the IPv4-mapped `::ffff:` prefix;
/// `None` for anything else (`-`, a MAC address, a host name).
pub(super) fn ip(s: &str) -> Option<&str> {
    let s = s.trim();
    let s = s
        .strip_prefix("::ffff:")
        .or_else(|| s.strip_prefix("::FFFF:"))
        .unwrap_or(s);
    s.parse::<std::net::IpAddr>().ok().map(|_| s)
}
