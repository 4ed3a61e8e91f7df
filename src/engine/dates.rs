//! Calendar arithmetic for deadlines, in China Standard Time (UTC+8).
//! Pure: "today" is derived from the `now` the caller passes.

use crate::content::Span;
use time::{Date, Duration, Month, OffsetDateTime, UtcOffset};

const CST: i32 = 8 * 3600;

/// Today's date in China for a Unix timestamp.
pub fn today(now: i64) -> Option<Date> {
    let offset = UtcOffset::from_whole_seconds(CST).ok()?;
    Some(OffsetDateTime::from_unix_timestamp(now).ok()?.to_offset(offset).date())
}

/// Parses the ways people write a date: 2024-05-01, 2024/5/1, 2024.5.1,
/// 2024年5月1日, 20240501.
pub fn parse_date(text: &str) -> Option<Date> {
    let t: String = crate::engine::understand::normalize(text);
    let t = t.trim_end_matches(['日', '号']);
    let parts: Vec<&str> = t.split(['-', '/', '.', '年', '月']).filter(|p| !p.is_empty()).collect();
    let (y, m, d): (i32, u8, u8) = match parts[..] {
        [y, m, d] => (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?),
        [all] if all.len() == 8 => (all[..4].parse().ok()?, all[4..6].parse().ok()?, all[6..].parse().ok()?),
        _ => return None,
    };
    if !(1949..=2100).contains(&y) {
        return None;
    }
    Date::from_calendar_date(y, Month::try_from(m).ok()?, d).ok()
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

    #[test]
    fn parses_common_chinese_date_forms() {
        for s in
            ["2024-05-01", "2024/5/1", "2024.5.1", "2024年5月1日", "２０２４年５月１日", "20240501", "2024年5月1号"]
        {
            assert_eq!(parse_date(s), Some(date!(2024 - 05 - 01)), "{s}");
        }
        for s in ["昨天", "2024-13-01", "2024-02-30", "1800-01-01", "5月1日", ""] {
            assert_eq!(parse_date(s), None, "{s}");
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
