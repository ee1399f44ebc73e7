//! The dashboard under a real pseudo-terminal: started inside tmux, sent
//! SIGTERM, SIGHUP or SIGINT, it must leave the terminal as it found it —
//! canonical mode and echo back on (`stty -a` in the pane afterwards), the
//! alternate screen left and the cursor visible (tmux's own view of the
//! pane), exit status 0.
//!
//! tmux drives the PTY because it reports the terminal state without any
//! screen scraping. Without tmux the test is skipped with a message, except
//! under CI, where it fails (`.ci/run` installs tmux). Every wait is bounded
//! by [`TIMEOUT`].

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(15);

fn tmux_available() -> bool {
    common::need::tool("tmux", &["-V"])
}

/// One tmux server on a private socket, killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// A server on its own socket named `socket`, with one session `t` of
    /// `width` x `height` running `command`.
    fn start(socket: String, width: u16, height: u16, command: &str) -> Tmux {
        let tmux = Tmux { socket };
        let (width, height) = (width.to_string(), height.to_string());
        let started = tmux.run(&[
            "new-session",
            "-d",
            "-x",
            &width,
            "-y",
            &height,
            "-s",
            "t",
            command,
        ]);
        assert!(
            started.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&started.stderr)
        );
        tmux
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .env("TERM", "xterm-256color")
            .output()
            .expect("run tmux")
    }

    /// A format variable of the pane (`#{alternate_on}` …).
    fn pane(&self, format: &str) -> String {
        let out = self.run(&["display-message", "-p", "-t", "t", format]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn screen(&self) -> String {
        let out = self.run(&["capture-pane", "-p", "-t", "t"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

/// The dashboard on `log`, written as `asa.log` in a new directory it runs
/// in (its journal beside it), with `flags` before the file, in a tmux
/// session `name` of `width` x `height`. The directory lives as long as the
/// returned guard.
fn dashboard_on(
    log: &str,
    flags: &str,
    name: &str,
    width: u16,
    height: u16,
) -> (tempfile::TempDir, Tmux) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("asa.log"), log).expect("write the log");
    let cmd = format!(
        "cd '{}' && '{}' {flags} --journal journal.jsonl asa.log",
        dir.path().display(),
        env!("CARGO_BIN_EXE_vpnwatch")
    );
    let tmux = Tmux::start(
        format!("vpnwatch-test-{}-{name}", std::process::id()),
        width,
        height,
        &cmd,
    );
    (dir, tmux)
}

fn wait_until(what: &str, tmux: &Tmux, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + TIMEOUT;
    while !cond() {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; screen:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `stty -a` output has `icanon` / `-icanon` and `echo` / `-echo` as words.
fn has_flag(stty: &str, flag: &str) -> bool {
    stty.split(|c: char| c.is_whitespace() || c == ';')
        .any(|w| w == flag)
}

fn restore_after(signal: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(
        d.join("asa.log"),
        "<166>Nov 28 2026 10:00:00 fw1 : %ASA-6-302013: Built inbound TCP connection 1\n",
    )
    .expect("write the log");
    // The pane runs this script: the dashboard (its pid written first, so
    // the test can signal exactly it), then the terminal's state, then
    // waits so the pane can still be inspected.
    let script = format!(
        "cd '{dir}'\n\
         sh -c 'echo $$ > pid.tmp && mv pid.tmp pid && exec \"$0\" \"$@\"' '{bin}' --journal journal.jsonl asa.log\n\
         echo $? > rc\n\
         stty -a > after.txt\n\
         touch done\n\
         exec sleep 120\n",
        dir = d.display(),
        bin = env!("CARGO_BIN_EXE_vpnwatch"),
    );
    std::fs::write(d.join("run.sh"), script).expect("write the script");
    let run = d.join("run.sh");
    let tmux = Tmux::start(
        format!("vpnwatch-test-{}-{signal}", std::process::id()),
        100,
        30,
        &format!("sh '{}'", run.display()),
    );

    let exists = |p: &str| Path::new(&d.join(p)).exists();
    wait_until("the dashboard", &tmux, || {
        exists("pid") && tmux.pane("#{alternate_on}") == "1" && tmux.screen().contains("Headend")
    });
    // While it runs the terminal is raw: proof the checks below mean something.
    let tty = tmux.pane("#{pane_tty}");
    let during = Command::new("stty")
        .args(["-a", "-F", &tty])
        .output()
        .expect("stty");
    if during.status.success() {
        let during = String::from_utf8_lossy(&during.stdout);
        assert!(has_flag(&during, "-icanon"), "not in raw mode: {during}");
    }

    let pid = std::fs::read_to_string(d.join("pid")).expect("pid");
    let killed = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.trim())
        .status()
        .expect("kill");
    assert!(killed.success());
    wait_until("the dashboard to exit", &tmux, || exists("done"));

    let rc = std::fs::read_to_string(d.join("rc")).expect("rc");
    assert_eq!(rc.trim(), "0", "exit status after SIG{signal}");
    let after = std::fs::read_to_string(d.join("after.txt")).expect("stty output");
    assert!(
        has_flag(&after, "icanon"),
        "icanon not restored after SIG{signal}: {after}"
    );
    assert!(
        has_flag(&after, "echo"),
        "echo not restored after SIG{signal}: {after}"
    );
    assert_eq!(
        tmux.pane("#{alternate_on}"),
        "0",
        "still on the alternate screen"
    );
    assert_eq!(tmux.pane("#{cursor_flag}"), "1", "cursor still hidden");
}

#[test]
fn terminal_is_restored_on_sigterm_sighup_and_sigint() {
    if !tmux_available() {
        return;
    }
    for signal in ["TERM", "HUP", "INT"] {
        restore_after(signal);
    }
}

/// A file larger than its backlog, end to end: the dashboard shows the last
/// lines, counts the bytes before them in the background and ends with the
/// counts of the whole file (six failed attempts, five of them before the
/// backlog), with the backlog marker saying they were counted.
#[test]
fn the_bytes_before_the_backlog_are_counted_in_the_background() {
    if !tmux_available() {
        return;
    }
    let mut log = String::new();
    for i in 0..600 {
        if i % 100 == 50 {
            log.push_str(&format!(
                "Dec  5 08:{:02}:00 fw1 : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.1.1.10 : user = user{i} : user IP = 192.0.2.{}\n",
                i / 10,
                i / 100 + 1
            ));
        } else {
            log.push_str(&format!(
                "Dec  5 08:{:02}:00 fw1 : %ASA-6-302013: Built inbound TCP connection {i}\n",
                i / 10
            ));
        }
    }
    let (_dir, tmux) = dashboard_on(&log, "--backlog 60", "backlog", 160, 40);
    wait_until("all six failed attempts counted", &tmux, || {
        let screen = tmux.screen();
        screen.contains("✖ 6 failed attempts") && !screen.contains("counting earlier lines")
    });
    let screen = tmux.screen();
    assert!(screen.contains("6 users"), "{screen}");
    // Only the backlog (and the marker) is in the pane; at its top, the
    // marker says the bytes before were counted.
    assert!(screen.contains("asa.log · 61 lines"), "{screen}");
    tmux.run(&["send-keys", "-t", "t", "Home"]);
    wait_until("the backlog marker", &tmux, || {
        tmux.screen().contains("earlier bytes counted, not shown")
    });
}

/// The mouse flags the dashboard leaves in the pane while it runs and
/// after `q`: (any-event reporting on, SGR encoding on) for each.
fn mouse_flags(extra: &[&str]) -> ((String, String), (String, String)) {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(
        d.join("asa.log"),
        "<166>Nov 28 2026 10:00:00 fw1 : %ASA-6-302013: Built inbound TCP connection 1\n",
    )
    .expect("write the log");
    let script = format!(
        "cd '{dir}'\n'{bin}' --journal journal.jsonl {extra} asa.log\ntouch done\nexec sleep 120\n",
        dir = d.display(),
        bin = env!("CARGO_BIN_EXE_vpnwatch"),
        extra = extra.join(" "),
    );
    std::fs::write(d.join("run.sh"), script).expect("write the script");
    let run = d.join("run.sh");
    let tmux = Tmux::start(
        format!("vpnwatch-mouse-{}-{}", std::process::id(), extra.len()),
        100,
        30,
        &format!("sh '{}'", run.display()),
    );
    wait_until("the dashboard", &tmux, || {
        tmux.pane("#{alternate_on}") == "1" && tmux.screen().contains("Headend")
    });
    let flags = |t: &Tmux| (t.pane("#{mouse_any_flag}"), t.pane("#{mouse_sgr_flag}"));
    let during = flags(&tmux);
    tmux.run(&["send-keys", "-t", "t", "q"]);
    wait_until("the dashboard to quit", &tmux, || d.join("done").exists());
    (during, flags(&tmux))
}

#[test]
fn the_mouse_is_reported_unless_no_mouse_and_released_on_quit() {
    if !tmux_available() {
        return;
    }
    let on = ("1".to_string(), "1".to_string());
    let off = ("0".to_string(), "0".to_string());
    assert_eq!(mouse_flags(&[]), (on, off.clone()));
    assert_eq!(mouse_flags(&["--no-mouse"]), (off.clone(), off));
}

/// `demo` under a terminal, ended by `signal`: its temporary directory (the
/// copied logs and the practice journal) must be gone afterwards.
fn demo_cleans_up_after(signal: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let tmp = d.join("tmp");
    std::fs::create_dir(&tmp).expect("tmp dir");
    let script = format!(
        "cd '{dir}'\n\
         TMPDIR='{tmp}' sh -c 'echo $$ > pid.tmp && mv pid.tmp pid && exec \"$0\" \"$@\"' '{bin}' demo\n\
         exec sleep 120\n",
        dir = d.display(),
        tmp = tmp.display(),
        bin = env!("CARGO_BIN_EXE_vpnwatch"),
    );
    std::fs::write(d.join("run.sh"), script).expect("write the script");
    let run = d.join("run.sh");
    let tmux = Tmux::start(
        format!("vpnwatch-test-{}-demo-{signal}", std::process::id()),
        120,
        40,
        &format!("sh '{}'", run.display()),
    );
    let demo_dirs = || {
        std::fs::read_dir(&tmp)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .filter(|e| {
                        e.file_name()
                            .to_string_lossy()
                            .starts_with("vpnwatch-demo-")
                    })
                    .count()
            })
            .unwrap_or(0)
    };
    wait_until("the demo dashboard", &tmux, || {
        d.join("pid").exists() && demo_dirs() == 1 && tmux.screen().contains("Headend")
    });
    let pid = std::fs::read_to_string(d.join("pid")).expect("pid");
    let pid = pid.trim();
    if signal == "HUP" {
        // A real hang-up: the terminal goes away (which sends SIGHUP to the
        // session, more than once), not a polite single signal.
        tmux.run(&["kill-server"]);
    } else {
        let killed = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(pid)
            .status()
            .expect("kill");
        assert!(killed.success());
    }
    let alive = || {
        Command::new("kill")
            .args(["-0", pid])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let deadline = Instant::now() + TIMEOUT;
    while alive() {
        assert!(
            Instant::now() < deadline,
            "the demo did not exit after SIG{signal}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        demo_dirs(),
        0,
        "the demo directory is left after SIG{signal}"
    );
}

#[test]
fn the_demo_directory_is_removed_on_sighup_and_sigterm() {
    if !tmux_available() {
        return;
    }
    for signal in ["HUP", "TERM"] {
        demo_cleans_up_after(signal);
    }
}

/// The help at 80x24, driven as an operator would: the scrolling keys move
/// through it (↑ right after End moves at once), any other key closes it.
#[test]
fn the_help_scrolls_with_the_keys_and_any_other_key_closes_it() {
    if !tmux_available() {
        return;
    }
    let (dir, tmux) = dashboard_on(
        "Dec  5 08:00:00 fw1 : %ASA-6-302013: Built inbound TCP connection 1\n",
        "",
        "help",
        80,
        24,
    );
    wait_until("the dashboard", &tmux, || tmux.screen().contains("asa.log"));
    tmux.run(&["send-keys", "-t", "t", "?"]);
    wait_until("the help's first rows", &tmux, || {
        tmux.screen().contains("Help rows 1–22 of")
    });
    tmux.run(&["send-keys", "-t", "t", "End"]);
    wait_until("the help's last rows", &tmux, || {
        tmux.screen().contains("since the newest")
    });
    let bottom = tmux.screen();
    let first_shown = |screen: &str| -> Option<usize> {
        let title = screen.lines().next()?;
        let rows = title.split("rows ").nth(1)?;
        rows.split('–').next()?.parse().ok()
    };
    let at_end = first_shown(&bottom).expect("a row range in the title");
    tmux.run(&["send-keys", "-t", "t", "Up"]);
    wait_until("one row up from the end", &tmux, || {
        first_shown(&tmux.screen()) == Some(at_end - 1)
    });
    tmux.run(&["send-keys", "-t", "t", "x"]);
    wait_until("the help closed", &tmux, || {
        !tmux.screen().contains("Help rows")
    });
    tmux.run(&["send-keys", "-t", "t", "q"]);
    wait_until("vpnwatch to quit", &tmux, || {
        !tmux.screen().contains("asa.log")
    });
    // The key only closed the help: no step was journaled as done.
    let journal = std::fs::read_to_string(dir.path().join("journal.jsonl")).unwrap_or_default();
    assert!(!journal.contains("\"done\""), "{journal}");
}
