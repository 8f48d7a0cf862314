//! Parsers for the market's reference inputs: international reference
//! prices, standard treatment courses, wages, marketing authorisations and
//! the WHO prequalification list. Each returns good rows with their line
//! and a [`RowError`] per bad row.

use crate::analysis::{ReferencePrice, TreatmentCourse, Wage};
use chrono::NaiveDate;
use chrono::format::{ParseErrorKind, Parsed as DateFields, StrftimeItems};
use equitas_model::reference::{Parsed, Table, cell, number_cell};
use equitas_model::{RowError, RowErrors, slug};
use serde::Serialize;
use std::io::Read;

/// A reference price row (the product code must exist; the store checks).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReferencePriceRow {
    pub price: ReferencePrice,
    pub unit: Option<String>,
    pub year: Option<i32>,
}

/// A marketing authorisation granted by a national regulator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Authorisation {
    pub country: String,
    pub number: String,
    pub product_name: String,
    /// Equitas product code, where the authorisation maps to one.
    pub product: Option<String>,
    pub holder: String,
    pub manufacturer: Option<String>,
    /// e.g. "valid", "suspended", "withdrawn".
    pub status: String,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
}

/// A WHO-prequalified product.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prequalified {
    /// "vaccines", "medicines", "diagnostics"...
    pub programme: String,
    pub reference: String,
    pub product_type: String,
    pub commercial_name: Option<String>,
    pub presentation: Option<String>,
    pub doses: Option<String>,
    pub manufacturer: String,
    pub regulator: Option<String>,
    pub prequalified_on: Option<NaiveDate>,
}

/// Reads a date cell with the first of the chrono `formats` it fits.
/// `Ok(None)`: the cell has the shape of none of them (a reason written in
/// place of a date, such as SCMS's "Date Not Captured", left to the caller
/// to keep as a gap or reject); `Err`: the reason a cell that has a date's
/// shape but names a day the calendar lacks ("31-Feb-08": February 2008 has
/// 29 days; a month 13) is refused, never taken for text.
pub fn date_cell(s: &str, formats: &[&str]) -> Result<Option<NaiveDate>, String> {
    let s = s.trim();
    let mut impossible = None;
    for f in formats {
        let mut p = DateFields::new();
        match chrono::format::parse(&mut p, s, StrftimeItems::new(f)) {
            Ok(()) => match p.to_naive_date() {
                Ok(d) => return Ok(Some(d)),
                Err(_) => {
                    impossible
                        .get_or_insert_with(|| format!("{s:?} is not a date: {}", why_not(&p)));
                }
            },
            Err(e) if e.kind() == ParseErrorKind::OutOfRange => {
                impossible.get_or_insert_with(|| {
                    format!("{s:?} is not a date: its day or month is out of range (days 1 to 31, months 1 to 12; {f})")
                });
            }
            Err(_) => {}
        }
    }
    impossible.map_or(Ok(None), Err)
}

/// Why date fields read whole make no date: the day the month lacks.
fn why_not(p: &DateFields) -> String {
    let first = |month: u32| {
        let mut q = DateFields::new();
        let year = match (p.year(), p.year_mod_100()) {
            (Some(y), _) => q.set_year(y.into()),
            (None, Some(y)) => q.set_year_mod_100(y.into()),
            (None, None) => return None,
        };
        year.ok()?;
        q.set_month(month.into()).ok()?;
        q.set_day(1).ok()?;
        q.to_naive_date().ok()
    };
    if let (Some(m), Some(day)) = (p.month(), p.day())
        && let Some(start) = first(m)
    {
        let days = start
            .checked_add_months(chrono::Months::new(1))
            .map_or(31, |next| (next - start).num_days());
        if i64::from(day) > days {
            return format!("{} has {days} days", start.format("%B %Y"));
        }
    }
    "no such day in the calendar".to_string()
}

/// One CSV record being read, with its line for errors: the cell readers
/// every register parser shares (`equitas-supply` too).
pub struct Reader<'a> {
    pub rec: &'a csv::StringRecord,
    pub line: u64,
}

