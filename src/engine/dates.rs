//! Dates: the one parser for what people type on every channel, and the
//! calendar arithmetic for deadlines, in China Standard Time (UTC+8).
//! Pure: "today" is derived from the `now` the caller passes.

use crate::content::Span;
use time::{Date, Duration, Month, OffsetDateTime, UtcOffset};

const CST: i32 = 8 * 3600;

/// Years a date may fall in.
const YEARS: std::ops::RangeInclusive<i32> = 1949..=2100;

/// The slot value of a date question answered 记不清.
pub const UNKNOWN: &str = "unknown";

/// Today's date in China for a Unix timestamp.
pub fn today(now: i64) -> Option<Date> {
    let offset = UtcOffset::from_whole_seconds(CST).ok()?;
    Some(OffsetDateTime::from_unix_timestamp(now).ok()?.to_offset(offset).date())
}

/// A date as a person gave it: a day, or only a month ("2026年10月").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Given {
    Day(Date),
    Month { year: i32, month: Month },
}

/// Why a typed date was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateError {
    /// Not a date we can read.
    Malformed,
    /// A date (or the whole month) still ahead.
    Future,
}

impl Given {
    pub fn first_day(self) -> Date {
        match self {
            Given::Day(d) => d,
            Given::Month { year, month } => Date::from_calendar_date(year, month, 1).unwrap_or(Date::MIN),
        }
    }

    pub fn last_day(self) -> Date {
        match self {
            Given::Day(d) => d,
            Given::Month { year, month } => {
                Date::from_calendar_date(year, month, time::util::days_in_month(month, year)).unwrap_or(Date::MAX)
            }
        }
    }

    pub fn is_month(self) -> bool {
        matches!(self, Given::Month { .. })
    }

    /// As kept in a slot and in choice ids: `2026-05-20` or `2026-05`.
    pub fn to_slot(self) -> String {
        match self {
            Given::Day(d) => d.to_string(),
            Given::Month { year, month } => format!("{year:04}-{:02}", month as u8),
        }
    }

    /// The slot form back (strict: `YYYY-MM-DD` or `YYYY-MM`).
    pub fn from_slot(s: &str) -> Option<Self> {
        let parts: Vec<&str> = s.split('-').collect();
        let year = fixed_digits(parts.first()?, 4)? as i32;
        let month = Month::try_from(u8::try_from(fixed_digits(parts.get(1)?, 2)?).ok()?).ok()?;
        if !YEARS.contains(&year) {
            return None;
        }
        match parts[..] {
            [_, _] => Some(Given::Month { year, month }),
            [_, _, d] => {
                let day = u8::try_from(fixed_digits(d, 2)?).ok()?;
                Some(Given::Day(Date::from_calendar_date(year, month, day).ok()?))
            }
            _ => None,
        }
    }
}

/// Exactly `len` ASCII digits.
fn fixed_digits(p: &str, len: usize) -> Option<u32> {
    (p.len() == len && p.bytes().all(|b| b.is_ascii_digit())).then(|| p.parse().ok()).flatten()
}

/// `YYYY-MM-DD` only.
pub fn parse_iso(s: &str) -> Option<Date> {
    match Given::from_slot(s)? {
        Given::Day(d) => Some(d),
        Given::Month { .. } => None,
    }
}

/// Reads a date the way people type it, on any channel: 2026-10-8,
/// 2026/7/1, 2026.7.1, 26.7.1, 2026 10 8, 20261008, 2026年10月8日（号）,
/// 二〇二六年十月八日, 10月8日 and 十月八号 (this year, or last year while that
/// day is still ahead), 2026年10月 and 十月份 (only a month), 今天, 昨天,
/// 前天, 3天前, 上个月, 两个月前, 去年十月; with 大概…左右 around it. A day or
/// a month that has not begun yet is `Future`.
pub fn parse(text: &str, today: Date) -> Result<Given, DateError> {
    let t = digits(&strip_filler(&crate::engine::understand::normalize(text)));
    let given = relative(&t, today).or_else(|| absolute(&t, today)).ok_or(DateError::Malformed)?;
    if given.first_day() > today { Err(DateError::Future) } else { Ok(given) }
}

