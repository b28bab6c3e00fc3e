//! Settings: the Argon2 costs, default token lifetime, token cap and
//! password policy, their defaults, and reading and storing them.

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
        }
    }
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
