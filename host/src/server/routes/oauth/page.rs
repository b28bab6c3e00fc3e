//! The built-in login and consent page, and the page for an authorization
//! request that cannot be answered by redirecting: server-rendered HTML
//! that works without JavaScript, with no external assets, under a
//! Content-Security-Policy that allows nothing but its own inline style
//! and posting its form back here, and never in a frame.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::server::error::own_error_response;

/// The page's headers: no framing (clickjacking), no caching, no
/// scripts; forms may post only here and — since browsers apply
/// `form-action` to the redirect that answers a post — be sent on to
/// `form_to`, the checked redirect URI's origin. The referrer stays
/// within this origin: a browser sends `Origin: null` from a page whose
/// policy is `no-referrer`, which the host policy refuses.
fn harden(res: &mut Response, form_to: Option<&str>) {
    let form_action = match form_to {
        Some(origin) => format!("'self' {origin}"),
        None => "'none'".to_owned(),
    };
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; form-action {form_action}; \
         frame-ancestors 'none'; base-uri 'none'"
    );
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}

/// The CSP source expression of a redirect URI's origin: `scheme://host[:port]`,
/// or `scheme:` for a private-use scheme. `None` when it holds anything a
/// source expression cannot (a redirect URI may hold `;`), so the policy
/// cannot be extended through it.
pub(super) fn csp_origin(redirect_uri: &str) -> Option<String> {
    let origin = match redirect_uri.split_once("://") {
        Some((scheme, rest)) => {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
            format!("{scheme}://{authority}")
        }
        None => format!("{}:", redirect_uri.split(':').next().unwrap_or("")),
    };
    let allowed = |c: char| c.is_ascii_alphanumeric() || "+-.:/[]".contains(c);
    (origin.len() > 1 && origin.chars().all(allowed)).then_some(origin)
}

/// `s` safe in HTML text and attribute values.
pub(super) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem;color:#222}\
h1{font-size:1.3rem}label{display:block;margin:.8rem 0 .2rem}input[type=text],input[type=password]{width:100%;padding:.4rem;box-sizing:border-box}\
.error{color:#a00}button{margin:1rem .5rem 0 0;padding:.5rem 1rem}ul{padding-left:1.2rem}";

fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>",
        escape(title)
    )
}

/// An authorization request that cannot be answered at its redirect URI
/// (RFC 6749 §4.1.2.1): shown to the user, `status` 400 or 403.
pub(super) fn error_page(status: StatusCode, why: &str) -> Response {
    let body = format!(
        "<h1>This sign-in request cannot be completed</h1><p class=\"error\">{}</p>\
         <p>Return to the application and try again.</p>",
        escape(why)
    );
    let mut res = (status, Html(document("Sign-in error", &body))).into_response();
    harden(&mut res, None);
    own_error_response(res, why)
}

/// What the login and consent page shows.
pub(in crate::server::routes) struct Consent<'a> {
    /// Where the form posts.
    pub action: &'a str,
    /// Where its answer redirects: the checked redirect URI.
    pub redirect_uri: &'a str,
    pub client_name: &'a str,
    /// The scopes asked for.
    pub scopes: Vec<&'a str>,
    /// The request's parameters, carried through the form.
    pub hidden: Vec<(&'a str, &'a str)>,
    /// Whether the user must sign in (no session yet).
    pub sign_in: bool,
    /// A username to fill in again after a failed attempt.
    pub username: &'a str,
    /// Why the last attempt failed.
    pub error: Option<&'a str>,
}

/// The login and consent page, answered with `status`.
pub(super) fn consent_page(status: StatusCode, c: &Consent<'_>) -> Response {
    let mut body = format!("<h1>Sign in to {}</h1>", escape(c.client_name));
    if let Some(error) = c.error {
        body.push_str(&format!(
            "<p class=\"error\" role=\"alert\">{}</p>",
            escape(error)
        ));
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"{}\">",
        escape(c.action)
    ));
    for (name, value) in &c.hidden {
        body.push_str(&format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            escape(name),
            escape(value)
        ));
    }
    if c.sign_in {
        body.push_str(&format!(
            "<label for=\"username\">Username</label>\
             <input type=\"text\" id=\"username\" name=\"username\" value=\"{}\" autocomplete=\"username\" required autofocus>\
             <label for=\"password\">Password</label>\
             <input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required>",
            escape(c.username)
        ));
    }
    body.push_str(&format!(
        "<p><strong>{}</strong> asks to",
        escape(c.client_name)
    ));
    if c.scopes.is_empty() {
        body.push_str(" know who you are.</p>");
    } else {
        body.push_str(":</p><ul>");
        for s in &c.scopes {
            body.push_str(&format!("<li>{}</li>", escape(s)));
        }
        body.push_str("</ul>");
    }
    body.push_str(
        "<button type=\"submit\" name=\"decision\" value=\"allow\" id=\"allow\">Allow</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\" formnovalidate>Deny</button>\
         </form>",
    );
    let title = format!("Sign in to {}", c.client_name);
    let mut res = (status, Html(document(&title, &body))).into_response();
    harden(
        &mut res,
        Some(&csp_origin(c.redirect_uri).unwrap_or_else(|| "'self'".into())),
    );
    if status.is_client_error() {
        own_error_response(res, c.error.unwrap_or("refused"))
    } else {
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_may_be_sent_on_to_the_redirect_uris_origin_only() {
        assert_eq!(
            csp_origin("https://app.example:8443/cb?x=1").as_deref(),
            Some("https://app.example:8443")
        );
        assert_eq!(
            csp_origin("http://[::1]:5000/cb").as_deref(),
            Some("http://[::1]:5000")
        );
        assert_eq!(
            csp_origin("com.example.app:/cb").as_deref(),
            Some("com.example.app:")
        );
        assert_eq!(csp_origin("https://a;script-src*/cb"), None);
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
