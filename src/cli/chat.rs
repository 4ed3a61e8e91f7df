//! `xinfang-guide chat`: the engine in a terminal, numbered choices, no
//! server and no data dir, so an editor can try content before publishing.

use super::transcript::render_turn;
use crate::engine::Engine;
use crate::engine::choice::{ChoiceId, Cmd};
use crate::engine::reply::Inbound;
use crate::engine::session::{Session, SessionKey};
use std::io::{BufRead, Write};

/// Reads lines from `input` until EOF or `退出`/`quit`; a number picks a choice.
pub fn run(engine: &Engine, input: impl BufRead, out: &mut impl Write, now: impl Fn() -> i64) -> anyhow::Result<()> {
    let key = SessionKey::parse("terminal", "editor")?;
    let mut last: Vec<ChoiceId> = Vec::new();
    let step = engine.step(None, &key, &Inbound::choice(ChoiceId::cmd(Cmd::Resume)), now());
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
