//! `http`: arbitrary requests through the real router
//! ([`moth::server::router`]) over a database in a temporary directory,
//! with `tower::ServiceExt::oneshot`, no socket. No response may be a 5xx,
//! and every error response (but to `HEAD`) must be a JSON object with a
//! string `"error"`.
//!
//! An input is up to 8 requests; each picks a method, a route (known, under
//! `/t/{tenant}`, or any path: the user, session and tenant routes and those
//! of email tokens, API keys and one-time tokens), parameters (known names
//! or any, with strings, numbers, `null`s, arrays, objects, real usernames,
//! passwords, addresses, IPs and purposes, and the secrets and public ids
//! earlier responses of the input handed out, as they are or with a byte
//! changed) placed in a JSON body, the query string or raw bytes, a bearer
//! token and a tenant. Requests go by default to a tenant made for the
//! input (with cheap Argon2 costs) and deleted after it.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use arbitrary::{Arbitrary, Unstructured};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, StatusCode};
use moth::server::{ServerConfig, TENANT_HEADER, router};
use moth::{Durability, Moth, Options};
use serde_json::{Map, Number, Value, json};
use tower::ServiceExt as _;

use crate::{cheap_settings, forge};

/// Every route and its method.
const ROUTES: &[(&str, &str)] = &[
    ("/login", "GET"),
    ("/validate", "GET"),
    ("/passvalid", "GET"),
    ("/logout", "DELETE"),
    ("/new", "PUT"),
    ("/del", "DELETE"),
    ("/setpass", "PATCH"),
    ("/setperms", "PATCH"),
    ("/gettokens", "GET"),
    ("/getusers", "GET"),
    ("/getuser", "GET"),
    ("/deltokens", "DELETE"),
    ("/healthz", "GET"),
    ("/metrics", "GET"),
    ("/tenants", "GET"),
    ("/tenants", "PUT"),
    ("/tenants", "DELETE"),
    // 17..: email tokens.
    ("/email-tokens", "POST"),
    ("/email-tokens", "GET"),
    ("/email-tokens/auth", "POST"),
    ("/email-tokens/token", "DELETE"),
    ("/email-tokens/retval", "PATCH"),
    ("/email-tokens/by-id", "DELETE"),
    ("/email-tokens/by-address", "DELETE"),
    // 24..: API keys.
    ("/api-keys", "POST"),
    ("/api-keys", "GET"),
    ("/api-keys/verify", "POST"),
    ("/api-keys/rotate", "POST"),
    ("/api-keys/by-id", "GET"),
    ("/api-keys/by-id", "DELETE"),
    ("/api-keys/by-owner", "DELETE"),
    // 31..: one-time tokens.
    ("/one-time-tokens", "POST"),
    ("/one-time-tokens/redeem", "POST"),
    ("/one-time-tokens/reset-password", "POST"),
    // 34..: settings.
    ("/settings", "GET"),
    ("/settings", "PATCH"),
    // 36..: the attempt and event log, locks.
    ("/attempts", "GET"),
    ("/attempts", "DELETE"),
    ("/events", "GET"),
    ("/locks", "GET"),
    ("/locks", "DELETE"),
    // 41..: account states.
    ("/account-state", "GET"),
    ("/account-state", "PATCH"),
    // 43..: roles.
    ("/roles/permissions", "GET"),
    ("/roles/permissions", "POST"),
    ("/roles/permissions", "DELETE"),
    ("/roles/bundles", "POST"),
    ("/roles/groups", "POST"),
    ("/roles/groups", "DELETE"),
    ("/roles/members", "GET"),
    ("/roles/grants", "POST"),
    ("/roles/grants", "DELETE"),
    ("/roles/user", "GET"),
    ("/roles/check", "GET"),
    ("/roles/token-check", "POST"),
];

/// Every parameter name some route reads.
const PARAMS: &[&str] = &[
    "username",
    "password",
    "permissions",
    "id",
    "token",
    "lifetime",
    "after",
    "limit",
    "name",
    "argon2_memory_kib",
    "argon2_iterations",
    "argon2_parallelism",
    "token_lifetime",
    "allow_weak_hashing",
    // 14..
    "address",
    "ip",
    "retval",
    "uses",
    "user",
    "service",
    "scopes",
    "key",
    "overlap",
    "purpose",
    "max_tokens_per_user",
    "min_password_length",
    "refuse_common_passwords",
    "device",
    "source",
    "kind",
    "since",
    "until",
    "older_than",
    "account",
    "lockout_threshold",
    "source_lockout_threshold",
    "log_retention",
    "enabled",
    "disabled_from",
    "email_verified",
    "superuser",
    // 45..
    "description",
    "group",
    "bundle",
    "permission",
    "all",
    "any",
    "with_permissions",
];

