//! The ledger: running balances per (location, item, lot), monthly figures
//! per (location, item), data problems, and incremental appends.
//!
//! Movements of one lot are applied in time order (ties keep the order in
//! which they were given). A count sets the balance; the difference from the
//! running balance is recorded as an adjustment and, unless the count opens
//! the lot's history, flagged as a [`ProblemKind::CountMismatch`]. A count
//! of no lot (lot 0: a stock report's, a FHIR snapshot's) where the item is
//! also held by lot counts the item whole: it sets the stock of no lot to
//! the count less what the lots hold then ([`Entry::others`]); there a
//! negative balance of stock of no lot is judged on the whole item
//! (formulas 3.10). A
//! movement whose quantity is not plausible ([`Kind::plausible`]) is kept
//! in the lot's entries but changes no balance and no monthly figure: it is
//! flagged as a [`ProblemKind::ImplausibleQuantity`].
//!
//! Monthly figures are kept per location and item (all lots together) from
//! the month of its first movement to the month of its last; later months
//! are derived on demand (nothing moved, the balance carried), so that the
//! passing of time never forces a recomputation.

use crate::calendar::{Day, MS_PER_DAY, MonthIndex, day_of_ms, month_end, month_of, month_start};
use crate::movement::{Kind, Movement, Names, Source};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

/// Quantities closer to zero than this are zero (quantities may be fractional).
pub const EPSILON: f64 = 1e-9;

/// One applied movement of a lot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Entry {
    pub at: i64,
    pub quantity: f64,
    /// The lot's balance after this movement.
    pub balance: f64,
    pub source: u64,
    pub reason: u32,
    pub kind: Kind,
    /// For a count of stock of no lot (lot 0) at a location where the item
    /// is also held by lot: what its lots held at this instant (their
    /// balances after their movements up to it, formulas 3.1). A count of
    /// no lot counts the item whole, so it sets this lot's balance to its
    /// quantity less this: the stock on hand is then the count. 0 for any
    /// other entry.
    pub others: f64,
}

/// The figures of one location and item for one calendar month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Month {
    pub opening: f64,
    pub received: f64,
    /// Sent to other locations.
    pub issued: f64,
    /// Given to patients or users.
    pub dispensed: f64,
    /// Adjustments and differences found by counts, signed.
    pub adjusted: f64,
    pub closing: f64,
    /// Days whose closing stock on hand was zero or less (formulas 3.3), or
    /// as reported by a stock report.
    pub stockout_days: u32,
    /// True when `stockout_days` is as reported rather than derived.
    pub stockout_reported: bool,
    /// Movements of this item in the month.
    pub movements: u32,
    /// Anything was recorded at the location in the month, for any item
    /// (a movement, or stockout days from a stock report): the place
    /// reported, so this item's silence is a month of no use, not a
    /// reporting gap (formulas 3.5). Set by [`Ledger::month`].
    pub place_recorded: bool,
}

impl Month {
    /// Consumption at one location: what left it for use or for other
    /// locations (formulas 3.2).
    pub fn consumption(&self) -> f64 {
        self.issued + self.dispensed
    }

    /// The month was reported: anything was recorded in it for this item
    /// (a movement, or stockout days a stock report gave) or, at its
    /// location, for any other item. Else, where the item is managed, it
    /// is a reporting gap (formulas 3.5 and 4.1).
    pub fn recorded(&self) -> bool {
        self.movements > 0 || self.stockout_reported || self.place_recorded
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// The running balance went below zero.
    NegativeBalance,
    /// Stock left before any receipt or count of the lot.
    IssueBeforeReceipt,
    /// A physical count differs from the running balance.
    CountMismatch,
    /// Two movements of the same lot at the same moment, of the same kind and
    /// quantity, from different sources.
    PossibleDuplicate,
    /// A quantity that is not finite, negative where only an adjustment may
    /// be, or above [`crate::movement::MAX_QUANTITY`]: the movement is kept
    /// out of the balances and figures.
    ImplausibleQuantity,
    /// Movements at a location the hierarchy does not hold: its stock is
    /// in no area's totals (found by [`crate::places::Places`]).
    UnknownLocation,
    /// Movements of an item the catalogue does not hold (an EPCIS class or
    /// GTIN of no trade item of a listed product): its stock counts toward
    /// no product, so no availability, basket or product figure includes
    /// it (found by [`crate::view::all_problems`], when the catalogue
    /// lists any product).
    UnknownItem,
    /// A lot counted while stock of no lot (a stock report's count, a
    /// receipt naming no lot) is held: the lot's count may hold that stock
    /// too, so it may be counted twice (found by
    /// [`crate::view::all_problems`]). A count of no lot after lots counts
    /// the item whole ([`Entry::others`]): nothing to flag.
    CountBesideLots,
}

impl ProblemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::NegativeBalance => "negative_balance",
            ProblemKind::IssueBeforeReceipt => "issue_before_receipt",
            ProblemKind::CountMismatch => "count_mismatch",
            ProblemKind::PossibleDuplicate => "possible_duplicate",
            ProblemKind::ImplausibleQuantity => "implausible_quantity",
            ProblemKind::UnknownLocation => "unknown_location",
            ProblemKind::UnknownItem => "unknown_item",
            ProblemKind::CountBesideLots => "count_beside_lots",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            ProblemKind::NegativeBalance => "the running balance went below zero",
            ProblemKind::IssueBeforeReceipt => "stock left before any receipt or count",
            ProblemKind::CountMismatch => "a physical count differs from the ledger",
            ProblemKind::PossibleDuplicate => "same lot, time, kind and quantity from two sources",
            ProblemKind::ImplausibleQuantity => {
                "a quantity not finite, negative or above 1e9 units: left out of the stock figures"
            }
            ProblemKind::UnknownLocation => {
                "a location the hierarchy does not hold: its stock is in no area's totals"
            }
            ProblemKind::UnknownItem => {
                "an item the catalogue does not hold: its stock counts toward no product"
            }
            ProblemKind::CountBesideLots => {
                "a lot counted while stock of no lot is held: that stock stays beside it, perhaps counted twice"
            }
        }
    }
}

