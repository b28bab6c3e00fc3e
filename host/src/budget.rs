//! The hashing budget: how many Argon2 calls may run at once, overall and
//! per tenant, so that a flood of logins can hold only part of the
//! instances and the CPU, and short calls (validate) never queue behind it.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex};
use std::time::Instant;

use crate::error::{Error, Result};
use crate::pool::TenantKey;

/// A counting gate with an overall and a per-tenant limit.
pub(crate) struct HashBudget {
    running: Mutex<Running>,
    freed: Condvar,
    overall: usize,
    per_tenant: usize,
}

#[derive(Default)]
struct Running {
    total: usize,
    by_tenant: HashMap<TenantKey, usize>,
}

/// One running hashing call; its place is freed when dropped.
pub(crate) struct HashPermit<'a> {
    budget: &'a HashBudget,
    tenant: TenantKey,
}

impl HashBudget {
    /// At most `overall` hashing calls at once, `per_tenant` of one tenant.
    pub fn new(overall: usize, per_tenant: usize) -> Self {
        let overall = overall.max(1);
        HashBudget {
            running: Mutex::default(),
            freed: Condvar::new(),
            overall,
            per_tenant: per_tenant.clamp(1, overall),
        }
    }

    /// Wait for a place for `tenant` until `deadline`, else
    /// [`Error::Overloaded`].
    pub fn acquire(&self, tenant: TenantKey, deadline: Instant) -> Result<HashPermit<'_>> {
        let mut r = self.running.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            let mine = r.by_tenant.get(&tenant).copied().unwrap_or(0);
            if r.total < self.overall && mine < self.per_tenant {
                r.total += 1;
                *r.by_tenant.entry(tenant).or_default() += 1;
                return Ok(HashPermit {
                    budget: self,
                    tenant,
                });
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::Overloaded);
            }
            r = self
                .freed
                .wait_timeout(r, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// The overall limit.
    pub fn overall(&self) -> usize {
        self.overall
    }

    /// The per-tenant limit.
    pub fn per_tenant(&self) -> usize {
        self.per_tenant
    }
}

impl Drop for HashPermit<'_> {
    fn drop(&mut self) {
        let mut r = self
            .budget
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        r.total -= 1;
        if let Some(n) = r.by_tenant.get_mut(&self.tenant) {
            *n -= 1;
            if *n == 0 {
                r.by_tenant.remove(&self.tenant);
            }
        }
        // Waiters may be of any tenant: wake them all to recheck.
        self.budget.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn soon() -> Instant {
        Instant::now() + Duration::from_millis(20)
    }

    #[test]
    fn limits_hold_overall_and_per_tenant() {
        let b = HashBudget::new(2, 1);
        let a1 = b.acquire(1, soon()).unwrap();
        assert!(
            matches!(b.acquire(1, soon()), Err(Error::Overloaded)),
            "per tenant"
        );
        let b1 = b.acquire(2, soon()).unwrap();
        assert!(
            matches!(b.acquire(3, soon()), Err(Error::Overloaded)),
            "overall"
        );
        drop(a1);
        let _c1 = b.acquire(3, soon()).unwrap();
        drop(b1);
        let _a2 = b.acquire(1, soon()).unwrap();
    }

    #[test]
    fn a_waiter_gets_the_freed_place() {
        let b = std::sync::Arc::new(HashBudget::new(1, 1));
        let held = b.acquire(1, soon()).unwrap();
        std::thread::scope(|s| {
            let waiter = s.spawn(|| {
                b.acquire(2, Instant::now() + Duration::from_secs(5))
                    .map(|_| ())
            });
            std::thread::sleep(Duration::from_millis(20));
            drop(held);
            assert!(waiter.join().unwrap().is_ok());
        });
    }
}
