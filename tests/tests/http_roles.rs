//! Roles end to end, through a real server: permissions, bundles and
//! groups created, listed and deleted (`/roles/permissions`, `/bundles`,
//! `/groups`: 201, 409 for a name taken, 400 for a bad name, 404 for
//! deleting what is not there); every grant pairing (`/roles/grants`, with
//! exactly two of `user`, `group`, `bundle`, `permission`) and its
//! `changed` flag; a user's direct roles and effective permissions
//! (`/roles/user`); checks by user id (`/roles/check`, all or any, as a
//! comma list in the query string or a JSON array in a body) and by token
//! (`/roles/token-check`, public, the token never in the URL); `/validate`
//! with and without `with_permissions`; a superuser holding every defined
//! permission; changes seen at the very next check; deletions taking a
//! permission, bundle, group or user out of everything at once; the admin
//! key; tenants kept apart. No request is ever answered with a 5xx (the
//! harness checks every one).

use moth_tests::api::Api;
use moth_tests::{Reply, on_threads};
use serde_json::{Value, json};

/// What these tests do, on top of the shared harness.
trait Roles {
    /// A user with password `pw` under `prefix` (`""` or `/t/{tenant}`);
    /// their id.
    fn user_in(&self, prefix: &str, name: &str) -> u64;
    /// [`Roles::user_in`] in the default tenant.
    fn user(&self, name: &str) -> u64;
    /// A login with password `pw`; its token.
    fn login(&self, name: &str) -> String;
    /// `POST /roles/{kind}` with `{"name"}`; it must answer 201.
    fn create(&self, kind: &str, name: &str) -> Value;
    /// `POST` (grant) or `DELETE` (revoke) `/roles/grants` with `body`;
    /// it must succeed. Its `changed`.
    fn grant_op(&self, method: &str, body: Value) -> bool;
    /// [`Roles::grant_op`] with `POST`.
    fn grant(&self, body: Value) -> bool;
    /// `GET /roles/user?id=`; it must succeed.
    fn roles_of(&self, id: u64) -> Value;
    /// User `id`'s effective permissions.
    fn effective(&self, id: u64) -> Vec<String>;
    /// `GET /roles/check` with `query` (`id=…&all=…`); it must succeed.
    fn check(&self, query: &str) -> bool;
    /// `GET /roles/{kind}`; it must succeed.
    fn list(&self, kind: &str) -> Value;
}

impl Roles for Api {
    fn user_in(&self, prefix: &str, name: &str) -> u64 {
        let r = self.admin(
            "PUT",
            &format!("{prefix}/new"),
            json!({"username": name, "password": "pw", "permissions": ""}),
        );
        assert_eq!(r.status, 200, "{r:?}");
        r.json()["userid"].as_u64().unwrap()
    }

    fn user(&self, name: &str) -> u64 {
        self.user_in("", name)
    }

    fn login(&self, name: &str) -> String {
        let r = self.send(
            "GET",
            "/login",
            None,
            json!({"username": name, "password": "pw"}),
        );
        assert_eq!(r.status, 200, "{r:?}");
        r.json()["token"].as_str().unwrap().to_owned()
    }

    fn create(&self, kind: &str, name: &str) -> Value {
        let r = self.admin("POST", &format!("/roles/{kind}"), json!({"name": name}));
        assert_eq!(r.status, 201, "{kind} {name}: {r:?}");
        r.json()
    }

    fn grant_op(&self, method: &str, body: Value) -> bool {
        let r = self.admin(method, "/roles/grants", body.clone());
        assert_eq!(r.status, 200, "{method} {body}: {r:?}");
        let v = r.json();
        assert_eq!(v.as_object().unwrap().len(), 1, "{v}");
        v["changed"].as_bool().unwrap_or_else(|| panic!("{v}"))
    }

    fn grant(&self, body: Value) -> bool {
        self.grant_op("POST", body)
    }

    fn roles_of(&self, id: u64) -> Value {
        let r = self.admin_query("GET", &format!("/roles/user?id={id}"));
        assert_eq!(r.status, 200, "{r:?}");
        r.json()
    }

    fn effective(&self, id: u64) -> Vec<String> {
        names(&self.roles_of(id)["effective_permissions"])
    }

    fn check(&self, query: &str) -> bool {
        let r = self.admin_query("GET", &format!("/roles/check?{query}"));
        assert_eq!(r.status, 200, "{query}: {r:?}");
        allowed(&r)
    }

    fn list(&self, kind: &str) -> Value {
        let r = self.admin("GET", &format!("/roles/{kind}"), json!({}));
        assert_eq!(r.status, 200, "{kind}: {r:?}");
        r.json()
    }
}

/// A JSON array of strings as a vector.
fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

/// The `allowed` of a 200 `{"allowed": bool}` and nothing else.
fn allowed(r: &Reply) -> bool {
    assert_eq!(r.status, 200, "{r:?}");
    let v = r.json();
    assert_eq!(v.as_object().unwrap().len(), 1, "{v}");
    v["allowed"].as_bool().unwrap_or_else(|| panic!("{v}"))
}

/// `r` is an error with `status` whose message contains `message`.
fn assert_error(r: &Reply, status: u16, message: &str) {
    assert_eq!(r.status, status, "{r:?}");
    let v = r.json();
    let error = v["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error message: {v}"));
    assert!(error.contains(message), "{error:?} lacks {message:?}");
}

/// Permissions `a`, `b`, `c` (and `d`, held by nobody), bundle `ab` with
/// `a` and `b`, group `staff` carrying `c`.
fn catalogue(api: &Api) {
    for p in ["a", "b", "c", "d"] {
        api.create("permissions", p);
    }
    api.create("bundles", "ab");
    api.create("groups", "staff");
    assert!(api.grant(json!({"bundle": "ab", "permission": "a"})));
    assert!(api.grant(json!({"bundle": "ab", "permission": "b"})));
    assert!(api.grant(json!({"group": "staff", "permission": "c"})));
}

