//! sled implementation of `Store`, with group commit (`flusher`).
//!
//! Commit: the reply text is kept once in the `shown` tree, the log record
//! is inserted, then the session is written with `compare_and_swap` on the
//! exact bytes whose version was checked (a concurrent writer makes the swap
//! fail: conflict, and the record is removed again). The commit returns only
//! after the group flush and its `fdatasync`: an acknowledged message
//! survives a killed process, a kernel panic and a power cut (on a device
//! that honours cache flushes).
//!
//! sled recovers a prefix of the writes it accepted, so after a crash a
//! session never links to a log record that was lost. It can keep a log
//! record without the session write that followed it (a turn whose reply
//! never left: nobody was answered for it). Such records are removed when
//! the store opens after an unclean shutdown (`recover::orphans`), so
//! `stats` and the dashboard never count them.
//!
//! Transcripts: each log record carries the key of the record before it in
//! the same conversation, and the session carries the key of its newest
//! record (both in the value's prefix, see `value`), so one conversation is
//! a walk back from the session — no per-message index. The pointer is
//! written by the same compare-and-swap that orders the session's turns, so
//! it needs no lock and holds on a shared engine too. When the idle sweep
//! removes a session, its newest record's key moves to the `ended` tree, and
//! a later session with the same key continues the chain from there. (A
//! per-message index tree, session key ‖ log key, cost 15–20 MB RSS and
//! 400 MB of disk per 320,000 messages in the load benchmark: its inserts
//! land all over the tree.)
//!
//! Reply texts: most replies are a node's text, repeated for everyone who
//! reaches it, so each distinct text is stored once (`shown`: hash → when
//! last used ‖ text) and a record refers to it by hash. Retention drops
//! texts no record kept can refer to.
//!
//! Idle sweep: the `activity` tree holds one key per session, 5-minute
//! bucket of its last activity ‖ a sequence number (so new keys are
//! appended at the end of the tree, not scattered through it: scattered
//! keys cost ~20 MB resident per 100,000 sessions), whose value is the
//! session key; the session's value carries its activity key, so a move to
//! a later bucket removes the old one. A sweep reads only the buckets up to
//! the cutoff's and the sessions in them, never the whole sessions tree (a
//! full scan kept ~80 MB per 100,000 sessions resident, whatever sled's
//! cache size).

pub mod backup;
mod export;
mod flusher;
mod recover;
mod segments;
mod value;

use super::{Commit, LogEntry, Store, StoreError, Swept, Ticket, next_version};
use crate::engine::reply::LogRecord;
use crate::engine::session::{Session, SessionKey};
use async_trait::async_trait;
use flusher::Flusher;
use segments::Segments;
use sled::Tree;
use std::borrow::Cow;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use value::{ActivityKey, LogKey, ShownHash};

pub struct SledStore {
    db: sled::Db,
    trees: Arc<Trees>,
    flusher: Arc<Flusher>,
    /// Joined on drop, so the data dir is unlocked when the store is gone.
    flusher_thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// The data dir (the health check writes a probe there).
    dir: std::path::PathBuf,
}

/// The trees of one data dir.
pub(crate) struct Trees {
    sessions: Tree,
    /// Log key → pointer to the record in `segments` (older data dirs: the
    /// record itself).
    log: Tree,
    segments: Arc<Segments>,
    /// Session key bytes → key of the newest log record of its removed
    /// (idle) session, where its conversation's chain starts.
    ended: Tree,
    tickets: Tree,
    /// 12-byte hash → last used (u64 BE Unix seconds) ‖ reply text.
    shown: Tree,
    /// Activity bucket (u64 BE) ‖ sequence (u64 BE) → session key.
    activity: Tree,
    /// Sessions stored (for the gauge; counted from `activity` at open).
    live: std::sync::atomic::AtomicUsize,
    /// Markers: the store is open (a crash leaves it), migrations done;
    /// `seg:<n>` → newest record time (u64 BE) of closed segment n.
    meta: Tree,
    /// Held by a backup, and by the sweep and retention, which delete:
    /// a backup sees nothing removed while it copies.
    maintenance: Mutex<()>,
}

#[derive(Debug, Clone)]
pub struct SledOptions {
    /// sled page cache in bytes.
    pub cache_bytes: u64,
    /// How long the flusher lets commits gather before a flush (group commit).
    pub gather: std::time::Duration,
}

