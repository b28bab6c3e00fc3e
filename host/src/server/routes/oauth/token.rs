//! The token (RFC 6749 §3.2), revocation (RFC 7009) and introspection
//! (RFC 7662) endpoints, and how their callers authenticate: a client by
//! `client_secret_basic` or `client_secret_post` (a public one by its
//! `client_id` alone), never two ways at once (RFC 6749 §2.3).

use axum::Json;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Serialize;

use super::failure::{OAuthFailure, no_store};
use super::form::{Form, Parameters};
use super::issuer::Issuer;
use crate::server::admin::require_admin_key;
use crate::server::extract::{ForTenant, bearer};
use crate::{OAuthError, TOKEN_TYPE, TokenInfo, TokenResponse};

/// Who is calling a token-endpoint route: a client id and, for a
/// confidential client, its secret. Its `Debug` redacts the secret.
pub(in crate::server::routes) struct ClientCredentials {
    pub id: String,
    pub secret: Option<String>,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("id", &self.id)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// One component of `client_secret_basic`: form-urlencoded before it was
/// base64-encoded (RFC 6749 §2.3.1).
fn form_decode(s: &str) -> Option<String> {
    let plus_as_space = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus_as_space)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

/// The credentials of `Authorization: Basic`, if that header is Basic.
/// `Err` for a Basic header that does not decode: that client failed to
/// authenticate.
fn basic(headers: &HeaderMap) -> Result<Option<ClientCredentials>, OAuthFailure> {
    let mut all = headers.get_all(header::AUTHORIZATION).iter();
    let (Some(value), None) = (all.next(), all.next()) else {
        return Ok(None);
    };
    let Some((scheme, rest)) = value.to_str().ok().and_then(|v| v.split_once(' ')) else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or(OAuthError::InvalidClient)?;
    let (id, secret) = decoded.split_once(':').ok_or(OAuthError::InvalidClient)?;
    let id = form_decode(id).ok_or(OAuthError::InvalidClient)?;
    let secret = form_decode(secret).ok_or(OAuthError::InvalidClient)?;
    // `Basic base64("id:")`: some libraries name a public client so.
    Ok(Some(ClientCredentials {
        id,
        secret: (!secret.is_empty()).then_some(secret),
    }))
}

/// The calling client's credentials, from `Authorization: Basic` or the
/// body; `None` when the request names no client.
pub(super) fn client_credentials(
    headers: &HeaderMap,
    p: &Parameters,
) -> Result<Option<ClientCredentials>, OAuthFailure> {
    for name in ["client_id", "client_secret"] {
        if p.is_repeated(name) {
            return Err(OAuthFailure::invalid_request(format!(
                "`{name}` is given more than once"
            )));
        }
    }
    let in_body = p.owned("client_id").map(|id| ClientCredentials {
        id,
        secret: p.owned("client_secret"),
    });
    match (basic(headers)?, in_body) {
        (Some(_), Some(b)) if b.secret.is_some() => Err(OAuthFailure::invalid_request(
            "authenticate the client one way: Authorization: Basic or client_secret in the body",
        )),
        // A client_id in the body beside Basic must name the same client.
        (Some(h), Some(b)) if b.id != h.id => Err(OAuthFailure::invalid_request(
            "client_id differs from the client authenticated",
        )),
        (Some(h), _) => Ok(Some(h)),
        (None, Some(b)) => Ok(Some(b)),
        (None, None) if p.get("client_secret").is_some() => Err(OAuthFailure::invalid_request(
            "client_secret without client_id",
        )),
        (None, None) => Ok(None),
    }
}

/// A token-endpoint request's parameters and its authenticated-to-be
/// client (RFC 6749 §3.2.1: every such request names its client).
fn client_request(
    form: Result<Form, OAuthFailure>,
    headers: &HeaderMap,
) -> Result<(Parameters, ClientCredentials), OAuthFailure> {
    let Form(p) = form?;
    p.refuse_repeated()?;
    let client = client_credentials(headers, &p)?.ok_or(OAuthError::InvalidClient)?;
    Ok((p, client))
}

/// Parameter `name`, which the request must give.
fn required(p: &Parameters, name: &str) -> Result<String, OAuthFailure> {
    p.owned(name)
        .ok_or_else(|| OAuthFailure::invalid_request(format!("{name} is required")))
}

/// `answer`, never to be cached (RFC 6749 §5.1), or its refusal.
fn uncached(answer: Result<impl IntoResponse, OAuthFailure>) -> Response {
    match answer {
        Ok(body) => {
            let mut res = body.into_response();
            no_store(&mut res);
            res
        }
        Err(e) => e.into_response(),
    }
}

/// RFC 6749 §5.1's answer.
#[derive(Serialize)]
struct TokenBody {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    scope: String,
}

impl From<TokenResponse> for TokenBody {
    fn from(t: TokenResponse) -> Self {
        TokenBody {
            access_token: t.access_token,
            token_type: TOKEN_TYPE,
            expires_in: t.expires_in,
            refresh_token: t.refresh_token,
            scope: t.scopes.to_string(),
        }
    }
}

/// Authenticate `client` (RFC 6749 §2.3): a confidential client by its
/// secret, a public one by giving none.
async fn authenticate(t: &ForTenant, client: &ClientCredentials) -> Result<(), OAuthFailure> {
    let (id, secret) = (client.id.clone(), client.secret.clone());
    t.clone()
        .read("authenticate-token-client", move |m| {
            m.authenticate_token_client(&id, secret.as_deref())
        })
        .await??;
    Ok(())
}

/// `POST /oauth2/token`: the authorization-code, refresh-token and
/// client-credentials grants.
pub(in crate::server::routes) async fn token(
    t: ForTenant,
    headers: HeaderMap,
    form: Result<Form, OAuthFailure>,
) -> Response {
    uncached(grant(t, &headers, form).await)
}

/// The token endpoint's answer: the tokens the request's grant issues.
async fn grant(
    t: ForTenant,
    headers: &HeaderMap,
    form: Result<Form, OAuthFailure>,
) -> Result<Json<TokenBody>, OAuthFailure> {
    let (p, client) = client_request(form, headers)?;
    // The client first (RFC 6749 §3.2.1): a client that fails to
    // authenticate learns nothing about the rest of its request.
    authenticate(&t, &client).await?;
    let ClientCredentials { id, secret } = client;
    let issued = match p.get("grant_type") {
        None => return Err(OAuthFailure::invalid_request("grant_type is required")),
        Some("authorization_code") => {
            let code = required(&p, "code")?;
            let (redirect_uri, verifier) = (p.owned("redirect_uri"), p.owned("code_verifier"));
            t.blocking("exchange-code", move |m| {
                m.exchange_code(
                    &id,
                    secret.as_deref(),
                    &code,
                    redirect_uri.as_deref(),
                    verifier.as_deref(),
                )
            })
            .await?
        }
        Some("refresh_token") => {
            let refresh = required(&p, "refresh_token")?;
            let scope = p.owned("scope");
            t.blocking("refresh-grant", move |m| {
                m.refresh_grant(&id, secret.as_deref(), &refresh, scope.as_deref())
            })
            .await?
        }
        Some("client_credentials") => {
            let scope = p.owned("scope");
            t.blocking("client-credentials-grant", move |m| {
                m.client_credentials_grant(&id, secret.as_deref(), scope.as_deref())
            })
            .await?
        }
        Some(_) => return Err(OAuthError::UnsupportedGrantType.into()),
    };
    Ok(Json(TokenBody::from(issued?)))
}

/// `POST /oauth2/revoke` (RFC 7009): 200 whether or not the token was
/// known, so nothing is learnt from the answer.
pub(in crate::server::routes) async fn revoke(
    t: ForTenant,
    headers: HeaderMap,
    form: Result<Form, OAuthFailure>,
) -> Response {
    let answer = async {
        let (p, client) = client_request(form, &headers)?;
        let token = required(&p, "token")?;
        // `token_type_hint` may be given; every token is found by itself.
        t.blocking("revoke-oauth-token", move |m| {
            m.revoke_oauth_token(&client.id, client.secret.as_deref(), &token)
        })
        .await??;
        Ok::<_, OAuthFailure>(StatusCode::OK)
    }
    .await;
    uncached(answer)
}

/// An active token as RFC 7662 §2.2 (and the resource servers' check)
/// shows it.
#[derive(Serialize)]
pub(in crate::server::routes) struct ActiveBody {
    active: bool,
    scope: String,
    client_id: String,
    token_type: &'static str,
    exp: u64,
    iat: u64,
    iss: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
}

impl ActiveBody {
    pub fn new(info: TokenInfo, issuer: &Issuer) -> Self {
        ActiveBody {
            active: true,
            scope: info.scopes.to_string(),
            client_id: info.client_id,
            token_type: if info.access {
                TOKEN_TYPE
            } else {
                "refresh_token"
            },
            exp: info.expires,
            iat: info.issued,
            iss: issuer.as_str().to_owned(),
            sub: info.user.map(|u| u.to_string()),
            username: info.username,
        }
    }
}

/// `POST /oauth2/introspect` (RFC 7662): for a confidential client, or
/// with the admin key (when one is configured) as `Authorization: Bearer`.
pub(in crate::server::routes) async fn introspect(
    t: ForTenant,
    issuer: Issuer,
    headers: HeaderMap,
    form: Result<Form, OAuthFailure>,
) -> Response {
    let answer = async {
        let Form(p) = form?;
        p.refuse_repeated()?;
        let admin = t.state().admin_key.is_some()
            && bearer(&headers).is_some()
            && require_admin_key(t.state(), &headers).is_ok();
        if !admin {
            match client_credentials(&headers, &p)? {
                // Only a client that proves itself may ask (§2.1): a
                // public client's id is no secret.
                Some(client) if client.secret.is_some() => authenticate(&t, &client).await?,
                // A public client, or nobody: RFC 7662 §2.1 requires
                // the caller to be authorized, admin key configured or not.
                _ => return Err(OAuthError::InvalidClient.into()),
            }
        }
        let token = required(&p, "token")?;
        let info = t
            .read("introspect-token", move |m| m.introspect_token(&token))
            .await?;
        Ok::<_, OAuthFailure>(info)
    }
    .await;
    uncached(answer.map(|info| match info {
        Some(info) => Json(ActiveBody::new(info, &issuer)).into_response(),
        // RFC 7662 §2.2: nothing more about a token that is not active.
        None => Json(serde_json::json!({ "active": false })).into_response(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_basic(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        // "a%3Ab:s+%2B" → id "a:b", secret "s +".
        let encoded = base64::engine::general_purpose::STANDARD.encode("a%3Ab:s+%2B");
        let c = basic(&with_basic(&format!("Basic {encoded}")))
            .unwrap()
            .unwrap();
        assert_eq!((c.id.as_str(), c.secret.as_deref()), ("a:b", Some("s +")));
        assert!(basic(&with_basic("Basic !!!")).is_err());
        let no_colon = base64::engine::general_purpose::STANDARD.encode("abc");
        assert!(basic(&with_basic(&format!("Basic {no_colon}"))).is_err());
        assert!(basic(&with_basic("Bearer x")).unwrap().is_none());
    }

    #[test]
    fn one_way_of_authenticating() {
        let encoded = base64::engine::general_purpose::STANDARD.encode("id:secret");
        let h = with_basic(&format!("Basic {encoded}"));
        let both = Parameters::parse("client_id=id&client_secret=secret").unwrap();
        assert!(client_credentials(&h, &both).is_err());
        let same_id = Parameters::parse("client_id=id").unwrap();
        assert!(client_credentials(&h, &same_id).unwrap().is_some());
        let other_id = Parameters::parse("client_id=other").unwrap();
        assert!(client_credentials(&h, &other_id).is_err());
        let public = Parameters::parse("client_id=pub").unwrap();
        let c = client_credentials(&HeaderMap::new(), &public)
            .unwrap()
            .unwrap();
        assert_eq!((c.id.as_str(), c.secret), ("pub", None));
        let none = Parameters::parse("").unwrap();
        assert!(
            client_credentials(&HeaderMap::new(), &none)
                .unwrap()
                .is_none()
        );
    }
}
