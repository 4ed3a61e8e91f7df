//! Improving the answers: annotations on logged messages (editor: correct
//! category, the right FAQ entry, "FAQ gap", a note), the queue of
//! unanswered questions grouped by similarity and sorted by group size, and
//! the export of annotated questions as example utterances.

use super::accounts::Role;
use super::audit;
use super::dashboard::Range;
use super::web::{Filters, bad_csrf, csrf_ok, find, page, require, time_text};
use crate::app::AppState;
use crate::app::error::{FormBody, Params};
use crate::app::html::escape;
use crate::store::{LogEntry, Store, StoreError};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

const SPACE: &str = "annotations";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Annotation {
    pub category: Option<String>,
    pub faq: Option<String>,
    pub gap: bool,
    pub note: String,
    /// The annotated message (masked as logged), for the examples export.
    pub text: String,
    pub by: String,
    pub at: i64,
}

/// The record key of a log entry: time then id, so keys sort by time.
pub fn key(ts: i64, id: u64) -> String {
    format!("{:020}-{id:020}", ts.max(0))
}

pub async fn get(store: &dyn Store, ts: i64, id: u64) -> Result<Option<Annotation>, StoreError> {
    match store.record_get(SPACE, &key(ts, id)).await? {
        Some(v) => Ok(serde_json::from_slice(&v).ok()),
        None => Ok(None),
    }
}

/// One line describing an annotation, for lists.
pub fn summary(a: &Annotation) -> String {
    let mut parts = Vec::new();
    if let Some(c) = &a.category {
        parts.push(format!("类别→{c}"));
    }
    if let Some(f) = &a.faq {
        parts.push(format!("FAQ→{f}"));
    }
    if a.gap {
        parts.push("FAQ缺口".into());
    }
    if !a.note.is_empty() {
        parts.push(a.note.clone());
    }
    parts.join("；")
}

