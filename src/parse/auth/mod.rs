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
//!   by [`records::RecordAssembler`](crate::parse::records::RecordAssembler) first.
//! * FreeRADIUS `radius.log` ([`parse_freeradius`]): `Login incorrect (…)`,
//!   `Login OK`, `Invalid user`; an NTSTATUS code in the reason (from
//!   `ntlm_auth`) is read with the 4625 table.
//!
//! Every failure gets exactly one cause; the code tables are public functions
//! so tests and the runbook can name them. `msg_id` is the Windows event id,
//! the ISE message code, or `None` (FreeRADIUS).

use super::{Event, ParseContext};

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

mod codes;
mod freeradius;
mod ise;
mod nps;
mod windows;

pub use codes::*;
pub use freeradius::*;
pub use ise::*;
pub use nps::*;
pub use windows::*;

#[cfg(test)]
mod tests;
