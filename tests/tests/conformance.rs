//! The shared conformance scenario (`tests/conformance/scenario.json`), run
//! through the Rust host. The Node and Python hosts run the same file.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use moth::{
    AccountState, ApiKey, Authorization, AuthorizationRequest, AuthorizeError, BearerError, Client,
    ClientSpec, Consent, EmailTokenInfo, EmailTokenOptions, Error, EventKind, GrantType, KeyOwner,
    LockSubject, LogEntry, LogFilter, LogPage, LoginContext, Moth, NewApiKey, NewClient,
    OAuthError, OAuthLifetimes, Permission, RoleHolder, RoleItem, Scopes, Session, Settings,
    TokenInfo, TokenResponse, User, Validation,
};
use serde_json::{Value, json};

fn user(u: &User) -> Value {
    json!({ "id": u.id, "username": u.username, "permissions": u.permissions })
}

/// A key-owner as the scenario writes it: `{"user": id}` or `{"service": name}`.
fn owner_json(o: &KeyOwner) -> Value {
    match o {
        KeyOwner::User(id) => json!({ "user": id }),
        KeyOwner::Service(name) => json!({ "service": name }),
    }
}

fn owner_from(v: &Value) -> KeyOwner {
    match (v.get("user"), v.get("service")) {
        (Some(id), None) => KeyOwner::User(id.as_u64().expect("owner.user must be a number")),
        (None, Some(name)) => KeyOwner::Service(
            name.as_str()
                .expect("owner.service must be a string")
                .to_owned(),
        ),
        _ => panic!("a key-owner is {{\"user\": id}} or {{\"service\": name}}, not {v}"),
    }
}

fn session_json(s: &Session) -> Value {
    json!({ "token": s.token, "user": user(&s.user), "expires": s.expires })
}

fn validation_json(v: &Validation) -> Value {
    json!({ "user": user(&v.user), "expires": v.expires })
}

/// The event-kind named `v` (its WIT name), or none for null.
fn kind_from(v: &Value) -> Option<EventKind> {
    let name = v.as_str()?;
    Some(EventKind::from_name(name).unwrap_or_else(|| panic!("no event-kind {name}")))
}

fn login_context_from(v: &Value) -> LoginContext {
    LoginContext {
        source: v["source"].as_str().map(str::to_owned),
        device: v["device"].as_str().map(str::to_owned),
    }
}

fn log_filter_from(v: &Value) -> LogFilter {
    LogFilter {
        user: v["user"].as_u64(),
        username: v["username"].as_str().map(str::to_owned),
        source: v["source"].as_str().map(str::to_owned),
        kind: kind_from(&v["kind"]),
        since: v["since"].as_u64(),
        until: v["until"].as_u64(),
    }
}

fn log_entry_json(e: &LogEntry) -> Value {
    json!({
        "id": e.id,
        "time": e.time,
        "kind": e.kind.name(),
        "user": e.user,
        "username": e.username,
        "source": e.source,
        "success": e.success,
        "reason": e.reason,
    })
}

fn log_page_json(p: &LogPage) -> Value {
    json!({ "entries": p.entries.iter().map(log_entry_json).collect::<Vec<_>>(), "next": p.next })
}

/// A lock-subject as the scenario writes it: `{"account": id}`,
/// `{"username": name}`, `{"source": address}` or `{"device": id}`.
fn subject_json(s: &LockSubject) -> Value {
    match s {
        LockSubject::Account(id) => json!({ "account": id }),
        LockSubject::Username(name) => json!({ "username": name }),
        LockSubject::Source(address) => json!({ "source": address }),
        LockSubject::Device(id) => json!({ "device": id }),
    }
}

fn subject_from(v: &Value) -> LockSubject {
    match one_case("lock-subject", v) {
        ("account", id) => LockSubject::Account(id.as_u64().expect("account must be a number")),
        (case @ "username", name) => LockSubject::Username(name_of(case, name)),
        (case @ "source", address) => LockSubject::Source(name_of(case, address)),
        (case @ "device", id) => LockSubject::Device(name_of(case, id)),
        (other, _) => panic!("no lock-subject case {other}"),
    }
}

