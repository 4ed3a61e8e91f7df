//! `xinfang-guide check`: every problem in the content, with file:line.

use std::io::Write;
use std::path::Path;

/// Prints all diagnostics and a summary; returns whether there were errors.
pub fn run(dir: &Path, out: &mut impl Write) -> std::io::Result<bool> {
    let (loaded, diags) = crate::understand::load_all(dir);
    let content = loaded.map(|(c, _)| c);
    write!(out, "{diags}")?;
    let errors = diags.errors().count();
    let warnings = diags.items.len() - errors;
    match content {
        Some(c) => writeln!(
            out,
            "ok: {} nodes, {} FAQ entries, {} categories, {} channels ({warnings} warnings)",
            c.nodes.len(),
            c.faq.len(),
            c.directory.categories.len(),
            c.directory.channels.len()
        )?,
        None => writeln!(out, "{errors} errors, {warnings} warnings")?,
    }
    Ok(diags.has_errors())
}
