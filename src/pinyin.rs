//! Toneless pinyin, for reading what people mean when an input method or a
//! habit spells it otherwise: 轻声 typed for 轻生, 跳娄 for 跳楼, 紫砂 for 自杀,
//! "zisha", "想si". One syllable per Chinese character (its most common
//! reading, from the `pinyin` crate's table), and runs of latin letters read
//! as pinyin syllables where they spell pinyin. Used by the danger
//! recogniser; the classifier can read texts the same way.

/// One sound of a text and the characters it came from (char indices,
/// `start..end`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sound {
    pub syllable: Syllable,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Syllable {
    /// A whole toneless syllable ("huo"): from the table for a character,
    /// or spelled out in latin letters.
    Full(std::borrow::Cow<'static, str>),
    /// A lone latin letter, read as the initial of a syllable ("z s" for
    /// 自杀).
    Initial(char),
}

impl Syllable {
    /// Whether `self`, read in a text, can stand for the pattern's `full`
    /// syllable.
    pub fn stands_for(&self, full: &str) -> bool {
        match self {
            Syllable::Full(s) => s == full,
            Syllable::Initial(c) => full.starts_with(*c),
        }
    }
}

/// The toneless reading of a Chinese character (`None` for anything else).
pub fn of_char(c: char) -> Option<&'static str> {
    use pinyin::ToPinyin;
    c.to_pinyin().map(|p| p.plain())
}

/// The text's sounds in order: one per Chinese character, the syllables of
/// each latin word that spells pinyin ("huobuxiaqu" → huo bu xia qu), a lone
/// letter as an initial. Other characters make no sound and separate words.
pub fn sounds(text: &str) -> Vec<Sound> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_alphabetic() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_alphabetic() {
                i += 1;
            }
            let word: String = chars[start..i].iter().map(|c| c.to_ascii_lowercase()).collect();
            latin(&word, start, &mut out);
            continue;
        }
        if let Some(p) = of_char(c) {
            out.push(Sound { syllable: Syllable::Full(p.into()), start: i, end: i + 1 });
        }
        i += 1;
    }
    out
}

/// A latin word as syllables: a word that splits wholly into pinyin
/// syllables gives them (the split with fewest syllables); one letter, or a
/// few consonants ("zs"), are initials; anything else (an English word)
/// gives nothing.
fn latin(word: &str, start: usize, out: &mut Vec<Sound>) {
    let initials = word.len() == 1 || (word.len() <= 4 && !word.contains(['a', 'e', 'i', 'o', 'u', 'v']));
    if initials {
        for (i, c) in word.chars().enumerate() {
            out.push(Sound { syllable: Syllable::Initial(c), start: start + i, end: start + i + 1 });
        }
        return;
    }
    let Some(parts) = split_syllables(word) else { return };
    let mut at = start;
    for p in parts {
        out.push(Sound { syllable: Syllable::Full(p.to_string().into()), start: at, end: at + p.len() });
        at += p.len();
    }
}

/// The fewest pinyin syllables that spell `word` exactly, if any.
fn split_syllables(word: &str) -> Option<Vec<&str>> {
    let n = word.len();
    // best[i]: fewest syllables spelling word[..i], and where the last began.
    let mut best: Vec<Option<(usize, usize)>> = vec![None; n + 1];
    best[0] = Some((0, 0));
    for end in 1..=n {
        for len in 1..=6.min(end) {
            let from = end - len;
            let Some((count, _)) = best[from] else { continue };
            if !word.is_char_boundary(from) || !SYLLABLES.contains(&&word[from..end]) {
                continue;
            }
            if best[end].is_none_or(|(c, _)| count + 1 < c) {
                best[end] = Some((count + 1, from));
            }
        }
    }
    let mut parts = Vec::new();
    let mut end = n;
    while end > 0 {
        let (_, from) = best[end]?;
        parts.push(&word[from..end]);
        end = from;
    }
    parts.reverse();
    Some(parts)
}

