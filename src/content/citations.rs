//! Citations checked against statute texts (`check --laws DIR`): every
//! `《法》第…条…` written in dialogs, FAQ, directory and the deadline table,
//! with the file and line it was written at.

use super::diag::{Diagnostics, Kind, Source};
use super::laws::{Laws, Missing, citations_in};
use super::load::RawContent;
use std::collections::BTreeMap;
use std::path::PathBuf;
use toml::Spanned;

/// A text that may hold citations, and where it was written.
#[derive(Debug, Clone)]
pub struct Written {
    pub file: PathBuf,
    pub line: usize,
    pub text: String,
}

fn at(src: &Source, s: &Spanned<String>) -> Written {
    Written { file: src.path.clone(), line: src.line(s.span()), text: s.get_ref().clone() }
}

/// Every text of the content that cites or may cite a law.
pub fn written(raw: &RawContent) -> Vec<Written> {
    let mut out = Vec::new();
    for (src, file) in &raw.dialogs {
        for n in &file.node {
            out.extend(n.cites.iter().chain(&n.text).chain(&n.text_numbers).map(|c| at(src, c)));
            for r in &n.rule {
                out.extend(r.cites.iter().chain([&r.why]).chain(&r.how).map(|c| at(src, c)));
                out.extend(r.deadline.iter().map(|d| at(src, &d.text)));
            }
        }
    }
    for (src, file) in &raw.faq {
        for q in &file.faq {
            out.extend(q.cites.iter().chain([&q.answer]).map(|c| at(src, c)));
        }
    }
    if let Some((src, d)) = &raw.directory {
        for c in d.channels.values() {
            out.extend([&c.basis, &c.how].into_iter().map(|s| at(src, s)));
        }
        for c in d.categories.values() {
            out.extend(c.direct.iter().chain(&c.direct_basis).map(|s| at(src, s)));
        }
        out.extend(d.free_help.iter().map(|s| at(src, s)));
    }
    if let Some((src, d)) = &raw.deadlines {
        for p in d.period.values() {
            out.push(at(src, &p.cite));
        }
        for l in d.late.values() {
            out.extend([&l.cite, &l.text].into_iter().map(|s| at(src, s)));
        }
    }
    out
}

/// What a citation check found, for the summary line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Checked {
    /// References (article, paragraph, item) found in the statute texts.
    pub found: usize,
    /// References whose law is not in the folder.
    pub unchecked: usize,
}

/// Checks every citation: a missing article, paragraph or item of a law in
/// the folder is an error at its line; a law not in the folder is one
/// warning that lists what could not be checked.
pub fn check(raw: &RawContent, laws: &Laws, diags: &mut Diagnostics) -> Checked {
    let mut done = Checked::default();
    let mut missing_laws: BTreeMap<String, Vec<(Written, String)>> = BTreeMap::new();
    for w in written(raw) {
        for c in citations_in(&w.text) {
            if laws.get(&c.law).is_none() {
                let what = c.refs.iter().map(ToString::to_string).collect::<Vec<_>>().join("、");
                done.unchecked += c.refs.len().max(1);
                missing_laws.entry(c.law.clone()).or_default().push((w.clone(), what));
                continue;
            }
            for r in &c.refs {
                match laws.text_of(&c.law, r) {
                    Ok(_) => done.found += 1,
                    Err(Missing::Part(why)) => {
                        let msg = format!("《{}》{r}: the statute text {why}", c.law);
                        diags.error(&w.file, w.line, Kind::BadCitation, msg);
                    }
                    Err(Missing::Law) => {}
                }
            }
        }
    }
    for (law, uses) in missing_laws {
        let (first, _) = &uses[0];
        let list: Vec<String> = uses
            .iter()
            .map(|(w, what)| {
                let what = if what.is_empty() { "(the law)" } else { what };
                format!("{}:{} {what}", w.file.display(), w.line)
            })
            .collect();
        let msg = format!(
            "《{law}》 is not in the statute folder; {} citation(s) not checked: {}",
            uses.len(),
            list.join("; ")
        );
        diags.warning(&first.file, first.line, Kind::UncheckedLaw, msg);
    }
    done
}