impl Default for SledOptions {
    fn default() -> Self {
        Self { cache_bytes: 1024 * 1024, gather: std::time::Duration::from_micros(1000) }
    }
}

/// How long `open` waits for a data dir lock to be released.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(1);
/// Width of an activity bucket (seconds).
const BUCKET_SECS: i64 = 300;
/// A reply text's last use is refreshed when older than this (seconds), so
/// retention can tell which texts no kept record refers to.
const SHOWN_REFRESH_SECS: i64 = 86_400;
/// Meta key present while the store is open.
const OPEN: &[u8] = b"open";

fn segment_key(segment: u32) -> String {
    format!("seg:{segment:08}")
}

fn is_lock_error(e: &sled::Error) -> bool {
    matches!(e, sled::Error::Io(i) if i.kind() == std::io::ErrorKind::WouldBlock)
        || e.to_string().contains("could not acquire lock")
}

fn io(e: impl std::fmt::Display) -> StoreError {
    StoreError::Io(e.to_string())
}

/// Log key: timestamp then a monotonic id, both big-endian, so the log
/// is ordered by time and can be scanned by date range.
fn log_key(ts: i64, id: u64) -> LogKey {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&(ts.max(0) as u64).to_be_bytes());
    k[8..].copy_from_slice(&id.to_be_bytes());
    k
}

fn bucket(ts: i64) -> u64 {
    (ts.max(0) / BUCKET_SECS) as u64
}

fn activity_key(bucket: u64, seq: u64) -> ActivityKey {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&bucket.to_be_bytes());
    k[8..].copy_from_slice(&seq.to_be_bytes());
    k
}

fn key_bucket(k: &[u8]) -> u64 {
    k.get(..8).and_then(|b| b.try_into().ok()).map_or(0, u64::from_be_bytes)
}

/// Only what the sweep and recovery read of a stored session.
#[derive(serde::Deserialize)]
struct Activity {
    last_active: i64,
}

fn last_active(value: &[u8]) -> Option<i64> {
    serde_json::from_slice::<Activity>(value::decode(value).json).ok().map(|a| a.last_active)
}

impl SledStore {
    /// Opens (or creates) the data directory. sled admits one process per
    /// directory: a second one gets a clear error.
    ///
    /// A lock held a moment longer than the store that took it (sled's
    /// background I/O threads let go of the file after the last handle is
    /// dropped, so reopening in the same process can race them) is waited
    /// out for up to `LOCK_WAIT`; a lock still held after that is another
    /// process.
    pub fn open(dir: &Path, opts: &SledOptions) -> Result<Arc<Self>, StoreError> {
        let config = sled::Config::new().path(dir).cache_capacity(opts.cache_bytes).flush_every_ms(Some(1000));
        let waited = Instant::now();
        let db = loop {
            match config.open() {
                Ok(db) => break db,
                Err(e) if is_lock_error(&e) && waited.elapsed() < LOCK_WAIT => {
                    std::thread::sleep(std::time::Duration::from_millis(25));
                }
                Err(e) if is_lock_error(&e) => {
                    return Err(StoreError::Locked(format!(
                        "data dir {} is in use by another process (is the server running?)",
                        dir.display()
                    )));
                }
                Err(e) => return Err(io(e)),
            }
        };
        let tree = |name: &str| db.open_tree(name).map_err(io);
        let trees = Trees {
            sessions: tree("sessions")?,
            log: tree("log")?,
            segments: Arc::new(Segments::open(dir)?),
            ended: tree("ended")?,
            tickets: tree("tickets")?,
            shown: tree("shown")?,
            activity: tree("activity")?,
            live: Default::default(),
            meta: tree("meta")?,
            maintenance: Mutex::new(()),
        };
        recover::migrate_index(&db, &trees)?;
        recover::build_activity(&db, &trees)?;
        trees.live.store(trees.activity.len(), Ordering::SeqCst);
        recover::segment_times(&trees)?;
        if trees.meta.insert(OPEN, &b"1"[..]).map_err(io)?.is_some() {
            let removed = recover::orphans(&trees)?;
            if removed > 0 {
                tracing::warn!(removed, "unclean shutdown: removed log records of turns that were never answered");
            }
        }
        db.flush().map_err(io)?;
        // The directory entries of the files sled created, made durable once.
        std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
        let data_file = std::fs::File::open(dir.join("db")).map_err(io)?;
        let (flusher, thread) =
            Flusher::start(db.clone(), trees.segments.clone(), data_file, opts.gather).map_err(io)?;
        Ok(Arc::new(Self {
            db,
            trees: Arc::new(trees),
            flusher,
            flusher_thread: Mutex::new(Some(thread)),
            dir: dir.to_path_buf(),
        }))
    }

