//! Joins the lines of multi-line log records into whole records, so the
//! parsers can stay pure functions of one record.
//!
//! Fed one line at a time (without its newline), a [`RecordAssembler`] hands
//! back each record when it is complete. It does no I/O and keeps no more
//! than its caps allow: a record that grows past the size or line cap, and
//! the oldest pending ISE message when too many are pending, are dropped and
//! counted in [`RecordAssembler::dropped`]; the lines after a dropped record
//! are read afresh, so a malformed record cannot swallow the rest of a file.
//!
//! Modes ([`RecordMode`]):
//!
//! * `Lines`: every line is a record, returned borrowed (no allocation);
//! * `XmlEvents`: `<Event …>…</Event>`, one per line, several per line, or
//!   spread over many lines; text outside records (`<?xml …?>`, `<Events>`)
//!   is skipped;
//! * `Delimited`: CSV (`,`) or tab-separated rows whose quoted fields may
//!   contain newlines (Event Viewer exports); a line is a row unless a quote
//!   is still open at its end;
//! * `Dart`: blocks separated by lines of `*`;
//! * `IseSegments`: Cisco ISE syslog, where a long message is sent as several
//!   segments `CISE_<Category> <msgId> <total> <segNo> …` (segNo from 0),
//!   possibly out of order and interleaved with other messages. A message is
//!   returned once all its segments are in: segment 0's line followed by the
//!   other segments' texts in order. Single-segment messages and other lines
//!   pass through borrowed.
//!
//! Records that are one line are returned as `Cow::Borrowed`; joined records
//! are owned (lines joined with `\n`).

use std::borrow::Cow;
use std::collections::VecDeque;

/// How a file's lines form records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordMode {
    Lines,
    XmlEvents,
    /// Separator byte: `b','` for CSV, `b'\t'` for tab-separated text.
    Delimited(u8),
    Dart,
    IseSegments,
    /// JSON envelopes: cut into values by the record reader's
    /// [`JsonSplitter`](super::envelope::JsonSplitter), not here.
    Json,
}

/// Limits on what may be pending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caps {
    /// Largest record, in bytes.
    pub max_record_bytes: usize,
    /// Most lines in one record.
    pub max_record_lines: usize,
    /// Most ISE messages waiting for segments at once.
    pub max_pending: usize,
}

impl Default for Caps {
    fn default() -> Self {
        Caps {
            max_record_bytes: 256 * 1024,
            max_record_lines: 4096,
            max_pending: 512,
        }
    }
}

/// What was discarded so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dropped {
    /// Records (or ISE messages) given up on.
    pub records: u64,
    /// Lines that went with them.
    pub lines: u64,
    /// Bytes that went with them.
    pub bytes: u64,
}

/// A pending ISE message.
#[derive(Debug)]
struct IseMsg {
    /// `host CISE_Category msgId`, the key segments are matched on.
    key: String,
    /// Segment texts by number: segment 0 whole, the others after their header.
    segments: Vec<Option<String>>,
    bytes: usize,
}

/// Line-fed record assembler; see the module docs.
#[derive(Debug)]
pub struct RecordAssembler {
    mode: RecordMode,
    caps: Caps,
    /// The record being built (XML, delimited, DART).
    buf: String,
    buf_lines: usize,
    /// XML: inside a record. Delimited: a quote is open.
    open: bool,
    /// Further records completed by the last push.
    ready: VecDeque<String>,
    ise: VecDeque<IseMsg>,
    dropped: Dropped,
}

impl RecordAssembler {
    pub fn new(mode: RecordMode) -> Self {
        Self::with_caps(mode, Caps::default())
    }

    pub fn with_caps(mode: RecordMode, caps: Caps) -> Self {
        RecordAssembler {
            mode,
            caps,
            buf: String::new(),
            buf_lines: 0,
            open: false,
            ready: VecDeque::new(),
            ise: VecDeque::new(),
            dropped: Dropped::default(),
        }
    }

    pub fn mode(&self) -> RecordMode {
        self.mode
    }

