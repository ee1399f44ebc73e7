//! The line splitter: the input (first two bytes choose the line cap and a
//! chunk size) gives the same lines fed whole as fed in chunks, and no piece
//! is longer than the cap or contains a newline.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpnwatch::source::lines::LineSplitter;

fn split(stream: &[u8], chunk: usize, max_line: usize) -> (Vec<(Vec<u8>, bool)>, u64) {
    let mut s = LineSplitter::new(max_line);
    let mut got = Vec::new();
    for c in stream.chunks(chunk.max(1)) {
        s.feed_marked(c, |l, cont| got.push((l.to_vec(), cont)));
    }
    s.finish_marked(|l, cont| got.push((l.to_vec(), cont)));
    (got, s.long_line_splits)
}

fuzz_target!(|data: &[u8]| {
    let [max, chunk, stream @ ..] = data else {
        return;
    };
    let max_line = usize::from(*max) + 1;
    let whole = split(stream, stream.len().max(1), max_line);
    let chunked = split(stream, usize::from(*chunk) + 1, max_line);
    assert_eq!(whole, chunked);
    for (piece, _) in &whole.0 {
        assert!(piece.len() <= max_line);
        assert!(!piece.contains(&b'\n'));
    }
});
