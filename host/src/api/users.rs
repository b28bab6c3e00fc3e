//! The `users` interface: accounts and passwords.

use crate::error::Result;
use crate::ops;
use crate::{Moth, User, UserPage};

/// The page size [`Moth::all_users`] reads with: the component's maximum.
const PAGE: u32 = 1000;

impl Moth {
    /// Create a user. The password is hashed with Argon2id.
    pub fn create_user(&self, username: &str, password: &str, permissions: &str) -> Result<User> {
        self.call(ops::CREATE_USER, |i| {
            let (users, store) = i.users();
            users.call_create_user(store, username, password, permissions)
        })
        .map(User::from)
    }

    /// Delete a user and revoke all their tokens.
    /// Their tokens are dead at once and deleted by later sweeps.
    pub fn delete_user(&self, id: u64) -> Result<()> {
        self.call(ops::DELETE_USER, |i| {
            let (users, store) = i.users();
            users.call_delete_user(store, id)
        })?;
        self.sweep_state().revoked();
        Ok(())
    }

    /// The user with this id.
    pub fn get_user(&self, id: u64) -> Result<User> {
        self.call(ops::GET_USER, |i| {
            let (users, store) = i.users();
            users.call_get_user(store, id)
        })
        .map(User::from)
    }

    /// One page of users with ids above `after`, at most `limit` (1..=1000).
    pub fn list_users(&self, after: Option<u64>, limit: u32) -> Result<UserPage> {
        self.call(ops::LIST_USERS, |i| {
            let (users, store) = i.users();
            users.call_list_users(store, after, limit)
        })
        .map(UserPage::from)
    }

    /// Every user, in id order, read page by page (MOTH's `getusers`).
    pub fn all_users(&self) -> Result<Vec<User>> {
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let page = self.list_users(after, PAGE)?;
            all.extend(page.users);
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(all),
            }
        }
    }

    /// Set a new password and revoke all the user's tokens.
    pub fn set_password(&self, id: u64, password: &str) -> Result<()> {
        self.call(ops::SET_PASSWORD, |i| {
            let (users, store) = i.users();
            users.call_set_password(store, id, password)
        })?;
        self.sweep_state().revoked();
        Ok(())
    }

    /// Replace the user's permissions string.
    pub fn set_permissions(&self, id: u64, permissions: &str) -> Result<()> {
        self.call(ops::SET_PERMISSIONS, |i| {
            let (users, store) = i.users();
            users.call_set_permissions(store, id, permissions)
        })
    }

    /// Whether `password` is `username`'s, without logging in.
    pub fn check_password(&self, username: &str, password: &str) -> Result<bool> {
        self.call(ops::CHECK_PASSWORD, |i| {
            let (users, store) = i.users();
            users.call_check_password(store, username, password)
        })
    }
}
