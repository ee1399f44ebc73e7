//! The one sanitiser for every piece of untrusted text that reaches the terminal.
//!
//! Log lines, user names, host names, file names and error messages that echo
//! input are attacker-controlled. Written raw they could recolour or overwrite
//! earlier lines, set the window title, plant OSC 8 hyperlinks, write the
//! clipboard (OSC 52), or make `denied` read as `approved` with a bidi override.
//! ratatui 0.30 silently drops most C0/C1 controls but leaves the sequence
//! parameters behind as text, deletes tabs, and lets bidi and zero-width
//! characters through on the `Span`/`Line`/`List` paths. During an incident we
//! want the opposite: **nothing reaches the terminal, and nothing vanishes
//! silently** — whatever was removed is shown as a visible escape, so the lead
//! can see that a line *tried* something.
//!
//! Call [`sanitize`] (bytes of one line, may be invalid UTF-8), [`sanitize_str`]
//! (already-decoded text) or [`sanitize_into`] (append to a reused buffer) before
//! building any `Span`. The caller splits lines on `\n` and strips one trailing
//! `\r`; any line terminator still in the input is escaped like other controls.
//!
//! # Escape syntax
//!
//! Everything below is plain printable text, so the output contains no `Cc`
//! character at all (tabs are expanded) and no format character.
//!
//! | input | shown as | example |
//! |---|---|---|
//! | printable text, including `\` | itself | `C:\temp` → `C:\temp` |
//! | tab | spaces up to the next multiple of 8 display columns | `a\tb` → `a       b` |
//! | byte that is not valid UTF-8 | `\xNN`, uppercase hex, always `NN` ≥ `80` | `\xFF`, `\xC3` |
//! | C0 control or DEL (U+0000–U+001F, U+007F) | `\xNN`, always `NN` < `80` | NUL → `\x00`, CR → `\x0D` |
//! | C1 control (U+0080–U+009F, properly encoded) | `\u{NN}` | NEL → `\u{85}` |
//! | format / invisible character (see below) | `\u{N…}` | RLO → `\u{202E}`, BOM → `\u{FEFF}` |
//! | escape sequence | one marker `⟦…⟧` | see below |
//!
//! C0 controls and invalid bytes share `\xNN` because their ranges cannot
//! overlap; a *character* U+009B and a stray *byte* 0x9B stay distinguishable
//! (`\u{9B}` vs `\x9B`), which matters for forensics.
//!
//! Escaped as format/invisible characters: every general-category `Cf`
//! character (bidi marks, embeddings, overrides and isolates U+061C, U+200E,
//! U+200F, U+202A–U+202E, U+2066–U+2069; zero-width U+200B–U+200D,
//! U+2060–U+2064, U+FEFF; soft hyphen; tag characters U+E0000 block; …), plus
//! the line/paragraph separators U+2028/U+2029 and the invisible Hangul fillers
//! U+115F, U+1160, U+3164, U+FFA0.
//!
//! ## Escape-sequence markers
//!
//! A sequence introduced by ESC (`\x1b`) or by a C1 introducer character
//! (U+009B CSI, U+009D OSC, U+0090 DCS, U+0098 SOS, U+009E PM, U+009F APC) is
//! parsed with a state machine following the DEC/ANSI parser that terminals
//! (and the `vte` crate) implement, and the *whole* sequence becomes one marker:
//!
//! * `⟦ESC` + the rest of the sequence + `⟧` for 7-bit forms:
//!   `\x1b[31m` → `⟦ESC[31m⟧`, `\x1b(B` → `⟦ESC(B⟧`, `\x1b[?1049h` → `⟦ESC[?1049h⟧`;
//! * `⟦CSI `, `⟦OSC `, `⟦DCS `, `⟦SOS `, `⟦PM `, `⟦APC ` + the rest for C1 forms:
//!   U+009B `31m` → `⟦CSI 31m⟧`;
//! * a string terminator is appended after a space: ` BEL`, ` ESC\` or ` ST`
//!   (C1 U+009C): `\x1b]0;pwned\x07` → `⟦ESC]0;pwned BEL⟧`;
//! * a sequence still open at the end of the input ends in ` …`:
//!   `\x1b]0;pwned` → `⟦ESC]0;pwned …⟧`;
//! * a sequence aborted by CAN/SUB, by a new ESC or by another C1 control is
//!   closed without a suffix, and what aborted it follows:
//!   `\x1b[31\x18` → `⟦ESC[31⟧\x18`.
//!
//! Inside a marker, controls, format characters and invalid bytes use the same
//! escapes as above (a tab is `\x09` there, not expanded), and `⟦`/`⟧` become
//! `\u{27E6}`/`\u{27E7}` so a payload cannot fake the end of its own marker.
//! Markers are for people and are not meant to be parsed back; keep the raw
//! bytes if an exact copy is needed.
//!
//! Because every escape and marker is itself printable, non-format text and `\`
//! is left alone, the function is idempotent: `sanitize(sanitize(x)) == sanitize(x)`.
//!
//! # Why not `vte` at run time
//!
//! `vte` 0.15 was evaluated and is used in the tests as an oracle, but it does
//! not fit as the parser here: it replaces invalid UTF-8 with U+FFFD (we must
//! show the bytes), does not treat encoded C1 introducers such as U+009B as
//! CSI, ignores some bytes inside sequences without a callback, and ends
//! SOS/PM/APC strings and "ignored" CSIs without any callback, so the exact
//! extent of a sequence cannot be recovered from it. Sequence boundaries only
//! depend on a handful of byte ranges, so the small machine below is exact.

