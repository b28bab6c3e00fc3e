//! The `attempts` interface: password checks with their context, the
//! attempt and event log, and locks.

use std::time::Duration;

use crate::error::Result;
use crate::ops;
use crate::{
    EventKind, LockPage, LockSubject, LogFilter, LogPage, LoginContext, LoginGrant, Moth,
    PurgeOutcome,
};

impl Moth {
    /// [`Moth::login`] with what the host knows of the request: judged,
    /// counted and logged under the lockout rules, and issuing a device
    /// credential to present next time. A lock refuses it with
    /// [`crate::Error::LockedOut`] before any Argon2 work.
    pub fn login_from(
        &self,
        username: &str,
        password: &str,
        lifetime: Option<Duration>,
        context: &LoginContext,
    ) -> Result<LoginGrant> {
        let lifetime = lifetime.map(|d| d.as_secs());
        let context = context.into();
        let grant = self
            .call(ops::LOGIN_FROM, |i| {
                let (attempts, store) = i.attempts();
                attempts.call_login_from(store, username, password, lifetime, &context)
            })
            .map(LoginGrant::from)?;
        self.sweep_state().minted(grant.session.expires);
        Ok(grant)
    }

    /// [`Moth::check_password`] with what the host knows of the request,
    /// judged, counted and logged like a login.
    pub fn check_password_from(
        &self,
        username: &str,
        password: &str,
        context: &LoginContext,
    ) -> Result<bool> {
        let context = context.into();
        self.call(ops::CHECK_PASSWORD_FROM, |i| {
            let (attempts, store) = i.attempts();
            attempts.call_check_password_from(store, username, password, &context)
        })
    }

    /// Up to `limit` password checks (1..=1000) matching `filter`, newest
    /// first, after the entry `after`.
    pub fn list_attempts(
        &self,
        filter: &LogFilter,
        after: Option<&str>,
        limit: u32,
    ) -> Result<LogPage> {
        let filter = filter.into();
        self.call(ops::LIST_ATTEMPTS, |i| {
            let (attempts, store) = i.attempts();
            attempts.call_list_attempts(store, &filter, after, limit)
        })
        .map(LogPage::from)
    }

    /// Up to `limit` account events (1..=1000) matching `filter`, newest
    /// first, after the entry `after`.
    pub fn list_events(
        &self,
        filter: &LogFilter,
        after: Option<&str>,
        limit: u32,
    ) -> Result<LogPage> {
        let filter = filter.into();
        self.call(ops::LIST_EVENTS, |i| {
            let (attempts, store) = i.attempts();
            attempts.call_list_events(store, &filter, after, limit)
        })
        .map(LogPage::from)
    }

    /// Delete up to 10,000 password-check entries (or entries of `kind`)
    /// about `username`, strictly older than `older_than` (Unix seconds),
    /// reading on from the cursor `after`; call again with the outcome's
    /// `next` while it has one, or use [`Moth::purge_attempts_all`].
    pub fn purge_attempts(
        &self,
        username: Option<&str>,
        older_than: Option<u64>,
        kind: Option<EventKind>,
        after: Option<&str>,
    ) -> Result<PurgeOutcome> {
        let kind = kind.map(Into::into);
        self.call(ops::PURGE_ATTEMPTS, |i| {
            let (attempts, store) = i.attempts();
            attempts.call_purge_attempts(store, username, older_than, kind, after)
        })
        .map(PurgeOutcome::from)
    }

    /// [`Moth::purge_attempts`] until nothing more matches; returns how
    /// many entries it deleted.
    pub fn purge_attempts_all(
        &self,
        username: Option<&str>,
        older_than: Option<u64>,
        kind: Option<EventKind>,
    ) -> Result<u64> {
        let mut total = 0;
        let mut after = None;
        loop {
            let outcome = self.purge_attempts(username, older_than, kind, after.as_deref())?;
            total += outcome.purged;
            match outcome.next {
                Some(next) => after = Some(next),
                None => return Ok(total),
            }
        }
    }

    /// Up to `limit` locks in force (1..=1000), after the cursor `after`.
    pub fn list_locks(&self, after: Option<&str>, limit: u32) -> Result<LockPage> {
        self.call(ops::LIST_LOCKS, |i| {
            let (attempts, store) = i.attempts();
            attempts.call_list_locks(store, after, limit)
        })
        .map(LockPage::from)
    }

    /// Lift the lock of `subject` and forget its failures; returns whether
    /// it was locked.
    pub fn unlock(&self, subject: &LockSubject) -> Result<bool> {
        let subject = subject.into();
        self.call(ops::UNLOCK, |i| {
            let (attempts, store) = i.attempts();
            attempts.call_unlock(store, &subject)
        })
    }
}
