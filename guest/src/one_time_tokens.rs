//! The exported `one-time-tokens` interface: each function delegates to
//! [`moth_core::Auth`].

use crate::bindings::Component;
use crate::bindings::exports::moth::auth::one_time_tokens::{
    Error, Guest, OneTimeToken, User, UserId,
};
use crate::convert::wit;
use crate::imports::auth;

impl Guest for Component {
    fn issue_one_time_token(
        id: UserId,
        purpose: String,
        lifetime: Option<u64>,
    ) -> Result<OneTimeToken, Error> {
        wit(auth().issue_one_time_token(id, &purpose, lifetime))
    }

    fn redeem_one_time_token(token: String, purpose: String) -> Result<User, Error> {
        wit(auth().redeem_one_time_token(&token, &purpose))
    }

    fn reset_password(token: String, new_password: String) -> Result<User, Error> {
        wit(auth().reset_password(&token, &new_password))
    }
}
