//! The extractors, message family by message family, through [`parse`].

use super::super::parse;
use super::super::tests::{ctx, p};
use crate::parse::{Cause, Outcome, ServerState};

// ---- 113xxx ----

#[test]
fn m113004_authentication_is_success() {
    let e =
        p("%ASA-6-113004: AAA user authentication Successful : server = 192.0.2.10 : user = alice");
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(e.server, Some("192.0.2.10"));
    assert_eq!(e.user, Some("alice"));
}

#[test]
fn m113004_ftd_comma_form() {
    let e =
        p("%FTD-6-113004: AAA user authentication Successful: server = 192.0.2.10 , User = bob");
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(e.server, Some("192.0.2.10"));
    assert_eq!(e.user, Some("bob"));
    let e = p("%FTD-6-113004: AAA user authentication Successful: server = 192.0.2.10, User = bob");
    assert_eq!(e.server, Some("192.0.2.10"));
    assert_eq!(e.user, Some("bob"));
}

#[test]
fn m113004_authorization_and_accounting_are_info() {
    let e =
        p("%ASA-6-113004: AAA user authorization Successful : server = 192.0.2.10 : user = alice");
    assert_eq!(e.outcome, Outcome::Info);
    assert_eq!(e.user, Some("alice"));
    let e =
        p("%ASA-6-113004: AAA user accounting Successful : server =  192.0.2.11 : user = alice");
    assert_eq!(e.outcome, Outcome::Info);
    assert_eq!(e.server, Some("192.0.2.11"));
}

#[test]
fn m113005_rejected_all_fields() {
    let e = p(
        "<166>Aug 01 2024 12:00:00 vpn1 : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 192.0.2.10 : user = carol : user IP = 198.51.100.20",
    );
    assert_eq!(e.outcome, Outcome::Failure);
    assert_eq!(e.cause, Some(Cause::BadCredentials));
    assert_eq!(e.reason, Some("AAA failure"));
    assert_eq!(e.server, Some("192.0.2.10"));
    assert_eq!(e.user, Some("carol"));
    assert_eq!(e.client_ip, Some("198.51.100.20"));
}

#[test]
fn m113005_tight_spacing() {
    let e = p(
        "%ASA-6-113005: AAA user authentication Rejected: reason = Invalid password: server = 192.0.2.10 : user = dave: user IP = 198.51.100.21",
    );
    assert_eq!(e.reason, Some("Invalid password"));
    assert_eq!(e.user, Some("dave"));
    assert_eq!(e.client_ip, Some("198.51.100.21"));
    let e = p(
        "%ASA-6-113005: AAA user authentication Rejected : reason = Invalid password : server = 192.0.2.10 : user =dave2 : user IP = 198.51.100.21",
    );
    assert_eq!(e.user, Some("dave2"));
    let e = p(
        "%ASA-6-113005: AAA user authentication Rejected:reason=Invalid password:server=192.0.2.10:User=dave3:user IP=198.51.100.22",
    );
    assert_eq!(e.reason, Some("Invalid password"));
    assert_eq!(e.server, Some("192.0.2.10"));
    assert_eq!(e.user, Some("dave3"));
    assert_eq!(e.client_ip, Some("198.51.100.22"));
    assert_eq!(e.cause, Some(Cause::BadCredentials));
}

#[test]
fn m113005_reasons_map_to_causes() {
    let cases = [
        ("AAA failure", Cause::BadCredentials),
        ("Invalid password", Cause::BadCredentials),
        ("Unspecified", Cause::BadCredentials),
        ("Password malformed", Cause::BadCredentials),
        ("User was not found", Cause::UnknownUser),
        ("Account has been locked out", Cause::AccountLocked),
        ("Account has been disabled", Cause::AccountDisabled),
        ("Users account has expired", Cause::AccountDisabled),
        ("Password has expired", Cause::PasswordExpired),
        ("Password is expiring", Cause::PasswordExpired),
        ("Enter Next Tokencode", Cause::TokenRequired),
        ("New PIN required", Cause::TokenRequired),
        ("Something nobody has seen", Cause::Other),
    ];
    for (reason, cause) in cases {
        let line = format!(
            "%ASA-6-113005: AAA user authentication Rejected : reason = {reason} : server = 192.0.2.10 : user = erin : user IP = 198.51.100.22"
        );
        let e = parse(&line, &ctx()).unwrap();
        assert_eq!(e.reason, Some(reason));
        assert_eq!(e.cause, Some(cause), "{reason}");
    }
}

#[test]
fn m113005_hidden_user_keeps_stars_and_cause() {
    let e = p(
        "%ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 192.0.2.10 : user = ***** : user IP = 198.51.100.23",
    );
    assert_eq!(e.user, Some("*****"));
    assert_eq!(e.cause, Some(Cause::BadCredentials));
    let e = p(
        "%ASA-6-113005: AAA user authentication Rejected : reason = Invalid password : server = 192.0.2.10 : user = ***** : user IP = 198.51.100.23",
    );
    assert_eq!(e.cause, Some(Cause::BadCredentials));
}

#[test]
fn m113005_empty_user_is_none() {
    let e = p(
        "%ASA-6-113005: AAA user authentication Rejected : reason = Unspecified : server = 192.0.2.10 : user = : user IP = 198.51.100.24",
    );
    assert_eq!(e.user, None);
    assert_eq!(e.client_ip, Some("198.51.100.24"));
}

