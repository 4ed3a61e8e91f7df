//! `xinfang-guide graph [--format dot|svg|mermaid] [--tree NAME]`: the
//! dialog trees as a picture — each node with its id and kind, each choice
//! with its label, each route's cards with their channel — so an editor
//! sees the whole of what they write. `--tree` takes a node id (what can be
//! reached from it) or a dialog file's name (`route_work`: the nodes
//! written there, and the ones they lead to). SVG is drawn here (layers by
//! distance from the tree's entry), no Graphviz needed.

use crate::app::html::escape;
use crate::content::{Content, Input, NodeIx, NodeKind};
use anyhow::bail;
use std::collections::{BTreeSet, HashMap, VecDeque};

/// What is drawn: boxes and labelled arrows.
#[derive(Debug, Default)]
pub struct Graph {
    pub boxes: Vec<Shape>,
    pub arrows: Vec<Arrow>,
}

#[derive(Debug)]
pub struct Shape {
    /// A name unique in the picture (the node id, or `card:<node>:<n>`).
    pub key: String,
    pub title: String,
    pub kind: String,
    pub card: bool,
}

#[derive(Debug)]
pub struct Arrow {
    pub from: usize,
    pub to: usize,
    pub label: String,
}

/// The node's outgoing edges with their labels, as the person sees them.
fn out(content: &Content, ix: NodeIx) -> Vec<(NodeIx, String)> {
    let node = content.node(ix);
    let labelled = |cs: &[crate::content::Choice]| cs.iter().map(|c| (c.next, c.label.clone())).collect();
    match &node.kind {
        NodeKind::Ask { input, .. } => match input {
            Input::Choice(cs) => labelled(cs),
            Input::YesNo { yes, no, .. } => vec![(*yes, "是".into()), (*no, "否".into())],
            Input::Date { next } => vec![(*next, "日期".into())],
            Input::Number { next } => vec![(*next, "数字".into())],
            Input::Text { next } => vec![(*next, "文字".into())],
        },
        kind => labelled(kind.choices()),
    }
}

