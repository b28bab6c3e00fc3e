//! Named API keys: long-lived secrets acting for a user or a service, with
//! a name unique per owner, a scopes string, an optional expiry, coarse
//! last-use tracking, listing, revocation and rotation. See the WIT
//! `api-keys` interface.

use core::fmt;

/// The most keys one owner holds.
pub const MAX_API_KEYS_PER_OWNER: u32 = 100;
/// The longest key name or service name accepted, in bytes.
pub const MAX_KEY_NAME_BYTES: usize = 256;
/// The longest scopes string accepted, in bytes.
pub const MAX_SCOPES_BYTES: usize = 4096;
/// The longest overlap a rotation grants the old key: 7 days, in seconds.
pub const MAX_ROTATION_OVERLAP: u64 = 7 * 24 * 60 * 60;
/// How stale a key's recorded last use may be, in seconds: `verify` writes
/// at most once per key per this interval.
pub const LAST_USE_RESOLUTION: u64 = 60 * 60;

/// Who an API key acts for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KeyOwner {
    /// A user; deleting the user revokes the key.
    User(u64),
    /// A service principal, by name.
    Service(String),
}

/// An API key's metadata: never its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKey {
    /// Its public id.
    pub id: String,
    /// Who it acts for.
    pub owner: KeyOwner,
    /// Its name, unique for its owner.
    pub name: String,
    /// The caller's scopes string.
    pub scopes: String,
    /// Unix seconds of its creation.
    pub created: u64,
    /// Unix seconds at which it stops being valid; `None`: never.
    pub expires: Option<u64>,
    /// When it last verified, to within [`LAST_USE_RESOLUTION`].
    pub last_used: Option<u64>,
}

/// A new API key. Its `Debug` redacts the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct NewApiKey {
    /// The secret, returned only at creation or rotation.
    pub key: String,
    /// Its metadata.
    pub info: ApiKey,
}

impl fmt::Debug for NewApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewApiKey")
            .field("key", &"<redacted>")
            .field("info", &self.info)
            .finish()
    }
}

use crate::env::{Env, Guard, StoreError, Write};
use crate::error::{Error, Result, invalid};
use crate::record::ApiKeyRecord;
use crate::settings::MAX_LIFETIME;
use crate::text::check_name;
use crate::token::{self, API_KEY_PREFIX};
use crate::txn::{Attempt, committed, retry};
use crate::{Auth, EventKind, keys};

/// How many of an owner's index entries one operation reads: the cap, with
/// room for keys that creations racing one another committed past it (each
/// checks the cap against what it read, so together they may overshoot).
/// Bounds every per-owner read and commit, `delete_user`'s included.
const OWNER_SCAN: u32 = 2 * MAX_API_KEYS_PER_OWNER;

/// How many secrets one creation or rotation draws, at most, looking for
/// one whose public id no stored key has. A collision has odds of 2^-64 per
/// stored key; the bound only keeps a broken randomness source from
/// looping forever.
const MINT_ATTEMPTS: u32 = 8;

/// Check a key name or service name: the WIT contract's 1..=256 bytes
/// without control characters. The "no control characters" part is also
/// what keeps `keys::owner_bytes` self-delimiting (a service name ends at
/// a `0` byte).
fn check_label(what: &str, s: &str) -> Result<()> {
    check_name(what, s, MAX_KEY_NAME_BYTES)
}

fn check_owner(owner: &KeyOwner) -> Result<()> {
    match owner {
        // Whether the user exists is the store's business: `NoUser`.
        KeyOwner::User(_) => Ok(()),
        KeyOwner::Service(name) => check_label("service name", name),
    }
}

fn check_scopes(scopes: &str) -> Result<()> {
    if scopes.len() > MAX_SCOPES_BYTES {
        return Err(invalid(format!(
            "scopes must be at most {MAX_SCOPES_BYTES} bytes"
        )));
    }
    Ok(())
}

fn check_lifetime(lifetime: Option<u64>) -> Result<()> {
    match lifetime {
        Some(l) if !(1..=MAX_LIFETIME).contains(&l) => Err(invalid(format!(
            "API key lifetime must be 1..={MAX_LIFETIME} seconds, or none to never expire"
        ))),
        _ => Ok(()),
    }
}

