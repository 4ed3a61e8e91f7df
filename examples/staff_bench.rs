//! Staff console query latency with a large query log:
//!   cargo run --release --example staff_bench -- [messages] [data dir | postgres://…]
//! Fills a sled data dir or a PostgreSQL database (kept when given, so later runs skip the fill), in time order, with
//! `messages` log records over 365 days (100,000 conversations, 5 source tags, ~10%
//! not understood, 1% mentioning 公积金), then times the list queries the
//! console runs: first page unfiltered, by channel, unmatched, search, one
//! day, a page deep in the log, a transcript, and the CSV-size export scan.

use std::sync::Arc;
use std::time::Instant;
use xinfang_guide::engine::session::{Session, SessionKey};
use xinfang_guide::staff::web::{Filters, find};
use xinfang_guide::store::{PgStore, SledStore, Store};

// The server's allocator, so the figures are the server's.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[path = "common/bench_log.rs"]
mod bench_log;
use bench_log::{END, USERS, record};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let tmp = tempfile::tempdir()?;
    let place = args.next();
    let store: Arc<dyn Store> = match place {
        Some(url) if url.starts_with("postgres") => {
            let opts = xinfang_guide::store::pg::PgOptions { pool_size: 32, ..Default::default() };
            PgStore::connect(&url, &opts).await?
        }
        other => {
            let dir = other.map(std::path::PathBuf::from).unwrap_or_else(|| tmp.path().to_path_buf());
            SledStore::open(&dir, &Default::default())?
        }
    };
    let have = store.log_range(0, i64::MAX, None, 1).await?.len();
    if have == 0 {
        let started = Instant::now();
        // In time order, as the server writes them (PostgreSQL's heap then
        // follows the time key as it does in service): `CHUNK` consecutive
        // records at a time, all of different conversations (`CHUNK` <
        // `USERS`), committed concurrently; each conversation's turns in
        // order on its session.
        const CHUNK: u64 = 2048;
        let mut versions: Vec<Option<u64>> = vec![None; USERS as usize];
        for start in (0..n).step_by(CHUNK as usize) {
            let mut set = tokio::task::JoinSet::new();
            for j in start..(start + CHUNK).min(n) {
                let (s, u) = (store.clone(), (j % USERS) as usize);
                let version = versions[u];
                set.spawn(async move {
                    let key = SessionKey::parse("web", &format!("u{u:06}"))?;
                    let sess = Session::new(key, "main", END);
                    match s.commit(version, &sess, &record(j, n)).await? {
                        xinfang_guide::store::Commit::Done { version: v } => anyhow::Ok((u, v)),
                        xinfang_guide::store::Commit::Conflict => anyhow::bail!("conflict"),
                    }
                });
            }
            while let Some(done) = set.join_next().await {
                let (u, v) = done??;
                versions[u] = Some(v);
            }
        }
        println!("filled {n} records in {:.1} s", started.elapsed().as_secs_f64());
    }
    let f = |q: &str, channel: &str, status: &str, from: &str, to: &str| Filters {
        q: q.into(),
        channel: channel.into(),
        status: status.into(),
        from: from.into(),
        to: to.into(),
        ..Filters::default()
    };
    let cases = [
        ("first page, no filter", f("", "", "", "", ""), 50),
        ("source tag = kiosk-1", Filters { src: "kiosk-1".into(), ..f("", "", "", "", "") }, 50),
        ("not understood", f("", "", "unmatched", "", ""), 50),
        ("search 公积金 (1%)", f("公积金", "", "", "", ""), 50),
        ("search 工资 (90%)", f("工资", "", "", "", ""), 50),
        ("search 跳楼 (none)", f("跳楼", "", "", "", ""), 50),
        ("one day (2026-05-09)", f("", "", "", "2026-05-09", "2026-05-09"), 50),
        ("search + unmatched + tag", Filters { src: "poster-b".into(), ..f("问题 5", "", "unmatched", "", "") }, 50),
        ("export scan: one month, all rows", f("", "", "", "2026-10-01", "2026-10-31"), 200_000),
    ];
    for (name, filt, want) in cases {
        let mut times = Vec::new();
        let mut rows = 0;
        for _ in 0..5 {
            let t = Instant::now();
            let (r, _) = find(&*store, &filt, want).await.map_err(anyhow::Error::msg)?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            rows = r.len();
        }
        times.sort_by(f64::total_cmp);
        println!("{name:<36} {rows:>7} rows  median {:>8.2} ms  max {:>8.2} ms", times[2], times[4]);
    }
    // A transcript (a walk back along its linked records).
    let key = SessionKey::parse("web", "u012345")?;
    let t = Instant::now();
    let rows = store.log_for_session(&key, 10_000).await?.len();
    println!(
        "{:<36} {rows:>7} rows          {:>8.2} ms",
        "one conversation's transcript",
        t.elapsed().as_secs_f64() * 1000.0
    );
    // A page deep in the log: follow the cursor 100 pages.
    let t = Instant::now();
    let mut filt = f("", "", "", "", "");
    for _ in 0..100 {
        let (_, next) = find(&*store, &filt, 50).await.map_err(anyhow::Error::msg)?;
        let Some((ts, id)) = next else { break };
        filt.before = format!("{ts}-{id}");
    }
    println!(
        "{:<36} {:>7}       total  {:>8.2} ms",
        "100 pages via the cursor",
        5000,
        t.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}
