//! The mobile chat page, built into the binary: no external assets, so it
//! works on a local network without internet.

use axum::http::header;
use axum::response::IntoResponse;

const PAGE: &str = include_str!("../../assets/chat.html");

pub async fn index() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:",
            ),
        ],
        PAGE,
    )
}
