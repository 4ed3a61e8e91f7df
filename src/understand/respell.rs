//! Homophone typos of the domain's words, read back as the words. An input
//! method that picks the wrong character of the same sound turns 信访 into
//! 信仿, 社保 into 社宝, 补偿 into 补尝; the models, the legal-fact rules, the
//! `requires` words and the FAQ phrasings all look for the right characters.
//!
//! A span is written as a domain word when it sounds like it (the same
//! toneless pinyin, character by character) and has a pair of adjacent
//! characters never seen in any labelled question, example, FAQ phrasing or
//! domain word: 信仿 is read as 信访, but 新房 (xin fang too) is a word people
//! write and stays as it is. Pure: built once from the content.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// Longest domain word looked for, in characters.
const MAX_WORD: usize = 6;

/// Characters so common that, typed, they are what was meant: never
/// replaced (合同未约定 is not 合同违约定, 还在审 not 还再审).
const NEVER_TYPOS: &[char] = &[
    '的', '了', '在', '是', '未', '为', '以', '一', '有', '和', '与', '及', '或', '就', '也', '都', '又', '不', '没',
    '这', '那', '我', '你', '他', '她', '们', '个', '之', '其', '而', '于', '把', '被', '让', '给', '对', '从', '向',
    '到', '说', '要', '会', '能', '可', '还', '已', '很', '吗', '呢', '吧',
];

pub struct Respeller {
    /// Domain words as characters, longest first (then as given).
    words: Vec<Vec<char>>,
    /// Each word's syllables, by index into `words`.
    sounds: Vec<Vec<&'static str>>,
    /// Words by their first syllable.
    by_first: HashMap<&'static str, Vec<usize>>,
    /// Pairs of adjacent characters written somewhere in the corpus.
    seen: HashSet<[char; 2]>,
    /// Words people write that sound like a domain word (新房, 书籍):
    /// never read as one.
    homophones: HashSet<Vec<char>>,
}

fn sound_of(c: char) -> Option<&'static str> {
    crate::pinyin::of_char(c)
}

fn pairs(text: &str) -> impl Iterator<Item = [char; 2]> + '_ {
    let chars: Vec<char> = text.chars().collect();
    (1..chars.len()).map(move |i| [chars[i - 1], chars[i]])
}