/// The annotation form for one log entry (editors).
pub fn form(app: &AppState, csrf: &str, e: &LogEntry, current: Option<&Annotation>, back: &str) -> String {
    let dir = &app.bot.engine.content.directory;
    let mut cats = String::from(r#"<option value="">（类别不变）</option>"#);
    for (id, c) in &dir.categories {
        let sel = if current.and_then(|a| a.category.as_deref()) == Some(id.as_str()) { " selected" } else { "" };
        let _ = write!(cats, r#"<option value="{}"{sel}>{}</option>"#, escape(id), escape(&c.name));
    }
    format!(
        r#"<form method="post" action="/staff/annotate" class="annotate"><input type="hidden" name="csrf" value="{}"><input type="hidden" name="entry" value="{}-{}"><input type="hidden" name="back" value="{}">
<select name="category">{cats}</select> <input name="faq" placeholder="FAQ id" value="{}" size="12"> <label><input type="checkbox" name="gap" value="1"{}> FAQ缺口</label> <input name="note" placeholder="备注" value="{}" size="16"> <button>标注</button></form>"#,
        escape(csrf),
        e.record.ts,
        e.id,
        escape(back),
        escape(current.and_then(|a| a.faq.as_deref()).unwrap_or("")),
        if current.is_some_and(|a| a.gap) { " checked" } else { "" },
        escape(current.map(|a| a.note.as_str()).unwrap_or("")),
    )
}

#[derive(Debug, Deserialize)]
pub struct AnnotateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    entry: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    faq: String,
    #[serde(default)]
    gap: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    back: String,
}

pub async fn annotate(
    State(app): State<AppState>,
    headers: HeaderMap,
    FormBody(f): FormBody<AnnotateForm>,
) -> Response {
    let s = match require(&app, &headers, Role::Editor).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !csrf_ok(&s, &f.csrf) {
        return bad_csrf();
    }
    let bad = |msg: &str| (StatusCode::BAD_REQUEST, msg.to_string()).into_response();
    let Some((ts, id)) =
        f.entry.split_once('-').and_then(|(t, i)| Some((t.parse::<i64>().ok()?, i.parse::<u64>().ok()?)))
    else {
        return bad("bad entry");
    };
    let content = &app.bot.engine.content;
    let category = Some(f.category.trim().to_string()).filter(|c| !c.is_empty());
    if category.as_ref().is_some_and(|c| !content.directory.categories.contains_key(c)) {
        return bad("unknown category");
    }
    let faq = Some(f.faq.trim().to_string()).filter(|c| !c.is_empty());
    if faq.as_ref().is_some_and(|id| !content.faq.iter().any(|e| &e.id == id)) {
        return bad("unknown FAQ id");
    }
    let store = &*app.bot.store;
    let Ok(found) = store.log_range(ts, ts + 1, None, 10_000).await else { return bad("log unavailable") };
    let Some(entry) = found.into_iter().find(|e| e.id == id) else { return bad("no such entry") };
    let now = (app.clock)();
    let a = Annotation {
        category,
        faq,
        gap: f.gap == "1",
        note: f.note.chars().filter(|c| !c.is_control()).take(300).collect(),
        text: entry.record.input.clone(),
        by: s.name.clone(),
        at: now,
    };
    let k = key(ts, id);
    let bytes = serde_json::to_vec(&a).unwrap_or_default();
    // Last writer wins for an annotation; both are in the audit log.
    let old = store.record_get(SPACE, &k).await.ok().flatten();
    if !store.record_cas(SPACE, &k, old.as_deref(), Some(&bytes)).await.unwrap_or(false) {
        return (StatusCode::CONFLICT, "changed meanwhile, please retry").into_response();
    }
    let _ = audit::record(store, now, &s.name, "annotate", &format!("{k}: {}", summary(&a))).await;
    let back = if f.back.starts_with("/staff/") { f.back } else { "/staff/queries".into() };
    Redirect::to(&back).into_response()
}

type Shingles = HashSet<(char, char)>;

/// Character bigrams of the text without spaces and punctuation.
fn shingles(t: &str) -> Shingles {
    let cs: Vec<char> = t.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
    cs.windows(2).map(|w| (w[0], w[1])).collect()
}

/// Groups similar questions (greedy, against each group's first member):
/// each question joins the first group whose first member shares at least
/// `threshold` of their bigrams (Jaccard), else starts a group. Candidate
/// groups come from an index of bigrams, so a question is compared only
/// with groups it shares a bigram with, not with every group.
pub fn group(entries: &[LogEntry], threshold: f64) -> Vec<Vec<&LogEntry>> {
    let mut sizes: Vec<usize> = Vec::new();
    let mut members: Vec<Vec<&LogEntry>> = Vec::new();
    let mut index: HashMap<(char, char), Vec<usize>> = HashMap::new();
    for e in entries {
        let sh = shingles(&e.record.input);
        let mut shared: HashMap<usize, usize> = HashMap::new();
        for b in &sh {
            for &g in index.get(b).map(Vec::as_slice).unwrap_or_default() {
                *shared.entry(g).or_default() += 1;
            }
        }
        let joins = shared
            .iter()
            .filter(|&(&g, &inter)| {
                let union = (sizes[g] + sh.len() - inter) as f64;
                union > 0.0 && inter as f64 / union >= threshold
            })
            .map(|(&g, _)| g)
            .min();
        match joins {
            Some(g) => members[g].push(e),
            None => {
                let g = members.len();
                for b in &sh {
                    index.entry(*b).or_default().push(g);
                }
                sizes.push(sh.len());
                members.push(vec![e]);
            }
        }
    }
    members.sort_by_key(|g| std::cmp::Reverse(g.len()));
    members
}

/// Groups shown on the unanswered page.
const SHOWN_GROUPS: usize = 100;

/// The unanswered queue as the page shows it.
#[derive(Debug, Clone)]
struct Queue {
    questions: usize,
    groups: Vec<QueueGroup>,
}

#[derive(Debug, Clone)]
struct QueueGroup {
    count: usize,
    samples: Vec<String>,
    /// The newest question's time and its transcript's query string.
    ts: i64,
    link: String,
}

async fn queue(store: &dyn crate::store::Store, f: &Filters) -> Result<Queue, String> {
    let (rows, _) = find(store, f, 5_000).await?;
    let typed: Vec<LogEntry> = rows.into_iter().filter(|e| e.record.input_kind == "text").collect();
    let groups = group(&typed, 0.5);
    let mut shown = Vec::new();
    for g in groups.iter().take(SHOWN_GROUPS) {
        let first = g[0];
        let link = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("channel", &first.record.channel)
            .append_pair("user", &first.record.user)
            .finish();
        let samples = g.iter().take(3).map(|e| e.record.input.chars().take(200).collect()).collect();
        shown.push(QueueGroup { count: g.len(), samples, ts: first.record.ts, link });
    }
    Ok(Queue { questions: typed.len(), groups: shown })
}

pub async fn unanswered(State(app): State<AppState>, headers: HeaderMap, Params(r): Params<Range>) -> Response {
    let s = match require(&app, &headers, Role::Viewer).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let f = Filters {
        status: "unmatched".into(),
        from: r.from.clone(),
        to: r.to.clone(),
        src: r.src.clone(),
        ..Filters::default()
    };
    let key = format!("unanswered:{}:{}:{}", f.from, f.to, f.src);
    let store = app.bot.store.clone();
    let Some(Ok(queue)) = app.heavy.run(&key, async move { queue(&*store, &f).await }).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "读取记录失败").into_response();
    };
    let mut b = format!(
        r#"<form class="filters" method="get"><input name="from" placeholder="起 YYYY-MM-DD" value="{}"> <input name="to" placeholder="止 YYYY-MM-DD" value="{}"> <input name="src" placeholder="来源标签" value="{}"> <button>筛选</button></form>
<p class="muted">{} 条没看懂的文字提问，归为 {} 组，按组的大小排列：先为大组写 FAQ 或补充例句。</p><table><tr><th>次数</th><th>问题（示例）</th><th>最近一次</th><th></th></tr>"#,
        escape(&r.from),
        escape(&r.to),
        escape(&r.src),
        queue.questions,
        queue.groups.len()
    );
    for g in queue.groups.iter().take(SHOWN_GROUPS) {
        let samples: Vec<String> = g.samples.iter().map(|t| escape(t)).collect();
        let _ = write!(
            b,
            r#"<tr><td>{}</td><td class="text">{}</td><td>{}</td><td><a href="/staff/transcript?{}">对话与标注</a></td></tr>"#,
            g.count,
            samples.join("<br>"),
            time_text(g.ts),
            escape(&g.link)
        );
    }
    b.push_str("</table>");
    if s.role >= Role::Editor {
        b.push_str(
            r#"<p><a href="/staff/annotations.toml">把已标注类别的问题导出为例句（examples.toml 格式）</a></p>"#,
        );
    }
    page("未解答的问题", Some(&s), &b)
}

