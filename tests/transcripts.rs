//! Runs every script in tests/transcripts/ through the engine on the shipped
//! content. Editors add a `.txt` file; no Rust needed. See
//! `src/cli/transcript.rs` for the format.

use std::path::Path;
use std::sync::Arc;
use xinfang_guide::cli::transcript;
use xinfang_guide::engine::Engine;
use xinfang_guide::understand::Smart;

#[test]
fn every_transcript_passes_on_the_shipped_content() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (loaded, diags) = xinfang_guide::understand::load_all(root);
    let (content, understanding) = loaded.unwrap_or_else(|| panic!("shipped content has errors:\n{diags}"));
    let engine = Engine::new(content, Arc::new(Smart { understanding }), 30 * 60);
    let files = transcript::files(&root.join("tests/transcripts")).expect("tests/transcripts exists");
    assert!(files.len() >= 20, "expected a transcript per tree, found {}", files.len());
    let mut report = String::new();
    for f in &files {
        let script = std::fs::read_to_string(f).expect("readable transcript");
        for fail in transcript::run(&engine, &script) {
            report.push_str(&format!("{}:{}: {}\n\n", f.display(), fail.line, fail.message));
        }
    }
    assert!(report.is_empty(), "transcript failures:\n{report}");
}
