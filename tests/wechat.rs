//! The WeChat Official Account channel over real HTTP on a loopback port,
//! with pushes in the XML format of WeChat's documentation: verification,
//! a whole conversation by typed numbers, re-delivery, forged and malformed
//! requests, and safe mode (AES) both ways.

use serde::Deserialize;
use std::path::Path;
use std::sync::Arc;
use xinfang_guide::channels::wechat::crypto::{Cipher, signature};
use xinfang_guide::config::{Secret, Settings};
use xinfang_guide::server::{self, App};
use xinfang_guide::store::sled_store::SledOptions;
use xinfang_guide::store::{SledStore, Store};

const TOKEN: &str = "xg_test_token";
const APPID: &str = "wx5823bf96d3bd56c7";
const AES_KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

struct Wx {
    base: String,
    http: reqwest::Client,
    store: Arc<dyn Store>,
    cipher: Option<Cipher>,
    _stop: tokio::sync::oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ReplyXml {
    #[serde(default)]
    msg_type: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    encrypt: String,
    #[serde(default)]
    msg_signature: String,
    #[serde(default)]
    time_stamp: String,
    #[serde(default)]
    nonce: String,
}

async fn start(safe: bool) -> Wx {
    start_mode(if safe { "safe" } else { "plain" }).await
}

/// A server in the given WeChat mode (`plain`, `compat`, `safe`); the test
/// client encrypts its pushes unless the mode is plain.
async fn start_mode(mode: &str) -> Wx {
    let safe = mode != "plain";
    let dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> = SledStore::open(dir.path(), &SledOptions::default()).expect("open");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (loaded, diags) = xinfang_guide::understand::load_all(root);
    let (content, understanding) = loaded.unwrap_or_else(|| panic!("{diags}"));
    let mut s = Settings::load_with_env(None, std::iter::empty()).expect("defaults");
    s.limits.per_ip_per_second = 0;
    s.limits.per_session_per_second = 0;
    s.wechat.token = Secret::new(TOKEN);
    s.wechat.web_url = "https://xf.example.org/".into();
    s.wechat.mode = mode.into();
    if safe {
        s.wechat.appid = APPID.into();
        s.wechat.aes_key = Secret::new(AES_KEY);
    }
    let smart = Arc::new(xinfang_guide::understand::Smart { understanding });
    let app = App::with_store(s, content, smart, store.clone()).with_channels().expect("channels");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server::run(listener, app, async move {
        let _ = rx.await;
    }));
    let cipher = safe.then(|| Cipher::new(AES_KEY, APPID).expect("cipher"));
    Wx { base, http: reqwest::Client::new(), store, cipher, _stop: tx, _dir: dir }
}

fn now() -> i64 {
    server::unix_now()
}

fn text_xml(user: &str, msg_id: u64, content: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[gh_xf]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>\
         <CreateTime>{}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>\
         <MsgId>{msg_id}</MsgId></xml>",
        now()
    )
}

fn event_xml(user: &str, event: &str, key: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[gh_xf]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>\
         <CreateTime>{}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>\
         <EventKey><![CDATA[{key}]]></EventKey></xml>",
        now()
    )
}

impl Wx {
    /// Posts a push signed as WeChat signs it; returns status and body.
    async fn raw(&self, body: impl Into<reqwest::Body>, ts: i64, sig_token: &str) -> (u16, String) {
        let (ts, nonce) = (ts.to_string(), "1372623149".to_string());
        let sig = signature(&[sig_token, &ts, &nonce]);
        let url = format!("{}/wechat?signature={sig}&timestamp={ts}&nonce={nonce}&openid=o1", self.base);
        let r = self.http.post(url).body(body).send().await.expect("post");
        (r.status().as_u16(), r.text().await.expect("body"))
    }

