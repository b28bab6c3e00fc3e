//! Lockout, device credentials and the log, as time series under a test
//! clock: keg_auth's attempt tests (limit / timespan / lockout matrices, per
//! account and per source) ported, and its two bypasses and its
//! check-then-log race as regression tests.

use std::sync::Arc;

use crate::env::Env as _;
use crate::error::invalid;
use crate::memory::MemoryEnv;
use crate::{
    Auth, Error, EventKind, LockSubject, LogFilter, LoginContext, MAX_SCAN, PurgeOutcome, Settings,
    User,
};

fn auth_with(change: impl FnOnce(&mut Settings)) -> Auth<MemoryEnv> {
    let a = Auth::new(MemoryEnv::new());
    let mut s = Settings {
        argon2_memory_kib: 64,
        argon2_iterations: 1,
        allow_weak_hashing: true,
        min_password_length: 1,
        refuse_common_passwords: false,
        ..Settings::default()
    };
    change(&mut s);
    a.set_settings(s).unwrap();
    a
}

/// The defaults: 5 failures in 15 minutes lock an account for 15 minutes;
/// 50 from a source block it.
fn auth() -> Auth<MemoryEnv> {
    auth_with(|_| {})
}

fn from(ip: &str) -> LoginContext {
    LoginContext {
        source: Some(ip.to_owned()),
        device: None,
    }
}

fn user(a: &Auth<MemoryEnv>, name: &str) -> User {
    a.create_user(name, "right password", "").unwrap()
}

fn login(a: &Auth<MemoryEnv>, name: &str, password: &str, ip: &str) -> Result<String, Error> {
    a.login_from(name, password, None, &from(ip))
        .map(|g| g.device)
}

#[test]
fn five_failures_lock_the_account_for_fifteen_minutes_whatever_is_tried_next() {
    let a = auth();
    user(&a, "ann");
    for _ in 0..5 {
        assert_eq!(
            login(&a, "ann", "guess", "10.0.0.1"),
            Err(Error::InvalidPassword)
        );
    }
    let commits = a.env().commits();
    // Right or wrong, from anywhere: refused, with the time left.
    for (pw, ip) in [("right password", "10.0.0.2"), ("guess", "10.0.0.1")] {
        assert_eq!(login(&a, "ann", pw, ip), Err(Error::LockedOut(900)));
    }
    assert_eq!(
        a.check_password("ann", "right password"),
        Err(Error::LockedOut(900))
    );
    // A refusal writes nothing (and so costs no commit, no Argon2 run).
    assert_eq!(a.env().commits(), commits);
    a.env().advance(899);
    assert_eq!(
        login(&a, "ann", "right password", "10.0.0.2"),
        Err(Error::LockedOut(1))
    );
    a.env().advance(1);
    assert!(login(&a, "ann", "right password", "10.0.0.2").is_ok());
}

#[test]
fn an_unknown_name_locks_like_an_account_so_lockout_tells_no_names() {
    let a = auth();
    user(&a, "ann");
    for name in ["ann", "nobody"] {
        let pw = if name == "ann" {
            "guess"
        } else {
            "right password"
        };
        for _ in 0..5 {
            assert!(matches!(
                login(&a, name, pw, "10.0.0.1"),
                Err(Error::InvalidPassword | Error::NoUser)
            ));
        }
        assert_eq!(login(&a, name, pw, "10.0.0.1"), Err(Error::LockedOut(900)));
    }
}

/// keg_auth's limit / timespan / lockout matrix, per account: failures
/// spaced by `gap` seconds, the account locked exactly when `limit` of them
/// fall within `window`.
#[test]
fn limit_window_and_lockout_matrix_per_account() {
    for (limit, window, lockout) in [(1, 60, 30), (3, 60, 120), (5, 900, 900), (10, 3600, 60)] {
        for gap in [0u64, window / 4, window / 2, window] {
            let a = auth_with(|s| {
                s.lockout_threshold = limit;
                s.lockout_window = window;
                s.lockout_duration = lockout;
                s.lockout_max_duration = lockout;
            });
            user(&a, "ann");
            let mut first = a.env().now();
            let mut count = 0;
            let mut locked_at = None;
            for i in 0..(2 * limit) {
                if i > 0 {
                    a.env().advance(gap);
                }
                let now = a.env().now();
                if count == 0 || now >= first + window {
                    first = now;
                    count = 0;
                }
                count += 1;
                assert_eq!(
                    login(&a, "ann", "guess", "10.0.0.1"),
                    Err(Error::InvalidPassword),
                    "limit {limit} window {window} gap {gap} failure {i}"
                );
                if count == limit {
                    locked_at = Some(now);
                    break;
                }
            }
            match locked_at {
                Some(_) => {
                    assert_eq!(
                        login(&a, "ann", "right password", "10.0.0.1"),
                        Err(Error::LockedOut(lockout)),
                        "limit {limit} window {window} gap {gap}"
                    );
                    a.env().advance(lockout);
                    assert!(login(&a, "ann", "right password", "10.0.0.1").is_ok());
                }
                None => assert!(
                    login(&a, "ann", "right password", "10.0.0.1").is_ok(),
                    "limit {limit} window {window} gap {gap}: failures outside the window lock nothing"
                ),
            }
        }
    }
}

