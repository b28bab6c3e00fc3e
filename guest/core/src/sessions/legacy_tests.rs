//! Tests of a store written before the `l` index and 64-bit generations:
//! its tokens validate, count, expire and are revoked as before.

use super::revocation_tests::assert_only_live_keys;
use crate::env::{Env, Write};
use crate::memory::MemoryEnv;
use crate::record::{LegacySessionEntry, TokenRecord, UserRecord};
use crate::users::tests::auth;
use crate::{Auth, Error, keys, token};

/// A store as version 1 wrote it: a 32-bit generation in the user record,
/// version-1 token records indexed under `s` + user id + digest.
fn legacy_tokens(a: &Auth<MemoryEnv>, id: u64, lifetimes: &[u64]) -> Vec<String> {
    let user = a.load_user(id).unwrap().unwrap().record;
    let mut v1 = vec![1];
    v1.extend_from_slice(&id.to_be_bytes());
    v1.extend_from_slice(&(user.generation as u32).to_be_bytes());
    for s in [&user.username, &user.permissions, &user.password_hash] {
        v1.extend_from_slice(&(s.len() as u32).to_be_bytes());
        v1.extend_from_slice(s.as_bytes());
    }
    assert_eq!(UserRecord::decode(&v1).unwrap(), user);
    let mut writes = vec![Write::put(keys::user(id), v1)];
    let mut tokens = Vec::new();
    for &lifetime in lifetimes {
        let t = token::mint(a.env());
        let digest = token::digest(&t);
        let (generation, expires) = (user.generation, a.env().now() + lifetime);
        let record = TokenRecord {
            user_id: id,
            generation,
            minted: None,
            expires,
        };
        let entry = LegacySessionEntry {
            generation,
            expires,
        };
        writes.push(Write::put(keys::token(&digest), record.encode()));
        writes.push(Write::put(
            keys::legacy_session(id, &digest),
            entry.encode(),
        ));
        writes.push(Write::put(keys::expiry(expires, &digest), Vec::new()));
        tokens.push(t);
    }
    a.env().commit(&[], &writes).unwrap();
    tokens
}

#[test]
fn a_store_written_before_the_l_index_keeps_working() {
    let a = auth();
    let ann = a.create_user("ann", "pw", "").unwrap();
    let bob = a.create_user("bob", "pw", "").unwrap().id;
    let old = legacy_tokens(&a, ann.id, &[10, 1000, 1000, 1000]);
    legacy_tokens(&a, bob, &[1000; 3]);
    let new = a.login("ann", "pw", None).unwrap();
    assert_eq!(a.validate(&old[1]).unwrap().user, ann);
    assert_eq!(a.count_tokens(ann.id), Ok(5), "legacy and new tokens count");
    a.logout(&old[1]).unwrap();
    assert_eq!(a.validate(&old[1]), Err(Error::InvalidToken));
    a.env().advance(10);
    assert_eq!(a.sweep(10).unwrap().deleted, 1, "a legacy token expired");
    assert_eq!(a.count_tokens(ann.id), Ok(3));
    a.env().reset_max_commit_writes();
    assert_eq!(a.delete_tokens(ann.id), Ok(3));
    assert_eq!(a.env().max_commit_writes(), 2);
    for t in [&old[2], &new.token] {
        assert_eq!(a.validate(t), Err(Error::InvalidToken));
    }
    assert_eq!(
        a.sweep(10).unwrap().deleted,
        1,
        "old[3], the legacy one left"
    );
    assert_eq!(a.count_tokens(bob), Ok(3), "bob's legacy tokens stay");
    a.delete_user(bob).unwrap();
    assert_eq!(a.sweep(10).unwrap().deleted, 3);
    assert_only_live_keys(&a);
    assert_eq!(
        a.env().len(),
        5,
        "ann, her name, her login stamp, the id counter, settings"
    );
}

#[test]
fn legacy_sessions_are_listed_without_a_mint_time_and_can_be_ended() {
    let a = auth();
    let id = a.create_user("ann", "pw", "").unwrap().id;
    let old = legacy_tokens(&a, id, &[100, 200]);
    let new = a.login("ann", "pw", None).unwrap().token;
    let listed = a.list_sessions(id).unwrap();
    let created: Vec<_> = listed.iter().map(|s| s.created.is_some()).collect();
    assert_eq!(
        created,
        [true, false, false],
        "current sessions first, then legacy"
    );
    let first_old = token::public_id(&token::digest(&old[0]));
    a.revoke_session(id, &first_old).unwrap();
    assert_eq!(a.validate(&old[0]), Err(Error::InvalidToken));
    assert_eq!(a.revoke_other_sessions(&new), Ok(1));
    assert_eq!(a.validate(&old[1]), Err(Error::InvalidToken));
    assert!(a.validate(&new).is_ok());
    assert_eq!(a.list_sessions(id).unwrap().len(), 1);
}
