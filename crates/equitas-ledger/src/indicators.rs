//! Stock indicators on plain numbers: the definitions of `docs/formulas.md`
//! section 3, each with its worked examples as tests.

use serde::Serialize;

/// Average days per month, for converting a monthly rate to a daily one
/// (365.25 / 12).
pub const DAYS_PER_MONTH: f64 = 30.4375;

/// One month's consumption with its length and stockout days.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MonthUse {
    pub consumption: f64,
    pub days: u32,
    pub stockout_days: u32,
    /// At a store (a warehouse: it issues on distribution days), not at a
    /// place where demand comes every day.
    pub store: bool,
    /// Anything was recorded in the month at the place, for this item or
    /// another ([`crate::ledger::Month::recorded`]). A month with nothing recorded while the item is
    /// managed there is a reporting gap, not a month of no use (3.5),
    /// except at a store ([`MonthUse::unreported`]).
    pub reported: bool,
}

impl MonthUse {
    /// A reporting gap (formulas 3.5): nothing recorded in the month at a
    /// place where demand comes every day. A store issues on distribution
    /// days: a month between two distributions is a month of no issues.
    pub fn unreported(&self) -> bool {
        !self.reported && !self.store
    }
}

/// Consumption of a month scaled to the days the product was in stock
/// (formulas 3.4): `C x D / (D - S)`; at a store, its issues as they are.
/// `None` when the product was out of stock every day (the month tells
/// nothing of demand).
pub fn adjusted_consumption(m: MonthUse) -> Option<f64> {
    if m.stockout_days >= m.days {
        return None;
    }
    if m.stockout_days == 0 || m.store {
        return Some(m.consumption);
    }
    let (d, s) = (f64::from(m.days), f64::from(m.stockout_days));
    Some(m.consumption * d / (d - s))
}

/// Average monthly consumption over a window of months (formulas 3.5).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Amc {
    /// `None` when no month of the window can be used.
    pub value: Option<f64>,
    /// Months averaged.
    pub months_used: u32,
    /// Months left out because the product was out of stock all month.
    pub months_excluded: u32,
    /// Months left out because nothing was recorded in them (reporting
    /// gaps), in stock at least one day.
    pub months_unreported: u32,
}

/// The mean of the adjusted consumption of the months given, leaving out
/// the months out of stock all month and those with nothing recorded
/// (formulas 3.5).
pub fn amc(months: &[MonthUse]) -> Amc {
    let mut total = 0.0;
    let (mut used, mut excluded, mut unreported) = (0, 0, 0);
    for &m in months {
        match adjusted_consumption(m) {
            None => excluded += 1,
            Some(_) if m.unreported() => unreported += 1,
            Some(a) => {
                total += a;
                used += 1;
            }
        }
    }
    Amc {
        value: (used > 0).then(|| total / f64::from(used)),
        months_used: used,
        months_excluded: excluded,
        months_unreported: unreported,
    }
}

/// Months of stock: stock on hand / AMC (formulas 3.6); `None` without
/// consumption (an AMC of at most [`crate::ledger::EPSILON`], which counts
/// as zero, so that the ratio stays finite).
pub fn months_of_stock(stock_on_hand: f64, amc: Option<f64>) -> Option<f64> {
    match amc {
        Some(a) if a > crate::ledger::EPSILON => Some(stock_on_hand.max(0.0) / a),
        _ => None,
    }
}

/// Stock status bands (formulas 3.7).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    StockedOut,
    BelowMin,
    Adequate,
    AboveMax,
    /// In stock, but no consumption to measure months of stock by.
    NoConsumption,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::StockedOut,
        Status::BelowMin,
        Status::Adequate,
        Status::AboveMax,
        Status::NoConsumption,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::StockedOut => "stocked_out",
            Status::BelowMin => "below_min",
            Status::Adequate => "adequate",
            Status::AboveMax => "above_max",
            Status::NoConsumption => "no_consumption",
        }
    }

    pub fn from_name(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// The status of a stock on hand with months of stock `mos` against the
/// band `[min, max]` months.
pub fn status(stock_on_hand: f64, mos: Option<f64>, min: f64, max: f64) -> Status {
    if stock_on_hand <= crate::ledger::EPSILON {
        return Status::StockedOut;
    }
    match mos {
        None => Status::NoConsumption,
        Some(m) if m < min => Status::BelowMin,
        Some(m) if m > max => Status::AboveMax,
        Some(_) => Status::Adequate,
    }
}

/// A lot on hand: its quantity and the days from today to its expiry
/// (0: expires today; negative: already expired).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LotStock {
    pub quantity: f64,
    pub days_to_expiry: Option<i32>,
}

