//! The built-in login and consent page of the authorization endpoint
//! (RFC 6749 §4.1.1), `GET`/`POST /oauth2/authorize`, for apps without
//! their own; the headless completion is in `complete`, what both share
//! in `request`.
//!
//! The page's form is protected by a double-submit token: a random value
//! in a `SameSite=Strict` cookie and in the form, compared in constant
//! time. Signing in goes through moth's login, with its lockout, and
//! leaves a session cookie so the next request of a client the user
//! already consented to needs no page at all.

use axum::extract::RawQuery;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use super::super::attempts::login_context;
use super::failure::OAuthFailure;
use super::form::{Form, Parameters};
use super::issuer::Issuer;
use super::page::{Consent, consent_page, error_page};
use super::request::{Asked, Refusal, check, error_redirect, issue};
use crate::server::error::ApiError;
use crate::server::extract::{ForTenant, cookie};
use crate::server::source::Source;
use crate::{Authorization, OAuthError};

/// The cookie holding the form's anti-forgery token.
const CSRF_COOKIE: &str = "moth_oauth_csrf";
/// The cookie holding the signed-in user's moth session token.
const SESSION_COOKIE: &str = "moth_oauth_session";

/// A browser sent on to `url`: `302 Found` from the authorization
/// request itself (RFC 6749 §4.1.2), `303 See Other` after the page's
/// form, so the browser follows with a GET (RFC 9700 §4.11).
fn send_on(status: StatusCode, url: &str, cookie: Option<HeaderValue>) -> Response {
    let mut res = status.into_response();
    let h = res.headers_mut();
    match HeaderValue::from_str(url) {
        Ok(v) => h.insert(header::LOCATION, v),
        Err(_) => return error_page(StatusCode::BAD_REQUEST, "the redirect URI is not usable"),
    };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if let Some(c) = cookie {
        h.append(header::SET_COOKIE, c);
    }
    res
}

/// A `Set-Cookie` value for the issuer's OAuth routes only.
fn set_cookie(issuer: &Issuer, name: &str, value: &str, same_site: &str) -> Option<HeaderValue> {
    let secure = if issuer.https() { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={}/oauth2/; HttpOnly; SameSite={same_site}{secure}",
        issuer.path()
    ))
    .ok()
}

/// 32 random bytes, hex: an anti-forgery token.
fn csrf_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|_| ApiError::internal())?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Why a form that fails the double-submit check is refused.
const FORGED: &str =
    "this form has expired or was not sent from this page; start the sign-in again";

/// The form's anti-forgery token, if it is the cookie's: the double-submit
/// check, in constant time.
fn carried_csrf<'p>(headers: &HeaderMap, p: &'p Parameters) -> Option<&'p str> {
    let csrf = p.get("csrf").unwrap_or("");
    let expected = cookie(headers, CSRF_COOKIE).unwrap_or_default();
    let carried = !csrf.is_empty()
        && !p.is_repeated("csrf")
        && bool::from(csrf.as_bytes().ct_eq(expected.as_bytes()));
    carried.then_some(csrf)
}

/// A refused request answered to the browser: a page when the client or
/// redirect URI is not to be trusted, else sent on with `status`.
fn refused(status: StatusCode, r: Refusal) -> Response {
    match r {
        Refusal::Page(why) => error_page(StatusCode::BAD_REQUEST, &why),
        Refusal::Redirect(url) => send_on(status, &url, None),
        Refusal::Moth(e) => e.into_response(),
    }
}

/// The request parameters `p` ask and the authorization to ask the user
/// for; a refused one's answer, sent on with `status` where it can be.
async fn checked(
    t: &ForTenant,
    p: &Parameters,
    issuer: &Issuer,
    status: StatusCode,
) -> Result<(Asked, Authorization), Response> {
    let asked = Asked::from_parameters(p);
    match check(t, &asked, issuer).await {
        Ok(authz) => Ok((asked, authz)),
        Err(r) => Err(refused(status, r)),
    }
}

/// The user of the browser's session cookie, if it holds a live session.
async fn signed_in(t: &ForTenant, headers: &HeaderMap) -> Option<u64> {
    let token = cookie(headers, SESSION_COOKIE)?;
    t.clone()
        .read("validate", move |m| m.validate(&token))
        .await
        .ok()
        .map(|v| v.user.id)
}

/// What the page asks of the user this time.
struct Prompt<'a> {
    /// The anti-forgery token, fresh or carried.
    csrf: &'a str,
    /// Whether the user must sign in.
    sign_in: bool,
    /// A username to fill in again.
    username: &'a str,
    /// Why the last attempt failed.
    error: Option<&'a str>,
}

