//! The token format: minting, checking the shape of, and digesting bearer
//! tokens. A token is a prefix naming its kind (`moth_` for login tokens) +
//! 43 URL-safe base64 characters (256 random bits) + 6 characters of
//! checksum (CRC-32 of what precedes it).
//!
//! The fixed prefix makes leaked tokens findable by secret scanners; the
//! checksum lets typos and scanner hits be told from real tokens without a
//! store lookup. Only SHA-256(token) is ever stored.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::env::Env;

/// Every login token starts with this.
pub const TOKEN_PREFIX: &str = "moth_";
/// Every email token starts with this.
pub const EMAIL_TOKEN_PREFIX: &str = "mothe_";
/// Every API key starts with this.
pub const API_KEY_PREFIX: &str = "mothk_";
/// Every one-time token starts with this.
pub const ONE_TIME_TOKEN_PREFIX: &str = "motho_";
/// Every OAuth client secret starts with this.
pub const CLIENT_SECRET_PREFIX: &str = "moths_";
/// Every OAuth authorization code starts with this.
pub const OAUTH_CODE_PREFIX: &str = "mothc_";
/// Every OAuth access token starts with this.
pub const OAUTH_ACCESS_PREFIX: &str = "motha_";
/// Every OAuth refresh token starts with this.
pub const OAUTH_REFRESH_PREFIX: &str = "mothr_";
const RANDOM_BYTES: usize = 32;
const RANDOM_CHARS: usize = 43;
const CHECKSUM_CHARS: usize = 6;
/// The length of every login token, in bytes (the other kinds are one byte
/// longer: their prefixes are).
pub const TOKEN_LEN: usize = TOKEN_PREFIX.len() + RANDOM_CHARS + CHECKSUM_CHARS;

/// Mint a new login token from 256 bits of the environment's randomness.
pub fn mint(env: &impl Env) -> String {
    mint_prefixed(env, TOKEN_PREFIX)
}

/// Mint a new token of the kind `prefix` names.
pub fn mint_prefixed(env: &impl Env, prefix: &str) -> String {
    let mut random = [0u8; RANDOM_BYTES];
    env.random(&mut random);
    let mut token = String::with_capacity(prefix.len() + RANDOM_CHARS + CHECKSUM_CHARS);
    token.push_str(prefix);
    URL_SAFE_NO_PAD.encode_string(random, &mut token);
    let crc = crc32fast::hash(token.as_bytes());
    URL_SAFE_NO_PAD.encode_string(crc.to_be_bytes(), &mut token);
    token
}

/// Whether `token` has a login token's shape and a correct checksum.
pub fn well_formed(token: &str) -> bool {
    well_formed_prefixed(token, TOKEN_PREFIX)
}

/// Whether `token` is shaped as a token of the kind `prefix` names, with a
/// correct checksum. Never panics: anything but ASCII of the right length
/// is simply not a token.
pub fn well_formed_prefixed(token: &str, prefix: &str) -> bool {
    // Working on bytes, after the ASCII check, keeps every split below on a
    // character boundary whatever the caller sent.
    let bytes = token.as_bytes();
    let len = prefix.len() + RANDOM_CHARS + CHECKSUM_CHARS;
    if bytes.len() != len || !bytes.is_ascii() || !bytes.starts_with(prefix.as_bytes()) {
        return false;
    }
    let (body, checksum) = bytes.split_at(len - CHECKSUM_CHARS);
    let mut decoded = [0u8; 4];
    matches!(URL_SAFE_NO_PAD.decode_slice(checksum, &mut decoded), Ok(4))
        && u32::from_be_bytes(decoded) == crc32fast::hash(body)
        && URL_SAFE_NO_PAD
            .decode(&body[prefix.len()..])
            .is_ok_and(|r| r.len() == RANDOM_BYTES)
}

/// The public id of a token: 16 hex digits of its digest. Tells tokens
/// apart in listings without revealing anything that verifies.
pub fn public_id(digest: &[u8; 32]) -> String {
    use core::fmt::Write as _;
    let mut id = String::with_capacity(16);
    for b in &digest[..8] {
        let _ = write!(id, "{b:02x}");
    }
    id
}

/// The 8 digest bytes a public id stands for, if it is one (16 lower-case
/// hex digits).
pub fn parse_public_id(id: &str) -> Option<[u8; 8]> {
    let bytes = id.as_bytes();
    if bytes.len() != 16 {
        return None;
    }
    let mut out = [0u8; 8];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        let hex = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        out[i] = hex(pair[0])? << 4 | hex(pair[1])?;
    }
    Some(out)
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
    fn each_kind_checks_its_own_prefix() {
        let env = MemoryEnv::new();
        for prefix in [
            EMAIL_TOKEN_PREFIX,
            API_KEY_PREFIX,
            ONE_TIME_TOKEN_PREFIX,
            CLIENT_SECRET_PREFIX,
            OAUTH_CODE_PREFIX,
            OAUTH_ACCESS_PREFIX,
            OAUTH_REFRESH_PREFIX,
        ] {
            let t = mint_prefixed(&env, prefix);
            assert!(t.starts_with(prefix) && well_formed_prefixed(&t, prefix));
            assert!(!well_formed(&t), "{t} is not a login token");
            for other in [
                TOKEN_PREFIX,
                EMAIL_TOKEN_PREFIX,
                API_KEY_PREFIX,
                ONE_TIME_TOKEN_PREFIX,
                CLIENT_SECRET_PREFIX,
                OAUTH_CODE_PREFIX,
                OAUTH_ACCESS_PREFIX,
                OAUTH_REFRESH_PREFIX,
            ] {
                assert_eq!(well_formed_prefixed(&t, other), other == prefix);
            }
        }
    }

    #[test]
    fn public_ids_parse_back_and_nothing_else_does() {
        let d = digest("x");
        let id = public_id(&d);
        assert_eq!(id.len(), 16);
        assert_eq!(parse_public_id(&id), Some(d[..8].try_into().unwrap()));
        for bad in [
            "",
            "0123456789abcdeF",
            "0123456789abcde",
            "0123456789abcdefa",
            "012345678é9abcd",
            "g123456789abcdef",
        ] {
            assert_eq!(parse_public_id(bad), None, "{bad}");
        }
    }

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
