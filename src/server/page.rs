//! The mobile chat page, built into the binary: no external assets, so it
//! works on a local network without internet.

use crate::app::AppState;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use std::collections::HashMap;

const PAGE: &str = include_str!("../../assets/chat.html");

/// The page with the kiosk timings, the message limit (the page counts the
/// characters the server will count) and whether a public URL is set.
pub async fn index(
    State(app): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> impl IntoResponse {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    if q.get("kiosk").is_some_and(|k| k == "1") && app.public_url.is_empty() && is_loopback_host(host) {
        tracing::warn!(
            host,
            "the kiosk page was opened on a loopback address: phones cannot open its QR codes; open it on the \
             LAN address (http://<this machine's IP>:<port>/?kiosk=1) or set [server] public_url"
        );
    }
    let page = PAGE
        .replace("{{KIOSK_IDLE}}", &app.kiosk.idle_seconds.to_string())
        .replace("{{KIOSK_COUNTDOWN}}", &app.kiosk.countdown_seconds.to_string())
        .replace("{{MAX_TEXT_CHARS}}", &app.max_text_chars.to_string())
        .replace("{{PUBLIC_URL_SET}}", if app.public_url.is_empty() { "0" } else { "1" });
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:",
            ),
        ],
        page,
    )
}

/// A Host header naming this machine only (`localhost`, `127.x`, `[::1]`):
/// QR codes built from it cannot be opened by a phone.
pub fn is_loopback_host(host: &str) -> bool {
    match url::Url::parse(&format!("http://{}/", host.trim())).ok().and_then(|u| u.host().map(|h| h.to_owned())) {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost") || d.ends_with(".localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::is_loopback_host;

    #[test]
    fn loopback_hosts_are_those_no_phone_can_reach() {
        for h in ["127.0.0.1:8080", "localhost", "LOCALHOST:80", "[::1]:8080", "127.1.2.3"] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in ["192.168.1.20:8080", "xf.example.org", "10.0.0.2", "", "[fd00::1]"] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }
}
