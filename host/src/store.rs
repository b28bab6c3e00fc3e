//! The `store` capability over sled: reads, ordered scans and guarded
//! atomic commits that are durable before they are acknowledged.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use moth_core::{Guard, StoreError, Write};
use sled::transaction::{ConflictableTransactionError, TransactionError};

/// When a commit counts as done.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// Flushed to disk before the commit returns: survives `kill -9` and
    /// power loss (as far as the disk honours fsync). The default.
    #[default]
    Flush,
    /// Left in sled's buffers, flushed on sled's timer (every 500 ms): a
    /// crash can lose the last moments of acknowledged writes. Faster.
    Buffered,
}

/// One key space (one tenant's sled tree) as the component's store.
///
/// Every call of the component is bound to exactly one `SledStore`; it can
/// reach no key outside its tree, whatever the guest asks for.
#[derive(Clone)]
pub struct SledStore {
    tree: sled::Tree,
    flusher: Arc<GroupFlush>,
    /// Cleared when the tenant is deleted: handles still held by calls in
    /// flight then fail instead of writing into a dropped tree.
    alive: Arc<AtomicBool>,
    /// Set by tests to make every call fail as a broken backend would.
    failing: Arc<AtomicBool>,
}

impl std::fmt::Debug for SledStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledStore")
            .field("tree", &String::from_utf8_lossy(&self.tree.name()))
            .finish()
    }
}

fn failure(e: impl std::fmt::Display) -> StoreError {
    StoreError::Failure(e.to_string())
}

/// What every key space of one database shares: the database and its
/// group-commit flusher.
#[derive(Clone)]
pub struct SledDb {
    flusher: Arc<GroupFlush>,
}

impl SledDb {
    /// Commit to `db` with `durability`.
    pub fn new(db: sled::Db, durability: Durability) -> Self {
        SledDb {
            flusher: Arc::new(GroupFlush::new(db, durability)),
        }
    }

    /// The underlying sled database.
    pub fn db(&self) -> &sled::Db {
        &self.flusher.db
    }

    /// The key space named `tree`.
    pub fn store(&self, tree: &str) -> sled::Result<SledStore> {
        Ok(SledStore {
            tree: self.flusher.db.open_tree(tree)?,
            flusher: self.flusher.clone(),
            alive: Arc::new(AtomicBool::new(true)),
            failing: Arc::new(AtomicBool::new(false)),
        })
    }
}

impl SledStore {
    /// Make every later call on this store (and its clones) fail.
    pub fn retire(&self) {
        self.alive.store(false, Ordering::SeqCst);
    }

    /// Whether [`SledStore::retire`] has not been called.
    pub fn is_alive(&self) -> bool {
        self.alive.load(Ordering::SeqCst)
    }

    /// Make every later call fail (`true`) or work again (`false`), as a
    /// broken backend would. For tests.
    #[cfg(feature = "testing")]
    pub fn fail_all(&self, fail: bool) {
        self.failing.store(fail, Ordering::SeqCst);
    }

    fn check_alive(&self) -> Result<(), StoreError> {
        if self.failing.load(Ordering::Relaxed) {
            return Err(StoreError::Failure("injected store failure".into()));
        }
        if self.alive.load(Ordering::Relaxed) {
            Ok(())
        } else {
            Err(StoreError::Failure("the tenant was deleted".into()))
        }
    }

    /// The value under `key`.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.check_alive()?;
        Ok(self.tree.get(key).map_err(failure)?.map(|v| v.to_vec()))
    }

    /// Up to `limit` entries with `start <= key < end`, ascending.
    pub fn scan(
        &self,
        start: &[u8],
        end: &[u8],
        limit: u32,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError> {
        self.check_alive()?;
        if start >= end {
            return Ok(Vec::new());
        }
        self.tree
            .range(start..end)
            .take(limit as usize)
            .map(|r| r.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(failure))
            .collect()
    }

    /// Apply `writes` atomically iff every guard holds, then make them
    /// durable (per [`Durability`]) before returning.
    pub fn commit(&self, guards: &[Guard], writes: &[Write]) -> Result<(), StoreError> {
        self.check_alive()?;
        if writes.is_empty() && guards.is_empty() {
            return Ok(());
        }
        let outcome = self.tree.transaction(|tx| {
            for g in guards {
                if tx.get(&g.key)?.as_deref() != g.expect.as_deref() {
                    return Err(ConflictableTransactionError::Abort(()));
                }
            }
            for w in writes {
                match &w.value {
                    Some(v) => tx.insert(w.key.as_slice(), v.as_slice())?,
                    None => tx.remove(w.key.as_slice())?,
                };
            }
            Ok(())
        });
        match outcome {
            Ok(()) => {}
            Err(TransactionError::Abort(())) => return Err(StoreError::Conflict),
            Err(TransactionError::Storage(e)) => return Err(failure(e)),
        }
        if writes.is_empty() {
            Ok(())
        } else {
            self.flusher.flush()
        }
    }

    /// How many keys this key space holds.
    pub fn len(&self) -> usize {
        self.tree.len()
    }

    /// Whether this key space is empty.
    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }
}

/// Group commit: one fsync covers every commit that finished before it
/// started, so concurrent writers share flushes instead of queueing one
/// fsync each.
struct GroupFlush {
    db: sled::Db,
    durability: Durability,
    state: Mutex<FlushState>,
    done: Condvar,
}

#[derive(Default)]
struct FlushState {
    /// Commits that have asked for a flush so far.
    requested: u64,
    /// All commits up to this number are on disk.
    completed: u64,
    /// A flush is under way.
    flushing: bool,
    /// The last flush failed with this; reported to the commits it covered.
    failed: Option<(u64, String)>,
}

impl GroupFlush {
    fn new(db: sled::Db, durability: Durability) -> Self {
        GroupFlush {
            db,
            durability,
            state: Mutex::default(),
            done: Condvar::new(),
        }
    }

    fn flush(&self) -> Result<(), StoreError> {
        if self.durability == Durability::Buffered {
            return Ok(());
        }
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.requested += 1;
        let mine = st.requested;
        loop {
            if st.completed >= mine {
                return match &st.failed {
                    Some((upto, msg)) if *upto >= mine => Err(failure(msg)),
                    _ => Ok(()),
                };
            }
            if st.flushing {
                st = self.done.wait(st).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            st.flushing = true;
            let target = st.requested;
            drop(st);
            let result = self.db.flush();
            st = self.state.lock().unwrap_or_else(|p| p.into_inner());
            st.flushing = false;
            st.completed = target;
            st.failed = result.err().map(|e| (target, e.to_string()));
            self.done.notify_all();
        }
    }
}
