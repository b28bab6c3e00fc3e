//! User accounts: create, read, list, update, delete.

use crate::env::{Env, Guard, Write};
use crate::error::{Error, Result, invalid};
use crate::record::{SessionEntry, UserRecord, decode_id, encode_id};
use crate::txn::{committed, retry};
use crate::{Auth, User, UserPage, keys, password};

/// The longest username accepted, in bytes.
pub const MAX_USERNAME_BYTES: usize = 256;
/// The longest permissions string accepted, in bytes.
pub const MAX_PERMISSIONS_BYTES: usize = 64 * 1024;
/// The most users one page may ask for.
pub const MAX_PAGE: u32 = 1000;
/// How many index entries one scan reads while collecting a user's sessions.
const SCAN_BATCH: u32 = 1024;

pub(crate) fn check_username(username: &str) -> Result<()> {
    if username.is_empty() {
        return Err(invalid("username must not be empty"));
    }
    if username.len() > MAX_USERNAME_BYTES {
        return Err(invalid(format!(
            "username must be at most {MAX_USERNAME_BYTES} bytes"
        )));
    }
    if username.chars().any(char::is_control) {
        return Err(invalid("username must not contain control characters"));
    }
    Ok(())
}

fn check_permissions(permissions: &str) -> Result<()> {
    if permissions.len() > MAX_PERMISSIONS_BYTES {
        return Err(invalid(format!(
            "permissions must be at most {MAX_PERMISSIONS_BYTES} bytes"
        )));
    }
    Ok(())
}

impl From<&UserRecord> for User {
    fn from(r: &UserRecord) -> Self {
        User {
            id: r.id,
            username: r.username.clone(),
            permissions: r.permissions.clone(),
        }
    }
}

/// A user record together with the exact bytes read, which later guard the
/// commit that depends on them.
pub(crate) struct Loaded {
    pub bytes: Vec<u8>,
    pub record: UserRecord,
}

impl Loaded {
    pub fn guard(&self) -> Guard {
        Guard::equals(keys::user(self.record.id), Some(self.bytes.clone()))
    }
}

impl<E: Env> Auth<E> {
    pub(crate) fn load_user(&self, id: u64) -> Result<Option<Loaded>> {
        match self.env.get(&keys::user(id))? {
            Some(bytes) => {
                let record = UserRecord::decode(&bytes)?;
                Ok(Some(Loaded { bytes, record }))
            }
            None => Ok(None),
        }
    }

    pub(crate) fn user_id_by_name(&self, username: &str) -> Result<Option<u64>> {
        self.env
            .get(&keys::name(username))?
            .map(|b| decode_id(&b))
            .transpose()
    }

    /// Every session-index entry of user `id`: (token digest, entry).
    pub(crate) fn sessions_of(&self, id: u64) -> Result<Vec<([u8; 32], SessionEntry)>> {
        let (mut start, end) = keys::sessions_of(id);
        let mut out = Vec::new();
        loop {
            let batch = self.env.scan(&start, &end, SCAN_BATCH)?;
            let full = batch.len() == SCAN_BATCH as usize;
            for (k, v) in &batch {
                let digest = keys::trailing_digest(k)
                    .ok_or_else(|| Error::Storage("corrupt session key".into()))?;
                out.push((digest, SessionEntry::decode(v)?));
            }
            match batch.last() {
                Some((last, _)) if full => {
                    start = last.clone();
                    start.push(0);
                }
                _ => return Ok(out),
            }
        }
    }

    /// Writes that delete every listed token of user `id` with its indexes.
    pub(crate) fn revoke_writes(id: u64, sessions: &[([u8; 32], SessionEntry)]) -> Vec<Write> {
        let mut writes = Vec::with_capacity(sessions.len() * 3);
        for (digest, entry) in sessions {
            writes.push(Write::delete(keys::token(digest)));
            writes.push(Write::delete(keys::session(id, digest)));
            writes.push(Write::delete(keys::expiry(entry.expires, digest)));
        }
        writes
    }

