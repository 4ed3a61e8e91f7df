//! End-to-end: the real binary on port 0 with a temporary sled dir.

mod common;

use common::{Server, choice_id, spawn, spawn_with};
use serde_json::{Value, json};
use std::process::Command;
use std::time::Duration;

async fn chat(client: &reqwest::Client, s: &Server, body: Value) -> Value {
    let resp = client.post(format!("{}/api/v1/chat", s.base)).json(&body).send().await.expect("send");
    assert!(resp.status().is_success(), "{}", resp.status());
    resp.json().await.expect("json")
}

#[tokio::test]
async fn session_survives_kill_9_and_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let client = reqwest::Client::new();
    let token;
    {
        let server = spawn(dir.path());
        let v = chat(&client, &server, json!({"text": "你好"})).await;
        token = v["session"].as_str().expect("token").to_string();
        let mut v = v;
        for label in ["我的问题该找哪里", "法院的案子", "对法院的判决"] {
            let id = choice_id(&v, label);
            v = chat(&client, &server, json!({"session": token, "choice": id})).await;
        }
        assert!(v["replies"][0]["text"].as_str().expect("text").contains("哪一类案件"));
        // SIGKILL: no shutdown hook runs. Every acknowledged reply was flushed.
        let mut server = server;
        server.child.kill().expect("kill -9");
        server.child.wait().expect("reaped");
    }
    let server = spawn(dir.path());
    let v = chat(&client, &server, json!({"session": token, "choice": "cmd:resume"})).await;
    assert_eq!(v["session"], token.as_str(), "the session is still known");
    assert!(v["replies"][0]["text"].as_str().expect("text").contains("哪一类案件"), "{v}");
    let v = chat(&client, &server, json!({"session": token, "text": "返回"})).await;
    assert!(
        v["replies"][0]["text"].as_str().expect("text").contains("请选择更接近的一项"),
        "history survived too: {v}"
    );
}

#[tokio::test]
async fn a_second_server_on_the_same_data_dir_says_why_it_cannot_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let _first = spawn(dir.path());
    let out = Command::new(env!("CARGO_BIN_EXE_xinfang-guide"))
        .args(["serve", "--addr", "127.0.0.1:0", "--data"])
        .arg(dir.path())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run second");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("in use by another process"), "{err}");
}

#[tokio::test]
async fn sigterm_shuts_down_gracefully_and_keeps_the_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let client = reqwest::Client::new();
    let mut server = spawn(dir.path());
    for i in 0..5 {
        chat(&client, &server, json!({"text": format!("第{i}条")})).await;
    }
    let pid = server.child.id().to_string();
    let term = Command::new("sh").args(["-c", &format!("kill -TERM {pid}")]).status().expect("kill");
    assert!(term.success());
    let mut status = None;
    for _ in 0..100 {
        if let Some(s) = server.child.try_wait().expect("wait") {
            status = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(status.expect("exited within 5 s").success());
    let store = xinfang_guide::store::SledStore::open(dir.path(), &Default::default()).expect("reopen");
    use xinfang_guide::store::Store;
    assert_eq!(store.log_range(0, i64::MAX, None, 100).await.expect("log").len(), 5);
}

#[tokio::test]
async fn concurrent_requests_on_one_session_are_all_answered_and_all_applied() {
    let dir = tempfile::tempdir().expect("tempdir");
    let client = reqwest::Client::new();
    let server = spawn(dir.path());
    let v = chat(&client, &server, json!({"text": "你好"})).await;
    let token = v["session"].as_str().expect("token").to_string();
    let mut tasks = Vec::new();
    for i in 0..24 {
        let (client, url, token) = (client.clone(), format!("{}/api/v1/chat", server.base), token.clone());
        tasks.push(tokio::spawn(async move {
            let body = json!({"session": token, "text": format!("并发{i}")});
            client.post(url).json(&body).send().await.expect("send").status()
        }));
    }
    for t in tasks {
        assert!(t.await.expect("task").is_success());
    }
    drop(server);
    let store = xinfang_guide::store::SledStore::open(dir.path(), &Default::default()).expect("reopen");
    use xinfang_guide::store::Store;
    let log = store.log_range(0, i64::MAX, None, 100).await.expect("log");
    assert_eq!(log.len(), 25, "every message logged once");
    let key = xinfang_guide::engine::session::SessionKey::parse("web", &token).expect("key");
    assert_eq!(store.load(&key).await.expect("load").expect("session").turns, 25, "no update lost");
}

#[tokio::test]
async fn channels_configured_by_environment_are_on_and_their_secrets_stay_out_of_the_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = tempfile::NamedTempFile::new().expect("log file");
    let stderr = std::process::Stdio::from(log.reopen().expect("reopen"));
    let envs = [("XG_WECHAT_TOKEN", "wx-secret-token"), ("XG_WECHAT_APPID", "wx123"), ("RUST_LOG", "info")];
    let server = spawn_with(dir.path(), &envs, stderr);
    let ts = xinfang_guide::app::unix_now().to_string();
    let sig = xinfang_guide::channels::wechat::crypto::signature(&["wx-secret-token", &ts, "9"]);
    let url = format!("{}/wechat?signature={sig}&timestamp={ts}&nonce=9&echostr=ok-echo", server.base);
    let r = reqwest::get(&url).await.expect("get");
    assert_eq!(r.text().await.expect("body"), "ok-echo");
    let forged = url.replace(&sig, &"0".repeat(40));
    assert_eq!(reqwest::get(&forged).await.expect("get").status().as_u16(), 403);
    drop(server);
    let text = std::fs::read_to_string(log.path()).expect("read log");
    assert!(text.contains("channels on") && text.contains("wechat (/wechat, plain mode)"), "{text}");
    assert!(!text.contains("wx-secret-token"), "{text}");
}

