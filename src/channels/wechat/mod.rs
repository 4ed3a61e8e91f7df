//! The WeChat Official Account (公众号) channel at `/wechat`.
//!
//! `GET` answers the server verification (echo `echostr` when the signature
//! matches); `POST` takes a message push, checks its signature and age,
//! decrypts it in safe mode, runs it through `service::Bot` with the push's
//! id for de-duplication (WeChat re-delivers up to three times), and answers
//! with a passive XML reply in the same request. Choices are numbered
//! ("回复数字"); a typed number picks one (see `channels::text`).

pub mod crypto;
pub mod xml;

use crate::app::ClockFn;
use crate::app::source_tag;
use crate::config::{Secret, WechatSettings};
use crate::engine::choice::{ChoiceId, Cmd, Name};
use crate::engine::reply::{Inbound, Reply, UserInput};
use crate::engine::session::SessionKey;
use crate::service::{Bot, ServiceError};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use crypto::Cipher;
use serde::Deserialize;
use std::sync::Arc;

pub const CHANNEL: &str = "wechat";
pub const PATH: &str = "/wechat";
/// Longest passive text reply WeChat delivers, in bytes.
pub const REPLY_LIMIT_BYTES: usize = 2048;

/// A voice message without recognised text.
pub const VOICE_UNREAD: &str = "抱歉，这段语音我听不了。请用文字把您的问题发过来：不方便打字的，可以用手机输入法里的话筒（语音输入）说话，转成文字后再点发送。也可以回复“菜单”看看能咨询哪些事，回复“人工”了解怎样找工作人员。";
pub const UNSUPPORTED: &str = "目前我只能看懂文字消息。请用文字描述您的问题，或回复“菜单”查看可以咨询的事项。";
pub const BUSY: &str = "系统正忙，请稍后再发一次。";
/// A custom-menu key that names no choice (a console setting gone wrong).
pub const UNKNOWN_MENU: &str = "这个菜单暂时用不了。请回复“菜单”查看可以咨询的事项，或直接用文字说说您的问题。";

#[derive(Debug, thiserror::Error)]
pub enum WechatConfigError {
    #[error("[wechat] aes_key is set but appid is empty: compatible and safe mode need the AppID")]
    NoAppId,
    #[error("[wechat] aes_key: {0}")]
    Key(#[from] crypto::CryptoError),
    #[error("[wechat] mode {0:?}: expected plain (明文), compat (兼容) or safe (安全)")]
    Mode(String),
    #[error("[wechat] mode is {0} but aes_key is empty: set the EncodingAESKey of the MP console")]
    NoKey(&'static str),
    #[error("[wechat] mode is plain but aes_key is set: say mode = \"compat\" or \"safe\", or clear the key")]
    KeyInPlainMode,
}

/// The message encryption mode chosen in the MP console (消息加解密方式).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// 明文模式: pushes and replies in clear, authenticated by `signature` only.
    Plain,
    /// 兼容模式: WeChat sends both; an encrypted push is checked and answered
    /// encrypted, a plaintext one is answered in clear.
    Compat,
    /// 安全模式: only encrypted pushes with a valid `msg_signature` are taken.
    Safe,
}

impl Mode {
    /// `[wechat] mode`; empty means safe when an AES key is set, else plain.
    pub fn from_settings(s: &WechatSettings) -> Result<Self, WechatConfigError> {
        let key = s.aes_key.is_set();
        let mode = match s.mode.trim() {
            "" if key => Mode::Safe,
            "" => Mode::Plain,
            "plain" | "明文" => Mode::Plain,
            "compat" | "兼容" => Mode::Compat,
            "safe" | "安全" => Mode::Safe,
            other => return Err(WechatConfigError::Mode(other.to_string())),
        };
        match (mode, key) {
            (Mode::Plain, true) => Err(WechatConfigError::KeyInPlainMode),
            (Mode::Compat | Mode::Safe, false) => Err(WechatConfigError::NoKey(mode.as_str())),
            _ => Ok(mode),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Plain => "plain",
            Mode::Compat => "compat",
            Mode::Safe => "safe",
        }
    }
}

#[derive(Clone)]
pub struct Wechat {
    inner: Arc<Inner>,
}

struct Inner {
    bot: Bot,
    token: Secret,
    mode: Mode,
    cipher: Option<Cipher>,
    max_skew: u64,
    web_url: String,
    clock: ClockFn,
}

impl Wechat {
    /// The channel when `[wechat] token` is set; `None` when it is off.
    pub fn from_settings(s: &WechatSettings, bot: Bot, clock: ClockFn) -> Result<Option<Self>, WechatConfigError> {
        if !s.token.is_set() {
            return Ok(None);
        }
        let mode = Mode::from_settings(s)?;
        let cipher = if mode != Mode::Plain {
            if s.appid.trim().is_empty() {
                return Err(WechatConfigError::NoAppId);
            }
            Some(Cipher::new(s.aes_key.expose(), s.appid.trim())?)
        } else {
            None
        };
        let inner = Inner {
            bot,
            token: s.token.clone(),
            mode,
            cipher,
            max_skew: s.max_clock_skew_secs.max(0).unsigned_abs(),
            web_url: s.web_url.clone(),
            clock,
        };
        Ok(Some(Self { inner: Arc::new(inner) }))
    }

