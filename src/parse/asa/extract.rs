//! The extractors: for one ASA message family each, the fields (user,
//! client address, group, server, reason) read from the message body and the
//! outcome and [`Cause`] the message means. Which id runs which extractor is
//! the table in [`super::catalogue`].

use crate::parse::cause::cause_from_reason;
use crate::parse::text::{
    after, before_any, between, contains_ci, find, positions, rfind, split_once, trim, trim_dot,
    trim_end, trim_start, unquote, word_after,
};
use crate::parse::{Cause, Event, Family, Outcome, ServerState, field};

/// Invariants every event leaves with.
pub(super) fn finish(ev: &mut Event<'_>) {
    if ev.outcome == Outcome::Failure && ev.cause.is_none() {
        ev.cause = Some(Cause::Other);
    }
    // Site-to-site tunnels log the peer address as the user name.
    if ev.user.is_some() && ev.user == ev.client_ip {
        ev.user = None;
    }
}

fn fail(ev: &mut Event<'_>, cause: Cause) {
    ev.outcome = Outcome::Failure;
    ev.cause = Some(cause);
}

// ---------------------------------------------------------------------------
// Extractors, by message id

/// 113004 / 113012 (and the tagless `AAA user authentication Successful`).
/// Only `authentication` is a login; `authorization` and `accounting` are Info.
pub(super) fn aaa_successful<'a>(ev: &mut Event<'a>, body: &'a str) {
    let [server, user] = kvs(body, [("server", true), ("user", false)]);
    ev.server = value(server);
    ev.user = value(user);
    if word_after(body, "AAA user ").is_some_and(|w| w.eq_ignore_ascii_case("authentication")) {
        ev.outcome = Outcome::Success;
    }
}

/// 113005 / 113015 / 113016 / 113017: `… Rejected : reason = R : server = S :
/// user = U : user IP = A` (server or `local database`).
pub(super) fn aaa_rejected<'a>(ev: &mut Event<'a>, body: &'a str) {
    let [reason, server, user, ip] = kvs(
        body,
        [
            ("reason", false),
            ("server", true),
            ("user", false),
            ("user IP", true),
        ],
    );
    ev.reason = value(reason);
    ev.server = value(server);
    ev.user = value(user);
    ev.client_ip = ip.and_then(|(v, _)| ip_nz(v));
    let cause =
        if word_after(body, "AAA user ").is_some_and(|w| w.eq_ignore_ascii_case("authorization")) {
            Cause::AuthorizationDenied
        } else {
            cause_from_reason(ev.reason.unwrap_or(""))
        };
    fail(ev, cause);
}

/// 113006: `User 'U' locked out on exceeding 'N' successive failed authentication attempts`.
pub(super) fn locked_out<'a>(ev: &mut Event<'a>, body: &'a str) {
    ev.user = between(body, "User ", " locked out")
        .map(unquote)
        .and_then(field);
    fail(ev, Cause::AccountLocked);
}

/// 113007: `User 'U' unlocked by …`.
pub(super) fn unlocked<'a>(ev: &mut Event<'a>, body: &'a str) {
    ev.user = between(body, "User ", " unlocked")
        .map(unquote)
        .and_then(field);
}

/// 113008: `AAA transaction status ACCEPT : user = U`.
pub(super) fn transaction_status<'a>(ev: &mut Event<'a>, body: &'a str) {
    ev.user = kv(body, "user", false).and_then(field);
    // `status ACCEPT : user` and `status ACCEPT: user` both occur.
    if word_after(body, "status ")
        .is_some_and(|w| w.trim_end_matches(':').eq_ignore_ascii_case("ACCEPT"))
    {
        ev.outcome = Outcome::Success;
    }
}

/// 113009 / 113011: `AAA retrieved default group policy (P) for user = U`;
/// also seen without parentheses or `=`.
pub(super) fn retrieved_policy<'a>(ev: &mut Event<'a>, body: &'a str) {
    let Some(rest) = after(body, "group policy ") else {
        return;
    };
    let Some((policy, user)) = split_once(rest, " for user") else {
        return;
    };
    ev.group = field(trim(policy).trim_start_matches('(').trim_end_matches(')'));
    ev.user = field(trim_start(user).trim_start_matches('='));
}

