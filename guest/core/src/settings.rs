//! Stored settings: Argon2 costs and the default token lifetime.

use crate::env::{Env, Write};
use crate::error::{Result, invalid};
use crate::record::Settings;
use crate::{Auth, keys, password};

/// The longest token lifetime accepted: ten years, in seconds.
pub const MAX_LIFETIME: u64 = 10 * 365 * 24 * 60 * 60;

pub(crate) fn check_lifetime(secs: u64) -> Result<()> {
    if (1..=MAX_LIFETIME).contains(&secs) {
        Ok(())
    } else {
        Err(invalid(format!(
            "token lifetime must be 1..={MAX_LIFETIME} seconds"
        )))
    }
}

impl<E: Env> Auth<E> {
    /// The stored settings, or the defaults when none were stored.
    pub fn settings(&self) -> Result<Settings> {
        match self.env.get(&keys::settings())? {
            Some(bytes) => Settings::decode(&bytes),
            None => Ok(Settings::default()),
        }
    }

    /// Validate and store new settings.
    pub fn set_settings(&self, settings: Settings) -> Result<()> {
        password::hasher(&settings)?;
        check_lifetime(settings.default_token_lifetime)?;
        self.env
            .commit(&[], &[Write::put(keys::settings(), settings.encode())])?;
        Ok(())
    }
}
