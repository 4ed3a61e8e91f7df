//! One contract, run against every Store implementation (in-memory, sled
//! and PostgreSQL), plus the races and restarts that matter for each.

mod common;

use std::sync::Arc;
use xinfang_guide::engine::Engine;
use xinfang_guide::engine::reply::{Inbound, LogRecord};
use xinfang_guide::engine::session::{Session, SessionKey};
use xinfang_guide::engine::understand::Plain;
use xinfang_guide::service::Bot;
use xinfang_guide::store::pg::PgOptions;
use xinfang_guide::store::sled_store::SledOptions;
use xinfang_guide::store::{Commit, MemStore, PgStore, SledStore, Store, StoreError, Swept};

/// A PostgreSQL store on a new database, or None when no server is given.
async fn pg(test: &str) -> Option<Arc<PgStore>> {
    let url = common::pg_database(test).await?;
    Some(PgStore::connect(&url, &PgOptions::default()).await.expect("connect"))
}

fn key(user: &str) -> SessionKey {
    SessionKey::parse("web", user).expect("valid key")
}

fn log(ts: i64, input: &str) -> LogRecord {
    LogRecord {
        shown: format!("回复 {input}"),
        ts,
        channel: "web".into(),
        user: "u".into(),
        source: None,
        node_from: "main".into(),
        node: "main".into(),
        input_kind: "text".into(),
        input: input.into(),
        matched: true,
        ..LogRecord::default()
    }
}

async fn contract(store: Arc<dyn Store>) {
    let k = key("alice");
    assert_eq!(store.load(&k).await.expect("load"), None);
    let s = Session::new(k.clone(), "main", 1000);
    assert_eq!(store.commit(None, &s, &log(1000, "a")).await.expect("commit"), Commit::Done { version: 1 });
    assert_eq!(store.commit(None, &s, &log(1000, "b")).await.expect("commit"), Commit::Conflict, "must not overwrite");
    let loaded = store.load(&k).await.expect("load").expect("stored");
    assert_eq!(loaded.version, 1);
    let next = Session { node: "route_start".into(), ..loaded };
    assert_eq!(store.commit(Some(1), &next, &log(1001, "c")).await.expect("commit"), Commit::Done { version: 2 });
    assert_eq!(store.commit(Some(1), &next, &log(1001, "d")).await.expect("commit"), Commit::Conflict, "stale version");
    assert_eq!(store.load(&k).await.expect("load").expect("stored").node, "route_start");
    let entries = store.log_range(0, i64::MAX, None, 10).await.expect("log");
    let inputs: Vec<_> = entries.iter().map(|e| e.record.input.as_str()).collect();
    assert_eq!(inputs, ["a", "c"], "a conflicting commit logs nothing");
    // Idle sweep removes only sessions last active before the cutoff.
    let fresh = Session::new(key("bob"), "main", 5000);
    store.commit(None, &fresh, &log(5000, "e")).await.expect("commit");
    assert_eq!(store.session_count().await.expect("count"), 2);
    assert_eq!(store.remove_idle(2000).await.expect("sweep"), Swept { removed: 1, remaining: 1 });
    assert_eq!(store.load(&k).await.expect("load"), None);
    assert!(store.load(&key("bob")).await.expect("load").is_some());
    // Date-range scans, paged by (ts, id) cursor.
    let inputs = |v: Vec<xinfang_guide::store::LogEntry>| v.into_iter().map(|e| e.record.input).collect::<Vec<_>>();
    assert_eq!(inputs(store.log_range(1000, 5001, None, 10).await.expect("range")), ["a", "c", "e"]);
    assert_eq!(inputs(store.log_range(1001, 5000, None, 10).await.expect("range")), ["c"]);
    let page = store.log_range(0, i64::MAX, None, 2).await.expect("range");
    let last = page.last().map(|e| (e.record.ts, e.id));
    assert_eq!(inputs(store.log_range(0, i64::MAX, last, 2).await.expect("range")), ["e"]);
    assert!(store.log_range(5001, 1000, None, 10).await.expect("range").is_empty());
    let newest: Vec<_> =
        store.log_range_rev(0, i64::MAX, None, 2).await.expect("rev").into_iter().map(|e| e.record.input).collect();
    assert_eq!(newest, ["e", "c"]);
    let last = store.log_range_rev(0, i64::MAX, None, 2).await.expect("rev").last().map(|e| (e.record.ts, e.id));
    assert_eq!(inputs(store.log_range_rev(0, i64::MAX, last, 10).await.expect("rev")), ["a"]);
    assert_eq!(inputs(store.log_range_rev(1001, 5000, None, 10).await.expect("rev")), ["c"]);
    // One conversation's entries through the index; the replies as shown
    // come with the conversation, not with scans.
    assert_eq!(inputs(store.log_for_session(&key("bob"), 10).await.expect("by session")), ["e"]);
    let shown = store.log_for_session(&key("bob"), 10).await.expect("by session");
    assert_eq!(shown[0].record.shown, "回复 e");
    assert!(store.log_range(0, i64::MAX, None, 10).await.expect("range").iter().all(|e| e.record.shown.is_empty()));
    assert_eq!(inputs(store.log_for_session(&key("alice"), 10).await.expect("by session")), ["a", "c"]);
    // A new session with a removed session's key continues its conversation;
    // the limit keeps the newest entries.
    store.commit(None, &Session::new(k.clone(), "main", 6000), &log(6000, "f")).await.expect("commit");
    assert_eq!(inputs(store.log_for_session(&k, 10).await.expect("by session")), ["a", "c", "f"]);
    assert_eq!(inputs(store.log_for_session(&k, 2).await.expect("by session")), ["c", "f"]);
    // Retention: what it removed is gone from transcripts too.
    assert_eq!(store.remove_log_before(1001).await.expect("retention"), 1);
    assert_eq!(inputs(store.log_for_session(&k, 10).await.expect("by session")), ["c", "f"]);
    assert_eq!(store.remove_log_before(5500).await.expect("retention"), 2);
    assert_eq!(inputs(store.log_for_session(&k, 10).await.expect("by session")), ["f"]);
    assert!(store.log_for_session(&key("bob"), 10).await.expect("by session").is_empty());
    assert!(store.log_for_session(&key("nobody"), 10).await.expect("by session").is_empty());
    // Records: compare-and-swap, prefix scan.
    assert!(store.record_cas("staff", "u:li", None, Some(b"v1")).await.expect("cas"));
    assert!(!store.record_cas("staff", "u:li", None, Some(b"v2")).await.expect("cas"), "exists already");
    assert!(!store.record_cas("staff", "u:li", Some(b"old"), Some(b"v2")).await.expect("cas"), "stale");
    assert!(store.record_cas("staff", "u:li", Some(b"v1"), Some(b"v2")).await.expect("cas"));
    assert!(store.record_cas("staff", "u:wang", None, Some(b"w")).await.expect("cas"));
    assert!(store.record_cas("other", "u:zhao", None, Some(b"z")).await.expect("cas"));
    assert_eq!(store.record_get("staff", "u:li").await.expect("get").as_deref(), Some(&b"v2"[..]));
    let keys: Vec<String> =
        store.record_scan("staff", "u:", 10).await.expect("scan").into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["u:li", "u:wang"]);
    assert!(store.record_cas("staff", "u:wang", Some(b"w"), None).await.expect("delete"));
    assert_eq!(store.record_get("staff", "u:wang").await.expect("get"), None);
    // Tickets: readable until they expire, taken once.
    use xinfang_guide::store::Ticket;
    let t = Ticket { kind: "takeaway".into(), expires: 2000, data: serde_json::json!({"x": 1}) };
    store.put_ticket("t1", &t).await.expect("put");
    store.put_ticket("t2", &Ticket { expires: 900, ..t.clone() }).await.expect("put");
    assert_eq!(store.get_ticket("t1", 1500).await.expect("get"), Some(t.clone()));
    assert_eq!(store.get_ticket("t1", 2001).await.expect("get"), None, "expired");
    assert_eq!(store.get_ticket("nope", 0).await.expect("get"), None);
    assert_eq!(store.remove_expired_tickets(1000).await.expect("sweep"), 1);
    assert_eq!(store.take_ticket("t1", 1500).await.expect("take"), Some(t));
    assert_eq!(store.take_ticket("t1", 1500).await.expect("take"), None, "only once");
    store.flush().await.expect("flush");
}

