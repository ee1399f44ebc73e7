//! The code tables: what a Windows NTSTATUS, Kerberos, NPS or ISE reason
//! number means, as a vpnwatch cause and the documented text.

use crate::parse::Cause;

/// Cause of a Windows logon failure (4625) from its Status and SubStatus
/// NTSTATUS codes. The generic statuses 0xC000006D / 0xC000006E defer to a
/// SubStatus that says more.
pub fn cause_from_ntstatus(status: u32, sub_status: u32) -> Cause {
    let main = ntstatus_cause(status);
    if matches!(status, 0xC000_006D | 0xC000_006E) {
        let sub = ntstatus_cause(sub_status);
        if sub_status != 0 && sub != Cause::Other {
            return sub;
        }
    }
    main
}

pub(super) fn ntstatus_cause(code: u32) -> Cause {
    match code {
        0xC000_006A | 0xC000_006D | 0xC000_006E => Cause::BadCredentials,
        0xC000_0064 => Cause::UnknownUser,
        0xC000_0234 => Cause::AccountLocked,
        0xC000_0072 | 0xC000_0193 => Cause::AccountDisabled,
        0xC000_0071 | 0xC000_0224 => Cause::PasswordExpired,
        0xC000_005E | 0xC000_0192 => Cause::AaaUnreachable,
        _ => Cause::Other,
    }
}

/// The documented meaning of a 4625 status code, for `reason`.
pub fn ntstatus_text(code: u32) -> Option<&'static str> {
    Some(match code {
        0xC000_005E => "no logon servers available",
        0xC000_0064 => "user name does not exist",
        0xC000_006A => "bad password",
        0xC000_006D => "bad user name or authentication information",
        0xC000_006E => "unknown user name or bad password",
        0xC000_006F => "logon outside authorized hours",
        0xC000_0070 => "logon from unauthorized workstation",
        0xC000_0071 => "password expired",
        0xC000_0072 => "account disabled",
        0xC000_0133 => "clock skew between DC and client",
        0xC000_015B => "logon type not granted",
        0xC000_018C => "trust relationship failed",
        0xC000_0192 => "Netlogon service not started",
        0xC000_0193 => "account expired",
        0xC000_0224 => "user must change password",
        0xC000_0234 => "account locked out",
        0xC000_0413 => "authentication firewall",
        _ => return None,
    })
}

/// Cause of a Kerberos pre-authentication failure (4771 Failure Code).
pub fn cause_from_kerberos(code: u32) -> Cause {
    match code {
        0x18 => Cause::BadCredentials,
        0x17 => Cause::PasswordExpired,
        // KDC_ERR_CLIENT_REVOKED: disabled, expired or locked.
        0x12 => Cause::AccountDisabled,
        0x06 => Cause::UnknownUser,
        0x10 => Cause::Certificate,
        // 0x25 is clock skew.
        _ => Cause::Other,
    }
}

pub(super) fn kerberos_text(code: u32) -> Option<&'static str> {
    Some(match code {
        0x06 => "client principal unknown",
        0x10 => "smart-card logon: PA-DATA type not supported",
        0x12 => "client credentials revoked (disabled, expired or locked)",
        0x17 => "password expired",
        0x18 => "pre-authentication failed (bad password)",
        0x25 => "clock skew too great",
        _ => return None,
    })
}

/// Cause of an NPS denial from its reason code (6273 `ReasonCode`, DTS `Reason-Code`).
pub fn cause_from_nps_reason(code: u32) -> Cause {
    match code {
        16 => Cause::BadCredentials,
        8 => Cause::UnknownUser,
        36 | 64 => Cause::AccountLocked,
        34 | 35 => Cause::AccountDisabled,
        33 => Cause::PasswordExpired,
        5 | 117 | 261 => Cause::AaaUnreachable,
        48 | 49 | 65 => Cause::AuthorizationDenied,
        256 | 259 | 265 | 268 | 270 => Cause::Certificate,
        _ => Cause::Other,
    }
}

pub(super) fn nps_reason_text(code: u32) -> Option<&'static str> {
    Some(match code {
        5 => "domain controller unreachable",
        7 => "domain does not exist",
        8 => "user account does not exist",
        16 => "user credentials mismatch",
        22 | 23 => "EAP negotiation error",
        33 => "user must change password",
        34 => "account disabled",
        35 => "account expired",
        36 => "account locked out (lockout threshold)",
        37 => "outside logon hours",
        48 => "no matching network policy",
        49 => "no matching connection request policy",
        64 => "remote access account lockout",
        65 => "network access permission denied",
        66 => "authentication method not enabled",
        112 => "remote RADIUS server rejected",
        117 => "remote RADIUS server did not respond",
        256 => "certificate revoked",
        259 => "CRL or CA unavailable",
        261 => "cannot contact Active Directory",
        265 => "certificate chain to untrusted root",
        268 => "certificate expired",
        270 => "smart card required",
        _ => return None,
    })
}

/// Cause of a Cisco ISE failure from its `FailureReason` number.
pub fn cause_from_ise_reason(code: u32) -> Cause {
    match code {
        22040 | 22063 | 24020 | 24408 | 24406 | 24403 | 24508 | 24613 => Cause::BadCredentials,
        22041 | 22056 | 24008 | 24412 | 24552 => Cause::UnknownUser,
        22091 | 24057 | 24415 => Cause::AccountLocked,
        24206 | 24409 | 24414 => Cause::AccountDisabled,
        24407 => Cause::PasswordExpired,
        24511 | 24512 | 24513 | 24514 | 24515 | 24518 | 24521 | 24522 => Cause::TokenRequired,
        24001 | 24429 | 24446 | 24454 | 24495 | 24503 | 24547 | 24616 | 11353 => {
            Cause::AaaUnreachable
        }
        12309 | 12321 | 12514 | 12516 | 12517 => Cause::Certificate,
        15039 => Cause::AuthorizationDenied,
        _ => Cause::Other,
    }
}