impl Respeller {
    /// `words`: the domain's words (Chinese characters only, 2 to 6 of them;
    /// others are ignored); `corpus`: every text the bot knows to be
    /// written as people write (its pairs are never typos).
    /// `homophones`: words people write that sound like a domain word.
    pub fn new<'a>(
        words: impl IntoIterator<Item = &'a str>,
        corpus: impl IntoIterator<Item = &'a str>,
        homophones: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let mut chars: Vec<Vec<char>> = Vec::new();
        for w in words {
            let c: Vec<char> = w.chars().collect();
            let fits = (2..=MAX_WORD).contains(&c.len()) && c.iter().all(|&x| sound_of(x).is_some());
            if fits && !chars.contains(&c) {
                chars.push(c);
            }
        }
        // Longest first; the sort is stable, so equal lengths keep their order.
        chars.sort_by_key(|c| std::cmp::Reverse(c.len()));
        let sounds: Vec<Vec<&'static str>> =
            chars.iter().map(|c| c.iter().filter_map(|&x| sound_of(x)).collect()).collect();
        let mut by_first: HashMap<&'static str, Vec<usize>> = HashMap::new();
        for (i, s) in sounds.iter().enumerate() {
            by_first.entry(s[0]).or_default().push(i);
        }
        let mut seen = HashSet::new();
        for text in corpus {
            seen.extend(pairs(text));
        }
        for w in &chars {
            seen.extend(w.windows(2).map(|p| [p[0], p[1]]));
        }
        let homophones = homophones.into_iter().map(|w| w.chars().collect()).collect();
        Self { words: chars, sounds, by_first, seen, homophones }
    }

    /// Whether `word`, written at `at` in place of what is there, joins the
    /// characters around it as people write them: where its first or last
    /// character is a changed one, the pair the new character makes with the
    /// neighbouring Chinese character has been seen, and the pair the typed
    /// one makes has not (员工自己 sounds like 员工资己 and 可以报警 like
    /// 可医保警, but 资己 and 可医 are written nowhere; 公共交通 sounds like
    /// 公公交通, but 公共 is written). `text` is the text as read so far.
    fn fits(&self, text: &[char], syllables: &[Option<&str>], at: usize, word: &[char]) -> bool {
        let n = word.len();
        let left = at.checked_sub(1).filter(|&l| syllables[l].is_some() && text[at] != word[0]);
        let right =
            Some(at + n).filter(|&r| r < text.len() && syllables[r].is_some() && text[at + n - 1] != word[n - 1]);
        left.is_none_or(|l| self.seen.contains(&[text[l], word[0]]) && !self.seen.contains(&[text[l], text[at]]))
            && right.is_none_or(|r| {
                self.seen.contains(&[word[n - 1], text[r]]) && !self.seen.contains(&[text[at + n - 1], text[r]])
            })
    }

    /// `text` with every span that sounds like a domain word, and has a pair
    /// of characters never seen, written as that word (borrowed when none).
    /// At each position the longest such word is tried first; a span that is
    /// a word as written (a domain word or one people write that sounds like
    /// it: 新房) is passed over whole.
    pub fn respell<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut chars: Vec<char> = text.chars().collect();
        let syllables: Vec<Option<&'static str>> = chars.iter().map(|&c| sound_of(c)).collect();
        let mut changed = false;
        let mut i = 0;
        while i < chars.len() {
            let Some(candidates) = syllables[i].and_then(|s| self.by_first.get(s)) else {
                i += 1;
                continue;
            };
            let mut taken = 1;
            for &w in candidates {
                let word = self.words[w].as_slice();
                let n = word.len();
                if i + n > chars.len() || syllables[i..i + n].iter().zip(&self.sounds[w]).any(|(a, b)| *a != Some(*b)) {
                    continue;
                }
                let span = &chars[i..i + n];
                let written =
                    candidates.iter().any(|&o| span == self.words[o].as_slice()) || self.homophones.contains(span);
                if written {
                    taken = n;
                    break;
                }
                let typo = span.windows(2).any(|p| !self.seen.contains(&[p[0], p[1]]))
                    && span.iter().zip(word).all(|(typed, meant)| typed == meant || !NEVER_TYPOS.contains(typed))
                    && self.fits(&chars, &syllables, i, word);
                if typo {
                    chars[i..i + n].copy_from_slice(word);
                    changed = true;
                    taken = n;
                    break;
                }
            }
            i += taken;
        }
        if changed { Cow::Owned(chars.into_iter().collect()) } else { Cow::Borrowed(text) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn respeller() -> Respeller {
        let words = ["信访", "社保", "补偿", "工资", "信访事项", "拖欠", "医保", "公交", "违约"];
        let corpus = [
            "我买了房子还没装修",
            "公司拖欠工资",
            "单位不交社保怎么办",
            "怎么写信访材料",
            "能要补偿吗",
            "我的信访事项",
            "公共厕所",
            "去信访是为了",
            "合同违约",
        ];
        Respeller::new(words, corpus, ["新房"])
    }

    #[test]
    fn homophone_typos_of_domain_words_are_read_as_the_words() {
        let r = respeller();
        for (typed, read) in [
            ("九月份交的信仿材料没人理", "九月份交的信访材料没人理"),
            ("公司不给我交社宝，辞职了能要补尝吗", "公司不给我交社保，辞职了能要补偿吗"),
            ("我的信访事象", "我的信访事项"),
            // 是, 未: typed, they are what was meant.
            ("我的信访是项超期了", "我的信访是项超期了"),
            // A longer word that does not fit leaves the shorter one to try.
            ("我去信仿是想讨个说法", "我去信访是想讨个说法"),
            ("合同未约定报酬", "合同未约定报酬"),
            ("老板拖欠工资", "老板拖欠工资"),
            ("我买了新房", "我买了新房"),
            ("新房漏水", "新房漏水"),
            ("公共交通不方便", "公共交通不方便"),
            ("员工自己写证明", "员工自己写证明"),
            ("可以报警吗", "可以报警吗"),
            ("", ""),
            ("abc 123", "abc 123"),
        ] {
            assert_eq!(r.respell(typed), read, "{typed}");
        }
    }

    #[test]
    fn text_without_typos_is_borrowed() {
        let r = respeller();
        assert!(matches!(r.respell("单位不交社保"), Cow::Borrowed(_)));
        assert!(matches!(r.respell("新房漏水"), Cow::Borrowed(_)), "新房: a word people write");
    }
}
