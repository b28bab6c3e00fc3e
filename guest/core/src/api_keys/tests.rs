//! Tests of named API keys, including regression tests for the flaws of
//! fixie_creds (secrets stored in the clear, names used as paths, several
//! spellings accepted, racy registration, panics on bad input).

use core::cell::RefCell;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::*;
use crate::env::Entry;
use crate::memory::MemoryEnv;
use crate::record::ApiKeyRecord;
use crate::users::tests::auth;
use crate::{Settings, TOKEN_PREFIX};

const HOUR: u64 = 60 * 60;
const DAY: u64 = 24 * HOUR;

fn svc(name: &str) -> KeyOwner {
    KeyOwner::Service(name.into())
}

fn key(a: &Auth<impl Env>, owner: &KeyOwner, name: &str, lifetime: Option<u64>) -> NewApiKey {
    a.create_api_key(owner, name, "read", lifetime).unwrap()
}

/// The store's API-key entries: records (`k`), owner index (`c`), name
/// claims (`d`) and expiry entries (`e`) of API keys.
fn api_entries(a: &Auth<MemoryEnv>) -> Vec<Entry> {
    a.env()
        .dump()
        .into_iter()
        .filter(|(k, v)| match k[0] {
            // Not the owner's version (`v`): it outlives single revocations.
            keys::API_KEY | keys::OWNER | keys::KEY_NAME => true,
            keys::EXPIRY => v == &[keys::API_KEY],
            _ => false,
        })
        .collect()
}

/// How many stored entries start with `tag`.
fn count_tag(a: &Auth<MemoryEnv>, tag: u8) -> usize {
    a.env().dump().iter().filter(|(k, _)| k[0] == tag).count()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn ids(list: &[ApiKey]) -> Vec<&str> {
    list.iter().map(|k| k.id.as_str()).collect()
}

/// An `Env` over a shared `MemoryEnv` that runs a hook just before its
/// first commit: another `Auth` over the same store commits there, which is
/// the interleaving a concurrent caller would produce.
struct Racing<'a> {
    env: &'a MemoryEnv,
    before_commit: RefCell<Option<Box<dyn FnOnce() + 'a>>>,
}

impl Env for Racing<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.env.get(key)
    }
    fn scan(&self, start: &[u8], end: &[u8], limit: u32) -> Result<Vec<Entry>, StoreError> {
        self.env.scan(start, end, limit)
    }
    fn commit(&self, guards: &[Guard], writes: &[Write]) -> Result<(), StoreError> {
        let hook = self.before_commit.borrow_mut().take();
        if let Some(hook) = hook {
            hook();
        }
        self.env.commit(guards, writes)
    }
    fn now(&self) -> u64 {
        self.env.now()
    }
    fn random(&self, buf: &mut [u8]) {
        self.env.random(buf)
    }
}

fn plain(env: &MemoryEnv) -> Auth<Racing<'_>> {
    racing(env, || {})
}

fn racing<'a>(env: &'a MemoryEnv, hook: impl FnOnce() + 'a) -> Auth<Racing<'a>> {
    Auth::new(Racing {
        env,
        before_commit: RefCell::new(Some(Box::new(hook))),
    })
}

fn cheap_env() -> MemoryEnv {
    let env = MemoryEnv::new();
    plain(&env).set_settings(cheap()).unwrap();
    env
}

fn cheap() -> Settings {
    Settings {
        argon2_memory_kib: 64,
        argon2_iterations: 1,
        allow_weak_hashing: true,
        // Tests use short passwords; the policy has tests of its own.
        min_password_length: 1,
        refuse_common_passwords: false,
        ..Settings::default()
    }
}

#[test]
fn a_new_key_verifies_and_reports_its_metadata() {
    let a = auth();
    let ann = a.create_user("ann", "pw", "").unwrap();
    let owner = KeyOwner::User(ann.id);
    let now = a.env().now();
    let new = a
        .create_api_key(&owner, "deploy", "repo:read", Some(DAY))
        .unwrap();
    assert!(new.key.starts_with(API_KEY_PREFIX));
    assert_eq!(new.info.id.len(), 16);
    assert_eq!(new.info.owner, owner);
    assert_eq!(new.info.name, "deploy");
    assert_eq!(new.info.scopes, "repo:read");
    assert_eq!(new.info.created, now);
    assert_eq!(new.info.expires, Some(now + DAY));
    assert_eq!(new.info.last_used, None);
    let verified = a.verify_api_key(&new.key).unwrap();
    assert_eq!(
        verified,
        ApiKey {
            last_used: Some(now),
            ..new.info.clone()
        }
    );
    // Record, owner index, claim, expiry entry.
    assert_eq!(api_entries(&a).len(), 4);
}

#[test]
fn the_store_never_holds_the_key() {
    let a = auth();
    let ann = a.create_user("ann", "pw", "").unwrap();
    let first = key(&a, &KeyOwner::User(ann.id), "ci", Some(DAY));
    let rotated = a.rotate_api_key(&first.info.id, HOUR).unwrap();
    let service = key(&a, &svc("billing"), "ci", None);
    a.verify_api_key(&rotated.key).unwrap();
    let dump = a.env().dump();
    for secret in [&first.key, &rotated.key, &service.key] {
        let random = URL_SAFE_NO_PAD
            .decode(&secret[API_KEY_PREFIX.len()..API_KEY_PREFIX.len() + 43])
            .unwrap();
        for needle in [
            secret.as_bytes(),
            &secret.as_bytes()[API_KEY_PREFIX.len()..API_KEY_PREFIX.len() + 43],
            &random,
            &random[..8],
        ] {
            assert!(
                !dump
                    .iter()
                    .any(|(k, v)| contains(k, needle) || contains(v, needle)),
                "the store holds part of {secret}"
            );
        }
        // What it does hold is the digest.
        let digest = token::digest(secret);
        assert!(dump.iter().any(|(k, _)| k == &keys::api_key(&digest)));
    }
}