    /// Posts a push (encrypted in safe mode) and returns the reply text.
    async fn push(&self, xml: &str) -> String {
        let Some(c) = &self.cipher else {
            let (status, body) = self.raw(xml.to_string(), now(), TOKEN).await;
            assert_eq!(status, 200, "{body}");
            let r: ReplyXml = quick_xml::de::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
            assert_eq!(r.msg_type, "text");
            return r.content;
        };
        let (ts, nonce) = (now().to_string(), "42".to_string());
        let enc = c.encrypt(xml, [9; 16]);
        let sig = signature(&[TOKEN, &ts, &nonce]);
        let msig = signature(&[TOKEN, &ts, &nonce, &enc]);
        let url = format!(
            "{}/wechat?signature={sig}&timestamp={ts}&nonce={nonce}&openid=o1&encrypt_type=aes&msg_signature={msig}",
            self.base
        );
        let body = format!("<xml><ToUserName><![CDATA[gh_xf]]></ToUserName><Encrypt><![CDATA[{enc}]]></Encrypt></xml>");
        let r = self.http.post(url).body(body).send().await.expect("post");
        assert_eq!(r.status().as_u16(), 200);
        let outer: ReplyXml = quick_xml::de::from_str(&r.text().await.expect("body")).expect("envelope");
        assert_eq!(outer.msg_signature, signature(&[TOKEN, &outer.time_stamp, &outer.nonce, &outer.encrypt]));
        let inner = c.decrypt(&outer.encrypt).expect("decrypt reply");
        let r: ReplyXml = quick_xml::de::from_str(&inner).expect("inner reply");
        r.content
    }
}

/// The number in front of the option whose label contains `label`.
fn number_of(reply: &str, label: &str) -> String {
    reply
        .lines()
        .find_map(|l| {
            let (n, rest) = l.split_once(". ")?;
            (n.chars().all(|c| c.is_ascii_digit()) && rest.contains(label)).then(|| n.to_string())
        })
        .unwrap_or_else(|| panic!("no option {label:?} in:\n{reply}"))
}

async fn conversation(wx: &Wx) {
    let user = "oUser_conversation";
    let menu = wx.push(&event_xml(user, "subscribe", "qrscene_0509-square")).await;
    assert!(menu.contains("请回复数字"), "{menu}");
    let mut id = 100;
    let mut say = |t: String| {
        id += 1;
        text_xml(user, id, &t)
    };
    let r = wx.push(&say(number_of(&menu, "我的问题该找哪里"))).await;
    assert!(r.contains("工资"), "{r}");
    let r = wx.push(&say(number_of(&r, "工资"))).await;
    let r = wx.push(&say(number_of(&r, "拖欠工资"))).await;
    let question = wx.push(&say(number_of(&r, "还没有申请劳动仲裁"))).await;
    let card = wx.push(&say(number_of(&question, "是"))).await;
    assert!(card.contains("【建议途径】") && card.contains("labor_inspection_12333"), "{card}");
    assert!(card.len() <= 2048, "{} bytes", card.len());
    // Back shows the question again; the menu word and handoff work too.
    // Feedback by number, then a comment (no prefix needed), then back by word.
    let asked = wx.push(&say(number_of(&card, "没帮助"))).await;
    assert!(asked.contains("哪里没帮上") && asked.contains("不填了"), "{asked}");
    let thanks = wx.push(&say("希望写得再短一点，电话 13912345678".into())).await;
    assert!(thanks.contains("已记下") && thanks.contains("可回复“返回上一步”"), "{thanks}");
    let back = wx.push(&say("返回上一步".into())).await;
    assert_eq!(back.lines().next(), question.lines().next(), "{back}");
    let again = wx.push(&say("菜单".into())).await;
    assert!(again.contains("我的问题该找哪里"), "{again}");
    let person = wx.push(&say("人工".into())).await;
    assert!(person.contains("电话"), "{person}");
    // Every turn is in the query log under the wechat channel and the QR tag.
    let log = wx.store.log_range(0, i64::MAX, None, 100).await.expect("log");
    let mine: Vec<_> = log.iter().filter(|e| e.record.user == user).collect();
    assert_eq!(mine.len(), 11);
    let fb: Vec<_> = mine.iter().filter_map(|e| e.record.feedback.clone()).collect();
    assert_eq!(fb[0].helpful, Some(false));
    let comment = fb[1].comment.as_deref().expect("comment");
    assert!(comment.contains("再短一点") && !comment.contains("13912345678"), "masked: {comment}");
    assert!(mine.iter().all(|e| e.record.channel == "wechat" && e.record.source.as_deref() == Some("0509-square")));
    // A typed number is logged as the button it picked, by label; the
    // transcript keeps the reply as WeChat showed it: numbered lines.
    let picked =
        mine.iter().find(|e| e.record.label.as_deref() == Some("还没有申请劳动仲裁")).expect("picked by number");
    assert_eq!(picked.record.role, Some(xinfang_guide::engine::reply::InputRole::Button));
    assert!(!picked.record.is_question(), "a number is not a question");
    let key = xinfang_guide::engine::session::SessionKey::parse("wechat", user).expect("key");
    let turns = wx.store.log_for_session(&key, 100).await.expect("transcript");
    assert!(turns.iter().any(|e| e.record.shown.contains("请回复数字：\n1. ")), "numbered in the transcript");
    assert!(turns.iter().all(|e| !e.record.shown.contains('［')), "no buttons on WeChat");
}