use unicode_width::UnicodeWidthStr;

/// Sanitise the bytes of one line (which may be invalid UTF-8) for display.
///
/// Printable ASCII without tabs — the common case — is returned with a single
/// copy.
#[must_use]
pub fn sanitize(input: &[u8]) -> String {
    // Printable ASCII is always valid UTF-8, so `from_utf8` cannot fail here;
    // checking it anyway keeps the code free of panics and `unsafe`.
    if is_plain_ascii(input)
        && let Ok(s) = std::str::from_utf8(input)
    {
        return s.to_owned();
    }
    // Escapes and markers grow the text; a little slack avoids most reallocations.
    let mut out = String::with_capacity(input.len() + input.len() / 8 + 16);
    sanitize_into(input, &mut out);
    out
}

/// Sanitise text that is already decoded (user names, file names, messages).
/// Same rules as [`sanitize`].
#[must_use]
pub fn sanitize_str(input: &str) -> String {
    sanitize(input.as_bytes())
}

/// Append the sanitised form of `input` to `out`, so a caller can reuse one
/// buffer for many lines.
///
/// Tab stops are counted from where this call starts writing, i.e. `input` is
/// treated as the start of a display line.
pub fn sanitize_into(input: &[u8], out: &mut String) {
    if is_plain_ascii(input)
        && let Ok(s) = std::str::from_utf8(input)
    {
        out.push_str(s);
        return;
    }
    let mut m = Machine {
        seg_start: out.len(),
        out,
        state: State::Ground,
        col: 0,
        sep_pending: false,
    };
    for chunk in input.utf8_chunks() {
        let mut rest = chunk.valid();
        while !rest.is_empty() {
            if m.state == State::Ground {
                // Copy runs of ordinary text in bulk; only the characters that
                // need attention go through the state machine one by one.
                let n = rest.find(|c| !is_plain(c)).unwrap_or(rest.len());
                m.out.push_str(&rest[..n]);
                rest = &rest[n..];
            }
            if let Some(c) = rest.chars().next() {
                m.step(Unit::Char(c));
                rest = &rest[c.len_utf8()..];
            }
        }
        for &b in chunk.invalid() {
            m.step(Unit::Byte(b));
        }
    }
    m.finish();
}

/// Printable ASCII (U+0020–U+007E): needs no escaping and has no tabs.
fn is_plain_ascii(input: &[u8]) -> bool {
    input.iter().all(|&b| (0x20..0x7F).contains(&b))
}

/// A character that is shown as itself when it appears outside a sequence.
fn is_plain(c: char) -> bool {
    if c.is_ascii() {
        (' '..='~').contains(&c)
    } else {
        !needs_escape(c)
    }
}

/// Characters that must never reach the terminal raw: all `Cc` (C0, DEL, C1)
/// and the invisible/format characters listed in the module documentation.
fn needs_escape(c: char) -> bool {
    c.is_control() || is_format(c)
}

