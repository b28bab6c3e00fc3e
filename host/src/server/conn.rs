//! Connections: the accept loop and its cap, each connection's timeouts
//! (request head, body, idle), hyper's own refusals made JSON, and
//! graceful shutdown.
//!
//! hyper's header-read timeout needs a timer and also starts when a
//! kept-alive connection goes idle, so it cannot tell a slow request from
//! an idle connection. Here each connection is in one phase at a time,
//! with at most one deadline:
//!
//! - waiting for its first request, or for the rest of a request head:
//!   the header timeout, from the connection or from the head's first byte;
//! - idle between requests, or writing a response: the idle timeout, from
//!   the moment the router answered;
//! - a request in the router: no deadline here; its body has its own (the
//!   body timeout, from the end of its head) and its call the instance's.
//!
//! The connection's reads and writes ([`TimedIo`]) check the deadline
//! whenever they would wait (and a response written arms the idle one), so
//! a silent client is dropped on time with no task of its own and one
//! `Sleep`, reset only when a deadline moves earlier.
//!
//! The cap: the accept loop takes a slot (a semaphore permit) before it
//! accepts, and each connection returns its slot when it closes. With
//! every slot taken, new connections wait in the kernel's listen backlog.
//! At shutdown, taking every slot back means every connection is done.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::Request;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

use super::error;
use super::source::{PeerAddr, TrustedProxies};
use super::{MAX_HEAD_BYTES, ServerConfig};

/// The limits of [`ServerConfig`] that apply to connections.
#[derive(Clone, Copy, Debug)]
pub(super) struct Limits {
    header: Duration,
    body: Duration,
    idle: Duration,
    max_connections: usize,
}

impl Limits {
    pub fn of(config: &ServerConfig) -> Self {
        Limits {
            header: config.header_timeout,
            body: config.body_timeout,
            idle: config.idle_timeout,
            max_connections: config.max_connections,
        }
    }
}

/// Accept and serve connections until `shutdown` completes; then stop
/// accepting, let requests in flight finish, close the rest, and return
/// once every connection is closed. Every request carries its
/// connection's [`PeerAddr`] and the `trusted` proxies in its extensions.
pub(super) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    trusted: TrustedProxies,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (closing, closing_rx) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            biased;
            () = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => slot.expect("the slots are never closed"),
        };
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
        };
        tokio::spawn(connection(
            stream,
            peer,
            app.clone(),
            limits,
            trusted.clone(),
            closing_rx.clone(),
            slot,
        ));
    }
    // Connections still in the backlog are refused from here on.
    drop(listener);
    closing.send_replace(true);
    let every_slot = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(every_slot).await;
    Ok(())
}

