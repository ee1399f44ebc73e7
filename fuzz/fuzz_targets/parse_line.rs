//! Every parser behind `parse_line` (one per family, chosen by the first
//! byte) and family detection: they must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpnwatch::parse::{self, Family, ParseContext};

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let family = match which % 3 {
        0 => Family::Headend,
        1 => Family::Client,
        _ => Family::AuthServer,
    };
    let _ = parse::parse_line(&text, family, &ParseContext { default_year: 2026 });
    let _ = parse::detect_family(text.lines());
});
