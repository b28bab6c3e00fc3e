//! The credential routes end to end — email tokens, API keys, one-time
//! tokens — through a real server on an ephemeral loopback port: every
//! success shape and status, every documented error, bad input, the admin
//! key, secrets kept out of URLs, and tenants kept apart. No request in
//! this file may be answered with a 5xx.

use std::sync::Arc;

use moth::ManualClock;
use moth::server::{self, ServerConfig, ServerHandle};
use moth_tests::{Reply, http, open};
use serde_json::{Value, json};

const ADMIN: &str = "an-admin-key-of-some-length";

/// A running server, its clock, and the admin key it was given.
struct Api {
    h: ServerHandle,
    clock: Arc<ManualClock>,
    admin: Option<String>,
    _dir: tempfile::TempDir,
}

fn start(admin_key: Option<&str>) -> Api {
    let dir = tempfile::tempdir().unwrap();
    let (moth, clock) = open(dir.path());
    let config = ServerConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        admin_key: admin_key.map(str::to_owned),
        ..ServerConfig::default()
    };
    Api {
        h: server::spawn(moth, config).unwrap(),
        clock,
        admin: admin_key.map(|k| format!("Bearer {k}")),
        _dir: dir,
    }
}

impl Api {
    /// Any request; a 5xx fails the test.
    fn raw(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
        let r = http(self.h.addr(), method, path, headers, body);
        assert!(
            r.status < 500,
            "{method} {path} with {body:?} answered 5xx: {r:?}"
        );
        r
    }

    /// A JSON request without credentials.
    fn public(&self, method: &str, path: &str, body: Value) -> Reply {
        self.raw(
            method,
            path,
            &[("Content-Type", "application/json")],
            &body.to_string(),
        )
    }

    /// A JSON request with `Authorization: <auth>`.
    fn with_auth(&self, auth: &str, method: &str, path: &str, body: Value) -> Reply {
        self.raw(
            method,
            path,
            &[
                ("Content-Type", "application/json"),
                ("Authorization", auth),
            ],
            &body.to_string(),
        )
    }

    /// A JSON request with the admin key, when the server has one.
    fn admin(&self, method: &str, path: &str, body: Value) -> Reply {
        match &self.admin {
            Some(a) => self.with_auth(a, method, path, body),
            None => self.public(method, path, body),
        }
    }

    /// A request with the admin key (when set) and no body.
    fn admin_get(&self, path: &str) -> Reply {
        match &self.admin {
            Some(a) => self.raw("GET", path, &[("Authorization", a)], ""),
            None => self.raw("GET", path, &[], ""),
        }
    }

    fn now(&self) -> u64 {
        self.clock.secs()
    }

    fn new_user(&self, prefix: &str, username: &str, password: &str) -> u64 {
        let r = self.admin(
            "PUT",
            &format!("{prefix}/new"),
            json!({"username": username, "password": password, "permissions": "perm"}),
        );
        assert_eq!(r.status, 200, "{r:?}");
        r.json()["userid"].as_u64().unwrap()
    }
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect()
}

fn assert_error(r: &Reply, status: u16, message: &str) {
    assert_eq!(r.status, status, "{r:?}");
    assert_eq!(r.json(), json!({ "error": message }), "{r:?}");
}

/// A 400 whose message starts with "Invalid request parameters".
fn assert_invalid(r: &Reply) {
    assert_eq!(r.status, 400, "{r:?}");
    let v = r.json();
    let msg = v["error"].as_str().unwrap_or_default();
    assert!(msg.starts_with("Invalid request parameters"), "{r:?}");
}

fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_owned()
}

fn is_public_id(id: &str) -> bool {
    id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

// ---------------------------------------------------------------------------
// Email tokens

/// `POST /email-tokens` (admin) as JSON, asserted 201.
fn email_token(api: &Api, prefix: &str, body: Value) -> Value {
    let r = api.admin("POST", &format!("{prefix}/email-tokens"), body);
    assert_eq!(r.status, 201, "{r:?}");
    r.json()
}

#[test]
fn email_tokens_every_route_with_its_shape() {
    let api = start(Some(ADMIN));
    let now = api.now();

    let t1 = email_token(
        &api,
        "",
        json!({"address": "a@x", "retval": "r1", "uses": 2}),
    );
    assert_eq!(keys(&t1), ["token", "id", "expires"]);
    assert!(s(&t1["token"]).starts_with("mothe_"), "{t1}");
    assert!(is_public_id(&s(&t1["id"])), "{t1}");
    assert_eq!(
        t1["expires"],
        json!(now + 900),
        "default lifetime 15 minutes"
    );
    let t2 = email_token(&api, "", json!({"address": "a@x", "lifetime": 60}));
    assert_eq!(t2["expires"], json!(now + 60));
    assert_ne!(t1["token"], t2["token"]);
    assert_ne!(t1["id"], t2["id"]);

    // The listing: metadata only, oldest first.
    let r = api.admin_get("/email-tokens?address=a%40x");
    assert_eq!(r.status, 200, "{r:?}");
    let list = r.json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2, "{list:?}");
    for item in list {
        assert_eq!(keys(item), ["id", "ip", "created", "expires", "uses_left"]);
        assert_eq!(item["created"], json!(now));
        assert_eq!(item["ip"], Value::Null);
    }
    let ids: Vec<_> = list.iter().map(|i| i["id"].clone()).collect();
    assert!(
        ids.contains(&t1["id"]) && ids.contains(&t2["id"]),
        "{ids:?}"
    );
    let of = |id: &Value| list.iter().find(|i| &i["id"] == id).unwrap().clone();
    assert_eq!(of(&t1["id"])["uses_left"], 2);
    assert_eq!(of(&t2["id"])["uses_left"], 1);
    assert!(!r.body.contains(&s(&t1["token"])), "no secret in a listing");
    assert!(!r.body.contains(&s(&t2["token"])));
    assert!(!r.body.contains("r1"), "no retval in a listing");
    // The listing also takes a JSON body.
    let r = api.admin("GET", "/email-tokens", json!({"address": "a@x"}));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json().as_array().unwrap().len(), 2);
    assert_eq!(
        api.admin_get("/email-tokens?address=nobody%40x").json(),
        json!([])
    );

    // Auth returns the token's own retval, and uses it up once.
    let auth = |body: Value| api.public("POST", "/email-tokens/auth", body);
    let r = auth(json!({"address": "a@x", "token": t1["token"]}));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(keys(&r.json()), ["authenticated", "retval"]);
    assert_eq!(r.json(), json!({"authenticated": true, "retval": "r1"}));
    let left = api.admin_get("/email-tokens?address=a%40x").json();
    let left = left
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == t1["id"])
        .cloned();
    assert_eq!(left.unwrap()["uses_left"], 1);

    // A token without a retval: null. By bearer, without a body.
    let bearer = format!("Bearer {}", s(&t2["token"]));
    let r = api.with_auth(
        &bearer,
        "POST",
        "/email-tokens/auth",
        json!({"address": "a@x"}),
    );
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"authenticated": true, "retval": null})),
        "{r:?}"
    );
    // Single use: the second auth finds nothing.
    assert_error(
        &auth(json!({"address": "a@x", "token": t2["token"]})),
        401,
        "Token does not exist",
    );

    // The retval can be replaced (admin) and is then what auth returns.
    let r = api.admin(
        "PATCH",
        "/email-tokens/retval",
        json!({"address": "a@x", "token": t1["token"], "retval": "r2"}),
    );
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"updated": true})),
        "{r:?}"
    );
    assert_eq!(
        auth(json!({"address": "a@x", "token": t1["token"]})).json(),
        json!({"authenticated": true, "retval": "r2"})
    );
    // Two uses, both spent: gone.
    assert_error(
        &auth(json!({"address": "a@x", "token": t1["token"]})),
        401,
        "Token does not exist",
    );
    assert_error(
        &api.admin(
            "PATCH",
            "/email-tokens/retval",
            json!({"address": "a@x", "token": t1["token"], "retval": "r3"}),
        ),
        401,
        "Token does not exist",
    );

    // A null retval removes it.
    let t6 = email_token(
        &api,
        "",
        json!({"address": "a@x", "retval": "six", "uses": 2}),
    );
    let r = api.admin(
        "PATCH",
        "/email-tokens/retval",
        json!({"address": "a@x", "token": t6["token"], "retval": null}),
    );
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"updated": true})),
        "{r:?}"
    );
    assert_eq!(
        auth(json!({"address": "a@x", "token": t6["token"]})).json(),
        json!({"authenticated": true, "retval": null})
    );
    // An empty retval is a retval, not none.
    let r = api.admin(
        "PATCH",
        "/email-tokens/retval",
        json!({"address": "a@x", "token": t6["token"], "retval": ""}),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        auth(json!({"address": "a@x", "token": t6["token"]})).json(),
        json!({"authenticated": true, "retval": ""})
    );

    // Each token carries its own retval.
    let t7 = email_token(&api, "", json!({"address": "a@x", "retval": "seven"}));
    let t8 = email_token(&api, "", json!({"address": "a@x", "retval": "eight"}));
    assert_eq!(
        auth(json!({"address": "a@x", "token": t8["token"]})).json()["retval"],
        "eight"
    );
    assert_eq!(
        auth(json!({"address": "a@x", "token": t7["token"]})).json()["retval"],
        "seven"
    );

    // Another address's token is refused and left alone.
    let t9 = email_token(&api, "", json!({"address": "a@x", "retval": "nine"}));
    assert_error(
        &auth(json!({"address": "b@x", "token": t9["token"]})),
        401,
        "Token does not exist",
    );
    assert_error(
        &api.public(
            "DELETE",
            "/email-tokens/token",
            json!({"address": "b@x", "token": t9["token"]}),
        ),
        401,
        "Token does not exist",
    );

    // Delete one token by its secret (public).
    let r = api.public(
        "DELETE",
        "/email-tokens/token",
        json!({"address": "a@x", "token": t9["token"]}),
    );
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"deleted": true})),
        "{r:?}"
    );
    assert_error(
        &api.public(
            "DELETE",
            "/email-tokens/token",
            json!({"address": "a@x", "token": t9["token"]}),
        ),
        401,
        "Token does not exist",
    );
    assert_error(
        &auth(json!({"address": "a@x", "token": t9["token"]})),
        401,
        "Token does not exist",
    );
    // … or by bearer.
    let t10 = email_token(&api, "", json!({"address": "a@x"}));
    let bearer = format!("Bearer {}", s(&t10["token"]));
    let r = api.with_auth(
        &bearer,
        "DELETE",
        "/email-tokens/token",
        json!({"address": "a@x"}),
    );
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"deleted": true})),
        "{r:?}"
    );

    // Revoke by public id (admin).
    let t4 = email_token(&api, "", json!({"address": "c@x"}));
    let t5 = email_token(&api, "", json!({"address": "c@x"}));
    let r = api.admin(
        "DELETE",
        "/email-tokens/by-id",
        json!({"address": "c@x", "id": t4["id"]}),
    );
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"deleted": true})),
        "{r:?}"
    );
    assert_error(
        &auth(json!({"address": "c@x", "token": t4["token"]})),
        401,
        "Token does not exist",
    );
    assert_error(
        &api.admin(
            "DELETE",
            "/email-tokens/by-id",
            json!({"address": "c@x", "id": t4["id"]}),
        ),
        401,
        "Token does not exist",
    );
    // An id of another address, or no id at all.
    assert_error(
        &api.admin(
            "DELETE",
            "/email-tokens/by-id",
            json!({"address": "a@x", "id": t5["id"]}),
        ),
        401,
        "Token does not exist",
    );
    assert_error(
        &api.admin(
            "DELETE",
            "/email-tokens/by-id",
            json!({"address": "c@x", "id": "not-an-id"}),
        ),
        401,
        "Token does not exist",
    );
    let listed = api.admin_get("/email-tokens?address=c%40x").json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["id"], t5["id"]);

    // Remove the whole address (admin).
    email_token(&api, "", json!({"address": "c@x"}));
    let r = api.admin(
        "DELETE",
        "/email-tokens/by-address",
        json!({"address": "c@x"}),
    );
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"deleted": true, "count": 2})),
        "{r:?}"
    );
    assert_eq!(keys(&r.json()), ["deleted", "count"]);
    assert_error(
        &auth(json!({"address": "c@x", "token": t5["token"]})),
        401,
        "Token does not exist",
    );
    let r = api.admin(
        "DELETE",
        "/email-tokens/by-address",
        json!({"address": "c@x"}),
    );
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"deleted": false, "count": 0}))
    );
    assert_eq!(
        api.admin_get("/email-tokens?address=c%40x").json(),
        json!([])
    );

    // Missing parameters.
    // (Public routes are sent without the admin key: they would take it
    // as the token.)
    for (admin, method, path, body) in [
        (true, "POST", "/email-tokens", json!({})),
        (
            false,
            "POST",
            "/email-tokens/auth",
            json!({"address": "a@x"}),
        ),
        (
            false,
            "POST",
            "/email-tokens/auth",
            json!({"token": t7["token"]}),
        ),
        (
            true,
            "PATCH",
            "/email-tokens/retval",
            json!({"address": "a@x"}),
        ),
        (
            false,
            "DELETE",
            "/email-tokens/token",
            json!({"address": "a@x"}),
        ),
        (true, "GET", "/email-tokens", json!({})),
        (
            true,
            "DELETE",
            "/email-tokens/by-id",
            json!({"address": "a@x"}),
        ),
        (true, "DELETE", "/email-tokens/by-address", json!({})),
    ] {
        let r = if admin {
            api.admin(method, path, body)
        } else {
            api.public(method, path, body)
        };
        assert_error(&r, 400, "Missing request parameters");
    }
}

