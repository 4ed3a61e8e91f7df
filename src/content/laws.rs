//! Statute texts and citations: a folder of laws (Markdown, one file per
//! law, named as cited: `民事诉讼法(2023-09-01).md`), the citations content
//! makes (`《民事诉讼法》第一百七十一条第一款`), and time limits as they are
//! written in statutes (十五日, 6个月, 二年).
//!
//! A statute file has one article per line starting `第N条 `; the lines
//! after it are its paragraphs (款), and lines starting `（一）` or `(一)`
//! are items (项) of the paragraph before them. Headings start with `#`.

use std::collections::BTreeMap;
use std::path::Path;

/// Statute texts by name (the file name before `(`).
#[derive(Debug, Default, Clone)]
pub struct Laws {
    laws: BTreeMap<String, Statute>,
}

#[derive(Debug, Default, Clone)]
pub struct Statute {
    pub articles: BTreeMap<u32, Article>,
}

#[derive(Debug, Default, Clone)]
pub struct Article {
    pub paragraphs: Vec<Paragraph>,
}

#[derive(Debug, Default, Clone)]
pub struct Paragraph {
    pub text: String,
    pub items: Vec<String>,
}

impl Paragraph {
    /// The paragraph with its items, as one text.
    pub fn full_text(&self) -> String {
        std::iter::once(self.text.as_str()).chain(self.items.iter().map(String::as_str)).collect::<Vec<_>>().join("\n")
    }
}

impl Article {
    pub fn text(&self) -> String {
        self.paragraphs.iter().map(Paragraph::full_text).collect::<Vec<_>>().join("\n")
    }
}

impl Laws {
    /// Reads every `*.md` file of `dir`.
    pub fn load(dir: &Path) -> std::io::Result<Self> {
        let mut laws = BTreeMap::new();
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.extension().is_none_or(|x| x != "md") {
                continue;
            }
            let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else { continue };
            let name = stem.split(['(', '（']).next().unwrap_or(stem).trim().to_string();
            laws.insert(name, parse_statute(&std::fs::read_to_string(&path)?));
        }
        Ok(Self { laws })
    }

    pub fn get(&self, name: &str) -> Option<&Statute> {
        self.laws.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.laws.keys().map(String::as_str)
    }

    /// The text a reference points at: the item, else the paragraph, else
    /// the whole article. `Err` says what is missing.
    pub fn text_of(&self, law: &str, r: &Ref) -> Result<String, Missing> {
        let statute = self.get(law).ok_or(Missing::Law)?;
        statute.text_of(r)
    }
}

/// Why a reference could not be found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// The law is not in the folder (nothing could be checked).
    Law,
    /// The law is there but not this part of it.
    Part(String),
}

impl Statute {
    pub fn text_of(&self, r: &Ref) -> Result<String, Missing> {
        let art =
            self.articles.get(&r.article).ok_or_else(|| Missing::Part(format!("has no article {}", r.article)))?;
        let para = match r.paragraph {
            Some(p) => {
                let found = art.paragraphs.get(p as usize - 1).filter(|_| p >= 1);
                Some(found.ok_or_else(|| {
                    Missing::Part(format!("article {} has {} paragraph(s), not {p}", r.article, art.paragraphs.len()))
                })?)
            }
            None => None,
        };
        match (r.item, para) {
            (Some(i), para) => {
                // Without a paragraph: the first paragraph that has items.
                let para = para.or_else(|| art.paragraphs.iter().find(|p| !p.items.is_empty()));
                let n = para.map_or(0, |p| p.items.len());
                para.and_then(|p| p.items.get(i as usize - 1).filter(|_| i >= 1)).cloned().ok_or_else(|| {
                    let where_ = r.paragraph.map(|p| format!(" paragraph {p}")).unwrap_or_default();
                    Missing::Part(format!("article {}{where_} has {n} item(s), not {i}", r.article))
                })
            }
            (None, Some(p)) => Ok(p.full_text()),
            (None, None) => Ok(art.text()),
        }
    }
}

/// Characters that are not text (zero-width spaces some files carry on
/// otherwise empty lines).
fn clean(line: &str) -> &str {
    line.trim_matches(|c: char| c.is_whitespace() || matches!(c, '\u{200b}' | '\u{feff}' | '\u{3000}'))
}

