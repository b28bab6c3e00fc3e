//! Static composition: a plugin and moth's component made into one
//! component, and the imports that component still has (moth's own: store,
//! wall clock, random) supplied for one tenant.

use wac_graph::types::Package;
use wac_graph::{CompositionGraph, EncodeOptions};
use wasmtime::component::{HasSelf, Linker};

use crate::bindings::{store, wasi};
use crate::error::{Error, Result};
use crate::{Capabilities, Moth, runtime};

/// Compose `plugin` (a component's bytes) with moth's embedded component:
/// every import of a `moth:auth` interface is satisfied by moth's export,
/// and the result imports what moth imports (store, wall clock, random)
/// plus whatever else the plugin imports. The plugin must import at least
/// one of moth's interfaces, with the types moth exports.
pub fn compose(plugin: &[u8]) -> Result<Vec<u8>> {
    compose_with(runtime::COMPONENT, plugin)
}

/// [`compose`] with another build of moth's component.
pub(crate) fn compose_with(moth: &[u8], plugin: &[u8]) -> Result<Vec<u8>> {
    let fail = |what: &str| {
        let what = what.to_owned();
        move |e: Box<dyn std::error::Error + Send + Sync>| Error::Compose(what, e)
    };
    let mut graph = CompositionGraph::new();
    let moth = Package::from_bytes("moth:auth", None, moth, graph.types_mut())
        .map_err(|e| fail("moth's component cannot be read")(e.into()))?;
    let plugin = Package::from_bytes("moth:plugin", None, plugin, graph.types_mut())
        .map_err(|e| fail("the plugin is not a readable component")(e.into()))?;
    let moth = graph
        .register_package(moth)
        .map_err(|e| fail("moth's component cannot be registered")(e.into()))?;
    let plugin = graph
        .register_package(plugin)
        .map_err(|e| fail("the plugin cannot be registered")(e.into()))?;
    wac_graph::plug(&mut graph, vec![moth], plugin)
        .map_err(|e| fail("it imports none of moth's interfaces with moth's types")(e.into()))?;
    graph
        .encode(EncodeOptions::default())
        .map_err(|e| fail("the composition cannot be encoded")(e.into()))
}

/// What a composed plugin's store carries for moth: the capabilities of
/// one tenant (its key space, the clock, the random source).
#[derive(Clone, Debug)]
pub struct ComposedImports {
    caps: Capabilities,
}

impl ComposedImports {
    /// The imports of `moth`'s tenant, as its own instances see them.
    pub fn new(moth: &Moth) -> ComposedImports {
        ComposedImports {
            caps: moth.tenant_caps().clone(),
        }
    }
}

/// A store's data that holds [`ComposedImports`] (as wasmtime-wasi's
/// `WasiView` holds a WASI context).
pub trait ComposedView: 'static {
    /// The imports this store's composed plugin reaches.
    fn composed_imports(&mut self) -> &mut ComposedImports;
}

/// Define moth's three imports (`moth:auth/store`, `wasi:clocks/wall-clock`,
/// `wasi:random/random`) in `linker`, served from the store data's
/// [`ComposedImports`]: what a component made by [`compose`] needs to run.
pub fn add_imports_to_linker<T: ComposedView>(linker: &mut Linker<T>) -> Result<()> {
    fn caps<T: ComposedView>(t: &mut T) -> &mut Capabilities {
        &mut t.composed_imports().caps
    }
    let caps = caps::<T>;
    store::add_to_linker::<T, HasSelf<Capabilities>>(linker, caps).map_err(Error::Component)?;
    wasi::clocks::wall_clock::add_to_linker::<T, HasSelf<Capabilities>>(linker, caps)
        .map_err(Error::Component)?;
    wasi::random::random::add_to_linker::<T, HasSelf<Capabilities>>(linker, caps)
        .map_err(Error::Component)?;
    Ok(())
}
