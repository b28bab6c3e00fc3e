//! Login sessions: the `Session`, `Validation` and `SweepOutcome` types,
//! and minting, validating, counting, revoking and sweeping tokens.

use core::fmt;

use crate::env::{Env, Guard, StoreError, Write};
use crate::error::{Error, Result, invalid};
use crate::record::{SessionEntry, TokenRecord};
use crate::settings::check_lifetime;
use crate::txn::{committed, retry};
use crate::users::check_username;
use crate::{Auth, User, keys, password, token};

/// The most expired tokens one sweep call may delete.
pub const MAX_SWEEP: u32 = 10_000;
/// How many index entries one scan reads while collecting a user's sessions.
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
    /// How many expired tokens it deleted.
    pub deleted: u64,
    /// The earliest expiry (Unix seconds) among the tokens still stored
    /// after the sweep, or `None` when none are. Nothing needs sweeping
    /// before then, unless a later login mints a token that expires sooner.
    pub next_expiry: Option<u64>,
}

impl<E: Env> Auth<E> {
    /// Check `username`'s password and mint a token valid for `lifetime`
    /// seconds (the stored default when `None`). Rehashes the password when
    /// the Argon2 settings changed since it was last hashed.
    pub fn login(&self, username: &str, password: &str, lifetime: Option<u64>) -> Result<Session> {
        check_username(username)?;
        password::check_password_input(password)?;
        if let Some(l) = lifetime {
            check_lifetime(l)?;
        }
        let settings = self.get_settings()?;
        let lifetime = lifetime.unwrap_or(settings.default_token_lifetime);
        // Argon2 runs are the cost of a login; across retries each stored
        // hash is verified at most once and a rehash is computed at most once.
        let mut verified: Option<String> = None;
        let mut rehashed: Option<String> = None;
        let mut first = true;
        retry(|| {
            let Some(user) = self.find_user(username)? else {
                if first {
                    password::verify_dummy(&settings, password);
                }
                return Err(Error::NoUser);
            };
            first = false;
            let record = &user.record;
            if verified.as_deref() != Some(record.password_hash.as_str()) {
                if !password::verify(&record.password_hash, password)? {
                    return Err(Error::InvalidPassword);
                }
                verified = Some(record.password_hash.clone());
            }
            let mut writes = Vec::with_capacity(4);
            if password::needs_rehash(&record.password_hash, &settings) {
                if rehashed.is_none() {
                    rehashed = Some(password::hash(&self.env, &settings, password)?);
                }
                let mut updated = record.clone();
                updated.password_hash = rehashed.clone().unwrap_or_default();
                writes.push(Write::put(keys::user(record.id), updated.encode()));
            }
            let now = self.env.now();
            let expires = now
                .checked_add(lifetime)
                .ok_or_else(|| invalid("token lifetime overflows the clock"))?;
            let token = token::mint(&self.env);
            let digest = token::digest(&token);
            let generation = record.generation;
            writes.push(Write::put(
                keys::token(&digest),
                TokenRecord {
                    user_id: record.id,
                    generation,
                    expires,
                }
                .encode(),
            ));
            writes.push(Write::put(
                keys::session(record.id, &digest),
                SessionEntry {
                    generation,
                    expires,
                }
                .encode(),
            ));
            writes.push(Write::put(keys::expiry(expires, &digest), Vec::new()));
            // Guarding the user record makes a login that races a password
            // change, a revocation or a deletion start over and see it.
            let session = Session {
                token,
                user: User::from(record),
                expires,
            };
            committed(self.env.commit(&[user.guard()], &writes), session)
        })
    }

