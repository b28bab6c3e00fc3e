//! Sweeping: deleting expired tokens, stale failure counters, the tokens
//! revocations left behind and log entries past their retention, in
//! bounded batches; and saying when the next sweep is due.
//!
//! A revocation leaves `r` + user id, whose value says which of the user's
//! tokens are dead (generations below a bound, or all of a deleted user's).
//! Dead tokens are one contiguous `l` range per user (plus the user's
//! legacy `s` range, all of it dead once a revocation happened), and no
//! login can add to it: a login guards the user record, which the
//! revocation changed. So `sweep` deletes from the front of that range
//! until it is empty, then deletes the `r` key under a guard that no newer
//! revocation replaced it.
//!
//! Whenever a sweep leaves cleanup undone it has deleted a full `limit`,
//! so the host, which calls again until a call deletes fewer, finishes it;
//! `next_expiry` keeps its meaning (the earliest expiry stored, dead tokens
//! included). The one exception, more than [`MAX_SWEEP_REVOCATIONS`] records with
//! nothing left to delete, or a revocation racing the sweep, reports
//! `next_expiry` no later than now, so the host comes back at once.

use crate::env::{Entry, Env, Guard, StoreError, Write};
use crate::error::{Error, Result, invalid};
use crate::record::{TokenRecord, decode_revocation};
use crate::{Auth, keys};

use super::{MAX_SWEEP, SweepOutcome, entry_deletes, index_key};

/// The most revocation records one sweep call looks at (and drops, when
/// their tokens are all gone) besides the tokens it deletes: records whose
/// tokens `validate` or `logout` already deleted cost a read and a write
/// each, and do not count towards `limit`.
pub const MAX_SWEEP_REVOCATIONS: u32 = 1024;

/// The longest a sweep waits while the attempt and event log holds
/// entries, in seconds: how late past its retention an entry may be
/// deleted.
pub const LOG_SWEEP_INTERVAL: u64 = 60 * 60;

impl<E: Env> Auth<E> {
    /// Delete up to `limit` tokens: expired ones first, oldest first, then
    /// revoked ones whose deletion a revocation left to sweeping; and say
    /// when the next sweep is due (see [`SweepOutcome::next_expiry`]).
    ///
    /// A commit that deletes tokens writes at most `4 × limit` keys, and the
    /// one that drops finished revocation records at most
    /// [`MAX_SWEEP_REVOCATIONS`], so a sweep costs the same whatever the size of
    /// the store or of one user's revocation. Callers repeat it until it
    /// deletes fewer than `limit`.
    pub fn sweep(&self, limit: u32) -> Result<SweepOutcome> {
        if !(1..=MAX_SWEEP).contains(&limit) {
            return Err(invalid(format!("sweep limit must be 1..={MAX_SWEEP}")));
        }
        let now = self.env.now();
        let expired = self.sweep_expired(now, limit)?;
        let revoked = match limit - expired {
            0 => 0,
            budget => self.sweep_revoked(budget)?,
        };
        let logged = match limit - expired - revoked {
            0 => 0,
            budget => self.sweep_log(&self.get_settings()?, now, budget)?,
        };
        let deleted = expired + revoked + logged;
        let mut earliest = self.next_expiry()?;
        // The log's oldest entry is not indexed by time of expiry (that
        // would cost a write per entry): while there is a log, a sweep is
        // due at least every `LOG_SWEEP_INTERVAL`.
        if !self.log_is_empty()? {
            let due = now.saturating_add(LOG_SWEEP_INTERVAL);
            earliest = Some(earliest.map_or(due, |e| e.min(due)));
        }
        // A full batch makes the caller call again; a short one must not
        // leave cleanup behind unannounced.
        let next_expiry = if deleted < limit && self.revocations_pending()? {
            Some(earliest.map_or(now, |e| e.min(now)))
        } else {
            earliest
        };
        Ok(SweepOutcome {
            deleted: u64::from(deleted),
            next_expiry,
        })
    }

    /// Delete up to `limit` tokens expired by `now`, oldest first, in one
    /// commit; returns how many.
    fn sweep_expired(&self, now: u64, limit: u32) -> Result<u32> {
        let (start, end) = keys::expired_by(now);
        let expired = self.env.scan(&start, &end, limit)?;
        let mut writes = Vec::with_capacity(expired.len() * 3);
        let mut stale = Vec::new();
        for (key, kind) in &expired {
            let digest = keys::trailing_digest(key)
                .ok_or_else(|| Error::Storage("corrupt expiry key".into()))?;
            writes.push(Write::delete(key.clone()));
            match kind.as_slice() {
                [] => {
                    let token_key = keys::token(&digest);
                    if let Some(bytes) = self.env.get(&token_key)? {
                        let record = TokenRecord::decode(&bytes)?;
                        writes.push(Write::delete(index_key(&digest, &record)));
                        writes.push(Write::delete(token_key));
                    }
                }
                [keys::EMAIL_TOKEN] => writes.extend(self.email_token_deletes(&digest)?),
                [keys::API_KEY] => writes.extend(self.api_key_deletes(&digest)?),
                [keys::ONE_TIME] => writes.push(Write::delete(keys::one_time(&digest))),
                [keys::OAUTH_CODE] => writes.push(Write::delete(keys::oauth_code(&digest))),
                [keys::OAUTH_TOKEN] => writes.push(Write::delete(keys::oauth_token(&digest))),
                [keys::OAUTH_GRANT] => {
                    let id: [u8; 16] = digest[..16].try_into().expect("16 of 32 bytes");
                    writes.push(Write::delete(keys::oauth_grant(&id)));
                }
                [keys::COUNTER] => stale.push(digest),
                _ => return Err(Error::Storage("corrupt expiry entry".into())),
            }
        }
        // Token digests are never reused, so deleting them needs no guards.
        if !writes.is_empty() {
            self.env.commit(&[], &writes)?;
        }
        // Counters are rewritten in place, so each is deleted under a guard.
        for digest in &stale {
            self.drop_stale_counter(digest, now)?;
        }
        Ok(expired.len() as u32)
    }