const KINDS: [(&str, &str); 3] = [
    ("permissions", "Permission"),
    ("bundles", "Bundle"),
    ("groups", "Group"),
];

#[test]
fn permissions_bundles_and_groups_are_created_listed_and_deleted() {
    let api = Api::start();
    // What a creation answers: the new entity, empty.
    let r = api.admin(
        "POST",
        "/roles/permissions",
        json!({"name": "users:read", "description": "See users"}),
    );
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(
        r.json(),
        json!({"name": "users:read", "description": "See users"})
    );
    assert_eq!(
        api.create("permissions", "users:write"),
        json!({"name": "users:write", "description": ""}),
        "the description is optional"
    );
    assert_eq!(
        api.create("bundles", "editor"),
        json!({"name": "editor", "permissions": []})
    );
    assert_eq!(
        api.create("groups", "staff"),
        json!({"name": "staff", "permissions": [], "bundles": []})
    );

    // Every character a name may hold, and the longest name.
    let long = "x".repeat(128);
    for (kind, _) in KINDS {
        api.create(kind, "a-z_0.9:b");
        api.create(kind, &long);
    }
    // Listings come in name order.
    assert_eq!(
        api.list("permissions"),
        json!([
            {"name": "a-z_0.9:b", "description": ""},
            {"name": "users:read", "description": "See users"},
            {"name": "users:write", "description": ""},
            {"name": long, "description": ""},
        ])
    );
    assert_eq!(
        api.list("bundles"),
        json!([
            {"name": "a-z_0.9:b", "permissions": []},
            {"name": "editor", "permissions": []},
            {"name": long, "permissions": []},
        ])
    );
    assert_eq!(
        api.list("groups"),
        json!([
            {"name": "a-z_0.9:b", "permissions": [], "bundles": []},
            {"name": "staff", "permissions": [], "bundles": []},
            {"name": long, "permissions": [], "bundles": []},
        ])
    );

    for (kind, what) in KINDS {
        let path = format!("/roles/{kind}");
        // A name taken is 409, and changes nothing.
        let before = api.list(kind);
        let r = api.admin("POST", &path, json!({"name": "a-z_0.9:b"}));
        assert_error(&r, 409, "Name already taken");
        assert_eq!(api.list(kind), before);
        // Bad names are 400.
        let too_long = "x".repeat(129);
        for bad in [
            "",
            "Upper",
            "with space",
            "slash/",
            "comma,",
            "é",
            "tab\t",
            too_long.as_str(),
        ] {
            let r = api.admin("POST", &path, json!({"name": bad}));
            assert_error(&r, 400, "Invalid request parameters");
            let r = api.admin("DELETE", &path, json!({"name": bad}));
            assert_eq!(r.status, 400, "DELETE {kind} {bad:?}: {r:?}");
        }
        assert_eq!(api.list(kind), before, "bad names created nothing");
        // Bad bodies.
        for body in [json!({}), json!({"name": 7}), json!({"name": "q", "x": 1})] {
            let r = api.admin("POST", &path, body.clone());
            assert_eq!(r.status, 400, "POST {kind} {body}: {r:?}");
        }

        // Deleting: once, then 404.
        let r = api.admin("DELETE", &path, json!({"name": "a-z_0.9:b"}));
        assert_eq!((r.status, r.json()), (200, json!({"deleted": true})));
        let r = api.admin("DELETE", &path, json!({"name": "a-z_0.9:b"}));
        assert_eq!(
            (r.status, r.json()),
            (404, json!({"error": format!("{what} does not exist")}))
        );
        let r = api.admin("DELETE", &path, json!({"name": "never-made"}));
        assert_eq!(r.status, 404, "{r:?}");
        let r = api.admin("DELETE", &path, json!({}));
        assert_error(&r, 400, "Missing request parameters");
        // The name is free again.
        api.create(kind, "a-z_0.9:b");
    }

    // A description of at most 1024 bytes.
    let r = api.admin(
        "POST",
        "/roles/permissions",
        json!({"name": "long-desc", "description": "d".repeat(1024)}),
    );
    assert_eq!(r.status, 201, "{r:?}");
    let r = api.admin(
        "POST",
        "/roles/permissions",
        json!({"name": "longer-desc", "description": "d".repeat(1025)}),
    );
    assert_error(&r, 400, "Invalid request parameters");
    // Bundles and groups take no description.
    for kind in ["bundles", "groups"] {
        let r = api.admin(
            "POST",
            &format!("/roles/{kind}"),
            json!({"name": "described", "description": "no"}),
        );
        assert_eq!(r.status, 400, "{kind}: {r:?}");
    }
}

