//! Legal ground checks against ../shared/reference: the category and channel
//! ids match the project's taxonomy, and every cited article (and paragraph
//! and item) exists in the statute texts we have. When the reference folder
//! is absent the tests say so, and fail only in CI.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use xinfang_guide::content::{self, Content, NodeKind};

fn reference() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(std::env::var_os("CI").is_none(), "../shared/reference is missing in CI");
    eprintln!("skipped: ../shared/reference is not beside the checkout");
    None
}

fn shipped() -> Content {
    let (c, d) = content::load(Path::new(env!("CARGO_MANIFEST_DIR")));
    c.unwrap_or_else(|| panic!("{d}"))
}

#[test]
fn categories_and_channels_match_the_taxonomy() {
    let Some(dir) = reference() else { return };
    let text = std::fs::read_to_string(dir.join("taxonomy.toml")).expect("taxonomy");
    let tax: toml::Table = toml::from_str(&text).expect("taxonomy parses");
    let c = shipped();
    let tax_channels: BTreeSet<_> = tax["channels"].as_table().expect("channels").keys().cloned().collect();
    let ours: BTreeSet<_> = c.directory.channels.keys().cloned().collect();
    assert_eq!(ours, tax_channels);
    let cats = tax["categories"].as_table().expect("categories");
    let ours: BTreeSet<_> = c.directory.categories.keys().cloned().collect();
    assert_eq!(ours, cats.keys().cloned().collect());
    for (id, t) in cats {
        let mine = &c.directory.categories[id];
        let channels: Vec<String> =
            t["channels"].as_array().expect("list").iter().map(|v| v.as_str().expect("str").to_string()).collect();
        assert_eq!(mine.channels, channels, "channels of {id}");
        assert_eq!(Some(mine.xinfang_ok), t["xinfang_ok"].as_bool(), "xinfang_ok of {id}");
    }
}

#[test]
fn no_route_recommends_xinfang_first_where_the_law_routes_elsewhere() {
    let c = shipped();
    for n in &c.nodes {
        if let NodeKind::Route { category: Some(cat), rules, .. } = &n.kind {
            let ok = c.directory.categories[cat].xinfang_ok;
            for r in rules {
                assert!(ok || r.channel != "xinfang", "node {} recommends 信访 for {cat}", n.id);
            }
        }
    }
}

/// One statute: article number → paragraphs, each a list of item counts.
struct Statute {
    articles: BTreeMap<u32, Vec<usize>>,
}

fn cn_num(s: &str) -> Option<u32> {
    let digit = |c| "零一二三四五六七八九".chars().position(|d| d == c).map(|p| p as u32);
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
            c => cur = digit(c)?,
        }
    }
    Some(total + cur)
}

fn parse_statute(text: &str) -> Statute {
    let mut articles: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    let mut current: Option<u32> = None;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.starts_with('#') {
            current = None;
            continue;
        }
        if let Some(rest) = line.strip_prefix('第') {
            if let Some((num, _)) = rest.split_once("条 ") {
                if let Some(n) = cn_num(num) {
                    current = Some(n);
                    articles.insert(n, vec![0]);
                    continue;
                }
            }
        }
        let Some(n) = current else { continue };
        let paras = articles.entry(n).or_default();
        if line.starts_with('（') {
            if let Some(last) = paras.last_mut() {
                *last += 1;
            }
        } else {
            paras.push(0);
        }
    }
    Statute { articles }
}

/// `《名》第A条第B款第C项、第D款…` → the law and (article, paragraph, item) triples.
/// (article, paragraph, item) of one reference.
type Ref = (u32, Option<u32>, Option<u32>);

