//! The refresh grant (RFC 6749 §6): refresh tokens rotate, each spent by
//! its use, and a spent one presented again revokes its grant (RFC 9700
//! §4.14) — unless a refresh grace interval is set and the token is the
//! one the last refresh used, less than that long ago: then it is taken
//! for a refresh racing that one (a retried request, tabs sharing one
//! stored token) and gets a live sibling of its own.

use super::issue::{Issued, StoredGrant};
use super::{
    OAuthError, OAuthLifetimes, OAuthResult, TokenResponse, add, grant_error, requested_scopes,
};
use crate::env::{Env, Write};
use crate::error::Error;
use crate::oauth::Scopes;
use crate::oauth::clients::{Client, GrantType, client_id_bytes};
use crate::record::{MAX_LIVE_REFRESH_TOKENS, TokenKind};
use crate::token::{self, OAUTH_ACCESS_PREFIX, OAUTH_REFRESH_PREFIX};
use crate::txn::{Attempt, committed, retry};
use crate::{Auth, keys};

impl<E: Env> Auth<E> {
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
            let rotation = if grant.record.refresh.contains(&digest) {
                Rotation::Replace(digest)
            } else if grant.record.replaced.contains(&digest)
                && now < add(grant.record.rotated, lifetimes.refresh_grace)
            {
                if grant.record.refresh.len() >= MAX_LIVE_REFRESH_TOKENS {
                    // More racing refreshes than a client makes: refused,
                    // but the grant stands (the token was used within
                    // the interval, which is not a replay).
                    return Ok(Attempt::Done(Err(grant_error(
                        "too many refreshes with one refresh token at once",
                    ))));
                }
                Rotation::Sibling
            } else {
                return revoke("the refresh token was already used; the grant is revoked");
            };
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
            let issued = self.rotate_tokens(&grant, rotation, scopes, lifetimes, now);
            guards.extend(issued.guards);
            committed(
                self.env.commit(&guards, &issued.writes),
                Ok(issued.response),
            )
        })?
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

    /// The writes of a refresh: a new refresh token, live as `rotation`
    /// says, and a new access token with `scopes`.
    fn rotate_tokens(
        &self,
        grant: &StoredGrant,
        rotation: Rotation,
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
        let new = token::digest(&refresh_token);
        let mut record = grant.record.clone();
        match rotation {
            Rotation::Replace(used) => {
                record.refresh = vec![new];
                record.replaced = vec![used];
                record.rotated = now;
            }
            Rotation::Sibling => record.refresh.push(new),
        }
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

/// How a refresh changes the grant's live refresh tokens.
#[derive(Clone, Copy)]
enum Rotation {
    /// A live token (this digest) was used: the new one alone is live,
    /// and only the used one stays usable for the grace interval from now.
    /// Its unused siblings become replays at once: a second holder of the
    /// grant cannot go on beside the client by refreshing whenever its
    /// token is set aside (RFC 9700 §4.14.2's detection would be lost).
    Replace([u8; 32]),
    /// A replaced token was used within the grace interval: the new one
    /// joins the live ones, and nothing else changes (so the interval is
    /// not extended by using it).
    Sibling,
}
