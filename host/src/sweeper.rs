//! The background sweeper: every interval it drops idle instances and
//! deletes each tenant's expired tokens, calling the component only for
//! tenants that have something due.
//!
//! What is due is learned from the component, not from its data layout:
//! each `sweep` reports the earliest expiry still stored, each login
//! reports its token's expiry, and each revocation (whose dead tokens the
//! component deletes in later sweeps) makes the tenant due at once. A
//! tenant not swept since this process opened it is due at once.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Mutex, Weak};
use std::time::Duration;

use crate::handle::{Database, Moth};

/// What this process knows of one tenant's token expiries.
#[derive(Debug, Default)]
pub(crate) struct SweepState(Mutex<Known>);

#[derive(Debug, Default)]
struct Known {
    /// Nothing expires before this (Unix seconds); 0 when unknown, so due
    /// at once; `u64::MAX` when no token is stored.
    next_due: u64,
    /// Logins and revocations counted so far, to tell whether one finished
    /// during a sweep.
    logins: u64,
}

impl SweepState {
    fn lock(&self) -> std::sync::MutexGuard<'_, Known> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a token may have expired by `now`.
    pub fn due(&self, now: u64) -> bool {
        self.lock().next_due <= now
    }

    /// A call stored a token (of any kind) expiring at `expires`.
    pub fn minted(&self, expires: u64) {
        let mut k = self.lock();
        k.next_due = k.next_due.min(expires);
        k.logins += 1;
    }

    /// A revocation (password change, token or user deletion) left dead
    /// tokens for the component to clean up: sweep soon.
    pub fn revoked(&self) {
        let mut k = self.lock();
        k.next_due = 0;
        // Counted like a login, so a sweep running now keeps it due.
        k.logins += 1;
    }

    /// A sweep is starting; pass the result to [`SweepState::swept`].
    pub fn begin(&self) -> u64 {
        self.lock().logins
    }

    /// A sweep begun at `began` found `next_expiry` as the earliest expiry
    /// left. A login that finished meanwhile may have added an earlier one
    /// the sweep did not see, so then the earlier of the two is kept.
    pub fn swept(&self, began: u64, next_expiry: Option<u64>) {
        let found = next_expiry.unwrap_or(u64::MAX);
        let mut k = self.lock();
        k.next_due = if k.logins == began {
            found
        } else {
            k.next_due.min(found)
        };
    }
}

/// Start the sweeper for `db`; it ends when `stop`'s sender is dropped
/// (with the database) or the database is gone.
pub(crate) fn spawn(db: Weak<Database>, every: Duration, stop: mpsc::Receiver<()>) {
    let spawned = std::thread::Builder::new()
        .name("moth-sweeper".into())
        .spawn(move || {
            while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(every) {
                let Some(db) = db.upgrade() else { return };
                sweep_once(&db);
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "could not start the sweeper; call Moth::sweep_all yourself");
    }
}

/// One pass over every tenant.
fn sweep_once(db: &std::sync::Arc<Database>) {
    db.pool.reap(db.idle_instance_ttl);
    let names = match db.tenants.names() {
        Ok(names) => names,
        Err(e) => {
            tracing::warn!(error = %e, "listing tenants to sweep failed");
            return;
        }
    };
    for name in names {
        let Ok(tenant) = db.tenants.get(&name) else {
            continue; // deleted meanwhile
        };
        let moth = Moth::bind(db.clone(), tenant);
        if !moth.sweep_due() {
            continue;
        }
        match moth.sweep_all() {
            Ok(0) => {}
            Ok(n) => tracing::debug!(tenant = %name, deleted = n, "swept expired tokens"),
            Err(e) => tracing::warn!(tenant = %name, error = %e, "sweeping expired tokens failed"),
        }
    }
}
