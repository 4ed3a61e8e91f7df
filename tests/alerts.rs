//! Danger on the web chat opens one alert per conversation in the store,
//! and the duty webhook posts it to a real local HTTP server: with no
//! citizen text, again after a restart when the first tries failed, and
//! once even when two instances deliver at the same time.

mod common;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, StatusCode, header};
use axum::routing::post;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tower::ServiceExt;
use xinfang_guide::alerts::{self, outbox, webhook};
use xinfang_guide::config::Settings;
use xinfang_guide::server::App;
use xinfang_guide::store::sled_store::SledOptions;
use xinfang_guide::store::{SledStore, Store};

/// A robot on loopback: answers `status` (500 = refuses) and keeps what it got.
#[derive(Clone, Default)]
struct Robot {
    got: Arc<Mutex<Vec<Value>>>,
    status: Arc<Mutex<u16>>,
}

async fn robot_post(State(r): State<Robot>, body: axum::body::Bytes) -> (StatusCode, String) {
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let status = *r.status.lock().expect("lock");
    if status == 200 {
        r.got.lock().expect("lock").push(v);
        // Slow enough that two deliverers would overlap.
        tokio::time::sleep(Duration::from_millis(200)).await;
        (StatusCode::OK, r#"{"errcode":0,"errmsg":"ok"}"#.into())
    } else {
        (StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), "down".into())
    }
}

async fn start_robot(status: u16) -> (Robot, String) {
    let robot = Robot { status: Arc::new(Mutex::new(status)), ..Robot::default() };
    let app = Router::new().route("/cgi-bin/webhook/send", post(robot_post)).with_state(robot.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (robot, format!("http://{addr}/cgi-bin/webhook/send?key=test-key"))
}

fn hook(url: &str) -> outbox::Hook {
    outbox::Hook {
        url: url.to_string(),
        format: webhook::Format::Wecom,
        dingtalk_secret: String::new(),
        include_text: false,
        public_url: "https://xf.example.org".into(),
        http: reqwest::Client::new(),
    }
}

struct Web {
    router: Router,
    store: Arc<dyn Store>,
}

fn web(store: Arc<dyn Store>) -> Web {
    let (loaded, diags) = xinfang_guide::understand::load_all(Path::new(env!("CARGO_MANIFEST_DIR")));
    let (content, understanding) = loaded.unwrap_or_else(|| panic!("{diags}"));
    let mut s = Settings::load_with_env(None, std::iter::empty()).expect("defaults");
    s.limits.per_ip_per_second = 0;
    s.limits.per_session_per_second = 0;
    let app = App::with_store(s, content, Arc::new(xinfang_guide::understand::Smart { understanding }), store.clone());
    let addr: SocketAddr = "203.0.113.9:4000".parse().expect("addr");
    Web { router: app.router().layer(MockConnectInfo(addr)), store }
}

async fn say(w: &Web, session: Option<&str>, text: &str) -> Value {
    let mut body = json!({"text": text});
    if let Some(s) = session {
        body["session"] = json!(s);
    }
    let req = Request::post("/api/v1/chat")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    let resp = w.router.clone().oneshot(req).await.expect("response");
    assert_eq!(resp.status(), StatusCode::OK);
    serde_json::from_slice(&resp.into_body().collect().await.expect("body").to_bytes()).expect("json")
}

fn text(v: &Value) -> String {
    v["replies"].as_array().expect("replies").iter().map(|r| r["text"].as_str().unwrap_or("").to_string()).collect()
}

fn sled(dir: &Path) -> Arc<dyn Store> {
    SledStore::open(dir, &SledOptions::default()).expect("open")
}

/// Every kind of danger on the web gets its own reply; a conversation gets
/// one alert however many of its turns speak of danger; what is not danger
/// never shows 12356 and opens nothing.
#[tokio::test]
async fn each_kind_gets_its_reply_and_each_conversation_one_alert() {
    let dir = tempfile::tempdir().expect("tempdir");
    let w = web(sled(dir.path()));
    let cases = [
        ("工资要不回来我就从楼上跳下去", "12356", "self_harm"),
        ("老公在打我，他还拿着刀", "110", "violence_now"),
        ("再不给钱我就去把他们公司炸了", "依法解决的途径", "harm_others"),
        ("我儿子喝了一瓶敌敌畏", "120 急救", "other_at_risk"),
        ("天天想跳娄", "您现在安全吗", "check"),
    ];
    for (say_this, expect, kind) in cases {
        let v = say(&w, None, say_this).await;
        let t = text(&v);
        assert!(t.contains(expect), "{say_this}: {t}");
        if kind == "check" {
            let labels: Vec<&str> = v["replies"][0]["choices"]
                .as_array()
                .expect("choices")
                .iter()
                .filter_map(|c| c["label"].as_str())
                .collect();
            assert!(labels.starts_with(&["我现在安全", "我需要帮助", "有人正在伤害我"]), "{labels:?}");
        }
    }
    // One conversation, three danger turns: one alert with three turns.
    let first = say(&w, None, "我真的不想活了").await;
    let session = first["session"].as_str().expect("session").to_string();
    say(&w, Some(&session), "我已经把药都准备好了").await;
    say(&w, Some(&session), "吃了一瓶安眠药").await;
    for quiet in ["累死了，加班费也不给", "跳楼价甩卖的东西坏了能退吗", "我爸去年喝药走了，保险说两年内自杀不赔"]
    {
        let t = text(&say(&w, None, quiet).await);
        assert!(!t.contains("12356") && !t.contains("您现在安全吗"), "{quiet}: {t}");
    }
    let open = alerts::open(&*w.store).await.expect("alerts");
    assert_eq!(open.len(), cases.len() + 1, "{open:#?}");
    let mine = open.iter().find(|a| a.turns.len() == 3).expect("the three turns in one alert");
    assert_eq!(mine.kinds, ["self_harm"]);
    let kinds: std::collections::BTreeSet<&str> =
        open.iter().flat_map(|a| a.kinds.iter().map(String::as_str)).collect();
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        ["check", "harm_others", "other_at_risk", "self_harm", "violence_now"]
    );
}

