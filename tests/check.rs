//! `check` on the shipped content and on fixtures that show every error kind.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use xinfang_guide::content::{self, Severity};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn shipped_content_has_no_errors_and_only_placeholder_warnings() {
    let (content, diags) = content::load(root());
    assert!(content.is_some(), "shipped content has errors:\n{diags}");
    for d in &diags.items {
        assert_eq!(d.severity, Severity::Warning, "{d}");
        assert_eq!(d.kind, content::Kind::Placeholder, "{d}");
    }
    let c = content.expect("checked above");
    assert_eq!(c.directory.categories.len(), 24);
    assert_eq!(c.directory.channels.len(), 18);
}

/// Every line marked `# expect: KIND` in tests/fixtures/broken gets exactly
/// that diagnostic, and nothing else is reported.
#[test]
fn broken_fixtures_report_every_error_kind_at_its_line() {
    let dir = root().join("tests/fixtures/broken");
    let (content, diags) = content::load(&dir);
    assert!(content.is_none(), "broken content must not compile");
    let mut expected = BTreeSet::new();
    for sub in ["dialogs", "faq", "config"] {
        for entry in std::fs::read_dir(dir.join(sub)).expect("fixture dir") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("fixture file");
            for (i, line) in text.lines().enumerate() {
                if let Some((_, kind)) = line.split_once("# expect: ") {
                    expected.insert((path.clone(), i + 1, kind.trim().to_string()));
                }
            }
        }
    }
    let actual: BTreeSet<_> = diags.items.iter().map(|d| (d.file.clone(), d.line, d.kind.code().to_string())).collect();
    assert_eq!(actual, expected, "diagnostics:\n{diags}");
    let kinds: BTreeSet<_> = expected.iter().map(|(_, _, k)| k.as_str()).collect();
    assert_eq!(kinds.len(), 16, "fixtures should show all 16 kinds `check` finds without --laws, got {kinds:?}");
}

#[test]
fn check_command_exits_1_on_errors_and_0_on_shipped_content() {
    let bin = env!("CARGO_BIN_EXE_xinfang-guide");
    let ok = Command::new(bin).args(["check", "--content"]).arg(root()).output().expect("run check");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stdout));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("ok: "));
    let bad = Command::new(bin)
        .args(["check", "--content"])
        .arg(root().join("tests/fixtures/broken"))
        .output()
        .expect("run check");
    assert_eq!(bad.status.code(), Some(1));
    let out = String::from_utf8_lossy(&bad.stdout);
    assert!(out.contains("nodes.toml:8: error[dangling-node]"), "{out}");
}

/// `check --laws`: a missing article, paragraph or item of a law in the
/// folder is an error at its line; a law not in the folder is a warning that
/// lists what was not checked; a period its article does not state is an
/// error in config/deadlines.toml. Without `--laws` it says so.
#[test]
fn check_with_laws_reports_bad_citations_and_periods_at_their_lines() {
    let bin = env!("CARGO_BIN_EXE_xinfang-guide");
    let fixtures = root().join("tests/fixtures");
    let out = Command::new(bin)
        .args(["check", "--content"])
        .arg(fixtures.join("broken"))
        .arg("--laws")
        .arg(fixtures.join("laws"))
        .output()
        .expect("run check");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "faq.toml:25: error[bad-citation]: 《示例法》第一条第三款: the statute text article 1 has 2 paragraph(s), not 3",
        "faq.toml:25: error[bad-citation]: 《示例法》第一条第二款第三项: the statute text article 1 paragraph 2 has 2 item(s), not 3",
        "faq.toml:25: warning[unchecked-law]: 《没有收录的法》 is not in the statute folder; 1 citation(s) not checked",
        "deadlines.toml:13: error[period-not-in-article]: period `reply` (20日) cites 《示例法》第二条",
        "citations: 5 references checked against 1 statute texts",
    ] {
        assert!(text.contains(want), "missing `{want}` in:\n{text}");
    }
    assert!(!text.contains("notice_apply` (15日) cites"), "十五日 is in 第一条第一款:\n{text}");
    let plain = Command::new(bin).args(["check", "--content"]).arg(root()).output().expect("run check");
    assert!(String::from_utf8_lossy(&plain.stdout).contains("citations were not checked"));
}

