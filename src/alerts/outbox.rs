//! Delivering duty messages: each new alert is its own outbox entry. An
//! alert whose message is not yet sent is claimed with compare-and-swap (a
//! lease naming the instance, for a minute), posted, and marked sent; a
//! failure is written back with the next try, backing off from 30 seconds
//! to an hour. Claims live in the store, so a restart goes on where it
//! stopped and two instances never post one alert at the same time. Alerts
//! handled before their message went out, or older than a day when the
//! webhook was set up, are not sent.

use super::webhook::{self, Format, Message};
use super::{Alert, SPACE};
use crate::store::{Store, StoreError};
use serde::{Deserialize, Serialize};

/// How long a claim holds.
const LEASE_SECS: i64 = 60;
/// First wait after a failure; doubled per failure up to `MAX_BACKOFF`.
const FIRST_BACKOFF: i64 = 30;
const MAX_BACKOFF: i64 = 3_600;
/// Alerts opened longer ago than this are not announced any more.
const TOO_OLD_SECS: i64 = 86_400;

/// Where a duty message stands.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    #[serde(default)]
    pub attempts: u32,
    /// Not before this time (Unix seconds).
    #[serde(default)]
    pub next_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<i64>,
    /// The instance holding a claim, and until when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<(String, i64)>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub error: String,
}

/// A configured webhook.
#[derive(Clone)]
pub struct Hook {
    pub url: String,
    pub format: Format,
    /// 钉钉 加签 secret (empty: none).
    pub dingtalk_secret: String,
    pub include_text: bool,
    pub public_url: String,
    pub http: reqwest::Client,
}

impl std::fmt::Debug for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL carries the robot's key.
        f.debug_struct("Hook").field("format", &self.format).finish_non_exhaustive()
    }
}

/// What one round of delivery did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub sent: usize,
    pub failed: usize,
}

fn due(a: &Alert, holder: &str, now: i64) -> bool {
    if a.handled.is_some() || now - a.opened > TOO_OLD_SECS {
        return false;
    }
    match &a.notice {
        None => true,
        Some(n) if n.sent_at.is_some() => false,
        Some(n) => n.next_at <= now && n.lease.as_ref().is_none_or(|(h, until)| h == holder || *until <= now),
    }
}

async fn put(store: &dyn Store, old: &[u8], a: &Alert) -> Result<Option<Vec<u8>>, StoreError> {
    let bytes = serde_json::to_vec(a).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(store.record_cas(SPACE, &a.id, Some(old), Some(&bytes)).await?.then_some(bytes))
}

/// The masked text of the alert's first turn (for `include_text`).
async fn first_text(store: &dyn Store, a: &Alert) -> Option<String> {
    let key = crate::engine::session::SessionKey::parse(&a.channel, &a.user).ok()?;
    let log = store.log_for_session(&key, 200).await.ok()?;
    log.into_iter().find(|e| e.record.ts == a.opened && e.record.danger.is_some()).map(|e| e.record.input)
}

/// Posts the message of every alert that is due; `holder` names this
/// instance, `now` is the clock.
pub async fn deliver(store: &dyn Store, hook: &Hook, holder: &str, now: impl Fn() -> i64) -> Result<Round, StoreError> {
    let mut round = Round::default();
    for (_, pointer) in store.record_scan(SPACE, "open:", usize::MAX).await? {
        let id = String::from_utf8_lossy(&pointer).into_owned();
        let Some(raw) = store.record_get(SPACE, &id).await? else { continue };
        let Ok(mut a) = serde_json::from_slice::<Alert>(&raw) else { continue };
        let t = now();
        if !due(&a, holder, t) {
            continue;
        }
        let mut n = a.notice.clone().unwrap_or_default();
        n.lease = Some((holder.to_string(), t + LEASE_SECS));
        a.notice = Some(n.clone());
        let Some(claimed) = put(store, &raw, &a).await? else { continue };
        let text = if hook.include_text { first_text(store, &a).await } else { None };
        let result = post(hook, &Message::of(&a, &hook.public_url, text), t).await;
        let t = now();
        n.lease = None;
        match result {
            Ok(()) => {
                n.sent_at = Some(t);
                n.error.clear();
                round.sent += 1;
                metrics::counter!("xg_alert_posts_total", "result" => "sent").increment(1);
            }
            Err(why) => {
                n.attempts += 1;
                let wait = (FIRST_BACKOFF << (n.attempts - 1).min(10)).min(MAX_BACKOFF);
                n.next_at = t + wait;
                tracing::warn!(error = %why, attempts = n.attempts, retry_in_secs = wait, "duty webhook failed");
                n.error = why;
                round.failed += 1;
                metrics::counter!("xg_alert_posts_total", "result" => "failed").increment(1);
            }
        }
        // The alert may have changed meanwhile (a turn joined, staff handled
        // it): write the notice onto what is there now.
        let mut old = claimed;
        for _ in 0..8 {
            let Ok(mut now_a) = serde_json::from_slice::<Alert>(&old) else { break };
            now_a.notice = Some(n.clone());
            if put(store, &old, &now_a).await?.is_some() {
                break;
            }
            match store.record_get(SPACE, &a.id).await? {
                Some(fresh) => old = fresh,
                None => break,
            }
        }
    }
    Ok(round)
}

/// Posts one message; the receiver's refusal is an error with its answer.
async fn post(hook: &Hook, m: &Message, now: i64) -> Result<(), String> {
    let url = match (hook.format, hook.dingtalk_secret.is_empty()) {
        (Format::Dingtalk, false) => webhook::dingtalk_signed(&hook.url, &hook.dingtalk_secret, now * 1000),
        _ => hook.url.clone(),
    };
    let resp = hook
        .http
        .post(&url)
        .json(&webhook::body(hook.format, m))
        .send()
        .await
        .map_err(|e| format!("posting: {}", e.without_url()))?;
    let status = resp.status().as_u16();
    let answer = resp.text().await.unwrap_or_default();
    if webhook::accepted(hook.format, status, &answer) {
        Ok(())
    } else {
        Err(format!("HTTP {status}: {}", answer.chars().take(200).collect::<String>()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(opened: i64, notice: Option<Notice>) -> Alert {
        Alert {
            id: "a:1".into(),
            channel: "web".into(),
            user: "u".into(),
            opened,
            last: opened,
            kinds: vec!["check".into()],
            turns: vec![crate::alerts::Turn { ts: opened, h: 0 }],
            handled: None,
            notice,
        }
    }

    #[test]
    fn an_alert_is_due_once_unless_claimed_waiting_handled_or_old() {
        assert!(due(&alert(100, None), "me", 200));
        assert!(!due(&alert(100, None), "me", 100 + TOO_OLD_SECS + 1), "too old");
        let sent = Notice { sent_at: Some(150), ..Notice::default() };
        assert!(!due(&alert(100, Some(sent)), "me", 200));
        let waiting = Notice { attempts: 1, next_at: 300, ..Notice::default() };
        assert!(!due(&alert(100, Some(waiting.clone())), "me", 200) && due(&alert(100, Some(waiting)), "me", 300));
        let claimed = Notice { lease: Some(("other".into(), 260)), ..Notice::default() };
        assert!(!due(&alert(100, Some(claimed.clone())), "me", 200), "another instance holds it");
        assert!(due(&alert(100, Some(claimed)), "me", 260), "a lapsed claim is taken over");
        let mut handled = alert(100, None);
        handled.handled = Some(super::super::Handled { by: "e".into(), at: 150, note: "n".into() });
        assert!(!due(&handled, "me", 200));
    }
}