    /// Delete up to `budget` (≥ 1) revoked tokens, first user first, in one
    /// commit, then drop the revocations now fully cleaned up in another;
    /// returns how many tokens it deleted. Looks at up to
    /// [`MAX_SWEEP_REVOCATIONS`] records, stopping early when the budget is spent.
    fn sweep_revoked(&self, budget: u32) -> Result<u32> {
        let (mut start, end) = keys::revocations();
        let mut left = budget;
        let mut writes = Vec::new();
        let mut finished = Vec::new();
        let mut seen = 0;
        while left > 0 && seen < MAX_SWEEP_REVOCATIONS {
            let want = (MAX_SWEEP_REVOCATIONS - seen).min(budget);
            let batch = self.env.scan(&start, &end, want)?;
            seen += batch.len() as u32;
            for (key, value) in &batch {
                if left == 0 {
                    break;
                }
                if self.clean_revocation(key, value, &mut left, &mut writes)? {
                    finished.push((key.clone(), value.clone()));
                }
            }
            match batch.last() {
                Some((last, _)) if batch.len() == want as usize => {
                    start = last.clone();
                    start.push(0);
                }
                _ => break,
            }
        }
        // Dead tokens stay dead (generations only grow, deleted users stay
        // deleted), so deleting them needs no guards.
        if !writes.is_empty() {
            self.env.commit(&[], &writes)?;
        }
        self.finish_revocations(finished)?;
        Ok(budget - left)
    }

    /// Add to `writes` the deletion of up to `left` dead tokens of the
    /// revocation `key` → `value`, taking them off `left`; returns whether
    /// that deletes all of them. Reads one entry more than it deletes, to
    /// know.
    fn clean_revocation(
        &self,
        key: &[u8],
        value: &[u8],
        left: &mut u32,
        writes: &mut Vec<Write>,
    ) -> Result<bool> {
        let id =
            keys::revoked_id(key).ok_or_else(|| Error::Storage("corrupt revocation key".into()))?;
        let dead = match decode_revocation(value)? {
            Some(generation) => keys::sessions_before(id, generation),
            None => keys::sessions_of(id),
        };
        // Once a revocation happened, every legacy token is dead: they were
        // all minted before it.
        for (start, end) in [keys::legacy_sessions_of(id), dead] {
            let entries = self.env.scan(&start, &end, *left + 1)?;
            for (k, v) in entries.iter().take(*left as usize) {
                writes.extend(entry_deletes(k, v)?);
            }
            if entries.len() > *left as usize {
                *left = 0;
                return Ok(false);
            }
            *left -= entries.len() as u32;
        }
        Ok(true)
    }

    /// Delete the revocation keys in `finished`, each guarded by the value
    /// read: a revocation of the same user since then replaced it and left
    /// more to delete, so that one stays. One commit, or one per key when
    /// that conflicts.
    fn finish_revocations(&self, finished: Vec<Entry>) -> Result<()> {
        if finished.is_empty() {
            return Ok(());
        }
        let guards: Vec<Guard> = finished
            .iter()
            .map(|(k, v)| Guard::equals(k.clone(), Some(v.clone())))
            .collect();
        let writes: Vec<Write> = finished
            .iter()
            .map(|(k, _)| Write::delete(k.clone()))
            .collect();
        match self.env.commit(&guards, &writes) {
            Ok(()) => Ok(()),
            Err(StoreError::Conflict) => {
                for (guard, write) in guards.into_iter().zip(writes) {
                    match self.env.commit(&[guard], &[write]) {
                        Ok(()) | Err(StoreError::Conflict) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Whether any revocation still has tokens to delete.
    fn revocations_pending(&self) -> Result<bool> {
        let (start, end) = keys::revocations();
        Ok(!self.env.scan(&start, &end, 1)?.is_empty())
    }

    /// The earliest expiry in the expiry index: its first key.
    fn next_expiry(&self) -> Result<Option<u64>> {
        let (start, end) = keys::expiries();
        match self.env.scan(&start, &end, 1)?.first() {
            Some((key, _)) => keys::expiry_of(key)
                .map(Some)
                .ok_or_else(|| Error::Storage("corrupt expiry key".into())),
            None => Ok(None),
        }
    }
}
