//! The three capabilities together — a store, a clock, a random source —
//! as one component instance (or the native baseline) sees them.

mod clock;
mod random;

use std::sync::Arc;

#[cfg(feature = "testing")]
pub use clock::ManualClock;
pub use clock::{Clock, SystemClock};
#[cfg(feature = "testing")]
pub use random::SeededRandom;
pub use random::{OsRandom, Random};

use crate::store::Store;

/// A store, a clock and a random source: everything a call can reach.
/// Cheap to clone.
#[derive(Clone)]
pub struct Capabilities {
    /// The key space calls read and write (one tenant's).
    pub store: Store,
    /// The wall clock.
    pub clock: Arc<dyn Clock>,
    /// The random source.
    pub random: Arc<dyn Random>,
}

impl std::fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capabilities")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

/// Natively, the same capabilities drive `moth_core::Auth` directly: the
/// baseline the component is measured against. Test and benchmark use
/// only: `Env::now` and `Env::random` cannot fail, so a failing clock or
/// OS random source panics here, where the component's imports trap the
/// call instead.
#[cfg(feature = "testing")]
impl moth_core::Env for Capabilities {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, moth_core::StoreError> {
        self.store.get(key)
    }

    fn scan(
        &self,
        start: &[u8],
        end: &[u8],
        limit: u32,
    ) -> Result<Vec<moth_core::Entry>, moth_core::StoreError> {
        self.store.scan(start, end, limit)
    }

    fn commit(
        &self,
        guards: &[moth_core::Guard],
        writes: &[moth_core::Write],
    ) -> Result<(), moth_core::StoreError> {
        self.store.commit(guards, writes)
    }

    fn now(&self) -> u64 {
        self.clock.now().expect("the wall clock failed").0
    }

    fn random(&self, buf: &mut [u8]) {
        self.random
            .fill(buf)
            .expect("the operating system's random source failed");
    }
}
