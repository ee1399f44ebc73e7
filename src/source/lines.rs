//! Splitting a byte stream into lines, whatever the chunk boundaries.
//!
//! [`LineSplitter`] is the one place where bytes become lines, for followed
//! files, stdin and the headless whole-file reader [`for_each_line`]. Lines
//! are raw bytes (logs are not guaranteed to be UTF-8); the terminator `\n`
//! and one `\r` before it are removed. [`Batcher`] packs lines into the
//! [`LineBatch`]es that sources send.
//!
//! A line longer than `max_line` bytes is cut into pieces of `max_line` bytes,
//! each emitted (and numbered) as a line of its own: one runaway line must
//! neither exhaust memory nor make a source stop following its file. The
//! pieces do not depend on how the stream was chunked. The `*_marked`
//! methods also say which pieces continue a cut line, so a pane can mark them.

use std::io::{self, Read};

use std::sync::Arc;

use super::{FileKey, FileSpan, LineBatch, SourceId, SourceMsg};

/// Longest line kept in one piece (64 KiB); longer lines are cut.
pub const DEFAULT_MAX_LINE: usize = 64 * 1024;

/// Lines per [`LineBatch`] before it is sent without waiting for more input.
pub const DEFAULT_BATCH_LINES: usize = 4096;

/// A batch is also sent once it holds this many bytes, so that a run of long
/// lines cannot make one batch hundreds of megabytes.
pub const BATCH_MAX_BYTES: usize = 1024 * 1024;

/// Read size for [`for_each_line`].
const READ_CHUNK: usize = 256 * 1024;

/// What the `feed*` methods call per line: the line, its continuation mark,
/// its length in the stream and where it starts in the chunk (see
/// [`LineSplitter::feed_at`]); as a `dyn` on the paths that rarely run.
type EmitLocated<'a> = dyn FnMut(&[u8], bool, usize, Option<usize>) + 'a;

/// Turns arbitrary byte chunks into complete lines, keeping the unterminated
/// tail between calls.
#[derive(Debug)]
pub struct LineSplitter {
    max_line: usize,
    partial: Vec<u8>,
    /// Pieces of the line now in `partial` were already emitted.
    cut: bool,
    /// The line's start was emitted by [`settle_raw`](Self::settle_raw):
    /// what follows it before its `\n` is a continuation.
    settled: bool,
    /// How many times a line was cut because it exceeded `max_line` (a line
    /// cut into three pieces counts two).
    pub long_line_splits: u64,
}

/// Consecutive lines of one chunk that [`LineSplitter::feed_runs`] did not
/// emit: how many, and where the last of them is in the chunk (offset and
/// length, without its terminator).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Run {
    pub lines: u64,
    pub last: (usize, usize),
}

/// A reader of [`LineSplitter::feed_runs`]: most lines of a whole-file
/// read are only counted (firewall traffic), so the split loop asks
/// [`in_run`](Self::in_run) of each whole line of the chunk and, while it
/// says yes, only counts the line, keeping the run in registers; the run
/// goes to [`end_run`](Self::end_run) before the next line the reader gets
/// through [`line`](Self::line), and at the end of the chunk. Lines joined
/// from earlier chunks and pieces of cut lines always go to `line`.
pub trait LineRuns {
    /// Whether `line` only joins the current run.
    fn in_run(&mut self, line: &[u8]) -> bool;
    /// The lines `in_run` took since the last call.
    fn end_run(&mut self, run: Run);
    /// A line (or long-line piece): its continuation mark, its length in
    /// the stream (terminator included) and where it starts in the chunk
    /// when it is a slice of it (see [`LineSplitter::feed_at`]).
    fn line(&mut self, line: &[u8], continued: bool, raw: usize, at: Option<usize>);
}

/// The reader of the `feed*` methods that emit every line.
struct EveryPiece<F>(F);

impl<F: FnMut(&[u8], bool, usize, Option<usize>)> LineRuns for EveryPiece<F> {
    #[inline(always)]
    fn in_run(&mut self, _: &[u8]) -> bool {
        false
    }

    fn end_run(&mut self, _: Run) {}

    #[inline(always)]
    fn line(&mut self, line: &[u8], continued: bool, raw: usize, at: Option<usize>) {
        (self.0)(line, continued, raw, at);
    }
}

/// [`EveryPiece`] for [`LineSplitter::feed_at`]'s readers.
struct EveryLine<F>(F);

impl<F: FnMut(&[u8], Option<usize>)> LineRuns for EveryLine<F> {
    #[inline(always)]
    fn in_run(&mut self, _: &[u8]) -> bool {
        false
    }

    fn end_run(&mut self, _: Run) {}

    #[inline(always)]
    fn line(&mut self, line: &[u8], _: bool, _: usize, at: Option<usize>) {
        (self.0)(line, at);
    }
}

impl Default for LineSplitter {
    fn default() -> Self {
        LineSplitter::new(DEFAULT_MAX_LINE)
    }
}

impl LineSplitter {
    /// `max_line` is clamped to at least 1.
    pub fn new(max_line: usize) -> Self {
        LineSplitter {
            max_line: max_line.max(1),
            partial: Vec::new(),
            cut: false,
            settled: false,
            long_line_splits: 0,
        }
    }

    /// Feeds the next chunk of the stream; `emit` is called once per complete
    /// line (or long-line piece), in order.
    pub fn feed(&mut self, chunk: &[u8], mut emit: impl FnMut(&[u8])) {
        self.feed_marked(chunk, |line, _| emit(line));
    }