/// The one case of a variant as the scenario writes it (`{"user": 3}`):
/// its name and payload.
fn one_case<'a>(what: &str, v: &'a Value) -> (&'a str, &'a Value) {
    let cases = v.as_object().filter(|m| m.len() == 1);
    let Some((case, payload)) = cases.and_then(|m| m.iter().next()) else {
        panic!("a {what} is an object of one case, not {v}");
    };
    (case.as_str(), payload)
}

/// A case's payload that is a string (a name, an address).
fn name_of(case: &str, payload: &Value) -> String {
    payload
        .as_str()
        .unwrap_or_else(|| panic!("{case} must be a string"))
        .to_owned()
}

/// An account-state as the scenario writes it (WIT field names).
fn account_state_json(s: &AccountState) -> Value {
    json!({
        "enabled": s.enabled,
        "disabled-from": s.disabled_from,
        "email-verified": s.email_verified,
        "superuser": s.superuser,
    })
}

fn account_state_from(v: &Value) -> AccountState {
    let flag = |k: &str| {
        v[k].as_bool()
            .unwrap_or_else(|| panic!("state.{k} must be a bool"))
    };
    assert!(
        v.get("disabled-from")
            .is_some_and(|d| d.is_null() || d.is_u64()),
        "state.disabled-from must be null or a number"
    );
    AccountState {
        enabled: flag("enabled"),
        disabled_from: v["disabled-from"].as_u64(),
        email_verified: flag("email-verified"),
        superuser: flag("superuser"),
    }
}

/// A role-holder as the scenario writes it: `{"user": id}`,
/// `{"group": name}` or `{"bundle": name}`.
fn holder_from(v: &Value) -> RoleHolder {
    match one_case("role-holder", v) {
        ("user", id) => RoleHolder::User(id.as_u64().expect("user must be a number")),
        (case @ "group", name) => RoleHolder::Group(name_of(case, name)),
        (case @ "bundle", name) => RoleHolder::Bundle(name_of(case, name)),
        (other, _) => panic!("no role-holder case {other}"),
    }
}

/// A role-item as the scenario writes it: `{"group": name}`,
/// `{"bundle": name}` or `{"permission": name}`.
fn item_from(v: &Value) -> RoleItem {
    match one_case("role-item", v) {
        (case @ "group", name) => RoleItem::Group(name_of(case, name)),
        (case @ "bundle", name) => RoleItem::Bundle(name_of(case, name)),
        (case @ "permission", name) => RoleItem::Permission(name_of(case, name)),
        (other, _) => panic!("no role-item case {other}"),
    }
}

fn permission_json(p: &Permission) -> Value {
    json!({ "name": p.name, "description": p.description })
}

/// A list of names (`list<string>`) as the scenario writes it.
fn names_from(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("a list of names is an array, not {v}"))
        .iter()
        .map(|n| n.as_str().expect("a name is a string").to_owned())
        .collect()
}

fn api_key_json(k: &ApiKey) -> Value {
    json!({
        "id": k.id,
        "owner": owner_json(&k.owner),
        "name": k.name,
        "scopes": k.scopes,
        "created": k.created,
        "expires": k.expires,
        "last-used": k.last_used,
    })
}

fn new_api_key_json(k: &NewApiKey) -> Value {
    json!({ "key": k.key, "info": api_key_json(&k.info) })
}

fn email_token_info_json(t: &EmailTokenInfo) -> Value {
    json!({
        "id": t.id,
        "ip": t.ip,
        "created": t.created,
        "expires": t.expires,
        "uses-left": t.uses_left,
    })
}

fn email_token_options_from(v: &Value) -> EmailTokenOptions {
    EmailTokenOptions {
        ip: v["ip"].as_str().map(str::to_owned),
        lifetime: v["lifetime"].as_u64(),
        retval: v["retval"].as_str().map(str::to_owned),
        uses: v["uses"].as_u64().map(|n| n as u32),
    }
}

/// A grant-type's WIT name (`authorization-code`): its RFC name kebab-cased.
fn grant_type_json(g: &GrantType) -> Value {
    json!(g.as_str().replace('_', "-"))
}

fn grant_type_from(v: &Value) -> GrantType {
    let name = v.as_str().expect("a grant-type is a string");
    GrantType::parse(&name.replace('-', "_")).unwrap_or_else(|_| panic!("no grant-type {name}"))
}

