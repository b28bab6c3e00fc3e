//! An in-memory [`Env`] for tests: a sorted map, a settable clock and
//! seeded, deterministic (so *not* secure) randomness.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Bound;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::env::{Entry, Env, Guard, StoreError, Write};

/// A test environment. Its randomness is a seeded SplitMix64 stream: fine
/// for tests, never for real tokens. Its `Debug` shows neither the stored
/// values (user records hold password hashes) nor the random state (which
/// predicts every token and salt).
#[derive(Default)]
pub struct MemoryEnv {
    map: Mutex<BTreeMap<Vec<u8>, Vec<u8>>>,
    now: AtomicU64,
    seed: AtomicU64,
    commits: AtomicU64,
    max_writes: AtomicU64,
}

impl MemoryEnv {
    /// An empty store at time 1 000 000 000 (2001-09-09).
    pub fn new() -> Self {
        let env = MemoryEnv::default();
        env.now.store(1_000_000_000, Ordering::Relaxed);
        env
    }

    /// Set the clock.
    pub fn set_now(&self, secs: u64) {
        self.now.store(secs, Ordering::Relaxed);
    }

    /// Move the clock forward.
    pub fn advance(&self, secs: u64) {
        self.now.fetch_add(secs, Ordering::Relaxed);
    }

    /// How many keys the store holds.
    pub fn len(&self) -> usize {
        self.map.lock().unwrap().len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A copy of every entry, for asserting on the raw store.
    pub fn dump(&self) -> Vec<Entry> {
        self.map
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// How many commits succeeded so far.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// The most writes one successful commit carried since the store was
    /// made or [`MemoryEnv::reset_max_commit_writes`] was last called: how
    /// tests bound the size of a commit.
    pub fn max_commit_writes(&self) -> u64 {
        self.max_writes.load(Ordering::Relaxed)
    }

    /// Start measuring [`MemoryEnv::max_commit_writes`] afresh.
    pub fn reset_max_commit_writes(&self) {
        self.max_writes.store(0, Ordering::Relaxed);
    }
}

impl fmt::Debug for MemoryEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryEnv")
            .field("len", &self.len())
            .field("now", &self.now())
            .field("commits", &self.commits())
            .field("max_commit_writes", &self.max_commit_writes())
            .field("seed", &"<redacted>")
            .finish()
    }
}

impl Env for MemoryEnv {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.map.lock().unwrap().get(key).cloned())
    }

    fn scan(&self, start: &[u8], end: &[u8], limit: u32) -> Result<Vec<Entry>, StoreError> {
        if start >= end {
            return Ok(Vec::new());
        }
        let map = self.map.lock().unwrap();
        Ok(map
            .range::<[u8], _>((Bound::Included(start), Bound::Excluded(end)))
            .take(limit as usize)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    fn commit(&self, guards: &[Guard], writes: &[Write]) -> Result<(), StoreError> {
        let mut map = self.map.lock().unwrap();
        if guards.iter().any(|g| map.get(&g.key) != g.expect.as_ref()) {
            return Err(StoreError::Conflict);
        }
        for w in writes {
            match &w.value {
                Some(v) => map.insert(w.key.clone(), v.clone()),
                None => map.remove(&w.key),
            };
        }
        self.commits.fetch_add(1, Ordering::Relaxed);
        self.max_writes
            .fetch_max(writes.len() as u64, Ordering::Relaxed);
        Ok(())
    }

    fn now(&self) -> u64 {
        self.now.load(Ordering::Relaxed)
    }

    fn random(&self, buf: &mut [u8]) {
        seeded_fill(&self.seed, buf);
    }
}

/// Fill `buf` from a SplitMix64 stream whose state is `state`. Deterministic
/// and fast, for test doubles only: never for real tokens.
pub fn seeded_fill(state: &AtomicU64, buf: &mut [u8]) {
    for chunk in buf.chunks_mut(8) {
        let mut z = state.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
    }
}

#[cfg(test)]
mod racy;
#[cfg(test)]
pub(crate) use racy::{Racy, before_next_commit};
