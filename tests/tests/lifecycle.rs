//! The whole life of a user and their tokens, through the real component
//! and a real sled database on disk.

use std::time::Duration;

use moth::{Error, Moth, Options, Settings, SweepOutcome};
use moth_tests::{cheap_settings, open};

/// Test settings without the attempt log: these tests count the keys and
/// expiries of tokens, and a log entry would be swept on its own schedule
/// (the log's sweep is tested in moth-core).
fn no_log() -> Settings {
    Settings {
        log_retention: 0,
        ..cheap_settings()
    }
}

#[test]
fn a_user_from_creation_to_deletion() {
    let dir = tempfile::tempdir().unwrap();
    let (moth, clock) = open(dir.path());

    let ann = moth.create_user("ann", "s3cret", "read").unwrap();
    assert_eq!(
        (ann.id, ann.username.as_str(), ann.permissions.as_str()),
        (1, "ann", "read")
    );
    assert_eq!(moth.create_user("ann", "x", ""), Err(Error::UserExists));

    // Login and validate.
    let s = moth.login("ann", "s3cret", None).unwrap();
    assert!(s.token.starts_with("moth_"));
    assert_eq!(
        s.expires,
        clock.secs() + 3 * 24 * 3600,
        "MOTH's three-day default"
    );
    let v = moth.validate(&s.token).unwrap();
    assert_eq!(v.user, ann);
    assert_eq!(moth.count_tokens(ann.id), Ok(1));

    // Permissions changes show at once, and leave the password alone.
    moth.set_permissions(ann.id, "read,write").unwrap();
    assert_eq!(
        moth.validate(&s.token).unwrap().user.permissions,
        "read,write"
    );
    assert_eq!(moth.check_password("ann", "s3cret"), Ok(true));
    assert_eq!(moth.check_password("ann", "wrong"), Ok(false));
    assert_eq!(moth.check_password("nobody", "s3cret"), Err(Error::NoUser));

    // A password change revokes every token.
    let s2 = moth.login("ann", "s3cret", None).unwrap();
    moth.set_password(ann.id, "n3w").unwrap();
    assert_eq!(moth.validate(&s.token), Err(Error::InvalidToken));
    assert_eq!(moth.validate(&s2.token), Err(Error::InvalidToken));
    assert_eq!(moth.count_tokens(ann.id), Ok(0));
    assert_eq!(
        moth.login("ann", "s3cret", None).map(|_| ()),
        Err(Error::InvalidPassword)
    );

    // Expiry is checked on use; the first use after expiry says so and
    // deletes the token, the next finds nothing (MOTH's documented order).
    let short = moth
        .login("ann", "n3w", Some(Duration::from_secs(60)))
        .unwrap();
    clock.advance(59);
    assert!(moth.validate(&short.token).is_ok());
    clock.advance(1);
    assert_eq!(moth.validate(&short.token), Err(Error::TokenExpired));
    assert_eq!(moth.validate(&short.token), Err(Error::InvalidToken));

    // Sweep removes expired tokens nobody looked at.
    let unseen: Vec<_> = (0..3)
        .map(|_| {
            moth.login("ann", "n3w", Some(Duration::from_secs(10)))
                .unwrap()
        })
        .collect();
    let lasting = moth.login("ann", "n3w", None).unwrap();
    assert_eq!(moth.count_tokens(ann.id), Ok(4));
    clock.advance(10);
    assert_eq!(moth.count_tokens(ann.id), Ok(1));
    assert_eq!(moth.sweep_all(), Ok(3));
    assert_eq!(moth.sweep_all(), Ok(0));
    for s in &unseen {
        assert_eq!(moth.validate(&s.token), Err(Error::InvalidToken));
    }

    // Logout.
    let bob = moth.create_user("bob", "pw", "").unwrap();
    let b = moth.login("bob", "pw", None).unwrap();
    moth.logout(&b.token).unwrap();
    assert_eq!(moth.logout(&b.token), Err(Error::InvalidToken));
    assert_eq!(moth.validate(&b.token), Err(Error::InvalidToken));

    // delete_tokens reports how many were live.
    let _ = moth.login("bob", "pw", None).unwrap();
    let _ = moth.login("bob", "pw", None).unwrap();
    assert_eq!(moth.delete_tokens(bob.id), Ok(2));
    assert_eq!(moth.delete_tokens(bob.id), Ok(0));

    // Deleting a user revokes their tokens and frees the name, not the id.
    assert!(moth.validate(&lasting.token).is_ok());
    moth.delete_user(ann.id).unwrap();
    assert_eq!(moth.validate(&lasting.token), Err(Error::InvalidToken));
    assert_eq!(moth.get_user(ann.id), Err(Error::NoUser));
    assert_eq!(moth.delete_user(ann.id), Err(Error::NoUser));
    assert_eq!(
        moth.login("ann", "n3w", None).map(|_| ()),
        Err(Error::NoUser)
    );
    let ann2 = moth.create_user("ann", "pw", "").unwrap();
    assert_eq!(ann2.id, 3);
    assert_eq!(moth.all_users().unwrap(), vec![bob, ann2]);
}

