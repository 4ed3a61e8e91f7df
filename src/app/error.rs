//! HTTP errors as JSON with a clear message; internals are logged, not shown.

use axum::Json;
use axum::extract::rejection::{FormRejection, JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("request body is longer than {0} bytes")]
    TooLarge(usize),
    /// Message text over `[server] max_text_chars` (counted in characters).
    #[error("text has {chars} characters, more than the {max} allowed")]
    TextTooLong { chars: usize, max: usize },
    #[error("too many messages, please wait a moment")]
    RateLimited { retry_after_secs: u64 },
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
    #[error("the server is busy, please try again")]
    Busy,
    /// The store (the database) cannot be reached; nothing was written.
    #[error("storage is unavailable, please try again shortly")]
    Unavailable,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("send the body as application/json")]
    UnsupportedMediaType,
}

impl AppError {
    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request", "请求格式不正确。"),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "没有权限。"),
            AppError::NotFound => (StatusCode::NOT_FOUND, "not_found", "没有找到，可能已经过期。"),
            AppError::UnsupportedMediaType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "请求格式不正确。")
            }
            AppError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large", "消息太长了，请分几次发送。"),
            AppError::TextTooLong { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "text_too_long", "消息太长了，没有发出。"),
            AppError::RateLimited { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "rate_limited", "发送太快了，请稍等片刻再试。")
            }
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", "系统暂时出了问题，请稍后再试。"),
            AppError::Busy => (StatusCode::SERVICE_UNAVAILABLE, "busy", "系统繁忙，请稍后再试。"),
            AppError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                "系统暂时无法保存对话，这条消息可能没有发出。请稍后再试（页面上点“重新发送”不会重复）。",
            ),
        }
    }
}

impl From<crate::store::StoreError> for AppError {
    /// A database that cannot be reached is a 503 the client may retry;
    /// anything else from the store is internal.
    fn from(e: crate::store::StoreError) -> Self {
        match e {
            crate::store::StoreError::Unavailable(why) => {
                tracing::warn!(error = %why, "store unavailable");
                AppError::Unavailable
            }
            other => AppError::Internal(other.into()),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code, hint) = self.parts();
        let hint = match &self {
            AppError::TextTooLong { chars, max } => {
                format!("这条消息有 {chars} 字，超过了 {max} 字的上限，没有发出。请删减一些，或分几次发送。")
            }
            _ => hint.to_string(),
        };
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

/// What is wrong with a JSON body, without echoing any of it (serde's own
/// messages quote unknown field names and values as sent).
pub fn json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Syntax => "is not valid JSON",
        Category::Eof => "ends before the JSON does",
        Category::Data => "does not match the request format (unknown field, wrong type or missing value)",
        Category::Io => "could not be read",
    };
    format!("the body {what} (line {}, column {})", e.line(), e.column())
}

impl From<JsonRejection> for AppError {
    fn from(e: JsonRejection) -> Self {
        match e {
            JsonRejection::JsonDataError(_) | JsonRejection::JsonSyntaxError(_) => {
                AppError::BadRequest("the body is not JSON of the request format".into())
            }
            JsonRejection::MissingJsonContentType(_) => AppError::UnsupportedMediaType,
            e if e.status() == StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge(super::MAX_BODY_BYTES),
            _ => AppError::BadRequest("the body could not be read".into()),
        }
    }
}

impl From<QueryRejection> for AppError {
    fn from(_: QueryRejection) -> Self {
        AppError::BadRequest("the query parameters are malformed or unknown".into())
    }
}

impl From<FormRejection> for AppError {
    fn from(e: FormRejection) -> Self {
        match e.status() {
            StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge(super::MAX_BODY_BYTES),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType,
            _ => AppError::BadRequest("the form fields are malformed or unknown".into()),
        }
    }
}

/// `Query`, refused with a message that does not echo the request.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct Params<T>(pub T);

/// `Form`, refused with a message that does not echo the request.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Form), rejection(AppError))]
pub struct FormBody<T>(pub T);
