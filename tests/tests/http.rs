//! The HTTP API end to end: the real server on an ephemeral loopback port,
//! MOTH's twelve routes, every documented error, and bad input.

use moth::server::{self, ServerConfig, ServerHandle};
use moth_tests::{Reply, http, open};
use serde_json::{Value, json};

fn start(
    dir: &std::path::Path,
    admin_key: Option<&str>,
) -> (ServerHandle, std::sync::Arc<moth::ManualClock>) {
    let (moth, clock) = open(dir);
    let config = ServerConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        admin_key: admin_key.map(str::to_owned),
        ..ServerConfig::default()
    };
    (server::spawn(moth, config).unwrap(), clock)
}

fn call(h: &ServerHandle, method: &str, path: &str, body: Value) -> Reply {
    http(
        h.addr(),
        method,
        path,
        &[("Content-Type", "application/json")],
        &body.to_string(),
    )
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

fn assert_error(r: &Reply, status: u16, message: &str) {
    assert_eq!(r.status, status, "{r:?}");
    assert_eq!(r.json(), json!({ "error": message }), "{r:?}");
}

#[test]
fn all_twelve_routes_with_moth_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let (h, clock) = start(dir.path(), None);

    let r = call(
        &h,
        "PUT",
        "/new",
        json!({"username": "ann", "password": "pw", "permissions": "admin"}),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.body, r#"{"userid":1,"username":"ann","permissions":"admin"}"#,
        "MOTH's keys in MOTH's order"
    );

    let r = call(
        &h,
        "GET",
        "/login",
        json!({"username": "ann", "password": "pw"}),
    );
    assert_eq!(r.status, 200, "{r:?}");
    let login = r.json();
    assert_eq!(
        keys(&login),
        [
            "token",
            "userid",
            "username",
            "permissions",
            "expires",
            "device"
        ]
    );
    let token = login["token"].as_str().unwrap().to_owned();
    assert_eq!(login["expires"], json!(clock.secs() + 3 * 24 * 3600));

    let r = call(&h, "GET", "/validate", json!({ "token": token }));
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        format!(
            r#"{{"valid":true,"userid":1,"username":"ann","permissions":"admin","expires":{}}}"#,
            login["expires"]
        )
    );

    let r = call(
        &h,
        "GET",
        "/passvalid",
        json!({"username": "ann", "password": "pw"}),
    );
    assert_eq!((r.status, r.json()), (200, json!({"valid": true})));
    let r = call(
        &h,
        "GET",
        "/passvalid",
        json!({"username": "ann", "password": "nope"}),
    );
    assert_eq!((r.status, r.json()), (200, json!({"valid": false})));

    let r = call(&h, "GET", "/gettokens", json!({"id": 1}));
    assert_eq!((r.status, r.json()), (200, json!({"count": 1})));

    let r = call(
        &h,
        "PATCH",
        "/setperms",
        json!({"id": 1, "permissions": "read"}),
    );
    assert_eq!((r.status, r.json()), (200, json!({"updated": true})));
    assert_eq!(
        call(&h, "GET", "/validate", json!({ "token": token })).json()["permissions"],
        "read"
    );
    // setperms must not touch the password (MOTH's bug).
    assert_eq!(
        call(
            &h,
            "GET",
            "/passvalid",
            json!({"username": "ann", "password": "pw"})
        )
        .json(),
        json!({"valid": true})
    );

    let r = call(&h, "GET", "/getuser", json!({"id": 1}));
    assert_eq!(r.body, r#"{"id":1,"username":"ann","permissions":"read"}"#);
    call(
        &h,
        "PUT",
        "/new",
        json!({"username": "bob", "password": "pw", "permissions": ""}),
    );
    let r = call(&h, "GET", "/getusers", json!({}));
    assert_eq!(
        r.json(),
        json!([{"id": 1, "username": "ann", "permissions": "read"}, {"id": 2, "username": "bob", "permissions": ""}])
    );
    assert_eq!(keys(&r.json()[0]), ["id", "username", "permissions"]);
    let page = call(&h, "GET", "/getusers", json!({"after": 1, "limit": 5}));
    assert_eq!(
        page.json(),
        json!([{"id": 2, "username": "bob", "permissions": ""}])
    );
    assert_eq!(
        call(&h, "GET", "/getusers", json!({"limit": 1}))
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        call(&h, "GET", "/getusers", json!({"limit": 0})).status,
        400
    );

    let r = call(&h, "DELETE", "/logout", json!({ "token": token }));
    assert_eq!((r.status, r.json()), (200, json!({"deleted": true})));

    call(
        &h,
        "GET",
        "/login",
        json!({"username": "ann", "password": "pw"}),
    );
    call(
        &h,
        "GET",
        "/login",
        json!({"username": "ann", "password": "pw"}),
    );
    let r = call(&h, "DELETE", "/deltokens", json!({"id": 1}));
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"deleted": true, "count": 2}))
    );
    let r = call(&h, "DELETE", "/deltokens", json!({"id": 1}));
    assert_eq!(r.json(), json!({"deleted": false, "count": 0}));

    let r = call(&h, "PATCH", "/setpass", json!({"id": 1, "password": "new"}));
    assert_eq!((r.status, r.json()), (200, json!({"updated": true})));
    assert_eq!(
        call(
            &h,
            "GET",
            "/login",
            json!({"username": "ann", "password": "new"})
        )
        .status,
        200
    );

    let r = call(&h, "DELETE", "/del", json!({"id": 1}));
    assert_eq!((r.status, r.json()), (200, json!({"deleted": true})));
    h.shutdown().unwrap();
}

