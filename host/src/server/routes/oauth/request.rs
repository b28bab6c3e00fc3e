//! The authorization request (RFC 6749 §4.1.1) as both ways of answering
//! it — the page in `authorize` and the headless completion in `complete`
//! — handle it: its parameters, its check, the code's issue, and the
//! redirect URIs that carry the answer with `state` and `iss` (RFC 6749
//! §4.1.2, RFC 9207).
//!
//! A request whose client or redirect URI is unknown is refused with
//! `Refusal::Page`, never at a redirect URI (RFC 6749 §4.1.2.1): each
//! caller answers that its own way.

use super::form::Parameters;
use super::issuer::Issuer;
use crate::server::error::ApiError;
use crate::server::extract::ForTenant;
use crate::{Authorization, AuthorizationRequest, AuthorizeError, OAuthError};

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
pub(super) struct Asked {
    pub request: AuthorizationRequest,
    pub state: Option<String>,
    /// A parameter given more than once, if any.
    pub repeated: Option<String>,
}

impl Asked {
    /// The request form-encoded parameters `p` ask for.
    pub fn from_parameters(p: &Parameters) -> Asked {
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
pub(super) fn error_redirect(
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

/// How a checked request is refused: on a page (the client or redirect
/// URI is not to be trusted) or at the redirect URI.
pub(super) enum Refusal {
    /// Why, for the user: nothing goes to the client.
    Page(String),
    /// The error answer, a URL at the client's redirect URI.
    Redirect(String),
    /// moth could not answer.
    Moth(ApiError),
}

/// Check the request; the authorization to ask the user for.
pub(super) async fn check(
    t: &ForTenant,
    asked: &Asked,
    issuer: &Issuer,
) -> Result<Authorization, Refusal> {
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
    // Only now is the redirect URI known to be the client's, so another
    // parameter given twice can be answered there.
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
pub(super) async fn issue(
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
}
