//! The daily aggregates the year's figures are made of, kept in the store.
//!
//! Daily aggregates live in the store's record space `daily`, one record per
//! China-time day (key YYYY-MM-DD), written with compare-and-swap so several
//! instances sharing a store agree (folding a complete day is deterministic:
//! whoever writes first, the record is the same). A day is folded once it is
//! complete (`COMPLETE_AFTER_SECS` after its end): by the server's hourly
//! upkeep, right before a retention purge deletes anything, and on demand
//! when a report needs a complete day that has no record yet. Days not yet
//! complete (today) are folded from the log for each report and not stored.
//! Unlike the folds beside it, this reads and writes the store (through the
//! `Store` trait); the caller still passes `now`.

use super::daily::{self, DayAgg};
use super::year::{self, Names, YearReport};
use super::{day_of, day_start};
use crate::store::{Store, StoreError};
use std::collections::HashMap;
use time::Date;

/// A day is folded into its record this long after it ended (no message of
/// that day can still be on its way into the log).
pub const COMPLETE_AFTER_SECS: i64 = 600;
/// Log records read per page.
const PAGE: usize = 5_000;

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// The day's aggregate, folded from the log.
pub async fn fold_day(store: &dyn Store, date: Date) -> Result<DayAgg, StoreError> {
    let (start, end) = (day_start(date), date.next_day().map_or(i64::MAX, day_start));
    let mut fold = daily::DayFold::new(date);
    let mut cursor = None;
    loop {
        let page = store.log_range(start, end, cursor, PAGE).await?;
        cursor = page.last().map(|e| (e.record.ts, e.id));
        for e in &page {
            fold.add(&e.record);
        }
        if page.len() < PAGE {
            return Ok(fold.finish());
        }
    }
}

/// The stored aggregates whose key starts with `prefix` ("2026-", "" = all).
pub async fn stored(store: &dyn Store, prefix: &str) -> Result<HashMap<String, (Vec<u8>, DayAgg)>, StoreError> {
    let rows = store.record_scan(daily::SPACE, prefix, usize::MAX).await?;
    let mut out = HashMap::new();
    for (k, v) in rows {
        let agg: DayAgg = serde_json::from_slice(&v).map_err(corrupt)?;
        out.insert(k, (v, agg));
    }
    Ok(out)
}

/// Whether `date` is over at `now` (and its messages all logged).
fn complete(date: Date, now: i64) -> bool {
    date.next_day().is_some_and(|d| day_start(d) + COMPLETE_AFTER_SECS <= now)
}

/// Folds `date` and stores it unless a current record is there already;
/// returns the stored aggregate.
async fn fold_and_keep(store: &dyn Store, date: Date, old: Option<&[u8]>) -> Result<DayAgg, StoreError> {
    let agg = fold_day(store, date).await?;
    let bytes = serde_json::to_vec(&agg).map_err(corrupt)?;
    if !store.record_cas(daily::SPACE, &date.to_string(), old, Some(&bytes)).await? {
        // Another instance wrote it meanwhile: theirs is the same fold.
        if let Some(v) = store.record_get(daily::SPACE, &date.to_string()).await? {
            return serde_json::from_slice(&v).map_err(corrupt);
        }
    }
    Ok(agg)
}

/// Stores the aggregate of every complete day the log holds that has no
/// current record yet (run hourly and before a retention purge). Returns
/// how many days were folded.
pub async fn fold_complete_days(store: &dyn Store, now: i64) -> Result<usize, StoreError> {
    let Some(first) = store.log_range(0, i64::MAX, None, 1).await?.first().map(|e| e.record.ts) else {
        return Ok(0);
    };
    let (Some(mut d), Some(today)) = (day_of(first), day_of(now)) else { return Ok(0) };
    let have = stored(store, "").await?;
    let mut folded = 0;
    while d < today && complete(d, now) {
        let old = have.get(&d.to_string());
        if old.is_none_or(|(_, a)| refold(a, d, first)) {
            fold_and_keep(store, d, old.map(|(raw, _)| raw.as_slice())).await?;
            folded += 1;
        }
        let Some(next) = d.next_day() else { break };
        d = next;
    }
    Ok(folded)
}

/// Whether a stored record of `date` is refolded from the log (whose first
/// record is at `first_ts`): only when it is of an older version and the log
/// still holds the whole day — retention cuts at a time of day, so the
/// oldest day in the log may be partly gone, and its record is what is left
/// of it. A record of a newer version (an instance already upgraded) stays.
fn refold(old: &DayAgg, date: Date, first_ts: i64) -> bool {
    old.version < daily::VERSION && first_ts <= day_start(date)
}

