//! The ASA message catalogue: what each six-digit message id means to
//! vpnwatch. [`role_of`] gives the part a message plays for the engine;
//! the extractor table gives the function that reads its body. Ids in
//! neither are plain messages (firewall traffic): they parse to an `Info`
//! event with only the header's fields set, and bulk readers skip them
//! without parsing (see [`super::plain_header`]).

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

/// Builds [`extract`] and [`has_extractor`] from one table, so the ids that
/// have an extractor and the ids bulk readers treat as plain cannot drift
/// apart. Rows are tried in order, as the arms of a `match`: the first one
/// whose ids match runs.
macro_rules! extractors {
    (($ev:ident, $id:ident, $body:ident) { $($ids:pat => $run:expr,)* }) => {
        /// Reads the body of message `id` into `ev` with the extractor the
        /// table gives it; no-op for plain messages.
        pub(super) fn extract<'a>($ev: &mut Event<'a>, $id: u32, $body: &'a str) {
            match $id {
                $($ids => $run,)*
                _ => {}
            }
        }

        /// Whether the table has an extractor for message `id`.
        #[inline]
        pub(super) fn has_extractor(id: u32) -> bool {
            match id {
                $($ids => true,)*
                _ => false,
            }
        }
    };
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
        725000..=725999 => ssl(ev, id, body),
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

    #[test]
    fn plain_ids_parse_to_plain_events() {
        // A body that gives nearly every extractor something to find.
        let body = "Group <G> User <u> IP <192.0.2.1> AAA user authentication Rejected : reason = AAA failure : server = 10.1.1.1 : user = u : user IP = 192.0.2.1, Username = u, IP = 192.0.2.1, Uname: u Reason: x";
        let ctx = ctx();
        for id in 100_000..=999_999u32 {
            let line = format!("Dec  5 08:14:02 asa-fw1 : %ASA-6-{id}: {body}");
            let Some(header) = plain_header(line.as_bytes()) else {
                continue;
            };
            let mut plain = Event::new(Family::Headend, Outcome::Info);
            let head = read_header(std::str::from_utf8(header).unwrap(), ctx.default_year);
            plain.ts = head.ts;
            plain.host = head.host;
            let id = id.to_string();
            plain.msg_id = Some(&id);
            assert_eq!(parse(&line, &ctx), Some(plain), "{line}");
        }
        assert!(plain_header(b"Dec  5 08:14:02 asa-fw1 : %ASA-6-113005: x").is_none());
        assert_eq!(
            plain_header(b"<166>Dec  5 08:14:02 asa-fw1 : %ASA-6-302013: Built"),
            Some(&b"<166>Dec  5 08:14:02 asa-fw1 : "[..])
        );
        // The last of doubled tags decides.
        assert!(plain_header(b"x %FTD-6-302013: %ASA-6-113005: y").is_none());
    }
}
