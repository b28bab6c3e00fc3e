//! Static composition: a plugin and moth's component made into one
//! component, and the imports that component still has (moth's own: store,
//! wall clock, random) supplied for one tenant.

use wac_graph::types::{Package, Types};
use wac_graph::{CompositionGraph, EncodeOptions};
use wasmtime::component::{HasSelf, Linker};

use crate::bindings::{store, wasi};
use crate::error::{Error, Result};
use crate::ops;
use crate::{Capabilities, Moth, runtime};

/// Compose `plugin` (a component's bytes) with moth's embedded component:
/// every import of a `moth:auth` interface is satisfied by moth's export,
/// and the result imports only what moth imports (its store, the wall
/// clock, random). Refused with [`Error::Compose`]: what is not a
/// component; a plugin that imports none of moth's interfaces, or one with
/// other types than moth's (built against another WIT); a plugin that
/// imports moth's store, which would reach the tenant's data without
/// moth's rules; a plugin with any other import, which moth's host could
/// not supply.
pub fn compose(plugin: &[u8]) -> Result<Vec<u8>> {
    compose_with(runtime::COMPONENT, plugin)
}

/// Why a composition is refused, with the cause when there is one.
fn refused(
    why: impl Into<String>,
) -> impl FnOnce(Option<Box<dyn std::error::Error + Send + Sync>>) -> Error {
    let why = why.into();
    move |cause| Error::Compose(why, cause)
}

/// [`compose`] with another build of moth's component.
pub(crate) fn compose_with(moth: &[u8], plugin: &[u8]) -> Result<Vec<u8>> {
    let mut graph = CompositionGraph::new();
    let moth = Package::from_bytes(ops::PACKAGE, None, moth, graph.types_mut())
        .map_err(|e| refused("moth's component cannot be read")(Some(e.into())))?;
    let plugin = Package::from_bytes("moth:plugin", None, plugin, graph.types_mut())
        .map_err(|e| refused("the plugin is not a readable component")(Some(e.into())))?;
    let moth_imports = graph.types()[moth.ty()].imports.clone();
    let store = ops::instance_name("store");
    if graph.types()[plugin.ty()].imports.contains_key(&store) {
        return Err(refused(format!(
            "the plugin imports {store}, which would reach the tenant's data without moth's rules"
        ))(None));
    }
    let moth = graph
        .register_package(moth)
        .map_err(|e| refused("moth's component cannot be registered")(Some(e.into())))?;
    let plugin = graph
        .register_package(plugin)
        .map_err(|e| refused("the plugin cannot be registered")(Some(e.into())))?;
    wac_graph::plug(&mut graph, vec![moth], plugin).map_err(|e| {
        refused("it imports none of moth's interfaces with moth's types")(Some(e.into()))
    })?;
    let composed = graph
        .encode(EncodeOptions::default())
        .map_err(|e| refused("the composition cannot be encoded")(Some(e.into())))?;
    // Whatever the plugin imports that moth did not plug (another
    // interface, or one of moth's with other types) is left as an import
    // of the result, which then needs more than moth's three imports.
    let mut types = Types::default();
    let result = Package::from_bytes("moth:composed", None, composed.as_slice(), &mut types)
        .map_err(|e| refused("the composition cannot be read back")(Some(e.into())))?;
    let extra: Vec<&str> = types[result.ty()]
        .imports
        .keys()
        .filter(|name| !moth_imports.contains_key(*name))
        .map(String::as_str)
        .collect();
    if !extra.is_empty() {
        return Err(refused(format!(
            "the plugin imports {}, which moth does not supply (or not with these types)",
            extra.join(", ")
        ))(None));
    }
    Ok(composed)
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