#[tokio::test]
async fn memory_store_keeps_the_contract() {
    contract(Arc::new(MemStore::default())).await;
}

#[tokio::test]
async fn sled_store_keeps_the_contract() {
    let dir = tempfile::tempdir().expect("tempdir");
    contract(SledStore::open(dir.path(), &SledOptions::default()).expect("open")).await;
}

#[tokio::test]
async fn postgres_store_keeps_the_contract() {
    let Some(store) = pg("contract").await else { return };
    contract(store).await;
}

fn bot(store: Arc<dyn Store>) -> Bot {
    let (content, diags) = xinfang_guide::content::load(std::path::Path::new(env!("CARGO_MANIFEST_DIR")));
    let content = content.unwrap_or_else(|| panic!("{diags}"));
    Bot::new(Arc::new(Engine::new(Arc::new(content), Arc::new(Plain), 1800)), store)
}

/// Many messages racing for one session: every one is applied exactly once,
/// in some order, and logged once.
async fn racing_messages_lose_no_update(store: Arc<dyn Store>) {
    let bot = bot(store.clone());
    let k = key("racer");
    let n = 40;
    let mut tasks = Vec::new();
    for i in 0..n {
        let (bot, k) = (bot.clone(), k.clone());
        tasks.push(tokio::spawn(async move { bot.handle(&k, &Inbound::text(format!("消息{i}")), 1000).await }));
    }
    for t in tasks {
        t.await.expect("task").expect("handled");
    }
    let s = store.load(&k).await.expect("load").expect("session");
    assert_eq!(s.turns, n, "every message counted once");
    assert_eq!(s.version, u64::from(n));
    assert_eq!(store.log_range(0, i64::MAX, None, 1000).await.expect("log").len(), n as usize);
    // The transcript holds every message once, in the order they were applied.
    let transcript = store.log_for_session(&k, 1000).await.expect("transcript");
    let mut inputs: Vec<_> = transcript.iter().map(|e| e.record.input.clone()).collect();
    assert_eq!(inputs.len(), n as usize);
    assert!(transcript.windows(2).all(|w| w[0].id < w[1].id), "oldest first");
    inputs.sort();
    inputs.dedup();
    assert_eq!(inputs.len(), n as usize, "no message twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_messages_on_memory_store() {
    racing_messages_lose_no_update(Arc::new(MemStore::default())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_messages_on_sled_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    racing_messages_lose_no_update(SledStore::open(dir.path(), &SledOptions::default()).expect("open")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_messages_on_postgres_store() {
    let Some(store) = pg("racing").await else { return };
    racing_messages_lose_no_update(store).await;
}

#[tokio::test]
async fn sled_state_survives_reopening_the_data_dir() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = SledStore::open(dir.path(), &SledOptions::default()).expect("open");
        let b = bot(store.clone());
        b.handle(&key("carol"), &Inbound::text("1"), 1000).await.expect("handled");
    }
    let store = SledStore::open(dir.path(), &SledOptions::default()).expect("reopen");
    let s = store.load(&key("carol")).await.expect("load").expect("kept");
    assert_eq!(s.node, "route_start");
    assert_eq!(store.log_range(0, i64::MAX, None, 10).await.expect("log").len(), 1);
}

/// A data dir written when transcripts went through a per-message index tree
/// (session key ‖ 0xff ‖ log key) opens with every conversation intact.
#[tokio::test]
async fn sled_data_dir_with_the_old_transcript_index_is_migrated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log_key = |ts: u64, id: u64| [ts.to_be_bytes(), id.to_be_bytes()].concat();
    {
        let db = sled::open(dir.path()).expect("raw sled");
        let (sessions, logs, index) = (
            db.open_tree("sessions").expect("t"),
            db.open_tree("log").expect("t"),
            db.open_tree("log_by_session").expect("t"),
        );
        let live = Session { version: 2, ..Session::new(key("alice"), "main", 1000) };
        sessions.insert(key("alice").to_bytes(), serde_json::to_vec(&live).expect("json")).expect("insert");
        // alice: two turns, live; bob: one turn, session swept; a record
        // purged by retention whose index entry stayed behind.
        for (who, ts, id, input) in [("alice", 1000, 1, "a1"), ("bob", 1001, 2, "b1"), ("alice", 1002, 3, "a2")] {
            let k = log_key(ts, id);
            logs.insert(&k, serde_json::to_vec(&log(ts as i64, input)).expect("json")).expect("insert");
            index.insert([key(who).to_bytes(), vec![0xff], k].concat(), &[]).expect("insert");
        }
        index.insert([key("alice").to_bytes(), vec![0xff], log_key(900, 0)].concat(), &[]).expect("insert");
        db.flush().expect("flush");
    }
    for _ in 0..2 {
        let store = SledStore::open(dir.path(), &SledOptions::default()).expect("open");
        let inputs = |v: Vec<xinfang_guide::store::LogEntry>| v.into_iter().map(|e| e.record.input).collect::<Vec<_>>();
        assert_eq!(inputs(store.log_for_session(&key("alice"), 10).await.expect("alice")), ["a1", "a2"]);
        assert_eq!(inputs(store.log_for_session(&key("bob"), 10).await.expect("bob")), ["b1"]);
        assert_eq!(store.load(&key("alice")).await.expect("load").expect("kept").version, 2);
        assert_eq!(store.log_range(0, i64::MAX, None, 10).await.expect("log").len(), 3, "no record lost");
    }
    // Conversations go on from where the old index left them.
    let store = SledStore::open(dir.path(), &SledOptions::default()).expect("open");
    let s = store.load(&key("alice")).await.expect("load").expect("kept");
    store.commit(Some(2), &s, &log(1003, "a3")).await.expect("commit");
    store.commit(None, &Session::new(key("bob"), "main", 1004), &log(1004, "b2")).await.expect("commit");
    let inputs = |v: Vec<xinfang_guide::store::LogEntry>| v.into_iter().map(|e| e.record.input).collect::<Vec<_>>();
    assert_eq!(inputs(store.log_for_session(&key("alice"), 10).await.expect("alice")), ["a1", "a2", "a3"]);
    assert_eq!(inputs(store.log_for_session(&key("bob"), 10).await.expect("bob")), ["b1", "b2"]);
}

/// The data dir opened with sled itself, once the store's background
/// threads have let go of its lock.
fn raw(dir: &std::path::Path) -> sled::Db {
    for _ in 0..40 {
        match sled::open(dir) {
            Ok(db) => return db,
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(25)),
        }
    }
    sled::open(dir).expect("raw sled")
}

