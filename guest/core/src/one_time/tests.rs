//! Tests of one-time tokens: keg_auth's rules (purpose-bound reset and
//! verification tokens) without its flaws (reusable tokens that live until
//! a salt changes), the events that kill a token, and races.

use std::rc::Rc;

use super::*;
use crate::env::Entry;
use crate::memory::{MemoryEnv, Racy, before_next_commit};
use crate::record::OneTimeRecord;
use crate::users::tests::auth;
use crate::{EMAIL_TOKEN_PREFIX, Settings, TOKEN_PREFIX};

/// The one-time-token keys (`p`) in the store.
fn records(a: &Auth<MemoryEnv>) -> Vec<Entry> {
    let all = a.env().dump();
    all.into_iter()
        .filter(|(k, _)| k[0] == keys::ONE_TIME)
        .collect()
}

/// The expiry-index entries of one-time tokens.
fn expiries(a: &Auth<MemoryEnv>) -> Vec<Entry> {
    let all = a.env().dump();
    all.into_iter()
        .filter(|(k, v)| k[0] == keys::EXPIRY && v == &[keys::ONE_TIME])
        .collect()
}

/// An `Auth` holding user `ann` (password `pw`), and her id.
fn with_ann() -> (Auth<MemoryEnv>, u64) {
    let a = auth();
    let id = a.create_user("ann", "pw", "read").unwrap().id;
    (a, id)
}

fn issue(a: &Auth<MemoryEnv>, id: u64, purpose: &str) -> String {
    a.issue_one_time_token(id, purpose, None).unwrap().token
}

fn ann(id: u64) -> User {
    User {
        id,
        username: "ann".into(),
        permissions: "read".into(),
    }
}

/// A token of `purpose` that is dead (by `kill`) is refused, and deleted
/// on the way.
fn assert_killed_by(purpose: &str, kill: impl FnOnce(&Auth<MemoryEnv>, u64)) {
    let (a, id) = with_ann();
    let t = issue(&a, id, purpose);
    kill(&a, id);
    assert_eq!(
        a.redeem_one_time_token(&t, purpose),
        Err(Error::InvalidToken)
    );
    assert!(records(&a).is_empty() && expiries(&a).is_empty());
}

#[test]
fn an_issued_token_redeems_once_then_is_invalid() {
    let (a, id) = with_ann();
    let t = issue(&a, id, PURPOSE_VERIFY_EMAIL);
    assert_eq!(records(&a).len(), 1);
    assert_eq!(expiries(&a).len(), 1);
    assert_eq!(
        a.redeem_one_time_token(&t, PURPOSE_VERIFY_EMAIL),
        Ok(ann(id))
    );
    assert!(records(&a).is_empty() && expiries(&a).is_empty());
    // Unlike keg_auth's, which work until the salt they hash changes.
    assert_eq!(
        a.redeem_one_time_token(&t, PURPOSE_VERIFY_EMAIL),
        Err(Error::InvalidToken)
    );
}

#[test]
fn a_token_of_one_purpose_never_works_for_another_and_stays_usable_for_its_own() {
    let (a, id) = with_ann();
    let verify = issue(&a, id, PURPOSE_VERIFY_EMAIL);
    let reset = issue(&a, id, PURPOSE_RESET_PASSWORD);
    let before = a.env().dump();
    for other in [PURPOSE_RESET_PASSWORD, "invite", "verify-emai"] {
        assert_eq!(
            a.redeem_one_time_token(&verify, other),
            Err(Error::InvalidToken)
        );
    }
    assert_eq!(
        a.redeem_one_time_token(&reset, PURPOSE_VERIFY_EMAIL),
        Err(Error::InvalidToken)
    );
    assert_eq!(a.env().dump(), before, "nothing consumed");
    assert_eq!(
        a.redeem_one_time_token(&reset, PURPOSE_RESET_PASSWORD),
        Ok(ann(id))
    );
    assert_eq!(
        a.redeem_one_time_token(&verify, PURPOSE_VERIFY_EMAIL),
        Ok(ann(id))
    );
}

#[test]
fn caller_defined_purposes_work() {
    let (a, id) = with_ann();
    let longest = "a-9".repeat(21) + "z";
    assert_eq!(longest.len(), MAX_PURPOSE_BYTES);
    for purpose in ["invite", "delete-account-2", "0", "-", longest.as_str()] {
        let t = issue(&a, id, purpose);
        assert_eq!(
            a.redeem_one_time_token(&t, purpose),
            Ok(ann(id)),
            "{purpose}"
        );
    }
}

