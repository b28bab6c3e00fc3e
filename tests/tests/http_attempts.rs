//! Account protection end to end, through a real server: lockout of an
//! account after 5 failures (the right password refused with 429,
//! `{"error":"Too many failed attempts"}` and `Retry-After`, the same for a
//! name that does not exist, lifted once the clock passes the lock);
//! keg_auth's two bypasses (a success on another account clearing the
//! count; a spelling variant of a name escaping it); concurrent guesses
//! counted atomically; device credentials (body field and `moth_device`
//! cookie, as a parameter or a cookie, letting the owner in while an
//! attacker holds the account locked, garbage ignored, a device locked on
//! its own); blocking of a source address, with `X-Forwarded-For` believed
//! only from trusted proxies; and the admin routes over the log and the
//! locks (`GET`/`DELETE /attempts`, `GET /events`, `GET`/`DELETE /locks`):
//! filters, order, paging, purging, unlocking, tenants, bad input and the
//! admin key. No request is ever answered with a 5xx.

use std::sync::Barrier;

use moth_tests::api::{ADMIN_BEARER as BEARER, Api};
use moth_tests::{Reply, on_threads};
use serde_json::{Value, json};

const LOCKED: &str = r#"{"error":"Too many failed attempts"}"#;
/// The clock `moth_tests::open` starts at.
const T0: u64 = 1_700_000_000;

/// What these tests do, on top of the shared harness (whose servers keep
/// the default lockout settings).
trait Attempts {
    fn admin_ok(&self, method: &str, path: &str) -> Value;
    fn admin_body(&self, method: &str, path: &str, body: Value) -> Value;
    fn add_user(&self, name: &str) -> u64;
    fn login_with(&self, body: Value, headers: &[(&str, &str)]) -> Reply;
    fn login(&self, username: &str, password: &str) -> Reply;
    fn login_via(&self, username: &str, password: &str, forwarded: &str) -> Reply;
    fn entries(&self, path: &str) -> Vec<Value>;
    fn locks(&self) -> Vec<Value>;
}

impl Attempts for Api {
    /// An admin request that must succeed; its JSON body.
    fn admin_ok(&self, method: &str, path: &str) -> Value {
        let r = self.admin_query(method, path);
        assert_eq!(r.status, 200, "{method} {path}: {r:?}");
        r.json()
    }

    /// An admin request with a JSON body that must succeed.
    fn admin_body(&self, method: &str, path: &str, body: Value) -> Value {
        let r = self.request(
            method,
            path,
            &[("Authorization", BEARER)],
            &body.to_string(),
        );
        assert_eq!(r.status, 200, "{method} {path} {body}: {r:?}");
        r.json()
    }

    /// A user with password `pw`; their id.
    fn add_user(&self, name: &str) -> u64 {
        let v = self.admin_body(
            "PUT",
            "/new",
            json!({"username": name, "password": "pw", "permissions": ""}),
        );
        v["userid"].as_u64().unwrap_or_else(|| panic!("{v}"))
    }

    /// `GET /login` with `body` (a JSON object) and extra headers.
    fn login_with(&self, body: Value, headers: &[(&str, &str)]) -> Reply {
        self.request("GET", "/login", headers, &body.to_string())
    }

    fn login(&self, username: &str, password: &str) -> Reply {
        self.login_with(json!({"username": username, "password": password}), &[])
    }

    /// A login through a proxy that says the client is `forwarded`.
    fn login_via(&self, username: &str, password: &str, forwarded: &str) -> Reply {
        self.login_with(
            json!({"username": username, "password": password}),
            &[("X-Forwarded-For", forwarded)],
        )
    }

    /// The entries of `GET path` (`/attempts…` or `/events…`).
    fn entries(&self, path: &str) -> Vec<Value> {
        let v = self.admin_ok("GET", path);
        v["entries"].as_array().unwrap().clone()
    }

    /// The locks in force.
    fn locks(&self) -> Vec<Value> {
        let v = self.admin_ok("GET", "/locks");
        assert_eq!(v["next"], Value::Null, "{v}");
        v["locks"].as_array().unwrap().clone()
    }
}

/// `r` is the lockout answer; the seconds of its `Retry-After`.
fn assert_locked(r: &Reply) -> u64 {
    assert_eq!(r.status, 429, "{r:?}");
    assert_eq!(r.body, LOCKED, "{r:?}");
    assert_eq!(r.json(), json!({"error": "Too many failed attempts"}));
    let secs: u64 = r
        .header("retry-after")
        .unwrap_or_else(|| panic!("no Retry-After: {r:?}"))
        .parse()
        .unwrap_or_else(|e| panic!("Retry-After is not a number of seconds ({e}): {r:?}"));
    assert!((1..=900).contains(&secs), "{r:?}");
    secs
}

/// `r` is a plain failure: 401 with `message`.
fn assert_refused(r: &Reply, message: &str) {
    assert_eq!(r.status, 401, "{r:?}");
    assert_eq!(r.json(), json!({ "error": message }), "{r:?}");
}

fn assert_wrong(r: &Reply) {
    assert_refused(r, "Invalid password");
}

fn assert_no_user(r: &Reply) {
    assert_refused(r, "User does not exist");
}

fn assert_in(r: &Reply) -> Value {
    assert_eq!(r.status, 200, "{r:?}");
    let v = r.json();
    assert!(v["token"].as_str().unwrap().starts_with("moth_"), "{v}");
    v
}

