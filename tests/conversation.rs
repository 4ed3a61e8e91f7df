//! What people hit in a conversation (issue 18), through the engine on the
//! shipped content: timeouts said so, the card not sent twice, comments
//! without a prefix, short replies to thanks, texts that fit the channel,
//! long messages refused whole.

use std::path::Path;
use std::sync::Arc;
use xinfang_guide::engine::reply::{Inbound, Reply};
use xinfang_guide::engine::session::{Session, SessionKey};
use xinfang_guide::engine::{Engine, Step};
use xinfang_guide::understand::Smart;

const NOW: i64 = 1_795_744_800; // 2026-11-27 10:00 China time

fn engine() -> Engine {
    let (loaded, diags) = xinfang_guide::understand::load_all(Path::new(env!("CARGO_MANIFEST_DIR")));
    let (content, understanding) = loaded.unwrap_or_else(|| panic!("{diags}"));
    Engine::new(content, Arc::new(Smart { understanding }), 1800)
}

fn choice(id: &str) -> Inbound {
    Inbound::parse_choice(id).expect("choice id")
}

/// Presses the choice whose label contains `label` in the last replies.
fn press(e: &Engine, key: &SessionKey, step: &Step, label: &str) -> Step {
    let id = step
        .replies
        .iter()
        .flat_map(|r| &r.choices)
        .find(|c| c.label.contains(label))
        .unwrap_or_else(|| panic!("no choice `{label}` in {:?}", step.replies))
        .id
        .clone();
    e.step(Some(&step.session), key, &Inbound::choice(id), NOW)
}

fn say(e: &Engine, key: &SessionKey, step: &Step, text: &str) -> Step {
    e.step(Some(&step.session), key, &Inbound::text(text), NOW)
}

fn text(replies: &[Reply]) -> String {
    replies.iter().map(|r| r.text.as_str()).collect::<Vec<_>>().join("\n")
}

fn labels(r: &Reply) -> Vec<&str> {
    r.choices.iter().map(|c| c.label.as_str()).collect()
}

/// The labour card for someone still employed.
fn at_card(e: &Engine, key: &SessionKey) -> Step {
    let mut s = e.step(None, key, &choice("cmd:start"), NOW);
    for l in ["我的问题该找哪里", "工资", "拖欠工资", "还没有申请劳动仲裁", "是"] {
        s = press(e, key, &s, l);
    }
    assert!(s.replies.iter().any(|r| r.card.is_some()), "{:?}", s.replies);
    s
}

#[test]
fn something_not_understood_at_a_card_says_so_and_offers_the_choices_without_the_card() {
    let e = engine();
    let key = SessionKey::parse("web", "card").expect("key");
    let card = at_card(&e, &key);
    let shown = card.replies.iter().rev().find(|r| !r.choices.is_empty()).expect("choices");
    for typed in ["2026.7.1", "阿巴阿巴"] {
        let s = say(&e, &key, &card, typed);
        assert_eq!(s.replies.len(), 1, "{typed}: {:?}", s.replies);
        let r = &s.replies[0];
        assert!(r.text.contains("没有看懂"), "{typed}: {}", r.text);
        assert!(r.card.is_none(), "{typed}: the card is not sent again");
        assert_eq!(r.choices, shown.choices, "{typed}: the same choices again");
        assert_eq!(s.session.node, card.session.node);
    }
}

