//! JSON envelopes around a raw log line, as log stores and shippers hand
//! them out: an Elastic / OpenSearch document or `_search` response, a
//! Splunk export, a Graylog message, Loki's `logcli --output=jsonl` or query
//! API answer, `journalctl -o json`, Fluent Bit / Vector records, and
//! Windows Security events that NXLog or Winlogbeat turned into JSON.
//!
//! Two steps, both pure:
//!
//! * [`JsonSplitter`] cuts a stream of text lines into complete JSON values:
//!   one object per line (NDJSON), a pretty-printed object over many lines,
//!   or a top-level array whose elements come out one by one. Text outside
//!   any value comes out as [`Piece::Text`] so the caller counts it as
//!   unparsed instead of dropping it.
//! * [`unwrap`] turns one value into [`Item`]s: the raw line found in a known
//!   field (or the `--json-field` path) with the envelope's time and host,
//!   a structured Windows event (read by
//!   [`auth::parse_security_json`](super::auth::parse_security_json)), or
//!   [`Item::Unusable`] for an object with no field vpnwatch can read.
//!
//! The envelope's time and host are used only where the raw line has none
//! (a collector that stripped the syslog header); the line's own header wins.

use serde_json::{Map, Value};

use super::time;

/// Fields that hold the raw line, most specific first. A dotted name is
/// looked up both as a flat key (`"event.original"`) and as nested objects.
pub const RAW_FIELDS: [&str; 10] = [
    "event.original",
    "log.original",
    "result._raw",
    "_raw",
    "full_message",
    "message",
    "MESSAGE",
    "line",
    "log",
    "msg",
];

/// Fields that hold the envelope's time, most specific first.
const TIME_FIELDS: [&str; 8] = [
    "@timestamp",
    "_time",
    "timestamp",
    "__REALTIME_TIMESTAMP",
    "time",
    "date",
    "EventTime",
    "EventReceivedTime",
];

/// Fields that hold the sending host's name, most specific first.
const HOST_FIELDS: [&str; 10] = [
    "host.name",
    "host.hostname",
    "log.syslog.hostname",
    "_HOSTNAME",
    "hostname",
    "Hostname",
    "host",
    "agent.hostname",
    "labels.host",
    "labels.hostname",
];

/// Largest JSON value kept while it is being assembled; a bigger one is
/// skipped and counted (a whole `_search` response should be cut with
/// `jq -c '.hits.hits[]'` first).
pub const MAX_VALUE_BYTES: usize = 16 * 1024 * 1024;

/// One thing [`JsonSplitter`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// The text of one complete JSON value.
    Json(String),
    /// Text outside any JSON value (not JSON at all).
    Text(String),
}

/// Cuts lines of text into complete JSON values (see the module docs).
#[derive(Clone, Debug, Default)]
pub struct JsonSplitter {
    buf: String,
    depth: usize,
    in_str: bool,
    escaped: bool,
    /// Inside a top-level `[`: its elements come out one by one.
    in_array: bool,
    /// Skipping the rest of a value over [`MAX_VALUE_BYTES`].
    skipping: bool,
    dropped: u64,
}

impl JsonSplitter {
    /// Values given up on because they were over [`MAX_VALUE_BYTES`], or
    /// left incomplete at the end of the input.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Feeds one line (without its line end).
    pub fn feed(&mut self, line: &str, mut f: impl FnMut(Piece)) {
        for (i, c) in line.char_indices() {
            if self.depth == 0 {
                match c {
                    c if c.is_whitespace() || c == ',' || c == '\u{feff}' => {}
                    '[' if !self.in_array => self.in_array = true,
                    ']' if self.in_array => self.in_array = false,
                    '{' | '[' => self.open(c),
                    _ => {
                        // Not JSON: the rest of the line is one unparsed piece.
                        let rest = line.get(i..).unwrap_or_default().trim_end();
                        f(Piece::Text(rest.to_string()));
                        return;
                    }
                }
                continue;
            }
            self.step(c, &mut f);
        }
        if self.depth > 0 {
            self.push('\n');
        }
    }

    /// The input ended: an unfinished value is counted as dropped.
    pub fn finish(&mut self) {
        if self.depth > 0 {
            self.dropped += 1;
        }
        *self = JsonSplitter {
            dropped: self.dropped,
            ..JsonSplitter::default()
        };
    }