/// What a listing's entries say, without their ids and times:
/// (kind, user, username, source, success, reason).
fn summary(entries: &[Value]) -> Vec<(String, Value, String, Value, bool, String)> {
    entries
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_owned(),
                e["user"].clone(),
                e["username"].as_str().unwrap().to_owned(),
                e["source"].clone(),
                e["success"].as_bool().unwrap(),
                e["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn kinds(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect()
}

fn times(entries: &[Value]) -> Vec<u64> {
    entries
        .iter()
        .map(|e| e["time"].as_u64().unwrap())
        .collect()
}

#[test]
fn five_failures_lock_an_account_and_an_unknown_name_alike_until_the_lock_ends() {
    let api = Api::start();
    api.add_user("ann");
    for _ in 0..5 {
        assert_wrong(&api.login("ann", "wrong"));
    }
    // Right or wrong, by login or by password check: the same refusal.
    let right = api.login("ann", "pw");
    assert_eq!(assert_locked(&right), 900);
    assert_eq!(assert_locked(&api.login("ann", "wrong")), 900);
    let r = api.request(
        "GET",
        "/passvalid",
        &[],
        &json!({"username": "ann", "password": "pw"}).to_string(),
    );
    assert_eq!(assert_locked(&r), 900);
    // The parameters in the query string are judged the same.
    let r = api.request("GET", "/login?username=ann&password=pw", &[], "");
    assert_eq!(assert_locked(&r), 900);

    // A name that does not exist fails differently, but is locked with
    // exactly the same answer: lockout tells no names.
    for _ in 0..5 {
        assert_no_user(&api.login("nobody", "pw"));
    }
    let ghost = api.login("nobody", "pw");
    assert_eq!(assert_locked(&ghost), 900);
    assert_eq!(
        (ghost.status, &ghost.body, ghost.header("retry-after")),
        (right.status, &right.body, right.header("retry-after"))
    );
    assert_eq!(ghost.header("content-type"), right.header("content-type"));
    assert_eq!(
        ghost.header("www-authenticate"),
        right.header("www-authenticate")
    );

    // The wait counts down with the clock, and then the owner is let in.
    api.clock.advance(899);
    assert_eq!(assert_locked(&api.login("ann", "pw")), 1);
    assert_eq!(assert_locked(&api.login("nobody", "pw")), 1);
    api.clock.advance(1);
    assert_in(&api.login("ann", "pw"));
    assert_no_user(&api.login("nobody", "pw"));
    // Refusals were not logged as attempts: 5 + 5 failures, 1 success, 1 more.
    let all = api.entries("/attempts");
    assert_eq!(all.len(), 12, "{all:?}");
    assert_eq!(
        all.iter().filter(|e| e["success"] == true).count(),
        1,
        "{all:?}"
    );
}

/// `/passvalid` answers a wrong password with `{"valid": false}`, but it is
/// a guess all the same: counted with the logins, and refused once locked.
#[test]
fn password_checks_count_towards_the_lock_like_logins() {
    let api = Api::start();
    api.add_user("ann");
    let check = |pw: &str| {
        api.request(
            "GET",
            "/passvalid",
            &[],
            &json!({"username": "ann", "password": pw}).to_string(),
        )
    };
    for _ in 0..3 {
        let r = check("wrong");
        assert_eq!(
            (r.status, r.json()),
            (200, json!({"valid": false})),
            "{r:?}"
        );
    }
    assert_wrong(&api.login("ann", "wrong"));
    let r = check("wrong");
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"valid": false})),
        "{r:?}"
    );
    assert_locked(&check("pw"));
    assert_locked(&api.login("ann", "pw"));
    let attempts = api.entries("/attempts?kind=check-password");
    assert_eq!(attempts.len(), 4, "{attempts:?}");
    assert!(attempts.iter().all(|e| e["success"] == false));
    // No device credential comes of a password check.
    api.clock.advance(900);
    let r = check("pw");
    assert_eq!((r.status, r.json()), (200, json!({"valid": true})), "{r:?}");
    assert_eq!(r.header("set-cookie"), None);
}

/// An IPv6 client is counted by its /64: a fresh address of the same
/// subscriber's prefix gets no fresh budget.
#[test]
fn an_ipv6_client_behind_a_trusted_proxy_is_counted_by_its_slash_64() {
    let api = Api::start_trusting(&["127.0.0.0/8"]);
    api.add_user("ann");
    api.admin_body("PATCH", "/settings", json!({"source_lockout_threshold": 3}));
    for (i, ip) in ["2001:db8::1", "2001:db8::2", "2001:db8:0:0:ffff::3"]
        .iter()
        .enumerate()
    {
        assert_no_user(&api.login_via(&format!("n{i}"), "pw", ip));
    }
    assert_locked(&api.login_via("ann", "pw", "2001:db8::99"));
    assert_in(&api.login_via("ann", "pw", "2001:db8:0:1::1"));
    assert_eq!(
        api.entries("/attempts?source=2001:db8::2")[0]["source"],
        "2001:db8::2"
    );
    let locks = api.locks();
    assert_eq!(locks.len(), 1, "{locks:?}");
    assert_eq!(locks[0]["subject"], json!({"source": "2001:db8::/64"}));
    assert_eq!(
        api.admin_ok("DELETE", "/locks?source=2001:db8::/64"),
        json!({"unlocked": true})
    );
    assert_in(&api.login_via("ann", "pw", "2001:db8::99"));
}