/// Words around a date that do not change it.
fn strip_filler(t: &str) -> String {
    const BEFORE: [&str; 9] = ["大概是", "大约是", "应该是", "好像是", "差不多", "大概", "大约", "约", "是"];
    const AFTER: [&str; 12] =
        ["左右", "前后", "的时候", "那天", "那会儿", "吧", "上午", "下午", "晚上", "早上", "中午", "份"];
    let mut s = t.trim().to_string();
    if let Some(rest) = BEFORE.iter().find_map(|p| s.strip_prefix(p)) {
        s = rest.trim().to_string();
    }
    let mut changed = true;
    while changed {
        changed = false;
        if let Some(rest) = AFTER.iter().find_map(|p| s.strip_suffix(p)) {
            s = rest.trim().to_string();
            changed = true;
        }
    }
    s
}

/// Chinese numerals as digits: 二〇二六 → 2026, 十月 → 10月, 二十八 → 28.
fn digits(t: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if !run.is_empty() {
            out.push_str(&numeral(run).map_or_else(|| run.clone(), |n| n.to_string()));
            run.clear();
        }
    };
    for c in t.chars() {
        if numeral_digit(c).is_some() || c == '十' {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

fn numeral_digit(c: char) -> Option<u32> {
    "〇零一二三四五六七八九".chars().position(|d| d == c).map(|i| if i == 0 { 0 } else { i as u32 - 1 }).or(match c {
        '两' => Some(2),
        _ => None,
    })
}

/// 十 forms (十, 十二, 二十, 三十一) as tens and units; others digit by digit (二〇二六).
fn numeral(run: &str) -> Option<u32> {
    match run.split_once('十') {
        Some((tens, units)) => {
            let tens = if tens.is_empty() { 1 } else { single(tens)? };
            let units = if units.is_empty() { 0 } else { single(units)? };
            Some(tens * 10 + units)
        }
        None => run.chars().try_fold(0u32, |n, c| Some(n.checked_mul(10)? + numeral_digit(c)?)),
    }
}

fn single(s: &str) -> Option<u32> {
    let mut cs = s.chars();
    let d = numeral_digit(cs.next()?)?;
    cs.next().is_none().then_some(d)
}

/// 今天, 昨天, 前天, 大前天, N天前, 上个月, 这个月, N个月前, 去年/今年/前年 + a
/// month and maybe a day.
fn relative(t: &str, today: Date) -> Option<Given> {
    let days_ago = |n: i64| today.checked_sub(Duration::days(n)).map(Given::Day);
    match t {
        "今天" | "今日" => return days_ago(0),
        "昨天" | "昨日" => return days_ago(1),
        "前天" | "前日" => return days_ago(2),
        "大前天" => return days_ago(3),
        "这个月" | "本月" | "这月" => return months_ago(today, 0),
        "上个月" | "上月" => return months_ago(today, 1),
        "上上个月" => return months_ago(today, 2),
        _ => {}
    }
    for unit in ["天前", "日前", "天以前"] {
        if let Some(n) = t.strip_suffix(unit).and_then(|n| n.parse::<i64>().ok()) {
            return (n <= 36_500).then(|| days_ago(n)).flatten();
        }
    }
    for unit in ["个月前", "个月以前", "月前"] {
        if let Some(n) = t.strip_suffix(unit).and_then(|n| n.parse::<i32>().ok()) {
            return (n <= 1200).then(|| months_ago(today, n)).flatten();
        }
    }
    let (year, rest) = [("今年", 0), ("去年", 1), ("前年", 2)]
        .iter()
        .find_map(|(w, back)| t.strip_prefix(w).map(|rest| (today.year() - back, rest)))?;
    match tokens(rest)?[..] {
        [Tok::Num(m, _), Tok::Mark('月')] => month(year, m),
        [Tok::Num(m, _), Tok::Mark('月'), Tok::Num(d, _)]
        | [Tok::Num(m, _), Tok::Mark('月'), Tok::Num(d, _), Tok::Day] => day(year, m, d),
        _ => None,
    }
}

fn months_ago(today: Date, n: i32) -> Option<Given> {
    let total = today.year() * 12 + (today.month() as i32 - 1) - n;
    let month = Month::try_from((total.rem_euclid(12) + 1) as u8).ok()?;
    Some(Given::Month { year: total.div_euclid(12), month })
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok {
    /// A number and how many digits it was written with.
    Num(u32, usize),
    /// 年 or 月.
    Mark(char),
    /// 日 or 号 (optional after the day).
    Day,
    Sep,
}

/// Numbers, 年/月/日 marks and separators; `None` if anything else is left.
fn tokens(t: &str) -> Option<Vec<Tok>> {
    let mut out: Vec<Tok> = Vec::new();
    let mut num = String::new();
    for c in t.chars().chain(std::iter::once('\0')) {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        if !num.is_empty() {
            if num.len() > 8 {
                return None;
            }
            out.push(Tok::Num(num.parse().ok()?, num.len()));
            num.clear();
        }
        let tok = match c {
            '\0' => break,
            '年' | '月' => Tok::Mark(c),
            '日' | '号' => Tok::Day,
            '-' | '/' | '.' | ' ' | ',' | '，' | '、' | '。' | '_' => Tok::Sep,
            _ => return None,
        };
        // Spaces next to a mark ("2026 年 10 月") are not separators.
        match (out.last(), tok) {
            (Some(Tok::Sep), Tok::Sep) => {}
            (Some(Tok::Sep), Tok::Mark(_) | Tok::Day) => {
                out.pop();
                out.push(tok);
            }
            (Some(Tok::Mark(_)), Tok::Sep) => {}
            _ => out.push(tok),
        }
    }
    while out.last() == Some(&Tok::Sep) {
        out.pop();
    }
    Some(out)
}

fn absolute(t: &str, today: Date) -> Option<Given> {
    use Tok::{Day as D, Mark as K, Num as N, Sep as S};
    let toks = tokens(t)?;
    let toks: &[Tok] = match toks.split_last() {
        Some((D, rest)) => rest,
        _ => &toks,
    };
    let year_of = |y: u32, len: usize| match len {
        4 => Some(y as i32),
        2 => {
            let y = 2000 + y as i32;
            Some(if y > today.year() { y - 100 } else { y })
        }
        _ => None,
    };
    match *toks {
        // 2026-10-08, 2026.7.1, 26.7.1, 2026 10 8, 2026年10月8日
        [N(y, yl), S | K('年'), N(m, _), S | K('月'), N(d, dl)] if dl <= 2 => day(year_of(y, yl)?, m, d),
        // 20261008
        [N(all, 8)] => day((all / 10_000) as i32, all / 100 % 100, all % 100),
        // 2026年10月, 2026-10
        [N(y, 4), S, N(m, ml)] if ml <= 2 => month(y as i32, m),
        [N(y, yl), K('年'), N(m, _), K('月')] => month(year_of(y, yl)?, m),
        // 10月8日, 10.8, 10/8: this year, or last year while that day is ahead.
        [N(m, ml), K('月') | S, N(d, dl)] if ml <= 2 && dl <= 2 => {
            let this = day(today.year(), m, d)?;
            if this.first_day() > today { day(today.year() - 1, m, d) } else { Some(this) }
        }
        // 10月, 十月份
        [N(m, ml), K('月')] if ml <= 2 => {
            let this = month(today.year(), m)?;
            if this.first_day() > today { month(today.year() - 1, m) } else { Some(this) }
        }
        _ => None,
    }
}

fn day(year: i32, m: u32, d: u32) -> Option<Given> {
    if !YEARS.contains(&year) {
        return None;
    }
    let month = Month::try_from(u8::try_from(m).ok()?).ok()?;
    Date::from_calendar_date(year, month, u8::try_from(d).ok()?).ok().map(Given::Day)
}

fn month(year: i32, m: u32) -> Option<Given> {
    if !YEARS.contains(&year) {
        return None;
    }
    Some(Given::Month { year, month: Month::try_from(u8::try_from(m).ok()?).ok()? })
}

/// The last day of a period that starts on `from`, as Chinese law counts it
/// (民事诉讼法第八十五条第二款: the start day is not counted), so N days after
/// May 1 ends on May 1 + N; a month period ends on the same day number N
/// months later, or the month's last day when that month is shorter. Hours
/// and working days are not computed (`None`).
pub fn period_end(from: Date, period: Span) -> Option<Date> {
    match period {
        Span::Days(n) => from.checked_add(Duration::days(i64::from(n))),
        Span::Years(n) => period_end(from, Span::Months(n.checked_mul(12)?)),
        Span::Hours(_) | Span::WorkingDays(_) => None,
        Span::Months(n) => {
            let total = from.year() * 12 + (from.month() as i32 - 1) + n as i32;
            let (y, m) = (total.div_euclid(12), Month::try_from((total.rem_euclid(12) + 1) as u8).ok()?);
            let last = time::util::days_in_month(m, y);
            Date::from_calendar_date(y, m, from.day().min(last)).ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 12 - 02);

    fn d(y: i32, m: u8, day: u8) -> Given {
        Given::Day(Date::from_calendar_date(y, Month::try_from(m).expect("month"), day).expect("date"))
    }

    fn m(y: i32, m: u8) -> Given {
        Given::Month { year: y, month: Month::try_from(m).expect("month") }
    }

    /// What people typed in trials and in the review (today 2026-12-02).
    #[test]
    fn reads_the_dates_people_type() {
        let table: &[(&str, Given)] = &[
            ("2026-10-08", d(2026, 10, 8)),
            ("2026-10-8", d(2026, 10, 8)),
            ("2026/7/1", d(2026, 7, 1)),
            ("2026.7.1", d(2026, 7, 1)),
            ("26.7.1", d(2026, 7, 1)),
            ("98.7.1", d(1998, 7, 1)),
            ("2026 10 8", d(2026, 10, 8)),
            ("2026  10  8", d(2026, 10, 8)),
            ("20261008", d(2026, 10, 8)),
            ("2026年10月8日", d(2026, 10, 8)),
            ("2026年10月8号", d(2026, 10, 8)),
            ("2026 年 10 月 8 日", d(2026, 10, 8)),
            ("２０２６年１０月８日", d(2026, 10, 8)),
            ("2026。7。1", d(2026, 7, 1)),
            ("二〇二六年十月八日", d(2026, 10, 8)),
            ("二零二六年十月二十八日", d(2026, 10, 28)),
            ("二〇二五年十二月三十一日", d(2025, 12, 31)),
            ("10月8日", d(2026, 10, 8)),
            ("10月8号", d(2026, 10, 8)),
            ("十月八号", d(2026, 10, 8)),
            ("十二月一日", d(2026, 12, 1)),
            // Still ahead this year: last year's.
            ("12月25日", d(2025, 12, 25)),
            ("10.8", d(2026, 10, 8)),
            ("大概10月8日左右", d(2026, 10, 8)),
            ("2026年10月", m(2026, 10)),
            ("2026-10", m(2026, 10)),
            ("十月份", m(2026, 10)),
            ("去年十月", m(2025, 10)),
            ("去年3月5日", d(2025, 3, 5)),
            ("今天", d(2026, 12, 2)),
            ("昨天", d(2026, 12, 1)),
            ("前天", d(2026, 11, 30)),
            ("3天前", d(2026, 11, 29)),
            ("三天前", d(2026, 11, 29)),
            ("上个月", m(2026, 11)),
            ("两个月前", m(2026, 10)),
            ("这个月", m(2026, 12)),
            ("2026年10月8日。", d(2026, 10, 8)),
        ];
        assert!(table.len() >= 25);
        for (text, want) in table {
            assert_eq!(parse(text, TODAY), Ok(*want), "{text}");
        }
    }

    #[test]
    fn tells_a_date_still_ahead_from_one_it_cannot_read() {
        for text in ["2027-01-05", "2026-12-03", "2027年1月", "明年"] {
            let want = if text == "明年" { DateError::Malformed } else { DateError::Future };
            assert_eq!(parse(text, TODAY), Err(want), "{text}");
        }
        for text in [
            "",
            "2026-13-01",
            "2026-02-30",
            "1800-01-01",
            "2026",
            "去年",
            "不知道",
            "2026-10-8-1",
            "12345678901",
            "99999999999999999999",
            "上周三",
            "2026年10月8日下雨",
        ] {
            assert_eq!(parse(text, TODAY), Err(DateError::Malformed), "{text}");
        }
    }

    #[test]
    fn a_month_runs_from_its_first_to_its_last_day() {
        let g = m(2026, 2);
        assert_eq!((g.first_day(), g.last_day()), (date!(2026 - 02 - 01), date!(2026 - 02 - 28)));
        assert_eq!(Given::from_slot(&g.to_slot()), Some(g));
        assert_eq!(Given::from_slot("2026-10-08"), Some(d(2026, 10, 8)));
        for bad in ["2026-1-8", "26-10-08", "2026-10-08-01", "2026", "unknown"] {
            assert_eq!(Given::from_slot(bad), None, "{bad}");
        }
    }

    #[test]
    fn month_periods_clamp_to_the_end_of_short_months() {
        assert_eq!(period_end(date!(2024 - 08 - 31), Span::Months(6)), Some(date!(2025 - 02 - 28)));
        assert_eq!(period_end(date!(2024 - 05 - 01), Span::Years(2)), Some(date!(2026 - 05 - 01)));
        assert_eq!(period_end(date!(2024 - 05 - 01), Span::Days(60)), Some(date!(2024 - 06 - 30)));
    }

    #[test]
    fn today_is_taken_in_china_time() {
        // 2026-11-26 17:00 UTC is already 27 November in China.
        assert_eq!(today(1_795_712_400), Some(date!(2026 - 11 - 27)));
    }
}
