//! The dashboard: people and messages per day, per channel, category and
//! source tag; answered vs not understood; feedback; the top questions —
//! as server-rendered SVG charts (no external assets), with the same
//! numbers as CSV and JSON.

use super::accounts::Role;
use super::web::{Staff, render, require};
use crate::app::AppState;
use crate::app::error::Params;
use crate::stats::{self, Count, Report};
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// A date range and source tag from a console form (YYYY-MM-DD, "" = default).
#[derive(Debug, Default, Deserialize)]
pub struct Range {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub src: String,
    /// CSV: `en` for English column names.
    #[serde(default)]
    pub header: String,
}

/// The report for the range (default: the last 30 days, China time); an
/// error in Chinese for a bad date or tag.
async fn report(app: &AppState, r: &Range) -> Result<Report, String> {
    let today = crate::engine::dates::today((app.clock)()).ok_or("时钟不可用")?;
    let from = super::web::day_field("起始日期", &r.from)?.unwrap_or(today - time::Duration::days(29));
    let to = super::web::day_field("截止日期", &r.to)?.unwrap_or(today);
    if from > to {
        return Err(format!("起始日期 {from} 晚于截止日期 {to}。"));
    }
    let src = crate::app::source_tag(Some(&r.src)).map_err(|_| "来源标签只能由 1-32 个字母、数字、- 或 _ 组成。")?;
    let q = crate::stats::Query { src, from, to };
    // Folding every record of the range: off the request workers, reused.
    let key = format!("dashboard:{:?}:{}:{}", q.src, q.from, q.to);
    let store = app.bot.store.clone();
    let work = async move { crate::stats::from_store(&*store, &q).await.map_err(|e| e.to_string()) };
    app.heavy.run(&key, work).await.unwrap_or_else(|| Err("系统忙，请稍后再试。".into()))
}

/// An SVG chart as shapes, drawn by `staff/chart.html` (text escaped there).
pub(crate) struct Chart {
    w: f64,
    h: f64,
    label: String,
    lines: Vec<Line>,
    rects: Vec<Rect>,
    texts: Vec<Text>,
}

struct Line {
    class: &'static str,
    x1: f64,
    y1: f64,
    x2: f64,
    y2: f64,
}

struct Rect {
    x: String,
    y: String,
    w: String,
    h: String,
    fill: &'static str,
    title: String,
}

struct Text {
    x: String,
    y: String,
    anchor: &'static str,
    text: String,
}

fn num(v: f64) -> String {
    format!("{v:.1}")
}

impl Chart {
    fn text(&mut self, x: f64, y: f64, anchor: &'static str, text: impl Into<String>) {
        self.texts.push(Text { x: num(x), y: num(y), anchor, text: text.into() });
    }

    fn rect(&mut self, (x, y, w, h): (f64, f64, f64, f64), fill: &'static str, title: String) {
        self.rects.push(Rect { x: num(x), y: num(y), w: num(w), h: num(h), fill, title });
    }
}

/// A round step for an axis from 0 to at least `max`, about four ticks.
fn tick_step(max: u64) -> u64 {
    let raw = (max.max(1) as f64 / 4.0).ceil() as u64;
    let mag = 10u64.pow(raw.max(1).ilog10());
    [1, 2, 5, 10].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(raw)
}

/// Vertical bars, one pair per day: messages (blue) and people (orange),
/// with a y axis (ticks and numbers), dates under the bars and each count
/// above its bar when there is room.
fn day_chart(r: &Report) -> Chart {
    let (w, h, left, bottom, top) = (780.0, 260.0, 48.0, 34.0, 18.0);
    let step = tick_step(r.days.iter().map(|d| d.messages.max(d.sessions)).max().unwrap_or(0));
    let ticks = r.days.iter().map(|d| d.messages.max(d.sessions)).max().unwrap_or(0).div_ceil(step).max(1);
    let max = (step * ticks) as f64;
    let plot = h - bottom - top;
    let mut c =
        Chart { w, h, label: "每日消息与人数".into(), lines: Vec::new(), rects: Vec::new(), texts: Vec::new() };
    for i in 0..=ticks {
        let v = step * i;
        let y = h - bottom - v as f64 / max * plot;
        c.lines.push(Line { class: if i == 0 { "axis" } else { "grid" }, x1: left, y1: y, x2: w - 8.0, y2: y });
        c.text(left - 6.0, y + 4.0, "end", v.to_string());
    }
    c.lines.push(Line { class: "axis", x1: left, y1: top, x2: left, y2: h - bottom });
    let n = r.days.len().max(1) as f64;
    let slot = ((w - left - 16.0) / n).min(56.0);
    let room = slot >= 30.0;
    for (i, d) in r.days.iter().enumerate() {
        let x = left + 4.0 + i as f64 * slot;
        let bw = (slot / 2.0 - 2.0).max(1.0);
        for (j, (v, fill, what)) in
            [(d.messages, "#1d4f91", "消息"), (d.sessions, "#e07b00", "人数")].into_iter().enumerate()
        {
            let bh = v as f64 / max * plot;
            let bx = x + j as f64 * bw;
            c.rect((bx, h - bottom - bh, bw, bh), fill, format!("{} {what}：{v}", d.date));
            if room {
                c.text(bx + bw / 2.0, h - bottom - bh - 3.0, "middle", v.to_string());
            }
        }
        if r.days.len() <= 16 || i % (r.days.len() / 8).max(1) == 0 {
            c.text(x + bw, h - bottom + 18.0, "middle", d.date.get(5..).unwrap_or(&d.date));
        }
    }
    c
}

