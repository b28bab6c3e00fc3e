//! [`Moth`]: a handle on one tenant of an open database, and the one path
//! by which a call reaches a pooled component instance.
//!
//! The typed operations are in `api/`, one file per WIT interface.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use wasmtime::component::Val;
use wasmtime::component::types::ComponentFunc;

use crate::bindings::types;
use crate::budget::HashBudget;
use crate::error::{Error, Result};
use crate::metrics::GuestMetrics;
use crate::ops::{Cost, Op};
use crate::options::Options;
use crate::pool::Pool;
use crate::runtime::{Instance, Runtime};
use crate::store::{self, StoreLocation};
use crate::tenants::{DEFAULT_TENANT, OpenTenant, Tenants};
use crate::{Settings, sweeper};

/// What every tenant of one open database shares.
pub(crate) struct Database {
    pub runtime: Arc<Runtime>,
    pub pool: Pool<Instance>,
    /// Argon2 calls get a smaller share of the instances than short calls.
    pub hashing: HashBudget,
    pub tenants: Tenants,
    pub metrics: GuestMetrics,
    pub idle_instance_ttl: Duration,
    /// Dropped with the database, which ends the sweeper thread at once.
    _stop_sweeper: Option<mpsc::Sender<()>>,
}

/// A moth database served by the component, as seen by one tenant (the
/// `default` one unless chosen with [`Moth::tenant`]). Every operation is
/// one call into a pooled instance bound to that tenant's key space. Cheap
/// to clone; safe to share across threads.
///
/// ```no_run
/// use moth::{Error, KeyOwner, Options};
///
/// let moth = Options::new().create(true).open("moth.db")?;
/// // Tenants are isolated sets of users, tokens and settings.
/// let acme = moth.create_tenant("acme", None)?;
/// let ann = acme.create_user("ann", "correct horse battery staple", "")?;
/// assert_eq!(moth.get_user(ann.id), Err(Error::NoUser));
/// // An API key for a service, shown once; only its digest is stored.
/// let key = acme.create_api_key(&KeyOwner::Service("billing".into()), "ci", "read", None)?;
/// assert_eq!(acme.verify_api_key(&key.key)?.name, "ci");
/// # Ok::<(), moth::Error>(())
/// ```
#[derive(Clone)]
pub struct Moth {
    db: Arc<Database>,
    tenant: Arc<OpenTenant>,
    /// When set, calls fail with [`Error::Overloaded`] at once instead of
    /// queueing for an instance (see [`Moth::no_wait`]).
    no_wait: bool,
    /// Set on the handle an [`AsyncMoth`](crate::AsyncMoth) runs a closure
    /// with on an async worker: a call that would block (a write, Argon2, a
    /// shared store's round trip, no free instance) is refused before it
    /// does anything, and this flag says so.
    inline: Option<Arc<AtomicBool>>,
}

impl std::fmt::Debug for Moth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Moth")
            .field("tenant", &self.tenant.name)
            .field("caps", &self.tenant.caps)
            .finish_non_exhaustive()
    }
}

impl Moth {
    /// Open the existing database at `location` (a sled directory's path
    /// or a `postgres://` URL) with default options.
    pub fn open(location: impl Into<StoreLocation>) -> Result<Moth> {
        Options::new().open(location)
    }

    /// Open the database at `location` with `opts`.
    pub(crate) fn open_with(location: &StoreLocation, opts: Options) -> Result<Moth> {
        // Refuse to run on a clock that cannot say the time: expiry and
        // lockout would be meaningless.
        opts.clock.now().map_err(Error::Clock)?;
        let db = store::open(location, opts.create, opts.durability)?;
        let (hashing, hashing_per_tenant) = opts.hashing_limits();
        let runtime = match opts.runtime {
            Some(rt) => rt,
            None => Runtime::shared()?,
        };
        let (stop, stopped) = mpsc::channel();
        let db = Arc::new(Database {
            runtime,
            pool: Pool::new(opts.max_instances, opts.instance_wait),
            hashing: HashBudget::new(hashing, hashing_per_tenant),
            tenants: Tenants::open(db, opts.clock, opts.random)?,
            metrics: GuestMetrics::default(),
            idle_instance_ttl: opts.idle_instance_ttl,
            _stop_sweeper: opts.sweep_interval.map(|_| stop),
        });
        let moth = Moth::bind(db.clone(), db.tenants.get(DEFAULT_TENANT)?);
        if let Some(s) = opts.settings {
            moth.set_settings(s)?;
        }
        if let Some(every) = opts.sweep_interval {
            sweeper::spawn(Arc::downgrade(&db), every, stopped);
        }
        Ok(moth)
    }

    /// A handle on `tenant` of `db`.
    pub(crate) fn bind(db: Arc<Database>, tenant: Arc<OpenTenant>) -> Moth {
        Moth {
            db,
            tenant,
            no_wait: false,
            inline: None,
        }
    }

