//! The wall clock the component reads through `wasi:clocks/wall-clock`.
//!
//! A clock that cannot say the time (one set before 1970) is an error, not
//! a zero: at time zero every token would look valid for decades.

#[cfg(feature = "testing")]
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// Seconds and nanoseconds since the Unix epoch, or why there are none.
    /// A failure traps the component call that asked.
    fn now(&self) -> std::io::Result<(u64, u32)>;
}

/// The operating system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> std::io::Result<(u64, u32)> {
        let d = SystemTime::now().duration_since(UNIX_EPOCH).map_err(|_| {
            std::io::Error::other("the system clock is set before 1970; set it right")
        })?;
        Ok((d.as_secs(), d.subsec_nanos()))
    }
}

/// A clock that moves only when told to. For tests.
#[cfg(feature = "testing")]
#[derive(Debug, Default)]
pub struct ManualClock(AtomicU64);

#[cfg(feature = "testing")]
impl ManualClock {
    /// A clock standing at `secs` since the epoch.
    pub fn at(secs: u64) -> Self {
        ManualClock(AtomicU64::new(secs))
    }

    /// Move the clock forward by `secs`.
    pub fn advance(&self, secs: u64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }

    /// Seconds since the epoch.
    pub fn secs(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

#[cfg(feature = "testing")]
impl Clock for ManualClock {
    fn now(&self) -> std::io::Result<(u64, u32)> {
        Ok((self.0.load(Ordering::SeqCst), 0))
    }
}

#[cfg(feature = "testing")]
impl<C: Clock> Clock for std::sync::Arc<C> {
    fn now(&self) -> std::io::Result<(u64, u32)> {
        (**self).now()
    }
}
