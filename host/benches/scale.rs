//! Cost as the store grows: `cargo bench -p moth-host --bench scale`.
//!
//! Fills one database to 1k, 100k and 1M tokens (through the native
//! build of the logic, which writes the same records, with cheap Argon2
//! costs and buffered commits, so filling is quick), and at each size
//! measures create-user, validate and logout through the component, with
//! the default durable commits. Then reports bytes on disk per user and per
//! token after 100k of each, and how many store calls each operation makes.
//! `MOTH_BENCH_MAX_TOKENS` lowers the largest size for a quick run.

use std::cell::Cell;
use std::time::{Duration, Instant};

use moth::{Durability, Options, Settings};
use moth_core::{Auth, Env, Guard, StoreError, Write};

fn median_p99(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    (v[v.len() / 2], v[(v.len() * 99 / 100).min(v.len() - 1)])
}

fn fmt((m, p): (Duration, Duration)) -> String {
    format!(
        "{:.1} µs / {:.1} µs",
        m.as_nanos() as f64 / 1e3,
        p.as_nanos() as f64 / 1e3
    )
}

fn cheap() -> Settings {
    Settings {
        argon2_memory_kib: 8,
        argon2_iterations: 1,
        allow_weak_hashing: true,
        // Tests use short passwords; the policy has tests of its own.
        min_password_length: 1,
        refuse_common_passwords: false,
        ..Settings::default()
    }
}

/// Counts the store calls an operation makes.
struct Counting<E> {
    inner: E,
    gets: Cell<u32>,
    scans: Cell<u32>,
    commits: Cell<u32>,
}

impl<E: Env> Env for Counting<E> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.gets.set(self.gets.get() + 1);
        self.inner.get(key)
    }
    fn scan(&self, s: &[u8], e: &[u8], l: u32) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError> {
        self.scans.set(self.scans.get() + 1);
        self.inner.scan(s, e, l)
    }
    fn commit(&self, g: &[Guard], w: &[Write]) -> Result<(), StoreError> {
        self.commits.set(self.commits.get() + 1);
        self.inner.commit(g, w)
    }
    fn now(&self) -> u64 {
        self.inner.now()
    }
    fn random(&self, buf: &mut [u8]) {
        self.inner.random(buf)
    }
}

/// Tokens per user when filling: below the per-user cap of live tokens.
const PER_USER: usize = 900;

fn main() {
    let max: usize = std::env::var("MOTH_BENCH_MAX_TOKENS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    println!(
        "moth scale — {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!();

    // Filling happens through a buffered handle; measuring through a
    // durable one on the same files, reopened.
    let path = dir.path().join("scale.db");
    let mut filled = 0usize;
    println!("| stored tokens | create-user (median / p99) | validate | logout |");
    println!("|---|---|---|---|");
    for size in [1_000usize, 100_000, 1_000_000]
        .into_iter()
        .filter(|s| *s <= max)
    {
        {
            let filler = Options::new()
                .create(true)
                .durability(Durability::Buffered)
                .settings(cheap())
                .sweep_interval(None)
                .open(&path)
                .expect("open");
            let native = Auth::new(filler.capabilities().clone());
            // Spread over users: each holds fewer than the per-user cap.
            while filled < size {
                let user = format!("filler{}", filled / PER_USER);
                if filled.is_multiple_of(PER_USER) {
                    native.create_user(&user, "pw", "").expect("filler");
                }
                native.login(&user, "pw", None).expect("fill");
                filled += 1;
            }
            filler.flush().unwrap();
        }
        let moth = Options::new()
            .sweep_interval(None)
            .open(&path)
            .expect("reopen");
        let base = format!("s{size}-");
        let create: Vec<Duration> = (0..200)
            .map(|i| {
                let t = Instant::now();
                moth.create_user(&format!("{base}{i}"), "pw", "").unwrap();
                t.elapsed()
            })
            .collect();
        let tokens: Vec<String> = (0..2000)
            .map(|i| {
                let user = format!("m{size}-{}", i / PER_USER);
                if i.is_multiple_of(PER_USER) {
                    moth.create_user(&user, "pw", "").unwrap();
                }
                moth.login(&user, "pw", None).unwrap().token
            })
            .collect();
        let validate: Vec<Duration> = tokens
            .iter()
            .map(|tok| {
                let t = Instant::now();
                moth.validate(tok).unwrap();
                t.elapsed()
            })
            .collect();
        let logout: Vec<Duration> = tokens
            .iter()
            .map(|tok| {
                let t = Instant::now();
                moth.logout(tok).unwrap();
                t.elapsed()
            })
            .collect();
        println!(
            "| {size} | {} | {} | {} |",
            fmt(median_p99(create)),
            fmt(median_p99(validate)),
            fmt(median_p99(logout))
        );
    }

    // Footprint: 100k users, then 100k tokens, each in a fresh database.
    println!();
    println!("| footprint (100k each, after flush) | bytes on disk each |");
    println!("|---|---|");
    for what in ["user", "token"] {
        let p = dir.path().join(format!("footprint-{what}.db"));
        let m = Options::new()
            .create(true)
            .durability(Durability::Buffered)
            .settings(cheap())
            .sweep_interval(None)
            .open(&p)
            .expect("open");
        let native = Auth::new(m.capabilities().clone());
        let users = if what == "token" {
            100_000 / PER_USER + 1
        } else {
            0
        };
        for u in 0..users {
            native.create_user(&format!("base{u}"), "pw", "").unwrap();
        }
        m.flush().unwrap();
        let before = m.size_on_disk();
        for i in 0..100_000 {
            if what == "user" {
                native
                    .create_user(&format!("user{i:06}"), "pw", "read,write")
                    .unwrap();
            } else {
                native
                    .login(&format!("base{}", i / PER_USER), "pw", None)
                    .unwrap();
            }
        }
        m.flush().unwrap();
        let per = (m.size_on_disk().saturating_sub(before)) as f64 / 100_000.0;
        println!("| {what} | {per:.0} |");
    }

    // Store calls per operation (the same logic the component runs).
    let p = dir.path().join("calls.db");
    let m = Options::new()
        .create(true)
        .settings(cheap())
        .sweep_interval(None)
        .open(&p)
        .unwrap();
    let counting = Counting {
        inner: m.capabilities().clone(),
        gets: Cell::new(0),
        scans: Cell::new(0),
        commits: Cell::new(0),
    };
    let auth = Auth::new(counting);
    let count = |name: &str, f: &dyn Fn(&Auth<Counting<moth::Capabilities>>)| {
        let e = auth.env();
        e.gets.set(0);
        e.scans.set(0);
        e.commits.set(0);
        f(&auth);
        println!(
            "| {name} | {} | {} | {} |",
            e.gets.get(),
            e.scans.get(),
            e.commits.get()
        );
    };
    println!();
    println!("| operation | gets | scans | commits |");
    println!("|---|---|---|---|");
    count("create-user", &|a| {
        a.create_user("ann", "pw", "").unwrap();
    });
    let tok = std::cell::RefCell::new(String::new());
    count("login", &|a| {
        *tok.borrow_mut() = a.login("ann", "pw", None).unwrap().token;
    });
    count("validate", &|a| {
        a.validate(&tok.borrow()).unwrap();
    });
    count("logout", &|a| {
        a.logout(&tok.borrow()).unwrap();
    });
    count("set-password (no tokens)", &|a| {
        a.set_password(1, "pw2").unwrap();
    });
}