fn raw_count(dir: &std::path::Path, tree: &str) -> usize {
    let db = raw(dir);
    db.open_tree(tree).expect("tree").len()
}

/// Most replies are a node's text, the same for everyone: each distinct
/// text is stored once (review D13), and retention drops the texts no kept
/// record shows.
#[tokio::test]
async fn sled_keeps_each_reply_text_once_and_retention_drops_unused_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = SledStore::open(dir.path(), &SledOptions::default()).expect("open");
        for i in 0..40 {
            let rec = LogRecord { shown: "同一段回复".repeat(50), user: format!("u{i}"), ..log(1000 + i, "x") };
            store.commit(None, &Session::new(key(&format!("u{i}")), "main", 1000 + i), &rec).await.expect("commit");
        }
        let rec = LogRecord { shown: "另一段".into(), user: "late".into(), ..log(900_000, "y") };
        store.commit(None, &Session::new(key("late"), "main", 900_000), &rec).await.expect("commit");
        let t = store.log_for_session(&key("u7"), 10).await.expect("transcript");
        assert_eq!(t[0].record.shown, "同一段回复".repeat(50), "transcripts show what was seen");
    }
    assert_eq!(raw_count(dir.path(), "shown"), 2, "40 records, one text");
    {
        let store = SledStore::open(dir.path(), &SledOptions::default()).expect("open");
        assert_eq!(store.remove_log_before(800_000).await.expect("retention"), 40);
    }
    assert_eq!(raw_count(dir.path(), "shown"), 1, "the text only purged records showed is gone");
}

