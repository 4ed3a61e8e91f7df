//! Categories and FAQ answers put to the person: "is it X?", "which is
//! closest?", the next likeliest after 不是, the matter again once safe
//! after a crisis, and typed answers to those buttons.

use super::Turn;
use super::choice::{self, ChoiceId, Cmd};
use super::render::{feedback_choices, lost_choices};
use super::reply::{ChoiceOut, Reply};
use super::understand;
use crate::content::{Content, NodeIx};

impl Turn<'_> {
    /// Answers from the FAQ, then shows where the conversation stands.
    /// A FAQ answer, saying first which question it answers, with 不是这个
    /// (the kinds of matter in `more`, else the menu) beside it.
    pub(super) fn faq(&mut self, i: usize, more: &[String]) {
        let Some(f) = self.content.faq.get(i) else { return self.not_understood() };
        let mut choices = Vec::new();
        if let Some(node) = f.node {
            let label = "详细了解".to_string();
            choices.push(ChoiceOut { id: ChoiceId::Faq(ChoiceId::name(&self.content.node(node).id)), label });
        }
        let label = self.content.texts.faq_not_this_label.clone();
        let not_this = not_that(more);
        choices.push(ChoiceOut { id: not_this, label });
        choices.extend(feedback_choices(self.content));
        choices.extend(lost_choices(self.content));
        self.s.offered = remember(self.content, &choices);
        let text = faq_text(self.content, f);
        self.faq_shown = Some(f.id.clone());
        self.replies.push(Reply { cites: f.cites.clone(), choices, ..Reply::plain(text) });
        if let Some(cat) = &f.category {
            self.s.slots.insert("category".to_string(), cat.clone());
        }
    }

    pub(super) fn suggest(&mut self, categories: &[String], ask: Ask) {
        self.suggest_as(categories, ask, None, &[], None);
    }

    /// Once a person who wrote about danger says they are safe: the matter
    /// understood from the rest of their message, if there was one.
    pub(super) fn resume(&mut self, fallback: NodeIx, sets: &[(String, String)]) {
        self.s.slots.insert(SAID_SAFE.to_string(), "yes".to_string());
        let cats: Vec<String> = self
            .s
            .slots
            .get(RESUME)
            .map(|v| {
                v.split(',').filter(|c| self.content.category_entry.contains_key(*c)).map(str::to_string).collect()
            })
            .unwrap_or_default();
        if cats.is_empty() {
            return self.go(fallback, sets);
        }
        let sure = self.s.slots.get(RESUME_SURE).is_some_and(|v| v == "yes");
        let t = &self.content.texts;
        let (ask, heading) =
            if sure { (Ask::Confirm, t.resume_confirm.clone()) } else { (Ask::Pick, t.resume_pick.clone()) };
        self.suggest_as(&cats, ask, Some(&heading), &[], None);
    }

    /// `more`: under buttons to pick from, what 都不是 offers before the menu.
    /// `faq`: an entry that may answer the question, offered last.
    pub(super) fn suggest_as(
        &mut self,
        categories: &[String],
        ask: Ask,
        heading: Option<&str>,
        more: &[String],
        faq: Option<usize>,
    ) {
        self.low_confidence = ask != Ask::Confirm;
        self.asked = true;
        let dir = &self.content.directory;
        let name = |c: &String| dir.categories.get(c).map(|x| x.name.clone()).unwrap_or_else(|| c.clone());
        let texts = &self.content.texts;
        let menu = ChoiceOut { id: ChoiceId::cmd(Cmd::Menu), label: "都不是，看菜单".to_string() };
        let cat = |c: &String| ChoiceId::Category(ChoiceId::name(c));
        let (text, mut choices) = match (ask, categories.split_first()) {
            (Ask::Confirm, Some((c, others))) => {
                let yes = ChoiceOut { id: cat(c), label: "对".to_string() };
                // "No" offers the next likeliest kinds of matter, if any.
                let no = if others.is_empty() {
                    menu
                } else {
                    ChoiceOut { id: not_that(others), label: "不是".to_string() }
                };
                (heading.unwrap_or(&texts.confirm).replace("{category}", &name(c)), vec![yes, no])
            }
            _ => {
                let mut choices: Vec<ChoiceOut> =
                    categories.iter().map(|c| ChoiceOut { id: cat(c), label: name(c) }).collect();
                if more.is_empty() || ask != Ask::Pick {
                    choices.push(menu);
                } else {
                    choices.push(ChoiceOut { id: not_that(more), label: "都不是".to_string() });
                }
                let default = if ask == Ask::Instead { &texts.other_kinds } else { &texts.suggest };
                (heading.unwrap_or(default).to_string(), choices)
            }
        };
        if let Some(f) = faq.and_then(|i| self.content.faq.get(i)) {
            let label = texts.faq_offer_label.replace("{question}", &f.question);
            choices.push(ChoiceOut { id: ChoiceId::Answer(ChoiceId::name(&f.id)), label });
        }
        self.s.offered = remember(self.content, &choices);
        self.replies.push(Reply { choices, ..Reply::plain(text) });
    }
}