#[test]
fn email_tokens_bound_to_an_ip_or_expired_die_on_first_refusal() {
    let api = start(None);
    let auth = |body: Value| api.public("POST", "/email-tokens/auth", body);

    // Bound to an IP: another IP is refused, and the token is gone.
    let t = email_token(
        &api,
        "",
        json!({"address": "a@x", "ip": "10.0.0.1", "uses": 5}),
    );
    let listed = api.admin_get("/email-tokens?address=a%40x").json();
    assert_eq!(listed[0]["ip"], "10.0.0.1");
    assert_error(
        &auth(json!({"address": "a@x", "token": t["token"], "ip": "10.0.0.2"})),
        401,
        "Token bound to another IP address",
    );
    assert_error(
        &auth(json!({"address": "a@x", "token": t["token"], "ip": "10.0.0.1"})),
        401,
        "Token does not exist",
    );
    // No ip at all is another IP too.
    let t = email_token(&api, "", json!({"address": "a@x", "ip": "10.0.0.1"}));
    assert_error(
        &auth(json!({"address": "a@x", "token": t["token"]})),
        401,
        "Token bound to another IP address",
    );
    assert_error(
        &auth(json!({"address": "a@x", "token": t["token"], "ip": "10.0.0.1"})),
        401,
        "Token does not exist",
    );
    // The right IP, in any spelling of it, passes.
    let t = email_token(
        &api,
        "",
        json!({"address": "a@x", "ip": "10.0.0.1", "uses": 2, "retval": "ok"}),
    );
    assert_eq!(
        auth(json!({"address": "a@x", "token": t["token"], "ip": "10.0.0.1"})).json(),
        json!({"authenticated": true, "retval": "ok"})
    );
    let r = auth(json!({"address": "a@x", "token": t["token"], "ip": "::ffff:10.0.0.1"}));
    assert_eq!(
        r.status, 200,
        "an IPv4-mapped IPv6 address is the IPv4 address: {r:?}"
    );
    // Bound to a mapped address: listed in canonical form.
    let t = email_token(&api, "", json!({"address": "m@x", "ip": "::ffff:10.0.0.3"}));
    assert_eq!(
        api.admin_get("/email-tokens?address=m%40x").json()[0]["ip"],
        "10.0.0.3"
    );
    assert_eq!(
        auth(json!({"address": "m@x", "token": t["token"], "ip": "10.0.0.3"})).status,
        200
    );
    let t = email_token(&api, "", json!({"address": "v6@x", "ip": "2001:DB8:0::1"}));
    assert_eq!(
        api.admin_get("/email-tokens?address=v6%40x").json()[0]["ip"],
        "2001:db8::1"
    );
    assert_eq!(
        auth(json!({"address": "v6@x", "token": t["token"], "ip": "2001:db8::1"})).status,
        200
    );
    // An unbound token accepts any IP; a non-IP is a 400 and uses nothing.
    let t = email_token(&api, "", json!({"address": "u@x"}));
    assert_invalid(&auth(
        json!({"address": "u@x", "token": t["token"], "ip": "not-an-ip"}),
    ));
    assert_eq!(
        auth(json!({"address": "u@x", "token": t["token"], "ip": "192.0.2.7"})).status,
        200
    );
    assert_invalid(&api.admin(
        "POST",
        "/email-tokens",
        json!({"address": "u@x", "ip": "10.0.0.256"}),
    ));

    // Expiry: alive until its last second, then "Token expired" once.
    let t = email_token(
        &api,
        "",
        json!({"address": "e@x", "lifetime": 60, "uses": 3}),
    );
    api.clock.advance(59);
    assert_eq!(
        auth(json!({"address": "e@x", "token": t["token"]})).status,
        200
    );
    assert_eq!(
        api.admin_get("/email-tokens?address=e%40x")
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    api.clock.advance(1);
    assert_eq!(
        api.admin_get("/email-tokens?address=e%40x").json(),
        json!([]),
        "expired tokens are not listed"
    );
    assert_error(
        &api.admin(
            "PATCH",
            "/email-tokens/retval",
            json!({"address": "e@x", "token": t["token"], "retval": "late"}),
        ),
        401,
        "Token does not exist",
    );
    assert_error(
        &auth(json!({"address": "e@x", "token": t["token"]})),
        401,
        "Token expired",
    );
    assert_error(
        &auth(json!({"address": "e@x", "token": t["token"]})),
        401,
        "Token does not exist",
    );
    // Expiry is checked before the IP.
    let t = email_token(
        &api,
        "",
        json!({"address": "e@x", "lifetime": 5, "ip": "10.0.0.1"}),
    );
    api.clock.advance(5);
    assert_error(
        &auth(json!({"address": "e@x", "token": t["token"], "ip": "10.9.9.9"})),
        401,
        "Token expired",
    );
}

#[test]
fn email_tokens_refuse_injection_wrong_types_and_secrets_in_urls() {
    let api = start(None);
    let t = email_token(&api, "", json!({"address": "a@x", "retval": "r"}));
    let token = s(&t["token"]);
    let auth = |body: Value| api.public("POST", "/email-tokens/auth", body);

    for body in [
        json!({"address": "a@x", "token": {"$ne": ""}}),
        json!({"address": "a@x", "token": {"$gt": ""}}),
        json!({"address": "a@x", "token": [token]}),
        json!({"address": "a@x", "token": 5}),
        json!({"address": "a@x", "token": true}),
        json!({"address": {"$ne": ""}, "token": token}),
        json!({"address": ["a@x"], "token": token}),
        json!({"address": 1, "token": token}),
        json!({"address": "a@x", "token": token, "ip": {"$ne": ""}}),
        json!({"address": "a@x", "token": token, "ip": 167772161}),
        json!({"address": "a@x", "token": token, "ip": ["10.0.0.1"]}),
    ] {
        assert_invalid(&auth(body));
    }
    for body in [
        r#"{"address":"a@x","token":"x","token":"y"}"#,
        r#"["a@x","x"]"#,
        r#"{"address":"a@x","token":"#,
        "address=a@x",
    ] {
        assert_invalid(&api.raw(
            "POST",
            "/email-tokens/auth",
            &[("Content-Type", "application/json")],
            body,
        ));
    }
    // Malformed or unknown tokens are simply not tokens.
    for bad in [
        String::new(),
        "mothe_".into(),
        "moth_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA123456".into(),
        format!("{token}x"),
        token.to_uppercase(),
        "é".repeat(100),
        "x".repeat(50_000),
        "' OR '1'='1".into(),
    ] {
        assert_error(
            &auth(json!({"address": "a@x", "token": bad})),
            401,
            "Token does not exist",
        );
    }
    // An Authorization header that is not a bearer token.
    assert_invalid(&api.with_auth(
        "Basic YTpi",
        "POST",
        "/email-tokens/auth",
        json!({"address": "a@x"}),
    ));

    // Secrets never travel in URLs: any query parameter is refused, on
    // every route that takes a secret, whether the body is empty or not.
    let q = format!("token={token}&address=a%40x");
    assert_invalid(&api.raw("POST", &format!("/email-tokens/auth?{q}"), &[], ""));
    assert_invalid(&api.raw(
        "POST",
        &format!("/email-tokens/auth?token={token}"),
        &[],
        r#"{"address":"a@x"}"#,
    ));
    assert_invalid(&api.raw(
        "POST",
        "/email-tokens/auth?x=1",
        &[],
        &json!({"address": "a@x", "token": token}).to_string(),
    ));
    assert_invalid(&api.raw("DELETE", &format!("/email-tokens/token?{q}"), &[], ""));
    assert_invalid(&api.raw(
        "PATCH",
        &format!("/email-tokens/retval?{q}&retval=z"),
        &[],
        "",
    ));
    assert_invalid(&api.raw("POST", "/email-tokens?address=a%40x", &[], ""));

    // Bad values on creation.
    for body in [
        json!({"address": ""}),
        json!({"address": "a".repeat(321)}),
        json!({"address": "a\nb"}),
        json!({"address": "a\u{0}b"}),
        json!({"address": "a@x", "uses": 0}),
        json!({"address": "a@x", "uses": 1001}),
        json!({"address": "a@x", "uses": -1}),
        json!({"address": "a@x", "uses": 4294967296u64}),
        json!({"address": "a@x", "uses": "2"}),
        json!({"address": "a@x", "lifetime": 0}),
        json!({"address": "a@x", "lifetime": 2592001}),
        json!({"address": "a@x", "lifetime": u64::MAX}),
        json!({"address": "a@x", "lifetime": 1.5}),
        json!({"address": "a@x", "retval": "r".repeat(4097)}),
        json!({"address": "a@x", "retval": {"a": 1}}),
        json!({"address": "a@x", "ip": ""}),
    ] {
        assert_invalid(&api.admin("POST", "/email-tokens", body));
    }
    // The limits themselves are fine.
    let edge = email_token(
        &api,
        "",
        json!({"address": "a".repeat(320), "uses": 1000, "lifetime": 2592000, "retval": "r".repeat(4096)}),
    );
    assert_eq!(edge["expires"], json!(api.now() + 2592000));
    assert_invalid(&api.admin(
        "PATCH",
        "/email-tokens/retval",
        json!({"address": "a@x", "token": token, "retval": "r".repeat(4097)}),
    ));
    // Listing and removal check the address too.
    assert_invalid(&api.admin_get("/email-tokens?address="));
    assert_invalid(&api.admin_get("/email-tokens?address=a%00b"));
    assert_invalid(&api.admin_get("/email-tokens?address=%FF"));
    assert_invalid(&api.admin("DELETE", "/email-tokens/by-address", json!({"address": ""})));
    assert_invalid(&api.admin(
        "DELETE",
        "/email-tokens/by-address",
        json!({"address": ["a@x"]}),
    ));

    // After all of that, the one real token is untouched and works once.
    assert_eq!(
        api.admin_get("/email-tokens?address=a%40x").json()[0]["uses_left"],
        1
    );
    assert_eq!(
        auth(json!({"address": "a@x", "token": token})).json(),
        json!({"authenticated": true, "retval": "r"})
    );
}

// ---------------------------------------------------------------------------
// API keys

/// `POST /api-keys` (admin) as JSON, asserted 201.
fn api_key(api: &Api, prefix: &str, body: Value) -> Value {
    let r = api.admin("POST", &format!("{prefix}/api-keys"), body);
    assert_eq!(r.status, 201, "{r:?}");
    r.json()
}

const KEY_FIELDS: [&str; 8] = [
    "key",
    "id",
    "owner",
    "name",
    "scopes",
    "created",
    "expires",
    "last_used",
];
const META_FIELDS: [&str; 7] = [
    "id",
    "owner",
    "name",
    "scopes",
    "created",
    "expires",
    "last_used",
];

fn verify(api: &Api, prefix: &str, key: &Value) -> Reply {
    api.public(
        "POST",
        &format!("{prefix}/api-keys/verify"),
        json!({ "key": key }),
    )
}

#[test]
fn api_keys_every_route_with_its_shape() {
    let api = start(Some(ADMIN));
    let now = api.now();
    let ann = api.new_user("", "ann", "pw");

    let k = api_key(
        &api,
        "",
        json!({"user": ann, "name": "laptop", "scopes": "read write"}),
    );
    assert_eq!(keys(&k), KEY_FIELDS);
    assert!(s(&k["key"]).starts_with("mothk_"), "{k}");
    assert!(is_public_id(&s(&k["id"])), "{k}");
    assert_eq!(k["owner"], json!({"user": ann}));
    assert_eq!(k["name"], "laptop");
    assert_eq!(k["scopes"], "read write");
    assert_eq!(k["created"], json!(now));
    assert_eq!(k["expires"], Value::Null, "no lifetime: until revoked");
    assert_eq!(k["last_used"], Value::Null);

    let svc = api_key(
        &api,
        "",
        json!({"service": "ci", "name": "deploy", "lifetime": 3600}),
    );
    assert_eq!(keys(&svc), KEY_FIELDS);
    assert_eq!(svc["owner"], json!({"service": "ci"}));
    assert_eq!(svc["scopes"], "");
    assert_eq!(svc["expires"], json!(now + 3600));

    // Verify by body, without the admin key: metadata, never the key.
    api.clock.advance(10);
    let r = verify(&api, "", &k["key"]);
    assert_eq!(r.status, 200, "{r:?}");
    let info = r.json();
    assert_eq!(keys(&info), META_FIELDS);
    assert!(!r.body.contains(&s(&k["key"])));
    assert_eq!(info["id"], k["id"]);
    assert_eq!(info["owner"], json!({"user": ann}));
    assert_eq!(info["last_used"], json!(now + 10));
    // By bearer.
    let bearer = format!("Bearer {}", s(&svc["key"]));
    let r = api.raw(
        "POST",
        "/api-keys/verify",
        &[("Authorization", &bearer)],
        "",
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json()["name"], "deploy");
    assert_eq!(r.json()["owner"], json!({"service": "ci"}));

    // Names are unique per owner, not across owners.
    assert_error(
        &api.admin("POST", "/api-keys", json!({"user": ann, "name": "laptop"})),
        409,
        "Name already taken",
    );
    assert_error(
        &api.admin(
            "POST",
            "/api-keys",
            json!({"service": "ci", "name": "deploy"}),
        ),
        409,
        "Name already taken",
    );
    let other = api_key(&api, "", json!({"service": "ci", "name": "laptop"}));
    api_key(&api, "", json!({"service": "cd", "name": "deploy"}));

    // Listing, in creation order, metadata only.
    let r = api.admin_get("/api-keys?service=ci");
    assert_eq!(r.status, 200, "{r:?}");
    let list = r.json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(keys(&list[0]), META_FIELDS);
    assert_eq!(list[0]["id"], svc["id"]);
    assert_eq!(list[1]["id"], other["id"]);
    assert!(
        !r.body.contains("mothk_"),
        "no secret in a listing: {}",
        r.body
    );
    let r = api.admin_get(&format!("/api-keys?user={ann}"));
    assert_eq!(r.json().as_array().unwrap().len(), 1);
    assert_eq!(r.json()[0]["last_used"], json!(now + 10));
    let r = api.admin("GET", "/api-keys", json!({"user": ann}));
    assert_eq!(
        r.json().as_array().unwrap().len(),
        1,
        "a JSON body works too"
    );
    assert_eq!(api.admin_get("/api-keys?service=nobody").json(), json!([]));

    // Unknown users.
    assert_error(
        &api.admin("POST", "/api-keys", json!({"user": 99, "name": "x"})),
        401,
        "User does not exist",
    );
    assert_error(
        &api.admin_get("/api-keys?user=99"),
        401,
        "User does not exist",
    );
    assert_error(
        &api.admin("DELETE", "/api-keys/by-owner", json!({"user": 99})),
        401,
        "User does not exist",
    );

    // Revoke by id.
    let r = api.admin("DELETE", "/api-keys/by-id", json!({"id": other["id"]}));
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"deleted": true})),
        "{r:?}"
    );
    assert_error(
        &verify(&api, "", &other["key"]),
        401,
        "Token does not exist",
    );
    assert_error(
        &api.admin("DELETE", "/api-keys/by-id", json!({"id": other["id"]})),
        401,
        "Token does not exist",
    );
    assert_error(
        &api.admin(
            "DELETE",
            "/api-keys/by-id",
            json!({"id": "0123456789abcdef"}),
        ),
        401,
        "Token does not exist",
    );
    assert_error(
        &api.admin(
            "DELETE",
            "/api-keys/by-id",
            json!({"id": "../../etc/passwd"}),
        ),
        401,
        "Token does not exist",
    );
    // Its name is free again.
    api_key(&api, "", json!({"service": "ci", "name": "laptop"}));

    // Revoke every key of an owner.
    let r = api.admin("DELETE", "/api-keys/by-owner", json!({"service": "ci"}));
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"deleted": true, "count": 2})),
        "{r:?}"
    );
    assert_error(&verify(&api, "", &svc["key"]), 401, "Token does not exist");
    let r = api.admin("DELETE", "/api-keys/by-owner", json!({"service": "ci"}));
    assert_eq!(r.json(), json!({"deleted": false, "count": 0}));
    assert_eq!(api.admin_get("/api-keys?service=ci").json(), json!([]));
    let r = api.admin("DELETE", "/api-keys/by-owner", json!({"user": ann}));
    assert_eq!(r.json(), json!({"deleted": true, "count": 1}));
    assert_error(&verify(&api, "", &k["key"]), 401, "Token does not exist");
    assert_eq!(
        verify(
            &api,
            "",
            &api_key(&api, "", json!({"service": "cd", "name": "other"}))["key"]
        )
        .status,
        200,
        "other owners keep theirs"
    );

    // Expiry.
    let short = api_key(
        &api,
        "",
        json!({"service": "tmp", "name": "short", "lifetime": 10}),
    );
    api.clock.advance(9);
    assert_eq!(verify(&api, "", &short["key"]).status, 200);
    api.clock.advance(1);
    assert_eq!(api.admin_get("/api-keys?service=tmp").json(), json!([]));
    assert_error(&verify(&api, "", &short["key"]), 401, "Token expired");
    assert_error(
        &verify(&api, "", &short["key"]),
        401,
        "Token does not exist",
    );

    // Missing and conflicting owners.
    for (admin, method, path, body) in [
        (true, "POST", "/api-keys", json!({"name": "x"})),
        (true, "POST", "/api-keys", json!({"service": "ci"})),
        (false, "POST", "/api-keys/verify", json!({})),
        (true, "GET", "/api-keys", json!({})),
        (true, "DELETE", "/api-keys/by-id", json!({})),
        (true, "DELETE", "/api-keys/by-owner", json!({})),
        (false, "POST", "/api-keys/rotate", json!({"overlap": 5})),
        (true, "POST", "/api-keys/rotate", json!({"overlap": 5})),
    ] {
        let r = if admin {
            api.admin(method, path, body)
        } else {
            api.public(method, path, body)
        };
        assert_error(&r, 400, "Missing request parameters");
    }
    assert_invalid(&api.admin(
        "POST",
        "/api-keys",
        json!({"user": ann, "service": "ci", "name": "x"}),
    ));
    assert_invalid(&api.admin_get(&format!("/api-keys?user={ann}&service=ci")));
    assert_invalid(&api.admin(
        "DELETE",
        "/api-keys/by-owner",
        json!({"user": ann, "service": "ci"}),
    ));
}

