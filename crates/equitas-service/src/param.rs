//! Parameters of operations, described once (name, kind, default, meaning)
//! and parsed once, whether they come from a URL's query (`lead_time=4`) or
//! from the command line (`--lead-time 4`). The API description, the CLI's
//! options and their help are made from the same descriptions, so a default
//! or a list of allowed values is written in one place.

use crate::error::ServiceError;
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;

/// How a parameter's value is written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Text,
    /// Several values: comma-separated (API), or the option repeated (CLI).
    List,
    /// Several values from a fixed set.
    ListOf(&'static [&'static str]),
    /// Comma-separated numbers from 0 to 9999.
    Numbers,
    Int {
        min: i64,
        max: i64,
    },
    /// A number above `min` (or at least `min` if not `exclusive`), at most
    /// `max`.
    Number {
        min: f64,
        max: f64,
        exclusive: bool,
    },
    /// `true` or `false` (API); a flag without a value (CLI).
    Bool,
    /// `YYYY-MM-DD`.
    Date,
    /// A day: a date `YYYY-MM-DD`, or a month `YYYY-MM` meaning its last
    /// day, the end of the month (read by [`Args::day`]).
    Day,
    /// A month `YYYY-MM`, or a date `YYYY-MM-DD` meaning the last month
    /// complete at its end (its own month on its last day, else the month
    /// before: docs/formulas.md 3.5).
    Month,
    /// RFC 3339, or a date `YYYY-MM-DD` meaning its midnight UTC.
    DateTime,
    /// One of a fixed set.
    OneOf(&'static [&'static str]),
    /// Two whole numbers from `min` to `max`, `lower,upper` (given the other
    /// way round, they are taken in order).
    Range {
        min: i64,
        max: i64,
    },
    /// Several words of a vocabulary (CBV business steps...), or URIs
    /// (anything with a colon) for words of other vocabularies.
    Words(&'static [&'static str]),
}

impl Kind {
    /// Several values may be given.
    pub fn is_list(self) -> bool {
        matches!(
            self,
            Kind::List | Kind::ListOf(_) | Kind::Numbers | Kind::Words(_)
        )
    }

    /// How values are written, for help texts.
    pub fn describe(self) -> String {
        match self {
            Kind::Text => "text".into(),
            Kind::List => "list".into(),
            Kind::ListOf(v) => format!("list of: {}", v.join(", ")),
            Kind::Numbers => "numbers".into(),
            Kind::Int { min, max } => format!("integer, {min} to {max}"),
            Kind::Number {
                min,
                max,
                exclusive: true,
            } => format!("number above {min}, at most {max}"),
            Kind::Number { min, max, .. } => format!("number from {min} to {max}"),
            Kind::Bool => "true or false".into(),
            Kind::Date => "YYYY-MM-DD".into(),
            Kind::Day => "YYYY-MM-DD, or YYYY-MM for the month's last day".into(),
            Kind::Month => "YYYY-MM, or YYYY-MM-DD for the last month complete that day".into(),
            Kind::DateTime => "date and time (RFC 3339) or YYYY-MM-DD".into(),
            Kind::OneOf(v) => v.join(", "),
            Kind::Words(v) => format!("list of: {}, or URIs", v.join(", ")),
            Kind::Range { min, max } => {
                format!("two whole numbers from {min} to {max}: lower,upper")
            }
        }
    }

