//! The HTTP API: MOTH's twelve routes, fixed and hardened — and how the
//! server is configured, started and stopped.
//!
//! Parameters come in a JSON object body on every method, as MOTH reads
//! them, or in the query string when the body is empty (`extract.rs`).
//! Responses carry MOTH's JSON keys in MOTH's order; errors are
//! `{"error": "<MOTH's text>"}` with the status MOTH's README documents
//! (`error.rs`). Routes are in `routes/`, one file per capability.

mod admin;
mod call;
mod conn;
mod error;
mod extract;
mod hosts;
mod metrics;
mod routes;
mod source;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;
use tokio::sync::oneshot;

use crate::Moth;
pub use extract::TENANT_HEADER;
pub use routes::{
    AccountStateBody, ApiKeyBody, BundleBody, ClientBody, EmailTokenBody, GroupBody, LifetimesBody,
    LifetimesPatch, LockBody, LogEntryBody, MembersBody, NewApiKeyBody, NewClientBody,
    PermissionBody, SessionBody, SettingsBody, UserBody, UserRolesBody, router,
};

/// The largest request body accepted, in bytes. A password is at most
/// 1 KiB and a permissions string 64 KiB, so this leaves room for both.
pub const MAX_BODY_BYTES: usize = 96 * 1024;

/// The largest request head (request line and headers) accepted, in bytes;
/// a larger one is answered 431.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// How the server listens, whom it lets in, and how long it waits for them.
#[derive(Clone)]
pub struct ServerConfig {
    /// Where to listen. Default `127.0.0.1:8080`.
    pub addr: SocketAddr,
    /// When set, every route but login, validate, logout, passvalid and
    /// healthz requires `Authorization: Bearer <key>`.
    pub admin_key: Option<String>,
    /// Allow a non-loopback address without an admin key.
    pub insecure_open: bool,
    /// Host names (or IP addresses) accepted in `Host` and `Origin`, on top
    /// of `localhost`, loopback addresses and the address bound (any IP
    /// address when that is `0.0.0.0` or `::`), with any port. A request
    /// naming another host is refused with 403, admin key or not: this is
    /// what stops DNS rebinding. Default none.
    pub allow_hosts: Vec<String>,
    /// The reverse proxies (networks, or single addresses as /32 or /128)
    /// whose `X-Forwarded-For` is believed when naming a request's client.
    /// From any other peer the header is ignored, since a client can write
    /// whatever it likes there; from these it is read right to left, past
    /// the proxies listed, to the first address not listed. IPv4 clients
    /// are matched against IPv4 networks, also on a dual-stack listener.
    /// Default none: the client is always the TCP peer.
    pub trusted_proxies: Vec<IpNet>,
    /// How long a client may take to send a request's line and headers,
    /// from its connection or its first byte; then the connection is
    /// closed (with a 408 if part of a request had come). Default 10 s.
    pub header_timeout: Duration,
    /// How long a client may take to send a request's body, from the end
    /// of its headers; then it gets 408 and the connection is closed.
    /// Default 30 s.
    pub body_timeout: Duration,
    /// How long a kept-alive connection may wait for its next request
    /// (or for the client to read a response); then it is closed.
    /// Default 60 s.
    pub idle_timeout: Duration,
    /// How many connections are served at once. Further connections wait
    /// in the listen backlog until one closes. Default 1024.
    pub max_connections: usize,
    /// The URL clients reach this server at (`https://auth.example.com`,
    /// perhaps with a path behind a proxy): the OAuth issuer of the
    /// default tenant, and with `/t/{tenant}` of the others (RFC 8414,
    /// RFC 9207). Default none: `http://` and the request's `Host`, which
    /// suits a server on loopback; behind TLS give this.
    pub public_url: Option<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            admin_key: None,
            insecure_open: false,
            allow_hosts: Vec::new(),
            trusted_proxies: Vec::new(),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
            public_url: None,
        }
    }
}

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Serving admin routes to the network without a key was not allowed.
    #[error(
        "refusing to listen on {0} without an admin key: anyone who can reach it could \
         create, change and delete users. Give --admin-key-file, or --insecure-open to accept the risk"
    )]
    InsecureBind(SocketAddr),
    /// The admin key is empty or unusable.
    #[error("the admin key must be at least 16 characters")]
    WeakAdminKey,
    /// A limit or an allowed host is unusable; the text says which.
    #[error("invalid server configuration: {0}")]
    InvalidConfig(String),
    /// Binding or serving failed.
    #[error("binding or serving failed")]
    Io(#[from] std::io::Error),
}

