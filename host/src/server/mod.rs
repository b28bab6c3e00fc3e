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
mod error;
mod extract;
mod metrics;
mod routes;

use std::future::Future;
use std::net::SocketAddr;

use tokio::sync::oneshot;

use crate::Moth;
pub use extract::TENANT_HEADER;
pub use routes::{UserBody, router};

/// The largest request body accepted, in bytes. A password is at most
/// 1 KiB and a permissions string 64 KiB, so this leaves room for both.
pub const MAX_BODY_BYTES: usize = 96 * 1024;

/// How the server listens and whom it lets in.
#[derive(Clone)]
pub struct ServerConfig {
    /// Where to listen. Default `127.0.0.1:8080`.
    pub addr: SocketAddr,
    /// When set, every route but login, validate, logout, passvalid and
    /// healthz requires `Authorization: Bearer <key>`.
    pub admin_key: Option<String>,
    /// Allow a non-loopback address without an admin key.
    pub insecure_open: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            admin_key: None,
            insecure_open: false,
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
            .finish()
    }
}

impl ServerConfig {
    /// Refuse configurations that would expose admin routes carelessly.
    pub fn check(&self) -> Result<(), ServerError> {
        if let Some(key) = &self.admin_key
            && key.trim().len() < 16
        {
            return Err(ServerError::WeakAdminKey);
        }
        if !self.addr.ip().is_loopback() && self.admin_key.is_none() && !self.insecure_open {
            return Err(ServerError::InsecureBind(self.addr));
        }
        Ok(())
    }
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

/// Serve on `listener` until `shutdown` completes, then drain.
pub async fn serve(
    listener: tokio::net::TcpListener,
    moth: Moth,
    config: &ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    config.check()?;
    axum::serve(listener, router(moth, config))
        .with_graceful_shutdown(shutdown)
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
