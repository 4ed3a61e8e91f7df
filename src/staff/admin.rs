//! Admin pages: accounts (add, change role, delete) and retention (what
//! would be purged, purge now; a scheduled purge runs hourly).

use super::accounts::{self, Role};
use super::audit;
use super::web::{bad_csrf, csrf_ok, page, require, time_text};
use crate::app::AppState;
use crate::app::error::FormBody;
use crate::app::html::escape;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::fmt::Write as _;

pub async fn users(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let s = match require(&app, &headers, Role::Admin).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let now = (app.clock)();
    let list = accounts::list(&*app.bot.store).await.unwrap_or_default();
    let csrf = escape(&s.csrf);
    let mut b = String::from("<table><tr><th>用户名</th><th>角色</th><th>创建时间</th><th>状态</th><th></th></tr>");
    for a in &list {
        let state = match accounts::name_failures(&*app.bot.store, &a.name, now).await {
            Ok((f, until)) if f.count > 0 => {
                let wait = if until > now { format!("，需等 {} 秒", until - now) } else { String::new() };
                format!(
                    r#"登录失败 {} 次{wait} <form method="post" action="/staff/users" class="inline"><input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="action" value="unlock"><input type="hidden" name="name" value="{n}"><button>解除</button></form>"#,
                    f.count,
                    n = escape(&a.name)
                )
            }
            _ => "正常".to_string(),
        };
        let options: String = [Role::Viewer, Role::Editor, Role::Admin]
            .iter()
            .map(|r| format!("<option{}>{}</option>", if *r == a.role { " selected" } else { "" }, r.as_str()))
            .collect();
        let delete = if a.name == s.name {
            String::new()
        } else {
            format!(
                r#"<form method="post" action="/staff/users" class="inline"><input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="action" value="delete"><input type="hidden" name="name" value="{n}"><button>删除</button></form>"#,
                n = escape(&a.name)
            )
        };
        let _ = write!(
            b,
            r#"<tr><td>{n}</td><td><form method="post" action="/staff/users" class="inline"><input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="action" value="role"><input type="hidden" name="name" value="{n}"><select name="role">{options}</select><button>改角色</button></form></td><td>{}</td><td>{state}</td><td>{delete}</td></tr>"#,
            time_text(a.created),
            n = escape(&a.name),
        );
    }
    b.push_str("</table>");
    let _ = write!(
        b,
        r#"<h2>新建账号</h2><form method="post" action="/staff/users"><input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="action" value="add">
<input name="name" placeholder="用户名（小写字母、数字）" required> <select name="role"><option>viewer</option><option>editor</option><option>admin</option></select>
<input name="password" type="password" placeholder="初始密码（至少 {} 位）" autocomplete="new-password" required> <button>新建</button></form>"#,
        accounts::MIN_PASSWORD_CHARS
    );
    page("用户", Some(&s), &b)
}

#[derive(Debug, Deserialize)]
pub struct UserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

