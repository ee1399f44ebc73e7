//! The ASA/FTD parser on arbitrary text (including `<PRI>` headers and
//! `%ASA-` tags in odd places): it must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpnwatch::parse::{ParseContext, asa};

fuzz_target!(|data: &[u8]| {
    let line = String::from_utf8_lossy(data);
    let _ = asa::parse(&line, &ParseContext { default_year: 2026 });
});
