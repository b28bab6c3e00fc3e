//! Request metrics: every request counted and timed by route and status,
//! logged without secrets, and `/metrics` in Prometheus' text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::routes::AppState;
use crate::HistogramSet;

/// Counts and latencies of HTTP requests.
#[derive(Default)]
pub(super) struct HttpMetrics {
    latency: HistogramSet,
    statuses: Mutex<BTreeMap<(String, u16), u64>>,
}

/// Middleware: count, time and log every request. Logs the route only:
/// query strings and bodies may hold passwords and tokens.
pub(super) async fn observe(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_owned();
    let res = next.run(req).await;
    let elapsed = started.elapsed();
    let status = res.status().as_u16();
    state.http.latency.get(&route).observe(elapsed);
    *state
        .http
        .statuses
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry((route.clone(), status))
        .or_default() += 1;
    tracing::info!(%method, route, status, micros = elapsed.as_micros() as u64, "request");
    res
}

/// `GET /metrics`.
pub(super) async fn metrics(State(s): State<Arc<AppState>>) -> impl IntoResponse {
    let mut out = String::new();
    out.push_str("# HELP moth_http_requests_total HTTP requests by route and status.\n");
    out.push_str("# TYPE moth_http_requests_total counter\n");
    for ((route, status), n) in s
        .http
        .statuses
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
    {
        let _ = writeln!(
            out,
            "moth_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
        );
    }
    out.push_str("# HELP moth_http_request_duration_seconds HTTP request latency by route.\n");
    out.push_str("# TYPE moth_http_request_duration_seconds histogram\n");
    for (route, h) in s.http.latency.snapshot() {
        h.render(
            &mut out,
            "moth_http_request_duration_seconds",
            &format!("route=\"{route}\""),
        );
    }
    s.moth.guest_metrics().render(&mut out);
    let gauges = [
        (
            "moth_store_size_bytes",
            "Bytes the database occupies on disk.",
            s.moth.size_on_disk(),
        ),
        (
            "moth_instances",
            "Live component instances.",
            s.moth.live_instances() as u64,
        ),
        (
            "moth_instances_idle",
            "Component instances idle in the pool.",
            s.moth.idle_instances() as u64,
        ),
    ];
    for (name, help, value) in gauges {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
        );
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}