/// Regression (review D14): after a SIGKILL a log record could stay without
/// the session write that followed it, and stats counted a turn nobody was
/// answered for. Opening after an unclean shutdown removes such records.
#[tokio::test]
async fn a_turn_a_crash_left_unanswered_is_removed_when_the_store_opens() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = SledStore::open(dir.path(), &SledOptions::default()).expect("open");
        let of = |user: &str, ts, input| LogRecord { user: user.into(), ..log(ts, input) };
        let s = Session::new(key("alice"), "main", 1000);
        store.commit(None, &s, &of("alice", 1000, "a1")).await.expect("commit");
        let s = store.load(&key("alice")).await.expect("load").expect("kept");
        store.commit(Some(1), &s, &of("alice", 1001, "a2")).await.expect("commit");
        store.commit(None, &Session::new(key("bob"), "main", 1002), &of("bob", 1002, "b1")).await.expect("commit");
    }
    let orphan = |db: &sled::Db, ts: u64, input: &str, user: &str| {
        let k = [ts.to_be_bytes(), (1u64 << 40).to_be_bytes()].concat();
        let rec = LogRecord { user: user.into(), ..log(ts as i64, input) };
        db.open_tree("log").expect("t").insert(k, serde_json::to_vec(&rec).expect("json")).expect("insert");
    };
    {
        // A clean shutdown leaves no marker: a record nothing links to stays.
        let db = raw(dir.path());
        orphan(&db, 900, "kept", "carol");
        db.flush().expect("flush");
    }
    {
        let store = SledStore::open(dir.path(), &SledOptions::default()).expect("open");
        assert_eq!(store.log_range(0, i64::MAX, None, 100).await.expect("log").len(), 4);
    }
    {
        // The crash: the store was open, a's third turn and dave's first
        // were logged, their session writes lost.
        let db = raw(dir.path());
        db.open_tree("meta").expect("t").insert("open", "1").expect("mark");
        orphan(&db, 1004, "a3", "alice");
        orphan(&db, 1004, "d1", "dave");
        db.flush().expect("flush");
    }
    let store = SledStore::open(dir.path(), &SledOptions::default()).expect("open");
    let inputs: Vec<String> =
        store.log_range(0, i64::MAX, None, 100).await.expect("log").into_iter().map(|e| e.record.input).collect();
    assert_eq!(inputs, ["kept", "a1", "a2", "b1"], "the unanswered turns are gone, nothing else");
    let t: Vec<String> =
        store.log_for_session(&key("alice"), 10).await.expect("t").into_iter().map(|e| e.record.input).collect();
    assert_eq!(t, ["a1", "a2"]);
}

/// The sweep reads the activity index, not every session: it still finds
/// every idle session, including those of a data dir from before the index.
#[tokio::test]
async fn the_sweep_finds_idle_sessions_through_the_activity_index() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        // An old data dir: sessions, no activity index.
        let db = raw(dir.path());
        let sessions = db.open_tree("sessions").expect("t");
        for (user, at) in [("old1", 1000), ("old2", 2000), ("live", 90_000)] {
            let s = Session { version: 1, ..Session::new(key(user), "main", at) };
            sessions.insert(key(user).to_bytes(), serde_json::to_vec(&s).expect("json")).expect("insert");
        }
        db.flush().expect("flush");
    }
    let store = SledStore::open(dir.path(), &SledOptions::default()).expect("open");
    // A session that moves to a later bucket is not swept for its old one.
    let s = store.load(&key("old2")).await.expect("load").expect("kept");
    let moved = Session { last_active: 95_000, ..s };
    store.commit(Some(1), &moved, &log(95_000, "again")).await.expect("commit");
    store.commit(None, &Session::new(key("new"), "main", 500), &log(500, "n")).await.expect("commit");
    assert_eq!(store.remove_idle(50_000).await.expect("sweep"), Swept { removed: 2, remaining: 2 });
    for (user, kept) in [("old1", false), ("new", false), ("old2", true), ("live", true)] {
        assert_eq!(store.load(&key(user)).await.expect("load").is_some(), kept, "{user}");
    }
    assert_eq!(store.remove_idle(100_000).await.expect("sweep"), Swept { removed: 2, remaining: 0 });
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    for e in std::fs::read_dir(dir).expect("dir") {
        let e = e.expect("entry");
        total += if e.path().is_dir() { dir_bytes(&e.path()) } else { e.metadata().expect("meta").len() };
    }
    total
}

