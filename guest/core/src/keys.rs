//! The key layout: which key each stored record lives under. Every key
//! starts with a one-byte tag so that each kind of record occupies its own
//! ordered range; numbers are big-endian so that byte order is numeric order.
//!
//! Private to the logic; built with `testing`, it is public so that tests
//! can inspect a raw store.
//!
//! A token is three keys: its record (`t`), its entry in its user's session
//! index (`l`, or `s` for tokens minted before the `l` index existed) and
//! its entry in the expiry index (`e`). The `l` index is ordered by user,
//! then generation, then mint time, so that one generation's tokens are one
//! contiguous range, oldest first: counting, capping and cleaning up after
//! a revocation each read one range and nothing else.

/// `m` + name: metadata (the user-id counter, the settings).
pub const META: u8 = b'm';
/// `u` + id: a user record.
pub const USER: u8 = b'u';
/// `n` + username: the username claim, holding the user id.
pub const NAME: u8 = b'n';
/// `t` + SHA-256(token): a token record.
pub const TOKEN: u8 = b't';
/// `l` + user id + generation + minted-at + SHA-256(token): a user's
/// sessions by generation, oldest first, for counting, capping and
/// cleaning up; the value is a [`crate::record::SessionEntry`].
pub const SESSION: u8 = b'l';
/// `s` + user id + SHA-256(token): the session index of tokens minted
/// before the `l` index existed. Only read, counted and deleted, never
/// written: it empties as those tokens expire or are revoked.
pub const LEGACY_SESSION: u8 = b's';
/// `e` + expiry + SHA-256(token): tokens by expiry, for sweeping.
pub const EXPIRY: u8 = b'e';
/// `r` + user id: a revocation whose dead tokens `sweep` has yet to delete;
/// see [`crate::record::encode_revocation`].
pub const REVOKED: u8 = b'r';

/// The key of the last assigned user id.
pub fn next_user_id() -> Vec<u8> {
    [&[META][..], b"next-user-id"].concat()
}

/// The key of the stored settings.
pub fn settings() -> Vec<u8> {
    [&[META][..], b"settings"].concat()
}

/// The key of user `id`.
pub fn user(id: u64) -> Vec<u8> {
    tagged(USER, &id.to_be_bytes())
}

/// The key claiming `username`.
pub fn name(username: &str) -> Vec<u8> {
    tagged(NAME, username.as_bytes())
}

/// The key of the token whose digest is `digest`.
pub fn token(digest: &[u8; 32]) -> Vec<u8> {
    tagged(TOKEN, digest)
}

/// The session-index key of `digest`, minted at `minted` under generation
/// `generation` of user `id`.
pub fn session(id: u64, generation: u64, minted: u64, digest: &[u8; 32]) -> Vec<u8> {
    [
        &[SESSION][..],
        &id.to_be_bytes(),
        &generation.to_be_bytes(),
        &minted.to_be_bytes(),
        digest,
    ]
    .concat()
}

/// The range of user `id`'s session-index keys of generation `generation`,
/// oldest first.
pub fn sessions_in(id: u64, generation: u64) -> (Vec<u8>, Vec<u8>) {
    let start = [&[SESSION][..], &id.to_be_bytes(), &generation.to_be_bytes()].concat();
    let end = match generation.checked_add(1) {
        Some(next) => [&[SESSION][..], &id.to_be_bytes(), &next.to_be_bytes()].concat(),
        None => sessions_of(id).1,
    };
    (start, end)
}

/// The range of user `id`'s session-index keys of every generation below
/// `generation`.
pub fn sessions_before(id: u64, generation: u64) -> (Vec<u8>, Vec<u8>) {
    (sessions_of(id).0, sessions_in(id, generation).0)
}

/// The range of all of user `id`'s session-index keys.
pub fn sessions_of(id: u64) -> (Vec<u8>, Vec<u8>) {
    per_user(SESSION, id)
}

/// The parts of a session-index key: user id, generation, minted-at, digest.
pub fn parse_session(key: &[u8]) -> Option<(u64, u64, u64, [u8; 32])> {
    match key {
        [SESSION, rest @ ..] if rest.len() == 24 + 32 => Some((
            u64::from_be_bytes(rest[..8].try_into().ok()?),
            u64::from_be_bytes(rest[8..16].try_into().ok()?),
            u64::from_be_bytes(rest[16..24].try_into().ok()?),
            rest[24..].try_into().ok()?,
        )),
        _ => None,
    }
}

/// The legacy session-index key of `digest` under user `id`.
pub fn legacy_session(id: u64, digest: &[u8; 32]) -> Vec<u8> {
    [&[LEGACY_SESSION][..], &id.to_be_bytes(), digest].concat()
}

/// The range of user `id`'s legacy session-index keys.
pub fn legacy_sessions_of(id: u64) -> (Vec<u8>, Vec<u8>) {
    per_user(LEGACY_SESSION, id)
}

