//! The exported `settings` interface: each function delegates to
//! [`moth_core::Auth`].

use crate::bindings::Component;
use crate::bindings::exports::moth::auth::settings::{Error, Guest, Settings};
use crate::convert::wit;
use crate::imports::auth;

impl Guest for Component {
    fn get_settings() -> Result<Settings, Error> {
        wit(auth().get_settings())
    }

    fn set_settings(settings: Settings) -> Result<(), Error> {
        wit(auth().set_settings(settings.into()))
    }
}
