//! Training the danger model, k-fold cross-validation of the whole
//! recogniser (rules and a model trained without the message judged), and
//! scoring on labelled messages. Used by `xinfang-guide danger …`.
//!
//! Training data: the written examples of `dialogs/danger/examples/`, the
//! classifier's example utterances as messages that are not about danger,
//! and labelled JSONL files given on the command line (`crisis_dev.jsonl`:
//! `text`, `crisis`, `kind`; the routing sets: `question`, all ordinary).

use super::load::{self, Example};
use super::model::{Model, NONE};
use super::normal::Normal;
use super::rules::Rules;
use super::{Kind, Level, Recognizer, Thresholds};
use crate::content::Diagnostics;
use crate::understand::train::{Input, sha256};
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A labelled message.
#[derive(Debug, Clone, PartialEq)]
pub struct Labelled {
    /// A kind's id, or `none`.
    pub class: String,
    pub text: String,
    /// Where it comes from (file, or file:line).
    pub origin: String,
}

#[derive(Deserialize)]
struct Row {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    question: Option<String>,
    #[serde(default)]
    crisis: Option<bool>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    category: Option<String>,
}

/// The class of a routing row labelled as an emergency (danger of an
/// unnamed kind): must get a danger reply; never trained on.
pub const EMERGENCY: &str = "emergency";

/// Reads a JSONL file of messages: danger rows (`text`, `crisis`, `kind`)
/// or ordinary questions (`question`).
pub fn read_jsonl(path: &Path) -> anyhow::Result<Vec<Labelled>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let name = path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let r: Row = serde_json::from_str(line).with_context(|| format!("{}:{}", path.display(), i + 1))?;
        let (msg, class) = match (r.text, r.question) {
            (Some(t), _) => {
                let class = match (r.crisis, r.kind.as_deref()) {
                    (Some(true), Some(k)) if Kind::parse(k).is_some() => k.to_string(),
                    (Some(true), k) => anyhow::bail!("{}:{}: crisis row with kind {k:?}", path.display(), i + 1),
                    _ => NONE.to_string(),
                };
                (t, class)
            }
            (None, Some(q)) if r.category.as_deref() == Some(EMERGENCY) => (q, EMERGENCY.to_string()),
            (None, Some(q)) => (q, NONE.to_string()),
            (None, None) => anyhow::bail!("{}:{}: no `text` or `question`", path.display(), i + 1),
        };
        out.push(Labelled { class, text: msg, origin: format!("{name}:{}", i + 1) });
    }
    Ok(out)
}

/// The written examples as labelled messages.
pub fn from_examples(examples: &[Example], root: &Path) -> Vec<Labelled> {
    examples
        .iter()
        .map(|e| {
            let file = e.file.strip_prefix(root).unwrap_or(&e.file);
            Labelled { class: e.class.clone(), text: e.text.clone(), origin: format!("{}:{}", file.display(), e.line) }
        })
        .collect()
}

/// The model trained on `data` (each message once, weight 1).
pub fn train(data: &[Labelled]) -> Model {
    let items: Vec<(String, String, f32)> =
        data.iter().filter(|l| l.class != EMERGENCY).map(|l| (l.class.clone(), l.text.clone(), 1.0)).collect();
    Model::train(&items)
}

/// How the recogniser did on labelled messages.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Scores {
    /// Messages that must get a danger reply, per kind: (total, full reply,
    /// check-in, full reply of the right kind).
    pub must: Vec<(String, usize, usize, usize, usize)>,
    /// Messages that must not: total, given a full reply, given a check-in.
    pub negatives: (usize, usize, usize),
    /// The must-reply messages missed and the negatives answered, with what
    /// was given (for error analysis).
    pub errors: Vec<(String, String, String)>,
}

impl Scores {
    pub fn must_total(&self) -> usize {
        self.must.iter().map(|m| m.1).sum()
    }

    /// Must-reply messages given a full reply or the check-in.
    pub fn recognised(&self) -> usize {
        self.must.iter().map(|m| m.2 + m.3).sum()
    }

    fn add(&mut self, l: &Labelled, a: Option<&super::Assessment>) {
        let got = a.map(|a| (a.kind, a.level));
        if l.class == NONE {
            self.negatives.0 += 1;
            match got {
                Some((_, Level::Full)) => self.negatives.1 += 1,
                Some((_, Level::Check)) => self.negatives.2 += 1,
                None => return,
            }
        } else {
            let i = match self.must.iter().position(|m| m.0 == l.class) {
                Some(i) => i,
                None => {
                    self.must.push((l.class.clone(), 0, 0, 0, 0));
                    self.must.len() - 1
                }
            };
            let m = &mut self.must[i];
            m.1 += 1;
            match got {
                Some((k, Level::Full)) => {
                    m.2 += 1;
                    m.4 += usize::from(k.id() == l.class || l.class == EMERGENCY);
                    return;
                }
                Some((_, Level::Check)) => {
                    m.3 += 1;
                    return;
                }
                None => {}
            }
        }
        let what = a.map_or_else(
            || "nothing".to_string(),
            |a| format!("{:?} {} ({} {:.2})", a.level, a.kind.id(), a.cue, a.score),
        );
        self.errors.push((l.origin.clone(), l.text.clone(), what));
    }

