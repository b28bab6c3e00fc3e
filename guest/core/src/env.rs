//! The environment the logic runs in: an ordered key-value store with
//! guarded commits, a wall clock and a source of secure randomness.
//!
//! In the component these are the WIT imports; natively they are whatever
//! implements [`Env`] (the host's sled store, or [`crate::memory::MemoryEnv`]
//! in tests).

use core::fmt;

/// A precondition of [`Env::commit`]. Its `Debug` shows the key but only
/// the length of the value, which may hold a password hash.
#[derive(Clone, PartialEq, Eq)]
pub struct Guard {
    /// The key to check.
    pub key: Vec<u8>,
    /// The value it must hold, or `None` when it must be absent.
    pub expect: Option<Vec<u8>>,
}

/// One change applied by [`Env::commit`]. Its `Debug` shows the key but
/// only the length of the value, which may hold a password hash.
#[derive(Clone, PartialEq, Eq)]
pub struct Write {
    /// The key to change.
    pub key: Vec<u8>,
    /// The new value, or `None` to delete the key.
    pub value: Option<Vec<u8>>,
}

impl Guard {
    /// The key must currently hold `value` (or be absent when `None`).
    pub fn equals(key: Vec<u8>, value: Option<Vec<u8>>) -> Self {
        Guard { key, expect: value }
    }

    /// The key must currently be absent.
    pub fn absent(key: Vec<u8>) -> Self {
        Guard { key, expect: None }
    }
}

impl Write {
    /// Set `key` to `value`.
    pub fn put(key: Vec<u8>, value: Vec<u8>) -> Self {
        Write {
            key,
            value: Some(value),
        }
    }

    /// Delete `key` (a no-op when absent).
    pub fn delete(key: Vec<u8>) -> Self {
        Write { key, value: None }
    }
}

/// Debug-prints a key as escaped bytes: keys hold tags, ids, usernames and
/// token digests, never a secret.
struct Key<'a>(&'a [u8]);

impl fmt::Debug for Key<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b\"{}\"", self.0.escape_ascii())
    }
}

/// Debug-prints a value as its length only: values include user records,
/// which hold password hashes.
struct Redacted<'a>(&'a Option<Vec<u8>>);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(v) => write!(f, "Some(<{} bytes, redacted>)", v.len()),
            None => f.write_str("None"),
        }
    }
}

impl fmt::Debug for Guard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Guard")
            .field("key", &Key(&self.key))
            .field("expect", &Redacted(&self.expect))
            .finish()
    }
}

impl fmt::Debug for Write {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Write")
            .field("key", &Key(&self.key))
            .field("value", &Redacted(&self.value))
            .finish()
    }
}

/// Why a store call failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// A guard did not hold; nothing was written.
    #[error("a guarded commit conflicted")]
    Conflict,
    /// The backend failed.
    #[error("store failure: {0}")]
    Failure(String),
}

/// A stored key and its value, as returned by [`Env::scan`].
pub type Entry = (Vec<u8>, Vec<u8>);

/// Everything the authentication logic needs from outside.
///
/// Implementations must make `commit` atomic (all writes or none) and
/// durable before it returns `Ok`, and `random` cryptographically secure.
pub trait Env {
    /// The value under `key`, if any.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;

    /// Up to `limit` entries with `start <= key < end`, ascending.
    fn scan(&self, start: &[u8], end: &[u8], limit: u32) -> Result<Vec<Entry>, StoreError>;

    /// Apply `writes` atomically iff every guard holds.
    fn commit(&self, guards: &[Guard], writes: &[Write]) -> Result<(), StoreError>;

    /// Seconds since the Unix epoch.
    fn now(&self) -> u64;

    /// Fill `buf` with cryptographically secure random bytes.
    fn random(&self, buf: &mut [u8]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_keys_but_not_values() {
        let w = Write::put(b"u\x01".to_vec(), b"$argon2id$secret".to_vec());
        let g = Guard::equals(b"u\x01".to_vec(), Some(b"$argon2id$secret".to_vec()));
        for shown in [format!("{w:?}"), format!("{g:?}")] {
            assert!(shown.contains(r#"b"u\x01""#), "{shown}");
            assert!(shown.contains("<16 bytes, redacted>"), "{shown}");
            assert!(!shown.contains("argon2"), "{shown}");
        }
        assert_eq!(
            format!("{:?}", Write::delete(b"t".to_vec())),
            r#"Write { key: b"t", value: None }"#
        );
    }
}
