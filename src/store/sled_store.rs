//! sled implementation of `Store`, with group commit.
//!
//! Commit: the log record is inserted, then the session is written with
//! `compare_and_swap` on the exact bytes whose version was checked (a
//! concurrent writer makes the swap fail: conflict, and the record is
//! removed again). sled recovers a prefix of the writes it accepted, so after
//! a crash a session never links to a log record that was lost (see
//! Transcripts below).
//!
//! Flush policy: the commit then takes a ticket and waits until a flush that
//! started after its writes has finished. One flusher thread runs
//! `Db::flush()` in a loop while tickets are waiting, so all commits that
//! arrive during one flush share the next one (group commit); before each
//! flush it waits `gather` (default 1 ms, `[store] group_commit_us`) so a
//! batch grows, which costs each reply at most that much latency and saves
//! one fsync per few messages. A reply
//! therefore leaves only after its session and log record are on disk: a
//! crash (even `kill -9`) loses no acknowledged message. It can lose a
//! message whose commit had not returned, or keep its log record without the
//! session write (a turn logged that nobody was answered for); that person
//! got no reply and sends again. (A sled transaction over both trees
//! was measured at a third of the throughput, for no gain a client can see.)
//!
//! Transcripts: each log record carries the key of the record before it in
//! the same conversation, and the session carries the key of its newest
//! record (both in the value's prefix, see `linked`), so one conversation is
//! a walk back from the session — no per-message index. The pointer is
//! written by the same compare-and-swap that orders the session's turns, so
//! it needs no lock and holds on a shared engine too. When the idle sweep
//! removes a session, its newest record's key moves to the `ended` tree, and
//! a later session with the same key continues the chain from there. (A
//! per-message index tree, session key ‖ log key, cost 15–20 MB RSS and
//! 400 MB of disk per 320,000 messages in the load benchmark: its inserts
//! land all over the tree.)

use super::{Commit, LogEntry, Store, StoreError, Swept, Ticket, next_version};
use crate::engine::reply::LogRecord;
use crate::engine::session::{Session, SessionKey};
use async_trait::async_trait;
use sled::Tree;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;
use tokio::sync::watch;

pub struct SledStore {
    db: sled::Db,
    sessions: Tree,
    log: Tree,
    /// Session key bytes → key of the newest log record of its removed
    /// (idle) session, where its conversation's chain starts.
    ended: Tree,
    tickets: Tree,
    flusher: Arc<Flusher>,
    /// Joined on drop, so the data dir is unlocked when the store is gone.
    flusher_thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// Shared between committers and the flusher thread.
struct Flusher {
    /// Highest ticket handed out (each is a write waiting to be durable).
    requested: AtomicU64,
    wake: (Mutex<()>, Condvar),
    /// Highest ticket known durable.
    done: watch::Sender<u64>,
    failed: AtomicBool,
    stop: AtomicBool,
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
        Self { cache_bytes: 16 * 1024 * 1024, gather: std::time::Duration::from_micros(1000) }
    }
}

/// How long `open` waits for a data dir lock to be released.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

fn is_lock_error(e: &sled::Error) -> bool {
    matches!(e, sled::Error::Io(i) if i.kind() == std::io::ErrorKind::WouldBlock)
        || e.to_string().contains("could not acquire lock")
}

