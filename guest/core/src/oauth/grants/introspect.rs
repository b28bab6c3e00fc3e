//! Introspection of what the grants issue (RFC 7662), and a resource
//! server's check of a bearer access token (RFC 6750).

use crate::env::Env;
use crate::error::{Error, Result};
use crate::oauth::Scopes;
use crate::oauth::clients::client_id_string;
use crate::record::TokenKind;
use crate::token::{self, OAUTH_ACCESS_PREFIX, OAUTH_REFRESH_PREFIX};
use crate::{Auth, keys};

/// What introspection tells of an active token (RFC 7662 §2.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenInfo {
    /// Whether it is an access token (else a refresh token).
    pub access: bool,
    /// `client_id`.
    pub client_id: String,
    /// The user (`sub`), unless the client acts for itself.
    pub user: Option<u64>,
    /// The user's username (`username`).
    pub username: Option<String>,
    /// `scope`.
    pub scopes: Scopes,
    /// `exp`.
    pub expires: u64,
    /// `iat`: when the token was issued.
    pub issued: u64,
}

/// Why a resource server refuses a bearer token (RFC 6750 §3.1).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BearerError {
    /// `invalid_token`: not an active access token.
    #[error("invalid_token")]
    InvalidToken,
    /// `insufficient_scope`: active, but without every required scope.
    #[error("insufficient_scope")]
    InsufficientScope,
}

impl<E: Env> Auth<E> {
    /// What token `token` is, if it is active (RFC 7662): an access or
    /// refresh token, unexpired, whose grant stands, whose user (if any)
    /// still exists unrevoked and enabled. `None` for anything else.
    pub fn introspect_token(&self, token: &str) -> Result<Option<TokenInfo>> {
        let access = token::well_formed_prefixed(token, OAUTH_ACCESS_PREFIX);
        if !access && !token::well_formed_prefixed(token, OAUTH_REFRESH_PREFIX) {
            return Ok(None);
        }
        let digest = token::digest(token);
        let Some(record) = self.load_oauth_token(&digest)? else {
            return Ok(None);
        };
        if (record.kind == TokenKind::Access) != access {
            return Ok(None);
        }
        let now = self.env.now();
        let Some(grant) = self.load_grant(&record.grant)? else {
            return Ok(None);
        };
        let expires = match record.kind {
            TokenKind::Access => record.expires.min(grant.record.expires),
            // Only the grant's live refresh tokens are active (not those a
            // grace interval still lets through: they are being replaced).
            TokenKind::Refresh if grant.record.refresh.contains(&digest) => {
                record.expires.min(grant.record.expires)
            }
            TokenKind::Refresh => return Ok(None),
        };
        if now >= expires {
            return Ok(None);
        }
        let mut username = None;
        if let Some((id, generation, epoch)) = grant.record.user {
            match self.load_user(id)? {
                Some(u)
                    if u.record.generation == generation && !u.record.state.is_disabled_at(now) =>
                {
                    username = Some(u.record.username);
                }
                _ => return Ok(None),
            }
            let consent = self.consent_stands(id, &grant.record.client, Some(epoch))?;
            if consent.is_none() {
                return Ok(None);
            }
        }
        // A deleted client's grants end with it.
        if self
            .env
            .get(&keys::oauth_client(&grant.record.client))?
            .is_none()
        {
            return Ok(None);
        }
        // The token's own scopes: an access token from a narrowed refresh
        // carries fewer than its grant.
        let scopes = Scopes::parse(&record.scopes)
            .map_err(|_| Error::Storage("corrupt OAuth token record".into()))?;
        Ok(Some(TokenInfo {
            access,
            client_id: client_id_string(&grant.record.client),
            user: grant.record.user.map(|(id, _, _)| id),
            username,
            scopes,
            expires,
            issued: record.issued,
        }))
    }

    /// A resource server's check of a bearer access token (RFC 6750): the
    /// token's principal if it is an active access token carrying every
    /// scope in `required`.
    pub fn authorize_bearer(
        &self,
        token: &str,
        required: &Scopes,
    ) -> Result<core::result::Result<TokenInfo, BearerError>> {
        Ok(match self.introspect_token(token)? {
            Some(info) if info.access && required.is_subset(&info.scopes) => Ok(info),
            Some(info) if info.access => Err(BearerError::InsufficientScope),
            _ => Err(BearerError::InvalidToken),
        })
    }
}
