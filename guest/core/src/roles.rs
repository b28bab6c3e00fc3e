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
//! Not yet done: deleting a user leaves their links behind. User ids are
//! never reused, so the links grant nothing, but they still count towards
//! the linked entity's [`MAX_ROLE_LINKS`] until that entity is deleted.

use std::collections::BTreeSet;

use crate::env::{Env, Guard, Write};
use crate::error::{Error, Result, invalid};
use crate::record::{PermissionRecord, RoleRecord};
use crate::txn::{Attempt, committed, retry};
use crate::{Auth, Validation, keys};

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

const PERM: u8 = b'p';
const BUNDLE: u8 = b'b';
const GROUP: u8 = b'g';
const USER: u8 = b'u';

/// One end of a link.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Ent {
    Perm(String),
    Bundle(String),
    Group(String),
    User(u64),
}

impl Ent {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Ent::Perm(n) => keys::role_ref(PERM, n),
            Ent::Bundle(n) => keys::role_ref(BUNDLE, n),
            Ent::Group(n) => keys::role_ref(GROUP, n),
            Ent::User(id) => keys::role_user(*id),
        }
    }

    fn record_key(&self) -> Vec<u8> {
        match self {
            Ent::Perm(n) => keys::role_permission(n),
            Ent::Bundle(n) => keys::role_bundle(n),
            Ent::Group(n) => keys::role_group(n),
            Ent::User(id) => keys::user(*id),
        }
    }

    fn missing(&self) -> Error {
        match self {
            Ent::Perm(_) => invalid("no such permission"),
            Ent::Bundle(_) => invalid("no such bundle"),
            Ent::Group(_) => invalid("no such group"),
            Ent::User(_) => Error::NoUser,
        }
    }

    /// The record rewritten with its version bumped; `None` for a user,
    /// whose record is only guarded.
    fn bumped(&self, bytes: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(match self {
            Ent::Perm(_) => {
                let mut r = PermissionRecord::decode(bytes)?;
                r.version = r.version.wrapping_add(1);
                Some(r.encode())
            }
            Ent::Bundle(_) | Ent::Group(_) => {
                let mut r = RoleRecord::decode(bytes)?;
                r.version = r.version.wrapping_add(1);
                Some(r.encode())
            }
            Ent::User(_) => None,
        })
    }

    /// Parse one [`keys::role_ref`], which must fill `b` exactly.
    fn parse(b: &[u8]) -> Result<Ent> {
        let corrupt = || Error::Storage("corrupt roles link".into());
        match b {
            [USER, rest @ ..] => Ok(Ent::User(u64::from_be_bytes(
                rest.try_into().map_err(|_| corrupt())?,
            ))),
            [kind, rest @ .., 0] => {
                let name = std::str::from_utf8(rest).map_err(|_| corrupt())?.to_owned();
                match *kind {
                    PERM => Ok(Ent::Perm(name)),
                    BUNDLE => Ok(Ent::Bundle(name)),
                    GROUP => Ok(Ent::Group(name)),
                    _ => Err(corrupt()),
                }
            }
            _ => Err(corrupt()),
        }
    }
}

/// Refuse `name` unless it is 1..=[`MAX_ROLE_NAME_BYTES`] bytes of
/// `[a-z0-9_.:-]`; `what` names it in the error.
fn check_role_name(what: &str, name: &str) -> Result<()> {
    let ok_byte = |b: &u8| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b':' | b'-');
    if name.is_empty() || name.len() > MAX_ROLE_NAME_BYTES || !name.bytes().all(|b| ok_byte(&b)) {
        return Err(invalid(format!(
            "{what} name must be 1..={MAX_ROLE_NAME_BYTES} bytes of [a-z0-9_.:-]"
        )));
    }
    Ok(())
}

fn tag_range(tag: u8) -> (Vec<u8>, Vec<u8>) {
    (vec![tag], vec![tag + 1])
}

fn prefix_range(prefix: Vec<u8>) -> (Vec<u8>, Vec<u8>) {
    let end = keys::prefix_end(&prefix);
    (prefix, end)
}

impl<E: Env> Auth<E> {
    /// The entities `from` links to (`j` keys) or, with `reverse`, the
    /// entities linking to it (`q` keys), at most `MAX_ROLE_LINKS + 1`.
    fn role_links(&self, from: &Ent, reverse: bool) -> Result<Vec<Ent>> {
        let tag = if reverse {
            keys::ROLE_HOLDER
        } else {
            keys::ROLE_LINK
        };
        let prefix = [&[tag][..], &from.bytes()].concat();
        let skip = prefix.len();
        let (start, end) = prefix_range(prefix);
        self.env
            .scan(&start, &end, MAX_ROLE_LINKS + 1)?
            .iter()
            .map(|(k, _)| Ent::parse(&k[skip..]))
            .collect()
    }

