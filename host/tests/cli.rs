//! The `moth` binary as a user runs it: create, add a user, serve, ask,
//! stop with SIGTERM.

use std::io::{BufRead, BufReader, Read};
use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

// The raw HTTP client of moth-tests, included by path: moth-tests depends
// on this crate, so this test cannot depend on it.
#[allow(dead_code)]
#[path = "../../tests/src/http.rs"]
mod http;

mod common;
use common::{MOTH, moth, text};

#[test]
fn create_add_run_request_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("auth.db");
    let db = db.to_str().unwrap();

    let out = moth(&["create", "-f", db], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let again = moth(&["create", "-f", db], "");
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("already exists"),
        "{}",
        text(&again.stderr)
    );

    let out = moth(
        &["user", "add", "ann", "--perms", "admin", "-f", db],
        "s3cret-plum-orbit\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).trim(),
        r#"{"id":1,"username":"ann","permissions":"admin"}"#
    );
    let dup = moth(&["user", "add", "ann", "-f", db], "other\n");
    assert_eq!(dup.status.code(), Some(1));
    assert!(text(&dup.stderr).contains("User already exists"));
    assert_eq!(
        text(&moth(&["user", "list", "-f", db], "").stdout)
            .lines()
            .count(),
        1
    );
    assert!(
        moth(&["user", "perms", "1", "rw", "-f", db], "")
            .status
            .success()
    );
    assert!(
        text(&moth(&["user", "show", "1", "-f", db], "").stdout).contains(r#""permissions":"rw""#)
    );
    let missing = moth(&["user", "show", "7", "-f", db], "");
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("User does not exist"));
    assert_eq!(
        text(&moth(&["token", "count", "1", "-f", db], "").stdout).trim(),
        r#"{"count":0}"#
    );
    assert!(
        moth(&["user", "show", "x", "-f", db], "").status.code() == Some(2),
        "ids are numbers"
    );

    let no_db = moth(
        &["run", "-f", dir.path().join("absent").to_str().unwrap()],
        "",
    );
    assert!(!no_db.status.success());
    assert!(
        text(&no_db.stderr).contains("no moth database"),
        "{}",
        text(&no_db.stderr)
    );
    let exposed = moth(&["run", "-f", db, "--host", "0.0.0.0"], "");
    assert!(!exposed.status.success());
    assert!(text(&exposed.stderr).contains("without an admin key"));

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new(MOTH)
        .args(["run", "-f", db, "-p", &port.to_string()])
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = BufReader::new(server.stderr.take().unwrap());
    let started = Instant::now();
    let mut line = String::new();
    while !line.contains("moth listening") {
        line.clear();
        assert!(log.read_line(&mut line).unwrap() > 0, "server exited early");
        assert!(started.elapsed() < Duration::from_secs(30));
    }
    let reply = http::http(
        SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        "GET",
        "/login",
        &[],
        r#"{"username":"ann","password":"s3cret-plum-orbit"}"#,
    );
    assert_eq!(
        (reply.version.as_str(), reply.status),
        ("HTTP/1.1", 200),
        "{reply:?}"
    );
    assert!(reply.body.contains(r#""token":"moth_"#), "{reply:?}");

    Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    let status = server.wait().unwrap();
    assert!(status.success(), "graceful shutdown exits 0: {status}");
    let mut rest = String::new();
    log.read_to_string(&mut rest).unwrap();
    assert!(
        !rest.contains("s3cret-plum-orbit") && !line.contains("s3cret-plum-orbit"),
        "passwords never reach the log"
    );

    // The token minted over HTTP is on disk.
    assert_eq!(
        text(&moth(&["token", "count", "1", "-f", db], "").stdout).trim(),
        r#"{"count":1}"#
    );

    // Its session is listed (never the token) and can be ended by its id.
    let listed = text(&moth(&["token", "list", "1", "-f", db], "").stdout);
    let sessions: Vec<serde_json::Value> = listed
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(sessions.len(), 1, "{listed}");
    assert!(!listed.contains("moth_"), "no token in a listing: {listed}");
    let session = sessions[0]["id"].as_str().unwrap();
    assert_eq!(session.len(), 16);
    let out = moth(&["token", "revoke", "1", session, "-f", db], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), r#"{"deleted":true}"#);
    assert_eq!(
        text(&moth(&["token", "count", "1", "-f", db], "").stdout).trim(),
        r#"{"count":0}"#
    );
    let again = moth(&["token", "revoke", "1", session, "-f", db], "");
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("Token does not exist"),
        "{}",
        text(&again.stderr)
    );
}

