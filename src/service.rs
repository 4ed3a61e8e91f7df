//! The one path every channel takes: load the session, run the engine,
//! commit with compare-and-swap, and hand back the replies. A conflict means
//! another message for the same session committed first: run the step again
//! on top of it, so no update is lost and messages apply one after another.

use crate::engine::reply::Inbound;
use crate::engine::reply::LogRecord;
use crate::engine::reply::Reply;
use crate::engine::session::{MAX_RECEIPTS, Receipt, Session, SessionKey};
use crate::engine::{Engine, Step};
use crate::store::{Commit, Store, StoreError};
use std::sync::Arc;

/// How often a message is re-applied after losing a race before giving up
/// (then the channel answers "busy"). Each loss backs off a little longer,
/// so even a burst of dozens of messages on one session gets through.
const MAX_ATTEMPTS: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("too many concurrent messages for one session")]
    Contention,
    #[error("no such session")]
    NoSession,
}

/// What a channel that may re-deliver gets back.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub replies: Vec<Reply>,
    /// True when this message was answered before (a re-delivery).
    pub replayed: bool,
}

enum Applied {
    Step(Box<Step>),
    Replayed(Vec<Reply>),
}

/// Clones share the engine: a content reload (`replace_engine`) reaches
/// every channel at once, and a message in progress finishes on the
/// engine it started with.
#[derive(Clone)]
pub struct Bot {
    engine: Arc<arc_swap::ArcSwap<Engine>>,
    pub store: Arc<dyn Store>,
    /// Woken when a turn opens a danger alert (its duty message goes out).
    pub alerts_wake: Arc<tokio::sync::Notify>,
}

impl Bot {
    pub fn new(engine: Arc<Engine>, store: Arc<dyn Store>) -> Self {
        Self { engine: Arc::new(arc_swap::ArcSwap::new(engine)), store, alerts_wake: Arc::default() }
    }

    /// The engine (and its content) as it is now.
    pub fn engine(&self) -> Arc<Engine> {
        self.engine.load_full()
    }

    /// Puts a new engine (reloaded content) in place for every later message.
    pub fn replace_engine(&self, engine: Engine) {
        self.engine.store(Arc::new(engine));
    }

    /// Applies one message to the session `key`, creating it if needed.
    pub async fn handle(&self, key: &SessionKey, inbound: &Inbound, now: i64) -> Result<Step, ServiceError> {
        self.apply(key, inbound, now, true).await
    }

    /// Like `handle`, but only for a session that exists (`NoSession` if not),
    /// so a channel never adopts a session id a client made up.
    pub async fn handle_existing(&self, key: &SessionKey, inbound: &Inbound, now: i64) -> Result<Step, ServiceError> {
        self.apply(key, inbound, now, false).await
    }

    /// Like `handle`, for channels that may deliver one message more than
    /// once: `msg_id` is the channel's id for it. A message already answered
    /// gets the same replies again, with no second turn and no second log
    /// record. The receipt is committed with the turn (same compare-and-swap),
    /// so two deliveries racing on two instances still make one turn.
    pub async fn handle_once(
        &self,
        key: &SessionKey,
        inbound: &Inbound,
        now: i64,
        msg_id: &str,
    ) -> Result<Delivery, ServiceError> {
        self.once(key, inbound, now, msg_id, true).await
    }

    /// `handle_once` for a session that exists (`NoSession` if not): a web
    /// turn the page resends with the same id (its answer was lost, or said
    /// the message may not have gone out) is answered from its receipt.
    pub async fn handle_existing_once(
        &self,
        key: &SessionKey,
        inbound: &Inbound,
        now: i64,
        msg_id: &str,
    ) -> Result<Delivery, ServiceError> {
        self.once(key, inbound, now, msg_id, false).await
    }

    /// One delivery of a message with an id, answered from its receipt when
    /// it was answered before; `create`: a new session may start.
    async fn once(
        &self,
        key: &SessionKey,
        inbound: &Inbound,
        now: i64,
        msg_id: &str,
        create: bool,
    ) -> Result<Delivery, ServiceError> {
        let msg_id = receipt_id(msg_id);
        match self.apply_with(key, inbound, now, create, Some(&msg_id)).await? {
            Applied::Replayed(replies) => Ok(Delivery { replies, replayed: true }),
            Applied::Step(step) => Ok(Delivery { replies: step.replies, replayed: false }),
        }
    }