    fn open(&mut self, c: char) {
        self.depth = 1;
        self.in_str = false;
        self.escaped = false;
        self.skipping = false;
        self.buf.clear();
        self.buf.push(c);
    }

    fn push(&mut self, c: char) {
        if self.skipping {
            return;
        }
        if self.buf.len() >= MAX_VALUE_BYTES {
            self.skipping = true;
            self.buf = String::new();
            return;
        }
        self.buf.push(c);
    }

    fn step(&mut self, c: char, f: &mut impl FnMut(Piece)) {
        self.push(c);
        if self.in_str {
            if self.escaped {
                self.escaped = false;
            } else if c == '\\' {
                self.escaped = true;
            } else if c == '"' {
                self.in_str = false;
            }
            return;
        }
        match c {
            '"' => self.in_str = true,
            '{' | '[' => self.depth += 1,
            '}' | ']' => {
                self.depth -= 1;
                if self.depth == 0 {
                    if self.skipping {
                        self.dropped += 1;
                        self.skipping = false;
                    } else {
                        f(Piece::Json(std::mem::take(&mut self.buf)));
                    }
                }
            }
            _ => {}
        }
    }
}

/// What one envelope holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// A raw log line, with the envelope's time and host.
    Line {
        raw: String,
        ts: Option<jiff::Timestamp>,
        host: Option<String>,
    },
    /// A Windows event as structured JSON (NXLog `EventID`, Winlogbeat
    /// `winlog.event_id`), numbers already turned into strings.
    Windows(Value),
    /// An object with no field vpnwatch can read, as compact JSON.
    Unusable(String),
}

/// The items in one JSON value. `field` is the `--json-field` path, tried
/// before the known fields.
pub fn unwrap(value: Value, field: Option<&str>, out: &mut Vec<Item>) {
    match value {
        Value::Array(items) => {
            for v in items {
                unwrap(v, field, out);
            }
        }
        Value::Object(obj) => unwrap_object(obj, field, out),
        // A bare string in an array (Loki's query API answers `values` with pairs).
        Value::String(s) => out.push(Item::Line {
            raw: s,
            ts: None,
            host: None,
        }),
        other => out.push(Item::Unusable(other.to_string())),
    }
}

fn unwrap_object(mut obj: Map<String, Value>, field: Option<&str>, out: &mut Vec<Item>) {
    let custom = field.and_then(|f| lookup(&obj, f)).and_then(text);
    if custom.is_none() {
        // Containers of envelopes: answers of search APIs.
        if let Some(Value::Array(hits)) = obj
            .get_mut("hits")
            .and_then(|h| h.get_mut("hits"))
            .map(Value::take)
        {
            return hits.into_iter().for_each(|h| unwrap(h, field, out));
        }
        if let Some(Value::Object(source)) = obj.get_mut("_source").map(Value::take) {
            return unwrap_object(source, field, out);
        }
        if let Some(Value::Object(result)) = obj.get_mut("result").map(Value::take) {
            return unwrap_object(result, field, out);
        }
        if let Some(Value::Array(results)) = obj.get_mut("results").map(Value::take) {
            return results.into_iter().for_each(|r| unwrap(r, field, out));
        }
        if let Some(Value::Array(messages)) = obj.get_mut("messages").map(Value::take) {
            // Graylog's search API: `{"messages":[{"message":{…}}]}`.
            for m in messages {
                match m {
                    Value::Object(mut m) => match m.remove("message") {
                        Some(Value::Object(inner)) => unwrap_object(inner, field, out),
                        Some(other) => {
                            m.insert("message".into(), other);
                            unwrap_object(m, field, out);
                        }
                        None => unwrap_object(m, field, out),
                    },
                    other => unwrap(other, field, out),
                }
            }
            return;
        }
        if let Some(Value::Array(streams)) = obj
            .get_mut("data")
            .and_then(|d| d.get_mut("result"))
            .map(Value::take)
        {
            return streams.into_iter().for_each(|s| loki_stream(s, out));
        }
        if obj.contains_key("values") && obj.contains_key("stream") {
            return loki_stream(Value::Object(obj), out);
        }
        if is_windows_event(&obj) {
            let mut v = Value::Object(obj);
            stringify_numbers(&mut v, 0);
            out.push(Item::Windows(v));
            return;
        }
    }
    let raw = custom.or_else(|| {
        RAW_FIELDS
            .iter()
            .find_map(|f| lookup(&obj, f).and_then(text))
    });
    let Some(raw) = raw else {
        out.push(Item::Unusable(Value::Object(obj).to_string()));
        return;
    };
    let ts = envelope_time(&obj);
    let host = HOST_FIELDS
        .iter()
        .find_map(|f| lookup(&obj, f).and_then(Value::as_str))
        .or_else(|| graylog_source(&obj))
        .map(str::to_string);
    // journald keeps the syslog tag apart from the message: put it back, so
    // a client log read from the journal looks as it does in syslog.
    let raw = match (
        lookup(&obj, "SYSLOG_IDENTIFIER").and_then(Value::as_str),
        ts,
        &host,
    ) {
        (Some(ident), Some(ts), Some(h)) if obj.contains_key("MESSAGE") => {
            let pid = lookup(&obj, "SYSLOG_PID")
                .or_else(|| lookup(&obj, "_PID"))
                .and_then(Value::as_str)
                .map(|p| format!("[{p}]"))
                .unwrap_or_default();
            format!(
                "{} {h} {ident}{pid}: {raw}",
                ts.strftime("%Y-%m-%dT%H:%M:%S%:z")
            )
        }
        _ => raw,
    };
    out.push(Item::Line { raw, ts, host });
}

