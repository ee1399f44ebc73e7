//! Syslog framing, sans I/O: what a message's header says it is, and the
//! splitting of a TCP byte stream into messages (RFC 6587 octet counting
//! or LF), so both are tested and fuzzed on their own.

/// What a message's header says it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `<PRI>1 …`
    Rfc5424,
    /// `<PRI>` followed by anything else (BSD syslog, Cisco's own headers).
    Rfc3164,
    /// No valid `<PRI>` (0–191) at the start.
    Malformed,
}

/// Classifies a message by its header.
pub fn classify(msg: &[u8]) -> Format {
    let Some(rest) = msg.strip_prefix(b"<") else {
        return Format::Malformed;
    };
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if !(1..=3).contains(&digits) || rest.get(digits) != Some(&b'>') {
        return Format::Malformed;
    }
    let pri = rest[..digits]
        .iter()
        .fold(0u32, |v, &d| v * 10 + u32::from(d - b'0'));
    if pri > 191 || (digits > 1 && rest[0] == b'0') {
        return Format::Malformed;
    }
    if rest[digits + 1..].starts_with(b"1 ") {
        Format::Rfc5424
    } else {
        Format::Rfc3164
    }
}

/// Splits a TCP byte stream into syslog messages (see the module docs).
/// Sans I/O, so it is tested and fuzzed on its own.
#[derive(Debug)]
pub struct Framer {
    max: usize,
    state: FrameState,
    buf: Vec<u8>,
    truncated: bool,
    /// Frames that were not valid (a bad octet count, an empty frame, a frame
    /// cut short by the end of the stream).
    pub malformed: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FrameState {
    /// Between frames.
    Start,
    /// Reading an octet count (its digits are in `buf`).
    Count,
    /// Reading `n` more octets of a counted frame.
    Octets(usize),
    /// Reading up to LF.
    Line,
}

/// Digits in an octet count at most (a count of 10^9 is already absurd).
const MAX_COUNT_DIGITS: usize = 9;

impl Framer {
    pub fn new(max_message: usize) -> Self {
        Framer {
            max: max_message.max(1),
            state: FrameState::Start,
            buf: Vec::new(),
            truncated: false,
            malformed: 0,
        }
    }

    /// Feeds received bytes; `emit(message, truncated)` for each complete
    /// message.
    pub fn feed(&mut self, mut data: &[u8], mut emit: impl FnMut(&[u8], bool)) {
        while let Some((&b, rest)) = data.split_first() {
            match self.state {
                FrameState::Start => {
                    if matches!(b, b'\n' | b'\r' | b'\0' | b' ') {
                        // Stray separators between frames.
                        data = rest;
                    } else if b.is_ascii_digit() {
                        self.buf.push(b);
                        self.state = FrameState::Count;
                        data = rest;
                    } else {
                        self.state = FrameState::Line;
                    }
                }
                FrameState::Count => {
                    if b.is_ascii_digit() && self.buf.len() < MAX_COUNT_DIGITS {
                        self.buf.push(b);
                        data = rest;
                    } else if b == b' ' {
                        let n = self
                            .buf
                            .iter()
                            .fold(0usize, |v, &d| v * 10 + usize::from(d - b'0'));
                        self.buf.clear();
                        data = rest;
                        if n == 0 {
                            self.malformed += 1;
                            self.state = FrameState::Start;
                        } else {
                            self.state = FrameState::Octets(n);
                        }
                    } else {
                        // Not a count after all: the digits start a line.
                        self.malformed += 1;
                        self.state = FrameState::Line;
                    }
                }
                FrameState::Octets(n) => {
                    let take = n.min(data.len());
                    self.keep(&data[..take], self.max);
                    data = &data[take..];
                    if take == n {
                        self.emit(&mut emit);
                    } else {
                        self.state = FrameState::Octets(n - take);
                    }
                }
                FrameState::Line => match memchr::memchr(b'\n', data) {
                    Some(pos) => {
                        self.keep(&data[..pos], self.max + 1);
                        data = &data[pos + 1..];
                        self.emit(&mut emit);
                    }
                    None => {
                        self.keep(data, self.max + 1);
                        data = &[];
                    }
                },
            }
        }
    }

    /// The stream ended: a last LF frame without its LF is a message; a
    /// counted frame cut short is kept but counted as malformed.
    pub fn finish(&mut self, mut emit: impl FnMut(&[u8], bool)) {
        match self.state {
            FrameState::Start => {}
            FrameState::Line if !self.buf.is_empty() => self.emit(&mut emit),
            FrameState::Line => self.state = FrameState::Start,
            FrameState::Count | FrameState::Octets(_) => {
                self.malformed += 1;
                if self.state == FrameState::Count {
                    // Digits and nothing else: text, cut to the cap like a line.
                    self.state = FrameState::Line;
                }
                if self.buf.is_empty() {
                    self.state = FrameState::Start;
                } else {
                    self.emit(&mut emit);
                }
            }
        }
    }

