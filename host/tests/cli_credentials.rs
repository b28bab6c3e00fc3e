//! The `moth` binary's credential commands — `api-key`, `email-token`,
//! `one-time-token` — as an operator runs them on a database file, and the
//! credentials they mint used over HTTP by `moth run` on the same file.

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

// The raw HTTP client of moth-tests, included by path: moth-tests depends
// on this crate, so this test cannot depend on it.
#[allow(dead_code)]
#[path = "../../tests/src/http.rs"]
mod http;

mod common;
use common::{MOTH, fails, moth, ok, one, text};

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

/// The same keys, sorted, for comparing with `keys`.
fn sorted<'a>(fields: &[&'a str]) -> Vec<&'a str> {
    let mut v = fields.to_vec();
    v.sort_unstable();
    v
}

/// The top-level keys of a JSON object line, in the order printed.
fn printed_keys(line: &str) -> Vec<String> {
    use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
    struct Keys;
    impl<'de> Visitor<'de> for Keys {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Vec<String>, A::Error> {
            let mut keys = Vec::new();
            while let Some(k) = m.next_key::<String>()? {
                m.next_value::<IgnoredAny>()?;
                keys.push(k);
            }
            Ok(keys)
        }
    }
    serde_json::Deserializer::from_str(line.trim())
        .deserialize_map(Keys)
        .unwrap_or_else(|e| panic!("not a JSON object ({e}): {line:?}"))
}

