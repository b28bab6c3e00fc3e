//! moth's authentication logic, independent of where it runs; this file owns
//! [`Auth`] and the crate's flat public surface.
//!
//! [`Auth`] implements every operation of the `moth:auth` WIT world over an
//! [`Env`]: an ordered key-value store with guarded commits, a clock and
//! secure randomness. The WebAssembly component (`moth-guest`) wraps it over
//! the WIT imports; natively it runs over any `Env`, which is how it is unit
//! tested and how benchmarks get their native baseline.
//!
//! Operations are named after the WIT functions (`get-user` is
//! [`Auth::get_user`], `check-password` is [`Auth::check_password`], …), and
//! every public type and limit is exported here, at the crate root.
//!
//! ```
//! # #[cfg(feature = "testing")] {
//! use moth_core::{Auth, Settings, memory::MemoryEnv};
//!
//! let auth = Auth::new(MemoryEnv::new());
//! // Cheap hashing for the example; the default is Argon2id m=19 MiB, t=2.
//! auth.set_settings(Settings { argon2_memory_kib: 64, argon2_iterations: 1, allow_weak_hashing: true, ..Settings::default() })?;
//! let ann = auth.create_user("ann", "correct horse", "read")?;
//! let session = auth.login("ann", "correct horse", None)?;
//! assert_eq!(auth.validate(&session.token)?.user, ann);
//! # }
//! # Ok::<(), moth_core::Error>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod account_state;
mod api_keys;
mod attempts;
mod email_tokens;
mod env;
mod error;
#[cfg(any(test, feature = "testing"))]
pub mod memory;
mod oauth;
mod one_time;
mod password;
mod policy;
mod roles;
mod sessions;
mod settings;
mod text;
mod token;
mod txn;
mod users;
// The key layout and the record encoding are the logic's own business:
// no host, test or binding outside this crate reads them.
mod keys;
mod record;

pub use account_state::AccountState;
pub use api_keys::{
    ApiKey, KeyOwner, LAST_USE_RESOLUTION, MAX_API_KEYS_PER_OWNER, MAX_KEY_NAME_BYTES,
    MAX_ROTATION_OVERLAP, MAX_SCOPES_BYTES, NewApiKey,
};
pub use attempts::{
    DEVICE_LIFETIME, EventKind, Lock, LockPage, LockSubject, LogEntry, LogFilter, LogPage,
    LoginContext, LoginGrant, MAX_LOCK_PAGE, MAX_LOG_PAGE, MAX_PURGE, MAX_SCAN, PurgeOutcome,
};
pub use email_tokens::{
    DEFAULT_EMAIL_TOKEN_LIFETIME, EmailToken, EmailTokenInfo, EmailTokenOptions, MAX_ADDRESS_BYTES,
    MAX_EMAIL_TOKEN_LIFETIME, MAX_EMAIL_TOKEN_USES, MAX_EMAIL_TOKENS_PER_ADDRESS, MAX_RETVAL_BYTES,
};
pub use env::{Entry, Env, Guard, StoreError, Write};
pub use error::{Error, Result};
pub use oauth::{
    Authorization, AuthorizationRequest, AuthorizeError, BearerError, CODE_CHALLENGE_LEN, Client,
    ClientPage, ClientSpec, Consent, DEFAULT_ACCESS_LIFETIME, DEFAULT_CODE_LIFETIME,
    DEFAULT_REFRESH_IDLE_LIFETIME, DEFAULT_REFRESH_LIFETIME, GrantType, MAX_CLIENT_NAME_BYTES,
    MAX_CLIENT_PAGE, MAX_CODE_LIFETIME, MAX_CODE_VERIFIER_LEN, MAX_CONSENTS, MAX_OAUTH_LIFETIME,
    MAX_REDIRECT_URI_BYTES, MAX_REDIRECT_URIS, MAX_REFRESH_GRACE, MAX_SCOPE_TOKEN_BYTES,
    MAX_SCOPES, MIN_CODE_VERIFIER_LEN, NewClient, OAuthError, OAuthLifetimes, PkceChallenge,
    RedirectUri, Scopes, TOKEN_TYPE, TokenInfo, TokenResponse, check_code_verifier,
};
pub use one_time::{
    DEFAULT_ONE_TIME_LIFETIME, MAX_ONE_TIME_LIFETIME, MAX_PURPOSE_BYTES, OneTimeToken,
    PURPOSE_RESET_PASSWORD, PURPOSE_VERIFY_EMAIL,
};
pub use password::{
    MAX_ARGON2_ITERATIONS, MAX_ARGON2_MEMORY_KIB, MAX_ARGON2_PARALLELISM, MAX_PASSWORD_BYTES,
};
pub use policy::{
    DEFAULT_MIN_PASSWORD_LENGTH, MAX_MIN_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, is_common_password,
};
pub use roles::{
    Bundle, Group, MAX_DESCRIPTION_BYTES, MAX_ROLE_ENTITIES, MAX_ROLE_LINKS, MAX_ROLE_NAME_BYTES,
    Permission, RoleHolder, RoleItem, UserRoles,
};
pub use sessions::{
    MAX_SWEEP, MAX_SWEEP_REVOCATIONS, Session, SessionInfo, SweepOutcome, Validation,
};
pub use settings::{
    DEFAULT_LOCKOUT_DURATION, DEFAULT_LOCKOUT_MAX_DURATION, DEFAULT_LOCKOUT_THRESHOLD,
    DEFAULT_LOCKOUT_WINDOW, DEFAULT_LOG_RETENTION, DEFAULT_SOURCE_LOCKOUT_THRESHOLD,
    DEFAULT_TOKENS_PER_USER, MAX_LIFETIME, MAX_LOCKOUT_SECONDS, MAX_LOCKOUT_THRESHOLD,
    MAX_LOG_RETENTION, MAX_TOKENS_PER_USER, MIN_ARGON2_MEMORY_KIB, MIN_ARGON2_WORK, Settings,
};
pub use token::{
    API_KEY_PREFIX, EMAIL_TOKEN_PREFIX, ONE_TIME_TOKEN_PREFIX, TOKEN_LEN, TOKEN_PREFIX,
};
pub use users::{MAX_PAGE, MAX_PERMISSIONS_BYTES, MAX_USERNAME_BYTES, User, UserPage};

/// The operations, over an environment `E`. Each is one WIT function of the
/// same name; see the `users`, `sessions`, `settings`, `email-tokens`,
/// `api-keys`, `one-time-tokens`, `attempts` and `accounts` interfaces.
#[derive(Debug)]
pub struct Auth<E> {
    env: E,
}

impl<E: Env> Auth<E> {
    /// Operate over `env`.
    pub fn new(env: E) -> Self {
        Auth { env }
    }

    /// The environment.
    pub fn env(&self) -> &E {
        &self.env
    }
}
