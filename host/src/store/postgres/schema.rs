//! The schema moth keeps in PostgreSQL, created and migrated by moth on
//! open, versioned in `moth_meta`.
//!
//! Only SQL that PostgreSQL-compatible distributed databases (CockroachDB,
//! YugabyteDB) also accept: plain tables, a sequence, `ON CONFLICT`,
//! `unnest`, `= ANY`. No advisory locks, no `LISTEN/NOTIFY`: concurrent
//! migrations by several hosts are made safe by a guarded version bump
//! and retries.

use postgres::{Client, IsolationLevel};

use crate::error::{Error, Result};

/// Migration `i` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: the key spaces of every tenant, and the tenant registry.
    "CREATE TABLE IF NOT EXISTS moth_meta (
         name text PRIMARY KEY,
         value text NOT NULL
     );
     CREATE TABLE IF NOT EXISTS moth_tenants (
         name text PRIMARY KEY,
         space bigint NOT NULL UNIQUE
     );
     CREATE SEQUENCE IF NOT EXISTS moth_space_seq START 1;
     CREATE TABLE IF NOT EXISTS moth_kv (
         space bigint NOT NULL,
         key bytea NOT NULL,
         value bytea NOT NULL,
         PRIMARY KEY (space, key)
     );",
];

/// The schema version this moth writes.
pub(super) const CURRENT: u32 = MIGRATIONS.len() as u32;

/// The schema version of the database `client` is connected to (in its
/// current schema): 0 when moth has never created one there.
pub(super) fn version(client: &mut Client, location: &str) -> Result<u32> {
    let has_meta = client
        .query_opt(
            "SELECT 1 FROM information_schema.tables
              WHERE table_schema = current_schema() AND table_name = 'moth_meta'",
            &[],
        )?
        .is_some();
    if !has_meta {
        return Ok(0);
    }
    let row = client.query_opt("SELECT value FROM moth_meta WHERE name = 'schema'", &[])?;
    let Some(row) = row else { return Ok(0) };
    let found: String = row.get(0);
    found.parse().map_err(|_| Error::UnsupportedFormat {
        location: location.to_owned(),
        found,
    })
}

/// Bring the schema to [`CURRENT`]; refuse a newer one.
pub(super) fn migrate(client: &mut Client, location: &str) -> Result<()> {
    // Hosts starting together race here; whoever loses a step finds the
    // work done on the next round.
    let mut last_error = None;
    for _ in 0..10 {
        let at = version(client, location)?;
        if at > CURRENT {
            return Err(Error::UnsupportedFormat {
                location: location.to_owned(),
                found: at.to_string(),
            });
        }
        if at == CURRENT {
            return Ok(());
        }
        match step(client, at) {
            Ok(()) => continue,
            Err(e) => {
                tracing::warn!(
                    error = &e as &dyn std::error::Error,
                    "schema migration raced; retrying"
                );
                last_error = Some(e);
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        }
    }
    Err(last_error.map_or_else(
        || Error::Storage("the schema migration did not settle".into()),
        Error::Postgres,
    ))
}

/// Migration `at` → `at + 1`, in one transaction with its version bump.
fn step(client: &mut Client, at: u32) -> Result<(), postgres::Error> {
    let mut tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::Serializable)
        .start()?;
    tx.batch_execute(MIGRATIONS[at as usize])?;
    let next = (at + 1).to_string();
    if at == 0 {
        tx.execute(
            "INSERT INTO moth_meta (name, value) VALUES ('schema', $1)
             ON CONFLICT (name) DO NOTHING",
            &[&next],
        )?;
    } else {
        tx.execute(
            "UPDATE moth_meta SET value = $1 WHERE name = 'schema' AND value = $2",
            &[&next, &at.to_string()],
        )?;
    }
    tx.commit()
}
