//! [`Store`]: the key space one call is bound to, whatever the backend,
//! with the switches the host needs around it (retirement on tenant
//! deletion, and failure injection for tests).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use moth_core::{Entry, Guard, StoreError, Write};

use super::backend::KeySpace;

/// One tenant's key space as the component's store.
///
/// Every call of the component is bound to exactly one `Store`; it can
/// reach no key outside it, whatever the guest asks for.
#[derive(Clone)]
pub struct Store {
    space: Arc<dyn KeySpace>,
    /// What the space is called in its backend, for logs.
    name: Arc<str>,
    /// Cleared when the tenant is deleted: handles still held by calls in
    /// flight then fail instead of writing into a dropped space.
    alive: Arc<AtomicBool>,
    /// Set by tests to make every call fail as a broken backend would.
    failing: Arc<AtomicBool>,
    /// Set by tests to make the next call trap, as a broken host would.
    trap_next: Arc<AtomicBool>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("space", &self.name).finish()
    }
}

impl Store {
    /// `space`, known to its backend as `name`.
    pub(crate) fn new(space: Arc<dyn KeySpace>, name: &str) -> Store {
        Store {
            space,
            name: Arc::from(name),
            alive: Arc::new(AtomicBool::new(true)),
            failing: Arc::new(AtomicBool::new(false)),
            trap_next: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Make every later call on this store (and its clones) fail.
    pub(crate) fn retire(&self) {
        self.alive.store(false, Ordering::SeqCst);
    }

    /// Whether [`Store::retire`] has not been called.
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
        self.space.fail_flush();
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
            Err(StoreError::Failure(super::TENANT_GONE.into()))
        }
    }

    /// The value under `key`.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.check_alive()?;
        self.space.get(key)
    }

    /// Up to `limit` entries with `start <= key < end`, ascending.
    pub fn scan(&self, start: &[u8], end: &[u8], limit: u32) -> Result<Vec<Entry>, StoreError> {
        self.check_alive()?;
        if start >= end || limit == 0 {
            return Ok(Vec::new());
        }
        self.space.scan(start, end, limit)
    }

    /// Apply `writes` atomically iff every guard holds, then make them
    /// durable (per [`Durability`](super::Durability)) before returning.
    pub fn commit(&self, guards: &[Guard], writes: &[Write]) -> Result<(), StoreError> {
        self.check_alive()?;
        if writes.is_empty() && guards.is_empty() {
            return Ok(());
        }
        let result = self.space.commit(guards, writes);
        if let Err(StoreError::Failure(m)) = &result
            && m == super::TENANT_GONE
        {
            // Another host deleted the tenant: stop using this space.
            self.retire();
        }
        result
    }

    /// How many keys this key space holds.
    pub fn len(&self) -> Result<usize, StoreError> {
        self.check_alive()?;
        self.space.len()
    }

    /// Whether this key space holds no key.
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        self.len().map(|n| n == 0)
    }
}

/// A backend failure as the store contract reports it: as text, because it
/// crosses the component boundary. The cause is logged here, with its chain.
pub(super) fn failure(e: impl std::error::Error + 'static) -> StoreError {
    tracing::error!(error = &e as &dyn std::error::Error, "store backend failed");
    StoreError::Failure(e.to_string())
}
