//! The dialog engine: a pure function of (content, session, inbound message,
//! now) → (new session, replies, log record). No I/O, clock or randomness.

pub mod card;
pub mod choice;
pub mod dates;
mod feedback;
pub mod mask;
pub mod render;
pub mod reply;
pub mod session;
mod suggest;
pub mod understand;

use crate::content::{Content, Input, Node, NodeIx, NodeKind};
use crate::danger::{Assessment, Level};
use choice::{ChoiceId, Cmd};
use dates::{DateError, Given};
use render::lost_choices;
pub use render::render;
use reply::{Feedback, Inbound, InputRole, LogRecord, Reply, UserInput};
use session::{Frame, MAX_HISTORY, Session, SessionKey};
use std::sync::Arc;
use suggest::{Ask, RESUME, RESUME_SURE, SAID_SAFE, label_of, pick_offered};
use understand::{Command, Intent, Social, Understand};

/// How many check-in cues a session remembers.
const MAX_DANGER_ASKED: usize = 8;

/// Longest free-text answer stored in a slot.
const MAX_SLOT_CHARS: usize = 200;

/// Longest message text kept in the query log (longer text is cut).
pub const MAX_LOG_CHARS: usize = 5000;

/// Longest message a person may send, in characters, unless settings say
/// otherwise (`[server] max_text_chars`): room for a long 问政 letter. Longer
/// text is refused with a reply saying so, never cut.
pub const MAX_TEXT_CHARS: usize = 5000;

/// Longest feedback comment kept, in characters (a comment is a message:
/// nothing within the message limit is cut).
pub const MAX_COMMENT_CHARS: usize = MAX_LOG_CHARS;

pub struct Engine {
    pub content: Arc<Content>,
    pub understand: Arc<dyn Understand>,
    /// Seconds of inactivity after which a session starts over.
    pub idle_secs: i64,
    /// Longest message text taken, in characters.
    pub max_text_chars: usize,
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
    /// Answered directly as this kind of matter (see `LogRecord::direct`).
    direct: Option<String>,
    /// The reply put the matter to the person to confirm or pick.
    asked: bool,
    /// The FAQ entry shown, if one was.
    faq_shown: Option<String>,
    /// The message spoke of danger (its kind), for the query log.
    danger: Option<String>,
    /// For typed text the understanding placed: the category the bot
    /// proposed for this message (not the conversation's earlier one), for
    /// the query log and so staff annotations correct the right guess.
    proposed: Option<Option<String>>,
    /// What the message was to the conversation, for the query log.
    role: InputRole,
    /// The label of the button the message chose, if it chose one.
    label: Option<String>,
    now: i64,
}

impl Engine {
    pub fn new(content: Arc<Content>, understand: Arc<dyn Understand>, idle_secs: i64) -> Self {
        Self { content, understand, idle_secs, max_text_chars: MAX_TEXT_CHARS }
    }

    /// The same engine taking messages of up to `max` characters.
    pub fn with_max_text_chars(mut self, max: usize) -> Self {
        self.max_text_chars = max;
        self
    }

