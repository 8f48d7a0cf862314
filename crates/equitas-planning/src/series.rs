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
    /// Months whose value is imputed (out of stock all month, or not
    /// reported; in an area, at any of its facilities).
    pub imputed: Vec<bool>,
    /// Months without a single observed value (imputed wholly): no actual
    /// to score a forecast against (4.6).
    #[serde(skip)]
    pub unobserved: Vec<bool>,
    /// Share of the locations managing the item that recorded anything.
    pub reporting_rate: Vec<f64>,
    /// The last month in which any of its locations recorded anything
    /// (`None`: none did in the window).
    #[serde(skip)]
    pub last_reported: Option<MonthIndex>,
    /// Use recorded after the last month (in the month after it, up to the
    /// ledger's last day; as each month's value counts it, unadjusted):
    /// out of stock on hand counted on that day, yet part of the next
    /// month's forecast (4.7 adds it back).
    #[serde(skip)]
    pub used_after: f64,
    /// For a store planned on the area it serves (4.1): that area's code;
    /// its values and `used_after` are the area's, and so are the stock and
    /// shipments its plan counts (its echelon).
    #[serde(skip)]
    pub served: Option<String>,
    /// For a store planned on its own figures at level `warehouse`: why it
    /// serves no area (4.1).
    #[serde(skip)]
    pub own_why: Option<String>,
}

impl DemandSeries {
    /// The place whose stock and incoming shipments its plan counts: the
    /// area a store serves when it is planned as its echelon (4.1), else
    /// its own.
    pub fn planned_at(&self) -> &str {
        self.served.as_deref().unwrap_or(&self.area)
    }
}

/// The last complete month of the ledger: the month of its last day if
/// that is the month's last day, else the month before.
pub fn last_complete_month(ledger: &Ledger) -> Option<MonthIndex> {
    ledger
        .through()
        .map(equitas_ledger::calendar::last_complete_month)
}

/// One month of one location's record of an item, from its monthly
/// figures (3.2-3.3): what [`assemble`] needs of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MonthCell {
    /// Consumption adjusted for stockout days (3.4); `None` when out of
    /// stock all month, or before the item was managed there.
    pub adjusted: Option<f64>,
    /// Anything recorded that month: a movement, or stockout days a stock
    /// report gave; at a store, also a month with nothing recorded (one of
    /// no issues, 3.5): not a gap to impute.
    pub reported: bool,
    /// Something was recorded that month (a movement, or stockout days a
    /// stock report gave), at a store too: what [`Assembled::last_reported`]
    /// follows, so that a store that stopped recording is not taken for
    /// one up to date.
    pub recorded: bool,
    /// The item was managed there that month (on or after its first
    /// movement there).
    pub managed: bool,
}

impl MonthCell {
    /// A month without figures: before the item's first movement there.
    pub const ABSENT: MonthCell = MonthCell {
        adjusted: None,
        reported: false,
        recorded: false,
        managed: false,
    };

    /// A month of `m`'s figures: `consumption` (for an area, what was
    /// dispensed), its stockout days, whether anything was recorded, and
    /// whether the location is a store (its issues not scaled, 3.4).
    pub fn of(
        m: MonthIndex,
        consumption: f64,
        stockout_days: u32,
        reported: bool,
        store: bool,
    ) -> MonthCell {
        let month = MonthUse {
            consumption,
            days: days_in_month(m),
            stockout_days,
            store,
            reported,
        };
        MonthCell {
            adjusted: adjusted_consumption(month),
            // A store's month with nothing recorded is one of no issues
            // (3.5), not a gap to impute.
            reported: !month.unreported(),
            recorded: reported,
            managed: true,
        }
    }
}

/// One place's series assembled from its locations' months ([`assemble`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Assembled {
    /// Index of the first month any location managed the item (the
    /// values start there).
    pub first: usize,
    pub values: Vec<f64>,
    pub imputed: Vec<bool>,
    /// No location observed a value (recorded, and in stock part of the
    /// month): the month is imputed wholly.
    pub unobserved: Vec<bool>,
    pub reporting_rate: Vec<f64>,
    /// Index of the last month any location recorded anything (a store's
    /// month with nothing recorded, counted as no issues, is not one).
    pub last_reported: Option<usize>,
}

