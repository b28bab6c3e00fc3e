//! Running the `moth` binary as a user does, shared by the CLI tests.

// Each test crate includes this module and uses a part of it.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// The binary under test.
pub const MOTH: &str = env!("CARGO_BIN_EXE_moth");

/// Run `moth args…` with `stdin` fed to it, away from any `MOTH_DB` or
/// `MOTH_TENANT` of the environment running the tests.
pub fn moth(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(MOTH)
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("MOTH_DB")
        .env_remove("MOTH_TENANT")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Output bytes as text.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Run `args` on database `db` with `stdin` fed to it; it must succeed.
/// Its stdout's lines as JSON.
pub fn ok_with(db: &str, args: &[&str], stdin: &str) -> Vec<Value> {
    let mut all = args.to_vec();
    all.extend(["-f", db]);
    let out = moth(&all, stdin);
    assert!(
        out.status.success(),
        "moth {args:?}: {}\n{}",
        out.status,
        text(&out.stderr)
    );
    text(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("moth {args:?}: not JSON ({e}): {l:?}"))
        })
        .collect()
}

/// [`ok_with`] with nothing on stdin.
pub fn ok(db: &str, args: &[&str]) -> Vec<Value> {
    ok_with(db, args, "")
}

/// Run `args` on database `db`; it must succeed and print one JSON line.
pub fn one(db: &str, args: &[&str]) -> Value {
    let lines = ok(db, args);
    assert_eq!(lines.len(), 1, "moth {args:?}: {lines:?}");
    lines.into_iter().next().unwrap()
}

/// Run `args` on database `db`; it must fail with exit code `code`, print
/// nothing on stdout and say `message` on stderr.
pub fn fails(db: &str, args: &[&str], code: i32, message: &str) {
    let mut all = args.to_vec();
    all.extend(["-f", db]);
    let out = moth(&all, "");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "moth {args:?}: {stderr}");
    assert_eq!(text(&out.stdout), "", "moth {args:?} printed on stdout");
    assert!(
        stderr.contains(message),
        "moth {args:?}: {stderr:?} does not say {message:?}"
    );
}

/// A fresh database with cheap hashing, the password policy relaxed, the
/// further `settings set` flags `extra`, and users ann (id 1) and bob
/// (id 2), both with password "pw". Returns the settings in force.
pub fn fresh_db(extra: &[&str]) -> (tempfile::TempDir, String, Value) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("auth.db").to_str().unwrap().to_owned();
    assert!(moth(&["create", "-f", &db], "").status.success());
    let mut args = vec![
        "settings",
        "set",
        "--argon2-memory-kib",
        "8",
        "--argon2-iterations",
        "1",
        "--argon2-parallelism",
        "1",
        "--allow-weak-hashing",
        "--min-password-length",
        "1",
        "--refuse-common-passwords",
        "false",
    ];
    args.extend_from_slice(extra);
    let settings = one(&db, &args);
    for name in ["ann", "bob"] {
        ok_with(&db, &["user", "add", name], "pw\n");
    }
    (dir, db, settings)
}
