//! The `settings` interface: Argon2 costs, token lifetime and cap, and
//! the password policy.

use crate::error::Result;
use crate::ops;
use crate::{Moth, Settings, SettingsOverrides};

impl Moth {
    /// The settings in force: the stored ones, else the defaults.
    pub fn get_settings(&self) -> Result<Settings> {
        self.call(ops::GET_SETTINGS, |i| {
            let (settings, store) = i.settings();
            settings.call_get_settings(store)
        })
        .map(Settings::from)
    }

    /// Store new settings (validated by the component). Argon2 costs must
    /// also fit the instance memory cap.
    pub fn set_settings(&self, s: Settings) -> Result<()> {
        self.check_fits(&s)?;
        self.call(ops::SET_SETTINGS, |i| {
            let (settings, store) = i.settings();
            settings.call_set_settings(store, s.into())
        })
    }

    /// Change the settings `overrides` names, keep the others, and return
    /// them all (what `PATCH /settings` and `moth settings set` do). The
    /// read and the write race only with another settings change, an
    /// administrator's act; the last one wins whole.
    pub fn update_settings(&self, overrides: SettingsOverrides) -> Result<Settings> {
        let s = overrides.apply(self.get_settings()?);
        self.set_settings(s)?;
        Ok(s)
    }
}
