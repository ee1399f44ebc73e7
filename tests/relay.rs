//! A real rsyslog (Debian's `rsyslog`, `rsyslog-gnutls`) as the relay in
//! front of vpnwatch, as enterprise networks run it: ASA lines arrive at
//! rsyslog over UDP on a loopback port, and rsyslog forwards them
//!
//! * to `vpnwatch --syslog-tcp` with octet-counted framing and
//!   `RSYSLOG_ForwardFormat` (its RFC 3339 header replaces the ASA's),
//! * to `vpnwatch --syslog-tls` the same way over TLS (RFC 5425), with a CA
//!   the test makes, and
//! * to a file through a JSON template (`option.jsonf`), whose `message` is
//!   the line without its header, read afterwards by `vpnwatch events`.
//!
//! No line may be lost and every attempt must be counted. Every wait is
//! bounded; nothing sleeps and hopes.

mod common;

use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::need;

const N: usize = 300;
const TIMEOUT: Duration = Duration::from_secs(30);

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_vpnwatch"))
}

/// `rsyslogd` (in /usr/sbin, which a plain user's PATH may lack).
fn rsyslogd() -> Option<PathBuf> {
    let found = ["rsyslogd", "/usr/sbin/rsyslogd", "/sbin/rsyslogd"]
        .into_iter()
        .find(|c| {
            Command::new(c)
                .arg("-v")
                .output()
                .is_ok_and(|o| o.status.success())
        });
    if found.is_none() {
        need::missing("the tool `rsyslogd` (Debian package rsyslog)");
    }
    found.map(PathBuf::from)
}

/// rsyslog's TLS driver (Debian package rsyslog-gnutls).
fn has_gtls() -> bool {
    let found = glob::glob("/usr/lib/*/rsyslog/lmnsd_gtls.so")
        .ok()
        .and_then(|mut g| g.next())
        .is_some()
        || Path::new("/usr/lib/rsyslog/lmnsd_gtls.so").exists();
    if !found {
        need::missing("rsyslog's TLS driver lmnsd_gtls (Debian package rsyslog-gnutls)");
    }
    found
}

/// Kills and reaps a child when the test ends, however it ends.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A free UDP port on loopback (bound and released).
fn free_udp_port() -> u16 {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.local_addr().unwrap().port()
}

/// What vpnwatch printed: events (stdout), notices (stderr), and the ports
/// its receivers listen on.
#[derive(Default)]
struct Seen {
    events: Vec<serde_json::Value>,
    notices: Vec<String>,
    ports: (Option<u16>, Option<u16>),
}

