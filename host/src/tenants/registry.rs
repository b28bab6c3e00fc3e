//! The persistent registry of tenants: which names exist, in the
//! database's default tree, and which sled tree holds each one's data.

use crate::error::{Error, Result};

/// The tenant every database has; requests that name none use it.
pub const DEFAULT_TENANT: &str = "default";
/// The longest tenant name.
pub const MAX_TENANT_NAME_LEN: usize = 64;

const REGISTRY_PREFIX: &[u8] = b"moth:tenant:";

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

/// The sled tree holding tenant `name`'s data.
pub(crate) fn tree_name(name: &str) -> String {
    format!("tenant:{name}")
}

fn registry_key(name: &str) -> Vec<u8> {
    [REGISTRY_PREFIX, name.as_bytes()].concat()
}

/// Whether tenant `name` exists.
pub(crate) fn exists(db: &sled::Db, name: &str) -> Result<bool> {
    Ok(name == DEFAULT_TENANT || db.contains_key(registry_key(name))?)
}

/// Record a new tenant; [`Error::TenantExists`] if it is there already.
pub(crate) fn register(db: &sled::Db, name: &str) -> Result<()> {
    if name == DEFAULT_TENANT {
        return Err(Error::TenantExists);
    }
    match db.compare_and_swap(registry_key(name), None::<&[u8]>, Some(&b""[..]))? {
        Ok(()) => {
            db.flush()?;
            Ok(())
        }
        Err(_) => Err(Error::TenantExists),
    }
}

/// Remove a tenant from the registry; whether it was there.
pub(crate) fn unregister(db: &sled::Db, name: &str) -> Result<bool> {
    Ok(db.remove(registry_key(name))?.is_some())
}

/// Every registered tenant (not `default`), in name order.
pub(crate) fn list(db: &sled::Db) -> Result<Vec<String>> {
    db.scan_prefix(REGISTRY_PREFIX)
        .keys()
        .map(|k| {
            let k = k?;
            Ok(String::from_utf8_lossy(&k[REGISTRY_PREFIX.len()..]).into_owned())
        })
        .collect()
}

/// Remove every registry entry (for `reset_db`).
pub(crate) fn clear_registry(db: &sled::Db) -> Result<()> {
    for k in db.scan_prefix(REGISTRY_PREFIX).keys() {
        db.remove(k?)?;
    }
    Ok(())
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
