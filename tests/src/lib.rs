//! Helpers shared by the end-to-end tests.

pub mod http;

use std::path::Path;
use std::sync::Arc;

use moth::{ManualClock, Moth, Options, Settings, StoreLocation};

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

/// The environment variable naming the PostgreSQL database the
/// PostgreSQL tests use (as `postgres://…`).
pub const POSTGRES_ENV: &str = "MOTH_TEST_POSTGRES";
/// Set to `postgres` to run the store suites (lifecycle, tenancy,
/// concurrency, crash, conformance) on [`POSTGRES_ENV`]'s database
/// instead of sled: the same test code over either backend.
pub const STORE_ENV: &str = "MOTH_TEST_STORE";

/// The PostgreSQL URL of [`POSTGRES_ENV`], if set. Under CI (`CI` set) a
/// test that needs PostgreSQL fails rather than skip when it is missing.
pub fn postgres_url() -> Option<String> {
    match std::env::var(POSTGRES_ENV) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{POSTGRES_ENV} is not set under CI: the PostgreSQL tests cannot run"
            );
            None
        }
    }
}

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

/// A schema of its own in the PostgreSQL database at `url`, for the test
/// whose files are in `dir`: its URL puts the schema first on the search
/// path, so moth's tables are made there.
pub fn postgres_schema(url: &str, dir: &Path) -> StoreLocation {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    dir.hash(&mut h);
    std::process::id().hash(&mut h);
    let schema = format!("moth_test_{:016x}", h.finish());
    let mut client = postgres::Client::connect(url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("connecting to {POSTGRES_ENV}: {e}"));
    client
        .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
        .expect("create a test schema");
    let sep = if url.contains('?') { '&' } else { '?' };
    StoreLocation::Postgres(format!("{url}{sep}options=-c%20search_path%3D{schema}"))
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
