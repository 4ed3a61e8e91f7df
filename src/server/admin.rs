//! Operator endpoints for the command line (`stats`, `staff add` ask here
//! when the server holds the data dir).
//!
//! Authority: the token file `admin.token` in the data dir, created at the
//! first start with mode 0600 (only the server's user can read it), sent by
//! the CLI as `Authorization: Bearer …`. Whoever can read the data dir can
//! already read everything in it; nobody else can call these endpoints,
//! whatever address a request seems to come from (behind a reverse proxy
//! on the same host every client is loopback). The address the server
//! listens on is written next to it (`server.addr`) so the CLI finds the
//! server that holds a data dir.

use crate::app::AppState;
use crate::app::error::AppError;
use axum::Json;
use axum::extract::{Query as UrlQuery, State};
use axum::http::{HeaderMap, header};
use serde::Deserialize;
use std::io::Write as _;

/// The request carries the data dir's admin token.
fn authorize(app: &AppState, headers: &HeaderMap) -> Result<(), AppError> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match bearer {
        Some(t) if crate::app::same_secret(t, app.admin_token.expose()) => Ok(()),
        _ => Err(AppError::Forbidden("only for the command line of this server's data dir".into())),
    }
}

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
    headers: HeaderMap,
    params: Result<UrlQuery<StatsParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<crate::stats::Report>, AppError> {
    authorize(&app, &headers)?;
    let UrlQuery(p) = params?;
    let q = crate::stats::query(p.src.as_deref(), &p.from, &p.to).map_err(AppError::BadRequest)?;
    let report = crate::stats::from_store(&*app.bot.store, &q).await.map_err(|e| AppError::Internal(e.into()))?;
    Ok(Json(report))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    year: i32,
}

/// `report --year` while the server holds the data dir.
pub async fn report(
    State(app): State<AppState>,
    headers: HeaderMap,
    params: Result<UrlQuery<ReportParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<crate::analysis::year::YearReport>, AppError> {
    authorize(&app, &headers)?;
    let UrlQuery(p) = params?;
    let year = crate::analysis::keep::check_year(p.year).map_err(AppError::BadRequest)?;
    crate::staff::report::year_report(&app, year).await.map(Json).map_err(|e| AppError::Internal(anyhow::anyhow!(e)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewStaff {
    pub name: String,
    pub role: String,
    pub password: String,
}

/// `staff add` while the server holds the data dir.
pub async fn add_staff(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<NewStaff>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<serde_json::Value>, AppError> {
    authorize(&app, &headers)?;
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
                "（命令行）",
                "add_user",
                &format!("{}（{}）", n.name, role.name()),
            )
            .await;
            Ok(Json(serde_json::json!({"ok": true})))
        }
        Err(crate::staff::accounts::StaffError::Store(e)) => Err(AppError::Internal(e.into())),
        Err(e) => Err(AppError::BadRequest(e.to_string())),
    }
}

/// `staff list` while the server holds the data dir.
pub async fn list_staff(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<crate::staff::manage::Listed>>, AppError> {
    authorize(&app, &headers)?;
    let now = (app.clock)();
    crate::staff::manage::listed(&*app.bot.store, now).await.map(Json).map_err(|e| AppError::Internal(e.into()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffChange {
    pub name: String,
    #[serde(default)]
    pub password: Option<String>,
}

/// `staff passwd NAME` while the server holds the data dir.
pub async fn staff_password(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<StaffChange>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<serde_json::Value>, AppError> {
    authorize(&app, &headers)?;
    let c = super::kiosk::body(body)?;
    let password = c.password.ok_or_else(|| AppError::BadRequest("`password` is missing".into()))?;
    let change = crate::staff::manage::Change::Password(password);
    crate::staff::manage::apply(&*app.bot.store, &c.name, &change, (app.clock)()).await.map_err(staff_error)?;
    Ok(Json(serde_json::json!({"ok": true})))
}

/// `staff unlock NAME` while the server holds the data dir.
pub async fn staff_unlock(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<StaffChange>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<serde_json::Value>, AppError> {
    authorize(&app, &headers)?;
    let c = super::kiosk::body(body)?;
    let change = crate::staff::manage::Change::Unlock;
    crate::staff::manage::apply(&*app.bot.store, &c.name, &change, (app.clock)()).await.map_err(staff_error)?;
    Ok(Json(serde_json::json!({"ok": true})))
}

fn staff_error(e: crate::staff::accounts::StaffError) -> AppError {
    match e {
        crate::staff::accounts::StaffError::Store(e) => AppError::Internal(e.into()),
        e => AppError::BadRequest(e.to_string()),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Who {
    channel: String,
    user: String,
}

/// One conversation's log and where it stands, for operators' checks (the
/// crash benchmark, several instances): `GET /admin/conversation?channel=&user=`.
pub async fn conversation(
    State(app): State<AppState>,
    headers: HeaderMap,
    params: Result<UrlQuery<Who>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<serde_json::Value>, AppError> {
    authorize(&app, &headers)?;
    let UrlQuery(w) = params?;
    let key = crate::engine::session::SessionKey::parse(&w.channel, &w.user)
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    let store = &app.bot.store;
    let log = store.log_for_session(&key, 10_000).await?;
    let session = store.load(&key).await?;
    let turns: Vec<serde_json::Value> = log
        .iter()
        .map(|e| {
            let r = &e.record;
            serde_json::json!({"ts": r.ts, "id": e.id, "input_kind": r.input_kind, "input": r.input,
                "node_from": r.node_from, "node": r.node})
        })
        .collect();
    Ok(Json(serde_json::json!({
        "turns": turns,
        "node": session.as_ref().map(|s| s.node.clone()),
        "version": session.as_ref().map(|s| s.version),
    })))
}

/// `backup` while the server holds the data dir: the backup file streamed
/// as it is written (`store::backup`); its checksum at the end tells the
/// reader it is whole, so a copy cut by an error is refused, not kept.
pub async fn backup(State(app): State<AppState>, headers: HeaderMap) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    authorize(&app, &headers)?;
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<axum::body::Bytes>>(16);
    let store = app.bot.store.clone();
    let now = (app.clock)();
    tokio::task::spawn_blocking(move || {
        let mut out = std::io::BufWriter::with_capacity(256 * 1024, ToChannel(tx.clone()));
        let written = store.backup(&mut out, now);
        let flushed = out.flush();
        match (written, flushed) {
            (Ok(sum), Ok(())) => tracing::info!(?sum, "backup written"),
            (Err(e), _) => {
                tracing::warn!(error = %e, "backup failed");
                let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
            }
            (_, Err(e)) => tracing::warn!(error = %e, "backup not delivered"),
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|chunk| (chunk, rx)) });
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], axum::body::Body::from_stream(body)).into_response())
}

/// A blocking writer into the response body.
struct ToChannel(tokio::sync::mpsc::Sender<std::io::Result<axum::body::Bytes>>);

impl std::io::Write for ToChannel {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .blocking_send(Ok(axum::body::Bytes::copy_from_slice(buf)))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the reader went away"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
