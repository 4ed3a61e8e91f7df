//! Early warning (研判) over the last weeks of the query log.
//!
//! - **Surges.** For each category and each source tag: the people (distinct
//!   conversations) of the last 7 days, `x`, against the mean of the
//!   `HISTORY_WEEKS` 7-day windows before, `λ` (at least `MIN_LAMBDA`).
//!   Flagged when `x ≥ SURGE_MIN_PEOPLE`, `x ≥ SURGE_MIN_RATIO · λ` and the
//!   Poisson upper tail `P(X ≥ x | λ) < SURGE_P`; and only once the log
//!   reaches back `MIN_HISTORY_WEEKS` (a new installation has no history
//!   to rise above). The ratio keeps large, noisy counts from alarming on a
//!   few percent; the minimum keeps small numbers quiet.
//! - **Shared targets.** A named place, employer, project or estate
//!   ([`super::names`]) that at least `TARGET_MIN_PEOPLE` different people
//!   named in typed messages of the last `TARGET_DAYS` days: the early sign
//!   of a collective petition (集体访).
//! - **Repeat askers.** A conversation (channel + user) that came back about
//!   the same matter (category or named target) on at least
//!   `REPEAT_MIN_DAYS` different days spanning at least `REPEAT_MIN_SPAN_DAYS`
//!   days within the last `REPEAT_DAYS` days: a matter not resolved (重复信访 risk).
//! - **Danger.** Turns of the last `DANGER_DAYS` days that spoke of danger
//!   (self-harm, violence, fire, medical), newest first.
//!
//! Every warning has a stable id so staff can mark it (看过 / 已转办).

use super::{category_of, day_of, is_message, names, person, topic_text};
use crate::store::LogEntry;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap, HashSet};

pub const DAY: i64 = 86_400;
pub const WEEK: i64 = 7 * DAY;
pub const HISTORY_WEEKS: i64 = 8;
pub const MIN_HISTORY_WEEKS: usize = 4;
pub const MIN_LAMBDA: f64 = 0.5;
pub const SURGE_MIN_PEOPLE: u64 = 10;
pub const SURGE_MIN_RATIO: f64 = 1.5;
pub const SURGE_P: f64 = 0.001;
pub const TARGET_DAYS: i64 = 14;
pub const TARGET_MIN_PEOPLE: usize = 3;
pub const REPEAT_DAYS: i64 = 56;
pub const REPEAT_MIN_DAYS: usize = 3;
pub const REPEAT_MIN_SPAN_DAYS: i64 = 7;
pub const DANGER_DAYS: i64 = 7;
/// What surges are counted by, in `Scan::surge`'s order.
const SURGE_KINDS: [&str; 2] = ["category", "source"];
/// Lists are cut to this many warnings each (biggest first).
pub const MAX_LISTED: usize = 100;
const SAMPLES: usize = 5;
const LINKS: usize = 10;

/// The log range the warnings at `now` read: `[from, now]`.
pub fn range(now: i64) -> (i64, i64) {
    let longest = (HISTORY_WEEKS + 1) * WEEK;
    (now - longest.max(REPEAT_DAYS * DAY), now + 1)
}

/// `P(X ≥ x)` for `X ~ Poisson(λ)`, summed from `x` upwards (exact enough
/// where it matters: far in the tail). Returns 1 for `x ≤ λ`.
pub fn poisson_upper(x: u64, lambda: f64) -> f64 {
    if x == 0 || (x as f64) <= lambda || lambda <= 0.0 {
        return if lambda <= 0.0 && x > 0 { 0.0 } else { 1.0 };
    }
    let ln_fact: f64 = (2..=x).map(|i| (i as f64).ln()).sum();
    let mut term = (x as f64 * lambda.ln() - lambda - ln_fact).exp();
    let (mut sum, mut k) = (0.0, x);
    while term > 0.0 && term >= sum * 1e-12 {
        sum += term;
        k += 1;
        term *= lambda / k as f64;
    }
    sum.min(1.0)
}