/// The page for `authz`.
fn page(
    status: StatusCode,
    asked: &Asked,
    authz: &Authorization,
    issuer: &Issuer,
    prompt: &Prompt<'_>,
) -> Response {
    let Prompt {
        csrf,
        sign_in,
        username,
        error,
    } = *prompt;
    let action = issuer.endpoint("/oauth2/authorize");
    let r = &asked.request;
    let mut hidden: Vec<(&str, &str)> = vec![
        ("response_type", &r.response_type),
        ("client_id", &r.client_id),
    ];
    let optional = [
        ("redirect_uri", &r.redirect_uri),
        ("scope", &r.scope),
        ("state", &asked.state),
        ("code_challenge", &r.code_challenge),
        ("code_challenge_method", &r.code_challenge_method),
    ];
    for (name, value) in &optional {
        if let Some(v) = value {
            hidden.push((name, v));
        }
    }
    hidden.push(("csrf", csrf));
    let scopes = authz.scopes.to_string();
    let consent = Consent {
        action: &action,
        redirect_uri: &authz.redirect_uri,
        client_name: &authz.client.name,
        scopes: scopes.split(' ').filter(|s| !s.is_empty()).collect(),
        hidden,
        sign_in,
        username,
        error,
    };
    let mut res = consent_page(status, &consent);
    if let Some(c) = set_cookie(issuer, CSRF_COOKIE, csrf, "Strict") {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

/// `GET /oauth2/authorize`: the login and consent page, or — for a user
/// signed in here who already consented to these scopes — the code at
/// once.
pub(in crate::server::routes) async fn authorize(
    t: ForTenant,
    issuer: Issuer,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(p) = Parameters::parse(query.as_deref().unwrap_or("")) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "the request does not decode to UTF-8",
        );
    };
    let (asked, authz) = match checked(&t, &p, &issuer, StatusCode::FOUND).await {
        Ok(checked) => checked,
        Err(refusal) => return refusal,
    };
    let user = signed_in(&t, &headers).await;
    if let Some(user) = user {
        let (client, scopes) = (authz.client.id.clone(), authz.scopes.clone());
        let covered = t
            .clone()
            .read("consent-covers", move |m| {
                m.consent_covers(user, &client, &scopes)
            })
            .await;
        if matches!(covered, Ok(true)) {
            return match issue(&t, &asked, user, &authz.redirect_uri, &issuer).await {
                Ok(url) => send_on(StatusCode::FOUND, &url, None),
                Err(r) => refused(StatusCode::FOUND, r),
            };
        }
    }
    let csrf = match csrf_token() {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let prompt = Prompt {
        csrf: &csrf,
        sign_in: user.is_none(),
        username: "",
        error: None,
    };
    page(StatusCode::OK, &asked, &authz, &issuer, &prompt)
}

/// `POST /oauth2/authorize`: the page's form — allow or deny, signing in
/// first when the browser has no session here.
pub(in crate::server::routes) async fn decide(
    t: ForTenant,
    issuer: Issuer,
    source: Source,
    headers: HeaderMap,
    form: Result<Form, OAuthFailure>,
) -> Response {
    let Ok(Form(p)) = form else {
        return error_page(StatusCode::BAD_REQUEST, "the form could not be read");
    };
    let Some(csrf) = carried_csrf(&headers, &p) else {
        return error_page(StatusCode::FORBIDDEN, FORGED);
    };
    let (asked, authz) = match checked(&t, &p, &issuer, StatusCode::SEE_OTHER).await {
        Ok(checked) => checked,
        Err(refusal) => return refusal,
    };
    match p.get("decision") {
        Some("deny") => {
            let url = error_redirect(
                &authz.redirect_uri,
                &OAuthError::AccessDenied,
                asked.state.as_deref(),
                &issuer,
            );
            return send_on(StatusCode::SEE_OTHER, &url, None);
        }
        Some("allow") => {}
        _ => return error_page(StatusCode::BAD_REQUEST, "choose Allow or Deny"),
    }
    let (user, session_cookie) = match signed_in(&t, &headers).await {
        Some(user) => (user, None),
        None => {
            let username = p.owned("username").unwrap_or_default();
            let password = p.owned("password").unwrap_or_default();
            let context = login_context(source, None, &headers);
            let name = username.clone();
            let login = t
                .clone()
                .blocking("login", move |m| {
                    m.login_from(&name, &password, None, &context)
                })
                .await;
            match login {
                Ok(grant) => (
                    grant.session.user.id,
                    set_cookie(&issuer, SESSION_COOKIE, &grant.session.token, "Lax"),
                ),
                Err(e) => {
                    let (status, why) = match e.status() {
                        StatusCode::TOO_MANY_REQUESTS => (
                            StatusCode::TOO_MANY_REQUESTS,
                            "Too many failed attempts. Try again later.",
                        ),
                        StatusCode::FORBIDDEN => {
                            (StatusCode::FORBIDDEN, "This account cannot sign in.")
                        }
                        s if s.is_server_error() || s == StatusCode::SERVICE_UNAVAILABLE => {
                            return e.into_response();
                        }
                        _ => (StatusCode::UNAUTHORIZED, "Wrong username or password."),
                    };
                    let prompt = Prompt {
                        csrf,
                        sign_in: true,
                        username: &username,
                        error: Some(why),
                    };
                    return page(status, &asked, &authz, &issuer, &prompt);
                }
            }
        }
    };
    match issue(&t, &asked, user, &authz.redirect_uri, &issuer).await {
        Ok(url) => send_on(StatusCode::SEE_OTHER, &url, session_cookie),
        Err(r) => refused(StatusCode::SEE_OTHER, r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; moth_oauth_csrf=abc; b="),
        );
        assert_eq!(cookie(&h, CSRF_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "b"), None);
    }
}
