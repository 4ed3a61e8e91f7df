//! Checks over the dialog graph: reachability, a way forward from nodes that
//! wait for input, and slots read where no path can have set them.

use super::compile::Loc;
use super::diag::{Diagnostics, Kind};
use super::model::{Input, Node, NodeIx, NodeKind};
use std::collections::BTreeSet;

/// Edges out of a node, each with the slots written when it is taken.
pub fn edges(node: &Node) -> Vec<(NodeIx, Vec<String>)> {
    let with = |slot: &str| vec![slot.to_string()];
    match &node.kind {
        NodeKind::Ask { slot, input, .. } => match input {
            Input::Choice(choices) => {
                choices.iter().map(|c| (c.next, c.sets.iter().map(|(k, _)| k.clone()).collect())).collect()
            }
            Input::YesNo { yes, no, .. } => vec![(*yes, with(slot)), (*no, with(slot))],
            Input::Date { next } | Input::Number { next } | Input::Text { next } => {
                vec![(*next, with(slot))]
            }
        },
        kind => kind.choices().iter().map(|c| (c.next, c.sets.iter().map(|(k, _)| k.clone()).collect())).collect(),
    }
}

/// Slots a node reads: `{slot}` in its text, route conditions, deadline dates.
pub fn reads(node: &Node) -> Vec<String> {
    let mut out = placeholders(&node.text);
    if let NodeKind::Route { category, rules, .. } = &node.kind {
        if category.is_none() {
            out.push("category".to_string());
        }
        for r in rules {
            out.extend(r.when.iter().map(|(k, _)| k.clone()));
            out.extend(r.deadline.as_ref().and_then(|d| d.from.clone()));
            out.extend(r.deadline.as_ref().and_then(|d| d.event.clone()));
            out.extend(placeholders(&r.why));
        }
    }
    out
}

/// `{name}` placeholders in a text (ASCII names only; other braces are text).
pub fn placeholders(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    out.push(name.to_string());
                }
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    out
}

pub fn check(nodes: &[Node], locs: &[Loc], roots: &[NodeIx], start: NodeIx, diags: &mut Diagnostics) {
    if nodes.is_empty() {
        return;
    }
    let out: Vec<_> = nodes.iter().map(edges).collect();
    // Reachability from every entry point.
    let mut seen = vec![false; nodes.len()];
    let mut stack: Vec<NodeIx> = roots.iter().copied().filter(|r| *r < nodes.len()).collect();
    while let Some(n) = stack.pop() {
        if std::mem::replace(&mut seen[n], true) {
            continue;
        }
        stack.extend(out[n].iter().map(|(m, _)| *m));
    }
    for (ix, node) in nodes.iter().enumerate() {
        let loc = &locs[ix];
        let duplicate = ix > 0 && nodes[..ix].iter().any(|n| n.id == node.id);
        if !seen[ix] && !duplicate {
            let msg = format!("node `{}` cannot be reached from the start node or any entry point", node.id);
            diags.error(&loc.file, loc.line, Kind::Unreachable, msg);
        }
        let waits = matches!(node.kind, NodeKind::Menu { .. });
        if waits && out[ix].is_empty() {
            let msg = format!("menu `{}` offers no choice: no way forward", node.id);
            diags.error(&loc.file, loc.line, Kind::NoWayForward, msg);
        }
    }
    check_slots(nodes, locs, &out, roots, start, diags);
}

/// "May be set" data flow: a slot read at a node must be written on at least
/// one path from an entry point to it.
fn check_slots(
    nodes: &[Node],
    locs: &[Loc],
    out: &[Vec<(NodeIx, Vec<String>)>],
    roots: &[NodeIx],
    start: NodeIx,
    diags: &mut Diagnostics,
) {
    let mut may: Vec<Option<BTreeSet<String>>> = vec![None; nodes.len()];
    let mut work: Vec<NodeIx> = Vec::new();
    for r in roots.iter().copied().chain([start]) {
        if r < nodes.len() && may[r].is_none() {
            may[r] = Some(BTreeSet::new());
            work.push(r);
        }
    }
    while let Some(n) = work.pop() {
        let here = may[n].clone().unwrap_or_default();
        for (m, writes) in &out[n] {
            let mut next = here.clone();
            next.extend(writes.iter().filter(|w| !w.is_empty()).cloned());
            let first = may[*m].is_none();
            let target = may[*m].get_or_insert_with(BTreeSet::new);
            let before = target.len();
            target.extend(next);
            if first || target.len() != before {
                work.push(*m);
            }
        }
    }
    for (ix, node) in nodes.iter().enumerate() {
        let Some(set) = &may[ix] else { continue };
        for slot in reads(node) {
            if !set.contains(&slot) {
                let loc = &locs[ix];
                let msg = format!("node `{}` reads slot `{slot}`, which no path to it sets", node.id);
                diags.error(&loc.file, loc.line, Kind::SlotBeforeSet, msg);
            }
        }
    }
}
