//! The seam every store backend sits behind: a database of tenants' key
//! spaces ([`Backend`]) and one key space ([`KeySpace`]). Nothing above
//! this module knows which backend is in use.
//!
//! # The store contract
//!
//! What a backend must provide (sled and PostgreSQL do; FoundationDB, TiKV
//! or etcd could, through their transactions):
//!
//! - **Ordered byte keys.** `scan(start, end, limit)` returns keys with
//!   `start <= key < end` in ascending order of their bytes compared as
//!   unsigned, lexicographically (no collation).
//! - **Guarded atomic commits.** `commit(guards, writes)` applies every
//!   write iff every guard (a key's expected value, or its absence) holds
//!   at the moment of commit, as one serializable step: of two commits
//!   whose guards and writes overlap, at most one succeeds. A guard that
//!   fails writes nothing and returns [`StoreError::Conflict`], which means
//!   "a guard did not hold" and nothing else: a backend whose transactions
//!   abort for other reasons (serialization failures) retries them itself.
//! - **Durability before acknowledgement.** A commit that returned `Ok`
//!   survives a crash of the process and of the database (under
//!   [`Durability::Flush`](super::Durability::Flush)).
//! - **Failures are failures.** An unreachable or broken backend answers
//!   [`StoreError::Failure`], never a wrong value, and never `Ok` for a
//!   write it did not make durable.
//! - **A tenant registry** mapping tenant names to key spaces, where a
//!   re-created tenant never sees its predecessor's data.

use std::sync::Arc;

use moth_core::{Entry, Guard, StoreError, Write};

use crate::error::Result;

/// Names one tenant's key space within its backend (a sled tree's name or
/// `space:{id}`, a PostgreSQL space number), as the backend chose it.
pub(crate) type SpaceId = String;

/// One database: its tenants' key spaces and the registry of tenants.
pub(crate) trait Backend: Send + Sync + 'static {
    /// The key space of the `default` tenant, which always exists.
    fn default_space(&self) -> SpaceId;
    /// Open key space `space` for calls.
    fn key_space(&self, space: &str) -> Result<Arc<dyn KeySpace>>;
    /// The key space registered for tenant `name` (never `default`).
    fn lookup(&self, name: &str) -> Result<Option<SpaceId>>;
    /// Register tenant `name` with a key space no earlier tenant had;
    /// [`Error::TenantExists`](crate::Error::TenantExists) if it is taken.
    fn register(&self, name: &str) -> Result<SpaceId>;
    /// Remove tenant `name` from the registry, durably; its key space.
    fn unregister(&self, name: &str) -> Result<Option<SpaceId>>;
    /// Delete every key of `space` (after [`Backend::unregister`]).
    fn drop_space(&self, space: &str) -> Result<()>;
    /// Every registered tenant (not `default`), in name order.
    fn tenants(&self) -> Result<Vec<String>>;
    /// Delete the key spaces no tenant names (left by a crash between
    /// unregistering and dropping); how many.
    fn drop_orphans(&self) -> Result<usize>;
    /// Make everything written so far durable.
    fn flush(&self) -> Result<()>;
    /// Bytes the database occupies, when the backend can tell.
    fn size_on_disk(&self) -> Option<u64>;
    /// Whether other processes may share this database: each store call is
    /// then a network round trip (never to be made on an async worker),
    /// and the registry can change under this process.
    fn shared(&self) -> bool;
}

/// One tenant's key space: the component's `store` import.
pub(crate) trait KeySpace: Send + Sync + 'static {
    /// The value under `key`.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// Up to `limit` entries with `start <= key < end`, ascending.
    fn scan(&self, start: &[u8], end: &[u8], limit: u32) -> Result<Vec<Entry>, StoreError>;
    /// Apply `writes` atomically iff every guard holds; durable on `Ok`.
    fn commit(&self, guards: &[Guard], writes: &[Write]) -> Result<(), StoreError>;
    /// How many keys the space holds.
    fn len(&self) -> Result<usize, StoreError>;
    /// Refuse every later write, as after a failed flush. For tests.
    #[cfg(feature = "testing")]
    fn fail_flush(&self);
}
