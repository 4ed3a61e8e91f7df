//! Where a rule can start matching: the literal prefixes of every rule's
//! pattern (extracted by `regex-syntax`), all in one Aho-Corasick automaton.
//! One pass over the text finds every place some rule could start; only
//! there is that rule's pattern tried, anchored (`regex-lite`, whose
//! automata stay small, is slow over a whole text but quick from a place).
//! A rule whose matches can start with anything is searched whole.

use aho_corasick::{AhoCorasick, AhoCorasickKind};
use regex_syntax::hir::literal::{ExtractKind, Extractor};

#[derive(Debug, Default)]
pub struct Prefilter {
    ac: Option<AhoCorasick>,
    /// The rules each literal of `ac` starts.
    by_literal: Vec<Vec<usize>>,
    /// Rules without a finite set of prefixes.
    always: Vec<usize>,
    /// Rules whose matches are exactly their literals (a list of words):
    /// a literal found is a match, no pattern is tried.
    exact: Vec<bool>,
    /// The literal suffixes of the rules that have a finite set of them:
    /// a rule none of whose suffixes is in the text is not tried at all
    /// (most rules start with common words — 想, 要, 我 — and end with
    /// rare ones — 安眠药, 跳下去).
    suffixes: Option<AhoCorasick>,
    /// The rules each suffix ends; rules not among them are always tried.
    by_suffix: Vec<Vec<usize>>,
    has_suffixes: Vec<bool>,
}

/// Where to try a rule: from a byte offset, anchored, or the whole text;
/// or a match already, for a rule that is a list of words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Try {
    At(usize),
    Found(usize, usize),
    Whole,
}

impl Prefilter {
    /// The prefilter of expanded patterns (rule `i` is `patterns[i]`).
    pub fn new(patterns: &[String]) -> Self {
        let mut starts = Literals::default();
        let mut always = Vec::new();
        let mut exact = vec![false; patterns.len()];
        for (i, p) in patterns.iter().enumerate() {
            match prefixes(p) {
                Some((lits, is_exact)) => {
                    exact[i] = is_exact;
                    starts.add(lits, i);
                }
                None => always.push(i),
            }
        }
        let ac = automaton(&starts.all);
        if ac.is_none() {
            // Cannot happen for literals the extractor made; stay correct anyway.
            always = (0..patterns.len()).collect();
        }
        let mut ends = Literals::default();
        let mut has_suffixes = vec![false; patterns.len()];
        for (i, p) in patterns.iter().enumerate() {
            let Some(lits) = literals_of(p, ExtractKind::Suffix).map(|(l, _)| l) else { continue };
            has_suffixes[i] = true;
            ends.add(lits, i);
        }
        let suffixes = automaton(&ends.all);
        if suffixes.is_none() {
            has_suffixes.iter_mut().for_each(|h| *h = false);
        }
        Self { ac, by_literal: starts.rules, always, exact, suffixes, by_suffix: ends.rules, has_suffixes }
    }

