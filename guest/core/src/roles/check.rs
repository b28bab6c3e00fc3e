//! Checking roles: effective permissions, `has-all` / `has-any` for a
//! user or a token, and validation with the effective set.

use std::collections::BTreeSet;

use super::store::{Ent, check_role_name};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::{Auth, Validation, keys};

impl<E: Env> Auth<E> {
    /// Whether `user_id` is a superuser; [`Error::NoUser`] when no such
    /// user exists.
    fn is_superuser(&self, user_id: u64) -> Result<bool> {
        let user = self.load_user(user_id)?.ok_or(Error::NoUser)?;
        Ok(user.record.state.superuser)
    }

    /// The union of what the user holds directly, through their bundles,
    /// their groups and their groups' bundles; for a superuser, every
    /// defined permission.
    fn effective_set(&self, user_id: u64) -> Result<BTreeSet<String>> {
        if self.is_superuser(user_id)? {
            return Ok(self
                .list_permissions()?
                .into_iter()
                .map(|p| p.name)
                .collect());
        }
        let mut perms = BTreeSet::new();
        let mut bundles = BTreeSet::new();
        for item in self.role_links(&Ent::User(user_id), false)? {
            match item {
                Ent::Perm(p) => {
                    perms.insert(p);
                }
                Ent::Bundle(b) => {
                    bundles.insert(b);
                }
                Ent::Group(g) => {
                    for gi in self.role_links(&Ent::Group(g), false)? {
                        match gi {
                            Ent::Perm(p) => {
                                perms.insert(p);
                            }
                            Ent::Bundle(b) => {
                                bundles.insert(b);
                            }
                            _ => {}
                        }
                    }
                }
                Ent::User(_) => {}
            }
        }
        for b in bundles {
            perms.extend(
                self.role_links(&Ent::Bundle(b), false)?
                    .into_iter()
                    .filter_map(|e| match e {
                        Ent::Perm(p) => Some(p),
                        _ => None,
                    }),
            );
        }
        Ok(perms)
    }

    /// A user's effective permissions, sorted: the union of those given
    /// directly, through bundles, through groups and through groups'
    /// bundles. A superuser has every defined permission. Read afresh:
    /// every change made before the call is reflected.
    pub fn effective_permissions(&self, user_id: u64) -> Result<Vec<String>> {
        Ok(self.effective_set(user_id)?.into_iter().collect())
    }

    /// Whether the user holds every one of `permissions` (true for none).
    /// A permission nobody defined is held by nobody, superusers included.
    pub fn has_all(&self, user_id: u64, permissions: &[&str]) -> Result<bool> {
        if self.is_superuser(user_id)? {
            return self.all_defined(permissions, true);
        }
        let set = self.effective_set(user_id)?;
        Ok(permissions.iter().all(|p| set.contains(*p)))
    }

    /// Whether the user holds at least one of `permissions` (false for
    /// none).
    pub fn has_any(&self, user_id: u64, permissions: &[&str]) -> Result<bool> {
        if self.is_superuser(user_id)? {
            return self.all_defined(permissions, false);
        }
        let set = self.effective_set(user_id)?;
        Ok(permissions.iter().any(|p| set.contains(*p)))
    }

    /// For a superuser: whether all (`all`) or any of `permissions` are
    /// defined.
    fn all_defined(&self, permissions: &[&str], all: bool) -> Result<bool> {
        for p in permissions {
            let defined = check_role_name("permission", p).is_ok()
                && self.env.get(&keys::role_permission(p))?.is_some();
            if defined != all {
                return Ok(defined);
            }
        }
        Ok(all)
    }

    /// [`Auth::validate`] the token, then [`Auth::has_all`] for its user,
    /// in one call. Errors are those of `validate`.
    pub fn token_has_all(&self, token: &str, permissions: &[&str]) -> Result<bool> {
        let v = self.validate(token)?;
        self.has_all(v.user.id, permissions).map_err(user_gone)
    }

    /// [`Auth::validate`] the token, then [`Auth::has_any`] for its user,
    /// in one call. Errors are those of `validate`.
    pub fn token_has_any(&self, token: &str, permissions: &[&str]) -> Result<bool> {
        let v = self.validate(token)?;
        self.has_any(v.user.id, permissions).map_err(user_gone)
    }

    /// [`Auth::validate`] the token and return its user's effective
    /// permissions with the validation.
    pub fn validate_with_permissions(&self, token: &str) -> Result<(Validation, Vec<String>)> {
        let v = self.validate(token)?;
        let perms = self.effective_permissions(v.user.id).map_err(user_gone)?;
        Ok((v, perms))
    }
}

/// A user deleted between validating their token and reading their roles:
/// the token is as dead as if validation had seen it.
fn user_gone(e: Error) -> Error {
    match e {
        Error::NoUser => Error::InvalidToken,
        e => e,
    }
}
