//! Conversation state: where a person is in the dialog, what they answered,
//! and how to go back. Stored by the `store`; changed only by `engine::step`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Which channel a session lives on and the person's id there.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub struct SessionKey {
    channel: String,
    user: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("channel name must be 1-16 lowercase ASCII letters or digits")]
    BadChannel,
    #[error("user id must be 1-128 bytes without control characters")]
    BadUser,
}

impl SessionKey {
    pub fn parse(channel: &str, user: &str) -> Result<Self, KeyError> {
        let channel_ok =
            (1..=16).contains(&channel.len()) && channel.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if !channel_ok {
            return Err(KeyError::BadChannel);
        }
        if user.is_empty() || user.len() > 128 || user.chars().any(char::is_control) {
            return Err(KeyError::BadUser);
        }
        Ok(Self { channel: channel.to_string(), user: user.to_string() })
    }

    pub fn channel(&self) -> &str {
        &self.channel
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    /// Store key: `channel \0 user`; neither part may contain NUL.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.channel.len() + 1 + self.user.len());
        v.extend_from_slice(self.channel.as_bytes());
        v.push(0);
        v.extend_from_slice(self.user.as_bytes());
        v
    }
}

impl fmt::Display for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.channel, self.user)
    }
}

/// One step back in history: the node and the answers as they were there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    pub node: String,
    pub slots: BTreeMap<String, String>,
}

/// How far back "返回" can go.
pub const MAX_HISTORY: usize = 32;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub key: SessionKey,
    /// Current node id (an id, not an index, so a content update keeps sessions).
    pub node: String,
    pub slots: BTreeMap<String, String>,
    pub history: Vec<Frame>,
    /// Where the person came from (kiosk, campaign or poster tag).
    pub source: Option<String>,
    /// Unix seconds.
    pub created: i64,
    pub last_active: i64,
    /// Optimistic concurrency: the store writes `version + 1` only if the
    /// stored version is still `version`.
    pub version: u64,
    pub turns: u32,
    /// Buttons of the last reply that belong to no node (category
    /// suggestions, FAQ follow-ups) as (choice id, label), so a typed
    /// number, label or "对" can pick them.
    /// An empty label: the node's own (see `suggest::remember`); stored as
    /// the bare id then.
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "offered")]
    pub offered: Vec<(crate::engine::choice::ChoiceId, String)>,
    /// Channel message ids already answered, newest last, with the replies
    /// given, so a channel that re-delivers (WeChat retries a push up to three
    /// times) gets the same answer without a second turn. Kept by the service
    /// layer, carried unchanged by the engine.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub receipts: Vec<Receipt>,
    /// 没帮助 was pressed: the next message is the comment.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub wants_comment: bool,
    /// What worried the danger recogniser into asking "您现在安全吗？" (its
    /// cues), so the same worry is asked about once per conversation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub danger_asked: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    pub id: String,
    pub replies: Vec<crate::engine::reply::Reply>,
}

/// How many answered message ids a session remembers.
pub const MAX_RECEIPTS: usize = 4;

impl Session {
    pub fn new(key: SessionKey, node: &str, now: i64) -> Self {
        Self {
            key,
            node: node.to_string(),
            slots: BTreeMap::new(),
            history: Vec::new(),
            source: None,
            created: now,
            last_active: now,
            version: 0,
            turns: 0,
            offered: Vec::new(),
            receipts: Vec::new(),
            wants_comment: false,
            danger_asked: Vec::new(),
        }
    }

    pub fn is_expired(&self, now: i64, idle_secs: i64) -> bool {
        now.saturating_sub(self.last_active) > idle_secs
    }
}

/// `offered` as stored: `"main.1"` for a choice whose label the content
/// gives, `["cat:labor", "劳动争议"]` otherwise (sessions written before
/// labels were left out hold pairs only; both read).
mod offered {
    use crate::engine::choice::ChoiceId;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum One {
        Id(ChoiceId),
        Labelled(ChoiceId, String),
    }

    pub fn serialize<S: Serializer>(v: &[(ChoiceId, String)], s: S) -> Result<S::Ok, S::Error> {
        let ones: Vec<One> = v
            .iter()
            .map(
                |(id, label)| {
                    if label.is_empty() { One::Id(id.clone()) } else { One::Labelled(id.clone(), label.clone()) }
                },
            )
            .collect();
        ones.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(ChoiceId, String)>, D::Error> {
        let ones = Vec::<One>::deserialize(d)?;
        Ok(ones
            .into_iter()
            .map(|o| match o {
                One::Id(id) => (id, String::new()),
                One::Labelled(id, label) => (id, label),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::choice::ChoiceId;

    #[test]
    fn offered_buttons_keep_only_the_labels_the_content_cannot_give_back() {
        let key = SessionKey::parse("web", "u1").expect("key");
        let mut s = Session::new(key, "main", 0);
        s.offered = vec![
            ("main.1".parse::<ChoiceId>().expect("id"), String::new()),
            ("cat:labor".parse::<ChoiceId>().expect("id"), "劳动争议".to_string()),
        ];
        let json = serde_json::to_string(&s).expect("serialize");
        assert!(json.contains(r#""offered":["main.1",["cat:labor","劳动争议"]]"#), "{json}");
        let back: Session = serde_json::from_str(&json).expect("read back");
        assert_eq!(back.offered, s.offered);
        // A session written before: pairs only.
        let old = json.replace(r#""main.1""#, r#"["main.1","我要信访"]"#);
        let back: Session = serde_json::from_str(&old).expect("old form reads");
        assert_eq!(back.offered[0].1, "我要信访");
    }
}
