//! Writes the benchmark log (2 M ASA-style lines by default) and its ground
//! truth: `cargo run --release --example genlog -- OUT.log [TRUTH.json]
//! [--lines N] [--seed S] [--users U]`. The same arguments always give the
//! same bytes. See `src/loggen.rs` for the shape of the file.

use std::fs::File;

use vpnwatch::loggen::{GenConfig, generate};

fn main() {
    let mut cfg = GenConfig::default();
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> u64 {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} needs a number"))
        };
        match arg.as_str() {
            "--lines" => cfg.lines = value("--lines"),
            "--seed" => cfg.seed = value("--seed"),
            "--users" => cfg.users = value("--users") as u32,
            _ => paths.push(arg),
        }
    }
    let Some(out) = paths.first() else {
        eprintln!("usage: genlog OUT.log [TRUTH.json] [--lines N] [--seed S] [--users U]");
        std::process::exit(2);
    };
    let file = File::create(out).expect("create the log file");
    let truth = generate(&cfg, file).expect("write the log file");
    if let Some(path) = paths.get(1) {
        let file = File::create(path).expect("create the truth file");
        serde_json::to_writer_pretty(file, &truth).expect("write the truth file");
    }
    eprintln!(
        "{} lines, {} bytes, {} VPN lines ({:.2} %), {} failed attempts by {} users",
        truth.lines,
        truth.bytes,
        truth.vpn_lines,
        100.0 * truth.vpn_lines as f64 / truth.lines.max(1) as f64,
        truth.failures,
        truth.users.len()
    );
}
