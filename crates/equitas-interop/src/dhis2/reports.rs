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
//!
//! A report is taken whole or not at all: a rejected value (a bad number,
//! a month after the current one, a figure given twice) rejects its
//! report, as does a report without its stockout days or with nothing
//! beside them, each of its lines named. A figure the mapping holds but a
//! report leaves out counts as 0 where it is a flow (received,
//! consumption, adjustments: DHIS2 stores no zero of a data element whose
//! zero is not significant) and as not counted where it is a balance.

use super::mapping::{Mapping, Metric};
use super::values::DataValue;
use equitas_ledger::calendar::{Day, MonthIndex, days_in_month};
use equitas_ledger::report::{StockReport, period_not_ended};
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
    /// The org unit and period as the values name them, for messages.
    org_unit: String,
    period: String,
    /// metric -> (line, value).
    values: BTreeMap<Metric, (u64, f64)>,
    /// Lines of this report's values that were rejected.
    rejected: Vec<u64>,
}

impl Acc {
    /// The report of `key` (location, product, month) in `groups`, begun at
    /// `line` with value `v` if it is the first of it.
    fn of<'g>(
        groups: &'g mut BTreeMap<(String, String, MonthIndex), Acc>,
        key: (String, String, MonthIndex),
        line: u64,
        v: &DataValue,
    ) -> &'g mut Acc {
        groups.entry(key).or_insert_with(|| Acc {
            line,
            org_unit: v.org_unit.clone(),
            period: v.period.clone(),
            ..Acc::default()
        })
    }
}

/// Lines named: `line 3`, `lines 3, 4 and 7`.
fn lines(l: &[u64]) -> String {
    let l: Vec<String> = l.iter().map(u64::to_string).collect();
    match l.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("lines {} and {last}", rest.join(", ")),
        _ => format!("line {}", l.join("")),
    }
}

/// The stock reports `values` mean through `mapping`. `values` comes
/// from [`super::values::read`]; its errors are kept. `today` is the
/// caller's clock: a value of a month not ended by then is rejected,
/// naming its period (docs/formulas.md 3.10).
///
/// A report is taken whole: one with a rejected value (a bad number, a
/// month not ended, a figure given twice), or without what a stock report
/// needs (its stockout days, and a figure of stock beside them), is
/// rejected, each of its lines named; the other reports are kept.
pub fn stock_reports(values: Parsed<DataValue>, mapping: &Mapping, today: Day) -> StockImport {
    let mut errors = values.errors;
    let mut groups: BTreeMap<(String, String, MonthIndex), Acc> = BTreeMap::new();
    let (mut derived, mut deleted) = (0usize, 0usize);
    // Data elements not in the mapping: how many values of each.
    let mut unmapped: BTreeMap<String, usize> = BTreeMap::new();
    let elements = mapping.elements();
    for (line, v) in values.records {
        // A value deleted in DHIS2 is no figure (until 2026-12-07 it was
        // imported as one).
        if v.deleted {
            deleted += 1;
            continue;
        }
        let Some((product, metric)) = mapping
            .figure(&v.data_element, v.category_option_combo.as_deref())
            .cloned()
        else {
            // One that misspells a mapped element is a figure of that
            // report, lost: the report is rejected, the element named
            // (until 2026-12-08 a misspelt consumption was left out with a
            // count in a note, and the report read it as none).
            // (An element of the mapping with a combo it does not map is
            // not misspelt: a note.)
            let likely = elements
                .guess(&v.data_element)
                .filter(|(e, _)| *e != v.data_element);
            if let Some((element, (product, metric))) = likely {
                errors.push(RowError::new(
                    line,
                    "dataElement",
                    format!(
                        "{:?} is not a data element of the mapping: did you mean {element} ({} of {product})?",
                        v.data_element,
                        metric.as_str()
                    ),
                ));
                if let (Some(location), Some(month)) = (
                    mapping.location(&v.org_unit),
                    super::parse_period(&v.period),
                ) {
                    Acc::of(
                        &mut groups,
                        (location.to_string(), product.clone(), month),
                        line,
                        &v,
                    )
                    .rejected
                    .push(line);
                }
            } else {
                *unmapped.entry(v.data_element.clone()).or_default() += 1;
            }
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
        match month {
            None => bad.push(RowError::new(
                line,
                "period",
                format!("{:?} is not a monthly period (YYYYMM)", v.period),
            )),
            Some(m) => {
                if let Some(why) = period_not_ended(m, today, super::period) {
                    bad.push(RowError::new(line, "period", why));
                }
            }
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
        // The report the value belongs to, where its org unit and period
        // say which: a rejected value rejects it whole.
        let (Some(location), Some(month)) = (location, month) else {
            errors.extend(bad);
            continue;
        };
        let acc = Acc::of(
            &mut groups,
            (location.to_string(), product.clone(), month),
            line,
            &v,
        );
        let Some(number) = number.filter(|_| bad.is_empty()) else {
            errors.extend(bad);
            acc.rejected.push(line);
            continue;
        };
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
            acc.rejected.push(line);
            continue;
        }
        acc.values.insert(metric, (line, number));
    }
    let mut records = Vec::new();
    for ((location, item, period), acc) in groups {
        let taken: Vec<u64> = {
            let mut l: Vec<u64> = acc.values.values().map(|(l, _)| *l).collect();
            l.sort_unstable();
            l
        };
        let what = format!(
            "the report of {item} at {} for {}",
            acc.org_unit, acc.period
        );
        let get = |m: Metric| acc.values.get(&m).map(|(_, v)| *v);
        let why = if !acc.rejected.is_empty() {
            let mut r = acc.rejected.clone();
            r.sort_unstable();
            r.dedup();
            Some(format!(
                "{what} is not imported: a report is taken whole, and {} of it {} rejected",
                lines(&r),
                if r.len() == 1 { "was" } else { "were" }
            ))
        } else if get(Metric::StockoutDays).is_none() {
            Some(format!(
                "{what} has no stockout_days: a stock report needs them ({} not imported)",
                lines(&taken)
            ))
        } else if acc.values.len() == 1 {
            Some(format!(
                "{what} gives only stockout_days: a stock report needs a figure of stock too \
                 (stock_on_hand, opening_balance, consumption, received or adjustments)"
            ))
        } else {
            None
        };
        if let Some(why) = why {
            errors.extend(
                taken
                    .iter()
                    .map(|&l| RowError::new(l, "value", why.clone())),
            );
            continue;
        }
        let Some(days) = get(Metric::StockoutDays) else {
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
    if !unmapped.is_empty() {
        let shown: Vec<String> = unmapped
            .iter()
            .take(10)
            .map(|(e, n)| format!("{e} ({n})"))
            .collect();
        notes.push(format!(
            "{} data value(s) of data elements or combos not in the mapping, not imported: {}{}",
            unmapped.values().sum::<usize>(),
            shown.join(", "),
            if unmapped.len() > shown.len() {
                ", ..."
            } else {
                ""
            }
        ));
    }
    if deleted > 0 {
        notes.push(format!(
            "{deleted} data value(s) marked deleted in DHIS2, not imported"
        ));
    }
    if derived > 0 {
        notes.push(format!(
            "{derived} value(s) of months of stock or status, Equitas's own derived figures, not imported"
        ));
    }
    StockImport {
        reports: Parsed {
            records,
            errors,
            notes: Vec::new(),
        },
        notes,
    }
}
