//! A bounded pool of reusable instances, each bound to one tenant.
//!
//! The component is stateless between calls, so an instance can serve call
//! after call of the tenant it was made for; it never serves another
//! tenant, so nothing a guest leaves in its memory can cross tenants. A
//! trap makes an instance suspect, and it is dropped. The bound on live
//! instances caps memory (each may hold Argon2's working memory); when it
//! is reached, an idle instance of another tenant is evicted, or the caller
//! waits, up to a limit, for one to come back.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Up to `max` items, created on demand, lent one caller at a time.
pub(crate) struct Pool<T> {
    state: Mutex<State<T>>,
    freed: Condvar,
    max: usize,
    wait: Duration,
}

/// Identifies one opened tenant. A tenant deleted and created again gets a
/// new key, so no instance bound to the old key space is ever reused.
pub(crate) type TenantKey = u64;

struct Idle<T> {
    tenant: TenantKey,
    since: Instant,
    item: T,
}

struct State<T> {
    /// Oldest first.
    idle: VecDeque<Idle<T>>,
    /// Items that exist: idle plus lent out.
    live: usize,
    /// Callers blocked in [`Pool::take_within`]. std's `Condvar::notify_*`
    /// is a futex syscall even with nobody waiting, so [`Pool::put`] and
    /// [`Pool::discard`] notify only when this is non-zero (it is read
    /// under the lock the waiters hold until they sleep, so no wake-up is
    /// lost).
    waiting: usize,
}

