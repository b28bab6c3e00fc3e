//! The exported `accounts` interface: each function delegates to
//! [`moth_core::Auth`].

use crate::bindings::Component;
use crate::bindings::exports::moth::auth::accounts::{AccountState, Error, Guest, UserId};
use crate::convert::wit;
use crate::imports::auth;

impl Guest for Component {
    fn get_account_state(id: UserId) -> Result<AccountState, Error> {
        wit(auth().get_account_state(id))
    }

    fn set_account_state(id: UserId, state: AccountState) -> Result<(), Error> {
        wit(auth().set_account_state(id, &state.into()))
    }
}
