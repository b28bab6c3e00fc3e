//! The OAuth records: clients (`z` + client id), authorization codes
//! (`A` + SHA-256(code)), grants (`C` + grant id: what one authorization
//! issued, which its tokens name) and tokens (`B` + SHA-256(token)).
//!
//! Client version 1: name, a flags byte (bit 0: confidential), the secret's
//! digest as an option (`0`, or `1` then 32 bytes), the redirect URIs (a
//! count, then each string), the grant types as a bit set, the allowed
//! scopes, then created and updated.

use crate::error::Result;

use super::{Reader, Writer, corrupt};

/// An OAuth client as stored. Its secret is only ever its SHA-256 digest;
/// `Debug` leaves even that out.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientRecord {
    /// The client's display name.
    pub name: String,
    /// Whether the client authenticates with a secret.
    pub confidential: bool,
    /// SHA-256 of the secret, for a confidential client.
    pub secret: Option<[u8; 32]>,
    /// The registered redirect URIs, in registration order.
    pub redirect_uris: Vec<String>,
    /// The allowed grant types, as bits (see `oauth::clients::GrantType`).
    pub grant_types: u8,
    /// The allowed scopes, space-separated.
    pub scopes: String,
    /// Unix seconds of its registration.
    pub created: u64,
    /// Unix seconds of its last update or secret rotation.
    pub updated: u64,
}

impl core::fmt::Debug for ClientRecord {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientRecord")
            .field("name", &self.name)
            .field("confidential", &self.confidential)
            .field("secret", &self.secret.map(|_| "<redacted>"))
            .field("redirect_uris", &self.redirect_uris)
            .field("grant_types", &self.grant_types)
            .field("scopes", &self.scopes)
            .field("created", &self.created)
            .field("updated", &self.updated)
            .finish()
    }
}

const CONFIDENTIAL: u8 = 1;

impl ClientRecord {
    /// The stored bytes (version 1).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new(1).str(&self.name);
        w.0.push(if self.confidential { CONFIDENTIAL } else { 0 });
        match &self.secret {
            None => w.0.push(0),
            Some(digest) => {
                w.0.push(1);
                w.0.extend_from_slice(digest);
            }
        }
        // Registration bounds the count far below u32::MAX.
        let count = u32::try_from(self.redirect_uris.len()).expect("validated count");
        w = w.u32(count);
        for uri in &self.redirect_uris {
            w = w.str(uri);
        }
        w.0.push(self.grant_types);
        w.str(&self.scopes).u64(self.created).u64(self.updated).0
    }

    /// Parse stored bytes of version 1. Anything else, truncated or with
    /// trailing bytes is a storage error, never a panic.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let (version, mut r) = Reader::new(bytes)?;
        if version != 1 {
            return Err(corrupt());
        }
        let name = r.str()?;
        let confidential = match r.take(1)?[0] {
            0 => false,
            CONFIDENTIAL => true,
            _ => return Err(corrupt()),
        };
        let secret = match r.take(1)?[0] {
            0 => None,
            1 => Some(r.take(32)?.try_into().map_err(|_| corrupt())?),
            _ => return Err(corrupt()),
        };
        let count = r.u32()?;
        // Each URI takes at least its 4-byte length: a count the bytes
        // cannot hold is damage, refused before allocating for it.
        if count as usize > r.0.len() / 4 {
            return Err(corrupt());
        }
        let mut redirect_uris = Vec::with_capacity(count as usize);
        for _ in 0..count {
            redirect_uris.push(r.str()?);
        }
        let rec = ClientRecord {
            name,
            confidential,
            secret,
            redirect_uris,
            grant_types: r.take(1)?[0],
            scopes: r.str()?,
            created: r.u64()?,
            updated: r.u64()?,
        };
        r.end()?;
        // A confidential client has a secret and a public one none.
        if rec.confidential != rec.secret.is_some() {
            return Err(corrupt());
        }
        Ok(rec)
    }
}

/// Write `Some(bytes)` as `1` + the bytes, `None` as `0`.
fn put_fixed(mut w: Writer, v: Option<&[u8]>) -> Writer {
    match v {
        None => w.0.push(0),
        Some(bytes) => {
            w.0.push(1);
            w.0.extend_from_slice(bytes);
        }
    }
    w
}

