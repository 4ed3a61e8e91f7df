//! The engine on every node of the shipped content with hostile input:
//! always at least one reply, never a panic, state stays consistent.

use std::path::Path;
use std::sync::Arc;
use xinfang_guide::content::NodeKind;
use xinfang_guide::engine::Engine;
use xinfang_guide::engine::reply::Inbound;
use xinfang_guide::engine::session::{Session, SessionKey};
use xinfang_guide::engine::understand::Plain;
use xinfang_guide::understand::Smart;

fn choice(id: &str) -> Inbound {
    Inbound::parse_choice(id).unwrap_or_else(|_| panic!("{id} is a well-formed choice id"))
}

#[test]
fn every_node_answers_every_kind_of_input() {
    let (loaded, diags) = xinfang_guide::understand::load_all(Path::new(env!("CARGO_MANIFEST_DIR")));
    let (content, understanding) = loaded.unwrap_or_else(|| panic!("{diags}"));
    let engine = Engine::new(content.clone(), Arc::new(Smart { understanding }), 1800);
    let key = SessionKey::parse("web", "fuzz").expect("key");
    let long = "很长的投诉".repeat(5000);
    let inputs: Vec<Inbound> = vec![
        Inbound::text(""),
        Inbound::text("0"),
        Inbound::text("-1"),
        Inbound::text("99999999999999999999999"),
        Inbound::text("1e308"),
        Inbound::text("NaN"),
        Inbound::text("<script>alert(1)</script>"),
        Inbound::text("\u{202e}\u{0}\u{feff}"),
        Inbound::text("2026-02-30"),
        Inbound::text("9999-12-31"),
        Inbound::text(long),
        Inbound::text("是"),
        Inbound::text("返回"),
        choice("main.9999"),
        choice("no_such_node.1"),
        choice("cat:no_such_category"),
        choice("not:no_such_category"),
        choice("enter:no_such_node"),
        choice("faq:main"),
        choice("fb:no"),
        choice("fb:skip"),
        choice("date:2026-05-20"),
        choice("date:2026-05"),
        choice("date:unknown"),
        choice("cmd:back"),
    ];
    let now = 1_795_744_800;
    for node in &content.nodes {
        let mut base = Session::new(key.clone(), &node.id, now);
        base.slots.insert("category".into(), "labor".into());
        for (i, input) in inputs.iter().enumerate() {
            let step = engine.step(Some(&base), &key, input, now + 1);
            assert!(!step.replies.is_empty(), "node {} input {i}: no reply", node.id);
            assert!(content.find(&step.session.node).is_some(), "node {} input {i}: bad node", node.id);
            assert!(step.log.input.chars().count() <= xinfang_guide::engine::MAX_LOG_CHARS);
        }
        // Each numbered choice is valid from this node.
        for n in 1..=node.kind.choices().len() {
            let step = engine.step(Some(&base), &key, &choice(&format!("{}.{n}", node.id)), now + 1);
            assert!(step.log.matched, "node {} choice {n}", node.id);
        }
        if let NodeKind::Route { .. } = node.kind {
            let step = engine.step(Some(&base), &key, &choice("cmd:resume"), now + 1);
            assert!(step.replies[0].card.is_some(), "route {} renders a card", node.id);
        }
    }
}

#[test]
fn the_step_is_a_pure_function() {
    let (content, _) = xinfang_guide::content::load(Path::new(env!("CARGO_MANIFEST_DIR")));
    let engine = Engine::new(Arc::new(content.expect("content")), Arc::new(Plain), 1800);
    let key = SessionKey::parse("web", "pure").expect("key");
    let a = engine.step(None, &key, &Inbound::text("1"), 1000);
    let b = engine.step(None, &key, &Inbound::text("1"), 1000);
    assert_eq!(a.session, b.session);
    assert_eq!(a.replies, b.replies);
    assert_eq!(a.log, b.log);
}

/// Text-only channels (WeChat, terminal) number the choices of a reply; on
/// every node, typing a choice's number (or, for 返回/菜单 alone, its label)
/// must do what pressing it does.
#[test]
fn typed_numbers_and_labels_do_what_buttons_do_on_every_node() {
    let (loaded, diags) = xinfang_guide::understand::load_all(Path::new(env!("CARGO_MANIFEST_DIR")));
    let (content, understanding) = loaded.unwrap_or_else(|| panic!("{diags}"));
    let engine = Engine::new(content.clone(), Arc::new(Smart { understanding }), 1800);
    let key = SessionKey::parse("wechat", "numbers").expect("key");
    let now = 1_795_744_800;
    let mut checked = 0;
    for node in &content.nodes {
        let mut base = Session::new(key.clone(), &node.id, now);
        base.slots.insert("category".into(), "labor".into());
        base.history.push(xinfang_guide::engine::session::Frame { node: "main".into(), slots: Default::default() });
        let shown = engine.step(Some(&base), &key, &choice("cmd:resume"), now + 1);
        let Some(reply) = shown.replies.iter().rev().find(|r| !r.choices.is_empty()) else { continue };
        let numbered = reply.choices.iter().any(|c| !c.id.is_command());
        for (i, c) in reply.choices.iter().enumerate() {
            let typed = if numbered { (i + 1).to_string() } else { c.label.clone() };
            let by_text = engine.step(Some(&shown.session), &key, &Inbound::text(typed.clone()), now + 2);
            let by_button = engine.step(Some(&shown.session), &key, &Inbound::choice(c.id.clone()), now + 2);
            assert_eq!(by_text.session.node, by_button.session.node, "node {} typed {typed:?} ({})", node.id, c.label);
            assert_eq!(by_text.replies, by_button.replies, "node {} typed {typed:?}", node.id);
            checked += 1;
        }
    }
    assert!(checked > 200, "only {checked} choices checked");
}
