//! `xinfang-guide chat`: the engine in a terminal, numbered choices, no
//! server and no data dir, so an editor can try content before publishing.

use super::transcript::render_turn;
use crate::engine::Engine;
use crate::engine::choice::{ChoiceId, Cmd};
use crate::engine::reply::Inbound;
use crate::engine::session::{Session, SessionKey};
use std::io::{BufRead, Write};
use std::path::Path;

/// With `--show-ids`: what a reply shows and where it is written (relative
/// to the content directory `root`), so an editor can go from the screen
/// to the TOML: a FAQ entry, the kinds of matter suggested, or the node.
fn where_written(engine: &Engine, step: &crate::engine::Step, root: &Path) -> String {
    let c = &engine.content;
    let rel = |file: &Path| file.strip_prefix(root).unwrap_or(file).display().to_string();
    if let Some(f) = step.log.faq.as_deref().and_then(|id| c.faq.iter().find(|f| f.id == id)) {
        return format!("［FAQ {} · {}:{}］\n", f.id, rel(&f.loc.0), f.loc.1);
    }
    if step.log.asked {
        let offered: Vec<&str> = step.session.offered.iter().map(|(_, label)| label.as_str()).collect();
        return format!("［建议分类 · 理解程序给出的选项：{}］\n", offered.join("、"));
    }
    let node = &step.session.node;
    let at = match c.find(node).and_then(|ix| c.locs.get(ix)) {
        Some((file, line)) => format!("节点 {node} · {}:{line}", rel(file)),
        None => format!("节点 {node}"),
    };
    match &step.log.direct {
        // A direct answer: which threshold let it through, then the node.
        Some(cat) => format!("［直接回答“{cat}” · {} [direct] · {at}］\n", crate::understand::load::LEXICON),
        None => format!("［{at}］\n"),
    }
}

/// Reads lines from `input` until EOF or `退出`/`quit`; a number picks a
/// choice. `show_ids`: the content directory, to print each reply's node
/// id and file:line.
pub fn run(
    engine: &Engine,
    input: impl BufRead,
    out: &mut impl Write,
    now: impl Fn() -> i64,
    show_ids: Option<&Path>,
) -> anyhow::Result<()> {
    let key = SessionKey::parse("terminal", "editor")?;
    let mut last: Vec<ChoiceId> = Vec::new();
    let step = engine.step(None, &key, &Inbound::choice(ChoiceId::cmd(Cmd::Resume)), now());
    if let Some(root) = show_ids {
        write!(out, "{}", where_written(engine, &step, root))?;
    }
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
        if let Some(root) = show_ids {
            write!(out, "{}", where_written(engine, &step, root))?;
        }
        write!(out, "{}", render_turn(&step.replies, &mut last))?;
        session = Some(step.session);
    }
    Ok(())
}