#[test]
fn bad_purposes_are_invalid_input_without_writes() {
    let (a, id) = with_ann();
    let t = issue(&a, id, "invite");
    let before = a.env().dump();
    let too_long = "a".repeat(MAX_PURPOSE_BYTES + 1);
    for bad in [
        "",
        "Invite",
        "RESET-PASSWORD",
        "in vite",
        " invite",
        "invite\n",
        "in_vite",
        "in.vite",
        too_long.as_str(),
        "invité",
        "ínvite",
        "\u{0}",
    ] {
        assert!(
            matches!(
                a.issue_one_time_token(id, bad, None),
                Err(Error::InvalidInput(_))
            ),
            "{bad:?}"
        );
        assert!(
            matches!(
                a.redeem_one_time_token(&t, bad),
                Err(Error::InvalidInput(_))
            ),
            "{bad:?}"
        );
    }
    assert_eq!(a.env().dump(), before);
    assert_eq!(a.redeem_one_time_token(&t, "invite"), Ok(ann(id)));
}

#[test]
fn issuing_for_a_missing_user_is_no_user_without_writes() {
    let a = auth();
    let before = a.env().dump();
    assert_eq!(
        a.issue_one_time_token(1, PURPOSE_RESET_PASSWORD, None),
        Err(Error::NoUser)
    );
    assert_eq!(
        a.issue_one_time_token(u64::MAX, PURPOSE_RESET_PASSWORD, Some(1)),
        Err(Error::NoUser)
    );
    assert_eq!(a.env().dump(), before);
}

#[test]
fn an_expired_token_is_token_expired_then_invalid_and_its_entries_are_gone() {
    let (a, id) = with_ann();
    let t = a.issue_one_time_token(id, "invite", Some(60)).unwrap();
    assert_eq!(t.expires, a.env().now() + 60);
    a.env().advance(60);
    assert_eq!(
        a.redeem_one_time_token(&t.token, "invite"),
        Err(Error::TokenExpired)
    );
    assert!(records(&a).is_empty() && expiries(&a).is_empty());
    assert_eq!(
        a.redeem_one_time_token(&t.token, "invite"),
        Err(Error::InvalidToken)
    );
}

#[test]
fn reset_password_with_an_expired_token_is_token_expired_and_changes_nothing_else() {
    let (a, id) = with_ann();
    let t = issue(&a, id, PURPOSE_RESET_PASSWORD);
    a.env().advance(DEFAULT_ONE_TIME_LIFETIME);
    assert_eq!(a.reset_password(&t, "new"), Err(Error::TokenExpired));
    assert!(records(&a).is_empty() && expiries(&a).is_empty());
    assert_eq!(a.check_password("ann", "pw"), Ok(true));
}

#[test]
fn lifetime_bounds_are_enforced() {
    let (a, id) = with_ann();
    let before = a.env().dump();
    for bad in [0, MAX_ONE_TIME_LIFETIME + 1, u64::MAX] {
        assert!(
            matches!(
                a.issue_one_time_token(id, "invite", Some(bad)),
                Err(Error::InvalidInput(_))
            ),
            "{bad}"
        );
    }
    assert_eq!(a.env().dump(), before);
    let now = a.env().now();
    for ok in [1, MAX_ONE_TIME_LIFETIME] {
        let t = a.issue_one_time_token(id, "invite", Some(ok)).unwrap();
        assert_eq!(t.expires, now + ok);
    }
}

#[test]
fn the_default_lifetime_is_four_hours() {
    let (a, id) = with_ann();
    let first = a.issue_one_time_token(id, "invite", None).unwrap();
    let second = a.issue_one_time_token(id, "invite", None).unwrap();
    assert_eq!(first.expires, a.env().now() + 4 * 60 * 60);
    a.env().advance(DEFAULT_ONE_TIME_LIFETIME - 1);
    assert_eq!(a.redeem_one_time_token(&first.token, "invite"), Ok(ann(id)));
    a.env().advance(1);
    assert_eq!(
        a.redeem_one_time_token(&second.token, "invite"),
        Err(Error::TokenExpired)
    );
}

#[test]
fn a_password_change_kills_the_token() {
    assert_killed_by(PURPOSE_RESET_PASSWORD, |a, id| {
        a.set_password(id, "other").unwrap()
    });
}

#[test]
fn delete_tokens_kills_the_token() {
    assert_killed_by("invite", |a, id| {
        a.delete_tokens(id).unwrap();
    });
}

