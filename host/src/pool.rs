//! A bounded pool of reusable instances.
//!
//! The component is stateless between calls, so an instance can serve call
//! after call; only a trap makes it suspect, and then it is dropped. The
//! bound caps memory: each instance may hold Argon2's working memory.

use std::sync::{Condvar, Mutex};

use crate::error::Result;

/// Up to `max` items, created on demand, lent one caller at a time.
pub(crate) struct Pool<T> {
    state: Mutex<State<T>>,
    freed: Condvar,
    max: usize,
}

struct State<T> {
    idle: Vec<T>,
    /// Items that exist: idle plus lent out.
    live: usize,
}

impl<T> Pool<T> {
    pub fn new(max: usize) -> Self {
        Pool {
            state: Mutex::new(State {
                idle: Vec::new(),
                live: 0,
            }),
            freed: Condvar::new(),
            max: max.max(1),
        }
    }

    /// Take an idle item, or create one with `make` while under the bound,
    /// or wait for one to come back.
    pub fn take(&self, make: impl FnOnce() -> Result<T>) -> Result<T> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(item) = st.idle.pop() {
                return Ok(item);
            }
            if st.live < self.max {
                st.live += 1;
                drop(st);
                return make().inspect_err(|_| self.discard());
            }
            st = self.freed.wait(st).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Give a healthy item back.
    pub fn put(&self, item: T) {
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .idle
            .push(item);
        self.freed.notify_one();
    }

    /// Forget a lent item (it was dropped), freeing its place.
    pub fn discard(&self) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).live -= 1;
        self.freed.notify_one();
    }

    /// How many items exist now.
    pub fn live(&self) -> usize {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).live
    }
}
