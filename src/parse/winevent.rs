//! Windows Event Log records as users and admins export them, read without
//! an XML or CSV crate: only a handful of fields are needed, and the exports
//! are regular enough that a few `find`s are faster and cannot fail on input
//! a real parser would reject (truncated records, stray entities).
//!
//! Two shapes:
//!
//! * XML, one `<Event …>…</Event>` per record, as `wevtutil qe … /f:xml`
//!   writes it (attributes in single quotes) or as Event Viewer's "Save as
//!   … .xml" writes it (an `<Events>` wrapper, double quotes, `RenderingInfo`).
//!   Records spread over several lines are joined first by
//!   [`records::RecordAssembler`](super::records::RecordAssembler).
//! * Event Viewer's "Save as … .csv" (comma-separated, quoted fields, the
//!   message may span lines) and "… .txt" (tab-separated), columns `Level,
//!   Date and Time, Source, Event ID, Task Category` and then the message.
//!
//! Text fields borrow from the record, so XML entities (`&lt;` …) are left as
//! written; [`unescape`] decodes them where a caller needs the exact text.
//! Classification looks at the raw text, which the entities do not affect.
//!
//! This module also holds the AnyConnect / Secure Client channel parser
//! (client family); the Security-log events are read in [`auth`](super::auth).

use std::borrow::Cow;

use super::{Event, Family, Outcome, ParseContext, client, field_or_dash, time};

/// The fields of one Windows event record that vpnwatch uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WinEvent<'a> {
    /// The provider (`acvpnui`, `Microsoft-Windows-Security-Auditing`), or
    /// the Source column of a CSV/text export.
    pub provider: Option<&'a str>,
    pub event_id: Option<&'a str>,
    pub ts: Option<jiff::Timestamp>,
    /// The machine that logged the event (XML only).
    pub computer: Option<&'a str>,
    pub channel: Option<&'a str>,
    /// The level name in text exports (`Error`, `Audit Failure`); XML gives a number.
    pub level: Option<&'a str>,
    /// Text exports: the rendered message. XML: the whole `<EventData>`
    /// block (use [`data`] / [`first_data`] on it).
    pub body: &'a str,
}

impl<'a> WinEvent<'a> {
    /// `<Data Name="name">value</Data>` in an XML record; `None` when absent,
    /// empty or `-` (Windows' "no value").
    pub fn data(&self, name: &str) -> Option<&'a str> {
        data(self.body, name)
    }
}

// ---- XML ----

/// Reads one XML event record. `None` unless it has an `<Event` element with
/// an `<EventID>`.
pub fn parse_xml(record: &str) -> Option<WinEvent<'_>> {
    let start = find_event_start(record)?;
    let rec = record.get(start..)?;
    let event_id = element_text(rec, "<EventID").map(str::trim)?;
    if event_id.is_empty() || !event_id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let ts = tag_attr(rec, "<TimeCreated", "SystemTime")
        .and_then(|t| time::parse_prefix(t, 1970))
        .and_then(|(ts, _)| ts);
    let body = rec
        .find("<EventData")
        .or_else(|| rec.find("<UserData"))
        .and_then(|i| rec.get(i..))
        .unwrap_or("");
    Some(WinEvent {
        provider: tag_attr(rec, "<Provider", "Name").and_then(field_or_dash),
        event_id: Some(event_id),
        ts,
        computer: element_text(rec, "<Computer").and_then(field_or_dash),
        channel: element_text(rec, "<Channel").and_then(field_or_dash),
        level: element_text(rec, "<Level").and_then(field_or_dash),
        body,
    })
}

/// Byte offset of the first `<Event` start tag (not `<Events>`, `<EventID>` …).
pub fn find_event_start(s: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = s.get(from..)?.find("<Event") {
        let at = from + i;
        match s.as_bytes().get(at + 6) {
            Some(b' ' | b'>' | b'\t' | b'\r' | b'\n' | b'/') | None => return Some(at),
            _ => from = at + 6,
        }
    }
    None
}