/// 113010: `AAA challenge received for user U from server S.`
pub(super) fn challenge<'a>(ev: &mut Event<'a>, body: &'a str) {
    // A challenge is a normal step of token logins, not a failure;
    // the cause still says what the headend is waiting for.
    ev.user = between(body, "for user ", " from server").and_then(field);
    ev.server = after(body, "from server ").map(trim_dot).and_then(field);
    ev.cause = Some(Cause::TokenRequired);
}

/// 113013: `AAA unable to complete the request Error : reason = R : user = U`.
pub(super) fn aaa_error<'a>(ev: &mut Event<'a>, body: &'a str) {
    ev.outcome = Outcome::Failure;
    let [reason, user] = kvs(body, [("reason", false), ("user", false)]);
    ev.reason = value(reason);
    ev.user = value(user);
    ev.cause = Some(cause_from_reason(ev.reason.unwrap_or("")));
}

/// 113014: `AAA authentication server not accessible : server = S : user = U`.
pub(super) fn server_not_accessible<'a>(ev: &mut Event<'a>, body: &'a str) {
    ev.outcome = Outcome::Failure;
    ev.cause = Some(Cause::AaaUnreachable);
    let [server, user] = kvs(body, [("server", true), ("user", false)]);
    ev.server = value(server);
    ev.user = value(user);
}

/// 113019: `Group = G, Username = U, IP = A, Session disconnected. Session
/// Type: T, Duration: …, Reason: R`.
pub(super) fn session_disconnected<'a>(ev: &mut Event<'a>, body: &'a str) {
    ev.outcome = Outcome::SessionEnd;
    let [group, user, ip] = kvs(body, [("Group", true), ("Username", true), ("IP", true)]);
    ev.group = value(group);
    ev.user = value(user);
    ev.client_ip = ip.and_then(|(v, _)| ip_nz(v));
    if let Some(pos) = rfind(body, "Reason:") {
        ev.reason = body.get(pos + 7..).map(trim_dot).and_then(field);
    }
    let session_type = after(body, "Session Type:").map(|s| take_value(s, true));
    if session_type.is_some_and(|t| t.eq_ignore_ascii_case("LAN-to-LAN")) {
        ev.user = None;
    }
}

/// 113020: Kerberos clock skew with server S.
pub(super) fn kerberos_skew<'a>(ev: &mut Event<'a>, body: &'a str) {
    // Kerberos clock skew: every login against that KDC fails.
    ev.outcome = Outcome::Failure;
    ev.cause = Some(Cause::Other);
    ev.server = word_after(body, "with server ");
    ev.reason = field(body);
}

/// 113021: `Attempted console login failed. User U did NOT have appropriate
/// Admin Rights.`
pub(super) fn console_login_failed<'a>(ev: &mut Event<'a>, body: &'a str) {
    // `… login failed. User eve did NOT …` or `… failed user 'eve' did NOT …`.
    let who = after(body, "failed")
        .unwrap_or("")
        .trim_start_matches(['.', ' ']);
    let who = who
        .strip_prefix("User ")
        .or_else(|| who.strip_prefix("user "))
        .unwrap_or(who);
    ev.user = split_once(who, " did NOT")
        .map(|(u, _)| unquote(u))
        .and_then(field);
    ev.reason = Some("Attempted console login failed");
}

/// 113022 / 113023 / 113045: an AAA server marked failed or active, or an
/// SDI server's status change.
pub(super) fn server_status<'a>(ev: &mut Event<'a>, id: u32, body: &'a str) {
    if marking(ev, body).is_none() {
        sdi_status(ev, body);
    }
    // The id alone says which way the server went.
    if ev.server_state.is_none() {
        match id {
            113022 => {
                ev.server_state = Some(ServerState::Failed);
                fail(ev, Cause::AaaUnreachable);
            }
            113023 => ev.server_state = Some(ServerState::Active),
            _ => {}
        }
    }
}

