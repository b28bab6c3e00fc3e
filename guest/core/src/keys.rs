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

use crate::KeyOwner;

/// `m` + name: metadata (the user-id counter, the settings).
pub const META: u8 = b'm';
/// `u` + id: a user record, account state included (see
/// [`crate::AccountState`]).
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
/// `e` + expiry + SHA-256(token): tokens by expiry, for sweeping. The value
/// names the kind: empty for a login token (`t`), else the tag of the
/// token's record ([`EMAIL_TOKEN`], [`API_KEY`], [`ONE_TIME`],
/// [`OAUTH_CODE`], [`OAUTH_TOKEN`]; for [`OAUTH_GRANT`] the 32 bytes are
/// the grant id and 16 zeros, see [`grant_expiry_digest`]).
pub const EXPIRY: u8 = b'e';
/// `a` + SHA-256(token): an email token record.
pub const EMAIL_TOKEN: u8 = b'a';
/// `b` + address + `0` + created + SHA-256(token): an address's email
/// tokens, oldest first (addresses hold no control characters, so the `0`
/// ends the address). The value is empty.
pub const ADDRESS: u8 = b'b';
/// `k` + SHA-256(key): an API key record. Its public id is the first 8
/// bytes of the digest, so a lookup by id is a one-key range scan.
pub const API_KEY: u8 = b'k';
/// `c` + owner + created + SHA-256(key): an owner's API keys, oldest
/// first. The value is empty.
pub const OWNER: u8 = b'c';
/// `d` + owner + name: the claim on an API key's name, holding its digest.
pub const KEY_NAME: u8 = b'd';
/// `v` + owner: the digest of the owner's newest API key, rewritten by
/// every creation and rotation, so that deleting all of an owner's keys
/// can guard it: a key created between that deletion's read and its
/// commit makes the commit conflict and re-read, instead of surviving.
pub const OWNER_VERSION: u8 = b'v';
/// `p` + SHA-256(token): a one-time token record.
pub const ONE_TIME: u8 = b'p';
/// `o` + user id: the user's stamp, 8 random bytes replaced whenever an
/// event kills their one-time tokens (a login, a verified email).
pub const STAMP: u8 = b'o';
/// `r` + user id: a revocation whose dead tokens `sweep` has yet to delete;
/// see [`crate::record::encode_revocation`].
pub const REVOKED: u8 = b'r';

/// `f` + SHA-256(subject): a failure counter and lock of one subject (an
/// account, an unknown username, a source address, a device credential);
/// the value is a [`crate::record::CounterRecord`], which holds the
/// subject. Indexed in `e` (value `f`) by when it goes stale.
pub const COUNTER: u8 = b'f';
/// `g` + (`u64::MAX` − time) + 8 random bytes: an attempt or event log
/// entry, newest first; the value is a [`crate::record::LogRecord`].
pub const LOG: u8 = b'g';
/// `h` + identity + the log key's 16 bytes: a log entry by the identity it
/// names (see [`identity`]). The value is empty.
pub const LOG_BY_IDENTITY: u8 = b'h';
/// `i` + 16-byte address + the log key's 16 bytes: a log entry by source
/// address. The value is empty.
pub const LOG_BY_SOURCE: u8 = b'i';

/// `w` + permission name: a named permission; the value is a
/// [`crate::record::PermissionRecord`] (its description and a version
/// that every grant of it bumps, see [`ROLE_LINK`]).
pub const ROLE_PERMISSION: u8 = b'w';
/// `x` + bundle name: a bundle (a named set of permissions); the value is
/// a [`crate::record::RoleRecord`].
pub const ROLE_BUNDLE: u8 = b'x';
/// `y` + group name: a group (users join it; it carries permissions and
/// bundles); the value is a [`crate::record::RoleRecord`].
pub const ROLE_GROUP: u8 = b'y';
/// `j` + holder + item (each a [`role_ref`]): the holder (a bundle, group
/// or user) holds the item (a permission, a bundle, or for a user a group
/// it has joined). The value is empty. Every such key has its mirror under
/// [`ROLE_HOLDER`], written and deleted in the same commit.
pub const ROLE_LINK: u8 = b'j';
/// `q` + item + holder: the reverse of a [`ROLE_LINK`] key, so that
/// deleting a permission, bundle or group finds everything holding it in
/// one range read. The value is empty.
pub const ROLE_HOLDER: u8 = b'q';

