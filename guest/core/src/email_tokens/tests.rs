//! Tests of email tokens, including regression tests of the flaws of the
//! `moth` 2.1.1 seed: unprefixed tokens stored in clear, failed checks that
//! left the token usable, "never" expiries, one retval per address, IP
//! binding that refused unbound tokens, and no per-address bound.

use core::cell::RefCell;

use super::*;
use crate::env::{Entry, StoreError};
use crate::memory::MemoryEnv;
use crate::record::EmailTokenRecord;
use crate::users::tests::auth;

const ANN: &str = "ann@example.com";
const BOB: &str = "bob@example.com";

fn uses(n: u32) -> EmailTokenOptions {
    EmailTokenOptions {
        uses: Some(n),
        ..EmailTokenOptions::default()
    }
}

fn bound(ip: &str) -> EmailTokenOptions {
    EmailTokenOptions {
        ip: Some(ip.into()),
        ..EmailTokenOptions::default()
    }
}

fn lasting(secs: u64) -> EmailTokenOptions {
    EmailTokenOptions {
        lifetime: Some(secs),
        ..EmailTokenOptions::default()
    }
}

fn returning(retval: &str, n: u32) -> EmailTokenOptions {
    EmailTokenOptions {
        retval: Some(retval.into()),
        uses: Some(n),
        ..EmailTokenOptions::default()
    }
}

/// The stored entries of email tokens: records (`a`), address index (`b`)
/// and expiry index (`e`, which only email tokens write in these tests).
fn email_entries(env: &MemoryEnv) -> Vec<Entry> {
    env.dump()
        .into_iter()
        .filter(|(k, _)| [keys::EMAIL_TOKEN, keys::ADDRESS, keys::EXPIRY].contains(&k[0]))
        .collect()
}

/// The three keys the token `t` of `address`, created at `created`, is
/// stored under.
fn three_keys(t: &EmailToken, address: &str, created: u64) -> [Vec<u8>; 3] {
    let d = token::digest(&t.token);
    [
        keys::email_token(&d),
        keys::address_token(address, created, &d),
        keys::expiry(t.expires, &d),
    ]
}

/// Create a token, returning it with its creation time.
fn made(a: &Auth<MemoryEnv>, address: &str, options: &EmailTokenOptions) -> (EmailToken, u64) {
    let created = a.env().now();
    (a.create_email_token(address, options).unwrap(), created)
}

fn is_invalid_input<T: fmt::Debug>(r: Result<T>) -> bool {
    matches!(r, Err(Error::InvalidInput(_)))
}

#[test]
fn tokens_have_the_mothe_prefix_256_random_bits_and_are_never_stored() {
    let a = auth();
    let t = a
        .create_email_token(ANN, &EmailTokenOptions::default())
        .unwrap();
    assert!(t.token.starts_with("mothe_"), "{}", t.token);
    assert!(token::well_formed_prefixed(&t.token, EMAIL_TOKEN_PREFIX));
    // 43 base64 characters are 258 bits, 256 of them random.
    assert_eq!(t.token.len(), "mothe_".len() + 43 + 6);
    assert_eq!(t.id, token::public_id(&token::digest(&t.token)));
    let random = &t.token.as_bytes()["mothe_".len()..][..43];
    for (k, v) in a.env().dump() {
        for stored in [&k, &v] {
            assert!(
                !stored.windows(random.len()).any(|w| w == random),
                "the token is in the store"
            );
        }
    }
    let d = token::digest(&t.token);
    assert!(a.env().get(&keys::email_token(&d)).unwrap().is_some());
}

#[test]
fn one_token_is_three_keys_and_its_expiry_entry_names_email_tokens() {
    let a = auth();
    let now = a.env().now();
    let t = a
        .create_email_token(ANN, &EmailTokenOptions::default())
        .unwrap();
    assert_eq!(t.expires, now + DEFAULT_EMAIL_TOKEN_LIFETIME);
    let [record, index, expiry] = three_keys(&t, ANN, now);
    let entries = email_entries(a.env());
    assert_eq!(entries.len(), 3);
    let value = |key: &Vec<u8>| entries.iter().find(|(k, _)| k == key).unwrap().1.clone();
    assert_eq!(value(&expiry), vec![keys::EMAIL_TOKEN]);
    assert_eq!(value(&index), Vec::<u8>::new());
    let stored = EmailTokenRecord::decode(&value(&record)).unwrap();
    assert_eq!(
        stored,
        EmailTokenRecord {
            address: ANN.into(),
            ip: None,
            created: now,
            expires: t.expires,
            uses_left: 1,
            retval: None,
        }
    );
}