#[test]
fn names_are_data_not_paths() {
    let a = auth();
    let tricky = [
        "../",
        "/",
        "..",
        "\\",
        ".",
        "../../etc/passwd",
        "a/b",
        "..\\..\\x",
        "~",
        "*",
    ];
    for (i, name) in tricky.iter().enumerate() {
        let owner = svc(name);
        let new = a.create_api_key(&owner, name, name, None).unwrap();
        let info = a.verify_api_key(&new.key).unwrap();
        assert_eq!((&info.owner, info.name.as_str()), (&owner, *name));
        assert_eq!(a.list_api_keys(&owner).unwrap().len(), 1, "{name:?}");
        // A second tricky name under the same owner is just another name.
        let other = tricky[(i + 1) % tricky.len()];
        a.create_api_key(&owner, other, "", None).unwrap();
        assert_eq!(a.list_api_keys(&owner).unwrap().len(), 2, "{name:?}");
    }
    // Names that look like a parent directory do not reach other owners.
    assert_eq!(
        a.create_api_key(&svc("a"), "../b", "", None).map(|_| ()),
        Ok(())
    );
    assert_eq!(a.list_api_keys(&svc("b")).unwrap(), []);
}

#[test]
fn only_the_exact_spelling_verifies() {
    let a = auth();
    let new = key(&a, &svc("ci"), "deploy", None);
    let k = new.key.clone();
    let flip = |i: usize| {
        let mut b = k.clone().into_bytes();
        b[i] = if b[i].is_ascii_uppercase() {
            b[i].to_ascii_lowercase()
        } else {
            b[i].to_ascii_uppercase()
        };
        String::from_utf8(b).unwrap()
    };
    let mut variants = vec![
        k.to_uppercase(),
        k.to_lowercase(),
        format!(" {k}"),
        format!("{k} "),
        format!("{k}\n"),
        format!("\t{k}"),
        format!("{k}x"),
        format!("{k}{k}"),
        k[..k.len() - 1].to_owned(),
        k[1..].to_owned(),
        k.replacen(API_KEY_PREFIX, TOKEN_PREFIX, 1),
        k.replacen(API_KEY_PREFIX, "mothe_", 1),
        k.replacen(API_KEY_PREFIX, "MOTHK_", 1),
        k.replacen(API_KEY_PREFIX, "moth_k", 1),
        format!("Bearer {k}"),
    ];
    variants.extend(
        (API_KEY_PREFIX.len()..k.len())
            .map(flip)
            .filter(|v| v != &k),
    );
    for v in &variants {
        assert_eq!(a.verify_api_key(v), Err(Error::InvalidToken), "{v:?}");
    }
    assert!(a.verify_api_key(&k).is_ok());
}

#[test]
fn bad_tokens_are_invalid_never_a_panic() {
    let a = auth();
    let ann = a.create_user("ann", "pw", "").unwrap();
    key(&a, &KeyOwner::User(ann.id), "ci", None);
    let login = a.login("ann", "pw", None).unwrap().token;
    let before = a.env().len();
    let typo = token::mint_prefixed(&MemoryEnv::new(), API_KEY_PREFIX).replace('A', "B");
    let unknown = token::mint_prefixed(&MemoryEnv::new(), API_KEY_PREFIX);
    let same_length = API_KEY_PREFIX.len() + 43 + 6;
    let bad = [
        String::new(),
        "mothk_".into(),
        "x".repeat(1 << 20),
        format!("mothk_{}", "é".repeat(24)),
        format!("mothk_{}", "😀".repeat(12)),
        "é".repeat(same_length / 2),
        "\0".repeat(same_length),
        login.clone(),
        format!("k{login}"),
        token::mint_prefixed(a.env(), crate::EMAIL_TOKEN_PREFIX),
        token::mint_prefixed(a.env(), crate::ONE_TIME_TOKEN_PREFIX),
        token::mint_prefixed(a.env(), TOKEN_PREFIX),
        typo,
    ];
    for t in &bad {
        assert_eq!(a.verify_api_key(t), Err(Error::InvalidToken), "{t:.60?}");
    }
    // Well formed, correct checksum, but never issued by this store.
    assert!(token::well_formed_prefixed(&unknown, API_KEY_PREFIX));
    a.revoke_api_keys(&KeyOwner::User(ann.id)).unwrap();
    assert_eq!(a.verify_api_key(&unknown), Err(Error::InvalidToken));
    // The login token is still a login token, and nothing else was written
    // by the failed verifications: only the revocation deleted the key's
    // record, index entry and claim (it never expires) and its owner's
    // version.
    assert!(a.validate(&login).is_ok());
    assert_eq!(a.env().len(), before - 4);
    // Ids given to revoke and rotate are checked as well.
    for id in [
        "",
        "0123",
        "0123456789ABCDEF",
        "é0123456789abcd",
        "g123456789abcdef",
    ] {
        assert_eq!(a.revoke_api_key(id), Err(Error::InvalidToken), "{id:?}");
        assert_eq!(
            a.rotate_api_key(id, 0).map(|_| ()),
            Err(Error::InvalidToken)
        );
    }
}

