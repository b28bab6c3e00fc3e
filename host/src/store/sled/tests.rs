//! The sled backend's layout: tenants' spaces in the shared tree, kept
//! apart by their prefixes, and the migration of databases from before it.

use std::path::Path;

use moth_core::{Guard, StoreError, Write};

use super::registry::registry_key;
use super::spaces::{self, DEFAULT_TREE, SHARED_TREE, Space};
use super::*;

fn open(path: &Path) -> SledBackend {
    SledBackend::open(path, true, Durability::Flush).unwrap()
}

fn put(key: &[u8], value: &[u8]) -> Write {
    Write {
        key: key.to_vec(),
        value: Some(value.to_vec()),
    }
}

fn absent(key: &[u8]) -> Guard {
    Guard {
        key: key.to_vec(),
        expect: None,
    }
}

fn holds(key: &[u8], value: &[u8]) -> Guard {
    Guard {
        key: key.to_vec(),
        expect: Some(value.to_vec()),
    }
}

fn id_of(space: &str) -> u64 {
    match Space::parse(space).unwrap() {
        Space::Prefix(id) => id,
        Space::Tree(t) => panic!("{t} is a tree of its own"),
    }
}

fn has_tree(db: &sled::Db, name: &str) -> bool {
    db.tree_names()
        .iter()
        .any(|t| t.as_ref() == name.as_bytes())
}

/// The entries of a space, by a full scan.
fn all(space: &dyn KeySpace) -> Vec<(Vec<u8>, Vec<u8>)> {
    space.scan(b"", &[0xff; 64], u32::MAX).unwrap()
}

#[test]
fn tenants_with_the_same_keys_stay_apart() {
    let dir = tempfile::tempdir().unwrap();
    let backend = open(dir.path());
    let default = backend.key_space(&backend.default_space()).unwrap();
    let trees_before = backend.db().tree_names().len();
    let a = backend.key_space(&backend.register("a").unwrap()).unwrap();
    let b = backend.key_space(&backend.register("b").unwrap()).unwrap();
    assert_eq!(
        backend.db().tree_names().len(),
        trees_before,
        "a tenant costs no tree"
    );

    a.commit(
        &[absent(b"user:x")],
        &[put(b"user:x", b"a1"), put(b"user:y", b"a2")],
    )
    .unwrap();
    // The same guard holds in b: a's key is not b's.
    b.commit(&[absent(b"user:x")], &[put(b"user:x", b"b1")])
        .unwrap();
    default.commit(&[], &[put(b"user:x", b"d1")]).unwrap();

    assert_eq!(a.get(b"user:x").unwrap().as_deref(), Some(&b"a1"[..]));
    assert_eq!(b.get(b"user:x").unwrap().as_deref(), Some(&b"b1"[..]));
    assert_eq!(default.get(b"user:x").unwrap().as_deref(), Some(&b"d1"[..]));
    assert_eq!(b.get(b"user:y").unwrap(), None);

    // Guards see only their own space's values.
    assert_eq!(
        b.commit(&[holds(b"user:x", b"a1")], &[put(b"user:z", b"no")]),
        Err(StoreError::Conflict)
    );
    assert_eq!(
        a.commit(&[absent(b"user:x")], &[put(b"user:z", b"no")]),
        Err(StoreError::Conflict)
    );
    b.commit(
        &[holds(b"user:x", b"b1")],
        &[Write {
            key: b"user:x".to_vec(),
            value: None,
        }],
    )
    .unwrap();
    assert_eq!(b.get(b"user:x").unwrap(), None);
    assert_eq!(a.get(b"user:x").unwrap().as_deref(), Some(&b"a1"[..]));

    // Scans return the space's keys, without the prefix, in order.
    assert_eq!(
        a.scan(b"user:", b"user;", 10).unwrap(),
        vec![
            (b"user:x".to_vec(), b"a1".to_vec()),
            (b"user:y".to_vec(), b"a2".to_vec())
        ]
    );
    assert_eq!(a.scan(b"user:", b"user;", 1).unwrap().len(), 1);
    assert!(a.scan(b"user:y", b"user:x", 10).unwrap().is_empty());
    assert!(b.scan(b"", &[0xff; 8], 10).unwrap().is_empty());
    assert_eq!(a.len().unwrap(), 2);
    assert_eq!(b.len().unwrap(), 0);
    assert_eq!(default.len().unwrap(), 1);
}