#[test]
fn an_expired_token_is_deleted_and_the_error_says_it_expired() {
    let a = auth();
    let t = a.create_email_token(ANN, &returning("x", 5)).unwrap();
    a.env().advance(DEFAULT_EMAIL_TOKEN_LIFETIME - 1);
    assert_eq!(
        a.auth_email_token(ANN, &t.token, None),
        Ok(Some("x".into()))
    );
    a.env().advance(1);
    assert_eq!(
        a.auth_email_token(ANN, &t.token, None),
        Err(Error::TokenExpired)
    );
    assert!(email_entries(a.env()).is_empty(), "all three keys deleted");
    assert_eq!(
        a.auth_email_token(ANN, &t.token, None),
        Err(Error::InvalidToken)
    );
}

#[test]
fn a_failed_ip_check_deletes_the_token_and_the_error_says_ip_mismatch() {
    let a = auth();
    let t = a.create_email_token(ANN, &bound("192.0.2.1")).unwrap();
    assert_eq!(
        a.auth_email_token(ANN, &t.token, Some("192.0.2.2")),
        Err(Error::IpMismatch)
    );
    assert!(email_entries(a.env()).is_empty(), "all three keys deleted");
    assert_eq!(
        a.auth_email_token(ANN, &t.token, Some("192.0.2.1")),
        Err(Error::InvalidToken),
        "the right IP comes too late"
    );
}

#[test]
fn a_bound_token_refuses_a_caller_without_an_ip() {
    let a = auth();
    let t = a.create_email_token(ANN, &bound("2001:db8::1")).unwrap();
    assert_eq!(
        a.auth_email_token(ANN, &t.token, None),
        Err(Error::IpMismatch)
    );
    assert!(email_entries(a.env()).is_empty());
}

/// Expiry is checked before the IP: both delete, the error names expiry.
#[test]
fn an_expired_bound_token_used_from_another_ip_says_expired() {
    let a = auth();
    let t = a.create_email_token(ANN, &bound("192.0.2.1")).unwrap();
    a.env().advance(DEFAULT_EMAIL_TOKEN_LIFETIME);
    assert_eq!(
        a.auth_email_token(ANN, &t.token, Some("192.0.2.9")),
        Err(Error::TokenExpired)
    );
    assert!(email_entries(a.env()).is_empty());
}

#[test]
fn an_unbound_token_accepts_a_caller_with_an_ip_and_one_without() {
    let a = auth();
    let t = a.create_email_token(ANN, &uses(3)).unwrap();
    assert_eq!(
        a.auth_email_token(ANN, &t.token, Some("203.0.113.9")),
        Ok(None)
    );
    assert_eq!(
        a.auth_email_token(ANN, &t.token, Some("2001:db8::7")),
        Ok(None)
    );
    assert_eq!(a.auth_email_token(ANN, &t.token, None), Ok(None));
}

#[test]
fn an_ipv4_mapped_ipv6_address_is_the_ipv4_address() {
    let a = auth();
    let mapped = a
        .create_email_token(ANN, &bound("::ffff:192.0.2.1"))
        .unwrap();
    let plain = a.create_email_token(ANN, &bound("192.0.2.1")).unwrap();
    let v6 = a
        .create_email_token(ANN, &bound("2001:DB8:0:0::1"))
        .unwrap();
    let ips: Vec<_> = a
        .list_email_tokens(ANN)
        .unwrap()
        .into_iter()
        .map(|i| i.ip)
        .collect();
    assert!(
        ips.iter()
            .filter(|ip| ip.as_deref() == Some("192.0.2.1"))
            .count()
            == 2
    );
    assert!(
        ips.contains(&Some("2001:db8::1".into())),
        "canonical: {ips:?}"
    );
    assert_eq!(
        a.auth_email_token(ANN, &mapped.token, Some("192.0.2.1")),
        Ok(None)
    );
    assert_eq!(
        a.auth_email_token(ANN, &plain.token, Some("::ffff:192.0.2.1")),
        Ok(None)
    );
    assert_eq!(
        a.auth_email_token(ANN, &v6.token, Some("2001:db8::0:1")),
        Ok(None)
    );
}