#[test]
fn m113005_odd_user_names() {
    let e = p(
        "%ASA-6-113005: AAA user authentication Rejected : reason = Invalid password : server = 192.0.2.10 : user = CORP\\j doe (contractor) : user IP = 198.51.100.25",
    );
    assert_eq!(e.user, Some("CORP\\j doe (contractor)"));
    let e = p(
        "%ASA-6-113005: AAA user authentication Rejected : reason = Invalid password : server = 192.0.2.10 : user = o'brien@example.com : user IP = 2001:db8::25",
    );
    assert_eq!(e.user, Some("o'brien@example.com"));
    assert_eq!(e.client_ip, Some("2001:db8::25"));
}

#[test]
fn m113005_authorization_rejected() {
    let e = p(
        "%ASA-6-113005: AAA user authorization Rejected : reason = User was not found : server = 0.0.0.0 : user = fay : user IP = None",
    );
    assert_eq!(e.outcome, Outcome::Failure);
    assert_eq!(e.cause, Some(Cause::AuthorizationDenied));
    assert_eq!(e.client_ip, None);
    assert_eq!(e.user, Some("fay"));
}

#[test]
fn m113005_ipv6_client_at_end() {
    let e = p(
        "%ASA-6-113005: AAA user authentication Rejected : reason = Invalid password : server = 2001:db8::10 : user = gus : user IP = 2001:db8:1::",
    );
    assert_eq!(e.server, Some("2001:db8::10"));
    assert_eq!(e.client_ip, Some("2001:db8:1::"));
}

#[test]
fn m113006_lockout() {
    let e = p(
        "%ASA-6-113006: User 'hank' locked out on exceeding '5' successive failed authentication attempts",
    );
    assert_eq!(e.outcome, Outcome::Failure);
    assert_eq!(e.cause, Some(Cause::AccountLocked));
    assert_eq!(e.user, Some("hank"));
    let e = p(
        "%ASA-6-113006: User hank2 locked out on exceeding 3 successive failed authentication attempts",
    );
    assert_eq!(e.user, Some("hank2"));
}

#[test]
fn m113007_unlock_is_info() {
    let e = p("%ASA-6-113007: User 'hank' unlocked by 'admin'");
    assert_eq!(e.outcome, Outcome::Info);
    assert_eq!(e.user, Some("hank"));
}

#[test]
fn m113008_accept() {
    let e = p("%ASA-6-113008: AAA transaction status ACCEPT : user = iris");
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(e.user, Some("iris"));
    let e = p("%ASA-6-113008: AAA transaction status ACCEPT: user = iris");
    assert_eq!(e.user, Some("iris"));
    assert_eq!(e.outcome, Outcome::Success, "colon right after ACCEPT");
}

#[test]
fn m113009_113011_group_policy() {
    let e = p("%ASA-6-113009: AAA retrieved default group policy (GP_Staff) for user = jack");
    assert_eq!(e.group, Some("GP_Staff"));
    assert_eq!(e.user, Some("jack"));
    assert_eq!(e.outcome, Outcome::Info);
    let e = p("%ASA-6-113009: AAA retrieved default group policy GP_Staff for user jack");
    assert_eq!(e.group, Some("GP_Staff"));
    assert_eq!(e.user, Some("jack"));
    let e = p("%ASA-6-113011: AAA retrieved user specific group policy (GP_Admin) for user = kim");
    assert_eq!(e.group, Some("GP_Admin"));
    assert_eq!(e.user, Some("kim"));
}

#[test]
fn m113010_challenge() {
    let e = p("%ASA-6-113010: AAA challenge received for user lena from server 192.0.2.30.");
    assert_eq!(e.outcome, Outcome::Info);
    assert_eq!(e.cause, Some(Cause::TokenRequired));
    assert_eq!(e.user, Some("lena"));
    assert_eq!(e.server, Some("192.0.2.30"));
}

#[test]
fn m113012_local_success() {
    let e = p("%ASA-6-113012: AAA user authentication Successful : local database : user = mo");
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(e.user, Some("mo"));
    assert_eq!(e.server, None);
}

#[test]
fn m113013_aaa_error() {
    let e = p(
        "%ASA-6-113013: AAA unable to complete the request Error : reason = Simultaneous logins exceeded for user : user = ned",
    );
    assert_eq!(e.outcome, Outcome::Failure);
    assert_eq!(e.cause, Some(Cause::Capacity));
    assert_eq!(e.user, Some("ned"));
    let e = p(
        "%ASA-6-113013: AAA unable to complete the request Error : reason = mystery : user = ned",
    );
    assert_eq!(e.cause, Some(Cause::Other));
}

#[test]
fn m113014_not_accessible() {
    let e = p(
        "%ASA-6-113014: AAA authentication server not accessible : server = 192.0.2.40 : user = olga",
    );
    assert_eq!(e.outcome, Outcome::Failure);
    assert_eq!(e.cause, Some(Cause::AaaUnreachable));
    assert_eq!(e.server, Some("192.0.2.40"));
    assert_eq!(e.user, Some("olga"));
}