/// Regression (review D13): retention freed nothing on disk. Records live in
/// day segments; a segment whose newest record is past retention is
/// deleted whole.
#[tokio::test]
async fn retention_deletes_whole_segments_and_the_data_dir_shrinks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let day = 86_400;
    let segments = dir.path().join("segments");
    let store = SledStore::open(dir.path(), &SledOptions::default()).expect("open");
    for (d, n) in [(1, 300), (3, 20)] {
        for i in 0..n {
            let user = format!("d{d}u{i}");
            let rec = LogRecord { user: user.clone(), input: "欠薪怎么办".repeat(20), ..log(d * day + i, "x") };
            store.commit(None, &Session::new(key(&user), "main", d * day + i), &rec).await.expect("commit");
        }
    }
    let before = dir_bytes(&segments);
    assert_eq!(std::fs::read_dir(&segments).expect("dir").count(), 2, "one segment a day");
    assert_eq!(store.remove_log_before(2 * day).await.expect("retention"), 300);
    let after = dir_bytes(&segments);
    assert_eq!(std::fs::read_dir(&segments).expect("dir").count(), 1);
    assert!(after * 10 < before, "segments {before} → {after} bytes");
    assert_eq!(store.log_range(0, i64::MAX, None, 1000).await.expect("log").len(), 20);
    drop(store);
    // After a restart (appends go to a new segment) the old ones are still known.
    let store = SledStore::open(dir.path(), &SledOptions::default()).expect("reopen");
    assert_eq!(store.remove_log_before(4 * day).await.expect("retention"), 20);
    assert_eq!(std::fs::read_dir(&segments).expect("dir").count(), 0);
}

/// Retention deleted every segment, and the crash came before the removal of
/// their times from `meta` was durable: the stale time must not pass to the
/// next segment given the same number (retention would then delete it with
/// live records in it).
#[tokio::test]
async fn a_stale_segment_time_is_forgotten_when_the_store_opens() {
    let dir = tempfile::tempdir().expect("tempdir");
    let day = 86_400;
    {
        let store = SledStore::open(dir.path(), &SledOptions::default()).expect("open");
        let rec = LogRecord { user: "old".into(), ..log(day, "old") };
        store.commit(None, &Session::new(key("old"), "main", day), &rec).await.expect("commit");
        drop(store);
        let store = SledStore::open(dir.path(), &SledOptions::default()).expect("reopen");
        assert_eq!(store.remove_log_before(2 * day).await.expect("retention"), 1);
    }
    assert_eq!(std::fs::read_dir(dir.path().join("segments")).expect("dir").count(), 0);
    {
        let db = raw(dir.path());
        db.open_tree("meta").expect("t").insert("seg:00000001", &day.to_be_bytes()[..]).expect("stale time");
        db.flush().expect("flush");
    }
    drop(SledStore::open(dir.path(), &SledOptions::default()).expect("open"));
    assert!(raw(dir.path()).open_tree("meta").expect("t").get("seg:00000001").expect("get").is_none());
    let store = SledStore::open(dir.path(), &SledOptions::default()).expect("open");
    let rec = LogRecord { user: "new".into(), ..log(10 * day, "new") };
    store.commit(None, &Session::new(key("new"), "main", 10 * day), &rec).await.expect("commit");
    assert_eq!(store.remove_log_before(5 * day).await.expect("retention"), 0);
    assert_eq!(store.log_range(0, i64::MAX, None, 10).await.expect("log").len(), 1);
}

/// A crash after a record's pointer reached sled's file but before its body
/// was synced leaves a pointer to nothing: it reads as absent and recovery
/// removes it.
#[tokio::test]
async fn a_pointer_to_a_body_that_never_reached_the_disk_is_removed_on_recovery() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = SledStore::open(dir.path(), &SledOptions::default()).expect("open");
        let rec = LogRecord { user: "alice".into(), ..log(1000, "a1") };
        store.commit(None, &Session::new(key("alice"), "main", 1000), &rec).await.expect("commit");
    }
    {
        let db = raw(dir.path());
        db.open_tree("meta").expect("t").insert("open", "1").expect("mark");
        // Tag 2: a pointer to segment 1, far past its end.
        let mut v = vec![2u8];
        v.extend_from_slice(&1u32.to_be_bytes());
        v.extend_from_slice(&(1u64 << 30).to_be_bytes());
        v.extend_from_slice(&500u32.to_be_bytes());
        let k = [1001u64.to_be_bytes(), (1u64 << 41).to_be_bytes()].concat();
        db.open_tree("log").expect("t").insert(k, v).expect("insert");
        db.flush().expect("flush");
    }
    let store = SledStore::open(dir.path(), &SledOptions::default()).expect("open");
    let inputs: Vec<String> =
        store.log_range(0, i64::MAX, None, 10).await.expect("log").into_iter().map(|e| e.record.input).collect();
    assert_eq!(inputs, ["a1"]);
    drop(store);
    assert_eq!(raw_count(dir.path(), "log"), 1, "removed, not only skipped");
}

