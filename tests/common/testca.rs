//! A throw-away certificate authority for TLS tests, made with the
//! `openssl` command: a CA, and a server certificate it signed for
//! 127.0.0.1 / localhost. EC P-256 keys, valid two days.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::need;

/// The files of a test CA, all PEM.
pub struct TestCa {
    pub ca_cert: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
}

/// Makes a CA and a server certificate in `dir`; `None` (after
/// [`need::missing`]) when `openssl` is not there.
pub fn make(dir: &Path) -> Option<TestCa> {
    if !need::tool("openssl", &["version"]) {
        return None;
    }
    let p = |name: &str| dir.join(name);
    let ext = p("server.ext");
    std::fs::write(
        &ext,
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = Command::new("openssl").args(args).output().unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let s = |p: &PathBuf| p.to_string_lossy().into_owned();
    let (ca_key, ca_cert, key, csr, cert) = (
        p("ca.key"),
        p("ca.pem"),
        p("server.key"),
        p("server.csr"),
        p("server.pem"),
    );
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    run(&[
        &["req", "-x509"][..],
        &ec,
        &[
            "-keyout",
            &s(&ca_key),
            "-out",
            &s(&ca_cert),
            "-days",
            "2",
            "-subj",
            "/CN=vpnwatch test CA",
        ],
    ]
    .concat());
    run(&[
        &["req"][..],
        &ec,
        &[
            "-keyout",
            &s(&key),
            "-out",
            &s(&csr),
            "-subj",
            "/CN=localhost",
        ],
    ]
    .concat());
    run(&[
        "x509",
        "-req",
        "-in",
        &s(&csr),
        "-CA",
        &s(&ca_cert),
        "-CAkey",
        &s(&ca_key),
        "-CAcreateserial",
        "-out",
        &s(&cert),
        "-days",
        "2",
        "-extfile",
        &s(&ext),
    ]);
    Some(TestCa {
        ca_cert,
        server_cert: cert,
        server_key: key,
    })
}
