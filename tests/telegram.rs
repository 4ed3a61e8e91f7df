//! The Telegram channel through teloxide against a fake Bot API server on
//! loopback: real-format `getUpdates` payloads (messages, commands, button
//! presses, an edited message, a photo, a sticker), and every request the
//! bot makes recorded: a whole conversation, rate limits, failed sends,
//! re-delivery, and webhook mode with its secret header.

mod common;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::routing::post;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use xinfang_guide::config::{Secret, Settings};
use xinfang_guide::server::{self, App};
use xinfang_guide::store::sled_store::SledOptions;
use xinfang_guide::store::{SledStore, Store};

const TOKEN: &str = "123456:TEST-token_abc";
const USER: i64 = 5550001;

#[derive(Default)]
struct Fake {
    updates: VecDeque<Value>,
    /// (method in lower case, parameters) in the order they arrived.
    calls: Vec<(String, Value)>,
    next_message_id: i64,
    /// sendMessage answers 429 (retry after 1 s) this many times.
    throttle: usize,
    /// sendMessage answers 403 (blocked by the user) this many times.
    blocked: usize,
}

type Shared = Arc<Mutex<Fake>>;

fn lock(f: &Shared) -> std::sync::MutexGuard<'_, Fake> {
    f.lock().unwrap_or_else(|e| e.into_inner())
}

