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

/// A date as a person gave it: a day, only a month ("2026年10月"), or a
/// stretch of days said loosely ("3月中旬", "半个月前", "春节前").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Given {
    Day(Date),
    Month {
        year: i32,
        month: Month,
    },
    /// From its first to its last day, both counted.
    Range {
        from: Date,
        to: Date,
    },
}

/// Why a typed date was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateError {
    /// Not a date we can read.
    Malformed,
    /// A date (or the whole month) still ahead.
    Future,
    /// A lunar calendar date (农历三月初五, 腊月二十三): not converted.
    Lunar,
}

impl Given {
    pub fn first_day(self) -> Date {
        match self {
            Given::Day(d) => d,
            Given::Month { year, month } => Date::from_calendar_date(year, month, 1).unwrap_or(Date::MIN),
            Given::Range { from, .. } => from,
        }
    }

    pub fn last_day(self) -> Date {
        match self {
            Given::Day(d) => d,
            Given::Month { year, month } => {
                Date::from_calendar_date(year, month, time::util::days_in_month(month, year)).unwrap_or(Date::MAX)
            }
            Given::Range { to, .. } => to,
        }
    }

    pub fn is_month(self) -> bool {
        matches!(self, Given::Month { .. })
    }

    /// More than one day: a deadline is counted from the first (the safe
    /// side) and is past only when it is past from the last.
    pub fn is_range(self) -> bool {
        !matches!(self, Given::Day(_))
    }

    /// As kept in a slot and in choice ids: `2026-05-20`, `2026-05` or
    /// `2026-03-11~2026-03-20`.
    pub fn to_slot(self) -> String {
        match self {
            Given::Day(d) => d.to_string(),
            Given::Month { year, month } => format!("{year:04}-{:02}", month as u8),
            Given::Range { from, to } => format!("{from}~{to}"),
        }
    }

    /// The slot form back (strict: `YYYY-MM-DD`, `YYYY-MM` or two days
    /// joined by `~`, the first not after the second).
    pub fn from_slot(s: &str) -> Option<Self> {
        if let Some((a, b)) = s.split_once('~') {
            let (from, to) = (parse_iso(a)?, parse_iso(b)?);
            return (from <= to).then_some(Given::Range { from, to });
        }
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
        Given::Month { .. } | Given::Range { .. } => None,
    }
}

/// Reads a date the way people type it, on any channel: 2026-10-8,
/// 2026/7/1, 2026.7.1, 26.7.1, 2026 10 8, 20261008, 2026年10月8日（号）,
/// 二〇二六年十月八日, 10月8日 and 十月八号 (this year, or last year while that
/// day is still ahead), 2026年10月 and 十月份 (only a month), 今天, 昨天,
/// 前天, 3天前, 上个月, 两个月前, 去年十月; with 大概…左右 around it. A day or
/// a month that has not begun yet is `Future`.
///
/// Said loosely, a stretch of days (`Range`): 上个月15号 is a day; 上周三,
/// 半个月前, 一个多月前, 3月初 / 中旬 / 底, 今年3月上旬, 去年年底, 春节前 / 后
/// (the table of Spring Festival days below) are ranges, cut at today. A
/// lunar date is `Lunar`: the bot does not convert it.
pub fn parse(text: &str, today: Date) -> Result<Given, DateError> {
    let t = digits(&strip_filler(&crate::engine::understand::normalize(text)));
    if is_lunar(&t) {
        return Err(DateError::Lunar);
    }
    let given =
        relative(&t, today).or_else(|| loose(&t, today)).or_else(|| absolute(&t, today)).ok_or(DateError::Malformed)?;
    if given.first_day() > today {
        return Err(DateError::Future);
    }
    Ok(match given {
        // This month's 下旬 while it is still the 25th: up to today.
        Given::Range { from, to } if to > today => Given::Range { from, to: today },
        g => g,
    })
}

/// Longest stretch of text looked at as one date inside a message.
const MAX_DATE_CHARS: usize = 14;
/// Messages longer than this are not searched for a date.
const MAX_SEARCHED_CHARS: usize = 600;

