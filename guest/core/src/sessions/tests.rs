//! Tests of login sessions.

use crate::env::Env;
use crate::users::tests::auth;
use crate::{Error, Settings, SweepOutcome, TOKEN_LEN, keys};

#[test]
fn login_validate_logout() {
    let a = auth();
    let ann = a.create_user("ann", "pw", "r").unwrap();
    let s = a.login("ann", "pw", None).unwrap();
    assert_eq!(s.user, ann);
    assert_eq!(s.expires, a.env().now() + 3 * 24 * 3600);
    let v = a.validate(&s.token).unwrap();
    assert_eq!((v.user, v.expires), (ann.clone(), s.expires));
    assert_eq!(a.count_tokens(ann.id), Ok(1));
    a.logout(&s.token).unwrap();
    assert_eq!(a.validate(&s.token), Err(Error::InvalidToken));
    assert_eq!(a.logout(&s.token), Err(Error::InvalidToken));
    assert_eq!(a.count_tokens(ann.id), Ok(0));
}

#[test]
fn wrong_password_and_unknown_user() {
    let a = auth();
    a.create_user("ann", "pw", "").unwrap();
    assert_eq!(a.login("ann", "nope", None), Err(Error::InvalidPassword));
    assert_eq!(a.login("bob", "pw", None), Err(Error::NoUser));
    assert!(matches!(
        a.login("ann", "pw", Some(0)),
        Err(Error::InvalidInput(_))
    ));
}

#[test]
fn expiry_is_checked_on_use_and_expired_tokens_are_deleted() {
    let a = auth();
    let u = a.create_user("ann", "pw", "").unwrap();
    let s = a.login("ann", "pw", Some(60)).unwrap();
    a.env().advance(59);
    assert!(a.validate(&s.token).is_ok());
    a.env().advance(1);
    assert_eq!(
        a.count_tokens(u.id),
        Ok(0),
        "expired tokens are not counted"
    );
    assert_eq!(a.validate(&s.token), Err(Error::TokenExpired));
    assert_eq!(a.validate(&s.token), Err(Error::InvalidToken));
}

#[test]
fn sweep_deletes_only_expired_tokens_and_all_their_keys() {
    let a = auth();
    a.create_user("ann", "pw", "").unwrap();
    let keys_before = a.env().len();
    let short: Vec<_> = (0..5)
        .map(|_| a.login("ann", "pw", Some(10)).unwrap())
        .collect();
    let long = a.login("ann", "pw", Some(1000)).unwrap();
    a.env().advance(10);
    assert_eq!(a.sweep(2).unwrap().deleted, 2);
    assert_eq!(a.sweep(100).unwrap().deleted, 3);
    assert_eq!(a.sweep(100).unwrap().deleted, 0);
    assert_eq!(
        a.env().len(),
        keys_before + 4,
        "only the live token's three keys and the login stamp remain"
    );
    for s in &short {
        assert_eq!(a.validate(&s.token), Err(Error::InvalidToken));
    }
    assert!(a.validate(&long.token).is_ok());
    assert!(matches!(a.sweep(0), Err(Error::InvalidInput(_))));
}

#[test]
fn password_change_and_deletion_revoke_tokens() {
    let a = auth();
    let u = a.create_user("ann", "pw", "").unwrap();
    let t1 = a.login("ann", "pw", None).unwrap().token;
    a.set_password(u.id, "new").unwrap();
    assert_eq!(a.validate(&t1), Err(Error::InvalidToken));
    assert_eq!(a.login("ann", "pw", None), Err(Error::InvalidPassword));
    let t2 = a.login("ann", "new", None).unwrap().token;
    let t3 = a.login("ann", "new", None).unwrap().token;
    assert_eq!(a.delete_tokens(u.id), Ok(2));
    assert_eq!(a.validate(&t2), Err(Error::InvalidToken));
    let t4 = a.login("ann", "new", None).unwrap().token;
    a.delete_user(u.id).unwrap();
    assert_eq!(a.validate(&t3), Err(Error::InvalidToken));
    assert_eq!(a.validate(&t4), Err(Error::InvalidToken));
    // Each validate deleted the dead token it found; what is left is the
    // record of the revocation, which the next sweep finds done and drops.
    assert_eq!(a.env().len(), 3);
    assert_eq!(
        a.sweep(100),
        Ok(SweepOutcome {
            deleted: 0,
            next_expiry: None
        })
    );
    assert_eq!(a.env().len(), 2, "only the id counter and settings remain");
}

#[test]
fn a_token_that_escaped_revocation_is_dead_and_cleaned_up() {
    let a = auth();
    let u = a.create_user("ann", "pw", "").unwrap();
    let t = a.login("ann", "pw", None).unwrap().token;
    // Simulate a token committed between a revocation's scan and its
    // commit: bump the generation without deleting the token.
    a.rewrite_user(u.id, |r| r.generation += 1).unwrap();
    assert_eq!(a.count_tokens(u.id), Ok(0));
    assert_eq!(a.validate(&t), Err(Error::InvalidToken));
    let digest = crate::token::digest(&t);
    assert!(
        a.env()
            .dump()
            .iter()
            .all(|(k, _)| keys::trailing_digest(k) != Some(digest))
    );
}

