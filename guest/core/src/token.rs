//! The token format: `moth_` + 43 URL-safe base64 characters (256 random
//! bits) + 6 characters of checksum (CRC-32 of what precedes it).
//!
//! The fixed prefix makes leaked tokens findable by secret scanners; the
//! checksum lets typos and scanner hits be told from real tokens without a
//! store lookup. Only SHA-256(token) is ever stored.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::env::Env;

/// Every token starts with this.
pub const PREFIX: &str = "moth_";
const RANDOM_BYTES: usize = 32;
const RANDOM_CHARS: usize = 43;
const CHECKSUM_CHARS: usize = 6;
/// The length of every token, in bytes.
pub const TOKEN_LEN: usize = PREFIX.len() + RANDOM_CHARS + CHECKSUM_CHARS;

/// Mint a new token from 256 bits of the environment's randomness.
pub fn mint(env: &impl Env) -> String {
    let mut random = [0u8; RANDOM_BYTES];
    env.random(&mut random);
    let mut token = String::with_capacity(TOKEN_LEN);
    token.push_str(PREFIX);
    URL_SAFE_NO_PAD.encode_string(random, &mut token);
    let crc = crc32fast::hash(token.as_bytes());
    URL_SAFE_NO_PAD.encode_string(crc.to_be_bytes(), &mut token);
    token
}

/// Whether `token` has moth's shape and a correct checksum.
pub fn well_formed(token: &str) -> bool {
    if token.len() != TOKEN_LEN || !token.starts_with(PREFIX) {
        return false;
    }
    let (body, checksum) = token.split_at(TOKEN_LEN - CHECKSUM_CHARS);
    let mut decoded = [0u8; 4];
    matches!(URL_SAFE_NO_PAD.decode_slice(checksum, &mut decoded), Ok(4))
        && u32::from_be_bytes(decoded) == crc32fast::hash(body.as_bytes())
        && URL_SAFE_NO_PAD
            .decode(&body[PREFIX.len()..])
            .is_ok_and(|r| r.len() == RANDOM_BYTES)
}

/// What the store keeps in place of the token.
pub fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryEnv;

    #[test]
    fn minted_tokens_are_well_formed_and_distinct() {
        let env = MemoryEnv::new();
        let a = mint(&env);
        let b = mint(&env);
        assert_ne!(a, b);
        assert_eq!(a.len(), TOKEN_LEN);
        assert!(a.starts_with("moth_"));
        assert!(well_formed(&a) && well_formed(&b));
    }

    #[test]
    fn any_single_change_breaks_the_checksum() {
        let t = mint(&MemoryEnv::new());
        for i in PREFIX.len()..t.len() {
            let mut bytes = t.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let changed = String::from_utf8(bytes).unwrap();
            assert!(!well_formed(&changed), "changed at {i}: {changed}");
        }
        assert!(!well_formed(&t[1..]));
        assert!(!well_formed(""));
        assert!(!well_formed(&t.replacen("moth_", "math_", 1)));
    }
}
