//! [`Moth`]: the typed API over the component, mirroring MOTH's class.

use std::collections::HashMap;
use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use moth_core::{Session, Settings, User, UserPage, Validation};

use crate::bindings::types;
use crate::clock::{Clock, SystemClock};
use crate::db;
use crate::env::HostEnv;
use crate::error::{Error, Result};
use crate::metrics::GuestMetrics;
use crate::pool::{Pool, TenantKey};
use crate::random::{OsRandom, Random};
use crate::runtime::{Instance, Runtime};
use crate::store::{Durability, SledDb};
use crate::tenant::{self, DEFAULT_TENANT};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// How to open a database. Build with [`Options::new`], finish with
/// [`Options::open`].
#[derive(Clone)]
pub struct Options {
    create: bool,
    durability: Durability,
    settings: Option<Settings>,
    max_instances: usize,
    instance_wait: Duration,
    idle_instance_ttl: Duration,
    sweep_interval: Option<Duration>,
    runtime: Option<Arc<Runtime>>,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
}

impl Default for Options {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Options {
            create: false,
            durability: Durability::Flush,
            settings: None,
            max_instances: (2 * cores).max(4),
            instance_wait: Duration::from_secs(5),
            idle_instance_ttl: Duration::from_secs(60),
            sweep_interval: Some(Duration::from_secs(60)),
            runtime: None,
            clock: Arc::new(SystemClock),
            random: Arc::new(OsRandom),
        }
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("create", &self.create)
            .field("durability", &self.durability)
            .field("settings", &self.settings)
            .field("max_instances", &self.max_instances)
            .field("instance_wait", &self.instance_wait)
            .field("sweep_interval", &self.sweep_interval)
            .finish_non_exhaustive()
    }
}

impl Options {
    /// Defaults: open an existing database, flush every commit, stored (or
    /// default) settings, 2 instances per core, sweep every minute.
    pub fn new() -> Self {
        Self::default()
    }

    /// Create the database if it does not exist.
    pub fn create(mut self, yes: bool) -> Self {
        self.create = yes;
        self
    }

    /// When commits count as done; see [`Durability`].
    pub fn durability(mut self, d: Durability) -> Self {
        self.durability = d;
        self
    }

    /// Store these Argon2 and lifetime settings on open (validated by the
    /// component). Passwords hashed under other costs are rehashed at their
    /// next login.
    pub fn settings(mut self, s: Settings) -> Self {
        self.settings = Some(s);
        self
    }

    /// The most component instances alive at once; further concurrent calls
    /// wait for one. Each may hold Argon2's memory cost while hashing.
    pub fn max_instances(mut self, n: usize) -> Self {
        self.max_instances = n.max(1);
        self
    }

    /// How long a call waits for an instance when all `max_instances` are
    /// busy before failing with [`Error::Overloaded`]. Default 5 s.
    pub fn instance_wait(mut self, wait: Duration) -> Self {
        self.instance_wait = wait;
        self
    }

    /// How long an unused instance is kept for its tenant. Default 60 s.
    pub fn idle_instance_ttl(mut self, ttl: Duration) -> Self {
        self.idle_instance_ttl = ttl;
        self
    }

    /// How often a background thread deletes expired tokens; `None` to
    /// leave it to explicit [`Moth::sweep`] calls.
    pub fn sweep_interval(mut self, every: Option<Duration>) -> Self {
        self.sweep_interval = every;
        self
    }

    /// Run on this runtime instead of the process-wide shared one.
    pub fn runtime(mut self, rt: Arc<Runtime>) -> Self {
        self.runtime = Some(rt);
        self
    }

    /// Read time from `clock`. For tests only.
    #[cfg(feature = "testing")]
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Take randomness from `random`. For tests only: it must be secure.
    #[cfg(feature = "testing")]
    pub fn random(mut self, random: impl Random) -> Self {
        self.random = Arc::new(random);
        self
    }

    /// Open the database at `path` with these options.
    pub fn open(self, path: impl AsRef<Path>) -> Result<Moth> {
        Moth::open_with(path.as_ref(), self)
    }
}

/// What every tenant of one open database shares.
struct Shared {
    runtime: Arc<Runtime>,
    pool: Pool<Instance>,
    sled: SledDb,
    metrics: GuestMetrics,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    /// Open tenants, so a lookup per request costs no tree open.
    tenants: RwLock<HashMap<String, Arc<Tenant>>>,
    idle_instance_ttl: Duration,
    /// Dropped with `Shared`, which ends the sweeper thread at once.
    _stop_sweeper: Option<mpsc::Sender<()>>,
}