#[test]
fn a_login_kills_the_token() {
    assert_killed_by(PURPOSE_RESET_PASSWORD, |a, _| {
        a.login("ann", "pw", None).unwrap();
    });
    // A token issued after a login (against the stamp it wrote) lives.
    let (a, id) = with_ann();
    a.login("ann", "pw", None).unwrap();
    let t = issue(&a, id, PURPOSE_RESET_PASSWORD);
    assert_eq!(
        a.redeem_one_time_token(&t, PURPOSE_RESET_PASSWORD),
        Ok(ann(id))
    );
}

#[test]
fn a_failed_login_does_not_kill_the_token() {
    let (a, id) = with_ann();
    let t = issue(&a, id, PURPOSE_RESET_PASSWORD);
    assert_eq!(a.login("ann", "wrong", None), Err(Error::InvalidPassword));
    assert_eq!(a.reset_password(&t, "new"), Ok(ann(id)));
}

#[test]
fn redeeming_a_verify_email_token_kills_the_users_other_tokens_only() {
    let a = auth();
    let id = a.create_user("ann", "pw", "read").unwrap().id;
    let bob = a.create_user("bob", "pw", "").unwrap().id;
    let verify = issue(&a, id, PURPOSE_VERIFY_EMAIL);
    let reset = issue(&a, id, PURPOSE_RESET_PASSWORD);
    let invite = issue(&a, id, "invite");
    let bobs = issue(&a, bob, PURPOSE_RESET_PASSWORD);
    assert_eq!(
        a.redeem_one_time_token(&verify, PURPOSE_VERIFY_EMAIL),
        Ok(ann(id))
    );
    assert_eq!(a.reset_password(&reset, "new"), Err(Error::InvalidToken));
    assert_eq!(
        a.redeem_one_time_token(&invite, "invite"),
        Err(Error::InvalidToken)
    );
    assert_eq!(a.check_password("ann", "pw"), Ok(true));
    assert_eq!(a.reset_password(&bobs, "new").map(|u| u.id), Ok(bob));
    // Other purposes do not replace the stamp.
    let first = issue(&a, id, "invite");
    let second = issue(&a, id, "invite");
    a.redeem_one_time_token(&first, "invite").unwrap();
    assert_eq!(a.redeem_one_time_token(&second, "invite"), Ok(ann(id)));
}

#[test]
fn deleting_the_user_kills_the_token() {
    assert_killed_by(PURPOSE_VERIFY_EMAIL, |a, id| a.delete_user(id).unwrap());
    // Nor does a new user of the same name inherit it.
    let (a, id) = with_ann();
    let t = issue(&a, id, PURPOSE_RESET_PASSWORD);
    a.delete_user(id).unwrap();
    a.create_user("ann", "pw", "read").unwrap();
    assert_eq!(a.reset_password(&t, "new"), Err(Error::InvalidToken));
    assert_eq!(a.check_password("ann", "pw"), Ok(true));
}

#[test]
fn reset_password_changes_the_password_revokes_logins_and_consumes_the_token() {
    let (a, id) = with_ann();
    let sessions: Vec<_> = (0..3)
        .map(|_| a.login("ann", "pw", None).unwrap())
        .collect();
    let t = issue(&a, id, PURPOSE_RESET_PASSWORD);
    let other = issue(&a, id, "invite");
    let commits = a.env().commits();
    assert_eq!(a.reset_password(&t, "new password"), Ok(ann(id)));
    assert_eq!(a.env().commits(), commits + 1, "one commit");
    // The revocation is recorded as `revoke` records it: the generation
    // is bumped, so every login token is dead at once, and `sweep`
    // deletes them later.
    assert_eq!(
        a.env().get(&keys::revoked(id)).unwrap(),
        Some(crate::record::encode_revocation(Some(1)))
    );
    assert_eq!(a.count_tokens(id), Ok(0));
    assert_eq!(a.sweep(100).unwrap().deleted, 3);
    assert_eq!(a.env().get(&keys::revoked(id)).unwrap(), None);
    for s in &sessions {
        assert_eq!(a.validate(&s.token), Err(Error::InvalidToken));
    }
    assert_eq!(a.check_password("ann", "pw"), Ok(false));
    assert_eq!(a.login("ann", "pw", None), Err(Error::InvalidPassword));
    assert_eq!(a.reset_password(&t, "again"), Err(Error::InvalidToken));
    assert_eq!(
        a.redeem_one_time_token(&other, "invite"),
        Err(Error::InvalidToken),
        "the user's other one-time tokens die too"
    );
    assert!(records(&a).is_empty() && expiries(&a).is_empty());
    let s = a.login("ann", "new password", None).unwrap();
    assert_eq!(a.validate(&s.token).unwrap().user, ann(id));
}

