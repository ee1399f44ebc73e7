//! Run-time wiring: opens inputs, starts sources, feeds the engine and runs
//! the dashboard or a headless command. The binary's `main` only turns the
//! command line into calls to this module.

pub mod actions;
pub mod bulk;
pub mod bundle;
pub mod clipboard;
pub mod console;
pub mod demo;
pub mod follow;
pub mod headless;
pub mod incident_cmd;
pub mod probe_cmd;
pub mod read;
pub mod recall;
pub mod report;
pub mod sources;
pub mod spool;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::parse::formats::{self, Format};
use crate::vocab::Family;

/// Fixes glibc's threshold for serving an allocation from its own mapping
/// at 128 KiB (its default start), so that freed large buffers go back to
/// the system. Every entry point calls this (or, for `scan`,
/// [`main_heap_on_huge_pages`]) first thing, before any other thread
/// starts: the binary's `main`, and the benchmarks and harnesses that
/// stand in for it, which must measure what
/// the commands do (a buffer of 128 KiB or more made afresh is then a new
/// mapping whose pages are all touched for the first time).
///
/// Why: glibc raises the threshold to the size of the largest such buffer
/// freed, after which large buffers come from heaps that keep their pages.
/// The bulk reader's per-block results (a few MiB each, from two worker
/// threads) under a million-name spray held 90 MiB of peak RSS for nothing
/// (BENCHMARKS.md, issue 12), and the dashboard's bursts (line batches,
/// 1 MiB line store chunks, the batch queue while a file is read from its
/// start) about 30 MiB over the line store with 1 M lines retained.
pub fn return_large_frees_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's tuning; glibc marks it
    // unsafe to call while other threads allocate, and every caller calls
    // it before any other thread exists (see above).
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// For a command that reads its files once, writes what it found and exits
/// (`scan`): the main thread's heap may be backed by transparent huge
/// pages, in place of the setting above. Call it on the main thread
/// before any other thread exists, as that one.
///
/// Why: such a command's memory only grows, and nearly all of it is
/// touched for the first time as the files are read. Each first touch of a
/// 4 KiB page is a page fault, 2–3 µs on a virtual machine, and each
/// growth of a buffer with a mapping of its own moves it with `mremap`,
/// which interrupts the other cores to flush their TLBs. On the 2 M-line
/// file that was some 1,500 faults and a few such moves on the main
/// thread, which applies every event to the incident (the users table,
/// the engine's indexes): the thread the scan's workers wait for. A 2 MiB
/// page is one fault and one zeroing (BENCHMARKS.md, §16.26).
///
/// How: glibc's allocator serves buffers below [`MMAP_THRESHOLD`] from
/// its heaps instead of mappings of their own, and grows a heap
/// [`TOP_PAD`] at a time (address space: only touched pages are resident).
/// Both settings hold for the whole process, the workers' heaps too, which
/// no longer give large buffers back to the system either. The main
/// thread's heap is grown once here and its growth marked `MADV_HUGEPAGE`,
/// which the kernel heeds when transparent huge pages are `always` or
/// `madvise` (the usual default) and ignores when they are `never`; the
/// one 2 MiB of it the allocator had written to before the mark (the heap
/// top's header) is collapsed into a huge page (`MADV_COLLAPSE`, Linux
/// 6.1 and later), or it would go on in 4 KiB pages. Only
/// that first growth is marked, what a scan of some 100,000 users takes;
/// a heap that outgrows it goes on in 4 KiB pages, as before. Resident
/// memory grows 2 MiB at a time: `scan`'s peak RSS on the 2 M-line file
/// went from 36 to 41 MiB, on the million-name spray from 253 to 272 MiB.
/// With the kernel's default `defrag` setting, a fault in a marked range
/// may first compact memory when free memory is fragmented: a rare stall.
/// The memory goes back to the system when the process exits, which for
/// these commands is right after.
pub fn main_heap_on_huge_pages() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's tuning (under its own
    // lock; the caller is the main thread, before any other exists);
    // sbrk(0) only reads where the main heap ends; the block allocated is
    // freed at once, never read or written by us; madvise(MADV_HUGEPAGE)
    // changes how the kernel backs a range of the heap, not its contents,
    // and fails harmlessly (ignored) on a range that is not mapped.
    unsafe {
        const HUGE_PAGE: usize = 2 << 20;
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        libc::mallopt(libc::M_TOP_PAD, TOP_PAD);
        let before = libc::sbrk(0) as usize;
        // Larger than the heap's top can be this early (a few hundred
        // KiB), so the heap grows now, by the pad; freed, the block is
        // part of the top again. (Through `black_box`: the compiler may
        // drop an allocation it sees freed unused.)
        const BLOCK: usize = 4 << 20;
        let block = std::hint::black_box(libc::malloc(BLOCK));
        libc::free(block);
        let after = libc::sbrk(0) as usize;
        // `sbrk` says (void*)-1 when it fails; then nothing is marked.
        let Some(start) = before.checked_next_multiple_of(HUGE_PAGE) else {
            return;
        };
        if after > start && after != usize::MAX {
            libc::madvise(
                start as *mut libc::c_void,
                after - start,
                libc::MADV_HUGEPAGE,
            );
            // Allocating the block wrote the header of the heap's top
            // just past it, before the range was marked: the 2 MiB that
            // lies in has a 4 KiB page already, and went on in 4 KiB
            // pages (512 faults). Collapsed into a huge page now (Linux
            // 6.1 and later; refused harmlessly before, and for a range
            // with no page at all, hence this one only), it takes none.
            let touched = (block as usize).saturating_add(BLOCK) / HUGE_PAGE * HUGE_PAGE;
            if !block.is_null() && touched >= start && touched < after {
                libc::madvise(touched as *mut libc::c_void, HUGE_PAGE, libc::MADV_COLLAPSE);
            }
        }
    }
}