/// A data problem and the movements involved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataProblem {
    pub kind: ProblemKind,
    pub location: u32,
    pub item: u32,
    pub lot: u32,
    pub at: i64,
    /// Packed [`Source`]s of the movements involved.
    pub sources: Vec<u64>,
    /// The balance before the movement (what a count expected; for an
    /// unknown location, 0; for a negative balance judged on the whole
    /// item, its stock at the place before the instant).
    pub expected: f64,
    /// The balance after it (what a count found; for an implausible
    /// quantity, the quantity; for an unknown location, the lot's balance
    /// there after its last movement; for a negative balance judged on the
    /// whole item, its stock at the place after the instant).
    pub found: f64,
}

impl DataProblem {
    pub fn sources(&self) -> impl Iterator<Item = Source> + '_ {
        self.sources.iter().map(|&s| Source::unpack(s))
    }
}

#[derive(Debug, Clone, Default)]
struct LotSeries {
    entries: Vec<Entry>,
    problems: Vec<DataProblem>,
    /// The codes its movements were recorded under (`Movement::recorded`).
    recorded: Vec<u32>,
}

impl LotSeries {
    fn note_recorded(&mut self, movements: &[Movement]) {
        for m in movements {
            if !self.recorded.contains(&m.recorded) {
                self.recorded.push(m.recorded);
            }
        }
    }
}

/// The monthly series of one location and item.
#[derive(Debug, Clone)]
pub struct ItemSeries {
    /// Its lots, in order of first appearance.
    pub lots: Vec<u32>,
    pub first_month: MonthIndex,
    /// From `first_month` to the month of `last_day`.
    pub months: Vec<Month>,
    pub first_day: Day,
    pub last_day: Day,
    /// Stock on hand (all lots) after the last movement.
    pub end_balance: f64,
}

type LotKey = (u32, u32, u32);
type ItemKey = (u32, u32);

/// For an item held at a place both by lot and with no lot (lot 0): its
/// negative balances judged on the whole item ([`judge_whole`]).
#[derive(Debug, Clone, Default)]
struct Whole {
    /// At each instant with a movement of the item there, what the lots
    /// other than no lot held after it (summed in time order): where a
    /// later pass starts, nothing before `since` having moved, so that an
    /// append reads only what follows its first movement.
    marks: Vec<(i64, f64)>,
    /// In time order.
    problems: Vec<DataProblem>,
}

/// What an append changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AppendReport {
    pub movements: usize,
    pub lots: usize,
    pub items: usize,
    /// Movements earlier than the last one already held for their lot.
    pub backdated: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Ledger {
    pub names: Names,
    lots: FxHashMap<LotKey, LotSeries>,
    items: FxHashMap<ItemKey, ItemSeries>,
    /// Items held by lot and with no lot at a place, by (location, item).
    wholes: FxHashMap<ItemKey, Whole>,
    reported: FxHashMap<(u32, u32, MonthIndex), u32>,
    /// (location, month) in which any item moved at the location.
    active: FxHashSet<(u32, MonthIndex)>,
    /// The items with stockout days reported, by (location, month).
    reported_items: FxHashMap<(u32, MonthIndex), Vec<u32>>,
    expiry: FxHashMap<(u32, u32), Day>,
    through: Option<Day>,
    movements: usize,
}

/// One lot entry seen from its item: (at, delta, quantity, kind, opens the lot).
#[derive(Clone, Copy)]
struct Step {
    at: i64,
    delta: f64,
    quantity: f64,
    kind: Kind,
    opens: bool,
}

impl Ledger {
    pub fn new(names: Names) -> Ledger {
        Ledger {
            names,
            ..Ledger::default()
        }
    }

