//! The `moth` binary's account-protection commands as an operator runs them
//! on a database file: `attempts list` (every filter, newest first, one
//! JSON line per entry, the shape the HTTP API uses), `attempts purge`,
//! `events`, `lockout list` and `lockout unlock` (account, unknown name,
//! source, device), the lockout settings under their snake_case names, a
//! bad `--kind` or subject refused with a clear message, and `--tenant`.
//!
//! The password checks themselves are made through the library (`moth::Moth`
//! on the same database, closed before the binary runs), as an application
//! embedding moth would make them; the clock is the real one, so entries in
//! the same second are compared as sets, not in order.

use std::collections::BTreeSet;
use std::time::{SystemTime, UNIX_EPOCH};

use moth::{Error, LoginContext, Moth, Options};
use serde_json::{Value, json};

mod common;
use common::{fails, fresh_db, moth, ok, ok_with, one, text};

/// `$e` is `Err($p)`; else its value is shown.
macro_rules! assert_err {
    ($e:expr, $p:pat) => {{
        let r = $e;
        assert!(matches!(r, Err($p)), "{r:?}");
    }};
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A fresh database with cheap hashing, a lockout after 3 failures, and
/// users ann (id 1) and bob (id 2), both with password "pw".
fn fresh() -> (tempfile::TempDir, String) {
    let (dir, db, settings) = fresh_db(&["--lockout-threshold", "3"]);
    assert_eq!(settings["lockout_threshold"], 3, "{settings}");
    assert_eq!(settings["lockout_duration"], 900, "{settings}");
    (dir, db)
}

/// Run `f` on the database with the library, and close it again before the
/// binary needs it.
fn with_moth<T>(db: &str, f: impl FnOnce(&Moth) -> T) -> T {
    let m = Options::new()
        .sweep_interval(None)
        .open(db)
        .expect("open the database");
    let out = f(&m);
    drop(m);
    out
}

fn from(ip: &str) -> LoginContext {
    LoginContext {
        source: Some(ip.to_owned()),
        device: None,
    }
}

fn login(m: &Moth, name: &str, pw: &str, ip: &str) -> Result<String, Error> {
    m.login_from(name, pw, None, &from(ip)).map(|g| g.device)
}

/// (kind, user, username, source, success, reason) of each entry, sorted:
/// entries of one second come in no particular order.
fn summary(entries: &[Value]) -> BTreeSet<String> {
    entries
        .iter()
        .map(|e| {
            json!([
                e["kind"],
                e["user"],
                e["username"],
                e["source"],
                e["success"],
                e["reason"]
            ])
            .to_string()
        })
        .collect()
}

fn line(kind: &str, user: Value, name: &str, source: &str, ok: bool, reason: &str) -> String {
    json!([kind, user, name, source, ok, reason]).to_string()
}

fn kinds(entries: &[Value]) -> BTreeSet<String> {
    entries
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn attempts_events_and_lockout_commands() {
    let (_dir, db) = fresh();
    let db = db.as_str();
    let before = now();
    with_moth(db, |m| {
        for _ in 0..3 {
            assert_err!(
                login(m, "ann", "wrong", "192.0.2.1"),
                Error::InvalidPassword
            );
        }
        assert_err!(login(m, "ann", "pw", "192.0.2.1"), Error::LockedOut(_));
        assert_err!(
            m.check_password_from("ghost", "pw", &from("192.0.2.2")),
            Error::NoUser
        );
        login(m, "bob", "pw", "198.51.100.5").expect("bob logs in");
    });
    let after = now();

    // Every password check, newest first, in the HTTP API's shape.
    let all = ok(db, &["attempts", "list"]);
    assert_eq!(
        summary(&all),
        BTreeSet::from([
            line(
                "login",
                json!(1),
                "ann",
                "192.0.2.1",
                false,
                "wrong password"
            ),
            line(
                "check-password",
                Value::Null,
                "ghost",
                "192.0.2.2",
                false,
                "no such user"
            ),
            line("login", json!(2), "bob", "198.51.100.5", true, ""),
        ]),
        "{all:?}"
    );
    assert_eq!(all.len(), 5, "three of ann's, ghost's, bob's: {all:?}");
    for e in &all {
        let mut keys: Vec<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "id", "kind", "reason", "source", "success", "time", "user", "username"
            ]
        );
        let t = e["time"].as_u64().unwrap();
        assert!((before..=after).contains(&t), "{e}");
    }
    let times: Vec<u64> = all.iter().map(|e| e["time"].as_u64().unwrap()).collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {times:?}"
    );

    // Filters, alone and together.
    let count = |args: &[&str]| {
        let mut all = vec!["attempts", "list"];
        all.extend_from_slice(args);
        ok(db, &all).len()
    };
    assert_eq!(count(&["--username", "ann"]), 3);
    assert_eq!(count(&["--user", "1"]), 3);
    assert_eq!(count(&["--user", "2"]), 1);
    assert_eq!(count(&["--username", "carol"]), 0);
    let ghost = ok(db, &["attempts", "list", "--username", "ghost"]);
    assert_eq!(ghost.len(), 1);
    assert_eq!(
        (&ghost[0]["user"], &ghost[0]["success"]),
        (&Value::Null, &json!(false))
    );
    assert_eq!(count(&["--kind", "check-password"]), 1);
    assert_eq!(count(&["--kind", "login"]), 4);
    assert_eq!(count(&["--source", "192.0.2.1"]), 3);
    assert_eq!(count(&["--source", "192.0.2.1", "--username", "bob"]), 0);
    assert_eq!(count(&["--since", &before.to_string()]), 5);
    assert_eq!(count(&["--since", &(after + 1).to_string()]), 0);
    assert_eq!(count(&["--until", &(before - 1).to_string()]), 0);
    assert_eq!(count(&["--until", &after.to_string()]), 5);
    // A limit takes the newest.
    let two = ok(db, &["attempts", "list", "--limit", "2"]);
    assert_eq!(two, all[..2]);

    // The lock: listed, logged as an event, lifted (once), logged again.
    let locks = ok(db, &["lockout", "list"]);
    assert_eq!(locks.len(), 1, "{locks:?}");
    assert_eq!(locks[0]["subject"], json!({"account": 1}));
    assert_eq!(locks[0]["lockouts"], 1);
    let until = locks[0]["until"].as_u64().unwrap();
    assert!((before + 900..=after + 900).contains(&until), "{locks:?}");
    let events = ok(db, &["events"]);
    assert_eq!(kinds(&events), set(&["account-locked"]), "{events:?}");
    assert_eq!(
        (&events[0]["user"], &events[0]["username"]),
        (&json!(1), &json!("ann"))
    );
    assert_eq!(
        one(db, &["lockout", "unlock", "--account", "1"]),
        json!({"unlocked": true})
    );
    assert_eq!(
        one(db, &["lockout", "unlock", "--account", "1"]),
        json!({"unlocked": false})
    );
    assert!(ok(db, &["lockout", "list"]).is_empty());
    let events = ok(db, &["events"]);
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(kinds(&events), set(&["account-locked", "unlocked"]));
    let unlocked = one(db, &["events", "--kind", "unlocked"]);
    assert_eq!(unlocked["user"], 1, "{unlocked}");
    assert_eq!(ok(db, &["events", "--user", "2"]).len(), 0);
    // ann can log in again; and a new password is an event.
    with_moth(db, |m| login(m, "ann", "pw", "192.0.2.1").map(|_| ())).expect("ann is unlocked");
    ok_with(db, &["user", "passwd", "1"], "pw2\n");
    let changed = one(db, &["events", "--kind", "password-changed"]);
    assert_eq!(
        (&changed["user"], &changed["username"]),
        (&json!(1), &json!("ann"))
    );
    assert_eq!(ok(db, &["events", "--username", "ann"]).len(), 3);

    // An unknown name, a source and a device are locked and unlocked too.
    let device = with_moth(db, |m| {
        for _ in 0..2 {
            assert_err!(login(m, "ghost", "pw", "192.0.2.2"), Error::NoUser);
        }
        let device = login(m, "ann", "pw2", "192.0.2.3").unwrap();
        let with_device = LoginContext {
            source: Some("192.0.2.3".into()),
            device: Some(device.clone()),
        };
        for _ in 0..3 {
            assert_err!(
                m.login_from("ann", "wrong", None, &with_device).map(|_| ()),
                Error::InvalidPassword
            );
        }
        device
    });
    one(db, &["settings", "set", "--source-lockout-threshold", "2"]);
    with_moth(db, |m| {
        for name in ["x1", "x2"] {
            assert_err!(login(m, name, "pw", "203.0.113.9"), Error::NoUser);
        }
        assert_err!(login(m, "bob", "pw", "203.0.113.9"), Error::LockedOut(_));
    });
    let locks = ok(db, &["lockout", "list"]);
    let subjects: BTreeSet<String> = locks
        .iter()
        .map(|l| {
            let mut s = l["subject"].clone();
            if let Some(d) = s.get_mut("device") {
                assert_eq!(d.as_str().unwrap().len(), 32, "{l}");
                *d = json!("…");
            }
            s.to_string()
        })
        .collect();
    assert_eq!(
        subjects,
        set(&[
            r#"{"username":"ghost"}"#,
            r#"{"source":"203.0.113.9"}"#,
            r#"{"device":"…"}"#,
        ]),
        "{locks:?}"
    );
    let listed = text(&moth(&["lockout", "list", "-f", db], "").stdout);
    assert!(!listed.contains(&device), "never the credential: {listed}");
    let device_id = locks
        .iter()
        .find_map(|l| l["subject"]["device"].as_str())
        .unwrap()
        .to_owned();
    for subject in [
        ["--username", "ghost"],
        ["--source", "203.0.113.9"],
        ["--device", device_id.as_str()],
    ] {
        let args = ["lockout", "unlock", subject[0], subject[1]];
        assert_eq!(one(db, &args), json!({"unlocked": true}), "{subject:?}");
        assert_eq!(one(db, &args), json!({"unlocked": false}), "{subject:?}");
    }
    assert!(ok(db, &["lockout", "list"]).is_empty());
    assert_eq!(
        kinds(&ok(db, &["events"])),
        set(&[
            "account-locked",
            "unlocked",
            "password-changed",
            "source-blocked",
            "device-locked",
        ])
    );
    assert_eq!(ok(db, &["events", "--kind", "unlocked"]).len(), 4);
    with_moth(db, |m| {
        let ctx = LoginContext {
            source: Some("203.0.113.9".into()),
            device: Some(device.clone()),
        };
        m.login_from("ann", "pw2", None, &ctx).map(|_| ())
    })
    .expect("the device is unlocked");

    // Purging: by name, by kind, by age, and everything.
    let total = ok(db, &["attempts", "list", "--limit", "1000"]).len();
    assert_eq!(total, 5 + 1 + 2 + 1 + 3 + 2 + 1, "{total}");
    assert_eq!(
        one(db, &["attempts", "purge", "--username", "ghost"]),
        json!({"deleted": true, "count": 3})
    );
    assert!(ok(db, &["attempts", "list", "--username", "ghost"]).is_empty());
    assert_eq!(
        one(db, &["attempts", "purge", "--kind", "check-password"]),
        json!({"deleted": false, "count": 0})
    );
    assert_eq!(
        one(
            db,
            &["attempts", "purge", "--older-than", &before.to_string()]
        ),
        json!({"deleted": false, "count": 0})
    );
    assert_eq!(
        one(db, &["attempts", "purge"]),
        json!({"deleted": true, "count": total - 3})
    );
    assert!(ok(db, &["attempts", "list"]).is_empty());
    assert_eq!(ok(db, &["events"]).len(), 9, "purge leaves events alone");
    assert_eq!(
        one(db, &["attempts", "purge", "--kind", "unlocked"]),
        json!({"deleted": true, "count": 4})
    );
    assert_eq!(ok(db, &["events"]).len(), 5);
}

