//! The `moth role …` commands as an operator runs them on a database
//! file: permissions, bundles and groups created, listed and deleted (one
//! JSON line each, the shape the HTTP API uses); grants and revocations
//! named by two of `--user`, `--group`, `--bundle`, `--permission` (and
//! refused with one or three); `show` (direct roles and effective
//! permissions); `check --all` / `--any`; deleting what is not there, a
//! taken or bad name and an unknown user refused with a clear message;
//! `--tenant`.

use serde_json::{Value, json};

mod common;
use common::{fails, fresh_db, ok, one};

/// A fresh database with cheap hashing and users ann (id 1) and bob
/// (id 2).
fn fresh() -> (tempfile::TempDir, String) {
    let (dir, db, _) = fresh_db(&[]);
    (dir, db)
}

/// `role grant` (or `revoke`) with `ends`; its `changed`.
fn grant(db: &str, verb: &str, ends: &[&str]) -> bool {
    let mut args = vec!["role", verb];
    args.extend_from_slice(ends);
    let v = one(db, &args);
    v["changed"]
        .as_bool()
        .unwrap_or_else(|| panic!("{args:?}: {v}"))
}

/// `role show id`.
fn show(db: &str, id: &str) -> Value {
    one(db, &["role", "show", id])
}

/// `role check id --all|--any names`.
fn check(db: &str, id: &str, mode: &str, names: &str) -> bool {
    let v = one(db, &["role", "check", id, mode, names]);
    assert_eq!(v.as_object().unwrap().len(), 1, "{v}");
    v["allowed"].as_bool().unwrap()
}

#[test]
fn permissions_bundles_and_groups_are_created_listed_and_deleted() {
    let (_dir, db) = fresh();
    let db = db.as_str();
    assert_eq!(
        one(
            db,
            &[
                "role",
                "permission",
                "create",
                "users:read",
                "--description",
                "See users"
            ]
        ),
        json!({"name": "users:read", "description": "See users"})
    );
    assert_eq!(
        one(db, &["role", "permission", "create", "audit"]),
        json!({"name": "audit", "description": ""})
    );
    assert_eq!(
        one(db, &["role", "bundle", "create", "viewer"]),
        json!({"name": "viewer", "permissions": []})
    );
    assert_eq!(
        one(db, &["role", "group", "create", "staff"]),
        json!({"name": "staff", "permissions": [], "bundles": []})
    );
    one(db, &["role", "bundle", "create", "admin"]);
    one(db, &["role", "group", "create", "ops"]);

    // One JSON line each, in name order.
    assert_eq!(
        ok(db, &["role", "permission", "list"]),
        [
            json!({"name": "audit", "description": ""}),
            json!({"name": "users:read", "description": "See users"}),
        ]
    );
    assert_eq!(
        ok(db, &["role", "bundle", "list"]),
        [
            json!({"name": "admin", "permissions": []}),
            json!({"name": "viewer", "permissions": []}),
        ]
    );
    assert_eq!(
        ok(db, &["role", "group", "list"]),
        [
            json!({"name": "ops", "permissions": [], "bundles": []}),
            json!({"name": "staff", "permissions": [], "bundles": []}),
        ]
    );

    for (kind, name) in [
        ("permission", "audit"),
        ("bundle", "admin"),
        ("group", "ops"),
    ] {
        // A name taken; bad names.
        fails(db, &["role", kind, "create", name], 1, "Name already taken");
        for bad in ["", "Upper", "a b", "x/y", &"x".repeat(129)] {
            fails(db, &["role", kind, "create", bad], 1, "invalid input");
        }
        // Deleted once; then there is nothing to delete.
        assert_eq!(
            one(db, &["role", kind, "delete", name]),
            json!({"deleted": true})
        );
        fails(
            db,
            &["role", kind, "delete", name],
            1,
            &format!("no {kind} named \"{name}\""),
        );
        fails(db, &["role", kind, "delete", "never-made"], 1, "never-made");
        // Missing argument: a usage error.
        fails(db, &["role", kind, "create"], 2, "NAME");
    }
    assert_eq!(ok(db, &["role", "permission", "list"]).len(), 1);
    assert_eq!(ok(db, &["role", "bundle", "list"]).len(), 1);
    assert_eq!(ok(db, &["role", "group", "list"]).len(), 1);
    // The longest name is fine.
    let long = "x".repeat(128);
    one(db, &["role", "permission", "create", &long]);
}

