//! What goes into the engine and what comes out: inbound messages, replies,
//! channel cards and the query-log record.

use super::choice::ChoiceId;
use serde::{Deserialize, Serialize};

/// What a person sent, already translated from the channel's wire format.
#[derive(Debug, Clone, PartialEq)]
pub struct Inbound {
    pub input: UserInput,
    /// Source tag (kiosk, campaign, poster); recorded with the session.
    pub source: Option<String>,
    /// The channel knows this person had a session that is gone (the web
    /// page still holds a token the store no longer knows: it expired and
    /// was swept), so the reply says the conversation timed out.
    pub session_gone: bool,
    /// The text is the channel's recognition of a voice message (WeChat
    /// `Recognition`): answered like typed text, logged as voice.
    pub voice: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum UserInput {
    Text(String),
    /// A choice from an earlier reply, parsed where the request came in.
    Choice(ChoiceId),
    /// Feedback on the last answer: helpful or not, with an optional comment.
    Feedback {
        helpful: Option<bool>,
        comment: Option<String>,
    },
}

impl Inbound {
    pub fn new(input: UserInput, source: Option<String>) -> Self {
        Self { input, source, session_gone: false, voice: false }
    }

    pub fn text(t: impl Into<String>) -> Self {
        Self::new(UserInput::Text(t.into()), None)
    }

    pub fn choice(id: ChoiceId) -> Self {
        Self::new(UserInput::Choice(id), None)
    }

    /// A choice id as it came in; a malformed one is refused.
    pub fn parse_choice(id: &str) -> Result<Self, super::choice::BadChoice> {
        id.parse().map(Self::choice)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cites: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<ChoiceOut>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<Card>,
    /// The kind of answer the reply waits for, so a page can offer a
    /// fitting control (a date picker under a date question).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Expect>,
}

impl Reply {
    pub fn plain(text: impl Into<String>) -> Self {
        Self { text: text.into(), cites: Vec::new(), choices: Vec::new(), card: None, expect: None }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Expect {
    /// A day or a month no later than `latest` (today, YYYY-MM-DD), sent
    /// back as a `date:` choice; the reply's choices hold 记不清.
    Date { latest: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChoiceOut {
    pub id: ChoiceId,
    pub label: String,
}

/// The lawful channel for a matter, how to reach it, and what is running.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Card {
    /// Channel id (taxonomy).
    pub channel: String,
    pub channel_name: String,
    pub category: Option<String>,
    pub category_name: Option<String>,
    /// Why this channel, and not 信访, where that applies.
    pub why: String,
    pub cites: Vec<String>,
    pub how: String,
    pub hotline: Option<String>,
    pub website: Option<String>,
    pub local: Vec<OfficeOut>,
    pub deadline: Option<DeadlineOut>,
    pub bring: Vec<String>,
    /// Other channels worth knowing about after the first step.
    pub then: Vec<NamedChannel>,
    pub free_help: Vec<String>,
    pub notice: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedChannel {
    pub id: String,
    pub name: String,
}

/// A local office; a field not yet known (still `待核实` in the directory)
/// is empty and not shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfficeOut {
    pub name: String,
    pub address: String,
    pub phone: String,
    pub hours: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadlineOut {
    pub text: String,
    /// Last day by the date the person gave (YYYY-MM-DD), when one was given.
    pub due: Option<String>,
    /// Days from today to `due` (negative: already passed).
    pub days_left: Option<i64>,
    /// Each lawful route's last day, when the card has several (or one)
    /// computed from the date the person gave. `due` and `days_left` are
    /// those of the route that ends last, so `days_left` is negative only
    /// when every route has passed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<RouteDue>,
    /// The computed last days in words, and when all have passed what is
    /// still possible: what every channel shows under the deadline text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteDue {
    /// What is done by then ("申请行政复议").
    pub step: String,
    pub due: String,
    pub days_left: Option<i64>,
    /// The article that sets the period.
    pub cite: String,
    /// When only a month was given: the last day counted from the month's
    /// last day (`due` counts from its 1st), and the days left to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_days_left: Option<i64>,
}

/// One line of the query log: what was asked and what the bot did.
/// Personal data in `input` is masked before the record exists.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LogRecord {
    pub ts: i64,
    pub channel: String,
    pub user: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub node_from: String,
    pub node: String,
    /// `text` or `choice`.
    pub input_kind: String,
    pub input: String,
    pub matched: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_chosen: Option<String>,
    /// Only in records written before `shown` existed: the start of the
    /// replies (their transcripts show it). `shown` holds the whole text now,
    /// so this is no longer written (it was ~40% of a record's bytes).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reply_summary: String,
    /// Set on feedback records (`input_kind` = `feedback`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<Feedback>,
    /// Understood only well enough to offer the likeliest categories.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub low_confidence: bool,
    /// The reply put the matter to the person (…对吗？, or kinds of matter
    /// to pick) instead of answering: understood only if they confirm
    /// (`analysis::outcome`). Not in records written before it existed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub asked: bool,
    /// The FAQ entry the reply answered with (its id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faq: Option<String>,
    /// The kind of matter answered directly: its first steps said before
    /// anything was asked (issue 27; `stats` counts how often people went
    /// on without 不是这类事).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direct: Option<String>,
    /// The message spoke of danger: its kind (self_harm, violence, fire,
    /// medical), so staff can follow up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub danger: Option<String>,
    /// The replies as the person saw them, as plain text (filled in by the
    /// service before the record is stored; capped), for staff transcripts.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub shown: String,
    /// What the message was to the conversation: a question of the
    /// citizen's, a button, a command, an answer to a date or yes/no
    /// question… (`None` in records written before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<InputRole>,
    /// A button tap (or a typed number or label picking one): the label the
    /// person saw on it. The node it belonged to is `node_from`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The text was recognised from a voice message by the channel.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub voice: bool,
}

/// What a logged message was to the conversation. Only [`InputRole::Question`]
/// counts as a citizen's question (the console's list, 常见提问, the
/// unanswered queue); the rest stay in transcripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputRole {
    /// Typed text the bot tried to understand as a matter or question.
    Question,
    /// A button tapped, or a typed number or label picking one.
    Button,
    /// Navigation: 返回, 菜单, 人工, 帮助 (tapped or typed).
    Command,
    /// A page load or fresh start (`cmd:start`, `cmd:resume`, an empty message).
    Page,
    /// An answer to a date question (typed, picked or 记不清).
    Date,
    /// 是 / 否 to a yes-no question.
    YesNo,
    /// A number or free-text answer to a question node.
    Answer,
    /// 你好, 谢谢.
    Social,
}

impl InputRole {
    /// As staff read it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Question => "提问",
            Self::Button => "按钮",
            Self::Command => "命令",
            Self::Page => "打开页面",
            Self::Date => "日期",
            Self::YesNo => "是/否",
            Self::Answer => "回答",
            Self::Social => "寒暄",
        }
    }
}

impl LogRecord {
    /// A citizen's question: typed text the bot tried to understand, not a
    /// button, command, page load or an answer to a date or yes/no
    /// question. Records written before roles were logged count when typed.
    pub fn is_question(&self) -> bool {
        match self.role {
            Some(r) => r == InputRole::Question && self.feedback.is_none(),
            None => self.input_kind == "text",
        }
    }
}

/// 有帮助 / 没帮助 on an answer or card, and an optional comment (masked).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feedback {
    pub helpful: Option<bool>,
    pub comment: Option<String>,
}