/// The one date a message speaks of ("上个月15号公司把我辞退了"), as typed
/// and as read; `None` when it names none, several different ones, or only
/// ones still ahead. Only phrases with a date word (年 月 日 号 天 周 星期
/// 礼拜 旬 春节 过年) count, so 10.8万 or 15号楼 are not dates.
pub fn find_in(text: &str, today: Date) -> Option<(String, Given)> {
    the_one(&find_all(text, today)).map(|f| (f.phrase.clone(), f.given))
}

/// The date found, when every phrase found says the same date.
pub fn the_one(found: &[Found]) -> Option<&Found> {
    let first = found.first()?;
    found.iter().all(|f| f.given == first.given).then_some(first)
}

/// A date a message speaks of: as typed, as read, and the rest of its
/// clause (what happened then: "被辞退了").
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub phrase: String,
    pub given: Given,
    pub clause: String,
}

/// Every date a message speaks of, in order (see [`find_in`]).
pub fn find_all(text: &str, today: Date) -> Vec<Found> {
    const MARKS: [&str; 13] = ["年", "月", "日", "号", "天", "周", "星期", "礼拜", "旬", "春节", "过年", "初", "底"];
    const STARTS: &str = "0123456789０１２３４５６７８９〇零一二三四五六七八九十两今去前上这本半大昨春过";
    let chars: Vec<char> = text.chars().collect();
    if chars.len() > MAX_SEARCHED_CHARS {
        return Vec::new();
    }
    let mut found: Vec<Found> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        // A date starts a phrase: not in the middle of a number or a word like 两年后.
        let starts = STARTS.contains(chars[i])
            && !(i > 0
                && (chars[i - 1].is_ascii_digit() || STARTS.contains(chars[i - 1]) && chars[i].is_ascii_digit()));
        let mut hit = None;
        if starts {
            for j in (i + 2..=(i + MAX_DATE_CHARS).min(chars.len())).rev() {
                // Not cut in the middle of a number.
                if j < chars.len() && chars[j - 1].is_ascii_digit() && chars[j].is_ascii_digit() {
                    continue;
                }
                let phrase: String = chars[i..j].iter().collect();
                if !MARKS.iter().any(|m| phrase.contains(m)) || matches!(phrase.as_str(), "年前" | "年后" | "前天天")
                {
                    continue;
                }
                if let Ok(g) = parse(&phrase, today) {
                    hit = Some((j, phrase, g));
                    break;
                }
            }
        }
        match hit {
            Some((j, phrase, given)) => {
                let stop = |c: &char| "，。；！？,.;!?\n".contains(*c);
                let from = chars[..i].iter().rposition(stop).map_or(0, |k| k + 1);
                let to = chars[j..].iter().position(stop).map_or(chars.len(), |k| j + k);
                let clause = chars[from..i].iter().chain(&chars[j..to]).collect();
                found.push(Found { phrase, given, clause });
                i = j;
            }
            None => i += 1,
        }
    }
    found
}

/// Of several dates a message gave, the one whose clause tells of what a
/// date question asks about: the one sharing the most pairs of Chinese
/// characters (辞退, 判决, 送达) with the question's text, uniquely. `None`
/// when no clause shares any, or clauses of different dates share as much.
pub fn for_question<'a>(found: &'a [Found], question: &str) -> Option<&'a Found> {
    // Pairs that say nothing about the event.
    const COMMON: &str = "的了是我你他她们在和与及就都也还又把被给对向从到这那个日期天月年号时候哪什么吗呢请输入例如";
    let pairs = |t: &str| -> Vec<(char, char)> {
        let cs: Vec<char> = t.chars().collect();
        cs.windows(2)
            .filter(|w| w.iter().all(|c| ('\u{4e00}'..='\u{9fff}').contains(c) && !COMMON.contains(*c)))
            .map(|w| (w[0], w[1]))
            .collect()
    };
    let asked = pairs(question);
    let score = |f: &Found| pairs(&f.clause).iter().filter(|p| asked.contains(p)).count();
    let best = found.iter().map(score).max().filter(|b| *b > 0)?;
    let mut top = found.iter().filter(|f| score(f) == best);
    let first = top.next()?;
    // The same date said twice is no tie.
    top.all(|f| f.given == first.given).then_some(first)
}

