//! Minting tokens: `login`, and the per-user cap it keeps (the settings'
//! `max_tokens_per_user`) by deleting the user's oldest tokens in the
//! commit that stores the new one.
//!
//! Logins of one user that commit at the same moment may briefly exceed
//! the cap by their number: the next login trims back to it. Tokens minted
//! before the cap existed (in the legacy `s` index) do not count.

use crate::attempts::{Judged, Outcome};
use crate::env::{Env, Guard, Write};
use crate::error::{Error, Result, invalid};
use crate::record::{SessionEntry, TokenRecord};
use crate::settings::check_lifetime;
#[cfg(test)]
use crate::txn::retry;
use crate::txn::{Attempt, committed};
use crate::users::{Loaded, check_username};
use crate::{Auth, EventKind, LoginContext, LoginGrant, User, keys, password, token};

use super::{Session, entry_deletes};

/// The most tokens one login deletes to keep the cap: one normally, more
/// only after logins of the same user raced past it.
const MAX_EVICTIONS: u32 = 16;

/// Where a session comes from, recorded with it for its listing.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Origin {
    /// The login's source address, as stored.
    pub source: Option<[u8; 16]>,
    /// The nonce of the device credential presented or issued.
    pub device: Option<[u8; 16]>,
}

impl<E: Env> Auth<E> {
    /// Check `username`'s password and mint a token valid for `lifetime`
    /// seconds (the stored default when `None`), as [`Auth::login_from`]
    /// with no source address and no device credential.
    pub fn login(&self, username: &str, password: &str, lifetime: Option<u64>) -> Result<Session> {
        let ctx = LoginContext::default();
        self.login_checked(username, password, lifetime, &ctx, false)
            .map(|(session, _)| session)
    }

    /// Check `username`'s password under the lockout rules (see
    /// [`crate::Settings::lockout_threshold`]) and mint a token valid for
    /// `lifetime` seconds (the stored default when `None`), with a device
    /// credential for the next login from the same client. Rehashes the
    /// password when the Argon2 settings changed since it was last hashed.
    /// When the user already holds the settings' `max_tokens_per_user`
    /// tokens, their oldest (an expired one first) is deleted in the same
    /// commit. Refused with [`Error::LockedOut`] before any Argon2 work
    /// while locked. A disabled account (see [`crate::AccountState`]) is
    /// judged and counted like any other; only the right password learns
    /// [`Error::AccountDisabled`], and nothing is minted or written.
    pub fn login_from(
        &self,
        username: &str,
        password: &str,
        lifetime: Option<u64>,
        ctx: &LoginContext,
    ) -> Result<LoginGrant> {
        let (session, device) = self.login_checked(username, password, lifetime, ctx, true)?;
        Ok(LoginGrant {
            session,
            device: device.unwrap_or_default(),
        })
    }

    fn login_checked(
        &self,
        username: &str,
        password: &str,
        lifetime: Option<u64>,
        ctx: &LoginContext,
        issue_device: bool,
    ) -> Result<(Session, Option<String>)> {
        check_username(username)?;
        password::check_password_input(password)?;
        if let Some(l) = lifetime {
            check_lifetime(l)?;
        }
        let settings = self.get_settings()?;
        let lifetime = lifetime.unwrap_or(settings.default_token_lifetime);
        let device_key = if issue_device {
            Some(self.device_key_or_new()?)
        } else {
            None
        };
        // Where the session comes from, as its listing shows it. (An
        // invalid source was refused by the judge before any of this.)
        let source = ctx
            .source
            .as_deref()
            .map(crate::attempts::parse_address)
            .transpose()?;
        // A rehash is computed at most once across retries.
        let mut rehashed: Option<String> = None;
        let outcome = self.judge(
            EventKind::Login,
            username,
            password,
            ctx,
            &settings,
            |judged| {
                let Judged {
                    user,
                    claim,
                    guards,
                    mut writes,
                } = judged;
                // The judge refuses a disabled account before this; checked
                // again so that no path mints for one.
                self.refuse_disabled(&user)?;
                // The device credential to hand back: the one presented when
                // valid for this account, else a new one, made now so that
                // the session records its id.
                let device = match (&device_key, claim) {
                    (None, _) => None,
                    (Some(_), Some(c)) => Some((c.credential, c.nonce)),
                    (Some(key), None) => Some(self.issue_device(key, user.record.id)),
                };
                let origin = Origin {
                    source,
                    device: device.as_ref().map(|(_, nonce)| *nonce),
                };
                let record = &user.record;
                if password::needs_rehash(&record.password_hash, &settings) {
                    if rehashed.is_none() {
                        rehashed = Some(password::hash(&self.env, &settings, password)?);
                    }
                    let mut updated = record.clone();
                    updated.password_hash = rehashed.clone().unwrap_or_default();
                    writes.push(Write::put(keys::user(record.id), updated.encode()));
                }
                // A login kills the user's outstanding one-time tokens.
                writes.push(self.new_stamp(record.id));
                let cap = Some(settings.max_tokens_per_user);
                Ok(
                    match self.mint(&user, lifetime, writes, guards, cap, origin)? {
                        Attempt::Done(session) => {
                            Attempt::Done((session, device.map(|(credential, _)| credential)))
                        }
                        Attempt::Retry => Attempt::Retry,
                    },
                )
            },
        )?;
        match outcome {
            Outcome::Success((session, device)) => Ok((session, device)),
            Outcome::WrongPassword => Err(Error::InvalidPassword),
            Outcome::NoUser => Err(Error::NoUser),
        }
    }

