//! Numbers for the report: people served, messages, feedback, top questions
//! and categories, per source tag and day (China time). Pure: folds log
//! records into a `Report`; [`from_store`] reads the log through the
//! `Store` trait for the console, the loopback `/admin/stats` endpoint and
//! the `stats` command.

mod read;

pub use read::from_store;

use crate::engine::reply::LogRecord;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use time::{Date, OffsetDateTime, UtcOffset};

const CHINA: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

/// How many top questions and categories a report lists.
pub const TOP: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Source tag; `None` counts every source.
    pub src: Option<String>,
    /// First and last day, inclusive (China time).
    pub from: Date,
    pub to: Date,
}

impl Query {
    /// The Unix-seconds range `[start, end)` covering the days.
    pub fn range(&self) -> (i64, i64) {
        let start = self.from.midnight().assume_offset(CHINA).unix_timestamp();
        let end = self.to.next_day().unwrap_or(self.to).midnight().assume_offset(CHINA).unix_timestamp();
        (start, end)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Feedback {
    pub helpful: u64,
    pub not_helpful: u64,
    pub comments: u64,
}

impl Feedback {
    pub fn total(&self) -> u64 {
        self.helpful + self.not_helpful + self.comments
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Day {
    pub date: String,
    /// People served: distinct conversations (channel + user) that day.
    pub sessions: u64,
    pub messages: u64,
    pub feedback: Feedback,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Count {
    pub key: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub src: Option<String>,
    pub from: String,
    pub to: String,
    /// Distinct conversations over the whole range.
    pub sessions: u64,
    /// Messages from citizens (feedback not included).
    pub messages: u64,
    pub feedback: Feedback,
    pub days: Vec<Day>,
    /// Most frequent typed questions (as logged, personal data masked).
    pub top_questions: Vec<Count>,
    /// Categories by the number of conversations that reached them.
    pub top_categories: Vec<Count>,
    /// Share of typed messages understood: confirmed by the person, or
    /// answered and not rejected (`analysis::outcome`).
    pub understood_share: Option<f64>,
    /// Typed messages the bot did not understand.
    #[serde(default)]
    pub unmatched: u64,
    /// Questions answered directly (a kind of matter's first steps said
    /// before anything was asked), and the share of them the person went on
    /// from without 不是这类事 / 没帮助 — how the chat measures its direct
    /// answers (issue 27).
    #[serde(default)]
    pub direct_answers: u64,
    #[serde(default)]
    pub direct_kept_share: Option<f64>,
    /// Messages per channel and per source tag ("" = none).
    #[serde(default)]
    pub by_channel: Vec<Count>,
    #[serde(default)]
    pub by_source: Vec<Count>,
}

/// Folds log records (any order) into the report for `q`.
pub fn report<'a>(q: &Query, records: impl IntoIterator<Item = &'a LogRecord>) -> Report {
    let mut f = Fold::new(q);
    for r in records {
        f.add(r);
    }
    f.finish()
}

/// A person's id for counting: a 64-bit hash of channel and user (a
/// collision, about one chance in 10^19 for a pair, would merge two people).
fn person(channel: &str, user: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (channel, user).hash(&mut h);
    h.finish()
}

/// A report being folded one record at a time (a scan of the log holds one
/// page of records, not the whole range).
pub struct Fold {
    q: Query,
    start: i64,
    end: i64,
    /// People are counted by a 64-bit hash of (channel, user): a year's
    /// hundreds of thousands of people in a few MB, not their ids.
    days: BTreeMap<Date, (HashSet<u64>, Day)>,
    people: HashSet<u64>,
    questions: HashMap<String, u64>,
    categories: HashMap<String, HashSet<u64>>,
    messages: u64,
    typed: u64,
    understood: u64,
    direct: u64,
    direct_kept: u64,
    /// Each person's last question, waiting for what they did next.
    pending: crate::analysis::outcome::Pending<()>,
    by_channel: HashMap<String, u64>,
    by_source: HashMap<String, u64>,
    fb: Feedback,
}

impl Fold {
    pub fn new(q: &Query) -> Self {
        let (start, end) = q.range();
        Self {
            q: q.clone(),
            start,
            end,
            days: BTreeMap::new(),
            people: HashSet::new(),
            questions: HashMap::new(),
            categories: HashMap::new(),
            messages: 0,
            typed: 0,
            understood: 0,
            direct: 0,
            direct_kept: 0,
            pending: Default::default(),
            by_channel: HashMap::new(),
            by_source: HashMap::new(),
            fb: Feedback::default(),
        }
    }

    pub fn add(&mut self, r: &LogRecord) {
        if r.ts < self.start || r.ts >= self.end || (self.q.src.is_some() && r.source != self.q.src) {
            return;
        }
        let Ok(t) = OffsetDateTime::from_unix_timestamp(r.ts) else { return };
        let date = t.to_offset(CHINA).date();
        let who = person(&r.channel, &r.user);
        if let Some((q, (), outcome)) = self.pending.add(who, r, || ()) {
            self.settled(&q, outcome);
        }
        let (seen, day) = self.days.entry(date).or_default();
        seen.insert(who);
        self.people.insert(who);
        if let Some(f) = &r.feedback {
            let counts = [(f.helpful == Some(true), 0), (f.helpful == Some(false), 1), (f.comment.is_some(), 2)];
            for (yes, i) in counts {
                if yes {
                    for target in [&mut day.feedback, &mut self.fb] {
                        *[&mut target.helpful, &mut target.not_helpful, &mut target.comments][i] += 1;
                    }
                }
            }
            return;
        }
        if r.input_kind.starts_with("transfer") {
            return;
        }
        day.messages += 1;
        self.messages += 1;
        *self.by_channel.entry(r.channel.clone()).or_default() += 1;
        *self.by_source.entry(r.source.clone().unwrap_or_default()).or_default() += 1;
        if r.is_question() {
            self.typed += 1;
            let text: String = r.input.split_whitespace().collect::<Vec<_>>().join(" ");
            if !text.is_empty() {
                *self.questions.entry(text.chars().take(80).collect()).or_default() += 1;
            }
        }
        if let Some(c) = &r.category {
            self.categories.entry(c.clone()).or_default().insert(who);
        }
    }

    /// A question's outcome is known.
    fn settled(&mut self, q: &LogRecord, outcome: crate::analysis::outcome::Outcome) {
        self.understood += u64::from(outcome.is_none());
        if q.direct.is_some() {
            self.direct += 1;
            self.direct_kept += u64::from(outcome.is_none());
        }
    }

    pub fn finish(mut self) -> Report {
        for (q, (), outcome) in std::mem::take(&mut self.pending).finish() {
            self.settled(&q, outcome);
        }
        let days = self
            .days
            .into_iter()
            .map(|(date, (seen, mut d))| {
                d.date = date.to_string();
                d.sessions = seen.len() as u64;
                d
            })
            .collect();
        Report {
            src: self.q.src.clone(),
            from: self.q.from.to_string(),
            to: self.q.to.to_string(),
            sessions: self.people.len() as u64,
            messages: self.messages,
            feedback: self.fb,
            days,
            top_questions: top(self.questions),
            top_categories: top(self.categories.into_iter().map(|(k, v)| (k, v.len() as u64)).collect()),
            understood_share: (self.typed > 0).then(|| self.understood as f64 / self.typed as f64),
            unmatched: self.typed - self.understood,
            direct_answers: self.direct,
            direct_kept_share: (self.direct > 0).then(|| self.direct_kept as f64 / self.direct as f64),
            by_channel: top(self.by_channel),
            by_source: top(self.by_source),
        }
    }
}

fn top(m: HashMap<String, u64>) -> Vec<Count> {
    let mut v: Vec<Count> = m.into_iter().map(|(key, count)| Count { key, count }).collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    v.truncate(TOP);
    v
}

/// `s` padded with spaces to `w` terminal columns (a Chinese character
/// takes two), on the left (`right` aligned) or the right.
pub fn pad(s: &str, w: usize, right: bool) -> String {
    let fill = " ".repeat(w.saturating_sub(unicode_width::UnicodeWidthStr::width(s)));
    if right { format!("{fill}{s}") } else { format!("{s}{fill}") }
}

/// A plain table for the terminal; columns line up under Chinese headers.
/// `category` names a category id (its Chinese name).
pub fn table(r: &Report, category: impl Fn(&str) -> String) -> String {
    let mut s = String::new();
    let src = r.src.as_deref().unwrap_or("（全部来源）");
    let _ = writeln!(s, "来源 {src}  {} 至 {}", r.from, r.to);
    let line = |cells: [&str; 6]| {
        let mut l = pad(cells[0], 12, false);
        for c in &cells[1..] {
            l.push_str(&pad(c, 8, true));
        }
        l.push('\n');
        l
    };
    s.push_str(&line(["日期", "人数", "消息", "有帮助", "没帮助", "意见"]));
    let nums = |date: &str, people: u64, messages: u64, f: &Feedback| {
        let v = [people, messages, f.helpful, f.not_helpful, f.comments].map(|n| n.to_string());
        line([date, &v[0], &v[1], &v[2], &v[3], &v[4]])
    };
    for d in &r.days {
        s.push_str(&nums(&d.date, d.sessions, d.messages, &d.feedback));
    }
    s.push_str(&nums("合计", r.sessions, r.messages, &r.feedback));
    if let Some(u) = r.understood_share {
        let _ = writeln!(s, "文字提问被理解的比例：{:.0}%", u * 100.0);
    }
    if let Some(k) = r.direct_kept_share {
        let _ = writeln!(s, "直接回答 {} 次，对方没有说“不是这类事”或“没帮助”的 {:.0}%", r.direct_answers, k * 100.0);
    }
    if !r.top_categories.is_empty() {
        let _ = writeln!(s, "\n问题类别（按人数）：");
        for c in &r.top_categories {
            let _ = writeln!(s, "  {:>5}  {}", c.count, category(&c.key));
        }
    }
    if !r.top_questions.is_empty() {
        let _ = writeln!(s, "\n常见提问：");
        for c in &r.top_questions {
            let _ = writeln!(s, "  {:>5}  {}", c.count, c.key);
        }
    }
    s
}

/// CSV (UTF-8 with BOM, so Excel opens it): one row per day, then the
/// total; Chinese column names, or English ones (`en`) for tools.
pub fn csv(r: &Report, en: bool) -> String {
    let header = if en {
        "date,src,sessions,messages,helpful,not_helpful,comments"
    } else {
        "日期,来源,人数,消息,有帮助,没帮助,意见"
    };
    let mut s = format!("\u{feff}{header}\r\n");
    let src = csv_field(r.src.as_deref().unwrap_or(""));
    let mut row = |date: &str, sessions: u64, messages: u64, f: &Feedback| {
        let _ = write!(s, "{date},{src},{sessions},{messages},{},{},{}\r\n", f.helpful, f.not_helpful, f.comments);
    };
    for d in &r.days {
        row(&d.date, d.sessions, d.messages, &d.feedback);
    }
    row(if en { "total" } else { "合计" }, r.sessions, r.messages, &r.feedback);
    s
}

/// Bidi override and isolate controls (U+202A–202E, U+2066–2069) and the
/// direction marks (U+200E, U+200F, U+061C; review N9): shown as U+FFFD
/// wherever staff read citizen text, so it cannot display reversed or
/// reorder what follows it.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// A CSV field: quoted when needed; a leading = + - @ (also full-width, or
/// after blanks, or a tab or CR) is defused so a spreadsheet does not run
/// what a citizen typed as a formula; bidi controls become U+FFFD.
pub fn csv_field(v: &str) -> String {
    let v: String = v.chars().map(|c| if is_bidi_control(c) { '\u{fffd}' } else { c }).collect();
    let formula = ['=', '+', '-', '@', '\t', '\r', '\n', '＝', '＋', '－', '＠'];
    let first = v.trim_start_matches([' ', '\u{3000}']).chars().next();
    let v = if first.is_some_and(|c| formula.contains(&c)) { format!("'{v}") } else { v };
    if v.contains([',', '"', '\n', '\r']) { format!("\"{}\"", v.replace('"', "\"\"")) } else { v }
}

/// A day written YYYY-MM-DD.
pub fn parse_day(s: &str) -> Option<Date> {
    Date::parse(s.trim(), crate::content::compile::DATE_FORMAT).ok()
}

/// Validates a report query: a source tag, and `from <= to` as YYYY-MM-DD.
pub fn query(src: Option<&str>, from: &str, to: &str) -> Result<Query, String> {
    // The message names the parameter; it does not echo what was sent.
    let date = |s: &str, name: &str| parse_day(s).ok_or_else(|| format!("`{name}` is not a date (YYYY-MM-DD)"));
    let (from, to) = (date(from, "from")?, date(to, "to")?);
    if from > to {
        return Err("`from` is after `to`".into());
    }
    let src = crate::app::source_tag(src).map_err(|_| "`src` must be 1-32 letters, digits, `-` or `_`".to_string())?;
    Ok(Query { src, from, to })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::reply::Feedback as Fb;
    use crate::engine::reply::InputRole;

    fn rec(ts: i64, user: &str, src: Option<&str>, kind: &str, input: &str) -> LogRecord {
        LogRecord {
            ts,
            channel: "web".into(),
            user: user.into(),
            source: src.map(String::from),
            node_from: "main".into(),
            node: "main".into(),
            input_kind: kind.into(),
            input: input.into(),
            matched: true,
            category: Some("labor".into()),
            ..LogRecord::default()
        }
    }

    /// Regression (review D11): bidi controls reached the CSV export raw.
    #[test]
    fn csv_fields_defuse_formulas_and_bidi_controls() {
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        for f in ["＝1+1", " =1+1", "\n=1", "@SUM(A1)", "-1+1"] {
            assert!(csv_field(f).trim_start_matches('"').starts_with('\''), "{f:?} → {}", csv_field(f));
        }
        assert_eq!(csv_field("\u{202e}gnp.exe 工资\u{2066}"), "\u{fffd}gnp.exe 工资\u{fffd}");
        assert_eq!(csv_field("a\u{200f}b\u{061c}c\u{200e}"), "a\u{fffd}b\u{fffd}c\u{fffd}");
        assert_eq!(csv_field("欠薪 3000 元"), "欠薪 3000 元");
    }

    /// The chat measures its direct answers (issue 27): how many, and how
    /// often the person went on without rejecting the kind named.
    #[test]
    fn direct_answers_are_counted_with_the_share_not_rejected() {
        let day = Date::from_calendar_date(2026, time::Month::May, 9).unwrap();
        let t0 = day.midnight().assume_offset(CHINA).unix_timestamp() + 3600;
        let question = |ts: i64, user: &str, direct: bool| {
            let mut r = rec(ts, user, None, "text", "老板欠薪");
            r.role = Some(InputRole::Question);
            r.direct = direct.then(|| "labor".to_string());
            r
        };
        let button = |ts: i64, user: &str, label: &str| {
            let mut r = rec(ts, user, None, "choice", "x");
            r.role = Some(InputRole::Button);
            r.label = Some(label.into());
            r
        };
        let logs = vec![
            question(t0, "a", true),
            button(t0 + 10, "a", "还没有申请劳动仲裁"),
            question(t0 + 20, "b", true),
            button(t0 + 30, "b", "不是这类事"),
            question(t0 + 40, "c", true),
            question(t0 + 50, "d", false),
        ];
        let r = report(&Query { src: None, from: day, to: day }, &logs);
        assert_eq!(r.direct_answers, 3);
        let kept = r.direct_kept_share.expect("a share");
        assert!((kept - 2.0 / 3.0).abs() < 1e-9, "{kept}");
        let shown = table(&r, str::to_string);
        assert!(shown.contains("直接回答 3 次"), "{shown}");
    }

    #[test]
    fn counts_people_messages_and_feedback_per_day_in_china_time() {
        // 2026-05-09 00:30 China time is 2026-05-08 16:30 UTC.
        let may9 = Date::from_calendar_date(2026, time::Month::May, 9).unwrap();
        let t0 = may9.midnight().assume_offset(CHINA).unix_timestamp();
        let mut fb = rec(t0 + 100, "a", Some("0509-square"), "feedback", "");
        fb.feedback = Some(Fb { helpful: Some(true), comment: None });
        let logs = vec![
            rec(t0 + 1800, "a", Some("0509-square"), "text", "老板欠薪"),
            rec(t0 + 1900, "a", Some("0509-square"), "choice", "x.1"),
            rec(t0 + 2000, "b", Some("0509-square"), "text", "老板欠薪"),
            rec(t0 + 2100, "c", Some("other"), "text", "别的"),
            rec(t0 - 10, "d", Some("0509-square"), "text", "前一天"),
            rec(t0 + 86_400, "e", Some("0509-square"), "text", "后一天"),
            fb,
        ];
        let q = Query { src: Some("0509-square".into()), from: may9, to: may9 };
        let r = report(&q, &logs);
        assert_eq!((r.sessions, r.messages, r.feedback.helpful), (2, 3, 1));
        assert_eq!(r.days.len(), 1);
        assert_eq!(r.days[0].date, "2026-05-09");
        assert_eq!(r.top_questions[0], Count { key: "老板欠薪".into(), count: 2 });
        assert_eq!(r.top_categories[0], Count { key: "labor".into(), count: 2 });
        assert!(csv(&r, false).starts_with('\u{feff}') && csv(&r, false).contains("2026-05-09,0509-square,2,3,1,0,0"));
        assert!(csv(&r, true).contains("date,src,sessions") && csv(&r, false).contains("日期,来源,人数"));
        assert!(table(&r, str::to_string).contains("合计"));
    }
}
