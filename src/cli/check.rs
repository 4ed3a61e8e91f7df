//! `xinfang-guide check`: every problem in the content, with file:line; with
//! `--laws DIR`, every citation checked against the statute texts there and
//! every time limit against the article that sets it.

use crate::content::{Diagnostics, citations, laws::Laws, load::read_dir, periods};
use std::io::Write;
use std::path::Path;

/// Prints all diagnostics and a summary; returns whether there were errors.
/// Prints errors first, then warnings; the placeholder contacts as one line
/// with their count unless `verbose` (review E3: 16 of them came first on
/// every run, before the error that mattered).
pub fn run(dir: &Path, laws: Option<&Path>, verbose: bool, out: &mut impl Write) -> std::io::Result<bool> {
    if !dir.join("dialogs").is_dir() {
        writeln!(
            out,
            "{}: no content here (no dialogs/ folder): run this in the content directory or give --content DIR",
            dir.display()
        )?;
        return Ok(true);
    }
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
    let placeholder = |d: &crate::content::Diagnostic| d.kind == crate::content::Kind::Placeholder;
    for d in diags.errors() {
        writeln!(out, "{d}")?;
    }
    let warnings: Vec<_> = diags.items.iter().filter(|d| d.severity == crate::content::Severity::Warning).collect();
    for d in warnings.iter().filter(|d| verbose || !placeholder(d)) {
        writeln!(out, "{d}")?;
    }
    let placeholders: Vec<_> = warnings.iter().filter(|d| placeholder(d)).collect();
    if !verbose && !placeholders.is_empty() {
        let files: std::collections::BTreeSet<String> =
            placeholders.iter().map(|d| d.file.display().to_string()).collect();
        writeln!(
            out,
            "warning[placeholder]: {} contacts are still placeholders (待核实) in {}: fill them in before deploying (--verbose lists them)",
            placeholders.len(),
            files.into_iter().collect::<Vec<_>>().join(", ")
        )?;
    }
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
