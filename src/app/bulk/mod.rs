//! The fast whole-file reader behind `vpnwatch scan`: a file is cut into
//! large blocks that worker threads (the calling thread among them) read
//! and parse in parallel, and their results are applied to the incident in
//! file order by the calling thread ([`Lead`]), so the incident is exactly
//! what a line-by-line pass would build.
//!
//! * A line belongs to the block that holds the `\n` before it. A worker
//!   skips its block's bytes up to the first `\n` and reads past the
//!   block's end to finish its last line, through the same [`LineSplitter`]
//!   as every other reader, so lines (and the pieces of overlong lines) are
//!   the same whatever the block size.
//! * Workers ship only what the engine needs: events for which
//!   [`Incident::only_counts`] holds (most firewall traffic) are reduced to a
//!   count, and the time of the block's last line when it is one of them,
//!   the only time the engine's clock takes from them (see
//!   [`Incident::latest`]: a run's time goes when an event that is more
//!   than counted follows it, so the reader never reads it); the others
//!   are kept as they are when their line is in the file's memory map
//!   (their text is the map's, which lives until every block is applied),
//!   else their line is
//!   copied once into a per-block arena and the event's fields are ranges
//!   of it (see `ship`). With one thread, the reader applies them to
//!   the incident at once instead (see [`Sink`]). Nothing else is retained,
//!   and a mapped file's pages leave the process once applied
//!   ([`Release`]), so memory stays at the results in flight (about four
//!   per thread, see `pool_cap`), their blocks, and up to
//!   [`RELEASE_BYTES`](crate::source::mapped::RELEASE_BYTES) of the map, whatever the file size.
//! * A plain line (its message id has no extractor in the catalogue) is
//!   known by its tag and id alone ([`StreamParser::is_plain`]): its header
//!   is not read, except when it is the last recognised line of the piece
//!   being split (a mapped block's own bytes, or the line after them; a
//!   read block's 256 KiB pieces), whose time the clock may need.
//! * Blocks come from a memory map of the file when it is safe, else from
//!   positioned reads into buffers the workers own ([`FileBytes`]: a file
//!   being written, a pipe, a network file system, or a file that changes
//!   while it is read, are read).
//!
//! This module reads blocks into results; `ship` is where a block's events
//! go (kept for a later turn, or straight into the incident), and
//! `order` applies the results in file order on the calling thread and
//! recycles them.

mod order;
mod place;
mod ship;

use std::borrow::Cow;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use jiff::Timestamp;

use crate::engine::Incident;
use crate::parse::{ParseContext, StreamParser};
use crate::source::lines::{DEFAULT_MAX_LINE, LineRuns, LineSplitter, Run};
use crate::source::mapped::{FileBytes, MapPolicy, Release};
use crate::vocab::{Event, Family, TimeFrom};
use order::{Handover, Lead, Pool, StopOnPanic};
use ship::{Shipment, Sink};

/// Bytes per block: large enough that per-block overhead vanishes (a
/// block's locks and hand-over were +0.2 % instructions at this size
/// against 8 MiB, with a `madvise` a block then; see [`Release`] now),
/// small enough that the results in flight stay small. Every page of a block's result is touched fresh the first time a
/// pooled result grows to hold it, and a first touch is a page fault: on
/// the 2 M-line file 2 MiB blocks take about 800 fewer faults than 8 MiB
/// (system time 36 → 28 ms, peak RSS 33 → 19 MiB), and the last block, the
/// one a worker may finish alone, is a quarter as long (BENCHMARKS.md,
/// §16.20).
pub const DEFAULT_BLOCK_BYTES: usize = 2 * 1024 * 1024;

/// How the bulk reader splits its work.
#[derive(Clone, Copy, Debug)]
pub struct BulkOptions {
    /// Worker threads; 1 parses on the calling thread, with no workers.
    pub threads: usize,
    pub block_bytes: usize,
    pub max_line: usize,
    /// Whether the file may be memory-mapped (see [`FileBytes`]).
    pub map: MapPolicy,
}

impl Default for BulkOptions {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        // A knob for benchmarks (single- against multi-threaded runs).
        let threads = std::env::var("VPNWATCH_SCAN_THREADS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(cores);
        BulkOptions {
            threads: threads.clamp(1, 8),
            block_bytes: DEFAULT_BLOCK_BYTES,
            max_line: DEFAULT_MAX_LINE,
            map: MapPolicy::default(),
        }
    }
}

/// Line counts of one file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BulkCounts {
    pub lines: u64,
    pub recognised: u64,
}

/// What was read of one block: its counts, and its events in `out`.
#[derive(Debug, Default)]
struct BlockResult<S> {
    counts: BulkCounts,
    out: S,
    /// Counted-only events after the last shipped one.
    counted_after: u64,
    /// The time of the last of them, once known (see `unread`).
    counted_last: Option<Timestamp>,
    /// The last of them, when it is a plain line whose time was not read
    /// yet: where it is in the piece being split. Its time is read only if
    /// no recognised line follows it in the piece (one nearly always
    /// does), before the piece's bytes go.
    unread: Option<(usize, usize)>,
}

