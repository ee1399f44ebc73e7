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

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
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

/// An address block, `192.0.2.0/24`, `2001:db8::/32`, or one address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl std::str::FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (a, p) = s.split_once('/').unwrap_or((s, ""));
        let addr: IpAddr = a
            .trim()
            .parse()
            .map_err(|_| format!("{s:?} is not an address or address block (192.0.2.0/24)"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = if p.is_empty() {
            max
        } else {
            p.trim()
                .parse::<u8>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| format!("{s:?}: prefix length must be 0 to {max}"))?
        };
        Ok(Cidr { addr, prefix })
    }
}

impl Cidr {
    /// Whether `ip` is in the block (an IPv4-mapped IPv6 address counts as
    /// its IPv4 address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        let bits = |a: IpAddr| match a {
            IpAddr::V4(v) => (u128::from(u32::from(v)) << 96, 32u32),
            IpAddr::V6(v) => (u128::from(v), 128u32),
        };
        let ((net, width), (host, host_width)) = (bits(self.addr), bits(ip));
        if width != host_width {
            return false;
        }
        let prefix = u32::from(self.prefix);
        let mask = if prefix == 0 {
            0
        } else {
            u128::MAX << (128 - prefix)
        };
        net & mask == host & mask
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

/// What a message's header says it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `<PRI>1 …`
    Rfc5424,
    /// `<PRI>` followed by anything else (BSD syslog, Cisco's own headers).
    Rfc3164,
    /// No valid `<PRI>` (0–191) at the start.
    Malformed,
}

/// Classifies a message by its header.
pub fn classify(msg: &[u8]) -> Format {
    let Some(rest) = msg.strip_prefix(b"<") else {
        return Format::Malformed;
    };
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if !(1..=3).contains(&digits) || rest.get(digits) != Some(&b'>') {
        return Format::Malformed;
    }
    let pri = rest[..digits]
        .iter()
        .fold(0u32, |v, &d| v * 10 + u32::from(d - b'0'));
    if pri > 191 || (digits > 1 && rest[0] == b'0') {
        return Format::Malformed;
    }
    if rest[digits + 1..].starts_with(b"1 ") {
        Format::Rfc5424
    } else {
        Format::Rfc3164
    }
}

/// Splits a TCP byte stream into syslog messages (see the module docs).
/// Sans I/O, so it is tested and fuzzed on its own.
#[derive(Debug)]
pub struct Framer {
    max: usize,
    state: FrameState,
    buf: Vec<u8>,
    truncated: bool,
    /// Frames that were not valid (a bad octet count, an empty frame, a frame
    /// cut short by the end of the stream).
    pub malformed: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FrameState {
    /// Between frames.
    Start,
    /// Reading an octet count (its digits are in `buf`).
    Count,
    /// Reading `n` more octets of a counted frame.
    Octets(usize),
    /// Reading up to LF.
    Line,
}

/// Digits in an octet count at most (a count of 10^9 is already absurd).
const MAX_COUNT_DIGITS: usize = 9;

impl Framer {
    pub fn new(max_message: usize) -> Self {
        Framer {
            max: max_message.max(1),
            state: FrameState::Start,
            buf: Vec::new(),
            truncated: false,
            malformed: 0,
        }
    }

