//! Starting the sources the command line names, one way for the dashboard
//! and for `events --follow`: both call [`plan`] and [`start`], so the
//! headless form exercises exactly the tailer the dashboard uses.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::mpsc;

use super::{Input, InputPath};
use crate::source::SourceMsg;
use crate::source::command::{CommandOptions, spawn_command};
use crate::source::file::{FileOptions, backlog_start, spawn_file};
use crate::source::glob::{is_pattern, spawn_glob};
use crate::source::lines::DEFAULT_MAX_LINE;
use crate::source::stdin::spawn_stdin;
use crate::source::syslog::{self, SyslogOptions};
use crate::vocab::Family;
use crate::vocab::SourceId;

/// Lines shown from each existing file at start-up unless told otherwise.
pub const DEFAULT_BACKLOG: u64 = 10_000;

/// How sources read, from the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceSettings {
    /// Re-check interval of followed files (the stat timer).
    pub poll_interval: Duration,
    /// No file-system watcher, the stat timer only (network file systems).
    pub poll_only: bool,
    /// Show only the last N lines of files that exist at start-up; `None`
    /// reads them from the start.
    pub backlog: Option<u64>,
    /// Lines longer than this are cut into marked pieces.
    pub max_line: usize,
    /// `--command`: each is run with `sh -c` and its output followed.
    pub commands: Vec<String>,
    pub syslog_udp: Option<SocketAddr>,
    pub syslog_tcp: Option<SocketAddr>,
    /// `--syslog-tls`, with `--tls-cert` / `--tls-key`.
    pub syslog_tls: Option<SocketAddr>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// `--syslog-allow`: senders the receivers accept (empty: all).
    pub syslog_allow: Vec<syslog::Cidr>,
    /// `--syslog-rcvbuf`: UDP receive buffer asked for, in bytes.
    pub syslog_rcvbuf: usize,
}

impl Default for SourceSettings {
    fn default() -> Self {
        SourceSettings {
            poll_interval: Duration::from_secs(1),
            poll_only: false,
            backlog: Some(DEFAULT_BACKLOG),
            max_line: DEFAULT_MAX_LINE,
            commands: Vec::new(),
            syslog_udp: None,
            syslog_tcp: None,
            syslog_tls: None,
            tls_cert: None,
            tls_key: None,
            syslog_allow: Vec::new(),
            syslog_rcvbuf: syslog::DEFAULT_RCVBUF,
        }
    }
}

/// One source to start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceSpec {
    File(PathBuf),
    /// A pattern with `*`, `?` or `[`: every matching file, also later ones.
    Glob(PathBuf),
    Stdin,
    Command(String),
    SyslogUdp(SocketAddr),
    SyslogTcp(SocketAddr),
    SyslogTls(SocketAddr),
}

/// A source with the name shown for it and the family its lines are parsed
/// as. Its [`SourceId`] is its index in the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planned {
    pub spec: SourceSpec,
    /// Full name (path, command, address), as `events` prints it.
    pub name: String,
    pub family: Family,
}

/// The sources to start: the inputs (with their resolved families), then the
/// commands and receivers. Commands and receivers carry headend logs: that is
/// what is fetched over SSH or sent by syslog.
pub fn plan(inputs: &[Input], families: &[Family], settings: &SourceSettings) -> Vec<Planned> {
    let mut out: Vec<Planned> = inputs
        .iter()
        .zip(families)
        .map(|(input, family)| {
            let spec = match &input.path {
                InputPath::Stdin => SourceSpec::Stdin,
                InputPath::File(p) if is_pattern(p) => SourceSpec::Glob(p.clone()),
                InputPath::File(p) => SourceSpec::File(p.clone()),
            };
            Planned {
                spec,
                name: input.path.display_name(),
                family: *family,
            }
        })
        .collect();
    for cmd in &settings.commands {
        out.push(Planned {
            spec: SourceSpec::Command(cmd.clone()),
            name: cmd.clone(),
            family: Family::Headend,
        });
    }
    if let Some(addr) = settings.syslog_udp {
        out.push(Planned {
            spec: SourceSpec::SyslogUdp(addr),
            name: format!("udp://{addr}"),
            family: Family::Headend,
        });
    }
    if let Some(addr) = settings.syslog_tcp {
        out.push(Planned {
            spec: SourceSpec::SyslogTcp(addr),
            name: format!("tcp://{addr}"),
            family: Family::Headend,
        });
    }
    if let Some(addr) = settings.syslog_tls {
        out.push(Planned {
            spec: SourceSpec::SyslogTls(addr),
            name: format!("tls://{addr}"),
            family: Family::Headend,
        });
    }
    out
}

