//! Several `serve` processes on one PostgreSQL database (`XG_TEST_PG_URL`,
//! see `.ci/pg.sh`): whatever instance a request reaches, the conversation,
//! the kiosk hand-off, staff logins and lock-out counts are the same, and
//! killing one instance loses no acknowledged message. Skipped (and said
//! so) without a server; under CI a missing server fails.

mod common;

use common::{Server, choice_id, spawn_with};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};
use xinfang_guide::channels::wechat::crypto::signature;
use xinfang_guide::engine::session::SessionKey;
use xinfang_guide::store::pg::PgOptions;
use xinfang_guide::store::{PgStore, Store};

const WECHAT_TOKEN: &str = "instances-test-token";

struct Cluster {
    servers: Vec<Server>,
    _dirs: Vec<tempfile::TempDir>,
    store: Arc<PgStore>,
    url: String,
}

/// `n` instances on a new database, or None when no PostgreSQL is given.
async fn cluster(test: &str, n: usize) -> Option<Cluster> {
    let url = common::pg_database(test).await?;
    // The first instance creates the schema; the others find it.
    let store = PgStore::connect(&url, &PgOptions::default()).await.expect("connect");
    let mut servers = Vec::new();
    let mut dirs = Vec::new();
    for _ in 0..n {
        let dir = tempfile::tempdir().expect("tempdir");
        let envs = [
            ("XG_STORE_URL", url.as_str()),
            ("XG_WECHAT_TOKEN", WECHAT_TOKEN),
            ("XG_WECHAT_MODE", "plain"),
            ("XG_LIMITS_LOGIN_PER_MINUTE", "0"),
            ("XG_LIMITS_LOGIN_TARPIT_MS", "0"),
        ];
        // A data dir that does not exist yet: the server creates it (review N7).
        servers.push(spawn_with(&dir.path().join("new").join("data"), &envs, Stdio::inherit()));
        dirs.push(dir);
    }
    Some(Cluster { servers, _dirs: dirs, store, url })
}

async fn chat(client: &reqwest::Client, base: &str, body: Value) -> Value {
    let resp = client.post(format!("{base}/api/v1/chat")).json(&body).send().await.expect("send");
    assert!(resp.status().is_success(), "{}", resp.status());
    resp.json().await.expect("json")
}

fn web(token: &str) -> SessionKey {
    SessionKey::parse("web", token).expect("key")
}

