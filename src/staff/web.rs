//! The staff console at `/staff`: login (CSRF-protected form, HttpOnly
//! SameSite=Strict cookie, idle timeout, throttling), the query list with
//! filters, search and cursor pagination, a conversation's transcript, CSV
//! export and the audit log. Every piece of stored text is escaped.

use super::accounts::{self, LoginError, Role};
use super::audit;
use crate::app::AppState;
use crate::app::client::ClientIp;
use crate::app::error::{FormBody, Params};
use crate::app::new_token;
use crate::engine::reply::{InputRole, LogRecord};
use crate::store::{LogEntry, Store, Ticket};
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

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

impl Staff {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// A rendered console page with the console's headers (no caching, strict
/// CSP, no framing).
pub(crate) fn render(t: &impl Template, status: StatusCode) -> Response {
    match t.render() {
        Ok(html) => (
            status,
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
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "console page failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "页面生成失败").into_response()
        }
    }
}

/// A page of a few sentences (an error, a notice) with an optional link.
#[derive(Template)]
#[template(path = "staff/message.html")]
struct Message<'a> {
    title: &'a str,
    staff: Option<&'a Staff>,
    paragraphs: Vec<String>,
    error: bool,
    link: Option<(String, String)>,
}

/// An error page in Chinese, with a link back.
pub(crate) fn error_page(
    title: &str,
    staff: Option<&Staff>,
    text: &str,
    back: Option<&str>,
    status: StatusCode,
) -> Response {
    let link = back.map(|b| (b.to_string(), "返回".to_string()));
    render(&Message { title, staff, paragraphs: vec![text.to_string()], error: true, link }, status)
}

/// A page saying something went through, with a way back.
pub(crate) fn message_page(title: &str, staff: Option<&Staff>, text: &str, back: Option<&str>) -> Response {
    let link = back.map(|b| (b.to_string(), "返回".to_string()));
    render(&Message { title, staff, paragraphs: vec![text.to_string()], error: false, link }, StatusCode::OK)
}

/// A drop-down of a form: its field name and options.
pub struct Select {
    pub name: &'static str,
    pub options: Vec<Opt>,
}

pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Select {
    /// What the drop-down chooses, for screen readers (`aria-label`).
    pub fn label(&self) -> &'static str {
        match self.name {
            "channel" => "渠道",
            "category" => "类别",
            "status" => "结果",
            "faq" => "FAQ 条目",
            "role" => "角色",
            "state" => "状态",
            _ => "选择",
        }
    }

    /// `items` as (value, label); the one equal to `current` selected.
    pub fn new(name: &'static str, current: &str, items: impl IntoIterator<Item = (String, String)>) -> Self {
        let options =
            items.into_iter().map(|(value, label)| Opt { selected: value == current, value, label }).collect();
        Self { name, options }
    }
}

/// A channel as staff read it.
pub(crate) fn channel_name(c: &str) -> &str {
    match c {
        "web" => "网页",
        "wechat" => "微信",
        "telegram" => "Telegram",
        other => other,
    }
}

/// A category's Chinese name (its id when the content does not know it).
pub(crate) fn category_name(app: &AppState, id: &str) -> String {
    app.bot.engine().content.directory.categories.get(id).map_or_else(|| id.to_string(), |c| c.name.clone())
}

/// The category drop-down: every category by its Chinese name.
pub(crate) fn category_select(app: &AppState, name: &'static str, current: &str, none: &str) -> Select {
    let cats = &app.bot.engine().content.directory.categories;
    let items = std::iter::once((String::new(), none.to_string()))
        .chain(cats.iter().map(|(id, c)| (id.clone(), c.name.clone())));
    Select::new(name, current, items)
}

/// What a logged message was, as staff read it: typed text as typed, a
/// button by its label and the node it belonged to.
pub(crate) fn input_text(r: &LogRecord) -> String {
    let label =
        r.label.as_deref().map(|l| format!("［{}］{l}（{}）", r.role.map_or("按钮", |x| x.name()), r.node_from));
    let said = match (label, r.input_kind.as_str()) {
        (Some(l), "text") => format!("{} → {l}", r.input),
        (Some(l), _) => l,
        (None, _) if r.role == Some(InputRole::Page) && r.input.trim().is_empty() => "（打开页面）".into(),
        (None, _) => r.input.clone(),
    };
    if r.voice { format!("［语音］{said}") } else { said }
}