#[test]
fn every_documented_error() {
    let dir = tempfile::tempdir().unwrap();
    let (h, clock) = start(dir.path(), None);
    call(
        &h,
        "PUT",
        "/new",
        json!({"username": "ann", "password": "pw", "permissions": ""}),
    );

    assert_error(
        &call(
            &h,
            "GET",
            "/login",
            json!({"username": "zed", "password": "pw"}),
        ),
        401,
        "User does not exist",
    );
    assert_error(
        &call(
            &h,
            "GET",
            "/login",
            json!({"username": "ann", "password": "no"}),
        ),
        401,
        "Invalid password",
    );
    assert_error(
        &call(
            &h,
            "GET",
            "/passvalid",
            json!({"username": "zed", "password": "pw"}),
        ),
        401,
        "User does not exist",
    );
    let fake = "moth_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA123456";
    assert_error(
        &call(&h, "GET", "/validate", json!({"token": fake})),
        401,
        "Token does not exist",
    );
    assert_error(
        &call(&h, "DELETE", "/logout", json!({"token": fake})),
        401,
        "Token does not exist",
    );
    assert_error(
        &call(
            &h,
            "PUT",
            "/new",
            json!({"username": "ann", "password": "pw", "permissions": ""}),
        ),
        409,
        "User already exists",
    );
    for (method, path) in [("DELETE", "/del"), ("GET", "/getuser")] {
        assert_error(
            &call(&h, method, path, json!({"id": 99})),
            401,
            "User does not exist",
        );
    }
    assert_error(
        &call(&h, "PATCH", "/setpass", json!({"id": 99, "password": "x"})),
        401,
        "User does not exist",
    );
    assert_error(
        &call(
            &h,
            "PATCH",
            "/setperms",
            json!({"id": 99, "permissions": "x"}),
        ),
        401,
        "User does not exist",
    );

    let short = call(
        &h,
        "GET",
        "/login",
        json!({"username": "ann", "password": "pw", "lifetime": 5}),
    )
    .json();
    clock.advance(5);
    assert_error(
        &call(&h, "GET", "/validate", json!({"token": short["token"]})),
        401,
        "Token expired",
    );
    assert_error(
        &call(&h, "GET", "/validate", json!({"token": short["token"]})),
        401,
        "Token does not exist",
    );

    // Missing parameters on every route that takes any.
    for (method, path) in [
        ("GET", "/login"),
        ("GET", "/validate"),
        ("GET", "/passvalid"),
        ("DELETE", "/logout"),
        ("PUT", "/new"),
        ("DELETE", "/del"),
        ("PATCH", "/setpass"),
        ("PATCH", "/setperms"),
        ("GET", "/gettokens"),
        ("GET", "/getuser"),
        ("DELETE", "/deltokens"),
    ] {
        assert_error(
            &call(&h, method, path, json!({})),
            400,
            "Missing request parameters",
        );
    }
}

