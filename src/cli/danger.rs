//! `xinfang-guide danger …`: the danger recogniser from the command line.
//!
//! - `assess`: one JSON line per message read on stdin (kind, level, cue).
//! - `score FILE…`: the shipped recogniser on labelled JSONL files.
//! - `cv`: k-fold cross-validation over the written examples and
//!   `--dev` files, each message judged by a model trained without it.
//! - `train`: writes `dialogs/danger/model.bin` and its provenance
//!   (`model.toml`); `--check` says whether they are what the inputs give.

use crate::content::Diagnostics;
use crate::danger::train::{self, Labelled};
use crate::danger::{Recognizer, load};
use anyhow::{Context, bail};
use std::io::{BufRead, Write};
use std::path::Path;

/// The recogniser of the content under `root`, or every problem.
pub fn recognizer(root: &Path) -> anyhow::Result<Recognizer> {
    let mut d = Diagnostics::default();
    let r = load::load(root, &mut d);
    if d.has_errors() {
        bail!("danger content has errors:\n{d}");
    }
    Ok(r)
}

/// One JSON line per message on `input`.
pub fn assess(r: &Recognizer, input: impl BufRead, out: &mut impl Write) -> anyhow::Result<()> {
    for line in input.lines() {
        let line = line.context("reading stdin")?;
        if line.trim().is_empty() {
            continue;
        }
        let a = r.assess(&line);
        let row = serde_json::json!({
            "text": line,
            "danger": a.as_ref().map(|a| a.kind.id()),
            "level": a.as_ref().map(|a| format!("{:?}", a.level).to_lowercase()),
            "entry": a.as_ref().map(|a| a.entry()),
            "cue": a.as_ref().map(|a| a.cue.clone()),
            "score": a.as_ref().map(|a| (f64::from(a.score) * 1000.0).round() / 1000.0),
            "respelled": r.respelled(&line),
            "model": r.model_reading(&line).map(|m| (f64::from(m.danger) * 1000.0).round() / 1000.0),
            "said": a.as_ref().map(|a| a.spans.iter().filter_map(|s| line.get(s.clone())).collect::<Vec<_>>()),
        });
        writeln!(out, "{row}")?;
    }
    Ok(())
}

fn read_all(files: &[std::path::PathBuf]) -> anyhow::Result<Vec<Labelled>> {
    let mut out = Vec::new();
    for f in files {
        out.extend(train::read_jsonl(f)?);
    }
    Ok(out)
}

/// The shipped recogniser on labelled files; `errors`: list what it got wrong.
pub fn score(root: &Path, files: &[std::path::PathBuf], errors: bool, out: &mut impl Write) -> anyhow::Result<()> {
    let r = recognizer(root)?;
    let data = read_all(files)?;
    let s = train::score(&r, &data);
    write!(out, "{}", s.text())?;
    if errors {
        for (origin, text, got) in &s.errors {
            writeln!(out, "  {origin}\t{got}\t{text}")?;
        }
    }
    Ok(())
}

/// The written examples of `root` as labelled messages.
fn examples(root: &Path) -> anyhow::Result<Vec<Labelled>> {
    let mut d = Diagnostics::default();
    let ex = load::examples(root, &mut d);
    if d.has_errors() {
        bail!("danger examples have errors:\n{d}");
    }
    Ok(train::from_examples(&ex, root))
}

/// k-fold cross-validation over the examples and `dev`; `also` (ordinary
/// questions) are always trained on, never judged.
pub fn cv(
    root: &Path,
    dev: &[std::path::PathBuf],
    also: &[std::path::PathBuf],
    k: usize,
    errors: bool,
    sweep: bool,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let mut folded = examples(root)?;
    folded.extend(read_all(dev)?);
    let always = read_all(also)?;
    let base = recognizer(root)?;
    let rules = || load::rules(root, &mut Diagnostics::default()).map(|(r, _)| r).unwrap_or_default();
    if sweep {
        writeln!(out, "full\tcheck\trecognised%\tfull%\tneg full%\tneg check%")?;
        for full in [0.85f32, 0.9, 0.95, 0.97, 0.99] {
            for check in [0.4f32, 0.5, 0.6, 0.7, 0.8] {
                let t = crate::danger::Thresholds { full, check };
                let s = train::cross_validate(rules, t, &folded, &always, k);
                let (n, f, c) = s.negatives;
                let pct = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
                let full_must: usize = s.must.iter().map(|m| m.2).sum();
                writeln!(
                    out,
                    "{full}\t{check}\t{:.1}\t{:.1}\t{:.2}\t{:.2}",
                    pct(s.recognised(), s.must_total()),
                    pct(full_must, s.must_total()),
                    pct(f, n),
                    pct(c, n)
                )?;
            }
        }
        return Ok(());
    }
    let s = train::cross_validate(rules, base.thresholds(), &folded, &always, k);
    writeln!(
        out,
        "{k}-fold cross-validation over {} labelled messages (+{} always trained on)",
        folded.len(),
        always.len()
    )?;
    write!(out, "{}", s.text())?;
    if errors {
        for (origin, text, got) in &s.errors {
            writeln!(out, "  {origin}\t{got}\t{text}")?;
        }
    }
    Ok(())
}

/// Trains the model from the examples and the given files and writes it
/// with its provenance; with `check`, writes nothing and fails unless the
/// committed files are what these inputs give.
pub fn train_model(
    root: &Path,
    dev: &[std::path::PathBuf],
    also: &[std::path::PathBuf],
    check: bool,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let t = train::train_files(root, dev, also)?;
    let ms = started.elapsed().as_millis();
    let (bin_path, toml_path) = (root.join(load::MODEL_BIN), root.join(load::MODEL_TOML));
    if check {
        let same = |p: &Path, want: &[u8]| std::fs::read(p).is_ok_and(|have| have == want);
        if same(&bin_path, &t.bin) && same(&toml_path, t.provenance.as_bytes()) {
            println!("{} and {} are what these inputs produce", load::MODEL_BIN, load::MODEL_TOML);
            return Ok(());
        }
        bail!("{} / {} differ from what these inputs produce: run `{}`", load::MODEL_BIN, load::MODEL_TOML, t.command);
    }
    std::fs::write(&bin_path, &t.bin).with_context(|| format!("writing {}", bin_path.display()))?;
    std::fs::write(&toml_path, &t.provenance).with_context(|| format!("writing {}", toml_path.display()))?;
    println!(
        "wrote {} ({} bytes, {} messages) and {}, trained in {ms} ms",
        load::MODEL_BIN,
        t.bin.len(),
        t.messages,
        load::MODEL_TOML
    );
    Ok(())
}
