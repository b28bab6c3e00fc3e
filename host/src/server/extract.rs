//! What a request says: which tenant it is for, and its parameters — a
//! JSON object body, else the query string — deserialized into each
//! route's own struct, with "missing" and "invalid" kept apart.
//!
//! Nothing here turns a malformed input into a default: a tenant named
//! but undecodable, unknown or named twice is refused, never replaced by
//! `default`; a query string that does not decode to UTF-8 is refused,
//! never decoded lossily; a JSON key given twice is refused, never
//! resolved by taking one.

use std::fmt;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, RawPathParamsRejection};
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::de::{DeserializeOwned, Deserializer, Error as _, MapAccess, Visitor};
use serde_json::{Map, Value};

use super::call;
use super::conn::BodyTimedOut;
use super::error::ApiError;
use super::routes::AppState;
use crate::Moth;

/// The header naming a request's tenant.
pub const TENANT_HEADER: &str = "x-moth-tenant";

/// The tenant a request is for: the `/t/{tenant}` path prefix, else the
/// `X-Moth-Tenant` header, else `default`; and where its calls run.
#[derive(Clone)]
pub(super) struct ForTenant {
    moth: Moth,
    state: Arc<AppState>,
}

impl ForTenant {
    /// The tenant's handle.
    pub fn handle(&self) -> &Moth {
        &self.moth
    }

    /// What every handler can reach.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Run a read (see [`call::read`]).
    pub async fn read<T: Send + 'static>(
        self,
        op: &'static str,
        f: impl Fn(&Moth) -> crate::Result<T> + Send + 'static,
    ) -> Result<T, ApiError> {
        call::read(&self.state, op, self.moth, f).await
    }

    /// Run a call that writes or hashes (see [`call::blocking`]).
    pub async fn blocking<T: Send + 'static>(
        self,
        op: &'static str,
        f: impl FnOnce(&Moth) -> crate::Result<T> + Send + 'static,
    ) -> Result<T, ApiError> {
        let moth = self.moth;
        call::blocking(&self.state, op, move || f(&moth)).await
    }
}

impl FromRequestParts<Arc<AppState>> for ForTenant {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        let in_path = match RawPathParams::from_request_parts(parts, state).await {
            Ok(params) => params
                .iter()
                .find(|(k, _)| *k == "tenant")
                .map(|(_, v)| v.to_owned()),
            // A route without parameters: the tenant is not in the path.
            Err(RawPathParamsRejection::MissingPathParams(_)) => None,
            // `/t/%ff/…`: a tenant was named, and it is not text.
            Err(_) => {
                return Err(ApiError::invalid(
                    "the tenant in the path is not valid UTF-8",
                ));
            }
        };
        let in_header = match single(&parts.headers, TENANT_HEADER)? {
            Some(v) => Some(
                v.to_str()
                    .map_err(|_| ApiError::invalid("the tenant header is not text"))?
                    .to_owned(),
            ),
            None => None,
        };
        let name = match (in_path, in_header) {
            (Some(p), Some(h)) if p != h => {
                return Err(ApiError::invalid(
                    "the tenant in the path and in the header differ",
                ));
            }
            (Some(p), _) => p,
            (None, Some(h)) => h,
            (None, None) => {
                return Ok(ForTenant {
                    moth: state.moth.clone(),
                    state: state.clone(),
                });
            }
        };
        // An invalid or unknown name fails here (400 or 404).
        Ok(ForTenant {
            moth: state.moth.tenant(&name)?,
            state: state.clone(),
        })
    }
}

/// The one value of header `name`, if any; more than one is refused.
fn single<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a HeaderValue>, ApiError> {
    let mut all = headers.get_all(name).iter();
    let first = all.next();
    if all.next().is_some() {
        return Err(ApiError::invalid(format!("more than one {name} header")));
    }
    Ok(first)
}

/// A request's raw parameters, for routes that read more than one struct
/// from them; most take [`Params`].
pub(super) struct Input {
    query: Option<String>,
    body: Bytes,
}

impl<S: Send + Sync> FromRequest<S> for Input {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let query = req.uri().query().map(str::to_owned);
        let body = Bytes::from_request(req, state)
            .await
            .map_err(body_rejection)?;
        Ok(Input { query, body })
    }
}

/// Why a body could not be read, in MOTH's terms.
fn body_rejection(e: BytesRejection) -> ApiError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(c) = cause {
        if c.is::<BodyTimedOut>() {
            return ApiError::body_timed_out();
        }
        cause = c.source();
    }
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::body_too_large()
    } else {
        ApiError::body_unreadable()
    }
}

