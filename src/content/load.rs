//! Reads the content directory: `dialogs/*.toml`, `faq/*.toml`,
//! `config/directory.toml`. Parse errors become diagnostics with lines.

use super::diag::{Diagnostics, Kind, Source};
use super::raw::{CommandsFile, DeadlinesFile, DialogFile, DirectoryFile, FaqFile};
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
}

pub const COMMANDS_FILE: &str = "commands.toml";

pub fn read_dir(root: &Path, diags: &mut Diagnostics) -> RawContent {
    let mut raw = RawContent::default();
    for path in toml_files(&root.join("dialogs"), diags) {
        if path.file_name().is_some_and(|n| n == COMMANDS_FILE) {
            raw.commands = parse_file(&path, diags);
        } else if let Some(parsed) = parse_file(&path, diags) {
            raw.dialogs.push(parsed);
        }
    }
    if raw.commands.is_none() {
        let path = root.join("dialogs").join(COMMANDS_FILE);
        diags.error(&path, 1, Kind::Syntax, "missing file: start node and global commands live here");
    }
    for path in toml_files(&root.join("faq"), diags) {
        if let Some(parsed) = parse_file(&path, diags) {
            raw.faq.push(parsed);
        }
    }
    let dir_path = root.join("config").join("directory.toml");
    raw.directory = parse_file(&dir_path, diags);
    let deadlines = root.join("config").join(DEADLINES_FILE);
    if deadlines.exists() {
        raw.deadlines = parse_file(&deadlines, diags);
    }
    raw
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
            let line = e.span().map(|s| source.line(s)).unwrap_or(1);
            diags.error(path, line, Kind::Syntax, e.message().to_string());
            None
        }
    }
}