impl BlockResult<Shipment<'_>> {
    /// Empties the result for the next block, keeping its buffers'
    /// capacity.
    fn reset(&mut self) {
        let mut out = std::mem::take(&mut self.out);
        out.arena.clear();
        out.events.clear();
        *self = BlockResult {
            out,
            ..BlockResult::default()
        };
    }

    /// Applies the block to the incident, in line order.
    fn apply(&self, incident: &mut Incident) -> BulkCounts {
        self.out.apply(incident);
        incident.count_events(self.counted_after, self.counted_last);
        self.counts
    }
}

impl<'a> BlockResult<&'a mut Incident> {
    /// A block read straight into `incident`.
    fn direct(incident: &'a mut Incident) -> Self {
        BlockResult {
            counts: BulkCounts::default(),
            out: incident,
            counted_after: 0,
            counted_last: None,
            unread: None,
        }
    }

    /// The block's last counted events go to the incident, as
    /// [`BlockResult::apply`] gives them.
    fn finish(self) -> BulkCounts {
        self.out.count_events(self.counted_after, self.counted_last);
        self.counts
    }
}

impl<'m, S: Sink<'m>> BlockResult<S> {
    /// Plain lines of the piece being split (see [`LineRuns`]): each is
    /// recognised and only counted; the time of the last is read only if no
    /// recognised line follows it in the piece (see `unread`).
    fn plain_run(&mut self, run: Run) {
        self.counts.lines += run.lines;
        self.counts.recognised += run.lines;
        self.counted_after += run.lines;
        self.unread = Some(run.last);
    }

    /// A line that is not a whole line of the piece being split (joined
    /// from two pieces, or a piece of a cut line).
    fn line(&mut self, bytes: &[u8], family: Family, ctx: &ParseContext, p: &mut StreamParser) {
        if p.is_plain(bytes, family) {
            self.counts.lines += 1;
            self.counts.recognised += 1;
            self.counted_after += 1;
            self.read_now(bytes, family, ctx, p);
            return;
        }
        self.parse(bytes, family, ctx, p);
    }

    /// A plain line joined from two pieces: its time is read now.
    #[cold]
    #[inline(never)]
    fn read_now(&mut self, bytes: &[u8], family: Family, ctx: &ParseContext, p: &mut StreamParser) {
        self.unread = None;
        self.counted_last = with_event(bytes, family, ctx, p, |ev, _| ev.ts).flatten();
    }

    /// A line that is not plain: counted and parsed in full, out of line
    /// so that the split loop stays small. `bytes` are in a buffer that
    /// will be reused: the sink copies what it keeps.
    #[inline(never)]
    fn parse(&mut self, bytes: &[u8], family: Family, ctx: &ParseContext, p: &mut StreamParser) {
        let text = crate::source::lines::lossy(bytes);
        self.parse_text(&text, family, ctx, p, |out, counted, ev, line| {
            out.event(counted, &ev, line);
        });
    }

    /// [`parse`](Self::parse) for a line of the file's map: its event is
    /// kept as it is, with no copy (unless the line is not UTF-8, and its
    /// text a lossy copy).
    #[inline(never)]
    fn parse_mapped(
        &mut self,
        bytes: &'m [u8],
        family: Family,
        ctx: &ParseContext,
        p: &mut StreamParser,
    ) {
        match crate::source::lines::lossy(bytes) {
            Cow::Borrowed(text) => self.parse_text(text, family, ctx, p, |out, counted, ev, _| {
                out.mapped_event(counted, ev);
            }),
            Cow::Owned(text) => self.parse_text(&text, family, ctx, p, |out, counted, ev, line| {
                out.event(counted, &ev, line);
            }),
        }
    }

    /// Counts and parses `text`, a line; `ship` hands an event that is more
    /// than counted to the sink.
    #[inline(always)]
    fn parse_text<'t>(
        &mut self,
        text: &'t str,
        family: Family,
        ctx: &ParseContext,
        p: &mut StreamParser,
        ship: impl FnOnce(&mut S, u64, Event<'t>, &'t str),
    ) {
        self.counts.lines += 1;
        let Some(ev) = parse_dated(text, family, ctx, p) else {
            return;
        };
        self.counts.recognised += 1;
        // The plain line left unread, if any, is not the last counted
        // event any more: its time is never needed (see
        // `Incident::latest`). An unrecognised line leaves it the last.
        self.unread = None;
        if Incident::only_counts(&ev) {
            self.counted_after += 1;
            self.counted_last = ev.ts;
        } else {
            // Nor is the run's time before an event that is more than
            // counted: the event takes the run's place in the clock.
            let counted = std::mem::take(&mut self.counted_after);
            self.counted_last = None;
            ship(&mut self.out, counted, ev, text);
        }
    }

    /// Reads the time of the plain line left unread in `piece`, if any.
    fn read_unread(
        &mut self,
        piece: &[u8],
        family: Family,
        ctx: &ParseContext,
        p: &mut StreamParser,
    ) {
        if let Some((at, len)) = self.unread.take() {
            let bytes = piece.get(at..at + len).unwrap_or_default();
            // A plain line's event is its header's time and host: read the
            // header alone, as the full parse would (`plain_time` is tested
            // against it).
            self.counted_last = match p.plain_time(bytes, family, ctx) {
                Some((ts, missing)) => time_or_now(ts, missing),
                None => with_event(bytes, family, ctx, p, |ev, _| ev.ts).flatten(),
            };
        }
    }
}

