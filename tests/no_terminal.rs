//! Started without a terminal (cron, `ssh` without `-t`, output redirected)
//! the dashboard says so in one line and exits 1 instead of panicking in
//! the terminal setup. The test's child has no TTY: stdin is empty and
//! stdout and stderr are pipes.

use assert_cmd::Command;

const MESSAGE: &str = "vpnwatch: the dashboard needs a terminal; use scan or events for files\n";

fn without_terminal(args: &[&str]) {
    let out = Command::cargo_bin("vpnwatch")
        .expect("binary is built")
        .args(args)
        .output()
        .expect("run vpnwatch");
    assert_eq!(out.status.code(), Some(1), "{args:?}");
    assert_eq!(String::from_utf8_lossy(&out.stderr), MESSAGE, "{args:?}");
    assert!(out.stdout.is_empty(), "{args:?}: nothing drawn");
}

#[test]
fn the_dashboard_without_a_terminal_says_so_in_one_line() {
    without_terminal(&["sample-logs/asa-headend.log"]);
    without_terminal(&["demo"]);
}
