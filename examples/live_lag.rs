//! Live-ingest harness: how far behind the file is what the dashboard shows?
//!
//! `cargo run --release --example live_lag -- [--rate LINES_PER_S] [--secs S]
//! [--retain N]` (defaults: 1 000 000 lines/s for 10 s, 1 000 000 retained)
//!
//! A writer thread appends generated ASA lines to a file in a temporary
//! directory every 10 ms, noting when each chunk was written. The file is
//! followed by the dashboard's own file source (`spawn_file`: the notify
//! watcher, the stat timer, the follower's reads and batches) on a tokio
//! runtime, and an ingest thread applies its `LineBatch`es with
//! `Model::ingest`, as the console's ingest task does. The main thread plays
//! the terminal loop: at most 30 frames a second it draws the 200x60
//! dashboard into a ratatui `TestBackend`. A chunk's lag is the time from
//! its write to the first frame drawn after its last line was ingested.
//!
//! Prints lag percentiles, the rate actually written and ingested, frame
//! times and the process's peak RSS.

use std::fs::File;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use vpnwatch::loggen::{GenConfig, generate};
use vpnwatch::parse::ParseContext;
use vpnwatch::pipeline::{Model, SourceState};
use vpnwatch::runbook::{self, DEFAULT_RUNBOOK};
use vpnwatch::source::SourceMsg;
use vpnwatch::source::file::{FileOptions, spawn_file};
use vpnwatch::ui::{self, Theme, UiState};
use vpnwatch::vocab::Family;
use vpnwatch::vocab::SourceId;

