//! Helpers shared by the end-to-end tests.

pub mod http;

use std::path::Path;
use std::sync::Arc;

use moth::{ManualClock, Moth, Options, Settings};

pub use http::{Reply, http};

/// Argon2 costs low enough for tests that log in thousands of times. One
/// test (`defaults.rs`) runs with the real defaults.
pub fn cheap_settings() -> Settings {
    Settings {
        argon2_memory_kib: 8,
        argon2_iterations: 1,
        allow_weak_hashing: true,
        argon2_parallelism: 1,
        ..Settings::default()
    }
}

/// A fresh database in `dir` with cheap hashing and a manual clock.
pub fn open(dir: &Path) -> (Moth, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::at(1_700_000_000));
    let moth = Options::new()
        .create(true)
        .settings(cheap_settings())
        .sweep_interval(None)
        .clock(clock.clone())
        .open(dir.join("moth.db"))
        .expect("open a fresh database");
    (moth, clock)
}

/// Every key and value in `moth`'s tenant store, in key order: what the
/// guest could reach, read without knowing its key layout. Call it only
/// while nothing writes to that tenant.
pub fn dump(moth: &Moth) -> Vec<(Vec<u8>, Vec<u8>)> {
    let store = &moth.capabilities().store;
    let all = store
        .scan(&[], &[0xff; 64], u32::MAX)
        .expect("scan the tenant store");
    assert_eq!(all.len(), store.len(), "the scan saw every key");
    all
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Run `f(thread_index)` on `n` threads at once and concatenate what they return.
pub fn on_threads<T: Send>(n: usize, f: impl Fn(usize) -> Vec<T> + Sync) -> Vec<T> {
    std::thread::scope(|s| {
        let f = &f;
        let handles: Vec<_> = (0..n).map(|i| s.spawn(move || f(i))).collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}
