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

/// The forms [`read_month`] takes, for messages and docs.
pub const MONTH_FORMS: &str = "YYYY-MM (2026-09), MM/YYYY or M/YYYY (09/2026, 9/2026), \
the month's first or last day YYYY-MM-DD (2026-09-01, 2026-09-30), or the month's name \
in English or French, in full or shortened, and a 4-digit year (September 2026, Sept. 2026, \
septembre 2026, sept. 2026)";

/// Why a cell is not a month as [`read_month`] reads one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MonthError {
    /// A date neither the first nor the last day of its month: the month
    /// it reports is a guess (the one it falls in, or the one it closes).
    #[error(
        "{0:?} is a day inside its month, not its first or last: it may date the report of {1} or close that of {2}; write the month reported (YYYY-MM)"
    )]
    MidMonth(String, String, String),
    /// A date written `YYYY-MM-DD` that no calendar has.
    #[error("{0:?} is no day ({1} has {2} days)")]
    NoSuchDay(String, String, u32),
    /// A day, month and year separated by slashes: read day first in
    /// French and month first in English.
    #[error(
        "{0:?} reads as a different day in French (day/month/year) and in English (month/day/year); write the month: {forms}",
        forms = MONTH_FORMS
    )]
    DayOrMonthFirst(String),
    /// A day, month and year separated by slashes that name no day read
    /// either way (`31/09/2026`).
    #[error("{0:?} is no day of the calendar, read day first or month first; write the month: {forms}", forms = MONTH_FORMS)]
    NoDayEitherWay(String),
    #[error("{0:?} is not a month; accepted: {forms}", forms = MONTH_FORMS)]
    Unreadable(String),
}

/// A month as people write it in reports and spreadsheets: `YYYY-MM`;
/// `MM/YYYY` or `M/YYYY`; a date `YYYY-MM-DD`, or `DD/MM/YYYY` or
/// `MM/DD/YYYY` where only one reading is a day (or both the same day),
/// that is the month's first or last day (a day inside the month is
/// refused: it may be meant for the month it falls in or the one it
/// closes); or a month's name in
/// English or French (full or shortened, any case, accents and a final
/// dot optional) then a 4-digit year. Anything else is refused, saying
/// why. [`parse_month`] stays the strict `YYYY-MM` of the API and of the
/// files Equitas writes.
pub fn read_month(s: &str) -> Result<MonthIndex, MonthError> {
    read_month_in(s, false)
}

/// [`read_month`], for a file whose dates are written day first
/// (`day_first`: a file separated by semicolons, as a spreadsheet set to
/// French, or to any language whose decimal mark is a comma, saves CSV;
/// those languages write a date day first): there `01/09/2026` is 1
/// September. Elsewhere a day and month that read as two different days
/// are refused. A date read one way only (`30/04/2026`, `04/30/2026`) is
/// that day in any file.
pub fn read_month_in(s: &str, day_first: bool) -> Result<MonthIndex, MonthError> {
    let t = s.trim();
    let unreadable = || MonthError::Unreadable(t.to_string());
    if let Some(m) = parse_month(t) {
        return Ok(m);
    }
    let digits =
        |x: &str, lens: &[usize]| lens.contains(&x.len()) && x.bytes().all(|b| b.is_ascii_digit());
    let month_number = |x: &str| x.parse::<i32>().ok().filter(|m| (1..=12).contains(m));
    // MM/YYYY, M/YYYY.
    if let Some((m, y)) = t.split_once('/') {
        if digits(m, &[1, 2]) && digits(y, &[4]) {
            let (m, y) = (month_number(m).ok_or_else(unreadable)?, year(y)?);
            return Ok(y * 12 + m - 1);
        }
        if let Some(day) = slashed_day(t, day_first) {
            let day = day?;
            return closed_by(t, day.year() * 12 + day.month() as i32 - 1, day.day());
        }
        return Err(unreadable());
    }
    // YYYY-MM-DD, the first or last day of its month.
    let parts: Vec<&str> = t.split('-').collect();
    if let [y, m, d] = parts[..]
        && digits(y, &[4])
        && digits(m, &[2])
        && digits(d, &[2])
    {
        let (y, m) = (year(y)?, month_number(m).ok_or_else(unreadable)?);
        let d: u32 = d.parse().map_err(|_| unreadable())?;
        return closed_by(t, y * 12 + m - 1, d);
    }
    // A month's name, then its year.
    let name_end = t
        .char_indices()
        .find(|(_, c)| !c.is_alphabetic() && !is_combining_mark(*c))
        .map_or(t.len(), |(i, _)| i);
    let (name, rest) = t.split_at(name_end);
    // A dot right after the name, as an abbreviation's ("sept. 2026"),
    // then spaces, a comma, a hyphen or a slash ("Sep-2026").
    let y = rest
        .strip_prefix('.')
        .unwrap_or(rest)
        .trim_start_matches(|c: char| c.is_whitespace() || matches!(c, ',' | '-' | '/'));
    if name.is_empty() || y.len() == rest.len() || !digits(y, &[4]) {
        return Err(unreadable());
    }
    let m = month_by_name(name).ok_or_else(unreadable)?;
    Ok(year(y)? * 12 + m - 1)
}

