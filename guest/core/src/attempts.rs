//! Account protection around password checks: the attempt and event log,
//! lockout of accounts and source addresses, and device credentials.
//!
//! Every password check (`login`, `check-password`) is judged before any
//! Argon2 work: an account (or unknown username) locked by its failures, or
//! a source address blocked by its failures across all accounts, is refused
//! with [`crate::Error::LockedOut`], whatever the password and whether or
//! not the account exists. The check's outcome is then committed under
//! guards on the counters it read, so counting and checking are one atomic
//! step: a failure that races another re-reads and is refused once the
//! limit is reached, and N concurrent wrong guesses never yield more than
//! the threshold's answers.
//!
//! A device credential (OWASP's device cookie) is issued by a successful
//! login; a later login presenting a valid one for the same account is
//! judged by that device's own counter instead of the account's and the
//! source's, so an attacker who locks the account does not lock its owner
//! out. `log.rs` owns the log, `lockout.rs` the counters and the judging,
//! `device.rs` the credentials.

use core::fmt;
use core::net::{IpAddr, Ipv6Addr};

use crate::error::{Result, invalid};
use crate::sessions::Session;

mod device;
mod lockout;
mod log;

pub(crate) use device::DeviceClaim;
pub(crate) use lockout::{Judged, Outcome};

pub use device::DEVICE_LIFETIME;
pub use lockout::MAX_LOCK_PAGE;
pub use log::{MAX_LOG_PAGE, MAX_PURGE, MAX_SCAN};

/// What the host knows about a password check that the component cannot:
/// where it came from and the device credential it presented. Its `Debug`
/// redacts the credential.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct LoginContext {
    /// The client's IP address as text (IPv4 or IPv6); `None` when the
    /// call did not come over a network.
    pub source: Option<String>,
    /// A device credential from an earlier successful login of the account.
    pub device: Option<String>,
}

impl fmt::Debug for LoginContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginContext")
            .field("source", &self.source)
            .field("device", &self.device.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// A successful login with a context: the session and the device
/// credential to present next time. Its `Debug` redacts both secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct LoginGrant {
    /// The new session.
    pub session: Session,
    /// The device credential: the one presented when it was valid for this
    /// account, else a new one.
    pub device: String,
}

impl fmt::Debug for LoginGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginGrant")
            .field("session", &self.session)
            .field("device", &"<redacted>")
            .finish()
    }
}

/// What a log entry records: a password check (an attempt) or an account
/// event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A password login.
    Login,
    /// A password check without login (`check-password`).
    CheckPassword,
    /// A password reset by one-time token.
    ResetPassword,
    /// An account (or unknown username) was locked by its failures.
    AccountLocked,
    /// An administrator lifted a lock.
    Unlocked,
    /// A source address was blocked by its failures.
    SourceBlocked,
    /// A device credential was locked by its failures.
    DeviceLocked,
    /// A password was set (`set-password`).
    PasswordChanged,
    /// Every session of a user was revoked (`delete-tokens`).
    SessionsRevoked,
    /// An API key was created or rotated.
    ApiKeyCreated,
    /// An API key was deleted.
    ApiKeyRevoked,
    /// A one-time token was issued.
    OneTimeTokenCreated,
    /// An account was disabled (`set-account-state`), now or from a later
    /// time; disabling it now revoked its sessions, API keys and one-time
    /// tokens.
    AccountDisabled,
    /// An account was enabled again, or its scheduled disabling cancelled.
    AccountEnabled,
}

impl EventKind {
    /// Every kind, attempts first.
    pub const ALL: [EventKind; 14] = [
        EventKind::Login,
        EventKind::CheckPassword,
        EventKind::ResetPassword,
        EventKind::AccountLocked,
        EventKind::Unlocked,
        EventKind::SourceBlocked,
        EventKind::DeviceLocked,
        EventKind::PasswordChanged,
        EventKind::SessionsRevoked,
        EventKind::ApiKeyCreated,
        EventKind::ApiKeyRevoked,
        EventKind::OneTimeTokenCreated,
        EventKind::AccountDisabled,
        EventKind::AccountEnabled,
    ];

