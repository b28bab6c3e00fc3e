//! The component against the same logic compiled natively, over the same
//! sled database, in one run: `cargo bench -p moth-host --bench core`.
//!
//! Prints median and p99 per operation and the wasm/native ratio. Figures
//! are for comparison within a run; absolute numbers move with the machine.

use std::time::{Duration, Instant};

use moth::{CacheDir, Durability, LoginContext, Options, Runtime, RuntimeOptions, Settings};
use moth_core::Auth;

struct Stats {
    median: Duration,
    p99: Duration,
}

fn measure(iters: usize, mut f: impl FnMut()) -> Stats {
    for _ in 0..iters.min(100) / 10 + 1 {
        f();
    }
    let mut samples: Vec<Duration> = (0..iters)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    samples.sort();
    Stats {
        median: samples[samples.len() / 2],
        p99: samples[(samples.len() * 99 / 100).min(samples.len() - 1)],
    }
}

fn fmt(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns < 10_000 {
        format!("{ns} ns")
    } else if ns < 10_000_000 {
        format!("{:.1} µs", ns as f64 / 1e3)
    } else {
        format!("{:.2} ms", ns as f64 / 1e6)
    }
}

fn row(name: &str, wasm: &Stats, native: &Stats, target: f64) {
    let ratio = wasm.median.as_secs_f64() / native.median.as_secs_f64();
    let verdict = if ratio <= target { "met" } else { "not met" };
    println!(
        "| {name} | {} | {} | {} | {} | {ratio:.2}× | ≤ {target}× {verdict} |",
        fmt(wasm.median),
        fmt(wasm.p99),
        fmt(native.median),
        fmt(native.p99)
    );
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let moth = Options::new()
        .create(true)
        .durability(Durability::Flush)
        .sweep_interval(None)
        .open(dir.path().join("bench.db"))
        .expect("open");
    let native = Auth::new(moth.capabilities().clone());

    moth.create_user("ann", "correct horse battery staple", "read")
        .unwrap();
    let token = moth
        .login("ann", "correct horse battery staple", None)
        .unwrap()
        .token;

    println!(
        "moth {} — {} cores",
        env!("CARGO_PKG_VERSION"),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!();
    println!(
        "| operation | wasm median | wasm p99 | native median | native p99 | wasm/native | target |"
    );
    println!("|---|---|---|---|---|---|---|");

    let w = measure(20_000, || {
        moth.validate(&token).unwrap();
    });
    let n = measure(20_000, || {
        native.validate(&token).unwrap();
    });
    row("validate", &w, &n, 1.5);

    // Roles: ann is in a group carrying a bundle of three permissions and
    // holds one directly, so each check reads her links, the group's and
    // the bundle's afresh (nothing is cached).
    for p in ["posts:read", "posts:write", "posts:delete", "billing"] {
        moth.create_permission(p, "").unwrap();
    }
    moth.create_bundle("editor").unwrap();
    moth.create_group("staff").unwrap();
    let (bundle, group) = (
        moth::RoleHolder::Bundle("editor".into()),
        moth::RoleHolder::Group("staff".into()),
    );
    for p in ["posts:read", "posts:write", "posts:delete"] {
        moth.grant_role(&bundle, &moth::RoleItem::Permission(p.into()))
            .unwrap();
    }
    moth.grant_role(&group, &moth::RoleItem::Bundle("editor".into()))
        .unwrap();
    let ann = moth::RoleHolder::User(moth.validate(&token).unwrap().user.id);
    moth.grant_role(&ann, &moth::RoleItem::Group("staff".into()))
        .unwrap();
    moth.grant_role(&ann, &moth::RoleItem::Permission("billing".into()))
        .unwrap();
    let w = measure(20_000, || {
        moth.validate_with_permissions(&token).unwrap();
    });
    let n = measure(20_000, || {
        native.validate_with_permissions(&token).unwrap();
    });
    row(
        "validate-with-permissions (group, bundle, direct)",
        &w,
        &n,
        2.0,
    );
    let wanted = ["posts:write".to_owned(), "billing".to_owned()];
    let w = measure(20_000, || {
        assert!(moth.token_has_all(&token, &wanted).unwrap());
    });
    let n = measure(20_000, || {
        assert!(
            native
                .token_has_all(&token, &["posts:write", "billing"])
                .unwrap()
        );
    });
    row("token-has-all (2 permissions)", &w, &n, 2.0);

    // API-key verify reads like validate (its last use is written at most
    // once an hour, so not in this loop).
    let owner = moth::KeyOwner::Service("bench".into());
    let key = moth.create_api_key(&owner, "k", "read", None).unwrap().key;
    let w = measure(20_000, || {
        moth.verify_api_key(&key).unwrap();
    });
    let n = measure(20_000, || {
        native.verify_api_key(&key).unwrap();
    });
    row("verify-api-key", &w, &n, 2.0);

    // An email-token check uses the token up, so each one commits (a
    // durable flush): one token of 1000 uses for each side.
    let options = moth::EmailTokenOptions {
        uses: Some(1000),
        ..Default::default()
    };
    let tokens: Vec<(String, String)> = (0..2)
        .map(|i| {
            let address = format!("user{i}@example.com");
            let token = moth.create_email_token(&address, &options).unwrap().token;
            (address, token)
        })
        .collect();
    // 900 measured plus the warm-up stay below each token's 1000 uses.
    let w = measure(900, || {
        let (address, token) = &tokens[0];
        moth.auth_email_token(address, token, None).unwrap();
    });
    let n = measure(900, || {
        let (address, token) = &tokens[1];
        native.auth_email_token(address, token, None).unwrap();
    });
    row("auth-email-token (one durable commit)", &w, &n, 2.0);

    // Login with the default Argon2id costs (m=19 MiB, t=2, p=1). Each
    // login commits a token, so this includes one durable flush.
    let w = measure(30, || {
        moth.login("ann", "correct horse battery staple", None)
            .unwrap();
    });
    let n = measure(30, || {
        native
            .login("ann", "correct horse battery staple", None)
            .unwrap();
    });
    row("login (Argon2id defaults)", &w, &n, 1.3);

    let w = measure(30, || {
        moth.check_password("ann", "correct horse battery staple")
            .unwrap();
    });
    let n = measure(30, || {
        native
            .check_password("ann", "correct horse battery staple")
            .unwrap();
    });
    row("password check (hash only)", &w, &n, 1.3);

    protection(&moth);

    flood(&moth, &token);

    println!();
    println!("| start-up | median | p99 | target |");
    println!("|---|---|---|---|");
    let rt = Runtime::shared().unwrap();
    let s = measure(2_000, || {
        drop(
            rt.instantiate_unpooled(moth.capabilities().clone())
                .unwrap(),
        );
    });
    println!(
        "| instantiate (on demand) | {} | {} | — |",
        fmt(s.median),
        fmt(s.p99)
    );
    let pooled = Runtime::new(&RuntimeOptions {
        pooling_slots: Some(16),
        ..RuntimeOptions::default()
    })
    .unwrap();
    let s = measure(2_000, || {
        drop(
            pooled
                .instantiate_unpooled(moth.capabilities().clone())
                .unwrap(),
        );
    });
    let verdict = if s.median <= Duration::from_micros(10) {
        "met"
    } else {
        "not met"
    };
    println!(
        "| instantiate (pooling allocator) | {} | {} | ≤ 10 µs {verdict} |",
        fmt(s.median),
        fmt(s.p99)
    );
    let cache = dir.path().join("cache");
    let opts = RuntimeOptions {
        cache: CacheDir::Path(cache),
        ..RuntimeOptions::default()
    };
    Runtime::new(&opts).unwrap(); // fill the cache
    let s = measure(20, || {
        assert!(Runtime::new(&opts).unwrap().loaded_from_cache());
    });
    let verdict = if s.median <= Duration::from_millis(5) {
        "met"
    } else {
        "not met"
    };
    println!(
        "| cold start, precompiled artifact | {} | {} | ≤ 5 ms {verdict} |",
        fmt(s.median),
        fmt(s.p99)
    );
    let off = RuntimeOptions {
        cache: CacheDir::Off,
        ..RuntimeOptions::default()
    };
    let s = measure(5, || {
        drop(Runtime::new(&off).unwrap());
    });
    println!(
        "| cold start, compiling the component | {} | {} | — |",
        fmt(s.median),
        fmt(s.p99)
    );
}

/// Validate latency while logins flood the same tenant: what the hashing
/// budget buys. Eight threads log in with the default Argon2 costs, as
/// fast as they can, while this thread validates.
fn flood(moth: &moth::Moth, token: &str) {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    let quiet = measure(20_000, || {
        moth.validate(token).unwrap();
    });
    let stop = AtomicBool::new(false);
    let logins = AtomicU64::new(0);
    let refused = AtomicU64::new(0);
    let (busy, elapsed) = std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    match moth.login("ann", "correct horse battery staple", None) {
                        Ok(_) => logins.fetch_add(1, Ordering::Relaxed),
                        Err(_) => refused.fetch_add(1, Ordering::Relaxed),
                    };
                }
            });
        }
        std::thread::sleep(Duration::from_millis(200));
        let started = Instant::now();
        let mut samples = Vec::new();
        let mut failed = 0u64;
        while started.elapsed() < Duration::from_secs(3) {
            let t = Instant::now();
            if moth.validate(token).is_err() {
                failed += 1;
            }
            samples.push(t.elapsed());
        }
        stop.store(true, Ordering::Relaxed);
        samples.sort();
        assert_eq!(failed, 0, "validate failed during the flood");
        let stats = Stats {
            median: samples[samples.len() / 2],
            p99: samples[samples.len() * 99 / 100],
        };
        (stats, started.elapsed())
    });
    let verdict = if busy.p99 <= Duration::from_millis(5) {
        "met"
    } else {
        "not met"
    };
    let (limit, _) = moth.hashing_limits();
    println!();
    println!(
        "| validate during a login flood (8 threads, hashing limit {limit}) | median | p99 | target |"
    );
    println!("|---|---|---|---|");
    println!("| quiet | {} | {} | — |", fmt(quiet.median), fmt(quiet.p99));
    println!(
        "| during the flood ({:.0} logins/s, {} refused) | {} | {} | p99 ≤ 5 ms, never refused: {verdict} |",
        logins.load(Ordering::Relaxed) as f64 / elapsed.as_secs_f64(),
        refused.load(Ordering::Relaxed),
        fmt(busy.median),
        fmt(busy.p99)
    );
}

