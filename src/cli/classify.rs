//! `xinfang-guide classify`: one JSON line out per question in (JSONL with
//! `id` and `question`, or plain lines), for evaluation scripts.

use crate::understand::Understanding;
use serde_json::{Value, json};
use std::io::{BufRead, Write};

pub fn run(u: &Understanding, input: impl BufRead, out: &mut impl Write) -> anyhow::Result<()> {
    for (n, line) in input.lines().enumerate() {
        let line = line?;
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
        let row = json!({"id": id, "category": c.category, "channels": channels, "confidence": (c.confidence * 1000.0).round() / 1000.0, "faq": faq});
        writeln!(out, "{row}")?;
    }
    Ok(())
}
