//! The one error type of every operation; it mirrors the WIT `error` variant.

use crate::env::StoreError;

/// Why an operation failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// No user has that id or username.
    #[error("User does not exist")]
    NoUser,
    /// The user exists but the password does not match.
    #[error("Invalid password")]
    InvalidPassword,
    /// That username is taken.
    #[error("User already exists")]
    UserExists,
    /// The token is malformed, unknown or revoked.
    #[error("Token does not exist")]
    InvalidToken,
    /// The token existed but has expired (and is now deleted).
    #[error("Token expired")]
    TokenExpired,
    /// The token is bound to another IP address (and is now deleted).
    #[error("Token bound to another IP address")]
    IpMismatch,
    /// That name is taken (an API key's, for its owner).
    #[error("Name already taken")]
    NameTaken,
    /// A count limit is reached; the text says which.
    #[error("limit reached: {0}")]
    LimitReached(String),
    /// Too many failed password checks: the account (or name), the device
    /// or the source address is locked for this many more seconds. The
    /// same whether the password was right and whether the account exists.
    #[error("Too many failed attempts")]
    LockedOut(u64),
    /// The account is disabled (see [`crate::AccountState`]). Told only
    /// to a caller who proved the account's password or held one of its
    /// live one-time tokens: a wrong password for a disabled account is
    /// [`Error::InvalidPassword`], as for an enabled one, and a disabled
    /// account's sessions and API keys are [`Error::InvalidToken`].
    #[error("Account disabled")]
    AccountDisabled,
    /// An argument is out of range; the text says which.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The store failed; nothing was partly written.
    #[error("storage failure: {0}")]
    Storage(String),
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            // Conflicts are retried by `txn::retry`; one that escapes means a
            // caller forgot to, which is still a storage-level failure.
            StoreError::Conflict => Error::Storage("unresolved commit conflict".into()),
            StoreError::Failure(m) => Error::Storage(m),
        }
    }
}

/// Shorthand used by every operation.
pub type Result<T, E = Error> = core::result::Result<T, E>;

pub(crate) fn invalid(msg: impl Into<String>) -> Error {
    Error::InvalidInput(msg.into())
}
