//! [`AsyncMoth`]: moth for async (tokio) services, over the same [`Moth`]
//! and its typed operations, without a second copy of any of them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::{Error, Moth, Result};

/// A [`Moth`] for tokio services: [`AsyncMoth::run`] runs a closure over
/// the typed API, on the calling async worker when that cannot stall it,
/// else on tokio's blocking pool.
///
/// A call stalls a worker when it hashes (Argon2: tens of milliseconds),
/// commits (waits for the group fsync), makes network round trips (a
/// shared store such as PostgreSQL) or has to wait for an instance. So
/// `run` first calls the closure inline with a handle on which every such
/// call is refused before it does anything; only reads on a local store
/// with a free instance (`validate`, `verify-api-key`, `has-all`, lists …:
/// microseconds) run there, with no thread hop. If the closure made a call
/// that was refused, its result is dropped and the closure runs again, from
/// the start, on the blocking pool. Whatever it did before that call were
/// reads, so running them again changes nothing.
///
/// ```no_run
/// use moth::{AsyncMoth, Options};
///
/// # async fn serve() -> moth::Result<()> {
/// let moth = AsyncMoth::new(Options::new().create(true).open("moth.db")?);
/// // Argon2: on the blocking pool.
/// let session = moth
///     .run(|m| m.login("ann", "correct horse battery staple", None))
///     .await?;
/// // A read: inline, when an instance is free.
/// let token = session.token.clone();
/// let who = moth.run(move |m| m.validate(&token)).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct AsyncMoth {
    moth: Moth,
}

impl AsyncMoth {
    /// `moth`, for async callers.
    pub fn new(moth: Moth) -> Self {
        AsyncMoth { moth }
    }

    /// The synchronous handle underneath, for code that is not async (or
    /// already runs on a blocking thread).
    pub fn moth(&self) -> &Moth {
        &self.moth
    }

    /// The handle for tenant `name` (see [`Moth::tenant`]).
    pub fn tenant(&self, name: &str) -> Result<AsyncMoth> {
        self.moth.tenant(name).map(AsyncMoth::new)
    }

    /// Run `f` over this handle's [`Moth`]: inline when every call it makes
    /// is a read that can run at once, else (again, from the start) on
    /// tokio's blocking pool; see [`AsyncMoth`]. Must be awaited within a
    /// tokio runtime. A panic in `f` is resumed here.
    pub async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: Fn(&Moth) -> Result<T> + Send + 'static,
    {
        let refused = Arc::new(AtomicBool::new(false));
        let inline = self.moth.inline(refused.clone());
        let first = f(&inline);
        if !refused.load(Ordering::Relaxed) {
            return first;
        }
        let moth = self.moth.clone();
        match tokio::task::spawn_blocking(move || f(&moth)).await {
            Ok(result) => result,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // Only when the runtime is shutting down.
            Err(_) => Err(Error::Overloaded),
        }
    }
}

impl From<Moth> for AsyncMoth {
    fn from(moth: Moth) -> Self {
        AsyncMoth::new(moth)
    }
}
