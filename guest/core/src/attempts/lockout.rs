//! Failure counters and locks, and judging a password check by them.
//!
//! A counter (`f` + SHA-256(subject)) belongs to one subject: an account
//! (`0` + user id), a username that names no account (`1` + name), a
//! source address (`2` + 16 bytes; IPv6 as its /64) or a device credential
//! (`3` + its nonce). Failures within the window are counted; reaching the
//! threshold locks the subject and starts a new count. An account's lock
//! doubles with each lockout in a row, up to the maximum; the count of
//! lockouts is forgotten once the subject has been quiet for that maximum
//! (the record goes stale and `sweep` deletes it).

use sha2::{Digest, Sha256};

use crate::env::{Env, Guard, StoreError, Write};
use crate::error::{Error, Result, invalid};
use crate::record::CounterRecord;
use crate::settings::Settings;
use crate::txn::{Attempt, committed, retry};
use crate::users::Loaded;
use crate::{Auth, keys, password};

use super::log::LogLine;
use super::{
    DeviceClaim, EventKind, Lock, LockPage, LockSubject, LoginContext, counted_address, device_id,
    format_address, hex, parse_address, unhex,
};

/// The most locks one page may ask for.
pub const MAX_LOCK_PAGE: u32 = 1000;

const ACCOUNT: u8 = 0;
const USERNAME: u8 = 1;
const SOURCE: u8 = 2;
const DEVICE: u8 = 3;

/// How a password check came out, once counted.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome<T> {
    /// The password was right; the success closure's value.
    Success(T),
    /// The account exists and the password was wrong.
    WrongPassword,
    /// No account has that name.
    NoUser,
}

/// What a successful check hands its caller to commit: the guards on the
/// counters it judged by and the writes that reset and log it. The caller
/// commits them with its own writes, or retries when that conflicts.
pub(crate) struct Judged {
    /// The account whose password was right.
    pub user: Loaded,
    /// The device credential presented, when valid for this account.
    pub claim: Option<DeviceClaim>,
    /// Guards the caller's commit must carry.
    pub guards: Vec<Guard>,
    /// Writes the caller's commit must carry.
    pub writes: Vec<Write>,
}

#[derive(Clone, Copy)]
struct Policy {
    threshold: u32,
    window: u64,
    duration: u64,
    max: u64,
    /// What reaching the threshold is logged as.
    event: EventKind,
}

impl Policy {
    fn account(s: &Settings, event: EventKind) -> Self {
        Policy {
            threshold: s.lockout_threshold,
            window: s.lockout_window,
            duration: s.lockout_duration,
            max: s.lockout_max_duration,
            event,
        }
    }

    fn source(s: &Settings) -> Self {
        Policy {
            threshold: s.source_lockout_threshold,
            window: s.source_lockout_window,
            duration: s.source_lockout_duration,
            // A source's block does not grow.
            max: s.source_lockout_duration,
            event: EventKind::SourceBlocked,
        }
    }
}

/// A counter as read, with the bytes that guard the commit depending on it.
struct Counted {
    digest: [u8; 32],
    bytes: Option<Vec<u8>>,
    record: CounterRecord,
    policy: Policy,
}

impl Counted {
    /// Seconds until its lock ends, when locked at `now`.
    fn locked(&self, now: u64) -> Option<u64> {
        (self.record.locked_until > now).then(|| self.record.locked_until - now)
    }

    fn guard(&self) -> Guard {
        Guard::equals(keys::counter(&self.digest), self.bytes.clone())
    }

    /// The writes that count one failure at `now`, and the end of the lock
    /// it starts, if it reaches the threshold.
    fn failure(&self, now: u64) -> (Vec<Write>, Option<u64>) {
        let p = self.policy;
        let mut r = self.record.clone();
        if r.failures == 0 || now >= r.window_start.saturating_add(p.window) {
            r.failures = 0;
            r.window_start = now;
        }
        r.failures = r.failures.saturating_add(1);
        let mut locked = None;
        if r.failures >= p.threshold {
            let factor = 1u64.checked_shl(r.lockouts.min(63)).unwrap_or(u64::MAX);
            let lock = p.duration.saturating_mul(factor).min(p.max);
            r.locked_until = now.saturating_add(lock);
            r.lockouts = r.lockouts.saturating_add(1);
            r.failures = 0;
            r.window_start = now;
            locked = Some(r.locked_until);
        }
        r.stale_at = r
            .locked_until
            .max(r.window_start.saturating_add(p.window))
            .saturating_add(p.max);
        let mut writes = self.unindex();
        writes.push(Write::put(keys::counter(&self.digest), r.encode()));
        writes.push(Write::put(
            keys::expiry(r.stale_at, &self.digest),
            vec![keys::COUNTER],
        ));
        (writes, locked)
    }

