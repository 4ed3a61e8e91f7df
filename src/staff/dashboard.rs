//! The dashboard: people and messages per day, per channel, category and
//! source tag; answered vs not understood; feedback; the top questions —
//! as server-rendered SVG charts (no external assets), with the same
//! numbers as CSV and JSON.

use super::accounts::Role;
use super::web::require;
use crate::app::AppState;
use crate::app::error::Params;
use crate::app::html::escape;
use crate::stats::{self, Count, Report};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::fmt::Write as _;

/// A date range and source tag from a console form (YYYY-MM-DD, "" = default).
#[derive(Debug, Default, Deserialize)]
pub struct Range {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub src: String,
}

/// The report for the range (default: the last 30 days, China time).
async fn report(app: &AppState, r: &Range) -> Result<Report, String> {
    let today = crate::engine::dates::today((app.clock)()).ok_or("clock")?;
    let or = |s: &str, d: time::Date| if s.trim().is_empty() { d.to_string() } else { s.to_string() };
    let from = or(&r.from, today - time::Duration::days(29));
    let q = crate::stats::query(Some(&r.src), &from, &or(&r.to, today))?;
    // Folding every record of the range: off the request workers, reused.
    let key = format!("dashboard:{:?}:{}:{}", q.src, q.from, q.to);
    let store = app.bot.store.clone();
    let work = async move { crate::cli::stats::from_store(&*store, &q).await.map_err(|e| e.to_string()) };
    app.heavy.run(&key, work).await.unwrap_or_else(|| Err("busy".into()))
}

