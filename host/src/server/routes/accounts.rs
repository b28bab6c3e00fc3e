//! The account-state routes (admin): `GET /account-state` and
//! `PATCH /account-state`.

use axum::Json;
use serde::{Deserialize, Serialize};

use super::users::ById;
use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::{ForTenant, Params};
use crate::{AccountState, AccountStateChange};

/// An account state as the HTTP API and the CLI show it.
#[derive(Debug, Serialize)]
pub struct AccountStateBody {
    id: u64,
    enabled: bool,
    disabled_from: Option<u64>,
    email_verified: bool,
    superuser: bool,
}

impl AccountStateBody {
    /// User `id`'s state `s`.
    pub fn new(id: u64, s: AccountState) -> Self {
        AccountStateBody {
            id,
            enabled: s.enabled,
            disabled_from: s.disabled_from,
            email_verified: s.email_verified,
            superuser: s.superuser,
        }
    }
}

/// `GET /account-state`: user `id`'s state.
pub(super) async fn get_account_state(
    t: ForTenant,
    Params(p): Params<ById>,
) -> ApiResult<AccountStateBody> {
    let id = p.id;
    let state = t
        .read("get_account_state", move |m| m.get_account_state(id))
        .await?;
    Ok(Json(AccountStateBody::new(id, state)))
}

/// `PATCH /account-state`: the user `id` and the fields to change. A
/// JSON `null` counts as absent (as everywhere in MOTH's API), so a
/// disabled-from time is cancelled with `no_disabled_from: true`, as on
/// the command line. A name that is none of these is refused.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Change {
    id: u64,
    enabled: Option<bool>,
    disabled_from: Option<u64>,
    no_disabled_from: Option<bool>,
    email_verified: Option<bool>,
    superuser: Option<bool>,
}

impl Change {
    fn change(&self) -> Result<AccountStateChange, ApiError> {
        let disabled_from = match (self.disabled_from, self.no_disabled_from) {
            (Some(_), Some(true)) => {
                return Err(ApiError::invalid(
                    "give disabled_from or no_disabled_from, not both",
                ));
            }
            (_, Some(true)) => Some(None),
            (t, _) => t.map(Some),
        };
        Ok(AccountStateChange {
            enabled: self.enabled,
            disabled_from,
            email_verified: self.email_verified,
            superuser: self.superuser,
        })
    }
}

/// `PATCH /account-state`: change the fields given, keep the others;
/// answers with the state after. Disabling revokes every session, API key
/// and one-time token of the user at once.
pub(super) async fn set_account_state(
    t: ForTenant,
    Params(p): Params<Change>,
) -> ApiResult<AccountStateBody> {
    let (id, change) = (p.id, p.change()?);
    let state = t
        .blocking("set_account_state", move |m| {
            m.update_account_state(id, change)
        })
        .await?;
    Ok(Json(AccountStateBody::new(id, state)))
}
