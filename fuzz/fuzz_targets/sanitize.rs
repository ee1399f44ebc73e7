//! The sanitiser: whatever the bytes, the output holds no character a
//! terminal interprets as a control (C0, C1, DEL; so no escape sequence can
//! start), and sanitising it again changes nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpnwatch::sanitize::{sanitize, sanitize_str};

fuzz_target!(|data: &[u8]| {
    let out = sanitize(data);
    assert!(
        !out.chars().any(char::is_control),
        "control char in {out:?}"
    );
    assert!(
        !out.chars()
            .any(|c| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}' | '\u{FEFF}')),
        "bidi or zero-width char in {out:?}"
    );
    assert_eq!(sanitize(out.as_bytes()), out);
    assert_eq!(sanitize_str(&out), out);
});
