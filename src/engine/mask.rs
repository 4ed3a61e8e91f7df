//! Masks personal data (身份证号, 手机号, bank card numbers) in text before
//! it is logged. Pure.
//!
//! The text is read through a width-normalised view (full-width digits,
//! `＋`, `－`, `．` and the ideographic space count as their ASCII forms), so
//! a number typed on a Chinese keyboard is found like any other; what is not
//! masked is copied as typed. Digits are grouped into runs separated by up to
//! three spaces, dashes or dots; one number keeps one kind of separator
//! (`138 1234 5678`, `138-1234-5678`, `138.1234.5678`, `6228  4800 1234`),
//! so a date written with dots beside a phone number written with spaces
//! stays two things. A group that is a whole number by itself is masked by
//! itself; otherwise the longest run of groups that forms one is. Country
//! codes (`+86`, `0086`, `86-`) are part of the phone number they precede.
//! Numbers glued to Latin letters (`ID…`, `tel…`, `No…`) are masked too.

const ID: &str = "[身份证号已隐去]";
const PHONE: &str = "[手机号已隐去]";
const CARD: &str = "[银行卡号已隐去]";

/// The longest separator between two digit groups of one number.
const MAX_SEPARATOR: usize = 3;

/// ```
/// use xinfang_guide::engine::mask::mask;
/// assert_eq!(mask("电话13912345678，欠薪3000元"), "电话[手机号已隐去]，欠薪3000元");
/// assert_eq!(mask("手机＋８６ １３９ １２３４ ５６７８"), "手机＋[手机号已隐去]");
/// ```
pub fn mask(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let norm: Vec<char> = chars.iter().map(|&c| narrow(c)).collect();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < norm.len() {
        if !norm[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let groups = groups(&norm, i);
        let mut g = 0;
        while g < groups.len() {
            match number_at(&groups, g) {
                Some((last, label)) => {
                    out.extend(&chars[copied..groups[g].start]);
                    out.push_str(label);
                    copied = groups[last].end;
                    g = last + 1;
                }
                None => g += 1,
            }
        }
        i = groups.last().map_or(i + 1, |l| l.end);
    }
    out.extend(&chars[copied..]);
    out
}

/// The ASCII form of full-width digits, letters and number punctuation.
fn narrow(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        '‐' | '‑' | '‒' | '–' | '—' | '−' => '-',
        _ => c,
    }
}

/// A run of digits (and a trailing `X` for ID numbers) at `start..end` of
/// the text, and the separator that came before it.
#[derive(Debug)]
struct Group {
    start: usize,
    end: usize,
    digits: String,
    /// Kinds of separator characters between this group and the one before
    /// (bit 1 space, 2 dash, 4 dot); 0 for the first group.
    before: u8,
}

fn separator_kind(c: char) -> u8 {
    match c {
        ' ' => 1,
        '-' => 2,
        '.' => 4,
        _ => 0,
    }
}

/// The digit groups from `start`, up to the first gap that is not a short
/// separator.
fn groups(norm: &[char], start: usize) -> Vec<Group> {
    let mut out = Vec::new();
    let mut i = start;
    let mut before = 0u8;
    loop {
        let s = i;
        while i < norm.len() && norm[i].is_ascii_digit() {
            i += 1;
        }
        let mut digits: String = norm[s..i].iter().collect();
        if i < norm.len() && matches!(norm[i], 'X' | 'x') {
            digits.push('X');
            i += 1;
        }
        out.push(Group { start: s, end: i, digits, before });
        let mut j = i;
        let mut kind = 0u8;
        while j < norm.len() && j - i < MAX_SEPARATOR && separator_kind(norm[j]) != 0 {
            kind |= separator_kind(norm[j]);
            j += 1;
        }
        if kind == 0 || j >= norm.len() || !norm[j].is_ascii_digit() {
            return out;
        }
        before = kind;
        i = j;
    }
}

/// The number starting at group `g`: the group alone, or the longest run
/// of groups joined by one kind of separator. Returns its last group.
fn number_at(groups: &[Group], g: usize) -> Option<(usize, &'static str)> {
    if let Some(label) = classify(&groups[g].digits) {
        return Some((g, label));
    }
    let mut joined = groups[g].digits.clone();
    let mut best = None;
    for (k, next) in groups.iter().enumerate().skip(g + 1) {
        let same_kind = k == g + 1 || next.before == groups[g + 1].before;
        // A country code may be followed by a separator of its own.
        let after_code = k == g + 2 && matches!(groups[g].digits.as_str(), "86" | "0086");
        if joined.ends_with('X') || !(same_kind || after_code) || classify(&next.digits).is_some() {
            break;
        }
        joined.push_str(&next.digits);
        if let Some(label) = classify(&joined) {
            best = Some((k, label));
        }
    }
    best
}