/// The Telegram poller's lease: one holder at a time, renewable by it,
/// free again when it expires or is released.
#[tokio::test]
async fn postgres_lease_has_one_holder_until_it_expires_or_is_released() {
    let Some(store) = pg("lease").await else { return };
    assert!(store.lease("poller", "a", 1000, 30).await.expect("lease"));
    assert!(!store.lease("poller", "b", 1010, 30).await.expect("lease"), "held by a");
    assert!(store.lease("poller", "a", 1020, 30).await.expect("lease"), "renewed");
    assert!(!store.lease("poller", "b", 1049, 30).await.expect("lease"), "renewal counts from 1020");
    assert!(store.lease("poller", "b", 1051, 30).await.expect("lease"), "expired: b takes it");
    assert!(store.lease("poller", "b", 1060, -30).await.expect("release"));
    assert!(store.lease("poller", "a", 1061, 30).await.expect("lease"), "released: a takes it at once");
    assert!(store.lease("other", "b", 1061, 30).await.expect("lease"), "leases are by name");
}

/// `?q=` through the bigram index: two-character Chinese queries find every
/// record containing them (and the console checks the text itself).
#[tokio::test]
async fn postgres_search_finds_two_character_queries_through_the_index() {
    let Some(store) = pg("search").await else { return };
    let texts = ["老板拖欠工资怎么办", "工地不给钱", "想跳楼了", "资工", "工资条丢了", "拖欠工资3个月"];
    for (i, t) in texts.iter().enumerate() {
        let k = key(&format!("s{i}"));
        store.commit(None, &Session::new(k, "main", 1000), &log(1000 + i as i64, t)).await.expect("commit");
    }
    let found = |q: &'static str| {
        let store = store.clone();
        async move {
            let hits = store.log_search_rev(0, i64::MAX, None, q, 100).await.expect("search").expect("indexed");
            hits.into_iter().map(|e| e.record.input).filter(|t| t.contains(q)).collect::<Vec<_>>()
        }
    };
    assert_eq!(found("工资").await, ["拖欠工资3个月", "工资条丢了", "老板拖欠工资怎么办"], "newest first");
    assert_eq!(found("跳楼").await, ["想跳楼了"]);
    assert_eq!(found("钱").await, ["工地不给钱"]);
    assert!(found("公积金").await.is_empty());
    // Paged by cursor like the list: after the newest hit, the older ones.
    let first = store.log_search_rev(0, i64::MAX, None, "工资", 1).await.expect("search").expect("indexed");
    let cursor = first.last().map(|e| (e.record.ts, e.id));
    let rest = store.log_search_rev(0, i64::MAX, cursor, "工资", 10).await.expect("search").expect("indexed");
    assert_eq!(rest.iter().filter(|e| e.record.input.contains("工资")).count(), 2);
    assert!(store.log_search_rev(0, i64::MAX, None, "？！", 10).await.expect("search").is_none(), "scan instead");
}

/// A database migrated by a newer build is refused with a clear message.
#[tokio::test]
async fn postgres_refuses_a_schema_newer_than_it_knows() {
    let Some(url) = common::pg_database("newer").await else { return };
    drop(PgStore::connect(&url, &PgOptions::default()).await.expect("first start migrates"));
    drop(PgStore::connect(&url, &PgOptions::default()).await.expect("second start finds it done"));
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.expect("connect");
    tokio::spawn(conn);
    let newer = xinfang_guide::store::pg::latest_schema() + 1;
    client.execute("INSERT INTO xg_schema (version, applied) VALUES ($1, 0)", &[&newer]).await.expect("insert");
    let err = PgStore::connect(&url, &PgOptions::default()).await.err().expect("refused").to_string();
    assert!(err.contains(&format!("schema version {newer}")) && err.contains("newer"), "{err}");
}