/// The nodes a tree holds: reachable from a node id, or written in a file.
fn selection(content: &Content, tree: Option<&str>) -> anyhow::Result<(Vec<NodeIx>, Vec<NodeIx>)> {
    let all: Vec<NodeIx> = (0..content.nodes.len()).collect();
    let Some(name) = tree else {
        let mut roots = vec![content.start, content.handoff, content.help];
        roots.extend(content.entries.iter().copied());
        roots.extend(content.category_entry.values().copied());
        return Ok((all, roots));
    };
    if let Some(root) = content.find(name) {
        let mut seen = BTreeSet::new();
        let mut queue = VecDeque::from([root]);
        while let Some(n) = queue.pop_front() {
            if seen.insert(n) {
                queue.extend(out(content, n).into_iter().map(|(m, _)| m));
            }
        }
        return Ok((seen.into_iter().collect(), vec![root]));
    }
    let in_file: Vec<NodeIx> = all
        .iter()
        .copied()
        .filter(|&ix| content.locs.get(ix).is_some_and(|(f, _)| f.file_stem().is_some_and(|s| s == name)))
        .collect();
    if in_file.is_empty() {
        let files: BTreeSet<String> =
            content.locs.iter().filter_map(|(f, _)| f.file_stem().map(|s| s.to_string_lossy().into_owned())).collect();
        let near = crate::content::near::closest(
            name,
            content.index.keys().map(String::as_str).chain(files.iter().map(String::as_str)),
        );
        let hint = near.map(|n| format!(" (did you mean `{n}`?)")).unwrap_or_default();
        bail!(
            "--tree {name:?} is neither a node id nor a dialog file{hint}; files: {}",
            files.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    // The file's nodes, and the ones they lead to (drawn as well, so every arrow ends somewhere).
    let mut shown: BTreeSet<NodeIx> = in_file.iter().copied().collect();
    for &ix in &in_file {
        shown.extend(out(content, ix).into_iter().map(|(m, _)| m));
    }
    let targets: BTreeSet<NodeIx> = in_file.iter().flat_map(|&ix| out(content, ix)).map(|(m, _)| m).collect();
    let roots = in_file.iter().copied().filter(|ix| !targets.contains(ix)).collect();
    Ok((shown.into_iter().collect(), roots))
}

pub fn build(content: &Content, tree: Option<&str>) -> anyhow::Result<Graph> {
    let (nodes, _) = selection(content, tree)?;
    let mut g = Graph::default();
    let mut at: HashMap<NodeIx, usize> = HashMap::new();
    for &ix in &nodes {
        let n = content.node(ix);
        at.insert(ix, g.boxes.len());
        let title = n.text.lines().next().unwrap_or_default().chars().take(18).collect();
        g.boxes.push(Shape { key: n.id.clone(), title, kind: n.kind.name().to_string(), card: false });
    }
    let channels = &content.directory.channels;
    for &ix in &nodes {
        let from = at[&ix];
        for (to, label) in out(content, ix) {
            if let Some(&t) = at.get(&to) {
                g.arrows.push(Arrow { from, to: t, label });
            }
        }
        if let NodeKind::Route { rules, .. } = &content.node(ix).kind {
            for (i, r) in rules.iter().enumerate() {
                let name = channels.get(&r.channel).map_or(r.channel.as_str(), |c| c.name.as_str());
                let key = format!("card:{}:{}", content.node(ix).id, i + 1);
                g.boxes.push(Shape { key, title: name.to_string(), kind: format!("卡片 {}", r.channel), card: true });
                let when: Vec<String> = r.when.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let label = if when.is_empty() { "其他情况".to_string() } else { when.join(", ") };
                g.arrows.push(Arrow { from, to: g.boxes.len() - 1, label });
            }
        }
    }
    Ok(g)
}

fn dot_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n"))
}

pub fn dot(g: &Graph) -> String {
    let mut s = String::from(
        "digraph dialogs {\n  rankdir=TB;\n  node [shape=box, style=rounded, fontname=\"Noto Sans CJK SC\"];\n  edge [fontname=\"Noto Sans CJK SC\", fontsize=10];\n",
    );
    for b in &g.boxes {
        let shape = if b.card { ", shape=note, style=filled, fillcolor=\"#fff4e5\"" } else { "" };
        let label = format!("{}\n[{}]\n{}", b.key, b.kind, b.title);
        s.push_str(&format!("  {} [label={}{shape}];\n", dot_str(&b.key), dot_str(&label)));
    }
    for a in &g.arrows {
        let (f, t) = (&g.boxes[a.from].key, &g.boxes[a.to].key);
        s.push_str(&format!("  {} -> {} [label={}];\n", dot_str(f), dot_str(t), dot_str(&a.label)));
    }
    s.push_str("}\n");
    s
}

fn mermaid_id(i: usize) -> String {
    format!("n{i}")
}

fn mermaid_str(s: &str) -> String {
    s.replace('"', "#quot;").replace('|', "#124;").replace(['\n', '\r'], " ")
}

pub fn mermaid(g: &Graph) -> String {
    let mut s = String::from("flowchart TD\n");
    for (i, b) in g.boxes.iter().enumerate() {
        let text = mermaid_str(&format!("{}<br/>[{}]<br/>{}", b.key, b.kind, b.title));
        let (open, close) = if b.card { ("[/", "/]") } else { ("[\"", "\"]") };
        let text = if b.card { format!("\"{text}\"") } else { text };
        s.push_str(&format!("  {}{open}{text}{close}\n", mermaid_id(i)));
    }
    for a in &g.arrows {
        s.push_str(&format!("  {} -->|\"{}\"| {}\n", mermaid_id(a.from), mermaid_str(&a.label), mermaid_id(a.to)));
    }
    s
}

/// Layers by distance from the boxes no arrow points to (a tree's entry),
/// then one row per layer.
pub fn svg(g: &Graph) -> String {
    let n = g.boxes.len();
    let mut into = vec![0usize; n];
    for a in &g.arrows {
        if a.from != a.to {
            into[a.to] += 1;
        }
    }
    let mut depth = vec![usize::MAX; n];
    let mut queue: VecDeque<usize> = (0..n).filter(|&i| into[i] == 0).collect();
    if queue.is_empty() && n > 0 {
        queue.push_back(0);
    }
    for &i in &queue {
        depth[i] = 0;
    }
    while let Some(i) = queue.pop_front() {
        for a in g.arrows.iter().filter(|a| a.from == i) {
            if depth[a.to] == usize::MAX {
                depth[a.to] = depth[i] + 1;
                queue.push_back(a.to);
            }
        }
    }
    // Boxes in cycles nothing else reaches: a row of their own at the end.
    let deepest = depth.iter().filter(|d| **d != usize::MAX).max().copied().unwrap_or(0);
    for d in depth.iter_mut().filter(|d| **d == usize::MAX) {
        *d = deepest + 1;
    }
    let layers = depth.iter().max().map_or(0, |d| d + 1);
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); layers];
    for (i, d) in depth.iter().enumerate() {
        rows[*d].push(i);
    }
    let (bw, bh, gap, row_h) = (190.0, 54.0, 16.0, 120.0);
    let widest = rows.iter().map(Vec::len).max().unwrap_or(1).max(1) as f64;
    let (w, h) = (widest * (bw + gap) + gap, layers as f64 * row_h + 20.0);
    let mut pos = vec![(0.0, 0.0); n];
    for (r, row) in rows.iter().enumerate() {
        let offset = (w - row.len() as f64 * (bw + gap) + gap) / 2.0;
        for (k, &i) in row.iter().enumerate() {
            pos[i] = (offset + k as f64 * (bw + gap), 10.0 + r as f64 * row_h);
        }
    }
    let mut s = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:.0} {h:.0}" width="{w:.0}" height="{h:.0}" font-family="Noto Sans CJK SC, PingFang SC, sans-serif">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#667"/></marker></defs>
