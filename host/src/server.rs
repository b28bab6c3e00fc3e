//! The HTTP API: MOTH's twelve routes, fixed and hardened.
//!
//! Parameters come in a JSON object body on every method, as MOTH reads
//! them, or in the query string when the body is empty. Responses carry
//! MOTH's JSON keys in MOTH's order; errors are `{"error": "<MOTH's text>"}`
//! with the status MOTH's README documents.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{
    DefaultBodyLimit, FromRequestParts, MatchedPath, RawPathParams, RawQuery, Request, State,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, put};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

use crate::metrics::HistogramSet;
use crate::{Error, Moth};

/// The largest request body accepted, in bytes. A password is at most
/// 1 KiB and a permissions string 64 KiB, so this leaves room for both.
pub const MAX_BODY_BYTES: usize = 96 * 1024;

/// How the server listens and whom it lets in.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Where to listen. Default `127.0.0.1:8080`.
    pub addr: SocketAddr,
    /// When set, every route but login, validate, logout, passvalid and
    /// healthz requires `Authorization: Bearer <key>`.
    pub admin_key: Option<String>,
    /// Allow a non-loopback address without an admin key.
    pub insecure_open: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            admin_key: None,
            insecure_open: false,
        }
    }
}

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Serving admin routes to the network without a key was not allowed.
    #[error(
        "refusing to listen on {0} without an admin key: anyone who can reach it could \
         create, change and delete users. Give --admin-key-file, or --insecure-open to accept the risk"
    )]
    InsecureBind(SocketAddr),
    /// The admin key is empty or unusable.
    #[error("the admin key must be at least 16 characters")]
    WeakAdminKey,
    /// Binding or serving failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl ServerConfig {
    /// Refuse configurations that would expose admin routes carelessly.
    pub fn check(&self) -> Result<(), ServerError> {
        if let Some(key) = &self.admin_key
            && key.trim().len() < 16
        {
            return Err(ServerError::WeakAdminKey);
        }
        if !self.addr.ip().is_loopback() && self.admin_key.is_none() && !self.insecure_open {
            return Err(ServerError::InsecureBind(self.addr));
        }
        Ok(())
    }
}

/// Serve until SIGINT or SIGTERM, then finish requests in flight and
/// return (MOTH's `run`).
pub fn run(moth: Moth, config: ServerConfig) -> Result<(), ServerError> {
    config.check()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(config.addr).await?;
        tracing::info!(addr = %listener.local_addr()?, "moth listening");
        serve(listener, moth, &config, shutdown_signal()).await
    })
}

/// Serve on `listener` until `shutdown` completes, then drain.
pub async fn serve(
    listener: tokio::net::TcpListener,
    moth: Moth,
    config: &ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    config.check()?;
    axum::serve(listener, router(moth, config))
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

/// A server running on its own threads (MOTH's `run_threaded`, with a way
/// to stop it). Dropping the handle stops the server too.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<(), ServerError>>>,
}

impl ServerHandle {
    /// The address the server is bound to (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stop accepting, finish requests in flight, and wait.
    pub fn shutdown(mut self) -> Result<(), ServerError> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> Result<(), ServerError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(ServerError::Io(std::io::Error::other(
                "server thread panicked",
            ))),
            None => Ok(()),
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        let _ = self.stop_and_join();
    }
}

