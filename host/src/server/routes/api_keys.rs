//! API-key routes, under `/api-keys`. Secrets travel in JSON bodies (or
//! `Authorization: Bearer`), never in URLs ([`Body`]).

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};

use super::{AppState, Deleted, DeletedCount};
use crate::server::admin::require_admin_key;
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::{Body, ForTenant, Params, token_or_bearer};
use crate::{ApiKey, KeyOwner, NewApiKey};

/// An owner as routes name it: `user` (an id) or `service` (a name), one
/// of the two.
#[derive(Deserialize)]
pub(super) struct Owner {
    user: Option<u64>,
    service: Option<String>,
}

impl Owner {
    fn into_owner(self) -> Result<KeyOwner, ApiError> {
        match (self.user, self.service) {
            (Some(id), None) => Ok(KeyOwner::User(id)),
            (None, Some(name)) => Ok(KeyOwner::Service(name)),
            (None, None) => Err(ApiError::missing()),
            (Some(_), Some(_)) => Err(ApiError::invalid(
                "give the owner as either `user` or `service`, not both",
            )),
        }
    }
}

/// An owner as bodies show it: `{"user": id}` or `{"service": name}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "lowercase")]
enum OwnerBody {
    User(u64),
    Service(String),
}

/// An API key's metadata as routes and the CLI show it:
/// `{"id","owner","name","scopes","created","expires","last_used"}`; never
/// the secret.
#[derive(Debug, Serialize)]
pub struct KeyBody {
    id: String,
    owner: OwnerBody,
    name: String,
    scopes: String,
    created: u64,
    expires: Option<u64>,
    last_used: Option<u64>,
}

impl From<ApiKey> for KeyBody {
    fn from(k: ApiKey) -> Self {
        KeyBody {
            id: k.id,
            owner: match k.owner {
                KeyOwner::User(id) => OwnerBody::User(id),
                KeyOwner::Service(name) => OwnerBody::Service(name),
            },
            name: k.name,
            scopes: k.scopes,
            created: k.created,
            expires: k.expires,
            last_used: k.last_used,
        }
    }
}

/// A new API key as routes and the CLI show it: `{"key", …metadata}`, the
/// secret shown once. Its `Debug` redacts the key.
#[derive(Serialize)]
pub struct NewKeyBody {
    key: String,
    #[serde(flatten)]
    info: KeyBody,
}

impl std::fmt::Debug for NewKeyBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewKeyBody")
            .field("key", &"<redacted>")
            .field("info", &self.info)
            .finish()
    }
}

impl From<NewApiKey> for NewKeyBody {
    fn from(k: NewApiKey) -> Self {
        NewKeyBody {
            key: k.key,
            info: k.info.into(),
        }
    }
}

#[derive(Deserialize)]
pub(super) struct Create {
    #[serde(flatten)]
    owner: Owner,
    name: String,
    #[serde(default)]
    scopes: String,
    /// Seconds; absent: the key lives until revoked.
    lifetime: Option<u64>,
}

/// `POST /api-keys` (admin): a new key; 201.
pub(super) async fn create(
    t: ForTenant,
    Body(p): Body<Create>,
) -> Result<(StatusCode, Json<NewKeyBody>), ApiError> {
    let owner = p.owner.into_owner()?;
    let lifetime = p.lifetime.map(Duration::from_secs);
    let key = t
        .blocking("create_api_key", move |m| {
            m.create_api_key(&owner, &p.name, &p.scopes, lifetime)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(key.into())))
}

#[derive(Deserialize)]
pub(super) struct Verify {
    key: Option<String>,
}

/// `POST /api-keys/verify`: the metadata of a live key.
pub(super) async fn verify(
    t: ForTenant,
    headers: HeaderMap,
    Body(p): Body<Verify>,
) -> ApiResult<KeyBody> {
    let key = token_or_bearer(p.key, &headers)?;
    // Inline: it writes at most once an hour per key (its last use).
    let info = t
        .read("verify_api_key", move |m| m.verify_api_key(&key))
        .await?;
    Ok(Json(info.into()))
}