/// `z` + client id (16 bytes): an OAuth client; the value is a
/// [`crate::record::ClientRecord`].
pub const OAUTH_CLIENT: u8 = b'z';
/// `A` + SHA-256(code): an OAuth authorization code; the value is a
/// [`crate::record::CodeRecord`].
pub const OAUTH_CODE: u8 = b'A';
/// `B` + SHA-256(token): an OAuth access or refresh token; the value is an
/// [`crate::record::OAuthTokenRecord`].
pub const OAUTH_TOKEN: u8 = b'B';
/// `C` + grant id (16 bytes): what one authorization issued; the value is
/// a [`crate::record::GrantRecord`].
pub const OAUTH_GRANT: u8 = b'C';
/// `D` + user id + client id: the user's consent to the client; the value
/// is a [`crate::record::ConsentRecord`].
pub const OAUTH_CONSENT: u8 = b'D';

/// The key of the last assigned user id.
pub fn next_user_id() -> Vec<u8> {
    [&[META][..], b"next-user-id"].concat()
}

/// The key of the stored settings.
pub fn settings() -> Vec<u8> {
    [&[META][..], b"settings"].concat()
}

/// The key of the OAuth lifetimes.
pub fn oauth_settings() -> Vec<u8> {
    [&[META][..], b"oauth-settings"].concat()
}

/// The key of the secret that signs device credentials.
pub fn device_key() -> Vec<u8> {
    [&[META][..], b"device-key"].concat()
}

/// The key of the OAuth client `id`.
pub fn oauth_client(id: &[u8; 16]) -> Vec<u8> {
    tagged(OAUTH_CLIENT, id)
}

/// The key of the OAuth authorization code whose digest is `digest`.
pub fn oauth_code(digest: &[u8; 32]) -> Vec<u8> {
    tagged(OAUTH_CODE, digest)
}

/// The key of the OAuth token whose digest is `digest`.
pub fn oauth_token(digest: &[u8; 32]) -> Vec<u8> {
    tagged(OAUTH_TOKEN, digest)
}

/// The key of user `user`'s consent to client `client`.
pub fn oauth_consent(user: u64, client: &[u8; 16]) -> Vec<u8> {
    [&[OAUTH_CONSENT][..], &user.to_be_bytes(), client].concat()
}

/// The range of user `user`'s consents, in client id order.
pub fn oauth_consents_of(user: u64) -> (Vec<u8>, Vec<u8>) {
    per_user(OAUTH_CONSENT, user)
}

/// The client id inside a consent key.
pub fn oauth_consent_client(key: &[u8]) -> Option<[u8; 16]> {
    match key {
        [OAUTH_CONSENT, rest @ ..] if rest.len() == 24 => rest[8..].try_into().ok(),
        _ => None,
    }
}

/// What stands for grant `id` in its expiry-index key, which ends in 32
/// bytes: the id, then 16 zeros.
pub fn grant_expiry_digest(id: &[u8; 16]) -> [u8; 32] {
    let mut d = [0u8; 32];
    d[..16].copy_from_slice(id);
    d
}

/// The key of the OAuth grant `id`.
pub fn oauth_grant(id: &[u8; 16]) -> Vec<u8> {
    tagged(OAUTH_GRANT, id)
}

/// The range of OAuth client keys after `after` (all of them for `None`),
/// in id order.
pub fn oauth_clients_after(after: Option<&[u8; 16]>) -> (Vec<u8>, Vec<u8>) {
    let start = match after {
        // The smallest key greater than `after`'s: it with a 0 appended.
        Some(id) => [&oauth_client(id)[..], &[0]].concat(),
        None => vec![OAUTH_CLIENT],
    };
    (start, vec![OAUTH_CLIENT + 1])
}

