//! The `sessions` interface: login tokens.

use std::time::Duration;

use crate::error::Result;
use crate::ops;
use crate::{Moth, Session, SessionInfo, SweepOutcome, Validation};

/// How many expired tokens one call of [`Moth::sweep_all`] deletes.
const SWEEP_BATCH: u32 = 1000;

impl Moth {
    /// Check the password and mint a token valid for `lifetime` (the stored
    /// default, three days unless changed, when `None`).
    pub fn login(
        &self,
        username: &str,
        password: &str,
        lifetime: Option<Duration>,
    ) -> Result<Session> {
        let lifetime = lifetime.map(|d| d.as_secs());
        let session = self
            .call(ops::LOGIN, |i| {
                let (sessions, store) = i.sessions();
                sessions.call_login(store, username, password, lifetime)
            })
            .map(Session::from)?;
        self.sweep_state().minted(session.expires);
        Ok(session)
    }

    /// The user and expiry behind a live token.
    pub fn validate(&self, token: &str) -> Result<Validation> {
        self.call(ops::VALIDATE, |i| {
            let (sessions, store) = i.sessions();
            sessions.call_validate(store, token)
        })
        .map(Validation::from)
    }

    /// Delete a token.
    pub fn logout(&self, token: &str) -> Result<()> {
        self.call(ops::LOGOUT, |i| {
            let (sessions, store) = i.sessions();
            sessions.call_logout(store, token)
        })
    }

    /// How many live tokens the user has.
    pub fn count_tokens(&self, id: u64) -> Result<u64> {
        self.call(ops::COUNT_TOKENS, |i| {
            let (sessions, store) = i.sessions();
            sessions.call_count_tokens(store, id)
        })
    }

    /// Revoke all the user's tokens; returns how many were live.
    /// The tokens are dead at once and deleted by later sweeps.
    pub fn delete_tokens(&self, id: u64) -> Result<u64> {
        let live = self.call(ops::DELETE_TOKENS, |i| {
            let (sessions, store) = i.sessions();
            sessions.call_delete_tokens(store, id)
        })?;
        self.sweep_state().revoked();
        Ok(live)
    }

    /// The user's live sessions, oldest first (never their tokens).
    pub fn list_sessions(&self, id: u64) -> Result<Vec<SessionInfo>> {
        self.call(ops::LIST_SESSIONS, |i| {
            let (sessions, store) = i.sessions();
            sessions.call_list_sessions(store, id)
        })
        .map(|list| list.into_iter().map(SessionInfo::from).collect())
    }

    /// End one of the user's sessions by its id (from
    /// [`Moth::list_sessions`]); its token is deleted at once.
    pub fn revoke_session(&self, id: u64, session: &str) -> Result<()> {
        self.call(ops::REVOKE_SESSION, |i| {
            let (sessions, store) = i.sessions();
            sessions.call_revoke_session(store, id, session)
        })
    }

    /// End every live session of the token's user but the token's own;
    /// returns how many were ended.
    pub fn revoke_other_sessions(&self, token: &str) -> Result<u64> {
        self.call(ops::REVOKE_OTHER_SESSIONS, |i| {
            let (sessions, store) = i.sessions();
            sessions.call_revoke_other_sessions(store, token)
        })
    }

    /// Delete up to `limit` (1..=10000) expired tokens, oldest first, then
    /// revoked ones; `deleted` counts both.
    pub fn sweep(&self, limit: u32) -> Result<SweepOutcome> {
        let began = self.sweep_state().begin();
        let outcome = self
            .call(ops::SWEEP, |i| {
                let (sessions, store) = i.sessions();
                sessions.call_sweep(store, limit)
            })
            .map(SweepOutcome::from)?;
        self.sweep_state().swept(began, outcome.next_expiry);
        Ok(outcome)
    }

    /// Delete every expired token now; returns how many.
    pub fn sweep_all(&self) -> Result<u64> {
        let mut total = 0;
        loop {
            let outcome = self.sweep(SWEEP_BATCH)?;
            total += outcome.deleted;
            if outcome.deleted < u64::from(SWEEP_BATCH) {
                return Ok(total);
            }
        }
    }
}
