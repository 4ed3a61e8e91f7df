//! Choice ids: what a pressed button means. Each reply's buttons carry one;
//! it comes back from the person (web JSON, Telegram callback data, a
//! WeChat menu key, a typed number), so it is parsed once where a request
//! comes in, and the engine matches variants, never string prefixes.
//! Adding a kind of choice touches this type only.
//!
//! | id | variant |
//! |---|---|
//! | `cmd:back`, `cmd:menu`, `cmd:start`, `cmd:handoff`, `cmd:help`, `cmd:resume` | [`ChoiceId::Command`] |
//! | `fb:yes`, `fb:no` | [`ChoiceId::Helpful`] |
//! | `fb:skip` (no comment after 没帮助) | [`ChoiceId::SkipComment`] |
//! | `faq:<node>` (详细了解 under a FAQ answer) | [`ChoiceId::Faq`] |
//! | `ans:<faq id>` (a FAQ entry offered beside the matter's buttons) | [`ChoiceId::Answer`] |
//! | `enter:<node>` (an entry point, e.g. from a messaging-app menu) | [`ChoiceId::Enter`] |
//! | `cat:<category>` | [`ChoiceId::Category`] |
//! | `not:<category>,<category>` (不是: the next likeliest kinds) | [`ChoiceId::NotThat`] |
//! | `<node>.<n>` (the node's n-th choice, from 1; a crisis reply's 我现在安全了 too) | [`ChoiceId::Option`] |
//! | `date:2026-05-20`, `date:2026-05` (a date picked on the page) | [`ChoiceId::Date`] |
//! | `date:unknown` (记不清) | [`ChoiceId::DateUnknown`] |

use super::dates::Given;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Longest id accepted, in bytes (Telegram's callback data holds 64).
pub const MAX_CHOICE_ID_BYTES: usize = 128;

/// Most categories one `not:` id carries.
pub const MAX_NOT_THAT: usize = 3;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum ChoiceId {
    Command(Cmd),
    Helpful(bool),
    SkipComment,
    Faq(Name),
    Answer(Name),
    Enter(Name),
    Category(Name),
    NotThat(Vec<Name>),
    Option { node: Name, n: u16 },
    Date(Given),
    DateUnknown,
}

/// The `cmd:` choices: navigation the page and channels offer everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmd {
    Back,
    Menu,
    /// A fresh start (the kiosk's reset, Telegram's /start, a WeChat follow).
    Start,
    Handoff,
    Help,
    /// Show where the conversation stands (the page after a reload).
    Resume,
}

impl Cmd {
    const ALL: [(Cmd, &'static str); 6] = [
        (Cmd::Back, "back"),
        (Cmd::Menu, "menu"),
        (Cmd::Start, "start"),
        (Cmd::Handoff, "handoff"),
        (Cmd::Help, "help"),
        (Cmd::Resume, "resume"),
    ];

    fn as_str(self) -> &'static str {
        Self::ALL.iter().find(|(c, _)| *c == self).map_or("menu", |(_, s)| s)
    }
}

/// A node, category or FAQ-node id inside a choice id: 1-64 lowercase ASCII
/// letters, digits or `_` (what `check` allows for ids).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name(String);

