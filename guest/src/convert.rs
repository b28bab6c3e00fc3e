//! Every conversion between WIT types and moth-core types, each written
//! once: results and errors, users, pages, sessions, validations, sweep
//! outcomes, settings, email tokens, API keys, one-time tokens, OAuth
//! clients, grant types, lifetimes, authorizations, OAuth and authorize
//! errors, token responses, token infos, bearer errors and consents
//! outward; settings, email-token options, key owners, client specs, grant
//! types, lifetimes, authorization requests, store errors and entries
//! inward; guards and writes toward the store.

use crate::bindings::exports::moth::auth::{
    accounts, api_keys, attempts, email_tokens, oauth, one_time_tokens, roles, sessions, settings,
    types, users,
};
use crate::bindings::moth::auth::store;

/// A core result as a WIT result: the value and the error converted.
pub fn wit<T, U: From<T>>(result: moth_core::Result<T>) -> Result<U, types::Error> {
    wit_with(result)
}

/// A core result holding a list as a WIT result: each item converted.
pub fn wit_list<T, U: From<T>>(result: moth_core::Result<Vec<T>>) -> Result<Vec<U>, types::Error> {
    result
        .map(|items| items.into_iter().map(Into::into).collect())
        .map_err(Into::into)
}

/// A core result with an error of its own (OAuth, authorize or bearer) as
/// a WIT result: the value and the error converted.
pub fn wit_with<T, E, U: From<T>, F: From<E>>(result: Result<T, E>) -> Result<U, F> {
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
            E::IpMismatch => Self::IpMismatch,
            E::NameTaken => Self::NameTaken,
            E::LimitReached(m) => Self::LimitReached(m),
            E::LockedOut(secs) => Self::LockedOut(secs),
            E::AccountDisabled => Self::AccountDisabled,
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
            source: s.source,
            device: s.device,
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
            lockout_threshold: s.lockout_threshold,
            lockout_window: s.lockout_window,
            lockout_duration: s.lockout_duration,
            lockout_max_duration: s.lockout_max_duration,
            source_lockout_threshold: s.source_lockout_threshold,
            source_lockout_window: s.source_lockout_window,
            source_lockout_duration: s.source_lockout_duration,
            log_retention: s.log_retention,
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
            lockout_threshold: s.lockout_threshold,
            lockout_window: s.lockout_window,
            lockout_duration: s.lockout_duration,
            lockout_max_duration: s.lockout_max_duration,
            source_lockout_threshold: s.source_lockout_threshold,
            source_lockout_window: s.source_lockout_window,
            source_lockout_duration: s.source_lockout_duration,
            log_retention: s.log_retention,
        }
    }
}

impl From<moth_core::AccountState> for accounts::AccountState {
    fn from(s: moth_core::AccountState) -> Self {
        Self {
            enabled: s.enabled,
            disabled_from: s.disabled_from,
            email_verified: s.email_verified,
            superuser: s.superuser,
        }
    }
}

impl From<accounts::AccountState> for moth_core::AccountState {
    fn from(s: accounts::AccountState) -> Self {
        Self {
            enabled: s.enabled,
            disabled_from: s.disabled_from,
            email_verified: s.email_verified,
            superuser: s.superuser,
        }
    }
}

impl From<moth_core::Permission> for roles::Permission {
    fn from(p: moth_core::Permission) -> Self {
        Self {
            name: p.name,
            description: p.description,
        }
    }
}

impl From<moth_core::Bundle> for roles::Bundle {
    fn from(b: moth_core::Bundle) -> Self {
        Self {
            name: b.name,
            permissions: b.permissions,
        }
    }
}

impl From<moth_core::Group> for roles::Group {
    fn from(g: moth_core::Group) -> Self {
        Self {
            name: g.name,
            permissions: g.permissions,
            bundles: g.bundles,
        }
    }
}

impl From<moth_core::UserRoles> for roles::UserRoles {
    fn from(r: moth_core::UserRoles) -> Self {
        Self {
            permissions: r.permissions,
            bundles: r.bundles,
            groups: r.groups,
        }
    }
}

impl From<roles::RoleHolder> for moth_core::RoleHolder {
    fn from(h: roles::RoleHolder) -> Self {
        match h {
            roles::RoleHolder::User(id) => Self::User(id),
            roles::RoleHolder::Group(g) => Self::Group(g),
            roles::RoleHolder::Bundle(b) => Self::Bundle(b),
        }
    }
}

impl From<roles::RoleItem> for moth_core::RoleItem {
    fn from(i: roles::RoleItem) -> Self {
        match i {
            roles::RoleItem::Group(g) => Self::Group(g),
            roles::RoleItem::Bundle(b) => Self::Bundle(b),
            roles::RoleItem::Permission(p) => Self::Permission(p),
        }
    }
}

