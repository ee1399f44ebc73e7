use super::*;
use crate::parse::TimeFrom;
use crate::parse::{Cause, Family, Outcome};

fn ctx() -> ParseContext {
    ParseContext::for_year(2026)
}

fn ts(s: &str) -> Option<jiff::Timestamp> {
    Some(s.parse().unwrap())
}

// ---- code tables ----

#[test]
fn ntstatus_table() {
    use Cause::*;
    let cases = [
        (0xC000_006A, 0, BadCredentials),
        (0xC000_006D, 0, BadCredentials),
        (0xC000_006D, 0xC000_006A, BadCredentials),
        (0xC000_006D, 0xC000_0064, UnknownUser),
        (0xC000_006D, 0xC000_0072, AccountDisabled),
        (0xC000_006D, 0xC000_0071, PasswordExpired),
        (0xC000_006D, 0xC000_0413, BadCredentials),
        (0xC000_006E, 0xC000_0193, AccountDisabled),
        (0xC000_006E, 0, BadCredentials),
        (0xC000_0064, 0, UnknownUser),
        (0xC000_0234, 0, AccountLocked),
        (0xC000_0234, 0xC000_006A, AccountLocked),
        (0xC000_0072, 0, AccountDisabled),
        (0xC000_0193, 0, AccountDisabled),
        (0xC000_0071, 0, PasswordExpired),
        (0xC000_0224, 0, PasswordExpired),
        (0xC000_005E, 0, AaaUnreachable),
        (0xC000_0192, 0, AaaUnreachable),
        (0xC000_006F, 0, Other),
        (0xC000_0070, 0, Other),
        (0xC000_0133, 0, Other),
        (0xC000_015B, 0, Other),
        (0, 0, Other),
        (u32::MAX, u32::MAX, Other),
    ];
    for (status, sub, cause) in cases {
        assert_eq!(
            cause_from_ntstatus(status, sub),
            cause,
            "{status:#x}/{sub:#x}"
        );
    }
}

#[test]
fn kerberos_table() {
    use Cause::*;
    for (code, cause) in [
        (0x18, BadCredentials),
        (0x17, PasswordExpired),
        (0x12, AccountDisabled),
        (0x6, UnknownUser),
        (0x25, Other),
        (0x10, Certificate),
        (0x0, Other),
        (0x44, Other),
    ] {
        assert_eq!(cause_from_kerberos(code), cause, "{code:#x}");
    }
}

#[test]
fn nps_table() {
    use Cause::*;
    let expect = |codes: &[u32], cause: Cause| {
        for &c in codes {
            assert_eq!(cause_from_nps_reason(c), cause, "{c}");
        }
    };
    expect(&[16], BadCredentials);
    expect(&[8], UnknownUser);
    expect(&[36, 64], AccountLocked);
    expect(&[34, 35], AccountDisabled);
    expect(&[33], PasswordExpired);
    expect(&[5, 117, 261], AaaUnreachable);
    expect(&[48, 49, 65], AuthorizationDenied);
    expect(&[256, 259, 265, 268, 270], Certificate);
    expect(&[0, 7, 22, 23, 37, 66, 112, 9999], Other);
}

#[test]
fn ise_table() {
    use Cause::*;
    let expect = |codes: &[u32], cause: Cause| {
        for &c in codes {
            assert_eq!(cause_from_ise_reason(c), cause, "{c}");
        }
    };
    expect(
        &[22040, 22063, 24020, 24408, 24406, 24403, 24508, 24613],
        BadCredentials,
    );
    expect(&[22041, 22056, 24008, 24412, 24552], UnknownUser);
    expect(&[22091, 24057, 24415], AccountLocked);
    expect(&[24206, 24409, 24414], AccountDisabled);
    expect(&[24407], PasswordExpired);
    expect(
        &[24511, 24512, 24513, 24514, 24515, 24518, 24521, 24522],
        TokenRequired,
    );
    expect(
        &[
            24001, 24429, 24446, 24454, 24495, 24503, 24547, 24616, 11353,
        ],
        AaaUnreachable,
    );
    expect(&[12309, 12321, 12514, 12516, 12517], Certificate);
    expect(&[15039], AuthorizationDenied);
    expect(&[0, 11007, 11036, 24492, 5400, 99999], Other);
}