    /// Checks one value (one element of a list); the error says what is expected.
    pub fn check(self, v: &str) -> Result<(), String> {
        match self {
            Kind::Text | Kind::List => Ok(()),
            Kind::Int { min, max } => match v.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(()),
                _ => Err(format!("expected an integer from {min} to {max}")),
            },
            Kind::Number {
                min,
                max,
                exclusive,
            } => match v.parse::<f64>() {
                Ok(x)
                    if x.is_finite()
                        && x <= max
                        && (if exclusive { x > min } else { x >= min }) =>
                {
                    Ok(())
                }
                _ => Err(format!(
                    "expected a number {} {min}, at most {max}",
                    if exclusive { "above" } else { "of at least" }
                )),
            },
            Kind::Bool => match v {
                "true" | "false" => Ok(()),
                _ => Err("expected true or false".into()),
            },
            Kind::Date => chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map(|_| ())
                .map_err(|_| said(v, "expected a date YYYY-MM-DD (for example 2026-01-31)")),
            Kind::Day => day(v).map(|_| ()).ok_or_else(|| {
                said(
                    v,
                    "expected a date YYYY-MM-DD (for example 2026-01-31) or a month YYYY-MM for its last day",
                )
            }),
            Kind::Month => month(v).map(|_| ()).ok_or_else(|| {
                said(
                    v,
                    "expected a month YYYY-MM (for example 2026-01) or a date YYYY-MM-DD",
                )
            }),
            Kind::DateTime => date_time(v).map(|_| ()).ok_or_else(|| {
                said(
                    v,
                    "expected an RFC 3339 date and time (2026-01-31T00:00:00Z) or a date YYYY-MM-DD",
                )
            }),
            Kind::Words(set) if v.contains(':') || set.contains(&v) => Ok(()),
            Kind::Range { min, max } => {
                let n: Vec<Option<i64>> = v.split(',').map(|x| x.trim().parse().ok()).collect();
                match n.as_slice() {
                    [Some(a), Some(b)] if [a, b].iter().all(|x| (min..=max).contains(*x)) => Ok(()),
                    _ => Err(format!(
                        "expected two whole numbers from {min} to {max}, lower,upper (e.g. 3,5)"
                    )),
                }
            }
            Kind::OneOf(set) | Kind::ListOf(set) | Kind::Words(set) => {
                if set.contains(&v) {
                    Ok(())
                } else {
                    Err(match closest(v, set) {
                        // A long list hides the answer: give the likely one.
                        Some(c) if set.len() > 12 => {
                            format!(
                                "not one of the {} allowed values; did you mean {c}?",
                                set.len()
                            )
                        }
                        Some(c) => format!("expected one of {}; did you mean {c}?", set.join(", ")),
                        None => format!("expected one of {}", set.join(", ")),
                    })
                }
            }
            Kind::Numbers => {
                let (int, frac) = v.split_once('.').unwrap_or((v, "0"));
                let ok = (1..=4).contains(&int.len())
                    && (1..=3).contains(&frac.len())
                    && int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit());
                if ok {
                    Ok(())
                } else {
                    Err("expected comma-separated numbers from 0 to 9999".into())
                }
            }
        }
    }
}

/// An RFC 3339 date and time, or a date taken as its midnight UTC, written
/// back in RFC 3339.
pub fn date_time(v: &str) -> Option<String> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
        return Some(t.to_rfc3339());
    }
    let d = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").ok()?;
    Some(format!("{d}T00:00:00Z"))
}

/// What a date parameter expected, and why `v` is no day if it is written
/// as one ("…; no such day: February 2026 has 28 days").
fn said(v: &str, expected: &str) -> String {
    match no_such_day(v) {
        Some(why) => format!("{expected}; {why}"),
        None => expected.to_string(),
    }
}

/// Why a date written YYYY-MM-DD (alone or starting a date and time), its
/// month and day in range, is no day of the calendar ("2026-02-29":
/// February 2026 has 28 days), if so.
fn no_such_day(v: &str) -> Option<String> {
    let date = v
        .get(..10)
        .filter(|_| v.len() == 10 || v[10..].starts_with('T'))?;
    let (y, rest) = date.split_once('-')?;
    let (m, d) = rest.split_once('-')?;
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (i32, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    if chrono::NaiveDate::from_ymd_opt(y, m, d).is_some() {
        return None;
    }
    let first = chrono::NaiveDate::from_ymd_opt(y, m, 1)?;
    let days = equitas_ledger::calendar::days_in_month(equitas_ledger::calendar::month_of(
        equitas_ledger::calendar::day_of(first),
    ));
    Some(format!(
        "no such day: {} has {days} days",
        first.format("%B %Y")
    ))
}

/// The most values a list parameter takes.
pub const MAX_LIST: usize = 1000;

/// A month `YYYY-MM`, or the last month complete at the end of a date
/// `YYYY-MM-DD` (its own month if it is the month's last day, else the
/// month before).
pub fn month(v: &str) -> Option<equitas_ledger::calendar::MonthIndex> {
    use equitas_ledger::calendar;
    calendar::parse_month(v).or_else(|| full_date(v).map(calendar::last_complete_month))
}

/// A date written in full, `YYYY-MM-DD` (chrono would take 2026-01-1).
fn full_date(v: &str) -> Option<equitas_ledger::calendar::Day> {
    (v.len() == 10)
        .then(|| equitas_ledger::calendar::parse_day(v))
        .flatten()
}

/// A date `YYYY-MM-DD`, or the last day of a month `YYYY-MM` (the stock at
/// the month's end is the stock at the end of its last day).
pub fn day(v: &str) -> Option<equitas_ledger::calendar::Day> {
    use equitas_ledger::calendar;
    full_date(v).or_else(|| calendar::parse_month(v).map(calendar::month_end))
}

/// The allowed value a misspelt one most likely meant
/// ([`equitas_model::suggest`]).
fn closest<'a>(v: &str, set: &[&'a str]) -> Option<&'a str> {
    equitas_model::suggest::did_you_mean(v, set.iter().map(|s| (*s, *s)))
}