/// Start serving in the background; returns once the socket is bound.
pub fn spawn(moth: Moth, config: ServerConfig) -> Result<ServerHandle, ServerError> {
    config.check()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let listener = rt.block_on(tokio::net::TcpListener::bind(config.addr))?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("moth-server".into())
        .spawn(move || {
            rt.block_on(serve(listener, moth, &config, async {
                let _ = stopped.await;
            }))
        })?;
    Ok(ServerHandle {
        addr,
        stop: Some(stop),
        thread: Some(thread),
    })
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

#[derive(Default)]
struct HttpMetrics {
    latency: HistogramSet,
    statuses: Mutex<std::collections::BTreeMap<(String, u16), u64>>,
}

struct AppState {
    moth: Moth,
    admin_key_digest: Option<[u8; 32]>,
    http: HttpMetrics,
}

type Shared = State<Arc<AppState>>;

/// The router with every route, limit and middleware, for embedding the API
/// into another axum application.
pub fn router(moth: Moth, config: &ServerConfig) -> Router {
    let state = Arc::new(AppState {
        moth,
        admin_key_digest: config
            .admin_key
            .as_ref()
            .map(|k| Sha256::digest(k.trim().as_bytes()).into()),
        http: HttpMetrics::default(),
    });
    let admin = || middleware::from_fn_with_state(state.clone(), require_admin);
    let public = Router::new()
        .route("/login", get(login))
        .route("/validate", get(validate))
        .route("/passvalid", get(passvalid))
        .route("/logout", delete(logout));
    let managed = Router::new()
        .route("/new", put(new_user))
        .route("/del", delete(del_user))
        .route("/setpass", patch(set_pass))
        .route("/setperms", patch(set_perms))
        .route("/gettokens", get(get_tokens))
        .route("/getusers", get(get_users))
        .route("/getuser", get(get_user))
        .route("/deltokens", delete(del_tokens))
        .route_layer(admin());
    // The same API for the default tenant (or X-Moth-Tenant) and under /t/{tenant}.
    let api: Router<Arc<AppState>> = public.merge(managed);
    let top = Router::new().route("/healthz", get(healthz)).merge(
        Router::new()
            .route("/metrics", get(metrics))
            .route(
                "/tenants",
                get(list_tenants).put(create_tenant).delete(delete_tenant),
            )
            .route_layer(admin()),
    );
    top.merge(api.clone())
        .nest("/t/{tenant}", api)
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "Not found") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed")
        })
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// The tenant a request is for: the `/t/{tenant}` path prefix, else the
/// `X-Moth-Tenant` header, else `default`.
struct Tenant(Moth);

/// The header naming a request's tenant.
pub const TENANT_HEADER: &str = "x-moth-tenant";

impl FromRequestParts<Arc<AppState>> for Tenant {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        let in_path = RawPathParams::from_request_parts(parts, state)
            .await
            .ok()
            .and_then(|p| {
                p.iter()
                    .find(|(k, _)| *k == "tenant")
                    .map(|(_, v)| v.to_owned())
            });
        let in_header = match parts.headers.get(TENANT_HEADER) {
            Some(v) => Some(
                v.to_str()
                    .map_err(|_| ApiError::invalid("the tenant header is not text"))?
                    .to_owned(),
            ),
            None => None,
        };
        let name = match (in_path, in_header) {
            (Some(p), Some(h)) if p != h => {
                return Err(ApiError::invalid(
                    "the tenant in the path and in the header differ",
                ));
            }
            (Some(p), _) => p,
            (None, Some(h)) => h,
            (None, None) => return Ok(Tenant(state.moth.clone())),
        };
        Ok(Tenant(state.moth.tenant(&name)?))
    }
}