    /// Builds the ledger of `movements` (in any order). Movements of one
    /// lot at the same instant are in the order of their sources (the
    /// order they were captured or imported), as [`Ledger::append`] puts
    /// them whatever order they are appended in.
    pub fn build(names: Names, mut movements: Vec<Movement>) -> Ledger {
        let mut l = Ledger::new(names);
        movements.sort_by_key(|m| (m.location, m.item, m.lot, m.at, m.source));
        l.movements = movements.len();
        let mut steps = Vec::new();
        let mut i = 0;
        while i < movements.len() {
            let (loc, item) = (movements[i].location, movements[i].item);
            let mut lots = Vec::new();
            let mut last = i64::MIN;
            while i < movements.len() && (movements[i].location, movements[i].item) == (loc, item) {
                let lot = movements[i].lot;
                let start = i;
                while i < movements.len()
                    && (movements[i].location, movements[i].item, movements[i].lot)
                        == (loc, item, lot)
                {
                    i += 1;
                }
                last = last.max(movements[i - 1].at);
                let mut series = LotSeries {
                    entries: movements[start..i].iter().map(entry_of).collect(),
                    problems: Vec::new(),
                    recorded: Vec::new(),
                };
                series.note_recorded(&movements[start..i]);
                walk_lot((loc, item, lot), &mut series, 0);
                l.lots.insert((loc, item, lot), series);
                lots.push(lot);
            }
            share_whole_counts(&mut l.lots, (loc, item), &lots, i64::MIN);
            judge_whole(&l.lots, &mut l.wholes, (loc, item), &lots, i64::MIN);
            l.extend_through(day_of_ms(last));
            let mut s = ItemSeries {
                lots,
                first_month: 0,
                months: Vec::new(),
                first_day: 0,
                last_day: 0,
                end_balance: 0.0,
            };
            walk_item(&l.lots, (loc, item), &mut s, None, &mut steps);
            note_active(&mut l.active, loc, &s, s.first_month);
            l.items.insert((loc, item), s);
        }
        l
    }

    /// Adds movements, recomputing only the lots and the months they touch.
    pub fn append(&mut self, mut movements: Vec<Movement>) -> AppendReport {
        let mut report = AppendReport {
            movements: movements.len(),
            ..AppendReport::default()
        };
        movements.sort_by_key(|m| (m.location, m.item, m.lot, m.at, m.source));
        self.movements += movements.len();
        // Per item, the time of its first movement appended.
        let mut touched: FxHashMap<ItemKey, i64> = FxHashMap::default();
        // The lots first seen in this append, by item.
        let mut new_lots: FxHashMap<ItemKey, Vec<u32>> = FxHashMap::default();
        let mut i = 0;
        while i < movements.len() {
            let m0 = movements[i];
            let key = (m0.location, m0.item, m0.lot);
            let start = i;
            while i < movements.len()
                && (movements[i].location, movements[i].item, movements[i].lot) == key
            {
                i += 1;
            }
            let group = &movements[start..i];
            report.lots += 1;
            let series = self.lots.entry(key).or_insert_with(|| {
                new_lots.entry((key.0, key.1)).or_default().push(key.2);
                LotSeries::default()
            });
            series.note_recorded(group);
            let first_at = group[0].at;
            // Entries in (time, source) order: at one instant, the one
            // captured first comes first, whichever was appended first (a
            // count and a receipt at one instant once gave 70 built at
            // once and 35 appended the other way round).
            let first = (first_at, group[0].source);
            let from = if series
                .entries
                .last()
                .is_none_or(|e| (e.at, e.source) <= first)
            {
                let from = series.entries.len();
                series.entries.extend(group.iter().map(entry_of));
                from
            } else {
                let p = series
                    .entries
                    .partition_point(|e| (e.at, e.source) <= first);
                let tail = series.entries.split_off(p);
                report.backdated += group
                    .iter()
                    .filter(|m| tail.first().is_some_and(|e| m.at < e.at))
                    .count();
                let mut new = group.iter().map(entry_of).peekable();
                let mut old = tail.into_iter().peekable();
                loop {
                    let take_old = match (old.peek(), new.peek()) {
                        (Some(o), Some(n)) => (o.at, o.source) <= (n.at, n.source),
                        (Some(_), None) => true,
                        (None, Some(_)) => false,
                        (None, None) => break,
                    };
                    let e = if take_old { old.next() } else { new.next() };
                    series.entries.extend(e);
                }
                p
            };
            walk_lot(key, series, from);
            let t = touched.entry((key.0, key.1)).or_insert(first_at);
            *t = (*t).min(first_at);
            self.extend_through(day_of_ms(group[group.len() - 1].at));
        }
        report.items = touched.len();
        let mut steps = Vec::new();
        let mut keys: Vec<_> = touched.into_iter().collect();
        keys.sort_unstable();
        for (key, since) in keys {
            let month = month_of(day_of_ms(since));
            let s = self.items.entry(key).or_insert_with(|| ItemSeries {
                lots: Vec::new(),
                first_month: i32::MAX,
                months: Vec::new(),
                first_day: Day::MAX,
                last_day: Day::MIN,
                end_balance: 0.0,
            });
            let mut lots = new_lots.remove(&key).unwrap_or_default();
            lots.sort_unstable();
            s.lots.extend(lots);
            share_whole_counts(&mut self.lots, key, &s.lots, since);
            judge_whole(&self.lots, &mut self.wholes, key, &s.lots, since);
            let m0 = if s.months.is_empty() {
                month
            } else {
                month.min(month_of(s.last_day))
            };
            let start = if s.months.is_empty() || m0 <= s.first_month {
                None
            } else {
                s.months.truncate((m0 - s.first_month) as usize);
                let opening = s.months.last().map_or(0.0, |m| m.closing);
                Some((month_start(m0), opening))
            };
            walk_item(&self.lots, key, s, start, &mut steps);
            note_active(&mut self.active, key.0, s, m0);
        }
        report
    }

