//! Store-only load: N concurrent tasks committing through `Bot::handle`
//! (engine + sled + group commit, no HTTP). Shows the store's ceiling.
//!   cargo run --release --example store_load -- [tasks] [messages]

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use xinfang_guide::engine::Engine;
use xinfang_guide::engine::reply::Inbound;
use xinfang_guide::engine::session::SessionKey;
use xinfang_guide::engine::understand::Plain;
use xinfang_guide::service::Bot;
use xinfang_guide::store::SledStore;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let tasks: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(64);
    let per_task: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000) / tasks;
    let dir = tempfile::tempdir()?;
    let (content, diags) = xinfang_guide::content::load(Path::new(env!("CARGO_MANIFEST_DIR")));
    let content = content.ok_or_else(|| anyhow::anyhow!("{diags}"))?;
    let store = SledStore::open(dir.path(), &Default::default())?;
    let bot = Bot::new(Arc::new(Engine::new(Arc::new(content), Arc::new(Plain), 1800)), store);
    let started = Instant::now();
    let mut handles = Vec::new();
    for t in 0..tasks {
        let bot = bot.clone();
        handles.push(tokio::spawn(async move {
            let key = SessionKey::parse("web", &format!("{t:032x}"))?;
            for i in 0..per_task {
                let msg = if i % 6 == 5 { Inbound::parse_choice("cmd:menu").expect("id") } else { Inbound::text("1") };
                bot.handle(&key, &msg, 1_795_744_800).await?;
            }
            anyhow::Ok(())
        }));
    }
    for h in handles {
        h.await??;
    }
    let n = tasks * per_task;
    let secs = started.elapsed().as_secs_f64();
    println!("{n} messages in {secs:.2} s: {:.0}/s with {tasks} concurrent sessions", n as f64 / secs);
    Ok(())
}
