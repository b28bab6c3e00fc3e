//! The native host of the `moth:auth` component.
//!
//! moth's authentication logic runs inside a WebAssembly component that can
//! touch nothing but a key-value store, a clock and a random source. This
//! crate supplies those three over sled (or PostgreSQL), the OS clock and
//! the OS CSPRNG,
//! embeds the component (built from `guest/` at compile time), pools its
//! instances, and offers [`Moth`]: a typed API whose operations carry the
//! WIT's names.
//!
//! ```no_run
//! use moth::{Moth, Options};
//!
//! let moth = Options::new().create(true).open("moth.db")?;
//! let ann = moth.create_user("ann", "correct horse battery staple", "admin")?;
//! let session = moth.login("ann", "correct horse battery staple", None)?;
//! let who = moth.validate(&session.token)?;
//! assert_eq!(who.user, ann);
//! moth.logout(&session.token)?;
//! assert_eq!(moth.validate(&session.token), Err(moth::Error::InvalidToken));
//! # Ok::<(), moth::Error>(())
//! ```
//!
//! Modules are private; everything public is re-exported here, except the
//! HTTP server, which is [`server`], and what a plugin host needs, which is
//! [`plugin`]. [`wasmtime`] is re-exported so that a plugin host links
//! with the same version moth does.

#![warn(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

mod api;
mod async_moth;
mod bindings;
mod budget;
mod caps;
mod convert;
mod error;
mod handle;
mod imports;
mod metrics;
mod ops;
mod options;
pub mod plugin;
mod pool;
mod runtime;
pub mod server;
mod settings;
mod store;
mod sweeper;
mod tenants;

pub use api::{AccountStateChange, Authorization, GrantNames};
pub use async_moth::AsyncMoth;
pub use caps::{Capabilities, Clock, OsRandom, Random, SystemClock};
#[cfg(feature = "testing")]
pub use caps::{ManualClock, SeededRandom};
pub use error::{Error, Result};
pub use handle::Moth;
pub use metrics::{GuestMetrics, Histogram, HistogramSet};
// The store contract's types, as `Store` takes and returns them.
pub use moth_core::{
    AccountState, ApiKey, Bundle, DEVICE_LIFETIME, EmailToken, EmailTokenInfo, EmailTokenOptions,
    EventKind, Group, KeyOwner, Lock, LockPage, LockSubject, LogEntry, LogFilter, LogPage,
    LoginContext, LoginGrant, NewApiKey, OneTimeToken, Permission, PurgeOutcome, RoleHolder,
    RoleItem, Session, SessionInfo, Settings, SweepOutcome, User, UserPage, UserRoles, Validation,
};
// The OAuth server's types, as `Moth`'s `oauth` operations take and return
// them.
pub use moth_core::{
    AuthorizationRequest, AuthorizeError, BearerError, Client, ClientPage, ClientSpec, Consent,
    GrantType, MAX_CLIENT_PAGE, NewClient, OAuthError, OAuthLifetimes, RedirectUri, Scopes,
    TOKEN_TYPE, TokenInfo, TokenResponse,
};
pub use moth_core::{Entry, Guard, StoreError, Write};
pub use options::Options;
#[cfg(feature = "testing")]
pub use runtime::FAULTY_COMPONENT;
pub use runtime::{COMPONENT, CacheDir, Instance, Runtime, RuntimeOptions};
pub use settings::SettingsOverrides;
pub use store::{Durability, Store, StoreLocation, db_exists, make_db, reset_db};
pub use tenants::{DEFAULT_TENANT, MAX_TENANT_NAME_LEN};

/// The wasmtime moth is built with; a plugin host's `Linker` must be of it.
pub use wasmtime;

/// The README's Rust examples, compiled as doctests so they stay true.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
