//! Raw → compiled content. Resolves ids and collects every problem with its
//! file and line; the graph checks (reachability, slot flow) live in `graph`.

use super::diag::{Diagnostics, Kind, Source};
use super::load::RawContent;
use super::model::*;
use super::raw::{self, RawChoice, RawNode, RawRule};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Where a node was written, for later diagnostics.
#[derive(Debug, Clone)]
pub struct Loc {
    pub file: PathBuf,
    pub line: usize,
}

/// Compiles raw content. Returns the content only when there are no errors;
/// warnings are left in `diags` either way.
pub fn compile(raw: &RawContent, diags: &mut Diagnostics) -> Option<Content> {
    let directory = raw.directory.as_ref().map(|(src, d)| compile_directory(src, d, diags));
    let mut cx =
        Cx { diags, index: HashMap::new(), locs: Vec::new(), directory: directory.as_ref(), broken: &raw.broken_ids };
    cx.index_nodes(raw);
    let mut nodes = Vec::new();
    for (src, file) in &raw.dialogs {
        for n in &file.node {
            let me = nodes.len();
            nodes.push(cx.node(src, n, me));
        }
    }
    let (periods, late, starts) = super::periods::compile(raw.deadlines.as_ref(), cx.diags);
    let Globals { category_entry, danger_entry, commands, texts, start, handoff, help, entries } = match &raw.commands {
        Some((src, c)) => cx.commands(src, c),
        None => return None,
    };
    let faq = raw.faq.iter().flat_map(|(src, f)| f.faq.iter().map(move |q| (src, q)));
    let faq: Vec<Faq> = faq.map(|(src, q)| cx.faq(src, q)).collect();
    cx.check_faq_ids(raw, &faq);
    let mut roots = vec![start, handoff, help];
    roots.extend(entries.iter().copied());
    roots.extend(category_entry.values().copied());
    roots.extend(danger_entry.values().copied());
    roots.extend(faq.iter().filter_map(|f| f.node));
    let locs = std::mem::take(&mut cx.locs);
    // Nodes in parts of files that could not be read are missing from the
    // graph: reachability and slot flow in those files would only report
    // what follows from that.
    let mut graph = Diagnostics::default();
    super::graph::check(&nodes, &locs, &roots, start, &mut graph);
    cx.diags.items.extend(graph.items.into_iter().filter(|d| {
        !(matches!(d.kind, Kind::Unreachable | Kind::SlotBeforeSet) && raw.broken_files.contains(&d.file))
    }));
    super::periods::check(raw, &periods, cx.diags);
    super::periods::check_events(&nodes, &locs, &starts, cx.diags);
    let Cx { diags, index, .. } = cx;
    if diags.has_errors() {
        return None;
    }
    let directory = directory?;
    let index = index.into_iter().map(|(k, (ix, _))| (k, ix)).collect();
    Some(Content {
        nodes,
        index,
        start,
        handoff,
        help,
        entries,
        category_entry,
        danger_entry,
        danger: Default::default(),
        periods,
        late,
        starts,
        commands,
        texts,
        directory,
        faq,
        locs: locs.into_iter().map(|l| (l.file, l.line)).collect(),
    })
}

/// What `dialogs/commands.toml` compiles to.
struct Globals {
    category_entry: BTreeMap<String, NodeIx>,
    danger_entry: BTreeMap<String, NodeIx>,
    commands: Commands,
    texts: Texts,
    start: NodeIx,
    handoff: NodeIx,
    help: NodeIx,
    entries: Vec<NodeIx>,
}

struct Cx<'a> {
    diags: &'a mut Diagnostics,
    index: HashMap<String, (NodeIx, Loc)>,
    locs: Vec<Loc>,
    directory: Option<&'a Directory>,
    /// Ids of nodes whose part of a file could not be read (reported there).
    broken: &'a std::collections::HashSet<String>,
}

fn text(s: &Spanned<String>) -> String {
    s.get_ref().trim().to_string()
}