    async fn durable(&self) -> Result<(), StoreError> {
        self.flusher.durable().await
    }

    /// Tests: the next log-body write stops half way and fails (a full disk).
    #[cfg(test)]
    pub(crate) fn fail_next_segment_write(&self) {
        self.trees.segments.fail_next_write.store(true, Ordering::SeqCst);
    }

    /// Runs sled work that walks many keys on a blocking thread.
    async fn blocking<T: Send + 'static>(
        &self,
        what: &str,
        work: impl FnOnce(&Trees) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let trees = self.trees.clone();
        tokio::task::spawn_blocking(move || work(&trees)).await.map_err(|e| StoreError::Io(format!("{what}: {e}")))?
    }

    /// A stored session (with or without its link).
    fn decode(bytes: &[u8]) -> Result<Session, StoreError> {
        serde_json::from_slice(value::decode(bytes).json).map_err(|e| StoreError::Corrupt(e.to_string()))
    }
}

impl Trees {
    /// Where a conversation's chain of log records starts (its newest
    /// record): the link of the live session's stored value `session`, else
    /// the link its last removed session left in `ended`.
    fn chain_start(&self, key: &[u8], session: Option<&[u8]>) -> Result<Option<LogKey>, StoreError> {
        if let Some(tail) = session.and_then(|v| value::decode(v).link) {
            return Ok(Some(tail));
        }
        Ok(self.ended.get(key).map_err(io)?.and_then(|v| <LogKey>::try_from(&v[..]).ok()))
    }

    /// Keeps a reply text once; returns the hash records refer to it by.
    fn keep_shown(&self, text: &str, ts: i64) -> Result<Option<ShownHash>, StoreError> {
        if text.is_empty() {
            return Ok(None);
        }
        let h = value::shown_hash(text);
        let fresh = match self.shown.get(h).map_err(io)? {
            Some(v) => v.get(..8).and_then(|b| b.try_into().ok()).map(i64::from_be_bytes).unwrap_or(0),
            None => i64::MIN,
        };
        if fresh < ts.saturating_sub(SHOWN_REFRESH_SECS) {
            let mut v = Vec::with_capacity(8 + text.len());
            v.extend_from_slice(&ts.to_be_bytes());
            v.extend_from_slice(text.as_bytes());
            self.shown.insert(h, v).map_err(io)?;
        }
        Ok(Some(h))
    }

