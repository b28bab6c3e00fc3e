//! The exported `sessions` interface: each function delegates to
//! [`moth_core::Auth`].

use crate::bindings::Component;
use crate::bindings::exports::moth::auth::sessions::{
    Error, Guest, Session, SessionInfo, SweepOutcome, UserId, Validation,
};
use crate::convert::{wit, wit_list};
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

    fn list_sessions(id: UserId) -> Result<Vec<SessionInfo>, Error> {
        wit_list(auth().list_sessions(id))
    }

    fn revoke_session(id: UserId, session: String) -> Result<(), Error> {
        wit(auth().revoke_session(id, &session))
    }

    fn revoke_other_sessions(token: String) -> Result<u64, Error> {
        wit(auth().revoke_other_sessions(&token))
    }

    fn sweep(limit: u32) -> Result<SweepOutcome, Error> {
        wit(auth().sweep(limit))
    }
}
