//! Transcript scripts: what a person types and what the bot must say, in
//! plain text an editor can write. Run through the engine with no network.
//!
//! ```text
//! # a comment
//! @now 2026-11-27 10:00        start clock (China time); default 2026-11-27 10:00
//! > 1                          the person types "1" (a number picks a shown choice)
//! < 我的问题该找哪里            a line the reply must contain (in order, as a substring)
//! !< 12356                     text the reply must not contain anywhere
//! @advance 31m                 move the clock (s, m, h, d)
//! ```

use crate::channels::text::render;
use crate::engine::Engine;
use crate::engine::choice::ChoiceId;
use crate::engine::reply::{Inbound, Reply};
use crate::engine::session::{Session, SessionKey};
use std::fmt::Write as _;

#[derive(Debug)]
pub struct Failure {
    pub line: usize,
    pub message: String,
}

/// China time 2026-11-27 10:00 as Unix seconds.
pub const DEFAULT_NOW: i64 = 1_795_744_800;

/// Every `*.txt` script in `dir`, sorted.
pub fn files(dir: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    Ok(files)
}

/// Runs one script; returns every failed expectation (empty: passed).
pub fn run(engine: &Engine, script: &str) -> Vec<Failure> {
    let mut failures = Vec::new();
    let key = match SessionKey::parse("transcript", "t") {
        Ok(k) => k,
        Err(e) => {
            return vec![Failure { line: 0, message: e.to_string() }];
        }
    };
    let mut now = DEFAULT_NOW;
    let mut session: Option<Session> = None;
    let mut shown: Vec<ChoiceId> = Vec::new();
    let mut output = String::new();
    let mut cursor = 0usize; // expectations match in order within one turn
    for (i, raw) in script.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim_end();
        if let Some(user) = line.strip_prefix("> ").or_else(|| line.strip_prefix('>')) {
            let user = user.trim();
            // `[cmd:resume]`: a choice id as a page sends it (a reload).
            let raw_id =
                user.strip_prefix('[').and_then(|u| u.strip_suffix(']')).and_then(|id| id.parse::<ChoiceId>().ok());
            let inbound = match (raw_id, user.parse::<usize>()) {
                (Some(id), _) => Inbound::choice(id),
                (None, Ok(n)) if (1..=shown.len()).contains(&n) => Inbound::choice(shown[n - 1].clone()),
                _ => Inbound::text(user),
            };
            let step = engine.step(session.as_ref(), &key, &inbound, now);
            output = render_turn(&step.replies, &mut shown);
            cursor = 0;
            session = Some(Session { version: step.session.version + 1, ..step.session });
        } else if let Some(expect) = line.strip_prefix("< ").or_else(|| line.strip_prefix('<')) {
            let expect = expect.trim();
            match output[cursor..].find(expect) {
                Some(at) => cursor += at + expect.len(),
                None => failures.push(Failure {
                    line: line_no,
                    message: format!(
                        "expected `{expect}` in the reply (after what was already matched); the reply was:\n{output}"
                    ),
                }),
            }
        } else if let Some(never) = line.strip_prefix("!< ") {
            let never = never.trim();
            if output.contains(never) {
                failures.push(Failure {
                    line: line_no,
                    message: format!("`{never}` must not be in the reply; the reply was:\n{output}"),
                });
            }
        } else if let Some(arg) = line.strip_prefix("@advance ") {
            match parse_duration(arg.trim()) {
                Some(d) => now += d,
                None => failures.push(Failure { line: line_no, message: format!("bad duration `{arg}`") }),
            }
        } else if let Some(arg) = line.strip_prefix("@now ") {
            match parse_now(arg.trim()) {
                Some(t) => now = t,
                None => failures.push(Failure { line: line_no, message: format!("bad time `{arg}`") }),
            }
        } else if !(line.trim().is_empty() || line.starts_with('#')) {
            failures.push(Failure { line: line_no, message: format!("cannot read line `{line}`") });
        }
    }
    failures
}

/// Renders a turn as the terminal shows it; remembers the numbered choices.
pub fn render_turn(replies: &[Reply], shown: &mut Vec<ChoiceId>) -> String {
    let mut s = String::new();
    for r in replies {
        s.push_str(&render(r));
        if !r.choices.is_empty() {
            shown.clear();
            for (i, c) in r.choices.iter().enumerate() {
                let _ = writeln!(s, "  {}. {}", i + 1, c.label);
                shown.push(c.id.clone());
            }
        }
    }
    s
}

fn parse_duration(s: &str) -> Option<i64> {
    let (num, unit) = s.split_at(s.len().checked_sub(1)?);
    let n: i64 = num.parse().ok()?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    Some(n * mult)
}

/// `YYYY-MM-DD HH:MM` in China time.
fn parse_now(s: &str) -> Option<i64> {
    let (date, time) = s.split_once(' ')?;
    let d = crate::engine::dates::parse_iso(date)?;
    let (h, m) = time.split_once(':')?;
    let t = time::Time::from_hms(h.parse().ok()?, m.parse().ok()?, 0).ok()?;
    let offset = time::UtcOffset::from_hms(8, 0, 0).ok()?;
    Some(time::PrimitiveDateTime::new(d, t).assume_offset(offset).unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_now_is_the_documented_china_time() {
        assert_eq!(parse_now("2026-11-27 10:00"), Some(DEFAULT_NOW));
    }
}
