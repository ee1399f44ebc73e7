//! The log formats vpnwatch reads, by name: detection from a file's first
//! lines, the record mode each needs (see [`records`](super::records)), and
//! one dispatch from a record to its parser.
//!
//! The names are stable ids for `--format NAME` and `vpnwatch formats`.
//! Detection counts, for each format, how many of the first lines look like
//! it and takes the best; a Cisco ASA / FTD log wins every tie, because
//! taking a headend log for anything else would lose the incident's main
//! source.

use std::borrow::Cow;

use super::records::{RecordMode, is_star_rule};
use super::{
    Event, Family, ParseContext, asa, auth, client, dart, debug_trace, envelope, winevent,
};

/// A log format vpnwatch can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Cisco ASA / FTD syslog (the VPN headend).
    AsaSyslog,
    /// AnyConnect / Secure Client lines in syslog or journald (Linux, macOS, Android).
    AnyConnectSyslog,
    /// The transcript of the `vpn` / `vpncli` command-line client (`>> state: Connecting`).
    AnyConnectCli,
    /// The AnyConnect / Secure Client Windows event channel as XML (`wevtutil qe /f:xml`, Event Viewer "Save as .xml").
    AnyConnectWindowsXml,
    /// The same channel as Event Viewer's .csv export.
    AnyConnectWindowsCsv,
    /// The same channel as Event Viewer's tab-separated .txt export.
    AnyConnectWindowsText,
    /// The DART bundle's text export of the client event log.
    Dart,
    /// Windows Security log (4625, 4740, 4771, NPS 6272/6273/6279) as XML.
    WindowsSecurityXml,
    /// Windows Security log as Event Viewer's .csv export.
    WindowsSecurityCsv,
    /// Windows Security log as Event Viewer's tab-separated .txt export.
    WindowsSecurityText,
    /// Microsoft NPS accounting log in DTS (XML) format, `IN*.log`.
    Nps,
    /// Cisco ISE remote syslog (`CISE_Failed_Attempts`, `CISE_Passed_Authentications`).
    Ise,
    /// FreeRADIUS `radius.log`.
    FreeRadius,
    /// The headend's debug trace pasted from the console (`debug ldap 255`,
    /// `debug radius`, `debug aaa authentication`, `debug webvpn anyconnect`).
    AsaDebugTrace,
    /// JSON from a log store or shipper with headend lines inside (see [`envelope`]).
    JsonHeadend,
    /// JSON from a log store or shipper with client lines inside.
    JsonClient,
    /// JSON with auth-server lines inside, or Windows Security / NPS events
    /// as NXLog or Winlogbeat write them.
    JsonAuth,
}

impl Format {
    pub const ALL: [Format; 17] = [
        Format::AsaSyslog,
        Format::AnyConnectSyslog,
        Format::AnyConnectCli,
        Format::AnyConnectWindowsXml,
        Format::AnyConnectWindowsCsv,
        Format::AnyConnectWindowsText,
        Format::Dart,
        Format::WindowsSecurityXml,
        Format::WindowsSecurityCsv,
        Format::WindowsSecurityText,
        Format::Nps,
        Format::Ise,
        Format::FreeRadius,
        Format::AsaDebugTrace,
        Format::JsonHeadend,
        Format::JsonClient,
        Format::JsonAuth,
    ];