#[tokio::test]
async fn a_whole_conversation_by_numbers_in_plain_mode() {
    conversation(&start(false).await).await;
}

#[tokio::test]
async fn a_whole_conversation_in_safe_mode() {
    conversation(&start(true).await).await;
}

#[tokio::test]
async fn server_verification_echoes_only_for_a_good_signature() {
    let wx = start(false).await;
    let ts = now().to_string();
    let get = |sig: String, ts: String| {
        let url = format!("{}/wechat?signature={sig}&timestamp={ts}&nonce=7&echostr=hello123", wx.base);
        let http = wx.http.clone();
        async move {
            let r = http.get(url).send().await.expect("get");
            (r.status().as_u16(), r.text().await.expect("body"))
        }
    };
    assert_eq!(get(signature(&[TOKEN, &ts, "7"]), ts.clone()).await, (200, "hello123".to_string()));
    assert_eq!(get(signature(&["wrong", &ts, "7"]), ts.clone()).await.0, 403);
    let old = (now() - 3600).to_string();
    assert_eq!(get(signature(&[TOKEN, &old, "7"]), old).await.0, 403, "stale timestamp");
    let r = wx.http.get(format!("{}/wechat", wx.base)).send().await.expect("get");
    assert_eq!(r.status().as_u16(), 400);
}

#[tokio::test]
async fn a_retried_push_gets_the_same_answer_and_is_logged_once() {
    let wx = start(false).await;
    let xml = text_xml("oUser_retry", 777, "老板拖欠我三个月工资");
    let first = wx.push(&xml).await;
    // WeChat retries three times; two arrive at once here.
    let (a, b) = tokio::join!(wx.push(&xml), wx.push(&xml));
    assert_eq!((a.as_str(), b.as_str()), (first.as_str(), first.as_str()));
    assert_eq!(wx.push(&xml).await, first);
    let log = wx.store.log_range(0, i64::MAX, None, 100).await.expect("log");
    assert_eq!(log.iter().filter(|e| e.record.user == "oUser_retry").count(), 1);
    // A forged 60,000-digit MsgId (only the token holder can send one) is
    // still one delivery, and the session keeps a 71-byte receipt for it.
    let long = format!(
        "<xml><ToUserName><![CDATA[gh_xf]]></ToUserName><FromUserName><![CDATA[oUser_long]]></FromUserName>\
         <CreateTime>{}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content>\
         <MsgId>{}</MsgId></xml>",
        now(),
        "7".repeat(60_000)
    );
    assert_eq!(wx.push(&long).await, wx.push(&long).await);
    let key = xinfang_guide::engine::session::SessionKey::parse("wechat", "oUser_long").expect("key");
    let session = wx.store.load(&key).await.expect("load").expect("session");
    assert!(session.receipts.iter().all(|r| r.id.len() <= 71), "receipt ids are bounded");
    let log = wx.store.log_range(0, i64::MAX, None, 100).await.expect("log");
    assert_eq!(log.iter().filter(|e| e.record.user == "oUser_long").count(), 1);
    // Events without MsgId are de-duplicated by sender and time.
    let sub = event_xml("oUser_retry2", "subscribe", "");
    assert_eq!(wx.push(&sub).await, wx.push(&sub).await);
    let log = wx.store.log_range(0, i64::MAX, None, 100).await.expect("log");
    assert_eq!(log.iter().filter(|e| e.record.user == "oUser_retry2").count(), 1);
}

