//! The year's figures in the console (`/staff/report`): the section for the
//! 法治政府建设情况报告 ready to copy, the tables behind it, and the same
//! as Markdown, CSV and JSON. Built from the daily aggregates
//! (`analysis::keep`), on the heavy-view pool; also the routes of the 研判
//! pages (`warnings`), registered here in one place.

use super::accounts::Role;
use super::audit;
use super::web::{page, require};
use crate::analysis::year::{self, Names, YearReport, medium_name};
use crate::app::AppState;
use crate::app::error::Params;
use crate::app::html::escape;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use std::fmt::Write as _;

/// The routes of the 研判 and year-report pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/warnings", get(super::warnings::page))
        .route("/staff/warnings/state", post(super::warnings::set_state))
        .route("/staff/report", get(page_handler))
        .route("/staff/report.md", get(download_md))
        .route("/staff/report.csv", get(download_csv))
        .route("/staff/report.json", get(download_json))
}

/// The year report (cached for `heavy::CACHE_SECS`).
pub async fn year_report(app: &AppState, y: i32) -> Result<YearReport, String> {
    let now = (app.clock)();
    let names = Names::from_directory(&app.bot.engine().content.directory);
    let store = app.bot.store.clone();
    let work =
        async move { crate::analysis::keep::from_store(&*store, y, now, &names).await.map_err(|e| e.to_string()) };
    app.heavy.run(&format!("report:{y}"), work).await.unwrap_or_else(|| Err("busy".into()))
}

#[derive(Debug, Default, Deserialize)]
pub struct YearParam {
    #[serde(default)]
    year: String,
}

/// The year asked for (default: this year, China time).
fn year_of(app: &AppState, p: &YearParam) -> Result<i32, String> {
    if p.year.trim().is_empty() {
        return crate::analysis::day_of((app.clock)()).map(|d| d.year()).ok_or_else(|| "clock".into());
    }
    let y = p.year.trim().parse::<i32>().map_err(|_| "`year` is not a year (YYYY)".to_string())?;
    crate::analysis::keep::check_year(y)
}

fn table(head: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut t = String::from("<table><tr>");
    for h in head {
        let _ = write!(t, "<th>{}</th>", escape(h));
    }
    t.push_str("</tr>");
    for r in rows {
        t.push_str("<tr>");
        for c in r {
            let _ = write!(t, "<td>{}</td>", escape(&c));
        }
        t.push_str("</tr>");
    }
    t.push_str("</table>");
    t
}

