//! Reading a whole data dir out, for `xinfang-guide migrate`: sessions,
//! conversation keys, tickets and records as stored.

use super::{SledStore, io};
use crate::engine::session::{Session, SessionKey};
use crate::store::{StoreError, Ticket};

/// Session key bytes (`channel ‖ 0 ‖ user`) as a key.
fn parse_key(bytes: &[u8]) -> Option<SessionKey> {
    let nul = bytes.iter().position(|&b| b == 0)?;
    let channel = std::str::from_utf8(&bytes[..nul]).ok()?;
    let user = std::str::from_utf8(&bytes[nul + 1..]).ok()?;
    SessionKey::parse(channel, user).ok()
}

impl SledStore {
    /// Every stored session.
    pub fn all_sessions(&self) -> Result<Vec<Session>, StoreError> {
        self.trees.sessions.iter().map(|item| SledStore::decode(&item.map_err(io)?.1)).collect()
    }

    /// Every key with a conversation in the log: live sessions and those
    /// removed as idle whose records are still kept.
    pub fn conversation_keys(&self) -> Result<Vec<SessionKey>, StoreError> {
        let t = &self.trees;
        let mut keys = std::collections::BTreeSet::new();
        for item in t.sessions.iter().keys().chain(t.ended.iter().keys()) {
            let k = item.map_err(io)?;
            keys.insert(parse_key(&k).ok_or_else(|| StoreError::Corrupt("session key".into()))?);
        }
        Ok(keys.into_iter().collect())
    }

    /// Every ticket, expired or not.
    pub fn all_tickets(&self) -> Result<Vec<(String, Ticket)>, StoreError> {
        let mut out = Vec::new();
        for item in self.trees.tickets.iter() {
            let (k, v) = item.map_err(io)?;
            let t = serde_json::from_slice(&v).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            out.push((String::from_utf8_lossy(&k).into_owned(), t));
        }
        Ok(out)
    }

    /// Every record as (space, key, value).
    pub fn all_records(&self) -> Result<Vec<(String, String, Vec<u8>)>, StoreError> {
        let mut out = Vec::new();
        for name in self.db.tree_names() {
            let Some(space) = std::str::from_utf8(&name).ok().and_then(|n| n.strip_prefix("rec:")) else { continue };
            for item in self.db.open_tree(&name).map_err(io)?.iter() {
                let (k, v) = item.map_err(io)?;
                out.push((space.to_string(), String::from_utf8_lossy(&k).into_owned(), v.to_vec()));
            }
        }
        Ok(out)
    }
}