    /// The tenant `name`'s view of the same database. Fails with
    /// [`Error::NoTenant`] unless it was created with [`Moth::create_tenant`].
    pub fn tenant(&self, name: &str) -> Result<Moth> {
        Ok(Moth {
            no_wait: self.no_wait,
            inline: self.inline.clone(),
            ..Moth::bind(self.db.clone(), self.db.tenants.get(name)?)
        })
    }

    /// Create tenant `name` with its own users, tokens and settings
    /// (`settings`, or the defaults).
    pub fn create_tenant(&self, name: &str, settings: Option<Settings>) -> Result<Moth> {
        self.refuse_inline()?;
        if let Some(s) = &settings {
            self.check_fits(s)?;
        }
        let moth = Moth::bind(self.db.clone(), self.db.tenants.create(name)?);
        if let Some(s) = settings
            && let Err(e) = moth.set_settings(s)
        {
            // Not left half-made: a tenant exists with its settings or not
            // at all. If even the undo fails, say so loudly: the tenant is
            // there with default settings.
            if let Err(undo) = self.delete_tenant(name) {
                tracing::error!(
                    tenant = name,
                    error = &undo as &dyn std::error::Error,
                    "could not remove a tenant whose settings were refused"
                );
            }
            return Err(e);
        }
        Ok(moth)
    }

    /// Delete tenant `name` and all its data. Calls for it still in flight
    /// fail; its instances are dropped. The `default` tenant cannot be deleted.
    pub fn delete_tenant(&self, name: &str) -> Result<()> {
        self.refuse_inline()?;
        let give_up = Instant::now() + self.db.runtime.call_deadline() + self.db.pool.wait();
        self.db.tenants.delete(name, give_up, |key| {
            self.db.pool.forget_tenant(key);
        })
    }

    /// Every tenant's name, `default` first.
    pub fn tenants(&self) -> Result<Vec<String>> {
        self.db.tenants.names()
    }

    /// The name of the tenant this handle serves.
    pub fn tenant_name(&self) -> &str {
        &self.tenant.name
    }

    /// This handle, but failing with [`Error::Overloaded`] at once when no
    /// instance is free instead of queueing. Lets an async server run short
    /// calls inline and hand only the rest to a blocking pool.
    pub fn no_wait(&self) -> Moth {
        Moth {
            no_wait: true,
            ..self.clone()
        }
    }

    /// Run `f` on a pooled instance of this tenant; `op` names the call
    /// (its WIT name labels the latency metric) and its cost picks the
    /// budget. A trap discards the instance: its memory may be
    /// inconsistent, and the guarded commit guarantees the store is not.
    pub(crate) fn call<T>(
        &self,
        op: Op,
        f: impl FnOnce(&mut Instance) -> wasmtime::Result<std::result::Result<T, types::Error>>,
    ) -> Result<T> {
        let db = &*self.db;
        let tenant = &*self.tenant;
        let cost = op.cost;
        if cost != Cost::Read || self.shared_store() {
            self.refuse_inline()?;
        }
        let _call = tenant.enter()?;
        let wait = if self.no_wait {
            Duration::ZERO
        } else {
            db.pool.wait()
        };
        // The hashing place is taken before an instance, so a hashing call
        // that waits holds no instance that a short call could use.
        let _hashing = match cost {
            Cost::Hashing => Some(db.hashing.acquire(tenant.key, Instant::now() + wait)?),
            Cost::Read | Cost::Write => None,
        };
        let taken = db.pool.take_within(tenant.key, wait, || {
            db.runtime.instantiate(tenant.caps.clone())
        });
        if let (Err(Error::Overloaded), Some(refused)) = (&taken, &self.inline) {
            refused.store(true, Ordering::Relaxed);
        }
        let mut lent = Lent {
            pool: &db.pool,
            instance: Some(taken?),
        };
        let instance = lent.instance.as_mut().expect("just lent");
        db.runtime.arm_deadline(&mut instance.store);
        let started = Instant::now();
        let outcome = f(instance);
        db.metrics.record(op.name, started.elapsed());
        match outcome {
            Ok(result) => {
                if let Some(instance) = lent.instance.take() {
                    db.pool.put(tenant.key, instance);
                }
                match result.map_err(Error::from) {
                    // The store failed because the tenant was deleted
                    // meanwhile (here or by another host): say so.
                    Err(Error::Storage(_)) if !tenant.caps.store.is_alive() => Err(Error::NoTenant),
                    other => other,
                }
            }
            Err(trap) => {
                let error = if instance.store.data().limits.hit {
                    Error::MemoryLimit(db.runtime.max_instance_memory())
                } else if trap.downcast_ref::<wasmtime::Trap>() == Some(&wasmtime::Trap::Interrupt)
                {
                    Error::Timeout(db.runtime.call_deadline())
                } else {
                    Error::Component(trap)
                };
                drop(lent);
                tracing::error!(
                    tenant = %tenant.name,
                    op = op.name,
                    error = &error as &dyn std::error::Error,
                    "component call failed; instance discarded"
                );
                Err(error)
            }
        }
    }

