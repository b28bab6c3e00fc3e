//! A bounded black-box fuzz of the HTTP API, run in CI.
//!
//! A real server with seeded users, tokens and tenants gets a seeded,
//! deterministic mix of adversarial requests: malformed JSON, wrong types,
//! duplicate keys, %-escapes that do not decode, invalid and overlong
//! UTF-8, lone surrogates, odd query strings and paths (`/t/…` with odd
//! names, `..`, `%2f`), tenant, Host, Origin and Authorization headers,
//! valid-looking and multibyte tokens, huge values, and raw malformed
//! HTTP over TCP. Every answer must be a 4xx or a 2xx (a 5xx only as 503
//! under overload), every error `{"error": …}` JSON, the server must stay
//! up, and afterwards the seeded users, tokens and tenants must be exactly
//! as they were.
//!
//! Requests that carry the real admin key only ever carry parameters that
//! cannot succeed (malformed, or naming users and tenants that do not
//! exist), so any change to the seeded data is a bug, not a lucky request.
//! `MOTH_FUZZ_SEED` and `MOTH_FUZZ_CASES` (per thread) change the run.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use moth::server::{self, ServerConfig};
use moth::{Moth, User};
use moth_tests::{cheap_settings, open};
use serde_json::{Value, json};

const ADMIN_KEY: &str = "fuzz-admin-key-0123456789";
const THREADS: u64 = 4;

/// splitmix64: small, seeded, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len())]
    }

    /// Up to `max` random bytes.
    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let n = self.below(max + 1);
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// What the fuzz knows: the seeded tokens (to mutate, never to send as
/// they are) and the server's address.
struct World {
    addr: SocketAddr,
    tokens: Vec<String>,
}

const ROUTES: &[(&str, &str)] = &[
    ("GET", "/login"),
    ("GET", "/validate"),
    ("GET", "/passvalid"),
    ("DELETE", "/logout"),
    ("PUT", "/new"),
    ("DELETE", "/del"),
    ("PATCH", "/setpass"),
    ("PATCH", "/setperms"),
    ("GET", "/gettokens"),
    ("GET", "/getusers"),
    ("GET", "/getuser"),
    ("DELETE", "/deltokens"),
    ("GET", "/healthz"),
    ("GET", "/metrics"),
    ("GET", "/tenants"),
    ("PUT", "/tenants"),
    ("DELETE", "/tenants"),
];

const FIELDS: &[&str] = &[
    "username",
    "password",
    "permissions",
    "id",
    "token",
    "after",
    "limit",
    "lifetime",
    "name",
    "argon2_memory_kib",
    "argon2_iterations",
    "token_lifetime",
];

/// Routes that change data when they succeed.
fn writes(path: &str) -> bool {
    let route = path.rsplit('/').next().unwrap_or("");
    matches!(
        route,
        "new" | "del" | "setpass" | "setperms" | "deltokens" | "tenants" | "logout"
    )
}

/// A token that is not any seeded token, however the server reads it.
fn fake_token(rng: &mut Rng, world: &World) -> String {
    let seeded = &world.tokens[rng.below(world.tokens.len())];
    let mut t = match rng.below(9) {
        0 => format!("{seeded}x"),
        1 => seeded[..seeded.len() - 1].to_owned(),
        2 => seeded.replacen("moth_", "MOTH_", 1),
        3 => {
            let mut chars: Vec<char> = seeded.chars().collect();
            let i = 5 + rng.below(chars.len() - 5);
            chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
            chars.into_iter().collect()
        }
        4 => seeded.replacen('A', "é", 1) + "é",
        5 => format!("moth_{}", "A".repeat(43 + rng.below(3))),
        6 => format!("moth_{}abcdef", "😀".repeat(11)),
        7 => "moth_".repeat(1 + rng.below(2000)),
        _ => String::from_utf8_lossy(&rng.bytes(80)).into_owned(),
    };
    if world.tokens.iter().any(|s| t.trim() == s.as_str()) {
        t.push('!');
    }
    t
}