    /// What has been dropped so far (records over the caps, ISE messages
    /// that never completed).
    pub fn dropped(&self) -> Dropped {
        self.dropped
    }

    /// Number of records started but not complete (ISE messages included).
    pub fn pending(&self) -> usize {
        usize::from(!self.buf.is_empty() || self.open) + self.ise.len()
    }

    /// Feeds one line (a trailing `\n` / `\r\n` is ignored). Returns a record
    /// completed by it; when one line completes several (several XML events
    /// on one line), the others follow from [`pop`](Self::pop).
    pub fn push<'l>(&mut self, line: &'l str) -> Option<Cow<'l, str>> {
        let line = line.strip_suffix('\n').unwrap_or(line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        match self.mode {
            RecordMode::Lines | RecordMode::Json => Some(Cow::Borrowed(line)),
            RecordMode::XmlEvents => self.push_xml(line),
            RecordMode::Delimited(sep) => self.push_delimited(line, sep),
            RecordMode::Dart => self.push_dart(line),
            RecordMode::IseSegments => self.push_ise(line),
        }
    }

    /// A further record completed by the last [`push`](Self::push).
    pub fn pop(&mut self) -> Option<String> {
        self.ready.pop_front()
    }

    /// Feeds one line and calls `f` with every record it completes.
    pub fn feed(&mut self, line: &str, mut f: impl FnMut(&str)) {
        if let Some(r) = self.push(line) {
            f(&r);
        }
        while let Some(r) = self.pop() {
            f(&r);
        }
    }

    /// At the end of input: returns what is pending, one record per call,
    /// then `None`. A DART block or CSV row without its end is returned as it
    /// is; an unfinished XML record or an ISE message missing segments is
    /// dropped (a parser could not read it) and counted.
    pub fn finish(&mut self) -> Option<String> {
        if let Some(r) = self.ready.pop_front() {
            return Some(r);
        }
        match self.mode {
            RecordMode::Dart | RecordMode::Delimited(_) => {
                self.open = false;
                let rec = std::mem::take(&mut self.buf);
                self.buf_lines = 0;
                (!rec.trim().is_empty()).then_some(rec)
            }
            RecordMode::XmlEvents => {
                if self.open {
                    self.drop_buf();
                }
                None
            }
            RecordMode::IseSegments => {
                while let Some(m) = self.ise.pop_front() {
                    self.count_drop_ise(&m);
                }
                None
            }
            RecordMode::Lines | RecordMode::Json => None,
        }
    }

    /// Calls `f` with every record [`finish`](Self::finish) returns.
    pub fn finish_all(&mut self, mut f: impl FnMut(&str)) {
        while let Some(r) = self.finish() {
            f(&r);
        }
    }

    // ---- buffer helpers ----

    fn append(&mut self, line: &str) {
        if self.buf_lines > 0 {
            self.buf.push('\n');
        }
        self.buf.push_str(line);
        self.buf_lines += 1;
    }

    fn over_caps(&self) -> bool {
        self.buf.len() > self.caps.max_record_bytes || self.buf_lines > self.caps.max_record_lines
    }

    fn drop_buf(&mut self) {
        self.dropped.records += 1;
        self.dropped.lines += self.buf_lines as u64;
        self.dropped.bytes += self.buf.len() as u64;
        self.buf.clear();
        self.buf_lines = 0;
        self.open = false;
    }

    fn take_buf(&mut self) -> String {
        self.buf_lines = 0;
        self.open = false;
        std::mem::take(&mut self.buf)
    }

    // ---- XML ----

    fn push_xml<'l>(&mut self, line: &'l str) -> Option<Cow<'l, str>> {
        let mut first: Option<Cow<'l, str>> = None;
        let mut rest = line;
        if self.open {
            // A new record starting before the pending one ended: the
            // pending one was cut off (a crashed export); give it up.
            let end = rest.find(END_TAG);
            if let Some(start) = super::winevent::find_event_start(rest)
                && end.is_none_or(|e| start < e)
            {
                self.drop_buf();
            }
        }
        if self.open {
            match rest.find(END_TAG) {
                Some(i) => {
                    let end = i + END_TAG.len();
                    self.append(rest.get(..end).unwrap_or(rest));
                    if self.over_caps() {
                        self.drop_buf();
                    } else {
                        first = Some(Cow::Owned(self.take_buf()));
                    }
                    rest = rest.get(end..).unwrap_or("");
                }
                None => {
                    self.append(rest);
                    if self.over_caps() {
                        self.drop_buf();
                    }
                    return None;
                }
            }
        }
        while let Some(start) = super::winevent::find_event_start(rest) {
            let from = rest.get(start..).unwrap_or("");
            match from.find(END_TAG) {
                Some(i) => {
                    let rec = from.get(..i + END_TAG.len()).unwrap_or(from);
                    if first.is_none() {
                        first = Some(Cow::Borrowed(rec));
                    } else {
                        self.ready.push_back(rec.to_owned());
                    }
                    rest = from.get(i + END_TAG.len()..).unwrap_or("");
                }
                None => {
                    self.open = true;
                    self.append(from);
                    if self.over_caps() {
                        self.drop_buf();
                    }
                    break;
                }
            }
        }
        if first.is_none() {
            first = self.ready.pop_front().map(Cow::Owned);
        }
        first
    }

    // ---- CSV / tab-separated ----

    fn push_delimited<'l>(&mut self, line: &'l str, _sep: u8) -> Option<Cow<'l, str>> {
        // Quotes toggle the quoted state; a doubled quote toggles twice.
        let odd = line.bytes().filter(|&b| b == b'"').count() % 2 == 1;
        if !self.open && self.buf_lines == 0 {
            if !odd {
                return Some(Cow::Borrowed(line));
            }
            self.open = true;
            self.append(line);
            return None;
        }
        self.append(line);
        if odd {
            self.open = !self.open;
        }
        if self.over_caps() {
            self.drop_buf();
            return None;
        }
        if self.open {
            None
        } else {
            Some(Cow::Owned(self.take_buf()))
        }
    }

    // ---- DART ----

    fn push_dart<'l>(&mut self, line: &'l str) -> Option<Cow<'l, str>> {
        if is_star_rule(line) {
            if self.buf.trim().is_empty() {
                self.buf.clear();
                self.buf_lines = 0;
                return None;
            }
            return Some(Cow::Owned(self.take_buf()));
        }
        if self.buf_lines == 0 && line.trim().is_empty() {
            return None;
        }
        self.append(line);
        if self.over_caps() {
            self.drop_buf();
        }
        None
    }

    // ---- ISE ----

    fn push_ise<'l>(&mut self, line: &'l str) -> Option<Cow<'l, str>> {
        let Some(seg) = ise_segment(line) else {
            return Some(Cow::Borrowed(line));
        };
        if seg.total <= 1 {
            return Some(Cow::Borrowed(line));
        }
        if seg.total > self.caps.max_record_lines || seg.number >= seg.total {
            self.dropped.records += 1;
            self.dropped.lines += 1;
            self.dropped.bytes += line.len() as u64;
            return None;
        }
        let idx = match self.ise.iter().position(|m| m.key == seg.key) {
            Some(i) => i,
            None => {
                if self.ise.len() >= self.caps.max_pending.max(1)
                    && let Some(old) = self.ise.pop_front()
                {
                    self.count_drop_ise(&old);
                }
                self.ise.push_back(IseMsg {
                    key: seg.key.to_owned(),
                    segments: vec![None; seg.total],
                    bytes: 0,
                });
                self.ise.len() - 1
            }
        };
        let msg = self.ise.get_mut(idx)?;
        let text = if seg.number == 0 { line } else { seg.text };
        let slot = msg.segments.get_mut(seg.number)?;
        if slot.is_none() {
            msg.bytes += text.len();
            *slot = Some(text.to_owned());
        }
        if msg.bytes > self.caps.max_record_bytes {
            if let Some(m) = self.ise.remove(idx) {
                self.count_drop_ise(&m);
            }
            return None;
        }
        if msg.segments.iter().all(Option::is_some) {
            let m = self.ise.remove(idx)?;
            let mut out = String::with_capacity(m.bytes);
            for s in m.segments.into_iter().flatten() {
                out.push_str(&s);
            }
            return Some(Cow::Owned(out));
        }
        None
    }

    fn count_drop_ise(&mut self, m: &IseMsg) {
        self.dropped.records += 1;
        self.dropped.lines += m.segments.iter().filter(|s| s.is_some()).count() as u64;
        self.dropped.bytes += m.bytes as u64;
    }
}

