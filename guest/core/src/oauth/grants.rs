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

use core::fmt;

use super::clients::{Client, GrantType, client_id_bytes, client_id_string};
use super::{PkceChallenge, Scopes};
use crate::env::{Env, Guard, Write};
use crate::error::{Error, Result};
use crate::record::{
    CodeRecord, GrantRecord, OAuthTokenRecord, TokenKind, decode_oauth_lifetimes,
    encode_oauth_lifetimes,
};
use crate::token::{self, OAUTH_ACCESS_PREFIX, OAUTH_CODE_PREFIX, OAUTH_REFRESH_PREFIX};
use crate::txn::{Attempt, committed, retry};
use crate::{Auth, keys};

/// The default lifetime of an authorization code: 60 s.
pub const DEFAULT_CODE_LIFETIME: u64 = 60;
/// The longest lifetime of an authorization code: 10 minutes (RFC 6749
/// §4.1.2).
pub const MAX_CODE_LIFETIME: u64 = 10 * 60;
/// The default lifetime of an access token: one hour.
pub const DEFAULT_ACCESS_LIFETIME: u64 = 60 * 60;
/// The default idle lifetime of a refresh token: 14 days unused.
pub const DEFAULT_REFRESH_IDLE_LIFETIME: u64 = 14 * 24 * 60 * 60;
/// The default absolute lifetime of a grant's refresh tokens: 30 days,
/// however often they are refreshed.
pub const DEFAULT_REFRESH_LIFETIME: u64 = 30 * 24 * 60 * 60;
/// The longest any OAuth lifetime may be: one year.
pub const MAX_OAUTH_LIFETIME: u64 = 365 * 24 * 60 * 60;

/// The `token_type` of every access token moth issues (RFC 6750).
pub const TOKEN_TYPE: &str = "Bearer";

/// How long what a grant issues lives, in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OAuthLifetimes {
    /// Of an authorization code: 1..=[`MAX_CODE_LIFETIME`].
    pub code: u64,
    /// Of an access token.
    pub access: u64,
    /// Of a refresh token left unused.
    pub refresh_idle: u64,
    /// Of a grant's refresh tokens in all: no refresh goes past it.
    pub refresh: u64,
}

impl Default for OAuthLifetimes {
    fn default() -> Self {
        OAuthLifetimes {
            code: DEFAULT_CODE_LIFETIME,
            access: DEFAULT_ACCESS_LIFETIME,
            refresh_idle: DEFAULT_REFRESH_IDLE_LIFETIME,
            refresh: DEFAULT_REFRESH_LIFETIME,
        }
    }
}

impl OAuthLifetimes {
    fn check(&self) -> core::result::Result<(), OAuthError> {
        let bad = |what: &str, max: u64| {
            OAuthError::InvalidRequest(format!("the {what} lifetime must be 1..={max} seconds"))
        };
        if !(1..=MAX_CODE_LIFETIME).contains(&self.code) {
            return Err(bad("code", MAX_CODE_LIFETIME));
        }
        for (what, l) in [
            ("access token", self.access),
            ("refresh token idle", self.refresh_idle),
            ("refresh token", self.refresh),
        ] {
            if !(1..=MAX_OAUTH_LIFETIME).contains(&l) {
                return Err(bad(what, MAX_OAUTH_LIFETIME));
            }
        }
        Ok(())
    }
}

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

/// An authorization request's parameters (RFC 6749 §4.1.1, RFC 7636 §4.3).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthorizationRequest {
    /// `response_type`: must be `code`.
    pub response_type: String,
    /// `client_id`.
    pub client_id: String,
    /// `redirect_uri`; may be left out when the client has exactly one.
    pub redirect_uri: Option<String>,
    /// `scope`; left out, the client's allowed scopes.
    pub scope: Option<String>,
    /// `code_challenge`: required for public clients.
    pub code_challenge: Option<String>,
    /// `code_challenge_method`: `S256`.
    pub code_challenge_method: Option<String>,
}