async fn accept_failed(e: io::Error) {
    use io::ErrorKind::*;
    // A connection that died before it was taken: nothing to do.
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted
    ) {
        return;
    }
    // Out of file descriptors or memory: wait a little instead of spinning.
    tracing::error!(
        error = &e as &dyn std::error::Error,
        "accepting a connection failed"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// Serve one connection; its slot is returned when it closes.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    limits: Limits,
    trusted: TrustedProxies,
    mut closing: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    let phase = Arc::new(PhaseCell::new());
    let io = TokioIo::new(TimedIo::new(stream, phase.clone(), limits));
    let service = {
        let phase = phase.clone();
        hyper::service::service_fn(move |req: Request<Incoming>| {
            let in_router = InRouter::enter(&phase);
            let deadline = Instant::now() + limits.body;
            let mut req = req.map(|body| Body::new(TimedBody::new(body, deadline)));
            req.extensions_mut().insert(PeerAddr(peer));
            req.extensions_mut().insert(trusted.clone());
            let answer = app.clone().oneshot(req);
            async move {
                let res = answer.await;
                drop(in_router);
                res
            }
        })
    };
    let mut conn = std::pin::pin!(
        hyper::server::conn::http1::Builder::new()
            // One flat buffer per write, so hyper's own refusals can be
            // recognised and rewritten (see `TimedIo::poll_write`).
            .writev(false)
            .max_header_size(MAX_HEAD_BYTES)
            .max_buf_size(2 * MAX_HEAD_BYTES)
            // Done here instead, per phase (see the module comment).
            .header_read_timeout(None)
            .serve_connection(io, service)
    );
    tokio::select! {
        done = conn.as_mut() => {
            if let Err(e) = done {
                tracing::debug!(error = &e as &dyn std::error::Error, "connection closed");
            }
            return;
        }
        _ = closing.wait_for(|closing| *closing) => {}
    }
    // Shutting down: a connection between requests is closed now; one with
    // a request under way finishes it (within its deadlines), then closes.
    if phase.quiet() {
        return;
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

/// Where a connection is: what it is waiting for, and since when.
#[derive(Clone, Copy, Debug)]
enum Phase {
    /// Accepted, nothing received yet.
    Fresh(Instant),
    /// Part of a request head received; the head started then.
    Head(Instant),
    /// Between requests since then (its last response may still be
    /// being written).
    Idle(Instant),
    /// A request is in the router.
    InRouter,
}

struct PhaseCell(Mutex<Phase>);

impl PhaseCell {
    fn new() -> Self {
        PhaseCell(Mutex::new(Phase::Fresh(Instant::now())))
    }

    fn get(&self) -> Phase {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn set(&self, phase: Phase) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = phase;
    }

    /// Bytes arrived: a request head has begun, unless one is under way.
    fn received(&self) {
        let mut phase = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *phase = match *phase {
            Phase::Fresh(since) => Phase::Head(since),
            Phase::Idle(_) => Phase::Head(Instant::now()),
            other => other,
        };
    }

    /// Whether nothing of a request is under way.
    fn quiet(&self) -> bool {
        matches!(self.get(), Phase::Fresh(_) | Phase::Idle(_))
    }
}

/// A request in the router; the connection is idle again when it is
/// dropped (answered, or cancelled).
struct InRouter(Arc<PhaseCell>);

impl InRouter {
    fn enter(phase: &Arc<PhaseCell>) -> Self {
        phase.set(Phase::InRouter);
        InRouter(phase.clone())
    }
}

impl Drop for InRouter {
    fn drop(&mut self) {
        self.0.set(Phase::Idle(Instant::now()));
    }
}

/// A connection's socket, failing a read or write that waits past the
/// deadline of the connection's phase.
struct TimedIo {
    stream: TcpStream,
    phase: Arc<PhaseCell>,
    limits: Limits,
    /// The deadline armed, and its timer.
    timer: Option<(Instant, Pin<Box<Sleep>>)>,
    /// hyper's own refusal of an unparseable request, rewritten as JSON,
    /// and how much of it is written.
    replacement: Option<(Vec<u8>, usize)>,
}

impl TimedIo {
    fn new(stream: TcpStream, phase: Arc<PhaseCell>, limits: Limits) -> Self {
        TimedIo {
            stream,
            phase,
            limits,
            timer: None,
            replacement: None,
        }
    }

    /// The phase whose deadline has passed, if it has; else the task is
    /// woken by then. The timer is reset only when the deadline moves
    /// earlier: one that fires for a deadline since moved later is re-armed
    /// then, so a busy connection costs no timer work per request.
    fn expired(&mut self, cx: &mut Context<'_>) -> Option<Phase> {
        let phase = self.phase.get();
        let deadline = match phase {
            Phase::Fresh(since) | Phase::Head(since) => since + self.limits.header,
            Phase::Idle(since) => since + self.limits.idle,
            Phase::InRouter => return None,
        };
        let (armed, sleep) = match &mut self.timer {
            Some((armed, sleep)) => {
                if *armed > deadline {
                    sleep.as_mut().reset(deadline);
                    *armed = deadline;
                }
                (armed, sleep)
            }
            None => {
                let timer = self
                    .timer
                    .insert((deadline, Box::pin(tokio::time::sleep_until(deadline))));
                (&mut timer.0, &mut timer.1)
            }
        };
        if sleep.as_mut().poll(cx).is_pending() {
            return None;
        }
        if *armed == deadline {
            return Some(phase);
        }
        // It fired for an earlier deadline that no longer applies.
        sleep.as_mut().reset(deadline);
        *armed = deadline;
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Some(phase),
            Poll::Pending => None,
        }
    }

    /// The error that closes a connection whose deadline passed. A client
    /// that had sent part of a request is told why first (best effort).
    fn timed_out(&mut self, phase: Phase) -> io::Error {
        let what = match phase {
            Phase::Fresh(_) | Phase::Head(_) => "request head",
            _ => "idle connection",
        };
        if let Phase::Head(_) = phase {
            let _ = self
                .stream
                .try_write(&error::raw_response(408, error::HEAD_TIMED_OUT));
        }
        tracing::debug!(what, "connection timed out");
        io::Error::new(io::ErrorKind::TimedOut, format!("{what} timed out"))
    }

    /// Write what is left of the replacement refusal.
    fn poll_replacement(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            let Some((bytes, written)) = self.replacement.as_mut() else {
                return Poll::Ready(Ok(()));
            };
            if *written == bytes.len() {
                return Poll::Ready(Ok(()));
            }
            match Pin::new(&mut self.stream).poll_write(cx, &bytes[*written..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => *written += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {
                    return match self.expired(cx) {
                        Some(phase) => Poll::Ready(Err(self.timed_out(phase))),
                        None => Poll::Pending,
                    };
                }
            }
        }
    }
}

impl AsyncRead for TimedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.phase.received();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => match this.expired(cx) {
                Some(phase) => Poll::Ready(Err(this.timed_out(phase))),
                None => Poll::Pending,
            },
        }
    }
}

