//! PostgreSQL store: several instances on one database. Each commit is one
//! statement, so one round trip and one transaction (with `batch_commits`,
//! one statement for all turns waiting together: `batch.rs`): the session's
//! compare-and-swap (`UPDATE … WHERE version = $n`, or `INSERT … ON
//! CONFLICT DO NOTHING` for a new one) feeds the log `INSERT` in a CTE, and
//! `execute` returns after `COMMIT` (with `synchronous_commit` on, after
//! the WAL reached the disk). No row inserted: someone else won, `Conflict`.
//!
//! A database that is down or restarting gives `StoreError::Unavailable`
//! (chat answers 503); the pool drops broken connections and opens new ones
//! when the database is back, so the server recovers by itself.
//!
//! A connection that dies while a commit statement is running leaves its
//! outcome unknown: PostgreSQL may have committed it (review N5: 44 turns
//! answered "not sent" were in). `commit` then looks before answering: the
//! session row at the new version with this turn's body means the turn is
//! in (`Done`); another version or body means it is not. Only when the
//! database cannot be asked within the pool's timeout does the error stand.

mod batch;
mod schema;
pub mod terms;

use super::{Commit, LogEntry, Store, StoreError, Swept, Ticket, next_version};
use crate::engine::reply::LogRecord;
use crate::engine::session::{Session, SessionKey};
use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::types::{Json, ToSql};
use tokio_postgres::{NoTls, Row};

pub use schema::{MIGRATIONS, latest as latest_schema};

/// How long a commit cut in flight is looked for before it counts as not
/// in: a statement still on its way has not locked its row yet.
const SETTLE_NOT_IN: Duration = Duration::from_millis(500);

/// Rows a sweep or retention pass deletes per statement.
const BATCH: i64 = 5_000;

#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error(transparent)]
    Pg(#[from] tokio_postgres::Error),
    #[error("connection pool: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error(
        "the database has schema version {found}, newer than the {known} this build knows: it was upgraded by a newer \
         xinfang-guide; run that version (or newer) here too"
    )]
    Newer { found: i32, known: i32 },
    #[error("stored JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The connection failed while a commit statement was running: it may
    /// or may not have been committed.
    #[error("the connection failed during a commit: {0}")]
    InFlight(tokio_postgres::Error),
}

impl PgError {
    /// An error of running a commit statement: a failed connection is
    /// `InFlight`, an error the server answered is not.
    fn running(e: tokio_postgres::Error) -> Self {
        if reachable(&e) { PgError::Pg(e) } else { PgError::InFlight(e) }
    }
}

impl From<PgError> for StoreError {
    fn from(e: PgError) -> Self {
        let text = e.to_string();
        match &e {
            PgError::Pg(pg) if reachable(pg) => StoreError::Io(format!("{text}: {}", detail(pg))),
            PgError::Pg(_) | PgError::Pool(_) | PgError::InFlight(_) => StoreError::Unavailable(text),
            PgError::Newer { .. } => StoreError::Corrupt(text),
            PgError::Json(_) => StoreError::Corrupt(text),
        }
    }
}

/// The server answered with an error of the query, not of the connection.
fn reachable(e: &tokio_postgres::Error) -> bool {
    e.as_db_error().is_some_and(|db| {
        let code = db.code().code();
        !(code.starts_with("08") || code.starts_with("57P") || code == "53300")
    })
}

fn detail(e: &tokio_postgres::Error) -> String {
    e.as_db_error().map(|d| d.message().to_string()).unwrap_or_default()
}

#[derive(Debug, Clone)]
pub struct PgOptions {
    /// Connections in the pool (each instance).
    pub pool_size: usize,
    /// How long a request waits for a connection, and a connection attempt
    /// for the server, before the request fails as unavailable.
    pub timeout: Duration,
    /// Concurrent commits share one statement and transaction (`batch.rs`).
    pub batch_commits: bool,
}

impl Default for PgOptions {
    fn default() -> Self {
        Self { pool_size: 16, timeout: Duration::from_secs(3), batch_commits: true }
    }
}

