//! Monthly stock reports, for countries that report aggregates rather than
//! events: one row per location, product and month, mapped onto the same
//! ledger (docs/formulas.md 3.1).
//!
//! Columns (header names, any order; extra columns are ignored):
//! `location` (location code), `product` (product code or GTIN), `period`
//! (`YYYY-MM`, or another form of the month [`calendar::read_month`] reads:
//! `09/2026`, `2026-09-01`, `sept. 2026`), `opening_balance`, `received`, `dispensed`, `issued`,
//! `adjustments` (signed), `closing_balance`, `stockout_days`.
//! `issued` and `adjustments` may be left out, or blank for none; a blank
//! opening or closing balance means "not counted"; `received` and
//! `dispensed` must be given (0 for none: a blank dispensed read as 0
//! would lower the AMC without a word), but for a row giving `issued` (a
//! store's), where a blank `dispensed` is none. A column of another name is not
//! read, and a note names it.

use crate::calendar::{self, MS_PER_DAY, MonthIndex, days_in_month, month_end, month_start};
use crate::extract::RawMovement;
use crate::movement::Kind;
use equitas_model::reference::{Parsed, Table, cell};
use equitas_model::{RowError, RowErrors};
use std::io::Read;

/// One row of a stock report.
#[derive(Debug, Clone, PartialEq)]
pub struct StockReport {
    pub line: u64,
    pub location: String,
    pub item: String,
    pub period: MonthIndex,
    pub opening: Option<f64>,
    pub received: f64,
    pub dispensed: f64,
    pub issued: f64,
    pub adjustments: f64,
    pub closing: Option<f64>,
    pub stockout_days: u32,
}

impl StockReport {
    /// The movements this report means: the opening count at the first
    /// instant of the month, then receipts, issues, dispensing and
    /// adjustments, then the closing count at its last instant.
    pub fn movements(&self) -> Vec<RawMovement> {
        let start = month_start(self.period) as i64 * MS_PER_DAY;
        let end = (month_end(self.period) as i64 + 1) * MS_PER_DAY - 1;
        let mut out = Vec::new();
        let mut push = |at: i64, kind: Kind, quantity: f64, reason: &str| {
            out.push(RawMovement {
                at,
                location: self.location.clone(),
                item: self.item.clone(),
                lot: String::new(),
                kind,
                quantity,
                reason: reason.to_string(),
                counterpart: None,
                expiry: None,
            })
        };
        if let Some(o) = self.opening {
            push(start, Kind::Count, o, "");
        }
        if self.received > 0.0 {
            push(start + 1, Kind::Receipt, self.received, "");
        }
        if self.issued > 0.0 {
            push(start + 2, Kind::Issue, self.issued, "");
        }
        if self.dispensed > 0.0 {
            push(start + 3, Kind::Dispense, self.dispensed, "");
        }
        if self.adjustments != 0.0 {
            push(start + 4, Kind::Adjust, self.adjustments, "reported");
        }
        if let Some(c) = self.closing {
            push(end, Kind::Count, c, "");
        }
        out
    }
}

fn number(
    rec: &csv::StringRecord,
    idx: Option<usize>,
    name: &str,
    line: u64,
    signed: bool,
) -> Result<Option<f64>, RowError> {
    match cell(rec, idx) {
        None => Ok(None),
        Some(s) => match s.parse::<f64>() {
            Ok(v) if v.is_finite() && (signed || v >= 0.0) => Ok(Some(v)),
            _ => Err(RowError::new(
                line,
                name,
                format!(
                    "{s:?} is not a{} number{}",
                    if signed { "" } else { " non-negative" },
                    equitas_model::reference::decimal_comma_hint(s)
                ),
            )),
        },
    }
}

/// Why a stock report of `period` cannot be taken, or its figures
/// exported, on `today`; `None` when it can (docs/formulas.md 3.10). A report gives the stock at its month's end,
/// so its month must have ended: its last day counts it as complete, as
/// in stock, AMC and forecasts (3.5). A month after the current one is
/// most likely a typing error in the year (2062-10 for 2026-10), and
/// would move every figure's "now" ahead; the current month, before its
/// last day, would date a count in the future. `show` writes a month as
/// the file does (`2026-12`, DHIS2's `202612`).
pub fn period_not_ended(
    period: MonthIndex,
    today: calendar::Day,
    show: impl Fn(MonthIndex) -> String,
) -> Option<String> {
    let this = calendar::month_of(today);
    if period > this {
        Some(format!(
            "{} is after this month ({}): a month is reported once it has ended (a typing error in the year?)",
            show(period),
            show(this)
        ))
    } else if period == this && today != month_end(this) {
        Some(format!(
            "{} has not ended (today is {}): a month is reported at its end, on {} or later",
            show(period),
            calendar::format_day(today),
            calendar::format_day(month_end(this))
        ))
    } else {
        None
    }
}

