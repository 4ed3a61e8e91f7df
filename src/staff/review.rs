//! Improving the answers: annotations on logged messages (editor: correct
//! category, the right FAQ entry, "FAQ gap", a note), the queue of
//! unanswered questions grouped by similarity and sorted by group size, and
//! the export of annotated questions as example utterances.

use super::accounts::Role;
use super::audit;
use super::dashboard::Range;
use super::web::{Filters, Select, Staff, bad_csrf, csrf_ok, render, require, time_text};
use crate::app::AppState;
use crate::app::error::{FormBody, Params};
use crate::store::{LogEntry, Store, StoreError};
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

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

/// The annotations of many log entries, read at once: one scan over the
/// key range the entries span (keys sort by time), not a lookup per row.
pub async fn for_entries(store: &dyn Store, entries: &[LogEntry]) -> HashMap<(i64, u64), Annotation> {
    let keys: HashSet<String> = entries.iter().map(|e| key(e.record.ts, e.id)).collect();
    let (Some(lo), Some(hi)) = (keys.iter().min(), keys.iter().max()) else { return HashMap::new() };
    let common = lo.bytes().zip(hi.bytes()).take_while(|(a, b)| a == b).count();
    let rows = match store.record_scan(SPACE, &lo[..common], usize::MAX).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "reading annotations failed");
            return HashMap::new();
        }
    };
    rows.into_iter()
        .filter(|(k, _)| keys.contains(k))
        .filter_map(|(k, v)| {
            let (ts, id) = k.split_once('-')?;
            Some(((ts.parse().ok()?, id.parse().ok()?), serde_json::from_slice(&v).ok()?))
        })
        .collect()
}

/// One line describing an annotation, for lists.
pub fn summary(app: &AppState, a: &Annotation) -> String {
    let mut parts = Vec::new();
    if let Some(c) = &a.category {
        parts.push(format!("类别→{}", super::web::category_name(app, c)));
    }
    if let Some(f) = &a.faq {
        let engine = app.bot.engine();
        let q = engine.content.faq.iter().find(|e| &e.id == f).map_or(f.as_str(), |e| e.question.as_str());
        parts.push(format!("FAQ→{q}"));
    }
    if a.gap {
        parts.push("FAQ缺口".into());
    }
    if !a.note.is_empty() {
        parts.push(a.note.clone());
    }
    parts.join("；")
}

/// The annotation form of one log entry (editors): category and FAQ entry
/// picked from drop-downs by their Chinese names.
pub struct NoteForm {
    pub entry: String,
    pub back: String,
    pub selects: Vec<Select>,
    pub gap: bool,
    pub note: String,
}

impl NoteForm {
    pub fn new(app: &AppState, entry: &str, current: Option<&Annotation>, back: &str) -> Self {
        let cat = current.and_then(|a| a.category.as_deref()).unwrap_or("");
        let faq = current.and_then(|a| a.faq.as_deref()).unwrap_or("");
        Self::with(app, entry, back, cat, faq, current.is_some_and(|a| a.gap), current.map_or("", |a| &a.note))
    }

    fn with(app: &AppState, entry: &str, back: &str, cat: &str, faq: &str, gap: bool, note: &str) -> Self {
        let engine = app.bot.engine();
        let faqs = std::iter::once((String::new(), "（不指定 FAQ）".to_string()))
            .chain(engine.content.faq.iter().map(|f| (f.id.clone(), f.question.chars().take(30).collect())));
        Self {
            entry: entry.to_string(),
            back: back.to_string(),
            selects: vec![
                super::web::category_select(app, "category", cat, "（类别不变）"),
                Select::new("faq", faq, faqs),
            ],
            gap,
            note: note.to_string(),
        }
    }
}

#[derive(Template)]
#[template(path = "staff/annotate_error.html")]
struct AnnotateError<'a> {
    title: &'a str,
    staff: Option<&'a Staff>,
    csrf: &'a str,
    error: &'a str,
    n: NoteForm,
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
    // Back where the editor was, without a fragment (the redirect adds its own).
    let back = f.back.split('#').next().unwrap_or_default();
    let back = if back.starts_with("/staff/") { back.to_string() } else { "/staff/queries".into() };
    let keep = |app: &AppState, error: &str| {
        let n = NoteForm::with(app, &f.entry, &back, &f.category, &f.faq, f.gap == "1", &f.note);
        let page = AnnotateError { title: "标注", staff: Some(&s), csrf: &s.csrf, error, n };
        super::web::render(&page, StatusCode::BAD_REQUEST)
    };
    let Some((ts, id)) =
        f.entry.split_once('-').and_then(|(t, i)| Some((t.parse::<i64>().ok()?, i.parse::<u64>().ok()?)))
    else {
        return keep(&app, "没有找到要标注的这条记录。");
    };
    let engine = app.bot.engine();
    let content = &engine.content;
    let category = Some(f.category.trim().to_string()).filter(|c| !c.is_empty());
    if category.as_ref().is_some_and(|c| !content.directory.categories.contains_key(c)) {
        return keep(&app, "没有这个类别，请从列表中选择。");
    }
    let faq = Some(f.faq.trim().to_string()).filter(|c| !c.is_empty());
    if faq.as_ref().is_some_and(|id| !content.faq.iter().any(|e| &e.id == id)) {
        return keep(&app, "没有这条 FAQ，请从列表中选择。");
    }
    let store = &*app.bot.store;
    let Ok(found) = store.log_range(ts, ts + 1, None, 10_000).await else {
        return keep(&app, "暂时读不到记录，请稍后再试。");
    };
    let Some(entry) = found.into_iter().find(|e| e.id == id) else {
        return keep(&app, "没有找到要标注的这条记录（可能已过保留期限被清除）。");
    };
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
        return keep(&app, "这条标注刚被别人改过，请再提交一次。");
    }
    let detail = format!("{} 的提问：{}", time_text(ts), summary(&app, &a));
    let _ = audit::record(store, now, &s.name, "annotate", &detail).await;
    let sep = if back.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{back}{sep}saved={ts}-{id}#e{ts}-{id}")).into_response()
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
    /// Why its questions are here, with how many: "没看懂 2 · 对方说“不是” 1".
    reasons: String,
    /// The newest question's time and its transcript's link, at that turn.
    time: String,
    link: String,
}

