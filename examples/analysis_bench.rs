//! 研判 and the year report over the 1,000,000-message log of `staff_bench`:
//!   cargo run --release --example staff_bench -- 1000000 /tmp/xg-bench
//!   cargo run --release --example analysis_bench -- /tmp/xg-bench
//! (or a `postgres://…` URL staff_bench filled in place of the dir),
//! or, without a sled dir, the pure folds over the same 1,000,000 records
//! (staff_bench's generator) held in memory, without any store read:
//!   cargo run --release --example analysis_bench -- --mem 1000000
//! Times what the console pages compute (on the heavy-view pool, cached for
//! 30 s): the warnings scan over the last nine weeks, the year report the
//! first time (every complete day of the year folded from the log and kept
//! as a daily record), and then from the kept records (only today folded
//! from the log), and the hourly upkeep once everything is kept.

use std::sync::Arc;
use std::time::Instant;
use xinfang_guide::analysis::year::Names;
use xinfang_guide::store::{PgStore, SledStore, Store};

// The server's allocator, so the figures are the server's.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[path = "common/bench_log.rs"]
mod bench_log;
use bench_log::{END, record};

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// The folds alone over `n` records in memory: the warnings over their
/// last nine weeks, and every day of the year.
fn folds(n: u64) {
    let entries: Vec<xinfang_guide::store::LogEntry> =
        (0..n).map(|i| xinfang_guide::store::LogEntry { id: i, record: record(i, n) }).collect();
    let now = END + 60;
    let (from, to) = xinfang_guide::analysis::warn::range(now);
    let window: Vec<_> = entries.iter().filter(|e| e.record.ts >= from && e.record.ts < to).collect();
    let t = Instant::now();
    let w = xinfang_guide::analysis::warn::warnings(now, window.iter().copied());
    println!("warnings fold ({} records, {} warnings)  {:>8.1} ms", window.len(), w.count(), ms(t));
    let t = Instant::now();
    let mut days = std::collections::BTreeMap::new();
    for e in &entries {
        if let Some(d) = xinfang_guide::analysis::day_of(e.record.ts) {
            days.entry(d).or_insert_with(|| xinfang_guide::analysis::daily::DayFold::new(d)).add(&e.record);
        }
    }
    let aggs: Vec<_> = days.into_values().map(|f| f.finish()).collect();
    let r = xinfang_guide::analysis::year::build(2026, &aggs, &Names::default());
    println!("daily folds of all {n} records and the 2026 report ({} 人次)  {:>8.1} ms", r.people, ms(t));
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let store: Arc<dyn Store> = match args.as_slice() {
        [flag, n] if flag == "--mem" => {
            folds(n.parse()?);
            return Ok(());
        }
        [url] if url.starts_with("postgres") => PgStore::connect(url, &Default::default()).await?,
        [dir] => SledStore::open(std::path::Path::new(dir), &Default::default())?,
        _ => anyhow::bail!("give the data dir or PostgreSQL URL staff_bench filled, or --mem N"),
    };
    let now = END + 60;
    let mut times = Vec::new();
    let mut w = None;
    for _ in 0..5 {
        let t = Instant::now();
        w = Some(xinfang_guide::staff::warnings::scan(store.clone(), now).await?);
        times.push(ms(t));
    }
    times.sort_by(f64::total_cmp);
    let w = w.unwrap_or_default();
    let (from, to) = xinfang_guide::analysis::warn::range(now);
    let mut n = 0;
    let mut cursor = None;
    let t = Instant::now();
    loop {
        let page = store.log_range(from, to, cursor, 10_000).await?;
        n += page.len();
        cursor = page.last().map(|e| (e.record.ts, e.id));
        if page.len() < 10_000 {
            break;
        }
    }
    let read = ms(t);
    println!(
        "warnings scan ({n} records, {} warnings)   median {:>8.1} ms  max {:>8.1} ms",
        w.count(),
        times[2],
        times[4]
    );
    println!("  of which reading the {n} records alone      {read:>8.1} ms");
    let fresh = store.record_scan("daily", "2026-", usize::MAX).await?.is_empty();
    let names = Names::default();
    let t = Instant::now();
    let r = xinfang_guide::analysis::keep::from_store(&*store, 2026, now, &names).await?;
    println!(
        "year report, {} ({} days, {} 人次, {} messages)  {:>8.1} ms",
        if fresh { "first: folds and keeps every day" } else { "days already kept" },
        r.days_with_data,
        r.people,
        r.messages,
        ms(t)
    );
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let again = xinfang_guide::analysis::keep::from_store(&*store, 2026, now, &names).await?;
        times.push(ms(t));
        assert_eq!(again, r, "the kept days give the same report");
    }
    times.sort_by(f64::total_cmp);
    println!("year report from kept days (today from the log)  median {:>8.1} ms  max {:>8.1} ms", times[2], times[4]);
    let t = Instant::now();
    let folded = xinfang_guide::analysis::keep::fold_complete_days(&*store, now).await?;
    println!("hourly upkeep (folded {folded} days)   {:>8.1} ms", ms(t));
    store.flush().await?;
    Ok(())
}
