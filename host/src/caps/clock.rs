//! The wall clock the component reads through `wasi:clocks/wall-clock`.

#[cfg(feature = "testing")]
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// Seconds and nanoseconds since the Unix epoch.
    fn now(&self) -> (u64, u32);
}

/// The operating system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> (u64, u32) {
        // A clock before 1970 is a misconfigured machine; reading it as the
        // epoch makes every token look expired, which fails safe.
        let d = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        (d.as_secs(), d.subsec_nanos())
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
    fn now(&self) -> (u64, u32) {
        (self.0.load(Ordering::SeqCst), 0)
    }
}

#[cfg(feature = "testing")]
impl<C: Clock> Clock for std::sync::Arc<C> {
    fn now(&self) -> (u64, u32) {
        (**self).now()
    }
}
