//! moth's own Argon2id runs with wasm SIMD only inside the component, so
//! these check it there: hashes made by the `argon2` crate (computed with
//! it natively, pasted below) verify through the component, and hashes the
//! component makes verify through it, for several costs and lane counts.
//! (The native tests in guest/core compare the same code, compiled
//! without SIMD, with the crate directly.)

use moth::{Moth, Options, Settings, Write};

/// `argon2::Argon2::new(Argon2id, V0x13, Params::new(m, t, p, None))`
/// `.hash_password(password, SaltString::encode_b64(&[byte; 16]))` with
/// the `argon2` crate 0.5.3: (password, PHC string). All the same length
/// as a hash made under [`cheap`] (16-byte salt, 32-byte tag, two-digit
/// m), so one can take the place of another in a stored user record.
const CRATE_HASHES: [(&str, &str); 4] = [
    (
        "correct horse battery staple",
        "$argon2id$v=19$m=64,t=2,p=2$EREREREREREREREREREREQ$veVE0NO3sYP1O0FSrZ6n5lvEyVBMAmWadPja2b0CbfM",
    ),
    (
        "pässwörd",
        "$argon2id$v=19$m=32,t=1,p=4$IiIiIiIiIiIiIiIiIiIiIg$xIBVVPHWt1Bl2Ro9FX0OUjgpe8OPFUT94Y2HEbgnjyc",
    ),
    (
        "x",
        // m' = 48 blocks: 50 KiB rounded down to a multiple of 4·p.
        "$argon2id$v=19$m=50,t=3,p=3$MzMzMzMzMzMzMzMzMzMzMw$GqbZ+kOC8c/ViVFPvSjKNPnEnwYegCiy1BuTJtSro1M",
    ),
    (
        "hunter2",
        "$argon2id$v=19$m=16,t=2,p=1$RERERERERERERERERERERA$KdrIKlmiSm9QxBLFvjxd4bFpD+f6+j3bMx35L5mfeDA",
    ),
];

fn cheap() -> Settings {
    Settings {
        argon2_memory_kib: 64,
        argon2_iterations: 2,
        argon2_parallelism: 2,
        allow_weak_hashing: true,
        ..Settings::default()
    }
}

fn open(dir: &tempfile::TempDir) -> Moth {
    Options::new()
        .create(true)
        .sweep_interval(None)
        .settings(cheap())
        .open(dir.path().join("moth.db"))
        .unwrap()
}

/// The stored user record (key and value) holding `username`'s password
/// hash, and where in it the PHC string is. Records are uncompressed, each
/// string after its length as a big-endian u32.
fn stored_hash(moth: &Moth, username: &str) -> (Vec<u8>, Vec<u8>, std::ops::Range<usize>) {
    let contains = |v: &[u8], s: &[u8]| v.windows(s.len()).any(|w| w == s);
    let entries = moth.capabilities().store.scan(b"u", b"v", 1000).unwrap();
    let (key, value) = entries
        .into_iter()
        .find(|(_, v)| contains(v, username.as_bytes()) && contains(v, b"$argon2id$"))
        .unwrap_or_else(|| panic!("no user record for {username}"));
    let start = value.windows(10).position(|w| w == b"$argon2id$").unwrap();
    let len = u32::from_be_bytes(value[start - 4..start].try_into().unwrap()) as usize;
    (key, value, start..start + len)
}

#[test]
fn crate_made_hashes_verify_through_the_component() {
    let dir = tempfile::tempdir().unwrap();
    let moth = open(&dir);
    for (i, (password, phc)) in CRATE_HASHES.iter().enumerate() {
        let name = format!("user{i}");
        moth.create_user(&name, "placeholder password", "").unwrap();
        let (key, mut value, at) = stored_hash(&moth, &name);
        assert!(
            std::str::from_utf8(&value[at.clone()])
                .unwrap()
                .starts_with("$argon2id$v=19$m=64,t=2,p=2$"),
            "the component hashes with the settings' costs"
        );
        assert_eq!(at.len(), phc.len(), "same length, so a drop-in");
        value.splice(at, phc.bytes());
        let write = Write {
            key,
            value: Some(value),
        };
        moth.capabilities().store.commit(&[], &[write]).unwrap();

        assert!(moth.check_password(&name, password).unwrap(), "{phc}");
        assert!(!moth.check_password(&name, "placeholder password").unwrap());
        let mut near = password.to_string();
        near.push(' ');
        assert!(!moth.check_password(&name, &near).unwrap());
    }
}

#[test]
fn component_made_hashes_verify_through_the_component() {
    let dir = tempfile::tempdir().unwrap();
    let moth = open(&dir);
    let password = "correct horse battery staple";
    moth.create_user("ann", password, "").unwrap();
    let (_, value, at) = stored_hash(&moth, "ann");
    let phc = std::str::from_utf8(&value[at]).unwrap();
    assert!(phc.starts_with("$argon2id$v=19$m=64,t=2,p=2$"), "{phc}");
    assert!(moth.check_password("ann", password).unwrap());
    assert!(
        !moth
            .check_password("ann", "Correct horse battery staple")
            .unwrap()
    );
    // Logging in works, and after new costs the rehash at login still does.
    moth.login("ann", password, None).unwrap();
    moth.set_settings(Settings {
        argon2_memory_kib: 40,
        argon2_iterations: 1,
        argon2_parallelism: 4,
        ..cheap()
    })
    .unwrap();
    moth.login("ann", password, None).unwrap();
    let (_, value, at) = stored_hash(&moth, "ann");
    let phc = std::str::from_utf8(&value[at]).unwrap();
    assert!(phc.starts_with("$argon2id$v=19$m=40,t=1,p=4$"), "{phc}");
    assert!(moth.check_password("ann", password).unwrap());
    assert!(!moth.check_password("ann", "wrong").unwrap());
}