#[test]
fn bad_input_is_refused_with_a_reason_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (moth, _) = open(dir.path());
    let size_users = || moth.all_users().unwrap().len();
    for (name, pw) in [
        ("", "pw"),
        ("a\u{0}b", "pw"),
        ("ann", ""),
        ("ann", &"x".repeat(1025)),
    ] {
        match moth.create_user(name, pw, "") {
            Err(Error::InvalidInput(why)) => assert!(!why.is_empty()),
            other => panic!("{name:?}: {other:?}"),
        }
    }
    assert_eq!(size_users(), 0);
    moth.create_user("ann", "pw", "").unwrap();
    assert!(matches!(
        moth.login("ann", "pw", Some(Duration::ZERO)),
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        moth.list_users(None, 0),
        Err(Error::InvalidInput(_))
    ));
    for token in ["", "moth_", "not a token", &"moth_".repeat(1000)] {
        assert_eq!(moth.validate(token), Err(Error::InvalidToken));
    }
    let bad = moth::Settings {
        argon2_iterations: 0,
        ..cheap_settings()
    };
    assert!(matches!(
        moth.set_settings(bad),
        Err(Error::InvalidInput(_))
    ));
    let huge = moth::Settings {
        argon2_memory_kib: 1 << 20,
        ..cheap_settings()
    };
    assert!(
        matches!(moth.set_settings(huge), Err(Error::InvalidInput(_))),
        "must fit the memory cap"
    );
    assert_eq!(moth.get_settings(), Ok(cheap_settings()));
}

#[test]
fn users_are_listed_in_pages() {
    let dir = tempfile::tempdir().unwrap();
    let (moth, _) = open(dir.path());
    for i in 0..2500 {
        moth.create_user(&format!("u{i:04}"), "pw", "").unwrap();
    }
    let page = moth.list_users(Some(10), 5).unwrap();
    assert_eq!(
        page.users.iter().map(|u| u.id).collect::<Vec<_>>(),
        [11, 12, 13, 14, 15]
    );
    assert_eq!(page.next, Some(15));
    let all = moth.all_users().unwrap();
    assert_eq!(all.len(), 2500);
    assert!(all.windows(2).all(|w| w[0].id < w[1].id));
}

#[test]
fn everything_is_still_there_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = moth_tests::store(dir.path());
    let (token, ann, clock) = {
        let (moth, clock) = open(dir.path());
        let ann = moth.create_user("ann", "pw", "admin").unwrap();
        moth.create_user("bob", "pw", "").unwrap();
        (moth.login("ann", "pw", None).unwrap().token, ann, clock)
    };
    let moth = Options::new().clock(clock).open(&path).unwrap();
    assert_eq!(moth.validate(&token).unwrap().user, ann);
    assert_eq!(moth.all_users().unwrap().len(), 2);
    assert_eq!(
        moth.get_settings(),
        Ok(cheap_settings()),
        "settings are stored with the data"
    );
    assert_eq!(moth.create_user("carl", "pw", "").unwrap().id, 3);
}

#[test]
fn database_utilities() {
    let dir = tempfile::tempdir().unwrap();
    let path = moth_tests::store(dir.path());
    assert!(!moth::db_exists(&path));
    assert!(matches!(Moth::open(&path), Err(Error::NoDatabase(p)) if p == path.to_string()));
    assert_eq!(moth::make_db(&path), Ok(true));
    assert!(moth::db_exists(&path));
    assert_eq!(moth::make_db(&path), Ok(false));
    {
        let moth = Options::new()
            .settings(cheap_settings())
            .open(&path)
            .unwrap();
        moth.create_user("ann", "pw", "").unwrap();
    }
    assert_eq!(moth::reset_db(&path), Ok(true));
    let moth = Moth::open(&path).unwrap();
    assert_eq!(moth.all_users(), Ok(vec![]));
    assert_eq!(moth::reset_db(dir.path().join("absent")), Ok(false));

    let stranger = dir.path().join("stranger");
    std::fs::create_dir(&stranger).unwrap();
    std::fs::write(stranger.join("file"), b"data").unwrap();
    assert!(matches!(
        moth::make_db(&stranger),
        Err(Error::InvalidInput(_))
    ));
    assert!(stranger.join("file").exists());
}

