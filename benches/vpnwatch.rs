//! Criterion benchmarks for the hot paths: parsing one line per message
//! family, the engine ingesting 100 k lines, and drawing a 200x60 frame with
//! 1 M retained lines and 10 000 users. `cargo bench` runs them; the numbers
//! in BENCHMARKS.md come from here and from `scripts/bench.sh`. They run
//! with the allocator tuning every `vpnwatch` command runs with
//! ([`vpnwatch::app::return_large_frees_to_the_system`]): without it a
//! frame that builds a buffer of 128 KiB or more afresh measures faster
//! than the dashboard draws it.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use vpnwatch::loggen::{GenConfig, generate};
use vpnwatch::parse::{self, ParseContext, StreamParser};
use vpnwatch::pipeline::{Model, SourceState};
use vpnwatch::runbook::{self, DEFAULT_RUNBOOK};
use vpnwatch::ui::{self, Theme, UiState};
use vpnwatch::vocab::Family;
use vpnwatch::vocab::{LineBatch, SourceId};

const LINES: &[(&str, Family, &str)] = &[
    (
        "firewall_302013",
        Family::Headend,
        "Dec  5 08:14:02 asa-fw1 : %ASA-6-302013: Built outbound TCP connection 4921365 for outside:203.0.113.15/443 (203.0.113.15/443) to inside:10.10.9.150/4148 (192.0.2.20/4148)",
    ),
    (
        "aaa_113005",
        Family::Headend,
        "Dec  5 08:14:02 asa-fw1 : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.1.1.10 : user = jdoe : user IP = 203.0.113.5",
    ),
    (
        "webvpn_716039",
        Family::Headend,
        "Dec  5 08:14:03 asa-fw1 : %ASA-6-716039: Group <GP-Employees> User <jdoe> IP <203.0.113.5> Authentication: rejected, Session Type: WebVPN.",
    ),
    (
        "session_113039",
        Family::Headend,
        "Dec  5 08:15:10 asa-fw2 : %ASA-6-113039: Group <GP-Employees> User <jdoe> IP <203.0.113.5> AnyConnect parent session started.",
    ),
    (
        "address_722051",
        Family::Headend,
        "Dec  5 08:15:10 asa-fw2 : %ASA-6-722051: Group <GP-Employees> User <jdoe> IP <203.0.113.5> IPv4 Address <10.8.0.5> IPv6 address <::> assigned to session",
    ),
    (
        "client_login_failed",
        Family::Client,
        "Nov 28 09:07:13 lap-tbrennan acvpnui[3377]: Message type error sent to the user: Login failed.",
    ),
];

fn parse_lines(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Elements(1));
    let ctx = ParseContext::for_year(2026);
    for &(name, family, line) in LINES {
        group.bench_function(name, |b| {
            b.iter(|| parse::parse_line(black_box(line), family, &ctx))
        });
    }
    // The bulk reader's parser: a header repeated from the line before is
    // not parsed again.
    let (_, family, line) = LINES[0];
    let mut parser = StreamParser::default();
    group.bench_function("firewall_302013_stream", |b| {
        b.iter(|| parser.parse(black_box(line), family, &ctx).is_some())
    });
    group.finish();
}

/// Generated headend lines, packed into batches the way sources send them.
fn batches(lines: u64) -> Vec<LineBatch> {
    let mut log = Vec::new();
    let cfg = GenConfig {
        lines,
        seed: 42,
        users: 5_000,
    };
    generate(&cfg, &mut log).expect("generate into memory");
    let mut out = Vec::new();
    let mut batch = LineBatch::new(1);
    for (i, line) in log
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        batch.push(line);
        if batch.len() == 4096 {
            out.push(std::mem::replace(&mut batch, LineBatch::new(i as u64 + 2)));
        }
    }
    if !batch.is_empty() {
        out.push(batch);
    }
    out
}

fn model(retain: usize) -> Model {
    let runbook = runbook::parse(DEFAULT_RUNBOOK).expect("bundled runbook");
    Model::new(
        vec![SourceState::new("asa.log".into(), Family::Headend)],
        &runbook,
        retain,
        ParseContext::for_year(2026),
    )
}

