//! Roles (keg_auth's model): named permissions with descriptions, bundles
//! (named sets of permissions), groups (users join them; they carry
//! permissions and bundles), and permissions or bundles given to a user
//! directly. A user's effective permissions are the union of all of those;
//! a superuser (see [`crate::AccountState`]) has every defined permission.
//!
//! Storage: each entity is one record (`w`, `x`, `y` + name, see
//! [`crate::keys`]) and each relation one empty-valued link key (`j` +
//! holder + item) with its mirror (`q` + item + holder), so every change
//! is one small guarded commit. Nothing is cached: every check reads the
//! links afresh, so a change takes effect on the very next check or
//! validation.
//!
//! Concurrency: making a link rewrites the record of the item (and of the
//! holder, unless it is a user) with a bumped version, and deleting an
//! entity is guarded on the record it read. So a link made after a
//! deletion's read makes that deletion conflict and re-read, instead of
//! surviving it: deleting a permission removes it from every bundle, group
//! and user in one atomic commit.
//!
//! Bounds: at most [`MAX_ROLE_ENTITIES`] permissions, bundles and groups
//! (each), and at most [`MAX_ROLE_LINKS`] links from and to any one entity,
//! so a deletion's commit writes at most `4 × MAX_ROLE_LINKS + 1` keys.
//! Counts are checked before commit, against what was read (like the API
//! key cap): links to a permission, bundle or group are exact (each link
//! bumps its record), while concurrent creations, or grants to one user,
//! may overshoot by the number racing.
//!
//! Deleting a user removes their grants and memberships in the same
//! commit.

mod check;
mod manage;
mod store;

/// The longest permission, bundle or group name accepted, in bytes. Names
/// are non-empty and made of `[a-z0-9_.:-]`.
pub const MAX_ROLE_NAME_BYTES: usize = 128;
/// The longest permission description accepted, in bytes.
pub const MAX_DESCRIPTION_BYTES: usize = 1024;
/// The most permissions, and the most bundles, and the most groups.
pub const MAX_ROLE_ENTITIES: u32 = 1000;
/// The most links from one entity (a bundle's permissions; a group's
/// permissions and bundles; a user's permissions, bundles and groups) and
/// the most links to one (the bundles, groups and users holding a
/// permission; the groups and users holding a bundle; a group's members).
pub const MAX_ROLE_LINKS: u32 = 1000;

/// A named permission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Permission {
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: String,
}

/// A bundle: a named set of permissions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    /// Its name.
    pub name: String,
    /// Its permissions, sorted.
    pub permissions: Vec<String>,
}

/// A group: users join it, and it carries permissions and bundles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// Its name.
    pub name: String,
    /// The permissions it carries directly, sorted.
    pub permissions: Vec<String>,
    /// The bundles it carries, sorted.
    pub bundles: Vec<String>,
}

/// What a user holds directly: not what their groups or bundles carry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserRoles {
    /// Permissions given to the user directly, sorted.
    pub permissions: Vec<String>,
    /// Bundles given to the user directly, sorted.
    pub bundles: Vec<String>,
    /// Groups the user has joined, sorted.
    pub groups: Vec<String>,
}

/// Who holds a grant: a user, a group or a bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoleHolder {
    /// A user, by id: holds groups (as a member), bundles and permissions.
    User(u64),
    /// A group: holds bundles and permissions.
    Group(String),
    /// A bundle: holds permissions.
    Bundle(String),
}

/// What a grant gives: a group to join, a bundle or a permission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoleItem {
    /// A group (only a user joins one).
    Group(String),
    /// A bundle (to a user or a group).
    Bundle(String),
    /// A permission (to a user, a group or a bundle).
    Permission(String),
}

#[cfg(test)]
mod tests;
