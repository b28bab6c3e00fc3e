//! Tenants: isolation, fault containment and overload, through the real
//! component.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use moth::FAULTY_COMPONENT;
use moth::{Error, Options, Runtime, RuntimeOptions, Settings};
use moth_tests::{cheap_settings, contains, dump, open};

#[test]
fn tenants_do_not_see_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let (root, _) = open(dir.path());
    let a = root.create_tenant("acme", Some(cheap_settings())).unwrap();
    let b = root.create_tenant("bravo", Some(cheap_settings())).unwrap();
    assert_eq!(
        root.create_tenant("acme", None).map(|_| ()),
        Err(Error::TenantExists)
    );
    assert_eq!(root.tenant("nope").map(|_| ()), Err(Error::NoTenant));
    assert!(matches!(
        root.tenant("Bad Name"),
        Err(Error::InvalidInput(_))
    ));
    assert_eq!(root.tenants().unwrap(), ["default", "acme", "bravo"]);

    // The same username, the same ids, independent passwords.
    let ua = a.create_user("ann", "pw-a", "a-perms").unwrap();
    let ub = b.create_user("ann", "pw-b", "b-perms").unwrap();
    assert_eq!((ua.id, ub.id), (1, 1));
    assert_eq!(
        a.login("ann", "pw-b", None).map(|_| ()),
        Err(Error::InvalidPassword)
    );
    let ta = a.login("ann", "pw-a", None).unwrap().token;
    let tb = b.login("ann", "pw-b", None).unwrap().token;

    // A token minted in one tenant means nothing in another.
    assert_eq!(b.validate(&ta), Err(Error::InvalidToken));
    assert_eq!(a.validate(&tb), Err(Error::InvalidToken));
    assert_eq!(root.validate(&ta), Err(Error::InvalidToken));
    assert_eq!(a.validate(&ta).unwrap().user.permissions, "a-perms");
    assert!(
        root.all_users().unwrap().is_empty(),
        "the default tenant is its own tenant"
    );

    // Per-tenant settings.
    let slow = root
        .create_tenant(
            "slow",
            Some(Settings {
                default_token_lifetime: 60,
                ..cheap_settings()
            }),
        )
        .unwrap();
    slow.create_user("ann", "pw", "").unwrap();
    let s = slow.login("ann", "pw", None).unwrap();
    assert_eq!(s.expires - slow.capabilities().clock.now().unwrap().0, 60);

    // Deleting a tenant removes its data and nothing else.
    root.delete_tenant("acme").unwrap();
    assert_eq!(root.tenant("acme").map(|_| ()), Err(Error::NoTenant));
    assert!(
        a.validate(&ta).is_err(),
        "a handle to a deleted tenant no longer works"
    );
    assert_eq!(b.validate(&tb).unwrap().user.permissions, "b-perms");
    assert_eq!(root.delete_tenant("acme"), Err(Error::NoTenant));
    assert!(matches!(
        root.delete_tenant("default"),
        Err(Error::InvalidInput(_))
    ));
    let again = root.create_tenant("acme", Some(cheap_settings())).unwrap();
    assert!(
        again.all_users().unwrap().is_empty(),
        "a re-created tenant starts empty"
    );
}

#[test]
fn a_call_bound_to_one_tenant_cannot_reach_another_tenants_keys() {
    let dir = tempfile::tempdir().unwrap();
    let (root, _) = open(dir.path());
    let a = root.create_tenant("acme", Some(cheap_settings())).unwrap();
    let b = root.create_tenant("bravo", Some(cheap_settings())).unwrap();
    let a_before = dump(&a);
    b.create_user("bob", "pw", "secret").unwrap();
    let b_all = dump(&b);
    let b_keys = b_all.len();

    // Every key the guest could name, through A's store: only A's own,
    // untouched by B's new user, with no trace of bob.
    let everything = dump(&a);
    let a_keys = a.capabilities().store.len().unwrap();
    assert_eq!(everything.len(), a_keys);
    assert_eq!(everything, a_before, "work in B changed nothing A can see");
    assert!(
        everything
            .iter()
            .all(|(k, v)| !contains(k, b"bob") && !contains(v, b"bob") && !contains(v, b"secret")),
        "{everything:?}"
    );
    // Each of B's keys, asked for through A's store, yields A's own value
    // under that key (such as A's settings), never B's.
    assert!(
        b_all
            .iter()
            .any(|(k, _)| !everything.iter().any(|(ak, _)| ak == k)),
        "bob's records live under keys A does not have"
    );
    for (key, _) in &b_all {
        let own = everything
            .iter()
            .find(|(ak, _)| ak == key)
            .map(|(_, v)| v.clone());
        assert_eq!(a.capabilities().store.get(key).unwrap(), own, "{key:?}");
    }

    // Work through A changes only A's key space.
    a.create_user("ann", "pw", "").unwrap();
    a.login("ann", "pw", None).unwrap();
    assert!(a.capabilities().store.len().unwrap() > a_keys);
    assert_eq!(b.capabilities().store.len().unwrap(), b_keys);
    assert_eq!(dump(&b), b_all);
}

/// An error and every source under it, one after another.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The deadline of every call in [`faulty_runtime`]: short, so that the
/// runaway loop is stopped quickly, yet long enough for the ordinary calls
/// around it on a PostgreSQL store while other tests load both CPUs (at
/// 300 ms a login there once missed it).
const FAULTY_DEADLINE: Duration = Duration::from_secs(1);

fn faulty_runtime() -> Arc<Runtime> {
    Arc::new(
        Runtime::new(&RuntimeOptions {
            component: Some(FAULTY_COMPONENT.into()),
            call_deadline: FAULTY_DEADLINE,
            max_instance_memory: 64 << 20,
            ..RuntimeOptions::default()
        })
        .unwrap(),
    )
}

