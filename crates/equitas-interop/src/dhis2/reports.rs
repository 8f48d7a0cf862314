//! Data values back into monthly stock reports: the rows the stock-report
//! CSV import writes (`equitas_ledger::report`), so that both imports
//! share one path into the store.
//!
//! The values of one org unit, period and product make one report: stock
//! on hand is its closing count, consumption what was dispensed,
//! received and adjustments as named, stockout days as reported (the
//! CSV import requires them too); the opening balance, where mapped, is
//! an opening count (where not, the month before's closing count stands
//! for it). Months of stock and status
//! are Equitas's own derived figures and are not read back.

use super::mapping::{Mapping, Metric};
use super::values::DataValue;
use equitas_ledger::calendar::{MonthIndex, days_in_month};
use equitas_ledger::report::StockReport;
use equitas_model::RowError;
use equitas_model::reference::Parsed;
use std::collections::BTreeMap;

/// What a data value set becomes.
#[derive(Debug, Default)]
pub struct StockImport {
    /// One report per org unit, period and product, with the line of its
    /// first value; an error per bad value (line and field).
    pub reports: Parsed<StockReport>,
    /// Values read but not imported, and why (counted).
    pub notes: Vec<String>,
}

#[derive(Default)]
struct Acc {
    line: u64,
    /// metric -> (line, value).
    values: BTreeMap<Metric, (u64, f64)>,
}

/// The stock reports `values` mean through `mapping`. `values` comes
/// from [`super::values::read`]; its errors are kept.
pub fn stock_reports(values: Parsed<DataValue>, mapping: &Mapping) -> StockImport {
    let mut errors = values.errors;
    let mut groups: BTreeMap<(String, String, MonthIndex), Acc> = BTreeMap::new();
    let (mut unmapped, mut derived) = (0usize, 0usize);
    for (line, v) in values.records {
        let Some((product, metric)) = mapping
            .figure(&v.data_element, v.category_option_combo.as_deref())
            .cloned()
        else {
            unmapped += 1;
            continue;
        };
        if metric.derived() {
            derived += 1;
            continue;
        }
        let mut bad = Vec::new();
        let location = mapping.location(&v.org_unit);
        if location.is_none() {
            bad.push(RowError::new(
                line,
                "orgUnit",
                format!("{:?} is not an org unit of the mapping", v.org_unit),
            ));
        }
        let month = super::parse_period(&v.period);
        if month.is_none() {
            bad.push(RowError::new(
                line,
                "period",
                format!("{:?} is not a monthly period (YYYYMM)", v.period),
            ));
        }
        let number = v.value.parse::<f64>().ok().filter(|x| x.is_finite());
        let number = match (metric, number) {
            (Metric::Adjustments, Some(x)) => Some(x),
            (Metric::StockoutDays, Some(x)) => {
                let most = month.map_or(31, days_in_month);
                (x.fract() == 0.0 && (0.0..=most as f64).contains(&x)).then_some(x)
            }
            (_, Some(x)) if x >= 0.0 => Some(x),
            _ => None,
        };
        if number.is_none() {
            let want = match metric {
                Metric::Adjustments => "a number".to_string(),
                Metric::StockoutDays => format!(
                    "a whole number of days from 0 to {}",
                    month.map_or(31, days_in_month)
                ),
                _ => "a non-negative number".to_string(),
            };
            bad.push(RowError::new(
                line,
                "value",
                format!("{:?} ({}) is not {want}", v.value, metric.as_str()),
            ));
        }
        let (Some(location), Some(month), Some(number)) = (location, month, number) else {
            errors.extend(bad);
            continue;
        };
        let acc = groups
            .entry((location.to_string(), product.clone(), month))
            .or_insert_with(|| Acc {
                line,
                ..Acc::default()
            });
        if let Some((first, _)) = acc.values.get(&metric) {
            errors.push(RowError::new(
                line,
                "value",
                format!(
                    "line {first} already gives {} of {product} at {} for {}",
                    metric.as_str(),
                    v.org_unit,
                    v.period
                ),
            ));
            continue;
        }
        acc.values.insert(metric, (line, number));
    }
    let mut records = Vec::new();
    for ((location, item, period), acc) in groups {
        let get = |m: Metric| acc.values.get(&m).map(|(_, v)| *v);
        let Some(days) = get(Metric::StockoutDays) else {
            errors.push(RowError::new(
                acc.line,
                "value",
                format!(
                    "no stockout_days for {item} at {location} in {}: a stock report needs them",
                    super::period(period)
                ),
            ));
            continue;
        };
        records.push((
            acc.line,
            StockReport {
                line: acc.line,
                location,
                item,
                period,
                opening: get(Metric::OpeningBalance),
                received: get(Metric::Received).unwrap_or(0.0),
                dispensed: get(Metric::Consumption).unwrap_or(0.0),
                issued: 0.0,
                adjustments: get(Metric::Adjustments).unwrap_or(0.0),
                closing: get(Metric::StockOnHand),
                stockout_days: days as u32,
            },
        ));
    }
    records.sort_by_key(|(l, _)| *l);
    errors.sort_by_key(|e| e.line);
    let mut notes = Vec::new();
    if unmapped > 0 {
        notes.push(format!(
            "{unmapped} data value(s) of data elements or combos not in the mapping, not imported"
        ));
    }
    if derived > 0 {
        notes.push(format!(
            "{derived} value(s) of months of stock or status, Equitas's own derived figures, not imported"
        ));
    }
    StockImport {
        reports: Parsed { records, errors },
        notes,
    }
}