// ---- Windows Security XML ----

fn sec_xml(id: &str, data: &str) -> String {
    format!(
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing' Guid='{{54849625-5478-4994-a5ba-3e3b0328c30d}}'/><EventID>{id}</EventID><TimeCreated SystemTime='2026-11-28T08:44:10.1234567Z'/><Channel>Security</Channel><Computer>dc01.corp.example</Computer></System><EventData>{data}</EventData></Event>"
    )
}

fn d(name: &str, v: &str) -> String {
    format!("<Data Name='{name}'>{v}</Data>")
}

#[test]
fn xml_4625_with_substatus() {
    let rec = sec_xml(
        "4625",
        &[
            d("SubjectUserName", "-"),
            d("TargetUserName", "mkowalski"),
            d("TargetDomainName", "CORP"),
            d("Status", "0xc000006d"),
            d("FailureReason", "%%2313"),
            d("SubStatus", "0xc0000234"),
            d("IpAddress", "::ffff:198.51.100.40"),
        ]
        .concat(),
    );
    let e = parse_security_xml(&rec, &ctx()).unwrap();
    assert_eq!(e.family, Family::AuthServer);
    assert_eq!(e.outcome, Outcome::Failure);
    assert_eq!(e.cause, Some(Cause::AccountLocked));
    assert_eq!(e.user, Some("mkowalski"));
    assert_eq!(e.client_ip, Some("198.51.100.40"));
    assert_eq!(e.host, Some("dc01.corp.example"));
    assert_eq!(e.msg_id, Some("4625"));
    assert_eq!(e.ts, ts("2026-11-28T08:44:10.1234567Z"));
    assert_eq!(e.reason, Some("account locked out"));
    // The same through the single-line entry point.
    assert_eq!(parse(&rec, &ctx()), Some(e));
}

#[test]
fn xml_4740_caller_computer() {
    let rec = sec_xml(
        "4740",
        &[
            d("TargetUserName", "mkowalski"),
            d("TargetDomainName", "NPS01"),
            d("SubjectUserName", "DC01$"),
        ]
        .concat(),
    );
    let e = parse_security_xml(&rec, &ctx()).unwrap();
    assert_eq!(e.cause, Some(Cause::AccountLocked));
    assert_eq!(e.user, Some("mkowalski"));
    assert_eq!(e.server, Some("NPS01"));
}

#[test]
fn xml_4771_codes() {
    for (code, cause) in [
        ("0x18", Cause::BadCredentials),
        ("0x17", Cause::PasswordExpired),
        ("0x12", Cause::AccountDisabled),
        ("0x6", Cause::UnknownUser),
        ("0x25", Cause::Other),
        ("0x10", Cause::Certificate),
        ("garbage", Cause::Other),
    ] {
        let rec = sec_xml(
            "4771",
            &[
                d("TargetUserName", "apatel"),
                d("ServiceName", "krbtgt/CORP"),
                d("Status", code),
                d("IpAddress", "::ffff:192.0.2.15"),
            ]
            .concat(),
        );
        let e = parse_security_xml(&rec, &ctx()).unwrap();
        assert_eq!(e.cause, Some(cause), "{code}");
        assert_eq!(e.client_ip, Some("192.0.2.15"));
    }
}

