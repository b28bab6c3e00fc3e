//! Tests of user accounts, and the cheap `Auth` every logic test starts from.

use crate::memory::MemoryEnv;
use crate::{Auth, Error, Settings};

/// An in-memory `Auth` with cheap Argon2 costs.
pub(crate) fn auth() -> Auth<MemoryEnv> {
    let a = Auth::new(MemoryEnv::new());
    a.set_settings(Settings {
        argon2_memory_kib: 64,
        argon2_iterations: 1,
        allow_weak_hashing: true,
        // Tests use short passwords; the policy has tests of its own.
        min_password_length: 1,
        refuse_common_passwords: false,
        // Tests fail many logins and count stored keys; lockout and the
        // log have tests of their own (attempts/tests.rs).
        lockout_threshold: 0,
        source_lockout_threshold: 0,
        log_retention: 0,
        ..Settings::default()
    })
    .unwrap();
    a
}

#[test]
fn ids_increase_and_usernames_are_unique() {
    let a = auth();
    let ann = a.create_user("ann", "pw", "r").unwrap();
    let bob = a.create_user("bob", "pw", "").unwrap();
    assert_eq!((ann.id, bob.id), (1, 2));
    assert_eq!(a.create_user("ann", "other", "x"), Err(Error::UserExists));
    a.delete_user(ann.id).unwrap();
    let ann2 = a.create_user("ann", "pw", "").unwrap();
    assert_eq!(ann2.id, 3, "ids are never reused");
}

#[test]
fn bad_usernames_are_refused_without_writing() {
    let a = auth();
    let before = a.env().len();
    for name in ["", "a\nb", "tab\t", &"x".repeat(257)] {
        assert!(
            matches!(a.create_user(name, "pw", ""), Err(Error::InvalidInput(_))),
            "{name:?}"
        );
    }
    assert!(matches!(
        a.create_user("ann", "", ""),
        Err(Error::InvalidInput(_))
    ));
    assert_eq!(a.env().len(), before);
    assert!(
        a.create_user(&"é".repeat(128), "pw", "").is_ok(),
        "256 bytes is allowed"
    );
}

#[test]
fn list_users_pages_in_id_order() {
    let a = auth();
    for i in 0..5 {
        a.create_user(&format!("u{i}"), "pw", "").unwrap();
    }
    let p1 = a.list_users(None, 2).unwrap();
    assert_eq!(p1.users.iter().map(|u| u.id).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(p1.next, Some(2));
    let p3 = a.list_users(Some(4), 2).unwrap();
    assert_eq!(p3.users.iter().map(|u| u.id).collect::<Vec<_>>(), [5]);
    assert_eq!(p3.next, None);
    assert!(a.list_users(Some(u64::MAX), 10).unwrap().users.is_empty());
    assert!(matches!(a.list_users(None, 0), Err(Error::InvalidInput(_))));
}

#[test]
fn check_password_and_unknown_users() {
    let a = auth();
    a.create_user("ann", "pw", "").unwrap();
    assert_eq!(a.check_password("ann", "pw"), Ok(true));
    assert_eq!(a.check_password("ann", "pW"), Ok(false));
    assert_eq!(a.check_password("nobody", "pw"), Err(Error::NoUser));
}

#[test]
fn missing_users_are_no_user() {
    let a = auth();
    assert_eq!(a.get_user(9), Err(Error::NoUser));
    assert_eq!(a.delete_user(9), Err(Error::NoUser));
    assert_eq!(a.set_password(9, "pw"), Err(Error::NoUser));
    assert_eq!(a.set_permissions(9, "x"), Err(Error::NoUser));
}

#[test]
fn set_permissions_keeps_the_password() {
    let a = auth();
    let u = a.create_user("ann", "pw", "r").unwrap();
    a.set_permissions(u.id, "rw").unwrap();
    assert_eq!(a.get_user(u.id).unwrap().permissions, "rw");
    assert_eq!(a.check_password("ann", "pw"), Ok(true));
}

#[test]
fn debug_of_the_store_shows_no_password_hash() {
    let a = auth();
    a.create_user("ann", "pw", "").unwrap();
    let shown = format!("{a:?}");
    assert!(!shown.contains("argon2"), "{shown}");
    assert!(shown.contains(r#"seed: "<redacted>""#), "{shown}");
}

/// The password policy of the default settings, with cheap hashing.
fn strict() -> Auth<MemoryEnv> {
    let a = Auth::new(MemoryEnv::new());
    a.set_settings(Settings {
        argon2_memory_kib: 64,
        argon2_iterations: 1,
        allow_weak_hashing: true,
        ..Settings::default()
    })
    .unwrap();
    a
}

fn refused(r: crate::Result<impl std::fmt::Debug>, rule: &str) {
    match r {
        Err(Error::InvalidInput(m)) => assert!(m.contains(rule), "{m} names {rule}"),
        other => panic!("expected {rule}, got {other:?}"),
    }
}

#[test]
fn a_new_user_s_password_must_meet_the_policy_and_a_refusal_writes_nothing() {
    let a = strict();
    let before = a.env().len();
    refused(a.create_user("ann", "short", ""), "at least 8 characters");
    refused(a.create_user("ann", "Password1", ""), "too common");
    refused(
        a.create_user("annabel", "xx-annabel-xx", ""),
        "contain the username",
    );
    assert_eq!(a.env().len(), before);
    assert_eq!(
        a.create_user("ann", "plum-orbit-velvet", "").map(|u| u.id),
        Ok(1)
    );
}

#[test]
fn set_password_applies_the_policy_to_the_user_s_own_name() {
    let a = strict();
    let ann = a.create_user("annabel", "plum-orbit-velvet", "").unwrap();
    let t = a.login("annabel", "plum-orbit-velvet", None).unwrap().token;
    refused(
        a.set_password(ann.id, "ANNABEL-2024"),
        "contain the username",
    );
    refused(a.set_password(ann.id, "qwertyuiop"), "too common");
    refused(a.set_password(ann.id, "1234567"), "at least 8");
    // Nothing changed: the old password works and the token lives.
    assert!(a.validate(&t).is_ok());
    assert_eq!(a.check_password("annabel", "plum-orbit-velvet"), Ok(true));
    assert_eq!(a.set_password(ann.id, "quartz-mellow-fjord"), Ok(()));
}

#[test]
fn login_never_applies_the_policy() {
    // A password set under a laxer policy still logs in after it tightens.
    let a = auth();
    a.create_user("ann", "pw", "").unwrap();
    a.set_settings(Settings {
        min_password_length: 8,
        refuse_common_passwords: true,
        ..a.get_settings().unwrap()
    })
    .unwrap();
    assert!(a.login("ann", "pw", None).is_ok());
    assert_eq!(a.check_password("ann", "pw"), Ok(true));
}