    /// The stable kebab-case id (`--format NAME`).
    pub fn name(self) -> &'static str {
        match self {
            Format::AsaSyslog => "asa",
            Format::AnyConnectSyslog => "anyconnect-syslog",
            Format::AnyConnectCli => "anyconnect-cli",
            Format::AnyConnectWindowsXml => "anyconnect-windows-xml",
            Format::AnyConnectWindowsCsv => "anyconnect-windows-csv",
            Format::AnyConnectWindowsText => "anyconnect-windows-text",
            Format::Dart => "anyconnect-dart",
            Format::WindowsSecurityXml => "windows-security-xml",
            Format::WindowsSecurityCsv => "windows-security-csv",
            Format::WindowsSecurityText => "windows-security-text",
            Format::Nps => "nps",
            Format::Ise => "cisco-ise",
            Format::FreeRadius => "freeradius",
            Format::AsaDebugTrace => "asa-debug-trace",
            Format::JsonHeadend => "json-headend",
            Format::JsonClient => "json-client",
            Format::JsonAuth => "json-auth",
        }
    }

    /// The format with this id (as printed by [`name`](Self::name)).
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Which pane and family its events belong to.
    pub fn family(self) -> Family {
        match self {
            Format::AsaSyslog | Format::AsaDebugTrace | Format::JsonHeadend => Family::Headend,
            Format::JsonClient => Family::Client,
            Format::JsonAuth => Family::AuthServer,
            Format::AnyConnectSyslog
            | Format::AnyConnectCli
            | Format::AnyConnectWindowsXml
            | Format::AnyConnectWindowsCsv
            | Format::AnyConnectWindowsText
            | Format::Dart => Family::Client,
            Format::WindowsSecurityXml
            | Format::WindowsSecurityCsv
            | Format::WindowsSecurityText
            | Format::Nps
            | Format::Ise
            | Format::FreeRadius => Family::AuthServer,
        }
    }

    /// How its lines form records.
    pub fn record_mode(self) -> RecordMode {
        match self {
            Format::AnyConnectWindowsXml | Format::WindowsSecurityXml => RecordMode::XmlEvents,
            Format::AnyConnectWindowsCsv | Format::WindowsSecurityCsv => {
                RecordMode::Delimited(b',')
            }
            Format::AnyConnectWindowsText | Format::WindowsSecurityText => {
                RecordMode::Delimited(b'\t')
            }
            Format::Dart => RecordMode::Dart,
            Format::Ise => RecordMode::IseSegments,
            Format::JsonHeadend | Format::JsonClient | Format::JsonAuth => RecordMode::Json,
            Format::AsaSyslog
            | Format::AnyConnectSyslog
            | Format::AnyConnectCli
            | Format::Nps
            | Format::FreeRadius
            | Format::AsaDebugTrace => RecordMode::Lines,
        }
    }

    /// One line saying what it is.
    pub fn description(self) -> &'static str {
        match self {
            Format::AsaSyslog => "Cisco ASA / FTD syslog from the VPN headend",
            Format::AnyConnectSyslog => {
                "AnyConnect / Secure Client in syslog or journald (Linux, macOS, Android logcat)"
            }
            Format::AnyConnectCli => {
                "AnyConnect / Secure Client command-line client transcript (vpn / vpncli: >> state:, >> notice:, >> Login failed.)"
            }
            Format::AnyConnectWindowsXml => {
                "AnyConnect / Secure Client Windows event log as XML (wevtutil qe /f:xml, Event Viewer .xml)"
            }
            Format::AnyConnectWindowsCsv => {
                "AnyConnect / Secure Client Windows event log, Event Viewer .csv export"
            }
            Format::AnyConnectWindowsText => {
                "AnyConnect / Secure Client Windows event log, Event Viewer tab-separated .txt export"
            }
            Format::Dart => "AnyConnect DART bundle text export (blocks between lines of *)",
            Format::WindowsSecurityXml => {
                "Windows Security log 4625/4740/4771 and NPS 6272/6273/6279 as XML"
            }
            Format::WindowsSecurityCsv => "Windows Security log, Event Viewer .csv export",
            Format::WindowsSecurityText => {
                "Windows Security log, Event Viewer tab-separated .txt export"
            }
            Format::Nps => "Microsoft NPS accounting log in DTS (XML) format, IN*.log",
            Format::Ise => {
                "Cisco ISE syslog: CISE_Failed_Attempts, CISE_Passed_Authentications (segments joined)"
            }
            Format::FreeRadius => "FreeRADIUS radius.log (Login incorrect / Login OK)",
            Format::AsaDebugTrace => {
                "ASA / FTD debug trace pasted from the console (debug ldap 255, debug radius, debug aaa authentication, debug webvpn anyconnect); as %ASA-7-711001 syslog it is read with asa"
            }
            Format::JsonHeadend => {
                "JSON from a log store or shipper, headend lines inside (Elastic/OpenSearch, Splunk, Graylog, Loki, journald, Fluent Bit, Vector)"
            }
            Format::JsonClient => "JSON from a log store or shipper, client lines inside",
            Format::JsonAuth => {
                "JSON from a log store or shipper, auth-server lines inside, or Windows Security/NPS events from NXLog or Winlogbeat"
            }
        }
    }

    /// An example record, made up (documentation addresses only).
    pub fn example(self) -> &'static str {
        match self {
            Format::AsaSyslog => {
                "<166>Nov 28 2026 08:41:07 vpn-asa-01 : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 192.0.2.10 : user = ***** : user IP = 203.0.113.57"
            }
            Format::AnyConnectSyslog => {
                "2026-11-28T08:41:07+0000 lt-0042 csc_vpnapi[2231]: Message type error sent to the user: Login failed."
            }
            Format::AnyConnectCli => "  >> Login failed.",
            Format::AnyConnectWindowsXml => {
                "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='acvpnui'/><EventID Qualifiers='25600'>3021</EventID><TimeCreated SystemTime='2026-11-28T08:41:07.250Z'/><Computer>LT-0042</Computer></System><EventData><Data>Message type error sent to the user: Login failed.</Data></EventData></Event>"
            }
            Format::AnyConnectWindowsCsv => {
                "Error,11/28/2026 8:41:07 AM,acvpnui,3021,None,\"Message type error sent to the user: Login failed.\""
            }
            Format::AnyConnectWindowsText => {
                "Error\t11/28/2026 8:41:07 AM\tcsc_vpnapi\t3021\tNone\tMessage type error sent to the user: Login failed."
            }
            Format::Dart => {
                "Date : 11/28/2026 | Time : 08:41:07 | Type : Error | Source : acvpnui | Description : Message type error sent to the user: Login failed. (one key per line, blocks between lines of *)"
            }
            Format::WindowsSecurityXml => {
                "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing'/><EventID>4625</EventID><TimeCreated SystemTime='2026-11-28T08:41:09Z'/><Computer>dc01</Computer></System><EventData><Data Name='TargetUserName'>mkowalski</Data><Data Name='Status'>0xc0000234</Data><Data Name='SubStatus'>0x0</Data><Data Name='IpAddress'>198.51.100.40</Data></EventData></Event>"
            }
            Format::WindowsSecurityCsv => {
                "Audit Failure,11/28/2026 8:41:09 AM,Microsoft-Windows-Security-Auditing,4740,User Account Management,\"A user account was locked out. … Account Name: mkowalski …\""
            }
            Format::WindowsSecurityText => {
                "Audit Failure\t11/28/2026 8:41:09 AM\tMicrosoft-Windows-Security-Auditing\t6273\tNetwork Policy Server\t\"Network Policy Server denied access to a user. … Reason Code: 16 …\""
            }
            Format::Nps => {
                "<Event><Timestamp data_type=\"4\">11/28/2026 08:41:09.120</Timestamp><Computer-Name data_type=\"1\">NPS01</Computer-Name><User-Name data_type=\"1\">dokafor</User-Name><Calling-Station-Id data_type=\"1\">203.0.113.88</Calling-Station-Id><Packet-Type data_type=\"0\">3</Packet-Type><Reason-Code data_type=\"0\">16</Reason-Code></Event>"
            }
            Format::Ise => {
                "<181>Nov 28 08:41:09 ise-psn01 CISE_Failed_Attempts 0000412345 1 0 2026-11-28 08:41:09.118 +00:00 0001234567 5400 NOTICE Failed-Attempt: Authentication failed, UserName=rnguyen, Calling-Station-ID=203.0.113.19, FailureReason=24415 User's account is locked out, "
            }
            Format::FreeRadius => {
                "Sat Nov 28 08:41:09 2026 : Auth: (41) Login incorrect (mschap: External script says Logon failure (0xc000006d)): [ewright] (from client asa port 0 cli 198.51.100.77)"
            }
            Format::AsaDebugTrace => {
                "[41] 80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 775, v4563"
            }
            Format::JsonHeadend => {
                r#"{"@timestamp":"2026-11-28T08:41:07.000Z","host":{"name":"vpn-asa-01"},"event":{"original":"<166>Nov 28 2026 08:41:07 vpn-asa-01 : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 192.0.2.10 : user = ***** : user IP = 203.0.113.57"}}"#
            }
            Format::JsonClient => {
                r#"{"__REALTIME_TIMESTAMP":"1795855267000000","_HOSTNAME":"lt-0042","SYSLOG_IDENTIFIER":"csc_vpnapi","_PID":"2231","MESSAGE":"Message type error sent to the user: Login failed."}"#
            }
            Format::JsonAuth => {
                r#"{"EventTime":"2026-11-28 08:41:09","Hostname":"dc01.example.com","EventID":4625,"SourceName":"Microsoft-Windows-Security-Auditing","Channel":"Security","TargetUserName":"mkowalski","Status":"0xc000006d","SubStatus":"0xc000006a","IpAddress":"198.51.100.40","FailureReason":"%%2313"}"#
            }
        }
    }

    /// More examples, one per store or shipper, for the JSON formats.
    pub fn more_examples(self) -> &'static [&'static str] {
        match self {
            Format::JsonHeadend => &[
                r#"Elastic/OpenSearch _search: {"hits":{"hits":[{"_source":{"@timestamp":"2026-11-28T08:41:07Z","host":{"name":"vpn-asa-01"},"message":"%ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 192.0.2.10 : user = ***** : user IP = 203.0.113.57"}}]}}"#,
                r#"Splunk export: {"preview":false,"result":{"_raw":"<166>Nov 28 2026 08:41:07 vpn-asa-01 : %ASA-6-113039: Group <GP-Staff> User <ann> IP <203.0.113.57> AnyConnect parent session started.","_time":"2026-11-28T08:41:07.000+00:00","host":"vpn-asa-01"}}"#,
                r#"Graylog: {"timestamp":"2026-11-28T08:41:07.000Z","source":"vpn-asa-01","message":"%ASA-6-113005: …","full_message":"<166>Nov 28 2026 08:41:07 vpn-asa-01 : %ASA-6-113005: …"}"#,
                r#"Loki (logcli --output=jsonl): {"labels":{"host":"vpn-asa-01"},"line":"<166>Nov 28 2026 08:41:07 vpn-asa-01 : %ASA-6-113005: …","timestamp":"2026-11-28T08:41:07Z"}"#,
                r#"Loki query API: {"status":"success","data":{"resultType":"streams","result":[{"stream":{"host":"vpn-asa-01"},"values":[["1795855267000000000","%ASA-6-113005: …"]]}]}}"#,
                r#"Fluent Bit / Vector: {"date":1795855267.25,"host":"vpn-asa-01","log":"<166>Nov 28 2026 08:41:07 vpn-asa-01 : %ASA-6-113005: …"}"#,
            ],
            Format::JsonClient => &[
                r#"journalctl -o json: {"__REALTIME_TIMESTAMP":"…","_HOSTNAME":"lt-0042","SYSLOG_IDENTIFIER":"csc_vpnapi","MESSAGE":"…"}"#,
            ],
            Format::JsonAuth => &[
                r#"Winlogbeat: {"@timestamp":"2026-11-28T08:41:09.000Z","winlog":{"event_id":"6273","computer_name":"nps01","event_data":{"SubjectUserName":"dokafor","CallingStationID":"203.0.113.88","ReasonCode":"16","Reason":"Authentication failed due to a user credentials mismatch."}},"source":{"ip":"203.0.113.88"}}"#,
                r#"FreeRADIUS body in a shipper's record: {"timestamp":"2026-11-28T08:41:09Z","host":"radius01","message":"(12) Login incorrect (Invalid password): [ewright] (from client asa port 0 cli 198.51.100.77)"}"#,
            ],
            _ => &[],
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Parses one record (a line, or a record from
/// [`RecordAssembler`](super::records::RecordAssembler) in the format's
/// [`record_mode`](Format::record_mode)). `None` when not recognised.
pub fn parse_record<'a>(format: Format, record: &'a str, ctx: &ParseContext) -> Option<Event<'a>> {
    match format {
        Format::AsaSyslog => asa::parse(record, ctx),
        Format::AnyConnectSyslog => client::parse(record, ctx),
        Format::AnyConnectCli => client::parse_cli(record, ctx),
        Format::AnyConnectWindowsXml => winevent::parse_anyconnect_xml(record, ctx),
        Format::AnyConnectWindowsCsv => winevent::parse_anyconnect_row(record, b',', ctx),
        Format::AnyConnectWindowsText => winevent::parse_anyconnect_row(record, b'\t', ctx),
        Format::Dart => dart::parse(record, ctx),
        Format::WindowsSecurityXml => auth::parse_security_xml(record, ctx),
        Format::WindowsSecurityCsv => auth::parse_security_row(record, b',', ctx),
        Format::WindowsSecurityText => auth::parse_security_row(record, b'\t', ctx),
        Format::Nps => auth::parse_nps_dts(record, ctx),
        Format::Ise => auth::parse_ise(record, ctx),
        Format::FreeRadius => auth::parse_freeradius(record, ctx),
        Format::AsaDebugTrace => debug_trace::parse_console(record, ctx),
        // Envelopes are unwrapped by the record reader; a record here is
        // a raw line from one, in whatever format it is.
        Format::JsonHeadend | Format::JsonClient | Format::JsonAuth => detect_format(&[record])
            .filter(|f| f.record_mode() != RecordMode::Json)
            .and_then(|f| parse_record(f, record, ctx)),
    }
}

/// Guesses a file's format from its first lines (a few hundred are plenty;
/// records may be cut off at the end). `None` when nothing looks familiar.
/// An ASA / FTD log is never taken for anything else: the headend wins ties.
pub fn detect_format(first_lines: &[&str]) -> Option<Format> {
    let ctx = ParseContext::for_year(2000);
    let mut score = [0usize; Format::ALL.len()];
    let idx = |f: Format| Format::ALL.iter().position(|&g| g == f).unwrap_or(0);
    let mut star_rules = 0;
    let mut dart_keys = 0;
    // Event Viewer export headers seen, by separator.
    let mut headers = [false; 2];
    // JSON from a store is JSON throughout: the raw lines inside a
    // pretty-printed document must not vote as lines of their own.
    let json_text = first_lines
        .iter()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| envelope::looks_like_json(l));
    for raw in first_lines {
        let line = raw.strip_prefix('\u{feff}').unwrap_or(raw);
        let line = line.trim_end_matches(['\r', '\n']);
        if json_text {
            if let Ok(v) = serde_json::from_str(line) {
                score_json(v, &mut score, idx);
            }
            continue;
        }
        if asa::parse(line, &ctx).is_some() {
            score[idx(Format::AsaSyslog)] += 1;
            continue;
        }
        if client::parse(line, &ctx).is_some() {
            score[idx(Format::AnyConnectSyslog)] += 1;
            continue;
        }
        // Only the `>>` lines vote: the banner and prompts are too plain.
        if line.contains(">>") && client::parse_cli(line, &ctx).is_some() {
            score[idx(Format::AnyConnectCli)] += 1;
            continue;
        }
        if (line.contains("CISE_") || line.contains(" NOTICE "))
            && auth::parse_ise(line, &ctx).is_some()
        {
            score[idx(Format::Ise)] += 1;
            continue;
        }
        if auth::parse_freeradius(line, &ctx).is_some() {
            score[idx(Format::FreeRadius)] += 1;
            continue;
        }
        if debug_trace::parse_console(line, &ctx).is_some() {
            score[idx(Format::AsaDebugTrace)] += 1;
            continue;
        }
        if line.contains("<Event>") && auth::parse_nps_dts(line, &ctx).is_some() {
            score[idx(Format::Nps)] += 1;
            continue;
        }
        // Windows event XML: the provider (or channel) says whose it is.
        if let Some(p) = xml_source(line) {
            if winevent::is_anyconnect_source(p) {
                score[idx(Format::AnyConnectWindowsXml)] += 1;
            } else if is_security_source(p) {
                score[idx(Format::WindowsSecurityXml)] += 1;
            }
            continue;
        }
        // Event Viewer .csv / .txt: a header, or rows with a numeric Event ID.
        for (k, (sep, client_fmt, sec_fmt)) in EXPORTS.into_iter().enumerate() {
            if is_export_header(line, char::from(sep)) {
                if let Some(h) = headers.get_mut(k) {
                    *h = true;
                }
            } else if let Some(w) = winevent::parse_row(line, sep) {
                match w.provider {
                    Some(p) if winevent::is_anyconnect_source(p) => score[idx(client_fmt)] += 1,
                    Some(p) if is_security_source(p) => score[idx(sec_fmt)] += 1,
                    _ => {}
                }
            }
        }
        if is_star_rule(line) {
            star_rules += 1;
        } else if is_dart_key(line) {
            dart_keys += 1;
        }
    }
    // A header says whose export it is only together with its rows; alone
    // (rows not read yet) it counts for the client channel.
    for (k, (_, client_fmt, sec_fmt)) in EXPORTS.into_iter().enumerate() {
        let (c, s) = (idx(client_fmt), idx(sec_fmt));
        if headers.get(k) == Some(&true) {
            if score[s] > score[c] {
                score[s] += 1;
            } else {
                score[c] += 1;
            }
        }
    }
    // A JSON document over many lines (pretty-printed, an array): read what
    // is complete of it; a document too big to complete is read as headend.
    let json = [Format::JsonHeadend, Format::JsonClient, Format::JsonAuth].map(idx);
    if json_text && json.iter().all(|&i| score[i] == 0) {
        let mut splitter = envelope::JsonSplitter::default();
        for line in first_lines {
            splitter.feed(line, |p| {
                if let envelope::Piece::Json(text) = p
                    && let Ok(v) = serde_json::from_str(&text)
                {
                    score_json(v, &mut score, idx);
                }
            });
        }
        if json.iter().all(|&i| score[i] == 0) {
            score[idx(Format::JsonHeadend)] += 1;
        }
    }
    if star_rules > 0 && dart_keys > 0 {
        score[idx(Format::Dart)] += dart_keys;
    }
    let asa = score[idx(Format::AsaSyslog)];
    let (best, &best_score) = score
        .iter()
        .enumerate()
        .skip(1)
        .max_by_key(|&(i, s)| (*s, std::cmp::Reverse(i)))?;
    if asa > 0 && asa >= best_score {
        return Some(Format::AsaSyslog);
    }
    (best_score > 0)
        .then(|| Format::ALL.get(best).copied())
        .flatten()
}

