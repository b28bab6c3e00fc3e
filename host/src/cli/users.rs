//! `moth user …`: users: add, list, show, delete, set a password or permissions.

use clap::Subcommand;
use moth::Moth;
use serde_json::json;

use super::{print_user, read_password};

#[derive(Subcommand)]
pub(crate) enum UserCommand {
    /// Create a user; the password is read from a prompt or from stdin.
    Add {
        username: String,
        /// The user's permissions string.
        #[arg(long, default_value = "")]
        perms: String,
    },
    /// List every user, one JSON object per line.
    List,
    /// Show one user.
    Show { id: u64 },
    /// Delete a user and revoke their tokens.
    Del { id: u64 },
    /// Set a new password (prompt or stdin); revokes the user's tokens.
    Passwd { id: u64 },
    /// Replace a user's permissions string.
    Perms { id: u64, perms: String },
}

/// Run one `user` command on `moth`.
pub(crate) fn run(command: UserCommand, moth: &Moth) -> anyhow::Result<()> {
    match command {
        UserCommand::Add { username, perms } => {
            let password = read_password(true)?;
            print_user(&moth.create_user(&username, &password, &perms)?);
        }
        UserCommand::List => {
            for u in moth.all_users()? {
                print_user(&u);
            }
        }
        UserCommand::Show { id } => print_user(&moth.get_user(id)?),
        UserCommand::Del { id } => {
            moth.delete_user(id)?;
            println!("{}", json!({ "deleted": true }));
        }
        UserCommand::Passwd { id } => {
            moth.get_user(id)?;
            let password = read_password(true)?;
            moth.set_password(id, &password)?;
            println!("{}", json!({ "updated": true }));
        }
        UserCommand::Perms { id, perms } => {
            moth.set_permissions(id, &perms)?;
            println!("{}", json!({ "updated": true }));
        }
    }
    Ok(())
}