    pub fn mode(&self) -> Mode {
        self.inner.mode
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route(PATH, get(verify).post(push))
            .layer(DefaultBodyLimit::max(xml::MAX_BODY_BYTES))
            .with_state(self.clone())
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    signature: Option<String>,
    timestamp: Option<String>,
    nonce: Option<String>,
    echostr: Option<String>,
    encrypt_type: Option<String>,
    msg_signature: Option<String>,
}

/// Why a request was refused; the body says so in a few words, no secrets.
#[derive(Debug, thiserror::Error)]
enum Refused {
    #[error("signature, timestamp and nonce are required")]
    Missing,
    #[error("bad signature")]
    Signature,
    #[error("timestamp too far from the server's clock")]
    Stale,
    #[error("{0}")]
    Xml(#[from] xml::XmlError),
    #[error("encrypted message but safe mode is not configured")]
    NoSafeMode,
    #[error("safe mode takes only encrypted messages")]
    Plaintext,
    #[error("{0}")]
    Crypto(#[from] crypto::CryptoError),
    #[error("missing sender")]
    Sender,
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let status = match self {
            Refused::Signature
            | Refused::Stale
            | Refused::Plaintext
            | Refused::Crypto(crypto::CryptoError::WrongAppId) => StatusCode::FORBIDDEN,
            Refused::Xml(xml::XmlError::TooLarge) => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        };
        tracing::warn!(channel = CHANNEL, status = status.as_u16(), reason = %self, "push refused");
        (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], self.to_string()).into_response()
    }
}

impl Inner {
    /// Checks `signature` and the timestamp's age; returns (timestamp, nonce).
    fn authenticate<'a>(&self, q: &'a Params) -> Result<(&'a str, &'a str), Refused> {
        let (Some(sig), Some(ts), Some(nonce)) = (&q.signature, &q.timestamp, &q.nonce) else {
            return Err(Refused::Missing);
        };
        let expected = crypto::signature(&[self.token.expose(), ts, nonce]);
        if !crypto::signature_matches(&expected, sig) {
            return Err(Refused::Signature);
        }
        let t: i64 = ts.trim().parse().map_err(|_| Refused::Stale)?;
        // `abs_diff` cannot overflow, whatever timestamp was signed.
        if t.abs_diff((self.clock)()) > self.max_skew {
            return Err(Refused::Stale);
        }
        Ok((ts, nonce))
    }
}

async fn verify(State(w): State<Wechat>, Query(q): Query<Params>) -> Result<Response, Refused> {
    w.inner.authenticate(&q)?;
    let echo = q.echostr.unwrap_or_default();
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], echo).into_response())
}

