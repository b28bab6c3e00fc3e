//! The tenant routes (admin): `GET`, `PUT` and `DELETE /tenants`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use super::{AppState, Deleted};
use crate::server::call::blocking;
use crate::server::error::ApiResult;
use crate::server::extract::{Input, Params};
use crate::{Settings, SettingsOverrides};

pub(super) async fn list_tenants(State(s): State<Arc<AppState>>) -> ApiResult<Vec<String>> {
    let moth = s.moth.clone();
    Ok(Json(blocking(&s, "tenants", move || moth.tenants()).await?))
}

#[derive(Deserialize)]
pub(super) struct Name {
    name: String,
}

#[derive(Serialize)]
pub(super) struct Created {
    tenant: String,
}

/// Takes `name` and, optionally, the settings of [`SettingsOverrides`]
/// (over the defaults).
pub(super) async fn create_tenant(
    State(s): State<Arc<AppState>>,
    input: Input,
) -> ApiResult<Created> {
    let Name { name } = input.parse()?;
    super::settings::only_known(&input, &["name"])?;
    let settings = input
        .parse::<SettingsOverrides>()?
        .apply(Settings::default());
    let moth = s.moth.clone();
    let created = blocking(&s, "create_tenant", move || {
        moth.create_tenant(&name, Some(settings))
    })
    .await?;
    Ok(Json(Created {
        tenant: created.tenant_name().to_owned(),
    }))
}

pub(super) async fn delete_tenant(
    State(s): State<Arc<AppState>>,
    Params(Name { name }): Params<Name>,
) -> ApiResult<Deleted> {
    let moth = s.moth.clone();
    blocking(&s, "delete_tenant", move || moth.delete_tenant(&name)).await?;
    Ok(Json(Deleted { deleted: true }))
}
