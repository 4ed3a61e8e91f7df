//! Time limits as data (`config/deadlines.toml`): each period's length,
//! what starts its clock and the article that sets it. Every text of the
//! content that states a period declares it by id, so a number changed in
//! one place and not the other is an error: the text must state each period
//! it declares, declare each period it states, and cite the article that
//! sets it. `check --laws` then checks that article states the period.

use super::diag::{Diagnostics, Kind, Source};
use super::laws::{Laws, Missing, Span, citations_in, spans_in};
use super::load::RawContent;
use super::model::{LateDef, PeriodDef, StartDef};
use super::raw::DeadlinesFile;
use std::collections::{BTreeMap, BTreeSet};
use toml::Spanned;

pub type Periods = BTreeMap<String, PeriodDef>;
pub type Lates = BTreeMap<String, LateDef>;
pub type Starts = BTreeMap<String, StartDef>;

/// The deadline table, compiled; problems reported at their lines.
pub fn compile(file: Option<&(Source, DeadlinesFile)>, diags: &mut Diagnostics) -> (Periods, Lates, Starts) {
    let (mut periods, mut late, mut starts) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    let Some((src, d)) = file else { return (periods, late, starts) };
    for (id, l) in &d.late {
        late.insert(id.clone(), LateDef { text: l.text.get_ref().trim().to_string(), cite: l.cite.get_ref().clone() });
    }
    for (id, p) in &d.period {
        let line = src.line(p.step.span());
        let spans: Vec<Span> = [
            p.hours.map(Span::Hours),
            p.days.map(Span::Days),
            p.working_days.map(Span::WorkingDays),
            p.months.map(Span::Months),
            p.years.map(Span::Years),
        ]
        .into_iter()
        .flatten()
        .collect();
        let [span] = spans[..] else {
            let msg = format!("period `{id}` takes exactly one of `hours`, `days`, `working_days`, `months`, `years`");
            diags.error(&src.path, line, Kind::Invalid, msg);
            continue;
        };
        if let Some(l) = &p.late {
            if !late.contains_key(l.get_ref()) {
                let msg = format!("`{}` is not in [late]", l.get_ref());
                diags.error(&src.path, src.line(l.span()), Kind::UnknownPeriod, msg);
            }
        }
        if citations_in(p.cite.get_ref()).iter().all(|c| c.refs.is_empty()) {
            let msg = format!("period `{id}` must cite the article that sets it, like 《民事诉讼法》第一百七十一条");
            diags.error(&src.path, src.line(p.cite.span()), Kind::Invalid, msg);
        }
        let def = PeriodDef {
            id: id.clone(),
            step: p.step.get_ref().trim().to_string(),
            span,
            start: p.start.get_ref().trim().to_string(),
            cite: p.cite.get_ref().clone(),
            late: p.late.as_ref().map(|l| l.get_ref().clone()),
        };
        periods.insert(id.clone(), def);
    }
    for (id, s) in &d.start {
        if let Some(a) = &s.after {
            if !d.period.contains_key(a.get_ref()) {
                let msg = format!("start `{id}`: `{}` is not in [period]", a.get_ref());
                diags.error(&src.path, src.line(a.span()), Kind::UnknownPeriod, msg);
            }
        }
        if citations_in(s.cite.get_ref()).iter().all(|c| c.refs.is_empty()) {
            let msg = format!("start `{id}` must cite the article that makes it start the period");
            diags.error(&src.path, src.line(s.cite.span()), Kind::Invalid, msg);
        }
        let def = StartDef {
            what: s.what.get_ref().trim().to_string(),
            start: s.start.get_ref().trim().to_string(),
            after: s.after.as_ref().map(|a| a.get_ref().clone()),
            cite: s.cite.get_ref().clone(),
        };
        starts.insert(id.clone(), def);
    }
    (periods, late, starts)
}

