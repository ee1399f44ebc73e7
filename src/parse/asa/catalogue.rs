//! The ASA message catalogue: what each six-digit message id means to
//! vpnwatch. [`role_of`] gives the part a message plays for the engine;
//! the extractor table gives the function that reads its body, and marks
//! the rows whose events the engine only counts. Ids in no row are plain
//! messages (firewall traffic): they parse to an `Info` event with only the
//! header's fields set. Bulk readers skip both kinds without parsing them
//! (see [`super::plain_header`]): what the engine takes from such a line is
//! its time and that it was there.

use super::extract::*;
use crate::parse::{Cause, Event, Role};

/// The [`Role`] of message `id` (see its variants for the ids).
pub(super) fn role_of(id: u32) -> Role {
    match id {
        113039 | 716001 | 722022 | 751025 => Role::SessionUp,
        605004 | 611102 | 113021 => Role::ManagementLogin { denied: true },
        605005 | 611101 => Role::ManagementLogin { denied: false },
        611103 => Role::Management,
        113010 => Role::AaaChallenge,
        409023 => Role::GroupFallback,
        113005 | 113015 => Role::AaaRejection,
        716039 => Role::WebvpnRejection,
        113006 => Role::LockoutNotice,
        _ => Role::Plain,
    }
}

/// `role_of` for an id as text (events built by hand in tests).
pub fn role(id: &str) -> Role {
    id.parse().map_or(Role::Plain, role_of)
}

/// Builds [`extract`], [`has_extractor`] and [`engine_takes`] from one
/// table, so the ids that have an extractor, and the ids bulk readers treat
/// as plain, cannot drift apart. Rows are tried in order, as the arms of a
/// `match`: the first one whose ids match runs. A row marked `counted`
/// reads its body for the panes (a client address, a reason) but never sets
/// anything the engine keeps beyond counting the event and taking its time
/// (no user, server or server group, no failure, no management role, no
/// trace session: the engine's `Incident::only_counts`, which a test holds
/// every counted row to).
macro_rules! extractors {
    (($ev:ident, $id:ident, $body:ident) { $($ids:pat => $run:expr $(; $counted:ident)?,)* }) => {
        /// Reads the body of message `id` into `ev` with the extractor the
        /// table gives it; no-op for plain messages.
        pub(super) fn extract<'a>($ev: &mut Event<'a>, $id: u32, $body: &'a str) {
            match $id {
                $($ids => $run,)*
                _ => {}
            }
        }

        /// Whether the table has an extractor for message `id`.
        #[cfg(test)]
        pub(super) fn has_extractor(id: u32) -> bool {
            match id {
                $($ids => true,)*
                _ => false,
            }
        }

        /// Whether the engine takes more than the time from message `id`:
        /// it has an extractor, in a row not marked `counted`.
        #[inline]
        pub fn engine_takes(id: u32) -> bool {
            match id {
                $($ids => extractors!(@takes $($counted)?),)*
                _ => false,
            }
        }
    };
    (@takes counted) => { false };
    (@takes) => { true };
}

