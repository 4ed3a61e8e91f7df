//! 研判 and the year's figures, folded from the query log. Pure but for
//! [`keep`]: no I/O, clock or randomness; the caller reads the log and
//! passes `now`.
//!
//! - [`names`]: the places, employers, projects and estates people name
//!   ("幸福家园小区", "宏达公司"), found by patterns and a small suffix
//!   dictionary in masked text.
//! - [`warn`]: early warning over the last weeks of the log: surges per
//!   category and source tag (Poisson upper tail), shared targets (several
//!   people naming one place), repeat askers, danger turns.
//! - [`daily`]: one day's aggregate (people as 人次, messages, categories,
//!   channels, tags, feedback), kept as a record so retention does not
//!   take last year's figures with the messages.
//! - [`keep`]: the daily aggregates kept in the store (folded once a day
//!   is complete, on demand for a report): the one part that reads the
//!   store, through the `Store` trait.
//! - [`year`]: the year report from daily aggregates: a short section in
//!   Chinese for the 法治政府建设情况报告 and the table behind it.

pub mod daily;
pub mod keep;
pub mod names;
pub mod outcome;
pub mod warn;
pub mod year;

use crate::engine::reply::LogRecord;
use time::{Date, OffsetDateTime, UtcOffset};

/// Days and weeks are China time (UTC+8), as the office counts them.
pub const CHINA: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

/// The China-time day of a Unix time.
pub fn day_of(ts: i64) -> Option<Date> {
    Some(OffsetDateTime::from_unix_timestamp(ts).ok()?.to_offset(CHINA).date())
}

/// Unix seconds at the start of a China-time day.
pub fn day_start(d: Date) -> i64 {
    d.midnight().assume_offset(CHINA).unix_timestamp()
}

/// A Unix time as China time, to the minute ("2026-12-07 14:05").
pub fn time_text(ts: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ts).unwrap_or(time::OffsetDateTime::UNIX_EPOCH).to_offset(CHINA);
    format!("{:04}-{:02}-{:02} {:02}:{:02}", t.year(), t.month() as u8, t.day(), t.hour(), t.minute())
}

/// A person's id for counting: a 64-bit hash of channel and user (as in
/// `stats`); never stored, only compared within one fold.
pub fn person(channel: &str, user: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (channel, user).hash(&mut h);
    h.finish()
}

/// A message a person sent (not feedback, not a kiosk-to-phone transfer).
pub fn is_message(r: &LogRecord) -> bool {
    r.feedback.is_none() && !r.input_kind.starts_with("transfer")
}

/// The matter of a record and whether it is confirmed: a category the bot
/// placed with confidence or the person chose is confirmed; one only
/// offered among the likeliest (`low_confidence`) is proposed.
pub fn category_of(r: &LogRecord) -> Option<(&str, bool)> {
    if !is_message(r) {
        return None;
    }
    r.category.as_deref().filter(|c| !c.is_empty()).map(|c| (c, !r.low_confidence))
}

/// Typed text as it is grouped and shown: blanks collapsed, at most 80
/// characters.
pub fn topic_text(input: &str) -> String {
    input.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(80).collect()
}

#[cfg(test)]
pub(crate) mod testlog {
    //! Planted logs for the tests of this module and the console.
    use crate::engine::reply::LogRecord;

    pub fn rec(ts: i64, user: &str, category: Option<&str>, input: &str) -> LogRecord {
        LogRecord {
            ts,
            channel: "web".into(),
            user: user.into(),
            source: None,
            node_from: "main".into(),
            node: "main".into(),
            input_kind: "text".into(),
            input: input.into(),
            matched: category.is_some(),
            category: category.map(String::from),
            ..LogRecord::default()
        }
    }
}
