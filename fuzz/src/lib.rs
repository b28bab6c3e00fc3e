//! The bodies of moth's fuzz targets, one module each; `fuzz_targets/*.rs`
//! only hand libFuzzer's input to `<target>::run`. Each `run` panics on a
//! finding and is also exercised on stable by this crate's tests, on inputs
//! from a deterministic generator ([`inputs`]).
//!
//! - [`token`]: arbitrary strings as tokens to `validate` and `logout`.
//! - [`record`]: stored values mutated under real keys, then every operation.
//! - [`http`]: arbitrary requests through the real HTTP router.
//! - [`component`]: arbitrary sequences of calls through the real component.

#![forbid(unsafe_code)]

#[cfg(feature = "host")]
pub mod component;
#[cfg(feature = "host")]
pub mod http;
pub mod inputs;
pub mod record;
pub mod token;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use moth_core::Settings;

/// Argon2 costs low enough to hash thousands of times a second.
pub fn cheap_settings() -> Settings {
    Settings {
        argon2_memory_kib: 8,
        argon2_iterations: 1,
        argon2_parallelism: 1,
        allow_weak_hashing: true,
        // Tests use short passwords; the policy has tests of its own.
        min_password_length: 1,
        refuse_common_passwords: false,
        // The targets check that refused calls leave the store as it was
        // and that logins always succeed with the right password; the
        // attempt log and lockout (which write on every check, and refuse
        // right passwords when locked) have their own tests, and the
        // component target fuzzes their settings.
        lockout_threshold: 0,
        source_lockout_threshold: 0,
        log_retention: 0,
        ..Settings::default()
    }
}

/// A token of the right shape and checksum over `random`: `moth_` + 43
/// base64url characters + the 6-character checksum. Never minted.
pub fn forge(random: &[u8; 32]) -> String {
    forge_prefixed(moth_core::TOKEN_PREFIX, random)
}

/// As [`forge`], for the kind of token `prefix` names (`mothe_` email
/// tokens, `mothk_` API keys, `motho_` one-time tokens).
pub fn forge_prefixed(prefix: &str, random: &[u8; 32]) -> String {
    let mut t = String::from(prefix);
    URL_SAFE_NO_PAD.encode_string(random, &mut t);
    checksummed(t)
}

/// `body` (a prefix and 43 base64url characters) with its checksum
/// appended: well-formed if the body is.
pub fn checksummed(mut body: String) -> String {
    let crc = crc32fast::hash(body.as_bytes());
    URL_SAFE_NO_PAD.encode_string(crc.to_be_bytes(), &mut body);
    body
}

/// `data` as text: itself when it is UTF-8, else with U+FFFD for each
/// invalid sequence.
pub fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}
