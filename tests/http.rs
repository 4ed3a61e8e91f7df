//! HTTP through the router, without a port (tower `oneshot`).

use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tower::ServiceExt;
use xinfang_guide::config::Settings;
use xinfang_guide::server::App;
use xinfang_guide::store::sled_store::SledOptions;
use xinfang_guide::store::{SledStore, Store};

struct TestApp {
    router: Router,
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

fn app_with(settings: Settings) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> = SledStore::open(dir.path(), &SledOptions::default()).expect("open");
    let (content, diags) = xinfang_guide::content::load(Path::new(env!("CARGO_MANIFEST_DIR")));
    let content = Arc::new(content.unwrap_or_else(|| panic!("{diags}")));
    let app = App::with_store(settings, content, Arc::new(xinfang_guide::engine::understand::Plain), store.clone());
    let addr: SocketAddr = "203.0.113.7:4000".parse().expect("addr");
    TestApp { router: app.router().layer(MockConnectInfo(addr)), store, _dir: dir }
}

fn app() -> TestApp {
    let mut s = Settings::load_with_env(None, std::iter::empty()).expect("defaults");
    s.limits.per_ip_per_second = 0;
    s.limits.per_session_per_second = 0;
    app_with(s)
}

async fn post_raw(app: &TestApp, body: impl Into<Body>) -> (StatusCode, Value) {
    let req = Request::post("/api/v1/chat")
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.into())
        .expect("request");
    let resp = app.router.clone().oneshot(req).await.expect("response");
    let status = resp.status();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    let v = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| panic!("not JSON ({status}): {}", String::from_utf8_lossy(&bytes)));
    (status, v)
}

async fn post(app: &TestApp, body: Value) -> (StatusCode, Value) {
    post_raw(app, body.to_string()).await
}