    /// [`feed`](Self::feed), also telling `emit` whether a piece continues
    /// a cut line (true for every piece but the first).
    pub fn feed_marked(&mut self, chunk: &[u8], mut emit: impl FnMut(&[u8], bool)) {
        self.feed_raw(chunk, |line, continued, _| emit(line, continued));
    }

    /// [`feed_marked`](Self::feed_marked), also telling `emit` how many
    /// bytes of the stream the piece stands for (its terminator included),
    /// so a file source knows where each line is in its file.
    pub fn feed_raw(&mut self, chunk: &[u8], mut emit: impl FnMut(&[u8], bool, usize)) {
        self.feed_located(chunk, |line, continued, raw, _| emit(line, continued, raw));
    }

    /// [`feed`](Self::feed), also telling `emit` where in `chunk` a line
    /// starts when it is a slice of `chunk` as it is (`None` for lines
    /// joined from earlier chunks, and for pieces of cut lines), so a reader
    /// can come back to a line of the chunk after later ones without
    /// copying it.
    pub fn feed_at(&mut self, chunk: &[u8], emit: impl FnMut(&[u8], Option<usize>)) {
        self.feed_runs(chunk, &mut EveryLine(emit));
    }

    /// [`feed_at`](Self::feed_at) for a reader that only counts most lines
    /// (see [`LineRuns`]): the lines of the chunk its `in_run` takes are
    /// not emitted but handed over in runs. Inlined: the reader's per-line
    /// work belongs in the split loop.
    #[inline]
    pub fn feed_runs(&mut self, chunk: &[u8], reader: &mut impl LineRuns) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            unsafe { self.feed_runs_avx2(chunk, reader) };
            return;
        }
        self.feed_runs_with(newlines(chunk), chunk, reader);
    }

    /// The one loop behind the `feed*` methods, for those that want each
    /// line's continuation mark and length in the stream too.
    fn feed_located(&mut self, chunk: &[u8], emit: impl FnMut(&[u8], bool, usize, Option<usize>)) {
        let mut every = EveryPiece(emit);
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            unsafe { self.feed_runs_avx2(chunk, &mut every) };
            return;
        }
        self.feed_runs_with(newlines(chunk), chunk, &mut every);
    }

    /// [`feed_runs`](Self::feed_runs) compiled for AVX2, where the line
    /// ends are found 32 bytes per instruction: the line split runs on
    /// every byte of a whole-file read, and the reader's per-line work
    /// (inlined here) gets the wider instructions too.
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn feed_runs_avx2(&mut self, chunk: &[u8], reader: &mut impl LineRuns) {
        // SAFETY: this function is only called where the CPU has AVX2.
        let ends = unsafe { NewlineMasks::avx2(chunk) };
        self.feed_runs_with(ends, chunk, reader);
    }

    /// The body of [`feed_runs`](Self::feed_runs), given the offsets of
    /// the line ends in `chunk`.
    #[inline(always)]
    fn feed_runs_with(
        &mut self,
        ends: impl Iterator<Item = usize>,
        chunk: &[u8],
        reader: &mut impl LineRuns,
    ) {
        // One pass over the chunk for every line end (a search per line
        // costs a call and a set-up each).
        let mut ends = ends;
        let mut start = 0;
        if !self.partial.is_empty() || self.cut || self.settled {
            // The first line was begun in an earlier chunk, or its start
            // was already emitted: it goes out whole or as a continuation.
            if let Some(pos) = ends.next() {
                let head = chunk.get(..pos).unwrap_or_default();
                self.finish_pending(head, &mut |l, c, r, a| reader.line(l, c, r, a));
                start = pos + 1;
            }
        }
        // From here on (`emit_line` leaves nothing pending or cut) every
        // line lies whole in this chunk: the loop that runs on every line
        // of a whole-file read checks only its length, keeps the current
        // run in locals, and calls the reader in one place for the lines it
        // emits (the rare cases go through `dyn` calls out of line), so
        // that the reader's methods are inlined into it.
        let max_line = self.max_line;
        let mut run = Run::default();
        for pos in ends {
            // `ends` are the chunk's `\n`s in order: `start <= pos < len`.
            let head = &chunk[start..pos];
            let line = match head.split_last() {
                Some((b'\r', line)) => line,
                _ => head,
            };
            if line.len() <= max_line && reader.in_run(line) {
                run.lines += 1;
                run.last = (start, line.len());
            } else {
                if run.lines > 0 {
                    reader.end_run(std::mem::take(&mut run));
                }
                if line.len() <= max_line {
                    reader.line(line, false, pos + 1 - start, Some(start));
                } else {
                    self.emit_long(head, &mut |l, c, r, a| reader.line(l, c, r, a));
                }
            }
            start = pos + 1;
        }
        if run.lines > 0 {
            reader.end_run(run);
        }
        let rest = chunk.get(start..).unwrap_or_default();
        if !rest.is_empty() {
            self.keep_tail(rest, &mut |l, c, r, a| reader.line(l, c, r, a));
        }
    }

    /// The first line of a chunk when it completes the pending bytes, or
    /// continues a line whose start was emitted.
    #[inline(never)]
    fn finish_pending(&mut self, head: &[u8], emit: &mut EmitLocated<'_>) {
        let mut line = std::mem::take(&mut self.partial);
        line.extend_from_slice(head);
        self.emit_line(&line, 1, &mut |l, c, r| emit(l, c, r, None));
        // Keep the allocation for the next partial line.
        line.clear();
        self.partial = line;
    }

    /// A whole line of the chunk longer than `max_line` (`head` is it with
    /// its `\r`, if any): cut into pieces.
    #[cold]
    #[inline(never)]
    fn emit_long(&mut self, head: &[u8], emit: &mut EmitLocated<'_>) {
        self.emit_line(head, 1, &mut |l, c, r| emit(l, c, r, None));
    }

    /// Keeps the chunk's unterminated tail `rest` for the next chunk.
    #[inline(never)]
    fn keep_tail(&mut self, rest: &[u8], emit: &mut EmitLocated<'_>) {
        self.partial.extend_from_slice(rest);
        // Cut pieces off an overlong unterminated line now rather than
        // buffering it whole. A trailing `\r` may turn out to be part of the
        // terminator, so it does not count towards the length; a piece is cut
        // only while more than `max_line` bytes are certainly content, which
        // keeps the pieces independent of chunk boundaries.
        let mut start = 0;
        while self.committed_len() - start > self.max_line {
            let continued = self.cut || std::mem::take(&mut self.settled);
            emit(
                &self.partial[start..start + self.max_line],
                continued,
                self.max_line,
                None,
            );
            // The first piece cut from the line is not a split yet: the
            // count is of cuts, made when the next piece follows.
            if self.cut {
                self.long_line_splits += 1;
            }
            self.cut = true;
            start += self.max_line;
        }
        if start > 0 {
            self.partial.drain(..start);
        }
    }

    /// Emits the unterminated tail, if any, as a final line (end of input, or
    /// the file it came from is gone).
    pub fn finish(&mut self, mut emit: impl FnMut(&[u8])) {
        self.finish_marked(|line, _| emit(line));
    }

    /// [`finish`](Self::finish) with continuation marks.
    pub fn finish_marked(&mut self, mut emit: impl FnMut(&[u8], bool)) {
        self.finish_raw(|line, continued, _| emit(line, continued));
    }

    /// [`finish_marked`](Self::finish_marked) with stream lengths (see
    /// [`feed_raw`](Self::feed_raw)).
    pub fn finish_raw(&mut self, mut emit: impl FnMut(&[u8], bool, usize)) {
        if self.partial.is_empty() {
            // Whatever comes next (a truncated or rotated file's first
            // line) starts a line of its own: no continuation of the last.
            self.cut = false;
            self.settled = false;
            return;
        }
        let line = std::mem::take(&mut self.partial);
        self.emit_line(&line, 0, &mut emit);
    }

    /// Emits the unterminated tail, if any, as a line while the stream goes
    /// on: a followed file that has stopped growing with no `\n` at its end
    /// (an exported log, a file saved by an editor) would otherwise never
    /// have its last line counted, where a whole-file read counts it at the
    /// end of input. Should the line go on after all, the rest is emitted
    /// as a continuation (`continued`), as the pieces of a cut line are.
    /// Returns whether a line was emitted.
    pub fn settle_raw(&mut self, mut emit: impl FnMut(&[u8], bool, usize)) -> bool {
        if self.partial.is_empty() {
            return false;
        }
        let line = std::mem::take(&mut self.partial);
        self.emit_line(&line, 0, &mut emit);
        self.settled = true;
        // Keep the allocation for the next partial line.
        self.partial = line;
        self.partial.clear();
        true
    }

    /// Bytes received after the last complete line (not yet emitted).
    pub fn pending(&self) -> &[u8] {
        &self.partial
    }

    /// Length of `partial` that is certainly line content.
    fn committed_len(&self) -> usize {
        match self.partial.last() {
            Some(b'\r') => self.partial.len() - 1,
            _ => self.partial.len(),
        }
    }

    /// `newline`: 1 when the line ended at a `\n`, 0 at the end of input.
    fn emit_line(
        &mut self,
        line: &[u8],
        newline: usize,
        emit: &mut impl FnMut(&[u8], bool, usize),
    ) {
        let cut = std::mem::take(&mut self.cut);
        let continued = cut || std::mem::take(&mut self.settled);
        if cut {
            // The previous piece was cut from this line.
            self.long_line_splits += 1;
        }
        let (line, terminator) = match line.strip_suffix(b"\r") {
            Some(line) => (line, newline + 1),
            None => (line, newline),
        };
        if line.len() <= self.max_line {
            emit(line, continued, line.len() + terminator);
            return;
        }
        let mut pieces = line.chunks(self.max_line).peekable();
        let mut first = true;
        while let Some(piece) = pieces.next() {
            if !first {
                self.long_line_splits += 1;
            }
            let last = pieces.peek().is_none();
            let raw = piece.len() + if last { terminator } else { 0 };
            emit(piece, continued || !first, raw);
            first = false;
        }
    }
}

