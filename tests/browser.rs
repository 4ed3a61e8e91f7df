//! The chat page in a real browser: Debian's chromium driven by
//! playwright-core (tests/browser/chat.js) against the real server.
//! Needs `node`, `/usr/bin/chromium` and `npm ci` in tests/browser
//! (.ci/run installs them); without them the test says so, and fails in CI.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Chromium path when everything a browser test needs is installed.
fn browser() -> Option<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let ready = Path::new(&chromium).exists()
        && root.join("tests/browser/node_modules/playwright-core").is_dir()
        && root.join("tests/browser/node_modules/axe-core").is_dir()
        && Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    if !ready {
        assert!(std::env::var_os("CI").is_none(), "CI must install chromium, node and tests/browser deps");
        eprintln!("skipped: needs node, {chromium} and `npm ci` in tests/browser");
        return None;
    }
    Some(chromium)
}

fn shots() -> PathBuf {
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&shots).expect("screenshot dir");
    shots
}

fn node(script: &str, chromium: &str, envs: &[(&str, &Path)], base: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let out = Command::new("node")
        .arg(dir.join(script))
        .env("BASE_URL", base)
        .env("SHOTS", shots())
        .env("CHROMIUM", chromium)
        .envs(envs.iter().map(|(k, v)| (*k, v.as_os_str())))
        .current_dir(&dir)
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "browser test {script} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A data dir holding the planted log of `common::planted` (warnings to
/// find, a year to report), closed again so a server can open it.
async fn planted_data_dir() -> tempfile::TempDir {
    let data = tempfile::tempdir().expect("tempdir");
    let store: std::sync::Arc<dyn xinfang_guide::store::Store> =
        xinfang_guide::store::SledStore::open(data.path(), &Default::default()).expect("open");
    common::planted::write(store, common::planted::planted(xinfang_guide::app::unix_now())).await;
    data
}

/// Makes admin `name` (password `PASSWORD`) through the running server.
fn add_admin(data: &Path, base: &str, name: &str) {
    let mut add = Command::new(env!("CARGO_BIN_EXE_xinfang-guide"))
        .args(["staff", "add", name, "--role", "admin", "--data"])
        .arg(data)
        .args(["--server", base])
        .stdin(Stdio::piped())
        .spawn()
        .expect("staff add");
    use std::io::Write as _;
    add.stdin.take().expect("stdin").write_all(format!("{PASSWORD}\n").as_bytes()).expect("password");
    assert!(add.wait().expect("wait").success());
}

const PASSWORD: &str = "a long staff password";

#[test]
fn chat_page_works_in_a_phone_sized_browser() {
    let Some(chromium) = browser() else { return };
    let data = tempfile::tempdir().expect("tempdir");
    let server = common::spawn(data.path());
    node("chat.js", &chromium, &[], &server.base);
}

#[test]
fn a_publicity_day_kiosk_serves_two_people_hands_off_by_qr_and_resets() {
    let Some(chromium) = browser() else { return };
    let data = tempfile::tempdir().expect("tempdir");
    let envs = [("XG_KIOSK_IDLE_SECONDS", "4"), ("XG_KIOSK_COUNTDOWN_SECONDS", "3")];
    let server = common::spawn_with(data.path(), &envs, Stdio::inherit());
    let posters = tempfile::tempdir().expect("tempdir");
    let made = Command::new(env!("CARGO_BIN_EXE_xinfang-guide"))
        .args(["qr", "--src", "0509-square", "--base-url", &server.base, "--out"])
        .arg(posters.path())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("qr");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let poster = posters.path().join("poster-0509-square.html");
    node("kiosk.js", &chromium, &[("POSTER", &poster)], &server.base);

    // The QR codes as Chromium drew them decode to the links the page showed.
    let shots = shots();
    for name in ["handoff", "takeaway"] {
        let png = std::fs::read(shots.join(format!("kiosk-{name}-qr.png"))).expect("qr screenshot");
        let url = std::fs::read_to_string(shots.join(format!("kiosk-{name}-url.txt"))).expect("url");
        assert_eq!(common::decode_qr_png(&png), [url], "{name}");
    }
    // The poster's QR code, rendered from its SVG, opens the tagged chat; it prints on one page.
    let png = std::fs::read(shots.join("poster.png")).expect("poster screenshot");
    assert_eq!(common::decode_qr_png(&png), [format!("{}/?src=0509-square", server.base)]);
    let pdf = std::fs::read(shots.join("poster.pdf")).expect("pdf");
    let pages = pdf.windows(b"/Type /Page".len()).filter(|w| *w == b"/Type /Page").count()
        - pdf.windows(b"/Type /Pages".len()).filter(|w| *w == b"/Type /Pages").count();
    assert_eq!(pages, 1, "the poster prints on one A4 page");
}

#[tokio::test]
async fn a_staff_member_reviews_annotates_and_exports_in_the_console() {
    let Some(chromium) = browser() else { return };
    let data = tempfile::tempdir().expect("tempdir");
    let server = common::spawn(data.path());
    // Citizens at kiosk-1, one of them hostile.
    let client = reqwest::Client::new();
    for text in ["<script>window.pwned=1</script>阿巴阿巴咕噜", "\u{202e}咕噜咕噜阿巴", "今天天气怎么样"]
    {
        let r = client
            .post(format!("{}/api/v1/chat", server.base))
            .json(&serde_json::json!({"text": text, "src": "kiosk-1"}))
            .send()
            .await
            .expect("chat");
        assert!(r.status().is_success());
    }
    add_admin(data.path(), &server.base, "chen");
    let (user, password) = (Path::new("chen"), Path::new(PASSWORD));
    node("staff.js", &chromium, &[("STAFF_USER", user), ("STAFF_PASSWORD", password)], &server.base);
}

#[tokio::test]
async fn staff_see_the_planted_warnings_mark_one_and_read_the_year_report() {
    let Some(chromium) = browser() else { return };
    let data = planted_data_dir().await;
    let server = common::spawn(data.path());
    add_admin(data.path(), &server.base, "wang");
    let (user, password) = (Path::new("wang"), Path::new(PASSWORD));
    node("warnings.js", &chromium, &[("STAFF_USER", user), ("STAFF_PASSWORD", password)], &server.base);
}

/// Review A (axe-core): no critical or serious violation on any page or
/// state citizens and staff see (tests/browser/axe.js).
#[tokio::test]
async fn every_page_passes_axe_without_critical_or_serious_violations() {
    let Some(chromium) = browser() else { return };
    let data = planted_data_dir().await;
    let envs = [("XG_KIOSK_IDLE_SECONDS", "6"), ("XG_KIOSK_COUNTDOWN_SECONDS", "5")];
    let server = common::spawn_with(data.path(), &envs, Stdio::inherit());
    add_admin(data.path(), &server.base, "axe");
    let (user, password) = (Path::new("axe"), Path::new(PASSWORD));
    node("axe.js", &chromium, &[("STAFF_USER", user), ("STAFF_PASSWORD", password)], &server.base);
}