fn client_spec_from(v: &Value) -> ClientSpec {
    ClientSpec {
        name: v["name"].as_str().expect("spec.name").to_owned(),
        confidential: v["confidential"].as_bool().expect("spec.confidential"),
        redirect_uris: names_from(&v["redirect-uris"]),
        grant_types: v["grant-types"]
            .as_array()
            .expect("spec.grant-types is an array")
            .iter()
            .map(grant_type_from)
            .collect(),
        scopes: v["scopes"].as_str().expect("spec.scopes").to_owned(),
    }
}

fn client_json(c: &Client) -> Value {
    json!({
        "id": c.id,
        "name": c.name,
        "confidential": c.confidential,
        "redirect-uris": c.redirect_uris.iter().map(|u| u.as_str()).collect::<Vec<_>>(),
        "grant-types": c.grant_types.iter().map(grant_type_json).collect::<Vec<_>>(),
        "scopes": c.scopes.to_string(),
        "created": c.created,
        "updated": c.updated,
    })
}

fn new_client_json(n: &NewClient) -> Value {
    json!({ "client": client_json(&n.client), "secret": n.secret })
}

fn lifetimes_json(l: &OAuthLifetimes) -> Value {
    json!({
        "code": l.code,
        "access": l.access,
        "refresh-idle": l.refresh_idle,
        "refresh": l.refresh,
        "refresh-grace": l.refresh_grace,
    })
}

fn lifetimes_from(v: &Value) -> OAuthLifetimes {
    let n = |k: &str| v[k].as_u64().unwrap_or_else(|| panic!("lifetimes.{k}"));
    OAuthLifetimes {
        code: n("code"),
        access: n("access"),
        refresh_idle: n("refresh-idle"),
        refresh: n("refresh"),
        refresh_grace: n("refresh-grace"),
    }
}

fn request_from(v: &Value) -> AuthorizationRequest {
    let opt = |k: &str| v[k].as_str().map(str::to_owned);
    AuthorizationRequest {
        response_type: v["response-type"]
            .as_str()
            .expect("response-type")
            .to_owned(),
        client_id: v["client-id"].as_str().expect("client-id").to_owned(),
        redirect_uri: opt("redirect-uri"),
        scope: opt("scope"),
        code_challenge: opt("code-challenge"),
        code_challenge_method: opt("code-challenge-method"),
    }
}

fn authorization_json(a: &Authorization) -> Value {
    json!({
        "client": client_json(&a.client),
        "redirect-uri": a.redirect_uri,
        "scopes": a.scopes.to_string(),
    })
}

fn token_response_json(t: &TokenResponse) -> Value {
    json!({
        "access-token": t.access_token,
        "expires-in": t.expires_in,
        "refresh-token": t.refresh_token,
        "scopes": t.scopes.to_string(),
    })
}

fn token_info_json(t: &TokenInfo) -> Value {
    json!({
        "access": t.access,
        "client-id": t.client_id,
        "user": t.user,
        "username": t.username,
        "scopes": t.scopes.to_string(),
        "expires": t.expires,
        "issued": t.issued,
    })
}

fn consent_json(c: &Consent) -> Value {
    json!({
        "client-id": c.client_id,
        "client-name": c.client_name,
        "scopes": c.scopes.to_string(),
        "since": c.since,
    })
}

/// Scopes as a scenario argument: a string that must parse.
fn scopes_from(v: &Value) -> Scopes {
    Scopes::parse(v.as_str().expect("scopes are a string")).expect("scopes parse")
}

/// An oauth-error as the scenario writes it: its WIT case name (the RFC
/// 6749 code kebab-cased; a store failure is `server-error`).
fn oauth_error_json(e: &OAuthError) -> Value {
    json!(e.code().replace('_', "-"))
}

/// An authorize-error as the scenario writes it: `"no-redirect"` or
/// `{"redirect": {"redirect-uri": uri, "error": case}}`.
fn authorize_error_json(e: &AuthorizeError) -> Value {
    match e {
        AuthorizeError::NoRedirect(_) => json!("no-redirect"),
        AuthorizeError::Redirect {
            redirect_uri,
            error,
        } => {
            json!({ "redirect": { "redirect-uri": redirect_uri, "error": oauth_error_json(error) } })
        }
    }
}

fn bearer_error_json(e: &BearerError) -> Value {
    json!(match e {
        BearerError::InvalidToken => "invalid-token",
        BearerError::InsufficientScope => "insufficient-scope",
    })
}

