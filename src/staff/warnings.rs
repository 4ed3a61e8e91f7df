//! 研判 in the console (`/staff/warnings`): danger turns of the last days,
//! surges per category and source tag, several people naming one place
//! (集体访 risk), people coming back about one matter (重复信访 risk) —
//! computed by `analysis::warn` from the last weeks of the log on the
//! heavy-view pool (one scan, reused for `heavy::CACHE_SECS`).
//!
//! Each warning has a state staff set (看过 / 已转办 with a note; editors and
//! admins, CSRF-checked, audited), kept as a record keyed by the warning's
//! id with the count it had then: a warning that grew since shows again
//! as 有新情况.

use super::accounts::Role;
use super::audit;
use super::web::{Staff, bad_csrf, csrf_ok, danger_name, require, time_text};
use crate::analysis::warn::{self, Scan, Warnings, Who};
use crate::app::AppState;
use crate::app::error::FormBody;
use crate::app::html::escape;
use crate::store::{Store, StoreError};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

const SPACE: &str = "warnings";
const PAGE: usize = 5_000;

/// What staff did about a warning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mark {
    /// `seen` (看过) or `referred` (已转办).
    pub state: String,
    pub note: String,
    pub by: String,
    pub at: i64,
    /// The warning's count (people, days) when it was marked.
    pub count: u64,
}

/// The warnings at `now`, folded from the log. The next page is read (and
/// decoded) on another blocking thread while this one is folded: on
/// PostgreSQL reading is about half of the time.
pub async fn scan(store: Arc<dyn Store>, now: i64) -> Result<Warnings, StoreError> {
    let (from, to) = warn::range(now);
    let (tx, mut rx) = tokio::sync::mpsc::channel(1);
    let rt = tokio::runtime::Handle::current();
    let reader = tokio::task::spawn_blocking(move || {
        rt.block_on(async move {
            let mut cursor = None;
            loop {
                let page = store.log_range(from, to, cursor, PAGE).await;
                let next = page.as_ref().ok().filter(|p| p.len() == PAGE).and_then(|p| p.last());
                cursor = next.map(|e| (e.record.ts, e.id));
                // Stops when the fold has stopped (an error, or dropped).
                if tx.send(page).await.is_err() || cursor.is_none() {
                    return;
                }
            }
        })
    });
    let mut s = Scan::new(now);
    while let Some(page) = rx.recv().await {
        for e in &page? {
            s.add(e);
        }
    }
    reader.await.map_err(|e| StoreError::Io(format!("reading the log: {e}")))?;
    Ok(s.finish())
}

/// The current warnings, off the request workers and cached.
pub async fn current(app: &AppState) -> Result<Arc<Warnings>, String> {
    let now = (app.clock)();
    let store = app.bot.store.clone();
    let work = async move { scan(store, now).await.map(Arc::new).map_err(|e| e.to_string()) };
    app.heavy.run("warnings", work).await.unwrap_or_else(|| Err("busy".into()))
}

async fn marks(store: &dyn Store) -> HashMap<String, Mark> {
    let rows = store.record_scan(SPACE, "", usize::MAX).await.unwrap_or_default();
    rows.into_iter().filter_map(|(k, v)| Some((k, serde_json::from_slice(&v).ok()?))).collect()
}

