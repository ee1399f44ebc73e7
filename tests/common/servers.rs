//! The AAA servers of the `vpnwatch probe` tests: a FreeRADIUS and an
//! OpenLDAP (`slapd`) started on loopback ports of their own from the
//! configuration in tests/fixtures/radius and tests/fixtures/ldap, each
//! stopped by its own process id; and running `vpnwatch probe` itself.

use std::io::{BufRead, BufReader};
use std::net::{TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin;

use super::need;

pub const START_TIMEOUT: Duration = Duration::from_secs(10);
pub const RADIUS_SECRET: &str = "vpnwatch-test-secret";
pub const BASE: &str = "dc=example,dc=test";
pub const SERVICE_DN: &str = "cn=svc-vpnwatch,ou=service,dc=example,dc=test";

/// The server binary, or `None` (test skipped) outside CI.
pub fn server_binary(name: &str) -> Option<PathBuf> {
    let found = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file());
    if found.is_none() {
        need::missing(&format!("the server `{name}`"));
    }
    found
}

pub fn fixture(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
}

/// A copy of a fixture directory with `@PORT@` and `@DIR@` filled in.
pub fn copy_fixture(dir: &str, port: u16) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixture(dir)).unwrap() {
        let entry = entry.unwrap();
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let text = text
            .replace("@PORT@", &port.to_string())
            .replace("@DIR@", &tmp.path().display().to_string());
        std::fs::write(tmp.path().join(entry.file_name()), text).unwrap();
    }
    tmp
}

pub fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn free_tcp_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A server process of this test, stopped by its own id when dropped.
pub struct Server {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// FreeRADIUS in the foreground, ready when it says so on stdout.
pub fn start_radius() -> Option<Server> {
    let bin = server_binary("freeradius")?;
    let port = free_udp_port();
    let dir = copy_fixture("radius", port);
    let mut child = Command::new(bin)
        .args(["-f", "-l", "stdout", "-d"])
        .arg(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting freeradius");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("Ready to process requests") {
                let _ = tx.send(());
            }
        }
    });
    let server = Server {
        child,
        port,
        _dir: dir,
    };
    rx.recv_timeout(START_TIMEOUT)
        .expect("freeradius did not get ready");
    Some(server)
}

/// slapd with the test directory loaded, ready when its port accepts.
pub fn start_ldap() -> Option<Server> {
    start_slapd(None)
}

/// slapd as [`start_ldap`], but speaking LDAPS only, with the server
/// certificate and key of `ca` (see [`super::testca`]).
pub fn start_ldaps(ca: &super::testca::TestCa) -> Option<Server> {
    start_slapd(Some(ca))
}

fn start_slapd(tls: Option<&super::testca::TestCa>) -> Option<Server> {
    let slapd = server_binary("slapd")?;
    let slapadd = server_binary("slapadd")?;
    let port = free_tcp_port();
    let dir = copy_fixture("ldap", port);
    std::fs::create_dir(dir.path().join("db")).unwrap();
    let conf = dir.path().join("slapd.conf");
    if let Some(ca) = tls {
        // Global directives: before the first `database` line.
        let text = std::fs::read_to_string(&conf).unwrap();
        let tls = format!(
            "TLSCertificateFile {}\nTLSCertificateKeyFile {}\n\ndatabase mdb",
            ca.server_cert.display(),
            ca.server_key.display()
        );
        std::fs::write(&conf, text.replacen("database mdb", &tls, 1)).unwrap();
    }
    let loaded = Command::new(slapadd)
        .arg("-f")
        .arg(&conf)
        .arg("-l")
        .arg(dir.path().join("data.ldif"))
        .output()
        .expect("running slapadd");
    assert!(
        loaded.status.success(),
        "slapadd: {}",
        String::from_utf8_lossy(&loaded.stderr)
    );
    let scheme = if tls.is_some() { "ldaps" } else { "ldap" };
    let child = Command::new(slapd)
        .args(["-d", "0", "-f"])
        .arg(&conf)
        .arg("-h")
        .arg(format!("{scheme}://127.0.0.1:{port}/"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting slapd");
    let server = Server {
        child,
        port,
        _dir: dir,
    };
    let deadline = Instant::now() + START_TIMEOUT;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "slapd did not start listening");
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(server)
}

/// A file holding `text` (a secret) for `--*-file` flags.
pub fn secret_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("{text}\n")).unwrap();
    path
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// The directory the probe ran in (where today's journal lands when
    /// no other is named).
    pub cwd: tempfile::TempDir,
}

/// Runs `vpnwatch probe` in a directory of its own (so today's journal,
/// written by default, lands there and not in the checkout).
pub fn probe(args: &[&str], env: &[(&str, &str)]) -> Run {
    let cwd = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(cargo_bin("vpnwatch"));
    cmd.arg("probe")
        .args(args)
        .current_dir(cwd.path())
        .stdin(Stdio::null());
    // No config file of the machine's user, no secret from the caller.
    cmd.env("XDG_CONFIG_HOME", "/nonexistent-vpnwatch-test")
        .env_remove("VPNWATCH_RADIUS_SECRET")
        .env_remove("VPNWATCH_LDAP_PASSWORD");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        cwd,
    }
}

pub fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}
