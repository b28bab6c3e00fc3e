//! Role routes, under `/roles`: permissions, bundles and groups (admin),
//! grants (admin), a user's roles and checks (admin), and the check a
//! token holder makes for their own token (public: the token is the
//! proof, in the body or `Authorization: Bearer`, never the URL).

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};

use super::Deleted;
use super::users::ById;
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::{Body, ForTenant, Params, token_or_bearer};
use crate::{Bundle, GrantNames, Group, Moth, Permission, UserRoles};

/// A permission as routes and the CLI show it: `{"name","description"}`.
#[derive(Debug, Serialize)]
pub struct PermissionBody {
    name: String,
    description: String,
}

impl From<Permission> for PermissionBody {
    fn from(p: Permission) -> Self {
        PermissionBody {
            name: p.name,
            description: p.description,
        }
    }
}

/// A bundle as routes and the CLI show it: `{"name","permissions"}`.
#[derive(Debug, Serialize)]
pub struct BundleBody {
    name: String,
    permissions: Vec<String>,
}

impl From<Bundle> for BundleBody {
    fn from(b: Bundle) -> Self {
        BundleBody {
            name: b.name,
            permissions: b.permissions,
        }
    }
}

/// A group as routes and the CLI show it: `{"name","permissions","bundles"}`.
#[derive(Debug, Serialize)]
pub struct GroupBody {
    name: String,
    permissions: Vec<String>,
    bundles: Vec<String>,
}

impl From<Group> for GroupBody {
    fn from(g: Group) -> Self {
        GroupBody {
            name: g.name,
            permissions: g.permissions,
            bundles: g.bundles,
        }
    }
}

/// A user's roles as routes and the CLI show them: what they hold
/// directly, and the effective permissions all of that gives.
#[derive(Debug, Serialize)]
pub struct UserRolesBody {
    id: u64,
    permissions: Vec<String>,
    bundles: Vec<String>,
    groups: Vec<String>,
    effective_permissions: Vec<String>,
}

impl UserRolesBody {
    /// User `id`'s direct roles `r` and effective permissions.
    pub fn new(id: u64, r: UserRoles, effective_permissions: Vec<String>) -> Self {
        UserRolesBody {
            id,
            permissions: r.permissions,
            bundles: r.bundles,
            groups: r.groups,
            effective_permissions,
        }
    }
}

/// A group's members as routes and the CLI show them.
#[derive(Debug, Serialize)]
pub struct MembersBody {
    group: String,
    members: Vec<u64>,
}

