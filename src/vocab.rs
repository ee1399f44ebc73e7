//! The shared vocabulary every layer may name: what a log line says
//! ([`Event`], with its [`Outcome`], [`Cause`], [`Family`], [`Role`] and
//! [`ServerState`]) and where lines come from ([`SourceId`], [`LineBatch`]
//! with its [`FileSpan`], the sources' [`Notice`]s and [`SourceStats`]).
//!
//! Types only, with their small accessors: the parsers (`parse`) produce
//! events, the sources (`source`) produce batches and notices, the
//! pipeline and the engine consume them, and the screen and the runbook
//! name them, without any of them depending on another's module.

use std::path::PathBuf;
use std::sync::Arc;

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

    /// The cause's position in [`Cause::ALL`]: tallies over every user
    /// count into a `[_; Cause::ALL.len()]` by it instead of a map.
    pub fn index(self) -> usize {
        self as usize
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
    /// A headend debug-trace line that opens a new trace session (`debug
    /// ldap`'s `[N] Session Start`, an AAA transaction or RADIUS request
    /// begun, an AnyConnect tunnel request): the session is for no user
    /// until a later line names one, not for the one named before.
    TraceStart,
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
    /// Where `ts` came from.
    pub ts_from: TimeFrom,
    /// The message itself: the text after the header and the message id
    /// (the panes show it first, see `pipeline::lines::Compact`).
    pub body: Option<&'a str>,
}

/// Where an event's time came from. Lines a collector stripped of their
/// header have no time of their own: they take their JSON envelope's, else
/// the time they were read, and say so.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeFrom {
    /// The line's own header (or none at all, for a header with no usable time).
    #[default]
    Line,
    /// Set by a parser: the line has no header, so no time of its own (the
    /// record reader replaces it with one of the two below).
    Missing,
    /// The JSON envelope the line came in.
    Envelope,
    /// The time vpnwatch read the line.
    Read,
}

impl TimeFrom {
    /// The mark shown right after a time that is not the line's own, in
    /// every output that prints times (panes, drill-down, `bundle`,
    /// `report`): `~` the JSON record's time (the log store's or shipper's
    /// stamp, near the event's), `?` the time vpnwatch read the line (no
    /// time anywhere). Empty for the line's own time. Characters, not
    /// colour, so they read the same without colour.
    pub fn mark(self) -> &'static str {
        match self {
            TimeFrom::Line | TimeFrom::Missing => "",
            TimeFrom::Envelope => "~",
            TimeFrom::Read => "?",
        }
    }
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
            ts_from: TimeFrom::Line,
            body: None,
        }
    }
}

/// Identifies one source for the lifetime of the process (index into the
/// list of sources the console was started with).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(pub u16);

/// A file lines were read from, named so that they can be read again when
/// a pane scrolls back past the lines it keeps. A truncated file gets a new
/// key: the bytes read before are gone from it.
#[derive(Debug, PartialEq, Eq)]
pub struct FileKey {
    pub path: PathBuf,
    /// (device, inode) of the open file, where the platform has them: after
    /// a rename rotation the lines are found under the file's new name.
    pub id: Option<(u64, u64)>,
}

/// Where a [`LineBatch`]'s lines are in their file: bytes `start..end` hold
/// exactly those lines, terminators and cut pieces included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileSpan {
    pub file: Arc<FileKey>,
    pub start: u64,
    pub end: u64,
}

/// A run of complete lines from one source, stored in one buffer.
///
/// Lines are kept as bytes: they may be invalid UTF-8. The trailing `\n`
/// (and a `\r` before it) is not part of a line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineBatch {
    /// Line number (1-based, within the current file) of the first line.
    pub first_line: u64,
    data: Vec<u8>,
    ends: Vec<u32>,
    /// Indices of lines that continue the line before them (pieces of a line
    /// longer than the cap, after the first piece). Usually empty.
    continued: Vec<u32>,
    /// Where lines came from when it is finer than the source (the file a
    /// glob matched, the sender of a syslog message): `(first index, origin)`
    /// runs, in order. Empty: the source itself.
    origins: Vec<(u32, Arc<str>)>,
    /// Set by file sources: where the lines can be read again.
    pub span: Option<FileSpan>,
}

/// One line of a [`LineBatch`] with everything known about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchLine<'a> {
    pub line_no: u64,
    pub bytes: &'a [u8],
    /// A piece of an over-long line after its first piece.
    pub continued: bool,
    /// The file or sender, when finer than the source.
    pub origin: Option<&'a str>,
}

impl LineBatch {
    pub fn new(first_line: u64) -> Self {
        LineBatch {
            first_line,
            data: Vec::new(),
            ends: Vec::new(),
            continued: Vec::new(),
            origins: Vec::new(),
            span: None,
        }
    }

