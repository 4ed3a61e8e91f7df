//! Understanding content: `dialogs/understand/lexicon.toml` (legal terms,
//! synonyms, danger words, legal-fact rules) and
//! `dialogs/understand/examples.toml` (example utterances per category).

use crate::content::diag::{Diagnostics, Kind, Source};
use crate::content::load::parse_file;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use toml::Spanned;

#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    pub terms: Vec<String>,
    pub synonyms: HashMap<String, String>,
    pub danger: Vec<String>,
    pub rules: Vec<Rule>,
    /// Category → words one of which must appear for it to be considered.
    pub requires: HashMap<String, Vec<String>>,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub all: Vec<String>,
    pub category: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLexicon {
    terms: Vec<String>,
    danger: Vec<String>,
    synonyms: BTreeMap<String, String>,
    #[serde(default)]
    rule: Vec<RawRule>,
    #[serde(default)]
    requires: BTreeMap<Spanned<String>, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    all: Vec<String>,
    category: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExamples {
    examples: BTreeMap<Spanned<String>, Vec<String>>,
    #[serde(default)]
    prior: BTreeMap<Spanned<String>, f64>,
}

/// Loads lexicon and examples; unknown category ids are errors with lines.
/// Example utterances per category, with relative prior weights.
pub struct Examples {
    pub items: Vec<(String, String)>,
    pub prior: HashMap<String, f64>,
}

pub fn load(root: &Path, categories: &[String], diags: &mut Diagnostics) -> Option<(Lexicon, Examples)> {
    let dir = root.join("dialogs/understand");
    let (lex_src, lex): (Source, RawLexicon) = parse_file(&dir.join("lexicon.toml"), diags)?;
    let (src, ex): (Source, RawExamples) = parse_file(&dir.join("examples.toml"), diags)?;
    let mut ok = true;
    let mut check = |c: &Spanned<String>, src: &Source, diags: &mut Diagnostics| {
        if !categories.iter().any(|k| k == c.get_ref()) {
            diags.error(
                &src.path,
                src.line(c.span()),
                Kind::UnknownCategory,
                format!("unknown category `{}`", c.get_ref()),
            );
            ok = false;
        }
    };
    for r in &lex.rule {
        check(&r.category, &lex_src, diags);
    }
    for c in lex.requires.keys() {
        check(c, &lex_src, diags);
    }
    let mut items = Vec::new();
    for (cat, list) in &ex.examples {
        check(cat, &src, diags);
        items.extend(list.iter().map(|e| (cat.get_ref().clone(), e.clone())));
    }
    for cat in ex.prior.keys() {
        check(cat, &src, diags);
    }
    let prior = ex.prior.iter().map(|(k, v)| (k.get_ref().clone(), *v)).collect();
    let examples = Examples { items, prior };
    let lexicon = Lexicon {
        terms: lex.terms,
        synonyms: lex.synonyms.into_iter().collect(),
        danger: lex.danger.iter().map(|d| crate::engine::understand::normalize(d)).collect(),
        rules: lex.rule.into_iter().map(|r| Rule { all: r.all, category: r.category.into_inner() }).collect(),
        requires: lex.requires.into_iter().map(|(k, v)| (k.into_inner(), v)).collect(),
    };
    ok.then_some((lexicon, examples))
}