    /// Feeds received bytes; `emit(message, truncated)` for each complete
    /// message.
    pub fn feed(&mut self, mut data: &[u8], mut emit: impl FnMut(&[u8], bool)) {
        while let Some((&b, rest)) = data.split_first() {
            match self.state {
                FrameState::Start => {
                    if matches!(b, b'\n' | b'\r' | b'\0' | b' ') {
                        // Stray separators between frames.
                        data = rest;
                    } else if b.is_ascii_digit() {
                        self.buf.push(b);
                        self.state = FrameState::Count;
                        data = rest;
                    } else {
                        self.state = FrameState::Line;
                    }
                }
                FrameState::Count => {
                    if b.is_ascii_digit() && self.buf.len() < MAX_COUNT_DIGITS {
                        self.buf.push(b);
                        data = rest;
                    } else if b == b' ' {
                        let n = self
                            .buf
                            .iter()
                            .fold(0usize, |v, &d| v * 10 + usize::from(d - b'0'));
                        self.buf.clear();
                        data = rest;
                        if n == 0 {
                            self.malformed += 1;
                            self.state = FrameState::Start;
                        } else {
                            self.state = FrameState::Octets(n);
                        }
                    } else {
                        // Not a count after all: the digits start a line.
                        self.malformed += 1;
                        self.state = FrameState::Line;
                    }
                }
                FrameState::Octets(n) => {
                    let take = n.min(data.len());
                    self.keep(&data[..take], self.max);
                    data = &data[take..];
                    if take == n {
                        self.emit(&mut emit);
                    } else {
                        self.state = FrameState::Octets(n - take);
                    }
                }
                FrameState::Line => match memchr::memchr(b'\n', data) {
                    Some(pos) => {
                        self.keep(&data[..pos], self.max + 1);
                        data = &data[pos + 1..];
                        self.emit(&mut emit);
                    }
                    None => {
                        self.keep(data, self.max + 1);
                        data = &[];
                    }
                },
            }
        }
    }

    /// The stream ended: a last LF frame without its LF is a message; a
    /// counted frame cut short is kept but counted as malformed.
    pub fn finish(&mut self, mut emit: impl FnMut(&[u8], bool)) {
        match self.state {
            FrameState::Start => {}
            FrameState::Line if !self.buf.is_empty() => self.emit(&mut emit),
            FrameState::Line => self.state = FrameState::Start,
            FrameState::Count | FrameState::Octets(_) => {
                self.malformed += 1;
                if self.state == FrameState::Count {
                    // Digits and nothing else: text, cut to the cap like a line.
                    self.state = FrameState::Line;
                }
                if self.buf.is_empty() {
                    self.state = FrameState::Start;
                } else {
                    self.emit(&mut emit);
                }
            }
        }
    }

