//! Email tokens: secrets that prove control of an address (magic links),
//! each bound to one address, optionally to one IP, bounded in lifetime and
//! uses, and carrying its own return value. See the WIT `email-tokens`
//! interface.

use core::fmt;
use core::net::IpAddr;

use crate::env::{Env, Guard, Write};
use crate::error::{Error, Result, invalid};
use crate::record::EmailTokenRecord;
use crate::text::check_name;
use crate::token::EMAIL_TOKEN_PREFIX;
use crate::txn::{Attempt, committed, retry};
use crate::{Auth, keys, token};

/// The longest address accepted, in bytes.
pub const MAX_ADDRESS_BYTES: usize = 320;
/// The most tokens one address holds; creating one more deletes its oldest.
pub const MAX_EMAIL_TOKENS_PER_ADDRESS: u32 = 100;
/// The longest email-token lifetime accepted: 30 days, in seconds.
pub const MAX_EMAIL_TOKEN_LIFETIME: u64 = 30 * 24 * 60 * 60;
/// The lifetime of an email token created without one: 15 minutes.
pub const DEFAULT_EMAIL_TOKEN_LIFETIME: u64 = 15 * 60;
/// The longest retval accepted, in bytes.
pub const MAX_RETVAL_BYTES: usize = 4096;
/// The most uses one email token allows.
pub const MAX_EMAIL_TOKEN_USES: u32 = 1000;

/// How a new email token behaves; `None` fields take their defaults. Its
/// `Debug` redacts the retval, which may be a secret (an OAuth token).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct EmailTokenOptions {
    /// Bind the token to this IP address.
    pub ip: Option<String>,
    /// Seconds until it expires ([`DEFAULT_EMAIL_TOKEN_LIFETIME`] when `None`).
    pub lifetime: Option<u64>,
    /// What a successful authentication returns.
    pub retval: Option<String>,
    /// How many successful authentications it allows (1 when `None`).
    pub uses: Option<u32>,
}

impl fmt::Debug for EmailTokenOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailTokenOptions")
            .field("ip", &self.ip)
            .field("lifetime", &self.lifetime)
            .field("retval", &self.retval.as_ref().map(|_| "<redacted>"))
            .field("uses", &self.uses)
            .finish()
    }
}

/// A new email token. Its `Debug` redacts the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct EmailToken {
    /// The secret, returned only at creation.
    pub token: String,
    /// Its public id, to list and revoke it by.
    pub id: String,
    /// Unix seconds at which it stops being valid.
    pub expires: u64,
}

impl fmt::Debug for EmailToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailToken")
            .field("token", &"<redacted>")
            .field("id", &self.id)
            .field("expires", &self.expires)
            .finish()
    }
}

/// What listing tells of an email token: never its secret nor its retval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailTokenInfo {
    /// Its public id.
    pub id: String,
    /// The IP address it is bound to, canonical.
    pub ip: Option<String>,
    /// Unix seconds of its creation.
    pub created: u64,
    /// Unix seconds at which it stops being valid.
    pub expires: u64,
    /// How many more successful authentications it allows.
    pub uses_left: u32,
}

/// How many index entries beyond the cap one scan of an address reads:
/// creations of one address that commit at the same moment can each leave
/// one token more than the cap, and the next creation trims back to it.
const MAX_EVICTIONS: u32 = 16;

/// How many index entries one scan of an address reads: everything it can
/// hold, so that every per-address operation stays bounded.
const ADDRESS_SCAN: u32 = MAX_EMAIL_TOKENS_PER_ADDRESS + MAX_EVICTIONS;

/// Refuse an address that is empty, too long or holds control characters.
/// Control characters matter beyond hygiene: the address index ends an
/// address with a `0` byte, so an address holding one could name a range
/// inside another address's.
fn check_address(address: &str) -> Result<()> {
    check_name("address", address, MAX_ADDRESS_BYTES)
}