/// The publicity-day numbers, asked while the server runs (it holds the
/// data dir, so the command asks the server) and after it stopped (the
/// command reads the data dir): the same report both ways.
#[tokio::test]
async fn stats_for_a_source_tag_work_with_and_without_the_running_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let client = reqwest::Client::new();
    let mut server = spawn(dir.path());
    for person in 0..3 {
        let v = chat(&client, &server, json!({"choice": "cmd:menu", "src": "0509-square"})).await;
        let session = v["session"].as_str().expect("session").to_string();
        chat(&client, &server, json!({"session": session, "text": "老板拖欠工资怎么办"})).await;
        if person == 0 {
            chat(&client, &server, json!({"session": session, "choice": "fb:yes"})).await;
        }
    }
    chat(&client, &server, json!({"text": "别处来的", "src": "campaign-x"})).await;
    let today = xinfang_guide::engine::dates::today(xinfang_guide::app::unix_now()).expect("today").to_string();
    let stats = |server_addr: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_xinfang-guide"))
            .args(["stats", "--src", "0509-square", "--from", &today, "--to", &today, "--format", "json", "--data"])
            .arg(dir.path())
            .args(["--server", server_addr])
            .output()
            .expect("run stats");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).expect("json")
    };
    let live = stats(&server.base);
    assert_eq!((live["sessions"].as_u64(), live["messages"].as_u64()), (Some(3), Some(6)), "{live}");
    assert_eq!(live["feedback"]["helpful"], 1);
    assert_eq!(live["top_questions"][0]["key"], "老板拖欠工资怎么办");
    let pid = server.child.id().to_string();
    assert!(Command::new("sh").args(["-c", &format!("kill -TERM {pid}")]).status().expect("kill").success());
    let _ = server.child.wait();
    let offline = stats("http://127.0.0.1:9");
    assert_eq!(offline, live);
}