/// General category `Cf` (Unicode 16) plus a few invisible characters that are
/// not `Cf` but are equally good at hiding or reordering text.
///
/// An explicit table because neither `std` nor `unicode-width` exposes the
/// general category, and this set changes very rarely.
fn is_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
            // Not Cf: line/paragraph separators (some renderers break lines on
            // them) and the Hangul fillers, which render as blank space.
            | '\u{2028}'
            | '\u{2029}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{3164}'
            | '\u{FFA0}'
    )
}

/// One unit of input: a decoded character or a byte that is not valid UTF-8.
#[derive(Clone, Copy)]
enum Unit {
    Char(char),
    Byte(u8),
}

/// Kinds of control string; they differ only in how they may be terminated.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum StrKind {
    /// OSC: also ended by BEL (xterm convention).
    Osc,
    /// DCS, SOS, PM, APC: ended only by ST (or aborted).
    Other,
}

/// Parser state. The DEC parser's entry/param/intermediate/ignore sub-states
/// are merged because they all end on the same bytes; only the extent of a
/// sequence matters here, never its meaning.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    Ground,
    /// After ESC; `inter` once an intermediate byte (0x20–0x2F) was seen,
    /// after which `[`, `]`, `P`, … are plain final bytes.
    Esc {
        inter: bool,
    },
    /// Inside a CSI; ends at a final byte 0x40–0x7E.
    Csi,
    /// Inside a control string.
    Str(StrKind),
    /// ESC seen inside a control string: `\` makes it ST, anything else ends
    /// the string and starts a new escape sequence.
    StrEsc(StrKind),
}

/// How a marker ends; rendered after the body.
#[derive(Clone, Copy)]
enum Term {
    /// Final byte already in the body, or aborted by what follows.
    None,
    Bel,
    /// 7-bit string terminator `ESC \`.
    St7,
    /// C1 string terminator U+009C.
    St8,
    /// End of input inside the sequence.
    Eof,
}

struct Machine<'o> {
    out: &'o mut String,
    state: State,
    /// Display columns before `seg_start`, for tab stops.
    col: usize,
    /// Start of the output written since the last tab; its width is measured
    /// lazily at the next tab so ordinary text costs nothing extra.
    seg_start: usize,
    /// A C1 marker name was written and needs a space before its first body char.
    sep_pending: bool,
}