#[test]
fn bad_input_is_a_clear_4xx_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (h, _) = start(dir.path(), None);
    let a = h.addr();
    let bad = |r: Reply| {
        assert_eq!(r.status, 400, "{r:?}");
        assert!(
            r.json()["error"]
                .as_str()
                .unwrap()
                .starts_with("Invalid request parameters"),
            "{r:?}"
        );
    };
    bad(http(
        a,
        "PUT",
        "/new",
        &[],
        r#"{"username": "ann", "password": "pw""#,
    ));
    bad(http(a, "PUT", "/new", &[], r#"["ann", "pw"]"#));
    bad(http(a, "PUT", "/new", &[], "not json"));
    bad(call(
        &h,
        "PUT",
        "/new",
        json!({"username": 5, "password": "pw", "permissions": ""}),
    ));
    bad(call(
        &h,
        "PUT",
        "/new",
        json!({"username": "ann", "password": ["pw"], "permissions": ""}),
    ));
    bad(call(
        &h,
        "PUT",
        "/new",
        json!({"username": "", "password": "pw", "permissions": ""}),
    ));
    bad(call(
        &h,
        "PUT",
        "/new",
        json!({"username": "ann", "password": "x".repeat(1025), "permissions": ""}),
    ));
    bad(call(&h, "GET", "/getuser", json!({"id": "1"})));
    bad(call(&h, "GET", "/getuser", json!({"id": -1})));
    bad(call(&h, "GET", "/getuser", json!({"id": 1.5})));
    bad(http(a, "GET", "/getuser?id=abc", &[], ""));
    bad(call(
        &h,
        "GET",
        "/login",
        json!({"username": "ann", "password": "pw", "lifetime": 0}),
    ));
    assert_eq!(
        call(&h, "GET", "/getusers", json!({})).json(),
        json!([]),
        "nothing was written"
    );

    let huge = json!({"username": "ann", "password": "pw", "permissions": "x".repeat(200_000)});
    assert_eq!(call(&h, "PUT", "/new", huge).status, 413);
    let r = http(a, "GET", "/no/such/route", &[], "");
    assert_error(&r, 404, "Not found");
    let r = http(a, "POST", "/login", &[], "");
    assert_error(&r, 405, "Method not allowed");
    assert_eq!(http(a, "PUT", "/validate", &[], "").status, 405);
    assert_eq!(call(&h, "GET", "/getusers", json!({})).json(), json!([]));
}

#[test]
fn query_strings_bearer_tokens_head_health_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let (h, _) = start(dir.path(), None);
    let a = h.addr();
    assert_eq!(
        http(
            a,
            "PUT",
            "/new?username=ann&password=p%20w&permissions=x",
            &[],
            ""
        )
        .status,
        200
    );
    let r = http(a, "GET", "/login?username=ann&password=p%20w", &[], "");
    assert_eq!(r.status, 200, "{r:?}");
    let token = r.json()["token"].as_str().unwrap().to_owned();
    let auth = format!("Bearer {token}");
    let r = http(a, "GET", "/validate", &[("Authorization", &auth)], "");
    assert_eq!(
        (r.status, r.json()["username"].clone()),
        (200, json!("ann"))
    );
    assert_eq!(
        http(a, "GET", "/getuser?id=1", &[], "").json()["username"],
        "ann"
    );

    let r = http(a, "HEAD", "/validate", &[("Authorization", &auth)], "");
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "", "HEAD has no body");
    assert_eq!(
        http(a, "GET", "/healthz", &[], "").json(),
        json!({"status": "ok"})
    );

    assert_eq!(
        http(a, "DELETE", "/logout", &[("Authorization", &auth)], "").json(),
        json!({"deleted": true})
    );
    let m = http(a, "GET", "/metrics", &[], "");
    assert_eq!(m.status, 200);
    assert!(
        m.body
            .contains(r#"moth_http_requests_total{route="/validate",status="200"} 2"#),
        "{}",
        m.body
    );
    assert!(
        m.body
            .contains(r#"moth_guest_call_duration_seconds_count{op="validate"} 2"#),
        "{}",
        m.body
    );
    assert!(m.body.contains("moth_store_size_bytes "));
    assert!(!m.body.contains(&token), "metrics never show tokens");
}

#[test]
fn admin_key_guards_admin_routes_only() {
    let dir = tempfile::tempdir().unwrap();
    let key = "an-admin-key-of-some-length";
    let (h, _) = start(dir.path(), Some(key));
    let a = h.addr();
    let admin = format!("Bearer {key}");
    let new = json!({"username": "ann", "password": "pw", "permissions": ""}).to_string();
    assert_error(
        &http(a, "PUT", "/new", &[], &new),
        401,
        "Admin key required",
    );
    assert_error(
        &http(
            a,
            "PUT",
            "/new",
            &[("Authorization", "Bearer wrong-key-wrong-key")],
            &new,
        ),
        401,
        "Admin key required",
    );
    assert_eq!(
        http(a, "PUT", "/new", &[("Authorization", &admin)], &new).status,
        200
    );
    assert_eq!(http(a, "GET", "/getusers", &[], "").status, 401);
    assert_eq!(http(a, "GET", "/metrics", &[], "").status, 401);
    assert_eq!(
        http(a, "GET", "/getusers", &[("Authorization", &admin)], "").status,
        200
    );
    // Public routes stay open.
    let login = http(
        a,
        "GET",
        "/login",
        &[],
        r#"{"username":"ann","password":"pw"}"#,
    );
    assert_eq!(login.status, 200);
    let token = login.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(
        http(
            a,
            "GET",
            "/validate",
            &[],
            &json!({"token": token}).to_string()
        )
        .status,
        200
    );
    assert_eq!(
        http(
            a,
            "GET",
            "/passvalid",
            &[],
            r#"{"username":"ann","password":"pw"}"#
        )
        .status,
        200
    );
    assert_eq!(http(a, "GET", "/healthz", &[], "").status, 200);
}

#[test]
fn exposing_admin_routes_needs_a_key_or_an_explicit_opt_in() {
    let open_all = ServerConfig {
        addr: "0.0.0.0:0".parse().unwrap(),
        ..ServerConfig::default()
    };
    assert!(matches!(
        open_all.check(),
        Err(server::ServerError::InsecureBind(_))
    ));
    let keyed = ServerConfig {
        admin_key: Some("k".repeat(16)),
        ..open_all.clone()
    };
    assert!(keyed.check().is_ok());
    let weak = ServerConfig {
        admin_key: Some("short".into()),
        ..open_all.clone()
    };
    assert!(matches!(
        weak.check(),
        Err(server::ServerError::WeakAdminKey)
    ));
    let opted = ServerConfig {
        insecure_open: true,
        ..open_all
    };
    assert!(opted.check().is_ok());
    assert!(
        ServerConfig::default().check().is_ok(),
        "loopback needs no key"
    );
}

#[test]
fn many_clients_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (h, _) = start(dir.path(), None);
    call(
        &h,
        "PUT",
        "/new",
        json!({"username": "ann", "password": "pw", "permissions": ""}),
    );
    let token = call(
        &h,
        "GET",
        "/login",
        json!({"username": "ann", "password": "pw"}),
    )
    .json()["token"]
        .clone();
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for _ in 0..50 {
                    assert_eq!(
                        call(&h, "GET", "/validate", json!({ "token": token })).status,
                        200
                    );
                }
            });
        }
    });
}

