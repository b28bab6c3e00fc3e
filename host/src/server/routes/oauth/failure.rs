//! How the token, revocation and introspection endpoints refuse: RFC 6749
//! §5.2's JSON (`{"error": "<code>", "error_description": …}`), never
//! cached, `invalid_client` as 401 with a `Basic` challenge.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::OAuthError;
use crate::server::error::{ApiError, own_error_response};

/// An OAuth error answer, or moth's own (an overloaded pool, a timeout).
#[derive(Debug)]
pub(in crate::server) enum OAuthFailure {
    /// The protocol's refusal.
    Protocol(OAuthError),
    /// moth could not answer.
    Moth(ApiError),
}

impl OAuthFailure {
    /// `invalid_request` saying `why`.
    pub fn invalid_request(why: impl Into<String>) -> Self {
        OAuthFailure::Protocol(OAuthError::InvalidRequest(why.into()))
    }
}

impl From<OAuthError> for OAuthFailure {
    fn from(e: OAuthError) -> Self {
        OAuthFailure::Protocol(e)
    }
}

impl From<ApiError> for OAuthFailure {
    fn from(e: ApiError) -> Self {
        OAuthFailure::Moth(e)
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_description: Option<&'a str>,
}

/// The headers RFC 6749 §5.1 requires on every token-endpoint answer.
pub(super) fn no_store(res: &mut Response) {
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

impl IntoResponse for OAuthFailure {
    fn into_response(self) -> Response {
        let e = match self {
            OAuthFailure::Protocol(e) => e,
            OAuthFailure::Moth(e) => {
                let mut res = e.into_response();
                no_store(&mut res);
                return res;
            }
        };
        let status = match &e {
            // RFC 6749 §5.2: 401 with a challenge for a failed client
            // authentication.
            OAuthError::InvalidClient => StatusCode::UNAUTHORIZED,
            OAuthError::Storage(why) => {
                tracing::error!(error = why.as_str(), "OAuth grant failed in the store");
                StatusCode::INTERNAL_SERVER_ERROR
            }
            _ => StatusCode::BAD_REQUEST,
        };
        let body = ErrorBody {
            error: e.code(),
            error_description: e.description(),
        };
        let mut res = (status, Json(body)).into_response();
        no_store(&mut res);
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"moth\", charset=\"UTF-8\""),
            );
        }
        own_error_response(res, e.code())
    }
}