pub(crate) fn to_login() -> Response {
    Redirect::to("/staff/login").into_response()
}

pub(crate) fn forbidden(staff: &Staff) -> Response {
    error_page("没有权限", Some(staff), "您的角色不能打开这个页面。", Some("/staff/queries"), StatusCode::FORBIDDEN)
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
    crate::app::same_secret(&s.csrf, field)
}

pub(crate) fn bad_csrf() -> Response {
    (StatusCode::FORBIDDEN, "bad csrf token").into_response()
}

pub async fn home() -> Redirect {
    Redirect::to("/staff/queries")
}

pub async fn login_form(State(app): State<AppState>, headers: HeaderMap) -> Response {
    login_page(&app, &headers, "", "").await
}

#[derive(Template)]
#[template(path = "staff/login.html")]
struct Login<'a> {
    title: &'a str,
    staff: Option<&'a Staff>,
    error: &'a str,
    csrf: &'a str,
    /// The name typed before a failed attempt, kept in its box (review S5).
    name: &'a str,
}

async fn login_page(app: &AppState, headers: &HeaderMap, error: &str, name: &str) -> Response {
    // Double-submit token: the form's hidden field must equal this cookie.
    let csrf = new_token();
    let name: String = name.chars().take(64).collect();
    let mut r = render(&Login { title: "登录", staff: None, error, csrf: &csrf, name: &name }, StatusCode::OK);
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
    if expected.is_empty() || !crate::app::same_secret(&expected, &f.csrf) {
        let mut r = login_page(&app, &headers, "页面已过期，请重新登录。", f.username.trim()).await;
        *r.status_mut() = StatusCode::FORBIDDEN;
        return r;
    }
    let now = (app.clock)();
    let store = &*app.bot.store;
    let name = f.username.trim().to_ascii_lowercase();
    if let Err(wait) = app.limits.check_login(ip) {
        tokio::time::sleep(app.limits.login_tarpit).await;
        let mut r = login_page(&app, &headers, "尝试过于频繁，请稍等片刻再试。", f.username.trim()).await;
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
            login_page(&app, &headers, LOGIN_FAILED, f.username.trim()).await
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
    /// A category id (the drop-down shows the Chinese names).
    #[serde(default)]
    pub category: String,
    /// Empty: citizens' questions (typed text the bot tried to understand;
    /// not buttons, commands, page loads, dates or yes/no answers).
    /// `unmatched`, `matched`, `low` (low confidence) narrow those;
    /// `feedback`, `danger` (a message about danger or self-harm, to follow
    /// up); `all`: every message, buttons and commands too.
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
    /// CSV export: `en` for English column names and plain values (ids,
    /// true/false) for tools; otherwise Chinese names and values.
    #[serde(default)]
    pub header: String,
}

/// A date field of a console form: empty, or a day written YYYY-MM-DD.
pub(crate) fn day_field(what: &str, v: &str) -> Result<Option<time::Date>, String> {
    if v.trim().is_empty() {
        return Ok(None);
    }
    crate::stats::parse_day(v)
        .map(Some)
        // Not echoed: the message also goes out as JSON and CSV (D12); the
        // page shows what was typed in its own field.
        .ok_or_else(|| format!("{what}不是日期：请写成 YYYY-MM-DD，例如 2026-05-09。"))
}

/// The Unix-seconds range of a form's from/to days (China time), or the
/// error to show on the page.
pub(crate) fn day_range(from: &str, to: &str) -> Result<(i64, i64), String> {
    let one = |d: time::Date| crate::stats::Query { src: None, from: d, to: d }.range();
    let (f, t) = (day_field("起始日期", from)?, day_field("截止日期", to)?);
    if let (Some(a), Some(b)) = (f, t) {
        if a > b {
            return Err(format!("起始日期 {a} 晚于截止日期 {b}。"));
        }
    }
    Ok((f.map_or(0, |d| one(d).0), t.map_or(i64::MAX, |d| one(d).1)))
}

/// The status choices of the query list, as (value, label).
const STATUSES: [(&str, &str); 7] = [
    ("", "群众提问"),
    ("unmatched", "未理解"),
    ("matched", "已理解"),
    ("low", "把握不大"),
    ("feedback", "反馈"),
    ("danger", "危险与危机"),
    ("all", "全部消息（含按钮、命令）"),
];

impl Filters {
    pub fn range(&self) -> Result<(i64, i64), String> {
        day_range(&self.from, &self.to)
    }

    fn cursor(&self) -> Option<(i64, u64)> {
        let (ts, id) = self.before.split_once('-')?;
        Some((ts.parse().ok()?, id.parse().ok()?))
    }

    fn keeps(&self, r: &LogRecord) -> bool {
        let is = |want: &str, have: Option<&str>| want.is_empty() || have == Some(want);
        let status = match self.status.as_str() {
            "unmatched" => !r.matched && r.is_question(),
            "matched" => r.matched && r.is_question(),
            "low" => r.low_confidence && r.is_question(),
            "feedback" => r.feedback.is_some(),
            "danger" => r.danger.is_some(),
            "all" => !r.input_kind.starts_with("transfer"),
            _ => r.is_question(),
        };
        status
            && is(&self.channel, Some(&r.channel))
            && is(&self.src, r.source.as_deref())
            && is(&self.category, r.category.as_deref())
            && (self.q.trim().is_empty()
                || r.input.contains(self.q.trim())
                || r.label.as_deref().is_some_and(|l| l.contains(self.q.trim())))
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

    /// The drop-downs of the filter form.
    fn selects(&self, app: &AppState) -> Vec<Select> {
        let channels = std::iter::once((String::new(), "全部渠道".to_string()))
            .chain(["web", "wechat", "telegram"].map(|c| (c.to_string(), channel_name(c).to_string())));
        vec![
            Select::new("channel", &self.channel, channels),
            category_select(app, "category", &self.category, "全部类别"),
            Select::new("status", &self.status, STATUSES.map(|(v, l)| (v.to_string(), l.to_string()))),
        ]
    }
}

/// Matching entries newest first, at most `want`; also the cursor to go on
/// from when the scan stopped early (a page is full or `SCAN_LIMIT` reached).
pub async fn find(store: &dyn Store, f: &Filters, want: usize) -> Result<(Vec<LogEntry>, Option<(i64, u64)>), String> {
    let (start, end) = f.range()?;
    let mut cursor = f.cursor();
    let (mut out, mut scanned) = (Vec::new(), 0);
    // A text search goes through the store's index where it has one
    // (PostgreSQL: bigrams); `keeps` still checks every candidate.
    let q = f.q.trim();
    let mut indexed = !q.is_empty();
    loop {
        let found = match indexed {
            true => store.log_search_rev(start, end, cursor, q, 1000).await.map_err(|e| e.to_string())?,
            false => None,
        };
        indexed = found.is_some();
        let batch = match found {
            Some(b) => b,
            None => store.log_range_rev(start, end, cursor, 1000).await.map_err(|e| e.to_string())?,
        };
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
    kind.map_or("其他", crate::alerts::kind_name)
}

pub(crate) use crate::analysis::time_text;

/// What the bot made of a message, in a word or two.
fn result_text(app: &AppState, r: &LogRecord) -> String {
    match (&r.feedback, r.matched) {
        (Some(fb), _) => match fb.helpful {
            Some(true) => "反馈：有帮助".to_string(),
            Some(false) => "反馈：没帮助".to_string(),
            None => "反馈：意见".to_string(),
        },
        (None, _) if r.danger.is_some() => format!("危险/危机（{}）：请跟进", danger_name(r.danger.as_deref())),
        (None, true) if r.low_confidence => "把握不大：请对方选择".to_string(),
        (None, true) => r
            .channel_chosen
            .as_deref()
            .map(|c| format!("已理解 → {}", channel_display(app, c)))
            .unwrap_or_else(|| "已理解".into()),
        (None, false) => "未理解".to_string(),
    }
}

/// A lawful channel (the card's) by its name.
pub(crate) fn channel_display(app: &AppState, id: &str) -> String {
    app.bot.engine().content.directory.channels.get(id).map_or_else(|| id.to_string(), |c| c.name.clone())
}

fn conversation_link(r: &LogRecord) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("channel", &r.channel)
        .append_pair("user", &r.user)
        .finish()
}

#[derive(Template)]
#[template(path = "staff/queries.html")]
struct QueriesPage<'a> {
    title: &'a str,
    staff: Option<&'a Staff>,
    f: &'a Filters,
    selects: Vec<Select>,
    error: String,
    export: Option<String>,
    rows: Vec<QueryRow>,
    next: Option<String>,
}

struct QueryRow {
    time: String,
    channel: String,
    source: String,
    input: String,
    category: String,
    result: String,
    note: String,
    link: String,
}

pub async fn queries(State(app): State<AppState>, headers: HeaderMap, Params(f): Params<Filters>) -> Response {
    let Some(s) = current(&app, &headers).await else { return to_login() };
    let mut page = QueriesPage {
        title: "提问记录",
        staff: Some(&s),
        f: &f,
        selects: f.selects(&app),
        error: String::new(),
        export: (s.role == Role::Admin).then(|| f.query_string("")),
        rows: Vec::new(),
        next: None,
    };
    if let Err(e) = f.range() {
        page.error = e;
        return render(&page, StatusCode::BAD_REQUEST);
    }
    // A search may walk the whole log: on the heavy-view pool, one at a
    // time, never on the request workers the chat shares (review N6).
    let (store, filters) = (app.bot.store.clone(), f.clone());
    let found = app.heavy.run("", async move { find(&*store, &filters, PAGE).await }).await;
    let (rows, next) = match found.unwrap_or_else(|| Err("busy".into())) {
        Ok(x) => x,
        Err(e) => {
            tracing::error!(error = %e, "query list failed");
            return (StatusCode::INTERNAL_SERVER_ERROR, "读取记录失败").into_response();
        }
    };
    let notes = super::review::for_entries(&*app.bot.store, &rows).await;
    page.rows = rows
        .iter()
        .map(|e| {
            let r = &e.record;
            QueryRow {
                time: time_text(r.ts),
                channel: channel_name(&r.channel).to_string(),
                source: r.source.clone().unwrap_or_default(),
                input: input_text(r).chars().take(300).collect(),
                category: r.category.as_deref().map(|c| category_name(&app, c)).unwrap_or_default(),
                result: result_text(&app, r),
                note: notes.get(&(r.ts, e.id)).map(|a| super::review::summary(&app, a)).unwrap_or_default(),
                link: format!("{}&at={}-{}#e{}-{}", conversation_link(r), r.ts, e.id, r.ts, e.id),
            }
        })
        .collect();
    page.next = next.map(|(ts, id)| f.query_string(&format!("{ts}-{id}")));
    render(&page, StatusCode::OK)
}

#[derive(Debug, Deserialize)]
pub struct Who {
    channel: String,
    user: String,
    /// The entry just annotated (`<ts>-<id>`): marked 已保存.
    #[serde(default)]
    saved: String,
    /// The turn to open at and mark (`<ts>-<id>`, or a time `<ts>`).
    #[serde(default)]
    at: String,
    /// The page to show (default: the one holding `at` or `saved`, else the first).
    #[serde(default)]
    page: Option<usize>,
}

/// Turns per transcript page (a conversation of 90 turns was 35,000 px).
pub const TRANSCRIPT_PAGE: usize = 30;

/// The index of the turn `at` names (`<ts>-<id>`, or the first turn at or
/// after time `<ts>`).
fn turn_index(rows: &[LogEntry], at: &str) -> Option<usize> {
    if at.is_empty() {
        return None;
    }
    match at.split_once('-') {
        Some(_) => rows.iter().position(|e| format!("{}-{}", e.record.ts, e.id) == at),
        None => at.parse::<i64>().ok().and_then(|ts| rows.iter().position(|e| e.record.ts >= ts)),
    }
}

#[derive(Template)]
#[template(path = "staff/transcript.html")]
struct TranscriptPage<'a> {
    title: &'a str,
    staff: Option<&'a Staff>,
    csrf: &'a str,
    channel: &'a str,
    numbered: bool,
    error: String,
    rows: Vec<TurnRow>,
    total: usize,
    /// This page (0-based), how many, and the 1-based numbers of its first and last turn.
    page: usize,
    pages: usize,
    first: usize,
    last: usize,
    /// The conversation's query string (channel, user, at) for page links.
    link: String,
}

