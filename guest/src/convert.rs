//! Every conversion between WIT types and moth-core types, each written
//! once: results and errors, users, pages, sessions, validations, sweep
//! outcomes, settings, email tokens, API keys and one-time tokens outward;
//! settings, email-token options, key owners, store errors and entries
//! inward; guards and writes toward the store.

use crate::bindings::exports::moth::auth::{
    api_keys, email_tokens, one_time_tokens, sessions, settings, types, users,
};
use crate::bindings::moth::auth::store;

/// A core result as a WIT result: the value and the error converted.
pub fn wit<T, U: From<T>>(result: moth_core::Result<T>) -> Result<U, types::Error> {
    result.map(Into::into).map_err(Into::into)
}

/// A core result holding a list as a WIT result: each item converted.
pub fn wit_list<T, U: From<T>>(result: moth_core::Result<Vec<T>>) -> Result<Vec<U>, types::Error> {
    result
        .map(|items| items.into_iter().map(Into::into).collect())
        .map_err(Into::into)
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
            E::IpMismatch => Self::IpMismatch,
            E::NameTaken => Self::NameTaken,
            E::LimitReached(m) => Self::LimitReached(m),
            // Until the WIT `error` variant gains its own case (the attempts
            // interface), a lockout reaches hosts as a limit with the wait.
            E::LockedOut(secs) => {
                Self::LimitReached(format!("Too many failed attempts; retry in {secs} seconds"))
            }
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

impl From<moth_core::SessionInfo> for sessions::SessionInfo {
    fn from(s: moth_core::SessionInfo) -> Self {
        Self {
            id: s.id,
            created: s.created,
            expires: s.expires,
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
            max_tokens_per_user: s.max_tokens_per_user,
            min_password_length: s.min_password_length,
            refuse_common_passwords: s.refuse_common_passwords,
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
            max_tokens_per_user: s.max_tokens_per_user,
            min_password_length: s.min_password_length,
            refuse_common_passwords: s.refuse_common_passwords,
            // Not in the WIT record yet: the defaults.
            ..moth_core::Settings::default()
        }
    }
}

impl From<email_tokens::EmailTokenOptions> for moth_core::EmailTokenOptions {
    fn from(o: email_tokens::EmailTokenOptions) -> Self {
        Self {
            ip: o.ip,
            lifetime: o.lifetime,
            retval: o.retval,
            uses: o.uses,
        }
    }
}

impl From<moth_core::EmailToken> for email_tokens::EmailToken {
    fn from(t: moth_core::EmailToken) -> Self {
        Self {
            token: t.token,
            id: t.id,
            expires: t.expires,
        }
    }
}

impl From<moth_core::EmailTokenInfo> for email_tokens::EmailTokenInfo {
    fn from(i: moth_core::EmailTokenInfo) -> Self {
        Self {
            id: i.id,
            ip: i.ip,
            created: i.created,
            expires: i.expires,
            uses_left: i.uses_left,
        }
    }
}

impl From<api_keys::KeyOwner> for moth_core::KeyOwner {
    fn from(o: api_keys::KeyOwner) -> Self {
        match o {
            api_keys::KeyOwner::User(id) => Self::User(id),
            api_keys::KeyOwner::Service(name) => Self::Service(name),
        }
    }
}

impl From<moth_core::KeyOwner> for api_keys::KeyOwner {
    fn from(o: moth_core::KeyOwner) -> Self {
        match o {
            moth_core::KeyOwner::User(id) => Self::User(id),
            moth_core::KeyOwner::Service(name) => Self::Service(name),
        }
    }
}

impl From<moth_core::ApiKey> for api_keys::ApiKey {
    fn from(k: moth_core::ApiKey) -> Self {
        Self {
            id: k.id,
            owner: k.owner.into(),
            name: k.name,
            scopes: k.scopes,
            created: k.created,
            expires: k.expires,
            last_used: k.last_used,
        }
    }
}

impl From<moth_core::NewApiKey> for api_keys::NewApiKey {
    fn from(k: moth_core::NewApiKey) -> Self {
        Self {
            key: k.key,
            info: k.info.into(),
        }
    }
}

impl From<moth_core::OneTimeToken> for one_time_tokens::OneTimeToken {
    fn from(t: moth_core::OneTimeToken) -> Self {
        Self {
            token: t.token,
            expires: t.expires,
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