/// The text of the first `<tag …>text</tag>` element (tag given with its `<`).
pub(crate) fn element_text<'a>(s: &'a str, open: &str) -> Option<&'a str> {
    let mut from = 0;
    loop {
        let at = from + s.get(from..)?.find(open)?;
        let after = at + open.len();
        match s.as_bytes().get(after) {
            Some(b'>' | b' ' | b'\t' | b'\r' | b'\n') => {}
            Some(b'/') => return None,
            _ => {
                from = after;
                continue;
            }
        }
        let gt = after + s.get(after..)?.find('>')?;
        if s.as_bytes().get(gt.checked_sub(1)?) == Some(&b'/') {
            return Some("");
        }
        let text = s.get(gt + 1..)?;
        let end = text.find('<').unwrap_or(text.len());
        return text.get(..end);
    }
}

/// The value of attribute `name` in the first `<tag …>` start tag; either quote style.
fn tag_attr<'a>(s: &'a str, open: &str, name: &str) -> Option<&'a str> {
    let at = s.find(open)?;
    let tag = s.get(at..)?;
    let tag = tag.get(..tag.find('>')?)?;
    attr_value(tag, name)
}

/// `name="v"` or `name='v'` inside one start tag.
fn attr_value<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let mut from = 0;
    loop {
        let at = from + tag.get(from..)?.find(name)?;
        let after = at + name.len();
        let preceded_by_space = at > 0
            && tag
                .as_bytes()
                .get(at - 1)
                .is_some_and(u8::is_ascii_whitespace);
        let rest = tag.get(after..)?.trim_start();
        if preceded_by_space && let Some(rest) = rest.strip_prefix('=') {
            let rest = rest.trim_start();
            let q = rest.chars().next()?;
            if q != '"' && q != '\'' {
                return None;
            }
            let v = rest.get(1..)?;
            return v.get(..v.find(q)?);
        }
        from = after;
    }
}

/// `<Data Name="name">value</Data>` anywhere in `s`; `None` when absent,
/// empty or `-`.
pub fn data<'a>(s: &'a str, name: &str) -> Option<&'a str> {
    let (_, text) = data_elements(s).find(|(tag, _)| attr_value(tag, "Name") == Some(name))?;
    text.and_then(field_or_dash)
}

/// The text of the first `<Data>` element without a `Name` (the AnyConnect
/// channel's one free-text field).
pub fn first_data(s: &str) -> Option<&str> {
    let (_, text) = data_elements(s).find(|(tag, text)| {
        // `<DataItem>` and the like are other elements.
        (tag.is_empty() || tag.starts_with(char::is_whitespace)) && text.is_some()
    })?;
    text.and_then(field_or_dash)
}

/// Every `<Data…>` start tag in `s`, in order: the text after `<Data` up to
/// `>`, and the element's text up to `</Data` (`None` for `<Data …/>`).
fn data_elements(s: &str) -> impl Iterator<Item = (&str, Option<&str>)> {
    let mut from = 0;
    std::iter::from_fn(move || {
        let at = from + s.get(from..)?.find("<Data")?;
        let tag_rest = s.get(at + 5..)?;
        let gt = tag_rest.find('>')?;
        let tag = tag_rest.get(..gt)?;
        from = at + 5 + gt + 1;
        if tag.ends_with('/') {
            return Some((tag, None));
        }
        let text = s.get(from..)?;
        let end = text.find("</Data").unwrap_or(text.len());
        Some((tag, text.get(..end)))
    })
}

