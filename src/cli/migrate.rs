//! `xinfang-guide migrate --from-sled DIR --to postgres://…`: copies a sled
//! data dir (sessions, the query log with each conversation's key and reply
//! texts, tickets, records) into PostgreSQL, keeping log ids. Run again, it
//! copies only what is missing: every row is written with `ON CONFLICT DO
//! NOTHING` on its key. Then it checks that everything in sled is there.

use crate::engine::session::SessionKey;
use crate::store::pg::PgOptions;
use crate::store::sled_store::SledOptions;
use crate::store::{PgStore, SledStore, Store};
use anyhow::{Context, bail};
use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

/// Per kind: (in sled, copied now, already in PostgreSQL).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub in_sled: u64,
    pub copied: u64,
    pub present: u64,
}

impl Counts {
    fn add(&mut self, copied: bool) {
        self.in_sled += 1;
        if copied { self.copied += 1 } else { self.present += 1 }
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub sessions: Counts,
    pub log: Counts,
    pub tickets: Counts,
    pub records: Counts,
}

const PAGE: usize = 5_000;

pub async fn run(from: &Path, to: &str, out: &mut impl Write) -> anyhow::Result<Report> {
    if !from.join("conf").exists() && !from.join("db").exists() {
        bail!("{} holds no sled data (wrong --from-sled?)", from.display());
    }
    let sled = SledStore::open(from, &SledOptions::default())
        .with_context(|| format!("opening {} (stop the server that holds it first)", from.display()))?;
    let pg = PgStore::connect(to, &PgOptions::default()).await.context("connecting to --to")?;
    let mut r = Report::default();
    for s in sled.all_sessions()? {
        r.sessions.add(pg.import_session(&s).await?);
    }
    // Each conversation's records with their reply texts, under its key.
    let mut seen = HashSet::new();
    for key in sled.conversation_keys()? {
        for e in sled.log_for_session(&key, usize::MAX).await? {
            if seen.insert(e.id) {
                r.log.add(pg.import_log(e.id, &key, &e.record).await?);
            }
        }
    }
    // Records no kept conversation leads to: under their own channel and user.
    let mut cursor = None;
    loop {
        let page = sled.log_range(0, i64::MAX, cursor, PAGE).await?;
        cursor = page.last().map(|e| (e.record.ts, e.id));
        for e in page.iter().filter(|e| !seen.contains(&e.id)) {
            let key = SessionKey::parse(&e.record.channel, &e.record.user)
                .with_context(|| format!("log record {} has no valid channel and user", e.id))?;
            r.log.add(pg.import_log(e.id, &key, &e.record).await?);
        }
        if page.len() < PAGE {
            break;
        }
    }
    pg.reset_log_ids().await?;
    for (id, t) in sled.all_tickets()? {
        let had = pg.get_ticket(&id, i64::MIN).await?.is_some();
        if !had {
            pg.put_ticket(&id, &t).await?;
        }
        r.tickets.add(!had);
    }
    for (space, key, value) in sled.all_records()? {
        let copied = pg.record_cas(&space, &key, None, Some(&value)).await?;
        r.records.add(copied);
    }
    if r.sessions.copied + r.log.copied + r.tickets.copied + r.records.copied > 0 {
        pg.analyze().await.context("analyzing the copied tables")?;
    }
    let [sessions, log, tickets, records] = pg.counts().await?;
    for (name, c, total) in [
        ("sessions", r.sessions, sessions),
        ("log", r.log, log),
        ("tickets", r.tickets, tickets),
        ("records", r.records, records),
    ] {
        writeln!(
            out,
            "{name}: {} in sled, {} copied, {} already there; {total} in PostgreSQL",
            c.in_sled, c.copied, c.present
        )?;
        if total < c.in_sled || c.copied + c.present != c.in_sled {
            bail!("{name}: PostgreSQL has {total}, fewer than the {} in sled", c.in_sled);
        }
    }
    verify(&sled, &pg).await?;
    writeln!(out, "verified: every session, log record, ticket and record of the data dir is in PostgreSQL")?;
    Ok(r)
}

/// Reads everything back from PostgreSQL and compares it with sled.
async fn verify(sled: &SledStore, pg: &PgStore) -> anyhow::Result<()> {
    for s in sled.all_sessions()? {
        let there = pg.load(&s.key).await?;
        if there.as_ref().map(|t| t.version) < Some(s.version) {
            bail!("session {} is missing or older in PostgreSQL", s.key);
        }
    }
    for key in sled.conversation_keys()? {
        let want: Vec<u64> = sled.log_for_session(&key, usize::MAX).await?.into_iter().map(|e| e.id).collect();
        let have: HashSet<u64> = pg.log_for_session(&key, usize::MAX).await?.into_iter().map(|e| e.id).collect();
        if let Some(id) = want.iter().find(|id| !have.contains(id)) {
            bail!("log record {id} of {key} is missing in PostgreSQL");
        }
    }
    for (space, key, value) in sled.all_records()? {
        if pg.record_get(&space, &key).await?.is_none() {
            bail!("record {space}/{key} is missing in PostgreSQL ({} bytes in sled)", value.len());
        }
    }
    Ok(())
}
