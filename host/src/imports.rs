//! The component's three imports — store, wall clock, random — served
//! from a call's [`Capabilities`](crate::Capabilities): by moth's own
//! instances, and by a plugin host running a plugin composed with moth
//! (`plugin::add_imports_to_linker`).
//!
//! A backend failure the WIT can express (`store-error.failure`) is
//! returned to the guest; anything else traps the call with `bail!`, so a
//! broken host never panics and never hands the guest weaker data.

use wasmtime::bail;

use crate::Capabilities;
use crate::bindings::store;
use crate::bindings::wasi::clocks::wall_clock::{self, Datetime};
use crate::bindings::wasi::random::random;

/// The most random bytes one import call hands out: the guest asks for
/// salts and tokens (tens of bytes).
const MAX_RANDOM_BYTES: u64 = 1 << 16;

impl Capabilities {
    /// Trap when a test asked the store to.
    fn trap_if_asked(&self) -> wasmtime::Result<()> {
        if self.store.take_trap() {
            bail!("the store was asked to trap this call");
        }
        Ok(())
    }
}

impl store::Host for Capabilities {
    fn get(
        &mut self,
        key: Vec<u8>,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, store::StoreError>> {
        self.trap_if_asked()?;
        Ok(self.store.get(&key).map_err(Into::into))
    }

    fn scan(
        &mut self,
        start: Vec<u8>,
        end: Vec<u8>,
        limit: u32,
    ) -> wasmtime::Result<Result<Vec<store::Entry>, store::StoreError>> {
        self.trap_if_asked()?;
        Ok(self
            .store
            .scan(&start, &end, limit)
            .map(|entries| entries.into_iter().map(Into::into).collect())
            .map_err(Into::into))
    }

    fn commit(
        &mut self,
        guards: Vec<store::Guard>,
        writes: Vec<store::Write>,
    ) -> wasmtime::Result<Result<(), store::StoreError>> {
        self.trap_if_asked()?;
        let guards: Vec<moth_core::Guard> = guards.into_iter().map(Into::into).collect();
        let writes: Vec<moth_core::Write> = writes.into_iter().map(Into::into).collect();
        Ok(self.store.commit(&guards, &writes).map_err(Into::into))
    }
}

impl wall_clock::Host for Capabilities {
    fn now(&mut self) -> wasmtime::Result<Datetime> {
        let (seconds, nanoseconds) = self.clock.now()?;
        Ok(Datetime {
            seconds,
            nanoseconds,
        })
    }

    fn resolution(&mut self) -> wasmtime::Result<Datetime> {
        Ok(Datetime {
            seconds: 0,
            nanoseconds: 1,
        })
    }
}

impl random::Host for Capabilities {
    fn get_random_bytes(&mut self, len: u64) -> wasmtime::Result<Vec<u8>> {
        if len > MAX_RANDOM_BYTES {
            bail!("the guest asked for {len} random bytes; at most {MAX_RANDOM_BYTES} are served");
        }
        let mut buf = vec![0; len as usize];
        self.random.fill(&mut buf)?;
        Ok(buf)
    }

    fn get_random_u64(&mut self) -> wasmtime::Result<u64> {
        let mut buf = [0; 8];
        self.random.fill(&mut buf)?;
        Ok(u64::from_le_bytes(buf))
    }
}