#[test]
fn expiry_is_integer_seconds_bounded_on_both_sides_with_no_never() {
    let a = auth();
    let before = a.env().len();
    for bad in [0, MAX_EMAIL_TOKEN_LIFETIME + 1, u64::MAX] {
        assert!(
            is_invalid_input(a.create_email_token(ANN, &lasting(bad))),
            "{bad}"
        );
    }
    assert_eq!(a.env().len(), before, "refused without writing");
    let now = a.env().now();
    let longest = a
        .create_email_token(ANN, &lasting(MAX_EMAIL_TOKEN_LIFETIME))
        .unwrap();
    assert_eq!(longest.expires, now + MAX_EMAIL_TOKEN_LIFETIME);
    let shortest = a.create_email_token(ANN, &lasting(1)).unwrap();
    assert_eq!(shortest.expires, now + 1);
    let default = a
        .create_email_token(ANN, &EmailTokenOptions::default())
        .unwrap();
    assert_eq!(default.expires, now + DEFAULT_EMAIL_TOKEN_LIFETIME);
}

#[test]
fn a_lifetime_overflowing_the_clock_is_refused_without_writing() {
    let a = auth();
    a.env().set_now(u64::MAX - 10);
    let before = a.env().len();
    assert!(is_invalid_input(a.create_email_token(ANN, &lasting(11))));
    assert_eq!(a.env().len(), before);
}

#[test]
fn each_token_keeps_its_own_retval() {
    let a = auth();
    let one = a.create_email_token(ANN, &returning("one", 2)).unwrap();
    let two = a.create_email_token(ANN, &returning("two", 2)).unwrap();
    assert_eq!(
        a.auth_email_token(ANN, &one.token, None),
        Ok(Some("one".into()))
    );
    assert_eq!(
        a.auth_email_token(ANN, &two.token, None),
        Ok(Some("two".into()))
    );
    a.set_email_token_retval(ANN, &one.token, Some("uno"))
        .unwrap();
    assert_eq!(
        a.auth_email_token(ANN, &one.token, None),
        Ok(Some("uno".into()))
    );
    assert_eq!(
        a.auth_email_token(ANN, &two.token, None),
        Ok(Some("two".into())),
        "set_retval changed only its own token"
    );
}

#[test]
fn an_empty_retval_is_kept_apart_from_none() {
    let a = auth();
    let empty = a.create_email_token(ANN, &returning("", 2)).unwrap();
    assert_eq!(
        a.auth_email_token(ANN, &empty.token, None),
        Ok(Some(String::new()))
    );
    a.set_email_token_retval(ANN, &empty.token, None).unwrap();
    assert_eq!(a.auth_email_token(ANN, &empty.token, None), Ok(None));
    let none = a.create_email_token(ANN, &uses(2)).unwrap();
    a.set_email_token_retval(ANN, &none.token, Some(""))
        .unwrap();
    assert_eq!(
        a.auth_email_token(ANN, &none.token, None),
        Ok(Some(String::new()))
    );
}

#[test]
fn set_retval_refuses_bad_tokens_and_oversized_retvals_without_writing() {
    let a = auth();
    let t = a.create_email_token(ANN, &returning("keep", 1)).unwrap();
    let before = a.env().dump();
    let long = "x".repeat(MAX_RETVAL_BYTES + 1);
    assert!(is_invalid_input(a.set_email_token_retval(
        ANN,
        &t.token,
        Some(&long)
    )));
    assert_eq!(
        a.set_email_token_retval(BOB, &t.token, Some("x")),
        Err(Error::InvalidToken)
    );
    assert_eq!(
        a.set_email_token_retval(ANN, "mothe_nope", Some("x")),
        Err(Error::InvalidToken)
    );
    assert_eq!(a.env().dump(), before);
    let exact = "y".repeat(MAX_RETVAL_BYTES);
    a.set_email_token_retval(ANN, &t.token, Some(&exact))
        .unwrap();
    assert_eq!(a.auth_email_token(ANN, &t.token, None), Ok(Some(exact)));
}

/// Choice: an expired token is not deleted by `set_email_token_retval`
/// (a refused call writes nothing); the sweep deletes it.
#[test]
fn set_retval_of_an_expired_token_is_refused_and_leaves_it_to_the_sweep() {
    let a = auth();
    let t = a.create_email_token(ANN, &lasting(10)).unwrap();
    a.env().advance(10);
    let before = a.env().dump();
    assert_eq!(
        a.set_email_token_retval(ANN, &t.token, Some("x")),
        Err(Error::InvalidToken)
    );
    assert_eq!(a.env().dump(), before);
    assert_eq!(a.sweep(100).unwrap().deleted, 1);
    assert!(email_entries(a.env()).is_empty());
}