/// 113022 / 113023 (and tagless): `AAA Marking RADIUS server S in aaa-server
/// group G as FAILED|ACTIVE`. Returns the state when the line has this shape.
pub(super) fn marking<'a>(ev: &mut Event<'a>, body: &'a str) -> Option<ServerState> {
    let rest = body.strip_prefix("AAA Marking ")?;
    let (_protocol, rest) = rest.split_once(' ')?;
    let rest = rest.strip_prefix("server ").unwrap_or(rest);
    let (server, rest) = split_once(rest, " in aaa-server group ")?;
    let (group, state) = rest.rsplit_once(" as ")?;
    let state = trim_dot(state);
    let state = if state.eq_ignore_ascii_case("FAILED") {
        ServerState::Failed
    } else if state.eq_ignore_ascii_case("ACTIVE") {
        ServerState::Active
    } else {
        return None;
    };
    ev.server = field(server);
    ev.server_group = field(group);
    ev.server_state = Some(state);
    if state == ServerState::Failed {
        fail(ev, Cause::AaaUnreachable);
    }
    Some(state)
}

/// 113045: `AAA SDI server S in aaa-server group G: status changed from X to Y`.
fn sdi_status<'a>(ev: &mut Event<'a>, body: &'a str) {
    ev.server = between(body, "server ", " in aaa-server group").and_then(field);
    ev.server_group = between(body, "aaa-server group ", ":").and_then(field);
    let Some((_, to)) = body.rsplit_once(" to ") else {
        return;
    };
    let to = trim_dot(to);
    if to.eq_ignore_ascii_case("SUSPENDED") {
        ev.server_state = Some(ServerState::Failed);
        fail(ev, Cause::AaaUnreachable);
    } else if to.eq_ignore_ascii_case("OK") {
        ev.server_state = Some(ServerState::Active);
    }
}

/// 113024–113027: `Group tg: … connection from IP`.
pub(super) fn cert_username<'a>(ev: &mut Event<'a>, body: &'a str) {
    if let Some(rest) = body.strip_prefix("Group ")
        && let Some((group, text)) = rest.split_once(':')
    {
        ev.group = field(group);
        ev.reason = field(text);
    }
    ev.client_ip = word_after(body, "connection from ")
        .map(trim_dot)
        .and_then(ip_nz);
}

/// 113025–113027: certificate user name retrieval failed.
pub(super) fn cert_username_failed<'a>(ev: &mut Event<'a>, body: &'a str) {
    cert_username(ev, body);
    fail(ev, Cause::Certificate);
}

/// `Group G User U IP A <text>` messages that report a failure; the text is the reason.
pub(super) fn gui_failure<'a>(ev: &mut Event<'a>, body: &'a str, cause: Cause) {
    let rest = gui(ev, body, "Group").unwrap_or(body);
    ev.reason = field(trim_dot(rest));
    fail(ev, cause);
}

/// 113031 / 113032 / 113034: ACL warnings; the session goes on.
pub(super) fn acl_warning<'a>(ev: &mut Event<'a>, body: &'a str) {
    let rest = gui(ev, body, "Group");
    ev.reason = rest.and_then(field);
}

/// 113037 / 716040: the session could not be set up.
pub(super) fn setup_failed<'a>(ev: &mut Event<'a>, body: &'a str) {
    ev.reason = field(body);
    fail(ev, Cause::SessionSetup);
}

/// 113039: `Group G User U IP A AnyConnect parent session started.`
pub(super) fn session_started<'a>(ev: &mut Event<'a>, body: &'a str) {
    gui(ev, body, "Group");
    ev.outcome = Outcome::Success;
}

/// 113040: `Terminating the VPN connection attempt from G. Reason: R`.
pub(super) fn group_lock<'a>(ev: &mut Event<'a>, body: &'a str) {
    ev.group = between(body, "attempt from ", ". Reason").and_then(field);
    ev.reason = after(body, "Reason: ").map(trim_dot).and_then(field);
    fail(ev, Cause::GroupMismatch);
}

/// 409023: `Attempting AAA Fallback method M for R request for user U : Auth-server group G unreachable`.
pub(super) fn aaa_fallback<'a>(ev: &mut Event<'a>, body: &'a str) {
    ev.user = between(body, "for user ", "Auth-server group")
        .map(|u| u.trim_end().trim_end_matches(':'))
        .and_then(field);
    ev.server_group = between(body, "Auth-server group ", " unreachable").and_then(field);
    fail(ev, Cause::AaaUnreachable);
}

