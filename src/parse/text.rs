//! Small text helpers shared by the line parsers: substring search (exact
//! and ASCII case-insensitive), the text after or between markers, and
//! trimming of whitespace, quotes and full stops. All return borrowed slices.
//!
//! The trims and [`word_after`] give exactly what `str::trim` and
//! `split_whitespace` give (Unicode whitespace), but look at ASCII bytes
//! directly: the fields of a log line are nearly always ASCII at their
//! edges, and the general char-by-char machinery cost more than the rest of
//! a field's extraction. A non-ASCII byte at an edge hands over to `std`.

use memchr::memrchr_iter;

/// The ASCII bytes Unicode calls whitespace (`char::is_whitespace`): tab,
/// line feed, vertical tab, form feed, carriage return, space. (Not
/// `u8::is_ascii_whitespace`, which leaves out the vertical tab.)
#[inline]
fn ascii_space(c: u8) -> bool {
    matches!(c, b'\t'..=b'\r' | b' ')
}

/// `str::trim_start`.
#[inline]
pub(crate) fn trim_start(s: &str) -> &str {
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c >= 0x80 {
            // `i` follows ASCII bytes only, so it is a char boundary.
            return s.get(i..).unwrap_or("").trim_start();
        }
        if !ascii_space(c) {
            break;
        }
        i += 1;
    }
    s.get(i..).unwrap_or("")
}

/// `str::trim_end`.
#[inline]
pub(crate) fn trim_end(s: &str) -> &str {
    let b = s.as_bytes();
    let mut end = b.len();
    while let Some(&c) = end.checked_sub(1).and_then(|i| b.get(i)) {
        if c >= 0x80 {
            return s.get(..end).unwrap_or("").trim_end();
        }
        if !ascii_space(c) {
            break;
        }
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

/// `str::trim`.
#[inline]
pub(crate) fn trim(s: &str) -> &str {
    trim_end(trim_start(s))
}

/// `s.split_whitespace().next()`: the first whitespace-delimited word.
#[inline]
pub(crate) fn first_word(s: &str) -> Option<&str> {
    split_word(s).map(|(word, _)| word)
}

/// The first whitespace-delimited word of `s` (as [`first_word`]) and
/// the text after it, from the whitespace that ends it on.
pub(crate) fn split_word(s: &str) -> Option<(&str, &str)> {
    let s = trim_start(s);
    let b = s.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c >= 0x80 {
            // What `split_whitespace` splits on, Unicode spaces too.
            return Some(s.split_once(char::is_whitespace).unwrap_or((s, "")));
        }
        if ascii_space(c) {
            return Some((s.get(..i)?, s.get(i..)?));
        }
    }
    (!s.is_empty()).then_some((s, ""))
}

/// ASCII case-insensitive substring test (of either case in the needle
/// too: anchoring on only the needle's own case of its first letter
/// would miss a hay that has the other).
pub(crate) fn contains_ci(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let Some(&first) = n.first() else { return true };
    let (lower, upper) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    // Anchor on the first byte (either case), then compare the rest.
    positions(h, lower, upper).any(|i| {
        h.get(i..i + n.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(n))
    })
}

/// Byte offset of the first `pat` in `s`. Bodies are short, so anchoring on
/// the first byte ([`positions`]) beats building a two-way or memmem
/// searcher per call (as `str::find` and `split_once` do).
pub(crate) fn find(s: &str, pat: &str) -> Option<usize> {
    let (h, n) = (s.as_bytes(), pat.as_bytes());
    let &first = n.first()?;
    positions(h, first, first).find(|&i| h.get(i..i + n.len()) == Some(n))
}

/// The offsets in `hay` of every byte that is `a` or `b` (pass the same
/// byte twice for one), in order: `memchr2_iter` for the short text of a
/// line. Sixteen bytes are compared at a time into a mask whose set bits
/// are walked, so a search costs a few instructions per 16 bytes and per
/// hit; a `memchr` call costs some 40 in set-up and dispatch each time, and
/// a parser asks for the next `=` or `:` of a 100-byte body several times.
pub(crate) fn positions(hay: &[u8], a: u8, b: u8) -> Positions<'_> {
    Positions {
        hay,
        base: 0,
        next: 0,
        mask: 0,
        a,
        b,
    }
}

