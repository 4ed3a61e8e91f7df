//! The Telegram channel through teloxide: long polling, or a webhook mounted
//! on the same axum server (secret-token header checked by teloxide).
//!
//! Updates are dispatched by teloxide's `Dispatcher` (one chat's updates in
//! order, chats in parallel). A text message, a `/command` or an inline
//! button press becomes an `Inbound` for the session `telegram:<chat id>`;
//! the update id de-duplicates a re-delivery (after a crash before the
//! offset was confirmed). Replies go out as HTML messages under 4,096
//! characters, cut at line ends, with the choices as an inline keyboard on
//! the last piece; the keyboard of a pressed message is removed.

use super::lease::{Ended, Lease};
use super::text;
use crate::app::ClockFn;
use crate::app::source_tag;
use crate::config::TelegramSettings;
use crate::engine::choice::{ChoiceId, Cmd};
use crate::engine::reply::{Inbound, Reply, UserInput};
use crate::engine::session::SessionKey;
use crate::service::{Bot as Service, ServiceError};
use std::sync::Arc;
use std::time::Duration;
use teloxide::dispatching::{Dispatcher, ShutdownToken, UpdateFilterExt, UpdateHandler};
use teloxide::error_handlers::LoggingErrorHandler;
use teloxide::prelude::*;
use teloxide::types::{CallbackQuery, ChatId, InlineKeyboardButton, InlineKeyboardMarkup, Message, ParseMode, Update};
use teloxide::update_listeners::{Polling, webhooks};
use teloxide::{ApiError, RequestError};

pub const CHANNEL: &str = "telegram";
/// Telegram's limit on one message, in UTF-16 code units after entity parsing.
pub const MESSAGE_LIMIT: usize = 4096;
/// Telegram's limit on `callback_data`, in bytes.
const CALLBACK_LIMIT: usize = 64;
/// How often one message is re-sent after 429 or a network failure.
const SEND_ATTEMPTS: usize = 4;
/// Longest 429 wait honoured before the message is given up (and logged).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

pub const UNSUPPORTED: &str = "目前我只能看懂文字消息。请用文字描述您的问题，或发送 /menu 查看可以咨询的事项。";
pub const EDITED: &str = "修改过的消息不会重新处理。如需更正，请直接再发一条新消息。";
pub const BUSY: &str = "系统正忙，请稍后再发一次。";
/// A pressed button whose data is not a choice id of ours.
pub const STALE_BUTTON: &str = "这个按钮已经失效了。请发送 /menu 重新开始，或直接用文字说说您的问题。";

#[derive(Debug, thiserror::Error)]
pub enum TelegramError {
    #[error("[telegram] api_url {0:?} is not a URL")]
    ApiUrl(String),
    #[error("[telegram] mode must be `polling` or `webhook`, not {0:?}")]
    Mode(String),
    #[error("[telegram] webhook mode needs webhook_url (the public HTTPS URL Telegram posts to)")]
    WebhookUrl,
    #[error("[telegram] webhook_secret must be 1-256 of A-Z a-z 0-9 _ -")]
    Secret,
    #[error("Telegram refused the bot token (check XG_TELEGRAM_TOKEN): {0}")]
    Token(String),
    #[error("cannot reach the Telegram Bot API: {0}")]
    Api(String),
}

/// A running Telegram channel.
pub struct Telegram {
    /// The webhook route to mount on the server (webhook mode only).
    pub router: Option<axum::Router>,
    pub username: String,
    pub mode: &'static str,
    stop: Stop,
    task: tokio::task::JoinHandle<()>,
}

enum Stop {
    Webhook(ShutdownToken),
    /// The polling loop (lease, dispatcher, renewals) watches this.
    Polling(tokio::sync::watch::Sender<bool>),
}

impl Telegram {
    /// Stops taking updates and waits for the ones in hand to be answered.
    pub async fn stop(self) {
        match self.stop {
            Stop::Webhook(token) => {
                if let Ok(done) = token.shutdown() {
                    done.await;
                }
            }
            Stop::Polling(tx) => {
                let _ = tx.send(true);
            }
        }
        let _ = self.task.await;
    }
}

/// Name of the lease the polling instance holds.
pub const POLLER_LEASE: &str = "telegram-poller";

