//! Tests of revocation at scale and its cleanup by `sweep`, and the
//! helpers that check a store holds only live tokens.

use std::collections::BTreeMap;

use super::index_key;
use crate::env::{Env, Write};
use crate::memory::MemoryEnv;
use crate::record::{TokenRecord, encode_revocation};
use crate::users::tests::auth;
use crate::{Auth, Error, MAX_LIFETIME, MAX_SWEEP_REVOCATIONS, Session, SweepOutcome, keys};

/// How many tokens the scale tests give one user.
const MANY: u64 = 100_000;
/// The batch the host sweeps with.
const LIMIT: u32 = 1000;

/// Sweep as the host does, until a call deletes fewer than `LIMIT`,
/// checking that no commit exceeds `3 × LIMIT` writes and that the last
/// call left nothing to clean up. Returns how many tokens it deleted.
pub(super) fn sweep_all(a: &Auth<MemoryEnv>) -> u64 {
    let mut total = 0;
    loop {
        a.env().reset_max_commit_writes();
        let out = a.sweep(LIMIT).unwrap();
        let most = a.env().max_commit_writes();
        assert!(most <= 3 * u64::from(LIMIT), "a commit of {most} writes");
        assert!(out.deleted <= u64::from(LIMIT));
        total += out.deleted;
        if out.deleted < u64::from(LIMIT) {
            let pending = a.env().dump().iter().any(|(k, _)| k[0] == keys::REVOKED);
            assert!(!pending, "a short sweep left a revocation: {out:?}");
            return total;
        }
    }
}

/// Every token stored is live and has exactly its three keys; every other
/// key is a user, a username claim or metadata. No revocation is pending.
pub(super) fn assert_only_live_keys(a: &Auth<MemoryEnv>) {
    let now = a.env().now();
    let store: BTreeMap<_, _> = a.env().dump().into_iter().collect();
    let (mut tokens, mut indexed, mut expiries) = (0, 0, 0);
    for (k, v) in &store {
        match k[0] {
            keys::TOKEN => {
                let r = TokenRecord::decode(v).unwrap();
                let user = a
                    .load_user(r.user_id)
                    .unwrap()
                    .expect("a deleted user's token");
                assert_eq!(user.record.generation, r.generation, "a revoked token");
                assert!(r.expires > now, "an expired token");
                let digest = keys::trailing_digest(k).unwrap();
                assert!(store.contains_key(&index_key(&digest, &r)));
                assert!(store.contains_key(&keys::expiry(r.expires, &digest)));
                tokens += 1;
            }
            keys::SESSION | keys::LEGACY_SESSION => indexed += 1,
            keys::EXPIRY => expiries += 1,
            keys::USER | keys::NAME | keys::META | keys::STAMP => {}
            _ => panic!("unexpected key {:?}", k.escape_ascii().to_string()),
        }
    }
    assert_eq!(
        (indexed, expiries),
        (tokens, tokens),
        "orphaned index entries"
    );
}

/// `auth()` with user "ann" holding `n` ten-year tokens, minted past the
/// cap as a store written before it could hold them. Returns a few of them.
fn ann_with(n: u64) -> (Auth<MemoryEnv>, u64, Vec<Session>) {
    let a = auth();
    let id = a.create_user("ann", "pw", "").unwrap().id;
    let mut kept = Vec::new();
    for i in 0..n {
        let s = a.mint_for(id, MAX_LIFETIME, None).unwrap();
        if i % (n / 4).max(1) == 0 || i == n - 1 {
            kept.push(s);
        }
    }
    assert_eq!(a.count_tokens(id), Ok(n));
    (a, id, kept)
}

