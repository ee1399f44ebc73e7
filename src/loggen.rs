//! A deterministic generator of large ASA-style test logs, with their ground
//! truth, for benchmarks and for checking `scan` against a known answer.
//!
//! The file has the shape of the peer-tool measurements in
//! `../shared/reference/peer-performance.md`: `Dec  5 08:14:02 asa-fw1 :
//! %ASA-6-…` lines, about 7 % VPN/AAA messages, failing users drawn from a
//! Zipf-distributed population plus password-spray names, hidden users
//! (`*****`), and firewall distractors (302013/302014/106023/305011, lines
//! that say "failed" or `User '…'`).
//!
//! The ground truth is computed from the generator's own plan, not by running
//! the engine: every failed attempt the generator writes is counted once, the
//! way the README's "How failures are counted" defines an attempt (a
//! 113005/113015 and its 716039 from the same IP within 5 s are one; a hidden
//! rejection named by its 716039 belongs to the named user). To keep that
//! definition unambiguous, the plan spaces one identity's episodes at least
//! 40 s apart and gives every user their own client address.
//!
//! Everything comes from one seeded SplitMix64 stream, so a seed and a line
//! count always give byte-identical output.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct GenConfig {
    /// Lines in the file (the plan's VPN lines are included in this count).
    pub lines: u64,
    pub seed: u64,
    /// Size of the user population the Zipf draw picks from.
    pub users: u32,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            lines: 2_000_000,
            seed: 42,
            users: 5_000,
        }
    }
}

/// One user's expected result in `scan --json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TruthUser {
    pub hidden: bool,
    /// Failed attempts, as vpnwatch counts them.
    pub failures: u32,
    /// Failed attempts by cause id.
    pub causes: BTreeMap<String, u32>,
}

/// What the generated file contains, as vpnwatch should report it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct GroundTruth {
    pub lines: u64,
    pub bytes: u64,
    /// Lines with a VPN/AAA message id (everything but the distractors).
    pub vpn_lines: u64,
    /// Users (hidden ones keyed by client IP) with at least one failed attempt.
    pub users: BTreeMap<String, TruthUser>,
    /// Successful logins per user, for every user that logged in.
    pub successes: BTreeMap<String, u32>,
    /// Failed attempts in total.
    pub failures: u64,
    /// Lines the peer pipeline (`rg -oN … | sort | uniq -c`, §8.1 of the peer
    /// reference) counts, per extracted name: 113005/113015 `user = X : user
    /// IP`, 716039 `User <X> … Authentication: rejected`, 611102 `Uname: X`.
    /// Lines, not attempts, so these differ from `users` on purpose.
    pub peer_failure_lines: BTreeMap<String, u64>,
}

/// SplitMix64: tiny, fast, and good enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const SURNAMES: &[&str] = &[
    "doe", "patel", "nguyen", "garcia", "smith", "mueller", "rossi", "kim", "silva", "johnson",
    "lee", "brown", "martin", "novak", "haddad", "wilson", "moore", "taylor", "anders", "clark",
    "lewis", "walker", "hall", "young", "king", "wright", "lopez", "hill", "scott", "green",
    "adams", "baker", "nelson", "carter", "mitchell", "perez", "roberts", "turner", "phillips",
    "campbell", "parker", "evans", "edwards", "collins", "stewart", "morris", "rogers", "reed",
    "cook", "morgan", "bell", "murphy", "bailey", "rivera", "cooper", "richards", "cox",
];
const INITIALS: &[u8] = b"abcdefghjklmnprstvwz";
/// Names a password spray tries.
const SPRAY: &[&str] = &[
    "admin",
    "test",
    "vpn",
    "info",
    "user",
    "guest",
    "root",
    "support",
    "oracle",
    "backup",
    "scanner",
    "administrator",
    "cisco",
    "training",
    "temp",
];
const GROUPS: &[&str] = &["GP-Employees", "GP-Contractors", "GP-Engineering"];
const SERVERS: &[&str] = &["10.1.1.10", "10.1.1.11"];
const HOSTS: &[&str] = &["asa-fw1", "asa-fw2"];
/// Log time of the first line: 06:00:00 on Dec 5.
const START_SECS: u64 = 6 * 3600;
const MONTH: &str = "Dec";
const FIRST_DAY: u64 = 5;