fn check_overlap(overlap: u64) -> Result<()> {
    if overlap > MAX_ROTATION_OVERLAP {
        return Err(invalid(format!(
            "rotation overlap must be 0..={MAX_ROTATION_OVERLAP} seconds"
        )));
    }
    Ok(())
}

/// When a key created at `now` with `lifetime` expires.
fn expiry_after(now: u64, lifetime: Option<u64>) -> Result<Option<u64>> {
    lifetime
        .map(|l| {
            now.checked_add(l)
                .ok_or_else(|| invalid("API key lifetime overflows the clock"))
        })
        .transpose()
}

/// The 8 digest bytes a key's public id stands for.
fn id_bytes(digest: &[u8; 32]) -> [u8; 8] {
    let mut id = [0u8; 8];
    id.copy_from_slice(&digest[..8]);
    id
}

fn corrupt_key() -> Error {
    Error::Storage("corrupt API key entry".into())
}

/// The caller's view of a stored key: its metadata, never its secret (the
/// store does not have it anyway).
fn to_info(digest: &[u8; 32], r: &ApiKeyRecord) -> ApiKey {
    ApiKey {
        id: token::public_id(digest),
        owner: r.owner.clone(),
        name: r.name.clone(),
        scopes: r.scopes.clone(),
        created: r.created,
        expires: r.expires,
        last_used: r.last_used,
    }
}

/// The writes storing a new key `digest`: record, owner-index entry, the
/// name claim pointing at it and, when it expires, its expiry entry (whose
/// value tells the sweep it is an API key).
fn new_key_writes(digest: &[u8; 32], r: &ApiKeyRecord, owner: &[u8]) -> Vec<Write> {
    let mut writes = vec![
        Write::put(keys::api_key(digest), r.encode()),
        Write::put(keys::owner_key(owner, r.created, digest), Vec::new()),
        Write::put(keys::key_name(owner, &r.name), digest.to_vec()),
        Write::put(keys::owner_version(owner), digest.to_vec()),
    ];
    if let Some(e) = r.expires {
        writes.push(Write::put(keys::expiry(e, digest), vec![keys::API_KEY]));
    }
    writes
}

/// An API key as read: its digest, the exact bytes (which guard whatever
/// is then committed on the strength of them) and their decoding.
struct Stored {
    digest: [u8; 32],
    bytes: Vec<u8>,
    record: ApiKeyRecord,
}

impl Stored {
    fn guard(&self) -> Guard {
        Guard::equals(keys::api_key(&self.digest), Some(self.bytes.clone()))
    }

    fn info(&self) -> ApiKey {
        to_info(&self.digest, &self.record)
    }
}

impl<E: Env> Auth<E> {
    /// Create a key named `name` acting for `owner`, valid for `lifetime`
    /// seconds or, when `None`, until revoked. The secret is in the result
    /// and nowhere else: the store keeps only its digest.
    ///
    /// Fails with [`Error::NoUser`] for an unknown user, [`Error::NameTaken`]
    /// when the owner has a live key of that name (also under concurrent
    /// creation: the commit is guarded on the name's claim as read),
    /// [`Error::LimitReached`] when the owner already holds
    /// [`MAX_API_KEYS_PER_OWNER`] unexpired keys (expired ones not yet swept
    /// are deleted to make room), [`Error::AccountDisabled`] for a user
    /// disabled now (a key of theirs could not verify, and enabling them
    /// again would delete it), [`Error::InvalidInput`] for bad arguments.
    /// Creations racing one another may each pass the cap check; see
    /// `OWNER_SCAN`.
    pub fn create_api_key(
        &self,
        owner: &KeyOwner,
        name: &str,
        scopes: &str,
        lifetime: Option<u64>,
    ) -> Result<NewApiKey> {
        check_owner(owner)?;
        check_label("key name", name)?;
        check_scopes(scopes)?;
        check_lifetime(lifetime)?;
        let owner_bytes = keys::owner_bytes(owner);
        let claim_key = keys::key_name(&owner_bytes, name);
        retry(|| {
            // Guarding the user record makes a racing `delete_user` (or
            // disabling) that commits first fail this commit, which then
            // sees `NoUser` (or `AccountDisabled`).
            let mut guards = self.enabled_owner_guards(owner)?;
            let now = self.env.now();
            let claim = self.env.get(&claim_key)?;
            // A name is taken only by a live key: an expired one not yet
            // swept (or a claim whose key is gone) gives it up, deleted in
            // this commit.
            let holder = match &claim {
                Some(held) => {
                    let digest = <[u8; 32]>::try_from(&held[..]).map_err(|_| corrupt_key())?;
                    match self.load_key(&digest)? {
                        Some(s) if !s.record.expired(now) => return Err(Error::NameTaken),
                        holder => holder,
                    }
                }
                None => None,
            };
            let record = ApiKeyRecord {
                owner: owner.clone(),
                name: name.to_owned(),
                scopes: scopes.to_owned(),
                created: now,
                lifetime,
                expires: expiry_after(now, lifetime)?,
                last_used: None,
            };
            let (room_guards, mut writes) = self.make_room(&owner_bytes, now)?;
            guards.extend(room_guards);
            if let Some(h) = holder
                && !writes.contains(&Write::delete(keys::api_key(&h.digest)))
            {
                let (g, w) = self.deletes(&h, true)?;
                guards.extend(g);
                writes.extend(w);
            }
            // The new key's claim replaces the old one: no delete of it in
            // the same commit, whose outcome would depend on write order.
            writes.retain(|w| w.key != claim_key);
            let (key, digest) = self.mint_key()?;
            guards.push(Guard::equals(claim_key.clone(), claim.clone()));
            guards.push(Guard::absent(keys::api_key(&digest)));
            writes.extend(new_key_writes(&digest, &record, &owner_bytes));
            let info = to_info(&digest, &record);
            writes.extend(self.key_event(owner, EventKind::ApiKeyCreated, &info)?);
            committed(self.env.commit(&guards, &writes), NewApiKey { key, info })
        })
    }

