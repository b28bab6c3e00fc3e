//! The token format: minting, checking the shape of, and digesting bearer
//! tokens. A token is `moth_` + 43 URL-safe base64 characters (256 random
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
pub const TOKEN_PREFIX: &str = "moth_";
const RANDOM_BYTES: usize = 32;
const RANDOM_CHARS: usize = 43;
const CHECKSUM_CHARS: usize = 6;
/// The length of every token, in bytes.
pub const TOKEN_LEN: usize = TOKEN_PREFIX.len() + RANDOM_CHARS + CHECKSUM_CHARS;

/// Mint a new token from 256 bits of the environment's randomness.
pub fn mint(env: &impl Env) -> String {
    let mut random = [0u8; RANDOM_BYTES];
    env.random(&mut random);
    let mut token = String::with_capacity(TOKEN_LEN);
    token.push_str(TOKEN_PREFIX);
    URL_SAFE_NO_PAD.encode_string(random, &mut token);
    let crc = crc32fast::hash(token.as_bytes());
    URL_SAFE_NO_PAD.encode_string(crc.to_be_bytes(), &mut token);
    token
}

/// Whether `token` has moth's shape and a correct checksum. Never panics:
/// anything but ASCII of the right length is simply not a token.
pub fn well_formed(token: &str) -> bool {
    // Working on bytes, after the ASCII check, keeps every split below on a
    // character boundary whatever the caller sent.
    let bytes = token.as_bytes();
    if bytes.len() != TOKEN_LEN || !bytes.is_ascii() || !bytes.starts_with(TOKEN_PREFIX.as_bytes())
    {
        return false;
    }
    let (body, checksum) = bytes.split_at(TOKEN_LEN - CHECKSUM_CHARS);
    let mut decoded = [0u8; 4];
    matches!(URL_SAFE_NO_PAD.decode_slice(checksum, &mut decoded), Ok(4))
        && u32::from_be_bytes(decoded) == crc32fast::hash(body)
        && URL_SAFE_NO_PAD
            .decode(&body[TOKEN_PREFIX.len()..])
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
        for i in TOKEN_PREFIX.len()..t.len() {
            let mut bytes = t.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let changed = String::from_utf8(bytes).unwrap();
            assert!(!well_formed(&changed), "changed at {i}: {changed}");
        }
        assert!(!well_formed(&t[1..]));
        assert!(!well_formed(""));
        assert!(!well_formed(&t.replacen("moth_", "math_", 1)));
    }

    /// Once a panic: `split_at` landed inside the `é`.
    #[test]
    fn a_multibyte_character_at_the_checksum_boundary_is_not_a_token() {
        let t = format!("moth_{}é{}", "A".repeat(42), "AAAAA");
        assert_eq!(t.len(), TOKEN_LEN);
        assert!(!well_formed(&t));
    }

    /// Every position of a real token overwritten by a 2-, 3- or 4-byte
    /// character, keeping the byte length: never a panic, never a token.
    #[test]
    fn non_ascii_of_the_right_length_is_never_a_token() {
        let t = mint(&MemoryEnv::new());
        for c in ['é', '€', '😀'] {
            let width = c.len_utf8();
            for i in 0..=TOKEN_LEN - width {
                let changed = format!("{}{c}{}", &t[..i], &t[i + width..]);
                assert_eq!(changed.len(), TOKEN_LEN);
                assert!(!well_formed(&changed), "{changed}");
            }
        }
        assert!(!well_formed(&"é".repeat(TOKEN_LEN / 2)));
    }
}
