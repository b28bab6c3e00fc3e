//! OAuth clients (RFC 6749 §2): registered by an administrator (or by RFC
//! 7591 dynamic registration under the admin key), each confidential (it
//! holds a secret, shown once and stored as its SHA-256 digest) or public
//! (a native or browser app that cannot keep one, and must use PKCE), with
//! its exact redirect URIs, its allowed grant types and its allowed scopes.

use core::fmt;

use subtle::ConstantTimeEq;

use super::{RedirectUri, Scopes};
use crate::env::{Env, Guard, Write};
use crate::error::{Error, Result, invalid};
use crate::record::ClientRecord;
use crate::text::check_name;
use crate::token::{self, CLIENT_SECRET_PREFIX};
use crate::txn::{Attempt, committed, retry};
use crate::{Auth, keys};

/// The longest client name, in bytes.
pub const MAX_CLIENT_NAME_BYTES: usize = 256;
/// The most redirect URIs one client registers.
pub const MAX_REDIRECT_URIS: usize = 16;
/// The most clients one page of [`Auth::list_clients`] holds.
pub const MAX_CLIENT_PAGE: u32 = 100;

/// How many ids one registration draws, at most, looking for an unused
/// one: a collision has odds of 2^-128 per client; the bound only keeps a
/// broken randomness source from looping forever.
const MINT_ATTEMPTS: u32 = 8;

/// A grant type a client may use. There is no implicit and no password
/// grant: RFC 9700 §2.1.2 and §2.4 say not to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GrantType {
    /// `authorization_code`, with PKCE.
    AuthorizationCode,
    /// `refresh_token`: rotating refresh tokens, with `authorization_code`.
    RefreshToken,
    /// `client_credentials`: a confidential client acting for itself.
    ClientCredentials,
}

impl GrantType {
    /// Every grant type, in bit order.
    pub const ALL: [GrantType; 3] = [
        GrantType::AuthorizationCode,
        GrantType::RefreshToken,
        GrantType::ClientCredentials,
    ];

    /// Its name in RFC 6749 (`grant_type`, and RFC 7591's `grant_types`).
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::ClientCredentials => "client_credentials",
        }
    }

    /// The grant type named `name`; the grants moth does not offer are
    /// refused with a reason.
    pub fn parse(name: &str) -> Result<GrantType> {
        match name {
            "authorization_code" => Ok(GrantType::AuthorizationCode),
            "refresh_token" => Ok(GrantType::RefreshToken),
            "client_credentials" => Ok(GrantType::ClientCredentials),
            "implicit" | "password" => Err(invalid(format!(
                "the {name} grant is not offered (RFC 9700): use authorization_code with PKCE"
            ))),
            _ => Err(invalid(
                "grant types are authorization_code, refresh_token and client_credentials",
            )),
        }
    }

    fn bit(self) -> u8 {
        match self {
            GrantType::AuthorizationCode => 1,
            GrantType::RefreshToken => 2,
            GrantType::ClientCredentials => 4,
        }
    }
}

impl fmt::Display for GrantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a client is registered or updated with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientSpec {
    /// Its display name (shown on the consent page): 1..=256 bytes.
    pub name: String,
    /// Whether it holds a secret. Fixed at registration.
    pub confidential: bool,
    /// Its redirect URIs (see [`RedirectUri::register`]); at least one
    /// with `authorization_code`, at most [`MAX_REDIRECT_URIS`].
    pub redirect_uris: Vec<String>,
    /// Its grant types: at least one. `client_credentials` needs a
    /// confidential client, `refresh_token` needs `authorization_code`.
    pub grant_types: Vec<GrantType>,
    /// The scopes it may ask for, space-separated (RFC 6749 §3.3).
    pub scopes: String,
}

