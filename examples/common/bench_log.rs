//! The query log the staff and analysis benchmarks share: `n` records over
//! the 365 days before [`END`], from [`USERS`] conversations, 5 source tags,
//! ~10% not understood, 1% mentioning 公积金. Included by path
//! (`#[path = "common/bench_log.rs"] mod bench_log;`) so both examples read
//! the same log.

use xinfang_guide::engine::reply::{InputRole, LogRecord};

/// The last record's time: 2026-11-27 10:00 China time.
pub const END: i64 = 1_795_744_800;
pub const SPAN: i64 = 365 * 86_400;
pub const USERS: u64 = 100_000;

/// Record `i` of `n`, as the server writes a typed question today (the
/// reply text in `shown`, no `reply_summary`).
pub fn record(i: u64, n: u64) -> LogRecord {
    let src = ["0509-square", "campaign-a", "poster-b", "kiosk-1", "web"][(i % 5) as usize];
    let text = match i % 100 {
        0 => "公积金怎么提取".to_string(),
        1..=9 => format!("没看懂的问题 {}", i % 997),
        _ => format!("老板拖欠工资第{}个月了怎么办", i % 12),
    };
    let matched = !(1..=9).contains(&(i % 100));
    LogRecord {
        ts: END - SPAN + (i as i64 * SPAN / n as i64),
        channel: "web".into(),
        user: format!("u{:06}", i % USERS),
        source: Some(src.into()),
        node_from: "main".into(),
        node: if matched { "labor_start" } else { "main" }.into(),
        input_kind: "text".into(),
        input: text,
        matched,
        category: matched.then(|| "labor".into()),
        shown: if matched {
            "您反映的似乎是劳动争议方面的问题。欠薪一般先申请劳动仲裁……".into()
        } else {
            "抱歉，我没有完全理解您的问题，请选择下面的类别。".into()
        },
        role: Some(InputRole::Question),
        ..LogRecord::default()
    }
}
