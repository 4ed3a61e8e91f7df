//! The learned category models and the file that keeps them. `train` turns
//! examples (hand-written utterances and, through `xinfang-guide train`,
//! real questions with a weight) into bytes; `Model::from_bytes` reads them
//! back. What the server runs is always what the file holds: a model trained
//! in memory goes through the same bytes.
//!
//! Layout (little-endian):
//!
//! - `XGMODEL1`;
//! - classes: u32 count, each a u16 length and UTF-8;
//! - features: u32 count, each a u16 length and UTF-8;
//! - naive Bayes: a prior weight per class (f32), each class's total (f32),
//!   per feature its non-zero counts (u8 n, then n × (u8 class, f32 count));
//! - logistic regression: a bias per class (f32), per feature a scale (f32)
//!   and one i8 per class (weight = i8 × scale / 127).

use super::bayes::{Bayes, Counts};
use super::logreg::LogReg;
use super::tokenize::{self, Tokenizer};
use std::collections::HashMap;

const MAGIC: &[u8; 8] = b"XGMODEL1";
const MODELS: &[u8; 8] = b"XGMODELS";

/// What the model file holds: the model for every message and, when real
/// questions were learned from, a model of the examples alone for texts
/// longer than any real question (`long_from` characters and more): the
/// real questions are short legal consultations, and what they teach pulls
/// long letters to officials toward legal categories.
pub struct Models {
    pub all: Model,
    pub long: Option<(usize, Model)>,
}

/// The model file's bytes: `XGMODELS`, u32 `long_from` (0: no long model),
/// u32 count, then each model's bytes after its u32 length.
pub fn models_bytes(all: Vec<u8>, long: Option<(usize, Vec<u8>)>) -> Vec<u8> {
    let mut out = MODELS.to_vec();
    out.extend((long.as_ref().map_or(0, |(n, _)| *n) as u32).to_le_bytes());
    let parts: Vec<Vec<u8>> = std::iter::once(all).chain(long.map(|(_, b)| b)).collect();
    out.extend((parts.len() as u32).to_le_bytes());
    for p in parts {
        out.extend((p.len() as u32).to_le_bytes());
        out.extend(p);
    }
    out
}

impl Models {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(MODELS.len())? != MODELS {
            return Err("not a model file (wrong magic)".into());
        }
        let long_from = r.u32()? as usize;
        let n = r.u32()?;
        let mut parts = Vec::new();
        for _ in 0..n {
            let len = r.u32()? as usize;
            parts.push(Model::from_bytes(r.take(len)?)?);
        }
        if r.at != bytes.len() {
            return Err(format!("{} bytes after the end of the models", bytes.len() - r.at));
        }
        let mut parts = parts.into_iter();
        let all = parts.next().ok_or("the model file holds no model")?;
        let long = match (long_from, parts.next()) {
            (0, None) => None,
            (n, Some(m)) if n > 0 => Some((n, m)),
            _ => return Err("the long-text model and its length do not match".into()),
        };
        Ok(Self { all, long })
    }
}

/// One training utterance.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub category: String,
    pub text: String,
    /// 1 for a hand-written example; real questions as `train` weighs them.
    pub weight: f32,
}

/// Both models over one feature index.
pub struct Model {
    pub vocab: Vocab,
    pub bayes: Bayes,
    pub logreg: LogReg,
}

/// Learns both models from `items` and writes them as the model file's bytes.
/// `prior`: relative prior weights per category for naive Bayes (1 if absent).
pub fn train(tokenizer: &Tokenizer, items: &[Item], prior: &HashMap<String, f64>) -> Vec<u8> {
    let named: Vec<(String, Vec<String>)> =
        items.iter().map(|i| (i.category.clone(), tokenizer.features(&i.text))).collect();
    let (vocab, rows) = Vocab::build(&named);
    let (classes, ids) = class_ids(&named);
    let weights: Vec<f32> = items.iter().map(|i| i.weight).collect();
    let k = classes.len();
    let with_repeats: Vec<(usize, &[u32])> = ids.iter().zip(&rows).map(|(c, r)| (*c, r.as_slice())).collect();
    let counts = Counts::count(&with_repeats, &weights, vocab.len(), k);
    let distinct: Vec<(usize, Vec<u32>)> = ids
        .iter()
        .zip(&rows)
        .map(|(c, r)| {
            let mut d = r.clone();
            d.sort_unstable();
            d.dedup();
            (*c, d)
        })
        .collect();
    let logreg = LogReg::train(classes.clone(), &distinct, &weights, vocab.len());
    let prior: Vec<f32> = classes.iter().map(|c| prior.get(c).copied().unwrap_or(1.0) as f32).collect();
    write(&classes, &vocab.features, &prior, &counts, &logreg)
}

