//! Host side of the WIT world: the generated bindings and the three
//! imports implemented over [`HostEnv`].

// The generated items carry the WIT's documentation where it has any; the
// rest (constructors, accessors) are wasmtime's and undocumented.
#![allow(missing_docs)]

use crate::env::HostEnv;
use crate::runtime::MemoryCap;

wasmtime::component::bindgen!({
    world: "auth",
    path: "../wit",
});

pub use self::moth::auth::store::{Entry, Guard, StoreError, Write};
pub use exports::moth::auth::users as types;

/// What each wasmtime `Store` carries: the capabilities and the limits.
pub struct HostState {
    /// The capabilities the instance's imports reach.
    pub env: HostEnv,
    /// The instance's memory cap.
    pub(crate) limits: MemoryCap,
}

fn store_error(e: moth_core::StoreError) -> StoreError {
    match e {
        moth_core::StoreError::Conflict => StoreError::Conflict,
        moth_core::StoreError::Failure(m) => StoreError::Failure(m),
    }
}

impl self::moth::auth::store::Host for HostState {
    fn get(&mut self, key: Vec<u8>) -> Result<Option<Vec<u8>>, StoreError> {
        self.env.store.get(&key).map_err(store_error)
    }

    fn scan(&mut self, start: Vec<u8>, end: Vec<u8>, limit: u32) -> Result<Vec<Entry>, StoreError> {
        let entries = self
            .env
            .store
            .scan(&start, &end, limit)
            .map_err(store_error)?;
        Ok(entries
            .into_iter()
            .map(|(key, value)| Entry { key, value })
            .collect())
    }

    fn commit(&mut self, guards: Vec<Guard>, writes: Vec<Write>) -> Result<(), StoreError> {
        let guards: Vec<moth_core::Guard> = guards
            .into_iter()
            .map(|g| moth_core::Guard {
                key: g.key,
                expect: g.expect,
            })
            .collect();
        let writes: Vec<moth_core::Write> = writes
            .into_iter()
            .map(|w| moth_core::Write {
                key: w.key,
                value: w.value,
            })
            .collect();
        self.env.store.commit(&guards, &writes).map_err(store_error)
    }
}

impl wasi::clocks::wall_clock::Host for HostState {
    fn now(&mut self) -> wasi::clocks::wall_clock::Datetime {
        let (seconds, nanoseconds) = self.env.clock.now();
        wasi::clocks::wall_clock::Datetime {
            seconds,
            nanoseconds,
        }
    }

    fn resolution(&mut self) -> wasi::clocks::wall_clock::Datetime {
        wasi::clocks::wall_clock::Datetime {
            seconds: 0,
            nanoseconds: 1,
        }
    }
}

impl wasi::random::random::Host for HostState {
    fn get_random_bytes(&mut self, len: u64) -> Vec<u8> {
        // The guest asks for salts and tokens (tens of bytes); cap what a
        // misbehaving guest can make the host allocate.
        let len = usize::try_from(len).unwrap_or(usize::MAX).min(1 << 20);
        let mut buf = vec![0; len];
        self.env.random.fill(&mut buf);
        buf
    }

    fn get_random_u64(&mut self) -> u64 {
        let mut buf = [0; 8];
        self.env.random.fill(&mut buf);
        u64::from_le_bytes(buf)
    }
}

impl From<types::Error> for crate::Error {
    fn from(e: types::Error) -> Self {
        use types::Error as E;
        match e {
            E::NoUser => crate::Error::NoUser,
            E::InvalidPassword => crate::Error::InvalidPassword,
            E::UserExists => crate::Error::UserExists,
            E::InvalidToken => crate::Error::InvalidToken,
            E::TokenExpired => crate::Error::TokenExpired,
            E::InvalidInput(m) => crate::Error::InvalidInput(m),
            E::Storage(m) => crate::Error::Storage(m),
        }
    }
}

impl From<types::User> for moth_core::User {
    fn from(u: types::User) -> Self {
        moth_core::User {
            id: u.id,
            username: u.username,
            permissions: u.permissions,
        }
    }
}

impl From<types::Settings> for moth_core::Settings {
    fn from(s: types::Settings) -> Self {
        moth_core::Settings {
            argon2_memory_kib: s.argon2_memory_kib,
            argon2_iterations: s.argon2_iterations,
            argon2_parallelism: s.argon2_parallelism,
            default_token_lifetime: s.default_token_lifetime,
        }
    }
}

impl From<moth_core::Settings> for types::Settings {
    fn from(s: moth_core::Settings) -> Self {
        types::Settings {
            argon2_memory_kib: s.argon2_memory_kib,
            argon2_iterations: s.argon2_iterations,
            argon2_parallelism: s.argon2_parallelism,
            default_token_lifetime: s.default_token_lifetime,
        }
    }
}
