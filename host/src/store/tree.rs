//! One key space (a tenant's sled tree) as the component's `store`:
//! reads, ordered scans and guarded atomic commits, durable before they
//! are acknowledged.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use moth_core::{Entry, Guard, StoreError, Write};
use sled::transaction::{ConflictableTransactionError, TransactionError};

use super::flush::GroupFlush;

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
    /// Set by tests to make the next call trap, as a broken host would.
    trap_next: Arc<AtomicBool>,
}

impl std::fmt::Debug for SledStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledStore")
            .field("tree", &String::from_utf8_lossy(&self.tree.name()))
            .finish()
    }
}

/// A backend failure as the store contract reports it: as text, because it
/// crosses the component boundary. The cause is logged here, with its chain.
pub(super) fn failure(e: impl std::error::Error + 'static) -> StoreError {
    tracing::error!(error = &e as &dyn std::error::Error, "store backend failed");
    StoreError::Failure(e.to_string())
}

impl SledStore {
    /// The key space `tree` of `flusher`'s database.
    pub(super) fn open(flusher: &Arc<GroupFlush>, tree: &str) -> sled::Result<SledStore> {
        Ok(SledStore {
            tree: flusher.db.open_tree(tree)?,
            flusher: flusher.clone(),
            alive: Arc::new(AtomicBool::new(true)),
            failing: Arc::new(AtomicBool::new(false)),
            trap_next: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Make every later call on this store (and its clones) fail.
    pub(crate) fn retire(&self) {
        self.alive.store(false, Ordering::SeqCst);
    }

    /// Whether [`SledStore::retire`] has not been called.
    pub(crate) fn is_alive(&self) -> bool {
        self.alive.load(Ordering::SeqCst)
    }

    /// Make every later call fail (`true`) or work again (`false`), as a
    /// broken backend would. For tests.
    #[cfg(feature = "testing")]
    pub fn fail_all(&self, fail: bool) {
        self.failing.store(fail, Ordering::SeqCst);
    }

    /// Make the next store call of any instance of this key space trap
    /// (the host failing in a way the WIT cannot express). For tests.
    #[cfg(feature = "testing")]
    pub fn trap_next_call(&self) {
        self.trap_next.store(true, Ordering::SeqCst);
    }

    /// Act as if a flush of this database had failed: every later write
    /// is refused. For tests.
    #[cfg(feature = "testing")]
    pub fn fail_flush(&self) {
        self.flusher.fail("injected flush failure");
    }

    /// Whether this call must trap; clears the request.
    pub(crate) fn take_trap(&self) -> bool {
        self.trap_next.swap(false, Ordering::SeqCst)
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
    pub fn scan(&self, start: &[u8], end: &[u8], limit: u32) -> Result<Vec<Entry>, StoreError> {
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
    /// durable (per [`Durability`](super::Durability)) before returning.
    pub fn commit(&self, guards: &[Guard], writes: &[Write]) -> Result<(), StoreError> {
        self.check_alive()?;
        if !writes.is_empty() {
            self.flusher.check_writable()?;
        }
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
