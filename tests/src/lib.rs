//! Helpers shared by the end-to-end tests.

use std::path::Path;
use std::sync::Arc;

use moth::clock::ManualClock;
use moth::{Moth, Options, Settings};

/// Argon2 costs low enough for tests that log in thousands of times. One
/// test (`defaults.rs`) runs with the real defaults.
pub fn cheap_settings() -> Settings {
    Settings {
        argon2_memory_kib: 8,
        argon2_iterations: 1,
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