#[test]
fn every_pairing_is_granted_and_revoked_with_its_changed_flag() {
    let api = Api::start();
    let ann = api.user("ann");
    catalogue(&api);
    api.create("bundles", "cd");
    api.create("groups", "ops");

    // Each pairing: granted (changed), granted again (unchanged), seen.
    let pairings = [
        json!({"user": ann, "group": "ops"}),
        json!({"user": ann, "bundle": "cd"}),
        json!({"user": ann, "permission": "d"}),
        json!({"group": "ops", "bundle": "ab"}),
        json!({"group": "ops", "permission": "a"}),
        json!({"bundle": "cd", "permission": "c"}),
    ];
    for body in &pairings {
        assert!(api.grant(body.clone()), "{body}");
        assert!(!api.grant(body.clone()), "already held: {body}");
    }
    let roles = api.roles_of(ann);
    assert_eq!(
        roles,
        json!({
            "id": ann,
            "permissions": ["d"],
            "bundles": ["cd"],
            "groups": ["ops"],
            "effective_permissions": ["a", "b", "c", "d"],
        })
    );
    assert_eq!(
        api.list("groups"),
        json!([
            {"name": "ops", "permissions": ["a"], "bundles": ["ab"]},
            {"name": "staff", "permissions": ["c"], "bundles": []},
        ])
    );
    assert_eq!(
        api.list("bundles"),
        json!([
            {"name": "ab", "permissions": ["a", "b"]},
            {"name": "cd", "permissions": ["c"]},
        ])
    );
    let r = api.admin_query("GET", "/roles/members?group=ops");
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"group": "ops", "members": [ann]}))
    );

    // The order of the fields does not matter: a pair names one grant.
    assert!(!api.grant(json!({"permission": "c", "bundle": "cd"})));

    // Anything but exactly two names is refused, and changes nothing.
    let refused = [
        json!({}),
        json!({"user": ann}),
        json!({"group": "ops"}),
        json!({"permission": "a"}),
        json!({"user": ann, "group": "ops", "permission": "a"}),
        json!({"group": "ops", "bundle": "ab", "permission": "a"}),
        json!({"user": ann, "group": "ops", "bundle": "ab", "permission": "a"}),
        json!({"user": ann, "role": "a"}),
        json!({"user": "ann", "permission": "a"}),
    ];
    for method in ["POST", "DELETE"] {
        for body in &refused {
            let r = api.admin(method, "/roles/grants", body.clone());
            assert_eq!(r.status, 400, "{method} {body}: {r:?}");
        }
    }
    // What is not there cannot be granted: 400, or 401 for a user (as
    // MOTH's contract says of an unknown user).
    for body in [
        json!({"user": ann, "permission": "nope"}),
        json!({"user": ann, "bundle": "nope"}),
        json!({"user": ann, "group": "nope"}),
        json!({"group": "nope", "permission": "a"}),
        json!({"group": "ops", "bundle": "nope"}),
        json!({"bundle": "nope", "permission": "a"}),
        json!({"bundle": "ab", "permission": "nope"}),
        json!({"bundle": "ab", "permission": "Not A Name"}),
    ] {
        let r = api.admin("POST", "/roles/grants", body.clone());
        assert_error(&r, 400, "Invalid request parameters");
    }
    let r = api.admin(
        "POST",
        "/roles/grants",
        json!({"user": 99, "permission": "a"}),
    );
    assert_eq!(
        (r.status, r.json()),
        (401, json!({"error": "User does not exist"}))
    );
    assert_eq!(api.roles_of(ann), roles, "nothing changed");

    // Revoking: changed once, then not; only what was held directly.
    for body in &pairings {
        assert!(api.grant_op("DELETE", body.clone()), "{body}");
        assert!(!api.grant_op("DELETE", body.clone()), "gone: {body}");
    }
    assert!(
        !api.grant_op("DELETE", json!({"user": ann, "permission": "a"})),
        "ann never held a directly"
    );
    assert_eq!(
        api.roles_of(ann),
        json!({
            "id": ann,
            "permissions": [],
            "bundles": [],
            "groups": [],
            "effective_permissions": [],
        })
    );
    let r = api.admin_query("GET", "/roles/members?group=ops");
    assert_eq!(r.json(), json!({"group": "ops", "members": []}));
    assert_eq!(
        api.list("groups")[0],
        json!({"name": "ops", "permissions": [], "bundles": []})
    );
    // The catalogue's own grants are untouched.
    assert_eq!(
        api.list("bundles"),
        json!([
            {"name": "ab", "permissions": ["a", "b"]},
            {"name": "cd", "permissions": []},
        ])
    );
    let r = api.admin_query("GET", "/roles/members?group=nope");
    assert_eq!(r.status, 400, "{r:?}");
    let r = api.admin_query("GET", "/roles/members");
    assert_error(&r, 400, "Missing request parameters");
}

#[test]
fn a_users_permissions_are_the_union_of_direct_bundle_group_and_group_bundle_ones() {
    let api = Api::start();
    let (ann, bob, cy) = (api.user("ann"), api.user("bob"), api.user("cy"));
    catalogue(&api);
    for p in ["e", "f", "g"] {
        api.create("permissions", p);
    }
    api.create("bundles", "ef");
    api.grant(json!({"bundle": "ef", "permission": "e"}));
    api.grant(json!({"bundle": "ef", "permission": "f"}));
    api.grant(json!({"group": "staff", "bundle": "ef"}));
    // ann: g directly, ab as a bundle, staff (c; ef: e, f) as a group.
    api.grant(json!({"user": ann, "permission": "g"}));
    api.grant(json!({"user": ann, "bundle": "ab"}));
    api.grant(json!({"user": ann, "group": "staff"}));
    // bob: a directly and through ab, twice over: counted once.
    api.grant(json!({"user": bob, "permission": "a"}));
    api.grant(json!({"user": bob, "bundle": "ab"}));

    assert_eq!(
        api.roles_of(ann),
        json!({
            "id": ann,
            "permissions": ["g"],
            "bundles": ["ab"],
            "groups": ["staff"],
            "effective_permissions": ["a", "b", "c", "e", "f", "g"],
        })
    );
    assert_eq!(api.effective(bob), ["a", "b"]);
    assert_eq!(api.effective(cy), Vec::<String>::new());
    // By body as well as by query string.
    let r = api.admin("GET", "/roles/user", json!({"id": bob}));
    assert_eq!(r.json(), api.roles_of(bob));
    // An unknown user; a bad id.
    let r = api.admin_query("GET", "/roles/user?id=99");
    assert_eq!(
        (r.status, r.json()),
        (401, json!({"error": "User does not exist"}))
    );
    for path in ["/roles/user?id=x", "/roles/user?id=-1", "/roles/user"] {
        let r = api.admin_query("GET", path);
        assert_eq!(r.status, 400, "{path}: {r:?}");
    }
}