/// One Loki stream: `{"stream":{labels},"values":[["<ns>","<line>"],…]}`.
fn loki_stream(stream: Value, out: &mut Vec<Item>) {
    let Value::Object(mut s) = stream else {
        return out.push(Item::Unusable(stream.to_string()));
    };
    let host = s.get("stream").and_then(|labels| {
        ["host", "hostname", "instance"]
            .iter()
            .find_map(|k| labels.get(k).and_then(Value::as_str).map(str::to_string))
    });
    let Some(Value::Array(values)) = s.remove("values") else {
        return out.push(Item::Unusable(Value::Object(s).to_string()));
    };
    for pair in values {
        match pair.as_array().map(Vec::as_slice) {
            Some([Value::String(ns), Value::String(line), ..]) => out.push(Item::Line {
                raw: line.clone(),
                ts: epoch(ns),
                host: host.clone(),
            }),
            _ => out.push(Item::Unusable(pair.to_string())),
        }
    }
}

/// NXLog (`EventID` with `Channel`/`SourceName`) or Winlogbeat
/// (`winlog.event_id`).
fn is_windows_event(obj: &Map<String, Value>) -> bool {
    lookup(obj, "winlog.event_id").is_some()
        || (obj.contains_key("EventID")
            && ["Channel", "SourceName", "ProviderGuid", "Hostname"]
                .iter()
                .any(|k| obj.contains_key(*k)))
}

/// Graylog names the sender `source`; Splunk's `source` is a file path and
/// comes with a `sourcetype`, ECS's is an object.
fn graylog_source(obj: &Map<String, Value>) -> Option<&str> {
    if obj.contains_key("sourcetype") {
        return None;
    }
    obj.get("source").and_then(Value::as_str)
}

/// The envelope's own time, from the first of its time fields that reads.
pub fn envelope_time(obj: &Map<String, Value>) -> Option<jiff::Timestamp> {
    TIME_FIELDS
        .iter()
        .find_map(|f| lookup(obj, f).and_then(timestamp))
}

/// `a.b.c` as a flat key or as nested objects (or any mix).
pub fn lookup<'v>(obj: &'v Map<String, Value>, path: &str) -> Option<&'v Value> {
    if let Some(v) = obj.get(path) {
        return Some(v);
    }
    let mut at = 0;
    while let Some(dot) = path.get(at..).and_then(|r| r.find('.')) {
        let (head, tail) = (path.get(..at + dot)?, path.get(at + dot + 1..)?);
        if let Some(Value::Object(inner)) = obj.get(head)
            && let Some(v) = lookup(inner, tail)
        {
            return Some(v);
        }
        at += dot + 1;
    }
    None
}

/// A raw line: a string, or journald's array of bytes for text that is not
/// valid UTF-8.
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Array(bytes) if !bytes.is_empty() => {
            let b: Option<Vec<u8>> = bytes
                .iter()
                .map(|b| b.as_u64().and_then(|n| u8::try_from(n).ok()))
                .collect();
            b.map(|b| String::from_utf8_lossy(&b).into_owned())
        }
        _ => None,
    }
}

