//! `xinfang-guide stats`: the report for a source tag and date range.
//!
//! sled admits one process per data dir, so when the server holds it the
//! command asks the server instead (`GET /admin/stats`, loopback only).

use crate::stats::{self, Query, Report, from_store};
use crate::store::sled_store::SledOptions;
use crate::store::{SledStore, StoreError};
use anyhow::{Context, bail};

/// Reads the shared database when one is set; else opens the data dir if
/// it is free, or asks the server holding it.
pub async fn fetch(place: &super::Place, q: &Query) -> anyhow::Result<Report> {
    if let Some(store) = place.shared().await? {
        return from_store(&*store, q).await.context("reading the query log");
    }
    let (data, server) = (place.data.as_path(), place.server.as_deref());
    if !data.join("conf").exists() && !data.join("db").exists() {
        bail!("data dir {} holds no data (wrong --data?)", data.display());
    }
    match SledStore::open(data, &SledOptions::default()) {
        Ok(store) => {
            let r = from_store(&*store, q).await.context("reading the query log")?;
            Ok(r)
        }
        Err(StoreError::Locked(why)) => {
            let running = super::server::Running::find(data, server, &why)?;
            let mut query = vec![("from", q.from.to_string()), ("to", q.to.to_string())];
            if let Some(src) = &q.src {
                query.push(("src", src.clone()));
            }
            let resp = running.send(running.get("/admin/stats").query(&query)).await?;
            resp.json().await.context("reading the server's report")
        }
        Err(e) => Err(e).with_context(|| format!("opening data dir {}", data.display())),
    }
}

/// The report as a table (categories by their Chinese names from
/// `names`), CSV (Chinese column names, or English with `en_header`) or JSON.
pub fn render(
    r: &Report,
    format: &str,
    names: &std::collections::BTreeMap<String, String>,
    en_header: bool,
) -> anyhow::Result<String> {
    Ok(match format {
        "table" => stats::table(r, |id| names.get(id).cloned().unwrap_or_else(|| id.to_string())),
        "csv" => stats::csv(r, en_header),
        "json" => serde_json::to_string_pretty(r)? + "\n",
        other => bail!("unknown format {other:?} (table, csv or json)"),
    })
}

/// Category names by id from the content's directory, or none when the
/// content cannot be read (the table then shows ids).
pub fn category_names(content: &std::path::Path) -> std::collections::BTreeMap<String, String> {
    match crate::content::load(content) {
        (Some(c), _) => c.directory.categories.iter().map(|(id, c)| (id.clone(), c.name.clone())).collect(),
        (None, _) => Default::default(),
    }
}

/// The days a `stats` run covers: `--from`/`--to` as given, `--today`, or
/// by default the last 30 days up to today (China time).
pub fn days(from: Option<&str>, to: Option<&str>, today_only: bool, now: i64) -> anyhow::Result<(String, String)> {
    let today = crate::engine::dates::today(now).context("reading the clock")?;
    if today_only {
        if from.is_some() || to.is_some() {
            bail!("--today cannot be combined with --from/--to");
        }
        return Ok((today.to_string(), today.to_string()));
    }
    let to = to.map_or_else(|| today.to_string(), str::to_string);
    let from = match from {
        Some(f) => f.to_string(),
        None => {
            let end = stats::parse_day(&to).with_context(|| format!("--to {to:?} is not a date (YYYY-MM-DD)"))?;
            (end - time::Duration::days(29)).to_string()
        }
    };
    Ok((from, to))
}