/// Scores the JSON format of the family of what one JSON value holds.
fn score_json(v: serde_json::Value, score: &mut [usize], idx: impl Fn(Format) -> usize) {
    let mut items = Vec::new();
    envelope::unwrap(v, None, &mut items);
    for item in items {
        let family = match item {
            envelope::Item::Line { raw, .. } if !envelope::looks_like_json(&raw) => {
                detect_format(&[&raw]).map(Format::family)
            }
            envelope::Item::Windows(_) => Some(Family::AuthServer),
            _ => None,
        };
        let format = match family {
            Some(Family::Headend) => Format::JsonHeadend,
            Some(Family::Client) => Format::JsonClient,
            Some(Family::AuthServer) => Format::JsonAuth,
            None => continue,
        };
        if let Some(s) = score.get_mut(idx(format)) {
            *s += 1;
        }
    }
}

/// Event Viewer exports: separator, client format, Security format.
const EXPORTS: [(u8, Format, Format); 2] = [
    (
        b',',
        Format::AnyConnectWindowsCsv,
        Format::WindowsSecurityCsv,
    ),
    (
        b'\t',
        Format::AnyConnectWindowsText,
        Format::WindowsSecurityText,
    ),
];

/// The provider (or channel) named on an XML event line.
fn xml_source(line: &str) -> Option<&str> {
    for (open, name) in [("<Provider", Some("Name")), ("<Channel>", None)] {
        let Some(at) = line.find(open) else { continue };
        let rest = line.get(at + open.len()..)?;
        match name {
            Some(attr) => {
                let a = rest.find(attr)?;
                let v = rest.get(a + attr.len()..)?.trim_start().strip_prefix('=')?;
                let v = v.trim_start();
                let q = v.chars().next()?;
                let v = v.get(1..)?;
                return v.get(..v.find(q)?);
            }
            None => return rest.get(..rest.find('<')?),
        }
    }
    None
}