#[test]
fn grants_take_two_ends_and_say_whether_they_changed_anything() {
    let (_dir, db) = fresh();
    let db = db.as_str();
    for p in ["a", "b", "c", "d"] {
        one(db, &["role", "permission", "create", p]);
    }
    one(db, &["role", "bundle", "create", "ab"]);
    one(db, &["role", "group", "create", "staff"]);

    let pairings: [&[&str]; 6] = [
        &["--bundle", "ab", "--permission", "a"],
        &["--permission", "b", "--bundle", "ab"],
        &["--group", "staff", "--permission", "c"],
        &["--group", "staff", "--bundle", "ab"],
        &["--user", "1", "--group", "staff"],
        &["--user", "1", "--permission", "d"],
    ];
    for ends in pairings {
        assert!(grant(db, "grant", ends), "{ends:?}");
        assert!(!grant(db, "grant", ends), "already held: {ends:?}");
    }
    assert!(grant(db, "grant", &["--user", "2", "--bundle", "ab"]));

    assert_eq!(
        ok(db, &["role", "bundle", "list"]),
        [json!({"name": "ab", "permissions": ["a", "b"]})]
    );
    assert_eq!(
        ok(db, &["role", "group", "list"]),
        [json!({"name": "staff", "permissions": ["c"], "bundles": ["ab"]})]
    );
    assert_eq!(
        one(db, &["role", "group", "members", "staff"]),
        json!({"group": "staff", "members": [1]})
    );
    assert_eq!(
        show(db, "1"),
        json!({
            "id": 1,
            "permissions": ["d"],
            "bundles": [],
            "groups": ["staff"],
            "effective_permissions": ["a", "b", "c", "d"],
        })
    );
    assert_eq!(
        show(db, "2"),
        json!({
            "id": 2,
            "permissions": [],
            "bundles": ["ab"],
            "groups": [],
            "effective_permissions": ["a", "b"],
        })
    );

    // One end, three ends, none: refused, nothing changed.
    for ends in [
        &["--user", "1"][..],
        &["--permission", "a"],
        &[],
        &["--user", "1", "--group", "staff", "--permission", "a"],
        &["--group", "staff", "--bundle", "ab", "--permission", "a"],
        &[
            "--user",
            "1",
            "--group",
            "staff",
            "--bundle",
            "ab",
            "--permission",
            "a",
        ],
    ] {
        for verb in ["grant", "revoke"] {
            let mut args = vec!["role", verb];
            args.extend_from_slice(ends);
            fails(db, &args, 1, "exactly two");
        }
    }
    // What is not there; a user id that is not a number.
    fails(
        db,
        &["role", "grant", "--user", "1", "--permission", "nope"],
        1,
        "no such permission",
    );
    fails(
        db,
        &["role", "grant", "--group", "nope", "--bundle", "ab"],
        1,
        "invalid input",
    );
    fails(
        db,
        &["role", "grant", "--user", "9", "--permission", "a"],
        1,
        "User does not exist",
    );
    fails(
        db,
        &["role", "grant", "--user", "ann", "--permission", "a"],
        2,
        "--user",
    );
    assert_eq!(
        show(db, "1")["effective_permissions"],
        json!(["a", "b", "c", "d"])
    );

    // Revoking: changed once; what comes another way stays.
    assert!(grant(db, "revoke", &["--group", "staff", "--bundle", "ab"]));
    assert!(!grant(
        db,
        "revoke",
        &["--group", "staff", "--bundle", "ab"]
    ));
    assert!(!grant(db, "revoke", &["--user", "1", "--permission", "a"]));
    assert_eq!(show(db, "1")["effective_permissions"], json!(["c", "d"]));
    assert!(grant(db, "revoke", &["--user", "1", "--group", "staff"]));
    assert_eq!(
        one(db, &["role", "group", "members", "staff"]),
        json!({"group": "staff", "members": []})
    );
    assert_eq!(show(db, "1")["effective_permissions"], json!(["d"]));
    fails(
        db,
        &["role", "group", "members", "nope"],
        1,
        "invalid input",
    );
}

