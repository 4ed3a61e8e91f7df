//! `xinfang-guide train`: learns the category models from the hand-written
//! examples (`dialogs/understand/examples.toml`, `examples/*.toml`) and,
//! optionally, labelled real questions (JSONL with `question` and
//! `category`, e.g. `../shared/eval/train_real.jsonl`), and writes the
//! learned parameters into the content as `dialogs/understand/model.bin`
//! with their provenance in `model.toml` (every input and its SHA-256, the
//! settings, the model file's own hash). The real questions stay where they
//! are: only what the models learned from them is written. The server loads
//! the model file, so a checkout runs without the real questions; without a
//! model file it trains from the examples alone at start-up.

use super::load::{self, Examples, Lexicon};
use super::model::{self, Item, Models};
use super::tokenize::Tokenizer;
use crate::content::Diagnostics;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The model file, relative to the content root.
pub const MODEL_BIN: &str = "dialogs/understand/model.bin";
/// Its provenance, relative to the content root.
pub const MODEL_TOML: &str = "dialogs/understand/model.toml";

/// How much one real question counts against one hand-written example
/// (5-fold cross-validation over train_real: weights 1, 1.5, 2 and 3 were
/// within 0.4 points of each other on every measure, 5 was 1 point worse).
pub const REAL_WEIGHT: f32 = 2.0;

/// Labelled real questions kept in the repository (public sources whose
/// licence allows it; each row with its source, licence and commit): every
/// `*.jsonl` here is trained on with `--real`'s weight, beside `--real`.
pub const REPO_REAL_DIR: &str = "dialogs/understand/real";

/// The repository's labelled real questions: each file (relative to
/// `root`) and its rows, by file name.
pub fn repo_real(root: &Path) -> anyhow::Result<Vec<(PathBuf, Vec<RealRow>)>> {
    let dir = root.join(REPO_REAL_DIR);
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let rows = read_real(&f)?;
            let rel = f.strip_prefix(root).map(Path::to_path_buf).unwrap_or(f);
            Ok((rel, rows))
        })
        .collect()
}

/// How much a repository question counts against one of `--real`.
pub const REPO_SCALE: f32 = 1.0;

/// Every row of the repository's real questions, each counting
/// `repo_scale` of the real-question weight.
pub fn repo_rows(root: &Path, repo_scale: f32) -> anyhow::Result<Vec<RealRow>> {
    Ok(repo_real(root)?.into_iter().flat_map(|(_, r)| r).map(|r| RealRow { scale: repo_scale, ..r }).collect())
}

/// A labelled real question.
#[derive(Debug, Clone, Deserialize)]
pub struct RealRow {
    #[serde(default)]
    pub id: String,
    pub question: String,
    pub category: String,
    /// How much the row counts, times the real-question weight: 1, or
    /// `Settings::repo_scale` for the repository's rows.
    #[serde(skip, default = "one")]
    pub scale: f32,
    /// How much the row counts when learned from (1; less for rows of a
    /// kind that would outweigh others, 0 for not at all; the README of
    /// dialogs/understand/real/ says why).
    #[serde(default = "one")]
    pub weight: f32,
}

fn one() -> f32 {
    1.0
}

/// Reads labelled real questions (one JSON object per line).
pub fn read_real(path: &Path) -> anyhow::Result<Vec<RealRow>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| serde_json::from_str(l).with_context(|| format!("{}:{}", path.display(), n + 1)))
        .collect()
}