#[test]
fn tenants_by_path_prefix_or_header() {
    let dir = tempfile::tempdir().unwrap();
    let key = "an-admin-key-of-some-length";
    let (h, _) = start(dir.path(), Some(key));
    let a = h.addr();
    let admin = format!("Bearer {key}");
    fn with<'a>(admin: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let mut hs = vec![("Authorization", admin)];
        hs.extend_from_slice(extra);
        hs
    }
    let r = http(
        a,
        "PUT",
        "/tenants",
        &with(&admin, &[]),
        r#"{"name":"acme","argon2_memory_kib":8,"argon2_iterations":1,"allow_weak_hashing":true,"min_password_length":1,"refuse_common_passwords":false}"#,
    );
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"tenant": "acme"})),
        "{r:?}"
    );
    assert_eq!(
        http(a, "PUT", "/tenants", &[], r#"{"name":"x"}"#).status,
        401,
        "tenant admin needs the key"
    );
    let r = http(
        a,
        "PUT",
        "/tenants",
        &with(&admin, &[]),
        r#"{"name":"acme"}"#,
    );
    assert_error(&r, 409, "Tenant already exists");
    assert!(
        http(
            a,
            "PUT",
            "/tenants",
            &with(&admin, &[]),
            r#"{"name":"Not OK"}"#
        )
        .status
            == 400
    );
    assert_eq!(
        http(a, "GET", "/tenants", &with(&admin, &[]), "").json(),
        json!(["default", "acme"])
    );

    let ann = r#"{"username":"ann","password":"pw","permissions":"p"}"#;
    assert_eq!(
        http(a, "PUT", "/t/acme/new", &with(&admin, &[]), ann).status,
        200
    );
    assert_eq!(
        http(
            a,
            "PUT",
            "/new",
            &with(&admin, &[("X-Moth-Tenant", "acme")]),
            ann
        )
        .status,
        409,
        "same tenant by header"
    );
    assert_eq!(
        http(a, "PUT", "/new", &with(&admin, &[]), ann).status,
        200,
        "default tenant is separate"
    );
    let login = r#"{"username":"ann","password":"pw"}"#;
    let token = http(a, "GET", "/t/acme/login", &[], login).json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = json!({ "token": token }).to_string();
    assert_eq!(http(a, "GET", "/t/acme/validate", &[], &body).status, 200);
    assert_eq!(
        http(a, "GET", "/validate", &[("X-Moth-Tenant", "acme")], &body).status,
        200
    );
    assert_error(
        &http(a, "GET", "/validate", &[], &body),
        401,
        "Token does not exist",
    );
    assert_error(
        &http(a, "GET", "/t/nope/validate", &[], &body),
        404,
        "Tenant does not exist",
    );
    assert_eq!(
        http(
            a,
            "GET",
            "/t/acme/validate",
            &[("X-Moth-Tenant", "other")],
            &body
        )
        .status,
        400
    );

    let r = http(
        a,
        "DELETE",
        "/tenants",
        &with(&admin, &[]),
        r#"{"name":"acme"}"#,
    );
    assert_eq!((r.status, r.json()), (200, json!({"deleted": true})));
    assert_error(
        &http(a, "GET", "/t/acme/validate", &[], &body),
        404,
        "Tenant does not exist",
    );
    assert_eq!(
        http(a, "GET", "/getusers", &with(&admin, &[]), "")
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_fault_in_the_component_is_a_clear_500_and_the_server_keeps_serving() {
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    let runtime = moth::Runtime::new(&moth::RuntimeOptions {
        component: Some(moth::FAULTY_COMPONENT.into()),
        call_deadline: Duration::from_millis(200),
        ..moth::RuntimeOptions::default()
    })
    .unwrap();
    let moth = moth::Options::new()
        .create(true)
        .runtime(std::sync::Arc::new(runtime))
        .settings(moth_tests::cheap_settings())
        .sweep_interval(None)
        .open(dir.path().join("moth.db"))
        .unwrap();
    let h = server::spawn(
        moth,
        ServerConfig {
            addr: "127.0.0.1:0".parse().unwrap(),
            ..ServerConfig::default()
        },
    )
    .unwrap();
    let r = call(
        &h,
        "PUT",
        "/new",
        json!({"username": "fault-trap", "password": "pw", "permissions": ""}),
    );
    assert_eq!(r.status, 500);
    assert!(
        r.json()["error"]
            .as_str()
            .unwrap()
            .starts_with("component failure"),
        "{r:?}"
    );
    let r = call(
        &h,
        "PUT",
        "/new",
        json!({"username": "fault-loop", "password": "pw", "permissions": ""}),
    );
    assert_eq!(r.status, 500);
    assert!(
        r.json()["error"].as_str().unwrap().contains("deadline"),
        "{r:?}"
    );
    let r = call(
        &h,
        "PUT",
        "/new",
        json!({"username": "ann", "password": "pw", "permissions": ""}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        call(&h, "GET", "/getusers", json!({}))
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
