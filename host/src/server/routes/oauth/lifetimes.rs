//! The OAuth lifetimes of a tenant over HTTP (`/oauth2/lifetimes`, admin),
//! and the bodies the CLI shares.

use axum::Json;
use serde::{Deserialize, Serialize};

use crate::OAuthLifetimes;
use crate::server::error::ApiResult;
use crate::server::extract::{Body, ForTenant};

/// The lifetimes, in seconds, as routes and the CLI show them.
#[derive(Serialize)]
pub struct LifetimesBody {
    code: u64,
    access: u64,
    refresh_idle: u64,
    refresh: u64,
    refresh_grace: u64,
}

impl From<OAuthLifetimes> for LifetimesBody {
    fn from(l: OAuthLifetimes) -> Self {
        LifetimesBody {
            code: l.code,
            access: l.access,
            refresh_idle: l.refresh_idle,
            refresh: l.refresh,
            refresh_grace: l.refresh_grace,
        }
    }
}

/// The lifetimes a `PATCH /oauth2/lifetimes` or `moth oauth-lifetimes`
/// changes, in seconds; those left out keep their value.
#[derive(Deserialize, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct LifetimesPatch {
    /// Of an authorization code: 1..=600.
    #[arg(long)]
    code: Option<u64>,
    /// Of an access token.
    #[arg(long)]
    access: Option<u64>,
    /// Of a refresh token left unused.
    #[arg(long)]
    refresh_idle: Option<u64>,
    /// Of a grant's refresh tokens in all.
    #[arg(long)]
    refresh: Option<u64>,
    /// For how long the refresh tokens a refresh replaced stay usable: 0
    /// (off) ..=300.
    #[arg(long)]
    refresh_grace: Option<u64>,
}

impl LifetimesPatch {
    /// `l` with this patch's values.
    pub fn apply(self, l: OAuthLifetimes) -> OAuthLifetimes {
        OAuthLifetimes {
            code: self.code.unwrap_or(l.code),
            access: self.access.unwrap_or(l.access),
            refresh_idle: self.refresh_idle.unwrap_or(l.refresh_idle),
            refresh: self.refresh.unwrap_or(l.refresh),
            refresh_grace: self.refresh_grace.unwrap_or(l.refresh_grace),
        }
    }
}

/// `GET /oauth2/lifetimes`.
pub(in crate::server::routes) async fn get_lifetimes(t: ForTenant) -> ApiResult<LifetimesBody> {
    let l = t
        .read("get-oauth-lifetimes", |m| m.get_oauth_lifetimes())
        .await?;
    Ok(Json(l.into()))
}

/// `PATCH /oauth2/lifetimes`: the lifetimes named, for what is issued from
/// now on; answers all of them. (Two administrators patching different
/// fields at the same instant: the later write wins whole.)
pub(in crate::server::routes) async fn set_lifetimes(
    t: ForTenant,
    Body(patch): Body<LifetimesPatch>,
) -> ApiResult<LifetimesBody> {
    let l = t
        .blocking("set-oauth-lifetimes", move |m| {
            let l = patch.apply(m.get_oauth_lifetimes()?);
            m.set_oauth_lifetimes(&l).map(|()| l)
        })
        .await?;
    Ok(Json(l.into()))
}