#[tokio::test]
async fn a_web_session_moves_between_instances_request_by_request() {
    let Some(c) = cluster("moves", 3).await else { return };
    let client = reqwest::Client::new();
    let base = |i: usize| c.servers[i % 3].base.clone();
    let mut v = chat(&client, &base(0), json!({"text": "你好"})).await;
    let token = v["session"].as_str().expect("token").to_string();
    for (i, label) in ["我的问题该找哪里", "法院的案子", "对法院的判决"].into_iter().enumerate() {
        let id = choice_id(&v, label);
        v = chat(&client, &base(i + 1), json!({"session": token, "choice": id})).await;
    }
    assert!(v["replies"][0]["text"].as_str().expect("text").contains("哪一类案件"), "{v}");
    // "Back" on a fourth request: the history written by the others is there.
    let v = chat(&client, &base(4), json!({"session": token, "text": "返回"})).await;
    assert!(v["replies"][0]["text"].as_str().expect("text").contains("请选择更接近的一项"), "{v}");
    let s = c.store.load(&web(&token)).await.expect("load").expect("session");
    assert_eq!(s.turns, 5);
    assert_eq!(c.store.log_for_session(&web(&token), 100).await.expect("log").len(), 5);
    // The console of another instance shows what the first took: the
    // conversation as the operator endpoint reads it.
    let admin = std::fs::read_to_string(c._dirs[2].path().join("new/data/admin.token")).expect("admin token");
    let r = client
        .get(format!("{}/admin/conversation?channel=web&user={token}", base(2)))
        .bearer_auth(admin.trim())
        .send()
        .await
        .expect("get");
    assert!(r.status().is_success(), "{}", r.status());
    let body = r.text().await.expect("body");
    assert!(body.contains("你好"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_messages_on_one_session_over_three_instances_are_51_turns() {
    let Some(c) = cluster("fifty", 3).await else { return };
    let client = reqwest::Client::new();
    let v = chat(&client, &c.servers[0].base, json!({"text": "你好"})).await;
    let token = v["session"].as_str().expect("token").to_string();
    let mut tasks = Vec::new();
    for i in 0..50 {
        let url = format!("{}/api/v1/chat", c.servers[i % 3].base);
        let (client, token) = (client.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let body = json!({"session": token, "text": format!("并发消息{i}")});
            client.post(url).json(&body).send().await.expect("send").status()
        }));
    }
    for t in tasks {
        let status = t.await.expect("task");
        assert!(status.is_success(), "{status}");
    }
    let s = c.store.load(&web(&token)).await.expect("load").expect("session");
    assert_eq!((s.turns, s.version), (51, 51), "every message applied once");
    let log = c.store.log_for_session(&web(&token), 1000).await.expect("log");
    assert_eq!(log.len(), 51);
    let mut inputs: Vec<_> = log.iter().map(|e| e.record.input.clone()).collect();
    inputs.sort();
    inputs.dedup();
    assert_eq!(inputs.len(), 51, "none twice");
}

async fn wechat_push(client: &reqwest::Client, base: &str, xml: &str) -> String {
    let (ts, nonce) = (xinfang_guide::server::unix_now().to_string(), "4242".to_string());
    let sig = signature(&[WECHAT_TOKEN, &ts, &nonce]);
    let url = format!("{base}/wechat?signature={sig}&timestamp={ts}&nonce={nonce}&openid=o1");
    let r = client.post(url).body(xml.to_string()).send().await.expect("post");
    assert_eq!(r.status().as_u16(), 200);
    r.text().await.expect("body")
}

#[tokio::test]
async fn a_wechat_redelivery_reaching_another_instance_is_answered_once() {
    let Some(c) = cluster("wechat", 2).await else { return };
    let client = reqwest::Client::new();
    let xml = format!(
        "<xml><ToUserName><![CDATA[gh_xf]]></ToUserName><FromUserName><![CDATA[oMulti]]></FromUserName>\
         <CreateTime>{}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[老板拖欠我三个月工资]]></Content>\
         <MsgId>9001</MsgId></xml>",
        xinfang_guide::server::unix_now()
    );
    let first = wechat_push(&client, &c.servers[0].base, &xml).await;
    // WeChat retries after 5 s without an answer; here the retries reach B, two at once.
    let (a, b) =
        tokio::join!(wechat_push(&client, &c.servers[1].base, &xml), wechat_push(&client, &c.servers[1].base, &xml));
    assert_eq!((a.as_str(), b.as_str()), (first.as_str(), first.as_str()));
    let key = SessionKey::parse("wechat", "oMulti").expect("key");
    assert_eq!(c.store.log_for_session(&key, 100).await.expect("log").len(), 1, "one turn");
}

#[tokio::test]
async fn a_kiosk_hand_off_made_on_one_instance_is_claimed_on_another() {
    let Some(c) = cluster("kiosk", 2).await else { return };
    let client = reqwest::Client::new();
    let (a, b) = (&c.servers[0].base, &c.servers[1].base);
    let v = chat(&client, a, json!({"text": "老板拖欠工资怎么办", "src": "kiosk-1"})).await;
    let kiosk = v["session"].as_str().expect("token").to_string();
    let link: Value = client
        .post(format!("{a}/api/v1/transfer"))
        .json(&json!({"session": kiosk}))
        .send()
        .await
        .expect("transfer")
        .json()
        .await
        .expect("json");
    let ticket = link["ticket"].as_str().expect("ticket").to_string();
    let status = |base: String| {
        let (client, ticket) = (client.clone(), ticket.clone());
        async move {
            let v: Value = client
                .get(format!("{base}/api/v1/transfer/{ticket}"))
                .send()
                .await
                .expect("status")
                .json()
                .await
                .expect("json");
            v["pending"].as_bool().expect("pending")
        }
    };
    assert!(status(a.clone()).await, "waiting for a phone");
    let phone = client.post(format!("{b}/api/v1/claim")).json(&json!({"ticket": ticket})).send().await.expect("claim");
    assert!(phone.status().is_success(), "{}", phone.status());
    let phone: Value = phone.json().await.expect("json");
    let moved = phone["session"].as_str().expect("token").to_string();
    assert_ne!(moved, kiosk);
    // A's screen polls its ticket and clears itself; A forgot the kiosk session.
    assert!(!status(a.clone()).await, "claimed: the kiosk resets");
    let left = c.store.load(&web(&kiosk)).await.expect("load").expect("kiosk session");
    assert_eq!(left.turns, 0, "the kiosk's conversation left with the phone");
    // The phone goes on on A with the conversation it took over.
    let s = c.store.load(&web(&moved)).await.expect("load").expect("moved session");
    assert!(s.turns >= 1);
    chat(&client, a, json!({"session": moved, "text": "然后呢"})).await;
    // A second claim, on either instance, finds nothing.
    let again = client.post(format!("{a}/api/v1/claim")).json(&json!({"ticket": ticket})).send().await.expect("claim");
    assert_eq!(again.status().as_u16(), 404);
}

async fn add_staff(url: &str, name: &str, password: &str) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_xinfang-guide"))
        .args(["staff", "add", name, "--role", "viewer", "--store-url", url])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    use std::io::Write as _;
    child.stdin.take().expect("stdin").write_all(format!("{password}\n").as_bytes()).expect("write");
    let out = child.wait_with_output().expect("output");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Posts the login form of `base` (its CSRF pair is stateless: cookie and
/// field); returns the status and the session cookie when one was set.
async fn login(base: &str, name: &str, password: &str) -> (u16, Option<String>) {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let form = client.get(format!("{base}/staff/login")).send().await.expect("get");
    let cookie = form.headers()["set-cookie"].to_str().expect("cookie").split(';').next().expect("pair").to_string();
    let body = form.text().await.expect("body");
    let csrf = body.split(r#"name="csrf" value=""#).nth(1).and_then(|x| x.split('"').next()).expect("csrf").to_string();
    let r = client
        .post(format!("{base}/staff/login"))
        .header("cookie", cookie)
        .form(&[("username", name), ("password", password), ("csrf", csrf.as_str())])
        .send()
        .await
        .expect("post");
    let session = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().to_string())
        .find(|kv| kv.split_once('=').is_some_and(|(_, v)| !v.is_empty()) && !kv.starts_with("xg_login"));
    (r.status().as_u16(), session)
}

#[tokio::test]
async fn a_staff_login_on_one_instance_is_valid_on_another_and_lock_out_counts_are_shared() {
    let Some(c) = cluster("staff", 2).await else { return };
    let (a, b) = (&c.servers[0].base, &c.servers[1].base);
    add_staff(&c.url, "li", "a long enough password").await;
    let (status, cookie) = login(a, "li", "a long enough password").await;
    assert_eq!(status, 303);
    let cookie = cookie.expect("session cookie");
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let page = client.get(format!("{b}/staff/queries")).header("cookie", &cookie).send().await.expect("get");
    assert_eq!(page.status().as_u16(), 200, "logged in on A, served by B");
    // Four wrong passwords on each instance: neither alone reaches the
    // free attempts of one name from one address (5), together they do.
    for base in [a, b, a, b, a, b, a, b] {
        assert_eq!(login(base, "li", "wrong password!").await.0, 401);
    }
    let (status, cookie) = login(b, "li", "a long enough password").await;
    assert_eq!((status, cookie), (401, None), "the right password waits too: the count is shared");
    let throttle = c.store.record_scan("throttle", "p:", 10).await.expect("scan");
    assert_eq!(throttle.len(), 1, "one count for name and address, in the database");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_one_instance_under_load_loses_no_acknowledged_message() {
    let Some(mut c) = cluster("kill9", 3).await else { return };
    let bases: Vec<String> = c.servers.iter().map(|s| s.base.clone()).collect();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("client");
    let stop_at = Instant::now() + Duration::from_millis(2500);
    let mut tasks = Vec::new();
    for citizen in 0..12 {
        let (client, bases) = (client.clone(), bases.clone());
        tasks.push(tokio::spawn(async move {
            let v = chat(&client, &bases[citizen % 2], json!({"text": "你好"})).await;
            let token = v["session"].as_str().expect("token").to_string();
            let (mut acked, mut after_kill, mut i) = (vec!["你好".to_string()], 0, 0usize);
            while Instant::now() < stop_at {
                i += 1;
                let text = format!("第{citizen}人第{i}条");
                let base = &bases[(citizen + i) % 3];
                let sent = client.post(format!("{base}/api/v1/chat")).json(&json!({"session": token, "text": text}));
                match sent.send().await {
                    Ok(r) if r.status().is_success() => {
                        acked.push(text);
                        if base != &bases[2] && Instant::now() > stop_at - Duration::from_millis(1000) {
                            after_kill += 1;
                        }
                    }
                    // The killed instance: not acknowledged, the citizen sends on.
                    _ => {}
                }
            }
            (token, acked, after_kill)
        }));
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    c.servers[2].child.kill().expect("kill -9");
    c.servers[2].child.wait().expect("reaped");
    let mut served_after = 0;
    let mut acked_total = 0;
    let mut per_session = HashMap::new();
    for t in tasks {
        let (token, acked, after) = t.await.expect("task");
        served_after += after;
        acked_total += acked.len();
        per_session.insert(token, acked);
    }
    assert!(served_after > 0, "the other instances kept serving");
    for (token, acked) in &per_session {
        let log = c.store.log_for_session(&web(token), 10_000).await.expect("log");
        let logged: Vec<&str> = log.iter().map(|e| e.record.input.as_str()).collect();
        for text in acked {
            assert!(logged.contains(&text.as_str()), "acknowledged {text:?} is not in the log of {token}");
        }
        let s = c.store.load(&web(token)).await.expect("load").expect("session");
        assert_eq!(s.turns as usize, log.len(), "turns and log records agree");
    }
    assert!(acked_total > 12 * 3, "load ran: {acked_total} acknowledged");
}

/// A cluster of its own (the shared one stays up for the other tests),
/// stopped and removed when dropped.
struct OwnCluster {
    dir: String,
    url: String,
}

impl OwnCluster {
    fn script(args: &[&str]) -> String {
        let out = std::process::Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/pg.sh"))
            .args(args)
            .output()
            .expect("run .ci/pg.sh");
        assert!(out.status.success(), "pg.sh {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn start() -> Self {
        let out = Self::script(&["start"]);
        let var = |name: &str| {
            out.lines()
                .find_map(|l| l.strip_prefix(&format!("export {name}=")))
                .unwrap_or_else(|| panic!("no {name} in {out}"))
                .to_string()
        };
        Self { dir: var("XG_TEST_PG_DIR"), url: var("XG_TEST_PG_URL") }
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let _ = std::process::Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/pg.sh"))
            .args(["stop", &self.dir])
            .status();
    }
}

#[tokio::test]
async fn a_database_outage_answers_503_and_the_server_recovers_by_itself() {
    if common::pg_database("outage").await.is_none() {
        return;
    }
    let pg = OwnCluster::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let envs = [("XG_STORE_URL", pg.url.as_str()), ("XG_WECHAT_TOKEN", WECHAT_TOKEN), ("XG_WECHAT_MODE", "plain")];
    let server = spawn_with(dir.path(), &envs, Stdio::inherit());
    let client = reqwest::Client::builder().timeout(Duration::from_secs(15)).build().expect("client");
    let v = chat(&client, &server.base, json!({"text": "你好"})).await;
    let token = v["session"].as_str().expect("token").to_string();
    let health = |client: reqwest::Client, base: String| async move {
        client.get(format!("{base}/healthz")).send().await.expect("healthz").status().as_u16()
    };
    assert_eq!(health(client.clone(), server.base.clone()).await, 200);

    OwnCluster::script(&["halt", &pg.dir]);
    let r = client
        .post(format!("{}/api/v1/chat", server.base))
        .json(&json!({"session": token, "text": "还在吗"}))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 503);
    let body: Value = r.json().await.expect("json error");
    assert_eq!(body["error"]["code"], "store_unavailable", "{body}");
    assert!(body["error"]["hint"].as_str().expect("hint").contains("稍后再试"));
    assert_eq!(health(client.clone(), server.base.clone()).await, 503);
    let xml = format!(
        "<xml><ToUserName><![CDATA[gh_xf]]></ToUserName><FromUserName><![CDATA[oDown]]></FromUserName>\
         <CreateTime>{}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content>\
         <MsgId>77</MsgId></xml>",
        xinfang_guide::server::unix_now()
    );
    assert!(wechat_push(&client, &server.base, &xml).await.contains("请稍后再发一次"), "WeChat: the polite text");

    OwnCluster::script(&["resume", &pg.dir]);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = client
            .post(format!("{}/api/v1/chat", server.base))
            .json(&json!({"session": token, "text": "我回来了"}))
            .send()
            .await
            .expect("send");
        if r.status().is_success() {
            break;
        }
        assert!(Instant::now() < deadline, "not recovered: {}", r.status());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(health(client.clone(), server.base.clone()).await, 200);
    let store = PgStore::connect(&pg.url, &PgOptions::default()).await.expect("connect");
    let log = store.log_for_session(&web(&token), 100).await.expect("log");
    let inputs: Vec<&str> = log.iter().map(|e| e.record.input.as_str()).collect();
    assert_eq!(inputs, ["你好", "我回来了"], "the turn refused during the outage left nothing");
    drop(server);
}

/// Instances rolled out one by one run different content for a while: a
/// session standing on a node this instance's content does not have starts
/// again at the main menu, answered, not an error.
#[tokio::test]
async fn a_session_on_a_node_this_instance_does_not_know_starts_again_politely() {
    let Some(c) = cluster("unknown_node", 1).await else { return };
    let token = "0123456789abcdef0123456789abcdef";
    // Active now: an idle session could be swept at the server's start,
    // and an unknown token gets a new one.
    let now = xinfang_guide::server::unix_now();
    let s = xinfang_guide::engine::session::Session::new(web(token), "node_only_in_newer_content", now);
    let rec = xinfang_guide::engine::reply::LogRecord { ts: now, ..Default::default() };
    c.store.commit(None, &s, &rec).await.expect("commit");
    let client = reqwest::Client::new();
    let v = chat(&client, &c.servers[0].base, json!({"session": token, "text": "你好"})).await;
    assert_eq!(v["session"], token);
    assert!(!v["replies"].as_array().expect("replies").is_empty(), "{v}");
    let s = c.store.load(&web(token)).await.expect("load").expect("session");
    assert_ne!(s.node, "node_only_in_newer_content");
}

/// A fake Telegram Bot API for two instances: each is given its own path
/// prefix (`/a`, `/b`) in `api_url`, so the fake knows which one calls.
/// Updates queued are handed to whichever instance polls first.
#[derive(Default)]
struct FakeTelegram {
    updates: std::collections::VecDeque<Value>,
    /// (instance prefix, method in lower case, parameters), in order.
    calls: Vec<(String, String, Value)>,
}

type Tg = Arc<std::sync::Mutex<FakeTelegram>>;

fn tg(f: &Tg) -> std::sync::MutexGuard<'_, FakeTelegram> {
    f.lock().unwrap_or_else(|e| e.into_inner())
}

async fn fake_bot_api(
    axum::extract::State(f): axum::extract::State<Tg>,
    axum::extract::Path((inst, _bot, method)): axum::extract::Path<(String, String, String)>,
    body: axum::body::Bytes,
) -> axum::Json<Value> {
    let method = method.to_ascii_lowercase();
    let params: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    tg(&f).calls.push((inst.clone(), method.clone(), params.clone()));
    let result = match method.as_str() {
        "getupdates" => common::telegram::long_poll(|| tg(&f).updates.drain(..).collect()).await,
        "getme" => common::telegram::get_me(),
        "getwebhookinfo" => json!({"url": "", "has_custom_certificate": false, "pending_update_count": 0}),
        "sendmessage" => common::telegram::sent(&params, 2000),
        _ => json!(true),
    };
    axum::Json(json!({"ok": true, "result": result}))
}

fn tg_message(update_id: i64, text: &str) -> Value {
    json!({"update_id": update_id, "message": {"message_id": update_id, "date": 1764200000,
        "chat": {"id": 7770001, "type": "private", "first_name": "张"},
        "from": {"id": 7770001, "is_bot": false, "first_name": "张"}, "text": text}})
}

/// The instances that called `method` since call number `from`.
fn callers(f: &Tg, from: usize, method: &str) -> std::collections::BTreeSet<String> {
    tg(f).calls.iter().skip(from).filter(|c| c.1 == method).map(|c| c.0.clone()).collect()
}

async fn wait_for(what: &str, limit: Duration, mut ok: impl FnMut() -> bool) {
    let until = Instant::now() + limit;
    while !ok() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Telegram allows one `getUpdates` poller per bot: of two instances on one
/// database only the lease holder polls, a message is answered once, and
/// when the holder is killed (no release: its lease runs out) the other
/// takes over polling and answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn only_one_instance_polls_telegram_and_the_other_takes_over_when_it_dies() {
    let Some(url) = common::pg_database("tglease").await else { return };
    let fake: Tg = Arc::default();
    let api = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let api_base = format!("http://{}", api.local_addr().expect("addr"));
    let router =
        axum::Router::new().route("/{inst}/{bot}/{method}", axum::routing::post(fake_bot_api)).with_state(fake.clone());
    tokio::spawn(async move { axum::serve(api, router).await });
    let mut servers = Vec::new();
    let mut dirs = Vec::new();
    for inst in ["a", "b"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let api_url = format!("{api_base}/{inst}");
        let envs = [
            ("XG_STORE_URL", url.as_str()),
            ("XG_TELEGRAM_TOKEN", "123456:LEASE-test"),
            ("XG_TELEGRAM_API_URL", api_url.as_str()),
        ];
        servers.push((inst, spawn_with(dir.path(), &envs, Stdio::inherit())));
        dirs.push(dir);
    }
    // One of them takes the lease and polls; the other never does meanwhile.
    wait_for("a poller", Duration::from_secs(10), || !callers(&fake, 0, "getupdates").is_empty()).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let pollers = callers(&fake, 0, "getupdates");
    assert_eq!(pollers.len(), 1, "one poller, not {pollers:?}");
    let holder = pollers.into_iter().next().expect("holder");
    let other = if holder == "a" { "b" } else { "a" };

    // A message is answered once, by the holder.
    let mark = tg(&fake).calls.len();
    tg(&fake).updates.push_back(tg_message(1, "老板拖欠工资"));
    wait_for("the reply", Duration::from_secs(10), || !callers(&fake, mark, "sendmessage").is_empty()).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let replies: Vec<String> =
        tg(&fake).calls.iter().skip(mark).filter(|c| c.1 == "sendmessage").map(|c| c.0.clone()).collect();
    assert_eq!(replies, std::slice::from_ref(&holder), "answered once, by the poller");

    // kill -9 of the holder: its lease is not released but runs out
    // (LEASE_SECS 30 after its last renewal); the other takes it on its next
    // try (every 10 s).
    let (_, server) = servers.iter_mut().find(|(i, _)| *i == holder).expect("holder process");
    server.child.kill().expect("kill -9");
    server.child.wait().expect("reaped");
    let killed_at = tg(&fake).calls.len();
    wait_for("the other instance to poll", Duration::from_secs(50), || {
        callers(&fake, killed_at, "getupdates").contains(other)
    })
    .await;
    let mark = tg(&fake).calls.len();
    tg(&fake).updates.push_back(tg_message(2, "菜单"));
    wait_for("the reply after the take-over", Duration::from_secs(10), || {
        callers(&fake, mark, "sendmessage").contains(other)
    })
    .await;
    // The session was the same conversation: the new poller found it in the database.
    let key = SessionKey::parse("telegram", "7770001").expect("key");
    let turns = PgStore::connect(&url, &PgOptions::default()).await.expect("connect").load(&key).await.expect("load");
    assert_eq!(turns.map(|s| s.turns), Some(2), "both messages in one conversation");
}