/// A registered client, as administrators and the protocol see it: never
/// its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    /// Its `client_id`: 32 lower-case hex digits, random.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// Whether it authenticates with a secret.
    pub confidential: bool,
    /// Its redirect URIs, in registration order.
    pub redirect_uris: Vec<RedirectUri>,
    /// Its grant types, in [`GrantType::ALL`]'s order.
    pub grant_types: Vec<GrantType>,
    /// The scopes it may ask for.
    pub scopes: Scopes,
    /// Unix seconds of its registration.
    pub created: u64,
    /// Unix seconds of its last update or secret rotation.
    pub updated: u64,
}

impl Client {
    /// Whether it may use `grant`.
    pub fn allows(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    /// The registered redirect URI that `requested` matches, if any.
    pub fn redirect_uri(&self, requested: &str) -> Option<&RedirectUri> {
        self.redirect_uris.iter().find(|r| r.matches(requested))
    }
}

/// A client with its new secret (at registration of a confidential client,
/// or a rotation). `Debug` redacts the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct NewClient {
    /// The client.
    pub client: Client,
    /// Its `client_secret`, shown this once; `None` for a public client.
    pub secret: Option<String>,
}

impl fmt::Debug for NewClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewClient")
            .field("client", &self.client)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// A page of clients, in id order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientPage {
    /// The clients.
    pub clients: Vec<Client>,
    /// The `after` for the next page; `None` after the last one.
    pub next: Option<String>,
}

/// The 16 bytes a client id stands for, if it is one (32 lower-case hex
/// digits); anything else names no client.
pub(super) fn client_id_bytes(id: &str) -> Option<[u8; 16]> {
    let bytes = id.as_bytes();
    if bytes.len() != 32 {
        return None;
    }
    let hex = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; 16];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        out[i] = (hex(pair[0])? << 4) | hex(pair[1])?;
    }
    Some(out)
}

