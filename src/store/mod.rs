//! Where sessions and the query log live. One small trait; sled is the
//! default implementation, an in-memory one serves the terminal chat and
//! the contract tests.
//!
//! The contract keeps per-session ordering in the data, not in a lock:
//! `commit` writes a session only if its stored version is still the one
//! the caller loaded (compare-and-swap), together with its log record, and
//! returns only once both are durable. A shared engine for several
//! instances implements the same contract.

pub mod backup;
pub mod mem;
pub mod pg;
pub mod sled_store;

use crate::engine::reply::LogRecord;
use crate::engine::session::{Session, SessionKey};
use async_trait::async_trait;
use std::sync::Arc;

pub mod revive;
pub use mem::MemStore;
pub use pg::PgStore;
pub use sled_store::SledStore;

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("storage I/O failed: {0}")]
    Io(String),
    /// Another process (usually the running server) holds the data dir.
    #[error("{0}")]
    Locked(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("the store is shutting down")]
    Closed,
    /// The database cannot be reached (down, restarting, every connection
    /// busy past the wait): nothing was written; try again later.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
}

/// What an idle sweep did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub removed: usize,
    /// Sessions left after the sweep.
    pub remaining: usize,
}

/// Result of a compare-and-swap commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Commit {
    /// Written and durable; the session now has this version.
    Done { version: u64 },
    /// Someone else wrote the session since it was loaded: load and retry.
    Conflict,
}

/// A short-lived, unguessable link: a kiosk conversation waiting to move to
/// a phone (`transfer`), or a take-away guidance page (`takeaway`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Ticket {
    pub kind: String,
    /// Unix seconds after which the ticket is gone.
    pub expires: i64,
    pub data: serde_json::Value,
}

