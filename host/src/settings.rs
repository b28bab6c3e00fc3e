//! Settings given as optional overrides — CLI flags, HTTP parameters — on
//! top of a base: the one place that says how an override applies.

use crate::Settings;

/// Settings to change; `None` keeps the base's value. The field names are
/// the HTTP parameters and (kebab-cased) the CLI flags.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize, clap::Args,
)]
pub struct SettingsOverrides {
    /// Argon2id memory cost in KiB (default 19456).
    #[arg(long)]
    pub argon2_memory_kib: Option<u32>,
    /// Argon2id iterations (default 2).
    #[arg(long)]
    pub argon2_iterations: Option<u32>,
    /// Argon2id parallelism (default 1).
    #[arg(long)]
    pub argon2_parallelism: Option<u32>,
    /// Token lifetime in seconds when login names none (default 3 days).
    #[arg(long)]
    pub token_lifetime: Option<u64>,
    /// Accept Argon2 costs below OWASP's minimum (for tests only).
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub allow_weak_hashing: Option<bool>,
    /// The most live login tokens one user holds (default 1000).
    #[arg(long)]
    pub max_tokens_per_user: Option<u32>,
    /// The fewest characters a new password may have (default 8).
    #[arg(long)]
    pub min_password_length: Option<u32>,
    /// Refuse new passwords on the shipped list of common ones (default
    /// true; `--refuse-common-passwords false` turns it off).
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub refuse_common_passwords: Option<bool>,
    /// Failed password checks of one account within the window that lock it
    /// (default 5; 0 turns account lockout off).
    #[arg(long)]
    pub lockout_threshold: Option<u32>,
    /// Seconds over which an account's failures count (default 900).
    #[arg(long)]
    pub lockout_window: Option<u64>,
    /// Seconds a first lockout lasts, doubling on each repeat (default 900).
    #[arg(long)]
    pub lockout_duration: Option<u64>,
    /// The longest lockout, in seconds (default 86400).
    #[arg(long)]
    pub lockout_max_duration: Option<u64>,
    /// Failed password checks from one source address, across accounts,
    /// within its window that block it (default 50; 0 turns it off).
    #[arg(long)]
    pub source_lockout_threshold: Option<u32>,
    /// Seconds over which a source's failures count (default 900).
    #[arg(long)]
    pub source_lockout_window: Option<u64>,
    /// Seconds a blocked source stays blocked (default 900).
    #[arg(long)]
    pub source_lockout_duration: Option<u64>,
    /// Seconds attempt and event log entries are kept (default 2592000,
    /// 30 days; 0 keeps no log).
    #[arg(long)]
    pub log_retention: Option<u64>,
}

impl SettingsOverrides {
    /// The names it takes (its fields), so that a request naming anything
    /// else can be refused instead of silently ignored.
    pub const NAMES: [&'static str; 16] = [
        "argon2_memory_kib",
        "argon2_iterations",
        "argon2_parallelism",
        "token_lifetime",
        "allow_weak_hashing",
        "max_tokens_per_user",
        "min_password_length",
        "refuse_common_passwords",
        "lockout_threshold",
        "lockout_window",
        "lockout_duration",
        "lockout_max_duration",
        "source_lockout_threshold",
        "source_lockout_window",
        "source_lockout_duration",
        "log_retention",
    ];

    /// `base` with these overrides applied.
    pub fn apply(self, base: Settings) -> Settings {
        Settings {
            argon2_memory_kib: self.argon2_memory_kib.unwrap_or(base.argon2_memory_kib),
            argon2_iterations: self.argon2_iterations.unwrap_or(base.argon2_iterations),
            argon2_parallelism: self.argon2_parallelism.unwrap_or(base.argon2_parallelism),
            default_token_lifetime: self.token_lifetime.unwrap_or(base.default_token_lifetime),
            allow_weak_hashing: self.allow_weak_hashing.unwrap_or(base.allow_weak_hashing),
            max_tokens_per_user: self.max_tokens_per_user.unwrap_or(base.max_tokens_per_user),
            min_password_length: self.min_password_length.unwrap_or(base.min_password_length),
            refuse_common_passwords: self
                .refuse_common_passwords
                .unwrap_or(base.refuse_common_passwords),
            lockout_threshold: self.lockout_threshold.unwrap_or(base.lockout_threshold),
            lockout_window: self.lockout_window.unwrap_or(base.lockout_window),
            lockout_duration: self.lockout_duration.unwrap_or(base.lockout_duration),
            lockout_max_duration: self
                .lockout_max_duration
                .unwrap_or(base.lockout_max_duration),
            source_lockout_threshold: self
                .source_lockout_threshold
                .unwrap_or(base.source_lockout_threshold),
            source_lockout_window: self
                .source_lockout_window
                .unwrap_or(base.source_lockout_window),
            source_lockout_duration: self
                .source_lockout_duration
                .unwrap_or(base.source_lockout_duration),
            log_retention: self.log_retention.unwrap_or(base.log_retention),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_replace_only_what_they_name() {
        let base = Settings::default();
        assert_eq!(SettingsOverrides::default().apply(base), base);
        let o = SettingsOverrides {
            argon2_iterations: Some(3),
            token_lifetime: Some(60),
            ..SettingsOverrides::default()
        };
        let s = o.apply(base);
        assert_eq!((s.argon2_iterations, s.default_token_lifetime), (3, 60));
        assert_eq!(s.argon2_memory_kib, base.argon2_memory_kib);
    }

    #[test]
    fn names_are_exactly_the_fields() {
        let all = SettingsOverrides {
            argon2_memory_kib: Some(1),
            argon2_iterations: Some(1),
            argon2_parallelism: Some(1),
            token_lifetime: Some(1),
            allow_weak_hashing: Some(true),
            max_tokens_per_user: Some(1),
            min_password_length: Some(1),
            refuse_common_passwords: Some(true),
            lockout_threshold: Some(1),
            lockout_window: Some(1),
            lockout_duration: Some(1),
            lockout_max_duration: Some(1),
            source_lockout_threshold: Some(1),
            source_lockout_window: Some(1),
            source_lockout_duration: Some(1),
            log_retention: Some(1),
        };
        let value = serde_json::to_value(all).unwrap();
        let mut fields: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut names = SettingsOverrides::NAMES.to_vec();
        fields.sort_unstable();
        names.sort_unstable();
        assert_eq!(fields, names);
    }
}