#[test]
fn registering_a_taken_name_is_name_taken_until_the_key_is_revoked() {
    let a = auth();
    let owner = svc("ci");
    let first = key(&a, &owner, "deploy", None);
    let before = a.env().len();
    assert_eq!(
        a.create_api_key(&owner, "deploy", "other", Some(HOUR)),
        Err(Error::NameTaken)
    );
    assert_eq!(a.env().len(), before);
    // Another owner may use the name; this one may use another name.
    key(&a, &svc("cd"), "deploy", None);
    key(&a, &owner, "deploy2", None);
    a.revoke_api_key(&first.info.id).unwrap();
    assert_eq!(a.verify_api_key(&first.key), Err(Error::InvalidToken));
    let again = key(&a, &owner, "deploy", None);
    assert_ne!(again.key, first.key);
    assert!(a.verify_api_key(&again.key).is_ok());
}

#[test]
fn concurrent_creations_of_one_name_give_exactly_one_key() {
    let env = MemoryEnv::new();
    let other = plain(&env);
    let winner = RefCell::new(None);
    let a = racing(&env, || {
        *winner.borrow_mut() = Some(other.create_api_key(&svc("ci"), "deploy", "", None));
    });
    assert_eq!(
        a.create_api_key(&svc("ci"), "deploy", "", None),
        Err(Error::NameTaken)
    );
    let winner = winner.borrow_mut().take().unwrap().unwrap();
    let listed = a.list_api_keys(&svc("ci")).unwrap();
    assert_eq!(ids(&listed), [winner.info.id.as_str()]);
    assert!(a.verify_api_key(&winner.key).is_ok());
}

#[test]
fn rotation_with_no_overlap_kills_the_old_key_at_once() {
    let a = auth();
    let owner = svc("ci");
    let old = a
        .create_api_key(&owner, "deploy", "scopes", Some(DAY))
        .unwrap();
    a.env().advance(HOUR);
    let new = a.rotate_api_key(&old.info.id, 0).unwrap();
    assert_eq!(a.verify_api_key(&old.key), Err(Error::InvalidToken));
    assert!(a.verify_api_key(&new.key).is_ok());
    assert_eq!(
        ids(&a.list_api_keys(&owner).unwrap()),
        [new.info.id.as_str()]
    );
    // Only the new key's four entries remain.
    assert_eq!(api_entries(&a).len(), 4);
    assert_eq!(
        a.create_api_key(&owner, "deploy", "", None).map(|_| ()),
        Err(Error::NameTaken),
        "the name moved to the new key"
    );
}

#[test]
fn rotation_keeps_owner_name_scopes_and_lifetime() {
    let a = auth();
    let ann = a.create_user("ann", "pw", "").unwrap();
    let owner = KeyOwner::User(ann.id);
    let old = a
        .create_api_key(&owner, "deploy", "repo:write", Some(DAY))
        .unwrap();
    a.verify_api_key(&old.key).unwrap();
    a.env().advance(2 * HOUR);
    let now = a.env().now();
    let new = a.rotate_api_key(&old.info.id, 0).unwrap();
    assert_ne!(new.info.id, old.info.id);
    assert_eq!(
        new.info,
        ApiKey {
            id: new.info.id.clone(),
            owner,
            name: "deploy".into(),
            scopes: "repo:write".into(),
            created: now,
            expires: Some(now + DAY),
            last_used: None,
        }
    );
    // A key that never expires rotates into one that never expires.
    let forever = key(&a, &svc("s"), "k", None);
    let rotated = a.rotate_api_key(&forever.info.id, 0).unwrap();
    assert_eq!(rotated.info.expires, None);
    assert_eq!(count_tag(&a, keys::EXPIRY), 1, "only ann's key expires");
}

#[test]
fn rotation_with_overlap_keeps_the_old_key_until_the_overlap_ends() {
    let a = auth();
    let owner = svc("ci");
    let old = key(&a, &owner, "deploy", Some(30 * DAY));
    let start = a.env().now();
    let new = a.rotate_api_key(&old.info.id, HOUR).unwrap();
    let listed = a.list_api_keys(&owner).unwrap();
    assert_eq!(
        ids(&listed),
        [old.info.id.as_str(), new.info.id.as_str()],
        "both, oldest first"
    );
    assert_eq!(listed[0].expires, Some(start + HOUR));
    a.env().advance(HOUR - 1);
    assert!(a.verify_api_key(&old.key).is_ok());
    assert!(a.verify_api_key(&new.key).is_ok());
    a.env().advance(1);
    assert_eq!(a.verify_api_key(&old.key), Err(Error::TokenExpired));
    assert_eq!(a.verify_api_key(&old.key), Err(Error::InvalidToken));
    assert!(a.verify_api_key(&new.key).is_ok());
    assert_eq!(
        ids(&a.list_api_keys(&owner).unwrap()),
        [new.info.id.as_str()]
    );
    // The old key's deletion left the new key's claim and entries alone.
    assert_eq!(api_entries(&a).len(), 4);
    assert_eq!(
        a.create_api_key(&owner, "deploy", "", None).map(|_| ()),
        Err(Error::NameTaken)
    );
}

