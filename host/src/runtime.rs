//! The compiled component and the engine that runs it.
//!
//! Compiling the component (`Component::new`) costs tens of milliseconds;
//! loading a precompiled artifact costs well under one. So the artifact is
//! cached on disk, keyed by the component's digest and the engine's
//! compatibility hash, and a process shares one [`Runtime`] by default.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ResourceLimiter, Store,
};

use crate::bindings::{Auth, AuthPre, HostState};
use crate::env::HostEnv;
use crate::error::{Error, Result};

/// The `moth:auth` component this host was built with.
pub static COMPONENT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/moth.wasm"));

/// A build of the component that misbehaves on request (usernames
/// `fault-trap`, `fault-loop`, `fault-oom` in `create-user`), for testing
/// fault containment. Only with the `testing` feature.
#[cfg(feature = "testing")]
pub static FAULTY_COMPONENT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/moth-faulty.wasm"));

/// Where compiled artifacts are cached.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum CacheDir {
    /// `$MOTH_CACHE_DIR`, else `$XDG_CACHE_HOME/moth`, else `$HOME/.cache/moth`.
    #[default]
    Default,
    /// This directory. It must be writable only by the user running moth:
    /// artifacts in it are loaded as machine code.
    Path(PathBuf),
    /// Compile at every start.
    Off,
}

impl CacheDir {
    fn resolve(&self) -> Option<PathBuf> {
        match self {
            CacheDir::Off => None,
            CacheDir::Path(p) => Some(p.clone()),
            CacheDir::Default => {
                let var = |k| {
                    std::env::var_os(k)
                        .filter(|v| !v.is_empty())
                        .map(PathBuf::from)
                };
                var("MOTH_CACHE_DIR")
                    .or_else(|| var("XDG_CACHE_HOME").map(|p| p.join("moth")))
                    .or_else(|| var("HOME").map(|p| p.join(".cache").join("moth")))
            }
        }
    }
}

/// How to build a [`Runtime`].
#[derive(Clone, Debug)]
pub struct RuntimeOptions {
    /// Where to cache the compiled component.
    pub cache: CacheDir,
    /// Use wasmtime's pooling allocator with this many instance slots.
    /// `None` (the default) allocates on demand: moth reuses instances, so
    /// allocation is rare and the pool's up-front reservations buy little.
    pub pooling_slots: Option<u32>,
    /// The most linear memory one instance may grow to, in bytes. It must
    /// hold Argon2's memory cost plus about 4 MiB. Default 256 MiB.
    pub max_instance_memory: usize,
    /// How long one call may run before it is stopped. Default 10 s: far
    /// above a login at the default Argon2 costs (about 60 ms).
    pub call_deadline: Duration,
    /// Run this component instead of the embedded one (for example a build
    /// with fault injection, in tests).
    pub component: Option<Arc<[u8]>>,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        RuntimeOptions {
            cache: CacheDir::Default,
            pooling_slots: None,
            max_instance_memory: 256 << 20,
            call_deadline: Duration::from_secs(10),
            component: None,
        }
    }
}

/// How often the epoch advances; deadlines are counted in these ticks.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Caps the memory of one instance, and remembers whether it said no so a
/// refused growth can be reported as [`Error::MemoryLimit`].
pub(crate) struct MemoryCap {
    max: usize,
    pub(crate) hit: bool,
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max {
            self.hit = true;
            // An error (not `Ok(false)`) traps at once, instead of letting
            // the guest's allocator turn the refusal into an abort later.
            return Err(wasmtime::Error::msg("instance memory cap reached"));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

/// An engine with the component compiled and pre-linked, ready to
/// instantiate cheaply. Shared by every [`crate::Moth`] that uses it.
pub struct Runtime {
    engine: Engine,
    pre: AuthPre<HostState>,
    max_instance_memory: usize,
    deadline_ticks: u64,
    call_deadline: Duration,
    loaded_from_cache: bool,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("max_instance_memory", &self.max_instance_memory)
            .field("loaded_from_cache", &self.loaded_from_cache)
            .finish_non_exhaustive()
    }
}

/// One live instance and its wasmtime store.
pub struct Instance {
    pub(crate) store: Store<HostState>,
    pub(crate) auth: Auth,
}

fn component_error(e: impl std::fmt::Display) -> Error {
    Error::Component(e.to_string())
}

impl Runtime {
    /// The process-wide runtime with default options, built on first use.
    pub fn shared() -> Result<Arc<Runtime>> {
        static SHARED: OnceLock<std::result::Result<Arc<Runtime>, Error>> = OnceLock::new();
        SHARED
            .get_or_init(|| Runtime::new(&RuntimeOptions::default()).map(Arc::new))
            .clone()
    }

