//! What issuing shares: a grant as read, with what guards commits on its
//! account; the writes of a new grant and its first tokens, and of each
//! token; and the loading of grants and tokens.

use super::{OAuthLifetimes, TokenResponse, add};
use crate::env::{Env, Guard, Write};
use crate::error::Result;
use crate::oauth::Scopes;
use crate::record::{GrantRecord, OAuthTokenRecord, TokenKind};
use crate::token::{self, OAUTH_ACCESS_PREFIX, OAUTH_REFRESH_PREFIX};
use crate::{Auth, keys};

/// A grant as read, with the bytes that guard commits made on its account.
pub(super) struct StoredGrant {
    pub(super) id: [u8; 16],
    bytes: Vec<u8>,
    pub(super) record: GrantRecord,
}

impl StoredGrant {
    pub(super) fn guard(&self) -> Guard {
        Guard::equals(keys::oauth_grant(&self.id), Some(self.bytes.clone()))
    }

    pub(super) fn revoke(&self) -> Write {
        Write::delete(keys::oauth_grant(&self.id))
    }
}

impl<E: Env> Auth<E> {
    pub(super) fn load_oauth_token(&self, digest: &[u8; 32]) -> Result<Option<OAuthTokenRecord>> {
        self.env
            .get(&keys::oauth_token(digest))?
            .map(|b| OAuthTokenRecord::decode(&b))
            .transpose()
    }

    pub(super) fn load_grant(&self, id: &[u8; 16]) -> Result<Option<StoredGrant>> {
        let Some(bytes) = self.env.get(&keys::oauth_grant(id))? else {
            return Ok(None);
        };
        let record = GrantRecord::decode(&bytes)?;
        Ok(Some(StoredGrant {
            id: *id,
            bytes,
            record,
        }))
    }

    /// A random grant id; its record is guarded absent when written, so a
    /// collision conflicts and draws again.
    pub(super) fn mint_grant_id(&self) -> Result<[u8; 16]> {
        let mut id = [0u8; 16];
        self.env.random(&mut id);
        Ok(id)
    }

    /// The writes of a new grant and its first tokens.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn issue_tokens(
        &self,
        grant_id: [u8; 16],
        client: [u8; 16],
        user: Option<(u64, u64, u64)>,
        scopes: Scopes,
        refresh: bool,
        lifetimes: &OAuthLifetimes,
        now: u64,
    ) -> Issued {
        let access_token = token::mint_prefixed(&self.env, OAUTH_ACCESS_PREFIX);
        let expires = if refresh {
            add(now, lifetimes.refresh)
        } else {
            add(now, lifetimes.access)
        };
        // No token outlives its grant.
        let access_expires = add(now, lifetimes.access).min(expires);
        let mut grant = GrantRecord {
            client,
            user,
            scopes: scopes.to_string(),
            created: now,
            expires,
            refresh: Vec::new(),
            replaced: Vec::new(),
            rotated: 0,
        };
        let mut issued = Issued {
            grant_expires: expires,
            ..Issued::default()
        };
        let carried = scopes.to_string();
        issued.token(
            &access_token,
            TokenKind::Access,
            grant_id,
            now,
            access_expires,
            &carried,
        );
        let refresh_token = refresh.then(|| {
            let t = token::mint_prefixed(&self.env, OAUTH_REFRESH_PREFIX);
            grant.refresh = vec![token::digest(&t)];
            let idle = add(now, lifetimes.refresh_idle).min(grant.expires);
            issued.token(&t, TokenKind::Refresh, grant_id, now, idle, &carried);
            t
        });
        let key = keys::oauth_grant(&grant_id);
        issued.guards.push(Guard::absent(key.clone()));
        issued.writes.push(Write::put(key, grant.encode()));
        issued.writes.push(Write::put(
            keys::expiry(grant.expires, &keys::grant_expiry_digest(&grant_id)),
            vec![keys::OAUTH_GRANT],
        ));
        issued.response = TokenResponse {
            access_token,
            expires_in: access_expires.saturating_sub(now),
            refresh_token,
            scopes,
        };
        issued
    }
}

/// Guards, writes and the answer of one issuance.
pub(super) struct Issued {
    pub(super) guards: Vec<Guard>,
    pub(super) writes: Vec<Write>,
    pub(super) response: TokenResponse,
    /// When the grant ends.
    pub(super) grant_expires: u64,
}

impl Default for Issued {
    fn default() -> Self {
        Issued {
            guards: Vec::new(),
            writes: Vec::new(),
            response: TokenResponse {
                access_token: String::new(),
                expires_in: 0,
                refresh_token: None,
                scopes: Scopes::default(),
            },
            grant_expires: 0,
        }
    }
}

impl Issued {
    /// Store token `t` (guarded absent: a collision of 256 random bits
    /// conflicts rather than overwrites), indexed by expiry for sweeping.
    pub(super) fn token(
        &mut self,
        t: &str,
        kind: TokenKind,
        grant: [u8; 16],
        issued: u64,
        expires: u64,
        scopes: &str,
    ) {
        let digest = token::digest(t);
        let key = keys::oauth_token(&digest);
        self.writes.push(Write::put(
            keys::expiry(expires, &digest),
            vec![keys::OAUTH_TOKEN],
        ));
        let record = OAuthTokenRecord {
            kind,
            grant,
            issued,
            expires,
            scopes: scopes.to_owned(),
        };
        self.guards.push(Guard::absent(key.clone()));
        self.writes.push(Write::put(key, record.encode()));
    }
}