    /// Stockout days reported for a month (stock reports); they replace
    /// the derived count.
    pub fn set_reported_stockout_days(
        &mut self,
        location: u32,
        item: u32,
        month: MonthIndex,
        days: u32,
    ) {
        self.reported.insert((location, item, month), days);
        let items = self.reported_items.entry((location, month)).or_default();
        if !items.contains(&item) {
            items.push(item);
        }
    }

    /// Anything was recorded at `location` in month `m`, for any item: a
    /// movement, or stockout days a stock report gave for an item managed
    /// there that month (on or after its first movement, as
    /// [`Ledger::month`] gives figures).
    pub fn place_recorded(&self, location: u32, m: MonthIndex) -> bool {
        self.active.contains(&(location, m))
            || self
                .reported_items
                .get(&(location, m))
                .is_some_and(|items| {
                    items.iter().any(|&i| {
                        self.items
                            .get(&(location, i))
                            .is_some_and(|s| s.first_month <= m)
                    })
                })
    }

    pub fn set_expiry(&mut self, item: u32, lot: u32, day: Day) {
        self.expiry.insert((item, lot), day);
    }

    pub fn expiry(&self, item: u32, lot: u32) -> Option<Day> {
        self.expiry.get(&(item, lot)).copied()
    }

    fn extend_through(&mut self, day: Day) {
        self.through = Some(self.through.map_or(day, |t| t.max(day)));
    }

    /// The last day with a movement.
    pub fn through(&self) -> Option<Day> {
        self.through
    }

    /// The first day with a movement (over every location and item).
    pub fn since(&self) -> Option<Day> {
        self.items.values().map(|s| s.first_day).min()
    }

    pub fn movement_count(&self) -> usize {
        self.movements
    }

    /// Movements held at the (location, item) pairs that `keep` accepts
    /// (location code, item code): [`Ledger::movement_count`] within a
    /// caller's scope.
    pub fn movement_count_of(&self, mut keep: impl FnMut(&str, &str) -> bool) -> usize {
        self.items
            .iter()
            .filter(|((loc, item), _)| {
                keep(
                    self.names.locations.name(*loc),
                    self.names.items.name(*item),
                )
            })
            .map(|(_, s)| s.months.iter().map(|m| m.movements as usize).sum::<usize>())
            .sum()
    }

    /// The (location, item) pairs held.
    pub fn item_keys(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.items.keys().copied()
    }

    pub fn series(&self, location: u32, item: u32) -> Option<&ItemSeries> {
        self.items.get(&(location, item))
    }

    /// Entries of one lot, in order.
    pub fn entries(&self, location: u32, item: u32, lot: u32) -> &[Entry] {
        self.lots
            .get(&(location, item, lot))
            .map_or(&[], |s| s.entries.as_slice())
    }

    /// The codes the movements of one lot were recorded under (ids in
    /// `names.recorded`; 0: the item's own code), in order of first use.
    pub fn recorded(&self, location: u32, item: u32, lot: u32) -> &[u32] {
        self.lots
            .get(&(location, item, lot))
            .map_or(&[], |s| s.recorded.as_slice())
    }

    /// Balance of one lot at the end of `day`.
    pub fn lot_balance(&self, location: u32, item: u32, lot: u32, day: Day) -> f64 {
        let e = self.entries(location, item, lot);
        let end = (day as i64 + 1) * MS_PER_DAY;
        let p = e.partition_point(|x| x.at < end);
        if p == 0 { 0.0 } else { e[p - 1].balance }
    }

    /// Stock on hand (all lots) of an item at a location at the end of `day`.
    pub fn stock_on_hand(&self, location: u32, item: u32, day: Day) -> f64 {
        self.series(location, item).map_or(0.0, |s| {
            s.lots
                .iter()
                .map(|&lot| self.lot_balance(location, item, lot, day))
                .sum()
        })
    }

    /// Lots with a positive balance at the end of `day`: (lot, balance).
    pub fn lots_on_hand(&self, location: u32, item: u32, day: Day) -> Vec<(u32, f64)> {
        self.series(location, item).map_or_else(Vec::new, |s| {
            s.lots
                .iter()
                .map(|&lot| (lot, self.lot_balance(location, item, lot, day)))
                .filter(|&(_, b)| b > EPSILON)
                .collect()
        })
    }