/// Where a card reads what happened (`deadline.event`), every choice of
/// every question that sets that slot must be an event of `[start]`, and
/// at least one question must set it.
pub fn check_events(
    nodes: &[super::model::Node],
    locs: &[super::compile::Loc],
    starts: &Starts,
    diags: &mut Diagnostics,
) {
    use super::model::{Input, NodeKind};
    let mut wanted: BTreeMap<&str, usize> = BTreeMap::new();
    for (ix, n) in nodes.iter().enumerate() {
        if let NodeKind::Route { rules, .. } = &n.kind {
            for d in rules.iter().filter_map(|r| r.deadline.as_ref()) {
                if let Some(slot) = &d.event {
                    wanted.entry(slot.as_str()).or_insert(ix);
                }
            }
        }
    }
    for (slot, at) in wanted {
        let mut asked = false;
        for (ix, n) in nodes.iter().enumerate() {
            let NodeKind::Ask { slot: s, input: Input::Choice(choices), .. } = &n.kind else { continue };
            if s != slot {
                continue;
            }
            asked = true;
            for c in choices {
                for (k, v) in &c.sets {
                    if k == slot && !starts.contains_key(v) {
                        let msg = format!(
                            "choice `{}` sets `{slot}` = `{v}`, which a card reads as what happened: `{v}` is not in [start] of config/deadlines.toml",
                            c.label
                        );
                        diags.error(&locs[ix].file, locs[ix].line, Kind::UnknownPeriod, msg);
                    }
                }
            }
        }
        if !asked {
            let msg =
                format!("node `{}` reads what happened from `{slot}`, but no choice question sets it", nodes[at].id);
            diags.error(&locs[at].file, locs[at].line, Kind::SlotBeforeSet, msg);
        }
    }
}

/// One place of the content that may state periods.
struct Element<'a> {
    src: &'a Source,
    what: String,
    texts: Vec<&'a Spanned<String>>,
    labels: Vec<&'a str>,
    declared: Vec<&'a Spanned<String>>,
    /// Computed from a date: must be a span of days, months or years.
    computed: Vec<&'a Spanned<String>>,
    cites: Vec<&'a str>,
}

fn elements(raw: &RawContent) -> Vec<Element<'_>> {
    let mut out = Vec::new();
    for (src, file) in &raw.dialogs {
        for n in &file.node {
            out.push(Element {
                src,
                what: format!("node `{}`", n.id.get_ref()),
                texts: n.text.iter().chain(&n.text_numbers).collect(),
                labels: n.choices.iter().map(|c| c.label.get_ref().as_str()).collect(),
                declared: n.periods.iter().collect(),
                computed: Vec::new(),
                cites: n.cites.iter().map(|c| c.get_ref().as_str()).collect(),
            });
            for r in &n.rule {
                let d = r.deadline.as_ref();
                out.push(Element {
                    src,
                    what: format!("a rule of node `{}`", n.id.get_ref()),
                    texts: [&r.why].into_iter().chain(d.map(|d| &d.text)).chain(&r.how).collect(),
                    labels: Vec::new(),
                    declared: r.periods.iter().chain(d.iter().flat_map(|d| d.routes.iter().chain(&d.after))).collect(),
                    computed: d.iter().flat_map(|d| d.routes.iter().chain(&d.after)).collect(),
                    cites: r.cites.iter().map(|c| c.get_ref().as_str()).collect(),
                });
            }
        }
    }
    for (src, file) in &raw.faq {
        for q in &file.faq {
            out.push(Element {
                src,
                what: format!("FAQ `{}`", q.id.get_ref()),
                texts: vec![&q.answer],
                labels: q.detail.iter().map(String::as_str).collect(),
                declared: q.periods.iter().collect(),
                computed: Vec::new(),
                cites: q.cites.iter().map(|c| c.get_ref().as_str()).collect(),
            });
        }
    }
    if let Some((src, d)) = &raw.directory {
        for (id, c) in &d.channels {
            out.push(Element {
                src,
                what: format!("channel `{id}`"),
                texts: vec![&c.how],
                labels: Vec::new(),
                declared: c.periods.iter().collect(),
                computed: Vec::new(),
                cites: vec![c.basis.get_ref().as_str()],
            });
        }
        for f in &d.free_help {
            out.push(Element {
                src,
                what: "a free help line".into(),
                texts: vec![f],
                labels: Vec::new(),
                declared: Vec::new(),
                computed: Vec::new(),
                cites: vec![f.get_ref().as_str()],
            });
        }
    }
    if let Some((src, d)) = &raw.deadlines {
        for (id, s) in &d.start {
            out.push(Element {
                src,
                what: format!("start `{id}`"),
                texts: vec![&s.what, &s.start],
                labels: Vec::new(),
                declared: s.after.iter().collect(),
                computed: s.after.iter().collect(),
                cites: vec![s.cite.get_ref().as_str()],
            });
        }
        for (id, l) in &d.late {
            out.push(Element {
                src,
                what: format!("late remedy `{id}`"),
                texts: vec![&l.text],
                labels: Vec::new(),
                declared: l.periods.iter().collect(),
                computed: Vec::new(),
                cites: vec![l.cite.get_ref().as_str()],
            });
        }
    }
    out
}