/// `staff add` works whether or not the server holds the data dir, and
/// the account can log in to the running server.
#[tokio::test]
async fn staff_accounts_are_added_with_and_without_the_running_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let add = |name: &str, role: &str, password: &str, server: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_xinfang-guide"))
            .args(["staff", "add", name, "--role", role, "--data"])
            .arg(dir.path())
            .args(["--server", server])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        use std::io::Write as _;
        child.stdin.take().expect("stdin").write_all(format!("{password}\n").as_bytes()).expect("write");
        child.wait_with_output().expect("output")
    };
    let mut server = spawn(dir.path());
    let out = add("li", "editor", "a long enough password", &server.base);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let short = add("zhao", "viewer", "short", &server.base);
    assert!(!short.status.success() && String::from_utf8_lossy(&short.stderr).contains("at least"));
    let dup = add("li", "viewer", "another long password", &server.base);
    assert!(String::from_utf8_lossy(&dup.stderr).contains("exists"));
    // Log in to the running server as li.
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let form = client.get(format!("{}/staff/login", server.base)).send().await.expect("get");
    let cookie = form.headers()["set-cookie"].to_str().expect("cookie").split(';').next().expect("pair").to_string();
    let body = form.text().await.expect("body");
    let csrf = body.split(r#"name="csrf" value=""#).nth(1).and_then(|x| x.split('"').next()).expect("csrf").to_string();
    let r = client
        .post(format!("{}/staff/login", server.base))
        .header("cookie", cookie)
        .form(&[("username", "li"), ("password", "a long enough password"), ("csrf", csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 303);
    let pid = server.child.id().to_string();
    assert!(Command::new("sh").args(["-c", &format!("kill -TERM {pid}")]).status().expect("kill").success());
    let _ = server.child.wait();
    let out = add("wang", "viewer", "a long enough password", "http://127.0.0.1:9");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let store = xinfang_guide::store::SledStore::open(dir.path(), &Default::default()).expect("reopen");
    let names: Vec<String> =
        xinfang_guide::staff::accounts::list(&*store).await.expect("list").into_iter().map(|a| a.name).collect();
    assert_eq!(names, ["li", "wang"]);
}

/// Regression (review D3): `/admin/staff` trusted any loopback peer, and
/// behind a reverse proxy on the same host every client is loopback: a
/// proxied request created a working admin. Now only the data dir's token
/// (a file only the server's user can read) is authority, and the CLI finds
/// the server through the address file it wrote.
#[tokio::test]
async fn admin_endpoints_need_the_data_dirs_token_not_a_loopback_address() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = spawn(dir.path());
    let token_file = dir.path().join("admin.token");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&token_file).expect("token file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "readable by the server's user only");
    }
    let proxied = reqwest::Client::new()
        .post(format!("{}/admin/staff", server.base))
        .header("x-forwarded-for", "203.0.113.9")
        .header("host", "xf.example.org")
        .json(&json!({"name": "proxied", "role": "admin", "password": "proxied-password-1"}))
        .send()
        .await
        .expect("post");
    assert_eq!(proxied.status().as_u16(), 403);
    let stats = reqwest::get(format!("{}/admin/stats?from=2026-01-01&to=2026-01-02", server.base)).await.expect("get");
    assert_eq!(stats.status().as_u16(), 403);
    // The command line needs no --server: the data dir says where the server is.
    let mut child = Command::new(env!("CARGO_BIN_EXE_xinfang-guide"))
        .args(["staff", "add", "chen", "--role", "admin", "--data"])
        .arg(dir.path())
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    use std::io::Write as _;
    child.stdin.take().expect("stdin").write_all(b"a long enough password\n").expect("write");
    let out = child.wait_with_output().expect("output");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // A refusal reads as the server's message, not its JSON.
    let mut again = Command::new(env!("CARGO_BIN_EXE_xinfang-guide"))
        .args(["staff", "add", "chen", "--role", "admin", "--data"])
        .arg(dir.path())
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    again.stdin.take().expect("stdin").write_all(b"a long enough password\n").expect("write");
    let out = again.wait_with_output().expect("output");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("exists already") && !err.contains("{\""), "{err}");
    let list = reqwest::Client::new()
        .get(format!("{}/admin/stats?from=2026-01-01&to=2026-01-02", server.base))
        .bearer_auth(std::fs::read_to_string(&token_file).expect("token").trim())
        .send()
        .await
        .expect("get");
    assert_eq!(list.status().as_u16(), 200);
}

/// Bytes a connection gets before the server closes it (`None`: still open
/// after `wait`).
fn closed_within(stream: &mut std::net::TcpStream, wait: Duration) -> Option<usize> {
    use std::io::Read as _;
    stream.set_read_timeout(Some(wait)).expect("timeout");
    let mut got = 0;
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Some(got),
            Ok(n) => got += n,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => return None,
            Err(_) => return Some(got),
        }
    }
}

fn stalled(base: &str) -> std::net::TcpStream {
    use std::io::Write as _;
    let addr = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.write_all(b"POST /api/v1/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl").expect("write");
    s
}

/// Ten new chat clients, one after another, each answered 200 within 5 s.
async fn ten_new_clients_are_served(base: &str) {
    for i in 0..10 {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("client");
        let r = client
            .post(format!("{base}/api/v1/chat"))
            .json(&json!({"text": "你好"}))
            .send()
            .await
            .unwrap_or_else(|e| panic!("client {i} not served: {e}"));
        assert_eq!(r.status().as_u16(), 200, "client {i}");
    }
}

/// Regression (review D4): stalled half-requests stayed open indefinitely
/// and, past the file limit, no new client was served.
#[tokio::test]
async fn a_slowloris_flood_beyond_the_connection_cap_leaves_new_clients_served() {
    let dir = tempfile::tempdir().expect("tempdir");
    let envs = [("XG_SERVER_MAX_CONNECTIONS", "16"), ("XG_SERVER_HEADER_TIMEOUT_SECS", "60")];
    let server = spawn_with(dir.path(), &envs, std::process::Stdio::inherit());
    let mut flood: Vec<_> = (0..48).map(|_| stalled(&server.base)).collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The cap holds: the server closed all but 16 of them to make room.
    let open = flood.iter_mut().map(|s| closed_within(s, Duration::from_millis(50))).filter(Option::is_none).count();
    assert!(open <= 16, "{open} stalled connections still open");
    ten_new_clients_are_served(&server.base).await;
    drop(flood);
}

