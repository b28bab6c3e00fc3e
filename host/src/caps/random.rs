//! The randomness the component reads through `wasi:random/random`.

/// A source of random bytes. Production sources must be cryptographically
/// secure: tokens and salts come from here.
pub trait Random: Send + Sync + 'static {
    /// Fill `buf` entirely, or fail: never fill it partly or weakly. A
    /// failure traps the component call that asked.
    fn fill(&self, buf: &mut [u8]) -> std::io::Result<()>;
}

/// The operating system's CSPRNG (`getrandom`).
#[derive(Clone, Copy, Debug, Default)]
pub struct OsRandom;

impl Random for OsRandom {
    fn fill(&self, buf: &mut [u8]) -> std::io::Result<()> {
        getrandom::fill(buf).map_err(std::io::Error::from)
    }
}

/// A deterministic stream seeded by a number. For tests: never secure.
#[cfg(feature = "testing")]
#[derive(Debug)]
pub struct SeededRandom(std::sync::atomic::AtomicU64);

#[cfg(feature = "testing")]
impl SeededRandom {
    /// A stream that starts from `seed`.
    pub fn new(seed: u64) -> Self {
        SeededRandom(std::sync::atomic::AtomicU64::new(seed))
    }
}

#[cfg(feature = "testing")]
impl Random for SeededRandom {
    fn fill(&self, buf: &mut [u8]) -> std::io::Result<()> {
        moth_core::memory::seeded_fill(&self.0, buf);
        Ok(())
    }
}