fn classify(d: &str) -> Option<&'static str> {
    if let Some(label) = classify_digits(d) {
        return Some(label);
    }
    // A letter right after a phone or card number is not part of it.
    d.strip_suffix('X').and_then(classify_digits).filter(|&l| l != ID)
}

fn classify_digits(d: &str) -> Option<&'static str> {
    let n = d.len();
    let all_digits = d.bytes().all(|b| b.is_ascii_digit());
    if n == 18 && is_id18(d) {
        return Some(ID);
    }
    if n == 15 && all_digits && is_birth(&format!("19{}", &d[6..12])) {
        return Some(ID);
    }
    let national =
        d.strip_prefix("0086").filter(|r| r.len() == 11).or_else(|| d.strip_prefix("86").filter(|r| r.len() == 11));
    if all_digits && is_mobile(national.unwrap_or(d)) {
        return Some(PHONE);
    }
    if (16..=19).contains(&n) && all_digits {
        return Some(CARD);
    }
    None
}

fn is_mobile(d: &str) -> bool {
    d.len() == 11 && d.starts_with('1') && matches!(d.as_bytes()[1], b'3'..=b'9')
}

fn is_id18(d: &str) -> bool {
    let body = &d[..17];
    body.bytes().all(|b| b.is_ascii_digit())
        && (d.as_bytes()[17].is_ascii_digit() || d.as_bytes()[17] == b'X')
        && is_birth(&d[6..14])
}

