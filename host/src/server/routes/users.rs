//! MOTH's user routes: `/new`, `/del`, `/setpass`, `/setperms`,
//! `/getusers`, `/getuser`, `/passvalid`.

use axum::Json;
use serde::{Deserialize, Serialize};

use super::{Deleted, Updated, UserBody, UserFields};
use crate::server::call::{blocking, quick};
use crate::server::error::ApiResult;
use crate::server::extract::{ForTenant, Params};

#[derive(Deserialize)]
pub(super) struct NewUser {
    username: String,
    password: String,
    permissions: String,
}

pub(super) async fn create_user(
    ForTenant(moth): ForTenant,
    Params(p): Params<NewUser>,
) -> ApiResult<UserFields> {
    let u = blocking(move || moth.create_user(&p.username, &p.password, &p.permissions)).await?;
    Ok(Json(u.into()))
}

#[derive(Deserialize)]
pub(super) struct ById {
    pub(super) id: u64,
}

pub(super) async fn delete_user(
    ForTenant(moth): ForTenant,
    Params(p): Params<ById>,
) -> ApiResult<Deleted> {
    blocking(move || moth.delete_user(p.id)).await?;
    Ok(Json(Deleted { deleted: true }))
}

#[derive(Deserialize)]
pub(super) struct SetPassword {
    id: u64,
    password: String,
}

pub(super) async fn set_password(
    ForTenant(moth): ForTenant,
    Params(p): Params<SetPassword>,
) -> ApiResult<Updated> {
    blocking(move || moth.set_password(p.id, &p.password)).await?;
    Ok(Json(Updated { updated: true }))
}

#[derive(Deserialize)]
pub(super) struct SetPermissions {
    id: u64,
    permissions: String,
}

pub(super) async fn set_permissions(
    ForTenant(moth): ForTenant,
    Params(p): Params<SetPermissions>,
) -> ApiResult<Updated> {
    quick(moth, move |m| m.set_permissions(p.id, &p.permissions)).await?;
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
    ForTenant(moth): ForTenant,
    Params(p): Params<ListUsers>,
) -> ApiResult<Vec<UserBody>> {
    let users = match p.limit {
        None => blocking(move || moth.all_users()).await?,
        Some(limit) => {
            blocking(move || moth.list_users(p.after, limit))
                .await?
                .users
        }
    };
    Ok(Json(users.into_iter().map(UserBody::from).collect()))
}

pub(super) async fn get_user(
    ForTenant(moth): ForTenant,
    Params(p): Params<ById>,
) -> ApiResult<UserBody> {
    Ok(Json(quick(moth, move |m| m.get_user(p.id)).await?.into()))
}

#[derive(Deserialize)]
pub(super) struct Credentials {
    username: String,
    password: String,
}

#[derive(Serialize)]
pub(super) struct Valid {
    valid: bool,
}

pub(super) async fn check_password(
    ForTenant(moth): ForTenant,
    Params(p): Params<Credentials>,
) -> ApiResult<Valid> {
    let valid = blocking(move || moth.check_password(&p.username, &p.password)).await?;
    Ok(Json(Valid { valid }))
}
