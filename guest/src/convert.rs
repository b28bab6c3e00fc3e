//! Every conversion between WIT types and moth-core types, each written
//! once: results and errors, users, pages, sessions, validations, sweep
//! outcomes and settings outward; settings, store errors and entries
//! inward; guards and writes toward the store.

use crate::bindings::exports::moth::auth::{sessions, settings, types, users};
use crate::bindings::moth::auth::store;

/// A core result as a WIT result: the value and the error converted.
pub fn wit<T, U: From<T>>(result: moth_core::Result<T>) -> Result<U, types::Error> {
    result.map(Into::into).map_err(Into::into)
}

impl From<moth_core::Error> for types::Error {
    fn from(e: moth_core::Error) -> Self {
        use moth_core::Error as E;
        match e {
            E::NoUser => Self::NoUser,
            E::InvalidPassword => Self::InvalidPassword,
            E::UserExists => Self::UserExists,
            E::InvalidToken => Self::InvalidToken,
            E::TokenExpired => Self::TokenExpired,
            E::InvalidInput(m) => Self::InvalidInput(m),
            E::Storage(m) => Self::Storage(m),
        }
    }
}

impl From<moth_core::User> for types::User {
    fn from(u: moth_core::User) -> Self {
        Self {
            id: u.id,
            username: u.username,
            permissions: u.permissions,
        }
    }
}

impl From<moth_core::UserPage> for users::UserPage {
    fn from(p: moth_core::UserPage) -> Self {
        Self {
            users: p.users.into_iter().map(Into::into).collect(),
            next: p.next,
        }
    }
}

impl From<moth_core::Session> for sessions::Session {
    fn from(s: moth_core::Session) -> Self {
        Self {
            token: s.token,
            user: s.user.into(),
            expires: s.expires,
        }
    }
}

impl From<moth_core::Validation> for sessions::Validation {
    fn from(v: moth_core::Validation) -> Self {
        Self {
            user: v.user.into(),
            expires: v.expires,
        }
    }
}

impl From<moth_core::SweepOutcome> for sessions::SweepOutcome {
    fn from(o: moth_core::SweepOutcome) -> Self {
        Self {
            deleted: o.deleted,
            next_expiry: o.next_expiry,
        }
    }
}

impl From<moth_core::Settings> for settings::Settings {
    fn from(s: moth_core::Settings) -> Self {
        Self {
            argon2_memory_kib: s.argon2_memory_kib,
            argon2_iterations: s.argon2_iterations,
            argon2_parallelism: s.argon2_parallelism,
            default_token_lifetime: s.default_token_lifetime,
            allow_weak_hashing: s.allow_weak_hashing,
        }
    }
}

impl From<settings::Settings> for moth_core::Settings {
    fn from(s: settings::Settings) -> Self {
        Self {
            argon2_memory_kib: s.argon2_memory_kib,
            argon2_iterations: s.argon2_iterations,
            argon2_parallelism: s.argon2_parallelism,
            default_token_lifetime: s.default_token_lifetime,
            allow_weak_hashing: s.allow_weak_hashing,
        }
    }
}

impl From<store::StoreError> for moth_core::StoreError {
    fn from(e: store::StoreError) -> Self {
        match e {
            store::StoreError::Conflict => Self::Conflict,
            store::StoreError::Failure(m) => Self::Failure(m),
        }
    }
}

impl From<store::Entry> for moth_core::Entry {
    fn from(e: store::Entry) -> Self {
        (e.key, e.value)
    }
}

impl From<&moth_core::Guard> for store::Guard {
    fn from(g: &moth_core::Guard) -> Self {
        Self {
            key: g.key.clone(),
            expect: g.expect.clone(),
        }
    }
}

impl From<&moth_core::Write> for store::Write {
    fn from(w: &moth_core::Write) -> Self {
        Self {
            key: w.key.clone(),
            value: w.value.clone(),
        }
    }
}
