//! The server's sled store, reopened by itself after its storage failed.
//!
//! sled stops for good after one failed write (a full disk, EIO): every
//! later read and write of that `Db` returns the same error, even once
//! space is back. So the server does not hold a `SledStore` directly but
//! this wrapper: an I/O failure answers `StoreError::Unavailable` (503
//! `store_unavailable`, as PostgreSQL down does; `/healthz` says 503 too),
//! and the store is closed and opened again, every `RETRY` until it opens:
//! opening runs the usual recovery (a torn segment tail cut, records of
//! turns never answered removed). Nothing acknowledged is lost: a turn is
//! acknowledged only after its flush succeeded.

use super::sled_store::{SledOptions, SledStore};
use super::{Commit, LogEntry, Store, StoreError, Swept, Ticket};
use crate::engine::reply::LogRecord;
use crate::engine::session::{Session, SessionKey};
use async_trait::async_trait;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// How often a failed store is tried again.
pub const RETRY: Duration = Duration::from_secs(2);

pub struct Reviving {
    dir: PathBuf,
    opts: SledOptions,
    /// The open store; `None` while it is being reopened.
    current: RwLock<Option<Arc<SledStore>>>,
    /// Set when an operation failed on storage: the next retry reopens.
    failed: std::sync::atomic::AtomicBool,
}

impl Reviving {
    /// Opens the store (an error now is the caller's: nothing to serve).
    pub fn open(dir: PathBuf, opts: SledOptions) -> Result<Arc<Self>, StoreError> {
        let store = SledStore::open(&dir, &opts)?;
        let me = Arc::new(Self {
            dir,
            opts,
            current: RwLock::new(Some(store)),
            failed: std::sync::atomic::AtomicBool::new(false),
        });
        Ok(me)
    }

    /// Runs the reopening loop (spawn it once; it ends with the last
    /// handle to the store).
    pub fn keep_alive(me: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let weak = Arc::downgrade(me);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(RETRY).await;
                let Some(me) = weak.upgrade() else { return };
                if me.failed.load(std::sync::atomic::Ordering::SeqCst) {
                    me.reopen().await;
                }
            }
        })
    }

    /// Closes the failed store and opens it again; on failure, leaves it
    /// closed (answers stay 503) for the next try.
    async fn reopen(self: &Arc<Self>) {
        let old = self.current.write().ok().and_then(|mut c| c.take());
        // The last handle closes it (requests still running hold theirs; the
        // open below waits for the directory lock they keep).
        drop(old);
        let (dir, opts) = (self.dir.clone(), self.opts.clone());
        let opened = tokio::task::spawn_blocking(move || SledStore::open(&dir, &opts)).await;
        match opened {
            Ok(Ok(store)) => {
                if let Ok(mut c) = self.current.write() {
                    *c = Some(store);
                }
                self.failed.store(false, std::sync::atomic::Ordering::SeqCst);
                tracing::warn!(dir = %self.dir.display(), "the store is open again after a storage failure");
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "the store could not be opened again yet"),
            Err(e) => tracing::warn!(error = %e, "the store could not be opened again yet"),
        }
    }

    fn get(&self) -> Result<Arc<SledStore>, StoreError> {
        let current = self.current.read().map_err(|_| StoreError::Closed)?;
        current
            .clone()
            .ok_or_else(|| StoreError::Unavailable("the store is being reopened after a storage failure".into()))
    }

    /// A storage failure becomes `Unavailable` and schedules a reopen.
    fn seen<T>(&self, r: Result<T, StoreError>) -> Result<T, StoreError> {
        match r {
            Err(StoreError::Io(why)) => {
                if !self.failed.swap(true, std::sync::atomic::Ordering::SeqCst) {
                    tracing::error!(error = %why, "storage failed: answering 503 until the store opens again");
                }
                Err(StoreError::Unavailable(why))
            }
            other => other,
        }
    }
}

/// Each call on the current store, its storage failures seen.
macro_rules! on_store {
    ($self:ident, $s:ident => $call:expr) => {{
        let $s = $self.get()?;
        let r = $call.await;
        $self.seen(r)
    }};
}

#[async_trait]
impl Store for Reviving {
    async fn load(&self, key: &SessionKey) -> Result<Option<Session>, StoreError> {
        on_store!(self, s => s.load(key))
    }

    async fn commit(&self, expected: Option<u64>, session: &Session, log: &LogRecord) -> Result<Commit, StoreError> {
        on_store!(self, s => s.commit(expected, session, log))
    }

    async fn remove_idle(&self, cutoff: i64) -> Result<Swept, StoreError> {
        on_store!(self, s => s.remove_idle(cutoff))
    }

    async fn log_range(
        &self,
        from: i64,
        to: i64,
        cursor: Option<(i64, u64)>,
        limit: usize,
    ) -> Result<Vec<LogEntry>, StoreError> {
        on_store!(self, s => s.log_range(from, to, cursor, limit))
    }

