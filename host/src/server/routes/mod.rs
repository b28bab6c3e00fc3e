//! The router: every route, its method, whether it needs the admin key,
//! and the layers around them. Handlers live one file per capability.

mod accounts;
mod api_keys;
mod attempts;
mod email_tokens;
mod oauth;
mod one_time_tokens;
mod roles;
mod sessions;
mod settings;
mod tenants;
mod users;

pub use accounts::AccountStateBody;
pub use api_keys::{KeyBody as ApiKeyBody, NewKeyBody as NewApiKeyBody};
pub use attempts::{LockBody, LogEntryBody};
pub use email_tokens::Info as EmailTokenBody;
pub use oauth::{ClientBody, LifetimesBody, LifetimesPatch, NewClientBody};
pub use roles::{BundleBody, GroupBody, MembersBody, PermissionBody, UserRolesBody};
pub use sessions::SessionBody;
pub use settings::SettingsBody;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::{delete, get, patch, post, put};
use serde::Serialize;

use super::admin::{AdminKey, require_admin};
use super::error::ApiError;
use super::hosts::HostPolicy;
use super::metrics::{HttpMetrics, metrics, observe};
use super::{MAX_BODY_BYTES, ServerConfig};
use crate::{Moth, User};

/// What every handler can reach.
pub(in crate::server) struct AppState {
    /// The default tenant's handle; others are found from it.
    pub moth: Moth,
    /// When set, admin routes require it.
    pub admin_key: Option<AdminKey>,
    /// The hosts requests may name.
    pub hosts: HostPolicy,
    /// The base of every OAuth issuer's URL (see `ServerConfig`).
    pub public_url: Option<String>,
    pub http: HttpMetrics,
}

