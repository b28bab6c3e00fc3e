//! The byte encoding of everything stored: user, token and session-index
//! records, revocations, settings and ids.
//!
//! A record is a version byte followed by fixed-width big-endian numbers and
//! length-prefixed strings. Hand-rolled rather than serde-derived: the format
//! is the on-disk contract between versions, so it is spelled out here, and
//! the component stays small. Each kind of record has its own version;
//! records are always written at the newest and read at every version ever
//! written, so a store written by an older moth keeps working.
//!
//! Versions: user records 1 (32-bit generation), 2 (64-bit generation)
//! and 3 (the account state; read from 1 and 2 as the defaults);
//! token records 1 (32-bit generation, indexed under `s`) and 2 (64-bit
//! generation and mint time, indexed under `l`); session entries 1 (the
//! legacy `s` index: generation and expiry) and 2 (the `l` index: expiry
//! only, the rest is in the key); settings 1, 2 (the weak-hashing flag)
//! 3 (the per-user token cap), 4 (the password policy) and 5 (lockout
//! and log retention).

use core::fmt;

use crate::account_state::AccountState;
use crate::error::{Error, Result};
use crate::settings::Settings;

/// A user as stored under `u` + id. Its `Debug` redacts the password hash.
#[derive(Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// The user's id.
    pub id: u64,
    /// Bumped whenever all of the user's tokens are revoked; a token minted
    /// under an older generation is dead even if its record survived. Never
    /// wraps: a bump past `u64::MAX` is refused.
    pub generation: u64,
    /// The login name.
    pub username: String,
    /// The caller's free-form permissions string.
    pub permissions: String,
    /// The Argon2id PHC string.
    pub password_hash: String,
    /// Enabled or disabled, verified email, superuser. Kept in the record
    /// rather than a key of its own so that `validate` and `verify` judge
    /// it from the record they read anyway: no extra read on the hot path.
    pub state: AccountState,
}

impl fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserRecord")
            .field("id", &self.id)
            .field("generation", &self.generation)
            .field("username", &self.username)
            .field("permissions", &self.permissions)
            .field("password_hash", &"<redacted>")
            .field("state", &self.state)
            .finish()
    }
}

/// A token as stored under `t` + SHA-256(token).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    /// Whose token it is.
    pub user_id: u64,
    /// The user's generation when the token was minted.
    pub generation: u64,
    /// Unix seconds at which it was minted; `None` for a token minted
    /// before version 2, which is indexed under `s`, not `l`.
    pub minted: Option<u64>,
    /// Unix seconds at which it stops being valid.
    pub expires: u64,
}

/// The value of an `l` session-index entry; the user, generation and mint
/// time are in its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionEntry {
    /// Unix seconds at which the token stops being valid.
    pub expires: u64,
    /// The address the login came from (16 bytes, IPv4 as IPv4-mapped),
    /// when the host gave one.
    pub source: Option<[u8; 16]>,
    /// The public id (nonce) of the device credential the login presented
    /// or was given.
    pub device: Option<[u8; 16]>,
}

/// The value of a legacy `s` session-index entry (version 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LegacySessionEntry {
    /// The user's generation when the token was minted.
    pub generation: u64,
    /// Unix seconds at which it stops being valid.
    pub expires: u64,
}

struct Writer(Vec<u8>);

