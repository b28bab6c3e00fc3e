//! Tests of the per-user cap on live tokens.

use super::revocation_tests::assert_only_live_keys;
use crate::users::tests::auth;
use crate::{DEFAULT_TOKENS_PER_USER, Error, Session, Settings};

#[test]
fn the_cap_deletes_the_oldest_token_in_the_login_commit() {
    let a = auth();
    let id = a.create_user("ann", "pw", "").unwrap().id;
    let cap = u64::from(DEFAULT_TOKENS_PER_USER);
    let minted: Vec<Session> = (0..cap)
        .map(|_| {
            a.env().advance(1);
            a.mint_for(id, 1000 * cap, Some(DEFAULT_TOKENS_PER_USER))
                .unwrap()
        })
        .collect();
    assert_eq!(a.count_tokens(id), Ok(cap));
    a.env().reset_max_commit_writes();
    let newest = a.login("ann", "pw", None).unwrap();
    assert_eq!(
        a.env().max_commit_writes(),
        7,
        "three keys in, three out, and the stamp"
    );
    assert_eq!(a.count_tokens(id), Ok(cap));
    assert_eq!(a.validate(&minted[0].token), Err(Error::InvalidToken));
    for s in [&minted[1], &minted[cap as usize - 1], &newest] {
        assert!(a.validate(&s.token).is_ok());
    }
    a.login("ann", "pw", None).unwrap();
    assert_eq!(a.validate(&minted[1].token), Err(Error::InvalidToken));
    assert_eq!(a.count_tokens(id), Ok(cap));
    assert_only_live_keys(&a);
}

#[test]
fn the_cap_deletes_expired_tokens_before_live_ones() {
    let a = auth();
    let id = a.create_user("ann", "pw", "").unwrap().id;
    let mint = |lifetime| {
        a.env().advance(1);
        a.mint_for(id, lifetime, Some(3)).unwrap().token
    };
    let (old, short, mid) = (mint(1000), mint(5), mint(1000));
    a.env().advance(10);
    let newer = mint(1000);
    assert_eq!(
        a.validate(&short),
        Err(Error::InvalidToken),
        "expired first"
    );
    assert!(a.validate(&old).is_ok());
    let newest = mint(1000);
    assert_eq!(
        a.validate(&old),
        Err(Error::InvalidToken),
        "then the oldest"
    );
    for t in [&mid, &newer, &newest] {
        assert!(a.validate(t).is_ok());
    }
    assert_eq!(a.count_tokens(id), Ok(3));
}

/// Logins of one user that race can overshoot the cap; the next login
/// trims back to it, a bounded number at a time.
#[test]
fn the_next_login_trims_an_overshoot_back_to_the_cap() {
    let a = auth();
    let id = a.create_user("ann", "pw", "").unwrap().id;
    for _ in 0..25 {
        a.mint_for(id, 1000, None).unwrap();
    }
    a.env().reset_max_commit_writes();
    a.mint_for(id, 1000, Some(5)).unwrap();
    assert_eq!(
        a.env().max_commit_writes(),
        3 + 3 * 17,
        "16 evictions at most"
    );
    assert_eq!(a.count_tokens(id), Ok(25 - 17 + 1));
    a.mint_for(id, 1000, Some(5)).unwrap();
    assert_eq!(a.count_tokens(id), Ok(5));
}

#[test]
fn the_cap_is_a_setting_of_each_store() {
    let a = auth();
    let cheap = a.get_settings().unwrap();
    a.set_settings(Settings {
        max_tokens_per_user: 3,
        ..cheap
    })
    .unwrap();
    let id = a.create_user("ann", "pw", "").unwrap().id;
    let tokens: Vec<Session> = (0..5)
        .map(|_| {
            a.env().advance(1);
            a.login("ann", "pw", None).unwrap()
        })
        .collect();
    assert_eq!(a.count_tokens(id), Ok(3));
    for (i, s) in tokens.iter().enumerate() {
        assert_eq!(a.validate(&s.token).is_ok(), i >= 2, "token {i}");
    }
    // Raising it lets tokens accumulate again; nothing is revoked by it.
    a.set_settings(Settings {
        max_tokens_per_user: 4,
        ..cheap
    })
    .unwrap();
    a.env().advance(1);
    a.login("ann", "pw", None).unwrap();
    assert_eq!(a.count_tokens(id), Ok(4));
    assert_only_live_keys(&a);
}
