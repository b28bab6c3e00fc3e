//! Linking: moth's exported interfaces defined in a plugin's `Linker`, each
//! call checked against the plugin's grants and forwarded to moth's pool.
//!
//! The functions are defined with dynamic values (`func_new`): wasmtime
//! lifts the plugin's arguments into [`Val`]s, which hold no reference to
//! the plugin's memory, and moth's instance lowers them again, checking
//! them against its own signature. The plugin host's engine and moth's are
//! separate, so moth's limits hold whatever the plugin host configures.

use std::collections::BTreeMap;

use wasmtime::component::types::{ComponentFunc, Type};
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
    /// signature. Refused with an error value if not granted (see
    /// [`not_granted`]), else run by moth.
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
            let (Some(refusal), [result]) = (not_granted(op, ty), results) else {
                wasmtime::bail!("`{}` cannot be refused with a value", op.name);
            };
            *result = refusal;
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

/// The error cases, by preference, that carry the refusal's text: moth's
/// `error` (`invalid-input`), the OAuth token endpoint's `oauth-error`
/// (`invalid-request`) and the authorization endpoint's `authorize-error`
/// (`no-redirect`: the refusal is not the redirect URI's business).
const REFUSALS: [&str; 3] = ["invalid-input", "invalid-request", "no-redirect"];

/// The refusal of `op` as a value of its result type `ty`: `err(c("…"))`
/// for the first case `c` of [`REFUSALS`] its error variant has. `None`
/// when it has none (no moth operation is so; a test checks).
fn not_granted(op: Op, ty: &ComponentFunc) -> Option<Val> {
    let Some(Type::Result(result)) = ty.results().next() else {
        return None;
    };
    let Some(Type::Variant(error)) = result.err() else {
        return None;
    };
    let case = REFUSALS.into_iter().find(|r| {
        error
            .cases()
            .any(|c| c.name == *r && matches!(c.ty, Some(Type::String)))
    })?;
    let message = format!("`{}` is not granted to this plugin", op.name);
    Some(Val::Result(Err(Some(Box::new(Val::Variant(
        case.into(),
        Some(Box::new(Val::String(message))),
    ))))))
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

#[cfg(test)]
mod tests {
    use wasmtime::component::types::ComponentItem;

    use super::not_granted;
    use crate::{Runtime, ops};

    /// Every operation has a refusal its result type can carry, with the
    /// text saying why.
    #[test]
    fn every_operation_can_be_refused_with_a_value() {
        let rt = Runtime::shared().unwrap();
        let engine = rt.engine();
        let ty = rt.component().component_type();
        for op in ops::ALL {
            let ComponentItem::ComponentInstance(iface) = ty
                .get_export(engine, &ops::instance_name(op.interface))
                .unwrap()
                .ty
            else {
                panic!("{} is not an interface", op.interface);
            };
            let ComponentItem::ComponentFunc(func) = iface.get_export(engine, op.name).unwrap().ty
            else {
                panic!("{} is not a function", op.name);
            };
            let refusal = not_granted(*op, &func).unwrap_or_else(|| panic!("{}", op.name));
            assert!(
                format!("{refusal:?}").contains("is not granted"),
                "{}",
                op.name
            );
        }
    }
}