#[test]
fn m113015_local_rejected() {
    let e = p(
        "%ASA-6-113015: AAA user authentication Rejected : reason = User was not found : local database : user = ;;pat (test acct) : user IP = 203.0.113.9",
    );
    assert_eq!(e.outcome, Outcome::Failure);
    assert_eq!(e.cause, Some(Cause::UnknownUser));
    assert_eq!(e.user, Some(";;pat (test acct)"));
    assert_eq!(e.client_ip, Some("203.0.113.9"));
    assert_eq!(e.server, None);
    // Without `user IP`.
    let e = p(
        "%ASA-6-113015: AAA user authentication Rejected : reason = Invalid password : local database : user = quinn",
    );
    assert_eq!(e.user, Some("quinn"));
    assert_eq!(e.client_ip, None);
}

#[test]
fn m113016_113017_credentials_rejected() {
    let e = p(
        "%ASA-6-113016: AAA credentials rejected : reason = Account has been disabled : server = 192.0.2.41 : user = ray : user IP = 203.0.113.10",
    );
    assert_eq!(e.cause, Some(Cause::AccountDisabled));
    assert_eq!(e.server, Some("192.0.2.41"));
    let e = p(
        "%ASA-6-113017: AAA credentials rejected : reason = Password has expired : local database : user = ray : user IP = 203.0.113.10",
    );
    assert_eq!(e.cause, Some(Cause::PasswordExpired));
    assert_eq!(e.client_ip, Some("203.0.113.10"));
}

#[test]
fn m113019_disconnect() {
    let e = p(
        "%ASA-4-113019: Group = RemoteStaff, Username = sam, IP = 198.51.100.40, Session disconnected. Session Type: AnyConnect-Parent, Duration: 1d 02h:03m:04s, Bytes xmt: 123456789, Bytes rcv: 987, Reason: Idle Timeout",
    );
    assert_eq!(e.outcome, Outcome::SessionEnd);
    assert_eq!(e.group, Some("RemoteStaff"));
    assert_eq!(e.user, Some("sam"));
    assert_eq!(e.client_ip, Some("198.51.100.40"));
    assert_eq!(e.reason, Some("Idle Timeout"));
    assert_eq!(e.cause, None);
}

#[test]
fn m113019_lan_to_lan_has_no_user() {
    let e = p(
        "%ASA-4-113019: Group = 203.0.113.70, Username = 203.0.113.70, IP = 203.0.113.70, Session disconnected. Session Type: LAN-to-LAN, Duration: 0h:10m:00s, Bytes xmt: 1, Bytes rcv: 2, Reason: User Requested",
    );
    assert_eq!(e.user, None);
    assert_eq!(e.client_ip, Some("203.0.113.70"));
    assert_eq!(e.reason, Some("User Requested"));
}

#[test]
fn m113020_kerberos_skew() {
    let e = p(
        "%ASA-3-113020: Kerberos error: Clock skew with server 192.0.2.50 greater than 300 seconds",
    );
    assert_eq!(e.outcome, Outcome::Failure);
    assert_eq!(e.cause, Some(Cause::Other));
    assert_eq!(e.server, Some("192.0.2.50"));
}

#[test]
fn m113021_console_login_is_info() {
    let e = p(
        "%ASA-3-113021: Attempted console login failed. User tess did NOT have appropriate Admin Rights.",
    );
    assert_eq!(e.outcome, Outcome::Info);
    assert_eq!(e.user, Some("tess"));
    let e = p(
        "%ASA-3-113021: Attempted console login failed user 'tess' did NOT have appropriate Admin Rights.",
    );
    assert_eq!(e.user, Some("tess"));
}

#[test]
fn m113022_failed_and_113023_active() {
    let e = p(
        "%ASA-2-113022: AAA Marking RADIUS server 192.0.2.60 in aaa-server group CORP-RAD as FAILED",
    );
    assert_eq!(e.outcome, Outcome::Failure);
    assert_eq!(e.cause, Some(Cause::AaaUnreachable));
    assert_eq!(e.server, Some("192.0.2.60"));
    assert_eq!(e.server_group, Some("CORP-RAD"));
    assert_eq!(e.server_state, Some(ServerState::Failed));
    let e = p(
        "%ASA-2-113023: AAA Marking LDAP server dc1.example.com in aaa-server group AD as ACTIVE",
    );
    assert_eq!(e.outcome, Outcome::Info);
    assert_eq!(e.cause, None);
    assert_eq!(e.server, Some("dc1.example.com"));
    assert_eq!(e.server_group, Some("AD"));
    assert_eq!(e.server_state, Some(ServerState::Active));
}

#[test]
fn m113025_cert_username() {
    let e = p(
        "%ASA-5-113025: Group CertProfile: FAILED to extract username from certificate while authenticating AnyConnect connection from 198.51.100.41",
    );
    assert_eq!(e.outcome, Outcome::Failure);
    assert_eq!(e.cause, Some(Cause::Certificate));
    assert_eq!(e.group, Some("CertProfile"));
    assert_eq!(e.client_ip, Some("198.51.100.41"));
}

#[test]
fn m113029_session_limit() {
    let e = p(
        "%ASA-4-113029: Group GP_Lab User uma IP 198.51.100.42 Session could not be established: session limit of 2 reached",
    );
    assert_eq!(e.outcome, Outcome::Failure);
    assert_eq!(e.cause, Some(Cause::Capacity));
    assert_eq!(e.user, Some("uma"));
    assert_eq!(e.group, Some("GP_Lab"));
    assert_eq!(e.client_ip, Some("198.51.100.42"));
}

