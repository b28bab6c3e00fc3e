//! Revocation (RFC 7009): a client revokes one of its access tokens, or a
//! refresh token and with it the whole grant.

use super::OAuthResult;
use crate::env::{Env, Write};
use crate::error::Result;
use crate::oauth::clients::{Client, client_id_bytes};
use crate::record::TokenKind;
use crate::token::{self, OAUTH_ACCESS_PREFIX, OAUTH_REFRESH_PREFIX};
use crate::txn::{Attempt, committed, retry};
use crate::{Auth, keys};

impl<E: Env> Auth<E> {
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
}