/// Reads a whole file and applies every recognised line to `incident`.
/// `None` (and nothing read) when `path` is not a regular file.
pub fn scan_file(
    path: &Path,
    family: Family,
    ctx: &ParseContext,
    incident: &mut Incident,
    opts: BulkOptions,
) -> io::Result<Option<BulkCounts>> {
    scan_prefix(path, u64::MAX, family, ctx, incident, opts, &mut |_| {})
}

/// [`scan_file`] for the lines that start in the first `limit` bytes (the
/// dashboard's backlog: `limit` is a line start), calling `progress` with the
/// bytes applied so far after each block.
pub fn scan_prefix(
    path: &Path,
    limit: u64,
    family: Family,
    ctx: &ParseContext,
    incident: &mut Incident,
    opts: BulkOptions,
    progress: &mut dyn FnMut(u64),
) -> io::Result<Option<BulkCounts>> {
    let file = FileBytes::open(path, opts.map)?;
    if !file.is_file() {
        // A pipe or device has no length to cut into blocks.
        return Ok(None);
    }
    let len = file.len().min(limit);
    let block = opts.block_bytes.max(1) as u64;
    let blocks = usize::try_from(len.div_ceil(block)).unwrap_or(usize::MAX);
    let total = if opts.threads <= 1 || blocks <= 1 {
        // Straight into the incident: a read error part-way leaves the
        // blocks before it (and part of the failing one) applied, as it
        // leaves the blocks before it applied with workers. Every caller
        // drops the incident on an error; one that keeps it must not take
        // it for the whole file.
        let mut total = BulkCounts::default();
        let mut buf = Vec::new();
        let mut release = Release::default();
        for i in 0..blocks {
            let r = BlockResult::direct(&mut *incident);
            let r = read_block(&file, i, len, family, ctx, opts, &mut buf, r)?;
            add(&mut total, r.finish());
            let upto = ((i as u64 + 1) * block).min(len);
            release.used_through(&file, upto, len);
            progress(upto);
        }
        total
    } else {
        let next = AtomicUsize::new(0);
        let workers = opts.threads.min(blocks);
        let pool = Pool::new(pool_cap(workers));
        let handover = Handover::new();
        let shared = Shared {
            file: &file,
            next: &next,
            pool: &pool,
            handover: &handover,
            blocks,
            len,
            family,
            ctx,
            opts,
            #[cfg(test)]
            fail_at: tests::FAIL_AT.get(),
        };
        std::thread::scope(|scope| {
            // From here a panic on this thread (a parser's bug, or the
            // caller's `progress`) must stop the workers, or the scope
            // would wait for them forever.
            let _stop = StopOnPanic(&pool, &handover);
            // The calling thread is one of the workers: a thread more than
            // there are cores would take turns with them, and each turn
            // costs the caches the other had filled.
            let lead_cpu = place::current_cpu();
            let shared = &shared;
            for _ in 1..workers {
                // A thread the system refuses (a limit on processes) is one
                // worker fewer: the lead can read every block alone.
                let spawned = std::thread::Builder::new()
                    .name("vpnwatch-scan".into())
                    .spawn_scoped(scope, move || {
                        place::leave_cpu(lead_cpu);
                        shared.work()
                    });
                if spawned.is_err() {
                    break;
                }
            }
            // A new thread queued on this CPU, behind this busy thread, may
            // run now (a yield is a hint), and it moves to another CPU first
            // thing (see `place`).
            std::thread::yield_now();
            Lead::new(&mut *incident, progress).run(shared)
        })?
    };
    if family == Family::Headend && total.recognised > 0 {
        // Lines that only count never reach the engine one by one.
        incident.note_headend_seen();
    }
    Ok(Some(total))
}

/// How many block results a scan with `workers` threads may have in
/// flight: each worker builds one, one is being applied, and three per
/// worker may wait. The lead applies in bursts (it finishes the block it is
/// reading first); with one result waiting per worker, as before, the
/// other worker waited 3-7 ms of a 35 ms scan for one to come back, and
/// with three it waits nearly never (BENCHMARKS.md, §16.24).
fn pool_cap(workers: usize) -> usize {
    4 * workers + 1
}

/// What every thread of one scan shares.
struct Shared<'s> {
    file: &'s FileBytes,
    /// The next block not taken yet.
    next: &'s AtomicUsize,
    pool: &'s Pool<'s>,
    handover: &'s Handover<'s>,
    blocks: usize,
    len: u64,
    family: Family,
    ctx: &'s ParseContext,
    opts: BulkOptions,
    /// A block whose read fails, for the tests of a failure part-way.
    #[cfg(test)]
    fail_at: Option<usize>,
}