    /// Moves a conversation to a new key (a kiosk screen to a phone): the
    /// session is copied to `to` and `from` starts over, so the next person
    /// at the kiosk cannot continue it. Both are compare-and-swap commits; if
    /// `from` changed in between, the newer state is copied again.
    pub async fn transfer(&self, from: &SessionKey, to: &SessionKey, now: i64) -> Result<(), ServiceError> {
        let engine = self.engine();
        let content = &engine.content;
        let start = content.node(content.start).id.clone();
        let mut to_version = None;
        for attempt in 0..MAX_ATTEMPTS {
            let prev = self.store.load(from).await?.ok_or(ServiceError::NoSession)?;
            let moved = Session {
                key: to.clone(),
                version: to_version.unwrap_or(0),
                receipts: Vec::new(),
                last_active: now,
                ..prev.clone()
            };
            match self.store.commit(to_version, &moved, &transfer_log(&moved, now, "transfer_in")).await? {
                Commit::Done { version } => to_version = Some(version),
                // Nobody else knows the fresh key.
                Commit::Conflict => return Err(ServiceError::Contention),
            }
            let fresh = Session { version: prev.version, ..Session::new(from.clone(), &start, now) };
            match self.store.commit(Some(prev.version), &fresh, &transfer_log(&prev, now, "transfer_out")).await? {
                Commit::Done { .. } => return Ok(()),
                Commit::Conflict if attempt >= 2 => {
                    tokio::time::sleep(std::time::Duration::from_micros(100 * attempt as u64)).await;
                }
                Commit::Conflict => {}
            }
        }
        Err(ServiceError::Contention)
    }

    async fn apply_with(
        &self,
        key: &SessionKey,
        inbound: &Inbound,
        now: i64,
        create: bool,
        msg_id: Option<&str>,
    ) -> Result<Applied, ServiceError> {
        let result = self.try_apply(key, inbound, now, create, msg_id).await;
        if matches!(result, Err(ServiceError::Store(_) | ServiceError::Contention)) {
            // The person gets an error instead of an answer.
            metrics::counter!("xg_send_failures_total", "channel" => key.channel().to_string()).increment(1);
        }
        result
    }

    async fn apply(&self, key: &SessionKey, inbound: &Inbound, now: i64, create: bool) -> Result<Step, ServiceError> {
        match self.apply_with(key, inbound, now, create, None).await? {
            Applied::Step(step) => Ok(*step),
            Applied::Replayed(_) => Err(ServiceError::NoSession),
        }
    }

    async fn try_apply(
        &self,
        key: &SessionKey,
        inbound: &Inbound,
        now: i64,
        create: bool,
        msg_id: Option<&str>,
    ) -> Result<Applied, ServiceError> {
        for attempt in 0..MAX_ATTEMPTS {
            let prev = self.store.load(key).await?;
            if prev.is_none() && !create && attempt == 0 {
                return Err(ServiceError::NoSession);
            }
            if let (Some(id), Some(p)) = (msg_id, &prev) {
                if let Some(r) = p.receipts.iter().find(|r| r.id == id) {
                    metrics::counter!("xg_redeliveries_total", "channel" => key.channel().to_string()).increment(1);
                    return Ok(Applied::Replayed(r.replies.clone()));
                }
            }
            let mut step = self.engine.load().step(prev.as_ref(), key, inbound, now);
            step.log.shown = shown(&step.replies, key.channel());
            if let Some(id) = msg_id {
                let receipts = &mut step.session.receipts;
                receipts.push(Receipt { id: id.to_string(), replies: step.replies.clone() });
                let excess = receipts.len().saturating_sub(MAX_RECEIPTS);
                receipts.drain(..excess);
            }
            let expected = prev.as_ref().map(|p| p.version);
            match self.store.commit(expected, &step.session, &step.log).await? {
                Commit::Done { .. } => {
                    let channel = key.channel().to_string();
                    if !step.log.matched && step.log.is_question() {
                        metrics::counter!("xg_not_understood_total", "channel" => channel.clone()).increment(1);
                    }
                    if let Some(kind) = &step.log.danger {
                        metrics::counter!("xg_danger_turns_total", "kind" => kind.clone()).increment(1);
                        self.alert(&step.log).await;
                    }
                    metrics::counter!("xg_messages_total", "channel" => channel).increment(1);
                    return Ok(Applied::Step(Box::new(step)));
                }
                Commit::Conflict => {
                    metrics::counter!("xg_commit_conflicts_total").increment(1);
                    if attempt >= 2 {
                        tokio::time::sleep(std::time::Duration::from_micros(100 * attempt as u64)).await;
                    }
                }
            }
        }
        Err(ServiceError::Contention)
    }
}

