//! OAuth clients over HTTP, as RFC 7591 names their metadata: dynamic
//! registration (`/oauth2/register`) and the admin routes under
//! `/oauth2/clients`, and the bodies they and the CLI show.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::failure::no_store;
use crate::server::error::{ApiError, ApiResult, own_error_response};
use crate::server::extract::{Body, ForTenant, Params};
use crate::{Client, ClientSpec, GrantType, MAX_CLIENT_PAGE, NewClient, RedirectUri};

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
    /// `["code"]` with the authorization-code grant, else none (RFC 7591 §2).
    response_types: Vec<&'static str>,
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
            response_types: if c.grant_types.contains(&GrantType::AuthorizationCode) {
                vec!["code"]
            } else {
                Vec::new()
            },
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

/// A client's metadata as RFC 7591 §2 sends it, for registration and
/// update. `token_endpoint_auth_method` picks the kind: `none` registers
/// a public client, `client_secret_basic` (the default) or
/// `client_secret_post` a confidential one.
#[derive(Deserialize)]
pub(in crate::server::routes) struct Metadata {
    #[serde(default)]
    redirect_uris: Vec<String>,
    client_name: Option<String>,
    grant_types: Option<Vec<String>>,
    /// RFC 7591 §2: only `code` goes with moth's grants.
    response_types: Option<Vec<String>>,
    #[serde(default)]
    scope: String,
    token_endpoint_auth_method: Option<String>,
}

/// RFC 7591 §3.2.2's refusal: `invalid_redirect_uri` or
/// `invalid_client_metadata` (400), and why.
struct Refusal {
    error: &'static str,
    why: String,
}

fn refusal(error: &'static str, why: impl std::fmt::Display) -> Refusal {
    Refusal {
        error,
        why: why.to_string(),
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let res = (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": self.error, "error_description": self.why })),
        )
            .into_response();
        own_error_response(res, self.error)
    }
}

impl Metadata {
    /// The spec it asks for, or RFC 7591's refusal; `kind` is the
    /// confidentiality an update keeps when no method is named.
    fn into_spec(self, kind: Option<bool>) -> Result<ClientSpec, Refusal> {
        let bad = |why: &str| refusal("invalid_client_metadata", why);
        for uri in &self.redirect_uris {
            if let Err(e) = RedirectUri::register(uri) {
                return Err(refusal("invalid_redirect_uri", e));
            }
        }
        let confidential = match self.token_endpoint_auth_method.as_deref() {
            None => kind.unwrap_or(true),
            Some("client_secret_basic") | Some("client_secret_post") => true,
            Some("none") => false,
            Some(other) => {
                return Err(bad(&format!(
                    "token_endpoint_auth_method {other} is not supported"
                )));
            }
        };
        let grant_types = match self.grant_types {
            None => vec![GrantType::AuthorizationCode],
            Some(names) => names
                .iter()
                .map(|n| GrantType::parse(n))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| bad(&e.to_string()))?,
        };
        if let Some(types) = &self.response_types {
            let code_flow = grant_types.contains(&GrantType::AuthorizationCode);
            let fits = types.iter().all(|t| t == "code") && (code_flow || types.is_empty());
            if !fits || (code_flow && types.is_empty()) {
                return Err(bad(
                    "response_types must be [\"code\"] with authorization_code",
                ));
            }
        }
        Ok(ClientSpec {
            // RFC 7591 §2: client_name is optional; the consent page
            // needs some name to show.
            name: self
                .client_name
                .unwrap_or_else(|| UNNAMED_CLIENT.to_owned()),
            confidential,
            redirect_uris: self.redirect_uris,
            grant_types,
            scopes: self.scope,
        })
    }
}

/// The name of a client registered without one.
const UNNAMED_CLIENT: &str = "Unnamed client";

/// What a refused body or spec is told, as RFC 7591 names it: a body that
/// is not the metadata it describes (malformed JSON, a field of the wrong
/// type) or a spec moth refuses is `invalid_client_metadata`.
fn spec_refused(e: ApiError) -> Response {
    if e.status() == StatusCode::BAD_REQUEST {
        refusal("invalid_client_metadata", e.message()).into_response()
    } else {
        e.into_response()
    }
}