#[test]
fn each_repeated_lockout_doubles_up_to_the_maximum() {
    let a = auth_with(|s| {
        s.lockout_threshold = 2;
        s.lockout_duration = 60;
        s.lockout_max_duration = 200;
    });
    user(&a, "ann");
    for expected in [60, 120, 200, 200] {
        for _ in 0..2 {
            assert_eq!(
                login(&a, "ann", "guess", "10.0.0.1"),
                Err(Error::InvalidPassword)
            );
        }
        assert_eq!(
            login(&a, "ann", "guess", "10.0.0.1"),
            Err(Error::LockedOut(expected))
        );
        a.env().advance(expected);
    }
    // A success forgives the account: the next lockout is the first again.
    assert!(login(&a, "ann", "right password", "10.0.0.1").is_ok());
    for _ in 0..2 {
        assert_eq!(
            login(&a, "ann", "guess", "10.0.0.1"),
            Err(Error::InvalidPassword)
        );
    }
    assert_eq!(
        login(&a, "ann", "guess", "10.0.0.1"),
        Err(Error::LockedOut(60))
    );
}

/// keg_auth bypass (a): its success cleared every failure from the
/// address, so an attacker interleaving logins to an account of their own
/// guessed forever.
#[test]
fn a_success_resets_only_its_own_account_never_another_or_the_source() {
    let a = auth_with(|s| s.source_lockout_threshold = 8);
    user(&a, "victim");
    user(&a, "attacker");
    for round in 0..2 {
        for _ in 0..2 {
            assert_eq!(
                login(&a, "victim", "guess", "10.0.0.9"),
                Err(Error::InvalidPassword)
            );
        }
        assert!(
            login(&a, "attacker", "right password", "10.0.0.9").is_ok(),
            "round {round}"
        );
    }
    // Four failures so far: the fifth locks the victim despite the
    // attacker's successes in between.
    assert_eq!(
        login(&a, "victim", "guess", "10.0.0.9"),
        Err(Error::InvalidPassword)
    );
    assert_eq!(
        login(&a, "victim", "right password", "10.0.0.1"),
        Err(Error::LockedOut(900))
    );
    // And the source's count was never reset either: 5 + 3 = 8 blocks it.
    for _ in 0..3 {
        assert_eq!(login(&a, "other", "x", "10.0.0.9"), Err(Error::NoUser));
    }
    assert_eq!(
        login(&a, "attacker", "right password", "10.0.0.9"),
        Err(Error::LockedOut(900))
    );
}

/// keg_auth bypass (b): it counted failures by the name as typed while
/// login matched names loosely, so `Ann` escaped `ann`'s count. moth
/// matches names exactly: a variant is another (unknown) name, which
/// cannot log into `ann` and never clears `ann`'s count.
#[test]
fn no_spelling_of_a_name_escapes_or_clears_its_count() {
    let a = auth();
    user(&a, "ann");
    for _ in 0..4 {
        assert_eq!(
            login(&a, "ann", "guess", "10.0.0.1"),
            Err(Error::InvalidPassword)
        );
    }
    for variant in ["Ann", "ANN", "ann\u{200b}", "an"] {
        assert_eq!(
            login(&a, variant, "right password", "10.0.0.2"),
            Err(Error::NoUser)
        );
    }
    assert_eq!(
        login(&a, "ann", "guess", "10.0.0.1"),
        Err(Error::InvalidPassword)
    );
    assert_eq!(
        login(&a, "ann", "right password", "10.0.0.3"),
        Err(Error::LockedOut(900))
    );
}

