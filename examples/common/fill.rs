//! New web conversations for the store benchmarks. Included by path
//! (`#[path = "common/fill.rs"] mod fill;`).

use xinfang_guide::engine::reply::Inbound;
use xinfang_guide::engine::session::SessionKey;
use xinfang_guide::service::Bot;

/// Conversations `first..first + n`, two turns each ("1", "1"), on `tasks`
/// tasks at once; random-looking tokens, as the web channel issues them.
pub async fn new_conversations(bot: &Bot, first: usize, n: usize, tasks: usize) -> anyhow::Result<()> {
    let mut hs = Vec::new();
    for t in 0..tasks {
        let bot = bot.clone();
        hs.push(tokio::spawn(async move {
            for i in (t..n).step_by(tasks) {
                let id = (first + i) as u128;
                let key = SessionKey::parse(
                    "web",
                    &format!("{:032x}", id.wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)),
                )?;
                bot.handle(&key, &Inbound::text("1"), 1_795_744_800).await?;
                bot.handle(&key, &Inbound::text("1"), 1_795_744_800).await?;
            }
            anyhow::Ok(())
        }));
    }
    for h in hs {
        h.await??;
    }
    Ok(())
}
