//! Property tests over what comes from outside: chat API bodies, WeChat XML
//! (plain and encrypted), Telegram text and replies, content files. Each is
//! bounded (a few hundred cases) so CI stays within its time.

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, header};
use http_body_util::BodyExt;
use proptest::prelude::*;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tower::ServiceExt;
use xinfang_guide::channels::wechat::{crypto::Cipher, xml};
use xinfang_guide::config::Settings;
use xinfang_guide::engine::reply::{ChoiceOut, Reply};
use xinfang_guide::server::App;
use xinfang_guide::store::{MemStore, Store};

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// Text as people and attackers send it: CJK, ASCII, controls, bidi, emoji.
fn messy() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::char::range('\u{4e00}', '\u{9fa5}'),
            3 => prop::char::range(' ', '~'),
            1 => prop::sample::select(vec!['\0', '\n', '\r', '\t', '\u{202e}', '\u{2066}', '\u{feff}', '😀', '＜', ']']),
        ],
        0..60,
    )
    .prop_map(|v| v.into_iter().collect())
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        messy().prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(messy(), inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A chat request body: mostly the API's own fields with any values, some
/// arbitrary JSON, some arbitrary bytes.
fn chat_body() -> impl Strategy<Value = Vec<u8>> {
    let field = prop::sample::select(vec!["session", "text", "choice", "src", "feedback", "helpful", "comment", "x"]);
    let object = prop::collection::btree_map(field, json_value(), 0..4).prop_map(|m| {
        let o: serde_json::Map<String, serde_json::Value> = m.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        serde_json::Value::Object(o).to_string().into_bytes()
    });
    prop_oneof![
        6 => object,
        2 => json_value().prop_map(|v| v.to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..200),
    ]
}

#[test]
fn the_chat_api_answers_any_body_with_a_reply_or_a_clear_error() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (content, diags) = xinfang_guide::content::load(Path::new(env!("CARGO_MANIFEST_DIR")));
    let content = Arc::new(content.unwrap_or_else(|| panic!("{diags}")));
    let mut s = Settings::load_with_env(None, std::iter::empty()).expect("defaults");
    s.limits.per_ip_per_second = 0;
    s.limits.per_session_per_second = 0;
    let store: Arc<dyn Store> = Arc::new(MemStore::default());
    let app = App::with_store(s, content, Arc::new(xinfang_guide::engine::understand::Plain), store);
    let addr: SocketAddr = "203.0.113.7:4000".parse().expect("addr");
    let router = app.router().layer(MockConnectInfo(addr));
    proptest!(config(300), |(body in chat_body())| {
        let req = Request::post("/api/v1/chat")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.clone()))
            .expect("request");
        let (status, text) = rt.block_on(async {
            let resp = router.clone().oneshot(req).await.expect("response");
            let status = resp.status();
            (status, resp.into_body().collect().await.expect("body").to_bytes())
        });
        prop_assert!(!status.is_server_error(), "{status} for {:?}", String::from_utf8_lossy(&body));
        let v: serde_json::Value = serde_json::from_slice(&text).expect("a JSON answer");
        prop_assert!(v.get("session").is_some() == status.is_success() && (status.is_success() || v.get("error").is_some()));
    });
}