    /// The writes that forget it (a success of its own subject).
    fn reset(&self) -> Vec<Write> {
        let mut writes = self.unindex();
        if self.bytes.is_some() {
            writes.push(Write::delete(keys::counter(&self.digest)));
        }
        writes
    }

    fn unindex(&self) -> Vec<Write> {
        match self.bytes {
            Some(_) => vec![Write::delete(keys::expiry(
                self.record.stale_at,
                &self.digest,
            ))],
            None => Vec::new(),
        }
    }
}

fn subject(tag: u8, rest: &[u8]) -> Vec<u8> {
    [&[tag][..], rest].concat()
}

fn digest(subject: &[u8]) -> [u8; 32] {
    Sha256::digest(subject).into()
}

/// The stored subject of a lock subject named by a caller.
fn subject_of(s: &LockSubject) -> Result<Vec<u8>> {
    Ok(match s {
        LockSubject::Account(id) => subject(ACCOUNT, &id.to_be_bytes()),
        LockSubject::Username(name) => subject(USERNAME, name.as_bytes()),
        LockSubject::Source(text) => {
            // A listing names an IPv6 source by its /64.
            let address = text.strip_suffix("/64").unwrap_or(text);
            subject(SOURCE, &counted_address(&parse_address(address)?))
        }
        LockSubject::Device(id) => subject(
            DEVICE,
            &unhex::<16>(id).ok_or_else(|| invalid("device must be 32 hex digits"))?,
        ),
    })
}

/// The lock subject a stored subject names.
fn lock_subject(stored: &[u8]) -> Result<LockSubject> {
    let corrupt = || Error::Storage("corrupt counter subject".into());
    Ok(match stored.split_first().ok_or_else(corrupt)? {
        (&ACCOUNT, id) => {
            LockSubject::Account(u64::from_be_bytes(id.try_into().map_err(|_| corrupt())?))
        }
        (&USERNAME, name) => {
            LockSubject::Username(String::from_utf8(name.to_vec()).map_err(|_| corrupt())?)
        }
        (&SOURCE, a) => {
            let a: [u8; 16] = a.try_into().map_err(|_| corrupt())?;
            let text = format_address(&a);
            LockSubject::Source(if text.contains(':') {
                format!("{text}/64")
            } else {
                text
            })
        }
        (&DEVICE, nonce) => {
            LockSubject::Device(device_id(&nonce.try_into().map_err(|_| corrupt())?))
        }
        _ => return Err(corrupt()),
    })
}

impl<E: Env> Auth<E> {
    fn read_counter(&self, subject: Vec<u8>, policy: Policy) -> Result<Counted> {
        let digest = digest(&subject);
        let bytes = self.env.get(&keys::counter(&digest))?;
        let record = match &bytes {
            Some(b) => CounterRecord::decode(b)?,
            None => CounterRecord {
                subject,
                ..CounterRecord::default()
            },
        };
        Ok(Counted {
            digest,
            bytes,
            record,
            policy,
        })
    }

