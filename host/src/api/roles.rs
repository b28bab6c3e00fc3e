//! The `roles` interface: permissions, bundles, groups, grants and checks.
//!
//! ```no_run
//! use moth::{Options, RoleHolder, RoleItem};
//!
//! let moth = Options::new().create(true).open("moth.db")?;
//! let ann = moth.create_user("ann", "correct horse battery staple", "")?;
//! moth.create_permission("posts:write", "write posts")?;
//! moth.create_group("staff")?;
//! let staff = RoleHolder::Group("staff".into());
//! moth.grant_role(&staff, &RoleItem::Permission("posts:write".into()))?;
//! moth.grant_role(&RoleHolder::User(ann.id), &RoleItem::Group("staff".into()))?;
//! assert!(moth.has_all(ann.id, &["posts:write".to_owned()])?);
//! # Ok::<(), moth::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::ops;
use crate::{Bundle, Group, Moth, Permission, RoleHolder, RoleItem, UserRoles, Validation};

impl Moth {
    /// Define a permission with a description.
    pub fn create_permission(&self, name: &str, description: &str) -> Result<Permission> {
        self.call(ops::CREATE_PERMISSION, |i| {
            let (roles, store) = i.roles();
            roles.call_create_permission(store, name, description)
        })
        .map(Permission::from)
    }

    /// Every permission, in name order.
    pub fn list_permissions(&self) -> Result<Vec<Permission>> {
        self.call(ops::LIST_PERMISSIONS, |i| {
            let (roles, store) = i.roles();
            roles.call_list_permissions(store)
        })
        .map(|list| list.into_iter().map(Permission::from).collect())
    }

    /// Delete a permission and take it from every bundle, group and user in
    /// one commit; `false` when there was none.
    pub fn delete_permission(&self, name: &str) -> Result<bool> {
        self.call(ops::DELETE_PERMISSION, |i| {
            let (roles, store) = i.roles();
            roles.call_delete_permission(store, name)
        })
    }

    /// Create an empty bundle.
    pub fn create_bundle(&self, name: &str) -> Result<()> {
        self.call(ops::CREATE_BUNDLE, |i| {
            let (roles, store) = i.roles();
            roles.call_create_bundle(store, name)
        })
    }

    /// Every bundle with its permissions, in name order.
    pub fn list_bundles(&self) -> Result<Vec<Bundle>> {
        self.call(ops::LIST_BUNDLES, |i| {
            let (roles, store) = i.roles();
            roles.call_list_bundles(store)
        })
        .map(|list| list.into_iter().map(Bundle::from).collect())
    }

    /// Delete a bundle, taking it from every group and user in one commit;
    /// `false` when there was none.
    pub fn delete_bundle(&self, name: &str) -> Result<bool> {
        self.call(ops::DELETE_BUNDLE, |i| {
            let (roles, store) = i.roles();
            roles.call_delete_bundle(store, name)
        })
    }

    /// Create a group with no members, permissions or bundles.
    pub fn create_group(&self, name: &str) -> Result<()> {
        self.call(ops::CREATE_GROUP, |i| {
            let (roles, store) = i.roles();
            roles.call_create_group(store, name)
        })
    }

    /// Every group with the permissions and bundles it carries, in name
    /// order.
    pub fn list_groups(&self) -> Result<Vec<Group>> {
        self.call(ops::LIST_GROUPS, |i| {
            let (roles, store) = i.roles();
            roles.call_list_groups(store)
        })
        .map(|list| list.into_iter().map(Group::from).collect())
    }

    /// Delete a group, removing its members and grants in one commit;
    /// `false` when there was none.
    pub fn delete_group(&self, name: &str) -> Result<bool> {
        self.call(ops::DELETE_GROUP, |i| {
            let (roles, store) = i.roles();
            roles.call_delete_group(store, name)
        })
    }

    /// The ids of a group's members, ascending.
    pub fn group_members(&self, group: &str) -> Result<Vec<u64>> {
        self.call(ops::GROUP_MEMBERS, |i| {
            let (roles, store) = i.roles();
            roles.call_group_members(store, group)
        })
    }

    /// Make `holder` hold `item` (a user joins a group or gets a bundle or
    /// permission; a group gets a bundle or permission; a bundle gets a
    /// permission); `false` when it already did. Seen by the next check.
    pub fn grant_role(&self, holder: &RoleHolder, item: &RoleItem) -> Result<bool> {
        let (holder, item) = (holder.into(), item.into());
        self.call(ops::GRANT_ROLE, |i| {
            let (roles, store) = i.roles();
            roles.call_grant_role(store, &holder, &item)
        })
    }

    /// Stop `holder` holding `item` directly; `false` when it did not.
    pub fn revoke_role(&self, holder: &RoleHolder, item: &RoleItem) -> Result<bool> {
        let (holder, item) = (holder.into(), item.into());
        self.call(ops::REVOKE_ROLE, |i| {
            let (roles, store) = i.roles();
            roles.call_revoke_role(store, &holder, &item)
        })
    }

    /// What user `id` holds directly: permissions, bundles, groups.
    pub fn get_user_roles(&self, id: u64) -> Result<UserRoles> {
        self.call(ops::GET_USER_ROLES, |i| {
            let (roles, store) = i.roles();
            roles.call_get_user_roles(store, id)
        })
        .map(UserRoles::from)
    }

