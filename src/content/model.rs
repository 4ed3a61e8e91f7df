//! Compiled content: ids resolved to indices, every reference checked.
//! This is what the engine reads.

use std::collections::{BTreeMap, HashMap};

/// Index of a node in `Content::nodes`.
pub type NodeIx = usize;

#[derive(Debug, Clone)]
pub struct Content {
    pub nodes: Vec<Node>,
    pub index: HashMap<String, NodeIx>,
    pub start: NodeIx,
    pub handoff: NodeIx,
    pub help: NodeIx,
    pub entries: Vec<NodeIx>,
    /// Where free-text understanding enters the dialog for a category.
    pub category_entry: BTreeMap<String, NodeIx>,
    /// Where a message about danger enters, per `Assessment::entry` key
    /// (self_harm, violence_now, violence_now_self_harm, harm_others,
    /// other_at_risk, check).
    pub danger_entry: BTreeMap<String, NodeIx>,
    /// The danger recogniser (`dialogs/danger/`), asked first about every
    /// text a person sends.
    pub danger: std::sync::Arc<crate::danger::Recognizer>,
    /// Every time limit the content states (`config/deadlines.toml`).
    pub periods: BTreeMap<String, PeriodDef>,
    /// What is still possible once a period has passed.
    pub late: BTreeMap<String, LateDef>,
    /// Events that start a period (`[start]` of `config/deadlines.toml`).
    pub starts: BTreeMap<String, StartDef>,
    pub commands: Commands,
    pub texts: Texts,
    pub directory: Directory,
    pub faq: Vec<Faq>,
    /// Where each node is written (file, line), by node index.
    pub locs: Vec<(std::path::PathBuf, usize)>,
}

impl Content {
    pub fn node(&self, ix: NodeIx) -> &Node {
        &self.nodes[ix]
    }

    pub fn find(&self, id: &str) -> Option<NodeIx> {
        self.index.get(id).copied()
    }
}

#[derive(Debug, Clone)]
pub struct Node {
    pub id: String,
    pub text: String,
    /// The text where choices are numbered lines (WeChat, terminal), if it differs.
    pub text_numbers: Option<String>,
    pub cites: Vec<String>,
    pub kind: NodeKind,
    /// Time limits the text states (ids of `Content::periods`).
    pub periods: Vec<String>,
    /// 有帮助 / 没帮助 under an answer or card (not under a crisis reply).
    pub feedback: bool,
}

#[derive(Debug, Clone)]
pub enum NodeKind {
    /// A message with quick-reply choices.
    Menu { choices: Vec<Choice> },
    /// A question whose answer is stored in `slot`.
    Ask { slot: String, input: Input, hint: String },
    /// Guidance text with citations and optional follow-ups.
    Answer { choices: Vec<Choice> },
    /// Turns category and slots into a channel card.
    Route { category: Option<String>, rules: Vec<Rule>, choices: Vec<Choice> },
    /// How to reach a person (contact from the directory).
    Handoff { choices: Vec<Choice> },
}

