//! Monthly demand series from the stock ledger (docs/formulas.md 4.1).

use equitas_ledger::Ledger;
use equitas_ledger::calendar::{MonthIndex, days_in_month, format_month, month_end};
use equitas_ledger::indicators::{MonthUse, adjusted_consumption};
use equitas_ledger::view::Places;
use equitas_model::LocationLevel;
use serde::Serialize;
use std::collections::BTreeMap;

/// The demand of one item in one place (a location, or an area adding up
/// its facilities), month by month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemandSeries {
    pub area: String,
    pub area_name: String,
    /// The product code (or the code recorded, for an item the catalogue
    /// does not add up into a product).
    pub item: String,
    /// The product's name, where the catalogue knows it.
    pub item_name: Option<String>,
    /// `YYYY-MM` of the first value.
    pub first_month: String,
    #[serde(skip)]
    pub first: MonthIndex,
    /// Consumption adjusted for stockout days and reporting gaps.
    pub values: Vec<f64>,
    /// Months whose value is imputed (out of stock all month, or not reported).
    pub imputed: Vec<bool>,
    /// Share of the locations managing the item that recorded anything.
    pub reporting_rate: Vec<f64>,
    /// The last month in which any of its locations recorded anything
    /// (`None`: none did in the window).
    #[serde(skip)]
    pub last_reported: Option<MonthIndex>,
}

/// The last complete month of the ledger: the month of its last day if
/// that is the month's last day, else the month before.
pub fn last_complete_month(ledger: &Ledger) -> Option<MonthIndex> {
    ledger
        .through()
        .map(equitas_ledger::calendar::last_complete_month)
}

struct Cell {
    adjusted: Option<f64>,
    reported: bool,
}

/// Demand series for every item (or those in `items`) and every place of
/// `level` (`None`: every location holding stock, each on its own) over the
/// `months` months ending with `last`.
///
/// At one location a month's value is its consumption (issued + dispensed)
/// scaled for stockout days (3.4); a month out of stock all month, or with
/// nothing recorded, is imputed with the mean of the location's other
/// months. For an area the value is the sum over its facilities of what they
/// dispensed, each scaled for its stockout days, divided by the reporting
/// rate when some facilities managing the item recorded nothing that month.
pub fn demand_series(
    ledger: &Ledger,
    places: &Places,
    level: Option<LocationLevel>,
    items: &[String],
    last: MonthIndex,
    months: usize,
) -> Vec<DemandSeries> {
    let start = last - months as MonthIndex + 1;
    // (place, item) -> per-location cells
    let mut groups: BTreeMap<(usize, u32), Vec<Vec<Cell>>> = BTreeMap::new();
    // Items named by product code or by a trade item's code.
    let wanted: Vec<u32> = items
        .iter()
        .filter_map(|i| ledger.names.item_id(i))
        .collect();
    if !items.is_empty() && wanted.is_empty() {
        return Vec::new();
    }
    for (loc, item) in ledger.item_keys() {
        if !wanted.is_empty() && !wanted.contains(&item) {
            continue;
        }
        let Some(place) = places.place_of(loc) else {
            continue;
        };
        let target = match level {
            None => Some(place),
            Some(l) => {
                if places.list[place].level != Some(LocationLevel::Facility) {
                    None
                } else {
                    places
                        .lineage(place)
                        .into_iter()
                        .find(|&i| places.list[i].level == Some(l))
                }
            }
        };
        let Some(target) = target else { continue };
        let area = level.is_some();
        let cells: Vec<Cell> = (start..=last)
            .map(|m| match ledger.month(loc, item, m, month_end(m)) {
                None => Cell {
                    adjusted: None,
                    reported: false,
                },
                Some(f) => {
                    let c = if area { f.dispensed } else { f.consumption() };
                    Cell {
                        adjusted: adjusted_consumption(MonthUse {
                            consumption: c,
                            days: days_in_month(m),
                            stockout_days: f.stockout_days,
                        }),
                        reported: f.movements > 0 || f.stockout_reported,
                    }
                }
            })
            .collect();
        groups.entry((target, item)).or_default().push(cells);
    }
    let mut out = Vec::new();
    for ((target, item), locations) in groups {
        let n = (last - start + 1) as usize;
        let mut values = vec![0.0; n];
        let mut imputed = vec![false; n];
        let mut managing = vec![0usize; n];
        let mut reporting = vec![0usize; n];
        let mut first = n;
        let mut last_reported = None;
        for cells in &locations {
            let usable: Vec<f64> = cells
                .iter()
                .filter(|c| c.reported)
                .filter_map(|c| c.adjusted)
                .collect();
            let mean = if usable.is_empty() {
                0.0
            } else {
                usable.iter().sum::<f64>() / usable.len() as f64
            };
            for (k, c) in cells.iter().enumerate() {
                let managed = c.reported || c.adjusted.is_some();
                if !managed {
                    continue;
                }
                first = first.min(k);
                managing[k] += 1;
                if c.reported {
                    reporting[k] += 1;
                    last_reported = last_reported.max(Some(start + k as MonthIndex));
                }
                match (c.reported, c.adjusted) {
                    (true, Some(v)) => values[k] += v,
                    (true, None) => {
                        // Reported but out of stock all month.
                        values[k] += mean;
                        imputed[k] = true;
                    }
                    (false, _) if level.is_none() => {
                        values[k] += mean;
                        imputed[k] = true;
                    }
                    (false, _) => {}
                }
            }
        }
        if first == n {
            continue;
        }
        let mut rate = vec![1.0; n];
        if level.is_some() {
            for k in 0..n {
                if managing[k] > 0 {
                    rate[k] = reporting[k] as f64 / managing[k] as f64;
                    if rate[k] > 0.0 && rate[k] < 1.0 {
                        values[k] /= rate[k];
                    }
                }
            }
        }
        let p = &places.list[target];
        out.push(DemandSeries {
            area: p.code.clone(),
            area_name: p.name.clone(),
            item: ledger.names.items.name(item).to_string(),
            item_name: ledger.names.item_name(item).map(str::to_string),
            first_month: format_month(start + first as MonthIndex),
            first: start + first as MonthIndex,
            values: values[first..].to_vec(),
            imputed: imputed[first..].to_vec(),
            reporting_rate: rate[first..].to_vec(),
            last_reported,
        });
    }
    out
}
