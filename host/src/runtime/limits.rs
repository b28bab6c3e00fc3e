//! Per-call limits: the memory cap of an instance and the epoch ticker
//! that enforces call deadlines.

use std::time::Duration;

use wasmtime::{Engine, ResourceLimiter};

/// How often the epoch advances; deadlines are counted in these ticks.
pub(super) const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Caps the memory of one instance, and remembers whether it said no so a
/// refused growth can be reported as [`Error::MemoryLimit`].
pub(crate) struct MemoryCap {
    pub(super) max: usize,
    pub(crate) hit: bool,
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max {
            self.hit = true;
            // An error (not `Ok(false)`) traps at once, instead of letting
            // the guest's allocator turn the refusal into an abort later.
            return Err(wasmtime::Error::msg("instance memory cap reached"));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

/// Advance `engine`'s epoch every tick for as long as the engine lives.
pub(super) fn spawn_ticker(engine: &Engine) {
    let weak = engine.weak();
    let spawned = std::thread::Builder::new()
        .name("moth-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "no epoch ticker: call deadlines will not be enforced");
    }
}
