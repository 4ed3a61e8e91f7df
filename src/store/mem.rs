//! In-memory store: the terminal chat and tests. Same contract as sled,
//! without durability.

use super::{Commit, LogEntry, Store, StoreError, Swept, Ticket, next_version};
use crate::engine::reply::LogRecord;
use crate::engine::session::{Session, SessionKey};
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
pub struct MemStore {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    sessions: HashMap<SessionKey, Session>,
    /// id → record; ids count up from 0 and are never reused.
    log: std::collections::BTreeMap<u64, LogRecord>,
    next_id: u64,
    /// Session → its log ids (the sled store links records instead).
    by_session: HashMap<SessionKey, Vec<u64>>,
    tickets: HashMap<String, Ticket>,
    records: std::collections::BTreeMap<(String, String), Vec<u8>>,
}

impl MemStore {
    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Inner>, StoreError> {
        self.inner.lock().map_err(|_| StoreError::Io("memory store lock poisoned".into()))
    }
}

#[async_trait]
impl Store for MemStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<Session>, StoreError> {
        Ok(self.lock()?.sessions.get(key).cloned())
    }

    async fn commit(&self, expected: Option<u64>, session: &Session, log: &LogRecord) -> Result<Commit, StoreError> {
        let mut inner = self.lock()?;
        let current = inner.sessions.get(&session.key).map(|s| s.version);
        if current != expected {
            return Ok(Commit::Conflict);
        }
        let version = next_version(expected);
        inner.sessions.insert(session.key.clone(), Session { version, ..session.clone() });
        let id = inner.next_id;
        inner.next_id += 1;
        inner.log.insert(id, log.clone());
        inner.by_session.entry(session.key.clone()).or_default().push(id);
        Ok(Commit::Done { version })
    }

    async fn remove_idle(&self, cutoff: i64) -> Result<Swept, StoreError> {
        let mut inner = self.lock()?;
        let before = inner.sessions.len();
        inner.sessions.retain(|_, s| s.last_active >= cutoff);
        let remaining = inner.sessions.len();
        Ok(Swept { removed: before - remaining, remaining })
    }

    async fn log_range(
        &self,
        from: i64,
        to: i64,
        cursor: Option<(i64, u64)>,
        limit: usize,
    ) -> Result<Vec<LogEntry>, StoreError> {
        let inner = self.lock()?;
        let mut all: Vec<LogEntry> = inner
            .log
            .iter()
            .filter(|(_, r)| r.ts >= from && r.ts < to)
            .map(|(i, r)| LogEntry { id: *i, record: LogRecord { shown: String::new(), ..r.clone() } })
            .collect();
        all.sort_by_key(|e| (e.record.ts, e.id));
        Ok(all.into_iter().filter(|e| cursor.is_none_or(|c| (e.record.ts, e.id) > c)).take(limit).collect())
    }

    async fn log_range_rev(
        &self,
        from: i64,
        to: i64,
        cursor: Option<(i64, u64)>,
        limit: usize,
    ) -> Result<Vec<LogEntry>, StoreError> {
        let mut all = self.log_range(from, to, None, usize::MAX).await?;
        all.reverse();
        Ok(all.into_iter().filter(|e| cursor.is_none_or(|c| (e.record.ts, e.id) < c)).take(limit).collect())
    }

    async fn log_for_session(&self, key: &SessionKey, limit: usize) -> Result<Vec<LogEntry>, StoreError> {
        let inner = self.lock()?;
        let ids = inner.by_session.get(key).map(Vec::as_slice).unwrap_or_default();
        let mut v: Vec<LogEntry> =
            ids.iter().filter_map(|i| inner.log.get(i).map(|r| LogEntry { id: *i, record: r.clone() })).collect();
        v.sort_by_key(|e| (e.record.ts, e.id));
        v.drain(..v.len().saturating_sub(limit));
        Ok(v)
    }

    async fn remove_log_before(&self, cutoff: i64) -> Result<usize, StoreError> {
        let mut inner = self.lock()?;
        let before = inner.log.len();
        inner.log.retain(|_, r| r.ts >= cutoff);
        let Inner { log, by_session, .. } = &mut *inner;
        by_session.retain(|_, ids| {
            ids.retain(|i| log.contains_key(i));
            !ids.is_empty()
        });
        Ok(before - inner.log.len())
    }

    async fn record_get(&self, space: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.lock()?.records.get(&(space.to_string(), key.to_string())).cloned())
    }

    async fn record_cas(
        &self,
        space: &str,
        key: &str,
        old: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<bool, StoreError> {
        let mut inner = self.lock()?;
        let k = (space.to_string(), key.to_string());
        if inner.records.get(&k).map(Vec::as_slice) != old {
            return Ok(false);
        }
        match new {
            Some(v) => inner.records.insert(k, v.to_vec()),
            None => inner.records.remove(&k),
        };
        Ok(true)
    }

    async fn record_scan(&self, space: &str, prefix: &str, limit: usize) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let inner = self.lock()?;
        Ok(inner
            .records
            .iter()
            .filter(|((s, k), _)| s == space && k.starts_with(prefix))
            .take(limit)
            .map(|((_, k), v)| (k.clone(), v.clone()))
            .collect())
    }

    async fn session_count(&self) -> Result<usize, StoreError> {
        Ok(self.lock()?.sessions.len())
    }

    async fn put_ticket(&self, id: &str, ticket: &Ticket) -> Result<(), StoreError> {
        self.lock()?.tickets.insert(id.to_string(), ticket.clone());
        Ok(())
    }

    async fn get_ticket(&self, id: &str, now: i64) -> Result<Option<Ticket>, StoreError> {
        Ok(self.lock()?.tickets.get(id).filter(|t| t.expires >= now).cloned())
    }

    async fn take_ticket(&self, id: &str, now: i64) -> Result<Option<Ticket>, StoreError> {
        Ok(self.lock()?.tickets.remove(id).filter(|t| t.expires >= now))
    }

    async fn remove_expired_tickets(&self, now: i64) -> Result<usize, StoreError> {
        let mut inner = self.lock()?;
        let before = inner.tickets.len();
        inner.tickets.retain(|_, t| t.expires >= now);
        Ok(before - inner.tickets.len())
    }

    async fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