/// See [`positions`]: `mask` holds the hits not yet returned among the 16
/// bytes at offset `base`; `hay` is what follows them, at offset `next`.
#[derive(Clone, Debug)]
pub(crate) struct Positions<'a> {
    hay: &'a [u8],
    base: usize,
    next: usize,
    mask: u32,
    a: u8,
    b: u8,
}

impl Iterator for Positions<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        loop {
            if self.mask != 0 {
                let bit = self.mask.trailing_zeros() as usize;
                self.mask &= self.mask - 1;
                return Some(self.base + bit);
            }
            if self.hay.is_empty() {
                return None;
            }
            let (a, b) = (self.a, self.b);
            let (mask, take) = match self.hay.first_chunk::<16>() {
                Some(block) => (hits16(block, a, b), 16),
                None => {
                    let mask = self
                        .hay
                        .iter()
                        .enumerate()
                        .fold(0, |m, (i, &c)| m | (u32::from(c == a || c == b) << i));
                    (mask, self.hay.len())
                }
            };
            self.base = self.next;
            self.next += take;
            self.hay = self.hay.get(take..).unwrap_or_default();
            self.mask = mask;
        }
    }
}

/// Bit `i` set when `block[i]` is `a` or `b`.
#[inline(always)]
pub(crate) fn hits16(block: &[u8; 16], a: u8, b: u8) -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128,
            _mm_set1_epi8,
        };
        // SAFETY: SSE2 is part of the x86-64 baseline; the load reads the
        // 16 bytes `block` holds (unaligned loads are allowed).
        unsafe {
            let v = _mm_loadu_si128(block.as_ptr().cast::<__m128i>());
            let hit = _mm_or_si128(
                _mm_cmpeq_epi8(v, _mm_set1_epi8(a as i8)),
                _mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8)),
            );
            _mm_movemask_epi8(hit) as u32
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        block
            .iter()
            .enumerate()
            .fold(0, |m, (i, &c)| m | (u32::from(c == a || c == b) << i))
    }
}

/// Byte offset of the last `pat` in `s` ([`find`] from the end).
pub(crate) fn rfind(s: &str, pat: &str) -> Option<usize> {
    let (h, n) = (s.as_bytes(), pat.as_bytes());
    let &first = n.first()?;
    memrchr_iter(first, h).find(|&i| h.get(i..i + n.len()) == Some(n))
}

/// `s.split_once(pat)`, through [`find`].
pub(crate) fn split_once<'a>(s: &'a str, pat: &str) -> Option<(&'a str, &'a str)> {
    let p = find(s, pat)?;
    Some((s.get(..p)?, s.get(p + pat.len()..)?))
}

/// Text after the first `pat`.
pub(crate) fn after<'a>(s: &'a str, pat: &str) -> Option<&'a str> {
    find(s, pat).and_then(|p| s.get(p + pat.len()..))
}

/// Text between the first `start` and the next `end` after it.
pub(crate) fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = after(s, start)?;
    find(rest, end).and_then(|p| rest.get(..p))
}

/// The text before the first of the ASCII bytes `stops` (all of it when
/// none occurs): `s.split([…]).next()` without `std`'s multi-char
/// searcher, whose set-up costs more than the few bytes searched.
pub(crate) fn before_any<'a>(s: &'a str, stops: &[u8]) -> &'a str {
    let end = s.bytes().position(|c| stops.contains(&c));
    // An ASCII byte is a char boundary.
    end.and_then(|e| s.get(..e)).unwrap_or(s)
}

/// The whitespace-delimited word after `pat`.
pub(crate) fn word_after<'a>(s: &'a str, pat: &str) -> Option<&'a str> {
    first_word(after(s, pat)?)
}

/// Trims whitespace and one trailing full stop.
pub(crate) fn trim_dot(s: &str) -> &str {
    let s = trim(s);
    trim_end(s.strip_suffix('.').unwrap_or(s))
}

/// Removes one pair of surrounding `'…'` or `"…"`.
pub(crate) fn unquote(s: &str) -> &str {
    let s = trim(s);
    for q in ['\'', '"'] {
        if let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner;
        }
    }
    s
}