const ADDRESSES: &[&str] = &["ann@example.com", "ANN@example.com", "é@例え.jp", "a\0b"];
const IPS: &[&str] = &[
    "192.0.2.1",
    "::ffff:192.0.2.1",
    "2001:db8::1",
    "256.1.1.1",
    "",
];
const PURPOSES: &[&str] = &[
    "reset-password",
    "verify-email",
    "rotate-api-key",
    "Reset-Password",
    "",
];

const USERNAMES: &[&str] = &["ann", "bob", "é", "a b"];
const PASSWORDS: &[&str] = &["pw", "pw2", "\0"];

#[derive(Arbitrary, Debug)]
pub struct Req {
    method: Verb,
    route: RouteChoice,
    params: Vec<(Key, Val)>,
    place: Place,
    bearer: Bearer,
    tenant: TenantChoice,
    host: HostChoice,
}

/// The `Host` (and `Origin`) a request names. The router refuses, with
/// 403, a request whose `Host` is missing or not allowed (against DNS
/// rebinding): only the allowed ones reach the routes.
#[derive(Arbitrary, Debug)]
enum HostChoice {
    Localhost,
    /// `127.0.0.1:{port}`.
    Loopback(u16),
    /// `localhost`, with an `Origin`.
    Origin(String),
    None,
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum Verb {
    /// The route's own method.
    Route,
    Get,
    Put,
    Patch,
    Delete,
    Post,
    Head,
    Options,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum RouteChoice {
    Known(u8),
    Raw(String),
}

#[derive(Arbitrary, Debug)]
enum Key {
    Known(u8),
    Raw(String),
    /// One of the parameters the route itself reads ([`route_params`]).
    Route(u8),
}

#[derive(Arbitrary, Debug)]
enum Val {
    Str(String),
    User(u8),
    Password(u8),
    /// A token minted earlier in this run, `0` the latest.
    Token(u8),
    /// A well-formed token never minted.
    Forged([u8; 32]),
    Id(u8),
    Int(i64),
    UInt(u64),
    Float(f64),
    Bool(bool),
    Null,
    /// A string of `n` times `c`, up to 128 KiB.
    Long(u16, char),
    Array(Vec<u8>),
    Object,
    Address(u8),
    Ip(u8),
    Purpose(u8),
    /// A public id (of an email token or API key) seen earlier, `0` the
    /// latest.
    PubId(u8),
    /// A secret seen earlier with one byte changed.
    Mutated(u8, u16, u8),
    /// A value of the kind its parameter takes (an address for `address`,
    /// a secret for `token`, …; [`fitting`]).
    Fit(u8),
}

#[derive(Arbitrary, Debug)]
enum Place {
    Json,
    Query,
    Both,
    RawBody(Vec<u8>),
    RawQuery(String),
}

#[derive(Arbitrary, Debug)]
enum Bearer {
    None,
    Real(u8),
    Text(String),
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum TenantChoice {
    /// The input's own tenant, by header.
    Fresh,
    /// The input's own tenant, by `/t/{tenant}`.
    FreshPath,
    /// No tenant: the default one.
    Default,
    Header(Vec<u8>),
    Path(String),
}

struct Fixture {
    moth: Moth,
    app: Router,
    rt: tokio::runtime::Runtime,
    inputs: AtomicU64,
    _dir: tempfile::TempDir,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let moth = Options::new()
            .create(true)
            .settings(cheap_settings())
            .sweep_interval(None)
            // No fsync a commit: the fuzzer checks logic, not the disk,
            // and a disk shared with builds made it IO-bound.
            .durability(Durability::Buffered)
            .open(dir.path().join("moth.db"))
            .expect("open a database");
        let app = router(moth.clone(), &ServerConfig::default());
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        Fixture {
            moth,
            app,
            rt,
            inputs: AtomicU64::new(0),
            _dir: dir,
        }
    })
}

fn pick<'a>(list: &[&'a str], i: u8) -> &'a str {
    list[i as usize % list.len()]
}

