//! Engine step latency on the shipped content (target: p50 < 20 µs).
//! Run: cargo bench --bench engine

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use xinfang_guide::engine::Engine;
use xinfang_guide::engine::reply::Inbound;
use xinfang_guide::engine::session::{Session, SessionKey};
use xinfang_guide::engine::understand::Plain;

fn engine() -> Engine {
    let (content, diags) = xinfang_guide::content::load(Path::new(env!("CARGO_MANIFEST_DIR")));
    let content = content.unwrap_or_else(|| panic!("{diags}"));
    Engine::new(Arc::new(content), Arc::new(Plain), 1800)
}

/// A session that has walked to `node` with some history and answers.
fn session_at(key: &SessionKey, node: &str) -> Session {
    let mut s = Session::new(key.clone(), node, 1_795_744_000);
    for n in ["main", "route_start", "route_work", "labor_start"] {
        s.history.push(xinfang_guide::engine::session::Frame { node: n.into(), slots: s.slots.clone() });
    }
    s.slots.insert("category".into(), "labor".into());
    s.slots.insert("labor_stage".into(), "none".into());
    s
}

fn bench(c: &mut Criterion) {
    let e = engine();
    let key = SessionKey::parse("web", "0123456789abcdef0123456789abcdef").expect("key");
    let now = 1_795_744_800;
    let at_menu = session_at(&key, "main");
    c.bench_function("step: menu choice by id", |b| {
        b.iter(|| e.step(black_box(Some(&at_menu)), &key, &Inbound::parse_choice("main.1").expect("id"), now))
    });
    c.bench_function("step: typed label", |b| {
        b.iter(|| e.step(black_box(Some(&at_menu)), &key, &Inbound::text("如何依法信访"), now))
    });
    let at_date = session_at(&key, "labor_end_date");
    c.bench_function("step: date answer → channel card", |b| {
        b.iter(|| e.step(black_box(Some(&at_date)), &key, &Inbound::text("2026-03-15"), now))
    });
    c.bench_function("step: not understood, with masking", |b| {
        b.iter(|| {
            e.step(black_box(Some(&at_menu)), &key, &Inbound::text("我的电话13912345678，老板欠我工资三个月了"), now)
        })
    });
    c.bench_function("step: new session", |b| b.iter(|| e.step(None, &key, &Inbound::text("你好"), now)));
}

fn bench_understand(c: &mut Criterion) {
    let started = std::time::Instant::now();
    let (loaded, diags) = xinfang_guide::understand::load_all(Path::new(env!("CARGO_MANIFEST_DIR")));
    let (_, u) = loaded.unwrap_or_else(|| panic!("{diags}"));
    eprintln!("content + understanding index built in {:?}", started.elapsed());
    c.bench_function("classify: short question", |b| {
        b.iter(|| u.classify(black_box("老板欠我三个月工资不给，我要去上访")))
    });
    let long = "我们小区的物业长期不作为，垃圾没人清运，电梯经常坏，业主多次反映没有结果。".repeat(12);
    c.bench_function("classify: 480-character complaint", |b| b.iter(|| u.classify(black_box(&long))));

    // The same with 1,000 FAQ entries (the shipped ones, varied), as the issue sizes it.
    let (loaded, _) = xinfang_guide::understand::load_all(Path::new(env!("CARGO_MANIFEST_DIR")));
    let (content, _) = loaded.expect("content");
    let mut big = (*content).clone();
    let words = ["工资", "判决", "拆迁", "罚款", "离婚", "借款", "车祸", "医院", "物业", "低保", "举报", "污染"];
    let base = big.faq.clone();
    for i in 0..(1000 - base.len()) {
        let mut f = base[i % base.len()].clone();
        f.id = format!("synthetic_{i}");
        f.question = format!("{}{}{}", words[i % words.len()], f.question, words[(i / 7) % words.len()]);
        f.alt = f.alt.iter().map(|a| format!("{a}{}", words[(i / 3) % words.len()])).collect();
        f.related.clear();
        big.faq.push(f);
    }
    let started = std::time::Instant::now();
    let (lexicon, examples) = {
        let cats: Vec<String> = big.directory.categories.keys().cloned().collect();
        let mut d = xinfang_guide::content::Diagnostics::default();
        xinfang_guide::understand::load::load(Path::new(env!("CARGO_MANIFEST_DIR")), &cats, None, &mut d)
            .expect("lexicon")
    };
    let u = xinfang_guide::understand::Understanding::from_examples(std::sync::Arc::new(big), lexicon, &examples);
    eprintln!("index with 1,000 FAQ entries built in {:?}", started.elapsed());
    c.bench_function("classify: short question, 1,000 FAQ entries", |b| {
        b.iter(|| u.classify(black_box("老板欠我三个月工资不给，我要去上访")))
    });
}

criterion_group!(benches, bench, bench_understand);
criterion_main!(benches);
