//! What resource servers and users ask of issued tokens: the bearer check
//! (RFC 6750 §3.1: `invalid_token` 401, `insufficient_scope` 403, each
//! with its `WWW-Authenticate` challenge) and a user's own consents.

use axum::Json;
use axum::body::Bytes;
use axum::extract::RawQuery;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::form::Parameters;
use super::issuer::Issuer;
use super::token::ActiveBody;
use crate::server::error::{ApiError, ApiResult, own_error_response};
use crate::server::extract::{Body, ForTenant, bearer};
use crate::{BearerError, Consent, Scopes};

/// The scopes a resource requires, space-separated (none: any active
/// access token).
#[derive(Deserialize)]
pub(in crate::server::routes) struct Required {
    #[serde(default)]
    scope: String,
}

/// RFC 6750 §3's refusal of a bearer token.
fn bearer_refusal(e: BearerError, required: &Scopes) -> Response {
    let (status, code) = match e {
        BearerError::InvalidToken => (StatusCode::UNAUTHORIZED, "invalid_token"),
        BearerError::InsufficientScope => (StatusCode::FORBIDDEN, "insufficient_scope"),
    };
    let mut challenge = format!("Bearer realm=\"moth\", error=\"{code}\"");
    if e == BearerError::InsufficientScope {
        // Scope tokens never hold `"` or `\` (RFC 6749 §3.3).
        challenge.push_str(&format!(", scope=\"{required}\""));
    }
    let mut res = (status, Json(json!({ "error": code }))).into_response();
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    own_error_response(res, code)
}

/// The required scopes of a bearer check: `scope` in a form-encoded
/// body (as resource servers send RFC 7662's requests), a JSON object
/// body, or the query string.
fn required_scope(
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
) -> Result<Required, ApiError> {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let text = if body.iter().all(u8::is_ascii_whitespace) {
        query.unwrap_or("")
    } else if form {
        std::str::from_utf8(body).map_err(|_| ApiError::invalid("the body is not UTF-8"))?
    } else {
        return serde_json::from_slice(body)
            .map_err(|e| ApiError::invalid(format!("malformed JSON body: {e}")));
    };
    let p = Parameters::parse(text)
        .ok_or_else(|| ApiError::invalid("the parameters do not decode to UTF-8"))?;
    if p.is_repeated("scope") {
        return Err(ApiError::invalid("`scope` is given more than once"));
    }
    Ok(Required {
        scope: p.owned("scope").unwrap_or_default(),
    })
}

/// `POST /oauth2/authorize-bearer`: the principal of the access token in
/// `Authorization: Bearer` if it carries every scope of `scope`.
pub(in crate::server::routes) async fn authorize_bearer(
    t: ForTenant,
    issuer: Issuer,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let p = match required_scope(&headers, query.as_deref(), &body) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let required = match Scopes::parse(&p.scope) {
        Ok(s) => s,
        Err(e) => return ApiError::invalid(e).into_response(),
    };
    let Some(token) = bearer(&headers).map(str::to_owned) else {
        let mut res = (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "invalid_request" })),
        )
            .into_response();
        // RFC 6750 §3.1: no credentials, no error code in the challenge.
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"moth\""),
        );
        return own_error_response(res, "invalid_request");
    };
    let needed = required.clone();
    match t
        .read("authorize-bearer", move |m| {
            m.authorize_bearer(&token, &needed)
        })
        .await
    {
        Ok(Ok(info)) => Json(ActiveBody::new(info, &issuer)).into_response(),
        Ok(Err(e)) => bearer_refusal(e, &required),
        Err(e) => e.into_response(),
    }
}

/// The user of the moth session token in `Authorization: Bearer`.
async fn session_user(t: &ForTenant, headers: &HeaderMap) -> Result<u64, ApiError> {
    let token = bearer(headers)
        .map(str::to_owned)
        .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "A session token is required"))?;
    let v = t
        .clone()
        .read("validate", move |m| m.validate(&token))
        .await?;
    Ok(v.user.id)
}

/// A consent as routes show it.
#[derive(Serialize)]
pub(in crate::server::routes) struct ConsentBody {
    client_id: String,
    client_name: String,
    scope: String,
    since: u64,
}

impl From<Consent> for ConsentBody {
    fn from(c: Consent) -> Self {
        ConsentBody {
            client_id: c.client_id,
            client_name: c.client_name,
            scope: c.scopes.to_string(),
            since: c.since,
        }
    }
}

/// `GET /oauth2/consents`: the session's user's consents.
pub(in crate::server::routes) async fn list_consents(
    t: ForTenant,
    headers: HeaderMap,
) -> ApiResult<Vec<ConsentBody>> {
    let user = session_user(&t, &headers).await?;
    let consents = t
        .read("list-consents", move |m| m.list_consents(user))
        .await?;
    Ok(Json(consents.into_iter().map(Into::into).collect()))
}

/// A client named by its id.
#[derive(Deserialize)]
pub(in crate::server::routes) struct OfClient {
    client_id: String,
}

/// `DELETE /oauth2/consents`: revoke the session's user's consent to a
/// client, ending everything issued to it for them.
pub(in crate::server::routes) async fn revoke_consent(
    t: ForTenant,
    headers: HeaderMap,
    Body(p): Body<OfClient>,
) -> ApiResult<Value> {
    let user = session_user(&t, &headers).await?;
    let revoked = t
        .blocking("revoke-consent", move |m| {
            m.revoke_consent(user, &p.client_id)
        })
        .await?;
    Ok(Json(json!({ "revoked": revoked })))
}