#[test]
fn api_key_rotation_by_the_key_itself_or_by_the_admin_key() {
    let api = start(Some(ADMIN));
    let rotate = |body: Value| api.public("POST", "/api-keys/rotate", body);
    let k1 = api_key(
        &api,
        "",
        json!({"service": "ci", "name": "deploy", "scopes": "s", "lifetime": 3600}),
    );

    // Proof by the current key: no admin header needed.
    api.clock.advance(100);
    let r = rotate(json!({"key": k1["key"]}));
    assert_eq!(r.status, 200, "{r:?}");
    let k2 = r.json();
    assert_eq!(keys(&k2), KEY_FIELDS);
    assert_ne!(k2["key"], k1["key"]);
    assert_ne!(k2["id"], k1["id"]);
    assert_eq!(
        (&k2["owner"], &k2["name"], &k2["scopes"]),
        (&k1["owner"], &k1["name"], &k1["scopes"])
    );
    assert_eq!(k2["created"], json!(api.now()));
    assert_eq!(
        k2["expires"],
        json!(api.now() + 3600),
        "the same lifetime, from now"
    );
    assert_eq!(k2["last_used"], Value::Null);
    // Overlap 0 (the default): the old key is dead at once.
    assert_error(&verify(&api, "", &k1["key"]), 401, "Token does not exist");
    assert_eq!(verify(&api, "", &k2["key"]).status, 200);
    assert_error(
        &rotate(json!({"key": k1["key"]})),
        401,
        "Token does not exist",
    );

    // By id: the admin key is needed.
    assert_error(&rotate(json!({"id": k2["id"]})), 401, "Admin key required");
    assert_error(
        &api.with_auth(
            "Bearer wrong-key-wrong-key",
            "POST",
            "/api-keys/rotate",
            json!({"id": k2["id"]}),
        ),
        401,
        "Admin key required",
    );
    // Nor is an API key an admin key.
    assert_error(
        &api.with_auth(
            &format!("Bearer {}", s(&k2["key"])),
            "POST",
            "/api-keys/rotate",
            json!({"id": k2["id"]}),
        ),
        401,
        "Admin key required",
    );
    assert_eq!(
        verify(&api, "", &k2["key"]).status,
        200,
        "refusals changed nothing"
    );
    let r = api.admin("POST", "/api-keys/rotate", json!({"id": k2["id"]}));
    assert_eq!(r.status, 200, "{r:?}");
    let k3 = r.json();
    assert_eq!(keys(&k3), KEY_FIELDS);
    assert_error(&verify(&api, "", &k2["key"]), 401, "Token does not exist");
    assert_error(
        &api.admin("POST", "/api-keys/rotate", json!({"id": k2["id"]})),
        401,
        "Token does not exist",
    );

    // An overlap keeps the old key alive until the clock passes it.
    let r = rotate(json!({"key": k3["key"], "overlap": 60}));
    assert_eq!(r.status, 200, "{r:?}");
    let k4 = r.json();
    let list = api.admin_get("/api-keys?service=ci").json();
    // (Both were created in the same second: listings order keys by their
    // creation second only, so compare them as a set.)
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2, "both keys, in the overlap: {list:?}");
    let old = list
        .iter()
        .find(|k| k["id"] == k3["id"])
        .expect("the old key is listed");
    assert!(
        list.iter().any(|k| k["id"] == k4["id"]),
        "the new key is listed"
    );
    assert_eq!(old["expires"], json!(api.now() + 60));
    // A key rotated out cannot be rotated again, by key or by id.
    assert_error(
        &rotate(json!({"key": k3["key"]})),
        401,
        "Token does not exist",
    );
    assert_error(
        &api.admin("POST", "/api-keys/rotate", json!({"id": k3["id"]})),
        401,
        "Token does not exist",
    );
    api.clock.advance(59);
    assert_eq!(verify(&api, "", &k3["key"]).status, 200);
    api.clock.advance(1);
    assert_error(&verify(&api, "", &k3["key"]), 401, "Token expired");
    assert_error(&verify(&api, "", &k3["key"]), 401, "Token does not exist");
    assert_eq!(verify(&api, "", &k4["key"]).status, 200);

    // The overlap never outlives the old key.
    let short = api_key(
        &api,
        "",
        json!({"service": "ci", "name": "short", "lifetime": 30}),
    );
    let r = rotate(json!({"key": short["key"], "overlap": 600}));
    assert_eq!(r.status, 200, "{r:?}");
    let list = api.admin_get("/api-keys?service=ci").json();
    let old = list
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == short["id"])
        .cloned();
    assert_eq!(old.unwrap()["expires"], short["expires"]);

    // Bad rotations.
    assert_invalid(&rotate(json!({"key": k4["key"], "id": k4["id"]})));
    assert_invalid(&rotate(json!({"key": k4["key"], "overlap": 604801})));
    assert_invalid(&rotate(json!({"key": k4["key"], "overlap": -1})));
    assert_invalid(&rotate(json!({"key": k4["key"], "overlap": "60"})));
    assert_invalid(&rotate(json!({"key": {"$ne": ""}})));
    assert_error(
        &rotate(json!({"key": "mothk_nope"})),
        401,
        "Token does not exist",
    );
    assert_error(
        &api.admin(
            "POST",
            "/api-keys/rotate",
            json!({"id": "0000000000000000"}),
        ),
        401,
        "Token does not exist",
    );
    assert_invalid(&api.raw(
        "POST",
        &format!("/api-keys/rotate?key={}", s(&k4["key"])),
        &[],
        "",
    ));
    assert_invalid(&api.raw(
        "POST",
        &format!("/api-keys/verify?key={}", s(&k4["key"])),
        &[],
        "",
    ));
    assert_eq!(
        verify(&api, "", &k4["key"]).status,
        200,
        "k4 survived all of it"
    );

    // An expired key proves nothing.
    let gone = api_key(
        &api,
        "",
        json!({"service": "ci", "name": "gone", "lifetime": 5}),
    );
    api.clock.advance(5);
    assert_error(&rotate(json!({"key": gone["key"]})), 401, "Token expired");
}

