//! The staff console as staff see it, on the real binary (port 0, a
//! temporary sled dir, the shipped content and understanding): after
//! real-looking traffic — page loads, typed questions, button taps, typed
//! and picked dates, yes/no answers, commands, greetings — the query list,
//! the dashboard's 常见提问 and the unanswered queue show only what citizens
//! asked; the transcript still shows every turn, buttons by their labels.
//! Also the command line's `staff list|passwd|unlock` with a Chinese name.

mod common;

use common::{Server, spawn};
use serde_json::{Value, json};
use std::process::{Command, Output, Stdio};

async fn chat(client: &reqwest::Client, s: &Server, body: Value) -> Value {
    let resp = client.post(format!("{}/api/v1/chat", s.base)).json(&body).send().await.expect("send");
    assert!(resp.status().is_success(), "{}", resp.status());
    resp.json().await.expect("json")
}

/// One person's conversation on the web page.
struct Person<'a> {
    client: &'a reqwest::Client,
    server: &'a Server,
    session: Option<String>,
    last: Value,
}

impl Person<'_> {
    async fn send(&mut self, mut body: Value) -> &Value {
        if let Some(s) = &self.session {
            body["session"] = json!(s);
        }
        self.last = chat(self.client, self.server, body).await;
        self.session = self.last["session"].as_str().map(str::to_string);
        &self.last
    }

    async fn say(&mut self, text: &str) -> &Value {
        self.send(json!({ "text": text })).await
    }

    async fn press(&mut self, id: &str) -> &Value {
        self.send(json!({ "choice": id })).await
    }

    /// Taps the button whose label contains `label`.
    async fn tap(&mut self, label: &str) -> &Value {
        let id = common::choice_id(&self.last, label);
        self.press(&id).await
    }
}

fn cli(args: &[&str], data: &std::path::Path, stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_xinfang-guide"))
        .args(args)
        .arg("--data")
        .arg(data)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    use std::io::Write as _;
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write");
    child.wait_with_output().expect("output")
}