impl Reader<'_> {
    pub fn text(&self, i: Option<usize>, field: &str) -> Result<String, RowError> {
        cell(self.rec, i)
            .map(str::to_string)
            .ok_or_else(|| RowError::new(self.line, field, "empty"))
    }
    pub fn opt(&self, i: Option<usize>) -> Option<String> {
        cell(self.rec, i).map(str::to_string)
    }
    pub fn positive(&self, i: Option<usize>, field: &str) -> Result<f64, RowError> {
        let s = self.text(i, field)?;
        match number_cell(&s) {
            Ok(Some(v)) if v > 0.0 => Ok(v),
            Err(why) => Err(RowError::new(self.line, field, why)),
            _ => Err(RowError::new(
                self.line,
                field,
                format!("{s:?} is not a positive number"),
            )),
        }
    }
    pub fn year(&self, i: Option<usize>, field: &str) -> Result<Option<i32>, RowError> {
        match cell(self.rec, i) {
            None => Ok(None),
            Some(s) => match s.parse::<i32>() {
                Ok(y) if (1900..=2200).contains(&y) => Ok(Some(y)),
                _ => Err(RowError::new(
                    self.line,
                    field,
                    format!("{s:?} is not a year"),
                )),
            },
        }
    }
    pub fn date(
        &self,
        i: Option<usize>,
        field: &str,
        formats: &[&str],
    ) -> Result<Option<NaiveDate>, RowError> {
        match cell(self.rec, i) {
            None => Ok(None),
            Some(s) => match date_cell(s, formats) {
                Ok(Some(d)) => Ok(Some(d)),
                // A date written in another order says how to write it
                // (`01/01/2020` where the file's dates are YYYY-MM-DD).
                Ok(None) => Err(RowError::new(
                    self.line,
                    field,
                    match (crate::generic::DateShape::of(s.trim()), formats) {
                        (Some(shape), [f]) => {
                            crate::generic::not_in_format(s.trim(), f, Some(&shape), false)
                        }
                        _ => format!("{s:?} is not a date ({})", formats.join(" or ")),
                    },
                )),
                Err(why) => Err(RowError::new(self.line, field, why)),
            },
        }
    }
    pub fn iso3(&self, i: Option<usize>, field: &str) -> Result<String, RowError> {
        let s = self.text(i, field)?;
        if s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(s)
        } else {
            Err(RowError::new(
                self.line,
                field,
                format!("{s:?} is not an ISO 3166-1 alpha-3 code"),
            ))
        }
    }
}

/// Reads a CSV with the named `columns` (name, required), giving `row` the
/// record and each column's index; a missing required column fails the file.
pub fn parse_rows<R: Read, T>(
    r: R,
    columns: &[(&str, bool)],
    mut row: impl FnMut(&Reader, &[Option<usize>]) -> Result<T, RowErrors>,
) -> Result<Parsed<T>, RowError> {
    let mut t = Table::new(r)?;
    let mut idx = Vec::new();
    for (name, required) in columns {
        idx.push(if *required {
            Some(t.require(name)?)
        } else {
            t.column(name)
        });
    }
    Ok(t.parse(|rec, line| row(&Reader { rec, line }, &idx)))
}

/// Columns: `product` (Equitas product code), `price_usd` (per comparison
/// unit), `source`, optional `unit`, `year`.
pub fn parse_reference_prices<R: Read>(r: R) -> Result<Parsed<ReferencePriceRow>, RowError> {
    parse_rows(
        r,
        &[
            ("product", true),
            ("price_usd", true),
            ("source", true),
            ("unit", false),
            ("year", false),
        ],
        |x, i| {
            let mut e = RowErrors::default();
            let (Some(product), Some(price_usd), Some(source), Some(year)) = (
                e.field(x.text(i[0], "product")),
                e.field(x.positive(i[1], "price_usd")),
                e.field(x.text(i[2], "source")),
                e.field(x.year(i[4], "year")),
            ) else {
                return Err(e);
            };
            Ok(ReferencePriceRow {
                price: ReferencePrice {
                    product,
                    price_usd,
                    source,
                },
                unit: x.opt(i[3]),
                year,
            })
        },
    )
}

/// Columns: `product`, `units` (comparison units per course), `description`, `source`.
pub fn parse_courses<R: Read>(r: R) -> Result<Parsed<TreatmentCourse>, RowError> {
    parse_rows(
        r,
        &[
            ("product", true),
            ("units", true),
            ("description", true),
            ("source", true),
        ],
        |x, i| {
            let mut e = RowErrors::default();
            let (Some(product), Some(units), Some(description), Some(source)) = (
                e.field(x.text(i[0], "product")),
                e.field(x.positive(i[1], "units")),
                e.field(x.text(i[2], "description")),
                e.field(x.text(i[3], "source")),
            ) else {
                return Err(e);
            };
            Ok(TreatmentCourse {
                product,
                units,
                description,
                source,
            })
        },
    )
}

