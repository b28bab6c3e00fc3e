//! The password policy (NIST SP 800-63B §3.1.1.2): what a new password
//! must satisfy when it is set (creating a user, setting a password,
//! resetting one by token), never when one is checked at login. A length
//! floor, the byte ceiling of [`crate::password::check_password_input`], no
//! composition rules, and a blocklist: the user's own name and the common
//! passwords shipped with the component.

use crate::error::{Result, invalid};
use crate::settings::Settings;

/// The smallest minimum length a tenant may set, in characters.
pub const MIN_PASSWORD_LENGTH: u32 = 1;
/// The largest minimum length a tenant may set, in characters: NIST asks
/// that at least 64 be accepted, and 128 characters of up to 8 bytes each
/// still fit [`crate::MAX_PASSWORD_BYTES`].
pub const MAX_MIN_PASSWORD_LENGTH: u32 = 128;
/// The minimum length of settings that name none, in characters (NIST
/// SP 800-63B's floor for a password used with a second factor, and
/// OWASP's).
pub const DEFAULT_MIN_PASSWORD_LENGTH: u32 = 8;
/// Names shorter than this are refused only as the whole password, not as
/// a part of one: a one- or two-letter name occurs by chance in most
/// passwords.
const MIN_CONTAINED_NAME: usize = 3;

/// The common passwords refused when [`Settings::refuse_common_passwords`]
/// is set: 24,416 passwords from zxcvbn-ts's `@zxcvbn-ts/language-common`
/// 4.1.3 list (MIT; `data/common-passwords.LICENSE`), which ranks 49,233
/// passwords by how often they appear in breach corpora. Kept: its top
/// 10,000, and every one of at least [`DEFAULT_MIN_PASSWORD_LENGTH`] bytes
/// (shorter ones are refused by the default length floor already). All
/// lower-case ASCII, one per line, sorted by byte, so a lookup is a
/// binary search over the text itself, with no table built at start-up.
const COMMON: &str = include_str!("../data/common-passwords.txt");

/// Check a password about to be set for `username` against `settings`'
/// policy; the error names the rule it breaks.
pub(crate) fn check_new_password(
    settings: &Settings,
    username: &str,
    password: &str,
) -> Result<()> {
    crate::password::check_password_input(password)?;
    // NIST counts each Unicode code point as one character.
    let length = password.chars().count();
    let min = settings.min_password_length as usize;
    if length < min {
        return Err(invalid(format!(
            "password must be at least {min} characters"
        )));
    }
    let lower = password.to_lowercase();
    let name = username.to_lowercase();
    if lower == name || (name.chars().count() >= MIN_CONTAINED_NAME && lower.contains(&name)) {
        return Err(invalid("password must not contain the username"));
    }
    if settings.refuse_common_passwords && is_common_password(&lower) {
        return Err(invalid("password is too common"));
    }
    Ok(())
}

/// Whether `password` is on the shipped list of common passwords. The
/// list is lower-case: callers lower-case what they look up.
pub fn is_common_password(password: &str) -> bool {
    let (mut lo, mut hi) = (0, COMMON.len());
    let needle = password.as_bytes();
    while lo < hi {
        // The line that holds the middle byte: from the byte after the
        // previous newline to the next newline.
        let mid = lo + (hi - lo) / 2;
        let start = COMMON[..mid].rfind('\n').map_or(0, |i| i + 1).max(lo);
        let end = start + COMMON[start..].find('\n').unwrap_or(COMMON.len() - start);
        match COMMON.as_bytes()[start..end].cmp(needle) {
            core::cmp::Ordering::Equal => return true,
            core::cmp::Ordering::Less => lo = end + 1,
            core::cmp::Ordering::Greater => hi = start,
        }
    }
    false
}

