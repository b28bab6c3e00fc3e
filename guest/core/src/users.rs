//! User accounts: the `User` type and creating, reading, listing, updating,
//! deleting and checking the password of users; and revoking a user's
//! tokens, which a password change and `delete_tokens` share.

use crate::attempts::Outcome;
use crate::env::{Env, Guard, Write};
use crate::error::{Error, Result, invalid};
use crate::record::{UserRecord, decode_id, encode_id, encode_revocation};
use crate::text::check_name;
use crate::txn::{Attempt, committed, retry};
use crate::{AccountState, Auth, EventKind, LoginContext, keys, password, policy};

/// The longest username accepted, in bytes.
pub const MAX_USERNAME_BYTES: usize = 256;
/// The longest permissions string accepted, in bytes.
pub const MAX_PERMISSIONS_BYTES: usize = 64 * 1024;
/// The most users one page may ask for.
pub const MAX_PAGE: u32 = 1000;

/// A user as callers see it (never the password hash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// Unique, increasing, never reused.
    pub id: u64,
    /// The login name.
    pub username: String,
    /// The caller's free-form permissions string.
    pub permissions: String,
}

/// One page of [`Auth::list_users`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserPage {
    /// Users in id order.
    pub users: Vec<User>,
    /// The `after` for the next page, or `None` after the last one.
    pub next: Option<u64>,
}