/// Why a call failed: moth's error, or the protocol's refusal in scenario
/// form (an oauth-error or authorize-error).
#[derive(Debug)]
enum Failure {
    Moth(Error),
    Refused(Value),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Moth(e)
    }
}

/// A protocol refusal (the inner error of an `oauth` call) as a failure.
fn refused<T, E>(r: Result<T, E>, form: fn(&E) -> Value) -> Result<T, Failure> {
    r.map_err(|e| Failure::Refused(form(&e)))
}

/// The names of the functions the world exports: every `name: func(` of
/// the WIT files but the imported store's.
fn exported_functions() -> std::collections::BTreeSet<String> {
    let wit = Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit");
    let mut names = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(&wit).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "wit") || path.ends_with("store.wit") {
            continue;
        }
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            if let Some((name, _)) = line.trim().split_once(": func(") {
                names.insert(name.to_owned());
            }
        }
    }
    assert!(names.len() > 30, "read the WIT files in {}", wit.display());
    names
}

fn settings_json(s: &Settings) -> Value {
    json!({
        "argon2-memory-kib": s.argon2_memory_kib,
        "argon2-iterations": s.argon2_iterations,
        "argon2-parallelism": s.argon2_parallelism,
        "default-token-lifetime": s.default_token_lifetime,
        "allow-weak-hashing": s.allow_weak_hashing,
        "max-tokens-per-user": s.max_tokens_per_user,
        "min-password-length": s.min_password_length,
        "refuse-common-passwords": s.refuse_common_passwords,
        "lockout-threshold": s.lockout_threshold,
        "lockout-window": s.lockout_window,
        "lockout-duration": s.lockout_duration,
        "lockout-max-duration": s.lockout_max_duration,
        "source-lockout-threshold": s.source_lockout_threshold,
        "source-lockout-window": s.source_lockout_window,
        "source-lockout-duration": s.source_lockout_duration,
        "log-retention": s.log_retention,
    })
}

fn settings_from(v: &Value) -> Settings {
    let n = |k: &str| v[k].as_u64().unwrap_or_else(|| panic!("settings.{k}"));
    let flag = |k: &str| v[k].as_bool().unwrap_or_else(|| panic!("settings.{k}"));
    Settings {
        argon2_memory_kib: n("argon2-memory-kib") as u32,
        argon2_iterations: n("argon2-iterations") as u32,
        argon2_parallelism: n("argon2-parallelism") as u32,
        default_token_lifetime: n("default-token-lifetime"),
        allow_weak_hashing: flag("allow-weak-hashing"),
        max_tokens_per_user: n("max-tokens-per-user") as u32,
        min_password_length: n("min-password-length") as u32,
        refuse_common_passwords: flag("refuse-common-passwords"),
        lockout_threshold: n("lockout-threshold") as u32,
        lockout_window: n("lockout-window"),
        lockout_duration: n("lockout-duration"),
        lockout_max_duration: n("lockout-max-duration"),
        source_lockout_threshold: n("source-lockout-threshold") as u32,
        source_lockout_window: n("source-lockout-window"),
        source_lockout_duration: n("source-lockout-duration"),
        log_retention: n("log-retention"),
    }
}

/// The cases of the WIT `error` variant (wit/types.wit), the only errors a
/// component call can report.
const WIT_ERRORS: [&str; 12] = [
    "no-user",
    "invalid-password",
    "user-exists",
    "invalid-token",
    "token-expired",
    "ip-mismatch",
    "name-taken",
    "limit-reached",
    "locked-out",
    "account-disabled",
    "invalid-input",
    "storage",
];

/// The scenario's name for an error: "trap" for [`Error::Component`] (the
/// component trapped; the scenario's `{"error": "trap"}`), else the WIT name
/// of the error case: the variant's Rust name, kebab-cased (`InvalidInput(..)`
/// is `invalid-input`). Panics on other host-only errors (`NoTenant`,
/// `Overloaded`, `Timeout`, ...), which the scenario never expects.
fn case(e: &Error) -> String {
    if let Error::Component(_) = e {
        return "trap".to_owned();
    }
    let debug = format!("{e:?}");
    let variant: String = debug
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    let mut name = String::new();
    for (i, c) in variant.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            name.push('-');
        }
        name.push(c.to_ascii_lowercase());
    }
    assert!(
        WIT_ERRORS.contains(&name.as_str()),
        "not a WIT error: {e:?}"
    );
    name
}