/// The first year a report, event or count may be dated in
/// (docs/formulas.md 3.10): no national LMIS or EPCIS data are older,
/// while 1970-01-01 and 1900-01-01 are where computer and spreadsheet
/// dates start, what a reset clock or an empty date cell becomes.
pub const EARLIEST_YEAR: i32 = 2000;

/// Why a report of `period` cannot be taken: a month before
/// [`EARLIEST_YEAR`]; `None` when it can.
pub fn period_too_early(period: MonthIndex, show: impl Fn(MonthIndex) -> String) -> Option<String> {
    (period < EARLIEST_YEAR * 12).then(|| {
        format!(
            "{} is before {EARLIEST_YEAR}: a date typed wrong, or one a reset clock or an empty \
             cell gives (1970 and 1900 are where computer and spreadsheet dates start)",
            show(period)
        )
    })
}

/// Parses a stock report CSV. (A second row for the same location, product
/// and period is rejected when the rows are written, naming the line of
/// the first written: a row rejected claims nothing.)
pub fn parse_stock_reports<R: Read>(r: R) -> Result<Parsed<StockReport>, RowError> {
    let mut t = Table::new(r)?;
    let location = t.require("location")?;
    let product = t.require("product")?;
    let period = t.require("period")?;
    let opening = t.require("opening_balance")?;
    let received = t.require("received")?;
    let dispensed = t.require("dispensed")?;
    let closing = t.require("closing_balance")?;
    let stockout = t.require("stockout_days")?;
    let issued = t.column("issued");
    let adjustments = t.column("adjustments");
    // A file separated by semicolons writes its dates day first.
    let day_first = t.decimal_comma();
    let unread = t.unread_columns_note();
    let mut parsed = t.parse(|rec, line| {
        let text = |idx: usize, name: &str| {
            cell(rec, Some(idx))
                .map(str::to_string)
                .ok_or_else(|| RowError::new(line, name, "required value is empty"))
        };
        // Every field is checked, so that a row lists all its bad fields.
        let mut e = RowErrors::default();
        let loc = e.field(text(location, "location"));
        let item = e.field(text(product, "product"));
        let m = e.field(text(period, "period").and_then(|p| {
            calendar::read_month_in(&p, day_first)
                .map_err(|why| RowError::new(line, "period", why.to_string()))
        }));
        let opening_v = e.field(number(rec, Some(opening), "opening_balance", line, false));
        // Given, 0 for none: a blank is not read as 0.
        let given = |name: &'static str, idx: usize, none: &str| {
            number(rec, Some(idx), name, line, false).and_then(|v| {
                v.ok_or_else(|| {
                    RowError::new(
                        line,
                        name,
                        format!("required value is empty (write 0 if {none})"),
                    )
                })
            })
        };
        let received_v = e.field(given("received", received, "nothing was received"));
        // A store issues rather than dispenses: with `issued` given, a
        // blank `dispensed` is none.
        let dispensed_v = e.field(if cell(rec, issued).is_some() {
            number(rec, Some(dispensed), "dispensed", line, false).map(|v| v.unwrap_or(0.0))
        } else {
            given("dispensed", dispensed, "nothing was dispensed")
        });
        let closing_v = e.field(number(rec, Some(closing), "closing_balance", line, false));
        let days = e.field(text(stockout, "stockout_days").and_then(|s| {
            // Without a valid month, the days are checked against the longest.
            let most = m.map_or(31, days_in_month);
            // A whole number written with a zero decimal part (`12.0`, or
            // `12,0` in a file separated by semicolons) is that number.
            let whole = s.parse::<u32>().ok().or_else(|| {
                s.parse::<f64>()
                    .ok()
                    .filter(|v| v.fract() == 0.0 && (0.0..=31.0).contains(v))
                    .map(|v| v as u32)
            });
            whole.filter(|&d| d <= most).ok_or_else(|| {
                RowError::new(
                    line,
                    "stockout_days",
                    format!("{s:?} is not a whole number of days from 0 to {most}"),
                )
            })
        }));
        let issued_v = e.field(number(rec, issued, "issued", line, false));
        let adjustments_v = e.field(number(rec, adjustments, "adjustments", line, true));
        let (
            Some(loc),
            Some(item),
            Some(m),
            Some(opening),
            Some(received),
            Some(dispensed),
            Some(closing),
            Some(days),
            Some(issued),
            Some(adjustments),
        ) = (
            loc,
            item,
            m,
            opening_v,
            received_v,
            dispensed_v,
            closing_v,
            days,
            issued_v,
            adjustments_v,
        )
        else {
            return Err(e);
        };
        Ok(StockReport {
            line,
            opening,
            received,
            dispensed,
            issued: issued.unwrap_or(0.0),
            adjustments: adjustments.unwrap_or(0.0),
            closing,
            stockout_days: days,
            location: loc,
            item,
            period: m,
        })
    });
    parsed.notes.extend(unread);
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects_with_line_and_field() {
        let csv = "location,product,period,opening_balance,received,dispensed,issued,adjustments,closing_balance,stockout_days\n\
                   FAC1,amox,2026-01,100,50,120,0,-5,25,0\n\
                   FAC1,amox,2026-02,25,0,30,,,0,9\n\
                   FAC1,amox,2026-03,25,,30,,,0,9\n\
                   FAC1,amox,2026-13,1,1,1,,,1,0\n\
                   FAC1,amox,2026-02,x,1,1,,,1,0\n\
                   FAC1,amox,2026-03,1,1,1,,,1,31\n\
                   FAC1,amox,2026-04,1,1,1,,,1,31\n";
        let p = parse_stock_reports(csv.as_bytes()).unwrap();
        assert_eq!(p.records.len(), 3);
        let errs: Vec<String> = p.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(errs.len(), 4, "{errs:?}");
        assert_eq!(
            errs[0],
            "line 4, field `received`: required value is empty (write 0 if nothing was received)"
        );
        assert!(errs[1].contains("period"), "{errs:?}");
        assert!(errs[2].contains("opening_balance"), "{errs:?}");
        assert!(
            errs[3].contains("stockout_days") && errs[3].contains("0 to 30"),
            "{errs:?}"
        );
        let r = &p.records[0].1;
        let m = r.movements();
        let kinds: Vec<Kind> = m.iter().map(|x| x.kind).collect();
        assert_eq!(
            kinds,
            [
                Kind::Count,
                Kind::Receipt,
                Kind::Dispense,
                Kind::Adjust,
                Kind::Count
            ]
        );
        assert_eq!(m[3].quantity, -5.0);
    }

    /// The period as officers' spreadsheets write it: `09/2026`, the
    /// month's first or last day, its name in English or French, read as
    /// `2026-09` (until 2026-12-07 only `YYYY-MM` was); a day inside the
    /// month, a day-first date and any other text refused naming the line
    /// and field, saying why and which forms are read. Two forms of one
    /// month are one report.
    #[test]
    fn periods_as_spreadsheets_write_them() {
        let forms = [
            "2026-09",
            "09/2026",
            "9/2026",
            "2026-09-01",
            "2026-09-30",
            "sept. 2026",
            "September 2026",
            "septembre 2026",
            "SEPT 2026",
        ];
        let mut csv = String::from(
            "location,product,period,opening_balance,received,dispensed,closing_balance,stockout_days\n",
        );
        for (i, f) in forms.iter().enumerate() {
            csv.push_str(&format!("F{i},amox,{f},10,0,5,5,0\n"));
        }
        csv.push_str("X1,amox,2026-09-15,10,0,5,5,0\n");
        csv.push_str("X2,amox,01/09/2026,10,0,5,5,0\n");
        csv.push_str("X3,amox,Q3 2026,10,0,5,5,0\n");
        csv.push_str("F0,amox,Sep-2026,10,0,5,5,0\n");
        let p = parse_stock_reports(csv.as_bytes()).unwrap();
        let months: Vec<String> = p
            .records
            .iter()
            .map(|(_, r)| calendar::format_month(r.period))
            .collect();
        // The last, F0's second form of 2026-09, is the same report as
        // line 2's: the import rejects it when written.
        assert_eq!(months, vec!["2026-09"; forms.len() + 1]);
        let errs: Vec<String> = p.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(
            errs[0]
                .starts_with("line 11, field `period`: \"2026-09-15\" is a day inside its month")
                && errs[0].contains("report of 2026-09 or close that of 2026-08"),
            "{errs:?}"
        );
        assert!(
            errs[1].starts_with("line 12, field `period`: \"01/09/2026\" reads as a different day"),
            "{errs:?}"
        );
        assert_eq!(
            errs[2],
            format!(
                "line 13, field `period`: \"Q3 2026\" is not a month; accepted: {}",
                calendar::MONTH_FORMS
            )
        );
    }

    /// Issue 19: a row with three bad fields lists all three.
    #[test]
    fn every_bad_field_of_a_row_is_named() {
        let csv = "location,product,period,opening_balance,received,dispensed,closing_balance,stockout_days\n\
                   ,amox,2026-02,-1,1,1,1,30\n";
        let p = parse_stock_reports(csv.as_bytes()).unwrap();
        let errs: Vec<String> = p.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            errs,
            [
                "line 2, field `location`: required value is empty",
                "line 2, field `opening_balance`: \"-1\" is not a non-negative number",
                "line 2, field `stockout_days`: \"30\" is not a whole number of days from 0 to 28",
            ]
        );
    }

    /// A stock report saved by a spreadsheet set to French (semicolons,
    /// decimal commas, thousands grouped by a no-break space, Windows line
    /// endings, a byte order mark, a month written as its first day, day
    /// first) gives the rows of the same report written with commas and
    /// points; until 2026-12-07 it was refused.
    #[test]
    fn a_report_saved_by_a_spreadsheet_set_to_french_is_read() {
        let fr = "\u{feff}location;product;period;opening_balance;received;dispensed;adjustments;closing_balance;stockout_days\r\n\
                  SN-F1;amox;01/09/2026;1\u{a0}200;0;450,5;-2,5;747;0\r\n\
                  SN-F1;sro;2026-09;12,5;0;2,5;;10;3,0\r\n";
        let en = "location,product,period,opening_balance,received,dispensed,adjustments,closing_balance,stockout_days\n\
                  SN-F1,amox,2026-09,1200,0,450.5,-2.5,747,0\n\
                  SN-F1,sro,2026-09,12.5,0,2.5,,10,3\n";
        let (a, b) = (
            parse_stock_reports(fr.as_bytes()).unwrap(),
            parse_stock_reports(en.as_bytes()).unwrap(),
        );
        assert!(a.errors.is_empty(), "{:?}", a.errors);
        assert_eq!(a.records.len(), 2);
        assert_eq!(a.records, b.records);
        assert_eq!(a.records[0].1.opening, Some(1200.0));
        assert_eq!(a.records[1].1.dispensed, 2.5);
    }

    /// A decimal comma in a file separated by commas (the cell quoted) is
    /// named as such, as in the pipeline and lead-time files.
    #[test]
    fn a_decimal_comma_in_a_comma_file_is_named() {
        let csv = "location,product,period,opening_balance,received,dispensed,closing_balance,stockout_days\n\
                   F1,amox,2026-02,\"12,5\",0,2,\"10,5\",0\n";
        let p = parse_stock_reports(csv.as_bytes()).unwrap();
        let errs: Vec<String> = p.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(errs.len(), 2, "{errs:?}");
        for (e, field) in errs.iter().zip(["opening_balance", "closing_balance"]) {
            assert!(e.contains(field) && e.contains("(a decimal comma"), "{e}");
        }
    }

    /// A misspelt optional column refuses the file, naming it and the
    /// column meant: its values would be lost from every row (a user pass,
    /// 2026-12-07: `adjustment` and `issue` were read as none). A column
    /// written in another case or with spaces is the column; one near
    /// nothing is not read.
    #[test]
    fn a_misspelt_column_is_named_not_dropped() {
        let csv = "location;product;period;opening_balance;received;dispensed;closing_balance;stockout_days;adjustment;comment\n\
                   F1;amox;2026-02;10;0;2;8;0;-2;ok\n";
        let p = parse_stock_reports(csv.as_bytes()).unwrap();
        let errs: Vec<String> = p.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            errs,
            [
                "line 1, field `adjustment`: unknown column \"adjustment\": did you mean \"adjustments\"? Its values would not be read; rename the column (nothing in this file is imported until then)"
            ]
        );
        assert!(p.records.is_empty());
        let csv = "Location;Product;Period;Opening Balance;Received;Dispensed;Closing balance;Stockout-days;Adjustments;comment\n\
                   F1;amox;2026-02;10;0;2;6;0;-2;ok\n";
        let p = parse_stock_reports(csv.as_bytes()).unwrap();
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.records[0].1.adjustments, -2.0);
    }

    /// A column Equitas does not read (`losses`) is named in a note, its
    /// figures otherwise lost without a word; two rows of one report are
    /// both read here (the import rejects the second, once the first is
    /// written).
    #[test]
    fn a_column_not_read_is_named() {
        let csv = "location,product,period,opening_balance,received,dispensed,closing_balance,stockout_days,losses\n\
                   F1,amox,2026-09,140,1000,500,600,0,40\n\
                   F1,amox,2026-09,140,1000,500,600,0,40\n";
        let p = parse_stock_reports(csv.as_bytes()).unwrap();
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.records.len(), 2);
        assert_eq!(p.notes.len(), 1);
        assert!(
            p.notes[0]
                .starts_with(r#"column(s) "losses" not read: only location, product, period,"#),
            "{:?}",
            p.notes
        );
        let plain = "location,product,period,opening_balance,received,dispensed,closing_balance,stockout_days\n\
                     F1,amox,2026-09,140,1000,500,600,0\n";
        assert!(
            parse_stock_reports(plain.as_bytes())
                .unwrap()
                .notes
                .is_empty()
        );
        // A store's row gives what it issued; its blank dispensed is none.
        // Without issued, a blank dispensed is refused.
        let store = "location,product,period,opening_balance,received,dispensed,issued,closing_balance,stockout_days\n\
                     W1,amox,2026-09,140,1000,,500,640,0\n\
                     W1,ors,2026-09,140,1000,,,1140,0\n";
        let p = parse_stock_reports(store.as_bytes()).unwrap();
        assert_eq!(p.records.len(), 1);
        assert_eq!(
            (p.records[0].1.dispensed, p.records[0].1.issued),
            (0.0, 500.0)
        );
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].line, 3);
        assert_eq!(p.errors[0].field.as_deref(), Some("dispensed"));
    }

    /// A header row of thousands of columns is not quoted whole.
    #[test]
    fn a_long_header_row_is_quoted_short() {
        let header: Vec<String> = (0..20_000).map(|i| format!("column{i}")).collect();
        let e = parse_stock_reports(format!("{}\n", header.join(",")).as_bytes()).unwrap_err();
        let text = e.to_string();
        assert!(text.len() < 600, "{}", text.len());
        assert!(text.ends_with("column29, and 19970 more)"), "{text}");
    }

    #[test]
    fn a_month_before_2000_is_refused() {
        let m = |s: &str| calendar::month_of(calendar::parse_day(s).unwrap());
        assert_eq!(
            period_too_early(m("2000-01-01"), calendar::format_month),
            None
        );
        assert_eq!(
            period_too_early(m("1999-12-01"), calendar::format_month).unwrap(),
            "1999-12 is before 2000: a date typed wrong, or one a reset clock or an empty cell \
             gives (1970 and 1900 are where computer and spreadsheet dates start)"
        );
        assert!(period_too_early(m("1970-01-01"), calendar::format_month).is_some());
    }

    #[test]
    fn missing_column_is_named() {
        let e = parse_stock_reports("location,product,period\n".as_bytes()).unwrap_err();
        assert!(e.to_string().contains("opening_balance"), "{e}");
        // A header naming part of the column is pointed at, and the
        // header row shown.
        let e = parse_stock_reports(
            "location,product,period,opening_balance,received,dispensed,closing,stockout_days\n"
                .as_bytes(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 1, field `closing_balance`: required column is missing from the header row; \
             rename column \"closing\" to closing_balance? (it has: location, product, period, \
             opening_balance, received, dispensed, closing, stockout_days)"
        );
    }

    #[test]
    fn a_report_is_of_a_month_that_has_ended() {
        let day = |s: &str| calendar::parse_day(s).unwrap();
        let month = |s: &str| calendar::parse_month(s).unwrap();
        let show = calendar::format_month;
        assert_eq!(
            period_not_ended(month("2026-11"), day("2026-12-07"), show),
            None
        );
        // Its last day counts the month as complete.
        assert_eq!(
            period_not_ended(month("2026-12"), day("2026-12-31"), show),
            None
        );
        assert_eq!(
            period_not_ended(month("2026-12"), day("2026-12-07"), show).as_deref(),
            Some(
                "2026-12 has not ended (today is 2026-12-07): a month is reported at its end, on 2026-12-31 or later"
            )
        );
        assert_eq!(
            period_not_ended(month("2062-10"), day("2026-12-31"), show).as_deref(),
            Some(
                "2062-10 is after this month (2026-12): a month is reported once it has ended (a typing error in the year?)"
            )
        );
    }
}