#[test]
fn bad_kinds_and_subjects_are_refused_clearly() {
    let (_dir, db) = fresh();
    let db = db.as_str();
    // A kind that does not exist: a usage error naming the kinds.
    for args in [
        &["attempts", "list", "--kind", "nope"][..],
        &["attempts", "purge", "--kind", "nope"],
        &["events", "--kind", "Login"],
    ] {
        fails(db, args, 2, "unknown kind");
        fails(db, args, 2, "account-locked");
    }
    // A kind of the other log.
    fails(
        db,
        &["events", "--kind", "login"],
        1,
        "kind must be an event kind",
    );
    fails(
        db,
        &["attempts", "list", "--kind", "unlocked"],
        1,
        "kind must be an attempt kind",
    );
    // What to unlock: exactly one, well formed.
    fails(db, &["lockout", "unlock"], 2, "--account");
    fails(
        db,
        &["lockout", "unlock", "--account", "1", "--username", "ann"],
        2,
        "cannot be used with",
    );
    fails(
        db,
        &["lockout", "unlock", "--account", "x"],
        2,
        "invalid value",
    );
    fails(
        db,
        &["lockout", "unlock", "--device", "zz"],
        1,
        "device must be 32 hex digits",
    );
    fails(
        db,
        &["lockout", "unlock", "--source", "nowhere"],
        1,
        "source must be an IPv4 or IPv6 address",
    );
    fails(
        db,
        &["attempts", "list", "--user", "1", "--username", "ann"],
        1,
        "user or username",
    );
    fails(
        db,
        &["attempts", "list", "--source", "nowhere"],
        1,
        "source",
    );
    fails(
        db,
        &["attempts", "list", "--since", "soon"],
        2,
        "invalid value",
    );
    fails(
        db,
        &["settings", "set", "--lockout-window", "0"],
        1,
        "lockout-window",
    );
    // Nothing is locked, and the refusals logged nothing.
    assert_eq!(
        one(db, &["lockout", "unlock", "--username", "ann"]),
        json!({"unlocked": false})
    );
    assert!(ok(db, &["events"]).is_empty());
}

