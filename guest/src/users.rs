//! The exported `users` interface: each function delegates to
//! [`moth_core::Auth`].

use crate::bindings::Component;
use crate::bindings::exports::moth::auth::users::{Error, Guest, User, UserId, UserPage};
use crate::convert::wit;
use crate::imports::auth;

impl Guest for Component {
    fn create_user(username: String, password: String, permissions: String) -> Result<User, Error> {
        #[cfg(feature = "fault-injection")]
        crate::faults::inject(&username);
        wit(auth().create_user(&username, &password, &permissions))
    }

    fn delete_user(id: UserId) -> Result<(), Error> {
        wit(auth().delete_user(id))
    }

    fn get_user(id: UserId) -> Result<User, Error> {
        wit(auth().get_user(id))
    }

    fn list_users(after: Option<UserId>, limit: u32) -> Result<UserPage, Error> {
        wit(auth().list_users(after, limit))
    }

    fn set_password(id: UserId, password: String) -> Result<(), Error> {
        wit(auth().set_password(id, &password))
    }

    fn set_permissions(id: UserId, permissions: String) -> Result<(), Error> {
        wit(auth().set_permissions(id, &permissions))
    }

    fn check_password(username: String, password: String) -> Result<bool, Error> {
        wit(auth().check_password(&username, &password))
    }
}
