//! Days and months as small integers: a day is the number of days since
//! 1970-01-01, a month is `year * 12 + (month - 1)`.

use chrono::{Datelike, NaiveDate};

pub type Day = i32;
pub type MonthIndex = i32;

pub const MS_PER_DAY: i64 = 86_400_000;

const EPOCH_CE: i32 = 719_163; // NaiveDate(1970-01-01).num_days_from_ce()

pub fn date_of(day: Day) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(day + EPOCH_CE).unwrap_or(NaiveDate::MIN)
}

pub fn day_of(date: NaiveDate) -> Day {
    date.num_days_from_ce() - EPOCH_CE
}

/// The day of a local timestamp in milliseconds since the epoch.
pub fn day_of_ms(at: i64) -> Day {
    at.div_euclid(MS_PER_DAY) as Day
}

pub fn month_of(day: Day) -> MonthIndex {
    let d = date_of(day);
    d.year() * 12 + d.month0() as i32
}

pub fn month_start(m: MonthIndex) -> Day {
    let (y, m0) = (m.div_euclid(12), m.rem_euclid(12));
    NaiveDate::from_ymd_opt(y, m0 as u32 + 1, 1).map_or(0, day_of)
}

/// The last day of month `m`.
pub fn month_end(m: MonthIndex) -> Day {
    month_start(m + 1) - 1
}

/// The last month complete at the end of `day`: its own month when `day`
/// is that month's last day, else the month before (formulas 3.5).
pub fn last_complete_month(day: Day) -> MonthIndex {
    let m = month_of(day);
    if day == month_end(m) { m } else { m - 1 }
}

pub fn days_in_month(m: MonthIndex) -> u32 {
    (month_start(m + 1) - month_start(m)) as u32
}

/// `YYYY-MM-DD`.
pub fn parse_day(s: &str) -> Option<Day> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .ok()
        .map(day_of)
}

pub fn format_day(day: Day) -> String {
    date_of(day).format("%Y-%m-%d").to_string()
}

/// `YYYY-MM`.
pub fn parse_month(s: &str) -> Option<MonthIndex> {
    let s = s.trim();
    let (y, m) = s.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let (y, m): (i32, i32) = (y.parse().ok()?, m.parse().ok()?);
    (1..=12).contains(&m).then_some(y * 12 + m - 1)
}

pub fn format_month(m: MonthIndex) -> String {
    format!("{:04}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1)
}

/// The same day `n` months later (clamped to the month's last day).
pub fn add_months(day: Day, n: i32) -> Day {
    let d = date_of(day);
    let m = d.year() * 12 + d.month0() as i32 + n;
    let last = month_end(m);
    (month_start(m) + d.day() as i32 - 1).min(last)
}

/// Milliseconds since the epoch of a UTC timestamp `YYYY-MM-DDTHH:MM:SS[.fff]Z`
/// shifted by an offset `+hh:mm` / `-hh:mm`: the local wall-clock time.
pub fn local_ms(utc: &str, offset: &str) -> Option<i64> {
    let t = chrono::DateTime::parse_from_rfc3339(utc.trim()).ok()?;
    let ms = t.timestamp_millis();
    let o = offset.trim();
    let sign = match o.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, m) = o[1..].split_once(':')?;
    let minutes: i64 = h.parse::<i64>().ok()? * 60 + m.parse::<i64>().ok()?;
    Some(ms + sign * minutes * 60_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_and_days() {
        let d = parse_day("2024-02-29").unwrap();
        assert_eq!(format_day(d), "2024-02-29");
        let m = month_of(d);
        assert_eq!(format_month(m), "2024-02");
        assert_eq!(days_in_month(m), 29);
        assert_eq!(days_in_month(parse_month("2023-02").unwrap()), 28);
        assert_eq!(format_day(month_start(m)), "2024-02-01");
        assert_eq!(format_day(month_end(m)), "2024-02-29");
        assert_eq!(
            format_day(add_months(parse_day("2024-01-31").unwrap(), 1)),
            "2024-02-29"
        );
        assert_eq!(format_day(add_months(d, -12)), "2023-02-28");
        assert_eq!(parse_month("2024-13"), None);
        assert_eq!(day_of_ms(-1), -1);
        assert_eq!(format_day(0), "1970-01-01");
    }

    #[test]
    fn local_time_shifts_by_the_offset() {
        let utc = local_ms("2026-01-31T22:30:00.000Z", "+03:00").unwrap();
        assert_eq!(format_day(day_of_ms(utc)), "2026-02-01");
        let utc = local_ms("2026-02-01T02:00:00Z", "-05:00").unwrap();
        assert_eq!(format_day(day_of_ms(utc)), "2026-01-31");
        assert_eq!(local_ms("2026-02-01T02:00:00Z", "0500"), None);
    }
}