#[test]
fn without_an_admin_key_rotation_by_id_is_open_like_every_admin_route() {
    let api = start(None);
    let k = api_key(&api, "", json!({"service": "ci", "name": "deploy"}));
    let r = api.public("POST", "/api-keys/rotate", json!({"id": k["id"]}));
    assert_eq!(r.status, 200, "{r:?}");
    assert_error(&verify(&api, "", &k["key"]), 401, "Token does not exist");
    assert_eq!(verify(&api, "", &r.json()["key"]).status, 200);
}

#[test]
fn deleting_a_user_revokes_their_api_keys() {
    let api = start(Some(ADMIN));
    let ann = api.new_user("", "ann", "pw");
    let bob = api.new_user("", "bob", "pw");
    let a1 = api_key(&api, "", json!({"user": ann, "name": "one"}));
    let a2 = api_key(
        &api,
        "",
        json!({"user": ann, "name": "two", "lifetime": 100}),
    );
    let b1 = api_key(&api, "", json!({"user": bob, "name": "one"}));
    let r = api.admin("DELETE", "/del", json!({"id": ann}));
    assert_eq!((r.status, r.json()), (200, json!({"deleted": true})));
    for k in [&a1, &a2] {
        assert_error(&verify(&api, "", &k["key"]), 401, "Token does not exist");
        assert_error(
            &api.public("POST", "/api-keys/rotate", json!({"key": k["key"]})),
            401,
            "Token does not exist",
        );
        assert_error(
            &api.admin("POST", "/api-keys/rotate", json!({"id": k["id"]})),
            401,
            "Token does not exist",
        );
        assert_error(
            &api.admin("DELETE", "/api-keys/by-id", json!({"id": k["id"]})),
            401,
            "Token does not exist",
        );
    }
    assert_error(
        &api.admin_get(&format!("/api-keys?user={ann}")),
        401,
        "User does not exist",
    );
    assert_error(
        &api.admin("POST", "/api-keys", json!({"user": ann, "name": "three"})),
        401,
        "User does not exist",
    );
    assert_eq!(verify(&api, "", &b1["key"]).status, 200, "bob keeps his");
    // A new user never gets the old id, nor its keys.
    let cat = api.new_user("", "ann", "pw");
    assert_ne!(cat, ann);
    assert_eq!(
        api.admin_get(&format!("/api-keys?user={cat}")).json(),
        json!([])
    );
}