impl From<(moth_core::Validation, Vec<String>)> for roles::ValidationWithPermissions {
    fn from((v, permissions): (moth_core::Validation, Vec<String>)) -> Self {
        Self {
            validation: v.into(),
            permissions,
        }
    }
}

impl From<attempts::LoginContext> for moth_core::LoginContext {
    fn from(c: attempts::LoginContext) -> Self {
        Self {
            source: c.source,
            device: c.device,
        }
    }
}

impl From<moth_core::LoginGrant> for attempts::LoginGrant {
    fn from(g: moth_core::LoginGrant) -> Self {
        Self {
            session: g.session.into(),
            device: g.device,
        }
    }
}

/// One table for both directions of the event kinds.
macro_rules! event_kinds {
    ($($name:ident),* $(,)?) => {
        impl From<attempts::EventKind> for moth_core::EventKind {
            fn from(k: attempts::EventKind) -> Self {
                match k {
                    $(attempts::EventKind::$name => Self::$name,)*
                }
            }
        }

        impl From<moth_core::EventKind> for attempts::EventKind {
            fn from(k: moth_core::EventKind) -> Self {
                match k {
                    $(moth_core::EventKind::$name => Self::$name,)*
                }
            }
        }
    };
}

event_kinds!(
    Login,
    CheckPassword,
    ResetPassword,
    AccountLocked,
    Unlocked,
    SourceBlocked,
    DeviceLocked,
    PasswordChanged,
    SessionsRevoked,
    ApiKeyCreated,
    ApiKeyRevoked,
    OneTimeTokenCreated,
    AccountDisabled,
    AccountEnabled,
);

impl From<attempts::LogFilter> for moth_core::LogFilter {
    fn from(f: attempts::LogFilter) -> Self {
        Self {
            user: f.user,
            username: f.username,
            source: f.source,
            kind: f.kind.map(Into::into),
            since: f.since,
            until: f.until,
        }
    }
}

impl From<moth_core::LogEntry> for attempts::LogEntry {
    fn from(e: moth_core::LogEntry) -> Self {
        Self {
            id: e.id,
            time: e.time,
            kind: e.kind.into(),
            user: e.user,
            username: e.username,
            source: e.source,
            success: e.success,
            reason: e.reason,
        }
    }
}

impl From<moth_core::LogPage> for attempts::LogPage {
    fn from(p: moth_core::LogPage) -> Self {
        Self {
            entries: p.entries.into_iter().map(Into::into).collect(),
            next: p.next,
        }
    }
}

impl From<moth_core::PurgeOutcome> for attempts::PurgeOutcome {
    fn from(o: moth_core::PurgeOutcome) -> Self {
        Self {
            purged: o.purged,
            next: o.next,
        }
    }
}

impl From<attempts::LockSubject> for moth_core::LockSubject {
    fn from(s: attempts::LockSubject) -> Self {
        match s {
            attempts::LockSubject::Account(id) => Self::Account(id),
            attempts::LockSubject::Username(name) => Self::Username(name),
            attempts::LockSubject::Source(addr) => Self::Source(addr),
            attempts::LockSubject::Device(id) => Self::Device(id),
        }
    }
}

impl From<moth_core::LockSubject> for attempts::LockSubject {
    fn from(s: moth_core::LockSubject) -> Self {
        match s {
            moth_core::LockSubject::Account(id) => Self::Account(id),
            moth_core::LockSubject::Username(name) => Self::Username(name),
            moth_core::LockSubject::Source(addr) => Self::Source(addr),
            moth_core::LockSubject::Device(id) => Self::Device(id),
        }
    }
}