/// The size from which a buffer gets a mapping of its own under
/// [`main_heap_on_huge_pages`]: the largest glibc accepted before 2.35.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 32 << 20;

/// How far a heap grows at a time under [`main_heap_on_huge_pages`].
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TOP_PAD: libc::c_int = 64 << 20;

/// Where a report written all at once, after the files are read, goes:
/// standard output, its pipe widened ([`widen_stdout_pipe`]), written 256
/// KiB at a time straight to the descriptor. Each write into a pipe wakes
/// its reader on another core: 12 writes for the 2.9 MB of a 2 M-line log
/// (BENCHMARKS.md, §16.26). Through `Stdout`, whose line buffer holds back
/// what follows the last line end of each write until the next, every
/// write was two; unbuffered, one per line.
pub fn report_output() -> std::io::Result<std::io::BufWriter<File>> {
    use std::os::fd::AsFd;
    widen_stdout_pipe();
    let stdout = File::from(std::io::stdout().as_fd().try_clone_to_owned()?);
    Ok(std::io::BufWriter::with_capacity(1 << 18, stdout))
}

/// Widens the pipe standard output writes into, if it is one, to 1 MiB
/// (Linux's default ceiling for a user). A pipe holds 64 KiB by default:
/// `scan --json` of a large incident writes some 3 MB once the file is
/// read, and with a full pipe every 64 KiB waits for the reader to be woken
/// and drain it (2.2 ms against 0.7 ms for 2.9 MB, BENCHMARKS.md, §16.25).
/// A pipe already as large is left as it is; nothing changes when standard
/// output is no pipe or the system refuses: the call is a hint.
fn widen_stdout_pipe() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const PIPE_BYTES: libc::c_int = 1 << 20;
        // SAFETY: fcntl on descriptor 1 with F_GETPIPE_SZ / F_SETPIPE_SZ and
        // an integer reads and writes no memory of this process; on
        // anything but a pipe it fails (EBADF, EINVAL), which is ignored.
        unsafe {
            let size = libc::fcntl(libc::STDOUT_FILENO, libc::F_GETPIPE_SZ);
            if (0..PIPE_BYTES).contains(&size) {
                libc::fcntl(libc::STDOUT_FILENO, libc::F_SETPIPE_SZ, PIPE_BYTES);
            }
        }
    }
}

/// How many bytes of a file are looked at to guess its family.
const DETECT_BYTES: usize = 64 * 1024;