#[test]
fn api_key_names_are_names_and_bad_values_are_400() {
    let api = start(None);
    let ann = api.new_user("", "ann", "pw");
    for name in [
        "../../etc/passwd",
        "..\\..\\windows\\system32",
        "%2e%2e%2f%2e%2e%2f",
        "/",
        ".",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "{\"$ne\": \"\"}",
        "名前 🔑",
        &"n".repeat(256),
    ] {
        let k = api_key(&api, "", json!({"user": ann, "name": name}));
        assert_eq!(k["name"], name);
        assert_eq!(verify(&api, "", &k["key"]).json()["name"], name);
        let svc = api_key(&api, "", json!({"service": name, "name": name}));
        assert_eq!(svc["owner"], json!({"service": name}));
        let list = api
            .admin("GET", "/api-keys", json!({"service": name}))
            .json();
        assert_eq!(list.as_array().unwrap().len(), 1, "{name}: {list}");
    }
    assert_eq!(
        api.admin_get(&format!("/api-keys?user={ann}"))
            .json()
            .as_array()
            .unwrap()
            .len(),
        10
    );
    // Looked up by query string, a traversal name is just a name too.
    let r = api.admin_get("/api-keys?service=..%2F..%2Fetc%2Fpasswd");
    assert_eq!(r.json().as_array().unwrap().len(), 1, "{r:?}");

    for body in [
        json!({"user": ann, "name": ""}),
        json!({"user": ann, "name": "n".repeat(257)}),
        json!({"user": ann, "name": "a\nb"}),
        json!({"user": ann, "name": "a\u{0}b"}),
        json!({"user": ann, "name": ["x"]}),
        json!({"user": ann, "name": {"$ne": ""}}),
        json!({"user": ann, "name": "x", "scopes": "s".repeat(4097)}),
        json!({"user": ann, "name": "x", "scopes": ["read"]}),
        json!({"user": ann, "name": "x", "lifetime": 0}),
        json!({"user": ann, "name": "x", "lifetime": -5}),
        json!({"user": ann, "name": "x", "lifetime": u64::MAX}),
        json!({"user": "1", "name": "x"}),
        json!({"user": -1, "name": "x"}),
        json!({"user": 1.5, "name": "x"}),
        json!({"user": {"$ne": 0}, "name": "x"}),
        json!({"service": "", "name": "x"}),
        json!({"service": "a\nb", "name": "x"}),
        json!({"service": 5, "name": "x"}),
        json!({"service": "s".repeat(257), "name": "x"}),
    ] {
        assert_invalid(&api.admin("POST", "/api-keys", body));
    }
    for body in [
        json!({"key": {"$ne": ""}}),
        json!({"key": ["mothk_x"]}),
        json!({"key": 5}),
    ] {
        assert_invalid(&api.public("POST", "/api-keys/verify", body));
    }
    for bad in ["", "mothk_", "mothe_x", &"x".repeat(50_000), "' OR 1=1 --"] {
        assert_error(
            &api.public("POST", "/api-keys/verify", json!({ "key": bad })),
            401,
            "Token does not exist",
        );
    }
    assert_invalid(&api.admin_get("/api-keys?user=abc"));
    assert_invalid(&api.admin_get("/api-keys?user=-1"));
    assert_invalid(&api.admin_get("/api-keys?service="));
    assert_invalid(&api.admin("DELETE", "/api-keys/by-id", json!({"id": {"$ne": ""}})));
    assert_invalid(&api.admin("DELETE", "/api-keys/by-owner", json!({"user": "1"})));
}

#[test]
fn an_owner_holds_at_most_a_hundred_api_keys() {
    let api = start(None);
    let mut last = Value::Null;
    for i in 0..100 {
        last = api_key(
            &api,
            "",
            json!({"service": "fleet", "name": format!("k{i}")}),
        );
    }
    let r = api.admin(
        "POST",
        "/api-keys",
        json!({"service": "fleet", "name": "k100"}),
    );
    assert_eq!(r.status, 409, "{r:?}");
    let msg = s(&r.json()["error"]);
    assert!(msg.starts_with("Limit reached: "), "{r:?}");
    // A rotation with overlap would hold one more: refused the same way.
    let r = api.public(
        "POST",
        "/api-keys/rotate",
        json!({"key": last["key"], "overlap": 60}),
    );
    assert_eq!(r.status, 409, "{r:?}");
    assert!(
        s(&r.json()["error"]).starts_with("Limit reached: "),
        "{r:?}"
    );
    assert_eq!(
        verify(&api, "", &last["key"]).status,
        200,
        "refused: nothing changed"
    );
    // Without overlap it does not.
    let r = api.public("POST", "/api-keys/rotate", json!({"key": last["key"]}));
    assert_eq!(r.status, 200, "{r:?}");
    // Another owner is not affected.
    api_key(&api, "", json!({"service": "other", "name": "k0"}));
    assert_eq!(
        api.admin_get("/api-keys?service=fleet")
            .json()
            .as_array()
            .unwrap()
            .len(),
        100
    );
}

// ---------------------------------------------------------------------------
// One-time tokens

fn one_time(api: &Api, prefix: &str, body: Value) -> Value {
    let r = api.admin("POST", &format!("{prefix}/one-time-tokens"), body);
    assert_eq!(r.status, 201, "{r:?}");
    r.json()
}

