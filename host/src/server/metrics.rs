//! Request metrics: every request counted and timed by route and status,
//! logged without secrets, and `/metrics` in Prometheus' text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::{self, RequestId};
use super::hosts;
use super::routes::AppState;
use crate::HistogramSet;

/// The response header carrying a request's id.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Counts and latencies of HTTP requests, and where their moth calls ran.
pub(super) struct HttpMetrics {
    latency: HistogramSet,
    statuses: Mutex<BTreeMap<(String, u16), u64>>,
    /// Calls by operation and by where they ran (`inline` on the async
    /// worker or on the `blocking` pool).
    calls: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    /// The random part of this server's request ids.
    id_prefix: u32,
    /// The counter part of the next request id.
    next_id: AtomicU64,
}

impl Default for HttpMetrics {
    fn default() -> Self {
        HttpMetrics {
            latency: HistogramSet::default(),
            statuses: Mutex::default(),
            calls: Mutex::default(),
            // Only needs to differ between servers and restarts; a failing
            // OS source costs nothing but that.
            id_prefix: getrandom::u32().unwrap_or_default(),
            next_id: AtomicU64::new(1),
        }
    }
}

impl HttpMetrics {
    /// Count a moth call `op` run `on` "inline" or "blocking".
    pub fn count_call(&self, op: &'static str, on: &'static str) {
        *self
            .calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((op, on))
            .or_default() += 1;
    }

    /// A new request id: this server's random prefix and a counter.
    fn request_id(&self) -> RequestId {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        RequestId(format!("{:08x}-{n:08x}", self.id_prefix).into())
    }
}

/// The one middleware around every route: give the request an id (in its
/// log lines and its `X-Request-Id` header), refuse it if it names a host
/// not allowed (`hosts.rs`), make every error JSON (`error::envelope`),
/// and count, time and log it. Logs the route only: query strings and
/// bodies may hold passwords and tokens.
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
    let id = state.http.request_id();
    let answer = async {
        if let Some(refused) = hosts::refusal(&state.hosts, &req) {
            return refused.into_response();
        }
        error::envelope(&id, next.run(req)).await
    };
    let mut res = id.clone().scope(answer).await;
    let elapsed = started.elapsed();
    let status = res.status().as_u16();
    if let Ok(value) = HeaderValue::from_str(&id.0) {
        res.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    state.http.latency.get(&route).observe(elapsed);
    *state
        .http
        .statuses
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry((route.clone(), status))
        .or_default() += 1;
    tracing::info!(id = &*id.0, %method, route, status, micros = elapsed.as_micros() as u64, "request");
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
    out.push_str(
        "# HELP moth_http_calls_total moth calls made by HTTP routes, by operation and by where they ran.\n",
    );
    out.push_str("# TYPE moth_http_calls_total counter\n");
    for ((op, on), n) in s
        .http
        .calls
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
    {
        let _ = writeln!(out, "moth_http_calls_total{{op=\"{op}\",on=\"{on}\"}} {n}");
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
