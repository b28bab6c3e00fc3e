//! Tests of the record encoding, including reading what older versions wrote.

use super::*;

fn ann(generation: u64) -> UserRecord {
    UserRecord {
        id: 7,
        generation,
        username: "ann".into(),
        permissions: "admin,read".into(),
        password_hash: "$argon2id$...".into(),
        state: AccountState::default(),
    }
}

#[test]
fn user_round_trips_and_rejects_trailing_bytes() {
    let u = ann(u64::from(u32::MAX) + 3);
    let bytes = u.encode();
    assert_eq!(bytes[0], 3);
    assert_eq!(UserRecord::decode(&bytes).unwrap(), u);
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        UserRecord::decode(&longer),
        Err(Error::Storage(_))
    ));
    assert!(matches!(
        UserRecord::decode(&bytes[..bytes.len() - 1]),
        Err(Error::Storage(_))
    ));
    assert!(matches!(UserRecord::decode(&[]), Err(Error::Storage(_))));
    let mut unknown = bytes;
    unknown[0] = 4;
    assert!(matches!(
        UserRecord::decode(&unknown),
        Err(Error::Storage(_))
    ));
}

/// A user record exactly as version 1 wrote it: a 32-bit generation.
#[test]
fn a_version_1_user_record_still_decodes() {
    let mut v1 = vec![1];
    v1.extend_from_slice(&7u64.to_be_bytes());
    v1.extend_from_slice(&3u32.to_be_bytes());
    for s in ["ann", "admin,read", "$argon2id$..."] {
        v1.extend_from_slice(&(s.len() as u32).to_be_bytes());
        v1.extend_from_slice(s.as_bytes());
    }
    assert_eq!(UserRecord::decode(&v1).unwrap(), ann(3));
}

/// A user record exactly as version 2 wrote it (a 64-bit generation, no
/// account state) reads as the default state: enabled, unverified, not a
/// superuser, which is what every account was before states existed.
#[test]
fn a_version_2_user_record_reads_as_the_default_account_state() {
    let u = ann(u64::from(u32::MAX) + 3);
    let mut v2 = vec![2];
    v2.extend_from_slice(&u.id.to_be_bytes());
    v2.extend_from_slice(&u.generation.to_be_bytes());
    for s in [&u.username, &u.permissions, &u.password_hash] {
        v2.extend_from_slice(&(s.len() as u32).to_be_bytes());
        v2.extend_from_slice(s.as_bytes());
    }
    let read = UserRecord::decode(&v2).unwrap();
    assert_eq!(read, u);
    assert_eq!(read.state, AccountState::default());
    assert!(read.state.enabled && read.state.disabled_from.is_none());
    // Version 3 is version 2 plus the state: two bytes for the default.
    assert_eq!(u.encode()[1..], [&v2[1..], &[0, 0][..]].concat()[..]);
}

#[test]
fn every_account_state_round_trips_and_garbage_is_an_error() {
    for enabled in [true, false] {
        for email_verified in [true, false] {
            for superuser in [true, false] {
                for disabled_from in [None, Some(0), Some(1_700_000_000), Some(u64::MAX)] {
                    let state = AccountState {
                        enabled,
                        disabled_from,
                        email_verified,
                        superuser,
                    };
                    let u = UserRecord { state, ..ann(1) };
                    assert_eq!(UserRecord::decode(&u.encode()), Ok(u), "{state:?}");
                }
            }
        }
    }
    let bytes = ann(1).encode();
    let flags_at = bytes.len() - 2;
    // An unknown flag bit, a bad option byte, a time cut short.
    let mut bad_flags = bytes.clone();
    bad_flags[flags_at] = 8;
    let mut bad_option = bytes.clone();
    bad_option[flags_at + 1] = 2;
    let mut cut = UserRecord {
        state: AccountState {
            disabled_from: Some(5),
            ..AccountState::default()
        },
        ..ann(1)
    }
    .encode();
    cut.pop();
    for bad in [bad_flags, bad_option, cut, bytes[..flags_at + 1].to_vec()] {
        assert!(
            matches!(UserRecord::decode(&bad), Err(Error::Storage(_))),
            "{bad:?}"
        );
    }
}

