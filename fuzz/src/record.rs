//! `record`: corrupt stored records, then call every operation. The record
//! decoders are private to moth-core, so they are reached the way a
//! damaged database would reach them: a store seeded through the API (two
//! users, live, expired and revoked tokens, stored settings; email tokens
//! live, used, bound to an IP, with a retval, expired; API keys of a user
//! and of a service, expiring, expired, rotated and still in its overlap;
//! one-time tokens live, of a dead generation, expired) has its values
//! mutated under their real keys (and some keys added next to real ones),
//! then every operation runs. Nothing may panic; reads may fail only with
//! [`Error::Storage`] or their ordinary "not found" or "invalid token"
//! error.
//!
//! The input is a list of edits, each `[key, kind, argument bytes…]`.

use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use moth_core::memory::MemoryEnv;
use moth_core::{
    Auth, EmailTokenOptions, Entry, Env, Error, KeyOwner, MAX_SWEEP, PURPOSE_RESET_PASSWORD,
    PURPOSE_VERIFY_EMAIL, Settings, Write,
};

use crate::{cheap_settings, forge};

/// The seeded store, made once: its entries, clock and secrets.
struct Seed {
    entries: Vec<Entry>,
    now: u64,
    tokens: Vec<String>,
    /// Email tokens: address, secret, public id.
    emails: Vec<(String, String, String)>,
    /// API keys: secret, public id.
    keys: Vec<(String, String)>,
    /// One-time tokens: secret, purpose.
    once: Vec<(String, String)>,
}

const ANN_MAIL: &str = "ann@example.com";
const BOB_MAIL: &str = "bob@example.com";
const SERVICE: &str = "billing";

fn seed() -> &'static Seed {
    static SEED: OnceLock<Seed> = OnceLock::new();
    SEED.get_or_init(|| {
        let auth = Auth::new(MemoryEnv::new());
        auth.set_settings(Settings {
            default_token_lifetime: 3600,
            ..cheap_settings()
        })
        .expect("settings");
        let ann = auth.create_user("ann", "pw-a", "admin").expect("ann");
        let bob = auth.create_user("bob", "pw-b", "").expect("bob");
        let mut emails = Vec::new();
        let mut email = |address: &str, options: EmailTokenOptions| {
            let t = auth
                .create_email_token(address, &options)
                .expect("email token");
            emails.push((address.to_owned(), t.token, t.id));
        };
        // Bound to an IP, three uses and a retval; plain; short-lived.
        email(
            ANN_MAIL,
            EmailTokenOptions {
                ip: Some("192.0.2.1".into()),
                lifetime: Some(3600),
                retval: Some("https://example.com/welcome".into()),
                uses: Some(3),
            },
        );
        email(BOB_MAIL, EmailTokenOptions::default());
        email(
            BOB_MAIL,
            EmailTokenOptions {
                lifetime: Some(10),
                ip: Some("2001:db8::1".into()),
                ..EmailTokenOptions::default()
            },
        );
        let mut keys = Vec::new();
        let mut key = |owner: KeyOwner, name: &str, lifetime: Option<u64>| {
            let k = auth
                .create_api_key(&owner, name, "read write", lifetime)
                .expect("API key");
            keys.push((k.key, k.info.id));
        };
        key(KeyOwner::User(ann.id), "ci", None);
        key(KeyOwner::User(bob.id), "deploy", Some(3600));
        key(KeyOwner::Service(SERVICE.into()), "ledger", Some(10));
        key(KeyOwner::Service(SERVICE.into()), "sync", None);
        let mut once = Vec::new();
        // Expires before the clock moves on.
        let t = auth
            .issue_one_time_token(bob.id, "invite", Some(10))
            .expect("one-time token");
        once.push((t.token, "invite".to_owned()));
        // Of a generation the revocation below ends.
        let t = auth
            .issue_one_time_token(ann.id, PURPOSE_RESET_PASSWORD, None)
            .expect("one-time token");
        once.push((t.token, PURPOSE_RESET_PASSWORD.to_owned()));
        let mut tokens = Vec::new();
        for (who, pw, lifetime) in [
            ("ann", "pw-a", Some(60)),
            ("ann", "pw-a", None),
            ("bob", "pw-b", None),
            ("bob", "pw-b", Some(10)),
        ] {
            tokens.push(auth.login(who, pw, lifetime).expect("login").token);
        }
        auth.env().advance(100);
        // Revoked: minted before a revocation.
        tokens.push(auth.login("ann", "pw-a", None).expect("login").token);
        auth.delete_tokens(ann.id).expect("revoke");
        tokens.push(auth.login("ann", "pw-a", None).expect("login").token);
        // Used once (two uses left).
        auth.auth_email_token(ANN_MAIL, &emails[0].1, Some("192.0.2.1"))
            .expect("use the email token");
        // Rotated with an overlap: the old key lives on a while, the new
        // one holds the name.
        let rotated = auth
            .rotate_api_key(&keys[3].1, 600)
            .expect("rotate the key");
        keys.push((rotated.key, rotated.info.id));
        auth.verify_api_key(&keys[0].0).expect("verify the key");
        for (user, purpose) in [
            (ann.id, PURPOSE_RESET_PASSWORD),
            (bob.id, PURPOSE_VERIFY_EMAIL),
        ] {
            let t = auth
                .issue_one_time_token(user, purpose, Some(3600))
                .expect("one-time token");
            once.push((t.token, purpose.to_owned()));
        }
        Seed {
            entries: auth.env().dump(),
            now: auth.env().now(),
            tokens,
            emails,
            keys,
            once,
        }
    })
}

