//! The dialog engine: a pure function of (content, session, inbound message,
//! now) → (new session, replies, log record). No I/O, clock or randomness.

pub mod card;
pub mod dates;
pub mod mask;
pub mod reply;
pub mod session;
pub mod understand;

use crate::content::{Content, Input, Node, NodeIx, NodeKind};
use reply::{ChoiceOut, Feedback, Inbound, LogRecord, Reply, UserInput};
use session::{Frame, MAX_HISTORY, Session, SessionKey};
use std::sync::Arc;
use understand::{Command, Intent, Understand};

/// Longest free-text answer stored in a slot.
const MAX_SLOT_CHARS: usize = 200;

/// Longest message text kept in the query log (longer text is cut).
pub const MAX_LOG_CHARS: usize = 5000;

pub struct Engine {
    pub content: Arc<Content>,
    pub understand: Arc<dyn Understand>,
    /// Seconds of inactivity after which a session starts over.
    pub idle_secs: i64,
}

/// The outcome of one message.
#[derive(Debug, Clone)]
pub struct Step {
    pub session: Session,
    pub replies: Vec<Reply>,
    pub log: LogRecord,
}

/// Working state of one step.
struct Turn<'a> {
    content: &'a Content,
    s: Session,
    replies: Vec<Reply>,
    matched: bool,
    card_channel: Option<String>,
    feedback: Option<Feedback>,
    /// The message was understood only well enough to offer choices.
    low_confidence: bool,
    /// The message spoke of danger (its kind), for the query log.
    danger: Option<String>,
    /// For typed text the understanding placed: the category the bot
    /// proposed for this message (not the conversation's earlier one), for
    /// the query log and so staff annotations correct the right guess.
    proposed: Option<Option<String>>,
    now: i64,
}

/// Longest feedback comment kept, in characters.
pub const MAX_COMMENT_CHARS: usize = 300;

impl Engine {
    pub fn new(content: Arc<Content>, understand: Arc<dyn Understand>, idle_secs: i64) -> Self {
        Self { content, understand, idle_secs }
    }

    pub fn step(&self, prev: Option<&Session>, key: &SessionKey, inbound: &Inbound, now: i64) -> Step {
        let content = &*self.content;
        let start_id = &content.node(content.start).id;
        let mut replies = Vec::new();
        let mut s = match prev {
            Some(p) if p.is_expired(now, self.idle_secs) => {
                replies.push(Reply::plain(content.texts.expired.clone()));
                Session { version: p.version, ..Session::new(key.clone(), start_id, now) }
            }
            Some(p) if content.find(&p.node).is_some() => p.clone(),
            Some(p) => Session { version: p.version, ..Session::new(key.clone(), start_id, now) },
            None => Session::new(key.clone(), start_id, now),
        };
        if s.source.is_none() {
            s.source.clone_from(&inbound.source);
        }
        s.last_active = now;
        s.turns = s.turns.saturating_add(1);
        let node_from = s.node.clone();
        let offered = std::mem::take(&mut s.offered);
        let fresh = prev.is_none() || !replies.is_empty();
        let mut turn = Turn {
            content,
            s,
            replies,
            matched: true,
            card_channel: None,
            feedback: None,
            low_confidence: false,
            danger: None,
            proposed: None,
            now,
        };
        match &inbound.input {
            UserInput::Choice(id) => turn.choice(id),
            UserInput::Feedback { helpful, comment } => turn.feedback(*helpful, comment.as_deref()),
            UserInput::Text(t) if comment_text(content, t).is_some() => turn.feedback(None, comment_text(content, t)),
            UserInput::Text(t) if t.trim().is_empty() && fresh => turn.show_current(),
            UserInput::Text(t) if t.trim().is_empty() => {
                turn.say(&content.texts.empty);
                turn.show_current();
            }
            UserInput::Text(t) => match pick_offered(content, &offered, t) {
                Some(id) => turn.choice(&id),
                None => {
                    let intent = self.understand.interpret(content, turn.current(), t);
                    turn.intent(intent, t, fresh);
                }
            },
        }
        turn.finish(node_from, inbound)
    }
}

impl<'a> Turn<'a> {
    fn current_ix(&self) -> NodeIx {
        self.content.find(&self.s.node).unwrap_or(self.content.start)
    }