    /// Run `op` with dynamic values: `params` as wasmtime lifted them out of
    /// a plugin's call, `results` for it to lower back into the plugin
    /// (see `plugin/link.rs`); `ty` is the plugin's view of the signature,
    /// which must be moth's. Served like every typed call: pooled,
    /// budgeted, under the deadline.
    pub(crate) fn call_values(
        &self,
        op: Op,
        ty: &ComponentFunc,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<()> {
        let func = self.db.runtime.func_index(op, ty)?;
        self.call(op, |instance| {
            instance.call_dynamic(func, params, results)?;
            Ok(Ok(()))
        })
    }

    /// Fail with [`Error::InvalidInput`] unless `ty`, a plugin's view of
    /// `op`'s signature, is moth's.
    pub(crate) fn check_signature(&self, op: Op, ty: &ComponentFunc) -> Result<()> {
        self.db.runtime.func_index(op, ty).map(|_| ())
    }

    /// The capabilities this tenant's calls reach: its key space, the
    /// clock and the random source.
    pub(crate) fn tenant_caps(&self) -> &crate::Capabilities {
        &self.tenant.caps
    }

    /// This handle for running on an async worker: it does not wait for
    /// an instance, and refuses (setting `refused`) every call that would
    /// block (see [`AsyncMoth`](crate::AsyncMoth)).
    pub(crate) fn inline(&self, refused: Arc<AtomicBool>) -> Moth {
        Moth {
            no_wait: true,
            inline: Some(refused),
            ..self.clone()
        }
    }

    /// On a handle that runs on an async worker, refuse (and say so) what
    /// would block it; elsewhere nothing.
    fn refuse_inline(&self) -> Result<()> {
        match &self.inline {
            Some(refused) => {
                refused.store(true, Ordering::Relaxed);
                Err(Error::Overloaded)
            }
            None => Ok(()),
        }
    }

    /// How many hashing calls may run at once, overall and per tenant.
    pub fn hashing_limits(&self) -> (usize, usize) {
        (self.db.hashing.overall(), self.db.hashing.per_tenant())
    }

    /// Refuse Argon2 costs that could not run under the instance memory cap.
    pub(crate) fn check_fits(&self, s: &Settings) -> Result<()> {
        let cap = self.db.runtime.max_instance_memory();
        let needed = u64::from(s.argon2_memory_kib) * 1024 + (4 << 20);
        if needed > cap as u64 {
            return Err(Error::InvalidInput(format!(
                "argon2 memory {} KiB does not fit the instance memory cap of {cap} bytes",
                s.argon2_memory_kib
            )));
        }
        Ok(())
    }

    /// What the sweeper knows about this tenant.
    pub(crate) fn sweep_state(&self) -> &sweeper::SweepState {
        &self.tenant.sweep
    }

    /// Whether the background sweeper would call the component for this
    /// tenant now: it has not been swept since this process opened it, or
    /// a token it knows of has expired.
    pub fn sweep_due(&self) -> bool {
        // A clock that cannot be read makes every call fail anyway; the
        // sweeper then has nothing useful to do.
        self.tenant
            .caps
            .clock
            .now()
            .is_ok_and(|(now, _)| self.tenant.sweep.due(now))
    }

    /// Make everything written so far durable (commits already are, under
    /// the default durability).
    pub fn flush(&self) -> Result<()> {
        self.refuse_inline()?;
        self.db.tenants.db().flush()
    }

    /// Bytes the whole database occupies on disk; 0 when the backend does
    /// not say (PostgreSQL: ask the database).
    pub fn size_on_disk(&self) -> u64 {
        self.db.tenants.db().size_on_disk().unwrap_or(0)
    }

    /// Whether the database is shared with other processes (PostgreSQL):
    /// every store call is then a network round trip, which must not run
    /// on an async worker.
    pub fn shared_store(&self) -> bool {
        self.db.tenants.db().shared()
    }

    /// Latency of calls into the component, by operation.
    pub fn guest_metrics(&self) -> &GuestMetrics {
        &self.db.metrics
    }

    /// How many instances are idle in the pool now.
    pub fn idle_instances(&self) -> usize {
        self.db.pool.idle()
    }

    /// How many component instances exist now.
    pub fn live_instances(&self) -> usize {
        self.db.pool.live()
    }

    /// Drop pooled instances unused for `age` or more (the sweeper does this
    /// with the idle-instance TTL); returns how many.
    #[cfg(feature = "testing")]
    pub fn reap_idle_instances(&self, age: Duration) -> usize {
        self.db.pool.reap(age)
    }

    /// The capabilities this handle's instances use; with
    /// `moth_core::Auth::new(caps.clone())` they run the same logic natively.
    #[cfg(feature = "testing")]
    pub fn capabilities(&self) -> &crate::Capabilities {
        self.tenant_caps()
    }
}

/// An instance lent by the pool for one call. Unless it is given back, its
/// place is freed when this drops, so not even a panicking host import
/// (unwinding through the call) leaks a pool slot.
struct Lent<'a> {
    pool: &'a Pool<Instance>,
    instance: Option<Instance>,
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if self.instance.take().is_some() {
            self.pool.discard();
        }
    }
}