#[test]
fn show_and_check_follow_every_change_and_deletions_reach_everywhere() {
    let (_dir, db) = fresh();
    let db = db.as_str();
    for p in ["a", "b", "c"] {
        one(db, &["role", "permission", "create", p]);
    }
    one(db, &["role", "bundle", "create", "ab"]);
    one(db, &["role", "group", "create", "staff"]);
    grant(db, "grant", &["--bundle", "ab", "--permission", "a"]);
    grant(db, "grant", &["--bundle", "ab", "--permission", "b"]);
    grant(db, "grant", &["--group", "staff", "--bundle", "ab"]);
    grant(db, "grant", &["--user", "1", "--group", "staff"]);
    grant(db, "grant", &["--user", "1", "--permission", "a"]);

    assert!(check(db, "1", "--all", "a,b"));
    assert!(!check(db, "1", "--all", "a,c"));
    assert!(check(db, "1", "--any", "c,b"));
    assert!(!check(db, "1", "--any", "c"));
    assert!(!check(db, "1", "--any", "undefined"), "held by nobody");
    assert!(!check(db, "2", "--any", "a,b,c"));
    // One of --all and --any, a user that exists.
    fails(db, &["role", "check", "1"], 2, "--all");
    fails(
        db,
        &["role", "check", "1", "--all", "a", "--any", "b"],
        2,
        "cannot be used with",
    );
    fails(
        db,
        &["role", "check", "9", "--all", "a"],
        1,
        "User does not exist",
    );
    fails(db, &["role", "show", "9"], 1, "User does not exist");

    // Deleting a permission takes it from the bundle and from ann.
    assert_eq!(
        one(db, &["role", "permission", "delete", "a"]),
        json!({"deleted": true})
    );
    assert_eq!(
        ok(db, &["role", "bundle", "list"]),
        [json!({"name": "ab", "permissions": ["b"]})]
    );
    assert_eq!(
        show(db, "1"),
        json!({
            "id": 1,
            "permissions": [],
            "bundles": [],
            "groups": ["staff"],
            "effective_permissions": ["b"],
        })
    );
    assert!(!check(db, "1", "--any", "a"));
    // Deleting the bundle takes it from the group.
    one(db, &["role", "bundle", "delete", "ab"]);
    assert_eq!(
        ok(db, &["role", "group", "list"]),
        [json!({"name": "staff", "permissions": [], "bundles": []})]
    );
    assert_eq!(show(db, "1")["effective_permissions"], json!([]));
    // Deleting ann takes her out of the group; deleting the group, its members.
    grant(db, "grant", &["--user", "2", "--group", "staff"]);
    one(db, &["user", "del", "1"]);
    assert_eq!(
        one(db, &["role", "group", "members", "staff"]),
        json!({"group": "staff", "members": [2]})
    );
    one(db, &["role", "group", "delete", "staff"]);
    assert_eq!(show(db, "2")["groups"], json!([]));
}

#[test]
fn a_superuser_holds_every_defined_permission() {
    let (_dir, db) = fresh();
    let db = db.as_str();
    for p in ["a", "b"] {
        one(db, &["role", "permission", "create", p]);
    }
    assert!(!check(db, "1", "--any", "a,b"));
    let state = one(db, &["account", "set", "1", "--superuser", "true"]);
    assert_eq!(state["superuser"], json!(true), "{state}");
    assert_eq!(show(db, "1")["effective_permissions"], json!(["a", "b"]));
    assert!(check(db, "1", "--all", "a,b"));
    assert!(!check(db, "1", "--all", "a,undefined"));
}

#[test]
fn each_tenant_has_roles_of_its_own() {
    let (_dir, db) = fresh();
    let db = db.as_str();
    one(db, &["tenant", "add", "acme"]);
    one(db, &["role", "permission", "create", "a"]);
    assert!(ok(db, &["-t", "acme", "role", "permission", "list"]).is_empty());
    one(db, &["-t", "acme", "role", "permission", "create", "a"]);
    one(db, &["-t", "acme", "role", "permission", "delete", "a"]);
    assert_eq!(ok(db, &["role", "permission", "list"]).len(), 1);
    fails(
        db,
        &["-t", "acme", "role", "permission", "delete", "a"],
        1,
        "no permission named",
    );
    fails(db, &["-t", "nope", "role", "permission", "list"], 1, "nope");
}
