//! The staff console at `/staff`: login (CSRF-protected form, HttpOnly
//! SameSite=Strict cookie, idle timeout, throttling), the query list with
//! filters, search and cursor pagination, a conversation's transcript, CSV
//! export and the audit log. Every piece of stored text is escaped.

use super::accounts::{self, LoginError, Role};
use super::audit;
use crate::app::AppState;
use crate::app::client::ClientIp;
use crate::app::error::{FormBody, Params};
use crate::app::html::escape;
use crate::app::new_token;
use crate::engine::reply::LogRecord;
use crate::store::{LogEntry, Store, Ticket};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::fmt::Write as _;

const COOKIE: &str = "xg_staff";
const LOGIN_COOKIE: &str = "xg_login";
const KIND: &str = "staff";
/// A console session ends after this long without a request.
pub const IDLE_SECS: i64 = 30 * 60;
const PAGE: usize = 50;
/// Records looked at per list request before offering "更早的记录".
const SCAN_LIMIT: usize = 20_000;

/// A logged-in staff member.
#[derive(Debug, Clone)]
pub struct Staff {
    pub name: String,
    pub role: Role,
    pub csrf: String,
    token: String,
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

/// Secure cookies when the console is reached over TLS (directly or behind a proxy).
fn secure(app: &AppState, headers: &HeaderMap) -> &'static str {
    let proxied = headers.get("x-forwarded-proto").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    if proxied || app.public_url.starts_with("https://") { "; Secure" } else { "" }
}

