//! Syslog receivers: `--syslog-udp ADDR`, `--syslog-tcp ADDR` and
//! `--syslog-tls ADDR` (RFC 5425: TLS, octet-counted frames).
//!
//! Each message (RFC 3164 or RFC 5424, `<PRI>` header included) becomes one
//! line, exactly as received, so the same parsers read it as a line from a
//! file; the sender's address is the line's origin. Nothing here interprets
//! the message beyond its framing and a check of the `<PRI>` header.
//!
//! * UDP: one datagram is one message (trailing newlines removed).
//! * TCP: framing is detected per frame (RFC 6587): a frame starting with a
//!   digit is octet-counted (`123 <165>1 …`), anything else ends at LF. A
//!   count that is not followed by a space is taken as the start of an LF
//!   frame instead, so a sender without PRI loses nothing.
//! * Messages longer than [`SyslogOptions::max_message`] (64 KiB) are cut to
//!   it and counted as truncated; the rest of the frame is discarded.
//! * A sender cannot be made to wait: when the queue to the engine is full
//!   the receiver keeps one batch of its own, and only when that is full too
//!   are messages dropped, each one counted. `received = delivered +
//!   dropped`, exactly; the counters reach the engine as [`Notice::Stats`].
//!   Datagrams the kernel drops before we read them (socket buffer full)
//!   never reach us: the UDP socket asks for a large receive buffer
//!   ([`SyslogOptions::rcvbuf`]) and, on Linux, reads the kernel's own drop
//!   counter (`SO_RXQ_OVFL`), reported as `kernel_dropped`.
//! * `--syslog-allow CIDR` ([`SyslogOptions::allow`]): datagrams and
//!   connections from other senders are dropped and counted
//!   (`disallowed`), so a spoofed datagram cannot put a failure on screen.
//! * At most [`SyslogOptions::max_connections`] TCP connections at once; more
//!   are closed at once (and reported).
//!
//! Framing is in `frame`, sender blocks in `allow`, TLS set-up in `tls`,
//! and the socket options only the kernel can give in `kernel`.

mod allow;
mod frame;
mod kernel;
mod tls;

pub use allow::Cidr;
pub use frame::{Format, Framer, classify};
pub use tls::tls_acceptor;

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio::task::JoinHandle;

use super::lines::{BATCH_MAX_BYTES, DEFAULT_BATCH_LINES};
use super::{LineBatch, Notice, SourceId, SourceMsg, SourceStats};

/// The address used when `--syslog-udp` / `--syslog-tcp` is given without
/// one: loopback only, an unprivileged port. Listening on other interfaces
/// must be asked for explicitly.
pub const DEFAULT_ADDR: &str = "127.0.0.1:5514";

/// Longest message kept whole (64 KiB).
pub const DEFAULT_MAX_MESSAGE: usize = 64 * 1024;

/// How often the counters are offered to the engine while they change.
const STATS_EVERY: Duration = Duration::from_millis(200);
/// How soon a batch held back by a full queue is offered again.
const RETRY_EVERY: Duration = Duration::from_millis(10);

/// The UDP receive buffer asked for unless told otherwise: a burst of
/// 200,000 ASA lines in under a second overflows the usual 208 KiB.
pub const DEFAULT_RCVBUF: usize = 8 * 1024 * 1024;

/// Limits of a receiver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyslogOptions {
    pub max_message: usize,
    /// Messages a receiver holds back while the queue is full (and per batch).
    pub batch_lines: usize,
    pub max_connections: usize,
    /// Senders accepted; empty accepts all.
    pub allow: Vec<Cidr>,
    /// UDP receive buffer asked of the kernel, in bytes (0 leaves the default).
    pub rcvbuf: usize,
}

impl Default for SyslogOptions {
    fn default() -> Self {
        SyslogOptions {
            max_message: DEFAULT_MAX_MESSAGE,
            batch_lines: DEFAULT_BATCH_LINES,
            max_connections: 64,
            allow: Vec::new(),
            rcvbuf: DEFAULT_RCVBUF,
        }
    }
}

impl SyslogOptions {
    /// Whether a sender may deliver messages.
    pub fn allows(&self, ip: IpAddr) -> bool {
        self.allow.is_empty() || self.allow.iter().any(|c| c.contains(ip))
    }
}

/// Exact counts of one receiver, shared by its tasks.
#[derive(Debug, Default)]
pub struct Counters {
    received: AtomicU64,
    delivered: AtomicU64,
    dropped: AtomicU64,
    truncated: AtomicU64,
    malformed: AtomicU64,
    disallowed: AtomicU64,
    kernel_dropped: AtomicU64,
}