    fn current(&self) -> &'a Node {
        self.content.node(self.current_ix())
    }

    fn say(&mut self, text: &str) {
        self.replies.push(Reply::plain(text.to_string()));
    }

    fn choice(&mut self, id: &str) {
        let cmd = match id {
            "cmd:back" => Some(Command::Back),
            "cmd:menu" | "cmd:start" => Some(Command::Restart),
            "cmd:handoff" => Some(Command::Handoff),
            "cmd:help" => Some(Command::Help),
            _ => None,
        };
        if let Some(cmd) = cmd {
            return self.command(cmd);
        }
        if id == "cmd:resume" {
            return self.show_current();
        }
        if let Some(v) = id.strip_prefix("fb:") {
            return match v {
                "yes" => self.feedback(Some(true), None),
                "no" => self.feedback(Some(false), None),
                _ => self.not_understood(),
            };
        }
        if let Some(node) = id.strip_prefix("faq:") {
            return match self.content.find(node) {
                Some(ix) if self.content.faq.iter().any(|f| f.node == Some(ix)) => self.go(ix, &[]),
                _ => self.not_understood(),
            };
        }
        if let Some(node) = id.strip_prefix("enter:") {
            // Entry points that messaging-app menus may open directly.
            return match self.content.find(node) {
                Some(ix) if self.content.entries.contains(&ix) => self.go(ix, &[]),
                _ => self.not_understood(),
            };
        }
        if let Some(list) = id.strip_prefix(NOT_THAT) {
            // Only known categories: the id comes back from the person.
            let cats: Vec<String> = list
                .split(',')
                .filter(|c| self.content.category_entry.contains_key(*c))
                .take(3)
                .map(str::to_string)
                .collect();
            if cats.is_empty() {
                return self.command(Command::Restart);
            }
            return self.suggest(&cats, Ask::Instead);
        }
        if let Some(cat) = id.strip_prefix("cat:") {
            return match self.content.category_entry.get(cat) {
                Some(&entry) => self.go(entry, &[("category".to_string(), cat.to_string())]),
                None => self.not_understood(),
            };
        }
        let parsed = id.rsplit_once('.').and_then(|(node, n)| Some((node, n.parse::<usize>().ok()?)));
        match parsed {
            Some((node, n)) if node == self.s.node && n >= 1 => self.take_choice(n - 1),
            _ => self.not_understood(),
        }
    }

    fn intent(&mut self, intent: Intent, text: &str, fresh: bool) {
        match &intent {
            Intent::Suggest { categories, .. } => self.proposed = Some(categories.first().cloned()),
            Intent::Faq(i) => self.proposed = Some(self.content.faq.get(*i).and_then(|f| f.category.clone())),
            Intent::Lost => self.proposed = Some(None),
            _ => {}
        }
        match intent {
            Intent::Command(c) => self.command(c),
            Intent::Choice(i) => self.take_choice(i),
            Intent::Enter { node, category } => {
                let sets: Vec<_> = category.into_iter().map(|c| ("category".to_string(), c)).collect();
                self.go(node, &sets);
            }
            Intent::Danger { node, kind, resume, confident } => {
                self.danger = Some(kind);
                let sets = [
                    ("category".to_string(), "emergency".to_string()),
                    (RESUME.to_string(), resume.join(",")),
                    (RESUME_SURE.to_string(), if confident { "yes" } else { "no" }.to_string()),
                ];
                self.go(node, &sets);
            }
            Intent::Faq(i) => self.faq(i),
            Intent::Suggest { categories, confident, more } => {
                self.suggest_as(&categories, if confident { Ask::Confirm } else { Ask::Pick }, None, &more)
            }
            Intent::Also { faq, then } => {
                // The second part first, then the matter with its buttons.
                if let Some(f) = self.content.faq.get(faq) {
                    self.replies.push(Reply {
                        text: f.answer.clone(),
                        cites: f.cites.clone(),
                        choices: vec![],
                        card: None,
                    });
                }
                self.intent(*then, text, fresh);
            }
            Intent::Lost => {
                self.matched = false;
                let lost = self.content.texts.lost.clone();
                self.replies.push(Reply { choices: lost_choices(self.content), ..Reply::plain(lost) });
            }
            Intent::Yes | Intent::No | Intent::Other => self.value(intent, text, fresh),
        }
    }

    /// Free text at the current node: an answer to an ask node, or not understood.
    fn value(&mut self, intent: Intent, text: &str, fresh: bool) {
        let node = self.current();
        let NodeKind::Ask { slot, input, hint } = &node.kind else {
            // Free text the understanding could not place: nothing proposed.
            self.proposed = Some(None);
            if fresh {
                // A first message we cannot place: greet with the menu instead of an error.
                self.matched = false;
                return self.show_current();
            }
            return self.not_understood();
        };
        let value = match (input, &intent) {
            (Input::YesNo { yes, .. }, Intent::Yes) => Some((*yes, "yes".to_string())),
            (Input::YesNo { no, .. }, Intent::No) => Some((*no, "no".to_string())),
            (Input::Date { next }, _) => dates::parse_date(text)
                .filter(|d| dates::today(self.now).is_none_or(|t| *d <= t))
                .map(|d| (*next, d.to_string())),
            (Input::Number { next }, _) => {
                let t = understand::normalize(text);
                t.parse::<f64>().ok().filter(|n| n.is_finite() && *n >= 0.0).map(|_| (*next, t))
            }
            (Input::Text { next }, _) => {
                let t: String = mask::mask(text.trim()).chars().take(MAX_SLOT_CHARS).collect();
                Some((*next, t))
            }
            _ => None,
        };
        match value {
            Some((next, v)) => self.go(next, &[(slot.clone(), v)]),
            None => {
                self.matched = false;
                let hint = if hint.is_empty() { &self.content.texts.not_understood } else { hint };
                self.say(hint);
                self.show_current();
            }
        }
    }

    /// Answers from the FAQ, then shows where the conversation stands.
    fn faq(&mut self, i: usize) {
        let Some(f) = self.content.faq.get(i) else { return self.not_understood() };
        let mut choices = Vec::new();
        if let Some(node) = f.node {
            let label = "详细了解".to_string();
            choices.push(ChoiceOut { id: format!("faq:{}", self.content.node(node).id), label });
        }
        choices.extend(feedback_choices(self.content));
        choices.extend(lost_choices(self.content));
        self.s.offered = choices.iter().map(|c| (c.id.clone(), c.label.clone())).collect();
        self.replies.push(Reply { text: f.answer.clone(), cites: f.cites.clone(), choices, card: None });
        if let Some(cat) = &f.category {
            self.s.slots.insert("category".to_string(), cat.clone());
        }
    }

    fn suggest(&mut self, categories: &[String], ask: Ask) {
        self.suggest_as(categories, ask, None, &[]);
    }

    /// Once a person who wrote about danger says they are safe: the matter
    /// understood from the rest of their message, if there was one.
    fn resume(&mut self, fallback: NodeIx, sets: &[(String, String)]) {
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
        self.suggest_as(&cats, ask, Some(&heading), &[]);
    }

    /// `more`: under buttons to pick from, what 都不是 offers before the menu.
    fn suggest_as(&mut self, categories: &[String], ask: Ask, heading: Option<&str>, more: &[String]) {
        self.low_confidence = ask != Ask::Confirm;
        let dir = &self.content.directory;
        let name = |c: &String| dir.categories.get(c).map(|x| x.name.clone()).unwrap_or_else(|| c.clone());
        let texts = &self.content.texts;
        let menu = ChoiceOut { id: "cmd:menu".to_string(), label: "都不是，看菜单".to_string() };
        let (text, choices) = match (ask, categories.split_first()) {
            (Ask::Confirm, Some((c, others))) => {
                let yes = ChoiceOut { id: format!("cat:{c}"), label: "对".to_string() };
                // "No" offers the next likeliest kinds of matter, if any.
                let no = if others.is_empty() {
                    menu
                } else {
                    ChoiceOut { id: format!("{NOT_THAT}{}", others.join(",")), label: "不是".to_string() }
                };
                (heading.unwrap_or(&texts.confirm).replace("{category}", &name(c)), vec![yes, no])
            }
            _ => {
                let mut choices: Vec<ChoiceOut> =
                    categories.iter().map(|c| ChoiceOut { id: format!("cat:{c}"), label: name(c) }).collect();
                if more.is_empty() || ask != Ask::Pick {
                    choices.push(menu);
                } else {
                    choices
                        .push(ChoiceOut {
                            id: format!("{NOT_THAT}{}", more.join(",")), label: "都不是".to_string()
                        });
                }
                let default = if ask == Ask::Instead { &texts.other_kinds } else { &texts.suggest };
                (heading.unwrap_or(default).to_string(), choices)
            }
        };
        self.s.offered = choices.iter().map(|c| (c.id.clone(), c.label.clone())).collect();
        self.replies.push(Reply { text, cites: Vec::new(), choices, card: None });
    }

    /// Records feedback on where the conversation stands; the node stays.
    fn feedback(&mut self, helpful: Option<bool>, comment: Option<&str>) {
        let t = &self.content.texts;
        let comment: Option<String> = comment
            .map(|c| mask::mask(c.trim()).chars().filter(|c| !c.is_control()).take(MAX_COMMENT_CHARS).collect())
            .filter(|c: &String| !c.is_empty());
        let mut text = if comment.is_some() { t.comment_thanks.clone() } else { t.feedback_thanks.clone() };
        if helpful == Some(false) && comment.is_none() {
            text = t.feedback_ask.clone();
        }
        let mut choices = Vec::new();
        if self.current_ix() != self.content.start {
            choices.push(ChoiceOut { id: "cmd:back".into(), label: t.back_label.clone() });
        }
        choices.push(ChoiceOut { id: "cmd:menu".into(), label: t.menu_label.clone() });
        self.replies.push(Reply { text, cites: Vec::new(), choices, card: None });
        self.feedback = Some(Feedback { helpful, comment });
    }

    fn not_understood(&mut self) {
        self.matched = false;
        self.say(&self.content.texts.not_understood);
        self.show_current();
    }

    fn command(&mut self, cmd: Command) {
        match cmd {
            Command::Back => match self.s.history.pop() {
                Some(frame) => {
                    self.s.node = frame.node;
                    self.s.slots = frame.slots;
                    self.show_current();
                }
                None => {
                    self.say(&self.content.texts.at_start);
                    self.show_current();
                }
            },
            Command::Restart => {
                self.s.history.clear();
                self.s.slots.clear();
                self.s.node = self.content.node(self.content.start).id.clone();
                self.show_current();
            }
            Command::Handoff => self.go(self.content.handoff, &[]),
            Command::Help => self.go(self.content.help, &[]),
        }
    }

    fn take_choice(&mut self, i: usize) {
        let node = self.current();
        if let NodeKind::Ask { input: Input::YesNo { .. }, .. } = node.kind {
            return match i {
                0 => self.value(Intent::Yes, "", false),
                1 => self.value(Intent::No, "", false),
                _ => self.not_understood(),
            };
        }
        match node.kind.choices().get(i) {
            Some(ch) if ch.resume => self.resume(ch.next, &ch.sets),
            Some(ch) => self.go(ch.next, &ch.sets),
            None => self.not_understood(),
        }
    }

    /// Moves to `target`, remembering where we were for "返回".
    fn go(&mut self, target: NodeIx, sets: &[(String, String)]) {
        let frame = Frame { node: self.s.node.clone(), slots: self.s.slots.clone() };
        self.s.history.push(frame);
        if self.s.history.len() > MAX_HISTORY {
            self.s.history.remove(0);
        }
        for (k, v) in sets.iter().filter(|(k, _)| !k.is_empty()) {
            self.s.slots.insert(k.clone(), v.clone());
        }
        self.s.node = self.content.node(target).id.clone();
        self.show_current();
    }

    fn show_current(&mut self) {
        let ix = self.current_ix();
        let reply = render(self.content, ix, &self.s, self.now);
        if let Some(card) = &reply.card {
            self.card_channel = Some(card.channel.clone());
            if let Some(cat) = &card.category {
                self.s.slots.insert("category".to_string(), cat.clone());
            }
        }
        self.replies.push(reply);
    }

    fn finish(self, node_from: String, inbound: &Inbound) -> Step {
        let (kind, raw) = match (&self.feedback, &inbound.input) {
            (Some(f), _) => ("feedback", f.comment.as_deref().unwrap_or_default()),
            (None, UserInput::Text(t)) => ("text", t.as_str()),
            (None, UserInput::Choice(c)) => ("choice", c.as_str()),
            (None, UserInput::Feedback { .. }) => ("feedback", ""),
        };
        // Text-only channels number every button; remember them so a typed
        // number picks the same one. Replies offering only 返回/菜单 (free
        // answers: dates, amounts) keep numbers for the answer itself.
        let mut s = self.s;
        if s.offered.is_empty() {
            if let Some(r) = self.replies.iter().rev().find(|r| !r.choices.is_empty()) {
                if r.choices.iter().any(|c| !c.id.starts_with("cmd:")) {
                    s.offered = r.choices.iter().map(|c| (c.id.clone(), c.label.clone())).collect();
                }
            }
        }
        let summary: String = self.replies.iter().map(|r| r.text.as_str()).collect::<Vec<_>>().join(" / ");
        let log = LogRecord {
            ts: self.now,
            channel: s.key.channel().to_string(),
            user: s.key.user().to_string(),
            source: s.source.clone(),
            node_from,
            node: s.node.clone(),
            input_kind: kind.to_string(),
            input: mask::mask(raw).chars().take(MAX_LOG_CHARS).collect(),
            matched: self.matched,
            category: self.proposed.unwrap_or_else(|| s.slots.get("category").cloned()),
            channel_chosen: self.card_channel,
            reply_summary: summary.chars().take(120).collect(),
            feedback: self.feedback,
            low_confidence: self.low_confidence,
            danger: self.danger,
            shown: String::new(),
        };
        Step { session: s, replies: self.replies, log }
    }
}