struct TurnRow {
    entry: String,
    /// `t{ts}` on the first turn of each second: alerts link to a turn by
    /// its time (`#t{ts}`).
    anchor: String,
    time: String,
    nodes: String,
    input: String,
    category: String,
    channel: String,
    shown: String,
    note: String,
    form: Option<super::review::NoteForm>,
    saved: bool,
    /// The turn the link pointed at (a flagged or unanswered one).
    flagged: bool,
}

pub async fn transcript(State(app): State<AppState>, headers: HeaderMap, Params(w): Params<Who>) -> Response {
    let Some(s) = current(&app, &headers).await else { return to_login() };
    let Ok(key) = crate::engine::session::SessionKey::parse(&w.channel, &w.user) else {
        return error_page("对话记录", Some(&s), "没有这段对话。", Some("/staff/queries"), StatusCode::BAD_REQUEST);
    };
    let mut rows = match app.bot.store.log_for_session(&key, 10_000).await {
        Ok(x) => x,
        Err(_) => return (StatusCode::INTERNAL_SERVER_ERROR, "读取记录失败").into_response(),
    };
    rows.retain(|e| !e.record.input_kind.starts_with("transfer"));
    let now = (app.clock)();
    let _ = audit::record(&*app.bot.store, now, &s.name, "view_transcript", &format!("{}:{}", w.channel, w.user)).await;
    let who = LogRecord { channel: w.channel.clone(), user: w.user.clone(), ..LogRecord::default() };
    let back = format!("/staff/transcript?{}", conversation_link(&who));
    let total = rows.len();
    let target = turn_index(&rows, &w.at);
    let pages = total.div_ceil(TRANSCRIPT_PAGE).max(1);
    let page = w
        .page
        .or_else(|| target.or_else(|| turn_index(&rows, &w.saved)).map(|i| i / TRANSCRIPT_PAGE))
        .unwrap_or(0)
        .min(pages - 1);
    let flagged = target.map(|i| format!("{}-{}", rows[i].record.ts, rows[i].id));
    let start = page * TRANSCRIPT_PAGE;
    let rows: Vec<LogEntry> = rows.into_iter().skip(start).take(TRANSCRIPT_PAGE).collect();
    let link = {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("channel", &w.channel).append_pair("user", &w.user);
        if !w.at.is_empty() {
            q.append_pair("at", &w.at);
        }
        q.finish()
    };
    let notes = super::review::for_entries(&*app.bot.store, &rows).await;
    let mut seen = std::collections::HashSet::new();
    let turns: Vec<TurnRow> = rows
        .iter()
        .map(|e| {
            let r = &e.record;
            let note = notes.get(&(r.ts, e.id));
            let entry = format!("{}-{}", r.ts, e.id);
            let mark = if r.low_confidence {
                "（把握不大）"
            } else if !r.matched {
                "（没看懂）"
            } else {
                ""
            };
            TurnRow {
                anchor: if seen.insert(r.ts) { format!("t{}", r.ts) } else { String::new() },
                saved: w.saved == entry,
                flagged: flagged.as_deref() == Some(entry.as_str()),
                form: (s.role >= Role::Editor && r.is_question())
                    .then(|| super::review::NoteForm::new(&app, &entry, note, &back)),
                entry,
                time: time_text(r.ts),
                nodes: format!("{} → {}", r.node_from, r.node),
                input: input_text(r),
                category: format!(
                    "{}{mark}",
                    r.category.as_deref().map(|c| category_name(&app, c)).unwrap_or_default()
                ),
                channel: r.channel_chosen.as_deref().map(|c| channel_display(&app, c)).unwrap_or_default(),
                shown: if r.shown.is_empty() { r.reply_summary.clone() } else { r.shown.clone() },
                note: note.map(|a| super::review::summary(&app, a)).unwrap_or_default(),
            }
        })
        .collect();
    let page = TranscriptPage {
        title: "对话记录",
        staff: Some(&s),
        csrf: &s.csrf,
        channel: channel_name(&w.channel),
        numbered: crate::engine::render::numbered(&w.channel),
        error: String::new(),
        first: start + 1,
        last: start + turns.len(),
        rows: turns,
        total,
        page,
        pages,
        link,
    };
    render(&page, StatusCode::OK)
}

