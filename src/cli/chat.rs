//! `xinfang-guide chat`: the engine in a terminal, numbered choices, no
//! server and no data dir, so an editor can try content before publishing.

use super::transcript::render_turn;
use crate::engine::Engine;
use crate::engine::reply::{Card, Inbound, Reply};
use crate::engine::session::{Session, SessionKey};
use std::fmt::Write as _;
use std::io::{BufRead, Write};

/// Reads lines from `input` until EOF or `退出`/`quit`; a number picks a choice.
pub fn run(engine: &Engine, input: impl BufRead, out: &mut impl Write, now: impl Fn() -> i64) -> anyhow::Result<()> {
    let key = SessionKey::parse("terminal", "editor")?;
    let mut last: Vec<String> = Vec::new();
    let step = engine.step(None, &key, &Inbound::choice("cmd:resume"), now());
    write!(out, "{}", render_turn(&step.replies, &mut last))?;
    let mut session: Option<Session> = Some(step.session);
    writeln!(out, "（输入数字选择，或直接输入文字；输入“退出”结束）")?;
    for line in input.lines() {
        let line = line?;
        let t = line.trim();
        if matches!(t, "退出" | "quit" | "exit") {
            break;
        }
        let inbound = match t.parse::<usize>() {
            Ok(n) if (1..=last.len()).contains(&n) => Inbound::choice(last[n - 1].clone()),
            _ => Inbound::text(t),
        };
        let step = engine.step(session.as_ref(), &key, &inbound, now());
        write!(out, "{}", render_turn(&step.replies, &mut last))?;
        session = Some(step.session);
    }
    Ok(())
}

/// One reply as plain text (also used by transcript tests).
pub fn render(r: &Reply) -> String {
    let mut s = format!("{}\n", r.text);
    if !r.cites.is_empty() {
        let _ = writeln!(s, "依据：{}", r.cites.join("；"));
    }
    if let Some(c) = &r.card {
        s.push_str(&render_card(c));
    }
    s
}

pub fn render_card(c: &Card) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "【建议途径】{}（{}）", c.channel_name, c.channel);
    if let Some(cat) = &c.category_name {
        let _ = writeln!(s, "问题类别：{cat}");
    }
    let _ = writeln!(s, "为什么：{}", c.why);
    if !c.cites.is_empty() {
        let _ = writeln!(s, "依据：{}", c.cites.join("；"));
    }
    let _ = writeln!(s, "怎么找：{}", c.how);
    if let Some(h) = &c.hotline {
        let _ = writeln!(s, "电话：{h}");
    }
    if let Some(w) = &c.website {
        let _ = writeln!(s, "网站：{w}");
    }
    for o in &c.local {
        let _ = writeln!(s, "本地：{}，地址：{}，电话：{}，时间：{}", o.name, o.address, o.phone, o.hours);
    }
    if let Some(d) = &c.deadline {
        let _ = write!(s, "期限：{}", d.text);
        if let Some(due) = &d.due {
            let _ = write!(s, "（按您提供的日期推算，最后一天约为 {due}");
            match d.days_left {
                Some(n) if n >= 0 => {
                    let _ = write!(s, "，还剩约 {n} 天）");
                }
                Some(_) => s.push_str("，可能已经超过，请尽快咨询 12348）"),
                None => s.push('）'),
            }
        }
        s.push('\n');
    }
    if !c.bring.is_empty() {
        let _ = writeln!(s, "带上：{}", c.bring.join("；"));
    }
    if !c.then.is_empty() {
        let names: Vec<&str> = c.then.iter().map(|t| t.name.as_str()).collect();
        let _ = writeln!(s, "其他途径：{}", names.join("；"));
    }
    if !c.free_help.is_empty() {
        let _ = writeln!(s, "免费帮助：{}", c.free_help.join("；"));
    }
    let _ = writeln!(s, "{}", c.notice);
    s
}
