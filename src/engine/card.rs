//! Route node → channel card: picks the first rule whose conditions hold and
//! fills in contacts from the directory and the running deadline.

use super::dates::{Given, UNKNOWN, period_end, today};
use super::reply::{Card, DeadlineOut, NamedChannel, OfficeOut, RouteDue};
use crate::content::{Content, Deadline, Office, PeriodDef, Rule, StartDef, is_placeholder};
use std::collections::BTreeMap;
use time::Date;

pub fn build(
    content: &Content,
    category: Option<&str>,
    rules: &[Rule],
    slots: &BTreeMap<String, String>,
    now: i64,
) -> Option<Card> {
    let rule = rules.iter().find(|r| r.when.iter().all(|(k, v)| slots.get(k) == Some(v)))?;
    let dir = &content.directory;
    let channel = dir.channels.get(&rule.channel)?;
    let local = dir.offices_for(&rule.channel).filter_map(office).collect();
    let then = rule
        .then
        .iter()
        .filter_map(|id| dir.channels.get(id).map(|c| NamedChannel { id: id.clone(), name: c.name.clone() }))
        .collect();
    Some(Card {
        channel: rule.channel.clone(),
        channel_name: rule.name.clone().unwrap_or_else(|| channel.name.clone()),
        category: category.map(str::to_string),
        category_name: category.and_then(|c| dir.categories.get(c)).map(|c| c.name.clone()),
        why: fill(&rule.why, slots),
        cites: rule.cites.clone(),
        how: rule.how.clone().unwrap_or_else(|| channel.how.clone()),
        hotline: channel.hotline.clone(),
        website: channel.website.clone(),
        local,
        deadline: rule.deadline.as_ref().map(|d| deadline(content, d, slots, now)),
        bring: rule.bring.clone(),
        then,
        free_help: dir.free_help.clone(),
        notice: content.texts.notice.clone(),
    })
}

/// A local office as citizens see it: contact details still marked
/// `待核实` are left out (empty), and an office with neither a real address
/// nor a real phone is not shown at all (the national channel above it is).
fn office(o: &Office) -> Option<OfficeOut> {
    let real = |s: &str| if s.trim().is_empty() || is_placeholder(s) { String::new() } else { s.to_string() };
    let out =
        OfficeOut { name: real(&o.name), address: real(&o.address), phone: real(&o.phone), hours: real(&o.hours) };
    let reachable = !out.address.is_empty() || !out.phone.is_empty();
    (!out.name.is_empty() && reachable).then_some(out)
}

/// The deadline text and, from the date the person gave, the last day of
/// each route. A month alone ("2026年10月") counts from its 1st, and a route
/// has passed only when it has even counted from the month's last day. A
/// date not remembered (记不清) gets each route's period and what starts it
/// instead of a last day.
fn deadline(content: &Content, d: &Deadline, slots: &BTreeMap<String, String>, now: i64) -> DeadlineOut {
    let given = d.from.as_ref().and_then(|s| slots.get(s));
    let periods: Vec<&PeriodDef> = d.routes.iter().filter_map(|id| content.periods.get(id)).collect();
    // What happened decides what starts the clock: its own wait, if any,
    // else the deadline's.
    let event: Option<&StartDef> =
        d.event.as_ref().and_then(|slot| slots.get(slot)).and_then(|id| content.starts.get(id));
    let wait_id = match event {
        Some(e) => e.after.as_ref(),
        None => d.after.as_ref(),
    };
    let wait = wait_id.and_then(|id| content.periods.get(id));
    let mut out = DeadlineOut { text: d.text.clone(), due: None, days_left: None, routes: Vec::new(), status: None };
    if given.is_some_and(|v| v == UNKNOWN) {
        out.status = unknown_status(&periods, wait, event);
        return out;
    }
    let Some(given) = given.and_then(|v| Given::from_slot(v)) else { return out };
    let after = |from: Date| match wait {
        Some(w) => period_end(from, w.span),
        None => Some(from),
    };
    let (first, last) = (after(given.first_day()), after(given.last_day()));
    let today = today(now);
    let mut late = Vec::new();
    for p in periods {
        let Some(due) = first.and_then(|s| period_end(s, p.span)) else { continue };
        let days_left = today.map(|t| (due - t).whole_days());
        let latest = if given.is_range() { last.and_then(|s| period_end(s, p.span)) } else { None };
        let latest_days_left = latest.and_then(|l| today.map(|t| (l - t).whole_days()));
        out.routes.push(RouteDue {
            step: p.step.clone(),
            due: due.to_string(),
            days_left,
            cite: p.cite.clone(),
            latest: latest.map(|l| l.to_string()),
            latest_days_left,
        });
        if let Some(l) = p.late.as_ref().and_then(|l| content.late.get(l)) {
            let line = format!("{}（{}）", l.text, l.cite);
            if !late.contains(&line) {
                late.push(line);
            }
        }
    }
    let last = out.routes.iter().max_by(|a, b| a.due.cmp(&b.due));
    out.due = last.map(|r| r.due.clone());
    out.days_left = last.and_then(|r| r.days_left);
    // A route still open leads when another has passed.
    out.routes.sort_by_key(passed);
    out.status = status(&out.routes, &late, given).map(|s| match event {
        Some(e) => format!("{}（从{}起算，{}）。{s}", e.what, e.start, e.cite),
        None => s,
    });
    out
}

