//! "带走这条指引": a read-only, printable page with the channel card the
//! person reached (channel, contact, deadline, what to bring, legal basis),
//! behind an unguessable link that expires (`[kiosk] takeaway_hours`).
//! The card is copied into the ticket, so the page does not change when the
//! conversation goes on, and no session token is exposed.

use super::kiosk::{Link, SessionRef, body, existing};
use crate::app::AppState;
use crate::app::client::ClientIp;
use crate::app::error::AppError;
use crate::app::html::{escape, escape_with_phones};
use crate::engine::reply::Card;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::fmt::Write as _;

pub const TAKEAWAY: &str = "takeaway";

pub async fn create(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    req: Result<Json<SessionRef>, JsonRejection>,
) -> Result<Json<Link>, AppError> {
    let req = body(req)?;
    app.limits.check_ip(ip).map_err(|s| AppError::RateLimited { retry_after_secs: s })?;
    let session = existing(&app, &req.session).await?;
    let now = (app.clock)();
    let content = &app.bot.engine.content;
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
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                shell("暂时打不开", "<p>服务器暂时出了问题，请稍后再试，或拨打 12348 公共法律服务热线。</p>"),
            )
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

fn gone() -> String {
    shell(
        "链接已失效",
        "<p>这条指引的链接不存在或已经过期。</p><p>可以重新打开依法信访指引查询，或拨打 12348 公共法律服务热线。</p>",
    )
}

fn shell(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
<title>{title}</title><style>
@page {{ size: A4; margin: 16mm; }}
body {{ font-family: "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; max-width: 720px; margin: 0 auto; padding: 16px; color: #111; line-height: 1.6; font-size: 16px; }}
h1 {{ font-size: 22px; color: #1d4f91; margin: 0 0 4px; }}
h2 {{ font-size: 16px; margin: 14px 0 2px; }}
.meta, .notice {{ color: #555; font-size: 13px; }}
.deadline {{ background: #fff4e5; padding: 6px 8px; border-radius: 6px; }}
ul {{ margin: 2px 0 0 1.2em; padding: 0; }}
button {{ margin-top: 16px; font-size: 16px; padding: 8px 16px; }}
@media print {{ button {{ display: none; }} body {{ padding: 0; font-size: 12pt; }} }}
</style></head><body>{body}</body></html>"#
    )
}

fn render(c: &Card, deployment: &str, expires: i64) -> String {
    let mut b = String::new();
    let _ = write!(b, "<h1>建议途径：{}</h1>", escape(&c.channel_name));
    let until = crate::engine::dates::today(expires).map(|d| d.to_string()).unwrap_or_default();
    let _ = write!(b, r#"<p class="meta">{} · 依法信访指引 · 本页有效至 {}</p>"#, escape(deployment), escape(&until));
    // The order of the chat's card: channel and deadline, how to reach it,
    // what to bring, the local office, then why and the legal basis.
    let sec = |b: &mut String, title: &str, text: &str| {
        if !text.is_empty() {
            let _ = write!(b, "<h2>{}</h2><p>{}</p>", escape(title), escape_with_phones(text));
        }
    };
    let list = |b: &mut String, title: &str, items: &[String]| {
        if !items.is_empty() {
            let _ = write!(b, "<h2>{}</h2><ul>", escape(title));
            for i in items {
                let _ = write!(b, "<li>{}</li>", escape_with_phones(i));
            }
            b.push_str("</ul>");
        }
    };
    sec(&mut b, "问题类别", c.category_name.as_deref().unwrap_or_default());
    if let Some(d) = &c.deadline {
        let mut t = d.text.clone();
        if let Some(status) = &d.status {
            t.push_str(&format!("\n{status}（请以有关机关的认定为准）"));
        }
        let _ = write!(b, r#"<h2>期限</h2><p class="deadline">{}</p>"#, escape_with_phones(&t));
    }
    sec(&mut b, "怎么找", &c.how);
    sec(&mut b, "电话", c.hotline.as_deref().unwrap_or_default());
    sec(&mut b, "网站", c.website.as_deref().unwrap_or_default());
    list(&mut b, "带上", &c.bring);
    let offices: Vec<String> = c.local.iter().map(crate::channels::text::office_line).collect();
    list(&mut b, "本地办理地点", &offices);
    sec(&mut b, "为什么找这里", &c.why);
    list(&mut b, "法律依据", &c.cites);
    let then: Vec<String> = c.then.iter().map(|t| t.name.clone()).collect();
    list(&mut b, "其他途径", &then);
    list(&mut b, "免费帮助", &c.free_help);
    let _ = write!(b, r#"<p class="notice">{}</p>"#, escape(&c.notice));
    b.push_str(r#"<button type="button" onclick="window.print()">打印这页</button>"#);
    shell(&format!("指引：{}", escape(&c.channel_name)), &b)
}
