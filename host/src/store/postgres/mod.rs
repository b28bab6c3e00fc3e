//! The PostgreSQL backend: every tenant's key space in one table
//! (`moth_kv`, keyed by space number and key), the tenant registry in
//! another, so that several stateless moth hosts can share one database.
//! See `schema.rs` for the tables and `space.rs` for the store contract's
//! mapping onto transactions.

mod pool;
mod schema;
mod space;

use std::sync::Arc;

use pool::{Manager, Pool, blocking};
use space::PgSpace;

use super::Durability;
use super::backend::{Backend, KeySpace, SpaceId};
use super::location::StoreLocation;
use crate::error::{Error, Result};

/// The space number of the `default` tenant; registered tenants get
/// numbers from `moth_space_seq`, which start at 1 and are never reused.
const DEFAULT_SPACE: i64 = 0;
/// Connections per open database: enough for every instance's call, the
/// sweeper and registry look-ups at once.
const POOL_SIZE: u32 = 32;

/// One open PostgreSQL database.
pub(super) struct PgBackend {
    pool: Pool,
}

/// The URL as logs and errors may show it.
fn shown(url: &str) -> String {
    StoreLocation::Postgres(url.to_owned()).to_string()
}

impl PgBackend {
    /// Connect to `url`, create (when `create` is set) or migrate moth's
    /// schema, and pool connections committing with `durability`.
    pub fn open(url: &str, create: bool, durability: Durability) -> Result<Self> {
        let manager = Manager::new(url, durability)?;
        blocking(|| {
            let mut client = manager.connect_plain()?;
            let version = schema::version(&mut client, &shown(url))?;
            if version == 0 && !create {
                return Err(Error::NoDatabase(shown(url)));
            }
            schema::migrate(&mut client, &shown(url))
        })?;
        Ok(PgBackend {
            pool: pool::pool(manager, POOL_SIZE),
        })
    }

    /// Run `f` on a pooled connection, from any thread.
    fn with<T: Send>(
        &self,
        f: impl FnOnce(&mut postgres::Client) -> Result<T, postgres::Error> + Send,
    ) -> Result<T> {
        blocking(|| {
            let mut conn = self
                .pool
                .get()
                .map_err(|e| Error::Storage(format!("the database is unreachable: {e}")))?;
            Ok(f(&mut conn.client)?)
        })
    }
}

fn space_number(space: &str) -> Result<i64> {
    space
        .parse()
        .map_err(|_| Error::Storage(format!("{space:?} is not a PostgreSQL key space")))
}

impl Backend for PgBackend {
    fn default_space(&self) -> SpaceId {
        DEFAULT_SPACE.to_string()
    }

    fn key_space(&self, space: &str) -> Result<Arc<dyn KeySpace>> {
        Ok(Arc::new(PgSpace {
            pool: self.pool.clone(),
            space: space_number(space)?,
            #[cfg(feature = "testing")]
            refuse_writes: Default::default(),
        }))
    }

    fn lookup(&self, name: &str) -> Result<Option<SpaceId>> {
        self.with(|c| {
            let row = c.query_opt("SELECT space FROM moth_tenants WHERE name = $1", &[&name])?;
            Ok(row.map(|r| r.get::<_, i64>(0).to_string()))
        })
    }

    fn register(&self, name: &str) -> Result<SpaceId> {
        let row = self.with(|c| {
            c.query_opt(
                "INSERT INTO moth_tenants (name, space) VALUES ($1, nextval('moth_space_seq'))
                 ON CONFLICT (name) DO NOTHING RETURNING space",
                &[&name],
            )
        })?;
        match row {
            Some(r) => Ok(r.get::<_, i64>(0).to_string()),
            None => Err(Error::TenantExists),
        }
    }

    fn unregister(&self, name: &str) -> Result<Option<SpaceId>> {
        self.with(|c| {
            let row = c.query_opt(
                "DELETE FROM moth_tenants WHERE name = $1 RETURNING space",
                &[&name],
            )?;
            Ok(row.map(|r| r.get::<_, i64>(0).to_string()))
        })
    }

    fn drop_space(&self, space: &str) -> Result<()> {
        let space = space_number(space)?;
        if space == DEFAULT_SPACE {
            return Err(Error::InvalidInput(
                "the default tenant cannot be deleted".into(),
            ));
        }
        self.with(|c| c.execute("DELETE FROM moth_kv WHERE space = $1", &[&space]))?;
        Ok(())
    }

    fn tenants(&self) -> Result<Vec<String>> {
        let mut names: Vec<String> = self.with(|c| {
            Ok(c.query("SELECT name FROM moth_tenants", &[])?
                .into_iter()
                .map(|r| r.get(0))
                .collect())
        })?;
        // Sorted here, by bytes, whatever the database's collation.
        names.sort_unstable();
        Ok(names)
    }

    fn drop_orphans(&self) -> Result<usize> {
        // A space's rows are written only after its tenant's registration
        // committed, and numbers are never reused: a space with rows and
        // no registration is an orphan for good, whatever other hosts do.
        let orphans: Vec<i64> = self.with(|c| {
            Ok(c.query(
                "SELECT DISTINCT kv.space FROM moth_kv kv
                  WHERE kv.space <> $1
                    AND NOT EXISTS (SELECT 1 FROM moth_tenants t WHERE t.space = kv.space)",
                &[&DEFAULT_SPACE],
            )?
            .into_iter()
            .map(|r| r.get(0))
            .collect())
        })?;
        for space in &orphans {
            self.drop_space(&space.to_string())?;
        }
        Ok(orphans.len())
    }

    fn flush(&self) -> Result<()> {
        // Every commit is durable when it returns (synchronous_commit).
        Ok(())
    }

    fn size_on_disk(&self) -> Option<u64> {
        // PostgreSQL's own monitoring knows; a scrape of moth's metrics
        // should not cost a query.
        None
    }

    fn shared(&self) -> bool {
        true
    }
}

/// Whether `url` reaches a database holding moth's schema.
pub(super) fn db_exists(url: &str) -> bool {
    let Ok(manager) = Manager::new(url, Durability::Flush) else {
        return false;
    };
    blocking(|| {
        manager
            .connect_plain()
            .map_err(Error::from)
            .and_then(|mut c| schema::version(&mut c, &shown(url)))
            .is_ok_and(|v| v > 0)
    })
}

/// Create moth's schema in the database at `url` unless it is there.
pub(super) fn make_db(url: &str) -> Result<bool> {
    if db_exists(url) {
        return Ok(false);
    }
    PgBackend::open(url, true, Durability::Flush).map(|_| true)
}

/// Delete every tenant and key in the database at `url`, keeping the schema.
pub(super) fn reset_db(url: &str) -> Result<bool> {
    if !db_exists(url) {
        return Ok(false);
    }
    let manager = Manager::new(url, Durability::Flush)?;
    blocking(|| {
        let mut c = manager.connect_plain()?;
        let mut tx = c.transaction()?;
        tx.batch_execute("DELETE FROM moth_kv; DELETE FROM moth_tenants;")?;
        tx.commit()?;
        Ok(true)
    })
}