fn write(classes: &[String], features: &[String], prior: &[f32], counts: &Counts, logreg: &LogReg) -> Vec<u8> {
    let k = classes.len();
    let mut out = MAGIC.to_vec();
    let put_str = |out: &mut Vec<u8>, s: &str| {
        out.extend((s.len() as u16).to_le_bytes());
        out.extend(s.as_bytes());
    };
    out.extend((k as u32).to_le_bytes());
    for c in classes {
        put_str(&mut out, c);
    }
    out.extend((features.len() as u32).to_le_bytes());
    for f in features {
        put_str(&mut out, f);
    }
    for x in prior.iter().chain(&counts.totals) {
        out.extend(x.to_le_bytes());
    }
    for cell in &counts.per_feature {
        out.push(cell.len() as u8);
        for (c, n) in cell {
            out.push(*c);
            out.extend(n.to_le_bytes());
        }
    }
    let (weights, bias) = logreg.parts();
    for b in bias {
        out.extend(b.to_le_bytes());
    }
    for row in weights.chunks(k) {
        let max = row.iter().fold(0.0f32, |m, w| m.max(w.abs()));
        let scale = if max > 0.0 { max } else { 1.0 };
        out.extend(scale.to_le_bytes());
        out.extend(row.iter().map(|w| ((w / scale * 127.0).round() as i8) as u8));
    }
    out
}

impl Model {
    /// Reads a model file's bytes; an error says what is wrong with them.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(MAGIC.len())? != MAGIC {
            return Err("not a model file (wrong magic)".into());
        }
        let k = r.u32()? as usize;
        let classes = (0..k).map(|_| r.str()).collect::<Result<Vec<_>, _>>()?;
        let n = r.u32()? as usize;
        let features = (0..n).map(|_| r.str()).collect::<Result<Vec<_>, _>>()?;
        let prior = (0..k).map(|_| r.f32()).collect::<Result<Vec<_>, _>>()?;
        let totals = (0..k).map(|_| r.f32()).collect::<Result<Vec<_>, _>>()?;
        let mut per_feature = Vec::with_capacity(n);
        for _ in 0..n {
            let m = r.take(1)?[0];
            let cell = (0..m).map(|_| Ok((r.class(k)?, r.f32()?))).collect::<Result<Vec<_>, String>>()?;
            per_feature.push(cell);
        }
        let bias = (0..k).map(|_| r.f32()).collect::<Result<Vec<_>, _>>()?;
        let mut weights = Vec::with_capacity(n * k);
        for _ in 0..n {
            let scale = r.f32()?;
            weights.extend(r.take(k)?.iter().map(|b| f32::from(*b as i8) * scale / 127.0));
        }
        if r.at != bytes.len() {
            return Err(format!("{} bytes after the end of the model", bytes.len() - r.at));
        }
        let bayes = Bayes::from_counts(classes.clone(), &Counts { per_feature, totals }, &prior);
        let logreg = LogReg::from_parts(classes, weights, bias);
        Ok(Self { vocab: Vocab::from_features(features), bayes, logreg })
    }

    /// The categories the model knows.
    pub fn classes(&self) -> Vec<String> {
        self.bayes.classes().to_vec()
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|e| *e <= self.bytes.len()).ok_or("the model file is cut short")?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn f32(&mut self) -> Result<f32, String> {
        Ok(f32::from_bits(self.u32()?))
    }

    fn str(&mut self) -> Result<String, String> {
        let b = self.take(2)?;
        let n = usize::from(u16::from_le_bytes([b[0], b[1]]));
        String::from_utf8(self.take(n)?.to_vec()).map_err(|e| format!("a name in the model is not UTF-8: {e}"))
    }

    fn class(&mut self, k: usize) -> Result<u8, String> {
        let c = self.take(1)?[0];
        if usize::from(c) < k { Ok(c) } else { Err(format!("class {c} out of range")) }
    }
}