#[test]
fn reset_password_refuses_a_verify_email_token_and_leaves_it_usable() {
    let (a, id) = with_ann();
    let t = issue(&a, id, PURPOSE_VERIFY_EMAIL);
    let before = a.env().dump();
    assert_eq!(a.reset_password(&t, "new"), Err(Error::InvalidToken));
    assert_eq!(a.env().dump(), before);
    assert_eq!(a.check_password("ann", "pw"), Ok(true));
    assert_eq!(
        a.redeem_one_time_token(&t, PURPOSE_VERIFY_EMAIL),
        Ok(ann(id))
    );
}

#[test]
fn reset_password_with_an_invalid_password_writes_nothing_and_leaves_the_token_usable() {
    let (a, id) = with_ann();
    let session = a.login("ann", "pw", None).unwrap();
    let t = issue(&a, id, PURPOSE_RESET_PASSWORD);
    let before = a.env().dump();
    let commits = a.env().commits();
    for bad in [String::new(), "a".repeat(crate::MAX_PASSWORD_BYTES + 1)] {
        assert!(matches!(
            a.reset_password(&t, &bad),
            Err(Error::InvalidInput(_))
        ));
    }
    assert_eq!(a.env().dump(), before);
    assert_eq!(a.env().commits(), commits);
    assert_eq!(a.validate(&session.token).unwrap().user, ann(id));
    assert_eq!(a.reset_password(&t, "new"), Ok(ann(id)));
}

#[test]
fn the_store_never_holds_the_token() {
    let (a, id) = with_ann();
    let t = issue(&a, id, PURPOSE_RESET_PASSWORD);
    let secret = t.as_bytes();
    let random_part = &secret[ONE_TIME_TOKEN_PREFIX.len()..];
    let contains = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    for (k, v) in a.env().dump() {
        assert!(!contains(&k, random_part) && !contains(&v, random_part));
    }
    assert_eq!(records(&a)[0].0, keys::one_time(&token::digest(&t)));
    let shown = format!("{:?}", a.issue_one_time_token(id, "x", None).unwrap());
    assert!(
        shown.contains("<redacted>") && !shown.contains("motho_"),
        "{shown}"
    );
}

#[test]
fn tokens_are_random_and_prefixed_motho() {
    let (a, id) = with_ann();
    let tokens: Vec<_> = (0..20).map(|_| issue(&a, id, "invite")).collect();
    for t in &tokens {
        assert!(t.starts_with("motho_"), "{t}");
        assert_eq!(t.len(), crate::TOKEN_LEN + 1);
        assert!(token::well_formed_prefixed(t, ONE_TIME_TOKEN_PREFIX));
    }
    let mut distinct = tokens.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), tokens.len());
}

#[test]
fn malformed_tokens_are_invalid_token_never_a_panic() {
    let (a, id) = with_ann();
    let login = a.login("ann", "pw", None).unwrap().token;
    let real = issue(&a, id, PURPOSE_RESET_PASSWORD);
    let email = token::mint_prefixed(a.env(), EMAIL_TOKEN_PREFIX);
    let api = token::mint_prefixed(a.env(), crate::API_KEY_PREFIX);
    let as_login = real.replacen(ONE_TIME_TOKEN_PREFIX, TOKEN_PREFIX, 1);
    let last = if real.ends_with('A') { 'B' } else { 'A' };
    let broken = format!("{}{last}", &real[..real.len() - 1]);
    let multibyte = format!("{}é{}", &real[..40], &real[42..]);
    let unknown = token::mint_prefixed(a.env(), ONE_TIME_TOKEN_PREFIX);
    let before = a.env().dump();
    for bad in [
        "",
        "motho_",
        login.as_str(),
        email.as_str(),
        api.as_str(),
        as_login.as_str(),
        broken.as_str(),
        multibyte.as_str(),
        &real[1..],
        &format!("{real} "),
        &"é".repeat(28),
        "😀",
        unknown.as_str(),
    ] {
        assert_eq!(
            a.redeem_one_time_token(bad, PURPOSE_RESET_PASSWORD),
            Err(Error::InvalidToken),
            "{bad:?}"
        );
        assert_eq!(
            a.reset_password(bad, "new"),
            Err(Error::InvalidToken),
            "{bad:?}"
        );
    }
    assert_eq!(a.env().dump(), before);
    assert_eq!(a.reset_password(&real, "new"), Ok(ann(id)));
}

