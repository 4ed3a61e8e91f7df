//! Online backup of a data dir while the server runs, and restore into a
//! new one (the file format: `store::backup`).
//!
//! sled has no snapshot across trees, so the copy is ordered to be one: the
//! `sessions` tree first, the other small trees next, then `shown` and
//! `log`, then the segment files. A turn writes its segment body, its reply
//! text and its log record *before* its session (see the module above), so
//! every session copied — every turn acknowledged before the backup began —
//! finds its records, texts and bodies copied after it. Records of turns
//! that commit during the copy may come without their session: they are
//! exactly what a crash leaves, and the first open of the restored dir
//! removes them (`recover::orphans`), so the restored dir is the data dir as
//! it was when its sessions were read. The sweep and retention, which
//! delete, wait while a backup runs (`Trees::maintenance`).

use super::{OPEN, SledStore, io};
use crate::store::StoreError;
use crate::store::backup::{BackupError, Frame, Header, Reader, Summary, Writer};
use std::io::Write;
use std::path::Path;

/// Trees copied before all others, and the ones copied last, in order.
const FIRST: &str = "sessions";
const LAST: [&str; 2] = ["shown", "log"];

impl SledStore {
    /// Writes a backup of everything this data dir holds to `out`.
    pub fn backup_to(&self, out: &mut dyn Write, now: i64) -> Result<Summary, BackupError> {
        let t = &self.trees;
        let _quiet = t.maintenance.lock().map_err(|_| StoreError::Closed)?;
        let header = Header { version: env!("CARGO_PKG_VERSION").into(), store: "sled".into(), created: now };
        let mut w = Writer::new(out, &header)?;
        let mut names: Vec<String> = self
            .db
            .tree_names()
            .iter()
            .filter_map(|n| std::str::from_utf8(n).ok().map(str::to_string))
            .filter(|n| n != FIRST && !LAST.contains(&n.as_str()))
            .collect();
        names.sort();
        names.insert(0, FIRST.to_string());
        names.extend(LAST.iter().map(|n| n.to_string()));
        let mut sum = Summary::default();
        for name in &names {
            let tree = self.db.open_tree(name).map_err(io)?;
            w.frame(b'T', &[name.as_bytes()])?;
            let mut n = 0u64;
            for item in tree.iter() {
                let (k, v) = item.map_err(io)?;
                w.frame(b'K', &[&k, &v])?;
                n += 1;
            }
            sum.entries += n;
            match name.as_str() {
                "sessions" => sum.sessions = n,
                "log" => sum.log = n,
                "tickets" => sum.tickets = n,
                other if other.starts_with("rec:") => sum.records += n,
                _ => {}
            }
        }
        // Each segment as long as it is now: every body a copied record
        // points to was written before the record.
        for n in t.segments.segments()? {
            let path = t.segments.file(n);
            let mut f = match std::fs::File::open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(StoreError::Io(format!("{}: {e}", path.display())).into()),
            };
            let len = f.metadata().map_err(io)?.len();
            w.file(&format!("segments/{n:08}.seg"), len, &mut f)?;
            sum.files += 1;
            sum.file_bytes += len;
        }
        w.finish(&sum)?;
        Ok(sum)
    }
}

/// A file name a backup may hold: `segments/<digits>.seg`, nothing else.
fn segment_name(path: &str) -> Option<&str> {
    let name = path.strip_prefix("segments/")?;
    let digits = name.strip_suffix(".seg")?;
    (!digits.is_empty() && digits.len() <= 10 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(name)
}

/// What `restore` found in the file and what the restored dir holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Restored {
    pub header: Header,
    pub summary: Summary,
    /// Sessions and readable log records in the restored data dir.
    pub sessions: usize,
    pub log: usize,
    /// Records of turns that were committing while the backup ran, without
    /// their session (removed, as after a crash).
    pub unanswered: usize,
}

/// Restores the backup at `file` into `dir`, which must not exist or be
/// empty: checks the whole file first, writes the trees and segments, opens
/// the result as a store (recovery runs) and reads every record back.
pub fn restore(file: &Path, dir: &Path) -> Result<Restored, BackupError> {
    let open = || std::fs::File::open(file).map(std::io::BufReader::new);
    let (header, summary) = crate::store::backup::verify(open()?)?;
    if header.store != "sled" {
        return Err(BackupError::Damaged(format!("a backup of a {} store, not of a data dir", header.store)));
    }
    if std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
        return Err(StoreError::Locked(format!("{} is not empty: restore into a new directory", dir.display())).into());
    }
    std::fs::create_dir_all(dir.join("segments"))?;
    restrict(dir)?;
    {
        let db = sled::Config::new().path(dir).open().map_err(io)?;
        let mut r = Reader::new(open()?)?;
        let mut tree = None;
        while let Some(frame) = r.next_frame()? {
            match frame {
                Frame::Tree(name) => tree = Some(db.open_tree(name).map_err(io)?),
                Frame::Entry(k, v) => {
                    let t = tree.as_ref().ok_or_else(|| BackupError::Damaged("an entry before any tree".into()))?;
                    t.insert(k, v).map_err(io)?;
                }
                Frame::File(path, bytes) => {
                    let name = segment_name(&path)
                        .ok_or_else(|| BackupError::Damaged(format!("a file the backup may not hold: {path:?}")))?;
                    let mut f = std::fs::File::create(dir.join("segments").join(name))?;
                    f.write_all(&bytes)?;
                    f.sync_all()?;
                }
                Frame::Header(_) | Frame::Summary(_) => {}
            }
        }
        // As after a crash: the first open removes records without their session.
        db.open_tree("meta").map_err(io)?.insert(OPEN, &b"1"[..]).map_err(io)?;
        db.flush().map_err(io)?;
    }
    let store = SledStore::open(dir, &super::SledOptions::default())?;
    let sessions = store.trees.sessions.len();
    let mut log = 0;
    for item in store.trees.log.iter() {
        let (k, v) = item.map_err(io)?;
        if store.trees.body(&v)?.is_none() {
            return Err(BackupError::Damaged(format!("log record {} has no body", hex(&k))));
        }
        log += 1;
    }
    drop(store);
    let unanswered = usize::try_from(summary.log).unwrap_or(usize::MAX).saturating_sub(log);
    Ok(Restored { header, summary, sessions, log, unanswered })
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(unix)]
fn restrict(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

#[cfg(not(unix))]
fn restrict(_: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::segment_name;

    #[test]
    fn only_segment_files_are_restored() {
        assert_eq!(segment_name("segments/00000003.seg"), Some("00000003.seg"));
        for bad in ["segments/../../etc/passwd", "segments/.seg", "db", "/segments/1.seg", "segments/1.seg/x"] {
            assert_eq!(segment_name(bad), None, "{bad}");
        }
    }
}
