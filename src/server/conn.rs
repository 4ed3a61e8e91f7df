//! Accepting connections with limits: how long a client may take to send
//! its request headers (`header_timeout`, from the first byte of a request's
//! head: an idle keep-alive connection waits `idle_timeout`, not this), its whole request
//! body (`body_timeout`: one deadline for the body, not per byte; late: 408),
//! how long a keep-alive connection may sit idle (`idle_timeout`), how many
//! may be open at once (`max_connections`) and from one address
//! (`per_address`, not for trusted proxies).
//!
//! A request counts as in progress only once its body is read: at a cap, a
//! new connection takes the place of the open one (of all, or of the same
//! address) that has been quiet longest and has no request in progress — a
//! stalled or trickled half-sent request (slowloris), or an idle keep-alive
//! connection — so a flood of stalled connections cannot keep new clients
//! out. Only when every such connection is busy answering is the new one
//! closed.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tower::ServiceExt as _;

#[derive(Debug, Clone)]
pub struct ConnLimits {
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
    /// The whole request body, from its first byte being awaited.
    pub body_timeout: Duration,
    /// Largest body read (a larger one is 413 before any handler).
    pub max_body_bytes: usize,
    /// Connections open at once from one address (0: no limit).
    pub per_address: usize,
    /// Peers the per-address limit does not apply to (reverse proxies).
    pub exempt: Vec<crate::config::Network>,
}

/// Looks at a request's head before its body is read: `Some` is the answer
/// (the body is never waited for), `None` lets it go on (the gate may mark
/// the request in its extensions).
pub type Gate = Arc<
    dyn Fn(&mut axum::http::request::Parts, std::net::SocketAddr) -> Option<axum::response::Response> + Send + Sync,
>;

/// One open connection, as the registry sees it.
struct Conn {
    /// Its peer's address.
    ip: std::net::IpAddr,
    /// Milliseconds since the registry's epoch of the last byte in or out.
    active: Arc<AtomicU64>,
    /// Requests being answered on it now.
    busy: Arc<AtomicUsize>,
    /// Requests handed to the service and not yet answered, body reading
    /// included, and when the head of the next one began to arrive.
    head: Arc<Head>,
    close: Arc<Notify>,
}

/// Where a connection is in receiving a request's head.
struct Head {
    /// Milliseconds since the epoch of its first byte; `NONE` when no head
    /// is arriving (idle, or a request is being read or answered).
    since: AtomicU64,
    /// Requests taken by the service and not answered yet.
    requests: AtomicUsize,
    /// HTTP/2 (prior knowledge): frames, not heads; hyper's own keep-alive rules.
    h2: std::sync::atomic::AtomicBool,
}

const NONE: u64 = u64::MAX;

impl Head {
    fn new() -> Self {
        Self { since: AtomicU64::new(NONE), requests: AtomicUsize::new(0), h2: Default::default() }
    }

    /// Bytes arrived: while nothing is being handled, they begin a head.
    fn bytes(&self, now: u64, first: &[u8]) {
        if first.starts_with(b"PRI * HTTP/2") {
            self.h2.store(true, Ordering::SeqCst);
        }
        if self.requests.load(Ordering::SeqCst) == 0 && !self.h2.load(Ordering::SeqCst) {
            let _ = self.since.compare_exchange(NONE, now, Ordering::SeqCst, Ordering::SeqCst);
        }
    }

    /// The head was read: the service has the request.
    fn taken(&self) {
        self.requests.fetch_add(1, Ordering::SeqCst);
        self.since.store(NONE, Ordering::SeqCst);
    }

    fn answered(&self) {
        self.requests.fetch_sub(1, Ordering::SeqCst);
    }
}

#[derive(Default)]
struct Registry {
    next: AtomicU64,
    open: Mutex<HashMap<u64, Conn>>,
}

fn millis(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
}

