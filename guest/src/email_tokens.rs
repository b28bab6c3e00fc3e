//! The exported `email-tokens` interface: each function delegates to
//! [`moth_core::Auth`].

use crate::bindings::Component;
use crate::bindings::exports::moth::auth::email_tokens::{
    EmailToken, EmailTokenInfo, EmailTokenOptions, Error, Guest,
};
use crate::convert::{wit, wit_list};
use crate::imports::auth;

impl Guest for Component {
    fn create_email_token(
        address: String,
        options: EmailTokenOptions,
    ) -> Result<EmailToken, Error> {
        wit(auth().create_email_token(&address, &options.into()))
    }

    fn auth_email_token(
        address: String,
        token: String,
        ip: Option<String>,
    ) -> Result<Option<String>, Error> {
        wit(auth().auth_email_token(&address, &token, ip.as_deref()))
    }

    fn set_email_token_retval(
        address: String,
        token: String,
        retval: Option<String>,
    ) -> Result<(), Error> {
        wit(auth().set_email_token_retval(&address, &token, retval.as_deref()))
    }

    fn remove_email_token(address: String, token: String) -> Result<(), Error> {
        wit(auth().remove_email_token(&address, &token))
    }

    fn list_email_tokens(address: String) -> Result<Vec<EmailTokenInfo>, Error> {
        wit_list(auth().list_email_tokens(&address))
    }

    fn revoke_email_token(address: String, id: String) -> Result<(), Error> {
        wit(auth().revoke_email_token(&address, &id))
    }

    fn remove_email_address(address: String) -> Result<u64, Error> {
        wit(auth().remove_email_address(&address))
    }
}
