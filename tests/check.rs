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
    assert_eq!(kinds.len(), 13, "fixtures should show all 13 kinds, got {kinds:?}");
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
