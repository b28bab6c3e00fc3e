//! The password policy and the settings routes end to end, through a real
//! server: `GET`/`PATCH /settings` (admin, per tenant), and each rule of
//! the policy answered with a 400 that names it on every route that sets a
//! password — and never on login.

use moth::server::{self, ServerConfig, ServerHandle};
use moth_tests::{Reply, http, open};
use serde_json::{Value, json};

const ADMIN: &str = "an-admin-key-of-some-length";
const BEARER: &str = "Bearer an-admin-key-of-some-length";

struct Api {
    h: ServerHandle,
    _dir: tempfile::TempDir,
}

/// A server over a store with cheap hashing and the policy relaxed (as
/// every test store is), guarded by the admin key.
fn start() -> Api {
    let dir = tempfile::tempdir().unwrap();
    let (moth, _clock) = open(dir.path());
    let config = ServerConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        admin_key: Some(ADMIN.to_owned()),
        ..ServerConfig::default()
    };
    Api {
        h: server::spawn(moth, config).unwrap(),
        _dir: dir,
    }
}

impl Api {
    fn call(&self, method: &str, path: &str, admin: bool, body: Value) -> Reply {
        let mut headers = vec![("Content-Type", "application/json")];
        if admin {
            headers.push(("Authorization", BEARER));
        }
        let r = http(self.h.addr(), method, path, &headers, &body.to_string());
        assert!(r.status < 500, "{method} {path} {body}: {r:?}");
        r
    }

    /// A 200, or a 201 where something was created.
    fn ok(&self, method: &str, path: &str, body: Value) -> Value {
        let r = self.call(method, path, true, body.clone());
        assert!(
            matches!(r.status, 200 | 201),
            "{method} {path} {body}: {r:?}"
        );
        r.json()
    }

    /// A 400 whose error names `rule`.
    fn refused(&self, method: &str, path: &str, body: Value, rule: &str) {
        let r = self.call(method, path, true, body.clone());
        assert_eq!(r.status, 400, "{method} {path} {body}: {r:?}");
        let error = r.json()["error"].as_str().unwrap_or_default().to_owned();
        assert!(error.contains(rule), "{error:?} should name {rule:?}");
    }
}

#[test]
fn settings_are_shown_and_changed_by_the_admin_only_and_bad_values_change_nothing() {
    let api = start();
    let before = api.ok("GET", "/settings", json!({}));
    assert_eq!(before["min_password_length"], 1);
    assert_eq!(before["refuse_common_passwords"], false);
    for (method, body) in [
        ("GET", json!({})),
        ("PATCH", json!({"min_password_length": 8})),
    ] {
        assert_eq!(api.call(method, "/settings", false, body).status, 401);
    }
    let after = api.ok(
        "PATCH",
        "/settings",
        json!({"min_password_length": 12, "refuse_common_passwords": true}),
    );
    assert_eq!(after["min_password_length"], 12);
    assert_eq!(after["refuse_common_passwords"], true);
    // Everything else as it was.
    assert_eq!(after["argon2_memory_kib"], before["argon2_memory_kib"]);
    assert_eq!(after["max_tokens_per_user"], before["max_tokens_per_user"]);
    assert_eq!(api.ok("GET", "/settings", json!({})), after);
    for bad in [
        json!({"min_password_length": 0}),
        json!({"min_password_length": 129}),
        json!({"min_password_length": "eight"}),
        json!({"refuse_common_passwords": "yes"}),
        json!({"max_tokens_per_user": 0}),
        json!({"min_pasword_length": 12}),
        json!({"min_password_length": 12, "lockout": true}),
    ] {
        let r = api.call("PATCH", "/settings", true, bad.clone());
        assert_eq!(r.status, 400, "{bad}: {r:?}");
        assert!(r.json()["error"].is_string());
    }
    assert_eq!(api.ok("GET", "/settings", json!({})), after);
}

#[test]
fn each_tenant_has_its_own_policy() {
    let api = start();
    api.ok("PUT", "/tenants", json!({"name": "strict", "argon2_memory_kib": 8, "argon2_iterations": 1, "allow_weak_hashing": true}));
    // A misspelt setting is refused, not ignored; nothing is created.
    let r = api.call(
        "PUT",
        "/tenants",
        true,
        json!({"name": "typo", "min_pasword_length": 12}),
    );
    assert_eq!(r.status, 400, "{r:?}");
    assert!(
        r.json()["error"]
            .as_str()
            .unwrap()
            .contains("min_pasword_length"),
        "{r:?}"
    );
    assert_eq!(
        api.call("GET", "/t/typo/settings", true, json!({})).status,
        404
    );
    // A new tenant gets the default policy; the default tenant keeps its own.
    let strict = api.ok("GET", "/t/strict/settings", json!({}));
    assert_eq!(
        (
            strict["min_password_length"].clone(),
            strict["refuse_common_passwords"].clone()
        ),
        (json!(8), json!(true))
    );
    let new = json!({"username": "ann", "password": "pw", "permissions": ""});
    api.refused("PUT", "/t/strict/new", new.clone(), "at least 8 characters");
    api.ok("PUT", "/new", new);
}

#[test]
fn every_route_that_sets_a_password_names_the_rule_broken_and_login_applies_none() {
    let api = start();
    // A password set before the policy tightens still logs in after.
    let id = api.ok(
        "PUT",
        "/new",
        json!({"username": "annabel", "password": "pw", "permissions": ""}),
    )["userid"]
        .clone();
    api.ok(
        "PATCH",
        "/settings",
        json!({"min_password_length": 8, "refuse_common_passwords": true}),
    );
    let login = api.call(
        "GET",
        "/login",
        false,
        json!({"username": "annabel", "password": "pw"}),
    );
    assert_eq!(login.status, 200, "{login:?}");

    let new = |p: &str| json!({"username": "bob", "password": p, "permissions": ""});
    api.refused("PUT", "/new", new("Xk7#qpz"), "at least 8 characters");
    api.refused("PUT", "/new", new("Password1"), "too common");
    api.refused(
        "PUT",
        "/new",
        new("my-BOB-password"),
        "contain the username",
    );
    api.refused("PUT", "/new", new(&"a".repeat(1025)), "at most 1024 bytes");
    // Nothing was created by the refusals.
    assert_eq!(
        api.ok("GET", "/getusers", json!({}))
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    let set = |p: &str| json!({"id": id, "password": p});
    api.refused("PATCH", "/setpass", set("iloveyou"), "too common");
    api.refused(
        "PATCH",
        "/setpass",
        set("Annabel.Lee.1849"),
        "contain the username",
    );
    api.ok("PATCH", "/setpass", set("plum-orbit-velvet"));

    let token = api.ok(
        "POST",
        "/one-time-tokens",
        json!({"id": id, "purpose": "reset-password"}),
    )["token"]
        .clone();
    let reset = |p: &str| json!({"token": token, "password": p});
    // A public route: the admin key it is sent with changes nothing.
    let path = "/one-time-tokens/reset-password";
    api.refused("POST", path, reset("qwertyuiop"), "too common");
    // The refusal left the token usable.
    api.ok("POST", path, reset("violet-harbor-quince"));
}