#[test]
fn sweep_deletes_expired_one_time_tokens_and_their_expiry_entries() {
    let (a, id) = with_ann();
    for _ in 0..3 {
        a.issue_one_time_token(id, "invite", Some(10)).unwrap();
    }
    let keep = a.issue_one_time_token(id, "invite", Some(100)).unwrap();
    assert_eq!(a.sweep(100).unwrap().deleted, 0);
    a.env().advance(10);
    let out = a.sweep(100).unwrap();
    assert_eq!(out.deleted, 3);
    assert_eq!(out.next_expiry, Some(keep.expires));
    assert_eq!(records(&a).len(), 1);
    assert_eq!(expiries(&a).len(), 1);
    assert_eq!(a.redeem_one_time_token(&keep.token, "invite"), Ok(ann(id)));
    assert_eq!(a.sweep(100).unwrap().next_expiry, None);
}

#[test]
fn the_record_round_trips_and_garbage_is_a_storage_error() {
    for stamp in [None, Some([0xff; 8])] {
        let r = OneTimeRecord {
            user_id: u64::MAX,
            purpose: "reset-password".into(),
            generation: 7,
            stamp,
            issued: 1,
            expires: u64::MAX,
        };
        let bytes = r.encode();
        assert_eq!(bytes[0], 1, "version 1");
        assert_eq!(OneTimeRecord::decode(&bytes), Ok(r));
        // Every truncation, every extension and every other version.
        for n in 0..bytes.len() {
            assert!(matches!(
                OneTimeRecord::decode(&bytes[..n]),
                Err(Error::Storage(_))
            ));
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            OneTimeRecord::decode(&longer),
            Err(Error::Storage(_))
        ));
        for version in [0, 2, 255] {
            let mut other = bytes.clone();
            other[0] = version;
            assert!(matches!(
                OneTimeRecord::decode(&other),
                Err(Error::Storage(_))
            ));
        }
        // Any byte of any value: an error or a record, never a panic.
        for i in 0..bytes.len() {
            for b in [0, 1, 2, 0x7f, 0x80, 0xff] {
                let mut changed = bytes.clone();
                changed[i] = b;
                let _ = OneTimeRecord::decode(&changed);
            }
        }
    }
    let mut bad_flag = OneTimeRecord {
        user_id: 1,
        purpose: "x".into(),
        generation: 0,
        stamp: None,
        issued: 0,
        expires: 0,
    }
    .encode();
    bad_flag[33] = 2;
    assert!(OneTimeRecord::decode(&bad_flag).is_err());
    for garbage in [&b""[..], b"\x01", b"garbage", &[1; 40], &[0xff; 64]] {
        assert!(matches!(
            OneTimeRecord::decode(garbage),
            Err(Error::Storage(_))
        ));
    }
}

#[test]
fn a_corrupt_record_or_stamp_is_a_storage_error_not_a_panic() {
    let (a, id) = with_ann();
    let t = issue(&a, id, "invite");
    let key = keys::one_time(&token::digest(&t));
    a.env()
        .commit(&[], &[Write::put(key, b"\x01garbage".to_vec())])
        .unwrap();
    assert!(matches!(
        a.redeem_one_time_token(&t, "invite"),
        Err(Error::Storage(_))
    ));
    a.env()
        .commit(&[], &[Write::put(keys::stamp(id), vec![1, 2, 3])])
        .unwrap();
    assert!(matches!(
        a.issue_one_time_token(id, "invite", None),
        Err(Error::Storage(_))
    ));
}

/// Two `Auth`s over one store holding `ann` (password `pw`), and her id.
fn racing() -> (Auth<Racy>, Rc<Auth<Racy>>, u64) {
    let (a, b) = Racy::pair();
    a.set_settings(Settings {
        argon2_memory_kib: 64,
        argon2_iterations: 1,
        allow_weak_hashing: true,
        // Tests use short passwords; the policy has tests of its own.
        min_password_length: 1,
        refuse_common_passwords: false,
        ..Settings::default()
    })
    .unwrap();
    let id = a.create_user("ann", "pw", "read").unwrap().id;
    (a, b, id)
}

