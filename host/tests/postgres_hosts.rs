//! Several moth hosts over one PostgreSQL database, as a deployment behind
//! a load balancer runs them: separate `moth run --store postgres://…`
//! processes serving the HTTP API on loopback, sharing nothing but the
//! database. What these tests prove:
//!
//! - **No host keeps state of its own.** A user created on one host logs
//!   in on another; a token minted on one validates on every other; a
//!   logout, a password change, a permission change or a deletion made on
//!   one host holds on every other at once (no stale cache).
//! - **Uniqueness holds across hosts.** The same username created through
//!   three hosts at the same instant is created once (the others get 409
//!   `User already exists`), and users created concurrently through every
//!   host get unique, dense ids.
//! - **What a host acknowledged survives its `kill -9`.** Under write load
//!   through two hosts, one is killed with SIGKILL: the other keeps
//!   succeeding, and every user either host acknowledged is there, seen
//!   by the survivor and by a host started afterwards.
//! - **Tenants are shared.** A tenant created on one host serves on every
//!   other; deleted on one, every other answers 404 for it within the
//!   registry's re-check interval (1 s), keeps doing so, and a tenant
//!   re-created under the name starts empty everywhere.
//!
//! A host is killed (SIGKILL) when its [`Host`] is dropped, panics
//! included.
//!
//! The tests need PostgreSQL: `MOTH_TEST_POSTGRES=postgres://…`. Without
//! it they pass without doing anything (under CI they fail instead). They
//! run one at a time, since each starts several servers.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use moth::Options;
use serde_json::{Value, json};

// moth-tests' helpers, included by path: moth-tests depends on this crate.
// The CLI runners are not used here (the module allows that itself).
mod common;
#[allow(dead_code)] // Not every part of the client is used here.
#[path = "../../tests/src/http.rs"]
mod http;
#[allow(dead_code)] // Only some of the PostgreSQL helpers are used here.
#[path = "../../tests/src/pg.rs"]
mod pg;
#[path = "../../tests/src/settings.rs"]
mod settings;

use common::MOTH;
use http::{Reply, http};
use settings::cheap_settings;

/// How long a host may take to start (it may compile the component).
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// One host: a child process serving the shared database.
struct Host {
    name: &'static str,
    addr: SocketAddr,
    child: Child,
}

impl Host {
    /// Start `moth run` serving `store` on a free loopback port, and wait
    /// until it answers `/healthz`.
    fn start(name: &'static str, store: &str) -> Host {
        // A port free a moment ago; a clash shows as a host that never
        // becomes healthy.
        let port = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(MOTH)
            .args(["run", "--store", store, "-p", &port.to_string()])
            .env("RUST_LOG", "warn")
            .env_remove("MOTH_DB")
            .env_remove("MOTH_STORE")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("start host {name}: {e}"));
        let host = Host {
            name,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            child,
        };
        host.wait_healthy();
        host
    }

    /// Start hosts named `names` serving `store`.
    fn start_all<const N: usize>(names: [&'static str; N], store: &str) -> [Host; N] {
        names.map(|name| Self::start(name, store))
    }

    fn wait_healthy(&self) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            match try_http(self.addr, "GET", "/healthz", "") {
                Ok((200, body)) if body.contains("ok") => return,
                answer => assert!(
                    Instant::now() < deadline,
                    "host {} never became healthy; last answer {answer:?}",
                    self.name
                ),
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL: no destructor runs, nothing is flushed on the way out.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Send a request with `body` as its JSON body.
    fn request(&self, method: &str, path: &str, body: &Value) -> Reply {
        let body = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        http(self.addr, method, path, &[], &body)
    }

    /// A request that must succeed; its JSON body.
    fn ok(&self, method: &str, path: &str, body: Value) -> Value {
        let reply = self.request(method, path, &body);
        assert_eq!(
            reply.status, 200,
            "{method} {path} {body} on host {} must succeed: {reply:?}",
            self.name
        );
        reply.json()
    }

    /// A request that must fail with `status` and `message`.
    fn fails(&self, method: &str, path: &str, body: Value, status: u16, message: &str) {
        let reply = self.request(method, path, &body);
        assert_eq!(
            (reply.status, reply.json()["error"].as_str()),
            (status, Some(message)),
            "{method} {path} {body} on host {}: {reply:?}",
            self.name
        );
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        self.kill();
    }
}

/// These tests start several servers each: one at a time.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// The start of every test: PostgreSQL (or a skip, outside CI), one test
/// at a time, and a fresh database (kept while its directory lives).
fn fresh_database() -> Option<(MutexGuard<'static, ()>, tempfile::TempDir, String)> {
    let url = pg::postgres_url()?;
    let serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let store = database(&url, dir.path());
    Some((serial, dir, store))
}

/// A fresh moth database in a PostgreSQL schema of its own, with cheap
/// hashing stored in it (which every host then reads), for the test whose
/// files are in `dir`; its full URL, to hand to the hosts.
fn database(url: &str, dir: &Path) -> String {
    let location = pg::postgres_schema(url, dir);
    let moth = Options::new()
        .create(true)
        .settings(cheap_settings())
        .sweep_interval(None)
        .open(location.clone())
        .unwrap_or_else(|e| panic!("create the database at {location}: {e}"));
    drop(moth);
    location.reveal()
}

/// One request that may fail to connect or be cut off (its host killed):
/// the status and body, or the I/O error.
fn try_http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let cut = || std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "a cut-off reply");
    let (head, body) = text.split_once("\r\n\r\n").ok_or_else(cut)?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(cut)?;
    // A reply cut off inside its body is no acknowledgement either.
    let length = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok());
    if length.is_some_and(|n| n != body.len()) {
        return Err(cut());
    }
    Ok((status, body.to_owned()))
}