#[tokio::test]
async fn forged_stale_and_malformed_pushes_are_refused_without_a_turn() {
    let wx = start(false).await;
    let good = text_xml("oUser_forged", 1, "你好");
    assert_eq!(wx.raw(good.clone(), now(), "not-the-token").await.0, 403, "forged signature");
    assert_eq!(wx.raw(good.clone(), now() - 3600, TOKEN).await.0, 403, "replayed an hour later");
    assert_eq!(wx.raw("<xml><Content>unclosed", now(), TOKEN).await.0, 400);
    let bomb = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaaaaaa\">]><xml><Content>&a;</Content></xml>";
    assert_eq!(wx.raw(bomb, now(), TOKEN).await.0, 400);
    assert_eq!(wx.raw(vec![0xffu8, 0xfe, 0x00], now(), TOKEN).await.0, 400);
    assert_eq!(wx.raw(format!("<xml>{}</xml>", "a".repeat(64 * 1024)), now(), TOKEN).await.0, 413);
    let no_sender = "<xml><MsgType>text</MsgType><Content>x</Content></xml>";
    assert_eq!(wx.raw(no_sender, now(), TOKEN).await.0, 400);
    let enc_without_safe_mode = "<xml><Encrypt><![CDATA[abc]]></Encrypt></xml>";
    let (ts, nonce) = (now().to_string(), "1");
    let url = format!(
        "{}/wechat?signature={}&timestamp={ts}&nonce={nonce}&encrypt_type=aes&msg_signature=x",
        wx.base,
        signature(&[TOKEN, &ts, nonce])
    );
    let r = wx.http.post(url).body(enc_without_safe_mode).send().await.expect("post");
    assert_eq!(r.status().as_u16(), 400);
    let log = wx.store.log_range(0, i64::MAX, None, 100).await.expect("log");
    assert!(log.is_empty(), "no refused push made a turn: {log:?}");
}

#[tokio::test]
async fn safe_mode_refuses_a_bad_msg_signature_and_a_foreign_appid() {
    let wx = start(true).await;
    let (ts, nonce) = (now().to_string(), "5".to_string());
    let sig = signature(&[TOKEN, &ts, &nonce]);
    let post = |enc: String, msig: String| {
        let url = format!(
            "{}/wechat?signature={sig}&timestamp={ts}&nonce={nonce}&encrypt_type=aes&msg_signature={msig}",
            wx.base
        );
        let body = format!("<xml><Encrypt><![CDATA[{enc}]]></Encrypt></xml>");
        let http = wx.http.clone();
        async move { http.post(url).body(body).send().await.expect("post").status().as_u16() }
    };
    let enc = Cipher::new(AES_KEY, APPID).expect("c").encrypt(&text_xml("oUser_s", 1, "你好"), [1; 16]);
    assert_eq!(post(enc.clone(), "0".repeat(40)).await, 403);
    let foreign = Cipher::new(AES_KEY, "wxsomeoneelse").expect("c").encrypt(&text_xml("oUser_s", 2, "你好"), [1; 16]);
    let msig = signature(&[TOKEN, &ts, &nonce, &foreign]);
    assert_eq!(post(foreign, msig).await, 403);
    let msig = signature(&[TOKEN, &ts, &nonce, &enc]);
    assert_eq!(post(enc, msig).await, 200);
}

