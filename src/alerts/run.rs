//! The alert upkeep every instance runs: writes the alerts of danger turns
//! the log has and the store lacks (`reconcile`, every minute), and posts
//! the duty messages that are due (at once when a turn opens an alert, and
//! every 15 seconds for retries).

use super::outbox::{self, Hook};
use crate::config::AlertSettings;
use crate::store::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// How often due messages are looked for without a wake-up.
const DELIVER_EVERY: Duration = Duration::from_secs(15);
/// How often the log is read for turns without their alert.
const RECONCILE_EVERY: i64 = 60;

/// The webhook the settings configure, if any.
pub fn hook(s: &AlertSettings, public_url: &str) -> anyhow::Result<Option<Hook>> {
    use anyhow::Context;
    let url = s.webhook_url.expose().trim();
    if url.is_empty() {
        return Ok(None);
    }
    let mut http = reqwest::Client::builder().timeout(Duration::from_secs(10)).user_agent("xinfang-guide");
    if !s.proxy.trim().is_empty() {
        http = http.proxy(reqwest::Proxy::all(s.proxy.trim()).context("[alerts] proxy")?);
    }
    Ok(Some(Hook {
        url: url.to_string(),
        format: s.format.parse().map_err(anyhow::Error::msg)?,
        dingtalk_secret: s.dingtalk_secret.expose().to_string(),
        include_text: s.include_text,
        public_url: public_url.to_string(),
        http: http.build().context("building the webhook client")?,
    }))
}

/// Runs the upkeep until aborted. `holder` names this instance in claims.
pub fn spawn(
    store: Arc<dyn Store>,
    hook: Option<Hook>,
    wake: Arc<Notify>,
    clock: crate::app::ClockFn,
) -> tokio::task::JoinHandle<()> {
    let holder = crate::app::new_token();
    tokio::spawn(async move {
        let mut last_reconcile = i64::MIN;
        loop {
            let now = clock();
            if now.saturating_sub(last_reconcile) >= RECONCILE_EVERY {
                last_reconcile = now;
                match super::reconcile(&*store, now).await {
                    Ok(opened) if !opened.is_empty() => {
                        tracing::warn!(count = opened.len(), "danger turns without their alert were found in the log");
                    }
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "reading the log for alerts failed"),
                }
            }
            if let Some(h) = &hook {
                match outbox::deliver(&*store, h, &holder, || clock()).await {
                    Ok(r) if r.sent + r.failed > 0 => tracing::info!(sent = r.sent, failed = r.failed, "duty messages"),
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "delivering duty messages failed"),
                }
            }
            let _ = tokio::time::timeout(DELIVER_EVERY, wake.notified()).await;
        }
    })
}