struct Shared {
    model: Model,
    /// Lines applied to the model so far.
    ingested: u64,
}

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse().expect("a number"))
        .unwrap_or(default)
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    // The binary's allocator setting, so RSS and times are what it gets.
    vpnwatch::app::return_large_frees_to_the_system();
    let rate = arg("--rate", 1_000_000);
    let secs = arg("--secs", 10);
    let retain = arg("--retain", 1_000_000) as usize;

    // Realistic lines, generated once and cycled (small, so the process's
    // peak RSS is the dashboard's, not the harness's).
    let mut pool = Vec::new();
    generate(
        &GenConfig {
            lines: 100_000,
            seed: 42,
            users: 5_000,
        },
        &mut pool,
    )
    .expect("generate");
    let line_ends: Vec<usize> = pool
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i + 1)
        .collect();
    let base_rss = peak_rss_mib();

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("asa.log");
    File::create(&path).expect("create");

    let runbook = runbook::parse(DEFAULT_RUNBOOK).expect("runbook");
    let model = Model::new(
        vec![SourceState::new("asa.log".into(), Family::Headend)],
        &runbook,
        retain,
        ParseContext::for_year(2026),
    );
    let shared = Arc::new(Mutex::new(Shared { model, ingested: 0 }));
    let done = Arc::new(AtomicBool::new(false));
    // (lines written up to its end, when written) of every chunk.
    let chunks: Arc<Mutex<Vec<(u64, Instant)>>> = Arc::new(Mutex::new(Vec::new()));

    let writer = {
        let (path, chunks, done) = (path.clone(), chunks.clone(), done.clone());
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .expect("open for append");
            let tick = Duration::from_millis(10);
            let per_tick = (rate / 100).max(1) as usize;
            let start = Instant::now();
            let (mut written, mut next_line) = (0u64, 0usize);
            let mut n = 0u32;
            while start.elapsed() < Duration::from_secs(secs) {
                let from = if next_line == 0 {
                    0
                } else {
                    line_ends[next_line - 1]
                };
                let to_line = (next_line + per_tick).min(line_ends.len());
                let to = line_ends[to_line - 1];
                f.write_all(&pool[from..to]).expect("append");
                written += (to_line - next_line) as u64;
                next_line = if to_line == line_ends.len() {
                    0
                } else {
                    to_line
                };
                chunks.lock().expect("lock").push((written, Instant::now()));
                n += 1;
                // Absolute schedule, so a slow write does not lower the rate.
                let due = start + tick * n;
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
            }
            done.store(true, Ordering::Relaxed);
            (written, start.elapsed())
        })
    };

    let ingest = {
        let (path, shared, done) = (path.clone(), shared.clone(), done.clone());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                // The dashboard's queue depth and file options.
                let (tx, mut rx) = tokio::sync::mpsc::channel(8);
                let _source = spawn_file(SourceId(0), path, FileOptions::default(), tx);
                let mut lines = 0u64;
                let mut busy = Duration::ZERO;
                loop {
                    let msg = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await;
                    let batch = match msg {
                        Ok(Some(SourceMsg::Lines(_, batch))) => batch,
                        Ok(Some(SourceMsg::Notice(..))) => continue,
                        Ok(None) => break,
                        // Quiet for 200 ms after the writer stopped: all read.
                        Err(_) if done.load(Ordering::Relaxed) => break,
                        Err(_) => continue,
                    };
                    let t0 = Instant::now();
                    let mut s = shared.lock().expect("lock");
                    s.model.ingest(SourceId(0), &batch);
                    lines += batch.len() as u64;
                    s.ingested = lines;
                    drop(s);
                    busy += t0.elapsed();
                }
                (lines, busy)
            })
        })
    };

    // The terminal loop: at most 30 frames a second, only when changed.
    let theme = Theme::load("default").expect("theme");
    let ui_state = UiState::default();
    let wall: Timestamp = "2027-01-01T00:00:00Z".parse().expect("time");
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("backend");
    let frame_every = Duration::from_millis(33);
    let mut shown = 0u64;
    let mut lags: Vec<Duration> = Vec::new();
    let mut frame_times: Vec<Duration> = Vec::new();
    let mut chunk_i = 0usize;
    loop {
        let tick = Instant::now();
        let finished = ingest.is_finished();
        let s = shared.lock().expect("lock");
        if s.ingested != shown {
            let t0 = Instant::now();
            terminal
                .draw(|f| {
                    ui::draw(f, &s.model, &ui_state, &theme, wall);
                })
                .expect("draw");
            let drawn = Instant::now();
            frame_times.push(drawn - t0);
            let now_shown = s.ingested;
            drop(s);
            let chunks = chunks.lock().expect("lock");
            while let Some(&(end, written)) = chunks.get(chunk_i) {
                if end > now_shown {
                    break;
                }
                lags.push(drawn - written);
                chunk_i += 1;
            }
            shown = now_shown;
        } else {
            drop(s);
        }
        if finished {
            break;
        }
        if let Some(wait) = frame_every.checked_sub(tick.elapsed()) {
            std::thread::sleep(wait);
        }
    }
    let (written, write_time) = writer.join().expect("writer");
    let (read_lines, busy) = ingest.join().expect("ingest");
    let unseen = chunks.lock().expect("lock").len() - chunk_i;

    lags.sort();
    frame_times.sort();
    let pct = |v: &[Duration], p: f64| {
        v.get(((v.len() as f64 - 1.0) * p).round() as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    let s = shared.lock().expect("lock");
    println!(
        "target {rate} lines/s for {secs} s; written {written} lines in {:.2} s ({:.0} lines/s)",
        write_time.as_secs_f64(),
        written as f64 / write_time.as_secs_f64()
    );
    println!(
        "ingested {read_lines} lines; ingest thread busy {:.2} s ({:.0} lines/s while busy)",
        busy.as_secs_f64(),
        read_lines as f64 / busy.as_secs_f64().max(1e-9)
    );
    println!(
        "lag write->frame over {} chunks: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms; {unseen} chunks never drawn",
        lags.len(),
        pct(&lags, 0.5),
        pct(&lags, 0.99),
        pct(&lags, 1.0)
    );
    println!(
        "frames {}: draw p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        frame_times.len(),
        pct(&frame_times, 0.5),
        pct(&frame_times, 0.99),
        pct(&frame_times, 1.0)
    );
    println!(
        "retained {} lines ({:.0} MiB of line text held); peak RSS {:.0} MiB (harness alone before the run: {:.0} MiB)",
        s.model.headend.len(),
        s.model.headend.held_bytes() as f64 / 1048576.0,
        peak_rss_mib(),
        base_rss
    );
}