fn login(api: &Api, prefix: &str, username: &str, password: &str) -> Reply {
    api.public(
        "GET",
        &format!("{prefix}/login"),
        json!({"username": username, "password": password}),
    )
}

#[test]
fn one_time_tokens_issue_redeem_and_reset_a_password() {
    let api = start(Some(ADMIN));
    let ann = api.new_user("", "ann", "old-password");
    let now = api.now();
    let redeem = |body: Value| api.public("POST", "/one-time-tokens/redeem", body);

    let t = one_time(&api, "", json!({"id": ann, "purpose": "verify-email"}));
    assert_eq!(keys(&t), ["token", "expires"]);
    assert!(s(&t["token"]).starts_with("motho_"), "{t}");
    assert_eq!(t["expires"], json!(now + 4 * 3600), "default 4 hours");

    // Another purpose: refused, and still good for its own.
    assert_error(
        &redeem(json!({"token": t["token"], "purpose": "reset-password"})),
        401,
        "Token does not exist",
    );
    assert_error(
        &api.public(
            "POST",
            "/one-time-tokens/reset-password",
            json!({"token": t["token"], "password": "hijack"}),
        ),
        401,
        "Token does not exist",
    );
    let r = redeem(json!({"token": t["token"], "purpose": "verify-email"}));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        keys(&r.json()),
        ["redeemed", "userid", "username", "permissions"]
    );
    assert_eq!(
        r.json(),
        json!({"redeemed": true, "userid": ann, "username": "ann", "permissions": "perm"})
    );
    assert_error(
        &redeem(json!({"token": t["token"], "purpose": "verify-email"})),
        401,
        "Token does not exist",
    );
    // The hijack attempt did not change the password.
    assert_eq!(login(&api, "", "ann", "old-password").status, 200);

    // A purpose of the caller's own, redeemed by bearer.
    let t = one_time(
        &api,
        "",
        json!({"id": ann, "purpose": "invite-2", "lifetime": 60}),
    );
    assert_eq!(t["expires"], json!(api.now() + 60));
    let r = api.with_auth(
        &format!("Bearer {}", s(&t["token"])),
        "POST",
        "/one-time-tokens/redeem",
        json!({"purpose": "invite-2"}),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json()["redeemed"], true);

    // Reset a password: log in first (a login kills older one-time tokens),
    // then issue.
    let session = s(&login(&api, "", "ann", "old-password").json()["token"]);
    let reset = one_time(&api, "", json!({"id": ann, "purpose": "reset-password"}));
    let reset_password = |body: Value| api.public("POST", "/one-time-tokens/reset-password", body);
    // A refused password writes nothing and leaves the token usable.
    assert_invalid(&reset_password(
        json!({"token": reset["token"], "password": ""}),
    ));
    assert_invalid(&reset_password(
        json!({"token": reset["token"], "password": "p".repeat(1025)}),
    ));
    assert_invalid(&reset_password(
        json!({"token": reset["token"], "password": ["x"]}),
    ));
    assert_eq!(
        api.public("GET", "/validate", json!({ "token": session }))
            .status,
        200
    );
    let r = reset_password(json!({"token": reset["token"], "password": "new-password"}));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        keys(&r.json()),
        ["reset", "userid", "username", "permissions"]
    );
    assert_eq!(
        r.json(),
        json!({"reset": true, "userid": ann, "username": "ann", "permissions": "perm"})
    );
    assert_error(
        &login(&api, "", "ann", "old-password"),
        401,
        "Invalid password",
    );
    assert_error(
        &api.public("GET", "/validate", json!({ "token": session })),
        401,
        "Token does not exist",
    );
    assert_error(
        &reset_password(json!({"token": reset["token"], "password": "again"})),
        401,
        "Token does not exist",
    );
    let r = login(&api, "", "ann", "new-password");
    assert_eq!(r.status, 200, "{r:?}");

    // By bearer, too.
    let reset = one_time(&api, "", json!({"id": ann, "purpose": "reset-password"}));
    let r = api.with_auth(
        &format!("Bearer {}", s(&reset["token"])),
        "POST",
        "/one-time-tokens/reset-password",
        json!({"password": "third"}),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(login(&api, "", "ann", "third").status, 200);

    // Expiry.
    let t = one_time(
        &api,
        "",
        json!({"id": ann, "purpose": "verify-email", "lifetime": 30}),
    );
    api.clock.advance(30);
    assert_error(
        &redeem(json!({"token": t["token"], "purpose": "verify-email"})),
        401,
        "Token expired",
    );
    assert_error(
        &redeem(json!({"token": t["token"], "purpose": "verify-email"})),
        401,
        "Token does not exist",
    );

    // Errors on issue.
    assert_error(
        &api.admin(
            "POST",
            "/one-time-tokens",
            json!({"id": 99, "purpose": "verify-email"}),
        ),
        401,
        "User does not exist",
    );
    for body in [
        json!({"id": ann, "purpose": "Reset-Password"}),
        json!({"id": ann, "purpose": "reset password"}),
        json!({"id": ann, "purpose": ""}),
        json!({"id": ann, "purpose": "p".repeat(65)}),
        json!({"id": ann, "purpose": "../x"}),
        json!({"id": ann, "purpose": "verify-email", "lifetime": 0}),
        json!({"id": ann, "purpose": "verify-email", "lifetime": 604801}),
        json!({"id": "1", "purpose": "verify-email"}),
        json!({"id": ann, "purpose": ["verify-email"]}),
    ] {
        assert_invalid(&api.admin("POST", "/one-time-tokens", body));
    }
    for (admin, path, body) in [
        (true, "/one-time-tokens", json!({"purpose": "verify-email"})),
        (true, "/one-time-tokens", json!({"id": ann})),
        (
            false,
            "/one-time-tokens/redeem",
            json!({"purpose": "verify-email"}),
        ),
        (
            false,
            "/one-time-tokens/redeem",
            json!({"token": "motho_x"}),
        ),
        (
            false,
            "/one-time-tokens/reset-password",
            json!({"password": "x"}),
        ),
        (
            false,
            "/one-time-tokens/reset-password",
            json!({"token": "motho_x"}),
        ),
    ] {
        let r = if admin {
            api.admin("POST", path, body)
        } else {
            api.public("POST", path, body)
        };
        assert_error(&r, 400, "Missing request parameters");
    }
}

#[test]
fn one_time_tokens_refuse_injection_and_secrets_in_urls() {
    let api = start(None);
    let ann = api.new_user("", "ann", "pw");
    let t = one_time(&api, "", json!({"id": ann, "purpose": "reset-password"}));
    let token = s(&t["token"]);

    for body in [
        json!({"token": {"$ne": ""}, "purpose": "reset-password"}),
        json!({"token": [token], "purpose": "reset-password"}),
        json!({"token": 1, "purpose": "reset-password"}),
        json!({"token": token, "purpose": {"$ne": ""}}),
    ] {
        assert_invalid(&api.public("POST", "/one-time-tokens/redeem", body));
    }
    assert_invalid(&api.public(
        "POST",
        "/one-time-tokens/redeem",
        json!({"token": token, "purpose": "Not A Purpose"}),
    ));
    for body in [
        json!({"token": {"$ne": ""}, "password": "x"}),
        json!({"token": token, "password": {"$ne": ""}}),
    ] {
        assert_invalid(&api.public("POST", "/one-time-tokens/reset-password", body));
    }
    assert_invalid(&api.raw(
        "POST",
        &format!("/one-time-tokens/redeem?token={token}&purpose=reset-password"),
        &[],
        "",
    ));
    assert_invalid(&api.raw(
        "POST",
        &format!("/one-time-tokens/redeem?token={token}"),
        &[],
        r#"{"purpose":"reset-password"}"#,
    ));
    assert_invalid(&api.raw(
        "POST",
        &format!("/one-time-tokens/reset-password?token={token}&password=owned"),
        &[],
        "",
    ));
    assert_invalid(&api.raw(
        "POST",
        "/one-time-tokens/reset-password?password=owned",
        &[],
        &json!({ "token": token }).to_string(),
    ));
    for bad in ["", "motho_", "motho_AAAA", &"x".repeat(50_000)] {
        assert_error(
            &api.public(
                "POST",
                "/one-time-tokens/redeem",
                json!({"token": bad, "purpose": "reset-password"}),
            ),
            401,
            "Token does not exist",
        );
    }
    // None of that touched the password nor used the token.
    assert_eq!(login(&api, "", "ann", "owned").status, 401);
    let r = api.public(
        "POST",
        "/one-time-tokens/reset-password",
        json!({"token": token, "password": "fresh"}),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(login(&api, "", "ann", "fresh").status, 200);
}

#[test]
fn one_time_tokens_die_with_what_they_were_issued_against() {
    let api = start(None);
    let ann = api.new_user("", "ann", "pw");
    let redeem = |t: &Value, purpose: &str| {
        api.public(
            "POST",
            "/one-time-tokens/redeem",
            json!({"token": t["token"], "purpose": purpose}),
        )
    };
    // A login kills the one-time tokens issued before it.
    let t = one_time(&api, "", json!({"id": ann, "purpose": "reset-password"}));
    assert_eq!(login(&api, "", "ann", "pw").status, 200);
    assert_error(&redeem(&t, "reset-password"), 401, "Token does not exist");
    // A failed login does not.
    let t = one_time(&api, "", json!({"id": ann, "purpose": "reset-password"}));
    assert_eq!(login(&api, "", "ann", "wrong").status, 401);
    assert_eq!(redeem(&t, "reset-password").status, 200);
    // Redeeming a verify-email token kills the others.
    let r = one_time(&api, "", json!({"id": ann, "purpose": "reset-password"}));
    let v = one_time(&api, "", json!({"id": ann, "purpose": "verify-email"}));
    assert_eq!(redeem(&v, "verify-email").status, 200);
    assert_error(&redeem(&r, "reset-password"), 401, "Token does not exist");
    // A password change, by the admin route.
    let t = one_time(&api, "", json!({"id": ann, "purpose": "reset-password"}));
    assert_eq!(
        api.admin("PATCH", "/setpass", json!({"id": ann, "password": "pw2"}))
            .status,
        200
    );
    assert_error(&redeem(&t, "reset-password"), 401, "Token does not exist");
    // Revoking the user's tokens.
    let t = one_time(&api, "", json!({"id": ann, "purpose": "invite"}));
    assert_eq!(
        api.admin("DELETE", "/deltokens", json!({"id": ann})).status,
        200
    );
    assert_error(&redeem(&t, "invite"), 401, "Token does not exist");
    // Deleting the user.
    let t = one_time(&api, "", json!({"id": ann, "purpose": "reset-password"}));
    assert_eq!(api.admin("DELETE", "/del", json!({"id": ann})).status, 200);
    assert_error(
        &api.public(
            "POST",
            "/one-time-tokens/reset-password",
            json!({"token": t["token"], "password": "x"}),
        ),
        401,
        "Token does not exist",
    );
    assert_error(
        &api.admin(
            "POST",
            "/one-time-tokens",
            json!({"id": ann, "purpose": "invite"}),
        ),
        401,
        "User does not exist",
    );
}

#[test]
fn an_address_holds_at_most_a_hundred_email_tokens() {
    let api = start(None);
    let first = email_token(&api, "", json!({"address": "a@x"}));
    let mut last = Value::Null;
    for _ in 0..100 {
        api.clock.advance(1);
        last = email_token(&api, "", json!({"address": "a@x"}));
    }
    let list = api.admin_get("/email-tokens?address=a%40x").json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 100);
    assert!(
        list.iter().all(|i| i["id"] != first["id"]),
        "the oldest went"
    );
    assert_eq!(list[99]["id"], last["id"], "oldest first");
    assert_error(
        &api.public(
            "POST",
            "/email-tokens/auth",
            json!({"address": "a@x", "token": first["token"]}),
        ),
        401,
        "Token does not exist",
    );
    let r = api.admin(
        "DELETE",
        "/email-tokens/by-address",
        json!({"address": "a@x"}),
    );
    assert_eq!(r.json(), json!({"deleted": true, "count": 100}));
}

