//! Time the danger recogniser adds per message, and the memory it holds:
//! `cargo run --release --example danger_timing < FILE` with a JSONL file
//! of messages (`question` or `text`: ../shared/eval/dev.jsonl, crisis_dev.jsonl).
//! Every message is assessed 5 times; the loaded recogniser's resident
//! memory is read from /proc/self/statm before and after loading.

use std::io::BufRead;
use std::path::Path;
use std::time::Instant;

fn rss_kb() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm.split_whitespace().nth(1).and_then(|p| p.parse::<u64>().ok()).unwrap_or(0) * 4
}

fn main() {
    let texts: Vec<String> = std::io::stdin()
        .lock()
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(&l).ok())
        .filter_map(|v| v["question"].as_str().or(v["text"].as_str()).map(str::to_string))
        .collect();
    let before = rss_kb();
    let started = Instant::now();
    let mut d = xinfang_guide::content::Diagnostics::default();
    let r = xinfang_guide::danger::load::load(Path::new(env!("CARGO_MANIFEST_DIR")), &mut d);
    assert!(!d.has_errors(), "{d}");
    let load = started.elapsed();
    let loaded = rss_kb();
    // Touch every part once (the model's pages, the regexes' caches).
    for t in &texts {
        std::hint::black_box(r.assess(t));
    }
    let after = rss_kb();
    let mut times: Vec<f64> = Vec::with_capacity(texts.len() * 5);
    // Per message, its quickest of the 5 runs: what the work costs without
    // the other processes of a busy machine.
    let mut best = vec![f64::MAX; texts.len()];
    for _ in 0..5 {
        for (i, t) in texts.iter().enumerate() {
            let s = Instant::now();
            std::hint::black_box(r.assess(std::hint::black_box(t)));
            let us = s.elapsed().as_secs_f64() * 1e6;
            times.push(us);
            best[i] = best[i].min(us);
        }
    }
    let mut order: Vec<usize> = (0..texts.len()).collect();
    order.sort_by(|&a, &b| best[b].total_cmp(&best[a]));
    for &i in order.iter().take(3) {
        println!("slowest: {:.0} µs for {} characters", best[i], texts[i].chars().count());
    }
    let mut bests = best.clone();
    bests.sort_by(f64::total_cmp);
    let q = |p: f64| bests.get(((bests.len() as f64 - 1.0) * p) as usize).copied().unwrap_or(0.0);
    println!("per message, quickest of 5 runs: p50 {:.0} µs, p99 {:.0} µs", q(0.5), q(0.99));
    times.sort_by(f64::total_cmp);
    let at = |p: f64| times.get(((times.len() as f64 - 1.0) * p) as usize).copied().unwrap_or(0.0);
    println!(
        "recogniser loaded in {:.0} ms, +{} KB resident after loading, +{} KB after use; {} assessments of {} messages: p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs",
        load.as_secs_f64() * 1e3,
        loaded.saturating_sub(before),
        after.saturating_sub(before),
        times.len(),
        texts.len(),
        at(0.5),
        at(0.99),
        at(1.0)
    );
}