#[test]
fn scans_never_reach_the_next_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let backend = open(dir.path());
    let flusher = &backend.flusher;
    let space = |id| SledSpace::prefixed(backend.shared.clone(), id, flusher.clone());
    // Adjacent prefixes, and the last one there is.
    let (low, high, last) = (space(5), space(6), space(u64::MAX));
    let ff = [0xffu8; 16];
    for s in [&low, &high, &last] {
        s.commit(
            &[],
            &[
                put(b"", b"empty"),
                put(b"a", b"1"),
                put(&ff[..3], b"2"),
                put(&ff, b"3"),
            ],
        )
        .unwrap();
    }
    high.commit(&[], &[put(b"\0", b"zero")]).unwrap();
    for s in [&low, &last] {
        // Up to (not including) all 0xff: every key but the longest.
        let got = s.scan(b"", &ff, 100).unwrap();
        assert_eq!(
            got.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
            vec![b"".to_vec(), b"a".to_vec(), ff[..3].to_vec()]
        );
        // A longer end of 0xff bytes takes them all, and nothing more.
        let got = s.scan(b"", &[0xff; 17], 100).unwrap();
        assert_eq!(got.len(), 4);
        assert_eq!(got.last().unwrap(), &(ff.to_vec(), b"3".to_vec()));
        // The empty end holds nothing; neither does a reversed range.
        assert!(s.scan(b"", b"", 100).unwrap().is_empty());
        assert!(s.scan(&ff, b"a", 100).unwrap().is_empty());
        assert_eq!(s.len().unwrap(), 4);
    }
    assert_eq!(high.len().unwrap(), 5);
    assert_eq!(low.get(b"\0").unwrap(), None);
}

#[test]
fn dropping_a_space_takes_its_prefix_only() {
    let dir = tempfile::tempdir().unwrap();
    let backend = open(dir.path());
    let a = backend.register("a").unwrap();
    let b = backend.register("b").unwrap();
    let (sa, sb) = (
        backend.key_space(&a).unwrap(),
        backend.key_space(&b).unwrap(),
    );
    let writes = |every: u32, value: &[u8]| -> Vec<Write> {
        (0..3000u32)
            .filter(|i| i % every == 0)
            .map(|i| put(&i.to_be_bytes(), value))
            .collect()
    };
    sa.commit(&[], &writes(1, b"a")).unwrap();
    sb.commit(&[], &writes(10, b"b")).unwrap();
    let default = backend.key_space(DEFAULT_TREE).unwrap();
    default.commit(&[], &[put(b"k", b"d")]).unwrap();
    assert_eq!(
        backend.unregister("a").unwrap().as_deref(),
        Some(a.as_str())
    );
    backend.drop_space(&a).unwrap();
    assert_eq!(sa.len().unwrap(), 0);
    assert_eq!(sb.len().unwrap(), 300);
    assert_eq!(default.len().unwrap(), 1);
    assert_eq!(backend.shared.len(), 300);
    assert_eq!(backend.drop_orphans().unwrap(), 0);
}

#[test]
fn orphan_prefixes_go_and_live_ones_stay() {
    let dir = tempfile::tempdir().unwrap();
    let backend = open(dir.path());
    let live = backend.register("live").unwrap();
    let gone = backend.register("gone").unwrap();
    let empty = backend.register("empty").unwrap();
    for space in [&live, &gone] {
        let s = backend.key_space(space).unwrap();
        s.commit(&[], &[put(b"k1", b"v"), put(b"k2", b"v")])
            .unwrap();
    }
    // A crash between unregistering and dropping, and keys under an id no
    // entry ever named (a copy a crash interrupted).
    backend.unregister("gone").unwrap();
    let stray = backend.db().generate_id().unwrap();
    SledSpace::prefixed(backend.shared.clone(), stray, backend.flusher.clone())
        .commit(&[], &[put(b"x", b"v")])
        .unwrap();
    assert_eq!(backend.drop_orphans().unwrap(), 2);
    assert_eq!(backend.key_space(&gone).unwrap().len().unwrap(), 0);
    assert_eq!(backend.key_space(&live).unwrap().len().unwrap(), 2);
    assert_eq!(
        backend.lookup("empty").unwrap().as_deref(),
        Some(empty.as_str())
    );
    assert_eq!(
        spaces::prefixes(&backend.shared).unwrap(),
        vec![id_of(&live)]
    );
    assert_eq!(backend.drop_orphans().unwrap(), 0);
}

