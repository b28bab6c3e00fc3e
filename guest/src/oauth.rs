//! The exported `oauth` interface: each function delegates to
//! [`moth_core::Auth`].

use moth_core::Scopes;

use crate::bindings::Component;
use crate::bindings::exports::moth::auth::oauth::{
    Authorization, AuthorizationRequest, AuthorizeError, BearerError, Client, ClientPage,
    ClientSpec, Consent, Error, Guest, Lifetimes, NewClient, OauthError, TokenInfo, TokenResponse,
    UserId,
};
use crate::convert::{wit, wit_list, wit_with};
use crate::imports::auth;

/// A space-separated scope parameter as a set.
fn parse_scopes(scope: &str) -> Result<Scopes, Error> {
    Scopes::parse(scope).map_err(Into::into)
}

impl Guest for Component {
    fn register_client(spec: ClientSpec) -> Result<NewClient, Error> {
        wit(auth().register_client(&spec.into()))
    }

    fn get_client(id: String) -> Result<Option<Client>, Error> {
        wit(auth().get_client(&id).map(|c| c.map(Client::from)))
    }

    fn list_clients(after: Option<String>, limit: u32) -> Result<ClientPage, Error> {
        wit(auth().list_clients(after.as_deref(), limit))
    }

    fn update_client(id: String, spec: ClientSpec) -> Result<Option<Client>, Error> {
        wit(auth()
            .update_client(&id, &spec.into())
            .map(|c| c.map(Client::from)))
    }

    fn rotate_client_secret(id: String) -> Result<Option<NewClient>, Error> {
        wit(auth()
            .rotate_client_secret(&id)
            .map(|c| c.map(NewClient::from)))
    }

    fn delete_client(id: String) -> Result<bool, Error> {
        wit(auth().delete_client(&id))
    }

    fn get_oauth_lifetimes() -> Result<Lifetimes, Error> {
        wit(auth().get_oauth_lifetimes())
    }

    fn set_oauth_lifetimes(lifetimes: Lifetimes) -> Result<(), Error> {
        wit(auth().set_oauth_lifetimes(&lifetimes.into()))
    }

    fn check_authorization(request: AuthorizationRequest) -> Result<Authorization, AuthorizeError> {
        wit_with(auth().check_authorization(&request.into()))
    }

    fn issue_code(request: AuthorizationRequest, user: UserId) -> Result<String, AuthorizeError> {
        wit_with(auth().issue_code(&request.into(), user))
    }

    fn authenticate_token_client(
        client_id: String,
        client_secret: Option<String>,
    ) -> Result<Client, OauthError> {
        wit_with(auth().authenticate_token_client(&client_id, client_secret.as_deref()))
    }

    fn exchange_code(
        client_id: String,
        client_secret: Option<String>,
        code: String,
        redirect_uri: Option<String>,
        code_verifier: Option<String>,
    ) -> Result<TokenResponse, OauthError> {
        wit_with(auth().exchange_code(
            &client_id,
            client_secret.as_deref(),
            &code,
            redirect_uri.as_deref(),
            code_verifier.as_deref(),
        ))
    }

    fn refresh_grant(
        client_id: String,
        client_secret: Option<String>,
        refresh_token: String,
        scope: Option<String>,
    ) -> Result<TokenResponse, OauthError> {
        wit_with(auth().refresh_grant(
            &client_id,
            client_secret.as_deref(),
            &refresh_token,
            scope.as_deref(),
        ))
    }

    fn client_credentials_grant(
        client_id: String,
        client_secret: Option<String>,
        scope: Option<String>,
    ) -> Result<TokenResponse, OauthError> {
        wit_with(auth().client_credentials_grant(
            &client_id,
            client_secret.as_deref(),
            scope.as_deref(),
        ))
    }

    fn revoke_oauth_token(
        client_id: String,
        client_secret: Option<String>,
        token: String,
    ) -> Result<(), OauthError> {
        wit_with(auth().revoke_oauth_token(&client_id, client_secret.as_deref(), &token))
    }

    fn introspect_token(token: String) -> Result<Option<TokenInfo>, Error> {
        wit(auth()
            .introspect_token(&token)
            .map(|i| i.map(TokenInfo::from)))
    }

    fn authorize_bearer(
        token: String,
        required_scopes: String,
    ) -> Result<Result<TokenInfo, BearerError>, Error> {
        auth()
            .authorize_bearer(&token, &parse_scopes(&required_scopes)?)
            .map(wit_with)
            .map_err(Into::into)
    }

    fn consent_covers(user: UserId, client_id: String, scopes: String) -> Result<bool, Error> {
        wit(auth().consent_covers(user, &client_id, &parse_scopes(&scopes)?))
    }

    fn list_consents(user: UserId) -> Result<Vec<Consent>, Error> {
        wit_list(auth().list_consents(user))
    }

    fn revoke_consent(user: UserId, client_id: String) -> Result<bool, Error> {
        wit(auth().revoke_consent(user, &client_id))
    }
}