/// What [`for_question`] needs of a clause, as a session keeps it: its
/// Chinese characters only (no digits or letters, so no phone or ID
/// number), at most `CLAUSE_CHARS`.
pub fn clause_words(clause: &str) -> String {
    clause.chars().filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c)).take(CLAUSE_CHARS).collect()
}

/// Most characters of a clause kept for [`for_question`].
const CLAUSE_CHARS: usize = 24;

/// 农历 / 阴历 / 正月 / 腊月 / 初五 (after `digits`: 初5).
fn is_lunar(t: &str) -> bool {
    const WORDS: [&str; 7] = ["农历", "阴历", "旧历", "正月", "腊月", "冬月", "闰月"];
    if WORDS.iter().any(|w| t.contains(w)) {
        return true;
    }
    let chars: Vec<char> = t.chars().collect();
    chars.windows(2).any(|w| w[0] == '初' && w[1].is_ascii_digit())
}

/// Spring Festival (正月初一) in the solar calendar, by year.
const SPRING_FESTIVAL: [(i32, u8, u8); 17] = [
    (2014, 1, 31),
    (2015, 2, 19),
    (2016, 2, 8),
    (2017, 1, 28),
    (2018, 2, 16),
    (2019, 2, 5),
    (2020, 1, 25),
    (2021, 2, 12),
    (2022, 2, 1),
    (2023, 1, 22),
    (2024, 2, 10),
    (2025, 1, 29),
    (2026, 2, 17),
    (2027, 2, 6),
    (2028, 1, 26),
    (2029, 2, 13),
    (2030, 2, 3),
];

fn spring_festival(year: i32) -> Option<Date> {
    let (_, m, d) = SPRING_FESTIVAL.iter().find(|(y, _, _)| *y == year)?;
    Date::from_calendar_date(year, Month::try_from(*m).ok()?, *d).ok()
}

fn range(from: Date, to: Date) -> Option<Given> {
    (from <= to).then_some(Given::Range { from, to })
}

