//! `xinfang-guide examples merge FILE`: staff annotations exported from the
//! console (`/staff/annotations.toml`) become training examples; see
//! [`crate::understand::merge`].

use crate::understand::load;
use crate::understand::merge::{self, ANNOTATIONS, Held};
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::Path;

#[derive(Serialize, Deserialize)]
struct Table {
    examples: BTreeMap<String, Vec<String>>,
}

/// Merges the export `file` into the content under `root`; `eval`: the
/// folder of evaluation sets (`*.jsonl`) to check against, `None` to skip
/// the check. Returns whether it merged (false: leaks or unknown
/// categories, reported on `out`, nothing written).
pub fn merge(root: &Path, file: &Path, eval: Option<&Path>, out: &mut impl Write) -> anyhow::Result<bool> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let new: Table = toml::from_str(&text).with_context(|| format!("{} is not an [examples] table", file.display()))?;
    let (content, mut diags) = crate::content::load(root);
    let content = content.with_context(|| format!("content has errors:\n{diags}"))?;
    let cats: Vec<String> = content.directory.categories.keys().cloned().collect();
    let (_, examples) = load::load(root, &cats, None, &mut diags).with_context(|| format!("{diags}"))?;
    let known: HashSet<String> = examples.items.iter().map(|(_, t)| t.clone()).collect();
    let target = root.join(ANNOTATIONS);
    let existing = match std::fs::read_to_string(&target) {
        Ok(t) => toml::from_str::<Table>(&t).with_context(|| format!("reading {ANNOTATIONS}"))?.examples,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {ANNOTATIONS}")),
    };
    let held = match eval {
        Some(dir) => held(dir)?,
        None => {
            writeln!(out, "warning: not checked against the evaluation sets (--no-eval-check)")?;
            Vec::new()
        }
    };
    let m = merge::merge(existing, &new.examples, &known, &cats, &held);
    for c in &m.unknown {
        writeln!(out, "unknown category `{c}` (see config/directory.toml)")?;
    }
    for (cat, text, from) in &m.leaks {
        writeln!(out, "from an evaluation set ({}): {cat}: {text}", from.join(", "))?;
    }
    if !m.unknown.is_empty() || !m.leaks.is_empty() {
        writeln!(out, "nothing merged: remove these lines from {} and run again", file.display())?;
        return Ok(false);
    }
    let header = "# Questions annotated by staff in the console (/staff/annotations.toml), merged by\n\
                  # `xinfang-guide examples merge` after a check against the evaluation sets.\n\
                  # Personal data was masked when logged. Retrain after merging (README).\n";
    let body = toml::to_string(&Table { examples: m.examples }).context("writing the examples")?;
    std::fs::write(&target, format!("{header}{body}")).with_context(|| format!("writing {ANNOTATIONS}"))?;
    let added: usize = m.added.values().sum();
    let per: Vec<String> = m.added.iter().map(|(c, n)| format!("{c} {n}")).collect();
    writeln!(
        out,
        "merged {added} new examples into {ANNOTATIONS} ({}); {} already known",
        per.join(", "),
        m.duplicates
    )?;
    writeln!(out, "now retrain: xinfang-guide train --real ../shared/eval/train_real.jsonl")?;
    Ok(true)
}

/// Every question of every `*.jsonl` file in `dir`.
pub fn held(dir: &Path) -> anyhow::Result<Vec<Held>> {
    let entries = std::fs::read_dir(dir).with_context(|| {
        format!("the evaluation sets are needed for the leak check: {} (or --no-eval-check)", dir.display())
    })?;
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    anyhow::ensure!(!files.is_empty(), "no evaluation sets (*.jsonl) in {}", dir.display());
    let mut out = Vec::new();
    for f in files {
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let text = std::fs::read_to_string(&f).with_context(|| format!("reading {}", f.display()))?;
        for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let v: serde_json::Value =
                serde_json::from_str(line).with_context(|| format!("{}:{}", f.display(), n + 1))?;
            let id = v["id"].as_str().map_or_else(|| (n + 1).to_string(), str::to_string);
            out.push(Held::new(format!("{name}#{id}"), v["question"].as_str().unwrap_or("")));
        }
    }
    Ok(out)
}