impl<'s> Shared<'s> {
    /// Reads block `i` into `r`, an empty result.
    fn read(
        &self,
        i: usize,
        buf: &mut Vec<u8>,
        r: BlockResult<Shipment<'s>>,
    ) -> io::Result<BlockResult<Shipment<'s>>> {
        #[cfg(test)]
        if self.fail_at == Some(i) {
            return Err(io::Error::other("a read failed for the test"));
        }
        let (family, ctx, opts) = (self.family, self.ctx, self.opts);
        read_block(self.file, i, self.len, family, ctx, opts, buf, r)
    }

    /// One worker besides the lead: reads the next block not taken yet,
    /// hands it over, and goes on until no block is left or the pool is
    /// stopped.
    fn work(&self) {
        let _stop = StopOnPanic(self.pool, self.handover);
        let mut buf = Vec::new();
        // The result is taken before the block number, so the block the
        // lead waits for is always held by a worker or handed over.
        while let Some(r) = self.pool.take() {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            if i >= self.blocks {
                self.pool.give(r);
                break;
            }
            let r = self.read(i, &mut buf, r);
            self.handover.put(i, r);
        }
    }
}

fn add(total: &mut BulkCounts, c: BulkCounts) {
    total.lines += c.lines;
    total.recognised += c.recognised;
}

/// Read size within a block: small enough that a piece is still in the
/// CPU cache when it is split and parsed right after the read.
const PIECE: usize = 256 * 1024;

/// First read size for the bytes of a line that crosses a block's edge: a
/// line is nearly always shorter. Each further read for the same line is
/// twice as large, up to [`PIECE`], so a long stretch without a line end
/// (a preallocated, zero-filled tail) costs a few reads, not thousands.
const EDGE: usize = 4096;

/// The next edge read size after one of `size` found no line end.
fn grow_edge(size: usize) -> usize {
    size.saturating_mul(2).min(PIECE)
}

/// Parses the lines of block `i` (bytes `i*block .. (i+1)*block`) into
/// `result`, an empty one (see [`Pool`]).
///
/// A line belongs to the block that holds the `\n` before it (the file's
/// first line to the first block): a block skips its bytes up to its first
/// `\n`, and reads on past its end to the end of the line that holds the
/// byte after it. Both edges are found in the block's own bytes and the
/// next block's, never the previous block's: a mapped block's pages may
/// leave the process as soon as it is applied (see [`Release`]), and the
/// next block is applied after this one, so no page is touched after it
/// left (touching one maps the whole large folio of the page cache it lies
/// in, up to 2 MiB, where nothing would release it again).
#[allow(clippy::too_many_arguments)]
fn read_block<'m, S: Sink<'m>>(
    file: &'m FileBytes,
    i: usize,
    len: u64,
    family: Family,
    ctx: &ParseContext,
    opts: BulkOptions,
    buf: &mut Vec<u8>,
    mut result: BlockResult<S>,
) -> io::Result<BlockResult<S>> {
    let block = opts.block_bytes.max(1) as u64;
    let start = i as u64 * block;
    let end = (start + block).min(len);
    // The block, and the start of the next one for the end of the line
    // that holds the byte after it: nearly always shorter than `EDGE`.
    let wanted = (end + EDGE as u64).min(len);
    let mut parser = StreamParser::default();
    let mut splitter = LineSplitter::new(opts.max_line);
    // Whether the block's first `\n` is still to be found.
    let mut skipping = i > 0;
    // Whether the line that holds the byte after the block (a block before
    // the last) has been read to its end.
    let mut after_done = end == len;
    let mut pos = start;
    while pos < end {
        // A mapped block is split in one piece: there is no copy to keep
        // in the CPU cache. Read ones go in pieces of `PIECE`, the last
        // with the bytes past the block.
        let want = if file.mapped() || end - pos <= PIECE as u64 {
            wanted - pos
        } else {
            PIECE as u64
        } as usize;
        let piece = match file.mapped_piece(pos, want) {
            Some(mapped) => Piece::Mapped(mapped),
            None => Piece::Read(file.read(buf, pos, want)?),
        };
        let buf = piece.bytes();
        if buf.is_empty() {
            break; // truncated while we read
        }
        let own_end = ((end - pos) as usize).min(buf.len());
        pos += own_end as u64;
        let mut own_start = 0;
        if skipping {
            match memchr::memchr(b'\n', buf.get(..own_end).unwrap_or_default()) {
                Some(nl) => {
                    skipping = false;
                    own_start = nl + 1;
                }
                None => own_start = own_end,
            }
        }
        let own = piece.part(own_start..own_end);
        feed(&mut splitter, own, &mut result, family, ctx, &mut parser);
        if pos == end && !skipping && !after_done {
            // The line that holds the byte after the block, or what of it
            // was read with the block.
            let next = buf.get(own_end..).unwrap_or_default();
            let line_len = memchr::memchr(b'\n', next).map_or(next.len(), |nl| nl + 1);
            let line = piece.part(own_end..own_end + line_len);
            after_done = line.bytes().last() == Some(&b'\n');
            feed(&mut splitter, line, &mut result, family, ctx, &mut parser);
            pos += line_len as u64;
        }
    }
    if skipping {
        // No `\n` in the block: no line of its own.
        return Ok(result);
    }
    // The rest of a line longer than what was read past the block, or of
    // the last line of a read that stops short of the file's end (`len` is
    // a limit): read, not mapped, so that no page past `len` comes into
    // the process.
    let mut size = EDGE;
    while !after_done || !splitter.pending().is_empty() {
        let buf = file.read(buf, pos, size)?;
        size = grow_edge(size);
        if buf.is_empty() {
            splitter.finish(|line| result.line(line, family, ctx, &mut parser));
            break;
        }
        let piece_len = memchr::memchr(b'\n', buf).map_or(buf.len(), |nl| nl + 1);
        let buf = buf.get(..piece_len).unwrap_or(buf);
        feed(
            &mut splitter,
            Piece::Read(buf),
            &mut result,
            family,
            ctx,
            &mut parser,
        );
        pos += piece_len as u64;
        after_done = buf.last() == Some(&b'\n');
    }
    // The block's pages leave the process once it is applied (`Release`).
    Ok(result)
}