/// One tenant: a name and the key space its calls are bound to.
struct Tenant {
    /// Unique per opening, never reused (see [`TenantKey`]).
    key: TenantKey,
    name: Arc<str>,
    env: HostEnv,
    /// Calls under way, so deletion can wait for them before dropping the tree.
    in_flight: AtomicUsize,
}

/// Counts a call as under way for as long as it lives.
struct InFlight<'a>(&'a AtomicUsize);

impl<'a> InFlight<'a> {
    fn enter(n: &'a AtomicUsize) -> Self {
        n.fetch_add(1, Ordering::SeqCst);
        InFlight(n)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

static NEXT_TENANT_KEY: AtomicU64 = AtomicU64::new(1);

/// A moth database served by the component, as seen by one tenant (the
/// `default` one unless chosen with [`Moth::tenant`]). Every method is one
/// call into a pooled instance bound to that tenant's key space. Cheap to
/// clone; safe to share across threads.
#[derive(Clone)]
pub struct Moth {
    shared: Arc<Shared>,
    tenant: Arc<Tenant>,
    /// When set, calls fail with [`Error::Overloaded`] at once instead of
    /// queueing for an instance (see [`Moth::no_wait`]).
    no_wait: bool,
}

impl std::fmt::Debug for Moth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Moth")
            .field("tenant", &self.tenant.name)
            .field("env", &self.tenant.env)
            .finish_non_exhaustive()
    }
}

type WitResult<T> = std::result::Result<T, types::Error>;

impl Moth {
    /// Open the existing database at `path` with default options.
    pub fn open(path: impl AsRef<Path>) -> Result<Moth> {
        Options::new().open(path)
    }

    fn open_with(path: &Path, opts: Options) -> Result<Moth> {
        let db = db::open(path, opts.create)?;
        let runtime = match opts.runtime {
            Some(rt) => rt,
            None => Runtime::shared()?,
        };
        let (stop, stopped) = mpsc::channel();
        let shared = Arc::new(Shared {
            runtime,
            pool: Pool::new(opts.max_instances, opts.instance_wait),
            sled: SledDb::new(db, opts.durability),
            metrics: GuestMetrics::default(),
            clock: opts.clock,
            random: opts.random,
            tenants: RwLock::default(),
            idle_instance_ttl: opts.idle_instance_ttl,
            _stop_sweeper: opts.sweep_interval.map(|_| stop),
        });
        let moth = Moth {
            tenant: shared.open_tenant(DEFAULT_TENANT)?,
            shared,
            no_wait: false,
        };
        if let Some(s) = opts.settings {
            moth.set_settings(s)?;
        }
        if let Some(every) = opts.sweep_interval {
            spawn_sweeper(Arc::downgrade(&moth.shared), every, stopped);
        }
        Ok(moth)
    }

    /// The tenant `name`'s view of the same database. Fails with
    /// [`Error::NoTenant`] unless it was created with [`Moth::create_tenant`].
    pub fn tenant(&self, name: &str) -> Result<Moth> {
        if let Some(t) = self
            .shared
            .tenants
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
        {
            return Ok(Moth {
                shared: self.shared.clone(),
                tenant: t.clone(),
                no_wait: false,
            });
        }
        tenant::check_name(name)?;
        if !tenant::exists(self.shared.sled.db(), name)? {
            return Err(Error::NoTenant);
        }
        Ok(Moth {
            tenant: self.shared.open_tenant(name)?,
            shared: self.shared.clone(),
            no_wait: false,
        })
    }

    /// Create tenant `name` with its own users, tokens and settings
    /// (`settings`, or the defaults).
    pub fn create_tenant(&self, name: &str, settings: Option<Settings>) -> Result<Moth> {
        tenant::check_name(name)?;
        if let Some(s) = &settings {
            self.check_fits(s)?;
        }
        tenant::register(self.shared.sled.db(), name)?;
        let moth = Moth {
            tenant: self.shared.open_tenant(name)?,
            shared: self.shared.clone(),
            no_wait: false,
        };
        if let Some(s) = settings
            && let Err(e) = moth.set_settings(s)
        {
            let _ = self.delete_tenant(name);
            return Err(e);
        }
        Ok(moth)
    }

