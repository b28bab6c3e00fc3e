//! Running the `moth` binary as a user does, shared by the CLI tests.

use std::io::Write;
use std::process::{Command, Output, Stdio};

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