impl Writer {
    fn new(version: u8) -> Self {
        Writer(vec![version])
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
    /// A reader past the version byte, and that version.
    fn new(bytes: &'a [u8]) -> Result<(u8, Self)> {
        match bytes.split_first() {
            Some((&version, rest)) => Ok((version, Reader(rest))),
            None => Err(corrupt()),
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
    /// The stored bytes (version 3: version 2, then the account state as
    /// one byte of flags and the disabled-from time as a flag byte, 0 for
    /// none or 1 followed by the time).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new(3)
            .u64(self.id)
            .u64(self.generation)
            .str(&self.username)
            .str(&self.permissions)
            .str(&self.password_hash);
        let s = &self.state;
        // Set bits are the exceptions, so a default state is all zeroes.
        let flags = [
            (!s.enabled, STATE_DISABLED),
            (s.email_verified, STATE_EMAIL_VERIFIED),
            (s.superuser, STATE_SUPERUSER),
        ]
        .into_iter()
        .filter(|(set, _)| *set)
        .fold(0, |flags, (_, bit)| flags | bit);
        w.0.push(flags);
        match s.disabled_from {
            None => w.0.push(0),
            Some(t) => {
                w.0.push(1);
                w = w.u64(t);
            }
        }
        w.0
    }

    /// Parse stored bytes of version 1, 2 (both: the default account
    /// state, which every account had before states existed) or 3.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let (version, mut r) = Reader::new(bytes)?;
        let id = r.u64()?;
        let generation = match version {
            1 => u64::from(r.u32()?),
            2 | 3 => r.u64()?,
            _ => return Err(corrupt()),
        };
        let mut rec = UserRecord {
            id,
            generation,
            username: r.str()?,
            permissions: r.str()?,
            password_hash: r.str()?,
            state: AccountState::default(),
        };
        if version >= 3 {
            let flags = r.take(1)?[0];
            if flags & !STATE_FLAGS != 0 {
                return Err(corrupt());
            }
            let disabled_from = match r.take(1)? {
                [0] => None,
                [1] => Some(r.u64()?),
                _ => return Err(corrupt()),
            };
            rec.state = AccountState {
                enabled: flags & STATE_DISABLED == 0,
                disabled_from,
                email_verified: flags & STATE_EMAIL_VERIFIED != 0,
                superuser: flags & STATE_SUPERUSER != 0,
            };
        }
        r.end()?;
        Ok(rec)
    }
}

/// The account-state flag bits of a version-3 user record; any other bit
/// set is corruption, not a state some later moth meant.
const STATE_DISABLED: u8 = 1;
const STATE_EMAIL_VERIFIED: u8 = 2;
const STATE_SUPERUSER: u8 = 4;
const STATE_FLAGS: u8 = STATE_DISABLED | STATE_EMAIL_VERIFIED | STATE_SUPERUSER;

impl TokenRecord {
    /// The stored bytes: version 2, or version 1 for a legacy token (only
    /// tests write those, to stand for a store an older moth wrote).
    pub fn encode(&self) -> Vec<u8> {
        match self.minted {
            Some(minted) => {
                Writer::new(2)
                    .u64(self.user_id)
                    .u64(self.generation)
                    .u64(minted)
                    .u64(self.expires)
                    .0
            }
            None => {
                Writer::new(1)
                    .u64(self.user_id)
                    .u32(self.generation as u32)
                    .u64(self.expires)
                    .0
            }
        }
    }

    /// Parse stored bytes of version 1 or 2.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let (version, mut r) = Reader::new(bytes)?;
        let user_id = r.u64()?;
        let rec = match version {
            1 => TokenRecord {
                user_id,
                generation: u64::from(r.u32()?),
                minted: None,
                expires: r.u64()?,
            },
            2 => TokenRecord {
                user_id,
                generation: r.u64()?,
                minted: Some(r.u64()?),
                expires: r.u64()?,
            },
            _ => return Err(corrupt()),
        };
        r.end()?;
        Ok(rec)
    }
}

impl SessionEntry {
    /// The stored bytes: version 2 (the expiry alone) when the login had no
    /// context, else version 3 (the expiry, then each of source and device
    /// as a 0 byte for none or a 1 byte and its 16 bytes).
    pub fn encode(&self) -> Vec<u8> {
        if self.source.is_none() && self.device.is_none() {
            return Writer::new(2).u64(self.expires).0;
        }
        let mut w = Writer::new(3).u64(self.expires);
        for part in [self.source, self.device] {
            match part {
                Some(bytes) => {
                    w.0.push(1);
                    w.0.extend_from_slice(&bytes);
                }
                None => w.0.push(0),
            }
        }
        w.0
    }

    /// Parse stored bytes of version 2 or 3.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let (version, mut r) = Reader::new(bytes)?;
        let expires = match version {
            2 | 3 => r.u64()?,
            _ => return Err(corrupt()),
        };
        let optional = |r: &mut Reader<'_>| -> Result<Option<[u8; 16]>> {
            match r.take(1)? {
                [0] => Ok(None),
                [1] => Ok(Some(r.take(16)?.try_into().map_err(|_| corrupt())?)),
                _ => Err(corrupt()),
            }
        };
        let (source, device) = if version == 3 {
            (optional(&mut r)?, optional(&mut r)?)
        } else {
            (None, None)
        };
        r.end()?;
        Ok(SessionEntry {
            expires,
            source,
            device,
        })
    }
}

impl LegacySessionEntry {
    /// The stored bytes (version 1; only tests write it).
    #[cfg(test)]
    pub fn encode(&self) -> Vec<u8> {
        Writer::new(1)
            .u32(self.generation as u32)
            .u64(self.expires)
            .0
    }

