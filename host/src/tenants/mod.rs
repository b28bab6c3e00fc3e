//! Tenants: named, isolated key spaces in one database, and the life of an
//! open tenant — opened once, counted while calls run, retired on deletion.
//!
//! Each tenant's users, tokens and settings live in their own key space
//! (a prefix of sled's shared tree, or a PostgreSQL space number), and the host binds every
//! call of the component to exactly one: the guest never sees a tenant
//! name and cannot reach another tenant's keys.

mod registry;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::{Duration, Instant};

pub use registry::{DEFAULT_TENANT, MAX_TENANT_NAME_LEN};

use crate::caps::{Capabilities, Clock, Random};
use crate::error::{Error, Result};
use crate::pool::TenantKey;
use crate::store::{Backend, SpaceId, Store};
use crate::sweeper::SweepState;

/// One open tenant: its name, the capabilities its calls are bound to, and
/// the calls under way.
pub(crate) struct OpenTenant {
    /// Unique per opening, never reused (see [`TenantKey`]).
    pub key: TenantKey,
    pub name: Arc<str>,
    /// The key space of this incarnation of the tenant.
    space: SpaceId,
    /// When this process last saw the registry name this incarnation
    /// (for databases other hosts share).
    checked: Mutex<Instant>,
    pub caps: Capabilities,
    /// What the sweeper knows about this tenant's expiries.
    pub sweep: SweepState,
    calls: CallGate,
}

/// Counts calls under way, so that deletion can wait for them to end.
///
/// A call's entry and exit touch two atomics only: a mutex and a condvar
/// per call cost a futex syscall each time the count fell to zero (every
/// call, on a tenant with one call at a time), and made the calls of two
/// threads contend. Only a deletion waiting for calls takes the lock.
#[derive(Default)]
struct CallGate {
    running: AtomicUsize,
    /// Deletions waiting in [`OpenTenant::wait_for_calls`].
    waiting: AtomicUsize,
    lock: Mutex<()>,
    none_running: Condvar,
}

/// A call under way; it stops counting when dropped.
pub(crate) struct Call<'a>(&'a CallGate);

impl Drop for Call<'_> {
    fn drop(&mut self) {
        // SeqCst pairs with `wait_for_calls`: either it sees this call gone
        // or this sees it waiting, never neither (a lost wake-up).
        if self.0.running.fetch_sub(1, Ordering::SeqCst) == 1
            && self.0.waiting.load(Ordering::SeqCst) > 0
        {
            // Taking the lock orders this after the waiter's check: the
            // notification cannot fall between its check and its sleep.
            drop(self.0.lock.lock().unwrap_or_else(|p| p.into_inner()));
            self.0.none_running.notify_all();
        }
    }
}