/// An envelope time: RFC 3339 text (a space for the `T` and no zone are
/// read as the syslog headers are, see [`time`]), or a number of seconds,
/// milliseconds, microseconds or nanoseconds since the epoch (Fluent Bit's
/// `date`, journald's `__REALTIME_TIMESTAMP`, Loki's `values`).
pub fn timestamp(v: &Value) -> Option<jiff::Timestamp> {
    match v {
        Value::String(s) => {
            let s = s.trim();
            if let Ok(ts) = s.parse::<jiff::Timestamp>() {
                return Some(ts);
            }
            if s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                return epoch(s);
            }
            let fixed = match s.as_bytes().get(10) {
                Some(b' ') => format!("{}T{}", s.get(..10)?, s.get(11..)?),
                _ => s.to_string(),
            };
            time::parse_prefix(&fixed, 1970).and_then(|(ts, _)| ts)
        }
        Value::Number(n) => epoch(&n.to_string()),
        _ => None,
    }
}

/// Digits since the epoch, the unit told by their size.
fn epoch(s: &str) -> Option<jiff::Timestamp> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let n: i64 = int.parse().ok()?;
    let nanos_frac: i64 = format!("{:0<9}", frac.get(..frac.len().min(9))?)
        .parse()
        .unwrap_or(0);
    let ns: i128 = match int.len() {
        0..=11 => i128::from(n) * 1_000_000_000 + i128::from(nanos_frac),
        12..=14 => i128::from(n) * 1_000_000,
        15..=17 => i128::from(n) * 1_000,
        _ => i128::from(n),
    };
    jiff::Timestamp::from_nanosecond(ns).ok()
}

/// Numbers become strings in a Windows event's fields (NXLog writes
/// `EventID` and some data as numbers), so the event borrows `&str`s.
fn stringify_numbers(v: &mut Value, depth: usize) {
    match v {
        Value::Number(n) => *v = Value::String(n.to_string()),
        Value::Object(m) if depth < 3 => {
            m.values_mut().for_each(|x| stringify_numbers(x, depth + 1));
        }
        _ => {}
    }
}

