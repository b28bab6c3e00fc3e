//! An example plugin host: an application that runs plugin components and
//! gives them moth's interfaces, the two ways moth offers.
//!
//! - [`PluginHost::call_linked`]: the plugin imports moth's interfaces and
//!   the host links them with [`moth::plugin::add_to_linker`], bound to one
//!   tenant and an allow-list of operations; moth's own pool and limits
//!   serve each call.
//! - [`PluginHost::call_composed`]: the plugin was composed with moth's
//!   component ([`moth::plugin::compose`], or `moth compose`); the result
//!   imports only moth's store, clock and random, which the host supplies
//!   for one tenant with [`moth::plugin::add_imports_to_linker`].
//!
//! A plugin's exports are called dynamically: any function taking strings
//! and returning a string (the example world's `handle` and `escalate`).

use moth::Moth;
use moth::plugin::{self, ComposedImports, ComposedView, Grants, PluginAuth};
use moth::wasmtime::component::{Component, Linker, Val};
use moth::wasmtime::error::Context;
use moth::wasmtime::{Config, Engine, Store, StoreLimits, StoreLimitsBuilder};
use moth::wasmtime::{Result, bail};

/// The most memory one plugin instance may use.
const PLUGIN_MEMORY: usize = 64 << 20;

/// A linked plugin's store data: moth, as granted to it, and its limits.
struct Linked {
    auth: PluginAuth,
    limits: StoreLimits,
}

/// A composed plugin's store data: moth's imports for one tenant (moth runs
/// inside the plugin's own instance, so Argon2's memory counts here too).
struct Composed {
    imports: ComposedImports,
    limits: StoreLimits,
}

impl ComposedView for Composed {
    fn composed_imports(&mut self) -> &mut ComposedImports {
        &mut self.imports
    }
}

/// One engine and the two linkers, built once and used for every plugin.
pub struct PluginHost {
    engine: Engine,
    linked: Linker<Linked>,
    composed: Linker<Composed>,
}

impl PluginHost {
    /// An engine and linkers for both ways of running plugins.
    pub fn new() -> Result<PluginHost> {
        let engine = Engine::new(&Config::new())?;
        let mut linked = Linker::new(&engine);
        plugin::add_to_linker(&mut linked, |s: &mut Linked| &s.auth)?;
        let mut composed = Linker::new(&engine);
        plugin::add_imports_to_linker(&mut composed)?;
        Ok(PluginHost {
            engine,
            linked,
            composed,
        })
    }

    /// Compile a plugin (a component's bytes).
    pub fn load(&self, bytes: &[u8]) -> Result<Component> {
        Component::new(&self.engine, bytes).context("the plugin is not a valid component")
    }

    /// Call `export(args…)` on a fresh instance of a plugin that imports
    /// moth's interfaces, bound to `moth`'s tenant and allowed `grants`.
    pub fn call_linked(
        &self,
        plugin: &Component,
        moth: Moth,
        grants: Grants,
        export: &str,
        args: &[String],
    ) -> Result<String> {
        let mut store = Store::new(
            &self.engine,
            Linked {
                auth: PluginAuth::new(moth, grants),
                limits: limits(PLUGIN_MEMORY),
            },
        );
        store.limiter(|s| &mut s.limits);
        let instance = self.linked.instantiate(&mut store, plugin)?;
        call(&mut store, instance, export, args)
    }

    /// Call `export(args…)` on a fresh instance of a plugin composed with
    /// moth, whose store, clock and random are `moth`'s tenant's.
    pub fn call_composed(
        &self,
        composed: &Component,
        moth: &Moth,
        export: &str,
        args: &[String],
    ) -> Result<String> {
        let mut store = Store::new(
            &self.engine,
            Composed {
                imports: ComposedImports::new(moth),
                // moth's instance inside needs room for Argon2's memory.
                limits: limits(PLUGIN_MEMORY + moth::RuntimeOptions::default().max_instance_memory),
            },
        );
        store.limiter(|s| &mut s.limits);
        let instance = self.composed.instantiate(&mut store, composed)?;
        call(&mut store, instance, export, args)
    }
}

fn limits(memory: usize) -> StoreLimits {
    StoreLimitsBuilder::new().memory_size(memory).build()
}

/// Call a plugin export taking strings and returning one string.
fn call<T>(
    store: &mut Store<T>,
    instance: moth::wasmtime::component::Instance,
    export: &str,
    args: &[String],
) -> Result<String> {
    let func = instance
        .get_func(&mut *store, export)
        .with_context(|| format!("the plugin exports no function `{export}`"))?;
    let params: Vec<Val> = args.iter().cloned().map(Val::String).collect();
    let mut results = [Val::Bool(false)];
    func.call(&mut *store, &params, &mut results)
        .with_context(|| format!("the plugin's `{export}` failed"))?;
    match results {
        [Val::String(s)] => Ok(s),
        other => bail!("`{export}` returned {other:?}, not a string"),
    }
}
