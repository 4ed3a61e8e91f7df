//! Disk use of a sled data dir under session churn (review D13): each cycle
//! starts N new conversations (two turns each) and sweeps them all as idle;
//! after the cycles, a backup restored into a new dir shows what the data
//! takes once rewritten (the compaction path the README gives).
//!   cargo run --release --example churn_disk -- [sessions per cycle] [cycles]   (default 50000, 4)

#[path = "common/fill.rs"]
mod fill;

use std::path::Path;
use std::sync::Arc;
use xinfang_guide::engine::Engine;
use xinfang_guide::engine::understand::Plain;
use xinfang_guide::service::Bot;
use xinfang_guide::store::{SledStore, Store};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(50_000);
    let cycles: usize = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(4);
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let (content, diags) = xinfang_guide::content::load(Path::new(env!("CARGO_MANIFEST_DIR")));
    let content = Arc::new(content.ok_or_else(|| anyhow::anyhow!("{diags}"))?);
    {
        let store = SledStore::open(&data, &Default::default())?;
        let bot = Bot::new(Arc::new(Engine::new(content.clone(), Arc::new(Plain), 1800)), store.clone());
        for cycle in 0..cycles {
            fill::new_conversations(&bot, cycle * n, n, 32).await?;
            let filled = sizes(&data);
            let swept = store.remove_idle(i64::MAX).await?;
            store.flush().await?;
            println!("cycle {}: {n} sessions → {filled}; swept {} → {}", cycle + 1, swept.removed, sizes(&data));
        }
    }
    let file = dir.path().join("b.xgbackup");
    {
        let store = SledStore::open(&data, &Default::default())?;
        let mut out = std::io::BufWriter::new(std::fs::File::create(&file)?);
        let sum = store.backup_to(&mut out, 0)?;
        println!("backup: {} bytes, {sum:?}", std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0));
    }
    let restored = dir.path().join("restored");
    let r = xinfang_guide::store::sled_store::backup::restore(&file, &restored)?;
    println!("restored ({} sessions, {} log records) → {}", r.sessions, r.log, sizes(&restored));
    Ok(())
}

/// `db` and the segments, in MB.
fn sizes(data: &Path) -> String {
    let mb = |b: u64| b as f64 / 1e6;
    let db = std::fs::metadata(data.join("db")).map(|m| m.len()).unwrap_or(0);
    let seg: u64 = std::fs::read_dir(data.join("segments"))
        .map(|d| d.filter_map(Result::ok).filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum())
        .unwrap_or(0);
    format!("db {:.1} MB, segments {:.1} MB", mb(db), mb(seg))
}