#[tokio::test]
async fn stalled_headers_and_idle_keep_alive_connections_are_closed() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let envs = [("XG_SERVER_HEADER_TIMEOUT_SECS", "1"), ("XG_SERVER_IDLE_TIMEOUT_SECS", "60")];
    let server = spawn_with(dir.path(), &envs, std::process::Stdio::inherit());
    let mut half = stalled(&server.base);
    assert!(closed_within(&mut half, Duration::from_secs(5)).is_some(), "a stalled request is closed");
    drop(server);
    // Regression (review N9): hyper's head timer also ran while a keep-alive
    // connection sat idle, closing it after the header timeout. An idle
    // connection now lasts `idle_timeout_secs`, a slow head only the header's.
    let envs = [("XG_SERVER_HEADER_TIMEOUT_SECS", "1"), ("XG_SERVER_IDLE_TIMEOUT_SECS", "4")];
    let server = spawn_with(dir.path(), &envs, std::process::Stdio::inherit());
    let mut keep = std::net::TcpStream::connect(server.base.trim_start_matches("http://")).expect("connect");
    keep.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").expect("write");
    assert_eq!(closed_within(&mut keep, Duration::from_millis(2500)), None, "idle, not closed at the header timeout");
    keep.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").expect("a second request on it");
    assert_eq!(closed_within(&mut keep, Duration::from_millis(2500)), None, "answered and still open");
    let got = closed_within(&mut keep, Duration::from_secs(6)).expect("an idle keep-alive connection is closed");
    assert_eq!(got, 0, "closed after the idle timeout with nothing more to say");
    let mut half = stalled(&server.base);
    assert!(closed_within(&mut half, Duration::from_secs(3)).is_some(), "a stalled head still gets 1 s");
}

/// A connection that sent the headers of a chat request with a body of
/// 60,000 bytes and then trickles one byte every `every` (review N2).
fn trickling(base: &str, every: Duration, stop: std::sync::Arc<std::sync::atomic::AtomicBool>) -> std::net::TcpStream {
    use std::io::Write as _;
    let addr = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.write_all(b"POST /api/v1/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{")
        .expect("write");
    let mut w = s.try_clone().expect("clone");
    std::thread::spawn(move || {
        while !stop.load(std::sync::atomic::Ordering::SeqCst) {
            std::thread::sleep(every);
            if w.write_all(b" ").is_err() {
                return;
            }
        }
    });
    s
}

/// Regression (review N2, N9): the body deadline is for the whole body, not
/// per byte (a trickle gets 408 and is closed), a request still sending its
/// body is not "in progress" (at the cap it makes room), and one address
/// cannot hold more than its share of connections.
#[tokio::test]
async fn trickled_bodies_get_408_and_cannot_hold_every_connection() {
    let dir = tempfile::tempdir().expect("tempdir");
    let envs = [
        ("XG_SERVER_MAX_CONNECTIONS", "16"),
        ("XG_SERVER_BODY_TIMEOUT_SECS", "2"),
        ("XG_SERVER_MAX_CONNECTIONS_PER_ADDRESS", "12"),
        ("XG_LIMITS_PER_IP_PER_SECOND", "0"),
    ];
    let server = spawn_with(dir.path(), &envs, std::process::Stdio::inherit());
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // One byte every 300 ms: a per-byte timeout would never fire.
    let mut one = trickling(&server.base, Duration::from_millis(300), stop.clone());
    let started = std::time::Instant::now();
    let mut answer = String::new();
    {
        use std::io::Read as _;
        one.set_read_timeout(Some(Duration::from_secs(8))).expect("timeout");
        let mut buf = [0u8; 4096];
        while let Ok(n) = one.read(&mut buf) {
            if n == 0 {
                break;
            }
            answer.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    }
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(5), "answered at the whole-body deadline");
    // A flood of trickling bodies from one address: new clients are served.
    let flood: Vec<_> = (0..40).map(|_| trickling(&server.base, Duration::from_millis(500), stop.clone())).collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    ten_new_clients_are_served(&server.base).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    drop(flood);
}

/// Regression (review N2): the per-address request rate was applied after
/// the body was read, so trickled bodies were never counted. Now a client
/// over its rate is answered 429 on its request's head, its body unread.
#[tokio::test]
async fn the_request_rate_is_applied_before_the_body_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let envs =
        [("XG_SERVER_BODY_TIMEOUT_SECS", "20"), ("XG_LIMITS_PER_IP_PER_SECOND", "1"), ("XG_LIMITS_PER_IP_BURST", "2")];
    let server = spawn_with(dir.path(), &envs, std::process::Stdio::inherit());
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Two trickles take the burst; the third is refused at once.
    let _held: Vec<_> = (0..2).map(|_| trickling(&server.base, Duration::from_millis(500), stop.clone())).collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut third = trickling(&server.base, Duration::from_millis(500), stop.clone());
    let started = std::time::Instant::now();
    let mut answer = String::new();
    {
        use std::io::Read as _;
        third.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
        let mut buf = [0u8; 4096];
        if let Ok(n) = third.read(&mut buf) {
            answer.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(3), "answered on the head, not after the body");
}
