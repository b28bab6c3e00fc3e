//! [`Moth`]: the typed API over the component, mirroring MOTH's class.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Weak};
use std::time::Duration;

use moth_core::{Session, Settings, User, UserPage, Validation};

use crate::bindings::types;
use crate::clock::{Clock, SystemClock};
use crate::db;
use crate::env::HostEnv;
use crate::error::{Error, Result};
use crate::metrics::GuestMetrics;
use crate::pool::Pool;
use crate::random::{OsRandom, Random};
use crate::runtime::{Instance, Runtime};
use crate::store::{Durability, SledStore};

/// How to open a database. Build with [`Options::new`], finish with
/// [`Options::open`].
#[derive(Clone)]
pub struct Options {
    create: bool,
    durability: Durability,
    settings: Option<Settings>,
    max_instances: usize,
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

struct Inner {
    runtime: Arc<Runtime>,
    env: HostEnv,
    pool: Pool<Instance>,
    db: sled::Db,
    metrics: GuestMetrics,
    /// Dropped with `Inner`, which ends the sweeper thread at once.
    _stop_sweeper: Option<mpsc::Sender<()>>,
}

/// A moth database served by the component: every method is one call into
/// a pooled instance. Cheap to clone; safe to share across threads.
#[derive(Clone)]
pub struct Moth {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Moth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Moth")
            .field("env", &self.inner.env)
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
        let env = HostEnv {
            store: SledStore::new(&db, db::AUTH_TREE, opts.durability)?,
            clock: opts.clock,
            random: opts.random,
        };
        let (stop, stopped) = mpsc::channel();
        let inner = Arc::new(Inner {
            runtime,
            env,
            pool: Pool::new(opts.max_instances),
            db,
            metrics: GuestMetrics::default(),
            _stop_sweeper: opts.sweep_interval.map(|_| stop),
        });
        let moth = Moth { inner };
        if let Some(s) = opts.settings {
            moth.set_settings(s)?;
        }
        if let Some(every) = opts.sweep_interval {
            spawn_sweeper(Arc::downgrade(&moth.inner), every, stopped);
        }
        Ok(moth)
    }

    /// Run `f` on a pooled instance. A trap discards the instance: its
    /// memory may be inconsistent, and the guarded commit guarantees the
    /// store is not.
    fn call<T>(
        &self,
        op: &'static str,
        f: impl FnOnce(&mut Instance) -> wasmtime::Result<WitResult<T>>,
    ) -> Result<T> {
        let inner = &*self.inner;
        let mut instance = inner
            .pool
            .take(|| inner.runtime.instantiate(inner.env.clone()))?;
        let started = std::time::Instant::now();
        let outcome = f(&mut instance);
        inner.metrics.record(op, started.elapsed());
        match outcome {
            Ok(result) => {
                inner.pool.put(instance);
                result.map_err(Error::from)
            }
            Err(trap) => {
                drop(instance);
                inner.pool.discard();
                tracing::error!(error = %trap, "component call failed; instance discarded");
                Err(Error::Component(format!("{trap:#}")))
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
        let needed = u64::from(s.argon2_memory_kib) * 1024 + (4 << 20);
        if needed > self.inner.runtime.max_instance_memory() as u64 {
            return Err(Error::InvalidInput(format!(
                "argon2 memory {} KiB does not fit the instance memory cap of {} bytes",
                s.argon2_memory_kib,
                self.inner.runtime.max_instance_memory()
            )));
        }
        self.call("set_settings", |i| {
            i.auth
                .moth_auth_users()
                .call_set_settings(&mut i.store, s.into())
        })
    }

    /// Flush everything to disk (commits already are, under the default
    /// durability).
    pub fn flush(&self) -> Result<()> {
        self.inner.db.flush()?;
        Ok(())
    }

    /// Bytes the database occupies on disk.
    pub fn size_on_disk(&self) -> u64 {
        self.inner.env.store.size_on_disk()
    }

    /// Latency of calls into the component, by operation.
    pub fn guest_metrics(&self) -> &GuestMetrics {
        &self.inner.metrics
    }

    /// How many component instances exist now.
    pub fn live_instances(&self) -> usize {
        self.inner.pool.live()
    }

    /// The capabilities this handle's instances use; with
    /// `moth_core::Auth::new(env)` they run the same logic natively.
    pub fn env(&self) -> &HostEnv {
        &self.inner.env
    }
}

fn spawn_sweeper(moth: Weak<Inner>, every: Duration, stop: mpsc::Receiver<()>) {
    let spawned = std::thread::Builder::new()
        .name("moth-sweeper".into())
        .spawn(move || {
            while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(every) {
                let Some(inner) = moth.upgrade() else { return };
                match (Moth { inner }).sweep() {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(deleted = n, "swept expired tokens"),
                    Err(e) => tracing::warn!(error = %e, "sweeping expired tokens failed"),
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "could not start the sweeper; call Moth::sweep yourself");
    }
}