async fn push(State(w): State<Wechat>, Query(q): Query<Params>, body: Bytes) -> Result<Response, Refused> {
    let inner = &w.inner;
    let (ts, nonce) = inner.authenticate(&q)?;
    let outer = xml::parse(&body)?;
    let encrypted = q.encrypt_type.as_deref().is_some_and(|t| t.trim().eq_ignore_ascii_case("aes"));
    if inner.mode == Mode::Safe && !encrypted {
        // The outer signature covers no part of the body: in safe mode only
        // `msg_signature` (over the ciphertext) authenticates a message.
        return Err(Refused::Plaintext);
    }
    let msg = if encrypted {
        let cipher = inner.cipher.as_ref().ok_or(Refused::NoSafeMode)?;
        let enc = outer.encrypt.as_deref().ok_or(Refused::Missing)?;
        let msg_sig = q.msg_signature.as_deref().ok_or(Refused::Missing)?;
        let expected = crypto::signature(&[inner.token.expose(), ts, nonce, enc]);
        if !crypto::signature_matches(&expected, msg_sig) {
            return Err(Refused::Signature);
        }
        xml::parse(cipher.decrypt(enc)?.as_bytes())?
    } else {
        outer
    };
    if msg.from_user_name.is_empty() {
        return Err(Refused::Sender);
    }
    let Some(text) = inner.answer(&msg).await else {
        // "success": nothing to say, and WeChat will not retry.
        return Ok("success".into_response());
    };
    let now = (inner.clock)();
    let plain = xml::text_reply(&msg.from_user_name, &msg.to_user_name, now, &text);
    let out = match (&inner.cipher, encrypted) {
        (Some(c), true) => {
            let enc = c.encrypt(&plain, rand::random());
            let nonce: String = format!("{}", rand::random::<u32>());
            let ts = now.to_string();
            let sig = crypto::signature(&[inner.token.expose(), &ts, &nonce, &enc]);
            xml::encrypted_reply(&enc, &sig, &ts, &nonce)
        }
        _ => plain,
    };
    Ok(([(header::CONTENT_TYPE, "application/xml; charset=utf-8")], out).into_response())
}

impl Inner {
    /// The text to answer a push with, or `None` for pushes that need none.
    async fn answer(&self, m: &xml::Incoming) -> Option<String> {
        let inbound = match inbound(m)? {
            Ok(i) => i,
            Err(polite) => return Some(polite.to_string()),
        };
        let Ok(key) = SessionKey::parse(CHANNEL, &m.from_user_name) else {
            return Some(UNSUPPORTED.to_string());
        };
        // WeChat's id for this delivery: MsgId, or sender + time for events.
        let id = match &m.msg_id {
            Some(id) if !id.trim().is_empty() => id.trim().to_string(),
            _ => format!(
                "{}:{}:{}:{}",
                m.create_time,
                m.msg_type,
                m.event.as_deref().unwrap_or(""),
                m.event_key.as_deref().unwrap_or("")
            ),
        };
        match self.bot.handle_once(&key, &inbound, (self.clock)(), &id).await {
            Ok(d) => Some(render(&d.replies, &self.web_url)),
            Err(ServiceError::Contention) => Some(BUSY.to_string()),
            Err(e) => {
                tracing::error!(channel = CHANNEL, error = %e, "message not handled");
                Some(BUSY.to_string())
            }
        }
    }
}

/// What a push means to the engine: `None` when nothing is to be said,
/// `Err(text)` for kinds the bot cannot read (answered politely, not logged).
fn inbound(m: &xml::Incoming) -> Option<Result<Inbound, &'static str>> {
    match m.msg_type.as_str() {
        "text" => Some(Ok(Inbound::text(clean(m.content.as_deref().unwrap_or_default())))),
        "event" => {
            let key = m.event_key.as_deref().unwrap_or("").trim();
            match m.event.as_deref().map(str::to_ascii_lowercase).as_deref() {
                // Following by a parametric QR code carries `qrscene_<tag>`.
                Some("subscribe") => {
                    let src = key.strip_prefix("qrscene_").and_then(|t| source_tag(Some(t)).ok().flatten());
                    Some(Ok(Inbound::new(UserInput::Choice(ChoiceId::cmd(Cmd::Start)), src)))
                }
                Some("click") => Some(menu_choice(key).map(Inbound::choice).ok_or(UNKNOWN_MENU)),
                _ => None,
            }
        }
        // Many older people speak rather than type: the account's speech
        // recognition text is answered like typed text (logged as voice).
        "voice" => match m.recognition.as_deref().map(clean).filter(|t| !t.trim().is_empty()) {
            Some(t) => Some(Ok(Inbound { voice: true, ..Inbound::text(t) })),
            None => Some(Err(VOICE_UNREAD)),
        },
        _ => Some(Err(UNSUPPORTED)),
    }
}

