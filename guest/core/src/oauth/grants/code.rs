//! The authorization code grant with PKCE (RFC 6749 §4.1, RFC 7636):
//! checking an authorization request, issuing a code on the user's
//! consent, and redeeming it, once, for tokens.

use core::fmt;

use super::{
    OAuthError, OAuthLifetimes, OAuthResult, TokenResponse, add, grant_error, requested_scopes,
};
use crate::env::{Env, Guard, Write};
use crate::error::{Error, Result};
use crate::oauth::clients::{Client, GrantType, client_id_bytes};
use crate::oauth::{PkceChallenge, Scopes};
use crate::record::CodeRecord;
use crate::token::{self, OAUTH_CODE_PREFIX};
use crate::txn::{Attempt, committed, retry};
use crate::{Auth, keys};

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
}