#[test]
fn after_no_help_the_next_message_is_the_comment_or_it_is_skipped() {
    let e = engine();
    let key = SessionKey::parse("web", "comment").expect("key");
    let card = at_card(&e, &key);
    let asked = press(&e, &key, &card, "没帮助");
    assert!(asked.replies[0].text.contains("直接写一句话"), "{:?}", asked.replies);
    assert!(!asked.replies[0].text.contains("意见："), "no prefix asked for");
    assert_eq!(labels(&asked.replies[0]), ["不填了", "返回上一步", "回到菜单"]);
    assert_eq!(asked.log.feedback.as_ref().and_then(|f| f.helpful), Some(false));
    // A natural sentence, which would otherwise be a new question.
    let c = say(&e, &key, &asked, "没有告诉我交警队地址，电话13912345678");
    assert!(c.replies[0].text.contains("已记下您的意见"), "{:?}", c.replies);
    let comment = c.log.feedback.as_ref().and_then(|f| f.comment.clone()).expect("comment");
    assert!(comment.contains("交警队地址") && !comment.contains("13912345678"), "masked: {comment}");
    assert_eq!(c.log.input_kind, "feedback");
    assert_eq!(c.session.node, card.session.node, "the conversation stays where it was");
    // Only the next message: after it, text is a question again.
    let q = say(&e, &key, &c, "老板拖欠工资三个月了");
    assert!(q.log.feedback.is_none(), "{:?}", q.log);
    // 不填了 skips it; a command after 没帮助 is a command, danger is danger.
    let asked = press(&e, &key, &card, "没帮助");
    let skipped = press(&e, &key, &asked, "不填了");
    assert!(skipped.replies[0].text.contains("谢谢"), "{:?}", skipped.replies);
    assert!(skipped.log.feedback.is_none());
    let menu = say(&e, &key, &asked, "菜单");
    assert!(text(&menu.replies).contains("依法信访指引") && menu.log.feedback.is_none());
    let danger = say(&e, &key, &asked, "我不想活了");
    assert!(text(&danger.replies).contains("12356") && danger.log.feedback.is_none());
}

#[test]
fn thanks_and_hello_get_a_short_reply_and_help_offers_the_menu_once() {
    let e = engine();
    let key = SessionKey::parse("web", "social").expect("key");
    let first = e.step(None, &key, &Inbound::text("你好"), NOW);
    assert!(text(&first.replies).contains("这里是依法信访指引"), "a first greeting gets the welcome");
    let card = at_card(&e, &key);
    for (typed, want) in [("谢谢", "不客气"), ("谢谢！", "不客气"), ("你好", "您好！请直接说说")] {
        let s = say(&e, &key, &card, typed);
        assert_eq!(s.replies.len(), 1, "{typed}");
        assert!(s.replies[0].text.contains(want), "{typed}: {}", s.replies[0].text);
        assert!(!s.replies[0].text.contains("这里是依法信访指引"), "{typed}: not the welcome again");
        assert!(s.replies[0].card.is_none());
        assert_eq!(s.session.node, card.session.node);
    }
    let help = say(&e, &key, &card, "帮助");
    let menus = help.replies.iter().flat_map(|r| &r.choices).filter(|c| c.label == "回到菜单").count();
    assert_eq!(menus, 1, "{:?}", help.replies);
}

#[test]
fn the_web_page_never_says_reply_with_a_number_and_help_fits_each_channel() {
    let e = engine();
    let content = &e.content;
    for channel in ["web", "telegram"] {
        let key = SessionKey::parse(channel, "words").expect("key");
        for ix in 0..content.nodes.len() {
            let s = Session::new(key.clone(), &content.node(ix).id, NOW);
            let r = xinfang_guide::engine::render(content, ix, &s, NOW);
            assert!(!r.text.contains("回复数字") && !r.text.contains("前的数字"), "{channel} {}: {}", s.node, r.text);
        }
        let t = &content.texts;
        for msg in [&t.not_understood, &t.expired, &t.hello_reply, &t.date_malformed, &t.feedback_ask] {
            assert!(!msg.contains("数字"), "{msg}");
        }
        let help = e.step(None, &key, &choice("cmd:help"), NOW);
        assert!(text(&help.replies).contains("点按钮选择"), "{channel}: {:?}", help.replies);
    }
    for channel in ["wechat", "terminal"] {
        let key = SessionKey::parse(channel, "words").expect("key");
        let help = e.step(None, &key, &choice("cmd:help"), NOW);
        let t = text(&help.replies);
        assert!(t.contains("回复选项前的数字") && !t.contains("点按钮"), "{channel}: {t}");
    }
}