/// 605004 / 605005: `Login denied|permitted from SRC/PORT to IF:DST/SVC for user "U"`.
pub(super) fn mgmt_login<'a>(ev: &mut Event<'a>, body: &'a str) {
    ev.reason = split_once(body, " from ").map(|(r, _)| r).and_then(field);
    ev.client_ip = after(body, " from ")
        .map(|s| before_any(s, b"/ "))
        .and_then(ip_nz);
    ev.user = after(body, " for user ").map(unquote).and_then(field);
}

/// 611101–611103: `User authentication succeeded: IP address: A, Uname: U`
/// (and the failure and logout forms).
pub(super) fn mgmt_user_auth<'a>(ev: &mut Event<'a>, body: &'a str) {
    ev.client_ip = after(body, "IP address:")
        .map(|s| take_value(s, true))
        .and_then(ip_nz);
    ev.user = after(body, "Uname:").and_then(field);
    ev.reason = body.split_once(':').map(|(r, _)| r).and_then(field);
}

/// IKEv1 / ISAKMP (713xxx): `Group = G, Username = U, IP = A, <text>`.
pub(super) fn ikev1<'a>(ev: &mut Event<'a>, id: u32, body: &'a str) {
    let [group, user, ip] = kvs(body, [("Group", true), ("Username", true), ("IP", true)]);
    ev.group = value(group);
    ev.user = value(user);
    ev.client_ip = ip.and_then(|(v, _)| ip_nz(v));
    let text = match ip {
        Some((_, end)) => body.get(end..).unwrap_or("").trim_start_matches([',', ' ']),
        None => body,
    };
    if contains_ci(text, "lan-to-lan") {
        ev.user = None;
    }
    let cause = match id {
        713198 => Some(Cause::AuthorizationDenied),
        713166 | 713167 => Some(Cause::BadCredentials),
        713060 => Some(Cause::GroupMismatch),
        _ if contains_ci(text, "simultaneous-login") => Some(Cause::Capacity),
        _ => None,
    };
    if let Some(cause) = cause {
        ev.reason = field(trim_dot(text));
        fail(ev, cause);
    }
}

/// WebVPN / AnyConnect session (716xxx).
pub(super) fn webvpn<'a>(ev: &mut Event<'a>, id: u32, body: &'a str) {
    let rest = if body.starts_with("Authentication:") {
        // Older 716038/716039: `Authentication: rejected, group = G user = U , Session Type: T`.
        if let Some(g) = after(body, "group =") {
            match split_once(g, " user =") {
                Some((group, user)) => {
                    ev.group = field(group);
                    ev.user = user.split(',').next().and_then(field);
                }
                None => ev.group = g.split(',').next().and_then(field),
            }
        }
        body
    } else {
        gui(ev, body, "Group").unwrap_or(body)
    };
    match id {
        716001 | 716038 | 716055 => ev.outcome = Outcome::Success,
        716002 => {
            ev.outcome = Outcome::SessionEnd;
            ev.reason = after(rest, "terminated:").map(trim_dot).and_then(field);
        }
        716039 => fail(ev, Cause::BadCredentials),
        716023 | 716057 | 716060 => {
            ev.reason = field(trim_dot(rest));
            fail(ev, Cause::Capacity);
        }
        716056 => {
            ev.reason = after(rest, "reason:").map(trim_dot).and_then(field);
            fail(ev, cause_from_reason(ev.reason.unwrap_or("")));
        }
        716158..=716165 => {
            ev.reason = field(trim_dot(rest));
            fail(ev, cause_from_reason(rest));
        }
        _ => {}
    }
}

/// Certificates (717xxx). No user or client address on these lines except 717052/717053.
pub(super) fn certificate<'a>(ev: &mut Event<'a>, id: u32, body: &'a str) {
    let rest = gui(ev, body, "Group").unwrap_or(body);
    if matches!(
        id,
        717009 | 717021 | 717027 | 717031 | 717032 | 717037 | 717052
    ) {
        ev.reason = after(rest, "Reason:")
            .or(Some(rest))
            .map(trim_dot)
            .and_then(field);
        fail(ev, Cause::Certificate);
    }
}

