//! The command line: the terminal chat driven through stdin as an editor
//! would use it, QR codes and posters, and `classify` for evaluation scripts.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs a command on the shipped content with `input` on stdin.
fn on_content(command: &str, input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_xinfang-guide"))
        .args([command, "--content", env!("CARGO_MANIFEST_DIR")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {command}: {e}"));
    child.stdin.take().expect("stdin").write_all(input).expect("write");
    child.wait_with_output().expect("output")
}

#[test]
fn terminal_chat_walks_to_a_channel_card_with_numbered_choices() {
    let out = on_content("chat", "1\n1\n1\n1\n是\n人工\n退出\n".as_bytes());
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf8");
    assert!(text.contains("  1. 我的问题该找哪里"), "{text}");
    assert!(text.contains("【建议途径】人力资源和社会保障部门（12333）（labor_inspection_12333）"), "{text}");
    assert!(text.contains("解放区信访局 接待窗口"), "{text}");
    assert!(!text.contains("待核实"), "placeholder contacts are never shown: {text}");
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

#[test]
fn classify_answers_every_line_in_the_evaluation_format() {
    let mut input = Vec::new();
    input.extend_from_slice("{\"id\": \"a1\", \"question\": \"老板拖欠我三个月工资，我要去上访\"}\n".as_bytes());
    input.extend_from_slice("法院判决已经生效了，我不服\n\n".as_bytes());
    // Not UTF-8, then a JSON object without a question, then a huge line.
    input.extend_from_slice(b"\xff\xfe\xe5\xb7 broken\n{\"id\": 7}\n");
    input.extend_from_slice("楼上太吵".repeat(20_000).as_bytes());
    let out = on_content("classify", &input);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).expect("utf8").lines().map(|l| serde_json::from_str(l).expect("json")).collect();
    assert_eq!(rows.len(), 5, "one line out per non-empty line in: {rows:?}");
    assert_eq!(rows[0]["id"], "a1");
    assert_eq!(rows[0]["category"], "labor");
    assert_eq!(rows[0]["channels"][0], "labor_inspection_12333", "never 信访 first for a wage claim");
    assert_eq!(rows[0]["offered"], serde_json::json!(["labor"]), "confident: one category to confirm");
    assert_eq!(rows[1]["id"], 2, "plain lines are numbered by line");
    assert_eq!(rows[1]["category"], "judgment_dispute");
    assert_eq!(rows[1]["channels"][0], "court_retrial");
    for r in &rows {
        let c = r["confidence"].as_f64().expect("confidence");
        assert!((0.0..=1.0).contains(&c), "{r}");
        assert!(r["offered"].as_array().is_some_and(|o| o.len() <= 3), "{r}");
        assert!(r["faq"].is_null() || r["faq"].is_string(), "{r}");
    }
    assert_eq!(rows[3]["id"], 7);
    assert_eq!(rows[3]["category"], "out_of_scope", "no question, no matter");
    assert_eq!(rows[3]["channels"], serde_json::json!([]));
}

/// `serve` with a public URL (a real deployment) refuses to start while
/// contact details are placeholders, unless told to; a bad public URL is
/// refused by name (regression: "not a url" started and broke every QR code).
#[test]
fn serve_refuses_placeholders_in_a_real_deployment_and_a_public_url_that_is_no_url() {
    use std::io::{BufRead, BufReader};
    let data = tempfile::tempdir().expect("tempdir");
    let serve = |url: &str, extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_xinfang-guide"))
            .args(["serve", "--addr", "127.0.0.1:0", "--data"])
            .arg(data.path())
            .args(extra)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("XG_SERVER_PUBLIC_URL", url)
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start serve")
    };
    let refused = serve("https://xf.example.org", &[]).wait_with_output().expect("output");
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("待核实") && err.contains("--allow-placeholders"), "{err}");
    let bad = serve("not a url", &[]).wait_with_output().expect("output");
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("[server] public_url") && err.contains("http(s)"), "{err}");
    let mut allowed = serve("https://xf.example.org", &["--allow-placeholders"]);
    let mut line = String::new();
    BufReader::new(allowed.stdout.take().expect("stdout")).read_line(&mut line).expect("line");
    let _ = allowed.kill();
    let _ = allowed.wait();
    assert!(line.starts_with("listening on"), "{line:?}");
}

/// The content (dialogs, faq, config) of the checkout under `to`.
fn copy_content(to: &std::path::Path) {
    fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).expect("mkdir");
        for e in std::fs::read_dir(from).expect("read dir").map(|e| e.expect("entry")) {
            if e.path().is_dir() {
                copy_dir(&e.path(), &to.join(e.file_name()));
            } else {
                std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
            }
        }
    }
    for dir in ["dialogs", "faq", "config"] {
        copy_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir), &to.join(dir));
    }
}