/// keg_auth bypass (a): a success cleared every failure of its address, so
/// an attacker with an account of their own could guess forever by
/// logging into it in between.
#[test]
fn a_success_on_another_account_clears_neither_the_victims_count_nor_the_sources() {
    let api = Api::start();
    api.add_user("victim");
    api.add_user("attacker");
    api.admin_body("PATCH", "/settings", json!({"source_lockout_threshold": 8}));
    for _ in 0..2 {
        assert_wrong(&api.login("victim", "wrong"));
        assert_wrong(&api.login("victim", "wrong"));
        assert_in(&api.login("attacker", "pw"));
    }
    // The fifth failure locks the victim, the successes in between
    // notwithstanding.
    assert_wrong(&api.login("victim", "wrong"));
    assert_locked(&api.login("victim", "pw"));
    assert_in(&api.login("attacker", "pw"));
    // Nor was the source's count reset: 5 + 3 = 8 failures block it for
    // every account, the attacker's own included.
    for name in ["x1", "x2", "x3"] {
        assert_no_user(&api.login(name, "pw"));
    }
    assert_locked(&api.login("attacker", "pw"));
}

/// keg_auth bypass (b): failures were counted by the name as typed while
/// logins matched names loosely. moth matches names exactly: a variant is
/// another, unknown name, which neither logs into the account nor resets
/// or escapes its count, and is counted (and locked) on its own.
#[test]
fn a_spelling_variant_of_a_name_neither_logs_in_nor_escapes_the_count() {
    let api = Api::start();
    let ann = api.add_user("ann");
    for _ in 0..4 {
        assert_wrong(&api.login("ann", "wrong"));
    }
    for variant in ["Ann", "ANN", "ann\u{200b}", "an", "aNn"] {
        assert_no_user(&api.login(variant, "pw"));
    }
    // The fifth failure of the exact name still locks it.
    assert_wrong(&api.login("ann", "wrong"));
    assert_locked(&api.login("ann", "pw"));
    // A variant has a count of its own: one failure so far, not locked.
    assert_no_user(&api.login("ANN", "pw"));
    for _ in 0..3 {
        assert_no_user(&api.login("ANN", "pw"));
    }
    assert_locked(&api.login("ANN", "pw"));
    assert_no_user(&api.login("Ann", "pw"));
    let mut subjects: Vec<String> = api
        .locks()
        .iter()
        .map(|l| l["subject"].to_string())
        .collect();
    subjects.sort();
    let mut expected = vec![
        json!({ "account": ann }).to_string(),
        json!({"username": "ANN"}).to_string(),
    ];
    expected.sort();
    assert_eq!(subjects, expected);
    // The log keeps the names apart.
    assert_eq!(api.entries("/attempts?username=ann").len(), 5);
    assert_eq!(api.entries("/attempts?username=ANN").len(), 5);
    assert_eq!(api.entries("/attempts?username=Ann").len(), 2);
}

/// Counting and checking are one atomic step: concurrent wrong guesses get
/// exactly the threshold's 401s, every other one the lock.
#[test]
fn concurrent_guesses_get_exactly_the_thresholds_answers() {
    let api = Api::start();
    let ann = api.add_user("ann");
    let start_line = Barrier::new(20);
    let replies = on_threads(20, |_| {
        start_line.wait();
        vec![api.login("ann", "wrong")]
    });
    let wrong = replies.iter().filter(|r| r.status == 401).count();
    let locked = replies.iter().filter(|r| r.status == 429).count();
    assert_eq!((wrong, locked), (5, 15), "{replies:?}");
    for r in &replies {
        match r.status {
            401 => assert_wrong(r),
            _ => {
                assert_locked(r);
            }
        }
    }
    assert_locked(&api.login("ann", "pw"));
    let attempts = api.entries("/attempts?username=ann");
    assert_eq!(attempts.len(), 5, "{attempts:?}");
    assert!(attempts.iter().all(|e| e["success"] == false));
    let events = api.entries("/events");
    assert_eq!(kinds(&events), ["account-locked"], "{events:?}");
    assert_eq!(events[0]["user"], ann);
    let locks = api.locks();
    assert_eq!(locks.len(), 1, "{locks:?}");
    assert_eq!(locks[0]["lockouts"], 1);

    // A source's count, across as many names as requests, is as exact.
    let api = Api::start();
    api.add_user("ann");
    api.admin_body("PATCH", "/settings", json!({"source_lockout_threshold": 7}));
    let start_line = Barrier::new(20);
    let replies = on_threads(20, |i| {
        start_line.wait();
        vec![api.login(&format!("name{i}"), "pw")]
    });
    let unknown = replies.iter().filter(|r| r.status == 401).count();
    let blocked = replies.iter().filter(|r| r.status == 429).count();
    assert_eq!((unknown, blocked), (7, 13), "{replies:?}");
    replies
        .iter()
        .filter(|r| r.status == 401)
        .for_each(assert_no_user);
    assert_locked(&api.login("ann", "pw"));
    assert_eq!(api.entries("/attempts").len(), 7);
    assert_eq!(kinds(&api.entries("/events")), ["source-blocked"]);
}