/// A client id as shown: 32 lower-case hex digits.
pub(super) fn client_id_string(id: &[u8; 16]) -> String {
    use core::fmt::Write as _;
    let mut s = String::with_capacity(32);
    for b in id {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The checked parts of a spec, as stored.
struct Checked {
    redirect_uris: Vec<String>,
    grant_types: u8,
    scopes: Scopes,
}

fn check_spec(spec: &ClientSpec) -> Result<Checked> {
    check_name("client name", &spec.name, MAX_CLIENT_NAME_BYTES)?;
    if spec.redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(invalid(format!(
            "at most {MAX_REDIRECT_URIS} redirect URIs"
        )));
    }
    let mut redirect_uris: Vec<String> = Vec::with_capacity(spec.redirect_uris.len());
    for uri in &spec.redirect_uris {
        let uri = RedirectUri::register(uri)?;
        if !redirect_uris.iter().any(|u| u == uri.as_str()) {
            redirect_uris.push(uri.as_str().to_owned());
        }
    }
    let grant_types = spec.grant_types.iter().fold(0, |bits, g| bits | g.bit());
    let has = |g: GrantType| grant_types & g.bit() != 0;
    if grant_types == 0 {
        return Err(invalid("a client needs at least one grant type"));
    }
    if has(GrantType::AuthorizationCode) && redirect_uris.is_empty() {
        return Err(invalid(
            "authorization_code needs at least one redirect URI",
        ));
    }
    if has(GrantType::ClientCredentials) && !spec.confidential {
        return Err(invalid(
            "client_credentials is for confidential clients only (RFC 6749 section 4.4)",
        ));
    }
    if has(GrantType::RefreshToken) && !has(GrantType::AuthorizationCode) {
        return Err(invalid("refresh_token needs authorization_code"));
    }
    Ok(Checked {
        redirect_uris,
        grant_types,
        scopes: Scopes::parse(&spec.scopes)?,
    })
}

/// A stored client as read: its id, the exact bytes (which guard what is
/// then committed on the strength of them) and their decoding.
struct Stored {
    id: [u8; 16],
    bytes: Vec<u8>,
    record: ClientRecord,
}

impl Stored {
    fn guard(&self) -> Guard {
        Guard::equals(keys::oauth_client(&self.id), Some(self.bytes.clone()))
    }

    fn client(&self) -> Result<Client> {
        to_client(&self.id, &self.record)
    }
}

fn to_client(id: &[u8; 16], r: &ClientRecord) -> Result<Client> {
    let corrupt = || Error::Storage("corrupt OAuth client record".into());
    Ok(Client {
        id: client_id_string(id),
        name: r.name.clone(),
        confidential: r.confidential,
        redirect_uris: r
            .redirect_uris
            .iter()
            .map(|u| RedirectUri::from_stored(u.clone()))
            .collect(),
        grant_types: GrantType::ALL
            .into_iter()
            .filter(|g| r.grant_types & g.bit() != 0)
            .collect(),
        scopes: Scopes::parse(&r.scopes).map_err(|_| corrupt())?,
        created: r.created,
        updated: r.updated,
    })
}

impl<E: Env> Auth<E> {
    /// Register a client. A confidential client's secret is in the result
    /// and nowhere else: the store keeps its digest.
    ///
    /// Errors: [`Error::InvalidInput`] for a spec [`ClientSpec`] refuses.
    pub fn register_client(&self, spec: &ClientSpec) -> Result<NewClient> {
        let checked = check_spec(spec)?;
        retry(|| {
            let now = self.env.now();
            let id = self.mint_client_id()?;
            let secret = spec
                .confidential
                .then(|| token::mint_prefixed(&self.env, CLIENT_SECRET_PREFIX));
            let record = ClientRecord {
                name: spec.name.clone(),
                confidential: spec.confidential,
                secret: secret.as_deref().map(token::digest),
                redirect_uris: checked.redirect_uris.clone(),
                grant_types: checked.grant_types,
                scopes: checked.scopes.to_string(),
                created: now,
                updated: now,
            };
            let key = keys::oauth_client(&id);
            let client = to_client(&id, &record)?;
            committed(
                self.env.commit(
                    &[Guard::absent(key.clone())],
                    &[Write::put(key, record.encode())],
                ),
                NewClient { client, secret },
            )
        })
    }

    /// The client `id`, or `None` when there is none (or `id` is not a
    /// client id).
    pub fn get_client(&self, id: &str) -> Result<Option<Client>> {
        self.load_client(id)?.map(|s| s.client()).transpose()
    }

    /// Up to `limit` (1..=[`MAX_CLIENT_PAGE`]) clients with ids after
    /// `after`, in id order.
    pub fn list_clients(&self, after: Option<&str>, limit: u32) -> Result<ClientPage> {
        if !(1..=MAX_CLIENT_PAGE).contains(&limit) {
            return Err(invalid(format!("limit must be 1..={MAX_CLIENT_PAGE}")));
        }
        let after = match after {
            Some(a) => Some(client_id_bytes(a).ok_or_else(|| invalid("after is not a client id"))?),
            None => None,
        };
        let (start, end) = keys::oauth_clients_after(after.as_ref());
        // One more than asked says whether there is a next page.
        let entries = self.env.scan(&start, &end, limit + 1)?;
        let more = entries.len() > limit as usize;
        let mut clients = Vec::with_capacity(entries.len().min(limit as usize));
        for entry in entries.into_iter().take(limit as usize) {
            let id = keys::oauth_client_id(&entry.0)
                .ok_or_else(|| Error::Storage("corrupt OAuth client key".into()))?;
            clients.push(to_client(&id, &ClientRecord::decode(&entry.1)?)?);
        }
        let next = if more {
            clients.last().map(|c| c.id.clone())
        } else {
            None
        };
        Ok(ClientPage { clients, next })
    }

    /// Replace client `id`'s name, redirect URIs, grant types and scopes;
    /// its secret and its kind stay. `None` when there is no such client.
    ///
    /// Errors: [`Error::InvalidInput`] for a spec [`ClientSpec`] refuses,
    /// or one that would change the client's kind (register a new client
    /// instead: a public client's tokens were issued without a secret).
    pub fn update_client(&self, id: &str, spec: &ClientSpec) -> Result<Option<Client>> {
        let checked = check_spec(spec)?;
        retry(|| {
            let Some(stored) = self.load_client(id)? else {
                return Ok(Attempt::Done(None));
            };
            if stored.record.confidential != spec.confidential {
                return Err(invalid(
                    "a client cannot change between confidential and public; register a new one",
                ));
            }
            let record = ClientRecord {
                name: spec.name.clone(),
                redirect_uris: checked.redirect_uris.clone(),
                grant_types: checked.grant_types,
                scopes: checked.scopes.to_string(),
                updated: self.env.now(),
                ..stored.record.clone()
            };
            let client = to_client(&stored.id, &record)?;
            committed(
                self.env.commit(
                    &[stored.guard()],
                    &[Write::put(keys::oauth_client(&stored.id), record.encode())],
                ),
                Some(client),
            )
        })
    }

    /// Give confidential client `id` a new secret; the old one stops
    /// working at once. `None` when there is no such client.
    ///
    /// Errors: [`Error::InvalidInput`] for a public client.
    pub fn rotate_client_secret(&self, id: &str) -> Result<Option<NewClient>> {
        retry(|| {
            let Some(stored) = self.load_client(id)? else {
                return Ok(Attempt::Done(None));
            };
            if !stored.record.confidential {
                return Err(invalid("a public client has no secret"));
            }
            let secret = token::mint_prefixed(&self.env, CLIENT_SECRET_PREFIX);
            let record = ClientRecord {
                secret: Some(token::digest(&secret)),
                updated: self.env.now(),
                ..stored.record.clone()
            };
            let client = to_client(&stored.id, &record)?;
            committed(
                self.env.commit(
                    &[stored.guard()],
                    &[Write::put(keys::oauth_client(&stored.id), record.encode())],
                ),
                Some(NewClient {
                    client,
                    secret: Some(secret),
                }),
            )
        })
    }

    /// Delete client `id`; whether there was one.
    pub fn delete_client(&self, id: &str) -> Result<bool> {
        retry(|| {
            let Some(stored) = self.load_client(id)? else {
                return Ok(Attempt::Done(false));
            };
            committed(
                self.env.commit(
                    &[stored.guard()],
                    &[Write::delete(keys::oauth_client(&stored.id))],
                ),
                true,
            )
        })
    }

    /// The confidential client `id` if `secret` is its secret (RFC 6749
    /// §2.3.1); `None` otherwise: an unknown client, a public one, a wrong
    /// or malformed secret (the protocol answers `invalid_client` to all,
    /// so they are not told apart). The digests are compared in constant
    /// time.
    pub fn authenticate_client(&self, id: &str, secret: &str) -> Result<Option<Client>> {
        if !token::well_formed_prefixed(secret, CLIENT_SECRET_PREFIX) {
            return Ok(None);
        }
        let Some(stored) = self.load_client(id)? else {
            return Ok(None);
        };
        let Some(expected) = stored.record.secret else {
            return Ok(None);
        };
        if bool::from(token::digest(secret).ct_eq(&expected)) {
            stored.client().map(Some)
        } else {
            Ok(None)
        }
    }

    fn load_client(&self, id: &str) -> Result<Option<Stored>> {
        let Some(id) = client_id_bytes(id) else {
            return Ok(None);
        };
        let Some(bytes) = self.env.get(&keys::oauth_client(&id))? else {
            return Ok(None);
        };
        let record = ClientRecord::decode(&bytes)?;
        Ok(Some(Stored { id, bytes, record }))
    }

    /// A fresh client id that no stored client has.
    fn mint_client_id(&self) -> Result<[u8; 16]> {
        for _ in 0..MINT_ATTEMPTS {
            let mut id = [0u8; 16];
            self.env.random(&mut id);
            if self.env.get(&keys::oauth_client(&id))?.is_none() {
                return Ok(id);
            }
        }
        Err(Error::Storage("found no unused client id".into()))
    }
}

#[cfg(test)]
mod tests;