/// Every toneless Mandarin syllable (with "v" for ü, as input methods type it).
const SYLLABLES: &[&str] = &[
    "a", "ai", "an", "ang", "ao", "ba", "bai", "ban", "bang", "bao", "bei", "ben", "beng", "bi", "bian", "biao", "bie",
    "bin", "bing", "bo", "bu", "ca", "cai", "can", "cang", "cao", "ce", "cen", "ceng", "cha", "chai", "chan", "chang",
    "chao", "che", "chen", "cheng", "chi", "chong", "chou", "chu", "chua", "chuai", "chuan", "chuang", "chui", "chun",
    "chuo", "ci", "cong", "cou", "cu", "cuan", "cui", "cun", "cuo", "da", "dai", "dan", "dang", "dao", "de", "dei",
    "den", "deng", "di", "dia", "dian", "diao", "die", "ding", "diu", "dong", "dou", "du", "duan", "dui", "dun", "duo",
    "e", "ei", "en", "eng", "er", "fa", "fan", "fang", "fei", "fen", "feng", "fo", "fou", "fu", "ga", "gai", "gan",
    "gang", "gao", "ge", "gei", "gen", "geng", "gong", "gou", "gu", "gua", "guai", "guan", "guang", "gui", "gun",
    "guo", "ha", "hai", "han", "hang", "hao", "he", "hei", "hen", "heng", "hong", "hou", "hu", "hua", "huai", "huan",
    "huang", "hui", "hun", "huo", "ji", "jia", "jian", "jiang", "jiao", "jie", "jin", "jing", "jiong", "jiu", "ju",
    "juan", "jue", "jun", "ka", "kai", "kan", "kang", "kao", "ke", "kei", "ken", "keng", "kong", "kou", "ku", "kua",
    "kuai", "kuan", "kuang", "kui", "kun", "kuo", "la", "lai", "lan", "lang", "lao", "le", "lei", "leng", "li", "lia",
    "lian", "liang", "liao", "lie", "lin", "ling", "liu", "lo", "long", "lou", "lu", "luan", "lue", "lun", "luo", "lv",
    "lve", "ma", "mai", "man", "mang", "mao", "me", "mei", "men", "meng", "mi", "mian", "miao", "mie", "min", "ming",
    "miu", "mo", "mou", "mu", "na", "nai", "nan", "nang", "nao", "ne", "nei", "nen", "neng", "ni", "nian", "niang",
    "niao", "nie", "nin", "ning", "niu", "nong", "nou", "nu", "nuan", "nue", "nuo", "nv", "nve", "o", "ou", "pa",
    "pai", "pan", "pang", "pao", "pei", "pen", "peng", "pi", "pian", "piao", "pie", "pin", "ping", "po", "pou", "pu",
    "qi", "qia", "qian", "qiang", "qiao", "qie", "qin", "qing", "qiong", "qiu", "qu", "quan", "que", "qun", "ran",
    "rang", "rao", "re", "ren", "reng", "ri", "rong", "rou", "ru", "ruan", "rui", "run", "ruo", "sa", "sai", "san",
    "sang", "sao", "se", "sen", "seng", "sha", "shai", "shan", "shang", "shao", "she", "shei", "shen", "sheng", "shi",
    "shou", "shu", "shua", "shuai", "shuan", "shuang", "shui", "shun", "shuo", "si", "song", "sou", "su", "suan",
    "sui", "sun", "suo", "ta", "tai", "tan", "tang", "tao", "te", "teng", "ti", "tian", "tiao", "tie", "ting", "tong",
    "tou", "tu", "tuan", "tui", "tun", "tuo", "wa", "wai", "wan", "wang", "wei", "wen", "weng", "wo", "wu", "xi",
    "xia", "xian", "xiang", "xiao", "xie", "xin", "xing", "xiong", "xiu", "xu", "xuan", "xue", "xun", "ya", "yan",
    "yang", "yao", "ye", "yi", "yin", "ying", "yo", "yong", "you", "yu", "yuan", "yue", "yun", "za", "zai", "zan",
    "zang", "zao", "ze", "zei", "zen", "zeng", "zha", "zhai", "zhan", "zhang", "zhao", "zhe", "zhei", "zhen", "zheng",
    "zhi", "zhong", "zhou", "zhu", "zhua", "zhuai", "zhuan", "zhuang", "zhui", "zhun", "zhuo", "zi", "zong", "zou",
    "zu", "zuan", "zui", "zun", "zuo",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn full(text: &str) -> Vec<String> {
        sounds(text)
            .into_iter()
            .map(|s| match s.syllable {
                Syllable::Full(p) => p.into_owned(),
                Syllable::Initial(c) => format!("{c}-"),
            })
            .collect()
    }

    #[test]
    fn homophones_typed_for_each_other_sound_alike() {
        assert_eq!(full("轻生"), full("轻声"));
        assert_eq!(full("跳楼"), full("跳娄"));
        assert_eq!(full("自杀"), full("紫砂"));
        assert_eq!(full("不想活了"), full("不想或了"));
    }

    #[test]
    fn latin_words_that_spell_pinyin_are_read_as_syllables() {
        assert_eq!(full("wo zhen de huo bu xia qu le"), full("我真的活不下去了"));
        assert_eq!(full("huobuxiaqule"), full("活不下去了"));
        assert_eq!(full("一si了之"), full("一死了之"));
        assert_eq!(full("z s 的念头"), vec!["z-", "s-", "de", "nian", "tou"]);
        assert_eq!(full("zs"), vec!["z-", "s-"]);
        assert!(full("hello world").is_empty(), "English is no pinyin");
    }

    #[test]
    fn each_sound_knows_its_characters() {
        let s = sounds("我想si了");
        assert_eq!((s[2].start, s[2].end), (2, 4));
        assert_eq!((s[3].start, s[3].end), (4, 5));
    }

    #[test]
    fn initials_stand_for_syllables_that_begin_with_them() {
        assert!(Syllable::Initial('z').stands_for("zi"));
        assert!(Syllable::Initial('s').stands_for("sha"));
        assert!(!Syllable::Full("zi".into()).stands_for("zhi"));
    }
}