fn io(e: impl std::fmt::Display) -> StoreError {
    StoreError::Io(e.to_string())
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
        let sessions = db.open_tree("sessions").map_err(io)?;
        let log = db.open_tree("log").map_err(io)?;
        let tickets = db.open_tree("tickets").map_err(io)?;
        let ended = db.open_tree("ended").map_err(io)?;
        migrate_index(&db, &sessions, &log, &ended)?;
        let (done, _) = watch::channel(0);
        let flusher = Arc::new(Flusher {
            requested: AtomicU64::new(0),
            wake: (Mutex::new(()), Condvar::new()),
            done,
            failed: AtomicBool::new(false),
            stop: AtomicBool::new(false),
        });
        // sled's flush ends in sync_file_range, which survives a killed
        // process but flushes neither the device's cache nor the file's
        // metadata (sled issue #1452): each group flush is followed by one
        // fdatasync of the data file. The directory entries of the files
        // sled created are made durable once, here.
        let data_file = std::fs::File::open(dir.join("db")).map_err(io)?;
        std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
        let (f, d, gather) = (flusher.clone(), db.clone(), opts.gather);
        let thread = std::thread::Builder::new()
            .name("xg-flusher".into())
            .spawn(move || flush_loop(&f, &d, &data_file, gather))
            .map_err(io)?;
        Ok(Arc::new(Self { db, sessions, log, ended, tickets, flusher, flusher_thread: Mutex::new(Some(thread)) }))
    }

    /// Waits until everything written before this call is durable.
    async fn durable(&self) -> Result<(), StoreError> {
        let ticket = self.flusher.requested.fetch_add(1, Ordering::SeqCst) + 1;
        {
            let (lock, cvar) = &self.flusher.wake;
            let _guard = lock.lock().map_err(|_| StoreError::Closed)?;
            cvar.notify_one();
        }
        let mut rx = self.flusher.done.subscribe();
        rx.wait_for(|d| *d >= ticket).await.map_err(|_| StoreError::Closed)?;
        if self.flusher.failed.load(Ordering::SeqCst) {
            return Err(StoreError::Io("flush to disk failed".into()));
        }
        Ok(())
    }

    /// A stored session (with or without its link).
    fn decode(bytes: &[u8]) -> Result<Session, StoreError> {
        serde_json::from_slice(unlink(bytes).1).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    /// Where a conversation's chain of log records starts (its newest
    /// record): the link of the live session's stored value `session`, else
    /// the link its last removed session left in `ended`.
    fn chain_start(&self, key: &[u8], session: Option<&[u8]>) -> Result<Option<[u8; 16]>, StoreError> {
        if let Some(tail) = session.and_then(|v| unlink(v).0) {
            return Ok(Some(tail));
        }
        Ok(self.ended.get(key).map_err(io)?.and_then(|v| <[u8; 16]>::try_from(&v[..]).ok()))
    }

    /// Log key: timestamp then a monotonic id, both big-endian, so the log
    /// is ordered by time and can be scanned by date range.
    fn log_key(ts: i64, id: u64) -> [u8; 16] {
        let mut k = [0u8; 16];
        k[..8].copy_from_slice(&(ts.max(0) as u64).to_be_bytes());
        k[8..].copy_from_slice(&id.to_be_bytes());
        k
    }
}

/// First byte of a linked value: `LINK`, a 16-byte log key, then the JSON.
/// (JSON starts with `{`, so values written before links existed, and
/// values with nothing to link, are plain JSON.)
const LINK: u8 = 0;

/// A session's value linked to its newest log record, or a log record's
/// value linked to the previous record of its conversation.
fn linked(link: Option<&[u8; 16]>, json: &[u8]) -> Vec<u8> {
    let Some(link) = link else { return json.to_vec() };
    let mut v = Vec::with_capacity(1 + link.len() + json.len());
    v.push(LINK);
    v.extend_from_slice(link);
    v.extend_from_slice(json);
    v
}

/// The link (if any) and the JSON of a stored value.
fn unlink(value: &[u8]) -> (Option<[u8; 16]>, &[u8]) {
    match value.split_first() {
        Some((&LINK, rest)) if rest.len() >= 16 => (rest[..16].try_into().ok(), &rest[16..]),
        _ => (None, value),
    }
}

