//! The three capabilities together: what one component instance (or the
//! native baseline) sees of the outside world.

use std::sync::Arc;

use moth_core::{Guard, StoreError, Write};

use crate::clock::Clock;
use crate::random::Random;
use crate::store::SledStore;

/// A store, a clock and a random source. Cheap to clone.
#[derive(Clone)]
pub struct HostEnv {
    /// The key space calls read and write.
    pub store: SledStore,
    /// The wall clock.
    pub clock: Arc<dyn Clock>,
    /// The random source.
    pub random: Arc<dyn Random>,
}

impl std::fmt::Debug for HostEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostEnv")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

/// Natively, the same capabilities drive `moth_core::Auth` directly: the
/// baseline against which the component is measured.
impl moth_core::Env for HostEnv {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.store.get(key)
    }

    fn scan(
        &self,
        start: &[u8],
        end: &[u8],
        limit: u32,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError> {
        self.store.scan(start, end, limit)
    }

    fn commit(&self, guards: &[Guard], writes: &[Write]) -> Result<(), StoreError> {
        self.store.commit(guards, writes)
    }

    fn now(&self) -> u64 {
        self.clock.now().0
    }

    fn random(&self, buf: &mut [u8]) {
        self.random.fill(buf)
    }
}