/// Column names of the CSV export: Chinese, or English for tools.
const CSV_ZH: &str = "时间,渠道,用户,来源,输入类型,输入,按钮,所在节点,已理解,类别,建议途径,有帮助,意见";
const CSV_EN: &str =
    "time,channel,user,source,input_kind,input,label,node_from,matched,category,channel_chosen,helpful,comment";

/// One record as CSV fields: Chinese names and 是/否, or plain values.
fn csv_row(app: &AppState, r: &LogRecord, en: bool) -> [String; 13] {
    let yes_no = |b: bool| if en { b.to_string() } else { if b { "是" } else { "否" }.to_string() };
    let helpful = r.feedback.as_ref().and_then(|f| f.helpful).map(yes_no).unwrap_or_default();
    let comment = r.feedback.as_ref().and_then(|f| f.comment.clone()).unwrap_or_default();
    let kind = match (en, r.role) {
        (true, Some(role)) if r.feedback.is_none() => {
            serde_json::to_value(role).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
        }
        (true, _) => r.input_kind.clone(),
        (false, _) if r.feedback.is_some() => "反馈".to_string(),
        (false, Some(role)) => role.name().to_string(),
        (false, None) => if r.input_kind == "text" { "文字" } else { "按钮" }.to_string(),
    };
    let (category, chosen) = if en {
        (r.category.clone().unwrap_or_default(), r.channel_chosen.clone().unwrap_or_default())
    } else {
        (
            r.category.as_deref().map(|c| category_name(app, c)).unwrap_or_default(),
            r.channel_chosen.as_deref().map(|c| channel_display(app, c)).unwrap_or_default(),
        )
    };
    [
        time_text(r.ts),
        if en { r.channel.clone() } else { channel_name(&r.channel).to_string() },
        r.user.clone(),
        r.source.clone().unwrap_or_default(),
        kind,
        r.input.clone(),
        r.label.clone().unwrap_or_default(),
        if r.label.is_some() { r.node_from.clone() } else { String::new() },
        yes_no(r.matched),
        category,
        chosen,
        helpful,
        comment,
    ]
}