/// A typed answer to buttons that belong to no node: their number, their
/// label, or a "yes" word for a single suggestion.
fn pick_offered(content: &Content, offered: &[(String, String)], text: &str) -> Option<String> {
    if offered.is_empty() {
        return None;
    }
    let t = understand::normalize(text);
    if let Ok(n) = t.parse::<usize>() {
        return offered.get(n.checked_sub(1)?).map(|(id, _)| id.clone());
    }
    if let Some((id, _)) = offered.iter().find(|(_, label)| understand::normalize(label) == t) {
        return Some(id.clone());
    }
    // A confirmation ("…，对吗？"): yes takes the category, no its alternative.
    let confirm = offered.len() == 2 && offered[0].0.starts_with("cat:");
    if confirm && content.commands.yes.contains(&t) {
        return Some(offered[0].0.clone());
    }
    (confirm && content.commands.no.contains(&t)).then(|| offered[1].0.clone())
}

/// How categories are put to the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ask {
    /// "Is it X?" (the rest follow a no).
    Confirm,
    /// "Which is closest?"
    Pick,
    /// After a no to a confirmation: "Closer to which, then?"
    Instead,
}

/// Choice id prefix of "not that one": the categories to offer instead.
const NOT_THAT: &str = "not:";

/// Slots of a crisis turn: the categories understood from the rest of the
/// message, and whether the first was a confident guess.
const RESUME: &str = "resume";
const RESUME_SURE: &str = "resume_sure";