/// A new user's body for `PUT /new`.
fn new_user(username: &str, password: &str) -> Value {
    json!({"username": username, "password": password, "permissions": "rw"})
}

/// The user list of `host`, as id → username.
fn users_on(host: &Host) -> BTreeMap<u64, String> {
    let list = host.ok("GET", "/getusers", Value::Null);
    let list = list.as_array().expect("a list of users");
    let users: BTreeMap<u64, String> = list
        .iter()
        .map(|u| {
            (
                u["id"].as_u64().expect("an id"),
                u["username"].as_str().expect("a username").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        users.len(),
        list.len(),
        "user ids are unique on host {}",
        host.name
    );
    users
}

#[test]
fn a_token_minted_on_one_host_validates_on_every_other() {
    let Some((_serial, _dir, store)) = fresh_database() else {
        return;
    };
    let [a, b, c] = Host::start_all(["A", "B", "C"], &store);
    let all = [&a, &b, &c];
    let login = |host: &Host, password: &str| {
        let body = json!({"username": "ann", "password": password});
        host.ok("GET", "/login", body)["token"]
            .as_str()
            .expect("a token")
            .to_owned()
    };

    // Created on A, logged in on B, valid on A and C.
    let ann = a.ok("PUT", "/new", new_user("ann", "first password"));
    let id = ann["userid"].as_u64().expect("a user id");
    let first = login(&b, "first password");
    for host in [&a, &c] {
        let v = host.ok("GET", "/validate", json!({"token": first}));
        assert_eq!(
            (&v["valid"], &v["userid"], &v["username"], &v["permissions"]),
            (&json!(true), &json!(id), &json!("ann"), &json!("rw")),
            "a token minted on B validates on host {}",
            host.name
        );
    }
    let bearer = format!("Bearer {first}");
    let reply = http(
        a.addr,
        "GET",
        "/validate",
        &[("Authorization", &bearer)],
        "",
    );
    assert_eq!(reply.status, 200, "as a bearer token too: {reply:?}");

    // Logged out on C: dead on every host at once.
    assert_eq!(
        c.ok("DELETE", "/logout", json!({"token": first})),
        json!({"deleted": true})
    );
    for host in all {
        host.fails(
            "GET",
            "/validate",
            json!({"token": first}),
            401,
            "Token does not exist",
        );
    }

    // A new password set on B kills the tokens minted on A and C.
    let on_a = login(&a, "first password");
    let on_c = login(&c, "first password");
    b.ok("GET", "/validate", json!({"token": on_a}));
    b.ok("GET", "/validate", json!({"token": on_c}));
    assert_eq!(
        a.ok("GET", "/gettokens", json!({"id": id})),
        json!({"count": 2})
    );
    assert_eq!(
        b.ok(
            "PATCH",
            "/setpass",
            json!({"id": id, "password": "second password"})
        ),
        json!({"updated": true})
    );
    for host in all {
        for token in [&on_a, &on_c] {
            let reply = host.request("GET", "/validate", &json!({"token": token}));
            assert_eq!(
                reply.status, 401,
                "a token from before the password change is dead on host {}: {reply:?}",
                host.name
            );
        }
        host.fails(
            "GET",
            "/login",
            json!({"username": "ann", "password": "first password"}),
            401,
            "Invalid password",
        );
        let valid = host.ok(
            "GET",
            "/passvalid",
            json!({"username": "ann", "password": "second password"}),
        );
        assert_eq!(valid, json!({"valid": true}), "host {}", host.name);
    }
    let current = login(&c, "second password");
    assert_eq!(
        c.ok("GET", "/gettokens", json!({"id": id})),
        json!({"count": 1})
    );

    // Permissions changed on A show on C, in the user and in validation.
    a.ok(
        "PATCH",
        "/setperms",
        json!({"id": id, "permissions": "admin"}),
    );
    assert_eq!(
        c.ok("GET", "/getuser", json!({"id": id})),
        json!({"id": id, "username": "ann", "permissions": "admin"})
    );
    let v = b.ok("GET", "/validate", json!({"token": current}));
    assert_eq!(
        v["permissions"], "admin",
        "validation on B reads the new permissions"
    );

    // Deleted on C: gone everywhere, tokens included.
    assert_eq!(
        c.ok("DELETE", "/del", json!({"id": id})),
        json!({"deleted": true})
    );
    for host in all {
        host.fails(
            "GET",
            "/getuser",
            json!({"id": id}),
            401,
            "User does not exist",
        );
        let reply = host.request("GET", "/validate", &json!({"token": current}));
        assert_eq!(
            reply.status, 401,
            "a deleted user's token is dead on host {}: {reply:?}",
            host.name
        );
        host.fails(
            "GET",
            "/login",
            json!({"username": "ann", "password": "second password"}),
            401,
            "User does not exist",
        );
        assert!(
            users_on(host).is_empty(),
            "no users left on host {}",
            host.name
        );
    }

    // The name is free again, under a new id; the old token stays dead.
    let again = b.ok("PUT", "/new", new_user("ann", "third password"));
    assert_eq!(again["userid"], json!(id + 1), "ids are never reused");
    a.fails(
        "GET",
        "/validate",
        json!({"token": current}),
        401,
        "Token does not exist",
    );
}

#[test]
fn concurrent_creation_of_one_username_through_different_hosts_gives_one_success() {
    let Some((_serial, _dir, store)) = fresh_database() else {
        return;
    };
    let hosts = Host::start_all(["A", "B", "C"], &store);
    let mut created: BTreeMap<u64, String> = BTreeMap::new();

    // Every round, the three hosts create one name at the same instant,
    // each with its own password.
    const ROUNDS: usize = 8;
    for round in 0..ROUNDS {
        let name = format!("racer-{round}");
        let barrier = Barrier::new(hosts.len());
        let replies: Vec<Reply> = std::thread::scope(|s| {
            let threads: Vec<_> = hosts
                .iter()
                .map(|host| {
                    let (name, barrier) = (&name, &barrier);
                    s.spawn(move || {
                        let body = new_user(name, &format!("password via {}", host.name));
                        barrier.wait();
                        host.request("PUT", "/new", &body)
                    })
                })
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).collect()
        });
        let winners: Vec<usize> = (0..hosts.len())
            .filter(|&i| replies[i].status == 200)
            .collect();
        assert_eq!(
            winners.len(),
            1,
            "round {round}: exactly one host creates {name:?}: {replies:?}"
        );
        let winner = &hosts[winners[0]];
        for (host, reply) in hosts.iter().zip(&replies) {
            if host.name != winner.name {
                assert_eq!(
                    (reply.status, reply.json()["error"].as_str()),
                    (409, Some("User already exists")),
                    "round {round}: host {} lost the race for {name:?}: {reply:?}",
                    host.name
                );
            }
        }
        let user = replies[winners[0]].json();
        let id = user["userid"].as_u64().expect("a user id");
        assert_eq!(user["username"], json!(name));
        created.insert(id, name.clone());
        // The one record is the winner's: its password, on every host.
        for host in &hosts {
            for candidate in &hosts {
                let password = format!("password via {}", candidate.name);
                let valid = host.ok(
                    "GET",
                    "/passvalid",
                    json!({"username": name, "password": password}),
                );
                assert_eq!(
                    valid["valid"],
                    json!(candidate.name == winner.name),
                    "round {round}: host {} checks {name:?}'s password from host {}",
                    host.name,
                    candidate.name
                );
            }
        }
    }

    // Distinct users through every host at once: unique, dense ids.
    const PER_HOST_THREADS: usize = 4;
    const PER_THREAD: usize = 5;
    let threads = hosts.len() * PER_HOST_THREADS;
    let barrier = Barrier::new(threads);
    let made: Vec<(u64, String)> = std::thread::scope(|s| {
        let (hosts, barrier) = (&hosts, &barrier);
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    let host = &hosts[t % hosts.len()];
                    barrier.wait();
                    (0..PER_THREAD)
                        .map(|i| {
                            let name = format!("user-{t}-{i}");
                            let reply = host.ok("PUT", "/new", new_user(&name, "pw"));
                            assert_eq!(reply["username"], json!(name));
                            (reply["userid"].as_u64().expect("a user id"), name)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    assert_eq!(made.len(), threads * PER_THREAD);
    for (id, name) in made {
        if let Some(other) = created.insert(id, name.clone()) {
            panic!("id {id} was given to both {other:?} and {name:?}");
        }
    }
    let expected_ids: Vec<u64> = (1..=created.len() as u64).collect();
    assert_eq!(
        created.keys().copied().collect::<Vec<_>>(),
        expected_ids,
        "the ids of the {} users are 1..={} without gaps",
        created.len(),
        created.len()
    );
    for host in &hosts {
        assert_eq!(
            users_on(host),
            created,
            "host {} lists exactly the users created through every host",
            host.name
        );
    }
}

#[test]
fn kill_9_of_a_host_under_write_load_loses_nothing_acknowledged() {
    let Some((_serial, _dir, store)) = fresh_database() else {
        return;
    };
    let [mut a, b] = Host::start_all(["A", "B"], &store);

    const WRITERS_PER_HOST: usize = 3;
    /// Acknowledged users before the kill.
    const BEFORE_KILL: usize = 300;
    /// Users B must acknowledge after the kill.
    const AFTER_KILL: usize = 150;
    /// The most requests one writer sends.
    const MAX_PER_WRITER: usize = 5_000;
    let deadline = Instant::now() + Duration::from_secs(180);

    let targets = [(a.name, a.addr), (b.name, b.addr)];
    let acked: Mutex<Vec<(u64, String)>> = Mutex::default();
    let acks = AtomicUsize::new(0);
    let b_acks_after_kill = AtomicUsize::new(0);
    let a_errors_after_kill = AtomicUsize::new(0);
    // Set before the kill (so every failure it causes is seen after), and
    // once the killed process is gone.
    let killing = AtomicBool::new(false);
    let killed = AtomicBool::new(false);
    let stop = AtomicBool::new(false);
    let failures: Mutex<Vec<String>> = Mutex::default();

    let (reached_kill, reached_after) = std::thread::scope(|s| {
        for (host, addr) in targets {
            for w in 0..WRITERS_PER_HOST {
                let (acked, acks, failures) = (&acked, &acks, &failures);
                let (b_after, a_errors) = (&b_acks_after_kill, &a_errors_after_kill);
                let (killing, killed, stop) = (&killing, &killed, &stop);
                s.spawn(move || {
                    for i in 0..MAX_PER_WRITER {
                        if stop.load(Ordering::SeqCst) || Instant::now() > deadline {
                            break;
                        }
                        let name = format!("{host}-{w}-{i}");
                        let after_kill = killed.load(Ordering::SeqCst);
                        let body = new_user(&name, "pw").to_string();
                        match try_http(addr, "PUT", "/new", &body) {
                            Ok((200, reply)) => {
                                let user: Value = serde_json::from_str(&reply).expect("JSON");
                                let id = user["userid"].as_u64().expect("a user id");
                                acked.lock().unwrap().push((id, name));
                                acks.fetch_add(1, Ordering::SeqCst);
                                if host == "B" && after_kill {
                                    b_after.fetch_add(1, Ordering::SeqCst);
                                }
                            }
                            Ok((status, reply)) => failures.lock().unwrap().push(format!(
                                "host {host} answered {status} to creating {name}: {reply}"
                            )),
                            Err(_) if host == "A" && killing.load(Ordering::SeqCst) => {
                                // The host is (being) killed: not acknowledged.
                                a_errors.fetch_add(1, Ordering::SeqCst);
                                std::thread::sleep(Duration::from_millis(20));
                            }
                            Err(e) => failures
                                .lock()
                                .unwrap()
                                .push(format!("host {host} failed creating {name}: {e}")),
                        }
                    }
                });
            }
        }
        let wait_for = |count: &AtomicUsize, n: usize| {
            while count.load(Ordering::SeqCst) < n
                && Instant::now() < deadline
                && failures.lock().unwrap().is_empty()
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            count.load(Ordering::SeqCst) >= n
        };
        let reached_kill = wait_for(&acks, BEFORE_KILL);
        let mut reached_after = false;
        if reached_kill {
            killing.store(true, Ordering::SeqCst);
            a.kill();
            killed.store(true, Ordering::SeqCst);
            reached_after = wait_for(&b_acks_after_kill, AFTER_KILL);
        }
        stop.store(true, Ordering::SeqCst);
        (reached_kill, reached_after)
    });

    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} requests failed that had to succeed, first: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    let acked = acked.into_inner().unwrap();
    assert!(
        reached_kill,
        "only {} users acknowledged before the deadline, {BEFORE_KILL} needed before the kill",
        acked.len()
    );
    assert!(
        reached_after,
        "host B acknowledged only {} users after A was killed, {AFTER_KILL} needed",
        b_acks_after_kill.load(Ordering::SeqCst)
    );
    assert!(
        a_errors_after_kill.load(Ordering::SeqCst) > 0,
        "the writers to the killed host saw it go"
    );
    let from_a = acked.iter().filter(|(_, n)| n.starts_with("A-")).count();
    assert!(from_a > 0, "host A acknowledged users before its kill");

    // Every acknowledged user is there, on the survivor and on a host
    // started afterwards; the ids, even of users whose creation was cut
    // off by the kill, stay dense.
    let c = Host::start("C", &store);
    let mut acked_ids = BTreeSet::new();
    for (id, name) in &acked {
        assert!(
            acked_ids.insert(*id),
            "id {id} was acknowledged twice (again for {name:?})"
        );
    }
    for host in [&b, &c] {
        let users = users_on(host);
        for (id, name) in &acked {
            assert_eq!(
                users.get(id),
                Some(name),
                "acknowledged user {name:?} (id {id}) is lost on host {}",
                host.name
            );
        }
        let expected_ids: Vec<u64> = (1..=users.len() as u64).collect();
        assert_eq!(
            users.keys().copied().collect::<Vec<_>>(),
            expected_ids,
            "ids are dense on host {}",
            host.name
        );
    }
    // Whole records, passwords included, not just names.
    for (_, name) in acked.iter().step_by(25) {
        c.ok("GET", "/login", json!({"username": name, "password": "pw"}));
    }
    println!(
        "{} users acknowledged ({from_a} by A before its kill, {} by B after it)",
        acked.len(),
        b_acks_after_kill.load(Ordering::SeqCst)
    );
}

#[test]
fn tenants_are_shared_by_every_host() {
    let Some((_serial, _dir, store)) = fresh_database() else {
        return;
    };
    let [a, b, c] = Host::start_all(["A", "B", "C"], &store);
    let all = [&a, &b, &c];
    let cheap = json!({
        "name": "acme",
        "argon2_memory_kib": 8,
        "argon2_iterations": 1,
        "argon2_parallelism": 1,
        "allow_weak_hashing": true,
        // Short test passwords, as in every test store.
        "min_password_length": 1,
        "refuse_common_passwords": false,
    });
    let zoe = json!({"username": "zoe", "password": "pw"});

    // Created on A, listed and served by every host.
    assert_eq!(
        a.ok("PUT", "/tenants", cheap.clone()),
        json!({"tenant": "acme"})
    );
    for host in all {
        assert_eq!(
            host.ok("GET", "/tenants", Value::Null),
            json!(["default", "acme"]),
            "host {}",
            host.name
        );
    }
    c.fails(
        "PUT",
        "/tenants",
        cheap.clone(),
        409,
        "Tenant already exists",
    );
    let user = b.ok("PUT", "/t/acme/new", new_user("zoe", "pw"));
    let token = c.ok("GET", "/t/acme/login", zoe.clone())["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    let reply = http(
        a.addr,
        "GET",
        "/validate",
        &[("X-Moth-Tenant", "acme")],
        &json!({"token": token}).to_string(),
    );
    assert_eq!(
        reply.status, 200,
        "the tenant's token validates on A: {reply:?}"
    );
    assert_eq!(reply.json()["userid"], user["userid"]);
    // Not in the default tenant, on any host.
    for host in all {
        host.fails("GET", "/login", zoe.clone(), 401, "User does not exist");
        host.fails(
            "GET",
            "/validate",
            json!({"token": token}),
            401,
            "Token does not exist",
        );
    }

    // Deleted on A while B and C have it open.
    b.ok("GET", "/t/acme/getusers", Value::Null);
    c.ok("GET", "/t/acme/getusers", Value::Null);
    assert_eq!(
        a.ok("DELETE", "/tenants", json!({"name": "acme"})),
        json!({"deleted": true})
    );
    let deleted = Instant::now();
    a.fails(
        "GET",
        "/t/acme/getusers",
        Value::Null,
        404,
        "Tenant does not exist",
    );
    // A write on C, which has the tenant open, cannot land in it: the
    // commit finds the registration gone, and C says the tenant is.
    let write = c.request("PUT", "/t/acme/new", &new_user("late", "plum-orbit-velvet"));
    assert_eq!(
        (write.status, write.json()["error"].as_str()),
        (404, Some("Tenant does not exist")),
        "a user created in a deleted tenant on C: {write:?}"
    );
    // Reads on B see the deletion within the registry's re-check interval
    // (1 s), and from then on, every time.
    let mut gone_after = None;
    while deleted.elapsed() < Duration::from_secs(2) {
        let reply = b.request("GET", "/t/acme/getusers", &Value::Null);
        match reply.status {
            404 => {
                assert_eq!(reply.json()["error"], "Tenant does not exist");
                gone_after = Some(deleted.elapsed());
                break;
            }
            200 => std::thread::sleep(Duration::from_millis(50)),
            _ => panic!("host B, polling the deleted tenant: {reply:?}"),
        }
    }
    let gone_after = gone_after
        .unwrap_or_else(|| panic!("host B still serves the tenant deleted on A 2 s later"));
    let checked = Instant::now();
    let mut polls = 0;
    while checked.elapsed() < Duration::from_millis(1_500) && polls < 100 {
        polls += 1;
        let reply = b.request("GET", "/t/acme/getusers", &Value::Null);
        assert_eq!(
            reply.status,
            404,
            "host B said the tenant is gone {gone_after:?} after its deletion, then \
             {:?} later served it again: {reply:?}",
            checked.elapsed()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    for host in all {
        assert_eq!(
            host.ok("GET", "/tenants", Value::Null),
            json!(["default"]),
            "host {}",
            host.name
        );
        let deadline = deleted + Duration::from_secs(2);
        loop {
            let reply = host.request("GET", "/t/acme/login", &zoe);
            if reply.status == 404 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "host {} still serves logins of the deleted tenant: {reply:?}",
                host.name
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    // Re-created on C: empty, on every host.
    assert_eq!(c.ok("PUT", "/tenants", cheap), json!({"tenant": "acme"}));
    c.ok("PUT", "/t/acme/new", new_user("yan", "pw"));
    for host in all {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let reply = host.request("GET", "/t/acme/getusers", &Value::Null);
            let names: Vec<String> = if reply.status == 200 {
                reply
                    .json()
                    .as_array()
                    .expect("a list")
                    .iter()
                    .map(|u| u["username"].as_str().unwrap_or_default().to_owned())
                    .collect()
            } else {
                Vec::new()
            };
            if names == ["yan"] {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "host {} does not serve the re-created tenant as only yan's: {reply:?}",
                host.name
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        host.fails(
            "GET",
            "/t/acme/login",
            zoe.clone(),
            401,
            "User does not exist",
        );
    }
}
