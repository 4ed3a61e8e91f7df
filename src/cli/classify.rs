//! `xinfang-guide classify`: one JSON line out per question in (JSONL with
//! `id` and `question`, or plain lines), for evaluation scripts. Besides the
//! category, its channels and the FAQ entry, `offered` lists the categories
//! the chat would put before the person (one to confirm, or up to three) and
//! `offered_after_no` the ones it offers when the person says the one to
//! confirm is wrong. For a message about danger (`danger`: its kind) the
//! category is `emergency` and `offered` is what the bot offers to go on
//! with once the person says they are safe.

use crate::understand::Understanding;
use serde_json::{Value, json};
use std::io::{BufRead, Write};

pub fn run(u: &Understanding, input: impl BufRead, out: &mut impl Write) -> anyhow::Result<()> {
    for (n, line) in input.split(b'\n').enumerate() {
        // A line that is not UTF-8 is read as far as it is (replacement
        // characters for the rest), not a reason to stop the whole batch.
        let line = String::from_utf8_lossy(&line?).into_owned();
        if line.trim().is_empty() {
            continue;
        }
        let (id, question) = match serde_json::from_str::<Value>(&line) {
            Ok(v) if v.is_object() => {
                (v.get("id").cloned().unwrap_or(json!(n + 1)), v["question"].as_str().unwrap_or("").to_string())
            }
            _ => (json!(n + 1), line.clone()),
        };
        let c = u.classify(&question);
        let channels = if c.category == "out_of_scope" { Vec::new() } else { u.channels(&c.category) };
        let faq = c.faq.map(|i| u.faq_id(i).to_string());
        // What the chat shows first, and what it shows if the person says
        // its confident guess is wrong.
        let (mut offered, confident) = u.offered(&c);
        let after_no = if confident { offered.split_off(1) } else { Vec::new() };
        let mut row = json!({"id": id, "category": c.category, "channels": channels, "confidence": (c.confidence * 1000.0).round() / 1000.0, "faq": faq, "offered": offered, "offered_after_no": after_no});
        if let Some(kind) = &c.danger_kind {
            row["danger"] = json!(kind);
        }
        writeln!(out, "{row}")?;
    }
    Ok(())
}
