//! One-time tokens: single-use, purpose-bound secrets for password reset
//! and email verification, dead on use, on expiry, and on any event that
//! changes what they were issued against. See the WIT `one-time-tokens`
//! interface.
//!
//! A token is two keys: its record (`p` + digest, a
//! [`crate::record::OneTimeRecord`]) and its expiry-index entry (`e` +
//! expiry + digest, valued `[p]`, which `sweep` follows). The record
//! remembers what the token was issued against instead of deriving the
//! token from it (keg_auth's tokens are salted with the password hash and
//! live until it changes, and may be used again and again): the user's
//! generation, bumped by a password change, `delete_tokens` and disabling
//! or enabling the account; and the user's stamp (`o` + id), replaced by a
//! login and a redeemed `verify-email` token. Any difference, or a deleted
//! user, is the token's death, found when it is next redeemed (and it is
//! deleted then), so killing every one-time token of a user is one write
//! whatever their number.
//!
//! Username changes: moth has no rename operation yet. One must kill the
//! user's one-time tokens too (replace the stamp in its commit), since a
//! reset link mailed for the old name should not outlive it.

use core::fmt;

/// The purpose of password-reset tokens, the only ones `reset_password` takes.
pub const PURPOSE_RESET_PASSWORD: &str = "reset-password";
/// The purpose of email-verification tokens; redeeming one kills the user's
/// other one-time tokens.
pub const PURPOSE_VERIFY_EMAIL: &str = "verify-email";
/// The longest purpose accepted, in bytes.
pub const MAX_PURPOSE_BYTES: usize = 64;
/// The lifetime of a one-time token issued without one: 4 hours.
pub const DEFAULT_ONE_TIME_LIFETIME: u64 = 4 * 60 * 60;
/// The longest one-time-token lifetime accepted: 7 days, in seconds.
pub const MAX_ONE_TIME_LIFETIME: u64 = 7 * 24 * 60 * 60;

/// A new one-time token. Its `Debug` redacts the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct OneTimeToken {
    /// The secret, returned only when issued.
    pub token: String,
    /// Unix seconds at which it stops being valid.
    pub expires: u64,
}

impl fmt::Debug for OneTimeToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OneTimeToken")
            .field("token", &"<redacted>")
            .field("expires", &self.expires)
            .finish()
    }
}

use crate::env::{Env, Guard, Write};
use crate::error::{Error, Result, invalid};
use crate::record::OneTimeRecord;
use crate::token::{self, ONE_TIME_TOKEN_PREFIX};
use crate::txn::{committed, retry};
use crate::users::Loaded;
use crate::{Auth, EventKind, User, keys, password};

/// Refuse a purpose that is empty, longer than [`MAX_PURPOSE_BYTES`], or
/// holds anything but `a`-`z`, `0`-`9` and `-`: purposes are names chosen
/// by code, and a narrow alphabet keeps look-alikes (case, spaces,
/// Unicode) from naming two purposes that a person would read as one.
fn check_purpose(purpose: &str) -> Result<()> {
    let ok = (1..=MAX_PURPOSE_BYTES).contains(&purpose.len())
        && purpose
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "purpose must be 1..={MAX_PURPOSE_BYTES} bytes of a-z, 0-9 and -"
        )))
    }
}

/// The digest of a well-formed one-time token; anything else is
/// [`Error::InvalidToken`] before the store is read.
fn digest_of(token: &str) -> Result<[u8; 32]> {
    if token::well_formed_prefixed(token, ONE_TIME_TOKEN_PREFIX) {
        Ok(token::digest(token))
    } else {
        Err(Error::InvalidToken)
    }
}

/// A stamp as stored: exactly 8 bytes, anything else is corruption.
fn parse_stamp(bytes: &[u8]) -> Result<[u8; 8]> {
    bytes
        .try_into()
        .map_err(|_| Error::Storage("corrupt stamp in store".into()))
}

/// A live token as read, with every value its redemption's commit must
/// guard: the record's bytes (so that it is used once), the user record
/// (so that a racing password change or deletion wins) and the stamp (so
/// that a racing login or verification wins).
struct Live {
    digest: [u8; 32],
    bytes: Vec<u8>,
    record: OneTimeRecord,
    user: Loaded,
    stamp: Option<Vec<u8>>,
}

impl Live {
    fn guards(&self) -> [Guard; 3] {
        [
            Guard::equals(keys::one_time(&self.digest), Some(self.bytes.clone())),
            self.user.guard(),
            Guard::equals(keys::stamp(self.record.user_id), self.stamp.clone()),
        ]
    }
}