#[test]
fn another_addresss_token_is_invalid_and_is_not_deleted() {
    let a = auth();
    let t = a.create_email_token(ANN, &returning("r", 1)).unwrap();
    let before = a.env().dump();
    assert_eq!(
        a.auth_email_token(BOB, &t.token, None),
        Err(Error::InvalidToken)
    );
    // Not even a bad ip gets past the address check.
    assert_eq!(
        a.auth_email_token(BOB, &t.token, Some("not an ip")),
        Err(Error::InvalidToken)
    );
    assert_eq!(
        a.remove_email_token(BOB, &t.token),
        Err(Error::InvalidToken)
    );
    assert_eq!(a.revoke_email_token(BOB, &t.id), Err(Error::InvalidToken));
    assert_eq!(a.remove_email_address(BOB), Ok(0));
    assert_eq!(a.env().dump(), before, "nothing changed");
    assert_eq!(
        a.auth_email_token(ANN, &t.token, None),
        Ok(Some("r".into()))
    );
}

#[test]
fn malformed_tokens_are_invalid_tokens() {
    let a = auth();
    let t = a.create_email_token(ANN, &uses(2)).unwrap();
    let login_shaped = token::mint(a.env());
    let other_kind = token::mint_prefixed(a.env(), crate::token::API_KEY_PREFIX);
    let mut typo = t.token.clone().into_bytes();
    typo[10] = if typo[10] == b'A' { b'B' } else { b'A' };
    let typo = String::from_utf8(typo).unwrap();
    for bad in [
        "",
        "mothe_",
        &login_shaped,
        &other_kind,
        &typo,
        &t.token[1..],
    ] {
        assert_eq!(
            a.auth_email_token(ANN, bad, None),
            Err(Error::InvalidToken),
            "{bad}"
        );
        assert_eq!(a.remove_email_token(ANN, bad), Err(Error::InvalidToken));
        assert_eq!(
            a.set_email_token_retval(ANN, bad, None),
            Err(Error::InvalidToken)
        );
    }
    assert_eq!(a.auth_email_token(ANN, &t.token, None), Ok(None));
}

#[test]
fn a_non_ip_argument_to_auth_is_invalid_input_and_changes_nothing() {
    let a = auth();
    let t = a.create_email_token(ANN, &bound("192.0.2.1")).unwrap();
    let before = a.env().dump();
    for bad in [
        "",
        "not an ip",
        "192.0.2.256",
        "fe80::1%eth0",
        "192.0.2.1:80",
    ] {
        assert!(
            is_invalid_input(a.auth_email_token(ANN, &t.token, Some(bad))),
            "{bad}"
        );
    }
    assert_eq!(a.env().dump(), before);
    assert_eq!(
        a.auth_email_token(ANN, &t.token, Some("192.0.2.1")),
        Ok(None)
    );
}

#[test]
fn tokens_are_single_use_by_default() {
    let a = auth();
    let t = a
        .create_email_token(ANN, &EmailTokenOptions::default())
        .unwrap();
    assert_eq!(a.auth_email_token(ANN, &t.token, None), Ok(None));
    assert!(email_entries(a.env()).is_empty(), "the last use deletes it");
    assert_eq!(
        a.auth_email_token(ANN, &t.token, None),
        Err(Error::InvalidToken)
    );
}

#[test]
fn a_token_of_n_uses_works_exactly_n_times() {
    let a = auth();
    let t = a.create_email_token(ANN, &returning("r", 3)).unwrap();
    for left in [2, 1] {
        assert_eq!(
            a.auth_email_token(ANN, &t.token, None),
            Ok(Some("r".into()))
        );
        assert_eq!(a.list_email_tokens(ANN).unwrap()[0].uses_left, left);
    }
    assert_eq!(
        a.auth_email_token(ANN, &t.token, None),
        Ok(Some("r".into()))
    );
    assert_eq!(a.list_email_tokens(ANN), Ok(vec![]));
    assert!(email_entries(a.env()).is_empty());
    assert_eq!(
        a.auth_email_token(ANN, &t.token, None),
        Err(Error::InvalidToken)
    );
    let most = a
        .create_email_token(ANN, &uses(MAX_EMAIL_TOKEN_USES))
        .unwrap();
    assert_eq!(
        a.list_email_tokens(ANN).unwrap()[0].uses_left,
        MAX_EMAIL_TOKEN_USES
    );
    assert_eq!(a.auth_email_token(ANN, &most.token, None), Ok(None));
}

