//! How roles are stored: each entity one record, each relation one link
//! key and its mirror (see the parent module), and the guarded commits
//! that make, break and delete them.

use crate::env::{Env, Guard, Write};
use crate::error::{Error, Result, invalid};
use crate::record::{PermissionRecord, RoleRecord};
use crate::txn::{Attempt, committed, retry};
use crate::{Auth, keys};

use super::{MAX_ROLE_ENTITIES, MAX_ROLE_LINKS, MAX_ROLE_NAME_BYTES, RoleHolder, RoleItem};

const PERM: u8 = b'p';
const BUNDLE: u8 = b'b';
const GROUP: u8 = b'g';
const USER: u8 = b'u';

/// One end of a link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Ent {
    Perm(String),
    Bundle(String),
    Group(String),
    User(u64),
}

impl Ent {
    pub(super) fn bytes(&self) -> Vec<u8> {
        match self {
            Ent::Perm(n) => keys::role_ref(PERM, n),
            Ent::Bundle(n) => keys::role_ref(BUNDLE, n),
            Ent::Group(n) => keys::role_ref(GROUP, n),
            Ent::User(id) => keys::role_user(*id),
        }
    }

    pub(super) fn record_key(&self) -> Vec<u8> {
        match self {
            Ent::Perm(n) => keys::role_permission(n),
            Ent::Bundle(n) => keys::role_bundle(n),
            Ent::Group(n) => keys::role_group(n),
            Ent::User(id) => keys::user(*id),
        }
    }

    pub(super) fn missing(&self) -> Error {
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
pub(super) fn check_role_name(what: &str, name: &str) -> Result<()> {
    let ok_byte = |b: &u8| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b':' | b'-');
    if name.is_empty() || name.len() > MAX_ROLE_NAME_BYTES || !name.bytes().all(|b| ok_byte(&b)) {
        return Err(invalid(format!(
            "{what} name must be 1..={MAX_ROLE_NAME_BYTES} bytes of [a-z0-9_.:-]"
        )));
    }
    Ok(())
}

pub(super) fn tag_range(tag: u8) -> (Vec<u8>, Vec<u8>) {
    (vec![tag], vec![tag + 1])
}

pub(super) fn prefix_range(prefix: Vec<u8>) -> (Vec<u8>, Vec<u8>) {
    let end = keys::prefix_end(&prefix);
    (prefix, end)
}

/// The two ends of a grant, names checked; `invalid-input` for a pairing
/// roles do not have (a group in a group, a bundle in a bundle).
pub(super) fn ends(holder: &RoleHolder, item: &RoleItem) -> Result<(Ent, Ent)> {
    let i = match item {
        RoleItem::Group(g) => {
            check_role_name("group", g)?;
            Ent::Group(g.clone())
        }
        RoleItem::Bundle(b) => {
            check_role_name("bundle", b)?;
            Ent::Bundle(b.clone())
        }
        RoleItem::Permission(p) => {
            check_role_name("permission", p)?;
            Ent::Perm(p.clone())
        }
    };
    let h = match (holder, &i) {
        (RoleHolder::User(id), _) => Ent::User(*id),
        (RoleHolder::Group(g), Ent::Bundle(_) | Ent::Perm(_)) => {
            check_role_name("group", g)?;
            Ent::Group(g.clone())
        }
        (RoleHolder::Bundle(b), Ent::Perm(_)) => {
            check_role_name("bundle", b)?;
            Ent::Bundle(b.clone())
        }
        _ => {
            return Err(invalid(
                "a user holds groups, bundles and permissions; a group bundles and permissions; a bundle permissions",
            ));
        }
    };
    Ok((h, i))
}

impl<E: Env> Auth<E> {
    /// The writes removing every link from user `id` and their mirrors,
    /// for [`Auth::delete_user`]'s commit. Nothing holds a user, so these
    /// are all of the user's links; a link made after this read is guarded
    /// on the user record that commit deletes, so none survives it.
    pub(crate) fn user_role_deletes(&self, id: u64) -> Result<Vec<Write>> {
        let user = Ent::User(id);
        let u = user.bytes();
        Ok(self
            .role_links(&user, false)?
            .iter()
            .flat_map(|item| {
                let i = item.bytes();
                [
                    Write::delete(keys::role_link(&u, &i)),
                    Write::delete(keys::role_holder(&i, &u)),
                ]
            })
            .collect())
    }

    /// The entities `from` links to (`j` keys) or, with `reverse`, the
    /// entities linking to it (`q` keys), at most `MAX_ROLE_LINKS + 1`.
    pub(super) fn role_links(&self, from: &Ent, reverse: bool) -> Result<Vec<Ent>> {
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

    pub(super) fn create_role_entity(
        &self,
        what: &str,
        key: Vec<u8>,
        tag: u8,
        record: Vec<u8>,
    ) -> Result<()> {
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

    pub(super) fn random_version(&self) -> u64 {
        // A random first version: a record deleted and created again does
        // not come back with the bytes a stale guard expects.
        let mut b = [0u8; 8];
        self.env.random(&mut b);
        u64::from_be_bytes(b)
    }

    /// Delete an entity, every link from it and every link to it, in one
    /// commit guarded on its record. `Ok(false)` when it did not exist.
    pub(super) fn delete_role_entity(&self, ent: &Ent) -> Result<bool> {
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
    pub(super) fn link(&self, holder: &Ent, item: &Ent) -> Result<bool> {
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
    pub(super) fn unlink(&self, holder: &Ent, item: &Ent) -> Result<bool> {
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

    pub(super) fn names_of(links: &[Ent], kind: fn(&Ent) -> Option<&String>) -> Vec<String> {
        let mut v: Vec<String> = links.iter().filter_map(kind).cloned().collect();
        v.sort();
        v
    }
}

pub(super) fn perm_name(e: &Ent) -> Option<&String> {
    match e {
        Ent::Perm(n) => Some(n),
        _ => None,
    }
}

pub(super) fn bundle_name(e: &Ent) -> Option<&String> {
    match e {
        Ent::Bundle(n) => Some(n),
        _ => None,
    }
}

pub(super) fn group_name(e: &Ent) -> Option<&String> {
    match e {
        Ent::Group(n) => Some(n),
        _ => None,
    }
}