/// The client id inside an OAuth client key.
pub fn oauth_client_id(key: &[u8]) -> Option<[u8; 16]> {
    match key {
        [OAUTH_CLIENT, rest @ ..] => rest.try_into().ok(),
        _ => None,
    }
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

/// The key of the email token whose digest is `digest`.
pub fn email_token(digest: &[u8; 32]) -> Vec<u8> {
    tagged(EMAIL_TOKEN, digest)
}

/// The address-index key of an email token.
pub fn address_token(address: &str, created: u64, digest: &[u8; 32]) -> Vec<u8> {
    [&address_prefix(address)[..], &created.to_be_bytes(), digest].concat()
}

/// The range of `address`'s index keys, oldest first.
pub fn address_tokens(address: &str) -> (Vec<u8>, Vec<u8>) {
    let start = address_prefix(address);
    let mut end = start.clone();
    if let Some(last) = end.last_mut() {
        *last = 1;
    }
    (start, end)
}

fn address_prefix(address: &str) -> Vec<u8> {
    [&[ADDRESS][..], address.as_bytes(), &[0]].concat()
}

/// The key of the API key whose digest is `digest`.
pub fn api_key(digest: &[u8; 32]) -> Vec<u8> {
    tagged(API_KEY, digest)
}

/// The range holding the API key whose public id is `id` (the first 8
/// bytes of its digest).
pub fn api_key_by_id(id: &[u8; 8]) -> (Vec<u8>, Vec<u8>) {
    let start = tagged(API_KEY, id);
    let end = match u64::from_be_bytes(*id).checked_add(1) {
        Some(next) => tagged(API_KEY, &next.to_be_bytes()),
        None => vec![API_KEY + 1],
    };
    (start, end)
}

/// An API key's owner as it appears in keys: self-delimiting, so that what
/// follows it (a name, a time) is never confused with part of it. A user is
/// `0` + id; a service is `1` + its name + `0` (names hold no control
/// characters).
pub fn owner_bytes(owner: &KeyOwner) -> Vec<u8> {
    match owner {
        KeyOwner::User(id) => [&[0u8][..], &id.to_be_bytes()].concat(),
        KeyOwner::Service(name) => [&[1u8][..], name.as_bytes(), &[0]].concat(),
    }
}

/// The owner-index key of an API key; `owner` from [`owner_bytes`].
pub fn owner_key(owner: &[u8], created: u64, digest: &[u8; 32]) -> Vec<u8> {
    [&[OWNER][..], owner, &created.to_be_bytes(), digest].concat()
}

/// The range of an owner's index keys, oldest first.
pub fn owner_keys(owner: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let start = tagged(OWNER, owner);
    let mut end = start.clone();
    end.push(0xff);
    // Every index key of this owner is its prefix plus 40 bytes; a prefix
    // followed by 0xff then anything sorts after all of them, and no other
    // owner's keys share the prefix (owners are self-delimiting).
    end.extend_from_slice(&[0xff; 40]);
    (start, end)
}

/// The key of an owner's version (see [`OWNER_VERSION`]).
pub fn owner_version(owner: &[u8]) -> Vec<u8> {
    tagged(OWNER_VERSION, owner)
}

/// The key claiming an API key name for an owner.
pub fn key_name(owner: &[u8], name: &str) -> Vec<u8> {
    [&[KEY_NAME][..], owner, name.as_bytes()].concat()
}

/// The key of the one-time token whose digest is `digest`.
pub fn one_time(digest: &[u8; 32]) -> Vec<u8> {
    tagged(ONE_TIME, digest)
}

/// The key of user `id`'s stamp.
pub fn stamp(id: u64) -> Vec<u8> {
    tagged(STAMP, &id.to_be_bytes())
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

/// The key of the counter whose subject digests to `digest`.
pub fn counter(digest: &[u8; 32]) -> Vec<u8> {
    tagged(COUNTER, digest)
}

/// The range of every counter, in digest order.
pub fn counters() -> (Vec<u8>, Vec<u8>) {
    (vec![COUNTER], vec![COUNTER + 1])
}

/// The identity bytes of a log entry: `0` + user id for a user, `1` +
/// name + `0` for a name that named no user (names hold no control
/// characters, so the `0` ends it and no name's range holds another's).
pub fn identity(user: Option<u64>, name: &str) -> Vec<u8> {
    match user {
        Some(id) => [&[0u8][..], &id.to_be_bytes()].concat(),
        None => [&[1u8][..], name.as_bytes(), &[0]].concat(),
    }
}

/// The log key of an entry at `time` with suffix `nonce`: newest first.
pub fn log(time: u64, nonce: &[u8; 8]) -> Vec<u8> {
    [&[LOG][..], &(u64::MAX - time).to_be_bytes(), nonce].concat()
}

/// The 16 bytes after the tag of a log key: its place in time order, which
/// the index keys end with and listings hand out as cursors.
pub fn log_suffix(key: &[u8]) -> Option<[u8; 16]> {
    let start = key.len().checked_sub(16).filter(|&s| s > 0)?;
    key[start..].try_into().ok()
}

/// The log key whose suffix is `suffix`.
pub fn log_at(suffix: &[u8; 16]) -> Vec<u8> {
    tagged(LOG, suffix)
}

/// The identity-index key of a log entry.
pub fn log_by_identity(identity: &[u8], suffix: &[u8; 16]) -> Vec<u8> {
    [&[LOG_BY_IDENTITY][..], identity, suffix].concat()
}

/// The source-index key of a log entry.
pub fn log_by_source(address: &[u8; 16], suffix: &[u8; 16]) -> Vec<u8> {
    [&[LOG_BY_SOURCE][..], address, suffix].concat()
}

/// The prefix of a log range: the whole log, one identity's or one
/// source's entries.
pub fn log_prefix(tag: u8, within: &[u8]) -> Vec<u8> {
    tagged(tag, within)
}

/// The range, under `prefix`, of log entries from `since` to `until`
/// (inclusive, Unix seconds), newest first.
pub fn log_range(prefix: &[u8], since: u64, until: u64) -> (Vec<u8>, Vec<u8>) {
    let start = [prefix, &(u64::MAX - until).to_be_bytes()].concat();
    let end = match (u64::MAX - since).checked_add(1) {
        Some(next) => [prefix, &next.to_be_bytes()].concat(),
        None => prefix_end(prefix),
    };
    (start, end)
}

/// The first key after every key that starts with `prefix` (which must
/// not be all `0xff`).
pub fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            break;
        }
    }
    end
}