    /// The log entry of an API key's creation or revocation: about its
    /// user, or about its service (named `service:` + name).
    fn key_event(&self, owner: &KeyOwner, kind: EventKind, key: &ApiKey) -> Result<Vec<Write>> {
        let reason = format!("key {} ({})", key.id, key.name);
        match owner {
            KeyOwner::User(id) => {
                let name = self
                    .load_user(*id)?
                    .map(|u| u.record.username)
                    .unwrap_or_default();
                self.event_writes(kind, *id, &name, reason)
            }
            KeyOwner::Service(service) => {
                self.service_event_writes(kind, &format!("service:{service}"), reason)
            }
        }
    }

    /// The metadata of the live key `key`, recording its use.
    ///
    /// Only the exact spelling [`Auth::create_api_key`] or
    /// [`Auth::rotate_api_key`] returned verifies: anything not shaped like
    /// an API key with a correct checksum is refused without a store read,
    /// and anything else is looked up by its SHA-256 digest alone.
    ///
    /// Errors: [`Error::InvalidToken`] when malformed, unknown, revoked, or
    /// its user was deleted or is disabled now (see
    /// [`crate::AccountState`]); [`Error::TokenExpired`] when expired (it is
    /// then deleted, so the next attempt is `InvalidToken`).
    ///
    /// The last use is rewritten at most once per key per
    /// [`LAST_USE_RESOLUTION`], so that a busy key does not cost a commit
    /// per request. That write is guarded on the record as read; when it
    /// conflicts (a concurrent verification recorded the use, or the key
    /// was changed) the verification still succeeds without retrying: the
    /// key was valid when read, and the use is recorded by the other writer
    /// or by a later verification.
    pub fn verify_api_key(&self, key: &str) -> Result<ApiKey> {
        if !token::well_formed_prefixed(key, API_KEY_PREFIX) {
            return Err(Error::InvalidToken);
        }
        let stored = self
            .load_key(&token::digest(key))?
            .ok_or(Error::InvalidToken)?;
        let now = self.env.now();
        if stored.record.expired(now) {
            self.delete_dead(&stored)?;
            return Err(Error::TokenExpired);
        }
        if let KeyOwner::User(id) = stored.record.owner {
            match self.load_user(id)? {
                // Left behind by a `delete_user` that raced its creation:
                // user ids are never reused, so it is dead for good. Delete
                // it now.
                None => {
                    self.delete_dead(&stored)?;
                    return Err(Error::InvalidToken);
                }
                // Disabled from a time no commit marked (the record read
                // anyway tells, at no extra read): refused, and left for
                // the commit enabling the account to delete.
                Some(user) if user.record.state.is_disabled_at(now) => {
                    return Err(Error::InvalidToken);
                }
                Some(_) => {}
            }
        }
        let mut info = stored.info();
        let stale = stored
            .record
            .last_used
            .is_none_or(|t| now >= t.saturating_add(LAST_USE_RESOLUTION));
        if stale {
            let mut record = stored.record.clone();
            record.last_used = Some(now);
            let writes = [Write::put(keys::api_key(&stored.digest), record.encode())];
            match self.env.commit(&[stored.guard()], &writes) {
                Ok(()) => info.last_used = Some(now),
                Err(StoreError::Conflict) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(info)
    }

    /// The owner's unexpired keys, oldest first (to the second), at most
    /// [`MAX_API_KEYS_PER_OWNER`]; keys still in a rotation's overlap are
    /// included. Metadata only: the store has no secret to show.
    ///
    /// [`Error::NoUser`] for a user that does not exist (their keys died
    /// with them); a service with no keys has an empty list, since a
    /// service exists only through its keys.
    pub fn list_api_keys(&self, owner: &KeyOwner) -> Result<Vec<ApiKey>> {
        check_owner(owner)?;
        self.owner_guards(owner)?;
        let now = self.env.now();
        let mut keys: Vec<ApiKey> = self
            .owner_entries(&keys::owner_bytes(owner))?
            .into_iter()
            .filter_map(|(_, stored)| stored)
            .filter(|s| !s.record.expired(now))
            .map(|s| s.info())
            .collect();
        keys.truncate(MAX_API_KEYS_PER_OWNER as usize);
        Ok(keys)
    }

    /// The metadata of the live key whose public id is `id`, without using
    /// it (nothing is written, its last use stays as it was). Errors:
    /// [`Error::InvalidToken`] when `id` is malformed or names no live key
    /// (expired, or of a deleted user or one disabled now).
    pub fn get_api_key(&self, id: &str) -> Result<ApiKey> {
        let stored = self.find_key(id)?;
        let now = self.env.now();
        if stored.record.expired(now) {
            return Err(Error::InvalidToken);
        }
        if let KeyOwner::User(user) = stored.record.owner {
            match self.load_user(user)? {
                Some(u) if !u.record.state.is_disabled_at(now) => {}
                _ => return Err(Error::InvalidToken),
            }
        }
        Ok(stored.info())
    }

    /// Delete the key whose public id is `id`, with all its entries; its
    /// name is free again unless a rotation already gave it to a newer key.
    /// A key expired but not yet swept is deleted too. Errors:
    /// [`Error::InvalidToken`] when `id` is malformed or names no stored
    /// key (also when a concurrent revocation deleted it first).
    pub fn revoke_api_key(&self, id: &str) -> Result<()> {
        retry(|| {
            let stored = self.find_key(id)?;
            let (guards, mut writes) = self.deletes(&stored, true)?;
            let info = stored.info();
            writes.extend(self.key_event(&stored.record.owner, EventKind::ApiKeyRevoked, &info)?);
            committed(self.env.commit(&guards, &writes), ())
        })
    }

    /// Replace the key `id` by a new one with the same owner, name, scopes
    /// and lifetime (counted from now), in one commit that moves the name's
    /// claim to the new key. The old key dies in that commit when `overlap`
    /// is 0; otherwise it lives `overlap` more seconds, never longer than
    /// it would have, so that clients can switch over.
    ///
    /// Only the key holding its name can be rotated: a key already rotated
    /// out (still in its overlap, or gone), an expired one, one of a deleted
    /// user, one of a user disabled now or an unknown id gives
    /// [`Error::InvalidToken`], so that two concurrent rotations of one key
    /// give exactly one new key.
    /// [`Error::InvalidInput`] when `overlap` exceeds
    /// [`MAX_ROTATION_OVERLAP`]. A rotation with overlap stores one key
    /// more for a while, so it is refused with [`Error::LimitReached`] when
    /// the owner already holds [`MAX_API_KEYS_PER_OWNER`] unexpired keys.
    pub fn rotate_api_key(&self, id: &str, overlap: u64) -> Result<NewApiKey> {
        check_overlap(overlap)?;
        retry(|| {
            let old = self.find_key(id)?;
            let r = &old.record;
            let now = self.env.now();
            if r.expired(now) {
                return Err(Error::InvalidToken);
            }
            let owner_bytes = keys::owner_bytes(&r.owner);
            let claim_key = keys::key_name(&owner_bytes, &r.name);
            if self.env.get(&claim_key)?.as_deref() != Some(&old.digest[..]) {
                return Err(Error::InvalidToken);
            }
            // As in creation: a racing `delete_user` either sees the new
            // key or makes this commit fail.
            let mut guards = match self.enabled_owner_guards(&r.owner) {
                Err(Error::NoUser | Error::AccountDisabled) => return Err(Error::InvalidToken),
                other => other?,
            };
            guards.push(old.guard());
            guards.push(Guard::equals(claim_key, Some(old.digest.to_vec())));
            let mut writes = Vec::new();
            if overlap == 0 {
                // Not the claim: the new key's writes overwrite it.
                writes.push(Write::delete(keys::api_key(&old.digest)));
                writes.push(Write::delete(keys::owner_key(
                    &owner_bytes,
                    r.created,
                    &old.digest,
                )));
                if let Some(e) = r.expires {
                    writes.push(Write::delete(keys::expiry(e, &old.digest)));
                }
            } else {
                let (room_guards, room_writes) = self.make_room(&owner_bytes, now)?;
                guards.extend(room_guards);
                writes.extend(room_writes);
                let until = now.saturating_add(overlap);
                let ends = r.expires.map_or(until, |e| e.min(until));
                if r.expires != Some(ends) {
                    if let Some(e) = r.expires {
                        writes.push(Write::delete(keys::expiry(e, &old.digest)));
                    }
                    writes.push(Write::put(
                        keys::expiry(ends, &old.digest),
                        vec![keys::API_KEY],
                    ));
                    let shortened = ApiKeyRecord {
                        expires: Some(ends),
                        ..r.clone()
                    };
                    writes.push(Write::put(keys::api_key(&old.digest), shortened.encode()));
                }
            }
            let record = ApiKeyRecord {
                created: now,
                expires: expiry_after(now, r.lifetime)?,
                last_used: None,
                ..r.clone()
            };
            let (key, digest) = self.mint_key()?;
            guards.push(Guard::absent(keys::api_key(&digest)));
            writes.extend(new_key_writes(&digest, &record, &owner_bytes));
            let info = to_info(&digest, &record);
            writes.extend(self.key_event(&record.owner, EventKind::ApiKeyCreated, &info)?);
            committed(self.env.commit(&guards, &writes), NewApiKey { key, info })
        })
    }

    /// Delete every key of `owner` (at most `OWNER_SCAN`, which bounds
    /// the commit) with all their entries, in one commit; returns how many
    /// of them were live (unexpired). [`Error::NoUser`] for a user that
    /// does not exist, as [`Auth::list_api_keys`]. A key created
    /// concurrently may survive: it was created after the revocation.
    pub fn revoke_api_keys(&self, owner: &KeyOwner) -> Result<u64> {
        check_owner(owner)?;
        let owner_bytes = keys::owner_bytes(owner);
        retry(|| {
            self.owner_guards(owner)?;
            let now = self.env.now();
            let mut live = 0;
            let (mut guards, mut writes) = self.owner_version_guard(&owner_bytes)?;
            for (index_key, stored) in self.owner_entries(&owner_bytes)? {
                match stored {
                    Some(s) => {
                        live += u64::from(!s.record.expired(now));
                        let (g, w) = self.deletes(&s, true)?;
                        guards.extend(g);
                        writes.extend(w);
                    }
                    None => writes.push(Write::delete(index_key)),
                }
            }
            if writes.is_empty() {
                return Ok(Attempt::Done(0));
            }
            committed(self.env.commit(&guards, &writes), live)
        })
    }

    /// The writes deleting the API key `digest` (record, owner index, name
    /// claim when it still points to it) but for its expiry-index entry
    /// (the sweep deletes that itself); none when it is gone, or when its
    /// record says it is not expired yet (an expiry entry left stale must
    /// not take a live key with it). Unguarded, like the rest of the sweep:
    /// an expired key changes no more, but for its deletion.
    pub(crate) fn api_key_deletes(&self, digest: &[u8; 32]) -> Result<Vec<Write>> {
        match self.load_key(digest)? {
            Some(stored) if stored.record.expired(self.env.now()) => {
                Ok(self.deletes(&stored, false)?.1)
            }
            _ => Ok(Vec::new()),
        }
    }

    /// The writes deleting every API key of user `id`, expiry entries
    /// included; for `delete_user`, which commits them with the deletion
    /// under a guard on the user record. At most `OWNER_SCAN` keys, so the
    /// commit stays bounded.
    ///
    /// A creation or rotation for the user guards that record too, so one
    /// that would commit after the deletion fails. One that commits between
    /// this read and the deletion's commit leaves its key behind, dead:
    /// verification refuses (and deletes) a key whose user is gone.
    pub(crate) fn user_api_key_deletes(&self, id: u64) -> Result<(Vec<Guard>, Vec<Write>)> {
        let owner_bytes = keys::owner_bytes(&KeyOwner::User(id));
        let (guards, mut writes) = self.owner_version_guard(&owner_bytes)?;
        let mut names: Vec<String> = Vec::new();
        for (index_key, stored) in self.owner_entries(&owner_bytes)? {
            writes.push(Write::delete(index_key));
            let Some(s) = stored else { continue };
            writes.push(Write::delete(keys::api_key(&s.digest)));
            if let Some(e) = s.record.expires {
                writes.push(Write::delete(keys::expiry(e, &s.digest)));
            }
            // Every claim of this owner points at one of the keys deleted
            // here, so each name's claim goes without reading it; once per
            // name, though a rotated-out key shares it with its successor.
            if !names.contains(&s.record.name) {
                writes.push(Write::delete(keys::key_name(&owner_bytes, &s.record.name)));
                names.push(s.record.name);
            }
        }
        Ok((guards, writes))
    }

    /// For a user owner, the guard on their record; [`Error::NoUser`] when
    /// there is no such user. None for a service.
    fn owner_guards(&self, owner: &KeyOwner) -> Result<Vec<Guard>> {
        match owner {
            KeyOwner::User(id) => Ok(vec![self.load_user(*id)?.ok_or(Error::NoUser)?.guard()]),
            KeyOwner::Service(_) => Ok(Vec::new()),
        }
    }

    /// As [`Auth::owner_guards`], and [`Error::AccountDisabled`] for a user
    /// disabled now: what creating a key for the owner needs.
    fn enabled_owner_guards(&self, owner: &KeyOwner) -> Result<Vec<Guard>> {
        match owner {
            KeyOwner::User(id) => {
                let user = self.load_user(*id)?.ok_or(Error::NoUser)?;
                self.refuse_disabled(&user)?;
                Ok(vec![user.guard()])
            }
            KeyOwner::Service(_) => Ok(Vec::new()),
        }
    }

    fn load_key(&self, digest: &[u8; 32]) -> Result<Option<Stored>> {
        match self.env.get(&keys::api_key(digest))? {
            Some(bytes) => {
                let record = ApiKeyRecord::decode(&bytes)?;
                Ok(Some(Stored {
                    digest: *digest,
                    bytes,
                    record,
                }))
            }
            None => Ok(None),
        }
    }

    /// The key whose public id is `id`: one range scan of at most two
    /// entries. Two would make the id ambiguous; creation and rotation
    /// never store a key whose id another has, so that is corruption.
    fn find_key(&self, id: &str) -> Result<Stored> {
        let id = token::parse_public_id(id).ok_or(Error::InvalidToken)?;
        let (start, end) = keys::api_key_by_id(&id);
        let mut found = self.env.scan(&start, &end, 2)?;
        if found.len() > 1 {
            return Err(Error::Storage("two API keys share a public id".into()));
        }
        let (key, bytes) = found.pop().ok_or(Error::InvalidToken)?;
        let digest = match key.as_slice() {
            [keys::API_KEY, rest @ ..] => <[u8; 32]>::try_from(rest).map_err(|_| corrupt_key())?,
            _ => return Err(corrupt_key()),
        };
        let record = ApiKeyRecord::decode(&bytes)?;
        Ok(Stored {
            digest,
            bytes,
            record,
        })
    }

    /// The owner's index entries, oldest first (at most `OWNER_SCAN`), each
    /// with its key, or `None` when its record is gone (a deletion that
    /// committed between the scan and the read).
    /// A guard that no key of `owner` was created or rotated since now,
    /// and the deletion of the owner's version, for a commit that deletes
    /// every key of the owner.
    fn owner_version_guard(&self, owner: &[u8]) -> Result<(Vec<Guard>, Vec<Write>)> {
        let key = keys::owner_version(owner);
        let seen = self.env.get(&key)?;
        let deletes = match seen {
            Some(_) => vec![Write::delete(key.clone())],
            None => Vec::new(),
        };
        Ok((vec![Guard::equals(key, seen)], deletes))
    }

    fn owner_entries(&self, owner: &[u8]) -> Result<Vec<(Vec<u8>, Option<Stored>)>> {
        let (start, end) = keys::owner_keys(owner);
        self.env
            .scan(&start, &end, OWNER_SCAN)?
            .into_iter()
            .map(|(index_key, _)| {
                let digest = keys::trailing_digest(&index_key).ok_or_else(corrupt_key)?;
                let stored = self.load_key(&digest)?;
                Ok((index_key, stored))
            })
            .collect()
    }

    /// The guards and writes that make room for one more key of `owner`
    /// under the cap: none while it holds fewer than
    /// [`MAX_API_KEYS_PER_OWNER`] keys (one scan); else the deletion of its
    /// expired keys, guarded on their records, or [`Error::LimitReached`]
    /// when that is not enough. Expired keys count until deleted only so
    /// that the common case costs one scan.
    fn make_room(&self, owner: &[u8], now: u64) -> Result<(Vec<Guard>, Vec<Write>)> {
        let (mut guards, mut writes) = (Vec::new(), Vec::new());
        let (start, end) = keys::owner_keys(owner);
        if self.env.scan(&start, &end, MAX_API_KEYS_PER_OWNER)?.len()
            < MAX_API_KEYS_PER_OWNER as usize
        {
            return Ok((guards, writes));
        }
        let mut live = 0;
        for (index_key, stored) in self.owner_entries(owner)? {
            match stored {
                Some(s) if s.record.expired(now) => {
                    let (g, w) = self.deletes(&s, true)?;
                    guards.extend(g);
                    writes.extend(w);
                }
                Some(_) => live += 1,
                None => writes.push(Write::delete(index_key)),
            }
        }
        if live >= MAX_API_KEYS_PER_OWNER {
            return Err(Error::LimitReached(format!(
                "at most {MAX_API_KEYS_PER_OWNER} API keys per owner"
            )));
        }
        Ok((guards, writes))
    }

    /// A fresh secret and its digest, whose public id no stored key has:
    /// keys are revoked and rotated by id, which must name one key.
    fn mint_key(&self) -> Result<(String, [u8; 32])> {
        for _ in 0..MINT_ATTEMPTS {
            let key = token::mint_prefixed(&self.env, API_KEY_PREFIX);
            let digest = token::digest(&key);
            let (start, end) = keys::api_key_by_id(&id_bytes(&digest));
            if self.env.scan(&start, &end, 1)?.is_empty() {
                return Ok((key, digest));
            }
        }
        Err(Error::Storage("found no unused API key id".into()))
    }

    /// The guards and writes deleting `stored`: its record (guarded on the
    /// bytes read, so that a concurrent change makes the caller re-read),
    /// its owner-index entry, its name's claim when it still points to it
    /// (guarded too: a rotation moves it, and the new key must keep it) and,
    /// with `expiry`, its expiry entry.
    fn deletes(&self, stored: &Stored, expiry: bool) -> Result<(Vec<Guard>, Vec<Write>)> {
        let r = &stored.record;
        let owner = keys::owner_bytes(&r.owner);
        let mut guards = vec![stored.guard()];
        let mut writes = vec![
            Write::delete(keys::api_key(&stored.digest)),
            Write::delete(keys::owner_key(&owner, r.created, &stored.digest)),
        ];
        let claim_key = keys::key_name(&owner, &r.name);
        if self.env.get(&claim_key)?.as_deref() == Some(&stored.digest[..]) {
            guards.push(Guard::equals(
                claim_key.clone(),
                Some(stored.digest.to_vec()),
            ));
            writes.push(Write::delete(claim_key));
        }
        if expiry && let Some(e) = r.expires {
            writes.push(Write::delete(keys::expiry(e, &stored.digest)));
        }
        Ok((guards, writes))
    }

    /// Delete a key found dead (expired, or its user deleted). Losing the
    /// race to another deleter is fine, and so is any other conflict: the
    /// key stays dead, and the sweep or the next verification deletes it.
    fn delete_dead(&self, stored: &Stored) -> Result<()> {
        let (guards, writes) = self.deletes(stored, true)?;
        match self.env.commit(&guards, &writes) {
            Ok(()) | Err(StoreError::Conflict) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests;