/// Every day of `year` up to `now` with data: stored records where they
/// exist, complete days folded and stored on demand, today folded fresh.
pub async fn year_days(store: &dyn Store, year: i32, now: i64) -> Result<Vec<DayAgg>, StoreError> {
    let have = stored(store, &format!("{year:04}-")).await?;
    let first_ts = store.log_range(0, i64::MAX, None, 1).await?.first().map(|e| e.record.ts);
    let first_log = first_ts.and_then(day_of);
    let (Ok(mut d), Some(today)) = (Date::from_ordinal_date(year, 1), day_of(now)) else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    while d.year() == year && d <= today {
        let old = have.get(&d.to_string());
        let in_log = first_log.is_some_and(|f| d >= f);
        match old {
            Some((_, a)) if !first_ts.is_some_and(|t| refold(a, d, t)) => out.push(a.clone()),
            _ if !in_log => {}
            _ if complete(d, now) => out.push(fold_and_keep(store, d, old.map(|(raw, _)| raw.as_slice())).await?),
            _ => out.push(fold_day(store, d).await?),
        }
        let Some(next) = d.next_day() else { break };
        d = next;
    }
    Ok(out)
}

/// The year report from a store.
pub async fn from_store(store: &dyn Store, y: i32, now: i64, names: &Names) -> Result<YearReport, StoreError> {
    let days = year_days(store, y, now).await?;
    Ok(year::build(y, &days, names))
}

/// A year the report can be about.
pub fn check_year(y: i32) -> Result<i32, String> {
    if (2000..=2100).contains(&y) { Ok(y) } else { Err(format!("--year {y} is not a year between 2000 and 2100")) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::testlog::rec;
    use crate::engine::session::{Session, SessionKey};
    use crate::store::MemStore;

    async fn put(store: &MemStore, r: &crate::engine::reply::LogRecord) {
        let key = SessionKey::parse(&r.channel, &r.user).expect("key");
        let v = store.load(&key).await.expect("load").map(|s| s.version);
        let s = Session::new(key, "main", r.ts);
        assert!(matches!(store.commit(v, &s, r).await.expect("commit"), crate::store::Commit::Done { .. }));
    }

    #[tokio::test]
    async fn complete_days_are_kept_and_the_year_survives_retention() {
        let store = MemStore::default();
        let d1 = time::macros::date!(2026 - 03 - 01);
        let t1 = day_start(d1);
        for (i, u) in ["a", "b", "a"].iter().enumerate() {
            put(&store, &rec(t1 + 100 + i as i64, u, Some("labor"), "老板欠薪")).await;
        }
        let now = t1 + 2 * 86_400 + 3600;
        put(&store, &rec(now - 60, "c", Some("family"), "离婚")).await;
        assert_eq!(fold_complete_days(&store, now).await.expect("fold"), 2, "03-01 and the empty 03-02");
        assert_eq!(fold_complete_days(&store, now).await.expect("fold"), 0, "nothing twice");
        // Retention deletes the messages of 03-01; the figures stay.
        store.remove_log_before(t1 + 86_400).await.expect("purge");
        let r = from_store(&store, 2026, now, &Names::default()).await.expect("report");
        assert_eq!((r.people, r.messages, r.days_with_data), (3, 4, 2), "2 people on 03-01, 1 today");
        assert_eq!(r.months[2].people, 3);
    }

    /// After an upgrade (a new record version), a day whose messages
    /// retention has partly deleted keeps its record: refolding what is
    /// left would lose the rest. A day the log holds whole is refolded.
    #[tokio::test]
    async fn an_older_record_is_refolded_only_from_a_whole_day() {
        let store = MemStore::default();
        let d1 = time::macros::date!(2026 - 03 - 01);
        let t1 = day_start(d1);
        for (i, u) in ["a", "b", "c"].iter().enumerate() {
            put(&store, &rec(t1 + 100 + 3600 * i as i64, u, Some("labor"), "老板欠薪")).await;
        }
        put(&store, &rec(t1 + 86_400 + 100, "d", Some("labor"), "老板欠薪")).await;
        let now = t1 + 3 * 86_400;
        assert_eq!(fold_complete_days(&store, now).await.expect("fold"), 2);
        // Both days' records as an older version wrote them.
        for d in [d1, d1.next_day().expect("a day")] {
            let (raw, mut a) =
                stored(&store, &d.to_string()).await.expect("read").remove(&d.to_string()).expect("kept");
            a.version = daily::VERSION - 1;
            let older = serde_json::to_vec(&a).expect("json");
            assert!(store.record_cas(daily::SPACE, &d.to_string(), Some(&raw), Some(&older)).await.expect("cas"));
        }
        // Retention has cut 03-01 at 01:30: a and its hour are gone, b and c remain.
        store.remove_log_before(t1 + 5400).await.expect("purge");
        assert_eq!(fold_complete_days(&store, now).await.expect("fold"), 1, "03-02 only: the log holds it whole");
        let r = from_store(&store, 2026, now, &Names::default()).await.expect("report");
        assert_eq!(r.months[2].people, 4, "03-01 still counts a, b and c");
        let kept = stored(&store, "2026-03-01").await.expect("read");
        assert_eq!(kept["2026-03-01"].1.version, daily::VERSION - 1, "the older record is kept");
        assert_eq!(stored(&store, "2026-03-02").await.expect("read")["2026-03-02"].1.version, daily::VERSION);
    }
}