/// A failed request: a status and MOTH's message.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }

    fn missing() -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "Missing request parameters")
    }

    fn invalid(why: impl std::fmt::Display) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("Invalid request parameters: {why}"),
        )
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let status = match &e {
            Error::NoUser | Error::InvalidPassword | Error::InvalidToken | Error::TokenExpired => {
                StatusCode::UNAUTHORIZED
            }
            Error::UserExists => StatusCode::CONFLICT,
            Error::InvalidInput(why) => return ApiError::invalid(why),
            Error::NoTenant => StatusCode::NOT_FOUND,
            Error::TenantExists => StatusCode::CONFLICT,
            Error::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
            // The call was stopped and its instance discarded; say why.
            Error::Timeout(_) | Error::MemoryLimit(_) | Error::Component(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            Error::Storage(_) | Error::NoDatabase(_) => {
                tracing::error!(error = %e, "request failed inside moth");
                return ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal error; see the server log",
                );
            }
        };
        ApiError::new(status, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct Body {
            error: String,
        }
        let mut res = (
            self.status,
            Json(Body {
                error: self.message,
            }),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

type ApiResult<T> = Result<Json<T>, ApiError>;

/// Request parameters: a JSON object body, else the query string.
struct Params {
    map: Map<String, Value>,
    /// Query-string values are all strings; numbers are parsed from them.
    from_query: bool,
}

impl Params {
    fn parse(query: Option<String>, body: &Bytes) -> Result<Params, ApiError> {
        if body.iter().any(|b| !b.is_ascii_whitespace()) {
            let value: Value = serde_json::from_slice(body)
                .map_err(|e| ApiError::invalid(format!("malformed JSON body: {e}")))?;
            return match value {
                Value::Object(map) => Ok(Params {
                    map,
                    from_query: false,
                }),
                _ => Err(ApiError::invalid("the JSON body must be an object")),
            };
        }
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(query.as_deref().unwrap_or(""))
                .map_err(|e| ApiError::invalid(format!("malformed query string: {e}")))?;
        Ok(Params {
            map: pairs
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
            from_query: true,
        })
    }

    fn opt_str(&self, key: &str) -> Result<Option<String>, ApiError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ApiError::invalid(format!("{key} must be a string"))),
        }
    }

    fn str(&self, key: &str) -> Result<String, ApiError> {
        self.opt_str(key)?.ok_or_else(ApiError::missing)
    }

    fn opt_u64(&self, key: &str) -> Result<Option<u64>, ApiError> {
        let bad = || ApiError::invalid(format!("{key} must be a non-negative integer"));
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n.as_u64().map(Some).ok_or_else(bad),
            Some(Value::String(s)) if self.from_query => s.parse().map(Some).map_err(|_| bad()),
            Some(_) => Err(bad()),
        }
    }

    fn u64(&self, key: &str) -> Result<u64, ApiError> {
        self.opt_u64(key)?.ok_or_else(ApiError::missing)
    }

    /// The token: a `token` parameter, else `Authorization: Bearer`.
    fn token(&self, headers: &HeaderMap) -> Result<String, ApiError> {
        if let Some(t) = self.opt_str("token")? {
            return Ok(t);
        }
        bearer(headers)
            .map(str::to_owned)
            .ok_or_else(ApiError::missing)
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

/// Run a moth call on the blocking pool: Argon2 takes tens of milliseconds
/// and must not stall the async workers.
/// Run a short moth call (no Argon2: microseconds) on this worker thread
/// when an instance is free at once; otherwise queue it on the blocking
/// pool like any other call, so waiting never stalls the async workers.
async fn quick<T: Send + 'static>(
    moth: Moth,
    f: impl Fn(&Moth) -> crate::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    match f(&moth.no_wait()) {
        Err(Error::Overloaded) => blocking(move || f(&moth)).await,
        other => other.map_err(ApiError::from),
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> crate::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result.map_err(ApiError::from),
        Err(e) => {
            tracing::error!(error = %e, "moth call panicked");
            Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal error; see the server log",
            ))
        }
    }
}

async fn require_admin(State(state): Shared, req: Request, next: Next) -> Response {
    if let Some(expected) = &state.admin_key_digest {
        // Comparing digests leaks nothing about the key through timing.
        let given = bearer(req.headers()).map(|k| <[u8; 32]>::from(Sha256::digest(k.as_bytes())));
        if given.as_ref() != Some(expected) {
            return ApiError::new(StatusCode::UNAUTHORIZED, "Admin key required").into_response();
        }
    }
    next.run(req).await
}

/// Count, time and log every request. Logs the path only: query strings
/// and bodies may hold passwords and tokens.
async fn observe(State(state): Shared, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_owned();
    let res = next.run(req).await;
    let elapsed = started.elapsed();
    let status = res.status().as_u16();
    state.http.latency.get(&route).observe(elapsed);
    *state
        .http
        .statuses
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry((route.clone(), status))
        .or_default() += 1;
    tracing::info!(%method, route, status, micros = elapsed.as_micros() as u64, "request");
    res
}

#[derive(Serialize)]
struct LoginBody {
    token: String,
    userid: u64,
    username: String,
    permissions: String,
    expires: u64,
}

async fn login(Tenant(moth): Tenant, RawQuery(q): RawQuery, body: Bytes) -> ApiResult<LoginBody> {
    let p = Params::parse(q, &body)?;
    let (username, password) = (p.str("username")?, p.str("password")?);
    let lifetime = p.opt_u64("lifetime")?.map(Duration::from_secs);
    let session = blocking(move || moth.login(&username, &password, lifetime)).await?;
    Ok(Json(LoginBody {
        token: session.token,
        userid: session.user.id,
        username: session.user.username,
        permissions: session.user.permissions,
        expires: session.expires,
    }))
}