/// True when a stream's first non-blank text starts a JSON value, so a
/// source with no detected format (stdin, `--command`) is read as
/// envelopes.
pub fn looks_like_json(line: &str) -> bool {
    let t = line.trim_start_matches(['\u{feff}', ' ', '\t']);
    match t.as_bytes().first() {
        Some(b'{') => true,
        // An array of values, not a bracketed log prefix (`[08:41:07] …`).
        Some(b'[') => matches!(
            t.get(1..).unwrap_or("").trim_start().as_bytes().first(),
            None | Some(b'{' | b'[' | b'"' | b']')
        ),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(lines: &[&str]) -> (Vec<Piece>, u64) {
        let mut s = JsonSplitter::default();
        let mut out = Vec::new();
        for l in lines {
            s.feed(l, |p| out.push(p));
        }
        s.finish();
        (out, s.dropped())
    }

    fn items(json: &str, field: Option<&str>) -> Vec<Item> {
        let mut out = Vec::new();
        unwrap(
            serde_json::from_str(json).unwrap_or(Value::Null),
            field,
            &mut out,
        );
        out
    }

    fn line(raw: &str, ts: Option<&str>, host: Option<&str>) -> Item {
        Item::Line {
            raw: raw.to_string(),
            ts: ts.and_then(|t| t.parse().ok()),
            host: host.map(str::to_string),
        }
    }

    #[test]
    fn ndjson_pretty_objects_and_arrays_split_into_values() {
        let (p, dropped) = split(&[r#"{"a":"}{"}"#, "{", r#"  "b": ["x", {"c": 1}]"#, "}"]);
        assert_eq!(
            p,
            [
                Piece::Json(r#"{"a":"}{"}"#.into()),
                Piece::Json("{\n  \"b\": [\"x\", {\"c\": 1}]\n}".into())
            ]
        );
        assert_eq!(dropped, 0);
        let (p, _) = split(&["[", r#"{"m":"one"},"#, r#"{"m":"two\"]"}"#, "]"]);
        assert_eq!(
            p,
            [
                Piece::Json(r#"{"m":"one"}"#.into()),
                Piece::Json(r#"{"m":"two\"]"}"#.into())
            ]
        );
    }

    #[test]
    fn text_outside_json_is_kept_and_an_unfinished_value_is_counted() {
        let (p, dropped) = split(&["not json at all", r#"{"m":"x"#]);
        assert_eq!(p, [Piece::Text("not json at all".into())]);
        assert_eq!(dropped, 1);
    }

    #[test]
    fn elastic_documents_and_search_hits() {
        let doc = r#"{"@timestamp":"2026-11-28T08:41:07.000Z","host":{"name":"vpn-asa-01"},"event":{"original":"%ASA-6-113005: x"},"message":"x"}"#;
        assert_eq!(
            items(doc, None),
            [line(
                "%ASA-6-113005: x",
                Some("2026-11-28T08:41:07Z"),
                Some("vpn-asa-01")
            )]
        );
        let hits = r#"{"took":3,"hits":{"total":{"value":2},"hits":[{"_index":"logs","_source":{"log.original":"one"}},{"_index":"logs","_source":{"message":"two"}}]}}"#;
        assert_eq!(
            items(hits, None),
            [line("one", None, None), line("two", None, None)]
        );
    }

    #[test]
    fn splunk_graylog_fluent_and_custom_field() {
        let splunk = r#"{"preview":false,"offset":0,"result":{"_raw":"raw line","_time":"2026-11-28T08:41:07.000+00:00","host":"fw1","source":"/var/log/asa.log","sourcetype":"cisco:asa"}}"#;
        assert_eq!(
            items(splunk, None),
            [line("raw line", Some("2026-11-28T08:41:07Z"), Some("fw1"))]
        );
        let graylog = r#"{"message":"short","full_message":"full line","source":"ise01","timestamp":"2026-11-28 08:41:07.000"}"#;
        assert_eq!(
            items(graylog, None),
            [line(
                "full line",
                Some("2026-11-28T08:41:07Z"),
                Some("ise01")
            )]
        );
        let fluent = r#"{"date":1795855267.5,"log":"from fluent"}"#;
        assert_eq!(
            items(fluent, None),
            [line("from fluent", Some("2026-11-28T08:41:07.5Z"), None)]
        );
        let custom = r#"{"payload":{"text":"mine"},"message":"not this"}"#;
        assert_eq!(
            items(custom, Some("payload.text")),
            [line("mine", None, None)]
        );
    }

    #[test]
    fn loki_jsonl_and_query_api() {
        let jsonl =
            r#"{"labels":{"host":"fw2"},"line":"loki line","timestamp":"2026-11-28T08:41:07Z"}"#;
        assert_eq!(
            items(jsonl, None),
            [line("loki line", Some("2026-11-28T08:41:07Z"), Some("fw2"))]
        );
        let api = r#"{"status":"success","data":{"resultType":"streams","result":[{"stream":{"host":"fw3"},"values":[["1795855267000000000","a"],["1795855268000000000","b"]]}]}}"#;
        assert_eq!(
            items(api, None),
            [
                line("a", Some("2026-11-28T08:41:07Z"), Some("fw3")),
                line("b", Some("2026-11-28T08:41:08Z"), Some("fw3"))
            ]
        );
    }

    #[test]
    fn journald_puts_the_tag_back() {
        let j = r#"{"__REALTIME_TIMESTAMP":"1795855267000000","_HOSTNAME":"lt-7","SYSLOG_IDENTIFIER":"acvpnui","_PID":"812","MESSAGE":"Message type error sent to the user: Login failed."}"#;
        assert_eq!(
            items(j, None),
            [line(
                "2026-11-28T08:41:07+00:00 lt-7 acvpnui[812]: Message type error sent to the user: Login failed.",
                Some("2026-11-28T08:41:07Z"),
                Some("lt-7")
            )]
        );
    }

    #[test]
    fn windows_events_and_unusable_objects() {
        let nx = r#"{"EventID":4625,"Channel":"Security","TargetUserName":"ann"}"#;
        match items(nx, None).as_slice() {
            [Item::Windows(v)] => assert_eq!(v.get("EventID"), Some(&Value::from("4625"))),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            items(r#"{"level":"info","count":3}"#, None),
            [Item::Unusable(r#"{"count":3,"level":"info"}"#.into())]
        );
    }

    #[test]
    fn stream_sniffing() {
        assert!(looks_like_json("  {\"a\":1}"));
        assert!(looks_like_json("["));
        assert!(looks_like_json("[{\"a\":1}]"));
        assert!(!looks_like_json("<166>Nov 28 2026"));
        assert!(!looks_like_json(
            "[2026-11-28 08:41:07.123] Error: Login failed."
        ));
    }
}