#[test]
fn staff_annotations_merge_into_the_examples_unless_one_comes_from_an_evaluation_set() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_content(dir.path());
    let eval = dir.path().join("eval");
    std::fs::create_dir_all(&eval).expect("mkdir");
    std::fs::write(eval.join("dev.jsonl"), "{\"id\": \"d-7\", \"question\": \"我们村的路灯坏了三个月一直没人来修\"}\n")
        .expect("write");
    let export = dir.path().join("annotated-examples.toml");
    let merge = |file: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_xinfang-guide"))
            .args(["examples", "merge"])
            .arg(file)
            .arg("--content")
            .arg(dir.path())
            .arg("--eval")
            .arg(&eval)
            .output()
            .expect("runs")
    };
    // A question typed from the dev set (masked, cut) stops the whole merge.
    std::fs::write(&export, "[examples]\npublic_service = [\"我们村的路灯坏了三个月一直没人来修。\"]\nlabor = [\"包工头跑了，二十个工友的工钱没人给\"]\n")
        .expect("write");
    let out = merge(&export);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("dev.jsonl#d-7"), "{text}");
    let target = dir.path().join("dialogs/understand/examples/annotations.toml");
    assert!(!target.exists(), "nothing written");
    // Without it the rest merges, once, and the content still loads.
    std::fs::write(&export, "[examples]\nlabor = [\"包工头跑了，二十个工友的工钱没人给\"]\n").expect("write");
    let out = merge(&export);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stdout).contains("merged 1 new examples"));
    let again = merge(&export);
    assert!(String::from_utf8_lossy(&again.stdout).contains("merged 0 new examples"));
    let merged = std::fs::read_to_string(&target).expect("annotations.toml");
    assert_eq!(merged.matches("包工头跑了").count(), 1, "{merged}");
    let (loaded, diags) = xinfang_guide::understand::load_all(dir.path());
    assert!(loaded.is_some(), "{diags}");
}

fn run_on_content(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xinfang-guide"))
        .args(args)
        .args(["--content", env!("CARGO_MANIFEST_DIR")])
        .output()
        .expect("run")
}