    pub fn step(&self, prev: Option<&Session>, key: &SessionKey, inbound: &Inbound, now: i64) -> Step {
        let content = &*self.content;
        let start_id = &content.node(content.start).id;
        // A button or answer that only makes sense inside a conversation.
        let in_context = match &inbound.input {
            UserInput::Choice(c) => needs_context(c),
            UserInput::Feedback { .. } => true,
            // A typed number picks from choices shown before (WeChat, terminal).
            UserInput::Text(t) => understand::normalize(t).parse::<usize>().is_ok(),
        };
        // A number typed as a first message ever is a menu choice.
        let is_text = matches!(inbound.input, UserInput::Text(_));
        let fresh_from = |p: &Session| Session { version: p.version, ..Session::new(key.clone(), start_id, now) };
        let (mut s, expired) = match prev {
            Some(p) if p.is_expired(now, self.idle_secs) => (fresh_from(p), true),
            Some(p) if content.find(&p.node).is_some() => (p.clone(), false),
            Some(p) => (fresh_from(p), false),
            // Swept already: the channel says the person had a session, or
            // the button pressed belongs to one.
            None => (Session::new(key.clone(), start_id, now), inbound.session_gone || in_context && !is_text),
        };
        if s.source.is_none() {
            s.source.clone_from(&inbound.source);
        }
        s.last_active = now;
        s.turns = s.turns.saturating_add(1);
        let node_from = s.node.clone();
        let offered = std::mem::take(&mut s.offered);
        let wants_comment = std::mem::take(&mut s.wants_comment);
        let fresh = prev.is_none() || expired;
        let mut turn = Turn {
            content,
            s,
            replies: Vec::new(),
            matched: true,
            card_channel: None,
            feedback: None,
            low_confidence: false,
            direct: None,
            asked: false,
            faq_shown: None,
            danger: None,
            proposed: None,
            role: InputRole::Question,
            label: None,
            now,
        };
        if let UserInput::Choice(id) = &inbound.input {
            turn.tapped(id, &offered);
        }
        if expired {
            turn.say(&content.texts.expired);
            if in_context {
                // What was pressed belonged to the conversation that ended.
                turn.show_current();
                return turn.finish(node_from, inbound);
            }
        }
        // Danger first, in whatever a person writes: a message, an answer to
        // a question, a comment on an answer.
        let written = match &inbound.input {
            UserInput::Text(t) => Some(t.as_str()),
            UserInput::Feedback { comment, .. } => comment.as_deref(),
            UserInput::Choice(_) => None,
        };
        if let Some(a) = written.and_then(|t| content.danger.assess(t).map(|a| (a, t))) {
            if turn.danger(&a.0, a.1, &*self.understand) {
                return turn.finish(node_from, inbound);
            }
        }
        match &inbound.input {
            UserInput::Choice(id) => turn.choice(id),
            UserInput::Feedback { helpful, comment } => turn.feedback(*helpful, comment.as_deref()),
            UserInput::Text(t) if t.chars().count() > self.max_text_chars => turn.too_long(t, self.max_text_chars),
            UserInput::Text(t) if comment_text(content, t).is_some() => turn.feedback(None, comment_text(content, t)),
            UserInput::Text(t) if t.trim().is_empty() && fresh => turn.page(|t| t.show_current()),
            UserInput::Text(t) if t.trim().is_empty() => turn.page(|t| t.reoffer(&content.texts.empty)),
            UserInput::Text(t) => match pick_offered(content, &offered, t) {
                Some(id) => {
                    turn.tapped(&id, &offered);
                    turn.choice(&id)
                }
                None => {
                    let intent = self.understand.interpret(content, turn.current(), t);
                    if wants_comment && is_comment(&intent) {
                        turn.feedback(None, Some(t));
                    } else {
                        turn.intent(intent, t, fresh);
                    }
                }
            },
        }
        turn.finish(node_from, inbound)
    }
}

/// Choices that refer to where a conversation stood (a node's option, a
/// date, feedback on an answer); a fresh session cannot take them.
fn needs_context(c: &ChoiceId) -> bool {
    match c {
        ChoiceId::Command(cmd) => matches!(cmd, Cmd::Back),
        ChoiceId::Option { .. }
        | ChoiceId::Helpful(_)
        | ChoiceId::SkipComment
        | ChoiceId::NotThat(_)
        | ChoiceId::Date(_)
        | ChoiceId::DateUnknown => true,
        ChoiceId::Faq(_) | ChoiceId::Answer(_) | ChoiceId::Enter(_) | ChoiceId::Category(_) => false,
    }
}

/// After 没帮助, the next message is the comment unless it is a command, a
/// button's label, a greeting or thanks (danger is read before anything).
fn is_comment(intent: &Intent) -> bool {
    !matches!(intent, Intent::Command(_) | Intent::Choice(_) | Intent::Social(_))
}

