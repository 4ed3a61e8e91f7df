//! Masks personal data (身份证号, 手机号, bank card numbers) in text before
//! it is logged. Pure: scans digit runs, allowing spaces or dashes inside.

const ID: &str = "[身份证号已隐去]";
const PHONE: &str = "[手机号已隐去]";
const CARD: &str = "[银行卡号已隐去]";

/// ```
/// use xinfang_guide::engine::mask::mask;
/// assert_eq!(mask("电话13912345678，欠薪3000元"), "电话[手机号已隐去]，欠薪3000元");
/// ```
pub fn mask(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() || (i > 0 && chars[i - 1].is_ascii_alphanumeric()) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let (end, digits) = digit_run(&chars, i);
        match classify(&digits) {
            Some(label) => out.push_str(label),
            None => out.extend(&chars[i..end]),
        }
        i = end;
    }
    out
}

/// Returns the end of the run starting at `start` and its digits (with a
/// trailing X kept for ID numbers). Single spaces or dashes between digits
/// belong to the run.
fn digit_run(chars: &[char], start: usize) -> (usize, String) {
    let mut digits = String::new();
    let mut i = start;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            digits.push(c);
            i += 1;
        } else if (c == ' ' || c == '-') && chars.get(i + 1).is_some_and(char::is_ascii_digit) {
            i += 1;
        } else if (c == 'X' || c == 'x') && digits.len() == 17 {
            digits.push('X');
            i += 1;
            break;
        } else {
            break;
        }
    }
    (i, digits)
}

fn classify(d: &str) -> Option<&'static str> {
    let n = d.len();
    let all_digits = d.bytes().all(|b| b.is_ascii_digit());
    if n == 18 && is_id18(d) {
        return Some(ID);
    }
    if n == 15 && all_digits && is_birth(&format!("19{}", &d[6..12])) {
        return Some(ID);
    }
    if n == 11 && all_digits && d.starts_with('1') && matches!(d.as_bytes()[1], b'3'..=b'9') {
        return Some(PHONE);
    }
    if (16..=19).contains(&n) && all_digits {
        return Some(CARD);
    }
    None
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
        assert_eq!(mask("老证410802900315123号"), "老证[身份证号已隐去]号");
    }

    #[test]
    fn masks_mobile_numbers_with_or_without_separators() {
        assert_eq!(mask("电话13912345678"), "电话[手机号已隐去]");
        assert_eq!(mask("打139 1234 5678找我"), "打[手机号已隐去]找我");
        assert_eq!(mask("tel:186-0391-2345"), "tel:[手机号已隐去]");
    }

    #[test]
    fn masks_bank_card_numbers() {
        assert_eq!(mask("工资卡6222021234567890123"), "工资卡[银行卡号已隐去]");
        assert_eq!(mask("卡号 6228 4800 1234 5678"), "卡号 [银行卡号已隐去]");
    }

    #[test]
    fn leaves_dates_amounts_and_hotlines_alone() {
        let s = "2024年5月1日欠我30000元，打过12345和12348，案号(2023)豫0802民初1234号";
        assert_eq!(mask(s), s);
        assert_eq!(mask("20240501"), "20240501");
    }

    #[test]
    fn does_not_split_longer_digit_strings_or_codes() {
        // A 20-digit number is not one of the three kinds.
        assert_eq!(mask("12345678901234567890"), "12345678901234567890");
        assert_eq!(mask("abc13912345678"), "abc13912345678");
    }
}
