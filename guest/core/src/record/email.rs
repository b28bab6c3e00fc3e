//! The email-token record, stored under `a` + SHA-256(token).
//!
//! Version 1: the address, the optional canonical IP, creation and expiry
//! times, the uses left and the optional retval. An optional string is one
//! byte (`0` absent, `1` present) and, when present, the string; the byte
//! keeps `Some("")` apart from `None`, which callers can tell apart.

use core::fmt;

use super::{Reader, Writer, corrupt};
use crate::error::Result;

/// An email token as stored under `a` + digest. Its `Debug` redacts the
/// retval, which may be a secret (an OAuth token).
#[derive(Clone, PartialEq, Eq)]
pub struct EmailTokenRecord {
    /// The address the token proves control of; it also locates the
    /// token's address-index entry.
    pub address: String,
    /// The canonical IP the token is bound to, if any.
    pub ip: Option<String>,
    /// Unix seconds of its creation; part of its address-index key.
    pub created: u64,
    /// Unix seconds at which it stops being valid; part of its expiry key.
    pub expires: u64,
    /// How many more successful authentications it allows (≥ 1: the last
    /// use deletes the record rather than storing 0).
    pub uses_left: u32,
    /// What a successful authentication returns.
    pub retval: Option<String>,
}

impl fmt::Debug for EmailTokenRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailTokenRecord")
            .field("address", &self.address)
            .field("ip", &self.ip)
            .field("created", &self.created)
            .field("expires", &self.expires)
            .field("uses_left", &self.uses_left)
            .field("retval", &self.retval.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

// Free functions rather than `impl Writer` methods: the other record files
// extend the same private types, and methods of the same name there would
// collide with these.

/// Append an optional string: a presence byte, then the string if present.
fn put_opt_str(mut w: Writer, s: Option<&str>) -> Writer {
    match s {
        None => {
            w.0.push(0);
            w
        }
        Some(s) => {
            w.0.push(1);
            w.str(s)
        }
    }
}

/// Read what [`put_opt_str`] wrote; any presence byte but 0 or 1 is
/// corruption.
fn take_opt_str(r: &mut Reader<'_>) -> Result<Option<String>> {
    match r.take(1)? {
        [0] => Ok(None),
        [1] => r.str().map(Some),
        _ => Err(corrupt()),
    }
}

impl EmailTokenRecord {
    /// The stored bytes (version 1).
    pub fn encode(&self) -> Vec<u8> {
        let w = Writer::new(1).str(&self.address);
        let w = put_opt_str(w, self.ip.as_deref());
        let w = w.u64(self.created).u64(self.expires).u32(self.uses_left);
        put_opt_str(w, self.retval.as_deref()).0
    }

    /// Parse stored bytes of version 1. Anything else, truncated or with
    /// trailing bytes is [`crate::Error::Storage`], never a panic.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        match Reader::new(bytes)? {
            (1, mut r) => {
                let rec = EmailTokenRecord {
                    address: r.str()?,
                    ip: take_opt_str(&mut r)?,
                    created: r.u64()?,
                    expires: r.u64()?,
                    uses_left: r.u32()?,
                    retval: take_opt_str(&mut r)?,
                };
                r.end()?;
                Ok(rec)
            }
            _ => Err(corrupt()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn sample() -> EmailTokenRecord {
        EmailTokenRecord {
            address: "ann@example.com".into(),
            ip: Some("192.0.2.1".into()),
            created: 1_000_000_000,
            expires: 1_000_000_900,
            uses_left: 3,
            retval: Some("oauth-secret".into()),
        }
    }

    #[test]
    fn email_record_round_trips_keeping_none_and_empty_apart() {
        for rec in [
            sample(),
            EmailTokenRecord {
                ip: None,
                retval: None,
                ..sample()
            },
            EmailTokenRecord {
                ip: Some(String::new()),
                retval: Some(String::new()),
                ..sample()
            },
        ] {
            let bytes = rec.encode();
            assert_eq!(bytes[0], 1, "version 1");
            assert_eq!(EmailTokenRecord::decode(&bytes).unwrap(), rec);
        }
    }

    /// Every prefix of a valid record, the record with a byte added, an
    /// unknown version, a bad presence byte and arbitrary garbage: each an
    /// `Error::Storage`, none a panic.
    #[test]
    fn email_record_decoding_garbage_is_an_error_not_a_panic() {
        let bytes = sample().encode();
        for n in 0..bytes.len() {
            assert!(
                matches!(
                    EmailTokenRecord::decode(&bytes[..n]),
                    Err(Error::Storage(_))
                ),
                "prefix of {n} bytes"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            EmailTokenRecord::decode(&longer),
            Err(Error::Storage(_))
        ));
        let mut unknown = bytes.clone();
        unknown[0] = 2;
        assert!(matches!(
            EmailTokenRecord::decode(&unknown),
            Err(Error::Storage(_))
        ));
        // The ip presence byte follows the version, the address length and
        // the address.
        let mut presence = bytes.clone();
        presence[1 + 4 + "ann@example.com".len()] = 2;
        assert!(matches!(
            EmailTokenRecord::decode(&presence),
            Err(Error::Storage(_))
        ));
        // A length prefix far beyond the bytes there are.
        let mut huge = bytes;
        huge[1..5].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            EmailTokenRecord::decode(&huge),
            Err(Error::Storage(_))
        ));
        // Invalid UTF-8 in a string.
        let bad_utf8 = [1, 0, 0, 0, 1, 0xff];
        assert!(matches!(
            EmailTokenRecord::decode(&bad_utf8),
            Err(Error::Storage(_))
        ));
        // A deterministic spread of pseudo-random inputs.
        let mut x = 0x1234_5678_9abc_def0u64;
        for len in 0..200 {
            let garbage: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            let _ = EmailTokenRecord::decode(&garbage);
        }
    }

    #[test]
    fn email_record_debug_redacts_the_retval() {
        let shown = format!("{:?}", sample());
        assert!(!shown.contains("oauth-secret"), "{shown}");
        assert!(
            shown.contains("<redacted>") && shown.contains("ann@example.com"),
            "{shown}"
        );
    }
}