"##
    );
    for a in &g.arrows {
        let ((fx, fy), (tx, ty)) = (pos[a.from], pos[a.to]);
        let (x1, y1, x2, y2) = (fx + bw / 2.0, fy + bh, tx + bw / 2.0, ty);
        s.push_str(&format!(
            r##"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="#889" marker-end="url(#arrow)"/><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#335">{}</text>
"##,
            (x1 + x2) / 2.0,
            (y1 + y2) / 2.0,
            escape(&a.label.chars().take(16).collect::<String>())
        ));
    }
    for (i, b) in g.boxes.iter().enumerate() {
        let (x, y) = pos[i];
        let fill = if b.card { "#fff4e5" } else { "#eef2f7" };
        s.push_str(&format!(
            r##"<g><rect x="{x:.1}" y="{y:.1}" width="{bw}" height="{bh}" rx="6" fill="{fill}" stroke="#1d4f91"/><text x="{:.1}" y="{:.1}" font-size="13" font-weight="600">{}</text><text x="{:.1}" y="{:.1}" font-size="11" fill="#555">[{}] {}</text></g>
"##,
            x + 6.0,
            y + 20.0,
            escape(&b.key),
            x + 6.0,
            y + 40.0,
            escape(&b.kind),
            escape(&b.title.chars().take(10).collect::<String>())
        ));
    }
    s.push_str("</svg>\n");
    s
}

pub fn render(content: &Content, format: &str, tree: Option<&str>) -> anyhow::Result<String> {
    let g = build(content, tree)?;
    Ok(match format {
        "dot" => dot(&g),
        "svg" => svg(&g),
        "mermaid" => mermaid(&g),
        other => bail!("unknown format {other:?} (dot, svg or mermaid)"),
    })
}