impl AsyncWrite for TimedIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.replacement.is_none()
            && let Some((at, status)) = automatic_refusal(buf)
        {
            // What comes before it (answers to pipelined requests) is kept.
            let mut bytes = buf[..at].to_vec();
            bytes.extend(error::raw_response(status, error::protocol_refusal(status)));
            this.replacement = Some((bytes, 0));
        }
        if this.replacement.is_some() {
            // hyper closes the connection after its refusal: what it
            // writes is replaced, not added to.
            ready!(this.poll_replacement(cx))?;
            return Poll::Ready(Ok(buf.len()));
        }
        match Pin::new(&mut this.stream).poll_write(cx, buf) {
            Poll::Pending => match this.expired(cx) {
                Some(phase) => Poll::Ready(Err(this.timed_out(phase))),
                None => Poll::Pending,
            },
            done => {
                // An answer is going out: arm the idle deadline now, for
                // hyper may next wait for bytes without reading the socket.
                // A deadline already passed is for the next read to report.
                if this.expired(cx).is_some() {
                    cx.waker().wake_by_ref();
                }
                done
            }
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_replacement(cx))?;
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_replacement(cx))?;
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Where in `buf` the response hyper writes by itself when it cannot parse
/// a request (400, 414, 431) starts, and its status: a 4xx head with
/// `content-length: 0` and only `date` or `connection` besides, at the end
/// of the buffer (hyper closes the connection after it; answers to
/// pipelined requests may come before it). Every response of the router
/// has a content type and a body, so none looks like this.
fn automatic_refusal(buf: &[u8]) -> Option<(usize, u16)> {
    let at = buf.windows(7).rposition(|w| w == b"HTTP/1.")?;
    bare_refusal(&buf[at..]).map(|status| (at, status))
}

/// The status of `buf` if it is exactly one bare refusal.
fn bare_refusal(buf: &[u8]) -> Option<u16> {
    let head = buf.strip_suffix(b"\r\n\r\n")?;
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let status_line = lines.next()?;
    let rest = status_line
        .strip_prefix(b"HTTP/1.1 ")
        .or_else(|| status_line.strip_prefix(b"HTTP/1.0 "))?;
    let status: u16 = std::str::from_utf8(rest.get(..3)?).ok()?.parse().ok()?;
    if !(400..500).contains(&status) {
        return None;
    }
    let mut empty = false;
    for line in lines {
        let line = line.to_ascii_lowercase();
        if line == b"content-length: 0" {
            empty = true;
        } else if !(line.starts_with(b"date: ") || line.starts_with(b"connection: ")) {
            return None;
        }
    }
    empty.then_some(status)
}

/// The body was not received within the body timeout.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within the body timeout")]
pub(super) struct BodyTimedOut;

/// A request body that fails with [`BodyTimedOut`] when it waits past its
/// deadline.
struct TimedBody {
    inner: Incoming,
    deadline: Instant,
    /// Made the first time the body waits: most bodies never do.
    timer: Option<Pin<Box<Sleep>>>,
}

impl TimedBody {
    fn new(inner: Incoming, deadline: Instant) -> Self {
        TimedBody {
            inner,
            deadline,
            timer: None,
        }
    }
}

impl http_body::Body for TimedBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => Poll::Ready(frame.map(|f| f.map_err(Into::into))),
            Poll::Pending => {
                let deadline = this.deadline;
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTimedOut)))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::automatic_refusal;

    #[test]
    fn only_hypers_bare_refusals_are_rewritten() {
        let date = "date: Tue, 01 Jan 2030 00:00:00 GMT";
        let bare = format!("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n{date}\r\n\r\n");
        assert_eq!(automatic_refusal(bare.as_bytes()), Some((0, 400)));
        let too_large = "HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(automatic_refusal(too_large.as_bytes()), Some((0, 431)));
        let ok = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";
        let pipelined = format!("{ok}{bare}");
        assert_eq!(
            automatic_refusal(pipelined.as_bytes()),
            Some((ok.len(), 400))
        );
        for ours in [
            "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 9\r\n\r\n{\"a\":\"b\"}",
            "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
            "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n",
            "{\"error\":\"HTTP/1.1 400 \"}",
        ] {
            assert_eq!(automatic_refusal(ours.as_bytes()), None, "{ours}");
        }
    }
}
