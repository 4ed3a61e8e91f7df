//! Understanding content: `dialogs/understand/lexicon.toml` (legal terms,
//! synonyms, legal-fact rules) and
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
    pub rules: Vec<Rule>,
    /// Category → words one of which must appear for it to be considered.
    pub requires: HashMap<String, Vec<String>>,
    /// A second matter in the message: petitioning about the first.
    pub also: Vec<Also>,
    /// Kinds of matter answered directly (first channel named before
    /// anything is asked) from this probability; the others are asked about.
    pub direct: HashMap<String, f64>,
    /// The lexicon's line of each `[direct]` entry (for what `build` checks
    /// against the directory).
    pub direct_lines: HashMap<String, usize>,
    /// Words telling that what a clause speaks of already happened (its
    /// lawful period may be running): such a matter is taken first…
    pub happened: Vec<String>,
    /// …unless the clause also speaks of a wish or a plan (想, 快要).
    pub not_yet: Vec<String>,
}

/// When a message about a matter also speaks of petitioning about it
/// ("法院判决不公，我要去北京上访"), the FAQ entry that answers that part,
/// given before the matter's own route.
#[derive(Debug, Clone)]
pub struct Also {
    /// Any of these words…
    pub any: Vec<String>,
    /// …and, when not empty, any of these too.
    pub with: Vec<String>,
    /// Only for a matter that belongs to a legal procedure (`xinfang_ok = false`).
    pub legal: bool,
    pub faq: String,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub all: Vec<String>,
    pub category: String,
    /// The FAQ entry (id) that answers such a question, unless one matches
    /// the wording much better.
    pub faq: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLexicon {
    terms: Vec<String>,
    synonyms: BTreeMap<String, String>,
    #[serde(default)]
    rule: Vec<RawRule>,
    #[serde(default)]
    requires: BTreeMap<Spanned<String>, Vec<String>>,
    #[serde(default)]
    also: Vec<RawAlso>,
    #[serde(default)]
    direct: BTreeMap<Spanned<String>, Spanned<f64>>,
    #[serde(default)]
    happened: Vec<Spanned<String>>,
    #[serde(default)]
    not_yet: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlso {
    any: Vec<String>,
    #[serde(default)]
    with: Vec<String>,
    #[serde(default)]
    legal: bool,
    faq: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    all: Vec<String>,
    category: Spanned<String>,
    #[serde(default)]
    faq: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExamples {
    examples: BTreeMap<Spanned<String>, Vec<String>>,
    #[serde(default)]
    prior: BTreeMap<Spanned<String>, f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MoreExamples {
    examples: BTreeMap<Spanned<String>, Vec<String>>,
}

/// `*.toml` files in `dir` (absent is fine), sorted by name.
fn more_example_files(dir: &Path, diags: &mut Diagnostics) -> Vec<std::path::PathBuf> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => {
            diags.error(dir, 1, Kind::Syntax, format!("cannot read directory: {e}"));
            return Vec::new();
        }
    };
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

/// The lexicon, relative to the content root.
pub const LEXICON: &str = "dialogs/understand/lexicon.toml";

/// The example files (`examples.toml`, then `examples/*.toml` by name),
/// relative to the content root.
pub fn example_files(root: &Path) -> Vec<std::path::PathBuf> {
    let dir = Path::new("dialogs/understand");
    let more = more_example_files(&root.join(dir).join("examples"), &mut Diagnostics::default());
    let names = more.iter().filter_map(|p| p.file_name()).map(|n| dir.join("examples").join(n));
    std::iter::once(dir.join("examples.toml")).chain(names).collect()
}

/// Example utterances per category, with relative prior weights.
pub struct Examples {
    pub items: Vec<(String, String)>,
    pub prior: HashMap<String, f64>,
    /// Each example file (relative to the content root) and how many
    /// utterances it gave.
    pub per_file: Vec<(std::path::PathBuf, usize)>,
}

/// Loads lexicon and examples; unknown category ids are errors with lines.
/// `faqs`: the FAQ ids a rule may name (not checked when `None`).
pub fn load(
    root: &Path,
    categories: &[String],
    faqs: Option<&[String]>,
    diags: &mut Diagnostics,
) -> Option<(Lexicon, Examples)> {
    let dir = root.join("dialogs/understand");
    let (lex_src, lex): (Source, RawLexicon) = parse_file(&root.join(LEXICON), diags)?;
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
    if let Some(known) = faqs {
        for f in lex.rule.iter().filter_map(|r| r.faq.as_ref()).chain(lex.also.iter().map(|a| &a.faq)) {
            if !known.iter().any(|k| k == f.get_ref()) {
                let msg = format!("rule names FAQ entry `{}`, which does not exist", f.get_ref());
                diags.error(&lex_src.path, lex_src.line(f.span()), Kind::DanglingNode, msg);
            }
        }
    }
    for c in lex.requires.keys() {
        check(c, &lex_src, diags);
    }
    let mut probabilities_ok = true;
    // An empty word would be in every clause.
    for w in lex.happened.iter().chain(&lex.not_yet).filter(|w| w.get_ref().trim().is_empty()) {
        diags.error(&lex_src.path, lex_src.line(w.span()), Kind::EmptyText, "an empty word matches every clause");
        probabilities_ok = false;
    }
    for (c, p) in &lex.direct {
        check(c, &lex_src, diags);
        // Below a confident guess a direct answer would be a coin toss.
        if !(0.5..=1.0).contains(p.get_ref()) {
            let msg = format!(
                "`{}` is answered directly from {}: give a probability from 0.5 to 1",
                c.get_ref(),
                p.get_ref()
            );
            diags.error(&lex_src.path, lex_src.line(p.span()), Kind::Invalid, msg);
            probabilities_ok = false;
        }
    }
    // More example files, one per theme or per source (e.g. an export of
    // staff annotations), read in name order so training is reproducible.
    let paths = more_example_files(&dir.join("examples"), diags);
    let more: Vec<(Source, MoreExamples)> = paths.iter().filter_map(|p| parse_file(p, diags)).collect();
    let unreadable = more.len() < paths.len();
    let mut items = Vec::new();
    let mut per_file = Vec::new();
    for (src, table) in std::iter::once((&src, &ex.examples)).chain(more.iter().map(|(s, m)| (s, &m.examples))) {
        let before = items.len();
        for (cat, list) in table {
            check(cat, src, diags);
            items.extend(list.iter().map(|e| (cat.get_ref().clone(), e.clone())));
        }
        let rel = src.path.strip_prefix(root).unwrap_or(&src.path).to_path_buf();
        per_file.push((rel, items.len() - before));
    }
    for cat in ex.prior.keys() {
        check(cat, &src, diags);
    }
    let prior = ex.prior.iter().map(|(k, v)| (k.get_ref().clone(), *v)).collect();
    let examples = Examples { items, prior, per_file };
    let lexicon = Lexicon {
        terms: lex.terms,
        synonyms: lex.synonyms.into_iter().collect(),
        rules: lex
            .rule
            .into_iter()
            .map(|r| Rule { all: r.all, category: r.category.into_inner(), faq: r.faq.map(Spanned::into_inner) })
            .collect(),
        requires: lex.requires.into_iter().map(|(k, v)| (k.into_inner(), v)).collect(),
        direct_lines: lex.direct.keys().map(|k| (k.get_ref().clone(), lex_src.line(k.span()))).collect(),
        direct: lex.direct.into_iter().map(|(k, v)| (k.into_inner(), v.into_inner())).collect(),
        happened: lex.happened.into_iter().map(Spanned::into_inner).collect(),
        not_yet: lex.not_yet.into_iter().map(Spanned::into_inner).collect(),
        also: lex
            .also
            .into_iter()
            .map(|a| Also {
                any: a.any.iter().map(|w| crate::engine::understand::normalize(w)).collect(),
                with: a.with.iter().map(|w| crate::engine::understand::normalize(w)).collect(),
                legal: a.legal,
                faq: a.faq.into_inner(),
            })
            .collect(),
    };
    (ok && probabilities_ok && !unreadable).then_some((lexicon, examples))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(extra: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        let u = dir.path().join("dialogs/understand");
        std::fs::create_dir_all(u.join("examples")).expect("mkdir");
        std::fs::write(u.join("lexicon.toml"), "terms = []\n[synonyms]\n").expect("write");
        std::fs::write(u.join("examples.toml"), "[examples]\nlabor = [\"老板欠薪\"]\n").expect("write");
        for (name, text) in extra {
            std::fs::write(u.join("examples").join(name), text).expect("write");
        }
        dir
    }

    #[test]
    fn example_files_in_the_examples_folder_are_read_in_name_order() {
        let dir = setup(&[
            ("b.toml", "[examples]\nconsumer = [\"买到假货\"]\n"),
            ("a.toml", "[examples]\nlabor = [\"不发工资\"]\n"),
            ("notes.txt", "not read"),
        ]);
        let mut diags = Diagnostics::default();
        let cats = ["labor".to_string(), "consumer".to_string()];
        let (_, ex) = load(dir.path(), &cats, None, &mut diags).expect("loads");
        assert!(!diags.has_errors());
        let texts: Vec<&str> = ex.items.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(texts, ["老板欠薪", "不发工资", "买到假货"]);
    }

    #[test]
    fn an_unknown_category_in_an_extra_file_is_an_error_with_its_line() {
        let dir = setup(&[("more.toml", "# comment\n[examples]\nlabour = [\"x\"]\n")]);
        let mut diags = Diagnostics::default();
        assert!(load(dir.path(), &["labor".to_string()], None, &mut diags).is_none());
        let e = diags.errors().next().expect("an error");
        assert!(e.file.ends_with("examples/more.toml"), "{e:?}");
        assert_eq!(e.line, 3);
        assert!(e.message.contains("labour"));
    }

    #[test]
    fn a_direct_answer_needs_a_known_kind_and_a_probability_from_one_half() {
        let dir = setup(&[]);
        let lex = dir.path().join(LEXICON);
        std::fs::write(&lex, "terms = []\n[synonyms]\n[direct]\nlabor = 0.8\n").expect("write");
        let mut diags = Diagnostics::default();
        let (l, _) = load(dir.path(), &["labor".to_string()], None, &mut diags).expect("loads");
        assert_eq!(l.direct.get("labor"), Some(&0.8));
        std::fs::write(&lex, "terms = []\n[synonyms]\n[direct]\nlabor = 0.3\nlabour = 0.9\n").expect("write");
        let mut diags = Diagnostics::default();
        assert!(load(dir.path(), &["labor".to_string()], None, &mut diags).is_none());
        let lines: Vec<usize> = diags.errors().map(|e| e.line).collect();
        assert_eq!(lines, [4, 5], "{:?}", diags.errors().collect::<Vec<_>>());
    }

    #[test]
    fn a_broken_extra_file_is_reported_not_skipped() {
        let dir = setup(&[("bad.toml", "[examples]\nlabor = [\"x\"\n")]);
        let mut diags = Diagnostics::default();
        assert!(load(dir.path(), &["labor".to_string()], None, &mut diags).is_none());
        assert!(diags.errors().any(|e| e.file.ends_with("examples/bad.toml")));
    }
}
