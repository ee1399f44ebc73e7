//! The NPS accounting log in DTS (XML) format, one `<Event>` per line.

use super::*;
use crate::parse::{Cause, Event, Family, Outcome, ParseContext, field_or_dash, time, winevent};

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
