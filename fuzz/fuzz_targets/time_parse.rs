//! The syslog-header time parsers on arbitrary input: no panic, and the
//! length consumed never exceeds the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpnwatch::parse::time;

fuzz_target!(|data: &[u8]| {
    if let Some((_, n)) = time::parse_prefix_bytes(data, 2026) {
        assert!(n <= data.len());
    }
    let text = String::from_utf8_lossy(data);
    for parsed in [
        time::parse_prefix(&text, 2026),
        time::parse_us_prefix(&text),
        time::parse_logcat_prefix(&text, 2026),
    ]
    .into_iter()
    .flatten()
    {
        assert!(parsed.1 <= text.len());
    }
});