    /// Lots with a balance other than zero at the end of `day`, negative
    /// ones included (a data problem, formulas 3.10): (lot, balance). Their
    /// sum is [`Ledger::stock_on_hand`].
    pub fn lots_held(&self, location: u32, item: u32, day: Day) -> Vec<(u32, f64)> {
        self.series(location, item).map_or_else(Vec::new, |s| {
            s.lots
                .iter()
                .map(|&lot| (lot, self.lot_balance(location, item, lot, day)))
                .filter(|&(_, b)| b.abs() > EPSILON)
                .collect()
        })
    }

    /// The figures of month `m` as known at the end of `as_of` (stockout days
    /// are counted up to `as_of`). `None` before the item's first movement.
    pub fn month(&self, location: u32, item: u32, m: MonthIndex, as_of: Day) -> Option<Month> {
        let s = self.series(location, item)?;
        if m < s.first_month || month_start(m) > as_of {
            return None;
        }
        let idx = (m - s.first_month) as usize;
        let mut f = s.months.get(idx).copied().unwrap_or(Month {
            opening: s.end_balance,
            closing: s.end_balance,
            ..Month::default()
        });
        if m >= month_of(s.last_day) && s.end_balance <= EPSILON {
            let a = s.last_day.max(month_start(m));
            let b = month_end(m).min(as_of);
            if b >= a {
                f.stockout_days += (b - a + 1) as u32;
            }
        }
        if let Some(&r) = self.reported.get(&(location, item, m)) {
            f.stockout_days = r;
            f.stockout_reported = true;
        }
        f.place_recorded = self.place_recorded(location, m);
        Some(f)
    }

    /// Stockout days of the month of `as_of`, from its first day (or the
    /// item's first movement) to `as_of` included (formulas 3.3); a stock
    /// report's figure for a month it covers. `None` before the item's
    /// first movement.
    pub fn stockout_days_to(&self, location: u32, item: u32, as_of: Day) -> Option<u32> {
        let s = self.series(location, item)?;
        if as_of < s.first_day {
            return None;
        }
        let m = month_of(as_of);
        if as_of >= s.last_day || as_of == month_end(m) {
            return self
                .month(location, item, m, as_of)
                .map(|f| f.stockout_days);
        }
        if let Some(&r) = self.reported.get(&(location, item, m)) {
            return Some(r);
        }
        // Movements later in the month: day by day to `as_of`.
        let from = month_start(m).max(s.first_day);
        Some(
            (from..=as_of)
                .filter(|&d| self.stock_on_hand(location, item, d) <= EPSILON)
                .count() as u32,
        )
    }

    /// Every data problem, in (location, item, lot, time) order.
    pub fn problems(&self) -> Vec<&DataProblem> {
        let mut p: Vec<&DataProblem> = self
            .lots
            .values()
            .flat_map(|s| &s.problems)
            .filter(|p| !self.judged_on_the_whole(p))
            .collect();
        // An outflow of no lot before anything was held there is an issue
        // before receipt, not also a dip of the whole (as for a lot), when
        // the dip names outflows of no lot only (its lot, the last one's,
        // is 0): a lot's outflow at the same instant, whose own judgement
        // is left to the whole there, is flagged with it.
        let before_receipt: FxHashSet<(u32, u32, i64)> = p
            .iter()
            .filter(|x| x.kind == ProblemKind::IssueBeforeReceipt && x.lot == 0)
            .map(|x| (x.location, x.item, x.at))
            .collect();
        p.extend(
            self.wholes
                .values()
                .flat_map(|w| &w.problems)
                .filter(|x| x.lot != 0 || !before_receipt.contains(&(x.location, x.item, x.at))),
        );
        p.sort_by_key(|p| (p.location, p.item, p.lot, p.at, p.kind));
        p
    }

    /// Whether a lot's own [`ProblemKind::NegativeBalance`] gives way to
    /// the judgement on the whole item ([`judge_whole`]): at a place
    /// holding the item by lot and with no lot, any of no lot, and a lot's
    /// at an instant where stock of no lot moves, or where it or any lot
    /// is below zero before it.
    ///
    /// And whether an outflow of no lot before any supply of no lot is no
    /// [`ProblemKind::IssueBeforeReceipt`] there: the lots held stock
    /// before it (a dispensing that names no lot, as an e-prescription's,
    /// at a place keeping its stock by lot), which the judgement on the
    /// whole item counts it against.
    fn judged_on_the_whole(&self, p: &DataProblem) -> bool {
        if !self.wholes.contains_key(&(p.location, p.item)) {
            return false;
        }
        let balance = |lot: u32| {
            let e = self.entries(p.location, p.item, lot);
            let k = e.partition_point(|x| x.at < p.at);
            if k > 0 { e[k - 1].balance } else { 0.0 }
        };
        let lots = || {
            self.items
                .get(&(p.location, p.item))
                .map_or(&[][..], |s| s.lots.as_slice())
                .iter()
                .filter(|&&l| l != 0)
        };
        match p.kind {
            ProblemKind::IssueBeforeReceipt => {
                return p.lot == 0 && lots().map(|&l| balance(l)).sum::<f64>() > EPSILON;
            }
            ProblemKind::NegativeBalance => {}
            _ => return false,
        }
        if p.lot == 0 {
            return true;
        }
        let none = self.entries(p.location, p.item, 0);
        let k = none.partition_point(|x| x.at < p.at);
        balance(0) < -EPSILON
            || none[k..]
                .iter()
                .take_while(|x| x.at == p.at)
                .any(|x| x.kind.plausible(x.quantity))
            || lots().any(|&l| balance(l) < -EPSILON)
    }
}