/// The parameters each route reads, by path (its own struct's fields).
fn route_params(path: &str) -> &'static [&'static str] {
    match path {
        "/login" => &["username", "password", "lifetime"],
        "/passvalid" => &["username", "password"],
        "/validate" | "/logout" => &["token"],
        "/new" => &["username", "password", "permissions"],
        "/del" | "/getuser" | "/gettokens" | "/deltokens" => &["id"],
        "/setpass" => &["id", "password"],
        "/setperms" => &["id", "permissions"],
        "/getusers" => &["after", "limit"],
        "/tenants" => &["name", "max_tokens_per_user", "token_lifetime"],
        // Never the Argon2 costs: an expensive hash would only slow the fuzzer.
        "/settings" => &[
            "max_tokens_per_user",
            "token_lifetime",
            "min_password_length",
            "refuse_common_passwords",
        ],
        "/email-tokens" => &["address", "ip", "lifetime", "retval", "uses"],
        "/email-tokens/auth" => &["address", "token", "ip"],
        "/email-tokens/token" => &["address", "token"],
        "/email-tokens/retval" => &["address", "token", "retval"],
        "/email-tokens/by-id" => &["address", "id"],
        "/email-tokens/by-address" => &["address"],
        "/api-keys" | "/api-keys/by-owner" => &["user", "service", "name", "scopes", "lifetime"],
        "/api-keys/verify" => &["key"],
        "/api-keys/rotate" => &["key", "id", "token", "overlap"],
        "/api-keys/by-id" => &["id"],
        "/one-time-tokens" => &["id", "purpose", "lifetime"],
        "/one-time-tokens/redeem" => &["token", "purpose"],
        "/one-time-tokens/reset-password" => &["token", "password"],
        "/roles/permissions" | "/roles/bundles" | "/roles/groups" => &["name", "description"],
        "/roles/members" => &["group"],
        "/roles/grants" => &["user", "group", "bundle", "permission"],
        "/roles/user" => &["id"],
        "/roles/check" => &["id", "all", "any"],
        "/roles/token-check" => &["token", "all", "any"],
        _ => PARAMS,
    }
}

/// A value of the kind parameter `key` of `path` takes, the `i`-th of a
/// few (`id` is a public id on the email-token and API-key routes, a user
/// id elsewhere).
fn fitting(key: &str, path: &str, i: u8) -> Val {
    let credential = path.contains("email-tokens") || path.contains("api-keys");
    match key {
        "address" => Val::Address(i),
        "ip" => Val::Ip(i),
        "purpose" => Val::Purpose(i),
        "token" | "key" => Val::Token(i % 2),
        "id" if credential => Val::PubId(i % 2),
        "id" | "user" => Val::Id(1 + i % 2),
        "username" => Val::User(i),
        "password" => Val::Password(i),
        "refuse_common_passwords" => Val::Bool(i % 2 == 0),
        "lifetime" | "uses" | "overlap" | "limit" | "after" | "max_tokens_per_user"
        | "min_password_length" => {
            Val::UInt([1, 2, 60, 900, 1000, 3600, 604_800, 0][i as usize % 8])
        }
        "service" => Val::Str(["billing", "ledger"][i as usize % 2].into()),
        "name" if path.starts_with("/roles/") => {
            Val::Str(["read", "staff", "Bad Name"][i as usize % 3].into())
        }
        "name" => Val::Str(["ci", "deploy", "fz-fit"][i as usize % 3].into()),
        "group" | "bundle" | "permission" => Val::Str(["read", "staff", ""][i as usize % 3].into()),
        "all" | "any" => Val::Str(["read", "read,staff", ""][i as usize % 3].into()),
        "with_permissions" => Val::Bool(i % 2 == 0),
        "scopes" | "retval" | "permissions" => Val::Str(["", "read", "r w"][i as usize % 3].into()),
        _ => Val::Str(String::new()),
    }
}

/// The `i`-th latest of `tokens` (not empty), `0` the latest.
fn latest(tokens: &[String], i: u8) -> &str {
    &tokens[tokens.len() - 1 - i as usize % tokens.len()]
}

