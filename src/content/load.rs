//! Reads the content directory: `dialogs/*.toml`, `faq/*.toml`,
//! `config/directory.toml`, then the office's own `local/` over them
//! (`local/directory.toml`: contacts, entry by entry; `local/faq/*.toml`:
//! entries added, or replacing the shipped entry with their id). The
//! Debian package links `local/` to `/etc/xinfang-guide/local`, so an
//! office's edits survive upgrades. Parse errors become diagnostics with lines.

use super::diag::{Diagnostics, Kind, Source};
use super::raw::{CommandsFile, DeadlinesFile, DialogFile, DirectoryFile, DirectoryOverride, FaqFile};
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// Every raw file of one content directory, with its source for line numbers.
#[derive(Debug, Default)]
pub struct RawContent {
    pub dialogs: Vec<(Source, DialogFile)>,
    pub commands: Option<(Source, CommandsFile)>,
    pub directory: Option<(Source, DirectoryFile)>,
    pub faq: Vec<(Source, FaqFile)>,
    /// `config/deadlines.toml`, when there is one.
    pub deadlines: Option<(Source, DeadlinesFile)>,
    /// Ids of dialog nodes written in parts of files that could not be
    /// read (their error is reported): references to them are not
    /// reported again, and checks that need the whole graph are skipped.
    pub broken_ids: std::collections::HashSet<String>,
    /// The dialog files with such parts.
    pub broken_files: std::collections::HashSet<PathBuf>,
}

pub const COMMANDS_FILE: &str = "commands.toml";

pub fn read_dir(root: &Path, diags: &mut Diagnostics) -> RawContent {
    let mut raw = RawContent::default();
    for path in toml_files(&root.join("dialogs"), diags) {
        if path.file_name().is_some_and(|n| n == COMMANDS_FILE) {
            raw.commands = parse_file(&path, diags);
        } else {
            parse_dialog(&path, diags, &mut raw);
        }
    }
    if raw.commands.is_none() {
        let path = root.join("dialogs").join(COMMANDS_FILE);
        diags.error(&path, 1, Kind::Syntax, "missing file: start node and global commands live here");
    }
    for path in toml_files(&root.join("faq"), diags) {
        parse_faq(&path, diags, &mut raw);
    }
    let dir_path = root.join("config").join("directory.toml");
    raw.directory = parse_file(&dir_path, diags);
    let deadlines = root.join("config").join(DEADLINES_FILE);
    if deadlines.exists() {
        raw.deadlines = parse_file(&deadlines, diags);
    }
    let local = root.join(LOCAL_DIR);
    if local.is_dir() {
        read_local(&local, diags, &mut raw);
    }
    raw
}

/// The office's own content beside (or linked into) the shipped content.
pub const LOCAL_DIR: &str = "local";

/// Merges `local/` over the shipped files (see the module doc).
fn read_local(local: &Path, diags: &mut Diagnostics, raw: &mut RawContent) {
    let faq_dir = local.join("faq");
    if faq_dir.is_dir() {
        for path in toml_files(&faq_dir, diags) {
            let before = raw.faq.len();
            parse_faq(&path, diags, raw);
            if raw.faq.len() == before {
                continue;
            }
            let ids: std::collections::HashSet<String> =
                raw.faq[before].1.faq.iter().map(|f| f.id.get_ref().clone()).collect();
            for (_, file) in &mut raw.faq[..before] {
                file.faq.retain(|f| !ids.contains(f.id.get_ref()));
            }
        }
    }
    let dir_path = local.join("directory.toml");
    if !dir_path.exists() {
        return;
    }
    let Some((src, over)) = parse_file::<DirectoryOverride>(&dir_path, diags) else { return };
    let Some((_, shipped)) = raw.directory.as_mut() else { return };
    // Values keep the shipped file's positions: later checks point there.
    let at = |v: toml::Spanned<String>, like: std::ops::Range<usize>| toml::Spanned::new(like, v.into_inner());
    let office = |o: super::raw::RawOffice, like: Option<&super::raw::RawOffice>| {
        let span = |f: fn(&super::raw::RawOffice) -> std::ops::Range<usize>| like.map_or(0..0, f);
        super::raw::RawOffice {
            channel: o.channel.map(|c| at(c, span(|l| l.channel.as_ref().map_or(0..0, |x| x.span())))),
            name: at(o.name, span(|l| l.name.span())),
            address: at(o.address, span(|l| l.address.span())),
            phone: at(o.phone, span(|l| l.phone.span())),
            hours: at(o.hours, span(|l| l.hours.span())),
        }
    };
    if let Some(d) = over.deployment {
        shipped.deployment = super::raw::RawDeployment {
            name: at(d.name, shipped.deployment.name.span()),
            region: at(d.region, shipped.deployment.region.span()),
        };
    }
    for o in over.local {
        let Some(channel) = o.channel.as_ref().map(|c| c.get_ref().clone()) else {
            diags.error(&dir_path, src.line(o.name.span()), Kind::Invalid, "a [[local]] office needs its `channel`");
            continue;
        };
        if !shipped.channels.contains_key(&channel) {
            let msg = format!("unknown channel id `{channel}` (see config/directory.toml)");
            diags.error(&dir_path, src.line(o.name.span()), Kind::UnknownChannel, msg);
            continue;
        }
        match shipped.local.iter().position(|l| l.channel.as_ref().is_some_and(|c| c.get_ref() == &channel)) {
            Some(i) => shipped.local[i] = office(o, Some(&shipped.local[i])),
            None => shipped.local.push(office(o, None)),
        }
    }
    if let Some(h) = over.handoff {
        shipped.handoff = office(h, Some(&shipped.handoff));
    }
    if let Some(help) = over.free_help {
        shipped.free_help = help.into_iter().map(|h| at(h, 0..0)).collect();
    }
}

