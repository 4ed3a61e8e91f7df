//! `xinfang-guide classify`: one JSON line out per question in (JSONL with
//! `id` and `question`, or plain lines), for evaluation scripts. Besides the
//! category, its channels and the FAQ entry, `offered` lists the categories
//! the chat would put before the person (one to confirm, or up to three) and
//! `offered_after_no` the ones it offers when the person says the one to
//! confirm is wrong (or, under buttons, 都不是). For a message given a
//! danger reply (`danger`: its kind) the category is `emergency` and
//! `offered` is what the bot offers to go on with once the person says they
//! are safe; for one given the check-in ("您现在安全吗？") `danger_check`
//! names the kind suspected and the rest is the usual classification.
//! `direct`: a FAQ answer shown before anything is asked; `direct_channel`:
//! the category's first channel named before anything is asked (a kind of
//! matter recognised surely enough, `[direct]` of the lexicon). `also_faq`: the FAQ entry
//! answering a second part of the message (petitioning about the matter),
//! given before the matter's route. `top` lists the likeliest
//! categories with their probability (for analysis).
//!
//! With `--cv K --real FILE`, the labelled real questions are classified
//! instead, each by a model trained without its fold (row i is in fold
//! i mod K): k-fold cross-validation, so rows the model learns from can
//! still be measured as unseen.

use crate::danger::Level;
use crate::understand::Understanding;
use crate::understand::model::{Model, Models};
use crate::understand::train::{self, RealRow};
use serde_json::{Value, json};
use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::Arc;

pub fn run(u: &Understanding, input: impl BufRead, out: &mut impl Write) -> anyhow::Result<()> {
    for (n, line) in input.split(b'\n').enumerate() {
        // A line that is not UTF-8 is read as far as it is (replacement
        // characters for the rest), not a reason to stop the whole batch.
        let line = String::from_utf8_lossy(&line?).into_owned();
        if line.trim().is_empty() {
            continue;
        }
        let (id, question) = match serde_json::from_str::<Value>(&line) {
            Ok(v) if v.is_object() => {
                (v.get("id").cloned().unwrap_or(json!(n + 1)), v["question"].as_str().unwrap_or("").to_string())
            }
            _ => (json!(n + 1), line.clone()),
        };
        writeln!(out, "{}", row(u, id, &question))?;
    }
    Ok(())
}

/// What the understanding makes of one question, as `classify` prints it.
pub fn row(u: &Understanding, id: Value, question: &str) -> Value {
    let danger = u.content().danger.assess(question);
    if let Some(a) = danger.as_ref().filter(|a| a.level == Level::Full) {
        // The danger reply first; once safe, what the rest was about.
        let (offered, _) = u.matter(&a.rest(question));
        let channels = u.channels("emergency");
        return json!({"id": id, "category": "emergency", "channels": channels, "confidence": 1.0, "faq": null, "offered": offered, "offered_after_no": [], "danger": a.kind.id(), "danger_cue": a.cue, "top": []});
    }
    let c = u.classify(question);
    let channels = if c.category == "out_of_scope" { Vec::new() } else { u.channels(&c.category) };
    let faq = c.faq.map(|i| u.faq_id(i).to_string());
    // What the chat shows first, and what it shows if the person says
    // its confident guess is wrong.
    let offer = u.chat_offer(question, &c);
    let mut offered = offer.categories;
    let after_no = if offer.confident { offered.split_off(1) } else { offer.more };
    let mut row = json!({"id": id, "category": c.category, "channels": channels, "confidence": (c.confidence * 1000.0).round() / 1000.0, "faq": faq, "faq_share": (c.faq_share * 1000.0).round() / 1000.0, "faq_rule": c.faq_rule, "faq_sim": (c.faq_sim * 1000.0).round() / 1000.0, "direct": c.direct, "direct_channel": offer.direct && !c.direct, "offered": offered, "offered_after_no": after_no});
    if let Some(a) = &danger {
        // Asked "您现在安全吗？" before anything else.
        row["danger_check"] = json!(a.kind.id());
        row["danger_cue"] = json!(a.cue);
    }
    if let Some(read) = &c.respelled {
        // Homophone typos of domain words, read back (信仿 → 信访).
        row["respelled"] = json!(read);
    }
    if let Some(i) = c.also {
        row["also_faq"] = json!(u.faq_id(i));
    }
    // Several matters: the chat asks about the first, and offers the rest.
    if !offer.others.is_empty() {
        row["also_offered"] = json!(offer.others);
    }
    // The likeliest categories with their probability, for analysis.
    let top: Vec<Value> = c.top.iter().take(6).map(|(cat, p)| json!([cat, (p * 1000.0).round() / 1000.0])).collect();
    row["top"] = json!(top);
    row
}