/// A day written `DD/MM/YYYY` or `MM/DD/YYYY` (`None`: not that shape).
/// Read day first and month first, a reading that names no day is no
/// reading; two that name different days are told apart only by a file
/// written day first (`day_first`).
fn slashed_day(t: &str, day_first: bool) -> Option<Result<NaiveDate, MonthError>> {
    let digits =
        |x: &str, lens: &[usize]| lens.contains(&x.len()) && x.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = t.split('/').collect();
    let [a, b, y] = parts[..] else {
        return None;
    };
    if !(digits(a, &[1, 2]) && digits(b, &[1, 2]) && digits(y, &[4])) {
        return None;
    }
    let (Ok(a), Ok(b), Ok(y)) = (a.parse::<u32>(), b.parse::<u32>(), y.parse::<i32>()) else {
        return Some(Err(MonthError::Unreadable(t.to_string())));
    };
    Some(
        match (
            NaiveDate::from_ymd_opt(y, b, a),
            NaiveDate::from_ymd_opt(y, a, b),
        ) {
            (Some(d), Some(m)) if d != m && !day_first => {
                Err(MonthError::DayOrMonthFirst(t.to_string()))
            }
            (Some(d), _) | (None, Some(d)) => Ok(d),
            (None, None) => Err(MonthError::NoDayEitherWay(t.to_string())),
        },
    )
}

/// The month an expected day of arrival falls in, whatever the day
/// (`YYYY-MM-DD`, or with slashes as [`read_month_in`] reads them), else a
/// month as [`read_month_in`] reads one.
pub fn read_arrival_month(s: &str, day_first: bool) -> Result<MonthIndex, MonthError> {
    let t = s.trim();
    if let Some(d) = parse_day(t) {
        return Ok(month_of(d));
    }
    if let Some(d) = slashed_day(t, day_first) {
        return d.map(|d| d.year() * 12 + d.month() as i32 - 1);
    }
    read_month_in(t, day_first)
}

/// The month that day `d` of `month` reports: the month itself if `d` is
/// its first or last day; a day inside it is refused (it may date the
/// report of its month or close that of the month before), as is a day
/// the month lacks. `t`: the cell, for the error.
fn closed_by(t: &str, month: MonthIndex, d: u32) -> Result<MonthIndex, MonthError> {
    let days = days_in_month(month);
    match d {
        1 => Ok(month),
        d if d == days => Ok(month),
        d if (2..days).contains(&d) => Err(MonthError::MidMonth(
            t.to_string(),
            format_month(month),
            format_month(month - 1),
        )),
        _ => Err(MonthError::NoSuchDay(
            t.to_string(),
            format_month(month),
            days,
        )),
    }
}

fn year(y: &str) -> Result<i32, MonthError> {
    y.parse().map_err(|_| MonthError::Unreadable(y.to_string()))
}

/// Combining accents (U+0300 to U+036F), as a name typed "fe\u{301}vrier"
/// holds them.
fn is_combining_mark(c: char) -> bool {
    ('\u{300}'..='\u{36f}').contains(&c)
}