/// The deletes of a one-time token's two keys.
fn deletes(digest: &[u8; 32], record: &OneTimeRecord) -> [Write; 2] {
    [
        Write::delete(keys::one_time(digest)),
        Write::delete(keys::expiry(record.expires, digest)),
    ]
}

impl<E: Env> Auth<E> {
    /// A write giving user `id` a new random stamp, which kills every
    /// one-time token issued before it.
    pub(crate) fn new_stamp(&self, id: u64) -> Write {
        let mut stamp = [0u8; 8];
        self.env.random(&mut stamp);
        Write::put(keys::stamp(id), stamp.to_vec())
    }

    /// Issue a token for user `id` and `purpose`, valid for `lifetime`
    /// seconds (1..=[`MAX_ONE_TIME_LIFETIME`], [`DEFAULT_ONE_TIME_LIFETIME`]
    /// when `None`). Only its digest is stored; the secret is returned only
    /// here. Committed under guards on the user record and stamp as read,
    /// so that a token issued while a login, password change or deletion
    /// commits starts over and is issued against what that commit left,
    /// never against a state it replaced (which would make it dead on
    /// arrival).
    ///
    /// Errors: [`Error::InvalidInput`] for the purpose or lifetime,
    /// [`Error::NoUser`], [`Error::AccountDisabled`] for an account disabled
    /// now (its token could not be redeemed, and enabling the account
    /// again would kill it).
    pub fn issue_one_time_token(
        &self,
        id: u64,
        purpose: &str,
        lifetime: Option<u64>,
    ) -> Result<OneTimeToken> {
        check_purpose(purpose)?;
        let lifetime = lifetime.unwrap_or(DEFAULT_ONE_TIME_LIFETIME);
        if !(1..=MAX_ONE_TIME_LIFETIME).contains(&lifetime) {
            return Err(invalid(format!(
                "one-time token lifetime must be 1..={MAX_ONE_TIME_LIFETIME} seconds"
            )));
        }
        let stamp_key = keys::stamp(id);
        retry(|| {
            let user = self.load_user(id)?.ok_or(Error::NoUser)?;
            self.refuse_disabled(&user)?;
            let stamp = self.env.get(&stamp_key)?;
            let now = self.env.now();
            let expires = now
                .checked_add(lifetime)
                .ok_or_else(|| invalid("one-time token lifetime overflows the clock"))?;
            let token = token::mint_prefixed(&self.env, ONE_TIME_TOKEN_PREFIX);
            let digest = token::digest(&token);
            let record = OneTimeRecord {
                user_id: id,
                purpose: purpose.to_owned(),
                generation: user.record.generation,
                stamp: stamp.as_deref().map(parse_stamp).transpose()?,
                issued: now,
                expires,
            };
            let guards = [
                user.guard(),
                Guard::equals(stamp_key.clone(), stamp),
                Guard::absent(keys::one_time(&digest)),
            ];
            let mut writes = vec![
                Write::put(keys::one_time(&digest), record.encode()),
                Write::put(keys::expiry(expires, &digest), vec![keys::ONE_TIME]),
            ];
            writes.extend(self.event_writes(
                EventKind::OneTimeTokenCreated,
                id,
                &user.record.username,
                format!("purpose {purpose}"),
            )?);
            committed(
                self.env.commit(&guards, &writes),
                OneTimeToken { token, expires },
            )
        })
    }

    /// Use up a token of `purpose` and return its user as of now. A token
    /// of another purpose is refused and left alone: whoever holds it may
    /// still use it for what it was issued for. Redeeming a
    /// [`PURPOSE_VERIFY_EMAIL`] token marks the user's email verified (see
    /// [`crate::AccountState`]) and replaces their stamp in the same
    /// commit, killing their other one-time tokens: they were issued while
    /// the address was unverified. A [`PURPOSE_RESET_PASSWORD`] token is
    /// redeemable here too, without a reset, for callers that run their
    /// own; [`Auth::reset_password`] is the one that resets.
    ///
    /// Errors: [`Error::InvalidToken`] (malformed, unknown, used, dead, or
    /// of another purpose), [`Error::TokenExpired`] (and it is deleted),
    /// [`Error::AccountDisabled`] when the token is live but its account
    /// is disabled now (nothing is written: the token stays),
    /// [`Error::InvalidInput`] for the purpose.
    pub fn redeem_one_time_token(&self, token: &str, purpose: &str) -> Result<User> {
        check_purpose(purpose)?;
        let digest = digest_of(token)?;
        retry(|| {
            let live = self.live_one_time(&digest, purpose)?;
            let mut writes = deletes(&digest, &live.record).to_vec();
            if purpose == PURPOSE_VERIFY_EMAIL {
                writes.push(self.new_stamp(live.record.user_id));
                let mut record = live.user.record.clone();
                if !record.state.email_verified {
                    // Under the guard on the record as read, like the rest.
                    record.state.email_verified = true;
                    writes.push(Write::put(keys::user(record.id), record.encode()));
                }
            }
            let user = User::from(&live.user.record);
            committed(self.env.commit(&live.guards(), &writes), user)
        })
    }