#[test]
fn the_commands_act_on_the_tenant_named() {
    let (_dir, db) = fresh();
    let db = db.as_str();
    assert_eq!(
        one(db, &["tenant", "add", "acme"]),
        json!({"tenant": "acme"})
    );
    with_moth(db, |m| {
        for _ in 0..3 {
            assert_err!(
                login(m, "ann", "wrong", "192.0.2.1"),
                Error::InvalidPassword
            );
        }
    });
    assert_eq!(ok(db, &["attempts", "list"]).len(), 3);
    assert!(ok(db, &["-t", "acme", "attempts", "list"]).is_empty());
    assert!(ok(db, &["--tenant", "acme", "events"]).is_empty());
    assert!(ok(db, &["-t", "acme", "lockout", "list"]).is_empty());
    assert_eq!(
        one(db, &["-t", "acme", "lockout", "unlock", "--account", "1"]),
        json!({"unlocked": false})
    );
    assert_eq!(
        one(db, &["-t", "acme", "attempts", "purge"]),
        json!({"deleted": false, "count": 0})
    );
    assert_eq!(ok(db, &["lockout", "list"]).len(), 1);
    assert_eq!(ok(db, &["attempts", "list"]).len(), 3);
    fails(db, &["-t", "nope", "attempts", "list"], 1, "nope");
}
