//! Schema migrations, versioned in the repository and applied at start in
//! one transaction. Instances starting together take an advisory lock, so
//! one applies and the others find the work done. A database whose schema
//! is newer than this build knows is refused: an older server would write
//! rows the newer schema does not expect.

use super::PgError;

/// (version, SQL). Append only: a released migration never changes.
pub const MIGRATIONS: &[(i32, &str)] = &[(1, include_str!("migrations/0001_init.sql"))];

/// The newest schema this build knows.
pub fn latest() -> i32 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// Arbitrary, fixed: the advisory lock migrations hold.
const LOCK: i64 = 0x7867_5f73_6368_656d; // "xg_schem"

/// Brings the schema to `latest()`; returns the versions applied now.
pub async fn migrate(client: &mut tokio_postgres::Client) -> Result<Vec<i32>, PgError> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK]).await?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS xg_schema (version integer PRIMARY KEY, applied bigint NOT NULL)")
        .await?;
    let current: i32 = tx.query_one("SELECT coalesce(max(version), 0) FROM xg_schema", &[]).await?.get(0);
    if current > latest() {
        return Err(PgError::Newer { found: current, known: latest() });
    }
    let mut applied = Vec::new();
    for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO xg_schema (version, applied) VALUES ($1, extract(epoch FROM now())::bigint)",
            &[version],
        )
        .await?;
        applied.push(*version);
    }
    tx.commit().await?;
    Ok(applied)
}
