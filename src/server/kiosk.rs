//! "扫码在手机上继续": a kiosk conversation moves to a phone. The kiosk asks
//! for a one-time ticket (`POST /api/v1/transfer`) and shows it as a QR
//! code; the phone opens `/?t=<ticket>` and claims it (`POST
//! /api/v1/claim`), which copies the conversation to a fresh session token
//! for the phone and clears the kiosk's session; the kiosk sees the ticket
//! gone (`GET /api/v1/transfer/<ticket>`) and resets its screen.

use super::chat::{ChatResponse, service_error, web_key};
use crate::app::AppState;
use crate::app::error::AppError;
use crate::app::html::base_url;
use crate::app::{is_token, new_token};
use crate::engine::choice::{ChoiceId, Cmd};
use crate::engine::reply::Inbound;
use crate::service::ServiceError;
use crate::store::Ticket;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};

pub const TRANSFER: &str = "transfer";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionRef {
    pub session: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Link {
    pub ticket: String,
    pub url: String,
    /// The URL as a QR code (SVG `data:` URL for an `<img>`).
    pub qr: String,
    /// Unix seconds.
    pub expires: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    pub ticket: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Status {
    pub pending: bool,
}

pub async fn transfer(
    State(app): State<AppState>,
    headers: HeaderMap,
    req: Result<Json<SessionRef>, JsonRejection>,
) -> Result<Json<Link>, AppError> {
    let req = body(req)?;
    let session = existing(&app, &req.session).await?;
    let expires = (app.clock)() + app.kiosk.transfer_minutes.max(1) * 60;
    let data = serde_json::json!({ "session": session.key.user() });
    issue(&app, &headers, TRANSFER, expires, data, "/?t=").await.map(Json)
}

/// Stores a new ticket and returns its link (`<base><path><ticket>`) with the link as a QR code.
pub async fn issue(
    app: &AppState,
    headers: &HeaderMap,
    kind: &str,
    expires: i64,
    data: serde_json::Value,
    path: &str,
) -> Result<Link, AppError> {
    let ticket = new_token();
    let t = Ticket { kind: kind.into(), expires, data };
    app.bot.store.put_ticket(&ticket, &t).await?;
    let url = format!("{}{path}{ticket}", base_url(&app.public_url, headers));
    let qr = crate::qr::svg_data_url(&url, 240).map_err(|e| AppError::Internal(e.into()))?;
    Ok(Link { ticket, url, qr, expires })
}

/// Whether the ticket still waits for a phone (claimed or expired: not).
pub async fn transfer_status(
    State(app): State<AppState>,
    Path(ticket): Path<String>,
) -> Result<Json<Status>, AppError> {
    if !is_token(&ticket) {
        return Err(AppError::BadRequest("malformed ticket".into()));
    }
    let t = app.bot.store.get_ticket(&ticket, (app.clock)()).await?;
    Ok(Json(Status { pending: t.is_some_and(|t| t.kind == TRANSFER) }))
}

pub async fn claim(
    State(app): State<AppState>,
    req: Result<Json<Claim>, JsonRejection>,
) -> Result<Json<ChatResponse>, AppError> {
    let req = body(req)?;
    if !is_token(&req.ticket) {
        return Err(AppError::BadRequest("malformed ticket".into()));
    }
    let now = (app.clock)();
    let store = &app.bot.store;
    let ticket = store.take_ticket(&req.ticket, now).await?;
    let Some(t) = ticket.filter(|t| t.kind == TRANSFER) else { return Err(AppError::NotFound) };
    let from = t.data.get("session").and_then(|v| v.as_str()).filter(|s| is_token(s)).ok_or(AppError::NotFound)?;
    let token = new_token();
    let to = web_key(&token)?;
    match app.bot.transfer(&web_key(from)?, &to, now).await {
        Ok(()) => {}
        Err(ServiceError::NoSession) => return Err(AppError::NotFound),
        Err(e) => return Err(service_error(e)),
    }
    let step =
        app.bot.handle_existing(&to, &Inbound::choice(ChoiceId::cmd(Cmd::Resume)), now).await.map_err(service_error)?;
    Ok(Json(ChatResponse { session: token, replies: step.replies }))
}

/// The web session for a token the client holds, if it exists.
pub async fn existing(app: &AppState, token: &str) -> Result<crate::engine::session::Session, AppError> {
    if !is_token(token) {
        return Err(AppError::BadRequest("malformed session".into()));
    }
    match app.bot.store.load(&web_key(token)?).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// A JSON body, or the API's own 400/413 error.
pub fn body<T>(r: Result<Json<T>, JsonRejection>) -> Result<T, AppError> {
    r.map(|Json(t)| t).map_err(AppError::from)
}
