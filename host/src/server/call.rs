//! Where a moth call runs: short calls inline on the async worker when an
//! instance is free at once, everything else on the blocking pool, so
//! neither Argon2 nor waiting for an instance stalls the async workers.

use crate::{Error, Moth};

use super::error::ApiError;

/// Run a short call (no Argon2: microseconds) on this worker thread when
/// an instance is free at once; otherwise queue it like [`blocking`].
pub(super) async fn quick<T: Send + 'static>(
    moth: Moth,
    f: impl Fn(&Moth) -> crate::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    match f(&moth.no_wait()) {
        Err(Error::Overloaded) => blocking(move || f(&moth)).await,
        other => other.map_err(ApiError::from),
    }
}

/// Run a call on the blocking pool: Argon2 takes tens of milliseconds and
/// must not stall the async workers.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> crate::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result.map_err(ApiError::from),
        Err(e) => {
            tracing::error!(error = &e as &dyn std::error::Error, "moth call panicked");
            Err(ApiError::internal())
        }
    }
}