impl Registry {
    fn len(&self) -> usize {
        self.open.lock().map_or(0, |m| m.len())
    }

    /// Connections open from `ip`.
    fn from(&self, ip: std::net::IpAddr) -> usize {
        self.open.lock().map_or(0, |m| m.values().filter(|c| c.ip == ip).count())
    }

    /// Closes the connection quiet longest with no request in progress
    /// (from `ip` only, when given); false when every one is busy.
    fn evict_one(&self, ip: Option<std::net::IpAddr>) -> bool {
        let Ok(mut open) = self.open.lock() else { return false };
        let victim = open
            .iter()
            .filter(|(_, c)| c.busy.load(Ordering::SeqCst) == 0 && ip.is_none_or(|ip| c.ip == ip))
            .min_by_key(|(_, c)| c.active.load(Ordering::SeqCst))
            .map(|(id, _)| *id);
        // Out of the count at once, so the next accept does not pick it again.
        match victim.and_then(|id| open.remove(&id)) {
            Some(c) => {
                c.close.notify_one();
                metrics::counter!("xg_connections_evicted_total").increment(1);
                true
            }
            None => false,
        }
    }

    /// Closes connections idle longer than `idle` with nothing in progress,
    /// and those whose request head has taken longer than `header`.
    fn close_idle(&self, epoch: Instant, idle: Duration, header: Duration) {
        let now = millis(epoch);
        let idle = u64::try_from(idle.as_millis()).unwrap_or(u64::MAX);
        let header = u64::try_from(header.as_millis()).unwrap_or(u64::MAX);
        let Ok(open) = self.open.lock() else { return };
        for c in open.values() {
            let since = c.head.since.load(Ordering::SeqCst);
            let slow_head = since != NONE && now.saturating_sub(since) > header;
            if slow_head {
                metrics::counter!("xg_header_timeouts_total").increment(1);
            }
            if slow_head
                || (c.busy.load(Ordering::SeqCst) == 0 && now.saturating_sub(c.active.load(Ordering::SeqCst)) > idle)
            {
                c.close.notify_one();
            }
        }
    }
}

/// A socket that notes when bytes last went through it, and when a
/// request's head began to arrive.
struct Tracked {
    inner: TcpStream,
    active: Arc<AtomicU64>,
    head: Arc<Head>,
    epoch: Instant,
}

impl Tracked {
    fn touch(&self) {
        self.active.store(millis(self.epoch), Ordering::SeqCst);
    }
}

impl AsyncRead for Tracked {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.touch();
            self.head.bytes(millis(self.epoch), &buf.filled()[before..]);
        }
        r
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Marks a request answered when it is dropped (its future done or gone).
struct Answered(Arc<Head>);

impl Drop for Answered {
    fn drop(&mut self) {
        self.0.answered();
    }
}

/// Counts a request as in progress while it lives.
struct Busy(Arc<AtomicUsize>);

