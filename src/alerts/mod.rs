//! Alerts: every danger reply or check-in brings a person in. A turn that
//! speaks of danger opens an alert for its conversation (later turns join
//! it while it is open); it stays on the console's dashboard and 研判预警
//! until an editor or admin marks it handled with a note. Alerts live in
//! the store (record space `alerts`), so every instance sees them, they
//! survive restarts and do not expire with the seven-day danger list.
//!
//! - `open:{conversation}` names the open alert of a conversation;
//! - `a:{opened:012}:{conversation}` is the alert itself.
//!
//! Both are written with compare-and-swap: two instances that open an alert
//! for one conversation at once end with one (the loser joins the winner's).
//! The turn itself is committed first; should the process stop before the
//! alert is written, [`reconcile`] finds the turn in the log and writes it.
//! A new alert is also the outbox entry of its duty message ([`outbox`],
//! sent by [`webhook`] when `[alerts]` names a robot).

pub mod outbox;
pub mod run;
pub mod webhook;

use crate::engine::reply::LogRecord;
use crate::store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const SPACE: &str = "alerts";
/// Turns an alert keeps (the first ones and the newest ones).
const MAX_TURNS: usize = 50;
/// The record that says how far the log has been read for alerts.
const MARK: &str = "mark";
/// Log records read per page by `reconcile`.
const PAGE: usize = 2_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Its record key.
    pub id: String,
    pub channel: String,
    pub user: String,
    pub opened: i64,
    pub last: i64,
    /// Kinds seen, first first (self_harm, violence_now, harm_others,
    /// other_at_risk, check).
    pub kinds: Vec<String>,
    /// The turns that spoke of danger, in time order.
    pub turns: Vec<Turn>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handled: Option<Handled>,
    /// The duty message about it (`outbox`): sent, or when to try again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<outbox::Notice>,
}

/// A turn of an alert: its time, and a hash that tells turns of the same
/// second apart (so a turn written twice, by a second writer or by
/// `reconcile`, is known).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Turn {
    pub ts: i64,
    pub h: u32,
}