/// Asks the CPU for the cache line at `p`: a hint, which reads nothing and
/// never faults, wherever it points (a no-op off x86-64). For reads whose
/// next address the hardware cannot guess: bytes past a 4 KiB page in the
/// line split, rows in another order than memory's in `scan`'s report.
#[inline(always)]
pub(crate) fn prefetch(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch only hints; it is allowed at any address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// A line as text: `String::from_utf8_lossy`, but valid UTF-8 (nearly
/// every log line) is recognised by a SIMD check (`simdutf8`, 32 bytes at
/// a time; std's goes a word at a time, the lossy decoder byte by byte).
/// Readers that turn every line into text use this.
#[inline]
pub fn lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// The offsets of every `\n` in `chunk`, in order.
///
/// On x86-64, 64 bytes at a time are compared with SSE2 (part of every
/// x86-64 CPU) into a 64-bit mask whose set bits are walked: a few
/// instructions per line, where a `memchr` call per line costs its set-up
/// each time (lines are short; this runs on every line of a whole-file
/// read). Elsewhere, `memchr`'s iterator.
fn newlines(chunk: &[u8]) -> impl Iterator<Item = usize> + '_ {
    #[cfg(target_arch = "x86_64")]
    {
        NewlineMasks::<false> {
            chunk,
            base: 0,
            next: 0,
            mask: 0,
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        memchr::memchr_iter(b'\n', chunk)
    }
}

/// See [`newlines`]: `mask` holds the `\n`s of the (up to) 64 bytes at
/// offset `base` not yet returned; `chunk` is what follows them, at `next`.
/// `AVX2`: the masks are made with AVX2 instructions; such a walk is only
/// made by [`NewlineMasks::avx2`], whose callers have checked that the CPU
/// has AVX2 (see [`LineSplitter::feed_runs_avx2`]).
#[cfg(target_arch = "x86_64")]
struct NewlineMasks<'a, const AVX2: bool> {
    chunk: &'a [u8],
    base: usize,
    next: usize,
    mask: u64,
}