impl MembersBody {
    /// `group`'s member ids.
    pub fn new(group: String, members: Vec<u64>) -> Self {
        MembersBody { group, members }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewPermission {
    name: String,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ByName {
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ByGroup {
    group: String,
}

/// The 404 for deleting a permission, bundle or group that does not exist.
fn not_found(what: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, format!("{what} does not exist"))
}

/// `GET /roles/permissions`: every permission, in name order.
pub(super) async fn list_permissions(t: ForTenant) -> ApiResult<Vec<PermissionBody>> {
    let list = t.read("list_permissions", Moth::list_permissions).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// `POST /roles/permissions`: `{"name", "description"?}`; 201 with the
/// permission, 409 when the name is taken.
pub(super) async fn create_permission(
    t: ForTenant,
    Params(p): Params<NewPermission>,
) -> Result<(StatusCode, Json<PermissionBody>), ApiError> {
    let perm = t
        .blocking("create_permission", move |m| {
            m.create_permission(&p.name, &p.description)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(perm.into())))
}

/// `DELETE /roles/permissions`: `{"name"}`; taken from every bundle, group
/// and user in the same commit. 404 when there is none.
pub(super) async fn delete_permission(
    t: ForTenant,
    Params(p): Params<ByName>,
) -> ApiResult<Deleted> {
    let deleted = t
        .blocking("delete_permission", move |m| m.delete_permission(&p.name))
        .await?;
    deleted
        .then_some(Json(Deleted { deleted }))
        .ok_or_else(|| not_found("Permission"))
}

/// `GET /roles/bundles`: every bundle with its permissions.
pub(super) async fn list_bundles(t: ForTenant) -> ApiResult<Vec<BundleBody>> {
    let list = t.read("list_bundles", Moth::list_bundles).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// `POST /roles/bundles`: `{"name"}`; 201 with the (empty) bundle.
pub(super) async fn create_bundle(
    t: ForTenant,
    Params(p): Params<ByName>,
) -> Result<(StatusCode, Json<BundleBody>), ApiError> {
    let name = p.name.clone();
    t.blocking("create_bundle", move |m| m.create_bundle(&p.name))
        .await?;
    let body = BundleBody {
        name,
        permissions: Vec::new(),
    };
    Ok((StatusCode::CREATED, Json(body)))
}

/// `DELETE /roles/bundles`: `{"name"}`; 404 when there is none.
pub(super) async fn delete_bundle(t: ForTenant, Params(p): Params<ByName>) -> ApiResult<Deleted> {
    let deleted = t
        .blocking("delete_bundle", move |m| m.delete_bundle(&p.name))
        .await?;
    deleted
        .then_some(Json(Deleted { deleted }))
        .ok_or_else(|| not_found("Bundle"))
}

/// `GET /roles/groups`: every group with what it carries.
pub(super) async fn list_groups(t: ForTenant) -> ApiResult<Vec<GroupBody>> {
    let list = t.read("list_groups", Moth::list_groups).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// `POST /roles/groups`: `{"name"}`; 201 with the (empty) group.
pub(super) async fn create_group(
    t: ForTenant,
    Params(p): Params<ByName>,
) -> Result<(StatusCode, Json<GroupBody>), ApiError> {
    let name = p.name.clone();
    t.blocking("create_group", move |m| m.create_group(&p.name))
        .await?;
    let body = GroupBody {
        name,
        permissions: Vec::new(),
        bundles: Vec::new(),
    };
    Ok((StatusCode::CREATED, Json(body)))
}

/// `DELETE /roles/groups`: `{"name"}`; 404 when there is none.
pub(super) async fn delete_group(t: ForTenant, Params(p): Params<ByName>) -> ApiResult<Deleted> {
    let deleted = t
        .blocking("delete_group", move |m| m.delete_group(&p.name))
        .await?;
    deleted
        .then_some(Json(Deleted { deleted }))
        .ok_or_else(|| not_found("Group"))
}

/// `GET /roles/members?group=`: a group's member ids.
pub(super) async fn group_members(
    t: ForTenant,
    Params(p): Params<ByGroup>,
) -> ApiResult<MembersBody> {
    let group = p.group.clone();
    let members = t
        .read("group_members", move |m| m.group_members(&p.group))
        .await?;
    Ok(Json(MembersBody::new(group, members)))
}

/// A grant as routes take it: exactly two of these (see [`GrantNames`]).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Grant {
    user: Option<u64>,
    group: Option<String>,
    bundle: Option<String>,
    permission: Option<String>,
}

impl From<Grant> for GrantNames {
    fn from(g: Grant) -> Self {
        GrantNames {
            user: g.user,
            group: g.group,
            bundle: g.bundle,
            permission: g.permission,
        }
    }
}

/// `{"changed": bool}`: whether a grant or revocation changed anything.
#[derive(Serialize)]
pub(super) struct Changed {
    changed: bool,
}

/// `POST /roles/grants`: make the first named of `user`, `group`, `bundle`
/// hold the other one named; `changed` is false when it already did.
pub(super) async fn grant(t: ForTenant, Params(p): Params<Grant>) -> ApiResult<Changed> {
    let (holder, item) = GrantNames::from(p).ends()?;
    let changed = t
        .blocking("grant_role", move |m| m.grant_role(&holder, &item))
        .await?;
    Ok(Json(Changed { changed }))
}

/// `DELETE /roles/grants`: the reverse of `POST`; `changed` is false when
/// the holder did not hold the item directly.
pub(super) async fn revoke(t: ForTenant, Params(p): Params<Grant>) -> ApiResult<Changed> {
    let (holder, item) = GrantNames::from(p).ends()?;
    let changed = t
        .blocking("revoke_role", move |m| m.revoke_role(&holder, &item))
        .await?;
    Ok(Json(Changed { changed }))
}

/// `GET /roles/user?id=`: what user `id` holds directly and their
/// effective permissions.
pub(super) async fn user_roles(t: ForTenant, Params(p): Params<ById>) -> ApiResult<UserRolesBody> {
    let id = p.id;
    let (roles, effective) = t
        .read("get_user_roles", move |m| {
            Ok((m.get_user_roles(id)?, m.effective_permissions(id)?))
        })
        .await?;
    Ok(Json(UserRolesBody::new(id, roles, effective)))
}

/// Permission names: a JSON array, or comma-separated text (as a query
/// string carries them).
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum Names {
    List(Vec<String>),
    Text(String),
}

impl Names {
    fn into_vec(self) -> Vec<String> {
        match self {
            Names::List(v) => v,
            Names::Text(t) if t.is_empty() => Vec::new(),
            Names::Text(t) => t.split(',').map(|s| s.trim().to_owned()).collect(),
        }
    }
}

/// Which check: `all` (every one needed) or `any` (one is enough), one of
/// the two.
fn check_mode(all: Option<Names>, any: Option<Names>) -> Result<(bool, Vec<String>), ApiError> {
    match (all, any) {
        (Some(n), None) => Ok((true, n.into_vec())),
        (None, Some(n)) => Ok((false, n.into_vec())),
        (None, None) => Err(ApiError::missing()),
        (Some(_), Some(_)) => Err(ApiError::invalid("give either `all` or `any`, not both")),
    }
}

/// `{"allowed": bool}`.
#[derive(Serialize)]
pub(super) struct Allowed {
    allowed: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UserCheck {
    id: u64,
    all: Option<Names>,
    any: Option<Names>,
}

/// `GET /roles/check?id=&all=a,b` (or `any=`): whether user `id` holds
/// all (any) of the permissions named.
pub(super) async fn check_user(t: ForTenant, Params(p): Params<UserCheck>) -> ApiResult<Allowed> {
    let (all, names) = check_mode(p.all, p.any)?;
    let id = p.id;
    let op = if all { "has_all" } else { "has_any" };
    let allowed = t
        .read(op, move |m| {
            if all {
                m.has_all(id, &names)
            } else {
                m.has_any(id, &names)
            }
        })
        .await?;
    Ok(Json(Allowed { allowed }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TokenCheck {
    token: Option<String>,
    all: Option<Names>,
    any: Option<Names>,
}

/// `POST /roles/token-check`: `{"token"?, "all" | "any"}` (the token may
/// come as `Authorization: Bearer`): whether the token's user holds all
/// (any) of the permissions named. Errors as `/validate`.
pub(super) async fn check_token(
    t: ForTenant,
    headers: HeaderMap,
    Body(p): Body<TokenCheck>,
) -> ApiResult<Allowed> {
    let token = token_or_bearer(p.token, &headers)?;
    let (all, names) = check_mode(p.all, p.any)?;
    // Inline like validate: it writes only to delete a dead token.
    let op = if all {
        "token_has_all"
    } else {
        "token_has_any"
    };
    let allowed = t
        .read(op, move |m| {
            if all {
                m.token_has_all(&token, &names)
            } else {
                m.token_has_any(&token, &names)
            }
        })
        .await?;
    Ok(Json(Allowed { allowed }))
}