/// `moth settings show|set`, per tenant, and the password policy as the
/// operator meets it: `user add` refuses a password that
/// breaks it, naming the rule, and creates nothing.
#[test]
fn settings_show_and_set_and_the_password_policy() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("auth.db");
    let db = db.to_str().unwrap();
    assert!(moth(&["create", "-f", db], "").status.success());
    let show = |tenant: &str| {
        let out = moth(&["settings", "show", "--tenant", tenant, "-f", db], "");
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_str::<serde_json::Value>(&text(&out.stdout)).unwrap()
    };
    let defaults = show("default");
    assert_eq!(defaults["min_password_length"], 8);
    assert_eq!(defaults["refuse_common_passwords"], true);

    for (password, rule) in [
        ("Xk7#qpz\n", "at least 8 characters"),
        ("password1\n", "too common"),
        ("ann-and-more\n", "contain the username"),
    ] {
        let out = moth(&["user", "add", "ann", "-f", db], password);
        assert_eq!(out.status.code(), Some(1), "{password:?}");
        assert!(text(&out.stderr).contains(rule), "{}", text(&out.stderr));
    }
    assert_eq!(text(&moth(&["user", "list", "-f", db], "").stdout), "");

    let out = moth(
        &[
            "settings",
            "set",
            "--min-password-length",
            "12",
            "--refuse-common-passwords",
            "false",
            "-f",
            db,
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let changed: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(changed["min_password_length"], 12);
    assert_eq!(changed["refuse_common_passwords"], false);
    assert_eq!(changed["argon2_memory_kib"], defaults["argon2_memory_kib"]);
    assert_eq!(show("default"), changed);
    let out = moth(&["user", "add", "ann", "-f", db], "quartz-fjord\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = moth(&["user", "add", "bob", "-f", db], "eleven-char\n");
    assert!(
        text(&out.stderr).contains("at least 12 characters"),
        "{}",
        text(&out.stderr)
    );

    let bad = moth(
        &["settings", "set", "--min-password-length", "0", "-f", db],
        "",
    );
    assert_eq!(bad.status.code(), Some(1));
    assert_eq!(show("default"), changed, "a refused change changes nothing");

    // Another tenant keeps its own settings.
    assert!(
        moth(&["tenant", "add", "acme", "-f", db], "")
            .status
            .success()
    );
    assert_eq!(show("acme")["min_password_length"], 8);
}

#[test]
fn compose_refuses_a_component_that_imports_nothing_of_moths() {
    let dir = tempfile::tempdir().unwrap();
    let moth_wasm = dir.path().join("moth.wasm");
    let out = moth(&["component", "-o", moth_wasm.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    // moth's own component exports its interfaces but imports none of them.
    let composed = dir.path().join("composed.wasm");
    let out = moth(
        &[
            "compose",
            moth_wasm.to_str().unwrap(),
            "-o",
            composed.to_str().unwrap(),
        ],
        "",
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("cannot be composed with moth"),
        "{}",
        text(&out.stderr)
    );
    assert!(!composed.exists(), "nothing is written on failure");
    let out = moth(&["compose", "/nonexistent/plugin.wasm"], "");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("reading /nonexistent/plugin.wasm"));
}