#[cfg(target_arch = "x86_64")]
impl<'a> NewlineMasks<'a, true> {
    /// The walk over `chunk`'s line ends that finds them with AVX2.
    ///
    /// # Safety
    /// The CPU must have AVX2: the walk runs AVX2 instructions.
    unsafe fn avx2(chunk: &'a [u8]) -> Self {
        NewlineMasks {
            chunk,
            base: 0,
            next: 0,
            mask: 0,
        }
    }
}

#[cfg(target_arch = "x86_64")]
impl<const AVX2: bool> Iterator for NewlineMasks<'_, AVX2> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        loop {
            if self.mask != 0 {
                let bit = self.mask.trailing_zeros() as usize;
                self.mask &= self.mask - 1;
                return Some(self.base + bit);
            }
            let (taken, mask) = match self.chunk.first_chunk::<64>() {
                // SAFETY: a walk with `AVX2` set is only made by
                // `NewlineMasks::avx2`, whose callers checked the CPU has it.
                Some(block) if AVX2 => (64, unsafe { newline_mask_avx2(block) }),
                Some(block) => (64, newline_mask(block)),
                None if self.chunk.is_empty() => return None,
                None => {
                    let mut mask = 0u64;
                    for (i, &b) in self.chunk.iter().enumerate() {
                        mask |= u64::from(b == b'\n') << i;
                    }
                    (self.chunk.len(), mask)
                }
            };
            self.base = self.next;
            self.next += taken;
            self.chunk = self.chunk.get(taken..).unwrap_or_default();
            self.mask = mask;
        }
    }
}

/// How far ahead of the mask walk its bytes are asked for.
#[cfg(target_arch = "x86_64")]
const PREFETCH_AHEAD: usize = 4096;

/// Bit `i` set when `block[i]` is `\n`.
#[cfg(target_arch = "x86_64")]
#[inline]
fn newline_mask(block: &[u8; 64]) -> u64 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    // SAFETY: SSE2 is part of the x86-64 baseline; each load reads 16 of
    // the 64 bytes `block` holds (unaligned loads are allowed).
    unsafe {
        // The hardware prefetcher stops at each 4 KiB page; a whole-file
        // read is bound by memory, so ask for the bytes a little ahead (a
        // prefetch is a hint: it never faults, wherever it points).
        prefetch(block.as_ptr().wrapping_add(PREFETCH_AHEAD));
        let nl = _mm_set1_epi8(b'\n' as i8);
        let p = block.as_ptr().cast::<__m128i>();
        let m = |i: usize| {
            let v = _mm_loadu_si128(p.add(i));
            u64::from(_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl)) as u16)
        };
        m(0) | (m(1) << 16) | (m(2) << 32) | (m(3) << 48)
    }
}

/// [`newline_mask`] with AVX2: two 32-byte compares instead of four
/// 16-byte ones.
///
/// # Safety
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn newline_mask_avx2(block: &[u8; 64]) -> u64 {
    use std::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_set1_epi8,
    };
    // See `newline_mask` on the prefetch.
    prefetch(block.as_ptr().wrapping_add(PREFETCH_AHEAD));
    let nl = _mm256_set1_epi8(b'\n' as i8);
    let p = block.as_ptr().cast::<__m256i>();
    // SAFETY: each load reads 32 of the 64 bytes `block` holds (unaligned
    // loads are allowed).
    let (lo, hi) = unsafe { (_mm256_loadu_si256(p), _mm256_loadu_si256(p.add(1))) };
    let m = |v| u64::from(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, nl)) as u32);
    m(lo) | (m(hi) << 32)
}

/// Reads `reader` to its end and calls `f(line_no, line)` for every line
/// (1-based numbers; pieces of a cut long line are numbered as lines). A
/// final line without `\n` is included.
pub fn for_each_line(
    mut reader: impl Read,
    max_line: usize,
    mut f: impl FnMut(u64, &[u8]),
) -> io::Result<()> {
    let mut splitter = LineSplitter::new(max_line);
    let mut buf = vec![0u8; READ_CHUNK];
    let mut line_no = 0u64;
    let mut emit = |line: &[u8]| {
        line_no += 1;
        f(line_no, line);
    };
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        splitter.feed(&buf[..n], &mut emit);
    }
    splitter.finish(&mut emit);
    Ok(())
}

/// Whether a piece is only the end of a line already sent whole: the `\n`
/// of a line [`LineSplitter::settle_raw`] took as it was (the writer was
/// slow with its terminator). It is no line: counting it would number every
/// later line one higher than a whole-file read does, and show an empty
/// continuation row. (Pieces of cut lines are never empty.)
fn is_bare_end(line: &[u8], continued: bool) -> bool {
    continued && line.is_empty()
}