/// Where a parameter can be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Both,
    /// Only in the API (paging).
    Api,
    /// Only on the command line (files on the user's machine, unbounded work).
    Cli,
}

/// One parameter of an operation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Param {
    /// Its name in the API (`lead_time`).
    pub name: &'static str,
    /// Its option on the command line, when not the name with dashes.
    pub cli: Option<&'static str>,
    pub kind: Kind,
    /// The value used when none is given, as it would be written.
    pub default: Option<&'static str>,
    /// What it means (one sentence, without the default: that is added).
    pub doc: &'static str,
    pub surface: Surface,
}

impl Param {
    pub const fn new(name: &'static str, kind: Kind, doc: &'static str) -> Self {
        Param {
            name,
            cli: None,
            kind,
            default: None,
            doc,
            surface: Surface::Both,
        }
    }

    pub const fn default(mut self, v: &'static str) -> Self {
        self.default = Some(v);
        self
    }

    pub const fn cli(mut self, option: &'static str) -> Self {
        self.cli = Some(option);
        self
    }

    pub const fn api_only(mut self) -> Self {
        self.surface = Surface::Api;
        self
    }

    pub const fn cli_only(mut self) -> Self {
        self.surface = Surface::Cli;
        self
    }

    /// The command-line option, without its dashes.
    pub fn option(&self) -> String {
        self.cli
            .map_or_else(|| self.name.replace('_', "-"), str::to_string)
    }

    /// The meaning with the default, for help texts and the API description.
    pub fn help(&self) -> String {
        match self.default {
            Some(d) if self.kind != Kind::Bool => format!("{} (default {d})", self.doc),
            _ => self.doc.to_string(),
        }
    }
}

/// A value with the parameter it was given for, as the caller named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Given {
    pub param: String,
    pub value: String,
}

/// Who is asking, so that errors name parameters as the caller wrote them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Api,
    Cli,
}

/// The values given for an operation's parameters, checked against their
/// descriptions. Values are read by the operation's request with the typed
/// getters, which apply the documented default.
#[derive(Debug)]
pub struct Args {
    params: Vec<Param>,
    values: HashMap<&'static str, Vec<String>>,
    style: Style,
    read: RefCell<BTreeSet<&'static str>>,
}

