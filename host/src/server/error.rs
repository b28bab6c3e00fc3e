//! A failed request: its status and its `{"error": …}` body. MOTH's wire
//! messages live here, and only here: the host's error texts are for logs.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::Error;

/// A failed request: a status and the message its body carries.
#[derive(Debug)]
pub(super) struct ApiError {
    status: StatusCode,
    message: String,
}

/// The message of every 500 whose details belong in the server log only.
const INTERNAL: &str = "Internal error; see the server log";

impl ApiError {
    /// A status and a message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }

    /// A required parameter is absent.
    pub fn missing() -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "Missing request parameters")
    }

    /// A parameter is present but malformed or out of range.
    pub fn invalid(why: impl std::fmt::Display) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("Invalid request parameters: {why}"),
        )
    }

    /// Something failed inside moth; the details go to the log.
    pub fn internal() -> Self {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, INTERNAL)
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let unauthorized = StatusCode::UNAUTHORIZED;
        let stopped = StatusCode::INTERNAL_SERVER_ERROR;
        match e {
            Error::NoUser => ApiError::new(unauthorized, "User does not exist"),
            Error::InvalidPassword => ApiError::new(unauthorized, "Invalid password"),
            Error::InvalidToken => ApiError::new(unauthorized, "Token does not exist"),
            Error::TokenExpired => ApiError::new(unauthorized, "Token expired"),
            Error::UserExists => ApiError::new(StatusCode::CONFLICT, "User already exists"),
            Error::InvalidInput(why) => ApiError::invalid(why),
            Error::NoTenant => ApiError::new(StatusCode::NOT_FOUND, "Tenant does not exist"),
            Error::TenantExists => ApiError::new(StatusCode::CONFLICT, "Tenant already exists"),
            Error::Overloaded => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "moth is overloaded: no instance became free in time",
            ),
            // The call was stopped and its instance discarded (and logged
            // with its cause by the handle); say why, without internals.
            Error::Timeout(d) => ApiError::new(
                stopped,
                format!("the call exceeded its deadline of {d:?} and was stopped"),
            ),
            Error::MemoryLimit(bytes) => ApiError::new(
                stopped,
                format!(
                    "the call exceeded the instance memory cap of {bytes} bytes and was stopped"
                ),
            ),
            Error::Component(_) => ApiError::new(stopped, "component failure; see the server log"),
            e => {
                tracing::error!(
                    error = &e as &dyn std::error::Error,
                    "request failed inside moth"
                );
                ApiError::internal()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct Body {
            error: String,
        }
        let mut res = (
            self.status,
            Json(Body {
                error: self.message,
            }),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

/// What a handler returns: a JSON body or an [`ApiError`].
pub(super) type ApiResult<T> = Result<Json<T>, ApiError>;
