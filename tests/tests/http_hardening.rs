//! The HTTP API's hardening, through a real server: the host allow-list
//! (DNS rebinding), tenants that must never fall back to `default`, JSON
//! for every error, request ids on 500s, strict UTF-8 in parameters, and
//! writes kept off the async workers.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use moth::server::{self, ServerConfig, ServerHandle};
use moth_tests::{cheap_settings, http, open};
use serde_json::{Value, json};

fn start_with(dir: &std::path::Path, config: ServerConfig) -> ServerHandle {
    let (moth, _) = open(dir);
    server::spawn(
        moth,
        ServerConfig {
            addr: "127.0.0.1:0".parse().unwrap(),
            ..config
        },
    )
    .unwrap()
}

fn start(dir: &std::path::Path) -> ServerHandle {
    start_with(dir, ServerConfig::default())
}

/// A response, read to the end of the connection.
#[derive(Debug)]
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Raw {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `{"error": message}` with `status`, as JSON.
    fn is_error(&self, status: u16, message: &str) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "{self:?}"
        );
        assert_eq!(self.json(), json!({ "error": message }), "{self:?}");
    }
}

/// Send `request` as is and read the whole reply.
fn raw(addr: SocketAddr, request: &[u8]) -> Raw {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(request).unwrap();
    let mut bytes = Vec::new();
    s.read_to_end(&mut bytes).unwrap();
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no head: {:?}", String::from_utf8_lossy(&bytes)));
    let head = String::from_utf8(bytes[..end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Raw {
        status,
        headers,
        body: bytes[end + 4..].to_vec(),
    }
}

/// A request with exactly these header lines (no Host unless given).
fn request(method: &str, target: &str, headers: &[&str], body: &str) -> Vec<u8> {
    let mut req = format!("{method} {target} HTTP/1.1\r\nConnection: close\r\n");
    for h in headers {
        req.push_str(h);
        req.push_str("\r\n");
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    req.into_bytes()
}

fn host(addr: SocketAddr) -> String {
    format!("Host: {addr}")
}

// Finding 5: DNS rebinding.

#[test]
fn requests_for_other_hosts_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let h = start(dir.path());
    let a = h.addr();
    let ann = r#"{"username":"ann","password":"pw","permissions":""}"#;
    for (path, method, body) in [
        ("/healthz", "GET", ""),
        ("/getusers", "GET", ""),
        ("/new", "PUT", ann),
        ("/passvalid", "GET", r#"{"username":"ann","password":"pw"}"#),
        ("/no/such/route", "GET", ""),
    ] {
        for bad in [
            "Host: evil.example",
            "Host: evil.example:8080",
            "Host: localhost.evil.example",
            "Host: ",
        ] {
            raw(a, &request(method, path, &[bad], body)).is_error(403, "Host not allowed");
        }
        // No Host at all, or two.
        raw(a, &request(method, path, &[], body)).is_error(403, "Host not allowed");
        raw(
            a,
            &request(method, path, &[&host(a), "Host: evil.example"], body),
        )
        .is_error(403, "Host not allowed");
    }
    assert_eq!(
        raw(a, &request("GET", "/getusers", &[&host(a)], "")).json(),
        json!([]),
        "nothing was written"
    );
    for good in [
        host(a),
        "Host: localhost".into(),
        "Host: LocalHost:1234".into(),
        "Host: 127.0.0.1".into(),
        "Host: [::1]:8080".into(),
    ] {
        let r = raw(a, &request("GET", "/healthz", &[&good], ""));
        assert_eq!(r.status, 200, "{good}: {r:?}");
    }
}

#[test]
fn browser_requests_from_other_origins_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let h = start(dir.path());
    let a = h.addr();
    let ann = r#"{"username":"ann","password":"pw","permissions":""}"#;
    for bad in [
        "Origin: http://evil.example",
        "Origin: https://evil.example:8080",
        "Origin: null",
        "Origin: http://localhost.evil.example",
    ] {
        raw(a, &request("PUT", "/new", &[&host(a), bad], ann)).is_error(403, "Origin not allowed");
    }
    assert_eq!(
        raw(a, &request("GET", "/getusers", &[&host(a)], "")).json(),
        json!([])
    );
    for good in [
        format!("Origin: http://{a}"),
        "Origin: http://localhost:3000".into(),
    ] {
        let r = raw(a, &request("GET", "/healthz", &[&host(a), &good], ""));
        assert_eq!(r.status, 200, "{good}: {r:?}");
    }
}

#[test]
fn allowed_hosts_are_configurable_and_checked_with_an_admin_key_too() {
    let dir = tempfile::tempdir().unwrap();
    let key = "an-admin-key-of-some-length";
    let h = start_with(
        dir.path(),
        ServerConfig {
            admin_key: Some(key.into()),
            allow_hosts: vec!["moth.internal".into()],
            ..ServerConfig::default()
        },
    );
    let a = h.addr();
    let auth = format!("Authorization: Bearer {key}");
    let ok = raw(
        a,
        &request(
            "GET",
            "/getusers",
            &[
                "Host: moth.internal:8080",
                "Origin: https://moth.internal",
                &auth,
            ],
            "",
        ),
    );
    assert_eq!((ok.status, ok.json()), (200, json!([])), "{ok:?}");
    raw(
        a,
        &request("GET", "/getusers", &["Host: evil.example", &auth], ""),
    )
    .is_error(403, "Host not allowed");
    raw(
        a,
        &request(
            "GET",
            "/passvalid?username=a&password=b",
            &["Host: evil.example"],
            "",
        ),
    )
    .is_error(403, "Host not allowed");
    let bad = ServerConfig {
        allow_hosts: vec!["moth.internal:8080".into()],
        ..ServerConfig::default()
    };
    assert!(matches!(
        bad.check(),
        Err(server::ServerError::InvalidConfig(_))
    ));
}

// Finding 9: a tenant named but undecodable, invalid or unknown is refused,
// never served as `default`.

#[test]
fn a_tenant_that_does_not_decode_is_refused_not_replaced_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let h = start(dir.path());
    let a = h.addr();
    let ann = r#"{"username":"ann","password":"old","permissions":""}"#;
    assert_eq!(http(a, "PUT", "/new", &[], ann).status, 200);

    let r = raw(a, &request("GET", "/t/%ff/getusers", &[&host(a)], ""));
    assert_eq!(r.status, 400, "{r:?}");
    assert!(
        r.json()["error"].as_str().unwrap().contains("tenant"),
        "{r:?}"
    );
    for path in ["/t/%c3%28/setpass", "/t/%ff/setpass", "/t/%80/setpass"] {
        let r = raw(
            a,
            &request("PATCH", path, &[&host(a)], r#"{"id":1,"password":"new"}"#),
        );
        assert_eq!(r.status, 400, "{path}: {r:?}");
    }
    // Invalid or unknown names, in the path or the header.
    for path in [
        "/t/Not%20OK/getusers",
        "/t/a%2fb/getusers",
        "/t/../getusers",
        "/t/nope/getusers",
    ] {
        let r = raw(a, &request("GET", path, &[&host(a)], ""));
        assert!(
            matches!(r.status, 400 | 404) && r.json()["error"].is_string(),
            "{path}: {r:?}"
        );
    }
    for header in [
        "X-Moth-Tenant: ",
        "X-Moth-Tenant: %ff",
        "X-Moth-Tenant: nope",
        "X-Moth-Tenant: Not OK",
    ] {
        let r = raw(
            a,
            &request(
                "PATCH",
                "/setpass",
                &[&host(a), header],
                r#"{"id":1,"password":"new"}"#,
            ),
        );
        assert!(matches!(r.status, 400 | 404), "{header}: {r:?}");
    }
    let mut non_text = request(
        "PATCH",
        "/setpass",
        &[&host(a)],
        r#"{"id":1,"password":"new"}"#,
    );
    let at = non_text.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
    non_text.splice(at..at, b"X-Moth-Tenant: \xff\xfe\r\n".iter().copied());
    assert_eq!(raw(a, &non_text).status, 400);
    // Two tenant headers, even if one is `default`.
    let r = raw(
        a,
        &request(
            "PATCH",
            "/setpass",
            &[&host(a), "X-Moth-Tenant: default", "X-Moth-Tenant: nope"],
            r#"{"id":1,"password":"new"}"#,
        ),
    );
    assert_eq!(r.status, 400, "{r:?}");

    // The default tenant's user is untouched.
    let check = http(
        a,
        "GET",
        "/passvalid",
        &[],
        r#"{"username":"ann","password":"old"}"#,
    );
    assert_eq!(check.json(), json!({"valid": true}), "{check:?}");
    assert_eq!(
        http(a, "GET", "/t/default/getusers", &[], "").json()[0]["username"],
        "ann"
    );
}

// Finding 10: every error is JSON, the framework's included.

#[test]
fn every_error_is_json_including_the_frameworks() {
    let dir = tempfile::tempdir().unwrap();
    let h = start(dir.path());
    let a = h.addr();
    let huge = format!(
        r#"{{"username":"ann","password":"pw","permissions":"{}"}}"#,
        "x".repeat(200_000)
    );
    raw(a, &request("PUT", "/new", &[&host(a)], &huge)).is_error(413, "Request body too large");
    raw(a, &request("GET", "/nope", &[&host(a)], "")).is_error(404, "Not found");
    raw(a, &request("POST", "/login", &[&host(a)], "")).is_error(405, "Method not allowed");
    // What hyper refuses before any route sees it.
    raw(a, b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
        .is_error(400, "Malformed HTTP request");
    raw(a, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n")
        .is_error(400, "Malformed HTTP request");
    raw(
        a,
        format!(
            "GET /healthz HTTP/1.1\r\nHost: {a}\r\nX-Big: {}\r\n\r\n",
            "b".repeat(80 * 1024)
        )
        .as_bytes(),
    )
    .is_error(431, "Request headers too large");
    // A chunked body that is not chunked.
    raw(
        a,
        format!("PUT /new HTTP/1.1\r\nHost: {a}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{{}}\r\n0\r\n\r\n")
            .as_bytes(),
    )
    .is_error(400, "Invalid request parameters: the request body could not be read");
    // HEAD of an error: no body, but the JSON's headers.
    let head = http(a, "HEAD", "/getuser?id=9", &[], "");
    assert_eq!(head.status, 401);
    assert_eq!(head.header("content-type"), Some("application/json"));
}

// Finding 11: opaque 500s with a request id; no lossy UTF-8.

#[test]
fn a_500_is_opaque_and_carries_the_request_id_of_its_log() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = moth::Runtime::new(&moth::RuntimeOptions {
        component: Some(moth::FAULTY_COMPONENT.into()),
        ..moth::RuntimeOptions::default()
    })
    .unwrap();
    let moth = moth::Options::new()
        .create(true)
        .runtime(std::sync::Arc::new(runtime))
        .settings(cheap_settings())
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
    let r = http(
        h.addr(),
        "PUT",
        "/new",
        &[],
        r#"{"username":"fault-trap","password":"pw","permissions":""}"#,
    );
    assert_eq!(r.status, 500, "{r:?}");
    let body = r.json();
    let id = body["request_id"]
        .as_str()
        .expect("a request id")
        .to_owned();
    assert!(!id.is_empty());
    assert_eq!(r.header("x-request-id"), Some(id.as_str()));
    assert_eq!(
        body.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["error", "request_id"]
    );
    let text = body["error"].as_str().unwrap().to_lowercase();
    for leak in ["wasm", "unreachable", "backtrace", "trap", "0x"] {
        assert!(!text.contains(leak), "{leak} in {text:?}");
    }
    // Every response has an id, and no two are alike.
    let one = http(h.addr(), "GET", "/healthz", &[], "");
    let two = http(h.addr(), "GET", "/healthz", &[], "");
    let (one, two) = (one.header("x-request-id"), two.header("x-request-id"));
    assert!(one.is_some() && one != two && one != Some(id.as_str()));
    // 4xx bodies stay MOTH's: no id in them.
    let r = http(h.addr(), "GET", "/getuser?id=9", &[], "");
    assert_eq!(r.json(), json!({"error": "User does not exist"}));
}

#[test]
fn parameters_that_are_not_utf8_are_refused_not_decoded_lossily() {
    let dir = tempfile::tempdir().unwrap();
    let h = start(dir.path());
    let a = h.addr();
    // A password that is the replacement character, which a lossy decoder
    // would make of any invalid byte.
    let r = http(
        a,
        "PUT",
        "/new?username=ann&password=%EF%BF%BD&permissions=",
        &[],
        "",
    );
    assert_eq!(r.status, 200, "{r:?}");
    for target in [
        "/login?username=ann&password=%FF",
        "/login?username=ann&password=%FE",
        "/passvalid?username=ann&password=%C0%AF",
        "/login?username=%ff&password=x",
        "/validate?token=moth_%ED%A0%80",
    ] {
        let r = raw(a, &request("GET", target, &[&host(a)], ""));
        r.is_error(
            400,
            "Invalid request parameters: the query string does not decode to UTF-8",
        );
    }
    // Invalid UTF-8, overlong forms and lone surrogates in JSON bodies.
    for body in [
        &b"{\"username\":\"ann\",\"password\":\"\xff\"}"[..],
        b"{\"username\":\"ann\",\"password\":\"\xc0\xaf\"}",
        b"{\"username\":\"ann\",\"password\":\"\\ud800\"}",
    ] {
        let mut req = format!(
            "GET /login HTTP/1.1\r\nHost: {a}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        req.extend_from_slice(body);
        let r = raw(a, &req);
        assert_eq!(r.status, 400, "{r:?}");
        assert!(
            r.json()["error"]
                .as_str()
                .unwrap()
                .starts_with("Invalid request parameters"),
            "{r:?}"
        );
    }
    // A key given twice is refused, not resolved.
    let r = http(
        a,
        "GET",
        "/login",
        &[],
        r#"{"username":"ann","password":"x","password":"\ufffd"}"#,
    );
    assert_eq!(r.status, 400, "{r:?}");
    // The real password still works.
    let r = http(a, "GET", "/login?username=ann&password=%EF%BF%BD", &[], "");
    assert_eq!(r.status, 200, "{r:?}");
}

// Finding 6: calls that write run on the blocking pool.

#[test]
fn calls_that_write_run_off_the_async_workers() {
    let dir = tempfile::tempdir().unwrap();
    let h = start(dir.path());
    let a = h.addr();
    let ann = r#"{"username":"ann","password":"pw","permissions":""}"#;
    assert_eq!(http(a, "PUT", "/new", &[], ann).status, 200);
    let token = http(
        a,
        "GET",
        "/login",
        &[],
        r#"{"username":"ann","password":"pw"}"#,
    )
    .json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let bearer = format!("Bearer {token}");
    for _ in 0..5 {
        assert_eq!(
            http(a, "GET", "/validate", &[("Authorization", &bearer)], "").status,
            200
        );
    }
    assert_eq!(http(a, "GET", "/getuser?id=1", &[], "").status, 200);
    assert_eq!(http(a, "GET", "/gettokens?id=1", &[], "").status, 200);
    for i in 0..5 {
        let body = json!({"id": 1, "permissions": format!("p{i}")}).to_string();
        assert_eq!(http(a, "PATCH", "/setperms", &[], &body).status, 200);
    }
    assert_eq!(
        http(a, "DELETE", "/logout", &[("Authorization", &bearer)], "").status,
        200
    );
    let m = http(a, "GET", "/metrics", &[], "").body;
    let line = |op: &str, on: &str| format!("moth_http_calls_total{{op=\"{op}\",on=\"{on}\"}}");
    for op in ["logout", "set_permissions", "create_user", "login"] {
        assert!(m.contains(&line(op, "blocking")), "{op} not blocking:\n{m}");
        assert!(!m.contains(&line(op, "inline")), "{op} ran inline:\n{m}");
    }
    assert!(m.contains(&line("validate", "inline")), "{m}");
    assert!(m.contains(&line("get_user", "inline")), "{m}");
}
