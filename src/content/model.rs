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
    pub commands: Commands,
    pub texts: Texts,
    pub directory: Directory,
    pub faq: Vec<Faq>,
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
    pub cites: Vec<String>,
    pub kind: NodeKind,
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
}

#[derive(Debug, Clone)]
pub enum Input {
    Choice(Vec<Choice>),
    YesNo { yes: NodeIx, no: NodeIx },
    Date { next: NodeIx },
    Number { next: NodeIx },
    Text { next: NodeIx },
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
}

#[derive(Debug, Clone)]
pub struct Deadline {
    pub text: String,
    pub period: Option<Period>,
    pub from: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Days(u32),
    Months(u32),
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
}

#[derive(Debug, Clone)]
pub struct Category {
    pub name: String,
    pub channels: Vec<String>,
    pub xinfang_ok: bool,
}

#[derive(Debug, Clone)]
pub struct Channel {
    pub name: String,
    pub how: String,
    pub hotline: Option<String>,
    pub website: Option<String>,
    pub basis: String,
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
    pub reviewed: String,
}

/// Placeholder marker for contact data that must be filled in per deployment.
pub const PLACEHOLDER_PREFIX: &str = "待核实";

pub fn is_placeholder(s: &str) -> bool {
    s.contains(PLACEHOLDER_PREFIX)
}
