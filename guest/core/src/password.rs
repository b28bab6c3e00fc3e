//! Password hashing: Argon2id in PHC string form, its cost bounds and the
//! bounds on password input.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::env::Env;
use crate::error::{Error, Result, invalid};
use crate::settings::Settings;

/// The longest password accepted, in bytes. Longer input is refused, never
/// truncated, so what the user typed is what is checked.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// The largest [`Settings::argon2_memory_kib`]: 1 GiB (a 32-bit guest
/// cannot address much more). The smallest is 8 KiB per lane.
pub const MAX_ARGON2_MEMORY_KIB: u32 = 1024 * 1024;
/// The largest [`Settings::argon2_iterations`] (the smallest is 1).
pub const MAX_ARGON2_ITERATIONS: u32 = 64;
/// The largest [`Settings::argon2_parallelism`] (the smallest is 1).
pub const MAX_ARGON2_PARALLELISM: u32 = 16;

/// Refuse an empty or over-long password.
pub fn check_password_input(password: &str) -> Result<()> {
    if password.is_empty() {
        return Err(invalid("password must not be empty"));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(invalid(format!(
            "password must be at most {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    Ok(())
}

/// Validate Argon2 costs and build the hasher for them.
pub fn hasher(s: &Settings) -> Result<Argon2<'static>> {
    if !(1..=MAX_ARGON2_PARALLELISM).contains(&s.argon2_parallelism) {
        return Err(invalid(format!(
            "argon2 parallelism must be 1..={MAX_ARGON2_PARALLELISM}"
        )));
    }
    if !(1..=MAX_ARGON2_ITERATIONS).contains(&s.argon2_iterations) {
        return Err(invalid(format!(
            "argon2 iterations must be 1..={MAX_ARGON2_ITERATIONS}"
        )));
    }
    let min_memory = 8 * s.argon2_parallelism;
    if !(min_memory..=MAX_ARGON2_MEMORY_KIB).contains(&s.argon2_memory_kib) {
        return Err(invalid(format!(
            "argon2 memory must be {min_memory}..={MAX_ARGON2_MEMORY_KIB} KiB for parallelism {}",
            s.argon2_parallelism
        )));
    }
    let params = Params::new(
        s.argon2_memory_kib,
        s.argon2_iterations,
        s.argon2_parallelism,
        None,
    )
    .map_err(|e| invalid(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hash `password` with a fresh 128-bit salt from the environment.
pub fn hash(env: &impl Env, settings: &Settings, password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    env.random(&mut salt);
    hash_with_salt(settings, password, &salt)
}

fn hash_with_salt(settings: &Settings, password: &str, salt: &[u8]) -> Result<String> {
    let salt = SaltString::encode_b64(salt).map_err(|e| Error::Storage(format!("salt: {e}")))?;
    let hashed = hasher(settings)?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| invalid(format!("cannot hash password: {e}")))?;
    Ok(hashed.to_string())
}

/// Whether `password` matches the PHC string `stored`. The comparison inside
/// is constant-time.
pub fn verify(stored: &str, password: &str) -> Result<bool> {
    let parsed = PasswordHash::new(stored)
        .map_err(|_| Error::Storage("corrupt password hash in store".into()))?;
    Ok(Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

/// Spend what a real verification would under `settings`, for a user that
/// does not exist, so the answer's timing does not tell who exists.
pub fn verify_dummy(settings: &Settings, password: &str) {
    let _ = hash_with_salt(settings, password, b"moth-dummy-salt!");
}

/// Whether `stored` was hashed with other costs than `settings` (or not with
/// Argon2id 1.3), and so should be rehashed at the next successful login.
pub fn needs_rehash(stored: &str, settings: &Settings) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return true;
    };
    if parsed.algorithm != Algorithm::Argon2id.ident() || parsed.version != Some(0x13) {
        return true;
    }
    match Params::try_from(&parsed) {
        Ok(p) => {
            p.m_cost() != settings.argon2_memory_kib
                || p.t_cost() != settings.argon2_iterations
                || p.p_cost() != settings.argon2_parallelism
        }
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> Settings {
        Settings {
            argon2_memory_kib: 64,
            argon2_iterations: 1,
            ..Settings::default()
        }
    }

    #[test]
    fn hash_is_argon2id_phc_and_verifies() {
        let h = hash_with_salt(&cheap(), "hunter2", &[7; 16]).unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{h}");
        assert!(verify(&h, "hunter2").unwrap());
        assert!(!verify(&h, "hunter3").unwrap());
        assert!(
            !verify(&h, "hunter2 ").unwrap(),
            "no trimming or truncation"
        );
    }

    #[test]
    fn rehash_is_needed_exactly_when_costs_change() {
        let h = hash_with_salt(&cheap(), "pw", &[1; 16]).unwrap();
        assert!(!needs_rehash(&h, &cheap()));
        assert!(needs_rehash(
            &h,
            &Settings {
                argon2_iterations: 2,
                ..cheap()
            }
        ));
        assert!(needs_rehash(&h, &Settings::default()));
        assert!(needs_rehash("garbage", &cheap()));
    }

    #[test]
    fn password_bounds() {
        assert!(matches!(
            check_password_input(""),
            Err(Error::InvalidInput(_))
        ));
        assert!(check_password_input(&"a".repeat(MAX_PASSWORD_BYTES)).is_ok());
        assert!(matches!(
            check_password_input(&"a".repeat(MAX_PASSWORD_BYTES + 1)),
            Err(Error::InvalidInput(_))
        ));
    }

    #[test]
    fn bad_costs_are_rejected() {
        for s in [
            Settings {
                argon2_parallelism: 0,
                ..cheap()
            },
            Settings {
                argon2_iterations: 0,
                ..cheap()
            },
            Settings {
                argon2_memory_kib: 7,
                ..cheap()
            },
            Settings {
                argon2_memory_kib: MAX_ARGON2_MEMORY_KIB + 1,
                ..cheap()
            },
        ] {
            assert!(matches!(hasher(&s), Err(Error::InvalidInput(_))), "{s:?}");
        }
    }
}
