//! The boundary between free text and the dialog: what did the person mean
//! at this node? The plain implementation here matches command synonyms,
//! choice numbers and labels; the free-text understanding issue plugs a
//! classifier in behind the same trait.

use crate::content::{Content, Input, Node, NodeIx, NodeKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Back,
    Restart,
    Handoff,
    Help,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    Command(Command),
    /// Index into the current node's choices.
    Choice(usize),
    Yes,
    No,
    /// Go to a node (e.g. a classifier recognised the matter), optionally
    /// setting the category slot.
    Enter {
        node: NodeIx,
        category: Option<String>,
    },
    /// A FAQ entry answers the question (index into `Content::faq`);
    /// `more`: the kinds of matter 不是这个 offers, likeliest first.
    Faq {
        faq: usize,
        more: Vec<String>,
    },
    /// Offer categories as buttons: when `confident`, the first to confirm
    /// (the rest are offered if the person says it is not that), else the
    /// top few to pick from, and `more` offered if the person says it is
    /// none of them (都不是).
    Suggest {
        categories: Vec<String>,
        confident: bool,
        /// Sure enough to answer directly: the first category's first
        /// channel is named and its dialog goes on, 不是这类事 beside.
        direct: bool,
        more: Vec<String>,
        /// A FAQ entry that may answer it, not sure enough to show
        /// directly: offered as a button.
        faq: Option<usize>,
    },
    /// A message with two parts (a matter, and petitioning about it): the
    /// FAQ entry that answers the second, then `then` for the matter.
    Also {
        faq: usize,
        then: Box<Intent>,
    },
    /// A message raising several matters: `first` for the one whose period
    /// runs out first, then the others offered as buttons (您还提到).
    Several {
        first: Box<Intent>,
        others: Vec<String>,
    },
    /// Nothing fits: say so honestly and offer the menu and a person.
    Lost,
    /// Thanks or a greeting: a short reply.
    Social(Social),
    /// "I don't remember" (记不清) at a date question.
    Unsure,
    /// Text that is not a command or a choice: the node may take it as a value.
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Social {
    Thanks,
    Hello,
}

pub trait Understand: Send + Sync {
    fn interpret(&self, content: &Content, node: &Node, text: &str) -> Intent;

    /// What a message about danger is about besides the danger (`text` is
    /// the message without its danger words): the categories to offer once
    /// the person is safe, and whether to ask about the first ("…对吗？").
    fn matter(&self, _content: &Content, _text: &str) -> (Vec<String>, bool) {
        (Vec::new(), false)
    }
}

/// Exact matching of command synonyms, numbers and choice labels.
#[derive(Debug, Default, Clone, Copy)]
pub struct Plain;

impl Understand for Plain {
    fn interpret(&self, content: &Content, node: &Node, text: &str) -> Intent {
        let t = normalize(text);
        let c = &content.commands;
        let commands = [
            (&c.back, Command::Back),
            (&c.restart, Command::Restart),
            (&c.handoff, Command::Handoff),
            (&c.help, Command::Help),
        ];
        for (words, cmd) in commands {
            if words.contains(&t) {
                return Intent::Command(cmd);
            }
        }
        let choices = node.kind.choices();
        if let Ok(n) = t.parse::<usize>() {
            if (1..=choices.len()).contains(&n) {
                return Intent::Choice(n - 1);
            }
        }
        if let Some(i) = choices.iter().position(|ch| normalize(&ch.label) == t) {
            return Intent::Choice(i);
        }
        if c.thanks.contains(&t) {
            return Intent::Social(Social::Thanks);
        }
        if c.hello.contains(&t) {
            return Intent::Social(Social::Hello);
        }
        if matches!(node.kind, NodeKind::Ask { input: Input::Date { .. }, .. }) && c.unsure.contains(&t) {
            return Intent::Unsure;
        }
        // 是/否, also as the first words of a longer answer ("没有，上个月被辞退了").
        let first = t.split([',', '，', '。', ' ', '、', ';', '；']).next().unwrap_or(&t);
        if let NodeKind::Ask { input: Input::YesNo { words, .. }, .. } = &node.kind {
            if !(words.yes.is_empty() && words.no.is_empty()) {
                return own_yes_no(words, &t);
            }
        }
        if c.yes.contains(&t) || c.yes.iter().any(|w| w == first) {
            return Intent::Yes;
        }
        if c.no.contains(&t) || c.no.iter().any(|w| w == first) {
            return Intent::No;
        }
        // "我安全了" takes the choice that goes on from a crisis reply.
        if c.safe.contains(&t) {
            if let Some(i) = choices.iter().position(|ch| ch.resume) {
                return Intent::Choice(i);
            }
        }
        // A label typed in part ("欠薪" for "拖欠工资、欠薪") when exactly one matches.
        let partial: Vec<usize> = choices
            .iter()
            .enumerate()
            .filter(|(_, ch)| t.chars().count() >= 2 && normalize(&ch.label).contains(&t))
            .map(|(i, _)| i)
            .collect();
        if let [only] = partial[..] {
            return Intent::Choice(only);
        }
        // A short answer to a question naming one button by its head word
        // ("民事的，欠款官司" at 这是哪一类案件 names 民事案件（借款、合同…）). Not
        // at a menu: a question typed there is a question.
        let asked = matches!(node.kind, NodeKind::Ask { input: Input::Choice(_), .. });
        if asked && t.chars().count() <= MAX_ANSWER_CHARS {
            let named: Vec<usize> = choices
                .iter()
                .enumerate()
                .filter(|(_, ch)| head(&ch.label).is_some_and(|h| t.contains(h.as_str())))
                .map(|(i, _)| i)
                .collect();
            if let [only] = named[..] {
                return Intent::Choice(only);
            }
        }
        Intent::Other
    }
}

/// The plain yes and no a question with its own words also takes, as the
/// whole answer only (the generic lists hold words like 还在 and 不在了,
/// which mean the opposite at "病人是不是已经去世了").
const CORE_YES: [&str; 8] = ["是", "是的", "对", "对的", "嗯", "嗯嗯", "是啊", "对啊"];
const CORE_NO: [&str; 5] = ["否", "不是", "不是的", "没有", "不"];

/// Before a word, these turn it round or make it an intention (没被辞退,
/// 想辞职); before a yes, these make it a near miss (差点死了).
const NEGATED_BY: [&str; 8] = ["没有", "还没", "没被", "不是", "没", "不", "未", "别"];
const INTENDED_BY: [&str; 4] = ["想", "打算", "准备", "申请"];
const NEARLY: [&str; 3] = ["差点", "险些", "快"];
/// An answer that asks back or is unsure is not read (the question is asked again).
const HEDGES: [&str; 10] = ["吗", "？", "?", "是不是", "算不算", "不知道", "不清楚", "好像", "可能", "不确定"];

/// An answer to a yes/no question with its own words (review: a wrong
/// reading changes the advice — a death read as "alive" hides the 48-hour
/// autopsy rule). A word written `=还在` counts only as the whole answer,
/// others also inside a longer one unless negated or intended before it.
/// Both sides found: the one whose word holds the other's ("没离职" over
/// "离职") wins, else nothing is read.
fn own_yes_no(words: &crate::content::YesNoWords, t: &str) -> Intent {
    if CORE_YES.contains(&t) {
        return Intent::Yes;
    }
    if CORE_NO.contains(&t) {
        return Intent::No;
    }
    if HEDGES.iter().any(|h| t.contains(h)) {
        return Intent::Other;
    }
    let found = |list: &[String], yes: bool| -> Vec<String> {
        let mut out = Vec::new();
        for w in list {
            if let Some(exact) = w.strip_prefix('=') {
                if exact == t {
                    out.push(exact.to_string());
                }
                continue;
            }
            let clean = t.match_indices(w.as_str()).any(|(at, _)| {
                let before = &t[..at];
                let turned = NEGATED_BY.iter().chain(&INTENDED_BY).any(|p| before.ends_with(p));
                let near = yes && NEARLY.iter().any(|p| before.ends_with(p));
                // A one-character word counts only as the whole answer.
                (w.chars().count() >= 2 || w == t) && !turned && !near
            });
            if clean {
                out.push(w.clone());
            }
        }
        out
    };
    let (yes, no) = (found(&words.yes, true), found(&words.no, false));
    let holds = |a: &[String], b: &[String]| b.iter().all(|w| a.iter().any(|v| v != w && v.contains(w.as_str())));
    match (yes.is_empty(), no.is_empty()) {
        (false, true) => Intent::Yes,
        (true, false) => Intent::No,
        (false, false) if holds(&yes, &no) => Intent::Yes,
        (false, false) if holds(&no, &yes) => Intent::No,
        _ => Intent::Other,
    }
}

/// Longest typed text read as naming one of the buttons by its head word.
const MAX_ANSWER_CHARS: usize = 30;

/// A button label's head word: before its explanation in brackets or after
/// a comma, without a generic ending (案件, 问题, 纠纷, 的); two characters at
/// least.
fn head(label: &str) -> Option<String> {
    let l = normalize(label);
    let cut = l.split(['（', '(', '，', ',', '、', '/', '：']).next().unwrap_or(&l).trim();
    let mut h = cut;
    for end in ["案件", "问题", "纠纷", "的"] {
        h = h.strip_suffix(end).unwrap_or(h);
    }
    (h.chars().count() >= 2).then(|| h.to_string())
}

/// Trims, folds full-width ASCII to half-width, lowercases, and drops
/// trailing punctuation, so "１" and "返回。" match "1" and "返回".
///
/// ```
/// assert_eq!(xinfang_guide::engine::understand::normalize(" １２。"), "12");
/// ```
pub fn normalize(s: &str) -> String {
    let folded: String = s
        .trim()
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect();
    folded.trim_end_matches(['。', '！', '？', '.', '!', '?', '~', '～', ' ']).trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn normalize_folds_full_width_and_trailing_punctuation() {
        assert_eq!(normalize(" １２ "), "12");
        assert_eq!(normalize("返回。"), "返回");
        assert_eq!(normalize("ＭＥＮＵ！"), "menu");
    }
}
