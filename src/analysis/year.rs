//! The year's figures for the 法治政府建设情况报告, from daily aggregates:
//! people served (人次) and messages by month and channel, source tags
//! (kiosks, publicity days) with people served each day, matters by
//! category, 诉访分离 (pointed to a channel other than 信访 vs to 信访), the
//! share of typed questions understood, feedback, and the top unanswered
//! questions. Written as a short section in Chinese with the table behind
//! it (Markdown), as CSV, or as JSON. Figures only: the text states counts
//! and the period the data covers, nothing the data cannot show.

use super::daily::{self, Counts, DayAgg, FeedbackCounts};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

/// The channel id of 信访 itself (taxonomy `[channels.xinfang]`).
pub const XINFANG: &str = "xinfang";
/// Top lists in the section.
const TOP_IN_TEXT: usize = 5;
const TOP_UNANSWERED: usize = 10;

/// Display names: category and channel ids from the directory.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub categories: BTreeMap<String, String>,
    pub channels: BTreeMap<String, String>,
}

impl Names {
    pub fn from_directory(d: &crate::content::model::Directory) -> Self {
        Self {
            categories: d.categories.iter().map(|(k, c)| (k.clone(), c.name.clone())).collect(),
            channels: d.channels.iter().map(|(k, c)| (k.clone(), c.name.clone())).collect(),
        }
    }
}