/// The webhook gets the kind, time, channel and console link, never what
/// the person wrote; a refusal is retried with backoff, and a new process
/// on the same data goes on where the old one stopped.
#[tokio::test]
async fn the_duty_webhook_posts_once_and_goes_on_after_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (robot, url) = start_robot(500).await;
    let now = xinfang_guide::app::unix_now();
    {
        let w = web(sled(dir.path()));
        say(&w, None, "我要去信访局门口自焚，这是最后一次").await;
        let r = outbox::deliver(&*w.store, &hook(&url), "instance-a", || now).await.expect("deliver");
        assert_eq!((r.sent, r.failed), (0, 1), "the robot refused");
        let a = &alerts::open(&*w.store).await.expect("open")[0];
        let n = a.notice.as_ref().expect("notice");
        assert_eq!(n.attempts, 1);
        assert!(n.next_at >= now + 30 && n.lease.is_none(), "{n:?}");
        // Not due before its time.
        let r = outbox::deliver(&*w.store, &hook(&url), "instance-a", || now + 1).await.expect("deliver");
        assert_eq!((r.sent, r.failed), (0, 0));
        w.store.flush().await.expect("flush");
    }
    // A restart: a new process on the same data dir, the robot up again.
    *robot.status.lock().expect("lock") = 200;
    let store = sled(dir.path());
    let r = outbox::deliver(&*store, &hook(&url), "instance-b", || now + 31).await.expect("deliver");
    assert_eq!((r.sent, r.failed), (1, 0));
    let got = robot.got.lock().expect("lock").clone();
    assert_eq!(got.len(), 1);
    let md = got[0]["markdown"]["content"].as_str().expect("markdown");
    assert!(
        md.contains("自伤自杀风险") && md.contains("网页") && md.contains("https://xf.example.org/staff/alerts"),
        "{md}"
    );
    assert!(!md.contains("自焚") && !md.contains("信访局门口"), "no citizen text: {md}");
    let r = outbox::deliver(&*store, &hook(&url), "instance-b", || now + 99).await.expect("deliver");
    assert_eq!(r.sent, 0, "sent once");
}