#[test]
fn checks_by_id_take_all_or_any_as_a_comma_list_or_a_json_array() {
    let api = Api::start();
    let ann = api.user("ann");
    catalogue(&api);
    api.grant(json!({"user": ann, "bundle": "ab"}));

    for (query, want) in [
        ("all=a", true),
        ("all=a,b", true),
        ("all=a%2Cb", true),
        ("all=a,c", false),
        ("all=c", false),
        ("any=a,c", true),
        ("any=c,d", false),
        ("any=c", false),
        // Not defined: held by nobody.
        ("all=zzz", false),
        ("any=zzz", false),
        // None: all of none holds, any of none does not.
        ("all=", true),
        ("any=", false),
    ] {
        assert_eq!(api.check(&format!("id={ann}&{query}")), want, "{query}");
    }
    for (body, want) in [
        (json!({"id": ann, "all": ["a", "b"]}), true),
        (json!({"id": ann, "all": ["a", "b", "c"]}), false),
        (json!({"id": ann, "any": ["d", "b"]}), true),
        (json!({"id": ann, "any": ["c", "d"]}), false),
        (json!({"id": ann, "all": []}), true),
        (json!({"id": ann, "any": []}), false),
        // A comma list in a body, as in a query string.
        (json!({"id": ann, "all": "a,b"}), true),
    ] {
        let r = api.admin("GET", "/roles/check", body.clone());
        assert_eq!(allowed(&r), want, "{body}");
    }

    // Bad checks.
    for query in [
        format!("id={ann}"),
        format!("id={ann}&all=a&any=b"),
        "all=a".to_owned(),
        "id=x&all=a".to_owned(),
        format!("id={ann}&all=a&extra=1"),
    ] {
        let r = api.admin_query("GET", &format!("/roles/check?{query}"));
        assert_eq!(r.status, 400, "{query}: {r:?}");
    }
    for body in [
        json!({"id": ann, "all": [1]}),
        json!({"id": ann, "all": {"a": true}}),
        json!({"id": ann}),
    ] {
        let r = api.admin("GET", "/roles/check", body.clone());
        assert_eq!(r.status, 400, "{body}: {r:?}");
    }
    let r = api.admin_query("GET", "/roles/check?id=99&all=a");
    assert_eq!(
        (r.status, r.json()),
        (401, json!({"error": "User does not exist"}))
    );
}

#[test]
fn token_check_takes_the_token_as_bearer_or_in_the_body_never_in_the_url() {
    let api = Api::start();
    let ann = api.user("ann");
    catalogue(&api);
    api.grant(json!({"user": ann, "group": "staff"}));
    api.grant(json!({"user": ann, "permission": "a"}));
    let token = api.login("ann");

    // As the bearer: no admin key needed.
    for (body, want) in [
        (json!({"all": ["a", "c"]}), true),
        (json!({"all": ["a", "b"]}), false),
        (json!({"any": ["b", "c"]}), true),
        (json!({"any": ["b", "d"]}), false),
        (json!({"all": "a,c"}), true),
        (json!({"all": []}), true),
        (json!({"any": []}), false),
    ] {
        let r = api.holder("POST", "/roles/token-check", &token, body.clone());
        assert_eq!(allowed(&r), want, "bearer {body}");
        // In the body, with no Authorization header at all.
        let mut with_token = body.clone();
        with_token["token"] = json!(token);
        let r = api.send("POST", "/roles/token-check", None, with_token);
        assert_eq!(allowed(&r), want, "body {body}");
    }

    // Tokens that prove nothing: 401.
    for bad in ["moth_nope", "", "x"] {
        let r = api.send(
            "POST",
            "/roles/token-check",
            None,
            json!({"token": bad, "all": ["a"]}),
        );
        assert_eq!(r.status, 401, "{bad:?}: {r:?}");
        if !bad.is_empty() {
            let r = api.holder("POST", "/roles/token-check", bad, json!({"all": ["a"]}));
            assert_eq!(r.status, 401, "bearer {bad:?}: {r:?}");
        }
    }
    // A token logged out proves nothing either.
    let other = api.login("ann");
    let r = api.holder("DELETE", "/logout", &other, json!({}));
    assert_eq!(r.status, 200, "{r:?}");
    let r = api.holder("POST", "/roles/token-check", &other, json!({"all": ["a"]}));
    assert_eq!(r.status, 401, "{r:?}");

    // Never in the URL: any query string is refused, whatever else is sent.
    for query in [
        format!("token={token}&all=a"),
        format!("token={token}"),
        "all=a".to_owned(),
    ] {
        let path = format!("/roles/token-check?{query}");
        let r = api.request("POST", &path, &[], "");
        assert_error(&r, 400, "never in the URL");
        let r = api.holder("POST", &path, &token, json!({"all": ["a"]}));
        assert_error(&r, 400, "never in the URL");
    }
    // Neither or both of all and any; no token; a token that is not text.
    for body in [json!({}), json!({"all": ["a"], "any": ["a"]})] {
        let r = api.holder("POST", "/roles/token-check", &token, body.clone());
        assert_eq!(r.status, 400, "{body}: {r:?}");
    }
    let r = api.send("POST", "/roles/token-check", None, json!({"all": ["a"]}));
    assert_error(&r, 400, "Missing request parameters");
    let r = api.send(
        "POST",
        "/roles/token-check",
        None,
        json!({"token": 5, "all": ["a"]}),
    );
    assert_eq!(r.status, 400, "{r:?}");
    let r = api.send(
        "POST",
        "/roles/token-check",
        Some("Basic YW5uOnB3"),
        json!({"all": ["a"]}),
    );
    assert_eq!(r.status, 400, "{r:?}");
    // POST only.
    let r = api.holder("GET", "/roles/token-check", &token, json!({"all": ["a"]}));
    assert_eq!(r.status, 405, "{r:?}");
    // The checks did not spend the token.
    let r = api.holder("GET", "/validate", &token, json!({}));
    assert_eq!(r.status, 200, "{r:?}");
}