#[test]
fn xml_nps_events() {
    let base = [
        d("SubjectUserName", "gtanaka"),
        d("FullyQualifiedSubjectUserName", "CORP\\gtanaka"),
        d("CallingStationID", "203.0.113.61"),
        d("AuthenticationServer", "nps01.corp.example"),
    ]
    .concat();
    let granted = sec_xml("6272", &base);
    let e = parse_security_xml(&granted, &ctx()).unwrap();
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(e.user, Some("gtanaka"));
    assert_eq!(e.client_ip, Some("203.0.113.61"));
    assert_eq!(e.server, Some("nps01.corp.example"));
    for (code, cause) in [
        ("16", Cause::BadCredentials),
        ("36", Cause::AccountLocked),
        ("117", Cause::AaaUnreachable),
        ("48", Cause::AuthorizationDenied),
        ("268", Cause::Certificate),
        ("7", Cause::Other),
    ] {
        let rec = sec_xml(
            "6273",
            &format!(
                "{base}{}{}",
                d("ReasonCode", code),
                d("Reason", "Some reason.")
            ),
        );
        let e = parse_security_xml(&rec, &ctx()).unwrap();
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.cause, Some(cause), "{code}");
        assert_eq!(e.reason, Some("Some reason."));
    }
    let locked = sec_xml("6279", &base);
    let e = parse_security_xml(&locked, &ctx()).unwrap();
    assert_eq!(e.cause, Some(Cause::AccountLocked));
    // Other Security events are not ours.
    assert!(parse_security_xml(&sec_xml("4634", &base), &ctx()).is_none());
}

#[test]
fn headerless_freeradius_and_ise_bodies() {
    for body in [
        "(12) Login incorrect (Invalid password): [ewright] (from client asa port 0 cli 198.51.100.77)",
        "Auth: Login incorrect: [ewright] (from client asa port 0 cli 198.51.100.77)",
    ] {
        let e = parse(body, &ctx()).unwrap();
        assert_eq!(
            (e.outcome, e.user, e.client_ip, e.ts, e.ts_from),
            (
                Outcome::Failure,
                Some("ewright"),
                Some("198.51.100.77"),
                None,
                TimeFrom::Missing
            ),
            "{body}"
        );
    }
    let e = parse("Invalid user: [ghost] (from client asa port 0)", &ctx()).unwrap();
    assert_eq!(e.cause, Some(Cause::UnknownUser));
    assert!(parse("(12) something else entirely", &ctx()).is_none());
    let cat = "CISE_Failed_Attempts 0000000001 1 0 2026-11-28 08:46:02.118 +00:00 0000000002 5400 NOTICE Failed-Attempt: Authentication failed, UserName=rn, FailureReason=24415 locked,";
    let e = parse(cat, &ctx()).unwrap();
    assert_eq!(
        (e.host, e.user, e.cause),
        (None, Some("rn"), Some(Cause::AccountLocked))
    );
    let bare = "2026-11-28 08:46:02.118 +00:00 0000000002 5400 NOTICE Failed-Attempt: Authentication failed, UserName=rn, FailureReason=24415 locked,";
    let e = parse(bare, &ctx()).unwrap();
    assert_eq!(
        (e.user, e.cause, e.ts_from, e.ts),
        (
            Some("rn"),
            Some(Cause::AccountLocked),
            TimeFrom::Line,
            "2026-11-28T08:46:02.118Z".parse().ok()
        )
    );
    assert_eq!(
        crate::parse::formats::detect_format(&[bare, cat]),
        Some(crate::parse::formats::Format::Ise)
    );
}

#[test]
fn xml_4624_4768_4776_6274() {
    let ok = sec_xml(
        "4624",
        &format!(
            "{}{}",
            d("TargetUserName", "ann"),
            d("IpAddress", "::ffff:198.51.100.7")
        ),
    );
    let e = parse_security_xml(&ok, &ctx()).unwrap();
    assert_eq!(
        (e.outcome, e.user, e.client_ip),
        (Outcome::Success, Some("ann"), Some("198.51.100.7"))
    );
    let tgt = |code: &str| {
        sec_xml(
            "4768",
            &format!("{}{}", d("TargetUserName", "bo"), d("Status", code)),
        )
    };
    let rec = tgt("0x12");
    let e = parse_security_xml(&rec, &ctx()).unwrap();
    assert_eq!(
        (e.outcome, e.cause),
        (Outcome::Failure, Some(Cause::AccountDisabled))
    );
    let rec = tgt("0x0");
    let e = parse_security_xml(&rec, &ctx()).unwrap();
    assert_eq!((e.outcome, e.cause), (Outcome::Info, None));
    let ntlm = sec_xml(
        "4776",
        &format!("{}{}", d("TargetUserName", "cy"), d("Status", "0xC0000234")),
    );
    let e = parse_security_xml(&ntlm, &ctx()).unwrap();
    assert_eq!(
        (e.outcome, e.cause, e.user),
        (Outcome::Failure, Some(Cause::AccountLocked), Some("cy"))
    );
    let discarded = sec_xml(
        "6274",
        &format!("{}{}", d("SubjectUserName", "di"), d("ReasonCode", "117")),
    );
    let e = parse_security_xml(&discarded, &ctx()).unwrap();
    assert_eq!(
        (e.outcome, e.cause),
        (Outcome::Failure, Some(Cause::AaaUnreachable))
    );
}

