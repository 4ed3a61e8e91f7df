//! Command-line tools that share the library: content check and terminal chat.

pub mod backup;
pub mod chat;
pub mod check;
pub mod classify;
pub mod danger;
pub mod examples;
pub mod graph;
pub mod migrate;
pub mod qr;
pub mod report;
pub mod server;
pub mod staff;
pub mod stats;
pub mod train;
pub mod transcript;
pub mod typos;

use anyhow::Context;
use std::sync::Arc;

/// Where a command that reads or writes data finds it.
pub struct Place {
    pub store: crate::config::StoreSettings,
    /// The sled data dir (unused with a shared database).
    pub data: std::path::PathBuf,
    /// The running server to ask when it holds the data dir.
    pub server: Option<String>,
}

impl Place {
    /// The shared database when `[store] url` names one: every instance
    /// and every command use it at once, so nothing is asked of a server.
    pub async fn shared(&self) -> anyhow::Result<Option<Arc<dyn crate::store::Store>>> {
        if !crate::store::is_shared(&self.store) {
            return Ok(None);
        }
        let store = crate::store::open(&self.store, &self.data).await.context("opening the PostgreSQL store")?;
        Ok(Some(store))
    }
}
