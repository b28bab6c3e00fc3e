//! The `moth:auth` component: the WIT world's glue around [`moth_core`].
//!
//! Everything here is conversion: WIT imports become a [`moth_core::Env`],
//! WIT exports call [`moth_core::Auth`], core errors become the WIT `error`
//! variant. The logic itself is in `moth-core`, which is also built natively.
//!
//! The glue exists only on `wasm32`: natively there is nothing to export
//! (the logic is `moth-core`, which builds and is tested natively), and the
//! WIT export names are not valid native symbol names.

#[cfg(target_arch = "wasm32")]
mod component;
