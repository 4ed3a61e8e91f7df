//! The chat page in a real browser: Debian's chromium driven by
//! playwright-core (tests/browser/chat.js) against the real server.
//! Needs `node`, `/usr/bin/chromium` and `npm ci` in tests/browser
//! (.ci/run installs them); without them the test says so, and fails in CI.

mod common;

use std::path::Path;
use std::process::Command;

#[test]
fn chat_page_works_in_a_phone_sized_browser() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let browser_dir = root.join("tests/browser");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let ready = Path::new(&chromium).exists()
        && browser_dir.join("node_modules/playwright-core").is_dir()
        && Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    if !ready {
        assert!(std::env::var_os("CI").is_none(), "CI must install chromium, node and tests/browser deps");
        eprintln!("skipped: needs node, {chromium} and `npm ci` in tests/browser");
        return;
    }
    let data = tempfile::tempdir().expect("tempdir");
    let server = common::spawn(data.path());
    let shots = root.join("target/screenshots");
    std::fs::create_dir_all(&shots).expect("screenshot dir");
    let out = Command::new("node")
        .arg(browser_dir.join("chat.js"))
        .env("BASE_URL", &server.base)
        .env("SHOTS", &shots)
        .env("CHROMIUM", &chromium)
        .current_dir(&browser_dir)
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "browser test failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
