//! The OAuth 2 authorization server over HTTP (RFC 6749 and the RFCs
//! around it), one tenant one issuer. Every rule is the component's; this
//! module reads requests, authenticates callers as the RFCs say, and
//! writes the answers in the RFCs' forms.
//!
//! - `authorize`: the authorization endpoint's login and consent page;
//! - `complete`: the headless completion of an authorization request;
//! - `request`: the authorization request both of those check and answer
//!   at the client's redirect URI;
//! - `token`: the token, revocation and introspection endpoints;
//! - `resource`: the bearer check for resource servers, users' consents;
//! - `clients`: RFC 7591 registration and the admin routes;
//! - `lifetimes`: the tenant's OAuth lifetimes (admin);
//! - `metadata`: RFC 8414 discovery;
//! - `issuer`, `form`, `failure`, `page`: the issuer URL, form-encoded
//!   parameters, RFC 6749 §5.2 errors, and the HTML pages.

mod authorize;
mod clients;
mod complete;
mod failure;
mod form;
mod issuer;
mod lifetimes;
mod metadata;
mod page;
mod request;
mod resource;
mod token;

pub use clients::{ClientBody, NewClientBody};
pub use lifetimes::{LifetimesBody, LifetimesPatch};

pub(super) use authorize::{authorize, decide};
pub(super) use clients::{
    delete_client, get_client, list_clients, register, rotate_secret, update_client,
};
pub(super) use complete::complete;
pub(super) use lifetimes::{get_lifetimes, set_lifetimes};
pub(super) use metadata::metadata;
pub(super) use resource::{authorize_bearer, list_consents, revoke_consent};
pub(super) use token::{introspect, revoke, token};
