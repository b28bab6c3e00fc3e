//! One tenant's key space in PostgreSQL: the rows of `moth_kv` with its
//! space number. Reads are one round trip each; a commit is one
//! serializable transaction, retried by moth when PostgreSQL aborts it
//! for serialization (so `Conflict` only ever means a guard failed).

use std::collections::BTreeMap;
use std::time::Duration;

use moth_core::{Entry, Guard, StoreError, Write};
use postgres::IsolationLevel;
use postgres::error::SqlState;

use super::pool::{Conn, Pool, blocking};
use crate::store::TENANT_GONE;
use crate::store::backend::KeySpace;
use crate::store::space::failure;

/// How often a commit is retried after PostgreSQL aborted it for
/// serialization (a concurrent transaction touched the same keys, or keys
/// on the same index page: PostgreSQL's predicate locks on B-tree indexes
/// are per page, so commits of unrelated keys that sort close together,
/// such as every login's log entry and token expiry, can abort each other
/// under load). With the backoff below, about two seconds of trying.
const SERIALIZATION_RETRIES: u32 = 200;
/// The longest pause between two tries of a commit.
const MAX_BACKOFF: Duration = Duration::from_millis(20);

/// One tenant's rows.
pub(super) struct PgSpace {
    pub pool: Pool,
    pub space: i64,
    /// Set by tests: refuse writes as after a failed flush.
    #[cfg(feature = "testing")]
    pub refuse_writes: std::sync::atomic::AtomicBool,
}

/// How a commit attempt ended, short of success.
enum Abort {
    /// A guard did not hold.
    Conflict,
    /// The tenant's registry entry is gone.
    TenantGone,
    /// PostgreSQL failed; `retry` when it is safe and worth trying again
    /// (a serialization failure, or a connection lost before `COMMIT`).
    Db { e: postgres::Error, retry: bool },
}

impl From<postgres::Error> for Abort {
    fn from(e: postgres::Error) -> Self {
        let retry = matches!(
            e.code(),
            Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED
        ) || e.is_closed();
        Abort::Db { e, retry }
    }
}

impl PgSpace {
    /// Run `f` on a pooled connection; once more on a fresh one when the
    /// connection turns out to be closed (the database restarted since it
    /// was last used). Only for reads, which are safe to repeat.
    fn read<T: Send>(
        &self,
        f: impl Fn(&mut Conn) -> Result<T, postgres::Error> + Send + Sync,
    ) -> Result<T, StoreError> {
        blocking(|| {
            let mut last = None;
            for _ in 0..2 {
                let mut conn = self.pool.get().map_err(unreachable)?;
                match f(&mut conn) {
                    Ok(v) => return Ok(v),
                    Err(e) if e.is_closed() => last = Some(e),
                    Err(e) => return Err(failure(e)),
                }
            }
            Err(failure(last.expect("a failed attempt")))
        })
    }

    fn attempt(&self, conn: &mut Conn, guards: &[Guard], writes: &[Write]) -> Result<(), Abort> {
        let Conn { client, st } = conn;
        let mut tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::Serializable)
            .start()?;
        if !guards.is_empty() {
            let keys: Vec<&[u8]> = guards.iter().map(|g| g.key.as_slice()).collect();
            let found: BTreeMap<Vec<u8>, Vec<u8>> = tx
                .query(&st.guards, &[&self.space, &keys])?
                .into_iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
            if guards
                .iter()
                .any(|g| found.get(&g.key).map(Vec::as_slice) != g.expect.as_deref())
            {
                return Err(Abort::Conflict);
            }
        }
        // The default tenant (space 0) is never deleted; any other must
        // still be registered, or another host deleted it meanwhile. Read
        // inside the transaction, so a concurrent deletion conflicts.
        if self.space != 0 && tx.query_opt(&st.tenant_alive, &[&self.space])?.is_none() {
            return Err(Abort::TenantGone);
        }
        // The last write to a key wins, as in one sled transaction.
        let mut last: BTreeMap<&[u8], Option<&[u8]>> = BTreeMap::new();
        for w in writes {
            last.insert(&w.key, w.value.as_deref());
        }
        let (mut put_k, mut put_v, mut del) = (Vec::new(), Vec::new(), Vec::new());
        for (k, v) in last {
            match v {
                Some(v) => {
                    put_k.push(k);
                    put_v.push(v);
                }
                None => del.push(k),
            }
        }
        if !put_k.is_empty() {
            tx.execute(&st.upsert, &[&self.space, &put_k, &put_v])?;
        }
        if !del.is_empty() {
            tx.execute(&st.delete, &[&self.space, &del])?;
        }
        tx.commit().map_err(|e| {
            // The outcome of a COMMIT whose answer was lost is unknown:
            // never retried, reported as a failure (not acknowledged).
            let retry = matches!(e.code(), Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE);
            Abort::Db { e, retry }
        })
    }
}

fn unreachable(e: r2d2::Error) -> StoreError {
    tracing::error!(error = %e, "PostgreSQL is unreachable");
    StoreError::Failure(format!("the database is unreachable: {e}"))
}

impl KeySpace for PgSpace {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(|c| {
            Ok(c.client
                .query_opt(&c.st.get, &[&self.space, &key])?
                .map(|r| r.get(0)))
        })
    }

    fn scan(&self, start: &[u8], end: &[u8], limit: u32) -> Result<Vec<Entry>, StoreError> {
        let limit = i64::from(limit);
        self.read(|c| {
            Ok(c.client
                .query(&c.st.scan, &[&self.space, &start, &end, &limit])?
                .into_iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect())
        })
    }

    fn commit(&self, guards: &[Guard], writes: &[Write]) -> Result<(), StoreError> {
        #[cfg(feature = "testing")]
        if !writes.is_empty() && self.refuse_writes.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(StoreError::Failure(
                "the database refuses writes (injected flush failure)".into(),
            ));
        }
        blocking(|| {
            let mut attempt = 0;
            loop {
                attempt += 1;
                let mut conn = self.pool.get().map_err(unreachable)?;
                match self.attempt(&mut conn, guards, writes) {
                    Ok(()) => return Ok(()),
                    Err(Abort::Conflict) => return Err(StoreError::Conflict),
                    Err(Abort::TenantGone) => return Err(StoreError::Failure(TENANT_GONE.into())),
                    Err(Abort::Db { e, retry }) if retry && attempt < SERIALIZATION_RETRIES => {
                        tracing::debug!(error = %e, attempt, "commit retried");
                        drop(conn);
                        // Back off a little, more each time and by a random
                        // part, so that colliding writers spread out
                        // instead of colliding again in step.
                        let base = Duration::from_micros(200 * u64::from(attempt)).min(MAX_BACKOFF);
                        let mut jitter = [0u8; 2];
                        getrandom::fill(&mut jitter).unwrap_or_default();
                        let jitter = u32::from(u16::from_le_bytes(jitter));
                        std::thread::sleep(base + base * jitter / u32::from(u16::MAX));
                    }
                    Err(Abort::Db { e, .. }) => return Err(failure(e)),
                }
            }
        })
    }

    fn len(&self) -> Result<usize, StoreError> {
        self.read(|c| {
            let n: i64 = c.client.query_one(&c.st.count, &[&self.space])?.get(0);
            Ok(n as usize)
        })
    }

    #[cfg(feature = "testing")]
    fn fail_flush(&self) {
        self.refuse_writes
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }
}
