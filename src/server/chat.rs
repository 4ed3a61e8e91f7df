//! `POST /api/v1/chat`: the web channel adapter. Translates JSON to an
//! `Inbound` and a session key, and the engine's replies back to JSON.

use crate::app::error::AppError;
use crate::app::{AppState, is_token, new_token, source_tag};
use crate::engine::reply::{Inbound, Reply, UserInput};
use crate::engine::session::SessionKey;
use crate::service::ServiceError;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use std::time::Instant;

pub const CHANNEL: &str = "web";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatRequest {
    #[serde(default)]
    pub session: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub choice: Option<String>,
    #[serde(default)]
    pub src: Option<String>,
    /// 有帮助 / 没帮助 with an optional one-line comment, in one request.
    #[serde(default)]
    pub feedback: Option<FeedbackIn>,
    /// The page's id for this turn (1–64 letters, digits, `-`, `_`): sent
    /// again with the same id, the turn is answered from its receipt, not
    /// applied twice.
    #[serde(default)]
    pub turn: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedbackIn {
    #[serde(default)]
    pub helpful: Option<bool>,
    #[serde(default)]
    pub comment: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ChatResponse {
    pub session: String,
    pub replies: Vec<Reply>,
}

pub async fn chat(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ChatResponse>, AppError> {
    let started = Instant::now();
    // Only JSON: a cross-site page can send text/plain or a form without
    // asking first, but not application/json.
    if !is_json(&headers) {
        return Err(AppError::UnsupportedMediaType);
    }
    let body = body.map_err(|e| match e.status().as_u16() {
        413 => AppError::TooLarge(super::MAX_BODY_BYTES),
        _ => AppError::BadRequest(format!("cannot read request body: {e}")),
    })?;
    let req: ChatRequest =
        serde_json::from_slice(&body).map_err(|e| AppError::BadRequest(crate::app::error::json_error(&e)))?;
    let input = input(&req, app.max_text_chars)?;
    let turn = match req.turn.as_deref() {
        Some(t)
            if !t.is_empty()
                && t.len() <= 64
                && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            Some(t)
        }
        Some(_) => return Err(AppError::BadRequest("`turn` must be 1–64 letters, digits, - or _".into())),
        None => None,
    };
    let src = source_tag(req.src.as_deref())?;
    let mut inbound = Inbound::new(input, src);
    let now = (app.clock)();
    // A known token continues its session; a missing, malformed or unknown
    // one gets a new random token (a client cannot choose its session id).
    if let Some(t) = req.session.as_deref().filter(|t| is_token(t)) {
        app.limits.check_session(t).map_err(|s| AppError::RateLimited { retry_after_secs: s })?;
        let handled = match turn {
            Some(id) => app.bot.handle_existing_once(&web_key(t)?, &inbound, now, id).await.map(|d| d.replies),
            None => app.bot.handle_existing(&web_key(t)?, &inbound, now).await.map(|h| h.replies),
        };
        match handled {
            Ok(replies) => return Ok(reply(started, t.to_string(), replies)),
            // The page held a session the store no longer knows: it timed out.
            Err(ServiceError::NoSession) => inbound.session_gone = true,
            Err(e) => return Err(service_error(e)),
        }
    }
    let token = new_token();
    let handled = app.bot.handle(&web_key(&token)?, &inbound, now).await.map_err(service_error)?;
    Ok(reply(started, token, handled.replies))
}

/// `Content-Type: application/json` (parameters such as charset allowed).
pub fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

fn reply(started: Instant, session: String, replies: Vec<Reply>) -> Json<ChatResponse> {
    metrics::histogram!("xg_reply_seconds").record(started.elapsed().as_secs_f64());
    Json(ChatResponse { session, replies })
}

pub fn service_error(e: ServiceError) -> AppError {
    match e {
        ServiceError::Contention => AppError::Busy,
        ServiceError::Store(e) => e.into(),
        other => AppError::Internal(other.into()),
    }
}

fn input(req: &ChatRequest, max: usize) -> Result<UserInput, AppError> {
    if let Some(f) = &req.feedback {
        if req.text.is_some() || req.choice.is_some() {
            return Err(AppError::BadRequest("send `feedback` alone".into()));
        }
        if let Some(chars) = f.comment.as_ref().map(|c| c.chars().count()).filter(|n| *n > max) {
            return Err(AppError::TextTooLong { chars, max });
        }
        if f.helpful.is_none() && f.comment.as_deref().is_none_or(|c| c.trim().is_empty()) {
            return Err(AppError::BadRequest("`feedback` needs `helpful` or a `comment`".into()));
        }
        return Ok(UserInput::Feedback { helpful: f.helpful, comment: f.comment.as_deref().map(clean) });
    }
    match (&req.text, &req.choice) {
        (Some(t), None) => {
            // Refused whole, never cut: the page counts the same characters and warns first.
            let chars = t.chars().count();
            if chars > max {
                return Err(AppError::TextTooLong { chars, max });
            }
            Ok(UserInput::Text(clean(t)))
        }
        (None, Some(c)) => {
            c.parse().map(UserInput::Choice).map_err(|_| AppError::BadRequest("malformed choice id".into()))
        }
        (Some(_), Some(_)) => Err(AppError::BadRequest("send either `text` or `choice`, not both".into())),
        (None, None) => Err(AppError::BadRequest("`text` or `choice` is required".into())),
    }
}

/// Drops control characters other than line breaks and tabs.
fn clean(s: &str) -> String {
    s.chars().filter(|c| !c.is_control() || matches!(c, '\n' | '\t')).collect()
}

pub fn web_key(token: &str) -> Result<SessionKey, AppError> {
    SessionKey::parse(CHANNEL, token).map_err(|e| AppError::Internal(e.into()))
}
