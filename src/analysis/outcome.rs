//! Whether a typed question was understood, judged by what the person did
//! next (review S3: every guess used to count as understood).
//!
//! A question is **understood** when the bot answered it directly and the
//! person went on without rejecting the answer (no 不是 / 都不是 / 不是这个
//! / 没帮助 next), or when the bot put the matter to the person (…对吗？ or
//! kinds of matter to pick) and the person confirmed it (对, or tapped one
//! of the offered buttons other than a rejection). It is **not understood**
//! when the bot did not recognise it, when the person rejected the reading
//! or said the answer did not help, or when the person left at the offer
//! without picking anything.
//!
//! Records are fed in time order; each person's question waits for that
//! person's next record (page loads and feedback without a verdict do not
//! settle it).

use crate::engine::reply::{InputRole, LogRecord};
use std::collections::HashMap;

/// Why a question counts as not understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Missed {
    /// The bot did not recognise it.
    Unmatched,
    /// The person said 不是 / 都不是 / 不是这个 to the bot's reading.
    Rejected,
    /// The person said the answer did not help (没帮助).
    Unhelpful,
    /// The bot asked (对吗？ or kinds to pick) and the person picked nothing.
    Abandoned,
}

impl Missed {
    /// As staff read it.
    pub fn name(self) -> &'static str {
        match self {
            Missed::Unmatched => "没看懂",
            Missed::Rejected => "对方说“不是”",
            Missed::Unhelpful => "对方说“没帮助”",
            Missed::Abandoned => "问了对方但没有选择",
        }
    }
}

/// A question's outcome: `None` understood, `Some(why)` not.
pub type Outcome = Option<Missed>;

/// A button that rejects the bot's reading.
fn rejects(r: &LogRecord) -> bool {
    r.role == Some(InputRole::Button)
        && r.label.as_deref().is_some_and(|l| l.starts_with("不是") || l.starts_with("都不是"))
}

/// The bot put the matter to the person instead of answering.
fn asked(q: &LogRecord) -> bool {
    q.asked || q.low_confidence
}

/// What `next` (the person's next record, if any) makes of question `q`.
pub fn settle(q: &LogRecord, next: Option<&LogRecord>) -> Outcome {
    if !q.matched {
        return Some(Missed::Unmatched);
    }
    match next {
        Some(n) if rejects(n) => Some(Missed::Rejected),
        Some(n) if n.feedback.as_ref().is_some_and(|f| f.helpful == Some(false)) => Some(Missed::Unhelpful),
        Some(n) if n.feedback.as_ref().is_some_and(|f| f.helpful == Some(true)) => None,
        Some(n) if asked(q) && n.role != Some(InputRole::Button) => Some(Missed::Abandoned),
        None if asked(q) => Some(Missed::Abandoned),
        _ => None,
    }
}

/// Does `r` settle the question waiting before it? Page loads and feedback
/// that gives no verdict (a comment only) do not.
fn settles(r: &LogRecord) -> bool {
    if let Some(f) = &r.feedback {
        return f.helpful.is_some();
    }
    r.role != Some(InputRole::Page) && !r.input_kind.starts_with("transfer")
}

/// Questions waiting for their person's next record; `T` is what the
/// caller keeps with each (its text, its log entry…).
pub struct Pending<T> {
    waiting: HashMap<u64, (LogRecord, T)>,
}

impl<T> Default for Pending<T> {
    fn default() -> Self {
        Self { waiting: HashMap::new() }
    }
}

impl<T> Pending<T> {
    /// Feeds person `who`'s record `r` (with `keep` for a question): the
    /// question it settles, if any, with its outcome.
    pub fn add(&mut self, who: u64, r: &LogRecord, keep: impl FnOnce() -> T) -> Option<(LogRecord, T, Outcome)> {
        if !settles(r) {
            return None;
        }
        let settled = self.waiting.remove(&who).map(|(q, t)| {
            let o = settle(&q, Some(r));
            (q, t, o)
        });
        if r.is_question() && crate::analysis::is_message(r) {
            self.waiting.insert(who, (r.clone(), keep()));
        }
        settled
    }