#[test]
fn an_overlap_never_outlives_the_old_key() {
    let a = auth();
    let old = key(&a, &svc("ci"), "deploy", Some(100));
    let expires = old.info.expires.unwrap();
    let new = a
        .rotate_api_key(&old.info.id, MAX_ROTATION_OVERLAP)
        .unwrap();
    let listed = a.list_api_keys(&svc("ci")).unwrap();
    assert_eq!(listed[0].expires, Some(expires));
    assert_eq!(new.info.expires, Some(a.env().now() + 100));
    // Exactly one expiry entry per key, at its expiry.
    let expiries: Vec<u64> = a
        .env()
        .dump()
        .iter()
        .filter_map(|(k, _)| keys::expiry_of(k))
        .collect();
    assert_eq!(expiries, [expires, a.env().now() + 100]);
    a.env().set_now(expires);
    assert_eq!(a.verify_api_key(&old.key), Err(Error::TokenExpired));
}

#[test]
fn a_key_cannot_be_rotated_twice() {
    let a = auth();
    let first = key(&a, &svc("ci"), "deploy", None);
    let second = a.rotate_api_key(&first.info.id, DAY).unwrap();
    // Still verifying during its overlap, but rotated out.
    assert!(a.verify_api_key(&first.key).is_ok());
    assert_eq!(
        a.rotate_api_key(&first.info.id, DAY).map(|_| ()),
        Err(Error::InvalidToken)
    );
    assert_eq!(
        a.rotate_api_key(&first.info.id, 0).map(|_| ()),
        Err(Error::InvalidToken)
    );
    // The successor rotates; with overlap 0 its predecessor is then gone.
    let third = a.rotate_api_key(&second.info.id, 0).unwrap();
    assert_eq!(
        a.rotate_api_key(&second.info.id, 0).map(|_| ()),
        Err(Error::InvalidToken)
    );
    assert!(a.verify_api_key(&third.key).is_ok());
    assert!(
        a.verify_api_key(&first.key).is_ok(),
        "its overlap is its own"
    );
    // An expired key does not rotate either.
    let short = key(&a, &svc("ci"), "short", Some(10));
    a.env().advance(10);
    assert_eq!(
        a.rotate_api_key(&short.info.id, 0).map(|_| ()),
        Err(Error::InvalidToken)
    );
}

#[test]
fn concurrent_rotations_of_one_key_give_exactly_one_new_key() {
    let env = MemoryEnv::new();
    let other = plain(&env);
    let old = key(&other, &svc("ci"), "deploy", None);
    let winner = RefCell::new(None);
    let a = racing(&env, || {
        *winner.borrow_mut() = Some(other.rotate_api_key(&old.info.id, HOUR));
    });
    assert_eq!(
        a.rotate_api_key(&old.info.id, HOUR).map(|_| ()),
        Err(Error::InvalidToken)
    );
    let winner = winner.borrow_mut().take().unwrap().unwrap();
    let listed = a.list_api_keys(&svc("ci")).unwrap();
    assert_eq!(
        ids(&listed),
        [old.info.id.as_str(), winner.info.id.as_str()]
    );
}

#[test]
fn an_expired_key_is_token_expired_then_invalid_and_all_its_entries_go() {
    let a = auth();
    let ann = a.create_user("ann", "pw", "").unwrap();
    let k = key(&a, &KeyOwner::User(ann.id), "ci", Some(HOUR));
    a.env().advance(HOUR - 1);
    assert!(a.verify_api_key(&k.key).is_ok());
    a.env().advance(1);
    assert_eq!(a.verify_api_key(&k.key), Err(Error::TokenExpired));
    assert_eq!(api_entries(&a), []);
    assert_eq!(a.verify_api_key(&k.key), Err(Error::InvalidToken));
    assert_eq!(a.list_api_keys(&KeyOwner::User(ann.id)).unwrap(), []);
    // The name is free again.
    key(&a, &KeyOwner::User(ann.id), "ci", Some(HOUR));
}

#[test]
fn an_expired_key_frees_its_name_before_it_is_swept() {
    let a = auth();
    let old = key(&a, &svc("ci"), "deploy", Some(10));
    a.env().advance(10);
    let new = key(&a, &svc("ci"), "deploy", None);
    assert_eq!(api_entries(&a).len(), 3, "the expired key went with it");
    assert_eq!(a.verify_api_key(&old.key), Err(Error::InvalidToken));
    assert!(a.verify_api_key(&new.key).is_ok());
}

#[test]
fn an_expired_key_is_not_listed_before_it_is_deleted() {
    let a = auth();
    let k = key(&a, &svc("ci"), "short", Some(10));
    let stays = key(&a, &svc("ci"), "long", None);
    a.env().advance(10);
    assert_eq!(
        ids(&a.list_api_keys(&svc("ci")).unwrap()),
        [stays.info.id.as_str()]
    );
    // Revoking it anyway deletes it.
    a.revoke_api_key(&k.info.id).unwrap();
    assert_eq!(api_entries(&a).len(), 3);
}

#[test]
fn a_key_without_lifetime_never_expires() {
    let a = auth();
    let k = key(&a, &svc("ci"), "forever", None);
    assert_eq!(k.info.expires, None);
    assert_eq!(count_tag(&a, keys::EXPIRY), 0);
    a.env().advance(100 * crate::MAX_LIFETIME);
    assert!(a.verify_api_key(&k.key).is_ok());
    assert_eq!(a.sweep(100).unwrap().deleted, 0);
    assert!(a.verify_api_key(&k.key).is_ok());
}