/// SVC / AnyConnect tunnel (722xxx).
pub(super) fn svc<'a>(ev: &mut Event<'a>, id: u32, body: &'a str) {
    match id {
        722020 | 722041 => {
            // `TunnelGroup T GroupPolicy P User U IP A No address available…`:
            // `group` gets the tunnel group, the profile users pick.
            if let Some(s) = body.strip_prefix("TunnelGroup ")
                && let Some((tg, s)) = bracket_or_until(s, " GroupPolicy ")
            {
                ev.group = field(tg);
                let mut scratch = Event::new(Family::Headend, Outcome::Info);
                let rest = gui(&mut scratch, s, "GroupPolicy").unwrap_or(s);
                ev.user = scratch.user;
                ev.client_ip = scratch.client_ip;
                ev.reason = field(rest);
            }
            fail(ev, Cause::Capacity);
            return;
        }
        722056 => {
            ev.client_ip = word_after(body, "rejected from ")
                .map(trim_dot)
                .and_then(ip_nz);
            ev.reason = after(body, "Reason:").map(trim_dot).and_then(field);
            fail(ev, Cause::SessionSetup);
            return;
        }
        _ => {}
    }
    let rest = gui(ev, body, "Group").unwrap_or(body);
    match id {
        722022 | 722033 | 722051 => ev.outcome = Outcome::Success,
        722023 | 722028 => ev.outcome = Outcome::SessionEnd,
        722037 | 722038 => {
            ev.outcome = Outcome::SessionEnd;
            ev.reason = rest
                .split_once(':')
                .map(|(_, r)| trim_dot(r))
                .and_then(field);
        }
        722046..=722050 => {
            ev.reason = field(trim_dot(rest));
            fail(ev, Cause::SessionSetup);
        }
        722011 => ev.reason = after(rest, "SVC Message:").and_then(field),
        _ => {}
    }
}

/// SSL/TLS (725xxx): the client address is in `client IF:IP/PORT`. A failed
/// handshake (725006) stays Info: internet scanners cause most of them.
pub(super) fn ssl<'a>(ev: &mut Event<'a>, id: u32, body: &'a str) {
    ev.client_ip = after(body, "client ")
        .map(|s| before_any(s, b" /"))
        .and_then(|s| s.split_once(':').map(|(_, ip)| ip))
        .and_then(ip_nz);
    match id {
        725014 => ev.reason = after(body, "Reason:").and_then(field),
        725015 => {
            ev.reason = field(body);
            fail(ev, Cause::Certificate);
        }
        _ => {}
    }
}

/// 733201: threat detection shunned a peer: `… Peer[A] …`.
pub(super) fn shun<'a>(ev: &mut Event<'a>, body: &'a str) {
    ev.client_ip = between(body, "Peer[", "]").and_then(ip_nz);
    ev.reason = field(body);
}

/// DAP (734xxx): `DAP: User U, Addr A[, Connection C]: …`.
pub(super) fn dap<'a>(ev: &mut Event<'a>, id: u32, body: &'a str) {
    ev.user = between(body, "User ", ", Addr").and_then(field);
    ev.client_ip = after(body, "Addr ")
        .map(|s| take_value(s, true))
        .and_then(ip_nz);
    match id {
        734001 => ev.outcome = Outcome::Success,
        734002 => {
            ev.reason = after(body, "records:").and_then(field);
            fail(ev, Cause::AuthorizationDenied);
        }
        _ => {}
    }
}

/// IP address assignment (737xxx): `IPAA: [Session=0x…, ]<text>`.
pub(super) fn ipaa<'a>(ev: &mut Event<'a>, id: u32, body: &'a str) {
    let mut text = body.strip_prefix("IPAA:").unwrap_or(body).trim_start();
    if text.starts_with("Session=")
        && let Some((_, t)) = split_once(text, ", ")
    {
        text = t;
    }
    ev.group = word_after(text, "for tunnel-group ")
        .map(|g| unquote(trim_dot(g)))
        .and_then(field);
    if matches!(
        id,
        737003 | 737004 | 737007 | 737009 | 737011 | 737012 | 737019
    ) {
        ev.reason = field(trim_dot(text));
        fail(ev, Cause::Capacity);
    }
}