    /// The user and expiry behind a live token. An expired token is deleted
    /// and reported as [`Error::TokenExpired`]; a revoked one as
    /// [`Error::InvalidToken`].
    pub fn validate(&self, token: &str) -> Result<Validation> {
        let (digest, record) = self.load_token(token)?;
        let user = self.load_user(record.user_id)?;
        let live_user = user.filter(|u| u.record.generation == record.generation);
        let Some(user) = live_user else {
            // Revoked by a password change or user deletion whose commit
            // could not see this token: finish the job.
            self.delete_token(&digest, &record)?;
            return Err(Error::InvalidToken);
        };
        if record.expires <= self.env.now() {
            self.delete_token(&digest, &record)?;
            return Err(Error::TokenExpired);
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
        let now = self.env.now();
        let generation = user.record.generation;
        let live = self
            .sessions_of(id)?
            .iter()
            .filter(|(_, e)| e.generation == generation && e.expires > now)
            .count();
        Ok(live as u64)
    }

    /// Revoke every token of user `id`; returns how many were live.
    pub fn delete_tokens(&self, id: u64) -> Result<u64> {
        self.rewrite_user(id, true, |_| {})
    }

    /// Delete up to `limit` expired tokens, oldest first, and say when the
    /// earliest token left expires.
    pub fn sweep(&self, limit: u32) -> Result<SweepOutcome> {
        if !(1..=MAX_SWEEP).contains(&limit) {
            return Err(invalid(format!("sweep limit must be 1..={MAX_SWEEP}")));
        }
        let (start, end) = keys::expired_by(self.env.now());
        let expired = self.env.scan(&start, &end, limit)?;
        let mut writes = Vec::with_capacity(expired.len() * 3);
        for (key, _) in &expired {
            let digest = keys::trailing_digest(key)
                .ok_or_else(|| Error::Storage("corrupt expiry key".into()))?;
            writes.push(Write::delete(key.clone()));
            let token_key = keys::token(&digest);
            if let Some(bytes) = self.env.get(&token_key)? {
                let record = TokenRecord::decode(&bytes)?;
                writes.push(Write::delete(keys::session(record.user_id, &digest)));
                writes.push(Write::delete(token_key));
            }
        }
        // Token digests are never reused, so deleting them needs no guards.
        if !writes.is_empty() {
            self.env.commit(&[], &writes)?;
        }
        Ok(SweepOutcome {
            deleted: expired.len() as u64,
            next_expiry: self.next_expiry()?,
        })
    }

    /// The earliest expiry in the expiry index: its first key.
    fn next_expiry(&self) -> Result<Option<u64>> {
        let (start, end) = keys::expiries();
        match self.env.scan(&start, &end, 1)?.first() {
            Some((key, _)) => keys::expiry_of(key)
                .map(Some)
                .ok_or_else(|| Error::Storage("corrupt expiry key".into())),
            None => Ok(None),
        }
    }

    /// Every session-index entry of user `id`: (token digest, entry).
    pub(crate) fn sessions_of(&self, id: u64) -> Result<Vec<([u8; 32], SessionEntry)>> {
        let (mut start, end) = keys::sessions_of(id);
        let mut out = Vec::new();
        loop {
            let batch = self.env.scan(&start, &end, SCAN_BATCH)?;
            let full = batch.len() == SCAN_BATCH as usize;
            for (k, v) in &batch {
                let digest = keys::trailing_digest(k)
                    .ok_or_else(|| Error::Storage("corrupt session key".into()))?;
                out.push((digest, SessionEntry::decode(v)?));
            }
            match batch.last() {
                Some((last, _)) if full => {
                    start = last.clone();
                    start.push(0);
                }
                _ => return Ok(out),
            }
        }
    }

    /// Writes that delete every listed token of user `id` with its indexes.
    pub(crate) fn revoke_writes(id: u64, sessions: &[([u8; 32], SessionEntry)]) -> Vec<Write> {
        let mut writes = Vec::with_capacity(sessions.len() * 3);
        for (digest, entry) in sessions {
            writes.push(Write::delete(keys::token(digest)));
            writes.push(Write::delete(keys::session(id, digest)));
            writes.push(Write::delete(keys::expiry(entry.expires, digest)));
        }
        writes
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
        let key = keys::token(digest);
        let guards = [Guard::equals(key.clone(), Some(r.encode()))];
        let writes = [
            Write::delete(key),
            Write::delete(keys::session(r.user_id, digest)),
            Write::delete(keys::expiry(r.expires, digest)),
        ];
        self.env.commit(&guards, &writes)
    }

    /// Delete a dead token; losing the race to another deleter is fine.
    fn delete_token(&self, digest: &[u8; 32], r: &TokenRecord) -> Result<()> {
        match self.delete_token_guarded(digest, r) {
            Ok(()) | Err(StoreError::Conflict) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests;