/// One change to the store.
#[derive(Arbitrary, Debug)]
pub enum Edit {
    /// Replace the value.
    Replace(u8, Vec<u8>),
    /// Keep only the first bytes.
    Truncate(u8, u16),
    /// Flip one bit.
    Flip(u8, u16, u8),
    /// Overwrite 4 bytes with a big-endian number, as a length prefix
    /// or an id would be stored.
    Number(u8, u16, u32),
    /// Overwrite 8 bytes with a big-endian number.
    Wide(u8, u16, u64),
    /// Append bytes.
    Append(u8, Vec<u8>),
    /// Delete the key.
    Delete(u8),
    /// Store one key's value under another key.
    Copy(u8, u8),
    /// Add a key: a real key cut short or extended, with any value.
    Sibling(u8, u8, Vec<u8>, Vec<u8>),
}

/// The costs of a hash or settings found in `bytes` that would make an
/// operation too slow for a fuzzer: Argon2 memory times passes.
fn too_costly(entries: &[Entry], settings: Option<&Settings>) -> bool {
    const BUDGET: u64 = 4096; // KiB × passes
    if let Some(s) = settings
        && u64::from(s.argon2_memory_kib) * u64::from(s.argon2_iterations) > BUDGET
    {
        return true;
    }
    // A stored PHC string names its own costs, and verifying it pays them.
    entries.iter().any(|(_, v)| {
        let v = String::from_utf8_lossy(v);
        let number = |tag: &str| -> u64 {
            v.split(['$', ','])
                .filter_map(|part| part.strip_prefix(tag))
                .filter_map(|n| n.parse::<u64>().ok().or(Some(u64::MAX)))
                .max()
                .unwrap_or(1)
        };
        v.contains("$argon2")
            && number("m=")
                .saturating_mul(number("t="))
                .saturating_mul(number("p=").max(1))
                > BUDGET
    })
}

/// A fresh store holding the seed with `edits` applied.
pub fn corrupt(edits: &[Edit]) -> MemoryEnv {
    let seed = seed();
    let mut map: std::collections::BTreeMap<Vec<u8>, Vec<u8>> =
        seed.entries.iter().cloned().collect();
    let keys: Vec<Vec<u8>> = seed.entries.iter().map(|(k, _)| k.clone()).collect();
    let key = |i: &u8| keys[*i as usize % keys.len()].clone();
    for edit in edits {
        match edit {
            Edit::Replace(k, v) => {
                map.insert(key(k), v.clone());
            }
            Edit::Truncate(k, n) => {
                if let Some(v) = map.get_mut(&key(k)) {
                    v.truncate(*n as usize);
                }
            }
            Edit::Flip(k, at, bit) => {
                if let Some(v) = map.get_mut(&key(k))
                    && !v.is_empty()
                {
                    let at = *at as usize % v.len();
                    v[at] ^= 1 << (bit % 8);
                }
            }
            Edit::Number(k, at, n) => overwrite(map.get_mut(&key(k)), *at, &n.to_be_bytes()),
            Edit::Wide(k, at, n) => overwrite(map.get_mut(&key(k)), *at, &n.to_be_bytes()),
            Edit::Append(k, tail) => {
                if let Some(v) = map.get_mut(&key(k)) {
                    v.extend_from_slice(tail);
                }
            }
            Edit::Delete(k) => {
                map.remove(&key(k));
            }
            Edit::Copy(from, to) => {
                if let Some(v) = map.get(&key(from)).cloned() {
                    map.insert(key(to), v);
                }
            }
            Edit::Sibling(k, keep, tail, value) => {
                let mut sibling = key(k);
                sibling.truncate(*keep as usize % (sibling.len() + 1));
                sibling.extend_from_slice(tail);
                if !sibling.is_empty() {
                    map.insert(sibling, value.clone());
                }
            }
        }
    }
    let env = MemoryEnv::new();
    env.set_now(seed.now);
    let writes: Vec<Write> = map.into_iter().map(|(k, v)| Write::put(k, v)).collect();
    env.commit(&[], &writes).expect("seed the store");
    env
}