fn json(text: &str) -> serde_json::Value {
    let mut items = Vec::new();
    crate::parse::envelope::unwrap(
        serde_json::from_str(text).unwrap_or_default(),
        None,
        &mut items,
    );
    match items.pop() {
        Some(crate::parse::envelope::Item::Windows(v)) => v,
        other => panic!("not a Windows event: {other:?}"),
    }
}

#[test]
fn nxlog_json_reads_like_the_xml() {
    let v = json(
        r#"{"EventTime":"2026-11-28 08:44:10","Hostname":"dc01.corp.example","EventID":4625,"SourceName":"Microsoft-Windows-Security-Auditing","Channel":"Security","TargetUserName":"ewright","Status":"0xC000006D","SubStatus":"0xC0000064","IpAddress":"198.51.100.77","FailureReason":"%%2313"}"#,
    );
    let j = parse_security_json(&v).unwrap();
    let xml = sec_xml(
        "4625",
        &format!(
            "{}{}{}{}",
            d("TargetUserName", "ewright"),
            d("Status", "0xC000006D"),
            d("SubStatus", "0xC0000064"),
            d("IpAddress", "198.51.100.77")
        ),
    );
    let x = parse_security_xml(&xml, &ctx()).unwrap();
    assert_eq!(j.cause, Some(Cause::UnknownUser));
    assert_eq!(
        (
            j.outcome,
            j.cause,
            j.user,
            j.client_ip,
            j.reason,
            j.msg_id,
            j.host
        ),
        (
            x.outcome,
            x.cause,
            x.user,
            x.client_ip,
            x.reason,
            x.msg_id,
            x.host
        )
    );
    assert_eq!(j.ts, "2026-11-28T08:44:10Z".parse().ok());
}

#[test]
fn winlogbeat_json_nps_and_lockout() {
    let v = json(
        r#"{"@timestamp":"2026-11-28T08:44:10.123Z","winlog":{"event_id":6273,"computer_name":"nps01","channel":"Security","event_data":{"SubjectUserName":"dokafor","CallingStationID":"203.0.113.88","ReasonCode":"65","Reason":"Permission denied."}}}"#,
    );
    let e = parse_security_json(&v).unwrap();
    assert_eq!(
        (e.outcome, e.cause, e.user, e.client_ip, e.host),
        (
            Outcome::Failure,
            Some(Cause::AuthorizationDenied),
            Some("dokafor"),
            Some("203.0.113.88"),
            Some("nps01")
        )
    );
    let v = json(
        r#"{"winlog":{"event_id":"4771","event_data":{"TargetUserName":"fi","Status":"0x18"}},"source":{"ip":"198.51.100.9"}}"#,
    );
    let e = parse_security_json(&v).unwrap();
    assert_eq!(
        (e.cause, e.client_ip),
        (Some(Cause::BadCredentials), Some("198.51.100.9"))
    );
}

// ---- Windows Security text / CSV ----