/// A messaging channel as the office names it.
pub fn medium_name(id: &str) -> String {
    match id {
        "web" => "网页".into(),
        "wechat" => "微信公众号".into(),
        "telegram" => "Telegram".into(),
        other => other.into(),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Named {
    pub id: String,
    pub name: String,
    pub people: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Month {
    pub month: u8,
    pub people: u64,
    pub messages: u64,
    pub by_channel: BTreeMap<String, Counts>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceDay {
    pub date: String,
    pub people: u64,
    pub messages: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub tag: String,
    pub people: u64,
    pub messages: u64,
    pub days: Vec<SourceDay>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct YearReport {
    pub year: i32,
    /// First and last day with data (None: no data at all).
    pub first_day: Option<String>,
    pub last_day: Option<String>,
    pub days_with_data: u64,
    pub people: u64,
    pub messages: u64,
    pub months: Vec<Month>,
    pub by_channel: BTreeMap<String, Counts>,
    pub sources: Vec<Source>,
    pub categories: Vec<Named>,
    /// 人次 pointed to 信访, and to any other channel (诉访分离).
    pub pointed_xinfang: u64,
    pub pointed_other: u64,
    pub pointed: Vec<Named>,
    pub typed: u64,
    pub understood: u64,
    /// The first day whose `understood` counts only what the person
    /// confirmed or did not reject (`daily::VERSION` 2), when days of the
    /// older count (every recognised question) come before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_count_from: Option<String>,
    /// Of the typed questions, those answered directly (first steps or a FAQ
    /// entry before anything was asked) and those of them the person did
    /// not reject (不是这类事 / 没帮助).
    #[serde(default)]
    pub direct: u64,
    #[serde(default)]
    pub direct_kept: u64,
    /// The first day whose record counts direct answers, when days of
    /// older records (which do not) come before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direct_count_from: Option<String>,
    pub feedback: FeedbackCounts,
    pub danger: u64,
    /// Typed questions not understood, most asked first; junk ("aaaa",
    /// "啊啊啊": `outcome::is_junk`) left out.
    pub unanswered: Vec<(String, u64)>,
}

impl YearReport {
    pub fn understood_share(&self) -> Option<f64> {
        (self.typed > 0).then(|| self.understood as f64 / self.typed as f64)
    }

    /// Direct answers the person did not reject, among all direct answers.
    pub fn direct_kept_share(&self) -> Option<f64> {
        (self.direct > 0).then(|| self.direct_kept as f64 / self.direct as f64)
    }

    /// 有帮助 among the answers rated 有帮助 or 没帮助.
    pub fn helpful_share(&self) -> Option<f64> {
        let rated = self.feedback.helpful + self.feedback.not_helpful;
        (rated > 0).then(|| self.feedback.helpful as f64 / rated as f64)
    }
}

/// The first day with typed questions whose record counts them as record
/// version `since` does, when days of older records come before it.
fn counted_from(days: &[&DayAgg], since: u32) -> Option<String> {
    let mut older = false;
    days.iter().filter(|d| d.people > 0 && d.typed > 0).find_map(|d| {
        older |= d.version < since;
        (older && d.version >= since).then(|| d.date.clone())
    })
}

fn named(m: HashMap<String, u64>, names: &BTreeMap<String, String>) -> Vec<Named> {
    let mut v: Vec<Named> = m
        .into_iter()
        .map(|(id, people)| Named { name: names.get(&id).cloned().unwrap_or_else(|| id.clone()), id, people })
        .collect();
    v.sort_by(|a, b| b.people.cmp(&a.people).then_with(|| a.id.cmp(&b.id)));
    v
}

/// The report for `year` from the daily aggregates (days of other years
/// are ignored).
pub fn build(year: i32, days: &[DayAgg], names: &Names) -> YearReport {
    let prefix = format!("{year:04}-");
    let mut days: Vec<&DayAgg> = days.iter().filter(|d| d.date.starts_with(&prefix)).collect();
    days.sort_by(|a, b| a.date.cmp(&b.date));
    let mut months: Vec<Month> = (1..=12).map(|m| Month { month: m, ..Month::default() }).collect();
    let mut by_channel: BTreeMap<String, Counts> = BTreeMap::new();
    let mut sources: BTreeMap<String, Source> = BTreeMap::new();
    let (mut cats, mut pointed, mut unanswered) = (HashMap::new(), HashMap::new(), HashMap::<String, u64>::new());
    let mut r = YearReport {
        year,
        first_day: None,
        last_day: None,
        days_with_data: 0,
        people: 0,
        messages: 0,
        months: Vec::new(),
        by_channel: BTreeMap::new(),
        sources: Vec::new(),
        categories: Vec::new(),
        pointed_xinfang: 0,
        pointed_other: 0,
        pointed: Vec::new(),
        typed: 0,
        understood: 0,
        direct: 0,
        direct_kept: 0,
        direct_count_from: None,
        confirmed_count_from: None,
        feedback: FeedbackCounts::default(),
        danger: 0,
        unanswered: Vec::new(),
    };
    for d in days.iter().filter(|d| d.people > 0) {
        r.first_day.get_or_insert_with(|| d.date.clone());
        r.last_day = Some(d.date.clone());
        r.days_with_data += 1;
        r.people += d.people;
        r.messages += d.messages;
        if let Some(m) = d.date.get(5..7).and_then(|m| m.parse::<usize>().ok()).and_then(|m| months.get_mut(m - 1)) {
            m.people += d.people;
            m.messages += d.messages;
            for (ch, c) in &d.by_channel {
                let e = m.by_channel.entry(ch.clone()).or_default();
                e.people += c.people;
                e.messages += c.messages;
            }
        }
        for (ch, c) in &d.by_channel {
            let e = by_channel.entry(ch.clone()).or_default();
            e.people += c.people;
            e.messages += c.messages;
        }
        for (tag, c) in d.by_source.iter().filter(|(t, _)| !t.is_empty()) {
            let s = sources.entry(tag.clone()).or_insert_with(|| Source {
                tag: tag.clone(),
                people: 0,
                messages: 0,
                days: Vec::new(),
            });
            s.people += c.people;
            s.messages += c.messages;
            s.days.push(SourceDay { date: d.date.clone(), people: c.people, messages: c.messages });
        }
        for (k, v) in &d.categories {
            *cats.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &d.pointed {
            *pointed.entry(k.clone()).or_default() += v;
            if k == XINFANG {
                r.pointed_xinfang += v;
            } else {
                r.pointed_other += v;
            }
        }
        r.typed += d.typed;
        r.understood += d.understood;
        r.direct += d.direct;
        r.direct_kept += d.direct_kept;
        r.feedback.helpful += d.feedback.helpful;
        r.feedback.not_helpful += d.feedback.not_helpful;
        r.feedback.comments += d.feedback.comments;
        r.danger += d.danger;
        for (t, n) in d.unanswered.iter().filter(|(t, _)| !super::outcome::is_junk(t)) {
            *unanswered.entry(t.clone()).or_default() += n;
        }
    }
    r.confirmed_count_from = counted_from(&days, daily::CONFIRMED_SINCE);
    r.direct_count_from = counted_from(&days, daily::DIRECT_SINCE);
    r.months = months;
    r.by_channel = by_channel;
    let mut sources: Vec<Source> = sources.into_values().collect();
    sources.sort_by(|a, b| b.people.cmp(&a.people).then_with(|| a.tag.cmp(&b.tag)));
    r.sources = sources;
    r.categories = named(cats, &names.categories);
    r.pointed = named(pointed, &names.channels);
    let mut top: Vec<(String, u64)> = unanswered.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    top.truncate(TOP_UNANSWERED);
    r.unanswered = top;
    r
}

/// "5 月 9 日" from YYYY-MM-DD.
fn md(date: &str) -> String {
    let m = date.get(5..7).and_then(|m| m.parse::<u8>().ok()).unwrap_or(0);
    let d = date.get(8..10).and_then(|d| d.parse::<u8>().ok()).unwrap_or(0);
    format!("{m} 月 {d} 日")
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// A name without its parenthesised details ("人民法院（立案、诉讼服务，12368）" → "人民法院"),
/// for running text.
fn short(name: &str) -> &str {
    name.split(['（', '(']).next().filter(|s| !s.is_empty()).unwrap_or(name)
}

fn list(items: &[Named], n: usize) -> String {
    items.iter().take(n).map(|c| format!("{} {} 人次", short(&c.name), c.people)).collect::<Vec<_>>().join("、")
}

/// The section in Chinese, ready to paste: figures only.
pub fn section(r: &YearReport) -> String {
    let mut s = format!("（一）依法信访指引咨询服务情况\n\n{} 年", r.year);
    let (Some(first), Some(last)) = (&r.first_day, &r.last_day) else {
        let _ = writeln!(s, "没有咨询记录。");
        return s;
    };
    let _ = write!(s, "（统计期间 {}至 {}，有记录的 {} 天）", md(first), md(last), r.days_with_data);
    let _ = write!(s, "，依法信访指引服务共接受群众咨询 {} 人次，收到群众消息 {} 条", r.people, r.messages);
    let media: Vec<String> =
        r.by_channel.iter().map(|(ch, c)| format!("{} {} 人次", medium_name(ch), c.people)).collect();
    if media.len() > 1 {
        let _ = write!(s, "，其中{}", media.join("、"));
    }
    s.push('。');
    if !r.sources.is_empty() {
        let total: u64 = r.sources.iter().map(|x| x.people).sum();
        let parts: Vec<String> = r
            .sources
            .iter()
            .map(|x| {
                if x.days.len() <= 3 {
                    let days: Vec<String> =
                        x.days.iter().map(|d| format!("{} {} 人次", md(&d.date), d.people)).collect();
                    format!("“{}”{}", x.tag, days.join("、"))
                } else {
                    let best = x.days.iter().max_by(|a, b| a.people.cmp(&b.people).then_with(|| b.date.cmp(&a.date)));
                    let best =
                        best.map(|d| format!("，单日最多 {} 人次（{}）", d.people, md(&d.date))).unwrap_or_default();
                    format!("“{}”共 {} 天 {} 人次{best}", x.tag, x.days.len(), x.people)
                }
            })
            .collect();
        let _ = write!(s, "通过宣传活动和现场咨询点（按来源标签统计）服务 {total} 人次：{}。", parts.join("；"));
    }
    s.push_str("\n\n");
    if !r.categories.is_empty() {
        let _ = write!(
            s,
            "群众咨询的事项按人次排列，前 {} 位是：{}。",
            r.categories.len().min(TOP_IN_TEXT),
            list(&r.categories, TOP_IN_TEXT)
        );
    }
    if r.pointed_xinfang + r.pointed_other > 0 {
        let other: Vec<Named> = r.pointed.iter().filter(|p| p.id != XINFANG).cloned().collect();
        let detail = if other.is_empty() { String::new() } else { format!("（{}）", list(&other, TOP_IN_TEXT)) };
        let _ = write!(
            s,
            "按照诉访分离、依法分类处理的要求，指引群众向信访以外的法定途径或受理渠道反映诉求 {} 人次{detail}，指引通过信访渠道反映 {} 人次。",
            r.pointed_other, r.pointed_xinfang
        );
    }
    s.push_str("\n\n");
    if let Some(u) = r.understood_share() {
        let _ = write!(s, "群众以文字提问 {} 条，能够识别所问事项的 {} 条，占 {}", r.typed, r.understood, pct(u));
        let _ = write!(s, "（{}", UNDERSTOOD_MEANS);
        if let Some(day) = &r.confirmed_count_from {
            let _ = write!(s, "；{day} 起按此口径统计，此前各日凡识别出所问事项即计入");
        }
        s.push_str("）。");
    }
    if let Some(k) = r.direct_kept_share() {
        let since = r.direct_count_from.as_deref().map(|d| format!("；{d} 起统计")).unwrap_or_default();
        let _ = write!(
            s,
            "其中直接答复 {} 条（未经追问即告知一般处理途径或常见问题答复{since}），群众没有表示“不是这类事”“没帮助”的占 {}。",
            r.direct,
            pct(k)
        );
    }
    let f = &r.feedback;
    if f.helpful + f.not_helpful + f.comments > 0 {
        let _ = write!(s, "群众对答复作出评价：“有帮助” {} 次、“没帮助” {} 次", f.helpful, f.not_helpful);
        if let Some(h) = r.helpful_share() {
            let _ = write!(s, "，“有帮助”占 {}", pct(h));
        }
        let _ = write!(s, "；留言意见 {} 条。", f.comments);
    }
    if !r.unanswered.is_empty() {
        let top: Vec<String> = r.unanswered.iter().take(TOP_IN_TEXT).map(|(t, n)| format!("“{t}”（{n} 次）")).collect();
        let _ = write!(s, "尚未能识别、需补充答复内容的提问主要有：{}。", top.join("、"));
    }
    s.push('\n');
    s
}

fn cell(t: &str) -> String {
    t.replace('|', "｜").replace(['\n', '\r'], " ")
}

/// How the report counts a question as understood.
pub const UNDERSTOOD_MEANS: &str =
    "“能够识别”指答复后群众确认了所识别的事项，或收到直接答复后没有表示“不是”“没帮助”；群众否定或未作选择的不计入";

/// The section and the tables behind it, as Markdown.
pub fn markdown(r: &YearReport) -> String {
    let mut s = section(r);
    let channels: Vec<&String> = r.by_channel.keys().collect();
    let _ = write!(
        s,
        "\n## 附表：{} 年依法信访指引服务数据\n\n### 按月（人次 / 消息条数）\n\n| 月份 | 人次 | 消息 |",
        r.year
    );
    for ch in &channels {
        let _ = write!(s, " {} 人次 |", medium_name(ch));
    }
    s.push_str("\n|---|---:|---:|");
    s.push_str(&"---:|".repeat(channels.len()));
    s.push('\n');
    for m in &r.months {
        let _ = write!(s, "| {} 月 | {} | {} |", m.month, m.people, m.messages);
        for ch in &channels {
            let _ = write!(s, " {} |", m.by_channel.get(*ch).map_or(0, |c| c.people));
        }
        s.push('\n');
    }
    let _ = write!(s, "| 合计 | {} | {} |", r.people, r.messages);
    for ch in &channels {
        let _ = write!(s, " {} |", r.by_channel.get(*ch).map_or(0, |c| c.people));
    }
    s.push('\n');
    if !r.sources.is_empty() {
        s.push_str("\n### 来源标签（现场咨询点、宣传日）每日服务人次\n\n| 来源标签 | 日期 | 人次 | 消息 |\n|---|---|---:|---:|\n");
        for x in &r.sources {
            for d in &x.days {
                let _ = writeln!(s, "| {} | {} | {} | {} |", cell(&x.tag), d.date, d.people, d.messages);
            }
            let _ = writeln!(s, "| {} | 合计 | {} | {} |", cell(&x.tag), x.people, x.messages);
        }
    }
    s.push_str("\n### 咨询事项（按人次）\n\n| 事项 | 人次 |\n|---|---:|\n");
    for c in &r.categories {
        let _ = writeln!(s, "| {} | {} |", cell(&c.name), c.people);
    }
    s.push_str("\n### 指引途径（诉访分离）\n\n| 途径 | 人次 |\n|---|---:|\n");
    for p in &r.pointed {
        let _ = writeln!(s, "| {} | {} |", cell(&p.name), p.people);
    }
    let _ = writeln!(
        s,
        "| 指引至信访以外的途径（合计） | {} |\n| 指引至信访（合计） | {} |",
        r.pointed_other, r.pointed_xinfang
    );
    let share = |x: Option<f64>| x.map(pct).unwrap_or_else(|| "—".into());
    let _ = write!(
        s,
        "\n### 理解与评价\n\n| 项目 | 数量 |\n|---|---:|\n| 文字提问 | {} |\n| 其中能识别事项 | {} |\n| 识别比例 | {} |\n| 直接答复 | {} |\n| 直接答复未被否定比例 | {} |\n| 有帮助 | {} |\n| 没帮助 | {} |\n| 有帮助比例 | {} |\n| 留言意见 | {} |\n| 涉及危险、危机的消息 | {} |\n",
        r.typed,
        r.understood,
        share(r.understood_share()),
        r.direct,
        share(r.direct_kept_share()),
        r.feedback.helpful,
        r.feedback.not_helpful,
        share(r.helpful_share()),
        r.feedback.comments,
        r.danger
    );
    if !r.unanswered.is_empty() {
        s.push_str("\n### 未能识别的常见提问（已隐去个人信息）\n\n| 提问 | 次数 |\n|---|---:|\n");
        for (t, n) in &r.unanswered {
            let _ = writeln!(s, "| {} | {n} |", cell(t));
        }
    }
    s
}

/// The table behind the section as CSV (UTF-8 with BOM): one row per
/// figure, `table,key,name,date,people,messages`.
pub fn csv(r: &YearReport) -> String {
    let mut s = String::from("\u{feff}table,key,name,date,people,messages\r\n");
    let mut row = |table: &str, key: &str, name: &str, date: &str, people: u64, messages: Option<u64>| {
        let f = crate::stats::csv_field;
        let m = messages.map(|m| m.to_string()).unwrap_or_default();
        let _ = write!(s, "{table},{},{},{date},{people},{m}\r\n", f(key), f(name));
    };
    row("year", &r.year.to_string(), "合计", "", r.people, Some(r.messages));
    for m in &r.months {
        let month = format!("{:04}-{:02}", r.year, m.month);
        row("month", &month, "", "", m.people, Some(m.messages));
        for (ch, c) in &m.by_channel {
            row("month_channel", &month, ch, "", c.people, Some(c.messages));
        }
    }
    for x in &r.sources {
        for d in &x.days {
            row("source_day", &x.tag, "", &d.date, d.people, Some(d.messages));
        }
    }
    for c in &r.categories {
        row("category", &c.id, &c.name, "", c.people, None);
    }
    for p in &r.pointed {
        row("pointed", &p.id, &p.name, "", p.people, None);
    }
    row("pointed_total", "other", "信访以外的途径", "", r.pointed_other, None);
    row("pointed_total", XINFANG, "信访", "", r.pointed_xinfang, None);
    row("typed", "typed", "文字提问", "", r.typed, None);
    row("typed", "understood", "能识别事项", "", r.understood, None);
    row("typed", "direct", "直接答复", "", r.direct, None);
    row("typed", "direct_kept", "直接答复未被否定", "", r.direct_kept, None);
    row("feedback", "helpful", "有帮助", "", r.feedback.helpful, None);
    row("feedback", "not_helpful", "没帮助", "", r.feedback.not_helpful, None);
    row("feedback", "comments", "留言意见", "", r.feedback.comments, None);
    row("danger", "danger", "涉及危险、危机", "", r.danger, None);
    for (t, n) in &r.unanswered {
        row("unanswered", t, "", "", *n, None);
    }
    s
}

/// Why a report could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("unknown format {0:?} (md, csv or json)")]
    Format(String),
    #[error("writing JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// The report as Markdown, CSV or JSON.
pub fn render(r: &YearReport, format: &str) -> Result<String, RenderError> {
    Ok(match format {
        "md" => markdown(r),
        "csv" => csv(r),
        "json" => serde_json::to_string_pretty(r)? + "\n",
        other => return Err(RenderError::Format(other.to_string())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::daily::fold;
    use crate::analysis::testlog::rec;

    fn day(date: time::Date, people: &[(&str, Option<&str>, Option<&str>)]) -> DayAgg {
        let t = crate::analysis::day_start(date);
        let logs: Vec<_> = people
            .iter()
            .enumerate()
            .map(|(i, (u, src, ch))| {
                let mut r = rec(t + i as i64, u, Some("labor"), "老板欠薪");
                r.source = src.map(String::from);
                r.channel_chosen = ch.map(String::from);
                r
            })
            .collect();
        fold(date, &logs)
    }

    #[test]
    fn the_year_sums_days_by_month_tag_and_channel_pointed_to() {
        use time::macros::date;
        let mut days = [
            day(
                date!(2026 - 05 - 09),
                &[("a", Some("0509-square"), Some("labor_arbitration")), ("b", Some("0509-square"), None)],
            ),
            day(date!(2026 - 05 - 10), &[("a", None, Some("xinfang"))]),
            day(date!(2026 - 11 - 01), &[("c", None, Some("court_filing")), ("d", None, None)]),
            day(date!(2025 - 12 - 31), &[("z", None, None)]),
        ];
        (days[0].direct, days[0].direct_kept, days[1].direct, days[1].direct_kept) = (3, 2, 1, 1);
        let names = Names {
            categories: [("labor".to_string(), "劳动争议".to_string())].into(),
            channels: [("labor_arbitration".to_string(), "劳动人事争议仲裁".to_string())].into(),
        };
        let r = build(2026, &days, &names);
        assert_eq!((r.people, r.messages, r.days_with_data), (5, 5, 3));
        assert_eq!((r.months[4].people, r.months[10].people, r.months[0].people), (3, 2, 0));
        assert_eq!((r.pointed_other, r.pointed_xinfang), (2, 1));
        assert_eq!(r.sources.len(), 1);
        assert_eq!(r.sources[0].days, [SourceDay { date: "2026-05-09".into(), people: 2, messages: 2 }]);
        assert_eq!(r.categories[0], Named { id: "labor".into(), name: "劳动争议".into(), people: 5 });
        let text = section(&r);
        for want in [
            "2026 年",
            "5 月 9 日至 11 月 1 日",
            "5 人次",
            "“0509-square”5 月 9 日 2 人次",
            "劳动争议 5 人次",
            "信访以外的法定途径或受理渠道反映诉求 2 人次",
            "信访渠道反映 1 人次",
            "占 100.0%",
            "其中直接答复 4 条",
            "没有表示“不是这类事”“没帮助”的占 75.0%",
        ] {
            assert!(text.contains(want), "{want:?} missing in\n{text}");
        }
        let m = markdown(&r);
        assert!(m.contains("| 5 月 | 3 | 3 |") && m.contains("| 0509-square | 2026-05-09 | 2 | 2 |"), "{m}");
        assert!(m.contains("| 直接答复 | 4 |\n| 直接答复未被否定比例 | 75.0% |"), "{m}");
        let c = csv(&r);
        assert!(
            c.contains("pointed_total,other,信访以外的途径,,2,\r\n")
                && c.contains("source_day,0509-square,,2026-05-09,2,2")
                && c.contains("typed,direct,直接答复,,4,\r\ntyped,direct_kept,直接答复未被否定,,3,\r\n"),
            "{c}"
        );
    }

    /// Days kept before direct answers were counted (record version 2) do
    /// not pretend to have had none: the report says from which day it counts.
    #[test]
    fn direct_answers_are_counted_from_the_first_day_that_records_them() {
        let mut older = DayAgg { date: "2026-05-09".into(), version: 2, typed: 4, understood: 3, ..DayAgg::default() };
        older.people = 2;
        let newer = DayAgg {
            date: "2026-05-10".into(),
            version: daily::VERSION,
            typed: 5,
            understood: 4,
            direct: 2,
            direct_kept: 1,
            people: 3,
            ..DayAgg::default()
        };
        let r = build(2026, &[older, newer], &Names::default());
        assert_eq!((r.direct, r.direct_count_from.as_deref()), (2, Some("2026-05-10")));
        let text = section(&r);
        assert!(
            text.contains("其中直接答复 2 条（未经追问即告知一般处理途径或常见问题答复；2026-05-10 起统计）"),
            "{text}"
        );
    }

    #[test]
    fn a_year_without_data_says_so_and_claims_nothing() {
        let r = build(2024, &[], &Names::default());
        assert_eq!(section(&r), "（一）依法信访指引咨询服务情况\n\n2024 年没有咨询记录。\n");
        assert!(csv(&r).contains("year,2024,合计,,0,0"));
    }
}