#[test]
fn the_per_address_cap_evicts_the_oldest_token() {
    let a = auth();
    let cap = MAX_EMAIL_TOKENS_PER_ADDRESS as usize;
    let bob = a
        .create_email_token(BOB, &EmailTokenOptions::default())
        .unwrap();
    let mut made = Vec::new();
    for _ in 0..=cap {
        made.push(
            a.create_email_token(ANN, &EmailTokenOptions::default())
                .unwrap(),
        );
        a.env().advance(1);
    }
    let listed = a.list_email_tokens(ANN).unwrap();
    assert_eq!(listed.len(), cap);
    let ids: Vec<_> = listed.iter().map(|i| i.id.clone()).collect();
    let expected: Vec<_> = made[1..].iter().map(|t| t.id.clone()).collect();
    assert_eq!(ids, expected, "the first is gone, the rest oldest first");
    assert_eq!(
        a.auth_email_token(ANN, &made[0].token, None),
        Err(Error::InvalidToken)
    );
    assert_eq!(
        email_entries(a.env()).len(),
        3 * (cap + 1),
        "ann's cap + bob's"
    );
    assert_eq!(
        a.auth_email_token(BOB, &bob.token, None),
        Ok(None),
        "other addresses keep theirs"
    );
}

#[test]
fn the_cap_evicts_an_expired_token_before_the_oldest_live_one() {
    let a = auth();
    let cap = MAX_EMAIL_TOKENS_PER_ADDRESS as usize;
    let oldest = a
        .create_email_token(ANN, &EmailTokenOptions::default())
        .unwrap();
    a.env().advance(1);
    let short = a.create_email_token(ANN, &lasting(5)).unwrap();
    for _ in 2..cap {
        a.env().advance(1);
        a.create_email_token(ANN, &EmailTokenOptions::default())
            .unwrap();
    }
    a.env().advance(10);
    a.create_email_token(ANN, &EmailTokenOptions::default())
        .unwrap();
    let listed = a.list_email_tokens(ANN).unwrap();
    assert_eq!(listed.len(), cap);
    assert_eq!(listed[0].id, oldest.id, "the oldest live token stays");
    assert!(listed.iter().all(|i| i.id != short.id));
    assert_eq!(
        email_entries(a.env()).len(),
        3 * cap,
        "all of the expired one's keys went"
    );
}

/// Creations that raced past the cap leave more than it; the next creation
/// trims back to it, in one bounded commit.
#[test]
fn a_creation_trims_an_address_over_the_cap_back_to_it() {
    let a = auth();
    let cap = MAX_EMAIL_TOKENS_PER_ADDRESS as usize;
    for _ in 0..cap {
        a.create_email_token(ANN, &EmailTokenOptions::default())
            .unwrap();
    }
    // Stand for 5 racing creations: tokens written past the cap.
    let now = a.env().now();
    for i in 0..5u8 {
        let digest = [i; 32];
        let record = EmailTokenRecord {
            address: ANN.into(),
            ip: None,
            created: now,
            expires: now + 100,
            uses_left: 1,
            retval: None,
        };
        a.env()
            .commit(
                &[],
                &[
                    Write::put(keys::email_token(&digest), record.encode()),
                    Write::put(keys::address_token(ANN, now, &digest), Vec::new()),
                    Write::put(keys::expiry(now + 100, &digest), vec![keys::EMAIL_TOKEN]),
                ],
            )
            .unwrap();
    }
    assert_eq!(
        a.list_email_tokens(ANN).unwrap().len(),
        cap,
        "list shows at most the cap"
    );
    a.env().reset_max_commit_writes();
    a.create_email_token(ANN, &EmailTokenOptions::default())
        .unwrap();
    assert_eq!(email_entries(a.env()).len(), 3 * cap);
    assert_eq!(a.env().max_commit_writes(), 3 * 6 + 3);
}

