//! 危险提醒 in the console (`/staff/alerts`): the open danger alerts, each
//! with its kinds, times, channel and a link to the conversation at the
//! turn; editors and admins mark one handled with a note (CSRF-checked,
//! audited). The open ones also head the dashboard and 研判预警 (`banner`).

use super::accounts::Role;
use super::audit;
use super::web::{bad_csrf, csrf_ok, require, time_text};
use crate::alerts::{self, Alert, HandleError, kind_name};
use crate::app::AppState;
use crate::app::error::FormBody;
use crate::app::html::escape;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::fmt::Write as _;

/// Handled alerts the page lists under the open ones.
const HANDLED_SHOWN: usize = 20;

fn kinds(a: &Alert) -> String {
    a.kinds.iter().map(|k| kind_name(k)).collect::<Vec<_>>().join("、")
}

/// The conversation, opened at the alert's first turn.
fn at_turn(a: &Alert) -> String {
    let q = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("channel", &a.channel)
        .append_pair("user", &a.user)
        .finish();
    format!(r#"<a href="/staff/transcript?{}&amp;at={}#t{}">对话</a>"#, escape(&q), a.opened, a.opened)
}

fn notice(a: &Alert) -> &'static str {
    match &a.notice {
        Some(n) if n.sent_at.is_some() => "已推送值班群",
        Some(n) if n.attempts > 0 => "推送失败，稍后重试",
        _ => "",
    }
}

fn row(a: &Alert, form: Option<&str>) -> String {
    let mut r = format!(
        r#"<tr class="alert"><td>{}</td><td>{}</td><td class="err">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"#,
        time_text(a.opened),
        time_text(a.last),
        escape(&kinds(a)),
        escape(crate::alerts::webhook::channel_name(&a.channel)),
        a.turns.len(),
        at_turn(a),
        notice(a)
    );
    match (&a.handled, form) {
        (Some(h), _) => {
            let _ = write!(r, "<td>{}：{}（{}）</td>", escape(&h.by), escape(&h.note), time_text(h.at));
        }
        (None, Some(csrf)) => {
            let _ = write!(
                r,
                r#"<td><form method="post" action="/staff/alerts/handle"><input type="hidden" name="csrf" value="{}"><input type="hidden" name="id" value="{}"><label>处理情况 <input name="note" required maxlength="500" placeholder="如：已电话联系、已转派出所"></label> <button>标记已处理</button></form></td>"#,
                escape(csrf),
                escape(&a.id)
            );
        }
        (None, None) => r.push_str("<td>未处理</td>"),
    }
    r.push_str("</tr>");
    r
}

/// The alerts as a table, or `empty` when there are none.
fn table(b: &mut String, alerts: &[Alert], form: Option<&str>, empty: &str) {
    if alerts.is_empty() {
        let _ = write!(b, "<p>{empty}</p>");
        return;
    }
    b.push_str("<table>");
    b.push_str(HEAD);
    for a in alerts {
        b.push_str(&row(a, form));
    }
    b.push_str("</table>");
}

const HEAD: &str =
    "<tr><th>开始</th><th>最近</th><th>类型</th><th>渠道</th><th>次数</th><th>记录</th><th>推送</th><th>处理</th></tr>";

pub async fn page(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let s = match require(&app, &headers, Role::Viewer).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let store = &*app.bot.store;
    let (Ok(open), Ok(done)) = (alerts::open(store).await, alerts::handled(store, HANDLED_SHOWN).await) else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "读取记录失败").into_response();
    };
    let form = (s.role >= Role::Editor).then_some(s.csrf.as_str());
    let mut b = format!(
        r#"<p class="muted">有人在对话中说到自伤自杀、正在遭受暴力、扬言伤害他人或他人有危险时，机器人先给出求助电话，并在这里提醒。处理后请写明做了什么；同一对话之后再出现危险，会重新提醒。</p><h2>未处理（{} 条）</h2>"#,
        open.len()
    );
    table(&mut b, &open, form, "没有未处理的危险提醒。");
    b.push_str("<h2>最近处理的</h2>");
    table(&mut b, &done, None, "还没有。");
    super::web::page("危险提醒", Some(&s), &b)
}

#[derive(Debug, Deserialize)]
pub struct HandleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    note: String,
}

pub async fn handle(State(app): State<AppState>, headers: HeaderMap, FormBody(f): FormBody<HandleForm>) -> Response {
    let s = match require(&app, &headers, Role::Editor).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !csrf_ok(&s, &f.csrf) {
        return bad_csrf();
    }
    if f.id.len() > 200 || !f.id.starts_with("a:") || f.id.chars().any(char::is_control) {
        return (StatusCode::BAD_REQUEST, "没有这条提醒").into_response();
    }
    let note: String = f.note.chars().filter(|c| !c.is_control()).collect();
    let store = &*app.bot.store;
    let now = (app.clock)();
    match alerts::handle(store, &f.id, &s.name, &note, now).await {
        Ok(a) => {
            let detail = format!("{} {}：{}", a.id, kinds(&a), note.trim());
            let _ = audit::record(store, now, &s.name, "handle_alert", &detail).await;
            Redirect::to("/staff/alerts").into_response()
        }
        Err(HandleError::NoNote) => (StatusCode::BAD_REQUEST, "请写明处理情况").into_response(),
        Err(HandleError::Missing) => (StatusCode::NOT_FOUND, "没有这条提醒").into_response(),
        Err(HandleError::Handled) => Redirect::to("/staff/alerts").into_response(),
        Err(HandleError::Store(e)) => {
            tracing::error!(error = %e, "handling an alert failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "保存失败").into_response()
        }
    }
}

/// The open alerts, for the top of the dashboard and of 研判预警 ("" when
/// there are none or they cannot be read).
pub async fn banner(app: &AppState) -> String {
    let Ok(open) = alerts::open(&*app.bot.store).await else { return String::new() };
    if open.is_empty() {
        return String::new();
    }
    let mut b = format!(
        r#"<div class="banner alerts" role="alert" style="border: 2px solid #b42318; padding: 6px 10px; margin-bottom: 10px;"><b class="err">危险提醒：{} 条未处理</b> · <a href="/staff/alerts">查看并处理</a>"#,
        open.len()
    );
    for a in open.iter().take(5) {
        let _ = write!(
            b,
            r#"<br><span class="err">{} {}</span> · {} · {}"#,
            time_text(a.last),
            escape(&kinds(a)),
            escape(crate::alerts::webhook::channel_name(&a.channel)),
            at_turn(a)
        );
    }
    b.push_str("</div>");
    b
}
