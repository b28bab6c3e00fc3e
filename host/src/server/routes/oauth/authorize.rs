//! Who the user is at the authorization endpoint (RFC 6749 §4.1.1): the
//! built-in login and consent page (`GET`/`POST /oauth2/authorize`) for
//! apps without their own, and the headless completion
//! (`POST /oauth2/authorize/complete`) for apps that sign their users in
//! themselves and hold their moth session token.
//!
//! Every answer that can go to the client goes to its registered redirect
//! URI with `state` and `iss` (RFC 9207); a request whose client or
//! redirect URI is unknown is answered here and never redirected
//! (RFC 6749 §4.1.2.1). The page's form is protected by a double-submit
//! token: a random value in a `SameSite=Strict` cookie and in the form,
//! compared in constant time. Signing in goes through moth's login, with
//! its lockout, and leaves a session cookie so the next request of a
//! client the user already consented to needs no page at all.

use axum::Json;
use axum::extract::RawQuery;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use subtle::ConstantTimeEq;

use super::super::attempts::login_context;
use super::failure::OAuthFailure;
use super::form::{Form, Parameters};
use super::issuer::Issuer;
use super::page::{Consent, consent_page, error_page};
use crate::server::error::ApiError;
use crate::server::extract::{Body, ForTenant, bearer, cookie};
use crate::server::source::Source;
use crate::{Authorization, AuthorizationRequest, AuthorizeError, OAuthError};

/// The cookie holding the form's anti-forgery token.
const CSRF_COOKIE: &str = "moth_oauth_csrf";
/// The cookie holding the signed-in user's moth session token.
const SESSION_COOKIE: &str = "moth_oauth_session";
/// The parameters of an authorization request the page carries through.
const REQUEST_PARAMS: [&str; 7] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
];

/// An authorization request as its parameters give it, and its `state`.
struct Asked {
    request: AuthorizationRequest,
    state: Option<String>,
    /// A parameter given more than once, if any.
    repeated: Option<String>,
}

impl Asked {
    fn from_parameters(p: &Parameters) -> Asked {
        Asked {
            request: AuthorizationRequest {
                response_type: p.owned("response_type").unwrap_or_default(),
                client_id: p.owned("client_id").unwrap_or_default(),
                redirect_uri: p.owned("redirect_uri"),
                scope: p.owned("scope"),
                code_challenge: p.owned("code_challenge"),
                code_challenge_method: p.owned("code_challenge_method"),
            },
            state: p.owned("state"),
            repeated: REQUEST_PARAMS
                .iter()
                .find(|n| p.is_repeated(n))
                .map(|n| n.to_string()),
        }
    }
}

/// Where an authorization answer goes: the redirect URI with `params`
/// added to the query it already has (RFC 6749 §3.1.2).
fn redirect_to(uri: &str, params: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        query.append_pair(k, v);
    }
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}{}", query.finish())
}

/// The error answer for `redirect_uri`: `error`, its description, `state`
/// and `iss`.
fn error_redirect(
    redirect_uri: &str,
    error: &OAuthError,
    state: Option<&str>,
    issuer: &Issuer,
) -> String {
    let mut params = vec![("error", error.code())];
    if let Some(d) = error.description() {
        params.push(("error_description", d));
    }
    if let Some(s) = state {
        params.push(("state", s));
    }
    params.push(("iss", issuer.as_str()));
    redirect_to(redirect_uri, &params)
}

/// The code answer for `redirect_uri`.
fn code_redirect(redirect_uri: &str, code: &str, state: Option<&str>, issuer: &Issuer) -> String {
    let mut params = vec![("code", code)];
    if let Some(s) = state {
        params.push(("state", s));
    }
    params.push(("iss", issuer.as_str()));
    redirect_to(redirect_uri, &params)
}

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

/// How a checked request is refused: on a page (the client or redirect
/// URI is not to be trusted) or at the redirect URI.
enum Refusal {
    Page(String),
    Redirect(String),
    Moth(ApiError),
}

/// Check the request; the authorization to ask the user for.
async fn check(t: &ForTenant, asked: &Asked, issuer: &Issuer) -> Result<Authorization, Refusal> {
    if let Some(name @ ("client_id" | "redirect_uri")) = asked.repeated.as_deref() {
        return Err(Refusal::Page(format!("`{name}` is given more than once")));
    }
    if asked.request.client_id.is_empty() {
        return Err(Refusal::Page("client_id is required".into()));
    }
    let request = asked.request.clone();
    let checked = t
        .clone()
        .read("check-authorization", move |m| {
            m.check_authorization(&request)
        })
        .await
        .map_err(Refusal::Moth)?;
    let refuse = |e: AuthorizeError| match e {
        AuthorizeError::NoRedirect(why) => Refusal::Page(why),
        AuthorizeError::Redirect {
            redirect_uri,
            error,
        } => Refusal::Redirect(error_redirect(
            &redirect_uri,
            &error,
            asked.state.as_deref(),
            issuer,
        )),
    };
    let authz = checked.map_err(refuse)?;
    if let Some(name) = &asked.repeated {
        return Err(Refusal::Redirect(error_redirect(
            &authz.redirect_uri,
            &OAuthError::InvalidRequest(format!("`{name}` is given more than once")),
            asked.state.as_deref(),
            issuer,
        )));
    }
    Ok(authz)
}