#[test]
fn m113030_to_113038_setup() {
    let e = p(
        "%ASA-4-113035: Group <GP> User <vic> IP <198.51.100.43> Session terminated: AnyConnect not enabled or invalid AnyConnect image on the ASA.",
    );
    assert_eq!(e.cause, Some(Cause::SessionSetup));
    assert_eq!(
        e.reason,
        Some("Session terminated: AnyConnect not enabled or invalid AnyConnect image on the ASA")
    );
    let e = p(
        "%ASA-4-113034: Group GP User vic IP 198.51.100.43 User ACL x from AAA ignored, AV-PAIR ACL used instead.",
    );
    assert_eq!(e.outcome, Outcome::Info);
    assert_eq!(e.user, Some("vic"));
    let e = p("%ASA-6-113037: Reboot pending, new sessions disabled. Denied user login.");
    assert_eq!(e.cause, Some(Cause::SessionSetup));
}

#[test]
fn m113039_bare_and_bracketed() {
    let e = p(
        "%ASA-6-113039: Group GP_Staff User walt IP 203.0.113.11 AnyConnect parent session started.",
    );
    assert_eq!(
        (e.group, e.user, e.client_ip),
        (Some("GP_Staff"), Some("walt"), Some("203.0.113.11"))
    );
    assert_eq!(e.outcome, Outcome::Success);
    let e = p(
        "%ASA-6-113039: Group <Field Ops> User <CORP\\w.white> IP <2001:db8::11> AnyConnect parent session started.",
    );
    assert_eq!(
        (e.group, e.user, e.client_ip),
        (
            Some("Field Ops"),
            Some("CORP\\w.white"),
            Some("2001:db8::11")
        )
    );
    // Bare form with spaces in the user name: anchored on ` IP `.
    let e = p(
        "%ASA-6-113039: Group GP Staff User Laptop of walt IP 203.0.113.12 AnyConnect parent session started.",
    );
    assert_eq!(
        (e.group, e.user, e.client_ip),
        (
            Some("GP Staff"),
            Some("Laptop of walt"),
            Some("203.0.113.12")
        )
    );
}

#[test]
fn m113040_group_lock() {
    let e = p(
        "%ASA-4-113040: Terminating the VPN connection attempt from Contractors. Reason: This connection is group locked to Employees.",
    );
    assert_eq!(e.outcome, Outcome::Failure);
    assert_eq!(e.cause, Some(Cause::GroupMismatch));
    assert_eq!(e.group, Some("Contractors"));
    assert_eq!(
        e.reason,
        Some("This connection is group locked to Employees")
    );
}

#[test]
fn m113045_sdi_status() {
    let e = p(
        "%ASA-6-113045: AAA SDI server 192.0.2.61 in aaa-server group RSA: status changed from OK to SUSPENDED",
    );
    assert_eq!(e.outcome, Outcome::Failure);
    assert_eq!(e.cause, Some(Cause::AaaUnreachable));
    assert_eq!(e.server, Some("192.0.2.61"));
    assert_eq!(e.server_group, Some("RSA"));
    assert_eq!(e.server_state, Some(ServerState::Failed));
    let e = p(
        "%ASA-6-113045: AAA SDI server 192.0.2.61 in aaa-server group RSA: status changed from SUSPENDED to OK",
    );
    assert_eq!(e.outcome, Outcome::Info);
    assert_eq!(e.server_state, Some(ServerState::Active));
}

// ---- other auth ----

#[test]
fn m409023_fallback() {
    let e = p(
        "%ASA-4-409023: Attempting AAA Fallback method LOCAL for Authentication request for user xena : Auth-server group CORP-RAD unreachable",
    );
    assert_eq!(e.outcome, Outcome::Failure);
    assert_eq!(e.cause, Some(Cause::AaaUnreachable));
    assert_eq!(e.user, Some("xena"));
    assert_eq!(e.server_group, Some("CORP-RAD"));
    let e = p(
        "%ASA-4-409023: Attempting AAA Fallback method LOCAL for Authentication request for user xena:Auth-server group CORP-RAD unreachable",
    );
    assert_eq!(e.user, Some("xena"));
}

#[test]
fn m605004_605005_management_logins_are_info() {
    let e = p(
        "%ASA-6-605004: Login denied from 198.51.100.50/50123 to mgmt:192.0.2.1/https for user \"*****\"",
    );
    assert_eq!(e.outcome, Outcome::Info);
    assert_eq!(e.user, Some("*****"));
    assert_eq!(e.client_ip, Some("198.51.100.50"));
    assert_eq!(e.reason, Some("Login denied"));
    let e = p(
        "%ASA-6-605004: Login denied from 198.51.100.50/50123 to mgmt:192.0.2.1/https for user \"\"",
    );
    assert_eq!(e.user, None);
    let e = p(
        "%ASA-6-605005: Login permitted from 198.51.100.51/2222 to mgmt:192.0.2.1/ssh for user \"netops\"",
    );
    assert_eq!(e.outcome, Outcome::Info);
    assert_eq!(e.user, Some("netops"));
    assert_eq!(e.reason, Some("Login permitted"));
}

