//! moth's authentication logic, independent of where it runs.
//!
//! [`Auth`] implements every operation of the `moth:auth` WIT world over an
//! [`Env`]: an ordered key-value store with guarded commits, a clock and
//! secure randomness. The WebAssembly component (`moth-guest`) wraps it over
//! the WIT imports; natively it runs over any `Env`, which is how it is unit
//! tested and how benchmarks get their native baseline.
//!
//! ```
//! # #[cfg(feature = "testing")] {
//! use moth_core::{Auth, Settings, memory::MemoryEnv};
//!
//! let auth = Auth::new(MemoryEnv::new());
//! // Cheap hashing for the example; the default is Argon2id m=19 MiB, t=2.
//! auth.set_settings(Settings { argon2_memory_kib: 64, argon2_iterations: 1, ..Settings::default() })?;
//! let ann = auth.create_user("ann", "correct horse", "read")?;
//! let session = auth.login("ann", "correct horse", None)?;
//! assert_eq!(auth.validate(&session.token)?.user, ann);
//! # }
//! # Ok::<(), moth_core::Error>(())
//! ```

#![warn(missing_docs)]

pub mod env;
pub mod error;
pub mod keys;
#[cfg(any(test, feature = "testing"))]
pub mod memory;
pub mod password;
pub mod record;
mod sessions;
mod settings;
pub mod token;
mod txn;
pub mod users;

pub use env::{Env, Guard, StoreError, Write};
pub use error::{Error, Result};
pub use record::Settings;
pub use users::{MAX_PERMISSIONS_BYTES, MAX_USERNAME_BYTES};

/// A user as callers see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// Unique, increasing, never reused.
    pub id: u64,
    /// The login name.
    pub username: String,
    /// The caller's free-form permissions string.
    pub permissions: String,
}

/// A fresh login: the token is shown only here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The bearer token.
    pub token: String,
    /// Whose it is.
    pub user: User,
    /// Unix seconds at which it stops being valid.
    pub expires: u64,
}

/// What a live token stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validation {
    /// The token's user, as of now.
    pub user: User,
    /// Unix seconds at which it stops being valid.
    pub expires: u64,
}

/// One page of [`Auth::list_users`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserPage {
    /// Users in id order.
    pub users: Vec<User>,
    /// The `after` for the next page, or `None` after the last one.
    pub next: Option<u64>,
}

/// The operations, over an environment `E`.
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