/// Packs lines into [`LineBatch`]es with running line numbers and moves full
/// batches into an outbox of [`SourceMsg`]s.
#[derive(Debug)]
pub struct Batcher {
    id: SourceId,
    batch_lines: usize,
    batch: LineBatch,
    next_line: u64,
    /// Origin stamped on every batch (see [`LineBatch::set_origin`]).
    origin: Option<Arc<str>>,
    /// The file being read and the offset of the next line in it, for
    /// [`LineBatch::span`]; `None` for streams that cannot be re-read.
    file: Option<(Arc<FileKey>, u64)>,
}

impl Batcher {
    /// Numbering starts at 1; `batch_lines` is clamped to at least 1.
    pub fn new(id: SourceId, batch_lines: usize) -> Self {
        Batcher {
            id,
            batch_lines: batch_lines.max(1),
            batch: LineBatch::new(1),
            next_line: 1,
            origin: None,
            file: None,
        }
    }

    /// Every line from now on comes from `origin` (a file of a glob).
    pub fn set_origin(&mut self, origin: Arc<str>) {
        self.batch.set_origin(origin.clone());
        self.origin = Some(origin);
    }

    /// Lines from now on are read from `file`, the next one at `offset`.
    /// Flushes first: a batch spans one file.
    pub fn set_file(&mut self, file: Option<(Arc<FileKey>, u64)>, out: &mut Vec<SourceMsg>) {
        self.flush(out);
        self.file = file;
    }

    /// Bytes of the file that are not lines (NULs skipped before the first).
    pub fn skip_bytes(&mut self, n: u64, out: &mut Vec<SourceMsg>) {
        self.flush(out);
        if let Some((_, offset)) = &mut self.file {
            *offset += n;
        }
    }

    /// [`push_piece`](Self::push_piece) for a line that stood for `raw`
    /// bytes of the file (see [`LineSplitter::feed_raw`]).
    pub fn push_raw(&mut self, line: &[u8], continued: bool, raw: usize, out: &mut Vec<SourceMsg>) {
        if is_bare_end(line, continued) {
            self.skip_bytes(raw as u64, out);
            return;
        }
        if let Some((file, offset)) = &mut self.file {
            let end = *offset + raw as u64;
            match &mut self.batch.span {
                Some(span) => span.end = end,
                None => {
                    self.batch.span = Some(FileSpan {
                        file: file.clone(),
                        start: *offset,
                        end,
                    })
                }
            }
            *offset = end;
        }
        self.push_piece(line, continued, out);
    }

    /// Adds one line; sends the batch to `out` once it is full.
    pub fn push(&mut self, line: &[u8], out: &mut Vec<SourceMsg>) {
        self.push_piece(line, false, out);
    }

    /// Adds one line or piece of a cut line (`continued`: not the first).
    pub fn push_piece(&mut self, line: &[u8], continued: bool, out: &mut Vec<SourceMsg>) {
        if is_bare_end(line, continued) {
            return;
        }
        if self.batch.is_empty() {
            self.batch.first_line = self.next_line;
            if let Some(origin) = &self.origin {
                self.batch.set_origin(origin.clone());
            }
        }
        self.batch.push_piece(line, continued);
        self.next_line += 1;
        if self.batch.len() >= self.batch_lines || self.batch.byte_len() >= BATCH_MAX_BYTES {
            self.flush(out);
        }
    }

    /// Sends the batch to `out` if it holds any line.
    pub fn flush(&mut self, out: &mut Vec<SourceMsg>) {
        if !self.batch.is_empty() {
            let batch = std::mem::replace(&mut self.batch, LineBatch::new(self.next_line));
            out.push(SourceMsg::Lines(self.id, batch));
        }
    }

    /// Flushes, then numbers the following lines from 1 (a new file).
    pub fn restart_numbering(&mut self, out: &mut Vec<SourceMsg>) {
        self.flush(out);
        self.next_line = 1;
    }

