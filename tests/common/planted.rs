//! Planted query logs for the 研判 and year-report tests: a quiet log of
//! ten weeks of ordinary questions, and the same with a surge, a group of
//! people naming one estate and a person coming back about one matter.
#![allow(dead_code)]

use std::sync::Arc;
use xinfang_guide::engine::reply::LogRecord;
use xinfang_guide::engine::session::{Session, SessionKey};
use xinfang_guide::store::{Commit, Store};

const DAY: i64 = 86_400;

pub fn rec(ts: i64, user: &str, category: Option<&str>, input: &str) -> LogRecord {
    LogRecord {
        ts,
        channel: "web".into(),
        user: user.into(),
        node_from: "main".into(),
        node: "main".into(),
        input_kind: "text".into(),
        input: input.into(),
        matched: category.is_some(),
        category: category.map(String::from),
        ..LogRecord::default()
    }
}

/// Ten weeks before `now`: 10-20 people a day over five categories, one in
/// ten at kiosk-1, some pointed to a channel card, some feedback.
pub fn quiet(now: i64) -> Vec<LogRecord> {
    let cats = ["labor", "family", "civil_dispute", "xinfang_procedure", "consumer"];
    let mut out = Vec::new();
    for day in 0..70i64 {
        for i in 0..10 + (day * 7) % 11 {
            let ts = now - day * DAY - 1200 * (i + 1);
            let cat = cats[((day + i) % 5) as usize];
            let user = format!("q{day}-{i}");
            let mut r = rec(ts, &user, Some(cat), &format!("问题第{i}个，老板欠薪怎么办"));
            r.source = (i == 0).then(|| "kiosk-1".to_string());
            out.push(r);
            if i % 3 == 0 {
                let mut card = rec(ts + 30, &user, Some(cat), "1");
                card.input_kind = "choice".into();
                card.channel_chosen = Some(if cat == "xinfang_procedure" { "xinfang" } else { "court_filing" }.into());
                card.source = (i == 0).then(|| "kiosk-1".to_string());
                out.push(card);
            }
        }
    }
    out
}

/// The quiet log plus a planted surge (25 people on land expropriation this
/// week), a planted group (five people naming 幸福家园 within ten days) and
/// a planted repeat asker (`again`, about wages on four days over four weeks).
pub fn planted(now: i64) -> Vec<LogRecord> {
    let mut out = quiet(now);
    for i in 0..25i64 {
        let ts = now - (i % 6) * DAY - 600 * (i + 1);
        out.push(rec(ts, &format!("land{i}"), Some("land_expropriation"), "征地补偿标准太低了怎么办"));
    }
    let texts = [
        "我住在幸福家园小区，开发商不交房",
        "幸福家园项目烂尾了找谁",
        "开发商幸福家园一直不给办证",
        "幸福家园小区的房子漏水",
        "幸福家园停工半年了",
    ];
    for (i, t) in texts.iter().enumerate() {
        out.push(rec(now - (i as i64 * 2 + 1) * DAY, &format!("estate{i}"), Some("civil_dispute"), t));
    }
    for week in 0..4i64 {
        out.push(rec(now - week * 9 * DAY - 7200, "again", Some("labor"), "工地老板还是不给工资，上次说的仲裁没下文"));
    }
    out
}

/// Writes the records as the server does: each conversation's messages in
/// order on its own session (compare-and-swap commits), conversations in
/// parallel.
pub async fn write(store: Arc<dyn Store>, mut records: Vec<LogRecord>) {
    records.sort_by_key(|r| r.ts);
    let mut by_user: std::collections::BTreeMap<(String, String), Vec<LogRecord>> = Default::default();
    for r in records {
        by_user.entry((r.channel.clone(), r.user.clone())).or_default().push(r);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for ((channel, user), recs) in by_user {
        let store = store.clone();
        tasks.spawn(async move {
            let key = SessionKey::parse(&channel, &user).expect("key");
            let mut version = None;
            for r in recs {
                let s = Session::new(key.clone(), "main", r.ts);
                match store.commit(version, &s, &r).await.expect("commit") {
                    Commit::Done { version: v } => version = Some(v),
                    Commit::Conflict => panic!("conflict writing the planted log"),
                }
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.expect("task");
    }
    store.flush().await.expect("flush");
}