impl Args {
    /// From a URL query's pairs: unknown parameters, and those only the CLI
    /// takes, are refused (so that typos do not pass silently); a parameter
    /// given twice is as an option given twice (a list takes every value;
    /// another is refused: which value was meant is not guessed).
    pub fn api<'q>(
        params: Vec<Param>,
        query: impl IntoIterator<Item = (&'q String, &'q String)>,
    ) -> Result<Self, ServiceError> {
        let mut given: Vec<(&'static str, Vec<String>)> = Vec::new();
        for (k, v) in query {
            let Some(p) = params
                .iter()
                .find(|p| p.name == k && p.surface != Surface::Cli)
            else {
                let known: Vec<&str> = params
                    .iter()
                    .filter(|p| p.surface != Surface::Cli)
                    .map(|p| p.name)
                    .collect();
                return Err(ServiceError::BadParameter {
                    param: k.clone(),
                    reason: if known.is_empty() {
                        format!("unknown parameter {k:?}; this endpoint takes none")
                    } else {
                        format!(
                            "unknown parameter {k:?}; this endpoint takes: {}",
                            known.join(", ")
                        )
                    },
                });
            };
            match given.iter_mut().find(|g| g.0 == p.name) {
                Some(g) => g.1.push(v.clone()),
                None => given.push((p.name, vec![v.clone()])),
            }
        }
        Self::new(params, given, Style::Api)
    }

    /// From the command line: `given` holds, by parameter name, the values
    /// of each option given (a repeated option gives several).
    pub fn cli(
        params: Vec<Param>,
        given: Vec<(&'static str, Vec<String>)>,
    ) -> Result<Self, ServiceError> {
        Self::new(params, given, Style::Cli)
    }

    fn new(
        params: Vec<Param>,
        given: Vec<(&'static str, Vec<String>)>,
        style: Style,
    ) -> Result<Self, ServiceError> {
        let mut values = HashMap::new();
        for (name, raw) in given {
            let Some(p) = params.iter().find(|p| p.name == name) else {
                return Err(ServiceError::Internal(format!(
                    "parameter {name} is not declared"
                )));
            };
            let mut vs = Vec::new();
            for r in &raw {
                if p.kind.is_list() {
                    vs.extend(
                        r.split(',')
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(str::to_string),
                    );
                } else {
                    let t = r.trim();
                    if t.is_empty() && p.kind != Kind::Text {
                        // `as_of=` is not "no date": say what is expected.
                        return Err(bad(
                            style,
                            p,
                            format!("no value; expected {}", p.kind.describe()),
                        ));
                    }
                    // An empty text with a default (a scenario file of
                    // nothing) is not the default, which it ran until
                    // 2026-12-07 (a user pass): refused.
                    if t.is_empty() && p.default.is_some() {
                        return Err(bad(
                            style,
                            p,
                            "empty: give a value, or leave the parameter out for its default"
                                .into(),
                        ));
                    }
                    if !t.is_empty() {
                        vs.push(t.to_string());
                    }
                }
            }
            if !p.kind.is_list() && vs.len() > 1 {
                return Err(bad(style, p, "given more than once".into()));
            }
            // A list is a filter a person or a client writes out: a bound
            // keeps a hostile one from reaching the database's limit on
            // query parameters (30,000 values answered 500 until
            // 2026-12-08).
            if vs.len() > MAX_LIST {
                return Err(bad(
                    style,
                    p,
                    format!("{} values: at most {MAX_LIST}", vs.len()),
                ));
            }
            for v in &vs {
                p.kind
                    .check(v)
                    .map_err(|why| bad(style, p, format!("{v:?}: {why}")))?;
            }
            if !vs.is_empty() {
                values.insert(p.name, vs);
            }
        }
        Ok(Args {
            params,
            values,
            style,
            read: RefCell::default(),
        })
    }

    pub fn style(&self) -> Style {
        self.style
    }

    /// The parameter as the caller names it: `lead_time` or `--lead-time`.
    pub fn display(&self, name: &str) -> String {
        match self.param(name) {
            Ok(p) => display(self.style, p),
            Err(_) => name.to_string(),
        }
    }

    /// `e` with the parameter it names (by its API name, as errors raised
    /// after parsing name them) named as the caller writes it.
    pub fn as_caller_names(&self, mut e: ServiceError) -> ServiceError {
        if let Some(param) = e.parameter_mut() {
            *param = self.display(param);
        }
        e
    }

    /// An error about the parameter `name`, named as the caller wrote it.
    pub fn bad(&self, name: &str, reason: impl Into<String>) -> ServiceError {
        ServiceError::BadParameter {
            param: self.display(name),
            reason: reason.into(),
        }
    }

    fn param(&self, name: &str) -> Result<&Param, ServiceError> {
        self.params
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| ServiceError::Internal(format!("parameter {name} is not declared")))
    }

    /// The raw values given, or the default's.
    fn raw(&self, name: &str) -> Result<Vec<String>, ServiceError> {
        let p = self.param(name)?;
        self.read.borrow_mut().insert(p.name);
        if let Some(v) = self.values.get(p.name) {
            return Ok(v.clone());
        }
        Ok(match p.default {
            None => Vec::new(),
            Some(d) if p.kind.is_list() => d.split(',').map(str::to_string).collect(),
            Some(d) => vec![d.to_string()],
        })
    }

    fn parse<T: FromStr>(&self, name: &str, v: &str) -> Result<T, ServiceError>
    where
        T::Err: std::fmt::Display,
    {
        v.parse::<T>()
            .map_err(|e| self.bad(name, format!("{v:?}: {e}")))
    }

    /// The value given, with the parameter named as the caller wrote it,
    /// for errors found when the request is run (a location not held).
    pub fn named(&self, name: &str) -> Result<Option<Given>, ServiceError> {
        Ok(self.get::<String>(name)?.map(|value| Given {
            param: self.display(name),
            value,
        }))
    }

    /// The value, or the default, or none.
    pub fn get<T: FromStr>(&self, name: &str) -> Result<Option<T>, ServiceError>
    where
        T::Err: std::fmt::Display,
    {
        self.raw(name)?
            .first()
            .map(|v| self.parse(name, v))
            .transpose()
    }

    /// True if the caller gave the parameter (not only its default).
    pub fn given(&self, name: &str) -> Result<bool, ServiceError> {
        let p = self.param(name)?;
        self.read.borrow_mut().insert(p.name);
        Ok(self.values.contains_key(p.name))
    }

    /// The value or the default; the parameter must have a default.
    pub fn value<T: FromStr>(&self, name: &str) -> Result<T, ServiceError>
    where
        T::Err: std::fmt::Display,
    {
        self.get(name)?
            .ok_or_else(|| ServiceError::Internal(format!("parameter {name} has no default")))
    }

    /// Every value given (or the default's).
    pub fn list<T: FromStr>(&self, name: &str) -> Result<Vec<T>, ServiceError>
    where
        T::Err: std::fmt::Display,
    {
        self.raw(name)?
            .iter()
            .map(|v| self.parse(name, v))
            .collect()
    }

    /// A flag: given (`true`) or not.
    pub fn flag(&self, name: &str) -> Result<bool, ServiceError> {
        Ok(self.get::<bool>(name)?.unwrap_or(false))
    }

    /// A `Kind::Range`'s two numbers, lower first.
    pub fn range(&self, name: &str) -> Result<Option<(i64, i64)>, ServiceError> {
        let Some(v) = self.get::<String>(name)? else {
            return Ok(None);
        };
        let n: Vec<i64> = v
            .split(',')
            .map(|x| x.trim().parse::<i64>())
            .collect::<Result<_, _>>()
            .map_err(|e| self.bad(name, format!("{v:?}: {e}")))?;
        match n.as_slice() {
            [a, b] => Ok(Some(((*a).min(*b), (*a).max(*b)))),
            _ => Err(self.bad(name, format!("{v:?}: expected two numbers, lower,upper"))),
        }
    }

    /// A date as a ledger day ([`day`]: a month is its last day): one of
    /// stock held, so not after today anywhere (UTC's day or the next),
    /// which the data cannot cover ([`ServiceError::OutsideData`]).
    pub fn day(&self, name: &str) -> Result<Option<i32>, ServiceError> {
        use equitas_ledger::calendar;
        let Some(s) = self.get::<String>(name)? else {
            return Ok(None);
        };
        let d = day(&s).ok_or_else(|| {
            self.bad(
                name,
                format!("{s:?} is not a date (YYYY-MM-DD) or a month (YYYY-MM)"),
            )
        })?;
        // Today anywhere on Earth: UTC's, or the next day east of it (up to
        // UTC+14), where a local day's events may already be held.
        // A month is complete once its last day has come in UTC (not a day
        // early east of it: its AMC would miss a day).
        let today = equitas_store::today();
        let month = full_date(&s).is_none();
        if d > today + i32::from(!month) {
            let given = if month {
                format!("{} ends on {}, which", s.trim(), calendar::format_day(d))
            } else {
                s.clone()
            };
            return Err(ServiceError::OutsideData {
                param: self.display(name),
                reason: format!(
                    "{given} is after today ({}): stock is known up to today; what lies ahead is \
                     the forecast's and the plan's",
                    calendar::format_day(today)
                ),
            });
        }
        Ok(Some(d))
    }

    /// A month (a date: the last month complete that day).
    pub fn month(
        &self,
        name: &str,
    ) -> Result<Option<equitas_ledger::calendar::MonthIndex>, ServiceError> {
        match self.get::<String>(name)? {
            None => Ok(None),
            Some(s) => month(&s)
                .map(Some)
                .ok_or_else(|| self.bad(name, format!("{s:?} is not a month (YYYY-MM)"))),
        }
    }

    /// A date and time in RFC 3339 (a bare date is its midnight UTC).
    pub fn date_time(&self, name: &str) -> Result<Option<String>, ServiceError> {
        Ok(self.get::<String>(name)?.and_then(|s| date_time(&s)))
    }

    /// The parameters read so far (a test checks that a request reads every
    /// parameter it documents).
    pub fn read(&self) -> BTreeSet<&'static str> {
        self.read.borrow().clone()
    }

    /// The raw values given, by name, in a stable order (to key cached answers).
    pub fn key(&self, path: &str) -> String {
        let mut kv: Vec<(&&str, &Vec<String>)> = self.values.iter().collect();
        kv.sort();
        let mut k = path.to_string();
        for (name, vs) in kv {
            k.push('\n');
            k.push_str(name);
            k.push('=');
            k.push_str(&vs.join(","));
        }
        k
    }
}