impl From<moth_core::LockPage> for attempts::LockPage {
    fn from(p: moth_core::LockPage) -> Self {
        Self {
            locks: p
                .locks
                .into_iter()
                .map(|l| attempts::Lock {
                    subject: l.subject.into(),
                    until: l.until,
                    lockouts: l.lockouts,
                })
                .collect(),
            next: p.next,
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

impl From<oauth::GrantType> for moth_core::GrantType {
    fn from(g: oauth::GrantType) -> Self {
        match g {
            oauth::GrantType::AuthorizationCode => Self::AuthorizationCode,
            oauth::GrantType::RefreshToken => Self::RefreshToken,
            oauth::GrantType::ClientCredentials => Self::ClientCredentials,
        }
    }
}

impl From<moth_core::GrantType> for oauth::GrantType {
    fn from(g: moth_core::GrantType) -> Self {
        match g {
            moth_core::GrantType::AuthorizationCode => Self::AuthorizationCode,
            moth_core::GrantType::RefreshToken => Self::RefreshToken,
            moth_core::GrantType::ClientCredentials => Self::ClientCredentials,
        }
    }
}

impl From<oauth::ClientSpec> for moth_core::ClientSpec {
    fn from(s: oauth::ClientSpec) -> Self {
        Self {
            name: s.name,
            confidential: s.confidential,
            redirect_uris: s.redirect_uris,
            grant_types: s.grant_types.into_iter().map(Into::into).collect(),
            scopes: s.scopes,
        }
    }
}

impl From<moth_core::Client> for oauth::Client {
    fn from(c: moth_core::Client) -> Self {
        Self {
            id: c.id,
            name: c.name,
            confidential: c.confidential,
            redirect_uris: c
                .redirect_uris
                .iter()
                .map(|u| u.as_str().to_owned())
                .collect(),
            grant_types: c.grant_types.into_iter().map(Into::into).collect(),
            scopes: c.scopes.to_string(),
            created: c.created,
            updated: c.updated,
        }
    }
}

impl From<moth_core::NewClient> for oauth::NewClient {
    fn from(c: moth_core::NewClient) -> Self {
        Self {
            client: c.client.into(),
            secret: c.secret,
        }
    }
}

impl From<moth_core::ClientPage> for oauth::ClientPage {
    fn from(p: moth_core::ClientPage) -> Self {
        Self {
            clients: p.clients.into_iter().map(Into::into).collect(),
            next: p.next,
        }
    }
}

impl From<oauth::Lifetimes> for moth_core::OAuthLifetimes {
    fn from(l: oauth::Lifetimes) -> Self {
        Self {
            code: l.code,
            access: l.access,
            refresh_idle: l.refresh_idle,
            refresh: l.refresh,
            refresh_grace: l.refresh_grace,
        }
    }
}

impl From<moth_core::OAuthLifetimes> for oauth::Lifetimes {
    fn from(l: moth_core::OAuthLifetimes) -> Self {
        Self {
            code: l.code,
            access: l.access,
            refresh_idle: l.refresh_idle,
            refresh: l.refresh,
            refresh_grace: l.refresh_grace,
        }
    }
}

impl From<oauth::AuthorizationRequest> for moth_core::AuthorizationRequest {
    fn from(r: oauth::AuthorizationRequest) -> Self {
        Self {
            response_type: r.response_type,
            client_id: r.client_id,
            redirect_uri: r.redirect_uri,
            scope: r.scope,
            code_challenge: r.code_challenge,
            code_challenge_method: r.code_challenge_method,
        }
    }
}

impl From<moth_core::Authorization> for oauth::Authorization {
    fn from(a: moth_core::Authorization) -> Self {
        Self {
            client: a.client.into(),
            redirect_uri: a.redirect_uri,
            scopes: a.scopes.to_string(),
        }
    }
}

impl From<moth_core::OAuthError> for oauth::OauthError {
    fn from(e: moth_core::OAuthError) -> Self {
        use moth_core::OAuthError as E;
        match e {
            E::InvalidRequest(m) => Self::InvalidRequest(m),
            E::InvalidClient => Self::InvalidClient,
            E::InvalidGrant(m) => Self::InvalidGrant(m),
            E::UnauthorizedClient => Self::UnauthorizedClient,
            E::InvalidScope(m) => Self::InvalidScope(m),
            E::UnsupportedResponseType => Self::UnsupportedResponseType,
            E::UnsupportedGrantType => Self::UnsupportedGrantType,
            E::AccessDenied => Self::AccessDenied,
            E::Storage(m) => Self::ServerError(m),
        }
    }
}

impl From<moth_core::AuthorizeError> for oauth::AuthorizeError {
    fn from(e: moth_core::AuthorizeError) -> Self {
        match e {
            moth_core::AuthorizeError::NoRedirect(m) => Self::NoRedirect(m),
            moth_core::AuthorizeError::Redirect {
                redirect_uri,
                error,
            } => Self::Redirect(oauth::RedirectedError {
                redirect_uri,
                error: error.into(),
            }),
        }
    }
}

impl From<moth_core::TokenResponse> for oauth::TokenResponse {
    fn from(t: moth_core::TokenResponse) -> Self {
        Self {
            access_token: t.access_token,
            expires_in: t.expires_in,
            refresh_token: t.refresh_token,
            scopes: t.scopes.to_string(),
        }
    }
}

impl From<moth_core::TokenInfo> for oauth::TokenInfo {
    fn from(i: moth_core::TokenInfo) -> Self {
        Self {
            access: i.access,
            client_id: i.client_id,
            user: i.user,
            username: i.username,
            scopes: i.scopes.to_string(),
            expires: i.expires,
            issued: i.issued,
        }
    }
}

impl From<moth_core::BearerError> for oauth::BearerError {
    fn from(e: moth_core::BearerError) -> Self {
        match e {
            moth_core::BearerError::InvalidToken => Self::InvalidToken,
            moth_core::BearerError::InsufficientScope => Self::InsufficientScope,
        }
    }
}

impl From<moth_core::Consent> for oauth::Consent {
    fn from(c: moth_core::Consent) -> Self {
        Self {
            client_id: c.client_id,
            client_name: c.client_name,
            scopes: c.scopes.to_string(),
            since: c.since,
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
