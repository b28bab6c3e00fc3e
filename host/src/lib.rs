//! The native host of the `moth:auth` component.
//!
//! moth's authentication logic runs inside a WebAssembly component that can
//! touch nothing but a key-value store, a clock and a random source. This
//! crate supplies those three over sled, the OS clock and the OS CSPRNG,
//! embeds the component (built from `guest/` at compile time), pools its
//! instances, and offers [`Moth`]: a typed API mirroring MOTH's class.
//!
//! ```no_run
//! use moth::{Moth, Options};
//!
//! let moth = Options::new().create(true).open("moth.db")?;
//! let ann = moth.new_user("ann", "correct horse battery staple", "admin")?;
//! let session = moth.login("ann", "correct horse battery staple", None)?;
//! let who = moth.validate(&session.token)?;
//! assert_eq!(who.user, ann);
//! moth.logout(&session.token)?;
//! assert_eq!(moth.validate(&session.token), Err(moth::Error::InvalidToken));
//! # Ok::<(), moth::Error>(())
//! ```

#![warn(missing_docs)]

pub mod bindings;
pub mod clock;
pub mod db;
pub mod env;
pub mod error;
pub mod metrics;
mod moth;
mod pool;
pub mod random;
pub mod runtime;
pub mod server;
pub mod store;
pub mod tenant;

pub use db::{db_exists, make_db, reset_db};
pub use error::{Error, Result};
pub use moth::{Moth, Options};
pub use moth_core::{Session, Settings, User, UserPage, Validation};
pub use runtime::{CacheDir, Runtime, RuntimeOptions};
pub use store::Durability;

/// The README's Rust examples, compiled as doctests so they stay true.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
