//! The `moth:auth` component: the WIT world's glue around [`moth_core`].
//!
//! Everything here is delegation and conversion: the WIT imports become a
//! [`moth_core::Env`] (`imports`), each exported interface is one `Guest`
//! impl that calls [`moth_core::Auth`] (`users`, `sessions`, `settings`),
//! and every conversion between WIT and core types is written once
//! (`convert`). The logic itself is in `moth-core`, which is also built
//! natively.
//!
//! The glue exists only on `wasm32`: natively there is nothing to export
//! (the logic is `moth-core`, which builds and is tested natively), and the
//! WIT export names are not valid native symbol names.

// Only the generated bindings (and the export they define) use `unsafe`.
#![deny(unsafe_code)]

#[cfg(target_arch = "wasm32")]
mod accounts;
#[cfg(target_arch = "wasm32")]
mod api_keys;
#[cfg(target_arch = "wasm32")]
mod attempts;
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod bindings;
#[cfg(target_arch = "wasm32")]
mod convert;
#[cfg(target_arch = "wasm32")]
mod email_tokens;
#[cfg(all(target_arch = "wasm32", feature = "fault-injection"))]
mod faults;
#[cfg(target_arch = "wasm32")]
mod imports;
#[cfg(target_arch = "wasm32")]
mod oauth;
#[cfg(target_arch = "wasm32")]
mod one_time_tokens;
#[cfg(target_arch = "wasm32")]
mod roles;
#[cfg(target_arch = "wasm32")]
mod sessions;
#[cfg(target_arch = "wasm32")]
mod settings;
#[cfg(target_arch = "wasm32")]
mod users;
