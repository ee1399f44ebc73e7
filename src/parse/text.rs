//! Small text helpers shared by the line parsers: substring search (exact
//! and ASCII case-insensitive), the text after or between markers, and
//! trimming of quotes and full stops. All return borrowed slices.

use memchr::memchr_iter;

/// ASCII case-insensitive substring test; `needle` must be lower case.
pub(crate) fn contains_ci(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_empty() {
        return true;
    }
    let Some(&first) = n.first() else { return true };
    let upper = first.to_ascii_uppercase();
    // Anchor on the first byte with memchr2, then compare the rest.
    memchr::memchr2_iter(first, upper, h).any(|i| {
        h.get(i..i + n.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(n))
    })
}

/// Byte offset of the first `pat` in `s`. Bodies are short, so anchoring on
/// the first byte with memchr beats building a two-way or memmem searcher
/// per call.
pub(crate) fn find(s: &str, pat: &str) -> Option<usize> {
    let (h, n) = (s.as_bytes(), pat.as_bytes());
    let &first = n.first()?;
    memchr_iter(first, h).find(|&i| h.get(i..i + n.len()) == Some(n))
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

/// The whitespace-delimited word after `pat`.
pub(crate) fn word_after<'a>(s: &'a str, pat: &str) -> Option<&'a str> {
    after(s, pat)?.split_whitespace().next()
}

/// Trims whitespace and one trailing full stop.
pub(crate) fn trim_dot(s: &str) -> &str {
    let s = s.trim();
    s.strip_suffix('.').unwrap_or(s).trim_end()
}

/// Removes one pair of surrounding `'…'` or `"…"`.
pub(crate) fn unquote(s: &str) -> &str {
    let s = s.trim();
    for q in ['\'', '"'] {
        if let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner;
        }
    }
    s
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
        assert!(!contains_ci("é", "e"));
    }
}
