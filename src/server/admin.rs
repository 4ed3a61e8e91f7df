//! Operator endpoints, answered only to loopback clients (the `stats`
//! command asks here when the server holds the data dir). The staff console
//! with accounts comes later; until then nothing here leaves the machine.

use super::AppState;
use super::error::AppError;
use crate::stats::Query;
use axum::Json;
use axum::extract::{ConnectInfo, Query as UrlQuery, State};
use serde::Deserialize;
use std::net::SocketAddr;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsParams {
    #[serde(default)]
    src: Option<String>,
    from: String,
    to: String,
}

pub async fn stats(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    params: Result<UrlQuery<StatsParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<crate::stats::Report>, AppError> {
    if !peer.ip().is_loopback() {
        return Err(AppError::Forbidden("only from this machine".into()));
    }
    let UrlQuery(p) = params.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let q = query(p.src.as_deref(), &p.from, &p.to).map_err(AppError::BadRequest)?;
    let report = crate::cli::stats::from_store(&*app.bot.store, &q).await.map_err(|e| AppError::Internal(e.into()))?;
    Ok(Json(report))
}

/// Validates a report query: a source tag, and `from <= to` as YYYY-MM-DD.
pub fn query(src: Option<&str>, from: &str, to: &str) -> Result<Query, String> {
    let date = |s: &str| crate::stats::parse_day(s).ok_or_else(|| format!("{s:?} is not a date (YYYY-MM-DD)"));
    let (from, to) = (date(from)?, date(to)?);
    if from > to {
        return Err("`from` is after `to`".into());
    }
    let src = super::chat::source_tag(src).map_err(|_| "`src` must be 1-32 letters, digits, `-` or `_`".to_string())?;
    Ok(Query { src, from, to })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewStaff {
    pub name: String,
    pub role: String,
    pub password: String,
}

/// `staff add` while the server holds the data dir (loopback only).
pub async fn add_staff(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Result<Json<NewStaff>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<serde_json::Value>, AppError> {
    if !peer.ip().is_loopback() {
        return Err(AppError::Forbidden("only from this machine".into()));
    }
    let n = super::kiosk::body(body)?;
    let role: crate::staff::accounts::Role =
        n.role.parse().map_err(|e: crate::staff::accounts::StaffError| AppError::BadRequest(e.to_string()))?;
    let now = (app.clock)();
    let store = &*app.bot.store;
    match crate::staff::accounts::add(store, &n.name, role, &n.password, now).await {
        Ok(()) => {
            let _ = crate::staff::audit::record(
                store,
                now,
                "(command line)",
                "add_user",
                &format!("{} as {}", n.name, role.as_str()),
            )
            .await;
            Ok(Json(serde_json::json!({"ok": true})))
        }
        Err(crate::staff::accounts::StaffError::Store(e)) => Err(AppError::Internal(e.into())),
        Err(e) => Err(AppError::BadRequest(e.to_string())),
    }
}