fn ingest(c: &mut Criterion) {
    let input = batches(100_000);
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(100_000));
    group.sample_size(20);
    group.bench_function("ingest_100k_lines", |b| {
        b.iter_batched(
            || model(200_000),
            |mut m| {
                for batch in &input {
                    m.ingest(SourceId(0), batch);
                }
                m
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn render(c: &mut Criterion) {
    let mut m = model(1_000_000);
    for batch in batches(1_000_000) {
        m.ingest(SourceId(0), &batch);
    }
    // 10 000 users with failed attempts on top of the generated ones.
    let mut batch = LineBatch::new(2_000_000);
    for u in 0..10_000 {
        let line = format!(
            "Dec  6 08:00:{:02} asa-fw1 : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.1.1.10 : user = bench{u} : user IP = 100.100.{}.{}",
            u % 60,
            u / 256,
            u % 256
        );
        batch.push(line.as_bytes());
    }
    m.ingest(SourceId(0), &batch);
    assert!(m.headend.len() >= 1_000_000, "1 M lines retained");
    let theme = Theme::load("default").expect("bundled theme");
    let ui = UiState::default();
    let wall: Timestamp = "2027-01-01T00:00:00Z".parse().expect("time");
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("test backend");
    let mut group = c.benchmark_group("render");
    // The static case: nothing changed since the last frame.
    group.bench_function("frame_200x60_1M_lines_10k_users", |b| {
        b.iter(|| {
            terminal
                .draw(|f| {
                    ui::draw(f, &m, &ui, &theme, wall);
                })
                .map(|_| ())
        })
    });
    // The busy case: one failed attempt arrives before every frame, so
    // every per-change cache (users order, scope, cause tally) is rebuilt.
    let mut n = 0u64;
    group.bench_function("frame_200x60_1M_lines_10k_users_after_event", |b| {
        b.iter(|| {
            n += 1;
            let mut batch = LineBatch::new(3_000_000 + n);
            let line = format!(
                "Dec  6 08:01:{:02} asa-fw1 : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.1.1.10 : user = bench{} : user IP = 100.100.1.1",
                n % 60,
                n % 10_000
            );
            batch.push(line.as_bytes());
            m.ingest(SourceId(0), &batch);
            terminal
                .draw(|f| {
                    ui::draw(f, &m, &ui, &theme, wall);
                })
                .map(|_| ())
        })
    });
    // The busy case with the clock moving: every event is a minute of log
    // time after the one before, so before every frame the users who
    // failed in the last 15 minutes are looked at again, not only the
    // changed one (the windows are whole minutes). The 10 000 users above
    // failed long before, so here those are few; the outage bench below
    // is the case where all of them failed lately.
    let mut minutes = 0i64;
    let start: Timestamp = "2026-12-06T09:00:00Z".parse().expect("time");
    let failure_at = |at: Timestamp, user: usize| {
        format!(
            "{} asa-fw1 : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.1.1.10 : user = bench{user} : user IP = 100.101.{}.{}",
            at.strftime("%b %d %Y %H:%M:%S"),
            user / 256,
            user % 256
        )
    };
    group.bench_function(
        "frame_200x60_1M_lines_10k_users_after_event_new_minute",
        |b| {
            b.iter(|| {
                minutes += 1;
                let at = start + jiff::SignedDuration::from_mins(minutes);
                let mut batch = LineBatch::new(4_000_000 + minutes as u64);
                let user = usize::try_from(minutes % 10_000).unwrap_or(0);
                batch.push(failure_at(at, user).as_bytes());
                m.ingest(SourceId(0), &batch);
                terminal
                    .draw(|f| {
                        ui::draw(f, &m, &ui, &theme, wall);
                    })
                    .map(|_| ())
            })
        },
    );
    // The frame after a new minute in an outage: 700 of the 10 000 users
    // fail in every minute of log time, so all of them failed in the last
    // 15 minutes: every user is looked at again before the frame, and
    // those with a failure that left a window (about 1,400) are worked
    // out again and placed again in the users order. Only the frame is
    // timed, not the 700 events before it.
    const PER_MINUTE: usize = 700;
    let mut batch_no = 5_000_000u64;
    let mut next_user = 0usize;
    let mut outage_minute = |m: &mut Model, minutes: &mut i64| {
        *minutes += 1;
        let at = start + jiff::SignedDuration::from_mins(*minutes);
        batch_no += 1;
        let mut batch = LineBatch::new(batch_no);
        for _ in 0..PER_MINUTE {
            batch.push(failure_at(at, next_user).as_bytes());
            next_user = (next_user + 1) % 10_000;
        }
        m.ingest(SourceId(0), &batch);
    };
    for _ in 0..15 {
        outage_minute(&mut m, &mut minutes);
    }
    group.bench_function("frame_200x60_1M_lines_10k_users_outage_new_minute", |b| {
        b.iter_custom(|iters| {
            let mut drawing = std::time::Duration::ZERO;
            for _ in 0..iters {
                outage_minute(&mut m, &mut minutes);
                let began = std::time::Instant::now();
                let drawn = terminal.draw(|f| {
                    ui::draw(f, &m, &ui, &theme, wall);
                });
                drawing += began.elapsed();
                black_box(drawn.map(|_| ()).is_ok());
            }
            drawing
        })
    });
    group.finish();
}

/// Criterion's settings, after the binary's allocator tuning.
fn as_the_binary_runs() -> Criterion {
    vpnwatch::app::return_large_frees_to_the_system();
    Criterion::default()
}

criterion_group! {
    name = benches;
    config = as_the_binary_runs();
    targets = parse_lines, ingest, render
}
criterion_main!(benches);
