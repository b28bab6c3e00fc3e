//! The attempt and event log: writing entries in the commit of what they
//! record, listing them newest first by user, source, kind and time, and
//! purging them (by a caller, or by `sweep` past the retention setting).
//!
//! An entry lives under `g` + (`u64::MAX` − time) + 8 random bytes, so an
//! ascending scan is newest first; `h` (by identity) and `i` (by source)
//! index it with the same 16-byte suffix. Writing an entry is three puts in
//! a commit the operation makes anyway, never a commit of its own.

use crate::env::{Env, Write};
use crate::error::{Error, Result, invalid};
use crate::record::LogRecord;
use crate::settings::Settings;
use crate::{Auth, keys};

use super::{
    EventKind, LogEntry, LogFilter, LogPage, PurgeOutcome, format_address, hex, parse_address,
    unhex,
};

/// The most entries one page may ask for.
pub const MAX_LOG_PAGE: u32 = 1000;
/// The most entries (or counters) one listing reads: a filter that matches
/// rarely returns a short page with a cursor rather than reading the whole
/// log in one call.
pub const MAX_SCAN: u32 = 10_000;
/// The most entries one purge deletes; the caller repeats while it
/// deletes this many.
pub const MAX_PURGE: u32 = 10_000;

/// An entry to write.
pub(crate) struct LogLine {
    pub kind: EventKind,
    pub user: Option<u64>,
    pub username: String,
    pub source: Option<[u8; 16]>,
    pub success: bool,
    pub reason: String,
}

/// Which entries a listing wants: attempts, events, or either.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wanted {
    Attempts,
    Events,
}

impl<E: Env> Auth<E> {
    /// The writes that log `line` now, or none when the settings keep no
    /// log.
    pub(crate) fn log_writes(&self, settings: &Settings, line: &LogLine) -> Vec<Write> {
        if settings.log_retention == 0 {
            return Vec::new();
        }
        let mut nonce = [0u8; 8];
        self.env.random(&mut nonce);
        let key = keys::log(self.env.now(), &nonce);
        let Some(suffix) = keys::log_suffix(&key) else {
            return Vec::new();
        };
        let record = LogRecord {
            time: self.env.now(),
            kind: line.kind.code(),
            success: line.success,
            user: line.user,
            username: line.username.clone(),
            source: line.source,
            reason: line.reason.clone(),
        };
        let mut writes = Vec::with_capacity(3);
        writes.push(Write::put(key, record.encode()));
        let identity = keys::identity(line.user, &line.username);
        writes.push(Write::put(
            keys::log_by_identity(&identity, &suffix),
            Vec::new(),
        ));
        if let Some(a) = &line.source {
            writes.push(Write::put(keys::log_by_source(a, &suffix), Vec::new()));
        }
        writes
    }

    /// The writes that log an account event about user `user` (named
    /// `username`) with the stored settings' retention.
    pub(crate) fn event_writes(
        &self,
        kind: EventKind,
        user: u64,
        username: &str,
        reason: String,
    ) -> Result<Vec<Write>> {
        let settings = self.get_settings()?;
        Ok(self.log_writes(
            &settings,
            &LogLine {
                kind,
                user: Some(user),
                username: username.to_owned(),
                source: None,
                success: true,
                reason,
            },
        ))
    }

    /// The writes that log an account event about something that is not a
    /// user (a service), named `name`.
    pub(crate) fn service_event_writes(
        &self,
        kind: EventKind,
        name: &str,
        reason: String,
    ) -> Result<Vec<Write>> {
        let settings = self.get_settings()?;
        Ok(self.log_writes(
            &settings,
            &LogLine {
                kind,
                user: None,
                username: name.to_owned(),
                source: None,
                success: true,
                reason,
            },
        ))
    }

    /// Up to `limit` password checks (1..=[`MAX_LOG_PAGE`]) matching
    /// `filter`, newest first, after the entry `after`.
    pub fn list_attempts(
        &self,
        filter: &LogFilter,
        after: Option<&str>,
        limit: u32,
    ) -> Result<LogPage> {
        self.list_log(filter, after, limit, Wanted::Attempts)
    }

    /// Up to `limit` account events (1..=[`MAX_LOG_PAGE`]) matching
    /// `filter`, newest first, after the entry `after`.
    pub fn list_events(
        &self,
        filter: &LogFilter,
        after: Option<&str>,
        limit: u32,
    ) -> Result<LogPage> {
        self.list_log(filter, after, limit, Wanted::Events)
    }