#[test]
fn last_use_is_recorded_at_most_once_an_hour() {
    let a = auth();
    let k = key(&a, &svc("ci"), "busy", None);
    let start = a.env().now();
    let commits = a.env().commits();
    for _ in 0..50 {
        assert_eq!(a.verify_api_key(&k.key).unwrap().last_used, Some(start));
        a.env().advance(60);
    }
    assert_eq!(a.env().commits(), commits + 1, "one write for 50 uses");
    a.env().set_now(start + LAST_USE_RESOLUTION - 1);
    assert_eq!(a.verify_api_key(&k.key).unwrap().last_used, Some(start));
    a.env().set_now(start + LAST_USE_RESOLUTION);
    assert_eq!(
        a.verify_api_key(&k.key).unwrap().last_used,
        Some(start + LAST_USE_RESOLUTION)
    );
    assert_eq!(a.env().commits(), commits + 2);
    assert_eq!(
        a.list_api_keys(&svc("ci")).unwrap()[0].last_used,
        Some(start + LAST_USE_RESOLUTION)
    );
}

#[test]
fn a_conflicting_last_use_write_does_not_fail_verification() {
    let env = MemoryEnv::new();
    let other = plain(&env);
    let k = key(&other, &svc("ci"), "busy", None);
    let commits = env.commits();
    let a = racing(&env, || {
        other.verify_api_key(&k.key).unwrap();
    });
    let info = a.verify_api_key(&k.key).unwrap();
    assert_eq!(info.name, "busy");
    assert_eq!(env.commits(), commits + 1, "only the other use was written");
    assert_eq!(
        a.list_api_keys(&svc("ci")).unwrap()[0].last_used,
        Some(env.now())
    );
}

#[test]
fn listing_shows_metadata_only_oldest_first() {
    let a = auth();
    let owner = svc("ci");
    let mut made = Vec::new();
    for name in ["b", "a", "c"] {
        made.push(key(&a, &owner, name, Some(DAY)));
        a.env().advance(1);
    }
    let listed = a.list_api_keys(&owner).unwrap();
    assert_eq!(
        listed,
        made.iter().map(|n| n.info.clone()).collect::<Vec<_>>()
    );
    let shown = format!("{listed:?}{made:?}");
    for n in &made {
        assert!(!shown.contains(&n.key[API_KEY_PREFIX.len()..]), "{shown}");
    }
    assert!(shown.contains("<redacted>"));
    assert_eq!(a.list_api_keys(&svc("nobody")).unwrap(), []);
    assert_eq!(a.list_api_keys(&KeyOwner::User(42)), Err(Error::NoUser));
}

#[test]
fn the_cap_is_limit_reached() {
    let a = auth();
    let owner = svc("ci");
    let mut made = Vec::new();
    for i in 0..MAX_API_KEYS_PER_OWNER {
        made.push(key(&a, &owner, &format!("k{i}"), None));
    }
    let before = a.env().len();
    let err = a.create_api_key(&owner, "one-more", "", None).unwrap_err();
    assert!(
        matches!(&err, Error::LimitReached(m) if m.contains("at most 100 API keys per owner")),
        "{err:?}"
    );
    // A rotation with overlap would hold one key more: refused too.
    assert!(matches!(
        a.rotate_api_key(&made[0].info.id, HOUR),
        Err(Error::LimitReached(_))
    ));
    assert_eq!(a.env().len(), before);
    // Another owner is not affected; a rotation without overlap is fine.
    key(&a, &svc("cd"), "one-more", None);
    let rotated = a.rotate_api_key(&made[0].info.id, 0).unwrap();
    assert_eq!(a.list_api_keys(&owner).unwrap().len(), 100);
    a.revoke_api_key(&rotated.info.id).unwrap();
    key(&a, &owner, "one-more", None);
    assert_eq!(a.list_api_keys(&owner).unwrap().len(), 100);
}

#[test]
fn expired_keys_make_room_under_the_cap() {
    let a = auth();
    let owner = svc("ci");
    for i in 0..MAX_API_KEYS_PER_OWNER {
        key(&a, &owner, &format!("k{i}"), Some(10 + u64::from(i % 2)));
    }
    a.env().advance(10);
    // Half expired: the new key's commit deletes them, and the name of
    // one of them is free.
    let new = key(&a, &owner, "k0", None);
    assert_eq!(a.list_api_keys(&owner).unwrap().len(), 51);
    assert_eq!(count_tag(&a, keys::API_KEY), 51);
    assert_eq!(count_tag(&a, keys::EXPIRY), 50);
    assert!(a.verify_api_key(&new.key).is_ok());
}

#[test]
fn revoking_an_owners_keys_deletes_them_all_and_counts_the_live_ones() {
    let a = auth();
    let ann = a.create_user("ann", "pw", "").unwrap();
    let owner = KeyOwner::User(ann.id);
    let short = key(&a, &owner, "short", Some(10));
    let long = key(&a, &owner, "long", Some(DAY));
    let forever = key(&a, &owner, "forever", None);
    a.rotate_api_key(&forever.info.id, HOUR).unwrap();
    let other = key(&a, &svc("ci"), "long", None);
    a.env().advance(10);
    assert_eq!(
        a.revoke_api_keys(&owner),
        Ok(3),
        "the expired one is not counted"
    );
    for k in [&short, &long, &forever] {
        assert_eq!(a.verify_api_key(&k.key), Err(Error::InvalidToken));
    }
    assert_eq!(api_entries(&a).len(), 3, "only the service's key is left");
    assert!(a.verify_api_key(&other.key).is_ok());
    assert_eq!(a.revoke_api_keys(&owner), Ok(0));
    assert_eq!(a.revoke_api_keys(&svc("nobody")), Ok(0));
    assert_eq!(a.revoke_api_keys(&KeyOwner::User(42)), Err(Error::NoUser));
    assert!(a.get_user(ann.id).is_ok(), "the user stays");
}

