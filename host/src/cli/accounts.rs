//! `moth account …`: account states: show, set.

use clap::{Args, Subcommand};
use moth::server::AccountStateBody;
use moth::{AccountStateChange, Moth};

use super::print_json;

#[derive(Subcommand)]
pub(crate) enum AccountCommand {
    /// A user's account state.
    Show { id: u64 },
    /// Change the fields given, keep the others; prints the state after.
    /// Disabling revokes every session, API key and one-time token.
    Set {
        id: u64,
        #[command(flatten)]
        change: ChangeArgs,
    },
}

/// The fields `account set` changes.
#[derive(Args)]
pub(crate) struct ChangeArgs {
    /// Enable (`true`) or disable (`false`) the account.
    #[arg(long)]
    enabled: Option<bool>,
    /// Disable the account from this Unix time on.
    #[arg(long, value_name = "UNIX-SECONDS", conflicts_with = "no_disabled_from")]
    disabled_from: Option<u64>,
    /// Cancel a disabled-from time.
    #[arg(long)]
    no_disabled_from: bool,
    /// Mark the email address verified (`true`) or not.
    #[arg(long)]
    email_verified: Option<bool>,
    /// Make the account a superuser (`true`) or not.
    #[arg(long)]
    superuser: Option<bool>,
}

impl From<ChangeArgs> for AccountStateChange {
    fn from(a: ChangeArgs) -> Self {
        AccountStateChange {
            enabled: a.enabled,
            disabled_from: if a.no_disabled_from {
                Some(None)
            } else {
                a.disabled_from.map(Some)
            },
            email_verified: a.email_verified,
            superuser: a.superuser,
        }
    }
}

/// Run one `account` command on `moth`.
pub(crate) fn run(command: AccountCommand, moth: &Moth) -> anyhow::Result<()> {
    match command {
        AccountCommand::Show { id } => {
            print_json(&AccountStateBody::new(id, moth.get_account_state(id)?));
        }
        AccountCommand::Set { id, change } => {
            let state = moth.update_account_state(id, change.into())?;
            print_json(&AccountStateBody::new(id, state));
        }
    }
    Ok(())
}
