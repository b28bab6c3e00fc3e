//! `moth email-token …`: email tokens (magic links) of addresses.

use clap::Subcommand;
use moth::Moth;
use moth::server;
use serde_json::json;

use super::print_json;

#[derive(Subcommand)]
pub(crate) enum EmailTokenCommand {
    /// Create a token for an address; prints it once.
    Create {
        address: String,
        /// Bind the token to this client IP address.
        #[arg(long)]
        ip: Option<String>,
        /// Seconds until it expires (default 900, at most 2592000).
        #[arg(long, value_name = "SECS")]
        lifetime: Option<u64>,
        /// How many times it can be used (default 1).
        #[arg(long)]
        uses: Option<u32>,
        /// What a successful check returns.
        #[arg(long)]
        retval: Option<String>,
    },
    /// List an address's live tokens (metadata only).
    List { address: String },
    /// Delete one token of an address by its id.
    Revoke { address: String, id: String },
    /// Delete every token of an address.
    RemoveAddress { address: String },
}

/// Run one `email-token` command on `moth`.
pub(crate) fn run(command: EmailTokenCommand, moth: &Moth) -> anyhow::Result<()> {
    match command {
        EmailTokenCommand::Create {
            address,
            ip,
            lifetime,
            uses,
            retval,
        } => {
            let options = moth::EmailTokenOptions {
                ip,
                lifetime,
                retval,
                uses,
            };
            let t = moth.create_email_token(&address, &options)?;
            println!(
                "{}",
                json!({ "token": t.token, "id": t.id, "expires": t.expires })
            );
        }
        EmailTokenCommand::List { address } => {
            for info in moth.list_email_tokens(&address)? {
                print_json(&server::EmailTokenBody::from(info));
            }
        }
        EmailTokenCommand::Revoke { address, id } => {
            moth.revoke_email_token(&address, &id)?;
            println!("{}", json!({ "deleted": true }));
        }
        EmailTokenCommand::RemoveAddress { address } => {
            let count = moth.remove_email_address(&address)?;
            println!("{}", json!({ "deleted": count > 0, "count": count }));
        }
    }
    Ok(())
}