/// Annotated questions as example utterances, ready to merge into
/// `dialogs/understand/examples.toml` after review.
pub async fn export_examples(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let s = match require(&app, &headers, Role::Editor).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let rows = app.bot.store.record_scan(SPACE, "", usize::MAX).await.unwrap_or_default();
    let mut by_cat: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (_, v) in rows {
        if let Ok(a) = serde_json::from_slice::<Annotation>(&v) {
            if let Some(c) = a.category {
                let t: String = a.text.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(200).collect();
                if !t.is_empty() && !by_cat.get(&c).is_some_and(|v| v.contains(&t)) {
                    by_cat.entry(c).or_default().push(t);
                }
            }
        }
    }
    #[derive(Serialize)]
    struct File {
        examples: BTreeMap<String, Vec<String>>,
    }
    let n: usize = by_cat.values().map(Vec::len).sum();
    let body = format!(
        "# Annotated questions from the staff console, as example utterances.\n# Review (personal data was masked when logged) and merge into dialogs/understand/examples.toml.\n{}",
        toml::to_string(&File { examples: by_cat }).unwrap_or_default()
    );
    let now = (app.clock)();
    let _ = audit::record(&*app.bot.store, now, &s.name, "export_examples", &format!("{n} examples")).await;
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"annotated-examples.toml\""),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::reply::LogRecord;

    fn e(id: u64, text: &str) -> LogEntry {
        let record = LogRecord {
            ts: 1,
            channel: "web".into(),
            user: "u".into(),
            source: None,
            node_from: "main".into(),
            node: "main".into(),
            input_kind: "text".into(),
            input: text.into(),
            ..LogRecord::default()
        };
        LogEntry { id, record }
    }

    #[test]
    fn similar_questions_form_groups_biggest_first() {
        let rows = vec![
            e(1, "公积金怎么提取"),
            e(2, "请问电动车上牌在哪里办"),
            e(3, "公积金怎么提取？"),
            e(4, "公积金 怎么 提取呀"),
            e(5, "电动车上牌在哪里办理"),
            e(6, "今天天气"),
        ];
        let g = group(&rows, 0.5);
        let sizes: Vec<usize> = g.iter().map(Vec::len).collect();
        assert_eq!(sizes, [3, 2, 1]);
        assert_eq!(g[0][0].id, 1);
    }
}
