//! The syslog receivers over loopback (127.0.0.1, ephemeral ports only):
//! RFC 3164 and 5424 messages, LF and octet-counted TCP framing, malformed
//! and oversized messages, and floods that overrun the queue, where the
//! counters must be exact (`received = delivered + dropped`) and what is held
//! in memory stays bounded by the queue.
//!
//! Every wait is bounded by [`TIMEOUT`]; nothing sleeps and hopes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::mpsc;
use tokio::time::Instant;
use vpnwatch::source::SourceMsg;
use vpnwatch::source::syslog::{
    Cidr, Counters, Receiver, SyslogOptions, bind_tcp, bind_udp, spawn_tcp, spawn_tls, spawn_udp,
    tls_acceptor,
};
use vpnwatch::vocab::{Notice, SourceId, SourceStats};

mod common;

const TIMEOUT: Duration = Duration::from_secs(10);
const ID: SourceId = SourceId(3);

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// What came out of the receiver's queue.
#[derive(Default)]
struct Got {
    /// (origin, message)
    lines: Vec<(String, String)>,
    stats: Option<SourceStats>,
}

impl Got {
    fn take(&mut self, msg: SourceMsg) {
        match msg {
            SourceMsg::Lines(id, batch) => {
                assert_eq!(id, ID);
                for l in batch.line_refs() {
                    self.lines.push((
                        l.origin.unwrap_or("").to_string(),
                        String::from_utf8_lossy(l.bytes).into_owned(),
                    ));
                }
            }
            SourceMsg::Notice(_, Notice::Stats(s)) => self.stats = Some(s),
            SourceMsg::Notice(..) => {}
        }
    }

    /// Receives until `done(self)` holds.
    async fn until(
        &mut self,
        rx: &mut mpsc::Receiver<SourceMsg>,
        what: &str,
        done: impl Fn(&Got) -> bool,
    ) {
        let deadline = Instant::now() + TIMEOUT;
        while !done(self) {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(msg)) => self.take(msg),
                Ok(None) => panic!("receiver ended waiting for {what}"),
                Err(_) => panic!("timed out waiting for {what}; got {:?}", self.lines),
            }
        }
    }
}

fn texts(got: &Got) -> Vec<&str> {
    got.lines.iter().map(|(_, m)| m.as_str()).collect()
}