fn parse_cite(cite: &str) -> Option<(String, Vec<Ref>)> {
    let rest = cite.strip_prefix('《')?;
    let (law, refs) = rest.split_once('》')?;
    let refs = refs.split('（').next().unwrap_or("");
    let mut out = Vec::new();
    let (mut art, mut para) = (None, None);
    for part in refs.split('、').filter(|p| !p.trim().is_empty()) {
        let mut s = part.trim();
        let mut item = None;
        let mut new_para = None;
        while let Some(r) = s.strip_prefix('第') {
            let end = r.find(['条', '款', '项'])?;
            let n = cn_num(&r[..end])?;
            let unit = r[end..].chars().next()?;
            match unit {
                '条' => {
                    art = Some(n);
                    para = None;
                }
                '款' => new_para = Some(n),
                _ => item = Some(n),
            }
            s = &r[end + unit.len_utf8()..];
        }
        if new_para.is_some() {
            para = new_para;
        }
        out.push((art?, para, item));
    }
    Some((law.to_string(), out))
}

fn all_cites(c: &Content) -> Vec<(String, String)> {
    let mut v = Vec::new();
    for n in &c.nodes {
        v.extend(n.cites.iter().map(|x| (n.id.clone(), x.clone())));
        if let NodeKind::Route { rules, .. } = &n.kind {
            for r in rules {
                v.extend(r.cites.iter().map(|x| (n.id.clone(), x.clone())));
            }
        }
    }
    for f in &c.faq {
        v.extend(f.cites.iter().map(|x| (format!("faq {}", f.id), x.clone())));
    }
    v
}

#[test]
fn every_cited_article_exists_in_the_statute_texts_we_have() {
    let Some(dir) = reference() else { return };
    let mut laws = BTreeMap::new();
    for e in std::fs::read_dir(dir.join("law")).expect("law dir") {
        let p = e.expect("entry").path();
        let name = p.file_stem().and_then(|s| s.to_str()).unwrap_or("").split('(').next().unwrap_or("").to_string();
        laws.insert(name, parse_statute(&std::fs::read_to_string(&p).expect("law text")));
    }
    let mut problems = Vec::new();
    let mut unverifiable = BTreeSet::new();
    let mut checked = 0;
    for (node, cite) in all_cites(&shipped()) {
        let Some((law, refs)) = parse_cite(&cite) else {
            if cite.contains('第') {
                problems.push(format!("{node}: cannot read citation `{cite}`"));
            }
            continue;
        };
        let Some(statute) = laws.get(&law) else {
            unverifiable.insert(law);
            continue;
        };
        for (art, para, item) in refs {
            checked += 1;
            let Some(paras) = statute.articles.get(&art) else {
                problems.push(format!("{node}: `{cite}`: 《{law}》 has no article {art}"));
                continue;
            };
            let p = para.unwrap_or(1) as usize;
            if para.is_some() && p > paras.len() {
                problems.push(format!("{node}: `{cite}`: article {art} has {} paragraphs", paras.len()));
            } else if let Some(i) = item {
                if i as usize > paras[p - 1] {
                    problems.push(format!("{node}: `{cite}`: article {art} paragraph {p} has {} items", paras[p - 1]));
                }
            }
        }
    }
    eprintln!("checked {checked} article references; laws not in the reference folder: {unverifiable:?}");
    assert!(checked > 100, "expected the shipped content to cite many articles, found {checked}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn chinese_numerals_and_citations_parse() {
    assert_eq!(cn_num("二百一十六"), Some(216));
    assert_eq!(cn_num("十七"), Some(17));
    assert_eq!(cn_num("一千零七十六"), Some(1076));
    assert_eq!(cn_num("二百零五"), Some(205));
    let (law, refs) = parse_cite("《信访工作条例》第二十条第一款、第二款").expect("parses");
    assert_eq!(law, "信访工作条例");
    assert_eq!(refs, vec![(20, Some(1), None), (20, Some(2), None)]);
    let (_, refs) = parse_cite("《信访工作条例》第三十一条第一项、第四项").expect("parses");
    assert_eq!(refs, vec![(31, None, Some(1)), (31, None, Some(4))]);
}