/// Sends the choice whose label contains `label` from the last reply.
async fn choose(app: &TestApp, session: &str, last: &Value, label: &str) -> Value {
    let choices = last["replies"]
        .as_array()
        .expect("replies")
        .iter()
        .flat_map(|r| r["choices"].as_array().cloned().unwrap_or_default());
    let id = choices
        .filter(|c| c["label"].as_str().is_some_and(|l| l.contains(label)))
        .map(|c| c["id"].as_str().expect("id").to_string())
        .next()
        .unwrap_or_else(|| panic!("no choice `{label}` in {last}"));
    let (status, v) = post(app, json!({"session": session, "choice": id})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v
}

#[tokio::test]
async fn a_new_visitor_gets_a_token_and_the_menu() {
    let app = app();
    let (status, v) = post(&app, json!({"text": "你好"})).await;
    assert_eq!(status, StatusCode::OK);
    let token = v["session"].as_str().expect("token");
    assert_eq!(token.len(), 32);
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(v["replies"][0]["text"].as_str().expect("text").contains("依法信访指引"));
    assert_eq!(v["replies"][0]["choices"][0]["label"], "我的问题该找哪里");
}

#[tokio::test]
async fn choices_lead_to_a_channel_card_for_unpaid_wages() {
    let app = app();
    let (_, v) = post(&app, json!({"choice": "cmd:menu", "src": "0509-square"})).await;
    let token = v["session"].as_str().expect("token").to_string();
    let v = choose(&app, &token, &v, "我的问题该找哪里").await;
    let v = choose(&app, &token, &v, "工资").await;
    let v = choose(&app, &token, &v, "拖欠工资").await;
    let v = choose(&app, &token, &v, "还没有申请劳动仲裁").await;
    let v = choose(&app, &token, &v, "是").await;
    assert_eq!(v["session"], token.as_str(), "same session throughout");
    let card = &v["replies"][0]["card"];
    assert_eq!(card["channel"], "labor_inspection_12333", "{v}");
    assert_eq!(card["category"], "labor");
    assert!(card["why"].as_str().expect("why").contains("诉访分离"));
    assert!(!card["cites"].as_array().expect("cites").is_empty());
    assert!(card["free_help"][0].as_str().expect("help").contains("12348"));
    // The source tag travelled into the log with every message.
    let log = app.store.log_range(0, i64::MAX, None, 100).await.expect("log");
    assert_eq!(log.len(), 6);
    assert!(log.iter().all(|e| e.record.source.as_deref() == Some("0509-square")));
    assert_eq!(log.last().expect("entry").record.channel_chosen.as_deref(), Some("labor_inspection_12333"));
}

#[tokio::test]
async fn personal_data_is_masked_in_the_log() {
    let app = app();
    post(&app, json!({"text": "我叫张三，身份证410802199003151234，电话13912345678"})).await;
    let log = app.store.log_range(0, i64::MAX, None, 10).await.expect("log");
    let input = &log[0].record.input;
    assert!(!input.contains("410802199003151234") && !input.contains("13912345678"), "{input}");
    assert!(input.contains("[身份证号已隐去]") && input.contains("[手机号已隐去]"), "{input}");
}

#[tokio::test]
async fn bad_requests_get_clear_json_errors() {
    let app = app();
    let cases: Vec<(Body, StatusCode)> = vec![
        (Body::from("{not json"), StatusCode::BAD_REQUEST),
        (Body::from(r#"{"text": 42}"#), StatusCode::BAD_REQUEST),
        (Body::from(r#"{"text": "a", "choice": "b"}"#), StatusCode::BAD_REQUEST),
        (Body::from(r#"{}"#), StatusCode::BAD_REQUEST),
        (Body::from(r#"{"text": "a", "evil": 1}"#), StatusCode::BAD_REQUEST),
        (Body::from(r#"{"text": "a", "src": "<script>"}"#), StatusCode::BAD_REQUEST),
        (Body::from(vec![0xff, 0xfe, 0x00]), StatusCode::BAD_REQUEST),
        // Choice ids are parsed where the request comes in: malformed ones never reach the engine.
        (Body::from(r#"{"choice": "main.0"}"#), StatusCode::BAD_REQUEST),
        (Body::from(r#"{"choice": "cmd:unknown"}"#), StatusCode::BAD_REQUEST),
        (Body::from(r#"{"choice": "not:labor,<script>"}"#), StatusCode::BAD_REQUEST),
        (Body::from(r#"{"choice": "date:2026-02-30"}"#), StatusCode::BAD_REQUEST),
        (Body::from(r#"{"choice": ""}"#), StatusCode::BAD_REQUEST),
        (Body::from(json!({"choice": "a".repeat(300)}).to_string()), StatusCode::BAD_REQUEST),
        (Body::from(json!({"text": "字".repeat(5001)}).to_string()), StatusCode::PAYLOAD_TOO_LARGE),
        (Body::from(json!({"feedback": {"comment": "字".repeat(5001)}}).to_string()), StatusCode::PAYLOAD_TOO_LARGE),
        (Body::from(json!({"text": "a".repeat(100 * 1024)}).to_string()), StatusCode::PAYLOAD_TOO_LARGE),
    ];
    for (body, want) in cases {
        let (status, v) = post_raw(&app, body).await;
        assert_eq!(status, want, "{v}");
        assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
        assert!(v["error"]["hint"].as_str().is_some(), "{v}");
    }
    assert!(app.store.log_range(0, i64::MAX, None, 10).await.expect("log").is_empty(), "rejected requests log nothing");
}

/// One limit in characters, shared with the page: a long 问政 letter is
/// taken whole; one character more than the limit is refused, saying how
/// long the text was (regression: 4,096 bytes, about 1,365 Chinese characters).
#[tokio::test]
async fn a_long_letter_is_taken_and_text_over_the_limit_is_refused_saying_its_length() {
    let app = app();
    let letter = "我们小区自去年以来一直停水停电，物业和开发商互相推诿，多次反映无果。".repeat(90);
    assert!(letter.chars().count() > 3000);
    let (status, v) = post(&app, json!({"text": letter})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let log = app.store.log_range(0, i64::MAX, None, 10).await.expect("log");
    assert_eq!(log[0].record.input.chars().count(), letter.chars().count(), "logged whole");
    let (status, v) = post(&app, json!({"text": "字".repeat(5000)})).await;
    assert_eq!(status, StatusCode::OK, "exactly the limit is taken");
    assert!(!v.to_string().contains("上限"));
    let (status, v) = post(&app, json!({"text": "字".repeat(5001)})).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(v["error"]["code"], "text_too_long");
    let hint = v["error"]["hint"].as_str().expect("hint");
    assert!(hint.contains("5001 字") && hint.contains("5000 字的上限"), "{hint}");
}

#[tokio::test]
async fn odd_but_valid_input_gets_a_polite_reply() {
    let app = app();
    let (_, v) = post(&app, json!({"text": "hi"})).await;
    let token = v["session"].as_str().expect("token").to_string();
    for text in ["", "   ", "\u{0}\u{7}控制字符\u{1b}[31m", "\u{202e}反向文字", "🙂🙂🙂"] {
        let (status, v) = post(&app, json!({"session": token, "text": text})).await;
        assert_eq!(status, StatusCode::OK, "{text:?}: {v}");
        assert!(!v["replies"][0]["text"].as_str().expect("text").is_empty());
    }
    let (status, v) = post(&app, json!({"session": token, "choice": "no_such_node.7"})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(v["replies"][0]["text"].as_str().expect("text").contains("没有看懂"));
}

#[tokio::test]
async fn an_unknown_or_malformed_token_starts_a_new_session_with_a_fresh_token() {
    let app = app();
    for bad in ["0123456789abcdef0123456789abcdef", "../../etc/passwd", "ABC"] {
        let (status, v) = post(&app, json!({"session": bad, "text": "你好"})).await;
        assert_eq!(status, StatusCode::OK);
        assert_ne!(v["session"], bad, "a client cannot choose its token");
    }
}

#[tokio::test]
async fn per_session_rate_limit_answers_429_with_retry_after() {
    let mut s = Settings::load_with_env(None, std::iter::empty()).expect("defaults");
    s.limits.per_ip_per_second = 0;
    s.limits.per_session_per_second = 1;
    s.limits.per_session_burst = 2;
    let app = app_with(s);
    let (_, v) = post(&app, json!({"text": "你好"})).await;
    let token = v["session"].as_str().expect("token").to_string();
    let mut limited = None;
    for _ in 0..5 {
        let req = Request::post("/api/v1/chat")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({"session": token, "text": "1"}).to_string()))
            .expect("request");
        let resp = app.router.clone().oneshot(req).await.expect("response");
        if resp.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = resp.headers().get(header::RETRY_AFTER).cloned();
            break;
        }
    }
    assert!(limited.is_some(), "the burst of 2 should be exhausted within 5 requests");
}

#[tokio::test]
async fn per_ip_rate_limit_applies_before_anything_else() {
    let mut s = Settings::load_with_env(None, std::iter::empty()).expect("defaults");
    s.limits.per_ip_per_second = 1;
    s.limits.per_ip_burst = 1;
    let app = app_with(s);
    let (first, _) = post(&app, json!({"text": "你好"})).await;
    let (second, v) = post(&app, json!({"text": "你好"})).await;
    assert_eq!(first, StatusCode::OK);
    assert_eq!(second, StatusCode::TOO_MANY_REQUESTS, "{v}");
    assert_eq!(v["error"]["code"], "rate_limited");
    // Regression (review N2): the limit ran after the body was read, so a
    // body that never ends was never counted. Now it is answered at once.
    let never_ends = Body::from_stream(futures_util::stream::pending::<Result<Vec<u8>, std::io::Error>>());
    let answered = tokio::time::timeout(std::time::Duration::from_secs(5), post_raw(&app, never_ends)).await;
    let (status, v) = answered.expect("answered without waiting for the body");
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{v}");
}

#[tokio::test]
async fn health_metrics_and_the_chat_page() {
    let mut s = Settings::load_with_env(None, std::iter::empty()).expect("defaults");
    s.limits.per_ip_per_second = 0;
    s.metrics.allow = vec!["203.0.113.0/24".parse().expect("net")];
    let app = app_with(s);
    post(&app, json!({"text": "你好"})).await;
    let get = |path: &str| Request::get(path).body(Body::empty()).expect("request");
    let resp = app.router.clone().oneshot(get("/healthz")).await.expect("health");
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = app.router.clone().oneshot(get("/metrics")).await.expect("metrics");
    let text = String::from_utf8(resp.into_body().collect().await.expect("body").to_bytes().to_vec()).expect("utf8");
    assert!(text.contains("xg_messages_total"), "{text}");
    assert!(text.contains("xg_store_flush_seconds"), "{text}");
    let resp = app.router.clone().oneshot(get("/")).await.expect("page");
    assert_eq!(resp.status(), StatusCode::OK);
    let html = String::from_utf8(resp.into_body().collect().await.expect("body").to_bytes().to_vec()).expect("utf8");
    assert!(html.contains("依法信访指引") && html.contains("/api/v1/chat"));
    assert!(!html.contains("http://") && !html.contains("https://"), "no external assets");
    assert!(!html.contains("innerHTML"), "citizen and bot text is set with textContent only");
    // The page counts characters against the server's own limit.
    assert!(html.contains(r#"data-max-chars="5000""#) && !html.contains("{{"), "settings filled in");
    assert!(html.contains("<textarea") && !html.contains("maxlength"), "a text box that is never cut");
}

/// Regression (review, kiosk 2): a kiosk opened on 127.0.0.1 printed QR codes
/// no phone can open, and nothing said so. The log now does (the page too:
/// tests/browser/kiosk.js).
#[tokio::test]
async fn a_kiosk_opened_on_a_loopback_address_is_warned_about_in_the_log() {
    use std::sync::Mutex;
    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = app();
    let open = |host: &str, path: &str| Request::get(path).header(header::HOST, host).body(Body::empty()).expect("req");
    let logged = || String::from_utf8(buf.0.lock().expect("lock").clone()).expect("utf8");
    for (host, path) in [("192.168.1.20:8080", "/?kiosk=1"), ("127.0.0.1:8080", "/"), ("localhost", "/?src=x")] {
        let resp = app.router.clone().oneshot(open(host, path)).await.expect("page");
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(!logged().contains("loopback"), "{host}{path}: {}", logged());
    }
    let resp = app.router.clone().oneshot(open("127.0.0.1:8080", "/?kiosk=1&src=square")).await.expect("page");
    assert_eq!(resp.status(), StatusCode::OK);
    let line = logged();
    assert!(line.contains("WARN") && line.contains("loopback") && line.contains("public_url"), "{line}");
}

#[tokio::test(start_paused = true)]
async fn the_sweeper_removes_sessions_idle_longer_than_the_limit() {
    use std::sync::atomic::{AtomicI64, Ordering};
    let clock = Arc::new(AtomicI64::new(1_795_744_800));
    let mut s = Settings::load_with_env(None, std::iter::empty()).expect("defaults");
    s.limits.per_ip_per_second = 0;
    s.session.idle_minutes = 30;
    s.session.sweep_seconds = 60;
    let dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> = SledStore::open(dir.path(), &SledOptions::default()).expect("open");
    let (content, _) = xinfang_guide::content::load(Path::new(env!("CARGO_MANIFEST_DIR")));
    let mut app = App::with_store(
        s.clone(),
        Arc::new(content.expect("content")),
        Arc::new(xinfang_guide::engine::understand::Plain),
        store.clone(),
    );
    let c = clock.clone();
    app.state.clock = Arc::new(move || c.load(Ordering::SeqCst));
    let test = TestApp {
        router: app.router().layer(MockConnectInfo("127.0.0.1:1".parse::<SocketAddr>().expect("addr"))),
        store,
        _dir: dir,
    };
    post(&test, json!({"text": "你好"})).await;
    let sweeper = xinfang_guide::server::spawn_sweeper(app.state.clone(), s.session.clone());
    tokio::time::sleep(std::time::Duration::from_secs(61)).await;
    assert_eq!(test.store.session_count().await.expect("count"), 1, "29 idle minutes is not yet expired");
    clock.fetch_add(31 * 60, Ordering::SeqCst);
    tokio::time::sleep(std::time::Duration::from_secs(61)).await;
    assert_eq!(test.store.session_count().await.expect("count"), 0, "swept after 31 idle minutes");
    sweeper.abort();
}

/// Regression (review, phone 7): a button tapped on a page whose session was
/// swept got "抱歉，我没有看懂" and the menu, as if the person had erred.
#[tokio::test]
async fn a_page_holding_a_swept_session_is_told_it_timed_out() {
    let app = app();
    let (_, v) = post(&app, json!({"choice": "cmd:start"})).await;
    let token = v["session"].as_str().expect("token").to_string();
    let v = choose(&app, &token, &v, "我的问题该找哪里").await;
    let id = v["replies"][0]["choices"][1]["id"].as_str().expect("id").to_string();
    let swept = app.store.remove_idle(i64::MAX).await.expect("sweep");
    assert_eq!(swept.remaining, 0);
    for body in [json!({"session": token, "choice": id}), json!({"session": token, "choice": "cmd:resume"})] {
        let (status, v) = post(&app, body.clone()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(v["replies"][0]["text"], "对话已超时，已为您重新开始。", "{body}: {v}");
        assert!(v["replies"][1]["text"].as_str().expect("menu").contains("依法信访指引"), "{v}");
        assert_ne!(v["session"], token.as_str(), "a fresh token");
    }
    // A first visit (no token) is no timeout.
    let (_, v) = post(&app, json!({"choice": "cmd:resume"})).await;
    assert!(!v["replies"][0]["text"].as_str().expect("text").contains("超时"), "{v}");
}

#[tokio::test]
async fn feedback_with_a_comment_is_logged_and_admin_stats_refuse_remote_clients() {
    let app = app();
    let (_, v) = post(&app, json!({"choice": "cmd:menu", "src": "0509-square"})).await;
    let token = v["session"].as_str().expect("token").to_string();
    let (status, v) =
        post(&app, json!({"session": token, "feedback": {"helpful": false, "comment": "太长了，电话13912345678"}}))
            .await;
    assert_eq!(status, StatusCode::OK);
    assert!(v["replies"][0]["text"].as_str().expect("text").contains("已记下"));
    let log = app.store.log_range(0, i64::MAX, None, 10).await.expect("log");
    let fb = log[1].record.feedback.clone().expect("feedback record");
    assert_eq!(fb.helpful, Some(false));
    assert!(!fb.comment.expect("comment").contains("13912345678"));
    let (status, _) = post(&app, json!({"session": token, "feedback": {}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = post(&app, json!({"session": token, "text": "x", "feedback": {"helpful": true}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Stats need the data dir's admin token, whatever the address.
    let req = Request::get("/admin/stats?from=2026-01-01&to=2026-12-31").body(Body::empty()).expect("req");
    let resp = app.router.clone().oneshot(req).await.expect("response");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

/// Regression (review D15): `/metrics` answered anyone.
#[tokio::test]
async fn metrics_answer_only_configured_scrapers() {
    let get = |auth: Option<&str>| {
        let mut r = Request::get("/metrics");
        if let Some(a) = auth {
            r = r.header(header::AUTHORIZATION, a);
        }
        r.body(Body::empty()).expect("request")
    };
    let off = app();
    let (status, body) = call(&off, get(None)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "off unless configured");
    assert!(body.contains("[metrics] allow") && body.contains("XG_METRICS_TOKEN"), "says how to turn it on: {body}");
    let mut s = Settings::load_with_env(None, std::iter::empty()).expect("defaults");
    s.metrics.token = xinfang_guide::config::Secret::new("scrape-secret-0123456789");
    s.metrics.allow = vec!["10.9.0.0/16".parse().expect("net")];
    let app = app_with(s);
    assert_eq!(call(&app, get(None)).await.0, StatusCode::FORBIDDEN, "203.0.113.7 is not in the list");
    assert_eq!(call(&app, get(Some("Bearer wrong"))).await.0, StatusCode::FORBIDDEN);
    let (status, body) = call(&app, get(Some("Bearer scrape-secret-0123456789"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Regression (review D15): `text/plain` and form bodies were taken, so any
/// web page could post to the chat API without asking the browser first.
#[tokio::test]
async fn the_chat_api_takes_only_json() {
    let app = app();
    for ct in [Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("multipart/form-data"), None] {
        let mut r = Request::post("/api/v1/chat");
        if let Some(ct) = ct {
            r = r.header(header::CONTENT_TYPE, ct);
        }
        let (status, _) = call(&app, r.body(Body::from(r#"{"text":"你好"}"#)).expect("req")).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{ct:?}");
    }
    let r = Request::post("/api/v1/chat").header(header::CONTENT_TYPE, "Application/JSON; charset=utf-8");
    assert_eq!(call(&app, r.body(Body::from(r#"{"text":"你好"}"#)).expect("req")).await.0, StatusCode::OK);
    assert!(app.store.log_range(0, i64::MAX, None, 10).await.expect("log").len() == 1, "only the JSON one was taken");
}

/// Regression (review D12): no response said `nosniff`, and error bodies
/// echoed what was sent.
#[tokio::test]
async fn every_response_says_nosniff_and_no_error_echoes_the_request() {
    let app = app();
    for req in [
        Request::get("/").body(Body::empty()),
        Request::get("/healthz").body(Body::empty()),
        Request::get("/no/such/page").body(Body::empty()),
        Request::get("/staff/login").body(Body::empty()),
        Request::get("/staff/dashboard?from=%3Cscript%3E").body(Body::empty()),
        Request::get("/admin/stats?from=%3Cscript%3E&to=x").body(Body::empty()),
        Request::post("/api/v1/chat")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"<script>alert(1)</script>": 1}"#)),
        Request::post("/api/v1/chat").header(header::CONTENT_TYPE, "application/json").body(Body::from("<script>")),
        Request::post("/api/v1/transfer")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"session": "x", "<script>": 1}"#)),
    ] {
        let req = req.expect("request");
        let what = format!("{} {}", req.method(), req.uri());
        let resp = app.router.clone().oneshot(req).await.expect("response");
        assert_eq!(
            resp.headers().get(header::X_CONTENT_TYPE_OPTIONS).map(|v| v.as_bytes()),
            Some(&b"nosniff"[..]),
            "{what}"
        );
        let failed = resp.status().is_client_error();
        let body = String::from_utf8_lossy(&resp.into_body().collect().await.expect("body").to_bytes()).into_owned();
        assert!(!(failed && body.contains("<script>")), "{what} echoes: {body}");
    }
}

/// Regression (review D3): there was no Host check (DNS rebinding).
#[tokio::test]
async fn browser_pages_answer_only_known_hosts() {
    let with_host =
        |path: &str, host: &str| Request::get(path).header(header::HOST, host).body(Body::empty()).expect("req");
    let lan = app();
    for host in ["127.0.0.1:8080", "localhost:8080", "192.168.1.20:8080", "[::1]:8080"] {
        assert_eq!(call(&lan, with_host("/", host)).await.0, StatusCode::OK, "{host}");
    }
    for path in ["/", "/staff/login", "/g/0123456789abcdef0123456789abcdef"] {
        assert_eq!(
            call(&lan, with_host(path, "rebind.attacker.example")).await.0,
            StatusCode::MISDIRECTED_REQUEST,
            "{path}"
        );
    }
    assert_eq!(
        call(&lan, with_host("/healthz", "lb.internal")).await.0,
        StatusCode::OK,
        "health checks come with any Host"
    );
    let mut s = Settings::load_with_env(None, std::iter::empty()).expect("defaults");
    s.server.public_url = "https://xf.example.org".into();
    let public = app_with(s);
    assert_eq!(call(&public, with_host("/", "xf.example.org")).await.0, StatusCode::OK);
    assert_eq!(call(&public, with_host("/", "127.0.0.1:8080")).await.0, StatusCode::MISDIRECTED_REQUEST);
}

/// Regression (review D8): behind a proxy every citizen shared one bucket.
#[tokio::test]
async fn per_ip_limits_key_on_the_client_a_trusted_proxy_names() {
    let limited = |trusted: bool| {
        let mut s = Settings::load_with_env(None, std::iter::empty()).expect("defaults");
        s.limits.per_ip_per_second = 1;
        s.limits.per_ip_burst = 1;
        s.limits.per_session_per_second = 0;
        if trusted {
            s.server.trusted_proxies = vec!["203.0.113.7".parse().expect("ip")];
        }
        app_with(s)
    };
    let send = |app: &TestApp, client: usize| {
        let req = Request::post("/api/v1/chat")
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-forwarded-for", format!("198.51.100.{client}"))
            .body(Body::from(r#"{"text":"你好"}"#))
            .expect("req");
        let router = app.router.clone();
        async move { router.oneshot(req).await.expect("response").status() }
    };
    let proxied = limited(true);
    for client in 1..=20 {
        assert_eq!(send(&proxied, client).await, StatusCode::OK, "client {client} has its own bucket");
    }
    assert_eq!(send(&proxied, 1).await, StatusCode::TOO_MANY_REQUESTS, "and that bucket is limited");
    let direct = limited(false);
    assert_eq!(send(&direct, 1).await, StatusCode::OK);
    assert_eq!(send(&direct, 2).await, StatusCode::TOO_MANY_REQUESTS, "an untrusted peer cannot claim other addresses");
}

async fn call(app: &TestApp, req: Request<Body>) -> (StatusCode, String) {
    let resp = app.router.clone().oneshot(req).await.expect("response");
    let status = resp.status();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

fn post_json(path: &str, body: Value) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::HOST, "192.168.1.20:8080")
        .body(Body::from(body.to_string()))
        .expect("request")
}

/// A session standing at the unpaid-wages channel card.
async fn at_wage_card(app: &TestApp) -> String {
    let (_, v) = post(app, json!({"choice": "cmd:menu", "src": "0509-square"})).await;
    let token = v["session"].as_str().expect("token").to_string();
    let mut v = v;
    for label in ["我的问题该找哪里", "工资", "拖欠工资", "还没有申请劳动仲裁", "是"] {
        v = choose(app, &token, &v, label).await;
    }
    assert_eq!(v["replies"][0]["card"]["channel"], "labor_inspection_12333");
    token
}

#[tokio::test]
async fn a_kiosk_conversation_moves_to_a_phone_once_and_leaves_the_kiosk_clean() {
    let app = app();
    let kiosk = at_wage_card(&app).await;
    let (status, body) = call(&app, post_json("/api/v1/transfer", json!({"session": kiosk}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let link: Value = serde_json::from_str(&body).expect("json");
    let ticket = link["ticket"].as_str().expect("ticket").to_string();
    assert_eq!(link["url"], format!("http://192.168.1.20:8080/?t={ticket}"));
    assert!(link["qr"].as_str().expect("qr").starts_with("data:image/svg+xml;base64,"));
    let status_of = |t: String| Request::get(format!("/api/v1/transfer/{t}")).body(Body::empty()).expect("req");
    assert_eq!(call(&app, status_of(ticket.clone())).await.1, r#"{"pending":true}"#);

    let (status, body) = call(&app, post_json("/api/v1/claim", json!({"ticket": ticket}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let phone: Value = serde_json::from_str(&body).expect("json");
    let phone_token = phone["session"].as_str().expect("session");
    assert_ne!(phone_token, kiosk, "the phone gets its own token");
    assert_eq!(phone["replies"][0]["card"]["channel"], "labor_inspection_12333", "the phone continues at the card");
    assert_eq!(call(&app, status_of(ticket.clone())).await.1, r#"{"pending":false}"#);
    let (status, _) = call(&app, post_json("/api/v1/claim", json!({"ticket": ticket}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a ticket works once");
    // The kiosk's session starts over: nothing of the conversation is left there.
    let (_, v) = post(&app, json!({"session": kiosk, "choice": "cmd:resume"})).await;
    assert!(v["replies"][0]["card"].is_null() && v["replies"][0]["text"].as_str().expect("t").contains("依法信访指引"));
    // Back on the phone works through the history that moved with it.
    let (_, v) = post(&app, json!({"session": phone_token, "choice": "cmd:back"})).await;
    assert!(v["replies"].to_string().contains("是"), "{v}");
    let (status, _) = call(&app, post_json("/api/v1/claim", json!({"ticket": "not-a-ticket"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = call(&app, post_json("/api/v1/transfer", json!({"session": "0".repeat(32)}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&app, post_json("/api/v1/transfer", json!({"nope": 1}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_channel_card_can_be_taken_away_as_a_read_only_page_that_expires() {
    let app = app();
    let token = at_wage_card(&app).await;
    let (status, body) = call(&app, post_json("/api/v1/takeaway", json!({"session": token}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let link: Value = serde_json::from_str(&body).expect("json");
    let url = link["url"].as_str().expect("url");
    let path = url.strip_prefix("http://192.168.1.20:8080").expect("same host");
    assert!(path.starts_with("/g/") && path.len() == 3 + 32, "{path}");
    let (status, html) = call(&app, Request::get(path).body(Body::empty()).expect("req")).await;
    assert_eq!(status, StatusCode::OK);
    for part in ["建议途径：人力资源和社会保障部门", "法律依据", "《劳动保障监察条例》第九条", "12348", "打印"]
    {
        assert!(html.contains(part), "{part} missing in {html}");
    }
    assert!(!html.contains(&token), "the session token is not on the page");
    // Unknown, malformed and expired links: a polite 404 page.
    for p in ["/g/0123456789abcdef0123456789abcdef", "/g/%3Cscript%3E"] {
        let (status, html) = call(&app, Request::get(p).body(Body::empty()).expect("req")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(html.contains("已经过期") && !html.contains("<script"), "{html}");
        // It offers to open the guide again (UX K4).
        assert!(html.contains(r#"<a href="/">重新打开依法信访指引</a>"#), "{html}");
    }
    let ticket = path.trim_start_matches("/g/").to_string();
    let mut t = app.store.get_ticket(&ticket, 0).await.expect("get").expect("ticket");
    t.expires = 1;
    app.store.put_ticket(&ticket, &t).await.expect("put");
    let (status, _) = call(&app, Request::get(path).body(Body::empty()).expect("req")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // No card where the conversation stands: nothing to take away.
    let (_, v) = post(&app, json!({"choice": "cmd:menu"})).await;
    let menu_token = v["session"].as_str().expect("token");
    let (status, _) = call(&app, post_json("/api/v1/takeaway", json!({"session": menu_token}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// The web chat with the free-text understanding: self-harm gets the crisis
/// reply (no 有帮助/没帮助 choice), the log record carries the danger kind,
/// and "我现在安全了" offers the matter of the rest of the message.
#[tokio::test]
async fn a_crisis_message_gets_care_then_its_matter_on_the_web() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> = SledStore::open(dir.path(), &SledOptions::default()).expect("open");
    let (loaded, diags) = xinfang_guide::understand::load_all(Path::new(env!("CARGO_MANIFEST_DIR")));
    let (content, understanding) = loaded.unwrap_or_else(|| panic!("{diags}"));
    let mut s = Settings::load_with_env(None, std::iter::empty()).expect("defaults");
    s.limits.per_ip_per_second = 0;
    s.limits.per_session_per_second = 0;
    let smart = Arc::new(xinfang_guide::understand::Smart { understanding });
    let app = App::with_store(s, content, smart, store.clone());
    let addr: SocketAddr = "203.0.113.8:4000".parse().expect("addr");
    let app = TestApp { router: app.router().layer(MockConnectInfo(addr)), store, _dir: dir };
    let (status, v) = post(&app, json!({"text": "我离婚的事情一直解决不了，今天就想跳楼"})).await;
    assert_eq!(status, StatusCode::OK);
    let reply = &v["replies"][0];
    let text = reply["text"].as_str().expect("text");
    assert!(text.contains("12356") && text.contains("120") && text.contains("110"), "{text}");
    assert!(!text.contains("家庭暴力"), "{text}");
    let ids: Vec<&str> =
        reply["choices"].as_array().expect("choices").iter().filter_map(|c| c["id"].as_str()).collect();
    assert!(!ids.iter().any(|id| id.starts_with("fb:")), "{ids:?}");
    let log = app.store.log_range(0, i64::MAX, None, 10).await.expect("log");
    assert_eq!(log[0].record.danger.as_deref(), Some("self_harm"));
    let session = v["session"].as_str().expect("session").to_string();
    let offer = choose(&app, &session, &v, "我现在安全了").await;
    assert!(offer.to_string().contains("婚姻家庭继承"), "{offer}");
    // A guess to confirm, or buttons when the rest of the message is less clear.
    let pick = if offer.to_string().contains("对吗") { "对" } else { "婚姻家庭继承" };
    let family = choose(&app, &session, &offer, pick).await;
    assert!(family.to_string().contains("是否正在遭受家庭暴力"), "{family}");
}

/// Review N5: a web turn carries the page's id; sent again (its answer was
/// lost, or the server said it may not have gone out) it is answered from
/// its receipt, not applied twice. A malformed id is a 400.
#[tokio::test]
async fn a_web_turn_sent_again_with_its_id_is_answered_once() {
    let app = app();
    let (_, v) = post(&app, json!({"choice": "cmd:menu"})).await;
    let token = v["session"].as_str().expect("token").to_string();
    let first = choose(&app, &token, &v, "我的问题该找哪里").await;
    let id = first["replies"][0]["choices"]
        .as_array()
        .expect("choices")
        .iter()
        .find(|c| c["label"].as_str().is_some_and(|l| l.contains("工资")))
        .map(|c| c["id"].as_str().expect("id").to_string())
        .expect("wages choice");
    let turn = json!({"session": token, "choice": id, "turn": "a1b2c3d4e5f6a7b8c9d0e1f2"});
    let (s1, once) = post(&app, turn.clone()).await;
    let (s2, again) = post(&app, turn.clone()).await;
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
    assert_eq!(once["replies"], again["replies"], "the same answer");
    let log = app.store.log_range(0, i64::MAX, None, 100).await.expect("log");
    assert_eq!(log.len(), 3, "menu, 我的问题该找哪里 and one wages turn");
    // Without an id a resend is a new turn, as before.
    let (status, _) = post(&app, json!({"session": token, "choice": "cmd:menu"})).await;
    assert_eq!(status, StatusCode::OK);
    for bad in ["", "has space", "<script>", &"x".repeat(65)] {
        let (status, v) = post(&app, json!({"session": token, "choice": "cmd:menu", "turn": bad})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {v}");
        assert!(!v.to_string().contains("<script>"), "not echoed");
    }
}
