//! `moth settings …`: show or change a tenant's settings.

use clap::Subcommand;
use moth::server;
use moth::{Moth, SettingsOverrides};

use super::print_json;

#[derive(Subcommand)]
pub(crate) enum SettingsCommand {
    /// Print the settings in force.
    Show,
    /// Change the settings named; the others stay. Prints them all.
    Set {
        #[command(flatten)]
        settings: SettingsOverrides,
    },
}

/// Run one `settings` command on `moth`.
pub(crate) fn run(command: SettingsCommand, moth: &Moth) -> anyhow::Result<()> {
    let settings = match command {
        SettingsCommand::Show => moth.get_settings()?,
        SettingsCommand::Set { settings } => moth.update_settings(settings)?,
    };
    print_json(&server::SettingsBody::from(settings));
    Ok(())
}
