//! OAuth parameters as RFC 6749 §3.1 and §3.2 read them: form-encoded
//! (`application/x-www-form-urlencoded`), a parameter without a value the
//! same as one left out, a parameter given twice refused — never resolved
//! by taking one of them.

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;

use super::failure::OAuthFailure;
use crate::server::extract::decodes_to_utf8;

/// A request's parameters by name, and the names given more than once.
#[derive(Debug, Default)]
pub(in crate::server::routes) struct Parameters {
    values: HashMap<String, String>,
    repeated: BTreeSet<String>,
}

impl Parameters {
    /// The parameters of form-encoded `text` (a query string or a body);
    /// `None` when it does not decode to UTF-8.
    pub fn parse(text: &str) -> Option<Parameters> {
        if !decodes_to_utf8(text) {
            return None;
        }
        let mut params = Parameters::default();
        for (name, value) in form_urlencoded::parse(text.as_bytes()) {
            if value.is_empty() {
                continue;
            }
            match params.values.entry(name.into_owned()) {
                Entry::Occupied(e) => {
                    params.repeated.insert(e.key().clone());
                }
                Entry::Vacant(e) => {
                    e.insert(value.into_owned());
                }
            }
        }
        Some(params)
    }

    /// Parameter `name`, if given (with a value).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Parameter `name` as an owned string.
    pub fn owned(&self, name: &str) -> Option<String> {
        self.get(name).map(str::to_owned)
    }

    /// Whether `name` was given more than once.
    pub fn is_repeated(&self, name: &str) -> bool {
        self.repeated.contains(name)
    }

    /// The first parameter given more than once, if any.
    pub fn first_repeated(&self) -> Option<&str> {
        self.repeated.iter().next().map(String::as_str)
    }

    /// Refuse a parameter given twice (RFC 6749 §3.1, §3.2).
    pub fn refuse_repeated(&self) -> Result<(), OAuthFailure> {
        match self.first_repeated() {
            Some(name) => Err(OAuthFailure::invalid_request(format!(
                "`{name}` is given more than once"
            ))),
            None => Ok(()),
        }
    }
}

/// The form-encoded body of a POST to the token, revocation or
/// introspection endpoint. Parameters in the URL are refused: secrets must
/// not travel there (RFC 6749 §2.3.1, §3.2).
pub(in crate::server::routes) struct Form(pub Parameters);

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = OAuthFailure;

    async fn from_request(req: Request, state: &S) -> Result<Self, OAuthFailure> {
        if req.uri().query().is_some_and(|q| !q.is_empty()) {
            return Err(OAuthFailure::invalid_request(
                "parameters go in the form-encoded body, never in the URL",
            ));
        }
        let form_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                v.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !form_type {
            return Err(OAuthFailure::invalid_request(
                "the body must be application/x-www-form-urlencoded",
            ));
        }
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|_| OAuthFailure::invalid_request("the body could not be read"))?;
        let text = std::str::from_utf8(&body)
            .map_err(|_| OAuthFailure::invalid_request("the body is not UTF-8"))?;
        Parameters::parse(text)
            .map(Form)
            .ok_or_else(|| OAuthFailure::invalid_request("the body does not decode to UTF-8"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_are_absent_and_repeats_are_kept_apart() {
        let p = Parameters::parse("a=1&b=&c=x+y%21&a=2&b=3").unwrap();
        assert_eq!(p.get("a"), Some("1"));
        assert!(p.is_repeated("a"));
        // `b=` was absent, so `b=3` is its only value.
        assert_eq!(p.get("b"), Some("3"));
        assert!(!p.is_repeated("b"));
        assert_eq!(p.get("c"), Some("x y!"));
        assert_eq!(p.first_repeated(), Some("a"));
        assert!(Parameters::parse("a=%FF").is_none());
    }
}
