//! Admin pages: accounts (add, change role, delete) and retention (what
//! would be purged, purge now; a scheduled purge runs hourly).

use super::accounts::{self, Role};
use super::audit;
use super::web::{Select, Staff, bad_csrf, csrf_ok, error_page, render, require, time_text};
use crate::app::AppState;
use crate::app::error::{FormBody, Params};
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "staff/users.html")]
struct UsersPage<'a> {
    title: &'a str,
    staff: Option<&'a Staff>,
    csrf: &'a str,
    error: String,
    done: String,
    users: Vec<UserRow>,
    new_name: String,
    new_role: Select,
    min_password: usize,
    is_admin_reload: bool,
}

struct UserRow {
    name: String,
    roles: Select,
    created: String,
    failures: u32,
    wait: i64,
    is_self: bool,
}

fn role_select(current: Role) -> Select {
    let roles = [Role::Viewer, Role::Editor, Role::Admin].map(|r| (r.as_str().to_string(), r.name().to_string()));
    Select::new("role", current.as_str(), roles)
}

/// The users page, with the outcome of a change (`done`) or its error.
async fn users_page(app: &AppState, s: &Staff, done: String, error: String, new_name: &str) -> Response {
    let now = (app.clock)();
    let list = accounts::list(&*app.bot.store).await.unwrap_or_default();
    let mut users = Vec::new();
    for a in &list {
        let (failures, wait) = match accounts::name_failures(&*app.bot.store, &a.name, now).await {
            Ok((f, until)) => (f.count, until.saturating_sub(now).max(0)),
            Err(_) => (0, 0),
        };
        users.push(UserRow {
            name: a.name.clone(),
            roles: role_select(a.role),
            created: time_text(a.created),
            failures,
            wait,
            is_self: a.name == s.name,
        });
    }
    let status = if error.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let page = UsersPage {
        title: "用户",
        staff: Some(s),
        csrf: &s.csrf,
        error,
        done,
        users,
        new_name: new_name.to_string(),
        new_role: role_select(Role::Viewer),
        min_password: accounts::MIN_PASSWORD_CHARS,
        is_admin_reload: true,
    };
    render(&page, status)
}

#[derive(Debug, Deserialize)]
pub struct Done {
    #[serde(default)]
    done: String,
}

pub async fn users(State(app): State<AppState>, headers: HeaderMap, Params(d): Params<Done>) -> Response {
    let s = match require(&app, &headers, Role::Admin).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let done = match d.done.as_str() {
        "" => "",
        "password" => "已保存：新密码已生效，该账号的登录失败记录已清除。",
        "unlock" => "已解除：该账号可以立即登录。",
        "reload" => "已重新加载：新的对话、FAQ 和机构名录已生效。",
        _ => "已保存。",
    };
    users_page(&app, &s, done.to_string(), String::new(), "").await
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
        "password" => match accounts::set_password(store, &f.name, &f.password).await {
            Ok(()) => Ok(format!("set_password {}", f.name)),
            Err(e) => Err(e.to_string()),
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
            let done = match f.action.as_str() {
                "password" | "unlock" => f.action.as_str(),
                _ => "saved",
            };
            Redirect::to(&format!("/staff/users?done={done}")).into_response()
        }
        Err(e) => users_page(&app, &s, String::new(), e, if f.action == "add" { &f.name } else { "" }).await,
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
    let work = async move { crate::analysis::keep::fold_complete_days(&*store, now).await.map_err(|e| e.to_string()) };
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
                let detail = format!("清除 {} 之前的 {n} 条", time_text(cut));
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

#[derive(Template)]
#[template(path = "staff/retention.html")]
struct RetentionPage<'a> {
    title: &'a str,
    staff: Option<&'a Staff>,
    csrf: &'a str,
    days: i64,
    cut: Option<Cut>,
}

struct Cut {
    count: usize,
    before: String,
}

pub async fn retention(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let s = match require(&app, &headers, Role::Admin).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let now = (app.clock)();
    let cut = match cutoff(&app, now) {
        None => None,
        Some(cut) => Some(Cut { count: count_before(&app, cut).await, before: time_text(cut) }),
    };
    let page = RetentionPage { title: "保留期限", staff: Some(&s), csrf: &s.csrf, days: app.retention_days, cut };
    render(&page, StatusCode::OK)
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

/// The content reload, for editors and admins (review E5: editors who
/// changed content could not make it live): validated first; a broken edit
/// is refused with its errors and the content in use stays.
pub async fn reload(
    State(app): State<AppState>,
    headers: HeaderMap,
    FormBody(f): FormBody<super::web::CsrfForm>,
) -> Response {
    let s = match require(&app, &headers, Role::Editor).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !csrf_ok(&s, &f.csrf) {
        return bad_csrf();
    }
    let now = (app.clock)();
    let laws = if app.laws_dir.is_some() { "，引用的法条也已核对" } else { "" };
    match crate::app::reload::reload(&app).await {
        Ok(r) => {
            let detail = format!("{} 个节点，{} 条问答", r.nodes, r.faq);
            let _ = audit::record(&*app.bot.store, now, &s.name, "reload", &detail).await;
            if s.role >= Role::Admin {
                return Redirect::to("/staff/users?done=reload").into_response();
            }
            let text =
                format!("已重新加载：新的对话、FAQ 和机构名录已生效（{} 个节点、{} 条问答{laws}）。", r.nodes, r.faq);
            super::web::message_page("重新加载", Some(&s), &text, Some("/staff/unanswered"))
        }
        Err(refused) => {
            let detail = format!("未加载：{} 处错误", refused.errors.len());
            let _ = audit::record(&*app.bot.store, now, &s.name, "reload", &detail).await;
            let error = format!(
                "内容有 {} 处错误，没有加载，继续使用现在的内容：\n{}",
                refused.errors.len(),
                refused.errors.join("\n")
            );
            if s.role >= Role::Admin {
                return users_page(&app, &s, String::new(), error, "").await;
            }
            error_page("重新加载", Some(&s), &error, Some("/staff/unanswered"), StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}
