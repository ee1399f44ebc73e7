//! Pure functions from one raw log line to a typed [`Event`].
//!
//! One module per log family: [`asa`] reads Cisco ASA / FTD syslog (the VPN
//! headend), [`client`] reads AnyConnect / Secure Client logs from a user's
//! machine. Parsers never do I/O and keep no state between lines; anything a
//! line cannot tell on its own (such as the year of a yearless syslog
//! timestamp) comes in through [`ParseContext`].
//!
//! Shared by the parsers: [`cause`] maps free-text rejection reasons to a
//! [`Cause`], and `text` holds the small substring helpers.
//!
//! Fields borrow from the line, so parsing a line allocates nothing.

// Input and the environment must never panic the parsers or the sources:
// every failure is a value. Tests may unwrap.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod asa;
pub mod auth;
pub mod cause;
pub mod client;
pub mod clock;
pub mod dart;
pub mod debug_trace;
pub mod formats;
pub mod reader;
pub mod records;
mod text;
pub mod time;
pub mod winevent;

use serde::{Deserialize, Serialize};

/// What a line says happened, from the point of view of a VPN login.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A login or tunnel attempt failed (or an infrastructure fault that blocks logins).
    Failure,
    /// A login succeeded or a session came up.
    Success,
    /// A session ended.
    SessionEnd,
    /// Anything else the parser recognised.
    Info,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Failure => "failure",
            Outcome::Success => "success",
            Outcome::SessionEnd => "session_end",
            Outcome::Info => "info",
        }
    }
}

/// Why a failure happened. The snake_case ids are a stable contract for
/// scripts (`events`, `scan --json`) and runbook hints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    BadCredentials,
    UnknownUser,
    AccountLocked,
    AccountDisabled,
    PasswordExpired,
    TokenRequired,
    Certificate,
    GroupMismatch,
    AuthorizationDenied,
    AaaUnreachable,
    Capacity,
    SessionSetup,
    ClientNetwork,
    Other,
}

impl Cause {
    pub const ALL: [Cause; 14] = [
        Cause::BadCredentials,
        Cause::UnknownUser,
        Cause::AccountLocked,
        Cause::AccountDisabled,
        Cause::PasswordExpired,
        Cause::TokenRequired,
        Cause::Certificate,
        Cause::GroupMismatch,
        Cause::AuthorizationDenied,
        Cause::AaaUnreachable,
        Cause::Capacity,
        Cause::SessionSetup,
        Cause::ClientNetwork,
        Cause::Other,
    ];

    /// The stable snake_case id.
    pub fn id(self) -> &'static str {
        match self {
            Cause::BadCredentials => "bad_credentials",
            Cause::UnknownUser => "unknown_user",
            Cause::AccountLocked => "account_locked",
            Cause::AccountDisabled => "account_disabled",
            Cause::PasswordExpired => "password_expired",
            Cause::TokenRequired => "token_required",
            Cause::Certificate => "certificate",
            Cause::GroupMismatch => "group_mismatch",
            Cause::AuthorizationDenied => "authorization_denied",
            Cause::AaaUnreachable => "aaa_unreachable",
            Cause::Capacity => "capacity",
            Cause::SessionSetup => "session_setup",
            Cause::ClientNetwork => "client_network",
            Cause::Other => "other",
        }
    }

    /// A label of at most ten columns, for narrow panes.
    pub fn short_label(self) -> &'static str {
        match self {
            Cause::BadCredentials => "bad creds",
            Cause::UnknownUser => "no user",
            Cause::AccountLocked => "locked",
            Cause::AccountDisabled => "disabled",
            Cause::PasswordExpired => "pw expired",
            Cause::TokenRequired => "token",
            Cause::Certificate => "cert",
            Cause::GroupMismatch => "group",
            Cause::AuthorizationDenied => "authz",
            Cause::AaaUnreachable => "aaa down",
            Cause::Capacity => "capacity",
            Cause::SessionSetup => "setup",
            Cause::ClientNetwork => "network",
            Cause::Other => "other",
        }
    }

    pub fn from_id(id: &str) -> Option<Cause> {
        Cause::ALL.into_iter().find(|c| c.id() == id)
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// The log family a line (or a whole file) belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// Cisco ASA / FTD syslog from the VPN headend.
    Headend,
    /// AnyConnect / Secure Client logs from a user's machine.
    Client,
    /// Authentication-server logs: RADIUS, Cisco ISE, Microsoft NPS, Active Directory.
    AuthServer,
}

impl Family {
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Headend => "headend",
            Family::Client => "client",
            Family::AuthServer => "auth_server",
        }
    }

    /// A word of at most seven letters for narrow columns.
    pub fn label(self) -> &'static str {
        match self {
            Family::Headend => "headend",
            Family::Client => "client",
            Family::AuthServer => "auth",
        }
    }
}

/// The state an AAA server was marked with (113022 / 113023).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerState {
    Failed,
    Active,
}

/// A field's text trimmed; `None` when nothing is left.
pub(crate) fn field(s: &str) -> Option<&str> {
    let t = s.trim();
    (!t.is_empty()).then_some(t)
}

/// [`field`] for formats that write `-` for "no value" (Windows event
/// fields, RADIUS accounting, ISE).
pub(crate) fn field_or_dash(s: &str) -> Option<&str> {
    field(s).filter(|&t| t != "-")
}