pub(crate) fn check_username(username: &str) -> Result<()> {
    check_name("username", username, MAX_USERNAME_BYTES)
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

    /// Create a user with a fresh id. Fails with [`Error::UserExists`] when
    /// the username is taken, also under concurrent creation.
    pub fn create_user(&self, username: &str, password: &str, permissions: &str) -> Result<User> {
        check_username(username)?;
        password::check_password_input(password)?;
        check_permissions(permissions)?;
        if self.user_id_by_name(username)?.is_some() {
            return Err(Error::UserExists);
        }
        let settings = self.get_settings()?;
        policy::check_new_password(&settings, username, password)?;
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
                state: AccountState::default(),
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

    /// Delete a user, their username claim, their API keys, their role
    /// grants and every token of theirs. One small commit whatever the number of tokens: deleting
    /// the user record kills them (one-time tokens included) at once, and
    /// the revocation recorded with it lets `sweep` delete them later.
    pub fn delete_user(&self, id: u64) -> Result<()> {
        retry(|| {
            let user = self.load_user(id)?.ok_or(Error::NoUser)?;
            // Guarded on the user's API-key version too: a key created
            // after the read below makes this commit retry and delete it.
            let (mut guards, key_writes) = self.user_api_key_deletes(id)?;
            guards.push(user.guard());
            let mut writes = vec![
                Write::delete(keys::user(id)),
                Write::delete(keys::name(&user.record.username)),
                Write::put(keys::revoked(id), encode_revocation(None)),
                Write::delete(keys::stamp(id)),
            ];
            // At most twice `MAX_API_KEYS_PER_OWNER` keys (the cap is checked
            // optimistically): bounded like the rest.
            writes.extend(key_writes);
            // At most `MAX_ROLE_LINKS` (+ racing grants) links and mirrors.
            writes.extend(self.user_role_deletes(id)?);
            // At most `MAX_CONSENTS` OAuth consents (their grants end with
            // the user record).
            writes.extend(self.user_consent_deletes(id)?);
            committed(self.env.commit(&guards, &writes), ())
        })
    }

    /// The user with id `id`.
    pub fn get_user(&self, id: u64) -> Result<User> {
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

    /// Replace a user's password and revoke all of their tokens, in one
    /// small commit whatever their number (see [`Auth::delete_tokens`]).
    pub fn set_password(&self, id: u64, password: &str) -> Result<()> {
        password::check_password_input(password)?;
        let user = self.load_user(id)?.ok_or(Error::NoUser)?;
        let settings = self.get_settings()?;
        // Checked against the name as read: a rename is not an operation,
        // so the name cannot change before the commit.
        policy::check_new_password(&settings, &user.record.username, password)?;
        let password_hash = password::hash(&self.env, &settings, password)?;
        let event = (EventKind::PasswordChanged, "password set".to_owned());
        self.revoke(id, false, Some(event), |r| {
            r.password_hash = password_hash.clone()
        })
        .map(|_| ())
    }

    /// Replace a user's permissions string.
    pub fn set_permissions(&self, id: u64, permissions: &str) -> Result<()> {
        check_permissions(permissions)?;
        self.rewrite_user(id, |r| r.permissions = permissions.to_owned())
    }

    /// Apply `change` to user `id`'s record in one guarded commit.
    pub(crate) fn rewrite_user(&self, id: u64, change: impl Fn(&mut UserRecord)) -> Result<()> {
        retry(|| {
            let user = self.load_user(id)?.ok_or(Error::NoUser)?;
            let mut record = user.record.clone();
            change(&mut record);
            let writes = [Write::put(keys::user(id), record.encode())];
            committed(self.env.commit(&[user.guard()], &writes), ())
        })
    }

    /// Apply `change` to user `id`'s record and revoke all of their tokens:
    /// bump the generation, which kills every token minted under the old
    /// one (also those minted by logins racing this commit, which guard the
    /// record), and record the revocation for `sweep` to delete them. Two
    /// writes, whatever the number of tokens, plus the log entry of
    /// `event`, when given. With `count`, returns how many
    /// tokens were live before (else 0).
    pub(crate) fn revoke(
        &self,
        id: u64,
        count: bool,
        event: Option<(EventKind, String)>,
        change: impl Fn(&mut UserRecord),
    ) -> Result<u64> {
        retry(|| {
            let user = self.load_user(id)?.ok_or(Error::NoUser)?;
            let live = if count {
                self.count_live(id, user.record.generation)?
            } else {
                0
            };
            let (_, writes) = Self::revocation(&user, &change)?;
            let mut writes = writes.to_vec();
            if let Some((kind, reason)) = &event {
                writes.extend(self.event_writes(
                    *kind,
                    id,
                    &user.record.username,
                    reason.clone(),
                )?);
            }
            committed(self.env.commit(&[user.guard()], &writes), live)
        })
    }

    /// The two writes of [`Auth::revoke`] for `user` as read (to commit
    /// under `user.guard()`), and the record they store: shared with
    /// `reset_password`, which commits them together with other writes.
    pub(crate) fn revocation(
        user: &Loaded,
        change: impl Fn(&mut UserRecord),
    ) -> Result<(UserRecord, [Write; 2])> {
        let id = user.record.id;
        let mut record = user.record.clone();
        change(&mut record);
        record.generation = user
            .record
            .generation
            .checked_add(1)
            .ok_or_else(|| Error::Storage("token generations exhausted".into()))?;
        let writes = [
            Write::put(keys::user(id), record.encode()),
            Write::put(
                keys::revoked(id),
                encode_revocation(Some(record.generation)),
            ),
        ];
        Ok((record, writes))
    }

    /// Whether `password` is `username`'s password, as
    /// [`Auth::check_password_from`] with no source address or device.
    pub fn check_password(&self, username: &str, password: &str) -> Result<bool> {
        self.check_password_from(username, password, &LoginContext::default())
    }

    /// Whether `password` is `username`'s password, judged, counted and
    /// logged like a login (a password check is as good to a guesser):
    /// refused with [`Error::LockedOut`] before any Argon2 work while
    /// locked. Unknown users cost the same time as known ones before
    /// [`Error::NoUser`] is returned. The right password of a disabled
    /// account is [`Error::AccountDisabled`], not `true`; a wrong one is
    /// `false`, as for an enabled account.
    pub fn check_password_from(
        &self,
        username: &str,
        password: &str,
        ctx: &LoginContext,
    ) -> Result<bool> {
        check_username(username)?;
        password::check_password_input(password)?;
        let settings = self.get_settings()?;
        let outcome = self.judge(
            EventKind::CheckPassword,
            username,
            password,
            ctx,
            &settings,
            |judged| {
                // Refused before the commit that would log a success and
                // forgive the account's failures: see `login_checked`.
                self.refuse_disabled(&judged.user)?;
                if judged.writes.is_empty() {
                    return Ok(Attempt::Done(()));
                }
                committed(self.env.commit(&judged.guards, &judged.writes), ())
            },
        )?;
        match outcome {
            Outcome::Success(()) => Ok(true),
            Outcome::WrongPassword => Ok(false),
            Outcome::NoUser => Err(Error::NoUser),
        }
    }

    pub(crate) fn find_user(&self, username: &str) -> Result<Option<Loaded>> {
        match self.user_id_by_name(username)? {
            Some(id) => self.load_user(id),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