impl Busy {
    fn new(n: &Arc<AtomicUsize>) -> Self {
        n.fetch_add(1, Ordering::SeqCst);
        Self(n.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A refusal before any handler ran, in the API's error shape; the
/// connection is closed after it.
fn refusal(status: axum::http::StatusCode, code: &str, hint: &str) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let body = serde_json::json!({ "error": { "code": code, "hint": hint, "message": code.replace('_', " ") } });
    let mut r = (status, axum::Json(body)).into_response();
    r.headers_mut().insert(axum::http::header::CONNECTION, axum::http::HeaderValue::from_static("close"));
    r.headers_mut().insert("x-content-type-options", axum::http::HeaderValue::from_static("nosniff"));
    r
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets open
/// requests finish (up to 10 s).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnLimits,
    gate: Gate,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let registry = Arc::new(Registry::default());
    let epoch = Instant::now();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // The head's deadline is the watchdog's (`Head`): hyper's also ran
    // while a keep-alive connection sat idle (review N9).
    builder.http1().timer(TokioTimer::new()).header_read_timeout(None);
    builder.http2().timer(TokioTimer::new()).keep_alive_interval(None);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let watchdog = {
        let registry = registry.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(
                Duration::from_millis(500)
                    .min(limits.idle_timeout)
                    .min(limits.header_timeout)
                    .max(Duration::from_millis(50)),
            );
            loop {
                tick.tick().await;
                registry.close_idle(epoch, limits.idle_timeout, limits.header_timeout);
                metrics::gauge!("xg_open_connections").set(registry.len() as f64);
            }
        })
    };
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off, go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if registry.len() >= limits.max_connections && !registry.evict_one(None) {
            metrics::counter!("xg_connections_refused_total").increment(1);
            drop(stream);
            continue;
        }
        let limited = limits.per_address > 0 && !limits.exempt.iter().any(|n| n.contains(peer.ip()));
        if limited && registry.from(peer.ip()) >= limits.per_address && !registry.evict_one(Some(peer.ip())) {
            metrics::counter!("xg_connections_refused_total").increment(1);
            drop(stream);
            continue;
        }
        let _ = stream.set_nodelay(true);
        let id = registry.next.fetch_add(1, Ordering::SeqCst);
        let conn = Conn {
            ip: peer.ip(),
            active: Arc::new(AtomicU64::new(millis(epoch))),
            busy: Arc::new(AtomicUsize::new(0)),
            head: Arc::new(Head::new()),
            close: Arc::new(Notify::new()),
        };
        let (busy, close) = (conn.busy.clone(), conn.close.clone());
        let head = conn.head.clone();
        let io = TokioIo::new(Tracked { inner: stream, active: conn.active.clone(), head: head.clone(), epoch });
        if let Ok(mut open) = registry.open.lock() {
            open.insert(id, conn);
        }
        let router = router.clone();
        let (body_timeout, max_body) = (limits.body_timeout, limits.max_body_bytes);
        let gate = gate.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            let router = router.clone();
            let busy = busy.clone();
            let gate = gate.clone();
            head.taken();
            let answered = Answered(head.clone());
            async move {
                let _answered = answered;
                let (mut parts, body) = req.into_parts();
                if let Some(answer) = gate(&mut parts, peer) {
                    return Ok(answer);
                }
                // The whole body first, within one deadline; only then is
                // the request in progress (a stalled body can be evicted).
                let limited = http_body_util::Limited::new(body, max_body);
                let bytes = match tokio::time::timeout(body_timeout, http_body_util::BodyExt::collect(limited)).await {
                    Ok(Ok(collected)) => collected.to_bytes(),
                    Ok(Err(e)) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => {
                        return Ok(refusal(
                            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                            "too_large",
                            "消息太长了，请分几次发送。",
                        ));
                    }
                    Ok(Err(_)) => {
                        return Ok(refusal(axum::http::StatusCode::BAD_REQUEST, "bad_request", "请求不完整，请重试。"));
                    }
                    Err(_) => {
                        metrics::counter!("xg_request_body_timeouts_total").increment(1);
                        return Ok(refusal(
                            axum::http::StatusCode::REQUEST_TIMEOUT,
                            "request_timeout",
                            "发送太慢，已超时，请重试。",
                        ));
                    }
                };
                let req = hyper::Request::from_parts(parts, axum::body::Body::from(bytes));
                let guard = Busy::new(&busy);
                let resp = router.oneshot(req).await;
                drop(guard);
                resp
            }
        });
        let connection = graceful.watch(builder.serve_connection_with_upgrades(io, service).into_owned());
        let registry = registry.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = connection => {}
                () = close.notified() => {}
            }
            if let Ok(mut open) = registry.open.lock() {
                open.remove(&id);
            }
        });
    }
    drop(listener);
    watchdog.abort();
    if tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await.is_err() {
        tracing::warn!("connections still open 10 s after shutdown began: closed");
    }
    Ok(())
}
