//! Rules where they are exact: patterns over named word sets with gaps
//! (`dialogs/danger/rules.toml`), matched on the normalized text and, for
//! words marked as matched by sound, on the text respelled where its pinyin
//! spells one of them (轻声 → 轻生, "zisha" → 自杀).
//!
//! A pattern is a regular expression in which `{set}` stands for any word
//! of a named set and `~N` for up to N characters within one sentence
//! ("{take}~4{pills}" finds 吃了一瓶安眠药). A rule says which kind of
//! danger it finds, how sure it is (`full` reply, or `check` to ask), and
//! whose danger it is: the sentence's subject (`subject`: 我儿子喝了… is
//! someone else in danger), the object of a violent verb (`object`: 在打我爸),
//! or the kind as written (`fixed`). `unless` drops a match whose sentence
//! also matches it (自杀 in an insurance question); `frames` drop every match
//! of a sentence that reports, tells a story or asks as a professional
//! (新闻, 小说, 网格员); `calm` patterns drop a
//! someone-else match told as a past death (表哥三年前跳楼走了).

use super::normal::{Normal, SENTENCE_END};
use super::prefilter::{Matcher, Try};
use super::{Kind, Level};
use crate::pinyin::{self, Syllable};
use aho_corasick::{AhoCorasick, MatchKind};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

/// `dialogs/danger/rules.toml` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRules {
    /// Named word sets, used in patterns as `{name}`.
    #[serde(default)]
    pub sets: BTreeMap<String, Vec<String>>,
    /// Sets whose words are also found by their sound.
    #[serde(default)]
    pub sound: Vec<String>,
    /// Words that contain a danger word but are harmless (跳楼价): blanked
    /// before any rule is matched.
    #[serde(default)]
    pub harmless: Vec<String>,
    /// Patterns of a death told as a past event.
    #[serde(default)]
    pub calm: Vec<String>,
    /// Patterns that make a sentence a report, a story or a professional's
    /// question (新闻, 小说, 网格员…): no rule is read in such a sentence.
    #[serde(default)]
    pub frames: Vec<String>,
    /// Patterns of lawful action (我要去上访, 去法院起诉, 找媒体曝光): a
    /// message with one is not taken for danger on the model's word alone
    /// unless the model is sure.
    #[serde(default)]
    pub lawful: Vec<String>,
    #[serde(default)]
    pub rule: Vec<toml::Spanned<RawRule>>,
    /// The model's thresholds (read by `load`).
    #[serde(default)]
    pub model: Option<RawThresholds>,
}

/// `[model]`: probabilities from which the model alone raises a full reply
/// or a check-in.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawThresholds {
    pub full: f32,
    pub check: f32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub kind: String,
    pub level: String,
    pub pattern: String,
    #[serde(default)]
    pub unless: Option<String>,
    /// A set whose words anywhere in the sentence drop the match.
    #[serde(default)]
    pub unless_set: Option<String>,
    #[serde(default)]
    pub who: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Subject,
    Object,
    Fixed,
}

#[derive(Debug)]
struct Rule {
    /// "rules.toml:LINE", for the query log and `danger assess`.
    name: String,
    kind: Kind,
    level: Level,
    who: Who,
    /// The pattern, kept only when it is searched over the whole text.
    re: Option<regex_lite::Regex>,
    /// The pattern anchored at its start, tried where the prefilter says
    /// (none for a list of words: the prefilter finds them whole).
    anchored: Option<regex_lite::Regex>,
    unless: Option<Matcher>,
    /// Index into `Rules::unless_sets`.
    unless_set: Option<usize>,
}

/// A word found by its sound: its characters and syllables.
#[derive(Debug)]
struct SoundWord {
    chars: Vec<char>,
    syllables: Vec<&'static str>,
}

/// The compiled rules.
#[derive(Debug, Default)]
pub struct Rules {
    rules: Vec<Rule>,
    prefilter: super::prefilter::Prefilter,
    harmless: Option<AhoCorasick>,
    calm: Option<Matcher>,
    frames: Option<Matcher>,
    lawful: Option<Matcher>,
    /// Words matched by sound, by their first syllable.
    sound: HashMap<&'static str, Vec<SoundWord>>,
    /// Sets named by rules' `unless_set`, each compiled once.
    unless_sets: Vec<AhoCorasick>,
    me: Option<AhoCorasick>,
    others: Option<AhoCorasick>,
    kin: Option<AhoCorasick>,
}

