//! Reading a report from a store: the query log of the range, page by page,
//! folded into a `Report`. Used by the console's dashboard, the loopback
//! `/admin/stats` endpoint and the `stats` command alike.

use super::{Fold, Query, Report};
use crate::store::{Store, StoreError};

/// Log records read per page while folding a report.
const PAGE: usize = 2_000;

/// Reads the report for `q` from a store (the server's, or the CLI's own).
pub async fn from_store(store: &dyn Store, q: &Query) -> Result<Report, StoreError> {
    let (start, end) = q.range();
    let mut fold = Fold::new(q);
    let mut cursor = None;
    loop {
        let page = store.log_range(start, end, cursor, PAGE).await?;
        let full = page.len() == PAGE;
        cursor = page.last().map(|e| (e.record.ts, e.id));
        for e in &page {
            fold.add(&e.record);
        }
        if !full {
            break;
        }
    }
    Ok(fold.finish())
}