/// Read what [`put_fixed`] wrote, of `N` bytes.
fn take_fixed<const N: usize>(r: &mut Reader<'_>) -> Result<Option<[u8; N]>> {
    match r.take(1)?[0] {
        0 => Ok(None),
        1 => Ok(Some(r.take(N)?.try_into().map_err(|_| corrupt())?)),
        _ => Err(corrupt()),
    }
}

/// An authorization code as stored under `A` + digest (version 1: client,
/// redirect URI, whether it was sent, user, generation, consent epoch,
/// scopes, challenge, expires, grant).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeRecord {
    /// The client it was issued to.
    pub client: [u8; 16],
    /// Where the authorization response went: the request's `redirect_uri`,
    /// or the client's one registered URI.
    pub redirect_uri: String,
    /// Whether the request named it: the token request must then name the
    /// same (RFC 6749 §4.1.3).
    pub redirect_sent: bool,
    /// The user who authorized it.
    pub user: u64,
    /// The user's generation then: a revocation since kills the code.
    pub generation: u64,
    /// The epoch of the consent it was issued under: revoked since (even if
    /// given again), the code is dead.
    pub consent: u64,
    /// The granted scopes, space-separated.
    pub scopes: String,
    /// The PKCE challenge's digest.
    pub challenge: Option<[u8; 32]>,
    /// Unix seconds at which it stops being redeemable.
    pub expires: u64,
    /// Once redeemed, the grant its tokens belong to: kept so that a second
    /// redemption can revoke them (RFC 6749 §4.1.2).
    pub grant: Option<[u8; 16]>,
}

impl CodeRecord {
    /// The stored bytes (version 1).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new(1);
        w.0.extend_from_slice(&self.client);
        w = w.str(&self.redirect_uri);
        w.0.push(u8::from(self.redirect_sent));
        w = w
            .u64(self.user)
            .u64(self.generation)
            .u64(self.consent)
            .str(&self.scopes);
        w = put_fixed(w, self.challenge.as_ref().map(|c| &c[..])).u64(self.expires);
        put_fixed(w, self.grant.as_ref().map(|g| &g[..])).0
    }

    /// Parse stored bytes of version 1.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let (version, mut r) = Reader::new(bytes)?;
        if version != 1 {
            return Err(corrupt());
        }
        let rec = CodeRecord {
            client: r.take(16)?.try_into().map_err(|_| corrupt())?,
            redirect_uri: r.str()?,
            redirect_sent: match r.take(1)?[0] {
                0 => false,
                1 => true,
                _ => return Err(corrupt()),
            },
            user: r.u64()?,
            generation: r.u64()?,
            consent: r.u64()?,
            scopes: r.str()?,
            challenge: take_fixed(&mut r)?,
            expires: r.u64()?,
            grant: take_fixed(&mut r)?,
        };
        r.end()?;
        Ok(rec)
    }
}

/// A grant as stored under `C` + grant id: what one authorization code (or
/// one client-credentials request) issued. Every token names its grant;
/// deleting the grant revokes them all at once.
///
/// Version 1: client, user (an option of id, generation and consent
/// epoch), scopes, created, expires, then the live refresh token's digest
/// as an option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantRecord {
    /// The client.
    pub client: [u8; 16],
    /// The user, their generation and the epoch of their consent at the
    /// grant; `None` for a client acting for itself.
    pub user: Option<(u64, u64, u64)>,
    /// The granted scopes, space-separated.
    pub scopes: String,
    /// Unix seconds of the grant.
    pub created: u64,
    /// Unix seconds at which the grant ends, whatever is refreshed: the
    /// refresh tokens' absolute lifetime.
    pub expires: u64,
    /// The digests of the refresh tokens that may be used now: one, or a
    /// few siblings issued while a refresh grace interval let a replaced
    /// token be used again. Any other token of the grant presented again is
    /// a replay, which revokes the grant.
    pub refresh: Vec<[u8; 32]>,
    /// The digest of the refresh token the last refresh used (none before
    /// any; a list so that the layout need not change): still usable until
    /// `rotated` plus the grace interval in force.
    pub replaced: Vec<[u8; 32]>,
    /// Unix seconds of the last refresh (0 before any).
    pub rotated: u64,
}

