//! Per-question classification time over a JSONL file of questions (e.g.
//! `../shared/eval/dev.jsonl`), and how long loading content and models
//! takes: `cargo run --release --example classify_timing < FILE`. Times what
//! the chat does with a typed question: `classify` and `chat_offer`.

use std::io::BufRead;
use std::path::Path;
use std::time::Instant;

fn main() {
    let started = Instant::now();
    let (loaded, diags) = xinfang_guide::understand::load_all(Path::new(env!("CARGO_MANIFEST_DIR")));
    let (_, u) = loaded.unwrap_or_else(|| panic!("{diags}"));
    let load = started.elapsed();
    let questions: Vec<String> = std::io::stdin()
        .lock()
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(&l).ok())
        .filter_map(|v| v["question"].as_str().map(str::to_string))
        .collect();
    let mut times: Vec<f64> = Vec::with_capacity(questions.len());
    for q in &questions {
        let t = Instant::now();
        // What the chat does with a typed question: classify it, then what
        // to offer (several matters: each clause classified too).
        let c = u.classify(std::hint::black_box(q));
        std::hint::black_box(u.chat_offer(q, &c));
        times.push(t.elapsed().as_secs_f64() * 1e6);
    }
    times.sort_by(f64::total_cmp);
    let at = |p: f64| times.get(((times.len() as f64 - 1.0) * p) as usize).copied().unwrap_or(0.0);
    println!(
        "content + models loaded in {:.0} ms; {} questions: p50 {:.0} µs, p90 {:.0} µs, max {:.0} µs",
        load.as_secs_f64() * 1e3,
        times.len(),
        at(0.5),
        at(0.9),
        at(1.0)
    );
}
