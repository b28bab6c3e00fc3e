//! `moth one-time-token …`: one-time tokens (password reset, email verification).

use std::time::Duration;

use clap::Subcommand;
use moth::Moth;
use serde_json::json;

#[derive(Subcommand)]
pub(crate) enum OneTimeTokenCommand {
    /// Issue a single-use token for a user and a purpose (`reset-password`,
    /// `verify-email`, or your own); prints it once.
    Issue {
        id: u64,
        purpose: String,
        /// Seconds until it expires (default 14400, at most 604800).
        #[arg(long, value_name = "SECS")]
        lifetime: Option<u64>,
    },
}

/// Run one `one-time-token` command on `moth`.
pub(crate) fn run(command: OneTimeTokenCommand, moth: &Moth) -> anyhow::Result<()> {
    match command {
        OneTimeTokenCommand::Issue {
            id,
            purpose,
            lifetime,
        } => {
            let lifetime = lifetime.map(Duration::from_secs);
            let t = moth.issue_one_time_token(id, &purpose, lifetime)?;
            println!("{}", json!({ "token": t.token, "expires": t.expires }));
        }
    }
    Ok(())
}
