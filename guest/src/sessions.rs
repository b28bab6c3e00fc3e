//! The exported `sessions` interface: each function delegates to
//! [`moth_core::Auth`].

use crate::bindings::Component;
use crate::bindings::exports::moth::auth::sessions::{
    Error, Guest, Session, SweepOutcome, UserId, Validation,
};
use crate::convert::wit;
use crate::imports::auth;

impl Guest for Component {
    fn login(username: String, password: String, lifetime: Option<u64>) -> Result<Session, Error> {
        wit(auth().login(&username, &password, lifetime))
    }

    fn validate(token: String) -> Result<Validation, Error> {
        wit(auth().validate(&token))
    }

    fn logout(token: String) -> Result<(), Error> {
        wit(auth().logout(&token))
    }

    fn count_tokens(id: UserId) -> Result<u64, Error> {
        wit(auth().count_tokens(id))
    }

    fn delete_tokens(id: UserId) -> Result<u64, Error> {
        wit(auth().delete_tokens(id))
    }

    fn sweep(limit: u32) -> Result<SweepOutcome, Error> {
        wit(auth().sweep(limit))
    }
}