#[tokio::test]
async fn menu_clicks_enter_dialogs_and_other_kinds_get_a_polite_reply() {
    let wx = start(false).await;
    let howto = wx.push(&event_xml("oUser_menu", "CLICK", "howto")).await;
    assert!(howto.contains("请回复数字"), "{howto}");
    let labor = wx.push(&event_xml("oUser_menu", "CLICK", "cat:labor")).await;
    assert_ne!(howto, labor);
    // A key that names no choice (set wrongly in the MP console) gets a polite reply, no turn.
    let before = wx.store.log_range(0, i64::MAX, None, 100).await.expect("log").len();
    let bad = wx.push(&event_xml("oUser_menu", "CLICK", "Route Start")).await;
    assert!(bad.contains("这个菜单暂时用不了"), "{bad}");
    assert_eq!(wx.store.log_range(0, i64::MAX, None, 100).await.expect("log").len(), before);
    let image = format!(
        "<xml><ToUserName><![CDATA[gh_xf]]></ToUserName><FromUserName><![CDATA[oUser_menu]]></FromUserName>\
         <CreateTime>{}</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://x/y.jpg]]></PicUrl>\
         <MediaId><![CDATA[media_id]]></MediaId><MsgId>1234567890123456</MsgId></xml>",
        now()
    );
    assert!(wx.push(&image).await.contains("文字"));
    let (status, body) = wx.raw(event_xml("oUser_menu", "unsubscribe", ""), now(), TOKEN).await;
    assert_eq!((status, body.as_str()), (200, "success"));
    // Text over the limit is refused whole with a reply saying so, never cut.
    let long = wx.push(&text_xml("oUser_menu", 8, &"字".repeat(5001))).await;
    assert!(long.contains("5001 字") && long.contains("5000 字的上限"), "{long}");
    // Free text is understood on this channel as on the web.
    let wages = wx.push(&text_xml("oUser_menu", 9, "老板欠我三个月工资不给，我要去上访")).await;
    assert!(wages.contains("劳动"), "{wages}");
    let r: Vec<_> = wx.store.log_range(0, i64::MAX, None, 100).await.expect("log");
    assert!(r.iter().all(|e| e.record.channel == "wechat"));
}

/// Regression (review D1): with the AES key set, a plaintext push passed on
/// the outer signature alone — which covers no part of the body — and was
/// answered in clear for any openid.
#[tokio::test]
async fn safe_mode_refuses_plaintext_pushes_and_logs_nothing() {
    let wx = start(true).await;
    let plain = text_xml("oVictim", 31, "你好");
    assert_eq!(wx.raw(plain.clone(), now(), TOKEN).await.0, 403, "no encrypt_type");
    let (ts, nonce) = (now().to_string(), "9");
    for kind in ["raw", "", "none"] {
        let url = format!(
            "{}/wechat?signature={}&timestamp={ts}&nonce={nonce}&encrypt_type={kind}",
            wx.base,
            signature(&[TOKEN, &ts, nonce])
        );
        let r = wx.http.post(url).body(plain.clone()).send().await.expect("post");
        assert_eq!(r.status().as_u16(), 403, "encrypt_type={kind}");
    }
    let log = wx.store.log_range(0, i64::MAX, None, 100).await.expect("log");
    assert!(log.is_empty(), "a refused push made a turn: {log:?}");
    // The encrypted form of the same message is taken.
    assert!(!wx.push(&plain).await.is_empty());
}

