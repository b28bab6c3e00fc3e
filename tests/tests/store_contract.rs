//! The store contract, checked directly on a tenant's store: ordered byte
//! keys, range scans, guarded atomic commits, no lost update under
//! concurrency. The same test code runs over sled and, with
//! `MOTH_TEST_STORE=postgres`, over PostgreSQL.

use std::sync::atomic::{AtomicU64, Ordering};

use moth::{Error, Guard, StoreError, StoreLocation, Write};
use moth_tests::{on_threads, open};

fn put(key: &[u8], value: &[u8]) -> Write {
    Write {
        key: key.to_vec(),
        value: Some(value.to_vec()),
    }
}

#[test]
fn keys_are_ordered_as_unsigned_bytes_and_scans_honour_bounds_and_limits() {
    let dir = tempfile::tempdir().unwrap();
    let (moth, _) = open(dir.path());
    let acme = moth.create_tenant("acme", None).unwrap();
    let store = &acme.capabilities().store;
    let mut keys: Vec<Vec<u8>> = vec![
        vec![0x00],
        vec![0x00, 0x00],
        vec![0x01],
        vec![0x7f],
        vec![0x80],
        vec![0xc3, 0xa9],
        vec![0xff],
        vec![0xff, 0x00],
        vec![0xff, 0xff, 0xff],
        b"a".to_vec(),
        b"B".to_vec(),
        b"ab".to_vec(),
    ];
    let writes: Vec<Write> = keys.iter().map(|k| put(k, k)).collect();
    store.commit(&[], &writes).unwrap();
    keys.sort();
    let all = store.scan(&[], &[0xff; 8], u32::MAX).unwrap();
    assert_eq!(
        all.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
        keys,
        "ascending by unsigned bytes, shorter first on a common prefix"
    );
    assert!(all.iter().all(|(k, v)| k == v));
    // start is inclusive, end exclusive; limit counts from the start.
    let some = store.scan(&[0x01], &[0xff], 3).unwrap();
    assert_eq!(
        some.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
        vec![vec![0x01], b"B".to_vec(), b"a".to_vec()]
    );
    assert_eq!(store.scan(&[0x80], &[0x80], 10).unwrap(), vec![]);
    assert_eq!(store.scan(&[0x90], &[0x80], 10).unwrap(), vec![]);
    assert_eq!(store.scan(&[], &[0xff; 8], 0).unwrap(), vec![]);
    assert_eq!(store.get(&[0xff, 0x00]).unwrap(), Some(vec![0xff, 0x00]));
    assert_eq!(store.get(&[0xfe]).unwrap(), None);
    // Another tenant sees none of it.
    assert_eq!(
        moth.capabilities()
            .store
            .scan(&[0xc3], &[0xc4], 10)
            .unwrap(),
        vec![]
    );
}

#[test]
fn a_failed_guard_writes_nothing_and_the_last_write_to_a_key_wins() {
    let dir = tempfile::tempdir().unwrap();
    let (moth, _) = open(dir.path());
    let acme = moth.create_tenant("acme", None).unwrap();
    let store = &acme.capabilities().store;
    store.commit(&[], &[put(b"x", b"1")]).unwrap();
    let stale = Guard {
        key: b"x".to_vec(),
        expect: None,
    };
    assert_eq!(
        store.commit(&[stale], &[put(b"x", b"2"), put(b"y", b"2")]),
        Err(StoreError::Conflict)
    );
    assert_eq!(store.get(b"x").unwrap(), Some(b"1".to_vec()));
    assert_eq!(store.get(b"y").unwrap(), None, "nothing of it was written");
    let holds = Guard {
        key: b"x".to_vec(),
        expect: Some(b"1".to_vec()),
    };
    let delete_x = Write {
        key: b"x".to_vec(),
        value: None,
    };
    store
        .commit(
            &[holds],
            &[put(b"x", b"3"), delete_x, put(b"y", b"a"), put(b"y", b"b")],
        )
        .unwrap();
    assert_eq!(store.get(b"x").unwrap(), None);
    assert_eq!(store.get(b"y").unwrap(), Some(b"b".to_vec()));
    assert_eq!(store.len().unwrap(), 1);
}

#[test]
fn guarded_increments_from_many_threads_lose_no_update() {
    let dir = tempfile::tempdir().unwrap();
    let (moth, _) = open(dir.path());
    let store = moth.capabilities().store.clone();
    let successes = AtomicU64::new(0);
    on_threads(8, |_| {
        let mut conflicts = 0;
        for _ in 0..50 {
            let current = store.get(b"counter").unwrap();
            let n = current
                .as_deref()
                .map_or(0, |v| u64::from_be_bytes(v.try_into().unwrap()));
            let guard = Guard {
                key: b"counter".to_vec(),
                expect: current,
            };
            match store.commit(&[guard], &[put(b"counter", &(n + 1).to_be_bytes())]) {
                Ok(()) => {
                    successes.fetch_add(1, Ordering::SeqCst);
                }
                Err(StoreError::Conflict) => conflicts += 1,
                Err(e) => panic!("{e:?}"),
            }
        }
        vec![conflicts]
    });
    let stored = u64::from_be_bytes(store.get(b"counter").unwrap().unwrap().try_into().unwrap());
    assert_eq!(
        stored,
        successes.load(Ordering::SeqCst),
        "every acknowledged increment is counted once"
    );
    assert!(stored > 0);
}

#[test]
fn a_location_that_holds_no_database_is_refused_until_created() {
    let dir = tempfile::tempdir().unwrap();
    let location: StoreLocation = moth_tests::store(dir.path());
    assert!(!moth::db_exists(&location));
    assert!(matches!(
        moth::Moth::open(&location),
        Err(Error::NoDatabase(_))
    ));
    assert_eq!(moth::make_db(&location), Ok(true));
    assert!(moth::db_exists(&location));
    assert_eq!(moth::make_db(&location), Ok(false));
}