#[test]
fn a_recreated_tenant_starts_empty() {
    let dir = tempfile::tempdir().unwrap();
    let backend = open(dir.path());
    let first = backend.register("acme").unwrap();
    backend
        .key_space(&first)
        .unwrap()
        .commit(&[], &[put(b"user:root", b"old")])
        .unwrap();
    assert!(matches!(
        backend.register("acme"),
        Err(crate::Error::TenantExists)
    ));
    // Unregistered but (as after a crash) not yet dropped.
    backend.unregister("acme").unwrap();
    let second = backend.register("acme").unwrap();
    assert_ne!(first, second);
    let space = backend.key_space(&second).unwrap();
    assert_eq!(space.get(b"user:root").unwrap(), None);
    assert_eq!(space.len().unwrap(), 0);
    // And across a reopen: ids are never handed out again.
    drop(space);
    drop(backend);
    let backend = open(dir.path());
    assert_eq!(backend.drop_orphans().unwrap(), 1);
    backend.unregister("acme").unwrap();
    let third = backend.register("acme").unwrap();
    assert!(id_of(&third) > id_of(&second));
    assert_eq!(backend.key_space(&third).unwrap().len().unwrap(), 0);
}

/// A database as moth wrote it before the shared tree: `old` registered
/// with an empty entry (tree `tenant:old`), `newer` with an incarnation
/// tree, `unopened` with a tree never created; returns `newer`'s tree.
fn legacy_database(path: &Path) -> String {
    let backend = open(path);
    let db = backend.db();
    db.insert(registry_key("old"), &b""[..]).unwrap();
    let old = db.open_tree("tenant:old").unwrap();
    old.insert("user:a", "1").unwrap();
    old.insert("user:b", "2").unwrap();
    old.insert([0xffu8; 4], "ff").unwrap();
    let newer = format!("tenant:newer:{}", db.generate_id().unwrap());
    db.insert(registry_key("newer"), newer.as_bytes()).unwrap();
    let tree = db.open_tree(&newer).unwrap();
    for i in 0..2500u32 {
        tree.insert(i.to_be_bytes(), "n").unwrap();
    }
    db.insert(registry_key("unopened"), &b"tenant:unopened:1"[..])
        .unwrap();
    db.open_tree(DEFAULT_TREE)
        .unwrap()
        .insert("user:d", "default")
        .unwrap();
    db.flush().unwrap();
    newer
}

fn assert_migrated(backend: &SledBackend, newer: &str) {
    let db = backend.db();
    for name in ["old", "newer", "unopened"] {
        let space = backend.lookup(name).unwrap().unwrap();
        id_of(&space);
    }
    assert!(!has_tree(db, "tenant:old"));
    assert!(!has_tree(db, newer));
    assert!(!has_tree(db, "tenant:unopened:1"));
    assert!(has_tree(db, DEFAULT_TREE));
    let old = backend
        .key_space(&backend.lookup("old").unwrap().unwrap())
        .unwrap();
    assert_eq!(
        all(&*old),
        vec![
            (b"user:a".to_vec(), b"1".to_vec()),
            (b"user:b".to_vec(), b"2".to_vec()),
            (vec![0xff; 4], b"ff".to_vec()),
        ]
    );
    let newer = backend
        .key_space(&backend.lookup("newer").unwrap().unwrap())
        .unwrap();
    assert_eq!(newer.len().unwrap(), 2500);
    assert_eq!(
        newer.get(&7u32.to_be_bytes()).unwrap().as_deref(),
        Some(&b"n"[..])
    );
    let unopened = backend
        .key_space(&backend.lookup("unopened").unwrap().unwrap())
        .unwrap();
    assert_eq!(unopened.len().unwrap(), 0);
    let default = backend.key_space(&backend.default_space()).unwrap();
    assert_eq!(
        default.get(b"user:d").unwrap().as_deref(),
        Some(&b"default"[..])
    );
    // Nothing twice, nothing stray: exactly the copies are in the shared tree.
    assert_eq!(backend.shared.len(), 3 + 2500);
    assert_eq!(spaces::prefixes(&backend.shared).unwrap().len(), 2);
}

