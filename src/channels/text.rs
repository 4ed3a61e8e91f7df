//! Replies as plain text, for channels without buttons or rich layout
//! (terminal, WeChat) and as the body of Telegram messages.
//!
//! Numbering contract: when a reply offers a choice of its own (not only
//! 返回/菜单), `numbered` numbers all its choices 1..N in order, and the
//! engine takes a typed N as that choice (`Session::offered`). Otherwise the
//! 返回/菜单 choices are shown as words to type, which the engine knows as
//! commands.

use crate::engine::reply::{Card, OfficeOut, Reply};
use std::fmt::Write as _;

/// One reply as plain text, without its choices.
pub fn render(r: &Reply) -> String {
    let mut s = format!("{}\n", r.text);
    if !r.cites.is_empty() {
        let _ = writeln!(s, "依据：{}", r.cites.join("；"));
    }
    if let Some(c) = &r.card {
        s.push_str(&render_card(c));
    }
    s
}

/// A card in the order people need it (the same on the web page and the
/// take-away page): the channel and its deadline first, how to reach it,
/// what to bring, the local office; then why this channel and its basis.
pub fn render_card(c: &Card) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "【建议途径】{}（{}）", c.channel_name, c.channel);
    if let Some(cat) = &c.category_name {
        let _ = writeln!(s, "问题类别：{cat}");
    }
    if let Some(d) = &c.deadline {
        let _ = writeln!(s, "期限：{}", d.text);
        if let Some(status) = &d.status {
            let _ = writeln!(s, "{status}");
        }
    }
    let _ = writeln!(s, "怎么找：{}", c.how);
    if let Some(h) = &c.hotline {
        let _ = writeln!(s, "电话：{h}");
    }
    if let Some(w) = &c.website {
        let _ = writeln!(s, "网站：{w}");
    }
    if !c.bring.is_empty() {
        let _ = writeln!(s, "带上：{}", c.bring.join("；"));
    }
    for o in &c.local {
        let _ = writeln!(s, "本地：{}", office_line(o));
    }
    let _ = writeln!(s, "为什么：{}", c.why);
    if !c.cites.is_empty() {
        let _ = writeln!(s, "依据：{}", c.cites.join("；"));
    }
    if !c.then.is_empty() {
        let names: Vec<&str> = c.then.iter().map(|t| t.name.as_str()).collect();
        let _ = writeln!(s, "其他途径：{}", names.join("；"));
    }
    if !c.free_help.is_empty() {
        let _ = writeln!(s, "免费帮助：{}", c.free_help.join("；"));
    }
    let _ = writeln!(s, "{}", c.notice);
    s
}

/// A local office in one line, leaving out what is not known yet.
pub fn office_line(o: &OfficeOut) -> String {
    let mut parts = vec![o.name.clone()];
    for (label, v) in [("地址", &o.address), ("电话", &o.phone), ("时间", &o.hours)] {
        if !v.is_empty() {
            parts.push(format!("{label}：{v}"));
        }
    }
    parts.join("，")
}

/// A reply with its choices, for a channel where people type their answer.
pub fn numbered(r: &Reply) -> String {
    let mut s = render(r);
    s.push_str(&choices_text(r));
    s
}

/// The choices of a reply as lines to type from (see the module docs).
pub fn choices_text(r: &Reply) -> String {
    let mut s = String::new();
    if r.choices.iter().any(|c| !c.id.is_command()) {
        s.push_str("请回复数字：\n");
        for (i, c) in r.choices.iter().enumerate() {
            let _ = writeln!(s, "{}. {}", i + 1, c.label);
        }
    } else if !r.choices.is_empty() {
        let words: Vec<String> = r.choices.iter().map(|c| format!("“{}”", c.label)).collect();
        let _ = writeln!(s, "可回复{}", words.join("或"));
    }
    s
}

/// Splits `text` into pieces of at most `max` units (as counted by
/// `measure`), at line ends where it can; a single line longer than `max`
/// is cut between characters. No piece is empty; joined with `\n` the
/// pieces give back the text (minus trailing line breaks at cuts).
pub fn split(text: &str, max: usize, measure: impl Fn(&str) -> usize) -> Vec<String> {
    let max = max.max(1);
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in text.trim_end_matches('\n').split('\n') {
        let extra = if cur.is_empty() { measure(line) } else { measure(&cur) + 1 + measure(line) };
        if extra <= max {
            if !cur.is_empty() {
                cur.push('\n');
            }
            cur.push_str(line);
            continue;
        }
        if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if measure(line) <= max {
            cur.push_str(line);
            continue;
        }
        for ch in line.chars() {
            let mut buf = [0u8; 4];
            if measure(&cur) + measure(ch.encode_utf8(&mut buf)) > max && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            cur.push(ch);
        }
    }
    if !cur.is_empty() || out.is_empty() {
        out.push(cur);
    }
    out
}

/// Characters as Telegram counts them (UTF-16 code units).
pub fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::reply::ChoiceOut;

    fn reply(ids: &[&str]) -> Reply {
        let mut r = Reply::plain("请选择");
        r.choices = ids.iter().map(|id| ChoiceOut { id: id.parse().expect("id"), label: format!("L{id}") }).collect();
        r
    }

    #[test]
    fn numbers_all_choices_when_one_is_the_nodes_own() {
        let s = numbered(&reply(&["n.1", "n.2", "cmd:back"]));
        assert!(s.contains("1. Ln.1\n2. Ln.2\n3. Lcmd:back"), "{s}");
    }

    #[test]
    fn only_navigation_is_shown_as_words() {
        let s = numbered(&reply(&["cmd:back", "cmd:menu"]));
        assert!(s.contains("可回复“Lcmd:back”或“Lcmd:menu”"), "{s}");
        assert!(!s.contains("1."), "{s}");
    }

    #[test]
    fn split_keeps_lines_whole_and_respects_the_limit() {
        let text = "一二三\n四五\n六七八九\n十";
        let parts = split(text, 6, |s| s.chars().count());
        assert_eq!(parts, ["一二三\n四五", "六七八九\n十"]);
        let long = "字".repeat(25);
        let parts = split(&long, 10, |s| s.chars().count());
        assert_eq!(parts.iter().map(|p| p.chars().count()).collect::<Vec<_>>(), [10, 10, 5]);
        assert_eq!(split("", 10, str::len), [""]);
        for p in split(&"甲乙丙\n".repeat(500), 100, utf16_len) {
            assert!(utf16_len(&p) <= 100 && !p.is_empty());
        }
    }
}