/// IKEv2 (750xxx platform, 751xxx remote access):
/// `Local:IP:PORT Remote:IP:PORT Username:U <text>`.
pub(super) fn ikev2<'a>(ev: &mut Event<'a>, id: u32, body: &'a str) {
    ev.client_ip = word_after(body, "Remote:").map(strip_port).and_then(ip_nz);
    let mut text = body;
    if let Some(u) = after(body, "Username:") {
        let u = u.trim_start();
        let end = u.find(' ').unwrap_or(u.len());
        let (user, rest) = u.split_at(end);
        ev.user = field(user);
        text = rest.trim_start();
    }
    let text = text.strip_prefix("IKEv2 ").unwrap_or(text);
    let error = after(text, "ERROR:")
        .or_else(|| after(text, "Error:"))
        .or_else(|| after(text, "Reason:"))
        .map(trim_dot)
        .and_then(field);
    let cause = match id {
        750003 => cause_from_reason(error.unwrap_or("")),
        750008 | 750009 | 751015 | 751019 | 751020 => Cause::Capacity,
        751005 | 751011 => match cause_from_reason(error.unwrap_or("")) {
            // The message itself says the user failed authentication.
            Cause::Other => Cause::BadCredentials,
            c => c,
        },
        751006 => Cause::Certificate,
        751009 | 751018 => Cause::GroupMismatch,
        751008 | 751012 | 751013 => Cause::SessionSetup,
        751025 => {
            ev.group = word_after(text, "Group:").and_then(field);
            ev.outcome = Outcome::Success;
            return;
        }
        _ => return,
    };
    ev.reason = error.or_else(|| field(trim_dot(text)));
    fail(ev, cause);
}

// ---------------------------------------------------------------------------
// Field helpers

/// Reads `Group <G> User <U> IP <A> rest` (brackets optional; `label` is
/// `Group` or `GroupPolicy`) into `ev`, returning `rest`. Without brackets a
/// name may contain spaces, so the bare group runs to ` User ` and the bare
/// user to ` IP `.
fn gui<'a>(ev: &mut Event<'a>, body: &'a str, label: &str) -> Option<&'a str> {
    let s = body.strip_prefix(label)?;
    if !s.starts_with([' ', '<']) {
        return None;
    }
    let (group, s) = bracket_or_until(s, " User ")?;
    let s = trim_start(s.strip_prefix("User")?);
    let (user, s) = if s.starts_with("IP ") || s.starts_with("IP<") {
        ("", s)
    } else {
        bracket_or_until(s, " IP ")?
    };
    let s = trim_start(s.strip_prefix("IP")?);
    let (ip, rest) = if let Some(inner) = s.strip_prefix('<') {
        let close = positions(inner.as_bytes(), b'>', b'>').next()?;
        (inner.get(..close)?, inner.get(close + 1..)?)
    } else {
        let end = positions(s.as_bytes(), b' ', b' ')
            .next()
            .unwrap_or(s.len());
        s.split_at_checked(end)?
    };
    ev.group = field(group);
    ev.user = field(user);
    ev.client_ip = ip_nz(ip);
    Some(trim_start(rest))
}

/// `<value> rest` or `value<anchor>rest`; returns the value and the text after
/// it (starting at the anchor's first word).
fn bracket_or_until<'a>(s: &'a str, anchor: &str) -> Option<(&'a str, &'a str)> {
    let s = trim_start(s);
    if let Some(inner) = s.strip_prefix('<') {
        // A byte search rather than `str::find`, whose set-up costs more
        // than the search of a short name: every session line comes here.
        let close = positions(inner.as_bytes(), b'>', b'>').next()?;
        Some((inner.get(..close)?, trim_start(inner.get(close + 1..)?)))
    } else {
        let pos = find(s, anchor)?;
        Some((s.get(..pos)?, trim_start(s.get(pos..)?)))
    }
}

/// The value of `key = value` (key matched case-insensitively at a word
/// boundary, any spacing around `=`). See [`take_value`] for where it ends.
fn kv<'a>(body: &'a str, key: &str, comma: bool) -> Option<&'a str> {
    let [found] = kvs(body, [(key, comma)]);
    found.map(|(v, _)| v)
}

