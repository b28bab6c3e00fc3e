use super::*;
use argon2::password_hash::PasswordHasher;
use argon2::{AssociatedData, ParamsBuilder};
use proptest::prelude::*;

#[test]
fn rfc9106_argon2id_vector() {
    // RFC 9106 §5.3.
    let mut tag = [0u8; 32];
    argon2id::hash_into(&[1; 32], &[2; 16], &[3; 8], &[4; 12], 32, 3, 4, &mut tag).unwrap();
    assert_eq!(
        tag,
        [
            0x0d, 0x64, 0x0d, 0xf5, 0x8d, 0x78, 0x76, 0x6c, 0x08, 0xc0, 0x37, 0xa3, 0x4a, 0x8b,
            0x53, 0xc9, 0xd0, 0x1e, 0xf0, 0x45, 0x2d, 0x75, 0xb6, 0x5e, 0xb5, 0x25, 0x20, 0xe9,
            0x6b, 0x01, 0xe6, 0x59,
        ]
    );
}

/// The `argon2` crate's tag for the same inputs.
#[allow(clippy::too_many_arguments)]
fn crate_tag(
    password: &[u8],
    salt: &[u8],
    secret: &[u8],
    ad: &[u8],
    m: u32,
    t: u32,
    p: u32,
    out: &mut [u8],
) {
    let params = ParamsBuilder::new()
        .m_cost(m)
        .t_cost(t)
        .p_cost(p)
        .data(AssociatedData::new(ad).unwrap())
        .build()
        .unwrap();
    let argon = if secret.is_empty() {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    } else {
        Argon2::new_with_secret(secret, Algorithm::Argon2id, Version::V0x13, params).unwrap()
    };
    argon.hash_password_into(password, salt, out).unwrap();
}

#[test]
fn long_outputs_match_the_crate() {
    // H' with T > 64 (and the 1024-byte maximum) for the tag as well.
    for len in [4, 63, 64, 65, 96, 97, 128, 1000, 1024] {
        let (mut own, mut theirs) = (vec![0u8; len], vec![0u8; len]);
        argon2id::hash_into(b"pw", b"saltsalt", &[], &[], 16, 1, 2, &mut own).unwrap();
        crate_tag(b"pw", b"saltsalt", &[], &[], 16, 1, 2, &mut theirs);
        assert_eq!(own, theirs, "output length {len}");
    }
}

#[test]
fn out_of_bounds_inputs_are_refused() {
    let mut tag = [0u8; 32];
    let ok = |salt: &[u8], m, t, p, out: &mut [u8]| {
        argon2id::hash_into(b"pw", salt, &[], &[], m, t, p, out).is_ok()
    };
    assert!(ok(&[0; 8], 8, 1, 1, &mut tag));
    assert!(!ok(&[0; 7], 8, 1, 1, &mut tag), "short salt");
    assert!(!ok(&[0; 8], 15, 1, 2, &mut tag), "under 8 KiB per lane");
    assert!(!ok(&[0; 8], 8, 0, 1, &mut tag), "no passes");
    assert!(!ok(&[0; 8], 8, 1, 0, &mut tag), "no lanes");
    assert!(!ok(&[0; 8], 8, 1, 1, &mut tag[..3]), "short output");
    assert!(!ok(&[0; 8], 8, 1, 1, &mut [0; 1025]), "long output");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// The own Argon2id against the `argon2` crate.
    #[test]
    fn same_tag_as_the_argon2_crate(
        p in 1u32..=4,
        m_extra in 0u32..=120,
        t in 1u32..=3,
        password in proptest::collection::vec(any::<u8>(), 0..64),
        salt in proptest::collection::vec(any::<u8>(), 8..32),
        secret in proptest::collection::vec(any::<u8>(), 0..16),
        ad in proptest::collection::vec(any::<u8>(), 0..16),
        out_len in 4usize..64,
    ) {
        let m = (8 * p + m_extra).min(128);
        let (mut own, mut theirs) = (vec![0u8; out_len], vec![0u8; out_len]);
        argon2id::hash_into(&password, &salt, &secret, &ad, m, t, p, &mut own).unwrap();
        crate_tag(&password, &salt, &secret, &ad, m, t, p, &mut theirs);
        prop_assert_eq!(own, theirs);
    }
}

