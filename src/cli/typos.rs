//! `xinfang-guide typos --seed N`: the questions of a JSONL file on stdin
//! with homophone typos, the way the team injects them to measure what
//! input-method slips cost: with a fixed seed, a Chinese character is
//! replaced by another of the same toneless pinyin among the 3,000 most
//! frequent characters of the set, one in twenty for texts over 100
//! characters, one in ten for shorter ones. Other fields pass through.

use crate::pinyin;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Write};

/// Characters the replacements are drawn from.
const FREQUENT: usize = 3000;

/// SplitMix64: a small seeded generator, the same numbers on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// True one time in `n`.
    fn one_in(&mut self, n: u64) -> bool {
        self.next() % n == 0
    }
}

pub fn run(seed: u64, input: impl BufRead, out: &mut impl Write) -> anyhow::Result<()> {
    let rows: Vec<Value> = input
        .lines()
        .map_while(Result::ok)
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(&l))
        .collect::<Result<_, _>>()?;
    let questions: Vec<&str> = rows.iter().map(|r| r["question"].as_str().unwrap_or("")).collect();
    let misspelt = misspell_all(&questions, seed);
    for (mut row, q) in rows.into_iter().zip(misspelt) {
        row["question"] = Value::String(q);
        writeln!(out, "{row}")?;
    }
    Ok(())
}

/// The questions with typos (seeded), in order.
pub fn misspell_all(questions: &[&str], seed: u64) -> Vec<String> {
    let h = homophones(questions);
    let mut rng = Rng(seed);
    questions.iter().map(|q| misspell(q, &h, &mut rng)).collect()
}

/// For each toneless syllable, the frequent characters read so (most
/// frequent first).
fn homophones(questions: &[&str]) -> HashMap<&'static str, Vec<char>> {
    let mut count: HashMap<char, usize> = HashMap::new();
    for q in questions {
        for c in q.chars().filter(|c| pinyin::of_char(*c).is_some()) {
            *count.entry(c).or_default() += 1;
        }
    }
    let mut by_count: Vec<(char, usize)> = count.into_iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut out: BTreeMap<&'static str, Vec<char>> = BTreeMap::new();
    for (c, _) in by_count.into_iter().take(FREQUENT) {
        if let Some(p) = pinyin::of_char(c) {
            out.entry(p).or_default().push(c);
        }
    }
    out.into_iter().collect()
}

/// The text with its typos.
fn misspell(text: &str, homophones: &HashMap<&'static str, Vec<char>>, rng: &mut Rng) -> String {
    let long = text.chars().count() > 100;
    text.chars()
        .map(|c| {
            let Some(others) = pinyin::of_char(c).and_then(|p| homophones.get(p)) else { return c };
            if !rng.one_in(if long { 20 } else { 10 }) {
                return c;
            }
            let choices: Vec<char> = others.iter().copied().filter(|o| *o != c).collect();
            if choices.is_empty() { c } else { choices[(rng.next() % choices.len() as u64) as usize] }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_typos_and_only_homophones() {
        let qs = ["公司不给我交社保，辞职了能要补偿吗", "社会保险补缴找哪里", "保安公司拖欠工资怎么办"];
        let h = homophones(&qs);
        let a: Vec<String> = {
            let mut rng = Rng(7);
            qs.iter().map(|q| misspell(q, &h, &mut rng)).collect()
        };
        let b: Vec<String> = {
            let mut rng = Rng(7);
            qs.iter().map(|q| misspell(q, &h, &mut rng)).collect()
        };
        assert_eq!(a, b);
        for (q, m) in qs.iter().zip(&a) {
            assert_eq!(q.chars().count(), m.chars().count());
            for (x, y) in q.chars().zip(m.chars()) {
                assert_eq!(pinyin::of_char(x), pinyin::of_char(y), "{x} → {y}");
            }
        }
    }
}