/// What account protection costs a login: `login-from` with a source
/// address under the default lockout and log settings (a counter read per
/// subject, three log keys in the commit) against the same login in a
/// tenant with lockout and the log turned off. Interleaved, so that both
/// see the same machine.
fn protection(moth: &moth::Moth) {
    let off = moth
        .create_tenant(
            "unprotected",
            Some(Settings {
                lockout_threshold: 0,
                source_lockout_threshold: 0,
                log_retention: 0,
                ..Settings::default()
            }),
        )
        .unwrap();
    off.create_user("ann", "correct horse battery staple", "read")
        .unwrap();
    let ctx = LoginContext {
        source: Some("192.0.2.7".into()),
        device: None,
    };
    let (mut on, mut bare) = (Vec::new(), Vec::new());
    for i in 0..62 {
        for (tenant, samples) in [(moth, &mut on), (&off, &mut bare)] {
            let t = Instant::now();
            tenant
                .login_from("ann", "correct horse battery staple", None, &ctx)
                .unwrap();
            // The first of each is a warm-up.
            if i > 0 {
                samples.push(t.elapsed());
            }
        }
    }
    let stats = |mut v: Vec<Duration>| {
        v.sort_unstable();
        Stats {
            median: v[v.len() / 2],
            p99: v[v.len() * 99 / 100],
        }
    };
    let (on, bare) = (stats(on), stats(bare));
    let ratio = on.median.as_secs_f64() / bare.median.as_secs_f64();
    println!();
    println!(
        "| login (Argon2id defaults) | protection on median | p99 | off median | p99 | on/off | target |"
    );
    println!("|---|---|---|---|---|---|---|");
    let verdict = if ratio <= 1.02 { "met" } else { "not met" };
    println!(
        "| lockout and attempt log: defaults vs off | {} | {} | {} | {} | {ratio:.3}× | ≤ 1.02× {verdict} |",
        fmt(on.median),
        fmt(on.p99),
        fmt(bare.median),
        fmt(bare.p99)
    );
}