pub const DEADLINES_FILE: &str = "deadlines.toml";

fn toml_files(dir: &Path, diags: &mut Diagnostics) -> Vec<PathBuf> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            diags.error(dir, 1, Kind::Syntax, format!("cannot read directory: {e}"));
            return Vec::new();
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

/// Reads and parses one TOML file; problems become diagnostics.
pub fn parse_file<T: DeserializeOwned>(path: &Path, diags: &mut Diagnostics) -> Option<(Source, T)> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            diags.error(path, 1, Kind::Syntax, format!("cannot read file: {e}"));
            return None;
        }
    };
    let source = Source { path: path.to_path_buf(), text };
    match toml::from_str::<T>(&source.text) {
        Ok(v) => Some((source, v)),
        Err(e) => {
            report(&source, &e, diags);
            None
        }
    }
}

fn report(source: &Source, e: &toml::de::Error, diags: &mut Diagnostics) {
    let line = e.span().map(|s| source.line(s)).unwrap_or(1);
    diags.error(&source.path, line, Kind::Syntax, toml_message(&source.text, e));
}

/// A TOML error as an editor needs it: a duplicate key named, an unknown
/// field with the closest known one.
fn toml_message(text: &str, e: &toml::de::Error) -> String {
    let m = e.message().trim();
    let spanned = e.span().and_then(|s| text.get(s)).map(str::trim).filter(|k| !k.is_empty());
    if m.starts_with("duplicate key") {
        if let Some(key) = spanned {
            return format!("duplicate key `{key}`: it is written twice in the same table");
        }
    }
    if let Some(rest) = m.strip_prefix("unknown field `") {
        let field = rest.split('`').next().unwrap_or_default();
        let expected: Vec<&str> =
            rest.split("expected one of").nth(1).unwrap_or_default().split('`').skip(1).step_by(2).collect();
        if let Some(near) = super::near::closest(field, expected.iter().copied()) {
            return format!("{m}; did you mean `{near}`?");
        }
    }
    m.to_string()
}

/// A dialog file, node by node when the whole does not parse (`parse_tables`).
fn parse_dialog(path: &Path, diags: &mut Diagnostics, raw: &mut RawContent) {
    if let Some(file) =
        parse_tables(path, "[[node]]", diags, raw, |whole, part: DialogFile| whole.node.extend(part.node))
    {
        raw.dialogs.push(file);
    }
}

/// A FAQ file, entry by entry when the whole does not parse (review E1: a
/// slip in one entry dropped the whole file and every reference to it).
fn parse_faq(path: &Path, diags: &mut Diagnostics, raw: &mut RawContent) {
    if let Some(file) = parse_tables(path, "[[faq]]", diags, raw, |whole, part: FaqFile| whole.faq.extend(part.faq)) {
        raw.faq.push(file);
    }
}

/// A file of `marker` tables (`[[node]]`, `[[faq]]`). When it is not valid
/// TOML or a table has an unknown or missing field, each table is read on
/// its own: the good ones are kept (`join` adds one to the whole), each bad
/// one is reported once, and its id is noted as known so references to it
/// do not cascade into more errors. `None`: nothing could be read.
fn parse_tables<F: DeserializeOwned + Default>(
    path: &Path,
    marker: &str,
    diags: &mut Diagnostics,
    raw: &mut RawContent,
    join: impl Fn(&mut F, F),
) -> Option<(Source, F)> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            diags.error(path, 1, Kind::Syntax, format!("cannot read file: {e}"));
            return None;
        }
    };
    let source = Source { path: path.to_path_buf(), text };
    let whole = match toml::from_str::<F>(&source.text) {
        Ok(v) => return Some((source, v)),
        Err(e) => e,
    };
    let starts = table_starts(&source.text, marker);
    let ids = regex::Regex::new(r#"(?m)^\s*id\s*=\s*"([^"\n]*)""#).ok();
    let ids_in = |range: std::ops::Range<usize>, raw: &mut RawContent| {
        let chunk = &source.text[range];
        raw.broken_ids.extend(ids.iter().flat_map(|re| re.captures_iter(chunk)).map(|c| c[1].to_string()));
        raw.broken_files.insert(source.path.clone());
    };
    if starts.first().is_none_or(|&first| whole.span().is_some_and(|s| s.start < first)) {
        // Before the first table, or no tables to read one by one.
        report(&source, &whole, diags);
        ids_in(0..source.text.len(), raw);
        return None;
    }
    let mut file = F::default();
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(source.text.len());
        match toml::from_str::<F>(&only(&source.text, start..end)) {
            Ok(part) => join(&mut file, part),
            Err(e) => {
                report(&source, &e, diags);
                ids_in(start..end, raw);
            }
        }
    }
    Some((source, file))
}

/// Byte offsets of the lines that open a `marker` table (`[[node]]`).
fn table_starts(text: &str, marker: &str) -> Vec<usize> {
    let mut at = 0;
    let mut out = Vec::new();
    for line in text.split_inclusive('\n') {
        if line.trim() == marker {
            out.push(at);
        }
        at += line.len();
    }
    out
}

/// `text` with everything outside `keep` blanked (same byte offsets and
/// lines, so spans and line numbers stay those of the file).
fn only(text: &str, keep: std::ops::Range<usize>) -> String {
    text.char_indices()
        .map(|(i, c)| if keep.contains(&i) || c == '\n' { c.to_string() } else { " ".repeat(c.len_utf8()) })
        .collect()
}
