//! Consents: which scopes a user has allowed a client, remembered so that
//! the consent page is shown only for something new, listed for the user,
//! and revocable by them. Revoking a consent ends every grant the client
//! holds for the user: a grant stands only while the consent it was made
//! under (its epoch) does.

use super::Scopes;
use super::clients::{client_id_bytes, client_id_string};
use crate::env::{Env, Guard, Write};
use crate::error::{Error, Result};
use crate::record::ConsentRecord;
use crate::txn::{Attempt, committed, retry};
use crate::{Auth, keys};

/// The most consents one user's listing (and deletion) reads.
pub const MAX_CONSENTS: u32 = 1000;

/// A user's consent to a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consent {
    /// The client's id.
    pub client_id: String,
    /// The client's name.
    pub client_name: String,
    /// The scopes consented to.
    pub scopes: Scopes,
    /// Unix seconds of the first consent since the last revocation.
    pub since: u64,
}

/// A consent as read, with the bytes that guard commits on its account.
pub(super) struct StoredConsent {
    pub key: Vec<u8>,
    pub bytes: Option<Vec<u8>>,
    pub record: Option<ConsentRecord>,
}

impl StoredConsent {
    pub fn guard(&self) -> Guard {
        Guard::equals(self.key.clone(), self.bytes.clone())
    }

    /// The consent widened to `scopes` at `now`, and its epoch: its
    /// `since` and epoch stay; a new one gets `epoch`.
    pub fn widened(&self, scopes: &Scopes, now: u64, epoch: u64) -> Result<(Write, u64)> {
        let record = match &self.record {
            Some(r) => ConsentRecord {
                scopes: parse(&r.scopes)?.union(scopes)?.to_string(),
                ..r.clone()
            },
            None => ConsentRecord {
                scopes: scopes.to_string(),
                since: now,
                epoch,
            },
        };
        Ok((Write::put(self.key.clone(), record.encode()), record.epoch))
    }
}

fn parse(scopes: &str) -> Result<Scopes> {
    Scopes::parse(scopes).map_err(|_| Error::Storage("corrupt OAuth consent record".into()))
}

impl<E: Env> Auth<E> {
    /// Whether user `user` has consented to every scope of `scopes` for
    /// client `client_id`: if so, the consent page need not be shown.
    pub fn consent_covers(&self, user: u64, client_id: &str, scopes: &Scopes) -> Result<bool> {
        let Some(client) = client_id_bytes(client_id) else {
            return Ok(false);
        };
        Ok(match self.load_consent(user, &client)?.record {
            Some(r) => scopes.is_subset(&parse(&r.scopes)?),
            None => false,
        })
    }

    /// User `user`'s consents, in client id order, up to
    /// [`MAX_CONSENTS`]; consents to clients since deleted are left out.
    pub fn list_consents(&self, user: u64) -> Result<Vec<Consent>> {
        let (start, end) = keys::oauth_consents_of(user);
        let mut out = Vec::new();
        for (key, value) in self.env.scan(&start, &end, MAX_CONSENTS)? {
            let client = keys::oauth_consent_client(&key)
                .ok_or_else(|| Error::Storage("corrupt OAuth consent key".into()))?;
            let Some(c) = self.get_client(&client_id_string(&client))? else {
                continue;
            };
            let record = ConsentRecord::decode(&value)?;
            out.push(Consent {
                client_id: c.id,
                client_name: c.name,
                scopes: parse(&record.scopes)?,
                since: record.since,
            });
        }
        Ok(out)
    }

    /// Revoke user `user`'s consent to client `client_id`, and so every
    /// grant (code, access and refresh token) the client holds for them;
    /// whether there was one.
    pub fn revoke_consent(&self, user: u64, client_id: &str) -> Result<bool> {
        let Some(client) = client_id_bytes(client_id) else {
            return Ok(false);
        };
        retry(|| {
            let stored = self.load_consent(user, &client)?;
            if stored.record.is_none() {
                return Ok(Attempt::Done(false));
            }
            committed(
                self.env
                    .commit(&[stored.guard()], &[Write::delete(stored.key.clone())]),
                true,
            )
        })
    }

    pub(super) fn load_consent(&self, user: u64, client: &[u8; 16]) -> Result<StoredConsent> {
        let key = keys::oauth_consent(user, client);
        let bytes = self.env.get(&key)?;
        let record = bytes.as_deref().map(ConsentRecord::decode).transpose()?;
        Ok(StoredConsent { key, bytes, record })
    }

    /// Whether user `user` consents to `client` (under `epoch`, when
    /// given: the consent a grant was made under): the guard that keeps it
    /// so until a commit, and the consent's epoch.
    pub(super) fn consent_stands(
        &self,
        user: u64,
        client: &[u8; 16],
        epoch: Option<u64>,
    ) -> Result<Option<(Guard, u64)>> {
        let stored = self.load_consent(user, client)?;
        Ok(match &stored.record {
            Some(r) if epoch.is_none_or(|e| e == r.epoch) => Some((stored.guard(), r.epoch)),
            _ => None,
        })
    }

    /// The deletes of all of user `id`'s consents (with `delete_user`).
    pub(crate) fn user_consent_deletes(&self, id: u64) -> Result<Vec<Write>> {
        let (start, end) = keys::oauth_consents_of(id);
        Ok(self
            .env
            .scan(&start, &end, MAX_CONSENTS)?
            .into_iter()
            .map(|(key, _)| Write::delete(key))
            .collect())
    }
}
