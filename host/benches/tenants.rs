//! Many tenants on one host: `cargo bench -p moth-host --features testing --bench tenants`.
//!
//! Creates `MOTH_BENCH_TENANTS` tenants (default 10 000) of 10 users each,
//! then reports resident memory per idle and per active tenant and the
//! latency of `validate` on a tenant that has a pooled instance (hot) and
//! on one that does not (cold: an instance is made, evicting another).
//! Finally it adds 1,000 empty tenants and reports the disk each one costs.
//! Users are hashed with cheap Argon2 costs and commits are buffered while
//! loading, so the figures are about tenancy, not hashing or fsync.

use std::time::{Duration, Instant};

use moth::{Durability, Options, Settings};

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn mib(b: f64) -> String {
    format!("{:.2} MiB", b / (1024.0 * 1024.0))
}

/// `n` with a comma between thousands: 10000 → "10,000".
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn percentile(samples: &mut [Duration], p: usize) -> Duration {
    samples.sort();
    samples[(samples.len() * p / 100).min(samples.len() - 1)]
}

fn main() {
    let tenants: usize = std::env::var("MOTH_BENCH_TENANTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let active = 64;
    let dir = tempfile::tempdir().expect("temp dir");
    let cheap = Settings {
        argon2_memory_kib: 8,
        argon2_iterations: 1,
        allow_weak_hashing: true,
        // Tests use short passwords; the policy has tests of its own.
        min_password_length: 1,
        refuse_common_passwords: false,
        ..Settings::default()
    };
    let root = Options::new()
        .create(true)
        .durability(Durability::Buffered)
        .max_instances(active)
        .sweep_interval(None)
        .open(dir.path().join("tenants.db"))
        .expect("open");
    let base_rss = rss_bytes();

    let started = Instant::now();
    let mut tokens = Vec::with_capacity(tenants);
    for t in 0..tenants {
        let tenant = root
            .create_tenant(&format!("t{t:05}"), Some(cheap))
            .expect("create tenant");
        for u in 0..10 {
            tenant
                .create_user(&format!("user{u}"), "pw", "")
                .expect("create user");
        }
        tokens.push(tenant.login("user0", "pw", None).expect("login").token);
    }
    let load = started.elapsed();
    root.flush().unwrap();

    // Idle: no tenant holds an instance.
    root.reap_idle_instances(Duration::ZERO);
    let idle_rss = rss_bytes();

    // Hot: the same tenant again and again (its instance stays pooled).
    let hot_tenant = root.tenant("t00000").unwrap();
    let mut hot: Vec<Duration> = (0..5_000)
        .map(|_| {
            let t = Instant::now();
            hot_tenant.validate(&tokens[0]).unwrap();
            t.elapsed()
        })
        .collect();

    // Cold: a different tenant each call, never the last `active` ones, so
    // every call makes an instance (and evicts the least recently used).
    let mut cold: Vec<Duration> = (0..5_000)
        .map(|i| {
            let t = (i * 7919) % tenants;
            let tenant = root.tenant(&format!("t{t:05}")).unwrap();
            let start = Instant::now();
            tenant.validate(&tokens[t]).unwrap();
            start.elapsed()
        })
        .collect();

    // Active: `active` tenants each holding an idle instance.
    root.reap_idle_instances(Duration::ZERO);
    let before_active = rss_bytes();
    for (t, token) in tokens.iter().enumerate().take(active.min(tenants)) {
        root.tenant(&format!("t{t:05}"))
            .unwrap()
            .validate(token)
            .unwrap();
    }
    let active_rss = rss_bytes();
    let live = root.live_instances();

    // Disk: 1,000 more tenants that hold no data at all, measured as the
    // growth of the database after a flush (what an idle tenant costs on disk).
    let empty = 1_000;
    root.flush().unwrap();
    let disk_before_empty = root.size_on_disk();
    for e in 0..empty {
        root.create_tenant(&format!("empty{e:04}"), None)
            .expect("create empty tenant");
    }
    root.flush().unwrap();
    let disk_per_empty =
        root.size_on_disk().saturating_sub(disk_before_empty) as f64 / empty as f64 / 1024.0;
    let cold_median = percentile(&mut cold, 50);
    let met = |ok: bool| if ok { "met" } else { "not met" };

    println!(
        "moth tenants — {tenants} tenants × 10 users, {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!();
    println!("| figure | value | target |");
    println!("|---|---|---|");
    println!(
        "| load time (create tenants, users, one login each) | {:.1} s | — |",
        load.as_secs_f64()
    );
    println!(
        "| resident memory before loading | {} | — |",
        mib(base_rss as f64)
    );
    println!(
        "| resident memory, all tenants idle | {} | — |",
        mib(idle_rss as f64)
    );
    println!(
        "| memory per idle tenant | {:.1} KiB | — |",
        (idle_rss.saturating_sub(base_rss)) as f64 / tenants as f64 / 1024.0
    );
    println!(
        "| memory per active tenant (an idle pooled instance, {live} live) | {} | — |",
        mib(active_rss.saturating_sub(before_active) as f64 / live.max(1) as f64)
    );
    println!(
        "| database on disk, per tenant (total / tenants) | {:.1} KiB ({} / {}) | — |",
        disk_before_empty as f64 / tenants as f64 / 1024.0,
        mib(disk_before_empty as f64),
        thousands(tenants)
    );
    println!(
        "| disk per idle tenant ({} empty tenants) | {disk_per_empty:.2} KiB | ≤ 4 KiB {} |",
        thousands(empty),
        met(disk_per_empty <= 4.0)
    );
    println!(
        "| validate, hot tenant: median / p99 | {:?} / {:?} | — |",
        percentile(&mut hot, 50),
        percentile(&mut hot, 99)
    );
    println!(
        "| validate, cold tenant (instantiate + evict): median / p99 | {:?} / {:?} | ≤ 40 µs {} |",
        cold_median,
        percentile(&mut cold, 99),
        met(cold_median <= Duration::from_micros(40))
    );
}