/// One input the user named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    pub path: InputPath,
    /// Forced family (`--headend` / `--client` / `--auth`); detected from
    /// content when `None`.
    pub family: Option<Family>,
    /// The format (`--format`, or detected by [`resolve_formats`]); `None`
    /// reads line by line by family.
    pub format: Option<Format>,
    /// The user a client log is about when its lines do not say (`--user`).
    pub user: Option<String>,
}

impl Input {
    /// An input named on the command line, role and format to be detected.
    pub fn new(path: InputPath) -> Self {
        Input {
            path,
            family: None,
            format: None,
            user: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputPath {
    File(PathBuf),
    Stdin,
}

impl InputPath {
    /// `-` is standard input.
    pub fn from_arg(arg: &Path) -> InputPath {
        if arg == Path::new("-") {
            InputPath::Stdin
        } else {
            InputPath::File(arg.to_path_buf())
        }
    }

    pub fn display_name(&self) -> String {
        match self {
            InputPath::File(p) => p.display().to_string(),
            InputPath::Stdin => "stdin".to_string(),
        }
    }
}

/// The family of a file, from its first lines. Files that do not exist yet,
/// or say nothing recognisable, are taken as headend logs (the common case
/// of `vpnwatch /var/log/asa.log` before the first line arrives).
pub fn detect_file_family(path: &Path) -> std::io::Result<Family> {
    Ok(detect_file_format(path)?.map_or(Family::Headend, Format::family))
}

/// A file's format, from its first lines (decoded from UTF-16 when the file
/// starts with a byte-order mark). `None` when nothing is recognised or the
/// file does not exist yet.
pub fn detect_file_format(path: &Path) -> std::io::Result<Option<Format>> {
    let mut head = Vec::with_capacity(DETECT_BYTES);
    match File::open(path) {
        Ok(f) => {
            f.take(DETECT_BYTES as u64).read_to_end(&mut head)?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    }
    let text = formats::decode_text(&head);
    // The last line may be cut by the byte limit; leave it out.
    let complete = match text.rfind('\n') {
        Some(end) => &text[..end],
        None => &text[..],
    };
    let lines: Vec<&str> = complete.lines().take(200).collect();
    Ok(formats::detect_format(&lines))
}

/// Fills in each input's format where it was not forced: detected from the
/// file, kept only when it agrees with a forced family (`--client` on an ASA
/// log reads it as a client log, line by line).
pub fn resolve_formats(inputs: &mut [Input]) {
    for input in inputs.iter_mut() {
        if input.format.is_some() {
            continue;
        }
        let InputPath::File(path) = &input.path else {
            continue;
        };
        if crate::source::glob::is_pattern(path) {
            continue;
        }
        let detected = detect_file_format(path).ok().flatten();
        input.format = detected.filter(|f| input.family.is_none_or(|fam| f.family() == fam));
    }
}

/// Resolves each input's family: forced, else its format's, else detected
/// from content.
pub fn resolve_families(inputs: &[Input]) -> anyhow::Result<Vec<Family>> {
    inputs
        .iter()
        .map(|input| match (&input.family, &input.path) {
            (Some(f), _) => Ok(*f),
            (None, _) if input.format.is_some() => {
                Ok(input.format.map_or(Family::Headend, Format::family))
            }
            (None, InputPath::Stdin) => Ok(Family::Headend),
            // A glob's family is that of its first match at start-up.
            (None, InputPath::File(p)) if crate::source::glob::is_pattern(p) => {
                let first = glob::glob(&p.to_string_lossy())
                    .ok()
                    .and_then(|mut paths| paths.find_map(Result::ok));
                match first {
                    Some(m) => detect_file_family(&m).or(Ok(Family::Headend)),
                    None => Ok(Family::Headend),
                }
            }
            (None, InputPath::File(p)) => {
                detect_file_family(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))
            }
        })
        .collect()
}

/// The operator's name for the journal: `--operator`, else the login name.
pub fn default_operator() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "operator".to_string())
}

/// The journal used when none is named: one file per day in the current
/// directory, so everyone on the bridge today shares it.
pub fn default_journal_path() -> PathBuf {
    let today = jiff::Zoned::now().date();
    PathBuf::from(format!("vpnwatch-{today}.jsonl"))
}
