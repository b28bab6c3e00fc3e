//! The OAuth 2 grants: authorization codes with PKCE (RFC 6749 §4.1, RFC
//! 7636), rotating refresh tokens (RFC 6749 §6, RFC 9700 §4.14), client
//! credentials (RFC 6749 §4.4); introspection (RFC 7662) and revocation
//! (RFC 7009) of what they issue.
//!
//! Everything one authorization issues belongs to one *grant* (a record
//! of its client, user, scopes and lifetime, and of the one refresh token
//! that may be used now). Every token names its grant and is valid only
//! while the grant is: deleting the grant revokes them all at once, which
//! is what a replayed code or refresh token and a revocation need. A
//! grant also stands only while its user does (deleted, disabled, or their
//! tokens revoked: through the user's generation, recorded in the grant),
//! while the user's consent to the client does (`consents.rs`), and while
//! the client does. Codes, tokens and grants are stored under the SHA-256 of
//! their secrets; each redemption and each refresh is one guarded commit.
//!
//! This file holds what the grants share: their error, the token
//! endpoint's answer and its authentication of clients. Each grant has
//! its own file (`code.rs`, `refresh.rs`, `client_credentials.rs`), as do
//! introspection (`introspect.rs`), revocation (`revoke.rs`) and the
//! lifetimes (`lifetimes.rs`); `issue.rs` writes what they issue.

use core::fmt;

use super::Scopes;
use super::clients::Client;
use crate::Auth;
use crate::env::Env;
use crate::error::Error;

mod client_credentials;
mod code;
mod introspect;
mod issue;
mod lifetimes;
mod refresh;
mod revoke;

pub use code::{Authorization, AuthorizationRequest, AuthorizeError};
pub use introspect::{BearerError, TokenInfo};
pub use lifetimes::{
    DEFAULT_ACCESS_LIFETIME, DEFAULT_CODE_LIFETIME, DEFAULT_REFRESH_IDLE_LIFETIME,
    DEFAULT_REFRESH_LIFETIME, MAX_CODE_LIFETIME, MAX_OAUTH_LIFETIME, MAX_REFRESH_GRACE,
    OAuthLifetimes,
};

/// The `token_type` of every access token moth issues (RFC 6750).
pub const TOKEN_TYPE: &str = "Bearer";

/// Why an OAuth request failed: RFC 6749 §5.2's error codes (and §4.1.2.1's
/// for the authorization endpoint), each with what the `error_description`
/// may say. Never echoes a secret, code or token.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    /// `invalid_request`: a parameter is missing, repeated or malformed.
    #[error("invalid_request: {0}")]
    InvalidRequest(String),
    /// `invalid_client`: client authentication failed.
    #[error("invalid_client")]
    InvalidClient,
    /// `invalid_grant`: the code, refresh token or its binding is invalid,
    /// expired, revoked or used.
    #[error("invalid_grant: {0}")]
    InvalidGrant(String),
    /// `unauthorized_client`: the client may not use this grant type.
    #[error("unauthorized_client")]
    UnauthorizedClient,
    /// `invalid_scope`: the scope is malformed or exceeds what is allowed.
    #[error("invalid_scope: {0}")]
    InvalidScope(String),
    /// `unsupported_response_type`: an authorization request for anything
    /// but a code (no implicit grant, RFC 9700 §2.1.2).
    #[error("unsupported_response_type")]
    UnsupportedResponseType,
    /// `unsupported_grant_type`: a token request for a grant moth does not
    /// offer (the HTTP layer reads `grant_type`).
    #[error("unsupported_grant_type")]
    UnsupportedGrantType,
    /// `access_denied`: the user (or the app, in headless mode) refused.
    #[error("access_denied")]
    AccessDenied,
    /// `server_error`: the store failed; nothing was partly written.
    #[error("server_error: {0}")]
    Storage(String),
}

impl OAuthError {
    /// The RFC 6749 `error` code.
    pub fn code(&self) -> &'static str {
        match self {
            OAuthError::InvalidRequest(_) => "invalid_request",
            OAuthError::InvalidClient => "invalid_client",
            OAuthError::InvalidGrant(_) => "invalid_grant",
            OAuthError::UnauthorizedClient => "unauthorized_client",
            OAuthError::InvalidScope(_) => "invalid_scope",
            OAuthError::UnsupportedResponseType => "unsupported_response_type",
            OAuthError::UnsupportedGrantType => "unsupported_grant_type",
            OAuthError::AccessDenied => "access_denied",
            OAuthError::Storage(_) => "server_error",
        }
    }

    /// What the `error_description` may say: the reason a request, grant
    /// or scope was refused; nothing for the other codes, and nothing
    /// about a failed store (that is for the server's log).
    pub fn description(&self) -> Option<&str> {
        match self {
            OAuthError::InvalidRequest(why)
            | OAuthError::InvalidGrant(why)
            | OAuthError::InvalidScope(why) => Some(why),
            _ => None,
        }
    }
}

impl From<Error> for OAuthError {
    fn from(e: Error) -> Self {
        match e {
            Error::InvalidInput(why) => OAuthError::InvalidRequest(why),
            Error::Storage(why) => OAuthError::Storage(why),
            // Nothing else reaches here: the grants judge users and tokens
            // themselves, as `invalid_grant`.
            other => OAuthError::Storage(other.to_string()),
        }
    }
}

type OAuthResult<T> = core::result::Result<T, OAuthError>;

/// What the token endpoint answers (RFC 6749 §5.1). `Debug` redacts the
/// tokens.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenResponse {
    /// `access_token`.
    pub access_token: String,
    /// `expires_in`, in seconds.
    pub expires_in: u64,
    /// `refresh_token`, when the grant has one.
    pub refresh_token: Option<String>,
    /// `scope`: what the tokens carry.
    pub scopes: Scopes,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"<redacted>")
            .field("expires_in", &self.expires_in)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .field("scopes", &self.scopes)
            .finish()
    }
}

fn grant_error(why: &str) -> OAuthError {
    OAuthError::InvalidGrant(why.into())
}

/// The scopes asked for, which must be within `allowed`; none asked means
/// all of `allowed`.
fn requested_scopes(scope: Option<&str>, allowed: &Scopes) -> OAuthResult<Scopes> {
    let Some(scope) = scope else {
        return Ok(allowed.clone());
    };
    let asked = Scopes::parse(scope).map_err(|e| OAuthError::InvalidScope(e.to_string()))?;
    if !asked.is_subset(allowed) {
        return Err(OAuthError::InvalidScope(
            "the scope exceeds what this client may ask for".into(),
        ));
    }
    Ok(asked)
}

fn add(now: u64, lifetime: u64) -> u64 {
    now.saturating_add(lifetime)
}

impl<E: Env> Auth<E> {
    /// The client making a token-endpoint request (RFC 6749 §2.3, §3.2.1):
    /// a confidential client with its secret, a public one with none.
    /// Anything else is [`OAuthError::InvalidClient`], without saying what.
    pub fn authenticate_token_client(
        &self,
        client_id: &str,
        client_secret: Option<&str>,
    ) -> OAuthResult<Client> {
        let client = self
            .get_client(client_id)?
            .ok_or(OAuthError::InvalidClient)?;
        match (client.confidential, client_secret) {
            (true, Some(secret)) => self
                .authenticate_client(client_id, secret)?
                .ok_or(OAuthError::InvalidClient),
            (false, None) => Ok(client),
            _ => Err(OAuthError::InvalidClient),
        }
    }
}

#[cfg(test)]
mod tests;