/// `YYYYMMDD` with a plausible year, month and day.
fn is_birth(s: &str) -> bool {
    let (Ok(y), Ok(m), Ok(day)) = (s[0..4].parse::<u32>(), s[4..6].parse::<u32>(), s[6..8].parse::<u32>()) else {
        return false;
    };
    (1900..=2099).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_an_id_number_inside_chinese_text() {
        assert_eq!(mask("我的身份证410802199003151234，请查"), "我的身份证[身份证号已隐去]，请查");
        assert_eq!(mask("证号41080219900315123X"), "证号[身份证号已隐去]");
        assert_eq!(mask("证号41080219900315123x号"), "证号[身份证号已隐去]号");
        assert_eq!(mask("老证410802900315123号"), "老证[身份证号已隐去]号");
        assert_eq!(mask("身份证 410802 19900315 1234"), "身份证 [身份证号已隐去]");
    }

    #[test]
    fn masks_mobile_numbers_with_or_without_separators() {
        assert_eq!(mask("电话13912345678"), "电话[手机号已隐去]");
        assert_eq!(mask("打139 1234 5678找我"), "打[手机号已隐去]找我");
        assert_eq!(mask("tel:186-0391-2345"), "tel:[手机号已隐去]");
    }

    /// Regression (review D2): each of these was logged as typed.
    #[test]
    fn masks_the_forms_people_type() {
        for typed in [
            "+8613812345678",
            "+86 138 1234 5678",
            "+86-138-1234-5678",
            "+86 138-1234-5678",
            "(+86)13812345678",
            "0086 13812345678",
            "008613812345678",
            "86-13812345678",
            "138.1234.5678",
            "138  1234  5678",
            "１３８１２３４５６７８",
            "１３８ １２３４ ５６７８",
            "＋８６　１３８１２３４５６７８",
            "tel13812345678",
            "TEL:13812345678",
            "13812345678abc",
            "13812345678x",
        ] {
            let out = mask(&format!("我的手机{typed}，请回电"));
            assert!(out.contains(PHONE) && !out.contains("5678") && !out.contains("５６７８"), "{typed} → {out}");
        }
        for typed in ["ID410802199003151234", "４１０８０２１９９００３１５１２３４", "id:41080219900315123X"]
        {
            let out = mask(&format!("身份证{typed}"));
            assert!(out.contains(ID) && !out.contains("1234") && !out.contains("１２３４"), "{typed} → {out}");
        }
        for typed in ["No6228480012345678", "6228  4800  1234  5678", "6228 48001234  5678 123", "6228-4800-1234-5678"]
        {
            let out = mask(&format!("卡号{typed}"));
            assert!(out.contains(CARD) && !out.contains("5678"), "{typed} → {out}");
        }
    }

    #[test]
    fn masks_bank_card_numbers() {
        assert_eq!(mask("工资卡6222021234567890123"), "工资卡[银行卡号已隐去]");
        assert_eq!(mask("卡号 6228 4800 1234 5678"), "卡号 [银行卡号已隐去]");
    }

    #[test]
    fn leaves_dates_amounts_case_numbers_and_hotlines_alone() {
        for s in [
            "2024年5月1日欠我30000元，打过12345和12348，案号(2023)豫0802民初1234号",
            "（2024）豫0102民初123号判决，2026.7.1送达",
            "2026-05-20 到 2026-06-20 之间，欠薪 12,000.50 元",
            "26.7.1 那天，3.5万元，第一百七十一条",
            "２０２６年１０月８日，１２０００元",
            "20240501",
            "20240501 和 20240601",
        ] {
            assert_eq!(mask(s), s);
        }
    }

    #[test]
    fn a_date_beside_a_phone_number_stays_a_date() {
        assert_eq!(mask("2024.05.01 13812345678"), "2024.05.01 [手机号已隐去]");
        assert_eq!(mask("2024-05-01 138 1234 5678"), "2024-05-01 [手机号已隐去]");
        assert_eq!(mask("1234 13812345678"), "1234 [手机号已隐去]");
    }

    #[test]
    fn does_not_mask_longer_digit_strings() {
        // A 20-digit number is not one of the three kinds.
        assert_eq!(mask("12345678901234567890"), "12345678901234567890");
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// A personal number: its digits, and the groups it may be typed in.
    #[derive(Debug, Clone)]
    struct Number {
        digits: String,
        splits: Vec<Vec<usize>>,
        phone: bool,
    }

    fn phone() -> impl Strategy<Value = Number> {
        ("1[3-9][0-9]{9}").prop_map(|d| Number {
            digits: d,
            splits: vec![vec![11], vec![3, 4, 4], vec![3, 8]],
            phone: true,
        })
    }

    fn id() -> impl Strategy<Value = Number> {
        ("[1-8][0-9]{5}", 1900u32..2026, 1u32..13, 1u32..29, "[0-9]{3}[0-9X]").prop_map(|(region, y, m, d, tail)| {
            Number {
                digits: format!("{region}{y:04}{m:02}{d:02}{tail}"),
                splits: vec![vec![18], vec![6, 8, 4]],
                phone: false,
            }
        })
    }

    fn card() -> impl Strategy<Value = Number> {
        ("[3-6][0-9]{15,18}").prop_map(|d| {
            let n = d.len();
            Number {
                splits: vec![vec![n], [vec![4; n / 4], vec![n % 4]].concat(), vec![4, 8, n - 12]],
                digits: d,
                phone: false,
            }
        })
    }

    fn wide(s: &str) -> String {
        s.chars()
            .map(|c| match c {
                '0'..='9' | 'A'..='Z' | 'a'..='z' | '+' | '-' | '(' | ')' => {
                    char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)
                }
                ' ' => '\u{3000}',
                c => c,
            })
            .collect()
    }

    /// The number as a person might type it.
    fn typed(n: &Number, split: usize, sep: &str, prefix: &str, letters: &str, full_width: bool) -> String {
        let groups = &n.splits[split % n.splits.len()];
        let mut s = String::new();
        let mut at = 0;
        for (i, len) in groups.iter().filter(|&&l| l > 0).enumerate() {
            if i > 0 {
                s.push_str(sep);
            }
            s.push_str(&n.digits[at..at + len]);
            at += len;
        }
        let prefix = if n.phone { prefix } else { "" };
        let out = format!("{letters}{prefix}{s}");
        if full_width { wide(&out) } else { out }
    }

    /// Digits of the masked text read back as digits, separators dropped.
    fn digits_left(masked: &str) -> String {
        masked.chars().map(narrow).filter(|c| c.is_ascii_digit() || *c == 'X').collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn no_personal_number_survives_masking(
            n in prop_oneof![phone(), id(), card()],
            split in 0usize..3,
            sep in prop::sample::select(vec!["", " ", "-", ".", "  ", " - ", "\u{3000}"]),
            prefix in prop::sample::select(vec!["", "+86", "+86 ", "+86-", "0086", "0086 ", "86-", "(+86)", "（+86）"]),
            letters in prop::sample::select(vec!["", "ID", "id:", "tel", "TEL:", "No", "No.", "号码"]),
            full_width in any::<bool>(),
            before in prop::sample::select(vec!["我的", "老板欠我3000元，电话", "2024年5月1日，", "案号（2024）豫0102民初123号，", ""]),
            after in prop::sample::select(vec!["，请回电", "。欠薪12000元", "", "谢谢"]),
        ) {
            let text = format!("{before}{}{after}", typed(&n, split, sep, prefix, letters, full_width));
            let masked = mask(&text);
            let core = if n.phone { n.digits.clone() } else { n.digits[..15].to_string() };
            prop_assert!(!digits_left(&masked).contains(&core), "{text} → {masked}");
            // What is not personal is kept as typed.
            prop_assert!(masked.starts_with(before) && masked.ends_with(after), "{text} → {masked}");
        }
    }
}
