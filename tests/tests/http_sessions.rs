//! The session routes end to end, through a real server: an administrator
//! lists and ends any user's sessions (`/sessions`, `/sessions/by-id`); the
//! holder of a token lists and ends their own (`/sessions/own`) and logs
//! out every other device (`/sessions/others`). Tokens never appear in a
//! listing, never travel in a URL, and no request is answered with a 5xx.

use moth_tests::api::Api;
use serde_json::{Value, json};

/// What these tests do as a user, on top of the shared harness.
trait Holder {
    /// A login with password `pw`; its token.
    fn login(&self, username: &str) -> String;
    /// Whether `token` validates.
    fn valid(&self, token: &str) -> bool;
}

impl Holder for Api {
    /// A login a second after the previous one, so that listings (oldest
    /// first) show sessions in login order.
    fn login(&self, username: &str) -> String {
        self.clock.advance(1);
        let r = self.send(
            "GET",
            "/login",
            None,
            json!({"username": username, "password": "pw"}),
        );
        assert_eq!(r.status, 200, "{r:?}");
        r.json()["token"].as_str().unwrap().to_owned()
    }

    fn valid(&self, token: &str) -> bool {
        self.holder("GET", "/validate", token, json!({})).status == 200
    }
}

/// ann (id 1) with three sessions, bob (id 2) with one.
fn two_users(api: &Api) -> (Vec<String>, String) {
    for name in ["ann", "bob"] {
        let r = api.admin(
            "PUT",
            "/new",
            json!({"username": name, "password": "pw", "permissions": ""}),
        );
        assert_eq!(r.status, 200, "{r:?}");
    }
    let anns = (0..3).map(|_| api.login("ann")).collect();
    (anns, api.login("bob"))
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_admin_lists_and_ends_any_users_sessions_and_listings_hold_no_token() {
    let api = Api::start();
    let (anns, bobs) = two_users(&api);
    let r = api.admin("GET", "/sessions", json!({"id": 1}));
    assert_eq!(r.status, 200, "{r:?}");
    let list = r.json();
    assert_eq!(ids(&list).len(), 3);
    for s in list.as_array().unwrap() {
        let mut keys: Vec<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["created", "device", "expires", "id", "source"],
            "{s}"
        );
        assert!(s["created"].is_u64() && s["expires"].as_u64() > s["created"].as_u64());
        // Where its login came from: this test's loopback connection, and
        // the id (never the credential) of the device it was given.
        assert_eq!(s["source"], "127.0.0.1", "{s}");
        let device = s["device"].as_str().unwrap();
        assert!(
            device.len() == 32 && device.bytes().all(|b| b.is_ascii_hexdigit()),
            "{s}"
        );
    }
    for t in anns.iter().chain([&bobs]) {
        assert!(
            !r.body.contains(t.as_str()),
            "a listing never shows a token"
        );
    }

    let victim = ids(&list)[1].clone();
    let r = api.admin(
        "DELETE",
        "/sessions/by-id",
        json!({"id": 1, "session": victim}),
    );
    assert_eq!((r.status, r.json()), (200, json!({"deleted": true})));
    assert_eq!(
        anns.iter().map(|t| api.valid(t)).collect::<Vec<_>>(),
        [true, false, true]
    );
    // Gone now; another user's id cannot name it; bad ids and users.
    let cases = [
        (
            json!({"id": 1, "session": victim}),
            401,
            "Token does not exist",
        ),
        (
            json!({"id": 2, "session": ids(&list)[0]}),
            401,
            "Token does not exist",
        ),
        (
            json!({"id": 1, "session": "xyz"}),
            400,
            "16 lower-case hex digits",
        ),
        (
            json!({"id": 9, "session": ids(&list)[0]}),
            401,
            "User does not exist",
        ),
        (json!({"id": 1}), 400, "Missing request parameters"),
    ];
    for (body, status, error) in cases {
        let r = api.admin("DELETE", "/sessions/by-id", body.clone());
        assert_eq!(r.status, status, "{body}: {r:?}");
        assert!(
            r.json()["error"].as_str().unwrap().contains(error),
            "{body}: {r:?}"
        );
    }
    assert!(api.valid(&anns[0]) && api.valid(&bobs));
    let r = api.admin("GET", "/sessions", json!({"id": 9}));
    assert_eq!(r.status, 401, "{r:?}");
    // Admin routes need the admin key.
    for (method, path) in [("GET", "/sessions"), ("DELETE", "/sessions/by-id")] {
        let r = api.send(
            method,
            path,
            None,
            json!({"id": 1, "session": ids(&list)[0]}),
        );
        assert_eq!(r.status, 401, "{method} {path}: {r:?}");
    }
}

#[test]
fn a_token_holder_sees_and_ends_their_own_sessions_only() {
    let api = Api::start();
    let (anns, bobs) = two_users(&api);
    let r = api.holder("GET", "/sessions/own", &anns[0], json!({}));
    assert_eq!(r.status, 200, "{r:?}");
    let own = ids(&r.json());
    assert_eq!(own.len(), 3);
    // bob cannot end ann's session with his own token.
    let r = api.holder("DELETE", "/sessions/own", &bobs, json!({"session": own[2]}));
    assert_eq!(r.status, 401, "{r:?}");
    assert!(api.valid(&anns[2]));
    let r = api.holder(
        "DELETE",
        "/sessions/own",
        &anns[0],
        json!({"session": own[2]}),
    );
    assert_eq!((r.status, r.json()), (200, json!({"deleted": true})));
    assert!(!api.valid(&anns[2]) && api.valid(&anns[0]));
    // Without a live token, nothing is listed or ended.
    for token in [anns[2].as_str(), "moth_nope"] {
        let r = api.holder("GET", "/sessions/own", token, json!({}));
        assert_eq!(r.status, 401, "{r:?}");
    }
    let r = api.send("GET", "/sessions/own", None, json!({}));
    assert_eq!(r.status, 400, "{r:?}");
    // The token never travels in a URL.
    let path = format!("/sessions/own?token={}", anns[0]);
    let r = api.send("GET", &path, None, json!({}));
    assert_eq!(r.status, 400, "{r:?}");
}

#[test]
fn logging_out_other_devices_keeps_the_callers_session_and_other_users() {
    let api = Api::start();
    let (anns, bobs) = two_users(&api);
    let r = api.holder("DELETE", "/sessions/others", &anns[1], json!({}));
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"deleted": true, "count": 2}))
    );
    assert_eq!(
        anns.iter().map(|t| api.valid(t)).collect::<Vec<_>>(),
        [false, true, false]
    );
    assert!(api.valid(&bobs));
    let r = api.holder("DELETE", "/sessions/others", &anns[1], json!({}));
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"deleted": false, "count": 0}))
    );
    let r = api.holder("DELETE", "/sessions/others", &anns[0], json!({}));
    assert_eq!(r.status, 401, "a dead token proves nothing: {r:?}");
    // Per tenant: the same routes under /t/{tenant} see that tenant only.
    let r = api.admin("PUT", "/tenants", json!({"name": "acme"}));
    assert_eq!(r.status, 200, "{r:?}");
    let r = api.holder("GET", "/t/acme/sessions/own", &anns[1], json!({}));
    assert_eq!(r.status, 401, "{r:?}");
}