#[test]
fn list_shows_metadata_only_oldest_first_and_skips_expired_without_writing() {
    let a = auth();
    let t0 = made(
        &a,
        ANN,
        &EmailTokenOptions {
            ip: Some("::ffff:198.51.100.7".into()),
            lifetime: Some(100),
            retval: Some("secret-retval".into()),
            uses: Some(4),
        },
    );
    a.env().advance(1);
    let t1 = made(&a, ANN, &lasting(10));
    a.env().advance(1);
    let t2 = made(&a, ANN, &returning("other-secret", 2));
    a.create_email_token(BOB, &EmailTokenOptions::default())
        .unwrap();
    let listed = a.list_email_tokens(ANN).unwrap();
    let info = |(t, created): &(EmailToken, u64), ip: Option<&str>, uses_left| EmailTokenInfo {
        id: t.id.clone(),
        ip: ip.map(str::to_owned),
        created: *created,
        expires: t.expires,
        uses_left,
    };
    assert_eq!(
        listed,
        vec![
            info(&t0, Some("198.51.100.7"), 4),
            info(&t1, None, 1),
            info(&t2, None, 2),
        ]
    );
    let shown = format!("{listed:?}");
    for secret in [
        &t0.0.token,
        &t1.0.token,
        &t2.0.token,
        "secret-retval",
        "other-secret",
    ] {
        assert!(!shown.contains(secret), "{shown}");
    }
    a.env().advance(10);
    let before = a.env().dump();
    let ids: Vec<_> = a
        .list_email_tokens(ANN)
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(
        ids,
        [t0.0.id.clone(), t2.0.id.clone()],
        "the expired one is skipped"
    );
    assert_eq!(a.env().dump(), before, "listing writes nothing");
    assert_eq!(a.list_email_tokens("nobody@example.com"), Ok(vec![]));
}

#[test]
fn revoke_by_id_deletes_that_token_and_bad_ids_are_refused() {
    let a = auth();
    let keep = a
        .create_email_token(ANN, &EmailTokenOptions::default())
        .unwrap();
    let created = a.env().now();
    let gone = a
        .create_email_token(ANN, &EmailTokenOptions::default())
        .unwrap();
    let bobs = a
        .create_email_token(BOB, &EmailTokenOptions::default())
        .unwrap();
    let before = a.env().dump();
    let upper = gone.id.to_uppercase();
    for bad in [
        "",
        "xyz",
        &gone.id[1..],
        &format!("{}0", gone.id),
        &upper,
        &bobs.id,
        "0000000000000000",
    ] {
        assert_eq!(
            a.revoke_email_token(ANN, bad),
            Err(Error::InvalidToken),
            "{bad}"
        );
    }
    assert_eq!(a.revoke_email_token("", &gone.id), Err(Error::InvalidToken));
    assert_eq!(
        a.revoke_email_token("ann\0", &gone.id),
        Err(Error::InvalidToken)
    );
    assert_eq!(a.env().dump(), before, "refusals wrote nothing");
    a.revoke_email_token(ANN, &gone.id).unwrap();
    for key in three_keys(&gone, ANN, created) {
        assert_eq!(a.env().get(&key), Ok(None));
    }
    assert_eq!(
        a.revoke_email_token(ANN, &gone.id),
        Err(Error::InvalidToken)
    );
    assert_eq!(
        a.auth_email_token(ANN, &gone.token, None),
        Err(Error::InvalidToken)
    );
    let ids: Vec<_> = a
        .list_email_tokens(ANN)
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(ids, [keep.id]);
}

#[test]
fn remove_email_token_deletes_all_three_keys() {
    let a = auth();
    let t = a.create_email_token(ANN, &uses(5)).unwrap();
    assert_eq!(a.remove_email_token(ANN, &t.token), Ok(()));
    assert!(email_entries(a.env()).is_empty());
    assert_eq!(
        a.remove_email_token(ANN, &t.token),
        Err(Error::InvalidToken)
    );
    assert_eq!(
        a.auth_email_token(ANN, &t.token, None),
        Err(Error::InvalidToken)
    );
}

#[test]
fn remove_email_address_deletes_every_key_of_every_token_and_counts_live_ones() {
    let a = auth();
    a.create_email_token(ANN, &lasting(5)).unwrap();
    a.create_email_token(ANN, &bound("192.0.2.1")).unwrap();
    a.create_email_token(ANN, &uses(3)).unwrap();
    let bobs = a
        .create_email_token(BOB, &EmailTokenOptions::default())
        .unwrap();
    a.env().advance(5);
    assert_eq!(
        a.remove_email_address(ANN),
        Ok(2),
        "the expired one is not counted"
    );
    assert_eq!(email_entries(a.env()).len(), 3, "only bob's keys are left");
    assert_eq!(a.list_email_tokens(ANN), Ok(vec![]));
    assert_eq!(a.remove_email_address(ANN), Ok(0));
    assert_eq!(a.auth_email_token(BOB, &bobs.token, None), Ok(None));
    a.create_email_token(BOB, &EmailTokenOptions::default())
        .unwrap();
    assert_eq!(a.remove_email_address(BOB), Ok(1));
    assert!(
        email_entries(a.env()).is_empty(),
        "no a, b or e key is left"
    );
}