#[test]
fn validate_adds_effective_permissions_only_when_asked() {
    let api = Api::start();
    let ann = api.user("ann");
    let bob = api.user("bob");
    catalogue(&api);
    api.grant(json!({"user": ann, "bundle": "ab"}));
    let token = api.login("ann");

    let plain = api.holder("GET", "/validate", &token, json!({}));
    assert_eq!(plain.status, 200, "{plain:?}");
    let plain = plain.json();
    assert!(
        plain.get("effective_permissions").is_none(),
        "not asked for: {plain}"
    );
    let r = api.holder(
        "GET",
        "/validate",
        &token,
        json!({"with_permissions": false}),
    );
    assert_eq!(r.json(), plain, "false is the default");

    let mut want = plain.clone();
    want["effective_permissions"] = json!(["a", "b"]);
    // In the body, in the query string (with the token as bearer), and
    // with the token in the body too.
    let r = api.holder(
        "GET",
        "/validate",
        &token,
        json!({"with_permissions": true}),
    );
    assert_eq!((r.status, r.json()), (200, want.clone()));
    let r = api.request(
        "GET",
        "/validate?with_permissions=true",
        &[("Authorization", &format!("Bearer {token}"))],
        "",
    );
    assert_eq!((r.status, r.json()), (200, want.clone()));
    let r = api.send(
        "GET",
        "/validate",
        None,
        json!({"token": token, "with_permissions": true}),
    );
    assert_eq!((r.status, r.json()), (200, want.clone()));
    // MOTH's own permissions string is a separate thing, unchanged.
    assert_eq!(want["permissions"], json!(""), "{want}");
    assert_eq!(want["userid"], json!(ann), "{want}");

    // A user with no roles: an empty list, not a missing field.
    let bobs = api.login("bob");
    let r = api.holder("GET", "/validate", &bobs, json!({"with_permissions": true}));
    assert_eq!(r.json()["effective_permissions"], json!([]), "{r:?}");
    assert_eq!(r.json()["userid"], json!(bob), "{r:?}");

    // A bad token is refused either way; a bad flag is 400.
    for body in [json!({}), json!({"with_permissions": true})] {
        let r = api.holder("GET", "/validate", "moth_nope", body.clone());
        assert_eq!(r.status, 401, "{body}: {r:?}");
    }
    let r = api.holder(
        "GET",
        "/validate",
        &token,
        json!({"with_permissions": "yes"}),
    );
    assert_eq!(r.status, 400, "{r:?}");
}

