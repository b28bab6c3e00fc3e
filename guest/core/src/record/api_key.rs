//! The API key record, stored under `k` + SHA-256(key).
//!
//! Version 1: owner (a tag byte, `0` then a user id or `1` then a service
//! name), name, scopes, created, then lifetime, expires and last use, each
//! an option (a byte `0` for none, or `1` then the number).
//!
//! The option and tag helpers are free functions of this file, not methods
//! added to the shared `Writer` and `Reader`: sibling record files may add
//! helpers of their own, and two inherent methods of the same name would
//! not compile.

use crate::KeyOwner;
use crate::error::Result;

use super::{Reader, Writer, corrupt};

/// An API key as stored under `k` + digest. Holds no secret: the key
/// itself is only ever stored as the digest in its store key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeyRecord {
    /// Who the key acts for.
    pub owner: KeyOwner,
    /// Its name, unique for its owner while it holds the name's claim.
    pub name: String,
    /// The caller's scopes string.
    pub scopes: String,
    /// Unix seconds of its creation.
    pub created: u64,
    /// The lifetime it was created with, in seconds (`None`: never
    /// expires); kept so that a rotation gives the new key the same one.
    pub lifetime: Option<u64>,
    /// Unix seconds at which it stops being valid; `None`: never. A
    /// rotation with overlap may bring it forward.
    pub expires: Option<u64>,
    /// When it last verified, to within [`crate::LAST_USE_RESOLUTION`].
    pub last_used: Option<u64>,
}

const USER_OWNER: u8 = 0;
const SERVICE_OWNER: u8 = 1;

impl ApiKeyRecord {
    /// The stored bytes (version 1).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new(1);
        w = match &self.owner {
            KeyOwner::User(id) => put_u8(w, USER_OWNER).u64(*id),
            KeyOwner::Service(name) => put_u8(w, SERVICE_OWNER).str(name),
        };
        w = w.str(&self.name).str(&self.scopes).u64(self.created);
        w = put_option(w, self.lifetime);
        w = put_option(w, self.expires);
        put_option(w, self.last_used).0
    }

    /// Parse stored bytes of version 1. Anything else, truncated or with
    /// trailing bytes is a storage error, never a panic.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let (version, mut r) = Reader::new(bytes)?;
        if version != 1 {
            return Err(corrupt());
        }
        let owner = match take_u8(&mut r)? {
            USER_OWNER => KeyOwner::User(r.u64()?),
            SERVICE_OWNER => KeyOwner::Service(r.str()?),
            _ => return Err(corrupt()),
        };
        let rec = ApiKeyRecord {
            owner,
            name: r.str()?,
            scopes: r.str()?,
            created: r.u64()?,
            lifetime: take_option(&mut r)?,
            expires: take_option(&mut r)?,
            last_used: take_option(&mut r)?,
        };
        r.end()?;
        // Creation only stores lifetimes in range: one outside it is damage,
        // to be reported as such rather than blamed on a later caller.
        if rec
            .lifetime
            .is_some_and(|l| !(1..=crate::MAX_LIFETIME).contains(&l))
        {
            return Err(corrupt());
        }
        Ok(rec)
    }

    /// Whether the key is expired at `now`: valid up to, not including,
    /// its expiry second, like login tokens.
    pub fn expired(&self, now: u64) -> bool {
        self.expires.is_some_and(|e| now >= e)
    }
}

fn put_u8(mut w: Writer, v: u8) -> Writer {
    w.0.push(v);
    w
}

fn put_option(w: Writer, v: Option<u64>) -> Writer {
    match v {
        None => put_u8(w, 0),
        Some(n) => put_u8(w, 1).u64(n),
    }
}

fn take_u8(r: &mut Reader<'_>) -> Result<u8> {
    Ok(r.take(1)?[0])
}

fn take_option(r: &mut Reader<'_>) -> Result<Option<u64>> {
    match take_u8(r)? {
        0 => Ok(None),
        1 => Ok(Some(r.u64()?)),
        _ => Err(corrupt()),
    }
}
