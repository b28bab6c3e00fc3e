//! moth inside a plugin host: an application on wasmtime that runs other
//! people's components and gives them moth's interfaces to import, so a
//! plugin can validate a token or check a permission without ever reaching
//! the store, another tenant, or an operation it was not granted.
//!
//! Two ways, for two needs:
//!
//! - **Link** ([`add_to_linker`]): the host defines every function of
//!   `moth:auth/<interface>` in the plugin's [`Linker`]; each call is
//!   checked against the plugin's [`Grants`], then served by a [`Moth`]
//!   handle on one tenant, so by moth's pool of instances and its limits
//!   (hashing budget, per-call deadline, memory cap). moth's component and
//!   the plugin stay separate: each can be upgraded on its own, and many
//!   plugins share one pool.
//! - **Compose** ([`compose`]): the plugin and moth's component become one
//!   component whose only imports are moth's own (store, wall clock,
//!   random); the host supplies them for one tenant with
//!   [`add_imports_to_linker`]. One artifact to ship and no allow-list: the
//!   plugin can call every operation it imports, on its tenant, inside its
//!   own instance (the plugin host's store limits apply, not moth's pool).
//!   A plugin that imports moth's store itself, or anything moth does not
//!   supply, is refused.
//!
//! A linked plugin built against another `moth:auth` WIT (same names,
//! other types) has each such call trapped before anything runs, with
//! [`Error::InvalidInput`](crate::Error::InvalidInput) as the cause.
//!
//! ```no_run
//! use moth::plugin::{self, Grants, PluginAuth};
//! use moth::wasmtime::component::{Component, Linker};
//! use moth::wasmtime::{Engine, Store};
//!
//! struct Plugin {
//!     auth: PluginAuth,
//! }
//!
//! let moth = moth::Moth::open("moth.db")?.tenant("acme")?;
//! let engine = Engine::default();
//! let mut linker = Linker::<Plugin>::new(&engine);
//! plugin::add_to_linker(&mut linker, |p: &mut Plugin| &p.auth)?;
//! let grants = Grants::none().allow("validate")?.allow("has-all")?;
//! let mut store = Store::new(&engine, Plugin { auth: PluginAuth::new(moth, grants) });
//! let component = Component::from_file(&engine, "plugin.wasm").map_err(moth::Error::Component)?;
//! let instance = linker.instantiate(&mut store, &component).map_err(moth::Error::Component)?;
//! # let _ = instance;
//! # Ok::<(), moth::Error>(())
//! ```
//!
//! [`Linker`]: wasmtime::component::Linker
//! [`Moth`]: crate::Moth

mod compose;
mod grants;
mod link;

pub use compose::{ComposedImports, ComposedView, add_imports_to_linker, compose};
pub use grants::Grants;
pub use link::{PluginAuth, add_to_linker};