#[test]
fn revoking_a_rotated_out_key_leaves_its_successor_and_name() {
    let a = auth();
    let old = key(&a, &svc("ci"), "deploy", None);
    let new = a.rotate_api_key(&old.info.id, DAY).unwrap();
    a.revoke_api_key(&old.info.id).unwrap();
    assert_eq!(a.revoke_api_key(&old.info.id), Err(Error::InvalidToken));
    assert!(a.verify_api_key(&new.key).is_ok());
    assert_eq!(api_entries(&a).len(), 3, "the new key never expires");
    assert_eq!(
        a.create_api_key(&svc("ci"), "deploy", "", None).map(|_| ()),
        Err(Error::NameTaken)
    );
}

#[test]
fn deleting_a_user_revokes_their_keys_and_all_their_entries() {
    let a = auth();
    let ann = a.create_user("ann", "pw", "").unwrap();
    let bob = a.create_user("bob", "pw", "").unwrap();
    let owner = KeyOwner::User(ann.id);
    let mut keys_of_ann = vec![
        key(&a, &owner, "expiring", Some(DAY)),
        key(&a, &owner, "forever", None),
    ];
    let rotated = key(&a, &owner, "rotated", Some(DAY));
    keys_of_ann.push(a.rotate_api_key(&rotated.info.id, HOUR).unwrap());
    keys_of_ann.push(rotated);
    let bobs = key(&a, &KeyOwner::User(bob.id), "expiring", Some(DAY));
    a.delete_user(ann.id).unwrap();
    for k in &keys_of_ann {
        assert_eq!(a.verify_api_key(&k.key), Err(Error::InvalidToken));
    }
    // Only bob's four entries are left of any k, c, d or e key.
    let left: Vec<Vec<u8>> = a
        .env()
        .dump()
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| [b'k', b'c', b'd', b'e'].contains(&k[0]))
        .collect();
    assert_eq!(left.len(), 4, "{left:?}");
    assert!(a.verify_api_key(&bobs.key).is_ok());
    a.delete_user(bob.id).unwrap();
    assert!(
        !a.env()
            .dump()
            .iter()
            .any(|(k, _)| [b'k', b'c', b'd', b'e'].contains(&k[0]))
    );
}

#[test]
fn a_deleted_users_keys_do_not_verify_or_change() {
    let a = auth();
    let ann = a.create_user("ann", "pw", "").unwrap();
    let owner = KeyOwner::User(ann.id);
    let k = key(&a, &owner, "ci", None);
    a.delete_user(ann.id).unwrap();
    let before = a.env().len();
    assert_eq!(a.verify_api_key(&k.key), Err(Error::InvalidToken));
    assert_eq!(
        a.rotate_api_key(&k.info.id, 0).map(|_| ()),
        Err(Error::InvalidToken)
    );
    assert_eq!(a.revoke_api_key(&k.info.id), Err(Error::InvalidToken));
    assert_eq!(a.list_api_keys(&owner), Err(Error::NoUser));
    assert_eq!(
        a.create_api_key(&owner, "ci", "", None).map(|_| ()),
        Err(Error::NoUser)
    );
    assert_eq!(a.env().len(), before);
    // A new user of the same name is another user, with another id.
    let ann2 = a.create_user("ann", "pw", "").unwrap();
    assert_ne!(ann2.id, ann.id);
    assert_eq!(a.list_api_keys(&KeyOwner::User(ann2.id)).unwrap(), []);
}

/// A key that a `delete_user` left behind (it committed between that
/// deletion's read and its commit) is dead and is deleted when presented.
#[test]
fn a_key_left_behind_by_a_user_deletion_does_not_verify() {
    let a = auth();
    let ann = a.create_user("ann", "pw", "").unwrap();
    let k = key(&a, &KeyOwner::User(ann.id), "ci", Some(DAY));
    a.env()
        .commit(&[], &[Write::delete(keys::user(ann.id))])
        .unwrap();
    assert_eq!(a.verify_api_key(&k.key), Err(Error::InvalidToken));
    assert_eq!(api_entries(&a), []);
}

#[test]
fn a_creation_racing_a_user_deletion_fails_and_writes_nothing() {
    let env = cheap_env();
    let other = plain(&env);
    let ann = other.create_user("ann", "pw", "").unwrap();
    let a = racing(&env, || other.delete_user(ann.id).unwrap());
    assert_eq!(
        a.create_api_key(&KeyOwner::User(ann.id), "ci", "", Some(DAY))
            .map(|_| ()),
        Err(Error::NoUser)
    );
    assert!(
        !env.dump()
            .iter()
            .any(|(k, _)| [b'k', b'c', b'd', b'e'].contains(&k[0]))
    );
}

/// The other order: `delete_user` has read the user's keys when a key is
/// created; its commit conflicts on the owner's version, and the retry
/// deletes the new key too.
#[test]
fn a_user_deletion_racing_a_creation_deletes_the_new_key_too() {
    let env = cheap_env();
    let other = plain(&env);
    let ann = other.create_user("ann", "pw", "").unwrap();
    let owner = KeyOwner::User(ann.id);
    other.create_api_key(&owner, "old", "", None).unwrap();
    let a = racing(&env, || {
        other.create_api_key(&owner, "new", "", None).unwrap();
    });
    a.delete_user(ann.id).unwrap();
    assert!(
        !env.dump()
            .iter()
            .any(|(k, _)| [b'k', b'c', b'd', b'e', b'v'].contains(&k[0])),
        "no key, index, claim, expiry or version of ann's is left"
    );
}