/// Feature → row, one table for both models: built once from the training
/// examples, so a message's features are looked up once, not once per model.
pub struct Vocab {
    map: HashMap<String, u32>,
    features: Vec<String>,
}

impl Vocab {
    /// The vocabulary of the examples (rows in order of first occurrence)
    /// and each example's features as rows, repeats kept.
    pub fn build(examples: &[(String, Vec<String>)]) -> (Self, Vec<Vec<u32>>) {
        let mut v = Self { map: HashMap::new(), features: Vec::new() };
        let rows = examples.iter().map(|(_, features)| features.iter().map(|f| v.intern(f)).collect()).collect();
        (v, rows)
    }

    fn from_features(features: Vec<String>) -> Self {
        let map = features.iter().enumerate().map(|(i, f)| (f.clone(), i as u32)).collect();
        Self { map, features }
    }

    /// The row of `feature`, adding a new row if unseen.
    fn intern(&mut self, feature: &str) -> u32 {
        if let Some(&row) = self.map.get(feature) {
            return row;
        }
        let row = self.features.len() as u32;
        self.map.insert(feature.to_string(), row);
        self.features.push(feature.to_string());
        row
    }

    pub fn len(&self) -> usize {
        self.features.len()
    }

    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// A message's distinct known features as rows, sorted; `None` unless
    /// a word or pair (not only single characters or numbers) is among them.
    pub fn rows(&self, features: &[String]) -> Option<Vec<u32>> {
        let mut word = false;
        let mut rows = Vec::new();
        for f in features {
            if let Some(&row) = self.map.get(f) {
                rows.push(row);
                // Nor are numbers ("1" in "window.pwned=1").
                word |= !tokenize::is_char(f) && !f.bytes().all(|b| b.is_ascii_digit());
            }
        }
        rows.sort_unstable();
        rows.dedup();
        word.then_some(rows)
    }
}

/// The categories of the training examples, sorted, and each example's
/// index into them (both models number categories the same way).
pub fn class_ids<T>(examples: &[(String, T)]) -> (Vec<String>, Vec<usize>) {
    let mut classes: Vec<String> = examples.iter().map(|(c, _)| c.clone()).collect();
    classes.sort();
    classes.dedup();
    let ids = examples.iter().map(|(c, _)| classes.binary_search(c).unwrap_or_default()).collect();
    (classes, ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items() -> Vec<Item> {
        let it = |c: &str, t: &str, w: f32| Item { category: c.into(), text: t.into(), weight: w };
        vec![
            it("labor", "老板拖欠工资不给", 1.0),
            it("labor", "公司辞退我不给补偿", 1.0),
            it("consumer", "网购买到假货商家不退", 1.0),
            it("consumer", "商家不给退货", 2.0),
        ]
    }

    #[test]
    fn a_model_reads_back_from_its_bytes_and_ranks_as_trained() {
        let t = Tokenizer::new(&[], &HashMap::new());
        let bytes = train(&t, &items(), &HashMap::new());
        let m = Model::from_bytes(&bytes).expect("reads");
        assert_eq!(m.classes(), ["consumer", "labor"]);
        let rows = m.vocab.rows(&t.features("商家不退货")).expect("known");
        assert_eq!(m.bayes.rank(&rows)[0].0, "consumer");
        assert_eq!(m.logreg.rank(&rows)[0].0, "consumer");
        assert_eq!(train(&t, &items(), &HashMap::new()), bytes, "training is deterministic");
    }

    #[test]
    fn a_damaged_model_file_is_an_error_not_a_panic() {
        let t = Tokenizer::new(&[], &HashMap::new());
        let one = train(&t, &items(), &HashMap::new());
        let bytes = models_bytes(one.clone(), Some((120, one)));
        let m = Models::from_bytes(&bytes).expect("reads");
        assert_eq!(m.long.as_ref().map(|(n, _)| *n), Some(120));
        assert!(Models::from_bytes(b"nonsense").is_err());
        for cut in [9, bytes.len() / 2, bytes.len() - 1] {
            assert!(Models::from_bytes(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Models::from_bytes(&longer).is_err());
    }
}