    /// Delete tenant `name` and all its data. Calls for it still in flight
    /// fail; its instances are dropped. The `default` tenant cannot be deleted.
    pub fn delete_tenant(&self, name: &str) -> Result<()> {
        tenant::check_name(name)?;
        if name == DEFAULT_TENANT {
            return Err(Error::InvalidInput(
                "the default tenant cannot be deleted".into(),
            ));
        }
        if !tenant::unregister(self.shared.sled.db(), name)? {
            return Err(Error::NoTenant);
        }
        let open = self
            .shared
            .tenants
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
        if let Some(t) = open {
            // Retired, every store call of the tenant fails from now on; a
            // commit already inside sled is waited for, so nothing writes
            // into the tree while it is dropped. Calls end by their
            // deadline at the latest.
            t.env.store.retire();
            let give_up = std::time::Instant::now()
                + self.shared.runtime.call_deadline()
                + self.shared.pool.wait();
            while t.in_flight.load(Ordering::SeqCst) > 0 && std::time::Instant::now() < give_up {
                std::thread::sleep(Duration::from_millis(1));
            }
            // Once, after the wait: a call returns its instance to the pool
            // before it stops counting as in flight, so this drops them all.
            self.shared.pool.forget_tenant(t.key);
        }
        self.shared.sled.db().drop_tree(tenant::tree_name(name))?;
        self.shared.sled.db().flush()?;
        Ok(())
    }

