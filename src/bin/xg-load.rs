//! Load generator for `POST /api/v1/chat` (loopback only).
//!
//! Each of `--concurrency` workers holds its own session and walks the
//! dialog as a person would: it answers with the first non-navigation choice
//! of every reply, and starts over from the menu after a channel card.
//! With `--new-sessions`, every request starts a new session instead (for
//! the memory-per-session measurement). With `--texts FILE`, every request
//! starts a new session with the next line of the file as a typed question.
//!
//! ```text
//! xg-load --url http://127.0.0.1:8080 --concurrency 64 --messages 200000
//! xg-load --url http://127.0.0.1:8080 --concurrency 64 --messages 100000 --new-sessions --pid 1234
//! ```

use anyhow::{Context, bail};
use clap::Parser;
use hdrhistogram::Histogram;
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
    /// Typed questions, one per line: each request asks the next one in a new session.
    #[arg(long)]
    texts: Option<std::path::PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let host = args.url.split("://").nth(1).unwrap_or("").split(['/', ':']).next().unwrap_or("");
    if !(host == "localhost" || host.starts_with("127.") || host == "[::1]") {
        bail!("xg-load only targets loopback addresses, not {host}");
    }
    let rt = if args.threads <= 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_multi_thread().worker_threads(args.threads).enable_all().build()
    }
    .context("runtime")?;
    rt.block_on(run(args))
}

struct Shared {
    sent: AtomicU64,
    errors: AtomicU64,
    limit: u64,
    deadline: Instant,
    texts: Vec<String>,
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
        texts: match &args.texts {
            Some(p) => std::fs::read_to_string(p)
                .with_context(|| format!("reading {}", p.display()))?
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_string)
                .collect(),
            None => Vec::new(),
        },
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
    let mut next = Next::Choice("cmd:menu".to_string());
    loop {
        let n = shared.sent.fetch_add(1, Ordering::Relaxed);
        if n >= shared.limit || Instant::now() >= shared.deadline {
            break;
        }
        if !shared.texts.is_empty() {
            next = Next::Text(shared.texts[n as usize % shared.texts.len()].clone());
        }
        let body = next.body(if fresh || !shared.texts.is_empty() { None } else { session.as_deref() });
        let t = Instant::now();
        let resp = client.post(&endpoint).header("content-type", "application/json").body(body).send().await;
        let bytes = match resp {
            Ok(r) if r.status().is_success() => r.bytes().await.ok(),
            _ => None,
        };
        let parsed = bytes.as_deref().and_then(|b| serde_json::from_slice::<Resp>(b).ok());
        let Some(v) = parsed else {
            shared.errors.fetch_add(1, Ordering::Relaxed);
            session = None;
            next = Next::Choice("cmd:menu".to_string());
            continue;
        };
        hist.record(t.elapsed().as_micros().max(1) as u64)?;
        next = Next::after(&v);
        session = Some(v.session.to_string());
    }
    Ok(hist)
}

/// Only what the walk needs from a reply; the rest is skipped unparsed.
#[derive(serde::Deserialize)]
struct Resp<'a> {
    #[serde(borrow)]
    session: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    replies: Vec<ReplyView<'a>>,
}

#[derive(serde::Deserialize)]
struct ReplyView<'a> {
    #[serde(default, borrow)]
    choices: Vec<ChoiceView<'a>>,
    #[serde(default)]
    card: Option<serde::de::IgnoredAny>,
}

#[derive(serde::Deserialize)]
struct ChoiceView<'a> {
    #[serde(borrow)]
    id: std::borrow::Cow<'a, str>,
}

enum Next {
    Choice(String),
    Date,
    Text(String),
}

impl Next {
    /// The first non-navigation choice; a date for date questions; the menu after a card.
    fn after(v: &Resp) -> Self {
        if v.replies.iter().any(|r| r.card.is_some()) {
            return Next::Choice("cmd:menu".to_string());
        }
        let choice = v.replies.iter().flat_map(|r| &r.choices).find(|c| !c.id.starts_with("cmd:"));
        match choice {
            Some(c) => Next::Choice(c.id.to_string()),
            None => Next::Date,
        }
    }

    fn body(&self, session: Option<&str>) -> String {
        let input = match self {
            Next::Choice(id) => format!(r#""choice":{}"#, serde_json::Value::from(id.as_str())),
            Next::Date => r#""text":"2026-03-15""#.to_string(),
            Next::Text(t) => format!(r#""text":{}"#, serde_json::Value::from(t.as_str())),
        };
        match session {
            Some(s) => format!(r#"{{"session":"{s}",{input}}}"#),
            None => format!("{{{input}}}"),
        }
    }
}