/// Test input for the parsers' property tests: texts of up to `most`
/// of `tokens`, joined.
#[cfg(test)]
pub(crate) fn token_text(
    tokens: Vec<&'static str>,
    most: usize,
) -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::strategy::Strategy;
    proptest::collection::vec(proptest::sample::select(tokens), 0..most).prop_map(|v| v.concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_ci_works() {
        assert!(contains_ci("Hello World", "world"));
        assert!(contains_ci("abc", ""));
        assert!(!contains_ci("ab", "abc"));
        assert!(contains_ci("xxAbC", "abc"));
        assert!(contains_ci("xxabc", "ABC"));
        assert!(contains_ci("x509_verify_cert", "X509_verify_cert"));
        assert!(!contains_ci("é", "e"));
    }

    /// Text made of the characters the byte-wise helpers treat apart: every
    /// ASCII whitespace (the vertical tab among them), Unicode whitespace
    /// (no-break space, em space, ideographic space, next line), other
    /// non-ASCII letters, the search patterns' bytes and plain letters.
    fn tricky_text() -> impl proptest::strategy::Strategy<Value = String> {
        let chars = proptest::sample::select(vec![
            ' ', '\t', '\n', '\u{b}', '\u{c}', '\r', '\u{a0}', '\u{2003}', '\u{3000}', '\u{85}',
            '\u{1c}', 'é', '日', 'a', 'b', 'R', ':', '.', '=', 'x',
        ]);
        proptest::collection::vec(chars, 0..24).prop_map(|v| v.into_iter().collect())
    }

    use proptest::strategy::Strategy;

    proptest::proptest! {
        /// The byte-wise trims and word split give what `std` gives.
        #[test]
        fn trims_and_words_are_stds(s in tricky_text()) {
            proptest::prop_assert_eq!(trim(&s), s.trim());
            proptest::prop_assert_eq!(trim_start(&s), s.trim_start());
            proptest::prop_assert_eq!(trim_end(&s), s.trim_end());
            proptest::prop_assert_eq!(first_word(&s), s.split_whitespace().next());
            // The rest holds the other words.
            let rest = split_word(&s).map(|(_, rest)| rest.split_whitespace().collect::<Vec<_>>());
            let mut words = s.split_whitespace();
            let want = words.next().map(|_| words.collect::<Vec<_>>());
            proptest::prop_assert_eq!(rest, want);
            proptest::prop_assert_eq!(trim_dot(&s), {
                let t = s.trim();
                t.strip_suffix('.').unwrap_or(t).trim_end()
            });
        }

        /// The first-byte-anchored searches find what `std`'s do.
        #[test]
        fn searches_are_stds(s in tricky_text(), pat in proptest::sample::select(vec![
            "R", "a", "Ra", "R:", "x.", " R", "é", "日a", "aa",
        ])) {
            proptest::prop_assert_eq!(find(&s, pat), s.find(pat));
            proptest::prop_assert_eq!(rfind(&s, pat), s.rfind(pat));
            proptest::prop_assert_eq!(split_once(&s, pat), s.split_once(pat));
            proptest::prop_assert_eq!(Some(before_any(&s, b" /:")), s.split([' ', '/', ':']).next());
        }

        /// The mask walk finds the bytes `memchr2` finds, wherever they
        /// sit against the 16-byte blocks, and stops where it does.
        #[test]
        fn positions_are_memchr2s(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    1 => proptest::strategy::Just(b'='),
                    1 => proptest::strategy::Just(b':'),
                    6 => proptest::prelude::any::<u8>(),
                ],
                0..100,
            ),
            two in proptest::prelude::any::<bool>(),
            high in 0x80u8..=0xff,
        ) {
            let b = if two { b':' } else { b'=' };
            let want: Vec<usize> = memchr::memchr2_iter(b'=', b, &bytes).collect();
            proptest::prop_assert_eq!(positions(&bytes, b'=', b).collect::<Vec<_>>(), want);
            // Bytes above 0x7f too (signed in the SSE2 compare).
            let want: Vec<usize> = memchr::memchr_iter(high, &bytes).collect();
            proptest::prop_assert_eq!(positions(&bytes, high, high).collect::<Vec<_>>(), want);
        }
    }
}