/// OWASP's device cookies: the owner keeps logging in from a device that
/// logged in before while an attacker holds the account locked.
#[test]
fn the_owner_logs_in_with_a_device_credential_while_the_account_is_locked() {
    let api = Api::start();
    api.add_user("ann");
    api.add_user("bob");
    let r = api.login("ann", "pw");
    let v = assert_in(&r);
    let device = v["device"].as_str().unwrap().to_owned();
    assert!(device.starts_with("mothd_"), "{v}");
    let cookie = r.header("set-cookie").expect("a device cookie");
    assert!(
        cookie.starts_with(&format!("moth_device={device};")),
        "{cookie}"
    );
    let attributes: Vec<&str> = cookie.split(';').map(str::trim).skip(1).collect();
    for a in ["Path=/", "HttpOnly", "Secure", "SameSite=Strict"] {
        assert!(attributes.contains(&a), "{a} missing from {cookie}");
    }
    let max_age = attributes
        .iter()
        .find_map(|a| a.strip_prefix("Max-Age="))
        .expect("Max-Age");
    assert_eq!(max_age, "31536000", "{cookie}");
    let bobs = assert_in(&api.login("bob", "pw"))["device"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(bobs, device);
    // Garbage presented before any lock is ignored: a new credential.
    let r = api.login_with(
        json!({"username": "ann", "password": "pw", "device": "garbage"}),
        &[],
    );
    let fresh = assert_in(&r)["device"].as_str().unwrap().to_owned();
    assert!(fresh.starts_with("mothd_") && fresh != "garbage");

    // The attacker, without the device, locks the account.
    for _ in 0..5 {
        assert_wrong(&api.login("ann", "wrong"));
    }
    assert_locked(&api.login("ann", "pw"));
    // The owner, with it, gets in: as the parameter...
    let r = api.login_with(
        json!({"username": "ann", "password": "pw", "device": device}),
        &[],
    );
    let v = assert_in(&r);
    assert_eq!(v["device"], device.as_str(), "the same credential back");
    assert!(r.header("set-cookie").is_some());
    // ...in the query string...
    let r = api.request(
        "GET",
        &format!("/login?username=ann&password=pw&device={device}"),
        &[],
        "",
    );
    assert_in(&r);
    // ...or as the cookie, among others.
    let header = format!("theme=dark; moth_device={device}; lang=en");
    let r = api.login_with(
        json!({"username": "ann", "password": "pw"}),
        &[("Cookie", &header)],
    );
    assert_eq!(assert_in(&r)["device"], device.as_str());
    // A password check with the device is let in too.
    let r = api.request(
        "GET",
        "/passvalid",
        &[("Cookie", &format!("moth_device={device}"))],
        &json!({"username": "ann", "password": "pw"}).to_string(),
    );
    assert_eq!((r.status, r.json()), (200, json!({"valid": true})), "{r:?}");
    // Garbage, a forged credential or another account's is judged like no
    // device at all: locked.
    let mut forged = device.clone();
    let at = device.len() - 3;
    let flip = if &device[at..at + 1] == "A" { "B" } else { "A" };
    forged.replace_range(at..at + 1, flip);
    for bad in ["garbage", "mothd_", forged.as_str(), bobs.as_str()] {
        let r = api.login_with(
            json!({"username": "ann", "password": "pw", "device": bad}),
            &[],
        );
        assert_locked(&r);
        let r = api.login_with(
            json!({"username": "ann", "password": "pw"}),
            &[("Cookie", &format!("moth_device={bad}"))],
        );
        assert_locked(&r);
    }

    // A device is judged by its own counter, and locks alone.
    api.clock.advance(1);
    let with_device = |pw: &str| {
        api.login_with(
            json!({"username": "ann", "password": pw, "device": device}),
            &[],
        )
    };
    for _ in 0..5 {
        assert_wrong(&with_device("wrong"));
    }
    assert_locked(&with_device("pw"));
    let locks = api.locks();
    assert_eq!(locks.len(), 2, "{locks:?}");
    let device_id = locks
        .iter()
        .find_map(|l| l["subject"]["device"].as_str())
        .unwrap_or_else(|| panic!("no device lock: {locks:?}"))
        .to_owned();
    assert_eq!(device_id.len(), 32, "{device_id}");
    assert!(locks.iter().any(|l| l["subject"] == json!({"account": 1})));
    assert!(
        !api.admin_query("GET", "/locks").body.contains(&device),
        "a listing never shows the credential"
    );
    let events = api.entries("/events");
    assert_eq!(kinds(&events), ["device-locked", "account-locked"]);
    // Another device of the owner is untouched by this one's lock.
    let r = api.login_with(
        json!({"username": "ann", "password": "pw", "device": fresh}),
        &[],
    );
    assert_in(&r);
    assert_eq!(
        api.admin_ok("DELETE", &format!("/locks?device={device_id}")),
        json!({"unlocked": true})
    );
    assert_in(&with_device("pw"));
    // The attacker is still locked out.
    assert_locked(&api.login("ann", "pw"));
}

/// A source that fails across many accounts is blocked for all of them;
/// its address is the TCP peer, or what a trusted proxy forwards.
#[test]
fn a_source_failing_across_accounts_is_blocked_and_found_behind_a_trusted_proxy() {
    let api = Api::start_trusting(&["127.0.0.1/32"]);
    api.add_user("ann");
    let s = api.admin_body("PATCH", "/settings", json!({"source_lockout_threshold": 3}));
    assert_eq!(s["source_lockout_threshold"], 3, "{s}");
    let client = "203.0.113.7";
    for name in ["n0", "n1", "n2"] {
        api.clock.advance(1);
        assert_no_user(&api.login_via(name, "pw", client));
    }
    // Any account, right password or not, from that client.
    assert_eq!(assert_locked(&api.login_via("ann", "pw", client)), 900);
    assert_locked(&api.login_via("n9", "pw", client));
    // What the client writes left of its own address changes nothing.
    assert_locked(&api.login_via("ann", "pw", &format!("198.51.100.1, {client}")));
    // Another client of the proxy, and the proxy itself, are not blocked.
    api.clock.advance(1);
    assert_in(&api.login_via("ann", "pw", "203.0.113.8"));
    api.clock.advance(1);
    assert_in(&api.login("ann", "pw"));

    let from_client = api.entries(&format!("/attempts?source={client}"));
    assert_eq!(
        summary(&from_client),
        ["n2", "n1", "n0"]
            .iter()
            .map(|n| (
                "login".to_owned(),
                Value::Null,
                (*n).to_owned(),
                json!(client),
                false,
                "no such user".to_owned()
            ))
            .collect::<Vec<_>>()
    );
    let sources: Vec<Value> = api
        .entries("/attempts")
        .iter()
        .map(|e| e["source"].clone())
        .collect();
    assert_eq!(
        sources,
        ["127.0.0.1", "203.0.113.8", client, client, client].map(|s| json!(s))
    );
    assert_eq!(
        api.locks(),
        [json!({"subject": {"source": client}, "until": T0 + 3 + 900, "lockouts": 1})]
    );
    let blocked = api.entries("/events?kind=source-blocked");
    assert_eq!(blocked.len(), 1, "{blocked:?}");
    assert_eq!(blocked[0]["source"], client);

    assert_eq!(
        api.admin_ok("DELETE", &format!("/locks?source={client}")),
        json!({"unlocked": true})
    );
    assert_in(&api.login_via("ann", "pw", client));
    let unlocked = api.entries("/events?kind=unlocked");
    assert_eq!(unlocked.len(), 1, "{unlocked:?}");
}

/// Without trusted proxies `X-Forwarded-For` is anyone's text: ignored, so
/// rotating it escapes nothing.
#[test]
fn without_trusted_proxies_x_forwarded_for_is_ignored() {
    let api = Api::start();
    api.add_user("ann");
    api.admin_body("PATCH", "/settings", json!({"source_lockout_threshold": 3}));
    for (i, name) in ["n0", "n1", "n2"].iter().enumerate() {
        assert_no_user(&api.login_via(name, "pw", &format!("203.0.113.{i}")));
    }
    assert_locked(&api.login_via("ann", "pw", "203.0.113.50"));
    assert_locked(&api.login("ann", "pw"));
    let all = api.entries("/attempts");
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(|e| e["source"] == "127.0.0.1"), "{all:?}");
    assert!(api.entries("/attempts?source=203.0.113.0").is_empty());
    assert_eq!(api.locks()[0]["subject"], json!({"source": "127.0.0.1"}));
}