    /// Check `password` for `username` under the lockout rules, count the
    /// outcome and log it (as `kind`); on success, `on_success` commits
    /// with the [`Judged`] guards and writes, or asks for a retry.
    ///
    /// Refused with [`Error::LockedOut`] before any Argon2 work while the
    /// subject judged (the device when a valid credential for the account
    /// is presented, else the account or unknown name, and the source) is
    /// locked. Argon2 runs at most once per stored hash across retries.
    pub(crate) fn judge<T>(
        &self,
        kind: EventKind,
        username: &str,
        password: &str,
        ctx: &LoginContext,
        settings: &Settings,
        mut on_success: impl FnMut(Judged) -> Result<Attempt<T>>,
    ) -> Result<Outcome<T>> {
        let source = ctx.source.as_deref().map(parse_address).transpose()?;
        let presented = match ctx.device.as_deref() {
            Some(d) => self.verify_device(d)?,
            None => None,
        };
        // (hash, whether the password matched it), so that a retry after a
        // conflict does not pay Argon2 again.
        let mut checked: Option<(String, bool)> = None;
        let mut dummy_done = false;
        retry(|| {
            let user = self.find_user(username)?;
            let id = user.as_ref().map(|u| u.record.id);
            let claim = presented.clone().filter(|c| Some(c.user_id) == id);
            let now = self.env.now();
            let primary = if settings.lockout_threshold == 0 {
                None
            } else {
                let (stored, event) = match (&claim, id) {
                    (Some(c), _) => (subject(DEVICE, &c.nonce), EventKind::DeviceLocked),
                    (None, Some(id)) => (
                        subject(ACCOUNT, &id.to_be_bytes()),
                        EventKind::AccountLocked,
                    ),
                    (None, None) => (
                        subject(USERNAME, username.as_bytes()),
                        EventKind::AccountLocked,
                    ),
                };
                Some(self.read_counter(stored, Policy::account(settings, event))?)
            };
            // A trusted device answers for itself alone.
            let from = match (source, &claim) {
                (Some(a), None) if settings.source_lockout_threshold > 0 => {
                    Some(self.read_counter(
                        subject(SOURCE, &counted_address(&a)),
                        Policy::source(settings),
                    )?)
                }
                _ => None,
            };
            let counted: Vec<&Counted> = primary.iter().chain(from.iter()).collect();
            if let Some(wait) = counted.iter().filter_map(|c| c.locked(now)).max() {
                return Err(Error::LockedOut(wait));
            }
            let ok = match &user {
                None => {
                    if !dummy_done {
                        password::verify_dummy(settings, password);
                        dummy_done = true;
                    }
                    false
                }
                Some(u) => match &checked {
                    Some((hash, ok)) if *hash == u.record.password_hash => *ok,
                    _ => {
                        let ok = password::verify(&u.record.password_hash, password)?;
                        checked = Some((u.record.password_hash.clone(), ok));
                        ok
                    }
                },
            };
            let guards: Vec<Guard> = counted.iter().map(|c| c.guard()).collect();
            let name = user
                .as_ref()
                .map_or(username, |u| u.record.username.as_str())
                .to_owned();
            let line = |kind, success, reason: String| LogLine {
                kind,
                user: id,
                username: name.clone(),
                source,
                success,
                reason,
            };
            if let (true, Some(user)) = (ok, user) {
                if user.record.state.is_disabled_at(now) {
                    // The password is proven, so the state may be told; an
                    // administrator sees in the log that someone holds a
                    // disabled account's password. Nothing is forgiven.
                    let refused = line(kind, false, "account disabled".into());
                    let writes = self.log_writes(settings, &refused);
                    if !writes.is_empty() {
                        self.env.commit(&[], &writes)?;
                    }
                    return Err(Error::AccountDisabled);
                }
                // Only the subject that succeeded is forgiven: never the
                // source's count, never another account's.
                let mut writes = primary.as_ref().map(Counted::reset).unwrap_or_default();
                writes.extend(self.log_writes(settings, &line(kind, true, String::new())));
                // Guard only the counter the success resets, lest it wipe
                // failures counted meanwhile. The others are not written: a
                // lock that lands between the check and this commit came
                // after a right password, and guarding them would make
                // every concurrent login of an account conflict for nothing.
                let guards = primary
                    .iter()
                    .filter(|c| c.bytes.is_some())
                    .map(Counted::guard)
                    .collect();
                let judged = Judged {
                    user,
                    claim,
                    guards,
                    writes,
                };
                return Ok(match on_success(judged)? {
                    Attempt::Done(v) => Attempt::Done(Outcome::Success(v)),
                    Attempt::Retry => Attempt::Retry,
                });
            }
            let (outcome, reason) = match id {
                Some(_) => (Outcome::WrongPassword, "wrong password"),
                None => (Outcome::NoUser, "no such user"),
            };
            let mut writes = self.log_writes(settings, &line(kind, false, reason.into()));
            for c in counted {
                let (w, locked) = c.failure(now);
                writes.extend(w);
                if let Some(until) = locked {
                    let what = match lock_subject(&c.record.subject)? {
                        LockSubject::Source(s) => format!("source {s}"),
                        LockSubject::Device(d) => format!("device {d}"),
                        _ => "account".to_owned(),
                    };
                    let reason = format!("{what} locked until {until}");
                    let mut event = line(c.policy.event, true, reason);
                    if c.policy.event == EventKind::SourceBlocked {
                        // About the address, not the account whose check
                        // happened to be its last straw.
                        event.user = None;
                        event.username = String::new();
                    }
                    writes.extend(self.log_writes(settings, &event));
                }
            }
            if writes.is_empty() {
                return Ok(Attempt::Done(outcome));
            }
            committed(self.env.commit(&guards, &writes), outcome)
        })
    }

