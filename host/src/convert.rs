//! Every conversion between the generated WIT types and the host's types,
//! each written once.

use moth_core::{
    AccountState, ApiKey, Bundle, EmailToken, EmailTokenInfo, EmailTokenOptions, EventKind, Group,
    KeyOwner, Lock, LockPage, LockSubject, LogEntry, LogFilter, LogPage, LoginContext, LoginGrant,
    NewApiKey, OneTimeToken, Permission, PurgeOutcome, RoleHolder, RoleItem, Session, SessionInfo,
    Settings, SweepOutcome, User, UserPage, UserRoles, Validation,
};

use crate::bindings::{
    accounts, api_keys, attempts, email_tokens, oauth, one_time_tokens, roles, sessions, settings,
    store, types, users,
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
            E::LockedOut(secs) => Error::LockedOut(secs),
            E::AccountDisabled => Error::AccountDisabled,
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
            source: s.source,
            device: s.device,
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

impl From<&AccountState> for accounts::AccountState {
    fn from(s: &AccountState) -> Self {
        accounts::AccountState {
            enabled: s.enabled,
            disabled_from: s.disabled_from,
            email_verified: s.email_verified,
            superuser: s.superuser,
        }
    }
}

impl From<accounts::AccountState> for AccountState {
    fn from(s: accounts::AccountState) -> Self {
        AccountState {
            enabled: s.enabled,
            disabled_from: s.disabled_from,
            email_verified: s.email_verified,
            superuser: s.superuser,
        }
    }
}

impl From<roles::Permission> for Permission {
    fn from(p: roles::Permission) -> Self {
        Permission {
            name: p.name,
            description: p.description,
        }
    }
}

impl From<roles::Bundle> for Bundle {
    fn from(b: roles::Bundle) -> Self {
        Bundle {
            name: b.name,
            permissions: b.permissions,
        }
    }
}

impl From<roles::Group> for Group {
    fn from(g: roles::Group) -> Self {
        Group {
            name: g.name,
            permissions: g.permissions,
            bundles: g.bundles,
        }
    }
}

impl From<roles::UserRoles> for UserRoles {
    fn from(r: roles::UserRoles) -> Self {
        UserRoles {
            permissions: r.permissions,
            bundles: r.bundles,
            groups: r.groups,
        }
    }
}

impl From<&RoleHolder> for roles::RoleHolder {
    fn from(h: &RoleHolder) -> Self {
        match h {
            RoleHolder::User(id) => roles::RoleHolder::User(*id),
            RoleHolder::Group(g) => roles::RoleHolder::Group(g.clone()),
            RoleHolder::Bundle(b) => roles::RoleHolder::Bundle(b.clone()),
        }
    }
}

impl From<&RoleItem> for roles::RoleItem {
    fn from(i: &RoleItem) -> Self {
        match i {
            RoleItem::Group(g) => roles::RoleItem::Group(g.clone()),
            RoleItem::Bundle(b) => roles::RoleItem::Bundle(b.clone()),
            RoleItem::Permission(p) => roles::RoleItem::Permission(p.clone()),
        }
    }
}

impl From<&LoginContext> for attempts::LoginContext {
    fn from(c: &LoginContext) -> Self {
        attempts::LoginContext {
            source: c.source.clone(),
            device: c.device.clone(),
        }
    }
}

impl From<attempts::LoginGrant> for LoginGrant {
    fn from(g: attempts::LoginGrant) -> Self {
        LoginGrant {
            session: g.session.into(),
            device: g.device,
        }
    }
}

/// One table for both directions of the event kinds.
macro_rules! event_kinds {
    ($($name:ident),* $(,)?) => {
        impl From<EventKind> for attempts::EventKind {
            fn from(k: EventKind) -> Self {
                match k {
                    $(EventKind::$name => attempts::EventKind::$name,)*
                }
            }
        }

        impl From<attempts::EventKind> for EventKind {
            fn from(k: attempts::EventKind) -> Self {
                match k {
                    $(attempts::EventKind::$name => EventKind::$name,)*
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

impl From<&LogFilter> for attempts::LogFilter {
    fn from(f: &LogFilter) -> Self {
        attempts::LogFilter {
            user: f.user,
            username: f.username.clone(),
            source: f.source.clone(),
            kind: f.kind.map(Into::into),
            since: f.since,
            until: f.until,
        }
    }
}

impl From<attempts::LogPage> for LogPage {
    fn from(p: attempts::LogPage) -> Self {
        LogPage {
            entries: p
                .entries
                .into_iter()
                .map(|e| LogEntry {
                    id: e.id,
                    time: e.time,
                    kind: e.kind.into(),
                    user: e.user,
                    username: e.username,
                    source: e.source,
                    success: e.success,
                    reason: e.reason,
                })
                .collect(),
            next: p.next,
        }
    }
}

impl From<attempts::PurgeOutcome> for PurgeOutcome {
    fn from(o: attempts::PurgeOutcome) -> Self {
        PurgeOutcome {
            purged: o.purged,
            next: o.next,
        }
    }
}

impl From<&LockSubject> for attempts::LockSubject {
    fn from(s: &LockSubject) -> Self {
        match s {
            LockSubject::Account(id) => attempts::LockSubject::Account(*id),
            LockSubject::Username(name) => attempts::LockSubject::Username(name.clone()),
            LockSubject::Source(addr) => attempts::LockSubject::Source(addr.clone()),
            LockSubject::Device(id) => attempts::LockSubject::Device(id.clone()),
        }
    }
}

impl From<attempts::LockSubject> for LockSubject {
    fn from(s: attempts::LockSubject) -> Self {
        match s {
            attempts::LockSubject::Account(id) => LockSubject::Account(id),
            attempts::LockSubject::Username(name) => LockSubject::Username(name),
            attempts::LockSubject::Source(addr) => LockSubject::Source(addr),
            attempts::LockSubject::Device(id) => LockSubject::Device(id),
        }
    }
}

impl From<attempts::LockPage> for LockPage {
    fn from(p: attempts::LockPage) -> Self {
        LockPage {
            locks: p
                .locks
                .into_iter()
                .map(|l| Lock {
                    subject: l.subject.into(),
                    until: l.until,
                    lockouts: l.lockouts,
                })
                .collect(),
            next: p.next,
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

// `oauth`: the core's types are the host's; scopes and redirect URIs come
// back from the component as the strings it made from them.

/// Scopes the component wrote: they parse (the empty set otherwise, which
/// grants nothing).
fn scopes(s: &str) -> moth_core::Scopes {
    moth_core::Scopes::parse(s).unwrap_or_default()
}

impl From<moth_core::GrantType> for oauth::GrantType {
    fn from(g: moth_core::GrantType) -> Self {
        match g {
            moth_core::GrantType::AuthorizationCode => oauth::GrantType::AuthorizationCode,
            moth_core::GrantType::RefreshToken => oauth::GrantType::RefreshToken,
            moth_core::GrantType::ClientCredentials => oauth::GrantType::ClientCredentials,
        }
    }
}

impl From<oauth::GrantType> for moth_core::GrantType {
    fn from(g: oauth::GrantType) -> Self {
        match g {
            oauth::GrantType::AuthorizationCode => moth_core::GrantType::AuthorizationCode,
            oauth::GrantType::RefreshToken => moth_core::GrantType::RefreshToken,
            oauth::GrantType::ClientCredentials => moth_core::GrantType::ClientCredentials,
        }
    }
}

impl From<&moth_core::ClientSpec> for oauth::ClientSpec {
    fn from(s: &moth_core::ClientSpec) -> Self {
        oauth::ClientSpec {
            name: s.name.clone(),
            confidential: s.confidential,
            redirect_uris: s.redirect_uris.clone(),
            grant_types: s.grant_types.iter().map(|g| (*g).into()).collect(),
            scopes: s.scopes.clone(),
        }
    }
}

impl From<oauth::Client> for moth_core::Client {
    fn from(c: oauth::Client) -> Self {
        moth_core::Client {
            id: c.id,
            name: c.name,
            confidential: c.confidential,
            redirect_uris: c
                .redirect_uris
                .into_iter()
                .map(moth_core::RedirectUri::from_stored)
                .collect(),
            grant_types: c.grant_types.into_iter().map(Into::into).collect(),
            scopes: scopes(&c.scopes),
            created: c.created,
            updated: c.updated,
        }
    }
}

impl From<oauth::NewClient> for moth_core::NewClient {
    fn from(n: oauth::NewClient) -> Self {
        moth_core::NewClient {
            client: n.client.into(),
            secret: n.secret,
        }
    }
}

impl From<oauth::ClientPage> for moth_core::ClientPage {
    fn from(p: oauth::ClientPage) -> Self {
        moth_core::ClientPage {
            clients: p.clients.into_iter().map(Into::into).collect(),
            next: p.next,
        }
    }
}

impl From<&moth_core::OAuthLifetimes> for oauth::Lifetimes {
    fn from(l: &moth_core::OAuthLifetimes) -> Self {
        oauth::Lifetimes {
            code: l.code,
            access: l.access,
            refresh_idle: l.refresh_idle,
            refresh: l.refresh,
            refresh_grace: l.refresh_grace,
        }
    }
}

impl From<oauth::Lifetimes> for moth_core::OAuthLifetimes {
    fn from(l: oauth::Lifetimes) -> Self {
        moth_core::OAuthLifetimes {
            code: l.code,
            access: l.access,
            refresh_idle: l.refresh_idle,
            refresh: l.refresh,
            refresh_grace: l.refresh_grace,
        }
    }
}

impl From<&moth_core::AuthorizationRequest> for oauth::AuthorizationRequest {
    fn from(r: &moth_core::AuthorizationRequest) -> Self {
        oauth::AuthorizationRequest {
            response_type: r.response_type.clone(),
            client_id: r.client_id.clone(),
            redirect_uri: r.redirect_uri.clone(),
            scope: r.scope.clone(),
            code_challenge: r.code_challenge.clone(),
            code_challenge_method: r.code_challenge_method.clone(),
        }
    }
}

impl From<oauth::Authorization> for crate::Authorization {
    fn from(a: oauth::Authorization) -> Self {
        crate::Authorization {
            client: a.client.into(),
            redirect_uri: a.redirect_uri,
            scopes: scopes(&a.scopes),
        }
    }
}

impl From<oauth::OauthError> for moth_core::OAuthError {
    fn from(e: oauth::OauthError) -> Self {
        use oauth::OauthError as W;
        match e {
            W::InvalidRequest(m) => Self::InvalidRequest(m),
            W::InvalidClient => Self::InvalidClient,
            W::InvalidGrant(m) => Self::InvalidGrant(m),
            W::UnauthorizedClient => Self::UnauthorizedClient,
            W::InvalidScope(m) => Self::InvalidScope(m),
            W::UnsupportedResponseType => Self::UnsupportedResponseType,
            W::UnsupportedGrantType => Self::UnsupportedGrantType,
            W::AccessDenied => Self::AccessDenied,
            W::ServerError(m) => Self::Storage(m),
        }
    }
}

impl From<oauth::AuthorizeError> for moth_core::AuthorizeError {
    fn from(e: oauth::AuthorizeError) -> Self {
        match e {
            oauth::AuthorizeError::NoRedirect(why) => Self::NoRedirect(why),
            oauth::AuthorizeError::Redirect(r) => Self::Redirect {
                redirect_uri: r.redirect_uri,
                error: r.error.into(),
            },
        }
    }
}

impl From<oauth::TokenResponse> for moth_core::TokenResponse {
    fn from(t: oauth::TokenResponse) -> Self {
        moth_core::TokenResponse {
            access_token: t.access_token,
            expires_in: t.expires_in,
            refresh_token: t.refresh_token,
            scopes: scopes(&t.scopes),
        }
    }
}

impl From<oauth::TokenInfo> for moth_core::TokenInfo {
    fn from(t: oauth::TokenInfo) -> Self {
        moth_core::TokenInfo {
            access: t.access,
            client_id: t.client_id,
            user: t.user,
            username: t.username,
            scopes: scopes(&t.scopes),
            expires: t.expires,
            issued: t.issued,
        }
    }
}

impl From<oauth::BearerError> for moth_core::BearerError {
    fn from(e: oauth::BearerError) -> Self {
        match e {
            oauth::BearerError::InvalidToken => Self::InvalidToken,
            oauth::BearerError::InsufficientScope => Self::InsufficientScope,
        }
    }
}

impl From<oauth::Consent> for moth_core::Consent {
    fn from(c: oauth::Consent) -> Self {
        moth_core::Consent {
            client_id: c.client_id,
            client_name: c.client_name,
            scopes: scopes(&c.scopes),
            since: c.since,
        }
    }
}