/// Revoke `MANY` tokens with `revoke`: one commit of at most `writes`
/// writes; the tokens are dead at once; sweeping deletes them all in
/// bounded batches, leaving only live keys.
fn revoke_at_scale(revoke: impl Fn(&Auth<MemoryEnv>, u64), writes: u64) {
    let (a, id, kept) = ann_with(MANY);
    let keys_before = a.env().len();
    a.env().reset_max_commit_writes();
    let commits = a.env().commits();
    revoke(&a, id);
    assert_eq!(a.env().commits(), commits + 1, "one commit");
    assert!(a.env().max_commit_writes() <= writes);
    assert!(a.env().len() <= keys_before + 1, "nothing deleted yet");
    assert!(matches!(a.count_tokens(id), Ok(0) | Err(Error::NoUser)));
    for s in &kept {
        assert_eq!(a.validate(&s.token), Err(Error::InvalidToken));
    }
    let first = a.sweep(LIMIT).unwrap();
    assert_eq!(first.deleted, u64::from(LIMIT), "a full batch: call again");
    let ten_years = a.env().now() + MAX_LIFETIME;
    assert!(first.next_expiry <= Some(ten_years), "{first:?}");
    let swept = u64::from(LIMIT) + sweep_all(&a);
    assert_eq!(swept, MANY - kept.len() as u64, "validate deleted the rest");
    assert_only_live_keys(&a);
}

#[test]
fn delete_tokens_of_100k_is_one_small_commit_and_swept_in_batches() {
    revoke_at_scale(|a, id| assert_eq!(a.delete_tokens(id), Ok(MANY)), 2);
}

#[test]
fn set_password_with_100k_tokens_is_one_small_commit() {
    revoke_at_scale(|a, id| a.set_password(id, "new").unwrap(), 2);
}

#[test]
fn delete_user_with_100k_tokens_is_one_small_commit() {
    // The user, the name claim, the revocation record and the stamp.
    revoke_at_scale(|a, id| a.delete_user(id).unwrap(), 4);
}

#[test]
fn tokens_minted_after_a_revocation_live_through_its_cleanup() {
    let (a, id, kept) = ann_with(2500);
    a.delete_tokens(id).unwrap();
    let fresh = a.login("ann", "pw", Some(100)).unwrap();
    let t0 = a.env().now();
    // Partial sweeps delete a full batch, so the host calls again.
    for _ in 0..2 {
        assert_eq!(
            a.sweep(LIMIT),
            Ok(SweepOutcome {
                deleted: u64::from(LIMIT),
                next_expiry: Some(t0 + 100)
            })
        );
        assert_eq!(a.validate(&fresh.token).unwrap().user.id, id);
    }
    assert_eq!(
        a.sweep(LIMIT),
        Ok(SweepOutcome {
            deleted: 500,
            next_expiry: Some(t0 + 100)
        }),
        "done"
    );
    assert_eq!(a.count_tokens(id), Ok(1));
    assert_eq!(a.validate(&kept[0].token), Err(Error::InvalidToken));
    assert_only_live_keys(&a);
}

#[test]
fn revocations_of_many_users_are_cleaned_first_user_first() {
    let a = auth();
    let ids: Vec<u64> = (0..5)
        .map(|i| a.create_user(&format!("u{i}"), "pw", "").unwrap().id)
        .collect();
    for &id in &ids {
        for _ in 0..3 {
            a.mint_for(id, 1000, None).unwrap();
        }
    }
    a.delete_user(ids[0]).unwrap();
    a.delete_tokens(ids[1]).unwrap();
    a.set_password(ids[2], "new").unwrap();
    a.delete_tokens(ids[2]).unwrap(); // two revocations, one record
    // Full batches: the host calls again; the expiries are all the same.
    let next_expiry = Some(a.env().now() + 1000);
    for deleted in [4, 4, 1] {
        assert_eq!(
            a.sweep(4),
            Ok(SweepOutcome {
                deleted,
                next_expiry
            })
        );
    }
    assert_eq!(a.count_tokens(ids[3]), Ok(3));
    assert_only_live_keys(&a);
}