/// The values of one place's series (4.1) from the months of each of its
/// locations (every location's cells over the same months): at one
/// location (`area` false) a month out of stock all month or with nothing
/// recorded is imputed with the mean of the location's other months; in
/// an area the facilities' values are added and divided by the month's
/// reporting rate, and a month in which none of them observed anything
/// (nothing recorded, or out of stock all month) is imputed with the sum of
/// their means. `None` when no location managed the item in the window.
pub fn assemble(locations: &[Vec<MonthCell>], area: bool) -> Option<Assembled> {
    let n = locations.first().map_or(0, Vec::len);
    let mut values = vec![0.0; n];
    let mut imputed = vec![false; n];
    let mut managing = vec![0usize; n];
    let mut reporting = vec![0usize; n];
    // Locations with an observed value (recorded, not out of stock all
    // month) in each month.
    let mut observed = vec![0usize; n];
    // In an area, what the facilities that recorded nothing would add at
    // their means: counted when none of them observed anything.
    let mut gaps = vec![0.0; n];
    let mut first = n;
    let mut last_reported = None;
    for cells in locations {
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
        for (k, c) in cells.iter().enumerate().take(n) {
            if !c.managed {
                continue;
            }
            first = first.min(k);
            managing[k] += 1;
            if c.recorded {
                last_reported = last_reported.max(Some(k));
            }
            // Out of stock all month is known from the ledger (its stock
            // stayed at zero), recorded or not: not a reporting gap.
            if c.reported || c.adjusted.is_none() {
                reporting[k] += 1;
            }
            match (c.reported, c.adjusted) {
                (true, Some(v)) => {
                    values[k] += v;
                    observed[k] += 1;
                }
                (_, None) => {
                    // Out of stock all month: its demand is unknown.
                    values[k] += mean;
                    imputed[k] = true;
                }
                (false, Some(_)) if !area => {
                    values[k] += mean;
                    imputed[k] = true;
                }
                // In an area, a gap the reporting rate makes up for.
                (false, Some(_)) => gaps[k] += mean,
            }
        }
    }
    if first == n {
        return None;
    }
    let mut rate = vec![1.0; n];
    if area {
        for k in 0..n {
            if managing[k] > 0 {
                rate[k] = reporting[k] as f64 / managing[k] as f64;
                if observed[k] == 0 {
                    // Nothing observed anywhere: no observed share to scale
                    // up, so each facility counts with its mean, as at a
                    // location (those out of stock are already in).
                    values[k] += gaps[k];
                    imputed[k] = true;
                } else if rate[k] < 1.0 {
                    // The silent facilities' share is estimated: imputed.
                    values[k] /= rate[k];
                    imputed[k] = true;
                }
            }
        }
    }
    let unobserved: Vec<bool> = (first..n)
        .map(|k| managing[k] > 0 && observed[k] == 0)
        .collect();
    Some(Assembled {
        first,
        values: values[first..].to_vec(),
        imputed: imputed[first..].to_vec(),
        unobserved,
        reporting_rate: rate[first..].to_vec(),
        last_reported,
    })
}