/// Dates said loosely: weeks, parts of a month or a year, 半个月前, and
/// around the Spring Festival.
fn loose(t: &str, today: Date) -> Option<Given> {
    let ago = |n: i64| today.checked_sub(Duration::days(n));
    // 半个月前: 10 to 20 days ago; 一个多月前: between one and two months.
    if matches!(t, "半个月前" | "半月前" | "半个月以前") {
        return range(ago(20)?, ago(10)?);
    }
    if let Some(n) = t.strip_suffix("个多月前").and_then(|n| n.parse::<i64>().ok()).filter(|n| (1..=120).contains(n))
    {
        return range(ago(30 * (n + 1))?, ago(30 * n)?);
    }
    for unit in ["周前", "个星期前", "个礼拜前", "星期前"] {
        if let Some(n) = t.strip_suffix(unit).and_then(|n| n.parse::<i64>().ok()).filter(|n| (1..=520).contains(n)) {
            return ago(7 * n).map(Given::Day);
        }
    }
    if let Some(g) = week_day(t, today) {
        return Some(g);
    }
    if let Some(g) = spring(t, today) {
        return Some(g);
    }
    // A year said by its name, or none (this year, or last year while ahead).
    let (year, rest, named) = match named_year(t, today) {
        Some((year, rest)) => (year, rest, true),
        None => (today.year(), t, false),
    };
    // Parts of the year.
    let part_of_year = |year: i32| -> Option<Given> {
        let d = |m: u8, day: u8| Date::from_calendar_date(year, Month::try_from(m).ok()?, day).ok();
        match (rest, named) {
            ("年初", _) | ("初", true) => range(d(1, 1)?, d(2, 28)?),
            ("上半年", _) => range(d(1, 1)?, d(6, 30)?),
            ("年中", _) => range(d(6, 1)?, d(7, 31)?),
            ("下半年", _) => range(d(7, 1)?, d(12, 31)?),
            ("年底" | "年末", _) | ("底", true) => range(d(11, 15)?, d(12, 31)?),
            _ => None,
        }
    };
    if let Some(g) = part_of_year(year) {
        return Some(if !named && g.first_day() > today { part_of_year(year - 1)? } else { g });
    }
    // A month: 3月, 上个月, 这个月; then a day or a part of it.
    let (month_start, rest) = if !named {
        let rel = [("上上个月", 2), ("上个月", 1), ("上月", 1), ("这个月", 0), ("本月", 0), ("这月", 0)]
            .iter()
            .find_map(|(w, back)| t.strip_prefix(w).map(|rest| (*back, rest)));
        match rel {
            Some((back, rest)) => (months_ago(today, back)?.first_day(), rest),
            None => month_then(rest, year, named, today)?,
        }
    } else {
        month_then(rest, year, named, today)?
    };
    let (y, m) = (month_start.year(), month_start.month());
    let last = time::util::days_in_month(m, y);
    let on = |day: u8| Date::from_calendar_date(y, m, day).ok();
    match rest {
        "初" | "上旬" | "月初" | "头" => range(month_start, on(10)?),
        "中" | "中旬" | "月中" => range(on(11)?, on(20)?),
        "底" | "末" | "下旬" | "月底" | "月末" => range(on(21)?, on(last)?),
        _ => {
            // 上个月15号: a day of a month said by its place.
            let day: u8 = rest.strip_suffix(['号', '日']).unwrap_or(rest).parse().ok()?;
            on(day).map(Given::Day)
        }
    }
}

/// `3月…` after the year: the month's first day and what follows it. With
/// no year said, a month still ahead is last year's.
fn month_then(rest: &str, year: i32, named: bool, today: Date) -> Option<(Date, &str)> {
    let (m, after) = rest.split_once('月')?;
    let m: u8 = m.parse().ok().filter(|m| (1..=12).contains(m))?;
    // Only parts of a month here: plain days are `absolute`'s.
    if !matches!(after, "初" | "上旬" | "中" | "中旬" | "底" | "末" | "下旬" | "头") {
        return None;
    }
    let first = Date::from_calendar_date(year, Month::try_from(m).ok()?, 1).ok()?;
    let first = if !named && first > today {
        Date::from_calendar_date(year - 1, Month::try_from(m).ok()?, 1).ok()?
    } else {
        first
    };
    Some((first, after))
}

/// 上周三, 这周一, 上上周五, 上星期天, 上礼拜六: a day of a week (weeks start on Monday).
fn week_day(t: &str, today: Date) -> Option<Given> {
    let (back, rest) = [("上上", 2), ("上", 1), ("这", 0), ("本", 0)]
        .iter()
        .find_map(|(w, back)| t.strip_prefix(w).map(|rest| (*back, rest)))?;
    let rest = ["个星期", "个礼拜", "星期", "礼拜", "周"].iter().find_map(|w| rest.strip_prefix(w))?;
    let weekday: i64 = match rest {
        "日" | "天" | "7" => 7,
        n => n.parse().ok().filter(|n| (1..=6).contains(n))?,
    };
    let monday = today.checked_sub(Duration::days(i64::from(today.weekday().number_days_from_monday())))?;
    monday.checked_sub(Duration::days(7 * back))?.checked_add(Duration::days(weekday - 1)).map(Given::Day)
}

