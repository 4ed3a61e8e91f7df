//! `xinfang-guide backup --to FILE` and `restore FILE --data DIR`.
//!
//! A backup is taken while the server runs: sled admits one process per
//! data dir, so the command asks the server holding it (`GET
//! /admin/backup`, with the data dir's admin token, like `stats`) and, when
//! no server holds it, reads the data dir itself. The file is written as
//! `FILE.part` (mode 0600), checked whole (its SHA-256) and only then
//! renamed to `FILE`. A PostgreSQL store is backed up with `pg_dump`.

use super::Place;
use crate::store::backup::{Summary, verify};
use crate::store::sled_store::SledOptions;
use crate::store::sled_store::backup::Restored;
use crate::store::{SledStore, StoreError};
use anyhow::{Context, bail};
use std::io::Write;
use std::path::{Path, PathBuf};

pub async fn backup(place: &Place, to: &Path, now: i64) -> anyhow::Result<Summary> {
    if crate::store::is_shared(&place.store) {
        bail!("the store is a PostgreSQL database: back it up with pg_dump (see the README), not with this command");
    }
    let data = place.data.as_path();
    if !data.join("conf").exists() && !data.join("db").exists() {
        bail!("data dir {} holds no data (wrong --data?)", data.display());
    }
    let part = PathBuf::from(format!("{}.part", to.display()));
    let _ = std::fs::remove_file(&part);
    let file = crate::datadir::owner_only()
        .open(&part)
        .with_context(|| format!("creating {} (does its directory exist?)", part.display()))?;
    let written = write(place, data, file, now).await;
    let checked = written.and_then(|()| {
        let f = std::fs::File::open(&part).context("reading the backup back")?;
        let (_, summary) = verify(std::io::BufReader::new(f)).context("checking the backup")?;
        Ok(summary)
    });
    match checked {
        Ok(summary) => {
            std::fs::rename(&part, to).with_context(|| format!("renaming {} to {}", part.display(), to.display()))?;
            if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
                let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
            }
            Ok(summary)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            Err(e)
        }
    }
}

/// Writes the backup into `file`: from the data dir when it is free, else
/// from the server holding it.
async fn write(place: &Place, data: &Path, file: std::fs::File, now: i64) -> anyhow::Result<()> {
    match SledStore::open(data, &SledOptions::default()) {
        Ok(store) => {
            let mut out = std::io::BufWriter::new(file);
            store.backup_to(&mut out, now).context("writing the backup")?;
            let file = out.into_inner().map_err(|e| e.into_error()).context("writing the backup")?;
            file.sync_all().context("writing the backup")?;
            Ok(())
        }
        Err(StoreError::Locked(why)) => {
            let running = super::server::Running::find(data, place.server.as_deref(), &why)?;
            let mut resp = running.send(running.get("/admin/backup")).await?;
            let mut out = std::io::BufWriter::new(file);
            while let Some(chunk) =
                resp.chunk().await.with_context(|| format!("the backup from {} was cut off", running.base))?
            {
                out.write_all(&chunk).context("writing the backup")?;
            }
            let file = out.into_inner().map_err(|e| e.into_error()).context("writing the backup")?;
            file.sync_all().context("writing the backup")?;
            Ok(())
        }
        Err(e) => Err(e).with_context(|| format!("opening data dir {}", data.display())),
    }
}

/// What a backup holds, in one line.
pub fn describe(s: &Summary) -> String {
    format!(
        "{} sessions, {} log records, {} tickets, {} records (accounts, audit, figures, alerts…), {} log files ({} bytes)",
        s.sessions, s.log, s.tickets, s.records, s.files, s.file_bytes
    )
}

/// Restores `file` into the new data dir `data` and reads it back.
pub fn restore(file: &Path, data: &Path) -> anyhow::Result<Restored> {
    let r = crate::store::sled_store::backup::restore(file, data)
        .with_context(|| format!("restoring {} into {}", file.display(), data.display()))?;
    Ok(r)
}