/// Six attempts ten seconds apart (at T0 + 10 … T0 + 60): ann fails
/// twice, bob once, an unknown name once, then ann checks her password and
/// logs in. ann and bob must exist.
fn six_attempts(api: &Api) {
    api.clock.advance(10);
    assert_wrong(&api.login("ann", "wrong"));
    api.clock.advance(10);
    assert_wrong(&api.login("ann", "wrong"));
    api.clock.advance(10);
    assert_wrong(&api.login("bob", "wrong"));
    api.clock.advance(10);
    assert_no_user(&api.login("nobody", "pw"));
    api.clock.advance(10);
    let r = api.request(
        "GET",
        "/passvalid",
        &[],
        &json!({"username": "ann", "password": "pw"}).to_string(),
    );
    assert_eq!((r.status, r.json()), (200, json!({"valid": true})), "{r:?}");
    api.clock.advance(10);
    assert_in(&api.login("ann", "pw"));
}

#[test]
fn the_attempt_log_is_filtered_ordered_newest_first_and_paged() {
    let api = Api::start();
    let ann = api.add_user("ann");
    let bob = api.add_user("bob");
    six_attempts(&api);
    let all = api.admin_ok("GET", "/attempts");
    assert_eq!(all["next"], Value::Null);
    let all = all["entries"].as_array().unwrap().clone();
    let local = json!("127.0.0.1");
    let line = |kind: &str, user: Value, name: &str, ok: bool, reason: &str| {
        (
            kind.to_owned(),
            user,
            name.to_owned(),
            local.clone(),
            ok,
            reason.to_owned(),
        )
    };
    assert_eq!(
        summary(&all),
        [
            line("login", json!(ann), "ann", true, ""),
            line("check-password", json!(ann), "ann", true, ""),
            line("login", Value::Null, "nobody", false, "no such user"),
            line("login", json!(bob), "bob", false, "wrong password"),
            line("login", json!(ann), "ann", false, "wrong password"),
            line("login", json!(ann), "ann", false, "wrong password"),
        ]
    );
    assert_eq!(
        times(&all),
        [60, 50, 40, 30, 20, 10].map(|t| T0 + t).to_vec()
    );
    for e in &all {
        let mut keys: Vec<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "id", "kind", "reason", "source", "success", "time", "user", "username"
            ]
        );
        assert_eq!(e["id"].as_str().unwrap().len(), 32, "{e}");
    }
    let body = api.admin_query("GET", "/attempts").body;
    assert!(
        !body.contains("wrong\"") && !body.contains("moth_"),
        "no secrets: {body}"
    );

    // Filters.
    let count = |q: &str| api.entries(&format!("/attempts?{q}")).len();
    assert_eq!(
        times(&api.entries("/attempts?username=ann")),
        [60, 50, 20, 10].map(|t| T0 + t).to_vec()
    );
    assert_eq!(count(&format!("user={ann}")), 4);
    assert_eq!(count(&format!("user={bob}")), 1);
    let nobody = api.entries("/attempts?username=nobody");
    assert_eq!(nobody.len(), 1);
    assert_eq!(nobody[0]["user"], Value::Null);
    assert_eq!(count("username=carol"), 0);
    assert_eq!(count("kind=check-password"), 1);
    assert_eq!(count("kind=login"), 5);
    assert_eq!(count("kind=reset-password"), 0);
    assert_eq!(count("source=127.0.0.1"), 6);
    assert_eq!(count("source=10.0.0.1"), 0);
    assert_eq!(
        times(&api.entries(&format!("/attempts?since={}&until={}", T0 + 20, T0 + 40))),
        [40, 30, 20].map(|t| T0 + t).to_vec()
    );
    assert_eq!(count(&format!("since={}", T0 + 61)), 0);
    assert_eq!(count(&format!("until={}", T0 + 9)), 0);
    assert_eq!(
        times(&api.entries(&format!(
            "/attempts?username=ann&kind=login&since={}",
            T0 + 15
        ))),
        [60, 20].map(|t| T0 + t).to_vec()
    );
    // The same filters in a JSON body.
    let r = api.request(
        "GET",
        "/attempts",
        &[("Authorization", BEARER)],
        &json!({"username": "ann", "kind": "login", "limit": 10}).to_string(),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json()["entries"].as_array().unwrap().len(), 3);

    // Pages of every size give the whole log once, in order.
    let ids: Vec<&str> = all.iter().map(|e| e["id"].as_str().unwrap()).collect();
    for size in 1..=7 {
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..10 {
            let path = match &after {
                Some(a) => format!("/attempts?limit={size}&after={a}"),
                None => format!("/attempts?limit={size}"),
            };
            let page = api.admin_ok("GET", &path);
            let entries = page["entries"].as_array().unwrap();
            assert!(entries.len() <= size, "{page}");
            seen.extend(entries.iter().map(|e| e["id"].as_str().unwrap().to_owned()));
            match page["next"].as_str() {
                Some(n) => after = Some(n.to_owned()),
                None => break,
            }
        }
        assert_eq!(seen, ids, "pages of {size}");
    }
    // Paging within a filter.
    let first = api.admin_ok("GET", "/attempts?username=ann&limit=3");
    let next = first["next"].as_str().expect("more of ann's");
    let rest = api.entries(&format!("/attempts?username=ann&limit=3&after={next}"));
    assert_eq!(times(&rest), [T0 + 10]);
}