/// [`kv`] for several keys at once, each with its `comma` (see
/// [`take_value`]): the value of each and the byte offset just past it.
/// One pass over the body's `=`s, where a call per key went over them from
/// the start each time (the AAA lines carry three or four keys).
fn kvs<'a, const N: usize>(
    body: &'a str,
    keys: [(&str, bool); N],
) -> [Option<(&'a str, usize)>; N] {
    let mut found = [None; N];
    let b = body.as_bytes();
    let mut left = N;
    for eq in positions(b, b'=', b'=') {
        let mut e = eq;
        while e > 0 && b.get(e - 1) == Some(&b' ') {
            e -= 1;
        }
        for (&(key, comma), slot) in keys.iter().zip(found.iter_mut()) {
            if slot.is_some() {
                continue;
            }
            let k = key.as_bytes();
            let Some(s) = e.checked_sub(k.len()) else {
                continue;
            };
            if !b.get(s..e).is_some_and(|w| w.eq_ignore_ascii_case(k)) {
                continue;
            }
            if s > 0 && !matches!(b.get(s - 1), Some(b' ' | b':' | b',')) {
                continue;
            }
            let Some(rest) = body.get(eq + 1..) else {
                continue;
            };
            let (value, used) = take_value_span(rest, comma);
            *slot = Some((value, eq + 1 + used));
            left -= 1;
        }
        if left == 0 {
            break;
        }
    }
    found
}

/// A value runs to the first `:` that ends a field (followed by whitespace,
/// as in ` : ` and `alice: user IP`, or directly by the next `key=`), or to a
/// trailing lone `:`, or, when `comma` is set, to the first `, `. Colons inside
/// IPv6 addresses are kept.
fn take_value(s: &str, comma: bool) -> &str {
    take_value_span(s, comma).0
}

/// [`take_value`], also returning how many bytes of `s` the value used.
/// Only the `:`s (and, with `comma`, the `,`s) can end a value, so the
/// search jumps from one to the next ([`positions`]) instead of testing
/// every byte.
fn take_value_span(s: &str, comma: bool) -> (&str, usize) {
    let t = trim_start(s);
    let lead = s.len() - t.len();
    let b = t.as_bytes();
    let stops = |i: usize| {
        let next = b.get(i + 1).copied();
        match b.get(i) {
            Some(b':') => {
                i == 0
                    || matches!(next, Some(b' ' | b'\t'))
                    || (next.is_none() && b.get(i - 1) != Some(&b':'))
                    || b.get(i + 1..).is_some_and(starts_with_key)
            }
            Some(b',') => matches!(next, None | Some(b' ' | b'\t')),
            _ => false,
        }
    };
    let end = if comma {
        positions(b, b':', b',').find(|&i| stops(i))
    } else {
        positions(b, b':', b':').find(|&i| stops(i))
    }
    .unwrap_or(b.len());
    (trim_end(t.get(..end).unwrap_or("")), lead + end)
}

/// Whether `s` starts with `word[ word]* =` (a key of the `key = value` form).
fn starts_with_key(s: &[u8]) -> bool {
    let mut letters = false;
    for &c in s.iter().take(24) {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => letters = true,
            b' ' => {}
            b'=' => return letters,
            _ => return false,
        }
    }
    false
}

/// `ip:port` → `ip`, splitting on the last colon when what follows is a port;
/// also `[v6]:port`.
fn strip_port(s: &str) -> &str {
    if let Some(inner) = s.strip_prefix('[')
        && let Some((ip, _)) = inner.split_once(']')
    {
        return ip;
    }
    match s.rsplit_once(':') {
        Some((ip, port))
            if !ip.is_empty() && !port.is_empty() && port.bytes().all(|c| c.is_ascii_digit()) =>
        {
            ip
        }
        _ => s,
    }
}

/// A value [`kvs`] found, as a field.
fn value(found: Option<(&str, usize)>) -> Option<&str> {
    found.and_then(|(v, _)| field(v))
}

/// Like [`field`], also dropping the ASA's `None` placeholder.
fn ip_nz(s: &str) -> Option<&str> {
    field(s).filter(|t| !t.eq_ignore_ascii_case("none"))
}

#[cfg(test)]
mod tests;