impl NodeKind {
    /// Choices shown as buttons, if the node has any.
    pub fn choices(&self) -> &[Choice] {
        match self {
            NodeKind::Menu { choices }
            | NodeKind::Answer { choices }
            | NodeKind::Route { choices, .. }
            | NodeKind::Handoff { choices } => choices,
            NodeKind::Ask { input: Input::Choice(choices), .. } => choices,
            NodeKind::Ask { .. } => &[],
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            NodeKind::Menu { .. } => "menu",
            NodeKind::Ask { .. } => "ask",
            NodeKind::Answer { .. } => "answer",
            NodeKind::Route { .. } => "route",
            NodeKind::Handoff { .. } => "handoff",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Choice {
    pub label: String,
    pub next: NodeIx,
    /// Slot writes made when this choice is taken (ask value, category).
    pub sets: Vec<(String, String)>,
    /// Go on with the matter understood earlier (slot `resume`), if any,
    /// instead of `next`.
    pub resume: bool,
}

#[derive(Debug, Clone)]
pub enum Input {
    Choice(Vec<Choice>),
    /// `words`: this question's own words for yes and no (`yes_words`, `no_words`).
    YesNo {
        yes: NodeIx,
        no: NodeIx,
        words: YesNoWords,
    },
    Date {
        next: NodeIx,
    },
    Number {
        next: NodeIx,
    },
    Text {
        next: NodeIx,
    },
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub when: Vec<(String, String)>,
    pub channel: String,
    pub why: String,
    pub cites: Vec<String>,
    pub deadline: Option<Deadline>,
    pub bring: Vec<String>,
    pub then: Vec<String>,
    /// Replaces the channel's `how` on this card.
    pub how: Option<String>,
    /// Replaces the channel's name on this card.
    pub name: Option<String>,
    /// Time limits `why` and the deadline state besides the routes.
    pub periods: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Deadline {
    pub text: String,
    /// The date slot the routes run from.
    pub from: Option<String>,
    /// A period that passes before the routes start (ids of `Content::periods`).
    pub after: Option<String>,
    /// Each lawful route's period (ids of `Content::periods`), computed from `from`.
    pub routes: Vec<String>,
    /// The choice slot naming what happened (an id of `Content::starts`).
    pub event: Option<String>,
}

/// An event that starts a period: what happened, what the card says starts
/// the clock, an optional wait before it, and the article.
#[derive(Debug, Clone)]
pub struct StartDef {
    pub what: String,
    pub start: String,
    pub after: Option<String>,
    pub cite: String,
}

pub use super::laws::Span;

/// One time limit: what is done within it, how long, from when, and where
/// the law sets it.
#[derive(Debug, Clone)]
pub struct PeriodDef {
    pub id: String,
    pub step: String,
    pub span: Span,
    pub start: String,
    pub cite: String,
    /// What is still possible once it has passed (an id of `Content::late`).
    pub late: Option<String>,
}

/// What a person can still do after a period has passed, with its basis.
#[derive(Debug, Clone)]
pub struct LateDef {
    pub text: String,
    pub cite: String,
}

#[derive(Debug, Clone)]
pub struct Commands {
    pub back: Vec<String>,
    pub restart: Vec<String>,
    pub handoff: Vec<String>,
    pub help: Vec<String>,
    pub yes: Vec<String>,
    pub no: Vec<String>,
    /// Comment prefixes, as written (not normalized).
    pub comment: Vec<String>,
    /// "I am safe now" words.
    pub safe: Vec<String>,
    /// "I don't remember" at a date question.
    pub unsure: Vec<String>,
    pub thanks: Vec<String>,
    pub hello: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Texts {
    pub not_understood: String,
    pub expired: String,
    pub at_start: String,
    pub empty: String,
    pub back_label: String,
    pub menu_label: String,
    pub notice: String,
    pub confirm: String,
    pub suggest: String,
    pub other_kinds: String,
    pub lost: String,
    pub helpful_label: String,
    pub unhelpful_label: String,
    pub feedback_thanks: String,
    pub feedback_ask: String,
    pub comment_thanks: String,
    pub resume_confirm: String,
    pub resume_pick: String,
    pub date_malformed: String,
    pub date_future: String,
    pub date_lunar: String,
    pub date_from_message: String,
    pub faq_heading: String,
    pub faq_not_this_label: String,
    pub direct_not_this_label: String,
    pub faq_offer_label: String,
    pub also_mentioned_label: String,
    pub date_unknown_label: String,
    pub thanks_reply: String,
    pub hello_reply: String,
    pub comment_skip_label: String,
    pub comment_skipped: String,
    pub too_long: String,
    pub handoff_pending: String,
}

#[derive(Debug, Clone)]
pub struct Directory {
    pub deployment: String,
    pub region: String,
    pub categories: BTreeMap<String, Category>,
    pub channels: BTreeMap<String, Channel>,
    pub local: Vec<Office>,
    pub free_help: Vec<String>,
    pub handoff: Office,
}

impl Directory {
    pub fn offices_for<'a>(&'a self, channel: &'a str) -> impl Iterator<Item = &'a Office> + 'a {
        self.local.iter().filter(move |o| o.channel.as_deref() == Some(channel))
    }

    /// Every contact detail still marked `待核实`, as "office name: field".
    pub fn placeholders(&self) -> Vec<String> {
        let mut out = Vec::new();
        let offices = self.local.iter().chain(std::iter::once(&self.handoff));
        for o in offices {
            for (what, v) in [("name", &o.name), ("address", &o.address), ("phone", &o.phone), ("hours", &o.hours)] {
                if is_placeholder(v) {
                    out.push(format!("{}: {what}", o.name));
                }
            }
        }
        for (id, c) in &self.channels {
            let fields = [Some(&c.name), Some(&c.how), c.hotline.as_ref(), c.website.as_ref()];
            if fields.into_iter().flatten().any(|v| is_placeholder(v)) {
                out.push(format!("channel {id}"));
            }
        }
        out
    }
}

#[derive(Debug, Clone)]
pub struct Category {
    pub name: String,
    pub channels: Vec<String>,
    pub xinfang_ok: bool,
    /// The direct answer's words and their basis (see `RawCategory::direct`).
    pub direct: Option<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct Channel {
    pub name: String,
    pub how: String,
    pub hotline: Option<String>,
    pub website: Option<String>,
    pub basis: String,
    /// Time limits `how` states.
    pub periods: Vec<String>,
    /// Cases whose cards may print `how` (a rule's `case`).
    pub fits: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Office {
    pub channel: Option<String>,
    pub name: String,
    pub address: String,
    pub phone: String,
    pub hours: String,
}

#[derive(Debug, Clone)]
pub struct Faq {
    pub id: String,
    pub question: String,
    pub alt: Vec<String>,
    pub answer: String,
    pub detail: Option<String>,
    pub cites: Vec<String>,
    pub related: Vec<String>,
    pub node: Option<NodeIx>,
    pub category: Option<String>,
    /// Other categories this entry also answers.
    pub also: Vec<String>,
    /// Time limits the answer states.
    pub periods: Vec<String>,
    pub reviewed: String,
    /// Where it is written: file and the line of its `id`.
    pub loc: (std::path::PathBuf, usize),
}

impl Faq {
    /// Does this entry answer a question about `category`?
    pub fn answers(&self, category: &str) -> bool {
        self.category.as_deref().is_none_or(|c| c == category) || self.also.iter().any(|c| c == category)
    }
}

/// A yes/no question's own answer words.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct YesNoWords {
    pub yes: Vec<String>,
    pub no: Vec<String>,
}

/// Placeholder marker for contact data that must be filled in per deployment.
pub const PLACEHOLDER_PREFIX: &str = "待核实";

pub fn is_placeholder(s: &str) -> bool {
    s.contains(PLACEHOLDER_PREFIX)
}

impl Content {
    /// The lawful period a kind of matter runs against first, in days
    /// (approximate: a month 30, a year 365): the shortest period of the
    /// first card its entry leads to (breadth first), `None` without one.
    /// Several matters in one message are taken in this order.
    pub fn first_period_days(&self, category: &str) -> Option<u32> {
        let start = *self.category_entry.get(category)?;
        let mut seen = vec![false; self.nodes.len()];
        let mut queue = std::collections::VecDeque::from([start]);
        while let Some(ix) = queue.pop_front() {
            if std::mem::replace(seen.get_mut(ix)?, true) {
                continue;
            }
            let kind = &self.node(ix).kind;
            if let NodeKind::Route { rules, .. } = kind {
                return rules
                    .iter()
                    .filter_map(|r| r.deadline.as_ref())
                    .flat_map(|d| &d.routes)
                    .filter_map(|p| self.periods.get(p))
                    .map(|p| approx_days(p.span))
                    .min();
            }
            queue.extend(kind.choices().iter().map(|c| c.next));
            if let NodeKind::Ask { input, .. } = kind {
                match input {
                    Input::YesNo { yes, no, .. } => queue.extend([*yes, *no]),
                    Input::Date { next } | Input::Number { next } | Input::Text { next } => queue.push_back(*next),
                    Input::Choice(_) => {}
                }
            }
        }
        None
    }
}

fn approx_days(span: crate::content::laws::Span) -> u32 {
    use crate::content::laws::Span;
    match span {
        Span::Hours(n) => n.div_ceil(24),
        Span::Days(n) => n,
        Span::WorkingDays(n) => n.saturating_mul(7).div_ceil(5),
        Span::Months(n) => n.saturating_mul(30),
        Span::Years(n) => n.saturating_mul(365),
    }
}
