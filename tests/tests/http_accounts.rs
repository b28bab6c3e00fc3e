//! Account states over HTTP, through a real server: `GET` and `PATCH
//! /account-state` (admin); disabling revokes every session, API key and
//! one-time token at once; a disabled account answers a wrong password as
//! an enabled one does and a right one with 403 `Account disabled`; a
//! disabled-from time takes effect when it comes; no request gets a 5xx.

use moth_tests::Reply;
use moth_tests::api::Api;
use serde_json::{Value, json};

/// What these tests do as ann, on top of the shared harness.
trait Ann {
    /// ann's login with `password`.
    fn login(&self, password: &str) -> Reply;
    /// Whether `token` validates.
    fn valid(&self, token: &str) -> bool;
}

impl Ann for Api {
    fn login(&self, password: &str) -> Reply {
        self.send(
            "GET",
            "/login",
            None,
            json!({"username": "ann", "password": password}),
        )
    }

    fn valid(&self, token: &str) -> bool {
        let bearer = format!("Bearer {token}");
        self.send("GET", "/validate", Some(&bearer), json!({}))
            .status
            == 200
    }
}

/// ann (id 1) with a session, an API key and a one-time token.
fn ann(api: &Api) -> (String, String, String) {
    let r = api.admin(
        "PUT",
        "/new",
        json!({"username": "ann", "password": "pw", "permissions": ""}),
    );
    assert_eq!(r.status, 200, "{r:?}");
    let token = api.login("pw").json()["token"].as_str().unwrap().to_owned();
    let r = api.admin("POST", "/api-keys", json!({"user": 1, "name": "ci"}));
    assert_eq!(r.status, 201, "{r:?}");
    let key = r.json()["key"].as_str().unwrap().to_owned();
    let r = api.admin(
        "POST",
        "/one-time-tokens",
        json!({"id": 1, "purpose": "reset-password"}),
    );
    assert_eq!(r.status, 201, "{r:?}");
    let once = r.json()["token"].as_str().unwrap().to_owned();
    (token, key, once)
}

#[test]
fn disabling_revokes_everything_and_is_told_only_after_the_password() {
    let api = Api::start();
    let (token, key, once) = ann(&api);
    let r = api.admin("GET", "/account-state", json!({"id": 1}));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.json(),
        json!({"id": 1, "enabled": true, "disabled_from": null, "email_verified": false, "superuser": false})
    );

    let r = api.admin(
        "PATCH",
        "/account-state",
        json!({"id": 1, "enabled": false, "superuser": true}),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.json(),
        json!({"id": 1, "enabled": false, "disabled_from": null, "email_verified": false, "superuser": true})
    );
    assert!(!api.valid(&token), "the session died with the disabling");
    let r = api.send("POST", "/api-keys/verify", None, json!({"key": key}));
    assert_eq!(r.status, 401, "{r:?}");
    let r = api.send(
        "POST",
        "/one-time-tokens/reset-password",
        None,
        json!({"token": once, "password": "a new long password"}),
    );
    assert_eq!(r.status, 401, "the one-time token died too: {r:?}");

    // A wrong password: the same answer as for an enabled account.
    let r = api.login("wrong");
    assert_eq!(
        (r.status, r.json()),
        (401, json!({"error": "Invalid password"}))
    );
    // The right one: now the state may be told.
    let r = api.login("pw");
    assert_eq!(
        (r.status, r.json()),
        (403, json!({"error": "Account disabled"}))
    );
    let r = api.send(
        "GET",
        "/passvalid",
        None,
        json!({"username": "ann", "password": "pw"}),
    );
    assert_eq!(r.status, 403, "{r:?}");

    // Enabled again: nothing from before comes back; a new login works.
    let r = api.admin("PATCH", "/account-state", json!({"id": 1, "enabled": true}));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json()["superuser"], json!(true), "the other fields kept");
    assert!(!api.valid(&token));
    let r = api.send("POST", "/api-keys/verify", None, json!({"key": key}));
    assert_eq!(r.status, 401, "{r:?}");
    let fresh = api.login("pw");
    assert_eq!(fresh.status, 200, "{fresh:?}");

    // Both changes are in the event log.
    let r = api.admin("GET", "/events?user=1", json!({}));
    let kinds: Vec<Value> = r.json()["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].clone())
        .collect();
    assert!(kinds.contains(&json!("account-disabled")), "{kinds:?}");
    assert!(kinds.contains(&json!("account-enabled")), "{kinds:?}");
}

#[test]
fn a_disabled_from_time_takes_effect_when_it_comes_and_can_be_cancelled() {
    let api = Api::start();
    let (token, _, _) = ann(&api);
    let now = api.clock.secs();
    let r = api.admin(
        "PATCH",
        "/account-state",
        json!({"id": 1, "disabled_from": now + 60}),
    );
    assert_eq!(r.json()["disabled_from"], json!(now + 60), "{r:?}");
    assert!(api.valid(&token), "not before its time");
    api.clock.advance(60);
    assert!(!api.valid(&token), "from its time on");
    assert_eq!(api.login("pw").status, 403);

    // no_disabled_from cancels it (a JSON null would count as absent, as
    // everywhere in MOTH's API); the old session stays dead.
    let r = api.admin(
        "PATCH",
        "/account-state",
        json!({"id": 1, "disabled_from": null}),
    );
    assert_eq!(
        r.json()["disabled_from"],
        json!(now + 60),
        "null changes nothing"
    );
    let r = api.admin(
        "PATCH",
        "/account-state",
        json!({"id": 1, "no_disabled_from": true}),
    );
    assert_eq!(r.json()["disabled_from"], Value::Null, "{r:?}");
    assert!(!api.valid(&token));
    assert_eq!(api.login("pw").status, 200);
}

#[test]
fn bad_requests_are_refused_clearly() {
    let api = Api::start();
    ann(&api);
    for (method, path, body, status) in [
        ("GET", "/account-state", json!({"id": 9}), 401),
        (
            "PATCH",
            "/account-state",
            json!({"id": 9, "enabled": false}),
            401,
        ),
        ("PATCH", "/account-state", json!({"enabled": false}), 400),
        (
            "PATCH",
            "/account-state",
            json!({"id": 1, "enabled": "no"}),
            400,
        ),
        (
            "PATCH",
            "/account-state",
            json!({"id": 1, "disabled_from": -1}),
            400,
        ),
        (
            "PATCH",
            "/account-state",
            json!({"id": 1, "admin": true}),
            400,
        ),
        (
            "PATCH",
            "/account-state",
            json!({"id": 1, "disabled_from": 5, "no_disabled_from": true}),
            400,
        ),
        ("GET", "/account-state", json!({}), 400),
    ] {
        let r = api.admin(method, path, body.clone());
        assert_eq!(r.status, status, "{method} {path} {body}: {r:?}");
        assert!(r.json()["error"].is_string(), "{r:?}");
    }
    // Admin only.
    let r = api.send("GET", "/account-state", None, json!({"id": 1}));
    assert_eq!(r.status, 401, "{r:?}");
    let r = api.send(
        "PATCH",
        "/account-state",
        None,
        json!({"id": 1, "enabled": false}),
    );
    assert_eq!(r.status, 401, "{r:?}");
    assert_eq!(api.login("pw").status, 200, "nothing was changed");
}
