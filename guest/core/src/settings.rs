//! Settings: the Argon2 costs, default token lifetime, token cap,
//! password policy, lockout thresholds and log retention, their defaults, and reading and storing them.

use crate::env::{Env, Write};
use crate::error::{Result, invalid};
use crate::{Auth, keys, password, policy};

/// The longest token lifetime accepted: ten years, in seconds.
pub const MAX_LIFETIME: u64 = 10 * 365 * 24 * 60 * 60;

/// Argon2id cost and session settings, stored with the data; see the WIT
/// `settings` record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Argon2id memory cost in KiB.
    pub argon2_memory_kib: u32,
    /// Argon2id iterations.
    pub argon2_iterations: u32,
    /// Argon2id lanes.
    pub argon2_parallelism: u32,
    /// Token lifetime in seconds when login names none.
    pub default_token_lifetime: u64,
    /// Accept Argon2 costs below OWASP's minimum ([`MIN_ARGON2_MEMORY_KIB`],
    /// [`MIN_ARGON2_WORK`]). For tests only.
    pub allow_weak_hashing: bool,
    /// The most live login tokens one user holds, 1..=[`MAX_TOKENS_PER_USER`]
    /// ([`DEFAULT_TOKENS_PER_USER`] by default); a login beyond it revokes
    /// the user's oldest.
    pub max_tokens_per_user: u32,
    /// The fewest characters a new password may have,
    /// [`crate::MIN_PASSWORD_LENGTH`]..=[`crate::MAX_MIN_PASSWORD_LENGTH`]
    /// ([`crate::DEFAULT_MIN_PASSWORD_LENGTH`] by default).
    pub min_password_length: u32,
    /// Refuse new passwords on the shipped list of common ones (default
    /// true; NIST SP 800-63B requires such a list).
    pub refuse_common_passwords: bool,
    /// Failed password checks of one account (or one device credential)
    /// within [`Settings::lockout_window`] that lock it; 0 turns account
    /// lockout off (default 5).
    pub lockout_threshold: u32,
    /// The window, in seconds, over which an account's failures count
    /// (default 900).
    pub lockout_window: u64,
    /// How long, in seconds, a first lockout lasts; each repeated lockout
    /// doubles it (default 900).
    pub lockout_duration: u64,
    /// The longest a lockout lasts, in seconds, however often it repeats
    /// (default 86400); also how long a quiet account's count of lockouts
    /// is remembered.
    pub lockout_max_duration: u64,
    /// Failed password checks from one source address (across every
    /// account) within [`Settings::source_lockout_window`] that block it;
    /// 0 turns source blocking off (default 50).
    pub source_lockout_threshold: u32,
    /// The window, in seconds, over which a source's failures count
    /// (default 900).
    pub source_lockout_window: u64,
    /// How long, in seconds, a blocked source stays blocked (default 900).
    pub source_lockout_duration: u64,
    /// How long, in seconds, attempt and event log entries are kept before
    /// `sweep` deletes them; 0 keeps no log (default 2592000, 30 days).
    pub log_retention: u64,
}

/// The per-user token cap of settings that name none.
pub const DEFAULT_TOKENS_PER_USER: u32 = 1000;
/// The highest per-user token cap accepted: a login at the cap reads the
/// user's tokens to find the oldest, so the cap bounds that read.
pub const MAX_TOKENS_PER_USER: u32 = 10_000;

/// OWASP's smallest Argon2id memory cost, in KiB (with 5 iterations).
pub const MIN_ARGON2_MEMORY_KIB: u32 = 7 * 1024;
/// OWASP's smallest memory × iterations, in KiB: every configuration it
/// recommends (47104 × 1, 19456 × 2, 12288 × 3, 9216 × 4, 7168 × 5) has at
/// least this much.
pub const MIN_ARGON2_WORK: u64 = 7 * 1024 * 5;

