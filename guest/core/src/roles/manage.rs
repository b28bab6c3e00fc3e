//! Managing roles: creating, listing and deleting permissions, bundles
//! and groups; granting and revoking; what a user holds directly.

use super::store::{Ent, bundle_name, check_role_name, ends, group_name, perm_name, tag_range};
use super::{
    Bundle, Group, MAX_DESCRIPTION_BYTES, MAX_ROLE_ENTITIES, Permission, RoleHolder, RoleItem,
    UserRoles,
};
use crate::env::Env;
use crate::error::{Error, Result, invalid};
use crate::record::{PermissionRecord, RoleRecord};
use crate::{Auth, keys};

impl<E: Env> Auth<E> {
    /// Define a permission. [`Error::NameTaken`] when one has that name.
    pub fn create_permission(&self, name: &str, description: &str) -> Result<Permission> {
        check_role_name("permission", name)?;
        if description.len() > MAX_DESCRIPTION_BYTES {
            return Err(invalid(format!(
                "description must be at most {MAX_DESCRIPTION_BYTES} bytes"
            )));
        }
        let record = PermissionRecord {
            version: self.random_version(),
            description: description.to_owned(),
        };
        self.create_role_entity(
            "permission",
            keys::role_permission(name),
            keys::ROLE_PERMISSION,
            record.encode(),
        )?;
        Ok(Permission {
            name: name.to_owned(),
            description: description.to_owned(),
        })
    }

    /// Every permission, in name order.
    pub fn list_permissions(&self) -> Result<Vec<Permission>> {
        let (start, end) = tag_range(keys::ROLE_PERMISSION);
        self.env
            .scan(&start, &end, 2 * MAX_ROLE_ENTITIES)?
            .iter()
            .map(|(k, v)| {
                Ok(Permission {
                    name: String::from_utf8(k[1..].to_vec())
                        .map_err(|_| Error::Storage("corrupt permission key".into()))?,
                    description: PermissionRecord::decode(v)?.description,
                })
            })
            .collect()
    }

    /// Delete a permission and remove it from every bundle, group and user
    /// in the same commit. `Ok(false)` when there was no such permission.
    pub fn delete_permission(&self, name: &str) -> Result<bool> {
        check_role_name("permission", name)?;
        self.delete_role_entity(&Ent::Perm(name.to_owned()))
    }

    /// Create an empty bundle. [`Error::NameTaken`] when one has that name.
    pub fn create_bundle(&self, name: &str) -> Result<()> {
        check_role_name("bundle", name)?;
        let record = RoleRecord {
            version: self.random_version(),
        };
        self.create_role_entity(
            "bundle",
            keys::role_bundle(name),
            keys::ROLE_BUNDLE,
            record.encode(),
        )
    }

    /// Delete a bundle, removing it from every group and user in the same
    /// commit. `Ok(false)` when there was no such bundle.
    pub fn delete_bundle(&self, name: &str) -> Result<bool> {
        check_role_name("bundle", name)?;
        self.delete_role_entity(&Ent::Bundle(name.to_owned()))
    }

    /// Every bundle with its permissions, in name order.
    pub fn list_bundles(&self) -> Result<Vec<Bundle>> {
        let (start, end) = tag_range(keys::ROLE_BUNDLE);
        let entries = self.env.scan(&start, &end, 2 * MAX_ROLE_ENTITIES)?;
        entries
            .iter()
            .map(|(k, _)| {
                let name = String::from_utf8(k[1..].to_vec())
                    .map_err(|_| Error::Storage("corrupt bundle key".into()))?;
                let links = self.role_links(&Ent::Bundle(name.clone()), false)?;
                Ok(Bundle {
                    name,
                    permissions: Self::names_of(&links, perm_name),
                })
            })
            .collect()
    }

    /// Create a group with no members, permissions or bundles.
    /// [`Error::NameTaken`] when one has that name.
    pub fn create_group(&self, name: &str) -> Result<()> {
        check_role_name("group", name)?;
        let record = RoleRecord {
            version: self.random_version(),
        };
        self.create_role_entity(
            "group",
            keys::role_group(name),
            keys::ROLE_GROUP,
            record.encode(),
        )
    }

    /// Delete a group, removing every member from it in the same commit.
    /// `Ok(false)` when there was no such group.
    pub fn delete_group(&self, name: &str) -> Result<bool> {
        check_role_name("group", name)?;
        self.delete_role_entity(&Ent::Group(name.to_owned()))
    }

    /// Every group with its permissions and bundles (not its members; see
    /// [`Auth::group_members`]), in name order.
    pub fn list_groups(&self) -> Result<Vec<Group>> {
        let (start, end) = tag_range(keys::ROLE_GROUP);
        let entries = self.env.scan(&start, &end, 2 * MAX_ROLE_ENTITIES)?;
        entries
            .iter()
            .map(|(k, _)| {
                let name = String::from_utf8(k[1..].to_vec())
                    .map_err(|_| Error::Storage("corrupt group key".into()))?;
                let links = self.role_links(&Ent::Group(name.clone()), false)?;
                Ok(Group {
                    name,
                    permissions: Self::names_of(&links, perm_name),
                    bundles: Self::names_of(&links, bundle_name),
                })
            })
            .collect()
    }

    /// The ids of a group's members, ascending.
    pub fn group_members(&self, group: &str) -> Result<Vec<u64>> {
        check_role_name("group", group)?;
        let ent = Ent::Group(group.to_owned());
        if self.env.get(&ent.record_key())?.is_none() {
            return Err(ent.missing());
        }
        let mut ids: Vec<u64> = self
            .role_links(&ent, true)?
            .iter()
            .filter_map(|e| match e {
                Ent::User(id) => Some(*id),
                _ => None,
            })
            .collect();
        ids.sort_unstable();
        Ok(ids)
    }

    /// Make `holder` hold `item`: a user joins a group or is given a
    /// bundle or permission; a group is given a bundle or permission; a
    /// permission is put in a bundle. Takes effect at the next check.
    /// `Ok(false)` when it already held it; `invalid-input` for another
    /// pairing or an unknown permission, bundle or group; [`Error::NoUser`]
    /// for an unknown user.
    pub fn grant_role(&self, holder: &RoleHolder, item: &RoleItem) -> Result<bool> {
        let (h, i) = ends(holder, item)?;
        self.link(&h, &i)
    }

    /// Stop `holder` holding `item` (what it holds through others stays).
    /// `Ok(false)` when it did not hold it directly.
    pub fn revoke_role(&self, holder: &RoleHolder, item: &RoleItem) -> Result<bool> {
        let (h, i) = ends(holder, item)?;
        self.unlink(&h, &i)
    }

    /// What a user holds directly: permissions, bundles and groups.
    pub fn get_user_roles(&self, user_id: u64) -> Result<UserRoles> {
        self.load_user(user_id)?.ok_or(Error::NoUser)?;
        let links = self.role_links(&Ent::User(user_id), false)?;
        Ok(UserRoles {
            permissions: Self::names_of(&links, perm_name),
            bundles: Self::names_of(&links, bundle_name),
            groups: Self::names_of(&links, group_name),
        })
    }
}