#[test]
fn a_session_that_timed_out_says_so_before_the_menu() {
    let e = engine();
    let key = SessionKey::parse("web", "idle").expect("key");
    let mut s = e.step(None, &key, &choice("cmd:start"), NOW);
    s = press(&e, &key, &s, "我的问题该找哪里");
    s = press(&e, &key, &s, "法院");
    let button = s.replies.last().expect("reply").choices[0].id.clone();
    // Still in the store but idle too long; then swept (the page still holds the token).
    let late = NOW + 31 * 60;
    let idle = e.step(Some(&s.session), &key, &Inbound::choice(button.clone()), late);
    let gone_pressed = e.step(None, &key, &Inbound::choice(button), late);
    let mut reload = choice("cmd:resume");
    reload.session_gone = true;
    let gone_reload = e.step(None, &key, &reload, late);
    for step in [idle, gone_pressed, gone_reload] {
        assert_eq!(step.replies[0].text, "对话已超时，已为您重新开始。", "{:?}", step.replies);
        assert_eq!(step.replies.len(), 2);
        assert!(step.replies[1].text.contains("这里是依法信访指引"), "{:?}", step.replies);
        assert!(!text(&step.replies).contains("没有看懂"), "not blamed on the person");
        assert_eq!(step.session.node, "main");
    }
    // A first visit is no timeout.
    let new = e.step(None, &key, &choice("cmd:resume"), late);
    assert!(!text(&new.replies).contains("超时"));
    // A question typed after a timeout is still answered.
    let typed = e.step(Some(&s.session), &key, &Inbound::text("老板拖欠我三个月工资"), late);
    assert_eq!(typed.replies[0].text, "对话已超时，已为您重新开始。");
    assert!(text(&typed.replies).contains("劳动"), "{:?}", typed.replies);
}

#[test]
fn a_message_over_the_limit_is_refused_whole_with_its_length_and_the_limit() {
    let e = engine().with_max_text_chars(5000);
    let key = SessionKey::parse("wechat", "long").expect("key");
    let card = at_card(&e, &key);
    // A 问政 letter of 3,000 characters is taken.
    let letter = "我们小区自去年以来一直停水停电，物业和开发商互相推诿。".repeat(120);
    assert!(letter.chars().count() > 3000);
    let ok = say(&e, &key, &card, &letter);
    assert!(!text(&ok.replies).contains("上限"), "{:?}", ok.replies);
    let long = "字".repeat(5001);
    let s = say(&e, &key, &card, &long);
    assert_eq!(s.replies.len(), 1);
    assert!(
        s.replies[0].text.contains("5001 字") && s.replies[0].text.contains("5000 字的上限"),
        "{}",
        s.replies[0].text
    );
    assert!(s.replies[0].card.is_none());
    assert!(!s.log.matched);
    assert_eq!(s.session.node, card.session.node, "nothing of it was taken");
}