/// Horizontal bars for a ranking, each with its name and number.
fn bars(title: &str, items: &[Count], name: impl Fn(&str) -> String) -> Option<Chart> {
    if items.is_empty() {
        return None;
    }
    let max = items.iter().map(|c| c.count).max().unwrap_or(1).max(1) as f64;
    let row = 26.0;
    let h = row * items.len() as f64 + 6.0;
    let mut c =
        Chart { w: 780.0, h, label: title.to_string(), lines: Vec::new(), rects: Vec::new(), texts: Vec::new() };
    c.lines.push(Line { class: "axis", x1: 420.0, y1: 0.0, x2: 420.0, y2: h });
    for (i, item) in items.iter().enumerate() {
        let y = i as f64 * row + 3.0;
        let bw = item.count as f64 / max * 300.0;
        let label: String = name(&item.key).chars().take(30).collect();
        c.text(412.0, y + 16.0, "end", label.clone());
        c.rect((420.0, y, bw, row - 8.0), "#1d4f91", format!("{label}：{}", item.count));
        c.text(426.0 + bw, y + 16.0, "start", item.count.to_string());
    }
    Some(c)
}

#[derive(Template)]
#[template(path = "staff/dashboard.html")]
struct DashboardPage<'a> {
    title: &'a str,
    staff: Option<&'a Staff>,
    from: String,
    to: String,
    src: String,
    error: String,
    rep: Option<Report>,
    share: String,
    qs: String,
    charts: Vec<(&'static str, Option<Chart>)>,
    /// Open danger alerts, then 研判: danger turns and warning counts
    /// (`alerts::banner`, `warnings::banner`, built with every value escaped).
    banner: String,
}

pub async fn page(State(app): State<AppState>, headers: HeaderMap, Params(r): Params<Range>) -> Response {
    let s = match require(&app, &headers, Role::Viewer).await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let mut page = DashboardPage {
        title: "数据看板",
        staff: Some(&s),
        from: r.from.clone(),
        to: r.to.clone(),
        src: r.src.clone(),
        error: String::new(),
        rep: None,
        share: String::new(),
        qs: String::new(),
        charts: Vec::new(),
        banner: format!("{}{}", super::alerts::banner(&app).await, super::warnings::banner(&app).await),
    };
    let rep = match report(&app, &r).await {
        Ok(x) => x,
        Err(e) => {
            page.error = e;
            return render(&page, StatusCode::BAD_REQUEST);
        }
    };
    let cat_name = |k: &str| super::web::category_name(&app, k);
    page.qs = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("from", &rep.from)
        .append_pair("to", &rep.to)
        .append_pair("src", rep.src.as_deref().unwrap_or(""))
        .finish();
    page.share = rep.understood_share.map(|u| format!("（理解率 {:.0}%）", u * 100.0)).unwrap_or_default();
    if let Some(k) = rep.direct_kept_share {
        // How the chat measures its direct answers (issue 27).
        page.share.push_str(&format!("（直接回答 {} 次，未被否定 {:.0}%）", rep.direct_answers, k * 100.0));
    }
    page.charts = vec![
        ("每日消息（蓝）与人数（橙）", Some(day_chart(&rep))),
        ("问题类别（按人数）", bars("问题类别（按人数）", &rep.top_categories, cat_name)),
        ("渠道（消息数）", bars("渠道（消息数）", &rep.by_channel, |k| super::web::channel_name(k).to_string())),
        (
            "来源标签（消息数）",
            bars("来源标签（消息数）", &rep.by_source, |k| {
                if k.is_empty() { "（无标签）".into() } else { k.to_string() }
            }),
        ),
        ("常见提问", bars("常见提问", &rep.top_questions, str::to_string)),
    ];
    (page.from, page.to) = (rep.from.clone(), rep.to.clone());
    page.rep = Some(rep);
    render(&page, StatusCode::OK)
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
            stats::csv(&rep, r.header == "en"),
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