    /// The range a filter reads (the narrowest index it allows) and the
    /// length of the prefix before each key's 16-byte suffix.
    fn log_scope(&self, filter: &LogFilter) -> Result<(Vec<u8>, Option<[u8; 16]>)> {
        let source = filter.source.as_deref().map(parse_address).transpose()?;
        let identity = match (filter.user, filter.username.as_deref()) {
            (Some(_), Some(_)) => return Err(invalid("give user or username, not both")),
            (Some(id), None) => Some(keys::identity(Some(id), "")),
            (None, Some(name)) => Some(match self.user_id_by_name(name)? {
                Some(id) => keys::identity(Some(id), name),
                None => keys::identity(None, name),
            }),
            (None, None) => None,
        };
        let prefix = match (&identity, &source) {
            (Some(i), _) => keys::log_prefix(keys::LOG_BY_IDENTITY, i),
            (None, Some(a)) => keys::log_prefix(keys::LOG_BY_SOURCE, a),
            (None, None) => keys::log_prefix(keys::LOG, &[]),
        };
        Ok((prefix, source))
    }

    fn list_log(
        &self,
        filter: &LogFilter,
        after: Option<&str>,
        limit: u32,
        wanted: Wanted,
    ) -> Result<LogPage> {
        if !(1..=MAX_LOG_PAGE).contains(&limit) {
            return Err(invalid(format!("limit must be 1..={MAX_LOG_PAGE}")));
        }
        if let Some(kind) = filter.kind {
            let fits = kind.is_attempt() == (wanted == Wanted::Attempts);
            if !fits {
                return Err(invalid(match wanted {
                    Wanted::Attempts => "kind must be an attempt kind",
                    Wanted::Events => "kind must be an event kind",
                }));
            }
        }
        let (prefix, source) = self.log_scope(filter)?;
        if filter.since > filter.until && filter.until.is_some() {
            return Err(invalid("since must not be after until"));
        }
        let (mut start, end) = keys::log_range(
            &prefix,
            filter.since.unwrap_or(0),
            filter.until.unwrap_or(u64::MAX),
        );
        if let Some(after) = after {
            let suffix = unhex::<16>(after)
                .ok_or_else(|| invalid("after must be an entry id from a previous page"))?;
            let from = [prefix.as_slice(), &suffix, &[0]].concat();
            start = start.max(from);
        }
        let mut entries = Vec::new();
        if start >= end {
            return Ok(LogPage {
                entries,
                next: None,
            });
        }
        let mut scanned = 0;
        let mut last = None;
        while scanned < MAX_SCAN {
            let want = (MAX_SCAN - scanned).min(1024);
            let batch = self.env.scan(&start, &end, want)?;
            scanned += batch.len() as u32;
            for (key, value) in &batch {
                let suffix = keys::log_suffix(key)
                    .ok_or_else(|| Error::Storage("corrupt log key".into()))?;
                last = Some(suffix);
                let record = if prefix.len() == 1 {
                    LogRecord::decode(value)?
                } else {
                    // An index entry: the entry itself may be gone (purged
                    // between two commits of a purge); skip it then.
                    match self.env.get(&keys::log_at(&suffix))? {
                        Some(v) => LogRecord::decode(&v)?,
                        None => continue,
                    }
                };
                let Some(kind) = EventKind::from_code(record.kind) else {
                    return Err(Error::Storage("corrupt log entry kind".into()));
                };
                let matches = kind.is_attempt() == (wanted == Wanted::Attempts)
                    && filter.kind.is_none_or(|k| k == kind)
                    && source.is_none_or(|a| record.source == Some(a));
                if !matches {
                    continue;
                }
                entries.push(LogEntry {
                    id: hex(&suffix),
                    time: record.time,
                    kind,
                    user: record.user,
                    username: record.username,
                    source: record.source.as_ref().map(format_address),
                    success: record.success,
                    reason: record.reason,
                });
                if entries.len() == limit as usize {
                    let rest = [key.as_slice(), &[0]].concat();
                    let more = !self.env.scan(&rest, &end, 1)?.is_empty();
                    return Ok(LogPage {
                        entries,
                        next: if more {
                            last.as_ref().map(|s| hex(s))
                        } else {
                            None
                        },
                    });
                }
            }
            match batch.last() {
                Some((k, _)) if batch.len() == want as usize => {
                    start = [k.as_slice(), &[0]].concat();
                }
                _ => {
                    return Ok(LogPage {
                        entries,
                        next: None,
                    });
                }
            }
        }
        Ok(LogPage {
            entries,
            next: last.as_ref().map(|s| hex(s)),
        })
    }