impl Input {
    /// The parameters as a `T`: from the JSON object body when there is a
    /// body, else from the query string (where numbers are decimal text).
    /// A JSON `null` counts as absent, as MOTH treats it.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        if self.body.iter().any(|b| !b.is_ascii_whitespace()) {
            let start = self.body.iter().find(|b| !b.is_ascii_whitespace());
            if start != Some(&b'{') {
                return Err(ApiError::invalid("the JSON body must be an object"));
            }
            let StrictObject(mut map) = serde_json::from_slice(&self.body)
                .map_err(|e| ApiError::invalid(format!("malformed JSON body: {e}")))?;
            map.retain(|_, v| !v.is_null());
            return serde_json::from_value(Value::Object(map)).map_err(rejection);
        }
        let query = self.query.as_deref().unwrap_or("");
        if !decodes_to_utf8(query) {
            return Err(ApiError::invalid(
                "the query string does not decode to UTF-8",
            ));
        }
        serde_urlencoded::from_str(query).map_err(rejection)
    }
}

/// Whether percent-decoding `query` gives UTF-8. serde_urlencoded decodes
/// lossily, which would make `%FF` and `%FE` the same password.
pub(super) fn decodes_to_utf8(query: &str) -> bool {
    let bytes = query.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                decoded.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    std::str::from_utf8(&decoded).is_ok()
}

/// A JSON object whose keys are all different: `{"id":1,"id":2}` is
/// refused, not read as whichever `id` came last.
struct StrictObject(Map<String, Value>);

impl<'de> serde::Deserialize<'de> for StrictObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Keys;
        impl<'de> Visitor<'de> for Keys {
            type Value = StrictObject;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<StrictObject, A::Error> {
                let mut map = Map::new();
                while let Some(key) = access.next_key::<String>()? {
                    if map.contains_key(&key) {
                        return Err(A::Error::custom(format_args!("duplicate key `{key}`")));
                    }
                    let value: Value = access.next_value()?;
                    map.insert(key, value);
                }
                Ok(StrictObject(map))
            }
        }
        d.deserialize_map(Keys)
    }
}

/// serde reports an absent field as "missing field `x`" (its
/// `Error::missing_field`, which neither format overrides); anything else
/// is a value that is there but wrong.
fn rejection(e: impl std::fmt::Display) -> ApiError {
    let text = e.to_string();
    if text.starts_with("missing field") {
        ApiError::missing()
    } else {
        ApiError::invalid(text)
    }
}

/// A route's parameters, deserialized into its own struct `T`.
pub(super) struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Input::from_request(req, state).await?.parse().map(Params)
    }
}

/// A route's parameters from its JSON object body alone: for routes that
/// take secrets, which must not travel in URLs (servers, proxies and
/// browsers log and keep them). A query string with any parameter is
/// refused; an empty body is an empty object, for requests whose secret
/// comes as `Authorization: Bearer`.
pub(super) struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let input = Input::from_request(req, state).await?;
        if input.query.as_deref().is_some_and(|q| !q.is_empty()) {
            return Err(ApiError::invalid(
                "this route takes its parameters in a JSON body, never in the URL",
            ));
        }
        let input = if input.body.iter().all(u8::is_ascii_whitespace) {
            Input {
                query: None,
                body: Bytes::from_static(b"{}"),
            }
        } else {
            input
        };
        input.parse().map(Body)
    }
}

/// The value of cookie `name` among the request's `Cookie` headers, if it
/// is there with a value.
pub(super) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, v)| *n == name && !v.is_empty())
        .map(|(_, v)| v.to_owned())
}

/// The token of `Authorization: Bearer <token>`, if that is the one
/// `Authorization` header.
pub(super) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = single(headers, header::AUTHORIZATION.as_str())
        .ok()??
        .to_str()
        .ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

/// A token parameter, else the bearer token; missing when neither is
/// there. An `Authorization` header that is not one `Bearer <token>` is
/// refused rather than ignored.
pub(super) fn token_or_bearer(
    token: Option<String>,
    headers: &HeaderMap,
) -> Result<String, ApiError> {
    if let Some(t) = token {
        return Ok(t);
    }
    if let Some(t) = bearer(headers) {
        return Ok(t.to_owned());
    }
    if headers.contains_key(header::AUTHORIZATION) {
        return Err(ApiError::invalid(
            "the Authorization header is not one `Bearer <token>`",
        ));
    }
    Err(ApiError::missing())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_must_decode_to_utf8() {
        for ok in [
            "",
            "a=b",
            "p=%C3%A9",
            "p=%e2%82%ac",
            "p=100%",
            "p=%zz",
            "p=%4",
        ] {
            assert!(decodes_to_utf8(ok), "{ok}");
        }
        for bad in [
            "p=%FF",
            "p=%FE",
            "p=%C3",
            "p=%C0%AF",
            "p=%ED%A0%80",
            "p=%C3&q=%A9",
        ] {
            assert!(!decodes_to_utf8(bad), "{bad}");
        }
    }

    #[test]
    fn json_keys_must_be_unique() {
        assert!(serde_json::from_str::<StrictObject>(r#"{"id":1,"x":{"id":2}}"#).is_ok());
        let e = serde_json::from_str::<StrictObject>(r#"{"id":1,"id":2}"#)
            .err()
            .unwrap();
        assert!(e.to_string().contains("duplicate key `id`"), "{e}");
    }
}