#[test]
fn a_superuser_holds_every_defined_permission_and_only_those() {
    let api = Api::start();
    let ann = api.user("ann");
    catalogue(&api);
    let token = api.login("ann");
    assert_eq!(api.effective(ann), Vec::<String>::new());

    let r = api.admin(
        "PATCH",
        "/account-state",
        json!({"id": ann, "superuser": true}),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json()["superuser"], json!(true), "{r:?}");
    // Every defined permission; nothing held directly.
    let roles = api.roles_of(ann);
    assert_eq!(roles["effective_permissions"], json!(["a", "b", "c", "d"]));
    assert_eq!(roles["permissions"], json!([]), "{roles}");
    assert!(api.check(&format!("id={ann}&all=a,b,c,d")));
    assert!(
        !api.check(&format!("id={ann}&any=undefined")),
        "a permission nobody defined is held by nobody"
    );
    assert!(!api.check(&format!("id={ann}&all=a,undefined")));
    let r = api.holder(
        "POST",
        "/roles/token-check",
        &token,
        json!({"all": ["a", "d"]}),
    );
    assert!(allowed(&r));
    let r = api.holder(
        "GET",
        "/validate",
        &token,
        json!({"with_permissions": true}),
    );
    assert_eq!(
        r.json()["effective_permissions"],
        json!(["a", "b", "c", "d"])
    );

    // A permission defined later is held at once; a deleted one is not.
    api.create("permissions", "e");
    api.admin("DELETE", "/roles/permissions", json!({"name": "a"}));
    assert_eq!(api.effective(ann), ["b", "c", "d", "e"]);

    // No longer a superuser: nothing again.
    let r = api.admin(
        "PATCH",
        "/account-state",
        json!({"id": ann, "superuser": false}),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(api.effective(ann), Vec::<String>::new());
    assert!(!api.check(&format!("id={ann}&any=b,c,d,e")));
}

#[test]
fn grants_and_revocations_take_effect_at_the_very_next_check() {
    let api = Api::start();
    let ann = api.user("ann");
    catalogue(&api);
    let token = api.login("ann");
    let validate = || {
        let r = api.holder(
            "GET",
            "/validate",
            &token,
            json!({"with_permissions": true}),
        );
        names(&r.json()["effective_permissions"])
    };
    let token_check = |perm: &str| {
        let r = api.holder("POST", "/roles/token-check", &token, json!({"all": [perm]}));
        allowed(&r)
    };
    assert!(validate().is_empty() && !token_check("c"));

    // Joining a group.
    api.grant(json!({"user": ann, "group": "staff"}));
    assert_eq!(validate(), ["c"]);
    assert!(token_check("c") && api.check(&format!("id={ann}&all=c")));
    // The group gaining a bundle: every member sees it.
    api.grant(json!({"group": "staff", "bundle": "ab"}));
    assert_eq!(validate(), ["a", "b", "c"]);
    assert!(token_check("a"));
    // The bundle gaining and losing a permission.
    api.grant(json!({"bundle": "ab", "permission": "d"}));
    assert!(token_check("d"));
    api.grant_op("DELETE", json!({"bundle": "ab", "permission": "d"}));
    assert!(!token_check("d") && !api.check(&format!("id={ann}&any=d")));
    // Leaving the group.
    api.grant_op("DELETE", json!({"user": ann, "group": "staff"}));
    assert!(validate().is_empty());
    assert!(!token_check("a") && !token_check("c"));
    // A revocation takes only the direct grant: what comes another way stays.
    api.grant(json!({"user": ann, "permission": "a"}));
    api.grant(json!({"user": ann, "bundle": "ab"}));
    api.grant_op("DELETE", json!({"user": ann, "permission": "a"}));
    assert_eq!(validate(), ["a", "b"]);
}

#[test]
fn deleting_takes_a_permission_bundle_or_group_out_of_everything_at_once() {
    let api = Api::start();
    let (ann, bob) = (api.user("ann"), api.user("bob"));
    catalogue(&api);
    // a everywhere: in ab, in staff, directly to ann; bob through staff.
    api.grant(json!({"group": "staff", "permission": "a"}));
    api.grant(json!({"group": "staff", "bundle": "ab"}));
    api.grant(json!({"user": ann, "permission": "a"}));
    api.grant(json!({"user": ann, "bundle": "ab"}));
    api.grant(json!({"user": bob, "group": "staff"}));
    let token = api.login("bob");
    assert_eq!(api.effective(bob), ["a", "b", "c"]);

    let r = api.admin("DELETE", "/roles/permissions", json!({"name": "a"}));
    assert_eq!((r.status, r.json()), (200, json!({"deleted": true})));
    assert_eq!(
        api.list("bundles"),
        json!([{"name": "ab", "permissions": ["b"]}])
    );
    assert_eq!(
        api.list("groups"),
        json!([{"name": "staff", "permissions": ["c"], "bundles": ["ab"]}])
    );
    assert_eq!(api.roles_of(ann)["permissions"], json!([]));
    assert_eq!(api.effective(ann), ["b"]);
    assert_eq!(api.effective(bob), ["b", "c"]);
    let r = api.holder("POST", "/roles/token-check", &token, json!({"any": ["a"]}));
    assert!(!allowed(&r));
    // Defined again, it comes back empty-handed: nobody holds it.
    api.create("permissions", "a");
    assert_eq!(api.effective(ann), ["b"]);
    assert_eq!(api.list("bundles")[0]["permissions"], json!(["b"]));

    // Deleting a bundle takes it from groups and users.
    let r = api.admin("DELETE", "/roles/bundles", json!({"name": "ab"}));
    assert_eq!((r.status, r.json()), (200, json!({"deleted": true})));
    assert_eq!(api.roles_of(ann)["bundles"], json!([]));
    assert_eq!(api.list("groups")[0]["bundles"], json!([]));
    assert_eq!(api.effective(ann), Vec::<String>::new());
    assert_eq!(api.effective(bob), ["c"]);
    api.create("bundles", "ab");
    assert_eq!(api.roles_of(ann)["bundles"], json!([]));

    // Deleting a group takes its members out; its members' other roles stay.
    api.grant(json!({"user": bob, "permission": "d"}));
    let r = api.admin("DELETE", "/roles/groups", json!({"name": "staff"}));
    assert_eq!((r.status, r.json()), (200, json!({"deleted": true})));
    assert_eq!(
        api.roles_of(bob),
        json!({
            "id": bob,
            "permissions": ["d"],
            "bundles": [],
            "groups": [],
            "effective_permissions": ["d"],
        })
    );
    api.create("groups", "staff");
    let r = api.admin_query("GET", "/roles/members?group=staff");
    assert_eq!(r.json(), json!({"group": "staff", "members": []}));
    assert_eq!(api.list("groups")[0]["permissions"], json!([]));
}

#[test]
fn deleting_a_user_takes_them_out_of_their_groups() {
    let api = Api::start();
    let ids: Vec<u64> = ["ann", "bob", "cy"].iter().map(|n| api.user(n)).collect();
    catalogue(&api);
    for &id in &ids {
        api.grant(json!({"user": id, "group": "staff"}));
        api.grant(json!({"user": id, "permission": "d"}));
    }
    let r = api.admin_query("GET", "/roles/members?group=staff");
    assert_eq!(
        r.json(),
        json!({"group": "staff", "members": ids}),
        "ascending"
    );
    let r = api.admin("DELETE", "/del", json!({"id": ids[1]}));
    assert_eq!(r.status, 200, "{r:?}");
    let r = api.admin_query("GET", "/roles/members?group=staff");
    assert_eq!(
        r.json(),
        json!({"group": "staff", "members": [ids[0], ids[2]]})
    );
    for path in [
        format!("/roles/user?id={}", ids[1]),
        format!("/roles/check?id={}&any=c", ids[1]),
    ] {
        let r = api.admin_query("GET", &path);
        assert_eq!(
            (r.status, r.json()),
            (401, json!({"error": "User does not exist"})),
            "{path}"
        );
    }
    // A new user gets none of the deleted one's roles.
    let dan = api.user("dan");
    assert_eq!(api.effective(dan), Vec::<String>::new());
    // The permission and the group themselves can still be deleted.
    let r = api.admin("DELETE", "/roles/permissions", json!({"name": "d"}));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(api.effective(ids[0]), ["c"]);
}

/// Every admin role route, with a body that would succeed (in this order:
/// the deletions come last).
fn admin_routes() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        ("GET", "/roles/permissions", json!({})),
        ("POST", "/roles/permissions", json!({"name": "new"})),
        ("GET", "/roles/bundles", json!({})),
        ("POST", "/roles/bundles", json!({"name": "new"})),
        ("GET", "/roles/groups", json!({})),
        ("POST", "/roles/groups", json!({"name": "new"})),
        ("GET", "/roles/members", json!({"group": "staff"})),
        (
            "POST",
            "/roles/grants",
            json!({"user": 1, "permission": "a"}),
        ),
        (
            "DELETE",
            "/roles/grants",
            json!({"bundle": "ab", "permission": "a"}),
        ),
        ("GET", "/roles/user", json!({"id": 1})),
        ("GET", "/roles/check", json!({"id": 1, "all": ["a"]})),
        ("DELETE", "/roles/permissions", json!({"name": "a"})),
        ("DELETE", "/roles/bundles", json!({"name": "ab"})),
        ("DELETE", "/roles/groups", json!({"name": "staff"})),
    ]
}