/// The shipped content against the statute folder beside the checkout (as
/// CI runs it): no bad citation, every period stated by its article.
#[test]
fn shipped_citations_and_periods_match_the_statute_texts() {
    let laws = root().join("../shared/reference/law");
    if !laws.is_dir() {
        assert!(std::env::var_os("CI").is_none(), "../shared/reference/law is missing in CI");
        eprintln!("skipped: ../shared/reference/law is not beside the checkout");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_xinfang-guide");
    let out =
        Command::new(bin).args(["check", "--content"]).arg(root()).arg("--laws").arg(&laws).output().expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(!text.contains("error["), "{text}");
    assert!(text.contains("citations: "), "{text}");
}

/// The shipped content copied to a temporary dir, with `edit` applied to
/// one dialog file; the errors `check` then reports.
fn errors_after(file: &str, edit: impl Fn(&str) -> String) -> Vec<String> {
    errors_after_in("dialogs", file, edit)
}

/// The shipped content (dialogs, FAQ, config) copied to a temporary dir.
fn copied_content() -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("mkdir");
        for e in std::fs::read_dir(from).expect("read dir") {
            let p = e.expect("entry").path();
            let dest = to.join(p.file_name().expect("name"));
            if p.is_dir() { copy(&p, &dest) } else { std::fs::copy(&p, &dest).map(|_| ()).expect("copy") }
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    for sub in ["dialogs", "faq", "config"] {
        copy(&root().join(sub), &dir.path().join(sub));
    }
    dir
}

/// `errors_after` for a file of `sub` (dialogs, faq).
fn errors_after_in(sub: &str, file: &str, edit: impl Fn(&str) -> String) -> Vec<String> {
    let dir = copied_content();
    let path = dir.path().join(sub).join(file);
    let text = std::fs::read_to_string(&path).expect("content file");
    let changed = edit(&text);
    assert_ne!(changed, text, "the edit applies");
    std::fs::write(&path, changed).expect("write");
    let (_, diags) = content::load(dir.path());
    diags.errors().map(|d| d.to_string()).collect()
}

/// Regression (issue 19): one TOML slip in a node also reported every
/// reference to the file's nodes as dangling and what followed them as
/// unreachable; an editor saw dozens of errors for one.
#[test]
fn a_broken_node_is_reported_once_without_cascading_errors() {
    let unknown =
        errors_after("route_work.toml", |t| t.replacen(r#"no = "labor_end_date""#, r#"nno = "labor_end_date""#, 1));
    assert_eq!(unknown.len(), 1, "{unknown:#?}");
    assert!(
        unknown[0].contains("route_work.toml:") && unknown[0].contains("error[syntax]: unknown field `nno`"),
        "{}",
        unknown[0]
    );
    assert!(
        unknown[0].contains("did you mean `no`?") && unknown[0].contains("（TOML 写法有误或字段不对）"),
        "{}",
        unknown[0]
    );

    let syntax = errors_after("route_work.toml", |t| {
        t.replacen(r#"text = "您现在还在这个单位上班吗？""#, r#"text = "您现在还在这个单位上班吗？"#, 1)
    });
    assert_eq!(syntax.len(), 1, "{syntax:#?}");
    assert!(syntax[0].contains("error[syntax]"), "{}", syntax[0]);

    let twice = errors_after("route_work.toml", |t| {
        t.replacen(r#"yes = "labor_route""#, "yes = \"labor_route\"\nyes = \"labor_route\"", 1)
    });
    assert_eq!(twice.len(), 1, "{twice:#?}");
    assert!(twice[0].contains("duplicate key `yes`"), "{}", twice[0]);

    let typo = errors_after("route_work.toml", |t| t.replacen(r#"yes = "labor_route""#, r#"yes = "labor_rout""#, 1));
    assert!(
        typo.iter()
            .any(|e| e.contains("`labor_rout` names no node; did you mean `labor_route`?")
                && e.contains("引用的节点不存在")),
        "{typo:#?}"
    );
}

/// Regression (review E1): one slip in a FAQ file dropped the whole file,
/// and every reference to its entries was reported too (25 errors, the
/// real one printed last). Now it is one error, the file's other entries
/// are read, and `check` prints errors before warnings and the placeholder
/// contacts as one line (E3).
#[test]
fn a_slip_in_a_faq_file_is_one_error_printed_first() {
    let errors = errors_after_in("faq", "routing.toml", |t| {
        let at = t.find("question = \"").expect("a question");
        let end = at + t[at + 12..].find('"').expect("closing quote") + 12;
        format!("{}{}", &t[..end], &t[end + 1..])
    });
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(errors[0].contains("routing.toml:") && errors[0].contains("error[syntax]"), "{}", errors[0]);

    let bin = env!("CARGO_BIN_EXE_xinfang-guide");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(bin).args(["check", "--content"]).arg(root()).output().expect("run check");
    let text = String::from_utf8_lossy(&out.stdout);
    let placeholders = text.lines().filter(|l| l.contains("placeholder")).collect::<Vec<_>>();
    assert_eq!(placeholders.len(), 1, "one line for the placeholders: {text}");
    assert!(placeholders[0].contains("--verbose"), "{text}");
    let verbose = Command::new(bin).args(["check", "--verbose", "--content"]).arg(root()).output().expect("run");
    let verbose = String::from_utf8_lossy(&verbose.stdout);
    assert!(verbose.lines().filter(|l| l.contains("warning[placeholder]")).count() > 1, "{verbose}");
    let empty = Command::new(bin).args(["check", "--content"]).arg(dir.path()).output().expect("run check");
    let empty = String::from_utf8_lossy(&empty.stdout);
    assert!(empty.contains("no content here (no dialogs/ folder)") && !empty.contains("TOML"), "{empty}");
}

/// An office's own content in `local/` (the package links it to
/// `/etc/xinfang-guide/local`): contacts replace the shipped entry of their
/// channel, a local FAQ entry is added or replaces the one with its id, and
/// `check` validates the merged result, pointing at the local file.
#[test]
fn an_offices_local_contacts_and_faq_are_merged_over_the_shipped_files() {
    let dir = copied_content();
    let (shipped, _) = content::load(dir.path());
    let shipped = shipped.expect("shipped content");
    let local = dir.path().join("local");
    std::fs::create_dir_all(local.join("faq")).expect("mkdir");
    std::fs::write(
        local.join("directory.toml"),
        r#"[[local]]
channel = "labor_arbitration"
name = "解放区劳动人事争议仲裁院"
address = "解放路1号"
phone = "0391-1234567"
hours = "工作日 9:00-17:00"
"#,
    )
    .expect("write");
    std::fs::write(
        local.join("faq/office.toml"),
        r#"[[faq]]
id = "noise_neighbour"
question = "邻居装修太吵怎么办？"
answer = "本区噪音扰民请拨打12345反映；夜间吵闹正在发生的，可以拨打110。"
cites = ["《民法典》第二百九十四条"]
category = "public_service"
reviewed = "2026-12-07"

[[faq]]
id = "office_parking"
question = "来访接待场所在哪里停车？"
answer = "接待场所东侧有停车场。"
category = "xinfang_procedure"
reviewed = "2026-12-07"
"#,
    )
    .expect("write");
    let (merged, diags) = content::load(dir.path());
    let merged = merged.unwrap_or_else(|| panic!("{diags}"));
    assert_eq!(merged.faq.len(), shipped.faq.len() + 1, "one added, one replaced");
    let noise = merged.faq.iter().find(|f| f.id == "noise_neighbour").expect("entry");
    assert!(noise.answer.starts_with("本区噪音扰民"), "{}", noise.answer);
    assert!(noise.loc.0.ends_with("local/faq/office.toml"), "{:?}", noise.loc);
    let office = merged.directory.local.iter().find(|o| o.channel.as_deref() == Some("labor_arbitration"));
    assert_eq!(office.map(|o| o.phone.as_str()), Some("0391-1234567"));
    assert_eq!(merged.directory.local.len(), shipped.directory.local.len(), "replaced, not added");
    let placeholders = diags.items.iter().filter(|d| d.kind == content::Kind::Placeholder).count();
    assert!(placeholders < 16, "the filled-in contacts no longer warn ({placeholders})");

    // A channel the shipped directory does not have is an error at the local file.
    std::fs::write(
        local.join("directory.toml"),
        "[[local]]\nchannel = \"no_such\"\nname = \"x\"\naddress = \"x\"\nphone = \"x\"\nhours = \"x\"\n",
    )
    .expect("write");
    let (_, diags) = content::load(dir.path());
    let errors: Vec<String> = diags.errors().map(|d| d.to_string()).collect();
    assert!(
        errors.iter().any(|e| e.contains("local/directory.toml:") && e.contains("unknown channel id `no_such`")),
        "{errors:#?}"
    );
}

/// A direct answer (issue 27) says the usual first steps and cites them: a
/// category with the words but no basis is an error at its line.
#[test]
fn a_direct_answer_without_its_basis_is_an_error_at_its_line() {
    let errors = errors_after_in("config", "directory.toml", |t| {
        t.replacen("direct_basis = \"《法律援助法》第二条、第二十三条\"\n", "", 1)
    });
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].contains("directory.toml:") && errors[0].contains("needs both `direct` and `direct_basis`"),
        "{}",
        errors[0]
    );
}

/// A kind listed under `[direct]` without `direct` words in the directory is
/// asked about instead; the warning points at the kind's line in the lexicon.
#[test]
fn a_direct_kind_without_words_is_warned_about_at_its_line() {
    let dir = copied_content();
    let lexicon = dir.path().join("dialogs/understand/lexicon.toml");
    let text = std::fs::read_to_string(&lexicon).expect("lexicon");
    let changed = text.replacen("[direct]\n", "[direct]\ncivil_dispute = 0.9\n", 1);
    assert_ne!(changed, text, "the edit applies");
    std::fs::write(&lexicon, &changed).expect("write");
    let line = changed.lines().position(|l| l.starts_with("civil_dispute = 0.9")).expect("the line") + 1;
    let (loaded, diags) = xinfang_guide::understand::load_all(dir.path());
    assert!(loaded.is_some(), "a warning, not an error:\n{diags}");
    let warned: Vec<String> =
        diags.items.iter().filter(|d| d.message.contains("[direct] lists")).map(|d| d.to_string()).collect();
    assert_eq!(warned.len(), 1, "{warned:#?}");
    assert!(
        warned[0].contains(&format!("lexicon.toml:{line}: warning")) && warned[0].contains("civil_dispute"),
        "{}",
        warned[0]
    );
}