pub struct PgStore {
    pool: Pool,
    /// Set with `batch_commits`: where commits go.
    batch: Option<batch::Batcher>,
    /// How long a commit whose outcome is unknown is looked up for.
    settle_for: Duration,
}

type Result<T> = std::result::Result<T, StoreError>;

/// A u64 from Rust (ids, versions, limits) as a PostgreSQL bigint.
fn big(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn limit(v: usize) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl PgStore {
    /// Connects, brings the schema up to date (refusing a newer one) and
    /// returns the store. `url`: `postgres://user:password@host:port/db`.
    pub async fn connect(url: &str, opts: &PgOptions) -> Result<Arc<Self>> {
        let mut cfg: tokio_postgres::Config =
            url.parse().map_err(|e| StoreError::Io(format!("store url is not a PostgreSQL URL: {e}")))?;
        cfg.connect_timeout(opts.timeout);
        cfg.application_name("xinfang-guide");
        let manager = Manager::from_config(cfg, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(opts.pool_size.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(opts.timeout))
            .create_timeout(Some(opts.timeout))
            .recycle_timeout(Some(opts.timeout))
            .build()
            .map_err(|e| StoreError::Io(format!("connection pool: {e}")))?;
        let mut client = pool.get().await.map_err(PgError::from)?;
        let applied = schema::migrate(&mut client).await?;
        if !applied.is_empty() {
            tracing::info!(?applied, "database schema migrated");
        }
        let batch = opts.batch_commits.then(|| batch::Batcher::start(pool.clone()));
        Ok(Arc::new(Self { pool, batch, settle_for: opts.timeout }))
    }

    async fn client(&self) -> Result<deadpool_postgres::Object> {
        Ok(self.pool.get().await.map_err(PgError::from)?)
    }

    async fn query(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        let c = self.client().await?;
        let st = c.prepare_cached(sql).await.map_err(PgError::from)?;
        Ok(c.query(&st, params).await.map_err(PgError::from)?)
    }

    /// Like `query`, but planned for these parameters each time, never
    /// from the statement cache: PostgreSQL turns a cached statement into a
    /// generic plan after five runs, and for a search the term's frequency
    /// decides the plan (a rare bigram: the GIN index; a common one: walking
    /// the time key backwards). A generic plan took 1.3–2.8 s on 1,000,000
    /// records where the custom plans take 0.2–3.5 ms.
    async fn query_planned(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        let c = self.client().await?;
        Ok(c.query(sql, params).await.map_err(PgError::from)?)
    }

    async fn execute(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        let c = self.client().await?;
        let st = c.prepare_cached(sql).await.map_err(PgError::from)?;
        Ok(c.execute(&st, params).await.map_err(PgError::from)?)
    }

    /// Runs a bounded `DELETE` until it deletes less than a batch.
    async fn delete_in_batches(&self, sql: &str, cutoff: i64) -> Result<usize> {
        let mut total = 0;
        loop {
            let n = self.execute(sql, &[&cutoff, &BATCH]).await?;
            total += n as usize;
            if n < BATCH as u64 {
                return Ok(total);
            }
        }
    }

    /// Writes a log entry as it was (the sled migration keeps ids), unless
    /// one with this `(ts, id)` is there; true when written.
    pub async fn import_log(&self, id: u64, key: &SessionKey, log: &LogRecord) -> Result<bool> {
        let (body, terms) = log_columns(log)?;
        let n = self
            .execute(
                "INSERT INTO log (id, ts, s_channel, s_user, channel, category, danger, body, shown, terms)
                 OVERRIDING SYSTEM VALUE
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, array_to_tsvector($10::text[]))
                 ON CONFLICT (ts, id) DO NOTHING",
                &[
                    &big(id),
                    &log.ts,
                    &key.channel(),
                    &key.user(),
                    &log.channel,
                    &log.category,
                    &log.danger,
                    &body,
                    &log.shown,
                    &terms,
                ],
            )
            .await?;
        Ok(n == 1)
    }

    /// Moves the log's id sequence past every id stored (after an import).
    pub async fn reset_log_ids(&self) -> Result<()> {
        self.query(
            "SELECT setval(pg_get_serial_sequence('log', 'id'), greatest(coalesce(max(id), 0), 1)) FROM log",
            &[],
        )
        .await?;
        Ok(())
    }

    /// Refreshes the planner's statistics of the store's tables (after an import:
    /// until autovacuum analyzes them, a search of a common term was planned
    /// as if rare and took 1 s on 1,000,000 records instead of 6 ms).
    pub async fn analyze(&self) -> Result<()> {
        self.client().await?.batch_execute("ANALYZE sessions, log, tickets, records").await.map_err(PgError::from)?;
        Ok(())
    }

    /// Writes a session as it is unless one with its key exists; true when written.
    pub async fn import_session(&self, s: &Session) -> Result<bool> {
        let n = self
            .execute(
                "INSERT INTO sessions (channel, \"user\", version, last_active, body) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT DO NOTHING",
                &[&s.key.channel(), &s.key.user(), &big(s.version), &s.last_active, &Json(s)],
            )
            .await?;
        Ok(n == 1)
    }

    /// Counts of (sessions, log entries, tickets, records).
    pub async fn counts(&self) -> Result<[u64; 4]> {
        let rows = self
            .query(
                "SELECT (SELECT count(*) FROM sessions), (SELECT count(*) FROM log),
                        (SELECT count(*) FROM tickets), (SELECT count(*) FROM records)",
                &[],
            )
            .await?;
        let r = rows.first().ok_or_else(|| StoreError::Io("count returned no row".into()))?;
        Ok([0, 1, 2, 3].map(|i| r.get::<_, i64>(i) as u64))
    }
}

/// The log body (the record's JSON without `shown`) and its search terms.
fn log_columns(log: &LogRecord) -> Result<(serde_json::Value, Vec<String>)> {
    let mut body = serde_json::to_value(log).map_err(PgError::from)?;
    if let Some(o) = body.as_object_mut() {
        o.remove("shown");
    }
    Ok((body, terms::of_text(&log.input)))
}

fn entry(row: &Row, with_shown: bool) -> Result<LogEntry> {
    let id: i64 = row.get(0);
    let Json(mut record): Json<LogRecord> = row.try_get(1).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    if with_shown {
        record.shown = row.get(2);
    }
    Ok(LogEntry { id: id as u64, record })
}

fn entries(rows: &[Row], with_shown: bool) -> Result<Vec<LogEntry>> {
    rows.iter().map(|r| entry(r, with_shown)).collect()
}

fn ticket(row: &Row) -> Result<Ticket> {
    Ok(Ticket { kind: row.get(0), expires: row.get(1), data: row.get(2) })
}

const COMMIT_UPDATE: &str = "WITH s AS (
    UPDATE sessions SET version = $3, last_active = $4, body = $5
    WHERE channel = $1 AND \"user\" = $2 AND version = $6 RETURNING 1)
  INSERT INTO log (ts, s_channel, s_user, channel, category, danger, body, shown, terms)
  SELECT $7, $1, $2, $8, $9, $10, $11, $12, array_to_tsvector($13::text[]) FROM s";

const COMMIT_INSERT: &str = "WITH s AS (
    INSERT INTO sessions (channel, \"user\", version, last_active, body) VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT DO NOTHING RETURNING 1)
  INSERT INTO log (ts, s_channel, s_user, channel, category, danger, body, shown, terms)
  SELECT $6, $1, $2, $7, $8, $9, $10, $11, array_to_tsvector($12::text[]) FROM s";

impl PgStore {
    /// Runs a turn's commit statement: true when its compare-and-swap won.
    async fn commit_once(
        &self,
        expected: Option<u64>,
        version: u64,
        session: &Session,
        log: &LogRecord,
    ) -> std::result::Result<bool, Failed> {
        let (body, terms) = log_columns(log).map_err(Failed::Not)?;
        if let Some(b) = &self.batch {
            let turn = batch::Pending {
                channel: session.key.channel().to_string(),
                user: session.key.user().to_string(),
                version: big(version),
                old: expected.map(big),
                last_active: session.last_active,
                session: serde_json::to_value(session).map_err(|e| Failed::Not(PgError::from(e).into()))?,
                ts: log.ts,
                log_channel: log.channel.clone(),
                category: log.category.clone(),
                danger: log.danger.clone(),
                body,
                shown: log.shown.clone(),
                terms: terms.join(" "),
            };
            return b.commit(turn).await;
        }
        let (k, v) = (&session.key, big(version));
        let n = match expected {
            Some(old) => {
                let old = big(old);
                self.execute_commit(
                    COMMIT_UPDATE,
                    &[
                        &k.channel(),
                        &k.user(),
                        &v,
                        &session.last_active,
                        &Json(session),
                        &old,
                        &log.ts,
                        &log.channel,
                        &log.category,
                        &log.danger,
                        &body,
                        &log.shown,
                        &terms,
                    ],
                )
                .await?
            }
            None => {
                self.execute_commit(
                    COMMIT_INSERT,
                    &[
                        &k.channel(),
                        &k.user(),
                        &v,
                        &session.last_active,
                        &Json(session),
                        &log.ts,
                        &log.channel,
                        &log.category,
                        &log.danger,
                        &body,
                        &log.shown,
                        &terms,
                    ],
                )
                .await?
            }
        };
        Ok(n == 1)
    }

    /// `execute` for a commit statement: a connection failing while it runs
    /// is `Failed::InFlight`.
    async fn execute_commit(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> std::result::Result<u64, Failed> {
        let c = self.client().await.map_err(Failed::Not)?;
        let st = c.prepare_cached(sql).await.map_err(|e| Failed::Not(PgError::from(e).into()))?;
        c.execute(&st, params).await.map_err(|e| Failed::from(PgError::running(e)))
    }

    /// Finds out whether a turn whose commit lost its connection is in: the
    /// session row at `version` holding this `session` says it is. Asks
    /// until the database answers or `settle_for` has passed; `why` stands
    /// when it is not in or nobody could tell.
    async fn settle(&self, version: u64, session: &Session, why: StoreError) -> Result<Commit> {
        let ours = serde_json::to_value(session).map_err(PgError::from)?;
        let started = tokio::time::Instant::now();
        let deadline = started + self.settle_for;
        loop {
            // FOR SHARE waits for a transaction still holding the row.
            let found = self
                .query(
                    "SELECT version, body FROM sessions WHERE channel = $1 AND \"user\" = $2 FOR SHARE",
                    &[&session.key.channel(), &session.key.user()],
                )
                .await;
            match found {
                Ok(rows) => {
                    let row = rows.first();
                    let at = row.map(|r| r.get::<_, i64>(0));
                    let body = row.and_then(|r| r.try_get::<_, Json<serde_json::Value>>(1).ok()).map(|j| j.0);
                    let is_in = at == Some(big(version)) && body.as_ref() == Some(&ours);
                    // The statement may still be on its way to the server (the
                    // row not locked yet): "not in" only after it had time.
                    if !is_in && started.elapsed() < SETTLE_NOT_IN {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                    metrics::counter!("xg_store_commit_settled_total", "outcome" => if is_in { "in" } else { "not_in" })
                        .increment(1);
                    return if is_in { Ok(Commit::Done { version }) } else { Err(why) };
                }
                Err(_) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(_) => {
                    metrics::counter!("xg_store_commit_settled_total", "outcome" => "unknown").increment(1);
                    return Err(why);
                }
            }
        }
    }
}

/// Why a commit statement did not say whether it won.
#[derive(Debug, Clone)]
pub(super) enum Failed {
    /// Nothing was committed.
    Not(StoreError),
    /// The connection failed while the statement ran: it may be in.
    InFlight(StoreError),
}

impl From<PgError> for Failed {
    fn from(e: PgError) -> Self {
        match e {
            PgError::InFlight(_) => Failed::InFlight(e.into()),
            e => Failed::Not(e.into()),
        }
    }
}

#[async_trait]
impl Store for PgStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<Session>> {
        let rows = self
            .query(
                "SELECT version, body FROM sessions WHERE channel = $1 AND \"user\" = $2",
                &[&key.channel(), &key.user()],
            )
            .await?;
        let Some(row) = rows.first() else { return Ok(None) };
        let version: i64 = row.get(0);
        let Json(mut s): Json<Session> = row.try_get(1).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        s.version = version as u64;
        Ok(Some(s))
    }

    async fn commit(&self, expected: Option<u64>, session: &Session, log: &LogRecord) -> Result<Commit> {
        let version = next_version(expected);
        match self.commit_once(expected, version, session, log).await {
            Ok(true) => Ok(Commit::Done { version }),
            Ok(false) => Ok(Commit::Conflict),
            Err(Failed::Not(e)) => Err(e),
            Err(Failed::InFlight(e)) => self.settle(version, session, e).await,
        }
    }

    async fn remove_idle(&self, cutoff: i64) -> Result<Swept> {
        // SKIP LOCKED: two instances sweeping at once take different rows,
        // and a session being written is left for the next sweep.
        let removed = self
            .delete_in_batches(
                "DELETE FROM sessions WHERE (channel, \"user\") IN (
                   SELECT channel, \"user\" FROM sessions WHERE last_active < $1
                   ORDER BY last_active LIMIT $2 FOR UPDATE SKIP LOCKED)",
                cutoff,
            )
            .await?;
        Ok(Swept { removed, remaining: self.session_count().await? })
    }

    async fn log_range(&self, from: i64, to: i64, cursor: Option<(i64, u64)>, n: usize) -> Result<Vec<LogEntry>> {
        let (cts, cid) = cursor.map_or((i64::MIN, i64::MIN), |(t, i)| (t, big(i)));
        let rows = self
            .query(
                "SELECT id, body FROM log WHERE ts >= $1 AND ts < $2 AND (ts, id) > ($3, $4)
                 ORDER BY ts, id LIMIT $5",
                &[&from, &to, &cts, &cid, &limit(n)],
            )
            .await?;
        entries(&rows, false)
    }

    async fn log_range_rev(&self, from: i64, to: i64, cursor: Option<(i64, u64)>, n: usize) -> Result<Vec<LogEntry>> {
        let (cts, cid) = cursor.map_or((i64::MAX, i64::MAX), |(t, i)| (t, big(i)));
        let rows = self
            .query(
                "SELECT id, body FROM log WHERE ts >= $1 AND ts < $2 AND (ts, id) < ($3, $4)
                 ORDER BY ts DESC, id DESC LIMIT $5",
                &[&from, &to, &cts, &cid, &limit(n)],
            )
            .await?;
        entries(&rows, false)
    }

    async fn log_search_rev(
        &self,
        from: i64,
        to: i64,
        cursor: Option<(i64, u64)>,
        text: &str,
        n: usize,
    ) -> Result<Option<Vec<LogEntry>>> {
        let Some(need) = terms::of_query(text) else { return Ok(None) };
        let (cts, cid) = cursor.map_or((i64::MAX, i64::MAX), |(t, i)| (t, big(i)));
        let rows = self
            .query_planned(
                "SELECT id, body FROM log WHERE terms @@ $5::text::tsquery
                   AND ts >= $1 AND ts < $2 AND (ts, id) < ($3, $4)
                 ORDER BY ts DESC, id DESC LIMIT $6",
                &[&from, &to, &cts, &cid, &terms::tsquery(&need), &limit(n)],
            )
            .await?;
        entries(&rows, false).map(Some)
    }

    async fn session_count(&self) -> Result<usize> {
        let rows = self.query("SELECT count(*) FROM sessions", &[]).await?;
        Ok(rows.first().map_or(0, |r| r.get::<_, i64>(0) as usize))
    }

    async fn log_for_session(&self, key: &SessionKey, n: usize) -> Result<Vec<LogEntry>> {
        let rows = self
            .query(
                "SELECT id, body, shown FROM (
                   SELECT id, ts, body, shown FROM log WHERE s_channel = $1 AND s_user = $2
                   ORDER BY ts DESC, id DESC LIMIT $3) t ORDER BY ts, id",
                &[&key.channel(), &key.user(), &limit(n)],
            )
            .await?;
        entries(&rows, true)
    }

    async fn remove_log_before(&self, cutoff: i64) -> Result<usize> {
        // Through the primary key's index on (ts, id), a batch at a time.
        self.delete_in_batches(
            "DELETE FROM log WHERE (ts, id) IN (
               SELECT ts, id FROM log WHERE ts < $1 ORDER BY ts, id LIMIT $2 FOR UPDATE SKIP LOCKED)",
            cutoff,
        )
        .await
    }

    async fn record_get(&self, space: &str, key: &str) -> Result<Option<Vec<u8>>> {
        let rows = self.query("SELECT value FROM records WHERE space = $1 AND key = $2", &[&space, &key]).await?;
        Ok(rows.first().map(|r| r.get(0)))
    }

    async fn record_cas(&self, space: &str, key: &str, old: Option<&[u8]>, new: Option<&[u8]>) -> Result<bool> {
        let n = match (old, new) {
            (None, None) => return Ok(self.record_get(space, key).await?.is_none()),
            (None, Some(v)) => {
                self.execute(
                    "INSERT INTO records (space, key, value) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    &[&space, &key, &v],
                )
                .await?
            }
            (Some(o), Some(v)) => {
                self.execute(
                    "UPDATE records SET value = $4 WHERE space = $1 AND key = $2 AND value = $3",
                    &[&space, &key, &o, &v],
                )
                .await?
            }
            (Some(o), None) => {
                self.execute("DELETE FROM records WHERE space = $1 AND key = $2 AND value = $3", &[&space, &key, &o])
                    .await?
            }
        };
        Ok(n == 1)
    }

    async fn record_scan(&self, space: &str, prefix: &str, n: usize) -> Result<Vec<(String, Vec<u8>)>> {
        let rows = self
            .query(
                "SELECT key, value FROM records WHERE space = $1 AND key >= $2 AND starts_with(key, $2)
                 ORDER BY key LIMIT $3",
                &[&space, &prefix, &limit(n)],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    async fn put_ticket(&self, id: &str, t: &Ticket) -> Result<()> {
        self.execute(
            "INSERT INTO tickets (id, kind, expires, data) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, expires = EXCLUDED.expires, data = EXCLUDED.data",
            &[&id, &t.kind, &t.expires, &t.data],
        )
        .await?;
        Ok(())
    }

    async fn get_ticket(&self, id: &str, now: i64) -> Result<Option<Ticket>> {
        let rows =
            self.query("SELECT kind, expires, data FROM tickets WHERE id = $1 AND expires >= $2", &[&id, &now]).await?;
        rows.first().map(ticket).transpose()
    }

    async fn take_ticket(&self, id: &str, now: i64) -> Result<Option<Ticket>> {
        let rows = self.query("DELETE FROM tickets WHERE id = $1 RETURNING kind, expires, data", &[&id]).await?;
        Ok(rows.first().map(ticket).transpose()?.filter(|t| t.expires >= now))
    }

    async fn remove_expired_tickets(&self, now: i64) -> Result<usize> {
        self.delete_in_batches(
            "DELETE FROM tickets WHERE id IN (
               SELECT id FROM tickets WHERE expires < $1 ORDER BY expires LIMIT $2 FOR UPDATE SKIP LOCKED)",
            now,
        )
        .await
    }

    async fn lease(&self, name: &str, holder: &str, now: i64, secs: i64) -> Result<bool> {
        let n = self
            .execute(
                "INSERT INTO leases (name, holder, until) VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, until = EXCLUDED.until
                 WHERE leases.holder = EXCLUDED.holder OR leases.until < $4",
                &[&name, &holder, &(now + secs), &now],
            )
            .await?;
        Ok(n == 1)
    }

    async fn ping(&self) -> Result<()> {
        self.query("SELECT 1", &[]).await.map(drop)
    }

    async fn flush(&self) -> Result<()> {
        // Every write was durable when its statement returned.
        Ok(())
    }
}