impl Machine<'_> {
    fn step(&mut self, unit: Unit) {
        match self.state {
            State::Ground => self.ground(unit),
            State::StrEsc(_) => {
                if let Unit::Char('\\') = unit {
                    self.close(Term::St7);
                } else {
                    // The terminal ends the string at the ESC and starts a new
                    // sequence with it (the CVE-2022-46663 `less` confusion),
                    // so show it that way.
                    self.close(Term::None);
                    self.open_esc();
                    self.step(unit);
                }
            }
            _ => self.in_sequence(unit),
        }
    }

    fn ground(&mut self, unit: Unit) {
        match unit {
            Unit::Byte(b) => push_byte_escape(self.out, b),
            Unit::Char('\t') => self.tab(),
            Unit::Char('\x1b') => self.open_esc(),
            Unit::Char(c) => {
                if let Some((name, state)) = c1_introducer(c) {
                    self.open_c1(name, state);
                } else if needs_escape(c) {
                    push_char_escape(self.out, c);
                } else {
                    self.out.push(c);
                }
            }
        }
    }

    fn in_sequence(&mut self, unit: Unit) {
        let c = match unit {
            Unit::Byte(_) => return self.body(unit),
            Unit::Char(c) => c,
        };
        // "Anywhere" transitions of the DEC parser, valid in every state.
        match c {
            '\x18' | '\x1a' => {
                // CAN/SUB abort the sequence and are then executed.
                self.close(Term::None);
                push_char_escape(self.out, c);
                return;
            }
            '\x1b' => {
                if let State::Str(kind) = self.state {
                    self.state = State::StrEsc(kind);
                } else {
                    self.close(Term::None);
                    self.open_esc();
                }
                return;
            }
            '\u{9c}' => return self.close(Term::St8),
            '\u{80}'..='\u{9f}' => {
                self.close(Term::None);
                return self.ground(unit);
            }
            _ => {}
        }
        match self.state {
            State::Esc { inter } => match c {
                ' '..='/' => {
                    self.body(unit);
                    self.state = State::Esc { inter: true };
                }
                '0'..='~' => {
                    self.body(unit);
                    self.state = match (inter, c) {
                        (false, '[') => State::Csi,
                        (false, ']') => State::Str(StrKind::Osc),
                        (false, 'P' | 'X' | '^' | '_') => State::Str(StrKind::Other),
                        _ => return self.close(Term::None),
                    };
                }
                // Other C0 controls are executed mid-sequence by terminals,
                // DEL and non-ASCII are ignored; either way the sequence goes on.
                _ => self.body(unit),
            },
            State::Csi => {
                self.body(unit);
                if ('@'..='~').contains(&c) {
                    self.close(Term::None);
                }
            }
            State::Str(StrKind::Osc) if c == '\x07' => self.close(Term::Bel),
            State::Str(_) => self.body(unit),
            State::Ground | State::StrEsc(_) => unreachable!("handled in step"),
        }
    }

    /// End of input: a sequence still open becomes a marker ending in ` …`.
    fn finish(&mut self) {
        match self.state {
            State::Ground => {}
            State::StrEsc(_) => {
                self.close(Term::None);
                self.open_esc();
                self.close(Term::Eof);
            }
            _ => self.close(Term::Eof),
        }
    }

    fn open_esc(&mut self) {
        self.out.push_str("⟦ESC");
        self.state = State::Esc { inter: false };
    }

    fn open_c1(&mut self, name: &str, state: State) {
        self.out.push('⟦');
        self.out.push_str(name);
        self.sep_pending = true;
        self.state = state;
    }

    /// One unit of a sequence's body, escaped so the marker stays printable.
    fn body(&mut self, unit: Unit) {
        if std::mem::take(&mut self.sep_pending) {
            self.out.push(' ');
        }
        match unit {
            Unit::Byte(b) => push_byte_escape(self.out, b),
            Unit::Char(c) if needs_escape(c) || c == '⟦' || c == '⟧' => {
                push_char_escape(self.out, c);
            }
            Unit::Char(c) => self.out.push(c),
        }
    }

    fn close(&mut self, term: Term) {
        self.out.push_str(match term {
            Term::None => "",
            Term::Bel => " BEL",
            Term::St7 => " ESC\\",
            Term::St8 => " ST",
            Term::Eof => " …",
        });
        self.out.push('⟧');
        self.sep_pending = false;
        self.state = State::Ground;
    }

    /// Expand a tab to the next multiple of 8 display columns, measuring what
    /// was written since the previous tab the way ratatui measures it.
    fn tab(&mut self) {
        self.col += self.out[self.seg_start..].width();
        let pad = 8 - self.col % 8;
        for _ in 0..pad {
            self.out.push(' ');
        }
        self.col += pad;
        self.seg_start = self.out.len();
    }
}

/// C1 characters that start a sequence, with the marker name and the state
/// they lead to.
fn c1_introducer(c: char) -> Option<(&'static str, State)> {
    Some(match c {
        '\u{9b}' => ("CSI", State::Csi),
        '\u{9d}' => ("OSC", State::Str(StrKind::Osc)),
        '\u{90}' => ("DCS", State::Str(StrKind::Other)),
        '\u{98}' => ("SOS", State::Str(StrKind::Other)),
        '\u{9e}' => ("PM", State::Str(StrKind::Other)),
        '\u{9f}' => ("APC", State::Str(StrKind::Other)),
        _ => return None,
    })
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// `\xNN` for a C0 control, DEL, or a byte that is not valid UTF-8.
fn push_byte_escape(out: &mut String, b: u8) {
    out.push_str("\\x");
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 0xF)]));
}

