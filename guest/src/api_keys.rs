//! The exported `api-keys` interface: each function delegates to
//! [`moth_core::Auth`].

use crate::bindings::Component;
use crate::bindings::exports::moth::auth::api_keys::{ApiKey, Error, Guest, KeyOwner, NewApiKey};
use crate::convert::{wit, wit_list};
use crate::imports::auth;

impl Guest for Component {
    fn create_api_key(
        owner: KeyOwner,
        name: String,
        scopes: String,
        lifetime: Option<u64>,
    ) -> Result<NewApiKey, Error> {
        wit(auth().create_api_key(&owner.into(), &name, &scopes, lifetime))
    }

    fn verify_api_key(key: String) -> Result<ApiKey, Error> {
        wit(auth().verify_api_key(&key))
    }

    fn get_api_key(id: String) -> Result<ApiKey, Error> {
        wit(auth().get_api_key(&id))
    }

    fn list_api_keys(owner: KeyOwner) -> Result<Vec<ApiKey>, Error> {
        wit_list(auth().list_api_keys(&owner.into()))
    }

    fn revoke_api_key(id: String) -> Result<(), Error> {
        wit(auth().revoke_api_key(&id))
    }

    fn rotate_api_key(id: String, overlap: u64) -> Result<NewApiKey, Error> {
        wit(auth().rotate_api_key(&id, overlap))
    }

    fn revoke_api_keys(owner: KeyOwner) -> Result<u64, Error> {
        wit(auth().revoke_api_keys(&owner.into()))
    }
}