fn entry_of(m: &Movement) -> Entry {
    Entry {
        at: m.at,
        quantity: m.quantity,
        balance: 0.0,
        source: m.source,
        reason: m.reason,
        kind: m.kind,
        others: 0.0,
    }
}

/// Sets [`Entry::others`] of the counts of no lot (lot 0) of `key` at
/// `since` or later from its `lots`' balances and walks it again from the
/// first entry whose `others` changed: a count of no lot beside lots
/// counts the item whole (formulas 3.1). The other lots never depend on
/// lot 0, so their balances are final before it is walked.
///
/// One pass in time order over the other lots' movements from the last
/// count before `since` (what the lots held then is unchanged: nothing
/// before `since` moved), summing their changes of balance in (time, lot,
/// order) order, as the engine's SQL does: the same sum, to the last bit,
/// built at once or appended in pieces. Until 2026-12-07 every entry of
/// no lot was taken against every lot (a binary search each), from the
/// first, on every append: counts × lots per append.
fn share_whole_counts(
    lots: &mut FxHashMap<LotKey, LotSeries>,
    key: ItemKey,
    item_lots: &[u32],
    since: i64,
) {
    let none_key = (key.0, key.1, 0);
    if !item_lots.contains(&0) || item_lots.iter().all(|&l| l == 0) {
        return;
    }
    let Some(mut none) = lots.remove(&none_key) else {
        return;
    };
    let start = none.entries.partition_point(|x| x.at < since);
    if none.entries[start..].iter().any(|x| x.kind == Kind::Count) {
        // What the lots held at the last count before `since`.
        let (mut held, after) = none.entries[..start]
            .iter()
            .rev()
            .find(|x| x.kind == Kind::Count)
            .map_or((0.0, i64::MIN), |x| (x.others, x.at));
        let mut changes: Vec<(i64, u32, usize, f64)> = Vec::new();
        for &lot in item_lots.iter().filter(|&&l| l != 0) {
            let Some(s) = lots.get(&(key.0, key.1, lot)) else {
                continue;
            };
            let e = &s.entries;
            let p = e.partition_point(|x| x.at <= after);
            for i in p..e.len() {
                let prev = if i == 0 { 0.0 } else { e[i - 1].balance };
                changes.push((e[i].at, lot, i, e[i].balance - prev));
            }
        }
        changes.sort_unstable_by_key(|c| (c.0, c.1, c.2));
        let mut next = changes.iter().peekable();
        let mut first_changed = None;
        for (i, x) in none.entries.iter_mut().enumerate().skip(start) {
            if x.kind != Kind::Count {
                continue;
            }
            while let Some(c) = next.next_if(|c| c.0 <= x.at) {
                held += c.3;
            }
            if held.to_bits() != x.others.to_bits() {
                x.others = held;
                first_changed.get_or_insert(i);
            }
        }
        if let Some(from) = first_changed {
            walk_lot(none_key, &mut none, from);
        }
    }
    lots.insert(none_key, none);
}

