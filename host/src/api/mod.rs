//! The typed operations of [`Moth`](crate::Moth), one file per WIT
//! interface. Each operation is one wrapper: call the export of the same
//! name on a pooled instance and convert its result (`convert.rs`).

mod accounts;

pub use accounts::AccountStateChange;
pub use oauth::Authorization;
pub use roles::GrantNames;
mod api_keys;
mod attempts;
mod email_tokens;
mod oauth;
mod one_time_tokens;
mod roles;
mod sessions;
mod settings;
mod users;