/// 兼容模式: WeChat may send either form; each is answered in kind.
#[tokio::test]
async fn compatible_mode_takes_both_forms_and_answers_each_in_kind() {
    let wx = start_mode("compat").await;
    let encrypted_reply = wx.push(&text_xml("oCompat", 1, "你好")).await;
    assert!(!encrypted_reply.is_empty());
    let (status, body) = wx.raw(text_xml("oCompat", 2, "菜单"), now(), TOKEN).await;
    assert_eq!(status, 200, "{body}");
    let r: ReplyXml = quick_xml::de::from_str(&body).expect("plain reply");
    assert!(r.encrypt.is_empty() && r.content.contains("请回复数字"), "{body}");
}

#[test]
fn the_mode_setting_is_explicit_and_checked() {
    use xinfang_guide::channels::wechat::{Mode, WechatConfigError};
    let mut s = Settings::load_with_env(None, std::iter::empty()).expect("defaults").wechat;
    assert_eq!(Mode::from_settings(&s).expect("plain"), Mode::Plain);
    s.aes_key = Secret::new(AES_KEY);
    assert_eq!(Mode::from_settings(&s).expect("key set: safe"), Mode::Safe);
    s.mode = "兼容".into();
    assert_eq!(Mode::from_settings(&s).expect("compat"), Mode::Compat);
    s.mode = "plain".into();
    assert!(matches!(Mode::from_settings(&s), Err(WechatConfigError::KeyInPlainMode)));
    s.mode = "secure".into();
    assert!(matches!(Mode::from_settings(&s), Err(WechatConfigError::Mode(_))));
    s.mode = "safe".into();
    s.aes_key = Secret::new("");
    assert!(matches!(Mode::from_settings(&s), Err(WechatConfigError::NoKey(_))));
}

/// Regression (review D9): `(t - now).abs()` wrapped for a signed timestamp
/// near `i64::MIN`, and such a push was accepted.
#[tokio::test]
async fn timestamps_far_from_now_are_refused_without_overflow() {
    let wx = start(false).await;
    let n = now();
    for ts in [i64::MIN + n, i64::MIN, i64::MAX, i64::MIN + n + 1, n - 301] {
        assert_eq!(wx.raw(text_xml("oClock", 1, "你好"), ts, TOKEN).await.0, 403, "timestamp {ts}");
    }
}

/// Regression (review D10): `<!DocType …>` passed a case-sensitive check.
#[tokio::test]
async fn declarations_in_any_letter_case_are_refused() {
    let wx = start(false).await;
    for decl in ["<!DocType xml>", "<!dOcTyPe xml SYSTEM \"file:///etc/passwd\">", "<!Entity a \"b\">"] {
        let body = format!("{decl}{}", text_xml("oDecl", 1, "你好"));
        assert_eq!(wx.raw(body, now(), TOKEN).await.0, 400, "{decl}");
    }
}

/// Self-harm in a typed message gets the crisis reply with numbered choices
/// and no 有帮助/没帮助; typing "我安全了" offers the matter understood from
/// the rest of the message.
#[tokio::test]
async fn a_crisis_message_gets_care_and_then_its_matter() {
    let wx = start(false).await;
    let user = "oUser_crisis";
    let r = wx.push(&text_xml(user, 900, "村里把我的承包地收回了，我不想活了")).await;
    assert!(r.contains("12356") && r.contains("120") && r.contains("110"), "{r}");
    assert!(!r.contains("有帮助") && !r.contains("没帮助") && !r.contains("家庭暴力"), "{r}");
    assert!(r.contains("请回复数字") && r.contains("我现在安全了"), "{r}");
    assert!(!r.contains("点下面的按钮") && r.contains("回复 1"), "{r}");
    let r = wx.push(&text_xml(user, 901, "我安全了")).await;
    assert!(r.contains("民事纠纷"), "{r}");
    let r = wx.push(&text_xml(user, 902, &number_of(&r, "对"))).await;
    assert!(r.contains("是哪一类纠纷"), "{r}");
}

