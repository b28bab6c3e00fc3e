//! Where a tenant's keys live in a sled database: the names of key spaces
//! ([`Space`], parsed here and nowhere else) and the shared tree that holds
//! every tenant's keys but the `default` tenant's.
//!
//! sled gives each tree a root node, a metadata entry and pages of its
//! own, snapshotted and rewritten as the log moves on: an empty tenant
//! with a tree of its own cost ~59 KiB on disk (10 000 tenants, 850 MiB).
//! So tenants share one tree, [`SHARED_TREE`], each under an 8-byte
//! prefix: its incarnation id from [`sled::Db::generate_id`], big-endian,
//! so that one space's keys are contiguous and keep their order. sled
//! never hands out an id twice (not even across crashes), so a re-created
//! tenant starts empty whatever became of its predecessor's keys.

use crate::error::{Error, Result};

/// The tree holding every tenant's keys but the `default` tenant's.
pub(super) const SHARED_TREE: &str = "spaces";
/// The tree of the `default` tenant, which is never deleted.
pub(super) const DEFAULT_TREE: &str = "tenant:default";
/// Every name of a tree holding one tenant starts with this: the default
/// tree's, and those of databases from before [`SHARED_TREE`].
pub(super) const TREE_PREFIX: &str = "tenant:";
/// A space in [`SHARED_TREE`] is named `space:{id}`, `id` in decimal.
const SPACE_PREFIX: &str = "space:";
/// Keys removed or copied per sled batch.
const BATCH: usize = 1024;

/// A key space, as its [`SpaceId`](crate::store::backend::SpaceId) names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Space<'a> {
    /// A whole tree of its own: the default tenant's, or a tenant's from
    /// before [`SHARED_TREE`] (migrated when the database opens).
    Tree(&'a str),
    /// The keys under this id's prefix in [`SHARED_TREE`].
    Prefix(u64),
}

impl<'a> Space<'a> {
    /// The space `space` names; an error for a name no sled backend writes.
    pub(super) fn parse(space: &'a str) -> Result<Space<'a>> {
        if let Some(id) = space.strip_prefix(SPACE_PREFIX) {
            return id.parse().map(Space::Prefix).map_err(|_| unknown(space));
        }
        if space.starts_with(TREE_PREFIX) {
            return Ok(Space::Tree(space));
        }
        Err(unknown(space))
    }
}

fn unknown(space: &str) -> Error {
    Error::InvalidInput(format!("{space:?} names no key space of a sled database"))
}

/// The name of the space under `id` in [`SHARED_TREE`].
pub(super) fn space_name(id: u64) -> String {
    format!("{SPACE_PREFIX}{id}")
}

/// The prefix of every key of the space under `id`.
pub(super) fn prefix(id: u64) -> [u8; 8] {
    id.to_be_bytes()
}

/// The id whose prefix `key` starts with (a key shorter than a prefix,
/// which no space writes, counts as zero-padded).
fn id_of(key: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    let n = key.len().min(8);
    b[..n].copy_from_slice(&key[..n]);
    u64::from_be_bytes(b)
}

/// The shared tree of `db`.
pub(super) fn shared(db: &sled::Db) -> Result<sled::Tree> {
    Ok(db.open_tree(SHARED_TREE)?)
}

/// Remove every key of the space under `id`, in batches; how many. Not
/// flushed.
pub(super) fn drop_prefix(shared: &sled::Tree, id: u64) -> Result<usize> {
    let prefix = prefix(id);
    let mut removed = 0;
    loop {
        let keys = shared
            .scan_prefix(prefix)
            .keys()
            .take(BATCH)
            .collect::<std::result::Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Ok(removed);
        }
        removed += keys.len();
        let mut batch = sled::Batch::default();
        for k in keys {
            batch.remove(k);
        }
        shared.apply_batch(batch)?;
    }
}

/// The ids of every space that holds a key in the shared tree, ascending:
/// one seek per space, past its last key, never a read of every key.
pub(super) fn prefixes(shared: &sled::Tree) -> Result<Vec<u64>> {
    let mut ids = Vec::new();
    let mut from = Some(0u64);
    while let Some(start) = from {
        let Some(first) = shared.range(prefix(start)..).keys().next() else {
            break;
        };
        let id = id_of(&first?);
        ids.push(id);
        from = id.checked_add(1);
    }
    Ok(ids)
}

/// Copy every entry of `tree` under the prefix of `id` in the shared tree,
/// in batches; how many. Not flushed, and not atomic as a whole: until a
/// registry entry names `id`, a partial copy is an orphan.
pub(super) fn copy_tree(tree: &sled::Tree, shared: &sled::Tree, id: u64) -> Result<usize> {
    let prefix = prefix(id);
    let mut copied = 0;
    let mut batch = sled::Batch::default();
    for entry in tree.iter() {
        let (k, v) = entry?;
        batch.insert([&prefix[..], &k[..]].concat(), v);
        copied += 1;
        if copied % BATCH == 0 {
            shared.apply_batch(std::mem::take(&mut batch))?;
        }
    }
    shared.apply_batch(batch)?;
    Ok(copied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_in_one_place() {
        assert_eq!(Space::parse(&space_name(42)).unwrap(), Space::Prefix(42));
        assert_eq!(
            Space::parse(DEFAULT_TREE).unwrap(),
            Space::Tree(DEFAULT_TREE)
        );
        assert_eq!(
            Space::parse("tenant:acme:7").unwrap(),
            Space::Tree("tenant:acme:7")
        );
        for bad in ["space:", "space:x", "space:-1", "spaces", "", "acme"] {
            assert!(Space::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn prefixes_are_found_by_seeking() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::open(dir.path()).unwrap();
        let shared = shared(&db).unwrap();
        assert!(prefixes(&shared).unwrap().is_empty());
        for (id, keys) in [(3u64, 5), (4, 1), (u64::MAX, 2), (1000, 2500)] {
            for k in 0..keys {
                let key = [&prefix(id)[..], format!("{k:05}").as_bytes()].concat();
                shared.insert(key, &b"v"[..]).unwrap();
            }
        }
        // A space may hold the empty key, and keys of all 0xff bytes.
        shared.insert(prefix(7), &b"empty key"[..]).unwrap();
        shared
            .insert([&prefix(8)[..], &[0xffu8; 12][..]].concat(), &b"v"[..])
            .unwrap();
        assert_eq!(prefixes(&shared).unwrap(), [3, 4, 7, 8, 1000, u64::MAX]);
        assert_eq!(drop_prefix(&shared, 1000).unwrap(), 2500);
        assert_eq!(drop_prefix(&shared, 1000).unwrap(), 0);
        assert_eq!(prefixes(&shared).unwrap(), [3, 4, 7, 8, u64::MAX]);
        assert_eq!(shared.len(), 5 + 1 + 2 + 1 + 1);
    }
}
