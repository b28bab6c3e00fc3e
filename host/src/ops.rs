//! Every operation the component exports, written once: its interface,
//! its WIT name and what a call costs. The typed API (`api/`) calls with
//! these, the plugin linker (`plugin/`) forwards by them, and a call's
//! latency metric is labelled with the WIT name.

/// The WIT package whose interfaces these are, with its version: the
/// component exports, and a plugin imports, `moth:auth/<interface>@0.2.0`.
pub(crate) const PACKAGE: &str = "moth:auth";
/// The WIT package's version.
pub(crate) const VERSION: &str = "0.2.0";

/// The full name of one of moth's interfaces (`moth:auth/sessions@0.2.0`).
pub(crate) fn instance_name(interface: &str) -> String {
    format!("{PACKAGE}/{interface}@{VERSION}")
}

/// What a call costs, which decides the budget it runs under and whether
/// an [`AsyncMoth`](crate::AsyncMoth) may run it on an async worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cost {
    /// Microseconds, no commit (or, like `validate` deleting a dead token,
    /// a rare one): fit to run on an async worker.
    Read,
    /// Microseconds and a commit, which waits for the group fsync.
    Write,
    /// Tens of milliseconds of Argon2: runs under the hashing budget.
    Hashing,
}

/// One exported function of the component.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Op {
    /// The WIT interface that exports it (`sessions`).
    pub interface: &'static str,
    /// Its WIT name (`validate`).
    pub name: &'static str,
    /// What a call costs.
    pub cost: Cost,
}

const fn op(interface: &'static str, name: &'static str, cost: Cost) -> Op {
    Op {
        interface,
        name,
        cost,
    }
}

// `users`
pub(crate) const CREATE_USER: Op = op("users", "create-user", Cost::Hashing);
pub(crate) const DELETE_USER: Op = op("users", "delete-user", Cost::Write);
pub(crate) const GET_USER: Op = op("users", "get-user", Cost::Read);
pub(crate) const LIST_USERS: Op = op("users", "list-users", Cost::Read);
pub(crate) const SET_PASSWORD: Op = op("users", "set-password", Cost::Hashing);
pub(crate) const SET_PERMISSIONS: Op = op("users", "set-permissions", Cost::Write);
pub(crate) const CHECK_PASSWORD: Op = op("users", "check-password", Cost::Hashing);

// `sessions`
pub(crate) const LOGIN: Op = op("sessions", "login", Cost::Hashing);
pub(crate) const VALIDATE: Op = op("sessions", "validate", Cost::Read);
pub(crate) const LOGOUT: Op = op("sessions", "logout", Cost::Write);
pub(crate) const COUNT_TOKENS: Op = op("sessions", "count-tokens", Cost::Read);
pub(crate) const DELETE_TOKENS: Op = op("sessions", "delete-tokens", Cost::Write);
pub(crate) const LIST_SESSIONS: Op = op("sessions", "list-sessions", Cost::Read);
pub(crate) const REVOKE_SESSION: Op = op("sessions", "revoke-session", Cost::Write);
pub(crate) const REVOKE_OTHER_SESSIONS: Op = op("sessions", "revoke-other-sessions", Cost::Write);
pub(crate) const SWEEP: Op = op("sessions", "sweep", Cost::Write);

// `settings`
pub(crate) const GET_SETTINGS: Op = op("settings", "get-settings", Cost::Read);
pub(crate) const SET_SETTINGS: Op = op("settings", "set-settings", Cost::Write);

// `email-tokens`
pub(crate) const CREATE_EMAIL_TOKEN: Op = op("email-tokens", "create-email-token", Cost::Write);
pub(crate) const AUTH_EMAIL_TOKEN: Op = op("email-tokens", "auth-email-token", Cost::Write);
pub(crate) const SET_EMAIL_TOKEN_RETVAL: Op =
    op("email-tokens", "set-email-token-retval", Cost::Write);
pub(crate) const REMOVE_EMAIL_TOKEN: Op = op("email-tokens", "remove-email-token", Cost::Write);
pub(crate) const LIST_EMAIL_TOKENS: Op = op("email-tokens", "list-email-tokens", Cost::Read);
pub(crate) const REVOKE_EMAIL_TOKEN: Op = op("email-tokens", "revoke-email-token", Cost::Write);
pub(crate) const REMOVE_EMAIL_ADDRESS: Op = op("email-tokens", "remove-email-address", Cost::Write);

// `api-keys`
pub(crate) const CREATE_API_KEY: Op = op("api-keys", "create-api-key", Cost::Write);
pub(crate) const VERIFY_API_KEY: Op = op("api-keys", "verify-api-key", Cost::Read);
pub(crate) const GET_API_KEY: Op = op("api-keys", "get-api-key", Cost::Read);
pub(crate) const LIST_API_KEYS: Op = op("api-keys", "list-api-keys", Cost::Read);
pub(crate) const REVOKE_API_KEY: Op = op("api-keys", "revoke-api-key", Cost::Write);
pub(crate) const ROTATE_API_KEY: Op = op("api-keys", "rotate-api-key", Cost::Write);
pub(crate) const REVOKE_API_KEYS: Op = op("api-keys", "revoke-api-keys", Cost::Write);