#[test]
fn admin_routes_need_the_admin_key_and_token_check_does_not() {
    let api = Api::start();
    let ann = api.user("ann");
    catalogue(&api);
    api.grant(json!({"user": ann, "group": "staff"}));
    let token = api.login("ann");
    let before = (
        api.list("permissions"),
        api.list("bundles"),
        api.list("groups"),
        api.roles_of(ann),
    );
    for (method, path, body) in admin_routes() {
        for auth in [
            None,
            Some("Bearer wrong-key-wrong-key"),
            Some("Bearer "),
            Some("Basic YWRtaW46YWRtaW4="),
        ] {
            let r = api.send(method, path, auth, body.clone());
            assert_error(&r, 401, "Admin key required");
        }
        // A user's token is not the admin key.
        let r = api.holder(method, path, &token, body.clone());
        assert_error(&r, 401, "Admin key required");
    }
    assert_eq!(
        (
            api.list("permissions"),
            api.list("bundles"),
            api.list("groups"),
            api.roles_of(ann),
        ),
        before,
        "nothing changed"
    );
    // The token check is the holder's: no admin key needed, none used.
    let r = api.holder("POST", "/roles/token-check", &token, json!({"all": ["c"]}));
    assert!(allowed(&r));
    // And with the admin key as the bearer, it is not a token.
    let r = api.admin("POST", "/roles/token-check", json!({"all": ["c"]}));
    assert_eq!(r.status, 401, "{r:?}");
    // With the key, every route answers (none is missing from the list).
    for (method, path, body) in admin_routes() {
        let r = api.admin(method, path, body.clone());
        assert!(
            [200, 201].contains(&r.status),
            "{method} {path} {body}: {r:?}"
        );
    }
}

#[test]
fn tenants_keep_their_roles_apart() {
    let api = Api::start();
    let r = api.admin(
        "PUT",
        "/tenants",
        json!({"name": "acme", "argon2_memory_kib": 8, "argon2_iterations": 1, "allow_weak_hashing": true, "min_password_length": 1, "refuse_common_passwords": false}),
    );
    assert_eq!(r.status, 200, "{r:?}");
    let ann = api.user("ann");
    catalogue(&api);
    api.grant(json!({"user": ann, "bundle": "ab"}));
    let token = api.login("ann");

    // acme starts empty, and the same names are free there.
    for kind in ["permissions", "bundles", "groups"] {
        let r = api.admin("GET", &format!("/t/acme/roles/{kind}"), json!({}));
        assert_eq!((r.status, r.json()), (200, json!([])), "{kind}");
    }
    let r = api.admin(
        "POST",
        "/t/acme/roles/permissions",
        json!({"name": "a", "description": "acme's a"}),
    );
    assert_eq!(r.status, 201, "{r:?}");
    for (kind, name) in [("permissions", "z"), ("bundles", "ab"), ("groups", "staff")] {
        let r = api.admin(
            "POST",
            &format!("/t/acme/roles/{kind}"),
            json!({"name": name}),
        );
        assert_eq!(r.status, 201, "{kind} {name}: {r:?}");
    }
    // The default tenant's entities are not acme's: b is not there.
    let r = api.admin(
        "POST",
        "/t/acme/roles/grants",
        json!({"bundle": "ab", "permission": "b"}),
    );
    assert_eq!(r.status, 400, "{r:?}");
    let r = api.admin(
        "POST",
        "/t/acme/roles/grants",
        json!({"bundle": "ab", "permission": "z"}),
    );
    assert_eq!((r.status, r.json()), (200, json!({"changed": true})));
    // Nor are its users: ann's id means nobody in acme yet.
    let r = api.admin(
        "POST",
        "/t/acme/roles/grants",
        json!({"user": ann, "permission": "a"}),
    );
    assert_eq!(r.status, 401, "{r:?}");
    let acmes_ann = api.user_in("/t/acme", "ann");
    let r = api.admin(
        "POST",
        "/t/acme/roles/grants",
        json!({"user": acmes_ann, "permission": "a"}),
    );
    assert_eq!(r.status, 200, "{r:?}");
    let r = api.admin_query("GET", &format!("/t/acme/roles/user?id={acmes_ann}"));
    assert_eq!(
        r.json(),
        json!({
            "id": acmes_ann,
            "permissions": ["a"],
            "bundles": [],
            "groups": [],
            "effective_permissions": ["a"],
        })
    );
    // The same through the tenant header.
    let r = api.request(
        "GET",
        &format!("/roles/check?id={acmes_ann}&all=a"),
        &[
            ("Authorization", moth_tests::api::ADMIN_BEARER),
            ("X-Moth-Tenant", "acme"),
        ],
        "",
    );
    assert!(allowed(&r));

    // The default tenant is untouched by all of that.
    assert_eq!(
        api.list("bundles"),
        json!([{"name": "ab", "permissions": ["a", "b"]}])
    );
    assert_eq!(api.list("permissions")[0]["description"], json!(""));
    assert_eq!(api.effective(ann), ["a", "b"]);
    // Deleting in acme leaves the default tenant's a alone, and back.
    let r = api.admin("DELETE", "/t/acme/roles/permissions", json!({"name": "a"}));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(api.effective(ann), ["a", "b"]);
    let r = api.admin("DELETE", "/roles/permissions", json!({"name": "z"}));
    assert_eq!(r.status, 404, "z is acme's: {r:?}");
    let r = api.admin("GET", "/t/acme/roles/bundles", json!({}));
    assert_eq!(r.json(), json!([{"name": "ab", "permissions": ["z"]}]));

    // A token is checked in its own tenant only.
    let r = api.holder(
        "POST",
        "/t/acme/roles/token-check",
        &token,
        json!({"any": ["a", "z"]}),
    );
    assert_eq!(r.status, 401, "{r:?}");
    let r = api.holder("POST", "/roles/token-check", &token, json!({"all": ["a"]}));
    assert!(allowed(&r));
    // An unknown tenant is not found, nor created.
    let r = api.admin("GET", "/t/nope/roles/permissions", json!({}));
    assert_eq!(r.status, 404, "{r:?}");
    let r = api.admin("POST", "/t/nope/roles/permissions", json!({"name": "a"}));
    assert_eq!(r.status, 404, "{r:?}");
}