    /// Appends one line; `continued` marks a piece of a cut long line that
    /// is not its first.
    pub fn push_piece(&mut self, line: &[u8], continued: bool) {
        if continued {
            self.continued
                .push(u32::try_from(self.ends.len()).unwrap_or(u32::MAX));
        }
        self.push(line);
    }

    /// Lines pushed from now on come from `origin`.
    pub fn set_origin(&mut self, origin: Arc<str>) {
        let at = u32::try_from(self.ends.len()).unwrap_or(u32::MAX);
        if self.origins.last().is_some_and(|(_, o)| *o == origin) {
            return;
        }
        if self.origins.last().is_some_and(|(i, _)| *i == at) {
            self.origins.pop();
        }
        self.origins.push((at, origin));
    }

    /// The lines with their numbers, continuation marks and origins.
    pub fn line_refs(&self) -> impl Iterator<Item = BatchLine<'_>> + '_ {
        let mut cont = self.continued.iter().peekable();
        let mut origins = self.origins.iter().peekable();
        let mut origin: Option<&str> = None;
        self.lines().enumerate().map(move |(i, (line_no, bytes))| {
            let i = i as u32;
            let continued = cont.next_if(|&&c| c == i).is_some();
            while let Some((_, o)) = origins.next_if(|(at, _)| *at <= i) {
                origin = Some(o);
            }
            BatchLine {
                line_no,
                bytes,
                continued,
                origin,
            }
        })
    }

    /// Appends one line (without its terminator).
    pub fn push(&mut self, line: &[u8]) {
        self.data.extend_from_slice(line);
        // Batches are flushed long before 4 GiB; saturate rather than wrap.
        self.ends
            .push(u32::try_from(self.data.len()).unwrap_or(u32::MAX));
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Bytes held, a measure for flushing batches.
    pub fn byte_len(&self) -> usize {
        self.data.len()
    }

    /// The lines with their line numbers.
    pub fn lines(&self) -> impl Iterator<Item = (u64, &[u8])> + '_ {
        let mut start = 0usize;
        self.ends.iter().enumerate().map(move |(i, &end)| {
            let end = end as usize;
            let line = &self.data[start..end];
            start = end;
            (self.first_line + i as u64, line)
        })
    }
}

/// Something a source reports besides lines, shown in its pane or header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// The path does not exist (yet); the source waits for it.
    Waiting(PathBuf),
    /// The file was opened (first time or after rotation).
    Opened(PathBuf),
    /// The file was renamed away and a new one took its place; the old one
    /// was read to its end first.
    Rotated(PathBuf),
    /// The file shrank below the read offset; reading restarts at 0.
    Truncated(PathBuf),
    /// The file was deleted.
    Removed(PathBuf),
    /// The source reached the end of its input and will produce no more lines
    /// (stdin closed, or a non-follow read finished).
    Finished,
    /// A recoverable problem (permission denied, watcher failure, …).
    Error(String),
    /// Something worth showing that is not a problem (a command's stderr,
    /// "restarting in 4 s", the address a receiver listens on).
    Status(String),
    /// The bytes after the last complete line, unchanged for a while: shown
    /// as provisional until the line completes (any later line replaces it).
    /// Empty: nothing is pending any more.
    Pending(Vec<u8>),
    /// Start-up skipped this many bytes to show only the last lines of a
    /// large file (`--backlog`).
    Skipped(u64),
    /// The change watcher is unavailable (the reason, e.g. inotify limits
    /// reached); the source now only polls. Shown until the end.
    Polling(String),
    /// Running totals of a network source (not reset; the latest wins).
    Stats(SourceStats),
}

/// What a network source could not deliver as sent, counted exactly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SourceStats {
    /// Messages received.
    pub received: u64,
    /// Messages dropped because the queue to the engine was full.
    pub dropped: u64,
    /// Messages cut to the size cap.
    pub truncated: u64,
    /// Messages or frames that were not valid syslog (kept as text when
    /// there was any text to keep).
    pub malformed: u64,
    /// Datagrams and connections from senders outside `--syslog-allow`.
    pub disallowed: u64,
    /// Datagrams the kernel dropped before they were read (receive buffer
    /// full; Linux's per-socket counter).
    pub kernel_dropped: u64,
}

#[cfg(test)]
mod tests {
    use super::Cause;

    #[test]
    fn a_cause_index_is_its_place_in_all() {
        for (i, cause) in Cause::ALL.into_iter().enumerate() {
            assert_eq!(cause.index(), i, "{cause}");
        }
    }
}
