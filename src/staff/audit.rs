//! The audit log: who logged in, viewed a transcript, exported or changed
//! what, and when. Append-only records keyed by time.

use crate::store::{Store, StoreError};
use serde::{Deserialize, Serialize};

const SPACE: &str = "audit";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub ts: i64,
    pub who: String,
    pub action: String,
    pub detail: String,
}

pub async fn record(store: &dyn Store, ts: i64, who: &str, action: &str, detail: &str) -> Result<(), StoreError> {
    let e = Entry { ts, who: who.into(), action: action.into(), detail: detail.chars().take(500).collect() };
    let bytes = serde_json::to_vec(&e).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    loop {
        let suffix: u64 = rand::random();
        let key = format!("{:020}-{suffix:016x}", ts.max(0));
        if store.record_cas(SPACE, &key, None, Some(&bytes)).await? {
            return Ok(());
        }
    }
}

/// Newest first, at most `limit`.
pub async fn recent(store: &dyn Store, limit: usize) -> Result<Vec<Entry>, StoreError> {
    let rows = store.record_scan(SPACE, "", usize::MAX).await?;
    rows.iter()
        .rev()
        .take(limit)
        .map(|(_, v)| serde_json::from_slice(v).map_err(|e| StoreError::Corrupt(e.to_string())))
        .collect()
}
