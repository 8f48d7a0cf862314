//! Shipments in transit: issues from one location to another not yet
//! matched by the receipt at the other end (docs/formulas.md 4.7).

use crate::calendar::{Day, day_of_ms};
use crate::movement::Kind;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// An issue to, or a receipt from, a known other location.
#[derive(Debug, Clone, PartialEq)]
pub struct Leg {
    pub at: i64,
    /// Where the goods left from.
    pub from: String,
    /// Where they go.
    pub to: String,
    pub item: String,
    pub lot: String,
    pub quantity: f64,
    /// True for the receipt at `to`, false for the issue at `from`.
    pub receipt: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InTransit {
    pub from: String,
    pub to: String,
    pub item: String,
    pub lot: String,
    pub quantity: f64,
    pub shipped: Day,
    /// `shipped` + the median transit time of matched shipments.
    pub expected: Day,
}

/// Days assumed in transit when no shipment has been matched yet.
pub const DEFAULT_TRANSIT_DAYS: f64 = 14.0;

/// How long before a receipt a shipment may have left to be ended by a
/// receipt that does not name its route (days): older ones are lost, or
/// received without a receipt that says so, not this one's.
pub const FALLBACK_DAYS: i64 = 60;

/// Matches receipts to issues of the same route, item and lot first in,
/// first out (by quantity), up to the end of `as_of`. What a receipt has
/// left then ends, first in first out, shipments to its place of its item
/// shipped within [`FALLBACK_DAYS`] before it: a receipt without a source
/// (`from` empty), those of its lot from any source, then, if it has no lot
/// either, those of any lot; a receipt from a known source under another
/// lot, those of its source of any lot. A receipt from a source that
/// shipped nothing here (a supplier) ends nothing else. What is left is in
/// transit, expected after the median transit time of the shipments ended
/// on their own route. Returns the shipments in transit and the median
/// transit time in days.
pub fn in_transit(legs: &[Leg], as_of: Day) -> (Vec<InTransit>, f64) {
    // Legs of implausible quantities (formulas 3.10) or of none are left
    // out, as the ledger leaves them out of balances.
    let mut legs: Vec<&Leg> = legs
        .iter()
        .filter(|l| {
            day_of_ms(l.at) <= as_of && l.quantity > 1e-9 && Kind::Issue.plausible(l.quantity)
        })
        .collect();
    // One order whatever order the legs came in: same inputs, same matches.
    legs.sort_by(|a, b| {
        (a.at, a.receipt, &a.from, &a.to, &a.item, &a.lot)
            .cmp(&(b.at, b.receipt, &b.from, &b.to, &b.item, &b.lot))
            .then(a.quantity.total_cmp(&b.quantity))
    });
    type Route<'a> = (&'a str, &'a str, &'a str, &'a str);
    let mut open: BTreeMap<Route, VecDeque<(i64, f64)>> = BTreeMap::new();
    // The routes shipping each item to each place, for receipts that match
    // no route of their own (exhausted ones dropped as they are met).
    let mut routes_to: BTreeMap<(&str, &str), BTreeSet<Route>> = BTreeMap::new();
    let mut transit_days: Vec<f64> = Vec::new();
    for l in legs {
        let key = (
            l.from.as_str(),
            l.to.as_str(),
            l.item.as_str(),
            l.lot.as_str(),
        );
        if !l.receipt {
            routes_to.entry((key.1, key.2)).or_default().insert(key);
            open.entry(key).or_default().push_back((l.at, l.quantity));
            continue;
        }
        let mut left = l.quantity;
        // Its own route; the transit times come from these matches only.
        if let Some(queue) = open.get_mut(&key) {
            while left > 1e-9 {
                let Some(front) = queue.front_mut() else {
                    break;
                };
                let take = front.1.min(left);
                front.1 -= take;
                left -= take;
                if front.1 <= 1e-9 {
                    transit_days.push((l.at - front.0) as f64 / 86_400_000.0);
                    queue.pop_front();
                }
            }
        }
        if left <= 1e-9 {
            continue;
        }
        let Some(routes) = routes_to.get_mut(&(key.1, key.2)) else {
            continue;
        };
        routes.retain(|k| open.get(k).is_some_and(|q| !q.is_empty()));
        let from_known = !l.from.is_empty();
        let tiers: &[fn(&Route, &Leg) -> bool] = if from_known {
            &[|k, l| k.0 == l.from]
        } else if l.lot.is_empty() {
            &[|k, l| k.3 == l.lot, |_, _| true]
        } else {
            &[|k, l| k.3 == l.lot]
        };
        let since = l.at - FALLBACK_DAYS * 86_400_000;
        for tier in tiers {
            while left > 1e-9 {
                let earliest = routes
                    .iter()
                    .filter(|k| tier(k, l))
                    .filter_map(|k| {
                        let q = open.get(k)?;
                        // The earliest shipment of the window on this route.
                        q.iter()
                            .find(|f| f.0 >= since && f.1 > 1e-9)
                            .map(|f| (f.0, *k))
                    })
                    .min();
                let Some((_, k)) = earliest else {
                    break;
                };
                let Some(queue) = open.get_mut(&k) else {
                    break;
                };
                for f in queue.iter_mut().filter(|f| f.0 >= since) {
                    let take = f.1.min(left);
                    f.1 -= take;
                    left -= take;
                    if left <= 1e-9 {
                        break;
                    }
                }
                queue.retain(|f| f.1 > 1e-9);
            }
        }
    }
    transit_days.sort_by(f64::total_cmp);
    let median = match transit_days.len() {
        0 => DEFAULT_TRANSIT_DAYS,
        n if n % 2 == 1 => transit_days[n / 2],
        n => (transit_days[n / 2 - 1] + transit_days[n / 2]) / 2.0,
    };
    let mut out = Vec::new();
    for ((from, to, item, lot), queue) in open {
        for (at, q) in queue {
            if q > 1e-9 {
                let shipped = day_of_ms(at);
                out.push(InTransit {
                    from: from.to_string(),
                    to: to.to_string(),
                    item: item.to_string(),
                    lot: lot.to_string(),
                    quantity: q,
                    shipped,
                    expected: shipped + median.round() as Day,
                });
            }
        }
    }
    (out, median)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{MS_PER_DAY, parse_day};

    fn leg(day: &str, receipt: bool, q: f64) -> Leg {
        Leg {
            at: parse_day(day).unwrap() as i64 * MS_PER_DAY,
            from: "RMS".into(),
            to: "F1".into(),
            item: "AMOX".into(),
            lot: "L1".into(),
            quantity: q,
            receipt,
        }
    }

    #[test]
    fn unmatched_shipments_are_in_transit() {
        let legs = vec![
            leg("2026-01-03", false, 100.0),
            leg("2026-01-10", true, 100.0),
            leg("2026-02-03", false, 50.0),
            leg("2026-02-13", true, 50.0),
            leg("2026-03-03", false, 80.0),
            leg("2026-03-05", true, 30.0),
        ];
        let as_of = parse_day("2026-03-10").unwrap();
        let (t, median) = in_transit(&legs, as_of);
        // Matched: 7 and 10 days -> median 8.5.
        assert_eq!(median, 8.5);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].quantity, 50.0);
        assert_eq!(t[0].expected - t[0].shipped, 9);
        // Before the March shipment nothing is in transit.
        assert!(
            in_transit(&legs, parse_day("2026-02-28").unwrap())
                .0
                .is_empty()
        );
        // Nothing matched yet: the default transit time.
        assert_eq!(in_transit(&legs[..1], as_of).1, DEFAULT_TRANSIT_DAYS);
    }

    /// A receipt without a source (EPCIS 2.0 does not require one) or
    /// under another lot matches the earliest shipments to its place of
    /// its item: without it, the shipment stayed in transit for ever while
    /// its goods were in the receiver's stock.
    #[test]
    fn a_receipt_without_its_source_or_lot_still_ends_the_transit() {
        let mut no_source = leg("2026-01-10", true, 60.0);
        no_source.from = String::new();
        let mut other_lot = leg("2026-01-12", true, 30.0);
        other_lot.lot = String::new();
        let mut elsewhere = leg("2026-01-12", true, 500.0);
        elsewhere.to = "F2".into();
        elsewhere.from = String::new();
        let legs = vec![
            leg("2026-01-03", false, 100.0),
            no_source,
            other_lot,
            elsewhere,
        ];
        let (t, _) = in_transit(&legs, parse_day("2026-01-31").unwrap());
        // 100 shipped to F1, 60 + 30 received there: 10 left on its way;
        // a receipt at F2 ends nothing of a shipment to F1.
        assert_eq!(t.len(), 1);
        assert_eq!((t[0].to.as_str(), t[0].quantity), ("F1", 10.0));
    }

    /// What a receipt that does not name its route may not end: a
    /// shipment of another lot (a supplier's delivery without a source), one
    /// from another known source, one shipped more than 60 days before; and
    /// a shipment of nothing is no shipment.
    #[test]
    fn a_receipt_ends_no_shipment_it_cannot_be() {
        let at = |d: &str| parse_day(d).unwrap() as i64 * MS_PER_DAY;
        let leg = |day: &str, from: &str, lot: &str, receipt: bool, q: f64| Leg {
            at: at(day),
            from: from.into(),
            to: "RMS".into(),
            item: "AMOX".into(),
            lot: lot.into(),
            quantity: q,
            receipt,
        };
        let as_of = parse_day("2026-06-30").unwrap();
        let open = |legs: &[Leg]| -> Vec<(String, f64)> {
            in_transit(legs, as_of)
                .0
                .into_iter()
                .map(|t| (t.lot, t.quantity))
                .collect()
        };
        let shipped = leg("2026-06-01", "CMS", "L1", false, 500.0);
        // A supplier's delivery of its own lot, without a source.
        let supplier = leg("2026-06-02", "", "S9", true, 500.0);
        assert_eq!(open(&[shipped.clone(), supplier]), [("L1".into(), 500.0)]);
        // From a known source that shipped nothing here.
        let other = leg("2026-06-02", "SUPPLIER", "L1", true, 500.0);
        assert_eq!(open(&[shipped.clone(), other]), [("L1".into(), 500.0)]);
        // Without source or lot, 90 days on: the shipment is not its.
        let old = leg("2026-03-01", "CMS", "L0", false, 70.0);
        let late = leg("2026-06-01", "", "", true, 70.0);
        assert_eq!(open(&[old.clone(), late.clone()]), [("L0".into(), 70.0)]);
        // Within 60 days it is.
        let mut recent = late;
        recent.at = at("2026-04-15");
        assert!(open(&[old, recent]).is_empty());
        // A shipment of 0 is none, and times nothing.
        let zero = leg("2026-01-01", "CMS", "L2", false, 0.0);
        let (t, median) = in_transit(&[zero], as_of);
        assert!(t.is_empty());
        assert_eq!(median, DEFAULT_TRANSIT_DAYS);
        // The order the legs come in changes nothing.
        let legs = vec![
            leg("2026-06-01", "CMS", "L1", false, 50.0),
            leg("2026-06-01", "R2", "L2", false, 50.0),
            leg("2026-06-03", "", "", true, 50.0),
        ];
        let mut reversed = legs.clone();
        reversed.reverse();
        assert_eq!(in_transit(&legs, as_of), in_transit(&reversed, as_of));
    }
}