fn user_name(k: u32) -> String {
    let per_round = (INITIALS.len() * SURNAMES.len()) as u32;
    let i = INITIALS[(k as usize) % INITIALS.len()] as char;
    let s = SURNAMES[(k as usize / INITIALS.len()) % SURNAMES.len()];
    match k / per_round {
        0 => format!("{i}{s}"),
        n => format!("{i}{s}{n}"),
    }
}

/// Every user has an address of their own (100.64.0.0/10), so attempts of
/// different users never pair up.
fn user_ip(k: u32) -> String {
    let n = k + 1;
    format!("100.{}.{}.{}", 64 + (n >> 16), (n >> 8) & 0xff, n & 0xff)
}

/// Zipf(s = 1.2) over ranks 1..=n by inverse-CDF lookup.
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: u32) -> Self {
        let mut acc = 0.0;
        let cumulative = (1..=n.max(1))
            .map(|r| {
                acc += 1.0 / f64::from(r).powf(1.2);
                acc
            })
            .collect();
        Zipf { cumulative }
    }

    fn draw(&self, rng: &mut Rng) -> u32 {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let x = (rng.next() >> 11) as f64 / (1u64 << 53) as f64 * total;
        self.cumulative.partition_point(|&c| c < x) as u32
    }
}

/// One planned VPN line: log time (seconds from the start), an order key for
/// lines of the same second, and the text after the tag.
struct Planned {
    t: u64,
    seq: u64,
    sev: u8,
    id: u32,
    host: u8,
    body: String,
}

#[derive(Clone, Copy)]
enum Kind {
    /// A run of failed attempts by one user.
    Failures,
    /// One successful login (and, later, its session end).
    Login,
    /// A password spray from one source address.
    Spray,
}

struct Episode {
    /// Who: a user index, or a spray source index.
    who: u32,
    kind: Kind,
    start: u64,
}

struct Planner<'a> {
    rng: Rng,
    out: Vec<Planned>,
    seq: u64,
    truth: &'a mut GroundTruth,
}