const MSG_4625: &str = "An account failed to log on.\n\nSubject:\n\tSecurity ID:\t\tNULL SID\n\tAccount Name:\t\t-\n\tAccount Domain:\t\t-\n\nLogon Type:\t\t\t3\n\nAccount For Which Logon Failed:\n\tSecurity ID:\t\tNULL SID\n\tAccount Name:\t\tewright\n\tAccount Domain:\t\tCORP\n\nFailure Information:\n\tFailure Reason:\t\tUnknown user name or bad password.\n\tStatus:\t\t\t0xC000006D\n\tSub Status:\t\t0xC000006A\n\nNetwork Information:\n\tWorkstation Name:\tLT-0099\n\tSource Network Address:\t198.51.100.77\n\tSource Port:\t\t0";

#[test]
fn text_4625() {
    let row = format!(
        "Audit Failure\t11/28/2026 8:44:10 AM\tMicrosoft-Windows-Security-Auditing\t4625\tLogon\t\"{MSG_4625}\""
    );
    let e = parse_security_row(&row, b'\t', &ctx()).unwrap();
    assert_eq!(e.user, Some("ewright"));
    assert_eq!(e.cause, Some(Cause::BadCredentials));
    assert_eq!(e.client_ip, Some("198.51.100.77"));
    assert_eq!(e.ts, ts("2026-11-28T08:44:10Z"));
    assert_eq!(e.reason, Some("bad password"));
    // The same as CSV, with a comma in the quoted message.
    let csv = format!(
        "Audit Failure,11/28/2026 8:44:10 AM,Microsoft-Windows-Security-Auditing,4625,Logon,\"{}\"",
        MSG_4625.replace("bad password.", "bad password, again.")
    );
    let e2 = parse_security_row(&csv, b',', &ctx()).unwrap();
    assert_eq!((e2.user, e2.cause), (e.user, e.cause));
}

#[test]
fn text_4740_4771_6273() {
    let m4740 = "A user account was locked out.\n\nSubject:\n\tAccount Name:\t\tDC01$\n\nAccount That Was Locked Out:\n\tSecurity ID:\t\tCORP\\mkowalski\n\tAccount Name:\t\tmkowalski\n\nAdditional Information:\n\tCaller Computer Name:\tNPS01";
    let row = format!(
        "Information,11/28/2026 8:50:00 AM,Microsoft-Windows-Security-Auditing,4740,User Account Management,\"{m4740}\""
    );
    let e = parse_security_row(&row, b',', &ctx()).unwrap();
    assert_eq!(
        (e.user, e.server, e.cause),
        (Some("mkowalski"), Some("NPS01"), Some(Cause::AccountLocked))
    );

    let m4771 = "Kerberos pre-authentication failed.\n\nAccount Information:\n\tSecurity ID:\t\tCORP\\lfischer\n\tAccount Name:\t\tlfischer\n\nService Information:\n\tService Name:\t\tkrbtgt/CORP\n\nNetwork Information:\n\tClient Address:\t\t::ffff:192.0.2.33\n\tClient Port:\t\t50123\n\nAdditional Information:\n\tTicket Options:\t\t0x40810010\n\tFailure Code:\t\t0x17\n\tPre-Authentication Type:\t2";
    let row = format!(
        "Audit Failure,11/28/2026 8:50:01 AM,Microsoft-Windows-Security-Auditing,4771,Kerberos Authentication Service,\"{m4771}\""
    );
    let e = parse_security_row(&row, b',', &ctx()).unwrap();
    assert_eq!(
        (e.user, e.client_ip, e.cause),
        (
            Some("lfischer"),
            Some("192.0.2.33"),
            Some(Cause::PasswordExpired)
        )
    );

    let m6273 = "Network Policy Server denied access to a user.\n\nUser:\n\tSecurity ID:\t\t\tCORP\\tbrennan\n\tAccount Name:\t\t\ttbrennan\n\tAccount Domain:\t\t\tCORP\n\tFully Qualified Account Name:\tCORP\\tbrennan\n\nClient Machine:\n\tSecurity ID:\t\t\tNULL SID\n\tAccount Name:\t\t\t-\n\tCalling Station Identifier:\t\t203.0.113.57\n\nAuthentication Details:\n\tAuthentication Server:\t\tnps01.corp.example\n\tReason Code:\t\t\t65\n\tReason:\t\t\t\tThe connection attempt failed because remote access permission for the user account was denied.";
    let row = format!(
        "Audit Failure,11/28/2026 8:50:02 AM,Microsoft-Windows-Security-Auditing,6273,Network Policy Server,\"{m6273}\""
    );
    let e = parse_security_row(&row, b',', &ctx()).unwrap();
    assert_eq!(e.user, Some("tbrennan"));
    assert_eq!(e.client_ip, Some("203.0.113.57"));
    assert_eq!(e.server, Some("nps01.corp.example"));
    assert_eq!(e.cause, Some(Cause::AuthorizationDenied));
    assert!(
        e.reason
            .unwrap()
            .starts_with("The connection attempt failed")
    );
}