impl Cx<'_> {
    fn index_nodes(&mut self, raw: &RawContent) {
        for (src, file) in &raw.dialogs {
            for n in &file.node {
                let loc = Loc { file: src.path.clone(), line: src.line(n.id.span()) };
                let id = n.id.get_ref().clone();
                if let Some((_, first)) = self.index.get(&id) {
                    let msg =
                        format!("duplicate node id `{id}` (first defined at {}:{})", first.file.display(), first.line);
                    self.diags.error(&loc.file, loc.line, Kind::DuplicateId, msg);
                } else if id.trim().is_empty() {
                    self.diags.error(&loc.file, loc.line, Kind::EmptyText, "node id is empty");
                } else if !crate::engine::choice::is_name(&id) {
                    // Button ids are built from node ids (`<node>.<n>`, `faq:<node>`).
                    let msg = format!("node id `{id}` must be 1-64 lowercase letters a-z, digits or `_`");
                    self.diags.error(&loc.file, loc.line, Kind::Invalid, msg);
                } else {
                    self.index.insert(id, (self.locs.len(), loc.clone()));
                }
                self.locs.push(loc);
            }
        }
    }

    /// Resolves a node reference; a dangling one is reported and resolves to
    /// `fallback` so the other checks can go on (the content is rejected anyway).
    fn resolve(&mut self, src: &Source, r: &Spanned<String>, fallback: NodeIx) -> NodeIx {
        match self.index.get(r.get_ref()) {
            Some((ix, _)) => *ix,
            None if self.broken.contains(r.get_ref()) => fallback,
            None => {
                let near = super::near::closest(r.get_ref(), self.index.keys().map(String::as_str));
                let hint = near.map(|n| format!("; did you mean `{n}`?")).unwrap_or_default();
                let msg = format!("`{}` names no node{hint}", r.get_ref());
                self.diags.error(&src.path, src.line(r.span()), Kind::DanglingNode, msg);
                fallback
            }
        }
    }

    fn required_text(&mut self, src: &Source, s: Option<&Spanned<String>>, at: usize, what: &str) -> String {
        match s {
            Some(s) if !s.get_ref().trim().is_empty() => text(s),
            Some(s) => {
                self.diags.error(&src.path, src.line(s.span()), Kind::EmptyText, format!("{what} is empty"));
                String::new()
            }
            None => {
                self.diags.error(&src.path, at, Kind::EmptyText, format!("{what} is missing"));
                String::new()
            }
        }
    }

    fn node(&mut self, src: &Source, n: &RawNode, me: NodeIx) -> Node {
        let line = src.line(n.id.span());
        let body = self.required_text(src, n.text.as_ref(), line, "node text");
        let text_numbers = n.text_numbers.as_ref().map(|t| self.non_empty(src, t, "node `text_numbers`"));
        let cites = n.cites.iter().map(|c| self.non_empty(src, c, "citation")).collect();
        let choices = self.choices(src, &n.choices, me);
        let kind = match n.kind.get_ref().as_str() {
            "menu" => NodeKind::Menu { choices },
            "answer" => NodeKind::Answer { choices },
            "handoff" => NodeKind::Handoff { choices },
            "ask" => self.ask(src, n, choices, me),
            "route" => self.route(src, n, choices),
            other => {
                let msg = format!("unknown node kind `{other}` (menu, ask, answer, route, handoff)");
                self.diags.error(&src.path, src.line(n.kind.span()), Kind::Invalid, msg);
                NodeKind::Answer { choices }
            }
        };
        if !matches!(kind, NodeKind::Ask { .. }) && n.choices.iter().any(|c| c.value.is_some()) {
            self.diags.error(&src.path, line, Kind::Invalid, "only `ask` nodes take choice values");
        }
        let periods = n.periods.iter().map(|p| p.get_ref().clone()).collect();
        let feedback = n.feedback.unwrap_or(true);
        Node { id: n.id.get_ref().clone(), text: body, text_numbers, cites, kind, periods, feedback }
    }

    fn non_empty(&mut self, src: &Source, s: &Spanned<String>, what: &str) -> String {
        if s.get_ref().trim().is_empty() {
            self.diags.error(&src.path, src.line(s.span()), Kind::EmptyText, format!("{what} is empty"));
        }
        text(s)
    }

    fn choices(&mut self, src: &Source, raw: &[RawChoice], me: NodeIx) -> Vec<Choice> {
        raw.iter().map(|c| self.choice(src, c, me)).collect()
    }

    fn choice(&mut self, src: &Source, c: &RawChoice, me: NodeIx) -> Choice {
        let label = self.non_empty(src, &c.label, "choice label");
        let next = match &c.next {
            Some(r) => self.resolve(src, r, me),
            None => {
                let msg = format!("choice `{label}` has no `next`");
                self.diags.error(&src.path, src.line(c.label.span()), Kind::NoWayForward, msg);
                me
            }
        };
        let mut sets = Vec::new();
        if let Some(cat) = &c.category {
            self.category_ref(src, cat);
            sets.push(("category".to_string(), cat.get_ref().clone()));
        }
        if let Some(v) = &c.value {
            sets.push((String::new(), v.get_ref().clone()));
        }
        Choice { label, next, sets, resume: c.resume }
    }

    fn ask(&mut self, src: &Source, n: &RawNode, mut choices: Vec<Choice>, me: NodeIx) -> NodeKind {
        let line = src.line(n.id.span());
        let slot = self.required_text(src, n.slot.as_ref(), line, "ask node `slot`");
        let hint = n.hint.as_ref().map(text).unwrap_or_default();
        let input_name = n.input.as_ref().map(|s| s.get_ref().as_str()).unwrap_or("choice");
        let next = |cx: &mut Self, r: Option<&Spanned<String>>, what: &str| match r {
            Some(r) => cx.resolve(src, r, me),
            None => {
                let msg = format!("ask node needs `{what}`");
                cx.diags.error(&src.path, line, Kind::NoWayForward, msg);
                me
            }
        };
        let input = match input_name {
            "choice" => {
                for c in &mut choices {
                    for (k, _) in &mut c.sets {
                        if k.is_empty() {
                            *k = slot.clone();
                        }
                    }
                    if !c.sets.iter().any(|(k, _)| *k == slot) {
                        c.sets.push((slot.clone(), c.label.clone()));
                    }
                }
                if choices.is_empty() {
                    self.diags.error(
                        &src.path,
                        line,
                        Kind::NoWayForward,
                        "ask node with input `choice` has no choices",
                    );
                }
                Input::Choice(choices)
            }
            "yesno" => Input::YesNo {
                yes: next(self, n.yes.as_ref(), "yes"),
                no: next(self, n.no.as_ref(), "no"),
                words: YesNoWords {
                    yes: n.yes_words.iter().map(|w| crate::engine::understand::normalize(w.get_ref())).collect(),
                    no: n.no_words.iter().map(|w| crate::engine::understand::normalize(w.get_ref())).collect(),
                },
            },
            "date" => {
                if let Some(h) = &n.hint {
                    let msg = "date questions take no `hint`: a date that cannot be read or is still ahead gets \
                               `date_malformed` or `date_future` of dialogs/commands.toml";
                    self.diags.error(&src.path, src.line(h.span()), Kind::Invalid, msg);
                }
                Input::Date { next: next(self, n.next.as_ref(), "next") }
            }
            "number" => Input::Number { next: next(self, n.next.as_ref(), "next") },
            "text" => Input::Text { next: next(self, n.next.as_ref(), "next") },
            other => {
                let msg = format!("unknown input `{other}` (choice, yesno, date, number, text)");
                self.diags.error(&src.path, line, Kind::Invalid, msg);
                Input::Text { next: me }
            }
        };
        if !matches!(input, Input::Choice(_)) && !n.choices.is_empty() {
            self.diags.error(&src.path, line, Kind::Invalid, "only input `choice` takes choices");
        }
        NodeKind::Ask { slot, input, hint }
    }

    fn route(&mut self, src: &Source, n: &RawNode, choices: Vec<Choice>) -> NodeKind {
        let line = src.line(n.id.span());
        let category = n.category.as_ref().map(|c| {
            self.category_ref(src, c);
            c.get_ref().clone()
        });
        let rules: Vec<Rule> = n.rule.iter().map(|r| self.rule(src, r, category.as_deref())).collect();
        match n.rule.last() {
            None => self.diags.error(&src.path, line, Kind::NoDefaultRule, "route node has no rule"),
            Some(r) if !r.when.is_empty() => {
                let msg = "the last rule of a route must have no `when`, so every case gets a card";
                self.diags.error(&src.path, src.line(r.channel.span()), Kind::NoDefaultRule, msg);
            }
            Some(_) => {}
        }
        NodeKind::Route { category, rules, choices }
    }

    fn rule(&mut self, src: &Source, r: &RawRule, category: Option<&str>) -> Rule {
        let channel = r.channel.get_ref().clone();
        self.channel_ref(src, &r.channel);
        for t in &r.then {
            self.channel_ref(src, t);
        }
        if channel == "xinfang" {
            let forbidden =
                category.and_then(|c| self.directory.and_then(|d| d.categories.get(c))).is_some_and(|c| !c.xinfang_ok);
            if forbidden {
                let msg = format!(
                    "category `{}` belongs to a legal procedure (xinfang_ok = false): 信访 cannot be the first step (诉访分离)",
                    category.unwrap_or_default()
                );
                self.diags.error(&src.path, src.line(r.channel.span()), Kind::XinfangFirst, msg);
            }
        }
        let deadline = r.deadline.as_ref().map(|d| self.deadline(src, d));
        self.general_how_fits(src, r);
        Rule {
            when: r.when.iter().map(|(k, v)| (k.clone(), v.get_ref().clone())).collect(),
            channel,
            why: self.non_empty(src, &r.why, "rule `why`"),
            cites: r.cites.iter().map(|c| self.non_empty(src, c, "citation")).collect(),
            deadline,
            bring: r.bring.iter().map(|b| self.non_empty(src, b, "`bring` item")).collect(),
            then: r.then.iter().map(|t| t.get_ref().clone()).collect(),
            how: r.how.as_ref().map(|h| self.non_empty(src, h, "rule `how`")),
            name: r.name.as_ref().map(|n| self.non_empty(src, n, "rule `name`")),
            periods: r.periods.iter().map(|p| p.get_ref().clone()).collect(),
        }
    }

    /// A card without its own `how` prints its channel's general 怎么找 line:
    /// the rule names its `case`, and the channel must list that case in
    /// `fits` (someone read the line and found it right for this case).
    fn general_how_fits(&mut self, src: &Source, r: &raw::RawRule) {
        let Some(dir) = self.directory else { return };
        let Some(ch) = dir.channels.get(r.channel.get_ref()) else { return };
        if r.how.is_some() {
            return;
        }
        let line = src.line(r.channel.span());
        match &r.case {
            None => {
                let msg = format!(
                    "this card prints `{}`'s general 怎么找 line: name its `case` and list it in the channel's `fits`, or give the rule its own `how`",
                    r.channel.get_ref()
                );
                self.diags.error(&src.path, line, Kind::HowMismatch, msg);
            }
            Some(c) if !ch.fits.iter().any(|f| f == c.get_ref()) => {
                let msg = format!(
                    "case `{}` is not among the cases `{}`'s general 怎么找 fits ({}): give the rule its own `how`, or add the case to `fits` once the line is right for it",
                    c.get_ref(),
                    r.channel.get_ref(),
                    ch.fits.join(", ")
                );
                self.diags.error(&src.path, src.line(c.span()), Kind::HowMismatch, msg);
            }
            Some(_) => {}
        }
    }

    fn deadline(&mut self, src: &Source, d: &raw::RawDeadline) -> Deadline {
        if d.from.is_some() == d.routes.is_empty() {
            let msg = "a deadline computes its `routes` from the date in `from`: give both or neither";
            self.diags.error(&src.path, src.line(d.text.span()), Kind::Invalid, msg);
        }
        if d.after.is_some() && d.from.is_none() {
            let msg = "a deadline with `after` needs `from`";
            self.diags.error(&src.path, src.line(d.text.span()), Kind::Invalid, msg);
        }
        if let Some(e) = &d.event {
            if d.from.is_none() || d.after.is_some() {
                let msg =
                    "a deadline with `event` needs `from` and no `after` (the event's [start] row gives the wait)";
                self.diags.error(&src.path, src.line(e.span()), Kind::Invalid, msg);
            }
        }
        Deadline {
            text: self.non_empty(src, &d.text, "deadline text"),
            from: d.from.as_ref().map(|f| f.get_ref().clone()),
            after: d.after.as_ref().map(|f| f.get_ref().clone()),
            routes: d.routes.iter().map(|r| r.get_ref().clone()).collect(),
            event: d.event.as_ref().map(|e| e.get_ref().clone()),
        }
    }

    fn channel_ref(&mut self, src: &Source, c: &Spanned<String>) {
        let Some(dir) = self.directory else { return };
        if !dir.channels.contains_key(c.get_ref()) {
            let msg = format!("unknown channel id `{}` (see config/directory.toml)", c.get_ref());
            self.diags.error(&src.path, src.line(c.span()), Kind::UnknownChannel, msg);
        }
    }

    fn category_ref(&mut self, src: &Source, c: &Spanned<String>) {
        let Some(dir) = self.directory else { return };
        if !dir.categories.contains_key(c.get_ref()) {
            let msg = format!("unknown category id `{}` (see config/directory.toml)", c.get_ref());
            self.diags.error(&src.path, src.line(c.span()), Kind::UnknownCategory, msg);
        }
    }

    fn commands(&mut self, src: &Source, c: &raw::CommandsFile) -> Globals {
        let start = self.resolve(src, &c.start, 0);
        let handoff = self.resolve(src, &c.handoff, 0);
        let help = self.resolve(src, &c.help, 0);
        let entries = c.entries.iter().map(|e| self.resolve(src, e, 0)).collect();
        let norm = |v: &Vec<String>| v.iter().map(|s| crate::engine::understand::normalize(s)).collect();
        let s = &c.synonyms;
        let commands = Commands {
            back: norm(&s.back),
            restart: norm(&s.restart),
            handoff: norm(&s.handoff),
            help: norm(&s.help),
            yes: norm(&s.yes),
            no: norm(&s.no),
            comment: s.comment.iter().map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect(),
            safe: norm(&s.safe),
            unsure: norm(&s.unsure),
            thanks: norm(&s.thanks),
            hello: norm(&s.hello),
        };
        let t = &c.texts;
        let opt = |me: &mut Self, v: &Option<toml::Spanned<String>>, default: &str| {
            v.as_ref().map(|x| me.non_empty(src, x, "text")).unwrap_or_else(|| default.to_string())
        };
        let texts = Texts {
            not_understood: self.non_empty(src, &t.not_understood, "text"),
            expired: self.non_empty(src, &t.expired, "text"),
            at_start: self.non_empty(src, &t.at_start, "text"),
            empty: self.non_empty(src, &t.empty, "text"),
            back_label: self.non_empty(src, &t.back_label, "text"),
            menu_label: self.non_empty(src, &t.menu_label, "text"),
            notice: self.non_empty(src, &t.notice, "text"),
            confirm: t
                .confirm
                .as_ref()
                .map(|s| self.non_empty(src, s, "text"))
                .unwrap_or_else(|| "您反映的似乎是{category}，对吗？".into()),
            suggest: t
                .suggest
                .as_ref()
                .map(|s| self.non_empty(src, s, "text"))
                .unwrap_or_else(|| "您的问题可能属于下面哪一类？".into()),
            other_kinds: opt(self, &t.other_kinds, "那么，您的问题更接近下面哪一类？"),
            lost: t
                .lost
                .as_ref()
                .map(|s| self.non_empty(src, s, "text"))
                .unwrap_or_else(|| t.not_understood.get_ref().clone()),
            helpful_label: opt(self, &t.helpful_label, "有帮助"),
            unhelpful_label: opt(self, &t.unhelpful_label, "没帮助"),
            feedback_thanks: opt(self, &t.feedback_thanks, "谢谢您的反馈！"),
            feedback_ask: opt(self, &t.feedback_ask, "如果愿意，可以发送“意见：”加一句话，告诉我们哪里没帮上。"),
            comment_thanks: opt(self, &t.comment_thanks, "已记下您的意见，谢谢！"),
            resume_confirm: opt(self, &t.resume_confirm, "您刚才还提到“{category}”方面的问题，要接着看看该找哪里吗？"),
            resume_pick: opt(self, &t.resume_pick, "您刚才提到的事情，更接近下面哪一类？"),
            date_malformed: opt(self, &t.date_malformed, "没看懂这个日期，请按 2026-05-20 这样输入。"),
            date_future: opt(self, &t.date_future, "这个日期还没到。请输入一个已经过去的日期，例如 2026-05-20。"),
            faq_heading: opt(self, &t.faq_heading, "您问的是：{question}？"),
            also_mentioned_label: opt(self, &t.also_mentioned_label, "您还提到：{category}"),
            faq_offer_label: opt(self, &t.faq_offer_label, "问答：{question}"),
            faq_not_this_label: opt(self, &t.faq_not_this_label, "不是这个"),
            direct_not_this_label: opt(self, &t.direct_not_this_label, "不是这类事"),
            date_from_message: opt(
                self,
                &t.date_from_message,
                "您前面说的时间是“{said}”，按 {date} 推算。日期不对的话，发送“返回”重新输入。",
            ),
            date_lunar: opt(
                self,
                &t.date_lunar,
                "我不能换算农历日期，请告诉我公历（阳历）日期，例如 2026-03-15；只记得月份的，输入 2026年3月。",
            ),
            date_unknown_label: opt(self, &t.date_unknown_label, "记不清"),
            thanks_reply: opt(self, &t.thanks_reply, "不客气！"),
            hello_reply: opt(self, &t.hello_reply, "您好！请问有什么可以帮您？"),
            comment_skip_label: opt(self, &t.comment_skip_label, "不填了"),
            comment_skipped: opt(self, &t.comment_skipped, "好的，谢谢您的反馈！"),
            too_long: opt(self, &t.too_long, "消息太长了（{chars} 字），超过了 {max} 字的上限。请删减，或分几次发送。"),
            handoff_pending: opt(self, &t.handoff_pending, "本地接待窗口的地址和电话正在核实，暂时请拨打 12348。"),
        };
        let mut category_entry = BTreeMap::new();
        for (cat, node) in &c.category_entry {
            let known = self.directory.is_none_or(|d| d.categories.contains_key(cat));
            if !known {
                let msg = format!("unknown category id `{cat}` in [category_entry]");
                self.diags.error(&src.path, src.line(node.span()), Kind::UnknownCategory, msg);
            }
            category_entry.insert(cat.clone(), self.resolve(src, node, 0));
        }
        let danger_entry =
            c.danger_entry.iter().map(|(kind, node)| (kind.clone(), self.resolve(src, node, 0))).collect();
        Globals { category_entry, danger_entry, commands, texts, start, handoff, help, entries }
    }

    fn faq(&mut self, src: &Source, q: &raw::RawFaq) -> Faq {
        let node = q.node.as_ref().map(|n| self.resolve(src, n, 0));
        for c in q.category.iter().chain(&q.also) {
            self.category_ref(src, c);
        }
        if time::Date::parse(q.reviewed.get_ref(), DATE_FORMAT).is_err() {
            let msg = format!("`reviewed` must be a date like 2026-11-27, not `{}`", q.reviewed.get_ref());
            self.diags.error(&src.path, src.line(q.reviewed.span()), Kind::Invalid, msg);
        }
        Faq {
            id: q.id.get_ref().clone(),
            question: self.non_empty(src, &q.question, "FAQ question"),
            alt: q.alt.clone(),
            answer: self.non_empty(src, &q.answer, "FAQ answer"),
            detail: q.detail.clone(),
            cites: q.cites.iter().map(|c| self.non_empty(src, c, "citation")).collect(),
            related: q.related.iter().map(|r| r.get_ref().clone()).collect(),
            node,
            category: q.category.as_ref().map(|c| c.get_ref().clone()),
            also: q.also.iter().map(|c| c.get_ref().clone()).collect(),
            periods: q.periods.iter().map(|p| p.get_ref().clone()).collect(),
            reviewed: q.reviewed.get_ref().clone(),
            loc: (src.path.clone(), src.line(q.id.span())),
        }
    }

    fn check_faq_ids(&mut self, raw: &RawContent, faq: &[Faq]) {
        let mut seen: HashMap<&str, Loc> = HashMap::new();
        for (src, f) in &raw.faq {
            for q in &f.faq {
                let loc = Loc { file: src.path.clone(), line: src.line(q.id.span()) };
                if let Some(first) = seen.get(q.id.get_ref().as_str()) {
                    let msg = format!(
                        "duplicate FAQ id `{}` (first defined at {}:{})",
                        q.id.get_ref(),
                        first.file.display(),
                        first.line
                    );
                    self.diags.error(&loc.file, loc.line, Kind::DuplicateId, msg);
                } else {
                    seen.insert(q.id.get_ref(), loc);
                }
            }
        }
        for (src, f) in &raw.faq {
            for q in &f.faq {
                for r in &q.related {
                    if !faq.iter().any(|x| &x.id == r.get_ref()) && !self.broken.contains(r.get_ref()) {
                        let msg = format!("related FAQ `{}` does not exist", r.get_ref());
                        self.diags.error(&src.path, src.line(r.span()), Kind::DanglingNode, msg);
                    }
                }
            }
        }
    }
}