fn set_cookie(name: &str, value: &str, max_age: i64, secure: &str) -> HeaderValue {
    let v = format!("{name}={value}; Path=/staff; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The session behind the request's cookie, refreshed (idle timeout).
pub async fn current(app: &AppState, headers: &HeaderMap) -> Option<Staff> {
    let token = cookie(headers, COOKIE).filter(|t| crate::app::is_token(t))?;
    let now = (app.clock)();
    let store = &app.bot.store;
    let mut t = store.get_ticket(&format!("s:{token}"), now).await.ok()??;
    if t.kind != KIND {
        return None;
    }
    let name = t.data["name"].as_str()?.to_string();
    // The role is read from the account each time: a change applies at once.
    let (account, _) = accounts::get(&**store, &name).await.ok()??;
    let csrf = t.data["csrf"].as_str()?.to_string();
    if t.expires - now < IDLE_SECS - 60 {
        t.expires = now + IDLE_SECS;
        let _ = store.put_ticket(&format!("s:{token}"), &t).await;
    }
    Some(Staff { name, role: account.role, csrf, token })
}

pub(crate) fn page(title: &str, staff: Option<&Staff>, body: &str) -> Response {
    let nav = match staff {
        Some(s) => {
            let mut n = format!(
                r#"<nav><a href="/staff/queries">提问记录</a> <a href="/staff/unanswered">未解答的问题</a> <a href="/staff/dashboard">数据看板</a> <a href="/staff/warnings">研判预警</a> <a href="/staff/report">年度数据</a>{} <span class="who">{}（{}）</span>
<form method="post" action="/staff/logout" class="inline"><input type="hidden" name="csrf" value="{}"><button>退出</button></form></nav>"#,
                if s.role == Role::Admin {
                    r#" <a href="/staff/users">用户</a> <a href="/staff/retention">保留期限</a> <a href="/staff/audit">审计日志</a>"#
                } else {
                    ""
                },
                escape(&s.name),
                s.role.as_str(),
                escape(&s.csrf)
            );
            n.push('\n');
            n
        }
        None => String::new(),
    };
    let html = format!(
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{title} · 依法信访指引 工作台</title><style>
body {{ font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 0; color: #111; }}
header {{ background: #1d4f91; color: #fff; padding: 10px 16px; font-weight: 600; }}
nav {{ padding: 8px 16px; background: #eef2f7; display: flex; gap: 14px; align-items: center; flex-wrap: wrap; }}
main {{ padding: 12px 16px; }}
table {{ border-collapse: collapse; width: 100%; font-size: 14px; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 5px 6px; text-align: left; vertical-align: top; }}
td.text {{ max-width: 520px; word-break: break-all; white-space: pre-wrap; unicode-bidi: plaintext; }}
form.filters {{ display: flex; flex-wrap: wrap; gap: 8px; margin-bottom: 10px; }}
form.inline {{ display: inline; }} .who {{ margin-left: auto; }}
.err {{ color: #b42318; }} .muted {{ color: #666; font-size: 13px; }}
</style></head><body><header>依法信访指引 · 工作台</header>{nav}<main><h1>{title}</h1>{body}</main></body></html>"#,
        title = escape(title)
    );
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
            ),
            (header::X_FRAME_OPTIONS, "DENY"),
        ],
        html,
    )
        .into_response()
}

pub(crate) fn to_login() -> Response {
    Redirect::to("/staff/login").into_response()
}

pub(crate) fn forbidden(staff: &Staff) -> Response {
    let mut r = page("没有权限", Some(staff), "<p>您的角色不能打开这个页面。</p>");
    *r.status_mut() = StatusCode::FORBIDDEN;
    r
}

/// The logged-in staff member with at least `role`, or the response to send.
pub(crate) async fn require(app: &AppState, headers: &HeaderMap, role: Role) -> Result<Staff, Response> {
    let s = current(app, headers).await.ok_or_else(to_login)?;
    if s.role < role {
        return Err(forbidden(&s));
    }
    Ok(s)
}

/// A form's CSRF field against the session's token.
pub(crate) fn csrf_ok(s: &Staff, field: &str) -> bool {
    crate::channels::wechat::crypto::signature_matches(&s.csrf, field)
}

pub(crate) fn bad_csrf() -> Response {
    (StatusCode::FORBIDDEN, "bad csrf token").into_response()
}

pub async fn home() -> Redirect {
    Redirect::to("/staff/queries")
}

pub async fn login_form(State(app): State<AppState>, headers: HeaderMap) -> Response {
    login_page(&app, &headers, "").await
}

async fn login_page(app: &AppState, headers: &HeaderMap, error: &str) -> Response {
    // Double-submit token: the form's hidden field must equal this cookie.
    let csrf = new_token();
    let err = if error.is_empty() { String::new() } else { format!(r#"<p class="err">{}</p>"#, escape(error)) };
    let body = format!(
        r#"{err}<form method="post" action="/staff/login">
<p><label>用户名 <input name="username" autocomplete="username" required></label></p>
<p><label>密码 <input name="password" type="password" autocomplete="current-password" required></label></p>
<input type="hidden" name="csrf" value="{csrf}"><button type="submit">登录</button></form>"#
    );
    let mut r = page("登录", None, &body);
    r.headers_mut().append(header::SET_COOKIE, set_cookie(LOGIN_COOKIE, &csrf, 600, secure(app, headers)));
    if !error.is_empty() {
        *r.status_mut() = StatusCode::UNAUTHORIZED;
    }
    r
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

/// What every failed login is told.
pub const LOGIN_FAILED: &str = "用户名或密码不正确。连续失败后需稍等片刻才能再试。";

pub async fn login(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    FormBody(f): FormBody<LoginForm>,
) -> Response {
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !crate::channels::wechat::crypto::signature_matches(&expected, &f.csrf) {
        let mut r = login_page(&app, &headers, "页面已过期，请重新登录。").await;
        *r.status_mut() = StatusCode::FORBIDDEN;
        return r;
    }
    let now = (app.clock)();
    let store = &*app.bot.store;
    let name = f.username.trim().to_ascii_lowercase();
    if let Err(wait) = app.limits.check_login(ip) {
        tokio::time::sleep(app.limits.login_tarpit).await;
        let mut r = login_page(&app, &headers, "尝试过于频繁，请稍等片刻再试。").await;
        *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    match accounts::login(store, &name, &f.password, ip, now).await {
        Ok(a) => {
            let token = new_token();
            let csrf = new_token();
            let data = serde_json::json!({ "name": a.name, "csrf": csrf });
            let t = Ticket { kind: KIND.into(), expires: now + IDLE_SECS, data };
            if store.put_ticket(&format!("s:{token}"), &t).await.is_err() {
                return (StatusCode::SERVICE_UNAVAILABLE, "暂时无法登录，请稍后再试").into_response();
            }
            let _ = audit::record(store, now, &a.name, "login", "").await;
            let mut r = Redirect::to("/staff/queries").into_response();
            let sec = secure(&app, &headers);
            r.headers_mut().append(header::SET_COOKIE, set_cookie(COOKIE, &token, IDLE_SECS, sec));
            r.headers_mut().append(header::SET_COOKIE, set_cookie(LOGIN_COOKIE, "", 0, sec));
            r
        }
        // One answer for an unknown name, a wrong password and a wait
        // still running: none of them tells which names exist.
        Err(e @ (LoginError::Wrong | LoginError::Throttled { .. })) => {
            let action = if e == LoginError::Wrong { "login_failed" } else { "login_throttled" };
            if action == "login_throttled" {
                tokio::time::sleep(app.limits.login_tarpit).await;
            }
            let _ = audit::record(store, now, &name, action, &ip.to_string()).await;
            login_page(&app, &headers, LOGIN_FAILED).await
        }
        Err(LoginError::Store) => (StatusCode::SERVICE_UNAVAILABLE, "暂时无法登录，请稍后再试").into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

pub async fn logout(State(app): State<AppState>, headers: HeaderMap, FormBody(f): FormBody<CsrfForm>) -> Response {
    let Some(s) = current(&app, &headers).await else { return to_login() };
    if !csrf_ok(&s, &f.csrf) {
        return bad_csrf();
    }
    let now = (app.clock)();
    let _ = app.bot.store.take_ticket(&format!("s:{}", s.token), now).await;
    let _ = audit::record(&*app.bot.store, now, &s.name, "logout", "").await;
    let mut r = to_login();
    r.headers_mut().append(header::SET_COOKIE, set_cookie(COOKIE, "", 0, secure(&app, &headers)));
    r
}

/// Filters of the query list and the export.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct Filters {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub src: String,
    #[serde(default)]
    pub category: String,
    /// `unmatched`, `matched`, `low` (low confidence), `feedback`, `danger`
    /// (a message about danger or self-harm, to follow up) or empty.
    #[serde(default)]
    pub status: String,
    /// YYYY-MM-DD, China time, inclusive.
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    /// Cursor: `<ts>-<id>` of the last row of the previous page.
    #[serde(default)]
    pub before: String,
}

impl Filters {
    fn range(&self) -> (i64, i64) {
        let day = crate::stats::parse_day;
        let start = day(&self.from).map(|d| crate::stats::Query { src: None, from: d, to: d }.range().0).unwrap_or(0);
        let end =
            day(&self.to).map(|d| crate::stats::Query { src: None, from: d, to: d }.range().1).unwrap_or(i64::MAX);
        (start, end)
    }

    fn cursor(&self) -> Option<(i64, u64)> {
        let (ts, id) = self.before.split_once('-')?;
        Some((ts.parse().ok()?, id.parse().ok()?))
    }

    fn keeps(&self, r: &LogRecord) -> bool {
        let is = |want: &str, have: Option<&str>| want.is_empty() || have == Some(want);
        let status = match self.status.as_str() {
            "unmatched" => !r.matched && r.feedback.is_none(),
            "matched" => r.matched && r.feedback.is_none(),
            "low" => r.low_confidence,
            "feedback" => r.feedback.is_some(),
            "danger" => r.danger.is_some(),
            _ => !r.input_kind.starts_with("transfer"),
        };
        status
            && is(&self.channel, Some(&r.channel))
            && is(&self.src, r.source.as_deref())
            && is(&self.category, r.category.as_deref())
            && (self.q.trim().is_empty() || r.input.contains(self.q.trim()))
    }

    fn query_string(&self, before: &str) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("q", &self.q),
            ("channel", &self.channel),
            ("src", &self.src),
            ("category", &self.category),
            ("status", &self.status),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if !v.is_empty() {
                s.append_pair(k, v);
            }
        }
        if !before.is_empty() {
            s.append_pair("before", before);
        }
        s.finish()
    }
}

/// Matching entries newest first, at most `want`; also the cursor to go on
/// from when the scan stopped early (a page is full or `SCAN_LIMIT` reached).
pub async fn find(store: &dyn Store, f: &Filters, want: usize) -> Result<(Vec<LogEntry>, Option<(i64, u64)>), String> {
    let (start, end) = f.range();
    let mut cursor = f.cursor();
    let (mut out, mut scanned) = (Vec::new(), 0);
    loop {
        let batch = store.log_range_rev(start, end, cursor, 1000).await.map_err(|e| e.to_string())?;
        let done = batch.len() < 1000;
        for e in batch {
            scanned += 1;
            cursor = Some((e.record.ts, e.id));
            if f.keeps(&e.record) {
                out.push(e);
                if out.len() >= want {
                    return Ok((out, cursor));
                }
            }
        }
        if done {
            return Ok((out, None));
        }
        if scanned >= SCAN_LIMIT && want <= PAGE {
            return Ok((out, cursor));
        }
    }
}

/// A danger kind as staff read it.
pub(crate) fn danger_name(kind: Option<&str>) -> &'static str {
    match kind {
        Some("self_harm") => "自伤自杀",
        Some("violence") => "暴力",
        Some("fire") => "火灾、燃气",
        Some("medical") => "急病",
        _ => "其他",
    }
}

pub(crate) fn time_text(ts: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ts)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC));
    format!("{:04}-{:02}-{:02} {:02}:{:02}", t.year(), t.month() as u8, t.day(), t.hour(), t.minute())
}

pub async fn queries(State(app): State<AppState>, headers: HeaderMap, Params(f): Params<Filters>) -> Response {
    let Some(s) = current(&app, &headers).await else { return to_login() };
    let (rows, next) = match find(&*app.bot.store, &f, PAGE).await {
        Ok(x) => x,
        Err(e) => {
            tracing::error!(error = %e, "query list failed");
            return (StatusCode::INTERNAL_SERVER_ERROR, "读取记录失败").into_response();
        }
    };
    let mut b = String::new();
    let sel = |v: &str, opt: &str| if v == opt { " selected" } else { "" };
    let _ = write!(
        b,
        r#"<form class="filters" method="get" action="/staff/queries">
<input name="q" placeholder="搜索提问内容" value="{}"> <input name="from" placeholder="起 YYYY-MM-DD" value="{}"> <input name="to" placeholder="止 YYYY-MM-DD" value="{}">
<select name="channel"><option value="">全部渠道</option><option{}>web</option><option{}>wechat</option><option{}>telegram</option></select>
<input name="src" placeholder="来源标签" value="{}"> <input name="category" placeholder="类别 id" value="{}">
<select name="status"><option value="">全部</option><option value="unmatched"{}>未理解</option><option value="matched"{}>已理解</option><option value="low"{}>把握不大</option><option value="feedback"{}>反馈</option><option value="danger"{}>危险与危机</option></select>
<button>筛选</button></form>"#,
        escape(&f.q),
        escape(&f.from),
        escape(&f.to),
        sel(&f.channel, "web"),
        sel(&f.channel, "wechat"),
        sel(&f.channel, "telegram"),
        escape(&f.src),
        escape(&f.category),
        sel(&f.status, "unmatched"),
        sel(&f.status, "matched"),
        sel(&f.status, "low"),
        sel(&f.status, "feedback"),
        sel(&f.status, "danger"),
    );
    if s.role == Role::Admin {
        let _ = write!(b, r#"<p><a href="/staff/export.csv?{}">导出 CSV</a></p>"#, escape(&f.query_string("")));
    }
    b.push_str(
        "<table><tr><th>时间</th><th>渠道</th><th>来源</th><th>提问</th><th>类别</th><th>结果</th><th>标注</th><th></th></tr>",
    );
    for e in &rows {
        let r = &e.record;
        let note = super::review::get(&*app.bot.store, r.ts, e.id).await.ok().flatten();
        let result = match (&r.feedback, r.matched) {
            (Some(fb), _) => match fb.helpful {
                Some(true) => "反馈：有帮助".to_string(),
                Some(false) => "反馈：没帮助".to_string(),
                None => "反馈：意见".to_string(),
            },
            (None, _) if r.danger.is_some() => format!("危险/危机（{}）：请跟进", danger_name(r.danger.as_deref())),
            (None, true) if r.low_confidence => "把握不大：请对方选择".to_string(),
            (None, true) => {
                r.channel_chosen.clone().map(|c| format!("已理解 → {c}")).unwrap_or_else(|| "已理解".into())
            }
            (None, false) => "未理解".to_string(),
        };
        let link = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("channel", &r.channel)
            .append_pair("user", &r.user)
            .finish();
        let _ = write!(
            b,
            r#"<tr><td>{}</td><td>{}</td><td>{}</td><td class="text">{}</td><td>{}</td><td>{}</td><td>{}</td><td><a href="/staff/transcript?{}">对话</a></td></tr>"#,
            time_text(r.ts),
            escape(&r.channel),
            escape(r.source.as_deref().unwrap_or("")),
            escape(&r.input.chars().take(300).collect::<String>()),
            escape(r.category.as_deref().unwrap_or("")),
            escape(&result),
            escape(&note.as_ref().map(super::review::summary).unwrap_or_default()),
            escape(&link)
        );
    }
    b.push_str("</table>");
    if rows.is_empty() {
        b.push_str(r#"<p class="muted">没有符合条件的记录。</p>"#);
    }
    if let Some((ts, id)) = next {
        let _ = write!(
            b,
            r#"<p><a href="/staff/queries?{}">更早的记录 →</a></p>"#,
            escape(&f.query_string(&format!("{ts}-{id}")))
        );
    }
    page("提问记录", Some(&s), &b)
}

#[derive(Debug, Deserialize)]
pub struct Who {
    channel: String,
    user: String,
}

pub async fn transcript(State(app): State<AppState>, headers: HeaderMap, Params(w): Params<Who>) -> Response {
    let Some(s) = current(&app, &headers).await else { return to_login() };
    let Ok(key) = crate::engine::session::SessionKey::parse(&w.channel, &w.user) else {
        return (StatusCode::BAD_REQUEST, "bad conversation").into_response();
    };
    let mut rows = match app.bot.store.log_for_session(&key, 10_000).await {
        Ok(x) => x,
        Err(_) => return (StatusCode::INTERNAL_SERVER_ERROR, "读取记录失败").into_response(),
    };
    rows.retain(|e| !e.record.input_kind.starts_with("transfer"));
    let now = (app.clock)();
    let _ = audit::record(&*app.bot.store, now, &s.name, "view_transcript", &format!("{}:{}", w.channel, w.user)).await;
    let mut b = format!(
        r#"<p class="muted">渠道 {} · 共 {} 条</p><table><tr><th>时间</th><th>节点</th><th>输入</th><th>类别</th><th>建议途径</th><th>机器人的回复（对方看到的）</th><th>标注</th></tr>"#,
        escape(&w.channel),
        rows.len()
    );
    let back = format!(
        "/staff/transcript?{}",
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("channel", &w.channel)
            .append_pair("user", &w.user)
            .finish()
    );
    for e in &rows {
        let r = &e.record;
        let note = super::review::get(&*app.bot.store, r.ts, e.id).await.ok().flatten();
        let annotate = if s.role >= Role::Editor && r.input_kind != "choice" {
            super::review::form(&app, &s.csrf, e, note.as_ref(), &back)
        } else {
            escape(&note.as_ref().map(super::review::summary).unwrap_or_default())
        };
        let _ = write!(
            b,
            r#"<tr><td>{}</td><td>{} → {}</td><td class="text">{}</td><td>{}</td><td>{}</td><td class="text">{}</td><td>{}</td></tr>"#,
            time_text(r.ts),
            escape(&r.node_from),
            escape(&r.node),
            escape(&r.input),
            escape(&format!(
                "{}{}",
                r.category.as_deref().unwrap_or(""),
                if r.low_confidence {
                    "（把握不大）"
                } else if !r.matched {
                    "（没看懂）"
                } else {
                    ""
                }
            )),
            escape(r.channel_chosen.as_deref().unwrap_or("")),
            if r.shown.is_empty() { escape(&r.reply_summary) } else { escape(&r.shown) },
            annotate
        );
    }
    b.push_str("</table>");
    page("对话记录", Some(&s), &b)
}

pub async fn export(State(app): State<AppState>, headers: HeaderMap, Params(f): Params<Filters>) -> Response {
    let Some(s) = current(&app, &headers).await else { return to_login() };
    if s.role != Role::Admin {
        return forbidden(&s);
    }
    let (store, all) = (app.bot.store.clone(), Filters { before: String::new(), ..f.clone() });
    let found = app.heavy.run("", async move { find(&*store, &all, 100_000).await }).await;
    let Some(Ok((rows, _))) = found else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "读取记录失败").into_response();
    };
    let mut csv = String::from(
        "\u{feff}time,channel,user,source,input_kind,input,matched,category,channel_chosen,helpful,comment\r\n",
    );
    for e in &rows {
        let r = &e.record;
        let helpful = r.feedback.as_ref().and_then(|f| f.helpful).map(|h| h.to_string()).unwrap_or_default();
        let comment = r.feedback.as_ref().and_then(|f| f.comment.clone()).unwrap_or_default();
        let fields = [
            time_text(r.ts),
            r.channel.clone(),
            r.user.clone(),
            r.source.clone().unwrap_or_default(),
            r.input_kind.clone(),
            r.input.clone(),
            r.matched.to_string(),
            r.category.clone().unwrap_or_default(),
            r.channel_chosen.clone().unwrap_or_default(),
            helpful,
            comment,
        ];
        let line: Vec<String> = fields.iter().map(|v| crate::stats::csv_field(v)).collect();
        csv.push_str(&line.join(","));
        csv.push_str("\r\n");
    }
    let now = (app.clock)();
    let _ =
        audit::record(&*app.bot.store, now, &s.name, "export", &format!("{} rows; {}", rows.len(), f.query_string("")))
            .await;
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"queries.csv\""),
            (header::CACHE_CONTROL, "no-store"),
        ],
        csv,
    )
        .into_response()
}

pub async fn audit_page(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let Some(s) = current(&app, &headers).await else { return to_login() };
    if s.role != Role::Admin {
        return forbidden(&s);
    }
    let entries = audit::recent(&*app.bot.store, 500).await.unwrap_or_default();
    let mut b = String::from("<table><tr><th>时间</th><th>谁</th><th>做了什么</th><th>详情</th></tr>");
    for e in &entries {
        let _ = write!(
            b,
            r#"<tr><td>{}</td><td>{}</td><td>{}</td><td class="text">{}</td></tr>"#,
            time_text(e.ts),
            escape(&e.who),
            escape(&e.action),
            escape(&e.detail)
        );
    }
    b.push_str("</table>");
    page("审计日志", Some(&s), &b)
}