/// `POST /oauth2/register` (RFC 7591; the admin key is the initial access
/// token): 201 with the client and its secret, shown once.
pub(in crate::server::routes) async fn register(
    t: ForTenant,
    body: Result<Body<Metadata>, ApiError>,
) -> Response {
    let m = match body {
        Ok(Body(m)) => m,
        Err(e) => return spec_refused(e),
    };
    let spec = match m.into_spec(None) {
        Ok(spec) => spec,
        Err(refused) => return refused.into_response(),
    };
    match t
        .blocking("register-client", move |m| m.register_client(&spec))
        .await
    {
        Ok(new) => {
            let mut res = (StatusCode::CREATED, Json(NewClientBody::from(new))).into_response();
            no_store(&mut res);
            res
        }
        Err(e) => spec_refused(e),
    }
}

/// A client named by its id.
#[derive(Deserialize)]
pub(in crate::server::routes) struct ById {
    client_id: String,
}

fn no_client() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "No such client")
}

/// `GET /oauth2/clients/by-id`: one client.
pub(in crate::server::routes) async fn get_client(
    t: ForTenant,
    Params(p): Params<ById>,
) -> ApiResult<ClientBody> {
    t.read("get-client", move |m| m.get_client(&p.client_id))
        .await?
        .map(|c| Json(c.into()))
        .ok_or_else(no_client)
}

/// A page of clients.
#[derive(Deserialize)]
pub(in crate::server::routes) struct Page {
    after: Option<String>,
    limit: Option<u32>,
}

#[derive(Serialize)]
pub(in crate::server::routes) struct PageBody {
    clients: Vec<ClientBody>,
    next: Option<String>,
}

/// `GET /oauth2/clients`: clients in id order, `limit` (default and at
/// most 100) after `after`.
pub(in crate::server::routes) async fn list_clients(
    t: ForTenant,
    Params(p): Params<Page>,
) -> ApiResult<PageBody> {
    let limit = p.limit.unwrap_or(MAX_CLIENT_PAGE);
    let page = t
        .read("list-clients", move |m| {
            m.list_clients(p.after.as_deref(), limit)
        })
        .await?;
    Ok(Json(PageBody {
        clients: page.clients.into_iter().map(Into::into).collect(),
        next: page.next,
    }))
}

/// An update: the client's id and its new metadata.
#[derive(Deserialize)]
pub(in crate::server::routes) struct Update {
    client_id: String,
    #[serde(flatten)]
    metadata: Metadata,
}

/// `PUT /oauth2/clients/by-id`: replace a client's metadata (not its
/// kind or secret).
pub(in crate::server::routes) async fn update_client(
    t: ForTenant,
    body: Result<Body<Update>, ApiError>,
) -> Response {
    let u = match body {
        Ok(Body(u)) => u,
        Err(e) => return spec_refused(e),
    };
    // A client keeps its kind; naming no method is no request to change it.
    let kind = if u.metadata.token_endpoint_auth_method.is_none() {
        let id = u.client_id.clone();
        match t
            .clone()
            .read("get-client", move |m| m.get_client(&id))
            .await
        {
            Ok(Some(c)) => Some(c.confidential),
            Ok(None) => return no_client().into_response(),
            Err(e) => return e.into_response(),
        }
    } else {
        None
    };
    let spec = match u.metadata.into_spec(kind) {
        Ok(spec) => spec,
        Err(refused) => return refused.into_response(),
    };
    let id = u.client_id;
    match t
        .blocking("update-client", move |m| m.update_client(&id, &spec))
        .await
    {
        Ok(Some(c)) => Json(ClientBody::from(c)).into_response(),
        Ok(None) => no_client().into_response(),
        Err(e) => spec_refused(e),
    }
}

/// `DELETE /oauth2/clients/by-id`: delete a client, ending every grant it
/// holds.
pub(in crate::server::routes) async fn delete_client(
    t: ForTenant,
    Body(p): Body<ById>,
) -> ApiResult<Value> {
    if t.blocking("delete-client", move |m| m.delete_client(&p.client_id))
        .await?
    {
        Ok(Json(json!({ "deleted": true })))
    } else {
        Err(no_client())
    }
}

/// `POST /oauth2/clients/rotate-secret`: a confidential client's new
/// secret, shown once; the old one stops at once.
pub(in crate::server::routes) async fn rotate_secret(
    t: ForTenant,
    Body(p): Body<ById>,
) -> Result<Response, ApiError> {
    let new = t
        .blocking("rotate-client-secret", move |m| {
            m.rotate_client_secret(&p.client_id)
        })
        .await?
        .ok_or_else(no_client)?;
    let mut res = Json(NewClientBody::from(new)).into_response();
    no_store(&mut res);
    Ok(res)
}