fn overwrite(value: Option<&mut Vec<u8>>, at: u16, bytes: &[u8]) {
    if let Some(v) = value
        && v.len() >= bytes.len()
    {
        let at = at as usize % (v.len() - bytes.len() + 1);
        v[at..at + bytes.len()].copy_from_slice(bytes);
    }
}

/// What an operation may answer on a damaged store: a value, a storage
/// error, or one of the errors it names here.
fn allowed<T: std::fmt::Debug>(what: &str, r: &Result<T, Error>, also: &[Error]) {
    match r {
        Ok(_) | Err(Error::Storage(_)) => {}
        // Of the kind named: the text of `LimitReached` and the like
        // does not matter.
        Err(e)
            if also
                .iter()
                .any(|a| std::mem::discriminant(a) == std::mem::discriminant(e)) => {}
        Err(e) => panic!("{what} answered {e:?} on a damaged store"),
    }
}

/// An operation that hashes or mints answered `r`.
fn minting<T: std::fmt::Debug>(what: &str, r: &Result<T, Error>, bad_settings: bool) {
    minting_also(what, r, bad_settings, &[]);
}

/// As [`minting`], for an operation with more ordinary errors: `also`.
fn minting_also<T: std::fmt::Debug>(
    what: &str,
    r: &Result<T, Error>,
    bad_settings: bool,
    also: &[Error],
) {
    match r {
        Err(Error::InvalidInput(_)) if bad_settings => {}
        r => {
            let mut ordinary = vec![Error::NoUser, Error::InvalidPassword, Error::UserExists];
            ordinary.extend_from_slice(also);
            allowed(what, r, &ordinary);
        }
    }
}