#[test]
fn traps_runaway_loops_and_memory_hogs_fail_one_call_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = Options::new()
        .create(true)
        .runtime(faulty_runtime())
        .settings(cheap_settings())
        .sweep_interval(None)
        .open(moth_tests::store(dir.path()))
        .unwrap();
    let victim = root
        .create_tenant("victim", Some(cheap_settings()))
        .unwrap();
    let bystander = root
        .create_tenant("bystander", Some(cheap_settings()))
        .unwrap();
    victim.create_user("ann", "pw", "").unwrap();
    bystander.create_user("bob", "pw", "").unwrap();
    let token = bystander.login("bob", "pw", None).unwrap().token;
    let before = dump(&victim);

    let stop = AtomicBool::new(false);
    let bystander_calls = AtomicUsize::new(0);
    let (trap, runaway, hog, runaway_took) = std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    assert_eq!(bystander.validate(&token).unwrap().user.username, "bob");
                    bystander_calls.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        let trap = victim.create_user("fault-trap", "pw", "");
        let started = Instant::now();
        let runaway = victim.create_user("fault-loop", "pw", "");
        let runaway_took = started.elapsed();
        let hog = victim.create_user("fault-oom", "pw", "");
        // Stop the bystanders before asserting, so a failure cannot hang the scope.
        stop.store(true, Ordering::Relaxed);
        (trap, runaway, hog, runaway_took)
    });
    match trap {
        Err(e @ Error::Component(_)) => {
            let why = error_chain(&e);
            assert!(why.contains("unreachable"), "{why}");
        }
        other => panic!("trap: {other:?}"),
    }
    assert_eq!(runaway, Err(Error::Timeout(FAULTY_DEADLINE)));
    assert!(
        runaway_took < Duration::from_secs(5),
        "the loop was stopped by its deadline"
    );
    assert_eq!(hog, Err(Error::MemoryLimit(64 << 20)));
    assert!(bystander_calls.load(Ordering::Relaxed) > 0);

    // Nothing was written, and the tenant carries on.
    assert_eq!(dump(&victim), before);
    assert_eq!(victim.all_users().unwrap().len(), 1);
    assert_eq!(victim.create_user("carl", "pw", "").unwrap().id, 2);
    let login = victim.login("ann", "pw", None);
    assert!(login.is_ok(), "{login:?}");
}

#[test]
fn more_callers_than_instances_complete_or_fail_fast_never_hang() {
    let dir = tempfile::tempdir().unwrap();
    // Two hashing calls at a time, with a third instance kept for short calls.
    let moth = Options::new()
        .create(true)
        .max_instances(3)
        .hashing_limit(2)
        .instance_wait(Duration::from_millis(20))
        .sweep_interval(None)
        .open(moth_tests::store(dir.path()))
        .unwrap();
    // Default Argon2 costs: each login holds its instance for tens of ms.
    moth.create_user("ann", "plum-orbit-velvet", "").unwrap();
    let barrier = Barrier::new(8);
    let started = Instant::now();
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    moth.login("ann", "plum-orbit-velvet", None).map(|_| ())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(started.elapsed() < Duration::from_secs(20));
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let overloaded = results
        .iter()
        .filter(|r| **r == Err(Error::Overloaded))
        .count();
    assert_eq!(ok + overloaded, 8, "{results:?}");
    assert!(ok >= 2 && overloaded >= 1, "{results:?}");
    assert!(
        moth.live_instances() <= 2,
        "logins never took the short calls' instance"
    );

    // With room to wait, everyone gets through.
    let dir2 = tempfile::tempdir().unwrap();
    let patient = Options::new()
        .create(true)
        .max_instances(2)
        .instance_wait(Duration::from_secs(60))
        .sweep_interval(None)
        .open(moth_tests::store(dir2.path()))
        .unwrap();
    patient.create_user("ann", "plum-orbit-velvet", "").unwrap();
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| patient.login("ann", "plum-orbit-velvet", None).unwrap());
        }
    });
    assert_eq!(patient.count_tokens(1), Ok(8));
}

#[test]
fn deleting_a_tenant_under_load_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let (root, _) = open(dir.path());
    let busy = root.create_tenant("busy", Some(cheap_settings())).unwrap();
    busy.create_user("ann", "pw", "").unwrap();
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    // Before deletion these succeed; after it they fail
                    // cleanly (storage), never panic or hang.
                    match busy.login("ann", "pw", None) {
                        Ok(_) | Err(Error::Storage(_)) | Err(Error::NoTenant) => {}
                        Err(e) => panic!("unexpected: {e:?}"),
                    }
                }
            });
        }
        std::thread::sleep(Duration::from_millis(100));
        root.delete_tenant("busy").unwrap();
        std::thread::sleep(Duration::from_millis(50));
        stop.store(true, Ordering::Relaxed);
    });
    assert_eq!(
        busy.validate("moth_x").map(|_| ()),
        Err(Error::NoTenant),
        "old handles fail cleanly"
    );
    let again = root.create_tenant("busy", Some(cheap_settings())).unwrap();
    let fresh = root.create_tenant("fresh", Some(cheap_settings())).unwrap();
    let left = dump(&again);
    assert_eq!(
        left,
        dump(&fresh),
        "exactly what a never-used tenant holds: nothing of the old one survived"
    );
    assert!(
        left.iter()
            .all(|(k, v)| !contains(k, b"ann") && !contains(v, b"ann")),
        "{left:?}"
    );
    assert!(again.all_users().unwrap().is_empty());
}