// `one-time-tokens`
pub(crate) const ISSUE_ONE_TIME_TOKEN: Op =
    op("one-time-tokens", "issue-one-time-token", Cost::Write);
pub(crate) const REDEEM_ONE_TIME_TOKEN: Op =
    op("one-time-tokens", "redeem-one-time-token", Cost::Write);
pub(crate) const RESET_PASSWORD: Op = op("one-time-tokens", "reset-password", Cost::Hashing);

// `attempts`
pub(crate) const LOGIN_FROM: Op = op("attempts", "login-from", Cost::Hashing);
pub(crate) const CHECK_PASSWORD_FROM: Op = op("attempts", "check-password-from", Cost::Hashing);
pub(crate) const LIST_ATTEMPTS: Op = op("attempts", "list-attempts", Cost::Read);
pub(crate) const LIST_EVENTS: Op = op("attempts", "list-events", Cost::Read);
pub(crate) const PURGE_ATTEMPTS: Op = op("attempts", "purge-attempts", Cost::Write);
pub(crate) const LIST_LOCKS: Op = op("attempts", "list-locks", Cost::Read);
pub(crate) const UNLOCK: Op = op("attempts", "unlock", Cost::Write);

// `accounts`
pub(crate) const GET_ACCOUNT_STATE: Op = op("accounts", "get-account-state", Cost::Read);
pub(crate) const SET_ACCOUNT_STATE: Op = op("accounts", "set-account-state", Cost::Write);

// `roles`
pub(crate) const CREATE_PERMISSION: Op = op("roles", "create-permission", Cost::Write);
pub(crate) const LIST_PERMISSIONS: Op = op("roles", "list-permissions", Cost::Read);
pub(crate) const DELETE_PERMISSION: Op = op("roles", "delete-permission", Cost::Write);
pub(crate) const CREATE_BUNDLE: Op = op("roles", "create-bundle", Cost::Write);
pub(crate) const LIST_BUNDLES: Op = op("roles", "list-bundles", Cost::Read);
pub(crate) const DELETE_BUNDLE: Op = op("roles", "delete-bundle", Cost::Write);
pub(crate) const CREATE_GROUP: Op = op("roles", "create-group", Cost::Write);
pub(crate) const LIST_GROUPS: Op = op("roles", "list-groups", Cost::Read);
pub(crate) const DELETE_GROUP: Op = op("roles", "delete-group", Cost::Write);
pub(crate) const GROUP_MEMBERS: Op = op("roles", "group-members", Cost::Read);
pub(crate) const GRANT_ROLE: Op = op("roles", "grant-role", Cost::Write);
pub(crate) const REVOKE_ROLE: Op = op("roles", "revoke-role", Cost::Write);
pub(crate) const GET_USER_ROLES: Op = op("roles", "get-user-roles", Cost::Read);
pub(crate) const EFFECTIVE_PERMISSIONS: Op = op("roles", "effective-permissions", Cost::Read);
pub(crate) const HAS_ALL: Op = op("roles", "has-all", Cost::Read);
pub(crate) const HAS_ANY: Op = op("roles", "has-any", Cost::Read);
pub(crate) const TOKEN_HAS_ALL: Op = op("roles", "token-has-all", Cost::Read);
pub(crate) const TOKEN_HAS_ANY: Op = op("roles", "token-has-any", Cost::Read);
pub(crate) const VALIDATE_WITH_PERMISSIONS: Op =
    op("roles", "validate-with-permissions", Cost::Read);

// `oauth`
pub(crate) const REGISTER_CLIENT: Op = op("oauth", "register-client", Cost::Write);
pub(crate) const GET_CLIENT: Op = op("oauth", "get-client", Cost::Read);
pub(crate) const LIST_CLIENTS: Op = op("oauth", "list-clients", Cost::Read);
pub(crate) const UPDATE_CLIENT: Op = op("oauth", "update-client", Cost::Write);
pub(crate) const ROTATE_CLIENT_SECRET: Op = op("oauth", "rotate-client-secret", Cost::Write);
pub(crate) const DELETE_CLIENT: Op = op("oauth", "delete-client", Cost::Write);
pub(crate) const GET_OAUTH_LIFETIMES: Op = op("oauth", "get-oauth-lifetimes", Cost::Read);
pub(crate) const SET_OAUTH_LIFETIMES: Op = op("oauth", "set-oauth-lifetimes", Cost::Write);
pub(crate) const CHECK_AUTHORIZATION: Op = op("oauth", "check-authorization", Cost::Read);
pub(crate) const ISSUE_CODE: Op = op("oauth", "issue-code", Cost::Write);
pub(crate) const AUTHENTICATE_TOKEN_CLIENT: Op =
    op("oauth", "authenticate-token-client", Cost::Read);
pub(crate) const EXCHANGE_CODE: Op = op("oauth", "exchange-code", Cost::Write);
pub(crate) const REFRESH_GRANT: Op = op("oauth", "refresh-grant", Cost::Write);
pub(crate) const CLIENT_CREDENTIALS_GRANT: Op =
    op("oauth", "client-credentials-grant", Cost::Write);