#[test]
fn two_racing_redeems_cannot_both_succeed() {
    let (a, b, id) = racing();
    let t = a.issue_one_time_token(id, "invite", None).unwrap().token;
    let (b2, t2) = (b.clone(), t.clone());
    before_next_commit(&a, move || {
        assert_eq!(
            b2.redeem_one_time_token(&t2, "invite").map(|u| u.id),
            Ok(id)
        );
    });
    assert_eq!(
        a.redeem_one_time_token(&t, "invite"),
        Err(Error::InvalidToken)
    );
    assert!(a.env().before_commit.borrow().is_none(), "the race ran");
}

#[test]
fn a_login_racing_a_redeem_wins() {
    let (a, b, id) = racing();
    let t = a
        .issue_one_time_token(id, PURPOSE_RESET_PASSWORD, None)
        .unwrap()
        .token;
    before_next_commit(&a, move || {
        b.login("ann", "pw", None).unwrap();
    });
    assert_eq!(a.reset_password(&t, "new"), Err(Error::InvalidToken));
    assert_eq!(a.check_password("ann", "pw"), Ok(true));
    assert!(
        a.env()
            .store
            .dump()
            .iter()
            .all(|(k, _)| k[0] != keys::ONE_TIME)
    );
}

#[test]
fn a_password_change_racing_a_reset_wins() {
    let (a, b, id) = racing();
    let t = a
        .issue_one_time_token(id, PURPOSE_RESET_PASSWORD, None)
        .unwrap()
        .token;
    before_next_commit(&a, move || b.set_password(id, "theirs").unwrap());
    assert_eq!(a.reset_password(&t, "mine"), Err(Error::InvalidToken));
    assert_eq!(a.check_password("ann", "theirs"), Ok(true));
}

/// The issue retries against the stamp the login wrote, so the token it
/// returns is live, and the conflicting attempt left nothing behind.
#[test]
fn a_token_issued_racing_a_login_is_issued_against_it() {
    let (a, b, id) = racing();
    before_next_commit(&a, move || {
        b.login("ann", "pw", None).unwrap();
    });
    let t = a.issue_one_time_token(id, "invite", None).unwrap().token;
    let kept: Vec<_> = a.env().store.dump();
    assert_eq!(
        kept.iter().filter(|(k, _)| k[0] == keys::ONE_TIME).count(),
        1
    );
    assert_eq!(a.redeem_one_time_token(&t, "invite").map(|u| u.id), Ok(id));
}

/// Nobody without a live reset token can make moth spend an Argon2 run:
/// the token is checked before the password is hashed.
#[test]
fn reset_password_hashes_nothing_for_a_token_that_is_not_live() {
    let (a, _, id) = racing();
    let verify = a
        .issue_one_time_token(id, PURPOSE_VERIFY_EMAIL, None)
        .unwrap();
    let expired = a
        .issue_one_time_token(id, PURPOSE_RESET_PASSWORD, Some(1))
        .unwrap();
    let live = a
        .issue_one_time_token(id, PURPOSE_RESET_PASSWORD, Some(10))
        .unwrap();
    let unknown = token::mint_prefixed(a.env(), ONE_TIME_TOKEN_PREFIX);
    a.env().store.advance(1);
    let draws = a.env().draws.get();
    assert_eq!(a.reset_password(&unknown, "new"), Err(Error::InvalidToken));
    assert_eq!(
        a.reset_password(&verify.token, "new"),
        Err(Error::InvalidToken)
    );
    assert_eq!(
        a.reset_password(&expired.token, "new"),
        Err(Error::TokenExpired)
    );
    assert_eq!(
        a.env().draws.get(),
        draws,
        "no salt drawn, so nothing hashed"
    );
    assert_eq!(a.reset_password(&live.token, "new").map(|u| u.id), Ok(id));
    assert!(a.env().draws.get() > draws);
}

#[test]
fn reset_password_applies_the_policy_and_a_refusal_leaves_the_token_usable() {
    let (a, id) = with_ann();
    a.set_settings(Settings {
        min_password_length: 8,
        refuse_common_passwords: true,
        ..a.get_settings().unwrap()
    })
    .unwrap();
    let t = issue(&a, id, PURPOSE_RESET_PASSWORD);
    for (p, rule) in [
        ("brief", "at least 8"),
        ("letmein1", "too common"),
        ("my-ann-pass", "username"),
    ] {
        match a.reset_password(&t, p) {
            Err(Error::InvalidInput(m)) => assert!(m.contains(rule), "{m}"),
            other => panic!("{p}: {other:?}"),
        }
    }
    assert_eq!(a.check_password("ann", "pw"), Ok(true));
    assert_eq!(a.reset_password(&t, "violet-harbor-quince"), Ok(ann(id)));
}
