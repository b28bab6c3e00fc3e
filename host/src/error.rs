//! The host's typed error: what a [`crate::Moth`] call can fail with.
//!
//! The first variants mirror the WIT `error` variant (the conversion is in
//! `convert.rs`); the rest are the host's own. Display texts are MOTH's
//! exception messages where MOTH has one (the CLI prints them) and plain
//! descriptions otherwise; the HTTP layer owns its wire messages
//! (`server/error.rs`), so rewording an error here changes no HTTP contract.

use std::time::Duration;

/// Why a [`crate::Moth`] call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No user has that id or username.
    #[error("User does not exist")]
    NoUser,
    /// The password does not match.
    #[error("Invalid password")]
    InvalidPassword,
    /// The token is malformed, unknown or revoked.
    #[error("Token does not exist")]
    InvalidToken,
    /// The token has expired and was deleted.
    #[error("Token expired")]
    TokenExpired,
    /// The username is taken.
    #[error("User already exists")]
    UserExists,
    /// The token is bound to another IP address; it was deleted.
    #[error("Token bound to another IP address")]
    IpMismatch,
    /// That name is taken (an API key's, for its owner).
    #[error("Name already taken")]
    NameTaken,
    /// A count limit is reached; the text says which.
    #[error("limit reached: {0}")]
    LimitReached(String),
    /// Too many failed password checks: the account, the username or the
    /// source address is locked for this many more seconds. Refused before
    /// any password work, whatever the password was.
    #[error("Too many failed attempts; retry in {0} seconds")]
    LockedOut(u64),
    /// The account is disabled. Told only to a caller who proved the
    /// account's password or holds one of its live one-time tokens.
    #[error("Account disabled")]
    AccountDisabled,
    /// An argument is out of range; the text says which.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The component reported a store failure; nothing was partly written.
    /// (The cause crossed the component boundary as text.)
    #[error("storage failure: {0}")]
    Storage(String),
    /// The sled database failed in an operation of the host itself
    /// (opening it, the tenant registry, flushing).
    #[error("database failure")]
    Database(#[from] sled::Error),
    /// The PostgreSQL database failed or could not be reached in an
    /// operation of the host itself (opening it, the tenant registry).
    #[error("PostgreSQL failure")]
    Postgres(#[from] postgres::Error),
    /// Another process holds the database open.
    #[error("the database at {0} is in use by another process")]
    DatabaseBusy(String),
    /// The database was written by a moth with another format (a sled
    /// marker, or a PostgreSQL schema version newer than this moth's).
    #[error("the database at {location} has format {found:?}, which this moth does not support")]
    UnsupportedFormat {
        /// Where the database is (a URL's password is never shown).
        location: String,
        /// The format marker found in it.
        found: String,
    },
    /// The database does not exist, or is not a moth database.
    #[error("no moth database at {0}")]
    NoDatabase(String),
    /// The wall clock cannot be read (for example it is set before 1970):
    /// moth refuses to open rather than treat every token as valid.
    #[error("the wall clock cannot be read")]
    Clock(#[source] std::io::Error),
    /// The component trapped or could not be compiled or instantiated. A
    /// trapped instance is discarded; the store is as it was before the call.
    #[error("component failure")]
    Component(#[source] wasmtime::Error),
    /// A plugin was refused for composition with the component: the text
    /// says why (see `plugin::compose`), the source, if any, is the
    /// composer's error.
    #[error("the plugin cannot be composed with moth: {0}")]
    Compose(
        String,
        #[source] Option<Box<dyn std::error::Error + Send + Sync>>,
    ),
    /// The call ran past its deadline and was stopped. The instance was
    /// discarded; the store is as it was before the call.
    #[error("the call exceeded its deadline of {0:?} and was stopped")]
    Timeout(Duration),
    /// The instance tried to grow its memory past the cap and was stopped.
    #[error("the call exceeded the instance memory cap of {0} bytes and was stopped")]
    MemoryLimit(usize),
    /// Every instance was busy for longer than the configured wait.
    #[error("moth is overloaded: no instance became free in time")]
    Overloaded,
    /// No tenant has that name.
    #[error("Tenant does not exist")]
    NoTenant,
    /// A tenant of that name exists already.
    #[error("Tenant already exists")]
    TenantExists,
}

/// Errors compare by kind and text: enough to assert on results, and
/// sources (sled, wasmtime) cannot be compared otherwise.
impl PartialEq for Error {
    fn eq(&self, other: &Self) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
            && self.to_string() == other.to_string()
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
