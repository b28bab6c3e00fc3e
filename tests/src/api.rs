//! A real HTTP server on a fresh database, and the requests the `http_*`
//! tests send it: the harness they share.
//!
//! [`Api::start`] opens a database with [`crate::open`] (cheap hashing, a
//! [`ManualClock`] the test moves) in a temporary directory, and serves it
//! on a free loopback port with the admin key [`ADMIN_KEY`]. Every request
//! goes through the hand-written client of [`crate::http()`], so tests can
//! send what real clients would not; none may be answered with a 5xx.
//!
//! A test file adds what only it needs (logins, validity checks, …) as an
//! extension trait on [`Api`].

use std::net::SocketAddr;
use std::sync::Arc;

use moth::ManualClock;
use moth::server::{self, ServerConfig, ServerHandle};
use serde_json::Value;

use crate::{Reply, http, open};

/// The admin key every [`Api`] server is configured with.
pub const ADMIN_KEY: &str = "an-admin-key-of-some-length";

/// The `Authorization` header value that carries [`ADMIN_KEY`].
pub const ADMIN_BEARER: &str = "Bearer an-admin-key-of-some-length";

/// A server on a fresh database, stopped (and its database removed) when
/// dropped.
pub struct Api {
    // Dropped in this order: the server before the directory it serves.
    handle: ServerHandle,
    /// The database's clock: tests move time with it.
    pub clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

impl Api {
    /// A server with the default [`ServerConfig`] but for its address (a
    /// free loopback port) and admin key ([`ADMIN_KEY`]).
    pub fn start() -> Api {
        Api::start_with(|_| {})
    }

    /// [`Api::start`], believing `X-Forwarded-For` from the networks
    /// `trusted` (CIDR, e.g. `127.0.0.0/8`).
    pub fn start_trusting(trusted: &[&str]) -> Api {
        Api::start_with(|c| {
            c.trusted_proxies = trusted
                .iter()
                .map(|n| n.parse().unwrap_or_else(|e| panic!("{n:?}: {e}")))
                .collect();
        })
    }

    /// [`Api::start`] with `configure` applied to the configuration last
    /// (so it may change the address or the admin key too).
    pub fn start_with(configure: impl FnOnce(&mut ServerConfig)) -> Api {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (moth, clock) = open(dir.path());
        let mut config = ServerConfig {
            addr: "127.0.0.1:0".parse().unwrap(),
            admin_key: Some(ADMIN_KEY.to_owned()),
            ..ServerConfig::default()
        };
        configure(&mut config);
        Api {
            handle: server::spawn(moth, config).expect("start the server"),
            clock,
            _dir: dir,
        }
    }

    /// Where the server listens.
    pub fn addr(&self) -> SocketAddr {
        self.handle.addr()
    }

    /// Any request: `body` as given (it may be empty, or not JSON), with
    /// `Content-Type: application/json` and then `headers`. Panics on a
    /// 5xx.
    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
        let mut all = vec![("Content-Type", "application/json")];
        all.extend_from_slice(headers);
        let r = http(self.addr(), method, path, &all, body);
        assert!(r.status < 500, "{method} {path} {headers:?} {body}: {r:?}");
        r
    }

    /// A request with a JSON body and, when given, `auth` as its
    /// `Authorization` header. Panics on a 5xx.
    ///
    /// A non-empty body is where the server reads parameters from: a query
    /// string in `path` is then ignored (see [`Api::admin_query`]).
    pub fn send(&self, method: &str, path: &str, auth: Option<&str>, body: Value) -> Reply {
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(a) = auth {
            headers.push(("Authorization", a));
        }
        let r = http(self.addr(), method, path, &headers, &body.to_string());
        assert!(r.status < 500, "{method} {path} {body}: {r:?}");
        r
    }

    /// [`Api::send`] with the admin key.
    pub fn admin(&self, method: &str, path: &str, body: Value) -> Reply {
        self.send(method, path, Some(ADMIN_BEARER), body)
    }

    /// An admin request with its parameters in the query string of `path`
    /// and an empty body.
    pub fn admin_query(&self, method: &str, path: &str) -> Reply {
        self.request(method, path, &[("Authorization", ADMIN_BEARER)], "")
    }

    /// [`Api::send`] as the holder of `token`, sent as
    /// `Authorization: Bearer`.
    pub fn holder(&self, method: &str, path: &str, token: &str, body: Value) -> Reply {
        self.send(method, path, Some(&format!("Bearer {token}")), body)
    }
}
