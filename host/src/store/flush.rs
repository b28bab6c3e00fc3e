//! Group commit: one fsync covers every commit that finished before it
//! started, so concurrent writers share flushes instead of queueing one
//! fsync each.

use std::sync::{Condvar, Mutex};

use moth_core::StoreError;

use super::Durability;

/// Group commit: one fsync covers every commit that finished before it
/// started, so concurrent writers share flushes instead of queueing one
/// fsync each.
pub(crate) struct GroupFlush {
    pub(super) db: sled::Db,
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
    pub(super) fn new(db: sled::Db, durability: Durability) -> Self {
        GroupFlush {
            db,
            durability,
            state: Mutex::default(),
            done: Condvar::new(),
        }
    }

    pub(super) fn flush(&self) -> Result<(), StoreError> {
        if self.durability == Durability::Buffered {
            return Ok(());
        }
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.requested += 1;
        let mine = st.requested;
        loop {
            if st.completed >= mine {
                return match &st.failed {
                    Some((upto, msg)) if *upto >= mine => Err(StoreError::Failure(msg.clone())),
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
            st.failed = result.err().map(|e| {
                tracing::error!(
                    error = &e as &dyn std::error::Error,
                    "flushing the database failed"
                );
                (target, e.to_string())
            });
            self.done.notify_all();
        }
    }
}