    /// Use up a [`PURPOSE_RESET_PASSWORD`] token and, in the same commit,
    /// replace its user's password, revoke every login token of theirs (as
    /// [`Auth::set_password`] does) and replace their stamp; returns the
    /// user. Either all of it happens or nothing: a refused password leaves
    /// the token usable.
    ///
    /// The token is checked before the password is hashed, so that nobody
    /// without a live token can make moth spend an Argon2 run, and again in
    /// the commit's attempt, which guards everything it read.
    ///
    /// Errors: as [`Auth::redeem_one_time_token`] (so
    /// [`Error::AccountDisabled`], before any hashing and writing nothing,
    /// for a disabled account), and [`Error::InvalidInput`] for the
    /// password.
    pub fn reset_password(&self, token: &str, new_password: &str) -> Result<User> {
        password::check_password_input(new_password)?;
        let digest = digest_of(token)?;
        let live = self.live_one_time(&digest, PURPOSE_RESET_PASSWORD)?;
        let settings = self.get_settings()?;
        crate::policy::check_new_password(&settings, &live.user.record.username, new_password)?;
        // Hash once, outside the retry loop: it is the expensive part and
        // does not depend on anything a conflict could change.
        let password_hash = password::hash(&self.env, &settings, new_password)?;
        retry(|| {
            let live = self.live_one_time(&digest, PURPOSE_RESET_PASSWORD)?;
            let (record, revocation) =
                Self::revocation(&live.user, |r| r.password_hash = password_hash.clone())?;
            let mut writes = deletes(&digest, &live.record).to_vec();
            writes.extend(revocation);
            writes.push(self.new_stamp(record.id));
            writes.extend(self.event_writes(
                EventKind::ResetPassword,
                record.id,
                &record.username,
                "password reset by one-time token".to_owned(),
            )?);
            let user = User::from(&record);
            committed(self.env.commit(&live.guards(), &writes), user)
        })
    }

    /// The token `digest` if it is live for `purpose`. An expired or dead
    /// one is deleted on the way (it can never become live again), unless
    /// it is of another purpose: that caller has no business with it.
    /// [`Error::AccountDisabled`] for a live one whose account is disabled
    /// now, which is left alone: enabling the account kills it.
    fn live_one_time(&self, digest: &[u8; 32], purpose: &str) -> Result<Live> {
        let bytes = self
            .env
            .get(&keys::one_time(digest))?
            .ok_or(Error::InvalidToken)?;
        let record = OneTimeRecord::decode(&bytes)?;
        if record.purpose != purpose {
            return Err(Error::InvalidToken);
        }
        if record.expires <= self.env.now() {
            self.delete_one_time(digest, &bytes, &record)?;
            return Err(Error::TokenExpired);
        }
        let user = self.load_user(record.user_id)?;
        let stamp = self.env.get(&keys::stamp(record.user_id))?;
        let issued_stamp = record.stamp.as_ref().map(<[u8; 8]>::as_slice);
        match user {
            Some(user)
                if user.record.generation == record.generation
                    && stamp.as_deref() == issued_stamp =>
            {
                // Only a live token's holder learns the state: a dead one
                // is `InvalidToken` (below), disabled account or not.
                self.refuse_disabled(&user)?;
                Ok(Live {
                    digest: *digest,
                    bytes,
                    record,
                    user,
                    stamp,
                })
            }
            _ => {
                self.delete_one_time(digest, &bytes, &record)?;
                Err(Error::InvalidToken)
            }
        }
    }

    /// Delete an expired or dead token, guarded on its bytes as read; a
    /// conflict means another caller deleted it first, which is as good.
    fn delete_one_time(
        &self,
        digest: &[u8; 32],
        bytes: &[u8],
        record: &OneTimeRecord,
    ) -> Result<()> {
        let guards = [Guard::equals(keys::one_time(digest), Some(bytes.to_vec()))];
        match self.env.commit(&guards, &deletes(digest, record)) {
            Ok(()) | Err(crate::env::StoreError::Conflict) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests;
