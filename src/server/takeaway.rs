//! "带走这条指引": a read-only, printable page with the channel card the
//! person reached (channel, contact, deadline, what to bring, legal basis),
//! behind an unguessable link that expires (`[kiosk] takeaway_hours`).
//! The card is copied into the ticket, so the page does not change when the
//! conversation goes on, and no session token is exposed.

use super::kiosk::{Link, SessionRef, body, existing};
use crate::app::AppState;
use crate::app::error::AppError;
use crate::app::html::phoned;
use crate::engine::reply::Card;
use askama::Template;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub const TAKEAWAY: &str = "takeaway";

pub async fn create(
    State(app): State<AppState>,
    headers: HeaderMap,
    req: Result<Json<SessionRef>, JsonRejection>,
) -> Result<Json<Link>, AppError> {
    let req = body(req)?;
    let session = existing(&app, &req.session).await?;
    let now = (app.clock)();
    let engine = app.bot.engine();
    let content = &engine.content;
    let ix = content.find(&session.node).ok_or(AppError::NotFound)?;
    let reply = crate::engine::render(content, ix, &session, now);
    let card = reply.card.ok_or_else(|| AppError::BadRequest("there is no channel card here to take away".into()))?;
    let expires = now + app.kiosk.takeaway_hours.max(1) * 3600;
    let data = serde_json::json!({ "card": card, "created": now, "deployment": content.directory.deployment });
    super::kiosk::issue(&app, &headers, TAKEAWAY, expires, data, "/g/").await.map(Json)
}

pub async fn page(State(app): State<AppState>, Path(ticket): Path<String>) -> Response {
    let found =
        if crate::app::is_token(&ticket) { app.bot.store.get_ticket(&ticket, (app.clock)()).await } else { Ok(None) };
    let (status, html) = match found {
        Ok(Some(t)) if t.kind == TAKEAWAY => match serde_json::from_value::<Card>(t.data["card"].clone()) {
            Ok(card) => {
                let deployment = t.data["deployment"].as_str().unwrap_or_default();
                (StatusCode::OK, render(&card, deployment, t.expires))
            }
            Err(_) => (StatusCode::NOT_FOUND, gone()),
        },
        Ok(_) => (StatusCode::NOT_FOUND, gone()),
        Err(e) => {
            tracing::error!(error = %e, "reading a take-away link failed");
            (StatusCode::INTERNAL_SERVER_ERROR, unavailable())
        }
    };
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:",
            ),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        html,
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "public/takeaway.html")]
struct Page {
    title: String,
    card: Option<CardView>,
    message: Vec<&'static str>,
    /// A link to open the guide again (an expired or unknown link).
    reopen: bool,
}

struct CardView {
    channel: String,
    deployment: String,
    until: String,
    sections: Vec<Section>,
    notice: String,
}

/// A heading and its text (one paragraph) or list; phone numbers are links.
struct Section {
    title: &'static str,
    items: Vec<askama::filters::Safe<String>>,
    list: bool,
    deadline: bool,
}

fn html(p: &Page) -> String {
    p.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "take-away page failed to render");
        "页面生成失败".to_string()
    })
}

fn gone() -> String {
    html(&Page {
        title: "链接已失效".into(),
        card: None,
        message: vec![
            "这条指引的链接不存在或已经过期。",
            "可以重新打开依法信访指引查询，或拨打 12348 公共法律服务热线。",
        ],
        reopen: true,
    })
}

fn unavailable() -> String {
    html(&Page {
        title: "暂时打不开".into(),
        card: None,
        message: vec!["服务器暂时出了问题，请稍后再试，或拨打 12348 公共法律服务热线。"],
        reopen: false,
    })
}

fn render(c: &Card, deployment: &str, expires: i64) -> String {
    let until = crate::engine::dates::today(expires).map(|d| d.to_string()).unwrap_or_default();
    let mut sections = Vec::new();
    // The order of the chat's card: channel and deadline, how to reach it,
    // what to bring, the local office, then why and the legal basis.
    let mut add = |title: &'static str, items: &[String], list: bool| {
        let items: Vec<_> = items.iter().filter(|i| !i.is_empty()).map(|i| phoned(i)).collect();
        if !items.is_empty() {
            sections.push(Section { title, items, list, deadline: false });
        }
    };
    let one = |s: Option<&str>| s.map(str::to_string).into_iter().collect::<Vec<_>>();
    add("问题类别", &one(c.category_name.as_deref()), false);
    if let Some(d) = &c.deadline {
        let mut t = d.text.clone();
        if let Some(status) = &d.status {
            t.push_str(&format!("\n{status}（请以有关机关的认定为准）"));
        }
        add("期限", &[t], false);
    }
    add("怎么找", std::slice::from_ref(&c.how), false);
    add("电话", &one(c.hotline.as_deref()), false);
    add("网站", &one(c.website.as_deref()), false);
    add("带上", &c.bring, true);
    let offices: Vec<String> = c.local.iter().map(crate::channels::text::office_line).collect();
    add("本地办理地点", &offices, true);
    add("为什么找这里", std::slice::from_ref(&c.why), false);
    add("法律依据", &c.cites, true);
    let then: Vec<String> = c.then.iter().map(|t| t.name.clone()).collect();
    add("其他途径", &then, true);
    add("免费帮助", &c.free_help, true);
    if let Some(s) = sections.iter_mut().find(|s| s.title == "期限") {
        s.deadline = true;
    }
    let view = CardView {
        channel: c.channel_name.clone(),
        deployment: deployment.to_string(),
        until,
        sections,
        notice: c.notice.clone(),
    };
    html(&Page { title: format!("指引：{}", c.channel_name), card: Some(view), message: Vec::new(), reopen: false })
}
