//! The terminal chat, driven through stdin as an editor would use it.

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