#[test]
fn m611101_611102_management_logins_are_info() {
    let e = p("%ASA-6-611102: User authentication failed: IP address: 198.51.100.52, Uname: root");
    assert_eq!(e.outcome, Outcome::Info);
    assert_eq!(e.user, Some("root"));
    assert_eq!(e.client_ip, Some("198.51.100.52"));
    assert_eq!(e.reason, Some("User authentication failed"));
    let e =
        p("%ASA-6-611101: User authentication succeeded: IP address: 198.51.100.52, Uname: netops");
    assert_eq!(e.outcome, Outcome::Info);
    assert_eq!(e.user, Some("netops"));
}

// ---- 713xxx ----

#[test]
fn m713_ikev1_prefix_and_failures() {
    let e = p(
        "%ASA-5-713049: Group = Partners, Username = yuri, IP = 198.51.100.60, Security negotiation complete for User (yuri) Responder, Inbound SPI = 0x1, Outbound SPI = 0x2",
    );
    assert_eq!(
        (e.group, e.user, e.client_ip),
        (Some("Partners"), Some("yuri"), Some("198.51.100.60"))
    );
    assert_eq!(e.outcome, Outcome::Info);
    let e = p(
        "%ASA-3-713198: Group = Partners, Username = yuri, IP = 198.51.100.60, User Authorization failed: yuri",
    );
    assert_eq!(e.cause, Some(Cause::AuthorizationDenied));
    let e = p(
        "%ASA-3-713060: Group = Partners, Username = yuri, IP = 198.51.100.60, Tunnel Rejected: User (yuri) not member of group (Staff), group-lock check failed.",
    );
    assert_eq!(e.cause, Some(Cause::GroupMismatch));
    assert_eq!(
        e.reason,
        Some("Tunnel Rejected: User (yuri) not member of group (Staff), group-lock check failed")
    );
    let e = p(
        "%ASA-6-713905: Group = Partners, Username = yuri, IP = 198.51.100.60, Login authentication failed due to max simultaneous-login restriction.",
    );
    assert_eq!(e.cause, Some(Cause::Capacity));
    let e = p(
        "%ASA-6-713905: Group = Partners, IP = 198.51.100.60, All IPSec SA proposals found unacceptable!",
    );
    assert_eq!(e.outcome, Outcome::Info);
    let e = p(
        "%ASA-5-713049: Group = 203.0.113.80, IP = 203.0.113.80, Security negotiation complete for LAN-to-LAN Group (203.0.113.80) Responder",
    );
    assert_eq!(e.user, None);
    assert_eq!(e.group, Some("203.0.113.80"));
}

// ---- 716xxx ----

#[test]
fn m716038_success_both_forms() {
    let e = p(
        "%ASA-6-716038: Group <Web> User <zoe> IP <203.0.113.12> Authentication: successful, Session Type: WebVPN.",
    );
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(
        (e.group, e.user, e.client_ip),
        (Some("Web"), Some("zoe"), Some("203.0.113.12"))
    );
    let e = p(
        "%ASA-6-716038: Authentication: successful, group = Web user = zoe, Session Type: WebVPN",
    );
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!((e.group, e.user), (Some("Web"), Some("zoe")));
}

#[test]
fn m716039_rejected_all_forms() {
    for (line, group, user, ip) in [
        (
            "%ASA-6-716039: Group <Web> User <zoe> IP <203.0.113.12> Authentication: rejected, Session Type: WebVPN.",
            "Web",
            Some("zoe"),
            Some("203.0.113.12"),
        ),
        (
            "%ASA-6-716039: Group <Web Team> User <zoe> IP <203.0.113.12> Authentication: rejected, Session Type: Admin.",
            "Web Team",
            Some("zoe"),
            Some("203.0.113.12"),
        ),
        (
            "%ASA-6-716039: Group <Web> User <*****> IP <203.0.113.12> Authentication: rejected, Session Type: WebVPN.",
            "Web",
            Some("*****"),
            Some("203.0.113.12"),
        ),
        (
            "%ASA-6-716039: Authentication: rejected, group = Web user = zoe , Session Type: admin",
            "Web",
            Some("zoe"),
            None,
        ),
    ] {
        let e = p(line);
        assert_eq!(e.outcome, Outcome::Failure, "{line}");
        assert_eq!(e.cause, Some(Cause::BadCredentials));
        assert_eq!(
            (e.group, e.user, e.client_ip),
            (Some(group), user, ip),
            "{line}"
        );
    }
}

