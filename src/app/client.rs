//! Who is asking: the client address behind trusted reverse proxies, and
//! whether a browser request came to a Host this server answers for.

use super::AppState;
use crate::config::{Network, canonical};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, SocketAddr};

/// The client's address: the socket peer, unless the peer is a trusted
/// proxy — then the right-most `X-Forwarded-For` entry that is not itself a
/// trusted proxy (entries further left were written by the client and can
/// say anything).
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[Network]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(peer) {
        return canonical(peer);
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if is_trusted(ip) => continue,
            Ok(ip) => return canonical(ip),
            // Garbage in a hop we were told to trust: stop, use that proxy.
            Err(_) => break,
        }
    }
    canonical(peer)
}

/// The client address of a request (see `client_ip`).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Self::Rejection> {
        // The extractor (not the bare extension) also sees `MockConnectInfo`.
        let peer = match ConnectInfo::<SocketAddr>::from_request_parts(parts, app).await {
            Ok(ConnectInfo(a)) => a.ip(),
            Err(_) => IpAddr::from([0, 0, 0, 0]),
        };
        Ok(ClientIp(client_ip(peer, &parts.headers, &app.trusted_proxies)))
    }
}

/// The host part of a Host header (`example.org:8080` → `example.org`,
/// `[::1]:80` → `::1`), lower-cased.
fn host_name(host: &str) -> String {
    let host = host.trim();
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None if host.matches(':').count() > 1 => host, // bare IPv6
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// Which Hosts browser-facing pages answer: the public URL's host, or —
/// when none is configured — `localhost` and IP addresses (a publicity-day
/// LAN is reached by address; a DNS-rebinding page needs a name).
#[derive(Debug, Clone)]
pub enum HostPolicy {
    Only(String),
    LocalOrAddress,
}

impl HostPolicy {
    pub fn from_public_url(public_url: &str) -> Self {
        match url::Url::parse(public_url.trim()).ok().and_then(|u| u.host_str().map(str::to_ascii_lowercase)) {
            Some(h) => HostPolicy::Only(h.trim_start_matches('[').trim_end_matches(']').to_string()),
            None => HostPolicy::LocalOrAddress,
        }
    }

    pub fn allows(&self, host: &str) -> bool {
        let name = host_name(host);
        match self {
            HostPolicy::Only(h) => name == *h,
            HostPolicy::LocalOrAddress => name == "localhost" || name.parse::<IpAddr>().is_ok(),
        }
    }
}

/// Middleware for browser-facing routes: a request whose Host this server
/// does not answer for is refused (421), before any handler runs. A request
/// without a Host (HTTP/1.0) carries nothing a rebinding page could set.
pub async fn check_host(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok());
    match host {
        Some(h) if !app.hosts.allows(h) => {
            (StatusCode::MISDIRECTED_REQUEST, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "unknown host")
                .into_response()
        }
        _ => next.run(req).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn nets(s: &[&str]) -> Vec<Network> {
        s.iter().map(|n| n.parse().expect("network")).collect()
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_static("1.2.3.4, 203.0.113.9"));
        let peer: IpAddr = "127.0.0.1".parse().expect("ip");
        assert_eq!(client_ip(peer, &h, &[]), peer, "no trusted proxies: the socket peer");
        let trusted = nets(&["127.0.0.1"]);
        assert_eq!(client_ip(peer, &h, &trusted).to_string(), "203.0.113.9", "right-most untrusted hop");
        let chain = nets(&["127.0.0.1", "203.0.113.0/24"]);
        assert_eq!(client_ip(peer, &h, &chain).to_string(), "1.2.3.4");
        let other: IpAddr = "198.51.100.7".parse().expect("ip");
        assert_eq!(client_ip(other, &h, &trusted), other, "an untrusted peer cannot claim another address");
        h.insert("x-forwarded-for", HeaderValue::from_static("not-an-ip"));
        assert_eq!(client_ip(peer, &h, &trusted), peer);
    }

    #[test]
    fn hosts_follow_the_public_url() {
        let only = HostPolicy::from_public_url("https://xf.example.org/");
        assert!(only.allows("xf.example.org") && only.allows("XF.example.org:443"));
        assert!(!only.allows("evil.example") && !only.allows("127.0.0.1:8080"));
        let lan = HostPolicy::from_public_url("");
        for h in ["localhost:8080", "127.0.0.1:8080", "192.168.1.20:8080", "[::1]:8080", "10.0.0.5"] {
            assert!(lan.allows(h), "{h}");
        }
        assert!(!lan.allows("rebind.attacker.example:8080") && !lan.allows("kiosk.local"));
    }
}