// ---- NPS DTS ----

#[test]
fn nps_dts_reject_and_accept() {
    let reject = r#"<Event><Timestamp data_type="4">11/28/2026 08:47:31.412</Timestamp><Computer-Name data_type="1">NPS01</Computer-Name><Event-Source data_type="1">IAS</Event-Source><User-Name data_type="1">dokafor</User-Name><Calling-Station-Id data_type="1">203.0.113.88</Calling-Station-Id><Client-IP-Address data_type="3">192.0.2.1</Client-IP-Address><Packet-Type data_type="0">3</Packet-Type><Reason-Code data_type="0">16</Reason-Code></Event>"#;
    let e = parse(reject, &ctx()).unwrap();
    assert_eq!(e.outcome, Outcome::Failure);
    assert_eq!(e.cause, Some(Cause::BadCredentials));
    assert_eq!(e.user, Some("dokafor"));
    assert_eq!(e.client_ip, Some("203.0.113.88"));
    assert_eq!(e.server, Some("NPS01"));
    assert_eq!(e.ts, ts("2026-11-28T08:47:31.412Z"));
    let accept = reject
        .replace(">3</Packet-Type>", ">2</Packet-Type>")
        .replace(">16<", ">0<");
    assert_eq!(parse(&accept, &ctx()).unwrap().outcome, Outcome::Success);
    let request = reject.replace(">3</Packet-Type>", ">1</Packet-Type>");
    assert_eq!(parse(&request, &ctx()).unwrap().outcome, Outcome::Info);
}

// ---- ISE ----

#[test]
fn ise_failed_attempt() {
    let line = "<181>Nov 28 08:46:02 ise-psn01 CISE_Failed_Attempts 0000412345 1 0 2026-11-28 08:46:02.118 +00:00 0001234567 5400 NOTICE Failed-Attempt: Authentication failed, ConfigVersionId=212, Device IP Address=192.0.2.1, Device Port=1645, DestinationIPAddress=192.0.2.50, UserName=rnguyen, User-Name=rnguyen, NAS-IP-Address=192.0.2.1, NAS-Port-Type=Virtual, Calling-Station-ID=203.0.113.19, CVPN3000/ASA/PIX7x-Tunnel-Group-Name=RA_CONTRACTORS, FailureReason=24515 RSA SecurID Set New PIN operation failed, Step=11001, ";
    let e = parse(line, &ctx()).unwrap();
    assert_eq!(e.family, Family::AuthServer);
    assert_eq!(e.outcome, Outcome::Failure);
    assert_eq!(e.cause, Some(Cause::TokenRequired));
    assert_eq!(e.msg_id, Some("5400"));
    assert_eq!(e.user, Some("rnguyen"));
    assert_eq!(e.client_ip, Some("203.0.113.19"));
    assert_eq!(e.group, Some("RA_CONTRACTORS"));
    assert_eq!(e.server, Some("ise-psn01"));
    assert_eq!(e.host, Some("ise-psn01"));
    assert_eq!(e.ts, ts("2026-11-28T08:46:02.118Z"));
    assert_eq!(
        e.reason,
        Some("24515 RSA SecurID Set New PIN operation failed")
    );
}