#[test]
fn m716_session_messages() {
    let e = p("%ASA-6-716001: Group GP User abe IP 203.0.113.13 WebVPN session started.");
    assert_eq!(e.outcome, Outcome::Success);
    let e = p(
        "%ASA-6-716002: Group GP User abe IP 203.0.113.13 WebVPN session terminated: Idle timeout.",
    );
    assert_eq!(e.outcome, Outcome::SessionEnd);
    assert_eq!(e.reason, Some("Idle timeout"));
    let e = p(
        "%ASA-4-716023: Group GP User abe IP 203.0.113.13 Session could not be established: session limit of 250 reached.",
    );
    assert_eq!(e.cause, Some(Cause::Capacity));
    let e = p(
        "%ASA-3-716057: Group GP User abe IP 203.0.113.13 Session terminated, no AnyConnect Premium license available",
    );
    assert_eq!(e.cause, Some(Cause::Capacity));
    let e = p(
        "%ASA-6-716060: Group GP User abe IP 203.0.113.13 Terminated AnyConnect session in inactive state to accept a new connection. License limit reached.",
    );
    assert_eq!(e.cause, Some(Cause::Capacity));
    let e = p(
        "%ASA-6-716058: Group <GP> User <abe> IP <203.0.113.13> AnyConnect session lost connection. Waiting to resume.",
    );
    assert_eq!(e.outcome, Outcome::Info);
    assert_eq!(e.user, Some("abe"));
    let e = p(
        "%ASA-6-716059: Group <GP> User IP <203.0.113.13> AnyConnect session resumed connection from IP <198.51.100.1>.",
    );
    assert_eq!(e.user, None);
    assert_eq!(e.client_ip, Some("203.0.113.13"));
    let e = p(
        "%ASA-3-716056: Group GP User abe IP 203.0.113.13 Authentication to SSO server name: sso1 type SAML failed reason: certificate not trusted",
    );
    assert_eq!(e.cause, Some(Cause::Certificate));
    assert_eq!(e.reason, Some("certificate not trusted"));
}

// ---- 717xxx ----

#[test]
fn m717_certificates() {
    let e = p("%ASA-3-717009: Certificate validation failed. Reason: certificate expired.");
    assert_eq!(e.outcome, Outcome::Failure);
    assert_eq!(e.cause, Some(Cause::Certificate));
    assert_eq!(e.reason, Some("certificate expired"));
    let e = p("%ASA-3-717027: Certificate chain failed validation. No suitable trustpoint found.");
    assert_eq!(e.cause, Some(Cause::Certificate));
    assert_eq!(
        e.reason,
        Some("Certificate chain failed validation. No suitable trustpoint found")
    );
    let e = p(
        "%ASA-6-717022: Certificate was successfully validated. serial number: 01AB, subject name:  CN=laptop7,O=Example.",
    );
    assert_eq!(e.outcome, Outcome::Info);
    let e = p(
        "%ASA-4-717052: Group GP User bea IP 198.51.100.70 Session disconnected due to periodic certificate authentication failure. Subject Name id CN=x Issuer Name id CN=y Serial Number id 01",
    );
    assert_eq!(e.cause, Some(Cause::Certificate));
    assert_eq!(e.user, Some("bea"));
}

// ---- 722xxx ----

#[test]
fn m722_tunnel_messages() {
    let e = p(
        "%ASA-6-722022: Group GP User cy IP 198.51.100.71 UDP SVC connection established without compression",
    );
    assert_eq!(e.outcome, Outcome::Success);
    let e = p(
        "%ASA-6-722023: Group <GP> User <cy> IP <198.51.100.71> UDP SVC connection terminated without compression",
    );
    assert_eq!(e.outcome, Outcome::SessionEnd);
    let e =
        p("%ASA-5-722028: Group <GP 2> User <C Y> IP <198.51.100.71> Stale SVC connection closed.");
    assert_eq!(e.outcome, Outcome::SessionEnd);
    assert_eq!((e.group, e.user), (Some("GP 2"), Some("C Y")));
    let e = p(
        "%ASA-4-722037: Group <GP> User <cy> IP <198.51.100.71> SVC closing connection: DPD failure.",
    );
    assert_eq!(e.outcome, Outcome::SessionEnd);
    assert_eq!(e.reason, Some("DPD failure"));
    let e = p(
        "%ASA-5-722033: Group <GP> User <cy> IP <198.51.100.71> First TCP SVC connection established for SVC session.",
    );
    assert_eq!(e.outcome, Outcome::Success);
    let e = p(
        "%ASA-4-722011: Group <GP> User <cy> IP <198.51.100.71> SVC Message: 17/WARNING: Reconnecting the VPN tunnel..",
    );
    assert_eq!(e.outcome, Outcome::Info);
    assert_eq!(e.reason, Some("17/WARNING: Reconnecting the VPN tunnel.."));
    let e = p(
        "%ASA-3-722046: Group GP User cy IP 198.51.100.71 Session terminated: unable to establish tunnel.",
    );
    assert_eq!(e.cause, Some(Cause::SessionSetup));
    let e = p(
        "%ASA-4-722049: Group GP User cy IP 198.51.100.71 Session terminated: SVC not enabled or invalid image on the ASA.",
    );
    assert_eq!(e.cause, Some(Cause::SessionSetup));
}

#[test]
fn m722051_address_assigned() {
    let e = p(
        "%ASA-4-722051: Group <GP_Staff> User <dina> IP <198.51.100.72> IPv4 Address <10.9.0.5> IPv6 address <::> assigned to session",
    );
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(e.client_ip, Some("198.51.100.72"));
    assert_eq!(e.user, Some("dina"));
    assert_eq!(e.group, Some("GP_Staff"));
}

