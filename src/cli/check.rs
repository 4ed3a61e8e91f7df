//! `xinfang-guide check`: every problem in the content, with file:line; with
//! `--laws DIR`, every citation checked against the statute texts there and
//! every time limit against the article that sets it.

use crate::content::{Diagnostics, citations, laws::Laws, load::read_dir, periods};
use std::io::Write;
use std::path::Path;

/// Prints all diagnostics and a summary; returns whether there were errors.
pub fn run(dir: &Path, laws: Option<&Path>, out: &mut impl Write) -> std::io::Result<bool> {
    let (loaded, mut diags) = crate::understand::load_all(dir);
    let content = loaded.map(|(c, _)| c);
    let cited = match laws {
        Some(law_dir) => match Laws::load(law_dir) {
            Ok(laws) => {
                // The raw files again, for the lines citations were written at.
                let raw = read_dir(dir, &mut Diagnostics::default());
                let done = citations::check(&raw, &laws, &mut diags);
                periods::check_against(&raw, &laws, &mut diags);
                diags.sort();
                format!(
                    "citations: {} references checked against {} statute texts in {}; {} in laws not there (see the warnings)",
                    done.found,
                    laws.names().count(),
                    law_dir.display(),
                    done.unchecked
                )
            }
            Err(e) => {
                diags.error(law_dir, 1, crate::content::Kind::Syntax, format!("cannot read the statute folder: {e}"));
                String::new()
            }
        },
        None => "citations were not checked against statute texts (give --laws DIR to check them)".to_string(),
    };
    write!(out, "{diags}")?;
    let errors = diags.errors().count();
    let warnings = diags.items.len() - errors;
    if !cited.is_empty() {
        writeln!(out, "{cited}")?;
    }
    match content.filter(|_| errors == 0) {
        Some(c) => writeln!(
            out,
            "ok: {} nodes, {} FAQ entries, {} categories, {} channels, {} time limits ({warnings} warnings)",
            c.nodes.len(),
            c.faq.len(),
            c.directory.categories.len(),
            c.directory.channels.len(),
            c.periods.len()
        )?,
        None => writeln!(out, "{errors} errors, {warnings} warnings")?,
    }
    Ok(diags.has_errors())
}
