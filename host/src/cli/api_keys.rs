//! `moth api-key …`: API keys of users and services.

use std::time::Duration;

use clap::Subcommand;
use moth::Moth;
use moth::server;
use serde_json::json;

use super::print_json;

/// An API key's owner on the command line: a user or a service.
#[derive(clap::Args)]
#[group(required = true, multiple = false)]
pub(crate) struct OwnerArgs {
    /// The user's id.
    #[arg(long)]
    user: Option<u64>,
    /// The service's name.
    #[arg(long)]
    service: Option<String>,
}

impl OwnerArgs {
    fn owner(self) -> moth::KeyOwner {
        match (self.user, self.service) {
            (Some(id), _) => moth::KeyOwner::User(id),
            (None, name) => moth::KeyOwner::Service(name.unwrap_or_default()),
        }
    }
}

#[derive(Subcommand)]
pub(crate) enum ApiKeyCommand {
    /// Create a key; prints it once, with its metadata.
    Create {
        #[command(flatten)]
        owner: OwnerArgs,
        /// The key's name, unique for its owner.
        #[arg(long)]
        name: String,
        /// The scopes string the key carries.
        #[arg(long, default_value = "")]
        scopes: String,
        /// Seconds until it expires; without it, until revoked.
        #[arg(long, value_name = "SECS")]
        lifetime: Option<u64>,
    },
    /// List an owner's keys (metadata only), one JSON object per line.
    List {
        #[command(flatten)]
        owner: OwnerArgs,
    },
    /// Show one live key's metadata by its id.
    Show { id: String },
    /// Revoke a key by its id.
    Revoke { id: String },
    /// Replace a key by a new one; prints the new key once.
    Rotate {
        id: String,
        /// Seconds the old key keeps working (at most 604800).
        #[arg(long, value_name = "SECS", default_value_t = 0)]
        overlap: u64,
    },
    /// Revoke every key of an owner.
    RevokeAll {
        #[command(flatten)]
        owner: OwnerArgs,
    },
}

/// Run one `api-key` command on `moth`.
pub(crate) fn run(command: ApiKeyCommand, moth: &Moth) -> anyhow::Result<()> {
    match command {
        ApiKeyCommand::Create {
            owner,
            name,
            scopes,
            lifetime,
        } => {
            let lifetime = lifetime.map(Duration::from_secs);
            let key = moth.create_api_key(&owner.owner(), &name, &scopes, lifetime)?;
            print_json(&server::NewApiKeyBody::from(key));
        }
        ApiKeyCommand::List { owner } => {
            for key in moth.list_api_keys(&owner.owner())? {
                print_json(&server::ApiKeyBody::from(key));
            }
        }
        ApiKeyCommand::Show { id } => {
            print_json(&server::ApiKeyBody::from(moth.get_api_key(&id)?));
        }
        ApiKeyCommand::Revoke { id } => {
            moth.revoke_api_key(&id)?;
            println!("{}", json!({ "deleted": true }));
        }
        ApiKeyCommand::Rotate { id, overlap } => {
            let key = moth.rotate_api_key(&id, Duration::from_secs(overlap))?;
            print_json(&server::NewApiKeyBody::from(key));
        }
        ApiKeyCommand::RevokeAll { owner } => {
            let count = moth.revoke_api_keys(&owner.owner())?;
            println!("{}", json!({ "deleted": count > 0, "count": count }));
        }
    }
    Ok(())
}