/// What a message means to the engine beyond its outcome. The parsers know
/// the message catalogue and say it here, so the engine never looks at a
/// message id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Role {
    #[default]
    Plain,
    /// A VPN session came up (ASA 113039, 716001, 722022, 751025). One
    /// session logs several of these within seconds.
    SessionUp,
    /// A management-plane login (ASDM, SSH, console: ASA 605004/605005,
    /// 611101/611102, 113021), counted apart from VPN logins.
    ManagementLogin { denied: bool },
    /// Another management-plane message (a management logout, 611103).
    Management,
    /// An AAA challenge (a token or new-PIN prompt, 113010): not a failure,
    /// but it explains the rejection that follows.
    AaaChallenge,
    /// An AAA server group is unreachable and the headend falls back
    /// (409023); the fallback's own verdict decides the attempt.
    GroupFallback,
    /// An AAA rejection (113005, 113015) that a WebVPN line of the same
    /// attempt may follow.
    AaaRejection,
    /// The WebVPN line of a rejected attempt (716039), which may name the
    /// user the AAA line hid.
    WebvpnRejection,
    /// A notice about an attempt just counted (113006: the user was locked
    /// out by that rejection): part of that attempt, not another one.
    LockoutNotice,
}

impl Role {
    /// Management-plane traffic, kept apart from VPN logins.
    pub fn is_management(self) -> bool {
        matches!(self, Role::ManagementLogin { .. } | Role::Management)
    }

    /// The outcome a management login reports (`events` shows it, so a
    /// script selecting failures sees an administrator being brute-forced;
    /// the engine counts these apart from VPN logins).
    pub fn management_outcome(self) -> Option<Outcome> {
        match self {
            Role::ManagementLogin { denied: true } => Some(Outcome::Failure),
            Role::ManagementLogin { denied: false } => Some(Outcome::Success),
            _ => None,
        }
    }
}

/// One recognised log line, typed. Every text field borrows from the line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event<'a> {
    pub family: Family,
    /// When the device says the line was written; `None` when the header has no usable time.
    pub ts: Option<jiff::Timestamp>,
    /// Device id or syslog host name.
    pub host: Option<&'a str>,
    /// ASA/FTD message id (`"113005"`), or the client's return-code symbol.
    pub msg_id: Option<&'a str>,
    pub outcome: Outcome,
    /// Set on every failure event.
    pub cause: Option<Cause>,
    /// User name as logged; `*****` when the headend hides it.
    pub user: Option<&'a str>,
    /// The client's public address (no port).
    pub client_ip: Option<&'a str>,
    /// Tunnel group or group policy, whichever the message names.
    pub group: Option<&'a str>,
    /// AAA server address or name.
    pub server: Option<&'a str>,
    /// AAA server group (113022/113023).
    pub server_group: Option<&'a str>,
    /// Set when the line marks an AAA server FAILED or ACTIVE.
    pub server_state: Option<ServerState>,
    /// Free-text reason given by the device.
    pub reason: Option<&'a str>,
    pub role: Role,
    /// The headend debug-trace session a line belongs to (`[53]` of
    /// `debug ldap`, or the RADIUS trace), for the engine to tie lines
    /// that do not name the user to the one that did.
    pub trace_session: Option<&'a str>,
}

impl<'a> Event<'a> {
    /// An event with only its family and outcome set; parsers fill in the rest.
    pub fn new(family: Family, outcome: Outcome) -> Self {
        Event {
            family,
            ts: None,
            host: None,
            msg_id: None,
            outcome,
            cause: None,
            user: None,
            client_ip: None,
            group: None,
            server: None,
            server_group: None,
            server_state: None,
            reason: None,
            role: Role::Plain,
            trace_session: None,
        }
    }
}

/// What a parser needs to know that a single line does not say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseContext {
    /// Year given to timestamps that carry none (`May  5 17:51:17`) as a
    /// line is parsed; the [`RecordReader`](reader::RecordReader)'s clock
    /// then infers their year (see [`clock`]) as of now, or as of the end
    /// of this year when that is earlier.
    pub default_year: i16,
}

impl Default for ParseContext {
    fn default() -> Self {
        ParseContext {
            default_year: jiff::Zoned::now().year(),
        }
    }
}

/// Parses one line as the given family. `None` when the line is not recognised.
pub fn parse_line<'a>(line: &'a str, family: Family, ctx: &ParseContext) -> Option<Event<'a>> {
    match family {
        // Debug-trace console output pasted among (or instead of) syslog
        // lines is headend output too.
        Family::Headend => asa::parse(line, ctx).or_else(|| debug_trace::parse_console(line, ctx)),
        Family::Client => client::parse(line, ctx),
        Family::AuthServer => auth::parse(line, ctx),
    }
}

/// [`parse_line`] for a stream of lines: the same results, but work that
/// repeats from line to line (a headend header, see [`asa::parse_cached`])
/// is done once. One per source.
#[derive(Clone, Debug, Default)]
pub struct StreamParser {
    headers: asa::HeaderCache,
}

impl StreamParser {
    #[inline]
    pub fn parse<'a>(
        &mut self,
        line: &'a str,
        family: Family,
        ctx: &ParseContext,
    ) -> Option<Event<'a>> {
        match family {
            Family::Headend => asa::parse_cached(line, ctx, &mut self.headers)
                .or_else(|| debug_trace::parse_console(line, ctx)),
            _ => parse_line(line, family, ctx),
        }
    }

    /// For bulk readers that only aggregate: `Some(ts)` when the line is
    /// recognised as a plain headend message (see [`asa::plain_header`]),
    /// whose event would carry nothing but its time, host and id; `None`
    /// means "parse the line".
    #[inline]
    pub fn plain_time(
        &mut self,
        line: &[u8],
        family: Family,
        ctx: &ParseContext,
    ) -> Option<Option<jiff::Timestamp>> {
        if family != Family::Headend {
            return None;
        }
        if let Some(known) = self.headers.plain_time(line, ctx.default_year) {
            return known;
        }
        let header = asa::plain_header(line)?;
        self.headers.time(header, ctx.default_year)
    }
}