    /// The figures as lines of text.
    pub fn text(&self) -> String {
        let pct = |a: usize, b: usize| if b == 0 { 0.0 } else { 100.0 * a as f64 / b as f64 };
        let mut s = String::new();
        let (n, r) = (self.must_total(), self.recognised());
        s.push_str(&format!("must reply: {r}/{n} recognised ({:.1}%)\n", pct(r, n)));
        let mut must = self.must.clone();
        must.sort();
        for (k, total, full, check, right) in &must {
            s.push_str(&format!(
                "  {k:<14} {total:>4}: full {full} ({:.1}%), check-in {check}, missed {}, full of the right kind {right}\n",
                pct(*full, *total),
                total - full - check
            ));
        }
        let (t, f, c) = self.negatives;
        s.push_str(&format!(
            "negatives: {t}: full reply {f} ({:.1}%), check-in {c} ({:.1}%), flagged at all {:.1}%\n",
            pct(f, t),
            pct(c, t),
            pct(f + c, t)
        ));
        s
    }
}

/// The recogniser's answers for `data`.
pub fn score(r: &Recognizer, data: &[Labelled]) -> Scores {
    let mut s = Scores::default();
    for l in data {
        s.add(l, r.assess(&l.text).as_ref());
    }
    s
}

/// k-fold cross-validation: each message of `folded` judged by the rules
/// and a model trained on `always` and the other folds. Folds are fixed by
/// a hash of the text, so runs repeat.
pub fn cross_validate(
    rules: impl Fn() -> Rules,
    thresholds: Thresholds,
    folded: &[Labelled],
    always: &[Labelled],
    k: usize,
) -> Scores {
    let k = k.max(2);
    let fold_of = |l: &Labelled| (fnv(&l.text) % k as u64) as usize;
    let mut s = Scores::default();
    for f in 0..k {
        let train_on: Vec<Labelled> = always.iter().chain(folded.iter().filter(|l| fold_of(l) != f)).cloned().collect();
        let r = Recognizer::new(rules(), Some(train(&train_on)), thresholds);
        for l in folded.iter().filter(|l| fold_of(l) == f) {
            s.add(l, r.assess(&l.text).as_ref());
        }
    }
    s
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// The model's danger probability for each message (for choosing thresholds).
pub fn probabilities(m: &Model, data: &[Labelled]) -> Vec<f32> {
    data.iter().map(|l| m.read(&Normal::new(&l.text)).danger).collect()
}

#[derive(Serialize)]
struct Provenance {
    command: String,
    model: ModelFile,
    input: Vec<Input>,
}

#[derive(Serialize)]
struct ModelFile {
    file: String,
    sha256: String,
    bytes: usize,
}

/// A trained model file and its provenance (`model.toml`), as written.
pub struct Trained {
    pub bin: Vec<u8>,
    pub provenance: String,
    /// The command that makes them (as the provenance says).
    pub command: String,
    pub messages: usize,
}

/// Trains the model from the written examples under `root` and the
/// labelled files `dev` (danger messages) and `also` (ordinary questions),
/// which stay where they are: only what the model learned is kept.
pub fn train_files(root: &Path, dev: &[std::path::PathBuf], also: &[std::path::PathBuf]) -> anyhow::Result<Trained> {
    let mut d = Diagnostics::default();
    let ex = load::examples(root, &mut d);
    anyhow::ensure!(!d.has_errors(), "danger examples have errors:\n{d}");
    let mut data = from_examples(&ex, root);
    let mut input = Vec::new();
    let mut files: Vec<&Path> = ex.iter().map(|e| e.file.as_path()).collect();
    files.dedup();
    for f in files {
        let bytes = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
        let rel = f.strip_prefix(root).unwrap_or(f).to_string_lossy().replace('\\', "/");
        let items = ex.iter().filter(|e| e.file == f).count();
        input.push(Input { path: rel, sha256: sha256(&bytes), items, note: None });
    }
    let mut command = "xinfang-guide danger train".to_string();
    for (flag, list) in [("--dev", dev), ("--also", also)] {
        for f in list {
            let rows = read_jsonl(f)?;
            let bytes = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
            let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            command.push_str(&format!(" {flag} ../shared/eval/{name}"));
            let note = "outside the repository (../shared/eval/): only what the model learned from it is kept";
            input.push(Input { path: name, sha256: sha256(&bytes), items: rows.len(), note: Some(note.into()) });
            data.extend(rows);
        }
    }
    let bin = train(&data).to_bytes();
    let p = Provenance {
        command: command.clone(),
        model: ModelFile { file: "model.bin".into(), sha256: sha256(&bin), bytes: bin.len() },
        input,
    };
    let header = "# Provenance of model.bin, the learned part of the danger recogniser.\n\
                  # Written by `xinfang-guide danger train`; do not edit: retrain (README, Danger).\n";
    let provenance = format!("{header}{}", toml::to_string(&p).context("writing the provenance")?);
    Ok(Trained { bin, provenance, command, messages: data.len() })
}
