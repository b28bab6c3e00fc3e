//! MOTH's user routes: `/new`, `/del`, `/setpass`, `/setperms`,
//! `/getusers`, `/getuser`, `/passvalid`.

use axum::Json;
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};

use super::attempts::login_context;
use super::{Deleted, Updated, UserBody, UserFields};
use crate::server::error::ApiResult;
use crate::server::extract::{ForTenant, Params};
use crate::server::source::Source;

#[derive(Deserialize)]
pub(super) struct NewUser {
    username: String,
    password: String,
    permissions: String,
}

pub(super) async fn create_user(t: ForTenant, Params(p): Params<NewUser>) -> ApiResult<UserFields> {
    let u = t
        .blocking("create_user", move |m| {
            m.create_user(&p.username, &p.password, &p.permissions)
        })
        .await?;
    Ok(Json(u.into()))
}

#[derive(Deserialize)]
pub(super) struct ById {
    pub(super) id: u64,
}

pub(super) async fn delete_user(t: ForTenant, Params(p): Params<ById>) -> ApiResult<Deleted> {
    t.blocking("delete_user", move |m| m.delete_user(p.id))
        .await?;
    Ok(Json(Deleted { deleted: true }))
}

#[derive(Deserialize)]
pub(super) struct SetPassword {
    id: u64,
    password: String,
}

pub(super) async fn set_password(
    t: ForTenant,
    Params(p): Params<SetPassword>,
) -> ApiResult<Updated> {
    t.blocking("set_password", move |m| m.set_password(p.id, &p.password))
        .await?;
    Ok(Json(Updated { updated: true }))
}

#[derive(Deserialize)]
pub(super) struct SetPermissions {
    id: u64,
    permissions: String,
}

pub(super) async fn set_permissions(
    t: ForTenant,
    Params(p): Params<SetPermissions>,
) -> ApiResult<Updated> {
    t.blocking("set_permissions", move |m| {
        m.set_permissions(p.id, &p.permissions)
    })
    .await?;
    Ok(Json(Updated { updated: true }))
}

#[derive(Deserialize)]
pub(super) struct ListUsers {
    after: Option<u64>,
    limit: Option<u32>,
}

/// MOTH returns every user; `limit` asks for one page instead (the response
/// stays an array, so MOTH clients are unaffected).
pub(super) async fn list_users(
    t: ForTenant,
    Params(p): Params<ListUsers>,
) -> ApiResult<Vec<UserBody>> {
    // Reads, but of every user: on the blocking pool.
    let users = match p.limit {
        None => t.blocking("all_users", |m| m.all_users()).await?,
        Some(limit) => {
            t.blocking("list_users", move |m| m.list_users(p.after, limit))
                .await?
                .users
        }
    };
    Ok(Json(users.into_iter().map(UserBody::from).collect()))
}

pub(super) async fn get_user(t: ForTenant, Params(p): Params<ById>) -> ApiResult<UserBody> {
    Ok(Json(
        t.read("get_user", move |m| m.get_user(p.id)).await?.into(),
    ))
}

#[derive(Deserialize)]
pub(super) struct Credentials {
    username: String,
    password: String,
    /// A device credential from an earlier login (else the cookie's).
    device: Option<String>,
}

#[derive(Serialize)]
pub(super) struct Valid {
    valid: bool,
}

/// `/passvalid`: judged, counted and logged like a login.
pub(super) async fn check_password(
    t: ForTenant,
    source: Source,
    headers: HeaderMap,
    Params(p): Params<Credentials>,
) -> ApiResult<Valid> {
    let context = login_context(source, p.device, &headers);
    let valid = t
        .blocking("check_password", move |m| {
            m.check_password_from(&p.username, &p.password, &context)
        })
        .await?;
    Ok(Json(Valid { valid }))
}
