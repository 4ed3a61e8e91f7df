//! Route node → channel card: picks the first rule whose conditions hold and
//! fills in contacts from the directory and the running deadline.

use super::dates::{parse_date, period_end, today};
use super::reply::{Card, DeadlineOut, NamedChannel, OfficeOut};
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
        how: channel.how.clone(),
        hotline: channel.hotline.clone(),
        website: channel.website.clone(),
        local,
        deadline: rule.deadline.as_ref().map(|d| deadline(d, slots, now)),
        bring: rule.bring.clone(),
        then,
        free_help: dir.free_help.clone(),
        notice: content.texts.notice.clone(),
    })
}

fn deadline(d: &Deadline, slots: &BTreeMap<String, String>, now: i64) -> DeadlineOut {
    let start = d.from.as_ref().and_then(|s| slots.get(s)).and_then(|v| parse_date(v));
    let due = match (start, d.period) {
        (Some(start), Some(p)) => period_end(start, p),
        _ => None,
    };
    let days_left = due.zip(today(now)).map(|(due, today)| (due - today).whole_days());
    DeadlineOut { text: d.text.clone(), due: due.map(|d| d.to_string()), days_left }
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