    /// Keeps what fits in `limit` bytes (an LF frame may hold one more, a CR
    /// that turns out to be part of its terminator).
    fn keep(&mut self, bytes: &[u8], limit: usize) {
        let room = limit.saturating_sub(self.buf.len());
        if bytes.len() > room {
            self.truncated = true;
        }
        self.buf.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn emit(&mut self, emit: &mut impl FnMut(&[u8], bool)) {
        if self.state == FrameState::Line {
            if self.buf.last() == Some(&b'\r') {
                self.buf.pop();
            }
            if self.buf.len() > self.max {
                self.buf.truncate(self.max);
                self.truncated = true;
            }
        }
        if self.buf.is_empty() {
            self.malformed += 1;
        } else {
            emit(&self.buf, self.truncated);
        }
        self.buf.clear();
        self.truncated = false;
        self.state = FrameState::Start;
    }
}

/// Binds a UDP receiver (`tokio` runtime needed).
pub async fn bind_udp(addr: SocketAddr) -> io::Result<UdpSocket> {
    UdpSocket::bind(addr).await
}

/// Loads the certificate chain and private key (PEM files) for
/// `--syslog-tls`. Errors name the file.
pub fn tls_acceptor(cert: &Path, key: &Path) -> anyhow::Result<tokio_rustls::TlsAcceptor> {
    use anyhow::Context;
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| anyhow::anyhow!("{}: {e}", cert.display()))?;
    if certs.is_empty() {
        anyhow::bail!("{}: no certificate in the file", cert.display());
    }
    let key =
        PrivateKeyDer::from_pem_file(key).map_err(|e| anyhow::anyhow!("{}: {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("--tls-cert and --tls-key do not make a usable pair")?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
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

/// The kernel's side of a UDP socket: the receive buffer and its drop
/// counter (Linux), read with `recvmsg` control messages.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod kernel {
    use std::io;
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
    use std::os::fd::AsRawFd;

    use tokio::net::UdpSocket;

    fn set_int(fd: i32, opt: libc::c_int, value: libc::c_int) -> bool {
        // SAFETY: a valid descriptor and a pointer to an int of the size given.
        let r = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                opt,
                (&raw const value).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        r == 0
    }

    /// Asks for `bytes` of receive buffer (beyond `rmem_max` when allowed);
    /// the size granted, as the kernel reports it.
    pub fn set_rcvbuf(socket: &UdpSocket, bytes: usize) -> Option<usize> {
        let fd = socket.as_raw_fd();
        let want = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
        if !set_int(fd, libc::SO_RCVBUFFORCE, want) {
            set_int(fd, libc::SO_RCVBUF, want);
        }
        let mut got: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: a valid descriptor, an int and its length.
        let r = unsafe {
            libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVBUF,
                (&raw mut got).cast(),
                &raw mut len,
            )
        };
        (r == 0).then(|| usize::try_from(got).unwrap_or(0))
    }

    /// Turns on the per-socket drop counter; false when the kernel refuses.
    pub fn enable_drop_counter(socket: &UdpSocket) -> bool {
        set_int(socket.as_raw_fd(), libc::SO_RXQ_OVFL, 1)
    }

    /// One datagram without waiting: its length, sender and the kernel's
    /// running count of datagrams dropped on this socket (when it sent one).
    pub fn recv(
        socket: &UdpSocket,
        buf: &mut [u8],
    ) -> io::Result<(usize, SocketAddr, Option<u32>)> {
        // SAFETY: all-zero is a valid sockaddr_storage and msghdr.
        let mut addr: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // u64s for alignment; room for a few control messages.
        let mut control = [0u64; 16];
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_name = (&raw mut addr).cast();
        msg.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        msg.msg_iov = &raw mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = std::mem::size_of_val(&control);
        // SAFETY: every pointer in `msg` points at a live buffer of the length given.
        let n = unsafe { libc::recvmsg(socket.as_raw_fd(), &raw mut msg, libc::MSG_DONTWAIT) };
        let n = usize::try_from(n).map_err(|_| io::Error::last_os_error())?;
        let mut drops = None;
        // SAFETY: walking the control messages the kernel wrote into `control`.
        unsafe {
            let mut cmsg = libc::CMSG_FIRSTHDR(&raw const msg);
            while !cmsg.is_null() {
                if (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SO_RXQ_OVFL
                {
                    drops = Some(libc::CMSG_DATA(cmsg).cast::<u32>().read_unaligned());
                }
                cmsg = libc::CMSG_NXTHDR(&raw const msg, cmsg);
            }
        }
        let from = match i32::from(addr.ss_family) {
            libc::AF_INET => {
                // SAFETY: the kernel wrote a sockaddr_in for AF_INET.
                let a = unsafe { &*(&raw const addr).cast::<libc::sockaddr_in>() };
                SocketAddr::V4(SocketAddrV4::new(
                    Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr)),
                    u16::from_be(a.sin_port),
                ))
            }
            libc::AF_INET6 => {
                // SAFETY: the kernel wrote a sockaddr_in6 for AF_INET6.
                let a = unsafe { &*(&raw const addr).cast::<libc::sockaddr_in6>() };
                SocketAddr::V6(SocketAddrV6::new(
                    Ipv6Addr::from(a.sin6_addr.s6_addr),
                    u16::from_be(a.sin6_port),
                    a.sin6_flowinfo,
                    a.sin6_scope_id,
                ))
            }
            _ => return Err(io::Error::other("datagram from an unknown address family")),
        };
        Ok((n, from, drops))
    }
}

/// Elsewhere: the operating system's defaults, and no drop counter.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod kernel {
    use std::io;
    use std::net::SocketAddr;

    use tokio::net::UdpSocket;

    pub fn set_rcvbuf(_: &UdpSocket, _: usize) -> Option<usize> {
        None
    }

    pub fn enable_drop_counter(_: &UdpSocket) -> bool {
        false
    }