fn is_security_source(name: &str) -> bool {
    name.starts_with("Microsoft-Windows-Security-Auditing") || name == "Security"
}

/// `Level,Date and Time,Source,Event ID,Task Category` (or with tabs).
fn is_export_header(line: &str, sep: char) -> bool {
    let mut it = line.split(sep).map(|f| f.trim().trim_matches('"'));
    it.next() == Some("Level")
        && it.next() == Some("Date and Time")
        && it.next() == Some("Source")
        && it.next() == Some("Event ID")
}

/// `Date :`, `Source :`, `Description :` … as DART writes them.
fn is_dart_key(line: &str) -> bool {
    let t = line.trim_start();
    ["Date", "Time", "Type", "Source", "Description"]
        .iter()
        .any(|k| {
            t.strip_prefix(k)
                .is_some_and(|r| r.trim_start_matches([' ', '\t']).starts_with(':'))
        })
}

/// The list `vpnwatch formats` prints: each format's id, family,
/// description and example.
pub fn describe_formats() -> String {
    let mut out = String::new();
    for f in Format::ALL {
        out.push_str(&format!(
            "{:<24} {:<8} {}\n    e.g. {}\n",
            f.name(),
            f.family().as_str(),
            f.description(),
            f.example()
        ));
        for more in f.more_examples() {
            out.push_str(&format!("    e.g. {more}\n"));
        }
    }
    out
}