/// Refuse a minimum length out of range.
pub(crate) fn check_min_length(min: u32) -> Result<()> {
    if (MIN_PASSWORD_LENGTH..=MAX_MIN_PASSWORD_LENGTH).contains(&min) {
        Ok(())
    } else {
        Err(invalid(format!(
            "min password length must be {MIN_PASSWORD_LENGTH}..={MAX_MIN_PASSWORD_LENGTH}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    fn strict() -> Settings {
        Settings::default()
    }

    fn rule(r: Result<()>) -> String {
        match r {
            Err(Error::InvalidInput(m)) => m,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn every_listed_password_is_found_and_its_neighbours_are_not() {
        let lines: Vec<&str> = COMMON.lines().collect();
        assert!(lines.len() >= 10_000, "{} passwords", lines.len());
        assert!(lines.windows(2).all(|w| w[0] < w[1]), "sorted, no repeats");
        for p in &lines {
            assert!(is_common_password(p), "{p}");
            assert!(!is_common_password(&format!("{p}\u{1}")), "{p} + a byte");
        }
        for p in [
            "",
            "\u{0}",
            "~~~~~~~~~~~~~~~~",
            "correct horse battery staple",
        ] {
            assert!(!is_common_password(p), "{p:?}");
        }
    }

    #[test]
    fn the_usual_suspects_are_refused_whatever_their_case() {
        for p in [
            "password",
            "Password",
            "PASSWORD",
            "12345678",
            "qwertyuiop",
            "iloveyou",
            "password1",
        ] {
            assert_eq!(
                rule(check_new_password(&strict(), "someone", p)),
                "password is too common",
                "{p}"
            );
        }
        for p in [
            "correct horse battery staple",
            "vQ9!m2#Lp",
            "ünïcødé-pässwörd",
        ] {
            assert_eq!(check_new_password(&strict(), "someone", p), Ok(()), "{p}");
        }
    }

    #[test]
    fn length_is_counted_in_characters_and_names_the_minimum() {
        assert_eq!(
            rule(check_new_password(&strict(), "u", "Xk7#qpz")),
            "password must be at least 8 characters"
        );
        // Eight characters of two bytes each: long enough; seven are not.
        assert_eq!(check_new_password(&strict(), "u", "ééééééé§"), Ok(()));
        assert!(check_new_password(&strict(), "u", "ééééééé").is_err());
        let six = Settings {
            min_password_length: 6,
            ..strict()
        };
        assert_eq!(check_new_password(&six, "u", "Xk7#qp"), Ok(()));
        assert_eq!(
            rule(check_new_password(&six, "u", "Xk7#q")),
            "password must be at least 6 characters"
        );
    }

    #[test]
    fn the_username_is_refused_as_or_in_the_password() {
        for p in ["alice-secret-9", "ALICE!and!bob", "xx-Alice-xx"] {
            assert_eq!(
                rule(check_new_password(&strict(), "alice", p)),
                "password must not contain the username"
            );
        }
        let short = Settings {
            min_password_length: 1,
            refuse_common_passwords: false,
            ..strict()
        };
        assert_eq!(
            rule(check_new_password(&short, "Jo", "jo")),
            "password must not contain the username"
        );
        // A two-letter name is only refused as the whole password.
        assert_eq!(
            check_new_password(&strict(), "jo", "major-tom-lands"),
            Ok(())
        );
    }

    #[test]
    fn the_byte_ceiling_and_emptiness_still_apply_and_nothing_is_composed() {
        let lax = Settings {
            min_password_length: 1,
            refuse_common_passwords: false,
            ..strict()
        };
        assert!(check_new_password(&lax, "u", "").is_err());
        assert!(check_new_password(&lax, "u", &"a".repeat(crate::MAX_PASSWORD_BYTES + 1)).is_err());
        assert_eq!(
            check_new_password(&lax, "u", &"a".repeat(crate::MAX_PASSWORD_BYTES)),
            Ok(())
        );
        // No composition rules: all lower-case letters is fine.
        assert_eq!(
            check_new_password(&strict(), "u", "zebrastripesmoonlight"),
            Ok(())
        );
        // With the list off, a common password passes the other rules.
        assert_eq!(check_new_password(&lax, "u", "password"), Ok(()));
    }

    #[test]
    fn min_length_bounds() {
        assert!(check_min_length(0).is_err());
        assert!(check_min_length(MAX_MIN_PASSWORD_LENGTH + 1).is_err());
        assert!(check_min_length(1).is_ok() && check_min_length(MAX_MIN_PASSWORD_LENGTH).is_ok());
    }
}