/// Bytes to split: a piece of the file's map, whose events may keep its
/// text, or of a read buffer, which will be reused.
#[derive(Clone, Copy)]
enum Piece<'b, 'm> {
    Mapped(&'m [u8]),
    Read(&'b [u8]),
}

impl<'b, 'm> Piece<'b, 'm> {
    fn bytes(self) -> &'b [u8]
    where
        'm: 'b,
    {
        match self {
            Piece::Mapped(bytes) => bytes,
            Piece::Read(bytes) => bytes,
        }
    }

    /// The bytes of `range`, from the same place.
    fn part(self, range: std::ops::Range<usize>) -> Self {
        match self {
            Piece::Mapped(bytes) => Piece::Mapped(bytes.get(range).unwrap_or_default()),
            Piece::Read(bytes) => Piece::Read(bytes.get(range).unwrap_or_default()),
        }
    }

    /// The map's bytes, when the piece is the map's.
    fn mapped(self) -> Option<&'m [u8]> {
        match self {
            Piece::Mapped(bytes) => Some(bytes),
            Piece::Read(_) => None,
        }
    }
}

/// Splits one piece into lines and parses them.
fn feed<'m>(
    splitter: &mut LineSplitter,
    piece: Piece<'_, 'm>,
    result: &mut BlockResult<impl Sink<'m>>,
    family: Family,
    ctx: &ParseContext,
    parser: &mut StreamParser,
) {
    // Only headend logs have plain lines: for the others the split loop
    // asks nothing of a line before emitting it.
    let mapped = piece.mapped();
    let bytes = piece.bytes();
    if family == Family::Headend {
        splitter.feed_runs(
            bytes,
            &mut PieceReader::<_, true>::new(result, mapped, family, ctx, parser),
        );
    } else {
        splitter.feed_runs(
            bytes,
            &mut PieceReader::<_, false>::new(result, mapped, family, ctx, parser),
        );
    }
    // The piece's bytes go (a read buffer is reused) after this.
    result.read_unread(bytes, family, ctx, parser);
}

/// One piece's lines going into a block's result: plain lines (see
/// [`StreamParser::is_plain`]) in runs, which the split loop counts
/// without a call; every other whole line of the piece straight to
/// [`BlockResult::parse_mapped`] when the piece is the map's, else to
/// [`BlockResult::parse`] (the split loop has asked about it already);
/// lines joined from two pieces and pieces of cut lines through
/// [`BlockResult::line`], which asks itself.
/// `HEADEND`: the lines are a headend's, the one family with plain lines.
struct PieceReader<'r, 'm, S, const HEADEND: bool> {
    result: &'r mut BlockResult<S>,
    /// The piece with the map's life, when it is the map's: its whole
    /// lines' events are kept with no copy.
    mapped: Option<&'m [u8]>,
    family: Family,
    ctx: &'r ParseContext,
    parser: &'r mut StreamParser,
}

impl<'r, 'm, S, const HEADEND: bool> PieceReader<'r, 'm, S, HEADEND> {
    fn new(
        result: &'r mut BlockResult<S>,
        mapped: Option<&'m [u8]>,
        family: Family,
        ctx: &'r ParseContext,
        parser: &'r mut StreamParser,
    ) -> Self {
        PieceReader {
            result,
            mapped,
            family,
            ctx,
            parser,
        }
    }
}

impl<'m, S: Sink<'m>, const HEADEND: bool> LineRuns for PieceReader<'_, 'm, S, HEADEND> {
    #[inline(always)]
    fn in_run(&mut self, line: &[u8]) -> bool {
        HEADEND && self.parser.is_plain(line, Family::Headend)
    }