pub fn parse_statute(text: &str) -> Statute {
    let mut articles: BTreeMap<u32, Article> = BTreeMap::new();
    let mut current: Option<u32> = None;
    for line in text.lines().map(clean).filter(|l| !l.is_empty()) {
        if line.starts_with('#') || line.starts_with("<!--") {
            current = None;
            continue;
        }
        if let Some((n, rest)) = article_head(line) {
            current = Some(n);
            let first = Paragraph { text: rest.trim().to_string(), items: Vec::new() };
            articles.insert(n, Article { paragraphs: vec![first] });
            continue;
        }
        let Some(n) = current else { continue };
        let Some(art) = articles.get_mut(&n) else { continue };
        if line.starts_with('（') || line.starts_with('(') {
            if let Some(p) = art.paragraphs.last_mut() {
                p.items.push(line.to_string());
            }
        } else {
            art.paragraphs.push(Paragraph { text: line.to_string(), items: Vec::new() });
        }
    }
    Statute { articles }
}

/// `第十七条 …` → (17, "…").
fn article_head(line: &str) -> Option<(u32, &str)> {
    let rest = line.strip_prefix('第')?;
    let end = rest.find('条')?;
    let n = cn_num(&rest[..end])?;
    let after = &rest[end + '条'.len_utf8()..];
    after.starts_with([' ', '\u{3000}']).then_some((n, after))
}

/// Chinese numerals as written in article numbers (一千零七十六) or digits.
pub fn cn_num(s: &str) -> Option<u32> {
    if s.is_empty() {
        return None;
    }
    if s.chars().all(|c| c.is_ascii_digit()) {
        return s.parse().ok();
    }
    let (mut total, mut cur) = (0u32, 0u32);
    for ch in s.chars() {
        match ch {
            '十' => {
                total += cur.max(1) * 10;
                cur = 0;
            }
            '百' => {
                total += cur * 100;
                cur = 0;
            }
            '千' => {
                total += cur * 1000;
                cur = 0;
            }
            '零' => {}
            '两' => cur = 2,
            c => cur = "〇一二三四五六七八九".chars().position(|d| d == c)? as u32,
        }
    }
    Some(total + cur)
}

/// Writes a number the way statutes do: 15 → 十五, 2 → 二, 1076 → 一千零七十六.
pub fn cn_write(n: u32) -> String {
    const D: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    if n == 0 {
        return D[0].to_string();
    }
    let parts = [(n / 1000, "千"), (n / 100 % 10, "百"), (n / 10 % 10, "十"), (n % 10, "")];
    let mut s = String::new();
    let mut zero = false;
    for (i, (d, unit)) in parts.iter().enumerate() {
        if *d == 0 {
            zero = !s.is_empty();
            continue;
        }
        if zero {
            s.push_str(D[0]);
            zero = false;
        }
        // 十五, not 一十五, when the tens lead.
        if !(i == 2 && *d == 1 && s.is_empty()) {
            s.push_str(D[*d as usize]);
        }
        s.push_str(unit);
    }
    s
}

/// One reference inside a citation: article, paragraph (款), item (项).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ref {
    pub article: u32,
    pub paragraph: Option<u32>,
    pub item: Option<u32>,
}

impl std::fmt::Display for Ref {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "第{}条", cn_write(self.article))?;
        if let Some(p) = self.paragraph {
            write!(f, "第{}款", cn_write(p))?;
        }
        if let Some(i) = self.item {
            write!(f, "第{}项", cn_write(i))?;
        }
        Ok(())
    }
}

/// A citation of one law, with the parts it names (none: the law as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citation {
    pub law: String,
    pub refs: Vec<Ref>,
}

/// Every `《法》第…条…` in a text, in order. Ranges (第一百二十二至一百二十六条)
/// name each article in them.
pub fn citations_in(text: &str) -> Vec<Citation> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('《') {
        let after = &rest[open + '《'.len_utf8()..];
        let Some(close) = after.find('》') else { break };
        let law = after[..close].trim().to_string();
        let (refs, tail) = parse_refs(&after[close + '》'.len_utf8()..]);
        if !law.is_empty() {
            out.push(Citation { law, refs });
        }
        rest = tail;
    }
    out
}

const NUMERAL: &str = "〇零一二三四五六七八九十百千两0123456789";

fn numeral_prefix(s: &str) -> (&str, &str) {
    let end = s.char_indices().find(|(_, c)| !NUMERAL.contains(*c)).map_or(s.len(), |(i, _)| i);
    s.split_at(end)
}