#[test]
fn phc_strings_are_the_crates_and_verify_both_ways() {
    for (m, t, p, password) in [
        (8, 1, 1, "a"),
        (64, 2, 2, "correct horse battery staple"),
        (100, 3, 3, "pässwörd"),
        (128, 1, 4, "x"),
    ] {
        let settings = Settings {
            argon2_memory_kib: m,
            argon2_iterations: t,
            argon2_parallelism: p,
            ..Settings::default()
        };
        let salt = [m as u8; 16];
        let own = hash_with_salt(&settings, password, &salt).unwrap();
        let theirs = hasher(&settings)
            .unwrap()
            .hash_password(password.as_bytes(), &SaltString::encode_b64(&salt).unwrap())
            .unwrap()
            .to_string();
        assert_eq!(own, theirs);
        // Ours verified by the crate, the crate's by ours.
        let parsed = PasswordHash::new(&own).unwrap();
        assert!(
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        );
        assert!(verify(&theirs, password).unwrap());
        assert!(!verify(&theirs, "wrong").unwrap());
        // A different salt length and tag length still go the own way.
        let odd = ParamsBuilder::new()
            .m_cost(m)
            .t_cost(t)
            .p_cost(p)
            .output_len(20)
            .build()
            .unwrap();
        let odd = Argon2::new(Algorithm::Argon2id, Version::V0x13, odd)
            .hash_password(
                password.as_bytes(),
                &SaltString::encode_b64(&[9; 11]).unwrap(),
            )
            .unwrap()
            .to_string();
        let parsed = PasswordHash::new(&odd).unwrap();
        assert!(Plain::of(&parsed).is_some(), "{odd}");
        assert!(verify(&odd, password).unwrap());
        assert!(!verify(&odd, "wrong").unwrap());
    }
}

#[test]
fn other_hashes_verify_through_the_crate() {
    let params = ParamsBuilder::new()
        .m_cost(16)
        .t_cost(1)
        .p_cost(1)
        .data(AssociatedData::new(b"ad").unwrap())
        .build()
        .unwrap();
    let salt = SaltString::encode_b64(&[5; 16]).unwrap();
    for (algorithm, version, params) in [
        (
            Algorithm::Argon2id,
            Version::V0x10,
            Params::new(16, 1, 1, None).unwrap(),
        ),
        (
            Algorithm::Argon2i,
            Version::V0x13,
            Params::new(16, 1, 1, None).unwrap(),
        ),
        (
            Algorithm::Argon2d,
            Version::V0x13,
            Params::new(16, 1, 1, None).unwrap(),
        ),
        (Algorithm::Argon2id, Version::V0x13, params),
    ] {
        let h = Argon2::new(algorithm, version, params)
            .hash_password(b"pw", &salt)
            .unwrap()
            .to_string();
        assert!(Plain::of(&PasswordHash::new(&h).unwrap()).is_none(), "{h}");
        assert!(verify(&h, "pw").unwrap(), "{h}");
        assert!(!verify(&h, "pv").unwrap(), "{h}");
    }
}

#[test]
fn dummy_verification_runs_under_any_settings() {
    verify_dummy(&cheap(), "pw");
    verify_dummy(
        &Settings {
            argon2_parallelism: 0,
            ..cheap()
        },
        "pw",
    );
}

fn cheap() -> Settings {
    Settings {
        argon2_memory_kib: 64,
        argon2_iterations: 1,
        ..Settings::default()
    }
}

#[test]
fn hash_is_argon2id_phc_and_verifies() {
    let h = hash_with_salt(&cheap(), "hunter2", &[7; 16]).unwrap();
    assert!(h.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{h}");
    assert!(verify(&h, "hunter2").unwrap());
    assert!(!verify(&h, "hunter3").unwrap());
    assert!(
        !verify(&h, "hunter2 ").unwrap(),
        "no trimming or truncation"
    );
}

#[test]
fn rehash_is_needed_exactly_when_costs_change() {
    let h = hash_with_salt(&cheap(), "pw", &[1; 16]).unwrap();
    assert!(!needs_rehash(&h, &cheap()));
    assert!(needs_rehash(
        &h,
        &Settings {
            argon2_iterations: 2,
            ..cheap()
        }
    ));
    assert!(needs_rehash(&h, &Settings::default()));
    assert!(needs_rehash("garbage", &cheap()));
}

#[test]
fn password_bounds() {
    assert!(matches!(
        check_password_input(""),
        Err(Error::InvalidInput(_))
    ));
    assert!(check_password_input(&"a".repeat(MAX_PASSWORD_BYTES)).is_ok());
    assert!(matches!(
        check_password_input(&"a".repeat(MAX_PASSWORD_BYTES + 1)),
        Err(Error::InvalidInput(_))
    ));
}

#[test]
fn bad_costs_are_rejected() {
    for s in [
        Settings {
            argon2_parallelism: 0,
            ..cheap()
        },
        Settings {
            argon2_iterations: 0,
            ..cheap()
        },
        Settings {
            argon2_memory_kib: 7,
            ..cheap()
        },
        Settings {
            argon2_memory_kib: MAX_ARGON2_MEMORY_KIB + 1,
            ..cheap()
        },
    ] {
        assert!(matches!(hasher(&s), Err(Error::InvalidInput(_))), "{s:?}");
    }
}
