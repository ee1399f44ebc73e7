//! TCP syslog framing (LF and octet counting): any chunking gives the same
//! messages, none is longer than the cap, and the header check never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpnwatch::source::syslog::{Framer, classify};

fn frames(stream: &[u8], chunk: usize, max: usize) -> (Vec<(Vec<u8>, bool)>, u64) {
    let mut f = Framer::new(max);
    let mut got = Vec::new();
    for c in stream.chunks(chunk.max(1)) {
        f.feed(c, |m, cut| got.push((m.to_vec(), cut)));
    }
    f.finish(|m, cut| got.push((m.to_vec(), cut)));
    (got, f.malformed)
}

fuzz_target!(|data: &[u8]| {
    let [max, chunk, stream @ ..] = data else {
        return;
    };
    let max = usize::from(*max) + 1;
    let whole = frames(stream, stream.len().max(1), max);
    let chunked = frames(stream, usize::from(*chunk) + 1, max);
    assert_eq!(whole, chunked);
    for (m, _) in &whole.0 {
        assert!(!m.is_empty() && m.len() <= max);
        let _ = classify(m);
    }
});
