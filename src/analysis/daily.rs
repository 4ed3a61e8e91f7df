//! One day's figures, folded from that day's log records and kept as a
//! record (one per day) so the year report still works after retention has
//! deleted the messages.
//!
//! People are counted as 人次: distinct conversations (channel + user) that
//! day; summing days gives the year's 人次. A conversation's matters that
//! day are its confirmed categories, else the proposed ones.

use super::{category_of, is_message, person, topic_text};
use crate::engine::reply::LogRecord;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// The record space of the daily aggregates (key: YYYY-MM-DD).
pub const SPACE: &str = "daily";
/// Bumped when the meaning of a field changes (older records are refolded
/// while their messages are still in the log). 3: direct answers counted
/// (`direct`, `direct_kept`). 2: `understood` counts a question only when
/// the person confirmed the bot's reading or went on without rejecting its
/// answer (`outcome`); 1 counted every recognised one.
pub const VERSION: u32 = 3;
/// The version from which `understood` counts confirmed readings only.
pub const CONFIRMED_SINCE: u32 = 2;
/// The version from which direct answers are counted.
pub const DIRECT_SINCE: u32 = 3;
/// Unanswered typed questions kept per day (the year's top list is merged
/// from these, so a question asked rarely on many days can be missed).
pub const UNANSWERED_PER_DAY: usize = 30;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// 人次: distinct conversations.
    pub people: u64,
    pub messages: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackCounts {
    pub helpful: u64,
    pub not_helpful: u64,
    pub comments: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DayAgg {
    /// YYYY-MM-DD, China time.
    pub date: String,
    pub version: u32,
    pub people: u64,
    /// Messages people sent (feedback not counted).
    pub messages: u64,
    /// By channel (web, wechat, telegram).
    pub by_channel: BTreeMap<String, Counts>,
    /// By source tag ("" = none).
    pub by_source: BTreeMap<String, Counts>,
    /// 人次 per category (confirmed, else proposed).
    pub categories: BTreeMap<String, u64>,
    /// 人次 shown a channel card, per channel id (诉访分离: `xinfang` vs the rest).
    pub pointed: BTreeMap<String, u64>,
    /// Typed messages and those understood (see `VERSION` for how).
    pub typed: u64,
    pub understood: u64,
    /// Questions answered directly (a kind of matter's first steps said, or
    /// a FAQ entry shown, before anything was asked) and those the person
    /// went on from without 不是这类事 / 没帮助 (0 in records before version 3).
    #[serde(default)]
    pub direct: u64,
    #[serde(default)]
    pub direct_kept: u64,
    pub feedback: FeedbackCounts,
    /// Turns that spoke of danger.
    pub danger: u64,
    /// The day's most frequent typed questions not understood.
    pub unanswered: Vec<(String, u64)>,
}

#[derive(Default)]
struct Person {
    confirmed: BTreeSet<String>,
    proposed: BTreeSet<String>,
}

/// A day being folded one record at a time.
pub struct DayFold {
    date: String,
    people: HashMap<u64, Person>,
    channel_people: HashMap<String, HashSet<u64>>,
    source_people: HashMap<String, HashSet<u64>>,
    pointed: HashMap<String, HashSet<u64>>,
    unanswered: HashMap<String, u64>,
    /// Each person's last question, waiting for what they did next.
    pending: super::outcome::Pending<()>,
    agg: DayAgg,
}

impl DayFold {
    pub fn new(date: time::Date) -> Self {
        Self {
            date: date.to_string(),
            people: HashMap::new(),
            channel_people: HashMap::new(),
            source_people: HashMap::new(),
            pointed: HashMap::new(),
            unanswered: HashMap::new(),
            pending: Default::default(),
            agg: DayAgg::default(),
        }
    }

    /// Adds a record of this day (the caller reads the day's range).
    pub fn add(&mut self, r: &LogRecord) {
        let who = person(&r.channel, &r.user);
        if let Some((q, (), outcome)) = self.pending.add(who, r, || ()) {
            self.settled(&q, outcome);
        }
        if r.input_kind.starts_with("transfer") {
            return;
        }
        let p = self.people.entry(who).or_default();
        let a = &mut self.agg;
        // Everyone counted that day is counted on their channel and tag too.
        self.channel_people.entry(r.channel.clone()).or_default().insert(who);
        self.source_people.entry(r.source.clone().unwrap_or_default()).or_default().insert(who);
        if let Some(f) = &r.feedback {
            a.feedback.helpful += u64::from(f.helpful == Some(true));
            a.feedback.not_helpful += u64::from(f.helpful == Some(false));
            a.feedback.comments += u64::from(f.comment.is_some());
            return;
        }
        a.messages += 1;
        a.by_channel.entry(r.channel.clone()).or_default().messages += 1;
        a.by_source.entry(r.source.clone().unwrap_or_default()).or_default().messages += 1;
        if let Some((c, confirmed)) = category_of(r) {
            if confirmed { &mut p.confirmed } else { &mut p.proposed }.insert(c.to_string());
        }
        if let Some(ch) = r.channel_chosen.as_deref().filter(|c| !c.is_empty()) {
            self.pointed.entry(ch.to_string()).or_default().insert(who);
        }
        a.danger += u64::from(r.danger.is_some());
        if r.is_question() && is_message(r) {
            a.typed += 1;
        }
    }

    /// A question's outcome is known.
    fn settled(&mut self, q: &LogRecord, outcome: super::outcome::Outcome) {
        if q.direct.is_some() {
            self.agg.direct += 1;
            self.agg.direct_kept += u64::from(outcome.is_none());
        }
        if outcome.is_none() {
            self.agg.understood += 1;
            return;
        }
        let t = topic_text(&q.input);
        if !t.is_empty() {
            *self.unanswered.entry(t).or_default() += 1;
        }
    }

    pub fn finish(mut self) -> DayAgg {
        let pending = std::mem::take(&mut self.pending);
        for (q, (), outcome) in pending.finish() {
            self.settled(&q, outcome);
        }
        let mut a = self.agg;
        a.date = self.date;
        a.version = VERSION;
        a.people = self.people.len() as u64;
        for (map, people) in [(&mut a.by_channel, self.channel_people), (&mut a.by_source, self.source_people)] {
            for (k, set) in people {
                map.entry(k).or_default().people = set.len() as u64;
            }
        }
        for p in self.people.into_values() {
            let cats = if p.confirmed.is_empty() { p.proposed } else { p.confirmed };
            for c in cats {
                *a.categories.entry(c).or_default() += 1;
            }
        }
        a.pointed = self.pointed.into_iter().map(|(k, v)| (k, v.len() as u64)).collect();
        let mut top: Vec<(String, u64)> = self.unanswered.into_iter().collect();
        top.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
        top.truncate(UNANSWERED_PER_DAY);
        a.unanswered = top;
        a
    }
}

/// The aggregate of one day's records.
pub fn fold<'a>(date: time::Date, records: impl IntoIterator<Item = &'a LogRecord>) -> DayAgg {
    let mut f = DayFold::new(date);
    for r in records {
        f.add(r);
    }
    f.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::testlog::rec;
    use crate::engine::reply::Feedback;

    #[test]
    fn people_are_counted_once_a_day_with_confirmed_categories_before_proposed() {
        let d = time::macros::date!(2026 - 05 - 09);
        let t = crate::analysis::day_start(d);
        let mut low = rec(t + 1, "a", Some("family"), "离婚");
        low.low_confidence = true;
        let mut card = rec(t + 3, "a", Some("labor"), "1");
        card.input_kind = "choice".into();
        card.channel_chosen = Some("labor_arbitration".into());
        let mut b1 = rec(t + 4, "b", Some("civil_dispute"), "邻居");
        b1.low_confidence = true;
        b1.source = Some("0509-square".into());
        let mut fb = rec(t + 5, "b", None, "");
        fb.input_kind = "feedback".into();
        fb.feedback = Some(Feedback { helpful: Some(true), comment: Some("好".into()) });
        let mut card2 = rec(t + 6, "c", Some("xinfang_procedure"), "2");
        card2.channel_chosen = Some("xinfang".into());
        let logs =
            [low, rec(t + 2, "a", Some("labor"), "老板欠薪"), card, b1, fb, rec(t + 7, "c", None, "阿巴阿巴"), card2];
        let a = fold(d, &logs);
        assert_eq!((a.date.as_str(), a.people, a.messages), ("2026-05-09", 3, 6));
        // a: confirmed labor (the proposed family is not counted); b: proposed civil_dispute.
        let cats: Vec<(&str, u64)> = a.categories.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(cats, [("civil_dispute", 1), ("labor", 1), ("xinfang_procedure", 1)]);
        assert_eq!(a.pointed.get("labor_arbitration"), Some(&1));
        assert_eq!(a.pointed.get("xinfang"), Some(&1));
        assert_eq!(a.by_source.get("0509-square"), Some(&Counts { people: 1, messages: 1 }));
        assert_eq!(a.by_source.get(""), Some(&Counts { people: 3, messages: 5 }), "b's feedback came untagged");
        assert_eq!(a.feedback, FeedbackCounts { helpful: 1, not_helpful: 0, comments: 1 });
        // Understood: 老板欠薪 (answered, a card followed), b's offer (rated
        // 有帮助), c's "2" (answered, went on). Not: 离婚 (offered, the person
        // typed on instead of picking), 阿巴阿巴 (not recognised).
        assert_eq!((a.typed, a.understood), (5, 3));
        assert_eq!(a.unanswered, [("离婚".to_string(), 1), ("阿巴阿巴".to_string(), 1)]);
        assert_eq!((a.direct, a.direct_kept), (0, 0));
    }

    /// The day keeps how many questions were answered directly and how many
    /// of those the person did not reject (as `stats` counts them).
    #[test]
    fn direct_answers_are_kept_with_those_not_rejected() {
        use crate::engine::reply::InputRole;
        let d = time::macros::date!(2026 - 05 - 09);
        let t = crate::analysis::day_start(d);
        let question = |ts: i64, user: &str, direct: bool| {
            let mut r = rec(ts, user, Some("labor"), "老板欠薪");
            r.role = Some(InputRole::Question);
            r.direct = direct.then(|| "labor".to_string());
            r
        };
        let button = |ts: i64, user: &str, label: &str| {
            let mut r = rec(ts, user, None, "x");
            r.input_kind = "choice".into();
            r.role = Some(InputRole::Button);
            r.label = Some(label.into());
            r
        };
        let logs = [
            question(t + 1, "a", true),
            button(t + 2, "a", "还没有申请劳动仲裁"),
            question(t + 3, "b", true),
            button(t + 4, "b", "不是这类事"),
            question(t + 5, "c", true),
            question(t + 6, "d", false),
        ];
        let a = fold(d, &logs);
        assert_eq!((a.direct, a.direct_kept), (3, 2));
        let old: DayAgg = serde_json::from_str(r#"{"date":"2026-05-08","version":2,"people":1,"messages":1,"by_channel":{},"by_source":{},"categories":{},"pointed":{},"typed":1,"understood":1,"feedback":{"helpful":0,"not_helpful":0,"comments":0},"danger":0,"unanswered":[]}"#).expect("a record of version 2 still reads");
        assert_eq!((old.direct, old.direct_kept), (0, 0));
    }
}
