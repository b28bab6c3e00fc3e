//! MOTH's token routes: `/login`, `/validate`, `/logout`, `/gettokens`,
//! `/deltokens`; and the session routes: `/sessions` and `/sessions/by-id`
//! (admin: any user's), `/sessions/own` and `/sessions/others` (the
//! holder of a token: their own).

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::AppendHeaders;
use serde::{Deserialize, Serialize};

use super::UserFields;
use super::attempts::{login_context, set_device_cookie};
use super::users::ById;
use crate::SessionInfo;
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::{Body, ForTenant, Params, token_or_bearer};
use crate::server::source::Source;

#[derive(Deserialize)]
pub(super) struct Login {
    username: String,
    password: String,
    /// Seconds.
    lifetime: Option<u64>,
    /// A device credential from an earlier login (else the cookie's).
    device: Option<String>,
}

#[derive(Serialize)]
pub(super) struct LoginBody {
    token: String,
    #[serde(flatten)]
    user: UserFields,
    expires: u64,
    /// The device credential to present at the next login.
    device: String,
}

/// `/login`: judged under the lockout rules with the client's address and
/// device credential; answers with the session and the device credential,
/// also set as the `moth_device` cookie.
pub(super) async fn login(
    t: ForTenant,
    source: Source,
    headers: HeaderMap,
    Params(p): Params<Login>,
) -> Result<
    (
        AppendHeaders<Option<(HeaderName, HeaderValue)>>,
        Json<LoginBody>,
    ),
    ApiError,
> {
    let lifetime = p.lifetime.map(Duration::from_secs);
    let context = login_context(source, p.device, &headers);
    let grant = t
        .blocking("login", move |m| {
            m.login_from(&p.username, &p.password, lifetime, &context)
        })
        .await?;
    let cookie = set_device_cookie(&grant.device).map(|v| (header::SET_COOKIE, v));
    let s = grant.session;
    Ok((
        AppendHeaders(cookie),
        Json(LoginBody {
            token: s.token,
            user: s.user.into(),
            expires: s.expires,
            device: grant.device,
        }),
    ))
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
    /// With `with_permissions=true`: the user's effective permissions
    /// from roles (MOTH's `permissions` string is separate and unchanged).
    #[serde(skip_serializing_if = "Option::is_none")]
    effective_permissions: Option<Vec<String>>,
}

/// `/validate`'s parameters: the token (or `Authorization: Bearer`) and
/// whether to add the effective permissions.
#[derive(Deserialize)]
pub(super) struct ValidateParams {
    token: Option<String>,
    #[serde(default)]
    with_permissions: bool,
}

pub(super) async fn validate(
    t: ForTenant,
    headers: HeaderMap,
    Params(p): Params<ValidateParams>,
) -> ApiResult<ValidateBody> {
    let token = token_or_bearer(p.token, &headers)?;
    // Inline: it writes only to delete a dead token (see call.rs).
    let (v, effective_permissions) = if p.with_permissions {
        let (v, perms) = t
            .read("validate_with_permissions", move |m| {
                m.validate_with_permissions(&token)
            })
            .await?;
        (v, Some(perms))
    } else {
        (t.read("validate", move |m| m.validate(&token)).await?, None)
    };
    Ok(Json(ValidateBody {
        valid: true,
        user: v.user.into(),
        expires: v.expires,
        effective_permissions,
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

/// A session as the session routes show it:
/// `{"id","created","expires","source","device"}` (`created` is null for a
/// token minted before moth recorded it; `source` and `device` are those of
/// its login, null when unknown; `device` is a public id, never the
/// credential).
#[derive(Debug, Serialize)]
pub struct SessionBody {
    id: String,
    created: Option<u64>,
    expires: u64,
    source: Option<String>,
    device: Option<String>,
}

impl From<SessionInfo> for SessionBody {
    fn from(s: SessionInfo) -> Self {
        SessionBody {
            id: s.id,
            created: s.created,
            expires: s.expires,
            source: s.source,
            device: s.device,
        }
    }
}

fn bodies(list: Vec<SessionInfo>) -> Json<Vec<SessionBody>> {
    Json(list.into_iter().map(SessionBody::from).collect())
}

/// `GET /sessions` (admin): user `id`'s live sessions, oldest first.
pub(super) async fn list_sessions(
    t: ForTenant,
    Params(p): Params<ById>,
) -> ApiResult<Vec<SessionBody>> {
    let list = t
        .read("list_sessions", move |m| m.list_sessions(p.id))
        .await?;
    Ok(bodies(list))
}

#[derive(Deserialize)]
pub(super) struct OneSession {
    id: u64,
    session: String,
}

/// `DELETE /sessions/by-id` (admin): end user `id`'s session `session`.
pub(super) async fn revoke_session(
    t: ForTenant,
    Params(p): Params<OneSession>,
) -> ApiResult<super::Deleted> {
    t.blocking("revoke_session", move |m| {
        m.revoke_session(p.id, &p.session)
    })
    .await?;
    Ok(Json(super::Deleted { deleted: true }))
}

/// The token that proves who is asking, and optionally a session of theirs.
#[derive(Deserialize)]
pub(super) struct Own {
    token: Option<String>,
    session: Option<String>,
}

/// `GET /sessions/own`: the token holder's live sessions. The token comes
/// as `Authorization: Bearer` (or in the JSON body), never in the URL.
pub(super) async fn own_sessions(
    t: ForTenant,
    headers: HeaderMap,
    Body(p): Body<Own>,
) -> ApiResult<Vec<SessionBody>> {
    let token = token_or_bearer(p.token, &headers)?;
    let list = t
        .read("list_sessions", move |m| {
            m.list_sessions(m.validate(&token)?.user.id)
        })
        .await?;
    Ok(bodies(list))
}

/// `DELETE /sessions/own`: end one of the token holder's sessions, named
/// by `session` (their own included: that is a logout).
pub(super) async fn revoke_own_session(
    t: ForTenant,
    headers: HeaderMap,
    Body(p): Body<Own>,
) -> ApiResult<super::Deleted> {
    let token = token_or_bearer(p.token, &headers)?;
    let session = p
        .session
        .ok_or_else(crate::server::error::ApiError::missing)?;
    t.blocking("revoke_session", move |m| {
        m.revoke_session(m.validate(&token)?.user.id, &session)
    })
    .await?;
    Ok(Json(super::Deleted { deleted: true }))
}

/// `DELETE /sessions/others`: end every session of the token holder but
/// this one ("log out other devices").
pub(super) async fn revoke_other_sessions(
    t: ForTenant,
    headers: HeaderMap,
    Body(p): Body<Own>,
) -> ApiResult<super::DeletedCount> {
    let token = token_or_bearer(p.token, &headers)?;
    let count = t
        .blocking("revoke_other_sessions", move |m| {
            m.revoke_other_sessions(&token)
        })
        .await?;
    Ok(Json(super::DeletedCount {
        deleted: count > 0,
        count,
    }))
}