impl Val {
    fn json(&self, tokens: &[String], ids: &[String]) -> Value {
        match self {
            Val::Str(s) => json!(s),
            Val::User(i) => json!(pick(USERNAMES, *i)),
            Val::Password(i) => json!(pick(PASSWORDS, *i)),
            Val::Token(i) if !tokens.is_empty() => json!(latest(tokens, *i)),
            Val::Token(i) => json!(forge(&[*i; 32])),
            Val::Forged(r) => json!(forge(r)),
            Val::Id(i) => json!(u64::from(*i % 8)),
            Val::Int(n) => json!(n),
            Val::UInt(n) => json!(n),
            Val::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Val::Bool(b) => json!(b),
            Val::Null => Value::Null,
            Val::Long(n, c) => json!(c.to_string().repeat(*n as usize * 2)),
            Val::Array(items) => json!(items),
            Val::Object => json!({"a": 1}),
            Val::Address(i) => json!(pick(ADDRESSES, *i)),
            Val::Ip(i) => json!(pick(IPS, *i)),
            Val::Purpose(i) => json!(pick(PURPOSES, *i)),
            Val::PubId(i) if !ids.is_empty() => json!(latest(ids, *i)),
            Val::PubId(i) => json!(format!("{:016x}", i)),
            Val::Mutated(i, at, b) if !tokens.is_empty() => {
                let mut t = latest(tokens, *i).as_bytes().to_vec();
                let at = *at as usize % t.len().max(1);
                if let Some(c) = t.get_mut(at) {
                    *c = *b;
                }
                json!(String::from_utf8_lossy(&t))
            }
            Val::Mutated(i, ..) => json!(forge(&[*i; 32])),
            // Resolved by `build`, which knows the key.
            Val::Fit(_) => Value::Null,
        }
    }
}

/// Percent-encode everything but unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn query_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The request `r` stands for, for tenant `fresh`; `None` when it is not
/// a valid HTTP request at all (which no server would be handed).
fn build(r: &Req, fresh: &str, tokens: &[String], ids: &[String]) -> Option<Request<Body>> {
    let (route, route_method) = match &r.route {
        RouteChoice::Known(i) => {
            let (p, m) = ROUTES[*i as usize % ROUTES.len()];
            (p.to_owned(), m)
        }
        RouteChoice::Raw(p) if p.starts_with('/') => (p.clone(), "GET"),
        RouteChoice::Raw(p) => (format!("/{p}"), "GET"),
    };
    let method = match &r.method {
        Verb::Route => route_method.to_owned(),
        Verb::Get => "GET".into(),
        Verb::Put => "PUT".into(),
        Verb::Patch => "PATCH".into(),
        Verb::Delete => "DELETE".into(),
        Verb::Post => "POST".into(),
        Verb::Head => "HEAD".into(),
        Verb::Options => "OPTIONS".into(),
        Verb::Other(m) => m.clone(),
    };
    let method = Method::from_bytes(method.as_bytes()).ok()?;
    let path = match &r.tenant {
        TenantChoice::FreshPath => format!("/t/{fresh}{route}"),
        TenantChoice::Path(t) => format!("/t/{t}{route}"),
        _ => route,
    };
    let mut map = Map::new();
    // The route without `/t/{tenant}`, for the names of its parameters.
    let bare = match &r.route {
        RouteChoice::Known(i) => ROUTES[*i as usize % ROUTES.len()].0,
        RouteChoice::Raw(_) => "",
    };
    for (k, v) in &r.params {
        let key = match k {
            Key::Known(i) => pick(PARAMS, *i).to_owned(),
            Key::Raw(s) => s.clone(),
            Key::Route(i) => pick(route_params(bare), *i).to_owned(),
        };
        let value = match v {
            Val::Fit(i) => fitting(&key, bare, *i).json(tokens, ids),
            v => v.json(tokens, ids),
        };
        map.insert(key, value);
    }
    // New tenants get cheap costs whatever was asked: the default 19 MiB
    // would only make the fuzzer slow.
    let creates_tenant = method == Method::PUT && path == "/tenants";
    if creates_tenant {
        let name = map.get("name").cloned().unwrap_or(json!("x"));
        let cap = map.get("max_tokens_per_user").cloned();
        map = Map::new();
        map.insert("name".into(), name);
        if let Some(cap) = cap {
            map.insert("max_tokens_per_user".into(), cap);
        }
        map.insert("argon2_memory_kib".into(), json!(8));
        map.insert("argon2_iterations".into(), json!(1));
        map.insert("argon2_parallelism".into(), json!(1));
        map.insert("allow_weak_hashing".into(), json!(true));
    }
    let query: String = map
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(&query_value(v))))
        .collect::<Vec<_>>()
        .join("&");
    let json_body = Value::Object(map.clone()).to_string().into_bytes();
    let (query, body) = match &r.place {
        _ if creates_tenant => (None, json_body),
        Place::Json => (None, json_body),
        Place::Query => (Some(query), Vec::new()),
        Place::Both => (Some(query), json_body),
        Place::RawBody(b) => (None, b.clone()),
        Place::RawQuery(q) => (Some(q.clone()), Vec::new()),
    };
    let uri = match query {
        Some(q) => format!("{path}?{q}"),
        None => path,
    };
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .body(Body::from(body))
        .ok()?;
    let headers = req.headers_mut();
    let tenant = match &r.tenant {
        TenantChoice::Fresh => Some(HeaderValue::from_str(fresh).ok()?),
        TenantChoice::Header(h) => Some(HeaderValue::from_bytes(h).ok()?),
        _ => None,
    };
    if let Some(t) = tenant {
        headers.insert(TENANT_HEADER, t);
    }
    let bearer = match &r.bearer {
        Bearer::None => None,
        Bearer::Real(i) if !tokens.is_empty() => Some(format!("Bearer {}", latest(tokens, *i))),
        Bearer::Real(i) => Some(format!("Bearer {}", forge(&[*i; 32]))),
        Bearer::Text(s) => Some(s.clone()),
        Bearer::Raw(b) => Some(String::from_utf8_lossy(b).into_owned()),
    };
    if let Some(b) = bearer {
        headers.insert("authorization", HeaderValue::from_str(&b).ok()?);
    }
    let (host, origin) = match &r.host {
        HostChoice::Localhost => (Some(HeaderValue::from_static("localhost")), None),
        HostChoice::Loopback(port) => (
            Some(HeaderValue::from_str(&format!("127.0.0.1:{port}")).ok()?),
            None,
        ),
        HostChoice::Origin(o) => (
            Some(HeaderValue::from_static("localhost")),
            Some(HeaderValue::from_str(o).ok()?),
        ),
        HostChoice::None => (None, None),
        HostChoice::Raw(h) => (Some(HeaderValue::from_bytes(h).ok()?), None),
    };
    if let Some(h) = host {
        headers.insert("host", h);
    }
    if let Some(o) = origin {
        headers.insert("origin", o);
    }
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    Some(req)
}