/// `expected` matches `actual`, with "*" matching anything.
fn matches(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::String(s), _) if s == "*" => true,
        (Value::Object(e), Value::Object(a)) => {
            e.len() == a.len()
                && e.iter()
                    .all(|(k, v)| a.get(k).is_some_and(|av| matches(v, av)))
        }
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(x, y)| matches(x, y))
        }
        _ => expected == actual,
    }
}

fn call(moth: &Moth, op: &str, a: &Value) -> Result<Value, Failure> {
    let s = |k: &str| {
        a[k].as_str()
            .unwrap_or_else(|| panic!("{op}: {k} must be a string"))
            .to_owned()
    };
    let n = |k: &str| {
        a[k].as_u64()
            .unwrap_or_else(|| panic!("{op}: {k} must be a number"))
    };
    Ok(match op {
        "create-user" => {
            user(&moth.create_user(&s("username"), &s("password"), &s("permissions"))?)
        }
        "delete-user" => moth.delete_user(n("id")).map(|_| Value::Null)?,
        "get-user" => user(&moth.get_user(n("id"))?),
        "list-users" => {
            let page = moth.list_users(a["after"].as_u64(), n("limit") as u32)?;
            json!({ "users": page.users.iter().map(user).collect::<Vec<_>>(), "next": page.next })
        }
        "set-password" => moth
            .set_password(n("id"), &s("password"))
            .map(|_| Value::Null)?,
        "set-permissions" => moth
            .set_permissions(n("id"), &s("permissions"))
            .map(|_| Value::Null)?,
        "check-password" => json!(moth.check_password(&s("username"), &s("password"))?),
        "login" => {
            let session = moth.login(
                &s("username"),
                &s("password"),
                a["lifetime"].as_u64().map(Duration::from_secs),
            )?;
            session_json(&session)
        }
        "validate" => validation_json(&moth.validate(&s("token"))?),
        "logout" => moth.logout(&s("token")).map(|_| Value::Null)?,
        "count-tokens" => json!(moth.count_tokens(n("id"))?),
        "delete-tokens" => json!(moth.delete_tokens(n("id"))?),
        "list-sessions" => Value::Array(
            moth.list_sessions(n("id"))?
                .iter()
                .map(|s| {
                    json!({
                        "id": s.id,
                        "created": s.created,
                        "expires": s.expires,
                        "source": s.source,
                        "device": s.device,
                    })
                })
                .collect(),
        ),
        "revoke-session" => moth
            .revoke_session(n("id"), &s("session"))
            .map(|_| Value::Null)?,
        "revoke-other-sessions" => json!(moth.revoke_other_sessions(&s("token"))?),
        "sweep" => {
            let outcome = moth.sweep(n("limit") as u32)?;
            json!({ "deleted": outcome.deleted, "next-expiry": outcome.next_expiry })
        }
        "get-settings" => settings_json(&moth.get_settings()?),
        "set-settings" => moth
            .set_settings(settings_from(&a["settings"]))
            .map(|_| Value::Null)?,
        "create-email-token" => {
            let t =
                moth.create_email_token(&s("address"), &email_token_options_from(&a["options"]))?;
            json!({ "token": t.token, "id": t.id, "expires": t.expires })
        }
        "auth-email-token" => {
            json!(moth.auth_email_token(&s("address"), &s("token"), a["ip"].as_str())?)
        }
        "set-email-token-retval" => moth
            .set_email_token_retval(&s("address"), &s("token"), a["retval"].as_str())
            .map(|_| Value::Null)?,
        "remove-email-token" => moth
            .remove_email_token(&s("address"), &s("token"))
            .map(|_| Value::Null)?,
        "list-email-tokens" => Value::Array(
            moth.list_email_tokens(&s("address"))?
                .iter()
                .map(email_token_info_json)
                .collect(),
        ),
        "revoke-email-token" => moth
            .revoke_email_token(&s("address"), &s("id"))
            .map(|_| Value::Null)?,
        "remove-email-address" => json!(moth.remove_email_address(&s("address"))?),
        "create-api-key" => new_api_key_json(&moth.create_api_key(
            &owner_from(&a["owner"]),
            &s("name"),
            &s("scopes"),
            a["lifetime"].as_u64().map(Duration::from_secs),
        )?),
        "verify-api-key" => api_key_json(&moth.verify_api_key(&s("key"))?),
        "get-api-key" => api_key_json(&moth.get_api_key(&s("id"))?),
        "list-api-keys" => Value::Array(
            moth.list_api_keys(&owner_from(&a["owner"]))?
                .iter()
                .map(api_key_json)
                .collect(),
        ),
        "revoke-api-key" => moth.revoke_api_key(&s("id")).map(|_| Value::Null)?,
        "rotate-api-key" => {
            new_api_key_json(&moth.rotate_api_key(&s("id"), Duration::from_secs(n("overlap")))?)
        }
        "revoke-api-keys" => json!(moth.revoke_api_keys(&owner_from(&a["owner"]))?),
        "issue-one-time-token" => {
            let t = moth.issue_one_time_token(
                n("id"),
                &s("purpose"),
                a["lifetime"].as_u64().map(Duration::from_secs),
            )?;
            json!({ "token": t.token, "expires": t.expires })
        }
        "redeem-one-time-token" => user(&moth.redeem_one_time_token(&s("token"), &s("purpose"))?),
        "reset-password" => user(&moth.reset_password(&s("token"), &s("new-password"))?),
        "login-from" => {
            let grant = moth.login_from(
                &s("username"),
                &s("password"),
                a["lifetime"].as_u64().map(Duration::from_secs),
                &login_context_from(&a["context"]),
            )?;
            json!({ "session": session_json(&grant.session), "device": grant.device })
        }
        "check-password-from" => json!(moth.check_password_from(
            &s("username"),
            &s("password"),
            &login_context_from(&a["context"])
        )?),
        "list-attempts" => log_page_json(&moth.list_attempts(
            &log_filter_from(&a["filter"]),
            a["after"].as_str(),
            n("limit") as u32,
        )?),
        "list-events" => log_page_json(&moth.list_events(
            &log_filter_from(&a["filter"]),
            a["after"].as_str(),
            n("limit") as u32,
        )?),
        "purge-attempts" => {
            let outcome = moth.purge_attempts(
                a["username"].as_str(),
                a["older-than"].as_u64(),
                kind_from(&a["kind"]),
                a["after"].as_str(),
            )?;
            json!({ "purged": outcome.purged, "next": outcome.next })
        }
        "list-locks" => {
            let page = moth.list_locks(a["after"].as_str(), n("limit") as u32)?;
            let locks: Vec<Value> = page
                .locks
                .iter()
                .map(|l| json!({ "subject": subject_json(&l.subject), "until": l.until, "lockouts": l.lockouts }))
                .collect();
            json!({ "locks": locks, "next": page.next })
        }
        "unlock" => json!(moth.unlock(&subject_from(&a["subject"]))?),
        "get-account-state" => account_state_json(&moth.get_account_state(n("id"))?),
        "set-account-state" => moth
            .set_account_state(n("id"), &account_state_from(&a["state"]))
            .map(|_| Value::Null)?,
        "create-permission" => {
            permission_json(&moth.create_permission(&s("name"), &s("description"))?)
        }
        "list-permissions" => Value::Array(
            moth.list_permissions()?
                .iter()
                .map(permission_json)
                .collect(),
        ),
        "delete-permission" => json!(moth.delete_permission(&s("name"))?),
        "create-bundle" => moth.create_bundle(&s("name")).map(|_| Value::Null)?,
        "list-bundles" => Value::Array(
            moth.list_bundles()?
                .iter()
                .map(|b| json!({ "name": b.name, "permissions": b.permissions }))
                .collect(),
        ),
        "delete-bundle" => json!(moth.delete_bundle(&s("name"))?),
        "create-group" => moth.create_group(&s("name")).map(|_| Value::Null)?,
        "list-groups" => Value::Array(
            moth.list_groups()?
                .iter()
                .map(|g| json!({ "name": g.name, "permissions": g.permissions, "bundles": g.bundles }))
                .collect(),
        ),
        "delete-group" => json!(moth.delete_group(&s("name"))?),
        "group-members" => json!(moth.group_members(&s("group"))?),
        "grant-role" => json!(moth.grant_role(&holder_from(&a["holder"]), &item_from(&a["item"]))?),
        "revoke-role" => {
            json!(moth.revoke_role(&holder_from(&a["holder"]), &item_from(&a["item"]))?)
        }
        "get-user-roles" => {
            let r = moth.get_user_roles(n("id"))?;
            json!({ "permissions": r.permissions, "bundles": r.bundles, "groups": r.groups })
        }
        "effective-permissions" => json!(moth.effective_permissions(n("id"))?),
        "has-all" => json!(moth.has_all(n("id"), &names_from(&a["permissions"]))?),
        "has-any" => json!(moth.has_any(n("id"), &names_from(&a["permissions"]))?),
        "token-has-all" => {
            json!(moth.token_has_all(&s("token"), &names_from(&a["permissions"]))?)
        }
        "token-has-any" => {
            json!(moth.token_has_any(&s("token"), &names_from(&a["permissions"]))?)
        }
        "validate-with-permissions" => {
            let (v, permissions) = moth.validate_with_permissions(&s("token"))?;
            json!({ "validation": validation_json(&v), "permissions": permissions })
        }
        "register-client" => new_client_json(&moth.register_client(&client_spec_from(&a["spec"]))?),
        "get-client" => json!(moth.get_client(&s("id"))?.as_ref().map(client_json)),
        "list-clients" => {
            let page = moth.list_clients(a["after"].as_str(), n("limit") as u32)?;
            json!({ "clients": page.clients.iter().map(client_json).collect::<Vec<_>>(), "next": page.next })
        }
        "update-client" => json!(
            moth.update_client(&s("id"), &client_spec_from(&a["spec"]))?
                .as_ref()
                .map(client_json)
        ),
        "rotate-client-secret" => {
            json!(moth.rotate_client_secret(&s("id"))?.as_ref().map(new_client_json))
        }
        "delete-client" => json!(moth.delete_client(&s("id"))?),
        "get-oauth-lifetimes" => lifetimes_json(&moth.get_oauth_lifetimes()?),
        "set-oauth-lifetimes" => moth
            .set_oauth_lifetimes(&lifetimes_from(&a["lifetimes"]))
            .map(|_| Value::Null)?,
        "check-authorization" => authorization_json(&refused(
            moth.check_authorization(&request_from(&a["request"]))?,
            authorize_error_json,
        )?),
        "issue-code" => json!(refused(
            moth.issue_code(&request_from(&a["request"]), n("user"))?,
            authorize_error_json,
        )?),
        "authenticate-token-client" => client_json(&refused(
            moth.authenticate_token_client(&s("client-id"), a["client-secret"].as_str())?,
            oauth_error_json,
        )?),
        "exchange-code" => token_response_json(&refused(
            moth.exchange_code(
                &s("client-id"),
                a["client-secret"].as_str(),
                &s("code"),
                a["redirect-uri"].as_str(),
                a["code-verifier"].as_str(),
            )?,
            oauth_error_json,
        )?),
        "refresh-grant" => token_response_json(&refused(
            moth.refresh_grant(
                &s("client-id"),
                a["client-secret"].as_str(),
                &s("refresh-token"),
                a["scope"].as_str(),
            )?,
            oauth_error_json,
        )?),
        "client-credentials-grant" => token_response_json(&refused(
            moth.client_credentials_grant(
                &s("client-id"),
                a["client-secret"].as_str(),
                a["scope"].as_str(),
            )?,
            oauth_error_json,
        )?),
        "revoke-oauth-token" => refused(
            moth.revoke_oauth_token(&s("client-id"), a["client-secret"].as_str(), &s("token"))?,
            oauth_error_json,
        )
        .map(|_| Value::Null)?,
        "introspect-token" => json!(moth.introspect_token(&s("token"))?.as_ref().map(token_info_json)),
        "authorize-bearer" => {
            // A malformed required scope is the outer `invalid-input`, as
            // the component says; the runner passes the text through.
            let required = s("required-scopes");
            match Scopes::parse(&required) {
                Ok(required) => match moth.authorize_bearer(&s("token"), &required)? {
                    Ok(info) => json!({ "ok": token_info_json(&info) }),
                    Err(e) => json!({ "err": bearer_error_json(&e) }),
                },
                Err(e) => return Err(Failure::Moth(Error::InvalidInput(e.to_string()))),
            }
        }
        "consent-covers" => json!(moth.consent_covers(
            n("user"),
            &s("client-id"),
            &scopes_from(&a["scopes"])
        )?),
        "list-consents" => Value::Array(
            moth.list_consents(n("user"))?
                .iter()
                .map(consent_json)
                .collect(),
        ),
        "revoke-consent" => json!(moth.revoke_consent(n("user"), &s("client-id"))?),
        other => panic!("unknown operation {other}"),
    })
}