pub async fn export(State(app): State<AppState>, headers: HeaderMap, Params(f): Params<Filters>) -> Response {
    let Some(s) = current(&app, &headers).await else { return to_login() };
    if s.role != Role::Admin {
        return forbidden(&s);
    }
    if let Err(e) = f.range() {
        return error_page("导出 CSV", Some(&s), &e, Some("/staff/queries"), StatusCode::BAD_REQUEST);
    }
    let (store, all) = (app.bot.store.clone(), Filters { before: String::new(), ..f.clone() });
    let found = app.heavy.run("", async move { find(&*store, &all, 100_000).await }).await;
    let Some(Ok((rows, _))) = found else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "读取记录失败").into_response();
    };
    let en = f.header == "en";
    let mut csv = format!("\u{feff}{}\r\n", if en { CSV_EN } else { CSV_ZH });
    for e in &rows {
        let line: Vec<String> = csv_row(&app, &e.record, en).iter().map(|v| crate::stats::csv_field(v)).collect();
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

#[derive(Template)]
#[template(path = "staff/audit.html")]
struct AuditPage<'a> {
    title: &'a str,
    staff: Option<&'a Staff>,
    entries: Vec<AuditRow>,
}

struct AuditRow {
    time: String,
    who: String,
    action: String,
    detail: String,
}

pub async fn audit_page(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let Some(s) = current(&app, &headers).await else { return to_login() };
    if s.role != Role::Admin {
        return forbidden(&s);
    }
    let entries = audit::recent(&*app.bot.store, 500).await.unwrap_or_default();
    let entries = entries
        .iter()
        .map(|e| AuditRow {
            time: time_text(e.ts),
            who: e.who.clone(),
            action: audit::action_name(&e.action),
            detail: e.detail.clone(),
        })
        .collect();
    render(&AuditPage { title: "审计日志", staff: Some(&s), entries }, StatusCode::OK)
}

/// A page whose body its handler built with every value escaped (研判预警
/// and 年度数据, written from `analysis` output), in the console's layout.
#[derive(Template)]
#[template(path = "staff/raw.html")]
struct Raw<'a> {
    title: &'a str,
    staff: Option<&'a Staff>,
    body: &'a str,
}

pub(crate) fn page(title: &str, staff: Option<&Staff>, body: &str) -> Response {
    render(&Raw { title, staff, body }, StatusCode::OK)
}
