//! Group commit: one fsync covers every commit that finished before it
//! started, so concurrent writers share flushes instead of queueing one
//! fsync each. A failed fsync stops all later writes.

use std::sync::{Condvar, Mutex};

use moth_core::StoreError;

use crate::store::Durability;

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
    /// A flush failed with this. After a failed fsync the kernel may have
    /// dropped the dirty pages and a retry can report success for data
    /// that never reached the disk (PostgreSQL's fsync lesson), so the
    /// failure is permanent: every later write is refused until restart.
    failed: Option<String>,
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
            if let Some(msg) = &st.failed {
                return Err(refused(msg));
            }
            if st.completed >= mine {
                return Ok(());
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
            if let Err(e) = result {
                tracing::error!(
                    error = &e as &dyn std::error::Error,
                    "flushing the database failed; refusing every write from now on"
                );
                st.failed = Some(e.to_string());
            }
            self.done.notify_all();
        }
    }

    /// Fail when an earlier flush failed: no write may start then.
    pub(super) fn check_writable(&self) -> Result<(), StoreError> {
        match &self.state.lock().unwrap_or_else(|p| p.into_inner()).failed {
            Some(msg) => Err(refused(msg)),
            None => Ok(()),
        }
    }

    /// Make the next flush fail as a broken disk would. For tests.
    #[cfg(feature = "testing")]
    pub(super) fn fail(&self, why: &str) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.failed = Some(why.to_owned());
    }
}

fn refused(cause: &str) -> StoreError {
    StoreError::Failure(format!(
        "the database refuses writes after a failed flush ({cause}); restart moth once the disk is healthy"
    ))
}