/// Decodes the five predefined XML entities and numeric character references.
/// Borrows when there is nothing to decode.
pub fn unescape(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(rest.get(..i).unwrap_or(""));
        let tail = rest.get(i..).unwrap_or("");
        let semi = tail.get(..tail.len().min(12)).and_then(|t| t.find(';'));
        let decoded = semi.and_then(|j| {
            let ent = tail.get(1..j)?;
            let c = match ent {
                "lt" => '<',
                "gt" => '>',
                "amp" => '&',
                "quot" => '"',
                "apos" => '\'',
                _ => {
                    let n = if let Some(h) = ent.strip_prefix("#x").or(ent.strip_prefix("#X")) {
                        u32::from_str_radix(h, 16).ok()?
                    } else {
                        ent.strip_prefix('#')?.parse().ok()?
                    };
                    char::from_u32(n)?
                }
            };
            Some((c, j + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = tail.get(len..).unwrap_or("");
            }
            None => {
                out.push('&');
                rest = tail.get(1..).unwrap_or("");
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

// ---- Event Viewer CSV / text ----

/// Reads one Event Viewer export row (`sep` is `,` for .csv, `\t` for .txt).
/// `None` for the header row and for rows whose Event ID column is not a
/// number. The message is the sixth column to the end of the record, its
/// surrounding quotes removed (doubled quotes inside are left as written).
pub fn parse_row(record: &str, sep: u8) -> Option<WinEvent<'_>> {
    let record = record.strip_prefix('\u{feff}').unwrap_or(record);
    let mut fields = [""; 5];
    let mut pos = 0;
    for f in &mut fields {
        let (field, next) = next_field(record, pos, sep)?;
        *f = field;
        pos = next;
    }
    let [level, date, source, id, _task] = fields;
    let id = id.trim();
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let msg = record.get(pos..).unwrap_or("");
    let msg = msg.trim_end_matches(['\r', '\n']);
    let msg = match msg.strip_prefix('"') {
        Some(m) => m.strip_suffix('"').unwrap_or(m),
        None => msg,
    };
    Some(WinEvent {
        provider: field_or_dash(source),
        event_id: Some(id),
        ts: row_time(date.trim()),
        computer: None,
        channel: None,
        level: field_or_dash(level),
        body: msg,
    })
}

/// One field from `pos`: unquoted up to `sep`, or `"…"` with `""` escapes.
/// Returns the field (quotes stripped) and the offset after its separator.
fn next_field(s: &str, pos: usize, sep: u8) -> Option<(&str, usize)> {
    let b = s.as_bytes();
    if pos > b.len() {
        return None;
    }
    if b.get(pos) == Some(&b'"') {
        let mut i = pos + 1;
        loop {
            match b.get(i) {
                None => return None,
                Some(b'"') if b.get(i + 1) == Some(&b'"') => i += 2,
                Some(b'"') => break,
                _ => i += 1,
            }
        }
        let field = s.get(pos + 1..i)?;
        // Skip to just past the separator.
        let mut j = i + 1;
        while let Some(&c) = b.get(j) {
            j += 1;
            if c == sep {
                break;
            }
        }
        return Some((field, j));
    }
    let rest = s.get(pos..)?;
    let end = rest
        .bytes()
        .position(|c| c == sep || c == b'\n')
        .unwrap_or(rest.len());
    let next = if rest.as_bytes().get(end) == Some(&sep) {
        pos + end + 1
    } else {
        pos + end
    };
    Some((rest.get(..end)?, next))
}

/// The "Date and Time" column: `11/28/2026 8:41:07 AM` (en-US),
/// `2026-11-28 08:41:07`, `28.11.2026 08:41:07`. Local time, read as UTC
/// like every zoneless time in vpnwatch.
fn row_time(s: &str) -> Option<jiff::Timestamp> {
    if let Some((ts, _)) = time::parse_us_prefix(s) {
        return ts;
    }
    if let Some((ts, _)) = time::parse_prefix(s, 1970) {
        return ts;
    }
    // Day-first with dots, as German and other locales write it.
    let (date, clock) = s.split_once(' ')?;
    let mut it = date.split('.');
    let (d, m, y) = (it.next()?, it.next()?, it.next()?);
    let us = format!("{m}/{d}/{y} {}", clock.trim());
    time::parse_us_prefix(&us).and_then(|(ts, _)| ts)
}

// ---- AnyConnect / Secure Client channel ----

/// Providers (event sources) of the AnyConnect 4.x channel "Cisco AnyConnect
/// Secure Mobility Client" and the Secure Client 5.x channel "Cisco Secure
/// Client - AnyConnect VPN".
pub const ANYCONNECT_PROVIDERS: [&str; 6] = [
    "acvpnagent",
    "acvpnui",
    "acvpndownloader",
    "csc_vpnagent",
    "csc_vpnapi",
    "csc_vpndownloader",
];

/// Whether a provider or channel name belongs to AnyConnect / Secure Client.
pub fn is_anyconnect_source(name: &str) -> bool {
    let name = name.trim();
    ANYCONNECT_PROVIDERS
        .iter()
        .any(|p| p.eq_ignore_ascii_case(name))
        || name.starts_with("Cisco AnyConnect")
        || name.starts_with("Cisco Secure Client")
}

/// One AnyConnect / Secure Client event from a `wevtutil` or Event Viewer
/// XML export. `None` for other providers.
pub fn parse_anyconnect_xml<'a>(record: &'a str, _ctx: &ParseContext) -> Option<Event<'a>> {
    let w = parse_xml(record)?;
    let ours =
        w.provider.is_some_and(is_anyconnect_source) || w.channel.is_some_and(is_anyconnect_source);
    if !ours {
        return None;
    }
    let text = first_data(w.body).unwrap_or("");
    Some(anyconnect_event(&w, text))
}

/// One AnyConnect / Secure Client row of an Event Viewer .csv (`sep` `,`) or
/// .txt (`sep` `\t`) export. `None` for the header and other sources.
pub fn parse_anyconnect_row<'a>(
    record: &'a str,
    sep: u8,
    _ctx: &ParseContext,
) -> Option<Event<'a>> {
    let w = parse_row(record, sep)?;
    if !w.provider.is_some_and(is_anyconnect_source) {
        return None;
    }
    Some(anyconnect_event(&w, w.body))
}