/// A logged message with its position in the log.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    pub id: u64,
    pub record: LogRecord,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    async fn load(&self, key: &SessionKey) -> Result<Option<Session>, StoreError>;

    /// Writes `session` as version `expected + 1` (`expected = None`: the
    /// session must not exist yet) and appends `log`, atomically. Returns
    /// after both are durable.
    async fn commit(&self, expected: Option<u64>, session: &Session, log: &LogRecord) -> Result<Commit, StoreError>;

    /// Removes sessions idle since before `cutoff` (Unix seconds); says how
    /// many went and how many stay (the sweep sees them all anyway).
    async fn remove_idle(&self, cutoff: i64) -> Result<Swept, StoreError>;

    /// Log entries with `from <= ts < to` (Unix seconds), in time order,
    /// starting after `cursor` (the `(ts, id)` of the last entry of the
    /// previous page), at most `limit`. Records come without `shown` (the
    /// replies as the person saw them are read with the conversation, by
    /// `log_for_session`): scans for lists and figures do not need them.
    async fn log_range(
        &self,
        from: i64,
        to: i64,
        cursor: Option<(i64, u64)>,
        limit: usize,
    ) -> Result<Vec<LogEntry>, StoreError>;

    /// Like `log_range`, newest first: entries before `cursor`.
    async fn log_range_rev(
        &self,
        from: i64,
        to: i64,
        cursor: Option<(i64, u64)>,
        limit: usize,
    ) -> Result<Vec<LogEntry>, StoreError>;

    /// Entries whose input may contain `text` (a superset: the caller
    /// checks the text), newest first, before `cursor`, through an index;
    /// `None` when this store has none for it (the caller scans
    /// `log_range_rev`).
    async fn log_search_rev(
        &self,
        _from: i64,
        _to: i64,
        _cursor: Option<(i64, u64)>,
        _text: &str,
        _limit: usize,
    ) -> Result<Option<Vec<LogEntry>>, StoreError> {
        Ok(None)
    }

    async fn session_count(&self) -> Result<usize, StoreError>;

    /// One conversation's log entries (every session that had this key,
    /// as long as retention kept them): the newest `limit`, oldest first,
    /// each with `shown`.
    async fn log_for_session(&self, key: &SessionKey, limit: usize) -> Result<Vec<LogEntry>, StoreError>;

    /// Deletes log entries with `ts < cutoff` (retention); returns how many.
    async fn remove_log_before(&self, cutoff: i64) -> Result<usize, StoreError>;

    /// A small record by key in a named space (staff accounts, audit log).
    async fn record_get(&self, space: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Writes `new` (None deletes) only if the stored value is still `old`
    /// (None: absent); true when written. Durable on return.
    async fn record_cas(
        &self,
        space: &str,
        key: &str,
        old: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<bool, StoreError>;

    /// Records whose key starts with `prefix`, in key order, at most `limit`.
    async fn record_scan(&self, space: &str, prefix: &str, limit: usize) -> Result<Vec<(String, Vec<u8>)>, StoreError>;

    /// Stores a ticket under `id` (durable on return).
    async fn put_ticket(&self, id: &str, ticket: &Ticket) -> Result<(), StoreError>;

    /// The ticket, unless missing or expired at `now`.
    async fn get_ticket(&self, id: &str, now: i64) -> Result<Option<Ticket>, StoreError>;

    /// Removes and returns the ticket atomically: of two concurrent takers
    /// only one gets it. Expired tickets are not returned.
    async fn take_ticket(&self, id: &str, now: i64) -> Result<Option<Ticket>, StoreError>;

    /// Removes tickets expired before `now`; returns how many.
    async fn remove_expired_tickets(&self, now: i64) -> Result<usize, StoreError>;

    /// Takes or renews the lease `name` for `holder` until `now + secs`;
    /// true when `holder` has it (it was free, expired or already its own).
    /// For jobs only one process may run (the Telegram poller). A store one
    /// process owns (sled, memory) grants it always.
    async fn lease(&self, _name: &str, _holder: &str, _now: i64, _secs: i64) -> Result<bool, StoreError> {
        Ok(true)
    }

    /// Whether the store can be used now (`/healthz`).
    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Makes everything written so far durable.
    /// Writes a backup of everything the store holds (`backup`), on the
    /// calling (blocking) thread. A database server's store is backed up
    /// with the server's own tools.
    fn backup(&self, _out: &mut dyn std::io::Write, _now: i64) -> Result<backup::Summary, backup::BackupError> {
        Err(backup::BackupError::Unsupported)
    }

    async fn flush(&self) -> Result<(), StoreError>;
}

/// The version a commit with `expected` writes.
pub fn next_version(expected: Option<u64>) -> u64 {
    expected.map_or(1, |v| v + 1)
}

/// The store the settings name: PostgreSQL when `[store] url` is set,
/// otherwise sled in `data_dir`. The one place a store is chosen.
pub async fn open(
    settings: &crate::config::StoreSettings,
    data_dir: &std::path::Path,
) -> Result<Arc<dyn Store>, StoreError> {
    let url = settings.url.expose().trim();
    if url.is_empty() {
        let opts = sled_store::SledOptions {
            cache_bytes: settings.cache_mb * 1024 * 1024,
            gather: std::time::Duration::from_micros(settings.group_commit_us),
        };
        // Reopened by itself after a storage failure (a full disk).
        let store = revive::Reviving::open(data_dir.to_path_buf(), opts)?;
        revive::Reviving::keep_alive(&store);
        return Ok(store);
    }
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(StoreError::Io("[store] url must be empty (sled) or start with postgres://".into()));
    }
    let opts = pg::PgOptions {
        pool_size: settings.pool_size,
        batch_commits: settings.batch_commits,
        ..pg::PgOptions::default()
    };
    Ok(PgStore::connect(url, &opts).await?)
}

/// Whether the settings name a shared database (several instances).
pub fn is_shared(settings: &crate::config::StoreSettings) -> bool {
    settings.url.is_set()
}