    /// User `id`'s effective permissions, sorted: the union of what they
    /// hold directly, through bundles, groups and groups' bundles (every
    /// defined permission for a superuser).
    pub fn effective_permissions(&self, id: u64) -> Result<Vec<String>> {
        self.call(ops::EFFECTIVE_PERMISSIONS, |i| {
            let (roles, store) = i.roles();
            roles.call_effective_permissions(store, id)
        })
    }

    /// Whether user `id` holds every one of `permissions` (true for none).
    pub fn has_all(&self, id: u64, permissions: &[String]) -> Result<bool> {
        self.call(ops::HAS_ALL, |i| {
            let (roles, store) = i.roles();
            roles.call_has_all(store, id, permissions)
        })
    }

    /// Whether user `id` holds at least one of `permissions` (false for
    /// none).
    pub fn has_any(&self, id: u64, permissions: &[String]) -> Result<bool> {
        self.call(ops::HAS_ANY, |i| {
            let (roles, store) = i.roles();
            roles.call_has_any(store, id, permissions)
        })
    }

    /// Validate `token`, then [`Moth::has_all`] for its user, in one call.
    pub fn token_has_all(&self, token: &str, permissions: &[String]) -> Result<bool> {
        self.call(ops::TOKEN_HAS_ALL, |i| {
            let (roles, store) = i.roles();
            roles.call_token_has_all(store, token, permissions)
        })
    }

    /// Validate `token`, then [`Moth::has_any`] for its user, in one call.
    pub fn token_has_any(&self, token: &str, permissions: &[String]) -> Result<bool> {
        self.call(ops::TOKEN_HAS_ANY, |i| {
            let (roles, store) = i.roles();
            roles.call_token_has_any(store, token, permissions)
        })
    }

    /// Validate `token` and return its user's effective permissions with
    /// the validation, in one call.
    pub fn validate_with_permissions(&self, token: &str) -> Result<(Validation, Vec<String>)> {
        self.call(ops::VALIDATE_WITH_PERMISSIONS, |i| {
            let (roles, store) = i.roles();
            roles.call_validate_with_permissions(store, token)
        })
        .map(|v| (v.validation.into(), v.permissions))
    }
}

/// A grant named by the kinds of its two ends, as the HTTP API and the
/// CLI take it: exactly two of `user`, `group`, `bundle`, `permission`.
/// Whichever comes first in that order holds the other, so every pair
/// names one grant (a user joins a group, a group gets a bundle, …).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GrantNames {
    /// A user, by id.
    pub user: Option<u64>,
    /// A group, by name.
    pub group: Option<String>,
    /// A bundle, by name.
    pub bundle: Option<String>,
    /// A permission, by name.
    pub permission: Option<String>,
}

impl GrantNames {
    /// The holder and the item; `invalid-input` unless exactly two are
    /// given.
    pub fn ends(self) -> Result<(RoleHolder, RoleItem)> {
        let holder = match (self.user, self.group.clone(), self.bundle.clone()) {
            (Some(id), _, _) => Some(RoleHolder::User(id)),
            (None, Some(g), _) => Some(RoleHolder::Group(g)),
            (None, None, Some(b)) => Some(RoleHolder::Bundle(b)),
            _ => None,
        };
        let items = [
            self.group.map(RoleItem::Group),
            self.bundle.map(RoleItem::Bundle),
            self.permission.map(RoleItem::Permission),
        ];
        let mut items = items.into_iter().flatten();
        // The holder took the first named of group and bundle when no user
        // was given: skip it among the items.
        if !matches!(holder, Some(RoleHolder::User(_))) {
            items.next();
        }
        match (holder, items.next(), items.next()) {
            (Some(h), Some(i), None) => Ok((h, i)),
            _ => Err(Error::InvalidInput(
                "name exactly two of user, group, bundle and permission".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(user: bool, group: bool, bundle: bool, permission: bool) -> GrantNames {
        GrantNames {
            user: user.then_some(7),
            group: group.then(|| "g".into()),
            bundle: bundle.then(|| "b".into()),
            permission: permission.then(|| "p".into()),
        }
    }

    #[test]
    fn every_pair_names_one_grant_and_nothing_else_does() {
        let (u, g, b, p) = (
            || RoleHolder::User(7),
            || RoleItem::Group("g".into()),
            || RoleItem::Bundle("b".into()),
            || RoleItem::Permission("p".into()),
        );
        let cases = [
            (names(true, true, false, false), (u(), g())),
            (names(true, false, true, false), (u(), b())),
            (names(true, false, false, true), (u(), p())),
            (
                names(false, true, true, false),
                (RoleHolder::Group("g".into()), b()),
            ),
            (
                names(false, true, false, true),
                (RoleHolder::Group("g".into()), p()),
            ),
            (
                names(false, false, true, true),
                (RoleHolder::Bundle("b".into()), p()),
            ),
        ];
        for (n, want) in cases {
            assert_eq!(n.ends().unwrap(), want);
        }
        for bits in 0..16u8 {
            if bits.count_ones() == 2 {
                continue;
            }
            let n = names(bits & 1 != 0, bits & 2 != 0, bits & 4 != 0, bits & 8 != 0);
            assert!(matches!(n.ends(), Err(Error::InvalidInput(_))), "{bits}");
        }
    }
}