    /// Delete up to [`MAX_PURGE`] password-check entries (or entries of
    /// `kind`, attempt or event) about `username`, older than `older_than`
    /// (Unix seconds; entries strictly before it), reading on from the
    /// cursor `after`. Every filter is optional: with none, it empties the
    /// attempt log. A call reads a bounded number of entries; while the
    /// outcome has a `next` cursor, call again with it to go on.
    pub fn purge_attempts(
        &self,
        username: Option<&str>,
        older_than: Option<u64>,
        kind: Option<EventKind>,
        after: Option<&str>,
    ) -> Result<PurgeOutcome> {
        let filter = LogFilter {
            username: username.map(str::to_owned),
            ..LogFilter::default()
        };
        let (prefix, _) = self.log_scope(&filter)?;
        let done = PurgeOutcome {
            purged: 0,
            next: None,
        };
        let until = match older_than {
            Some(0) => return Ok(done),
            Some(t) => t - 1,
            None => u64::MAX,
        };
        let (mut start, end) = keys::log_range(&prefix, 0, until);
        if let Some(after) = after {
            let suffix = unhex::<16>(after)
                .ok_or_else(|| invalid("after must be a cursor from a previous purge"))?;
            start = start.max([prefix.as_slice(), &suffix, &[0]].concat());
        }
        let mut writes = Vec::new();
        let mut purged = 0u32;
        let mut scanned = 0;
        let mut last = None;
        let mut finished = start >= end;
        while !finished && purged < MAX_PURGE && scanned < 4 * MAX_SCAN {
            let batch = self.env.scan(&start, &end, 1024)?;
            scanned += batch.len() as u32;
            for (key, value) in &batch {
                let suffix = keys::log_suffix(key)
                    .ok_or_else(|| Error::Storage("corrupt log key".into()))?;
                last = Some(suffix);
                let bytes = if prefix.len() == 1 {
                    Some(value.clone())
                } else {
                    self.env.get(&keys::log_at(&suffix))?
                };
                let Some(bytes) = bytes else {
                    // A dangling index entry: drop it.
                    writes.push(Write::delete(key.clone()));
                    continue;
                };
                let record = LogRecord::decode(&bytes)?;
                let k = EventKind::from_code(record.kind);
                let wanted = match kind {
                    Some(want) => k == Some(want),
                    None => k.is_some_and(EventKind::is_attempt),
                };
                if wanted {
                    writes.extend(entry_deletes(&suffix, &record));
                    purged += 1;
                    if purged == MAX_PURGE {
                        let rest = [key.as_slice(), &[0]].concat();
                        finished = self.env.scan(&rest, &end, 1)?.is_empty();
                        break;
                    }
                }
            }
            match batch.last() {
                _ if purged == MAX_PURGE => {}
                Some((k, _)) if batch.len() == 1024 => start = [k.as_slice(), &[0]].concat(),
                _ => finished = true,
            }
        }
        // Entries are never rewritten, so deleting them needs no guards.
        for chunk in writes.chunks(3 * 1024) {
            self.env.commit(&[], chunk)?;
        }
        Ok(PurgeOutcome {
            purged: u64::from(purged),
            next: if finished {
                None
            } else {
                last.as_ref().map(|s| hex(s))
            },
        })
    }

    /// Delete up to `limit` entries older than the retention at `now`,
    /// oldest of them last; returns how many.
    pub(crate) fn sweep_log(&self, settings: &Settings, now: u64, limit: u32) -> Result<u32> {
        let cutoff = if settings.log_retention == 0 {
            // No log is kept now: whatever was logged before goes.
            u64::MAX
        } else {
            match now.checked_sub(settings.log_retention) {
                Some(c) if c > 0 => c - 1,
                _ => return Ok(0),
            }
        };
        let (start, end) = keys::log_range(&keys::log_prefix(keys::LOG, &[]), 0, cutoff);
        let old = self.env.scan(&start, &end, limit)?;
        let mut writes = Vec::with_capacity(old.len() * 3);
        for (key, value) in &old {
            let suffix =
                keys::log_suffix(key).ok_or_else(|| Error::Storage("corrupt log key".into()))?;
            writes.extend(entry_deletes(&suffix, &LogRecord::decode(value)?));
        }
        if !writes.is_empty() {
            self.env.commit(&[], &writes)?;
        }
        Ok(old.len() as u32)
    }

    /// Whether any log entry is stored.
    pub(crate) fn log_is_empty(&self) -> Result<bool> {
        Ok(self.env.scan(&[keys::LOG], &[keys::LOG + 1], 1)?.is_empty())
    }
}

/// The deletes of an entry and its index entries.
fn entry_deletes(suffix: &[u8; 16], record: &LogRecord) -> Vec<Write> {
    let identity = keys::identity(record.user, &record.username);
    let mut writes = vec![
        Write::delete(keys::log_at(suffix)),
        Write::delete(keys::log_by_identity(&identity, suffix)),
    ];
    if let Some(a) = &record.source {
        writes.push(Write::delete(keys::log_by_source(a, suffix)));
    }
    writes
}