extractors! {
    (ev, id, body) {
        113004 | 113012 => aaa_successful(ev, body),
        113005 | 113015 | 113016 | 113017 => aaa_rejected(ev, body),
        113006 => locked_out(ev, body),
        113007 => unlocked(ev, body),
        113008 => transaction_status(ev, body),
        113009 | 113011 => retrieved_policy(ev, body),
        113010 => challenge(ev, body),
        113013 => aaa_error(ev, body),
        113014 => server_not_accessible(ev, body),
        113019 => session_disconnected(ev, body),
        113020 => kerberos_skew(ev, body),
        113021 => console_login_failed(ev, body),
        113022 | 113023 | 113045 => server_status(ev, id, body),
        113024 => cert_username(ev, body),
        113025..=113027 => cert_username_failed(ev, body),
        113029 => gui_failure(ev, body, Cause::Capacity),
        113030 | 113033 | 113035 | 113036 | 113038 => gui_failure(ev, body, Cause::SessionSetup),
        113031 | 113032 | 113034 => acl_warning(ev, body),
        113037 | 716040 => setup_failed(ev, body),
        113039 => session_started(ev, body),
        113040 => group_lock(ev, body),
        409023 => aaa_fallback(ev, body),
        605004 | 605005 => mgmt_login(ev, body),
        611101..=611103 => mgmt_user_auth(ev, body),
        711001 => crate::parse::debug_trace::extract(ev, body),
        713000..=713999 => ikev1(ev, id, body),
        716000..=716999 => webvpn(ev, id, body),
        717000..=717999 => certificate(ev, id, body),
        722000..=722999 => svc(ev, id, body),
        // A TLS handshake failed on the client's certificate: a failure.
        725015 => ssl(ev, id, body),
        // Handshake progress (725001 started, 725002 completed, …): two
        // lines per connection, a busy headend's most common VPN lines.
        725000..=725999 => ssl(ev, id, body); counted,
        733201 => shun(ev, body),
        734000..=734999 => dap(ev, id, body),
        737000..=737999 => ipaa(ev, id, body),
        750000..=751999 => ikev2(ev, id, body),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::ctx;
    use super::super::{header::read_header, parse, plain_header};
    use super::*;
    use crate::parse::{Event, Family, Outcome};

    /// The engine acts on roles, never on ids: each role comes from here.
    #[test]
    fn roles_come_with_the_message() {
        let role = |line: &str| parse(line, &ctx()).map(|e| e.role);
        let cases = [
            (
                "%ASA-6-113039: Group <G> User <u> IP <192.0.2.1> AnyConnect parent session started.",
                Role::SessionUp,
            ),
            (
                "%ASA-6-605004: Login denied from 198.51.100.50/50123 to mgmt:192.0.2.1/https for user \"x\"",
                Role::ManagementLogin { denied: true },
            ),
            (
                "%ASA-6-611101: User authentication succeeded: IP address: 198.51.100.52, Uname: netops",
                Role::ManagementLogin { denied: false },
            ),
            (
                "%ASA-6-113010: AAA challenge received for user u from server 10.1.1.10.",
                Role::AaaChallenge,
            ),
            (
                "%ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.1.1.10 : user = u : user IP = 192.0.2.1",
                Role::AaaRejection,
            ),
            (
                "%ASA-6-716039: Group <G> User <u> IP <192.0.2.1> Authentication: rejected, Session Type: WebVPN.",
                Role::WebvpnRejection,
            ),
            (
                "%ASA-6-302013: Built outbound TCP connection 1 for outside:203.0.113.15/443",
                Role::Plain,
            ),
        ];
        for (body, want) in cases {
            let line = format!("Dec  5 08:14:02 asa-fw1 : {body}");
            assert_eq!(role(&line), Some(want), "{body}");
        }
        assert_eq!(super::role("409023"), Role::GroupFallback);
        assert_eq!(super::role("not an id"), Role::Plain);
    }

    /// Bodies that give nearly every extractor something to find.
    const RICH_BODIES: [&str; 5] = [
        "Group <G> User <u> IP <192.0.2.1> AAA user authentication Rejected : reason = AAA failure : server = 10.1.1.1 : user = u : user IP = 192.0.2.1, Username = u, IP = 192.0.2.1, Uname: u Reason: x",
        "Device completed SSL handshake with client outside:192.0.2.1/40344 to 192.0.2.10/443 for TLSv1.2 session. Reason: certificate expired, user = u, Server = 10.1.1.1",
        "DAP: User u, Addr 192.0.2.1, Connection AnyConnect: server group RADIUS-GRP failed, Peer[192.0.2.1] Session=0x0001 trace session 7",
        "AAA retrieved default group policy (P) for user = u, transaction status ACCEPT : user = u",
        "TunnelGroup T GroupPolicy P User <u> IP <192.0.2.1> Username = u, Group = G, Session Type: AnyConnect, Reason: x",
    ];

    #[test]
    fn plain_ids_parse_to_plain_events() {
        let ctx = ctx();
        let mut counted = 0;
        for id in 100_000..=999_999u32 {
            // Every body for the ids with an extractor, one for the rest.
            let bodies = if has_extractor(id) {
                &RICH_BODIES[..]
            } else {
                &RICH_BODIES[..1]
            };
            for &body in bodies {
                let line = format!("Dec  5 08:14:02 asa-fw1 : %ASA-6-{id}: {body}");
                let Some(header) = plain_header(line.as_bytes()) else {
                    continue;
                };
                let mut plain = Event::new(Family::Headend, Outcome::Info);
                let head = read_header(std::str::from_utf8(header).unwrap(), ctx.default_year);
                plain.ts = head.ts;
                plain.host = head.host;
                let id_text = id.to_string();
                plain.msg_id = Some(&id_text);
                plain.body = Some(body);
                let parsed = parse(&line, &ctx).unwrap();
                if !has_extractor(id) {
                    assert_eq!(parsed, plain, "{line}");
                    continue;
                }
                // A counted row: what the panes show may be read, but the
                // header's fields are the plain ones and nothing the engine
                // keeps is set (the engine's own test holds these events to
                // `Incident::only_counts`).
                counted += 1;
                assert_eq!(
                    (parsed.ts, parsed.host, parsed.msg_id, parsed.body),
                    (plain.ts, plain.host, plain.msg_id, plain.body),
                    "{line}"
                );
                assert!(
                    parsed.user.is_none()
                        && parsed.server.is_none()
                        && parsed.server_group.is_none()
                        && parsed.trace_session.is_none()
                        && parsed.role == Role::Plain
                        && matches!(parsed.outcome, Outcome::Info | Outcome::Success),
                    "{line}: {parsed:?}"
                );
            }
        }
        assert!(counted > 0, "no counted row was checked");
        assert!(!engine_takes(725001) && !engine_takes(302013));
        assert!(engine_takes(725015) && engine_takes(113005));
        assert!(plain_header(b"Dec  5 08:14:02 asa-fw1 : %ASA-6-113005: x").is_none());
        assert_eq!(
            plain_header(b"<166>Dec  5 08:14:02 asa-fw1 : %ASA-6-302013: Built"),
            Some(&b"<166>Dec  5 08:14:02 asa-fw1 : "[..])
        );
        // The last of doubled tags decides.
        assert!(plain_header(b"x %FTD-6-302013: %ASA-6-113005: y").is_none());
    }
}