#[test]
fn remove_email_address_stays_bounded_at_the_cap() {
    let a = auth();
    for _ in 0..MAX_EMAIL_TOKENS_PER_ADDRESS {
        a.create_email_token(ANN, &EmailTokenOptions::default())
            .unwrap();
    }
    a.env().reset_max_commit_writes();
    assert_eq!(
        a.remove_email_address(ANN),
        Ok(u64::from(MAX_EMAIL_TOKENS_PER_ADDRESS))
    );
    assert_eq!(
        a.env().max_commit_writes(),
        3 * u64::from(MAX_EMAIL_TOKENS_PER_ADDRESS)
    );
    assert!(email_entries(a.env()).is_empty());
}

#[test]
fn bad_inputs_are_refused_without_writing() {
    let a = auth();
    let before = a.env().dump();
    let commits = a.env().commits();
    let long_address = "x".repeat(MAX_ADDRESS_BYTES + 1);
    let long_retval = "r".repeat(MAX_RETVAL_BYTES + 1);
    let default = EmailTokenOptions::default();
    for address in ["", "a\nb", "tab\t", "nul\0", "del\u{7f}", &long_address] {
        assert!(
            is_invalid_input(a.create_email_token(address, &default)),
            "{address:?}"
        );
        assert!(
            is_invalid_input(a.list_email_tokens(address)),
            "{address:?}"
        );
        assert!(
            is_invalid_input(a.remove_email_address(address)),
            "{address:?}"
        );
    }
    let refused = [
        EmailTokenOptions {
            retval: Some(long_retval),
            ..default.clone()
        },
        uses(0),
        uses(MAX_EMAIL_TOKEN_USES + 1),
        bound("not-an-ip"),
        bound(""),
        bound("192.0.2.1 "),
        lasting(0),
    ];
    for options in &refused {
        assert!(
            is_invalid_input(a.create_email_token(ANN, options)),
            "{options:?}"
        );
    }
    assert_eq!(a.env().dump(), before);
    assert_eq!(a.env().commits(), commits);
    // The bounds themselves are accepted.
    let longest = "é".repeat(MAX_ADDRESS_BYTES / 2);
    a.create_email_token(&longest, &default).unwrap();
    let full = EmailTokenOptions {
        retval: Some("r".repeat(MAX_RETVAL_BYTES)),
        ..default
    };
    a.create_email_token(ANN, &full).unwrap();
}

#[test]
fn sweep_deletes_expired_email_tokens_and_all_their_keys_and_leaves_live_ones() {
    let a = auth();
    for _ in 0..3 {
        a.create_email_token(ANN, &lasting(10)).unwrap();
    }
    a.create_email_token(BOB, &lasting(10)).unwrap();
    let live = a.create_email_token(ANN, &lasting(1000)).unwrap();
    let created = a.env().now();
    a.env().advance(10);
    assert_eq!(a.sweep(100).unwrap().deleted, 4);
    let mut left: Vec<_> = email_entries(a.env()).into_iter().map(|(k, _)| k).collect();
    left.sort();
    let mut expected = three_keys(&live, ANN, created).to_vec();
    expected.sort();
    assert_eq!(left, expected);
    assert_eq!(a.auth_email_token(ANN, &live.token, None), Ok(None));
}

#[test]
fn sweep_next_expiry_counts_email_tokens() {
    let a = auth();
    assert_eq!(a.sweep(100).unwrap().next_expiry, None);
    let t = a.create_email_token(ANN, &lasting(500)).unwrap();
    a.create_email_token(ANN, &lasting(900)).unwrap();
    assert_eq!(a.sweep(100).unwrap().next_expiry, Some(t.expires));
    a.remove_email_address(ANN).unwrap();
    assert_eq!(a.sweep(100).unwrap().next_expiry, None);
}

#[test]
fn email_token_deletes_leave_the_expiry_key_to_the_sweep() {
    let a = auth();
    let created = a.env().now();
    let t = a
        .create_email_token(ANN, &EmailTokenOptions::default())
        .unwrap();
    let [record, index, _expiry] = three_keys(&t, ANN, created);
    let digest = token::digest(&t.token);
    assert_eq!(
        a.email_token_deletes(&digest),
        Ok(vec![Write::delete(record), Write::delete(index)])
    );
    a.remove_email_token(ANN, &t.token).unwrap();
    assert_eq!(a.email_token_deletes(&digest), Ok(vec![]));
}

