//! The engine, the compiled component and its instances: how a call gets
//! a sandbox to run in.
//!
//! The compiled artifact is cached on disk (`cache.rs`), limits are in
//! `limits.rs`, and a process shares one [`Runtime`] by default.

mod cache;
mod limits;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wasmtime::component::types::{ComponentFunc, ComponentItem};
use wasmtime::component::{Component, ComponentExportIndex, HasSelf, Linker, Val};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store};

use crate::bindings::{
    Auth, AuthIndices, AuthPre, HostState, accounts, api_keys, attempts, email_tokens, oauth,
    one_time_tokens, roles, sessions, settings, users,
};
use crate::caps::Capabilities;
use crate::error::{Error, Result};
use crate::ops::{self, Op};
pub use cache::CacheDir;
pub(crate) use limits::MemoryCap;
use limits::{EPOCH_TICK, spawn_ticker};

/// The `moth:auth` component this host was built with.
pub static COMPONENT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/moth.wasm"));

/// A build of the component that misbehaves on request (usernames
/// `fault-trap`, `fault-loop`, `fault-oom` in `create-user`), for testing
/// fault containment. Only with the `testing` feature.
#[cfg(feature = "testing")]
pub static FAULTY_COMPONENT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/moth-faulty.wasm"));

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

/// An engine with the component compiled and pre-linked, ready to
/// instantiate cheaply. Shared by every [`crate::Moth`] that uses it.
pub struct Runtime {
    engine: Engine,
    pre: AuthPre<HostState>,
    /// Where each interface's typed functions are, found once.
    indices: AuthIndices,
    /// Where each operation is, by WIT name, and its signature: for calls
    /// with dynamic values (the plugin linker's).
    funcs: HashMap<&'static str, (ComponentExportIndex, ComponentFunc)>,
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
    instance: wasmtime::component::Instance,
    auth: Auth,
}

impl Instance {
    /// Call the export at `func` with dynamic values (type-checked by
    /// wasmtime against the component's signature).
    pub(crate) fn call_dynamic(
        &mut self,
        func: ComponentExportIndex,
        params: &[Val],
        results: &mut [Val],
    ) -> wasmtime::Result<()> {
        let func = self
            .instance
            .get_func(&mut self.store, func)
            .ok_or_else(|| wasmtime::format_err!("the export is not a function"))?;
        func.call(&mut self.store, params, results)
    }

    /// The `users` interface and the store to call it with.
    pub(crate) fn users(&mut self) -> (&users::Guest, &mut Store<HostState>) {
        (self.auth.moth_auth_users(), &mut self.store)
    }

    /// The `sessions` interface and the store to call it with.
    pub(crate) fn sessions(&mut self) -> (&sessions::Guest, &mut Store<HostState>) {
        (self.auth.moth_auth_sessions(), &mut self.store)
    }

    /// The `settings` interface and the store to call it with.
    pub(crate) fn settings(&mut self) -> (&settings::Guest, &mut Store<HostState>) {
        (self.auth.moth_auth_settings(), &mut self.store)
    }

    /// The `email-tokens` interface and the store to call it with.
    pub(crate) fn email_tokens(&mut self) -> (&email_tokens::Guest, &mut Store<HostState>) {
        (self.auth.moth_auth_email_tokens(), &mut self.store)
    }

    /// The `api-keys` interface and the store to call it with.
    pub(crate) fn api_keys(&mut self) -> (&api_keys::Guest, &mut Store<HostState>) {
        (self.auth.moth_auth_api_keys(), &mut self.store)
    }

    /// The `accounts` interface and the store to call it with.
    pub(crate) fn accounts(&mut self) -> (&accounts::Guest, &mut Store<HostState>) {
        (self.auth.moth_auth_accounts(), &mut self.store)
    }

    /// The `attempts` interface and the store to call it with.
    pub(crate) fn attempts(&mut self) -> (&attempts::Guest, &mut Store<HostState>) {
        (self.auth.moth_auth_attempts(), &mut self.store)
    }

    /// The `roles` interface and the store to call it with.
    pub(crate) fn roles(&mut self) -> (&roles::Guest, &mut Store<HostState>) {
        (self.auth.moth_auth_roles(), &mut self.store)
    }

    /// The `oauth` interface and the store to call it with.
    pub(crate) fn oauth(&mut self) -> (&oauth::Guest, &mut Store<HostState>) {
        (self.auth.moth_auth_oauth(), &mut self.store)
    }

    /// The `one-time-tokens` interface and the store to call it with.
    pub(crate) fn one_time_tokens(&mut self) -> (&one_time_tokens::Guest, &mut Store<HostState>) {
        (self.auth.moth_auth_one_time_tokens(), &mut self.store)
    }
}