async fn bot_api(
    State(f): State<Shared>,
    UrlPath((bot, method)): UrlPath<(String, String)>,
    body: Bytes,
) -> axum::Json<Value> {
    assert_eq!(bot, format!("bot{TOKEN}"), "token in the URL");
    let method = method.to_ascii_lowercase();
    // JSON for most methods; setWebhook comes as multipart form data (kept as text).
    let params: Value =
        serde_json::from_slice(&body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    if method == "getupdates" {
        let batch = common::telegram::long_poll(|| lock(&f).updates.drain(..).collect()).await;
        return axum::Json(json!({"ok": true, "result": batch}));
    }
    let mut s = lock(&f);
    s.calls.push((method.clone(), params.clone()));
    let result = match method.as_str() {
        "getme" => common::telegram::get_me(),
        "sendmessage" if s.throttle > 0 => {
            s.throttle -= 1;
            s.calls.last_mut().expect("call").0 = "sendmessage:429".into();
            return axum::Json(json!({"ok": false, "error_code": 429,
                "description": "Too Many Requests: retry after 1", "parameters": {"retry_after": 1}}));
        }
        "sendmessage" if s.blocked > 0 => {
            s.blocked -= 1;
            s.calls.last_mut().expect("call").0 = "sendmessage:403".into();
            return axum::Json(
                json!({"ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}),
            );
        }
        "sendmessage" | "editmessagereplymarkup" => {
            s.next_message_id += 1;
            common::telegram::sent(&params, 1000 + s.next_message_id)
        }
        _ => json!(true),
    };
    axum::Json(json!({"ok": true, "result": result}))
}

struct Harness {
    fake: Shared,
    store: Arc<dyn Store>,
    base: String,
    next_update: i64,
    _stop: tokio::sync::oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

async fn start(webhook: bool) -> Harness {
    let fake: Shared = Arc::default();
    let api = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let api_url = format!("http://{}", api.local_addr().expect("addr"));
    let router = Router::new().route("/{bot}/{method}", post(bot_api)).with_state(fake.clone());
    tokio::spawn(async move { axum::serve(api, router).await });

    let dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> = SledStore::open(dir.path(), &SledOptions::default()).expect("open");
    let (loaded, diags) = xinfang_guide::understand::load_all(Path::new(env!("CARGO_MANIFEST_DIR")));
    let (content, understanding) = loaded.unwrap_or_else(|| panic!("{diags}"));
    let mut s = Settings::load_with_env(None, std::iter::empty()).expect("defaults");
    s.limits.per_ip_per_second = 0;
    s.limits.per_session_per_second = 0;
    s.telegram.token = Secret::new(TOKEN);
    s.telegram.api_url = api_url;
    if webhook {
        s.telegram.mode = "webhook".into();
        s.telegram.webhook_url = "https://xf.example.org/telegram/hook".into();
        s.telegram.webhook_secret = Secret::new("s3cret-Token_1");
    }
    let smart = Arc::new(xinfang_guide::understand::Smart { understanding });
    let app = App::with_store(s, content, smart, store.clone()).with_channels().expect("channels");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let r = server::run(listener, app, async move {
            let _ = rx.await;
        })
        .await;
        if let Err(e) = r {
            panic!("server: {e:#}");
        }
    });
    Harness { fake, store, base, next_update: 1, _stop: tx, _dir: dir }
}

fn from() -> Value {
    json!({"id": USER, "is_bot": false, "first_name": "张", "language_code": "zh-hans"})
}

fn chat() -> Value {
    json!({"id": USER, "first_name": "张", "type": "private"})
}

impl Harness {
    fn update(&mut self, kind: &str, body: Value) -> Value {
        self.next_update += 1;
        json!({"update_id": self.next_update, kind: body})
    }

    fn text(&mut self, text: &str) -> Value {
        let mut m =
            json!({"message_id": self.next_update, "from": from(), "chat": chat(), "date": 1764200000, "text": text});
        if text.starts_with('/') {
            let len = text.split_whitespace().next().unwrap_or("").encode_utf16().count();
            m["entities"] = json!([{"offset": 0, "length": len, "type": "bot_command"}]);
        }
        self.update("message", m)
    }

    fn press(&mut self, message_id: i64, data: &str) -> Value {
        let message = json!({"message_id": message_id, "date": 1764200000, "chat": chat(),
            "from": {"id": 1, "is_bot": true, "first_name": "信访指引"}, "text": "…"});
        let q = json!({"id": format!("cb{}", self.next_update), "from": from(), "message": message,
            "chat_instance": "-7001", "data": data});
        self.update("callback_query", q)
    }

    fn sent(&self) -> Vec<Value> {
        lock(&self.fake).calls.iter().filter(|(m, _)| m == "sendmessage").map(|(_, p)| p.clone()).collect()
    }

    fn calls(&self, method: &str) -> usize {
        lock(&self.fake).calls.iter().filter(|(m, _)| m == method).count()
    }

    /// Queues updates and waits until the bot has sent `n` more messages.
    async fn exchange(&mut self, updates: Vec<Value>, n: usize) -> Vec<Value> {
        let before = self.sent().len();
        lock(&self.fake).updates.extend(updates);
        for _ in 0..1000 {
            let sent = self.sent();
            if sent.len() >= before + n {
                tokio::time::sleep(Duration::from_millis(30)).await;
                return self.sent()[before..].to_vec();
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("expected {n} messages, got {:?}", &self.sent()[before..]);
    }

    async fn wait_started(&self) {
        for _ in 0..500 {
            if self.calls("getme") > 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the bot never called getMe");
    }
}

/// The callback data of the button whose label contains `label`.
fn button(msg: &Value, label: &str) -> String {
    msg["reply_markup"]["inline_keyboard"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row.as_array().into_iter().flatten())
        .find(|b| b["text"].as_str().is_some_and(|t| t.contains(label)))
        .and_then(|b| b["callback_data"].as_str())
        .unwrap_or_else(|| panic!("no button {label:?} in {msg}"))
        .to_string()
}

fn last_with_keyboard(msgs: &[Value]) -> &Value {
    msgs.iter().rev().find(|m| m.get("reply_markup").is_some()).unwrap_or_else(|| panic!("no keyboard in {msgs:?}"))
}

#[tokio::test]
async fn a_whole_conversation_with_buttons_commands_and_free_text() {
    let mut h = start(false).await;
    h.wait_started().await;
    let start = h.text("/start 0509-square");
    let menu = h.exchange(vec![start], 1).await;
    assert_eq!(menu[0]["chat_id"], USER);
    assert_eq!(menu[0]["parse_mode"], "HTML");
    let mut last = last_with_keyboard(&menu).clone();
    for label in ["我的问题该找哪里", "工资", "拖欠工资", "还没有申请劳动仲裁", "是"] {
        let press = h.press(2000, &button(&last, label));
        let got = h.exchange(vec![press], 1).await;
        last = last_with_keyboard(&got).clone();
    }
    let card = last["text"].as_str().expect("text");
    assert!(card.contains("<b>【建议途径】") && card.contains("labor_inspection_12333"), "{card}");
    // Every pressed keyboard was removed, every press answered.
    assert_eq!(h.calls("editmessagereplymarkup"), 5);
    assert_eq!(h.calls("answercallbackquery"), 5);

    let back = h.press(2001, &button(&last, "返回上一步"));
    let got = h.exchange(vec![back], 1).await;
    let question = got[0]["text"].as_str().expect("t");
    button(&got[0], "是");
    assert!(!question.contains("【建议途径】"), "{question}");
    let reset = h.text("/reset");
    let got = h.exchange(vec![reset], 1).await;
    button(last_with_keyboard(&got), "我的问题该找哪里");
    let help = h.text("人工");
    let got = h.exchange(vec![help], 1).await;
    assert!(got[0]["text"].as_str().expect("t").contains("电话"));
    // Two parts, two messages: petitioning about it, then the wages.
    let wages = h.text("老板欠我三个月工资不给，我要去上访");
    let got = h.exchange(vec![wages], 2).await;
    assert!(got[0]["text"].as_str().expect("t").contains("关于上访"), "{got:?}");
    assert!(got[1]["text"].as_str().expect("t").contains("劳动"), "{got:?}");

    let log = h.store.log_range(0, i64::MAX, None, 100).await.expect("log");
    assert_eq!(log.len(), 10);
    assert!(log.iter().all(|e| e.record.channel == "telegram" && e.record.user == USER.to_string()));
    assert!(log.iter().all(|e| e.record.source.as_deref() == Some("0509-square")));
}

#[tokio::test]
async fn photos_stickers_and_edits_get_a_polite_reply() {
    let mut h = start(false).await;
    h.wait_started().await;
    let photo = h.update("message", json!({"message_id": 7, "from": from(), "chat": chat(), "date": 1764200000,
        "photo": [{"file_id": "AgACAgIAAxkBAAIB", "file_unique_id": "AQADq7", "file_size": 1093, "width": 90, "height": 67}]}));
    let sticker = h.update(
        "message",
        json!({"message_id": 8, "from": from(), "chat": chat(), "date": 1764200000,
        "sticker": {"file_id": "CAACAgIAAxkBAAIC", "file_unique_id": "AgADBQ", "type": "regular", "width": 512,
            "height": 512, "is_animated": false, "is_video": false, "emoji": "👍", "set_name": "HotCherry"}}),
    );
    let edited = h.update(
        "edited_message",
        json!({"message_id": 9, "from": from(), "chat": chat(),
        "date": 1764200000, "edit_date": 1764200060, "text": "改过的话"}),
    );
    let got = h.exchange(vec![photo, sticker, edited], 3).await;
    let texts: Vec<&str> = got.iter().map(|m| m["text"].as_str().expect("t")).collect();
    assert!(texts[0].contains("文字") && texts[1].contains("文字"), "{texts:?}");
    assert!(texts[2].contains("修改过的消息"), "{texts:?}");
    // Callback data that is no choice id of ours (forged): a polite reply, no turn.
    let forged = h.press(2000, "main.0");
    let got = h.exchange(vec![forged], 1).await;
    assert!(got[0]["text"].as_str().expect("t").contains("这个按钮已经失效"), "{got:?}");
    assert!(h.store.log_range(0, i64::MAX, None, 10).await.expect("log").is_empty(), "nothing to log for non-text");
}

#[tokio::test]
async fn rate_limits_are_waited_out_and_failed_sends_keep_the_turn() {
    let mut h = start(false).await;
    h.wait_started().await;
    lock(&h.fake).throttle = 1;
    let t0 = std::time::Instant::now();
    let start = h.text("/start");
    let got = h.exchange(vec![start], 1).await;
    assert!(t0.elapsed() >= Duration::from_secs(1), "waited retry_after");
    assert!(got[0]["text"].as_str().expect("t").contains("我的问题该找哪里") || got[0].get("reply_markup").is_some());
    assert_eq!((h.calls("sendmessage:429"), h.calls("sendmessage")), (1, 1), "one 429, then the same message again");

    // Blocked by the user: the send fails for good; the message is still logged.
    lock(&h.fake).blocked = 10;
    let t = h.text("帮助");
    lock(&h.fake).updates.push_back(t);
    for _ in 0..500 {
        if h.calls("sendmessage:403") >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(h.calls("sendmessage:403"), 1, "403 is not retried");
    let log = h.store.log_range(0, i64::MAX, None, 10).await.expect("log");
    assert_eq!(log.len(), 2);
    assert_eq!(log[1].record.input, "帮助");
}

#[tokio::test]
async fn a_redelivered_update_is_answered_again_but_logged_once() {
    let mut h = start(false).await;
    h.wait_started().await;
    let u = h.text("我要去北京上访");
    let got = h.exchange(vec![u.clone(), u], 2).await;
    assert_eq!(got[0]["text"], got[1]["text"]);
    assert_eq!(h.store.log_range(0, i64::MAX, None, 10).await.expect("log").len(), 1);
}

#[tokio::test]
async fn webhook_mode_registers_and_checks_the_secret_header() {
    let mut h = start(true).await;
    h.wait_started().await;
    for _ in 0..500 {
        if h.calls("setwebhook") > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let set =
        lock(&h.fake).calls.iter().find(|(m, _)| m == "setwebhook").map(|(_, p)| p.to_string()).expect("setWebhook");
    assert!(set.contains("https://xf.example.org/telegram/hook") && set.contains("s3cret-Token_1"), "{set}");
    let http = reqwest::Client::new();
    let url = format!("{}/telegram/hook", h.base);
    let update = h.text("/start");
    let r = http.post(&url).json(&update).send().await.expect("post");
    assert_eq!(r.status().as_u16(), 401, "no secret header");
    let r =
        http.post(&url).header("X-Telegram-Bot-Api-Secret-Token", "guess").json(&update).send().await.expect("post");
    assert_eq!(r.status().as_u16(), 401, "wrong secret");
    assert!(h.sent().is_empty());
    let r = http
        .post(&url)
        .header("X-Telegram-Bot-Api-Secret-Token", "s3cret-Token_1")
        .json(&update)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 200);
    for _ in 0..500 {
        if !h.sent().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    button(last_with_keyboard(&h.sent()), "我的问题该找哪里");
    assert_eq!(h.calls("getupdates"), 0, "no polling in webhook mode");
}

/// Self-harm in a message gets the crisis reply (care, 12356, 120/110) with
/// no 有帮助/没帮助 buttons; "我现在安全了" then offers the matter the rest of
/// the message was about, and 对 goes on with it.
#[tokio::test]
async fn a_crisis_message_gets_care_and_then_its_matter() {
    let mut h = start(false).await;
    h.wait_started().await;
    let msg = h.text("老板欠了我三个月工资不给，我真的不想活了");
    let got = h.exchange(vec![msg], 1).await;
    let reply = last_with_keyboard(&got);
    let text = reply["text"].as_str().expect("text");
    assert!(text.contains("12356") && text.contains("120") && text.contains("110"), "{text}");
    assert!(!text.contains("家庭暴力"), "{text}");
    for label in ["有帮助", "没帮助"] {
        assert!(!reply["reply_markup"].to_string().contains(label), "{reply}");
    }
    let safe = h.press(3000, &button(reply, "我现在安全了"));
    let got = h.exchange(vec![safe], 1).await;
    let offer = last_with_keyboard(&got);
    assert!(offer["text"].as_str().expect("t").contains("劳动争议"), "{offer}");
    let yes = h.press(3001, &button(offer, "对"));
    let got = h.exchange(vec![yes], 1).await;
    assert!(got[0]["text"].as_str().expect("t").contains("劳动仲裁"), "{got:?}");
    let log = h.store.log_range(0, i64::MAX, None, 10).await.expect("log");
    assert_eq!(log.iter().filter(|e| e.record.danger.as_deref() == Some("self_harm")).count(), 1);
}

/// Every kind of danger through the fake Bot API: each its own reply, the
/// check-in with its three buttons; what is not danger never shows 12356.
#[tokio::test]
async fn every_kind_of_danger_gets_its_reply_on_telegram() {
    let mut h = start(false).await;
    h.wait_started().await;
    let cases = [
        ("我要去信访局门口自焚", "12356"),
        ("老公在打我，现在还在打", "110 报警"),
        ("再不还钱我就去把他们公司炸了", "依法解决的途径"),
        ("我妈说她不想活了，刚才打电话说在水库边上", "120 急救"),
        ("天天想跳娄", "您现在安全吗"),
    ];
    for (text, expect) in cases {
        let msg = h.text(text);
        let got = h.exchange(vec![msg], 1).await;
        let reply = last_with_keyboard(&got);
        assert!(reply["text"].as_str().expect("text").contains(expect), "{text}: {reply}");
        assert!(!reply["reply_markup"].to_string().contains("没帮助"), "{reply}");
    }
    let sent = h.sent();
    let check = last_with_keyboard(&sent);
    for label in ["我现在安全", "我需要帮助", "有人正在伤害我"] {
        button(check, label);
    }
    let quiet = h.text("累死了，天天加班还不给加班费");
    let got = h.exchange(vec![quiet], 1).await;
    assert!(!got.iter().any(|m| m["text"].as_str().unwrap_or("").contains("12356")), "{got:?}");
    let alerts = xinfang_guide::alerts::open(&*h.store).await.expect("alerts");
    assert_eq!(alerts.len(), 1, "one conversation, one alert");
    assert_eq!(alerts[0].turns.len(), 5);
}
