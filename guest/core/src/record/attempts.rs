//! The records of the attempt and event log (`g`) and of failure counters
//! (`f`).
//!
//! Log entry, version 1: time as `u64`; kind as one byte; success as one
//! byte; the user id as a flag byte (0: none, 1: followed by its `u64`);
//! the source as a flag byte (0: none, 1: followed by 16 bytes, an IPv4
//! address IPv4-mapped); then the username and the reason as
//! length-prefixed strings.
//!
//! Counter, version 1: failures and lockouts as `u32`; window start,
//! locked-until and stale-at as `u64`; then the subject as a
//! length-prefixed byte string.

use super::{Reader, Writer, corrupt};
use crate::error::Result;

/// One attempt or account event as stored under `g` + time + nonce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogRecord {
    /// Unix seconds.
    pub time: u64,
    /// The kind's stored code (see `attempts::EventKind::code`).
    pub kind: u8,
    /// Whether the attempt succeeded (always true for an event).
    pub success: bool,
    /// The user the entry is about, when the name named one.
    pub user: Option<u64>,
    /// The username as given (for an unknown user) or as stored.
    pub username: String,
    /// The source address, IPv4 as IPv4-mapped IPv6.
    pub source: Option<[u8; 16]>,
    /// Why it failed, or what the event did. Never a secret.
    pub reason: String,
}

impl LogRecord {
    /// The stored bytes (version 1).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new(1).u64(self.time);
        w.0.push(self.kind);
        w.0.push(u8::from(self.success));
        match self.user {
            None => w.0.push(0),
            Some(id) => {
                w.0.push(1);
                w = w.u64(id);
            }
        }
        match self.source {
            None => w.0.push(0),
            Some(a) => {
                w.0.push(1);
                w.0.extend_from_slice(&a);
            }
        }
        w.str(&self.username).str(&self.reason).0
    }

    /// Parse stored bytes of version 1; anything else is
    /// [`crate::Error::Storage`], never a panic.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let (version, mut r) = Reader::new(bytes)?;
        if version != 1 {
            return Err(corrupt());
        }
        let time = r.u64()?;
        let kind = r.take(1)?[0];
        let success = match r.take(1)? {
            [0] => false,
            [1] => true,
            _ => return Err(corrupt()),
        };
        let user = match r.take(1)? {
            [0] => None,
            [1] => Some(r.u64()?),
            _ => return Err(corrupt()),
        };
        let source = match r.take(1)? {
            [0] => None,
            [1] => Some(r.take(16)?.try_into().map_err(|_| corrupt())?),
            _ => return Err(corrupt()),
        };
        let username = r.str()?;
        let reason = r.str()?;
        r.end()?;
        Ok(LogRecord {
            time,
            kind,
            success,
            user,
            username,
            source,
            reason,
        })
    }
}

/// A subject's failures and lock, as stored under `f` + SHA-256(subject).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CounterRecord {
    /// The subject's bytes (see `attempts::Subject`), kept for listings.
    pub subject: Vec<u8>,
    /// Failures counted since `window_start`.
    pub failures: u32,
    /// Unix seconds at which the current counting window began.
    pub window_start: u64,
    /// Unix seconds until which the subject is locked (0: never locked).
    pub locked_until: u64,
    /// How many times in a row it was locked: each lockout doubles.
    pub lockouts: u32,
    /// Unix seconds after which the record says nothing worth keeping and
    /// `sweep` deletes it; its `e` index entry is under this time.
    pub stale_at: u64,
}

impl CounterRecord {
    /// The stored bytes (version 1).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new(1)
            .u32(self.failures)
            .u32(self.lockouts)
            .u64(self.window_start)
            .u64(self.locked_until)
            .u64(self.stale_at)
            .u32(self.subject.len() as u32);
        w.0.extend_from_slice(&self.subject);
        w.0
    }

    /// Parse stored bytes of version 1.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let (version, mut r) = Reader::new(bytes)?;
        if version != 1 {
            return Err(corrupt());
        }
        let failures = r.u32()?;
        let lockouts = r.u32()?;
        let window_start = r.u64()?;
        let locked_until = r.u64()?;
        let stale_at = r.u64()?;
        let len = r.u32()? as usize;
        let subject = r.take(len)?.to_vec();
        r.end()?;
        Ok(CounterRecord {
            subject,
            failures,
            window_start,
            locked_until,
            lockouts,
            stale_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_records_round_trip_and_garbage_is_an_error() {
        for r in [
            LogRecord {
                time: 7,
                kind: 1,
                success: false,
                user: None,
                username: "nobody".into(),
                source: None,
                reason: "no such user".into(),
            },
            LogRecord {
                time: u64::MAX,
                kind: 9,
                success: true,
                user: Some(3),
                username: "ann".into(),
                source: Some([9; 16]),
                reason: String::new(),
            },
        ] {
            let bytes = r.encode();
            assert_eq!(LogRecord::decode(&bytes), Ok(r));
            for cut in 0..bytes.len() {
                assert!(LogRecord::decode(&bytes[..cut]).is_err());
            }
        }
    }

    #[test]
    fn counters_round_trip_and_garbage_is_an_error() {
        let c = CounterRecord {
            subject: vec![0, 1, 2],
            failures: 4,
            window_start: 10,
            locked_until: 20,
            lockouts: 2,
            stale_at: 30,
        };
        let bytes = c.encode();
        assert_eq!(CounterRecord::decode(&bytes), Ok(c));
        for cut in 0..bytes.len() {
            assert!(CounterRecord::decode(&bytes[..cut]).is_err());
        }
    }
}