impl<'a> Turn<'a> {
    /// Notes a button chosen (tapped, or picked by a typed number or label):
    /// what kind of input it was and its label.
    fn tapped(&mut self, id: &ChoiceId, offered: &[(ChoiceId, String)]) {
        self.role = match id {
            ChoiceId::Command(Cmd::Start | Cmd::Resume) => InputRole::Page,
            ChoiceId::Command(_) => InputRole::Command,
            ChoiceId::Date(_) | ChoiceId::DateUnknown => InputRole::Date,
            _ => InputRole::Button,
        };
        self.label = Some(label_of(self.content, offered, id));
    }

    fn page(&mut self, f: impl FnOnce(&mut Self)) {
        self.role = InputRole::Page;
        f(self);
    }

    fn current_ix(&self) -> NodeIx {
        self.content.find(&self.s.node).unwrap_or(self.content.start)
    }

    fn current(&self) -> &'a Node {
        self.content.node(self.current_ix())
    }

    fn say(&mut self, text: &str) {
        self.replies.push(Reply::plain(text.to_string()));
    }

    /// Says `text` and offers the current node's choices again, without
    /// repeating the node itself (a long card is not sent twice).
    /// `text`, then the current node's buttons again; at a question, the
    /// question again too (review C3: on WeChat "1. 是 2. 否" alone).
    fn reoffer(&mut self, text: &str) {
        let shown = render(self.content, self.current_ix(), &self.s, self.now);
        let text = match self.current().kind {
            NodeKind::Ask { .. } if !shown.text.is_empty() => format!("{text}\n{}", shown.text),
            _ => text.to_string(),
        };
        self.replies.push(Reply { choices: shown.choices, expect: shown.expect, ..Reply::plain(text) });
    }

    fn choice(&mut self, id: &ChoiceId) {
        match id {
            ChoiceId::Command(Cmd::Resume) => self.reopen(),
            ChoiceId::Command(Cmd::Back) => self.command(Command::Back),
            ChoiceId::Command(Cmd::Menu | Cmd::Start) => self.command(Command::Restart),
            ChoiceId::Command(Cmd::Handoff) => self.command(Command::Handoff),
            ChoiceId::Command(Cmd::Help) => self.command(Command::Help),
            ChoiceId::Helpful(h) => self.feedback(Some(*h), None),
            ChoiceId::SkipComment => self.skip_comment(),
            ChoiceId::Answer(id) => match self.content.faq.iter().position(|f| f.id == id.as_str()) {
                Some(i) => {
                    let own = self.content.faq[i].category.clone();
                    self.faq(i, &own.into_iter().collect::<Vec<_>>());
                }
                None => self.not_understood(),
            },
            ChoiceId::Faq(node) => match self.content.find(node.as_str()) {
                Some(ix) if self.content.faq.iter().any(|f| f.node == Some(ix)) => self.go(ix, &[]),
                _ => self.not_understood(),
            },
            // Entry points that messaging-app menus may open directly.
            ChoiceId::Enter(node) => match self.content.find(node.as_str()) {
                Some(ix) if self.content.entries.contains(&ix) => self.go(ix, &[]),
                _ => self.not_understood(),
            },
            ChoiceId::NotThat(list) => {
                // Only known categories: the id comes back from the person.
                let cats: Vec<String> = list
                    .iter()
                    .filter(|c| self.content.category_entry.contains_key(c.as_str()))
                    .map(|c| c.as_str().to_string())
                    .collect();
                if cats.is_empty() {
                    return self.command(Command::Restart);
                }
                self.suggest(&cats, Ask::Instead)
            }
            ChoiceId::Category(cat) => match self.content.category_entry.get(cat.as_str()) {
                Some(&entry) => self.go(entry, &[("category".to_string(), cat.to_string())]),
                None => self.not_understood(),
            },
            ChoiceId::Option { node, n } if node.as_str() == self.s.node => self.take_choice(usize::from(*n) - 1),
            ChoiceId::Option { .. } => self.not_understood(),
            ChoiceId::Date(g) => self.date(Ok(Some(*g))),
            ChoiceId::DateUnknown => self.date(Ok(None)),
        }
    }

    fn intent(&mut self, intent: Intent, text: &str, fresh: bool) {
        self.role = match &intent {
            Intent::Command(_) => InputRole::Command,
            Intent::Choice(_) => InputRole::Button,
            Intent::Social(_) => InputRole::Social,
            Intent::Unsure => InputRole::Date,
            Intent::Yes | Intent::No => InputRole::YesNo,
            _ => InputRole::Question,
        };
        // A question that says when it happened ("上个月15号被辞退"): kept, so
        // the date question of its matter is not asked again.
        if matches!(
            intent,
            Intent::Suggest { .. }
                | Intent::Enter { .. }
                | Intent::Faq { .. }
                | Intent::Also { .. }
                | Intent::Several { .. }
        ) {
            let found = dates::today(self.now).map(|t| dates::find_all(text, t)).unwrap_or_default();
            if !found.is_empty() {
                // This message's dates replace any an earlier one gave.
                for k in [SAID_DATE, SAID_DATE_TEXT, SAID_DATES] {
                    self.s.slots.remove(k);
                }
            }
            if let Some(one) = dates::the_one(&found) {
                self.s.slots.insert(SAID_DATE.to_string(), one.given.to_slot());
                self.s.slots.insert(SAID_DATE_TEXT.to_string(), one.phrase.clone());
            } else if !found.is_empty() {
                // Several: the date question takes the one whose clause
                // tells of what it asks (2025年3月入职，上个月15号被辞退了).
                let lines: Vec<String> = found
                    .iter()
                    .take(MAX_SAID_DATES)
                    .map(|f| format!("{}\t{}\t{}", f.given.to_slot(), f.phrase, dates::clause_words(&f.clause)))
                    .collect();
                self.s.slots.insert(SAID_DATES.to_string(), lines.join("\n"));
            }
        }
        match &intent {
            Intent::Suggest { categories, .. } => self.proposed = Some(categories.first().cloned()),
            Intent::Faq { faq, .. } => {
                self.proposed = Some(self.content.faq.get(*faq).and_then(|f| f.category.clone()))
            }
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
            Intent::Faq { faq, more } => self.faq(faq, &more),
            Intent::Suggest { categories, direct: true, faq, .. } => self.direct(&categories, faq),
            Intent::Suggest { categories, confident, more, faq, .. } => {
                self.suggest_as(&categories, if confident { Ask::Confirm } else { Ask::Pick }, None, &more, faq)
            }
            Intent::Also { faq, then } => {
                // The second part first, then the matter with its buttons.
                if let Some(f) = self.content.faq.get(faq) {
                    let text = suggest::faq_text(self.content, f);
                    self.faq_shown = Some(f.id.clone());
                    self.replies.push(Reply { cites: f.cites.clone(), ..Reply::plain(text) });
                }
                self.intent(*then, text, fresh);
            }
            Intent::Several { first, others } => {
                self.intent(*first, text, fresh);
                self.also_mentioned(&others);
            }
            Intent::Lost => {
                self.matched = false;
                let lost = self.content.texts.lost.clone();
                self.replies.push(Reply { choices: lost_choices(self.content), ..Reply::plain(lost) });
            }
            // A first 你好 gets the welcome; later ones and thanks a short reply.
            Intent::Social(_) if fresh => self.show_current(),
            Intent::Social(Social::Thanks) => self.reoffer(&self.content.texts.thanks_reply),
            Intent::Social(Social::Hello) => self.reoffer(&self.content.texts.hello_reply),
            Intent::Unsure => self.date(Ok(None)),
            Intent::Yes | Intent::No | Intent::Other => self.value(intent, text, fresh),
        }
    }

    /// A message that speaks of danger: the reply for its kind, or the
    /// check-in when unsure (once per conversation for the same cue; a new
    /// worry asks again). Remembers what else the message was about, to
    /// offer once the person is safe. False when nothing was done (a
    /// check-in already asked for this cue): the message goes on as usual.
    fn danger(&mut self, a: &Assessment, text: &str, understand: &dyn Understand) -> bool {
        let entry = a.entry();
        if a.level == Level::Check {
            if self.s.danger_asked.contains(&a.cue) {
                return false;
            }
            self.s.danger_asked.push(a.cue.clone());
            if self.s.danger_asked.len() > MAX_DANGER_ASKED {
                self.s.danger_asked.remove(0);
            }
        }
        let c = self.content;
        let node = c.danger_entry.get(entry).or_else(|| c.category_entry.get("emergency")).copied();
        let Some(node) = node else { return false };
        self.danger = Some(if a.level == Level::Check { "check".to_string() } else { a.kind.id().to_string() });
        self.role = InputRole::Question;
        let (resume, confident) = understand.matter(c, &a.rest(text));
        let sets = [
            ("category".to_string(), "emergency".to_string()),
            (RESUME.to_string(), resume.join(",")),
            (RESUME_SURE.to_string(), if confident { "yes" } else { "no" }.to_string()),
        ];
        // A new crisis reply: shown again on a reload until they say they are safe.
        self.s.slots.remove(SAID_SAFE);
        self.go(node, &sets);
        true
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
        self.role = match input {
            Input::Date { .. } => InputRole::Date,
            Input::YesNo { .. } => InputRole::YesNo,
            _ => InputRole::Answer,
        };
        let value = match (input, &intent) {
            (Input::Date { .. }, _) => {
                let parsed = dates::today(self.now).ok_or(DateError::Malformed).and_then(|t| dates::parse(text, t));
                return self.date(parsed.map(Some));
            }
            (Input::YesNo { yes, .. }, Intent::Yes) => Some((*yes, "yes".to_string())),
            (Input::YesNo { no, .. }, Intent::No) => Some((*no, "no".to_string())),
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
                self.reoffer(hint);
            }
        }
    }

    /// An answer to a date question: a day or a month (typed or picked),
    /// or 记不清 (`None`). A date still ahead, or one not read, is said so.
    fn date(&mut self, answer: Result<Option<Given>, DateError>) {
        let NodeKind::Ask { slot, input: Input::Date { next }, .. } = &self.current().kind else {
            return self.not_understood();
        };
        let today = dates::today(self.now);
        let answer = answer.and_then(|g| match (g, today) {
            (Some(g), Some(t)) if g.first_day() > t => Err(DateError::Future),
            _ => Ok(g),
        });
        match answer {
            Ok(g) => {
                let v = g.map_or_else(|| dates::UNKNOWN.to_string(), Given::to_slot);
                self.go(*next, &[(slot.clone(), v)]);
            }
            Err(e) => {
                self.matched = false;
                let t = &self.content.texts;
                self.reoffer(match e {
                    DateError::Future => &t.date_future,
                    DateError::Lunar => &t.date_lunar,
                    DateError::Malformed => &t.date_malformed,
                });
            }
        }
    }

    fn not_understood(&mut self) {
        self.matched = false;
        self.reoffer(&self.content.texts.not_understood);
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
        if self.label.is_none() {
            let id = ChoiceId::option(&node.id, i + 1);
            self.label = Some(label_of(self.content, &[], &id));
        }
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

    /// A page opened again (`cmd:resume`): what the current node shows — but
    /// at a crisis reply the person has answered 我现在安全了 to, the offer
    /// that followed it, not the crisis reply again (review C9).
    fn reopen(&mut self) {
        let safe_choice =
            self.current().kind.choices().iter().find(|ch| ch.resume).map(|ch| (ch.next, ch.sets.clone()));
        match safe_choice {
            Some((next, sets)) if self.s.slots.contains_key(SAID_SAFE) => self.resume(next, &sets),
            _ => self.show_current(),
        }
    }

    fn show_current(&mut self) {
        // The matter's date question, when the first message already said
        // the date: taken from there (once), and said so, with the way back.
        if let NodeKind::Ask { slot, input: Input::Date { next }, .. } = &self.current().kind {
            let one = self.s.slots.remove(SAID_DATE).and_then(|v| Given::from_slot(&v));
            let phrase = self.s.slots.remove(SAID_DATE_TEXT).unwrap_or_default();
            let several = self.s.slots.remove(SAID_DATES).map(|v| said_dates(&v)).unwrap_or_default();
            let said = match one {
                Some(g) => Some((g, phrase)),
                None => dates::for_question(&several, &self.current().text).map(|f| (f.given, f.phrase.clone())),
            };
            if let Some((given, phrase)) = said.filter(|_| !self.s.slots.contains_key(slot)) {
                let note =
                    self.content.texts.date_from_message.replace("{said}", &phrase).replace("{date}", &describe(given));
                self.replies.push(Reply::plain(note));
                return self.go(*next, &[(slot.clone(), given.to_slot())]);
            }
        }
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
        let choice_text = match &inbound.input {
            UserInput::Choice(c) => c.to_string(),
            _ => String::new(),
        };
        let (kind, raw) = match (&self.feedback, &inbound.input) {
            (Some(f), _) => ("feedback", f.comment.as_deref().unwrap_or_default()),
            (None, UserInput::Text(t)) => ("text", t.as_str()),
            (None, UserInput::Choice(_)) => ("choice", &*choice_text),
            (None, UserInput::Feedback { .. }) => ("feedback", ""),
        };
        // Text-only channels number every button; remember them so a typed
        // number picks the same one. Replies offering only 返回/菜单 (free
        // answers: dates, amounts) keep numbers for the answer itself.
        let mut s = self.s;
        if s.offered.is_empty() {
            if let Some(r) = self.replies.iter().rev().find(|r| !r.choices.is_empty()) {
                if r.choices.iter().any(|c| !c.id.is_command()) {
                    s.offered = suggest::remember(self.content, &r.choices);
                }
            }
        }
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
            reply_summary: String::new(),
            feedback: self.feedback,
            low_confidence: self.low_confidence,
            asked: self.asked,
            faq: self.faq_shown,
            direct: self.direct,
            danger: self.danger,
            shown: String::new(),
            role: Some(self.role),
            label: self.label,
            voice: inbound.voice,
        };
        Step { session: s, replies: self.replies, log }
    }
}

