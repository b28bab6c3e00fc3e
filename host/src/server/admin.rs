//! The admin key: who may manage others' data.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::error::ApiError;
use super::extract::bearer;
use super::routes::AppState;

/// The admin key, kept only as its SHA-256 digest.
pub(super) struct AdminKey([u8; 32]);

impl AdminKey {
    /// The key as configured (surrounding whitespace is not part of it).
    pub fn new(key: &str) -> Self {
        AdminKey(Sha256::digest(key.trim().as_bytes()).into())
    }

    /// Whether `given` is the key. Digests of equal length, compared in
    /// constant time, tell nothing about the key or its length.
    fn matches(&self, given: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(given.as_bytes()).into();
        digest.ct_eq(&self.0).into()
    }
}

/// Middleware: with an admin key configured, refuse requests without it.
pub(super) async fn require_admin(
    State(state): State<std::sync::Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    match require_admin_key(&state, req.headers()) {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

/// With an admin key configured, refuse `headers` without it; for routes
/// where only some requests need it (a rotation proven by the admin key
/// rather than the current API key).
pub(super) fn require_admin_key(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    match &state.admin_key {
        Some(key) if !bearer(headers).is_some_and(|given| key.matches(given)) => Err(
            ApiError::new(StatusCode::UNAUTHORIZED, "Admin key required"),
        ),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_key_matches() {
        let key = AdminKey::new("  0123456789abcdef\n");
        assert!(key.matches("0123456789abcdef"));
        assert!(!key.matches("0123456789abcdeF"));
        assert!(!key.matches(""));
    }
}
