//! Email-token routes, under `/email-tokens`. Secrets travel in JSON bodies
//! (or `Authorization: Bearer`), never in URLs ([`Body`]).

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};

use super::{Deleted, DeletedCount, Updated};
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::{Body, ForTenant, Params, token_or_bearer};
use crate::{EmailTokenInfo, EmailTokenOptions};

#[derive(Deserialize)]
pub(super) struct Create {
    address: String,
    ip: Option<String>,
    /// Seconds.
    lifetime: Option<u64>,
    retval: Option<String>,
    uses: Option<u32>,
}

#[derive(Serialize)]
pub(super) struct Created {
    token: String,
    id: String,
    expires: u64,
}

/// `POST /email-tokens` (admin): a new token for an address; 201.
pub(super) async fn create(
    t: ForTenant,
    Body(p): Body<Create>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let options = EmailTokenOptions {
        ip: p.ip,
        lifetime: p.lifetime,
        retval: p.retval,
        uses: p.uses,
    };
    let token = t
        .blocking("create_email_token", move |m| {
            m.create_email_token(&p.address, &options)
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Created {
            token: token.token,
            id: token.id,
            expires: token.expires,
        }),
    ))
}

#[derive(Deserialize)]
pub(super) struct Auth {
    address: String,
    token: Option<String>,
    ip: Option<String>,
}

#[derive(Serialize)]
pub(super) struct Authenticated {
    authenticated: bool,
    retval: Option<String>,
}

/// `POST /email-tokens/auth`: check a token (and its IP binding), use it up
/// once, and return its retval.
pub(super) async fn auth(
    t: ForTenant,
    headers: HeaderMap,
    Body(p): Body<Auth>,
) -> ApiResult<Authenticated> {
    let token = token_or_bearer(p.token, &headers)?;
    let retval = t
        .blocking("auth_email_token", move |m| {
            m.auth_email_token(&p.address, &token, p.ip.as_deref())
        })
        .await?;
    Ok(Json(Authenticated {
        authenticated: true,
        retval,
    }))
}

#[derive(Deserialize)]
pub(super) struct SetRetval {
    address: String,
    token: String,
    retval: Option<String>,
}

/// `PATCH /email-tokens/retval` (admin): replace one token's retval.
pub(super) async fn set_retval(t: ForTenant, Body(p): Body<SetRetval>) -> ApiResult<Updated> {
    t.blocking("set_email_token_retval", move |m| {
        m.set_email_token_retval(&p.address, &p.token, p.retval.as_deref())
    })
    .await?;
    Ok(Json(Updated { updated: true }))
}

#[derive(Deserialize)]
pub(super) struct Remove {
    address: String,
    token: Option<String>,
}

/// `DELETE /email-tokens/token`: delete one token, given the secret.
pub(super) async fn remove(
    t: ForTenant,
    headers: HeaderMap,
    Body(p): Body<Remove>,
) -> ApiResult<Deleted> {
    let token = token_or_bearer(p.token, &headers)?;
    t.blocking("remove_email_token", move |m| {
        m.remove_email_token(&p.address, &token)
    })
    .await?;
    Ok(Json(Deleted { deleted: true }))
}

#[derive(Deserialize)]
pub(super) struct ByAddress {
    address: String,
}

/// An email token as listings (HTTP and CLI) show it:
/// `{"id","ip","created","expires","uses_left"}`; metadata only.
#[derive(Debug, Serialize)]
pub struct Info {
    id: String,
    ip: Option<String>,
    created: u64,
    expires: u64,
    uses_left: u32,
}

impl From<EmailTokenInfo> for Info {
    fn from(i: EmailTokenInfo) -> Self {
        Info {
            id: i.id,
            ip: i.ip,
            created: i.created,
            expires: i.expires,
            uses_left: i.uses_left,
        }
    }
}

/// `GET /email-tokens?address=` (admin): the address's live tokens.
pub(super) async fn list(t: ForTenant, Params(p): Params<ByAddress>) -> ApiResult<Vec<Info>> {
    let list = t
        .read("list_email_tokens", move |m| {
            m.list_email_tokens(&p.address)
        })
        .await?;
    Ok(Json(list.into_iter().map(Info::from).collect()))
}

#[derive(Deserialize)]
pub(super) struct ById {
    address: String,
    id: String,
}

/// `DELETE /email-tokens/by-id` (admin): delete one token by its public id.
pub(super) async fn revoke(t: ForTenant, Params(p): Params<ById>) -> ApiResult<Deleted> {
    t.blocking("revoke_email_token", move |m| {
        m.revoke_email_token(&p.address, &p.id)
    })
    .await?;
    Ok(Json(Deleted { deleted: true }))
}

/// `DELETE /email-tokens/by-address` (admin): delete all of an address's
/// tokens.
pub(super) async fn remove_address(
    t: ForTenant,
    Params(p): Params<ByAddress>,
) -> ApiResult<DeletedCount> {
    let count = t
        .blocking("remove_email_address", move |m| {
            m.remove_email_address(&p.address)
        })
        .await?;
    Ok(Json(DeletedCount {
        deleted: count > 0,
        count,
    }))
}