/// Reads `第A条第B款第C项、第D款、第E条…` from the start of `s`; returns the
/// references and what follows them.
fn parse_refs(s: &str) -> (Vec<Ref>, &str) {
    let mut out = Vec::new();
    let (mut art, mut para, mut item): (Option<u32>, Option<u32>, Option<u32>) = (None, None, None);
    let mut pending = false;
    let mut rest = s;
    while let Some(r) = rest.strip_prefix('第') {
        let (num, after) = numeral_prefix(r);
        let Some(n) = cn_num(num) else { break };
        // A range: 第一百二十二至一百二十六条.
        if let Some(r2) = after.strip_prefix('至') {
            let (num2, after2) = numeral_prefix(r2);
            if let (Some(m), Some(tail)) = (cn_num(num2), after2.strip_prefix('条')) {
                if pending {
                    out.extend(art.map(|article| Ref { article, paragraph: para, item }));
                }
                out.extend((n..=m.min(n + 50)).map(|article| Ref { article, paragraph: None, item: None }));
                pending = false;
                art = Some(m);
                rest = tail;
                if let Some(t) = rest.strip_prefix('、') {
                    rest = t;
                }
                continue;
            }
            break;
        }
        let Some(unit) = after.chars().next() else { break };
        match unit {
            '条' => {
                if pending {
                    out.extend(art.map(|article| Ref { article, paragraph: para, item }));
                }
                (art, para, item) = (Some(n), None, None);
            }
            '款' => {
                if pending && (para.is_some() || item.is_some()) {
                    out.extend(art.map(|article| Ref { article, paragraph: para, item }));
                }
                (para, item) = (Some(n), None);
            }
            '项' => {
                if pending && item.is_some() {
                    out.extend(art.map(|article| Ref { article, paragraph: para, item }));
                }
                item = Some(n);
            }
            _ => break,
        }
        pending = true;
        rest = &after[unit.len_utf8()..];
        if let Some(t) = rest.strip_prefix('、') {
            rest = t;
        }
    }
    if pending {
        out.extend(art.map(|article| Ref { article, paragraph: para, item }));
    }
    (out, rest)
}

/// A length of time as laws state it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Span {
    Hours(u32),
    Days(u32),
    WorkingDays(u32),
    Months(u32),
    Years(u32),
}

impl Span {
    pub fn amount(self) -> u32 {
        match self {
            Span::Hours(n) | Span::Days(n) | Span::WorkingDays(n) | Span::Months(n) | Span::Years(n) => n,
        }
    }
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let unit = match self {
            Span::Hours(_) => "小时",
            Span::Days(_) => "日",
            Span::WorkingDays(_) => "个工作日",
            Span::Months(_) => "个月",
            Span::Years(_) => "年",
        };
        write!(f, "{}{unit}", self.amount())
    }
}

/// Does `text` state this span (十五日, 15日, 15天; 二年, 两年, 2年)? A
/// number inside a longer one (五日 in 十五日) does not count.
pub fn states(text: &str, span: Span) -> bool {
    spans_in(text).contains(&span)
}

