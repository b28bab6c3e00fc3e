//! Checking roles: effective permissions, `has-all` / `has-any` for a
//! user or a token, and validation with the effective set.

use std::collections::BTreeSet;

use super::store::{Ent, check_role_name};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::{Auth, Validation, keys};

impl<E: Env> Auth<E> {
    /// What the account's state makes of its roles; [`Error::NoUser`]
    /// when no such user exists.
    fn standing(&self, user_id: u64) -> Result<Standing> {
        let user = self.load_user(user_id)?.ok_or(Error::NoUser)?;
        let state = &user.record.state;
        Ok(if state.is_disabled_at(self.env.now()) {
            Standing::Disabled
        } else if state.superuser {
            Standing::Superuser
        } else {
            Standing::Grants
        })
    }

    /// The effective set: what the user was granted; for a superuser,
    /// every defined permission; for a disabled account, none.
    fn effective_set(&self, user_id: u64) -> Result<BTreeSet<String>> {
        match self.standing(user_id)? {
            Standing::Disabled => Ok(BTreeSet::new()),
            Standing::Superuser => Ok(self
                .list_permissions()?
                .into_iter()
                .map(|p| p.name)
                .collect()),
            Standing::Grants => self.granted(user_id),
        }
    }

    /// The union of what the user holds directly, through their bundles,
    /// their groups and their groups' bundles, whatever their state.
    fn granted(&self, user_id: u64) -> Result<BTreeSet<String>> {
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
    /// A permission nobody defined is held by nobody, superusers included;
    /// a disabled account holds none. A malformed name is refused
    /// (`invalid-input`), so a client's mistake is not read as "no".
    pub fn has_all(&self, user_id: u64, permissions: &[&str]) -> Result<bool> {
        self.check(user_id, permissions, true)
    }

    /// Whether the user holds at least one of `permissions` (false for
    /// none). Names and states as for [`Auth::has_all`].
    pub fn has_any(&self, user_id: u64, permissions: &[&str]) -> Result<bool> {
        self.check(user_id, permissions, false)
    }

    /// `has_all` (`all`) or `has_any`.
    fn check(&self, user_id: u64, permissions: &[&str], all: bool) -> Result<bool> {
        for p in permissions {
            check_role_name("permission", p)?;
        }
        let held = match self.standing(user_id)? {
            Standing::Disabled => return Ok(all && permissions.is_empty()),
            // Every defined permission: one read per name, not a listing.
            Standing::Superuser => {
                let mut held = BTreeSet::new();
                for p in permissions {
                    if self.env.get(&keys::role_permission(p))?.is_some() {
                        held.insert((*p).to_owned());
                    }
                }
                held
            }
            Standing::Grants => self.granted(user_id)?,
        };
        Ok(if all {
            permissions.iter().all(|p| held.contains(*p))
        } else {
            permissions.iter().any(|p| held.contains(*p))
        })
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

/// What an account's state makes of its roles.
enum Standing {
    /// Disabled (now, or from a time already come): holds nothing.
    Disabled,
    /// Holds every defined permission.
    Superuser,
    /// Holds what was granted.
    Grants,
}

/// A user deleted between validating their token and reading their roles:
/// the token is as dead as if validation had seen it.
fn user_gone(e: Error) -> Error {
    match e {
        Error::NoUser => Error::InvalidToken,
        e => e,
    }
}