    /// Create a user with a fresh id. Fails with [`Error::UserExists`] when
    /// the username is taken, also under concurrent creation.
    pub fn create_user(&self, username: &str, password: &str, permissions: &str) -> Result<User> {
        check_username(username)?;
        password::check_password_input(password)?;
        check_permissions(permissions)?;
        if self.user_id_by_name(username)?.is_some() {
            return Err(Error::UserExists);
        }
        let settings = self.settings()?;
        // Hash once, outside the retry loop: it is the expensive part and
        // does not depend on anything a conflict could change.
        let password_hash = password::hash(&self.env, &settings, password)?;
        let name_key = keys::name(username);
        let counter_key = keys::next_user_id();
        retry(|| {
            if self.env.get(&name_key)?.is_some() {
                return Err(Error::UserExists);
            }
            let counter = self.env.get(&counter_key)?;
            let last = counter.as_deref().map(decode_id).transpose()?.unwrap_or(0);
            let id = last
                .checked_add(1)
                .ok_or_else(|| Error::Storage("user ids exhausted".into()))?;
            let record = UserRecord {
                id,
                generation: 0,
                username: username.to_owned(),
                permissions: permissions.to_owned(),
                password_hash: password_hash.clone(),
            };
            let guards = [
                Guard::absent(name_key.clone()),
                Guard::equals(counter_key.clone(), counter),
                Guard::absent(keys::user(id)),
            ];
            let writes = [
                Write::put(counter_key.clone(), encode_id(id)),
                Write::put(keys::user(id), record.encode()),
                Write::put(name_key.clone(), encode_id(id)),
            ];
            committed(self.env.commit(&guards, &writes), User::from(&record))
        })
    }

    /// Delete a user, their username claim and every token of theirs.
    pub fn delete_user(&self, id: u64) -> Result<()> {
        retry(|| {
            let user = self.load_user(id)?.ok_or(Error::NoUser)?;
            let sessions = self.sessions_of(id)?;
            let mut writes = Self::revoke_writes(id, &sessions);
            writes.push(Write::delete(keys::user(id)));
            writes.push(Write::delete(keys::name(&user.record.username)));
            committed(self.env.commit(&[user.guard()], &writes), ())
        })
    }

    /// The user with id `id`.
    pub fn user(&self, id: u64) -> Result<User> {
        let user = self.load_user(id)?.ok_or(Error::NoUser)?;
        Ok(User::from(&user.record))
    }

