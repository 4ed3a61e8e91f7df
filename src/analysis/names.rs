//! The places, employers, projects and estates people name, found in
//! masked text by a pattern: a run of name characters right before a word
//! from a small suffix dictionary (小区, 花园, 公司, 项目, 村, 街道, …).
//! No word-segmentation dictionary: the suffixes and a few stop characters
//! are all it knows, so it costs nothing to load.
//!
//! A run stops at characters that do not occur in names (的, 在, 我, 们, 这,
//! 某, punctuation, the brackets of masked data …) and is at most
//! `MAX_PREFIX` characters long; it must keep at least two characters, and
//! a run that is only a generic word (物业, 劳务, 去年 …) is no name.
//!
//! Grouping key: the last two characters of the run and the suffix
//! ("开发商幸福家园" and "幸福家园" are both 幸福家园), and a name directly
//! followed by another suffix keeps the inner one's key ("幸福家园小区",
//! "幸福家园项目" → 幸福家园), so people who phrase the same place
//! differently meet in one group. Two estates whose names end in the same
//! two characters and suffix ("金色阳光小区", "阳光小区") fall into one group;
//! staff see every variant.

/// Suffix words, longest first where one contains another.
pub const SUFFIXES: &[&str] = &[
    "幼儿园",
    "小区",
    "花园",
    "家园",
    "公寓",
    "大厦",
    "广场",
    "新村",
    "新城",
    "楼盘",
    "公司",
    "集团",
    "工厂",
    "项目",
    "工地",
    "社区",
    "街道",
    "学校",
    "医院",
    "市场",
    "商场",
    "酒店",
    "厂",
    "村",
    "镇",
    "苑",
];

/// Name runs keep at most this many characters before the suffix.
pub const MAX_PREFIX: usize = 8;

/// Characters that end a name run (function words, pronouns, verbs that
/// introduce a place, 某 of anonymised names).
const STOP: &str = "的在是了我你他她它们和跟给被把对向从住买这那些说去到找欠拖要想问请因为与及或还也都就又让叫帮某等个";

/// Runs that are a generic word, not a name (whole run or its key part).
const GENERIC: &[&str] = &[
    "物业", "建筑", "劳务", "保险", "快递", "装修", "中介", "外卖", "网络", "科技", "贷款", "培训", "教育", "地产",
    "开发", "派遣", "人力", "施工", "附近", "本地", "当地", "隔壁", "对面", "老家", "农村", "新农", "城中", "所在",
    "上班", "打工", "工作", "单位", "几家", "一家", "多家", "各个", "整个", "全村", "全体", "业主", "工程", "工资",
    "去年", "今年", "明年", "前年", "以前", "之前", "现在", "原来", "上月", "本月", "xx", "xxx", "私人", "小型",
    "大型", "外地", "本市", "本区", "孩子", "小孩", "女儿", "儿子", "老公", "老婆", "父母", "亲戚", "朋友",
    // Verbs before 村干部, 公司老板… (review S4: 举报村干部贪污 is no 举报村).
    "举报", "投诉", "反映", "控告", "检举", "起诉", "状告", "告发", "揭发", "咨询", "申请", "处理",
];

/// Industry and legal-form words at the end of a company name: the key is
/// taken before them (宏达建设有限公司 and 宏达公司 meet; 宏达建设公司 and
/// 华联建设公司 do not).
const INDUSTRY: &[&str] = &[
    "有限责任",
    "有限",
    "股份",
    "建设",
    "建筑",
    "实业",
    "科技",
    "劳务",
    "物业",
    "发展",
    "置业",
    "房地产",
    "地产",
    "工程",
    "贸易",
    "投资",
    "服务",
    "管理",
    "开发",
    "装饰",
    "装修",
    "电子",
    "网络",
    "信息",
    "技术",
    "文化",
    "传媒",
    "餐饮",
    "汽车",
    "机械",
    "制造",
    "食品",
    "物流",
    "商贸",
    "教育",
    "医疗",
    "保安",
    "环保",
    "能源",
    "房产",
    "家政",
    "集团",
];

/// The run without the industry words at its end.
fn core(run: &[char]) -> &[char] {
    let mut end = run.len();
    'strip: loop {
        for w in INDUSTRY {
            let n = w.chars().count();
            if end >= n && w.chars().eq(run[end - n..end].iter().copied()) {
                end -= n;
                continue 'strip;
            }
        }
        return &run[..end];
    }
}

/// The part of a run that names the place: its last two characters, or a
/// trailing Latin word or number (at most eight characters).
fn tail(core: &[char]) -> String {
    let ascii = core.iter().rev().take_while(|c| c.is_ascii_alphanumeric()).count();
    let n = if ascii > 0 { ascii.min(MAX_PREFIX) } else { 2.min(core.len()) };
    core[core.len() - n..].iter().collect()
}