/// Every read of email tokens, API keys and one-time tokens over `auth`,
/// then their writes but for deletions.
fn credentials(auth: &Auth<MemoryEnv>) {
    let seed = seed();
    let expired_or_not = [Error::InvalidToken, Error::TokenExpired];
    for address in [ANN_MAIL, BOB_MAIL, "nobody@example.com"] {
        allowed("list_email_tokens", &auth.list_email_tokens(address), &[]);
    }
    let auth_errors = [Error::InvalidToken, Error::TokenExpired, Error::IpMismatch];
    for (address, token, _) in &seed.emails {
        // Another address: a damaged record may name it (a record copied
        // under another token's key), so any answer of an authentication.
        let other = if address == ANN_MAIL {
            BOB_MAIL
        } else {
            ANN_MAIL
        };
        allowed(
            "auth_email_token",
            &auth.auth_email_token(other, token, None),
            &auth_errors,
        );
        allowed(
            "auth_email_token",
            &auth.auth_email_token(address, token, Some("::ffff:192.0.2.1")),
            &auth_errors,
        );
    }
    for (key, id) in &seed.keys {
        allowed("verify_api_key", &auth.verify_api_key(key), &expired_or_not);
        allowed("get_api_key", &auth.get_api_key(id), &[Error::InvalidToken]);
    }
    for owner in [
        KeyOwner::User(1),
        KeyOwner::User(2),
        KeyOwner::User(3),
        KeyOwner::Service(SERVICE.into()),
        KeyOwner::Service("nobody".into()),
    ] {
        allowed(
            "list_api_keys",
            &auth.list_api_keys(&owner),
            &[Error::NoUser],
        );
    }
    for (token, purpose) in &seed.once {
        allowed(
            "redeem_one_time_token",
            &auth.redeem_one_time_token(token, "another-purpose"),
            &expired_or_not,
        );
        // The reset-password ones are left for `reset_password`.
        if purpose != PURPOSE_RESET_PASSWORD {
            allowed(
                "redeem_one_time_token",
                &auth.redeem_one_time_token(token, purpose),
                &expired_or_not,
            );
        }
    }
    for (address, token, id) in &seed.emails {
        allowed(
            "set_email_token_retval",
            &auth.set_email_token_retval(address, token, Some("x")),
            &[Error::InvalidToken],
        );
        allowed(
            "revoke_email_token",
            &auth.revoke_email_token(address, id),
            &[Error::InvalidToken],
        );
    }
    allowed(
        "create_email_token",
        &auth.create_email_token(ANN_MAIL, &EmailTokenOptions::default()),
        &[],
    );
    allowed(
        "remove_email_address",
        &auth.remove_email_address(BOB_MAIL),
        &[],
    );
    for (_, id) in &seed.keys {
        allowed(
            "rotate_api_key",
            &auth.rotate_api_key(id, 60),
            &[Error::InvalidToken, Error::LimitReached(String::new())],
        );
    }
    for (owner, name) in [
        (KeyOwner::User(1), "ci"),
        (KeyOwner::User(2), "new"),
        (KeyOwner::Service(SERVICE.into()), "sync"),
    ] {
        allowed(
            "create_api_key",
            &auth.create_api_key(&owner, name, "", Some(60)),
            &[
                Error::NameTaken,
                Error::NoUser,
                Error::LimitReached(String::new()),
            ],
        );
    }
    allowed(
        "issue_one_time_token",
        &auth.issue_one_time_token(2, PURPOSE_VERIFY_EMAIL, None),
        &[Error::NoUser],
    );
}

/// The deletions of email tokens and API keys, after the sweep.
fn credential_deletions(auth: &Auth<MemoryEnv>) {
    let seed = seed();
    for (address, token, _) in &seed.emails {
        allowed(
            "remove_email_token",
            &auth.remove_email_token(address, token),
            &[Error::InvalidToken],
        );
    }
    for (_, id) in &seed.keys {
        allowed(
            "revoke_api_key",
            &auth.revoke_api_key(id),
            &[Error::InvalidToken],
        );
    }
    for owner in [KeyOwner::Service(SERVICE.into()), KeyOwner::User(2)] {
        allowed(
            "revoke_api_keys",
            &auth.revoke_api_keys(&owner),
            &[Error::NoUser],
        );
    }
    allowed(
        "remove_email_address",
        &auth.remove_email_address(ANN_MAIL),
        &[],
    );
}

/// Every operation, over `env`.
pub fn exercise(env: MemoryEnv) {
    let tokens = &seed().tokens;
    let auth = Auth::new(env);
    let settings = auth.get_settings();
    allowed("get_settings", &settings, &[]);
    let settings = settings.ok();
    // KNOWN: a damaged settings record is not range-checked when read, so
    // operations that hash or mint answer InvalidInput (blaming the caller)
    // instead of Storage. Tolerated here; reported.
    let bad_settings = settings.is_some_and(|s| {
        moth_core::Auth::new(MemoryEnv::new())
            .set_settings(s)
            .is_err()
    });
    let ids = [0, 1, 2, 3, u64::MAX];
    for id in ids {
        allowed("get_user", &auth.get_user(id), &[Error::NoUser]);
        allowed("count_tokens", &auth.count_tokens(id), &[Error::NoUser]);
    }
    allowed("list_users", &auth.list_users(None, 1000), &[]);
    allowed("list_users", &auth.list_users(Some(1), 1), &[]);
    let forged = forge(&[9; 32]);
    for t in tokens.iter().chain([&forged]) {
        allowed(
            "validate",
            &auth.validate(t),
            &[Error::InvalidToken, Error::TokenExpired],
        );
    }
    credentials(&auth);
    let dump = auth.env().dump();
    let costly = too_costly(&dump, settings.as_ref());
    if !costly {
        for (token, purpose) in &seed().once {
            if purpose == PURPOSE_RESET_PASSWORD {
                minting_also(
                    "reset_password",
                    &auth.reset_password(token, "pw-reset"),
                    bad_settings,
                    &[Error::InvalidToken, Error::TokenExpired],
                );
            }
        }
        for (name, pw) in [
            ("ann", "pw-a"),
            ("bob", "pw-b"),
            ("ann", "nope"),
            ("eve", "x"),
        ] {
            allowed(
                "check_password",
                &auth.check_password(name, pw),
                &[Error::NoUser],
            );
            minting("login", &auth.login(name, pw, Some(60)), bad_settings);
        }
        minting(
            "create_user",
            &auth.create_user("carol", "pw", ""),
            bad_settings,
        );
        minting(
            "set_password",
            &auth.set_password(2, "pw-new"),
            bad_settings,
        );
    }
    allowed(
        "set_permissions",
        &auth.set_permissions(1, "x"),
        &[Error::NoUser],
    );
    for t in tokens {
        allowed("logout", &auth.logout(t), &[Error::InvalidToken]);
    }
    auth.env().advance(10_000);
    allowed("sweep", &auth.sweep(MAX_SWEEP), &[]);
    credential_deletions(&auth);
    for id in ids {
        allowed("delete_tokens", &auth.delete_tokens(id), &[Error::NoUser]);
        allowed("delete_user", &auth.delete_user(id), &[Error::NoUser]);
    }
    allowed("list_users", &auth.list_users(None, 1000), &[]);
}