#[test]
fn legacy_databases_are_migrated_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let newer = legacy_database(dir.path());
    let backend = open(dir.path());
    assert_migrated(&backend, &newer);
    assert_eq!(backend.drop_orphans().unwrap(), 0);
    let spaces_then = ["old", "newer", "unopened"].map(|n| backend.lookup(n).unwrap());
    drop(backend);

    // Opening again changes nothing.
    let backend = open(dir.path());
    assert_eq!(migrate::migrate(backend.db()).unwrap(), 0);
    let spaces_now = ["old", "newer", "unopened"].map(|n| backend.lookup(n).unwrap());
    assert_eq!(spaces_then, spaces_now);
    assert_migrated(&backend, &newer);
    assert_eq!(backend.drop_orphans().unwrap(), 0);
}

#[test]
fn a_migration_cut_short_before_the_switch_is_redone() {
    let dir = tempfile::tempdir().unwrap();
    let newer = legacy_database(dir.path());
    {
        // A crash after copying `newer` (and half of `old`), before the
        // registry named either copy.
        let db = files::open(dir.path(), false).unwrap();
        let shared = spaces::shared(&db).unwrap();
        let id = db.generate_id().unwrap();
        spaces::copy_tree(&db.open_tree(&newer).unwrap(), &shared, id).unwrap();
        let half = db.generate_id().unwrap();
        shared
            .insert([&spaces::prefix(half)[..], &b"user:a"[..]].concat(), "1")
            .unwrap();
        db.flush().unwrap();
    }
    let backend = open(dir.path());
    assert_eq!(backend.drop_orphans().unwrap(), 2, "both partial copies");
    assert_migrated(&backend, &newer);
    drop(backend);
    let backend = open(dir.path());
    assert_eq!(backend.drop_orphans().unwrap(), 0);
    assert_migrated(&backend, &newer);
}

#[test]
fn a_migration_cut_short_after_the_switch_is_finished() {
    let dir = tempfile::tempdir().unwrap();
    let newer = legacy_database(dir.path());
    {
        // A crash after the registry named the copy of `old`, before its
        // tree was dropped.
        let db = files::open(dir.path(), false).unwrap();
        let shared = spaces::shared(&db).unwrap();
        let id = db.generate_id().unwrap();
        spaces::copy_tree(&db.open_tree("tenant:old").unwrap(), &shared, id).unwrap();
        db.flush().unwrap();
        let entry = registry::entries(&db)
            .unwrap()
            .into_iter()
            .find(|e| e.name == "old")
            .unwrap();
        assert!(registry::switch(&db, &entry, &spaces::space_name(id)).unwrap());
    }
    let backend = open(dir.path());
    assert!(
        has_tree(backend.db(), "tenant:old"),
        "an orphan until dropped"
    );
    assert_eq!(backend.drop_orphans().unwrap(), 1);
    assert_migrated(&backend, &newer);
}

#[test]
fn reset_clears_the_shared_tree() {
    let dir = tempfile::tempdir().unwrap();
    let backend = open(dir.path());
    let space = backend.register("acme").unwrap();
    backend
        .key_space(&space)
        .unwrap()
        .commit(&[], &[put(b"k", b"v")])
        .unwrap();
    drop(backend);
    assert!(reset_db(dir.path()).unwrap());
    let backend = open(dir.path());
    assert_eq!(backend.lookup("acme").unwrap(), None);
    assert!(backend.shared.is_empty());
    assert!(has_tree(backend.db(), SHARED_TREE));
}