pub const DATE_FORMAT: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

fn compile_directory(src: &Source, d: &raw::DirectoryFile, diags: &mut Diagnostics) -> Directory {
    let p = &src.path;
    let field = |s: &Spanned<String>, what: &str, diags: &mut Diagnostics| {
        let line = src.line(s.span());
        if s.get_ref().trim().is_empty() {
            diags.error(p, line, Kind::EmptyText, format!("{what} is empty"));
        } else if is_placeholder(s.get_ref()) {
            let msg = format!("{what} is a placeholder (`{}`): fill it in before deploying", s.get_ref());
            diags.warning(p, line, Kind::Placeholder, msg);
        }
        text(s)
    };
    let mut channels = BTreeMap::new();
    for (id, c) in &d.channels {
        let ch = Channel {
            name: field(&c.name, "channel name", diags),
            how: field(&c.how, "channel `how`", diags),
            hotline: c.hotline.as_ref().map(|h| field(h, "hotline", diags)),
            website: c.website.as_ref().map(|w| field(w, "website", diags)),
            basis: field(&c.basis, "channel basis", diags),
            periods: c.periods.iter().map(|p| p.get_ref().clone()).collect(),
            fits: c.fits.iter().map(|f| f.get_ref().clone()).collect(),
        };
        channels.insert(id.clone(), ch);
    }
    let mut categories = BTreeMap::new();
    for (id, c) in &d.categories {
        if !crate::engine::choice::is_name(id) {
            // Buttons name categories (`cat:<id>`).
            let msg = format!("category id `{id}` must be 1-64 lowercase letters a-z, digits or `_`");
            diags.error(p, src.line(c.name.span()), Kind::Invalid, msg);
        }
        for ch in &c.channels {
            if !channels.contains_key(ch.get_ref()) {
                let msg = format!("category `{id}` lists unknown channel `{}`", ch.get_ref());
                diags.error(p, src.line(ch.span()), Kind::UnknownChannel, msg);
            }
        }
        let direct = match (&c.direct, &c.direct_basis) {
            (Some(text), Some(basis)) => Some((field(text, "direct answer", diags), field(basis, "its basis", diags))),
            (None, None) => None,
            (Some(s), None) | (None, Some(s)) => {
                let msg = format!("category `{id}`: a direct answer needs both `direct` and `direct_basis`");
                diags.error(p, src.line(s.span()), Kind::Invalid, msg);
                None
            }
        };
        let cat = Category {
            name: field(&c.name, "category name", diags),
            channels: c.channels.iter().map(|c| c.get_ref().clone()).collect(),
            xinfang_ok: c.xinfang_ok,
            direct,
        };
        categories.insert(id.clone(), cat);
    }
    let office = |o: &raw::RawOffice, diags: &mut Diagnostics| {
        if let Some(ch) = &o.channel {
            if !channels.contains_key(ch.get_ref()) {
                let msg = format!("local office for unknown channel `{}`", ch.get_ref());
                diags.error(p, src.line(ch.span()), Kind::UnknownChannel, msg);
            }
        }
        Office {
            channel: o.channel.as_ref().map(|c| c.get_ref().clone()),
            name: field(&o.name, "office name", diags),
            address: field(&o.address, "office address", diags),
            phone: field(&o.phone, "office phone", diags),
            hours: field(&o.hours, "office hours", diags),
        }
    };
    let local = d.local.iter().map(|o| office(o, diags)).collect();
    let handoff = office(&d.handoff, diags);
    let free_help = d.free_help.iter().map(|f| field(f, "free help line", diags)).collect();
    Directory {
        deployment: field(&d.deployment.name, "deployment name", diags),
        region: field(&d.deployment.region, "deployment region", diags),
        categories,
        channels,
        local,
        free_help,
        handoff,
    }
}