#[test]
fn expired_tokens_are_swept_before_revoked_ones() {
    let a = auth();
    let id = a.create_user("ann", "pw", "").unwrap().id;
    for lifetime in [10, 10, 1000, 1000] {
        a.mint_for(id, lifetime, None).unwrap();
    }
    a.delete_tokens(id).unwrap();
    a.env().advance(10);
    let now = a.env().now();
    assert_eq!(
        a.sweep(2),
        Ok(SweepOutcome {
            deleted: 2,
            next_expiry: Some(now + 990)
        }),
        "revoked tokens count as stored until deleted"
    );
    assert_eq!(
        a.env()
            .dump()
            .iter()
            .filter(|(k, _)| k[0] == keys::EXPIRY)
            .count(),
        2
    );
    assert_eq!(a.sweep(2).unwrap().deleted, 2);
    assert_eq!(
        a.sweep(2),
        Ok(SweepOutcome {
            deleted: 0,
            next_expiry: None
        })
    );
    assert_only_live_keys(&a);
}

/// Revocations whose tokens are already gone cost no budget; past
/// `MAX_SWEEP_REVOCATIONS` of them a short sweep says it is due again now.
#[test]
fn many_revocations_with_nothing_left_are_dropped_in_bounded_batches() {
    let a = auth();
    let id = a.create_user("ann", "pw", "").unwrap().id;
    let expires = a.mint_for(id, 1000, None).unwrap().expires;
    let n = u64::from(MAX_SWEEP_REVOCATIONS) + 100;
    let records: Vec<Write> = (1000..1000 + n)
        .map(|gone| Write::put(keys::revoked(gone), encode_revocation(None)))
        .collect();
    a.env().commit(&[], &records).unwrap();
    let now = a.env().now();
    a.env().reset_max_commit_writes();
    assert_eq!(
        a.sweep(1),
        Ok(SweepOutcome {
            deleted: 0,
            next_expiry: Some(now)
        }),
        "records left, and a short batch: due now"
    );
    assert_eq!(
        a.env().max_commit_writes(),
        u64::from(MAX_SWEEP_REVOCATIONS)
    );
    assert_eq!(
        a.sweep(1),
        Ok(SweepOutcome {
            deleted: 0,
            next_expiry: Some(expires)
        })
    );
    assert_only_live_keys(&a);
}

#[test]
fn generations_grow_past_u32_and_never_wrap() {
    let a = auth();
    let id = a.create_user("ann", "pw", "").unwrap().id;
    a.rewrite_user(id, |r| r.generation = u64::from(u32::MAX))
        .unwrap();
    let s = a.login("ann", "pw", None).unwrap();
    assert_eq!(a.delete_tokens(id), Ok(1));
    assert_eq!(a.load_user(id).unwrap().unwrap().record.generation, 1 << 32);
    assert_eq!(a.validate(&s.token), Err(Error::InvalidToken));
    a.rewrite_user(id, |r| r.generation = u64::MAX).unwrap();
    let s = a.login("ann", "pw", None).unwrap();
    assert!(matches!(a.delete_tokens(id), Err(Error::Storage(_))));
    assert!(matches!(a.set_password(id, "x"), Err(Error::Storage(_))));
    assert!(
        a.validate(&s.token).is_ok(),
        "a refused revocation changed nothing"
    );
    a.delete_user(id).unwrap();
    assert_eq!(a.validate(&s.token), Err(Error::InvalidToken));
}

/// Logins and sweeps racing revocations, on threads: no token minted
/// before a revocation survives it, and cleanup ends with only live keys.
#[test]
fn revocations_racing_logins_and_sweeps_leave_only_live_tokens() {
    let a = auth();
    let id = a.create_user("ann", "pw", "").unwrap().id;
    let minted: Vec<Session> = std::thread::scope(|s| {
        let loggers: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    (0..150)
                        .map(|_| a.mint_for(id, 1000, Some(50)).unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        s.spawn(|| {
            for _ in 0..20 {
                a.delete_tokens(id).unwrap();
                a.sweep(7).unwrap();
            }
        });
        s.spawn(|| {
            for _ in 0..50 {
                a.sweep(5).unwrap();
            }
        });
        loggers
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    a.delete_tokens(id).unwrap();
    for session in &minted {
        assert_eq!(a.validate(&session.token), Err(Error::InvalidToken));
    }
    sweep_all(&a);
    assert_only_live_keys(&a);
    assert_eq!(a.env().len(), 4, "no token is left");
    assert_eq!(minted.len(), 600);
}