    fn create_role_entity(&self, what: &str, key: Vec<u8>, tag: u8, record: Vec<u8>) -> Result<()> {
        let (start, end) = tag_range(tag);
        retry(|| {
            if self.env.get(&key)?.is_some() {
                return Err(Error::NameTaken);
            }
            if self.env.scan(&start, &end, MAX_ROLE_ENTITIES)?.len() >= MAX_ROLE_ENTITIES as usize {
                return Err(Error::LimitReached(format!(
                    "at most {MAX_ROLE_ENTITIES} {what}s"
                )));
            }
            let guards = [Guard::absent(key.clone())];
            let writes = [Write::put(key.clone(), record.clone())];
            committed(self.env.commit(&guards, &writes), ())
        })
    }

    fn random_version(&self) -> u64 {
        // A random first version: a record deleted and created again does
        // not come back with the bytes a stale guard expects.
        let mut b = [0u8; 8];
        self.env.random(&mut b);
        u64::from_be_bytes(b)
    }

    /// Delete an entity, every link from it and every link to it, in one
    /// commit guarded on its record. `Ok(false)` when it did not exist.
    fn delete_role_entity(&self, ent: &Ent) -> Result<bool> {
        let key = ent.record_key();
        retry(|| {
            let Some(bytes) = self.env.get(&key)? else {
                return Ok(Attempt::Done(false));
            };
            let me = ent.bytes();
            let mut writes = vec![Write::delete(key.clone())];
            for holder in self.role_links(ent, true)? {
                let h = holder.bytes();
                writes.push(Write::delete(keys::role_link(&h, &me)));
                writes.push(Write::delete(keys::role_holder(&me, &h)));
            }
            for item in self.role_links(ent, false)? {
                let i = item.bytes();
                writes.push(Write::delete(keys::role_link(&me, &i)));
                writes.push(Write::delete(keys::role_holder(&i, &me)));
            }
            let guards = [Guard::equals(key.clone(), Some(bytes))];
            committed(self.env.commit(&guards, &writes), true)
        })
    }

    /// Make `holder` hold `item`. `Ok(false)` when it already did.
    fn link(&self, holder: &Ent, item: &Ent) -> Result<bool> {
        let (h, i) = (holder.bytes(), item.bytes());
        let link_key = keys::role_link(&h, &i);
        let (hkey, ikey) = (holder.record_key(), item.record_key());
        retry(|| {
            let hbytes = self.env.get(&hkey)?.ok_or_else(|| holder.missing())?;
            let ibytes = self.env.get(&ikey)?.ok_or_else(|| item.missing())?;
            if self.env.get(&link_key)?.is_some() {
                return Ok(Attempt::Done(false));
            }
            if self.role_links(holder, false)?.len() >= MAX_ROLE_LINKS as usize
                || self.role_links(item, true)?.len() >= MAX_ROLE_LINKS as usize
            {
                return Err(Error::LimitReached(format!(
                    "at most {MAX_ROLE_LINKS} links from or to one role entity"
                )));
            }
            let mut writes = vec![
                Write::put(link_key.clone(), Vec::new()),
                Write::put(keys::role_holder(&i, &h), Vec::new()),
            ];
            if let Some(b) = holder.bumped(&hbytes)? {
                writes.push(Write::put(hkey.clone(), b));
            }
            if let Some(b) = item.bumped(&ibytes)? {
                writes.push(Write::put(ikey.clone(), b));
            }
            let guards = [
                Guard::equals(hkey.clone(), Some(hbytes)),
                Guard::equals(ikey.clone(), Some(ibytes)),
                Guard::absent(link_key.clone()),
            ];
            committed(self.env.commit(&guards, &writes), true)
        })
    }

    /// Stop `holder` holding `item`. `Ok(false)` when it did not.
    fn unlink(&self, holder: &Ent, item: &Ent) -> Result<bool> {
        let (h, i) = (holder.bytes(), item.bytes());
        let link_key = keys::role_link(&h, &i);
        retry(|| {
            let Some(v) = self.env.get(&link_key)? else {
                return Ok(Attempt::Done(false));
            };
            let guards = [Guard::equals(link_key.clone(), Some(v))];
            let writes = [
                Write::delete(link_key.clone()),
                Write::delete(keys::role_holder(&i, &h)),
            ];
            committed(self.env.commit(&guards, &writes), true)
        })
    }

    fn names_of(links: &[Ent], kind: fn(&Ent) -> Option<&String>) -> Vec<String> {
        let mut v: Vec<String> = links.iter().filter_map(kind).cloned().collect();
        v.sort();
        v
    }

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

    /// Put a permission in a bundle. `Ok(false)` when it was already in.
    pub fn add_bundle_permission(&self, bundle: &str, permission: &str) -> Result<bool> {
        check_role_name("bundle", bundle)?;
        check_role_name("permission", permission)?;
        self.link(
            &Ent::Bundle(bundle.to_owned()),
            &Ent::Perm(permission.to_owned()),
        )
    }

