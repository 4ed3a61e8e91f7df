//! `xinfang-guide report --year YYYY`: the year's figures (`analysis::keep`
//! folds and keeps the daily aggregates they are made of).
//!
//! sled admits one process per data dir, so when the server holds it the
//! command asks the server (`GET /admin/report`, loopback, admin token).

use crate::analysis::keep::from_store;
use crate::analysis::year::{Names, YearReport};
use crate::store::sled_store::SledOptions;
use crate::store::{SledStore, Store, StoreError};
use anyhow::{Context, bail};

/// Opens the data dir if it is free; otherwise asks the server holding it.
pub async fn fetch(place: &super::Place, y: i32, now: i64, names: &Names) -> anyhow::Result<YearReport> {
    if let Some(store) = place.shared().await? {
        return from_store(&*store, y, now, names).await.context("reading the query log and daily figures");
    }
    let (data, server) = (place.data.as_path(), place.server.as_deref());
    if !data.join("conf").exists() && !data.join("db").exists() {
        bail!("data dir {} holds no data (wrong --data?)", data.display());
    }
    match SledStore::open(data, &SledOptions::default()) {
        Ok(store) => {
            let r = from_store(&*store, y, now, names).await.context("reading the query log and daily figures")?;
            store.flush().await.context("saving the daily figures")?;
            Ok(r)
        }
        Err(StoreError::Locked(why)) => {
            let running = super::server::Running::find(data, server, &why)?;
            let resp = running.send(running.get("/admin/report").query(&[("year", y.to_string())])).await?;
            resp.json().await.context("reading the server's report")
        }
        Err(e) => Err(e).with_context(|| format!("opening data dir {}", data.display())),
    }
}