/// What one rule found.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub rule: String,
    pub kind: Kind,
    pub level: Level,
    /// Characters of the normalized text.
    pub chars: Range<usize>,
}

/// A problem in the rules file: the line and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleError {
    pub line: usize,
    pub message: String,
}

impl Rules {
    /// Compiles the rules; `line` gives the line of a byte offset of the
    /// file. Every problem is returned, with the rules that compiled.
    pub fn compile(raw: &RawRules, line: impl Fn(usize) -> usize) -> (Self, Vec<RuleError>) {
        let mut errors = Vec::new();
        let sets = &raw.sets;
        let mut err = |line: usize, message: String| errors.push(RuleError { line, message });
        let mut rules = Vec::new();
        let mut patterns = Vec::new();
        let mut unless_sets: Vec<(String, AhoCorasick)> = Vec::new();
        for r in &raw.rule {
            let at = line(r.span().start);
            let r = r.get_ref();
            let Some(kind) = Kind::parse(&r.kind) else {
                err(at, format!("unknown kind {:?} (self_harm, violence_now, harm_others, other_at_risk)", r.kind));
                continue;
            };
            let level = match r.level.as_str() {
                "full" => Level::Full,
                "check" => Level::Check,
                other => {
                    err(at, format!("unknown level {other:?} (full or check)"));
                    continue;
                }
            };
            let who = match r.who.as_deref() {
                None if kind == Kind::SelfHarm => Who::Subject,
                None if kind == Kind::ViolenceNow => Who::Object,
                None | Some("fixed") => Who::Fixed,
                Some("subject") => Who::Subject,
                Some("object") => Who::Object,
                Some(other) => {
                    err(at, format!("unknown who {other:?} (subject, object or fixed)"));
                    continue;
                }
            };
            let expanded = match expand(&r.pattern, sets) {
                Ok(e) => e,
                Err(e) => {
                    err(at, format!("pattern: {e}"));
                    continue;
                }
            };
            let (re, anchored) = match (compile(&expanded), compile(&format!("^(?:{expanded})"))) {
                (Ok(re), Ok(anchored)) => (Some(re), Some(anchored)),
                (Err(e), _) | (_, Err(e)) => {
                    err(at, format!("pattern: {e}"));
                    continue;
                }
            };
            let unless = match r.unless.as_deref().map(|u| pattern(u, sets)).transpose() {
                Ok(u) => u,
                Err(e) => {
                    err(at, format!("unless: {e}"));
                    continue;
                }
            };
            let unless_set = match r.unless_set.as_deref() {
                None => None,
                Some(name) => match unless_sets.iter().position(|(n, _)| n == name) {
                    Some(i) => Some(i),
                    None => match sets.get(name).map(|w| word_finder(w)) {
                        Some(Ok(re)) => {
                            unless_sets.push((name.to_string(), re));
                            Some(unless_sets.len() - 1)
                        }
                        Some(Err(e)) => {
                            err(at, format!("unless_set: {e}"));
                            continue;
                        }
                        None => {
                            err(at, format!("unless_set: no set named {name:?}"));
                            continue;
                        }
                    },
                },
            };
            patterns.push(expanded);
            rules.push(Rule { name: format!("rules.toml:{at}"), kind, level, who, re, anchored, unless, unless_set });
        }
        let words =
            |list: &[String]| -> Option<AhoCorasick> { (!list.is_empty()).then(|| word_finder(list).ok()).flatten() };
        let any = |ps: &[String], err: &mut dyn FnMut(usize, String)| -> Option<Matcher> {
            let parts: Vec<String> = ps
                .iter()
                .filter_map(|p| match expand(p, sets) {
                    Ok(e) => Some(format!("(?:{e})")),
                    Err(e) => {
                        err(1, format!("calm or frames: {e}"));
                        None
                    }
                })
                .collect();
            (!parts.is_empty()).then(|| Matcher::new(&parts.join("|")).ok()).flatten()
        };
        let calm = any(&raw.calm, &mut err);
        let frames = any(&raw.frames, &mut err);
        let lawful = any(&raw.lawful, &mut err);
        let mut sound: HashMap<&'static str, Vec<SoundWord>> = HashMap::new();
        for name in &raw.sound {
            let Some(list) = sets.get(name) else {
                err(1, format!("sound: no set named {name:?}"));
                continue;
            };
            for w in list {
                let chars: Vec<char> = w.chars().collect();
                let syllables: Option<Vec<&'static str>> = chars.iter().map(|c| pinyin::of_char(*c)).collect();
                match syllables {
                    Some(s) if s.len() >= 2 => sound.entry(s[0]).or_default().push(SoundWord { chars, syllables: s }),
                    _ => err(1, format!("sound: {w:?} is not two or more Chinese characters")),
                }
            }
        }
        let set = |name: &str| sets.get(name).and_then(|l| words(l));
        let prefilter = super::prefilter::Prefilter::new(&patterns);
        for (i, r) in rules.iter_mut().enumerate() {
            if !prefilter.is_whole(i) {
                r.re = None;
            }
            if prefilter.is_exact(i) {
                r.anchored = None;
            }
        }
        let compiled = Self {
            prefilter,
            rules,
            harmless: words(&raw.harmless),
            calm,
            frames,
            lawful,
            sound,
            unless_sets: unless_sets.into_iter().map(|(_, re)| re).collect(),
            me: set("me"),
            others: set("others"),
            kin: set("kin"),
        };
        (compiled, errors)
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// How many rules can start with anything and are searched over the
    /// whole text (each costs time on long letters: keep it at none).
    pub fn searched_whole(&self) -> usize {
        self.prefilter.whole()
    }

    /// Whether the text speaks of lawful action (see `RawRules::lawful`).
    pub fn is_lawful(&self, n: &Normal) -> bool {
        self.lawful.as_ref().is_some_and(|l| l.is_match(&gaps_stop_at_sentence_ends(n)))
    }

    /// Every rule's matches in `n` (with harmless words blanked: see
    /// [`Rules::blank_harmless`]).
    pub fn hits(&self, n: &Normal) -> Vec<Hit> {
        let text = gaps_stop_at_sentence_ends(n);
        let at = Normal { chars: text.chars().collect(), from: Vec::new() }.char_starts();
        let mut out = Vec::new();
        for (r, bytes) in self.matches(&text) {
            let r = &self.rules[r];
            let chars = at[bytes.start]..at[bytes.end];
            let sentence = sentence_around(&n.chars, chars.clone());
            let s: String = n.chars[sentence.clone()].iter().collect();
            if r.unless.as_ref().is_some_and(|u| u.is_match(&s))
                || r.unless_set.is_some_and(|i| self.unless_sets[i].is_match(&s))
                || self.frames.as_ref().is_some_and(|f| f.is_match(&s))
            {
                continue;
            }
            let kind = match r.who {
                Who::Fixed => r.kind,
                Who::Subject => self.by_subject(r.kind, &n.chars[sentence.start..chars.start]),
                Who::Object => self.by_object(r.kind, &n.chars[chars.clone()], &n.chars[chars.end..sentence.end]),
            };
            if kind == Kind::OtherAtRisk && r.who == Who::Subject && self.told_as_past(&s, &n.chars, &sentence, &chars)
            {
                continue;
            }
            out.push(Hit { rule: r.name.clone(), kind, level: r.level, chars });
        }
        out
    }

    /// Each rule's matches in `text` (rule, byte range), leftmost first and
    /// not overlapping, tried only where the prefilter says one can start.
    fn matches(&self, text: &str) -> Vec<(usize, Range<usize>)> {
        let mut out: Vec<(usize, Range<usize>)> = Vec::new();
        for (r, at) in self.prefilter.candidates(text) {
            let rule = &self.rules[r];
            match at {
                Try::Whole => out.extend(rule.re.iter().flat_map(|re| re.find_iter(text)).map(|m| (r, m.range()))),
                Try::At(start) => {
                    let overlaps = out.last().is_some_and(|(last, range)| *last == r && range.end > start);
                    let anchored = rule.anchored.as_ref();
                    if let (false, Some(m)) = (overlaps, text.get(start..).and_then(|t| anchored?.find(t))) {
                        out.push((r, start..start + m.end()));
                    }
                }
                Try::Found(start, end) => {
                    if !out.last().is_some_and(|(last, range)| *last == r && range.end > start) {
                        out.push((r, start..end));
                    }
                }
            }
        }
        out
    }

    /// Whether a calm pattern (a death told as a past event) covers the
    /// match or touches it, in its sentence `s`.
    fn told_as_past(&self, s: &str, chars: &[char], sentence: &Range<usize>, m: &Range<usize>) -> bool {
        let Some(calm) = &self.calm else { return false };
        let byte = |c: usize| chars[sentence.start..c].iter().map(|c| c.len_utf8()).sum::<usize>();
        let (from, to) = (byte(m.start.saturating_sub(4).max(sentence.start)), byte((m.end + 4).min(sentence.end)));
        calm.ranges(s).into_iter().any(|c| c.start < to && c.end > from)
    }

    /// The words found only by their sound: the characters of `n` that
    /// sound like each, and the word.
    pub fn by_sound(&self, n: &Normal) -> Vec<(Range<usize>, String)> {
        let mut found = Vec::new();
        if self.sound.is_empty() {
            return found;
        }
        let sounds = pinyin::sounds(&n.text());
        let mut i = 0;
        while i < sounds.len() {
            let cands: Box<dyn Iterator<Item = &SoundWord>> = match &sounds[i].syllable {
                Syllable::Full(s) => Box::new(self.sound.get(s.as_ref()).into_iter().flatten()),
                Syllable::Initial(c) => {
                    Box::new(self.sound.iter().filter(move |(k, _)| k.starts_with(*c)).flat_map(|(_, v)| v))
                }
            };
            let hit = cands.into_iter().find(|w| {
                let window = sounds.get(i..i + w.syllables.len());
                window.is_some_and(|win| {
                    let initials = win.iter().all(|s| matches!(s.syllable, Syllable::Initial(_)));
                    let fulls = win.iter().all(|s| matches!(s.syllable, Syllable::Full(_)));
                    // A sound never spans a sentence end or a blanked word.
                    let joined = win
                        .windows(2)
                        .all(|p| p[0].end == p[1].start || n.chars[p[0].end..p[1].start].iter().all(|c| *c == ' '));
                    (initials || fulls) && joined && win.iter().zip(&w.syllables).all(|(s, p)| s.syllable.stands_for(p))
                })
            });
            match hit {
                Some(w) => {
                    let r = sounds[i].start..sounds[i + w.syllables.len() - 1].end;
                    if n.chars[r.clone()] != w.chars[..] {
                        found.push((r, w.chars.iter().collect()));
                    }
                    i += w.syllables.len();
                }
                None => i += 1,
            }
        }
        found
    }

    /// The text with its harmless words (跳楼价, 紫砂壶) blanked, before
    /// rules and sounds are read.
    pub fn blank_harmless(&self, n: &Normal) -> Normal {
        let Some(h) = &self.harmless else { return n.clone() };
        let text = n.text();
        let at = n.char_starts();
        let mut out = n.clone();
        for m in h.find_iter(&text) {
            for c in &mut out.chars[at[m.start()]..at[m.end()]] {
                *c = '·';
            }
        }
        out
    }

    /// Someone else's danger when the last person named before it in its
    /// sentence is someone else (我儿子, 她, 室友), not the writer.
    fn by_subject(&self, kind: Kind, before: &[char]) -> Kind {
        let text: String = before.iter().collect();
        let last = |re: &Option<AhoCorasick>| re.as_ref().and_then(|re| re.find_iter(&text).map(|m| m.end()).last());
        let me = self
            .me
            .as_ref()
            .and_then(|re| re.find_iter(&text).filter(|m| !self.kin_at(&text[m.end()..])).map(|m| m.end()).last());
        let other = last(&self.others);
        match (me, other) {
            (_, None) => kind,
            (Some(m), Some(o)) if m > o => kind,
            _ => Kind::OtherAtRisk,
        }
    }

    /// Someone else's danger when the violence is done to a relative or
    /// another person named right after the writer (在打我爸).
    fn by_object(&self, kind: Kind, matched: &[char], after: &[char]) -> Kind {
        let m: String = matched.iter().collect();
        let after: String = after.iter().take(4).collect();
        let ends_with_me =
            self.me.as_ref().is_some_and(|re| re.find_iter(&m).last().is_some_and(|x| x.end() == m.len()));
        if ends_with_me && self.kin_at(&after) { Kind::OtherAtRisk } else { kind }
    }

    fn kin_at(&self, text: &str) -> bool {
        self.kin.as_ref().is_some_and(|k| k.find(text).is_some_and(|m| m.start() == 0))
    }
}

/// Finds a set's words, the longest where several start at one place.
fn word_finder(words: &[String]) -> Result<AhoCorasick, aho_corasick::BuildError> {
    AhoCorasick::builder()
        .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
        .match_kind(MatchKind::LeftmostLongest)
        .build(words.iter().filter(|w| !w.is_empty()))
}

impl Rules {}

/// The sentence (between sentence ends) around `chars`.
fn sentence_around(text: &[char], chars: Range<usize>) -> Range<usize> {
    let start = text[..chars.start].iter().rposition(|c| SENTENCE_END.contains(c)).map_or(0, |i| i + 1);
    let end = text[chars.end..].iter().position(|c| SENTENCE_END.contains(c)).map_or(text.len(), |i| chars.end + i);
    start..end
}

/// A pattern compiled (`{set}` and `~N` expanded).
fn pattern(p: &str, sets: &BTreeMap<String, Vec<String>>) -> Result<Matcher, String> {
    Matcher::new(&expand(p, sets)?).map_err(|e| e.to_string())
}

/// A pattern compiled with `regex-lite`: its automata stay the size of the
/// pattern (with `regex`, forward and reverse automata and prefilters took
/// about 250 bytes per byte of pattern: 9 MB for these rules, and as much
/// again in search caches).
fn compile(p: &str) -> Result<regex_lite::Regex, regex_lite::Error> {
    regex_lite::Regex::new(p)
}

/// The text with every sentence end turned into `\n`: a gap (`~N`, which
/// never matches `\n`) cannot cross one. Characters stay where they were.
fn gaps_stop_at_sentence_ends(n: &Normal) -> String {
    n.chars.iter().map(|c| if SENTENCE_END.contains(c) { '\n' } else { *c }).collect()
}

/// `{set}` → the set's words as one group, `~N` → up to N characters that
/// do not end a sentence.
fn expand(p: &str, sets: &BTreeMap<String, Vec<String>>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = p;
    while let Some(i) = rest.find(['{', '~']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(t) = tail.strip_prefix('~') {
            let digits: String = t.chars().take_while(char::is_ascii_digit).collect();
            let n: usize = digits.parse().map_err(|_| format!("`~` needs a number of characters in {p:?}"))?;
            out.push_str(&format!("[^\\n]{{0,{n}}}"));
            rest = &t[digits.len()..];
            continue;
        }
        let close = tail.find('}').ok_or_else(|| format!("unclosed `{{` in {p:?}"))?;
        let name = &tail[1..close];
        if name.chars().all(|c| c.is_ascii_digit() || c == ',') {
            // A regex repetition such as {2} or {0,3}.
            out.push_str(&tail[..=close]);
        } else {
            let words = sets.get(name).ok_or_else(|| format!("no set named {name:?}"))?;
            out.push_str(&alternation(words.iter().map(String::as_str)));
        }
        rest = &tail[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Words as one non-capturing group, longest first (so 安眠药 wins over 药).
fn alternation<'a>(words: impl Iterator<Item = &'a str>) -> String {
    let mut w: Vec<&str> = words.filter(|w| !w.is_empty()).collect();
    w.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
    w.dedup();
    let escaped: Vec<String> = w.iter().map(|w| regex::escape(w)).collect();
    format!("(?:{})", escaped.join("|"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(toml_text: &str) -> Rules {
        let raw: RawRules = toml::from_str(toml_text).expect("toml");
        let (r, errors) = Rules::compile(&raw, |_| 1);
        assert!(errors.is_empty(), "{errors:?}");
        r
    }

    const BASE: &str = r#"
sound = ["die"]
harmless = ["跳楼价"]
calm = ["{past}~10{died}"]
[sets]
me = ["我", "俺"]
kin = ["儿子", "爸", "妈"]
others = ["儿子", "爸", "妈", "她", "他", "表哥"]
take = ["吃", "喝", "吞"]
pills = ["安眠药", "敌敌畏"]
die = ["轻生", "自杀", "跳楼"]
past = ["去年", "三年前"]
died = ["走了", "去世"]
beat = ["在打", "正在打"]
[[rule]]
kind = "self_harm"
level = "full"
pattern = "{take}了?~4{pills}"
[[rule]]
kind = "self_harm"
level = "full"
pattern = "{die}"
unless = "保险"
[[rule]]
kind = "violence_now"
level = "full"
pattern = "{beat}{me}"
"#;

    fn kinds(r: &Rules, text: &str) -> Vec<Kind> {
        r.hits(&r.blank_harmless(&Normal::new(text))).into_iter().map(|h| h.kind).collect()
    }

    #[test]
    fn words_between_a_verb_and_its_object_are_skipped() {
        let r = rules(BASE);
        assert_eq!(kinds(&r, "我吃了一瓶安眠药"), vec![Kind::SelfHarm]);
        assert_eq!(kinds(&r, "喝了半瓶敌敌畏"), vec![Kind::SelfHarm]);
        assert!(kinds(&r, "我吃了饭。安眠药在哪买").is_empty(), "a gap never crosses a sentence end");
    }

    #[test]
    fn whose_danger_it_is_follows_the_subject_and_the_object() {
        let r = rules(BASE);
        assert_eq!(kinds(&r, "我儿子喝了一瓶敌敌畏"), vec![Kind::OtherAtRisk]);
        assert_eq!(kinds(&r, "我妈说她想跳楼"), vec![Kind::OtherAtRisk]);
        assert_eq!(kinds(&r, "我跟我妈说我想跳楼"), vec![Kind::SelfHarm]);
        assert_eq!(kinds(&r, "老公正在打我"), vec![Kind::ViolenceNow]);
        assert_eq!(kinds(&r, "有人在打我爸"), vec![Kind::OtherAtRisk]);
    }

    #[test]
    fn harmless_words_unless_and_calm_past_deaths_stay_quiet() {
        let r = rules(BASE);
        assert!(kinds(&r, "跳楼价甩卖").is_empty());
        assert!(kinds(&r, "合同写了自杀不赔，保险公司拒赔").is_empty());
        assert!(kinds(&r, "我表哥三年前跳楼走了，社保怎么办").is_empty());
        assert_eq!(kinds(&r, "我表哥现在说要跳楼"), vec![Kind::OtherAtRisk]);
    }

    #[test]
    fn words_are_found_by_sound_when_typed_otherwise() {
        let r = rules(BASE);
        let respelled = |t: &str| {
            let n = r.blank_harmless(&Normal::new(t));
            let found = r.by_sound(&n);
            let mut out = n.clone();
            for (range, w) in found.iter().rev() {
                out = out.replaced(range.clone(), w);
            }
            (!found.is_empty()).then(|| out.text())
        };
        assert_eq!(respelled("我有轻声的想法").as_deref(), Some("我有轻生的想法"));
        assert_eq!(respelled("天天想跳娄").as_deref(), Some("天天想跳楼"));
        assert_eq!(respelled("最近老想zisha").as_deref(), Some("最近老想自杀"));
        assert_eq!(respelled("z s 的念头").as_deref(), Some("自杀的念头"));
        assert_eq!(respelled("我想跳楼"), None, "written as it is");
        assert_eq!(respelled("今天天气不错"), None);
    }

    #[test]
    fn a_bad_rule_is_reported_with_its_line_and_the_rest_compile() {
        let raw: RawRules = toml::from_str(
            "[sets]\nx = [\"a\"]\n[[rule]]\nkind = \"nope\"\nlevel = \"full\"\npattern = \"{x}\"\n[[rule]]\nkind = \"self_harm\"\nlevel = \"full\"\npattern = \"{y}\"\n[[rule]]\nkind = \"self_harm\"\nlevel = \"full\"\npattern = \"{x}\"\n",
        )
        .expect("toml");
        let (r, errors) = Rules::compile(&raw, |_| 7);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].message.contains("unknown kind"));
        assert!(errors[1].message.contains("no set named \"y\""));
        assert_eq!(r.rules.len(), 1);
    }
}