    /// One attempt at minting a token for `user`, valid for `lifetime`
    /// seconds, committed with `writes` under `guards` and a guard on the
    /// user record:
    /// a login that races a password change, a revocation or a deletion
    /// starts over and sees it. With `cap`, the user's oldest tokens are
    /// deleted in the same commit so that at most `cap` remain.
    pub(crate) fn mint(
        &self,
        user: &Loaded,
        lifetime: u64,
        mut writes: Vec<Write>,
        mut guards: Vec<Guard>,
        cap: Option<u32>,
        origin: Origin,
    ) -> Result<Attempt<Session>> {
        let record = &user.record;
        let now = self.env.now();
        let expires = now
            .checked_add(lifetime)
            .ok_or_else(|| invalid("token lifetime overflows the clock"))?;
        if let Some(cap) = cap {
            writes.extend(self.evictions(record.id, record.generation, now, cap)?);
        }
        let token = token::mint(&self.env);
        let digest = token::digest(&token);
        let generation = record.generation;
        let stored = TokenRecord {
            user_id: record.id,
            generation,
            minted: Some(now),
            expires,
        };
        writes.push(Write::put(keys::token(&digest), stored.encode()));
        writes.push(Write::put(
            keys::session(record.id, generation, now, &digest),
            SessionEntry {
                expires,
                source: origin.source,
                device: origin.device,
            }
            .encode(),
        ));
        writes.push(Write::put(keys::expiry(expires, &digest), Vec::new()));
        let session = Session {
            token,
            user: User::from(record),
            expires,
        };
        guards.push(user.guard());
        committed(self.env.commit(&guards, &writes), session)
    }

    /// Deletes that leave room for one more token of generation
    /// `generation` of user `id` under `cap`: expired tokens first, then
    /// the oldest. Reads at most `cap + MAX_EVICTIONS` index entries.
    fn evictions(&self, id: u64, generation: u64, now: u64, cap: u32) -> Result<Vec<Write>> {
        let (start, end) = keys::sessions_in(id, generation);
        let stored = self
            .env
            .scan(&start, &end, cap.saturating_add(MAX_EVICTIONS))?;
        let excess = (stored.len() + 1).saturating_sub(cap as usize);
        if excess == 0 {
            return Ok(Vec::new());
        }
        let mut order = Vec::with_capacity(stored.len());
        for (key, value) in &stored {
            order.push((SessionEntry::decode(value)?.expires > now, key, value));
        }
        // Expired (`false`) before live; the sort is stable, so each part
        // stays in mint order, oldest first.
        order.sort_by_key(|(live, ..)| *live);
        let mut writes = Vec::with_capacity(excess * 3);
        for (_, key, value) in order.into_iter().take(excess) {
            writes.extend(entry_deletes(key, value)?);
        }
        Ok(writes)
    }

    /// Mint a token for user `id` as `login` does, minus the password check
    /// (which is what makes minting 100 000 tokens in a test slow).
    #[cfg(test)]
    pub(crate) fn mint_for(&self, id: u64, lifetime: u64, cap: Option<u32>) -> Result<Session> {
        retry(|| {
            let user = self.load_user(id)?.ok_or(Error::NoUser)?;
            self.mint(
                &user,
                lifetime,
                Vec::new(),
                Vec::new(),
                cap,
                Origin::default(),
            )
        })
    }
}
