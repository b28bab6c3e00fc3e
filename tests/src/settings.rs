//! Test settings, shared by moth-tests (re-exported from its lib) and by
//! the host's own tests, which include this file by path.

use moth::Settings;

/// Argon2 costs low enough for tests that log in thousands of times. One
/// test (`defaults.rs`) runs with the real defaults.
pub fn cheap_settings() -> Settings {
    Settings {
        argon2_memory_kib: 8,
        argon2_iterations: 1,
        allow_weak_hashing: true,
        // Tests use short passwords; the policy has tests of its own.
        min_password_length: 1,
        refuse_common_passwords: false,
        argon2_parallelism: 1,
        ..Settings::default()
    }
}