/// (law, article) pairs a list of citations names.
fn articles(cites: &[&str]) -> BTreeSet<(String, u32)> {
    cites
        .iter()
        .flat_map(|c| citations_in(c))
        .flat_map(|c| c.refs.into_iter().map(move |r| (c.law.clone(), r.article)))
        .collect()
}

/// Checks that every text states exactly the periods it declares and cites
/// the article of each.
pub fn check(raw: &RawContent, periods: &Periods, diags: &mut Diagnostics) {
    for e in elements(raw) {
        let p = &e.src.path;
        let mut declared: Vec<&PeriodDef> = Vec::new();
        for id in &e.declared {
            match periods.get(id.get_ref()) {
                Some(def) => declared.push(def),
                None => {
                    let msg = format!("no period `{}` in config/deadlines.toml", id.get_ref());
                    diags.error(p, e.src.line(id.span()), Kind::UnknownPeriod, msg);
                }
            }
        }
        for id in &e.computed {
            let computable = periods
                .get(id.get_ref())
                .is_none_or(|d| matches!(d.span, Span::Days(_) | Span::Months(_) | Span::Years(_)));
            if !computable {
                let msg = format!(
                    "`{}` is counted in hours or working days: a card cannot compute its last day",
                    id.get_ref()
                );
                diags.error(p, e.src.line(id.span()), Kind::Invalid, msg);
            }
        }
        let mut stated: BTreeSet<Span> = BTreeSet::new();
        for t in &e.texts {
            for span in spans_in(t.get_ref()) {
                stated.insert(span);
                if !declared.iter().any(|d| d.span == span) {
                    let known: Vec<&str> =
                        periods.values().filter(|d| d.span == span).map(|d| d.id.as_str()).take(6).collect();
                    let hint = if known.is_empty() {
                        "add the period to config/deadlines.toml".to_string()
                    } else {
                        format!("periods of that length: {}", known.join(", "))
                    };
                    let msg = format!("{} states {span} but declares no such period in `periods` ({hint})", e.what);
                    diags.error(p, e.src.line(t.span()), Kind::PeriodMismatch, msg);
                }
            }
        }
        for label in &e.labels {
            stated.extend(spans_in(label));
        }
        let cited = articles(&e.cites);
        for (id, d) in e.declared.iter().zip(&declared) {
            let line = e.src.line(id.span());
            if !stated.contains(&d.span) {
                let msg = format!("{} declares `{}` ({}) but its text does not state it", e.what, d.id, d.span);
                diags.error(p, line, Kind::PeriodMismatch, msg);
            }
            let missing: Vec<String> = articles(&[d.cite.as_str()])
                .into_iter()
                .filter(|a| !cited.contains(a))
                .map(|(l, a)| format!("《{l}》第{}条", super::laws::cn_write(a)))
                .collect();
            if !missing.is_empty() {
                let msg = format!("{} states `{}` but does not cite {}", e.what, d.id, missing.join("、"));
                diags.error(p, line, Kind::PeriodMismatch, msg);
            }
        }
    }
}

/// `check --laws`: the article each period cites states that period.
pub fn check_against(raw: &RawContent, laws: &Laws, diags: &mut Diagnostics) {
    let Some((src, d)) = &raw.deadlines else { return };
    for (id, p) in &d.period {
        let (mut found, mut states) = (false, false);
        let span = period_span(p);
        for c in citations_in(p.cite.get_ref()) {
            for r in &c.refs {
                match laws.text_of(&c.law, r) {
                    Ok(text) => {
                        found = true;
                        states |= span.is_some_and(|s| super::laws::states(&text, s));
                    }
                    Err(Missing::Law | Missing::Part(_)) => {}
                }
            }
        }
        if found && !states {
            let msg = format!(
                "period `{id}` ({}) cites {}, whose text does not state that period",
                span.map(|s| s.to_string()).unwrap_or_default(),
                p.cite.get_ref()
            );
            diags.error(&src.path, src.line(p.cite.span()), Kind::PeriodNotInArticle, msg);
        }
    }
}

fn period_span(p: &super::raw::RawPeriod) -> Option<Span> {
    p.hours
        .map(Span::Hours)
        .or(p.days.map(Span::Days))
        .or(p.working_days.map(Span::WorkingDays))
        .or(p.months.map(Span::Months))
        .or(p.years.map(Span::Years))
}