impl Default for Settings {
    /// OWASP's Argon2id minimum (m = 19 MiB, t = 2, p = 1), MOTH's
    /// three-day token lifetime, 1000 tokens per user, and NIST's password
    /// policy: at least 8 characters, common passwords refused.
    fn default() -> Self {
        Settings {
            argon2_memory_kib: 19 * 1024,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            default_token_lifetime: 3 * 24 * 60 * 60,
            allow_weak_hashing: false,
            max_tokens_per_user: DEFAULT_TOKENS_PER_USER,
            min_password_length: policy::DEFAULT_MIN_PASSWORD_LENGTH,
            refuse_common_passwords: true,
            lockout_threshold: DEFAULT_LOCKOUT_THRESHOLD,
            lockout_window: DEFAULT_LOCKOUT_WINDOW,
            lockout_duration: DEFAULT_LOCKOUT_DURATION,
            lockout_max_duration: DEFAULT_LOCKOUT_MAX_DURATION,
            source_lockout_threshold: DEFAULT_SOURCE_LOCKOUT_THRESHOLD,
            source_lockout_window: DEFAULT_LOCKOUT_WINDOW,
            source_lockout_duration: DEFAULT_LOCKOUT_DURATION,
            log_retention: DEFAULT_LOG_RETENTION,
        }
    }
}

/// Failures that lock an account by default (OWASP's usual 3 to 10).
pub const DEFAULT_LOCKOUT_THRESHOLD: u32 = 5;
/// Failures from one source address that block it by default.
pub const DEFAULT_SOURCE_LOCKOUT_THRESHOLD: u32 = 50;
/// The default counting window and first lockout, in seconds.
pub const DEFAULT_LOCKOUT_WINDOW: u64 = 15 * 60;
/// The default first lockout, in seconds.
pub const DEFAULT_LOCKOUT_DURATION: u64 = 15 * 60;
/// The default longest lockout, in seconds.
pub const DEFAULT_LOCKOUT_MAX_DURATION: u64 = 24 * 60 * 60;
/// The most failures a threshold may name.
pub const MAX_LOCKOUT_THRESHOLD: u32 = 1_000_000;
/// The longest window, lockout or retention accepted: one year, in seconds.
pub const MAX_LOCKOUT_SECONDS: u64 = 365 * 24 * 60 * 60;
/// How long log entries are kept by default, in seconds (30 days).
pub const DEFAULT_LOG_RETENTION: u64 = 30 * 24 * 60 * 60;
/// The longest log retention accepted, in seconds (ten years).
pub const MAX_LOG_RETENTION: u64 = MAX_LIFETIME;

/// Refuse lockout and log settings out of their ranges, naming the field.
fn check_protection(s: &Settings) -> Result<()> {
    for (name, value) in [
        ("lockout-threshold", s.lockout_threshold),
        ("source-lockout-threshold", s.source_lockout_threshold),
    ] {
        if value > MAX_LOCKOUT_THRESHOLD {
            return Err(invalid(format!(
                "{name} must be 0..={MAX_LOCKOUT_THRESHOLD}"
            )));
        }
    }
    for (name, value) in [
        ("lockout-window", s.lockout_window),
        ("lockout-duration", s.lockout_duration),
        ("lockout-max-duration", s.lockout_max_duration),
        ("source-lockout-window", s.source_lockout_window),
        ("source-lockout-duration", s.source_lockout_duration),
    ] {
        if !(1..=MAX_LOCKOUT_SECONDS).contains(&value) {
            return Err(invalid(format!(
                "{name} must be 1..={MAX_LOCKOUT_SECONDS} seconds"
            )));
        }
    }
    if s.lockout_max_duration < s.lockout_duration {
        return Err(invalid(
            "lockout-max-duration must be at least lockout-duration",
        ));
    }
    if s.log_retention > MAX_LOG_RETENTION {
        return Err(invalid(format!(
            "log-retention must be 0..={MAX_LOG_RETENTION} seconds"
        )));
    }
    Ok(())
}

/// Refuse Argon2 costs below OWASP's minimum unless explicitly allowed.
fn check_strength(s: &Settings) -> Result<()> {
    let work = u64::from(s.argon2_memory_kib) * u64::from(s.argon2_iterations);
    if s.allow_weak_hashing
        || (s.argon2_memory_kib >= MIN_ARGON2_MEMORY_KIB && work >= MIN_ARGON2_WORK)
    {
        return Ok(());
    }
    Err(invalid(format!(
        "argon2 costs below OWASP's minimum (memory at least {MIN_ARGON2_MEMORY_KIB} KiB and \
         memory × iterations at least {MIN_ARGON2_WORK} KiB); set allow-weak-hashing to accept them"
    )))
}