/// The key recording a revocation of user `id` not yet cleaned up.
pub fn revoked(id: u64) -> Vec<u8> {
    tagged(REVOKED, &id.to_be_bytes())
}

/// The range of every pending revocation, in user-id order.
pub fn revocations() -> (Vec<u8>, Vec<u8>) {
    (vec![REVOKED], vec![REVOKED + 1])
}

/// The user id inside a revocation key.
pub fn revoked_id(key: &[u8]) -> Option<u64> {
    match key {
        [REVOKED, rest @ ..] => Some(u64::from_be_bytes(rest.try_into().ok()?)),
        _ => None,
    }
}

/// The expiry-index key of `digest` expiring at `expires`.
pub fn expiry(expires: u64, digest: &[u8; 32]) -> Vec<u8> {
    [&[EXPIRY][..], &expires.to_be_bytes(), digest].concat()
}

/// The range of expiry-index keys of tokens expiring at or before `now`.
pub fn expired_by(now: u64) -> (Vec<u8>, Vec<u8>) {
    let end = match now.checked_add(1) {
        Some(next) => tagged(EXPIRY, &next.to_be_bytes()),
        None => vec![EXPIRY + 1],
    };
    (vec![EXPIRY], end)
}

/// The range of every expiry-index key, earliest expiry first.
pub fn expiries() -> (Vec<u8>, Vec<u8>) {
    (vec![EXPIRY], vec![EXPIRY + 1])
}

/// The expiry inside an expiry-index key.
pub fn expiry_of(key: &[u8]) -> Option<u64> {
    match key {
        [EXPIRY, rest @ ..] => Some(u64::from_be_bytes(rest.get(..8)?.try_into().ok()?)),
        _ => None,
    }
}

/// The range of user keys with ids greater than `after`.
pub fn users_after(after: Option<u64>) -> (Vec<u8>, Vec<u8>) {
    let start = match after {
        None => vec![USER],
        Some(id) => match id.checked_add(1) {
            Some(next) => user(next),
            None => vec![USER + 1],
        },
    };
    (start, vec![USER + 1])
}

fn tagged(tag: u8, rest: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + rest.len());
    k.push(tag);
    k.extend_from_slice(rest);
    k
}

/// The range of `tag` + `id` + anything.
fn per_user(tag: u8, id: u64) -> (Vec<u8>, Vec<u8>) {
    let start = tagged(tag, &id.to_be_bytes());
    let end = match id.checked_add(1) {
        Some(next) => tagged(tag, &next.to_be_bytes()),
        None => vec![tag + 1],
    };
    (start, end)
}

/// The 32-byte digest at the end of a token, session or expiry key.
pub fn trailing_digest(key: &[u8]) -> Option<[u8; 32]> {
    let start = key.len().checked_sub(32)?;
    key[start..].try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_keys_sort_by_expiry_and_parse_back() {
        let (a, b) = (expiry(255, &[9; 32]), expiry(256, &[0; 32]));
        assert!(a < b);
        assert_eq!((expiry_of(&a), expiry_of(&b)), (Some(255), Some(256)));
        let (start, end) = expiries();
        assert!(start <= a && b < end);
        assert_eq!(expiry_of(&user(1)), None);
        assert_eq!(expiry_of(&[EXPIRY, 1, 2]), None);
    }

    #[test]
    fn session_keys_group_by_user_then_generation_then_age() {
        let k = |id, generation, minted, d| session(id, generation, minted, &[d; 32]);
        let (old, new) = (k(7, 3, 100, 9), k(7, 3, 101, 0));
        assert!(old < new, "oldest first within a generation");
        let (start, end) = sessions_in(7, 3);
        assert!(start <= old && new < end);
        for outside in [k(7, 2, u64::MAX, 255), k(7, 4, 0, 0), k(6, 3, 100, 9)] {
            assert!(!(start <= outside && outside < end));
        }
        let (b_start, b_end) = sessions_before(7, 3);
        assert!(b_start <= k(7, 0, 0, 0) && k(7, 2, u64::MAX, 255) < b_end);
        assert!(b_end <= old);
        let (all_start, all_end) = sessions_of(7);
        assert!(all_start <= k(7, 0, 0, 0) && k(7, u64::MAX, u64::MAX, 255) < all_end);
        let (s, e) = sessions_in(u64::MAX, u64::MAX);
        assert!(s <= k(u64::MAX, u64::MAX, 5, 5) && k(u64::MAX, u64::MAX, 5, 5) < e);
        assert_eq!(parse_session(&old), Some((7, 3, 100, [9; 32])));
        assert_eq!(parse_session(&legacy_session(7, &[9; 32])), None);
        assert_eq!(revoked_id(&revoked(42)), Some(42));
        assert_eq!(revoked_id(&user(42)), None);
    }
}
