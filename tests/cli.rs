//! The terminal chat, driven through stdin as an editor would use it.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

#[test]
fn terminal_chat_walks_to_a_channel_card_with_numbered_choices() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_xinfang-guide"))
        .args(["chat", "--content", env!("CARGO_MANIFEST_DIR")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start chat");
    child.stdin.take().expect("stdin").write_all("1\n1\n1\n1\n是\n人工\n退出\n".as_bytes()).expect("write");
    let out = child.wait_with_output().expect("output");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf8");
    assert!(text.contains("  1. 我的问题该找哪里"), "{text}");
    assert!(text.contains("【建议途径】人力资源和社会保障部门（12333）（labor_inspection_12333）"), "{text}");
    assert!(text.contains("解放区信访局 接待窗口"), "{text}");
}

#[test]
fn qr_codes_and_the_poster_open_the_chat_tagged_with_the_source() {
    let out = tempfile::tempdir().expect("tempdir");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_xinfang-guide"))
            .args(args)
            .arg("--out")
            .arg(out.path())
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("run qr")
    };
    let ok = run(&["qr", "--src", "0509-square", "--base-url", "https://xf.example.org/"]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let url = "https://xf.example.org/?src=0509-square";
    let png = std::fs::read(out.path().join("qr-0509-square.png")).expect("png");
    assert_eq!(common::decode_qr_png(&png), [url]);
    let svg = std::fs::read_to_string(out.path().join("qr-0509-square.svg")).expect("svg");
    assert!(svg.contains("<svg") && svg.contains("viewBox"));
    let poster = std::fs::read_to_string(out.path().join("poster-0509-square.html")).expect("poster");
    for part in ["@page { size: A4", "<svg", url, "12348", "12345", "110", "可以这样问", "解放区信访局"] {
        assert!(poster.contains(part), "{part} missing");
    }
    let bad = run(&["qr", "--src", "<script>", "--base-url", "https://xf.example.org"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--src must be"));
    let no_base = run(&["qr", "--src", "ok"]);
    assert!(String::from_utf8_lossy(&no_base.stderr).contains("--base-url"));
}