#[derive(Serialize)]
struct ValidateBody {
    valid: bool,
    userid: u64,
    username: String,
    permissions: String,
    expires: u64,
}

async fn validate(
    Tenant(moth): Tenant,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> ApiResult<ValidateBody> {
    let token = Params::parse(q, &body)?.token(&headers)?;
    let v = quick(moth, move |m| m.validate(&token)).await?;
    Ok(Json(ValidateBody {
        valid: true,
        userid: v.user.id,
        username: v.user.username,
        permissions: v.user.permissions,
        expires: v.expires,
    }))
}

#[derive(Serialize)]
struct ValidBody {
    valid: bool,
}

async fn passvalid(
    Tenant(moth): Tenant,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> ApiResult<ValidBody> {
    let p = Params::parse(q, &body)?;
    let (username, password) = (p.str("username")?, p.str("password")?);
    let valid = blocking(move || moth.password_valid(&username, &password)).await?;
    Ok(Json(ValidBody { valid }))
}

#[derive(Serialize)]
struct DeletedBody {
    deleted: bool,
}

async fn logout(
    Tenant(moth): Tenant,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> ApiResult<DeletedBody> {
    let token = Params::parse(q, &body)?.token(&headers)?;
    quick(moth, move |m| m.logout(&token)).await?;
    Ok(Json(DeletedBody { deleted: true }))
}

#[derive(Serialize)]
struct NewUserBody {
    userid: u64,
    username: String,
    permissions: String,
}

async fn new_user(
    Tenant(moth): Tenant,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> ApiResult<NewUserBody> {
    let p = Params::parse(q, &body)?;
    let (username, password) = (p.str("username")?, p.str("password")?);
    let permissions = p.str("permissions")?;
    let u = blocking(move || moth.new_user(&username, &password, &permissions)).await?;
    Ok(Json(NewUserBody {
        userid: u.id,
        username: u.username,
        permissions: u.permissions,
    }))
}

async fn del_user(
    Tenant(moth): Tenant,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> ApiResult<DeletedBody> {
    let id = Params::parse(q, &body)?.u64("id")?;
    blocking(move || moth.delete_user(id)).await?;
    Ok(Json(DeletedBody { deleted: true }))
}

#[derive(Serialize)]
struct UpdatedBody {
    updated: bool,
}

async fn set_pass(
    Tenant(moth): Tenant,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> ApiResult<UpdatedBody> {
    let p = Params::parse(q, &body)?;
    let (id, password) = (p.u64("id")?, p.str("password")?);
    blocking(move || moth.set_password(id, &password)).await?;
    Ok(Json(UpdatedBody { updated: true }))
}

async fn set_perms(
    Tenant(moth): Tenant,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> ApiResult<UpdatedBody> {
    let p = Params::parse(q, &body)?;
    let (id, permissions) = (p.u64("id")?, p.str("permissions")?);
    quick(moth, move |m| m.set_permissions(id, &permissions)).await?;
    Ok(Json(UpdatedBody { updated: true }))
}

#[derive(Serialize)]
struct CountBody {
    count: u64,
}

async fn get_tokens(
    Tenant(moth): Tenant,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> ApiResult<CountBody> {
    let id = Params::parse(q, &body)?.u64("id")?;
    let count = quick(moth, move |m| m.token_count(id)).await?;
    Ok(Json(CountBody { count }))
}

#[derive(Serialize)]
struct UserBody {
    id: u64,
    username: String,
    permissions: String,
}

impl From<crate::User> for UserBody {
    fn from(u: crate::User) -> Self {
        UserBody {
            id: u.id,
            username: u.username,
            permissions: u.permissions,
        }
    }
}

async fn get_users(
    Tenant(moth): Tenant,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> ApiResult<Vec<UserBody>> {
    let p = Params::parse(q, &body)?;
    let after = p.opt_u64("after")?;
    // MOTH returns every user; `limit` asks for one page instead (the
    // response stays an array, so MOTH clients are unaffected).
    let users = match p.opt_u64("limit")? {
        None => blocking(move || moth.users()).await?,
        Some(limit) => {
            let limit =
                u32::try_from(limit).map_err(|_| ApiError::invalid("limit must be 1..=1000"))?;
            blocking(move || moth.users_page(after, limit)).await?.users
        }
    };
    Ok(Json(users.into_iter().map(UserBody::from).collect()))
}

async fn get_user(Tenant(moth): Tenant, RawQuery(q): RawQuery, body: Bytes) -> ApiResult<UserBody> {
    let id = Params::parse(q, &body)?.u64("id")?;
    Ok(Json(quick(moth, move |m| m.user(id)).await?.into()))
}

#[derive(Serialize)]
struct DelTokensBody {
    deleted: bool,
    count: u64,
}

async fn del_tokens(
    Tenant(moth): Tenant,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> ApiResult<DelTokensBody> {
    let id = Params::parse(q, &body)?.u64("id")?;
    let count = blocking(move || moth.delete_tokens(id)).await?;
    Ok(Json(DelTokensBody {
        deleted: count > 0,
        count,
    }))
}

async fn list_tenants(State(s): Shared) -> ApiResult<Vec<String>> {
    let moth = s.moth.clone();
    Ok(Json(blocking(move || moth.tenants()).await?))
}

#[derive(Serialize)]
struct TenantBody {
    tenant: String,
}

async fn create_tenant(
    State(s): Shared,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> ApiResult<TenantBody> {
    let p = Params::parse(q, &body)?;
    let name = p.str("name")?;
    let d = crate::Settings::default();
    let narrow = |key: &str, default: u32| -> Result<u32, ApiError> {
        match p.opt_u64(key)? {
            None => Ok(default),
            Some(v) => {
                u32::try_from(v).map_err(|_| ApiError::invalid(format!("{key} is too large")))
            }
        }
    };
    let settings = crate::Settings {
        argon2_memory_kib: narrow("argon2_memory_kib", d.argon2_memory_kib)?,
        argon2_iterations: narrow("argon2_iterations", d.argon2_iterations)?,
        argon2_parallelism: narrow("argon2_parallelism", d.argon2_parallelism)?,
        default_token_lifetime: p
            .opt_u64("token_lifetime")?
            .unwrap_or(d.default_token_lifetime),
    };
    let moth = s.moth.clone();
    let created = blocking(move || moth.create_tenant(&name, Some(settings))).await?;
    Ok(Json(TenantBody {
        tenant: created.tenant_name().to_owned(),
    }))
}

async fn delete_tenant(
    State(s): Shared,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> ApiResult<DeletedBody> {
    let name = Params::parse(q, &body)?.str("name")?;
    let moth = s.moth.clone();
    blocking(move || moth.delete_tenant(&name)).await?;
    Ok(Json(DeletedBody { deleted: true }))
}

async fn healthz() -> Json<Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

async fn metrics(State(s): Shared) -> impl IntoResponse {
    let mut out = String::new();
    out.push_str("# HELP moth_http_requests_total HTTP requests by route and status.\n");
    out.push_str("# TYPE moth_http_requests_total counter\n");
    for ((route, status), n) in s
        .http
        .statuses
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
    {
        out.push_str(&format!(
            "moth_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}\n"
        ));
    }
    out.push_str("# HELP moth_http_request_duration_seconds HTTP request latency by route.\n");
    out.push_str("# TYPE moth_http_request_duration_seconds histogram\n");
    for (route, h) in s.http.latency.snapshot() {
        h.render(
            &mut out,
            "moth_http_request_duration_seconds",
            &format!("route=\"{route}\""),
        );
    }
    s.moth.guest_metrics().render(&mut out);
    out.push_str("# HELP moth_store_size_bytes Bytes the database occupies on disk.\n");
    out.push_str("# TYPE moth_store_size_bytes gauge\n");
    out.push_str(&format!(
        "moth_store_size_bytes {}\n",
        s.moth.size_on_disk()
    ));
    out.push_str("# HELP moth_instances Live component instances.\n");
    out.push_str("# TYPE moth_instances gauge\n");
    out.push_str(&format!("moth_instances {}\n", s.moth.live_instances()));
    out.push_str("# HELP moth_instances_idle Component instances idle in the pool.\n");
    out.push_str("# TYPE moth_instances_idle gauge\n");
    out.push_str(&format!(
        "moth_instances_idle {}\n",
        s.moth.idle_instances()
    ));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}
