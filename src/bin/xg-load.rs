//! Load generator for `POST /api/v1/chat` (loopback only).
//!
//! Each of `--concurrency` workers holds its own session and walks the
//! dialog as a person would: it answers with the first non-navigation choice
//! of every reply, and starts over from the menu after a channel card.
//! With `--new-sessions`, every request starts a new session instead (for
//! the memory-per-session measurement).
//!
//! ```text
//! xg-load --url http://127.0.0.1:8080 --concurrency 64 --messages 200000
//! xg-load --url http://127.0.0.1:8080 --concurrency 64 --messages 100000 --new-sessions --pid 1234
//! ```

use anyhow::{Context, bail};
use clap::Parser;
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "Load generator for xinfang-guide's chat API (loopback only)")]
struct Args {
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Total messages to send (the run also stops after --max-seconds).
    #[arg(long, default_value_t = 100_000)]
    messages: u64,
    #[arg(long, default_value_t = 300)]
    max_seconds: u64,
    /// Every request starts a new session.
    #[arg(long)]
    new_sessions: bool,
    /// Server process id, to report its resident memory at the end.
    #[arg(long)]
    pid: Option<u32>,
    /// Runtime worker threads for the generator itself.
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let host = args.url.split("://").nth(1).unwrap_or("").split(['/', ':']).next().unwrap_or("");
    if !(host == "localhost" || host.starts_with("127.") || host == "[::1]") {
        bail!("xg-load only targets loopback addresses, not {host}");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()
        .context("runtime")?;
    rt.block_on(run(args))
}

struct Shared {
    sent: AtomicU64,
    errors: AtomicU64,
    limit: u64,
    deadline: Instant,
}

async fn run(args: Args) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .timeout(Duration::from_secs(10))
        .build()
        .context("HTTP client")?;
    let endpoint = format!("{}/api/v1/chat", args.url.trim_end_matches('/'));
    let shared = Arc::new(Shared {
        sent: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        limit: args.messages,
        deadline: Instant::now() + Duration::from_secs(args.max_seconds),
    });
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let (client, endpoint, shared) = (client.clone(), endpoint.clone(), shared.clone());
        let fresh = args.new_sessions;
        tasks.push(tokio::spawn(async move { worker(client, endpoint, shared, fresh).await }));
    }
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).context("histogram")?;
    for t in tasks {
        hist.add(t.await.context("worker")??).context("merge")?;
    }
    let secs = started.elapsed().as_secs_f64();
    let ok = hist.len();
    println!("messages: {ok} ok, {} errors in {secs:.2} s", shared.errors.load(Ordering::Relaxed));
    println!("throughput: {:.0} messages/s at concurrency {}", ok as f64 / secs, args.concurrency);
    let ms = |q: f64| hist.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}",
        ms(0.5),
        ms(0.9),
        ms(0.99),
        ms(0.999),
        hist.max() as f64 / 1000.0
    );
    if let Some(pid) = args.pid {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).context("reading server status")?;
        for line in status.lines().filter(|l| l.starts_with("VmRSS") || l.starts_with("VmHWM")) {
            println!("server {line}");
        }
    }
    Ok(())
}

/// Sends messages until the shared budget or deadline runs out; returns latencies (µs).
async fn worker(
    client: reqwest::Client,
    endpoint: String,
    shared: Arc<Shared>,
    fresh: bool,
) -> anyhow::Result<Histogram<u64>> {
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut session: Option<String> = None;
    let mut next = json!({"choice": "cmd:menu"});
    while shared.sent.fetch_add(1, Ordering::Relaxed) < shared.limit && Instant::now() < shared.deadline {
        let mut body = next.clone();
        if let (Some(s), false) = (&session, fresh) {
            body["session"] = json!(s);
        }
        let t = Instant::now();
        let resp = client.post(&endpoint).json(&body).send().await;
        let v: Option<Value> = match resp {
            Ok(r) if r.status().is_success() => r.json().await.ok(),
            _ => None,
        };
        let Some(v) = v else {
            shared.errors.fetch_add(1, Ordering::Relaxed);
            session = None;
            next = json!({"choice": "cmd:menu"});
            continue;
        };
        hist.record(t.elapsed().as_micros().max(1) as u64)?;
        session = v["session"].as_str().map(str::to_string);
        next = next_message(&v);
    }
    Ok(hist)
}

/// The first non-navigation choice; a date for date questions; the menu after a card.
fn next_message(v: &Value) -> Value {
    let replies = v["replies"].as_array().cloned().unwrap_or_default();
    if replies.iter().any(|r| !r["card"].is_null()) {
        return json!({"choice": "cmd:menu"});
    }
    let choice = replies
        .iter()
        .flat_map(|r| r["choices"].as_array().cloned().unwrap_or_default())
        .find(|c| c["id"].as_str().is_some_and(|id| !id.starts_with("cmd:")));
    match choice {
        Some(c) => json!({"choice": c["id"]}),
        None => json!({"text": "2026-03-15"}),
    }
}
