//! The mobile chat page, built into the binary: no external assets, so it
//! works on a local network without internet.

use super::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

const PAGE: &str = include_str!("../../assets/chat.html");

/// The page with the kiosk timings filled in (`[kiosk]` settings).
pub async fn index(State(app): State<AppState>) -> impl IntoResponse {
    let page = PAGE
        .replace("{{KIOSK_IDLE}}", &app.kiosk.idle_seconds.to_string())
        .replace("{{KIOSK_COUNTDOWN}}", &app.kiosk.countdown_seconds.to_string());
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