/// Columns: `country` (ISO3), `daily_wage`, `currency`, `exchange_rate`
/// (local currency units per US$), `source`, optional `year`.
pub fn parse_wages<R: Read>(r: R) -> Result<Parsed<Wage>, RowError> {
    parse_rows(
        r,
        &[
            ("country", true),
            ("daily_wage", true),
            ("currency", true),
            ("exchange_rate", true),
            ("source", true),
            ("year", false),
        ],
        |x, i| {
            let mut e = RowErrors::default();
            let (
                Some(country),
                Some(daily_wage),
                Some(currency),
                Some(exchange_rate),
                Some(source),
                Some(year),
            ) = (
                e.field(x.iso3(i[0], "country")),
                e.field(x.positive(i[1], "daily_wage")),
                e.field(x.text(i[2], "currency")),
                e.field(x.positive(i[3], "exchange_rate")),
                e.field(x.text(i[4], "source")),
                e.field(x.year(i[5], "year")),
            )
            else {
                return Err(e);
            };
            Ok(Wage {
                country,
                daily_wage,
                currency,
                exchange_rate,
                source,
                year,
            })
        },
    )
}

/// The statuses of a marketing authorisation; only `valid` counts as an
/// authorised source (docs/formulas.md 6.3).
pub const AUTHORISATION_STATUSES: &[&str] = &[
    "valid",
    "suspended",
    "withdrawn",
    "expired",
    "cancelled",
    "pending",
];

/// A status as written (any case; French accepted, masculine or feminine,
/// with or without accents; every trailing `e` is dropped before matching,
/// hence `activ`) in its English form, or `None` if it is not one: a status that silently never counted (`valide`, `active`) would
/// leave a country without its authorised sources (user pass).
pub fn authorisation_status(s: &str) -> Option<&'static str> {
    let t = s.trim().to_lowercase();
    let t = t.trim_end_matches('e').replace(['é', 'è'], "e");
    Some(match t.as_str() {
        // What registers write for an authorisation in force.
        "valid" | "valide" | "registered" | "approved" | "granted" | "activ" | "enregistre"
        | "approuve" | "autorise" | "actif" | "en vigueur" => "valid",
        "suspended" | "suspendu" => "suspended",
        "withdrawn" | "retire" => "withdrawn",
        "expired" | "expire" => "expired",
        "cancelled" | "canceled" | "annule" => "cancelled",
        "pending" | "en attent" => "pending",
        _ => return None,
    })
}

/// Columns: `country`, `number`, `product_name`, `holder`, `status`,
/// optional `product` (Equitas code), `manufacturer`, `valid_from`, `valid_to` (YYYY-MM-DD).
pub fn parse_authorisations<R: Read>(r: R) -> Result<Parsed<Authorisation>, RowError> {
    parse_rows(
        r,
        &[
            ("country", true),
            ("number", true),
            ("product_name", true),
            ("holder", true),
            ("status", true),
            ("product", false),
            ("manufacturer", false),
            ("valid_from", false),
            ("valid_to", false),
        ],
        |x, i| {
            let mut e = RowErrors::default();
            let (
                Some(country),
                Some(number),
                Some(product_name),
                Some(holder),
                Some(status),
                Some(valid_from),
                Some(valid_to),
            ) = (
                e.field(x.iso3(i[0], "country")),
                e.field(x.text(i[1], "number")),
                e.field(x.text(i[2], "product_name")),
                e.field(x.text(i[3], "holder")),
                e.field(
                    x.text(i[4], "status")
                    .and_then(|s| authorisation_status(&s).ok_or_else(|| {
                        RowError::new(
                            x.line,
                            "status",
                            format!(
                                "{s:?} is not one of {} (registered, approved, granted and active mean valid; in French: valide, suspendue, retirée, expirée, annulée, en attente)",
                                AUTHORISATION_STATUSES.join(", ")
                            ),
                        )
                    })),
                ),
                e.field(x.date(i[7], "valid_from", &["%Y-%m-%d"])),
                e.field(x.date(i[8], "valid_to", &["%Y-%m-%d"])),
            )
            else {
                return Err(e);
            };
            if let (Some(f), Some(t)) = (valid_from, valid_to)
                && t < f
            {
                return Err(RowError::new(x.line, "valid_to", "before valid_from").into());
            }
            Ok(Authorisation {
                country,
                number,
                product_name,
                holder,
                status: status.to_string(),
                product: x.opt(i[5]),
                manufacturer: x.opt(i[6]),
                valid_from,
                valid_to,
            })
        },
    )
}