/// A name found in one text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    /// As written (the run and the suffix).
    pub text: String,
    /// The grouping key.
    pub key: String,
}

fn is_name_char(c: char) -> bool {
    let han = ('\u{4e00}'..='\u{9fff}').contains(&c);
    (han || c.is_ascii_alphanumeric() || ('０'..='９').contains(&c) || ('Ａ'..='ｚ').contains(&c)) && !STOP.contains(c)
}

fn normalise(c: char) -> char {
    match c {
        '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
        _ => c,
    }
    .to_ascii_lowercase()
}

fn suffix_at(chars: &[char], i: usize) -> Option<&'static str> {
    let rest = chars.get(i..).unwrap_or_default();
    // Compared char by char without counting the suffix first: most
    // positions fail on the first character (this runs for every
    // character of every message the warnings read).
    SUFFIXES.iter().copied().find(|s| {
        let mut at = rest.iter();
        s.chars().all(|c| at.next() == Some(&c))
    })
}

/// The names in a (masked) text, each once, in order of appearance.
pub fn extract(text: &str) -> Vec<Name> {
    let chars: Vec<char> = text.chars().map(normalise).collect();
    let mut out: Vec<Name> = Vec::new();
    // The end (exclusive) and key of the last name found, so a suffix that
    // directly follows a name keeps that name's key.
    let mut last: Option<(usize, String)> = None;
    let mut i = 0;
    while i < chars.len() {
        let Some(suffix) = suffix_at(&chars, i) else {
            i += 1;
            continue;
        };
        let n = suffix.chars().count();
        let mut j = i;
        while j > 0 && i - j < MAX_PREFIX && is_name_char(chars[j - 1]) {
            j -= 1;
        }
        let run: String = chars[j..i].iter().collect();
        let core = core(&chars[j..i]);
        let tail = tail(core);
        let inner = last.as_ref().filter(|(end, _)| *end == i && j < i).map(|(_, k)| k.clone());
        let ok = core.len() >= 2 && !GENERIC.contains(&run.as_str()) && !GENERIC.contains(&tail.as_str());
        if ok || inner.is_some() {
            let key = inner.unwrap_or_else(|| format!("{tail}{suffix}"));
            let text = format!("{run}{suffix}");
            match out.iter_mut().find(|m| m.key == key) {
                // The longer spelling of the same place (幸福家园 → 幸福家园小区).
                Some(m) if text.contains(m.text.as_str()) => m.text = text,
                Some(_) => {}
                None => out.push(Name { text, key: key.clone() }),
            }
            last = Some((i + n, key));
        }
        i += n;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(t: &str) -> Vec<String> {
        extract(t).into_iter().map(|n| n.key).collect()
    }

    #[test]
    fn estates_employers_and_projects_are_found_with_their_suffix() {
        assert_eq!(keys("我住在幸福家园小区，物业不管漏水"), ["幸福家园"]);
        assert_eq!(extract("我住在幸福家园小区")[0].text, "幸福家园小区");
        assert_eq!(keys("宏达建设公司欠薪三个月了"), ["宏达公司"]);
        assert_eq!(keys("宏达建设有限公司"), keys("宏达公司"));
        assert_ne!(keys("宏达建设公司"), keys("华联建设公司"));
        assert_eq!(keys("东湖村项目拆迁补偿不到位"), ["东湖村"]);
        assert!(keys("举报村干部贪污").is_empty(), "a verb before 村 is no place");
        assert!(keys("我要投诉公司老板").is_empty());
        assert_eq!(keys("解放街道办不给开证明"), ["解放街道"]);
        assert_eq!(keys("ABC科技有限公司拖欠工资"), ["abc公司"]);
    }

    #[test]
    fn phrasings_of_one_place_share_a_key() {
        let k = |t| keys(t).first().cloned();
        assert_eq!(k("开发商幸福家园一直不交房"), k("幸福家园的房子漏水"));
        assert_eq!(k("幸福家园项目停工了"), k("幸福家园小区停水"));
    }

    #[test]
    fn pronouns_generic_words_and_masked_data_are_no_names() {
        for t in [
            "我们小区停水了",
            "我家小区",
            "这家公司不给钱",
            "物业公司乱收费",
            "在一家公司上班",
            "去年公司没交社保",
            "农村宅基地纠纷",
            "某某公司",
            "[手机号已隐去]公司",
            "老板欠薪怎么办",
            "",
        ] {
            assert!(extract(t).is_empty(), "{t:?} → {:?}", extract(t));
        }
    }

    #[test]
    fn full_width_letters_and_digits_read_as_ascii() {
        assert_eq!(keys("ＡＢ小区"), keys("ab小区"));
    }
}