impl Turn<'_> {
    /// A kind of matter recognised surely enough to answer directly: its
    /// usual first steps said at once (the category's `direct`, its basis
    /// cited), then its own questions and cards, with 不是这类事 (the next
    /// likeliest kinds) and a FAQ entry that may answer it among the buttons.
    pub(super) fn direct(&mut self, categories: &[String], faq: Option<usize>) {
        let Some((c, others)) = categories.split_first() else { return self.not_understood() };
        let entry = self.content.category_entry.get(c.as_str()).copied();
        let said = self.content.directory.categories.get(c).and_then(|x| x.direct.clone());
        let (Some(entry), Some((said, basis))) = (entry, said) else {
            // No words for a direct answer: ask as usual.
            return self.suggest_as(categories, Ask::Confirm, None, &[], faq);
        };
        let t = &self.content.texts;
        let label = t.direct_not_this_label.clone();
        let mut extra = vec![ChoiceOut { id: not_that(others), label }];
        if let Some(f) = faq.and_then(|i| self.content.faq.get(i)) {
            let label = t.faq_offer_label.replace("{question}", &f.question);
            extra.push(ChoiceOut { id: ChoiceId::Answer(ChoiceId::name(&f.id)), label });
        }
        // Its own message, so its basis is read as the basis of these words
        // (not of the question that follows).
        self.replies.push(Reply { cites: vec![basis], ..Reply::plain(said) });
        self.direct = Some(c.clone());
        self.go(entry, &[("category".to_string(), c.clone())]);
        if let Some(last) = self.replies.last_mut() {
            last.choices.extend(extra);
            self.s.offered = remember(self.content, &last.choices);
        }
    }

    /// 您还提到: buttons for the other matters a message raised, after the
    /// ones of the reply just given.
    pub(super) fn also_mentioned(&mut self, others: &[String]) {
        let dir = &self.content.directory;
        let extra: Vec<ChoiceOut> = others
            .iter()
            .filter(|c| self.content.category_entry.contains_key(c.as_str()))
            .map(|c| {
                let name = dir.categories.get(c).map_or(c.as_str(), |x| x.name.as_str());
                ChoiceOut {
                    id: ChoiceId::Category(ChoiceId::name(c)),
                    label: self.content.texts.also_mentioned_label.replace("{category}", name),
                }
            })
            .collect();
        let Some(last) = self.replies.last_mut() else { return };
        if extra.is_empty() {
            return;
        }
        last.choices.extend(extra);
        self.s.offered = remember(self.content, &last.choices);
    }
}

/// 不是 / 都不是 / 不是这个: the next likeliest kinds of matter, or the menu
/// when there are none.
fn not_that(kinds: &[String]) -> ChoiceId {
    let ids: Vec<_> = kinds.iter().take(choice::MAX_NOT_THAT).map(|c| ChoiceId::name(c)).collect();
    if ids.is_empty() { ChoiceId::cmd(Cmd::Menu) } else { ChoiceId::NotThat(ids) }
}

/// The label a node gives its own choice (`<node>.<n>`), if it is one.
fn node_label<'a>(content: &'a Content, id: &ChoiceId) -> Option<&'a str> {
    let ChoiceId::Option { node, n } = id else { return None };
    let ix = content.find(node.as_str())?;
    let choice = content.node(ix).kind.choices().get(usize::from(*n).checked_sub(1)?)?;
    Some(choice.label.as_str())
}

