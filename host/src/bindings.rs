//! The generated bindings of the `moth:auth` world, in one place, and the
//! state each wasmtime `Store` carries.

// The generated items carry the WIT's documentation where it has any; the
// rest (constructors, accessors) are wasmtime's and undocumented.
#![allow(missing_docs)]

use crate::caps::Capabilities;
use crate::runtime::MemoryCap;

wasmtime::component::bindgen!({
    world: "auth",
    path: "../wit",
    // Every import may trap: a host that cannot serve one (no randomness,
    // say) stops the call instead of panicking or lying to the guest.
    imports: { default: trappable },
});

pub(crate) use self::moth::auth::store;
pub(crate) use exports::moth::auth::{
    accounts, api_keys, attempts, email_tokens, oauth, one_time_tokens, roles, sessions, settings,
    types, users,
};

/// What each wasmtime `Store` carries: the capabilities its imports reach
/// and its limits.
pub(crate) struct HostState {
    /// The capabilities the instance's imports reach.
    pub caps: Capabilities,
    /// The instance's memory cap.
    pub limits: MemoryCap,
}
