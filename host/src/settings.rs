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
}

impl SettingsOverrides {
    /// The names it takes (its fields), so that a request naming anything
    /// else can be refused instead of silently ignored.
    pub const NAMES: [&'static str; 8] = [
        "argon2_memory_kib",
        "argon2_iterations",
        "argon2_parallelism",
        "token_lifetime",
        "allow_weak_hashing",
        "max_tokens_per_user",
        "min_password_length",
        "refuse_common_passwords",
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
            ..base
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
