//! PKCE (RFC 7636): the client sends `code_challenge` =
//! BASE64URL(SHA-256(`code_verifier`)) with the authorization request and
//! proves it holds the verifier when it redeems the code. Only `S256` is
//! accepted: `plain` would hand the verifier to whoever sees the request
//! (RFC 9700 §2.1.1).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{Result, invalid};

/// The shortest `code_verifier` (RFC 7636 §4.1).
pub const MIN_CODE_VERIFIER_LEN: usize = 43;
/// The longest `code_verifier` (RFC 7636 §4.1).
pub const MAX_CODE_VERIFIER_LEN: usize = 128;
/// The length of an `S256` `code_challenge`: 32 bytes in unpadded base64url.
pub const CODE_CHALLENGE_LEN: usize = 43;

/// Refuse a `code_verifier` that is not 43..=128 characters of
/// `[A-Za-z0-9-._~]` (RFC 7636 §4.1).
pub fn check_code_verifier(verifier: &str) -> Result<()> {
    let len_ok = (MIN_CODE_VERIFIER_LEN..=MAX_CODE_VERIFIER_LEN).contains(&verifier.len());
    if !len_ok || !verifier.bytes().all(is_unreserved) {
        return Err(invalid(format!(
            "code_verifier must be {MIN_CODE_VERIFIER_LEN}..={MAX_CODE_VERIFIER_LEN} characters of A-Z a-z 0-9 - . _ ~"
        )));
    }
    Ok(())
}

/// RFC 3986's unreserved characters, which a verifier is made of.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// An `S256` code challenge: the SHA-256 digest of the verifier it was
/// made from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PkceChallenge([u8; 32]);

impl PkceChallenge {
    /// Read `code_challenge` sent with `code_challenge_method`. The method
    /// must be `S256` (absent means `plain`, RFC 7636 §4.3, so it is
    /// refused too); the challenge must be 43 characters of base64url.
    pub fn parse(challenge: &str, method: Option<&str>) -> Result<PkceChallenge> {
        match method {
            Some("S256") => {}
            Some("plain") | None => {
                return Err(invalid(
                    "code_challenge_method must be S256 (plain is not accepted)",
                ));
            }
            Some(_) => return Err(invalid("code_challenge_method must be S256")),
        }
        let mut digest = [0u8; 32];
        if challenge.len() != CODE_CHALLENGE_LEN
            || URL_SAFE_NO_PAD.decode_slice(challenge, &mut digest) != Ok(32)
        {
            return Err(invalid(
                "code_challenge must be 43 characters of unpadded base64url (S256)",
            ));
        }
        // Only the canonical encoding: the last character carries 2 unused
        // bits, and a challenge differing there must not pass for this one
        // (the engine refuses them too; this says so where it matters).
        if URL_SAFE_NO_PAD.encode(digest) != challenge {
            return Err(invalid("code_challenge is not canonical base64url"));
        }
        Ok(PkceChallenge(digest))
    }

    /// The challenge a client holding `verifier` sends.
    pub fn from_verifier(verifier: &str) -> PkceChallenge {
        PkceChallenge(Sha256::digest(verifier.as_bytes()).into())
    }

    /// Rebuild a challenge from its stored digest.
    pub fn from_digest(digest: [u8; 32]) -> PkceChallenge {
        PkceChallenge(digest)
    }

    /// The digest, as stored with a code.
    pub fn digest(&self) -> &[u8; 32] {
        &self.0
    }

    /// The challenge as sent: unpadded base64url.
    pub fn encoded(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }

    /// Whether `verifier` is well formed and is the one this challenge was
    /// made from; compared in constant time.
    pub fn verifies(&self, verifier: &str) -> bool {
        check_code_verifier(verifier).is_ok()
            && bool::from(PkceChallenge::from_verifier(verifier).0.ct_eq(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636, Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn the_rfcs_example_verifies() {
        assert_eq!(PkceChallenge::from_verifier(VERIFIER).encoded(), CHALLENGE);
        let c = PkceChallenge::parse(CHALLENGE, Some("S256")).unwrap();
        assert!(c.verifies(VERIFIER));
        assert_eq!(PkceChallenge::from_digest(*c.digest()), c);
    }

    #[test]
    fn another_verifier_does_not() {
        let c = PkceChallenge::parse(CHALLENGE, Some("S256")).unwrap();
        let mut other = VERIFIER.to_owned();
        other.replace_range(0..1, "e");
        assert!(!c.verifies(&other));
        assert!(!c.verifies(""));
        // The challenge itself is not a verifier for it.
        assert!(!c.verifies(CHALLENGE));
    }

    #[test]
    fn plain_and_unknown_methods_are_refused() {
        for method in [None, Some("plain"), Some("s256"), Some("S512"), Some("")] {
            assert!(
                PkceChallenge::parse(CHALLENGE, method).is_err(),
                "{method:?}"
            );
        }
    }

    #[test]
    fn malformed_challenges_are_refused() {
        // `M` ends in two unused bits; `N` sets one of them.
        let last_bits_set = format!("{}N", &CHALLENGE[..42]);
        for bad in [
            "",
            &CHALLENGE[..42],
            &format!("{CHALLENGE}A"),
            &format!("{CHALLENGE}="),
            &CHALLENGE.replace('-', "+"),
            &last_bits_set,
            "é".repeat(21).as_str(),
        ] {
            assert!(PkceChallenge::parse(bad, Some("S256")).is_err(), "{bad}");
        }
    }

    #[test]
    fn verifiers_are_bounded_to_unreserved_characters() {
        assert!(check_code_verifier(&"a".repeat(43)).is_ok());
        assert!(check_code_verifier(&"~._-".repeat(32)).is_ok());
        assert!(check_code_verifier(&"a".repeat(42)).is_err());
        assert!(check_code_verifier(&"a".repeat(129)).is_err());
        for bad in ['+', '/', '=', ' ', 'é', '%'] {
            let v = format!("{}{bad}", "a".repeat(50));
            assert!(check_code_verifier(&v).is_err(), "{bad}");
            // Too long or odd, a verifier never verifies, even a matching one.
            assert!(!PkceChallenge::from_verifier(&v).verifies(&v));
        }
    }
}
