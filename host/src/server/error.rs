//! A failed request: its status and its `{"error": …}` body. MOTH's wire
//! messages live here, and only here: the host's error texts are for logs.
//!
//! Every error response is JSON, the framework's included: [`envelope`]
//! (run by the one middleware, `metrics::observe`) rewrites any error
//! response a handler did not make (axum's rejections, a panic) and adds
//! the request id to every 5xx; the connection layer (`conn.rs`) uses
//! [`raw_response`] for what hyper refuses before routing.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

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
    /// Close the connection after answering (the rest of the request
    /// could not be read).
    close: bool,
    /// Seconds for a `Retry-After` header (a lockout's wait).
    retry_after: Option<u64>,
}

/// The message of every 500 whose details belong in the server log only.
const INTERNAL: &str = "Internal error; see the server log";
/// What a client is told when the store failed or is unreachable.
const STORAGE_UNAVAILABLE: &str = "Storage unavailable; see the server log";

/// The message of a 408 for a request head that did not arrive in time.
pub(super) const HEAD_TIMED_OUT: &str = "Request header timed out";

impl ApiError {
    /// Its status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// What it says.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// A status and a message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            close: false,
            retry_after: None,
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

    /// The request body did not arrive within the body timeout.
    pub fn body_timed_out() -> Self {
        ApiError {
            close: true,
            ..ApiError::new(StatusCode::REQUEST_TIMEOUT, "Request body timed out")
        }
    }

    /// The request body is over [`super::MAX_BODY_BYTES`].
    pub fn body_too_large() -> Self {
        ApiError {
            close: true,
            ..ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large")
        }
    }

    /// The request body could not be read (the client went away, or sent a
    /// malformed chunked body).
    pub fn body_unreadable() -> Self {
        ApiError {
            close: true,
            ..ApiError::invalid("the request body could not be read")
        }
    }

    /// `Host` names a host this server does not answer for.
    pub fn host_not_allowed() -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "Host not allowed")
    }

    /// A browser sent this request from a page of another site.
    pub fn origin_not_allowed() -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "Origin not allowed")
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let unauthorized = StatusCode::UNAUTHORIZED;
        let stopped = StatusCode::INTERNAL_SERVER_ERROR;
        let api = match &e {
            Error::NoUser => ApiError::new(unauthorized, "User does not exist"),
            Error::InvalidPassword => ApiError::new(unauthorized, "Invalid password"),
            Error::InvalidToken => ApiError::new(unauthorized, "Token does not exist"),
            Error::TokenExpired => ApiError::new(unauthorized, "Token expired"),
            Error::UserExists => ApiError::new(StatusCode::CONFLICT, "User already exists"),
            Error::IpMismatch => ApiError::new(unauthorized, "Token bound to another IP address"),
            Error::NameTaken => ApiError::new(StatusCode::CONFLICT, "Name already taken"),
            Error::LimitReached(why) => {
                ApiError::new(StatusCode::CONFLICT, format!("Limit reached: {why}"))
            }
            // The same answer whatever the password was and whether the
            // account exists: only the wait is told.
            Error::LockedOut(secs) => ApiError {
                retry_after: Some(*secs),
                ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "Too many failed attempts")
            },
            Error::AccountDisabled => ApiError::new(StatusCode::FORBIDDEN, "Account disabled"),
            Error::InvalidInput(why) => ApiError::invalid(why),
            Error::NoTenant => ApiError::new(StatusCode::NOT_FOUND, "Tenant does not exist"),
            Error::TenantExists => ApiError::new(StatusCode::CONFLICT, "Tenant already exists"),
            Error::Overloaded => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "moth is overloaded: no instance became free in time",
            ),
            // The call was stopped and its instance discarded; say why,
            // without internals.
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
            // The database failed or cannot be reached: nothing was
            // written, and the same request may succeed once it is back.
            Error::Storage(_) | Error::Database(_) | Error::Postgres(_) => {
                log_failure(&e);
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, STORAGE_UNAVAILABLE)
            }
            _ => ApiError::internal(),
        };
        // The cause (a trap's text, its wasm backtrace, a storage error)
        // goes to the log only, with the request id the client gets.
        if api.status == stopped {
            log_failure(&e);
        }
        api
    }
}

/// Log a failure whose details the client does not see, with the id of
/// the request it failed (which the client does see).
fn log_failure(e: &Error) {
    tracing::error!(
        request_id = RequestId::current().as_deref(),
        error = e as &dyn std::error::Error,
        "request failed inside moth"
    );
}