/// The admin key is a secret: never printed.
impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("addr", &self.addr)
            .field("admin_key", &self.admin_key.as_ref().map(|_| "<redacted>"))
            .field("insecure_open", &self.insecure_open)
            .field("allow_hosts", &self.allow_hosts)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("header_timeout", &self.header_timeout)
            .field("body_timeout", &self.body_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

/// The most connections [`ServerConfig::max_connections`] may allow.
const MAX_CONNECTIONS_LIMIT: usize = 1 << 20;

impl ServerConfig {
    /// Refuse configurations that would expose admin routes carelessly,
    /// or that could not work (a zero timeout, no connection allowed, an
    /// allowed host that is not a host name or address, a trusted proxy
    /// network of IPv4-mapped addresses, which no client ever matches).
    pub fn check(&self) -> Result<(), ServerError> {
        if let Some(key) = &self.admin_key
            && key.trim().len() < 16
        {
            return Err(ServerError::WeakAdminKey);
        }
        if !self.addr.ip().is_loopback() && self.admin_key.is_none() && !self.insecure_open {
            return Err(ServerError::InsecureBind(self.addr));
        }
        let invalid = |why: String| Err(ServerError::InvalidConfig(why));
        for (name, t) in [
            ("header timeout", self.header_timeout),
            ("body timeout", self.body_timeout),
            ("idle timeout", self.idle_timeout),
        ] {
            if t.is_zero() {
                return invalid(format!("the {name} must be more than zero"));
            }
        }
        if !(1..=MAX_CONNECTIONS_LIMIT).contains(&self.max_connections) {
            return invalid(format!(
                "max connections must be 1..={MAX_CONNECTIONS_LIMIT}, not {}",
                self.max_connections
            ));
        }
        for host in &self.allow_hosts {
            hosts::Allowed::parse(host).map_err(ServerError::InvalidConfig)?;
        }
        if let Some(url) = &self.public_url {
            check_public_url(url).map_err(ServerError::InvalidConfig)?;
        }
        for net in &self.trusted_proxies {
            // Addresses are compared as IPv4 when IPv4-mapped, so such a
            // network would silently trust nobody.
            if let IpNet::V6(v6) = net
                && v6.prefix_len() >= 96
                && v6.network().to_ipv4_mapped().is_some()
            {
                return invalid(format!(
                    "trusted proxy {net} is IPv4-mapped; give it as IPv4 (/{} for /{})",
                    v6.prefix_len() - 96,
                    v6.prefix_len()
                ));
            }
        }
        Ok(())
    }
}

/// A public URL is an issuer's base (RFC 8414 §2): `http` or `https`, a
/// host, perhaps a port and a path; no query, fragment or user
/// information, and no trailing slash but the one the host ends with.
fn check_public_url(url: &str) -> Result<(), String> {
    let refuse = |why: &str| Err(format!("the public URL {url:?} {why}"));
    let Some((scheme, rest)) = url.split_once("://") else {
        return refuse("is not an absolute URL");
    };
    if scheme != "https" && scheme != "http" {
        return refuse("must be https (or http)");
    }
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() || host.contains('@') {
        return refuse("must name a host, without user information");
    }
    if rest.contains(['?', '#']) || rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return refuse("must have no query, fragment or spaces");
    }
    Ok(())
}

/// Serve until SIGINT or SIGTERM, then finish requests in flight and
/// return (MOTH's `run`).
pub fn run(moth: Moth, config: ServerConfig) -> Result<(), ServerError> {
    config.check()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(config.addr).await?;
        tracing::info!(addr = %listener.local_addr()?, "moth listening");
        serve(listener, moth, &config, shutdown_signal()).await
    })
}

/// Serve on `listener` until `shutdown` completes, then stop accepting,
/// finish the requests in flight, close idle connections, and return.
pub async fn serve(
    listener: tokio::net::TcpListener,
    moth: Moth,
    config: &ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    config.check()?;
    conn::serve(
        listener,
        router(moth, config),
        conn::Limits::of(config),
        source::TrustedProxies(Arc::new(config.trusted_proxies.clone())),
        shutdown,
    )
    .await?;
    Ok(())
}

/// A server running on its own threads (MOTH's `run_threaded`, with a way
/// to stop it). Dropping the handle stops the server too.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<(), ServerError>>>,
}

impl ServerHandle {
    /// The address the server is bound to (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stop accepting, finish requests in flight, and wait.
    pub fn shutdown(mut self) -> Result<(), ServerError> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> Result<(), ServerError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(ServerError::Io(std::io::Error::other(
                "server thread panicked",
            ))),
            None => Ok(()),
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        let _ = self.stop_and_join();
    }
}

/// Start serving in the background; returns once the socket is bound.
pub fn spawn(moth: Moth, config: ServerConfig) -> Result<ServerHandle, ServerError> {
    config.check()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let listener = rt.block_on(tokio::net::TcpListener::bind(config.addr))?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("moth-server".into())
        .spawn(move || {
            rt.block_on(serve(listener, moth, &config, async {
                let _ = stopped.await;
            }))
        })?;
    Ok(ServerHandle {
        addr,
        stop: Some(stop),
        thread: Some(thread),
    })
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
