//! Backup while the server runs and restore into a new data dir, with the
//! real binary: every turn acknowledged before the backup began is in it
//! (while chats go on during the backup), so are accounts and the audit
//! log; a restored dir serves the same conversations; a cut or altered file
//! restores nothing.

mod common;

use serde_json::{Value, json};
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use xinfang_guide::engine::session::SessionKey;
use xinfang_guide::store::sled_store::SledOptions;
use xinfang_guide::store::{SledStore, Store};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_xinfang-guide"));
    c.current_dir(env!("CARGO_MANIFEST_DIR")).env("RUST_LOG", "error");
    c
}

fn run(c: &mut Command) -> (bool, String) {
    let out = c.output().expect("run");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

async fn chat(client: &reqwest::Client, base: &str, body: Value) -> Value {
    let r = client.post(format!("{base}/api/v1/chat")).json(&body).send().await.expect("chat");
    assert_eq!(r.status().as_u16(), 200);
    r.json().await.expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_chats_go_on_restores_every_acknowledged_turn() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    // An account, made before the server starts (the data dir is free).
    let mut add = bin();
    add.args(["staff", "add", "li", "--role", "admin", "--data"]).arg(&data).stdin(Stdio::piped());
    add.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = add.spawn().expect("staff add");
    child.stdin.take().expect("stdin").write_all(b"a long enough password\n").expect("password");
    assert!(child.wait().expect("wait").success());

    let server = common::spawn(&data);
    let client = reqwest::Client::new();
    let mut acked: Vec<(String, Vec<String>)> = Vec::new();
    for i in 0..20 {
        let first = chat(&client, &server.base, json!({"text": format!("公司拖欠工资{i}个月怎么办")})).await;
        let session = first["session"].as_str().expect("session").to_string();
        let second = format!("第二句 {i}");
        chat(&client, &server.base, json!({"session": session, "text": second})).await;
        acked.push((session, vec![format!("公司拖欠工资{i}个月怎么办"), second]));
    }

    // Every kind of record: a crisis turn (danger figures, an alert), a
    // kiosk hand-off ticket, the account made above and its audit line.
    let crisis = chat(&client, &server.base, json!({"text": "我不想活了，活着没意思"})).await;
    assert!(crisis["session"].is_string());
    let (session, _) = &acked[0];
    let t = client.post(format!("{}/api/v1/transfer", server.base)).json(&json!({"session": session})).send().await;
    assert_eq!(t.expect("transfer").status().as_u16(), 200);

    // Chats go on while the backup runs.
    let stop = Arc::new(AtomicBool::new(false));
    let during = {
        let (stop, base, client) = (stop.clone(), server.base.clone(), client.clone());
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                chat(&client, &base, json!({"text": format!("同时发来的消息 {n}")})).await;
                n += 1;
            }
            n
        })
    };
    let file = dir.path().join("nightly.xgbackup");
    let (ok, out) = run(bin().args(["backup", "--to"]).arg(&file).arg("--data").arg(&data));
    stop.store(true, Ordering::SeqCst);
    let sent_during = during.await.expect("chats during the backup");
    assert!(ok, "backup failed: {out}");
    assert!(out.contains("backup written to") && out.contains("log records"), "{out}");
    assert!(!dir.path().join("nightly.xgbackup.part").exists(), "the part file was renamed");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).expect("file").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "a backup holds personal data: owner only");
    }

    // Restore into a new dir, while the server still runs on the old one.
    let restored = dir.path().join("restored");
    let (ok, out) = run(bin().arg("restore").arg(&file).arg("--data").arg(&restored));
    assert!(ok, "restore failed: {out}");
    assert!(out.contains("restored"), "{out}");
    drop(server);
    {
        let store = SledStore::open(&restored, &SledOptions::default()).expect("open the restored dir");
        for (session, inputs) in &acked {
            let key = SessionKey::parse("web", session).expect("key");
            assert!(store.load(&key).await.expect("load").is_some(), "session {session} restored");
            let got: Vec<String> =
                store.log_for_session(&key, 10).await.expect("log").into_iter().map(|e| e.record.input).collect();
            for want in inputs {
                assert!(got.contains(want), "{want:?} of {session} is in the restored log: {got:?}");
            }
        }
        let accounts = xinfang_guide::staff::accounts::list(&*store).await.expect("accounts");
        assert_eq!(accounts.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), ["li"]);
    }
    eprintln!("{sent_during} chats were answered while the backup ran; {out}");

    // The restored dir serves: a conversation goes on where it was.
    let server = common::spawn(&restored);
    let (session, _) = &acked[3];
    let r = chat(&client, &server.base, json!({"session": session, "text": "重新开始"})).await;
    assert_eq!(r["session"].as_str(), Some(session.as_str()));
    let health = client.get(format!("{}/healthz", server.base)).send().await.expect("healthz");
    assert_eq!(health.status().as_u16(), 200);
    drop(server);
    // With no server holding it, the command reads the data dir itself.
    let again = dir.path().join("again.xgbackup");
    let (ok, out) = run(bin().args(["backup", "--to"]).arg(&again).arg("--data").arg(&restored));
    assert!(ok && out.contains("backup written to"), "{out}");
    // Quiet, a backup is the data dir exactly: every record kind comes back.
    let copy = dir.path().join("copy");
    let (ok, out) = run(bin().arg("restore").arg(&again).arg("--data").arg(&copy));
    assert!(ok, "{out}");
    let (a, b) = (
        SledStore::open(&restored, &SledOptions::default()).expect("open"),
        SledStore::open(&copy, &SledOptions::default()).expect("open"),
    );
    let spaces = |s: &SledStore| {
        let mut v: Vec<(String, String, Vec<u8>)> = s.all_records().expect("records");
        v.sort();
        v
    };
    let records = spaces(&a);
    let kinds: std::collections::BTreeSet<&str> = records.iter().map(|(space, _, _)| space.as_str()).collect();
    for want in ["staff", "alerts"] {
        assert!(kinds.contains(want), "a {want} record to carry: {kinds:?}");
    }
    assert_eq!(records, spaces(&b), "every record of every space");
    let tickets = |s: &SledStore| s.all_tickets().expect("tickets").into_iter().map(|(id, _)| id).collect::<Vec<_>>();
    assert!(!tickets(&a).is_empty(), "the hand-off ticket");
    assert_eq!(tickets(&a), tickets(&b));
    let sessions = |s: &SledStore| {
        let mut v: Vec<String> = s.all_sessions().expect("sessions").into_iter().map(|x| x.key.to_string()).collect();
        v.sort();
        v
    };
    assert_eq!(sessions(&a), sessions(&b));
    let (la, lb) = (
        a.log_range(0, i64::MAX, None, 1_000_000).await.expect("log"),
        b.log_range(0, i64::MAX, None, 1_000_000).await.expect("log"),
    );
    let ids =
        |v: &[xinfang_guide::store::LogEntry]| v.iter().map(|e| (e.id, e.record.input.clone())).collect::<Vec<_>>();
    assert!(la.len() > 40, "{} records", la.len());
    assert_eq!(ids(&la), ids(&lb), "every log record, with its body");
    assert_eq!(a.conversation_keys().expect("keys"), b.conversation_keys().expect("keys"));
    drop((a, b));

    // A cut or altered file restores nothing; a dir in use is not overwritten.
    let bytes = std::fs::read(&file).expect("read");
    let cut = dir.path().join("cut.xgbackup");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    let mut flipped = bytes.clone();
    let at = bytes.len() / 3;
    flipped[at] ^= 0x20;
    let bad = dir.path().join("flipped.xgbackup");
    std::fs::write(&bad, &flipped).expect("write");
    // A flipped byte is found by the checksum, or earlier when it lands in
    // a length field (which byte is at a third of the file depends on what
    // the chats wrote).
    for (f, why) in [(&cut, &["cut short"][..]), (&bad, &["checksum", "damaged"][..])] {
        let target = dir.path().join(format!("from-{}", f.file_name().and_then(|n| n.to_str()).unwrap_or("x")));
        let (ok, out) = run(bin().arg("restore").arg(f).arg("--data").arg(&target));
        assert!(!ok && why.iter().any(|w| out.contains(w)), "{f:?}: {out}");
        assert!(!target.exists(), "nothing was written for {f:?}");
    }
    let (ok, out) = run(bin().arg("restore").arg(&file).arg("--data").arg(&restored));
    assert!(!ok && out.contains("not empty"), "{out}");
}