    /// Take a permission out of a bundle. `Ok(false)` when it was not in.
    pub fn remove_bundle_permission(&self, bundle: &str, permission: &str) -> Result<bool> {
        check_role_name("bundle", bundle)?;
        check_role_name("permission", permission)?;
        self.unlink(
            &Ent::Bundle(bundle.to_owned()),
            &Ent::Perm(permission.to_owned()),
        )
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

    /// Give a group a permission. `Ok(false)` when it already had it.
    pub fn add_group_permission(&self, group: &str, permission: &str) -> Result<bool> {
        check_role_name("group", group)?;
        check_role_name("permission", permission)?;
        self.link(
            &Ent::Group(group.to_owned()),
            &Ent::Perm(permission.to_owned()),
        )
    }

    /// Take a permission from a group. `Ok(false)` when it did not have it.
    pub fn remove_group_permission(&self, group: &str, permission: &str) -> Result<bool> {
        check_role_name("group", group)?;
        check_role_name("permission", permission)?;
        self.unlink(
            &Ent::Group(group.to_owned()),
            &Ent::Perm(permission.to_owned()),
        )
    }

    /// Give a group a bundle. `Ok(false)` when it already had it.
    pub fn add_group_bundle(&self, group: &str, bundle: &str) -> Result<bool> {
        check_role_name("group", group)?;
        check_role_name("bundle", bundle)?;
        self.link(
            &Ent::Group(group.to_owned()),
            &Ent::Bundle(bundle.to_owned()),
        )
    }

    /// Take a bundle from a group. `Ok(false)` when it did not have it.
    pub fn remove_group_bundle(&self, group: &str, bundle: &str) -> Result<bool> {
        check_role_name("group", group)?;
        check_role_name("bundle", bundle)?;
        self.unlink(
            &Ent::Group(group.to_owned()),
            &Ent::Bundle(bundle.to_owned()),
        )
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

    /// Make a user a member of a group. `Ok(false)` when they already were.
    pub fn add_user_to_group(&self, user_id: u64, group: &str) -> Result<bool> {
        check_role_name("group", group)?;
        self.link(&Ent::User(user_id), &Ent::Group(group.to_owned()))
    }

    /// Take a user out of a group. `Ok(false)` when they were not in it.
    pub fn remove_user_from_group(&self, user_id: u64, group: &str) -> Result<bool> {
        check_role_name("group", group)?;
        self.unlink(&Ent::User(user_id), &Ent::Group(group.to_owned()))
    }

    /// Give a user a permission directly. `Ok(false)` when they already
    /// had it directly.
    pub fn grant_user_permission(&self, user_id: u64, permission: &str) -> Result<bool> {
        check_role_name("permission", permission)?;
        self.link(&Ent::User(user_id), &Ent::Perm(permission.to_owned()))
    }

    /// Take a directly given permission from a user (what their groups and
    /// bundles carry stays). `Ok(false)` when they did not have it directly.
    pub fn revoke_user_permission(&self, user_id: u64, permission: &str) -> Result<bool> {
        check_role_name("permission", permission)?;
        self.unlink(&Ent::User(user_id), &Ent::Perm(permission.to_owned()))
    }

    /// Give a user a bundle directly. `Ok(false)` when they already had it.
    pub fn grant_user_bundle(&self, user_id: u64, bundle: &str) -> Result<bool> {
        check_role_name("bundle", bundle)?;
        self.link(&Ent::User(user_id), &Ent::Bundle(bundle.to_owned()))
    }

    /// Take a directly given bundle from a user. `Ok(false)` when they did
    /// not have it directly.
    pub fn revoke_user_bundle(&self, user_id: u64, bundle: &str) -> Result<bool> {
        check_role_name("bundle", bundle)?;
        self.unlink(&Ent::User(user_id), &Ent::Bundle(bundle.to_owned()))
    }

    /// What a user holds directly: permissions, bundles and groups.
    pub fn user_roles(&self, user_id: u64) -> Result<UserRoles> {
        self.load_user(user_id)?.ok_or(Error::NoUser)?;
        let links = self.role_links(&Ent::User(user_id), false)?;
        Ok(UserRoles {
            permissions: Self::names_of(&links, perm_name),
            bundles: Self::names_of(&links, bundle_name),
            groups: Self::names_of(&links, group_name),
        })
    }

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

fn perm_name(e: &Ent) -> Option<&String> {
    match e {
        Ent::Perm(n) => Some(n),
        _ => None,
    }
}

fn bundle_name(e: &Ent) -> Option<&String> {
    match e {
        Ent::Bundle(n) => Some(n),
        _ => None,
    }
}

fn group_name(e: &Ent) -> Option<&String> {
    match e {
        Ent::Group(n) => Some(n),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