/// Marks a response as made by [`ApiError`], with its message, so that
/// [`envelope`] leaves its body alone (or adds the request id to it).
#[derive(Clone)]
struct ErrorMessage(Arc<str>);

/// The body of every error response.
#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<&'a str>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: &self.message,
            request_id: None,
        };
        let mut res = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.close {
            res.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        res.extensions_mut()
            .insert(ErrorMessage(self.message.into()));
        res
    }
}

/// Mark `res`, an error response a handler built in its own form (an
/// OAuth error's RFC 6749 JSON, an HTML page for a browser), as complete:
/// [`envelope`] leaves its body alone (a 5xx still gets the request id).
pub(super) fn own_error_response(mut res: Response, message: &str) -> Response {
    res.extensions_mut().insert(ErrorMessage(message.into()));
    res
}

/// What a handler returns: a JSON body or an [`ApiError`].
pub(super) type ApiResult<T> = Result<Json<T>, ApiError>;

/// The id of one request: in its log lines, in its `X-Request-Id`
/// response header and in the body of a 5xx answer, so a client's report
/// of a failure can be matched to the log that says what failed.
#[derive(Clone, Debug)]
pub(super) struct RequestId(pub Arc<str>);

tokio::task_local! {
    /// The id of the request this task serves.
    static CURRENT: RequestId;
}

impl RequestId {
    /// Run `f` (a request) with this id as the current one.
    pub async fn scope<F: Future>(self, f: F) -> F::Output {
        CURRENT.scope(self, f).await
    }

    /// The id of the request this task serves, if it serves one.
    pub fn current() -> Option<Arc<str>> {
        CURRENT.try_with(|id| id.0.clone()).ok()
    }
}

/// The message for an error response that no handler made: the status's
/// own, in MOTH's words where MOTH has some.
fn message_for(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "Invalid request parameters",
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::METHOD_NOT_ALLOWED => "Method not allowed",
        StatusCode::REQUEST_TIMEOUT => "Request timed out",
        StatusCode::PAYLOAD_TOO_LARGE => "Request body too large",
        StatusCode::URI_TOO_LONG => "Request URI too long",
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => "Request headers too large",
        s if s.is_server_error() => INTERNAL,
        s => s.canonical_reason().unwrap_or("Request refused"),
    }
}

/// The message of hyper's own refusal of a request it could not parse.
pub(super) fn protocol_refusal(status: u16) -> &'static str {
    match status {
        400 => "Malformed HTTP request",
        s => StatusCode::from_u16(s).map_or("Request refused", message_for),
    }
}

/// A whole HTTP/1.1 response carrying `{"error": message}`, written
/// straight to a connection that is then closed.
pub(super) fn raw_response(status: u16, message: &str) -> Vec<u8> {
    let body = serde_json::to_string(&ErrorBody {
        error: message,
        request_id: None,
    })
    .unwrap_or_default();
    let reason = StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The answer of request `id`, made by `answer`: every error response
/// `{"error": …}` (a framework's rejection rewritten), every 5xx with the
/// request id in its body, and a panicking handler a 500 like any other.
pub(super) async fn envelope(id: &RequestId, answer: impl Future<Output = Response>) -> Response {
    let res = match CatchUnwind(std::pin::pin!(answer)).await {
        Ok(res) => res,
        Err(()) => {
            tracing::error!(request_id = &*id.0, "request handler panicked");
            ApiError::internal().into_response()
        }
    };
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let message = match res.extensions().get::<ErrorMessage>() {
        // Ours, and needing nothing more.
        Some(_) if !status.is_server_error() => return res,
        Some(ErrorMessage(m)) => m.clone(),
        None => {
            tracing::debug!(%status, "non-JSON error response rewritten");
            Arc::from(message_for(status))
        }
    };
    let (mut parts, _) = res.into_parts();
    let body = ErrorBody {
        error: &message,
        request_id: status.is_server_error().then_some(&*id.0),
    };
    let json = serde_json::to_vec(&body).unwrap_or_default();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::TRANSFER_ENCODING);
    parts.extensions.insert(ErrorMessage(message.clone()));
    Response::from_parts(parts, json.into())
}

/// A future that turns a panic into `Err(())`.
struct CatchUnwind<'a, F>(Pin<&'a mut F>);

impl<F: Future> Future for CatchUnwind<'_, F> {
    type Output = Result<F::Output, ()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(Err(())),
        }
    }
}