/// `GET /api-keys?user=` or `?service=` (admin): the owner's keys.
pub(super) async fn list(t: ForTenant, Params(p): Params<Owner>) -> ApiResult<Vec<KeyBody>> {
    let owner = p.into_owner()?;
    let keys = t
        .read("list_api_keys", move |m| m.list_api_keys(&owner))
        .await?;
    Ok(Json(keys.into_iter().map(KeyBody::from).collect()))
}

#[derive(Deserialize)]
pub(super) struct ById {
    id: String,
}

/// `GET /api-keys/by-id?id=` (admin): one live key's metadata.
pub(super) async fn get(t: ForTenant, Params(p): Params<ById>) -> ApiResult<KeyBody> {
    let info = t.read("get_api_key", move |m| m.get_api_key(&p.id)).await?;
    Ok(Json(info.into()))
}

/// `DELETE /api-keys/by-id` (admin): delete a key.
pub(super) async fn revoke(t: ForTenant, Params(p): Params<ById>) -> ApiResult<Deleted> {
    t.blocking("revoke_api_key", move |m| m.revoke_api_key(&p.id))
        .await?;
    Ok(Json(Deleted { deleted: true }))
}

/// The purpose of one-time tokens that prove a user may rotate one of
/// their API keys (delivered out of band, like a password reset).
pub const ROTATE_API_KEY_PURPOSE: &str = "rotate-api-key";

#[derive(Deserialize)]
pub(super) struct Rotate {
    /// Proof by the current key.
    key: Option<String>,
    /// The key's id, with the admin key or `token` as proof.
    id: Option<String>,
    /// A one-time token of purpose `rotate-api-key` issued to the key's
    /// user: proof for `id` without the admin key.
    token: Option<String>,
    /// Seconds the old key keeps working; 0 when absent.
    #[serde(default)]
    overlap: u64,
}

/// `POST /api-keys/rotate`: a new key replacing an old one. A reset needs
/// proof: the current key itself (`key`); or, naming the key by `id`, a
/// one-time token of purpose `rotate-api-key` issued to its user
/// (`token`), or the admin key.
pub(super) async fn rotate(
    State(state): State<Arc<AppState>>,
    t: ForTenant,
    headers: HeaderMap,
    Body(p): Body<Rotate>,
) -> ApiResult<NewKeyBody> {
    let overlap = Duration::from_secs(p.overlap);
    let key = match (p.key, p.id, p.token) {
        (Some(key), None, None) => {
            t.blocking("rotate_api_key", move |m| {
                let id = m.verify_api_key(&key)?.id;
                m.rotate_api_key(&id, overlap)
            })
            .await?
        }
        (None, Some(id), Some(token)) => {
            t.blocking("rotate_api_key", move |m| {
                // The key must be the token's user's: check before the
                // token is used up, then redeem it and rotate.
                let owner = m.get_api_key(&id)?.owner;
                let user = m.redeem_one_time_token(&token, ROTATE_API_KEY_PURPOSE)?;
                if owner != KeyOwner::User(user.id) {
                    return Err(crate::Error::InvalidToken);
                }
                m.rotate_api_key(&id, overlap)
            })
            .await?
        }
        (None, Some(id), None) => {
            require_admin_key(&state, &headers)?;
            t.blocking("rotate_api_key", move |m| m.rotate_api_key(&id, overlap))
                .await?
        }
        (None, None, _) => return Err(ApiError::missing()),
        _ => {
            return Err(ApiError::invalid(
                "give the current `key`, or the key's `id` (with a one-time `token` or the admin key), not both",
            ));
        }
    };
    Ok(Json(key.into()))
}

/// `DELETE /api-keys/by-owner` (admin): delete every key of an owner.
pub(super) async fn revoke_owner(
    t: ForTenant,
    Params(p): Params<Owner>,
) -> ApiResult<DeletedCount> {
    let owner = p.into_owner()?;
    let count = t
        .blocking("revoke_api_keys", move |m| m.revoke_api_keys(&owner))
        .await?;
    Ok(Json(DeletedCount {
        deleted: count > 0,
        count,
    }))
}