/// A logged-in console session over real HTTP.
async fn login(client: &reqwest::Client, s: &Server, name: &str, password: &str) -> Result<String, u16> {
    let form = client.get(format!("{}/staff/login", s.base)).send().await.expect("get");
    let cookie = form.headers()["set-cookie"].to_str().expect("cookie").split(';').next().expect("pair").to_string();
    let body = form.text().await.expect("body");
    let csrf = body.split(r#"name="csrf" value=""#).nth(1).and_then(|x| x.split('"').next()).expect("csrf").to_string();
    let r = client
        .post(format!("{}/staff/login", s.base))
        .header("cookie", cookie)
        .form(&[("username", name), ("password", password), ("csrf", csrf.as_str())])
        .send()
        .await
        .expect("post");
    if r.status().as_u16() != 303 {
        return Err(r.status().as_u16());
    }
    let c =
        r.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find(|c| c.starts_with("xg_staff="));
    Ok(c.expect("session cookie").split(';').next().expect("pair").to_string())
}

async fn page(client: &reqwest::Client, s: &Server, cookie: &str, path: &str) -> (u16, String) {
    let r = client.get(format!("{}{path}", s.base)).header("cookie", cookie).send().await.expect("get");
    (r.status().as_u16(), r.text().await.expect("body"))
}

/// The text cells of a column of the page's table rows (`<td class="text">`).
fn text_cells(html: &str) -> Vec<String> {
    html.split(r#"<td class="text">"#).skip(1).filter_map(|x| x.split("</td>").next()).map(str::to_string).collect()
}

const QUESTIONS: [&str; 3] = ["老板拖欠我三个月工资不给怎么办", "邻居家装修把我家墙弄裂了怎么办", "今天天气怎么样"];

#[tokio::test]
async fn the_console_shows_citizens_questions_and_nothing_else() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = spawn(dir.path());
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");

    // A citizen opens the page, asks, taps through, answers yes/no and a
    // date, goes back and to the menu.
    let mut a = Person { client: &client, server: &server, session: None, last: Value::Null };
    a.press("cmd:start").await;
    a.press("cmd:resume").await;
    a.say(QUESTIONS[0]).await;
    a.tap("详细了解").await;
    a.tap("还没有申请劳动仲裁").await;
    a.tap("否").await;
    a.say("2026年5月").await;
    a.say("返回").await;
    a.tap("回到菜单").await;
    a.say("谢谢").await;
    // Another types a yes, a picked date, 记不清, numbers and an empty message.
    let mut b = Person { client: &client, server: &server, session: None, last: Value::Null };
    b.say("").await;
    b.say(QUESTIONS[1]).await;
    b.say("菜单").await;
    b.say("1").await;
    b.say(QUESTIONS[0]).await;
    b.say("1").await;
    b.tap("还没有申请劳动仲裁").await;
    b.say("是").await;
    let mut c = Person { client: &client, server: &server, session: None, last: Value::Null };
    c.say(QUESTIONS[0]).await;
    c.tap("详细了解").await;
    c.tap("已经收到仲裁裁决").await;
    c.press("date:2026-10").await;
    c.press("cmd:back").await;
    c.tap("记不清").await;
    c.say(QUESTIONS[2]).await;
    c.press("cmd:menu").await;

    let out = cli(&["staff", "add", "陈主任", "--role", "admin"], dir.path(), "correct horse battery\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let admin = login(&client, &server, "陈主任", "correct horse battery").await.expect("login");

    // The query list: the typed questions, each as often as it was asked.
    let (status, list) = page(&client, &server, &admin, "/staff/queries").await;
    assert_eq!(status, 200);
    let mut asked = text_cells(&list);
    asked.sort();
    let mut want = vec![QUESTIONS[0], QUESTIONS[0], QUESTIONS[0], QUESTIONS[1], QUESTIONS[2]];
    want.sort();
    assert_eq!(asked, want, "only citizens' questions in the list");
    // Every message is one filter away, buttons by label and node.
    let (_, all) = page(&client, &server, &admin, "/staff/queries?status=all").await;
    let cells = text_cells(&all).join("\n");
    for shown in ["［按钮］还没有申请劳动仲裁（labor_start）", "［是/否］否（labor_employed）", "［日期］2026-10"]
    {
        assert!(cells.contains(shown), "{shown} in\n{cells}");
    }
    assert!(!cells.contains("labor_start.1") && !cells.contains("cmd:back"), "ids are not shown: {cells}");

    // The dashboard's 常见提问 and its numbers.
    let (status, dash) = page(&client, &server, &admin, "/staff/dashboard").await;
    assert_eq!(status, 200);
    let top = dash.split("<h2>常见提问</h2>").nth(1).expect("常见提问").to_string();
    let labels: Vec<&str> = top.split(r#"text-anchor="end">"#).skip(1).filter_map(|x| x.split('<').next()).collect();
    let mut labels: Vec<String> = labels.into_iter().map(str::to_string).collect();
    labels.sort();
    let mut want_top: Vec<String> = QUESTIONS.iter().map(|q| q.to_string()).collect();
    want_top.sort();
    assert_eq!(labels, want_top, "常见提问: {top}");
    assert!(top.contains(r#"text-anchor="start">3</text>"#), "the count of the question asked three times");
    let json: Value =
        serde_json::from_str(&page(&client, &server, &admin, "/staff/dashboard.json").await.1).expect("json");
    // Not understood (review S3): c's 今天天气怎么样 (not recognised) and b's
    // question about the neighbour's works, put to b to confirm and left for
    // the menu (a kind answered directly would count as understood).
    assert_eq!(json["unmatched"], 2, "{json}");

    // `stats` asks the running server: today only, or the last 30 days with
    // categories by name and columns lined up under the Chinese headers.
    let today = cli(&["stats", "--today", "--format", "json"], dir.path(), "");
    assert!(today.status.success(), "{}", String::from_utf8_lossy(&today.stderr));
    let r: Value = serde_json::from_slice(&today.stdout).expect("json");
    assert_eq!(r["from"], r["to"]);
    assert_eq!(r["top_questions"].as_array().map(Vec::len), Some(3), "{r}");
    let table = cli(&["stats"], dir.path(), "");
    let table = String::from_utf8(table.stdout).expect("utf8");
    assert!(table.contains("劳动争议"), "{table}");
    assert!(!table.contains("  labor\n"), "category ids are named: {table}");
    let lines: Vec<&str> = table.lines().collect();
    let width = |l: &str| unicode_width::UnicodeWidthStr::width(l);
    assert_eq!(width(lines[1]), width(lines[2]), "header and first day line up:\n{table}");
    let from = r["from"].as_str().expect("from");
    let span = cli(&["stats", "--format", "json"], dir.path(), "");
    let span: Value = serde_json::from_slice(&span.stdout).expect("json");
    let days = |d: &Value| {
        time::Date::parse(d.as_str().expect("day"), time::macros::format_description!("[year]-[month]-[day]"))
            .expect("date")
    };
    assert_eq!((days(&span["to"]) - days(&span["from"])).whole_days(), 29, "{span}");
    assert_eq!(span["to"], from);

    // The unanswered queue (review S1): the question the bot could not place
    // and the one whose offer was left, each with why.
    let (status, queue) = page(&client, &server, &admin, "/staff/unanswered").await;
    assert_eq!(status, 200);
    assert_eq!(text_cells(&queue), [QUESTIONS[2], QUESTIONS[1]], "{queue}");
    assert!(queue.contains("<td>没看懂 1</td>") && queue.contains("<td>问了对方但没有选择 1</td>"), "{queue}");

    // The transcript keeps every turn, with the buttons as the page showed them.
    let link = queue.split(r#"href="/staff/transcript?"#).nth(1).and_then(|x| x.split('"').next()).expect("link");
    let (_, t) = page(&client, &server, &admin, &format!("/staff/transcript?{}", link.replace("&amp;", "&"))).await;
    for turn in ["［日期］记不清", "［命令］返回上一步", QUESTIONS[2], "［回到菜单］"] {
        assert!(t.contains(turn), "{turn} in the transcript");
    }
}

#[tokio::test]
async fn staff_list_passwd_and_unlock_work_against_the_running_server_with_a_chinese_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = spawn(dir.path());
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    for (name, role) in [("王芳", "editor"), ("li", "viewer")] {
        let out = cli(&["staff", "add", name, "--role", role], dir.path(), "correct horse battery\n");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let bad = cli(&["staff", "add", "Bad Name", "--role", "viewer"], dir.path(), "correct horse battery\n");
    let stderr = String::from_utf8_lossy(&bad.stderr);
    // The first line is the message (a backtrace may follow when RUST_BACKTRACE is set).
    let err = stderr.lines().next().unwrap_or_default();
    assert!(
        !bad.status.success() && err.contains("用户名须为") && !err.contains('{'),
        "the server's message: {stderr}"
    );
    for _ in 0..6 {
        assert_eq!(login(&client, &server, "王芳", "wrong password!").await, Err(401));
    }
    let list = cli(&["staff", "list"], dir.path(), "");
    assert!(list.status.success(), "{}", String::from_utf8_lossy(&list.stderr));
    let text = String::from_utf8(list.stdout).expect("utf8");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("用户名") && lines.len() == 3, "{text}");
    let wang = lines.iter().find(|l| l.starts_with("王芳")).expect("王芳 listed");
    let failures: u32 = wang.split_whitespace().last().and_then(|n| n.parse().ok()).expect("failures");
    assert!(wang.contains("编辑") && failures >= 5, "{wang}");
    // Columns line up under the Chinese headers (a Chinese character is two columns wide).
    let col = |l: &str, at: &str| unicode_width::UnicodeWidthStr::width(&l[..l.find(at).expect("column")]);
    assert_eq!(col(lines[0], "角色"), col(wang, "编辑"));
    let unlock = cli(&["staff", "unlock", "王芳"], dir.path(), "");
    assert!(unlock.status.success(), "{}", String::from_utf8_lossy(&unlock.stderr));
    let passwd = cli(&["staff", "passwd", "王芳"], dir.path(), "a brand new password\n");
    assert!(passwd.status.success(), "{}", String::from_utf8_lossy(&passwd.stderr));
    assert_eq!(login(&client, &server, "王芳", "correct horse battery").await, Err(401), "old password gone");
    assert!(login(&client, &server, "王芳", "a brand new password").await.is_ok());
    let missing = cli(&["staff", "unlock", "nobody"], dir.path(), "");
    assert!(String::from_utf8_lossy(&missing.stderr).contains("没有账号"));
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let p = e.expect("entry").path();
        let dest = to.join(p.file_name().expect("name"));
        if p.is_dir() {
            copy_dir(&p, &dest)
        } else {
            std::fs::copy(&p, &dest).expect("copy");
        }
    }
}

async fn greeting(client: &reqwest::Client, s: &Server) -> String {
    let v = chat(client, s, json!({"choice": "cmd:start"})).await;
    v["replies"][0]["text"].as_str().unwrap_or_default().to_string()
}

/// Content edits take effect without a restart: SIGHUP or the admin's
/// button reloads them, validated first; a broken edit is refused with its
/// errors and the content in use stays.
/// Pressing 重新加载 as the staff member of `cookie`, with the CSRF token of
/// the `page` that shows the button.
fn reload_button<'a>(
    client: &'a reqwest::Client,
    server: &'a common::Server,
    cookie: &'a str,
    page: &str,
) -> impl Fn() -> reqwest::RequestBuilder + 'a {
    let csrf = page.split(r#"name="csrf" value=""#).nth(1).and_then(|x| x.split('"').next()).expect("csrf").to_string();
    move || {
        client.post(format!("{}/staff/reload", server.base)).header("cookie", cookie).form(&[("csrf", csrf.as_str())])
    }
}

#[tokio::test]
async fn content_reloads_on_sighup_and_from_the_console_and_a_broken_edit_is_refused() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let content = tempfile::tempdir().expect("content dir");
    for sub in ["dialogs", "faq", "config"] {
        copy_dir(&root.join(sub), &content.path().join(sub));
    }
    let data = tempfile::tempdir().expect("data dir");
    let dir = content.path().to_str().expect("utf8 path").to_string();
    // The statute texts, when the machine has them: a reload checks citations too (E5).
    let laws = root.join("../shared/reference/law");
    let laws_dir = laws.to_str().filter(|_| laws.is_dir()).unwrap_or_default().to_string();
    let envs = [("XG_SERVER_CONTENT_DIR", dir.as_str()), ("XG_SERVER_LAWS_DIR", laws_dir.as_str())];
    let server = common::spawn_with(data.path(), &envs, Stdio::inherit());
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let before = greeting(&client, &server).await;
    assert!(before.starts_with("您好！这里是依法信访指引。"), "{before}");
    let main = content.path().join("dialogs/main.toml");
    let text = std::fs::read_to_string(&main).expect("main.toml");
    std::fs::write(&main, text.replacen("您好！这里是依法信访指引。", "您好！这里是依法信访指引（新版）。", 1))
        .expect("edit");
    let hup = |pid: u32| Command::new("kill").args(["-HUP", &pid.to_string()]).status().expect("kill -HUP");
    assert!(hup(server.child.id()).success());
    let mut now = String::new();
    for _ in 0..100 {
        now = greeting(&client, &server).await;
        if now.contains("（新版）") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(now.contains("（新版）"), "SIGHUP reloaded the content: {now}");

    // A broken edit: refused, the content in use stays.
    let edited = std::fs::read_to_string(&main).expect("main.toml");
    let broken = edited.replacen("（新版）", "（坏版）", 1).replacen("kind = \"menu\"", "kind = \"menu\"\nnxt = 1", 1);
    std::fs::write(&main, broken).expect("break");
    assert!(hup(server.child.id()).success());
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert!(greeting(&client, &server).await.contains("（新版）"), "the old content stays after a refused reload");
    let out = cli(&["staff", "add", "admin", "--role", "admin"], data.path(), "correct horse battery\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let admin = login(&client, &server, "admin", "correct horse battery").await.expect("login");
    let (_, users) = page(&client, &server, &admin, "/staff/users").await;
    assert!(users.contains(r#"action="/staff/reload""#), "the admin's button");
    let press = reload_button(&client, &server, &admin, &users);
    let refused = press().send().await.expect("post");
    assert_eq!(refused.status().as_u16(), 400);
    let body = refused.text().await.expect("body");
    assert!(body.contains("没有加载，继续使用现在的内容") && body.contains("main.toml:"), "{body}");
    assert!(greeting(&client, &server).await.contains("（新版）"));
    std::fs::write(&main, edited.replacen("（新版）", "（再版）", 1)).expect("fix");
    let ok = press().send().await.expect("post");
    assert_eq!(ok.headers()["location"], "/staff/users?done=reload");
    assert!(greeting(&client, &server).await.contains("（再版）"));
    let (_, audit) = page(&client, &server, &admin, "/staff/audit").await;
    assert!(audit.contains("<td>重新加载内容</td>"));
    // S6: the audit log reads in Chinese.
    assert!(audit.contains("个节点") && audit.contains("未加载：") && audit.contains("（命令行）"), "{audit}");
    assert!(!audit.contains("nodes,") && !audit.contains("refused:") && !audit.contains(" as admin"), "{audit}");

    // Editors reload too (review E5), from the 未解答 page.
    let out = cli(&["staff", "add", "editor", "--role", "editor"], data.path(), "correct horse battery\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let editor = login(&client, &server, "editor", "correct horse battery").await.expect("login");
    let (_, queue) = page(&client, &server, &editor, "/staff/unanswered").await;
    assert!(queue.contains(r#"action="/staff/reload""#), "the editor's button");
    let press = reload_button(&client, &server, &editor, &queue);
    let ok = press().send().await.expect("post");
    assert_eq!(ok.status().as_u16(), 200);
    assert!(ok.text().await.expect("body").contains("已重新加载"));
    if laws_dir.is_empty() {
        return;
    }
    // With the statute folder set, an article that does not exist is refused.
    let faq = content.path().join("faq/routing.toml");
    let text = std::fs::read_to_string(&faq).expect("faq");
    let at = text.find("第").expect("a citation");
    let end = at + text[at..].find('条').expect("条");
    std::fs::write(&faq, format!("{}第九百九十九{}", &text[..at], &text[end..])).expect("edit");
    let refused = press().send().await.expect("post");
    assert_eq!(refused.status().as_u16(), 422);
    let body = refused.text().await.expect("body");
    assert!(body.contains("没有加载") && body.contains("routing.toml:"), "{body}");
}
