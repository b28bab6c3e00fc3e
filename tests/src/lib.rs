//! Helpers shared by the end-to-end tests.

pub mod api;
pub mod http;
pub mod pg;
mod settings;

use std::path::Path;
use std::sync::Arc;

use moth::{ManualClock, Moth, Options, StoreLocation};

pub use http::{Reply, http};
pub use pg::{POSTGRES_ENV, STORE_ENV, postgres_schema, postgres_url};
pub use settings::cheap_settings;

/// Where a test keeps its database: a sled directory in `dir`, or, when
/// [`STORE_ENV`] is `postgres`, a PostgreSQL schema of its own (named
/// after `dir`, so the same `dir` always gives the same database).
pub fn store(dir: &Path) -> StoreLocation {
    match std::env::var(STORE_ENV).as_deref() {
        Ok("postgres") => {
            let url = std::env::var(POSTGRES_ENV)
                .unwrap_or_else(|_| panic!("{STORE_ENV}=postgres needs {POSTGRES_ENV}"));
            postgres_schema(&url, dir)
        }
        Ok("sled") | Err(_) => StoreLocation::Sled(dir.join("moth.db")),
        Ok(other) => panic!("{STORE_ENV} is sled or postgres, not {other:?}"),
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
        .open(store(dir))
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
    assert_eq!(all.len(), store.len().unwrap(), "the scan saw every key");
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