/// `graph` draws the shipped trees: every node with its id and kind, every
/// choice as a labelled arrow, every route's cards with their channel.
#[test]
fn graph_draws_every_shipped_tree_as_dot_mermaid_and_svg() {
    let (content, diags) = xinfang_guide::content::load(std::path::Path::new(env!("CARGO_MANIFEST_DIR")));
    let content = content.unwrap_or_else(|| panic!("{diags}"));
    let dot = run_on_content(&["graph", "--format", "dot"]);
    assert!(dot.status.success(), "{}", String::from_utf8_lossy(&dot.stderr));
    let dot = String::from_utf8(dot.stdout).expect("utf8");
    assert!(dot.starts_with("digraph dialogs {") && dot.trim_end().ends_with('}'));
    for n in &content.nodes {
        assert!(dot.contains(&format!("\"{}\" [label=\"{}\\n[{}]", n.id, n.id, n.kind.name())), "{} drawn", n.id);
    }
    assert!(dot.contains(r#""main" -> "route_start" [label="我的问题该找哪里"]"#), "a choice is a labelled arrow");
    assert!(dot.contains(r#""labor_employed" -> "labor_end_date" [label="否"]"#));
    assert!(
        dot.contains("[卡片 labor_arbitration]") && dot.contains("劳动人事争议仲裁委员会"),
        "cards with their channel"
    );

    let mermaid = run_on_content(&["graph", "--format", "mermaid", "--tree", "route_work"]);
    let mermaid = String::from_utf8(mermaid.stdout).expect("utf8");
    assert!(mermaid.starts_with("flowchart TD\n") && mermaid.contains("labor_employed<br/>[ask]"), "{mermaid}");
    assert!(!mermaid.contains("howto_"), "only route_work's nodes and where they lead: {mermaid}");

    let svg = run_on_content(&["graph", "--format", "svg", "--tree", "labor_start"]);
    let svg = String::from_utf8(svg.stdout).expect("utf8");
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\"") && svg.trim_end().ends_with("</svg>"));
    assert!(
        svg.contains(">labor_start</text>") && svg.contains(">labor_end_date</text>") && svg.contains("marker-end")
    );
    assert_eq!(svg.matches("<rect").count(), svg.matches("</g>").count());
    // Review E4: labels are whole (were cut at 16 characters), each on a
    // white ground, and choices leading to one node share one label.
    let people = run_on_content(&["graph", "--format", "svg", "--tree", "route_people"]);
    let people = String::from_utf8(people.stdout).expect("utf8");
    assert!(people.contains(">civil_kind=injury") && people.contains(r#"<g class="label">"#), "whole labels");
    let to_civil_route =
        people.matches(">其他邻里纠纷（漏水、通行、采光等）").count().max(people.matches(">被骗了<").count());
    assert!(to_civil_route <= 1, "one label per pair of boxes");

    let wrong = run_on_content(&["graph", "--tree", "labr_start"]);
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("did you mean `labor_start`?"));
}

/// The line of `id = "<id>"` in a shipped content file.
fn line_of(file: &str, id: &str) -> usize {
    let text = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).expect(file);
    text.lines().position(|l| l.trim() == format!("id = \"{id}\"")).expect(id) + 1
}

/// `chat --show-ids`: each reply with its node id and where it is written.
#[test]
fn chat_shows_node_ids_and_file_lines_for_editors() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_xinfang-guide"))
        .args(["chat", "--show-ids", "--content", env!("CARGO_MANIFEST_DIR")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("chat");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all("1\n邻居装修太吵了怎么办\n公司拖欠工资\n菜单\n我想投诉一个部门\n退出\n".as_bytes())
        .expect("write");
    let out = String::from_utf8(child.wait_with_output().expect("out").stdout).expect("utf8");
    let main_line = line_of("dialogs/main.toml", "main");
    assert!(out.starts_with(&format!("［节点 main · dialogs/main.toml:{main_line}］\n")), "{out}");
    assert!(out.contains("［节点 route_start · dialogs/route_menu.toml:"), "{out}");
    // Regression (review E2): a FAQ answer named the main node; now the entry
    // and its line, and a suggestion says what it offered.
    let faq_line = line_of("faq/routing.toml", "noise_neighbour");
    assert!(out.contains(&format!("［FAQ noise_neighbour · faq/routing.toml:{faq_line}］")), "{out}");
    assert!(out.contains("［建议分类 · 理解程序给出的选项："), "{out}");
    // A kind of matter answered directly says what let it through (issue 27).
    let start = line_of("dialogs/route_work.toml", "labor_start");
    let direct = format!(
        "［直接回答“labor” · dialogs/understand/lexicon.toml [direct] · 节点 labor_start · dialogs/route_work.toml:{start}］"
    );
    assert!(out.contains(&direct), "{out}");
}

/// A binary run outside a checkout never serves the source tree it was built
/// from: with no `--content`, no setting and no `dialogs/` in the current
/// directory (and nothing installed) it refuses and says where it looked;
/// `--content` makes it serve that directory, and the log names it.
#[test]
fn serve_finds_content_by_flag_setting_or_current_dir_never_the_build_path() {
    use std::io::{BufRead, BufReader};
    if std::path::Path::new(xinfang_guide::config::INSTALLED_CONTENT).join("dialogs").is_dir() {
        return; // a machine with the package installed finds it there
    }
    let data = tempfile::tempdir().expect("tempdir");
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let serve = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_xinfang-guide"))
            .args(["serve", "--addr", "127.0.0.1:0", "--data"])
            .arg(data.path())
            .args(extra)
            .current_dir(elsewhere.path())
            .env("RUST_LOG", "info")
            .env("XG_SERVER_CONTENT_DIR", elsewhere.path())
            .env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LIB_BACKTRACE")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start serve")
    };
    let refused = serve(&[]).wait_with_output().expect("output");
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("no content found") && err.contains(xinfang_guide::config::INSTALLED_CONTENT), "{err}");
    assert!(!err.contains(env!("CARGO_MANIFEST_DIR")), "never the build path: {err}");
    let mut child = serve(&["--content", env!("CARGO_MANIFEST_DIR")]);
    let stderr = child.stderr.take().expect("stderr");
    let mut said = String::new();
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        said.push_str(&line);
        if line.contains("serving content") || said.len() > 100_000 {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(said.contains("serving content") && said.contains(env!("CARGO_MANIFEST_DIR")), "{said}");
}

/// Newcomer trial O3: `stats` run outside the content dir printed category
/// ids; it now finds the content as `serve` does (here: the setting).
#[tokio::test]
async fn stats_outside_the_content_dir_names_the_categories() {
    use xinfang_guide::engine::reply::LogRecord;
    use xinfang_guide::engine::session::{Session, SessionKey};
    use xinfang_guide::store::Store;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    {
        let store = xinfang_guide::store::SledStore::open(&data, &Default::default()).expect("open");
        let now = xinfang_guide::app::unix_now();
        let key = SessionKey::parse("web", "someone").expect("key");
        let record = LogRecord {
            ts: now,
            channel: "web".into(),
            user: "someone".into(),
            input_kind: "text".into(),
            input: "老板拖欠工资".into(),
            matched: true,
            category: Some("labor".into()),
            ..LogRecord::default()
        };
        store.commit(None, &Session::new(key, "main", now), &record).await.expect("commit");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_xinfang-guide"))
        .args(["stats", "--today", "--data"])
        .arg(&data)
        .current_dir(dir.path())
        .env("XG_SERVER_CONTENT_DIR", env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("stats");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("劳动争议") && !text.contains(" labor "), "{text}");
}