    /// Every (rule, where to try it) for `text`, rule by rule, places in order.
    pub fn candidates(&self, text: &str) -> Vec<(usize, Try)> {
        // Rules one of whose suffixes is in the text, or that have none.
        let mut ends_here: Vec<bool> = self.has_suffixes.iter().map(|h| !h).collect();
        if let Some(s) = &self.suffixes {
            for m in s.find_overlapping_iter(text) {
                for &r in &self.by_suffix[m.pattern().as_usize()] {
                    ends_here[r] = true;
                }
            }
        }
        let mut out: Vec<(usize, Try)> =
            self.always.iter().filter(|&&r| ends_here[r]).map(|&r| (r, Try::Whole)).collect();
        if let Some(ac) = &self.ac {
            for m in ac.find_overlapping_iter(text) {
                let at = |r: usize| if self.exact[r] { Try::Found(m.start(), m.end()) } else { Try::At(m.start()) };
                let rules = self.by_literal[m.pattern().as_usize()].iter().filter(|&&r| ends_here[r]);
                out.extend(rules.map(|&r| (r, at(r))));
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// How many rules are searched whole.
    pub fn whole(&self) -> usize {
        self.always.len()
    }

    /// Whether rule `i` is searched whole.
    pub fn is_whole(&self, i: usize) -> bool {
        self.always.contains(&i)
    }

    /// Whether rule `i` is a list of words (found without its pattern).
    pub fn is_exact(&self, i: usize) -> bool {
        self.exact.get(i).copied().unwrap_or(false)
    }
}

/// A contiguous NFA over `literals` (the smallest of the automata, fast
/// enough for one pass), if there are any.
fn automaton(literals: &[Vec<u8>]) -> Option<AhoCorasick> {
    let b = AhoCorasick::builder().kind(Some(AhoCorasickKind::ContiguousNFA)).build(literals);
    (!literals.is_empty()).then(|| b.ok()).flatten()
}

/// The literal prefixes every match of `pattern` starts with, if finite
/// and none empty, and whether they are the whole matches.
fn prefixes(pattern: &str) -> Option<(Vec<Vec<u8>>, bool)> {
    literals_of(pattern, ExtractKind::Prefix)
}

/// The literal prefixes or suffixes of `pattern` (see [`prefixes`]).
fn literals_of(pattern: &str, kind: ExtractKind) -> Option<(Vec<Vec<u8>>, bool)> {
    let hir = regex_syntax::Parser::new().parse(pattern).ok()?;
    let mut ex = Extractor::new();
    ex.kind(kind).limit_total(2_000).limit_class(20);
    let seq = ex.extract(&hir);
    let lits = seq.literals()?;
    if lits.is_empty() || lits.iter().any(|l| l.as_bytes().is_empty()) {
        return None;
    }
    Some((lits.iter().map(|l| l.as_bytes().to_vec()).collect(), seq.is_exact()))
}

/// A pattern that is only a list of words is found by an automaton; any
/// other pattern by `regex-lite`. (Sentences are checked against `unless`,
/// `frames` and `calm` for every match: word lists are most of them.)
#[derive(Debug)]
pub enum Matcher {
    Words(AhoCorasick),
    Pattern(regex_lite::Regex),
}

impl Matcher {
    pub fn new(pattern: &str) -> Result<Self, regex_lite::Error> {
        if let Some((words, true)) = literals_of(pattern, ExtractKind::Prefix) {
            let b = AhoCorasick::builder()
                .kind(Some(AhoCorasickKind::ContiguousNFA))
                .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                .build(&words);
            if let Ok(ac) = b {
                return Ok(Self::Words(ac));
            }
        }
        regex_lite::Regex::new(pattern).map(Self::Pattern)
    }

    pub fn is_match(&self, s: &str) -> bool {
        match self {
            Self::Words(ac) => ac.is_match(s),
            Self::Pattern(re) => re.is_match(s),
        }
    }

    /// Byte ranges of the matches, leftmost first, not overlapping.
    pub fn ranges(&self, s: &str) -> Vec<std::ops::Range<usize>> {
        match self {
            Self::Words(ac) => ac.find_iter(s).map(|m| m.range()).collect(),
            Self::Pattern(re) => re.find_iter(s).map(|m| m.range()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_tried_where_their_prefixes_are() {
        let p = Prefilter::new(&[
            "(?:吃|喝)[^\\n]{0,2}药".to_string(),
            "[^\\n]{0,3}跳".to_string(),
            "救命|救救我".to_string(),
        ]);
        assert_eq!(p.whole(), 1, "a pattern that can start with anything is searched whole");
        assert!(p.is_exact(2) && !p.is_exact(0));
        let c = p.candidates("我喝了药，救命");
        assert_eq!(c, vec![(0, Try::At(3)), (2, Try::Found(15, 21))], "rule 1's last word 跳 is not there");
        assert_eq!(p.candidates("要跳"), vec![(1, Try::Whole)]);
        assert!(p.candidates("你好").is_empty(), "no rule's last word is there");
        assert_eq!(p.candidates("我喝了水"), vec![], "喝 starts rule 0, but its last word 药 is not there");
    }
}

/// Distinct literals, each with the rules it belongs to.
#[derive(Default)]
struct Literals {
    all: Vec<Vec<u8>>,
    rules: Vec<Vec<usize>>,
    index: std::collections::HashMap<Vec<u8>, usize>,
}

impl Literals {
    fn add(&mut self, lits: Vec<Vec<u8>>, rule: usize) {
        for l in lits {
            match self.index.get(&l) {
                Some(&at) => self.rules[at].push(rule),
                None => {
                    self.index.insert(l.clone(), self.all.len());
                    self.all.push(l);
                    self.rules.push(vec![rule]);
                }
            }
        }
    }
}