    fn end_run(&mut self, run: Run) {
        self.result.plain_run(run);
    }

    #[inline(always)]
    fn line(&mut self, line: &[u8], _: bool, _: usize, at: Option<usize>) {
        let (family, ctx) = (self.family, self.ctx);
        match at {
            // A whole line of the piece: `in_run` said it is not plain.
            Some(at) => match self.mapped.and_then(|m| m.get(at..at + line.len())) {
                Some(line) => self.result.parse_mapped(line, family, ctx, self.parser),
                None => self.result.parse(line, family, ctx, self.parser),
            },
            None => self.result.line(line, family, ctx, self.parser),
        }
    }
}

/// Calls `f` with the event of one line as the line-by-line reader gets
/// it, and with the text it was parsed from: the text (lossy when not
/// UTF-8) parsed, and a line with no time of its own given the time it is
/// read, as the record reader does (see `RecordReader`). `None` when the
/// line is not recognised.
fn with_event<R>(
    bytes: &[u8],
    family: Family,
    ctx: &ParseContext,
    p: &mut StreamParser,
    f: impl FnOnce(&Event, &str) -> R,
) -> Option<R> {
    let text = crate::source::lines::lossy(bytes);
    let ev = parse_dated(&text, family, ctx, p)?;
    Some(f(&ev, &text))
}

/// The event of `text`, a line, as the line-by-line reader gets it (see
/// [`with_event`]).
#[inline(always)]
fn parse_dated<'t>(
    text: &'t str,
    family: Family,
    ctx: &ParseContext,
    p: &mut StreamParser,
) -> Option<Event<'t>> {
    let mut ev = p.parse(text, family, ctx)?;
    if ev.ts_from == TimeFrom::Missing && ev.ts.is_none() {
        ev.ts = time_or_now(None, true);
        ev.ts_from = TimeFrom::Read;
    }
    Some(ev)
}