/// Run `args` on `db`; its stdout, which must be one line.
fn line(db: &str, args: &[&str]) -> String {
    let mut all = args.to_vec();
    all.extend(["-f", db]);
    let out = moth(&all, "");
    assert!(out.status.success(), "moth {args:?}: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "moth {args:?}: {stdout:?}");
    stdout
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

/// A fresh database with one user (id 1, "ann", password "s3cret-plum-orbit").
fn fresh() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("auth.db").to_str().unwrap().to_owned();
    assert!(moth(&["create", "-f", &db], "").status.success());
    let out = moth(
        &["user", "add", "ann", "--perms", "p", "-f", &db],
        "s3cret-plum-orbit\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    (dir, db)
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

#[test]
fn api_key_commands() {
    let (_dir, db) = fresh();
    let db = db.as_str();

    let printed = line(
        db,
        &[
            "api-key",
            "create",
            "--service",
            "ci",
            "--name",
            "deploy",
            "--scopes",
            "deploy:prod",
        ],
    );
    assert_eq!(
        printed_keys(&printed),
        KEY_FIELDS,
        "the HTTP API's keys, in its order"
    );
    let created: Value = serde_json::from_str(&printed).unwrap();
    assert!(s(&created["key"]).starts_with("mothk_"), "{created}");
    assert_eq!(created["owner"], json!({"service": "ci"}));
    assert_eq!(created["name"], "deploy");
    assert_eq!(created["scopes"], "deploy:prod");
    assert_eq!(created["expires"], Value::Null);
    assert_eq!(created["last_used"], Value::Null);
    let id = s(&created["id"]).to_owned();
    assert_eq!(id.len(), 16, "{id}");

    let short = one(
        db,
        &[
            "api-key",
            "create",
            "--service",
            "ci",
            "--name",
            "short",
            "--lifetime",
            "3600",
        ],
    );
    assert_eq!(
        short["expires"].as_u64().unwrap(),
        short["created"].as_u64().unwrap() + 3600
    );
    let mine = one(
        db,
        &["api-key", "create", "--user", "1", "--name", "laptop"],
    );
    assert_eq!(mine["owner"], json!({"user": 1}));

    // Listing: metadata only, one line per key, in creation order.
    let out = moth(&["api-key", "list", "--service", "ci", "-f", db], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        !stdout.contains("mothk_"),
        "a listing never shows a key: {stdout}"
    );
    for l in stdout.lines() {
        assert_eq!(
            printed_keys(l),
            META_FIELDS,
            "the HTTP API's keys, in its order"
        );
    }
    let list = ok(db, &["api-key", "list", "--service", "ci"]);
    assert_eq!(list.len(), 2);
    // (Created in the same second, perhaps: compared as a set.)
    assert!(list.iter().any(|k| k["id"] == created["id"]), "{list:?}");
    assert!(list.iter().any(|k| k["id"] == short["id"]), "{list:?}");
    assert_eq!(ok(db, &["api-key", "list", "--user", "1"]).len(), 1);
    assert_eq!(ok(db, &["api-key", "list", "--service", "nobody"]).len(), 0);

    // Rotate: a new key, printed once, same owner, name and scopes.
    let rotated = one(db, &["api-key", "rotate", &id]);
    assert_eq!(keys(&rotated), sorted(&KEY_FIELDS));
    assert_ne!(rotated["key"], created["key"]);
    assert_ne!(rotated["id"], created["id"]);
    assert_eq!(
        (&rotated["owner"], &rotated["name"], &rotated["scopes"]),
        (&created["owner"], &created["name"], &created["scopes"])
    );
    let ids: Vec<_> = ok(db, &["api-key", "list", "--service", "ci"])
        .into_iter()
        .map(|k| k["id"].clone())
        .collect();
    assert!(
        !ids.contains(&created["id"]),
        "overlap 0: the old key is gone"
    );
    assert!(ids.contains(&rotated["id"]));
    fails(db, &["api-key", "rotate", &id], 1, "Token does not exist");
    // With an overlap, both are listed until it ends.
    let new_id = s(&rotated["id"]).to_owned();
    let again = one(db, &["api-key", "rotate", &new_id, "--overlap", "600"]);
    let ids: Vec<_> = ok(db, &["api-key", "list", "--service", "ci"])
        .into_iter()
        .map(|k| k["id"].clone())
        .collect();
    assert!(
        ids.contains(&rotated["id"]) && ids.contains(&again["id"]),
        "{ids:?}"
    );
    fails(
        db,
        &["api-key", "rotate", s(&again["id"]), "--overlap", "604801"],
        1,
        "overlap",
    );

    // Revoke one, then all of an owner's.
    let r = one(db, &["api-key", "revoke", s(&short["id"])]);
    assert_eq!(r, json!({"deleted": true}));
    fails(
        db,
        &["api-key", "revoke", s(&short["id"])],
        1,
        "Token does not exist",
    );
    let r = one(db, &["api-key", "revoke-all", "--service", "ci"]);
    assert_eq!(r, json!({"deleted": true, "count": 2}));
    let r = one(db, &["api-key", "revoke-all", "--service", "ci"]);
    assert_eq!(r, json!({"deleted": false, "count": 0}));
    assert_eq!(
        ok(db, &["api-key", "list", "--user", "1"]).len(),
        1,
        "others stay"
    );

    // Errors.
    fails(db, &["api-key", "create", "--name", "x"], 2, "--user");
    fails(
        db,
        &[
            "api-key",
            "create",
            "--user",
            "1",
            "--service",
            "ci",
            "--name",
            "x",
        ],
        2,
        "cannot be used with",
    );
    fails(db, &["api-key", "create", "--service", "ci"], 2, "--name");
    fails(
        db,
        &["api-key", "create", "--user", "x", "--name", "n"],
        2,
        "invalid value",
    );
    fails(db, &["api-key", "list"], 2, "--user");
    fails(
        db,
        &["api-key", "create", "--user", "1", "--name", "laptop"],
        1,
        "Name already taken",
    );
    fails(
        db,
        &["api-key", "create", "--user", "99", "--name", "x"],
        1,
        "User does not exist",
    );
    fails(
        db,
        &["api-key", "list", "--user", "99"],
        1,
        "User does not exist",
    );
    fails(
        db,
        &["api-key", "create", "--service", "ci", "--name", ""],
        1,
        "invalid input",
    );
    fails(
        db,
        &[
            "api-key",
            "create",
            "--service",
            "ci",
            "--name",
            "x",
            "--lifetime",
            "0",
        ],
        1,
        "invalid input",
    );
    fails(
        db,
        &["api-key", "revoke", "0123456789abcdef"],
        1,
        "Token does not exist",
    );
    fails(
        db,
        &["api-key", "revoke", "../../etc/passwd"],
        1,
        "Token does not exist",
    );
    fails(
        db,
        &["api-key", "rotate", "nope"],
        1,
        "Token does not exist",
    );
    fails(db, &["api-key", "revoke"], 2, "<ID>");

    // A path-traversal name is only a name.
    let odd = one(
        db,
        &[
            "api-key",
            "create",
            "--service",
            "../../etc/passwd",
            "--name",
            "../x",
        ],
    );
    assert_eq!(odd["owner"], json!({"service": "../../etc/passwd"}));
    assert_eq!(odd["name"], "../x");

    // No database: a clear error, and nothing created.
    let dir = tempfile::tempdir().unwrap();
    let absent = dir.path().join("absent");
    fails(
        absent.to_str().unwrap(),
        &["api-key", "list", "--service", "ci"],
        1,
        "no moth database",
    );
    assert!(!absent.exists());
}

#[test]
fn email_token_commands() {
    let (_dir, db) = fresh();
    let db = db.as_str();

    let t = one(db, &["email-token", "create", "a@x", "--uses", "2"]);
    // The key set of `POST /email-tokens`. (Not its order: the CLI prints
    // these with `json!`, whose order depends on serde_json's features.)
    assert_eq!(keys(&t), sorted(&["token", "id", "expires"]));
    assert!(s(&t["token"]).starts_with("mothe_"), "{t}");
    let bound = one(
        db,
        &[
            "email-token",
            "create",
            "a@x",
            "--ip",
            "::ffff:10.0.0.1",
            "--lifetime",
            "60",
            "--retval",
            "secret-retval",
        ],
    );
    let out = moth(&["email-token", "list", "a@x", "-f", db], "");
    let stdout = text(&out.stdout);
    assert!(
        !stdout.contains("mothe_"),
        "no secret in a listing: {stdout}"
    );
    assert!(
        !stdout.contains("secret-retval"),
        "no retval in a listing: {stdout}"
    );
    let list = ok(db, &["email-token", "list", "a@x"]);
    assert_eq!(list.len(), 2, "{list:?}");
    for l in stdout.lines() {
        assert_eq!(
            printed_keys(l),
            ["id", "ip", "created", "expires", "uses_left"]
        );
    }
    let of = |id: &Value| list.iter().find(|i| &i["id"] == id).unwrap().clone();
    assert_eq!(of(&t["id"])["uses_left"], 2);
    assert_eq!(of(&t["id"])["ip"], Value::Null);
    assert_eq!(of(&bound["id"])["uses_left"], 1);
    assert_eq!(of(&bound["id"])["ip"], "10.0.0.1");
    assert_eq!(
        of(&bound["id"])["expires"].as_u64().unwrap(),
        of(&bound["id"])["created"].as_u64().unwrap() + 60
    );
    assert_eq!(ok(db, &["email-token", "list", "nobody@x"]).len(), 0);

    // Revoke one by id.
    let r = one(db, &["email-token", "revoke", "a@x", s(&bound["id"])]);
    assert_eq!(r, json!({"deleted": true}));
    fails(
        db,
        &["email-token", "revoke", "a@x", s(&bound["id"])],
        1,
        "Token does not exist",
    );
    fails(
        db,
        &["email-token", "revoke", "b@x", s(&t["id"])],
        1,
        "Token does not exist",
    );
    assert_eq!(ok(db, &["email-token", "list", "a@x"]).len(), 1);

    // Remove the address.
    one(db, &["email-token", "create", "a@x"]);
    let r = one(db, &["email-token", "remove-address", "a@x"]);
    assert_eq!(r, json!({"deleted": true, "count": 2}));
    let r = one(db, &["email-token", "remove-address", "a@x"]);
    assert_eq!(r, json!({"deleted": false, "count": 0}));
    assert_eq!(ok(db, &["email-token", "list", "a@x"]).len(), 0);

    // Errors.
    fails(
        db,
        &["email-token", "create", "a@x", "--uses", "0"],
        1,
        "uses",
    );
    fails(
        db,
        &["email-token", "create", "a@x", "--uses", "1001"],
        1,
        "uses",
    );
    fails(db, &["email-token", "create", "a@x", "--uses", "-1"], 2, "");
    fails(
        db,
        &["email-token", "create", "a@x", "--lifetime", "0"],
        1,
        "lifetime",
    );
    fails(
        db,
        &["email-token", "create", "a@x", "--ip", "nope"],
        1,
        "ip",
    );
    fails(db, &["email-token", "create", ""], 1, "invalid input");
    fails(db, &["email-token", "create"], 2, "<ADDRESS>");
    fails(db, &["email-token", "list", ""], 1, "invalid input");
    assert_eq!(
        ok(db, &["email-token", "list", "a@x"]).len(),
        0,
        "nothing written"
    );
}

#[test]
fn one_time_token_commands() {
    let (_dir, db) = fresh();
    let db = db.as_str();

    let t = one(db, &["one-time-token", "issue", "1", "reset-password"]);
    assert_eq!(keys(&t), sorted(&["token", "expires"]));
    assert!(s(&t["token"]).starts_with("motho_"), "{t}");
    let v = one(
        db,
        &[
            "one-time-token",
            "issue",
            "1",
            "verify-email",
            "--lifetime",
            "60",
        ],
    );
    assert_ne!(v["token"], t["token"]);
    assert!(v["expires"].as_u64().unwrap() < t["expires"].as_u64().unwrap());

    fails(
        db,
        &["one-time-token", "issue", "99", "reset-password"],
        1,
        "User does not exist",
    );
    fails(
        db,
        &["one-time-token", "issue", "1", "Reset Password"],
        1,
        "purpose",
    );
    fails(
        db,
        &[
            "one-time-token",
            "issue",
            "1",
            "verify-email",
            "--lifetime",
            "604801",
        ],
        1,
        "lifetime",
    );
    fails(
        db,
        &["one-time-token", "issue", "x", "verify-email"],
        2,
        "invalid value",
    );
    fails(db, &["one-time-token", "issue", "1"], 2, "<PURPOSE>");
}

#[test]
fn commands_act_on_the_tenant_named() {
    let (_dir, db) = fresh();
    let db = db.as_str();
    one(db, &["tenant", "add", "acme"]);
    let k = one(
        db,
        &[
            "-t",
            "acme",
            "api-key",
            "create",
            "--service",
            "ci",
            "--name",
            "deploy",
        ],
    );
    assert_eq!(
        ok(db, &["-t", "acme", "api-key", "list", "--service", "ci"]).len(),
        1
    );
    assert_eq!(ok(db, &["api-key", "list", "--service", "ci"]).len(), 0);
    fails(
        db,
        &["api-key", "revoke", s(&k["id"])],
        1,
        "Token does not exist",
    );
    fails(
        db,
        &["api-key", "rotate", s(&k["id"])],
        1,
        "Token does not exist",
    );
    // The same name is free in the default tenant.
    one(
        db,
        &["api-key", "create", "--service", "ci", "--name", "deploy"],
    );

    one(db, &["-t", "acme", "email-token", "create", "a@x"]);
    assert_eq!(ok(db, &["email-token", "list", "a@x"]).len(), 0);
    assert_eq!(
        ok(db, &["-t", "acme", "email-token", "list", "a@x"]).len(),
        1
    );

    // acme has no user 1.
    fails(
        db,
        &["-t", "acme", "one-time-token", "issue", "1", "verify-email"],
        1,
        "User does not exist",
    );
    fails(
        db,
        &["-t", "nope", "api-key", "list", "--service", "ci"],
        1,
        "nope",
    );
}

/// Start `moth run` on `db` and wait until it listens.
fn serve(db: &str) -> (Child, SocketAddr) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new(MOTH)
        .args(["run", "-f", db, "-p", &port.to_string()])
        .env("RUST_LOG", "info")
        .env_remove("MOTH_DB")
        .env_remove("MOTH_TENANT")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = BufReader::new(server.stderr.take().unwrap());
    let started = Instant::now();
    let mut line = String::new();
    while !line.contains("moth listening") {
        line.clear();
        assert!(log.read_line(&mut line).unwrap() > 0, "server exited early");
        assert!(started.elapsed() < Duration::from_secs(60));
    }
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = String::new();
        while log.read_line(&mut sink).unwrap_or(0) > 0 {
            sink.clear();
        }
    });
    (server, SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
}

#[test]
fn credentials_minted_by_the_cli_work_over_http() {
    let (_dir, db) = fresh();
    let db = db.as_str();
    let key = one(
        db,
        &["api-key", "create", "--service", "ci", "--name", "deploy"],
    );
    let email = one(
        db,
        &[
            "email-token",
            "create",
            "a@x",
            "--uses",
            "2",
            "--retval",
            "rv",
        ],
    );
    let reset = one(db, &["one-time-token", "issue", "1", "reset-password"]);

    let (mut server, addr) = serve(db);
    let post = |path: &str, body: Value| {
        let r = http::http(addr, "POST", path, &[], &body.to_string());
        assert!(r.status < 500, "{r:?}");
        r
    };
    // The database is the server's while it runs: a clear refusal.
    fails(db, &["api-key", "list", "--service", "ci"], 1, "in use");

    let r = post("/api-keys/verify", json!({"key": key["key"]}));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json()["id"], key["id"]);
    let r = post(
        "/email-tokens/auth",
        json!({"address": "a@x", "token": email["token"]}),
    );
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"authenticated": true, "retval": "rv"})),
        "{r:?}"
    );
    let r = post(
        "/one-time-tokens/reset-password",
        json!({"token": reset["token"], "password": "n3w-violet-harbor"}),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.json(),
        json!({"reset": true, "userid": 1, "username": "ann", "permissions": "p"})
    );
    let login = |password: &str| {
        http::http(
            addr,
            "GET",
            "/login",
            &[],
            &json!({"username": "ann", "password": password}).to_string(),
        )
        .status
    };
    assert_eq!(login("s3cret-plum-orbit"), 401);
    assert_eq!(login("n3w-violet-harbor"), 200);

    Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(server.wait().unwrap().success());

    // What the server did is on disk: the email token has one use left,
    // and the key's use was recorded.
    let list = ok(db, &["email-token", "list", "a@x"]);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["uses_left"], 1);
    let keys = ok(db, &["api-key", "list", "--service", "ci"]);
    assert!(keys[0]["last_used"].is_u64(), "{keys:?}");
}
