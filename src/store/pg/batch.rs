//! Commits of concurrent turns sharing one statement (`[store]
//! batch_commits`): turns that arrive while a batch is in flight wait
//! together and go to the database as one statement, one transaction and
//! one WAL flush, instead of one each. Each session's compare-and-swap is
//! still decided on its own: the statement updates (or inserts) every
//! session whose version is still the expected one and inserts the log
//! records of exactly those turns; the others are `Conflict`, as alone.
//!
//! A turn's reply still waits for the `COMMIT` of its batch. An error fails
//! every turn of the batch (none was written: one transaction); a deadlock
//! with another instance's batch (PostgreSQL aborts one of the two) makes
//! the aborted batch's turns `Conflict`, so each is re-run on a fresh load.

use super::{Failed, PgError};
use crate::store::StoreError;
use deadpool_postgres::Pool;
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::types::Json;

/// Turns in one statement at most.
const MAX_BATCH: usize = 128;
/// Batches in flight at once per instance.
const IN_FLIGHT: usize = 2;

/// One turn's writes, ready for the statement's arrays.
pub struct Pending {
    pub channel: String,
    pub user: String,
    pub version: i64,
    /// `None`: a new session (insert if absent).
    pub old: Option<i64>,
    pub last_active: i64,
    pub session: serde_json::Value,
    pub ts: i64,
    pub log_channel: String,
    pub category: Option<String>,
    pub danger: Option<String>,
    pub body: serde_json::Value,
    pub shown: String,
    /// Search terms joined by spaces (terms hold only letters and digits).
    pub terms: String,
}

struct Job {
    turn: Pending,
    done: oneshot::Sender<std::result::Result<bool, Failed>>,
}

#[derive(Debug, Clone)]
pub struct Batcher {
    tx: mpsc::Sender<Job>,
}

/// One statement for a whole batch: the inputs as parallel arrays, the
/// updates and inserts of the sessions, the log rows of the turns that won,
/// and their ordinals back.
const STATEMENT: &str = "WITH i AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::jsonb[], $6::bigint[],
                         $7::bigint[], $8::text[], $9::text[], $10::text[], $11::jsonb[], $12::text[], $13::text[])
      WITH ORDINALITY AS t(ch, u, v, last_active, sbody, old, ts, lch, category, danger, body, shown, terms, n)
  ),
  upd AS (
    UPDATE sessions s SET version = i.v, last_active = i.last_active, body = i.sbody
    FROM i WHERE i.old IS NOT NULL AND s.channel = i.ch AND s.\"user\" = i.u AND s.version = i.old
    RETURNING i.n
  ),
  fresh AS (SELECT DISTINCT ON (ch, u) * FROM i WHERE old IS NULL ORDER BY ch, u, n),
  ins AS (
    INSERT INTO sessions (channel, \"user\", version, last_active, body)
    SELECT ch, u, v, last_active, sbody FROM fresh ORDER BY ch, u
    ON CONFLICT DO NOTHING RETURNING channel, \"user\"
  ),
  won AS (
    SELECT n FROM upd
    UNION ALL
    SELECT fresh.n FROM fresh JOIN ins ON ins.channel = fresh.ch AND ins.\"user\" = fresh.u
  ),
  logged AS (
    INSERT INTO log (ts, s_channel, s_user, channel, category, danger, body, shown, terms)
    SELECT i.ts, i.ch, i.u, i.lch, i.category, i.danger, i.body, i.shown,
           array_to_tsvector(string_to_array(i.terms, ' '))
    FROM i JOIN won USING (n) ORDER BY i.n
  )
  SELECT n FROM won";

impl Batcher {
    /// Starts the task that gathers and runs batches on `pool`.
    pub fn start(pool: Pool) -> Self {
        let (tx, rx) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run(pool, rx));
        Self { tx }
    }

    /// Commits one turn with whatever others are waiting; true when its
    /// compare-and-swap won.
    pub async fn commit(&self, turn: Pending) -> std::result::Result<bool, Failed> {
        let (done, rx) = oneshot::channel();
        self.tx.send(Job { turn, done }).await.map_err(|_| Failed::Not(StoreError::Closed))?;
        rx.await.map_err(|_| Failed::Not(StoreError::Closed))?
    }
}

