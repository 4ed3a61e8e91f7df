//! Done when (issue 14): typed as a citizen would, each of these questions
//! reaches the rule that applies, with its period and the article that sets
//! it, within three taps. Each case names the buttons it presses (at most
//! three) and what the reply must then say; a wrong period or channel fails.

use std::path::Path;
use std::sync::Arc;
use xinfang_guide::channels::text::numbered;
use xinfang_guide::engine::reply::Inbound;
use xinfang_guide::engine::session::{Session, SessionKey};
use xinfang_guide::engine::{Engine, Step};
use xinfang_guide::understand::Smart;

const NOW: i64 = 1_795_744_800; // 2026-11-27 10:00 China time

struct Case {
    question: &'static str,
    /// Labels of the buttons pressed after the question, in order.
    taps: &'static [&'static str],
    /// What the last reply must contain.
    says: &'static [&'static str],
    /// What it must not contain (the wrong period or channel).
    not: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        question: "我儿子被判了三年，我们不服，想上诉，有几天时间？",
        taps: &["看问答"],
        says: &[
            "刑事案件的被告人、自诉人",
            "不服判决的10日内",
            "从接到判决书、裁定书的第二日起算",
            "《刑事诉讼法》第二百三十条",
        ],
        not: &[],
    },
    Case {
        question: "借钱的官司一审判我输了，多少天内可以上诉？",
        taps: &["看问答"],
        says: &["民事、行政案件不服一审判决的，判决书送达之日起15日内上诉", "《民事诉讼法》第一百七十一条"],
        not: &["3年诉讼时效"],
    },
    Case {
        question: "打我的人才判了半年，我是被害人，不服这个判决怎么办",
        taps: &["看问答"],
        says: &["不能自己上诉", "收到判决书后5日以内请求人民检察院提出抗诉", "《刑事诉讼法》第二百二十九条"],
        not: &["15日内"],
    },
    Case {
        question: "工伤鉴定成十级伤残，我觉得评低了，不服怎么办",
        taps: &["看问答"],
        says: &["收到鉴定结论之日起15日内", "再次鉴定", "《工伤保险条例》第二十六条"],
        not: &["60日内申请复议"],
    },
    Case {
        question: "村委会要把我家的承包地收回去分给别人",
        taps: &["看问答"],
        says: &["农村土地承包仲裁委员会", "申请仲裁的时效为2年", "《农村土地承包经营纠纷调解仲裁法》第十八条"],
        not: &["由人民政府处理"],
    },
    Case {
        question: "我家的低保突然被取消了，怎么办",
        taps: &[],
        says: &["行政复议", "60日内先申请复议", "《社会救助暂行办法》第六十五条", "《行政复议法》第十一条第十二项"],
        not: &[],
    },
    Case {
        question: "开发商说好去年交房，到现在都没交",
        taps: &["看问答"],
        says: &["商品房买卖合同纠纷", "人民法院起诉", "3年诉讼时效", "《民法典》第一百八十八条"],
        not: &["12345"],
    },
    Case {
        question: "法院立案执行都八个月了，一分钱没执行到",
        taps: &["看问答"],
        says: &["超过6个月未执行", "向上一级人民法院申请执行", "《民事诉讼法》第二百三十七条"],
        not: &[],
    },
    Case {
        question: "我报警好几次了，派出所一直不管",
        taps: &["看问答"],
        says: &[
            "要先申请行政复议",
            "申请复议的期限是60日",
            "收到请求满60日起算",
            "《行政复议法》第二十三条第一款第三项",
        ],
        not: &["12309"],
    },
    Case {
        question: "我去信访局反映问题，他们不给受理",
        taps: &["看问答"],
        says: &["15日内书面告知", "上级机关反映，由上级机关责令改正", "《信访工作条例》第四十四条"],
        not: &[],
    },
    Case {
        question: "我被关了一年多，最后判无罪，能不能要国家赔偿",
        taps: &["看问答"],
        says: &["国家赔偿", "请求时效为2年", "《国家赔偿法》第三十九条第一款"],
        not: &[],
    },
    Case {
        question: "我们俩协议离婚，冷静期是多少天",
        taps: &[],
        says: &["30日内是冷静期", "冷静期届满后的30日内", "《民法典》第一千零七十七条"],
        not: &[],
    },
    // The same matters through the dialog, each within three taps and a date.
    Case {
        question: "一审判了不服怎么办",
        // Who the person is and which document changes the remedy (legal
        // review 2, part 1 #1, #2): asked before the date.
        taps: &["详细了解", "刑事案件", "被害人"],
        says: &["您收到的是判决书，还是裁定书"],
        not: &[],
    },
    Case {
        question: "法院判决不公", taps: &["对"], says: &["这是哪一类案件"], not: &["不服生效裁判"]
    },
];

fn engine() -> Engine {
    let (loaded, diags) = xinfang_guide::understand::load_all(Path::new(env!("CARGO_MANIFEST_DIR")));
    let (content, understanding) = loaded.unwrap_or_else(|| panic!("{diags}"));
    Engine::new(content, Arc::new(Smart { understanding }), 1800)
}

fn text(step: &Step) -> String {
    step.replies.iter().map(numbered).collect::<Vec<_>>().join("\n")
}

#[test]
fn citizens_questions_reach_the_rule_with_its_period_within_three_taps() {
    let engine = engine();
    let key = SessionKey::parse("web", "citizen").expect("key");
    let mut failures = Vec::new();
    for case in CASES {
        assert!(case.taps.len() <= 3, "{}: more than three taps", case.question);
        let mut step = engine.step(None, &key, &Inbound::text(case.question), NOW);
        for tap in case.taps {
            let id = step
                .replies
                .iter()
                .flat_map(|r| &r.choices)
                .find(|c| c.label.contains(tap))
                .map(|c| c.id.clone())
                .unwrap_or_else(|| panic!("{}: no button {tap:?} in\n{}", case.question, text(&step)));
            let session = Session { version: step.session.version + 1, ..step.session.clone() };
            step = engine.step(Some(&session), &key, &Inbound::choice(id), NOW + 1);
        }
        let got = text(&step);
        for want in case.says {
            if !got.contains(want) {
                failures.push(format!("{}: expected `{want}` in\n{got}", case.question));
            }
        }
        for wrong in case.not {
            if got.contains(wrong) {
                failures.push(format!("{}: `{wrong}` should not be in\n{got}", case.question));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// A card reached by typing: the period computed from the date typed, the
/// whole way within three taps (a criminal defendant's judgment: 10 days).
#[test]
fn a_typed_appeal_question_computes_the_criminal_last_day() {
    let engine = engine();
    let key = SessionKey::parse("web", "citizen-date").expect("key");
    let mut step = engine.step(None, &key, &Inbound::text("刑事判决不服怎么上诉"), NOW);
    for tap in ["详细了解", "刑事案件", "被告人"] {
        let id = step.replies.iter().flat_map(|r| &r.choices).find(|c| c.label.contains(tap)).expect(tap).id.clone();
        let session = Session { version: step.session.version + 1, ..step.session.clone() };
        step = engine.step(Some(&session), &key, &Inbound::choice(id), NOW + 1);
    }
    for input in ["判决书", "2026-11-20"] {
        let session = Session { version: step.session.version + 1, ..step.session.clone() };
        step = engine.step(Some(&session), &key, &Inbound::text(input), NOW + 2);
    }
    let got = text(&step);
    assert!(got.contains("最后一天约为 2026-11-30，还剩约 3 天"), "{got}");
    assert!(got.contains("《刑事诉讼法》第二百三十条"), "{got}");
}