/// A JSON value of any type, often the wrong one.
fn any_value(rng: &mut Rng, world: &World, depth: usize) -> Value {
    match rng.below(if depth > 2 { 10 } else { 13 }) {
        0 => Value::Null,
        1 => json!(rng.chance(50)),
        2 => json!(rng.next() as i64),
        3 => json!(rng.pick(&[&-1i64, &0, &1, &2, &3, &999_999_999])),
        4 => json!(rng.next() as f64 / 7.0),
        5 => json!(rng.pick(&["", "ann", "bob", "carol", "admin", "pw"])),
        6 => json!(rng.pick(&["é", "😀", "\u{0}", "\u{fffd}", "a\u{202e}b", "\u{feff}"])),
        7 => json!(fake_token(rng, world)),
        8 => json!("x".repeat(rng.below(3) * 40_000 + rng.below(2000))),
        9 => json!(String::from_utf8_lossy(&rng.bytes(40))),
        10 => json!([any_value(rng, world, depth + 1)]),
        11 => json!({ "id": any_value(rng, world, depth + 1) }),
        _ => json!(u64::MAX),
    }
}

/// A value for `field` that cannot make a write with the admin key
/// succeed: ids of no user, names of no tenant, or the wrong type.
fn harmless_value(rng: &mut Rng, field: &str) -> Value {
    match field {
        "id" | "after" => match rng.below(4) {
            0 => json!(1_000_000_000u64 + rng.below(1000) as u64),
            1 => json!(-1),
            // A string, which JSON refuses; in a query string, not a number.
            2 => json!("1x"),
            _ => json!(1.5),
        },
        // Invalid names: PUT /tenants must not create, nor DELETE delete.
        "name" => json!(rng.pick(&["", "Not OK", "-x", "a/b", "..", "é", "default!", "ACME"])),
        // An empty username cannot be created.
        "username" => json!(rng.pick(&["", "\u{0}"])),
        _ => json!(rng.pick(&["x", "", "é"])),
    }
}

/// Percent-encode every byte, or leave the text as is.
fn encode(rng: &mut Rng, text: &str) -> String {
    if rng.chance(50) {
        text.bytes().map(|b| format!("%{b:02X}")).collect()
    } else {
        text.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02x}")
                }
            })
            .collect()
    }
}

/// A query string: fields with odd values and odd escapes.
fn query(rng: &mut Rng, world: &World, harmless: bool) -> String {
    let mut parts = Vec::new();
    for _ in 0..rng.below(5) {
        let field = rng.pick(FIELDS);
        let value = if harmless {
            match harmless_value(rng, field) {
                Value::String(s) => encode(rng, &s),
                v => v.to_string(),
            }
        } else {
            match rng.below(10) {
                0 => rng
                    .pick(&["%FF", "%FE", "%C0%AF", "%ED%A0%80", "%C3", "%F4%90%80%80"])
                    .to_owned(),
                1 => rng
                    .pick(&["%", "%z", "%zz", "+", "%2", "&", "=", "=="])
                    .to_owned(),
                2 => rng
                    .pick(&["-1", "1e3", "0x10", "18446744073709551616", " 1", "1.0", ""])
                    .to_owned(),
                3 => {
                    let token = fake_token(rng, world);
                    encode(rng, &token)
                }
                4 => {
                    let text = rng.pick(&["é", "😀", "\u{0}", "a b", "ann"]);
                    encode(rng, text)
                }
                5 => "a".repeat(rng.below(20_000)),
                _ => match any_value(rng, world, 0) {
                    Value::String(s) => encode(rng, &s),
                    v => encode(rng, &v.to_string()),
                },
            }
        };
        parts.push(format!("{field}={value}"));
    }
    if rng.chance(10) {
        parts.push(String::from_utf8_lossy(&rng.bytes(8)).replace(['#', ' ', '\r', '\n'], ""));
    }
    parts.join("&")
}

