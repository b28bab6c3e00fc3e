//! The host's typed error, mirroring MOTH's exceptions.

/// Why a [`crate::Moth`] call failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// No user has that id or username (MOTH's `NoUserError`).
    #[error("User does not exist")]
    NoUser,
    /// The password does not match (MOTH's `InvalidPasswordError`).
    #[error("Invalid password")]
    InvalidPassword,
    /// The token is malformed, unknown or revoked (MOTH's `InvalidTokenError`).
    #[error("Token does not exist")]
    InvalidToken,
    /// The token has expired and was deleted (MOTH's `TokenExpiredError`).
    #[error("Token expired")]
    TokenExpired,
    /// The username is taken (MOTH's `UserExistsError`).
    #[error("User already exists")]
    UserExists,
    /// An argument is out of range; the text says which.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The store failed; nothing was partly written.
    #[error("storage failure: {0}")]
    Storage(String),
    /// The database does not exist, or is not a moth database.
    #[error("no moth database at {0}")]
    NoDatabase(String),
    /// The component trapped or could not be instantiated. The instance was
    /// discarded; the store is as it was before the call.
    #[error("component failure: {0}")]
    Component(String),
    /// The call ran past its deadline and was stopped. The instance was
    /// discarded; the store is as it was before the call.
    #[error("the call exceeded its deadline of {0:?} and was stopped")]
    Timeout(std::time::Duration),
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

impl From<moth_core::Error> for Error {
    fn from(e: moth_core::Error) -> Self {
        use moth_core::Error as E;
        match e {
            E::NoUser => Error::NoUser,
            E::InvalidPassword => Error::InvalidPassword,
            E::UserExists => Error::UserExists,
            E::InvalidToken => Error::InvalidToken,
            E::TokenExpired => Error::TokenExpired,
            E::InvalidInput(m) => Error::InvalidInput(m),
            E::Storage(m) => Error::Storage(m),
        }
    }
}

impl From<sled::Error> for Error {
    fn from(e: sled::Error) -> Self {
        Error::Storage(e.to_string())
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
