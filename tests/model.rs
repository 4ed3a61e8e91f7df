//! The committed model file (dialogs/understand/model.bin and its
//! provenance, model.toml) is exactly what `xinfang-guide train` makes of the
//! committed examples and ../shared/eval/train_real.jsonl, and the server
//! loads it without ../shared. When ../shared is absent the retraining test
//! says so, and fails only in CI.

use std::path::Path;
use xinfang_guide::understand::train::{self, MODEL_BIN, MODEL_TOML, Provenance};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_committed_model_is_what_its_inputs_produce() {
    let real = root().join("../shared/eval/train_real.jsonl");
    if !real.is_file() {
        assert!(std::env::var_os("CI").is_none(), "../shared/eval/train_real.jsonl is missing in CI");
        eprintln!("skipped: ../shared/eval/train_real.jsonl is not beside the checkout");
        return;
    }
    let committed = std::fs::read_to_string(root().join(MODEL_TOML)).expect("model.toml");
    let p: Provenance = toml::from_str(&committed).expect("provenance reads");
    let rows = train::read_real(&real).expect("real questions");
    let t = train::train(root(), Some((&real, &rows)), &p.settings).expect("trains");
    assert!(
        t.provenance == committed,
        "model.toml differs from what the inputs produce: run `{}`\n{}",
        p.command,
        similar::TextDiff::from_lines(&committed, &t.provenance).unified_diff()
    );
    let bin = std::fs::read(root().join(MODEL_BIN)).expect("model.bin");
    assert!(t.bin == bin, "model.bin differs from what the inputs produce: run `{}`", p.command);
}

#[test]
fn the_shipped_content_loads_its_model_without_the_real_questions() {
    let (loaded, diags) = xinfang_guide::understand::load_all(root());
    assert!(loaded.is_some(), "{diags}");
    let stale: Vec<_> = diags.items.iter().filter(|d| d.kind.code() == "stale-model").collect();
    assert!(stale.is_empty(), "{stale:?}");
    let p: Provenance =
        toml::from_str(&std::fs::read_to_string(root().join(MODEL_TOML)).expect("model.toml")).expect("reads");
    assert!(p.input.iter().any(|i| i.path == "train_real.jsonl" && i.items > 0), "trained on real questions");
    assert!(p.input.iter().all(|i| i.sha256.len() == 64));
}

#[test]
fn a_model_trained_from_other_examples_is_used_with_a_warning() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy(root(), dir.path());
    let examples = dir.path().join("dialogs/understand/examples/everyday.toml");
    let mut text = std::fs::read_to_string(&examples).expect("examples");
    text.push_str("\n# an editor's new line\n");
    std::fs::write(&examples, text).expect("write");
    let (loaded, diags) = xinfang_guide::understand::load_all(dir.path());
    assert!(loaded.is_some(), "{diags}");
    let stale: Vec<String> =
        diags.items.iter().filter(|d| d.kind.code() == "stale-model").map(|d| d.message.clone()).collect();
    assert_eq!(stale.len(), 1, "{diags}");
    assert!(stale[0].contains("everyday.toml") && stale[0].contains("xinfang-guide train"), "{stale:?}");
}

#[test]
fn a_damaged_model_file_is_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy(root(), dir.path());
    std::fs::write(dir.path().join(MODEL_BIN), b"XGMODEL1 cut").expect("write");
    let (loaded, diags) = xinfang_guide::understand::load_all(dir.path());
    assert!(loaded.is_none());
    assert!(diags.errors().any(|e| e.file.ends_with("model.bin")), "{diags}");
}

/// The content (dialogs, faq, config) of `from` under `to`.
fn copy(from: &Path, to: &Path) {
    for dir in ["dialogs", "faq", "config"] {
        copy_dir(&from.join(dir), &to.join(dir));
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir").map(|e| e.expect("entry")) {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).expect("copy");
        }
    }
}