/// A body: a JSON object (sometimes malformed), or not JSON at all.
fn body(rng: &mut Rng, world: &World, harmless: bool) -> Vec<u8> {
    let mut map = serde_json::Map::new();
    for _ in 0..rng.below(6) {
        let field = rng.pick(FIELDS);
        let value = if harmless {
            harmless_value(rng, field)
        } else {
            any_value(rng, world, 0)
        };
        map.insert(field.to_owned(), value);
    }
    let text = Value::Object(map).to_string();
    let mut bytes = text.clone().into_bytes();
    match rng.below(if harmless { 10 } else { 16 }) {
        // Always invalid, so harmless with any key.
        0 => bytes.truncate(rng.below(bytes.len().max(1))),
        1 => bytes.extend_from_slice(b"garbage"),
        2 => bytes = format!("[{text}]").into_bytes(),
        3 => bytes = b"{\"id\":1,\"id\":2}".to_vec(),
        4 => bytes
            .splice(1..1, b"\"k\":\"\xff\xfe\",".iter().copied())
            .for_each(drop),
        5 => bytes
            .splice(1..1, b"\"k\":\"\xc0\xaf\",".iter().copied())
            .for_each(drop),
        6 => bytes = format!("{}1{}", "{\"a\":".repeat(300), "}".repeat(300)).into_bytes(),
        7 => bytes = format!("\u{feff}{text}").into_bytes(),
        8 => bytes = b"{\"password\":\"\\ud800\",\"username\":\"ann\"}".to_vec(),
        // May be valid: not with the admin key.
        9 if !harmless => bytes = rng.bytes(200),
        10 if !harmless => {
            bytes = format!("{{\"permissions\":\"{}\"}}", "p".repeat(100_000)).into_bytes()
        }
        11 if !harmless => bytes.clear(),
        _ => {}
    }
    bytes
}

/// One HTTP request of the fuzz, and whether it is HEAD (no body back).
fn case(rng: &mut Rng, world: &World) -> (Vec<u8>, bool) {
    let with_key = rng.chance(30);
    let (mut method, mut path) = {
        let (m, p) = ROUTES[rng.below(ROUTES.len())];
        (m.to_owned(), p.to_owned())
    };
    if rng.chance(10) {
        method = rng
            .pick(&[
                "GET", "PUT", "PATCH", "DELETE", "POST", "HEAD", "OPTIONS", "get", "BREW", "TRACE",
            ])
            .to_owned();
    }
    // A write with the admin key gets only parameters that cannot work.
    let harmless = with_key && (writes(&path) || method != "GET");
    let tenant_prefix = match rng.below(12) {
        0 => "/t/acme",
        1 => "/t/default",
        2 => "/t/%ff",
        3 => "/t/%c3%28",
        4 => "/t/..",
        5 => "/t/%2e%2e",
        6 => "/t/a%2fb",
        7 => "/t/ACME",
        8 => "/t/nope",
        9 => "/t/%00",
        _ => "",
    };
    path = format!("{tenant_prefix}{path}");
    if rng.chance(8) {
        path = rng
            .pick(&[
                "//login",
                "/login/",
                "/%6cogin",
                "/./login",
                "/../login",
                "/login%00",
                "/t/acme/t/acme/login",
                "/t//login",
                "/t/",
                "*",
                "/%ZZ",
            ])
            .to_owned();
    }
    if rng.chance(40) {
        path = format!("{path}?{}", query(rng, world, harmless));
    }
    let mut headers = vec![match rng.below(20) {
        0 => "Host: evil.example".to_owned(),
        1 => "Host: localhost.".to_owned(),
        2 => "Host: [::1]:1".to_owned(),
        _ => format!("Host: {}", world.addr),
    }];
    if rng.chance(15) {
        headers.push(
            rng.pick(&[
                "X-Moth-Tenant: acme",
                "X-Moth-Tenant: default",
                "X-Moth-Tenant: ",
                "X-Moth-Tenant: Nope",
                "X-Moth-Tenant: %ff",
                "X-Moth-Tenant: ../default",
            ])
            .to_owned(),
        );
    }
    if rng.chance(5) {
        headers.push(
            rng.pick(&[
                "Origin: http://evil.example",
                "Origin: null",
                "Origin: http://localhost:1",
            ])
            .to_owned(),
        );
    }
    if with_key {
        headers.push(format!("Authorization: Bearer {ADMIN_KEY}"));
    } else if rng.chance(40) {
        let token = fake_token(rng, world);
        let value = match rng.below(5) {
            0 => format!("Bearer {ADMIN_KEY}x"),
            1 => "Basic YW5uOnB3".to_owned(),
            2 => "Bearer".to_owned(),
            _ => format!("Bearer {token}"),
        };
        if value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            headers.push(format!("Authorization: {value}"));
        }
    }
    if rng.chance(20) {
        headers.push(
            rng.pick(&[
                "Content-Type: text/plain",
                "Content-Type: application/json; charset=latin1",
                "Content-Type: application/x-www-form-urlencoded",
            ])
            .to_owned(),
        );
    }
    let body = if rng.chance(60) {
        body(rng, world, harmless)
    } else {
        Vec::new()
    };
    let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n").into_bytes();
    for h in headers {
        req.extend_from_slice(h.as_bytes());
        req.extend_from_slice(b"\r\n");
    }
    if rng.chance(10) && !body.is_empty() {
        req.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
        for chunk in body.chunks(1 + rng.below(100)) {
            req.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            req.extend_from_slice(chunk);
            req.extend_from_slice(b"\r\n");
        }
        req.extend_from_slice(b"0\r\n\r\n");
    } else {
        req.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
        req.extend_from_slice(&body);
    }
    (req, method == "HEAD")
}