    pub fn recv(
        socket: &UdpSocket,
        buf: &mut [u8],
    ) -> io::Result<(usize, SocketAddr, Option<u32>)> {
        socket.try_recv_from(buf).map(|(n, a)| (n, a, None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(chunks: &[&[u8]], max: usize) -> (Vec<(String, bool)>, u64) {
        let mut f = Framer::new(max);
        let mut got = Vec::new();
        for c in chunks {
            f.feed(c, |m, t| {
                got.push((String::from_utf8_lossy(m).into_owned(), t))
            });
        }
        f.finish(|m, t| got.push((String::from_utf8_lossy(m).into_owned(), t)));
        (got, f.malformed)
    }

    fn msgs(v: &[(&str, bool)]) -> Vec<(String, bool)> {
        v.iter().map(|(s, t)| (s.to_string(), *t)).collect()
    }

    #[test]
    fn classifies_headers() {
        assert_eq!(
            classify(b"<165>1 2026-11-28T10:00:00Z h a - - - m"),
            Format::Rfc5424
        );
        assert_eq!(
            classify(b"<166>Nov 28 2026 10:00:00 fw : %ASA-6-1"),
            Format::Rfc3164
        );
        assert_eq!(classify(b"<0>x"), Format::Rfc3164);
        for bad in [
            &b"no pri"[..],
            b"<>x",
            b"<192>x",
            b"<1234>x",
            b"<01>x",
            b"<12",
            b"",
        ] {
            assert_eq!(classify(bad), Format::Malformed, "{bad:?}");
        }
    }

    #[test]
    fn lf_and_octet_counted_frames_mix() {
        let stream = b"<1>a\n10 <2>b\nc d e<3>f\r\n\n";
        let (got, malformed) = frames(&[stream], 100);
        assert_eq!(
            got,
            msgs(&[("<1>a", false), ("<2>b\nc d e", false), ("<3>f", false)])
        );
        assert_eq!(malformed, 0);
    }

    #[test]
    fn any_chunking_gives_the_same_frames() {
        let stream: &[u8] = b"5 <1>ab<2>xyz\r\n12x <3>q\n0 7 <4>long-message\n";
        let whole = frames(&[stream], 6);
        for i in 0..=stream.len() {
            for j in i..=stream.len() {
                let got = frames(&[&stream[..i], &stream[i..j], &stream[j..]], 6);
                assert_eq!(got, whole, "split at {i},{j}");
            }
        }
        // `12x` is not a count: a malformed frame kept as a line; `0 ` is an
        // empty frame; the 12-byte frame is cut to 6.
        assert_eq!(
            whole.0,
            msgs(&[
                ("<1>ab", false),
                ("<2>xyz", false),
                ("12x <3", true),
                ("<4>lon", true),
                ("-messa", true)
            ])
        );
    }

    #[test]
    fn oversized_frames_are_cut_and_the_rest_discarded() {
        let (got, _) = frames(&[b"10 0123456789<1>next\n"], 4);
        assert_eq!(got, msgs(&[("0123", true), ("<1>n", true)]));
        let (got, _) = frames(&[b"<1>abcdefgh\n<2>ok\n"], 6);
        assert_eq!(got, msgs(&[("<1>abc", true), ("<2>ok", false)]));
    }

    #[test]
    fn a_frame_cut_by_the_end_of_the_stream_is_kept_and_counted() {
        let (got, malformed) = frames(&[b"20 <1>short"], 100);
        assert_eq!(got, msgs(&[("<1>short", false)]));
        assert_eq!(malformed, 1);
        let (got, malformed) = frames(&[b"<1>no newline"], 100);
        assert_eq!(got, msgs(&[("<1>no newline", false)]));
        assert_eq!(malformed, 0);
    }

    #[test]
    fn a_stream_of_digits_alone_is_cut_to_the_cap() {
        // Found by the `syslog_framing` fuzz target.
        let (got, malformed) = frames(&[b"55"], 1);
        assert_eq!(got, msgs(&[("5", true)]));
        assert_eq!(malformed, 1);
    }

    #[test]
    fn datagrams_lose_trailing_terminators_only() {
        assert_eq!(trim_datagram(b"<1>a\r\n\0"), b"<1>a");
        assert_eq!(trim_datagram(b"\n\n"), b"");
        assert_eq!(trim_datagram(b"<1>a\nb"), b"<1>a\nb");
    }
}