impl Name {
    pub fn parse(s: &str) -> Result<Self, BadChoice> {
        if is_name(s) { Ok(Self(s.to_string())) } else { Err(BadChoice) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Is `s` usable as an id (node, category, channel) inside choice ids?
pub fn is_name(s: &str) -> bool {
    (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// A choice id that is not one of the forms above.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed choice id")]
pub struct BadChoice;

impl ChoiceId {
    pub fn cmd(c: Cmd) -> Self {
        ChoiceId::Command(c)
    }

    /// The `n`-th choice (from 1) of the node `node` (an id from content,
    /// valid by `check`).
    pub fn option(node: &str, n: usize) -> Self {
        let n = u16::try_from(n).unwrap_or(u16::MAX);
        ChoiceId::Option { node: Name(node.to_string()), n }
    }

    /// A category, node or FAQ id from content (valid by `check`).
    pub fn name(id: &str) -> Name {
        Name(id.to_string())
    }

    /// Navigation rather than an answer (返回, 菜单, 人工…): text channels
    /// show these as words to type when a reply offers nothing else.
    pub fn is_command(&self) -> bool {
        matches!(self, ChoiceId::Command(_))
    }
}

impl FromStr for ChoiceId {
    type Err = BadChoice;

    fn from_str(s: &str) -> Result<Self, BadChoice> {
        if s.len() > MAX_CHOICE_ID_BYTES {
            return Err(BadChoice);
        }
        let Some((kind, rest)) = s.split_once(':') else {
            let (node, n) = s.rsplit_once('.').ok_or(BadChoice)?;
            let digits = !n.is_empty() && n.len() <= 4 && n.bytes().all(|b| b.is_ascii_digit());
            let n: u16 = if digits { n.parse().map_err(|_| BadChoice)? } else { return Err(BadChoice) };
            if n == 0 {
                return Err(BadChoice);
            }
            return Ok(ChoiceId::Option { node: Name::parse(node)?, n });
        };
        Ok(match (kind, rest) {
            ("cmd", c) => ChoiceId::Command(Cmd::ALL.iter().find(|(_, n)| *n == c).ok_or(BadChoice)?.0),
            ("fb", "yes") => ChoiceId::Helpful(true),
            ("fb", "no") => ChoiceId::Helpful(false),
            ("fb", "skip") => ChoiceId::SkipComment,
            ("faq", node) => ChoiceId::Faq(Name::parse(node)?),
            ("ans", faq) => ChoiceId::Answer(Name::parse(faq)?),
            ("enter", node) => ChoiceId::Enter(Name::parse(node)?),
            ("cat", cat) => ChoiceId::Category(Name::parse(cat)?),
            ("not", list) => {
                let cats = list.split(',').map(Name::parse).collect::<Result<Vec<_>, _>>()?;
                if cats.len() > MAX_NOT_THAT {
                    return Err(BadChoice);
                }
                ChoiceId::NotThat(cats)
            }
            ("date", "unknown") => ChoiceId::DateUnknown,
            ("date", d) => ChoiceId::Date(Given::from_slot(d).ok_or(BadChoice)?),
            _ => return Err(BadChoice),
        })
    }
}

impl fmt::Display for ChoiceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChoiceId::Command(c) => write!(f, "cmd:{}", c.as_str()),
            ChoiceId::Helpful(true) => f.write_str("fb:yes"),
            ChoiceId::Helpful(false) => f.write_str("fb:no"),
            ChoiceId::SkipComment => f.write_str("fb:skip"),
            ChoiceId::Faq(n) => write!(f, "faq:{n}"),
            ChoiceId::Answer(n) => write!(f, "ans:{n}"),
            ChoiceId::Enter(n) => write!(f, "enter:{n}"),
            ChoiceId::Category(n) => write!(f, "cat:{n}"),
            ChoiceId::NotThat(cats) => {
                let list: Vec<&str> = cats.iter().map(Name::as_str).collect();
                write!(f, "not:{}", list.join(","))
            }
            ChoiceId::Option { node, n } => write!(f, "{node}.{n}"),
            ChoiceId::Date(d) => write!(f, "date:{}", d.to_slot()),
            ChoiceId::DateUnknown => f.write_str("date:unknown"),
        }
    }
}

impl From<ChoiceId> for String {
    fn from(c: ChoiceId) -> String {
        c.to_string()
    }
}

impl TryFrom<String> for ChoiceId {
    type Error = BadChoice;
    fn try_from(s: String) -> Result<Self, BadChoice> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_id_parses_and_prints_back() {
        for s in [
            "cmd:back",
            "cmd:menu",
            "cmd:start",
            "cmd:handoff",
            "cmd:help",
            "cmd:resume",
            "fb:yes",
            "fb:no",
            "fb:skip",
            "faq:limits",
            "enter:howto",
            "cat:labor",
            "not:labor,work_injury",
            "main.1",
            "crisis.1",
            "route_start.12",
            "date:2026-05-20",
            "date:2026-05",
            "date:unknown",
        ] {
            let id: ChoiceId = s.parse().unwrap_or_else(|_| panic!("{s} parses"));
            assert_eq!(id.to_string(), s);
        }
    }

    #[test]
    fn malformed_ids_are_refused() {
        for s in [
            "",
            ".",
            "main.0",
            "main.",
            "main.x",
            "main.99999",
            ".1",
            "cmd:unknown",
            "cmd:",
            "fb:maybe",
            "cat:",
            "cat:<script>",
            "not:labor,<script>,../x",
            "not:",
            "not:a,b,c,d",
            "enter:Main",
            "faq:../etc",
            "date:2026-02-30",
            "date:yesterday",
            "x:y",
            "main.1\n",
            &"a".repeat(200),
        ] {
            assert_eq!(s.parse::<ChoiceId>(), Err(BadChoice), "{s:?}");
        }
    }

    #[test]
    fn ids_travel_as_strings_in_json() {
        let id: ChoiceId = "cat:labor".parse().expect("id");
        assert_eq!(serde_json::to_string(&id).expect("json"), r#""cat:labor""#);
        assert_eq!(serde_json::from_str::<ChoiceId>(r#""main.2""#).expect("json"), ChoiceId::option("main", 2));
        assert!(serde_json::from_str::<ChoiceId>(r#""main.0""#).is_err());
    }
}
