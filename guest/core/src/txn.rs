//! Optimistic transactions: read, decide, commit under guards, and on a
//! conflict start over from fresh reads.

use crate::env::StoreError;
use crate::error::{Error, Result};

/// How many conflicting commits an operation tolerates before giving up.
/// Each retry re-reads, so only sustained contention on the same keys (for
/// example thousands of users created at once) gets near it.
pub const MAX_ATTEMPTS: u32 = 1000;

/// The outcome of one attempt.
pub enum Attempt<T> {
    /// The operation finished (committed, or decided nothing needs writing).
    Done(T),
    /// A commit conflicted: read again and retry.
    Retry,
}

/// Map a commit's result into an attempt outcome.
pub fn committed<T>(r: core::result::Result<(), StoreError>, value: T) -> Result<Attempt<T>> {
    match r {
        Ok(()) => Ok(Attempt::Done(value)),
        Err(StoreError::Conflict) => Ok(Attempt::Retry),
        Err(StoreError::Failure(m)) => Err(Error::Storage(m)),
    }
}

/// Run `attempt` until it is done, fails, or has conflicted too often.
pub fn retry<T>(mut attempt: impl FnMut() -> Result<Attempt<T>>) -> Result<T> {
    for _ in 0..MAX_ATTEMPTS {
        if let Attempt::Done(v) = attempt()? {
            return Ok(v);
        }
    }
    Err(Error::Storage(format!(
        "gave up after {MAX_ATTEMPTS} conflicting commits"
    )))
}
