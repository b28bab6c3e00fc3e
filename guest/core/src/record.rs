//! The byte encoding of everything stored: user, token and session-index
//! records, settings and ids.
//!
//! A record is a version byte followed by fixed-width big-endian numbers and
//! length-prefixed strings. Hand-rolled rather than serde-derived: the format
//! is the on-disk contract between versions, so it is spelled out here, and
//! the component stays small.

use core::fmt;

use crate::error::{Error, Result};
use crate::settings::Settings;

const VERSION: u8 = 1;

/// A user as stored under `u` + id. Its `Debug` redacts the password hash.
#[derive(Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// The user's id.
    pub id: u64,
    /// Bumped whenever all of the user's tokens are revoked; a token minted
    /// under an older generation is dead even if its record survived.
    pub generation: u32,
    /// The login name.
    pub username: String,
    /// The caller's free-form permissions string.
    pub permissions: String,
    /// The Argon2id PHC string.
    pub password_hash: String,
}

impl fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserRecord")
            .field("id", &self.id)
            .field("generation", &self.generation)
            .field("username", &self.username)
            .field("permissions", &self.permissions)
            .field("password_hash", &"<redacted>")
            .finish()
    }
}

/// A token as stored under `t` + SHA-256(token).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    /// Whose token it is.
    pub user_id: u64,
    /// The user's generation when the token was minted.
    pub generation: u32,
    /// Unix seconds at which it stops being valid.
    pub expires: u64,
}

/// The value of a session-index entry: enough to count live tokens without
/// reading each token record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionEntry {
    /// The user's generation when the token was minted.
    pub generation: u32,
    /// Unix seconds at which it stops being valid.
    pub expires: u64,
}

struct Writer(Vec<u8>);

impl Writer {
    fn new() -> Self {
        Writer(vec![VERSION])
    }
    fn u32(mut self, v: u32) -> Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    fn u64(mut self, v: u64) -> Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    fn str(self, s: &str) -> Self {
        // Every stored string is bounded far below 4 GiB by input validation.
        let len = u32::try_from(s.len()).expect("validated string length");
        let mut w = self.u32(len);
        w.0.extend_from_slice(s.as_bytes());
        w
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Result<Self> {
        match bytes.split_first() {
            Some((&VERSION, rest)) => Ok(Reader(rest)),
            _ => Err(corrupt()),
        }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.0.len() < n {
            return Err(corrupt());
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(
            self.take(4)?.try_into().map_err(|_| corrupt())?,
        ))
    }
    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_be_bytes(
            self.take(8)?.try_into().map_err(|_| corrupt())?,
        ))
    }
    fn str(&mut self) -> Result<String> {
        let len = self.u32()? as usize;
        String::from_utf8(self.take(len)?.to_vec()).map_err(|_| corrupt())
    }
    fn end(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(corrupt())
        }
    }
}

fn corrupt() -> Error {
    Error::Storage("corrupt record in store".into())
}

impl UserRecord {
    /// The stored bytes.
    pub fn encode(&self) -> Vec<u8> {
        Writer::new()
            .u64(self.id)
            .u32(self.generation)
            .str(&self.username)
            .str(&self.permissions)
            .str(&self.password_hash)
            .0
    }

    /// Parse stored bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes)?;
        let rec = UserRecord {
            id: r.u64()?,
            generation: r.u32()?,
            username: r.str()?,
            permissions: r.str()?,
            password_hash: r.str()?,
        };
        r.end()?;
        Ok(rec)
    }
}

impl TokenRecord {
    /// The stored bytes.
    pub fn encode(&self) -> Vec<u8> {
        Writer::new()
            .u64(self.user_id)
            .u32(self.generation)
            .u64(self.expires)
            .0
    }

    /// Parse stored bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes)?;
        let rec = TokenRecord {
            user_id: r.u64()?,
            generation: r.u32()?,
            expires: r.u64()?,
        };
        r.end()?;
        Ok(rec)
    }
}

impl SessionEntry {
    /// The stored bytes.
    pub fn encode(&self) -> Vec<u8> {
        Writer::new().u32(self.generation).u64(self.expires).0
    }

    /// Parse stored bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes)?;
        let rec = SessionEntry {
            generation: r.u32()?,
            expires: r.u64()?,
        };
        r.end()?;
        Ok(rec)
    }
}

impl Settings {
    /// The stored bytes.
    pub(crate) fn encode(&self) -> Vec<u8> {
        Writer::new()
            .u32(self.argon2_memory_kib)
            .u32(self.argon2_iterations)
            .u32(self.argon2_parallelism)
            .u64(self.default_token_lifetime)
            .0
    }

    /// Parse stored bytes.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes)?;
        let s = Settings {
            argon2_memory_kib: r.u32()?,
            argon2_iterations: r.u32()?,
            argon2_parallelism: r.u32()?,
            default_token_lifetime: r.u64()?,
        };
        r.end()?;
        Ok(s)
    }
}

/// Encode a user id as stored under a username claim or the id counter.
pub fn encode_id(id: u64) -> Vec<u8> {
    id.to_be_bytes().to_vec()
}

/// Decode a user id stored by [`encode_id`].
pub fn decode_id(bytes: &[u8]) -> Result<u64> {
    Ok(u64::from_be_bytes(bytes.try_into().map_err(|_| corrupt())?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_round_trips_and_rejects_trailing_bytes() {
        let u = UserRecord {
            id: 7,
            generation: 3,
            username: "ann".into(),
            permissions: "admin,read".into(),
            password_hash: "$argon2id$...".into(),
        };
        let bytes = u.encode();
        assert_eq!(UserRecord::decode(&bytes).unwrap(), u);
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            UserRecord::decode(&longer),
            Err(Error::Storage(_))
        ));
        assert!(matches!(
            UserRecord::decode(&bytes[..bytes.len() - 1]),
            Err(Error::Storage(_))
        ));
        assert!(matches!(UserRecord::decode(&[]), Err(Error::Storage(_))));
    }

    #[test]
    fn debug_redacts_the_password_hash() {
        let u = UserRecord {
            id: 7,
            generation: 0,
            username: "ann".into(),
            permissions: "read".into(),
            password_hash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA".into(),
        };
        let shown = format!("{u:?}");
        assert!(
            !shown.contains("argon2") && !shown.contains("aGFzaA"),
            "{shown}"
        );
        assert!(shown.contains(r#"password_hash: "<redacted>""#), "{shown}");
        assert!(shown.contains(r#"username: "ann""#), "{shown}");
    }

    #[test]
    fn token_session_and_settings_round_trip() {
        let t = TokenRecord {
            user_id: 1,
            generation: 0,
            expires: u64::MAX,
        };
        assert_eq!(TokenRecord::decode(&t.encode()).unwrap(), t);
        let s = SessionEntry {
            generation: 9,
            expires: 5,
        };
        assert_eq!(SessionEntry::decode(&s.encode()).unwrap(), s);
        let st = Settings::default();
        assert_eq!(Settings::decode(&st.encode()).unwrap(), st);
    }
}