/// `migrate --from-sled DIR --to postgres://…` copies everything with its
/// ids and conversations, verifies, and copies nothing twice when run again.
#[tokio::test]
async fn migrating_a_sled_data_dir_copies_everything_once() {
    let Some(url) = common::pg_database("migrate").await else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let sled = SledStore::open(dir.path(), &SledOptions::default()).expect("open");
        let b = bot(sled.clone());
        for (user, text) in [("alice", "老板拖欠工资怎么办"), ("alice", "1"), ("bob", "你好")] {
            b.handle(&key(user), &Inbound::text(text), 1000).await.expect("handled");
        }
        // carol's session was swept as idle; her conversation stays.
        b.handle(&key("carol"), &Inbound::text("离婚"), 500).await.expect("handled");
        assert_eq!(sled.remove_idle(800).await.expect("sweep").removed, 1);
        let t =
            xinfang_guide::store::Ticket { kind: "takeaway".into(), expires: 9999, data: serde_json::json!({"x": 1}) };
        sled.put_ticket("t1", &t).await.expect("ticket");
        assert!(sled.record_cas("staff", "u:li", None, Some(b"account")).await.expect("record"));
    }
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_xinfang-guide"))
            .args(["migrate", "--from-sled"])
            .arg(dir.path())
            .args(["--to", &url])
            .output()
            .expect("run migrate")
    };
    let first = run();
    let out = String::from_utf8_lossy(&first.stdout).into_owned();
    assert!(first.status.success(), "{out}{}", String::from_utf8_lossy(&first.stderr));
    assert!(out.contains("sessions: 2 in sled, 2 copied, 0 already there; 2 in PostgreSQL"), "{out}");
    assert!(out.contains("log: 4 in sled, 4 copied, 0 already there; 4 in PostgreSQL"), "{out}");
    assert!(out.contains("tickets: 1 in sled, 1 copied") && out.contains("records: 1 in sled, 1 copied"), "{out}");
    assert!(out.contains("verified"), "{out}");
    let again = run();
    let out = String::from_utf8_lossy(&again.stdout).into_owned();
    assert!(again.status.success(), "{out}");
    assert!(out.contains("log: 4 in sled, 0 copied, 4 already there; 4 in PostgreSQL"), "{out}");
    // The copy is a working store: conversations, with the replies shown.
    let pg = PgStore::connect(&url, &PgOptions::default()).await.expect("connect");
    let t = pg.log_for_session(&key("alice"), 10).await.expect("alice");
    assert_eq!(t.iter().map(|e| e.record.input.as_str()).collect::<Vec<_>>(), ["老板拖欠工资怎么办", "1"]);
    assert!(!t[0].record.shown.is_empty(), "reply texts came along");
    assert_eq!(pg.log_for_session(&key("carol"), 10).await.expect("carol").len(), 1, "a swept session's log");
    let s = pg.load(&key("alice")).await.expect("load").expect("alice");
    let b = bot(pg.clone());
    b.handle(&key("alice"), &Inbound::text("还有"), 1001).await.expect("handled after the move");
    assert_eq!(pg.load(&key("alice")).await.expect("load").expect("alice").version, s.version + 1);
    assert_eq!(pg.log_for_session(&key("alice"), 10).await.expect("alice").len(), 3, "new ids after the copied ones");
}

