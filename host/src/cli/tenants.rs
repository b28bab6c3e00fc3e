//! `moth tenant …`: tenants: add, list, delete.

use clap::Subcommand;
use moth::{Moth, SettingsOverrides};
use serde_json::json;

#[derive(Subcommand)]
pub(crate) enum TenantCommand {
    /// Create a tenant.
    Add {
        name: String,
        #[command(flatten)]
        settings: SettingsOverrides,
    },
    /// List tenants, `default` first.
    List,
    /// Delete a tenant and all its data.
    Del { name: String },
}

/// Run one `tenant` command on `moth`.
pub(crate) fn run(command: TenantCommand, moth: &Moth) -> anyhow::Result<()> {
    match command {
        TenantCommand::Add { name, settings } => {
            let settings = settings.apply(moth::Settings::default());
            moth.create_tenant(&name, Some(settings))?;
            println!("{}", json!({ "tenant": name }));
        }
        TenantCommand::List => {
            for name in moth.tenants()? {
                println!("{}", json!({ "tenant": name }));
            }
        }
        TenantCommand::Del { name } => {
            moth.delete_tenant(&name)?;
            println!("{}", json!({ "deleted": true }));
        }
    }
    Ok(())
}
