//! The `accounts` interface: account states.

use crate::error::Result;
use crate::ops;
use crate::{AccountState, Moth};

impl Moth {
    /// User `id`'s account state: enabled, disabled-from, email verified,
    /// superuser.
    pub fn get_account_state(&self, id: u64) -> Result<AccountState> {
        self.call(ops::GET_ACCOUNT_STATE, |i| {
            let (accounts, store) = i.accounts();
            accounts.call_get_account_state(store, id)
        })
        .map(AccountState::from)
    }

    /// Replace user `id`'s account state in one commit. Disabling revokes
    /// every session, API key and one-time token of the user at once.
    pub fn set_account_state(&self, id: u64, state: &AccountState) -> Result<()> {
        let state = state.into();
        self.call(ops::SET_ACCOUNT_STATE, |i| {
            let (accounts, store) = i.accounts();
            accounts.call_set_account_state(store, id, state)
        })?;
        // Revoked sessions await the sweeper.
        self.sweep_state().revoked();
        Ok(())
    }
}

/// Changes to an account state; `None` keeps the current value. Shared by
/// `PATCH /account-state` and `moth account set`, so that how a partial
/// change applies is written once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccountStateChange {
    /// Enable or disable the account.
    pub enabled: Option<bool>,
    /// `Some(Some(t))` sets the disabled-from time, `Some(None)` clears it.
    pub disabled_from: Option<Option<u64>>,
    /// Mark the email address verified or not.
    pub email_verified: Option<bool>,
    /// Make the account a superuser or not.
    pub superuser: Option<bool>,
}

impl AccountStateChange {
    /// `base` with these changes applied.
    pub fn apply(self, base: AccountState) -> AccountState {
        AccountState {
            enabled: self.enabled.unwrap_or(base.enabled),
            disabled_from: self.disabled_from.unwrap_or(base.disabled_from),
            email_verified: self.email_verified.unwrap_or(base.email_verified),
            superuser: self.superuser.unwrap_or(base.superuser),
        }
    }
}

impl Moth {
    /// Apply `change` to user `id`'s account state and store it; returns the
    /// state in force after. (Two administrators changing different fields
    /// at once may each overwrite the other's field; the state itself is
    /// always one consistent record.)
    pub fn update_account_state(
        &self,
        id: u64,
        change: AccountStateChange,
    ) -> Result<AccountState> {
        let state = change.apply(self.get_account_state(id)?);
        self.set_account_state(id, &state)?;
        Ok(state)
    }
}