pub async fn change_user(State(app): State<AppState>, headers: HeaderMap, FormBody(f): FormBody<UserForm>) -> Response {
    let s = match require(&app, &headers, Role::Admin).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !csrf_ok(&s, &f.csrf) {
        return bad_csrf();
    }
    let store = &*app.bot.store;
    let now = (app.clock)();
    let result: Result<String, String> = match f.action.as_str() {
        "add" => match f.role.parse::<Role>() {
            Ok(role) => accounts::add(store, &f.name, role, &f.password, now)
                .await
                .map(|()| format!("add_user {} as {}", f.name, role.as_str()))
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        },
        "role" => match (f.role.parse::<Role>(), accounts::get(store, &f.name).await) {
            (Ok(role), Ok(Some((mut a, raw)))) => {
                a.role = role;
                let bytes = serde_json::to_vec(&a).unwrap_or_default();
                match store.record_cas("staff", &format!("u:{}", a.name), Some(&raw), Some(&bytes)).await {
                    Ok(true) => Ok(format!("set_role {} to {}", a.name, role.as_str())),
                    _ => Err("账号刚被别人改过，请刷新后重试".into()),
                }
            }
            _ => Err("没有这个账号或角色不对".into()),
        },
        "unlock" => match accounts::clear_failures(store, &f.name).await {
            Ok(()) => Ok(format!("unlock_user {}", f.name)),
            Err(_) => Err("解除失败，请重试".into()),
        },
        "delete" if f.name != s.name => match accounts::get(store, &f.name).await {
            Ok(Some((_, raw))) => match store.record_cas("staff", &format!("u:{}", f.name), Some(&raw), None).await {
                Ok(true) => Ok(format!("delete_user {}", f.name)),
                _ => Err("删除失败，请重试".into()),
            },
            _ => Err("没有这个账号".into()),
        },
        _ => Err("不支持的操作".into()),
    };
    match result {
        Ok(detail) => {
            let action = detail.split(' ').next().unwrap_or("user").to_string();
            let _ = audit::record(store, now, &s.name, &action, &detail).await;
            Redirect::to("/staff/users").into_response()
        }
        Err(e) => {
            let mut r = page(
                "用户",
                Some(&s),
                &format!(r#"<p class="err">{}</p><p><a href="/staff/users">返回</a></p>"#, escape(&e)),
            );
            *r.status_mut() = axum::http::StatusCode::BAD_REQUEST;
            r
        }
    }
}

/// Cutoff of the retention policy at `now` (None: keep everything).
fn cutoff(app: &AppState, now: i64) -> Option<i64> {
    (app.retention_days > 0).then(|| now - app.retention_days * 86_400)
}

async fn count_before(app: &AppState, cut: i64) -> usize {
    let mut n = 0;
    let mut cursor = None;
    loop {
        let Ok(page) = app.bot.store.log_range(0, cut, cursor, 10_000).await else { return n };
        n += page.len();
        cursor = page.last().map(|e| (e.record.ts, e.id));
        if page.len() < 10_000 {
            return n;
        }
    }
}

/// Folds every complete day of the log into its daily record (the year's
/// figures), on the heavy-view pool: the first run after an upgrade reads
/// the whole log.
pub async fn keep_daily_figures(app: &AppState, now: i64) -> Result<usize, String> {
    let store = app.bot.store.clone();
    let work = async move { crate::cli::report::fold_complete_days(&*store, now).await.map_err(|e| e.to_string()) };
    app.heavy.run("", work).await.unwrap_or_else(|| Err("the heavy-view pool is gone".into()))
}

/// Purges entries older than the retention period; audited.
pub async fn purge(app: &AppState, who: &str) -> usize {
    let now = (app.clock)();
    let Some(cut) = cutoff(app, now) else { return 0 };
    // The year's figures first: a day's aggregate is kept before its messages go.
    if let Err(e) = keep_daily_figures(app, now).await {
        tracing::error!(error = %e, "daily figures could not be kept: retention purge postponed");
        return 0;
    }
    match app.bot.store.remove_log_before(cut).await {
        Ok(n) => {
            if n > 0 || who != "(scheduled)" {
                let detail = format!("{n} entries before {}", time_text(cut));
                let _ = audit::record(&*app.bot.store, now, who, "purge", &detail).await;
                tracing::info!(removed = n, "query log retention purge");
            }
            n
        }
        Err(e) => {
            tracing::error!(error = %e, "retention purge failed");
            0
        }
    }
}

pub async fn retention(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let s = match require(&app, &headers, Role::Admin).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let now = (app.clock)();
    let b = match cutoff(&app, now) {
        None => "<p>保留期限为 0：记录不会被自动清除（<code>[staff] retention_days</code>）。</p>".to_string(),
        Some(cut) => {
            let n = count_before(&app, cut).await;
            format!(
                r#"<p>保留期限：{} 天（<code>[staff] retention_days</code>）。每小时自动清除一次早于期限的记录。</p>
<p>现在会被清除的：<b id="purge-count">{n}</b> 条，时间早于 {}。</p>
<form method="post" action="/staff/retention"><input type="hidden" name="csrf" value="{}"><button>立即清除这 {n} 条</button></form>"#,
                app.retention_days,
                time_text(cut),
                escape(&s.csrf)
            )
        }
    };
    page("保留期限", Some(&s), &b)
}

pub async fn purge_now(
    State(app): State<AppState>,
    headers: HeaderMap,
    FormBody(f): FormBody<super::web::CsrfForm>,
) -> Response {
    let s = match require(&app, &headers, Role::Admin).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !csrf_ok(&s, &f.csrf) {
        return bad_csrf();
    }
    purge(&app, &s.name).await;
    Redirect::to("/staff/retention").into_response()
}
