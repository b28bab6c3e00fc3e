//! The `oauth` interface: an OAuth 2 authorization server for the
//! tenant's users. Calls that the protocol can refuse answer
//! `Result<Result<T, protocol error>>`: the outer error is moth's (a
//! failed store, an overloaded pool), the inner one what the client is told.

use std::result::Result as StdResult;

use crate::error::Result;
use crate::ops;
use crate::{
    AuthorizationRequest, AuthorizeError, BearerError, Client, ClientPage, ClientSpec, Consent,
    Moth, NewClient, OAuthError, OAuthLifetimes, Scopes, TokenInfo, TokenResponse,
};

/// A checked authorization request: what the user is asked to consent to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization {
    /// The client asking.
    pub client: Client,
    /// Where the answer goes.
    pub redirect_uri: String,
    /// The scopes asked for.
    pub scopes: Scopes,
}

impl Moth {
    /// Register a client; a confidential one's secret is in the result and
    /// nowhere else.
    pub fn register_client(&self, spec: &ClientSpec) -> Result<NewClient> {
        self.call(ops::REGISTER_CLIENT, |i| {
            let (oauth, store) = i.oauth();
            oauth.call_register_client(store, &spec.into())
        })
        .map(NewClient::from)
    }

    /// The client `id`, if there is one.
    pub fn get_client(&self, id: &str) -> Result<Option<Client>> {
        self.call(ops::GET_CLIENT, |i| {
            let (oauth, store) = i.oauth();
            oauth.call_get_client(store, id)
        })
        .map(|c| c.map(Client::from))
    }

    /// Up to `limit` (1..=100) clients with ids after `after`.
    pub fn list_clients(&self, after: Option<&str>, limit: u32) -> Result<ClientPage> {
        self.call(ops::LIST_CLIENTS, |i| {
            let (oauth, store) = i.oauth();
            oauth.call_list_clients(store, after, limit)
        })
        .map(ClientPage::from)
    }

    /// Replace client `id`'s name, redirect URIs, grant types and scopes;
    /// `None` if there is no such client.
    pub fn update_client(&self, id: &str, spec: &ClientSpec) -> Result<Option<Client>> {
        self.call(ops::UPDATE_CLIENT, |i| {
            let (oauth, store) = i.oauth();
            oauth.call_update_client(store, id, &spec.into())
        })
        .map(|c| c.map(Client::from))
    }

    /// A confidential client's new secret; the old one stops at once.
    pub fn rotate_client_secret(&self, id: &str) -> Result<Option<NewClient>> {
        self.call(ops::ROTATE_CLIENT_SECRET, |i| {
            let (oauth, store) = i.oauth();
            oauth.call_rotate_client_secret(store, id)
        })
        .map(|c| c.map(NewClient::from))
    }

    /// Delete client `id`, ending every grant it holds; whether there was
    /// one.
    pub fn delete_client(&self, id: &str) -> Result<bool> {
        self.call(ops::DELETE_CLIENT, |i| {
            let (oauth, store) = i.oauth();
            oauth.call_delete_client(store, id)
        })
    }

    /// The lifetimes of what OAuth grants issue.
    pub fn get_oauth_lifetimes(&self) -> Result<OAuthLifetimes> {
        self.call(ops::GET_OAUTH_LIFETIMES, |i| {
            let (oauth, store) = i.oauth();
            oauth.call_get_oauth_lifetimes(store)
        })
        .map(OAuthLifetimes::from)
    }

    /// Set the lifetimes of what OAuth grants issue from now on.
    pub fn set_oauth_lifetimes(&self, lifetimes: &OAuthLifetimes) -> Result<()> {
        self.call(ops::SET_OAUTH_LIFETIMES, |i| {
            let (oauth, store) = i.oauth();
            oauth.call_set_oauth_lifetimes(store, lifetimes.into())
        })
    }

    /// Check an authorization request before asking the user.
    pub fn check_authorization(
        &self,
        request: &AuthorizationRequest,
    ) -> Result<StdResult<Authorization, AuthorizeError>> {
        self.call(ops::CHECK_AUTHORIZATION, |i| {
            let (oauth, store) = i.oauth();
            let r = oauth.call_check_authorization(store, &request.into())?;
            Ok(Ok(r.map(Into::into).map_err(Into::into)))
        })
    }

    /// Check the request again, as user `user` consented to it, remember
    /// the consent and issue a single-use code.
    pub fn issue_code(
        &self,
        request: &AuthorizationRequest,
        user: u64,
    ) -> Result<StdResult<String, AuthorizeError>> {
        let code = self.call(ops::ISSUE_CODE, |i| {
            let (oauth, store) = i.oauth();
            let r = oauth.call_issue_code(store, &request.into(), user)?;
            Ok(Ok(r.map_err(Into::into)))
        })?;
        // The code's lifetime is the tenant's setting, which the component
        // read; a sweep due now learns the real next expiry from it.
        if code.is_ok() {
            self.minted_in(0);
        }
        Ok(code)
    }

    /// The client of a token-endpoint request: a confidential client with
    /// its secret, a public one with none.
    pub fn authenticate_token_client(
        &self,
        client_id: &str,
        client_secret: Option<&str>,
    ) -> Result<StdResult<Client, OAuthError>> {
        self.call(ops::AUTHENTICATE_TOKEN_CLIENT, |i| {
            let (oauth, store) = i.oauth();
            let r = oauth.call_authenticate_token_client(store, client_id, client_secret)?;
            Ok(Ok(r.map(Into::into).map_err(Into::into)))
        })
    }

