//! `moth token …`: login tokens: count, revoke, list and end sessions, sweep.

use clap::Subcommand;
use moth::Moth;
use moth::server;
use serde_json::json;

use super::print_json;

#[derive(Subcommand)]
pub(crate) enum TokenCommand {
    /// How many live tokens a user has.
    Count { id: u64 },
    /// Revoke all of a user's tokens.
    RevokeAll { id: u64 },
    /// A user's live sessions (never their tokens), oldest first.
    List { id: u64 },
    /// End one of a user's sessions by its id (from `token list`).
    Revoke { id: u64, session: String },
    /// Delete every expired token now.
    Sweep,
}

/// Run one `token` command on `moth`.
pub(crate) fn run(command: TokenCommand, moth: &Moth) -> anyhow::Result<()> {
    match command {
        TokenCommand::Count { id } => {
            println!("{}", json!({ "count": moth.count_tokens(id)? }))
        }
        TokenCommand::RevokeAll { id } => {
            let count = moth.delete_tokens(id)?;
            println!("{}", json!({ "deleted": count > 0, "count": count }));
        }
        TokenCommand::List { id } => {
            for s in moth.list_sessions(id)? {
                print_json(&server::SessionBody::from(s));
            }
        }
        TokenCommand::Revoke { id, session } => {
            moth.revoke_session(id, &session)?;
            println!("{}", json!({ "deleted": true }));
        }
        TokenCommand::Sweep => println!("{}", json!({ "deleted": moth.sweep_all()? })),
    }
    Ok(())
}