/// 记不清: each route's period, what starts it and its article, and a
/// pointer to where the date can be found; no last day.
fn unknown_status(periods: &[&PeriodDef], wait: Option<&PeriodDef>, event: Option<&StartDef>) -> Option<String> {
    if periods.is_empty() {
        return None;
    }
    let parts: Vec<String> = periods
        .iter()
        .map(|p| {
            let from = match (event, wait) {
                (Some(e), _) => format!("{}（{}）", e.start, e.cite),
                (None, Some(w)) => format!("{}起满{}后（{}）", w.start, w.span, w.cite),
                (None, None) => p.start.clone(),
            };
            format!("{}的期限是{}，从{}起算（{}）", p.step, p.span, from, p.cite)
        })
        .collect();
    Some(format!(
        "您记不清日期，所以这里没有推算最后一天：{}。请尽快找出文书、通知上的日期，或拨打 12348 免费咨询。",
        parts.join("；")
    ))
}

/// Has this route passed? For a month only: counted from its last day.
fn passed(r: &RouteDue) -> bool {
    r.latest_days_left.or(r.days_left).is_some_and(|n| n < 0)
}

/// The last days in words. While any route is open the card never says the
/// matter is too late; when every route has passed it says what is still
/// possible.
pub fn status(routes: &[RouteDue], late: &[String], given: Given) -> Option<String> {
    let month = routes.iter().any(|r| r.latest.is_some());
    let left = |r: &RouteDue| match r.days_left {
        Some(0) => "，就是今天".to_string(),
        Some(n) if n > 0 => format!("，还剩约 {n} 天"),
        // Only a month was given: by the real day it may not have passed yet.
        Some(_) if !passed(r) => "，按具体日期可能还没过，请马上办理".to_string(),
        _ => String::new(),
    };
    let open = routes.iter().any(|r| !passed(r));
    // Which day it was counted from, so a misread date can be seen.
    let from = match given {
        Given::Day(d) => format!("按 {d} 计算"),
        Given::Month { .. } => format!("按您说的月份，从 {} 算起", given.first_day()),
        Given::Range { from, .. } => format!("按您说的时间，从最早的一天 {from} 算起"),
    };
    let mut s = match routes {
        [] => return None,
        [r] => format!("{from}，最后一天约为 {}{}", r.due, left(r)),
        _ => {
            let parts: Vec<String> = routes
                .iter()
                .map(|r| {
                    let note =
                        if passed(r) && open { "，这一途径可能来不及了".to_string() } else { left(r) };
                    format!("{}，最后一天约为 {}{note}", r.step, r.due)
                })
                .collect();
            format!("{from}：{}", parts.join("；"))
        }
    };
    if open {
        if routes.len() > 1 && routes.iter().any(passed) {
            s.push_str("。还有途径在期限内，请抓紧");
        }
        s.push('。');
    } else {
        s.push_str(if routes.len() > 1 {
            "。这些期限可能都已经超过。"
        } else {
            "，可能已经超过。"
        });
        if !late.is_empty() {
            s.push_str(&format!("还可以了解：{}。", late.join("；")));
        }
        s.push_str("请尽快拨打 12348 免费咨询，看看您的情况还能怎么办。");
    }
    if month {
        // Counted from the earliest day, the real last day can be up to the
        // whole stretch later (a month: nearly a month), not "a few days".
        match given {
            Given::Range { to, .. } => s.push_str(&format!(
                "您说的是一段时间，这里按最早的一天算，得出的是最早可能的最后一天；实际日期更晚的，最后一天也相应推后（例如按 {to} 算）。"
            )),
            _ => s.push_str(
                "您只给了月份，这里从该月1日算起；实际的最后一天要按具体日期算，可能晚一些。",
            ),
        }
        s.push_str(
            "请尽早办理，不要等到最后一天。是否已超过期限，要结合具体情况（如期间是否主张过权利、是否有正当理由耽误、当时是否被告知期限）依法判断；有些期限（如申请再审的六个月）不能中止、中断或延长。",
        );
    }
    Some(s)
}

/// Replaces `{slot}` with the slot's value; unknown names stay as written.
pub fn fill(text: &str, slots: &BTreeMap<String, String>) -> String {
    if !text.contains('{') {
        return text.to_string();
    }
    let mut out = text.to_string();
    for (k, v) in slots {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}
