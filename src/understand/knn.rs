//! A nearest-neighbour vote over labelled questions: the kinds of matter of
//! the questions most like this one, by the characters and character pairs
//! they share by sound (each weighted by how rare it is). It recognises a question
//! that is close to one already labelled even where the category models,
//! which weigh words one by one, are unsure. Built at start-up from the
//! repository's examples and labelled real questions (no learned file).
//!
//! Measured by 5-fold cross-validation over train_real + STARD, blended
//! with the models' ranking at [`super::KNN_WEIGHT`]: see the README.

use std::collections::HashMap;

/// How many neighbours vote.
pub const K: usize = 10;

/// A gram in more than one in this many questions is not looked up (it
/// adds about the same to every question's similarity, and costs most).
const COMMON: usize = 8;

/// Below this many questions every gram is looked up.
const MIN_FOR_COMMON: usize = 1000;

/// A labelled question the vote draws on.
#[derive(Debug, Clone)]
pub struct Labelled {
    pub category: String,
    pub text: String,
}

/// The index: each gram's documents with the gram's weight in them
/// (documents are unit length, so the sum over shared grams is a cosine).
pub struct Neighbours {
    classes: Vec<String>,
    /// Each indexed question's kind of matter (index into `classes`).
    docs: Vec<usize>,
    postings: HashMap<Gram, Vec<(u32, f32)>>,
    idf: HashMap<Gram, f32>,
    /// IDF of a gram no document has.
    unseen: f32,
}

/// What two texts may share: a Chinese character's toneless sound, or a
/// pair of adjacent ones' (an input-method slip, 社宝 for 社保, keeps the
/// sound); other characters (letters, digits) and pairs with them as they
/// are. 5-fold CV on train_real's rows, first channel without / with
/// homophone typos: characters and pairs 78.0 / 74.8 %; those and the
/// pairs' sounds 77.2 / 75.2; sounds only 77.0 / 76.0 (no vote: 76.2 / 75.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Gram {
    Char(char),
    Pair(char, char),
    Sound(&'static str, &'static str),
}