/// Judges the negative balances of an item held at a place both by lot and
/// with no lot (lot 0) on the whole item (formulas 3.10), from `since` on:
/// at an instant where stock of no lot moves (a plausible movement), or
/// while it or any lot is below zero (a lot's dip that stock of no lot
/// covered leaves the lot there), the movements of every lot at that instant are
/// judged together on the place's whole stock of the item after them (its
/// lots' balances, no lot included); when that goes from ≥ 0 to < 0, one
/// [`ProblemKind::NegativeBalance`] names the outflows of the instant (none:
/// counts took it there, a count mismatch) in (lot, order) order, at the
/// last one's lot, with the whole before and after. At other instants each
/// lot is judged on its own ([`walk_lot`]; [`Ledger::problems`] leaves out
/// a lot's own judgement where this one holds). Its lots' balances must be
/// final, lot 0's included ([`share_whole_counts`] first).
///
/// One pass in time order over the lots' movements from the last instant
/// before `since` ([`Whole::marks`]: what the lots held is unchanged
/// there), the lots' changes summed in (time, lot, order) order: the same
/// sums, to the last bit, built at once or appended in pieces. (Until the
/// review of 2026-12-07 marks were kept at instants of no lot only, and an
/// append beside one old movement of no lot re-read every lot's movements
/// since.)
fn judge_whole(
    lots: &FxHashMap<LotKey, LotSeries>,
    wholes: &mut FxHashMap<ItemKey, Whole>,
    key: ItemKey,
    item_lots: &[u32],
    since: i64,
) {
    if !item_lots.contains(&0) || item_lots.iter().all(|&l| l == 0) {
        return;
    }
    let Some(none) = lots.get(&(key.0, key.1, 0)) else {
        return;
    };
    let whole = wholes.entry(key).or_default();
    let cut = whole.marks.partition_point(|m| m.0 < since);
    let (after, mut held) = if cut == 0 {
        (i64::MIN, 0.0)
    } else {
        whole.marks[cut - 1]
    };
    whole.marks.truncate(cut);
    let kept = whole.problems.partition_point(|p| p.at <= after);
    whole.problems.truncate(kept);
    let p0 = none.entries.partition_point(|x| x.at <= after);
    let mut none_balance = if p0 == 0 {
        0.0
    } else {
        none.entries[p0 - 1].balance
    };
    // The entries after `after` of every lot: (at, lot, index, the lot's
    // place in `series`).
    let mut series: Vec<&[Entry]> = Vec::with_capacity(item_lots.len());
    let mut steps: Vec<(i64, u32, usize, usize)> = Vec::new();
    // Lots other than no lot below zero: while any is, the whole is judged
    // (a lot's dip excused by stock of no lot leaves it there).
    let mut below = 0usize;
    for &lot in item_lots {
        let Some(s) = lots.get(&(key.0, key.1, lot)) else {
            continue;
        };
        let e = s.entries.as_slice();
        let p = e.partition_point(|x| x.at <= after);
        if lot != 0 && p > 0 && e[p - 1].balance < -EPSILON {
            below += 1;
        }
        let k = series.len();
        steps.extend((p..e.len()).map(|i| (e[i].at, lot, i, k)));
        series.push(e);
    }
    steps.sort_unstable_by_key(|s| (s.0, s.1, s.2));
    let mut before = held + none_balance;
    let mut j = 0;
    while j < steps.len() {
        let at = steps[j].0;
        let n = steps[j..].iter().take_while(|s| s.0 == at).count();
        let instant = &steps[j..j + n];
        j += n;
        let mut judged = none_balance < -EPSILON || below > 0;
        for &(_, lot, i, k) in instant {
            let e = series[k];
            if lot == 0 {
                none_balance = e[i].balance;
                judged |= e[i].kind.plausible(e[i].quantity);
            } else {
                let prev = if i == 0 { 0.0 } else { e[i - 1].balance };
                held += e[i].balance - prev;
                match (prev < -EPSILON, e[i].balance < -EPSILON) {
                    (false, true) => below += 1,
                    (true, false) => below -= 1,
                    _ => {}
                }
            }
        }
        whole.marks.push((at, held));
        let now = held + none_balance;
        if judged && before >= -EPSILON && now < -EPSILON {
            let outflows: Vec<(u32, &Entry)> = instant
                .iter()
                .map(|&(_, lot, i, k)| (lot, &series[k][i]))
                .filter(|(_, x)| x.kind.plausible(x.quantity) && outflow(x))
                .collect();
            if let Some(&(lot, _)) = outflows.last() {
                whole.problems.push(DataProblem {
                    kind: ProblemKind::NegativeBalance,
                    location: key.0,
                    item: key.1,
                    lot,
                    at,
                    sources: outflows.iter().map(|(_, x)| x.source).collect(),
                    expected: before,
                    found: now,
                });
            }
        }
        before = now;
    }
}

/// Whether an entry takes stock out (an issue, a dispensing, a negative
/// adjustment).
fn outflow(x: &Entry) -> bool {
    matches!(x.kind, Kind::Issue | Kind::Dispense) || (x.kind == Kind::Adjust && x.quantity < 0.0)
}

/// Recomputes balances from `from` and the lot's problems.
fn walk_lot(key: LotKey, series: &mut LotSeries, from: usize) {
    let e = &mut series.entries;
    let mut bal = if from > 0 { e[from - 1].balance } else { 0.0 };
    for x in &mut e[from..] {
        if x.kind.plausible(x.quantity) {
            // A count of no lot beside lots counts the item whole.
            let q = if x.kind == Kind::Count {
                x.quantity - x.others
            } else {
                x.quantity
            };
            bal = x.kind.apply(bal, q);
        }
        x.balance = bal;
    }
    let problem = |kind, x: &Entry, sources: Vec<u64>, expected: f64| DataProblem {
        kind,
        location: key.0,
        item: key.1,
        lot: key.2,
        at: x.at,
        sources,
        expected,
        found: x.balance,
    };
    series.problems.clear();
    let mut supplied = false;
    let mut before = 0.0;
    for (i, x) in e.iter().enumerate() {
        if !x.kind.plausible(x.quantity) {
            // Its balance is the one before it.
            series.problems.push(DataProblem {
                found: x.quantity,
                ..problem(ProblemKind::ImplausibleQuantity, x, vec![x.source], before)
            });
            continue;
        }
        if outflow(x) && !supplied {
            series.problems.push(problem(
                ProblemKind::IssueBeforeReceipt,
                x,
                vec![x.source],
                before,
            ));
        } else if x.balance < -EPSILON && before >= -EPSILON && x.kind != Kind::Count {
            // (A count of no lot below what the lots hold takes the stock
            // of no lot below zero: a count mismatch, below.)
            series.problems.push(problem(
                ProblemKind::NegativeBalance,
                x,
                vec![x.source],
                before,
            ));
        }
        // A lot's first count opens it; a count of no lot beside lots is
        // of the location's whole stock (3.1): what it held, what was
        // counted.
        if x.kind == Kind::Count
            && (i > 0 || x.others.abs() > EPSILON)
            && (x.quantity - (before + x.others)).abs() > EPSILON
        {
            series.problems.push(DataProblem {
                found: x.quantity,
                ..problem(
                    ProblemKind::CountMismatch,
                    x,
                    vec![x.source],
                    before + x.others,
                )
            });
        }
        if i > 0 {
            let p = &e[i - 1];
            if p.at == x.at && p.kind == x.kind && p.quantity == x.quantity && p.source != x.source
            {
                series.problems.push(problem(
                    ProblemKind::PossibleDuplicate,
                    x,
                    vec![p.source, x.source],
                    before,
                ));
            }
        }
        if matches!(x.kind, Kind::Receipt | Kind::Count)
            || (x.kind == Kind::Adjust && x.quantity > 0.0)
        {
            supplied = true;
        }
        before = x.balance;
    }
}

