//! The duty message about a new alert, in the JSON a 企业微信 group robot
//! (`wecom`), a 钉钉 robot (`dingtalk`) or any other receiver (`json`)
//! takes. Pure: the body, and whether a robot's answer says it was taken.
//!
//! What is sent: the kind, the time, the channel and the console link (when
//! `[server] public_url` is set). No citizen text, unless `include_text`
//! asks for the masked text (a message about self-harm is sensitive
//! personal information: off by default).

use super::{Alert, kind_name};
use serde_json::{Value, json};

/// The robot a webhook posts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Wecom,
    Dingtalk,
    Json,
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "wecom" => Ok(Self::Wecom),
            "dingtalk" => Ok(Self::Dingtalk),
            "json" => Ok(Self::Json),
            other => Err(format!("[alerts] format {other:?}: wecom, dingtalk or json")),
        }
    }
}

/// What goes into one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub kind: String,
    pub time: i64,
    pub channel: String,
    /// The console page of alerts, if the server's public URL is known.
    pub link: Option<String>,
    /// The masked text, only when `include_text` is set.
    pub text: Option<String>,
}

impl Message {
    pub fn of(a: &Alert, public_url: &str, text: Option<String>) -> Self {
        let base = public_url.trim().trim_end_matches('/');
        Self {
            kind: a.kinds.first().cloned().unwrap_or_default(),
            time: a.opened,
            channel: a.channel.clone(),
            link: (!base.is_empty()).then(|| format!("{base}/staff/alerts")),
            text,
        }
    }
}

/// A channel as staff read it.
pub fn channel_name(channel: &str) -> &str {
    match channel {
        "web" => "网页",
        "kiosk" => "宣传日自助屏",
        "wechat" => "微信公众号",
        "telegram" => "Telegram",
        other => other,
    }
}

fn markdown(m: &Message) -> String {
    let mut s = format!(
        "### 依法信访指引：危险提醒\n> 类型：{}\n> 时间：{}\n> 渠道：{}\n",
        kind_name(&m.kind),
        crate::analysis::time_text(m.time),
        channel_name(&m.channel)
    );
    if let Some(t) = &m.text {
        s.push_str(&format!("> 内容（已隐去个人信息）：{t}\n"));
    }
    match &m.link {
        Some(l) => s.push_str(&format!("\n请值班人员尽快在控制台查看并处理：[打开危险提醒]({l})")),
        None => s.push_str("\n请值班人员尽快在控制台“危险提醒”中查看并处理。"),
    }
    s
}

/// The body to post.
pub fn body(format: Format, m: &Message) -> Value {
    match format {
        Format::Wecom => json!({"msgtype": "markdown", "markdown": {"content": markdown(m)}}),
        Format::Dingtalk => {
            json!({"msgtype": "markdown", "markdown": {"title": "依法信访指引：危险提醒", "text": markdown(m)}})
        }
        Format::Json => {
            let mut v = json!({
                "event": "danger_alert",
                "kind": m.kind,
                "kind_name": kind_name(&m.kind),
                "time": m.time,
                "channel": m.channel,
                "link": m.link,
            });
            if let Some(t) = &m.text {
                v["text"] = json!(t);
            }
            v
        }
    }
}

/// Whether the receiver took the message: a 2xx answer, and for the robots
/// `errcode` 0 (they answer 200 with an error code otherwise).
pub fn accepted(format: Format, status: u16, answer: &str) -> bool {
    if !(200..300).contains(&status) {
        return false;
    }
    match format {
        Format::Json => true,
        Format::Wecom | Format::Dingtalk => {
            serde_json::from_str::<Value>(answer).ok().and_then(|v| v["errcode"].as_i64()) == Some(0)
        }
    }
}

/// A 钉钉 robot with 加签: the URL with `timestamp` (milliseconds) and the
/// HMAC-SHA256 signature of "timestamp\nsecret", base64, URL-encoded.
pub fn dingtalk_signed(url: &str, secret: &str, millis: i64) -> String {
    use hmac::{KeyInit, Mac};
    let to_sign = format!("{millis}\n{secret}");
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else { return url.to_string() };
    mac.update(to_sign.as_bytes());
    use base64::Engine as _;
    let sign = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let sign: String = url::form_urlencoded::byte_serialize(sign.as_bytes()).collect();
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}timestamp={millis}&sign={sign}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert() -> Alert {
        Alert {
            id: "a:1".into(),
            channel: "wechat".into(),
            user: "oUser".into(),
            opened: 1_795_744_800,
            last: 1_795_744_800,
            kinds: vec!["self_harm".into()],
            turns: vec![crate::alerts::Turn { ts: 1_795_744_800, h: 0 }],
            handled: None,
            notice: None,
        }
    }

    #[test]
    fn robots_get_markdown_with_the_kind_time_channel_and_link_and_no_text() {
        let m = Message::of(&alert(), "https://xf.example.org/", None);
        let v = body(Format::Wecom, &m);
        let md = v["markdown"]["content"].as_str().expect("content");
        assert_eq!(v["msgtype"], "markdown");
        assert!(md.contains("自伤自杀风险") && md.contains("2026-11-27 10:00") && md.contains("微信公众号"), "{md}");
        assert!(md.contains("https://xf.example.org/staff/alerts"), "{md}");
        assert!(!md.contains("oUser"), "no user id");
        let d = body(Format::Dingtalk, &m);
        assert!(d["markdown"]["title"].as_str().is_some() && d["markdown"]["text"].as_str().is_some());
        let j = body(Format::Json, &m);
        assert_eq!((j["kind"].as_str(), j.get("text")), (Some("self_harm"), None));
    }

    #[test]
    fn the_masked_text_is_sent_only_when_asked() {
        let m = Message::of(&alert(), "", Some("我不想活了".into()));
        assert!(body(Format::Wecom, &m)["markdown"]["content"].as_str().expect("md").contains("我不想活了"));
        assert_eq!(body(Format::Json, &m)["text"], "我不想活了");
        assert_eq!(m.link, None);
    }

    #[test]
    fn robots_answer_200_with_an_error_code_when_they_refuse() {
        assert!(accepted(Format::Wecom, 200, r#"{"errcode":0,"errmsg":"ok"}"#));
        assert!(!accepted(Format::Wecom, 200, r#"{"errcode":93000,"errmsg":"invalid webhook url"}"#));
        assert!(!accepted(Format::Dingtalk, 200, "not json"));
        assert!(accepted(Format::Json, 204, ""));
        assert!(!accepted(Format::Json, 502, ""));
    }

    #[test]
    fn dingtalk_signatures_follow_its_recipe() {
        let u = dingtalk_signed("https://oapi.dingtalk.com/robot/send?access_token=T", "SEC", 1_700_000_000_000);
        assert!(u.starts_with("https://oapi.dingtalk.com/robot/send?access_token=T&timestamp=1700000000000&sign="));
        assert!(!u.ends_with("sign="));
    }
}