#[test]
fn m722020_722041_pool_exhausted() {
    let e = p(
        "%ASA-3-722020: TunnelGroup Staff GroupPolicy GP_Staff User eli IP 198.51.100.73 No address available for SVC connection",
    );
    assert_eq!(e.outcome, Outcome::Failure);
    assert_eq!(e.cause, Some(Cause::Capacity));
    assert_eq!(
        (e.group, e.user, e.client_ip),
        (Some("Staff"), Some("eli"), Some("198.51.100.73"))
    );
    assert_eq!(e.reason, Some("No address available for SVC connection"));
    let e = p(
        "%ASA-4-722041: TunnelGroup <Staff> GroupPolicy <GP_Staff> User <eli> IP <2001:db8::73> No IPv6 address available for SVC connection",
    );
    assert_eq!(
        (e.group, e.user, e.client_ip),
        (Some("Staff"), Some("eli"), Some("2001:db8::73"))
    );
}

#[test]
fn m722056_unsupported_client() {
    let e = p(
        "%ASA-4-722056: Unsupported AnyConnect client connection rejected from 198.51.100.74. Client info: AnyConnect Linux 3.1. Reason: client version not allowed",
    );
    assert_eq!(e.cause, Some(Cause::SessionSetup));
    assert_eq!(e.client_ip, Some("198.51.100.74"));
    assert_eq!(e.reason, Some("client version not allowed"));
}

// ---- 725xxx, 733xxx, 734xxx, 737xxx ----

#[test]
fn m725_ssl() {
    let e = p(
        "%ASA-6-725001: Starting SSL handshake with client outside:198.51.100.75/50000 to 192.0.2.1/443 for TLSv1.2 session.",
    );
    assert_eq!(e.client_ip, Some("198.51.100.75"));
    assert_eq!(e.outcome, Outcome::Info);
    let e = p(
        "%ASA-6-725006: Device failed SSL handshake with client outside:2001:db8::75/50000 to 192.0.2.1/443",
    );
    assert_eq!(e.client_ip, Some("2001:db8::75"));
    assert_eq!(e.outcome, Outcome::Info);
    let e = p(
        "%ASA-7-725014: SSL lib error. Function: tls_process_client_hello Reason: no shared cipher",
    );
    assert_eq!(e.reason, Some("no shared cipher"));
    let e = p(
        "%ASA-3-725015: Error verifying client certificate. Public key size in client certificate (8192 bits) exceeds the maximum supported key size of 4096 bits",
    );
    assert_eq!(e.cause, Some(Cause::Certificate));
}

#[test]
fn m733201_shun() {
    let e = p(
        "%ASA-4-733201: Threat-detection: Service[remote-access-client-initiations] Peer[198.51.100.76]: failure threshold of 20 exceeded: adding shun to interface outside. SSL: RA excessive client initiation requests.",
    );
    assert_eq!(e.client_ip, Some("198.51.100.76"));
    assert_eq!(e.outcome, Outcome::Info);
}

#[test]
fn m734_dap() {
    let e = p(
        "%ASA-6-734001: DAP: User fern@example.com, Addr 198.51.100.77, Connection AnyConnect: The following DAP records were selected for this connection: DfltAccessPolicy",
    );
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(e.user, Some("fern@example.com"));
    assert_eq!(e.client_ip, Some("198.51.100.77"));
    let e = p(
        "%ASA-5-734002: DAP: User fern, Addr 2001:db8::77: Connection terminated by the following DAP records: Quarantine",
    );
    assert_eq!(e.cause, Some(Cause::AuthorizationDenied));
    assert_eq!(e.client_ip, Some("2001:db8::77"));
    assert_eq!(e.reason, Some("Quarantine"));
}

#[test]
fn m737_ipaa() {
    let e = p(
        "%ASA-5-737007: IPAA: Session=0x00ab1000, Local pool request failed for tunnel-group 'Staff'",
    );
    assert_eq!(e.cause, Some(Cause::Capacity));
    assert_eq!(e.group, Some("Staff"));
    assert_eq!(
        e.reason,
        Some("Local pool request failed for tunnel-group 'Staff'")
    );
    let e = p("%ASA-4-737012: IPAA: Address assignment failed");
    assert_eq!(e.cause, Some(Cause::Capacity));
    let e = p(
        "%ASA-4-737019: IPAA: Session=0x1, Unable to get address from group-policy or tunnel-group local pools",
    );
    assert_eq!(e.cause, Some(Cause::Capacity));
    let e = p("%ASA-6-737006: IPAA: Local pool request succeeded for tunnel-group Staff");
    assert_eq!(e.outcome, Outcome::Info);
    assert_eq!(e.group, Some("Staff"));
    let e = p("%ASA-6-737026: IPAA: Session=0x1, Client assigned 10.9.0.6 from local pool POOL1");
    assert_eq!(e.client_ip, None);
}

// ---- 750xxx / 751xxx ----