#[test]
fn service_owners_are_independent_of_users() {
    let a = auth();
    let ann = a.create_user("ann", "pw", "").unwrap();
    assert_eq!(ann.id, 1);
    let user = KeyOwner::User(ann.id);
    let lookalikes = [svc("ann"), svc("1"), svc("01"), svc("u1"), svc("0")];
    let users_key = key(&a, &user, "ci", None);
    let mut services = Vec::new();
    for s in &lookalikes {
        services.push(key(&a, s, "ci", None));
        assert_eq!(ids(&a.list_api_keys(s).unwrap()).len(), 1, "{s:?}");
    }
    assert_eq!(a.list_api_keys(&user).unwrap().len(), 1);
    a.delete_user(ann.id).unwrap();
    assert_eq!(a.verify_api_key(&users_key.key), Err(Error::InvalidToken));
    for (s, k) in lookalikes.iter().zip(&services) {
        assert_eq!(a.verify_api_key(&k.key).unwrap().owner, *s);
    }
    // A new "ann" does not inherit the service's keys either.
    let ann2 = a.create_user("ann", "pw", "").unwrap();
    assert_eq!(a.list_api_keys(&KeyOwner::User(ann2.id)).unwrap(), []);
    assert_eq!(a.revoke_api_keys(&svc("ann")), Ok(1));
    assert_eq!(a.list_api_keys(&svc("1")).unwrap().len(), 1);
}

#[test]
fn sweep_deletes_expired_keys_and_all_their_entries_and_leaves_live_ones() {
    let a = auth();
    let ann = a.create_user("ann", "pw", "").unwrap();
    let owner = KeyOwner::User(ann.id);
    let expired = key(&a, &owner, "short", Some(10));
    let rotated = key(&a, &owner, "rotated", Some(DAY));
    let successor = a.rotate_api_key(&rotated.info.id, 5).unwrap();
    let live = key(&a, &owner, "long", Some(DAY));
    let forever = key(&a, &svc("ci"), "forever", None);
    a.env().advance(10);
    let out = a.sweep(100).unwrap();
    assert_eq!(out.deleted, 2);
    assert_eq!(
        out.next_expiry,
        successor.info.expires.min(live.info.expires)
    );
    for k in [&expired, &rotated] {
        assert_eq!(a.verify_api_key(&k.key), Err(Error::InvalidToken));
    }
    // Three live keys of four entries each, but for the one not expiring.
    assert_eq!(api_entries(&a).len(), 4 + 4 + 3);
    for k in [&successor, &live, &forever] {
        assert!(a.verify_api_key(&k.key).is_ok());
    }
    // The successor kept its name; the expired key's name is free.
    assert_eq!(
        a.create_api_key(&owner, "rotated", "", None).map(|_| ()),
        Err(Error::NameTaken)
    );
    key(&a, &owner, "short", None);
}

/// The sweep finds a key through its expiry entry; an entry that does not
/// match a live key's expiry (which no operation leaves, but a store may)
/// must not take the key with it.
#[test]
fn a_stale_expiry_entry_does_not_sweep_a_live_key() {
    let a = auth();
    let k = key(&a, &svc("ci"), "live", Some(DAY));
    let digest = token::digest(&k.key);
    let stale = keys::expiry(a.env().now(), &digest);
    a.env()
        .commit(&[], &[Write::put(stale.clone(), vec![keys::API_KEY])])
        .unwrap();
    assert_eq!(a.api_key_deletes(&digest), Ok(Vec::new()));
    assert_eq!(a.sweep(100).unwrap().deleted, 1);
    assert!(a.env().get(&stale).unwrap().is_none());
    assert!(a.verify_api_key(&k.key).is_ok());
    assert_eq!(a.api_key_deletes(&[7; 32]), Ok(Vec::new()), "gone: none");
}