/// keg_auth checked the count, then logged the attempt: concurrent guesses
/// all passed the check. Here N concurrent wrong guesses get at most the
/// threshold's answers; the rest are refused.
#[test]
fn concurrent_guesses_never_exceed_the_limit() {
    let a = Arc::new(auth());
    user(&a, "ann");
    let threads: Vec<_> = (0..16)
        .map(|i| {
            let a = Arc::clone(&a);
            std::thread::spawn(move || {
                let password = if i == 7 { "right password" } else { "guess" };
                (0..4)
                    .map(|_| login(&a, "ann", password, &format!("10.0.1.{i}")))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let results: Vec<_> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let wrong = results
        .iter()
        .filter(|r| **r == Err(Error::InvalidPassword))
        .count();
    let locked = results
        .iter()
        .filter(|r| matches!(r, Err(Error::LockedOut(_))))
        .count();
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert!(wrong <= 5, "{wrong} wrong answers");
    assert_eq!(wrong + locked + ok, 64, "{results:?}");
    let failures = a
        .list_attempts(
            &LogFilter {
                username: Some("ann".into()),
                ..LogFilter::default()
            },
            None,
            1000,
        )
        .unwrap()
        .entries
        .iter()
        .filter(|e| !e.success)
        .count();
    assert_eq!(failures, wrong);
}

#[test]
fn fifty_failures_from_one_source_block_it_for_every_account() {
    let a = auth();
    user(&a, "ann");
    for i in 0..50 {
        assert_eq!(
            login(&a, &format!("name{i}"), "guess", "192.0.2.7"),
            Err(Error::NoUser)
        );
    }
    assert_eq!(
        login(&a, "ann", "right password", "192.0.2.7"),
        Err(Error::LockedOut(900))
    );
    // Another source is not blocked, and the block does not grow.
    assert!(login(&a, "ann", "right password", "192.0.2.8").is_ok());
    a.env().advance(900);
    assert!(login(&a, "ann", "right password", "192.0.2.7").is_ok());
}

#[test]
fn an_ipv6_source_is_counted_by_its_slash_64() {
    let a = auth_with(|s| s.source_lockout_threshold = 3);
    user(&a, "ann");
    for (i, ip) in ["2001:db8::1", "2001:db8::2", "2001:db8:0:0:ffff::3"]
        .iter()
        .enumerate()
    {
        assert_eq!(login(&a, &format!("n{i}"), "x", ip), Err(Error::NoUser));
    }
    assert_eq!(
        login(&a, "ann", "right password", "2001:db8::99"),
        Err(Error::LockedOut(900))
    );
    assert!(login(&a, "ann", "right password", "2001:db8:0:1::1").is_ok());
    let locks = a.list_locks(None, 10).unwrap().locks;
    assert!(
        locks
            .iter()
            .any(|l| l.subject == LockSubject::Source("2001:db8::/64".into())),
        "{locks:?}"
    );
    // An IPv4-mapped address is its IPv4 address.
    assert!(
        a.unlock(&LockSubject::Source("2001:db8::/64".into()))
            .unwrap()
    );
    assert!(login(&a, "ann", "right password", "::ffff:192.0.2.1").is_ok());
}

#[test]
fn a_source_that_is_not_an_address_is_invalid_input() {
    let a = auth();
    user(&a, "ann");
    assert!(matches!(
        login(&a, "ann", "right password", "not an ip"),
        Err(Error::InvalidInput(_))
    ));
}

/// OWASP's device cookies: the real user keeps logging in from their
/// device while an attacker keeps failing from elsewhere.
#[test]
fn the_real_user_logs_in_with_their_device_while_an_attacker_keeps_failing() {
    let a = auth();
    user(&a, "ann");
    let device = login(&a, "ann", "right password", "198.51.100.1").unwrap();
    assert!(device.starts_with("mothd_"));
    for round in 0..5 {
        for _ in 0..5 {
            let _ = login(&a, "ann", "guess", "203.0.113.66");
        }
        assert!(matches!(
            login(&a, "ann", "right password", "203.0.113.66"),
            Err(Error::LockedOut(_))
        ));
        let ctx = LoginContext {
            source: Some("198.51.100.1".into()),
            device: Some(device.clone()),
        };
        let grant = a.login_from("ann", "right password", None, &ctx).unwrap();
        assert_eq!(
            grant.device, device,
            "round {round}: the same credential back"
        );
        a.env().advance(60);
    }
}

#[test]
fn a_device_is_judged_by_its_own_counter_and_locks_alone() {
    let a = auth();
    user(&a, "ann");
    let device = login(&a, "ann", "right password", "198.51.100.1").unwrap();
    let with = |pw: &str| {
        a.login_from(
            "ann",
            pw,
            None,
            &LoginContext {
                source: Some("198.51.100.1".into()),
                device: Some(device.clone()),
            },
        )
        .map(|_| ())
    };
    for _ in 0..5 {
        assert_eq!(with("guess"), Err(Error::InvalidPassword));
    }
    assert_eq!(with("right password"), Err(Error::LockedOut(900)));
    // The account itself was not locked by the device's failures.
    assert!(login(&a, "ann", "right password", "198.51.100.2").is_ok());
    let locks = a.list_locks(None, 10).unwrap().locks;
    assert!(
        matches!(&locks[..], [l] if matches!(l.subject, LockSubject::Device(_))),
        "{locks:?}"
    );
}

#[test]
fn a_device_of_another_account_a_forged_or_an_expired_one_counts_for_nothing() {
    let a = auth();
    user(&a, "ann");
    user(&a, "bob");
    let bobs = login(&a, "bob", "right password", "10.0.0.1").unwrap();
    let mut forged = bobs.clone();
    forged.replace_range(10..11, if &bobs[10..11] == "A" { "B" } else { "A" });
    for _ in 0..5 {
        let _ = login(&a, "ann", "guess", "10.0.0.1");
    }
    for device in [bobs.clone(), forged, "mothd_short".into(), "junk".into()] {
        let ctx = LoginContext {
            source: None,
            device: Some(device),
        };
        assert_eq!(
            a.login_from("ann", "right password", None, &ctx)
                .map(|_| ()),
            Err(Error::LockedOut(900))
        );
    }
    a.env().advance(crate::DEVICE_LIFETIME);
    let ctx = LoginContext {
        source: None,
        device: Some(bobs.clone()),
    };
    let grant = a.login_from("bob", "right password", None, &ctx).unwrap();
    assert_ne!(grant.device, bobs, "an expired credential is replaced");
}

#[test]
fn lockout_off_counts_nothing() {
    let a = auth_with(|s| {
        s.lockout_threshold = 0;
        s.source_lockout_threshold = 0;
    });
    user(&a, "ann");
    for _ in 0..20 {
        assert_eq!(
            login(&a, "ann", "guess", "10.0.0.1"),
            Err(Error::InvalidPassword)
        );
    }
    assert!(login(&a, "ann", "right password", "10.0.0.1").is_ok());
    assert!(a.list_locks(None, 10).unwrap().locks.is_empty());
}

#[test]
fn unlock_lifts_a_lock_logs_it_and_says_whether_there_was_one() {
    let a = auth();
    let ann = user(&a, "ann");
    for _ in 0..5 {
        let _ = login(&a, "ann", "guess", "10.0.0.1");
    }
    let locks = a.list_locks(None, 10).unwrap();
    assert_eq!(locks.locks.len(), 1);
    assert_eq!(locks.locks[0].subject, LockSubject::Account(ann.id));
    assert_eq!(locks.locks[0].until, a.env().now() + 900);
    // Entries of one second are in no particular order.
    a.env().advance(1);
    assert_eq!(a.unlock(&LockSubject::Account(ann.id)), Ok(true));
    assert_eq!(a.unlock(&LockSubject::Account(ann.id)), Ok(false));
    assert!(login(&a, "ann", "right password", "10.0.0.1").is_ok());
    let events = a
        .list_events(&LogFilter::default(), None, 10)
        .unwrap()
        .entries;
    let kinds: Vec<_> = events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EventKind::Unlocked, EventKind::AccountLocked]);
    assert!(matches!(
        a.unlock(&LockSubject::Device("zz".into())),
        Err(Error::InvalidInput(_))
    ));
}

#[test]
fn every_check_is_logged_with_identity_source_kind_outcome_and_reason_never_the_password() {
    let a = auth();
    let ann = user(&a, "ann");
    let _ = login(&a, "ann", "guess-1", "10.0.0.1");
    a.env().advance(1);
    let _ = login(&a, "nobody", "guess-2", "10.0.0.2");
    a.env().advance(1);
    let _ = a.check_password_from("ann", "right password", &from("10.0.0.3"));
    a.env().advance(1);
    let _ = login(&a, "ann", "right password", "10.0.0.4");
    let all = a.list_attempts(&LogFilter::default(), None, 100).unwrap();
    let seen: Vec<_> = all
        .entries
        .iter()
        .map(|e| {
            (
                e.kind,
                e.user,
                e.username.as_str(),
                e.source.as_deref(),
                e.success,
                e.reason.as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                EventKind::Login,
                Some(ann.id),
                "ann",
                Some("10.0.0.4"),
                true,
                ""
            ),
            (
                EventKind::CheckPassword,
                Some(ann.id),
                "ann",
                Some("10.0.0.3"),
                true,
                ""
            ),
            (
                EventKind::Login,
                None,
                "nobody",
                Some("10.0.0.2"),
                false,
                "no such user"
            ),
            (
                EventKind::Login,
                Some(ann.id),
                "ann",
                Some("10.0.0.1"),
                false,
                "wrong password"
            ),
        ]
    );
    for (_, v) in a.env().dump() {
        let text = String::from_utf8_lossy(&v);
        assert!(!text.contains("guess-") && !text.contains("right password"));
    }
}

#[test]
fn the_log_is_queried_by_user_source_kind_and_time_and_paged_newest_first() {
    let a = auth_with(|s| s.lockout_threshold = 0);
    let ann = user(&a, "ann");
    user(&a, "bob");
    let start = a.env().now();
    for i in 0..30u64 {
        let (name, ip) = if i % 3 == 0 {
            ("bob", "10.0.0.2")
        } else {
            ("ann", "10.0.0.1")
        };
        let _ = login(&a, name, "guess", ip);
        a.env().advance(10);
    }
    let by = |f: LogFilter| a.list_attempts(&f, None, 1000).unwrap().entries;
    assert_eq!(
        by(LogFilter {
            user: Some(ann.id),
            ..LogFilter::default()
        })
        .len(),
        20
    );
    assert_eq!(
        by(LogFilter {
            username: Some("bob".into()),
            ..LogFilter::default()
        })
        .len(),
        10
    );
    assert_eq!(
        by(LogFilter {
            source: Some("10.0.0.2".into()),
            ..LogFilter::default()
        })
        .len(),
        10
    );
    assert_eq!(
        by(LogFilter {
            user: Some(ann.id),
            source: Some("10.0.0.2".into()),
            ..LogFilter::default()
        })
        .len(),
        0
    );
    assert_eq!(
        by(LogFilter {
            kind: Some(EventKind::CheckPassword),
            ..LogFilter::default()
        })
        .len(),
        0
    );
    let window = by(LogFilter {
        since: Some(start + 100),
        until: Some(start + 190),
        ..LogFilter::default()
    });
    assert_eq!(window.len(), 10);
    assert!(
        window
            .iter()
            .all(|e| (start + 100..=start + 190).contains(&e.time))
    );
    // Pages of 7, newest first, together the whole log once.
    let mut after = None;
    let mut times = Vec::new();
    loop {
        let page = a
            .list_attempts(&LogFilter::default(), after.as_deref(), 7)
            .unwrap();
        times.extend(page.entries.iter().map(|e| e.time));
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    assert_eq!(times.len(), 30);
    assert!(times.windows(2).all(|w| w[0] >= w[1]));
    assert!(matches!(
        a.list_attempts(&LogFilter::default(), Some("nope"), 7),
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        a.list_events(
            &LogFilter {
                kind: Some(EventKind::Login),
                ..LogFilter::default()
            },
            None,
            7
        ),
        Err(Error::InvalidInput(_))
    ));
}

#[test]
fn purge_takes_keg_auths_optional_filters() {
    let a = auth_with(|s| s.lockout_threshold = 0);
    user(&a, "ann");
    user(&a, "bob");
    for _ in 0..3 {
        let _ = login(&a, "ann", "guess", "10.0.0.1");
        let _ = login(&a, "bob", "guess", "10.0.0.1");
        let _ = a.check_password("bob", "guess");
        a.env().advance(100);
    }
    let cutoff = a.env().now() - 150;
    let purged = |username, older_than, kind| {
        let outcome = a.purge_attempts(username, older_than, kind, None).unwrap();
        assert_eq!(outcome.next, None);
        outcome.purged
    };
    assert_eq!(purged(Some("ann"), Some(cutoff), None), 2);
    assert_eq!(purged(None, None, Some(EventKind::CheckPassword)), 3);
    assert_eq!(purged(Some("bob"), None, None), 3);
    assert_eq!(purged(None, None, None), 1);
    assert!(
        a.list_attempts(&LogFilter::default(), None, 10)
            .unwrap()
            .entries
            .is_empty()
    );
    // Nothing of the log is left behind, index entries included.
    assert!(
        a.env()
            .dump()
            .iter()
            .all(|(k, _)| !matches!(k[0], b'g' | b'h' | b'i'))
    );
}

#[test]
fn sweep_enforces_the_retention_and_forgets_stale_counters() {
    let a = auth_with(|s| s.log_retention = 3600);
    user(&a, "ann");
    let _ = login(&a, "ann", "guess", "10.0.0.1");
    a.env().advance(1800);
    let _ = login(&a, "ann", "guess", "10.0.0.1");
    let outcome = a.sweep(100).unwrap();
    assert_eq!(outcome.deleted, 0);
    assert!(outcome.next_expiry.is_some());
    a.env().advance(1801);
    // The first entry, and the source's counter (quiet past its window and
    // block), are due.
    assert_eq!(a.sweep(100).unwrap().deleted, 2);
    assert_eq!(
        a.list_attempts(&LogFilter::default(), None, 10)
            .unwrap()
            .entries
            .len(),
        1
    );
    // Two days later: the last entry and both counters are gone.
    a.env().advance(2 * 86_400);
    while a.sweep(100).unwrap().deleted > 0 {}
    assert!(
        a.env()
            .dump()
            .iter()
            .all(|(k, _)| !matches!(k[0], b'f' | b'g' | b'h' | b'i' | b'e')),
        "{:?}",
        a.env().dump()
    );
}

#[test]
fn account_events_are_logged_without_secrets() {
    let a = auth();
    let ann = user(&a, "ann");
    a.set_password(ann.id, "new password").unwrap();
    a.delete_tokens(ann.id).unwrap();
    let key = a
        .create_api_key(&crate::KeyOwner::User(ann.id), "ci", "", None)
        .unwrap();
    a.revoke_api_key(&key.info.id).unwrap();
    let kinds: Vec<_> = a
        .list_events(
            &LogFilter {
                user: Some(ann.id),
                ..LogFilter::default()
            },
            None,
            10,
        )
        .unwrap()
        .entries
        .iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds.len(), 4);
    for k in [
        EventKind::PasswordChanged,
        EventKind::SessionsRevoked,
        EventKind::ApiKeyCreated,
        EventKind::ApiKeyRevoked,
    ] {
        assert!(kinds.contains(&k), "{kinds:?}");
    }
    for (_, v) in a.env().dump() {
        assert!(!String::from_utf8_lossy(&v).contains(&key.key));
    }
}

#[test]
fn settings_out_of_range_are_refused_naming_the_field() {
    let a = auth();
    for (change, field) in [
        (
            Box::new(|s: &mut Settings| s.lockout_window = 0) as Box<dyn Fn(&mut Settings)>,
            "lockout-window",
        ),
        (
            Box::new(|s: &mut Settings| s.lockout_max_duration = 1),
            "lockout-max-duration",
        ),
        (
            Box::new(|s: &mut Settings| s.source_lockout_threshold = u32::MAX),
            "source-lockout-threshold",
        ),
        (
            Box::new(|s: &mut Settings| s.log_retention = u64::MAX),
            "log-retention",
        ),
    ] {
        let mut s = a.get_settings().unwrap();
        change(&mut s);
        assert!(
            matches!(a.set_settings(s), Err(Error::InvalidInput(m)) if m.contains(field)),
            "{field}"
        );
    }
}

#[test]
fn a_purge_goes_on_from_its_cursor_past_what_it_skips() {
    let a = auth_with(|s| s.lockout_threshold = 0);
    user(&a, "ann");
    // Many entries the purge skips (events) in front of the ones it wants
    // (password checks): one call cannot read them all, and a caller that
    // follows the cursor still reaches every wanted entry.
    let ann = user(&a, "bob");
    let _ = a.check_password("ann", "guess");
    a.env().advance(1);
    let skipped = 5 * MAX_SCAN;
    let mut writes = Vec::new();
    for _ in 0..skipped {
        writes.extend(
            a.event_writes(EventKind::PasswordChanged, ann.id, "bob", String::new())
                .unwrap(),
        );
    }
    for chunk in writes.chunks(3000) {
        a.env().commit(&[], chunk).unwrap();
    }
    let first = a
        .purge_attempts(None, None, Some(EventKind::CheckPassword), None)
        .unwrap();
    assert_eq!(first.purged, 0);
    let cursor = first.next.expect("stopped at its bound");
    let second = a
        .purge_attempts(None, None, Some(EventKind::CheckPassword), Some(&cursor))
        .unwrap();
    assert_eq!(
        second,
        PurgeOutcome {
            purged: 1,
            next: None
        }
    );
    assert_eq!(
        a.purge_attempts(None, None, None, Some("zz")),
        Err(invalid("after must be a cursor from a previous purge"))
    );
}

#[test]
fn event_kinds_are_named_as_the_wit_names_them() {
    let names: Vec<&str> = EventKind::ALL.iter().map(|k| k.name()).collect();
    let wit = include_str!("../../../../wit/attempts.wit");
    let body = &wit[wit.find("enum event-kind").unwrap()..];
    let body = &body[..body.find('}').unwrap()];
    let declared: Vec<&str> = body
        .lines()
        .map(str::trim)
        .filter(|l| l.ends_with(',') && !l.starts_with("//"))
        .map(|l| l.trim_end_matches(','))
        .collect();
    assert_eq!(names, declared);
    for k in EventKind::ALL {
        assert_eq!(EventKind::from_name(k.name()), Some(k));
    }
    assert_eq!(EventKind::from_name("Login"), None);
}

#[test]
fn ending_one_session_or_the_others_is_logged_with_the_revocation() {
    let a = auth();
    let ann = user(&a, "ann");
    let own = a.login("ann", "right password", None).unwrap().token;
    a.env().advance(1);
    let other = a.login("ann", "right password", None).unwrap().token;
    a.env().advance(1);
    let third = a.login("ann", "right password", None).unwrap().token;
    a.env().advance(1);
    let events = |a: &Auth<MemoryEnv>| -> Vec<String> {
        let filter = LogFilter {
            kind: Some(EventKind::SessionsRevoked),
            ..LogFilter::default()
        };
        a.list_events(&filter, None, 10)
            .unwrap()
            .entries
            .into_iter()
            .map(|e| {
                assert_eq!(e.user, Some(ann.id));
                e.reason
            })
            .collect()
    };
    let id = a
        .list_sessions(ann.id)
        .unwrap()
        .into_iter()
        .find(|s| s.id == crate::token::public_id(&crate::token::digest(&third)))
        .unwrap()
        .id;
    a.revoke_session(ann.id, &id).unwrap();
    assert_eq!(events(&a), [format!("session {id} revoked")]);
    a.env().advance(1);
    assert_eq!(a.revoke_other_sessions(&own), Ok(1));
    assert_eq!(
        events(&a),
        [
            "1 other sessions revoked".to_owned(),
            format!("session {id} revoked")
        ]
    );
    assert!(a.validate(&other).is_err());
    // Nothing left to end: nothing logged.
    assert_eq!(a.revoke_other_sessions(&own), Ok(0));
    assert_eq!(events(&a).len(), 2);
}

#[test]
fn a_session_lists_the_source_and_device_of_its_login() {
    let a = auth();
    let ann = user(&a, "ann");
    let first = a
        .login_from("ann", "right password", None, &from("2001:db8::7"))
        .unwrap();
    a.env().advance(1);
    let again = LoginContext {
        source: Some("192.0.2.1".into()),
        device: Some(first.device.clone()),
    };
    let second = a.login_from("ann", "right password", None, &again).unwrap();
    assert_eq!(
        second.device, first.device,
        "the valid credential comes back"
    );
    a.env().advance(1);
    a.login("ann", "right password", None).unwrap();
    let sessions = a.list_sessions(ann.id).unwrap();
    let shown: Vec<_> = sessions
        .iter()
        .map(|s| (s.source.as_deref(), s.device.clone()))
        .collect();
    let device = sessions[0].device.clone().expect("a device id");
    assert_eq!(device.len(), 32);
    assert!(!first.device.contains(&device), "an id, not the credential");
    assert_eq!(
        shown,
        [
            (Some("2001:db8::7"), Some(device.clone())),
            (Some("192.0.2.1"), Some(device)),
            (None, None),
        ]
    );
}