    /// The `authorization_code` grant (RFC 6749 §4.1.3).
    pub fn exchange_code(
        &self,
        client_id: &str,
        client_secret: Option<&str>,
        code: &str,
        redirect_uri: Option<&str>,
        code_verifier: Option<&str>,
    ) -> Result<StdResult<TokenResponse, OAuthError>> {
        let issued = self.call(ops::EXCHANGE_CODE, |i| {
            let (oauth, store) = i.oauth();
            let r = oauth.call_exchange_code(
                store,
                client_id,
                client_secret,
                code,
                redirect_uri,
                code_verifier,
            )?;
            Ok(Ok(r.map(TokenResponse::from).map_err(Into::into)))
        })?;
        Ok(self.issued(issued))
    }

    /// The `refresh_token` grant (RFC 6749 §6), rotating.
    pub fn refresh_grant(
        &self,
        client_id: &str,
        client_secret: Option<&str>,
        refresh_token: &str,
        scope: Option<&str>,
    ) -> Result<StdResult<TokenResponse, OAuthError>> {
        let issued = self.call(ops::REFRESH_GRANT, |i| {
            let (oauth, store) = i.oauth();
            let r =
                oauth.call_refresh_grant(store, client_id, client_secret, refresh_token, scope)?;
            Ok(Ok(r.map(TokenResponse::from).map_err(Into::into)))
        })?;
        Ok(self.issued(issued))
    }

    /// The `client_credentials` grant (RFC 6749 §4.4).
    pub fn client_credentials_grant(
        &self,
        client_id: &str,
        client_secret: Option<&str>,
        scope: Option<&str>,
    ) -> Result<StdResult<TokenResponse, OAuthError>> {
        let issued = self.call(ops::CLIENT_CREDENTIALS_GRANT, |i| {
            let (oauth, store) = i.oauth();
            let r = oauth.call_client_credentials_grant(store, client_id, client_secret, scope)?;
            Ok(Ok(r.map(TokenResponse::from).map_err(Into::into)))
        })?;
        Ok(self.issued(issued))
    }

    /// Revoke a token of the authenticated client (RFC 7009).
    pub fn revoke_oauth_token(
        &self,
        client_id: &str,
        client_secret: Option<&str>,
        token: &str,
    ) -> Result<StdResult<(), OAuthError>> {
        self.call(ops::REVOKE_OAUTH_TOKEN, |i| {
            let (oauth, store) = i.oauth();
            let r = oauth.call_revoke_oauth_token(store, client_id, client_secret, token)?;
            Ok(Ok(r.map_err(Into::into)))
        })
    }

    /// What an active token is (RFC 7662); `None` for anything else.
    pub fn introspect_token(&self, token: &str) -> Result<Option<TokenInfo>> {
        self.call(ops::INTROSPECT_TOKEN, |i| {
            let (oauth, store) = i.oauth();
            oauth.call_introspect_token(store, token)
        })
        .map(|t| t.map(TokenInfo::from))
    }

    /// A resource server's check of a bearer token (RFC 6750): its
    /// principal if it is an active access token with every `required`
    /// scope.
    pub fn authorize_bearer(
        &self,
        token: &str,
        required: &Scopes,
    ) -> Result<StdResult<TokenInfo, BearerError>> {
        let required = required.to_string();
        self.call(ops::AUTHORIZE_BEARER, |i| {
            let (oauth, store) = i.oauth();
            oauth
                .call_authorize_bearer(store, token, &required)
                .map(|r| r.map(|r| r.map(Into::into).map_err(Into::into)))
        })
    }

    /// Whether user `user` has consented to every scope of `scopes` for
    /// the client.
    pub fn consent_covers(&self, user: u64, client_id: &str, scopes: &Scopes) -> Result<bool> {
        let scopes = scopes.to_string();
        self.call(ops::CONSENT_COVERS, |i| {
            let (oauth, store) = i.oauth();
            oauth.call_consent_covers(store, user, client_id, &scopes)
        })
    }

    /// User `user`'s consents.
    pub fn list_consents(&self, user: u64) -> Result<Vec<Consent>> {
        self.call(ops::LIST_CONSENTS, |i| {
            let (oauth, store) = i.oauth();
            oauth.call_list_consents(store, user)
        })
        .map(|c| c.into_iter().map(Consent::from).collect())
    }

    /// Revoke user `user`'s consent to a client, ending every grant it
    /// holds for them; whether there was one.
    pub fn revoke_consent(&self, user: u64, client_id: &str) -> Result<bool> {
        self.call(ops::REVOKE_CONSENT, |i| {
            let (oauth, store) = i.oauth();
            oauth.call_revoke_consent(store, user, client_id)
        })
    }

    /// Tell the sweeper about tokens just issued.
    fn issued(
        &self,
        issued: StdResult<TokenResponse, OAuthError>,
    ) -> StdResult<TokenResponse, OAuthError> {
        if let Ok(t) = &issued {
            self.minted_in(t.expires_in);
        }
        issued
    }

    /// Tell the sweeper that something expires `secs` from now.
    fn minted_in(&self, secs: u64) {
        if let Ok((now, _)) = self.tenant_caps().clock.now() {
            self.sweep_state().minted(now.saturating_add(secs));
        }
    }
}
