//! OAuth bodies, as RFC 7591 names a client's metadata: what the CLI
//! prints and what the registration and management routes will answer.
//! (The OAuth endpoints themselves are not built yet.)

use serde::Serialize;

use crate::{Client, GrantType, NewClient};

/// A client as RFC 7591 §3.2.1 shows it: `client_id`, `client_name`,
/// `redirect_uris`, `grant_types`, `scope`, `token_endpoint_auth_method`
/// (`client_secret_basic` for a confidential client, `none` for a public
/// one), `client_id_issued_at`; never the secret.
#[derive(Debug, Serialize)]
pub struct ClientBody {
    client_id: String,
    client_name: String,
    redirect_uris: Vec<String>,
    grant_types: Vec<&'static str>,
    scope: String,
    token_endpoint_auth_method: &'static str,
    client_id_issued_at: u64,
    /// Not in RFC 7591: when the client was last changed.
    updated_at: u64,
}

impl From<Client> for ClientBody {
    fn from(c: Client) -> Self {
        ClientBody {
            client_id: c.id,
            client_name: c.name,
            redirect_uris: c
                .redirect_uris
                .iter()
                .map(|u| u.as_str().to_owned())
                .collect(),
            grant_types: c
                .grant_types
                .iter()
                .map(|g| GrantType::as_str(*g))
                .collect(),
            scope: c.scopes.to_string(),
            token_endpoint_auth_method: if c.confidential {
                "client_secret_basic"
            } else {
                "none"
            },
            client_id_issued_at: c.created,
            updated_at: c.updated,
        }
    }
}

/// A client with its new secret, shown once: `client_secret` and
/// `client_secret_expires_at` (0: never) beside the metadata, as RFC 7591
/// §3.2.1 answers a registration. Its `Debug` redacts the secret.
#[derive(Serialize)]
pub struct NewClientBody {
    #[serde(flatten)]
    client: ClientBody,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret_expires_at: Option<u64>,
}

impl std::fmt::Debug for NewClientBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewClientBody")
            .field("client", &self.client)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl From<NewClient> for NewClientBody {
    fn from(n: NewClient) -> Self {
        let expires = n.secret.as_ref().map(|_| 0);
        NewClientBody {
            client: n.client.into(),
            client_secret: n.secret,
            client_secret_expires_at: expires,
        }
    }
}
