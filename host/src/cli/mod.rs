//! The administration commands, one module per capability; `main.rs`
//! parses the command line and dispatches here. Each prints one JSON
//! object per line, in the shape the HTTP API gives it.

pub(crate) mod accounts;
pub(crate) mod api_keys;
pub(crate) mod attempts;
pub(crate) mod email_tokens;
pub(crate) mod oauth;
pub(crate) mod one_time_tokens;
pub(crate) mod roles;
pub(crate) mod settings;
pub(crate) mod tenants;
pub(crate) mod tokens;
pub(crate) mod users;

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, bail};
use moth::server;

/// One user as a JSON line, in MOTH's shape (the same as `GET /getuser`).
pub(crate) fn print_user(u: &moth::User) {
    print_json(&server::UserBody::from(u.clone()));
}

/// One value as a JSON line, in the shape the HTTP API gives it.
pub(crate) fn print_json(body: &impl serde::Serialize) {
    println!("{}", serde_json::to_string(body).unwrap_or_default());
}

/// A password from an interactive prompt (typed twice, not echoed), or the
/// first line of stdin when it is not a terminal. Never from argv, where
/// other users could read it in the process list.
pub(crate) fn read_password(confirm: bool) -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        if confirm && rpassword::prompt_password("Repeat password: ")? != first {
            bail!("the passwords do not match");
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    Ok(password.to_owned())
}