impl Counters {
    pub fn stats(&self) -> SourceStats {
        SourceStats {
            received: self.received.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            truncated: self.truncated.load(Ordering::Relaxed),
            malformed: self.malformed.load(Ordering::Relaxed),
            disallowed: self.disallowed.load(Ordering::Relaxed),
            kernel_dropped: self.kernel_dropped.load(Ordering::Relaxed),
        }
    }

    /// Messages handed to the engine's queue.
    pub fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::Relaxed)
    }
}

/// A running receiver.
#[derive(Debug)]
pub struct Receiver {
    pub local_addr: SocketAddr,
    pub counters: Arc<Counters>,
    pub task: JoinHandle<()>,
}

/// Binds a UDP receiver (`tokio` runtime needed).
pub async fn bind_udp(addr: SocketAddr) -> io::Result<UdpSocket> {
    UdpSocket::bind(addr).await
}

/// Binds a TCP receiver (`tokio` runtime needed).
pub async fn bind_tcp(addr: SocketAddr) -> io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Receives datagrams on `socket` until the receiver of `tx` is dropped.
pub fn spawn_udp(
    id: SourceId,
    socket: UdpSocket,
    opts: SyslogOptions,
    tx: mpsc::Sender<SourceMsg>,
) -> io::Result<Receiver> {
    let local_addr = socket.local_addr()?;
    let counters = Arc::new(Counters::default());
    spawn_stats(id, counters.clone(), tx.clone());
    let c = counters.clone();
    let granted = (opts.rcvbuf > 0)
        .then(|| kernel::set_rcvbuf(&socket, opts.rcvbuf))
        .flatten();
    let counted = kernel::enable_drop_counter(&socket);
    let task = tokio::spawn(async move {
        let mut status = format!("listening on udp://{local_addr}");
        if let Some(g) = granted {
            status.push_str(&format!(", receive buffer {} KiB", g / 1024));
        }
        if !counted {
            status.push_str(", kernel drops not counted on this system");
        }
        if tx
            .send(SourceMsg::Notice(id, Notice::Status(status)))
            .await
            .is_err()
        {
            return;
        }
        let mut out = Outbox::new(id, &opts, c.clone());
        // One byte more than the cap tells a cut datagram from a full one.
        let mut buf = vec![0u8; opts.max_message.max(1).saturating_add(1).min(65536)];
        let mut origin: Option<(SocketAddr, Arc<str>)> = None;
        loop {
            let recv = tokio::select! {
                r = socket.async_io(tokio::io::Interest::READABLE, || kernel::recv(&socket, &mut buf)) => Some(r),
                () = tokio::time::sleep(RETRY_EVERY), if out.holding() => None,
                () = tx.closed() => return,
            };
            if let Some(r) = recv {
                let mut next = Some(r);
                // Take whatever is already queued in the socket as one batch.
                while let Some(r) = next.take() {
                    // Errors (ICMP reports of earlier sends and the like)
                    // leave the socket usable: skip them.
                    if let Ok((n, from, drops)) = r {
                        if let Some(d) = drops {
                            // A running total since the socket was made.
                            c.kernel_dropped.fetch_max(u64::from(d), Ordering::Relaxed);
                        }
                        if !opts.allows(from.ip()) {
                            c.disallowed.fetch_add(1, Ordering::Relaxed);
                            if out.pending_len() < opts.batch_lines {
                                match socket.try_io(tokio::io::Interest::READABLE, || {
                                    kernel::recv(&socket, &mut buf)
                                }) {
                                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                                    r => next = Some(r),
                                }
                            }
                            continue;
                        }
                        let o = match &origin {
                            Some((a, o)) if *a == from => o.clone(),
                            _ => {
                                let o: Arc<str> = Arc::from(format!("udp://{from}"));
                                origin = Some((from, o.clone()));
                                o
                            }
                        };
                        let dgram = trim_datagram(&buf[..n]);
                        let cut = dgram.len() > opts.max_message;
                        let msg = &dgram[..dgram.len().min(opts.max_message)];
                        if msg.is_empty() {
                            c.received.fetch_add(1, Ordering::Relaxed);
                            c.malformed.fetch_add(1, Ordering::Relaxed);
                        } else if !out.push(msg, cut, &o, &tx) {
                            return;
                        }
                    }
                    if out.pending_len() < opts.batch_lines {
                        match socket.try_io(tokio::io::Interest::READABLE, || {
                            kernel::recv(&socket, &mut buf)
                        }) {
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                            r => next = Some(r),
                        }
                    }
                }
            }
            if !out.flush(&tx) {
                return;
            }
        }
    });
    Ok(Receiver {
        local_addr,
        counters,
        task,
    })
}