/// Which labelled real questions a cross-validation uses.
#[derive(Debug, Clone, Copy)]
pub struct CvData {
    /// Percent of the rows, chosen by a hash of each id (a learning curve).
    pub percent: u8,
    /// The repository's real questions too (dialogs/understand/real/).
    pub repo_real: bool,
    /// Homophone typos (this seed) in each question classified, not in the
    /// ones trained on (`typos`).
    pub typos: Option<u64>,
}

/// Whether a row is among the `percent` kept: FNV-1a of its id.
fn kept(id: &str, percent: u8) -> bool {
    let h = id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    h % 100 < u64::from(percent)
}

/// k-fold cross-validation over labelled real questions (`real`, and the
/// repository's unless left out): each row classified by the content's
/// examples plus the other folds' rows.
pub fn cross_validate(
    root: &Path,
    real: &Path,
    k: usize,
    s: &train::Settings,
    data: CvData,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    anyhow::ensure!(k >= 2, "--cv needs at least 2 folds");
    let mut rows = train::read_real(real)?;
    // The nearest-neighbour vote draws on the repository's questions only
    // (as `serve` does), never on the external file's.
    let mut in_repo = std::collections::HashSet::new();
    if data.repo_real {
        let repo = train::repo_rows(root, s.repo_scale)?;
        in_repo.extend(repo.iter().map(|r| r.id.clone()));
        rows.extend(repo);
    }
    rows.retain(|r| kept(&r.id, data.percent));
    let asked: Vec<String> = match data.typos {
        Some(seed) => {
            let qs: Vec<&str> = rows.iter().map(|r| r.question.as_str()).collect();
            super::typos::misspell_all(&qs, seed)
        }
        None => rows.iter().map(|r| r.question.clone()).collect(),
    };
    let (content, _) = crate::content::load(root);
    let content = Arc::new(content.ok_or_else(|| anyhow::anyhow!("content has errors: run `xinfang-guide check`"))?);
    let (lexicon, examples) = train::load_examples(root)?;
    let categories: Vec<String> = content.directory.categories.keys().cloned().collect();
    let mut lines = vec![Value::Null; rows.len()];
    let model = |items: &[crate::understand::model::Item]| {
        Model::from_bytes(&train::train_items(&lexicon, &examples, items)).map_err(anyhow::Error::msg)
    };
    for fold in 0..k {
        let rest: Vec<RealRow> =
            rows.iter().enumerate().filter(|(i, r)| i % k != fold && r.weight > 0.0).map(|(_, r)| r.clone()).collect();
        let all = model(&train::items(&examples, &rest, s.real_weight))?;
        // The long-text model learns from the examples alone, as `train` makes it.
        let long = match s.long_from_chars {
            0 => None,
            n => Some((n, model(&train::items(&examples, &[], 1.0))?)),
        };
        let repo: Vec<RealRow> = rest.iter().filter(|r| in_repo.contains(&r.id)).cloned().collect();
        let labelled = train::neighbour_pool(&examples, &repo, &categories);
        let u = Understanding::new(content.clone(), lexicon.clone(), Models { all, long }, &labelled);
        for (i, r) in rows.iter().enumerate().filter(|(i, _)| i % k == fold) {
            lines[i] = row(&u, json!(r.id), &asked[i]);
        }
    }
    for l in lines {
        writeln!(out, "{l}")?;
    }
    Ok(())
}
