//! One log line per request — method, the route's template (`/g/{ticket}`,
//! never the raw path or query: take-away ids, transfer tickets and
//! transcript users are secrets or personal data), status and latency —
//! and the HTTP counters (`xg_http_responses_total` by route and status,
//! `xg_rate_limited_total` for 429s).

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

/// The route a request matched, as written in the router.
pub fn route_of(req: &Request) -> String {
    req.extensions().get::<MatchedPath>().map_or_else(|| "(unmatched)".to_string(), |m| m.as_str().to_string())
}

pub async fn log(req: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let route = route_of(&req);
    let resp = next.run(req).await;
    let status = resp.status().as_u16();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(target: "xg_http", %method, route = %route, status, ms = format_args!("{ms:.1}"), "request");
    metrics::counter!("xg_http_responses_total", "route" => route.clone(), "status" => status.to_string()).increment(1);
    if status == 429 {
        metrics::counter!("xg_rate_limited_total", "route" => route).increment(1);
    }
    resp
}