impl<T> Pool<T> {
    /// At most `max` live items; a caller waits at most `wait` for one.
    pub fn new(max: usize, wait: Duration) -> Self {
        Pool {
            state: Mutex::new(State {
                idle: VecDeque::new(),
                live: 0,
                waiting: 0,
            }),
            freed: Condvar::new(),
            max: max.max(1),
            wait,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Take an idle item of `tenant`, or create one with `make` while under
    /// the bound (evicting another tenant's idle item if need be), or wait
    /// for one to come back; fail with [`Error::Overloaded`] after `wait`.
    pub fn take_within(
        &self,
        tenant: TenantKey,
        wait: Duration,
        make: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        let deadline = Instant::now() + wait;
        let mut st = self.lock();
        loop {
            if let Some(pos) = st.idle.iter().rposition(|i| i.tenant == tenant) {
                let idle = st.idle.remove(pos).expect("position is in range");
                return Ok(idle.item);
            }
            if st.live < self.max {
                st.live += 1;
                drop(st);
                return make().inspect_err(|_| self.discard());
            }
            if let Some(evicted) = st.idle.pop_front() {
                // Reuse the slot of the least recently used idle item.
                drop(st);
                drop(evicted);
                return make().inspect_err(|_| self.discard());
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::Overloaded);
            }
            st.waiting += 1;
            st = self
                .freed
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
            st.waiting -= 1;
        }
    }

    /// Give a healthy item of `tenant` back.
    pub fn put(&self, tenant: TenantKey, item: T) {
        let mut st = self.lock();
        st.idle.push_back(Idle {
            tenant,
            since: Instant::now(),
            item,
        });
        let waiting = st.waiting > 0;
        drop(st);
        if waiting {
            self.freed.notify_one();
        }
    }

    /// Forget a lent item (it was dropped), freeing its place.
    pub fn discard(&self) {
        let mut st = self.lock();
        st.live -= 1;
        let waiting = st.waiting > 0;
        drop(st);
        if waiting {
            self.freed.notify_one();
        }
    }

    /// Drop idle items matching `pred`; returns how many.
    fn drop_idle(&self, pred: impl Fn(&Idle<T>) -> bool) -> usize {
        let dropped: Vec<Idle<T>> = {
            let mut st = self.lock();
            let (gone, kept): (VecDeque<_>, VecDeque<_>) = st.idle.drain(..).partition(|i| pred(i));
            st.idle = kept;
            st.live -= gone.len();
            gone.into_iter().collect()
        };
        let n = dropped.len();
        drop(dropped);
        if n > 0 {
            self.freed.notify_all();
        }
        n
    }

    /// Drop idle items unused for `age` or more: an idle tenant costs no
    /// instance for long.
    pub fn reap(&self, age: Duration) -> usize {
        let now = Instant::now();
        self.drop_idle(|i| now.duration_since(i.since) >= age)
    }

    /// Drop every idle item of `tenant`.
    pub fn forget_tenant(&self, tenant: TenantKey) -> usize {
        self.drop_idle(|i| i.tenant == tenant)
    }

    /// How long [`Pool::take_within`] callers wait by default.
    pub fn wait(&self) -> Duration {
        self.wait
    }

    /// How many items exist now.
    pub fn live(&self) -> usize {
        self.lock().live
    }

    /// How many items are idle now.
    pub fn idle(&self) -> usize {
        self.lock().idle.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str) -> TenantKey {
        name.bytes().map(u64::from).sum()
    }

    #[test]
    fn items_are_reused_only_by_their_tenant() {
        let pool = Pool::new(4, Duration::from_millis(10));
        let a = pool.take_within(t("a"), pool.wait(), || Ok(1)).unwrap();
        pool.put(t("a"), a);
        assert_eq!(
            pool.take_within(t("b"), pool.wait(), || Ok(2)).unwrap(),
            2,
            "b gets a new item, not a's"
        );
        assert_eq!(
            pool.take_within(t("a"), pool.wait(), || Ok(3)).unwrap(),
            1,
            "a gets its own back"
        );
        assert_eq!(pool.live(), 2);
    }

    #[test]
    fn at_the_bound_idle_items_of_others_are_evicted() {
        let pool = Pool::new(1, Duration::from_millis(10));
        let a = pool.take_within(t("a"), pool.wait(), || Ok(1)).unwrap();
        pool.put(t("a"), a);
        assert_eq!(pool.take_within(t("b"), pool.wait(), || Ok(2)).unwrap(), 2);
        assert_eq!(pool.live(), 1);
        assert_eq!(pool.idle(), 0);
    }

    #[test]
    fn when_everything_is_lent_callers_wait_then_fail() {
        let pool = Pool::new(1, Duration::from_millis(50));
        let held = pool.take_within(t("a"), pool.wait(), || Ok(1)).unwrap();
        let started = Instant::now();
        assert!(matches!(
            pool.take_within(t("a"), pool.wait(), || Ok(2)),
            Err(Error::Overloaded)
        ));
        assert!(started.elapsed() >= Duration::from_millis(50));
        pool.put(t("a"), held);
        assert_eq!(pool.take_within(t("a"), pool.wait(), || Ok(3)).unwrap(), 1);
    }

    #[test]
    fn a_failed_make_frees_its_place() {
        let pool: Pool<u32> = Pool::new(1, Duration::from_millis(10));
        assert!(
            pool.take_within(t("a"), pool.wait(), || Err(Error::Component(
                wasmtime::Error::msg("boom")
            )))
            .is_err()
        );
        assert_eq!(pool.live(), 0);
        assert_eq!(pool.take_within(t("a"), pool.wait(), || Ok(1)).unwrap(), 1);
    }

    #[test]
    fn reaping_and_forgetting_free_places() {
        let pool = Pool::new(4, Duration::from_millis(10));
        for name in ["a", "b", "a"] {
            let x = pool.take_within(t(name), pool.wait(), || Ok(0)).unwrap();
            pool.put(t(name), x);
        }
        let y = pool.take_within(t("c"), pool.wait(), || Ok(0)).unwrap();
        pool.put(t("c"), y);
        assert_eq!(pool.forget_tenant(t("a")), 1);
        assert_eq!(pool.reap(Duration::ZERO), 2);
        assert_eq!((pool.live(), pool.idle()), (0, 0));
    }
}