    /// Build a runtime: configure the engine, then load the component from
    /// the cache or compile (and cache) it.
    pub fn new(opts: &RuntimeOptions) -> Result<Runtime> {
        let mut config = Config::new();
        // moth's component is synchronous; turning the async machinery off
        // more than halves the cost of each call into it.
        config.concurrency_support(false);
        // Deadlines: a ticker thread advances the epoch, and a call whose
        // deadline passes traps at its next loop or function entry.
        config.epoch_interruption(true);
        if let Some(slots) = opts.pooling_slots {
            let mut pool = PoolingAllocationConfig::default();
            pool.total_component_instances(slots)
                .total_core_instances(slots.saturating_mul(8))
                .total_memories(slots)
                .total_tables(slots.saturating_mul(4))
                .max_memory_size(opts.max_instance_memory);
            config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        }
        let engine = Engine::new(&config).map_err(component_error)?;
        let bytes: &[u8] = opts.component.as_deref().unwrap_or(COMPONENT);
        let (component, loaded_from_cache) =
            load_component(&engine, bytes, opts.cache.resolve().as_deref())?;
        let mut linker = Linker::<HostState>::new(&engine);
        Auth::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s).map_err(component_error)?;
        let pre = AuthPre::new(
            linker
                .instantiate_pre(&component)
                .map_err(component_error)?,
        )
        .map_err(component_error)?;
        spawn_ticker(&engine);
        let ticks = opts.call_deadline.as_millis() / EPOCH_TICK.as_millis();
        Ok(Runtime {
            engine,
            pre,
            max_instance_memory: opts.max_instance_memory,
            // One tick more: the current tick may be nearly over.
            deadline_ticks: u64::try_from(ticks).unwrap_or(u64::MAX).max(1) + 1,
            call_deadline: opts.call_deadline,
            loaded_from_cache,
        })
    }

    /// Arm `store`'s deadline for one call.
    pub(crate) fn arm_deadline(&self, store: &mut Store<HostState>) {
        store.set_epoch_deadline(self.deadline_ticks);
    }

    /// The per-call deadline.
    pub fn call_deadline(&self) -> Duration {
        self.call_deadline
    }

    /// The wasmtime engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The compiled component.
    pub fn component(&self) -> &Component {
        self.pre.instance_pre().component()
    }

    /// Whether the component came from the on-disk cache rather than the compiler.
    pub fn loaded_from_cache(&self) -> bool {
        self.loaded_from_cache
    }

    /// The per-instance memory cap.
    pub fn max_instance_memory(&self) -> usize {
        self.max_instance_memory
    }

    /// A fresh instance whose imports reach `env`. [`crate::Moth`] pools
    /// these; this is public so that instantiation can be measured.
    pub fn instantiate(&self, env: HostEnv) -> Result<Instance> {
        let limits = MemoryCap {
            max: self.max_instance_memory,
            hit: false,
        };
        let mut store = Store::new(&self.engine, HostState { env, limits });
        store.limiter(|s| &mut s.limits);
        self.arm_deadline(&mut store);
        let auth = self.pre.instantiate(&mut store).map_err(component_error)?;
        Ok(Instance { store, auth })
    }
}

/// Advance `engine`'s epoch every tick for as long as the engine lives.
fn spawn_ticker(engine: &Engine) {
    let weak = engine.weak();
    let spawned = std::thread::Builder::new()
        .name("moth-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "no epoch ticker: call deadlines will not be enforced");
    }
}

fn cache_key(engine: &Engine, bytes: &[u8]) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    let digest = Sha256::digest(bytes);
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "moth-{}-{hex}-{:016x}.cwasm",
        env!("CARGO_PKG_VERSION"),
        h.finish()
    )
}

fn load_component(
    engine: &Engine,
    bytes: &[u8],
    cache: Option<&Path>,
) -> Result<(Component, bool)> {
    let path = cache.map(|dir| dir.join(cache_key(engine, bytes)));
    if let Some(path) = path.as_deref().filter(|p| p.is_file()) {
        // SAFETY: the file was written by `Component::serialize` for an
        // engine with this compatibility hash (it is in the name), renamed
        // into place only when complete, in a directory that must be
        // writable only by this user. wasmtime checks the header again.
        match unsafe { Component::deserialize_file(engine, path) } {
            Ok(c) => return Ok((c, true)),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "ignoring unusable cached component")
            }
        }
    }
    let component = Component::new(engine, bytes).map_err(component_error)?;
    if let Some(path) = path {
        if let Err(e) = store_artifact(&component, &path) {
            tracing::warn!(path = %path.display(), error = %e, "could not cache the compiled component");
        }
    }
    Ok((component, false))
}

fn store_artifact(component: &Component, path: &Path) -> std::io::Result<()> {
    let bytes = component.serialize().map_err(std::io::Error::other)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    // Write aside and rename, so a reader never sees half a file.
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().unwrap_or_default().display(),
        std::process::id()
    ));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