impl Planner<'_> {
    fn line(&mut self, t: u64, sev: u8, id: u32, body: String) {
        self.seq += 1;
        let host = self.rng.below(HOSTS.len() as u64) as u8;
        self.out.push(Planned {
            t,
            seq: self.seq,
            sev,
            id,
            host,
            body,
        });
    }

    fn peer(&mut self, name: &str) {
        *self
            .truth
            .peer_failure_lines
            .entry(name.to_string())
            .or_default() += 1;
    }

    fn attempt(&mut self, key: &str, hidden: bool, cause: &str) {
        let u = self.truth.users.entry(key.to_string()).or_default();
        u.hidden = hidden;
        u.failures += 1;
        *u.causes.entry(cause.to_string()).or_default() += 1;
        self.truth.failures += 1;
    }

    fn rejected(&mut self, t: u64, local: bool, reason: &str, user: &str, ip: &str) {
        let server = if local {
            "local database".to_string()
        } else {
            format!("server = {}", self.rng.pick(SERVERS))
        };
        let id = if local { 113015 } else { 113005 };
        let body = format!(
            "AAA user authentication Rejected : reason = {reason} : {server} : user = {user} : user IP = {ip}"
        );
        self.line(t, 6, id, body);
        self.peer(user);
    }

    fn webvpn_rejected(&mut self, t: u64, group: &str, user: &str, ip: &str) {
        let body = format!(
            "Group <{group}> User <{user}> IP <{ip}> Authentication: rejected, Session Type: WebVPN."
        );
        self.line(t, 6, 716039, body);
        self.peer(user);
    }

    /// Writes one episode; returns when its last line is logged.
    fn episode(&mut self, ep: &Episode, names: &[String], ips: &[String]) -> u64 {
        let mut t = ep.start;
        match ep.kind {
            Kind::Failures => {
                let name = &names[ep.who as usize];
                let ip = &ips[ep.who as usize];
                let group = GROUPS[(ep.who as usize) % GROUPS.len()];
                // Each user has one problem, as in a real incident.
                let (reason, cause) = match ep.who % 10 {
                    0 => ("Password has expired", "password_expired"),
                    1 => ("Account has been locked out", "account_locked"),
                    2 => ("Invalid password", "bad_credentials"),
                    _ => ("AAA failure", "bad_credentials"),
                };
                let attempts = 1 + self.rng.below(4);
                for _ in 0..attempts {
                    match self.rng.below(10) {
                        // 113005 and its 716039: one attempt.
                        0..=4 => {
                            self.rejected(t, false, reason, name, ip);
                            let d = self.rng.below(4);
                            self.webvpn_rejected(t + d, group, name, ip);
                            self.attempt(name, false, cause);
                            t += d;
                        }
                        // The AAA rejection alone.
                        5 => {
                            self.rejected(t, false, reason, name, ip);
                            self.attempt(name, false, cause);
                        }
                        // The WebVPN rejection alone reads as bad credentials.
                        6 => {
                            self.webvpn_rejected(t, group, name, ip);
                            self.attempt(name, false, "bad_credentials");
                        }
                        // Local database, then WebVPN.
                        7 => {
                            self.rejected(t, true, "Invalid password", name, ip);
                            let d = self.rng.below(3);
                            self.webvpn_rejected(t + d, group, name, ip);
                            self.attempt(name, false, "bad_credentials");
                            t += d;
                        }
                        // Name hidden by the headend, named by the WebVPN
                        // line: the attempt moves to the named user.
                        _ => {
                            self.rejected(t, false, reason, "*****", ip);
                            let d = 1 + self.rng.below(3);
                            self.webvpn_rejected(t + d, group, name, ip);
                            self.attempt(name, false, cause);
                            t += d;
                        }
                    }
                    t += 8 + self.rng.below(20);
                }
            }
            Kind::Login => {
                let name = names[ep.who as usize].clone();
                let ip = ips[ep.who as usize].clone();
                let group = GROUPS[(ep.who as usize) % GROUPS.len()];
                let server = *self.rng.pick(SERVERS);
                let port = 40_000 + self.rng.below(20_000);
                self.line(
                    t,
                    6,
                    725001,
                    format!(
                        "Starting SSL handshake with client outside:{ip}/{port} to 192.0.2.10/443 for TLSv1.2 session."
                    ),
                );
                self.line(
                    t,
                    6,
                    725002,
                    format!(
                        "Device completed SSL handshake with client outside:{ip}/{port} to 192.0.2.10/443 for TLSv1.2 session"
                    ),
                );
                t += 1;
                self.line(
                    t,
                    6,
                    113004,
                    format!(
                        "AAA user authentication Successful : server = {server} : user = {name}"
                    ),
                );
                self.line(
                    t,
                    6,
                    113008,
                    format!("AAA transaction status ACCEPT : user = {name}"),
                );
                self.line(
                    t,
                    6,
                    113009,
                    format!("AAA retrieved default group policy ({group}) for user = {name}"),
                );
                self.line(
                    t,
                    6,
                    734001,
                    format!(
                        "DAP: User {name}, Addr {ip}, Connection AnyConnect: The following DAP records were selected for this connection: DfltAccessPolicy"
                    ),
                );
                t += self.rng.below(2);
                self.line(
                    t,
                    6,
                    113039,
                    format!(
                        "Group <{group}> User <{name}> IP <{ip}> AnyConnect parent session started."
                    ),
                );
                let n = ep.who + 1;
                self.line(
                    t,
                    6,
                    722051,
                    format!(
                        "Group <{group}> User <{name}> IP <{ip}> IPv4 Address <10.8.{}.{}> IPv6 address <::> assigned to session",
                        (n >> 8) & 0xff,
                        n & 0xff
                    ),
                );
                *self.truth.successes.entry(name.clone()).or_default() += 1;
                // The session end comes much later; it changes no count
                // the truth checks, so it may overlap later episodes.
                let dur = 300 + self.rng.below(3600);
                let (xmt, rcv) = (self.rng.below(90_000_000), self.rng.below(9_000_000));
                self.line(
                    t + dur,
                    5,
                    113019,
                    format!(
                        "Group = {group}, Username = {name}, IP = {ip}, Session disconnected. Session Type: SSL, Duration: 0h:{:02}m:{:02}s, Bytes xmt: {xmt}, Bytes rcv: {rcv}, Reason: User Requested",
                        (dur / 60) % 60,
                        dur % 60,
                    ),
                );
            }
            Kind::Spray => {
                let ip = format!("198.51.100.{}", 1 + ep.who);
                let tries = 2 + self.rng.below(6);
                for _ in 0..tries {
                    let name = *self.rng.pick(SPRAY);
                    if self.rng.chance(20) {
                        // Management login attempt: not a VPN login.
                        self.line(
                            t,
                            6,
                            611102,
                            format!("User authentication failed: IP address: {ip}, Uname: {name}"),
                        );
                        self.peer(name);
                    } else if self.rng.chance(50) {
                        self.rejected(t, false, "User was not found", "*****", &ip);
                        self.attempt(&ip, true, "unknown_user");
                    } else {
                        self.rejected(t, false, "User was not found", name, &ip);
                        self.attempt(name, false, "unknown_user");
                    }
                    t += 7 + self.rng.below(5);
                }
            }
        }
        t
    }
}