    /// Up to `limit` locks in force (1..=[`MAX_LOCK_PAGE`]), after the
    /// cursor `after`. Reads at most [`super::MAX_SCAN`] counters per call,
    /// so a page may be short (or empty) with a `next` cursor.
    pub fn list_locks(&self, after: Option<&str>, limit: u32) -> Result<LockPage> {
        if !(1..=MAX_LOCK_PAGE).contains(&limit) {
            return Err(invalid(format!("limit must be 1..={MAX_LOCK_PAGE}")));
        }
        let (mut start, end) = keys::counters();
        if let Some(after) = after {
            let d = unhex::<32>(after)
                .ok_or_else(|| invalid("after must be a cursor from a previous page"))?;
            start = keys::counter(&d);
            start.push(0);
        }
        let now = self.env.now();
        let mut locks = Vec::new();
        let mut scanned = 0;
        let mut last = None;
        // Once the page is full, the digest of its last lock: the page
        // has a `next` only if another lock follows (or the scan budget
        // ran out before that was known).
        let mut full_at: Option<[u8; 32]> = None;
        while scanned < super::MAX_SCAN {
            let want = (super::MAX_SCAN - scanned).min(1024);
            let batch = self.env.scan(&start, &end, want)?;
            scanned += batch.len() as u32;
            for (key, value) in &batch {
                last = keys::trailing_digest(key);
                let r = CounterRecord::decode(value)?;
                if r.locked_until <= now {
                    continue;
                }
                if full_at.is_some() {
                    return Ok(LockPage {
                        locks,
                        next: full_at.map(|d| hex(&d)),
                    });
                }
                locks.push(Lock {
                    subject: lock_subject(&r.subject)?,
                    until: r.locked_until,
                    lockouts: r.lockouts,
                });
                if locks.len() == limit as usize {
                    full_at = last;
                }
            }
            match batch.last() {
                Some((k, _)) if batch.len() == want as usize => {
                    start = k.clone();
                    start.push(0);
                }
                _ => return Ok(LockPage { locks, next: None }),
            }
        }
        if full_at.is_some() {
            last = full_at;
        }
        Ok(LockPage {
            locks,
            next: last.map(|d| hex(&d)),
        })
    }

    /// Lift the lock of `subject` and forget its failures; returns whether
    /// it was locked. Logged as [`EventKind::Unlocked`].
    pub fn unlock(&self, subject: &LockSubject) -> Result<bool> {
        let stored = subject_of(subject)?;
        let d = digest(&stored);
        let settings = self.get_settings()?;
        retry(|| {
            let now = self.env.now();
            let key = keys::counter(&d);
            let Some(bytes) = self.env.get(&key)? else {
                return Ok(Attempt::Done(false));
            };
            let record = CounterRecord::decode(&bytes)?;
            let was_locked = record.locked_until > now;
            let mut writes = vec![
                Write::delete(key.clone()),
                Write::delete(keys::expiry(record.stale_at, &d)),
            ];
            let (user, username, source) = match subject {
                LockSubject::Account(id) => (
                    Some(*id),
                    self.load_user(*id)?
                        .map(|u| u.record.username)
                        .unwrap_or_default(),
                    None,
                ),
                LockSubject::Username(n) => (None, n.clone(), None),
                LockSubject::Source(_) => (
                    None,
                    String::new(),
                    stored.get(1..17).and_then(|a| a.try_into().ok()),
                ),
                LockSubject::Device(_) => (None, String::new(), None),
            };
            if was_locked {
                let what = match lock_subject(&stored)? {
                    LockSubject::Device(id) => format!("device {id}"),
                    LockSubject::Source(s) => format!("source {s}"),
                    _ => "account".into(),
                };
                writes.extend(self.log_writes(
                    &settings,
                    &LogLine {
                        kind: EventKind::Unlocked,
                        user,
                        username,
                        source,
                        success: true,
                        reason: format!("{what} unlocked"),
                    },
                ));
            }
            committed(
                self.env.commit(&[Guard::equals(key, Some(bytes))], &writes),
                was_locked,
            )
        })
    }

    /// Delete the counter whose `e` entry (already deleted by the caller)
    /// said it went stale by `now`, unless it was rewritten since: guarded,
    /// so a failure counted meanwhile is kept.
    pub(crate) fn drop_stale_counter(&self, digest: &[u8; 32], now: u64) -> Result<()> {
        let key = keys::counter(digest);
        let Some(bytes) = self.env.get(&key)? else {
            return Ok(());
        };
        if CounterRecord::decode(&bytes)?.stale_at > now {
            return Ok(());
        }
        match self.env.commit(
            &[Guard::equals(key.clone(), Some(bytes))],
            &[Write::delete(key)],
        ) {
            Ok(()) | Err(StoreError::Conflict) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