/// Loads and compiles a content directory in one go.
pub fn load(root: &Path) -> (Option<Content>, Diagnostics) {
    let mut diags = Diagnostics::default();
    let raw = super::load::read_dir(root, &mut diags);
    let mut content = compile(&raw, &mut diags);
    let danger = crate::danger::load::load(root, &mut diags);
    if let Some(c) = &mut content {
        check_danger_entries(&raw, c, !danger.is_empty(), &mut diags);
        c.danger = std::sync::Arc::new(danger);
    }
    diags.sort();
    (content.filter(|_| !diags.has_errors()), diags)
}

/// Every reply the recogniser can ask for has its node in `[danger_entry]`
/// (when there is a recogniser), and no other key is there.
fn check_danger_entries(raw: &RawContent, c: &Content, recognizes: bool, diags: &mut Diagnostics) {
    let Some((src, file)) = &raw.commands else { return };
    for (key, node) in &file.danger_entry {
        if !crate::danger::ENTRIES.contains(&key.as_str()) {
            let msg = format!("unknown key `{key}` in [danger_entry] (one of {})", crate::danger::ENTRIES.join(", "));
            diags.error(&src.path, src.line(node.span()), Kind::Invalid, msg);
        }
    }
    if recognizes {
        for key in crate::danger::ENTRIES.iter().filter(|k| !c.danger_entry.contains_key(**k)) {
            let msg = format!("[danger_entry] has no node for `{key}`: the danger recogniser can ask for it");
            diags.error(&src.path, 1, Kind::Invalid, msg);
        }
    } else if !file.danger_entry.is_empty() {
        let msg = format!("no {}: messages about danger will not be recognised", crate::danger::load::RULES);
        diags.warning(&src.path, 1, Kind::Invalid, msg);
    }
}
