//! Reads `dialogs/danger/`: `rules.toml` (word sets, rules, the model's
//! thresholds), `model.bin` (the learned part, written by
//! `xinfang-guide danger train`) and `examples/*.toml` (messages by kind,
//! for training). Problems become diagnostics with file and line.

use super::model::Model;
use super::rules::{RawRules, Rules};
use super::{Kind, Recognizer, Thresholds};
use crate::content::diag::{Diagnostics, Kind as DiagKind, Source};
use crate::content::load::parse_file;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The danger content, relative to the content root.
pub const DIR: &str = "dialogs/danger";
pub const RULES: &str = "dialogs/danger/rules.toml";
pub const MODEL_BIN: &str = "dialogs/danger/model.bin";
pub const MODEL_TOML: &str = "dialogs/danger/model.toml";
pub const EXAMPLES: &str = "dialogs/danger/examples";

/// The recogniser of a content root. Content without `dialogs/danger/`
/// gets an empty one (`check` warns when its dialogs expect danger replies).
pub fn load(root: &Path, diags: &mut Diagnostics) -> Recognizer {
    let Some((rules, thresholds)) = rules(root, diags) else { return Recognizer::default() };
    let bin = root.join(MODEL_BIN);
    let model = match std::fs::read(&bin) {
        Ok(bytes) => match Model::from_bytes(&bytes) {
            Ok(m) => Some(m),
            Err(e) => {
                diags.error(&bin, 1, DiagKind::Invalid, e);
                None
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            diags.error(&bin, 1, DiagKind::Invalid, format!("cannot read: {e}"));
            None
        }
    };
    Recognizer::new(rules, model, thresholds)
}

/// The compiled rules and the model's thresholds of `rules.toml`.
pub fn rules(root: &Path, diags: &mut Diagnostics) -> Option<(Rules, Thresholds)> {
    let path = root.join(RULES);
    if !root.join(DIR).exists() {
        return None;
    }
    let (source, raw) = parse_file::<RawRules>(&path, diags)?;
    let (rules, errors) = Rules::compile(&raw, |at| source.line(at..at));
    for e in errors {
        diags.error(&path, e.line, DiagKind::Invalid, e.message);
    }
    let thresholds = match raw.model {
        Some(t) if (0.0..=1.0).contains(&t.check) && t.check <= t.full && t.full <= 1.0 => {
            Thresholds { full: t.full, check: t.check }
        }
        Some(_) => {
            diags.error(&path, 1, DiagKind::Invalid, "[model]: need 0 ≤ check ≤ full ≤ 1");
            Thresholds::default()
        }
        None => Thresholds::default(),
    };
    Some((rules, thresholds))
}

/// One written example: its class (a kind's id or `none`), its text, and
/// where it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub class: String,
    pub text: String,
    pub file: PathBuf,
    pub line: usize,
}

/// The examples of `examples/*.toml`: arrays of messages keyed by class.
pub fn examples(root: &Path, diags: &mut Diagnostics) -> Vec<Example> {
    let dir = root.join(EXAMPLES);
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let Some((source, raw)) = parse_file::<BTreeMap<String, Vec<toml::Spanned<String>>>>(&path, diags) else {
            continue;
        };
        for (class, texts) in raw {
            if class != super::model::NONE && Kind::parse(&class).is_none() {
                let msg =
                    format!("unknown class {class:?} (self_harm, violence_now, harm_others, other_at_risk, none)");
                diags.error(&path, 1, DiagKind::Invalid, msg);
                continue;
            }
            for t in texts {
                let line = Source::line(&source, t.span());
                out.push(Example { class: class.clone(), text: t.into_inner(), file: path.clone(), line });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_without_danger_rules_gets_an_empty_recogniser() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut d = Diagnostics::default();
        let r = load(dir.path(), &mut d);
        assert!(r.is_empty());
        assert!(d.items.is_empty());
    }

    #[test]
    fn a_bad_rule_is_an_error_at_its_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join(DIR)).expect("mkdir");
        let text = "[sets]\nw = [\"跳楼\"]\n\n[[rule]]\nkind = \"self_harm\"\nlevel = \"maybe\"\npattern = \"{w}\"\n";
        std::fs::write(dir.path().join(RULES), text).expect("write");
        let mut d = Diagnostics::default();
        load(dir.path(), &mut d);
        let e: Vec<_> = d.errors().collect();
        assert_eq!(e.len(), 1, "{d}");
        assert_eq!(e[0].line, 4);
        assert!(e[0].message.contains("unknown level"));
    }

    #[test]
    fn examples_carry_their_file_and_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join(EXAMPLES)).expect("mkdir");
        let text = "self_harm = [\n  \"不想活了\",\n  \"活够了\",\n]\nnone = [\"累死了\"]\nwrong = [\"x\"]\n";
        std::fs::write(dir.path().join(EXAMPLES).join("a.toml"), text).expect("write");
        let mut d = Diagnostics::default();
        let ex = examples(dir.path(), &mut d);
        assert_eq!(ex.len(), 3);
        assert_eq!((ex[0].class.as_str(), ex[0].line), ("none", 5));
        assert_eq!((ex[2].text.as_str(), ex[2].line), ("活够了", 3));
        assert_eq!(d.errors().count(), 1);
    }
}