/// The comment in a message that starts with a comment prefix ("意见：…").
/// Slots holding the date a question said, until its date question comes.
const SAID_DATE: &str = "said_date";
const SAID_DATE_TEXT: &str = "said_date_text";
/// Several different dates a first message gave: one line each, the date,
/// the phrase and the Chinese characters of the rest of its clause (no
/// digits or letters: no phone or ID numbers kept; capped), tab-separated.
const SAID_DATES: &str = "said_dates";
/// Most dates of one message kept (the session stays small).
const MAX_SAID_DATES: usize = 4;

/// The dates kept in [`SAID_DATES`] (lines that do not read are skipped).
fn said_dates(v: &str) -> Vec<dates::Found> {
    v.lines()
        .filter_map(|l| {
            let mut parts = l.splitn(3, '\t');
            let given = Given::from_slot(parts.next()?)?;
            let phrase = parts.next()?.to_string();
            let clause = parts.next().unwrap_or_default().to_string();
            Some(dates::Found { phrase, given, clause })
        })
        .collect()
}

/// A date read, in words for a reply: 2026-10-15, 2026-10 or 2026-03-11 至 2026-03-20.
fn describe(g: Given) -> String {
    match g {
        Given::Day(d) => d.to_string(),
        Given::Month { .. } => g.to_slot(),
        Given::Range { from, to } => format!("{from} 至 {to}"),
    }
}

fn comment_text<'t>(content: &Content, text: &'t str) -> Option<&'t str> {
    let t = text.trim_start();
    content.commands.comment.iter().find_map(|p| t.strip_prefix(p.as_str())).map(str::trim).filter(|c| !c.is_empty())
}
