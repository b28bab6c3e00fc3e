//! The registry of tenants in a sled database: which names exist, in the
//! database's default tree, and which sled tree holds each one's data.

use crate::error::{Error, Result};
use crate::tenants::DEFAULT_TENANT;

const REGISTRY_PREFIX: &[u8] = b"moth:tenant:";

/// The tree of the `default` tenant, which is never deleted.
pub(super) const DEFAULT_TREE: &str = "tenant:default";
/// Every tenant tree's name starts with this.
const TREE_PREFIX: &str = "tenant:";

fn registry_key(name: &str) -> Vec<u8> {
    [REGISTRY_PREFIX, name.as_bytes()].concat()
}

/// The tree an entry names. Entries written before incarnations hold
/// nothing and name `tenant:{name}`.
fn tree_of_entry(name: &str, value: &[u8]) -> String {
    if value.is_empty() {
        format!("{TREE_PREFIX}{name}")
    } else {
        String::from_utf8_lossy(value).into_owned()
    }
}

/// The sled tree holding tenant `name`'s data, or `None` when there is no
/// such tenant.
pub(super) fn tree_of(db: &sled::Db, name: &str) -> Result<Option<String>> {
    if name == DEFAULT_TENANT {
        return Ok(Some(DEFAULT_TREE.to_owned()));
    }
    Ok(db.get(registry_key(name))?.map(|v| tree_of_entry(name, &v)))
}

/// Record a new tenant under a tree name no earlier tenant ever had (one
/// incarnation), so a re-created tenant starts empty whatever became of
/// its predecessor's tree; [`Error::TenantExists`] if the name is taken.
pub(super) fn register(db: &sled::Db, name: &str) -> Result<String> {
    if name == DEFAULT_TENANT {
        return Err(Error::TenantExists);
    }
    let tree = format!("{TREE_PREFIX}{name}:{}", db.generate_id()?);
    match db.compare_and_swap(registry_key(name), None::<&[u8]>, Some(tree.as_bytes()))? {
        Ok(()) => {
            db.flush()?;
            Ok(tree)
        }
        Err(_) => Err(Error::TenantExists),
    }
}

/// Remove a tenant from the registry, durably; the tree it named, if it
/// was there.
pub(super) fn unregister(db: &sled::Db, name: &str) -> Result<Option<String>> {
    let removed = db.remove(registry_key(name))?;
    db.flush()?;
    Ok(removed.map(|v| tree_of_entry(name, &v)))
}

/// Every registered tenant (not `default`), in name order.
pub(super) fn list(db: &sled::Db) -> Result<Vec<String>> {
    db.scan_prefix(REGISTRY_PREFIX)
        .keys()
        .map(|k| {
            let k = k?;
            Ok(String::from_utf8_lossy(&k[REGISTRY_PREFIX.len()..]).into_owned())
        })
        .collect()
}

/// Drop every tenant tree no registry entry names: what a crash between
/// unregistering a tenant and dropping its tree left behind. Returns how
/// many were dropped.
pub(super) fn drop_orphans(db: &sled::Db) -> Result<usize> {
    let mut live = std::collections::HashSet::from([DEFAULT_TREE.to_owned()]);
    for entry in db.scan_prefix(REGISTRY_PREFIX) {
        let (k, v) = entry?;
        let name = String::from_utf8_lossy(&k[REGISTRY_PREFIX.len()..]).into_owned();
        live.insert(tree_of_entry(&name, &v));
    }
    let mut dropped = 0;
    for tree in db.tree_names() {
        let name = String::from_utf8_lossy(&tree).into_owned();
        if name.starts_with(TREE_PREFIX) && !live.contains(&name) {
            db.drop_tree(&tree)?;
            dropped += 1;
        }
    }
    if dropped > 0 {
        db.flush()?;
    }
    Ok(dropped)
}

/// Remove every registry entry (for `reset_db`).
pub(super) fn clear_registry(db: &sled::Db) -> Result<()> {
    for k in db.scan_prefix(REGISTRY_PREFIX).keys() {
        db.remove(k?)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_incarnation_has_its_own_tree_and_orphans_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::open(dir.path()).unwrap();
        let first = register(&db, "acme").unwrap();
        db.open_tree(&first).unwrap().insert("k", "old").unwrap();
        assert_eq!(
            tree_of(&db, "acme").unwrap().as_deref(),
            Some(first.as_str())
        );
        // A crash after unregistering, before the tree was dropped:
        assert_eq!(
            unregister(&db, "acme").unwrap().as_deref(),
            Some(first.as_str())
        );
        let second = register(&db, "acme").unwrap();
        assert_ne!(first, second, "a new incarnation never reuses a tree");
        assert!(db.open_tree(&second).unwrap().is_empty());
        assert_eq!(drop_orphans(&db).unwrap(), 1);
        assert!(
            !db.tree_names()
                .iter()
                .any(|t| t.as_ref() == first.as_bytes())
        );
        assert!(
            db.tree_names()
                .iter()
                .any(|t| t.as_ref() == second.as_bytes())
        );
        assert_eq!(drop_orphans(&db).unwrap(), 0, "live trees stay");
    }

    #[test]
    fn entries_from_before_incarnations_keep_their_tree() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::open(dir.path()).unwrap();
        db.insert(registry_key("old"), &b""[..]).unwrap();
        db.open_tree("tenant:old")
            .unwrap()
            .insert("k", "v")
            .unwrap();
        assert_eq!(tree_of(&db, "old").unwrap().as_deref(), Some("tenant:old"));
        assert_eq!(drop_orphans(&db).unwrap(), 0);
        assert_eq!(
            tree_of(&db, "default").unwrap().as_deref(),
            Some(DEFAULT_TREE)
        );
    }
}
