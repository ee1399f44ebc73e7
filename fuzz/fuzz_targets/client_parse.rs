//! The AnyConnect client-log parser on arbitrary text: it must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpnwatch::parse::{ParseContext, client};

fuzz_target!(|data: &[u8]| {
    let line = String::from_utf8_lossy(data);
    let _ = client::parse(&line, &ParseContext { default_year: 2026 });
});