#[test]
fn invalid_inputs_write_nothing() {
    let a = auth();
    let ann = a.create_user("ann", "pw", "").unwrap();
    let user = KeyOwner::User(ann.id);
    let k = key(&a, &user, "taken", Some(DAY));
    let before = a.env().len();
    let long = "x".repeat(MAX_KEY_NAME_BYTES + 1);
    let bad_inputs: [(&KeyOwner, &str, &str, Option<u64>); 10] = [
        (&svc(""), "ok", "", None),
        (&svc("a\nb"), "ok", "", None),
        (&svc(&long), "ok", "", None),
        (&user, "", "", None),
        (&user, "tab\there", "", None),
        (&user, "nul\0", "", None),
        (&user, &long, "", None),
        (&user, "ok", &"s".repeat(MAX_SCOPES_BYTES + 1), None),
        (&user, "ok", "", Some(0)),
        (&user, "ok", "", Some(crate::MAX_LIFETIME + 1)),
    ];
    for (owner, name, scopes, lifetime) in bad_inputs {
        let got = a.create_api_key(owner, name, scopes, lifetime);
        assert!(
            matches!(got, Err(Error::InvalidInput(_))),
            "{owner:?} {name:.20?}: {got:?}"
        );
    }
    for owner in [svc(""), svc("\u{7f}"), svc(&long)] {
        assert!(matches!(
            a.list_api_keys(&owner),
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(
            a.revoke_api_keys(&owner),
            Err(Error::InvalidInput(_))
        ));
    }
    assert!(matches!(
        a.rotate_api_key(&k.info.id, MAX_ROTATION_OVERLAP + 1),
        Err(Error::InvalidInput(_))
    ));
    assert_eq!(
        a.create_api_key(&KeyOwner::User(99), "ok", "", None)
            .map(|_| ()),
        Err(Error::NoUser)
    );
    assert_eq!(
        a.create_api_key(&user, "taken", "", None).map(|_| ()),
        Err(Error::NameTaken)
    );
    assert_eq!(a.env().len(), before);
    // The bounds themselves are accepted.
    let max_name = "é".repeat(MAX_KEY_NAME_BYTES / 2);
    let edge = a
        .create_api_key(
            &svc(&max_name),
            &max_name,
            &"s".repeat(MAX_SCOPES_BYTES),
            Some(crate::MAX_LIFETIME),
        )
        .unwrap();
    a.rotate_api_key(&edge.info.id, MAX_ROTATION_OVERLAP)
        .unwrap();
    key(&a, &user, "one-second", Some(1));
}

#[test]
fn deleting_a_user_with_the_most_keys_is_one_bounded_commit() {
    let a = auth();
    let ann = a.create_user("ann", "pw", "").unwrap();
    for i in 0..MAX_API_KEYS_PER_OWNER {
        key(&a, &KeyOwner::User(ann.id), &format!("k{i}"), Some(DAY));
    }
    a.env().reset_max_commit_writes();
    a.delete_user(ann.id).unwrap();
    // The user, name, revocation, stamp and key version, and four keys a key.
    assert!(a.env().max_commit_writes() <= 5 + 4 * u64::from(MAX_API_KEYS_PER_OWNER));
    assert_eq!(api_entries(&a), []);
}

#[test]
fn records_round_trip() {
    // A lifetime creation could not have stored is damage, not a record.
    let mut damaged = ApiKeyRecord {
        owner: svc("ci"),
        name: "deploy".into(),
        scopes: String::new(),
        created: 1,
        lifetime: Some(crate::MAX_LIFETIME + 1),
        expires: None,
        last_used: None,
    };
    assert!(matches!(
        ApiKeyRecord::decode(&damaged.encode()),
        Err(Error::Storage(_))
    ));
    damaged.lifetime = Some(0);
    assert!(matches!(
        ApiKeyRecord::decode(&damaged.encode()),
        Err(Error::Storage(_))
    ));

    for owner in [KeyOwner::User(u64::MAX), svc("ci/../é")] {
        for (lifetime, expires, last_used) in [
            (None, None, None),
            (Some(1), Some(2), Some(3)),
            (Some(crate::MAX_LIFETIME), None, Some(0)),
        ] {
            let r = ApiKeyRecord {
                owner: owner.clone(),
                name: "deploy".into(),
                scopes: String::new(),
                created: 7,
                lifetime,
                expires,
                last_used,
            };
            let bytes = r.encode();
            assert_eq!(bytes[0], 1);
            assert_eq!(ApiKeyRecord::decode(&bytes), Ok(r));
        }
    }
}

#[test]
fn garbage_records_do_not_decode() {
    let r = ApiKeyRecord {
        owner: svc("ci"),
        name: "deploy".into(),
        scopes: "read".into(),
        created: 7,
        lifetime: Some(10),
        expires: Some(17),
        last_used: None,
    };
    let bytes = r.encode();
    let is_corrupt = |b: &[u8]| matches!(ApiKeyRecord::decode(b), Err(Error::Storage(_)));
    for len in 0..bytes.len() {
        assert!(is_corrupt(&bytes[..len]), "truncated to {len}");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(is_corrupt(&longer));
    let with = |i: usize, v: u8| {
        let mut b = bytes.clone();
        b[i] = v;
        b
    };
    assert!(is_corrupt(&with(0, 2)), "unknown version");
    assert!(is_corrupt(&with(0, 0)), "unknown version");
    assert!(is_corrupt(&with(1, 2)), "unknown owner kind");
    // The lifetime's option flag follows version, owner, name, scopes and
    // created.
    let flag = 1 + 1 + (4 + 2) + (4 + 6) + (4 + 4) + 8;
    assert_eq!(bytes[flag], 1);
    assert!(is_corrupt(&with(flag, 2)), "bad option flag");
    assert!(is_corrupt(&with(1 + 1 + 4, 0xff)), "not UTF-8");
    assert!(is_corrupt(&with(1 + 1 + 3, 0xff)), "length past the end");
    for garbage in [
        &[][..],
        &[1],
        &[0xff; 64],
        &[1, 0],
        &[1, 1, 0xff, 0xff, 0xff, 0xff],
    ] {
        assert!(is_corrupt(garbage), "{garbage:?}");
    }
    // Every single byte value at every position: an error or a record,
    // never a panic.
    for i in 0..bytes.len() {
        for v in 0..=255 {
            let _ = ApiKeyRecord::decode(&with(i, v));
        }
    }
}

#[test]
fn get_api_key_shows_a_live_key_by_id_without_using_it() {
    let a = auth();
    let owner = KeyOwner::Service("ci".into());
    let new = a
        .create_api_key(&owner, "deploy", "read", Some(100))
        .unwrap();
    let commits = a.env().commits();
    assert_eq!(a.get_api_key(&new.info.id), Ok(new.info.clone()));
    assert_eq!(a.env().commits(), commits, "a lookup writes nothing");
    for bad in ["", "zz", "0000000000000000", &new.key] {
        assert_eq!(a.get_api_key(bad), Err(Error::InvalidToken), "{bad}");
    }
    a.env().advance(100);
    assert_eq!(a.get_api_key(&new.info.id), Err(Error::InvalidToken));
}