    /// Its WIT name (`check-password`, `account-locked`, …): how the HTTP
    /// API and the CLI spell it too.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Login => "login",
            EventKind::CheckPassword => "check-password",
            EventKind::ResetPassword => "reset-password",
            EventKind::AccountLocked => "account-locked",
            EventKind::Unlocked => "unlocked",
            EventKind::SourceBlocked => "source-blocked",
            EventKind::DeviceLocked => "device-locked",
            EventKind::PasswordChanged => "password-changed",
            EventKind::SessionsRevoked => "sessions-revoked",
            EventKind::ApiKeyCreated => "api-key-created",
            EventKind::ApiKeyRevoked => "api-key-revoked",
            EventKind::OneTimeTokenCreated => "one-time-token-created",
            EventKind::AccountDisabled => "account-disabled",
            EventKind::AccountEnabled => "account-enabled",
        }
    }

    /// The kind whose [`EventKind::name`] is `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        EventKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Whether it is a password check rather than an account event.
    pub fn is_attempt(self) -> bool {
        matches!(
            self,
            EventKind::Login | EventKind::CheckPassword | EventKind::ResetPassword
        )
    }

    /// The stored code: its place in [`EventKind::ALL`], never reordered.
    pub(crate) fn code(self) -> u8 {
        EventKind::ALL
            .iter()
            .position(|k| *k == self)
            .map_or(u8::MAX, |p| p as u8)
    }

    pub(crate) fn from_code(code: u8) -> Option<Self> {
        EventKind::ALL.get(usize::from(code)).copied()
    }
}

/// One attempt or event of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    /// Tells entries apart and orders them; pass as `after` to page on.
    pub id: String,
    /// Unix seconds.
    pub time: u64,
    /// What happened.
    pub kind: EventKind,
    /// The user it is about, when the name named one.
    pub user: Option<u64>,
    /// The username as given (for an unknown user) or as stored.
    pub username: String,
    /// The client's address, when the host gave one.
    pub source: Option<String>,
    /// Whether the attempt succeeded (always true for an event).
    pub success: bool,
    /// Why an attempt failed (`wrong password`, `no such user`), or what an
    /// event did. Never a password, token or key.
    pub reason: String,
}

/// Which log entries a query or purge selects; every field set must match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogFilter {
    /// Entries about this user.
    pub user: Option<u64>,
    /// Entries about this username: the user it names, else entries
    /// recorded for it as an unknown name.
    pub username: Option<String>,
    /// Entries from this source address.
    pub source: Option<String>,
    /// Entries of this kind.
    pub kind: Option<EventKind>,
    /// Entries at or after this time (Unix seconds).
    pub since: Option<u64>,
    /// Entries at or before this time (Unix seconds).
    pub until: Option<u64>,
}

/// One page of log entries, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogPage {
    /// The entries.
    pub entries: Vec<LogEntry>,
    /// Pass as `after` for the next page; `None` after the last.
    pub next: Option<String>,
}

/// What one `purge_attempts` call did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurgeOutcome {
    /// How many entries it deleted.
    pub purged: u64,
    /// Where it stopped before the end of what matches (each call reads a
    /// bounded number of entries): pass as `after` to go on; `None` when
    /// nothing more matches.
    pub next: Option<String>,
}

/// What a lock holds back.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LockSubject {
    /// An account, by user id.
    Account(u64),
    /// A username that names no account (locked like one, so that lockout
    /// does not tell which names exist).
    Username(String),
    /// A source address (an IPv6 address as its /64 prefix).
    Source(String),
    /// A device credential, by its public id.
    Device(String),
}

/// A lock in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lock {
    /// What it holds back.
    pub subject: LockSubject,
    /// Unix seconds at which it ends.
    pub until: u64,
    /// How many lockouts in a row led to it (each doubles an account's).
    pub lockouts: u32,
}

/// One page of locks in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockPage {
    /// The locks, in no particular order.
    pub locks: Vec<Lock>,
    /// Pass as `after` for the next page; `None` after the last.
    pub next: Option<String>,
}

/// A device credential's public id: its nonce as 32 lower-case hex
/// digits (how locks and sessions name a device; never the credential).
pub(crate) fn device_id(nonce: &[u8; 16]) -> String {
    hex(nonce)
}

/// Bytes as lower-case hex: the ids and cursors of the log and the locks.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use core::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The `N` bytes that `text` (2 × `N` hex digits) stands for, if it is that.
pub(crate) fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// A parsed source address as stored: 16 bytes, IPv4 as IPv4-mapped.
pub(crate) fn parse_address(text: &str) -> Result<[u8; 16]> {
    let ip: IpAddr = text
        .trim()
        .parse()
        .map_err(|_| invalid("source must be an IPv4 or IPv6 address"))?;
    Ok(match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    })
}

/// A stored address as text: IPv4-mapped ones as IPv4.
pub(crate) fn format_address(bytes: &[u8; 16]) -> String {
    let v6 = Ipv6Addr::from(*bytes);
    match v6.to_ipv4_mapped() {
        Some(v4) => v4.to_string(),
        None => v6.to_string(),
    }
}

/// The address a source is counted under: an IPv4 address itself, an
/// IPv6 address its /64 prefix (one subscriber's usual allocation, so that
/// an attacker cannot get a fresh budget per address).
pub(crate) fn counted_address(bytes: &[u8; 16]) -> [u8; 16] {
    if Ipv6Addr::from(*bytes).to_ipv4_mapped().is_some() {
        return *bytes;
    }
    let mut prefix = *bytes;
    prefix[8..].fill(0);
    prefix
}

#[cfg(test)]
mod tests;