/// The WHO list of prequalified vaccines (columns `Date of Prequalification`,
/// `Vaccine Type`, `Commercial Name`, `Presentation`, `No. of doses`,
/// `Manufacturer`, `Responsible NRA`; dates DD/MM/YYYY).
pub fn parse_who_pq_vaccines<R: Read>(r: R) -> Result<Parsed<Prequalified>, RowError> {
    parse_rows(
        r,
        &[
            ("Date of Prequalification", true),
            ("Vaccine Type", true),
            ("Commercial Name", false),
            ("Presentation", false),
            ("No. of doses", false),
            ("Manufacturer", true),
            ("Responsible NRA", false),
        ],
        |x, i| {
            let mut e = RowErrors::default();
            let (Some(prequalified_on), Some(product_type), Some(manufacturer)) = (
                e.field(x.date(i[0], "Date of Prequalification", &["%d/%m/%Y"])),
                e.field(x.text(i[1], "Vaccine Type")),
                e.field(x.text(i[5], "Manufacturer")),
            ) else {
                return Err(e);
            };
            let p = Prequalified {
                programme: "vaccines".into(),
                reference: String::new(),
                prequalified_on,
                product_type,
                commercial_name: x.opt(i[2]),
                presentation: x.opt(i[3]),
                doses: x.opt(i[4]),
                manufacturer,
                regulator: x.opt(i[6]),
            };
            // The list has no identifier: the key is made of what tells entries apart.
            let reference = slug(&format!(
                "{} {} {} {} {} {}",
                p.product_type,
                p.commercial_name.as_deref().unwrap_or(""),
                p.presentation.as_deref().unwrap_or(""),
                p.doses.as_deref().unwrap_or(""),
                p.manufacturer,
                p.prequalified_on.map(|d| d.to_string()).unwrap_or_default()
            ));
            Ok(Prequalified { reference, ..p })
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A marketing authorisation's status is one of a list (French
    /// accepted), else the row is refused naming it: `valide` had been
    /// kept and never counted as valid (user pass).
    #[test]
    fn authorisation_statuses_are_checked() {
        for (written, kept) in [
            ("Valid", "valid"),
            ("valide", "valid"),
            ("VALIDE", "valid"),
            ("suspendue", "suspended"),
            ("Retirée", "withdrawn"),
            ("expiré", "expired"),
            ("annulée", "cancelled"),
            ("En attente", "pending"),
            ("withdrawn", "withdrawn"),
            ("Registered", "valid"),
            ("Active", "valid"),
            ("Enregistrée", "valid"),
        ] {
            assert_eq!(authorisation_status(written), Some(kept), "{written}");
        }
        let a = "country,number,product_name,holder,status\nKEN,H1,EFV 600,Cipla,valide\nKEN,H2,EFV 600,Mylan,lapsed\n";
        let p = parse_authorisations(a.as_bytes()).unwrap();
        assert_eq!(p.records.len(), 1);
        assert_eq!(p.records[0].1.status, "valid");
        let e = p.errors[0].to_string();
        assert!(
            e.starts_with("line 3, field `status`: \"lapsed\" is not one of valid, suspended"),
            "{e}"
        );
    }

    #[test]
    fn bad_rows_name_line_and_field() {
        let csv = "product,price_usd,source\nefv,0.05,MSH\nefv,-1,MSH\n,1,MSH\n";
        let p = parse_reference_prices(csv.as_bytes()).unwrap();
        assert_eq!(p.records.len(), 1);
        let e: Vec<String> = p.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            e,
            vec![
                "line 3, field `price_usd`: \"-1\" is not a positive number",
                "line 4, field `product`: empty"
            ]
        );

        // Issue 19: every bad field of a row, one error each.
        let p = parse_reference_prices("product,price_usd,source,year\n,x,MSH,1492\n".as_bytes())
            .unwrap();
        let e: Vec<String> = p.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            e,
            vec![
                "line 2, field `product`: empty",
                "line 2, field `price_usd`: \"x\" is not a positive number",
                "line 2, field `year`: \"1492\" is not a year"
            ]
        );

        let w = "country,daily_wage,currency,exchange_rate,source\nKEN,500,KES,130,survey\nKenya,1,KES,1,x\n";
        let p = parse_wages(w.as_bytes()).unwrap();
        assert_eq!(p.records.len(), 1);
        assert!(
            p.errors[0]
                .to_string()
                .contains("not an ISO 3166-1 alpha-3 code")
        );

        let a = "country,number,product_name,holder,status,valid_from,valid_to\nKEN,H1,EFV 600,Cipla,Valid,2020-01-01,2019-01-01\n";
        let p = parse_authorisations(a.as_bytes()).unwrap();
        assert_eq!(
            p.errors[0].to_string(),
            "line 2, field `valid_to`: before valid_from"
        );
    }

    const DECIMAL_COMMA: &str = "is not a number: a comma is read only as a thousands separator, as in 1,234 or 12,345.67 (a decimal comma: write the number with a point, as 0.5, or separate the columns with semicolons, as a spreadsheet set to French saves CSV: such a file is read with decimal commas)";

    #[test]
    fn a_decimal_comma_is_refused_not_read_a_thousand_times_larger() {
        let csv = "product,price_usd,source\nefv,\"0,10\",MSH\nnvp,\"1,234.5\",MSH\nazt,0.10,MSH\n";
        let p = parse_reference_prices(csv.as_bytes()).unwrap();
        let prices: Vec<f64> = p.records.iter().map(|(_, r)| r.price.price_usd).collect();
        assert_eq!(prices, vec![1234.5, 0.1]);
        let e: Vec<String> = p.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            e,
            vec![format!(
                "line 2, field `price_usd`: \"0,10\" {DECIMAL_COMMA}"
            )]
        );

        let w = "country,daily_wage,currency,exchange_rate,source\nKEN,\"1000,5\",KES,\"1,300\",survey\n";
        let p = parse_wages(w.as_bytes()).unwrap();
        assert!(p.records.is_empty());
        assert_eq!(
            p.errors[0].to_string(),
            format!("line 2, field `daily_wage`: \"1000,5\" {DECIMAL_COMMA}")
        );
        assert_eq!(p.errors.len(), 1, "1,300 is a thousands separator");

        let c = "product,units,description,source\nefv,\"30,0\",30 days,WHO\n";
        let p = parse_courses(c.as_bytes()).unwrap();
        assert_eq!(
            p.errors[0].to_string(),
            format!("line 2, field `units`: \"30,0\" {DECIMAL_COMMA}")
        );
    }

    #[test]
    fn a_day_the_calendar_lacks_is_named() {
        const SCMS: &[&str] = &["%d-%b-%y", "%m/%d/%Y"];
        for (s, formats, why) in [
            ("31-Feb-08", SCMS, "February 2008 has 29 days"),
            ("30-Feb-07", SCMS, "February 2007 has 28 days"),
            ("2/30/2011", SCMS, "February 2011 has 28 days"),
            ("31-Apr-15", SCMS, "April 2015 has 30 days"),
            ("2020-02-30", &["%Y-%m-%d"], "February 2020 has 29 days"),
            ("1900-02-29", &["%Y-%m-%d"], "February 1900 has 28 days"),
        ] {
            assert_eq!(
                date_cell(s, formats),
                Err(format!("{s:?} is not a date: {why}")),
                "{s}"
            );
        }
        for s in ["32-Jan-08", "13/5/2011", "0/5/2011"] {
            let e = date_cell(s, SCMS).unwrap_err();
            assert!(e.contains("out of range"), "{s}: {e}");
        }
        // Leap days and the last days of months are dates.
        assert_eq!(
            date_cell("29-Feb-08", SCMS),
            Ok(NaiveDate::from_ymd_opt(2008, 2, 29))
        );
        assert_eq!(
            date_cell("12/31/2014", SCMS),
            Ok(NaiveDate::from_ymd_opt(2014, 12, 31))
        );
        // What SCMS writes for no date is no date's shape: a gap, not an error.
        for s in [
            "Date Not Captured",
            "Pre-PQ Process",
            "N/A - From RDC",
            "",
            "not yet",
        ] {
            assert_eq!(date_cell(s, SCMS), Ok(None), "{s}");
        }

        let a = "country,number,product_name,holder,status,valid_from\nKEN,H1,EFV 600,Cipla,Valid,2021-02-29\n";
        let p = parse_authorisations(a.as_bytes()).unwrap();
        assert_eq!(
            p.errors[0].to_string(),
            "line 2, field `valid_from`: \"2021-02-29\" is not a date: February 2021 has 28 days"
        );
    }

    /// A date of a register written day or month first, where the file's
    /// dates are YYYY-MM-DD, says how to write it (until 2026-12-07: "is
    /// not a date (%Y-%m-%d)" alone); the other rows are read.
    #[test]
    fn a_register_date_in_another_order_says_how_to_write_it() {
        let a = "country,number,product_name,holder,status,valid_from,valid_to\n\
                 KEN,H1,EFV 600,Cipla,Valid,01/01/2020,\n\
                 KEN,H2,EFV 600,Mylan,Valid,10/02/2023,\n\
                 KEN,H3,EFV 600,Aurobindo,Valid,2020-01-01,31.12.2024\n\
                 KEN,H4,EFV 600,Hetero,Valid,2020-01-01,2025-06-30\n";
        let p = parse_authorisations(a.as_bytes()).unwrap();
        let e: Vec<String> = p.errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            e,
            [
                "line 2, field `valid_from`: \"01/01/2020\" is not a date as \"%Y-%m-%d\" writes them (31 December 2023 is 2023-12-31): it looks like DD/MM/YYYY or MM/DD/YYYY (both 1 January 2020): write 2020-01-01",
                "line 3, field `valid_from`: \"10/02/2023\" is not a date as \"%Y-%m-%d\" writes them (31 December 2023 is 2023-12-31): it looks like DD/MM/YYYY (10 February 2023: write 2023-02-10) or MM/DD/YYYY (2 October 2023: write 2023-10-02)",
                "line 4, field `valid_to`: \"31.12.2024\" is not a date as \"%Y-%m-%d\" writes them (31 December 2023 is 2023-12-31): it looks like DD.MM.YYYY (31 December 2024): write 2024-12-31",
            ]
        );
        assert_eq!(p.records.len(), 1);
        assert_eq!(p.records[0].1.number, "H4");
    }

    proptest::proptest! {
        /// Every day of the calendar reads back in each of the SCMS spellings
        /// and ISO 8601; every day past a month's end is an error naming the
        /// month's length, never a gap.
        #[test]
        fn dates_read_back_and_days_past_the_end_are_named(
            y in 1970i32..2069, m in 1u32..=12, d in 1u32..=31
        ) {
            let days = NaiveDate::from_ymd_opt(y, m, 1)
                .and_then(|s| s.checked_add_months(chrono::Months::new(1)).map(|n| (n - s).num_days()))
                .unwrap_or(0);
            const MONTHS: [&str; 12] = [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ];
            let mon = MONTHS[m as usize - 1];
            for (f, text) in [
                ("%d-%b-%y", format!("{d}-{mon}-{:02}", y % 100)),
                ("%m/%d/%Y", format!("{m}/{d}/{y}")),
                ("%Y-%m-%d", format!("{y}-{m:02}-{d:02}")),
            ] {
                match NaiveDate::from_ymd_opt(y, m, d) {
                    Some(date) => proptest::prop_assert_eq!(date_cell(&text, &[f]), Ok(Some(date))),
                    None => {
                        proptest::prop_assert!(i64::from(d) > days);
                        let e = date_cell(&text, &[f]).unwrap_err();
                        proptest::prop_assert!(e.ends_with(&format!(" has {days} days")), "{}", e);
                    }
                }
            }
        }
    }

    #[test]
    fn pq_dates_are_day_first() {
        let csv = "\"Date of Prequalification \",\"Vaccine Type\",\"Commercial Name\",Presentation,\"No. of doses\",Manufacturer,\"Responsible NRA\"\n16/01/2025,\"Hepatitis B\",BEVAC,Vial,1,\"Biological E. Limited\",CDSCO\n31/02/2025,X,Y,Vial,1,M,N\n";
        let p = parse_who_pq_vaccines(csv.as_bytes()).unwrap();
        assert_eq!(
            p.records[0].1.prequalified_on,
            NaiveDate::from_ymd_opt(2025, 1, 16)
        );
        assert!(
            p.records[0]
                .1
                .reference
                .starts_with("hepatitis-b-bevac-vial-1-biological-e-limited")
        );
        assert!(p.errors[0].to_string().contains("is not a date"));
    }
}
