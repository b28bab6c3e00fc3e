//! Tests of roles: permissions, bundles, groups and direct grants; union
//! semantics, superusers, atomic deletion everywhere, checks for a user
//! and for a token, name rules, limits and races.

use std::rc::Rc;

use super::*;
use crate::env::Env;
use crate::error::Result;
use crate::memory::{MemoryEnv, Racy, before_next_commit};
use crate::users::tests::auth;
use crate::{AccountState, Auth, Error, keys};

/// Each pairing of [`Auth::grant_role`] and [`Auth::revoke_role`] by a
/// name of its own, as the tests read best.
trait Relations {
    fn add_bundle_permission(&self, h: &str, i: &str) -> Result<bool>;
    fn remove_bundle_permission(&self, h: &str, i: &str) -> Result<bool>;
    fn add_group_permission(&self, h: &str, i: &str) -> Result<bool>;
    fn remove_group_permission(&self, h: &str, i: &str) -> Result<bool>;
    fn add_group_bundle(&self, h: &str, i: &str) -> Result<bool>;
    fn remove_group_bundle(&self, h: &str, i: &str) -> Result<bool>;
    fn add_user_to_group(&self, h: u64, i: &str) -> Result<bool>;
    fn remove_user_from_group(&self, h: u64, i: &str) -> Result<bool>;
    fn grant_user_permission(&self, h: u64, i: &str) -> Result<bool>;
    fn revoke_user_permission(&self, h: u64, i: &str) -> Result<bool>;
    fn grant_user_bundle(&self, h: u64, i: &str) -> Result<bool>;
    fn revoke_user_bundle(&self, h: u64, i: &str) -> Result<bool>;
}

impl<E: Env> Relations for Auth<E> {
    fn add_bundle_permission(&self, h: &str, i: &str) -> Result<bool> {
        self.grant_role(
            &RoleHolder::Bundle(h.into()),
            &RoleItem::Permission(i.into()),
        )
    }
    fn remove_bundle_permission(&self, h: &str, i: &str) -> Result<bool> {
        self.revoke_role(
            &RoleHolder::Bundle(h.into()),
            &RoleItem::Permission(i.into()),
        )
    }
    fn add_group_permission(&self, h: &str, i: &str) -> Result<bool> {
        self.grant_role(
            &RoleHolder::Group(h.into()),
            &RoleItem::Permission(i.into()),
        )
    }
    fn remove_group_permission(&self, h: &str, i: &str) -> Result<bool> {
        self.revoke_role(
            &RoleHolder::Group(h.into()),
            &RoleItem::Permission(i.into()),
        )
    }
    fn add_group_bundle(&self, h: &str, i: &str) -> Result<bool> {
        self.grant_role(&RoleHolder::Group(h.into()), &RoleItem::Bundle(i.into()))
    }
    fn remove_group_bundle(&self, h: &str, i: &str) -> Result<bool> {
        self.revoke_role(&RoleHolder::Group(h.into()), &RoleItem::Bundle(i.into()))
    }
    fn add_user_to_group(&self, h: u64, i: &str) -> Result<bool> {
        self.grant_role(&RoleHolder::User(h), &RoleItem::Group(i.into()))
    }
    fn remove_user_from_group(&self, h: u64, i: &str) -> Result<bool> {
        self.revoke_role(&RoleHolder::User(h), &RoleItem::Group(i.into()))
    }
    fn grant_user_permission(&self, h: u64, i: &str) -> Result<bool> {
        self.grant_role(&RoleHolder::User(h), &RoleItem::Permission(i.into()))
    }
    fn revoke_user_permission(&self, h: u64, i: &str) -> Result<bool> {
        self.revoke_role(&RoleHolder::User(h), &RoleItem::Permission(i.into()))
    }
    fn grant_user_bundle(&self, h: u64, i: &str) -> Result<bool> {
        self.grant_role(&RoleHolder::User(h), &RoleItem::Bundle(i.into()))
    }
    fn revoke_user_bundle(&self, h: u64, i: &str) -> Result<bool> {
        self.revoke_role(&RoleHolder::User(h), &RoleItem::Bundle(i.into()))
    }
}

