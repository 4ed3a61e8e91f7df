//! What a node shows on a channel: its text, citations, choices (plus
//! 返回/菜单 away from the start), the control a date question asks for,
//! and for route and handoff nodes the card or contact.

use super::card;
use super::choice::{ChoiceId, Cmd};
use super::dates;
use super::reply::{ChoiceOut, Expect, Reply};
use super::session::Session;
use crate::content::{Content, Input, NodeIx, NodeKind, is_placeholder};

/// Channels whose choices are buttons (the web page, Telegram); on the
/// others (WeChat, the terminal, transcripts) people reply with numbers.
pub const BUTTON_CHANNELS: [&str; 2] = ["web", "telegram"];

/// Does this channel show choices as numbered lines to reply with?
pub fn numbered(channel: &str) -> bool {
    !BUTTON_CHANNELS.contains(&channel)
}

pub fn render(content: &Content, ix: NodeIx, s: &Session, now: i64) -> Reply {
    let node = content.node(ix);
    let raw = match &node.text_numbers {
        Some(t) if numbered(s.key.channel()) => t,
        _ => &node.text,
    };
    let mut text = card::fill(raw, &s.slots);
    let mut card_out = None;
    let mut expect = None;
    match &node.kind {
        NodeKind::Route { category, rules, .. } => {
            let cat = category.as_deref().or(s.slots.get("category").map(String::as_str));
            card_out = card::build(content, cat, rules, &s.slots, now);
        }
        NodeKind::Handoff { .. } => text.push_str(&handoff_office(content)),
        NodeKind::Ask { input: Input::Date { .. }, .. } => {
            expect = dates::today(now).map(|t| Expect::Date { latest: t.to_string() });
        }
        _ => {}
    }
    let mut choices: Vec<ChoiceOut> = node
        .kind
        .choices()
        .iter()
        .enumerate()
        .map(|(i, c)| ChoiceOut { id: ChoiceId::option(&node.id, i + 1), label: c.label.clone() })
        .collect();
    match node.kind {
        NodeKind::Ask { input: Input::YesNo { .. }, .. } => {
            for (i, label) in ["是", "否"].iter().enumerate() {
                choices.push(ChoiceOut { id: ChoiceId::option(&node.id, i + 1), label: label.to_string() });
            }
        }
        NodeKind::Ask { input: Input::Date { .. }, .. } => {
            choices.push(ChoiceOut { id: ChoiceId::DateUnknown, label: content.texts.date_unknown_label.clone() });
        }
        _ => {}
    }
    if node.feedback && matches!(node.kind, NodeKind::Answer { .. } | NodeKind::Route { .. }) {
        choices.extend(feedback_choices(content));
    }
    if ix != content.start {
        choices.extend(nav_choices(content));
    }
    Reply { text, cites: node.cites.clone(), choices, card: card_out, expect }
}

/// The local reception office, or while its contacts are placeholders
/// (`待核实…`), a sentence saying so: placeholders are never shown.
fn handoff_office(content: &Content) -> String {
    let o = &content.directory.handoff;
    let known = |s: &str| !s.trim().is_empty() && !is_placeholder(s);
    let mut s = String::from("\n");
    if known(&o.name) {
        s.push_str(&format!("\n{}", o.name));
    }
    for (label, v) in [("地址", &o.address), ("电话", &o.phone), ("接待时间", &o.hours)] {
        if known(v) {
            s.push_str(&format!("\n{label}：{v}"));
        }
    }
    if !(known(&o.address) || known(&o.phone)) {
        s.push_str(&format!("\n{}", content.texts.handoff_pending));
    }
    s
}

/// 返回上一步 / 回到菜单.
pub fn nav_choices(content: &Content) -> [ChoiceOut; 2] {
    let t = &content.texts;
    [
        ChoiceOut { id: ChoiceId::cmd(Cmd::Back), label: t.back_label.clone() },
        ChoiceOut { id: ChoiceId::cmd(Cmd::Menu), label: t.menu_label.clone() },
    ]
}

/// 有帮助 / 没帮助, under answers and channel cards.
pub fn feedback_choices(content: &Content) -> [ChoiceOut; 2] {
    let t = &content.texts;
    [
        ChoiceOut { id: ChoiceId::Helpful(true), label: t.helpful_label.clone() },
        ChoiceOut { id: ChoiceId::Helpful(false), label: t.unhelpful_label.clone() },
    ]
}

/// Buttons when the bot is lost: the menu and a person.
pub fn lost_choices(content: &Content) -> Vec<ChoiceOut> {
    vec![
        ChoiceOut { id: ChoiceId::cmd(Cmd::Menu), label: content.texts.menu_label.clone() },
        ChoiceOut { id: ChoiceId::cmd(Cmd::Handoff), label: "联系工作人员".to_string() },
    ]
}
