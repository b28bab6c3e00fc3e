//! The registry of tenants in a sled database: which names exist, in the
//! database's default tree, and which key space holds each one's data
//! (see [`spaces`](super::spaces) for how spaces are named).

use std::collections::HashSet;

use super::spaces::{self, DEFAULT_TREE, Space, TREE_PREFIX};
use crate::error::{Error, Result};
use crate::tenants::DEFAULT_TENANT;

const REGISTRY_PREFIX: &[u8] = b"moth:tenant:";

pub(super) fn registry_key(name: &str) -> Vec<u8> {
    [REGISTRY_PREFIX, name.as_bytes()].concat()
}

/// The space an entry names. Entries written before incarnations hold
/// nothing and name the tree `tenant:{name}`.
fn space_of_entry(name: &str, value: &[u8]) -> String {
    if value.is_empty() {
        format!("{TREE_PREFIX}{name}")
    } else {
        String::from_utf8_lossy(value).into_owned()
    }
}

/// The key space holding tenant `name`'s data, or `None` when there is no
/// such tenant.
pub(super) fn space_of(db: &sled::Db, name: &str) -> Result<Option<String>> {
    if name == DEFAULT_TENANT {
        return Ok(Some(DEFAULT_TREE.to_owned()));
    }
    Ok(db
        .get(registry_key(name))?
        .map(|v| space_of_entry(name, &v)))
}

/// Record a new tenant under a space no earlier tenant ever had (one
/// incarnation), so a re-created tenant starts empty whatever became of
/// its predecessor's keys; [`Error::TenantExists`] if the name is taken.
pub(super) fn register(db: &sled::Db, name: &str) -> Result<String> {
    if name == DEFAULT_TENANT {
        return Err(Error::TenantExists);
    }
    let space = spaces::space_name(db.generate_id()?);
    match db.compare_and_swap(registry_key(name), None::<&[u8]>, Some(space.as_bytes()))? {
        Ok(()) => {
            db.flush()?;
            Ok(space)
        }
        Err(_) => Err(Error::TenantExists),
    }
}

/// Remove a tenant from the registry, durably; the space it named, if it
/// was there.
pub(super) fn unregister(db: &sled::Db, name: &str) -> Result<Option<String>> {
    let removed = db.remove(registry_key(name))?;
    db.flush()?;
    Ok(removed.map(|v| space_of_entry(name, &v)))
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

/// One registry entry: the tenant's name, the entry's value as stored,
/// and the space it names.
pub(super) struct Entry {
    pub name: String,
    pub value: sled::IVec,
    pub space: String,
}

/// Every registry entry, in name order.
pub(super) fn entries(db: &sled::Db) -> Result<Vec<Entry>> {
    db.scan_prefix(REGISTRY_PREFIX)
        .map(|entry| {
            let (k, value) = entry?;
            let name = String::from_utf8_lossy(&k[REGISTRY_PREFIX.len()..]).into_owned();
            let space = space_of_entry(&name, &value);
            Ok(Entry { name, value, space })
        })
        .collect()
}

/// Point `entry` at `space`, durably, iff it is still as read; whether it
/// was.
pub(super) fn switch(db: &sled::Db, entry: &Entry, space: &str) -> Result<bool> {
    let swapped = db
        .compare_and_swap(
            registry_key(&entry.name),
            Some(&entry.value),
            Some(space.as_bytes()),
        )?
        .is_ok();
    db.flush()?;
    Ok(swapped)
}

/// Drop every key space no registry entry names: what a crash between
/// unregistering a tenant and dropping its space left behind, or a crash
/// in the middle of a migration (a partial copy, or a legacy tree already
/// copied). Whole trees are dropped; a space in the shared tree loses
/// every key under its prefix. Returns how many spaces were dropped.
pub(super) fn drop_orphans(db: &sled::Db) -> Result<usize> {
    let mut live_trees = HashSet::from([DEFAULT_TREE.to_owned()]);
    let mut live_ids = HashSet::new();
    for entry in entries(db)? {
        // An entry this code cannot read stops everything: dropping data
        // on a guess is worse than keeping an orphan.
        match Space::parse(&entry.space)? {
            Space::Tree(tree) => live_trees.insert(tree.to_owned()),
            Space::Prefix(id) => live_ids.insert(id),
        };
    }
    let mut dropped = 0;
    for tree in db.tree_names() {
        let name = String::from_utf8_lossy(&tree).into_owned();
        if name.starts_with(TREE_PREFIX) && !live_trees.contains(&name) {
            db.drop_tree(&tree)?;
            dropped += 1;
        }
    }
    let shared = spaces::shared(db)?;
    for id in spaces::prefixes(&shared)? {
        if !live_ids.contains(&id) {
            spaces::drop_prefix(&shared, id)?;
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

    fn keys_under(shared: &sled::Tree, id: u64) -> usize {
        shared.scan_prefix(spaces::prefix(id)).count()
    }

    fn id_of(space: &str) -> u64 {
        match Space::parse(space).unwrap() {
            Space::Prefix(id) => id,
            Space::Tree(t) => panic!("a new tenant got a tree of its own: {t}"),
        }
    }

    #[test]
    fn each_incarnation_has_its_own_space_and_orphans_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::open(dir.path()).unwrap();
        let shared = spaces::shared(&db).unwrap();
        let first = register(&db, "acme").unwrap();
        let first_id = id_of(&first);
        shared
            .insert([&spaces::prefix(first_id)[..], &b"k"[..]].concat(), "old")
            .unwrap();
        assert_eq!(
            space_of(&db, "acme").unwrap().as_deref(),
            Some(first.as_str())
        );
        // A crash after unregistering, before the space was dropped:
        assert_eq!(
            unregister(&db, "acme").unwrap().as_deref(),
            Some(first.as_str())
        );
        let second = register(&db, "acme").unwrap();
        assert_ne!(first, second, "a new incarnation never reuses a space");
        let second_id = id_of(&second);
        assert_eq!(keys_under(&shared, second_id), 0);
        shared
            .insert([&spaces::prefix(second_id)[..], &b"k"[..]].concat(), "new")
            .unwrap();
        assert_eq!(drop_orphans(&db).unwrap(), 1);
        assert_eq!(keys_under(&shared, first_id), 0);
        assert_eq!(keys_under(&shared, second_id), 1);
        assert_eq!(drop_orphans(&db).unwrap(), 0, "live spaces stay");
        // No tree per tenant: only the shared one.
        assert!(
            !db.tree_names()
                .iter()
                .any(|t| t.starts_with(TREE_PREFIX.as_bytes()))
        );
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
        assert_eq!(space_of(&db, "old").unwrap().as_deref(), Some("tenant:old"));
        assert_eq!(drop_orphans(&db).unwrap(), 0);
        assert_eq!(
            space_of(&db, "default").unwrap().as_deref(),
            Some(DEFAULT_TREE)
        );
    }

    #[test]
    fn an_unreadable_entry_drops_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::open(dir.path()).unwrap();
        db.insert(registry_key("odd"), &b"space:not-a-number"[..])
            .unwrap();
        let shared = spaces::shared(&db).unwrap();
        shared
            .insert([&spaces::prefix(9)[..], &b"k"[..]].concat(), "v")
            .unwrap();
        assert!(drop_orphans(&db).is_err());
        assert_eq!(keys_under(&shared, 9), 1);
    }
}
