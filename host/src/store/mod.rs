//! The `store` capability: where tenants' key spaces live. Two backends sit
//! behind one narrow seam ([`backend`]): sled (the default, one directory)
//! and PostgreSQL (several moth hosts over one database). Which one a
//! database uses is decided here, at open time, from its
//! [`StoreLocation`]; nothing else in moth knows.

mod backend;
mod location;
mod postgres;
mod sled;
mod space;

use std::sync::Arc;

pub(crate) use backend::{Backend, SpaceId};
pub use location::StoreLocation;
pub use space::Store;

use crate::error::Result;

/// When a commit counts as done.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// Durable before the commit returns: survives `kill -9` and power
    /// loss (as far as the disk honours fsync). sled flushes (group
    /// commit); PostgreSQL commits with `synchronous_commit = on`. The
    /// default.
    #[default]
    Flush,
    /// Acknowledged before it is durable: a crash can lose the last
    /// moments of acknowledged writes, never corrupt. sled flushes on its
    /// timer (every 500 ms); PostgreSQL commits with
    /// `synchronous_commit = off`. Faster.
    Buffered,
}

/// What a store reports when the tenant of a key space was deleted (by
/// this process or another host sharing the database).
pub(crate) const TENANT_GONE: &str = "the tenant was deleted";

/// Open the database at `location` (creating it when `create` is set and
/// there is none), committing with `durability`.
pub(crate) fn open(
    location: &StoreLocation,
    create: bool,
    durability: Durability,
) -> Result<Arc<dyn Backend>> {
    Ok(match location {
        StoreLocation::Sled(path) => Arc::new(sled::SledBackend::open(path, create, durability)?),
        StoreLocation::Postgres(url) => {
            Arc::new(postgres::PgBackend::open(url, create, durability)?)
        }
    })
}

/// Whether `location` holds a moth database. Opens (and locks) nothing for
/// sled; connects for PostgreSQL (and answers `false` when it cannot).
pub fn db_exists(location: impl Into<StoreLocation>) -> bool {
    match location.into() {
        StoreLocation::Sled(path) => sled::db_exists(path),
        StoreLocation::Postgres(url) => postgres::db_exists(&url),
    }
}

/// Create an empty database at `location` unless one is there; returns
/// whether it created one.
pub fn make_db(location: impl Into<StoreLocation>) -> Result<bool> {
    match location.into() {
        StoreLocation::Sled(path) => sled::make_db(path),
        StoreLocation::Postgres(url) => postgres::make_db(&url),
    }
}

/// Delete every tenant, user and token in the database at `location`,
/// keeping the database itself; returns whether there was one to reset.
/// No moth may have it open meanwhile.
pub fn reset_db(location: impl Into<StoreLocation>) -> Result<bool> {
    match location.into() {
        StoreLocation::Sled(path) => sled::reset_db(path),
        StoreLocation::Postgres(url) => postgres::reset_db(&url),
    }
}