/// Send `reqs` in order; panics on a 5xx or an error that is not MOTH's
/// JSON. Returns the status and body of each request sent (`None` for one
/// that is no valid HTTP request).
pub fn send(reqs: &[Req]) -> Vec<Option<(StatusCode, String)>> {
    let fx = fixture();
    let fresh = format!("fz{}", fx.inputs.fetch_add(1, Ordering::Relaxed));
    fx.moth
        .create_tenant(&fresh, Some(cheap_settings()))
        .expect("create the input's tenant");
    let mut created = Vec::new();
    let mut statuses = Vec::new();
    // What this input's responses handed out: secrets (login, email and
    // one-time tokens, API keys) and public ids (of email tokens and API
    // keys), for later requests to use.
    let (mut tokens, mut ids) = (Vec::new(), Vec::new());
    for r in reqs {
        let Some(req) = build(r, &fresh, &tokens, &ids) else {
            statuses.push(None);
            continue;
        };
        let shown = format!("{} {}", req.method(), req.uri());
        let head = req.method() == Method::HEAD;
        let creates_tenant = req.method() == Method::PUT && req.uri().path() == "/tenants";
        let (status, body) = fx.rt.block_on(async {
            let res = fx.app.clone().oneshot(req).await.expect("infallible");
            let status = res.status();
            let body = axum::body::to_bytes(res.into_body(), usize::MAX)
                .await
                .expect("read the body");
            (status, body)
        });
        let text = String::from_utf8_lossy(&body);
        assert!(
            !status.is_server_error(),
            "{shown} ({r:?}) answered {status}: {text}"
        );
        if status.is_client_error() && !head {
            let error = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned));
            assert!(
                error.is_some(),
                "{shown} ({r:?}) answered {status} without a JSON error: {text:?}"
            );
        }
        statuses.push(Some((status, text.clone().into_owned())));
        // 200 or 201 (creations).
        if status.is_success()
            && let Ok(v) = serde_json::from_slice::<Value>(&body)
        {
            for name in ["token", "key"] {
                if let Some(t) = v.get(name).and_then(Value::as_str) {
                    tokens.push(t.to_owned());
                }
            }
            if let Some(id) = v.get("id").and_then(Value::as_str) {
                ids.push(id.to_owned());
            }
            if creates_tenant && let Some(t) = v.get("tenant").and_then(Value::as_str) {
                created.push(t.to_owned());
            }
        }
    }
    for t in created.iter().chain([&fresh]) {
        match fx.moth.delete_tenant(t) {
            Ok(()) | Err(moth::Error::NoTenant) => {}
            Err(e) => panic!("deleting tenant {t}: {e:?}"),
        }
    }
    statuses
}