#[test]
fn login_rehashes_when_settings_change() {
    let a = auth();
    a.create_user("ann", "pw", "").unwrap();
    let before = a.find_user("ann").unwrap().unwrap().record.password_hash;
    assert!(before.contains("m=64,t=1"));
    a.set_settings(Settings {
        argon2_memory_kib: 128,
        argon2_iterations: 2,
        ..a.get_settings().unwrap()
    })
    .unwrap();
    a.login("ann", "pw", None).unwrap();
    let after = a.find_user("ann").unwrap().unwrap().record.password_hash;
    assert!(after.contains("m=128,t=2"), "{after}");
    assert_eq!(a.check_password("ann", "pw"), Ok(true));
}

#[test]
fn the_store_never_holds_a_token() {
    let a = auth();
    a.create_user("ann", "pw", "").unwrap();
    let t = a.login("ann", "pw", None).unwrap().token;
    let random_part = &t.as_bytes()[5..48];
    for (k, v) in a.env().dump() {
        for hay in [&k, &v] {
            assert!(!hay.windows(random_part.len()).any(|w| w == random_part));
        }
    }
}

#[test]
fn malformed_tokens_are_invalid() {
    let a = auth();
    // The last one once panicked: a multi-byte character where the
    // checksum starts, at the right length in bytes.
    let split_char = format!("moth_{}é{}", "A".repeat(42), "AAAAA");
    assert_eq!(split_char.len(), TOKEN_LEN);
    for t in ["", "moth_", "abc", &"x".repeat(10_000), &split_char] {
        assert_eq!(a.validate(t), Err(Error::InvalidToken));
        assert_eq!(a.logout(t), Err(Error::InvalidToken));
    }
}

#[test]
fn debug_of_a_session_redacts_the_token() {
    let a = auth();
    a.create_user("ann", "pw", "").unwrap();
    let s = a.login("ann", "pw", None).unwrap();
    let shown = format!("{s:?}");
    assert!(!shown.contains(&s.token), "{shown}");
    assert!(!shown.contains(&s.token[5..20]), "{shown}");
    assert!(shown.contains(r#"token: "<redacted>""#), "{shown}");
    assert!(shown.contains(r#"username: "ann""#), "{shown}");
    assert!(!format!("{a:?}").contains(&s.token));
}

#[test]
fn next_expiry_is_none_without_tokens() {
    let a = auth();
    let none = SweepOutcome {
        deleted: 0,
        next_expiry: None,
    };
    assert_eq!(a.sweep(10), Ok(none));
    a.create_user("ann", "pw", "").unwrap();
    let s = a.login("ann", "pw", Some(10)).unwrap();
    a.logout(&s.token).unwrap();
    assert_eq!(a.sweep(10), Ok(none), "logout leaves nothing to expire");
    a.login("ann", "pw", Some(10)).unwrap();
    a.env().advance(10);
    assert_eq!(
        a.sweep(10),
        Ok(SweepOutcome {
            deleted: 1,
            next_expiry: None
        }),
        "the last token swept"
    );
}

#[test]
fn next_expiry_is_the_earliest_token_left() {
    let a = auth();
    let ann = a.create_user("ann", "pw", "").unwrap();
    a.create_user("bob", "pw", "").unwrap();
    let t0 = a.env().now();
    // Logged in out of expiry order, across two users.
    a.login("bob", "pw", Some(300)).unwrap();
    a.login("ann", "pw", Some(100)).unwrap();
    a.login("ann", "pw", Some(200)).unwrap();
    a.login("bob", "pw", Some(50)).unwrap();
    a.login("ann", "pw", Some(400)).unwrap();
    assert_eq!(
        a.sweep(10),
        Ok(SweepOutcome {
            deleted: 0,
            next_expiry: Some(t0 + 50)
        }),
        "nothing expired yet"
    );
    a.env().set_now(t0 + 250);
    // A partial sweep: the oldest expired token left is next.
    assert_eq!(
        a.sweep(2),
        Ok(SweepOutcome {
            deleted: 2,
            next_expiry: Some(t0 + 200)
        })
    );
    assert_eq!(
        a.sweep(2),
        Ok(SweepOutcome {
            deleted: 1,
            next_expiry: Some(t0 + 300)
        })
    );
    // Tokens revoked by other means no longer count.
    a.delete_tokens(ann.id).unwrap();
    assert_eq!(a.sweep(2).unwrap().next_expiry, Some(t0 + 300));
    a.env().set_now(t0 + 300);
    assert_eq!(
        a.sweep(2),
        Ok(SweepOutcome {
            deleted: 1,
            next_expiry: None
        })
    );
}

#[test]
fn next_expiry_counts_revoked_tokens_until_they_are_deleted() {
    let a = auth();
    let ann = a.create_user("ann", "pw", "").unwrap();
    let t0 = a.env().now();
    let s = a.login("ann", "pw", Some(100)).unwrap();
    a.login("ann", "pw", Some(500)).unwrap();
    // A token that escaped a revocation (its generation is dead) is still
    // stored, so it counts until something deletes it: here, validate.
    a.rewrite_user(ann.id, |r| r.generation += 1).unwrap();
    assert_eq!(a.sweep(1).unwrap().next_expiry, Some(t0 + 100));
    assert_eq!(a.validate(&s.token), Err(Error::InvalidToken));
    assert_eq!(a.sweep(1).unwrap().next_expiry, Some(t0 + 500));
}