/// Waits (bounded) until `cond` holds for the counters.
async fn wait_counters(c: &Counters, what: &str, cond: impl Fn(&Counters) -> bool) {
    let deadline = Instant::now() + TIMEOUT;
    while !cond(c) {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {:?}",
            c.stats()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn udp_receiver(opts: SyslogOptions, cap: usize) -> (Receiver, mpsc::Receiver<SourceMsg>) {
    let (tx, rx) = mpsc::channel(cap);
    let socket = bind_udp(loopback()).await.unwrap();
    (spawn_udp(ID, socket, opts, tx).unwrap(), rx)
}

async fn tcp_receiver(opts: SyslogOptions, cap: usize) -> (Receiver, mpsc::Receiver<SourceMsg>) {
    let (tx, rx) = mpsc::channel(cap);
    let listener = bind_tcp(loopback()).await.unwrap();
    (spawn_tcp(ID, listener, opts, tx).unwrap(), rx)
}

#[tokio::test]
async fn udp_rfc3164_rfc5424_malformed_and_oversized() {
    let opts = SyslogOptions {
        max_message: 80,
        ..SyslogOptions::default()
    };
    let (r, mut rx) = udp_receiver(opts, 64).await;
    let sender = UdpSocket::bind(loopback()).await.unwrap();
    let me = sender.local_addr().unwrap();
    let bsd = "<166>Nov 28 2026 10:00:00 fw1 : %ASA-6-302013: Built inbound TCP connection 1";
    let ietf = "<165>1 2026-11-28T10:00:00Z fw1 asa - - - %ASA-6-113004: AAA ok\n";
    let long = format!("<166>{}", "x".repeat(200));
    for m in [bsd, ietf, "not syslog at all", &long, "\n"] {
        sender.send_to(m.as_bytes(), r.local_addr).await.unwrap();
    }
    let mut got = Got::default();
    got.until(&mut rx, "4 messages", |g| g.lines.len() >= 4)
        .await;
    assert_eq!(
        texts(&got),
        [bsd, ietf.trim_end(), "not syslog at all", &long[..80],]
    );
    assert!(got.lines.iter().all(|(o, _)| *o == format!("udp://{me}")));
    // The empty datagram counts as received and malformed; nothing dropped.
    wait_counters(&r.counters, "5 received", |c| c.stats().received == 5).await;
    let want = SourceStats {
        received: 5,
        dropped: 0,
        truncated: 1,
        malformed: 2,
        ..SourceStats::default()
    };
    assert_eq!(r.counters.stats(), want);
    got.until(&mut rx, "the stats notice", |g| g.stats == Some(want))
        .await;
}

#[tokio::test]
async fn tcp_lf_and_octet_counting_per_frame_and_connection() {
    let opts = SyslogOptions {
        max_message: 64,
        ..SyslogOptions::default()
    };
    let (r, mut rx) = tcp_receiver(opts, 64).await;
    let mut lf = TcpStream::connect(r.local_addr).await.unwrap();
    let lf_addr = lf.local_addr().unwrap();
    lf.write_all(
        b"<166>Nov 28 2026 10:00:00 fw1 : %ASA-6-1: a\r\n<165>1 2026-11-28T10:00:00Z h a - - - b\n",
    )
    .await
    .unwrap();
    let mut counted = TcpStream::connect(r.local_addr).await.unwrap();
    let counted_addr = counted.local_addr().unwrap();
    let m1 = "<165>1 2026-11-28T10:00:01Z h a - - - with\nnewline";
    let m2 = format!("<166>{}", "y".repeat(100));
    let frames = format!("{} {m1}{} {m2}12x <166>no count\n", m1.len(), m2.len());
    // In small pieces, so frames straddle reads.
    for piece in frames.as_bytes().chunks(7) {
        counted.write_all(piece).await.unwrap();
    }
    // A frame cut short by the end of the connection.
    counted.write_all(b"50 <166>short").await.unwrap();
    drop(counted);
    drop(lf);
    let mut got = Got::default();
    got.until(&mut rx, "6 messages", |g| g.lines.len() >= 6)
        .await;
    let from = |a: SocketAddr| format!("tcp://{a}");
    let mut lf_lines: Vec<&str> = Vec::new();
    let mut counted_lines: Vec<&str> = Vec::new();
    for (o, m) in &got.lines {
        if *o == from(lf_addr) {
            lf_lines.push(m);
        } else {
            assert_eq!(*o, from(counted_addr));
            counted_lines.push(m);
        }
    }
    assert_eq!(
        lf_lines,
        [
            "<166>Nov 28 2026 10:00:00 fw1 : %ASA-6-1: a",
            "<165>1 2026-11-28T10:00:00Z h a - - - b"
        ]
    );
    assert_eq!(
        counted_lines,
        [m1, &m2[..64], "12x <166>no count", "<166>short"]
    );
    wait_counters(&r.counters, "6 received", |c| c.stats().received == 6).await;
    let s = r.counters.stats();
    assert_eq!((s.dropped, s.truncated), (0, 1));
    // `12x` is no count (and the line has no PRI), the last frame is short.
    assert_eq!(s.malformed, 3, "{s:?}");
}

/// A TCP sender floods a receiver whose queue is never read until the
/// flood is over: messages beyond the queue and the receiver's own batch
/// are dropped, and every one is counted.
#[tokio::test]
async fn tcp_flood_drops_exactly_and_stays_bounded() {
    const N: u64 = 20_000;
    const CAP: usize = 4;
    const BATCH: usize = 50;
    let opts = SyslogOptions {
        batch_lines: BATCH,
        ..SyslogOptions::default()
    };
    let (r, mut rx) = tcp_receiver(opts, CAP).await;
    let c: Arc<Counters> = r.counters.clone();
    let mut s = TcpStream::connect(r.local_addr).await.unwrap();
    let mut data = Vec::new();
    for i in 0..N {
        data.extend_from_slice(format!("<166>Nov 28 2026 10:00:00 fw1 : msg {i}\n").as_bytes());
    }
    s.write_all(&data).await.unwrap();
    s.shutdown().await.unwrap();
    wait_counters(&c, "the whole flood", |c| c.stats().received == N).await;
    // Bounded: the queue (CAP slots) holds at most CAP batches.
    let in_queue = c.delivered();
    assert!(
        in_queue <= (CAP * BATCH) as u64,
        "{in_queue} delivered while the queue was full"
    );
    let mut got = Got::default();
    got.until(&mut rx, "every kept message", |g| {
        g.lines.len() as u64 + c.stats().dropped == N
    })
    .await;
    let stats = c.stats();
    assert!(stats.dropped > 0, "the flood did not overrun the queue");
    assert_eq!(got.lines.len() as u64, c.delivered());
    assert_eq!(got.lines.len() as u64 + stats.dropped, N);
    // What arrived is in order, with no duplicates.
    let nums: Vec<u64> = got
        .lines
        .iter()
        .map(|(_, m)| m.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    assert!(nums.windows(2).all(|w| w[0] < w[1]));
    // The header's counter catches up once the queue has room.
    got.until(&mut rx, "the final stats", |g| {
        g.stats.is_some_and(|s| s.dropped == stats.dropped)
    })
    .await;
}

/// The same over UDP. The kernel may drop datagrams before they are read
/// (not ours to count), so the sender waits after every few datagrams until
/// the receiver has read them all: then `received` is exactly what was sent.
#[tokio::test]
async fn udp_flood_counts_every_datagram() {
    const N: u64 = 5_000;
    let opts = SyslogOptions {
        batch_lines: 20,
        ..SyslogOptions::default()
    };
    let (r, mut rx) = udp_receiver(opts, 2).await;
    let c = r.counters.clone();
    let sender = UdpSocket::bind(loopback()).await.unwrap();
    for i in 0..N {
        let m = format!("<166>Nov 28 2026 10:00:00 fw1 : msg {i}");
        sender.send_to(m.as_bytes(), r.local_addr).await.unwrap();
        if i % 100 == 99 || i == N - 1 {
            wait_counters(&c, "the receiver to read", |c| c.stats().received == i + 1).await;
        }
    }
    assert!(
        c.delivered() <= 2 * 20,
        "more delivered than the queue holds"
    );
    let mut got = Got::default();
    got.until(&mut rx, "every kept datagram", |g| {
        g.lines.len() as u64 + c.stats().dropped == N
    })
    .await;
    let s = c.stats();
    assert_eq!(s.received, N);
    assert!(s.dropped > 0, "the flood did not overrun the queue: {s:?}");
    assert_eq!(got.lines.len() as u64, c.delivered());
}

#[tokio::test]
async fn senders_outside_the_allow_list_are_dropped_and_counted() {
    let opts = SyslogOptions {
        allow: vec!["192.0.2.0/24".parse::<Cidr>().unwrap()],
        ..SyslogOptions::default()
    };
    let (udp, mut udp_rx) = udp_receiver(opts.clone(), 64).await;
    let (tcp, mut tcp_rx) = tcp_receiver(opts, 64).await;
    let sender = UdpSocket::bind(loopback()).await.unwrap();
    for _ in 0..3 {
        sender
            .send_to(
                b"<166>Nov 28 2026 10:00:00 fw1 : %ASA-6-113005: spoofed",
                udp.local_addr,
            )
            .await
            .unwrap();
    }
    let mut conn = TcpStream::connect(tcp.local_addr).await.unwrap();
    // The connection is closed at once: the write may or may not fail.
    let _ = conn.write_all(b"<166>Nov 28 2026 10:00:00 fw1 : x\n").await;
    wait_counters(&udp.counters, "3 disallowed datagrams", |c| {
        c.stats().disallowed == 3
    })
    .await;
    wait_counters(&tcp.counters, "1 disallowed connection", |c| {
        c.stats().disallowed == 1
    })
    .await;
    let (mut got_udp, mut got_tcp) = (Got::default(), Got::default());
    got_udp
        .until(&mut udp_rx, "the stats notice", |g| {
            g.stats.is_some_and(|s| s.disallowed == 3)
        })
        .await;
    got_tcp
        .until(&mut tcp_rx, "the stats notice", |g| {
            g.stats.is_some_and(|s| s.disallowed == 1)
        })
        .await;
    assert!(got_udp.lines.is_empty() && got_tcp.lines.is_empty());
    assert_eq!(
        (udp.counters.stats().received, tcp.counters.stats().received),
        (0, 0)
    );

    // The same sender allowed: delivered.
    let opts = SyslogOptions {
        allow: vec![
            "127.0.0.0/8".parse().unwrap(),
            "2001:db8::/32".parse().unwrap(),
        ],
        ..SyslogOptions::default()
    };
    let (udp, mut udp_rx) = udp_receiver(opts, 64).await;
    sender.send_to(b"<166>ok", udp.local_addr).await.unwrap();
    let mut got = Got::default();
    got.until(&mut udp_rx, "the allowed datagram", |g| g.lines.len() == 1)
        .await;
    assert_eq!(udp.counters.stats().disallowed, 0);
}

#[test]
fn cidr_blocks() {
    let c: Cidr = "10.1.0.0/16".parse().unwrap();
    assert!(c.contains("10.1.200.3".parse().unwrap()));
    assert!(c.contains("::ffff:10.1.0.9".parse().unwrap()));
    assert!(!c.contains("10.2.0.1".parse().unwrap()));
    assert!(!c.contains("2001:db8::1".parse().unwrap()));
    let one: Cidr = "192.0.2.7".parse().unwrap();
    assert!(one.contains("192.0.2.7".parse().unwrap()));
    assert!(!one.contains("192.0.2.8".parse().unwrap()));
    assert!(
        "0.0.0.0/0"
            .parse::<Cidr>()
            .unwrap()
            .contains("203.0.113.1".parse().unwrap())
    );
    for bad in ["10.0.0.0/33", "fw1", "10.0.0.0/x", "::/129"] {
        assert!(bad.parse::<Cidr>().is_err(), "{bad}");
    }
}

/// Datagrams sent while the receiver cannot read overflow a small socket
/// buffer; the kernel's counter makes `received + kernel_dropped` exact.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[tokio::test]
async fn datagrams_the_kernel_drops_are_counted() {
    const N: u64 = 2_000;
    let opts = SyslogOptions {
        rcvbuf: 1, // the kernel's minimum
        ..SyslogOptions::default()
    };
    // A full queue holds the receiver at its first notice, before it reads.
    let (tx, mut rx) = mpsc::channel(1);
    tx.send(SourceMsg::Notice(ID, Notice::Finished))
        .await
        .unwrap();
    let socket = bind_udp(loopback()).await.unwrap();
    let r = spawn_udp(ID, socket, opts, tx).unwrap();
    let sender = UdpSocket::bind(loopback()).await.unwrap();
    let msg = format!("<166>Nov 28 2026 10:00:00 fw1 : {}", "x".repeat(200));
    for _ in 0..N {
        sender.send_to(msg.as_bytes(), r.local_addr).await.unwrap();
    }
    // Let the receiver read.
    assert!(matches!(
        rx.recv().await,
        Some(SourceMsg::Notice(_, Notice::Finished))
    ));
    // The kernel tells its count with the next datagram it queues: send one
    // at a time until one arrives that carries it.
    let mut sent = N;
    while r.counters.stats().kernel_dropped == 0 {
        assert!(sent < N + 1_000, "no drop count after {} probes", sent - N);
        let before = r.counters.stats().received;
        sender.send_to(msg.as_bytes(), r.local_addr).await.unwrap();
        sent += 1;
        wait_counters(&r.counters, "the receiver to read", |c| {
            c.stats().received > before
        })
        .await;
    }
    wait_counters(&r.counters, "every datagram counted", |c| {
        let s = c.stats();
        s.received + s.kernel_dropped == sent
    })
    .await;
    let s = r.counters.stats();
    assert!(s.kernel_dropped > 0 && s.received > 0, "{s:?}");
    let mut got = Got::default();
    got.until(&mut rx, "the stats notice", |g| {
        g.stats
            .is_some_and(|st| st.kernel_dropped == s.kernel_dropped)
    })
    .await;
}

#[tokio::test]
async fn tls_receiver_reads_octet_counted_frames() {
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
    let dir = tempfile::tempdir().unwrap();
    let Some(ca) = common::testca::make(dir.path()) else {
        return;
    };
    let acceptor = tls_acceptor(&ca.server_cert, &ca.server_key).unwrap();
    let (tx, mut rx) = mpsc::channel(64);
    let listener = bind_tcp(loopback()).await.unwrap();
    let r = spawn_tls(ID, listener, acceptor, SyslogOptions::default(), tx).unwrap();

    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(&ca.ca_cert).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(r.local_addr).await.unwrap();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    let a = "<166>1 2026-11-28T10:00:00Z fw1 asa - - - %ASA-6-113005: one";
    let b = "<166>Nov 28 2026 10:00:01 fw1 : %ASA-6-113005: two\nwith a newline inside";
    for m in [a, b] {
        tls.write_all(format!("{} {m}", m.len()).as_bytes())
            .await
            .unwrap();
    }
    tls.flush().await.unwrap();
    let mut got = Got::default();
    got.until(&mut rx, "2 messages", |g| g.lines.len() >= 2)
        .await;
    assert_eq!(texts(&got), [a, b]);
    assert!(
        got.lines
            .iter()
            .all(|(o, _)| o.starts_with("tls://127.0.0.1:"))
    );

    // A client that does not speak TLS is counted, not read as syslog.
    let mut plain = TcpStream::connect(r.local_addr).await.unwrap();
    let _ = plain
        .write_all(b"<166>Nov 28 2026 10:00:00 fw1 : plain\n")
        .await;
    let _ = plain.shutdown().await;
    wait_counters(&r.counters, "the failed handshake", |c| {
        c.stats().malformed == 1
    })
    .await;
    assert_eq!(r.counters.stats().received, 2);
}