/// The canonical form of an IP address, so that one client always compares
/// equal to itself: the standard text form, with an IPv4-mapped IPv6
/// address (`::ffff:a.b.c.d`, what a dual-stack socket reports for an IPv4
/// client) turned into the IPv4 address.
fn canonical_ip(ip: &str) -> Result<String> {
    let parsed: IpAddr = ip
        .parse()
        .map_err(|_| invalid("ip must be an IPv4 or IPv6 address"))?;
    let canonical = match parsed {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    Ok(canonical.to_string())
}

/// Refuse a retval over [`MAX_RETVAL_BYTES`]; `Some("")` is a retval like
/// any other, kept apart from `None`.
fn check_retval(retval: Option<&str>) -> Result<()> {
    match retval {
        Some(r) if r.len() > MAX_RETVAL_BYTES => Err(invalid(format!(
            "retval must be at most {MAX_RETVAL_BYTES} bytes"
        ))),
        _ => Ok(()),
    }
}

/// An email token's record together with its digest and the exact bytes
/// read, which guard the commit that depends on them.
struct Loaded {
    digest: [u8; 32],
    bytes: Vec<u8>,
    record: EmailTokenRecord,
}

impl Loaded {
    /// The record must still hold the bytes read: neither used, rewritten
    /// nor deleted since.
    fn guard(&self) -> Guard {
        Guard::equals(keys::email_token(&self.digest), Some(self.bytes.clone()))
    }

    /// The deletion of all three keys of the token.
    fn deletes(&self) -> Vec<Write> {
        token_deletes(&self.digest, &self.record)
    }

    fn info(&self) -> EmailTokenInfo {
        EmailTokenInfo {
            id: token::public_id(&self.digest),
            ip: self.record.ip.clone(),
            created: self.record.created,
            expires: self.record.expires,
            uses_left: self.record.uses_left,
        }
    }
}

/// The writes deleting the record, address-index and expiry-index keys of
/// the email token `digest`: one token is always these three keys.
fn token_deletes(digest: &[u8; 32], record: &EmailTokenRecord) -> Vec<Write> {
    vec![
        Write::delete(keys::email_token(digest)),
        Write::delete(keys::address_token(&record.address, record.created, digest)),
        Write::delete(keys::expiry(record.expires, digest)),
    ]
}

impl<E: Env> Auth<E> {
    /// Create a token for `address` and return it; only its digest is
    /// stored. Every input is checked before anything is read or written,
    /// so a refused call writes nothing ([`Error::InvalidInput`]). When the
    /// address already holds [`MAX_EMAIL_TOKENS_PER_ADDRESS`] tokens, the
    /// commit that stores the new one deletes the excess: expired ones
    /// first, then the oldest. Creations of one address committing at the
    /// same moment may briefly exceed the cap by their number; the next
    /// creation trims back to it.
    pub fn create_email_token(
        &self,
        address: &str,
        options: &EmailTokenOptions,
    ) -> Result<EmailToken> {
        check_address(address)?;
        let ip = options.ip.as_deref().map(canonical_ip).transpose()?;
        let lifetime = options.lifetime.unwrap_or(DEFAULT_EMAIL_TOKEN_LIFETIME);
        if !(1..=MAX_EMAIL_TOKEN_LIFETIME).contains(&lifetime) {
            return Err(invalid(format!(
                "lifetime must be 1..={MAX_EMAIL_TOKEN_LIFETIME} seconds"
            )));
        }
        check_retval(options.retval.as_deref())?;
        let uses = options.uses.unwrap_or(1);
        if !(1..=MAX_EMAIL_TOKEN_USES).contains(&uses) {
            return Err(invalid(format!("uses must be 1..={MAX_EMAIL_TOKEN_USES}")));
        }
        retry(|| {
            let now = self.env.now();
            let expires = now
                .checked_add(lifetime)
                .ok_or_else(|| invalid("lifetime overflows the clock"))?;
            let mut writes = self.email_evictions(address, now)?;
            let token = token::mint_prefixed(&self.env, EMAIL_TOKEN_PREFIX);
            let digest = token::digest(&token);
            let record = EmailTokenRecord {
                address: address.to_owned(),
                ip: ip.clone(),
                created: now,
                expires,
                uses_left: uses,
                retval: options.retval.clone(),
            };
            let key = keys::email_token(&digest);
            writes.push(Write::put(key.clone(), record.encode()));
            writes.push(Write::put(
                keys::address_token(address, now, &digest),
                Vec::new(),
            ));
            // The value tells the sweep which kind of token expired.
            writes.push(Write::put(
                keys::expiry(expires, &digest),
                vec![keys::EMAIL_TOKEN],
            ));
            let new = EmailToken {
                token,
                id: token::public_id(&digest),
                expires,
            };
            // 256 random bits never collide in practice; the guard makes a
            // collision a retry with a fresh token rather than an overwrite.
            committed(self.env.commit(&[Guard::absent(key)], &writes), new)
        })
    }

    /// Check that `token` is a live token of `address` and, when it is
    /// bound to an IP, that `ip` is that IP (compared in canonical form);
    /// an unbound token accepts any `ip` or none. On success, use it up
    /// once (the last use deletes it) and return its retval.
    ///
    /// A malformed, unknown, used-up or other address's token is
    /// [`Error::InvalidToken`] and changes nothing: in particular a token
    /// is never deleted by a call naming another address. Then an `ip`
    /// that is not an IP address is [`Error::InvalidInput`], changing
    /// nothing. An expired token ([`Error::TokenExpired`]) or one bound to
    /// another IP ([`Error::IpMismatch`]) is deleted, so that a leaked link
    /// cannot be retried; expiry is checked first.
    ///
    /// Every outcome commits under a guard that the record still holds the
    /// bytes read: of two concurrent uses of a single-use token, one
    /// succeeds and the other, re-reading, finds it gone.
    pub fn auth_email_token(
        &self,
        address: &str,
        token: &str,
        ip: Option<&str>,
    ) -> Result<Option<String>> {
        // Parsed once, but reported only after the token is found, so that
        // a bad token is `InvalidToken` whatever the ip.
        let ip = ip.map(canonical_ip).transpose();
        retry(|| {
            let found = self.find_email_token(address, token)?;
            let ip = ip.clone()?;
            let record = &found.record;
            if self.env.now() >= record.expires {
                return self.delete_email_token_for(&found, Error::TokenExpired);
            }
            if let Some(bound) = &record.ip
                && ip.as_deref() != Some(bound.as_str())
            {
                return self.delete_email_token_for(&found, Error::IpMismatch);
            }
            let writes = if record.uses_left <= 1 {
                found.deletes()
            } else {
                let used = EmailTokenRecord {
                    uses_left: record.uses_left - 1,
                    ..record.clone()
                };
                vec![Write::put(keys::email_token(&found.digest), used.encode())]
            };
            committed(
                self.env.commit(&[found.guard()], &writes),
                record.retval.clone(),
            )
        })
    }

    /// Replace the retval of one live token of `address`; `None` removes
    /// it. A malformed, unknown, other address's or expired token is
    /// [`Error::InvalidToken`]; an expired one is left for the sweep to
    /// delete (a refused call writes nothing). A retval over
    /// [`MAX_RETVAL_BYTES`] is [`Error::InvalidInput`].
    pub fn set_email_token_retval(
        &self,
        address: &str,
        token: &str,
        retval: Option<&str>,
    ) -> Result<()> {
        check_retval(retval)?;
        retry(|| {
            let found = self.find_email_token(address, token)?;
            if self.env.now() >= found.record.expires {
                return Err(Error::InvalidToken);
            }
            let changed = EmailTokenRecord {
                retval: retval.map(str::to_owned),
                ..found.record.clone()
            };
            let write = Write::put(keys::email_token(&found.digest), changed.encode());
            // Guarded so that a concurrent use is neither undone (its
            // `uses_left` overwritten) nor resurrected after its last use.
            committed(self.env.commit(&[found.guard()], &[write]), ())
        })
    }

    /// Delete one token of `address`, given the secret: all three of its
    /// keys. An expired token still stored is deleted too. A malformed,
    /// unknown or other address's token is [`Error::InvalidToken`].
    pub fn remove_email_token(&self, address: &str, token: &str) -> Result<()> {
        retry(|| {
            let found = self.find_email_token(address, token)?;
            committed(self.env.commit(&[found.guard()], &found.deletes()), ())
        })
    }

    /// The live tokens of `address`, oldest first (tokens created in the
    /// same second are in no particular order), at most
    /// [`MAX_EMAIL_TOKENS_PER_ADDRESS`]: their metadata, never the secret
    /// nor the retval. Expired tokens not yet swept are skipped, not
    /// deleted: listing only reads. An invalid address is
    /// [`Error::InvalidInput`].
    pub fn list_email_tokens(&self, address: &str) -> Result<Vec<EmailTokenInfo>> {
        check_address(address)?;
        let now = self.env.now();
        let mut live = Vec::new();
        for (_, digest) in self.address_digests(address)? {
            if live.len() == MAX_EMAIL_TOKENS_PER_ADDRESS as usize {
                break;
            }
            if let Some(found) = self.load_email_token(&digest)?
                && found.record.expires > now
            {
                live.push(found.info());
            }
        }
        Ok(live)
    }

    /// Delete one token of `address`, given its public id (as
    /// [`EmailToken::id`] and [`EmailTokenInfo::id`] show it). An id that
    /// is not one, an invalid address, or no such token of the address is
    /// [`Error::InvalidToken`]: there is no such token.
    pub fn revoke_email_token(&self, address: &str, id: &str) -> Result<()> {
        let Some(prefix) = token::parse_public_id(id) else {
            return Err(Error::InvalidToken);
        };
        // No invalid address holds tokens; and one holding a `0` byte must
        // not get to scan (see `check_address`).
        if check_address(address).is_err() {
            return Err(Error::InvalidToken);
        }
        retry(|| {
            let found = self
                .address_digests(address)?
                .into_iter()
                .find(|(_, digest)| digest[..8] == prefix)
                .map(|(_, digest)| self.load_email_token(&digest))
                .transpose()?
                .flatten()
                .filter(|found| found.record.address == address)
                .ok_or(Error::InvalidToken)?;
            committed(self.env.commit(&[found.guard()], &found.deletes()), ())
        })
    }

    /// Delete every token of `address`, all three keys of each, in one
    /// commit; returns how many of them were live (unexpired). Reads and
    /// deletes at most [`MAX_EMAIL_TOKENS_PER_ADDRESS`] + 16 tokens, which
    /// is all an address holds but for creations racing this call or each
    /// other; a token created concurrently may survive. An invalid address
    /// is [`Error::InvalidInput`].
    pub fn remove_email_address(&self, address: &str) -> Result<u64> {
        check_address(address)?;
        retry(|| {
            let now = self.env.now();
            let mut guards = Vec::new();
            let mut writes = Vec::new();
            let mut live = 0;
            for (key, digest) in self.address_digests(address)? {
                match self.load_email_token(&digest)? {
                    Some(found) => {
                        if found.record.expires > now {
                            live += 1;
                        }
                        writes.extend(found.deletes());
                        // Guarded so that the count is of tokens as they
                        // are deleted, not as they were before a use.
                        guards.push(found.guard());
                    }
                    // An index entry without its record: none is ever
                    // written so, but dropping it is all there is to do.
                    None => writes.push(Write::delete(key)),
                }
            }
            if writes.is_empty() {
                return Ok(Attempt::Done(0));
            }
            committed(self.env.commit(&guards, &writes), live)
        })
    }

    /// Delete the token `found` (all three keys), guarded by its record as
    /// read, then fail with `error`: the token was judged on that record.
    fn delete_email_token_for<T>(&self, found: &Loaded, error: Error) -> Result<Attempt<T>> {
        match committed(self.env.commit(&[found.guard()], &found.deletes()), ())? {
            Attempt::Done(()) => Err(error),
            Attempt::Retry => Ok(Attempt::Retry),
        }
    }

    /// Deletes that leave room for one more token of `address` under
    /// [`MAX_EMAIL_TOKENS_PER_ADDRESS`]: expired tokens first, then the
    /// oldest. Reads the records only when the address is at the cap, and
    /// then at most [`ADDRESS_SCAN`] of them. Unguarded: deleting a token
    /// used or deleted meanwhile is still right (a use racing it is guarded
    /// and finds it gone).
    fn email_evictions(&self, address: &str, now: u64) -> Result<Vec<Write>> {
        let stored = self.address_digests(address)?;
        let excess = (stored.len() + 1).saturating_sub(MAX_EMAIL_TOKENS_PER_ADDRESS as usize);
        if excess == 0 {
            return Ok(Vec::new());
        }
        let mut order = Vec::with_capacity(stored.len());
        for (key, digest) in stored {
            match self.load_email_token(&digest)? {
                Some(found) => order.push((found.record.expires > now, found.deletes())),
                None => order.push((false, vec![Write::delete(key)])),
            }
        }
        // Expired (`false`) before live; the sort is stable, so each part
        // stays oldest first.
        order.sort_by_key(|(live, _)| *live);
        Ok(order
            .into_iter()
            .take(excess)
            .flat_map(|(_, writes)| writes)
            .collect())
    }

    /// The record of the email token `digest`, if stored.
    fn load_email_token(&self, digest: &[u8; 32]) -> Result<Option<Loaded>> {
        match self.env.get(&keys::email_token(digest))? {
            Some(bytes) => Ok(Some(Loaded {
                digest: *digest,
                record: EmailTokenRecord::decode(&bytes)?,
                bytes,
            })),
            None => Ok(None),
        }
    }

    /// The token `token` of `address`, expired or not, or
    /// [`Error::InvalidToken`]: the same error whether it is malformed,
    /// unknown or another address's, so a caller learns nothing about
    /// other addresses' tokens. A malformed token costs no store read.
    fn find_email_token(&self, address: &str, token: &str) -> Result<Loaded> {
        if !token::well_formed_prefixed(token, EMAIL_TOKEN_PREFIX) {
            return Err(Error::InvalidToken);
        }
        match self.load_email_token(&token::digest(token))? {
            Some(found) if found.record.address == address => Ok(found),
            _ => Err(Error::InvalidToken),
        }
    }

    /// The address-index entries of `address`, oldest first, with their
    /// digests: at most [`ADDRESS_SCAN`], all it can hold.
    fn address_digests(&self, address: &str) -> Result<Vec<(Vec<u8>, [u8; 32])>> {
        let (start, end) = keys::address_tokens(address);
        self.env
            .scan(&start, &end, ADDRESS_SCAN)?
            .into_iter()
            .map(|(key, _)| {
                let digest = keys::trailing_digest(&key)
                    .ok_or_else(|| Error::Storage("corrupt address-index key".into()))?;
                Ok((key, digest))
            })
            .collect()
    }

    /// The writes deleting the email token `digest` but for its expiry-index
    /// entry (the sweep deletes that itself); none when it is gone.
    pub(crate) fn email_token_deletes(&self, digest: &[u8; 32]) -> Result<Vec<Write>> {
        Ok(match self.load_email_token(digest)? {
            Some(found) => vec![
                Write::delete(keys::email_token(digest)),
                Write::delete(keys::address_token(
                    &found.record.address,
                    found.record.created,
                    digest,
                )),
            ],
            None => Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests;
