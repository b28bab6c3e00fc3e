//! What a request says: which tenant it is for, and its parameters — a
//! JSON object body, else the query string — deserialized into each
//! route's own struct, with "missing" and "invalid" kept apart.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::ApiError;
use super::routes::AppState;
use crate::Moth;

/// The header naming a request's tenant.
pub const TENANT_HEADER: &str = "x-moth-tenant";

/// The tenant a request is for: the `/t/{tenant}` path prefix, else the
/// `X-Moth-Tenant` header, else `default`.
pub(super) struct ForTenant(pub Moth);

impl FromRequestParts<Arc<AppState>> for ForTenant {
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
            (None, None) => return Ok(ForTenant(state.moth.clone())),
        };
        Ok(ForTenant(state.moth.tenant(&name)?))
    }
}

/// A request's raw parameters, for routes that read more than one struct
/// from them; most take [`Params`].
pub(super) struct Input {
    query: Option<String>,
    body: Bytes,
}

impl<S: Send + Sync> FromRequest<S> for Input {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let query = req.uri().query().map(str::to_owned);
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::new(e.status(), e.body_text()))?;
        Ok(Input { query, body })
    }
}

impl Input {
    /// The parameters as a `T`: from the JSON object body when there is a
    /// body, else from the query string (where numbers are decimal text).
    /// A JSON `null` counts as absent, as MOTH treats it.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        if self.body.iter().any(|b| !b.is_ascii_whitespace()) {
            let value: Value = serde_json::from_slice(&self.body)
                .map_err(|e| ApiError::invalid(format!("malformed JSON body: {e}")))?;
            let Value::Object(mut map) = value else {
                return Err(ApiError::invalid("the JSON body must be an object"));
            };
            map.retain(|_, v| !v.is_null());
            return serde_json::from_value(Value::Object(map)).map_err(rejection);
        }
        serde_urlencoded::from_str(self.query.as_deref().unwrap_or("")).map_err(rejection)
    }
}

/// serde reports an absent field as "missing field `x`" (its
/// `Error::missing_field`, which neither format overrides); anything else
/// is a value that is there but wrong.
fn rejection(e: impl std::fmt::Display) -> ApiError {
    let text = e.to_string();
    if text.starts_with("missing field") {
        ApiError::missing()
    } else {
        ApiError::invalid(text)
    }
}

/// A route's parameters, deserialized into its own struct `T`.
pub(super) struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Input::from_request(req, state).await?.parse().map(Params)
    }
}

/// The token of `Authorization: Bearer <token>`, if that is the header.
pub(super) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

/// A token parameter, else the bearer token; missing when neither is there.
pub(super) fn token_or_bearer(
    token: Option<String>,
    headers: &HeaderMap,
) -> Result<String, ApiError> {
    match token {
        Some(t) => Ok(t),
        None => bearer(headers)
            .map(str::to_owned)
            .ok_or_else(ApiError::missing),
    }
}