    /// Parse stored bytes of version 1.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        match Reader::new(bytes)? {
            (1, mut r) => {
                let rec = LegacySessionEntry {
                    generation: u64::from(r.u32()?),
                    expires: r.u64()?,
                };
                r.end()?;
                Ok(rec)
            }
            _ => Err(corrupt()),
        }
    }
}

impl Settings {
    /// The stored bytes (version 5: version 4, the lockout thresholds and
    /// the log retention).
    pub(crate) fn encode(&self) -> Vec<u8> {
        Writer::new(5)
            .u32(self.argon2_memory_kib)
            .u32(self.argon2_iterations)
            .u32(self.argon2_parallelism)
            .u64(self.default_token_lifetime)
            .u32(u32::from(self.allow_weak_hashing))
            .u32(self.max_tokens_per_user)
            .u32(self.min_password_length)
            .u32(u32::from(self.refuse_common_passwords))
            .u32(self.lockout_threshold)
            .u64(self.lockout_window)
            .u64(self.lockout_duration)
            .u64(self.lockout_max_duration)
            .u32(self.source_lockout_threshold)
            .u64(self.source_lockout_window)
            .u64(self.source_lockout_duration)
            .u64(self.log_retention)
            .0
    }

    /// Parse stored bytes of version 1 (no flag: weak costs were not
    /// allowed), 2 (no cap: the default cap), 3 (no password policy: the
    /// default policy, which a store written before it gets on upgrade), 4
    /// (no lockout or log settings: the defaults, likewise) or 5.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self> {
        let (version, mut r) = Reader::new(bytes)?;
        if !(1..=5).contains(&version) {
            return Err(corrupt());
        }
        let mut s = Settings {
            argon2_memory_kib: r.u32()?,
            argon2_iterations: r.u32()?,
            argon2_parallelism: r.u32()?,
            default_token_lifetime: r.u64()?,
            allow_weak_hashing: false,
            max_tokens_per_user: crate::settings::DEFAULT_TOKENS_PER_USER,
            min_password_length: crate::policy::DEFAULT_MIN_PASSWORD_LENGTH,
            refuse_common_passwords: true,
            ..Settings::default()
        };
        if version >= 2 {
            s.allow_weak_hashing = flag(r.u32()?)?;
        }
        if version >= 3 {
            s.max_tokens_per_user = r.u32()?;
        }
        if version >= 4 {
            s.min_password_length = r.u32()?;
            s.refuse_common_passwords = flag(r.u32()?)?;
        }
        if version >= 5 {
            s.lockout_threshold = r.u32()?;
            s.lockout_window = r.u64()?;
            s.lockout_duration = r.u64()?;
            s.lockout_max_duration = r.u64()?;
            s.source_lockout_threshold = r.u32()?;
            s.source_lockout_window = r.u64()?;
            s.source_lockout_duration = r.u64()?;
            s.log_retention = r.u64()?;
        }
        r.end()?;
        Ok(s)
    }
}

/// A stored boolean: 0 or 1.
fn flag(v: u32) -> Result<bool> {
    match v {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(corrupt()),
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

/// The value of a revocation (`r` + user id): the generation below which
/// every token of the user is dead, or `None` when the user was deleted and
/// all of them are. Each revocation of a user writes a value no earlier one
/// wrote (generations only grow; a deleted user is never revoked again), so
/// a guard on it tells whether another revocation happened since it was read.
pub fn encode_revocation(dead_below: Option<u64>) -> Vec<u8> {
    dead_below.map_or_else(Vec::new, encode_id)
}

/// Decode a value written by [`encode_revocation`].
pub fn decode_revocation(bytes: &[u8]) -> Result<Option<u64>> {
    if bytes.is_empty() {
        Ok(None)
    } else {
        decode_id(bytes).map(Some)
    }
}

// One file per later capability's records, beside the shared encoding.
mod api_key;
mod attempts;
mod email;
mod oauth;
mod one_time;
mod roles;

pub use api_key::ApiKeyRecord;
pub use attempts::{CounterRecord, LogRecord};
pub use email::EmailTokenRecord;
pub use oauth::{
    ClientRecord, CodeRecord, ConsentRecord, GrantRecord, MAX_LIVE_REFRESH_TOKENS,
    OAuthTokenRecord, TokenKind, decode_oauth_lifetimes, encode_oauth_lifetimes,
};
pub use one_time::OneTimeRecord;
pub use roles::{PermissionRecord, RoleRecord};

#[cfg(test)]
mod tests;