#[test]
fn a_deletion_is_seen_whole_by_concurrent_checks() {
    let api = Api::start();
    let ann = api.user("ann");
    catalogue(&api);
    // ann holds a three ways: directly, through ab, through staff.
    api.grant(json!({"group": "staff", "permission": "a"}));
    api.grant(json!({"user": ann, "permission": "a"}));
    api.grant(json!({"user": ann, "bundle": "ab"}));
    api.grant(json!({"user": ann, "group": "staff"}));
    let token = api.login("ann");
    let done = std::sync::atomic::AtomicBool::new(false);
    let seen = on_threads(4, |i| {
        if i == 0 {
            std::thread::sleep(std::time::Duration::from_millis(50));
            let r = api.admin("DELETE", "/roles/permissions", json!({"name": "a"}));
            assert_eq!(r.status, 200, "{r:?}");
            done.store(true, std::sync::atomic::Ordering::SeqCst);
            return Vec::new();
        }
        // Each reader: whether a was held, read by read until after the
        // deletion and a few more.
        let mut seen = Vec::new();
        let mut after = 0;
        while after < 5 {
            if done.load(std::sync::atomic::Ordering::SeqCst) {
                after += 1;
            }
            let held = if i % 2 == 0 {
                let perms = api.effective(ann);
                assert!(perms == ["a", "b", "c"] || perms == ["b", "c"], "{perms:?}");
                perms.contains(&"a".to_owned())
            } else {
                let r = api.holder("POST", "/roles/token-check", &token, json!({"any": ["a"]}));
                allowed(&r)
            };
            seen.push((i, held));
        }
        seen
    });
    // Per reader: held, then not, and never again.
    for reader in 1..4 {
        let held: Vec<bool> = seen
            .iter()
            .filter(|(i, _)| *i == reader)
            .map(|(_, h)| *h)
            .collect();
        let first_gone = held.iter().position(|h| !h).unwrap_or(held.len());
        assert!(
            held[first_gone..].iter().all(|h| !h),
            "reader {reader}: {held:?}"
        );
        assert_eq!(held.last(), Some(&false), "reader {reader}: {held:?}");
    }
    assert_eq!(api.effective(ann), ["b", "c"]);
}

#[test]
fn the_thousandth_permission_is_the_last() {
    let api = Api::start();
    for i in 0..1000 {
        api.create("permissions", &format!("p{i}"));
    }
    let r = api.admin("POST", "/roles/permissions", json!({"name": "one-more"}));
    assert_error(&r, 409, "Limit reached");
    assert_eq!(api.list("permissions").as_array().unwrap().len(), 1000);
    // Room again once one goes.
    let r = api.admin("DELETE", "/roles/permissions", json!({"name": "p0"}));
    assert_eq!(r.status, 200, "{r:?}");
    api.create("permissions", "one-more");
}

#[test]
fn a_disabled_account_holds_nothing_and_a_malformed_name_is_refused() {
    let api = Api::start();
    catalogue(&api);
    let ann = api.user("ann");
    assert!(api.grant(json!({"user": ann, "permission": "a"})));
    assert!(api.check(&format!("id={ann}&all=a")));
    let r = api.admin(
        "PATCH",
        "/account-state",
        json!({"id": ann, "enabled": false}),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert!(!api.check(&format!("id={ann}&any=a")));
    assert_eq!(api.effective(ann), Vec::<String>::new());
    // The grant itself stays, and counts again once enabled.
    assert_eq!(names(&api.roles_of(ann)["permissions"]), ["a"]);
    let r = api.admin(
        "PATCH",
        "/account-state",
        json!({"id": ann, "enabled": true}),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert!(api.check(&format!("id={ann}&all=a")));
    // A trailing comma or a bad name is a client's mistake, not a "no".
    for query in ["all=a,", "any=A", "all=a%20b"] {
        let r = api.admin_query("GET", &format!("/roles/check?id={ann}&{query}"));
        assert_eq!(r.status, 400, "{query}: {r:?}");
    }
}