    /// The questions nobody followed: settled as the last of their
    /// conversation.
    pub fn finish(self) -> impl Iterator<Item = (LogRecord, T, Outcome)> {
        self.waiting.into_values().map(|(q, t)| {
            let o = settle(&q, None);
            (q, t, o)
        })
    }
}

/// Typed text that is no question: too short, one character repeated, or
/// without a single Chinese character ("aaaa", "asdf", "123", "啊啊啊").
/// Kept out of the text meant for the official report.
pub fn is_junk(text: &str) -> bool {
    let chars: Vec<char> = text.chars().filter(|c| c.is_alphanumeric()).collect();
    let han = chars.iter().filter(|c| is_han(**c)).count();
    let distinct: std::collections::HashSet<&char> = chars.iter().collect();
    han == 0 || chars.len() < 2 || distinct.len() < 2
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}' | '\u{20000}'..='\u{2a6df}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::testlog::rec;
    use crate::engine::reply::Feedback;

    fn q(text: &str) -> LogRecord {
        let mut r = rec(1, "a", Some("labor"), text);
        r.role = Some(InputRole::Question);
        r
    }

    fn button(label: &str) -> LogRecord {
        let mut r = rec(2, "a", Some("labor"), "choice");
        r.input_kind = "choice".into();
        r.role = Some(InputRole::Button);
        r.label = Some(label.into());
        r
    }

    #[test]
    fn understood_only_when_answered_and_not_rejected_or_confirmed() {
        let direct = q("老板欠薪");
        assert_eq!(settle(&direct, None), None, "answered, nothing after");
        assert_eq!(settle(&direct, Some(&q("还有别的问题"))), None, "went on");
        assert_eq!(settle(&direct, Some(&button("不是这个"))), Some(Missed::Rejected));
        let mut fb = rec(3, "a", None, "");
        fb.input_kind = "feedback".into();
        fb.feedback = Some(Feedback { helpful: Some(false), comment: None });
        assert_eq!(settle(&direct, Some(&fb)), Some(Missed::Unhelpful));
        let mut offer = q("我吃了一瓶安眠药");
        offer.asked = true;
        assert_eq!(settle(&offer, None), Some(Missed::Abandoned), "left at the offer");
        assert_eq!(settle(&offer, Some(&q("算了"))), Some(Missed::Abandoned), "typed on instead of picking");
        assert_eq!(settle(&offer, Some(&button("对"))), None, "confirmed");
        assert_eq!(settle(&offer, Some(&button("劳动争议"))), None, "picked an offered kind");
        assert_eq!(settle(&offer, Some(&button("都不是"))), Some(Missed::Rejected));
        let mut unknown = q("阿巴阿巴");
        unknown.matched = false;
        assert_eq!(settle(&unknown, Some(&button("对"))), Some(Missed::Unmatched));
    }

    #[test]
    fn a_question_waits_for_its_persons_next_record_not_a_page_load() {
        let mut p: Pending<&str> = Pending::default();
        let mut offer = q("邻居吵");
        offer.asked = true;
        assert!(p.add(1, &offer, || "offer").is_none());
        let mut page = rec(3, "a", None, "cmd:resume");
        page.role = Some(InputRole::Page);
        assert!(p.add(1, &page, || "page").is_none(), "a page load does not settle it");
        assert!(p.add(2, &q("另一个人"), || "other").is_none(), "another person's record does not");
        let (_, kept, outcome) = p.add(1, &button("民间纠纷"), || "button").expect("settled");
        assert_eq!((kept, outcome), ("offer", None));
        let left: Vec<_> = p.finish().map(|(_, t, o)| (t, o)).collect();
        assert_eq!(left, [("other", None)]);
    }

    #[test]
    fn junk_is_what_no_one_could_answer() {
        for junk in ["aaaa", "asdf", "123", "啊", "啊啊啊", "？？", "qwer tyui"] {
            assert!(is_junk(junk), "{junk}");
        }
        for real in ["欠薪", "老板不给钱怎么办", "3个月工资没发"] {
            assert!(!is_junk(real), "{real}");
        }
    }
}