/// Vertical bars: one per day, messages (blue) and people (orange).
fn day_chart(r: &Report) -> String {
    let (w, h, pad) = (760.0, 220.0, 30.0);
    let max = r.days.iter().map(|d| d.messages.max(d.sessions)).max().unwrap_or(0).max(1) as f64;
    let n = r.days.len().max(1) as f64;
    let slot = ((w - 2.0 * pad) / n).min(48.0);
    let mut svg = format!(
        r##"<svg class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="每日消息与人数"><line x1="{pad}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="#999"/>"##,
        y0 = h - pad,
        x1 = w - pad
    );
    for (i, d) in r.days.iter().enumerate() {
        let x = pad + i as f64 * slot;
        let bw = (slot / 2.0 - 1.0).max(1.0);
        for (j, (v, color)) in [(d.messages, "#1d4f91"), (d.sessions, "#e07b00")].into_iter().enumerate() {
            let bh = v as f64 / max * (h - 2.0 * pad);
            let _ = write!(
                svg,
                r#"<rect x="{:.1}" y="{:.1}" width="{bw:.1}" height="{bh:.1}" fill="{color}"><title>{} {}：{v}</title></rect>"#,
                x + j as f64 * bw,
                h - pad - bh,
                escape(&d.date),
                if j == 0 { "消息" } else { "人数" }
            );
        }
        if r.days.len() <= 16 || i % (r.days.len() / 8).max(1) == 0 {
            let _ = write!(
                svg,
                r#"<text x="{x:.1}" y="{:.1}" font-size="10">{}</text>"#,
                h - pad + 14.0,
                escape(&d.date[5..])
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Horizontal bars for a ranking.
fn bars(title: &str, items: &[Count], name: impl Fn(&str) -> String) -> String {
    if items.is_empty() {
        return format!("<h2>{}</h2><p class=\"muted\">没有数据</p>", escape(title));
    }
    let max = items.iter().map(|c| c.count).max().unwrap_or(1).max(1) as f64;
    let row = 22.0;
    let h = row * items.len() as f64 + 4.0;
    let mut svg = format!(
        r#"<h2>{}</h2><svg class="chart" viewBox="0 0 760 {h}" width="760" height="{h}" role="img" aria-label="{}">"#,
        escape(title),
        escape(title)
    );
    for (i, c) in items.iter().enumerate() {
        let y = i as f64 * row + 2.0;
        let bw = c.count as f64 / max * 300.0;
        let label: String = name(&c.key).chars().take(40).collect();
        let _ = write!(
            svg,
            r##"<text x="0" y="{:.1}" font-size="12">{}</text><rect x="420" y="{y:.1}" width="{bw:.1}" height="{:.1}" fill="#1d4f91"/><text x="{:.1}" y="{:.1}" font-size="12">{}</text>"##,
            y + 14.0,
            escape(&label),
            row - 6.0,
            424.0 + bw,
            y + 14.0,
            c.count
        );
    }
    svg.push_str("</svg>");
    svg
}

pub async fn page(State(app): State<AppState>, headers: HeaderMap, Params(r): Params<Range>) -> Response {
    let s = match require(&app, &headers, Role::Viewer).await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let rep = match report(&app, &r).await {
        Ok(x) => x,
        Err(e) => return (StatusCode::BAD_REQUEST, e).into_response(),
    };
    let cats = &app.bot.engine.content.directory.categories;
    let cat_name = |k: &str| cats.get(k).map(|c| c.name.clone()).unwrap_or_else(|| k.to_string());
    let f = &rep.feedback;
    let qs = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("from", &rep.from)
        .append_pair("to", &rep.to)
        .append_pair("src", rep.src.as_deref().unwrap_or(""))
        .finish();
    // Danger turns and the count of warnings first (研判, `warnings`).
    let mut b = super::warnings::banner(&app).await;
    let _ = write!(
        b,
        r#"<form class="filters" method="get"><input name="from" value="{}"> <input name="to" value="{}"> <input name="src" placeholder="来源标签" value="{}"> <button>查看</button></form>
<p>人数 <b id="people">{}</b> · 消息 <b id="messages">{}</b> · 没看懂的文字提问 <b>{}</b>{} · 有帮助 <b>{}</b> · 没帮助 <b>{}</b> · 意见 <b>{}</b></p>
<p><a href="/staff/dashboard.csv?{q}">下载 CSV</a> · <a href="/staff/dashboard.json?{q}">下载 JSON</a></p><h2>每日消息（蓝）与人数（橙）</h2>"#,
        escape(&rep.from),
        escape(&rep.to),
        escape(rep.src.as_deref().unwrap_or("")),
        rep.sessions,
        rep.messages,
        rep.unmatched,
        rep.understood_share.map(|u| format!("（理解率 {:.0}%）", u * 100.0)).unwrap_or_default(),
        f.helpful,
        f.not_helpful,
        f.comments,
        q = escape(&qs)
    );
    b.push_str(&day_chart(&rep));
    b.push_str(&bars("问题类别（按人数）", &rep.top_categories, cat_name));
    b.push_str(&bars("渠道（消息数）", &rep.by_channel, str::to_string));
    b.push_str(&bars("来源标签（消息数）", &rep.by_source, |k| {
        if k.is_empty() { "（无标签）".into() } else { k.to_string() }
    }));
    b.push_str(&bars("常见提问", &rep.top_questions, str::to_string));
    super::web::page("数据看板", Some(&s), &b)
}

pub async fn csv(State(app): State<AppState>, headers: HeaderMap, Params(r): Params<Range>) -> Response {
    if let Err(resp) = require(&app, &headers, Role::Viewer).await {
        return resp;
    }
    match report(&app, &r).await {
        Ok(rep) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"dashboard.csv\""),
            ],
            stats::csv(&rep),
        )
            .into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, e).into_response(),
    }
}

pub async fn json(State(app): State<AppState>, headers: HeaderMap, Params(r): Params<Range>) -> Response {
    if let Err(resp) = require(&app, &headers, Role::Viewer).await {
        return resp;
    }
    match report(&app, &r).await {
        Ok(rep) => axum::Json(rep).into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, e).into_response(),
    }
}