/// Why an authorization request is refused, and so where the answer goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthorizeError {
    /// The client or the redirect URI is unknown or invalid: the error is
    /// shown to the user, never sent to the redirect URI (RFC 6749
    /// §4.1.2.1), since that URI may be an attacker's.
    NoRedirect(String),
    /// Anything else: sent to the (valid) redirect URI.
    Redirect {
        /// Where to send it.
        redirect_uri: String,
        /// What to send.
        error: OAuthError,
    },
}

impl fmt::Display for AuthorizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthorizeError::NoRedirect(why) => f.write_str(why),
            AuthorizeError::Redirect { error, .. } => write!(f, "{error}"),
        }
    }
}

/// A checked authorization request: what the user is asked to consent to,
/// and what the code will be bound to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization {
    /// The client.
    pub client: Client,
    /// Where the answer goes: the request's `redirect_uri`, or the client's
    /// one registered URI.
    pub redirect_uri: String,
    /// Whether the request named the redirect URI (the token request must
    /// then name the same, RFC 6749 §4.1.3).
    pub redirect_uri_sent: bool,
    /// The scopes asked for.
    pub scopes: Scopes,
    /// The PKCE challenge.
    pub challenge: Option<PkceChallenge>,
}

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

/// A grant as read, with the bytes that guard commits made on its account.
struct StoredGrant {
    id: [u8; 16],
    bytes: Vec<u8>,
    record: GrantRecord,
}

impl StoredGrant {
    fn guard(&self) -> Guard {
        Guard::equals(keys::oauth_grant(&self.id), Some(self.bytes.clone()))
    }