pub(crate) fn check_lifetime(secs: u64) -> Result<()> {
    if (1..=MAX_LIFETIME).contains(&secs) {
        Ok(())
    } else {
        Err(invalid(format!(
            "token lifetime must be 1..={MAX_LIFETIME} seconds"
        )))
    }
}

impl<E: Env> Auth<E> {
    /// The settings in force: the stored ones, or the defaults when none
    /// were stored.
    pub fn get_settings(&self) -> Result<Settings> {
        match self.env.get(&keys::settings())? {
            Some(bytes) => Settings::decode(&bytes),
            None => Ok(Settings::default()),
        }
    }

    /// Validate and store new settings. Existing passwords are rehashed at
    /// their next login.
    pub fn set_settings(&self, settings: Settings) -> Result<()> {
        password::hasher(&settings)?;
        check_strength(&settings)?;
        check_lifetime(settings.default_token_lifetime)?;
        if !(1..=MAX_TOKENS_PER_USER).contains(&settings.max_tokens_per_user) {
            return Err(invalid(format!(
                "max tokens per user must be 1..={MAX_TOKENS_PER_USER}"
            )));
        }
        policy::check_min_length(settings.min_password_length)?;
        check_protection(&settings)?;
        self.env
            .commit(&[], &[Write::put(keys::settings(), settings.encode())])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::memory::MemoryEnv;
    use crate::{Auth, Error, MAX_LIFETIME, Settings};

    #[test]
    fn defaults_until_set_then_what_was_set() {
        let a = Auth::new(MemoryEnv::new());
        assert_eq!(a.get_settings(), Ok(Settings::default()));
        let cheap = Settings {
            argon2_memory_kib: 64,
            argon2_iterations: 1,
            allow_weak_hashing: true,
            ..Settings::default()
        };
        a.set_settings(cheap).unwrap();
        assert_eq!(a.get_settings(), Ok(cheap));
    }

    #[test]
    fn costs_below_owasp_need_an_explicit_opt_in() {
        let a = Auth::new(MemoryEnv::new());
        for (m, t) in [(8, 1), (19456, 1), (7167, 5), (9216, 3)] {
            let s = Settings {
                argon2_memory_kib: m,
                argon2_iterations: t,
                ..Settings::default()
            };
            assert!(
                matches!(a.set_settings(s), Err(Error::InvalidInput(m)) if m.contains("allow-weak-hashing")),
                "m={m} t={t}"
            );
            let allowed = Settings {
                allow_weak_hashing: true,
                ..s
            };
            assert_eq!(a.set_settings(allowed), Ok(()));
        }
        for (m, t) in [(47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5)] {
            let s = Settings {
                argon2_memory_kib: m,
                argon2_iterations: t,
                ..Settings::default()
            };
            assert_eq!(a.set_settings(s), Ok(()), "OWASP's m={m} t={t}");
        }
    }

    #[test]
    fn out_of_range_settings_are_refused_without_writing() {
        let a = Auth::new(MemoryEnv::new());
        for lifetime in [0, MAX_LIFETIME + 1] {
            let s = Settings {
                default_token_lifetime: lifetime,
                ..Settings::default()
            };
            assert!(matches!(a.set_settings(s), Err(Error::InvalidInput(_))));
        }
        let s = Settings {
            argon2_iterations: 0,
            ..Settings::default()
        };
        assert!(matches!(a.set_settings(s), Err(Error::InvalidInput(_))));
        for cap in [0, crate::MAX_TOKENS_PER_USER + 1] {
            let s = Settings {
                max_tokens_per_user: cap,
                ..Settings::default()
            };
            assert!(matches!(a.set_settings(s), Err(Error::InvalidInput(_))));
        }
        for min in [0, crate::MAX_MIN_PASSWORD_LENGTH + 1] {
            let s = Settings {
                min_password_length: min,
                ..Settings::default()
            };
            assert!(matches!(a.set_settings(s), Err(Error::InvalidInput(_))));
        }
        assert!(a.env().is_empty());
    }
}
