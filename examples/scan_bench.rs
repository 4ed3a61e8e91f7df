//! Memory while the whole query log is scanned, as the dashboard and
//! `stats` do (records read page by page, nothing kept):
//!   cargo run --release --example staff_bench -- 320000 DIR   (fill once)
//!   cargo run --release --example scan_bench -- DIR [cache MiB]

use std::time::Instant;

// The server's allocator, so the figures are the server's.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
use xinfang_guide::store::sled_store::SledOptions;
use xinfang_guide::store::{SledStore, Store};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let dir = std::env::args().nth(1).ok_or_else(|| anyhow::anyhow!("give the data dir"))?;
    let mut opts = SledOptions::default();
    if let Some(mb) = std::env::args().nth(2).and_then(|a| a.parse::<u64>().ok()) {
        opts.cache_bytes = mb * 1024 * 1024;
    }
    let store = SledStore::open(std::path::Path::new(&dir), &opts)?;
    println!("opened; {}", rss());
    let fold = std::env::var_os("XG_BENCH_FOLD").is_some();
    for round in 0..3 {
        let t = Instant::now();
        let q = xinfang_guide::stats::query(None, "2000-01-01", "2100-01-01").map_err(anyhow::Error::msg)?;
        let mut f = xinfang_guide::stats::Fold::new(&q);
        let (mut n, mut cursor) = (0usize, None);
        loop {
            let page = store.log_range(0, i64::MAX, cursor, 2_000).await?;
            n += page.len();
            if fold {
                page.iter().for_each(|e| f.add(&e.record));
            }
            cursor = page.last().map(|e| (e.record.ts, e.id));
            if page.len() < 2_000 {
                break;
            }
        }
        let people = f.finish().sessions;
        println!("people {people}");
        println!("scan {round}: {n} records in {:.0?}; {}", t.elapsed(), rss());
    }
    Ok(())
}

fn rss() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status.lines().filter(|l| l.starts_with("VmRSS") || l.starts_with("VmHWM")).collect::<Vec<_>>().join(" ")
}
