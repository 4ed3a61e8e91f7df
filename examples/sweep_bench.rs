//! The idle sweep on a store with many sessions, and this process's memory:
//! sweeps while every session is live (the activity index is read up to
//! the cutoff only), then one sweep that removes them all.
//!   cargo run --release --example sweep_bench -- [sessions] [cache MiB]   (default 100000, 16)

#[path = "common/fill.rs"]
mod fill;

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use xinfang_guide::engine::Engine;
use xinfang_guide::engine::understand::Plain;
use xinfang_guide::service::Bot;
use xinfang_guide::store::{SledStore, Store};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir()?;
    let (content, diags) = xinfang_guide::content::load(Path::new(env!("CARGO_MANIFEST_DIR")));
    let content = content.ok_or_else(|| anyhow::anyhow!("{diags}"))?;
    let mut opts = xinfang_guide::store::sled_store::SledOptions::default();
    if let Some(mb) = std::env::args().nth(2).and_then(|a| a.parse::<u64>().ok()) {
        opts.cache_bytes = mb * 1024 * 1024;
    }
    let store = SledStore::open(dir.path(), &opts)?;
    let bot = Bot::new(Arc::new(Engine::new(Arc::new(content), Arc::new(Plain), 1800)), store.clone());
    fill::new_conversations(&bot, 0, n, 64).await?;
    println!("filled; {}", rss());
    for _ in 0..3 {
        let t = Instant::now();
        // Nothing is idle since 1970: none removed.
        let swept = store.remove_idle(0).await?;
        println!("sweep (all live) {swept:?} in {:.0?}; {}", t.elapsed(), rss());
    }
    let t = Instant::now();
    let swept = store.remove_idle(i64::MAX).await?;
    println!("sweep (all idle) {swept:?} in {:.0?}; {}", t.elapsed(), rss());
    Ok(())
}

/// This process's resident memory (Linux), for seeing what a sweep costs.
fn rss() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS"))
        .unwrap_or("VmRSS: unknown")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