/// Buttons when the bot is lost: the menu and a person.
/// 有帮助 / 没帮助, under answers and channel cards.
fn feedback_choices(content: &Content) -> [ChoiceOut; 2] {
    let t = &content.texts;
    [
        ChoiceOut { id: "fb:yes".to_string(), label: t.helpful_label.clone() },
        ChoiceOut { id: "fb:no".to_string(), label: t.unhelpful_label.clone() },
    ]
}

/// The comment in a message that starts with a comment prefix ("意见：…").
fn comment_text<'t>(content: &Content, text: &'t str) -> Option<&'t str> {
    let t = text.trim_start();
    content.commands.comment.iter().find_map(|p| t.strip_prefix(p.as_str())).map(str::trim).filter(|c| !c.is_empty())
}

fn lost_choices(content: &Content) -> Vec<ChoiceOut> {
    vec![
        ChoiceOut { id: "cmd:menu".to_string(), label: content.texts.menu_label.clone() },
        ChoiceOut { id: "cmd:handoff".to_string(), label: "联系工作人员".to_string() },
    ]
}

/// What a node shows: its text, citations, choices (plus 返回/菜单 away from
/// the start), and for route and handoff nodes the card or contact.
pub fn render(content: &Content, ix: NodeIx, s: &Session, now: i64) -> Reply {
    let node = content.node(ix);
    let mut text = card::fill(&node.text, &s.slots);
    let mut card_out = None;
    match &node.kind {
        NodeKind::Route { category, rules, .. } => {
            let cat = category.as_deref().or(s.slots.get("category").map(String::as_str));
            card_out = card::build(content, cat, rules, &s.slots, now);
        }
        NodeKind::Handoff { .. } => {
            let o = &content.directory.handoff;
            text.push_str(&format!("\n\n{}\n地址：{}\n电话：{}\n接待时间：{}", o.name, o.address, o.phone, o.hours));
        }
        _ => {}
    }
    let mut choices: Vec<ChoiceOut> = node
        .kind
        .choices()
        .iter()
        .enumerate()
        .map(|(i, c)| ChoiceOut { id: format!("{}.{}", node.id, i + 1), label: c.label.clone() })
        .collect();
    if let NodeKind::Ask { input: Input::YesNo { .. }, .. } = node.kind {
        for (i, label) in ["是", "否"].iter().enumerate() {
            choices.push(ChoiceOut { id: format!("{}.{}", node.id, i + 1), label: label.to_string() });
        }
    }
    if node.feedback && matches!(node.kind, NodeKind::Answer { .. } | NodeKind::Route { .. }) {
        choices.extend(feedback_choices(content));
    }
    if ix != content.start {
        let t = &content.texts;
        choices.push(ChoiceOut { id: "cmd:back".into(), label: t.back_label.clone() });
        choices.push(ChoiceOut { id: "cmd:menu".into(), label: t.menu_label.clone() });
    }
    Reply { text, cites: node.cites.clone(), choices, card: card_out }
}
