//! The shared conformance scenario (`tests/conformance/scenario.json`), run
//! through the Rust host. The Node and Python hosts run the same file.

use std::collections::HashMap;
use std::time::Duration;

use moth::{Error, Moth, Settings, User};
use serde_json::{Value, json};

fn user(u: &User) -> Value {
    json!({ "id": u.id, "username": u.username, "permissions": u.permissions })
}

fn settings_json(s: &Settings) -> Value {
    json!({
        "argon2-memory-kib": s.argon2_memory_kib,
        "argon2-iterations": s.argon2_iterations,
        "argon2-parallelism": s.argon2_parallelism,
        "default-token-lifetime": s.default_token_lifetime,
        "allow-weak-hashing": s.allow_weak_hashing,
    })
}

fn settings_from(v: &Value) -> Settings {
    let n = |k: &str| v[k].as_u64().unwrap_or_else(|| panic!("settings.{k}"));
    Settings {
        argon2_memory_kib: n("argon2-memory-kib") as u32,
        argon2_iterations: n("argon2-iterations") as u32,
        argon2_parallelism: n("argon2-parallelism") as u32,
        default_token_lifetime: n("default-token-lifetime"),
        allow_weak_hashing: v["allow-weak-hashing"]
            .as_bool()
            .unwrap_or_else(|| panic!("settings.allow-weak-hashing")),
    }
}

/// The cases of the WIT `error` variant (wit/types.wit), the only errors a
/// component call can report.
const WIT_ERRORS: [&str; 7] = [
    "no-user",
    "invalid-password",
    "user-exists",
    "invalid-token",
    "token-expired",
    "invalid-input",
    "storage",
];

/// The scenario's name for an error: "trap" for [`Error::Component`] (the
/// component trapped; the scenario's `{"error": "trap"}`), else the WIT name
/// of the error case: the variant's Rust name, kebab-cased (`InvalidInput(..)`
/// is `invalid-input`). Panics on other host-only errors (`NoTenant`,
/// `Overloaded`, `Timeout`, ...), which the scenario never expects.
fn case(e: &Error) -> String {
    if let Error::Component(_) = e {
        return "trap".to_owned();
    }
    let debug = format!("{e:?}");
    let variant: String = debug
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    let mut name = String::new();
    for (i, c) in variant.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            name.push('-');
        }
        name.push(c.to_ascii_lowercase());
    }
    assert!(
        WIT_ERRORS.contains(&name.as_str()),
        "not a WIT error: {e:?}"
    );
    name
}

/// `expected` matches `actual`, with "*" matching anything.
fn matches(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::String(s), _) if s == "*" => true,
        (Value::Object(e), Value::Object(a)) => {
            e.len() == a.len()
                && e.iter()
                    .all(|(k, v)| a.get(k).is_some_and(|av| matches(v, av)))
        }
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(x, y)| matches(x, y))
        }
        _ => expected == actual,
    }
}

fn call(moth: &Moth, op: &str, a: &Value) -> Result<Value, Error> {
    let s = |k: &str| {
        a[k].as_str()
            .unwrap_or_else(|| panic!("{op}: {k} must be a string"))
            .to_owned()
    };
    let n = |k: &str| {
        a[k].as_u64()
            .unwrap_or_else(|| panic!("{op}: {k} must be a number"))
    };
    Ok(match op {
        "create-user" => {
            user(&moth.create_user(&s("username"), &s("password"), &s("permissions"))?)
        }
        "delete-user" => moth.delete_user(n("id")).map(|_| Value::Null)?,
        "get-user" => user(&moth.get_user(n("id"))?),
        "list-users" => {
            let page = moth.list_users(a["after"].as_u64(), n("limit") as u32)?;
            json!({ "users": page.users.iter().map(user).collect::<Vec<_>>(), "next": page.next })
        }
        "set-password" => moth
            .set_password(n("id"), &s("password"))
            .map(|_| Value::Null)?,
        "set-permissions" => moth
            .set_permissions(n("id"), &s("permissions"))
            .map(|_| Value::Null)?,
        "check-password" => json!(moth.check_password(&s("username"), &s("password"))?),
        "login" => {
            let session = moth.login(
                &s("username"),
                &s("password"),
                a["lifetime"].as_u64().map(Duration::from_secs),
            )?;
            json!({ "token": session.token, "user": user(&session.user), "expires": session.expires })
        }
        "validate" => {
            let v = moth.validate(&s("token"))?;
            json!({ "user": user(&v.user), "expires": v.expires })
        }
        "logout" => moth.logout(&s("token")).map(|_| Value::Null)?,
        "count-tokens" => json!(moth.count_tokens(n("id"))?),
        "delete-tokens" => json!(moth.delete_tokens(n("id"))?),
        "sweep" => {
            let outcome = moth.sweep(n("limit") as u32)?;
            json!({ "deleted": outcome.deleted, "next-expiry": outcome.next_expiry })
        }
        "get-settings" => settings_json(&moth.get_settings()?),
        "set-settings" => moth
            .set_settings(settings_from(&a["settings"]))
            .map(|_| Value::Null)?,
        other => panic!("unknown operation {other}"),
    })
}

fn substitute(v: &Value, saved: &HashMap<String, Value>) -> Value {
    match v {
        Value::String(s) if s.starts_with('$') => saved
            .get(&s[1..])
            .cloned()
            .unwrap_or_else(|| panic!("{s} unset")),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), substitute(v, saved)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|v| substitute(v, saved)).collect()),
        other => other.clone(),
    }
}

#[test]
fn the_shared_scenario_passes_through_the_rust_host() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/conformance/scenario.json"
    ))
    .unwrap();
    let scenario: Value = serde_json::from_str(&text).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clock = std::sync::Arc::new(moth::ManualClock::at(scenario["clock"].as_u64().unwrap()));
    let moth = moth::Options::new()
        .create(true)
        .settings(settings_from(&scenario["settings"]))
        .sweep_interval(None)
        .clock(clock.clone())
        .open(dir.path().join("moth.db"))
        .unwrap();
    let mut saved = HashMap::new();
    let ops: std::collections::BTreeSet<&str> = scenario["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["expect"].is_object())
        .map(|s| s["op"].as_str().unwrap())
        .collect();
    assert_eq!(
        ops.len(),
        15,
        "every function exported by moth:auth's users, sessions and settings is exercised: {ops:?}"
    );
    for (i, step) in scenario["steps"].as_array().unwrap().iter().enumerate() {
        let op = step["op"].as_str().unwrap();
        let args = substitute(&step["args"], &saved);
        match op {
            "advance-clock" => clock.advance(args["seconds"].as_u64().unwrap()),
            "trap-store" => moth.capabilities().store.trap_next_call(),
            "fail-store" => moth.capabilities().store.fail_all(true),
            _ => {
                let got = call(&moth, op, &args);
                let expect = &step["expect"];
                match (&got, expect.get("ok"), expect.get("error")) {
                    (Ok(v), Some(want), None) => {
                        assert!(matches(want, v), "step {i} {op}: {v} does not match {want}")
                    }
                    (Err(e), None, Some(want)) => {
                        assert_eq!(&case(e), want, "step {i} {op}: {e:?}")
                    }
                    _ => panic!("step {i} {op}: got {got:?}, expected {expect}"),
                }
                if let (Some(name), Ok(v)) = (step["save"].as_str(), &got) {
                    saved.insert(name.to_owned(), v["token"].clone());
                }
            }
        }
    }
}