/// One input: a list of edits to the seeded store.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(edits) = u
        .arbitrary_iter::<Edit>()
        .and_then(|it| it.take(16).collect::<Result<Vec<_>, _>>())
    else {
        return;
    };
    exercise(corrupt(&edits));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::{budget, generator};

    #[test]
    fn the_undamaged_seed_passes() {
        exercise(corrupt(&[]));
    }

    /// Each kind of edit on every key.
    #[test]
    fn every_edit_on_every_key() {
        let n = seed().entries.len() as u8;
        for k in 0..n {
            for edit in [
                Edit::Replace(k, vec![]),
                Edit::Replace(k, vec![1]),
                Edit::Replace(k, vec![0xff; 40]),
                Edit::Truncate(k, 1),
                Edit::Truncate(k, 9),
                Edit::Flip(k, 0, 0),
                Edit::Flip(k, 5, 7),
                Edit::Number(k, 1, u32::MAX),
                Edit::Number(k, 13, u32::MAX),
                Edit::Number(k, 9, 0x7fff_ffff),
                Edit::Wide(k, 1, u64::MAX),
                Edit::Wide(k, 13, 0),
                Edit::Append(k, vec![0]),
                Edit::Delete(k),
                Edit::Copy(k, k.wrapping_add(1)),
                Edit::Copy(k.wrapping_add(3), k),
                Edit::Sibling(k, 1, vec![], vec![1, 2, 3]),
                Edit::Sibling(k, 200, vec![0], vec![]),
                Edit::Sibling(k, 9, vec![0xff; 40], vec![1]),
            ] {
                exercise(corrupt(&[edit]));
            }
        }
    }

    /// Once a finding: the lifetime of a stored API key was trusted when
    /// read, so overwritten with `u64::MAX` the key still read and rotating
    /// it answered InvalidInput (blaming the caller), not Storage.
    #[test]
    fn a_damaged_key_lifetime_is_a_storage_error() {
        let seed = seed();
        // The record of bob's "deploy" key (`k` + digest): version, owner
        // tag and id, name, scopes, created, then the lifetime's tag.
        let at = 1 + 1 + 8 + (4 + 6) + (4 + 10) + 8 + 1;
        let k = seed
            .entries
            .iter()
            .position(|(k, v)| k[0] == b'k' && v.windows(6).any(|w| w == b"deploy"))
            .expect("the deploy key") as u8;
        let auth = Auth::new(corrupt(&[Edit::Wide(k, at, u64::MAX)]));
        let id = &seed.keys[1].1;
        assert!(matches!(auth.get_api_key(id), Err(Error::Storage(_))));
        assert!(matches!(
            auth.rotate_api_key(id, 60),
            Err(Error::Storage(_))
        ));
    }

    #[test]
    fn generated_inputs() {
        let mut g = generator(2);
        for _ in 0..budget(400) {
            run(&g.input(256));
        }
    }
}
