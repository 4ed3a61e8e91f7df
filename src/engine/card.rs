//! Route node → channel card: picks the first rule whose conditions hold and
//! fills in contacts from the directory and the running deadline.

use super::dates::{Given, period_end, today};
use super::reply::{Card, DeadlineOut, NamedChannel, OfficeOut, RouteDue};
use crate::content::{Content, Deadline, Rule};
use std::collections::BTreeMap;

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
    let local = dir
        .offices_for(&rule.channel)
        .map(|o| OfficeOut {
            name: o.name.clone(),
            address: o.address.clone(),
            phone: o.phone.clone(),
            hours: o.hours.clone(),
        })
        .collect();
    let then = rule
        .then
        .iter()
        .filter_map(|id| dir.channels.get(id).map(|c| NamedChannel { id: id.clone(), name: c.name.clone() }))
        .collect();
    Some(Card {
        channel: rule.channel.clone(),
        channel_name: channel.name.clone(),
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

/// The deadline text and, from the date the person gave, the last day of
/// each route.
fn deadline(content: &Content, d: &Deadline, slots: &BTreeMap<String, String>, now: i64) -> DeadlineOut {
    let mut start = d.from.as_ref().and_then(|s| slots.get(s)).and_then(|v| Given::from_slot(v)).map(Given::first_day);
    if let Some(wait) = d.after.as_ref().and_then(|id| content.periods.get(id)) {
        start = start.and_then(|s| period_end(s, wait.span));
    }
    let today = today(now);
    let mut routes = Vec::new();
    let mut late = Vec::new();
    for p in d.routes.iter().filter_map(|id| content.periods.get(id)) {
        let Some(due) = start.and_then(|s| period_end(s, p.span)) else { continue };
        let days_left = today.map(|t| (due - t).whole_days());
        routes.push(RouteDue { step: p.step.clone(), due: due.to_string(), days_left, cite: p.cite.clone() });
        if let Some(l) = p.late.as_ref().and_then(|l| content.late.get(l)) {
            let line = format!("{}（{}）", l.text, l.cite);
            if !late.contains(&line) {
                late.push(line);
            }
        }
    }
    let last = routes.iter().max_by(|a, b| a.due.cmp(&b.due));
    DeadlineOut {
        text: d.text.clone(),
        due: last.map(|r| r.due.clone()),
        days_left: last.and_then(|r| r.days_left),
        status: status(&routes, &late),
        routes,
    }
}

/// The last days in words. While any route is open the card never says the
/// matter is too late; when every route has passed it says what is still
/// possible.
pub fn status(routes: &[RouteDue], late: &[String]) -> Option<String> {
    let left = |r: &RouteDue| match r.days_left {
        Some(0) => "，就是今天".to_string(),
        Some(n) if n > 0 => format!("，还剩约 {n} 天"),
        _ => String::new(),
    };
    let passed = |r: &RouteDue| r.days_left.is_some_and(|n| n < 0);
    let open = routes.iter().any(|r| !passed(r));
    let mut s = match routes {
        [] => return None,
        [r] => format!("按您提供的日期推算，最后一天约为 {}{}", r.due, left(r)),
        _ => {
            let parts: Vec<String> = routes
                .iter()
                .map(|r| {
                    let note =
                        if passed(r) && open { "，这一途径可能来不及了".to_string() } else { left(r) };
                    format!("{}，最后一天约为 {}{note}", r.step, r.due)
                })
                .collect();
            format!("按您提供的日期推算：{}", parts.join("；"))
        }
    };
    if open {
        if routes.len() > 1 && routes.iter().any(passed) {
            s.push_str("。还有途径在期限内，请抓紧");
        }
        s.push('。');
        return Some(s);
    }
    s.push_str(if routes.len() > 1 { "。这些期限可能都已经超过。" } else { "，可能已经超过。" });
    if !late.is_empty() {
        s.push_str(&format!("还可以了解：{}。", late.join("；")));
    }
    s.push_str("请尽快拨打 12348 免费咨询，看看您的情况还能怎么办。");
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
