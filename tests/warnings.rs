//! 研判 and the year's figures in the staff console over HTTP (router, no
//! port, sled store): a planted log shows its surge, its group naming one
//! estate and its repeat asker, a quiet log none; staff mark a warning
//! (CSRF, roles, audit); the year report page and its downloads.

mod common;

use axum::extract::connect_info::MockConnectInfo;
use axum::http::{StatusCode, header};
use common::console::Http;
use common::planted;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use xinfang_guide::config::Settings;
use xinfang_guide::server::App;
use xinfang_guide::staff::accounts::{self, Role};
use xinfang_guide::store::sled_store::SledOptions;
use xinfang_guide::store::{SledStore, Store};

const NOW: i64 = 1_795_744_800; // 2026-11-27 10:00 China time
const PASSWORD: &str = "correct horse battery";

struct Console {
    http: Http,
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

impl std::ops::Deref for Console {
    type Target = Http;
    fn deref(&self) -> &Http {
        &self.http
    }
}

async fn console(log: Vec<xinfang_guide::engine::reply::LogRecord>) -> Console {
    let mut s = Settings::load_with_env(None, std::iter::empty()).expect("defaults");
    s.limits.login_per_minute = 0;
    s.limits.login_tarpit_ms = 0;
    s.limits.per_ip_per_second = 0;
    s.limits.per_session_per_second = 0;
    let dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> = SledStore::open(dir.path(), &SledOptions::default()).expect("open");
    planted::write(store.clone(), log).await;
    let (content, diags) = xinfang_guide::content::load(Path::new(env!("CARGO_MANIFEST_DIR")));
    let content = Arc::new(content.unwrap_or_else(|| panic!("{diags}")));
    let mut app = App::with_store(s, content, Arc::new(xinfang_guide::engine::understand::Plain), store.clone());
    app.state.clock = Arc::new(|| NOW);
    for (name, role) in [("admin", Role::Admin), ("editor", Role::Editor), ("viewer", Role::Viewer)] {
        accounts::add(&*store, name, role, PASSWORD, NOW).await.expect("account");
    }
    let addr: SocketAddr = "203.0.113.9:5000".parse().expect("addr");
    Console { http: Http(app.router().layer(MockConnectInfo(addr))), store, _dir: dir }
}

impl Console {
    /// Logs in and returns the session cookie pair.
    async fn session(&self, user: &str) -> String {
        let r = self.get("/staff/login", "").await;
        let login = r.cookies.iter().find(|c| c.starts_with("xg_login=")).expect("login cookie");
        let login = login.split(';').next().expect("pair").to_string();
        let csrf = csrf_of(&r.body);
        let r = self
            .post_form("/staff/login", &login, &[("username", user), ("password", PASSWORD), ("csrf", &csrf)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let c = r.cookies.iter().find(|c| c.starts_with("xg_staff=")).expect("session cookie");
        c.split(';').next().expect("pair").to_string()
    }
}

fn csrf_of(page: &str) -> String {
    page.split(r#"name="csrf" value=""#).nth(1).and_then(|x| x.split('"').next()).expect("csrf").to_string()
}

/// The ids of the warnings a page lists.
fn warning_ids(page: &str) -> Vec<String> {
    page.split(r#"<tr class="warning" data-id=""#)
        .skip(1)
        .filter_map(|x| x.split('"').next())
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn the_planted_surge_group_and_repeat_asker_are_the_warnings_and_staff_mark_one() {
    let c = console(planted::planted(NOW)).await;
    let viewer = c.session("viewer").await;
    let page = c.get("/staff/warnings", &viewer).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let ids = warning_ids(&page.body);
    assert_eq!(
        ids,
        ["surge:category:land_expropriation:2026-W48", "target:幸福家园", "repeat:web:again:labor"],
        "{}",
        page.body
    );
    assert!(page.body.contains("征地补偿标准太低了怎么办") && page.body.contains("幸福家园小区"));
    assert!(page.body.contains("/staff/transcript?channel=web&amp;user=again"));
    assert!(!page.body.contains("warn-state"), "viewers see states, not the forms");
    assert_eq!(
        c.post_form("/staff/warnings/state", &viewer, &[("csrf", &csrf_of(&page.body))]).await.status,
        StatusCode::FORBIDDEN
    );

    // An editor marks the group 已转办 with a note; the page and the audit log say so.
    let editor = c.session("editor").await;
    let page = c.get("/staff/warnings", &editor).await;
    let csrf = csrf_of(&page.body);
    let form = [
        ("csrf", csrf.as_str()),
        ("id", "target:幸福家园"),
        ("state", "referred"),
        ("note", "转住建局"),
        ("count", "5"),
    ];
    assert_eq!(
        c.post_form(
            "/staff/warnings/state",
            &editor,
            &[("csrf", "wrong"), ("id", "target:幸福家园"), ("state", "seen")]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        c.post_form("/staff/warnings/state", &editor, &[("csrf", &csrf), ("id", "anything"), ("state", "seen")])
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(c.post_form("/staff/warnings/state", &editor, &form).await.status, StatusCode::SEE_OTHER);
    let page = c.get("/staff/warnings", &editor).await;
    let row =
        page.body.split(r#"data-id="target:幸福家园""#).nth(1).and_then(|r| r.split("</tr>").next()).expect("row");
    assert!(row.contains("已转办：转住建局") && row.contains("editor") && !row.contains("有新情况"), "{row}");
    let audit = xinfang_guide::staff::audit::recent(&*c.store, 50).await.expect("audit");
    assert!(
        audit.iter().any(|e| e.action == "warning_state"
            && e.who == "editor"
            && e.detail.contains("target:幸福家园 → referred"))
    );

    // The dashboard opens with the count of warnings.
    let dash = c.get("/staff/dashboard", &viewer).await;
    assert!(dash.body.contains("研判提醒") && dash.body.contains(r#"人数骤增 <b>1</b>"#), "{}", dash.body);
}

#[tokio::test]
async fn a_quiet_log_raises_no_warning_and_the_year_report_is_in_the_console() {
    let c = console(planted::quiet(NOW)).await;
    let viewer = c.session("viewer").await;
    let page = c.get("/staff/warnings", &viewer).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(warning_ids(&page.body).is_empty(), "{}", page.body);
    assert!(page.body.contains("0 条提醒"));

    let r = c.get("/staff/report?year=2026", &viewer).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for want in
        ["（一）依法信访指引咨询服务情况", "人次", "按照诉访分离", "指引通过信访渠道反映", "<th>月份</th>", "kiosk-1"]
    {
        assert!(r.body.contains(want), "{want} missing");
    }
    let csv = c.get("/staff/report.csv?year=2026", &viewer).await;
    assert!(csv.body.starts_with("\u{feff}table,key,name,date,people,messages\r\n"));
    assert!(
        csv.headers
            .get(header::CONTENT_DISPOSITION)
            .is_some_and(|v| v.to_str().unwrap_or("").contains("report-2026.csv"))
    );
    let json: serde_json::Value =
        serde_json::from_str(&c.get("/staff/report.json?year=2026", &viewer).await.body).expect("json");
    assert!(json["people"].as_u64().unwrap_or(0) > 500 && json["pointed_xinfang"].as_u64().unwrap_or(0) > 0, "{json}");
    assert_eq!(c.get("/staff/report?year=abc", &viewer).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(c.get("/staff/report", "").await.status, StatusCode::SEE_OTHER, "staff only");
    // Complete days are kept as daily records.
    let days = c.store.record_scan("daily", "2026-", usize::MAX).await.expect("scan");
    assert!(days.len() >= 69, "{} days kept", days.len());
}

#[tokio::test]
async fn danger_turns_of_the_last_days_head_the_warnings_and_the_dashboard() {
    let mut log = planted::quiet(NOW);
    let mut crisis = planted::rec(NOW - 3600, "crisis", Some("emergency"), "我不想活了");
    crisis.danger = Some("self_harm".into());
    log.push(crisis);
    let c = console(log).await;
    let viewer = c.session("viewer").await;
    let page = c.get("/staff/warnings", &viewer).await;
    let ids = warning_ids(&page.body);
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert!(ids[0].starts_with("danger:"), "{ids:?}");
    assert!(page.body.contains("自伤自杀") && page.body.contains("我不想活了"));
    let dash = c.get("/staff/dashboard", &viewer).await;
    let banner = dash.body.split(r#"<div class="banner""#).nth(1).expect("banner at the top");
    assert!(banner.contains("危险与危机 <b>1</b>") && banner.contains("我不想活了"), "{banner}");
}

/// Regression (review S1, S3): every recognised guess counted as
/// understood, and the 未解答 queue held only what was not recognised. Now a
/// question is understood when the person confirmed the bot's reading or
/// went on from its answer without rejecting it; the queue holds every
/// other question and the danger turns, each with why; the year report
/// says how it counts, from which day, and leaves junk out.
#[tokio::test]
async fn understood_means_confirmed_and_the_queue_holds_what_failed() {
    use xinfang_guide::engine::reply::{Feedback, InputRole, LogRecord};
    let day = NOW - 2 * 86_400; // 2026-11-25, a complete day
    let q = |t: i64, user: &str, cat: Option<&str>, text: &str, asked: bool| {
        let mut r = planted::rec(day + t, user, cat, text);
        r.role = Some(InputRole::Question);
        r.asked = asked;
        r
    };
    let tap = |t: i64, user: &str, label: &str| {
        let mut r = planted::rec(day + t, user, Some("labor"), "choice");
        r.input_kind = "choice".into();
        r.role = Some(InputRole::Button);
        r.label = Some(label.into());
        r
    };
    let mut danger = q(60, "u5", Some("consumer"), "我吃了一瓶安眠药", true);
    danger.danger = Some("self_harm".into());
    let mut unhelpful = LogRecord { input_kind: "feedback".into(), ..planted::rec(day + 71, "u6", None, "") };
    unhelpful.feedback = Some(Feedback { helpful: Some(false), comment: None });
    let log = vec![
        q(10, "u1", Some("labor"), "老板欠我工资三个月了", false),
        tap(11, "u1", "不是这个"),
        q(20, "u2", Some("civil_dispute"), "邻居装修太吵了", true),
        tap(21, "u2", "对"),
        q(30, "u3", Some("land_housing"), "房子的事情怎么办", true),
        q(40, "u4", None, "aaaa", false),
        danger,
        q(70, "u6", Some("labor"), "单位不给交社保", false),
        unhelpful,
        q(80, "u7", Some("labor"), "工伤怎么认定", false),
        q(81, "u7", Some("labor"), "认定要多久", false),
    ];
    // A long conversation (70 turns) with a danger turn near its end.
    let mut log = log;
    for i in 0..70 {
        let mut r = q(1000 + i, "u8", Some("labor"), &format!("第{i}句话"), false);
        if i == 64 {
            r.danger = Some("self_harm".into());
            r.input = "不想活了".into();
        }
        log.push(r);
    }
    let c = console(log).await;
    // A day kept from before the new count (its messages gone by retention).
    let old = xinfang_guide::analysis::daily::DayAgg {
        date: "2026-03-02".into(),
        version: 1,
        people: 4,
        messages: 12,
        typed: 10,
        understood: 10,
        unanswered: vec![("zzzz".into(), 3)],
        ..Default::default()
    };
    let bytes = serde_json::to_vec(&old).expect("json");
    assert!(c.store.record_cas("daily", "2026-03-02", None, Some(&bytes)).await.expect("cas"));
    let viewer = c.session("viewer").await;

    let dash = c.get("/staff/dashboard.json?from=2026-11-25&to=2026-11-25", &viewer).await;
    let dash: serde_json::Value = serde_json::from_str(&dash.body).expect("json");
    // 8 typed; understood: u2 (confirmed 对) and u7's two (answered, went on).
    // And u8's 70 turns: each went on from a direct answer, so understood.
    assert_eq!(dash["unmatched"], 5, "{dash}");
    let share = dash["understood_share"].as_f64().expect("share");
    assert!((share - 73.0 / 78.0).abs() < 1e-9, "{dash}");

    let queue = c.get("/staff/unanswered?from=2026-11-25&to=2026-11-25", &viewer).await.body;
    for (text, why) in [
        ("老板欠我工资三个月了", "对方说“不是”"),
        ("房子的事情怎么办", "问了对方但没有选择"),
        ("aaaa", "没看懂"),
        ("我吃了一瓶安眠药", "危险信号，需回访"),
        ("单位不给交社保", "对方说“没帮助”"),
    ] {
        let row = queue.split("<tr>").find(|r| r.contains(text)).unwrap_or_else(|| panic!("{text} in {queue}"));
        assert!(row.contains(why), "{text}: {why} in {row}");
    }
    for understood in ["邻居装修太吵了", "工伤怎么认定", "［按钮］"] {
        assert!(!queue.contains(understood), "{understood} is not in the queue");
    }
    // Its link opens the conversation at that turn, marked.
    let row = queue.split("<tr>").find(|r| r.contains("我吃了一瓶安眠药")).expect("row");
    let link = row.split(r#"href="/staff/transcript?"#).nth(1).and_then(|x| x.split('"').next()).expect("link");
    let link = link.replace("&amp;", "&");
    let (path, anchor) = link.split_once('#').expect("anchor");
    let t = c.get(&format!("/staff/transcript?{path}"), &viewer).await.body;
    assert!(t.contains(&format!(r#"<tr id="{anchor}" class="flagged">"#)), "{t}");

    // The transcript loads in pages of 30, opened at the flagged turn (S2).
    let row = queue.split("<tr>").find(|r| r.contains("不想活了")).expect("row");
    let link = row.split(r#"href="/staff/transcript?"#).nth(1).and_then(|x| x.split('"').next()).expect("link");
    let link = link.replace("&amp;", "&");
    let (path, anchor) = link.split_once('#').expect("anchor");
    let t = c.get(&format!("/staff/transcript?{path}"), &viewer).await.body;
    assert!(t.contains("共 70 条，本页第 61–70 条") && t.contains("第 3 / 3 页"), "{t}");
    assert!(t.contains(&format!(r#"<tr id="{anchor}" class="flagged">"#)) && !t.contains("第0句话"));
    let first = c.get(&format!("/staff/transcript?{}", path.split("&at=").next().expect("who")), &viewer).await.body;
    assert!(first.contains("第 1 / 3 页") && first.contains("下一页") && first.contains("第0句话"));
    assert!(!first.contains("class=\"flagged\""), "nothing marked without a turn to open at");

    let names = xinfang_guide::analysis::year::Names::default();
    let r = xinfang_guide::analysis::keep::from_store(&*c.store, 2026, NOW, &names).await.expect("report");
    let md = xinfang_guide::analysis::year::render(&r, "md").expect("md");
    assert!(md.contains(xinfang_guide::analysis::year::UNDERSTOOD_MEANS), "{md}");
    assert!(md.contains("2026-11-25 起按此口径统计，此前各日凡识别出所问事项即计入"), "{md}");
    assert!(md.contains("房子的事情怎么办") && md.contains("老板欠我工资三个月了"), "{md}");
    assert!(!md.contains("aaaa") && !md.contains("zzzz"), "junk stays out of the official text: {md}");
}