    /// A `log` tree value's record as stored: from its segment, or inline
    /// (older data dirs). `None`: its body never reached the disk.
    fn body<'a>(&self, value: &'a [u8]) -> Result<Option<Cow<'a, [u8]>>, StoreError> {
        match value::as_pointer(value) {
            Some(p) => Ok(self.segments.read(p)?.map(Cow::Owned)),
            None => Ok(Some(Cow::Borrowed(value))),
        }
    }

    /// Appends a record's body to the current segment; the value for `log`.
    fn append(&self, ts: i64, body: &[u8]) -> Result<Vec<u8>, StoreError> {
        let mut closed = None;
        let at = self.segments.append(ts, body, |n, newest| closed = Some((n, newest)))?;
        if let Some((n, newest)) = closed {
            self.meta.insert(segment_key(n), &newest.to_be_bytes()[..]).map_err(io)?;
        }
        Ok(value::pointer(at))
    }

    /// A stored log record, with its reply text when `with_shown`; `None`
    /// when its body never reached the disk.
    fn entry(&self, key: &[u8], value: &[u8], with_shown: bool) -> Result<Option<LogEntry>, StoreError> {
        let id = key.get(8..16).and_then(|b| b.try_into().ok()).map(u64::from_be_bytes);
        let id = id.ok_or_else(|| StoreError::Corrupt("log key".into()))?;
        let Some(body) = self.body(value)? else { return Ok(None) };
        let parts = value::decode(&body);
        let mut record: LogRecord =
            serde_json::from_slice(parts.json).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if !with_shown {
            record.shown.clear();
        } else if let Some(h) = parts.shown {
            if let Some(v) = self.shown.get(h).map_err(io)? {
                record.shown = String::from_utf8_lossy(v.get(8..).unwrap_or_default()).into_owned();
            }
        }
        Ok(Some(LogEntry { id, record }))
    }

    /// The first `limit` records of a walk over the log tree, in its order.
    fn entries(
        &self,
        walk: impl Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>>,
        limit: usize,
    ) -> Result<Vec<LogEntry>, StoreError> {
        let mut out = Vec::new();
        for item in walk {
            let (k, v) = item.map_err(io)?;
            out.extend(self.entry(&k, &v, false)?);
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    /// Removes the sessions last active before `cutoff`, each by
    /// compare-and-swap (a session touched since it was read stays). Reads
    /// only the activity buckets up to the cutoff's, and the sessions in them.
    fn sweep(&self, cutoff: i64) -> Result<Swept, StoreError> {
        let _quiet = self.maintenance.lock().map_err(|_| StoreError::Closed)?;
        let end = (bucket(cutoff) + 1).to_be_bytes();
        let mut removed = 0;
        for item in self.activity.range(..&end[..]) {
            let (k, session) = item.map_err(io)?;
            let current = self.sessions.get(&session).map_err(io)?;
            // Another key of this session's (it moved on, or it is gone): stale.
            let Some(v) = current.filter(|v| value::decode(v).activity.is_some_and(|a| a[..] == k[..])) else {
                self.activity.remove(&k).map_err(io)?;
                continue;
            };
            // Unreadable: nothing can resume it.
            if last_active(&v).is_some_and(|t| t >= cutoff) {
                continue;
            }
            // Where the conversation ends, kept before the session goes (a
            // session that starts with this key meanwhile finds it). Should
            // the swap below fail, the live session's own link wins anyway.
            if let Some(tail) = value::decode(&v).link {
                self.ended.insert(&session, &tail[..]).map_err(io)?;
            }
            if self.sessions.compare_and_swap(&session, Some(&v), None as Option<&[u8]>).map_err(io)?.is_ok() {
                removed += 1;
                self.activity.remove(&k).map_err(io)?;
            }
        }
        let remaining = self.live.fetch_sub(removed, Ordering::SeqCst).saturating_sub(removed);
        Ok(Swept { removed, remaining })
    }

    /// Deletes records before `cutoff`, ended conversations whose newest
    /// record is gone, and reply texts nothing kept refers to.
    fn remove_before(&self, cutoff: i64) -> Result<usize, StoreError> {
        let _quiet = self.maintenance.lock().map_err(|_| StoreError::Closed)?;
        let mut removed = 0;
        let cut = log_key(cutoff, 0);
        for item in self.log.range(..cut) {
            let (k, _) = item.map_err(io)?;
            self.log.remove(k).map_err(io)?;
            removed += 1;
        }
        // Segments whose newest record is older than the cutoff hold only
        // records just removed: deleted whole, so the data dir shrinks.
        for n in self.segments.segments()? {
            let newest = self.meta.get(segment_key(n)).map_err(io)?;
            let newest = newest.and_then(|v| <[u8; 8]>::try_from(&v[..]).ok()).map(i64::from_be_bytes);
            if newest.is_some_and(|t| t < cutoff) {
                self.segments.remove(n)?;
                self.meta.remove(segment_key(n)).map_err(io)?;
            }
        }
        for item in self.ended.iter() {
            let (k, v) = item.map_err(io)?;
            if v[..] < cut[..] {
                let _ = self.ended.compare_and_swap(&k, Some(&v), None as Option<&[u8]>).map_err(io)?;
            }
        }
        // A record kept (ts >= cutoff) refreshed its text's last use to at
        // least ts - SHOWN_REFRESH_SECS.
        let stale = cutoff.saturating_sub(SHOWN_REFRESH_SECS);
        for item in self.shown.iter() {
            let (k, v) = item.map_err(io)?;
            let used = v.get(..8).and_then(|b| b.try_into().ok()).map(i64::from_be_bytes).unwrap_or(0);
            if used < stale {
                let _ = self.shown.compare_and_swap(&k, Some(&v), None as Option<&[u8]>).map_err(io)?;
            }
        }
        Ok(removed)
    }
}

impl Drop for SledStore {
    fn drop(&mut self) {
        self.flusher.stop();
        if let Some(t) = self.flusher_thread.get_mut().ok().and_then(Option::take) {
            let _ = t.join();
        }
        // Everything is on disk: say so for the next open.
        if let Some((n, newest)) = self.trees.segments.current() {
            let _ = self.trees.meta.insert(segment_key(n), &newest.to_be_bytes()[..]);
        }
        if self.trees.segments.sync().is_ok() && self.db.flush().is_ok() {
            let _ = self.trees.meta.remove(OPEN);
            let _ = self.db.flush();
        }
    }
}

fn decode_ticket(v: &[u8]) -> Result<Option<Ticket>, StoreError> {
    serde_json::from_slice(v).map(Some).map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[async_trait]
impl Store for SledStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<Session>, StoreError> {
        match self.trees.sessions.get(key.to_bytes()).map_err(io)? {
            Some(bytes) => Self::decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    async fn commit(&self, expected: Option<u64>, session: &Session, log: &LogRecord) -> Result<Commit, StoreError> {
        let t = &self.trees;
        let version = next_version(expected);
        let key = session.key.to_bytes();
        let log_key = log_key(log.ts, self.db.generate_id().map_err(io)?);
        let json = serde_json::to_vec(&Session { version, ..session.clone() }).map_err(io)?;
        // Compare-and-swap on the exact bytes whose version we checked: if
        // anyone wrote the session since, the swap fails and we report a conflict.
        let current = t.sessions.get(&key).map_err(io)?;
        let (current_version, old_activity) = match &current {
            Some(b) => (Some(Self::decode(b)?.version), value::decode(b).activity),
            None => (None, None),
        };
        if current_version != expected {
            return Ok(Commit::Conflict);
        }
        // This conversation's previous record: the one the session we swap
        // out links to, or for a new session the end of an earlier one.
        let prev = t.chain_start(&key, current.as_deref())?;
        let shown = t.keep_shown(&log.shown, log.ts)?;
        let record_json = serde_json::to_vec(&LogRecord { shown: String::new(), ..log.clone() }).map_err(io)?;
        let record = t.append(log.ts, &value::encode(prev.as_ref(), shown.as_ref(), &record_json))?;
        // The session's activity key: kept while it stays in its bucket.
        let new_bucket = bucket(session.last_active);
        let activity = match old_activity.filter(|a| key_bucket(a) == new_bucket) {
            Some(a) => a,
            None => activity_key(new_bucket, self.db.generate_id().map_err(io)?),
        };
        let value = value::encode_session(Some(&log_key), &activity, &json);
        // The record and the activity entry go in before the session that
        // links to them, so a crash cannot leave a link to nothing (which
        // would cut the transcript there) or a session the sweep cannot
        // find; all are written before the flush this commit waits for.
        if old_activity != Some(activity) {
            t.activity.insert(activity, key.as_slice()).map_err(io)?;
        }
        t.log.insert(&log_key[..], record.as_slice()).map_err(io)?;
        let swapped = t.sessions.compare_and_swap(&key, current.as_deref(), Some(value.as_slice())).map_err(io)?;
        if swapped.is_err() {
            // Another turn of this session won: this one did not happen (its
            // activity entry, if new, is only stale: the sweep checks).
            t.log.remove(&log_key[..]).map_err(io)?;
            return Ok(Commit::Conflict);
        }
        match old_activity {
            Some(old) if old != activity => drop(t.activity.remove(old).map_err(io)?),
            Some(_) => {}
            None => drop(t.live.fetch_add(1, Ordering::SeqCst)),
        }
        self.durable().await?;
        Ok(Commit::Done { version })
    }

    async fn remove_idle(&self, cutoff: i64) -> Result<Swept, StoreError> {
        let swept = self.blocking("idle sweep", move |t| t.sweep(cutoff)).await?;
        if swept.removed > 0 {
            self.durable().await?;
        }
        Ok(swept)
    }

    async fn log_range(
        &self,
        from: i64,
        to: i64,
        cursor: Option<(i64, u64)>,
        limit: usize,
    ) -> Result<Vec<LogEntry>, StoreError> {
        if to <= from {
            return Ok(Vec::new());
        }
        let start = match cursor {
            // Just after the cursor's key.
            Some((ts, id)) => log_key(ts.max(from), if ts < from { 0 } else { id.saturating_add(1) }),
            None => log_key(from, 0),
        };
        let end = log_key(to, 0);
        // Walks of the log run on the blocking pool, never on the request
        // workers the chat shares (review N6: console searches).
        self.blocking("log scan", move |t| t.entries(t.log.range(start..end), limit)).await
    }

    async fn log_range_rev(
        &self,
        from: i64,
        to: i64,
        cursor: Option<(i64, u64)>,
        limit: usize,
    ) -> Result<Vec<LogEntry>, StoreError> {
        if to <= from {
            return Ok(Vec::new());
        }
        let start = log_key(from, 0);
        let end = match cursor {
            Some((ts, id)) => log_key(ts.min(to), if ts >= to { 0 } else { id }),
            None => log_key(to, 0),
        };
        if end <= start {
            return Ok(Vec::new());
        }
        self.blocking("log scan", move |t| t.entries(t.log.range(start..end).rev(), limit)).await
    }

    async fn log_for_session(&self, key: &SessionKey, limit: usize) -> Result<Vec<LogEntry>, StoreError> {
        let key = key.to_bytes();
        self.blocking("conversation", move |t| {
            let mut out = Vec::new();
            let mut next = t.chain_start(&key, t.sessions.get(&key).map_err(io)?.as_deref())?;
            while let Some(k) = next.filter(|_| out.len() < limit) {
                // Purged by retention: the rest of the chain is older still.
                let Some(v) = t.log.get(k).map_err(io)? else { break };
                let Some(body) = t.body(&v)? else { break };
                next = value::decode(&body).link;
                out.extend(t.entry(&k, &v, true)?);
            }
            out.reverse();
            Ok(out)
        })
        .await
    }

    async fn remove_log_before(&self, cutoff: i64) -> Result<usize, StoreError> {
        let removed = self.blocking("retention", move |t| t.remove_before(cutoff)).await?;
        if removed > 0 {
            self.durable().await?;
        }
        Ok(removed)
    }

    async fn record_get(&self, space: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let tree = self.db.open_tree(format!("rec:{space}")).map_err(io)?;
        Ok(tree.get(key.as_bytes()).map_err(io)?.map(|v| v.to_vec()))
    }

    async fn record_cas(
        &self,
        space: &str,
        key: &str,
        old: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<bool, StoreError> {
        let tree = self.db.open_tree(format!("rec:{space}")).map_err(io)?;
        let done = tree.compare_and_swap(key.as_bytes(), old, new).map_err(io)?.is_ok();
        if done {
            self.durable().await?;
        }
        Ok(done)
    }

    async fn record_scan(&self, space: &str, prefix: &str, limit: usize) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let tree = self.db.open_tree(format!("rec:{space}")).map_err(io)?;
        let mut out = Vec::new();
        for item in tree.scan_prefix(prefix.as_bytes()).take(limit) {
            let (k, v) = item.map_err(io)?;
            out.push((String::from_utf8_lossy(&k).into_owned(), v.to_vec()));
        }
        Ok(out)
    }

    async fn session_count(&self) -> Result<usize, StoreError> {
        Ok(self.trees.sessions.len())
    }

    async fn put_ticket(&self, id: &str, ticket: &Ticket) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(ticket).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.trees.tickets.insert(id.as_bytes(), bytes).map_err(io)?;
        self.durable().await
    }

    async fn get_ticket(&self, id: &str, now: i64) -> Result<Option<Ticket>, StoreError> {
        match self.trees.tickets.get(id.as_bytes()).map_err(io)? {
            Some(v) => Ok(decode_ticket(&v)?.filter(|t| t.expires >= now)),
            None => Ok(None),
        }
    }

    async fn take_ticket(&self, id: &str, now: i64) -> Result<Option<Ticket>, StoreError> {
        // sled's remove returns the old value atomically: one taker wins.
        let Some(v) = self.trees.tickets.remove(id.as_bytes()).map_err(io)? else { return Ok(None) };
        self.durable().await?;
        Ok(decode_ticket(&v)?.filter(|t| t.expires >= now))
    }

    async fn remove_expired_tickets(&self, now: i64) -> Result<usize, StoreError> {
        let mut removed = 0;
        for item in self.trees.tickets.iter() {
            let (k, v) = item.map_err(io)?;
            let expired = decode_ticket(&v).map(|t| t.is_none_or(|t| t.expires < now)).unwrap_or(true);
            if expired && self.trees.tickets.compare_and_swap(&k, Some(&v), None as Option<&[u8]>).map_err(io)?.is_ok()
            {
                removed += 1;
            }
        }
        if removed > 0 {
            self.durable().await?;
        }
        Ok(removed)
    }

    async fn flush(&self) -> Result<(), StoreError> {
        self.durable().await
    }

    /// A read of the metadata (after a storage failure sled refuses it) and
    /// a 4 KB probe written and removed where sled and the log segments
    /// write (a full file system refuses it: the next turn would fail).
    fn backup(
        &self,
        out: &mut dyn std::io::Write,
        now: i64,
    ) -> Result<crate::store::backup::Summary, crate::store::backup::BackupError> {
        self.backup_to(out, now)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.trees.meta.get(OPEN).map(drop).map_err(io)?;
        let dirs = [self.dir.clone(), self.dir.join("segments")];
        tokio::task::spawn_blocking(move || {
            for d in dirs {
                let probe = d.join(".probe");
                let written = std::fs::write(&probe, [0u8; 4096]);
                let _ = std::fs::remove_file(&probe);
                written.map_err(|e| StoreError::Io(format!("{}: {e}", d.display())))?;
            }
            Ok(())
        })
        .await
        .map_err(io)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(ts: i64, input: &str) -> LogRecord {
        LogRecord {
            shown: format!("回复 {input}"),
            ts,
            channel: "web".into(),
            user: "u".into(),
            node_from: "main".into(),
            node: "main".into(),
            input_kind: "text".into(),
            input: input.into(),
            matched: true,
            ..LogRecord::default()
        }
    }

    /// The review's N1: a write to the segment stops half way (disk full),
    /// then space comes back. The failed turn is not acknowledged, and
    /// every turn acknowledged after it reads back, live and after reopening.
    #[tokio::test]
    async fn a_short_write_to_a_segment_loses_no_later_turn() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = SessionKey::parse("web", "n1").expect("key");
        let mut acked = Vec::new();
        {
            let store = SledStore::open(dir.path(), &SledOptions::default()).expect("open");
            let mut version = None;
            let mut ts = 100_000;
            let send = |store: &Arc<SledStore>, input: String, version: Option<u64>, ts: i64| {
                let store = store.clone();
                let key = key.clone();
                async move {
                    let session = Session { version: version.unwrap_or(0), ..Session::new(key, "main", ts) };
                    store.commit(version, &session, &turn(ts, &input)).await
                }
            };
            for i in 0..5 {
                ts += 1;
                let Ok(Commit::Done { version: v }) = send(&store, format!("before {i}"), version, ts).await else {
                    panic!("commit before");
                };
                version = Some(v);
                acked.push(format!("before {i}"));
            }
            store.trees.segments.fail_next_write.store(true, Ordering::SeqCst);
            ts += 1;
            assert!(send(&store, "lost".into(), version, ts).await.is_err(), "the failed turn is not acknowledged");
            for i in 0..30 {
                ts += 1;
                let Ok(Commit::Done { version: v }) = send(&store, format!("after {i}"), version, ts).await else {
                    panic!("commit after");
                };
                version = Some(v);
                acked.push(format!("after {i}"));
            }
            let live: Vec<_> =
                store.log_for_session(&key, 100).await.expect("log").into_iter().map(|e| e.record.input).collect();
            let mut want = acked.clone();
            want.reverse();
            assert_eq!(live.len(), want.len(), "live transcript: {live:?}");
        }
        let store = SledStore::open(dir.path(), &SledOptions::default()).expect("reopen");
        let mut read: Vec<_> =
            store.log_for_session(&key, 100).await.expect("log").into_iter().map(|e| e.record.input).collect();
        read.sort();
        acked.sort();
        assert_eq!(read, acked, "every acknowledged turn, after reopening");
    }
}