    /// Number the next line will get.
    pub fn next_line(&self) -> u64 {
        self.next_line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_all(chunks: &[&[u8]], max_line: usize) -> (Vec<Vec<u8>>, Vec<u8>) {
        let mut s = LineSplitter::new(max_line);
        let mut lines = Vec::new();
        for c in chunks {
            s.feed(c, |l| lines.push(l.to_vec()));
        }
        let pending = s.pending().to_vec();
        s.finish(|l| lines.push(l.to_vec()));
        (lines, pending)
    }

    fn strs(lines: &[Vec<u8>]) -> Vec<&str> {
        lines
            .iter()
            .map(|l| std::str::from_utf8(l).unwrap())
            .collect()
    }

    #[test]
    fn splits_lf_and_crlf_and_keeps_empty_lines() {
        let (lines, pending) = split_all(&[b"a\r\nb\n\n\r\nc\rd\n"], 100);
        assert_eq!(strs(&lines), ["a", "b", "", "", "c\rd"]);
        assert!(pending.is_empty());
    }

    #[test]
    fn final_line_without_newline_is_pending_until_finish() {
        let mut s = LineSplitter::new(100);
        let mut lines = Vec::new();
        s.feed(b"one\ntw", |l| lines.push(l.to_vec()));
        assert_eq!(strs(&lines), ["one"]);
        assert_eq!(s.pending(), b"tw");
        s.feed(b"o", |l| lines.push(l.to_vec()));
        assert_eq!(s.pending(), b"two");
        s.finish(|l| lines.push(l.to_vec()));
        assert_eq!(strs(&lines), ["one", "two"]);
        assert!(s.pending().is_empty());
        // Nothing pending: finish emits nothing (no phantom empty line).
        s.finish(|_| panic!("unexpected line"));
    }

    #[test]
    fn final_cr_is_stripped_at_finish() {
        let (lines, _) = split_all(&[b"x\r"], 100);
        assert_eq!(strs(&lines), ["x"]);
    }

    #[test]
    fn crlf_split_across_chunks() {
        let (lines, pending) = split_all(&[b"ab\r", b"\ncd\r", b"\n"], 100);
        assert_eq!(strs(&lines), ["ab", "cd"]);
        assert!(pending.is_empty());
        // A lone `\r` chunk followed by `\n`.
        let (lines, _) = split_all(&[b"ab", b"\r", b"\n", b"\r", b"\n"], 100);
        assert_eq!(strs(&lines), ["ab", ""]);
    }

    #[test]
    fn long_lines_are_cut_into_pieces_and_counted() {
        let mut s = LineSplitter::new(4);
        let mut lines = Vec::new();
        s.feed(b"abcdefghij\nabcd\nabcdefgh\r\n", |l| {
            lines.push(l.to_vec())
        });
        assert_eq!(strs(&lines), ["abcd", "efgh", "ij", "abcd", "abcd", "efgh"]);
        assert_eq!(s.long_line_splits, 3);
    }

    #[test]
    fn unterminated_long_line_is_cut_while_streaming() {
        let mut s = LineSplitter::new(4);
        let mut lines = Vec::new();
        s.feed(b"abcdefghij", |l| lines.push(l.to_vec()));
        assert_eq!(strs(&lines), ["abcd", "efgh"]);
        assert_eq!(s.pending(), b"ij");
        // Exactly max_line pending bytes: the line might end here, so no
        // piece is cut yet (otherwise an empty line would follow).
        let mut s = LineSplitter::new(4);
        s.feed(b"abcd", |_| panic!("cut too early"));
        s.feed(b"\r", |_| panic!("cut too early"));
        s.feed(b"\n", |l| assert_eq!(l, b"abcd"));
        assert_eq!(s.long_line_splits, 0);
    }

    /// Every way of cutting a stream into two or three chunks yields the same
    /// lines, pieces and split count as feeding it whole.
    #[test]
    fn any_chunking_gives_the_same_lines() {
        let stream: &[u8] = b"a\r\n\r\nlong-line-here\nxy\r\r\n\n\rq\r\n0123456789\r\nz";
        let mut located = 0;
        for max_line in [1, 2, 3, 4, 5, 100] {
            let mut whole = LineSplitter::new(max_line);
            let mut expected = Vec::new();
            whole.feed(stream, |l| expected.push(l.to_vec()));
            whole.finish(|l| expected.push(l.to_vec()));
            for i in 0..=stream.len() {
                for j in i..=stream.len() {
                    let mut s = LineSplitter::new(max_line);
                    let mut got = Vec::new();
                    for c in [&stream[..i], &stream[i..j], &stream[j..]] {
                        s.feed_at(c, |l, at| {
                            // A located line is that slice of its chunk.
                            if let Some(at) = at {
                                assert_eq!(c.get(at..at + l.len()), Some(l));
                                located += 1;
                            }
                            got.push(l.to_vec());
                        });
                    }
                    s.finish(|l| got.push(l.to_vec()));
                    assert_eq!(got, expected, "max_line={max_line} split at {i},{j}");
                    assert_eq!(s.long_line_splits, whole.long_line_splits);
                }
            }
        }
        assert!(
            located > 1000,
            "lines inside a chunk are located: {located}"
        );
    }

    /// Feeds `stream` cut at `cuts`, returning every piece with its
    /// continuation mark, and the split count.
    fn split_marked(stream: &[u8], cuts: &[usize], max_line: usize) -> (Vec<(Vec<u8>, bool)>, u64) {
        let mut s = LineSplitter::new(max_line);
        let mut got = Vec::new();
        let mut at = 0;
        for &cut in cuts.iter().chain(std::iter::once(&stream.len())) {
            s.feed_marked(&stream[at..cut], |l, c| got.push((l.to_vec(), c)));
            at = cut;
        }
        s.finish_marked(|l, c| got.push((l.to_vec(), c)));
        (got, s.long_line_splits)
    }

    /// Streams of up to 400 bytes, thick with `\n` and `\r`.
    fn line_stream() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            proptest::prop_oneof![
                4 => proptest::prelude::any::<u8>(),
                2 => proptest::strategy::Just(b'\n'),
                2 => proptest::strategy::Just(b'\r'),
                4 => b'a'..=b'c',
            ],
            0..400,
        )
    }

    /// Cut offsets into a stream `len` bytes long, in order.
    fn cuts_within(mut cuts: Vec<usize>, len: usize) -> Vec<usize> {
        for c in &mut cuts {
            *c = (*c).min(len);
        }
        cuts.sort_unstable();
        cuts
    }

    proptest::proptest! {
        /// Any chunking of any byte stream gives the same lines, pieces,
        /// continuation marks and split count as feeding it whole; and the
        /// pieces put back together are the stream without its terminators.
        #[test]
        fn arbitrary_chunkings_give_the_same_lines(
            stream in line_stream(),
            cuts in proptest::collection::vec(0usize..=400, 0..24),
            max_line in 1usize..48,
        ) {
            let cuts = cuts_within(cuts, stream.len());
            let whole = split_marked(&stream, &[], max_line);
            let chunked = split_marked(&stream, &cuts, max_line);
            proptest::prop_assert_eq!(&chunked, &whole);
            for (piece, _) in &whole.0 {
                proptest::prop_assert!(piece.len() <= max_line);
                proptest::prop_assert!(!piece.contains(&b'\n'));
            }
            // Re-joining the pieces of each line gives the line.
            let mut lines: Vec<Vec<u8>> = Vec::new();
            for (piece, continued) in &whole.0 {
                match lines.last_mut() {
                    Some(last) if *continued => last.extend_from_slice(piece),
                    _ => lines.push(piece.clone()),
                }
            }
            let mut want: Vec<Vec<u8>> = stream
                .split(|&b| b == b'\n')
                .map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec())
                .collect();
            // The text after the last `\n` is a line only if non-empty.
            if want.last().is_some_and(|l| l.is_empty()) && stream.last().is_none_or(|&b| b == b'\n') {
                want.pop();
            }
            proptest::prop_assert_eq!(lines, want);
        }
    }

    proptest::proptest! {
        /// The mask walk finds the `\n`s `memchr` finds, wherever they sit
        /// against the 64-byte blocks.
        #[test]
        fn newlines_are_found_where_memchr_finds_them(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![1 => proptest::strategy::Just(b'\n'), 6 => proptest::prelude::any::<u8>()],
                0..300,
            ),
        ) {
            let want: Vec<usize> = memchr::memchr_iter(b'\n', &bytes).collect();
            proptest::prop_assert_eq!(newlines(&bytes).collect::<Vec<_>>(), want);
        }
    }

    /// Whether this machine can run the AVX2 path. CI's machines can: a
    /// test of that path must not pass there without running it.
    #[cfg(target_arch = "x86_64")]
    fn has_avx2() -> bool {
        let has = std::arch::is_x86_feature_detected!("avx2");
        assert!(
            has || std::env::var_os("CI").is_none(),
            "CI runs on CPUs with AVX2; without it the AVX2 line split goes untested"
        );
        has
    }

    /// Everything `feed_located` emits for `stream` cut at `cuts`, through
    /// the portable path or the AVX2 one.
    #[cfg(target_arch = "x86_64")]
    fn located(
        stream: &[u8],
        cuts: &[usize],
        max_line: usize,
        avx2: bool,
    ) -> Vec<(Vec<u8>, bool, usize, Option<usize>)> {
        let mut s = LineSplitter::new(max_line);
        let mut got = Vec::new();
        let mut at = 0;
        for &cut in cuts.iter().chain(std::iter::once(&stream.len())) {
            let chunk = &stream[at..cut];
            let emit = |l: &[u8], c: bool, raw: usize, off: Option<usize>| {
                got.push((l.to_vec(), c, raw, off))
            };
            if avx2 {
                // SAFETY: only called where `has_avx2` said yes.
                unsafe { s.feed_runs_avx2(chunk, &mut EveryPiece(emit)) };
            } else {
                s.feed_runs_with(newlines(chunk), chunk, &mut EveryPiece(emit));
            }
            at = cut;
        }
        got
    }

    #[cfg(target_arch = "x86_64")]
    proptest::proptest! {
        /// The AVX2 path finds the line ends `memchr` finds, and the
        /// splitter compiled for it emits what the portable one does (lines,
        /// marks, stream lengths and offsets), however the stream is cut.
        #[test]
        fn the_avx2_split_is_the_portable_one(
            stream in line_stream(),
            cuts in proptest::collection::vec(0usize..=400, 0..12),
            max_line in 1usize..96,
        ) {
            if has_avx2() {
                // SAFETY: the CPU has AVX2 (checked just above).
                let ends = unsafe { NewlineMasks::avx2(&stream) };
                let found: Vec<usize> = ends.collect();
                proptest::prop_assert_eq!(found, memchr::memchr_iter(b'\n', &stream).collect::<Vec<_>>());
                let cuts = cuts_within(cuts, stream.len());
                proptest::prop_assert_eq!(
                    located(&stream, &cuts, max_line, true),
                    located(&stream, &cuts, max_line, false)
                );
            }
        }
    }

    /// What a reader of `feed_runs` gets, in order.
    #[derive(Debug, PartialEq)]
    enum Got {
        Line(Vec<u8>, Option<usize>),
        Run(Run),
    }

    /// A [`LineRuns`] reader that takes the lines starting with `a` into
    /// runs and writes down everything it gets.
    struct Recorder(Vec<Got>);

    impl LineRuns for Recorder {
        fn in_run(&mut self, line: &[u8]) -> bool {
            line.first() == Some(&b'a')
        }
        fn end_run(&mut self, run: Run) {
            self.0.push(Got::Run(run));
        }
        fn line(&mut self, line: &[u8], _: bool, _: usize, at: Option<usize>) {
            self.0.push(Got::Line(line.to_vec(), at));
        }
    }

    proptest::proptest! {
        /// `feed_runs` hands over the lines `feed_at` emits, but those of
        /// the chunk its reader takes, in runs: each run's count and last
        /// line are those of the lines it stands for, and a run ends before
        /// the next line emitted and at the end of each chunk.
        #[test]
        fn runs_stand_for_the_lines_they_take(
            stream in line_stream(),
            cuts in proptest::collection::vec(0usize..=400, 0..12),
            max_line in 1usize..96,
        ) {
            let cuts = cuts_within(cuts, stream.len());
            let (mut runs, mut every) = (LineSplitter::new(max_line), LineSplitter::new(max_line));
            let mut at = 0;
            for &cut in cuts.iter().chain(std::iter::once(&stream.len())) {
                let chunk = &stream[at..cut];
                let mut got = Recorder(Vec::new());
                runs.feed_runs(chunk, &mut got);
                let mut want = Vec::new();
                let mut run = Run::default();
                every.feed_at(chunk, |line, at| match at {
                    Some(start) if line.first() == Some(&b'a') => {
                        run.lines += 1;
                        run.last = (start, line.len());
                    }
                    _ => {
                        if run.lines > 0 {
                            want.push(Got::Run(std::mem::take(&mut run)));
                        }
                        want.push(Got::Line(line.to_vec(), at));
                    }
                });
                if run.lines > 0 {
                    want.push(Got::Run(run));
                }
                proptest::prop_assert_eq!(got.0, want);
                at = cut;
            }
        }
    }

    #[test]
    fn lossy_text_is_what_the_lossy_decoder_gives() {
        for bytes in [
            &b"plain ascii"[..],
            "caf\u{e9}".as_bytes(),
            b"caf\xe9 \xff end",
            b"",
        ] {
            assert_eq!(lossy(bytes), String::from_utf8_lossy(bytes));
        }
        assert!(matches!(lossy(b"valid"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn a_settled_tail_is_a_line_and_what_follows_it_a_continuation() {
        let mut s = LineSplitter::new(100);
        let mut got = Vec::new();
        let mut push = |l: &[u8], c: bool, raw: usize| got.push((l.to_vec(), c, raw));
        s.feed_raw(b"one\ntw", &mut push);
        assert!(s.settle_raw(&mut push));
        assert!(!s.settle_raw(&mut push), "nothing left to settle");
        s.feed_raw(b"o\nthree\n", &mut push);
        let want: Vec<(Vec<u8>, bool, usize)> = vec![
            (b"one".to_vec(), false, 4),
            (b"tw".to_vec(), false, 2),
            (b"o".to_vec(), true, 2),
            (b"three".to_vec(), false, 6),
        ];
        assert_eq!(got, want);
        assert_eq!(s.long_line_splits, 0);
        // The continuation of a settled line that runs past `max_line` is
        // cut like any line, its first piece still marked.
        let mut s = LineSplitter::new(4);
        let mut got = Vec::new();
        let mut push = |l: &[u8], c: bool, _: usize| got.push((l.to_vec(), c));
        s.feed_raw(b"ab", &mut push);
        s.settle_raw(&mut push);
        s.feed_raw(b"cdefghij", &mut push);
        s.finish_raw(&mut push);
        let want: Vec<(Vec<u8>, bool)> = vec![
            (b"ab".to_vec(), false),
            (b"cdef".to_vec(), true),
            (b"ghij".to_vec(), true),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn byte_at_a_time() {
        let stream = b"alpha\r\nbeta\n\ngamma";
        let mut s = LineSplitter::new(100);
        let mut got = Vec::new();
        for b in stream {
            s.feed(std::slice::from_ref(b), |l| got.push(l.to_vec()));
        }
        s.finish(|l| got.push(l.to_vec()));
        assert_eq!(strs(&got), ["alpha", "beta", "", "gamma"]);
    }

    #[test]
    fn invalid_utf8_is_kept_as_bytes() {
        let (lines, _) = split_all(&[b"\xff\xfe\n\x00a\n"], 100);
        assert_eq!(lines, [b"\xff\xfe".to_vec(), b"\x00a".to_vec()]);
    }

    /// A reader that returns at most `step` bytes per call.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn for_each_line_numbers_lines_and_includes_the_last() {
        let data = b"one\r\ntwo\n\nfour";
        for step in [1, 2, 3, 1000] {
            let mut got = Vec::new();
            for_each_line(Trickle { data, step }, 100, |n, l| {
                got.push((n, String::from_utf8(l.to_vec()).unwrap()))
            })
            .unwrap();
            let want: Vec<(u64, String)> = [(1, "one"), (2, "two"), (3, ""), (4, "four")]
                .into_iter()
                .map(|(n, s)| (n, s.to_string()))
                .collect();
            assert_eq!(got, want, "step {step}");
        }
    }

    #[test]
    fn for_each_line_handles_input_larger_than_its_buffer() {
        let mut data = Vec::new();
        for i in 0..100_000 {
            data.extend_from_slice(format!("line {i}\n").as_bytes());
        }
        let mut count = 0u64;
        for_each_line(&data[..], DEFAULT_MAX_LINE, |n, l| {
            assert_eq!(l, format!("line {}", n - 1).as_bytes());
            count = n;
        })
        .unwrap();
        assert_eq!(count, 100_000);
    }

    #[test]
    fn for_each_line_reports_read_errors() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("boom"))
            }
        }
        let err = for_each_line(Failing, 10, |_, _| {}).unwrap_err();
        assert_eq!(err.to_string(), "boom");
    }

    #[test]
    fn batcher_numbers_across_batches_and_restarts() {
        let id = SourceId(3);
        let mut b = Batcher::new(id, 2);
        let mut out = Vec::new();
        for l in ["a", "b", "c"] {
            b.push(l.as_bytes(), &mut out);
        }
        b.flush(&mut out);
        b.restart_numbering(&mut out);
        b.push(b"d", &mut out);
        b.flush(&mut out);
        b.flush(&mut out); // no empty batch
        let got: Vec<(u64, Vec<(u64, String)>)> = out
            .iter()
            .map(|m| match m {
                SourceMsg::Lines(i, batch) => {
                    assert_eq!(*i, id);
                    let lines = batch
                        .lines()
                        .map(|(n, l)| (n, String::from_utf8(l.to_vec()).unwrap()))
                        .collect();
                    (batch.first_line, lines)
                }
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (1, vec![(1, "a".into()), (2, "b".into())]),
                (3, vec![(3, "c".into())]),
                (1, vec![(1, "d".into())]),
            ]
        );
    }

    #[test]
    fn batcher_flushes_on_bytes() {
        let mut b = Batcher::new(SourceId(0), usize::MAX);
        let mut out = Vec::new();
        let line = vec![b'x'; BATCH_MAX_BYTES / 2];
        b.push(&line, &mut out);
        assert!(out.is_empty());
        b.push(&line, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(b.next_line(), 3);
    }
}