fn display(style: Style, p: &Param) -> String {
    match style {
        Style::Api => p.name.to_string(),
        Style::Cli => format!("--{}", p.option()),
    }
}

fn bad(style: Style, p: &Param, reason: String) -> ServiceError {
    ServiceError::BadParameter {
        param: display(style, p),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEAD: Param =
        Param::new("lead_time", Kind::Int { min: 0, max: 60 }, "Months.").default("4");
    const FROM: Param = Param::new("from", Kind::Date, "From.");
    const STEP: Param = Param::new(
        "biz_step",
        Kind::ListOf(&["receiving", "shipping"]),
        "Steps.",
    )
    .cli("biz-step");

    fn q(kv: &[(&str, &str)]) -> HashMap<String, String> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_day_may_be_a_month_meaning_its_last_day() {
        use equitas_ledger::calendar::{format_day, parse_day};
        for (given, want) in [
            ("2026-02", Some("2026-02-28")),
            ("2024-02", Some("2024-02-29")),
            ("2026-12", Some("2026-12-31")),
            ("2026-02-10", Some("2026-02-10")),
            ("2026-02-30", None),
            ("2026-13", None),
            ("2026-1", None),
            ("2026-01-1", None),
            ("31/01/2026", None),
            ("", None),
        ] {
            assert_eq!(day(given).map(format_day).as_deref(), want, "{given}");
            assert_eq!(Kind::Day.check(given).is_ok(), want.is_some(), "{given}");
        }
        // Read through the arguments: the same day either way.
        const AS_OF: Param = Param::new("as_of", Kind::Day, "Day.");
        let read =
            |v: &str| Args::api(vec![AS_OF], &q(&[("as_of", v)])).and_then(|a| a.day("as_of"));
        assert_eq!(read("2025-11").unwrap(), parse_day("2025-11-30"));
        let e = read("2025/11").unwrap_err().to_string();
        assert!(e.contains("YYYY-MM"), "{e}");
    }

    #[test]
    fn a_list_has_at_most_max_list_values() {
        const ITEMS: Param = Param::new("item", Kind::List, "Items.");
        let many = |n: usize| (0..n).map(|i| i.to_string()).collect::<Vec<_>>().join(",");
        let a = Args::api(vec![ITEMS], &q(&[("item", &many(MAX_LIST))])).unwrap();
        assert_eq!(a.list::<String>("item").unwrap().len(), MAX_LIST);
        let e = Args::api(vec![ITEMS], &q(&[("item", &many(MAX_LIST + 1))])).unwrap_err();
        assert_eq!(e.parameter(), Some("item"));
        assert!(e.to_string().contains("at most 1000"), "{e}");
    }

    #[test]
    fn defaults_come_from_the_description() {
        let a = Args::api(vec![LEAD, FROM], &q(&[])).unwrap();
        assert_eq!(a.value::<usize>("lead_time").unwrap(), 4);
        assert_eq!(a.day("from").unwrap(), None);
        let a = Args::api(vec![LEAD], &q(&[("lead_time", "7")])).unwrap();
        assert_eq!(a.value::<usize>("lead_time").unwrap(), 7);
    }

    #[test]
    fn errors_name_the_parameter_as_the_caller_wrote_it() {
        let e = Args::api(vec![LEAD], &q(&[("lead_time", "-1")])).unwrap_err();
        assert_eq!(e.parameter(), Some("lead_time"));
        let e = Args::cli(vec![LEAD], vec![("lead_time", vec!["-1".into()])]).unwrap_err();
        assert_eq!(e.parameter(), Some("--lead-time"));
        let e = Args::cli(vec![FROM], vec![("from", vec!["2026-13-01".into()])]).unwrap_err();
        assert_eq!(e.parameter(), Some("--from"));
        let e = Args::cli(vec![FROM], vec![("from", vec!["yesterday".into()])]).unwrap_err();
        assert!(e.to_string().contains("YYYY-MM-DD"), "{e}");
        // A day the calendar lacks is named as such.
        let e = Args::cli(vec![FROM], vec![("from", vec!["2026-02-29".into()])]).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("no such day: February 2026 has 28 days"),
            "{e}"
        );
        let e = Args::api(vec![FROM], &q(&[("from", "2028-04-31")])).unwrap_err();
        assert!(e.to_string().contains("April 2028 has 30 days"), "{e}");
        assert!(no_such_day("2028-02-29").is_none() && no_such_day("2026-13-01").is_none());
        assert_eq!(
            no_such_day("2025-06-31T00:00:00Z").as_deref(),
            Some("no such day: June 2025 has 30 days")
        );
        let e = Args::cli(vec![STEP], vec![("biz_step", vec!["recieving".into()])]).unwrap_err();
        assert_eq!(e.parameter(), Some("--biz-step"));
        assert!(e.to_string().contains("did you mean receiving"), "{e}");
        let e = Args::api(vec![LEAD], &q(&[("lead", "1")])).unwrap_err();
        assert!(
            e.to_string().contains("this endpoint takes: lead_time"),
            "{e}"
        );
    }

    #[test]
    fn an_empty_value_is_not_a_missing_one() {
        let e = Args::api(vec![FROM], &q(&[("from", "")])).unwrap_err();
        assert_eq!(e.parameter(), Some("from"));
        assert!(e.to_string().contains("no value"), "{e}");
        // An empty list is no filter.
        assert!(Args::api(vec![STEP], &q(&[("biz_step", "")])).is_ok());
    }

    #[test]
    fn lists_split_on_commas_and_repeat() {
        let a = Args::cli(
            vec![STEP],
            vec![(
                "biz_step",
                vec!["receiving,shipping".into(), "receiving".into()],
            )],
        )
        .unwrap();
        assert_eq!(
            a.list::<String>("biz_step").unwrap(),
            vec!["receiving", "shipping", "receiving"]
        );
    }

    #[test]
    fn months_take_a_date_as_its_last_complete_month() {
        use equitas_ledger::calendar::parse_month;
        const AS_OF: Param = Param::new("as_of", Kind::Month, "Month.");
        let m = |v: &str| {
            Args::api(vec![AS_OF], &q(&[("as_of", v)]))
                .and_then(|a| a.month("as_of"))
                .map_err(|e| e.to_string())
        };
        assert_eq!(m("2026-03"), Ok(parse_month("2026-03")));
        // A month's last day counts the month as complete (formulas 3.5) ...
        assert_eq!(m("2026-03-31"), Ok(parse_month("2026-03")));
        assert_eq!(m("2024-02-29"), Ok(parse_month("2024-02")));
        // ... any other day, the month before.
        assert_eq!(m("2026-03-30"), Ok(parse_month("2026-02")));
        assert_eq!(m("2026-01-01"), Ok(parse_month("2025-12")));
        for bad in ["2026-13", "2026-3", "March", "2026-02-30", "2026-01-1"] {
            let e = m(bad).unwrap_err();
            assert!(e.contains("as_of") && e.contains("YYYY-MM"), "{bad}: {e}");
        }
        assert_eq!(
            Args::api(vec![AS_OF], &q(&[]))
                .unwrap()
                .month("as_of")
                .unwrap(),
            None
        );
        for v in equitas_doc_vectors::vectors("as_of_month") {
            let (given, want) = (v["as_of"].as_str().unwrap(), v["last_month"].as_str());
            assert_eq!(m(given), Ok(want.and_then(parse_month)), "{v}");
        }
    }

    #[test]
    fn date_times_take_a_bare_date() {
        assert_eq!(
            date_time("2026-01-31").as_deref(),
            Some("2026-01-31T00:00:00Z")
        );
        assert!(date_time("2026-02-30").is_none());
        assert!(date_time("2026-01-31T10:00:00+01:00").is_some());
    }
}
