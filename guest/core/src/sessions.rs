//! Login sessions: the `Session`, `Validation` and `SweepOutcome` types,
//! and validating, logging out, counting and revoking tokens. Minting (and
//! the per-user cap) is in `mint.rs`, sweeping (expired tokens and the
//! cleanup revocations leave behind) in `sweep.rs`.
//!
//! Revocation costs the same whatever the number of tokens: it only bumps
//! the user's generation (or deletes the user) and records a revocation
//! (`r` + user id) in one small commit. A token of an older generation, or
//! of a deleted user, is dead at once for `validate` and `count_tokens`;
//! `sweep` deletes its keys later, in bounded batches.

use core::fmt;

use crate::env::{Env, Guard, StoreError, Write};
use crate::error::{Error, Result};
use crate::record::{LegacySessionEntry, SessionEntry, TokenRecord};
use crate::{Auth, EventKind, User, keys, token};

mod manage;
mod mint;
mod sweep;

pub use manage::SessionInfo;

pub use sweep::MAX_SWEEP_REVOCATIONS;

/// The most tokens one sweep call may delete.
pub const MAX_SWEEP: u32 = 10_000;
/// How many index entries one scan reads while walking a range.
const SCAN_BATCH: u32 = 1024;

/// A fresh login: the token is shown only here. Its `Debug` redacts the
/// token.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    /// The bearer token.
    pub token: String,
    /// Whose it is.
    pub user: User,
    /// Unix seconds at which it stops being valid.
    pub expires: u64,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("token", &"<redacted>")
            .field("user", &self.user)
            .field("expires", &self.expires)
            .finish()
    }
}

/// What a live token stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validation {
    /// The token's user, as of now.
    pub user: User,
    /// Unix seconds at which it stops being valid.
    pub expires: u64,
}

/// What one [`Auth::sweep`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SweepOutcome {
    /// How many tokens it deleted: expired ones, and revoked ones (of a
    /// password change, `delete_tokens` or a deleted user) whose deletion
    /// the revocation left to sweeping.
    pub deleted: u64,
    /// The earliest expiry (Unix seconds) among the tokens still stored
    /// after the sweep, revoked ones awaiting deletion included, or `None`
    /// when none are. Nothing needs sweeping before then, unless a later
    /// login mints a token that expires sooner or a revocation leaves tokens
    /// to delete. A sweep that leaves revoked tokens to delete has normally
    /// deleted a full `limit`, so its caller calls again anyway; when it has
    /// not (more than [`crate::MAX_SWEEP_REVOCATIONS`] revocations were
    /// pending, or one raced the sweep) this is the time of the sweep at the
    /// latest, so that the next sweep is due at once.
    pub next_expiry: Option<u64>,
}

impl<E: Env> Auth<E> {
    /// The user and expiry behind a live token. An expired token is deleted
    /// and reported as [`Error::TokenExpired`]; a revoked one, or one of an
    /// account disabled now (see [`crate::AccountState`]), as
    /// [`Error::InvalidToken`].
    pub fn validate(&self, token: &str) -> Result<Validation> {
        let (digest, record) = self.load_token(token)?;
        let user = self.load_user(record.user_id)?;
        let live_user = user.filter(|u| u.record.generation == record.generation);
        let Some(user) = live_user else {
            // Revoked by a password change or user deletion whose cleanup
            // has not reached this token yet: delete it now.
            self.delete_token(&digest, &record)?;
            return Err(Error::InvalidToken);
        };
        let now = self.env.now();
        if record.expires <= now {
            self.delete_token(&digest, &record)?;
            return Err(Error::TokenExpired);
        }
        if user.record.state.is_disabled_at(now) {
            // Judged from the record already read: no extra store read.
            // Not deleted: it may be a disabled-from time that no commit
            // marked, and the commit enabling the account revokes it.
            return Err(Error::InvalidToken);
        }
        Ok(Validation {
            user: User::from(&user.record),
            expires: record.expires,
        })
    }

    /// Delete a token.
    pub fn logout(&self, token: &str) -> Result<()> {
        let (digest, record) = self.load_token(token)?;
        match self.delete_token_guarded(&digest, &record) {
            Ok(()) => Ok(()),
            // Someone else deleted it between our read and our commit.
            Err(StoreError::Conflict) => Err(Error::InvalidToken),
            Err(e) => Err(e.into()),
        }
    }

    /// How many live tokens user `id` has.
    pub fn count_tokens(&self, id: u64) -> Result<u64> {
        let user = self.load_user(id)?.ok_or(Error::NoUser)?;
        self.count_live(user.record.id, user.record.generation)
    }