/// Data dirs written before records were linked have a per-message index
/// tree (session key ‖ 0xff ‖ log key). Link its records, hand each
/// conversation's newest record to its session (or `ended`), drop the tree.
/// Re-running after a crash half-way is harmless: linking is idempotent.
fn migrate_index(db: &sled::Db, sessions: &Tree, log: &Tree, ended: &Tree) -> Result<(), StoreError> {
    const LEGACY: &[u8] = b"log_by_session";
    if !db.tree_names().iter().any(|n| n.as_ref() == LEGACY) {
        return Ok(());
    }
    let index = db.open_tree(LEGACY).map_err(io)?;
    let end = |session: &[u8], tail: &[u8; 16]| -> Result<(), StoreError> {
        match sessions.get(session).map_err(io)? {
            Some(v) => sessions.insert(session, linked(Some(tail), unlink(&v).1)).map(drop).map_err(io),
            None => ended.insert(session, &tail[..]).map(drop).map_err(io),
        }
    };
    let mut last: Option<(Vec<u8>, [u8; 16])> = None;
    for item in index.iter() {
        let (k, _) = item.map_err(io)?;
        let Some(split) = k.len().checked_sub(17) else { continue };
        let (session, log_key) = (&k[..split], &k[split + 1..]);
        let Ok(log_key) = <[u8; 16]>::try_from(log_key) else { continue };
        // Purged by retention: the index entry outlived its record.
        let Some(v) = log.get(log_key).map_err(io)? else { continue };
        let prev = match last.take() {
            Some((s, p)) if s == session => Some(p),
            Some((s, p)) => {
                end(&s, &p)?;
                None
            }
            None => None,
        };
        log.insert(log_key, linked(prev.as_ref(), unlink(&v).1)).map_err(io)?;
        last = Some((session.to_vec(), log_key));
    }
    if let Some((s, p)) = last {
        end(&s, &p)?;
    }
    db.drop_tree(LEGACY).map_err(io)?;
    db.flush().map_err(io)?;
    Ok(())
}

/// Removes the sessions last active before `cutoff`, each by compare-and-swap
/// (a session touched since it was read stays), and counts the rest. Only
/// `last_active` is read from each session.
fn sweep(sessions: &Tree, ended: &Tree, cutoff: i64) -> Result<Swept, StoreError> {
    #[derive(serde::Deserialize)]
    struct Activity {
        last_active: i64,
    }
    let (mut removed, mut remaining) = (0, 0);
    for item in sessions.iter() {
        let (k, v) = item.map_err(io)?;
        let (tail, json) = unlink(&v);
        let idle = match serde_json::from_slice::<Activity>(json) {
            Ok(a) => a.last_active < cutoff,
            Err(_) => true, // unreadable: nothing can resume it
        };
        if !idle {
            remaining += 1;
            continue;
        }
        // Where the conversation ends, kept before the session goes (a
        // session that starts with this key meanwhile finds it). Should
        // the swap below fail, the live session's own link wins anyway.
        if let Some(tail) = tail {
            ended.insert(&k, &tail[..]).map_err(io)?;
        }
        if sessions.compare_and_swap(&k, Some(&v), None as Option<&[u8]>).map_err(io)?.is_ok() {
            removed += 1;
        } else {
            remaining += 1;
        }
    }
    Ok(Swept { removed, remaining })
}

/// The first `limit` records of a walk over the log tree, in its order.
fn entries(
    walk: impl Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>>,
    limit: usize,
) -> Result<Vec<LogEntry>, StoreError> {
    walk.take(limit).map(|item| item.map_err(io).and_then(|(k, v)| log_entry(&k, &v))).collect()
}

/// A stored log key (timestamp ‖ id) and record as a `LogEntry`.
fn log_entry(key: &[u8], value: &[u8]) -> Result<LogEntry, StoreError> {
    let id = key.get(8..16).and_then(|b| b.try_into().ok()).map(u64::from_be_bytes);
    let id = id.ok_or_else(|| StoreError::Corrupt("log key".into()))?;
    let record = serde_json::from_slice(unlink(value).1).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(LogEntry { id, record })
}

