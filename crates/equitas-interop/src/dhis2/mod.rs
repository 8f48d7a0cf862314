//! DHIS2: monthly stock figures out as data value sets, data value sets in
//! as monthly stock reports, and the import summary DHIS2 answers a push
//! with.
//!
//! - [`mapping`]: the mapping file (both layouts in use);
//! - [`values`]: data value sets in JSON and CSV, read and written;
//! - [`figures`]: the month's figures of the ledger (the same as
//!   `equitas stock` shows at the month's end) and the data values they
//!   become;
//! - [`reports`]: data values back into [`StockReport`]s, the rows the
//!   stock-report CSV import writes;
//! - [`summary`]: DHIS2's import summary.
//!
//! Periods are DHIS2's monthly periods, `YYYYMM`.
//!
//! [`StockReport`]: equitas_ledger::report::StockReport

pub mod figures;
pub mod mapping;
pub mod reports;
pub mod summary;
pub mod values;

pub use figures::{MonthFigures, data_values, month_figures};
pub use mapping::{Mapping, Metric};
pub use reports::{StockImport, stock_reports};
pub use summary::{Conflict, ImportSummary};
pub use values::{DataValue, DataValueSet};

use equitas_ledger::calendar::MonthIndex;
use thiserror::Error;

#[derive(Debug, Error, PartialEq)]
pub enum Dhis2Error {
    /// A mapping file's key with a bad value.
    #[error("mapping: {key}: {reason}")]
    Mapping { key: String, reason: String },
    #[error("mapping: {0}")]
    MappingToml(String),
    /// A JSON document that cannot be read at all.
    #[error("line {line}, column {column}: {reason}")]
    Document {
        line: u64,
        column: u64,
        reason: String,
    },
    #[error("line {line}: {reason}")]
    Csv { line: u64, reason: String },
    /// An answer of a DHIS2 server that is not an import summary.
    #[error("import summary: {0}")]
    Summary(String),
}

/// DHIS2's monthly period of a month: `YYYYMM`.
pub fn period(m: MonthIndex) -> String {
    format!("{:04}{:02}", m.div_euclid(12), m.rem_euclid(12) + 1)
}

/// The month of a DHIS2 monthly period (`YYYYMM`).
pub fn parse_period(s: &str) -> Option<MonthIndex> {
    if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (y, m): (i32, i32) = (s[..4].parse().ok()?, s[4..].parse().ok()?);
    (1..=12).contains(&m).then_some(y * 12 + m - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_monthly() {
        let m = equitas_ledger::calendar::parse_month("2026-03").unwrap();
        assert_eq!(period(m), "202603");
        assert_eq!(parse_period("202603"), Some(m));
        for bad in ["2026-03", "202613", "2026Q1", "2026W10", "20260", ""] {
            assert_eq!(parse_period(bad), None, "{bad}");
        }
    }
}
