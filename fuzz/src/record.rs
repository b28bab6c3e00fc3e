//! `record`: corrupt stored records, then call every operation. The record
//! decoders are private to moth-core, so they are reached the way a
//! damaged database would reach them: a store seeded through the API (two
//! users, live, expired and revoked tokens, stored settings) has its values
//! mutated under their real keys (and some keys added next to real ones),
//! then every operation runs. Nothing may panic; reads may fail only with
//! [`Error::Storage`] or their ordinary "not found" error.
//!
//! The input is a list of edits, each `[key, kind, argument bytes…]`.

use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use moth_core::memory::MemoryEnv;
use moth_core::{Auth, Entry, Env, Error, MAX_SWEEP, Settings, Write};

use crate::{cheap_settings, forge};

/// The seeded store, made once: its entries, clock and tokens.
struct Seed {
    entries: Vec<Entry>,
    now: u64,
    tokens: Vec<String>,
}

fn seed() -> &'static Seed {
    static SEED: OnceLock<Seed> = OnceLock::new();
    SEED.get_or_init(|| {
        let auth = Auth::new(MemoryEnv::new());
        auth.set_settings(Settings {
            default_token_lifetime: 3600,
            ..cheap_settings()
        })
        .expect("settings");
        let ann = auth.create_user("ann", "pw-ann", "admin").expect("ann");
        auth.create_user("bob", "pw-bob", "").expect("bob");
        let mut tokens = Vec::new();
        for (who, pw, lifetime) in [
            ("ann", "pw-ann", Some(60)),
            ("ann", "pw-ann", None),
            ("bob", "pw-bob", None),
            ("bob", "pw-bob", Some(10)),
        ] {
            tokens.push(auth.login(who, pw, lifetime).expect("login").token);
        }
        auth.env().advance(100);
        // Revoked: minted before a revocation.
        tokens.push(auth.login("ann", "pw-ann", None).expect("login").token);
        auth.delete_tokens(ann.id).expect("revoke");
        tokens.push(auth.login("ann", "pw-ann", None).expect("login").token);
        Seed {
            entries: auth.env().dump(),
            now: auth.env().now(),
            tokens,
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
        Err(e) if also.contains(e) => {}
        Err(e) => panic!("{what} answered {e:?} on a damaged store"),
    }
}

/// An operation that hashes or mints answered `r`.
fn minting<T: std::fmt::Debug>(what: &str, r: &Result<T, Error>, bad_settings: bool) {
    match r {
        Err(Error::InvalidInput(_)) if bad_settings => {}
        r => allowed(
            what,
            r,
            &[Error::NoUser, Error::InvalidPassword, Error::UserExists],
        ),
    }
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
    let dump = auth.env().dump();
    let costly = too_costly(&dump, settings.as_ref());
    if !costly {
        for (name, pw) in [
            ("ann", "pw-ann"),
            ("bob", "pw-bob"),
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

    #[test]
    fn generated_inputs() {
        let mut g = generator(2);
        for _ in 0..budget(400) {
            run(&g.input(256));
        }
    }
}