/// A line without a time of its own (no header) is dated when it is read.
fn time_or_now(ts: Option<Timestamp>, missing: bool) -> Option<Timestamp> {
    match ts {
        None if missing => Some(Timestamp::now()),
        ts => ts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        /// The block whose read fails in the scans this thread starts.
        pub(super) static FAIL_AT: std::cell::Cell<Option<usize>> =
            const { std::cell::Cell::new(None) };
    }

    /// A headend log of 4,000 lines in `dir`: a failure per user every few
    /// lines, so that blocks applied out of order would give other last
    /// causes and times.
    fn headend_log(dir: &Path) -> std::path::PathBuf {
        use std::io::Write;

        let path = dir.join("headend.log");
        let mut f = std::fs::File::create(&path).unwrap();
        // A failure per user every few lines, so that blocks applied out of
        // order would give other last causes and times.
        for n in 0..4000u32 {
            let line = if n % 7 == 0 {
                format!(
                    "Jun 01 2026 10:{:02}:{:02} fw1 : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.0.0.5 : user = u{}\n",
                    n / 60 % 60,
                    n % 60,
                    n % 13
                )
            } else {
                format!(
                    "Jun 01 2026 10:{:02}:{:02} fw1 : %ASA-6-302013: Built outbound TCP connection {n} for outside:10.0.0.1/443 (10.0.0.1/443) to inside:10.1.0.1/5000 (10.1.0.1/5000)\n",
                    n / 60 % 60,
                    n % 60
                )
            };
            f.write_all(line.as_bytes()).unwrap();
        }
        path
    }

    /// Blocks of one page: a hundred or so of them.
    fn small_blocks(threads: usize) -> BulkOptions {
        BulkOptions {
            threads,
            block_bytes: 4096,
            max_line: DEFAULT_MAX_LINE,
            map: MapPolicy::Never,
        }
    }

    /// [`scan_prefix`] of the whole of a headend log of 2026 at `path`.
    fn scan_all(
        path: &Path,
        opts: BulkOptions,
        incident: &mut Incident,
        progress: &mut dyn FnMut(u64),
    ) -> io::Result<Option<BulkCounts>> {
        let ctx = ParseContext::for_year(2026);
        scan_prefix(
            path,
            u64::MAX,
            Family::Headend,
            &ctx,
            incident,
            opts,
            progress,
        )
    }

    /// A mapped block's whole UTF-8 lines are kept as they are, with no
    /// copy; a line joined across the block's edge, one that is not UTF-8,
    /// and every line of a read block are copied, and read back the same.
    #[test]
    fn only_events_of_reused_buffers_are_copied() {
        use std::io::Write;

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("edge.log");
        let mut f = std::fs::File::create(&path).unwrap();
        let line = |user: &str| {
            format!(
                "Jun 01 2026 10:00:00 fw1 : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.0.0.5 : user = {user}\n"
            )
        };
        let first = line("mapped");
        f.write_all(first.as_bytes()).unwrap();
        f.write_all(b"Jun 01 2026 10:00:01 fw1 : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.0.0.5 : user = caf\xe9\n").unwrap();
        // The block ends inside this line: it is finished from the next
        // block's bytes.
        f.write_all(line("across").as_bytes()).unwrap();
        f.set_modified(std::time::SystemTime::now() - 10 * crate::source::mapped::QUIET)
            .unwrap();
        drop(f);
        let block_bytes = first.len() * 2 + 40;
        let ctx = ParseContext::for_year(2026);
        let read = |map: MapPolicy| {
            let file = FileBytes::open(&path, map).unwrap();
            let opts = BulkOptions {
                threads: 2,
                block_bytes,
                max_line: DEFAULT_MAX_LINE,
                map,
            };
            let len = file.len();
            let r = read_block(
                &file,
                0,
                len,
                Family::Headend,
                &ctx,
                opts,
                &mut Vec::new(),
                BlockResult::<Shipment>::default(),
            )
            .unwrap();
            let kinds: Vec<&str> = r
                .out
                .events
                .iter()
                .map(|e| match e.kept {
                    ship::Kept::Mapped(_) => "mapped",
                    ship::Kept::Copied(_) => "copied",
                })
                .collect();
            let mut incident = Incident::default();
            r.apply(&mut incident);
            let mut users: Vec<String> = incident.users().map(|(key, _)| key.to_string()).collect();
            users.sort();
            (kinds, users)
        };
        let (kinds, users) = read(MapPolicy::Auto);
        assert_eq!(kinds, ["mapped", "copied", "copied"]);
        assert_eq!(users, ["across", "caf\u{fffd}", "mapped"]);
        let (kinds, read_users) = read(MapPolicy::Never);
        assert_eq!(kinds, ["copied"; 3]);
        assert_eq!(read_users, users);
    }

    #[test]
    fn a_prefix_holds_the_lines_that_start_before_its_limit() {
        use std::io::Write;

        // The dashboard counts the part of a file before its backlog, which
        // starts at a line: a line that starts at the limit is the
        // backlog's, one that starts before it is the count's, read to its
        // end past the limit.
        let dir = tempfile::tempdir().unwrap();
        let path = headend_log(dir.path());
        // Lines longer than a block and than the bytes read past a block's
        // end with it, among the log's.
        let mut f = std::fs::File::options().append(true).open(&path).unwrap();
        for n in 0..6 {
            writeln!(
                f,
                "Jun 01 2026 11:00:0{n} fw1 : %ASA-6-302013: Built outbound TCP connection {n} for outside:10.0.0.1/443 {}",
                "x".repeat(9000)
            )
            .unwrap();
            writeln!(
                f,
                "Jun 01 2026 11:00:0{n} fw1 : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.0.0.5 : user = long{n}"
            )
            .unwrap();
        }
        // Quiet, so that it is mapped with `MapPolicy::Auto`.
        f.set_modified(std::time::SystemTime::now() - 10 * crate::source::mapped::QUIET)
            .unwrap();
        drop(f);
        let file = FileBytes::open(&path, MapPolicy::Auto).unwrap();
        assert_eq!(
            file.decision(),
            crate::source::mapped::MapDecision::Map,
            "a temporary directory is on a local file system: mapped"
        );
        drop(file);
        let bytes = std::fs::read(&path).unwrap();
        let len = bytes.len() as u64;
        let starts: Vec<u64> = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', &bytes).map(|nl| nl as u64 + 1))
            .filter(|&at| at < len)
            .collect();
        // At block boundaries, at, before and after line starts close to
        // them (block i's end is where its last line is finished), inside
        // the long lines, and the whole file.
        let mut limits = vec![1, 4095, 4096, 4097, 3 * 4096, len - 5000, len - 1, len];
        for m in [1u64, 2, 5, 17] {
            let first = starts.iter().copied().find(|&at| at >= m * 4096).unwrap();
            limits.extend([first - 1, first, first + 1]);
        }
        let ctx = ParseContext::for_year(2026);
        let scan = |limit: u64, opts: BulkOptions| {
            let mut incident = Incident::default();
            let counts = scan_prefix(
                &path,
                limit,
                Family::Headend,
                &ctx,
                &mut incident,
                opts,
                &mut |_| {},
            )
            .unwrap()
            .unwrap();
            (counts, incident.totals())
        };
        for limit in limits {
            let want = starts.iter().filter(|&&at| at < limit).count() as u64;
            // The prefix in one block: no block edge but the limit's.
            let whole = scan(
                limit,
                BulkOptions {
                    block_bytes: bytes.len() + 1,
                    ..small_blocks(1)
                },
            );
            assert_eq!(whole.0.lines, want, "limit {limit}, one block");
            for (threads, map) in [
                (1, MapPolicy::Never),
                (2, MapPolicy::Never),
                (1, MapPolicy::Auto),
                (2, MapPolicy::Auto),
            ] {
                let opts = BulkOptions {
                    map,
                    ..small_blocks(threads)
                };
                assert_eq!(
                    scan(limit, opts),
                    whole,
                    "limit {limit}, {threads} threads, {map:?}: lines, recognised lines and totals"
                );
            }
        }
    }

    #[test]
    fn workers_apply_blocks_in_file_order_and_report_each_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = headend_log(dir.path());
        let len = std::fs::metadata(&path).unwrap().len();
        let scan = |threads: usize| {
            let opts = small_blocks(threads);
            let mut incident = Incident::default();
            let mut seen = Vec::new();
            let counts = scan_all(&path, opts, &mut incident, &mut |done| seen.push(done))
                .unwrap()
                .unwrap();
            (counts, seen, incident)
        };
        let (one, _, alone) = scan(1);
        for threads in [2, 3] {
            let (counts, seen, incident) = scan(threads);
            assert_eq!(counts, one, "{threads} threads");
            let blocks = len.div_ceil(4096);
            let want: Vec<u64> = (1..=blocks).map(|b| (b * 4096).min(len)).collect();
            assert_eq!(
                seen, want,
                "{threads} threads: one report per block, in order"
            );
            assert_eq!(incident.totals(), alone.totals(), "{threads} threads");
            assert_eq!(incident.latest(), alone.latest(), "{threads} threads");
        }
    }

    #[test]
    fn a_failed_read_part_way_stops_every_worker_after_the_blocks_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = headend_log(dir.path());
        FAIL_AT.set(Some(20));
        for threads in [2, 3] {
            let mut seen = Vec::new();
            let err = scan_all(
                &path,
                small_blocks(threads),
                &mut Incident::default(),
                &mut |done| seen.push(done),
            )
            .unwrap_err();
            assert_eq!(err.to_string(), "a read failed for the test");
            let before: Vec<u64> = (1..=20).map(|b| b * 4096).collect();
            assert_eq!(
                seen, before,
                "{threads} threads: the blocks before it, once each, in order"
            );
        }
        FAIL_AT.set(None);
    }

    #[test]
    fn a_panic_on_the_calling_thread_stops_the_workers() {
        let dir = tempfile::tempdir().unwrap();
        let path = headend_log(dir.path());
        for threads in [2, 3] {
            let mut calls = 0;
            // The caller's progress fails part-way: the workers, which wait
            // for results only the calling thread gives back, must end,
            // and the panic come back to the caller.
            let scan = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                scan_all(
                    &path,
                    small_blocks(threads),
                    &mut Incident::default(),
                    &mut |_| {
                        calls += 1;
                        assert!(calls < 3, "a bug in the caller's progress");
                    },
                )
            }));
            assert!(scan.is_err(), "{threads} threads");
            assert_eq!(calls, 3, "{threads} threads");
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_mapped_files_pages_leave_the_process_in_file_order() {
        use std::io::Write;

        use crate::source::mapped::tests::mapped_resident_kib;
        use crate::source::mapped::{MapDecision, QUIET, RELEASE_BYTES};

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("archived.log");
        let line = "<166>Jun 01 2026 10:00:00 fw1 : %ASA-6-302013: Built outbound TCP connection 1 for outside:10.0.0.1/443 (10.0.0.1/443) to inside:10.1.0.1/5000 (10.1.0.1/5000)\n";
        let chunk = line.repeat((1 << 20) / line.len());
        // Two and a half releases' worth.
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let mut len = 0u64;
        while len < 5 * RELEASE_BYTES / 2 {
            f.write_all(chunk.as_bytes()).unwrap();
            len += chunk.len() as u64;
        }
        let f = f.into_inner().unwrap();
        f.set_modified(std::time::SystemTime::now() - 10 * QUIET)
            .unwrap();
        drop(f);
        // A temporary directory is on a local file system: the file is
        // mapped, or this test would prove nothing (as `tests/bulk_scan.rs`).
        let file = FileBytes::open(&path, MapPolicy::Auto).unwrap();
        assert_eq!(file.decision(), MapDecision::Map);
        drop(file);
        let block = 1u64 << 20;
        for threads in [1, 2] {
            let opts = BulkOptions {
                threads,
                block_bytes: block as usize,
                max_line: DEFAULT_MAX_LINE,
                map: MapPolicy::Auto,
            };
            // The file's pages in the process as each block is applied.
            let mut resident = Vec::new();
            let counts = scan_all(&path, opts, &mut Incident::default(), &mut |done| {
                resident.push((done, mapped_resident_kib(&path)))
            })
            .unwrap()
            .unwrap();
            assert_eq!(counts.lines * line.len() as u64, len);
            let peak = resident.iter().map(|&(_, kib)| kib).max().unwrap();
            assert!(peak > 0, "{threads} threads: the blocks came from the map");
            // A release's worth of applied blocks, and the results in
            // flight (the pool's cap, or the one block of a lone reader)
            // with the one being read past it.
            let in_flight = if threads > 1 { pool_cap(threads) } else { 1 };
            let bound = (RELEASE_BYTES + (in_flight as u64 + 1) * block) / 1024;
            assert!(
                peak <= bound,
                "{threads} threads: {peak} KiB resident, more than {bound}"
            );
            assert_eq!(
                resident.last(),
                Some(&(len, 0)),
                "{threads} threads: none once every block is applied"
            );
        }
    }
}