/// The label of a button as the person saw it: the node's own, the one
/// kept with the buttons offered, or the fixed label its kind of id has.
pub(super) fn label_of(content: &Content, offered: &[(ChoiceId, String)], id: &ChoiceId) -> String {
    if let Some(l) = node_label(content, id) {
        return l.to_string();
    }
    if let Some((_, kept)) = offered.iter().find(|(o, k)| o == id && !k.is_empty()) {
        return kept.clone();
    }
    let t = &content.texts;
    match id {
        ChoiceId::Command(Cmd::Back) => t.back_label.clone(),
        ChoiceId::Command(Cmd::Menu) => t.menu_label.clone(),
        ChoiceId::Command(Cmd::Start) => "重新开始".into(),
        ChoiceId::Command(Cmd::Handoff) => "联系工作人员".into(),
        ChoiceId::Command(Cmd::Help) => "帮助".into(),
        ChoiceId::Command(Cmd::Resume) => "（打开页面）".into(),
        ChoiceId::Helpful(true) => t.helpful_label.clone(),
        ChoiceId::Helpful(false) => t.unhelpful_label.clone(),
        ChoiceId::SkipComment => t.comment_skip_label.clone(),
        ChoiceId::Faq(_) => "详细了解".into(),
        ChoiceId::Answer(id) => {
            let q = content.faq.iter().find(|f| f.id == id.as_str()).map(|f| f.question.as_str()).unwrap_or_default();
            t.faq_offer_label.replace("{question}", q)
        }
        ChoiceId::Enter(n) => n.to_string(),
        ChoiceId::Category(c) => {
            content.directory.categories.get(c.as_str()).map_or_else(|| c.to_string(), |x| x.name.clone())
        }
        ChoiceId::NotThat(_) => "不是".into(),
        ChoiceId::Date(g) => g.to_slot(),
        ChoiceId::DateUnknown => t.date_unknown_label.clone(),
        // A yes-no question's buttons are not among the node's choices.
        ChoiceId::Option { n: 1, .. } => "是".into(),
        ChoiceId::Option { n: 2, .. } => "否".into(),
        ChoiceId::Option { .. } => id.to_string(),
    }
}

/// What a session keeps of the buttons offered, for a typed number or label
/// to pick one: every id, and a label only where the content cannot give
/// it back (a node's own choices can: most of what is offered), so the
/// session, rewritten with every message, stays small.
pub(super) fn remember(content: &Content, choices: &[ChoiceOut]) -> Vec<(ChoiceId, String)> {
    choices
        .iter()
        .map(|c| {
            let derivable = node_label(content, &c.id) == Some(c.label.as_str());
            (c.id.clone(), if derivable { String::new() } else { c.label.clone() })
        })
        .collect()
}

/// A typed answer to buttons that belong to no node: their number, their
/// label, or a "yes" word for a single suggestion.
pub(super) fn pick_offered(content: &Content, offered: &[(ChoiceId, String)], text: &str) -> Option<ChoiceId> {
    if offered.is_empty() {
        return None;
    }
    let t = understand::normalize(text);
    if let Ok(n) = t.parse::<usize>() {
        return offered.get(n.checked_sub(1)?).map(|(id, _)| id.clone());
    }
    let label = |id: &ChoiceId, kept: &str| {
        if kept.is_empty() { node_label(content, id).unwrap_or("").to_string() } else { kept.to_string() }
    };
    if let Some((id, _)) = offered.iter().find(|(id, kept)| understand::normalize(&label(id, kept)) == t) {
        return Some(id.clone());
    }
    // A confirmation ("…，对吗？"): yes takes the category, no its alternative.
    // (A FAQ entry and other matters offered beside it may follow.)
    let confirm = match offered {
        [(ChoiceId::Category(_), _), (ChoiceId::NotThat(_) | ChoiceId::Command(Cmd::Menu), _), rest @ ..] => {
            rest.iter().all(|(id, _)| matches!(id, ChoiceId::Answer(_) | ChoiceId::Category(_)))
        }
        _ => false,
    };
    if confirm && content.commands.yes.contains(&t) {
        return Some(offered[0].0.clone());
    }
    (confirm && content.commands.no.contains(&t)).then(|| offered[1].0.clone())
}

/// How categories are put to the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ask {
    /// "Is it X?" (the rest follow a no).
    Confirm,
    /// "Which is closest?"
    Pick,
    /// After a no to a confirmation: "Closer to which, then?"
    Instead,
}

/// Slots of a crisis turn: the categories understood from the rest of the
/// message, and whether the first was a confident guess.
pub(super) const RESUME: &str = "resume";
pub(super) const RESUME_SURE: &str = "resume_sure";
/// Set once the person said they are safe (the crisis reply is not shown
/// again on a page reload: review C9).
pub(super) const SAID_SAFE: &str = "said_safe";

/// A FAQ answer as shown: the question it answers first, so a person can
/// tell when they were misunderstood.
pub fn faq_text(content: &Content, f: &crate::content::Faq) -> String {
    let asked = content.texts.faq_heading.replace("{question}", f.question.trim_end_matches(['？', '?']));
    format!("{asked}\n{}", f.answer)
}
