//! The WIT imports (store, wall clock, randomness) as a [`moth_core::Env`].

use moth_core::{Auth, Entry, Env, Guard, StoreError, Write};

use crate::bindings::moth::auth::store;
use crate::bindings::wasi::{clocks::wall_clock, random::random};

/// The WIT imports, as an environment for the core logic.
pub struct Imports;

/// The core logic over the WIT imports. Stateless: every call builds one.
pub fn auth() -> Auth<Imports> {
    Auth::new(Imports)
}

impl Env for Imports {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        store::get(key).map_err(Into::into)
    }

    fn scan(&self, start: &[u8], end: &[u8], limit: u32) -> Result<Vec<Entry>, StoreError> {
        let entries = store::scan(start, end, limit)?;
        Ok(entries.into_iter().map(Into::into).collect())
    }

    fn commit(&self, guards: &[Guard], writes: &[Write]) -> Result<(), StoreError> {
        let guards: Vec<store::Guard> = guards.iter().map(Into::into).collect();
        let writes: Vec<store::Write> = writes.iter().map(Into::into).collect();
        store::commit(&guards, &writes).map_err(Into::into)
    }

    fn now(&self) -> u64 {
        wall_clock::now().seconds
    }

    fn random(&self, buf: &mut [u8]) {
        let bytes = random::get_random_bytes(buf.len() as u64);
        // A host that returns fewer bytes than asked would silently weaken
        // every token and salt: better to trap.
        assert_eq!(bytes.len(), buf.len(), "host returned short randomness");
        buf.copy_from_slice(&bytes);
    }
}