fn transcript_link(w: &Who) -> String {
    let q = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("channel", &w.channel)
        .append_pair("user", &w.user)
        .finish();
    format!(r#"<a href="/staff/transcript?{}">对话</a>"#, escape(&q))
}

/// The state cell: what was done, and the form to change it (editors).
fn state_cell(s: &Staff, marks: &HashMap<String, Mark>, id: &str, count: u64) -> String {
    let mut c = match marks.get(id) {
        None => r#"<b class="err">新</b>"#.to_string(),
        Some(m) => {
            let what = if m.state == "referred" { "已转办" } else { "看过" };
            let grew = if count > m.count {
                format!(r#"<b class="err">有新情况</b>（标记时 {}，现在 {count}）<br>"#, m.count)
            } else {
                String::new()
            };
            let note = if m.note.is_empty() { String::new() } else { format!("：{}", escape(&m.note)) };
            format!(
                r#"{grew}<span class="mark">{what}{note}</span> <span class="muted">{} {}</span>"#,
                escape(&m.by),
                time_text(m.at)
            )
        }
    };
    if s.role >= Role::Editor {
        let _ = write!(
            c,
            r#"<form method="post" action="/staff/warnings/state" class="warn-state"><input type="hidden" name="csrf" value="{}"><input type="hidden" name="id" value="{}"><input type="hidden" name="count" value="{count}"><select name="state" aria-label="状态"><option value="seen">看过</option><option value="referred">已转办</option><option value="open">重新打开</option></select> <input name="note" placeholder="转办去向、备注" aria-label="转办去向、备注" size="14"> <button>保存</button></form>"#,
            escape(&s.csrf),
            escape(id)
        );
    }
    c
}

fn samples(v: &[String]) -> String {
    v.iter().map(|t| escape(t)).collect::<Vec<_>>().join("<br>")
}

fn body(app: &AppState, s: &Staff, w: &Warnings, marks: &HashMap<String, Mark>) -> String {
    let cats = &app.bot.engine().content.directory.categories;
    let cat = |k: &str| cats.get(k).map(|c| c.name.clone()).unwrap_or_else(|| k.to_string());
    let matter = |m: &str| m.strip_prefix("name:").map(|n| format!("对象：{n}")).unwrap_or_else(|| cat(m));
    let mut b = format!(
        r#"<p class="muted">{} 条提醒 · 依据截至 {} 的提问记录（最近 {} 周）。个人信息已隐去；点“对话”看记录（会记入审计日志）。</p>"#,
        w.count(),
        time_text(w.now),
        warn::HISTORY_WEEKS + 1
    );
    let _ = write!(
        b,
        r#"<h2 id="danger">危险与危机（最近 {} 天，{} 条）</h2><table><tr><th>时间</th><th>类型</th><th>提问</th><th></th><th>处理</th></tr>"#,
        warn::DANGER_DAYS,
        w.danger.len()
    );
    for d in &w.danger {
        let _ = write!(
            b,
            r#"<tr class="warning" data-id="{}"><td>{}</td><td>{}</td><td class="text">{}</td><td>{}</td><td>{}</td></tr>"#,
            escape(&d.id),
            time_text(d.ts),
            danger_name(Some(&d.kind)),
            escape(&d.input),
            transcript_link(&d.who),
            state_cell(s, marks, &d.id, 1)
        );
    }
    b.push_str("</table>");
    let _ = write!(
        b,
        r#"<h2 id="surges">人数骤增（{} 条）</h2><p class="muted">最近 7 天的人数与此前 {} 周平均每 7 天的人数相比：至少 {} 人、至少 {} 倍，且按泊松分布出现这么多人的概率低于 {}（记录不足 {} 周时不判断；现有 {} 周）。</p><table><tr><th>类别或来源</th><th>最近 7 天人数</th><th>此前平均</th><th>概率</th><th>提问示例</th><th>处理</th></tr>"#,
        w.surges.len(),
        warn::HISTORY_WEEKS,
        warn::SURGE_MIN_PEOPLE,
        warn::SURGE_MIN_RATIO,
        warn::SURGE_P,
        warn::MIN_HISTORY_WEEKS,
        w.history_weeks
    );
    let from = crate::analysis::day_of(w.now - 6 * warn::DAY).map(|d| d.to_string()).unwrap_or_default();
    for x in &w.surges {
        let (label, filter) = if x.kind == "source" {
            (format!("来源 {}", x.key), ("src", x.key.as_str()))
        } else {
            (cat(&x.key), ("category", x.key.as_str()))
        };
        let q = url::form_urlencoded::Serializer::new(String::new())
            .append_pair(filter.0, filter.1)
            .append_pair("from", &from)
            .finish();
        let _ = write!(
            b,
            r#"<tr class="warning" data-id="{}"><td><a href="/staff/queries?{}">{}</a></td><td>{}</td><td>{:.1}</td><td>{:.1e}</td><td class="text">{}</td><td>{}</td></tr>"#,
            escape(&x.id),
            escape(&q),
            escape(&label),
            x.people,
            x.expected,
            x.p,
            samples(&x.samples),
            state_cell(s, marks, &x.id, x.people)
        );
    }
    b.push_str("</table>");
    let _ = write!(
        b,
        r#"<h2 id="targets">多人提到同一对象（{} 条，可能的集体访苗头）</h2><p class="muted">最近 {} 天至少 {} 个不同的人在文字提问中提到同一小区、公司、项目、村、街道等。</p><table><tr><th>对象</th><th>人数</th><th>消息</th><th>首次 / 最近</th><th>类别</th><th>提问示例</th><th>对话</th><th>处理</th></tr>"#,
        w.targets.len(),
        warn::TARGET_DAYS,
        warn::TARGET_MIN_PEOPLE
    );
    for t in &w.targets {
        let name = if t.variants.is_empty() {
            t.name.clone()
        } else {
            format!("{}（又作 {}）", t.name, t.variants.join("、"))
        };
        let links: Vec<String> = t.who.iter().map(transcript_link).collect();
        let tc: Vec<String> = t.categories.iter().map(|c| cat(c)).collect();
        let _ = write!(
            b,
            r#"<tr class="warning" data-id="{}"><td>{}</td><td>{}</td><td>{}</td><td>{}<br>{}</td><td>{}</td><td class="text">{}</td><td>{}</td><td>{}</td></tr>"#,
            escape(&t.id),
            escape(&name),
            t.people,
            t.messages,
            time_text(t.first),
            time_text(t.last),
            escape(&tc.join("、")),
            samples(&t.samples),
            links.join(" "),
            state_cell(s, marks, &t.id, t.people as u64)
        );
    }
    b.push_str("</table>");
    let _ = write!(
        b,
        r#"<h2 id="repeats">反复来问同一件事（{} 条，重复信访风险）</h2><p class="muted">同一对话在最近 {} 天里至少 {} 个不同的日子、前后相隔至少 {} 天问同一事项。</p><table><tr><th>渠道</th><th>事项</th><th>天数</th><th>首次 / 最近</th><th>提问示例</th><th></th><th>处理</th></tr>"#,
        w.repeats.len(),
        warn::REPEAT_DAYS,
        warn::REPEAT_MIN_DAYS,
        warn::REPEAT_MIN_SPAN_DAYS
    );
    for r in &w.repeats {
        let _ = write!(
            b,
            r#"<tr class="warning" data-id="{}"><td>{}</td><td>{}</td><td>{}</td><td>{}<br>{}</td><td class="text">{}</td><td>{}</td><td>{}</td></tr>"#,
            escape(&r.id),
            escape(&r.who.channel),
            escape(&matter(&r.matter)),
            r.days,
            time_text(r.first),
            time_text(r.last),
            samples(&r.samples),
            transcript_link(&r.who),
            state_cell(s, marks, &r.id, r.days as u64)
        );
    }
    b.push_str("</table>");
    b
}

pub async fn page_handler(app: &AppState, headers: &HeaderMap) -> Response {
    let s = match require(app, headers, Role::Viewer).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let w = match current(app).await {
        Ok(w) => w,
        Err(e) => {
            tracing::error!(error = %e, "warnings failed");
            return (StatusCode::INTERNAL_SERVER_ERROR, "读取记录失败").into_response();
        }
    };
    let marks = marks(&*app.bot.store).await;
    let alerts = super::alerts::banner(app).await;
    super::web::page("研判预警", Some(&s), &format!("{alerts}{}", body(app, &s, &w, &marks)))
}

pub async fn page(State(app): State<AppState>, headers: HeaderMap) -> Response {
    page_handler(&app, &headers).await
}

/// A line for the top of the dashboard: the warnings' counts and the
/// newest danger turns ("" when the warnings cannot be read).
pub async fn banner(app: &AppState) -> String {
    let Ok(w) = current(app).await else { return String::new() };
    let mut b = format!(
        r#"<div class="banner" style="border: 1px solid #b42318; padding: 6px 10px; margin-bottom: 10px;"><b>研判提醒</b>：危险与危机 <b>{}</b> · 人数骤增 <b>{}</b> · 多人提到同一对象 <b>{}</b> · 反复来问 <b>{}</b> · <a href="/staff/warnings">查看</a>"#,
        w.danger.len(),
        w.surges.len(),
        w.targets.len(),
        w.repeats.len()
    );
    let cats = &app.bot.engine().content.directory.categories;
    for x in w.surges.iter().take(5) {
        let what = match x.kind.as_str() {
            "source" => format!("来源 {}", x.key),
            _ => cats.get(&x.key).map(|c| c.name.clone()).unwrap_or_else(|| x.key.clone()),
        };
        let _ = write!(
            b,
            r#"<br>人数骤增：{}，最近 7 天 {} 人（此前平均每 7 天 {:.1} 人），如“{}”"#,
            escape(&what),
            x.people,
            x.expected,
            escape(x.samples.first().map(String::as_str).unwrap_or(""))
        );
    }
    for d in w.danger.iter().take(5) {
        let _ = write!(
            b,
            r#"<br><span class="err">{} {}</span>：{} {}"#,
            time_text(d.ts),
            danger_name(Some(&d.kind)),
            escape(&d.input),
            transcript_link(&d.who)
        );
    }
    b.push_str("</div>");
    b
}

#[derive(Debug, Deserialize)]
pub struct StateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    count: u64,
}

fn valid_id(id: &str) -> bool {
    let kinds = ["surge:", "target:", "repeat:", "danger:"];
    id.len() <= 400 && kinds.iter().any(|k| id.starts_with(k)) && !id.chars().any(char::is_control)
}

pub async fn set_state(State(app): State<AppState>, headers: HeaderMap, FormBody(f): FormBody<StateForm>) -> Response {
    let s = match require(&app, &headers, Role::Editor).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !csrf_ok(&s, &f.csrf) {
        return bad_csrf();
    }
    if !valid_id(&f.id) || !["seen", "referred", "open"].contains(&f.state.as_str()) {
        return (StatusCode::BAD_REQUEST, "bad warning or state").into_response();
    }
    let store = &*app.bot.store;
    let now = (app.clock)();
    let note: String = f.note.chars().filter(|c| !c.is_control()).take(300).collect();
    let mark = Mark { state: f.state.clone(), note: note.clone(), by: s.name.clone(), at: now, count: f.count };
    let new = if f.state == "open" { None } else { serde_json::to_vec(&mark).ok() };
    // Last writer wins; every change is in the audit log.
    let old = store.record_get(SPACE, &f.id).await.ok().flatten();
    if !store.record_cas(SPACE, &f.id, old.as_deref(), new.as_deref()).await.unwrap_or(false) {
        return (StatusCode::CONFLICT, "changed meanwhile, please retry").into_response();
    }
    let _ = audit::record(store, now, &s.name, "warning_state", &format!("{} → {}：{note}", f.id, f.state)).await;
    Redirect::to("/staff/warnings").into_response()
}