/// Decodes an exported log file's bytes: UTF-16 (Event Viewer and
/// `wevtutil` write UTF-16 with a byte-order mark) or UTF-8, a leading BOM
/// removed, invalid sequences replaced. Borrows for plain UTF-8.
pub fn decode_text(bytes: &[u8]) -> Cow<'_, str> {
    let utf16 = |rest: &[u8], le: bool| {
        let units = rest.chunks_exact(2).map(|c| match c {
            [a, b] if le => u16::from_le_bytes([*a, *b]),
            [a, b] => u16::from_be_bytes([*a, *b]),
            _ => 0xFFFD,
        });
        Cow::Owned(
            char::decode_utf16(units)
                .map(|r| r.unwrap_or('\u{FFFD}'))
                .collect(),
        )
    };
    match bytes {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, true),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, false),
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8_lossy(rest),
        _ => String::from_utf8_lossy(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        for f in Format::ALL {
            assert_eq!(Format::from_name(f.name()), Some(f));
            assert!(
                f.name()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-')
            );
        }
        let mut names: Vec<_> = Format::ALL.iter().map(|f| f.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Format::ALL.len());
        assert_eq!(Format::from_name("nope"), None);
    }

    #[test]
    fn single_line_examples_parse_as_their_format() {
        let ctx = ParseContext::for_year(2026);
        for f in Format::ALL {
            // The text-export and DART examples abbreviate a multi-line record.
            if matches!(
                f,
                Format::Dart | Format::WindowsSecurityCsv | Format::WindowsSecurityText
            ) {
                continue;
            }
            // Envelopes are read by the record reader (tested there).
            if f.record_mode() == RecordMode::Json {
                assert_eq!(detect_format(&[f.example()]), Some(f), "{}", f.name());
                continue;
            }
            let e = parse_record(f, f.example(), &ctx)
                .unwrap_or_else(|| panic!("{} example not parsed", f.name()));
            assert_eq!(e.family, f.family(), "{}", f.name());
            assert_eq!(detect_format(&[f.example()]), Some(f), "{}", f.name());
        }
    }

    #[test]
    fn command_line_client_transcript_is_detected() {
        let lines = [
            "Cisco AnyConnect Secure Mobility Client (version 4.10.05085) .",
            "",
            "  >> state: Disconnected",
            "  >> notice: Ready to connect.",
            "VPN> connect gw.example.org",
            "  >> contacting host (gw.example.org) for login information...",
            "  >> state: Connecting",
            "  >> Login failed.",
        ];
        assert_eq!(detect_format(&lines), Some(Format::AnyConnectCli));
        assert_eq!(Format::AnyConnectCli.family(), Family::Client);
        assert!(describe_formats().contains("anyconnect-cli"));
    }

    #[test]
    fn describe_lists_every_format() {
        let d = describe_formats();
        for f in Format::ALL {
            assert!(d.contains(f.name()));
        }
    }

    #[test]
    fn decode_utf16_and_bom() {
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("<Event>é".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode_text(&le), "<Event>é");
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("ab".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode_text(&be), "ab");
        assert_eq!(decode_text(b"\xEF\xBB\xBFx"), "x");
        assert!(matches!(decode_text(b"plain"), Cow::Borrowed("plain")));
        assert_eq!(decode_text(&[0xFF, 0xFE, 0x41]), "");
    }

    #[test]
    fn nothing_familiar() {
        assert_eq!(detect_format(&[]), None);
        assert_eq!(detect_format(&["hello", "world"]), None);
    }
}