/// Issue a code for `user`; where the browser goes next (`redirect_uri`,
/// the one the check settled on).
async fn issue(
    t: &ForTenant,
    asked: &Asked,
    user: u64,
    redirect_uri: &str,
    issuer: &Issuer,
) -> Result<String, Refusal> {
    let request = asked.request.clone();
    let issued = t
        .clone()
        .blocking("issue-code", move |m| m.issue_code(&request, user))
        .await
        .map_err(Refusal::Moth)?;
    let state = asked.state.as_deref();
    match issued {
        Ok(code) => Ok(code_redirect(redirect_uri, &code, state, issuer)),
        Err(AuthorizeError::NoRedirect(why)) => Err(Refusal::Page(why)),
        Err(AuthorizeError::Redirect {
            redirect_uri,
            error,
        }) => Err(Refusal::Redirect(error_redirect(
            &redirect_uri,
            &error,
            state,
            issuer,
        ))),
    }
}

fn refused(status: StatusCode, r: Refusal) -> Response {
    match r {
        Refusal::Page(why) => error_page(StatusCode::BAD_REQUEST, &why),
        Refusal::Redirect(url) => send_on(status, &url, None),
        Refusal::Moth(e) => e.into_response(),
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
    let asked = Asked::from_parameters(&p);
    let authz = match check(&t, &asked, &issuer).await {
        Ok(a) => a,
        Err(r) => return refused(StatusCode::FOUND, r),
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
    // The double-submit check: the form's token must be the cookie's.
    let csrf = p.get("csrf").unwrap_or("");
    let expected = cookie(&headers, CSRF_COOKIE).unwrap_or_default();
    if csrf.is_empty()
        || p.is_repeated("csrf")
        || !bool::from(csrf.as_bytes().ct_eq(expected.as_bytes()))
    {
        return error_page(
            StatusCode::FORBIDDEN,
            "this form has expired or was not sent from this page; start the sign-in again",
        );
    }
    let asked = Asked::from_parameters(&p);
    let authz = match check(&t, &asked, &issuer).await {
        Ok(a) => a,
        Err(r) => return refused(StatusCode::SEE_OTHER, r),
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

/// The headless completion's body: the authorization request's
/// parameters, the user's decision and (unless sent as
/// `Authorization: Bearer`) their moth session token.
#[derive(Deserialize)]
pub(in crate::server::routes) struct Complete {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    /// `allow` (the default) or `deny`.
    decision: Option<String>,
    token: Option<String>,
}

/// `POST /oauth2/authorize/complete`: the app signed the user in and
/// asked for consent itself; moth checks the request, issues the code for
/// the session's user (or the refusal) and answers where to send the
/// browser: `{"redirect_to": url}`.
pub(in crate::server::routes) async fn complete(
    t: ForTenant,
    issuer: Issuer,
    headers: HeaderMap,
    Body(c): Body<Complete>,
) -> Response {
    let Some(token) = c.token.or_else(|| bearer(&headers).map(str::to_owned)) else {
        return ApiError::new(StatusCode::UNAUTHORIZED, "A session token is required")
            .into_response();
    };
    let asked = Asked {
        request: AuthorizationRequest {
            response_type: c.response_type.unwrap_or_default(),
            client_id: c.client_id.unwrap_or_default(),
            redirect_uri: c.redirect_uri,
            scope: c.scope,
            code_challenge: c.code_challenge,
            code_challenge_method: c.code_challenge_method,
        },
        state: c.state,
        repeated: None,
    };
    let user = match t
        .clone()
        .read("validate", move |m| m.validate(&token))
        .await
    {
        Ok(v) => v.user.id,
        Err(e) => return e.into_response(),
    };
    let answer = |url: String| Json(json!({ "redirect_to": url })).into_response();
    let json_refusal = |r: Refusal| match r {
        Refusal::Page(why) => ApiError::invalid(why).into_response(),
        Refusal::Redirect(url) => answer(url),
        Refusal::Moth(e) => e.into_response(),
    };
    let authz = match check(&t, &asked, &issuer).await {
        Ok(a) => a,
        Err(r) => return json_refusal(r),
    };
    match c.decision.as_deref() {
        None | Some("allow") => {}
        Some("deny") => {
            return answer(error_redirect(
                &authz.redirect_uri,
                &OAuthError::AccessDenied,
                asked.state.as_deref(),
                &issuer,
            ));
        }
        Some(_) => return ApiError::invalid("decision is allow or deny").into_response(),
    }
    match issue(&t, &asked, user, &authz.redirect_uri, &issuer).await {
        Ok(url) => answer(url),
        Err(r) => json_refusal(r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_keep_the_redirect_uris_query() {
        assert_eq!(
            redirect_to("https://a.example/cb", &[("code", "c 1"), ("state", "s&t")]),
            "https://a.example/cb?code=c+1&state=s%26t"
        );
        assert_eq!(
            redirect_to("https://a.example/cb?x=1", &[("code", "c")]),
            "https://a.example/cb?x=1&code=c"
        );
    }

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