/// The part of an existing file before the lines `--backlog` shows: the
/// dashboard shows the tail at once and counts these bytes in the
/// background (see `console`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BacklogJob {
    pub source: SourceId,
    pub path: PathBuf,
    /// (device, inode) of the file measured, so the tailer starts exactly
    /// where the count ends.
    pub file_id: Option<(u64, u64)>,
    /// Bytes `0..bytes` are the backlog; the tailer starts at `bytes`.
    pub bytes: u64,
}

/// The backlog of every single file (not glob) that exists now, when
/// `--backlog` applies. A file that cannot be measured is left to the
/// tailer, which reports the problem.
pub fn backlog_jobs(plan: &[Planned], settings: &SourceSettings) -> Vec<BacklogJob> {
    let Some(n) = settings.backlog else {
        return Vec::new();
    };
    plan.iter()
        .enumerate()
        .filter_map(|(i, p)| match &p.spec {
            SourceSpec::File(path) => {
                let (file_id, bytes) = backlog_start(path, n).ok()??;
                Some(BacklogJob {
                    source: source_id(i),
                    path: path.clone(),
                    file_id,
                    bytes,
                })
            }
            _ => None,
        })
        .collect()
}

fn source_id(i: usize) -> SourceId {
    SourceId(u16::try_from(i).unwrap_or(u16::MAX))
}

/// Starts every planned source, sending to `tx`. Fails (before anything
/// else starts reading) when a receiver cannot bind its address. Must run
/// within a tokio runtime.
pub async fn start(
    plan: &[Planned],
    settings: &SourceSettings,
    backlog: &[BacklogJob],
    tx: &mpsc::Sender<SourceMsg>,
) -> anyhow::Result<()> {
    // Bind first: a taken port is a start-up error, not a header notice.
    let mut udp = Vec::new();
    let mut tcp = Vec::new();
    let mut tls = Vec::new();
    for (i, p) in plan.iter().enumerate() {
        match p.spec {
            SourceSpec::SyslogUdp(addr) => udp.push((
                i,
                syslog::bind_udp(addr)
                    .await
                    .with_context(|| format!("--syslog-udp {addr}"))?,
            )),
            SourceSpec::SyslogTcp(addr) => tcp.push((
                i,
                syslog::bind_tcp(addr)
                    .await
                    .with_context(|| format!("--syslog-tcp {addr}"))?,
            )),
            SourceSpec::SyslogTls(addr) => {
                let (Some(cert), Some(key)) = (&settings.tls_cert, &settings.tls_key) else {
                    anyhow::bail!("--syslog-tls needs --tls-cert FILE and --tls-key FILE");
                };
                let acceptor = syslog::tls_acceptor(cert, key)?;
                let listener = syslog::bind_tcp(addr)
                    .await
                    .with_context(|| format!("--syslog-tls {addr}"))?;
                tls.push((i, listener, acceptor));
            }
            _ => {}
        }
    }
    let id = source_id;
    let opts = SyslogOptions {
        allow: settings.syslog_allow.clone(),
        rcvbuf: settings.syslog_rcvbuf,
        ..SyslogOptions::default()
    };
    for (i, socket) in udp {
        syslog::spawn_udp(id(i), socket, opts.clone(), tx.clone())?;
    }
    for (i, listener) in tcp {
        syslog::spawn_tcp(id(i), listener, opts.clone(), tx.clone())?;
    }
    for (i, listener, acceptor) in tls {
        syslog::spawn_tls(id(i), listener, acceptor, opts.clone(), tx.clone())?;
    }
    let file_opts = FileOptions {
        follow: true,
        poll_interval: settings.poll_interval,
        max_line: settings.max_line,
        backlog: settings.backlog,
        poll_only: settings.poll_only,
        ..FileOptions::default()
    };
    for (i, p) in plan.iter().enumerate() {
        match &p.spec {
            SourceSpec::File(path) => {
                let mut opts = file_opts.clone();
                opts.start_at = backlog
                    .iter()
                    .find(|job| job.source == id(i))
                    .map(|job| (job.file_id, job.bytes));
                spawn_file(id(i), path.clone(), opts, tx.clone());
            }
            SourceSpec::Glob(pattern) => {
                spawn_glob(id(i), pattern.clone(), file_opts.clone(), tx.clone());
            }
            SourceSpec::Stdin => {
                spawn_stdin(id(i), settings.max_line, tx.clone());
            }
            SourceSpec::Command(cmd) => {
                let opts = CommandOptions {
                    max_line: settings.max_line,
                    ..CommandOptions::default()
                };
                spawn_command(id(i), cmd.clone(), opts, tx.clone());
            }
            SourceSpec::SyslogUdp(_) | SourceSpec::SyslogTcp(_) | SourceSpec::SyslogTls(_) => {}
        }
    }
    Ok(())
}