fn body(r: &YearReport) -> String {
    let y = r.year;
    let mut b = format!(
        r#"<form class="filters" method="get"><input name="year" value="{y}" size="6" aria-label="年份"> <button>查看</button></form>
<p><a href="/staff/report.md?year={y}">下载 Markdown</a> · <a href="/staff/report.csv?year={y}">下载 CSV</a> · <a href="/staff/report.json?year={y}">下载 JSON</a></p>
<h2>可写入年度法治政府建设情况报告的一段</h2><p class="muted">只有数字，没有评价；人次为每天不同的对话数之和。</p>
<pre id="section" style="white-space: pre-wrap; background: #f6f8fa; padding: 10px; max-width: 900px;">{}</pre>"#,
        escape(&year::section(r))
    );
    let chans: Vec<&String> = r.by_channel.keys().collect();
    let mut head = vec!["月份".to_string(), "人次".into(), "消息".into()];
    head.extend(chans.iter().map(|c| format!("{} 人次", medium_name(c))));
    let head: Vec<&str> = head.iter().map(String::as_str).collect();
    let months = r.months.iter().map(|m| {
        let mut row = vec![format!("{} 月", m.month), m.people.to_string(), m.messages.to_string()];
        row.extend(chans.iter().map(|c| m.by_channel.get(*c).map_or(0, |x| x.people).to_string()));
        row
    });
    let _ = write!(b, "<h2>按月</h2>{}", table(&head, months));
    let days = r.sources.iter().flat_map(|s| {
        s.days.iter().map(|d| vec![s.tag.clone(), d.date.clone(), d.people.to_string(), d.messages.to_string()])
    });
    let _ = write!(
        b,
        "<h2>来源标签（现场咨询点、宣传日）每日服务人次</h2>{}",
        table(&["来源标签", "日期", "人次", "消息"], days)
    );
    let cats = r.categories.iter().map(|c| vec![c.name.clone(), c.people.to_string()]);
    let _ = write!(b, "<h2>咨询事项（按人次）</h2>{}", table(&["事项", "人次"], cats));
    let mut pointed: Vec<Vec<String>> = r.pointed.iter().map(|p| vec![p.name.clone(), p.people.to_string()]).collect();
    pointed.push(vec!["指引至信访以外的途径（合计）".into(), r.pointed_other.to_string()]);
    pointed.push(vec!["指引至信访（合计）".into(), r.pointed_xinfang.to_string()]);
    let _ = write!(b, r#"<h2>指引途径（诉访分离）</h2><div id="pointed">{}</div>"#, table(&["途径", "人次"], pointed));
    let pct = |x: Option<f64>| x.map(|v| format!("{:.1}%", v * 100.0)).unwrap_or_else(|| "—".into());
    let f = &r.feedback;
    let rows = [
        ("文字提问", r.typed.to_string()),
        ("其中能识别事项", r.understood.to_string()),
        ("识别比例", pct(r.understood_share())),
        ("直接答复", r.direct.to_string()),
        ("直接答复未被否定比例", pct(r.direct_kept_share())),
        ("有帮助", f.helpful.to_string()),
        ("没帮助", f.not_helpful.to_string()),
        ("有帮助比例", pct(r.helpful_share())),
        ("留言意见", f.comments.to_string()),
    ];
    let _ = write!(b, "<h2>理解与评价</h2>{}", table(&["项目", "数量"], rows.map(|(k, v)| vec![k.to_string(), v])));
    let top = r.unanswered.iter().map(|(t, n)| vec![t.clone(), n.to_string()]);
    let _ = write!(b, "<h2>未能识别的常见提问（已隐去个人信息）</h2>{}", table(&["提问", "次数"], top));
    b
}

async fn page_handler(State(app): State<AppState>, headers: HeaderMap, Params(p): Params<YearParam>) -> Response {
    let s = match require(&app, &headers, Role::Viewer).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let y = match year_of(&app, &p) {
        Ok(y) => y,
        Err(e) => return (StatusCode::BAD_REQUEST, e).into_response(),
    };
    match year_report(&app, y).await {
        Ok(r) => page(&format!("{y} 年度数据"), Some(&s), &body(&r)),
        Err(e) => {
            tracing::error!(error = %e, "year report failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "读取记录失败").into_response()
        }
    }
}

async fn download(app: AppState, headers: HeaderMap, p: YearParam, format: &'static str) -> Response {
    let s = match require(&app, &headers, Role::Viewer).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let y = match year_of(&app, &p) {
        Ok(y) => y,
        Err(e) => return (StatusCode::BAD_REQUEST, e).into_response(),
    };
    let r = match year_report(&app, y).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "year report failed");
            return (StatusCode::INTERNAL_SERVER_ERROR, "读取记录失败").into_response();
        }
    };
    let Ok(text) = crate::analysis::year::render(&r, format) else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "生成失败").into_response();
    };
    let _ = audit::record(&*app.bot.store, (app.clock)(), &s.name, "export_report", &format!("{y} {format}")).await;
    let (mime, ext) = match format {
        "md" => ("text/markdown; charset=utf-8", "md"),
        "csv" => ("text/csv; charset=utf-8", "csv"),
        _ => ("application/json", "json"),
    };
    let disposition = format!("attachment; filename=\"report-{y}.{ext}\"");
    ([(header::CONTENT_TYPE, mime.to_string()), (header::CONTENT_DISPOSITION, disposition)], text).into_response()
}

async fn download_md(State(app): State<AppState>, headers: HeaderMap, Params(p): Params<YearParam>) -> Response {
    download(app, headers, p, "md").await
}

async fn download_csv(State(app): State<AppState>, headers: HeaderMap, Params(p): Params<YearParam>) -> Response {
    download(app, headers, p, "csv").await
}

async fn download_json(State(app): State<AppState>, headers: HeaderMap, Params(p): Params<YearParam>) -> Response {
    download(app, headers, p, "json").await
}