#[test]
fn m750_751_ikev2() {
    let e = p(
        "%ASA-5-751025: Local:192.0.2.1:4500 Remote:198.51.100.78:61000 Username:gil IKEv2 Group:GP_Staff IPv4 Address=10.9.0.7 IPv6 address=2001:db8:9::7 assigned to session",
    );
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(
        (e.group, e.user, e.client_ip),
        (Some("GP_Staff"), Some("gil"), Some("198.51.100.78"))
    );
    let e = p(
        "%ASA-5-751025: Local:2001:db8::1:4500 Remote:2001:db8::78:61000 Username:gil Group:GP IPv4 Address=10.9.0.7 IPv6 address=::",
    );
    assert_eq!(e.client_ip, Some("2001:db8::78"));
    assert_eq!(e.group, Some("GP"));
    let e = p(
        "%ASA-5-750002: Local:vpn.example.com:500 Remote:client.example.net:500 Username:Unknown Received a IKE_INIT_SA request",
    );
    assert_eq!(e.client_ip, Some("client.example.net"));
    let e = p(
        "%ASA-3-751011: Local:192.0.2.1:4500 Remote:198.51.100.78:61000 Username:gil IKEv2 Failed user authentication. Error: EAP authentication failed",
    );
    assert_eq!(e.cause, Some(Cause::BadCredentials));
    assert_eq!(e.reason, Some("EAP authentication failed"));
    let e = p(
        "%ASA-3-751006: Local:192.0.2.1:4500 Remote:198.51.100.78:61000 Username:gil IKEv2 Certificate authentication failed. Error: chain incomplete",
    );
    assert_eq!(e.cause, Some(Cause::Certificate));
    let e = p(
        "%ASA-3-751018: Local:192.0.2.1:4500 Remote:198.51.100.78:61000 Username:gil IKEv2 Terminating connection: group lock mismatch",
    );
    assert_eq!(e.cause, Some(Cause::GroupMismatch));
    let e = p(
        "%ASA-4-751019: Local:192.0.2.1:4500 Remote:198.51.100.78:61000 Username:gil IKEv2 Failed to obtain an AnyConnect Premium license. Maximum license limit 2 exceeded.",
    );
    assert_eq!(e.cause, Some(Cause::Capacity));
    let e = p(
        "%ASA-5-750008: Local:192.0.2.1:500 Remote:198.51.100.78:500 Username:Unknown SA rejected due to system resource low",
    );
    assert_eq!(e.cause, Some(Cause::Capacity));
    let e = p(
        "%ASA-3-751005: Local:192.0.2.1:4500 Remote:198.51.100.78:61000 Username:gil IKEv2 AnyConnect client reconnect authentication failed. Session ID: 7, Error: token mismatch",
    );
    assert_eq!(e.cause, Some(Cause::TokenRequired));
}

// ---- field helpers ----

proptest::proptest! {
    /// A value ends where the rule in [`super::take_value`]'s doc says,
    /// checked here one byte at a time: the search's jumps from stop
    /// candidate to stop candidate skip nothing that could end it.
    #[test]
    fn values_end_where_the_byte_by_byte_rule_ends_them(
        chars in proptest::collection::vec(
            proptest::sample::select(vec![
                ':', ',', ' ', '\t', '=', 'a', 'Z', '1', '.', 'é', '\u{a0}',
            ]),
            0..40,
        ),
        comma in proptest::prelude::any::<bool>(),
    ) {
        let s: String = chars.into_iter().collect();
        let t = s.trim_start();
        let lead = s.len() - t.len();
        let b = t.as_bytes();
        let mut end = b.len();
        for (i, &c) in b.iter().enumerate() {
            let next = b.get(i + 1).copied();
            let stop = match c {
                b':' => {
                    i == 0
                        || matches!(next, Some(b' ' | b'\t'))
                        || (next.is_none() && b.get(i - 1) != Some(&b':'))
                        || b.get(i + 1..).is_some_and(super::starts_with_key)
                }
                b',' => comma && matches!(next, None | Some(b' ' | b'\t')),
                _ => false,
            };
            if stop {
                end = i;
                break;
            }
        }
        let want = (t[..end].trim_end(), lead + end);
        proptest::prop_assert_eq!(super::take_value_span(&s, comma), want);
    }
}

/// The first `key = value` of `key` in `body`, found as a search of its
/// own would: every `=` from the start in turn, the key the word (or
/// words) before it at a word boundary, case-blind.
fn one_key<'a>(body: &'a str, key: &str, comma: bool) -> Option<(&'a str, usize)> {
    let b = body.as_bytes();
    for eq in memchr::memchr_iter(b'=', b) {
        let e = b[..eq]
            .iter()
            .rposition(|&c| c != b' ')
            .map_or(0, |i| i + 1);
        let Some(s) = e.checked_sub(key.len()) else {
            continue;
        };
        if b[s..e].eq_ignore_ascii_case(key.as_bytes())
            && (s == 0 || matches!(b[s - 1], b' ' | b':' | b','))
        {
            let (value, used) = super::take_value_span(&body[eq + 1..], comma);
            return Some((value, eq + 1 + used));
        }
    }
    None
}

proptest::proptest! {
    /// One pass for several keys finds, for each, what a search for that
    /// key alone finds: keys that end others (`user`, `user IP`, `IP`),
    /// repeated keys, keys in either case, `=` with and without spaces.
    #[test]
    fn keys_found_together_are_the_keys_found_one_by_one(
        body in crate::parse::text::token_text(
            vec![
                "user", "User", "user IP", "IP", "server", "reason", " ", " = ", "=", " : ",
                ", ", ":", "alice", "10.1.1.1", "é", "Rejected",
            ],
            24,
        ),
        commas in proptest::prelude::any::<[bool; 4]>(),
    ) {
        let keys = [
            ("user", commas[0]),
            ("user IP", commas[1]),
            ("IP", commas[2]),
            ("server", commas[3]),
        ];
        let got = super::kvs(&body, keys);
        let want = keys.map(|(key, comma)| one_key(&body, key, comma));
        proptest::prop_assert_eq!(got, want);
    }
}
