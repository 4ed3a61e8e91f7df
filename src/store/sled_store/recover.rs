//! Work done when a data dir is opened: migrations of older layouts, and
//! clean-up after a crash.

use super::value::{self, LogKey};
use super::{Trees, activity_key, bucket, io, last_active, log_key, segment_key};
use crate::engine::session::SessionKey;
use crate::store::StoreError;
use std::collections::HashSet;

/// Log records this close to the newest one are checked after a crash: a
/// turn's record and its session write are made durable by the same group
/// flush, which takes milliseconds, so a record left without its session
/// write is among the last ones written.
const CRASH_WINDOW_SECS: i64 = 30;
/// Meta key set once the activity index covers every session.
const ACTIVITY_BUILT: &[u8] = b"activity_v2";

/// Data dirs written before records were linked have a per-message index
/// tree (session key ‖ 0xff ‖ log key). Link its records, hand each
/// conversation's newest record to its session (or `ended`), drop the tree.
/// Re-running after a crash half-way is harmless: linking is idempotent.
pub fn migrate_index(db: &sled::Db, t: &Trees) -> Result<(), StoreError> {
    const LEGACY: &[u8] = b"log_by_session";
    if !db.tree_names().iter().any(|n| n.as_ref() == LEGACY) {
        return Ok(());
    }
    let index = db.open_tree(LEGACY).map_err(io)?;
    let end = |session: &[u8], tail: &LogKey| -> Result<(), StoreError> {
        match t.sessions.get(session).map_err(io)? {
            Some(v) => t
                .sessions
                .insert(session, value::encode(Some(tail), None, value::decode(&v).json))
                .map(drop)
                .map_err(io),
            None => t.ended.insert(session, &tail[..]).map(drop).map_err(io),
        }
    };
    let mut last: Option<(Vec<u8>, LogKey)> = None;
    for item in index.iter() {
        let (k, _) = item.map_err(io)?;
        let Some(split) = k.len().checked_sub(17) else { continue };
        let (session, key) = (&k[..split], &k[split + 1..]);
        let Ok(key) = <LogKey>::try_from(key) else { continue };
        // Purged by retention: the index entry outlived its record.
        let Some(v) = t.log.get(key).map_err(io)? else { continue };
        let prev = match last.take() {
            Some((s, p)) if s == session => Some(p),
            Some((s, p)) => {
                end(&s, &p)?;
                None
            }
            None => None,
        };
        t.log.insert(key, value::encode(prev.as_ref(), None, value::decode(&v).json)).map_err(io)?;
        last = Some((session.to_vec(), key));
    }
    if let Some((s, p)) = last {
        end(&s, &p)?;
    }
    db.drop_tree(LEGACY).map_err(io)?;
    db.flush().map_err(io)?;
    Ok(())
}

/// Data dirs written before the activity index: one entry per session,
/// and the session's value rewritten with its key, once.
pub fn build_activity(db: &sled::Db, t: &Trees) -> Result<(), StoreError> {
    if t.meta.contains_key(ACTIVITY_BUILT).map_err(io)? {
        return Ok(());
    }
    for item in t.sessions.iter() {
        let (k, v) = item.map_err(io)?;
        let parts = value::decode(&v);
        if parts.activity.is_some() {
            continue;
        }
        let key = activity_key(last_active(&v).map_or(0, bucket), db.generate_id().map_err(io)?);
        t.activity.insert(key, &k[..]).map_err(io)?;
        t.sessions.insert(&k, value::encode_session(parts.link.as_ref(), &key, parts.json)).map_err(io)?;
    }
    t.meta.insert(ACTIVITY_BUILT, &b"1"[..]).map_err(io)?;
    Ok(())
}

/// Every segment on disk is closed when a store opens (appends go to a new
/// one): the newest record time of each, for retention, kept in `meta`. A
/// segment the last run did not close (a crash) is read once to learn it.
pub fn segment_times(t: &Trees) -> Result<(), StoreError> {
    #[derive(serde::Deserialize)]
    struct When {
        ts: i64,
    }
    let on_disk = t.segments.segments()?;
    // A time kept for a segment that is gone (retention deleted the file,
    // the crash came before the key's removal was durable) must not pass to
    // a new segment given the same number.
    for item in t.meta.scan_prefix(b"seg:") {
        let (k, _) = item.map_err(io)?;
        let n = std::str::from_utf8(&k).ok().and_then(|k| k.strip_prefix("seg:")).and_then(|n| n.parse().ok());
        if n.is_some_and(|n: u32| !on_disk.contains(&n)) {
            t.meta.remove(&k).map_err(io)?;
        }
    }
    for n in on_disk {
        if t.meta.contains_key(segment_key(n)).map_err(io)? {
            continue;
        }
        let newest = t
            .segments
            .bodies(n)?
            .iter()
            .filter_map(|b| serde_json::from_slice::<When>(value::decode(b).json).ok())
            .map(|w| w.ts)
            .max()
            .unwrap_or(0);
        t.meta.insert(segment_key(n), &newest.to_be_bytes()[..]).map_err(io)?;
    }
    Ok(())
}

/// After an unclean shutdown: removes the log records no conversation links
/// to — written for a turn whose session write did not reach the disk, so
/// nobody was answered for it — among the last `CRASH_WINDOW_SECS` of the
/// log. Every other record there is either its conversation's newest (the
/// session, or `ended`, links to it) or linked from a later one, which is in
/// the window too. Returns how many went.
pub fn orphans(t: &Trees) -> Result<usize, StoreError> {
    #[derive(serde::Deserialize)]
    struct Who {
        channel: String,
        user: String,
    }
    let Some((newest, _)) = t.log.last().map_err(io)? else { return Ok(0) };
    let newest_ts = newest.get(..8).and_then(|b| b.try_into().ok()).map(u64::from_be_bytes).unwrap_or(0);
    let start = log_key(i64::try_from(newest_ts).unwrap_or(i64::MAX).saturating_sub(CRASH_WINDOW_SECS), 0);
    let mut linked: HashSet<LogKey> = HashSet::new();
    let mut window: Vec<LogKey> = Vec::new();
    let mut conversations: HashSet<Vec<u8>> = HashSet::new();
    for item in t.log.range(start..) {
        let (k, v) = item.map_err(io)?;
        let Ok(key) = <LogKey>::try_from(&k[..]) else { continue };
        let Some(body) = t.body(&v)? else {
            // Its body never reached the disk: a turn nobody was answered for.
            window.push(key);
            continue;
        };
        let parts = value::decode(&body);
        linked.extend(parts.link);
        let Ok(who) = serde_json::from_slice::<Who>(parts.json) else { continue };
        let Ok(session) = SessionKey::parse(&who.channel, &who.user) else { continue };
        conversations.insert(session.to_bytes());
        window.push(key);
    }
    for session in &conversations {
        let current = t.sessions.get(session).map_err(io)?;
        linked.extend(t.chain_start(session, current.as_deref())?);
    }
    let mut removed = 0;
    for key in window.iter().filter(|k| !linked.contains(*k)) {
        t.log.remove(key).map_err(io)?;
        removed += 1;
    }
    Ok(removed)
}