impl Seen {
    fn take(&mut self, (is_err, line): (bool, String)) {
        if !is_err {
            if let Ok(v) = serde_json::from_str(&line) {
                self.events.push(v);
            }
            return;
        }
        for (scheme, slot) in [("tcp", &mut self.ports.0), ("tls", &mut self.ports.1)] {
            let needle = format!("listening on {scheme}://127.0.0.1:");
            if let Some(at) = line.find(&needle) {
                let digits: String = line[at + needle.len()..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                *slot = digits.parse().ok();
            }
        }
        self.notices.push(line);
    }
}

fn asa_line(i: usize) -> String {
    let (m, s) = (i / 60, i % 60);
    format!(
        "<166>Nov 28 2026 09:{m:02}:{s:02} fw : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 192.0.2.10 : user = user{i:03} : user IP = 203.0.113.{}",
        i % 250 + 1
    )
}

#[test]
fn rsyslog_relays_over_tcp_tls_and_json_file_without_loss() {
    let Some(rsyslogd) = rsyslogd() else { return };
    if !has_gtls() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(ca) = common::testca::make(dir.path()) else {
        return;
    };

    // vpnwatch listens on ports the kernel picks, and says which.
    let mut vw = Reaped(
        Command::new(bin())
            .args([
                "events",
                "--follow",
                "--syslog-tcp=127.0.0.1:0",
                "--syslog-tls=127.0.0.1:0",
                "--tls-cert",
            ])
            .arg(&ca.server_cert)
            .arg("--tls-key")
            .arg(&ca.server_key)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let (tx, rx) = mpsc::channel::<(bool, String)>();
    let stdout = vw.0.stdout.take().unwrap();
    let stderr = vw.0.stderr.take().unwrap();
    for (is_err, pipe) in [
        (false, Box::new(stdout) as Box<dyn std::io::Read + Send>),
        (true, Box::new(stderr)),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if tx.send((is_err, line)).is_err() {
                    return;
                }
            }
        });
    }
    let deadline = Instant::now() + TIMEOUT;
    let mut seen = Seen::default();
    while seen.ports.0.is_none() || seen.ports.1.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        let msg = rx
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("vpnwatch did not start listening: {:?}", seen.notices));
        seen.take(msg);
    }
    let (Some(tcp), Some(tls)) = seen.ports else {
        unreachable!()
    };

    let udp = free_udp_port();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let json_file = dir.path().join("relay.json");
    let conf = dir.path().join("rsyslog.conf");
    std::fs::write(
        &conf,
        format!(
            r#"global(workDirectory="{work}" DefaultNetstreamDriverCAFile="{ca}")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="{udp}")
template(name="vpnwatch_json" type="list" option.jsonf="on") {{
  property(outname="@timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="host" name="hostname" format="jsonf")
  property(outname="message" name="msg" format="jsonf")
}}
action(type="omfwd" target="127.0.0.1" port="{tcp}" protocol="tcp" TCP_Framing="octet-counted" template="RSYSLOG_ForwardFormat" action.resumeRetryCount="-1" queue.type="LinkedList")
action(type="omfwd" target="127.0.0.1" port="{tls}" protocol="tcp" TCP_Framing="octet-counted" template="RSYSLOG_ForwardFormat" StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/name" StreamDriverPermittedPeers="localhost" action.resumeRetryCount="-1" queue.type="LinkedList")
action(type="omfile" file="{json}" template="vpnwatch_json")
"#,
            work = work.display(),
            ca = ca.ca_cert.display(),
            json = json_file.display(),
        ),
    )
    .unwrap();
    let check = Command::new(&rsyslogd)
        .args(["-N1", "-f"])
        .arg(&conf)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "rsyslog rejects the configuration: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    let _relay = Reaped(
        Command::new(&rsyslogd)
            .args(["-n", "-f"])
            .arg(&conf)
            .arg("-i")
            .arg(dir.path().join("rsyslogd.pid"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("rsyslogd.err")).unwrap())
            .spawn()
            .unwrap(),
    );
    let relay_errors =
        || std::fs::read_to_string(dir.path().join("rsyslogd.err")).unwrap_or_default();

    // rsyslog says nothing when its input is up: send a probe until one
    // reaches the file.
    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    let probe = b"<13>Nov 28 2026 08:59:00 probe : relay-ready";
    loop {
        assert!(
            Instant::now() < deadline,
            "rsyslog never relayed a probe: {}",
            relay_errors()
        );
        sender.send_to(probe, ("127.0.0.1", udp)).unwrap();
        let wait = Instant::now() + Duration::from_millis(200);
        while Instant::now() < wait {
            if std::fs::read_to_string(&json_file).is_ok_and(|t| t.contains("relay-ready")) {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        if std::fs::read_to_string(&json_file).is_ok_and(|t| t.contains("relay-ready")) {
            break;
        }
    }
    for i in 0..N {
        sender
            .send_to(asa_line(i).as_bytes(), ("127.0.0.1", udp))
            .unwrap();
        // Small bursts: this test is about the relay, not about UDP overflow.
        if i % 50 == 49 {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    // Every line arrives over TCP and over TLS.
    let from = |events: &[serde_json::Value], scheme: &str| {
        events
            .iter()
            .filter(|e| {
                e["source"].as_str().is_some_and(|s| s.starts_with(scheme))
                    && e["msg_id"] == "113005"
            })
            .count()
    };
    while from(&seen.events, "tcp://") < N || from(&seen.events, "tls://") < N {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(msg) => seen.take(msg),
            Err(_) => panic!(
                "timed out: {} over TCP, {} over TLS of {N}; notices {:?}; rsyslog: {}",
                from(&seen.events, "tcp://"),
                from(&seen.events, "tls://"),
                seen.notices,
                relay_errors()
            ),
        }
    }
    let events = seen.events;
    assert_eq!((from(&events, "tcp://"), from(&events, "tls://")), (N, N));
    // The same lines through two headend sources count once: whichever copy
    // arrives first is the attempt, the other is marked a duplicate.
    let relayed: Vec<_> = events.iter().filter(|e| e["msg_id"] == "113005").collect();
    let attempts = relayed.iter().filter(|e| e["attempt"] == true).count();
    let copies = relayed.iter().filter(|e| e["duplicate"] == true).count();
    assert_eq!(
        (attempts, copies),
        (N, N),
        "attempts and copies over TCP and TLS"
    );
    // The relayed header (RFC 3339, host `fw`) reads like the device's own.
    let first = events
        .iter()
        .find(|e| e["user"] == "user000")
        .expect("user000");
    assert_eq!(first["ts"], "2026-11-28T09:00:00Z");
    assert_eq!(first["host"], "fw");
    assert_eq!(first["cause"], "bad_credentials");

    // The JSON file: headerless messages, read with the envelope's time and host.
    let deadline = Instant::now() + TIMEOUT;
    while std::fs::read_to_string(&json_file).map_or(0, |t| t.matches("%ASA-6-113005").count()) < N
    {
        assert!(
            Instant::now() < deadline,
            "the JSON file never got {N} lines"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = Command::new(bin())
        .arg("events")
        .arg(&json_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let failures: Vec<_> = read.iter().filter(|e| e["msg_id"] == "113005").collect();
    assert_eq!(failures.len(), N);
    assert_eq!(read.iter().filter(|e| e["attempt"] == true).count(), N);
    assert!(
        failures
            .iter()
            .all(|e| e["ts_from"] == "envelope" && e["host"] == "fw")
    );
    let first = failures.iter().find(|e| e["user"] == "user000").unwrap();
    assert_eq!(first["ts"], "2026-11-28T09:00:00Z");
}
