//! Staff annotations become training examples without hand-editing: the
//! console exports annotated questions (`/staff/annotations.toml`, an
//! `[examples]` table), and `xinfang-guide examples merge FILE` adds them to
//! `dialogs/understand/examples/annotations.toml`, skipping what the
//! examples already hold, after checking that none of them is, contains or
//! is contained in a question of the evaluation sets (dev, dev_xinfang — and
//! train_real, whose questions may be learned from but not copied into the
//! project). A single leak stops the merge: nothing is written.

use std::collections::{BTreeMap, HashSet};

/// The file annotations are merged into, relative to the content root.
pub const ANNOTATIONS: &str = "dialogs/understand/examples/annotations.toml";

/// Share of an annotation's character pairs found in one evaluation
/// question from which the annotation counts as taken from it (a question
/// typed into the chat, cut at 200 characters and masked, stays above it).
pub const LEAK_SHARE: f64 = 0.6;

/// An evaluation question, as the check sees it.
pub struct Held {
    /// Where it comes from (file and row id), for the report.
    pub origin: String,
    text: String,
    pairs: HashSet<(char, char)>,
}

impl Held {
    pub fn new(origin: String, question: &str) -> Self {
        let text = letters(question);
        let pairs = pairs(&text);
        Self { origin, text, pairs }
    }
}

/// Letters and digits only, lower case: punctuation, spaces and masks
/// (`*`) do not hide a copy.
fn letters(t: &str) -> String {
    t.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

fn pairs(t: &str) -> HashSet<(char, char)> {
    let cs: Vec<char> = t.chars().collect();
    cs.windows(2).map(|w| (w[0], w[1])).collect()
}

/// The evaluation questions an annotation comes from, if any: equal, one
/// inside the other (8 letters or more), or sharing `LEAK_SHARE` of its
/// character pairs.
pub fn leaks<'h>(annotation: &str, held: &'h [Held]) -> Vec<&'h Held> {
    let a = letters(annotation);
    if a.is_empty() {
        return Vec::new();
    }
    let ap = pairs(&a);
    held.iter()
        .filter(|h| {
            let inside = a.chars().count().min(h.text.chars().count()) >= 8
                && (h.text.contains(a.as_str()) || a.contains(h.text.as_str()));
            let shared = ap.len() >= 5 && ap.intersection(&h.pairs).count() as f64 >= LEAK_SHARE * ap.len() as f64;
            a == h.text || inside || shared
        })
        .collect()
}

/// The outcome of a merge.
#[derive(Debug, Default, PartialEq)]
pub struct Merged {
    /// The merged table (existing annotations first, then the new ones).
    pub examples: BTreeMap<String, Vec<String>>,
    /// New utterances per category.
    pub added: BTreeMap<String, usize>,
    /// Utterances the examples already had.
    pub duplicates: usize,
    /// (category, utterance, the evaluation questions it comes from).
    pub leaks: Vec<(String, String, Vec<String>)>,
    /// Categories the directory does not know.
    pub unknown: Vec<String>,
}

/// Merges `new` into `existing` (the annotations file's table), skipping
/// utterances any example file already holds (`known`, as written), and
/// reports leaks and unknown categories (the caller writes nothing then).
pub fn merge(
    existing: BTreeMap<String, Vec<String>>,
    new: &BTreeMap<String, Vec<String>>,
    known: &HashSet<String>,
    categories: &[String],
    held: &[Held],
) -> Merged {
    let mut m = Merged { examples: existing, ..Merged::default() };
    let mut seen: HashSet<String> = known.iter().map(|t| tidy(t)).collect();
    seen.extend(m.examples.values().flatten().map(|t| tidy(t)));
    for (cat, list) in new {
        if !categories.contains(cat) {
            m.unknown.push(cat.clone());
            continue;
        }
        for text in list.iter().map(|t| tidy(t)).filter(|t| !t.is_empty()) {
            let from: Vec<String> = leaks(&text, held).iter().map(|h| h.origin.clone()).collect();
            if !from.is_empty() {
                m.leaks.push((cat.clone(), text, from));
            } else if !seen.insert(text.clone()) {
                m.duplicates += 1;
            } else {
                m.examples.entry(cat.clone()).or_default().push(text);
                *m.added.entry(cat.clone()).or_default() += 1;
            }
        }
    }
    m
}

/// One line, single spaces.
fn tidy(t: &str) -> String {
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        rows.iter().map(|(c, l)| (c.to_string(), l.iter().map(|t| t.to_string()).collect())).collect()
    }

    fn held() -> Vec<Held> {
        vec![
            Held::new(
                "dev.jsonl#d1".into(),
                "我在工厂上班三年，老板一直不给我交社保，现在辞退我也不给补偿，我该怎么办？",
            ),
            Held::new("dev_xinfang.jsonl#x1".into(), "判决不服能上访吗"),
        ]
    }

    #[test]
    fn a_question_from_an_evaluation_set_is_caught_however_it_was_cut_or_masked() {
        let h = held();
        let origins = |t: &str| leaks(t, &h).iter().map(|x| x.origin.clone()).collect::<Vec<_>>();
        assert_eq!(origins("判决不服能上访吗"), ["dev_xinfang.jsonl#x1"], "the same question");
        assert_eq!(origins("判决不服，能上访吗？"), ["dev_xinfang.jsonl#x1"], "other punctuation");
        assert_eq!(origins("我在工厂上班三年，老板一直不给我交社保"), ["dev.jsonl#d1"], "cut short");
        assert_eq!(origins("我在工厂上班三年，老板一直不给我交社保，现在辞退我也不给补偿，我该咋办"), ["dev.jsonl#d1"]);
        assert!(origins("公司拖欠我两个月工资").is_empty(), "a different question");
        assert!(origins("社保").is_empty(), "a word is not a question");
    }

    #[test]
    fn merging_adds_new_utterances_once_and_reports_leaks_and_unknown_categories() {
        let cats = ["labor".to_string(), "consumer".to_string()];
        let known: HashSet<String> = ["老板欠薪".to_string()].into();
        let existing = table(&[("labor", &["单位不发加班费"])]);
        let new = table(&[
            ("labor", &["老板欠薪", "单位不发加班费", "包工头跑了  工资没人给", "包工头跑了 工资没人给"]),
            ("consumer", &["网购的衣服商家不给退"]),
            ("labour", &["x"]),
        ]);
        let m = merge(existing.clone(), &new, &known, &cats, &held());
        assert_eq!(m.examples["labor"], ["单位不发加班费", "包工头跑了 工资没人给"]);
        assert_eq!(m.examples["consumer"], ["网购的衣服商家不给退"]);
        assert_eq!(m.added.values().sum::<usize>(), 2);
        assert_eq!(m.duplicates, 3);
        assert_eq!(m.unknown, ["labour"]);
        assert!(m.leaks.is_empty());
        let leaky = merge(existing, &table(&[("labor", &["判决不服能上访吗"])]), &known, &cats, &held());
        assert_eq!(leaky.leaks.len(), 1);
        assert_eq!(leaky.leaks[0].2, ["dev_xinfang.jsonl#x1"]);
    }
}