#[test]
fn the_sweeper_knows_when_a_sweep_is_due_without_calling_the_component() {
    let dir = tempfile::tempdir().unwrap();
    let (moth, clock) = open(dir.path());
    moth.set_settings(no_log()).unwrap();
    let t0 = clock.secs();
    moth.create_user("ann", "pw", "").unwrap();
    assert!(moth.sweep_due(), "never swept since it was opened");
    assert_eq!(moth.sweep_all(), Ok(0));
    assert!(!moth.sweep_due(), "nothing stored expires");

    // A login lowers the earliest known expiry to its own.
    let s = moth
        .login("ann", "pw", Some(Duration::from_secs(5)))
        .unwrap();
    assert_eq!(s.expires, t0 + 5);
    assert!(!moth.sweep_due());
    clock.advance(4);
    assert!(!moth.sweep_due());
    clock.advance(1);
    assert!(moth.sweep_due());
    assert_eq!(moth.sweep_all(), Ok(1));
    assert!(!moth.sweep_due());

    // A failed login mints nothing and changes nothing.
    assert_eq!(
        moth.login("ann", "wrong", Some(Duration::from_secs(1)))
            .map(|_| ()),
        Err(Error::InvalidPassword)
    );
    clock.advance(1);
    assert!(!moth.sweep_due());

    // A sweep reports the earliest expiry left, and is not due before it.
    let now = clock.secs();
    for lifetime in [10, 10, 20] {
        moth.login("ann", "pw", Some(Duration::from_secs(lifetime)))
            .unwrap();
    }
    let lasting = moth.login("ann", "pw", None).unwrap();
    clock.advance(10);
    assert!(moth.sweep_due());
    assert_eq!(
        moth.sweep(1),
        Ok(SweepOutcome {
            deleted: 1,
            next_expiry: Some(now + 10)
        }),
        "one expired token is left behind a full batch"
    );
    assert!(moth.sweep_due(), "what is left is already expired");
    assert_eq!(
        moth.sweep(100),
        Ok(SweepOutcome {
            deleted: 1,
            next_expiry: Some(now + 20)
        })
    );
    assert!(!moth.sweep_due());

    // A later login that expires sooner than anything stored lowers it again.
    moth.login("ann", "pw", Some(Duration::from_secs(1)))
        .unwrap();
    clock.advance(1);
    assert!(
        moth.sweep_due(),
        "a login's expiry counts, not only the sweep's"
    );
    assert_eq!(
        moth.sweep(100),
        Ok(SweepOutcome {
            deleted: 1,
            next_expiry: Some(now + 20)
        })
    );
    assert!(!moth.sweep_due());
    clock.advance(9);
    assert!(moth.sweep_due());
    assert_eq!(moth.sweep_all(), Ok(1));
    assert!(!moth.sweep_due());
    assert_eq!(moth.count_tokens(1), Ok(1));
    assert_eq!(
        moth.validate(&lasting.token).unwrap().expires,
        lasting.expires
    );
    assert_eq!(
        moth.sweep(100),
        Ok(SweepOutcome {
            deleted: 0,
            next_expiry: Some(lasting.expires)
        })
    );

    // Each tenant keeps its own account.
    let acme = moth.create_tenant("acme", Some(cheap_settings())).unwrap();
    assert!(acme.sweep_due(), "a new tenant was never swept");
    assert!(!moth.sweep_due());
}

#[test]
fn the_background_sweeper_deletes_expired_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let clock = std::sync::Arc::new(moth::ManualClock::at(1_700_000_000));
    let moth = Options::new()
        .create(true)
        .settings(no_log())
        .sweep_interval(Some(Duration::from_millis(20)))
        .clock(clock.clone())
        .open(moth_tests::store(dir.path()))
        .unwrap();
    let acme = moth.create_tenant("acme", Some(no_log())).unwrap();
    acme.create_user("ann", "pw", "").unwrap();
    let store = &acme.capabilities().store;
    let without_tokens = store.len().unwrap();
    acme.login("ann", "pw", Some(Duration::from_secs(5)))
        .unwrap();
    let with_token = store.len().unwrap();
    assert!(with_token > without_tokens, "the token is stored");
    clock.advance(5);
    // Wait for what the sweeper really does: delete the token's keys. The
    // login also left the user's stamp (which kills one-time tokens issued
    // before it), which stays.
    let without_tokens = without_tokens + 1;
    let started = std::time::Instant::now();
    while store.len().unwrap() != without_tokens {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the sweeper never came: {} keys, {without_tokens} expected",
            store.len().unwrap()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(acme.sweep_all(), Ok(0), "already swept");
    assert_eq!(store.len().unwrap(), without_tokens);
    assert_eq!(acme.count_tokens(1), Ok(0));
}