/// The training items: every example (weight 1) and the real rows (`weight`).
pub fn items(examples: &Examples, real: &[RealRow], weight: f32) -> Vec<Item> {
    let ex = examples.items.iter().map(|(c, t)| Item { category: c.clone(), text: t.clone(), weight: 1.0 });
    let re = real.iter().map(|r| Item {
        category: r.category.clone(),
        text: r.question.clone(),
        weight: weight * r.scale * r.weight,
    });
    ex.chain(re).collect()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// The command that wrote the model.
    pub command: String,
    pub model: ModelFile,
    pub settings: Settings,
    /// Every input, content files first (paths relative to the content root).
    pub input: Vec<Input>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFile {
    pub file: String,
    pub sha256: String,
    pub bytes: usize,
    pub classes: usize,
    pub features: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub real_weight: f32,
    /// The repository's real questions count this much of `real_weight`.
    #[serde(default = "one")]
    pub repo_scale: f32,
    /// Texts of at least this many characters are judged by a model of the
    /// examples alone (0: no such model; only when real questions are used).
    pub long_from_chars: usize,
}

/// Longer than any real question of train_real.jsonl (100 characters), with
/// room: from here on the real questions have taught nothing.
pub const LONG_FROM_CHARS: usize = 120;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Input {
    pub path: String,
    pub sha256: String,
    /// Utterances (examples) or rows (real questions) it gave; 0 for the lexicon.
    pub items: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A trained model: the file's bytes and its provenance as written.
pub struct Trained {
    pub bin: Vec<u8>,
    pub provenance: String,
}

/// The content files the model depends on (lexicon: the tokenizer; the
/// example files), relative to `root`, with their hashes.
pub fn content_inputs(root: &Path, examples: &Examples) -> anyhow::Result<Vec<Input>> {
    let mut out = Vec::new();
    for rel in std::iter::once(PathBuf::from(load::LEXICON)).chain(load::example_files(root)) {
        let bytes = std::fs::read(root.join(&rel)).with_context(|| format!("reading {}", rel.display()))?;
        let path = rel.to_string_lossy().replace('\\', "/");
        let items = examples.per_file.iter().find(|(p, _)| *p == rel).map_or(0, |(_, n)| *n);
        out.push(Input { path, sha256: sha256(&bytes), items, note: None });
    }
    for (rel, rows) in repo_real(root)? {
        let bytes = std::fs::read(root.join(&rel)).with_context(|| format!("reading {}", rel.display()))?;
        let path = rel.to_string_lossy().replace('\\', "/");
        out.push(Input { path, sha256: sha256(&bytes), items: rows.len(), note: None });
    }
    Ok(out)
}

/// Trains from the content under `root` and, if given, labelled real
/// questions (`real`: the file, for its hash and name, and its rows).
pub fn train(root: &Path, real: Option<(&Path, &[RealRow])>, settings: &Settings) -> anyhow::Result<Trained> {
    let (lexicon, examples) = load_examples(root)?;
    let mut rows: Vec<RealRow> = real.map(|(_, r)| r.to_vec()).unwrap_or_default();
    rows.extend(repo_rows(root, settings.repo_scale)?);
    rows.retain(|r| r.weight > 0.0);
    let items = items(&examples, &rows, settings.real_weight);
    let all = train_items(&lexicon, &examples, &items);
    let long = (!rows.is_empty() && settings.long_from_chars > 0)
        .then(|| (settings.long_from_chars, train_items(&lexicon, &examples, &self::items(&examples, &[], 1.0))));
    let bin = model::models_bytes(all, long);
    let m = Models::from_bytes(&bin).map_err(anyhow::Error::msg)?.all;
    let mut input = content_inputs(root, &examples)?;
    let mut command = "xinfang-guide train".to_string();
    if let Some((path, rows)) = real {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        command.push_str(&format!(
            " --real ../shared/eval/{name} --real-weight {} --repo-scale {} --long-from-chars {}",
            settings.real_weight, settings.repo_scale, settings.long_from_chars
        ));
        input.push(Input {
            path: name,
            sha256: sha256(&bytes),
            items: rows.len(),
            note: Some("outside the repository (../shared/eval/): only what the models learned from it is kept".into()),
        });
    }
    let p = Provenance {
        command,
        model: ModelFile {
            file: "model.bin".into(),
            sha256: sha256(&bin),
            bytes: bin.len(),
            classes: m.classes().len(),
            features: m.vocab.len(),
        },
        settings: settings.clone(),
        input,
    };
    let header = "# Provenance of model.bin, the learned parameters of the category models\n\
                  # (naive Bayes counts, logistic-regression weights). Written by\n\
                  # `xinfang-guide train`; do not edit: retrain (README, Understanding free text).\n";
    Ok(Trained { bin, provenance: format!("{header}{}", toml::to_string(&p).context("writing the provenance")?) })
}

/// The model's bytes for these items, with the lexicon's tokenizer.
pub fn train_items(lexicon: &Lexicon, examples: &Examples, items: &[Item]) -> Vec<u8> {
    let tokenizer = Tokenizer::new(&lexicon.terms, &lexicon.synonyms);
    model::train(&tokenizer, items, &examples.prior)
}

/// Lexicon and examples of the content under `root`, or every problem.
pub fn load_examples(root: &Path) -> anyhow::Result<(Lexicon, Examples)> {
    let (content, mut diags) = crate::content::load(root);
    let content = content.with_context(|| format!("content has errors:\n{diags}"))?;
    let cats: Vec<String> = content.directory.categories.keys().cloned().collect();
    let loaded = load::load(root, &cats, None, &mut diags);
    loaded.filter(|_| !diags.has_errors()).with_context(|| format!("content has errors:\n{diags}"))
}

/// Writes the trained files into the content under `root`.
pub fn write(root: &Path, t: &Trained) -> anyhow::Result<()> {
    for (rel, bytes) in [(MODEL_BIN, t.bin.as_slice()), (MODEL_TOML, t.provenance.as_bytes())] {
        std::fs::write(root.join(rel), bytes).with_context(|| format!("writing {rel}"))?;
    }
    Ok(())
}

/// The model file under `root`, if there is one: the model, or why it
/// cannot be used. A model trained from other content files than these is
/// used, with a warning saying to retrain.
pub fn load_model(root: &Path, examples: &Examples, diags: &mut Diagnostics) -> Option<Result<Models, String>> {
    let path = root.join(MODEL_BIN);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => return Some(Err(format!("{}: {e}", path.display()))),
    };
    let model = Models::from_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display()));
    if let Some(why) = stale(root, examples, &bytes) {
        let msg = format!("{why}: retrain with `xinfang-guide train --real ../shared/eval/train_real.jsonl`");
        diags.warning(&root.join(MODEL_TOML), 1, crate::content::diag::Kind::StaleModel, msg);
    }
    Some(model)
}