async fn run(pool: Pool, mut rx: mpsc::Receiver<Job>) {
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    while let Some(first) = rx.recv().await {
        // Wait for a free slot first: the turns arriving meanwhile join.
        let Ok(permit) = slots.clone().acquire_owned().await else { return };
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        let pool = pool.clone();
        tokio::spawn(async move {
            let outcome = execute(&pool, &jobs).await;
            // The commits made durable together: the same figure as sled's group flush.
            metrics::histogram!("xg_store_flush_batch").record(jobs.len() as f64);
            match outcome {
                Ok(won) => {
                    for (i, j) in jobs.into_iter().enumerate() {
                        let _ = j.done.send(Ok(won.contains(&(i as i64 + 1))));
                    }
                }
                Err(e) if retryable(&e) => {
                    for j in jobs {
                        let _ = j.done.send(Ok(false));
                    }
                }
                Err(e) => {
                    let e = Failed::from(e);
                    for j in jobs {
                        let _ = j.done.send(Err(e.clone()));
                    }
                }
            }
            drop(permit);
        });
    }
}

/// Deadlock with another batch or a serialization failure: the whole
/// transaction was rolled back, so every turn in it may simply be re-run.
fn retryable(e: &PgError) -> bool {
    matches!(e, PgError::Pg(pg) if pg.code().is_some_and(|c| c.code() == "40P01" || c.code() == "40001"))
}

/// Runs the statement; the 1-based positions in `jobs` of the turns that won.
async fn execute(pool: &Pool, jobs: &[Job]) -> std::result::Result<Vec<i64>, PgError> {
    let t: Vec<&Pending> = jobs.iter().map(|j| &j.turn).collect();
    let ch: Vec<&str> = t.iter().map(|p| p.channel.as_str()).collect();
    let u: Vec<&str> = t.iter().map(|p| p.user.as_str()).collect();
    let v: Vec<i64> = t.iter().map(|p| p.version).collect();
    let last: Vec<i64> = t.iter().map(|p| p.last_active).collect();
    let sbody: Vec<Json<&serde_json::Value>> = t.iter().map(|p| Json(&p.session)).collect();
    let old: Vec<Option<i64>> = t.iter().map(|p| p.old).collect();
    let ts: Vec<i64> = t.iter().map(|p| p.ts).collect();
    let lch: Vec<&str> = t.iter().map(|p| p.log_channel.as_str()).collect();
    let category: Vec<Option<&str>> = t.iter().map(|p| p.category.as_deref()).collect();
    let danger: Vec<Option<&str>> = t.iter().map(|p| p.danger.as_deref()).collect();
    let body: Vec<Json<&serde_json::Value>> = t.iter().map(|p| Json(&p.body)).collect();
    let shown: Vec<&str> = t.iter().map(|p| p.shown.as_str()).collect();
    let terms: Vec<&str> = t.iter().map(|p| p.terms.as_str()).collect();
    let client = pool.get().await?;
    let st = client.prepare_cached(STATEMENT).await?;
    let rows = client
        .query(&st, &[&ch, &u, &v, &last, &sbody, &old, &ts, &lch, &category, &danger, &body, &shown, &terms])
        .await
        .map_err(PgError::running)?;
    Ok(rows.iter().map(|r| r.get::<_, i64>(0)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_deadlocks_and_serialization_failures_are_retried_as_conflicts() {
        let e = PgError::Json(serde_json::from_str::<u8>("x").unwrap_err());
        assert!(!retryable(&e));
    }
}