/// Demand series for every item (or those in `items`) and every place of
/// `level` (`None`: every location holding stock, each on its own) over the
/// `months` months ending with `last`.
///
/// At one location a month's value is its consumption (issued + dispensed)
/// scaled for stockout days (3.4; at a store, as it is); a month out of stock all month, or with
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
    let mut groups: BTreeMap<(usize, u32), Vec<Vec<MonthCell>>> = BTreeMap::new();
    let mut used_after: BTreeMap<(usize, u32), f64> = BTreeMap::new();
    // The ledger's last day, if it lies after the last month.
    let partial = ledger.through().filter(|&d| d > month_end(last));
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
        let store = places.list[place].level == Some(LocationLevel::Warehouse);
        let cells: Vec<MonthCell> = (start..=last)
            .map(|m| match ledger.month(loc, item, m, month_end(m)) {
                None => MonthCell::ABSENT,
                Some(f) => MonthCell::of(
                    m,
                    if area { f.dispensed } else { f.consumption() },
                    f.stockout_days,
                    f.recorded(),
                    store,
                ),
            })
            .collect();
        groups.entry((target, item)).or_default().push(cells);
        if let Some(f) = partial.and_then(|d| ledger.month(loc, item, last + 1, d)) {
            *used_after.entry((target, item)).or_default() +=
                if area { f.dispensed } else { f.consumption() };
        }
    }
    let mut out = Vec::new();
    for ((target, item), locations) in groups {
        let used_after = used_after.get(&(target, item)).copied().unwrap_or(0.0);
        let Some(a) = assemble(&locations, level.is_some()) else {
            continue;
        };
        let p = &places.list[target];
        out.push(DemandSeries {
            area: p.code.clone(),
            area_name: p.name.clone(),
            item: ledger.names.items.name(item).to_string(),
            item_name: ledger.names.item_name(item).map(str::to_string),
            first_month: format_month(start + a.first as MonthIndex),
            first: start + a.first as MonthIndex,
            values: a.values,
            imputed: a.imputed,
            unobserved: a.unobserved,
            reporting_rate: a.reporting_rate,
            last_reported: a.last_reported.map(|k| start + k as MonthIndex),
            used_after,
            served: None,
            own_why: None,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // January 2026 (31 days) onwards.
    const JAN: MonthIndex = 2026 * 12;

    fn month(k: i32, consumption: f64, stockout_days: u32, reported: bool) -> MonthCell {
        MonthCell::of(JAN + k, consumption, stockout_days, reported, false)
    }

    #[test]
    fn a_month_out_of_stock_all_month_is_imputed_recorded_or_not() {
        // Not managed in January; February 30; March out of stock all
        // month without any movement; April 20 with 15 of its 30 days out
        // of stock; May in stock but nothing recorded.
        let cells = vec![
            MonthCell::ABSENT,
            month(1, 30.0, 0, true),
            month(2, 0.0, 31, false),
            month(3, 20.0, 15, true),
            month(4, 0.0, 0, false),
        ];
        let a = assemble(&[cells], false).unwrap();
        assert_eq!(a.first, 1);
        // April adjusted: 20 x 30 / 15 = 40; the mean of the recorded
        // months, (30 + 40) / 2 = 35, fills March (out of stock) and May
        // (nothing recorded).
        assert_eq!(a.values, vec![30.0, 35.0, 40.0, 35.0]);
        assert_eq!(a.imputed, vec![false, true, false, true]);
        assert_eq!(a.unobserved, a.imputed);
        assert_eq!(a.last_reported, Some(3));
    }

    #[test]
    fn in_an_area_a_facility_out_of_stock_all_month_counts_with_its_mean() {
        // F1 out of stock all February (28 days), nothing recorded.
        let f1 = vec![month(0, 10.0, 0, true), month(1, 0.0, 28, false)];
        let f2 = vec![month(0, 20.0, 0, true), month(1, 24.0, 0, true)];
        // A third facility that recorded nothing in February: a gap.
        let f3 = vec![month(0, 30.0, 0, true), month(1, 0.0, 0, false)];
        let a = assemble(&[f1, f2.clone(), f3.clone()], true).unwrap();
        // February: F1 with its mean (10), F2 24, F3 unreported: 2 of 3
        // report, (10 + 24) / (2 / 3) = 51.
        assert_eq!(a.values[0], 60.0);
        assert!((a.values[1] - 51.0).abs() < 1e-9, "{:?}", a.values);
        assert_eq!(a.imputed, vec![false, true]);
        // Partly imputed: F2 observed February.
        assert_eq!(a.unobserved, vec![false, false]);
        assert!((a.reporting_rate[1] - 2.0 / 3.0).abs() < 1e-12);
        // F1 recorded 12 instead: (12 + 24) / (2 / 3) = 54, F3's third
        // estimated: imputed in part (and still observed).
        let f1 = vec![month(0, 10.0, 0, true), month(1, 12.0, 0, true)];
        let a = assemble(&[f1, f2, f3], true).unwrap();
        assert!((a.values[1] - 54.0).abs() < 1e-9, "{:?}", a.values);
        assert_eq!(a.imputed, vec![false, true]);
        assert_eq!(a.unobserved, vec![false, false]);
    }

    #[test]
    fn in_an_area_a_month_nobody_recorded_is_imputed_with_the_facilities_means() {
        // Two facilities; in March neither observed anything (the data
        // end, or a reporting outage). F1's March: silent (0 stockout days)
        // or out of stock all month (31): its state is then known (it
        // counts as reporting, rate 1/2), but nothing is observed either.
        let area = |f1_march_stockout_days: u32| {
            let f1 = vec![
                month(0, 10.0, 0, true),
                month(1, 14.0, 0, true),
                month(2, 0.0, f1_march_stockout_days, false),
            ];
            let f2 = vec![
                month(0, 20.0, 0, true),
                month(1, 0.0, 0, false),
                month(2, 0.0, 0, false),
            ];
            assemble(&[f1, f2], true).unwrap()
        };
        for (days, march_rate) in [(0, 0.0), (31, 0.5)] {
            let a = area(days);
            // January 30; February F1 alone at rate 1/2: 14 / (1/2) = 28;
            // March: F1's mean 12 plus F2's 20, imputed wholly (it was 0
            // silent, 12 / (1/2) = 24 out of stock).
            assert_eq!(a.values, vec![30.0, 28.0, 32.0], "{days}");
            // February is imputed in part (F2's share, by the rate).
            assert_eq!(a.imputed, vec![false, true, true]);
            assert_eq!(a.unobserved, vec![false, false, true]);
            assert_eq!(a.reporting_rate, vec![1.0, 0.5, march_rate]);
            assert_eq!(a.last_reported, Some(1));
        }
    }

    /// A store's months with nothing recorded are months of no issues
    /// (3.5): not imputed, yet not data either. A store that recorded
    /// nothing in the history is no data (no forecast of 0 for a plan to
    /// order nothing on), and one that stopped recording says when.
    #[test]
    fn a_store_silent_months_are_no_issues_but_not_data() {
        let store = |k: i32, c: f64, reported: bool| MonthCell::of(JAN + k, c, 0, reported, true);
        let a = assemble(
            &[vec![
                store(0, 300.0, true),
                store(1, 0.0, false),
                store(2, 0.0, false),
            ]],
            false,
        )
        .unwrap();
        assert_eq!(a.values, vec![300.0, 0.0, 0.0]);
        assert_eq!(a.imputed, vec![false; 3]);
        assert_eq!(a.last_reported, Some(0));
        let silent = assemble(&[vec![store(0, 0.0, false), store(1, 0.0, false)]], false).unwrap();
        assert_eq!(silent.last_reported, None);
    }

    /// 4.1 and 3.5: a month is a reporting gap only when nothing at all
    /// was recorded at the location. ORS is silent in February at both
    /// facilities; F1 recorded AMOX that month, F2 nothing: F1's February
    /// is a demand of 0, F2's is imputed, and the district's reporting rate
    /// is 1 of 2.
    #[test]
    fn an_item_silent_while_its_place_reports_is_a_demand_of_zero() {
        use equitas_ledger::movement::{Kind, Movement, Names};
        use equitas_ledger::view::Place;
        let place = |code: &str, level, parent: Option<&str>| Place {
            code: code.into(),
            name: code.into(),
            level: Some(level),
            parent: parent.map(str::to_string),
            gln: None,
        };
        let hierarchy = vec![
            place("XSY", LocationLevel::Country, None),
            place("D1", LocationLevel::District, Some("XSY")),
            place("F1", LocationLevel::Facility, Some("D1")),
            place("F2", LocationLevel::Facility, Some("D1")),
        ];
        let mut n = Names::default();
        let (f1, f2) = (n.locations.id("F1"), n.locations.id("F2"));
        let (amox, ors) = (n.items.id("AMOX"), n.items.id("ORS"));
        let mv = |d: &str, location, item, kind, quantity| Movement {
            recorded: 0,
            at: equitas_ledger::calendar::parse_day(d).unwrap() as i64
                * equitas_ledger::calendar::MS_PER_DAY,
            location,
            item,
            lot: 0,
            kind,
            quantity,
            reason: 0,
            source: 0,
        };
        let mut ms = Vec::new();
        for f in [f1, f2] {
            ms.push(mv("2026-01-01", f, ors, Kind::Receipt, 100.0));
            ms.push(mv("2026-01-10", f, ors, Kind::Dispense, 30.0));
            ms.push(mv("2026-03-10", f, ors, Kind::Dispense, 30.0));
        }
        ms.push(mv("2026-02-10", f1, amox, Kind::Receipt, 5.0));
        let l = Ledger::build(n, ms);
        let places = Places::new(hierarchy, &l);
        let s = demand_series(&l, &places, None, &["ORS".into()], JAN + 2, 3);
        let got: Vec<(&str, Vec<f64>, Vec<bool>)> = s
            .iter()
            .map(|s| (s.area.as_str(), s.values.clone(), s.imputed.clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("F1", vec![30.0, 0.0, 30.0], vec![false; 3]),
                ("F2", vec![30.0, 30.0, 30.0], vec![false, true, false]),
            ]
        );
        let d = demand_series(
            &l,
            &places,
            Some(LocationLevel::District),
            &["ORS".into()],
            JAN + 2,
            3,
        );
        assert_eq!(d[0].reporting_rate, vec![1.0, 0.5, 1.0]);
        // F1's 0 scaled up for the silent F2: 0 either way.
        assert_eq!(d[0].values, vec![60.0, 0.0, 60.0]);
    }

    #[test]
    fn nothing_managed_in_the_window_is_no_series() {
        assert_eq!(
            assemble(&[vec![MonthCell::ABSENT, MonthCell::ABSENT]], false),
            None
        );
    }
}