/// A write of a "concurrent" caller, made just before a commit.
type Race = Box<dyn FnOnce(&MemoryEnv)>;

/// A [`MemoryEnv`] that, just before its next commit, lets a "concurrent"
/// writer change the store: a commit racing another.
struct Racing {
    inner: MemoryEnv,
    before_commit: RefCell<Option<Race>>,
}

impl Env for Racing {
    fn get(&self, key: &[u8]) -> core::result::Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(key)
    }
    fn scan(
        &self,
        start: &[u8],
        end: &[u8],
        limit: u32,
    ) -> core::result::Result<Vec<Entry>, StoreError> {
        self.inner.scan(start, end, limit)
    }
    fn commit(&self, guards: &[Guard], writes: &[Write]) -> core::result::Result<(), StoreError> {
        if let Some(race) = self.before_commit.borrow_mut().take() {
            race(&self.inner);
        }
        self.inner.commit(guards, writes)
    }
    fn now(&self) -> u64 {
        self.inner.now()
    }
    fn random(&self, buf: &mut [u8]) {
        self.inner.random(buf)
    }
}

fn racing() -> Auth<Racing> {
    Auth::new(Racing {
        inner: MemoryEnv::new(),
        before_commit: RefCell::new(None),
    })
}

/// Two uses of a single-use token: the other one commits between this
/// one's read and its commit. This one's guard fails; the retry re-reads
/// and finds the token gone.
#[test]
fn a_single_use_token_used_concurrently_succeeds_only_once() {
    let a = racing();
    let t = a.create_email_token(ANN, &returning("r", 1)).unwrap();
    let digest = token::digest(&t.token);
    let deletes = token_deletes(
        &digest,
        &EmailTokenRecord::decode(&a.env().get(&keys::email_token(&digest)).unwrap().unwrap())
            .unwrap(),
    );
    *a.env().before_commit.borrow_mut() = Some(Box::new(move |env: &MemoryEnv| {
        env.commit(&[], &deletes).unwrap();
    }));
    assert_eq!(
        a.auth_email_token(ANN, &t.token, None),
        Err(Error::InvalidToken)
    );
    assert!(email_entries(&a.env().inner).is_empty());
}

/// The record changed (another use) between this use's read and commit:
/// the retry works from the new record, so no use is lost.
#[test]
fn a_use_racing_another_retries_on_the_new_record() {
    let a = racing();
    let t = a.create_email_token(ANN, &returning("r", 3)).unwrap();
    let key = keys::email_token(&token::digest(&t.token));
    let stored = EmailTokenRecord::decode(&a.env().get(&key).unwrap().unwrap()).unwrap();
    let used = EmailTokenRecord {
        uses_left: 1,
        ..stored
    };
    let put = Write::put(key, used.encode());
    *a.env().before_commit.borrow_mut() = Some(Box::new(move |env: &MemoryEnv| {
        env.commit(&[], &[put]).unwrap();
    }));
    assert_eq!(
        a.auth_email_token(ANN, &t.token, None),
        Ok(Some("r".into()))
    );
    assert!(
        email_entries(&a.env().inner).is_empty(),
        "the retry saw one use left and used it up"
    );
}

/// A retval change racing a use must not restore the use.
#[test]
fn set_retval_racing_a_use_does_not_undo_it() {
    let a = racing();
    let t = a.create_email_token(ANN, &returning("old", 2)).unwrap();
    let key = keys::email_token(&token::digest(&t.token));
    let stored = EmailTokenRecord::decode(&a.env().get(&key).unwrap().unwrap()).unwrap();
    let used = EmailTokenRecord {
        uses_left: 1,
        ..stored
    };
    let put = Write::put(key, used.encode());
    *a.env().before_commit.borrow_mut() = Some(Box::new(move |env: &MemoryEnv| {
        env.commit(&[], &[put]).unwrap();
    }));
    a.set_email_token_retval(ANN, &t.token, Some("new"))
        .unwrap();
    assert_eq!(a.list_email_tokens(ANN).unwrap()[0].uses_left, 1);
    assert_eq!(
        a.auth_email_token(ANN, &t.token, None),
        Ok(Some("new".into()))
    );
    assert_eq!(
        a.auth_email_token(ANN, &t.token, None),
        Err(Error::InvalidToken)
    );
}