#[test]
fn api_key_lifetimes_and_last_use() {
    let api = start(None);
    let max = 10 * 365 * 24 * 3600u64;
    let k = api_key(
        &api,
        "",
        json!({"service": "ci", "name": "long", "lifetime": max}),
    );
    assert_eq!(k["expires"], json!(api.now() + max));
    assert_invalid(&api.admin(
        "POST",
        "/api-keys",
        json!({"service": "ci", "name": "longer", "lifetime": max + 1}),
    ));
    // The last use is recorded to within an hour.
    let t0 = api.now();
    assert_eq!(verify(&api, "", &k["key"]).json()["last_used"], json!(t0));
    api.clock.advance(10);
    assert_eq!(verify(&api, "", &k["key"]).json()["last_used"], json!(t0));
    api.clock.advance(3590);
    assert_eq!(
        verify(&api, "", &k["key"]).json()["last_used"],
        json!(t0 + 3600)
    );
    assert_eq!(
        api.admin_get("/api-keys?service=ci").json()[0]["last_used"],
        json!(t0 + 3600)
    );
    // The overlap is at most 7 days.
    let r = api.public(
        "POST",
        "/api-keys/rotate",
        json!({"key": k["key"], "overlap": 604800}),
    );
    assert_eq!(r.status, 200, "{r:?}");
    api.clock.advance(604799);
    assert_eq!(verify(&api, "", &k["key"]).status, 200);
    api.clock.advance(1);
    assert_error(&verify(&api, "", &k["key"]), 401, "Token expired");
    assert_eq!(verify(&api, "", &r.json()["key"]).status, 200);
}

/// `n` threads send the same request at once; the statuses they get.
fn race(api: &Api, n: usize, method: &str, path: &str, body: &Value) -> Vec<(u16, Value)> {
    let barrier = std::sync::Barrier::new(n);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    let r = api.public(method, path, body.clone());
                    (r.status, r.json())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn successes(results: &[(u16, Value)]) -> Vec<Value> {
    for (status, body) in results {
        assert!(
            *status == 200 || (*status == 401 && body["error"] == "Token does not exist"),
            "{status} {body}"
        );
    }
    results
        .iter()
        .filter(|(s, _)| *s == 200)
        .map(|(_, b)| b.clone())
        .collect()
}

#[test]
fn single_use_credentials_are_used_once_under_concurrency() {
    let api = start(None);
    let ann = api.new_user("", "ann", "pw");
    for _ in 0..3 {
        let e = email_token(&api, "", json!({"address": "a@x", "uses": 3}));
        let r = race(
            &api,
            8,
            "POST",
            "/email-tokens/auth",
            &json!({"address": "a@x", "token": e["token"]}),
        );
        assert_eq!(successes(&r).len(), 3, "three uses, three successes: {r:?}");

        let t = one_time(&api, "", json!({"id": ann, "purpose": "invite"}));
        let r = race(
            &api,
            8,
            "POST",
            "/one-time-tokens/redeem",
            &json!({"token": t["token"], "purpose": "invite"}),
        );
        assert_eq!(successes(&r).len(), 1, "{r:?}");

        let k = api_key(&api, "", json!({"service": "ci", "name": "deploy"}));
        let r = race(
            &api,
            8,
            "POST",
            "/api-keys/rotate",
            &json!({"key": k["key"]}),
        );
        let won = successes(&r);
        assert_eq!(won.len(), 1, "one rotation wins: {r:?}");
        let list = api.admin_get("/api-keys?service=ci").json();
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
        assert_eq!(list[0]["id"], won[0]["id"]);
        assert_eq!(verify(&api, "", &won[0]["key"]).status, 200);
        api.admin("DELETE", "/api-keys/by-owner", json!({"service": "ci"}));
    }
}

// ---------------------------------------------------------------------------
// The admin key

/// Every admin route of the credential APIs, with a plausible request.
fn admin_routes() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        ("POST", "/email-tokens", json!({"address": "a@x"})),
        ("GET", "/email-tokens?address=a%40x", Value::Null),
        ("GET", "/email-tokens", json!({"address": "a@x"})),
        (
            "PATCH",
            "/email-tokens/retval",
            json!({"address": "a@x", "token": "mothe_x", "retval": "r"}),
        ),
        (
            "DELETE",
            "/email-tokens/by-id",
            json!({"address": "a@x", "id": "0000000000000000"}),
        ),
        (
            "DELETE",
            "/email-tokens/by-address",
            json!({"address": "a@x"}),
        ),
        ("POST", "/api-keys", json!({"service": "ci", "name": "x"})),
        ("POST", "/api-keys", json!({"user": 1, "name": "x"})),
        ("GET", "/api-keys?service=ci", Value::Null),
        ("GET", "/api-keys?user=1", Value::Null),
        (
            "DELETE",
            "/api-keys/by-id",
            json!({"id": "0000000000000000"}),
        ),
        ("DELETE", "/api-keys/by-owner", json!({"service": "ci"})),
        ("DELETE", "/api-keys/by-owner", json!({"user": 1})),
        (
            "POST",
            "/api-keys/rotate",
            json!({"id": "0000000000000000"}),
        ),
        (
            "POST",
            "/one-time-tokens",
            json!({"id": 1, "purpose": "verify-email"}),
        ),
    ]
}

