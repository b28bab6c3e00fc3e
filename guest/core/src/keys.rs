//! The key layout: which key each stored record lives under. Every key
//! starts with a one-byte tag so that each kind of record occupies its own
//! ordered range; numbers are big-endian so that byte order is numeric order.
//!
//! Private to the logic; built with `testing`, it is public so that tests
//! can inspect a raw store.

/// `m` + name: metadata (the user-id counter, the settings).
pub const META: u8 = b'm';
/// `u` + id: a user record.
pub const USER: u8 = b'u';
/// `n` + username: the username claim, holding the user id.
pub const NAME: u8 = b'n';
/// `t` + SHA-256(token): a token record.
pub const TOKEN: u8 = b't';
/// `s` + user id + SHA-256(token): a user's sessions, for counting and revoking.
pub const SESSION: u8 = b's';
/// `e` + expiry + SHA-256(token): tokens by expiry, for sweeping.
pub const EXPIRY: u8 = b'e';

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

/// The session-index key of `digest` under user `id`.
pub fn session(id: u64, digest: &[u8; 32]) -> Vec<u8> {
    [&[SESSION][..], &id.to_be_bytes(), digest].concat()
}

/// The range `[start, end)` of user `id`'s session-index keys.
pub fn sessions_of(id: u64) -> (Vec<u8>, Vec<u8>) {
    let start = tagged(SESSION, &id.to_be_bytes());
    let end = match id.checked_add(1) {
        Some(next) => tagged(SESSION, &next.to_be_bytes()),
        None => vec![SESSION + 1],
    };
    (start, end)
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
}