impl Turn {
    pub fn of(r: &LogRecord) -> Self {
        let mut h: u32 = 0x811c_9dc5;
        for b in r.node_from.bytes().chain([0]).chain(r.node.bytes()).chain([0]).chain(r.input.bytes()) {
            h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
        }
        Self { ts: r.ts, h }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Handled {
    pub by: String,
    pub at: i64,
    pub note: String,
}

/// What [`record_turn`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Recorded {
    Opened(Alert),
    Joined(Alert),
    /// The turn was in the alert already (a second writer, or `reconcile`).
    Known,
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// A conversation's id in keys: a hash of channel and user (user ids may
/// hold any character).
pub fn conversation(channel: &str, user: &str) -> String {
    let h = Sha256::digest(format!("{channel}\0{user}").as_bytes());
    h.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

async fn get(store: &dyn Store, key: &str) -> Result<Option<(Vec<u8>, Alert)>, StoreError> {
    match store.record_get(SPACE, key).await? {
        Some(raw) => {
            let a = serde_json::from_slice(&raw).map_err(corrupt)?;
            Ok(Some((raw, a)))
        }
        None => Ok(None),
    }
}

/// Opens an alert for the record's conversation or joins the open one.
/// Records without danger are ignored (`Known`).
pub async fn record_turn(store: &dyn Store, r: &LogRecord) -> Result<Recorded, StoreError> {
    let Some(kind) = r.danger.as_deref() else { return Ok(Recorded::Known) };
    let conv = conversation(&r.channel, &r.user);
    let pointer = format!("open:{conv}");
    for _ in 0..16 {
        if let Some(id) = store.record_get(SPACE, &pointer).await? {
            let id = String::from_utf8(id).map_err(corrupt)?;
            let Some((raw, mut a)) = get(store, &id).await? else {
                // A pointer left by an interrupted open: clear it and retry.
                store.record_cas(SPACE, &pointer, Some(id.as_bytes()), None).await?;
                continue;
            };
            let turn = Turn::of(r);
            if a.turns.contains(&turn) {
                return Ok(Recorded::Known);
            }
            a.last = a.last.max(r.ts);
            if !a.kinds.iter().any(|k| k == kind) {
                a.kinds.push(kind.to_string());
            }
            a.turns.push(turn);
            a.turns.sort_unstable();
            if a.turns.len() > MAX_TURNS {
                a.turns.remove(MAX_TURNS / 2);
            }
            let bytes = serde_json::to_vec(&a).map_err(corrupt)?;
            if store.record_cas(SPACE, &id, Some(&raw), Some(&bytes)).await? {
                return Ok(Recorded::Joined(a));
            }
            continue;
        }
        let id = format!("a:{:012}:{conv}", r.ts.max(0));
        let a = Alert {
            id: id.clone(),
            channel: r.channel.clone(),
            user: r.user.clone(),
            opened: r.ts,
            last: r.ts,
            kinds: vec![kind.to_string()],
            turns: vec![Turn::of(r)],
            handled: None,
            notice: None,
        };
        let bytes = serde_json::to_vec(&a).map_err(corrupt)?;
        if !store.record_cas(SPACE, &id, None, Some(&bytes)).await? {
            // Written already (this very turn, by another writer): join it.
            store.record_cas(SPACE, &pointer, None, Some(id.as_bytes())).await?;
            continue;
        }
        if store.record_cas(SPACE, &pointer, None, Some(id.as_bytes())).await? {
            return Ok(Recorded::Opened(a));
        }
        // The pointer already names this very record (another writer of the
        // same second found it and pointed to it): it is open, ours.
        if store.record_get(SPACE, &pointer).await?.as_deref() == Some(id.as_bytes()) {
            return Ok(Recorded::Opened(a));
        }
        // Another writer opened one first: ours goes, the turn joins theirs.
        store.record_cas(SPACE, &id, Some(&bytes), None).await?;
    }
    Err(StoreError::Io("alert: too many concurrent writers".into()))
}

/// The open alerts, newest first.
pub async fn open(store: &dyn Store) -> Result<Vec<Alert>, StoreError> {
    let mut out = Vec::new();
    for (_, id) in store.record_scan(SPACE, "open:", usize::MAX).await? {
        let id = String::from_utf8(id).map_err(corrupt)?;
        if let Some((_, a)) = get(store, &id).await? {
            out.push(a);
        }
    }
    out.sort_by_key(|a| std::cmp::Reverse(a.last));
    Ok(out)
}

/// The alerts handled, newest first, at most `limit`.
pub async fn handled(store: &dyn Store, limit: usize) -> Result<Vec<Alert>, StoreError> {
    let rows = store.record_scan(SPACE, "a:", usize::MAX).await?;
    let mut out: Vec<Alert> = rows
        .iter()
        .filter_map(|(_, v)| serde_json::from_slice::<Alert>(v).ok())
        .filter(|a| a.handled.is_some())
        .collect();
    out.sort_by(|a, b| b.handled.as_ref().map(|h| h.at).cmp(&a.handled.as_ref().map(|h| h.at)));
    out.truncate(limit);
    Ok(out)
}

/// Why an alert could not be marked handled.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no such alert")]
    Missing,
    #[error("handled already")]
    Handled,
    #[error("a note is needed: what was done")]
    NoNote,
}

/// Marks the alert `id` handled by `by` with `note`; a later danger turn of
/// the conversation opens a new alert.
pub async fn handle(store: &dyn Store, id: &str, by: &str, note: &str, now: i64) -> Result<Alert, HandleError> {
    let note: String = note.trim().chars().take(500).collect();
    if note.is_empty() {
        return Err(HandleError::NoNote);
    }
    loop {
        let Some((raw, mut a)) = get(store, id).await? else { return Err(HandleError::Missing) };
        if a.handled.is_some() {
            return Err(HandleError::Handled);
        }
        a.handled = Some(Handled { by: by.to_string(), at: now, note: note.clone() });
        let bytes = serde_json::to_vec(&a).map_err(corrupt)?;
        if store.record_cas(SPACE, id, Some(&raw), Some(&bytes)).await? {
            let pointer = format!("open:{}", conversation(&a.channel, &a.user));
            store.record_cas(SPACE, &pointer, Some(id.as_bytes()), None).await?;
            return Ok(a);
        }
    }
}

/// Reads the log since the last mark for danger turns that have no alert
/// (the process stopped between the turn and its alert) and writes them;
/// returns the alerts opened. Turns from before an alert of their
/// conversation was handled are not opened again.
pub async fn reconcile(store: &dyn Store, now: i64) -> Result<Vec<Alert>, StoreError> {
    let mark = store.record_get(SPACE, MARK).await?;
    // The first time, the last week (the danger list's window): older turns
    // of a log kept from before alerts existed are not opened.
    let first = now - 7 * 86_400;
    let from: i64 = mark.as_deref().and_then(|m| std::str::from_utf8(m).ok()?.parse().ok()).unwrap_or(first);
    // Turns still being committed are left for the next round.
    let to = now - 60;
    if to <= from {
        return Ok(Vec::new());
    }
    let mut opened = Vec::new();
    let handled = handled(store, usize::MAX).await?;
    let mut cursor = None;
    loop {
        let page = store.log_range(from, to, cursor, PAGE).await?;
        cursor = page.last().map(|e| (e.record.ts, e.id));
        for e in page.iter().filter(|e| e.record.danger.is_some()) {
            let r = &e.record;
            let turn = Turn::of(r);
            let done = handled.iter().any(|a| a.channel == r.channel && a.user == r.user && a.turns.contains(&turn));
            let before_handling = handled.iter().any(|a| {
                a.channel == r.channel
                    && a.user == r.user
                    && a.opened <= r.ts
                    && a.handled.as_ref().is_some_and(|h| r.ts <= h.at)
            });
            if done || before_handling {
                continue;
            }
            if let Recorded::Opened(a) = record_turn(store, r).await? {
                opened.push(a);
            }
        }
        if page.len() < PAGE {
            break;
        }
    }
    let old = mark.as_deref();
    store.record_cas(SPACE, MARK, old, Some(to.to_string().as_bytes())).await?;
    Ok(opened)
}

/// A kind as staff read it.
pub fn kind_name(kind: &str) -> &'static str {
    match kind {
        "self_harm" => "自伤自杀风险",
        "violence_now" => "正在遭受暴力或拘禁",
        "harm_others" => "扬言伤害他人",
        "other_at_risk" => "他人有危险",
        "check" => "可能有危险（已询问是否安全）",
        "violence" => "暴力",
        "fire" => "火灾",
        "medical" => "急病",
        _ => "危险",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemStore;

    fn rec(ts: i64, user: &str, danger: Option<&str>) -> LogRecord {
        LogRecord {
            ts,
            channel: "web".into(),
            user: user.into(),
            input: "…".into(),
            danger: danger.map(str::to_string),
            ..LogRecord::default()
        }
    }

    #[tokio::test]
    async fn one_alert_per_conversation_while_open_then_a_new_one() {
        let s = MemStore::default();
        assert!(matches!(record_turn(&s, &rec(100, "a", Some("check"))).await, Ok(Recorded::Opened(_))));
        let Ok(Recorded::Joined(a)) = record_turn(&s, &rec(160, "a", Some("self_harm"))).await else { panic!() };
        let times: Vec<i64> = a.turns.iter().map(|t| t.ts).collect();
        assert_eq!((a.kinds.clone(), times), (vec!["check".to_string(), "self_harm".into()], vec![100, 160]));
        assert_eq!(record_turn(&s, &rec(160, "a", Some("self_harm"))).await.expect("again"), Recorded::Known);
        assert!(matches!(record_turn(&s, &rec(170, "b", Some("harm_others"))).await, Ok(Recorded::Opened(_))));
        assert_eq!(open(&s).await.expect("open").len(), 2);
        assert!(matches!(handle(&s, &a.id, "editor", "  ", 200).await, Err(HandleError::NoNote)));
        handle(&s, &a.id, "editor", "已电话联系家属", 200).await.expect("handled");
        assert!(matches!(handle(&s, &a.id, "editor", "x", 201).await, Err(HandleError::Handled)));
        assert_eq!(open(&s).await.expect("open").len(), 1);
        let Ok(Recorded::Opened(again)) = record_turn(&s, &rec(300, "a", Some("self_harm"))).await else { panic!() };
        assert_ne!(again.id, a.id);
        assert_eq!(
            handled(&s, 10).await.expect("handled")[0].handled.as_ref().map(|h| h.note.as_str()),
            Some("已电话联系家属")
        );
    }

    #[tokio::test]
    async fn a_turn_without_its_alert_is_found_in_the_log() {
        use crate::engine::session::{Session, SessionKey};
        let s = MemStore::default();
        let key = SessionKey::parse("web", "lost").expect("key");
        let r = rec(1_000, "lost", Some("self_harm"));
        s.commit(None, &Session::new(key.clone(), "crisis", 1_000), &r).await.expect("commit");
        let quiet = rec(1_010, "lost", None);
        s.commit(Some(1), &Session { version: 1, ..Session::new(key, "main", 1_010) }, &quiet).await.expect("commit");
        assert!(reconcile(&s, 1_030).await.expect("too soon").is_empty(), "turns of the last minute are left");
        let opened = reconcile(&s, 2_000).await.expect("reconcile");
        assert_eq!(opened.len(), 1);
        assert!(reconcile(&s, 3_000).await.expect("again").is_empty(), "read once");
        assert_eq!(open(&s).await.expect("open")[0].turns, vec![Turn::of(&r)]);
    }
}