fn anyconnect_event<'a>(w: &WinEvent<'a>, text: &'a str) -> Event<'a> {
    let mut ev = Event::new(Family::Client, Outcome::Info);
    ev.ts = w.ts;
    ev.host = w.computer;
    client::classify_body(&mut ev, text.trim());
    if ev.msg_id.is_none() {
        ev.msg_id = w.event_id;
    }
    ev
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Cause;

    fn ctx() -> ParseContext {
        ParseContext::for_year(2026)
    }

    #[test]
    fn xml_fields_in_either_quote_style() {
        let single = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='acvpnui'/><EventID Qualifiers='25600'>3021</EventID><Level>2</Level><TimeCreated SystemTime='2026-11-28T08:41:07.5123456Z'/><Channel>Cisco AnyConnect Secure Mobility Client</Channel><Computer>LT-0042.corp.example</Computer></System><EventData><Data>Message type error sent to the user: Login failed.</Data></EventData></Event>";
        let double = single.replace('\'', "\"");
        for rec in [single, double.as_str()] {
            let w = parse_xml(rec).unwrap();
            assert_eq!(w.provider, Some("acvpnui"));
            assert_eq!(w.event_id, Some("3021"));
            assert_eq!(w.computer, Some("LT-0042.corp.example"));
            assert_eq!(w.ts, Some("2026-11-28T08:41:07.5123456Z".parse().unwrap()));
            assert_eq!(
                first_data(w.body),
                Some("Message type error sent to the user: Login failed.")
            );
            let e = parse_anyconnect_xml(rec, &ctx()).unwrap();
            assert_eq!(e.family, Family::Client);
            assert_eq!(e.outcome, Outcome::Failure);
            assert_eq!(e.cause, Some(Cause::BadCredentials));
            assert_eq!(e.msg_id, Some("3021"));
            assert_eq!(e.host, Some("LT-0042.corp.example"));
        }
    }

    #[test]
    fn named_data_and_empty_values() {
        let body = r#"<EventData><Data Name="SubjectUserName">-</Data><Data Name="TargetUserName">jdoe</Data><Data Name='IpAddress'>192.0.2.7</Data><Data Name="Empty"/><Data Name="Blank"></Data></EventData>"#;
        assert_eq!(data(body, "TargetUserName"), Some("jdoe"));
        assert_eq!(data(body, "IpAddress"), Some("192.0.2.7"));
        assert_eq!(data(body, "SubjectUserName"), None);
        assert_eq!(data(body, "Empty"), None);
        assert_eq!(data(body, "Blank"), None);
        assert_eq!(data(body, "Missing"), None);
        assert_eq!(data(body, "UserName"), None);
    }

    #[test]
    fn unescapes_entities() {
        assert_eq!(
            unescape("a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;"),
            "a <b> & \"c\" 'd'"
        );
        assert_eq!(unescape("&#65;&#x42;"), "AB");
        assert_eq!(unescape("AT&T &bogus; &"), "AT&T &bogus; &");
        assert!(matches!(unescape("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn entity_in_message_still_classifies() {
        let rec = "<Event><System><Provider Name=\"csc_vpnapi\"/><EventID>3002</EventID></System><EventData><Data>Message type error sent to the user: Login failed for &quot;vpn&quot;.</Data></EventData></Event>";
        let e = parse_anyconnect_xml(rec, &ctx()).unwrap();
        assert_eq!(e.cause, Some(Cause::BadCredentials));
        assert_eq!(unescape(e.reason.unwrap()), "Login failed for \"vpn\".");
    }

    #[test]
    fn other_providers_are_not_anyconnect() {
        let rec = "<Event><System><Provider Name='Service Control Manager'/><EventID>7036</EventID></System><EventData><Data>x</Data></EventData></Event>";
        assert!(parse_anyconnect_xml(rec, &ctx()).is_none());
        assert!(parse_xml("<Events>").is_none());
        assert!(parse_xml("<Event><EventID>abc</EventID></Event>").is_none());
    }

    #[test]
    fn csv_and_text_rows() {
        let csv = "Error,11/28/2026 8:41:07 AM,acvpnui,3021,None,\"Message type error sent to the user: Login failed.\"";
        let e = parse_anyconnect_row(csv, b',', &ctx()).unwrap();
        assert_eq!(e.ts, Some("2026-11-28T08:41:07Z".parse().unwrap()));
        assert_eq!(e.cause, Some(Cause::BadCredentials));
        let txt = "Information\t28.11.2026 20:41:07\tcsc_vpnagent\t2039\tNone\tThe VPN connection has been established and can now pass data.";
        let e = parse_anyconnect_row(txt, b'\t', &ctx()).unwrap();
        assert_eq!(e.ts, Some("2026-11-28T20:41:07Z".parse().unwrap()));
        assert_eq!(e.outcome, Outcome::Success);
        assert_eq!(e.msg_id, Some("2039"));
        assert!(parse_row("Level,Date and Time,Source,Event ID,Task Category", b',').is_none());
        assert!(
            parse_row(
                "\u{feff}Level\tDate and Time\tSource\tEvent ID\tTask Category",
                b'\t'
            )
            .is_none()
        );
        // Quoted fields with separators and doubled quotes.
        let w = parse_row("\"Error\",\"2026-11-28 08:41:07\",\"acvpnui\",\"3021\",\"None, really\",\"say \"\"hi\"\", ok\"", b',').unwrap();
        assert_eq!(w.body, "say \"\"hi\"\", ok");
        assert_eq!(w.ts, Some("2026-11-28T08:41:07Z".parse().unwrap()));
    }

    #[test]
    fn garbage_never_panics() {
        let shapes = [
            "<Event xmlns='x'><System><Provider Name='acvpnui'/><EventID>3021</EventID><TimeCreated SystemTime='2026-11-28T08:41:07Z'/></System><EventData><Data Name='a'>é</Data><Data>b</Data></EventData></Event>",
            "Error,\"11/28/2026 8:41:07 AM\",acvpnui,3021,None,\"x\"\"y\"",
            "Information\t1.2.3 4\tacvpnui\t1\tNone\t",
        ];
        for s in shapes {
            for (i, _) in s.char_indices() {
                for part in [&s[..i], &s[i..]] {
                    let _ = parse_anyconnect_xml(part, &ctx());
                    let _ = parse_anyconnect_row(part, b',', &ctx());
                    let _ = parse_anyconnect_row(part, b'\t', &ctx());
                    let _ = unescape(part);
                    let _ = data(part, "a");
                }
            }
        }
    }
}