fn decode_ticket(v: &[u8]) -> Result<Option<Ticket>, StoreError> {
    serde_json::from_slice(v).map(Some).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl Drop for SledStore {
    fn drop(&mut self) {
        self.flusher.stop.store(true, Ordering::SeqCst);
        {
            // Notify under the lock: the flusher re-checks `stop` under it.
            let _guard = self.flusher.wake.0.lock();
            self.flusher.wake.1.notify_all();
        }
        if let Some(t) = self.flusher_thread.get_mut().ok().and_then(Option::take) {
            let _ = t.join();
        }
        let _ = self.db.flush();
    }
}

fn flush_loop(f: &Flusher, db: &sled::Db, data_file: &std::fs::File, gather: std::time::Duration) {
    loop {
        // Let more commits join this flush: fewer fsyncs, more CPU for requests.
        if !gather.is_zero() && f.requested.load(Ordering::SeqCst) > *f.done.borrow() {
            std::thread::sleep(gather);
        }
        let target = f.requested.load(Ordering::SeqCst);
        if target > *f.done.borrow() {
            let started = Instant::now();
            let batch = target - *f.done.borrow();
            if let Err(e) = db.flush().map_err(io).and_then(|_| data_file.sync_data().map_err(io)) {
                tracing::error!(error = %e, "flush to disk failed");
                f.failed.store(true, Ordering::SeqCst);
            }
            metrics::histogram!("xg_store_flush_seconds").record(started.elapsed().as_secs_f64());
            metrics::histogram!("xg_store_flush_batch").record(batch as f64);
            f.done.send_replace(target);
            continue;
        }
        if f.stop.load(Ordering::SeqCst) {
            return;
        }
        let (lock, cvar) = &f.wake;
        let Ok(guard) = lock.lock() else { return };
        // Re-check under the lock so a ticket taken just now is not missed.
        if f.requested.load(Ordering::SeqCst) == *f.done.borrow() && !f.stop.load(Ordering::SeqCst) {
            let _ = cvar.wait_timeout(guard, std::time::Duration::from_millis(200));
        }
    }
}

#[async_trait]
impl Store for SledStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<Session>, StoreError> {
        match self.sessions.get(key.to_bytes()).map_err(io)? {
            Some(bytes) => Self::decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    async fn commit(&self, expected: Option<u64>, session: &Session, log: &LogRecord) -> Result<Commit, StoreError> {
        let version = next_version(expected);
        let key = session.key.to_bytes();
        let log_key = Self::log_key(log.ts, self.db.generate_id().map_err(io)?);
        let value = linked(Some(&log_key), &serde_json::to_vec(&Session { version, ..session.clone() }).map_err(io)?);
        // Compare-and-swap on the exact bytes whose version we checked: if
        // anyone wrote the session since, the swap fails and we report a conflict.
        let current = self.sessions.get(&key).map_err(io)?;
        let current_version = match &current {
            Some(b) => Some(Self::decode(b)?.version),
            None => None,
        };
        if current_version != expected {
            return Ok(Commit::Conflict);
        }
        // This conversation's previous record: the one the session we swap
        // out links to, or for a new session the end of an earlier one.
        let prev = self.chain_start(&key, current.as_deref())?;
        let record = linked(prev.as_ref(), &serde_json::to_vec(log).map_err(io)?);
        // The record goes in before the session that links to it, so a crash
        // cannot leave a link to nothing (which would cut the transcript
        // there); both are written before the flush this commit waits for,
        // so an acknowledged message has both.
        self.log.insert(&log_key[..], record.as_slice()).map_err(io)?;
        let swapped = self.sessions.compare_and_swap(&key, current.as_deref(), Some(value.as_slice())).map_err(io)?;
        if swapped.is_err() {
            // Another turn of this session won: this one did not happen.
            self.log.remove(&log_key[..]).map_err(io)?;
            return Ok(Commit::Conflict);
        }
        self.durable().await?;
        Ok(Commit::Done { version })
    }

    async fn remove_idle(&self, cutoff: i64) -> Result<Swept, StoreError> {
        // A scan of every session: on a blocking thread, not a request worker.
        let (sessions, ended) = (self.sessions.clone(), self.ended.clone());
        let swept = tokio::task::spawn_blocking(move || sweep(&sessions, &ended, cutoff))
            .await
            .map_err(|e| StoreError::Io(format!("idle sweep: {e}")))??;
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
            Some((ts, id)) => Self::log_key(ts.max(from), if ts < from { 0 } else { id.saturating_add(1) }),
            None => Self::log_key(from, 0),
        };
        let end = Self::log_key(to, 0);
        entries(self.log.range(start..end), limit)
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
        let start = Self::log_key(from, 0);
        let end = match cursor {
            Some((ts, id)) => Self::log_key(ts.min(to), if ts >= to { 0 } else { id }),
            None => Self::log_key(to, 0),
        };
        if end <= start {
            return Ok(Vec::new());
        }
        entries(self.log.range(start..end).rev(), limit)
    }

    async fn log_for_session(&self, key: &SessionKey, limit: usize) -> Result<Vec<LogEntry>, StoreError> {
        let mut out = Vec::new();
        let key = key.to_bytes();
        let mut next = self.chain_start(&key, self.sessions.get(&key).map_err(io)?.as_deref())?;
        while let Some(log_key) = next.filter(|_| out.len() < limit) {
            // Purged by retention: the rest of the chain is older still.
            let Some(v) = self.log.get(log_key).map_err(io)? else { break };
            next = unlink(&v).0;
            out.push(log_entry(&log_key, &v)?);
        }
        out.reverse();
        Ok(out)
    }

    async fn remove_log_before(&self, cutoff: i64) -> Result<usize, StoreError> {
        let mut removed = 0;
        let cut = Self::log_key(cutoff, 0);
        for item in self.log.range(..cut) {
            let (k, _) = item.map_err(io)?;
            self.log.remove(k).map_err(io)?;
            removed += 1;
        }
        // Ended conversations whose newest record is gone are gone entirely.
        for item in self.ended.iter() {
            let (k, v) = item.map_err(io)?;
            if v[..] < cut[..] {
                let _ = self.ended.compare_and_swap(&k, Some(&v), None as Option<&[u8]>).map_err(io)?;
            }
        }
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
        Ok(self.sessions.len())
    }

    async fn put_ticket(&self, id: &str, ticket: &Ticket) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(ticket).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.tickets.insert(id.as_bytes(), bytes).map_err(io)?;
        self.durable().await
    }

    async fn get_ticket(&self, id: &str, now: i64) -> Result<Option<Ticket>, StoreError> {
        match self.tickets.get(id.as_bytes()).map_err(io)? {
            Some(v) => Ok(decode_ticket(&v)?.filter(|t| t.expires >= now)),
            None => Ok(None),
        }
    }

    async fn take_ticket(&self, id: &str, now: i64) -> Result<Option<Ticket>, StoreError> {
        // sled's remove returns the old value atomically: one taker wins.
        let Some(v) = self.tickets.remove(id.as_bytes()).map_err(io)? else { return Ok(None) };
        self.durable().await?;
        Ok(decode_ticket(&v)?.filter(|t| t.expires >= now))
    }

    async fn remove_expired_tickets(&self, now: i64) -> Result<usize, StoreError> {
        let mut removed = 0;
        for item in self.tickets.iter() {
            let (k, v) = item.map_err(io)?;
            let expired = decode_ticket(&v).map(|t| t.is_none_or(|t| t.expires < now)).unwrap_or(true);
            if expired && self.tickets.compare_and_swap(&k, Some(&v), None as Option<&[u8]>).map_err(io)?.is_ok() {
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
}
