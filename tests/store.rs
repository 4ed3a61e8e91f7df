//! One contract, run against every Store implementation (in-memory and sled),
//! plus the races and restarts that matter for sled.

use std::sync::Arc;
use xinfang_guide::engine::Engine;
use xinfang_guide::engine::reply::{Inbound, LogRecord};
use xinfang_guide::engine::session::{Session, SessionKey};
use xinfang_guide::engine::understand::Plain;
use xinfang_guide::service::Bot;
use xinfang_guide::store::sled_store::SledOptions;
use xinfang_guide::store::{Commit, MemStore, SledStore, Store, Swept};

fn key(user: &str) -> SessionKey {
    SessionKey::parse("web", user).expect("valid key")
}

fn log(ts: i64, input: &str) -> LogRecord {
    LogRecord {
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
    // One conversation's entries through the index.
    assert_eq!(inputs(store.log_for_session(&key("bob"), 10).await.expect("by session")), ["e"]);
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
