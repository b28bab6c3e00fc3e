//! The settings routes (admin): `GET /settings` and `PATCH /settings`, for
//! the default tenant or the one the request names.

use axum::Json;
use serde::Serialize;

use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::{ForTenant, Input};
use crate::{Settings, SettingsOverrides};

/// The settings in force, as the HTTP API and the CLI show them: under the
/// names [`SettingsOverrides`] takes.
#[derive(Debug, Serialize)]
pub struct SettingsBody {
    argon2_memory_kib: u32,
    argon2_iterations: u32,
    argon2_parallelism: u32,
    token_lifetime: u64,
    allow_weak_hashing: bool,
    max_tokens_per_user: u32,
    min_password_length: u32,
    refuse_common_passwords: bool,
    lockout_threshold: u32,
    lockout_window: u64,
    lockout_duration: u64,
    lockout_max_duration: u64,
    source_lockout_threshold: u32,
    source_lockout_window: u64,
    source_lockout_duration: u64,
    log_retention: u64,
}

impl From<Settings> for SettingsBody {
    fn from(s: Settings) -> Self {
        SettingsBody {
            argon2_memory_kib: s.argon2_memory_kib,
            argon2_iterations: s.argon2_iterations,
            argon2_parallelism: s.argon2_parallelism,
            token_lifetime: s.default_token_lifetime,
            allow_weak_hashing: s.allow_weak_hashing,
            max_tokens_per_user: s.max_tokens_per_user,
            min_password_length: s.min_password_length,
            refuse_common_passwords: s.refuse_common_passwords,
            lockout_threshold: s.lockout_threshold,
            lockout_window: s.lockout_window,
            lockout_duration: s.lockout_duration,
            lockout_max_duration: s.lockout_max_duration,
            source_lockout_threshold: s.source_lockout_threshold,
            source_lockout_window: s.source_lockout_window,
            source_lockout_duration: s.source_lockout_duration,
            log_retention: s.log_retention,
        }
    }
}

pub(super) async fn get_settings(t: ForTenant) -> ApiResult<SettingsBody> {
    let s = t.blocking("get_settings", |m| m.get_settings()).await?;
    Ok(Json(s.into()))
}

/// Changes the settings named (any of [`SettingsOverrides`]), keeps the
/// others, and returns them all. Out-of-range values are a 400 and change
/// nothing.
pub(super) async fn set_settings(t: ForTenant, input: Input) -> ApiResult<SettingsBody> {
    only_known(&input, &[])?;
    let overrides = input.parse::<SettingsOverrides>()?;
    let s = t
        .blocking("set_settings", move |m| m.update_settings(overrides))
        .await?;
    Ok(Json(s.into()))
}

/// Refuse parameters other than the settings' names and `also`: a
/// misspelt setting must not be ignored as if it had been applied.
pub(super) fn only_known(input: &Input, also: &[&str]) -> Result<(), ApiError> {
    let given = input.parse::<serde_json::Map<String, serde_json::Value>>()?;
    let known = |k: &str| SettingsOverrides::NAMES.contains(&k) || also.contains(&k);
    match given.keys().find(|k| !known(k)) {
        Some(unknown) => Err(ApiError::invalid(format!("unknown setting {unknown:?}"))),
        None => Ok(()),
    }
}