/// Raw bytes that are not quite HTTP.
fn malformed(rng: &mut Rng, world: &World) -> Vec<u8> {
    let a = world.addr;
    match rng.below(16) {
        0 => rng.bytes(300),
        1 => b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n".to_vec(),
        2 => format!("GET /healthz HTTP/1.1\r\nHost: {a}\r\nBad Header\r\n\r\n").into_bytes(),
        3 => format!("GET /healthz HTTP/1.1\r\nHost: {a}\r\n folded: x\r\n\r\n").into_bytes(),
        4 => format!("GET /{} HTTP/1.1\r\nHost: {a}\r\n\r\n", "a".repeat(70_000)).into_bytes(),
        5 => {
            let mut r = format!("GET /healthz HTTP/1.1\r\nHost: {a}\r\n");
            for i in 0..150 {
                r.push_str(&format!("X-{i}: {i}\r\n"));
            }
            (r + "\r\n").into_bytes()
        }
        6 => format!("PUT /new HTTP/1.1\r\nHost: {a}\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n{{}}").into_bytes(),
        7 => format!("PUT /new HTTP/1.1\r\nHost: {a}\r\nContent-Length: -1\r\n\r\n").into_bytes(),
        8 => format!("PUT /new HTTP/1.1\r\nHost: {a}\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n").into_bytes(),
        9 => format!("PUT /new HTTP/1.1\r\nHost: {a}\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nx\r\n").into_bytes(),
        10 => format!("GET /healthz HTTP/1.1\r\nHost: {a}\r\n\r\nGET /healthz HTTP/1.1\r\nHost: {a}\r\n\r\n\x00\x01garbage\r\n\r\n").into_bytes(),
        11 => b"GET /healthz HTTP/1.0\r\n\r\n".to_vec(),
        12 => b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec(),
        13 => format!("GET /healthz HTTP/1.1\r\nHost: {a}\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n").into_bytes(),
        14 => format!("GET /h\u{e9}althz HTTP/1.1\r\nHost: {a}\r\n\r\n").into_bytes(),
        _ => {
            let mut good = format!("GET /healthz HTTP/1.1\r\nHost: {a}\r\n\r\n").into_bytes();
            let i = rng.below(good.len());
            good[i] = rng.next() as u8;
            good.truncate(i + 1 + rng.below(good.len() - i));
            good
        }
    }
}

