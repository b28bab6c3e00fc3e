//! Linking: moth's exported interfaces defined in a plugin's `Linker`, each
//! call checked against the plugin's grants and forwarded to moth's pool.
//!
//! The functions are defined with dynamic values (`func_new`): wasmtime
//! lifts the plugin's arguments into [`Val`]s, which hold no reference to
//! the plugin's memory, and moth's instance lowers them again, checking
//! them against its own signature. The plugin host's engine and moth's are
//! separate, so moth's limits hold whatever the plugin host configures.

use std::collections::BTreeMap;

use wasmtime::component::types::ComponentFunc;
use wasmtime::component::{Linker, Val};

use super::Grants;
use crate::Moth;
use crate::error::{Error, Result};
use crate::ops::{self, Op};

/// What a plugin's store carries for moth: a handle on the one tenant its
/// calls reach, and the operations it may call.
#[derive(Clone, Debug)]
pub struct PluginAuth {
    moth: Moth,
    grants: Grants,
}

impl PluginAuth {
    /// A plugin bound to `moth`'s tenant, allowed `grants`.
    pub fn new(moth: Moth, grants: Grants) -> PluginAuth {
        PluginAuth { moth, grants }
    }

    /// The handle the plugin's calls go through.
    pub fn moth(&self) -> &Moth {
        &self.moth
    }

    /// What the plugin may call.
    pub fn grants(&self) -> &Grants {
        &self.grants
    }

    /// Serve one call of the plugin's: `ty` is the plugin's view of the
    /// signature. Refused with the WIT's `invalid-input` error if not
    /// granted, else run by moth.
    fn serve(
        &self,
        op: Op,
        ty: &ComponentFunc,
        params: &[Val],
        results: &mut [Val],
    ) -> wasmtime::Result<()> {
        // A plugin built against another WIT could not take moth's answer,
        // not even the refusal: either way its call traps before anything
        // runs (`call_values` checks too).
        if !self.grants.allows(op.name) {
            self.moth
                .check_signature(op, ty)
                .map_err(wasmtime::Error::new)?;
            tracing::debug!(
                tenant = self.moth.tenant_name(),
                op = op.name,
                "plugin call refused: not granted"
            );
            let [result] = results else {
                wasmtime::bail!("`{}` returns one result", op.name);
            };
            *result = not_granted(op);
            return Ok(());
        }
        // A failure of moth itself (overloaded, timed out, tenant deleted,
        // a trap in moth's instance) has no WIT error to become: it traps
        // the plugin's call, with the `moth::Error` as the cause.
        self.moth
            .call_values(op, ty, params, results)
            .map_err(wasmtime::Error::new)
    }
}

/// The WIT value `err(invalid-input("…"))`: every moth operation returns
/// `result<_, error>`.
fn not_granted(op: Op) -> Val {
    let message = format!("`{}` is not granted to this plugin", op.name);
    Val::Result(Err(Some(Box::new(Val::Variant(
        "invalid-input".into(),
        Some(Box::new(Val::String(message))),
    )))))
}

/// Define every function of moth's interfaces (`moth:auth/<interface>` at
/// the component's WIT version, and the type-only `moth:auth/types`) in `linker`. A plugin's call reaches the
/// [`PluginAuth`] that `get` finds in its store's data: refused unless
/// granted there, else served by its [`Moth`] handle like any typed call.
///
/// A plugin may import any subset of the interfaces. Calls block the
/// calling thread for as long as moth's call takes (tens of milliseconds
/// for Argon2 work).
pub fn add_to_linker<T: 'static>(
    linker: &mut Linker<T>,
    get: impl Fn(&mut T) -> &PluginAuth + Send + Sync + Copy + 'static,
) -> Result<()> {
    let mut by_interface: BTreeMap<&str, Vec<Op>> = BTreeMap::new();
    for op in ops::ALL {
        by_interface.entry(op.interface).or_default().push(*op);
    }
    // Plugins import the shared types' interface too; it has no functions.
    linker
        .instance(&ops::instance_name("types"))
        .map_err(Error::Component)?;
    for (interface, ops) in by_interface {
        let mut instance = linker
            .instance(&ops::instance_name(interface))
            .map_err(Error::Component)?;
        for op in ops {
            instance
                .func_new(op.name, move |mut store, ty, params, results| {
                    get(store.data_mut()).serve(op, &ty, params, results)
                })
                .map_err(Error::Component)?;
        }
    }
    Ok(())
}
