//! Every conversion between the generated WIT types and the host's types,
//! each written once.

use moth_core::{
    ApiKey, EmailToken, EmailTokenInfo, EmailTokenOptions, KeyOwner, NewApiKey, OneTimeToken,
    Session, SessionInfo, Settings, SweepOutcome, User, UserPage, Validation,
};

use crate::bindings::{
    api_keys, email_tokens, one_time_tokens, sessions, settings, store, types, users,
};
use crate::error::Error;

impl From<moth_core::StoreError> for store::StoreError {
    fn from(e: moth_core::StoreError) -> Self {
        match e {
            moth_core::StoreError::Conflict => store::StoreError::Conflict,
            moth_core::StoreError::Failure(m) => store::StoreError::Failure(m),
        }
    }
}

impl From<store::Guard> for moth_core::Guard {
    fn from(g: store::Guard) -> Self {
        moth_core::Guard {
            key: g.key,
            expect: g.expect,
        }
    }
}

impl From<store::Write> for moth_core::Write {
    fn from(w: store::Write) -> Self {
        moth_core::Write {
            key: w.key,
            value: w.value,
        }
    }
}

impl From<(Vec<u8>, Vec<u8>)> for store::Entry {
    fn from((key, value): (Vec<u8>, Vec<u8>)) -> Self {
        store::Entry { key, value }
    }
}

impl From<types::Error> for Error {
    fn from(e: types::Error) -> Self {
        use types::Error as E;
        match e {
            E::NoUser => Error::NoUser,
            E::InvalidPassword => Error::InvalidPassword,
            E::UserExists => Error::UserExists,
            E::InvalidToken => Error::InvalidToken,
            E::TokenExpired => Error::TokenExpired,
            E::IpMismatch => Error::IpMismatch,
            E::NameTaken => Error::NameTaken,
            E::LimitReached(m) => Error::LimitReached(m),
            E::InvalidInput(m) => Error::InvalidInput(m),
            E::Storage(m) => Error::Storage(m),
        }
    }
}

impl From<types::User> for User {
    fn from(u: types::User) -> Self {
        User {
            id: u.id,
            username: u.username,
            permissions: u.permissions,
        }
    }
}

impl From<users::UserPage> for UserPage {
    fn from(p: users::UserPage) -> Self {
        UserPage {
            users: p.users.into_iter().map(User::from).collect(),
            next: p.next,
        }
    }
}

impl From<sessions::Session> for Session {
    fn from(s: sessions::Session) -> Self {
        Session {
            token: s.token,
            user: s.user.into(),
            expires: s.expires,
        }
    }
}

impl From<sessions::Validation> for Validation {
    fn from(v: sessions::Validation) -> Self {
        Validation {
            user: v.user.into(),
            expires: v.expires,
        }
    }
}

impl From<sessions::SessionInfo> for SessionInfo {
    fn from(s: sessions::SessionInfo) -> Self {
        SessionInfo {
            id: s.id,
            created: s.created,
            expires: s.expires,
        }
    }
}

impl From<sessions::SweepOutcome> for SweepOutcome {
    fn from(o: sessions::SweepOutcome) -> Self {
        SweepOutcome {
            deleted: o.deleted,
            next_expiry: o.next_expiry,
        }
    }
}

impl From<settings::Settings> for Settings {
    fn from(s: settings::Settings) -> Self {
        Settings {
            argon2_memory_kib: s.argon2_memory_kib,
            argon2_iterations: s.argon2_iterations,
            argon2_parallelism: s.argon2_parallelism,
            default_token_lifetime: s.default_token_lifetime,
            allow_weak_hashing: s.allow_weak_hashing,
            max_tokens_per_user: s.max_tokens_per_user,
            min_password_length: s.min_password_length,
            refuse_common_passwords: s.refuse_common_passwords,
            // Not in the WIT record yet: the defaults.
            ..Settings::default()
        }
    }
}

impl From<Settings> for settings::Settings {
    fn from(s: Settings) -> Self {
        settings::Settings {
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

impl From<&EmailTokenOptions> for email_tokens::EmailTokenOptions {
    fn from(o: &EmailTokenOptions) -> Self {
        email_tokens::EmailTokenOptions {
            ip: o.ip.clone(),
            lifetime: o.lifetime,
            retval: o.retval.clone(),
            uses: o.uses,
        }
    }
}

impl From<email_tokens::EmailToken> for EmailToken {
    fn from(t: email_tokens::EmailToken) -> Self {
        EmailToken {
            token: t.token,
            id: t.id,
            expires: t.expires,
        }
    }
}

impl From<email_tokens::EmailTokenInfo> for EmailTokenInfo {
    fn from(i: email_tokens::EmailTokenInfo) -> Self {
        EmailTokenInfo {
            id: i.id,
            ip: i.ip,
            created: i.created,
            expires: i.expires,
            uses_left: i.uses_left,
        }
    }
}

impl From<&KeyOwner> for api_keys::KeyOwner {
    fn from(o: &KeyOwner) -> Self {
        match o {
            KeyOwner::User(id) => api_keys::KeyOwner::User(*id),
            KeyOwner::Service(name) => api_keys::KeyOwner::Service(name.clone()),
        }
    }
}

impl From<api_keys::KeyOwner> for KeyOwner {
    fn from(o: api_keys::KeyOwner) -> Self {
        match o {
            api_keys::KeyOwner::User(id) => KeyOwner::User(id),
            api_keys::KeyOwner::Service(name) => KeyOwner::Service(name),
        }
    }
}

impl From<api_keys::ApiKey> for ApiKey {
    fn from(k: api_keys::ApiKey) -> Self {
        ApiKey {
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

impl From<api_keys::NewApiKey> for NewApiKey {
    fn from(k: api_keys::NewApiKey) -> Self {
        NewApiKey {
            key: k.key,
            info: k.info.into(),
        }
    }
}

impl From<one_time_tokens::OneTimeToken> for OneTimeToken {
    fn from(t: one_time_tokens::OneTimeToken) -> Self {
        OneTimeToken {
            token: t.token,
            expires: t.expires,
        }
    }
}