    /// Every tenant's name, `default` first.
    pub fn tenants(&self) -> Result<Vec<String>> {
        let mut names = vec![DEFAULT_TENANT.to_owned()];
        names.extend(tenant::list(self.shared.sled.db())?);
        Ok(names)
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

    /// The name of the tenant this handle serves.
    pub fn tenant_name(&self) -> &str {
        &self.tenant.name
    }

    /// Run `f` on a pooled instance. A trap discards the instance: its
    /// memory may be inconsistent, and the guarded commit guarantees the
    /// store is not.
    fn call<T>(
        &self,
        op: &'static str,
        f: impl FnOnce(&mut Instance) -> wasmtime::Result<WitResult<T>>,
    ) -> Result<T> {
        let shared = &*self.shared;
        let tenant = &self.tenant;
        // Counted before the check, so a deletion that saw no call in
        // flight cannot miss one that then passes the check.
        let _in_flight = InFlight::enter(&tenant.in_flight);
        if !tenant.env.store.is_alive() {
            return Err(Error::NoTenant);
        }
        let wait = if self.no_wait {
            Duration::ZERO
        } else {
            shared.pool.wait()
        };
        let mut instance = shared.pool.take_within(tenant.key, wait, || {
            shared.runtime.instantiate(tenant.env.clone())
        })?;
        shared.runtime.arm_deadline(&mut instance.store);
        let started = std::time::Instant::now();
        let outcome = f(&mut instance);
        shared.metrics.record(op, started.elapsed());
        match outcome {
            Ok(result) => {
                shared.pool.put(tenant.key, instance);
                result.map_err(Error::from)
            }
            Err(trap) => {
                let error = if instance.store.data().limits.hit {
                    Error::MemoryLimit(shared.runtime.max_instance_memory())
                } else if trap.downcast_ref::<wasmtime::Trap>() == Some(&wasmtime::Trap::Interrupt)
                {
                    Error::Timeout(shared.runtime.call_deadline())
                } else {
                    Error::Component(format!("{trap:#}"))
                };
                drop(instance);
                shared.pool.discard();
                tracing::error!(tenant = %tenant.name, op, error = %error, "component call failed; instance discarded");
                Err(error)
            }
        }
    }

    /// Check the password and mint a token valid for `lifetime` (the stored
    /// default, three days unless changed, when `None`).
    pub fn login(
        &self,
        username: &str,
        password: &str,
        lifetime: Option<Duration>,
    ) -> Result<Session> {
        let lifetime = lifetime.map(|d| d.as_secs());
        let s = self.call("login", |i| {
            i.auth
                .moth_auth_users()
                .call_login(&mut i.store, username, password, lifetime)
        })?;
        Ok(Session {
            token: s.token,
            user: s.user.into(),
            expires: s.expires,
        })
    }

    /// The user and expiry behind a live token.
    pub fn validate(&self, token: &str) -> Result<Validation> {
        let v = self.call("validate", |i| {
            i.auth.moth_auth_users().call_validate(&mut i.store, token)
        })?;
        Ok(Validation {
            user: v.user.into(),
            expires: v.expires,
        })
    }

    /// Delete a token.
    pub fn logout(&self, token: &str) -> Result<()> {
        self.call("logout", |i| {
            i.auth.moth_auth_users().call_logout(&mut i.store, token)
        })
    }

    /// Whether `password` is `username`'s, without logging in (MOTH's `passwordValid`).
    pub fn password_valid(&self, username: &str, password: &str) -> Result<bool> {
        self.call("check_password", |i| {
            i.auth
                .moth_auth_users()
                .call_check_password(&mut i.store, username, password)
        })
    }

    /// Create a user (MOTH's `newuser`).
    pub fn new_user(&self, username: &str, password: &str, permissions: &str) -> Result<User> {
        self.call("create_user", |i| {
            i.auth
                .moth_auth_users()
                .call_create_user(&mut i.store, username, password, permissions)
        })
        .map(User::from)
    }

    /// Delete a user and revoke all their tokens (MOTH's `deluser`).
    pub fn delete_user(&self, id: u64) -> Result<()> {
        self.call("delete_user", |i| {
            i.auth.moth_auth_users().call_delete_user(&mut i.store, id)
        })
    }

    /// Set a new password and revoke all the user's tokens (MOTH's `newpass`).
    pub fn set_password(&self, id: u64, password: &str) -> Result<()> {
        self.call("set_password", |i| {
            i.auth
                .moth_auth_users()
                .call_set_password(&mut i.store, id, password)
        })
    }

    /// Replace the user's permissions string (MOTH's `newperms`).
    pub fn set_permissions(&self, id: u64, permissions: &str) -> Result<()> {
        self.call("set_permissions", |i| {
            i.auth
                .moth_auth_users()
                .call_set_permissions(&mut i.store, id, permissions)
        })
    }

    /// How many live tokens the user has (MOTH's `gettokens`).
    pub fn token_count(&self, id: u64) -> Result<u64> {
        self.call("count_tokens", |i| {
            i.auth.moth_auth_users().call_count_tokens(&mut i.store, id)
        })
    }

    /// One page of users with ids above `after`, at most `limit` (1..=1000).
    pub fn users_page(&self, after: Option<u64>, limit: u32) -> Result<UserPage> {
        let p = self.call("list_users", |i| {
            i.auth
                .moth_auth_users()
                .call_list_users(&mut i.store, after, limit)
        })?;
        Ok(UserPage {
            users: p.users.into_iter().map(User::from).collect(),
            next: p.next,
        })
    }

    /// Every user, in id order (MOTH's `getusers`).
    pub fn users(&self) -> Result<Vec<User>> {
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let page = self.users_page(after, moth_core::users::MAX_PAGE)?;
            all.extend(page.users);
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(all),
            }
        }
    }

    /// The user with this id (MOTH's `getuser`).
    pub fn user(&self, id: u64) -> Result<User> {
        self.call("get_user", |i| {
            i.auth.moth_auth_users().call_get_user(&mut i.store, id)
        })
        .map(User::from)
    }

    /// Revoke all the user's tokens; returns how many were live (MOTH's `deltokens`).
    pub fn delete_tokens(&self, id: u64) -> Result<u64> {
        self.call("delete_tokens", |i| {
            i.auth
                .moth_auth_users()
                .call_delete_tokens(&mut i.store, id)
        })
    }

    /// Delete up to `limit` (1..=10000) expired tokens, oldest first;
    /// returns how many.
    pub fn sweep_batch(&self, limit: u32) -> Result<u64> {
        self.call("sweep", |i| {
            i.auth.moth_auth_users().call_sweep(&mut i.store, limit)
        })
    }

    /// Whether any token of this tenant has expired and awaits sweeping.
    ///
    /// Read natively from the expiry index (moth-core's key layout), so the
    /// sweeper spends no instance — and evicts no warm one — on the many
    /// tenants with nothing to sweep.
    pub fn has_expired_tokens(&self) -> bool {
        let (start, end) = moth_core::keys::expired_by(self.tenant.env.clock.now().0);
        self.tenant
            .env
            .store
            .scan(&start, &end, 1)
            .is_ok_and(|due| !due.is_empty())
    }

    /// Delete every expired token now; returns how many.
    pub fn sweep(&self) -> Result<u64> {
        const BATCH: u32 = 1000;
        let mut total = 0;
        loop {
            let n = self.call("sweep", |i| {
                i.auth.moth_auth_users().call_sweep(&mut i.store, BATCH)
            })?;
            total += n;
            if n < u64::from(BATCH) {
                return Ok(total);
            }
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> Result<Settings> {
        self.call("get_settings", |i| {
            i.auth.moth_auth_users().call_get_settings(&mut i.store)
        })
        .map(Settings::from)
    }

    /// Store new settings (validated by the component).
    pub fn set_settings(&self, s: Settings) -> Result<()> {
        self.check_fits(&s)?;
        self.call("set_settings", |i| {
            i.auth
                .moth_auth_users()
                .call_set_settings(&mut i.store, s.into())
        })
    }

    /// Refuse Argon2 costs that could not run under the instance memory cap.
    fn check_fits(&self, s: &Settings) -> Result<()> {
        let cap = self.shared.runtime.max_instance_memory();
        let needed = u64::from(s.argon2_memory_kib) * 1024 + (4 << 20);
        if needed > cap as u64 {
            return Err(Error::InvalidInput(format!(
                "argon2 memory {} KiB does not fit the instance memory cap of {cap} bytes",
                s.argon2_memory_kib
            )));
        }
        Ok(())
    }

    /// Flush everything to disk (commits already are, under the default
    /// durability).
    pub fn flush(&self) -> Result<()> {
        self.shared.sled.db().flush()?;
        Ok(())
    }

    /// Bytes the whole database occupies on disk.
    pub fn size_on_disk(&self) -> u64 {
        self.shared.sled.db().size_on_disk().unwrap_or(0)
    }

    /// Latency of calls into the component, by operation.
    pub fn guest_metrics(&self) -> &GuestMetrics {
        &self.shared.metrics
    }

    /// Drop pooled instances unused for `age` or more (the sweeper does this
    /// with the idle-instance TTL); returns how many.
    pub fn reap_idle_instances(&self, age: Duration) -> usize {
        self.shared.pool.reap(age)
    }

    /// How many instances are idle in the pool now.
    pub fn idle_instances(&self) -> usize {
        self.shared.pool.idle()
    }

    /// How many component instances exist now.
    pub fn live_instances(&self) -> usize {
        self.shared.pool.live()
    }

    /// The capabilities this handle's instances use; with
    /// `moth_core::Auth::new(env)` they run the same logic natively.
    pub fn env(&self) -> &HostEnv {
        &self.tenant.env
    }
}

impl Shared {
    /// Open (or find open) tenant `name`'s key space.
    fn open_tenant(&self, name: &str) -> Result<Arc<Tenant>> {
        let mut tenants = self.tenants.write().unwrap_or_else(|p| p.into_inner());
        if let Some(t) = tenants.get(name) {
            return Ok(t.clone());
        }
        let env = HostEnv {
            store: self.sled.store(&tenant::tree_name(name))?,
            clock: self.clock.clone(),
            random: self.random.clone(),
        };
        let key = NEXT_TENANT_KEY.fetch_add(1, Ordering::Relaxed);
        let t = Arc::new(Tenant {
            key,
            name: Arc::from(name),
            env,
            in_flight: AtomicUsize::new(0),
        });
        tenants.insert(name.to_owned(), t.clone());
        Ok(t)
    }
}

fn spawn_sweeper(shared: Weak<Shared>, every: Duration, stop: mpsc::Receiver<()>) {
    let spawned = std::thread::Builder::new().name("moth-sweeper".into()).spawn(move || {
        while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(every) {
            let Some(shared) = shared.upgrade() else { return };
            shared.pool.reap(shared.idle_instance_ttl);
            let Ok(default) = shared.open_tenant(DEFAULT_TENANT) else { continue };
            let root = Moth { shared, tenant: default, no_wait: false };
            for name in root.tenants().unwrap_or_default() {
                let swept = root.tenant(&name).and_then(|m| if m.has_expired_tokens() { m.sweep() } else { Ok(0) });
                match swept {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(tenant = %name, deleted = n, "swept expired tokens"),
                    Err(e) => tracing::warn!(tenant = %name, error = %e, "sweeping expired tokens failed"),
                }
            }
        }
    });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "could not start the sweeper; call Moth::sweep yourself");
    }
}
