//! Parsers for the market's reference inputs: international reference
//! prices, standard treatment courses, wages, marketing authorisations and
//! the WHO prequalification list. Each returns good rows with their line
//! and a [`RowError`] per bad row.

use crate::analysis::{ReferencePrice, TreatmentCourse, Wage};
use chrono::NaiveDate;
use equitas_model::reference::{Parsed, Table, cell};
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
        match s.replace(',', "").parse::<f64>() {
            Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
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
            Some(s) => formats
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
                .map(Some)
                .ok_or_else(|| {
                    RowError::new(
                        self.line,
                        field,
                        format!("{s:?} is not a date ({})", formats.join(" or ")),
                    )
                }),
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
                e.field(x.text(i[4], "status")),
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
                status: status.to_lowercase(),
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
