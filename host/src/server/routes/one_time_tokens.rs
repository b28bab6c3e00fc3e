//! One-time-token routes, under `/one-time-tokens`. Tokens travel in JSON
//! bodies (or `Authorization: Bearer`), never in URLs ([`Body`]): a link
//! should carry one in its fragment, for the page to POST.

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};

use super::UserFields;
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::{Body, ForTenant, token_or_bearer};

#[derive(Deserialize)]
pub(super) struct Issue {
    id: u64,
    purpose: String,
    /// Seconds.
    lifetime: Option<u64>,
}

#[derive(Serialize)]
pub(super) struct Issued {
    token: String,
    expires: u64,
}

/// `POST /one-time-tokens` (admin): a single-use token for a user and a
/// purpose; 201.
pub(super) async fn issue(
    t: ForTenant,
    Body(p): Body<Issue>,
) -> Result<(StatusCode, Json<Issued>), ApiError> {
    let lifetime = p.lifetime.map(Duration::from_secs);
    let token = t
        .blocking("issue_one_time_token", move |m| {
            m.issue_one_time_token(p.id, &p.purpose, lifetime)
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Issued {
            token: token.token,
            expires: token.expires,
        }),
    ))
}

#[derive(Deserialize)]
pub(super) struct Redeem {
    token: Option<String>,
    purpose: String,
}

#[derive(Serialize)]
pub(super) struct Redeemed {
    redeemed: bool,
    #[serde(flatten)]
    user: UserFields,
}

/// `POST /one-time-tokens/redeem`: use up a token of a purpose; its user.
pub(super) async fn redeem(
    t: ForTenant,
    headers: HeaderMap,
    Body(p): Body<Redeem>,
) -> ApiResult<Redeemed> {
    let token = token_or_bearer(p.token, &headers)?;
    let user = t
        .blocking("redeem_one_time_token", move |m| {
            m.redeem_one_time_token(&token, &p.purpose)
        })
        .await?;
    Ok(Json(Redeemed {
        redeemed: true,
        user: user.into(),
    }))
}

#[derive(Deserialize)]
pub(super) struct Reset {
    token: Option<String>,
    password: String,
}

#[derive(Serialize)]
pub(super) struct ResetDone {
    reset: bool,
    #[serde(flatten)]
    user: UserFields,
}

/// `POST /one-time-tokens/reset-password`: use up a `reset-password` token,
/// set the new password and revoke the user's login tokens.
pub(super) async fn reset_password(
    t: ForTenant,
    headers: HeaderMap,
    Body(p): Body<Reset>,
) -> ApiResult<ResetDone> {
    let token = token_or_bearer(p.token, &headers)?;
    let user = t
        .blocking("reset_password", move |m| {
            m.reset_password(&token, &p.password)
        })
        .await?;
    Ok(Json(ResetDone {
        reset: true,
        user: user.into(),
    }))
}