    /// Keeps what fits in `limit` bytes (an LF frame may hold one more, a CR
    /// that turns out to be part of its terminator).
    fn keep(&mut self, bytes: &[u8], limit: usize) {
        let room = limit.saturating_sub(self.buf.len());
        if bytes.len() > room {
            self.truncated = true;
        }
        self.buf.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn emit(&mut self, emit: &mut impl FnMut(&[u8], bool)) {
        if self.state == FrameState::Line {
            if self.buf.last() == Some(&b'\r') {
                self.buf.pop();
            }
            if self.buf.len() > self.max {
                self.buf.truncate(self.max);
                self.truncated = true;
            }
        }
        if self.buf.is_empty() {
            self.malformed += 1;
        } else {
            emit(&self.buf, self.truncated);
        }
        self.buf.clear();
        self.truncated = false;
        self.state = FrameState::Start;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(chunks: &[&[u8]], max: usize) -> (Vec<(String, bool)>, u64) {
        let mut f = Framer::new(max);
        let mut got = Vec::new();
        for c in chunks {
            f.feed(c, |m, t| {
                got.push((String::from_utf8_lossy(m).into_owned(), t))
            });
        }
        f.finish(|m, t| got.push((String::from_utf8_lossy(m).into_owned(), t)));
        (got, f.malformed)
    }

    fn msgs(v: &[(&str, bool)]) -> Vec<(String, bool)> {
        v.iter().map(|(s, t)| (s.to_string(), *t)).collect()
    }

    #[test]
    fn classifies_headers() {
        assert_eq!(
            classify(b"<165>1 2026-11-28T10:00:00Z h a - - - m"),
            Format::Rfc5424
        );
        assert_eq!(
            classify(b"<166>Nov 28 2026 10:00:00 fw : %ASA-6-1"),
            Format::Rfc3164
        );
        assert_eq!(classify(b"<0>x"), Format::Rfc3164);
        for bad in [
            &b"no pri"[..],
            b"<>x",
            b"<192>x",
            b"<1234>x",
            b"<01>x",
            b"<12",
            b"",
        ] {
            assert_eq!(classify(bad), Format::Malformed, "{bad:?}");
        }
    }

    #[test]
    fn lf_and_octet_counted_frames_mix() {
        let stream = b"<1>a\n10 <2>b\nc d e<3>f\r\n\n";
        let (got, malformed) = frames(&[stream], 100);
        assert_eq!(
            got,
            msgs(&[("<1>a", false), ("<2>b\nc d e", false), ("<3>f", false)])
        );
        assert_eq!(malformed, 0);
    }

    #[test]
    fn any_chunking_gives_the_same_frames() {
        let stream: &[u8] = b"5 <1>ab<2>xyz\r\n12x <3>q\n0 7 <4>long-message\n";
        let whole = frames(&[stream], 6);
        for i in 0..=stream.len() {
            for j in i..=stream.len() {
                let got = frames(&[&stream[..i], &stream[i..j], &stream[j..]], 6);
                assert_eq!(got, whole, "split at {i},{j}");
            }
        }
        // `12x` is not a count: a malformed frame kept as a line; `0 ` is an
        // empty frame; the 12-byte frame is cut to 6.
        assert_eq!(
            whole.0,
            msgs(&[
                ("<1>ab", false),
                ("<2>xyz", false),
                ("12x <3", true),
                ("<4>lon", true),
                ("-messa", true)
            ])
        );
    }

    #[test]
    fn oversized_frames_are_cut_and_the_rest_discarded() {
        let (got, _) = frames(&[b"10 0123456789<1>next\n"], 4);
        assert_eq!(got, msgs(&[("0123", true), ("<1>n", true)]));
        let (got, _) = frames(&[b"<1>abcdefgh\n<2>ok\n"], 6);
        assert_eq!(got, msgs(&[("<1>abc", true), ("<2>ok", false)]));
    }

    #[test]
    fn a_frame_cut_by_the_end_of_the_stream_is_kept_and_counted() {
        let (got, malformed) = frames(&[b"20 <1>short"], 100);
        assert_eq!(got, msgs(&[("<1>short", false)]));
        assert_eq!(malformed, 1);
        let (got, malformed) = frames(&[b"<1>no newline"], 100);
        assert_eq!(got, msgs(&[("<1>no newline", false)]));
        assert_eq!(malformed, 0);
    }

    #[test]
    fn a_stream_of_digits_alone_is_cut_to_the_cap() {
        // Found by the `syslog_framing` fuzz target.
        let (got, malformed) = frames(&[b"55"], 1);
        assert_eq!(got, msgs(&[("5", true)]));
        assert_eq!(malformed, 1);
    }
}
