//! Latency histograms in Prometheus' text format, without a metrics crate:
//! fixed buckets of atomics, cheap enough to record on every call.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Bucket upper bounds, in seconds: 1 µs to 10 s.
const BOUNDS: [f64; 15] = [
    1e-6, 5e-6, 1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 10.0,
];

/// One latency histogram.
#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; BOUNDS.len()],
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

impl Histogram {
    /// Count one observation.
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        if let Some(i) = BOUNDS.iter().position(|b| secs <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_nanos.fetch_add(
            u64::try_from(d.as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// How many observations so far.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// Append this histogram as Prometheus samples named `name` with `labels`.
    pub fn render(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        for (bound, bucket) in BOUNDS.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {cumulative}");
        }
        let count = self.count();
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {count}");
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}");
        let _ = writeln!(out, "{name}_count{{{labels}}} {count}");
    }
}

/// Histograms keyed by a static name (an operation or a route).
#[derive(Debug, Default)]
pub struct HistogramSet {
    by_key: RwLock<BTreeMap<String, Arc<Histogram>>>,
}

impl HistogramSet {
    /// The histogram for `key`, created on first use.
    pub fn get(&self, key: &str) -> Arc<Histogram> {
        if let Some(h) = self
            .by_key
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
        {
            return h.clone();
        }
        let mut map = self.by_key.write().unwrap_or_else(|p| p.into_inner());
        map.entry(key.to_owned()).or_default().clone()
    }

    /// Every key with its histogram, in key order.
    pub fn snapshot(&self) -> Vec<(String, Arc<Histogram>)> {
        let map = self.by_key.read().unwrap_or_else(|p| p.into_inner());
        map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}

/// Latency of calls into the component, by WIT operation.
#[derive(Debug, Default)]
pub struct GuestMetrics {
    calls: HistogramSet,
}

impl GuestMetrics {
    /// Record one call of `op`.
    pub fn record(&self, op: &str, d: Duration) {
        self.calls.get(op).observe(d);
    }

    /// Append `moth_guest_call_duration_seconds` in Prometheus text format.
    pub fn render(&self, out: &mut String) {
        out.push_str(
            "# HELP moth_guest_call_duration_seconds Time spent in calls into the component.\n",
        );
        out.push_str("# TYPE moth_guest_call_duration_seconds histogram\n");
        for (op, h) in self.calls.snapshot() {
            h.render(
                out,
                "moth_guest_call_duration_seconds",
                &format!("op=\"{op}\""),
            );
        }
    }
}