    async fn log_range_rev(
        &self,
        from: i64,
        to: i64,
        cursor: Option<(i64, u64)>,
        limit: usize,
    ) -> Result<Vec<LogEntry>, StoreError> {
        on_store!(self, s => s.log_range_rev(from, to, cursor, limit))
    }

    async fn log_search_rev(
        &self,
        from: i64,
        to: i64,
        cursor: Option<(i64, u64)>,
        text: &str,
        limit: usize,
    ) -> Result<Option<Vec<LogEntry>>, StoreError> {
        on_store!(self, s => s.log_search_rev(from, to, cursor, text, limit))
    }

    async fn session_count(&self) -> Result<usize, StoreError> {
        on_store!(self, s => s.session_count())
    }

    async fn log_for_session(&self, key: &SessionKey, limit: usize) -> Result<Vec<LogEntry>, StoreError> {
        on_store!(self, s => s.log_for_session(key, limit))
    }

    async fn remove_log_before(&self, cutoff: i64) -> Result<usize, StoreError> {
        on_store!(self, s => s.remove_log_before(cutoff))
    }

    async fn record_get(&self, space: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        on_store!(self, s => s.record_get(space, key))
    }

    async fn record_cas(
        &self,
        space: &str,
        key: &str,
        old: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<bool, StoreError> {
        on_store!(self, s => s.record_cas(space, key, old, new))
    }

    async fn record_scan(&self, space: &str, prefix: &str, limit: usize) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        on_store!(self, s => s.record_scan(space, prefix, limit))
    }

    async fn put_ticket(&self, id: &str, ticket: &Ticket) -> Result<(), StoreError> {
        on_store!(self, s => s.put_ticket(id, ticket))
    }

    async fn get_ticket(&self, id: &str, now: i64) -> Result<Option<Ticket>, StoreError> {
        on_store!(self, s => s.get_ticket(id, now))
    }

    async fn take_ticket(&self, id: &str, now: i64) -> Result<Option<Ticket>, StoreError> {
        on_store!(self, s => s.take_ticket(id, now))
    }

    async fn remove_expired_tickets(&self, now: i64) -> Result<usize, StoreError> {
        on_store!(self, s => s.remove_expired_tickets(now))
    }

    async fn lease(&self, name: &str, holder: &str, now: i64, secs: i64) -> Result<bool, StoreError> {
        on_store!(self, s => s.lease(name, holder, now, secs))
    }

    /// Unavailable while failed or being reopened; else the store's own
    /// check (a read of its metadata).
    async fn ping(&self) -> Result<(), StoreError> {
        if self.failed.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(StoreError::Unavailable("storage failed; reopening".into()));
        }
        on_store!(self, s => s.ping())
    }

    /// A failure to write the output is the reader's; only the store's
    /// own I/O errors count as storage failures.
    fn backup(
        &self,
        out: &mut dyn std::io::Write,
        now: i64,
    ) -> Result<crate::store::backup::Summary, crate::store::backup::BackupError> {
        match self.get()?.backup(out, now) {
            Err(crate::store::backup::BackupError::Store(e)) => {
                Err(self.seen::<()>(Err(e)).err().unwrap_or(StoreError::Closed).into())
            }
            other => other,
        }
    }

    async fn flush(&self) -> Result<(), StoreError> {
        on_store!(self, s => s.flush())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(ts: i64, input: &str) -> LogRecord {
        LogRecord { ts, channel: "web".into(), input: input.into(), input_kind: "text".into(), ..LogRecord::default() }
    }

    /// A storage failure is a 503 (`Unavailable`), the health check says
    /// so, and once the store is opened again it serves, with every turn
    /// acknowledged before and after.
    #[tokio::test]
    async fn a_storage_failure_is_unavailable_until_the_store_is_opened_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Reviving::open(dir.path().to_path_buf(), SledOptions::default()).expect("open");
        let key = SessionKey::parse("web", "n3").expect("key");
        let s1 = Session::new(key.clone(), "main", 100);
        assert_eq!(store.commit(None, &s1, &turn(100, "one")).await.expect("commit"), Commit::Done { version: 1 });
        store.get().expect("open").fail_next_segment_write();
        let s2 = Session { version: 1, ..s1.clone() };
        let failed = store.commit(Some(1), &s2, &turn(101, "lost")).await;
        assert!(matches!(failed, Err(StoreError::Unavailable(_))), "{failed:?}");
        assert!(matches!(store.ping().await, Err(StoreError::Unavailable(_))));
        store.reopen().await;
        store.ping().await.expect("healthy again");
        assert_eq!(store.commit(Some(1), &s2, &turn(102, "two")).await.expect("commit"), Commit::Done { version: 2 });
        let inputs: Vec<String> =
            store.log_for_session(&key, 10).await.expect("log").into_iter().map(|e| e.record.input).collect();
        assert_eq!(inputs, ["one", "two"]);
    }
}
