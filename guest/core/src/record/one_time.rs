//! The one-time token record (`p` + SHA-256(token)).
//!
//! Version 1: user id, generation, issued and expires as `u64`, then the
//! stamp as one flag byte (0: none, 1: followed by its 8 bytes), then the
//! purpose as a length-prefixed string.

use super::{Reader, Writer, corrupt};
use crate::error::Result;

/// A one-time token as stored under `p` + digest: what it was issued
/// against, so that any later change to it (see
/// [`crate::Auth::redeem_one_time_token`]) is seen as the token's death.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OneTimeRecord {
    /// Whose token it is.
    pub user_id: u64,
    /// What it may be redeemed for (`reset-password`, `verify-email`, or a
    /// caller's own).
    pub purpose: String,
    /// The user's generation at issue: a password change or
    /// `delete_tokens` bumps it, and so kills the token.
    pub generation: u64,
    /// The user's stamp at issue, `None` when they had none: a login or a
    /// redeemed `verify-email` token replaces it, and so kills the token.
    pub stamp: Option<[u8; 8]>,
    /// Unix seconds at which it was issued.
    pub issued: u64,
    /// Unix seconds at which it stops being valid.
    pub expires: u64,
}

impl OneTimeRecord {
    /// The stored bytes (version 1).
    pub fn encode(&self) -> Vec<u8> {
        let w = Writer::new(1)
            .u64(self.user_id)
            .u64(self.generation)
            .u64(self.issued)
            .u64(self.expires);
        write_stamp(w, self.stamp).str(&self.purpose).0
    }

    /// Parse stored bytes of version 1; anything else is
    /// [`crate::Error::Storage`], never a panic.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let (version, mut r) = Reader::new(bytes)?;
        if version != 1 {
            return Err(corrupt());
        }
        let user_id = r.u64()?;
        let generation = r.u64()?;
        let issued = r.u64()?;
        let expires = r.u64()?;
        let stamp = read_stamp(&mut r)?;
        let purpose = r.str()?;
        r.end()?;
        Ok(OneTimeRecord {
            user_id,
            purpose,
            generation,
            stamp,
            issued,
            expires,
        })
    }
}

// Free functions rather than `Writer`/`Reader` methods: other record files
// extend those types too, and two methods of one name would collide.

fn write_stamp(mut w: Writer, stamp: Option<[u8; 8]>) -> Writer {
    match stamp {
        None => w.0.push(0),
        Some(s) => {
            w.0.push(1);
            w.0.extend_from_slice(&s);
        }
    }
    w
}

fn read_stamp(r: &mut Reader<'_>) -> Result<Option<[u8; 8]>> {
    match r.take(1)? {
        [0] => Ok(None),
        [1] => Ok(Some(r.take(8)?.try_into().map_err(|_| corrupt())?)),
        _ => Err(corrupt()),
    }
}