impl Bot {
    /// Opens the conversation's danger alert or adds the turn to it. The
    /// turn is committed already: a failure here is logged, and the alert
    /// upkeep finds the turn in the log (`alerts::reconcile`).
    async fn alert(&self, log: &LogRecord) {
        match crate::alerts::record_turn(&*self.store, log).await {
            Ok(crate::alerts::Recorded::Opened(_)) => {
                metrics::counter!("xg_alerts_opened_total").increment(1);
                self.alerts_wake.notify_one();
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "writing the danger alert failed; the upkeep will write it"),
        }
    }
}

/// Longest reply text kept in a log record, in characters.
pub const MAX_SHOWN_CHARS: usize = 2000;

/// The replies in plain text with their choices as the channel showed
/// them (buttons on the web page and Telegram, numbered lines on WeChat),
/// for transcripts.
fn shown(replies: &[Reply], channel: &str) -> String {
    use crate::channels::text;
    let buttons = !crate::engine::render::numbered(channel);
    let one = |r: &Reply| {
        if !buttons {
            return text::numbered(r);
        }
        let labels: Vec<String> = r.choices.iter().map(|c| format!("［{}］", c.label)).collect();
        let mut s = text::render(r);
        if !labels.is_empty() {
            s.push_str(&labels.join(" "));
            s.push('\n');
        }
        s
    };
    let all: Vec<String> = replies.iter().map(one).collect();
    all.join("\n").chars().take(MAX_SHOWN_CHARS).collect()
}

/// The log record of one side of a transfer (not a citizen's message).
fn transfer_log(s: &Session, now: i64, kind: &str) -> LogRecord {
    LogRecord {
        ts: now,
        channel: s.key.channel().to_string(),
        user: s.key.user().to_string(),
        source: s.source.clone(),
        node_from: s.node.clone(),
        node: s.node.clone(),
        input_kind: kind.to_string(),
        matched: true,
        category: s.slots.get("category").cloned(),
        ..LogRecord::default()
    }
}

/// Longest channel id kept as it is in a receipt (WeChat's MsgId is a
/// 64-bit number, Telegram's update id smaller still).
pub const MAX_RECEIPT_ID_BYTES: usize = 64;

/// The id a receipt keeps: the channel's own, or for a longer one (a forged
/// 60,000-digit MsgId grew the data dir 21-fold) its SHA-256, so the same
/// delivery still matches and a receipt stays small.
pub fn receipt_id(id: &str) -> String {
    if id.len() <= MAX_RECEIPT_ID_BYTES {
        return id.to_string();
    }
    use sha2::Digest;
    let hex: String = sha2::Sha256::digest(id.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

#[cfg(test)]
mod receipt_tests {
    use super::*;

    #[test]
    fn a_long_channel_id_is_kept_as_its_hash() {
        assert_eq!(receipt_id("1234567890123456"), "1234567890123456");
        let long = "9".repeat(60_000);
        let kept = receipt_id(&long);
        assert_eq!(kept.len(), 7 + 64);
        assert_eq!(kept, receipt_id(&long), "the same delivery matches");
        assert_ne!(kept, receipt_id(&"9".repeat(59_999)));
    }
}