/// The router with every route, limit and middleware, for embedding the API
/// into another axum application.
///
/// ```no_run
/// use moth::server::{ServerConfig, router};
///
/// # async fn serve() -> Result<(), Box<dyn std::error::Error>> {
/// let moth = moth::Options::new().create(true).open("moth.db")?;
/// let app = axum::Router::new().nest("/auth", router(moth, &ServerConfig::default()));
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// axum::serve(listener, app).await?;
/// # Ok(())
/// # }
/// ```
pub fn router(moth: Moth, config: &ServerConfig) -> Router {
    let state = Arc::new(AppState {
        moth,
        admin_key: config.admin_key.as_deref().map(AdminKey::new),
        hosts: HostPolicy::new(config.addr, &config.allow_hosts),
        public_url: config.public_url.clone(),
        http: HttpMetrics::default(),
    });
    let admin = || middleware::from_fn_with_state(state.clone(), require_admin);
    let public = Router::new()
        .route("/login", get(sessions::login))
        .route("/validate", get(sessions::validate))
        .route("/passvalid", get(users::check_password))
        .route("/logout", delete(sessions::logout))
        .route(
            "/sessions/own",
            get(sessions::own_sessions).delete(sessions::revoke_own_session),
        )
        .route("/sessions/others", delete(sessions::revoke_other_sessions))
        .route("/email-tokens/auth", post(email_tokens::auth))
        .route("/email-tokens/token", delete(email_tokens::remove))
        .route("/api-keys/verify", post(api_keys::verify))
        // Proof by the current key, or the admin key (checked inside).
        .route("/api-keys/rotate", post(api_keys::rotate))
        .route("/one-time-tokens/redeem", post(one_time_tokens::redeem))
        .route(
            "/one-time-tokens/reset-password",
            post(one_time_tokens::reset_password),
        )
        .route("/roles/token-check", post(roles::check_token))
        // OAuth 2: each endpoint authenticates its callers as its RFC says.
        .route(
            "/.well-known/oauth-authorization-server",
            get(oauth::metadata),
        )
        .route(
            "/oauth2/authorize",
            get(oauth::authorize).post(oauth::decide),
        )
        .route("/oauth2/authorize/complete", post(oauth::complete))
        .route("/oauth2/token", post(oauth::token))
        .route("/oauth2/revoke", post(oauth::revoke))
        // The client's secret, or the admin key (checked inside).
        .route("/oauth2/introspect", post(oauth::introspect))
        .route("/oauth2/authorize-bearer", post(oauth::authorize_bearer))
        .route(
            "/oauth2/consents",
            get(oauth::list_consents).delete(oauth::revoke_consent),
        );
    let managed = Router::new()
        .route("/new", put(users::create_user))
        .route("/del", delete(users::delete_user))
        .route("/setpass", patch(users::set_password))
        .route("/setperms", patch(users::set_permissions))
        .route("/gettokens", get(sessions::count_tokens))
        .route("/getusers", get(users::list_users))
        .route("/getuser", get(users::get_user))
        .route("/deltokens", delete(sessions::delete_tokens))
        .route("/sessions", get(sessions::list_sessions))
        .route("/sessions/by-id", delete(sessions::revoke_session))
        .route(
            "/email-tokens",
            post(email_tokens::create).get(email_tokens::list),
        )
        .route("/email-tokens/retval", patch(email_tokens::set_retval))
        .route("/email-tokens/by-id", delete(email_tokens::revoke))
        .route(
            "/email-tokens/by-address",
            delete(email_tokens::remove_address),
        )
        .route("/api-keys", post(api_keys::create).get(api_keys::list))
        .route(
            "/api-keys/by-id",
            get(api_keys::get).delete(api_keys::revoke),
        )
        .route("/api-keys/by-owner", delete(api_keys::revoke_owner))
        .route("/one-time-tokens", post(one_time_tokens::issue))
        .route(
            "/settings",
            get(settings::get_settings).patch(settings::set_settings),
        )
        .route(
            "/attempts",
            get(attempts::list_attempts).delete(attempts::purge_attempts),
        )
        .route("/events", get(attempts::list_events))
        .route(
            "/account-state",
            get(accounts::get_account_state).patch(accounts::set_account_state),
        )
        .route("/locks", get(attempts::list_locks).delete(attempts::unlock))
        .route(
            "/roles/permissions",
            get(roles::list_permissions)
                .post(roles::create_permission)
                .delete(roles::delete_permission),
        )
        .route(
            "/roles/bundles",
            get(roles::list_bundles)
                .post(roles::create_bundle)
                .delete(roles::delete_bundle),
        )
        .route(
            "/roles/groups",
            get(roles::list_groups)
                .post(roles::create_group)
                .delete(roles::delete_group),
        )
        .route("/roles/members", get(roles::group_members))
        .route("/roles/grants", post(roles::grant).delete(roles::revoke))
        .route("/roles/user", get(roles::user_roles))
        .route("/roles/check", get(roles::check_user))
        // RFC 7591: the admin key is the initial access token.
        .route("/oauth2/register", post(oauth::register))
        .route("/oauth2/clients", get(oauth::list_clients))
        .route(
            "/oauth2/clients/by-id",
            get(oauth::get_client)
                .put(oauth::update_client)
                .delete(oauth::delete_client),
        )
        .route("/oauth2/clients/rotate-secret", post(oauth::rotate_secret))
        .route(
            "/oauth2/lifetimes",
            get(oauth::get_lifetimes).patch(oauth::set_lifetimes),
        )
        .route_layer(admin());
    // The same API for the default tenant (or X-Moth-Tenant) and under /t/{tenant}.
    let api: Router<Arc<AppState>> = public.merge(managed);
    let top = Router::new()
        .route("/healthz", get(healthz))
        // RFC 8414 §3.1: a tenant's metadata with the well-known part
        // inserted before the issuer's path.
        .route(
            "/.well-known/oauth-authorization-server/t/{tenant}",
            get(oauth::metadata),
        )
        .merge(
            Router::new()
                .route("/metrics", get(metrics))
                .route(
                    "/tenants",
                    get(tenants::list_tenants)
                        .put(tenants::create_tenant)
                        .delete(tenants::delete_tenant),
                )
                .route_layer(admin()),
        );
    top.merge(api.clone())
        .nest("/t/{tenant}", api)
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "Not found") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed")
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // One middleware (one is cheaper than three): request ids, the
        // host allow-list, JSON for every error, metrics and logs.
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

async fn healthz() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

/// A user as MOTH's user routes (and the CLI) show it:
/// `{"id","username","permissions"}`.
#[derive(Debug, Serialize)]
pub struct UserBody {
    id: u64,
    username: String,
    permissions: String,
}

impl From<User> for UserBody {
    fn from(u: User) -> Self {
        UserBody {
            id: u.id,
            username: u.username,
            permissions: u.permissions,
        }
    }
}

/// A user as MOTH's login, validate and new show it, inline in a larger
/// body: `"userid","username","permissions"`.
#[derive(Serialize)]
struct UserFields {
    userid: u64,
    username: String,
    permissions: String,
}

impl From<User> for UserFields {
    fn from(u: User) -> Self {
        UserFields {
            userid: u.id,
            username: u.username,
            permissions: u.permissions,
        }
    }
}

/// `{"deleted": true}`.
#[derive(Serialize)]
struct Deleted {
    deleted: bool,
}

/// `{"updated": true}`.
#[derive(Serialize)]
struct Updated {
    updated: bool,
}

/// `{"deleted": bool, "count": n}`: how many things a bulk deletion removed.
#[derive(Serialize)]
struct DeletedCount {
    deleted: bool,
    count: u64,
}