/// Quantity in lots expiring within `horizon_days` (formulas 3.8), including
/// lots already expired and still held.
pub fn expiring_within(lots: &[LotStock], horizon_days: i32) -> f64 {
    lots.iter()
        .filter(|l| l.days_to_expiry.is_some_and(|d| d <= horizon_days))
        .map(|l| l.quantity)
        .sum()
}

/// Quantity in lots already past their expiry (a negative number of days
/// to it), still held: stock no one may use (formulas 3.8).
pub fn expired(lots: &[LotStock]) -> f64 {
    lots.iter()
        .filter(|l| l.days_to_expiry.is_some_and(|d| d < 0))
        .map(|l| l.quantity)
        .sum()
}

/// Quantity expected to expire unused within `horizon_days` if stock is used
/// first-expiry-first-out at `amc` per month (formulas 3.8).
pub fn fefo_at_risk(lots: &[LotStock], amc: f64, horizon_days: i32) -> f64 {
    let mut dated: Vec<(i32, f64)> = lots
        .iter()
        .filter_map(|l| l.days_to_expiry.map(|d| (d, l.quantity)))
        .filter(|&(_, q)| q > 0.0)
        .collect();
    dated.sort_by_key(|&(d, _)| d);
    let rate = amc.max(0.0) / DAYS_PER_MONTH;
    let mut t = 0.0_f64;
    let mut wasted = 0.0;
    for (expiry, q) in dated {
        let e = f64::from(expiry.max(0));
        let left = if rate <= 0.0 || e <= t {
            q
        } else if t + q / rate <= e {
            t += q / rate;
            0.0
        } else {
            let used = (e - t) * rate;
            t = e;
            q - used
        };
        if expiry <= horizon_days {
            wasted += left;
        }
    }
    wasted
}

/// Share of facilities with the product in stock among those managing it
/// (formulas 3.9); `None` when none manages it.
pub fn availability(in_stock: usize, managing: usize) -> Option<f64> {
    (managing > 0).then(|| in_stock as f64 / managing as f64)
}