#[test]
fn events_show_locks_unlocks_and_password_changes_and_locks_are_lifted() {
    let api = Api::start();
    let ann = api.add_user("ann");
    let bob = api.add_user("bob");
    six_attempts(&api);
    assert!(api.entries("/events").is_empty());
    api.clock.advance(10); // T0 + 70
    api.admin_body("PATCH", "/setpass", json!({"id": ann, "password": "pw2"}));
    api.clock.advance(10); // T0 + 80
    // bob failed once at T0 + 30: four more lock him.
    for _ in 0..4 {
        assert_wrong(&api.login("bob", "wrong"));
    }
    assert_eq!(assert_locked(&api.login("bob", "pw")), 900);
    assert_eq!(
        api.locks(),
        [json!({"subject": {"account": bob}, "until": T0 + 80 + 900, "lockouts": 1})]
    );
    api.clock.advance(10); // T0 + 90
    assert_eq!(assert_locked(&api.login("bob", "pw")), 890);
    assert_eq!(
        api.admin_ok("DELETE", &format!("/locks?account={bob}")),
        json!({"unlocked": true})
    );
    assert_eq!(
        api.admin_ok("DELETE", &format!("/locks?account={bob}")),
        json!({"unlocked": false})
    );
    assert!(api.locks().is_empty());
    api.clock.advance(10); // T0 + 100
    assert_in(&api.login("bob", "pw"));
    assert_in(&api.login("ann", "pw2"));

    let events = api.entries("/events");
    assert_eq!(
        kinds(&events),
        ["unlocked", "account-locked", "password-changed"]
    );
    assert_eq!(times(&events), [T0 + 90, T0 + 80, T0 + 70]);
    assert_eq!(
        events.iter().map(|e| e["user"].clone()).collect::<Vec<_>>(),
        [json!(bob), json!(bob), json!(ann)]
    );
    assert!(events.iter().all(|e| e["success"] == true), "{events:?}");
    assert!(
        events[1]["reason"]
            .as_str()
            .unwrap()
            .contains(&(T0 + 980).to_string()),
        "{events:?}"
    );
    assert_eq!(
        kinds(&api.entries(&format!("/events?user={ann}"))),
        ["password-changed"]
    );
    assert_eq!(
        kinds(&api.entries("/events?username=bob&kind=unlocked")),
        ["unlocked"]
    );
    assert_eq!(api.entries(&format!("/events?since={}", T0 + 85)).len(), 1);
    let page = api.admin_ok("GET", "/events?limit=2");
    assert_eq!(page["entries"].as_array().unwrap().len(), 2);
    let after = page["next"].as_str().unwrap();
    assert_eq!(
        kinds(&api.entries(&format!("/events?limit=2&after={after}"))),
        ["password-changed"]
    );
    // Events are not attempts, nor attempts events.
    assert_eq!(api.entries("/attempts").len(), 6 + 4 + 2);
    assert_eq!(api.entries("/attempts?username=bob").len(), 6);
}

