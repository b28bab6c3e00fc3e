//! Scopes (RFC 6749 §3.3): a space-delimited, order-free set of
//! case-sensitive scope tokens, each one or more printable ASCII
//! characters other than space, `"` and `\`.

use core::fmt;
use std::collections::BTreeSet;

use crate::error::{Result, invalid};

/// The most scope tokens one set holds.
pub const MAX_SCOPES: usize = 64;
/// The longest scope token, in bytes.
pub const MAX_SCOPE_TOKEN_BYTES: usize = 128;

/// A set of scope tokens, kept sorted and without repeats, so that two
/// requests naming the same scopes in another order are the same set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Scopes(BTreeSet<String>);

impl Scopes {
    /// Parse a `scope` parameter. An empty string (or only spaces) is the
    /// empty set; repeats collapse. Refused: a token with a character
    /// outside `%x21 / %x23-5B / %x5D-7E`, more than [`MAX_SCOPES`]
    /// tokens, a token longer than [`MAX_SCOPE_TOKEN_BYTES`].
    pub fn parse(scope: &str) -> Result<Scopes> {
        let mut set = BTreeSet::new();
        // RFC 6749 delimits by single spaces; runs of them are tolerated
        // rather than read as empty tokens.
        for token in scope.split(' ').filter(|t| !t.is_empty()) {
            check_token(token)?;
            set.insert(token.to_string());
            if set.len() > MAX_SCOPES {
                return Err(invalid(format!("at most {MAX_SCOPES} scopes")));
            }
        }
        Ok(Scopes(set))
    }

    /// The set of `tokens`, each checked as [`Scopes::parse`] does.
    pub fn from_tokens<S: AsRef<str>>(tokens: &[S]) -> Result<Scopes> {
        let mut set = BTreeSet::new();
        for token in tokens {
            check_token(token.as_ref())?;
            set.insert(token.as_ref().to_string());
        }
        if set.len() > MAX_SCOPES {
            return Err(invalid(format!("at most {MAX_SCOPES} scopes")));
        }
        Ok(Scopes(set))
    }

    /// Every scope of both sets; refused past [`MAX_SCOPES`].
    pub fn union(&self, other: &Scopes) -> Result<Scopes> {
        let all: BTreeSet<String> = self.0.union(&other.0).cloned().collect();
        if all.len() > MAX_SCOPES {
            return Err(invalid(format!("at most {MAX_SCOPES} scopes")));
        }
        Ok(Scopes(all))
    }

    /// The scopes in both sets.
    pub fn intersection(&self, other: &Scopes) -> Scopes {
        Scopes(self.0.intersection(&other.0).cloned().collect())
    }

    /// Whether every scope here is also in `other`.
    pub fn is_subset(&self, other: &Scopes) -> bool {
        self.0.is_subset(&other.0)
    }

    /// Whether `token` is in the set.
    pub fn contains(&self, token: &str) -> bool {
        self.0.contains(token)
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The scopes, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// The scopes, sorted, as owned strings.
    pub fn to_vec(&self) -> Vec<String> {
        self.0.iter().cloned().collect()
    }
}

/// The `scope` parameter form: sorted tokens joined by single spaces.
impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, token) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(token)?;
        }
        Ok(())
    }
}

/// Refuse what RFC 6749's `scope-token` grammar does not allow, or is too
/// long.
fn check_token(token: &str) -> Result<()> {
    if token.is_empty() || token.len() > MAX_SCOPE_TOKEN_BYTES {
        return Err(invalid(format!(
            "a scope must be 1..={MAX_SCOPE_TOKEN_BYTES} bytes"
        )));
    }
    let allowed = |b: u8| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b);
    if !token.bytes().all(allowed) {
        return Err(invalid(
            "a scope is printable ASCII without spaces, quotes or backslashes",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_repeats_do_not_matter() {
        let a = Scopes::parse("read write read").unwrap();
        let b = Scopes::parse("write  read").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "read write");
        assert_eq!(Scopes::from_tokens(&["write", "read"]).unwrap(), a);
    }

    #[test]
    fn the_empty_string_is_the_empty_set() {
        assert!(Scopes::parse("").unwrap().is_empty());
        assert!(Scopes::parse("   ").unwrap().is_empty());
        assert_eq!(Scopes::default().to_string(), "");
    }

    #[test]
    fn scopes_are_case_sensitive_and_compared_as_sets() {
        let granted = Scopes::parse("read write").unwrap();
        assert!(Scopes::parse("read").unwrap().is_subset(&granted));
        assert!(Scopes::default().is_subset(&granted));
        assert!(!Scopes::parse("Read").unwrap().is_subset(&granted));
        assert!(!Scopes::parse("read admin").unwrap().is_subset(&granted));
        assert!(granted.contains("write") && !granted.contains("wri"));
        let more = Scopes::parse("admin read").unwrap();
        assert_eq!(
            granted.union(&more).unwrap().to_string(),
            "admin read write"
        );
    }

    #[test]
    fn the_grammar_is_rfc_6749s() {
        assert!(Scopes::parse("a:b/c.d_e-f~g!#[]{}|^`").is_ok());
        for bad in ["a\"b", "a\\b", "é", "a\tb", "a\nb", "\u{7f}", "a\u{0}b"] {
            assert!(Scopes::parse(bad).is_err(), "{bad:?}");
            assert!(Scopes::from_tokens(&[bad]).is_err(), "{bad:?}");
        }
        assert!(Scopes::from_tokens(&["a b"]).is_err());
        assert!(Scopes::from_tokens(&[""]).is_err());
    }

    #[test]
    fn sizes_are_bounded() {
        assert!(Scopes::parse(&"s".repeat(MAX_SCOPE_TOKEN_BYTES)).is_ok());
        assert!(Scopes::parse(&"s".repeat(MAX_SCOPE_TOKEN_BYTES + 1)).is_err());
        let many: Vec<String> = (0..=MAX_SCOPES).map(|i| format!("s{i}")).collect();
        assert!(Scopes::parse(&many[..MAX_SCOPES].join(" ")).is_ok());
        assert!(Scopes::parse(&many.join(" ")).is_err());
        assert!(Scopes::from_tokens(&many).is_err());
    }
}