/// Every response in `bytes`, checked: no 5xx but 503, errors are JSON.
fn check_replies(bytes: &[u8], head: bool, what: &dyn Fn() -> String) -> Vec<u16> {
    let mut rest = bytes;
    let mut statuses = Vec::new();
    while !rest.is_empty() {
        let end = rest
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| {
                panic!(
                    "a reply without a head: {:?} to {}",
                    String::from_utf8_lossy(rest),
                    what()
                )
            });
        let head_text = String::from_utf8_lossy(&rest[..end]);
        let mut lines = head_text.split("\r\n");
        let status: u16 = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line in {head_text:?} to {}", what()));
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let header = |n: &str| {
            headers
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.as_str())
        };
        let len: usize = header("content-length").map_or(0, |v| v.parse().unwrap());
        // A HEAD answer has no body, unless the request was refused
        // before it was parsed (and so not known to be HEAD).
        let body_len = if head && rest.len() - (end + 4) < len {
            0
        } else {
            len
        };
        let head = head && body_len == 0;
        let body = &rest[end + 4..(end + 4 + body_len).min(rest.len())];
        assert!(
            status < 500 || status == 503,
            "{status} {:?} to {}",
            String::from_utf8_lossy(body),
            what()
        );
        if status >= 400 {
            assert_eq!(
                header("content-type"),
                Some("application/json"),
                "{head_text} to {}",
                what()
            );
            if !head {
                let v: Value = serde_json::from_slice(body).unwrap_or_else(|e| {
                    panic!(
                        "error not JSON ({e}): {:?} to {}",
                        String::from_utf8_lossy(body),
                        what()
                    )
                });
                assert!(v["error"].is_string(), "{v} to {}", what());
            }
        }
        rest = &rest[(end + 4 + body_len).min(rest.len())..];
        statuses.push(status);
    }
    statuses
}

/// Send `req`, optionally close our side, and read until the server closes.
fn exchange(addr: SocketAddr, req: &[u8], half_close: bool) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).expect("the server accepts connections");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    // The server may refuse and close before reading all of a big request.
    let _ = s.write_all(req);
    if half_close {
        let _ = s.shutdown(Shutdown::Write);
    }
    let mut out = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            Err(e) => panic!(
                "no end to the reply ({e}): {:?}",
                String::from_utf8_lossy(&out)
            ),
        }
    }
    out
}

fn printable(req: &[u8]) -> String {
    let text = String::from_utf8_lossy(req);
    if text.len() > 600 {
        let start: String = text.chars().take(600).collect();
        format!("{start}… ({} bytes)", req.len())
    } else {
        text.into_owned()
    }
}

fn healthy(addr: SocketAddr) {
    let reply = exchange(
        addr,
        format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
        false,
    );
    assert!(
        reply.starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&reply)
    );
}

struct Seeded {
    users: Vec<(String, Vec<User>)>,
    tokens: Vec<(String, String, u64)>,
    tenants: Vec<String>,
}

fn seed(moth: &Moth) -> Seeded {
    let acme = moth.create_tenant("acme", Some(cheap_settings())).unwrap();
    let password = "a seeded password the fuzz never sends";
    let mut tokens = Vec::new();
    for (tenant, handle, names) in [
        ("default", moth, &["ann", "bob", "dave"][..]),
        ("acme", &acme, &["carol", "ann"][..]),
    ] {
        for name in names {
            let u = handle.create_user(name, password, "perm").unwrap();
            for _ in 0..2 {
                let s = handle.login(name, password, None).unwrap();
                tokens.push((tenant.to_owned(), s.token, u.id));
            }
        }
    }
    let users = vec![
        ("default".to_owned(), moth.all_users().unwrap()),
        ("acme".to_owned(), acme.all_users().unwrap()),
    ];
    Seeded {
        users,
        tokens,
        tenants: moth.tenants().unwrap(),
    }
}

fn unchanged(moth: &Moth, seeded: &Seeded) {
    assert_eq!(moth.tenants().unwrap(), seeded.tenants);
    for (tenant, users) in &seeded.users {
        assert_eq!(
            &moth.tenant(tenant).unwrap().all_users().unwrap(),
            users,
            "{tenant}"
        );
    }
    for (tenant, token, id) in &seeded.tokens {
        let v = moth.tenant(tenant).unwrap().validate(token);
        assert_eq!(
            v.map(|v| v.user.id).ok(),
            Some(*id),
            "a seeded token of {tenant} stopped working"
        );
    }
}