fn substitute(v: &Value, saved: &HashMap<String, Value>) -> Value {
    match v {
        Value::String(s) if s.starts_with('$') => saved
            .get(&s[1..])
            .cloned()
            .unwrap_or_else(|| panic!("{s} unset")),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), substitute(v, saved)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|v| substitute(v, saved)).collect()),
        other => other.clone(),
    }
}

/// What a step's `save` keeps of its ok result `got` (in scenario form):
/// `"name"` keeps its `token`; `{"name": "field.path"}` keeps each field.
fn save(spec: &Value, got: &Value, saved: &mut HashMap<String, Value>) {
    let specs: Vec<(&str, &str)> = match spec {
        Value::Null => return,
        Value::String(name) => vec![(name.as_str(), "token")],
        Value::Object(m) => m
            .iter()
            .map(|(name, path)| {
                (
                    name.as_str(),
                    path.as_str().expect("a save path is a string"),
                )
            })
            .collect(),
        other => panic!("save must be a name or an object of paths, not {other}"),
    };
    for (name, path) in specs {
        // An empty path keeps the whole result (a code is a bare string).
        let value = path
            .split('.')
            .filter(|k| !k.is_empty())
            .try_fold(got, |v, k| match v {
                Value::Array(a) => k.parse::<usize>().ok().and_then(|i| a.get(i)),
                _ => v.get(k),
            })
            .unwrap_or_else(|| panic!("save {name}: no {path} in {got}"));
        saved.insert(name.to_owned(), value.clone());
    }
}

