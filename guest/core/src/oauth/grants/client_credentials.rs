//! The client credentials grant (RFC 6749 §4.4): a confidential client's
//! access token, for itself.

use super::{OAuthError, OAuthLifetimes, OAuthResult, TokenResponse, requested_scopes};
use crate::Auth;
use crate::env::Env;
use crate::oauth::clients::{Client, GrantType, client_id_bytes};
use crate::txn::{committed, retry};

impl<E: Env> Auth<E> {
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
}