/// Letters, digits and CJK characters of a text, lower case.
pub(super) fn letters(text: &str) -> Vec<char> {
    text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// Each gram of a text with its count.
fn grams(text: &str) -> HashMap<Gram, u32> {
    let cs = letters(text);
    let mut out: HashMap<Gram, u32> = HashMap::new();
    for c in &cs {
        let g = crate::pinyin::of_char(*c).map_or(Gram::Char(*c), |a| Gram::Sound(a, ""));
        *out.entry(g).or_default() += 1;
    }
    for w in cs.windows(2) {
        let g = match (crate::pinyin::of_char(w[0]), crate::pinyin::of_char(w[1])) {
            (Some(a), Some(b)) => Gram::Sound(a, b),
            _ => Gram::Pair(w[0], w[1]),
        };
        *out.entry(g).or_default() += 1;
    }
    out
}

impl Neighbours {
    /// The index of labelled questions.
    pub fn new(labelled: &[Labelled]) -> Self {
        let mut classes: Vec<String> = Vec::new();
        let mut raw: Vec<(usize, HashMap<Gram, u32>)> = Vec::new();
        for l in labelled {
            let class = match classes.iter().position(|c| *c == l.category) {
                Some(i) => i,
                None => {
                    classes.push(l.category.clone());
                    classes.len() - 1
                }
            };
            let g = grams(&l.text);
            if !g.is_empty() {
                raw.push((class, g));
            }
        }
        let mut df: HashMap<Gram, u32> = HashMap::new();
        for (_, g) in &raw {
            for k in g.keys() {
                *df.entry(*k).or_default() += 1;
            }
        }
        let n = raw.len() as f32;
        let idf: HashMap<Gram, f32> = df.iter().map(|(k, d)| (*k, (n / (1.0 + *d as f32)).ln().max(0.0))).collect();
        let unseen = n.max(1.0).ln();
        let mut postings: HashMap<Gram, Vec<(u32, f32)>> = HashMap::new();
        let mut docs = Vec::with_capacity(raw.len());
        for (i, (class, g)) in raw.into_iter().enumerate() {
            let v = weigh(&g, |k| idf.get(k).copied().unwrap_or(unseen));
            let doc = u32::try_from(i).unwrap_or(u32::MAX);
            for (k, w) in v {
                postings.entry(k).or_default().push((doc, w));
            }
            docs.push(class);
        }
        Self { classes, docs, postings, idf, unseen }
    }

    /// The kinds of matter of the `K` questions most like `text`, each
    /// with its share of their summed similarity; empty when none shares a
    /// gram with it.
    pub fn vote(&self, text: &str) -> Vec<(String, f64)> {
        let q = weigh(&grams(text), |k| self.idf.get(k).copied().unwrap_or(self.unseen));
        let mut sim = vec![0f32; self.docs.len()];
        for (k, w) in &q {
            // Sounds most questions have (的, 我, 了) separate none of them.
            let common = |l: &&Vec<(u32, f32)>| self.docs.len() >= MIN_FOR_COMMON && l.len() > self.docs.len() / COMMON;
            let Some(list) = self.postings.get(k).filter(|l| !common(l)) else { continue };
            for (doc, dw) in list {
                if let Some(s) = sim.get_mut(*doc as usize) {
                    *s += w * dw;
                }
            }
        }
        let mut best: Vec<(u32, f32)> = (0u32..).zip(sim).filter(|(_, s)| *s > 0.0).collect();
        // Ties broken by document order (and the sums above run in gram
        // order), so the vote is reproducible.
        let order = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if best.len() > K {
            best.select_nth_unstable_by(K - 1, order);
            best.truncate(K);
        }
        best.sort_by(order);
        let total: f32 = best.iter().map(|(_, s)| s).sum();
        if total <= 0.0 {
            return Vec::new();
        }
        let mut by_class: Vec<(String, f64)> = Vec::new();
        for (doc, s) in best {
            let Some(name) = self.docs.get(doc as usize).and_then(|c| self.classes.get(*c)) else { continue };
            let share = f64::from(s / total);
            match by_class.iter_mut().find(|(c, _)| c == name) {
                Some(x) => x.1 += share,
                None => by_class.push((name.clone(), share)),
            }
        }
        by_class.sort_by(|a, b| b.1.total_cmp(&a.1));
        by_class
    }
}

/// Log-scaled counts times IDF, to unit length, in gram order (so every
/// sum over them runs in the same order in every process).
fn weigh(g: &HashMap<Gram, u32>, idf: impl Fn(&Gram) -> f32) -> Vec<(Gram, f32)> {
    let mut v: Vec<(Gram, f32)> = g.iter().map(|(k, c)| (*k, (1.0 + (*c as f32).ln()) * idf(k))).collect();
    v.sort_by_key(|x| x.0);
    let norm = v.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
    if norm > 0.0 {
        for x in &mut v {
            x.1 /= norm;
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_questions_vote_by_similarity() {
        let l = |category: &str, text: &str| Labelled { category: category.into(), text: text.into() };
        let n = Neighbours::new(&[
            l("labor", "老板拖欠工资不给"),
            l("labor", "公司拖欠三个月工资"),
            l("consumer", "网购买到假货商家不退款"),
            l("family", "离婚后孩子抚养费不给"),
        ]);
        let v = n.vote("单位拖欠我工资");
        assert_eq!(v[0].0, "labor", "{v:?}");
        assert!(v[0].1 > 0.5, "{v:?}");
        let total: f64 = v.iter().map(|x| x.1).sum();
        assert!((total - 1.0).abs() < 1e-6, "{v:?}");
        assert!(n.vote("？？？").is_empty());
        assert!(Neighbours::new(&[]).vote("拖欠工资").is_empty());
    }
}