/// The names and abbreviations of each month, in English then French,
/// lower case without accents, in calendar order.
const MONTH_NAMES: [&[&str]; 12] = [
    &["january", "jan", "janvier", "janv"],
    &["february", "feb", "fevrier", "fevr", "fev"],
    &["march", "mar", "mars"],
    &["april", "apr", "avril", "avr"],
    &["may", "mai"],
    &["june", "jun", "juin"],
    &["july", "jul", "juillet", "juil"],
    &["august", "aug", "aout"],
    &["september", "sep", "sept", "septembre"],
    &["october", "oct", "octobre"],
    &["november", "nov", "novembre"],
    &["december", "dec", "decembre"],
];

/// The month (1 to 12) a name of [`MONTH_NAMES`] means, in any case,
/// with or without its accents.
fn month_by_name(name: &str) -> Option<i32> {
    let folded: String = name
        .chars()
        .flat_map(char::to_lowercase)
        .filter(|c| !is_combining_mark(*c))
        .map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'û' | 'ù' | 'ü' => 'u',
            'à' | 'â' => 'a',
            'ô' => 'o',
            'î' | 'ï' => 'i',
            'ç' => 'c',
            c => c,
        })
        .collect();
    MONTH_NAMES
        .iter()
        .position(|names| names.contains(&folded.as_str()))
        .map(|i| i as i32 + 1)
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

    /// The forms officers' spreadsheets write a report's month in: each
    /// read as its month, or refused saying why.
    #[test]
    fn months_as_reports_write_them() {
        let sep = parse_month("2026-09");
        for s in [
            "2026-09",
            " 2026-09 ",
            "09/2026",
            "9/2026",
            "2026-09-01",
            "2026-09-30",
            "sept. 2026",
            "Sept 2026",
            "September 2026",
            "SEPTEMBER 2026",
            "septembre 2026",
            "Septembre\u{a0}2026",
            "Sep-2026",
            "sep. 2026",
            "September, 2026",
        ] {
            assert_eq!(read_month(s).ok(), sep, "{s}");
        }
        let feb = parse_month("2024-02");
        for s in [
            "février 2024",
            "FÉVRIER 2024",
            "fe\u{301}vrier 2024",
            "fevrier 2024",
            "févr. 2024",
            "fév 2024",
            "Feb 2024",
            "2024-02-29",
            "2/2024",
        ] {
            assert_eq!(read_month(s).ok(), feb, "{s}");
        }
        assert_eq!(read_month("août 2026").ok(), parse_month("2026-08"));
        assert_eq!(read_month("Aout 2026").ok(), parse_month("2026-08"));
        assert_eq!(read_month("déc. 2026").ok(), parse_month("2026-12"));
        assert_eq!(read_month("juil. 2026").ok(), parse_month("2026-07"));
        assert_eq!(read_month("mai 2026").ok(), parse_month("2026-05"));

        let why = |s: &str| read_month(s).unwrap_err();
        assert_eq!(
            why("2026-09-15"),
            MonthError::MidMonth("2026-09-15".into(), "2026-09".into(), "2026-08".into())
        );
        assert!(
            why("2026-09-15")
                .to_string()
                .contains("may date the report of 2026-09 or close that of 2026-08"),
            "{}",
            why("2026-09-15")
        );
        assert_eq!(
            why("2026-02-30"),
            MonthError::NoSuchDay("2026-02-30".into(), "2026-02".into(), 28)
        );
        assert_eq!(
            why("01/09/2026"),
            MonthError::DayOrMonthFirst("01/09/2026".into())
        );
        // A user pass (2026-12-07): a date read one way only is that day;
        // one read neither way is said so; day first in a file written so.
        let m = |x: &str| parse_month(x);
        assert_eq!(read_month("30/04/2026").ok(), m("2026-04"));
        assert_eq!(read_month("04/30/2026").ok(), m("2026-04"));
        assert_eq!(read_month("01/01/2026").ok(), m("2026-01"));
        assert_eq!(
            why("31/09/2026"),
            MonthError::NoDayEitherWay("31/09/2026".into())
        );
        assert!(matches!(why("15/04/2026"), MonthError::MidMonth(..)));
        assert_eq!(read_month_in("01/09/2026", true).ok(), m("2026-09"));
        // An expected day of arrival is its month, whatever the day (review).
        let dec = m("2026-12");
        assert_eq!(read_arrival_month("2026-12-15", false).ok(), dec);
        assert_eq!(read_arrival_month("15/12/2026", false).ok(), dec);
        assert_eq!(read_arrival_month("15/12/2026", true).ok(), dec);
        assert_eq!(read_arrival_month("01/12/2026", true).ok(), dec);
        assert_eq!(read_arrival_month("12/01/2026", true).ok(), m("2026-01"));
        assert_eq!(
            read_arrival_month("01/12/2026", false),
            Err(MonthError::DayOrMonthFirst("01/12/2026".into()))
        );
        assert_eq!(read_arrival_month("déc. 2026", true).ok(), dec);
        assert_eq!(read_month_in("30/09/2026", true).ok(), m("2026-09"));
        assert_eq!(read_month_in("09/30/2026", true).ok(), m("2026-09"));
        assert!(matches!(
            read_month_in("02/09/2026", true),
            Err(MonthError::MidMonth(..))
        ));
        for s in [
            "",
            "202609",
            "13/2026",
            "0/2026",
            "09/26",
            "009/2026",
            "2026/09",
            "2026-9",
            "2026-13-01",
            "Sept 26",
            "Septembre",
            "2026",
            "Smarch 2026",
            "sept.. 2026",
            "sept 2026 x",
            "2026 septembre",
            "le 1er septembre 2026",
        ] {
            let e = why(s);
            assert_eq!(e, MonthError::Unreadable(s.trim().into()), "{s}");
            assert!(e.to_string().contains(MONTH_FORMS), "{e}");
        }
    }

    /// The written forms of each month, as [`read_month`] takes them (the
    /// names also with accents, as typed).
    fn written(m: MonthIndex, form: usize, name: usize, case: u8, sep: usize) -> String {
        const ACCENTED: [&[&str]; 12] = [
            &[],
            &["février", "févr.", "fév.", "fe\u{301}vrier"],
            &[],
            &[],
            &[],
            &[],
            &[],
            &["août", "aou\u{302}t"],
            &[],
            &[],
            &[],
            &["décembre", "déc."],
        ];
        let (y, m0) = (m.div_euclid(12), m.rem_euclid(12) as usize);
        match form {
            0 => format_month(m),
            1 => format!("{:02}/{y}", m0 + 1),
            2 => format!("{}/{y}", m0 + 1),
            3 => format_day(month_start(m)),
            4 => format_day(month_end(m)),
            _ => {
                let mut names: Vec<String> =
                    MONTH_NAMES[m0].iter().map(|n| n.to_string()).collect();
                names.extend(MONTH_NAMES[m0].iter().map(|n| format!("{n}.")));
                names.extend(ACCENTED[m0].iter().map(|n| n.to_string()));
                let n = &names[name % names.len()];
                let n = match case {
                    0 => n.clone(),
                    1 => n.to_uppercase(),
                    _ => {
                        let mut c = n.chars();
                        c.next()
                            .map(|f| f.to_uppercase().chain(c).collect())
                            .unwrap_or_default()
                    }
                };
                let sep = [" ", "  ", "\u{a0}", "-", ", ", "\t"][sep % 6];
                format!("{n}{sep}{y}")
            }
        }
    }

    proptest::proptest! {
        /// Every month written in each accepted form reads back as itself.
        #[test]
        fn every_form_of_a_month_reads_back(
            m in (1000 * 12)..(10_000 * 12),
            form in 0usize..6,
            name in 0usize..16,
            case in 0u8..3,
            sep in 0usize..6,
        ) {
            let s = written(m, form, name, case, sep);
            proptest::prop_assert_eq!(read_month(&s), Ok(m), "{}", s);
        }

        /// A day inside its month is refused, as not its month's.
        #[test]
        fn a_day_inside_its_month_is_refused(m in (1000 * 12)..(10_000 * 12), d in 1i32..27) {
            let s = format_day(month_start(m) + d);
            proptest::prop_assert!(
                matches!(read_month(&s), Err(MonthError::MidMonth(..))),
                "{}", s
            );
        }

        /// Any text is read or refused, never a panic; what is read is a
        /// month of a year of at most 4 digits.
        #[test]
        fn any_text_is_read_or_refused(s in "\\PC{0,16}") {
            if let Ok(m) = read_month(&s) {
                proptest::prop_assert!((0..10_000 * 12).contains(&m), "{}", s);
            }
        }
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