#[test]
fn every_date_question_offers_i_do_not_remember_and_a_date_picker() {
    let e = engine();
    let content = &e.content;
    let key = SessionKey::parse("web", "dates").expect("key");
    let mut questions = 0;
    let mut stated = 0;
    for (ix, node) in content.nodes.iter().enumerate() {
        let xinfang_guide::content::NodeKind::Ask { input: xinfang_guide::content::Input::Date { .. }, .. } = node.kind
        else {
            continue;
        };
        questions += 1;
        let s = Session::new(key.clone(), &node.id, NOW);
        let r = xinfang_guide::engine::render(content, ix, &s, NOW);
        assert_eq!(r.choices[0].label, "记不清", "{}", node.id);
        assert_eq!(r.choices[0].id.to_string(), "date:unknown");
        let json = serde_json::to_value(&r).expect("json");
        assert_eq!(json["expect"], serde_json::json!({"kind": "date", "latest": "2026-11-27"}), "{}", node.id);
        // 记不清 leads on to a card that states the period without a last day.
        let unsure = e.step(Some(&s), &key, &choice("date:unknown"), NOW);
        let card = unsure.replies.iter().find_map(|r| r.card.as_ref()).expect("a card");
        if let Some(d) = &card.deadline {
            assert!(d.routes.is_empty() && d.due.is_none(), "{}: {d:?}", node.id);
            if let Some(status) = &d.status {
                assert!(status.contains("记不清") && status.contains("起算（《"), "{}: {status}", node.id);
                stated += 1;
            }
        }
        // A picked month, and a picked day still ahead.
        let month = e.step(Some(&s), &key, &choice("date:2026-10"), NOW);
        assert!(month.replies.iter().any(|r| r.card.is_some()), "{}", node.id);
        let ahead = e.step(Some(&s), &key, &choice("date:2026-12-01"), NOW);
        assert!(ahead.replies[0].text.contains("这个日期还没到"), "{}", node.id);
        let bad = e.step(Some(&s), &key, &Inbound::text("哪天来着"), NOW);
        assert!(bad.replies[0].text.starts_with("没看懂这个日期，请按 2026-05-20 这样输入"), "{}", node.id);
        assert_eq!(bad.replies[0].choices[0].label, "记不清");
    }
    assert!(questions >= 10, "{questions}");
    assert!(stated >= 5, "记不清 states the period on date questions' cards: {stated}");
}

/// Placeholder contacts (`待核实…`) never reach citizens: a card shows the
/// national channel and leaves the local office out until it is filled in.
#[test]
fn cards_and_the_handoff_leave_out_placeholder_contacts_until_they_are_filled_in() {
    let e = engine();
    let content = &e.content;
    let key = SessionKey::parse("web", "placeholders").expect("key");
    for (ix, node) in content.nodes.iter().enumerate() {
        let mut s = Session::new(key.clone(), &node.id, NOW);
        s.slots.insert("category".into(), "labor".into());
        let r = xinfang_guide::engine::render(content, ix, &s, NOW);
        let json = serde_json::to_string(&r).expect("json");
        assert!(!json.contains("待核实"), "{}: {json}", node.id);
    }
    // Left the job: labour arbitration, which has a local office (still 待核实).
    let mut card = e.step(None, &key, &choice("cmd:start"), NOW);
    for l in ["我的问题该找哪里", "工资", "拖欠工资", "还没有申请劳动仲裁", "否"] {
        card = press(&e, &key, &card, l);
    }
    card = say(&e, &key, &card, "2026-03-15");
    let c = card.replies.iter().find_map(|r| r.card.as_ref()).expect("card");
    assert_eq!(c.channel, "labor_arbitration");
    assert!(content.directory.offices_for(&c.channel).count() > 0);
    assert!(c.local.is_empty() && c.deadline.is_some(), "{c:?}");
    // Filled in (address only so far): the office is shown, the rest still left out.
    let mut filled = (**content).clone();
    let office = filled
        .directory
        .local
        .iter_mut()
        .find(|o| o.channel.as_deref() == Some(c.channel.as_str()))
        .expect("a local office for the channel");
    office.address = "解放区人民路 1 号".into();
    let e2 = Engine::new(Arc::new(filled), Arc::new(xinfang_guide::engine::understand::Plain), 1800);
    let again = e2.step(Some(&card.session), &key, &choice("cmd:resume"), NOW);
    let c2 = again.replies.iter().find_map(|r| r.card.as_ref()).expect("card");
    assert_eq!(c2.local.len(), 1, "{c2:?}");
    assert_eq!(c2.local[0].address, "解放区人民路 1 号");
    assert!(c2.local[0].phone.is_empty() && !serde_json::to_string(c2).expect("json").contains("待核实"));
}