#[test]
fn ise_user_and_ip_fallbacks() {
    let line = "<181>Nov 28 08:46:02 ise01 CISE_Failed_Attempts 0000000001 1 0 2026-11-28 08:46:02.118 +01:00 0000000002 5400 NOTICE Failed-Attempt: Authentication failed, User-Name=cmorales, Calling-Station-ID=00-11-22-33-44-55, Remote-Address=198.51.100.9, FailureReason=99999 Something new";
    let e = parse(line, &ctx()).unwrap();
    assert_eq!(e.user, Some("cmorales"));
    assert_eq!(e.client_ip, Some("198.51.100.9"));
    assert_eq!(e.cause, Some(Cause::Other));
    assert_eq!(e.ts, ts("2026-11-28T07:46:02.118Z"));
    let line = line.replace(
        ", Remote-Address=198.51.100.9",
        ", Framed-IP-Address=198.51.100.10",
    );
    assert_eq!(
        parse(&line, &ctx()).unwrap().client_ip,
        Some("198.51.100.10")
    );
    // No FailureReason at all: still one cause.
    let line = "<181>Nov 28 08:46:02 ise01 CISE_Failed_Attempts 0000000001 1 0 2026-11-28 08:46:02.118 +00:00 0000000002 5411 NOTICE Failed-Attempt: Supplicant stopped responding to ISE, UserName=x";
    assert_eq!(parse(line, &ctx()).unwrap().cause, Some(Cause::Other));
}

#[test]
fn ise_passed_and_summaries() {
    let ok = "<181>Nov 28 08:46:09 ise01 CISE_Passed_Authentications 0000000010 1 0 2026-11-28 08:46:09.500 +00:00 0000000011 5200 NOTICE Passed-Auth: Authentication succeeded, UserName=rnguyen, Calling-Station-ID=203.0.113.19, ";
    let e = parse(ok, &ctx()).unwrap();
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(e.user, Some("rnguyen"));
    let summary = "<181>Nov 28 08:46:09 ise01 CISE_Failed_Attempts 0000000012 1 0 2026-11-28 08:46:09.500 +00:00 0000000013 5435 NOTICE RADIUS: NAS conducted several failed authentications of the same scenario, FailureReason=22040 Wrong password, ";
    let e = parse(summary, &ctx()).unwrap();
    assert_eq!(e.outcome, Outcome::Info);
    assert_eq!(e.cause, None);
    let acct = "<181>Nov 28 08:46:09 ise01 CISE_RADIUS_Accounting 0000000014 1 0 2026-11-28 08:46:09.500 +00:00 0000000015 3000 NOTICE Radius-Accounting: RADIUS Accounting start request, UserName=rnguyen, ";
    assert_eq!(parse(acct, &ctx()).unwrap().outcome, Outcome::Info);
}

// ---- FreeRADIUS ----