impl Runtime {
    /// The process-wide runtime with default options, built on first use.
    /// A failure is returned to the caller and the next call tries again.
    pub fn shared() -> Result<Arc<Runtime>> {
        static SHARED: Mutex<Option<Arc<Runtime>>> = Mutex::new(None);
        let mut shared = SHARED.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(rt) = &*shared {
            return Ok(rt.clone());
        }
        let rt = Arc::new(Runtime::new(&RuntimeOptions::default())?);
        *shared = Some(rt.clone());
        Ok(rt)
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
        let engine = Engine::new(&config).map_err(Error::Component)?;
        let bytes: &[u8] = opts.component.as_deref().unwrap_or(COMPONENT);
        let (component, loaded_from_cache) =
            cache::load_component(&engine, bytes, opts.cache.resolve().as_deref())?;
        let mut linker = Linker::<HostState>::new(&engine);
        Auth::add_to_linker::<_, HasSelf<Capabilities>>(&mut linker, |s| &mut s.caps)
            .map_err(Error::Component)?;
        let pre = AuthPre::new(
            linker
                .instantiate_pre(&component)
                .map_err(Error::Component)?,
        )
        .map_err(Error::Component)?;
        let indices = AuthIndices::new(pre.instance_pre()).map_err(Error::Component)?;
        let funcs = func_indices(&engine, &component)?;
        spawn_ticker(&engine);
        let ticks = opts.call_deadline.as_millis() / EPOCH_TICK.as_millis();
        Ok(Runtime {
            engine,
            pre,
            indices,
            funcs,
            max_instance_memory: opts.max_instance_memory,
            // One tick more: the current tick may be nearly over.
            deadline_ticks: u64::try_from(ticks).unwrap_or(u64::MAX).max(1) + 1,
            call_deadline: opts.call_deadline,
            loaded_from_cache,
        })
    }

    /// Where `op` is in the component, provided the caller's view of its
    /// signature, `ty`, is the component's: a plugin built against another
    /// `moth:auth` WIT is refused before anything runs (moth's result could
    /// not be handed back to it, after moth had done the work).
    pub(crate) fn func_index(&self, op: Op, ty: &ComponentFunc) -> Result<ComponentExportIndex> {
        let (index, moth) = self
            .funcs
            .get(op.name)
            .expect("every operation was found when the runtime was built");
        if !same_signature(moth, ty) {
            return Err(Error::InvalidInput(format!(
                "`{}` is imported with another signature than moth's: built against another {}?",
                op.name,
                ops::instance_name(op.interface)
            )));
        }
        Ok(*index)
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

    /// A fresh, unpooled instance whose imports reach `caps`, so that
    /// benchmarks can measure instantiation.
    #[cfg(feature = "testing")]
    pub fn instantiate_unpooled(&self, caps: Capabilities) -> Result<Instance> {
        self.instantiate(caps)
    }

    /// A fresh instance whose imports reach `caps`; [`crate::Moth`] pools
    /// these.
    pub(crate) fn instantiate(&self, caps: Capabilities) -> Result<Instance> {
        let limits = MemoryCap {
            max: self.max_instance_memory,
            hit: false,
        };
        let mut store = Store::new(&self.engine, HostState { caps, limits });
        store.limiter(|s| &mut s.limits);
        self.arm_deadline(&mut store);
        let instance = self
            .pre
            .instance_pre()
            .instantiate(&mut store)
            .map_err(Error::Component)?;
        let auth = self
            .indices
            .load(&mut store, &instance)
            .map_err(Error::Component)?;
        Ok(Instance {
            store,
            instance,
            auth,
        })
    }
}

/// Each operation's export index and signature in `component`. A
/// component that lacks one is refused (its typed bindings would be too).
fn func_indices(
    engine: &Engine,
    component: &Component,
) -> Result<HashMap<&'static str, (ComponentExportIndex, ComponentFunc)>> {
    let ty = component.component_type();
    let mut funcs = HashMap::new();
    for op in ops::ALL {
        let instance_name = ops::instance_name(op.interface);
        let found = component
            .get_export_index(None, &instance_name)
            .and_then(|iface| component.get_export_index(Some(&iface), op.name))
            .zip(ty.get_export(engine, &instance_name).and_then(|iface| {
                let ComponentItem::ComponentInstance(iface) = iface.ty else {
                    return None;
                };
                match iface.get_export(engine, op.name)?.ty {
                    ComponentItem::ComponentFunc(f) => Some(f),
                    _ => None,
                }
            }));
        let Some(found) = found else {
            return Err(Error::Component(wasmtime::format_err!(
                "the component does not export `{}` from {instance_name}",
                op.name
            )));
        };
        funcs.insert(op.name, found);
    }
    Ok(funcs)
}

/// Whether two views of a function agree on its parameter and result
/// types (structurally: they may come from different components and
/// engines). Parameter names do not matter to a call.
pub(crate) fn same_signature(a: &ComponentFunc, b: &ComponentFunc) -> bool {
    a.async_() == b.async_()
        && a.params().map(|(_, t)| t).eq(b.params().map(|(_, t)| t))
        && a.results().eq(b.results())
}

#[cfg(test)]
mod tests {
    use super::{Runtime, same_signature};
    use crate::ops;

    /// Signatures compare by types, not by where they come from: the same
    /// function agrees with itself as a fresh compilation sees it, and
    /// with no other.
    #[test]
    fn signatures_compare_structurally() {
        let rt = Runtime::shared().unwrap();
        let other = Runtime::new(&super::RuntimeOptions::default()).unwrap();
        let sig = |rt: &Runtime, op: ops::Op| rt.funcs[op.name].1.clone();
        for op in ops::ALL {
            assert!(
                same_signature(&sig(&rt, *op), &sig(&other, *op)),
                "{}",
                op.name
            );
        }
        // Same parameters (a token), other results.
        assert!(!same_signature(
            &sig(&rt, ops::VALIDATE),
            &sig(&rt, ops::LOGOUT)
        ));
        // Same results (a bool), other parameters.
        assert!(!same_signature(
            &sig(&rt, ops::HAS_ALL),
            &sig(&rt, ops::TOKEN_HAS_ALL)
        ));
    }
}
