//! The `api-keys` interface: named, long-lived keys of users and services.

use std::time::Duration;

use crate::error::Result;
use crate::ops;
use crate::{ApiKey, KeyOwner, Moth, NewApiKey};

impl Moth {
    /// Create a key for `owner`, valid for `lifetime` or until revoked.
    /// The secret is in the result and nowhere else.
    pub fn create_api_key(
        &self,
        owner: &KeyOwner,
        name: &str,
        scopes: &str,
        lifetime: Option<Duration>,
    ) -> Result<NewApiKey> {
        let lifetime = lifetime.map(|d| d.as_secs());
        let key = self
            .call(ops::CREATE_API_KEY, |i| {
                let (keys, store) = i.api_keys();
                keys.call_create_api_key(store, &owner.into(), name, scopes, lifetime)
            })
            .map(NewApiKey::from)?;
        if let Some(expires) = key.info.expires {
            self.sweep_state().minted(expires);
        }
        Ok(key)
    }

    /// The metadata of a live key (its owner, name, scopes and expiry).
    pub fn verify_api_key(&self, key: &str) -> Result<ApiKey> {
        self.call(ops::VERIFY_API_KEY, |i| {
            let (keys, store) = i.api_keys();
            keys.call_verify_api_key(store, key)
        })
        .map(ApiKey::from)
    }

    /// The metadata of a live key by its id, without using it.
    pub fn get_api_key(&self, id: &str) -> Result<ApiKey> {
        self.call(ops::GET_API_KEY, |i| {
            let (keys, store) = i.api_keys();
            keys.call_get_api_key(store, id)
        })
        .map(ApiKey::from)
    }

    /// The owner's keys, oldest first: metadata only.
    pub fn list_api_keys(&self, owner: &KeyOwner) -> Result<Vec<ApiKey>> {
        self.call(ops::LIST_API_KEYS, |i| {
            let (keys, store) = i.api_keys();
            keys.call_list_api_keys(store, &owner.into())
        })
        .map(|list| list.into_iter().map(ApiKey::from).collect())
    }

    /// Delete a key by its public id.
    pub fn revoke_api_key(&self, id: &str) -> Result<()> {
        self.call(ops::REVOKE_API_KEY, |i| {
            let (keys, store) = i.api_keys();
            keys.call_revoke_api_key(store, id)
        })
    }

    /// Replace a key by a new one of the same owner, name, scopes and
    /// lifetime; the old one dies at once, or after `overlap` (at most 7 days).
    pub fn rotate_api_key(&self, id: &str, overlap: Duration) -> Result<NewApiKey> {
        let overlap = overlap.as_secs();
        let key = self
            .call(ops::ROTATE_API_KEY, |i| {
                let (keys, store) = i.api_keys();
                keys.call_rotate_api_key(store, id, overlap)
            })
            .map(NewApiKey::from)?;
        // The old key now expires at the latest when the overlap ends.
        if overlap > 0 {
            self.sweep_state()
                .minted(key.info.created.saturating_add(overlap));
        }
        if let Some(expires) = key.info.expires {
            self.sweep_state().minted(expires);
        }
        Ok(key)
    }

    /// Delete every key of the owner; returns how many were live.
    pub fn revoke_api_keys(&self, owner: &KeyOwner) -> Result<u64> {
        self.call(ops::REVOKE_API_KEYS, |i| {
            let (keys, store) = i.api_keys();
            keys.call_revoke_api_keys(store, &owner.into())
        })
    }
}
