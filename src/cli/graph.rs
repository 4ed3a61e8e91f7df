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
    // Boxes as wide as their longest text (review E4: ids ran out of their
    // boxes), labels of arrows between the same two boxes merged and wrapped
    // (they were drawn on top of each other and cut at 16 characters).
    let box_w = g
        .boxes
        .iter()
        .map(|b| text_width(&b.key, 13.0).max(text_width(&format!("[{}] {}", b.kind, b.title), 11.0)))
        .fold(150.0_f64, f64::max)
        .min(340.0)
        + 12.0;
    let mut merged: Vec<(usize, usize, Vec<String>)> = Vec::new();
    for a in &g.arrows {
        match merged.iter_mut().find(|(f, t, _)| *f == a.from && *t == a.to) {
            Some((_, _, labels)) => labels.push(a.label.clone()),
            None => merged.push((a.from, a.to, vec![a.label.clone()])),
        }
    }
    let label_lines = |labels: &[String]| -> Vec<String> { labels.iter().flat_map(|l| wrap(l, 14)).collect() };
    let tallest = merged.iter().map(|(_, _, l)| label_lines(l).len()).max().unwrap_or(1) as f64;
    let (bw, bh, gap) = (box_w, 54.0, 24.0);
    let row_h = (bh + 40.0 + tallest * 14.0).max(120.0);
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
    let mut labels = String::new();
    // Taken space: every box, then each label as it is placed.
    let mut taken: Vec<(f64, f64, f64, f64)> = pos.iter().map(|&(x, y)| (x, y, bw, bh)).collect();
    let overlaps = |a: (f64, f64, f64, f64), b: &(f64, f64, f64, f64)| {
        a.0 < b.0 + b.2 && b.0 < a.0 + a.2 && a.1 < b.1 + b.3 && b.1 < a.1 + a.3
    };
    for (k, (from, to, texts)) in merged.iter().enumerate() {
        let ((fx, fy), (tx, ty)) = (pos[*from], pos[*to]);
        let (x1, y1, x2, y2) = (fx + bw / 2.0, fy + bh, tx + bw / 2.0, ty);
        s.push_str(&format!(
            r##"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="#889" marker-end="url(#arrow)"/>
"##
        ));
        // Arrows from one box fan out: their labels sit at different points
        // along them, on a white ground, drawn after every line.
        let lines = label_lines(texts);
        let lw = lines.iter().map(|l| text_width(l, 11.0)).fold(0.0_f64, f64::max) + 6.0;
        let lh = lines.len() as f64 * 14.0 + 4.0;
        // The first point along the arrow where the label covers nothing
        // already drawn (else the least bad: the middle).
        let start = 0.3 + 0.4 * ((k % 3) as f64 / 2.0);
        let tries = [start, 0.5, 0.25, 0.75, 0.15, 0.85, 0.4, 0.6, 0.1, 0.9];
        let at = |t: f64| (x1 + (x2 - x1) * t, y1 + (y2 - y1) * t);
        let free = tries.iter().map(|&t| at(t)).find(|&(x, y)| {
            let r = (x - lw / 2.0, y - lh / 2.0, lw, lh);
            !taken.iter().any(|b| overlaps(r, b))
        });
        let (lx, ly) = free.unwrap_or_else(|| at(0.5));
        taken.push((lx - lw / 2.0, ly - lh / 2.0, lw, lh));
        labels.push_str(&format!(
            r##"<g class="label"><rect x="{:.1}" y="{:.1}" width="{lw:.1}" height="{lh:.1}" rx="3" fill="#ffffff" fill-opacity="0.9"/>"##,
            lx - lw / 2.0,
            ly - lh / 2.0
        ));
        for (i, line) in lines.iter().enumerate() {
            labels.push_str(&format!(
                r##"<text x="{lx:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#335">{}</text>"##,
                ly - lh / 2.0 + 13.0 + i as f64 * 14.0,
                escape(line)
            ));
        }
        labels.push_str("</g>\n");
    }
    s.push_str(&labels);
    for (i, b) in g.boxes.iter().enumerate() {
        let (x, y) = pos[i];
        let fill = if b.card { "#fff4e5" } else { "#eef2f7" };
        let fit = |t: &str, size: f64| fit_width(t, size, bw - 12.0);
        s.push_str(&format!(
            r##"<g><rect x="{x:.1}" y="{y:.1}" width="{bw:.1}" height="{bh}" rx="6" fill="{fill}" stroke="#1d4f91"/><text x="{:.1}" y="{:.1}" font-size="13" font-weight="600">{}</text><text x="{:.1}" y="{:.1}" font-size="11" fill="#555">{}</text></g>
"##,
            x + 6.0,
            y + 20.0,
            escape(&fit(&b.key, 13.0)),
            x + 6.0,
            y + 40.0,
            escape(&fit(&format!("[{}] {}", b.kind, b.title), 11.0))
        ));
    }
    s.push_str("</svg>\n");
    s
}

/// Roughly how wide `text` is drawn at `size` px: CJK characters a full
/// em, others about six tenths of one.
fn text_width(text: &str, size: f64) -> f64 {
    text.chars().map(|c| if c.is_ascii() { 0.6 } else { 1.0 }).sum::<f64>() * size
}

/// `text` cut with "…" to fit `width` at `size` px.
fn fit_width(text: &str, size: f64, width: f64) -> String {
    if text_width(text, size) <= width {
        return text.to_string();
    }
    let mut out = String::new();
    for c in text.chars() {
        if text_width(&out, size) + text_width(&c.to_string(), size) + size > width {
            break;
        }
        out.push(c);
    }
    out + "…"
}

/// `text` in lines of at most `max` characters, broken after a comma or
/// space where there is one.
fn wrap(text: &str, max: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for part in text.split_inclusive([',', '，', ' ', '、']) {
        if !line.trim().is_empty() && line.chars().count() + part.chars().count() > max {
            lines.push(line.trim().to_string());
            line.clear();
        }
        // A word longer than a line stays whole up to twice the width.
        for c in part.chars() {
            if line.chars().count() >= max * 2 {
                lines.push(line.trim().to_string());
                line.clear();
            }
            if line.trim().is_empty() && c == ' ' {
                continue;
            }
            line.push(c);
        }
    }
    if !line.trim().is_empty() {
        lines.push(line.trim().to_string());
    }
    lines
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

#[cfg(test)]
mod tests {
    #[test]
    fn labels_wrap_whole_and_texts_fit_their_boxes() {
        assert_eq!(super::wrap("civil_kind=injury, civil_when=old", 14), ["civil_kind=injury,", "civil_when=old"]);
        assert_eq!(super::wrap("其他情况", 14), ["其他情况"]);
        let fit = super::fit_width("a_very_long_node_identifier_indeed", 13.0, 120.0);
        assert!(fit.ends_with('…') && super::text_width(&fit, 13.0) <= 120.0 + 13.0, "{fit}");
    }
}
