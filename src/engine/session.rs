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
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
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
        }
    }

    pub fn is_expired(&self, now: i64, idle_secs: i64) -> bool {
        now.saturating_sub(self.last_active) > idle_secs
    }
}