#[test]
fn adversarial_requests_get_json_4xx_and_change_nothing() {
    let started = Instant::now();
    let seed_value: u64 = std::env::var("MOTH_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x6d6f_7468);
    let cases: usize = std::env::var("MOTH_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4000);
    let dir = tempfile::tempdir().unwrap();
    let (moth, _clock) = open(dir.path());
    let seeded = seed(&moth);
    let h = server::spawn(
        moth.clone(),
        ServerConfig {
            addr: "127.0.0.1:0".parse().unwrap(),
            admin_key: Some(ADMIN_KEY.into()),
            header_timeout: Duration::from_secs(1),
            body_timeout: Duration::from_secs(1),
            idle_timeout: Duration::from_secs(2),
            max_connections: 64,
            ..ServerConfig::default()
        },
    )
    .unwrap();
    let world = World {
        addr: h.addr(),
        tokens: seeded.tokens.iter().map(|(_, t, _)| t.clone()).collect(),
    };
    println!("seed {seed_value}, {cases} cases per thread, {THREADS} threads");

    let statuses: Vec<u16> = std::thread::scope(|s| {
        let world = &world;
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                s.spawn(move || {
                    let mut rng = Rng(seed_value ^ (t << 32));
                    let mut statuses = Vec::new();
                    for i in 0..cases {
                        if rng.chance(12) {
                            let req = malformed(&mut rng, world);
                            let bytes = exchange(world.addr, &req, true);
                            statuses.extend(check_replies(&bytes, false, &|| {
                                format!("malformed case {t}/{i}: {}", printable(&req))
                            }));
                        } else {
                            let (req, head) = case(&mut rng, world);
                            let bytes = exchange(world.addr, &req, false);
                            let n = check_replies(&bytes, head, &|| {
                                format!("case {t}/{i}: {}", printable(&req))
                            });
                            assert_eq!(
                                n.len(),
                                1,
                                "one reply to case {t}/{i}: {}",
                                printable(&req)
                            );
                            statuses.extend(n);
                        }
                        if i % 200 == 0 {
                            healthy(world.addr);
                        }
                    }
                    statuses
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });

    // Slow clients: half a head, and half a body, each left hanging.
    let slow: Vec<TcpStream> = (0..20)
        .map(|i| {
            let mut s = TcpStream::connect(world.addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let part = if i % 2 == 0 {
                format!("GET /healthz HTTP/1.1\r\nHost: {}\r\nX-", world.addr)
            } else {
                format!(
                    "GET /login HTTP/1.1\r\nHost: {}\r\nContent-Length: 50\r\n\r\n{{\"us",
                    world.addr
                )
            };
            s.write_all(part.as_bytes()).unwrap();
            s
        })
        .collect();
    for mut s in slow {
        let mut bytes = Vec::new();
        let _ = s.read_to_end(&mut bytes);
        check_replies(&bytes, false, &|| "a slow client".into());
        assert!(
            bytes.starts_with(b"HTTP/1.1 408"),
            "{:?}",
            String::from_utf8_lossy(&bytes)
        );
    }

    healthy(world.addr);
    unchanged(&moth, &seeded);
    // The same through the server.
    let users = exchange(
        world.addr,
        format!(
            "GET /getusers HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {ADMIN_KEY}\r\nConnection: close\r\n\r\n",
            world.addr
        )
        .as_bytes(),
        false,
    );
    let body = &users[users.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4..];
    let names: Vec<Value> = serde_json::from_slice::<Vec<Value>>(body)
        .unwrap()
        .into_iter()
        .map(|u| u["username"].clone())
        .collect();
    assert_eq!(names, [json!("ann"), json!("bob"), json!("dave")]);
    h.shutdown().unwrap();
    let mut by_status = std::collections::BTreeMap::<u16, usize>::new();
    for s in &statuses {
        *by_status.entry(*s).or_default() += 1;
    }
    println!(
        "{} replies checked in {:?}; by status: {by_status:?}",
        statuses.len(),
        started.elapsed()
    );
    assert!(started.elapsed() < Duration::from_secs(60));
}