proptest! {
    #![proptest_config(config(500))]

    #[test]
    fn wechat_xml_of_any_bytes_parses_or_is_refused(body in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = xml::parse(&body);
    }

    #[test]
    fn wechat_messages_read_back_whatever_their_text(content in messy(), user in "[a-zA-Z0-9_-]{1,40}") {
        let reply = xml::text_reply(&user, "gh_xf", 1_795_744_800, &content);
        match xml::parse(reply.as_bytes()) {
            Ok(m) => {
                prop_assert_eq!(m.to_user_name, user);
                prop_assert_eq!(m.msg_type, "text");
                // XML normalises line ends; everything else comes back.
                let norm = |s: &str| s.replace("\r\n", "\n").replace('\r', "\n");
                prop_assert_eq!(norm(m.content.as_deref().unwrap_or_default()), norm(&content));
            }
            // Characters XML cannot carry (NUL) are refused, not mangled.
            Err(_) => prop_assert!(content.contains('\0') || content.contains("<!")),
        }
    }

    #[test]
    fn safe_mode_decrypts_what_it_encrypts_and_refuses_the_rest(msg in messy(), junk in "[A-Za-z0-9+/=]{0,200}") {
        let c = Cipher::new("jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7").expect("cipher");
        prop_assert_eq!(c.decrypt(&c.encrypt(&msg, [5; 16])).expect("round trip"), msg);
        let _ = c.decrypt(&junk);
    }

    #[test]
    fn telegram_text_becomes_input_and_replies_fit_the_limit(text in messy(), long in 0usize..3, label in messy()) {
        let _ = xinfang_guide::channels::telegram::command(&text);
        let _ = xinfang_guide::channels::telegram::command(&format!("/{text}"));
        let mut r = Reply::plain(text.repeat(long * 60 + 1));
        r.choices = vec![ChoiceOut { id: "main.1".parse().expect("choice id"), label }];
        for (html, _) in xinfang_guide::channels::telegram::messages(&[r]) {
            prop_assert!(html.encode_utf16().count() <= xinfang_guide::channels::telegram::MESSAGE_LIMIT);
        }
    }
}

/// Every file of the shipped content, copied, one of them damaged: loading
/// reports errors with file:line (or loads), never panics.
#[test]
fn damaged_content_files_give_diagnostics_not_a_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for sub in ["dialogs", "faq", "config"] {
        let mut stack = vec![root.join(sub)];
        while let Some(p) = stack.pop() {
            for e in std::fs::read_dir(&p).expect("dir") {
                let path = e.expect("entry").path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|x| x == "toml") {
                    files.push(path.strip_prefix(root).expect("inside").to_path_buf());
                }
            }
        }
    }
    proptest!(config(40), |(pick in 0..files.len(), at in any::<prop::sample::Index>(), junk in messy(), cut in any::<bool>())| {
        let dir = tempfile::tempdir().expect("tempdir");
        for f in &files {
            let to = dir.path().join(f);
            std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
            std::fs::copy(root.join(f), &to).expect("copy");
        }
        let target = dir.path().join(&files[pick]);
        let text = std::fs::read_to_string(&target).expect("read");
        let mut i = at.index(text.len() + 1);
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        let damaged = if cut { text[..i].to_string() } else { format!("{}{junk}{}", &text[..i], &text[i..]) };
        std::fs::write(&target, damaged).expect("write");
        let (loaded, diags) = xinfang_guide::content::load(dir.path());
        prop_assert!(loaded.is_some() || !diags.items.is_empty(), "refused without saying why");
    });
}

proptest! {
    #![proptest_config(config(500))]

    /// Whatever is typed at a date question, the parser answers (a date, a
    /// month, or an error the bot can say), and a real past date written in
    /// the forms people use reads back as itself.
    #[test]
    fn dates_of_any_text_parse_or_are_refused_and_real_ones_read_back(
        text in messy(),
        days_ago in 0i64..3000,
        form in 0usize..5,
    ) {
        use xinfang_guide::engine::dates::{Given, parse};
        let today = time::macros::date!(2026 - 12 - 02);
        let _ = parse(&text, today);
        let d = today - time::Duration::days(days_ago);
        let (y, m, day) = (d.year(), d.month() as u8, d.day());
        let typed = match form {
            0 => format!("{y}-{m:02}-{day:02}"),
            1 => format!("{y}.{m}.{day}"),
            2 => format!("{y}年{m}月{day}日"),
            3 => format!("{y}/{m}/{day}"),
            _ => format!("大概{y} {m} {day}左右"),
        };
        prop_assert_eq!(parse(&typed, today), Ok(Given::Day(d)), "{}", typed);
    }
}
