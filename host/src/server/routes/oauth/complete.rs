//! The headless completion (`POST /oauth2/authorize/complete`) of an
//! authorization request, for apps that sign their users in and ask for
//! consent themselves and hold the user's moth session token: moth checks
//! the request and answers, as JSON, where to send the browser.
//!
//! It is a JSON API, not a page: a refusal that cannot go to the redirect
//! URI is an ordinary API error, and no cookie is read or set.

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::issuer::Issuer;
use super::request::{Asked, Refusal, check, error_redirect, issue};
use crate::server::error::ApiError;
use crate::server::extract::{Body, ForTenant, bearer};
use crate::{AuthorizationRequest, OAuthError};

/// The headless completion's body: the authorization request's
/// parameters, the user's decision and (unless sent as
/// `Authorization: Bearer`) their moth session token.
#[derive(Deserialize)]
pub(in crate::server::routes) struct Complete {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    /// `allow` (the default) or `deny`.
    decision: Option<String>,
    token: Option<String>,
}

/// `POST /oauth2/authorize/complete`: the app signed the user in and
/// asked for consent itself; moth checks the request, issues the code for
/// the session's user (or the refusal) and answers where to send the
/// browser: `{"redirect_to": url}`.
pub(in crate::server::routes) async fn complete(
    t: ForTenant,
    issuer: Issuer,
    headers: HeaderMap,
    Body(c): Body<Complete>,
) -> Response {
    let Some(token) = c.token.or_else(|| bearer(&headers).map(str::to_owned)) else {
        return ApiError::new(StatusCode::UNAUTHORIZED, "A session token is required")
            .into_response();
    };
    // `Body` refuses a key given twice, so none is repeated here.
    let asked = Asked {
        request: AuthorizationRequest {
            response_type: c.response_type.unwrap_or_default(),
            client_id: c.client_id.unwrap_or_default(),
            redirect_uri: c.redirect_uri,
            scope: c.scope,
            code_challenge: c.code_challenge,
            code_challenge_method: c.code_challenge_method,
        },
        state: c.state,
        repeated: None,
    };
    let user = match t
        .clone()
        .read("validate", move |m| m.validate(&token))
        .await
    {
        Ok(v) => v.user.id,
        Err(e) => return e.into_response(),
    };
    let answer = |url: String| Json(json!({ "redirect_to": url })).into_response();
    let json_refusal = |r: Refusal| match r {
        Refusal::Page(why) => ApiError::invalid(why).into_response(),
        Refusal::Redirect(url) => answer(url),
        Refusal::Moth(e) => e.into_response(),
    };
    let authz = match check(&t, &asked, &issuer).await {
        Ok(a) => a,
        Err(r) => return json_refusal(r),
    };
    match c.decision.as_deref() {
        None | Some("allow") => {}
        Some("deny") => {
            return answer(error_redirect(
                &authz.redirect_uri,
                &OAuthError::AccessDenied,
                asked.state.as_deref(),
                &issuer,
            ));
        }
        Some(_) => return ApiError::invalid("decision is allow or deny").into_response(),
    }
    match issue(&t, &asked, user, &authz.redirect_uri, &issuer).await {
        Ok(url) => answer(url),
        Err(r) => json_refusal(r),
    }
}