    fn revoke(&self) -> Write {
        Write::delete(keys::oauth_grant(&self.id))
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
    /// Check an authorization request (RFC 6749 §4.1.1): the client, its
    /// redirect URI (exactly, RFC 8252's loopback ports aside), that it may
    /// use the code grant, the scopes and PKCE (`S256`; required for a
    /// public client). The user's consent comes next; then
    /// [`Auth::issue_code`] (which checks again).
    pub fn check_authorization(
        &self,
        req: &AuthorizationRequest,
    ) -> core::result::Result<Authorization, AuthorizeError> {
        let client = match self.get_client(&req.client_id) {
            Ok(Some(c)) => c,
            Ok(None) => return Err(AuthorizeError::NoRedirect("unknown client_id".into())),
            Err(e) => return Err(AuthorizeError::NoRedirect(e.to_string())),
        };
        let redirect_uri = match &req.redirect_uri {
            Some(uri) => match client.redirect_uri(uri) {
                Some(_) => uri.clone(),
                None => {
                    return Err(AuthorizeError::NoRedirect(
                        "redirect_uri is not registered for this client".into(),
                    ));
                }
            },
            None => match client.redirect_uris.as_slice() {
                [only] => only.as_str().to_owned(),
                [] => {
                    return Err(AuthorizeError::NoRedirect(
                        "this client has no redirect URI".into(),
                    ));
                }
                _ => {
                    return Err(AuthorizeError::NoRedirect(
                        "redirect_uri is required: this client has several".into(),
                    ));
                }
            },
        };
        let redirect = |error| AuthorizeError::Redirect {
            redirect_uri: redirect_uri.clone(),
            error,
        };
        match req.response_type.as_str() {
            "code" => {}
            "" => {
                return Err(redirect(OAuthError::InvalidRequest(
                    "response_type is required".into(),
                )));
            }
            _ => return Err(redirect(OAuthError::UnsupportedResponseType)),
        }
        if !client.allows(GrantType::AuthorizationCode) {
            return Err(redirect(OAuthError::UnauthorizedClient));
        }
        let scopes = requested_scopes(req.scope.as_deref(), &client.scopes).map_err(redirect)?;
        let challenge = match &req.code_challenge {
            Some(c) => Some(
                PkceChallenge::parse(c, req.code_challenge_method.as_deref())
                    .map_err(|e| redirect(OAuthError::from(e)))?,
            ),
            None if !client.confidential => {
                return Err(redirect(OAuthError::InvalidRequest(
                    "code_challenge (S256) is required for public clients".into(),
                )));
            }
            None if req.code_challenge_method.is_some() => {
                return Err(redirect(OAuthError::InvalidRequest(
                    "code_challenge_method without code_challenge".into(),
                )));
            }
            None => None,
        };
        Ok(Authorization {
            client,
            redirect_uri_sent: req.redirect_uri.is_some(),
            redirect_uri,
            scopes,
            challenge,
        })
    }

    /// Issue an authorization code for the checked `authz`, consented to
    /// by user `user`: single-use, bound to the client, redirect URI, PKCE
    /// challenge, user and scopes, living `lifetimes.code` seconds; and
    /// remember the consent. [`OAuthError::AccessDenied`] for a user that
    /// does not exist or is disabled.
    pub(crate) fn issue_code_for(
        &self,
        authz: &Authorization,
        user: u64,
        lifetimes: &OAuthLifetimes,
    ) -> OAuthResult<String> {
        lifetimes.check()?;
        let client = client_id_bytes(&authz.client.id).ok_or(OAuthError::InvalidClient)?;
        retry(|| {
            let now = self.env.now();
            let loaded = match self.load_user(user)? {
                Some(u) if !u.record.state.is_disabled_at(now) => u,
                // The authorization endpoint's code for a user who cannot
                // authorize (RFC 6749 §4.1.2.1 has no `invalid_grant`).
                Some(_) | None => return Ok(Attempt::Done(Err(OAuthError::AccessDenied))),
            };
            let code = token::mint_prefixed(&self.env, OAUTH_CODE_PREFIX);
            let digest = token::digest(&code);
            // Issuing the code is the user's consent to these scopes for
            // this client, remembered (see `consents.rs`); the code is bound
            // to that consent.
            let consent = self.load_consent(user, &client)?;
            let mut fresh = [0u8; 8];
            self.env.random(&mut fresh);
            let (remembered, epoch) =
                consent.widened(&authz.scopes, now, u64::from_le_bytes(fresh))?;
            let record = CodeRecord {
                client,
                redirect_uri: authz.redirect_uri.clone(),
                redirect_sent: authz.redirect_uri_sent,
                user,
                generation: loaded.record.generation,
                consent: epoch,
                scopes: authz.scopes.to_string(),
                challenge: authz.challenge.map(|c| *c.digest()),
                expires: add(now, lifetimes.code),
                grant: None,
            };
            let key = keys::oauth_code(&digest);
            // Swept at its expiry unless redeemed; a redeemed code is kept
            // as long as its grant, so that a replay can revoke the grant.
            let expiry = Write::put(
                keys::expiry(record.expires, &digest),
                vec![keys::OAUTH_CODE],
            );
            committed(
                self.env.commit(
                    &[loaded.guard(), Guard::absent(key.clone()), consent.guard()],
                    &[Write::put(key, record.encode()), expiry, remembered],
                ),
                Ok(code),
            )
        })?
    }

    /// [`Auth::exchange_code`] for an authenticated `client`, with
    /// `lifetimes`.
    pub(crate) fn exchange_code_as(
        &self,
        client: &Client,
        code: &str,
        redirect_uri: Option<&str>,
        code_verifier: Option<&str>,
        lifetimes: &OAuthLifetimes,
    ) -> OAuthResult<TokenResponse> {
        lifetimes.check()?;
        if !client.allows(GrantType::AuthorizationCode) {
            return Err(OAuthError::UnauthorizedClient);
        }
        let client_id = client_id_bytes(&client.id).ok_or(OAuthError::InvalidClient)?;
        if !token::well_formed_prefixed(code, OAUTH_CODE_PREFIX) {
            return Err(grant_error("the code is invalid"));
        }
        let key = keys::oauth_code(&token::digest(code));
        retry(|| {
            let Some(bytes) = self.env.get(&key)? else {
                return Ok(Attempt::Done(Err(grant_error("the code is invalid"))));
            };
            let record = CodeRecord::decode(&bytes)?;
            let guard = Guard::equals(key.clone(), Some(bytes));
            // A second redemption: whoever holds the code now may have
            // stolen it, so everything issued from it is revoked.
            if let Some(grant) = record.grant {
                let writes = [Write::delete(keys::oauth_grant(&grant))];
                return committed(
                    self.env.commit(&[guard], &writes),
                    Err(grant_error(
                        "the code was already used; its tokens are revoked",
                    )),
                );
            }
            let now = self.env.now();
            let spend = |why: &'static str| -> Result<Attempt<OAuthResult<TokenResponse>>> {
                committed(
                    self.env
                        .commit(std::slice::from_ref(&guard), &[Write::delete(key.clone())]),
                    Err(grant_error(why)),
                )
            };
            if record.client != client_id {
                return spend("the code was issued to another client");
            }
            if now >= record.expires {
                return spend("the code has expired");
            }
            // Named in the authorization request, it must be named again,
            // identically; left out there, it may be left out or name the
            // URI the response went to (RFC 6749 §4.1.3).
            let redirect_ok = match redirect_uri {
                Some(sent) => sent == record.redirect_uri,
                None => !record.redirect_sent,
            };
            if !redirect_ok {
                return spend("redirect_uri does not match the authorization request");
            }
            let pkce_ok = match (record.challenge, code_verifier) {
                (Some(c), Some(v)) => PkceChallenge::from_digest(c).verifies(v),
                // Without a challenge only for a confidential client (a
                // public one could not have got the code without one).
                (None, None) => client.confidential,
                _ => false,
            };
            if !pkce_ok {
                return spend("code_verifier does not match the code_challenge");
            }
            let user = match self.load_user(record.user)? {
                Some(u)
                    if u.record.generation == record.generation
                        && !u.record.state.is_disabled_at(now) =>
                {
                    u
                }
                _ => return spend("the user's authorization was revoked"),
            };
            let Some((consent, epoch)) =
                self.consent_stands(record.user, &client_id, Some(record.consent))?
            else {
                return spend("the user's consent was revoked");
            };
            // Within what the client may have now, should it have lost a
            // scope since the code was issued.
            let scopes = Scopes::parse(&record.scopes)
                .map_err(|_| Error::Storage("corrupt OAuth code record".into()))?
                .intersection(&client.scopes);
            let grant_id = self.mint_grant_id()?;
            let refresh = client.allows(GrantType::RefreshToken);
            let issued = self.issue_tokens(
                grant_id,
                client_id,
                Some((record.user, user.record.generation, epoch)),
                scopes,
                refresh,
                lifetimes,
                now,
            );
            let code_digest = token::digest(code);
            let grant_expires = issued.grant_expires;
            let mut writes = vec![
                // Kept until its grant ends, not swept at its own expiry.
                Write::delete(keys::expiry(record.expires, &code_digest)),
                Write::put(
                    keys::expiry(grant_expires, &code_digest),
                    vec![keys::OAUTH_CODE],
                ),
            ];
            let redeemed = CodeRecord {
                grant: Some(grant_id),
                ..record
            };
            let mut guards = vec![guard, user.guard(), consent];
            guards.extend(issued.guards);
            writes.push(Write::put(key.clone(), redeemed.encode()));
            writes.extend(issued.writes);
            committed(self.env.commit(&guards, &writes), Ok(issued.response))
        })?
    }

