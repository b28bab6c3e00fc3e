//! [`Options`]: how to open a database, and every default of the handle.

use std::sync::Arc;
use std::time::Duration;

use crate::caps::{Clock, OsRandom, Random, SystemClock};
use crate::error::Result;
use crate::runtime::Runtime;
use crate::store::{Durability, StoreLocation};
use crate::{Moth, Settings};

/// How to open a database. Build with [`Options::new`], finish with
/// [`Options::open`].
#[derive(Clone)]
pub struct Options {
    pub(crate) create: bool,
    pub(crate) durability: Durability,
    pub(crate) settings: Option<Settings>,
    pub(crate) max_instances: usize,
    pub(crate) hashing: Option<usize>,
    pub(crate) hashing_per_tenant: Option<usize>,
    pub(crate) instance_wait: Duration,
    pub(crate) idle_instance_ttl: Duration,
    pub(crate) sweep_interval: Option<Duration>,
    pub(crate) runtime: Option<Arc<Runtime>>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) random: Arc<dyn Random>,
}

impl Default for Options {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Options {
            create: false,
            durability: Durability::Flush,
            settings: None,
            max_instances: (2 * cores).max(4),
            hashing: None,
            hashing_per_tenant: None,
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

    /// The most Argon2 calls (create-user, set-password, check-password,
    /// login) running at once. Default: one per core, and always fewer than
    /// `max_instances`, so short calls (validate) keep instances to run on
    /// during a flood of logins.
    pub fn hashing_limit(mut self, n: usize) -> Self {
        self.hashing = Some(n.max(1));
        self
    }

    /// The most Argon2 calls of one tenant running at once, so one tenant's
    /// flood leaves room for others' logins. Default: the overall limit.
    pub fn hashing_limit_per_tenant(mut self, n: usize) -> Self {
        self.hashing_per_tenant = Some(n.max(1));
        self
    }

    /// The hashing limits in force: overall, then per tenant.
    pub(crate) fn hashing_limits(&self) -> (usize, usize) {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let below_instances = self.max_instances.saturating_sub(1).max(1);
        let overall = self.hashing.unwrap_or(cores).min(below_instances);
        (
            overall,
            self.hashing_per_tenant.unwrap_or(overall).min(overall),
        )
    }

    /// How long a call waits for an instance when all `max_instances` are
    /// busy before failing with [`Error::Overloaded`](crate::Error::Overloaded). Default 5 s.
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
    /// leave it to explicit [`Moth::sweep_all`] calls.
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

    /// Open the database at `location` with these options: a sled
    /// directory's path, or a `postgres://` URL (see [`StoreLocation`]).
    pub fn open(self, location: impl Into<StoreLocation>) -> Result<Moth> {
        Moth::open_with(&location.into(), self)
    }
}