/// Two instances delivering at once (two tasks on one store): the robot
/// hears of the alert once.
#[tokio::test]
async fn two_deliverers_at_once_post_an_alert_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (robot, url) = start_robot(200).await;
    let w = web(sled(dir.path()));
    say(&w, None, "他拿着刀在门口喊，说要砍死我").await;
    let now = xinfang_guide::app::unix_now();
    let (h1, h2) = (hook(&url), hook(&url));
    let (s1, s2) = (w.store.clone(), w.store.clone());
    let a = tokio::spawn(async move { outbox::deliver(&*s1, &h1, "instance-a", || now).await });
    let b = tokio::spawn(async move { outbox::deliver(&*s2, &h2, "instance-b", || now).await });
    let (a, b) = (a.await.expect("join").expect("a"), b.await.expect("join").expect("b"));
    assert_eq!(a.sent + b.sent, 1);
    assert_eq!(robot.got.lock().expect("lock").len(), 1);
}

/// The upkeep the server runs posts a new alert as soon as the turn is in
/// (woken by the turn), through the same path.
#[tokio::test]
async fn the_running_upkeep_posts_a_new_alert_promptly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (robot, url) = start_robot(200).await;
    let store = sled(dir.path());
    let w = web(store.clone());
    let wake = Arc::new(tokio::sync::Notify::new());
    let task =
        alerts::run::spawn(store.clone(), Some(hook(&url)), wake.clone(), Arc::new(xinfang_guide::app::unix_now));
    tokio::time::sleep(Duration::from_millis(200)).await;
    say(&w, None, "我妈说她不想活了，现在在水库边上").await;
    wake.notify_one();
    for _ in 0..100 {
        if !robot.got.lock().expect("lock").is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    task.abort();
    let got = robot.got.lock().expect("lock").clone();
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0]["markdown"]["content"].as_str().expect("md").contains("他人有危险"));
}

/// On PostgreSQL, two instances (two connections) opening alerts for one
/// conversation at once make one alert, and delivering at once post it once.
#[tokio::test]
async fn on_postgresql_two_instances_make_one_alert_and_one_post() {
    use xinfang_guide::engine::reply::LogRecord;
    use xinfang_guide::store::PgStore;
    use xinfang_guide::store::pg::PgOptions;
    let Some(url) = common::pg_database("alerts_two_instances").await else { return };
    let a: Arc<dyn Store> = PgStore::connect(&url, &PgOptions::default()).await.expect("instance a");
    let b: Arc<dyn Store> = PgStore::connect(&url, &PgOptions::default()).await.expect("instance b");
    let now = xinfang_guide::app::unix_now();
    let turn = |ts: i64, input: &str| LogRecord {
        ts,
        channel: "wechat".into(),
        user: "oSameUser".into(),
        input: input.into(),
        danger: Some("self_harm".into()),
        ..LogRecord::default()
    };
    let (t1, t2) = (turn(now, "不想活了"), turn(now, "药都准备好了"));
    let (sa, sb) = (a.clone(), b.clone());
    let (ra, rb) = tokio::join!(async move { alerts::record_turn(&*sa, &t1).await }, async move {
        alerts::record_turn(&*sb, &t2).await
    });
    ra.expect("a");
    rb.expect("b");
    let open = alerts::open(&*a).await.expect("open");
    assert_eq!(open.len(), 1, "{open:#?}");
    assert_eq!(open[0].turns.len(), 2);
    let (robot, hook_url) = start_robot(200).await;
    let (h1, h2) = (hook(&hook_url), hook(&hook_url));
    let (x, y) =
        tokio::join!(outbox::deliver(&*a, &h1, "instance-a", || now), outbox::deliver(&*b, &h2, "instance-b", || now));
    assert_eq!(x.expect("a").sent + y.expect("b").sent, 1);
    assert_eq!(robot.got.lock().expect("lock").len(), 1);
}
