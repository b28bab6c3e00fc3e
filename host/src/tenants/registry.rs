//! Tenant names: what a valid one is, and the one every database has.
//! Where the registry of tenants is kept is the store backend's business.

use crate::error::{Error, Result};

/// The tenant every database has; requests that name none use it.
pub const DEFAULT_TENANT: &str = "default";
/// The longest tenant name.
pub const MAX_TENANT_NAME_LEN: usize = 64;

/// Tenant names: 1 to 64 of `a-z 0-9 - _`, starting with a letter or digit,
/// so they are safe in paths, headers, tree names and logs.
pub(crate) fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_TENANT_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && name.as_bytes()[0].is_ascii_alphanumeric();
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "tenant names are 1..={MAX_TENANT_NAME_LEN} characters of a-z, 0-9, '-' and '_', starting with a letter or digit"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for good in ["a", "acme", "acme-2", "x_y", "0day", &"a".repeat(64)] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "-a",
            "_a",
            "Acme",
            "a b",
            "a/b",
            "ü",
            "a.b",
            "../x",
            &"a".repeat(65),
        ] {
            assert!(
                matches!(check_name(bad), Err(Error::InvalidInput(_))),
                "{bad}"
            );
        }
    }
}