    /// Up to `limit` users with ids above `after`, in id order.
    pub fn list_users(&self, after: Option<u64>, limit: u32) -> Result<UserPage> {
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(invalid(format!("limit must be 1..={MAX_PAGE}")));
        }
        let (start, end) = keys::users_after(after);
        // One extra entry tells whether another page follows.
        let mut entries = self.env.scan(&start, &end, limit + 1)?;
        let more = entries.len() > limit as usize;
        entries.truncate(limit as usize);
        let users = entries
            .iter()
            .map(|(_, v)| UserRecord::decode(v).map(|r| User::from(&r)))
            .collect::<Result<Vec<_>>>()?;
        let next = if more {
            users.last().map(|u| u.id)
        } else {
            None
        };
        Ok(UserPage { users, next })
    }

    /// Replace a user's password and revoke all of their tokens.
    pub fn set_password(&self, id: u64, password: &str) -> Result<()> {
        password::check_password_input(password)?;
        if self.load_user(id)?.is_none() {
            return Err(Error::NoUser);
        }
        let settings = self.settings()?;
        let password_hash = password::hash(&self.env, &settings, password)?;
        self.rewrite_user(id, true, |r| r.password_hash = password_hash.clone())
            .map(|_| ())
    }

    /// Replace a user's permissions string.
    pub fn set_permissions(&self, id: u64, permissions: &str) -> Result<()> {
        check_permissions(permissions)?;
        self.rewrite_user(id, false, |r| r.permissions = permissions.to_owned())
            .map(|_| ())
    }

    /// Apply `change` to user `id`'s record in one guarded commit; with
    /// `revoke`, also bump the generation and delete every token. Returns
    /// how many of the deleted tokens were live.
    pub(crate) fn rewrite_user(
        &self,
        id: u64,
        revoke: bool,
        change: impl Fn(&mut UserRecord),
    ) -> Result<u64> {
        retry(|| {
            let user = self.load_user(id)?.ok_or(Error::NoUser)?;
            let mut record = user.record.clone();
            change(&mut record);
            let mut writes = Vec::new();
            let mut live = 0;
            if revoke {
                // The bump kills tokens minted concurrently with this commit,
                // which the scan below cannot see.
                record.generation = record.generation.wrapping_add(1);
                let sessions = self.sessions_of(id)?;
                let now = self.env.now();
                live = sessions
                    .iter()
                    .filter(|(_, e)| e.generation == user.record.generation && e.expires > now)
                    .count() as u64;
                writes = Self::revoke_writes(id, &sessions);
            }
            writes.push(Write::put(keys::user(id), record.encode()));
            committed(self.env.commit(&[user.guard()], &writes), live)
        })
    }

    /// Whether `password` is `username`'s password. Unknown users cost the
    /// same time as known ones before [`Error::NoUser`] is returned.
    pub fn password_valid(&self, username: &str, password: &str) -> Result<bool> {
        check_username(username)?;
        password::check_password_input(password)?;
        let settings = self.settings()?;
        let Some(user) = self.find_user(username)? else {
            password::verify_dummy(&settings, password);
            return Err(Error::NoUser);
        };
        password::verify(&user.record.password_hash, password)
    }

    pub(crate) fn find_user(&self, username: &str) -> Result<Option<Loaded>> {
        match self.user_id_by_name(username)? {
            Some(id) => self.load_user(id),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::memory::MemoryEnv;
    use crate::{Auth, Error, Settings};

    /// An in-memory `Auth` with cheap Argon2 costs.
    pub(crate) fn auth() -> Auth<MemoryEnv> {
        let a = Auth::new(MemoryEnv::new());
        a.set_settings(Settings {
            argon2_memory_kib: 64,
            argon2_iterations: 1,
            ..Settings::default()
        })
        .unwrap();
        a
    }

    #[test]
    fn ids_increase_and_usernames_are_unique() {
        let a = auth();
        let ann = a.create_user("ann", "pw", "r").unwrap();
        let bob = a.create_user("bob", "pw", "").unwrap();
        assert_eq!((ann.id, bob.id), (1, 2));
        assert_eq!(a.create_user("ann", "other", "x"), Err(Error::UserExists));
        a.delete_user(ann.id).unwrap();
        let ann2 = a.create_user("ann", "pw", "").unwrap();
        assert_eq!(ann2.id, 3, "ids are never reused");
    }

    #[test]
    fn bad_usernames_are_refused_without_writing() {
        let a = auth();
        let before = a.env().len();
        for name in ["", "a\nb", "tab\t", &"x".repeat(257)] {
            assert!(
                matches!(a.create_user(name, "pw", ""), Err(Error::InvalidInput(_))),
                "{name:?}"
            );
        }
        assert!(matches!(
            a.create_user("ann", "", ""),
            Err(Error::InvalidInput(_))
        ));
        assert_eq!(a.env().len(), before);
        assert!(
            a.create_user(&"é".repeat(128), "pw", "").is_ok(),
            "256 bytes is allowed"
        );
    }

    #[test]
    fn list_users_pages_in_id_order() {
        let a = auth();
        for i in 0..5 {
            a.create_user(&format!("u{i}"), "pw", "").unwrap();
        }
        let p1 = a.list_users(None, 2).unwrap();
        assert_eq!(p1.users.iter().map(|u| u.id).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(p1.next, Some(2));
        let p3 = a.list_users(Some(4), 2).unwrap();
        assert_eq!(p3.users.iter().map(|u| u.id).collect::<Vec<_>>(), [5]);
        assert_eq!(p3.next, None);
        assert!(a.list_users(Some(u64::MAX), 10).unwrap().users.is_empty());
        assert!(matches!(a.list_users(None, 0), Err(Error::InvalidInput(_))));
    }

    #[test]
    fn password_valid_and_unknown_users() {
        let a = auth();
        a.create_user("ann", "pw", "").unwrap();
        assert_eq!(a.password_valid("ann", "pw"), Ok(true));
        assert_eq!(a.password_valid("ann", "pW"), Ok(false));
        assert_eq!(a.password_valid("nobody", "pw"), Err(Error::NoUser));
    }

    #[test]
    fn missing_users_are_no_user() {
        let a = auth();
        assert_eq!(a.user(9), Err(Error::NoUser));
        assert_eq!(a.delete_user(9), Err(Error::NoUser));
        assert_eq!(a.set_password(9, "pw"), Err(Error::NoUser));
        assert_eq!(a.set_permissions(9, "x"), Err(Error::NoUser));
    }

    #[test]
    fn set_permissions_keeps_the_password() {
        let a = auth();
        let u = a.create_user("ann", "pw", "r").unwrap();
        a.set_permissions(u.id, "rw").unwrap();
        assert_eq!(a.user(u.id).unwrap().permissions, "rw");
        assert_eq!(a.password_valid("ann", "pw"), Ok(true));
    }
}