const END_TAG: &str = "</Event>";

/// A line made only of `*` (at least three), surrounding blanks allowed.
pub fn is_star_rule(line: &str) -> bool {
    let t = line.trim_start_matches('\u{feff}').trim();
    t.len() >= 3 && t.bytes().all(|b| b == b'*')
}

/// The segment header of a Cisco ISE syslog line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IseSegment<'a> {
    /// `host CISE_Category msgId`: identifies the message.
    pub key: &'a str,
    pub total: usize,
    pub number: usize,
    /// The text after the segment number (one separating space removed).
    pub text: &'a str,
}

/// Reads `… host CISE_Category msgId total segNo text` from an ISE line.
pub fn ise_segment(line: &str) -> Option<IseSegment<'_>> {
    // The category, after a host, or first when a collector removed the header.
    let cat = match line.find(" CISE_") {
        Some(i) => i + 1,
        None if line.starts_with("CISE_") => 0,
        None => return None,
    };
    // The host is the word before the category.
    let before = line.get(..cat.saturating_sub(1))?;
    let host_start = before.rfind(' ').map_or(0, |i| i + 1);
    let rest = line.get(cat..)?;
    let mut pos = cat;
    let mut words = [0usize; 4];
    let mut it = rest.split(' ');
    for w in &mut words {
        let word = it.next()?;
        *w = word.len();
    }
    let [cat_len, id_len, total_len, num_len] = words;
    let id_at = cat + cat_len + 1;
    let total_at = id_at + id_len + 1;
    let num_at = total_at + total_len + 1;
    let id = line.get(id_at..id_at + id_len)?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let total: usize = line.get(total_at..total_at + total_len)?.parse().ok()?;
    let number: usize = line.get(num_at..num_at + num_len)?.parse().ok()?;
    pos += cat_len + id_len + total_len + num_len + 3;
    let text = line.get(pos..).unwrap_or("");
    let text = text.strip_prefix(' ').unwrap_or(text);
    Some(IseSegment {
        key: line.get(host_start..id_at + id_len)?,
        total,
        number,
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(asm: &mut RecordAssembler, input: &str) -> Vec<String> {
        let mut out = Vec::new();
        for line in input.split('\n') {
            asm.feed(line, |r| out.push(r.to_owned()));
        }
        asm.finish_all(|r| out.push(r.to_owned()));
        out
    }

    #[test]
    fn lines_pass_through_borrowed() {
        let mut a = RecordAssembler::new(RecordMode::Lines);
        assert!(matches!(a.push("x\r\n"), Some(Cow::Borrowed("x"))));
        assert_eq!(a.finish(), None);
    }

    #[test]
    fn xml_one_per_line_is_borrowed() {
        let mut a = RecordAssembler::new(RecordMode::XmlEvents);
        let line = "<Event xmlns='x'><System><EventID>1</EventID></System></Event>";
        assert!(matches!(a.push(line), Some(Cow::Borrowed(r)) if r == line));
        assert_eq!(a.push("<?xml version=\"1.0\"?>"), None);
        assert_eq!(a.push("<Events>"), None);
    }

    #[test]
    fn xml_pretty_printed_and_several_per_line() {
        let input = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Events>\n<Event xmlns=\"x\">\n  <System>\n    <EventID>1</EventID>\n  </System>\n</Event><Event><EventID>2</EventID></Event><Event><EventID>3</EventID></Event>\n<Event>\n<EventID>4</EventID>\n</Event>\n</Events>";
        let mut a = RecordAssembler::new(RecordMode::XmlEvents);
        let recs = run(&mut a, input);
        assert_eq!(recs.len(), 4, "{recs:?}");
        assert_eq!(
            recs[0],
            "<Event xmlns=\"x\">\n  <System>\n    <EventID>1</EventID>\n  </System>\n</Event>"
        );
        assert_eq!(recs[1], "<Event><EventID>2</EventID></Event>");
        assert_eq!(recs[2], "<Event><EventID>3</EventID></Event>");
        assert_eq!(recs[3], "<Event>\n<EventID>4</EventID>\n</Event>");
        assert_eq!(a.dropped(), Dropped::default());
    }

    #[test]
    fn xml_unfinished_record_is_dropped_at_finish() {
        let mut a = RecordAssembler::new(RecordMode::XmlEvents);
        let recs = run(&mut a, "<Event>\n<EventID>1</EventID>");
        assert!(recs.is_empty());
        assert_eq!(a.dropped().records, 1);
        assert_eq!(a.dropped().lines, 2);
    }

    #[test]
    fn xml_cut_off_record_is_dropped_when_the_next_starts() {
        let mut a = RecordAssembler::new(RecordMode::XmlEvents);
        let recs = run(
            &mut a,
            "<Event>\n<EventID>1</EventID>\n<Event><EventID>2</EventID>\n</Event>",
        );
        assert_eq!(recs, vec!["<Event><EventID>2</EventID>\n</Event>"]);
        assert_eq!(a.dropped().records, 1);
    }

    #[test]
    fn xml_over_cap_is_dropped_and_next_record_read() {
        let caps = Caps {
            max_record_lines: 3,
            ..Caps::default()
        };
        let mut a = RecordAssembler::with_caps(RecordMode::XmlEvents, caps);
        let recs = run(
            &mut a,
            "<Event>\na\nb\nc\nd\n</Event>\n<Event><EventID>2</EventID></Event>",
        );
        assert_eq!(recs, vec!["<Event><EventID>2</EventID></Event>"]);
        assert_eq!(a.dropped().records, 1);
    }

    #[test]
    fn csv_quoted_newlines() {
        let input = "Level,Date and Time,Source,Event ID,Task Category\nError,11/28/2026 8:41:07 AM,acvpnui,3021,None,\"first line\nsecond \"\"quoted\"\" line\n\nlast\"\nInformation,11/28/2026 8:41:08 AM,acvpnui,3021,None,plain";
        let mut a = RecordAssembler::new(RecordMode::Delimited(b','));
        let recs = run(&mut a, input);
        assert_eq!(recs.len(), 3, "{recs:?}");
        assert_eq!(
            recs[1],
            "Error,11/28/2026 8:41:07 AM,acvpnui,3021,None,\"first line\nsecond \"\"quoted\"\" line\n\nlast\""
        );
        assert_eq!(
            recs[2],
            "Information,11/28/2026 8:41:08 AM,acvpnui,3021,None,plain"
        );
    }

    #[test]
    fn csv_unbalanced_quote_is_capped() {
        let caps = Caps {
            max_record_lines: 5,
            ..Caps::default()
        };
        let mut a = RecordAssembler::with_caps(RecordMode::Delimited(b','), caps);
        let mut input = String::from("Error,x,acvpnui,1,None,\"never closed\n");
        for i in 0..10 {
            input.push_str(&format!("line {i}\n"));
        }
        input.push_str("Error,x,acvpnui,2,None,ok");
        let recs = run(&mut a, &input);
        assert_eq!(a.dropped().records, 1);
        assert!(
            recs.last().is_some_and(|r| r.ends_with(",2,None,ok")),
            "{recs:?}"
        );
    }

    #[test]
    fn dart_blocks() {
        let input = "******************************************\nDate        : 11/28/2026\nTime        : 08:41:07\n\nDescription : a\nb\n******************************************\n\n******************************************\nDate : 11/28/2026\nDescription : c";
        let mut a = RecordAssembler::new(RecordMode::Dart);
        let recs = run(&mut a, input);
        assert_eq!(
            recs,
            vec![
                "Date        : 11/28/2026\nTime        : 08:41:07\n\nDescription : a\nb",
                "Date : 11/28/2026\nDescription : c"
            ]
        );
    }

    fn ise(id: &str, total: u32, n: u32, text: &str) -> String {
        format!("<181>Nov 28 08:41:07 ise01 CISE_Failed_Attempts {id} {total} {n} {text}")
    }

    #[test]
    fn ise_segment_header() {
        let l = ise("0000000042", 3, 1, " NetworkDeviceName=asa, ");
        let s = ise_segment(&l).unwrap();
        assert_eq!(s.key, "ise01 CISE_Failed_Attempts 0000000042");
        assert_eq!((s.total, s.number), (3, 1));
        assert_eq!(s.text, " NetworkDeviceName=asa, ");
        assert!(ise_segment("CISE_x 1 2").is_none());
        assert!(ise_segment("host CISE_Failed_Attempts abc 1 0 x").is_none());
    }

    #[test]
    fn ise_out_of_order_and_interleaved() {
        let a0 = ise(
            "0000000001",
            3,
            0,
            "2026-11-28 08:41:07.100 +00:00 0000000011 5400 NOTICE Failed-Attempt: Authentication failed, A=1,",
        );
        let a1 = ise("0000000001", 3, 1, "B=2,");
        let a2 = ise("0000000001", 3, 2, "C=3");
        let b0 = ise("0000000002", 2, 0, "x,");
        let b1 = ise("0000000002", 2, 1, "y");
        let single = ise("0000000003", 1, 0, "whole");
        let input = [
            a2.as_str(),
            b1.as_str(),
            "unrelated line",
            a0.as_str(),
            single.as_str(),
            b0.as_str(),
            a1.as_str(),
        ]
        .join("\n");
        let mut a = RecordAssembler::new(RecordMode::IseSegments);
        let recs = run(&mut a, &input);
        assert_eq!(recs.len(), 4, "{recs:?}");
        assert_eq!(recs[0], "unrelated line");
        assert_eq!(recs[1], single);
        assert_eq!(recs[2], format!("{b0}y"));
        assert_eq!(recs[3], format!("{a0}B=2,C=3"));
        assert_eq!(a.dropped(), Dropped::default());
        assert_eq!(a.pending(), 0);
    }

    #[test]
    fn ise_pending_cap_and_finish() {
        let caps = Caps {
            max_pending: 2,
            ..Caps::default()
        };
        let mut a = RecordAssembler::with_caps(RecordMode::IseSegments, caps);
        let input = [
            ise("1", 2, 0, "a"),
            ise("2", 2, 0, "b"),
            ise("3", 2, 0, "c"),    // evicts 1
            ise("1", 2, 1, "late"), // starts a new pending 1, evicting 2
            ise("3", 2, 1, "d"),
            ise("9", 2, 5, "bad segment number"),
        ]
        .join("\n");
        let recs = run(&mut a, &input);
        assert_eq!(recs, vec![format!("{}d", ise("3", 2, 0, "c"))]);
        // 1 and 2 evicted, the late half of 1 left at finish, the bad number.
        assert_eq!(a.dropped().records, 4);
        assert_eq!(a.pending(), 0);
    }

    #[test]
    fn garbage_never_panics() {
        let inputs = [
            "<Event><Event></Event></Event>\n</Event>\n<Event",
            "\"\n\"\"\n\"",
            "***\n**\n*****\n",
            "h CISE_A 1 2 0 x\nh CISE_A 1 2 1\nh CISE_A 1 99999999999999999999 0\n CISE_\nCISE_ 1 1 1",
        ];
        for mode in [
            RecordMode::Lines,
            RecordMode::XmlEvents,
            RecordMode::Delimited(b','),
            RecordMode::Delimited(b'\t'),
            RecordMode::Dart,
            RecordMode::IseSegments,
        ] {
            for s in inputs {
                for (i, _) in s.char_indices() {
                    let mut a = RecordAssembler::new(mode);
                    let _ = run(&mut a, &s[..i]);
                    let _ = run(&mut a, &s[i..]);
                }
            }
        }
    }
}