    /// Revoke every token of user `id`; returns how many were live. One
    /// small commit whatever their number: the tokens die with the
    /// generation bump and `sweep` deletes them later. A token minted by a
    /// login committing at the same moment is revoked too, though it may
    /// not be counted.
    pub fn delete_tokens(&self, id: u64) -> Result<u64> {
        let event = (
            EventKind::SessionsRevoked,
            "every session revoked".to_owned(),
        );
        self.revoke(id, true, Some(event), |_| {})
    }

    /// How many unexpired tokens of generation `generation` user `id` has:
    /// one `l` range (at most about the settings' `max_tokens_per_user`
    /// entries) and
    /// the legacy `s` range, read in batches, nothing written.
    pub(crate) fn count_live(&self, id: u64, generation: u64) -> Result<u64> {
        let now = self.env.now();
        let mut live = 0;
        self.scan_all(keys::sessions_in(id, generation), |_, v| {
            live += u64::from(SessionEntry::decode(v)?.expires > now);
            Ok(())
        })?;
        self.scan_all(keys::legacy_sessions_of(id), |_, v| {
            let e = LegacySessionEntry::decode(v)?;
            live += u64::from(e.generation == generation && e.expires > now);
            Ok(())
        })?;
        Ok(live)
    }

    /// Call `f` on every entry of `[start, end)`, reading `SCAN_BATCH` at a
    /// time.
    fn scan_all(
        &self,
        (mut start, end): (Vec<u8>, Vec<u8>),
        mut f: impl FnMut(&[u8], &[u8]) -> Result<()>,
    ) -> Result<()> {
        loop {
            let batch = self.env.scan(&start, &end, SCAN_BATCH)?;
            for (k, v) in &batch {
                f(k, v)?;
            }
            match batch.last() {
                Some((last, _)) if batch.len() == SCAN_BATCH as usize => {
                    start = last.clone();
                    start.push(0);
                }
                _ => return Ok(()),
            }
        }
    }

    fn load_token(&self, token: &str) -> Result<([u8; 32], TokenRecord)> {
        if !token::well_formed(token) {
            return Err(Error::InvalidToken);
        }
        let digest = token::digest(token);
        let bytes = self
            .env
            .get(&keys::token(&digest))?
            .ok_or(Error::InvalidToken)?;
        Ok((digest, TokenRecord::decode(&bytes)?))
    }

    fn delete_token_guarded(&self, digest: &[u8; 32], r: &TokenRecord) -> Result<(), StoreError> {
        let guards = [Guard::equals(keys::token(digest), Some(r.encode()))];
        self.env.commit(&guards, &token_deletes(digest, r))
    }

    /// Delete a dead token; losing the race to another deleter is fine.
    fn delete_token(&self, digest: &[u8; 32], r: &TokenRecord) -> Result<()> {
        match self.delete_token_guarded(digest, r) {
            Ok(()) | Err(StoreError::Conflict) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// The session-index key of the token `digest` whose record is `r`.
fn index_key(digest: &[u8; 32], r: &TokenRecord) -> Vec<u8> {
    match r.minted {
        Some(minted) => keys::session(r.user_id, r.generation, minted, digest),
        None => keys::legacy_session(r.user_id, digest),
    }
}

/// Deletes of the three keys of the token `digest` whose record is `r`.
fn token_deletes(digest: &[u8; 32], r: &TokenRecord) -> [Write; 3] {
    [
        Write::delete(keys::token(digest)),
        Write::delete(index_key(digest, r)),
        Write::delete(keys::expiry(r.expires, digest)),
    ]
}

/// Deletes of the three keys of the token behind a session-index entry
/// (`l` or legacy `s`), read from the entry alone.
fn entry_deletes(key: &[u8], value: &[u8]) -> Result<[Write; 3]> {
    let corrupt = || Error::Storage("corrupt session key".into());
    let expires = match key.first() {
        Some(&keys::SESSION) => {
            keys::parse_session(key).ok_or_else(corrupt)?;
            SessionEntry::decode(value)?.expires
        }
        Some(&keys::LEGACY_SESSION) if key.len() == 1 + 8 + 32 => {
            LegacySessionEntry::decode(value)?.expires
        }
        _ => return Err(corrupt()),
    };
    let digest = keys::trailing_digest(key).ok_or_else(corrupt)?;
    Ok([
        Write::delete(keys::token(&digest)),
        Write::delete(key.to_vec()),
        Write::delete(keys::expiry(expires, &digest)),
    ])
}

#[cfg(test)]
mod cap_tests;
#[cfg(test)]
mod legacy_tests;
#[cfg(test)]
mod revocation_tests;
#[cfg(test)]
mod tests;