/// 春节前 / 过年前 / 年前: the month before the Spring Festival; 春节后 / 年后:
/// the month after; 春节 / 过年的时候: the week either side. With 去年 /
/// 今年, that year's; else the latest one not ahead.
fn spring(t: &str, today: Date) -> Option<Given> {
    let (year, rest) = named_year(t, today).map_or((None, t), |(y, rest)| (Some(y), rest));
    let days =
        |a: i64, b: i64| move |sf: Date| range(sf.checked_add(Duration::days(a))?, sf.checked_add(Duration::days(b))?);
    let around: Box<dyn Fn(Date) -> Option<Given>> = match rest {
        "春节前" | "过年前" | "年前" | "春节之前" | "过年之前" => Box::new(days(-30, -1)),
        "春节后" | "过年后" | "年后" | "春节之后" | "过年之后" => Box::new(days(1, 30)),
        "春节" | "过年" | "春节期间" | "过年期间" => Box::new(days(-7, 7)),
        _ => return None,
    };
    match year {
        Some(y) => around(spring_festival(y)?),
        None => (today.year() - 1..=today.year())
            .rev()
            .filter_map(|y| spring_festival(y).and_then(&around))
            .find(|g| g.first_day() <= today),
    }
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
    let (year, rest) = named_year(t, today)?;
    match tokens(rest)?[..] {
        [Tok::Num(m, _), Tok::Mark('月')] => month(year, m),
        [Tok::Num(m, _), Tok::Mark('月'), Tok::Num(d, _)]
        | [Tok::Num(m, _), Tok::Mark('月'), Tok::Num(d, _), Tok::Day] => day(year, m, d),
        _ => None,
    }
}