#[test]
fn the_shared_scenario_passes_through_the_rust_host() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/conformance/scenario.json"
    ))
    .unwrap();
    let scenario: Value = serde_json::from_str(&text).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clock = std::sync::Arc::new(moth::ManualClock::at(scenario["clock"].as_u64().unwrap()));
    let moth = moth::Options::new()
        .create(true)
        .settings(settings_from(&scenario["settings"]))
        .sweep_interval(None)
        .clock(clock.clone())
        .open(moth_tests::store(dir.path()))
        .unwrap();
    let mut saved = HashMap::new();
    let ops: std::collections::BTreeSet<&str> = scenario["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["expect"].is_object())
        .map(|s| s["op"].as_str().unwrap())
        .collect();
    let exported = exported_functions();
    assert_eq!(
        ops.iter()
            .map(|o| o.to_string())
            .collect::<std::collections::BTreeSet<_>>(),
        exported,
        "every function exported by moth:auth is exercised, and nothing else"
    );
    for (i, step) in scenario["steps"].as_array().unwrap().iter().enumerate() {
        let op = step["op"].as_str().unwrap();
        let args = substitute(&step["args"], &saved);
        let expect = substitute(&step["expect"], &saved);
        match op {
            "advance-clock" => clock.advance(args["seconds"].as_u64().unwrap()),
            "trap-store" => moth.capabilities().store.trap_next_call(),
            "fail-store" => moth.capabilities().store.fail_all(true),
            _ => {
                let got = call(&moth, op, &args);
                match (&got, expect.get("ok"), expect.get("error")) {
                    (Ok(v), Some(want), None) => {
                        assert!(matches(want, v), "step {i} {op}: {v} does not match {want}")
                    }
                    (Err(e), None, Some(want)) => {
                        let got = match e {
                            Failure::Moth(e) => json!(case(e)),
                            Failure::Refused(v) => v.clone(),
                        };
                        assert!(
                            matches(want, &got),
                            "step {i} {op}: {e:?} is {got}, not {want}"
                        )
                    }
                    _ => panic!("step {i} {op}: got {got:?}, expected {expect}"),
                }
                if let Ok(v) = &got {
                    save(&step["save"], v, &mut saved);
                }
            }
        }
    }
}
