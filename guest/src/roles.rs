//! The exported `roles` interface: each function delegates to
//! [`moth_core::Auth`].

use crate::bindings::Component;
use crate::bindings::exports::moth::auth::roles::{
    Bundle, Error, Group, Guest, Permission, RoleHolder, RoleItem, UserId, UserRoles,
    ValidationWithPermissions,
};
use crate::convert::{wit, wit_list};
use crate::imports::auth;

/// The borrowed names a check takes.
fn names(permissions: &[String]) -> Vec<&str> {
    permissions.iter().map(String::as_str).collect()
}

impl Guest for Component {
    fn create_permission(name: String, description: String) -> Result<Permission, Error> {
        wit(auth().create_permission(&name, &description))
    }

    fn list_permissions() -> Result<Vec<Permission>, Error> {
        wit_list(auth().list_permissions())
    }

    fn delete_permission(name: String) -> Result<bool, Error> {
        wit(auth().delete_permission(&name))
    }

    fn create_bundle(name: String) -> Result<(), Error> {
        wit(auth().create_bundle(&name))
    }

    fn list_bundles() -> Result<Vec<Bundle>, Error> {
        wit_list(auth().list_bundles())
    }

    fn delete_bundle(name: String) -> Result<bool, Error> {
        wit(auth().delete_bundle(&name))
    }

    fn create_group(name: String) -> Result<(), Error> {
        wit(auth().create_group(&name))
    }

    fn list_groups() -> Result<Vec<Group>, Error> {
        wit_list(auth().list_groups())
    }

    fn delete_group(name: String) -> Result<bool, Error> {
        wit(auth().delete_group(&name))
    }

    fn group_members(group: String) -> Result<Vec<UserId>, Error> {
        wit(auth().group_members(&group))
    }

    fn grant_role(holder: RoleHolder, item: RoleItem) -> Result<bool, Error> {
        wit(auth().grant_role(&holder.into(), &item.into()))
    }

    fn revoke_role(holder: RoleHolder, item: RoleItem) -> Result<bool, Error> {
        wit(auth().revoke_role(&holder.into(), &item.into()))
    }

    fn get_user_roles(id: UserId) -> Result<UserRoles, Error> {
        wit(auth().get_user_roles(id))
    }

    fn effective_permissions(id: UserId) -> Result<Vec<String>, Error> {
        wit(auth().effective_permissions(id))
    }

    fn has_all(id: UserId, permissions: Vec<String>) -> Result<bool, Error> {
        wit(auth().has_all(id, &names(&permissions)))
    }

    fn has_any(id: UserId, permissions: Vec<String>) -> Result<bool, Error> {
        wit(auth().has_any(id, &names(&permissions)))
    }

    fn token_has_all(token: String, permissions: Vec<String>) -> Result<bool, Error> {
        wit(auth().token_has_all(&token, &names(&permissions)))
    }

    fn token_has_any(token: String, permissions: Vec<String>) -> Result<bool, Error> {
        wit(auth().token_has_any(&token, &names(&permissions)))
    }

    fn validate_with_permissions(token: String) -> Result<ValidationWithPermissions, Error> {
        wit(auth().validate_with_permissions(&token))
    }
}