/// Regression (review N4): the throttle was read before and counted after
/// the password check, so 50 concurrent guesses from 50 addresses were all
/// checked. Now each attempt is counted first, by compare-and-swap: of a
/// burst on one name only the free attempts are checked, a second burst in
/// the same second (the right password among it) checks none, and after the
/// one-second wait one more is checked. `a` and `b` are two instances'
/// handles on one store.
async fn concurrent_guesses_wait_their_turn(a: Arc<dyn Store>, b: Arc<dyn Store>) {
    use xinfang_guide::staff::accounts::{self, LoginError, Role};
    const RIGHT: &str = "a long enough password";
    let now = 1_800_000_000;
    accounts::add(&*a, "li", Role::Viewer, RIGHT, now).await.expect("add");
    let burst = |at: i64, right_at: Option<usize>| {
        let mut set = tokio::task::JoinSet::new();
        for i in 0..50usize {
            let store = if i % 2 == 0 { a.clone() } else { b.clone() };
            let pw = if Some(i) == right_at { RIGHT } else { "wrong password!" };
            let ip: std::net::IpAddr = format!("198.51.100.{}", i + 1).parse().expect("ip");
            set.spawn(async move { accounts::login(&*store, "li", pw, ip, at).await });
        }
        async move {
            let (mut checked, mut waited) = (0, 0);
            for r in set.join_all().await {
                match r {
                    Ok(_) | Err(LoginError::Wrong) => checked += 1,
                    Err(LoginError::Throttled { .. }) => waited += 1,
                    Err(LoginError::Store) => panic!("store error"),
                }
            }
            (checked, waited)
        }
    };
    let free = accounts::NAME_FREE as usize;
    assert_eq!(burst(now, None).await, (free, 50 - free), "only the name's free attempts are checked");
    assert_eq!(burst(now, Some(7)).await, (0, 50), "the same second: none checked, the right one neither");
    // Counted before the next burst: the one attempt it checks may be the
    // right password, which clears the name's count (seen once in CI).
    let (f, _) = accounts::name_failures(&*b, "li", now).await.expect("count");
    assert!(f.count as usize >= free, "every checked attempt was counted: {f:?}");
    assert_eq!(burst(now + 1, Some(7)).await.0, 1, "after the 1 s wait, one is checked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_guesses_wait_their_turn_on_sled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> = SledStore::open(dir.path(), &SledOptions::default()).expect("open");
    concurrent_guesses_wait_their_turn(store.clone(), store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_guesses_wait_their_turn_on_two_postgres_instances() {
    let Some(url) = common::pg_database("guesses").await else { return };
    let a: Arc<dyn Store> = PgStore::connect(&url, &PgOptions::default()).await.expect("connect a");
    let b: Arc<dyn Store> = PgStore::connect(&url, &PgOptions::default()).await.expect("connect b");
    concurrent_guesses_wait_their_turn(a, b).await;
}

/// Where the proxy cuts the connection that sends its marker.
#[derive(Clone, Copy, Debug)]
enum Cut {
    /// The statement never reaches the server.
    Before,
    /// The server gets it (and commits it); the client never hears back.
    After,
}

/// The proxy's trigger: how to cut, on which marker.
type Arm = Arc<std::sync::Mutex<Option<(Cut, Vec<u8>)>>>;

/// A loopback TCP proxy in front of the test PostgreSQL: once armed with a
/// marker, the connection whose client sends it is cut (once).
struct CuttingProxy {
    url: String,
    arm: Arm,
}

impl CuttingProxy {
    async fn start(pg_url: &str) -> Self {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut url = url::Url::parse(pg_url).expect("url");
        let upstream = format!("{}:{}", url.host_str().expect("host"), url.port().unwrap_or(5432));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        url.set_port(Some(listener.local_addr().expect("addr").port())).expect("port");
        let arm: Arm = Arc::default();
        let armed = arm.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else { continue };
                let arm = armed.clone();
                tokio::spawn(async move {
                    let (mut cr, mut cw) = client.into_split();
                    let (mut sr, mut sw) = server.into_split();
                    let (mut up, mut down) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
                    loop {
                        tokio::select! {
                            n = cr.read(&mut up) => {
                                let Ok(n @ 1..) = n else { return };
                                let chunk = &up[..n];
                                let hit = {
                                    let mut a = arm.lock().expect("arm");
                                    let found = a.as_ref().is_some_and(|(_, m)| chunk.windows(m.len()).any(|w| w == m));
                                    if found { a.take().map(|(c, _)| c) } else { None }
                                };
                                match hit {
                                    Some(Cut::Before) => return,
                                    Some(Cut::After) => {
                                        let _ = sw.write_all(chunk).await;
                                        drop((cr, cw));
                                        // The server answers after it has committed.
                                        let _ = tokio::time::timeout(Duration::from_secs(5), sr.read(&mut down)).await;
                                        return;
                                    }
                                    None if sw.write_all(chunk).await.is_err() => return,
                                    None => {}
                                }
                            }
                            n = sr.read(&mut down) => {
                                let Ok(n @ 1..) = n else { return };
                                if cw.write_all(&down[..n]).await.is_err() { return }
                            }
                        }
                    }
                });
            }
        });
        Self { url: url.to_string(), arm }
    }

    fn cut(&self, how: Cut, marker: &str) {
        *self.arm.lock().expect("arm") = Some((how, marker.as_bytes().to_vec()));
    }
}

use std::time::Duration;

/// Regression (review N5): a connection that died during `COMMIT` was
/// answered 503 "not sent" although the turn was in. Now the store looks:
/// cut after the statement reached PostgreSQL, the turn is acknowledged
/// (and logged once); cut before, it is not, and nothing was written.
async fn a_commit_cut_in_flight_is_looked_up(batch_commits: bool) {
    let Some(url) = common::pg_database("cut").await else { return };
    let proxy = CuttingProxy::start(&url).await;
    let opts = PgOptions { batch_commits, pool_size: 2, ..PgOptions::default() };
    let store = PgStore::connect(&proxy.url, &opts).await.expect("connect through the proxy");
    let k = key("cut");
    let s = Session::new(k.clone(), "main", 1000);
    assert_eq!(store.commit(None, &s, &log(1000, "first")).await.expect("commit"), Commit::Done { version: 1 });
    let s1 = store.load(&k).await.expect("load").expect("stored");

    proxy.cut(Cut::After, "MARK-AFTER");
    let next = Session { node: "route_start".into(), ..s1.clone() };
    let r = store.commit(Some(1), &next, &log(1001, "MARK-AFTER")).await;
    assert_eq!(r.expect("the turn is in, so it is acknowledged"), Commit::Done { version: 2 });

    proxy.cut(Cut::Before, "MARK-BEFORE");
    let later = Session { node: "main".into(), ..store.load(&k).await.expect("load").expect("stored") };
    let r = store.commit(Some(2), &later, &log(1002, "MARK-BEFORE")).await;
    assert!(matches!(r, Err(StoreError::Unavailable(_))), "not in, so not acknowledged: {r:?}");

    let loaded = store.load(&k).await.expect("load").expect("stored");
    assert_eq!((loaded.version, loaded.node.as_str()), (2, "route_start"));
    let inputs: Vec<String> =
        store.log_for_session(&k, 10).await.expect("log").into_iter().map(|e| e.record.input).collect();
    let mut sorted = inputs.clone();
    sorted.sort();
    assert_eq!(sorted, ["MARK-AFTER", "first"], "each committed turn once, the cut one not: {inputs:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_commit_cut_in_flight_is_looked_up_with_batches() {
    a_commit_cut_in_flight_is_looked_up(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_commit_cut_in_flight_is_looked_up_without_batches() {
    a_commit_cut_in_flight_is_looked_up(false).await;
}
