//! Tenants: named, isolated key spaces in one database, and the life of an
//! open tenant — opened once, counted while calls run, retired on deletion.
//!
//! Each tenant's users, tokens and settings live in their own sled tree,
//! and the host binds every call of the component to exactly one tree: the
//! guest never sees a tenant name and cannot reach another tenant's keys.

mod registry;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::Instant;

pub(crate) use registry::clear_registry;
pub use registry::{DEFAULT_TENANT, MAX_TENANT_NAME_LEN};

use crate::caps::{Capabilities, Clock, Random};
use crate::error::{Error, Result};
use crate::pool::TenantKey;
use crate::store::SledDb;
use crate::sweeper::SweepState;

/// One open tenant: its name, the capabilities its calls are bound to, and
/// the calls under way.
pub(crate) struct OpenTenant {
    /// Unique per opening, never reused (see [`TenantKey`]).
    pub key: TenantKey,
    pub name: Arc<str>,
    /// The sled tree of this incarnation of the tenant.
    tree: String,
    pub caps: Capabilities,
    /// What the sweeper knows about this tenant's expiries.
    pub sweep: SweepState,
    calls: CallGate,
}

/// Counts calls under way, so that deletion can wait for them to end.
#[derive(Default)]
struct CallGate {
    running: Mutex<usize>,
    none_running: Condvar,
}

/// A call under way; it stops counting when dropped.
pub(crate) struct Call<'a>(&'a CallGate);

impl Drop for Call<'_> {
    fn drop(&mut self) {
        let mut running = self.0.running.lock().unwrap_or_else(|p| p.into_inner());
        *running -= 1;
        if *running == 0 {
            self.0.none_running.notify_all();
        }
    }
}

impl OpenTenant {
    /// Count a call as under way, or fail with [`Error::NoTenant`] when the
    /// tenant was deleted. Counted before the check, so a deletion that saw
    /// no call in flight cannot miss one that then passes the check.
    pub fn enter(&self) -> Result<Call<'_>> {
        *self.calls.running.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        let call = Call(&self.calls);
        if !self.caps.store.is_alive() {
            return Err(Error::NoTenant);
        }
        Ok(call)
    }

    /// Wait until no call is under way, or until `give_up`.
    fn wait_for_calls(&self, give_up: Instant) {
        let mut running = self.calls.running.lock().unwrap_or_else(|p| p.into_inner());
        while *running > 0 {
            let now = Instant::now();
            if now >= give_up {
                tracing::warn!(tenant = %self.name, calls = *running, "calls still running after the deletion wait");
                return;
            }
            running = self
                .calls
                .none_running
                .wait_timeout(running, give_up - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

static NEXT_TENANT_KEY: AtomicU64 = AtomicU64::new(1);

/// Every tenant of one database: the registry on disk and the tenants open
/// in this process, so a lookup per request costs no tree open.
pub(crate) struct Tenants {
    db: SledDb,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    open: RwLock<HashMap<String, Arc<OpenTenant>>>,
}

impl Tenants {
    /// The tenants of `db`, whose calls read `clock` and `random`. Trees
    /// that a crash left without a tenant are dropped first.
    pub fn open(db: SledDb, clock: Arc<dyn Clock>, random: Arc<dyn Random>) -> Result<Self> {
        let orphans = registry::drop_orphans(db.db())?;
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
    pub fn db(&self) -> &SledDb {
        &self.db
    }

    /// Tenant `name`, opened if need be; [`Error::NoTenant`] unless it exists.
    pub fn get(&self, name: &str) -> Result<Arc<OpenTenant>> {
        if let Some(t) = self
            .open
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
        {
            return Ok(t.clone());
        }
        registry::check_name(name)?;
        let tree = registry::tree_of(self.db.db(), name)?.ok_or(Error::NoTenant)?;
        self.open_tenant(name, &tree)
    }

    /// Register and open a new tenant; [`Error::TenantExists`] if taken.
    pub fn create(&self, name: &str) -> Result<Arc<OpenTenant>> {
        registry::check_name(name)?;
        let tree = registry::register(self.db.db(), name)?;
        self.open_tenant(name, &tree)
    }

    /// Delete tenant `name` and its data. Its store is retired at once (so
    /// every later call fails), then calls in flight are waited for until
    /// `give_up`, then `forget` drops its pooled instances, then the tree.
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
        // tenant created under it gets a new, empty tree.
        let tree = registry::unregister(self.db.db(), name)?.ok_or(Error::NoTenant)?;
        let open = self
            .open
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
        if let Some(t) = open {
            // A commit already inside sled finishes before the tree goes;
            // calls end by their deadline at the latest.
            t.caps.store.retire();
            t.wait_for_calls(give_up);
            // Once, after the wait: a call returns its instance to the pool
            // before it stops counting, so this drops them all.
            forget(t.key);
        }
        self.db.db().drop_tree(tree.as_bytes())?;
        self.db.db().flush()?;
        Ok(())
    }

    /// Every tenant's name, `default` first.
    pub fn names(&self) -> Result<Vec<String>> {
        let mut names = vec![DEFAULT_TENANT.to_owned()];
        names.extend(registry::list(self.db.db())?);
        Ok(names)
    }

    /// Open incarnation `tree` of tenant `name`, unless another is open.
    fn open_tenant(&self, name: &str, tree: &str) -> Result<Arc<OpenTenant>> {
        let mut open = self.open.write().unwrap_or_else(|p| p.into_inner());
        if let Some(t) = open.get(name)
            && t.tree == tree
        {
            return Ok(t.clone());
        }
        // Checked again under the lock: a deletion (which takes this lock
        // to close the tenant) may have come between the caller's lookup
        // and now, and a stale incarnation must never be opened.
        if registry::tree_of(self.db.db(), name)?.as_deref() != Some(tree) {
            return Err(Error::NoTenant);
        }
        if let Some(stale) = open.remove(name) {
            stale.caps.store.retire();
        }
        let t = Arc::new(OpenTenant {
            key: NEXT_TENANT_KEY.fetch_add(1, Ordering::Relaxed),
            name: Arc::from(name),
            tree: tree.to_owned(),
            caps: Capabilities {
                store: self.db.key_space(tree)?,
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
