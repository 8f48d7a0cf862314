//! Shipments in transit: issues from one location to another not yet
//! matched by the receipt at the other end (docs/formulas.md 4.7).

use crate::calendar::{Day, day_of_ms};
use crate::movement::Kind;
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};

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

/// Matches receipts to issues of the same route, item and lot first in,
/// first out (by quantity), up to the end of `as_of`; what a receipt has
/// left (one without a source, `from` empty, or under another lot) then
/// matches the earliest shipments to its place of the same item, whatever
/// their source and lot. What is left is in transit, expected after the
/// median transit time of the matched ones. Returns the shipments in
/// transit and the median transit time in days.
pub fn in_transit(legs: &[Leg], as_of: Day) -> (Vec<InTransit>, f64) {
    // Legs of implausible quantities are left out, as the ledger leaves
    // them out of balances (formulas 3.10).
    let mut legs: Vec<&Leg> = legs
        .iter()
        .filter(|l| day_of_ms(l.at) <= as_of && Kind::Issue.plausible(l.quantity))
        .collect();
    legs.sort_by_key(|l| (l.at, l.receipt));
    type Route<'a> = (&'a str, &'a str, &'a str, &'a str);
    let mut open: BTreeMap<Route, VecDeque<(i64, f64)>> = BTreeMap::new();
    // The routes shipping each item to each place, for receipts that match
    // no route of their own.
    let mut routes_to: BTreeMap<(&str, &str), Vec<Route>> = BTreeMap::new();
    let mut transit_days: Vec<f64> = Vec::new();
    for l in legs {
        let key = (
            l.from.as_str(),
            l.to.as_str(),
            l.item.as_str(),
            l.lot.as_str(),
        );
        if !l.receipt {
            let routes = routes_to.entry((key.1, key.2)).or_default();
            if !routes.contains(&key) {
                routes.push(key);
            }
            open.entry(key).or_default().push_back((l.at, l.quantity));
            continue;
        }
        let queue = open.entry(key).or_default();
        let mut left = l.quantity;
        let mut take_from = |queue: &mut VecDeque<(i64, f64)>, left: &mut f64| {
            while *left > 1e-9 {
                let Some(front) = queue.front_mut() else {
                    break;
                };
                let take = front.1.min(*left);
                front.1 -= take;
                *left -= take;
                if front.1 <= 1e-9 {
                    transit_days.push((l.at - front.0) as f64 / 86_400_000.0);
                    queue.pop_front();
                }
            }
        };
        take_from(queue, &mut left);
        // Then any shipment to this place of this item, earliest first.
        let routes = routes_to
            .get(&(l.to.as_str(), l.item.as_str()))
            .map_or(&[][..], Vec::as_slice);
        while left > 1e-9 {
            let earliest = routes
                .iter()
                .filter_map(|k| open.get(k).and_then(|q| q.front()).map(|f| (f.0, *k)))
                .min();
            let Some((_, k)) = earliest else {
                break;
            };
            let Some(queue) = open.get_mut(&k) else {
                break;
            };
            take_from(queue, &mut left);
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
}