/// Control characters out (newlines and tabs stay); never cut: the engine
/// refuses text over the limit with a reply saying so.
fn clean(t: &str) -> String {
    t.chars().filter(|c| !c.is_control() || matches!(c, '\n' | '\t')).collect()
}

/// A custom-menu button's `key` as set in the MP console: `menu`, `help`,
/// `handoff`, `cat:<category id>`, or the id of a dialog entry point
/// (`commands.toml` `entries`, e.g. `howto`, `route_start`).
/// `None` for a key that is neither (set wrongly in the console).
pub fn menu_choice(key: &str) -> Option<ChoiceId> {
    match key {
        "menu" | "start" => Some(ChoiceId::cmd(Cmd::Start)),
        "help" => Some(ChoiceId::cmd(Cmd::Help)),
        "handoff" => Some(ChoiceId::cmd(Cmd::Handoff)),
        k if k.starts_with("cat:") => k.parse().ok(),
        k => Name::parse(k).ok().map(ChoiceId::Enter),
    }
}

/// The replies as one text within WeChat's limit: everything said, then the
/// choices of the last reply that has any. Too long: the body is cut at a
/// line end and a pointer to the web chat added; the choices always stay.
pub fn render(replies: &[Reply], web_url: &str) -> String {
    use super::text;
    let body: String = replies.iter().map(text::render).collect::<Vec<_>>().join("\n");
    let tail = replies.iter().rev().find(|r| !r.choices.is_empty()).map(text::choices_text).unwrap_or_default();
    let full = format!("{body}{}{tail}", if tail.is_empty() { "" } else { "\n" });
    if full.len() <= REPLY_LIMIT_BYTES {
        return full.trim_end().to_string();
    }
    let pointer = if web_url.trim().is_empty() {
        "……（内容较长，已省略部分。可回复“人工”了解如何联系工作人员。）\n".to_string()
    } else {
        format!("……（内容较长，完整内容请打开网页版：{}）\n", web_url.trim())
    };
    let budget = REPLY_LIMIT_BYTES.saturating_sub(tail.len() + pointer.len() + 1);
    let head = text::split(&body, budget.max(1), str::len).into_iter().next().unwrap_or_default();
    let out = format!("{head}\n{pointer}{tail}");
    if out.len() <= REPLY_LIMIT_BYTES {
        return out.trim_end().to_string();
    }
    text::split(&out, REPLY_LIMIT_BYTES, str::len).into_iter().next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::reply::ChoiceOut;

    #[test]
    fn long_answers_fit_and_keep_their_choices() {
        let mut r = Reply::plain("很长的说明。\n".repeat(400));
        r.choices = vec![ChoiceOut { id: "n.1".parse().expect("id"), label: "继续".into() }];
        let out = render(&[r], "https://example.org/");
        assert!(out.len() <= REPLY_LIMIT_BYTES, "{}", out.len());
        assert!(out.contains("https://example.org/") && out.ends_with("1. 继续"), "{out}");
    }

    #[test]
    fn menu_keys_map_to_choice_ids() {
        let id = |k: &str| menu_choice(k).map(|c| c.to_string());
        assert_eq!(id("menu").as_deref(), Some("cmd:start"));
        assert_eq!(id("cat:labor").as_deref(), Some("cat:labor"));
        assert_eq!(id("howto").as_deref(), Some("enter:howto"));
        assert_eq!(id("cat:<x>"), None);
        assert_eq!(id("Route Start"), None);
    }
}
