//! `app::main_heap_on_huge_pages`, the allocator setting `scan` runs with,
//! in a process of its own: each file under `tests/` is its own test
//! binary, and the setting holds for the whole process. It concerns the
//! heap of the thread that calls it first thing, the binary's main thread,
//! so this binary has its own `main` (`harness = false`, through
//! libtest-mimic): the check runs there before anything else, and is
//! reported as a test. It checks that a large buffer lies in the heap's
//! marked growth, and that the 2 MiB of it the allocator wrote to before
//! the mark is a huge page already.

mod common;

use libtest_mimic::{Arguments, Failed, Trial};

fn main() -> std::process::ExitCode {
    let outcome = check();
    let args = Arguments::from_args();
    let trial = Trial::test(
        "a_large_buffer_made_after_the_setting_lies_in_the_heap_marked_for_huge_pages",
        move || outcome,
    );
    libtest_mimic::run(&args, vec![trial]).exit_code()
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn check() -> Result<(), Failed> {
    // The setting is glibc's and Linux's; elsewhere it does nothing.
    vpnwatch::app::main_heap_on_huge_pages();
    Ok(())
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn check() -> Result<(), Failed> {
    // As `main` does for `scan`, first thing.
    vpnwatch::app::main_heap_on_huge_pages();
    // The 2 MiB the allocator wrote to before the mark is a huge page
    // already (collapsed), though nothing else of the growth was touched.
    let smaps = std::fs::read_to_string("/proc/self/smaps")
        .map_err(|e| format!("/proc/self/smaps: {e}"))?;
    let collapsed = heap_huge_pages_kib(&smaps);
    // 8 MiB: under glibc's default threshold a buffer this large would be
    // a mapping of its own, on 4 KiB pages.
    let buffer = std::hint::black_box(vec![1u8; 8 << 20]);
    let smaps = std::fs::read_to_string("/proc/self/smaps")
        .map_err(|e| format!("/proc/self/smaps: {e}"))?;
    let in_heap = |at: usize| {
        let (header, flags) = mapping_of(&smaps, at).ok_or("the buffer is in no mapping")?;
        if header.trim_end().ends_with("[heap]") {
            Ok((header, flags))
        } else {
            Err(format!(
                "the buffer is a mapping of its own, not in the heap: {header}"
            ))
        }
    };
    in_heap(buffer.as_ptr() as usize)?;
    // Its start may lie below the first 2 MiB boundary of the heap's
    // growth, which is not marked; its end lies well past it.
    let (header, flags) = in_heap(buffer.as_ptr() as usize + buffer.len() - 1)?;
    // A kernel built without transparent huge pages refuses the mark.
    if !std::path::Path::new("/sys/kernel/mm/transparent_hugepage").exists() {
        common::need::missing("transparent huge pages in the kernel");
        return Ok(());
    }
    if !flags.split_whitespace().any(|flag| flag == "hg") {
        return Err(format!("the heap is not marked MADV_HUGEPAGE: {header} /{flags}").into());
    }
    if !kernel_at_least(6, 1) {
        common::need::missing("MADV_COLLAPSE (Linux 6.1 and later)");
        return Ok(());
    }
    if collapsed < 2048 {
        return Err(format!(
            "the heap held {collapsed} KiB of huge pages right after the setting, not the collapsed 2 MiB"
        )
        .into());
    }
    Ok(())
}

/// The `AnonHugePages` of the heap's mappings in `/proc/self/smaps`, KiB.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn heap_huge_pages_kib(smaps: &str) -> u64 {
    let mut in_heap = false;
    let mut total = 0;
    for line in smaps.lines() {
        if let Some(kib) = line.strip_prefix("AnonHugePages:") {
            if in_heap {
                total += kib
                    .trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .unwrap_or(0);
            }
        } else if mapping_range(line).is_some() {
            // A mapping's header line: the ones after it are its own.
            in_heap = line.trim_end().ends_with("[heap]");
        }
    }
    total
}

/// Whether the running kernel's version is at least `major.minor`.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn kernel_at_least(major: u32, minor: u32) -> bool {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut parts = release
        .trim()
        .split(['.', '-'])
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let (got_major, got_minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (got_major, got_minor) >= (major, minor)
}

/// The header line and the `VmFlags` of the mapping of `/proc/self/smaps`
/// that holds address `at`.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn mapping_of(smaps: &str, at: usize) -> Option<(&str, &str)> {
    let mut current: Option<&str> = None;
    for line in smaps.lines() {
        if let Some(flags) = line.strip_prefix("VmFlags:") {
            if let Some(header) = current.take() {
                return Some((header, flags));
            }
            continue;
        }
        if mapping_range(line).is_some_and(|range| range.contains(&at)) {
            current = Some(line);
        }
    }
    None
}

/// The address range of a mapping's header line of `/proc/self/smaps`
/// (`start-end perms …`); `None` for its other lines.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn mapping_range(line: &str) -> Option<std::ops::Range<usize>> {
    let (range, _) = line.split_once(' ')?;
    let (start, end) = range.split_once('-')?;
    Some(usize::from_str_radix(start, 16).ok()?..usize::from_str_radix(end, 16).ok()?)
}