/// `\xNN` for C0 controls and DEL, `\u{N…}` for every other character.
fn push_char_escape(out: &mut String, c: char) {
    if let Ok(b) = u8::try_from(c)
        && (b < 0x20 || b == 0x7F)
    {
        return push_byte_escape(out, b);
    }
    out.push_str("\\u{");
    let v = u32::from(c);
    let digits = (32 - v.leading_zeros()).div_ceil(4).max(1);
    for i in (0..digits).rev() {
        out.push(char::from(HEX[((v >> (i * 4)) & 0xF) as usize]));
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn s(input: &[u8]) -> String {
        let out = sanitize(input);
        // Every example doubles as an idempotence check.
        assert_eq!(
            sanitize(out.as_bytes()),
            out,
            "not idempotent for {input:?}"
        );
        out
    }

    #[test]
    fn plain_text_is_unchanged() {
        assert_eq!(
            s(b"user alice: login failed (reason=42)"),
            "user alice: login failed (reason=42)"
        );
        assert_eq!(s("Zürich 東京 ✓".as_bytes()), "Zürich 東京 ✓");
        assert_eq!(s(b""), "");
        // `\` stays `\`, so escape-like text is left alone rather than doubled.
        assert_eq!(s(br"C:\temp\x41 \u{202E}"), r"C:\temp\x41 \u{202E}");
    }

    #[test]
    fn osc_window_title() {
        assert_eq!(s(b"A\x1b]0;pwned\x07B"), "A⟦ESC]0;pwned BEL⟧B");
        assert_eq!(s(b"\x1b]2;t\x1b\\"), "⟦ESC]2;t ESC\\⟧");
    }

    #[test]
    fn osc52_clipboard() {
        assert_eq!(
            s(b"x\x1b]52;c;cm0gLXJmIH4=\x1b\\y"),
            "x⟦ESC]52;c;cm0gLXJmIH4= ESC\\⟧y"
        );
    }

    #[test]
    fn osc8_hyperlink() {
        assert_eq!(
            s(b"\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\"),
            "⟦ESC]8;;https://evil.example/ ESC\\⟧click⟦ESC]8;; ESC\\⟧"
        );
    }

    #[test]
    fn csi_sgr_and_private() {
        assert_eq!(s(b"\x1b[31mRED\x1b[0m"), "⟦ESC[31m⟧RED⟦ESC[0m⟧");
        assert_eq!(
            s(b"\x1b[?1049h\x1b[2J\x1b[H"),
            "⟦ESC[?1049h⟧⟦ESC[2J⟧⟦ESC[H⟧"
        );
        assert_eq!(
            s(b"\x1b[1 q\x1b[38:2::255:0:0m"),
            "⟦ESC[1 q⟧⟦ESC[38:2::255:0:0m⟧"
        );
        // Cursor-up then erase-line: the classic "rewrite an earlier line".
        assert_eq!(s(b"ok\x1b[1A\x1b[2Kfake"), "ok⟦ESC[1A⟧⟦ESC[2K⟧fake");
    }

    #[test]
    fn other_esc_sequences() {
        assert_eq!(s(b"\x1b(B\x1b7\x1bc\x1b#8"), "⟦ESC(B⟧⟦ESC7⟧⟦ESCc⟧⟦ESC#8⟧");
        assert_eq!(s(b"\x1bP1$r0m\x1b\\"), "⟦ESCP1$r0m ESC\\⟧");
        assert_eq!(s(b"\x1b_Gf=100;AAAA\x1b\\"), "⟦ESC_Gf=100;AAAA ESC\\⟧");
        assert_eq!(
            s(b"\x1bXsos\x1b\\\x1b^pm\x1b\\"),
            "⟦ESCXsos ESC\\⟧⟦ESC^pm ESC\\⟧"
        );
        // BEL ends only OSC; inside DCS it is content.
        assert_eq!(s(b"\x1bPq\x07x\x1b\\"), "⟦ESCPq\\x07x ESC\\⟧");
    }

    #[test]
    fn c1_sequences() {
        assert_eq!(s("\u{9b}31mX".as_bytes()), "⟦CSI 31m⟧X");
        assert_eq!(s("\u{9d}0;t\u{9c}Y".as_bytes()), "⟦OSC 0;t ST⟧Y");
        assert_eq!(s("\u{9d}0;t\u{7}".as_bytes()), "⟦OSC 0;t BEL⟧");
        assert_eq!(s("\u{90}q\u{9c}".as_bytes()), "⟦DCS q ST⟧");
        assert_eq!(
            s("\u{98}a\u{9c}\u{9e}b\u{9c}\u{9f}c\u{9c}".as_bytes()),
            "⟦SOS a ST⟧⟦PM b ST⟧⟦APC c ST⟧"
        );
        assert_eq!(s("\u{9b}".as_bytes()), "⟦CSI …⟧");
        // Other C1 controls are escaped, and abort an open sequence.
        assert_eq!(s("a\u{85}b".as_bytes()), r"a\u{85}b");
        assert_eq!(s("\x1b[3\u{85}m".as_bytes()), r"⟦ESC[3⟧\u{85}m");
        // A lone byte 0x9B is invalid UTF-8, not a CSI.
        assert_eq!(s(b"\x9b31m"), r"\x9B31m");
    }

    #[test]
    fn unterminated_sequences_at_end_of_line() {
        assert_eq!(s(b"a\x1b]0;pwned"), "a⟦ESC]0;pwned …⟧");
        assert_eq!(s(b"a\x1b"), "a⟦ESC …⟧");
        assert_eq!(s(b"\x1b[31"), "⟦ESC[31 …⟧");
        assert_eq!(s(b"\x1bPq#0"), "⟦ESCPq#0 …⟧");
        assert_eq!(s(b"\x1b]0;t\x1b"), "⟦ESC]0;t⟧⟦ESC …⟧");
    }

    #[test]
    fn aborted_and_nested_sequences() {
        // CVE-2022-46663 PoC for `less -R`: the ESC ends the OSC and starts `ESC 0`.
        assert_eq!(s(b"\x1b]8;;\x1b0m\x1b[>0q"), "⟦ESC]8;;⟧⟦ESC0⟧m⟦ESC[>0q⟧");
        assert_eq!(s(b"\x1b[31\x18m"), r"⟦ESC[31⟧\x18m");
        assert_eq!(s(b"\x1b\x1b[1m"), "⟦ESC⟧⟦ESC[1m⟧");
        // C0 controls inside a CSI are executed by terminals; show them in place.
        assert_eq!(s(b"\x1b[3\r1m"), r"⟦ESC[3\x0D1m⟧");
    }

    #[test]
    fn marker_bodies_are_escaped() {
        // A payload cannot close its own marker early or smuggle controls.
        assert_eq!(
            s("\x1b]0;x⟧ y ⟦z\x07".as_bytes()),
            r"⟦ESC]0;x\u{27E7} y \u{27E6}z BEL⟧"
        );
        assert_eq!(
            s("\x1b]0;a\u{202E}b\tc\x7f\x07".as_bytes()),
            r"⟦ESC]0;a\u{202E}b\x09c\x7F BEL⟧"
        );
        assert_eq!(s(b"\x1b]0;\xff\x07"), r"⟦ESC]0;\xFF BEL⟧");
        assert_eq!(s("\x1b]0;Zürich\x07".as_bytes()), "⟦ESC]0;Zürich BEL⟧");
    }

    #[test]
    fn c0_controls_and_del() {
        assert_eq!(s(b"a\x00b"), r"a\x00b");
        assert_eq!(s(b"a\rb"), r"a\x0Db");
        assert_eq!(s(b"a\nb"), r"a\x0Ab");
        assert_eq!(s(b"bell\x07 bs\x08"), r"bell\x07 bs\x08");
        assert_eq!(s(b"del\x7f"), r"del\x7F");
    }

    #[test]
    fn bidi_zero_width_and_format() {
        assert_eq!(s("user\u{202E}txt.exe".as_bytes()), r"user\u{202E}txt.exe");
        assert_eq!(s("de\u{200B}nied".as_bytes()), r"de\u{200B}nied");
        assert_eq!(s("\u{FEFF}bom".as_bytes()), r"\u{FEFF}bom");
        assert_eq!(s("a\u{200D}b".as_bytes()), r"a\u{200D}b");
        assert_eq!(
            s("\u{2067}x\u{2069}\u{061C}\u{200E}\u{200F}".as_bytes()),
            r"\u{2067}x\u{2069}\u{61C}\u{200E}\u{200F}"
        );
        assert_eq!(
            s("\u{AD}\u{2028}\u{3164}".as_bytes()),
            r"\u{AD}\u{2028}\u{3164}"
        );
        // Tag characters can smuggle invisible ASCII.
        assert_eq!(s("x\u{E0041}".as_bytes()), r"x\u{E0041}");
    }

    #[test]
    fn invalid_utf8_bytes() {
        assert_eq!(s(b"ok\xffx\xc3("), r"ok\xFFx\xC3(");
        assert_eq!(s(b"cut \xe2\x82"), r"cut \xE2\x82");
        assert_eq!(s(b"\xc0\xaf"), r"\xC0\xAF"); // overlong '/'
        assert_eq!(s(b"\xed\xa0\x80"), r"\xED\xA0\x80"); // surrogate
    }

    #[test]
    fn tabs_expand_to_multiples_of_eight() {
        assert_eq!(s(b"a\tb"), "a       b");
        assert_eq!(s(b"\t"), " ".repeat(8));
        assert_eq!(s(b"12345678\tx"), format!("12345678{}x", " ".repeat(8)));
        assert_eq!(s(b"a\t\tb"), format!("a{}b", " ".repeat(15)));
        // Wide characters count two columns.
        assert_eq!(s("界\tx".as_bytes()), format!("界{}x", " ".repeat(6)));
        assert_eq!(
            s("界界界\tx\ty".as_bytes()),
            format!("界界界  x{}y", " ".repeat(7))
        );
        // Escapes and markers count with their visible width.
        assert_eq!(s(b"\x00\tx"), format!(r"\x00{}x", " ".repeat(4)));
        assert_eq!(s(b"\x1b[m\tx"), "⟦ESC[m⟧ x");
        assert_eq!(s(b"\x1b[1m\tx"), format!("⟦ESC[1m⟧{}x", " ".repeat(8)));
    }

    #[test]
    fn sanitize_into_appends_and_restarts_tab_stops() {
        let mut buf = String::from("prefix: ");
        sanitize_into(b"a\tb", &mut buf);
        assert_eq!(buf, "prefix: a       b");
        buf.clear();
        sanitize_into(b"plain", &mut buf);
        assert_eq!(buf, "plain");
    }

    #[test]
    fn sanitize_str_matches_bytes() {
        let t = "n\u{202E}ame\x1b[1m\t";
        assert_eq!(sanitize_str(t), sanitize(t.as_bytes()));
    }

    #[test]
    fn renders_through_ratatui_without_escapes() {
        use ratatui::Terminal;
        use ratatui::backend::TestBackend;
        use ratatui::text::Line;
        use ratatui::widgets::Paragraph;

        let hostile = b"login \x1b]0;pwned\x07 \x1b[31mroot\x1b[0m \xe2\x80\xaeevil\t\x00";
        let clean = sanitize(hostile);
        for paragraph in [true, false] {
            let mut terminal = Terminal::new(TestBackend::new(80, 1)).unwrap();
            terminal
                .draw(|f| {
                    // Paragraph and Line take different paths in ratatui (§3.3).
                    if paragraph {
                        f.render_widget(Paragraph::new(clean.as_str()), f.area());
                    } else {
                        f.render_widget(Line::from(clean.as_str()), f.area());
                    }
                })
                .unwrap();
            let shown: String = terminal
                .backend()
                .buffer()
                .content()
                .iter()
                .map(|c| c.symbol())
                .collect();
            assert!(shown.contains("⟦ESC]0;pwned BEL⟧"), "{shown}");
            assert!(shown.contains("⟦ESC[31m⟧root⟦ESC[0m⟧"), "{shown}");
            assert!(shown.contains(r"\u{202E}evil"), "{shown}");
            assert!(shown.contains(r"\x00"), "{shown}");
            assert!(!shown.contains('\x1b'), "{shown:?}");
            assert!(
                !shown.chars().any(|c| c.is_control() || is_forbidden(c)),
                "{shown:?}"
            );
        }
    }

    /// The code points the brief names explicitly, listed independently of
    /// `is_format` so the property tests check against the specification.
    fn is_forbidden(c: char) -> bool {
        matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200B}'..='\u{200D}'
                | '\u{2060}'..='\u{2064}'
                | '\u{FEFF}'
        )
    }

    /// Byte strings biased towards escape-sequence syntax, so random cases
    /// actually exercise the state machine rather than only invalid UTF-8.
    fn hostile_bytes() -> impl Strategy<Value = Vec<u8>> {
        let token = prop_oneof![
            any::<u8>().prop_map(|b| vec![b]),
            prop::sample::select(vec![
                &b"\x1b"[..],
                b"[",
                b"]",
                b"P",
                b"X",
                b"^",
                b"_",
                b"\\",
                b"\x07",
                b"\x18",
                b"\t",
                b"\r",
                b"\x00",
                b"\x7f",
                b";",
                b"0",
                b"1",
                b"?",
                b" ",
                b"m",
                b"(",
                b"a",
                b"\xff",
                "\u{9b}".as_bytes(),
                "\u{9c}".as_bytes(),
                "\u{9d}".as_bytes(),
                "\u{90}".as_bytes(),
                "\u{85}".as_bytes(),
                "\u{202E}".as_bytes(),
                "\u{200B}".as_bytes(),
                "\u{FEFF}".as_bytes(),
                "\u{2066}".as_bytes(),
                "界".as_bytes(),
                "é".as_bytes(),
                "\u{301}".as_bytes(),
                "⟦".as_bytes(),
                "⟧".as_bytes(),
                b"\xe2\x82",
                b"\\x1B",
                b"\\u{202E}",
            ])
            .prop_map(<[u8]>::to_vec),
        ];
        prop::collection::vec(token, 0..40).prop_map(|v| v.concat())
    }

    /// 7-bit input without tab and without the letter `x`, so that every `\x`
    /// in the output is one of our escapes (see the vte differential test).
    fn ascii_bytes() -> impl Strategy<Value = Vec<u8>> {
        let token = prop_oneof![
            (0u8..0x80)
                .prop_filter("no tab or x", |b| *b != b'\t' && *b != b'x')
                .prop_map(|b| vec![b]),
            prop::sample::select(vec![
                &b"\x1b"[..],
                b"\x1b[",
                b"\x1b]",
                b"\x1bP",
                b"\x1b_",
                b"\x1b\\",
                b"\x07",
                b"\x18",
                b"\x1a",
                b"\x7f",
                b"\r",
                b";",
                b"?",
                b" ",
                b"m",
                b"a",
                b"(",
                b"#",
                b"q",
            ])
            .prop_map(<[u8]>::to_vec),
        ];
        prop::collection::vec(token, 0..40).prop_map(|v| v.concat())
    }

    fn check_output(out: &str) -> Result<(), TestCaseError> {
        prop_assert!(
            !out.chars().any(char::is_control),
            "control char in {out:?}"
        );
        prop_assert!(!out.chars().any(is_forbidden), "bidi/zero-width in {out:?}");
        prop_assert!(!out.chars().any(is_format), "format char in {out:?}");
        prop_assert_eq!(sanitize(out.as_bytes()), out);
        prop_assert_eq!(sanitize_str(out), out);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        #[test]
        fn any_bytes_are_safe_and_idempotent(input in any::<Vec<u8>>()) {
            check_output(&sanitize(&input))?;
        }

        #[test]
        fn hostile_bytes_are_safe_and_idempotent(input in hostile_bytes()) {
            check_output(&sanitize(&input))?;
        }

        #[test]
        fn any_string_is_safe_and_matches_bytes(input in any::<String>()) {
            let out = sanitize_str(&input);
            prop_assert_eq!(&out, &sanitize(input.as_bytes()));
            check_output(&out)?;
        }

        #[test]
        fn printable_ascii_is_identity(input in "[ -~]*") {
            prop_assert_eq!(sanitize(input.as_bytes()), input);
        }

        #[test]
        fn sanitize_into_matches_sanitize(input in hostile_bytes()) {
            let mut buf = String::from("keep");
            sanitize_into(&input, &mut buf);
            prop_assert_eq!(buf, format!("keep{}", sanitize(&input)));
        }

        /// Differential test against `vte`, an independent terminal parser:
        /// on 7-bit input, the text we show outside markers and escapes must be
        /// exactly what a terminal would print, i.e. our sequence boundaries
        /// agree with vte's.
        #[test]
        fn ground_text_matches_vte(input in ascii_bytes()) {
            struct Printed(String);
            impl vte::Perform for Printed {
                fn print(&mut self, c: char) {
                    // vte prints DEL in ground; we escape it.
                    if c != '\x7f' {
                        self.0.push(c);
                    }
                }
            }
            let mut printed = Printed(String::new());
            vte::Parser::new().advance(&mut printed, &input);

            let out = sanitize(&input);
            let mut ours = String::new();
            let mut rest = out.as_str();
            while let Some(c) = rest.chars().next() {
                if c == '⟦' {
                    // ASCII input cannot contain `⟧`, so the first one closes this marker.
                    let end = rest.find('⟧').expect("marker is closed");
                    rest = &rest[end + '⟧'.len_utf8()..];
                } else if rest.starts_with("\\x") {
                    rest = &rest[4..];
                } else {
                    ours.push(c);
                    rest = &rest[c.len_utf8()..];
                }
            }
            prop_assert_eq!(ours, printed.0, "output was {:?}", out);
        }
    }
}