/// The most refresh tokens one grant holds at once: a refresh grace
/// interval lets concurrent refreshes each get one, but not without bound.
pub const MAX_LIVE_REFRESH_TOKENS: usize = 8;

impl GrantRecord {
    /// The stored bytes (version 2: version 1's fields with the refresh
    /// digests as a list, then the replaced ones and when they were).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new(2);
        w.0.extend_from_slice(&self.client);
        w = match self.user {
            None => put_fixed(w, None),
            Some((id, generation, epoch)) => {
                put_fixed(w, Some(&[])).u64(id).u64(generation).u64(epoch)
            }
        };
        w = w.str(&self.scopes).u64(self.created).u64(self.expires);
        w = put_digests(w, &self.refresh);
        put_digests(w, &self.replaced).u64(self.rotated).0
    }

    /// Parse stored bytes of version 1 (one optional refresh digest) or 2.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let (version, mut r) = Reader::new(bytes)?;
        if !(1..=2).contains(&version) {
            return Err(corrupt());
        }
        let client = r.take(16)?.try_into().map_err(|_| corrupt())?;
        let user = match take_fixed::<0>(&mut r)? {
            None => None,
            Some([]) => Some((r.u64()?, r.u64()?, r.u64()?)),
        };
        let scopes = r.str()?;
        let created = r.u64()?;
        let expires = r.u64()?;
        let (refresh, replaced, rotated) = if version == 1 {
            let current = take_fixed(&mut r)?;
            (current.into_iter().collect(), Vec::new(), 0)
        } else {
            (take_digests(&mut r)?, take_digests(&mut r)?, r.u64()?)
        };
        r.end()?;
        Ok(GrantRecord {
            client,
            user,
            scopes,
            created,
            expires,
            refresh,
            replaced,
            rotated,
        })
    }
}

/// A short list of digests: a count byte, then each.
fn put_digests(mut w: Writer, digests: &[[u8; 32]]) -> Writer {
    // Bounded by MAX_LIVE_REFRESH_TOKENS where they are made.
    w.0.push(u8::try_from(digests.len()).expect("a short list of digests"));
    for d in digests {
        w.0.extend_from_slice(d);
    }
    w
}

/// Read what [`put_digests`] wrote.
fn take_digests(r: &mut Reader<'_>) -> Result<Vec<[u8; 32]>> {
    let count = r.take(1)?[0];
    (0..count)
        .map(|_| r.take(32)?.try_into().map_err(|_| corrupt()))
        .collect()
}

/// Which kind of OAuth token a record is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// An access token.
    Access,
    /// A refresh token.
    Refresh,
}

/// An OAuth token as stored under `B` + digest (version 1: kind, grant,
/// issued, expires, scopes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthTokenRecord {
    /// Access or refresh.
    pub kind: TokenKind,
    /// The grant it belongs to.
    pub grant: [u8; 16],
    /// Unix seconds of its issue.
    pub issued: u64,
    /// Unix seconds at which it stops being valid (for a refresh token,
    /// its idle expiry).
    pub expires: u64,
    /// The scopes it carries: an access token's may be fewer than its
    /// grant's (a narrowed refresh); a refresh token carries the grant's.
    pub scopes: String,
}

impl OAuthTokenRecord {
    /// The stored bytes (version 1).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new(1);
        w.0.push(match self.kind {
            TokenKind::Access => 1,
            TokenKind::Refresh => 2,
        });
        w.0.extend_from_slice(&self.grant);
        w.u64(self.issued).u64(self.expires).str(&self.scopes).0
    }

    /// Parse stored bytes of version 1.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let (version, mut r) = Reader::new(bytes)?;
        if version != 1 {
            return Err(corrupt());
        }
        let kind = match r.take(1)?[0] {
            1 => TokenKind::Access,
            2 => TokenKind::Refresh,
            _ => return Err(corrupt()),
        };
        let rec = OAuthTokenRecord {
            kind,
            grant: r.take(16)?.try_into().map_err(|_| corrupt())?,
            issued: r.u64()?,
            expires: r.u64()?,
            scopes: r.str()?,
        };
        r.end()?;
        Ok(rec)
    }
}

