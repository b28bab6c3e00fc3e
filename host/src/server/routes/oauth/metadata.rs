//! `GET /.well-known/oauth-authorization-server`: RFC 8414 metadata, so a
//! client library finds every endpoint and what it supports from the
//! issuer alone.

use axum::Json;
use serde_json::{Value, json};

use super::issuer::Issuer;

/// The authorization server metadata of the request's tenant.
pub(in crate::server::routes) async fn metadata(issuer: Issuer) -> Json<Value> {
    let client_auth = ["client_secret_basic", "client_secret_post", "none"];
    let caller_auth = ["client_secret_basic", "client_secret_post"];
    Json(json!({
        "issuer": issuer.as_str(),
        "authorization_endpoint": issuer.endpoint("/oauth2/authorize"),
        "token_endpoint": issuer.endpoint("/oauth2/token"),
        "revocation_endpoint": issuer.endpoint("/oauth2/revoke"),
        "introspection_endpoint": issuer.endpoint("/oauth2/introspect"),
        "registration_endpoint": issuer.endpoint("/oauth2/register"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "token_endpoint_auth_methods_supported": client_auth,
        "revocation_endpoint_auth_methods_supported": client_auth,
        "introspection_endpoint_auth_methods_supported": caller_auth,
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
    }))
}