/// Every time span a text states, in order: a number (digits or Chinese
/// numerals) followed by a unit. Not spans: dates (2026年, 5月20日), ordinals
/// (第二日), "最后一日", and single days (一日).
pub fn spans_in(text: &str) -> Vec<Span> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        if !NUMERAL.contains(c) || (i > 0 && NUMERAL.contains(chars[i - 1].1)) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && NUMERAL.contains(chars[j].1) {
            j += 1;
        }
        let end = chars.get(j).map_or(text.len(), |(b, _)| *b);
        let num = &text[start..end];
        let tail = &text[end..];
        let before = i.checked_sub(1).map(|k| chars[k].1);
        i = j;
        let Some(n) = cn_num(num) else { continue };
        let ordinal = matches!(before, Some('第' | '月' | '年' | '每' | '星' | '周'));
        let span = if tail.starts_with("个工作日") {
            Span::WorkingDays(n)
        } else if tail.starts_with("个月") {
            Span::Months(n)
        } else if tail.starts_with("小时") {
            Span::Hours(n)
        } else if tail.starts_with('年') && n < 1000 && !tail.starts_with("年级") {
            Span::Years(n)
        } else if (tail.starts_with('日') || tail.starts_with('天')) && !ordinal && n > 1 {
            Span::Days(n)
        } else {
            continue;
        };
        if matches!(span, Span::Years(_)) && ordinal {
            continue;
        }
        out.push(span);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numerals_read_and_write_both_ways() {
        for (s, n) in
            [("二百一十六", 216), ("十七", 17), ("一千零七十六", 1076), ("二百零五", 205), ("十", 10), ("两", 2)]
        {
            assert_eq!(cn_num(s), Some(n), "{s}");
        }
        for n in [1, 10, 15, 20, 30, 60, 72, 100, 105, 110, 216, 1076, 1260] {
            assert_eq!(cn_num(&cn_write(n)), Some(n), "{n} → {}", cn_write(n));
        }
        assert_eq!(cn_write(15), "十五");
        assert_eq!(cn_write(1077), "一千零七十七");
        assert_eq!(cn_write(110), "一百一十");
    }

    #[test]
    fn citations_name_articles_paragraphs_and_items() {
        let c = citations_in("《信访工作条例》第二十条第一款、第二款");
        assert_eq!(c[0].law, "信访工作条例");
        let r = |a, p, i| Ref { article: a, paragraph: p, item: i };
        assert_eq!(c[0].refs, vec![r(20, Some(1), None), r(20, Some(2), None)]);
        let c = citations_in("《信访工作条例》第三十一条第一项、第四项");
        assert_eq!(c[0].refs, vec![r(31, None, Some(1)), r(31, None, Some(4))]);
        let c = citations_in("《民法典》第一千零七十六条、第一千零七十七条第二款");
        assert_eq!(c[0].refs, vec![r(1076, None, None), r(1077, Some(2), None)]);
        let c = citations_in("《劳动保障监察条例》第九条；《工伤保险条例》第十七条");
        assert_eq!((c.len(), c[1].law.as_str(), c[1].refs[0].article), (2, "工伤保险条例", 17));
        let c = citations_in("《行政复议法》第二十三条第一款第一项、第三项");
        assert_eq!(c[0].refs, vec![r(23, Some(1), Some(1)), r(23, Some(1), Some(3))]);
        let c = citations_in("见《民事诉讼法》第一百二十二至一百二十四条");
        assert_eq!(c[0].refs.iter().map(|r| r.article).collect::<Vec<_>>(), [122, 123, 124]);
        let c = citations_in("《反家庭暴力法》第二十三条（人身安全保护令）；《道路交通事故处理程序规定》");
        assert_eq!(c[0].refs, vec![r(23, None, None)]);
        assert!(c[1].refs.is_empty());
        assert_eq!(r(171, Some(1), None).to_string(), "第一百七十一条第一款");
    }

    #[test]
    fn statutes_keep_paragraphs_and_items_and_skip_invisible_lines() {
        let s = parse_statute(
            "# 某法\n\n## 第一章\n\n第一条 总则。\n\n第二条 有下列情形之一的：\n（一）甲；\n(二)乙。\n\u{200b}\n前款规定的期间为十五日。\n",
        );
        assert_eq!(s.articles.len(), 2);
        let a = &s.articles[&2];
        assert_eq!(a.paragraphs.len(), 2);
        assert_eq!(a.paragraphs[0].items.len(), 2);
        let r = |a, p, i| Ref { article: a, paragraph: p, item: i };
        assert_eq!(s.text_of(&r(2, None, Some(2))), Ok("(二)乙。".into()));
        assert!(s.text_of(&r(2, Some(2), None)).is_ok_and(|t| states(&t, Span::Days(15))));
        assert!(matches!(s.text_of(&r(2, Some(3), None)), Err(Missing::Part(_))));
        assert!(matches!(s.text_of(&r(2, None, Some(3))), Err(Missing::Part(_))));
        assert!(matches!(s.text_of(&r(3, None, None)), Err(Missing::Part(_))));
    }

    #[test]
    fn spans_are_found_as_statutes_and_answers_write_them() {
        assert_eq!(spans_in("判决书送达之日起十五日内上诉"), [Span::Days(15)]);
        assert_eq!(spans_in("15日内上诉（裁定为10日）"), [Span::Days(15), Span::Days(10)]);
        assert_eq!(
            spans_in("六个月内；两个月内；二年；2年；72小时；5个工作日"),
            [Span::Months(6), Span::Months(2), Span::Years(2), Span::Years(2), Span::Hours(72), Span::WorkingDays(5)]
        );
        assert!(states("自收到判决书后五日以内", Span::Days(5)));
        assert!(!states("十五日内", Span::Days(5)), "五日 inside 十五日");
        assert!(spans_in("2026年5月20日，从接到判决书的第二日起算，履行期间的最后一日").is_empty());
        assert_eq!(spans_in("在障碍消除后十日内"), [Span::Days(10)]);
        assert!(spans_in("代表不超过5人，一审终审，12345热线").is_empty());
    }
}
