//! Many threads at once: uniqueness and atomicity under contention.

use std::collections::HashSet;
use std::sync::Barrier;

use moth::Error;
use moth_tests::{on_threads, open};

#[test]
fn eight_threads_racing_for_one_username_yield_exactly_one_user() {
    let dir = tempfile::tempdir().unwrap();
    let (moth, _) = open(dir.path());
    for round in 0..5 {
        let name = format!("contested{round}");
        let barrier = Barrier::new(8);
        let results: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        barrier.wait();
                        moth.create_user(&name, "pw", "")
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let ok = results.iter().filter(|r| r.is_ok()).count();
        let exists = results
            .iter()
            .filter(|r| **r == Err(Error::UserExists))
            .count();
        assert_eq!((ok, exists), (1, 7), "{results:?}");
    }
    assert_eq!(moth.all_users().unwrap().len(), 5);
}

#[test]
fn concurrent_creation_of_distinct_users_gives_unique_increasing_ids() {
    let dir = tempfile::tempdir().unwrap();
    let (moth, _) = open(dir.path());
    let ids: Vec<u64> = on_threads(8, |t| {
        (0..50)
            .map(|i| moth.create_user(&format!("t{t}-{i}"), "pw", "").unwrap().id)
            .collect()
    });
    let unique: HashSet<_> = ids.iter().copied().collect();
    assert_eq!(unique.len(), 400);
    assert_eq!(
        unique,
        (1..=400).collect(),
        "ids are dense: no id is skipped or doubled"
    );
}

#[test]
fn eight_threads_times_500_logins_are_all_valid_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let (moth, _) = open(dir.path());
    // Eight users, and every thread logs in to all of them in turn: commits
    // race others on the same user record, and each user ends with 500
    // tokens, below the per-user cap.
    let users: Vec<_> = (0..8)
        .map(|u| moth.create_user(&format!("u{u}"), "pw", "").unwrap())
        .collect();
    let tokens: Vec<(u64, String)> = on_threads(8, |t| {
        (0..500)
            .map(|i| {
                let user = &users[(t + i) % 8];
                let token = moth.login(&user.username, "pw", None).unwrap().token;
                (user.id, token)
            })
            .collect()
    });
    assert_eq!(
        tokens.iter().map(|(_, t)| t).collect::<HashSet<_>>().len(),
        4000
    );
    for user in &users {
        assert_eq!(moth.count_tokens(user.id), Ok(500));
    }
    for (id, t) in &tokens {
        assert_eq!(moth.validate(t).unwrap().user.id, *id);
    }
    assert!(moth.live_instances() <= 16);
    for user in &users {
        assert_eq!(moth.delete_tokens(user.id), Ok(500));
        assert_eq!(moth.count_tokens(user.id), Ok(0));
    }
}

#[test]
fn a_password_change_racing_logins_leaves_no_live_old_token() {
    let dir = tempfile::tempdir().unwrap();
    let (moth, _) = open(dir.path());
    let ann = moth.create_user("ann", "old", "").unwrap();
    let tokens: Vec<String> = std::thread::scope(|s| {
        let loggers: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    (0..100)
                        .filter_map(|_| moth.login("ann", "old", None).ok().map(|s| s.token))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        s.spawn(|| moth.set_password(ann.id, "new").unwrap());
        loggers
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    // Every token minted with the old password is dead, whenever it was minted.
    for t in &tokens {
        assert_eq!(moth.validate(t), Err(Error::InvalidToken));
    }
    assert_eq!(moth.count_tokens(ann.id), Ok(0));
}