/// A role entity as it appears inside [`ROLE_LINK`] and [`ROLE_HOLDER`]
/// keys: self-delimiting. A permission is `p` + name + `0`, a bundle `b` +
/// name + `0`, a group `g` + name + `0` (role names hold only
/// `[a-z0-9_.:-]`, so the `0` ends them), a user `u` + id.
pub fn role_ref(kind: u8, name: &str) -> Vec<u8> {
    [&[kind][..], name.as_bytes(), &[0]].concat()
}

/// [`role_ref`] of user `id`.
pub fn role_user(id: u64) -> Vec<u8> {
    [&[b'u'][..], &id.to_be_bytes()].concat()
}

/// The key of the permission named `name`.
pub fn role_permission(name: &str) -> Vec<u8> {
    tagged(ROLE_PERMISSION, name.as_bytes())
}

/// The key of the bundle named `name`.
pub fn role_bundle(name: &str) -> Vec<u8> {
    tagged(ROLE_BUNDLE, name.as_bytes())
}

/// The key of the group named `name`.
pub fn role_group(name: &str) -> Vec<u8> {
    tagged(ROLE_GROUP, name.as_bytes())
}

/// The link key: `holder` holds `item` (both from [`role_ref`]).
pub fn role_link(holder: &[u8], item: &[u8]) -> Vec<u8> {
    [&[ROLE_LINK][..], holder, item].concat()
}

/// The reverse link key: `item` is held by `holder`.
pub fn role_holder(item: &[u8], holder: &[u8]) -> Vec<u8> {
    [&[ROLE_HOLDER][..], item, holder].concat()
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