/// A user's consent to a client, as stored under `D` + user + client
/// (version 1: scopes, since, epoch).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentRecord {
    /// Every scope the user has consented to for the client.
    pub scopes: String,
    /// Unix seconds of the first consent since the last revocation.
    pub since: u64,
    /// Random, drawn at that first consent and recorded in every grant made
    /// under it: a grant whose epoch is not the consent's belongs to a
    /// consent since revoked, however soon it was given again.
    pub epoch: u64,
}

impl ConsentRecord {
    /// The stored bytes (version 1).
    pub fn encode(&self) -> Vec<u8> {
        Writer::new(1)
            .str(&self.scopes)
            .u64(self.since)
            .u64(self.epoch)
            .0
    }

    /// Parse stored bytes of version 1.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let (version, mut r) = Reader::new(bytes)?;
        if version != 1 {
            return Err(corrupt());
        }
        let rec = ConsentRecord {
            scopes: r.str()?,
            since: r.u64()?,
            epoch: r.u64()?,
        };
        r.end()?;
        Ok(rec)
    }
}

/// The OAuth lifetimes as stored under the `oauth-settings` meta key
/// (version 1: code, access, refresh idle, refresh; version 2 adds the
/// refresh grace interval).
pub fn encode_oauth_lifetimes(l: &crate::OAuthLifetimes) -> Vec<u8> {
    Writer::new(2)
        .u64(l.code)
        .u64(l.access)
        .u64(l.refresh_idle)
        .u64(l.refresh)
        .u64(l.refresh_grace)
        .0
}

/// Parse what [`encode_oauth_lifetimes`] wrote, in either version.
pub fn decode_oauth_lifetimes(bytes: &[u8]) -> Result<crate::OAuthLifetimes> {
    let (version, mut r) = Reader::new(bytes)?;
    if !(1..=2).contains(&version) {
        return Err(corrupt());
    }
    let l = crate::OAuthLifetimes {
        code: r.u64()?,
        access: r.u64()?,
        refresh_idle: r.u64()?,
        refresh: r.u64()?,
        // Before version 2 there was no grace: replaced tokens were replays.
        refresh_grace: if version == 1 { 0 } else { r.u64()? },
    };
    r.end()?;
    Ok(l)
}

#[cfg(test)]
mod tests {
    use super::ClientRecord;

    fn sample() -> ClientRecord {
        ClientRecord {
            name: "app".into(),
            confidential: true,
            secret: Some([7; 32]),
            redirect_uris: vec![
                "https://app.example/cb".into(),
                "http://127.0.0.1/cb".into(),
            ],
            grant_types: 0b011,
            scopes: "read write".into(),
            created: 10,
            updated: 20,
        }
    }

    #[test]
    fn round_trips() {
        let public = ClientRecord {
            confidential: false,
            secret: None,
            redirect_uris: vec![],
            ..sample()
        };
        for rec in [sample(), public] {
            assert_eq!(ClientRecord::decode(&rec.encode()).unwrap(), rec);
        }
    }