impl OpenTenant {
    /// Count a call as under way, or fail with [`Error::NoTenant`] when the
    /// tenant was deleted. Counted before the check, so a deletion that saw
    /// no call in flight cannot miss one that then passes the check.
    pub fn enter(&self) -> Result<Call<'_>> {
        self.calls.running.fetch_add(1, Ordering::SeqCst);
        let call = Call(&self.calls);
        if !self.caps.store.is_alive() {
            return Err(Error::NoTenant);
        }
        Ok(call)
    }

    /// Wait until no call is under way, or until `give_up`.
    fn wait_for_calls(&self, give_up: Instant) {
        let gate = &self.calls;
        let mut guard = gate.lock.lock().unwrap_or_else(|p| p.into_inner());
        gate.waiting.fetch_add(1, Ordering::SeqCst);
        loop {
            let running = gate.running.load(Ordering::SeqCst);
            if running == 0 {
                break;
            }
            let now = Instant::now();
            if now >= give_up {
                tracing::warn!(tenant = %self.name, calls = running, "calls still running after the deletion wait");
                break;
            }
            guard = gate
                .none_running
                .wait_timeout(guard, give_up - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        gate.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}

static NEXT_TENANT_KEY: AtomicU64 = AtomicU64::new(1);

/// How long a host sharing its database trusts that a tenant it has open
/// still exists before asking the registry again. A tenant deleted by
/// another host is seen at its next write at once (the commit checks the
/// registry) and by reads within this.
const REGISTRY_RECHECK: Duration = Duration::from_secs(1);

/// Every tenant of one database: the registry in the backend and the
/// tenants open in this process, so a lookup per request costs no round
/// trip.
pub(crate) struct Tenants {
    db: Arc<dyn Backend>,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    open: RwLock<HashMap<String, Arc<OpenTenant>>>,
}

impl Tenants {
    /// The tenants of `db`, whose calls read `clock` and `random`. Key
    /// spaces that a crash left without a tenant are dropped first.
    pub fn open(
        db: Arc<dyn Backend>,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
    ) -> Result<Self> {
        let orphans = db.drop_orphans()?;
        if orphans > 0 {
            tracing::warn!(
                orphans,
                "dropped the data of tenants deleted before a crash"
            );
        }
        Ok(Tenants {
            db,
            clock,
            random,
            open: RwLock::default(),
        })
    }

    /// The database.
    pub fn db(&self) -> &dyn Backend {
        &*self.db
    }

    /// Tenant `name`, opened if need be; [`Error::NoTenant`] unless it exists.
    pub fn get(&self, name: &str) -> Result<Arc<OpenTenant>> {
        let cached = self
            .open
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned();
        if let Some(t) = &cached
            && t.caps.store.is_alive()
            && !self.stale(t)
        {
            return Ok(t.clone());
        }
        registry::check_name(name)?;
        let space = self.space_of(name)?;
        if let Some(t) = cached
            && space.as_deref() != Some(t.space.as_str())
        {
            // Deleted (or deleted and re-created) by another host: this
            // incarnation is closed here too, so no later call reaches it.
            t.caps.store.retire();
            let mut open = self.open.write().unwrap_or_else(|p| p.into_inner());
            if open.get(name).is_some_and(|o| Arc::ptr_eq(o, &t)) {
                open.remove(name);
            }
        }
        self.open_tenant(name, &space.ok_or(Error::NoTenant)?)
    }

    /// The key space registered for `name`.
    fn space_of(&self, name: &str) -> Result<Option<SpaceId>> {
        if name == DEFAULT_TENANT {
            return Ok(Some(self.db.default_space()));
        }
        self.db.lookup(name)
    }

    /// Whether another host may have deleted or re-created `t` since this
    /// process last looked: only for shared databases, at most once per
    /// [`REGISTRY_RECHECK`].
    fn stale(&self, t: &OpenTenant) -> bool {
        if !self.db.shared() || *t.name == *DEFAULT_TENANT {
            return false;
        }
        let mut checked = t.checked.lock().unwrap_or_else(|p| p.into_inner());
        if checked.elapsed() < REGISTRY_RECHECK {
            return false;
        }
        *checked = Instant::now();
        true
    }

    /// Register and open a new tenant; [`Error::TenantExists`] if taken.
    pub fn create(&self, name: &str) -> Result<Arc<OpenTenant>> {
        registry::check_name(name)?;
        if name == DEFAULT_TENANT {
            return Err(Error::TenantExists);
        }
        let space = self.db.register(name)?;
        self.open_tenant(name, &space)
    }

    /// Delete tenant `name` and its data. Its store is retired at once (so
    /// every later call fails), then calls in flight are waited for until
    /// `give_up`, then `forget` drops its pooled instances, then its data.
    pub fn delete(
        &self,
        name: &str,
        give_up: Instant,
        forget: impl FnOnce(TenantKey),
    ) -> Result<()> {
        registry::check_name(name)?;
        if name == DEFAULT_TENANT {
            return Err(Error::InvalidInput(
                "the default tenant cannot be deleted".into(),
            ));
        }
        // Unregistered first (durably): from here the name is free, and a
        // tenant created under it gets a new, empty key space.
        let space = self.db.unregister(name)?.ok_or(Error::NoTenant)?;
        let open = self
            .open
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
        if let Some(t) = open {
            // A commit already inside the backend finishes before the data goes;
            // calls end by their deadline at the latest.
            t.caps.store.retire();
            t.wait_for_calls(give_up);
            // Once, after the wait: a call returns its instance to the pool
            // before it stops counting, so this drops them all.
            forget(t.key);
        }
        self.db.drop_space(&space)
    }

    /// Every tenant's name, `default` first.
    pub fn names(&self) -> Result<Vec<String>> {
        let mut names = vec![DEFAULT_TENANT.to_owned()];
        names.extend(self.db.tenants()?);
        Ok(names)
    }

    /// Open incarnation `space` of tenant `name`, unless another is open.
    fn open_tenant(&self, name: &str, space: &str) -> Result<Arc<OpenTenant>> {
        let mut open = self.open.write().unwrap_or_else(|p| p.into_inner());
        if let Some(t) = open.get(name)
            && t.space == space
            && t.caps.store.is_alive()
        {
            *t.checked.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
            return Ok(t.clone());
        }
        // Checked again under the lock: a deletion (which takes this lock
        // to close the tenant) may have come between the caller's lookup
        // and now, and a stale incarnation must never be opened.
        if self.space_of(name)?.as_deref() != Some(space) {
            return Err(Error::NoTenant);
        }
        if let Some(stale) = open.remove(name) {
            stale.caps.store.retire();
        }
        let t = Arc::new(OpenTenant {
            key: NEXT_TENANT_KEY.fetch_add(1, Ordering::Relaxed),
            name: Arc::from(name),
            space: space.to_owned(),
            checked: Mutex::new(Instant::now()),
            caps: Capabilities {
                store: Store::new(self.db.key_space(space)?, space),
                clock: self.clock.clone(),
                random: self.random.clone(),
            },
            sweep: SweepState::default(),
            calls: CallGate::default(),
        });
        open.insert(name.to_owned(), t.clone());
        Ok(t)
    }
}