/// 今年 / 去年 / 前年 at the start: that year and the rest of the text.
fn named_year(t: &str, today: Date) -> Option<(i32, &str)> {
    [("今年", 0), ("去年", 1), ("前年", 2)]
        .iter()
        .find_map(|(w, back)| t.strip_prefix(w).map(|rest| (today.year() - back, rest)))
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

    fn r(from: (i32, u8, u8), to: (i32, u8, u8)) -> Given {
        Given::Range { from: d(from.0, from.1, from.2).first_day(), to: d(to.0, to.1, to.2).first_day() }
    }

    /// Dates said loosely, as the review typed them (today Wednesday 2026-12-02).
    #[test]
    fn reads_dates_said_loosely_as_days_or_stretches() {
        let table: &[(&str, Given)] = &[
            ("上个月15号", d(2026, 11, 15)),
            ("上月15日", d(2026, 11, 15)),
            ("这个月1号", d(2026, 12, 1)),
            ("上上个月3号", d(2026, 10, 3)),
            ("上周三", d(2026, 11, 25)),
            ("上星期天", d(2026, 11, 29)),
            ("上个礼拜一", d(2026, 11, 23)),
            ("这周一", d(2026, 11, 30)),
            ("上上周五", d(2026, 11, 20)),
            ("前天", d(2026, 11, 30)),
            ("大前天", d(2026, 11, 29)),
            ("两周前", d(2026, 11, 18)),
            ("半个月前", r((2026, 11, 12), (2026, 11, 22))),
            ("大概半个月前吧", r((2026, 11, 12), (2026, 11, 22))),
            ("一个多月前", r((2026, 10, 3), (2026, 11, 2))),
            ("去年年底", r((2025, 11, 15), (2025, 12, 31))),
            ("去年底", r((2025, 11, 15), (2025, 12, 31))),
            ("今年年初", r((2026, 1, 1), (2026, 2, 28))),
            ("今年上半年", r((2026, 1, 1), (2026, 6, 30))),
            ("今年3月初", r((2026, 3, 1), (2026, 3, 10))),
            ("今年3月中旬", r((2026, 3, 11), (2026, 3, 20))),
            ("今年3月底", r((2026, 3, 21), (2026, 3, 31))),
            ("3月中旬", r((2026, 3, 11), (2026, 3, 20))),
            ("三月下旬", r((2026, 3, 21), (2026, 3, 31))),
            ("去年2月底", r((2025, 2, 21), (2025, 2, 28))),
            ("上个月底", r((2026, 11, 21), (2026, 11, 30))),
            ("上个月中旬", r((2026, 11, 11), (2026, 11, 20))),
            // Up to today only.
            ("这个月初", r((2026, 12, 1), (2026, 12, 2))),
            ("年底", r((2026, 11, 15), (2026, 12, 2))),
            // Spring Festival 2026 was 17 February.
            ("春节前", r((2026, 1, 18), (2026, 2, 16))),
            ("过年后", r((2026, 2, 18), (2026, 3, 19))),
            ("去年春节前", r((2024, 12, 30), (2025, 1, 28))),
            ("过年的时候", r((2026, 2, 10), (2026, 2, 24))),
        ];
        for (text, want) in table {
            assert_eq!(parse(text, TODAY), Ok(*want), "{text}");
        }
        for text in ["农历三月初五", "阴历十月", "腊月二十三", "正月十五", "初五那天"] {
            assert_eq!(parse(text, TODAY), Err(DateError::Lunar), "{text}");
        }
        for text in ["下周三", "这个月底"] {
            let got = parse(text, TODAY);
            assert!(got.is_err() || text == "这个月底", "{text}: {got:?}");
        }
        assert_eq!(parse("这个月底", TODAY), Err(DateError::Future));
        // A stretch keeps its slot form.
        let g = r((2026, 3, 11), (2026, 3, 20));
        assert_eq!(g.to_slot(), "2026-03-11~2026-03-20");
        assert_eq!(Given::from_slot(&g.to_slot()), Some(g));
        assert_eq!(Given::from_slot("2026-03-20~2026-03-11"), None);
    }

    #[test]
    fn of_several_dates_the_one_whose_clause_tells_what_is_asked() {
        let end = "您和单位的劳动关系是哪天结束的（离职、被辞退的日期）？";
        let award = "您是哪天收到仲裁裁决书的？";
        let table: &[(&str, &str, Option<&str>)] = &[
            ("2025年3月入职，上个月15号被辞退了，工资一直没给", end, Some("上个月15号")),
            ("上个月15号被辞退了，2025年3月入职的", end, Some("上个月15号")),
            ("去年6月申请的仲裁，上周三收到的仲裁裁决书", award, Some("上周三")),
            // Nothing in either clause says what is asked: asked.
            ("2025年3月入职，上个月15号出了事", end, None),
            // Both clauses say it: asked.
            ("上个月15号被辞退，上周三又被辞退", end, None),
            // The same date twice is no tie.
            ("上个月15号被辞退，2025年3月入职，上个月15号就辞退了", end, Some("上个月15号")),
        ];
        for (text, question, want) in table {
            let all = find_all(text, TODAY);
            assert!(all.len() >= 2, "{text}: {all:?}");
            let got = for_question(&all, question).map(|f| f.phrase.as_str());
            assert_eq!(got, *want, "{text}");
        }
    }

    #[test]
    fn finds_the_one_date_a_message_speaks_of() {
        let table: &[(&str, Option<(&str, Given)>)] = &[
            ("上个月15号公司把我辞退了，工资也没给", Some(("上个月15号", d(2026, 11, 15)))),
            ("我是2026年10月8日被辞退的", Some(("2026年10月8日", d(2026, 10, 8)))),
            ("去年年底包工头跑了，欠我三万块", Some(("去年年底", r((2025, 11, 15), (2025, 12, 31))))),
            ("上周三收到的行政处罚决定书，不服怎么办", Some(("上周三", d(2026, 11, 25)))),
            ("半个月前被车撞了", Some(("半个月前", r((2026, 11, 12), (2026, 11, 22))))),
            ("判决书是3月中旬送达的", Some(("3月中旬", r((2026, 3, 11), (2026, 3, 20))))),
            // No date, or only numbers that are not dates.
            ("公司欠我工资怎么办", None),
            ("欠我10.8万，住在15号楼", None),
            ("两年后还能起诉吗", None),
            // Two different dates: which is the event's is not guessed.
            ("2025年3月入职，上个月15号被辞退", None),
            // A date still ahead is not taken.
            ("下个月15号开庭", None),
        ];
        for (text, want) in table {
            let got = find_in(text, TODAY);
            let want = want.map(|(p, g)| (p.to_string(), g));
            assert_eq!(got, want, "{text}");
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
            "上周八",
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