    #[test]
    fn damage_is_an_error_never_a_panic() {
        let bytes = sample().encode();
        for len in 0..bytes.len() {
            assert!(ClientRecord::decode(&bytes[..len]).is_err(), "{len}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(ClientRecord::decode(&longer).is_err());
        let mut version = bytes.clone();
        version[0] = 2;
        assert!(ClientRecord::decode(&version).is_err());
        // Confidential without a secret.
        let lying = ClientRecord {
            secret: None,
            ..sample()
        };
        assert!(ClientRecord::decode(&lying.encode()).is_err());
        // A huge URI count.
        let mut huge = ClientRecord {
            redirect_uris: vec![],
            ..sample()
        }
        .encode();
        let at = 1 + 4 + 3 + 1 + 1 + 32;
        huge[at..at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(ClientRecord::decode(&huge).is_err());
    }

    #[test]
    fn codes_grants_and_tokens_round_trip_and_refuse_damage() {
        use super::{CodeRecord, GrantRecord, OAuthTokenRecord, TokenKind};
        let code = CodeRecord {
            client: [1; 16],
            redirect_uri: "https://app.example/cb".into(),
            redirect_sent: true,
            user: 7,
            generation: 2,
            consent: 11,
            scopes: "read".into(),
            challenge: Some([3; 32]),
            expires: 99,
            grant: None,
        };
        let redeemed = CodeRecord {
            grant: Some([4; 16]),
            challenge: None,
            ..code.clone()
        };
        for c in [code, redeemed] {
            let bytes = c.encode();
            assert_eq!(CodeRecord::decode(&bytes).unwrap(), c);
            for len in 0..bytes.len() {
                assert!(CodeRecord::decode(&bytes[..len]).is_err());
            }
        }
        let grant = GrantRecord {
            client: [1; 16],
            user: Some((7, 2, 5)),
            scopes: "read write".into(),
            created: 5,
            expires: 50,
            refresh: vec![[9; 32], [8; 32]],
            replaced: vec![[7; 32]],
            rotated: 40,
        };
        let machine = GrantRecord {
            user: None,
            refresh: vec![],
            replaced: vec![],
            rotated: 0,
            ..grant.clone()
        };
        for g in [grant.clone(), machine] {
            let bytes = g.encode();
            assert_eq!(GrantRecord::decode(&bytes).unwrap(), g);
            for len in 0..bytes.len() {
                assert!(GrantRecord::decode(&bytes[..len]).is_err());
            }
        }
        // A version 1 grant (one optional refresh digest, nothing after)
        // written before grace intervals existed still reads.
        let one = GrantRecord {
            refresh: vec![[9; 32]],
            replaced: vec![],
            rotated: 0,
            ..grant
        };
        let v2 = one.encode();
        // Version 2 ends: count 1, the digest, count 0, rotated. Version 1
        // ends: tag 1, the digest.
        let mut v1 = vec![1];
        v1.extend_from_slice(&v2[1..v2.len() - 9]);
        assert_eq!(GrantRecord::decode(&v1).unwrap(), one);
        let none = GrantRecord {
            refresh: vec![],
            ..one.clone()
        };
        let v2 = none.encode();
        let mut v1 = vec![1];
        v1.extend_from_slice(&v2[1..v2.len() - 9]);
        assert_eq!(GrantRecord::decode(&v1).unwrap(), none);
        for kind in [TokenKind::Access, TokenKind::Refresh] {
            let t = OAuthTokenRecord {
                kind,
                grant: [2; 16],
                issued: 10,
                expires: 12,
                scopes: "read".into(),
            };
            let bytes = t.encode();
            assert_eq!(OAuthTokenRecord::decode(&bytes).unwrap(), t);
            for len in 0..bytes.len() {
                assert!(OAuthTokenRecord::decode(&bytes[..len]).is_err());
            }
            let mut bad = bytes.clone();
            bad[1] = 3;
            assert!(OAuthTokenRecord::decode(&bad).is_err());
        }
    }

    #[test]
    fn consents_round_trip() {
        let c = super::ConsentRecord {
            scopes: "read".into(),
            since: 3,
            epoch: 4,
        };
        let bytes = c.encode();
        assert_eq!(super::ConsentRecord::decode(&bytes).unwrap(), c);
        for len in 0..bytes.len() {
            assert!(super::ConsentRecord::decode(&bytes[..len]).is_err());
        }
    }

    #[test]
    fn lifetimes_round_trip_and_version_1_has_no_grace() {
        let l = crate::OAuthLifetimes {
            code: 60,
            access: 3600,
            refresh_idle: 100,
            refresh: 1000,
            refresh_grace: 5,
        };
        let bytes = super::encode_oauth_lifetimes(&l);
        assert_eq!(super::decode_oauth_lifetimes(&bytes).unwrap(), l);
        for len in 0..bytes.len() {
            assert!(super::decode_oauth_lifetimes(&bytes[..len]).is_err());
        }
        let mut v1 = vec![1];
        v1.extend_from_slice(&bytes[1..bytes.len() - 8]);
        let old = super::decode_oauth_lifetimes(&v1).unwrap();
        assert_eq!(old.refresh_grace, 0);
        assert_eq!(old.refresh, 1000);
    }

    #[test]
    fn debug_hides_the_secret_digest() {
        let shown = format!("{:?}", sample());
        assert!(shown.contains("<redacted>") && !shown.contains("[7, 7"));
    }
}
