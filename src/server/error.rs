//! HTTP errors as JSON with a clear message; internals are logged, not shown.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("text is longer than {0} bytes")]
    TooLarge(usize),
    #[error("too many messages, please wait a moment")]
    RateLimited { retry_after_secs: u64 },
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
    #[error("the server is busy, please try again")]
    Busy,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
}

impl AppError {
    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request", "请求格式不正确。"),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "没有权限。"),
            AppError::NotFound => (StatusCode::NOT_FOUND, "not_found", "没有找到，可能已经过期。"),
            AppError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large", "消息太长了，请分几次发送。"),
            AppError::RateLimited { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "rate_limited", "发送太快了，请稍等片刻再试。")
            }
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", "系统暂时出了问题，请稍后再试。"),
            AppError::Busy => (StatusCode::SERVICE_UNAVAILABLE, "busy", "系统繁忙，请稍后再试。"),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code, hint) = self.parts();
        if let AppError::Internal(e) = &self {
            tracing::error!(error = format!("{e:#}"), "request failed");
        }
        let body = json!({ "error": { "code": code, "message": self.to_string(), "hint": hint } });
        let mut resp = (status, Json(body)).into_response();
        if let AppError::RateLimited { retry_after_secs } = self {
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.max(1).to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        resp
    }
}