#[test]
fn purging_the_attempt_log_takes_optional_filters_and_reports_the_count() {
    let api = Api::start();
    let ann = api.add_user("ann");
    api.add_user("bob");
    six_attempts(&api);
    api.admin_body("PATCH", "/setpass", json!({"id": ann, "password": "pw2"}));
    let purge = |q: &str| api.admin_ok("DELETE", &format!("/attempts{q}"));
    assert_eq!(
        purge("?kind=check-password"),
        json!({"deleted": true, "count": 1})
    );
    assert_eq!(
        purge("?kind=check-password"),
        json!({"deleted": false, "count": 0})
    );
    assert_eq!(api.entries("/attempts?kind=check-password").len(), 0);
    // ann's entries strictly before T0 + 20: one.
    assert_eq!(
        purge(&format!("?username=ann&older_than={}", T0 + 20)),
        json!({"deleted": true, "count": 1})
    );
    assert_eq!(
        times(&api.entries("/attempts?username=ann")),
        [T0 + 60, T0 + 20]
    );
    assert_eq!(
        purge("?username=nobody"),
        json!({"deleted": true, "count": 1})
    );
    assert!(api.entries("/attempts?username=nobody").is_empty());
    assert_eq!(
        purge("?username=carol"),
        json!({"deleted": false, "count": 0})
    );
    // With no filter: every attempt left, and no event.
    assert_eq!(purge(""), json!({"deleted": true, "count": 3}));
    assert!(api.entries("/attempts").is_empty());
    assert_eq!(kinds(&api.entries("/events")), ["password-changed"]);
    // An event kind is purged only when named.
    assert_eq!(
        purge("?kind=password-changed"),
        json!({"deleted": true, "count": 1})
    );
    assert!(api.entries("/events").is_empty());
    // Purging forgets the log, not the counters: a lock stays.
    for _ in 0..5 {
        assert_wrong(&api.login("ann", "wrong"));
    }
    assert_eq!(purge(""), json!({"deleted": true, "count": 5}));
    assert_locked(&api.login("ann", "pw2"));
}

#[test]
fn the_log_and_the_locks_are_per_tenant() {
    let api = Api::start();
    api.add_user("ann");
    let r = api.admin_body(
        "PUT",
        "/tenants",
        json!({"name": "acme", "argon2_memory_kib": 8, "argon2_iterations": 1,
               "allow_weak_hashing": true, "min_password_length": 1,
               "refuse_common_passwords": false}),
    );
    assert_eq!(r, json!({"tenant": "acme"}));
    api.admin_body(
        "PUT",
        "/t/acme/new",
        json!({"username": "ann", "password": "pw", "permissions": ""}),
    );
    let acme_login = |pw: &str| {
        api.request(
            "GET",
            "/t/acme/login",
            &[],
            &json!({"username": "ann", "password": pw}).to_string(),
        )
    };
    for _ in 0..5 {
        assert_wrong(&acme_login("wrong"));
    }
    assert_locked(&acme_login("pw"));
    // The default tenant's ann is not locked, and sees nothing of acme's.
    assert_in(&api.login("ann", "pw"));
    assert_eq!(api.entries("/attempts").len(), 1);
    assert!(api.locks().is_empty());
    assert!(api.entries("/events").is_empty());
    assert_eq!(api.entries("/t/acme/attempts").len(), 5);
    let by_header = api.request(
        "GET",
        "/attempts",
        &[("Authorization", BEARER), ("X-Moth-Tenant", "acme")],
        "",
    );
    assert_eq!(by_header.json()["entries"].as_array().unwrap().len(), 5);
    assert_eq!(kinds(&api.entries("/t/acme/events")), ["account-locked"]);
    let locks = api.admin_ok("GET", "/t/acme/locks");
    assert_eq!(locks["locks"][0]["subject"], json!({"account": 1}));
    assert_eq!(
        api.admin_ok("DELETE", "/locks?account=1"),
        json!({"unlocked": false})
    );
    assert_eq!(
        api.admin_ok("DELETE", "/t/acme/locks?account=1"),
        json!({"unlocked": true})
    );
    assert_in(&acme_login("pw"));
    assert_eq!(
        api.admin_ok("DELETE", "/t/acme/attempts"),
        json!({"deleted": true, "count": 6})
    );
    assert_eq!(api.entries("/attempts").len(), 1);
}