/// Why the model file does not match its provenance or the content files
/// it was trained from, if it does not.
fn stale(root: &Path, examples: &Examples, bin: &[u8]) -> Option<String> {
    let Ok(text) = std::fs::read_to_string(root.join(MODEL_TOML)) else {
        return Some(format!("{MODEL_BIN} has no provenance ({MODEL_TOML})"));
    };
    let p: Provenance = match toml::from_str(&text) {
        Ok(p) => p,
        Err(e) => return Some(format!("{MODEL_TOML} cannot be read: {}", e.message())),
    };
    if p.model.sha256 != sha256(bin) {
        return Some(format!("{MODEL_BIN} is not the file its provenance describes"));
    }
    let now = match content_inputs(root, examples) {
        Ok(n) => n,
        Err(e) => return Some(e.to_string()),
    };
    let was: Vec<(&str, &str)> =
        p.input.iter().filter(|i| i.note.is_none()).map(|i| (i.path.as_str(), i.sha256.as_str())).collect();
    let is: Vec<(&str, &str)> = now.iter().map(|i| (i.path.as_str(), i.sha256.as_str())).collect();
    (was != is).then(|| {
        let mut changed: Vec<&str> =
            is.iter().filter(|x| !was.contains(x)).chain(was.iter().filter(|x| !is.contains(x))).map(|x| x.0).collect();
        changed.sort_unstable();
        changed.dedup();
        format!("the model was trained from other content files ({})", changed.join(", "))
    })
}

pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The questions the nearest-neighbour vote draws on: the examples and the
/// labelled real questions of known kinds that are learned from at all,
/// each counting fully. (Weighting STARD's general questions as the models
/// do, 0.1 — see dialogs/understand/real/README.md — was measured: by 5-fold
/// CV first channel on STARD's rows 85.9 → 77.7 %, on train_real's rows
/// 77.4 → 77.8 %; a neighbour that is that close is evidence however many
/// of its kind there are.)
pub fn neighbour_pool(examples: &Examples, rows: &[RealRow], categories: &[String]) -> Vec<super::knn::Labelled> {
    let ex = examples.items.iter().map(|(c, t)| super::knn::Labelled { category: c.clone(), text: t.clone() });
    let real = rows
        .iter()
        .filter(|r| r.weight > 0.0 && categories.contains(&r.category))
        .map(|r| super::knn::Labelled { category: r.category.clone(), text: r.question.clone() });
    ex.chain(real).collect()
}
