//! What an operator sees of the real binary: request logs with route
//! templates and no personal data, no colour codes in a log file, one line
//! for the placeholder contacts, a warning for a misspelt `XG_` variable,
//! and metrics with `# HELP`, count buckets and the counters that matter.

mod common;

use serde_json::{Value, json};
use std::process::Stdio;

#[tokio::test]
async fn logs_and_metrics_tell_an_operator_what_happened_and_nothing_personal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let data = dir.path().join("data");
    let env = [
        ("RUST_LOG", "info"),
        ("XG_METRICS_TOKEN", "metrics-secret-token"),
        ("XG_SERVR_ADDR", "0.0.0.0:1"),
        ("XG_LIMITS_PER_SESSION_PER_SECOND", "1"),
        ("XG_LIMITS_PER_SESSION_BURST", "2"),
    ];
    let server = common::spawn_with(&data, &env, Stdio::from(log));
    let client = reqwest::Client::new();
    let chat = |body: Value| client.post(format!("{}/api/v1/chat", server.base)).json(&body).send();
    let first: Value = chat(json!({"text": "今天天气怎么样"})).await.expect("chat").json().await.expect("json");
    let session = first["session"].as_str().expect("session").to_string();
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(chat(json!({"session": session, "text": "我不想活了"})).await.expect("chat").status().as_u16());
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    let secret = "0123456789abcdef0123456789abcdef";
    assert_eq!(client.get(format!("{}/g/{secret}", server.base)).send().await.expect("get").status().as_u16(), 404);
    let user = "u-personal-data-in-query";
    let _ = client.get(format!("{}/staff/transcript?channel=web&user={user}", server.base)).send().await;

    let metrics = client
        .get(format!("{}/metrics", server.base))
        .bearer_auth("metrics-secret-token")
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("body");
    for want in [
        "# HELP xg_messages_total Messages answered, per channel",
        "# HELP xg_store_flush_batch Commits made durable by one group flush (count)",
        r#"xg_store_flush_batch_bucket{le="1"}"#,
        r#"xg_store_flush_batch_bucket{le="256"}"#,
        r#"xg_not_understood_total{channel="web"} 1"#,
        r#"xg_danger_turns_total{kind="self_harm"}"#,
        r#"xg_http_responses_total{route="/api/v1/chat",status="429"}"#,
        r#"xg_rate_limited_total{route="/api/v1/chat"}"#,
        r#"xg_http_responses_total{route="/g/{ticket}",status="404"}"#,
    ] {
        assert!(metrics.contains(want), "missing `{want}` in\n{metrics}");
    }
    assert!(!metrics.contains(r#"xg_store_flush_batch_bucket{le="0.0005"}"#), "counts, not seconds");
    drop(server);
    let text = std::fs::read_to_string(&log_path).expect("log");
    assert!(!text.contains('\u{1b}'), "no ANSI colour codes in a log file");
    assert!(text.contains("unknown setting XG_SERVR_ADDR is ignored (did you mean XG_SERVER_ADDR?)"), "{text}");
    let placeholder_lines = text.lines().filter(|l| l.contains("待核实")).count();
    assert_eq!(placeholder_lines, 1, "placeholders are one line with a count:\n{text}");
    assert!(text.lines().any(|l| l.contains("route=/g/{ticket}") && l.contains("status=404")), "{text}");
    assert!(text.lines().any(|l| l.contains("route=/api/v1/chat") && l.contains("status=429") && l.contains("ms=")));
    for private in [secret, user, session.as_str(), "不想活", "天气"] {
        assert!(!text.contains(private), "`{private}` in the log:\n{text}");
    }
}

/// Newcomer trial O4: "in use" errors say by what and what to do.
#[test]
fn in_use_errors_name_the_holder_and_the_way_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = common::spawn(dir.path());
    let addr = server.base.trim_start_matches("http://").to_string();
    let other = tempfile::tempdir().expect("tempdir");
    let run = |addr: &str, data: &std::path::Path| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_xinfang-guide"))
            .args(["serve", "--addr", addr, "--data"])
            .arg(data)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("RUST_BACKTRACE", "0")
            .output()
            .expect("run");
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let taken = run(&addr, other.path());
    assert!(taken.contains("--addr HOST:PORT"), "{taken}");
    let held = run("127.0.0.1:0", dir.path());
    assert!(held.contains(&format!("the server at http://{addr} holds it")), "{held}");
    drop(server);
}