#[test]
fn the_admin_key_guards_every_admin_credential_route_and_only_those() {
    let api = start(Some(ADMIN));
    let r = api.admin(
        "PUT",
        "/tenants",
        json!({"name": "acme", "argon2_memory_kib": 8, "argon2_iterations": 1, "allow_weak_hashing": true, "min_password_length": 1, "refuse_common_passwords": false}),
    );
    assert_eq!(r.status, 200, "{r:?}");
    let ann = api.new_user("", "ann", "pw");
    api.new_user("/t/acme", "ann", "pw");

    for prefix in ["", "/t/acme"] {
        for (method, path, body) in admin_routes() {
            let path = format!("{prefix}{path}");
            let body = if body.is_null() {
                String::new()
            } else {
                body.to_string()
            };
            for auth in [
                None,
                Some("Bearer wrong-key-wrong-key"),
                Some("Bearer "),
                Some("Basic YWRtaW46YWRtaW4="),
                Some(ADMIN),
            ] {
                let headers: Vec<(&str, &str)> =
                    auth.map(|a| ("Authorization", a)).into_iter().collect();
                let r = api.raw(method, &path, &headers, &body);
                assert_error(&r, 401, "Admin key required");
                assert_eq!(r.header("www-authenticate"), Some("Bearer"), "{r:?}");
            }
        }
    }
    // Refused requests wrote nothing.
    for prefix in ["", "/t/acme"] {
        assert_eq!(
            api.admin_get(&format!("{prefix}/email-tokens?address=a%40x"))
                .json(),
            json!([])
        );
        assert_eq!(
            api.admin_get(&format!("{prefix}/api-keys?service=ci"))
                .json(),
            json!([])
        );
        assert_eq!(
            api.admin_get(&format!("{prefix}/api-keys?user=1")).json(),
            json!([])
        );
    }
    // With the key, every one of them is served (whatever its answer).
    for (method, path, body) in admin_routes() {
        let r = if body.is_null() {
            api.admin_get(path)
        } else {
            api.admin(method, path, body)
        };
        assert!(
            r.status < 300 || r.json()["error"] != "Admin key required",
            "{method} {path}: {r:?}"
        );
    }

    // The public routes need no admin key.
    for prefix in ["", "/t/acme"] {
        let e = email_token(&api, prefix, json!({"address": "p@x", "uses": 2}));
        let r = api.public(
            "POST",
            &format!("{prefix}/email-tokens/auth"),
            json!({"address": "p@x", "token": e["token"]}),
        );
        assert_eq!(r.status, 200, "{r:?}");
        let r = api.public(
            "DELETE",
            &format!("{prefix}/email-tokens/token"),
            json!({"address": "p@x", "token": e["token"]}),
        );
        assert_eq!(r.status, 200, "{r:?}");
        let k = api_key(&api, prefix, json!({"user": ann, "name": "pub"}));
        assert_eq!(verify(&api, prefix, &k["key"]).status, 200);
        let r = api.public(
            "POST",
            &format!("{prefix}/api-keys/rotate"),
            json!({"key": k["key"]}),
        );
        assert_eq!(r.status, 200, "{r:?}");
        let t = one_time(&api, prefix, json!({"id": ann, "purpose": "verify-email"}));
        let r = api.public(
            "POST",
            &format!("{prefix}/one-time-tokens/redeem"),
            json!({"token": t["token"], "purpose": "verify-email"}),
        );
        assert_eq!(r.status, 200, "{r:?}");
        let t = one_time(
            &api,
            prefix,
            json!({"id": ann, "purpose": "reset-password"}),
        );
        let r = api.public(
            "POST",
            &format!("{prefix}/one-time-tokens/reset-password"),
            json!({"token": t["token"], "password": "pw2"}),
        );
        assert_eq!(r.status, 200, "{r:?}");
    }

    // The metrics name routes, never the secrets sent to them.
    let m = api.admin_get("/metrics");
    assert_eq!(m.status, 200);
    for prefix in ["mothe_", "mothk_", "motho_", ADMIN] {
        assert!(!m.body.contains(prefix), "{prefix} in /metrics");
    }
    assert!(
        m.body.contains(r#"route="/email-tokens/auth""#),
        "{}",
        m.body
    );
}

// ---------------------------------------------------------------------------
// Tenants

#[test]
fn tenants_keep_credentials_apart() {
    let api = start(Some(ADMIN));
    for name in ["acme", "beta"] {
        let r = api.admin(
            "PUT",
            "/tenants",
            json!({"name": name, "argon2_memory_kib": 8, "argon2_iterations": 1, "allow_weak_hashing": true, "min_password_length": 1, "refuse_common_passwords": false}),
        );
        assert_eq!(
            (r.status, r.json()),
            (200, json!({"tenant": name})),
            "{r:?}"
        );
    }
    let acme_ann = api.new_user("/t/acme", "ann", "pw");
    let ann = api.new_user("", "ann", "pw");
    assert_eq!(acme_ann, ann, "the same id in two tenants");

    // API keys.
    let k = api_key(&api, "/t/acme", json!({"service": "ci", "name": "deploy"}));
    assert_eq!(verify(&api, "/t/acme", &k["key"]).status, 200);
    let r = api.raw(
        "POST",
        "/api-keys/verify",
        &[("X-Moth-Tenant", "acme")],
        &json!({"key": k["key"]}).to_string(),
    );
    assert_eq!(r.status, 200, "the tenant by header: {r:?}");
    assert_error(&verify(&api, "", &k["key"]), 401, "Token does not exist");
    assert_error(
        &verify(&api, "/t/beta", &k["key"]),
        401,
        "Token does not exist",
    );
    assert_error(
        &verify(&api, "/t/nope", &k["key"]),
        404,
        "Tenant does not exist",
    );
    assert_eq!(api.admin_get("/api-keys?service=ci").json(), json!([]));
    assert_eq!(
        api.admin_get("/t/acme/api-keys?service=ci")
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // The same name is free in another tenant.
    let d = api_key(&api, "", json!({"service": "ci", "name": "deploy"}));
    assert_error(
        &verify(&api, "/t/acme", &d["key"]),
        401,
        "Token does not exist",
    );
    // Another tenant can neither rotate nor revoke it.
    assert_error(
        &api.public("POST", "/api-keys/rotate", json!({"key": k["key"]})),
        401,
        "Token does not exist",
    );
    assert_error(
        &api.admin("POST", "/t/beta/api-keys/rotate", json!({"id": k["id"]})),
        401,
        "Token does not exist",
    );
    assert_error(
        &api.admin("DELETE", "/api-keys/by-id", json!({"id": k["id"]})),
        401,
        "Token does not exist",
    );
    let r = api.admin("DELETE", "/api-keys/by-owner", json!({"service": "ci"}));
    assert_eq!(
        r.json(),
        json!({"deleted": true, "count": 1}),
        "only the default's"
    );
    assert_eq!(verify(&api, "/t/acme", &k["key"]).status, 200);
    // A user's key: deleting the default tenant's user 1 leaves acme's alone.
    let uk = api_key(&api, "/t/acme", json!({"user": acme_ann, "name": "laptop"}));
    assert_eq!(api.admin("DELETE", "/del", json!({"id": ann})).status, 200);
    assert_eq!(verify(&api, "/t/acme", &uk["key"]).status, 200);

    // Email tokens.
    let e = email_token(&api, "/t/acme", json!({"address": "a@x", "retval": "acme"}));
    assert_error(
        &api.public(
            "POST",
            "/email-tokens/auth",
            json!({"address": "a@x", "token": e["token"]}),
        ),
        401,
        "Token does not exist",
    );
    assert_error(
        &api.public(
            "DELETE",
            "/t/beta/email-tokens/token",
            json!({"address": "a@x", "token": e["token"]}),
        ),
        401,
        "Token does not exist",
    );
    assert_eq!(
        api.admin_get("/email-tokens?address=a%40x").json(),
        json!([])
    );
    assert_eq!(
        api.admin(
            "DELETE",
            "/email-tokens/by-address",
            json!({"address": "a@x"})
        )
        .json(),
        json!({"deleted": false, "count": 0})
    );
    assert_error(
        &api.admin(
            "DELETE",
            "/email-tokens/by-id",
            json!({"address": "a@x", "id": e["id"]}),
        ),
        401,
        "Token does not exist",
    );
    let r = api.public(
        "POST",
        "/t/acme/email-tokens/auth",
        json!({"address": "a@x", "token": e["token"]}),
    );
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"authenticated": true, "retval": "acme"})),
        "untouched by the other tenants: {r:?}"
    );

    // One-time tokens.
    let bob = api.new_user("", "bob", "pw");
    let t = one_time(
        &api,
        "/t/acme",
        json!({"id": acme_ann, "purpose": "verify-email"}),
    );
    assert_error(
        &api.public(
            "POST",
            "/one-time-tokens/redeem",
            json!({"token": t["token"], "purpose": "verify-email"}),
        ),
        401,
        "Token does not exist",
    );
    let r = api.public(
        "POST",
        "/t/acme/one-time-tokens/redeem",
        json!({"token": t["token"], "purpose": "verify-email"}),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json()["userid"], json!(acme_ann));
    let t = one_time(&api, "", json!({"id": bob, "purpose": "reset-password"}));
    assert_error(
        &api.public(
            "POST",
            "/t/acme/one-time-tokens/reset-password",
            json!({"token": t["token"], "password": "x"}),
        ),
        401,
        "Token does not exist",
    );

    // A deleted tenant takes its credentials with it.
    let r = api.admin("DELETE", "/tenants", json!({"name": "acme"}));
    assert_eq!((r.status, r.json()), (200, json!({"deleted": true})));
    assert_error(
        &verify(&api, "/t/acme", &k["key"]),
        404,
        "Tenant does not exist",
    );
    let r = api.admin(
        "PUT",
        "/tenants",
        json!({"name": "acme", "argon2_memory_kib": 8, "argon2_iterations": 1, "allow_weak_hashing": true, "min_password_length": 1, "refuse_common_passwords": false}),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_error(
        &verify(&api, "/t/acme", &k["key"]),
        401,
        "Token does not exist",
    );
    assert_eq!(
        api.admin_get("/t/acme/api-keys?service=ci").json(),
        json!([])
    );
}
