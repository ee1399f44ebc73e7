//! Free-text rejection reasons (the ASA's own, and RADIUS / AD wording it
//! relays) mapped to a [`Cause`]. Shared by the headend parser and the
//! authentication-server parsers, so the same words give the same cause
//! wherever they are logged.

use std::sync::LazyLock;

use super::Cause;

/// Maps a free-text rejection reason (RADIUS/AD wording relayed by the ASA, or
/// any similar text) to a [`Cause`], by case-insensitive substring checks.
/// Unknown text gives [`Cause::Other`].
pub fn cause_from_reason(reason: &str) -> Cause {
    // Fast path: the ASA's own fixed reason strings, compared whole.
    let trimmed = reason.trim();
    let trimmed = trimmed.strip_suffix('.').unwrap_or(trimmed);
    if let Some(&(_, cause)) = EXACT_REASONS
        .iter()
        .find(|(text, _)| text.len() == trimmed.len() && text.eq_ignore_ascii_case(trimmed))
    {
        return cause;
    }
    // General path: one pass over the lower-cased text; at each byte, try only
    // the phrases starting with that byte; the earliest table entry wins.
    let mut buf = [0u8; 256];
    let src = reason.as_bytes();
    let n = src.len().min(buf.len());
    for (d, s) in buf.iter_mut().zip(src) {
        *d = s.to_ascii_lowercase();
    }
    let text = buf.get(..n).unwrap_or(&[]);
    let by_first = &*REASON_INDEX;
    let mut best = usize::MAX;
    for (i, &c) in text.iter().enumerate() {
        let Some(candidates) = by_first.get(usize::from(c)) else {
            continue;
        };
        for &k in candidates {
            if k < best
                && let Some(&(needle, _)) = REASON_PHRASES.get(k)
                && text.get(i..i + needle.len()) == Some(needle.as_bytes())
            {
                best = k;
            }
        }
    }
    REASON_PHRASES
        .get(best)
        .map_or(Cause::Other, |&(_, cause)| cause)
}

/// Whole reason strings the ASA is known to log (113005/113015–113017).
const EXACT_REASONS: &[(&str, Cause)] = &[
    ("AAA failure", Cause::BadCredentials),
    ("Invalid password", Cause::BadCredentials),
    ("Unspecified", Cause::BadCredentials),
    ("Password malformed", Cause::BadCredentials),
    ("User was not found", Cause::UnknownUser),
    ("Account has been locked out", Cause::AccountLocked),
    ("Account has been disabled", Cause::AccountDisabled),
    ("Users account has expired", Cause::AccountDisabled),
    ("Password has expired", Cause::PasswordExpired),
    ("Password is expiring", Cause::PasswordExpired),
];

/// Lower-case phrases, most specific first (`password has expired` before the
/// generic credential words, `group locked` before `locked out`).
const REASON_PHRASES: &[(&str, Cause)] = {
    use Cause::*;
    &[
        ("group locked", GroupMismatch),
        ("group-lock", GroupMismatch),
        ("locked out", AccountLocked),
        ("lockout", AccountLocked),
        ("account locked", AccountLocked),
        ("account is locked", AccountLocked),
        ("password has expired", PasswordExpired),
        ("password is expiring", PasswordExpired),
        ("password expired", PasswordExpired),
        ("password must be changed", PasswordExpired),
        ("must change", PasswordExpired),
        ("account has been disabled", AccountDisabled),
        ("account disabled", AccountDisabled),
        ("account is disabled", AccountDisabled),
        ("account has expired", AccountDisabled),
        ("account expired", AccountDisabled),
        ("user was not found", UnknownUser),
        ("user not found", UnknownUser),
        ("no such user", UnknownUser),
        ("unknown user", UnknownUser),
        ("challenge", TokenRequired),
        ("token", TokenRequired),
        ("new pin", TokenRequired),
        ("securid", TokenRequired),
        ("passcode", TokenRequired),
        ("certificate", Certificate),
        ("simultaneous", Capacity),
        ("session limit", Capacity),
        ("license", Capacity),
        ("licence", Capacity),
        ("unreachable", AaaUnreachable),
        ("not accessible", AaaUnreachable),
        ("not responding", AaaUnreachable),
        ("no response", AaaUnreachable),
        ("not authorized", AuthorizationDenied),
        ("authorization", AuthorizationDenied),
        ("invalid password", BadCredentials),
        ("aaa failure", BadCredentials),
        ("unspecified", BadCredentials),
        ("password malformed", BadCredentials),
        ("bad password", BadCredentials),
        ("wrong password", BadCredentials),
        ("invalid credential", BadCredentials),
        ("authentication fail", BadCredentials),
        ("login fail", BadCredentials),
        ("login denied", BadCredentials),
        ("rejected", BadCredentials),
    ]
};

/// For each first byte, the indexes of the [`REASON_PHRASES`] starting with it.
static REASON_INDEX: LazyLock<Vec<Vec<usize>>> = LazyLock::new(|| {
    let mut index = vec![Vec::new(); 256];
    for (k, (phrase, _)) in REASON_PHRASES.iter().enumerate() {
        if let Some(list) = phrase
            .bytes()
            .next()
            .and_then(|b| index.get_mut(usize::from(b)))
        {
            list.push(k);
        }
    }
    index
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cause_from_reason_general_path() {
        // Not one of the exact strings: found by phrase.
        assert_eq!(
            cause_from_reason("RADIUS: Invalid Password for user"),
            Cause::BadCredentials
        );
        // Earliest table entry wins, wherever it sits in the text.
        assert_eq!(
            cause_from_reason("rejected: account is locked"),
            Cause::AccountLocked
        );
        assert_eq!(
            cause_from_reason("login failed, password expired"),
            Cause::PasswordExpired
        );
        assert_eq!(
            cause_from_reason("Invalid password."),
            Cause::BadCredentials
        );
        // Text beyond the 256-byte window is not searched, but must not panic.
        let long = format!("{}token", "x".repeat(300));
        assert_eq!(cause_from_reason(&long), Cause::Other);
        assert_eq!(cause_from_reason("tok"), Cause::Other);
        // Every phrase is found on its own.
        for (phrase, cause) in REASON_PHRASES {
            assert_eq!(
                cause_from_reason(&phrase.to_uppercase()),
                *cause,
                "{phrase}"
            );
        }
    }

    #[test]
    fn cause_from_reason_is_case_insensitive() {
        assert_eq!(cause_from_reason("INVALID PASSWORD"), Cause::BadCredentials);
        assert_eq!(cause_from_reason("user was NOT FOUND"), Cause::UnknownUser);
        assert_eq!(
            cause_from_reason("Please enter your SecurID passcode"),
            Cause::TokenRequired
        );
        assert_eq!(cause_from_reason(""), Cause::Other);
        assert_eq!(cause_from_reason("ümlaut"), Cause::Other);
    }
}