#[test]
fn debug_redacts_the_password_hash() {
    let u = UserRecord {
        password_hash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA".into(),
        ..ann(0)
    };
    let shown = format!("{u:?}");
    assert!(
        !shown.contains("argon2") && !shown.contains("aGFzaA"),
        "{shown}"
    );
    assert!(shown.contains(r#"password_hash: "<redacted>""#), "{shown}");
    assert!(shown.contains(r#"username: "ann""#), "{shown}");
}

#[test]
fn token_session_revocation_and_settings_round_trip() {
    let t = TokenRecord {
        user_id: 1,
        generation: u64::MAX,
        minted: Some(5),
        expires: u64::MAX,
    };
    assert_eq!(TokenRecord::decode(&t.encode()).unwrap(), t);
    let s = SessionEntry {
        expires: 5,
        source: None,
        device: None,
    };
    assert_eq!(SessionEntry::decode(&s.encode()).unwrap(), s);
    let st = Settings::default();
    assert_eq!(Settings::decode(&st.encode()).unwrap(), st);
    for r in [None, Some(0), Some(u64::MAX)] {
        assert_eq!(decode_revocation(&encode_revocation(r)), Ok(r));
    }
    assert!(decode_revocation(&[1, 2, 3]).is_err());
}

/// Token records and session entries exactly as version 1 wrote them.
#[test]
fn version_1_tokens_and_session_entries_still_decode() {
    let mut token = vec![1];
    token.extend_from_slice(&1u64.to_be_bytes());
    token.extend_from_slice(&9u32.to_be_bytes());
    token.extend_from_slice(&500u64.to_be_bytes());
    let legacy = TokenRecord {
        user_id: 1,
        generation: 9,
        minted: None,
        expires: 500,
    };
    assert_eq!(TokenRecord::decode(&token), Ok(legacy));
    assert_eq!(legacy.encode(), token);
    let mut entry = vec![1];
    entry.extend_from_slice(&9u32.to_be_bytes());
    entry.extend_from_slice(&500u64.to_be_bytes());
    let e = LegacySessionEntry {
        generation: 9,
        expires: 500,
    };
    assert_eq!(LegacySessionEntry::decode(&entry), Ok(e));
    assert_eq!(e.encode(), entry);
    // Each index reads only its own version.
    assert!(SessionEntry::decode(&entry).is_err());
    assert!(
        LegacySessionEntry::decode(
            &SessionEntry {
                expires: 1,
                source: None,
                device: None,
            }
            .encode()
        )
        .is_err()
    );
}

/// Settings exactly as version 3 wrote them get the default password
/// policy; a non-default policy survives a round trip.
#[test]
fn version_3_settings_get_the_default_password_policy() {
    let mut v3 = vec![3];
    for n in [64u32, 3, 1] {
        v3.extend_from_slice(&n.to_be_bytes());
    }
    v3.extend_from_slice(&3600u64.to_be_bytes());
    v3.extend_from_slice(&1u32.to_be_bytes());
    v3.extend_from_slice(&7u32.to_be_bytes());
    let s = Settings::decode(&v3).unwrap();
    assert_eq!(
        s,
        Settings {
            argon2_memory_kib: 64,
            argon2_iterations: 3,
            argon2_parallelism: 1,
            default_token_lifetime: 3600,
            allow_weak_hashing: true,
            max_tokens_per_user: 7,
            ..Settings::default()
        }
    );
    assert_eq!(
        (s.min_password_length, s.refuse_common_passwords),
        (8, true)
    );
    let lax = Settings {
        min_password_length: 1,
        refuse_common_passwords: false,
        ..s
    };
    assert_eq!(Settings::decode(&lax.encode()), Ok(lax));
    let mut bad = lax.encode();
    // The refuse-common-passwords flag's last byte (version byte, then
    // 4 + 4 + 4 + 8 + 4 + 4 + 4 + 4 bytes).
    bad[36] = 2;
    assert!(Settings::decode(&bad).is_err());
}

#[test]
fn version_4_settings_get_the_default_lockout_and_log() {
    let custom = Settings {
        lockout_threshold: 9,
        source_lockout_threshold: 0,
        log_retention: 60,
        ..Settings::default()
    };
    let v5 = custom.encode();
    assert_eq!(v5[0], 5);
    assert_eq!(Settings::decode(&v5), Ok(custom));
    // Version 4 is version 5 without its last 56 bytes.
    let mut v4 = v5[..v5.len() - 56].to_vec();
    v4[0] = 4;
    let s = Settings::decode(&v4).unwrap();
    assert_eq!(
        (
            s.lockout_threshold,
            s.source_lockout_threshold,
            s.log_retention
        ),
        (5, 50, 30 * 24 * 60 * 60)
    );
    assert!(Settings::decode(&v5[..v5.len() - 1]).is_err());
}

#[test]
fn session_entries_carry_their_source_and_device_and_old_ones_read_without() {
    let plain = SessionEntry {
        expires: 7,
        source: None,
        device: None,
    };
    assert_eq!(plain.encode()[0], 2, "no context: the old format");
    assert_eq!(SessionEntry::decode(&plain.encode()), Ok(plain));
    for (source, device) in [
        (Some([1u8; 16]), None),
        (None, Some([2u8; 16])),
        (Some([3u8; 16]), Some([4u8; 16])),
    ] {
        let e = SessionEntry {
            expires: 9,
            source,
            device,
        };
        let bytes = e.encode();
        assert_eq!(SessionEntry::decode(&bytes), Ok(e));
        for cut in 1..bytes.len() {
            assert!(SessionEntry::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(SessionEntry::decode(&longer).is_err());
    }
    assert!(SessionEntry::decode(&[3, 0, 0, 0, 0, 0, 0, 0, 9, 2, 0]).is_err());
}