/// One input: up to 8 requests.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(reqs) = u
        .arbitrary_iter::<Req>()
        .and_then(|it| it.take(8).collect::<Result<Vec<_>, _>>())
    else {
        return;
    };
    send(&reqs);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::{budget, generator};

    type Params = (Vec<(Key, Val)>, Place);

    fn req(route: u8, params: Vec<(Key, Val)>, place: Place) -> Req {
        Req {
            method: Verb::Route,
            route: RouteChoice::Known(route),
            params,
            place,
            bearer: Bearer::None,
            tenant: TenantChoice::Fresh,
            host: HostChoice::Localhost,
        }
    }

    /// Create, log in, validate by bearer, change, list, log out, delete;
    /// in the body and in the query.
    #[test]
    fn a_session_through_every_user_route() {
        for place in [|| Place::Json, || Place::Query] {
            let user = || (Key::Known(0), Val::User(0));
            let pw = || (Key::Known(1), Val::Password(0));
            let id = || (Key::Known(3), Val::Id(1));
            let mut validate = req(1, vec![], place());
            validate.bearer = Bearer::Real(0);
            send(&[
                req(
                    4,
                    vec![user(), pw(), (Key::Known(2), Val::Str("r".into()))],
                    place(),
                ),
                req(
                    0,
                    vec![user(), pw(), (Key::Known(5), Val::UInt(60))],
                    place(),
                ),
                validate,
                req(2, vec![user(), pw()], place()),
                req(
                    7,
                    vec![id(), (Key::Known(2), Val::Long(40_000, 'é'))],
                    place(),
                ),
                req(8, vec![id()], place()),
                req(9, vec![(Key::Known(7), Val::UInt(1000))], place()),
                req(10, vec![id()], place()),
                req(3, vec![(Key::Known(4), Val::Token(0))], place()),
                req(11, vec![id()], place()),
                req(5, vec![id()], place()),
                req(14, vec![], place()),
                req(
                    15,
                    vec![(Key::Known(8), Val::Str("fz-made".into()))],
                    place(),
                ),
                req(
                    16,
                    vec![(Key::Known(8), Val::Str("fz-made".into()))],
                    place(),
                ),
                req(12, vec![], place()),
                req(13, vec![], place()),
            ]);
        }
    }

    /// Email tokens, API keys and one-time tokens through each of their
    /// routes, with the parameter names of the vocabulary: each step
    /// reaches its handler and succeeds.
    #[test]
    fn the_credential_routes() {
        let k = Key::Known;
        let address = || (k(14), Val::Address(0));
        let body = |route: u8, params: Vec<(Key, Val)>| req(route, params, Place::Json);
        let query = |route: u8, params: Vec<(Key, Val)>| req(route, params, Place::Query);
        let mut bearer_verify = body(26, vec![]);
        bearer_verify.bearer = Bearer::Real(0);
        let steps: Vec<(Req, u16)> = vec![
            (
                body(
                    4,
                    vec![
                        (k(0), Val::User(0)),
                        (k(1), Val::Password(0)),
                        (k(2), Val::Str(String::new())),
                    ],
                ),
                200,
            ),
            // Email tokens.
            (
                body(
                    17,
                    vec![
                        address(),
                        (k(15), Val::Ip(0)),
                        (k(16), Val::Str("r".into())),
                        (k(17), Val::UInt(2)),
                        (k(5), Val::UInt(60)),
                    ],
                ),
                201,
            ),
            (query(18, vec![address()]), 200),
            (
                body(
                    21,
                    vec![
                        address(),
                        (k(4), Val::Token(0)),
                        (k(16), Val::Str("s".into())),
                    ],
                ),
                200,
            ),
            // The IPv4-mapped form of the bound IP is the same client.
            (
                body(
                    19,
                    vec![address(), (k(4), Val::Token(0)), (k(15), Val::Ip(1))],
                ),
                200,
            ),
            (query(22, vec![address(), (k(3), Val::PubId(0))]), 200),
            (
                body(
                    19,
                    vec![address(), (k(4), Val::Token(0)), (k(15), Val::Ip(0))],
                ),
                401,
            ),
            (body(17, vec![address()]), 201),
            (body(20, vec![address(), (k(4), Val::Token(0))]), 200),
            (body(17, vec![address()]), 201),
            (query(23, vec![address()]), 200),
            // Secrets are refused in URLs.
            (query(19, vec![address(), (k(4), Val::Token(0))]), 400),
            // API keys.
            (
                body(
                    24,
                    vec![
                        (k(18), Val::Id(1)),
                        (k(8), Val::Str("ci".into())),
                        (k(20), Val::Str("read".into())),
                        (k(5), Val::UInt(3600)),
                    ],
                ),
                201,
            ),
            (body(26, vec![(k(21), Val::Token(0))]), 200),
            (bearer_verify, 200),
            (query(25, vec![(k(18), Val::Id(1))]), 200),
            (query(28, vec![(k(3), Val::PubId(0))]), 200),
            (
                body(27, vec![(k(21), Val::Token(0)), (k(22), Val::UInt(60))]),
                200,
            ),
            (body(27, vec![(k(3), Val::PubId(0))]), 200),
            (body(26, vec![(k(21), Val::Mutated(0, 20, b'!'))]), 401),
            (query(29, vec![(k(3), Val::PubId(0))]), 200),
            (
                body(
                    24,
                    vec![
                        (k(19), Val::Str("billing".into())),
                        (k(8), Val::Str("x".into())),
                    ],
                ),
                201,
            ),
            (query(30, vec![(k(19), Val::Str("billing".into()))]), 200),
            // One-time tokens.
            (
                body(31, vec![(k(3), Val::Id(1)), (k(23), Val::Purpose(1))]),
                201,
            ),
            (
                body(32, vec![(k(4), Val::Token(0)), (k(23), Val::Purpose(1))]),
                200,
            ),
            (
                body(
                    31,
                    vec![
                        (k(3), Val::Id(1)),
                        (k(23), Val::Purpose(0)),
                        (k(5), Val::UInt(60)),
                    ],
                ),
                201,
            ),
            (
                body(33, vec![(k(4), Val::Token(0)), (k(1), Val::Password(1))]),
                200,
            ),
            (
                body(33, vec![(k(4), Val::Token(0)), (k(1), Val::Password(1))]),
                401,
            ),
            // A tenant with a token cap.
            (
                body(
                    15,
                    vec![(k(8), Val::Str("fz-cap".into())), (k(24), Val::UInt(3))],
                ),
                200,
            ),
            (query(16, vec![(k(8), Val::Str("fz-cap".into()))]), 200),
        ];
        let want: Vec<u16> = steps.iter().map(|(_, s)| *s).collect();
        let reqs: Vec<Req> = steps.into_iter().map(|(r, _)| r).collect();
        let got = send(&reqs);
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            let status = g.as_ref().map_or(0, |(s, _)| s.as_u16());
            assert_eq!(status, *w, "step {i}: {:?} answered {g:?}", reqs[i]);
        }
        // The same by the routes' own parameter names and fitting values.
        let fit = |route: u8, n: u8| {
            body(
                route,
                (0..n).map(|i| (Key::Route(i), Val::Fit(0))).collect(),
            )
        };
        let steps = [
            (fit(4, 3), 200),  // PUT /new
            (fit(17, 1), 201), // POST /email-tokens {address}
            (fit(19, 2), 200), // POST /email-tokens/auth {address, token}
            (fit(31, 2), 201), // POST /one-time-tokens {id, purpose}
            (fit(32, 2), 200), // POST /one-time-tokens/redeem {token, purpose}
            (
                body(
                    24,
                    vec![(Key::Route(0), Val::Fit(0)), (Key::Route(2), Val::Fit(0))],
                ),
                201,
            ), // POST /api-keys {user, name}
            (fit(26, 1), 200), // POST /api-keys/verify {key}
        ];
        let want: Vec<u16> = steps.iter().map(|(_, s)| *s).collect();
        let reqs: Vec<Req> = steps.into_iter().map(|(r, _)| r).collect();
        for (i, (g, w)) in send(&reqs).iter().zip(&want).enumerate() {
            let status = g.as_ref().map_or(0, |(s, _)| s.as_u16());
            assert_eq!(status, *w, "fitting step {i}: {:?} answered {g:?}", reqs[i]);
        }
    }

    /// Every route with wrong, missing, oversized and malformed input.
    #[test]
    fn every_route_with_bad_input() {
        let bad: Vec<fn() -> Params> = vec![
            || (vec![], Place::Json),
            || (vec![], Place::RawBody(b"{".to_vec())),
            || (vec![], Place::RawBody(b"[1]".to_vec())),
            || (vec![], Place::RawBody(vec![0xff, 0xfe])),
            || (vec![], Place::RawBody(b"null".to_vec())),
            || (vec![], Place::RawQuery("id=%ZZ&&=&id=1&id=2".into())),
            || (vec![], Place::RawQuery("username[]=a".into())),
            || (vec![(Key::Known(3), Val::Int(-1))], Place::Json),
            || (vec![(Key::Known(3), Val::Float(1.5))], Place::Query),
            || (vec![(Key::Known(3), Val::UInt(u64::MAX))], Place::Both),
            || (vec![(Key::Known(7), Val::Int(0))], Place::Query),
            || (vec![(Key::Known(5), Val::Float(1e300))], Place::Json),
            || (vec![(Key::Known(0), Val::Array(vec![1]))], Place::Json),
            || (vec![(Key::Known(0), Val::Object)], Place::Json),
            || {
                (
                    vec![(Key::Known(0), Val::Null), (Key::Known(1), Val::Null)],
                    Place::Json,
                )
            },
            || {
                (
                    vec![(Key::Known(0), Val::Long(u16::MAX, '😀'))],
                    Place::Json,
                )
            },
            || {
                (
                    vec![(Key::Raw("".into()), Val::Str("\0".into()))],
                    Place::Query,
                )
            },
        ];
        for route in 0..ROUTES.len() as u8 {
            let reqs: Vec<Req> = bad
                .iter()
                .map(|b| {
                    let (params, place) = b();
                    req(route, params, place)
                })
                .collect();
            send(&reqs);
        }
        let odd = |method: Verb, route: RouteChoice, tenant: TenantChoice, bearer: Bearer| Req {
            method,
            route,
            params: vec![],
            place: Place::Json,
            bearer,
            tenant,
            host: HostChoice::Localhost,
        };
        send(&[
            odd(
                Verb::Head,
                RouteChoice::Known(1),
                TenantChoice::Fresh,
                Bearer::None,
            ),
            odd(
                Verb::Options,
                RouteChoice::Known(0),
                TenantChoice::Fresh,
                Bearer::None,
            ),
            odd(
                Verb::Post,
                RouteChoice::Known(4),
                TenantChoice::Default,
                Bearer::None,
            ),
            odd(
                Verb::Other("BREW".into()),
                RouteChoice::Known(4),
                TenantChoice::Fresh,
                Bearer::None,
            ),
            odd(
                Verb::Get,
                RouteChoice::Raw("/nope".into()),
                TenantChoice::Fresh,
                Bearer::None,
            ),
            odd(
                Verb::Get,
                RouteChoice::Raw("//login".into()),
                TenantChoice::Fresh,
                Bearer::None,
            ),
            odd(
                Verb::Get,
                RouteChoice::Known(1),
                TenantChoice::Path("nope".into()),
                Bearer::None,
            ),
            odd(
                Verb::Get,
                RouteChoice::Known(1),
                TenantChoice::Path("%ZZ".into()),
                Bearer::None,
            ),
            odd(
                Verb::Get,
                RouteChoice::Known(1),
                TenantChoice::Path("".into()),
                Bearer::None,
            ),
            odd(
                Verb::Get,
                RouteChoice::Known(1),
                TenantChoice::Header(vec![0xff]),
                Bearer::None,
            ),
            odd(
                Verb::Get,
                RouteChoice::Known(1),
                TenantChoice::Header(b"a".repeat(100)),
                Bearer::None,
            ),
            odd(
                Verb::Get,
                RouteChoice::Known(1),
                TenantChoice::FreshPath,
                Bearer::Text("Bearer".into()),
            ),
            odd(
                Verb::Get,
                RouteChoice::Known(1),
                TenantChoice::Fresh,
                Bearer::Text("bearer  x ".into()),
            ),
            odd(
                Verb::Get,
                RouteChoice::Known(1),
                TenantChoice::Fresh,
                Bearer::Raw(vec![0x80]),
            ),
            odd(
                Verb::Delete,
                RouteChoice::Known(3),
                TenantChoice::Fresh,
                Bearer::Real(0),
            ),
        ]);
        // Hosts and origins the router refuses (403), and one it takes.
        let hosts = [
            HostChoice::None,
            HostChoice::Raw(b"evil.example".to_vec()),
            HostChoice::Origin("http://evil.example".into()),
            HostChoice::Loopback(8080),
        ];
        let want = [403, 403, 403, 200];
        let got = send(
            &hosts
                .into_iter()
                .map(|host| Req {
                    host,
                    ..req(12, vec![], Place::Json)
                })
                .collect::<Vec<_>>(),
        );
        let got: Vec<u16> = got
            .iter()
            .map(|s| s.as_ref().map_or(0, |(s, _)| s.as_u16()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn generated_inputs() {
        let mut g = generator(3);
        for _ in 0..budget(300) {
            run(&g.input(512));
        }
    }
}
