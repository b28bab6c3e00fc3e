//! Where a moth call runs. Nothing that commits or hashes runs on an async
//! worker: a commit waits for the group fsync and Argon2 takes tens of
//! milliseconds, and either would stall every connection that worker
//! serves. Those calls go to the blocking pool ([`blocking`]). Only reads
//! ([`read`]) run inline on the worker, and only when an instance is free
//! at once and the store is local (sled): a shared store's reads are
//! network round trips, so they too go to the blocking pool.
//!
//! `validate` counts as a read although it can write: when the token it
//! is given has expired or was revoked, it deletes that token (once; the
//! next try finds nothing). That costs one commit per dead token, rare
//! next to the validations that only read, and moving every validation
//! to the blocking pool would halve its throughput (see the README's
//! benchmarks).
//!
//! Each call is counted by operation and by where it ran
//! (`moth_http_calls_total` in `/metrics`).

use crate::{Error, Moth};

use super::error::{ApiError, RequestId};
use super::routes::AppState;

/// A read (no commit, no Argon2: microseconds): on this worker thread when
/// an instance is free at once, else queued like [`blocking`].
pub(super) async fn read<T: Send + 'static>(
    state: &AppState,
    op: &'static str,
    moth: Moth,
    f: impl Fn(&Moth) -> crate::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    if moth.shared_store() {
        // Each read is a round trip to the database: not on this worker.
        return blocking(state, op, move || f(&moth)).await;
    }
    match f(&moth.no_wait()) {
        Err(Error::Overloaded) => blocking(state, op, move || f(&moth)).await,
        other => {
            state.http.count_call(op, "inline");
            other.map_err(ApiError::from)
        }
    }
}

/// A call that commits, hashes or may run long: on the blocking pool.
pub(super) async fn blocking<T: Send + 'static>(
    state: &AppState,
    op: &'static str,
    f: impl FnOnce() -> crate::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    state.http.count_call(op, "blocking");
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result.map_err(ApiError::from),
        Err(e) => {
            tracing::error!(
                request_id = RequestId::current().as_deref(),
                op,
                error = &e as &dyn std::error::Error,
                "moth call panicked"
            );
            Err(ApiError::internal())
        }
    }
}