/// Distractor traffic: firewall messages vpnwatch only counts.
fn distractor(rng: &mut Rng, out: &mut String) -> (u8, u32) {
    use std::fmt::Write as _;
    let a = rng.below(250) + 2;
    let b = rng.below(250) + 2;
    let sport = 1024 + rng.below(60_000);
    let conn = 1_000_000 + rng.below(9_000_000);
    let (sev, id) = match rng.below(100) {
        0..=23 => {
            let _ = write!(
                out,
                "Built outbound TCP connection {conn} for outside:203.0.113.{a}/443 (203.0.113.{a}/443) to inside:10.10.{b}.{a}/{sport} (192.0.2.20/{sport})"
            );
            (6, 302013)
        }
        24..=45 => {
            let reason = *rng.pick(&["TCP FINs", "TCP Reset-O", "TCP Reset-I", "SYN Timeout"]);
            let _ = write!(
                out,
                "Teardown TCP connection {conn} for outside:203.0.113.{a}/443 to inside:10.10.{b}.{a}/{sport} duration 0:{:02}:{:02} bytes {} {reason}",
                rng.below(60),
                rng.below(60),
                rng.below(5_000_000)
            );
            (6, 302014)
        }
        46..=63 => {
            let _ = write!(
                out,
                "Deny tcp src outside:198.18.{b}.{a}/{sport} dst inside:10.10.{a}.{b}/445 by access-group \"outside_access_in\" [0x0, 0x0]"
            );
            (4, 106023)
        }
        64..=83 => {
            let _ = write!(
                out,
                "Built dynamic TCP translation from inside:10.10.{b}.{a}/{sport} to outside:192.0.2.20/{sport}"
            );
            (6, 305011)
        }
        84..=93 => {
            let _ = write!(out, "Built local-host outside:198.18.{b}.{a}");
            (7, 609001)
        }
        94..=96 => {
            let _ = write!(
                out,
                "Routing failed to locate next hop for icmp from outside:198.18.{b}.{a}/0 to inside:10.10.{a}.{b}/0"
            );
            (6, 110003)
        }
        _ => {
            let user = *rng.pick(&["netops", "admin", "jdoe", "backup"]);
            let _ = write!(
                out,
                "User '{user}' executed the 'show logging | include FAILED' command."
            );
            (5, 111008)
        }
    };
    (sev, id)
}