    /// [`Auth::refresh_grant`] for an authenticated `client`, with
    /// `lifetimes`.
    pub(crate) fn refresh_grant_as(
        &self,
        client: &Client,
        refresh_token: &str,
        scope: Option<&str>,
        lifetimes: &OAuthLifetimes,
    ) -> OAuthResult<TokenResponse> {
        lifetimes.check()?;
        if !client.allows(GrantType::RefreshToken) {
            return Err(OAuthError::UnauthorizedClient);
        }
        let client_id = client_id_bytes(&client.id).ok_or(OAuthError::InvalidClient)?;
        if !token::well_formed_prefixed(refresh_token, OAUTH_REFRESH_PREFIX) {
            return Err(grant_error("the refresh token is invalid"));
        }
        let digest = token::digest(refresh_token);
        retry(|| {
            let invalid = || {
                Ok(Attempt::Done(Err(grant_error(
                    "the refresh token is invalid",
                ))))
            };
            let Some(token) = self.load_oauth_token(&digest)? else {
                return invalid();
            };
            if token.kind != TokenKind::Refresh {
                return invalid();
            }
            let Some(grant) = self.load_grant(&token.grant)? else {
                return invalid();
            };
            if grant.record.client != client_id {
                return invalid();
            }
            let now = self.env.now();
            let revoke = |why: &'static str| {
                committed(
                    self.env.commit(&[grant.guard()], &[grant.revoke()]),
                    Err(grant_error(why)),
                )
            };
            if grant.record.refresh != Some(digest) {
                return revoke("the refresh token was already used; the grant is revoked");
            }
            if now >= token.expires || now >= grant.record.expires {
                return revoke("the refresh token has expired");
            }
            let mut guards = vec![grant.guard()];
            if let Some((id, generation, epoch)) = grant.record.user {
                match self.load_user(id)? {
                    Some(u)
                        if u.record.generation == generation
                            && !u.record.state.is_disabled_at(now) =>
                    {
                        guards.push(u.guard());
                    }
                    _ => return revoke("the user's authorization was revoked"),
                }
                match self.consent_stands(id, &client_id, Some(epoch))? {
                    Some((consent, _)) => guards.push(consent),
                    None => return revoke("the user's consent was revoked"),
                }
            }
            // Within what the client may still have.
            let granted = Scopes::parse(&grant.record.scopes)
                .map_err(|_| Error::Storage("corrupt OAuth grant record".into()))?
                .intersection(&client.scopes);
            let scopes = match requested_scopes(scope, &granted) {
                Ok(s) => s,
                Err(e) => return Ok(Attempt::Done(Err(e))),
            };
            let issued = self.rotate_tokens(&grant, scopes, lifetimes, now);
            guards.extend(issued.guards);
            committed(
                self.env.commit(&guards, &issued.writes),
                Ok(issued.response),
            )
        })?
    }

    /// [`Auth::client_credentials_grant`] for an authenticated `client`,
    /// with `lifetimes`.
    pub(crate) fn client_credentials_grant_as(
        &self,
        client: &Client,
        scope: Option<&str>,
        lifetimes: &OAuthLifetimes,
    ) -> OAuthResult<TokenResponse> {
        lifetimes.check()?;
        if !client.confidential || !client.allows(GrantType::ClientCredentials) {
            return Err(OAuthError::UnauthorizedClient);
        }
        let client_id = client_id_bytes(&client.id).ok_or(OAuthError::InvalidClient)?;
        let scopes = requested_scopes(scope, &client.scopes)?;
        retry(|| {
            let now = self.env.now();
            let grant_id = self.mint_grant_id()?;
            let issued = self.issue_tokens(
                grant_id,
                client_id,
                None,
                scopes.clone(),
                false,
                lifetimes,
                now,
            );
            committed(
                self.env.commit(&issued.guards, &issued.writes),
                issued.response,
            )
        })
        .map_err(OAuthError::from)
    }

    /// The lifetimes of what OAuth grants issue, as set (or the defaults).
    pub fn get_oauth_lifetimes(&self) -> Result<OAuthLifetimes> {
        match self.env.get(&keys::oauth_settings())? {
            Some(bytes) => decode_oauth_lifetimes(&bytes),
            None => Ok(OAuthLifetimes::default()),
        }
    }

    /// Set the lifetimes of what OAuth grants issue from now on.
    ///
    /// Errors: [`Error::InvalidInput`] for a lifetime out of range (a code
    /// 1..=[`MAX_CODE_LIFETIME`] seconds, the rest
    /// 1..=[`MAX_OAUTH_LIFETIME`]).
    pub fn set_oauth_lifetimes(&self, lifetimes: &OAuthLifetimes) -> Result<()> {
        lifetimes.check().map_err(|e| match e {
            OAuthError::InvalidRequest(why) => Error::InvalidInput(why),
            other => Error::InvalidInput(other.to_string()),
        })?;
        self.env.commit(
            &[],
            &[Write::put(
                keys::oauth_settings(),
                encode_oauth_lifetimes(lifetimes),
            )],
        )?;
        Ok(())
    }

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

    /// Check the authorization request again, as the user consented to it,
    /// and issue a code for user `user` (see [`Auth::check_authorization`];
    /// the code lives the set code lifetime).
    pub fn issue_code(
        &self,
        request: &AuthorizationRequest,
        user: u64,
    ) -> core::result::Result<String, AuthorizeError> {
        let authz = self.check_authorization(request)?;
        let fail = |error| AuthorizeError::Redirect {
            redirect_uri: authz.redirect_uri.clone(),
            error,
        };
        let lifetimes = self.get_oauth_lifetimes().map_err(|e| fail(e.into()))?;
        self.issue_code_for(&authz, user, &lifetimes).map_err(fail)
    }

    /// Redeem authorization code `code` for tokens (RFC 6749 §4.1.3), for
    /// the client `client_id` authenticated by `client_secret` (see
    /// [`Auth::authenticate_token_client`]). Atomic: of concurrent redemptions one
    /// wins. A code is good for one attempt: redeemed, or refused for the
    /// wrong client, redirect URI or verifier, it is spent; redeemed again,
    /// it also revokes every token issued from it (RFC 6749 §4.1.2).
    ///
    /// `redirect_uri` must be the authorization request's, if that named
    /// one; `code_verifier` must match its PKCE challenge, and must be
    /// absent if it had none (RFC 9700 §2.1.1).
    pub fn exchange_code(
        &self,
        client_id: &str,
        client_secret: Option<&str>,
        code: &str,
        redirect_uri: Option<&str>,
        code_verifier: Option<&str>,
    ) -> OAuthResult<TokenResponse> {
        let client = self.authenticate_token_client(client_id, client_secret)?;
        let lifetimes = self.get_oauth_lifetimes()?;
        self.exchange_code_as(&client, code, redirect_uri, code_verifier, &lifetimes)
    }

    /// Refresh (RFC 6749 §6): the refresh token is spent and a new one
    /// issued with a new access token (rotation). Presenting a spent one
    /// again revokes the whole grant: one of its two holders stole it. The
    /// new access token may carry fewer scopes (`scope`), never more.
    pub fn refresh_grant(
        &self,
        client_id: &str,
        client_secret: Option<&str>,
        refresh_token: &str,
        scope: Option<&str>,
    ) -> OAuthResult<TokenResponse> {
        let client = self.authenticate_token_client(client_id, client_secret)?;
        let lifetimes = self.get_oauth_lifetimes()?;
        self.refresh_grant_as(&client, refresh_token, scope, &lifetimes)
    }

    /// The `client_credentials` grant (RFC 6749 §4.4): an access token for
    /// a confidential client acting for itself.
    pub fn client_credentials_grant(
        &self,
        client_id: &str,
        client_secret: Option<&str>,
        scope: Option<&str>,
    ) -> OAuthResult<TokenResponse> {
        let client = self.authenticate_token_client(client_id, client_secret)?;
        let lifetimes = self.get_oauth_lifetimes()?;
        self.client_credentials_grant_as(&client, scope, &lifetimes)
    }

    /// Revoke `token` for the authenticated `client` (RFC 7009): a refresh
    /// token revokes its whole grant (and so its access tokens), an access
    /// token itself. An unknown token, or another client's, is left alone
    /// without saying so: the caller answers 200 either way. Fails only
    /// when the client does not authenticate.
    pub fn revoke_oauth_token(
        &self,
        client_id: &str,
        client_secret: Option<&str>,
        token: &str,
    ) -> OAuthResult<()> {
        let client = self.authenticate_token_client(client_id, client_secret)?;
        Ok(self.revoke_oauth_token_as(&client, token)?)
    }

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
            // Only the grant's current refresh token is active.
            TokenKind::Refresh if grant.record.refresh == Some(digest) => {
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

    /// [`Auth::revoke_oauth_token`] for an authenticated `client`.
    pub(crate) fn revoke_oauth_token_as(&self, client: &Client, token: &str) -> Result<()> {
        let Some(client_id) = client_id_bytes(&client.id) else {
            return Ok(());
        };
        if !token::well_formed_prefixed(token, OAUTH_ACCESS_PREFIX)
            && !token::well_formed_prefixed(token, OAUTH_REFRESH_PREFIX)
        {
            return Ok(());
        }
        let digest = token::digest(token);
        retry(|| {
            let Some(record) = self.load_oauth_token(&digest)? else {
                return Ok(Attempt::Done(()));
            };
            let Some(grant) = self.load_grant(&record.grant)? else {
                return Ok(Attempt::Done(()));
            };
            if grant.record.client != client_id {
                return Ok(Attempt::Done(()));
            }
            let write = match record.kind {
                TokenKind::Refresh => grant.revoke(),
                TokenKind::Access => Write::delete(keys::oauth_token(&digest)),
            };
            committed(self.env.commit(&[grant.guard()], &[write]), ())
        })
    }

    fn load_oauth_token(&self, digest: &[u8; 32]) -> Result<Option<OAuthTokenRecord>> {
        self.env
            .get(&keys::oauth_token(digest))?
            .map(|b| OAuthTokenRecord::decode(&b))
            .transpose()
    }

    fn load_grant(&self, id: &[u8; 16]) -> Result<Option<StoredGrant>> {
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
    fn mint_grant_id(&self) -> Result<[u8; 16]> {
        let mut id = [0u8; 16];
        self.env.random(&mut id);
        Ok(id)
    }

    /// The writes of a new grant and its first tokens.
    #[allow(clippy::too_many_arguments)]
    fn issue_tokens(
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
            refresh: None,
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
            grant.refresh = Some(token::digest(&t));
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

    /// The writes of a refresh: a new refresh token becomes the grant's
    /// current one, and a new access token with `scopes`.
    fn rotate_tokens(
        &self,
        grant: &StoredGrant,
        scopes: Scopes,
        lifetimes: &OAuthLifetimes,
        now: u64,
    ) -> Issued {
        let mut issued = Issued::default();
        let access_token = token::mint_prefixed(&self.env, OAUTH_ACCESS_PREFIX);
        // No token outlives its grant.
        let access_expires = add(now, lifetimes.access).min(grant.record.expires);
        let carried = scopes.to_string();
        issued.token(
            &access_token,
            TokenKind::Access,
            grant.id,
            now,
            access_expires,
            &carried,
        );
        let refresh_token = token::mint_prefixed(&self.env, OAUTH_REFRESH_PREFIX);
        let idle = add(now, lifetimes.refresh_idle).min(grant.record.expires);
        let granted = grant.record.scopes.clone();
        issued.token(
            &refresh_token,
            TokenKind::Refresh,
            grant.id,
            now,
            idle,
            &granted,
        );
        let record = GrantRecord {
            refresh: Some(token::digest(&refresh_token)),
            ..grant.record.clone()
        };
        issued
            .writes
            .push(Write::put(keys::oauth_grant(&grant.id), record.encode()));
        issued.response = TokenResponse {
            access_token,
            expires_in: access_expires.saturating_sub(now),
            refresh_token: Some(refresh_token),
            scopes,
        };
        issued
    }
}

/// Guards, writes and the answer of one issuance.
struct Issued {
    guards: Vec<Guard>,
    writes: Vec<Write>,
    response: TokenResponse,
    /// When the grant ends.
    grant_expires: u64,
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
    fn token(
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

#[cfg(test)]
mod tests;
