//! The host stays whole when things go wrong around a call: a panicking
//! host import, a failed fsync, a flood of logins.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use moth::{Clock, Error, Options};
use moth_tests::{cheap_settings, open};

/// A clock that panics on demand, as a buggy host capability would.
#[derive(Default)]
struct FlakyClock {
    panic: AtomicBool,
    before_1970: AtomicBool,
}

impl Clock for FlakyClock {
    fn now(&self) -> std::io::Result<(u64, u32)> {
        if self.panic.load(Ordering::SeqCst) {
            panic!("the clock broke");
        }
        if self.before_1970.load(Ordering::SeqCst) {
            return Err(std::io::Error::other("before 1970"));
        }
        Ok((1_700_000_000, 0))
    }
}

#[test]
fn a_panicking_import_frees_its_pool_slot() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FlakyClock::default());
    let moth = Options::new()
        .create(true)
        .settings(cheap_settings())
        .sweep_interval(None)
        .max_instances(1)
        .instance_wait(Duration::from_millis(200))
        .clock(clock.clone())
        .open(dir.path().join("moth.db"))
        .unwrap();
    moth.create_user("ann", "pw", "").unwrap();
    let token = moth.login("ann", "pw", None).unwrap().token;

    clock.panic.store(true, Ordering::SeqCst);
    let outcome = catch_unwind(AssertUnwindSafe(|| moth.validate(&token)));
    assert!(outcome.is_err(), "the panic reaches the caller");
    clock.panic.store(false, Ordering::SeqCst);

    assert_eq!(moth.live_instances(), 0, "the instance was discarded");
    // With one instance in all, a leaked slot would make this Overloaded.
    assert_eq!(moth.validate(&token).unwrap().user.username, "ann");
}

#[test]
fn after_a_failed_flush_every_write_is_refused_and_reads_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let (moth, _clock) = open(dir.path());
    let ann = moth.create_user("ann", "pw", "").unwrap();
    let token = moth.login("ann", "pw", None).unwrap().token;

    moth.capabilities().store.fail_flush();
    for result in [
        moth.create_user("bob", "pw", "").map(drop),
        moth.set_permissions(ann.id, "admin"),
        moth.logout(&token),
        moth.login("ann", "pw", None).map(drop),
    ] {
        assert!(
            matches!(&result, Err(Error::Storage(m)) if m.contains("refuses writes")),
            "{result:?}"
        );
    }
    assert_eq!(moth.get_user(ann.id).unwrap().permissions, "");
    assert_eq!(moth.validate(&token).unwrap().user.id, ann.id);
    assert_eq!(
        moth.get_user(2),
        Err(Error::NoUser),
        "bob was never written"
    );
}

#[test]
fn a_login_flood_leaves_instances_for_short_calls() {
    let dir = tempfile::tempdir().unwrap();
    let moth = Options::new()
        .create(true)
        .settings(cheap_settings())
        .sweep_interval(None)
        .max_instances(2)
        .hashing_limit(1)
        .open(dir.path().join("moth.db"))
        .unwrap();
    assert_eq!(moth.hashing_limits(), (1, 1));
    moth.create_user("ann", "pw", "").unwrap();
    let token = moth.login("ann", "pw", None).unwrap().token;

    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    // Overloaded is fine for the flood itself.
                    let _ = moth.login("ann", "pw", None);
                }
            });
        }
        // Without a hashing budget the four logins would hold both
        // instances, and a call that will not wait would be refused.
        let until = Instant::now() + Duration::from_millis(500);
        let mut calls = 0;
        while Instant::now() < until {
            let v = moth.no_wait().validate(&token);
            assert!(v.is_ok(), "validate during a login flood: {v:?}");
            calls += 1;
        }
        stop.store(true, Ordering::Relaxed);
        assert!(calls > 10);
    });
}

#[test]
fn a_clock_that_cannot_say_the_time_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FlakyClock::default());
    let options = || {
        Options::new()
            .create(true)
            .settings(cheap_settings())
            .sweep_interval(None)
            .clock(clock.clone())
    };
    clock.before_1970.store(true, Ordering::SeqCst);
    assert!(matches!(
        options().open(dir.path().join("moth.db")),
        Err(Error::Clock(_))
    ));
    clock.before_1970.store(false, Ordering::SeqCst);
    let moth = options().open(dir.path().join("moth.db")).unwrap();
    moth.create_user("ann", "pw", "").unwrap();
    let token = moth.login("ann", "pw", None).unwrap().token;
    // A clock that fails later traps the call: no token is judged by it.
    clock.before_1970.store(true, Ordering::SeqCst);
    assert!(matches!(moth.validate(&token), Err(Error::Component(_))));
    assert!(!moth.sweep_due());
    clock.before_1970.store(false, Ordering::SeqCst);
    assert!(moth.validate(&token).is_ok());
}
