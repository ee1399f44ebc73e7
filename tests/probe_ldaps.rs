//! `vpnwatch probe` against a real slapd speaking LDAPS with a certificate
//! from a private CA the test makes with `openssl` (tests/common/testca.rs):
//! trusted through `--ldap-ca FILE` or the config's `ldap_ca`, refused
//! without it, and a clear one-line error for a CA file that cannot be used.

mod common;

use common::servers::*;

/// The LDAPS server and the CA that signed its certificate (kept alive).
struct Ldaps {
    server: Server,
    ca: common::testca::TestCa,
    _dir: tempfile::TempDir,
}

fn start() -> Option<Ldaps> {
    let dir = tempfile::tempdir().unwrap();
    let ca = common::testca::make(dir.path())?;
    let server = start_ldaps(&ca)?;
    Some(Ldaps {
        server,
        ca,
        _dir: dir,
    })
}

const ENV: [(&str, &str); 1] = [("VPNWATCH_LDAP_PASSWORD", "svc-test-pw")];

#[test]
fn ldaps_with_a_private_ca_binds_only_when_the_ca_is_trusted() {
    let Some(l) = start() else { return };
    let url = format!("ldaps://127.0.0.1:{}", l.server.port);
    let base = [
        "--bind-dn",
        SERVICE_DN,
        "--base-dn",
        BASE,
        "--ldap",
        &url,
        "--timeout",
        "5",
        "--no-journal",
    ];
    let ca = l.ca.ca_cert.to_str().unwrap();

    let trusted = probe(
        &[&base[..], &["--ldap-ca", ca, "--user", "lockeduser"]].concat(),
        &ENV,
    );
    assert_eq!(trusted.code, 0, "{}{}", trusted.stdout, trusted.stderr);
    let line = trusted.stdout.trim_end();
    assert!(
        line.starts_with(&format!("✔ ldap {url} bound in ")),
        "{line}"
    );
    assert!(
        line.ends_with("account_locked (lockoutTime: locked out)"),
        "{line}"
    );

    // The system's store does not know the private CA.
    let untrusted = probe(&base, &ENV);
    assert_eq!(
        untrusted.code, 1,
        "{}{}",
        untrusted.stdout, untrusted.stderr
    );
    assert!(
        untrusted.stdout.contains("TLS: invalid peer certificate"),
        "{}",
        untrusted.stdout
    );

    // Another CA (of the same name) is not this one.
    let other_dir = tempfile::tempdir().unwrap();
    let Some(other) = common::testca::make(other_dir.path()) else {
        return;
    };
    let wrong = probe(
        &[&base[..], &["--ldap-ca", other.ca_cert.to_str().unwrap()]].concat(),
        &ENV,
    );
    assert_eq!(wrong.code, 1, "{}{}", wrong.stdout, wrong.stderr);
    assert!(
        wrong.stdout.contains("TLS: invalid peer certificate"),
        "{}",
        wrong.stdout
    );

    // The config file's `ldap_ca` does the same as the flag.
    let config = other_dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[probe]\nldap = [\"{url}\"]\nbind_dn = \"{SERVICE_DN}\"\nldap_ca = \"{ca}\"\ntimeout = 5\n"
        ),
    )
    .unwrap();
    let from_config = probe(
        &["--config", config.to_str().unwrap(), "--no-journal"],
        &ENV,
    );
    assert_eq!(
        from_config.code, 0,
        "{}{}",
        from_config.stdout, from_config.stderr
    );
}

#[test]
fn an_unusable_ca_file_is_a_one_line_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("missing.pem");
    let not_pem = tmp.path().join("notes.txt");
    std::fs::write(&not_pem, "this is not a certificate\n").unwrap();
    let broken = tmp.path().join("broken.pem");
    std::fs::write(
        &broken,
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    for (file, says) in [
        (&missing, "No such file or directory"),
        (&not_pem, "no certificate in the file"),
        (&broken, "certificate 1: "),
    ] {
        let run = probe(
            &[
                "--ldap",
                "ldaps://127.0.0.1:9",
                "--ldap-ca",
                file.to_str().unwrap(),
            ],
            &[],
        );
        assert_eq!(
            run.code,
            2,
            "{}: {}{}",
            file.display(),
            run.stdout,
            run.stderr
        );
        assert!(run.stdout.is_empty(), "no probe ran: {}", run.stdout);
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        let expected = format!("vpnwatch: probe: LDAPS CA file {}: ", file.display());
        assert!(run.stderr.starts_with(&expected), "{}", run.stderr);
        assert!(run.stderr.contains(says), "{}", run.stderr);
    }
}
