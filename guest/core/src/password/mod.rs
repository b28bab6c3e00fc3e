//! Password hashing: Argon2id in PHC string form, its cost bounds and the
//! bounds on password input.
//!
//! Hashes are computed by moth's own Argon2id ([`argon2id`]), whose block
//! compression uses wasm SIMD in the component, where the `argon2` crate
//! only gets what LLVM auto-vectorises. The `argon2` crate still parses and
//! encodes PHC strings, and verifies any hash the own path does not cover
//! (other algorithms or versions, a key id or associated data).

mod argon2id;
mod blamka;

use argon2::password_hash::{
    Output, ParamsString, PasswordHash, PasswordVerifier, Salt, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use subtle::ConstantTimeEq;

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

/// The tag length written into PHC strings (the `argon2` crate's default).
const TAG_BYTES: usize = Params::DEFAULT_OUTPUT_LEN;

/// The Argon2id 1.3 tag of `password` (no secret, no associated data) into
/// `out`: moth's own implementation, with wasm SIMD in the component and
/// the portable code natively (which, auto-vectorised, keeps up with the
/// `argon2` crate's AVX2 there; the tests compare the two).
fn tag_into(password: &[u8], salt: &[u8], params: &Params, out: &mut [u8]) -> Result<()> {
    argon2id::hash_into(
        password,
        salt,
        &[],
        &[],
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        out,
    )
}

fn hash_with_salt(settings: &Settings, password: &str, salt: &[u8]) -> Result<String> {
    let argon = hasher(settings)?;
    let mut tag = [0u8; TAG_BYTES];
    tag_into(password.as_bytes(), salt, argon.params(), &mut tag)?;
    let salt = SaltString::encode_b64(salt).map_err(|e| Error::Storage(format!("salt: {e}")))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon.params())
            .map_err(|e| invalid(format!("argon2 parameters: {e}")))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&tag).map_err(|e| invalid(format!("argon2 output: {e}")))?),
    };
    Ok(phc.to_string())
}

/// A stored hash moth's own Argon2id can check: `argon2id`, `v=19`, only
/// the m, t and p parameters, a salt and a hash the `argon2` crate would
/// accept.
struct Plain<'a> {
    params: Params,
    salt: Salt<'a>,
    hash: &'a [u8],
}

impl<'a> Plain<'a> {
    fn of(parsed: &'a PasswordHash<'a>) -> Option<Self> {
        if parsed.algorithm != Algorithm::Argon2id.ident() || parsed.version != Some(0x13) {
            return None;
        }
        if !parsed
            .params
            .iter()
            .all(|(name, _)| matches!(name.as_str(), "m" | "t" | "p"))
        {
            return None;
        }
        Some(Self {
            params: Params::try_from(parsed).ok()?,
            salt: parsed.salt?,
            hash: parsed.hash.as_ref()?.as_bytes(),
        })
    }

    /// Recompute the tag for `password` and compare in constant time.
    fn matches(&self, password: &[u8]) -> bool {
        let mut raw = [0u8; 64];
        let Ok(salt) = self.salt.decode_b64(&mut raw) else {
            return false;
        };
        let mut tag = [0u8; Output::MAX_LENGTH];
        let tag = &mut tag[..self.hash.len()];
        tag_into(password, salt, &self.params, tag).is_ok() && bool::from(tag.ct_eq(self.hash))
    }
}

/// Whether `password` matches the PHC string `stored`. The comparison inside
/// is constant-time.
pub fn verify(stored: &str, password: &str) -> Result<bool> {
    let parsed = PasswordHash::new(stored)
        .map_err(|_| Error::Storage("corrupt password hash in store".into()))?;
    if let Some(plain) = Plain::of(&parsed) {
        return Ok(plain.matches(password.as_bytes()));
    }
    Ok(Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

/// Spend what a real verification would under `settings`, for a user that
/// does not exist, so the answer's timing does not tell who exists: the
/// same tag computation and constant-time comparison as [`verify`].
pub fn verify_dummy(settings: &Settings, password: &str) {
    let Ok(argon) = hasher(settings) else {
        return;
    };
    let plain = Plain {
        params: argon.params().clone(),
        salt: Salt::from_b64("bW90aC1kdW1teS1zYWx0IQ").expect("valid salt"),
        hash: &[0; TAG_BYTES],
    };
    core::hint::black_box(plain.matches(password.as_bytes()));
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
mod tests;
