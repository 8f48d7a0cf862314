//! A month's figures per location and product, from the ledger, and the
//! data values they become.
//!
//! Stock on hand, months of stock, status and stockout days are those of
//! `equitas stock` as of the month's last day (`equitas_ledger::view::stock`
//! with its default window and bands: docs/formulas.md 3.2-3.8); opening balance, received,
//! consumption (issued + dispensed, formulas 3.2) and adjustments are the
//! ledger's figures of the month.

use super::mapping::{Mapping, Metric};
use super::values::{DataValue, DataValueSet};
use equitas_ledger::Ledger;
use equitas_ledger::calendar::{MonthIndex, format_month, month_end};
use equitas_ledger::indicators::Status;
use equitas_ledger::view::{self, MinMaxBands, Places, StockQuery};
use serde::Serialize;

/// One location's figures for one product and month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthFigures {
    pub location: String,
    pub item: String,
    /// `YYYY-MM`.
    pub month: String,
    pub opening_balance: f64,
    pub stock_on_hand: f64,
    pub consumption: f64,
    pub received: f64,
    pub adjustments: f64,
    pub stockout_days: u32,
    pub months_of_stock: Option<f64>,
    pub status: Status,
}

/// A number as DHIS2 reads it: rounded to 6 decimals (no float noise),
/// written as the shortest decimal, `0` for zero.
pub fn number(v: f64) -> String {
    rounded(v, 6)
}

/// `v` rounded to `decimals`, written without float noise (`3.6`, not
/// `3.5999999999999996`) and without a sign on zero.
fn rounded(v: f64, decimals: i32) -> String {
    let k = 10f64.powi(decimals);
    let r = (v * k).round() / k;
    if r == 0.0 { "0".into() } else { r.to_string() }
}

impl MonthFigures {
    /// The value of one metric, if it has one (months of stock needs a
    /// consumption).
    pub fn value(&self, m: Metric) -> Option<String> {
        Some(match m {
            Metric::OpeningBalance => number(self.opening_balance),
            Metric::StockOnHand => number(self.stock_on_hand),
            Metric::Consumption => number(self.consumption),
            Metric::Received => number(self.received),
            Metric::Adjustments => number(self.adjustments),
            Metric::StockoutDays => self.stockout_days.to_string(),
            // Two decimals, as months of stock are shown (until 2026-12-07
            // DHIS2 received `3.5999999999999996`).
            Metric::MonthsOfStock => rounded(self.months_of_stock?, 2),
            Metric::Status => self.status.as_str().to_string(),
        })
    }
}

/// The figures of `month` for every single location (not areas) holding
/// one of `items` (all items when empty), sorted by location then item.
pub fn month_figures(
    ledger: &Ledger,
    places: &Places,
    bands: &MinMaxBands,
    month: MonthIndex,
    items: &[String],
) -> Vec<MonthFigures> {
    let as_of = month_end(month);
    let q = StockQuery {
        as_of: Some(as_of),
        items: items.to_vec(),
        ..StockQuery::default()
    };
    view::stock(ledger, places, bands, &q)
        .into_iter()
        .map(|row| {
            let f = ledger
                .names
                .locations
                .get(&row.location)
                .zip(ledger.names.item_id(&row.item))
                .and_then(|(loc, item)| ledger.month(loc, item, month, as_of))
                .unwrap_or_default();
            MonthFigures {
                month: format_month(month),
                opening_balance: f.opening,
                stock_on_hand: row.stock_on_hand,
                consumption: f.consumption(),
                received: f.received,
                adjustments: f.adjusted,
                stockout_days: row.stockout_days.unwrap_or(f.stockout_days),
                months_of_stock: row.months_of_stock,
                status: row.status,
                location: row.location,
                item: row.item,
            }
        })
        .collect()
}

/// The data values of `figures` through `mapping`, and a note for each
/// location or product with figures that the mapping leaves out.
pub fn data_values(figures: &[MonthFigures], mapping: &Mapping) -> (DataValueSet, Vec<String>) {
    let mut out = Vec::new();
    let mut notes = Vec::new();
    let mut unmapped_places = std::collections::BTreeSet::new();
    let mut unmapped_items = std::collections::BTreeSet::new();
    for f in figures {
        let Some(ou) = mapping.org_unit(&f.location) else {
            unmapped_places.insert(f.location.as_str());
            continue;
        };
        let Some(m) = equitas_ledger::calendar::parse_month(&f.month) else {
            continue;
        };
        let mut any = false;
        for metric in Metric::ALL {
            let (Some(t), Some(value)) = (mapping.target(&f.item, metric), f.value(metric)) else {
                continue;
            };
            any = true;
            out.push(DataValue {
                data_element: t.data_element.clone(),
                period: super::period(m),
                org_unit: ou.to_string(),
                category_option_combo: t.category_option_combo.clone(),
                attribute_option_combo: mapping.attribute_option_combo.clone(),
                value,
                comment: None,
                deleted: false,
            });
        }
        if !any {
            unmapped_items.insert(f.item.as_str());
        }
    }
    if !unmapped_places.is_empty() {
        notes.push(format!(
            "{} location(s) with figures have no org unit in the mapping, left out: {}",
            unmapped_places.len(),
            unmapped_places.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    if !unmapped_items.is_empty() {
        notes.push(format!(
            "{} product(s) with figures have no data element in the mapping, left out: {}",
            unmapped_items.len(),
            unmapped_items.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    (
        DataValueSet {
            data_set: mapping.data_set.clone(),
            data_values: out,
        },
        notes,
    )
}

#[cfg(test)]
mod rounding {
    use super::*;

    #[test]
    fn values_are_written_without_float_noise() {
        assert_eq!(rounded(3.5999999999999996, 2), "3.6");
        assert_eq!(number(0.1 + 0.2), "0.3");
        assert_eq!(number(-0.0), "0");
        assert_eq!(number(1234.5), "1234.5");
        assert_eq!(rounded(2.0 / 3.0, 2), "0.67");
    }
}
