//! The PostgreSQL side of the tests: where the test database is, and a
//! schema of its own for each test. Shared by moth-tests (re-exported from
//! its lib) and by the host's own tests, which include this file by path.

use std::path::Path;

use moth::StoreLocation;

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

/// A schema of its own in the PostgreSQL database at `url`, for the test
/// whose files are in `dir`: its URL puts the schema first on the search
/// path, so moth's tables are made there.
pub fn postgres_schema(url: &str, dir: &Path) -> StoreLocation {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    dir.hash(&mut h);
    std::process::id().hash(&mut h);
    let schema = format!("moth_test_{:016x}", h.finish());
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap_or_else(|e| {
        // The URL as moth shows it: password redacted.
        let shown = StoreLocation::Postgres(url.to_owned());
        panic!("connecting to {POSTGRES_ENV} ({shown}): {e}")
    });
    client
        .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
        .expect("create a test schema");
    let sep = if url.contains('?') { '&' } else { '?' };
    StoreLocation::Postgres(format!("{url}{sep}options=-c%20search_path%3D{schema}"))
}
