//! Raw content: mirrors the TOML files field for field. Nothing outside
//! `content` sees these types; `compile` turns them into `Content`.
//!
//! Values that errors must point at are `Spanned`, so `check` can report
//! file:line for each problem.

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// One file in `dialogs/`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DialogFile {
    #[serde(default)]
    pub node: Vec<RawNode>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNode {
    pub id: Spanned<String>,
    pub kind: Spanned<String>,
    #[serde(default)]
    pub text: Option<Spanned<String>>,
    /// The text on channels where people reply with numbers (WeChat, the
    /// terminal) when it must differ from `text` (shown with buttons: the
    /// web page, Telegram), e.g. how to use the bot.
    #[serde(default)]
    pub text_numbers: Option<Spanned<String>>,
    #[serde(default)]
    pub cites: Vec<Spanned<String>>,
    #[serde(default)]
    pub choices: Vec<RawChoice>,
    /// `ask`: the slot the answer is stored in.
    #[serde(default)]
    pub slot: Option<Spanned<String>>,
    /// `ask`: choice | yesno | date | number | text.
    #[serde(default)]
    pub input: Option<Spanned<String>>,
    /// `ask` with input yesno: where each answer leads.
    #[serde(default)]
    pub yes: Option<Spanned<String>>,
    #[serde(default)]
    pub no: Option<Spanned<String>>,
    /// `ask` with input yesno: what people write for yes and for no to this
    /// question besides 是/否 ("还在", "辞职了"); a word of two characters or
    /// more is found inside a longer answer too.
    #[serde(default)]
    pub yes_words: Vec<Spanned<String>>,
    #[serde(default)]
    pub no_words: Vec<Spanned<String>>,
    /// `ask` with free input: where a valid answer leads.
    #[serde(default)]
    pub next: Option<Spanned<String>>,
    /// `ask`: what to say when the answer does not validate.
    #[serde(default)]
    pub hint: Option<Spanned<String>>,
    /// `route`: the category this route serves (else the `category` slot).
    #[serde(default)]
    pub category: Option<Spanned<String>>,
    /// `route`: rules tried in order; the last one must have no `when`.
    #[serde(default)]
    pub rule: Vec<RawRule>,
    /// Time limits the node's text states (ids in `config/deadlines.toml`).
    #[serde(default)]
    pub periods: Vec<Spanned<String>>,
    /// `answer`: show 有帮助 / 没帮助 under it (default true). A crisis reply
    /// asks no such thing.
    #[serde(default)]
    pub feedback: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChoice {
    pub label: Spanned<String>,
    #[serde(default)]
    pub next: Option<Spanned<String>>,
    /// `ask` with input choice: the value stored in the slot.
    #[serde(default)]
    pub value: Option<Spanned<String>>,
    /// Sets the `category` slot (a category id).
    #[serde(default)]
    pub category: Option<Spanned<String>>,
    /// Instead of `next`, offer to go on with the matter understood from
    /// the message that led here (a crisis reply's "我现在安全了"), when
    /// one was understood.
    #[serde(default)]
    pub resume: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    #[serde(default)]
    pub when: BTreeMap<String, Spanned<String>>,
    pub channel: Spanned<String>,
    pub why: Spanned<String>,
    #[serde(default)]
    pub cites: Vec<Spanned<String>>,
    #[serde(default)]
    pub deadline: Option<RawDeadline>,
    #[serde(default)]
    pub bring: Vec<Spanned<String>>,
    /// Other channels worth naming after the first step.
    #[serde(default)]
    pub then: Vec<Spanned<String>>,
    /// How to reach the channel for this matter, when the channel's general
    /// `how` in the directory does not fit (e.g. 复核 at the traffic police).
    #[serde(default)]
    pub how: Option<Spanned<String>>,
    /// The situation this card is for (`civil_judgment`, `enforcement_objection`):
    /// a rule without its own `how` prints the channel's general line, so its
    /// case must be one the channel lists in `fits`.
    #[serde(default)]
    pub case: Option<Spanned<String>>,
    /// The body as the card names it, when the channel's name does not fit
    /// this case (民政部门 for a divorce registration, not 社会救助).
    #[serde(default)]
    pub name: Option<Spanned<String>>,
    /// Time limits `why` and the deadline text state besides the computed
    /// `routes` (ids in `config/deadlines.toml`).
    #[serde(default)]
    pub periods: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDeadline {
    pub text: Spanned<String>,
    /// A date slot the periods run from.
    #[serde(default)]
    pub from: Option<Spanned<String>>,
    /// A period that must pass after `from` before the routes start (an
    /// agency's time to act, before inaction can be challenged).
    #[serde(default)]
    pub after: Option<Spanned<String>>,
    /// The lawful routes, each with its own period (ids in
    /// `config/deadlines.toml`): the card computes the last day of each.
    #[serde(default)]
    pub routes: Vec<Spanned<String>>,
    /// A choice slot holding what happened (an id of `[start]` in
    /// `config/deadlines.toml`): the clock runs from that event, after its
    /// own waiting period if it has one.
    #[serde(default)]
    pub event: Option<Spanned<String>>,
}

/// `dialogs/commands.toml`: start node and global commands.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandsFile {
    pub start: Spanned<String>,
    pub handoff: Spanned<String>,
    pub help: Spanned<String>,
    /// Nodes other channels may enter directly (menus of messaging apps, classifier).
    #[serde(default)]
    pub entries: Vec<Spanned<String>>,
    pub synonyms: Synonyms,
    pub texts: CommandTexts,
    /// Where free-text understanding enters the dialog for each category.
    #[serde(default)]
    pub category_entry: BTreeMap<String, Spanned<String>>,
    /// Where a message about danger enters, per kind of danger (the kinds of
    /// `[danger]` in `dialogs/understand/lexicon.toml`).
    #[serde(default)]
    pub danger_entry: BTreeMap<String, Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Synonyms {
    pub back: Vec<String>,
    pub restart: Vec<String>,
    pub handoff: Vec<String>,
    pub help: Vec<String>,
    pub yes: Vec<String>,
    pub no: Vec<String>,
    /// Prefixes that mark a message as a comment on the bot ("意见：…").
    #[serde(default)]
    pub comment: Vec<String>,
    /// Typed words that mean "I am safe now" (they take a `resume` choice).
    #[serde(default)]
    pub safe: Vec<String>,
    /// Typed at a date question: "I don't remember" (like 记不清).
    #[serde(default)]
    pub unsure: Vec<String>,
    /// Thanks and greetings: a short reply, not the welcome again.
    #[serde(default)]
    pub thanks: Vec<String>,
    #[serde(default)]
    pub hello: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandTexts {
    pub not_understood: Spanned<String>,
    pub expired: Spanned<String>,
    pub at_start: Spanned<String>,
    pub empty: Spanned<String>,
    pub back_label: Spanned<String>,
    pub menu_label: Spanned<String>,
    pub notice: Spanned<String>,
    /// "您反映的似乎是{category}，对吗？"
    #[serde(default)]
    pub confirm: Option<Spanned<String>>,
    /// Shown above the top-3 category buttons.
    #[serde(default)]
    pub suggest: Option<Spanned<String>>,
    /// After 不是 to a confirmation: above the next likeliest kinds of matter.
    #[serde(default)]
    pub other_kinds: Option<Spanned<String>>,
    /// When nothing fits: say so honestly.
    #[serde(default)]
    pub lost: Option<Spanned<String>>,
    /// Feedback buttons under answers and cards, and the thanks.
    #[serde(default)]
    pub helpful_label: Option<Spanned<String>>,
    #[serde(default)]
    pub unhelpful_label: Option<Spanned<String>>,
    #[serde(default)]
    pub feedback_thanks: Option<Spanned<String>>,
    /// After "not helpful": how to add a comment.
    #[serde(default)]
    pub feedback_ask: Option<Spanned<String>>,
    #[serde(default)]
    pub comment_thanks: Option<Spanned<String>>,
    /// After "I am safe": "you also wrote about {category}; go on?"
    #[serde(default)]
    pub resume_confirm: Option<Spanned<String>>,
    /// After "I am safe", when the matter was not clear: pick one.
    #[serde(default)]
    pub resume_pick: Option<Spanned<String>>,
    /// A date question's answer that is not a date we can read.
    #[serde(default)]
    pub date_malformed: Option<Spanned<String>>,
    /// A date still ahead.
    #[serde(default)]
    pub date_future: Option<Spanned<String>>,
    /// Above every FAQ answer: which question it answers (`{question}`).
    #[serde(default)]
    pub faq_heading: Option<Spanned<String>>,
    /// A button for another matter the message raised (`{category}`).
    #[serde(default)]
    pub also_mentioned_label: Option<Spanned<String>>,
    /// A FAQ entry offered as a button (`{question}`: its question).
    #[serde(default)]
    pub faq_offer_label: Option<Spanned<String>>,
    /// The button beside a FAQ answer for "that is not my question".
    #[serde(default)]
    pub faq_not_this_label: Option<Spanned<String>>,
    /// The button beside a direct answer for "that is not my matter".
    #[serde(default)]
    pub direct_not_this_label: Option<Spanned<String>>,
    /// The date a first message gave, used for the date question
    /// (`{said}` as typed, `{date}` as read).
    #[serde(default)]
    pub date_from_message: Option<Spanned<String>>,
    /// A lunar date: not converted; ask for the solar one.
    #[serde(default)]
    pub date_lunar: Option<Spanned<String>>,
    /// The button under every date question for "I don't remember".
    #[serde(default)]
    pub date_unknown_label: Option<Spanned<String>>,
    /// Replies to thanks and to a greeting in the middle of a conversation.
    #[serde(default)]
    pub thanks_reply: Option<Spanned<String>>,
    #[serde(default)]
    pub hello_reply: Option<Spanned<String>>,
    /// After 没帮助: the button for "no comment", and what it says.
    #[serde(default)]
    pub comment_skip_label: Option<Spanned<String>>,
    #[serde(default)]
    pub comment_skipped: Option<Spanned<String>>,
    /// A message over the length limit (`{max}`: the limit, `{chars}`: its length).
    #[serde(default)]
    pub too_long: Option<Spanned<String>>,
    /// 人工 while the local office's contacts are still placeholders.
    #[serde(default)]
    pub handoff_pending: Option<Spanned<String>>,
}

/// `config/directory.toml`: categories, channels, local offices, free help.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryFile {
    pub deployment: RawDeployment,
    pub categories: BTreeMap<String, RawCategory>,
    pub channels: BTreeMap<String, RawChannel>,
    #[serde(default)]
    pub local: Vec<RawOffice>,
    pub free_help: Vec<Spanned<String>>,
    pub handoff: RawOffice,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDeployment {
    pub name: Spanned<String>,
    pub region: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCategory {
    pub name: Spanned<String>,
    pub channels: Vec<Spanned<String>>,
    pub xinfang_ok: bool,
    /// What the chat says first when it recognises this kind of matter
    /// surely enough to answer directly (`[direct]` of the lexicon): the
    /// usual first steps, in one or two sentences.
    #[serde(default)]
    pub direct: Option<Spanned<String>>,
    /// The articles `direct` rests on.
    #[serde(default)]
    pub direct_basis: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChannel {
    pub name: Spanned<String>,
    pub how: Spanned<String>,
    #[serde(default)]
    pub hotline: Option<Spanned<String>>,
    #[serde(default)]
    pub website: Option<Spanned<String>>,
    pub basis: Spanned<String>,
    /// Time limits `how` states (ids in `config/deadlines.toml`).
    #[serde(default)]
    pub periods: Vec<Spanned<String>>,
    /// The cases (rule `case`) for which `how` is the right way in: a card
    /// for any other case must carry its own `how`.
    #[serde(default)]
    pub fits: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOffice {
    /// The channel this office serves (absent for the handoff office).
    #[serde(default)]
    pub channel: Option<Spanned<String>>,
    pub name: Spanned<String>,
    pub address: Spanned<String>,
    pub phone: Spanned<String>,
    pub hours: Spanned<String>,
}

/// `local/directory.toml`: an office's own contacts over the shipped
/// directory (the installed package links `local/` to `/etc/xinfang-guide/local`).
/// Categories and channels are not overridable.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryOverride {
    #[serde(default)]
    pub deployment: Option<RawDeployment>,
    /// Each replaces the shipped office of its channel, or is added.
    #[serde(default)]
    pub local: Vec<RawOffice>,
    #[serde(default)]
    pub handoff: Option<RawOffice>,
    #[serde(default)]
    pub free_help: Option<Vec<Spanned<String>>>,
}

/// One file in `faq/`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaqFile {
    #[serde(default)]
    pub faq: Vec<RawFaq>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFaq {
    pub id: Spanned<String>,
    pub question: Spanned<String>,
    #[serde(default)]
    pub alt: Vec<String>,
    pub answer: Spanned<String>,
    #[serde(default)]
    pub detail: Option<String>,
    #[serde(default)]
    pub cites: Vec<Spanned<String>>,
    #[serde(default)]
    pub related: Vec<Spanned<String>>,
    #[serde(default)]
    pub node: Option<Spanned<String>>,
    #[serde(default)]
    pub category: Option<Spanned<String>>,
    /// Other kinds of matter this entry also answers (an appeal question
    /// may be understood as litigation or as a judgment dispute).
    #[serde(default)]
    pub also: Vec<Spanned<String>>,
    /// Time limits the answer states (ids in `config/deadlines.toml`).
    #[serde(default)]
    pub periods: Vec<Spanned<String>>,
    pub reviewed: Spanned<String>,
}

/// `config/deadlines.toml`: every time limit the content states, with what
/// starts the clock and the article that sets it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlinesFile {
    #[serde(default)]
    pub period: BTreeMap<String, RawPeriod>,
    /// What is still possible once a period has passed.
    #[serde(default)]
    pub late: BTreeMap<String, RawLate>,
    /// Events the law distinguishes as starting a period (a written refusal,
    /// no answer within the time to act, an emergency call).
    #[serde(default)]
    pub start: BTreeMap<String, RawStart>,
}

/// One event that starts a period's clock.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStart {
    /// What happened, as the person would say it ("机关书面拒绝了").
    pub what: Spanned<String>,
    /// What starts the clock, as the card states it.
    pub start: Spanned<String>,
    /// A period that passes after the date given before the clock starts
    /// (an id in `[period]`: the agency's time to act).
    #[serde(default)]
    pub after: Option<Spanned<String>>,
    /// The article that makes this event start the period.
    pub cite: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPeriod {
    /// What is to be done within the period ("提起上诉").
    pub step: Spanned<String>,
    #[serde(default)]
    pub hours: Option<u32>,
    #[serde(default)]
    pub days: Option<u32>,
    #[serde(default)]
    pub working_days: Option<u32>,
    #[serde(default)]
    pub months: Option<u32>,
    #[serde(default)]
    pub years: Option<u32>,
    /// What starts the clock ("判决书送达之日").
    pub start: Spanned<String>,
    /// The article that sets the period; its text must state it.
    pub cite: Spanned<String>,
    /// What is still possible once it has passed (an id in `[late]`).
    #[serde(default)]
    pub late: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLate {
    pub text: Spanned<String>,
    pub cite: Spanned<String>,
    #[serde(default)]
    pub periods: Vec<Spanned<String>>,
}
