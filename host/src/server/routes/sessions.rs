//! MOTH's token routes: `/login`, `/validate`, `/logout`, `/gettokens`,
//! `/deltokens`.

use std::time::Duration;

use axum::Json;
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};

use super::UserFields;
use super::users::ById;
use crate::server::error::ApiResult;
use crate::server::extract::{ForTenant, Params, token_or_bearer};

#[derive(Deserialize)]
pub(super) struct Login {
    username: String,
    password: String,
    /// Seconds.
    lifetime: Option<u64>,
}

#[derive(Serialize)]
pub(super) struct LoginBody {
    token: String,
    #[serde(flatten)]
    user: UserFields,
    expires: u64,
}

pub(super) async fn login(t: ForTenant, Params(p): Params<Login>) -> ApiResult<LoginBody> {
    let lifetime = p.lifetime.map(Duration::from_secs);
    let s = t
        .blocking("login", move |m| {
            m.login(&p.username, &p.password, lifetime)
        })
        .await?;
    Ok(Json(LoginBody {
        token: s.token,
        user: s.user.into(),
        expires: s.expires,
    }))
}

/// A token, as a parameter or as `Authorization: Bearer`.
#[derive(Deserialize)]
pub(super) struct TokenParam {
    token: Option<String>,
}

#[derive(Serialize)]
pub(super) struct ValidateBody {
    valid: bool,
    #[serde(flatten)]
    user: UserFields,
    expires: u64,
}

pub(super) async fn validate(
    t: ForTenant,
    headers: HeaderMap,
    Params(p): Params<TokenParam>,
) -> ApiResult<ValidateBody> {
    let token = token_or_bearer(p.token, &headers)?;
    // Inline: it writes only to delete a dead token (see call.rs).
    let v = t.read("validate", move |m| m.validate(&token)).await?;
    Ok(Json(ValidateBody {
        valid: true,
        user: v.user.into(),
        expires: v.expires,
    }))
}

pub(super) async fn logout(
    t: ForTenant,
    headers: HeaderMap,
    Params(p): Params<TokenParam>,
) -> ApiResult<super::Deleted> {
    let token = token_or_bearer(p.token, &headers)?;
    t.blocking("logout", move |m| m.logout(&token)).await?;
    Ok(Json(super::Deleted { deleted: true }))
}

#[derive(Serialize)]
pub(super) struct Count {
    count: u64,
}

pub(super) async fn count_tokens(t: ForTenant, Params(p): Params<ById>) -> ApiResult<Count> {
    let count = t
        .read("count_tokens", move |m| m.count_tokens(p.id))
        .await?;
    Ok(Json(Count { count }))
}

pub(super) async fn delete_tokens(
    t: ForTenant,
    Params(p): Params<ById>,
) -> ApiResult<super::DeletedCount> {
    let count = t
        .blocking("delete_tokens", move |m| m.delete_tokens(p.id))
        .await?;
    Ok(Json(super::DeletedCount {
        deleted: count > 0,
        count,
    }))
}