/// Every kind of danger through signed pushes: each its own reply with
/// numbered lines; the check-in asks first, with 1/2/3 to answer; what is
/// not danger never shows 12356.
#[tokio::test]
async fn every_kind_of_danger_gets_its_reply_on_wechat() {
    let wx = start(false).await;
    let cases = [
        ("oKind_self", "我吃了一瓶安眠药", "12356"),
        ("oKind_violence", "老公在打我，我躲在厕所里", "110 报警"),
        ("oKind_threat", "我要和包工头同归于尽", "依法解决的途径"),
        ("oKind_other", "我儿子喝了一瓶敌敌畏", "120 急救"),
        ("oKind_check", "天天想跳娄", "您现在安全吗"),
    ];
    for (i, (user, text, expect)) in cases.iter().enumerate() {
        let r = wx.push(&text_xml(user, 1000 + i as u64, text)).await;
        assert!(r.contains(expect), "{text}: {r}");
        assert!(!r.contains("有帮助"), "{text}: {r}");
    }
    // The same worry again in the same conversation: asked once only.
    let r = wx.push(&text_xml("oKind_check", 1010, "天天想跳娄")).await;
    assert!(!r.contains("您现在安全吗"), "{r}");
    let r = wx.push(&text_xml("oKind_check2", 1011, "天天想跳娄")).await;
    let help = number_of(&r, "我需要帮助");
    let r = wx.push(&text_xml("oKind_check2", 1012, &help)).await;
    assert!(r.contains("12356"), "{r}");
    for (i, quiet) in ["累死了，老板还不给加班费", "商场跳楼价卖的是假货"].iter().enumerate() {
        let r = wx.push(&text_xml("oKind_quiet", 1020 + i as u64, quiet)).await;
        assert!(!r.contains("12356") && !r.contains("您现在安全吗"), "{quiet}: {r}");
    }
}

fn voice_xml(user: &str, msg_id: u64, recognition: Option<&str>) -> String {
    let rec = recognition.map(|r| format!("<Recognition><![CDATA[{r}]]></Recognition>")).unwrap_or_default();
    format!(
        "<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>\
         <CreateTime>1700000000</CreateTime><MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[m1]]></MediaId>\
         <Format><![CDATA[amr]]></Format>{rec}<MsgId>{msg_id}</MsgId></xml>"
    )
}

/// A voice message with the account's recognition text is answered like the
/// same words typed, and logged as voice; without it, a kind reply saying the
/// bot reads text and how to type or get help, and nothing logged.
#[tokio::test]
async fn voice_messages_are_answered_from_their_recognition_text() {
    let wx = start(false).await;
    let typed = wx.push(&text_xml("oTyped", 3000, "公司拖欠工资三个月了怎么办")).await;
    let spoken = wx.push(&voice_xml("oVoice", 3001, Some("公司拖欠工资三个月了怎么办"))).await;
    assert!(spoken.contains("劳动") || spoken.contains("工资"), "{spoken}");
    assert_eq!(spoken, typed, "voice answered like the same words typed");
    let log = wx.store.log_range(0, i64::MAX, None, 100).await.expect("log");
    let v: Vec<_> = log.iter().filter(|e| e.record.user == "oVoice").collect();
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].record.voice && v[0].record.input.contains("拖欠工资"), "{:?}", v[0].record);
    assert!(log.iter().filter(|e| e.record.user == "oTyped").all(|e| !e.record.voice));
    // Danger spoken is danger.
    let r = wx.push(&voice_xml("oVoice2", 3002, Some("我不想活了"))).await;
    assert!(r.contains("12356"), "{r}");
    // No recognition (switched off, or nothing understood): a kind reply.
    for rec in [None, Some("  ")] {
        let r = wx.push(&voice_xml("oVoice3", 3003 + rec.is_some() as u64, rec)).await;
        assert!(r.contains("语音") && r.contains("文字") && r.contains("人工"), "{r}");
    }
    let log = wx.store.log_range(0, i64::MAX, None, 100).await.expect("log");
    assert!(log.iter().all(|e| e.record.user != "oVoice3"), "an unread voice message made no turn");
}
