//! The `settings` interface: Argon2 costs and the default token lifetime.

use crate::error::Result;
use crate::handle::Cost;
use crate::{Moth, Settings};

impl Moth {
    /// The settings in force: the stored ones, else the defaults.
    pub fn get_settings(&self) -> Result<Settings> {
        self.call("get_settings", Cost::Short, |i| {
            let (settings, store) = i.settings();
            settings.call_get_settings(store)
        })
        .map(Settings::from)
    }

    /// Store new settings (validated by the component). Argon2 costs must
    /// also fit the instance memory cap.
    pub fn set_settings(&self, s: Settings) -> Result<()> {
        self.check_fits(&s)?;
        self.call("set_settings", Cost::Short, |i| {
            let (settings, store) = i.settings();
            settings.call_set_settings(store, s.into())
        })
    }
}