pub(crate) const REVOKE_OAUTH_TOKEN: Op = op("oauth", "revoke-oauth-token", Cost::Write);
pub(crate) const INTROSPECT_TOKEN: Op = op("oauth", "introspect-token", Cost::Read);
pub(crate) const AUTHORIZE_BEARER: Op = op("oauth", "authorize-bearer", Cost::Read);
pub(crate) const CONSENT_COVERS: Op = op("oauth", "consent-covers", Cost::Read);
pub(crate) const LIST_CONSENTS: Op = op("oauth", "list-consents", Cost::Read);
pub(crate) const REVOKE_CONSENT: Op = op("oauth", "revoke-consent", Cost::Write);

/// Every operation, in the WIT's order of interfaces.
pub(crate) const ALL: &[Op] = &[
    CREATE_USER,
    DELETE_USER,
    GET_USER,
    LIST_USERS,
    SET_PASSWORD,
    SET_PERMISSIONS,
    CHECK_PASSWORD,
    LOGIN,
    VALIDATE,
    LOGOUT,
    COUNT_TOKENS,
    DELETE_TOKENS,
    LIST_SESSIONS,
    REVOKE_SESSION,
    REVOKE_OTHER_SESSIONS,
    SWEEP,
    GET_SETTINGS,
    SET_SETTINGS,
    CREATE_EMAIL_TOKEN,
    AUTH_EMAIL_TOKEN,
    SET_EMAIL_TOKEN_RETVAL,
    REMOVE_EMAIL_TOKEN,
    LIST_EMAIL_TOKENS,
    REVOKE_EMAIL_TOKEN,
    REMOVE_EMAIL_ADDRESS,
    CREATE_API_KEY,
    VERIFY_API_KEY,
    GET_API_KEY,
    LIST_API_KEYS,
    REVOKE_API_KEY,
    ROTATE_API_KEY,
    REVOKE_API_KEYS,
    ISSUE_ONE_TIME_TOKEN,
    REDEEM_ONE_TIME_TOKEN,
    RESET_PASSWORD,
    LOGIN_FROM,
    CHECK_PASSWORD_FROM,
    LIST_ATTEMPTS,
    LIST_EVENTS,
    PURGE_ATTEMPTS,
    LIST_LOCKS,
    UNLOCK,
    GET_ACCOUNT_STATE,
    SET_ACCOUNT_STATE,
    CREATE_PERMISSION,
    LIST_PERMISSIONS,
    DELETE_PERMISSION,
    CREATE_BUNDLE,
    LIST_BUNDLES,
    DELETE_BUNDLE,
    CREATE_GROUP,
    LIST_GROUPS,
    DELETE_GROUP,
    GROUP_MEMBERS,
    GRANT_ROLE,
    REVOKE_ROLE,
    GET_USER_ROLES,
    EFFECTIVE_PERMISSIONS,
    HAS_ALL,
    HAS_ANY,
    TOKEN_HAS_ALL,
    TOKEN_HAS_ANY,
    VALIDATE_WITH_PERMISSIONS,
    REGISTER_CLIENT,
    GET_CLIENT,
    LIST_CLIENTS,
    UPDATE_CLIENT,
    ROTATE_CLIENT_SECRET,
    DELETE_CLIENT,
    GET_OAUTH_LIFETIMES,
    SET_OAUTH_LIFETIMES,
    CHECK_AUTHORIZATION,
    ISSUE_CODE,
    AUTHENTICATE_TOKEN_CLIENT,
    EXCHANGE_CODE,
    REFRESH_GRANT,
    CLIENT_CREDENTIALS_GRANT,
    REVOKE_OAUTH_TOKEN,
    INTROSPECT_TOKEN,
    AUTHORIZE_BEARER,
    CONSENT_COVERS,
    LIST_CONSENTS,
    REVOKE_CONSENT,
];

#[cfg(test)]
mod tests {
    use super::ALL;
    use crate::Runtime;
    use std::collections::BTreeSet;
    use wasmtime::component::types::ComponentItem;

    /// The table and the component agree: every exported function has one
    /// entry, and every entry names an exported function.
    #[test]
    fn every_exported_function_has_exactly_one_entry() {
        let rt = Runtime::shared().unwrap();
        let engine = rt.engine();
        let mut exported = BTreeSet::new();
        for (iface, item) in rt.component().component_type().exports(engine) {
            let ComponentItem::ComponentInstance(instance) = item.ty else {
                panic!("{iface} is not an interface");
            };
            for (name, item) in instance.exports(engine) {
                if matches!(item.ty, ComponentItem::ComponentFunc(_)) {
                    exported.insert((iface.to_owned(), name.to_owned()));
                }
            }
        }
        let listed: Vec<_> = ALL
            .iter()
            .map(|op| (super::instance_name(op.interface), op.name.to_owned()))
            .collect();
        let unique: BTreeSet<_> = listed.iter().cloned().collect();
        assert_eq!(unique.len(), listed.len(), "an operation is listed twice");
        assert_eq!(unique, exported);
    }
}
