//! `moth oauth-client …` and `moth oauth-lifetimes`: the OAuth clients of
//! a tenant, and how long what they are issued lives.

use clap::Subcommand;
use moth::{ClientSpec, GrantType, Moth, server};
use serde_json::json;

use super::print_json;

/// A grant type as RFC 6749 names it.
fn grant_type(name: &str) -> Result<GrantType, String> {
    GrantType::parse(name).map_err(|e| e.to_string())
}

#[derive(Subcommand)]
pub(crate) enum OAuthClientCommand {
    /// Register a client; prints it, with its secret once if confidential.
    Register {
        /// Its name, shown on the consent page.
        #[arg(long)]
        name: String,
        /// A public client (a native or browser app): no secret, PKCE.
        #[arg(long)]
        public: bool,
        /// A redirect URI, matched exactly; repeat for more.
        #[arg(long = "redirect-uri", value_name = "URI")]
        redirect_uris: Vec<String>,
        /// authorization_code, refresh_token or client_credentials; repeat
        /// for more.
        #[arg(long = "grant-type", value_name = "GRANT", value_parser = grant_type, required = true)]
        grant_types: Vec<GrantType>,
        /// The scopes it may ask for, space-separated.
        #[arg(long, default_value = "")]
        scope: String,
    },
    /// List the clients, one JSON object per line.
    List,
    /// Show one client.
    Show { id: String },
    /// Change a client's name, redirect URIs, grant types or scopes; what
    /// is left out stays. Whether it is public or confidential cannot
    /// change (register a new client instead). Prints the client.
    Update {
        id: String,
        /// Its new name.
        #[arg(long)]
        name: Option<String>,
        /// A redirect URI, matched exactly; repeat for more. Replaces all
        /// of the client's redirect URIs.
        #[arg(long = "redirect-uri", value_name = "URI")]
        redirect_uris: Option<Vec<String>>,
        /// authorization_code, refresh_token or client_credentials; repeat
        /// for more. Replaces all of the client's grant types.
        #[arg(long = "grant-type", value_name = "GRANT", value_parser = grant_type)]
        grant_types: Option<Vec<GrantType>>,
        /// The scopes it may ask for, space-separated; "" for none.
        #[arg(long)]
        scope: Option<String>,
    },
    /// Give a confidential client a new secret; prints it once.
    RotateSecret { id: String },
    /// Delete a client, ending every grant it holds.
    Delete { id: String },
}

/// Run one `oauth-client` command on `moth`.
pub(crate) fn run(command: OAuthClientCommand, moth: &Moth) -> anyhow::Result<()> {
    let missing = || anyhow::anyhow!("no such client");
    match command {
        OAuthClientCommand::Register {
            name,
            public,
            redirect_uris,
            grant_types,
            scope,
        } => {
            let spec = ClientSpec {
                name,
                confidential: !public,
                redirect_uris,
                grant_types,
                scopes: scope,
            };
            print_json(&server::NewClientBody::from(moth.register_client(&spec)?));
        }
        OAuthClientCommand::List => {
            let mut after = None;
            loop {
                let page = moth.list_clients(after.as_deref(), moth::MAX_CLIENT_PAGE)?;
                for client in page.clients {
                    print_json(&server::ClientBody::from(client));
                }
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
        }
        OAuthClientCommand::Show { id } => {
            let client = moth.get_client(&id)?.ok_or_else(missing)?;
            print_json(&server::ClientBody::from(client));
        }
        OAuthClientCommand::Update {
            id,
            name,
            redirect_uris,
            grant_types,
            scope,
        } => {
            // The update replaces the whole spec: start from the client as
            // it is. Its kind is never changed here (the API refuses that).
            let client = moth.get_client(&id)?.ok_or_else(missing)?;
            let spec = ClientSpec {
                name: name.unwrap_or(client.name),
                confidential: client.confidential,
                redirect_uris: redirect_uris.unwrap_or_else(|| {
                    client
                        .redirect_uris
                        .iter()
                        .map(|u| u.as_str().to_owned())
                        .collect()
                }),
                grant_types: grant_types.unwrap_or(client.grant_types),
                scopes: scope.unwrap_or_else(|| client.scopes.to_string()),
            };
            let client = moth.update_client(&id, &spec)?.ok_or_else(missing)?;
            print_json(&server::ClientBody::from(client));
        }
        OAuthClientCommand::RotateSecret { id } => {
            let client = moth.rotate_client_secret(&id)?.ok_or_else(missing)?;
            print_json(&server::NewClientBody::from(client));
        }
        OAuthClientCommand::Delete { id } => {
            let deleted = moth.delete_client(&id)?;
            println!("{}", json!({ "deleted": deleted }));
        }
    }
    Ok(())
}

/// `moth oauth-lifetimes`: set the lifetimes `set` names (none: only show),
/// then print them all.
pub(crate) fn lifetimes(set: server::LifetimesPatch, moth: &Moth) -> anyhow::Result<()> {
    let now = moth.get_oauth_lifetimes()?;
    let lifetimes = set.apply(now);
    if lifetimes != now {
        moth.set_oauth_lifetimes(&lifetimes)?;
    }
    print_json(&server::LifetimesBody::from(lifetimes));
    Ok(())
}
