//! The exported `attempts` interface: each function delegates to
//! [`moth_core::Auth`].

use crate::bindings::Component;
use crate::bindings::exports::moth::auth::attempts::{
    Error, EventKind, Guest, LockPage, LockSubject, LogFilter, LogPage, LoginContext, LoginGrant,
    PurgeOutcome,
};
use crate::convert::wit;
use crate::imports::auth;

impl Guest for Component {
    fn login_from(
        username: String,
        password: String,
        lifetime: Option<u64>,
        context: LoginContext,
    ) -> Result<LoginGrant, Error> {
        wit(auth().login_from(&username, &password, lifetime, &context.into()))
    }

    fn check_password_from(
        username: String,
        password: String,
        context: LoginContext,
    ) -> Result<bool, Error> {
        wit(auth().check_password_from(&username, &password, &context.into()))
    }

    fn list_attempts(
        filter: LogFilter,
        after: Option<String>,
        limit: u32,
    ) -> Result<LogPage, Error> {
        wit(auth().list_attempts(&filter.into(), after.as_deref(), limit))
    }

    fn list_events(filter: LogFilter, after: Option<String>, limit: u32) -> Result<LogPage, Error> {
        wit(auth().list_events(&filter.into(), after.as_deref(), limit))
    }

    fn purge_attempts(
        username: Option<String>,
        older_than: Option<u64>,
        kind: Option<EventKind>,
        after: Option<String>,
    ) -> Result<PurgeOutcome, Error> {
        wit(auth().purge_attempts(
            username.as_deref(),
            older_than,
            kind.map(Into::into),
            after.as_deref(),
        ))
    }

    fn list_locks(after: Option<String>, limit: u32) -> Result<LockPage, Error> {
        wit(auth().list_locks(after.as_deref(), limit))
    }

    fn unlock(subject: LockSubject) -> Result<bool, Error> {
        wit(auth().unlock(&subject.into()))
    }
}