/// A datagram without the line terminators some senders append.
fn trim_datagram(d: &[u8]) -> &[u8] {
    let end = d
        .iter()
        .rposition(|&b| !matches!(b, b'\n' | b'\r' | b'\0'))
        .map_or(0, |i| i + 1);
    &d[..end]
}

/// Accepts connections on `listener` until the receiver of `tx` is dropped.
pub fn spawn_tcp(
    id: SourceId,
    listener: TcpListener,
    opts: SyslogOptions,
    tx: mpsc::Sender<SourceMsg>,
) -> io::Result<Receiver> {
    spawn_stream(id, listener, None, opts, tx)
}

/// Accepts TLS connections (RFC 5425) on `listener` until the receiver of
/// `tx` is dropped. A failed handshake is reported once and counted as
/// malformed.
pub fn spawn_tls(
    id: SourceId,
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    opts: SyslogOptions,
    tx: mpsc::Sender<SourceMsg>,
) -> io::Result<Receiver> {
    spawn_stream(id, listener, Some(acceptor), opts, tx)
}

fn spawn_stream(
    id: SourceId,
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    opts: SyslogOptions,
    tx: mpsc::Sender<SourceMsg>,
) -> io::Result<Receiver> {
    let local_addr = listener.local_addr()?;
    let counters = Arc::new(Counters::default());
    spawn_stats(id, counters.clone(), tx.clone());
    let c = counters.clone();
    let scheme = if tls.is_some() { "tls" } else { "tcp" };
    let task = tokio::spawn(async move {
        let status = format!("listening on {scheme}://{local_addr}");
        if tx
            .send(SourceMsg::Notice(id, Notice::Status(status)))
            .await
            .is_err()
        {
            return;
        }
        let open = Arc::new(AtomicUsize::new(0));
        let mut refused_reported = false;
        loop {
            let accepted = tokio::select! {
                a = listener.accept() => a,
                () = tx.closed() => return,
            };
            let (stream, from) = match accepted {
                Ok(a) => a,
                // Out of descriptors and the like: back off a little.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            if !opts.allows(from.ip()) {
                drop(stream);
                c.disallowed.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            if open.load(Ordering::Acquire) >= opts.max_connections {
                drop(stream);
                if !refused_reported {
                    refused_reported = true;
                    let msg = format!(
                        "{scheme}://{local_addr}: more than {} connections; closing new ones",
                        opts.max_connections
                    );
                    let _ = tx.try_send(SourceMsg::Notice(id, Notice::Error(msg)));
                }
                continue;
            }
            open.fetch_add(1, Ordering::AcqRel);
            let (tx, c, opts, open) = (tx.clone(), c.clone(), opts.clone(), open.clone());
            let tls = tls.clone();
            tokio::spawn(async move {
                match tls {
                    None => connection(id, stream, from, "tcp", &opts, c, &tx).await,
                    Some(acceptor) => match acceptor.accept(stream).await {
                        Ok(s) => connection(id, s, from, "tls", &opts, c, &tx).await,
                        Err(e) => {
                            c.malformed.fetch_add(1, Ordering::Relaxed);
                            let msg = format!("tls://{from}: handshake failed: {e}");
                            let _ = tx.try_send(SourceMsg::Notice(id, Notice::Error(msg)));
                        }
                    },
                }
                open.fetch_sub(1, Ordering::AcqRel);
            });
        }
    });
    Ok(Receiver {
        local_addr,
        counters,
        task,
    })
}

async fn connection(
    id: SourceId,
    mut stream: impl AsyncRead + Unpin,
    from: SocketAddr,
    scheme: &str,
    opts: &SyslogOptions,
    c: Arc<Counters>,
    tx: &mpsc::Sender<SourceMsg>,
) {
    let origin: Arc<str> = Arc::from(format!("{scheme}://{from}"));
    let mut framer = Framer::new(opts.max_message);
    let mut out = Outbox::new(id, opts, c.clone());
    let mut buf = vec![0u8; 64 * 1024];
    let mut malformed_seen = 0;
    let mut alive = true;
    loop {
        let read = tokio::select! {
            r = stream.read(&mut buf) => Some(r),
            () = tokio::time::sleep(RETRY_EVERY), if out.holding() => None,
            () = tx.closed() => return,
        };
        let mut eof = false;
        if let Some(r) = read {
            let n = match r {
                Ok(0) | Err(_) => {
                    eof = true;
                    0
                }
                Ok(n) => n,
            };
            let mut msgs = Vec::new();
            framer.feed(&buf[..n], |m, cut| msgs.push((m.to_vec(), cut)));
            if eof {
                framer.finish(|m, cut| msgs.push((m.to_vec(), cut)));
            }
            for (m, cut) in msgs {
                alive &= out.push(&m, cut, &origin, tx);
            }
            c.malformed
                .fetch_add(framer.malformed - malformed_seen, Ordering::Relaxed);
            malformed_seen = framer.malformed;
        }
        if !alive || !out.flush(tx) {
            return;
        }
        if eof {
            // The last batch may be waiting for room; it is the connection's
            // own, so give it the usual chance before going.
            while out.holding() {
                tokio::time::sleep(RETRY_EVERY).await;
                if !out.flush(tx) {
                    return;
                }
            }
            return;
        }
    }
}

/// A receiver's batch under construction, and what to do when the queue is
/// full.
struct Outbox {
    id: SourceId,
    batch: LineBatch,
    next_line: u64,
    cap: usize,
    counters: Arc<Counters>,
    /// The batch could not be sent; it waits for room.
    held: bool,
}

impl Outbox {
    fn new(id: SourceId, opts: &SyslogOptions, counters: Arc<Counters>) -> Self {
        Outbox {
            id,
            batch: LineBatch::new(1),
            next_line: 1,
            cap: opts.batch_lines.max(1),
            counters,
            held: false,
        }
    }

    fn holding(&self) -> bool {
        self.held
    }

    fn pending_len(&self) -> usize {
        self.batch.len()
    }

    /// Adds one message, dropping it (counted) when the batch is full and
    /// the queue has no room. False once the engine is gone.
    fn push(
        &mut self,
        msg: &[u8],
        truncated: bool,
        origin: &Arc<str>,
        tx: &mpsc::Sender<SourceMsg>,
    ) -> bool {
        let c = self.counters.clone();
        c.received.fetch_add(1, Ordering::Relaxed);
        if truncated {
            c.truncated.fetch_add(1, Ordering::Relaxed);
        }
        if classify(msg) == Format::Malformed {
            c.malformed.fetch_add(1, Ordering::Relaxed);
        }
        if self.full() {
            if !self.flush(tx) {
                return false;
            }
            if self.full() {
                c.dropped.fetch_add(1, Ordering::Relaxed);
                return true;
            }
        }
        if self.batch.is_empty() {
            self.batch.first_line = self.next_line;
        }
        self.batch.set_origin(origin.clone());
        self.batch.push(msg);
        self.next_line += 1;
        true
    }

    fn full(&self) -> bool {
        self.batch.len() >= self.cap || self.batch.byte_len() >= BATCH_MAX_BYTES
    }

    /// Offers the batch to the queue without waiting. False once the engine
    /// is gone.
    fn flush(&mut self, tx: &mpsc::Sender<SourceMsg>) -> bool {
        if self.batch.is_empty() {
            self.held = false;
            return true;
        }
        let n = self.batch.len() as u64;
        let batch = std::mem::replace(&mut self.batch, LineBatch::new(self.next_line));
        match tx.try_send(SourceMsg::Lines(self.id, batch)) {
            Ok(()) => {
                self.counters.delivered.fetch_add(n, Ordering::Relaxed);
                self.held = false;
                true
            }
            Err(TrySendError::Full(SourceMsg::Lines(_, batch))) => {
                self.batch = batch;
                self.held = true;
                true
            }
            Err(_) => false,
        }
    }
}

/// Offers the counters to the engine while they change (a full queue only
/// delays them: each report is a running total).
fn spawn_stats(id: SourceId, counters: Arc<Counters>, tx: mpsc::Sender<SourceMsg>) {
    tokio::spawn(async move {
        let mut sent = SourceStats::default();
        let mut tick = tokio::time::interval(STATS_EVERY);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = tx.closed() => return,
            }
            let now = counters.stats();
            // `received` alone changes with every message; only what the
            // header shows is worth a notice.
            let shown = |s: &SourceStats| {
                (
                    s.dropped,
                    s.truncated,
                    s.malformed,
                    s.disallowed,
                    s.kernel_dropped,
                )
            };
            if shown(&now) != shown(&sent) {
                match tx.try_send(SourceMsg::Notice(id, Notice::Stats(now))) {
                    Ok(()) => sent = now,
                    Err(TrySendError::Full(_)) => {}
                    Err(TrySendError::Closed(_)) => return,
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datagrams_lose_trailing_terminators_only() {
        assert_eq!(trim_datagram(b"<1>a\r\n\0"), b"<1>a");
        assert_eq!(trim_datagram(b"\n\n"), b"");
        assert_eq!(trim_datagram(b"<1>a\nb"), b"<1>a\nb");
    }
}