fn write_header(out: &mut Vec<u8>, t: u64, host: &str) {
    let abs = START_SECS + t;
    let day = FIRST_DAY + abs / 86_400;
    let s = abs % 86_400;
    let _ = write!(
        out,
        "{MONTH} {day:>2} {:02}:{:02}:{:02} {host} : ",
        s / 3600,
        (s / 60) % 60,
        s % 60
    );
}

/// Writes the log to `out` and returns its ground truth.
pub fn generate(cfg: &GenConfig, out: impl Write) -> io::Result<GroundTruth> {
    let mut out = io::BufWriter::with_capacity(1 << 20, out);
    let mut truth = GroundTruth::default();
    let users = cfg.users.max(1);
    let names: Vec<String> = (0..users).map(user_name).collect();
    let ips: Vec<String> = (0..users).map(user_ip).collect();
    // About 23 lines a second: a 2 M-line file spans a day.
    let span = (cfg.lines / 23).max(600);
    let mut rng = Rng(cfg.seed);
    let zipf = Zipf::new(users);

    // Plan: episodes per identity, then spread so that one identity's
    // episodes never overlap (the attempt and login windows stay unambiguous).
    let fail_runs = cfg.lines / 720;
    let logins = cfg.lines / 139;
    let sprays = cfg.lines / 20_000 + 1;
    let mut episodes = Vec::new();
    for _ in 0..fail_runs {
        let who = zipf.draw(&mut rng).min(users - 1);
        episodes.push(Episode {
            who,
            kind: Kind::Failures,
            start: rng.below(span),
        });
    }
    for _ in 0..logins {
        let who = rng.below(u64::from(users)) as u32;
        episodes.push(Episode {
            who,
            kind: Kind::Login,
            start: rng.below(span),
        });
    }
    for _ in 0..sprays {
        episodes.push(Episode {
            who: rng.below(32) as u32,
            kind: Kind::Spray,
            start: rng.below(span),
        });
    }
    // Spray sources and users are separate identities.
    episodes.sort_by_key(|e| (matches!(e.kind, Kind::Spray), e.who, e.start));
    let mut planner = Planner {
        rng: Rng(cfg.seed ^ 0x5eed),
        out: Vec::new(),
        seq: 0,
        truth: &mut truth,
    };
    let mut last: Option<(bool, u32, u64)> = None;
    for ep in &mut episodes {
        let spray = matches!(ep.kind, Kind::Spray);
        if let Some((s, w, end)) = last
            && s == spray
            && w == ep.who
        {
            ep.start = ep.start.max(end + 40);
        }
        let end = planner.episode(ep, &names, &ips);
        last = Some((spray, ep.who, end));
    }
    let mut planned = planner.out;
    planned.sort_by_key(|p| (p.t, p.seq));

    // Merge the plan with evenly spread distractors.
    let vpn = planned.len() as u64;
    let distractors = cfg.lines.saturating_sub(vpn);
    let mut line = Vec::with_capacity(512);
    let mut body = String::with_capacity(256);
    let mut next_vpn = planned.iter().peekable();
    let mut j = 0u64;
    let mut bytes = 0u64;
    loop {
        let dt = (j < distractors).then(|| j * span / distractors.max(1));
        let take_vpn = match (next_vpn.peek(), dt) {
            (Some(p), Some(d)) => p.t <= d,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        line.clear();
        if take_vpn {
            let Some(p) = next_vpn.next() else { break };
            write_header(&mut line, p.t, HOSTS[p.host as usize]);
            let _ = write!(line, "%ASA-{}-{}: {}", p.sev, p.id, p.body);
            truth.vpn_lines += 1;
        } else {
            let t = dt.unwrap_or(0);
            body.clear();
            let (sev, id) = distractor(&mut rng, &mut body);
            let host = HOSTS[rng.below(HOSTS.len() as u64) as usize];
            write_header(&mut line, t, host);
            let _ = write!(line, "%ASA-{sev}-{id}: {body}");
            j += 1;
        }
        line.push(b'\n');
        bytes += line.len() as u64;
        truth.lines += 1;
        out.write_all(&line)?;
    }
    out.flush()?;
    truth.bytes = bytes;
    Ok(truth)
}