#[test]
fn bad_input_is_a_400_naming_what_is_wrong() {
    let api = Api::start();
    api.add_user("ann");
    api.add_user("bob");
    six_attempts(&api);
    let cases: &[(&str, &str, &str)] = &[
        ("GET", "/attempts?kind=nope", "unknown kind"),
        ("GET", "/attempts?kind=Login", "unknown kind"),
        ("GET", "/attempts?kind=account-locked", "attempt kind"),
        ("GET", "/events?kind=login", "event kind"),
        ("GET", "/events?kind=nope", "unknown kind"),
        ("DELETE", "/attempts?kind=nope", "unknown kind"),
        ("GET", "/attempts?after=zz", "after"),
        ("GET", "/attempts?after=0123456789abcdef", "after"),
        ("GET", "/events?after=not-a-cursor", "after"),
        ("GET", "/attempts?limit=0", "limit"),
        ("GET", "/attempts?limit=1001", "limit"),
        ("GET", "/events?limit=0", "limit"),
        ("GET", "/attempts?limit=-1", "Invalid request parameters"),
        ("GET", "/attempts?limit=x", "Invalid request parameters"),
        ("GET", "/attempts?since=20&until=10", "since"),
        ("GET", "/attempts?user=1&username=ann", "user or username"),
        ("GET", "/attempts?source=not-an-ip", "source"),
        ("GET", "/locks?limit=0", "limit"),
        ("GET", "/locks?limit=1001", "limit"),
        ("GET", "/locks?after=zz", "after"),
        ("DELETE", "/locks", "Missing request parameters"),
        ("DELETE", "/locks?account=1&username=ann", "one of"),
        ("DELETE", "/locks?source=127.0.0.1&device=00", "one of"),
        ("DELETE", "/locks?account=x", "Invalid request parameters"),
        ("DELETE", "/locks?device=zz", "device"),
        ("DELETE", "/locks?source=nowhere", "source"),
        (
            "DELETE",
            "/attempts?older_than=soon",
            "Invalid request parameters",
        ),
    ];
    for (method, path, needle) in cases {
        let r = api.admin_query(method, path);
        assert_eq!(r.status, 400, "{method} {path}: {r:?}");
        let error = r.json()["error"].as_str().unwrap_or_default().to_owned();
        assert!(
            error.contains(needle),
            "{method} {path}: {error:?} does not say {needle:?}"
        );
    }
    // The bounds themselves are fine.
    for path in [
        "/attempts?limit=1",
        "/attempts?limit=1000",
        "/locks?limit=1000",
    ] {
        assert_eq!(api.admin_query("GET", path).status, 200, "{path}");
    }
    // Nothing was purged or unlocked by the refused requests.
    assert_eq!(api.entries("/attempts").len(), 6);
}

#[test]
fn the_log_and_lock_routes_need_the_admin_key() {
    let api = Api::start();
    api.add_user("ann");
    for _ in 0..5 {
        assert_wrong(&api.login("ann", "wrong"));
    }
    let routes = [
        ("GET", "/attempts"),
        ("DELETE", "/attempts"),
        ("GET", "/events"),
        ("GET", "/locks"),
        ("DELETE", "/locks?account=1"),
        ("GET", "/t/default/attempts"),
        ("DELETE", "/t/default/locks?account=1"),
    ];
    for (method, path) in routes {
        for auth in [
            None,
            Some("Bearer not-the-admin-key-at-all"),
            Some("Basic YWRtaW46YWRtaW4="),
        ] {
            let headers: Vec<(&str, &str)> =
                auth.map(|a| ("Authorization", a)).into_iter().collect();
            let r = api.request(method, path, &headers, "");
            assert_eq!(r.status, 401, "{method} {path} {auth:?}: {r:?}");
            assert_eq!(r.json(), json!({"error": "Admin key required"}));
        }
    }
    // Nothing was purged or unlocked.
    assert_eq!(api.entries("/attempts").len(), 5);
    assert_locked(&api.login("ann", "pw"));
    assert_eq!(api.locks().len(), 1);
}

/// Odd but well-formed requests are answered, never with a 5xx: empty
/// names, extreme times and limits, subjects that were never locked.
#[test]
fn odd_requests_are_answered_without_a_server_error() {
    let api = Api::start();
    api.add_user("ann");
    api.add_user("bob");
    six_attempts(&api);
    let max = u64::MAX;
    for path in [
        "/attempts?username=".to_owned(),
        "/attempts?username=%F0%9F%A6%8B".to_owned(),
        "/attempts?source=".to_owned(),
        "/attempts?source=::1".to_owned(),
        "/attempts?source=::ffff:127.0.0.1".to_owned(),
        format!("/attempts?since={max}"),
        format!("/attempts?until={max}"),
        "/attempts?since=0&until=0".to_owned(),
        format!("/attempts?user={max}"),
        "/attempts?after=ffffffffffffffffffffffffffffffff".to_owned(),
        "/attempts?after=00000000000000000000000000000000".to_owned(),
        "/events?after=ffffffffffffffffffffffffffffffff".to_owned(),
        format!("/locks?after={}", "f".repeat(64)),
        format!("/locks?after={}", "0".repeat(64)),
        "/attempts?limit=4294967296".to_owned(),
    ] {
        let r = api.admin_query("GET", &path);
        assert!(matches!(r.status, 200 | 400), "{path}: {r:?}");
        if r.status == 400 {
            assert!(r.json()["error"].is_string(), "{path}: {r:?}");
        }
    }
    // `::ffff:127.0.0.1` is 127.0.0.1.
    assert_eq!(api.entries("/attempts?source=::ffff:127.0.0.1").len(), 6);
    for path in [
        "/attempts?older_than=0".to_owned(),
        format!("/attempts?older_than={max}&username=carol"),
        "/attempts?username=&kind=unlocked".to_owned(),
        "/locks?username=".to_owned(),
        format!("/locks?account={max}"),
        format!("/locks?device={}", "0".repeat(32)),
        "/locks?source=::".to_owned(),
        "/locks?source=2001:db8::/64".to_owned(),
    ] {
        let r = api.admin_query("DELETE", &path);
        assert!(matches!(r.status, 200 | 400), "{path}: {r:?}");
    }
    assert_eq!(api.entries("/attempts").len(), 6, "nothing of ann's purged");
    // Login with odd device values: judged like none.
    for device in [
        json!(""),
        json!("mothd_".to_owned() + &"A".repeat(200)),
        json!(" "),
    ] {
        let r = api.login_with(
            json!({"username": "ann", "password": "pw", "device": device}),
            &[],
        );
        assert_in(&r);
    }
    let r = api.login_with(
        json!({"username": "ann", "password": "pw", "device": 7}),
        &[],
    );
    assert_eq!(r.status, 400, "{r:?}");
}