/// Polls while this instance holds the poller lease: several instances on
/// one database poll one at a time (Telegram answers a second poller with
/// 409 Conflict); when the holder stops or dies, another takes over within
/// `LEASE_SECS`. With sled the lease is always this process's.
async fn poll_with_lease(
    bot: teloxide::Bot,
    ctx: Arc<Ctx>,
    lease: Lease,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        if !lease.acquire(&mut stop).await {
            return;
        }
        tracing::info!(channel = CHANNEL, "this instance polls Telegram (it holds the poller lease)");
        let mut dispatcher = dispatcher(bot.clone(), ctx.clone());
        let token = dispatcher.shutdown_token();
        let listener = Polling::builder(bot.clone()).timeout(Duration::from_secs(25)).delete_webhook().await.build();
        let mut run = tokio::spawn(async move {
            let errors = LoggingErrorHandler::with_custom_text("Telegram polling error");
            if let Err(e) = dispatcher.try_dispatch_with_listener(listener, errors).await {
                tracing::error!(channel = CHANNEL, error = %e, "Telegram dispatcher stopped");
            }
        });
        let ended = tokio::select! {
            e = lease.keep(&mut stop) => e,
            _ = &mut run => Ended::Lost,
        };
        // The dispatcher may still be starting: ask until it has stopped.
        while !run.is_finished() {
            match token.shutdown() {
                Ok(done) => {
                    done.await;
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
        let _ = run.await;
        if ended == Ended::Stopped {
            return;
        }
        tracing::warn!(channel = CHANNEL, "lost the Telegram poller lease; polling stopped, waiting to take it again");
    }
}

fn dispatcher(
    bot: teloxide::Bot,
    ctx: Arc<Ctx>,
) -> Dispatcher<teloxide::Bot, RequestError, teloxide::dispatching::DefaultKey> {
    Dispatcher::builder(bot, schema())
        .dependencies(dptree::deps![ctx])
        .default_handler(|upd| async move { tracing::debug!(channel = CHANNEL, id = upd.id.0, "update ignored") })
        .build()
}

struct Ctx {
    service: Service,
    clock: ClockFn,
}

/// Starts the channel when `[telegram] token` is set (`Ok(None)` when not):
/// checks the token with `getMe`, then polls, or registers the webhook.
pub async fn start(s: &TelegramSettings, service: Service, clock: ClockFn) -> Result<Option<Telegram>, TelegramError> {
    if !s.token.is_set() {
        return Ok(None);
    }
    let api = reqwest::Url::parse(s.api_url.trim()).map_err(|_| TelegramError::ApiUrl(s.api_url.clone()))?;
    let bot = teloxide::Bot::new(s.token.expose().trim()).set_api_url(api);
    let me = bot.get_me().await.map_err(|e| match e {
        RequestError::Api(ApiError::InvalidToken) => TelegramError::Token(e.to_string()),
        other => TelegramError::Api(other.to_string()),
    })?;
    let lease = Lease {
        store: service.store.clone(),
        name: POLLER_LEASE,
        holder: crate::app::new_token(),
        clock: clock.clone(),
    };
    let ctx = Arc::new(Ctx { service, clock });
    let username = me.username.clone().unwrap_or_default();
    match s.mode.as_str() {
        "polling" => {
            let (tx, rx) = tokio::sync::watch::channel(false);
            let task = tokio::spawn(poll_with_lease(bot, ctx, lease, rx));
            Ok(Some(Telegram { router: None, username, mode: "polling", stop: Stop::Polling(tx), task }))
        }
        "webhook" => {
            let url = reqwest::Url::parse(s.webhook_url.trim()).map_err(|_| TelegramError::WebhookUrl)?;
            let mut opts = webhooks::Options::new(([127, 0, 0, 1], 0).into(), url);
            if s.webhook_secret.is_set() {
                let secret = s.webhook_secret.expose().trim();
                let ok = (1..=256).contains(&secret.len())
                    && secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if !ok {
                    return Err(TelegramError::Secret);
                }
                opts = opts.secret_token(secret.to_string());
            }
            let (listener, _stopped, router) =
                webhooks::axum_to_router(bot.clone(), opts).await.map_err(|e| TelegramError::Api(e.to_string()))?;
            let mut dispatcher = dispatcher(bot, ctx);
            let shutdown = dispatcher.shutdown_token();
            let task = tokio::spawn(async move {
                let errors = LoggingErrorHandler::with_custom_text("Telegram webhook error");
                if let Err(e) = dispatcher.try_dispatch_with_listener(listener, errors).await {
                    tracing::error!(channel = CHANNEL, error = %e, "Telegram dispatcher stopped");
                }
            });
            Ok(Some(Telegram { router: Some(router), username, mode: "webhook", stop: Stop::Webhook(shutdown), task }))
        }
        other => Err(TelegramError::Mode(other.to_string())),
    }
}

fn schema() -> UpdateHandler<RequestError> {
    dptree::entry()
        .branch(Update::filter_message().endpoint(on_message))
        .branch(Update::filter_edited_message().endpoint(on_edited))
        .branch(Update::filter_callback_query().endpoint(on_callback))
}

async fn on_message(bot: teloxide::Bot, ctx: Arc<Ctx>, upd: Update, msg: Message) -> Result<(), RequestError> {
    let chat = msg.chat.id;
    match msg.text() {
        Some(t) => turn(&bot, &ctx, chat, &command(t), upd.id.0).await,
        None => {
            // Photos, stickers, voice, files…: the bot reads text only.
            send(&bot, chat, &[(html(UNSUPPORTED), None)]).await;
        }
    }
    Ok(())
}

async fn on_edited(bot: teloxide::Bot, msg: Message) -> Result<(), RequestError> {
    send(&bot, msg.chat.id, &[(html(EDITED), None)]).await;
    Ok(())
}

async fn on_callback(bot: teloxide::Bot, ctx: Arc<Ctx>, upd: Update, q: CallbackQuery) -> Result<(), RequestError> {
    if let Err(e) = bot.answer_callback_query(q.id.clone()).await {
        tracing::debug!(channel = CHANNEL, error = %e, "answerCallbackQuery failed");
    }
    let Some(msg) = &q.message else { return Ok(()) };
    let chat = msg.chat().id;
    // The buttons were for that moment: remove them so an old one is not pressed again.
    if let Err(e) = bot.edit_message_reply_markup(chat, msg.id()).await {
        tracing::debug!(channel = CHANNEL, error = %e, "removing the keyboard failed");
    }
    let data = q.data.as_deref().unwrap_or_default();
    let inbound = match data.strip_prefix("t:") {
        Some(label) => Inbound::text(label),
        None => match Inbound::parse_choice(data) {
            Ok(i) => i,
            // Not a button of ours (forged, or from an older version).
            Err(_) => {
                send(&bot, chat, &[(html(STALE_BUTTON), None)]).await;
                return Ok(());
            }
        },
    };
    turn(&bot, &ctx, chat, &inbound, upd.id.0).await;
    Ok(())
}

/// `/start [tag]`, `/menu`, `/help`, `/reset`, `/back` as choices; other text as it is.
pub fn command(t: &str) -> Inbound {
    let trimmed = t.trim();
    let mut words = trimmed.split_whitespace();
    let first = words.next().unwrap_or("");
    let Some(cmd) = first.strip_prefix('/') else { return Inbound::text(t) };
    // In groups commands come as /menu@SomeBot.
    let cmd = cmd.split('@').next().unwrap_or("").to_ascii_lowercase();
    let choice = match cmd.as_str() {
        "start" => {
            // Deep links (t.me/bot?start=TAG) carry the source tag.
            let source = words.next().and_then(|p| source_tag(Some(p)).ok().flatten());
            return Inbound::new(UserInput::Choice(ChoiceId::cmd(Cmd::Start)), source);
        }
        "menu" | "reset" => Cmd::Start,
        "help" => Cmd::Help,
        "back" => Cmd::Back,
        "human" | "handoff" => Cmd::Handoff,
        _ => return Inbound::text(t),
    };
    Inbound::choice(ChoiceId::cmd(choice))
}

async fn turn(bot: &teloxide::Bot, ctx: &Ctx, chat: ChatId, inbound: &Inbound, update_id: u32) {
    let out = match SessionKey::parse(CHANNEL, &chat.0.to_string()) {
        Ok(key) => match ctx.service.handle_once(&key, inbound, (ctx.clock)(), &format!("u{update_id}")).await {
            Ok(d) => messages(&d.replies),
            Err(ServiceError::Contention) => vec![(html(BUSY), None)],
            Err(e) => {
                tracing::error!(channel = CHANNEL, chat = chat.0, error = %e, "message not handled");
                vec![(html(BUSY), None)]
            }
        },
        Err(_) => vec![(html(UNSUPPORTED), None)],
    };
    send(bot, chat, &out).await;
}

type Outgoing = (String, Option<InlineKeyboardMarkup>);

/// The replies as Telegram messages: HTML text within the limit, the
/// choices as an inline keyboard on the last piece of their reply.
pub fn messages(replies: &[Reply]) -> Vec<Outgoing> {
    let mut out = Vec::new();
    for r in replies {
        let body = text::render(r);
        // Measured escaped, so the HTML never exceeds the limit either.
        let pieces = text::split(&body, MESSAGE_LIMIT - 16, |s| text::utf16_len(&escape(s)) + 7);
        let n = pieces.len();
        for (i, p) in pieces.into_iter().enumerate() {
            let kb = (i + 1 == n && !r.choices.is_empty()).then(|| keyboard(r));
            out.push((html(&p), kb));
        }
    }
    out
}

fn keyboard(r: &Reply) -> InlineKeyboardMarkup {
    let rows = r.choices.iter().map(|c| {
        let id = c.id.to_string();
        let data = if id.len() <= CALLBACK_LIMIT {
            id
        } else {
            // Ids that do not fit are sent as the label typed (the engine knows labels).
            let mut d = format!("t:{}", c.label);
            while d.len() > CALLBACK_LIMIT {
                d.pop();
            }
            d
        };
        vec![InlineKeyboardButton::callback(c.label.clone(), data)]
    });
    InlineKeyboardMarkup::new(rows)
}

/// Escapes for `ParseMode::Html`; card headings (【…】) in bold.
pub fn html(s: &str) -> String {
    s.lines()
        .map(|l| {
            let e = escape(l);
            if l.starts_with('【') { format!("<b>{e}</b>") } else { e }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Sends the messages in order; waits out a 429's `retry_after` and retries
/// network failures a few times. A message that still fails is logged (the
/// user's turn is already stored) and the rest are not sent out of order.
async fn send(bot: &teloxide::Bot, chat: ChatId, msgs: &[Outgoing]) {
    for (text, kb) in msgs {
        let mut delivered = false;
        for attempt in 1..=SEND_ATTEMPTS {
            let mut req = bot.send_message(chat, text.clone()).parse_mode(ParseMode::Html);
            if let Some(kb) = kb {
                req = req.reply_markup(kb.clone());
            }
            match req.await {
                Ok(_) => {
                    delivered = true;
                    break;
                }
                Err(RequestError::RetryAfter(s)) if s.duration() <= MAX_RETRY_AFTER && attempt < SEND_ATTEMPTS => {
                    tracing::warn!(channel = CHANNEL, chat = chat.0, secs = s.seconds(), "rate limited, waiting");
                    tokio::time::sleep(s.duration()).await;
                }
                Err(RequestError::Network(e)) if attempt < SEND_ATTEMPTS => {
                    tracing::warn!(channel = CHANNEL, chat = chat.0, error = %e, "send failed, retrying");
                    tokio::time::sleep(Duration::from_millis(500 * attempt as u64)).await;
                }
                Err(e) => {
                    tracing::error!(channel = CHANNEL, chat = chat.0, error = %e, "reply not delivered");
                    break;
                }
            }
        }
        if !delivered {
            metrics::counter!("xg_send_failures_total", "channel" => CHANNEL).increment(1);
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::reply::ChoiceOut;

    #[test]
    fn commands_map_to_choices_and_deep_links_to_tags() {
        assert_eq!(command("/menu@XfBot"), Inbound::choice(ChoiceId::cmd(Cmd::Start)));
        assert_eq!(command("/help"), Inbound::choice(ChoiceId::cmd(Cmd::Help)));
        let s = command("/start 0509-square");
        assert_eq!(s.source.as_deref(), Some("0509-square"));
        assert_eq!(command("/start <bad tag>").source, None);
        assert_eq!(command("/unknown x"), Inbound::text("/unknown x"));
        assert_eq!(command("欠薪"), Inbound::text("欠薪"));
    }

    #[test]
    fn long_replies_split_under_the_limit_with_the_keyboard_last() {
        let mut r = Reply::plain("第一行 <b>&\n".repeat(1500));
        r.choices = vec![ChoiceOut { id: "n.1".parse().expect("id"), label: "好".into() }];
        let out = messages(&[r]);
        assert!(out.len() >= 3);
        for (i, (t, kb)) in out.iter().enumerate() {
            assert!(t.encode_utf16().count() <= MESSAGE_LIMIT);
            assert!(!t.contains("<b>&"), "escaped");
            assert_eq!(kb.is_some(), i + 1 == out.len());
        }
    }
}