/// Mean, over facilities, of the share of the basket's products each has in
/// stock among those it manages (WHO SARA tracer-item availability).
pub fn basket_availability(per_facility: &[(usize, usize)]) -> Option<f64> {
    let shares: Vec<f64> = per_facility
        .iter()
        .filter_map(|&(s, m)| availability(s, m))
        .collect();
    (!shares.is_empty()).then(|| shares.iter().sum::<f64>() / shares.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use equitas_doc_vectors::{round, vectors};
    use proptest::prelude::*;
    use serde_json::Value;

    fn f(v: &Value) -> Option<f64> {
        v.as_f64()
    }

    /// A month is `[consumption, days, stockout days]`, `true` after them
    /// at a store; a consumption of `null`: nothing was recorded in it.
    fn months(v: &Value) -> Vec<MonthUse> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|m| MonthUse {
                consumption: m[0].as_f64().unwrap_or(0.0),
                days: m[1].as_u64().unwrap() as u32,
                stockout_days: m[2].as_u64().unwrap() as u32,
                store: m.get(3).and_then(Value::as_bool).unwrap_or(false),
                reported: !m[0].is_null(),
            })
            .collect()
    }

    #[test]
    fn amc_vectors() {
        for v in vectors("amc") {
            let a = amc(&months(&v["months"]));
            assert_eq!(a.value.map(|x| round(x, 2)), f(&v["amc"]), "{v}");
            assert_eq!(a.months_used, v["used"].as_u64().unwrap() as u32, "{v}");
            let unreported = v.get("unreported").and_then(Value::as_u64).unwrap_or(0);
            assert_eq!(u64::from(a.months_unreported), unreported, "{v}");
            let mos = months_of_stock(v["soh"].as_f64().unwrap(), a.value);
            assert_eq!(mos.map(|x| round(x, 2)), f(&v["mos"]), "{v}");
        }
    }

    #[test]
    fn status_vectors() {
        for v in vectors("stock_status") {
            let s = status(
                v["soh"].as_f64().unwrap(),
                f(&v["mos"]),
                v["min"].as_f64().unwrap(),
                v["max"].as_f64().unwrap(),
            );
            assert_eq!(s.as_str(), v["status"].as_str().unwrap(), "{v}");
        }
    }

    #[test]
    fn fefo_vectors() {
        for v in vectors("fefo") {
            let lots: Vec<LotStock> = v["lots"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| LotStock {
                    quantity: l[0].as_f64().unwrap(),
                    days_to_expiry: l[1].as_i64().map(|d| d as i32),
                })
                .collect();
            let h = v["horizon_days"].as_i64().unwrap() as i32;
            let amc = v["amc"].as_f64().unwrap();
            assert_eq!(
                round(expiring_within(&lots, h), 2),
                f(&v["expiring"]).unwrap(),
                "{v}"
            );
            assert_eq!(
                round(fefo_at_risk(&lots, amc, h), 2),
                f(&v["at_risk"]).unwrap(),
                "{v}"
            );
            assert_eq!(round(expired(&lots), 2), f(&v["expired"]).unwrap(), "{v}");
        }
    }

    #[test]
    fn availability_vectors() {
        for v in vectors("availability") {
            let fac: Vec<(usize, usize)> = v["facilities"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| {
                    (
                        x[0].as_u64().unwrap() as usize,
                        x[1].as_u64().unwrap() as usize,
                    )
                })
                .collect();
            assert_eq!(
                basket_availability(&fac).map(|x| round(x, 4)),
                f(&v["availability"]),
                "{v}"
            );
        }
    }

    proptest! {
        #[test]
        fn adjusted_consumption_is_at_least_consumption(c in 0.0f64..1e6, d in 28u32..=31, s in 0u32..=31, store: bool) {
            let m = MonthUse { consumption: c, days: d, stockout_days: s, store, reported: true };
            match adjusted_consumption(m) {
                None => prop_assert!(s >= d),
                Some(a) => {
                    prop_assert!(a >= c - 1e-9);
                    // A store's issues, and a month without stockout days, as they are.
                    if s == 0 || store { prop_assert_eq!(a, c); }
                }
            }
        }

        /// A month with nothing recorded changes no AMC: it is the AMC of
        /// the other months, and every month is used or counted as left out.
        #[test]
        fn a_month_with_nothing_recorded_changes_no_amc(
            months in proptest::collection::vec((0.0f64..1e4, 28u32..=31, 0u32..=31, any::<bool>()), 0..6),
            at in 0usize..6, d in 28u32..=31, s in 0u32..=31,
        ) {
            let uses: Vec<MonthUse> = months.iter().map(|&(c, d, s, store)| MonthUse {
                consumption: c, days: d, stockout_days: s, store, reported: true,
            }).collect();
            let mut with_gap = uses.clone();
            let silent = MonthUse { consumption: 0.0, days: d, stockout_days: s, store: false, reported: false };
            with_gap.insert(at.min(uses.len()), silent);
            let (a, b) = (amc(&uses), amc(&with_gap));
            prop_assert_eq!(a.value, b.value);
            prop_assert_eq!(a.months_used, b.months_used);
            prop_assert_eq!(b.months_used + b.months_excluded + b.months_unreported, with_gap.len() as u32);
            // Out of stock all month is known whether or not anything was recorded.
            prop_assert_eq!(b.months_excluded - a.months_excluded, u32::from(s >= d));
        }

        #[test]
        fn at_risk_never_exceeds_what_expires(
            lots in proptest::collection::vec((0.0f64..1e4, proptest::option::of(-30i32..400)), 0..6),
            amc in 0.0f64..5e3, h in 0i32..365,
        ) {
            let lots: Vec<LotStock> = lots.into_iter().map(|(q, d)| LotStock { quantity: q, days_to_expiry: d }).collect();
            let risk = fefo_at_risk(&lots, amc, h);
            prop_assert!(risk >= -1e-6);
            prop_assert!(risk <= expiring_within(&lots, h) + 1e-6);
            // Without consumption, everything that expires is lost.
            prop_assert!((fefo_at_risk(&lots, 0.0, h) - expiring_within(&lots, h)).abs() < 1e-6);
        }
    }
}