#[test]
fn freeradius_lines() {
    let e = parse("Sat Nov 28 08:45:12 2026 : Auth: (41) Login incorrect (mschap: Program returned code (1) and output 'Logon failure (0xc000006d)'): [ewright] (from client asa-outside port 0 cli 198.51.100.77)", &ctx()).unwrap();
    assert_eq!(e.outcome, Outcome::Failure);
    assert_eq!(e.cause, Some(Cause::BadCredentials));
    assert_eq!(e.user, Some("ewright"));
    assert_eq!(e.client_ip, Some("198.51.100.77"));
    assert_eq!(e.ts, ts("2026-11-28T08:45:12Z"));
    assert!(e.reason.unwrap().starts_with("mschap: Program returned"));

    let e = parse("Sat Nov 28 08:45:13 2026 : Auth: (42) Login incorrect (mschap: External script says Account locked out (0xc0000234)): [mkowalski/<via Auth-Type = eap>] (from client asa port 0 cli 203.0.113.4 via TLS tunnel)", &ctx()).unwrap();
    assert_eq!(e.cause, Some(Cause::AccountLocked));
    assert_eq!(e.user, Some("mkowalski"));
    assert_eq!(e.client_ip, Some("203.0.113.4"));

    let e = parse("Sat Nov  7 08:45:14 2026 : Auth: Login OK: [apatel] (from client asa port 0 cli 192.0.2.200)", &ctx()).unwrap();
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(e.user, Some("apatel"));
    assert_eq!(e.ts, ts("2026-11-07T08:45:14Z"));

    let e = parse("Sat Nov 28 08:45:15 2026 : Auth: (43) Invalid user: [nobody] (from client asa port 0 cli 192.0.2.201)", &ctx()).unwrap();
    assert_eq!(e.cause, Some(Cause::UnknownUser));

    // linelog form, no reason, password logged.
    let e = parse("Sat Nov 28 08:45:16 2026 : Login incorrect: [spereira/hunter2] (from client asa cli 00:11:22:33:44:55 port 0)", &ctx()).unwrap();
    assert_eq!(e.user, Some("spereira"));
    assert_eq!(e.client_ip, None);
    assert_eq!(e.cause, Some(Cause::BadCredentials));

    let e = parse("Sat Nov 28 08:45:17 2026 : Auth: (44) Login incorrect (rlm_ldap: password has expired): [x] (from client asa port 0)", &ctx()).unwrap();
    assert_eq!(e.cause, Some(Cause::PasswordExpired));

    let e = parse(
        "Sat Nov 28 08:40:00 2026 : Info: Ready to process requests",
        &ctx(),
    )
    .unwrap();
    assert_eq!(e.outcome, Outcome::Info);

    let e = parse("Nov 28 08:45:18 radius01 radiusd[812]: (45) Login incorrect (pap: Cleartext password does not match): [gtanaka] (from client asa port 0 cli 203.0.113.61)", &ctx()).unwrap();
    assert_eq!(e.host, Some("radius01"));
    assert_eq!(e.cause, Some(Cause::BadCredentials));
    assert_eq!(e.user, Some("gtanaka"));
}

#[test]
fn not_auth_lines() {
    for line in [
        "",
        "hello",
        "<166>Nov 28 2026 08:41:07 vpn-asa-01 : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.20.0.11 : user = ***** : user IP = 192.0.2.147",
        "Nov 28 08:41:07 lt acvpnui[1]: Message type error sent to the user: Login failed.",
        "Sat Nov 28 08:45:12 2026 : something else",
        "Nov 28 08:45:18 radius01 sshd[812]: Login incorrect",
    ] {
        assert!(parse(line, &ctx()).is_none(), "{line}");
    }
}

#[test]
fn garbage_never_panics() {
    let shapes = [
        "<181>Nov 28 08:46:02 ise01 CISE_Failed_Attempts 0000000001 1 0 2026-11-28 08:46:02.118 +00:00 0000000002 5400 NOTICE Failed-Attempt: x, UserName=é, FailureReason=2, Calling-Station-ID=::ffff:1.2.3.4",
        "Sat Nov 28 08:45:12 2026 : Auth: (41) Login incorrect ((((: [[[ewright] (from client a port 0 cli )",
        "<Event><Packet-Type>3</Packet-Type><Reason-Code>x</Reason-Code><Timestamp>1/1/1 1:1:1</Timestamp></Event>",
    ];
    let xml = sec_xml("4625", &d("Status", "0xZZ"));
    let row = format!("Audit Failure,x,y,4625,z,\"{MSG_4625}\"");
    for s in shapes.iter().copied().chain([xml.as_str(), row.as_str()]) {
        for (i, _) in s.char_indices() {
            for part in [&s[..i], &s[i..]] {
                let _ = parse(part, &ctx());
                let _ = parse_security_row(part, b',', &ctx());
                let _ = parse_security_row(part, b'\t', &ctx());
                if let Some(e) = parse(part, &ctx())
                    && e.outcome == Outcome::Failure
                {
                    assert!(e.cause.is_some(), "{part}");
                }
            }
        }
    }
}