/// A conversation, for links to its transcript.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Who {
    pub channel: String,
    pub user: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Surge {
    pub id: String,
    /// `category` or `source`.
    pub kind: String,
    pub key: String,
    pub people: u64,
    /// Mean people per 7 days before.
    pub expected: f64,
    pub p: f64,
    pub samples: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub id: String,
    /// The spelling most people used, and the others.
    pub name: String,
    pub variants: Vec<String>,
    pub people: usize,
    pub messages: u64,
    pub first: i64,
    pub last: i64,
    pub categories: Vec<String>,
    pub samples: Vec<String>,
    pub who: Vec<Who>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Repeat {
    pub id: String,
    pub who: Who,
    /// A category id, or `name:` and a named target.
    pub matter: String,
    pub days: usize,
    pub first: i64,
    pub last: i64,
    pub samples: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Danger {
    pub id: String,
    pub ts: i64,
    pub kind: String,
    pub who: Who,
    pub input: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Warnings {
    pub now: i64,
    /// Past 7-day windows that hold any record (surges need `MIN_HISTORY_WEEKS`).
    pub history_weeks: usize,
    pub surges: Vec<Surge>,
    pub targets: Vec<Target>,
    pub repeats: Vec<Repeat>,
    pub danger: Vec<Danger>,
}

impl Warnings {
    pub fn count(&self) -> usize {
        self.surges.len() + self.targets.len() + self.repeats.len() + self.danger.len()
    }
}

#[derive(Default)]
struct TargetAcc {
    people: HashSet<u64>,
    spellings: HashMap<String, u64>,
    messages: u64,
    first: i64,
    last: i64,
    categories: BTreeSet<String>,
    samples: Vec<String>,
    who: Vec<Who>,
}

/// One category's or source tag's people per 7-day window (0 = the last 7
/// days) and sample questions of the last window.
struct SurgeAcc {
    windows: Vec<HashSet<u64>>,
    samples: Vec<String>,
}

#[derive(Default)]
struct PersonAcc {
    who: Option<Who>,
    /// Matter → (China-time day numbers, samples, first, last).
    matters: HashMap<String, (BTreeSet<i64>, Vec<String>, i64, i64)>,
}

/// The warnings being folded, one log entry at a time (any order).
pub struct Scan {
    now: i64,
    /// Per category and per source tag (`SURGE_KINDS`), by key.
    surge: [HashMap<String, SurgeAcc>; 2],
    weeks_seen: BTreeSet<i64>,
    targets: HashMap<String, TargetAcc>,
    people: HashMap<u64, PersonAcc>,
    danger: Vec<Danger>,
}

impl Scan {
    pub fn new(now: i64) -> Self {
        Self {
            now,
            surge: [HashMap::new(), HashMap::new()],
            weeks_seen: BTreeSet::new(),
            targets: HashMap::new(),
            people: HashMap::new(),
            danger: Vec::new(),
        }
    }

    pub fn add(&mut self, e: &LogEntry) {
        let r = &e.record;
        let age = self.now - r.ts;
        if age < 0 || !is_message(r) {
            return;
        }
        let week = age / WEEK;
        if week <= HISTORY_WEEKS {
            self.weeks_seen.insert(week);
        }
        let who = person(&r.channel, &r.user);
        let text = r.is_question();
        // Borrowed from the record: this runs for every message read, so
        // keys are only copied when they are first seen.
        let category = category_of(r).map(|(c, _)| c);
        if week <= HISTORY_WEEKS {
            for (map, key) in self.surge.iter_mut().zip([category, r.source.as_deref()]) {
                let Some(key) = key else { continue };
                if !map.contains_key(key) {
                    let windows = vec![HashSet::new(); HISTORY_WEEKS as usize + 1];
                    map.insert(key.to_string(), SurgeAcc { windows, samples: Vec::new() });
                }
                let Some(acc) = map.get_mut(key) else { continue };
                acc.windows[week as usize].insert(who);
                if week == 0 && text && acc.samples.len() < SAMPLES {
                    acc.samples.push(topic_text(&r.input));
                }
            }
        }
        if r.danger.is_some() && age < DANGER_DAYS * DAY {
            self.danger.push(Danger {
                id: format!("danger:{}-{}", r.ts, e.id),
                ts: r.ts,
                kind: r.danger.clone().unwrap_or_default(),
                who: Who { channel: r.channel.clone(), user: r.user.clone() },
                input: topic_text(&r.input),
            });
        }
        let found = if text { names::extract(&r.input) } else { Vec::new() };
        if age < TARGET_DAYS * DAY {
            for n in &found {
                let t = self.targets.entry(n.key.clone()).or_insert_with(|| TargetAcc {
                    first: r.ts,
                    last: r.ts,
                    ..TargetAcc::default()
                });
                let new_person = t.people.insert(who);
                *t.spellings.entry(n.text.clone()).or_default() += 1;
                t.messages += 1;
                t.first = t.first.min(r.ts);
                t.last = t.last.max(r.ts);
                t.categories.extend(category.map(String::from));
                if new_person && t.samples.len() < SAMPLES {
                    t.samples.push(topic_text(&r.input));
                }
                if new_person && t.who.len() < LINKS {
                    t.who.push(Who { channel: r.channel.clone(), user: r.user.clone() });
                }
            }
        }
        if age < REPEAT_DAYS * DAY {
            if category.is_none() && found.is_empty() {
                return;
            }
            // The China-time day as a number (only differences are used).
            let day = (r.ts + super::CHINA.whole_seconds() as i64).div_euclid(DAY);
            let p = self.people.entry(who).or_default();
            p.who.get_or_insert_with(|| Who { channel: r.channel.clone(), user: r.user.clone() });
            let names: Vec<String> = found.iter().map(|n| format!("name:{}", n.key)).collect();
            for m in category.into_iter().chain(names.iter().map(String::as_str)) {
                if !p.matters.contains_key(m) {
                    p.matters.insert(m.to_string(), (BTreeSet::new(), Vec::new(), r.ts, r.ts));
                }
                let Some((days, samples, first, last)) = p.matters.get_mut(m) else { continue };
                if days.insert(day) && text && samples.len() < SAMPLES {
                    samples.push(topic_text(&r.input));
                }
                *first = (*first).min(r.ts);
                *last = (*last).max(r.ts);
            }
        }
    }

    pub fn finish(self) -> Warnings {
        let now = self.now;
        let history_weeks = self.weeks_seen.iter().filter(|w| **w > 0).count();
        let week_id = day_of(now).map(|d| {
            let (y, w, _) = d.to_iso_week_date();
            format!("{y}-W{w:02}")
        });
        let mut surges = Vec::new();
        if history_weeks >= MIN_HISTORY_WEEKS {
            for (kind, (key, acc)) in
                self.surge.iter().zip(SURGE_KINDS).flat_map(|(m, kind)| m.iter().map(move |e| (kind, e)))
            {
                let windows = &acc.windows;
                let x = windows[0].len() as u64;
                let past: usize = windows[1..].iter().map(HashSet::len).sum();
                let lambda = (past as f64 / HISTORY_WEEKS as f64).max(MIN_LAMBDA);
                if x < SURGE_MIN_PEOPLE || (x as f64) < SURGE_MIN_RATIO * lambda {
                    continue;
                }
                let p = poisson_upper(x, lambda);
                if p < SURGE_P {
                    surges.push(Surge {
                        id: format!("surge:{kind}:{key}:{}", week_id.clone().unwrap_or_default()),
                        kind: kind.to_string(),
                        key: key.clone(),
                        people: x,
                        expected: lambda,
                        p,
                        samples: acc.samples.clone(),
                    });
                }
            }
        }
        surges.sort_by(|a, b| a.p.total_cmp(&b.p).then_with(|| a.id.cmp(&b.id)));
        let mut targets: Vec<Target> = self
            .targets
            .into_iter()
            .filter(|(_, t)| t.people.len() >= TARGET_MIN_PEOPLE)
            .map(|(key, t)| {
                let mut sp: Vec<(String, u64)> = t.spellings.into_iter().collect();
                sp.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                let mut names = sp.into_iter().map(|(s, _)| s);
                let name = names.next().unwrap_or_else(|| key.clone());
                Target {
                    id: format!("target:{key}"),
                    name,
                    variants: names.take(SAMPLES).collect(),
                    people: t.people.len(),
                    messages: t.messages,
                    first: t.first,
                    last: t.last,
                    categories: t.categories.into_iter().collect(),
                    samples: t.samples,
                    who: t.who,
                }
            })
            .collect();
        targets.sort_by(|a, b| b.people.cmp(&a.people).then_with(|| b.last.cmp(&a.last)).then_with(|| a.id.cmp(&b.id)));
        let mut repeats = Vec::new();
        for p in self.people.into_values() {
            let Some(who) = p.who else { continue };
            for (matter, (days, samples, first, last)) in p.matters {
                let span = days.last().zip(days.first()).map_or(0, |(l, f)| *l - *f);
                if days.len() >= REPEAT_MIN_DAYS && span >= REPEAT_MIN_SPAN_DAYS {
                    repeats.push(Repeat {
                        id: format!("repeat:{}:{}:{matter}", who.channel, who.user),
                        who: who.clone(),
                        matter,
                        days: days.len(),
                        first,
                        last,
                        samples,
                    });
                }
            }
        }
        repeats.sort_by(|a, b| b.days.cmp(&a.days).then_with(|| b.last.cmp(&a.last)).then_with(|| a.id.cmp(&b.id)));
        let mut danger = self.danger;
        danger.sort_by(|a, b| b.ts.cmp(&a.ts).then_with(|| a.id.cmp(&b.id)));
        surges.truncate(MAX_LISTED);
        targets.truncate(MAX_LISTED);
        repeats.truncate(MAX_LISTED);
        danger.truncate(MAX_LISTED);
        Warnings { now, history_weeks, surges, targets, repeats, danger }
    }
}

/// The warnings at `now` from log entries (any order; entries outside
/// [`range`] are ignored).
pub fn warnings<'a>(now: i64, entries: impl IntoIterator<Item = &'a LogEntry>) -> Warnings {
    let mut s = Scan::new(now);
    for e in entries {
        s.add(e);
    }
    s.finish()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::analysis::testlog::rec;
    use crate::engine::reply::LogRecord;

    pub const NOW: i64 = 1_795_744_800; // 2026-11-27 10:00 China time

    /// Ten weeks of ordinary questions: every day a handful of people on a
    /// few categories, one-off visitors, no shared names.
    pub fn quiet_log() -> Vec<LogRecord> {
        let cats = ["labor", "family", "civil_dispute", "xinfang_procedure", "consumer"];
        let mut out = Vec::new();
        for day in 0..70i64 {
            for i in 0..6i64 {
                let ts = NOW - day * DAY - 3600 * (i + 1);
                let cat = cats[((day + i) % 5) as usize];
                let mut r = rec(ts, &format!("q{day}-{i}"), Some(cat), &format!("问题第{i}个，老板欠薪怎么办"));
                r.source = (i == 0).then(|| "kiosk-1".to_string());
                out.push(r);
            }
        }
        out
    }

    /// The quiet log plus: a surge of land expropriation this week, a group
    /// of five people naming 幸福家园小区 within ten days, and one person
    /// coming back about the same wage matter over four weeks.
    pub fn planted_log() -> Vec<LogRecord> {
        let mut out = quiet_log();
        for i in 0..25i64 {
            let ts = NOW - (i % 6) * DAY - 600 * (i + 1);
            out.push(rec(ts, &format!("land{i}"), Some("land_expropriation"), "征地补偿标准太低了怎么办"));
        }
        let texts = [
            "我住在幸福家园小区，开发商不交房",
            "幸福家园项目烂尾了找谁",
            "开发商幸福家园一直不给办证",
            "幸福家园小区的房子漏水",
            "幸福家园停工半年了",
        ];
        for (i, t) in texts.iter().enumerate() {
            out.push(rec(NOW - (i as i64 * 2 + 1) * DAY, &format!("estate{i}"), Some("civil_dispute"), t));
        }
        for week in 0..4i64 {
            out.push(rec(
                NOW - week * 9 * DAY - 7200,
                "again",
                Some("labor"),
                "工地老板还是不给工资，上次说的仲裁没下文",
            ));
        }
        out
    }

    pub fn entries(logs: Vec<LogRecord>) -> Vec<LogEntry> {
        logs.into_iter().enumerate().map(|(i, record)| LogEntry { id: i as u64, record }).collect()
    }

    #[test]
    fn poisson_tail_matches_known_values() {
        // P(X ≥ 10 | λ = 3) = 0.0011025; P(X ≥ 3 | λ = 0.5) = 0.0143877.
        assert!((poisson_upper(10, 3.0) - 0.001_102_5).abs() < 1e-6);
        assert!((poisson_upper(3, 0.5) - 0.014_387_7).abs() < 1e-6);
        assert_eq!(poisson_upper(2, 5.0), 1.0);
        assert!(poisson_upper(3000, 2000.0) < 1e-50);
    }

    #[test]
    fn a_quiet_log_raises_no_warning() {
        let w = warnings(NOW, &entries(quiet_log()));
        assert!(w.history_weeks >= MIN_HISTORY_WEEKS);
        assert_eq!(w.count(), 0, "{w:#?}");
    }

    #[test]
    fn planted_surge_group_and_repeat_asker_are_flagged() {
        let w = warnings(NOW, &entries(planted_log()));
        assert_eq!(
            w.surges.iter().map(|s| s.key.as_str()).collect::<Vec<_>>(),
            ["land_expropriation"],
            "{:#?}",
            w.surges
        );
        assert_eq!(w.surges[0].people, 25);
        assert!(w.surges[0].samples.iter().all(|s| s.contains("征地")));
        assert_eq!(w.targets.len(), 1, "{:#?}", w.targets);
        let t = &w.targets[0];
        assert_eq!((t.id.as_str(), t.people), ("target:幸福家园", 5));
        assert!(t.name.contains("幸福家园") && t.who.len() == 5);
        assert_eq!(w.repeats.len(), 1, "{:#?}", w.repeats);
        let r = &w.repeats[0];
        assert_eq!((r.who.user.as_str(), r.matter.as_str(), r.days), ("again", "labor", 4));
        assert!(w.danger.is_empty());
    }

    #[test]
    fn danger_turns_of_the_last_days_are_listed_newest_first() {
        let mut logs = quiet_log();
        for (age, kind) in [(2 * DAY, "self_harm"), (DAY, "violence"), (9 * DAY, "fire")] {
            let mut r = rec(NOW - age, &format!("d{age}"), Some("emergency"), "不想活了");
            r.danger = Some(kind.into());
            logs.push(r);
        }
        let w = warnings(NOW, &entries(logs));
        let kinds: Vec<&str> = w.danger.iter().map(|d| d.kind.as_str()).collect();
        assert_eq!(kinds, ["violence", "self_harm"]);
    }

    #[test]
    fn a_new_installation_without_history_raises_no_surge() {
        let logs: Vec<LogRecord> = planted_log().into_iter().filter(|r| NOW - r.ts < 2 * WEEK).collect();
        let w = warnings(NOW, &entries(logs));
        assert!(w.surges.is_empty());
        assert_eq!(w.targets.len(), 1);
    }
}