/// Notes the months of `s` from `from` in which its item moved as months
/// with something recorded at `location` (appends only add movements: a
/// month once active stays so).
fn note_active(
    active: &mut FxHashSet<(u32, MonthIndex)>,
    location: u32,
    s: &ItemSeries,
    from: MonthIndex,
) {
    let skip = (from - s.first_month).max(0) as usize;
    for (k, m) in s.months.iter().enumerate().skip(skip) {
        if m.movements > 0 {
            active.insert((location, s.first_month + k as MonthIndex));
        }
    }
}

/// Recomputes the monthly figures of an item, fresh (`start` = None) or from
/// `start = (first day, balance at its start)`, whose months are already cut.
fn walk_item(
    lots: &FxHashMap<LotKey, LotSeries>,
    key: ItemKey,
    s: &mut ItemSeries,
    start: Option<(Day, f64)>,
    steps: &mut Vec<Step>,
) {
    steps.clear();
    let from_ms = start.map_or(i64::MIN, |(d, _)| d as i64 * MS_PER_DAY);
    for &lot in &s.lots {
        let Some(series) = lots.get(&(key.0, key.1, lot)) else {
            continue;
        };
        let e = &series.entries;
        let p = e.partition_point(|x| x.at < from_ms);
        for i in p..e.len() {
            let prev = if i == 0 { 0.0 } else { e[i - 1].balance };
            steps.push(Step {
                at: e[i].at,
                delta: e[i].balance - prev,
                // An implausible one counts as a movement, of nothing.
                quantity: if e[i].kind.plausible(e[i].quantity) {
                    e[i].quantity
                } else {
                    0.0
                },
                kind: e[i].kind,
                // A count of no lot beside lots corrects the item's
                // stock: an adjustment, not an opening.
                opens: i == 0 && e[i].others.abs() <= EPSILON,
            });
        }
    }
    steps.sort_by_key(|x| x.at);
    let (mut prev_day, mut bal) = match start {
        Some((d, b)) => (Some(d), b),
        None => {
            let Some(first) = steps.first() else {
                return;
            };
            s.months.clear();
            s.first_day = day_of_ms(first.at);
            s.first_month = month_of(s.first_day);
            (None, 0.0)
        }
    };
    for x in steps.iter() {
        let d = day_of_ms(x.at);
        let m = month_of(d);
        while (s.months.len() as i32) <= m - s.first_month {
            s.months.push(Month {
                opening: bal,
                closing: bal,
                ..Month::default()
            });
        }
        if let Some(p) = prev_day
            && d > p
        {
            count_stockout(s, p, d, bal);
        }
        let f = &mut s.months[(m - s.first_month) as usize];
        match x.kind {
            Kind::Receipt => f.received += x.quantity,
            Kind::Issue => f.issued += x.quantity,
            Kind::Dispense => f.dispensed += x.quantity,
            Kind::Adjust => f.adjusted += x.quantity,
            Kind::Count if x.opens => f.opening += x.delta,
            Kind::Count => f.adjusted += x.delta,
        }
        bal += x.delta;
        f.closing = bal;
        f.movements += 1;
        prev_day = Some(d);
    }
    if let Some(d) = prev_day {
        s.last_day = d;
    }
    s.end_balance = bal;
}

/// Adds the days `[from, to)` to the months' stockout days if `balance` is
/// zero or less.
fn count_stockout(s: &mut ItemSeries, from: Day, to: Day, balance: f64) {
    if balance > EPSILON {
        return;
    }
    let mut d = from;
    while d < to {
        let m = month_of(d);
        let end = (month_end(m) + 1).min(to);
        if let Some(f) = s.months.get_mut((m - s.first_month) as usize) {
            f.stockout_days += (end - d) as u32;
        }
        d = end;
    }
}

#[cfg(test)]
mod tests;