/// Records a queue reads at most (newest days first are kept when a range
/// holds more).
const QUEUE_SCAN: usize = 200_000;

/// Why a turn is in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Why {
    Missed(crate::analysis::outcome::Missed),
    /// It spoke of danger: a crisis check-in to follow up.
    Danger,
}

impl Why {
    fn name(self) -> &'static str {
        match self {
            Why::Missed(m) => m.name(),
            Why::Danger => "危险信号，需回访",
        }
    }
}

/// What failed in the range: questions not understood (the bot did not
/// recognise them, the person said 不是 or 没帮助, or left at the offer) and
/// turns that spoke of danger, each with the question the person typed.
async fn queue(store: &dyn crate::store::Store, f: &Filters) -> Result<Queue, String> {
    use crate::analysis::outcome::Pending;
    let (start, end) = f.range()?;
    let mut pending: Pending<LogEntry> = Pending::default();
    let mut failed: Vec<(LogEntry, Why)> = Vec::new();
    let (mut cursor, mut scanned) = (None, 0);
    loop {
        let batch = store.log_range(start, end, cursor, 1000).await.map_err(|e| e.to_string())?;
        let done = batch.len() < 1000;
        for e in batch {
            cursor = Some((e.record.ts, e.id));
            scanned += 1;
            let r = &e.record;
            if !f.src.is_empty() && r.source.as_deref() != Some(f.src.as_str()) {
                continue;
            }
            let who = crate::analysis::person(&r.channel, &r.user);
            if let Some((_, q, Some(why))) = pending.add(who, r, || e.clone()) {
                failed.push((q, Why::Missed(why)));
            }
            if r.danger.is_some() {
                failed.push((e.clone(), Why::Danger));
            }
        }
        if done || scanned >= QUEUE_SCAN {
            break;
        }
    }
    failed.extend(pending.finish().filter_map(|(_, q, o)| o.map(|why| (q, Why::Missed(why)))));
    // A danger turn that was also missed is listed once, as danger.
    let danger: std::collections::HashSet<u64> =
        failed.iter().filter(|(_, w)| *w == Why::Danger).map(|(e, _)| e.id).collect();
    failed.retain(|(e, w)| *w == Why::Danger || !danger.contains(&e.id));
    failed.sort_by_key(|(e, _)| std::cmp::Reverse((e.record.ts, e.id)));
    let why: HashMap<u64, Why> = failed.iter().map(|(e, w)| (e.id, *w)).collect();
    let entries: Vec<LogEntry> = failed.into_iter().map(|(e, _)| e).collect();
    let groups = group(&entries, 0.5);
    let mut shown = Vec::new();
    for g in groups.iter().take(SHOWN_GROUPS) {
        let first = g[0];
        let link = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("channel", &first.record.channel)
            .append_pair("user", &first.record.user)
            .append_pair("at", &format!("{}-{}", first.record.ts, first.id))
            .finish();
        let link = format!("{link}#e{}-{}", first.record.ts, first.id);
        let samples = g.iter().take(3).map(|e| e.record.input.chars().take(200).collect()).collect();
        let mut counts: std::collections::BTreeMap<Why, usize> = Default::default();
        for e in g {
            if let Some(w) = why.get(&e.id) {
                *counts.entry(*w).or_default() += 1;
            }
        }
        let reasons = counts.iter().map(|(w, n)| format!("{} {n}", w.name())).collect::<Vec<_>>().join(" · ");
        shown.push(QueueGroup { count: g.len(), samples, reasons, time: time_text(first.record.ts), link });
    }
    Ok(Queue { questions: entries.len(), groups: shown })
}

#[derive(Template)]
#[template(path = "staff/unanswered.html")]
struct UnansweredPage<'a> {
    title: &'a str,
    staff: Option<&'a Staff>,
    from: &'a str,
    to: &'a str,
    src: &'a str,
    error: String,
    questions: usize,
    groups: Vec<QueueGroup>,
    editor: bool,
    csrf: &'a str,
}

pub async fn unanswered(State(app): State<AppState>, headers: HeaderMap, Params(r): Params<Range>) -> Response {
    let s = match require(&app, &headers, Role::Viewer).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let mut page = UnansweredPage {
        title: "未解答的问题",
        staff: Some(&s),
        from: &r.from,
        to: &r.to,
        src: &r.src,
        error: String::new(),
        questions: 0,
        groups: Vec::new(),
        editor: s.role >= Role::Editor,
        csrf: &s.csrf,
    };
    let f = Filters { from: r.from.clone(), to: r.to.clone(), src: r.src.clone(), ..Filters::default() };
    if let Err(e) = f.range() {
        page.error = e;
        return render(&page, StatusCode::BAD_REQUEST);
    }
    let key = format!("unanswered:{}:{}:{}", f.from, f.to, f.src);
    let store = app.bot.store.clone();
    let Some(Ok(queue)) = app.heavy.run(&key, async move { queue(&*store, &f).await }).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "读取记录失败").into_response();
    };
    page.questions = queue.questions;
    page.groups = queue.groups;
    render(&page, StatusCode::OK)
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
