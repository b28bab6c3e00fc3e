//! The OAuth client record, stored under `z` + client id.
//!
//! Version 1: name, a flags byte (bit 0: confidential), the secret's
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
    fn debug_hides_the_secret_digest() {
        let shown = format!("{:?}", sample());
        assert!(shown.contains("<redacted>") && !shown.contains("[7, 7"));
    }
}
