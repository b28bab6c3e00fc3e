//! Account states: enabled or disabled (now, or from a set time), email
//! verified, superuser; reading and setting them, and what disabling does.
//!
//! The state lives in the user record (`u` + id, version 3), not in a key
//! of its own: `validate` and `verify_api_key` read that record anyway, so
//! judging the state there costs them no extra store read, and every
//! commit that guards the record (a login minting a token, an API key's
//! creation, a one-time token's issue or redemption) conflicts with a
//! state change and re-reads it.
//!
//! Disabling an account revokes everything that lets anyone act as it, in
//! the commit that disables it: its sessions and its one-time tokens (the
//! generation bump that a password change makes: both kinds record the
//! generation they were issued under) and its API keys (deleted, as
//! `delete_user` deletes them). keg_auth
//! left sessions alive after a date-based disable; here a disabled-from
//! time is judged at every use instead, so a session, key or one-time token
//! of an account whose time has come is refused without any commit having
//! happened at that time. Those credentials are still stored, so enabling
//! an account again revokes them too, in the commit that enables it:
//! otherwise clearing a passed disabled-from time would bring them back.
//! While an account is disabled nothing new can be issued to it (a login,
//! an API key, a one-time token), so revoking again on enabling takes
//! nothing that was valid.
//!
//! A disabled account's password is still checked, counted and locked out
//! exactly as an enabled one's: the state is told only to a caller who
//! gave the right password ([`Error::AccountDisabled`]); a wrong password
//! is [`Error::InvalidPassword`], as for anyone.

use crate::env::{Env, Guard, Write};
use crate::error::{Error, Result};
use crate::txn::{Attempt, committed, retry};
use crate::users::Loaded;
use crate::{Auth, EventKind, keys};

/// What an account may do, beyond its password and permissions.
///
/// The default (also what every account created before states existed
/// reads as) is enabled, with no disabled-from time, email not verified,
/// not a superuser.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AccountState {
    /// Whether the account may log in and use its sessions, API keys and
    /// one-time tokens. Setting it to `false` revokes all of them.
    pub enabled: bool,
    /// Unix seconds from which the account counts as disabled, even while
    /// `enabled`; `None`: no such time. A time already passed when it is
    /// set disables the account at once (and revokes as `enabled = false`
    /// does); a later one takes effect at that time, checked at every use.
    pub disabled_from: Option<u64>,
    /// Whether the account's email address is verified: set by redeeming
    /// a `verify-email` one-time token, or by whoever sets the state.
    pub email_verified: bool,
    /// Whether the account is a superuser. Only stored and returned for
    /// now; roles will give a superuser every permission.
    pub superuser: bool,
}

impl Default for AccountState {
    fn default() -> Self {
        AccountState {
            enabled: true,
            disabled_from: None,
            email_verified: false,
            superuser: false,
        }
    }
}

impl AccountState {
    /// Whether the account counts as disabled at `now` (Unix seconds): not
    /// `enabled`, or `disabled_from` is at or before `now`.
    pub fn is_disabled_at(&self, now: u64) -> bool {
        !self.enabled || self.disabled_from.is_some_and(|t| t <= now)
    }
}

/// What to log about a change of state from `old` to `new` at `now`: the
/// account becoming disabled or enabled, or a disabled-from time being
/// scheduled or cancelled; nothing for changes that do neither.
fn event(old: &AccountState, new: &AccountState, now: u64) -> Option<(EventKind, String)> {
    let (was, is) = (old.is_disabled_at(now), new.is_disabled_at(now));
    match (was, is) {
        (false, true) => Some((
            EventKind::AccountDisabled,
            "account disabled: sessions, API keys and one-time tokens revoked".to_owned(),
        )),
        (true, false) => Some((
            EventKind::AccountEnabled,
            "account enabled: credentials from before revoked".to_owned(),
        )),
        (false, false) if old.disabled_from != new.disabled_from => Some(match new.disabled_from {
            Some(t) => (
                EventKind::AccountDisabled,
                format!("account to be disabled from {t}"),
            ),
            None => (
                EventKind::AccountEnabled,
                "scheduled disabling cancelled".to_owned(),
            ),
        }),
        _ => None,
    }
}

impl<E: Env> Auth<E> {
    /// User `id`'s account state. Errors: [`Error::NoUser`].
    pub fn get_account_state(&self, id: u64) -> Result<AccountState> {
        let user = self.load_user(id)?.ok_or(Error::NoUser)?;
        Ok(user.record.state)
    }

    /// Replace user `id`'s account state with `state`, in one commit.
    ///
    /// When that disables the account now (`enabled` false, or a
    /// `disabled_from` at or before now) and it was not disabled, the same
    /// commit revokes every session of the user, deletes every API key of
    /// theirs and kills their one-time tokens, and logs
    /// [`EventKind::AccountDisabled`]. When it enables an account that was
    /// disabled, the same commit revokes them again (some may have
    /// outlived a disabled-from time, which no commit marked) and logs
    /// [`EventKind::AccountEnabled`]: nothing from before comes back. A
    /// disabled-from time in the future revokes nothing when set; it is
    /// judged at every use, and logged as scheduled.
    ///
    /// The commit deletes at most twice [`crate::MAX_API_KEYS_PER_OWNER`]
    /// keys, as `delete_user` does: bounded whatever the user holds.
    /// Errors: [`Error::NoUser`].
    pub fn set_account_state(&self, id: u64, state: &AccountState) -> Result<()> {
        retry(|| {
            let user = self.load_user(id)?.ok_or(Error::NoUser)?;
            let old = user.record.state;
            if old == *state {
                return Ok(Attempt::Done(()));
            }
            let now = self.env.now();
            let mut guards = vec![user.guard()];
            let mut writes = if old.is_disabled_at(now) != state.is_disabled_at(now) {
                let (key_guards, writes) = self.revoke_everything(&user, state)?;
                guards.extend(key_guards);
                writes
            } else {
                let mut record = user.record.clone();
                record.state = *state;
                vec![Write::put(keys::user(id), record.encode())]
            };
            if let Some((kind, reason)) = event(&old, state, now) {
                writes.extend(self.event_writes(kind, id, &user.record.username, reason)?);
            }
            committed(self.env.commit(&guards, &writes), ())
        })
    }

    /// The guards and writes that store `state` in `user`'s record and
    /// revoke every credential of theirs, each the way its own revocation
    /// does it: the generation bump of [`Auth::delete_tokens`], which kills
    /// sessions and one-time tokens alike (a one-time token is dead once
    /// the generation differs from its own, so no new stamp is needed),
    /// and the API-key deletes of `delete_user`. To commit under
    /// `user.guard()` besides the returned guards.
    fn revoke_everything(
        &self,
        user: &Loaded,
        state: &AccountState,
    ) -> Result<(Vec<Guard>, Vec<Write>)> {
        let id = user.record.id;
        let (_, revocation) = Self::revocation(user, |r| r.state = *state)?;
        // Guarded on the user's API-key version: a key created after this
        // read makes the commit retry and delete it (and a creation
        // committing after it fails on the user guard and sees the state).
        let (guards, key_writes) = self.user_api_key_deletes(id)?;
        let mut writes = revocation.to_vec();
        writes.extend(key_writes);
        Ok((guards, writes))
    }

    /// [`Error::AccountDisabled`] when `user` is disabled now.
    pub(crate) fn refuse_disabled(&self, user: &Loaded) -> Result<()> {
        if user.record.state.is_disabled_at(self.env.now()) {
            Err(Error::AccountDisabled)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests;