fn setup() -> (Auth<MemoryEnv>, u64, u64) {
    let a = auth();
    let ann = a.create_user("ann", "pw", "").unwrap().id;
    let bob = a.create_user("bob", "pw", "").unwrap().id;
    for p in ["read", "write", "admin:users", "billing.view"] {
        a.create_permission(p, &format!("may {p}")).unwrap();
    }
    (a, ann, bob)
}

fn eff(a: &Auth<MemoryEnv>, id: u64) -> Vec<String> {
    a.effective_permissions(id).unwrap()
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Every stored key under `tag`.
fn keys_under(a: &Auth<MemoryEnv>, tag: u8) -> Vec<Vec<u8>> {
    a.env()
        .scan(&[tag], &[tag + 1], u32::MAX)
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect()
}

#[test]
fn permissions_are_created_listed_and_deleted() {
    let a = auth();
    assert_eq!(a.list_permissions().unwrap(), vec![]);
    let p = a.create_permission("write", "may write").unwrap();
    assert_eq!(
        p,
        Permission {
            name: "write".into(),
            description: "may write".into()
        }
    );
    a.create_permission("read", "").unwrap();
    assert_eq!(
        a.list_permissions().unwrap(),
        vec![
            Permission {
                name: "read".into(),
                description: "".into()
            },
            Permission {
                name: "write".into(),
                description: "may write".into()
            },
        ]
    );
    assert_eq!(a.create_permission("read", "again"), Err(Error::NameTaken));
    assert_eq!(a.delete_permission("read"), Ok(true));
    assert_eq!(a.delete_permission("read"), Ok(false));
    assert_eq!(a.list_permissions().unwrap().len(), 1);
    // A deleted name may be defined again.
    a.create_permission("read", "new").unwrap();
}

#[test]
fn bad_names_and_descriptions_are_refused_without_writing() {
    let a = auth();
    let long = "a".repeat(MAX_ROLE_NAME_BYTES + 1);
    for bad in ["", "Read", "a b", "é", "x\0", "a/b", long.as_str()] {
        for r in [
            a.create_permission(bad, "").map(|_| ()),
            a.create_bundle(bad),
            a.create_group(bad),
        ] {
            match r {
                Err(Error::InvalidInput(m)) => assert!(m.contains("[a-z0-9_.:-]"), "{m}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }
    let desc = "d".repeat(MAX_DESCRIPTION_BYTES + 1);
    assert!(matches!(
        a.create_permission("ok", &desc),
        Err(Error::InvalidInput(_))
    ));
    assert_eq!(
        a.env().scan(&[0], &[0xff], u32::MAX).unwrap().len(),
        1,
        "only settings"
    );
    let max = "z".repeat(MAX_ROLE_NAME_BYTES);
    a.create_permission(&max, &"d".repeat(MAX_DESCRIPTION_BYTES))
        .unwrap();
    a.create_permission("a0_.:-z", "").unwrap();
}

#[test]
fn bundles_hold_permissions() {
    let (a, _, _) = setup();
    a.create_bundle("editor").unwrap();
    assert_eq!(a.create_bundle("editor"), Err(Error::NameTaken));
    assert_eq!(a.add_bundle_permission("editor", "write"), Ok(true));
    assert_eq!(a.add_bundle_permission("editor", "write"), Ok(false));
    assert_eq!(a.add_bundle_permission("editor", "read"), Ok(true));
    assert_eq!(
        a.add_bundle_permission("editor", "nope"),
        Err(Error::InvalidInput("no such permission".into()))
    );
    assert_eq!(
        a.add_bundle_permission("nope", "read"),
        Err(Error::InvalidInput("no such bundle".into()))
    );
    a.create_bundle("empty").unwrap();
    assert_eq!(
        a.list_bundles().unwrap(),
        vec![
            Bundle {
                name: "editor".into(),
                permissions: strs(&["read", "write"])
            },
            Bundle {
                name: "empty".into(),
                permissions: vec![]
            },
        ]
    );
    assert_eq!(a.remove_bundle_permission("editor", "read"), Ok(true));
    assert_eq!(a.remove_bundle_permission("editor", "read"), Ok(false));
    assert_eq!(a.list_bundles().unwrap()[0].permissions, strs(&["write"]));
    assert_eq!(a.delete_bundle("editor"), Ok(true));
    assert_eq!(a.delete_bundle("editor"), Ok(false));
    assert_eq!(a.list_bundles().unwrap().len(), 1);
    assert!(keys_under(&a, keys::ROLE_LINK).is_empty());
    assert!(keys_under(&a, keys::ROLE_HOLDER).is_empty());
}

#[test]
fn groups_carry_permissions_bundles_and_members() {
    let (a, ann, bob) = setup();
    a.create_group("staff").unwrap();
    assert_eq!(a.create_group("staff"), Err(Error::NameTaken));
    a.create_bundle("billing").unwrap();
    a.add_bundle_permission("billing", "billing.view").unwrap();
    assert_eq!(a.add_group_permission("staff", "read"), Ok(true));
    assert_eq!(a.add_group_permission("staff", "read"), Ok(false));
    assert_eq!(a.add_group_bundle("staff", "billing"), Ok(true));
    assert_eq!(a.add_group_bundle("staff", "billing"), Ok(false));
    assert_eq!(
        a.add_group_bundle("staff", "nope"),
        Err(Error::InvalidInput("no such bundle".into()))
    );
    assert_eq!(a.add_user_to_group(bob, "staff"), Ok(true));
    assert_eq!(a.add_user_to_group(ann, "staff"), Ok(true));
    assert_eq!(a.add_user_to_group(ann, "staff"), Ok(false));
    assert_eq!(a.add_user_to_group(999, "staff"), Err(Error::NoUser));
    assert_eq!(
        a.add_user_to_group(ann, "nope"),
        Err(Error::InvalidInput("no such group".into()))
    );
    assert_eq!(a.group_members("staff").unwrap(), vec![ann, bob]);
    assert_eq!(
        a.list_groups().unwrap(),
        vec![Group {
            name: "staff".into(),
            permissions: strs(&["read"]),
            bundles: strs(&["billing"]),
        }]
    );
    assert_eq!(eff(&a, ann), strs(&["billing.view", "read"]));
    assert_eq!(a.get_user_roles(ann).unwrap().groups, strs(&["staff"]));
    assert_eq!(a.remove_user_from_group(bob, "staff"), Ok(true));
    assert_eq!(a.remove_user_from_group(bob, "staff"), Ok(false));
    assert_eq!(eff(&a, bob), Vec::<String>::new());
    assert_eq!(a.remove_group_bundle("staff", "billing"), Ok(true));
    assert_eq!(a.remove_group_bundle("staff", "billing"), Ok(false));
    assert_eq!(eff(&a, ann), strs(&["read"]));
    assert_eq!(a.remove_group_permission("staff", "read"), Ok(true));
    assert_eq!(a.remove_group_permission("staff", "read"), Ok(false));
    assert_eq!(eff(&a, ann), Vec::<String>::new());
    a.add_group_permission("staff", "write").unwrap();
    assert_eq!(a.delete_group("staff"), Ok(true));
    assert_eq!(a.delete_group("staff"), Ok(false));
    assert_eq!(eff(&a, ann), Vec::<String>::new());
    assert_eq!(a.get_user_roles(ann).unwrap(), UserRoles::default());
    assert!(matches!(
        a.group_members("staff"),
        Err(Error::InvalidInput(_))
    ));
    // Only the bundle's own link is left.
    assert_eq!(keys_under(&a, keys::ROLE_LINK).len(), 1);
    assert_eq!(keys_under(&a, keys::ROLE_HOLDER).len(), 1);
}

#[test]
fn direct_grants_and_the_union() {
    let (a, ann, bob) = setup();
    assert_eq!(a.grant_user_permission(ann, "read"), Ok(true));
    assert_eq!(a.grant_user_permission(ann, "read"), Ok(false));
    assert_eq!(a.grant_user_permission(999, "read"), Err(Error::NoUser));
    assert_eq!(
        a.grant_user_permission(ann, "nope"),
        Err(Error::InvalidInput("no such permission".into()))
    );
    a.create_bundle("editor").unwrap();
    a.add_bundle_permission("editor", "read").unwrap();
    a.add_bundle_permission("editor", "write").unwrap();
    assert_eq!(a.grant_user_bundle(ann, "editor"), Ok(true));
    assert_eq!(a.grant_user_bundle(ann, "editor"), Ok(false));
    a.create_group("admins").unwrap();
    a.add_group_permission("admins", "admin:users").unwrap();
    a.add_group_bundle("admins", "editor").unwrap();
    a.add_user_to_group(ann, "admins").unwrap();
    // The union, each permission once, sorted.
    assert_eq!(eff(&a, ann), strs(&["admin:users", "read", "write"]));
    assert_eq!(
        a.get_user_roles(ann).unwrap(),
        UserRoles {
            permissions: strs(&["read"]),
            bundles: strs(&["editor"]),
            groups: strs(&["admins"]),
        }
    );
    assert_eq!(eff(&a, bob), Vec::<String>::new());
    // Held through several paths: revoking one leaves it.
    assert_eq!(a.revoke_user_permission(ann, "read"), Ok(true));
    assert_eq!(a.revoke_user_permission(ann, "read"), Ok(false));
    assert_eq!(a.revoke_user_bundle(ann, "editor"), Ok(true));
    assert_eq!(a.revoke_user_bundle(ann, "editor"), Ok(false));
    assert_eq!(eff(&a, ann), strs(&["admin:users", "read", "write"]));
    a.remove_user_from_group(ann, "admins").unwrap();
    assert_eq!(eff(&a, ann), Vec::<String>::new());
    assert_eq!(a.effective_permissions(999), Err(Error::NoUser));
    assert_eq!(a.get_user_roles(999), Err(Error::NoUser));
}

#[test]
fn a_superuser_has_every_defined_permission() {
    let (a, ann, _) = setup();
    let su = AccountState {
        superuser: true,
        ..AccountState::default()
    };
    a.set_account_state(ann, &su).unwrap();
    assert_eq!(
        eff(&a, ann),
        strs(&["admin:users", "billing.view", "read", "write"])
    );
    assert_eq!(a.has_all(ann, &["read", "admin:users"]), Ok(true));
    assert_eq!(a.has_all(ann, &["read", "undefined"]), Ok(false));
    assert!(matches!(
        a.has_all(ann, &["read", "Bad Name"]),
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(a.has_any(ann, &[""]), Err(Error::InvalidInput(_))));
    assert_eq!(a.has_any(ann, &["undefined", "write"]), Ok(true));
    assert_eq!(a.has_any(ann, &["undefined"]), Ok(false));
    assert_eq!(a.has_all(ann, &[]), Ok(true));
    assert_eq!(a.has_any(ann, &[]), Ok(false));
    a.create_permission("new", "").unwrap();
    assert_eq!(a.has_all(ann, &["new"]), Ok(true));
    a.delete_permission("new").unwrap();
    assert_eq!(a.has_any(ann, &["new"]), Ok(false));
    a.set_account_state(ann, &AccountState::default()).unwrap();
    assert_eq!(eff(&a, ann), Vec::<String>::new());
}

#[test]
fn has_all_and_has_any_for_a_user() {
    let (a, ann, _) = setup();
    a.grant_user_permission(ann, "read").unwrap();
    a.create_bundle("w").unwrap();
    a.add_bundle_permission("w", "write").unwrap();
    a.grant_user_bundle(ann, "w").unwrap();
    assert_eq!(a.has_all(ann, &["read", "write"]), Ok(true));
    assert_eq!(a.has_all(ann, &["read", "admin:users"]), Ok(false));
    assert_eq!(a.has_any(ann, &["admin:users", "write"]), Ok(true));
    assert_eq!(a.has_any(ann, &["admin:users", "billing.view"]), Ok(false));
    assert_eq!(a.has_all(ann, &[]), Ok(true));
    assert_eq!(a.has_any(ann, &[]), Ok(false));
    assert_eq!(a.has_all(999, &["read"]), Err(Error::NoUser));
    assert_eq!(a.has_any(999, &["read"]), Err(Error::NoUser));
}

#[test]
fn token_checks_validate_first_and_see_changes_at_once() {
    let (a, ann, _) = setup();
    let token = a.login("ann", "pw", None).unwrap().token;
    assert_eq!(a.token_has_all(&token, &["read"]), Ok(false));
    a.create_group("g").unwrap();
    a.add_group_permission("g", "read").unwrap();
    a.add_user_to_group(ann, "g").unwrap();
    // Visible at the very next check.
    assert_eq!(a.token_has_all(&token, &["read"]), Ok(true));
    assert_eq!(a.token_has_any(&token, &["write", "read"]), Ok(true));
    assert_eq!(a.token_has_all(&token, &["write", "read"]), Ok(false));
    let (v, perms) = a.validate_with_permissions(&token).unwrap();
    assert_eq!((v.user.id, perms), (ann, strs(&["read"])));
    a.remove_user_from_group(ann, "g").unwrap();
    assert_eq!(a.token_has_any(&token, &["read"]), Ok(false));
    assert_eq!(
        a.validate_with_permissions(&token).unwrap().1,
        Vec::<String>::new()
    );
    for bad in ["nonsense", "moth_0000"] {
        assert_eq!(a.token_has_all(bad, &[]), Err(Error::InvalidToken));
        assert_eq!(a.token_has_any(bad, &["read"]), Err(Error::InvalidToken));
        assert_eq!(
            a.validate_with_permissions(bad).map(|_| ()),
            Err(Error::InvalidToken)
        );
    }
    a.delete_tokens(ann).unwrap();
    assert_eq!(a.token_has_all(&token, &[]), Err(Error::InvalidToken));
}

#[test]
fn deleting_a_permission_removes_it_everywhere_at_once() {
    let (a, ann, bob) = setup();
    a.create_bundle("b").unwrap();
    a.add_bundle_permission("b", "write").unwrap();
    a.add_bundle_permission("b", "read").unwrap();
    a.create_group("g").unwrap();
    a.add_group_permission("g", "write").unwrap();
    a.add_user_to_group(bob, "g").unwrap();
    a.grant_user_permission(ann, "write").unwrap();
    a.grant_user_bundle(ann, "b").unwrap();
    assert_eq!(eff(&a, ann), strs(&["read", "write"]));
    assert_eq!(eff(&a, bob), strs(&["write"]));
    let before = a.env().commits();
    assert_eq!(a.delete_permission("write"), Ok(true));
    assert_eq!(a.env().commits(), before + 1, "one commit");
    assert_eq!(a.list_bundles().unwrap()[0].permissions, strs(&["read"]));
    assert_eq!(
        a.list_groups().unwrap()[0].permissions,
        Vec::<String>::new()
    );
    assert_eq!(
        a.get_user_roles(ann).unwrap().permissions,
        Vec::<String>::new()
    );
    assert_eq!(eff(&a, ann), strs(&["read"]));
    assert_eq!(eff(&a, bob), Vec::<String>::new());
    assert_eq!(a.has_any(ann, &["write"]), Ok(false));
    // No key names it any more.
    let needle = keys::role_ref(b'p', "write");
    for tag in [keys::ROLE_LINK, keys::ROLE_HOLDER] {
        for k in keys_under(&a, tag) {
            assert!(!k.windows(needle.len()).any(|w| w == needle), "{k:?}");
        }
    }
    // Defined again, it is held by nobody.
    a.create_permission("write", "").unwrap();
    assert_eq!(eff(&a, ann), strs(&["read"]));
}

#[test]
fn deleting_a_bundle_removes_it_from_groups_and_users() {
    let (a, ann, bob) = setup();
    a.create_bundle("b").unwrap();
    a.add_bundle_permission("b", "write").unwrap();
    a.create_group("g").unwrap();
    a.add_group_bundle("g", "b").unwrap();
    a.add_user_to_group(bob, "g").unwrap();
    a.grant_user_bundle(ann, "b").unwrap();
    assert_eq!(
        (eff(&a, ann), eff(&a, bob)),
        (strs(&["write"]), strs(&["write"]))
    );
    assert_eq!(a.delete_bundle("b"), Ok(true));
    assert_eq!((eff(&a, ann), eff(&a, bob)), (vec![], vec![]));
    assert_eq!(a.list_groups().unwrap()[0].bundles, Vec::<String>::new());
    assert_eq!(a.get_user_roles(ann).unwrap().bundles, Vec::<String>::new());
    // Only the group's membership link (and its mirror) is left.
    assert_eq!(keys_under(&a, keys::ROLE_LINK).len(), 1);
    assert_eq!(keys_under(&a, keys::ROLE_HOLDER).len(), 1);
}

#[test]
fn entity_and_link_limits() {
    let a = auth();
    let ann = a.create_user("ann", "pw", "").unwrap().id;
    for i in 0..MAX_ROLE_ENTITIES {
        a.create_permission(&format!("p{i}"), "").unwrap();
    }
    assert!(matches!(
        a.create_permission("one.more", ""),
        Err(Error::LimitReached(_))
    ));
    assert_eq!(
        a.list_permissions().unwrap().len(),
        MAX_ROLE_ENTITIES as usize
    );
    a.create_bundle("b").unwrap();
    for i in 0..MAX_ROLE_LINKS {
        a.add_bundle_permission("b", &format!("p{i}")).unwrap();
    }
    // A group full of links: 999 permissions and a bundle.
    a.create_group("g").unwrap();
    a.create_bundle("bb").unwrap();
    a.add_group_bundle("g", "bb").unwrap();
    for i in 0..MAX_ROLE_LINKS - 1 {
        a.add_group_permission("g", &format!("p{i}")).unwrap();
    }
    let last = format!("p{}", MAX_ROLE_LINKS - 1);
    assert!(matches!(
        a.add_group_permission("g", &last),
        Err(Error::LimitReached(_))
    ));
    assert_eq!(a.remove_group_bundle("g", "bb"), Ok(true));
    assert_eq!(a.add_group_permission("g", &last), Ok(true));
    a.delete_group("g").unwrap();
    a.grant_user_bundle(ann, "b").unwrap();
    assert_eq!(eff(&a, ann).len(), MAX_ROLE_LINKS as usize);
    // Deleting the full bundle is one commit.
    let before = a.env().commits();
    a.env().reset_max_commit_writes();
    assert_eq!(a.delete_bundle("b"), Ok(true));
    assert_eq!(a.env().commits(), before + 1);
    assert!(a.env().max_commit_writes() <= 4 * u64::from(MAX_ROLE_LINKS) + 1);
    assert!(keys_under(&a, keys::ROLE_LINK).is_empty());
    assert!(keys_under(&a, keys::ROLE_HOLDER).is_empty());
}

/// Two `Auth`s over one store holding `ann`, permission `p`, bundle `b`
/// and group `g`; and ann's id.
fn racing() -> (Auth<Racy>, Rc<Auth<Racy>>, u64) {
    let (a, b) = Racy::pair();
    a.set_settings(auth().get_settings().unwrap()).unwrap();
    let id = a.create_user("ann", "pw", "").unwrap().id;
    a.create_permission("p", "").unwrap();
    a.create_bundle("b").unwrap();
    a.create_group("g").unwrap();
    (a, b, id)
}

#[test]
fn a_grant_racing_a_permission_deletion_does_not_survive_it() {
    type Grant = fn(&Auth<Racy>, u64) -> Result<bool>;
    let grants: [Grant; 3] = [
        |b, id| b.grant_user_permission(id, "p"),
        |b, _| b.add_bundle_permission("b", "p"),
        |b, _| b.add_group_permission("g", "p"),
    ];
    for grant in grants {
        let (a, b, id) = racing();
        let other = b.clone();
        before_next_commit(&a, move || assert_eq!(grant(&other, id), Ok(true)));
        assert_eq!(a.delete_permission("p"), Ok(true));
        assert!(a.list_permissions().unwrap().is_empty());
        let links = a.env().store.dump();
        assert!(
            links
                .iter()
                .all(|(k, _)| k[0] != keys::ROLE_LINK && k[0] != keys::ROLE_HOLDER),
            "a link survived"
        );
    }
}

#[test]
fn a_grant_racing_a_holder_deletion_does_not_survive_it() {
    let (a, b, id) = racing();
    let other = b.clone();
    before_next_commit(&a, move || {
        assert_eq!(other.add_bundle_permission("b", "p"), Ok(true))
    });
    assert_eq!(a.delete_bundle("b"), Ok(true));
    let other = b.clone();
    before_next_commit(&a, move || {
        assert_eq!(other.add_user_to_group(id, "g"), Ok(true))
    });
    assert_eq!(a.delete_group("g"), Ok(true));
    assert_eq!(a.effective_permissions(id), Ok(vec![]));
    assert!(
        a.env()
            .store
            .dump()
            .iter()
            .all(|(k, _)| k[0] != keys::ROLE_LINK && k[0] != keys::ROLE_HOLDER)
    );
}

#[test]
fn a_deletion_racing_a_grant_makes_the_grant_fail() {
    let (a, b, id) = racing();
    let other = b.clone();
    before_next_commit(&a, move || {
        assert_eq!(other.delete_permission("p"), Ok(true))
    });
    assert_eq!(
        a.grant_user_permission(id, "p"),
        Err(Error::InvalidInput("no such permission".into()))
    );
    assert!(
        a.env()
            .store
            .dump()
            .iter()
            .all(|(k, _)| k[0] != keys::ROLE_LINK)
    );
}

#[test]
fn pairings_roles_do_not_have_are_refused() {
    let (a, ann, _) = setup();
    a.create_bundle("b").unwrap();
    a.create_group("g").unwrap();
    a.create_group("h").unwrap();
    for (h, i) in [
        (RoleHolder::Group("g".into()), RoleItem::Group("h".into())),
        (RoleHolder::Bundle("b".into()), RoleItem::Group("g".into())),
        (RoleHolder::Bundle("b".into()), RoleItem::Bundle("b".into())),
    ] {
        assert!(matches!(a.grant_role(&h, &i), Err(Error::InvalidInput(_))));
        assert!(matches!(a.revoke_role(&h, &i), Err(Error::InvalidInput(_))));
    }
    assert!(a.get_user_roles(ann).unwrap().groups.is_empty());
    assert!(
        a.list_groups()
            .unwrap()
            .iter()
            .all(|g| g.bundles.is_empty())
    );
}

#[test]
fn deleting_a_user_removes_their_role_links() {
    let (a, ann, bob) = setup();
    a.create_group("g").unwrap();
    a.add_user_to_group(ann, "g").unwrap();
    a.add_user_to_group(bob, "g").unwrap();
    a.grant_user_permission(ann, "read").unwrap();
    let before = keys_under(&a, keys::ROLE_LINK).len();
    a.delete_user(ann).unwrap();
    assert_eq!(a.group_members("g").unwrap(), vec![bob]);
    assert_eq!(keys_under(&a, keys::ROLE_LINK).len(), before - 2);
    assert_eq!(keys_under(&a, keys::ROLE_HOLDER).len(), before - 2);
}

#[test]
fn a_disabled_account_holds_nothing() {
    let (a, ann, _) = setup();
    a.grant_user_permission(ann, "read").unwrap();
    let off = AccountState {
        enabled: false,
        superuser: true,
        ..AccountState::default()
    };
    a.set_account_state(ann, &off).unwrap();
    assert_eq!(eff(&a, ann), Vec::<String>::new());
    assert_eq!(a.has_all(ann, &["read"]), Ok(false));
    assert_eq!(a.has_any(ann, &["read", "write"]), Ok(false));
    // Its grants stay, and count again once it is enabled.
    assert_eq!(a.get_user_roles(ann).unwrap().permissions, strs(&["read"]));
    let later = AccountState {
        disabled_from: Some(a.env().now() + 60),
        ..AccountState::default()
    };
    a.set_account_state(ann, &later).unwrap();
    assert_eq!(a.has_all(ann, &["read"]), Ok(true));
    a.env().advance(60);
    assert_eq!(a.has_all(ann, &["read"]), Ok(false));
    assert_eq!(eff(&a, ann), Vec::<String>::new());
}
