//! What users see: stock rows per location (or area) and item, availability
//! by area, and data problems, over the location hierarchy.

use crate::calendar::{
    Day, MonthIndex, add_months, days_in_month, format_day, last_complete_month, month_end,
    month_of,
};
use crate::indicators::{self, LotStock, MonthUse, Status};
use crate::ledger::{DataProblem, EPSILON, Ledger, ProblemKind};
use equitas_model::LocationLevel;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;

pub use crate::bands::{LevelRow, MinMaxBands, parse_stock_levels};
pub use crate::places::{Place, Places, Tier};

/// What `equitas stock` shows for one location (or area) and item.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct StockRow {
    pub location: String,
    pub location_name: String,
    pub level: String,
    pub tier: Tier,
    /// The product code (or the code recorded, for an item the catalogue
    /// does not add up into a product).
    pub item: String,
    /// The product's name, where the catalogue knows it.
    pub item_name: Option<String>,
    /// The codes the stock was recorded under (GTINs of trade items, the
    /// product code), added up in this row (formulas 3.1).
    pub trade_items: Vec<String>,
    pub as_of: String,
    pub stock_on_hand: f64,
    /// Average monthly consumption, adjusted for stockout days.
    pub amc: Option<f64>,
    pub amc_months: u32,
    /// Months of the AMC's window left out because nothing was recorded in
    /// them at the place, for any item (reporting gaps, formulas 3.5); for an area, summed over its
    /// locations.
    pub months_unreported: u32,
    pub months_of_stock: Option<f64>,
    pub status: Status,
    pub min_months: f64,
    pub max_months: f64,
    /// Stockout days in the month of the as-of date, from its first day
    /// to the as-of date (single locations only; formulas 3.3).
    pub stockout_days: Option<u32>,
    /// Quantity in lots expiring within the horizon.
    pub expiring: f64,
    /// Of which expected to expire unused (FEFO at the AMC).
    pub at_risk: f64,
    /// Quantity in lots already past their expiry on the as-of day and
    /// still held (counted in the stock on hand, usable by no one: 3.8).
    pub expired: f64,
    pub problems: usize,
}

/// Which stock rows to compute.
#[derive(Debug, Clone, PartialEq)]
pub struct StockQuery {
    /// Default: the ledger's last day.
    pub as_of: Option<Day>,
    /// Months averaged for the AMC: the last complete months at the end of
    /// the as-of date (its own month when it is the month's last day).
    pub window: u32,
    /// Expiry horizon in months.
    pub horizon: i32,
    /// Only this location and those below it.
    pub within: Option<String>,
    /// Only rows of this level (areas are sums of the locations in them).
    pub level: Option<LocationLevel>,
    pub items: Vec<String>,
    pub statuses: Vec<Status>,
}

impl Default for StockQuery {
    fn default() -> Self {
        StockQuery {
            as_of: None,
            window: 3,
            horizon: 3,
            within: None,
            level: None,
            items: Vec::new(),
            statuses: Vec::new(),
        }
    }
}

#[derive(Default, Clone)]
struct Acc {
    /// Ids of the codes recorded (`Names::recorded`).
    recorded: Vec<u32>,
    soh: f64,
    amc: f64,
    amc_months: u32,
    unreported: u32,
    has_amc: bool,
    expiring: f64,
    at_risk: f64,
    expired: f64,
    problems: usize,
    /// The ledger location, for a single location's row.
    location: Option<u32>,
}

/// The months the AMC averages as of the end of `as_of` (formulas 3.5):
/// the last `window` complete months, oldest first, the month of `as_of`
/// included when `as_of` is its last day.
pub fn amc_months(as_of: Day, window: u32) -> Vec<MonthIndex> {
    let last = last_complete_month(as_of);
    (0..window as MonthIndex).rev().map(|k| last - k).collect()
}

/// The window's months of one location and item: `area` counts only what
/// was dispensed (transfers inside an area are not consumption), scaled
/// for stockout days at a store too (4.1). A store's month with nothing
/// recorded is one of no issues, and so of nothing dispensed (3.5), in its
/// own row and in an area's: never a reporting gap.
fn window_amc(
    ledger: &Ledger,
    loc: u32,
    item: u32,
    as_of: Day,
    window: u32,
    area: bool,
    store: bool,
) -> indicators::Amc {
    let months: Vec<MonthUse> = amc_months(as_of, window)
        .into_iter()
        .filter_map(|mm| {
            ledger
                .month(loc, item, mm, month_end(mm))
                .map(|f| MonthUse {
                    consumption: if area { f.dispensed } else { f.consumption() },
                    days: days_in_month(mm),
                    stockout_days: f.stockout_days,
                    store: store && !area,
                    reported: f.recorded() || store,
                })
        })
        .collect();
    indicators::amc(&months)
}

/// The ids of the codes the lots of an item at a location were recorded
/// under.
fn recorded_ids(ledger: &Ledger, loc: u32, item: u32) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::new();
    for &lot in ledger.series(loc, item).map_or(&[][..], |s| &s.lots) {
        for r in ledger.recorded(loc, item, lot) {
            if !out.contains(r) {
                out.push(*r);
            }
        }
    }
    out
}

/// The codes recorded under `ids` for `item`, sorted, once each.
fn recorded_codes(ledger: &Ledger, item: u32, ids: &[u32]) -> Vec<String> {
    let mut out: Vec<String> = ids
        .iter()
        .map(|&r| ledger.names.recorded_code(r, item).to_string())
        .collect();
    out.sort();
    out.dedup();
    out
}

fn lot_stock(ledger: &Ledger, loc: u32, item: u32, as_of: Day) -> Vec<LotStock> {
    let held = ledger.lots_held(loc, item, as_of);
    // A lot below zero (3.10) was stock recorded under another lot: its
    // deficit is taken from the others, those still usable first (first
    // expiry first, then those without an expiry), then the expired ones,
    // so that the lots add up to the stock on hand and what is expiring or
    // at risk is never more than it (as plans count them, 3.2).
    let mut deficit: f64 = held.iter().filter(|l| l.1 < 0.0).map(|l| -l.1).sum();
    let mut lots: Vec<LotStock> = held
        .into_iter()
        .filter(|l| l.1 > 0.0)
        .map(|(lot, q)| LotStock {
            quantity: q,
            days_to_expiry: ledger.expiry(item, lot).map(|e| e - as_of),
        })
        .collect();
    let mut order: Vec<usize> = (0..lots.len()).collect();
    order.sort_by_key(|&i| match lots[i].days_to_expiry {
        Some(d) if d >= 0 => (0, d),
        None => (1, 0),
        Some(d) => (2, -d),
    });
    for i in order {
        if deficit <= EPSILON {
            break;
        }
        let take = deficit.min(lots[i].quantity);
        lots[i].quantity -= take;
        deficit -= take;
    }
    lots.retain(|l| l.quantity > EPSILON);
    lots
}

/// The ledger's data problems and, for each lot moved at a location the
/// hierarchy does not hold, a [`ProblemKind::UnknownLocation`], and for
/// each lot of an item the catalogue does not hold (when it lists any
/// product), a [`ProblemKind::UnknownItem`] (formulas 3.10): at its first
/// movement there, with all its movements there as sources, `found` being
/// its balance after the last. In (location, item, lot, time) order.
pub fn all_problems<'a>(ledger: &'a Ledger, places: &Places) -> Vec<Cow<'a, DataProblem>> {
    let mut out: Vec<Cow<DataProblem>> = ledger.problems().into_iter().map(Cow::Borrowed).collect();
    let unknown_item =
        |item: u32| !ledger.names.catalogue.is_empty() && ledger.names.item_name(item).is_none();
    for (loc, item) in ledger.item_keys() {
        let kinds = [
            (places.is_unknown(loc), ProblemKind::UnknownLocation),
            (unknown_item(item), ProblemKind::UnknownItem),
        ];
        let Some(s) = ledger.series(loc, item) else {
            continue;
        };
        for kind in kinds.into_iter().filter(|k| k.0).map(|k| k.1) {
            for &lot in &s.lots {
                let e = ledger.entries(loc, item, lot);
                let (Some(first), Some(last)) = (e.first(), e.last()) else {
                    continue;
                };
                out.push(Cow::Owned(DataProblem {
                    kind,
                    location: loc,
                    item,
                    lot,
                    at: first.at,
                    sources: e.iter().map(|x| x.source).collect(),
                    expected: 0.0,
                    found: last.balance,
                }));
            }
        }
    }
    out.extend(counts_beside_lots(ledger).into_iter().map(Cow::Owned));
    out.sort_by_key(|p| (p.location, p.item, p.lot, p.at, p.kind));
    out
}

/// A [`ProblemKind::CountBesideLots`] for each location and item where a
/// lot was counted while stock of no lot was held (a stock report's count
/// or a receipt naming no lot, before the place counted by lot): the lot's
/// count may hold that stock too, and which of it is unknown, so it stays
/// beside the lots, perhaps counted twice, as when a place moved from
/// reports to counts by lot and its last report's closing balance stayed.
/// (A count of no lot after lots counts the item whole and is shared,
/// formulas 3.1: nothing to flag.) At the first such count, with the lot
/// counted, the lots' counts then and the counts of no lot before as
/// sources, `expected` being what the lots held after it and `found` the
/// stock of no lot.
fn counts_beside_lots(ledger: &Ledger) -> Vec<DataProblem> {
    use crate::movement::Kind;
    let mut out = Vec::new();
    for (loc, item) in ledger.item_keys() {
        let Some(s) = ledger.series(loc, item) else {
            continue;
        };
        if !s.lots.contains(&0) || s.lots.len() < 2 {
            continue;
        }
        let none = ledger.entries(loc, item, 0);
        // A balance after the movements up to `at` (0 before any).
        let at_time = |e: &[crate::ledger::Entry], at: i64| -> f64 {
            let k = e.partition_point(|x| x.at <= at);
            if k == 0 { 0.0 } else { e[k - 1].balance }
        };
        let lots: Vec<(u32, &[crate::ledger::Entry])> = s
            .lots
            .iter()
            .filter(|&&lot| lot != 0)
            .map(|&lot| (lot, ledger.entries(loc, item, lot)))
            .collect();
        // The first count of a lot (one that sets a balance) while stock
        // of no lot is held.
        let first = lots
            .iter()
            .flat_map(|&(lot, e)| {
                e.iter()
                    .filter(|x| x.kind == Kind::Count && x.kind.plausible(x.quantity))
                    .map(move |x| (x.at, lot, x.source))
            })
            .filter(|&(at, _, _)| at_time(none, at) > EPSILON)
            .min();
        let Some((at, lot, source)) = first else {
            continue;
        };
        let mut sources: Vec<u64> = none
            .iter()
            .filter(|x| x.kind == Kind::Count && x.at <= at)
            .map(|x| x.source)
            .collect();
        sources.push(source);
        // A report row's two counts (opening, closing) are one source.
        sources.dedup();
        out.push(DataProblem {
            kind: ProblemKind::CountBesideLots,
            location: loc,
            item,
            lot,
            at,
            sources,
            expected: lots.iter().map(|(_, e)| at_time(e, at)).sum(),
            found: at_time(none, at),
        });
    }
    out
}

/// Stock rows, sorted by location code then item.
pub fn stock(
    ledger: &Ledger,
    places: &Places,
    bands: &MinMaxBands,
    q: &StockQuery,
) -> Vec<StockRow> {
    let Some(as_of) = q.as_of.or(ledger.through()) else {
        return Vec::new();
    };
    let horizon_days = add_months(as_of, q.horizon) - as_of;
    let mut problems: FxHashMap<(u32, u32), usize> = FxHashMap::default();
    for p in all_problems(ledger, places) {
        if crate::calendar::day_of_ms(p.at) <= as_of {
            *problems.entry((p.location, p.item)).or_default() += 1;
        }
    }
    let within = q
        .within
        .as_deref()
        .and_then(|c| places.index_of(c).copied());
    let wanted_items: Vec<u32> = q
        .items
        .iter()
        .filter_map(|i| ledger.names.item_id(i))
        .collect();
    if !q.items.is_empty() && wanted_items.is_empty() {
        return Vec::new();
    }
    let mut acc: BTreeMap<(usize, u32), Acc> = BTreeMap::new();
    for (loc, item) in ledger.item_keys() {
        if !wanted_items.is_empty() && !wanted_items.contains(&item) {
            continue;
        }
        let Some(place) = places.place_of(loc) else {
            continue;
        };
        let s = ledger.series(loc, item).expect("key from the ledger");
        if s.first_day > as_of {
            continue;
        }
        let lineage = places.lineage(place);
        if within.is_some_and(|w| !lineage.contains(&w)) {
            continue;
        }
        let soh = ledger.stock_on_hand(loc, item, as_of);
        let lots = lot_stock(ledger, loc, item, as_of);
        let n_problems = problems.get(&(loc, item)).copied().unwrap_or(0);
        let recorded = recorded_ids(ledger, loc, item);
        for (k, &target) in lineage.iter().enumerate() {
            let take = match q.level {
                None => k == 0,
                Some(l) => places.list[target].level == Some(l),
            };
            if !take {
                continue;
            }
            let area = k > 0;
            // An area counts what was dispensed, scaled wherever it was
            // (4.1); a store's silent month is no issues in either.
            let store = places.list[place].level == Some(LocationLevel::Warehouse);
            let a = window_amc(ledger, loc, item, as_of, q.window, area, store);
            let e = acc.entry((target, item)).or_default();
            e.soh += soh;
            if let Some(v) = a.value {
                e.amc += v;
                e.has_amc = true;
            }
            e.amc_months = e.amc_months.max(a.months_used);
            e.unreported += a.months_unreported;
            e.expiring += indicators::expiring_within(&lots, horizon_days);
            e.at_risk += indicators::fefo_at_risk(&lots, a.value.unwrap_or(0.0), horizon_days);
            e.expired += indicators::expired(&lots);
            e.problems += n_problems;
            for r in &recorded {
                if !e.recorded.contains(r) {
                    e.recorded.push(*r);
                }
            }
            if !area {
                e.location = Some(loc);
            }
        }
    }
    let mut rows = Vec::new();
    for ((target, item), a) in acc {
        let place = &places.list[target];
        let tier = places.tier(target);
        let item_code = ledger.names.items.name(item).to_string();
        let (min, max) = bands.get(&item_code, tier);
        let amc = a.has_amc.then_some(a.amc);
        let mos = indicators::months_of_stock(a.soh, amc);
        let status = indicators::status(a.soh, mos, min, max);
        if !q.statuses.is_empty() && !q.statuses.contains(&status) {
            continue;
        }
        let stockout_days = a
            .location
            .and_then(|loc| ledger.stockout_days_to(loc, item, as_of));
        rows.push(StockRow {
            location: place.code.clone(),
            location_name: place.name.clone(),
            level: place.level.map_or("unknown", |l| l.as_str()).to_string(),
            tier,
            item: item_code,
            item_name: ledger.names.item_name(item).map(str::to_string),
            trade_items: recorded_codes(ledger, item, &a.recorded),
            as_of: format_day(as_of),
            stock_on_hand: a.soh,
            amc,
            amc_months: a.amc_months,
            months_unreported: a.unreported,
            months_of_stock: mos,
            status,
            min_months: min,
            max_months: max,
            stockout_days,
            expiring: a.expiring,
            at_risk: a.at_risk,
            expired: a.expired,
            problems: a.problems,
        });
    }
    rows.sort_by(|a, b| (&a.location, &a.item).cmp(&(&b.location, &b.item)));
    rows
}

/// Availability of an item (or of the basket) in an area on a date.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct AvailabilityRow {
    pub area: String,
    pub area_name: String,
    /// The item, or `basket` for the mean over the basket's items.
    pub item: String,
    /// The product's name, where the catalogue knows it.
    pub item_name: Option<String>,
    pub date: String,
    /// Facilities managing the item (any movement on or before the date).
    pub facilities: usize,
    pub in_stock: usize,
    pub availability: Option<f64>,
}

/// The dates of an availability trend of `months` months (formulas 3.9):
/// `months` dates ending at `as_of`, the last day of each of the
/// `months - 1` months before it, then `as_of` itself; 0 or 1: `as_of`
/// alone.
pub fn availability_dates(as_of: Day, months: u32) -> Vec<Day> {
    let mut dates: Vec<Day> = (1..months as MonthIndex)
        .rev()
        .map(|k| month_end(month_of(as_of) - k))
        .collect();
    dates.push(as_of);
    dates
}

/// Availability by area of `group` level (the country by default), per item
/// (or, with `basket`, the WHO SARA mean over the items given) on each date.
pub fn availability(
    ledger: &Ledger,
    places: &Places,
    group: LocationLevel,
    items: &[String],
    basket: bool,
    dates: &[Day],
) -> Vec<AvailabilityRow> {
    let wanted: Vec<u32> = items
        .iter()
        .filter_map(|i| ledger.names.item_id(i))
        .collect();
    if !items.is_empty() && wanted.is_empty() {
        return Vec::new();
    }
    // (area, item, date index) -> (managing, in stock); for baskets
    // (area, facility, date index) -> (managing, in stock).
    let mut per_item: BTreeMap<(usize, u32, usize), (usize, usize)> = BTreeMap::new();
    let mut per_facility: BTreeMap<(usize, usize, usize), (usize, usize)> = BTreeMap::new();
    for (loc, item) in ledger.item_keys() {
        if !wanted.is_empty() && !wanted.contains(&item) {
            continue;
        }
        let Some(place) = places.place_of(loc) else {
            continue;
        };
        if places.list[place].level != Some(LocationLevel::Facility) {
            continue;
        }
        let Some(area) = places
            .lineage(place)
            .into_iter()
            .find(|&i| places.list[i].level == Some(group))
        else {
            continue;
        };
        let s = ledger.series(loc, item).expect("key from the ledger");
        for (di, &d) in dates.iter().enumerate() {
            if s.first_day > d {
                continue;
            }
            let stocked = usize::from(ledger.stock_on_hand(loc, item, d) > EPSILON);
            let key = if basket { u32::MAX } else { item };
            let e = per_item.entry((area, key, di)).or_default();
            e.0 += 1;
            e.1 += stocked;
            if basket {
                let f = per_facility.entry((area, place, di)).or_default();
                f.0 += 1;
                f.1 += stocked;
            }
        }
    }
    let mut rows = Vec::new();
    for ((area, item, di), (managing, in_stock)) in per_item {
        let availability = if basket {
            let shares: Vec<(usize, usize)> = per_facility
                .range((area, 0, 0)..(area + 1, 0, 0))
                .filter(|((_, _, d), _)| *d == di)
                .map(|(_, &(m, s))| (s, m))
                .collect();
            indicators::basket_availability(&shares)
        } else {
            indicators::availability(in_stock, managing)
        };
        let p = &places.list[area];
        rows.push(AvailabilityRow {
            area: p.code.clone(),
            area_name: p.name.clone(),
            item: if basket {
                "basket".to_string()
            } else {
                ledger.names.items.name(item).to_string()
            },
            item_name: if basket {
                None
            } else {
                ledger.names.item_name(item).map(str::to_string)
            },
            date: format_day(dates[di]),
            facilities: managing,
            in_stock,
            availability,
        });
    }
    rows
}

/// A lot held at a location: on hand, or below zero (flagged).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct LotRow {
    pub location: String,
    pub location_name: String,
    pub item: String,
    /// The product's name, where the catalogue knows it.
    pub item_name: Option<String>,
    /// The codes the lot was recorded under (a trade item's GTIN, the
    /// product code).
    pub trade_items: Vec<String>,
    /// Empty when the source did not name the lot.
    pub lot: String,
    pub as_of: String,
    /// The lot's balance; below zero when more left than was recorded
    /// arriving (then `negative`).
    pub quantity: f64,
    /// The balance is below zero: a data problem (formulas 3.10), shown so
    /// that the lots add up to the stock on hand `equitas stock` shows.
    pub negative: bool,
    pub expiry: Option<String>,
    /// Negative: expired and still held.
    pub days_to_expiry: Option<i32>,
}

/// Lots with a balance at the end of `as_of` (default: the last day with
/// data), in each location within `within`, first expiry first; only those
/// expiring within `horizon_months` if given. Lots below zero are listed,
/// flagged `negative`, so that a location's lots add up to its stock on
/// hand.
pub fn lots(
    ledger: &Ledger,
    places: &Places,
    within: Option<&str>,
    items: &[String],
    as_of: Option<Day>,
    horizon_months: Option<i32>,
) -> Vec<LotRow> {
    let Some(as_of) = as_of.or(ledger.through()) else {
        return Vec::new();
    };
    let within = within.and_then(|c| places.index_of(c).copied());
    let limit = horizon_months.map(|h| add_months(as_of, h) - as_of);
    let mut rows = Vec::new();
    let wanted: Vec<u32> = items
        .iter()
        .filter_map(|i| ledger.names.item_id(i))
        .collect();
    if !items.is_empty() && wanted.is_empty() {
        return Vec::new();
    }
    for (loc, item) in ledger.item_keys() {
        let item_code = ledger.names.items.name(item);
        if !wanted.is_empty() && !wanted.contains(&item) {
            continue;
        }
        let Some(place) = places.place_of(loc) else {
            continue;
        };
        if within.is_some_and(|w| !places.lineage(place).contains(&w)) {
            continue;
        }
        for (lot, q) in ledger.lots_held(loc, item, as_of) {
            let expiry = ledger.expiry(item, lot);
            let days = expiry.map(|e| e - as_of);
            if let Some(l) = limit
                && days.is_none_or(|d| d > l)
            {
                continue;
            }
            rows.push(LotRow {
                location: places.list[place].code.clone(),
                location_name: places.list[place].name.clone(),
                item: item_code.to_string(),
                item_name: ledger.names.item_name(item).map(str::to_string),
                trade_items: recorded_codes(ledger, item, ledger.recorded(loc, item, lot)),
                lot: ledger.names.lots.name(lot).to_string(),
                as_of: format_day(as_of),
                quantity: q,
                negative: q < 0.0,
                expiry: expiry.map(format_day),
                days_to_expiry: days,
            });
        }
    }
    rows.sort_by(|a, b| {
        (
            &a.location,
            &a.item,
            a.days_to_expiry.unwrap_or(i32::MAX),
            &a.lot,
        )
            .cmp(&(
                &b.location,
                &b.item,
                b.days_to_expiry.unwrap_or(i32::MAX),
                &b.lot,
            ))
    });
    rows
}

/// A data problem as shown to users.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ProblemRow {
    pub kind: &'static str,
    pub description: &'static str,
    pub location: String,
    pub location_name: String,
    pub item: String,
    pub lot: String,
    /// Local date and time of the movement.
    pub at: String,
    pub expected: f64,
    pub found: f64,
    pub sources: Vec<SourceRow>,
}

/// Where one of a problem's movements came from, as users find it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SourceRow {
    pub kind: SourceKind,
    /// Its row id in the store.
    pub id: u64,
    /// For an event, its event ID (the `eventID` it was captured with, else
    /// its hash ID), which `GET /events?EQ_eventID=` and `equitas epcis
    /// query --event-id` find; for a stock report row, its month (the row
    /// of this location and item). Empty until named ([`name_sources`]);
    /// `(no longer held)` for a row replaced or deleted since the ledger
    /// was read.
    pub name: String,
}

/// What a source is: a captured event or a stock report row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Event,
    Report,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Event => "event",
            SourceKind::Report => "report",
        }
    }
}

impl From<crate::movement::Source> for SourceRow {
    fn from(s: crate::movement::Source) -> Self {
        use crate::movement::Source;
        let (kind, id) = match s {
            Source::Event(id) => (SourceKind::Event, id),
            Source::Report(id) => (SourceKind::Report, id),
        };
        SourceRow {
            kind,
            id,
            name: String::new(),
        }
    }
}

impl SourceRow {
    pub fn source(&self) -> crate::movement::Source {
        use crate::movement::Source;
        match self.kind {
            SourceKind::Event => Source::Event(self.id),
            SourceKind::Report => Source::Report(self.id),
        }
    }
}

/// Names every source of `rows` from `names` (what the store holds), a
/// source it does not hold as `(no longer held)`.
pub fn name_sources(
    rows: &mut [ProblemRow],
    names: &std::collections::HashMap<crate::movement::Source, String>,
) {
    for s in rows.iter_mut().flat_map(|r| r.sources.iter_mut()) {
        s.name = names
            .get(&s.source())
            .cloned()
            .unwrap_or_else(|| "(no longer held)".into());
    }
}

pub fn problems(ledger: &Ledger, places: &Places, within: Option<&str>) -> Vec<ProblemRow> {
    let within = within.and_then(|c| places.index_of(c).copied());
    all_problems(ledger, places)
        .into_iter()
        .filter_map(|p| {
            let place = places.place_of(p.location)?;
            if within.is_some_and(|w| !places.lineage(place).contains(&w)) {
                return None;
            }
            let at = chrono::DateTime::from_timestamp_millis(p.at)?
                .naive_utc()
                .format("%Y-%m-%d %H:%M:%S")
                .to_string();
            Some(ProblemRow {
                kind: p.kind.as_str(),
                description: p.kind.describe(),
                location: places.list[place].code.clone(),
                location_name: places.list[place].name.clone(),
                item: ledger.names.items.name(p.item).to_string(),
                lot: ledger.names.lots.name(p.lot).to_string(),
                at,
                expected: p.expected,
                found: p.found,
                sources: p.sources().map(SourceRow::from).collect(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::movement::{Kind, Movement, Names, Source};

    /// A movement of lot 0 at the start of day `d` (YYYY-MM-DD).
    fn movement(d: &str, location: u32, item: u32, kind: Kind, quantity: f64) -> Movement {
        Movement {
            recorded: 0,
            at: crate::calendar::parse_day(d).unwrap() as i64 * crate::calendar::MS_PER_DAY,
            location,
            item,
            lot: 0,
            kind,
            quantity,
            reason: 0,
            source: 0,
        }
    }

    fn place(code: &str, level: LocationLevel, parent: Option<&str>) -> Place {
        Place {
            code: code.into(),
            name: code.to_lowercase(),
            level: Some(level),
            parent: parent.map(str::to_string),
            gln: None,
        }
    }

    #[test]
    fn stock_rows_roll_up_and_availability_counts_facilities() {
        use LocationLevel::*;
        let hierarchy = vec![
            place("XSY", Country, None),
            place("CMS", Warehouse, Some("XSY")),
            place("R1", Region, Some("XSY")),
            place("F1", Facility, Some("R1")),
            place("F2", Facility, Some("R1")),
        ];
        let mut n = Names::default();
        let (cms, f1, f2) = (
            n.locations.id("CMS"),
            n.locations.id("F1"),
            n.locations.id("F2"),
        );
        let item = n.items.id("AMOX");
        let mv = |d: &str, location, kind, quantity| movement(d, location, item, kind, quantity);
        let l = Ledger::build(
            n,
            vec![
                mv("2026-01-01", cms, Kind::Receipt, 1000.0),
                mv("2026-01-02", cms, Kind::Issue, 200.0),
                mv("2026-01-03", f1, Kind::Receipt, 100.0),
                mv("2026-01-03", f2, Kind::Receipt, 100.0),
                mv("2026-01-15", f1, Kind::Dispense, 40.0),
                mv("2026-01-20", f2, Kind::Dispense, 100.0),
                mv("2026-02-10", f1, Kind::Dispense, 10.0),
            ],
        );
        let places = Places::new(hierarchy, &l);
        let as_of = crate::calendar::parse_day("2026-02-10").unwrap();
        let q = StockQuery {
            as_of: Some(as_of),
            window: 1,
            ..StockQuery::default()
        };
        let rows = stock(&l, &places, &MinMaxBands::default(), &q);
        let by: Vec<(&str, f64, Option<f64>, Status, Tier)> = rows
            .iter()
            .map(|r| {
                (
                    r.location.as_str(),
                    r.stock_on_hand,
                    r.amc,
                    r.status,
                    r.tier,
                )
            })
            .collect();
        assert_eq!(
            by,
            vec![
                ("CMS", 800.0, Some(200.0), Status::BelowMin, Tier::Central),
                ("F1", 50.0, Some(40.0), Status::BelowMin, Tier::Facility),
                // F2: 100 dispensed in January with 12 stockout days (20-31).
                (
                    "F2",
                    0.0,
                    Some(100.0 * 31.0 / 19.0),
                    Status::StockedOut,
                    Tier::Facility
                ),
            ]
        );
        // F2, out since 20 January: 1-10 February so far.
        assert_eq!(rows[2].stockout_days, Some(10));
        let q = StockQuery {
            level: Some(Country),
            ..q
        };
        let rows = stock(&l, &places, &MinMaxBands::default(), &q);
        assert_eq!(rows.len(), 1);
        // The country: all stock; AMC of what was dispensed, each facility adjusted.
        assert_eq!(rows[0].stock_on_hand, 850.0);
        assert!((rows[0].amc.unwrap() - (40.0 + 100.0 * 31.0 / 19.0)).abs() < 1e-9);
        let a = availability(&l, &places, Region, &[], false, &[as_of]);
        assert_eq!(
            (a[0].facilities, a[0].in_stock, a[0].availability),
            (2, 1, Some(0.5))
        );
        assert_eq!(
            availability(&l, &places, Region, &["NONE".into()], false, &[as_of]),
            vec![]
        );
    }

    /// A country XSY with a store CMS and a facility F1 under it, and the
    /// ledger of `moves` (day, place, kind, quantity) of one item, AMOX.
    fn store_and_facility(moves: &[(&str, &str, Kind, f64)]) -> (Ledger, Places) {
        use LocationLevel::*;
        let hierarchy = vec![
            place("XSY", Country, None),
            place("CMS", Warehouse, Some("XSY")),
            place("F1", Facility, Some("XSY")),
        ];
        let mut n = Names::default();
        let item = n.items.id("AMOX");
        let ms: Vec<Movement> = moves
            .iter()
            .map(|&(d, at, kind, q)| {
                let location = n.locations.id(at);
                movement(d, location, item, kind, q)
            })
            .collect();
        let l = Ledger::build(n, ms);
        let places = Places::new(hierarchy, &l);
        (l, places)
    }

    /// docs/formulas.md 3.5: a store's month with nothing recorded is one
    /// of no issues, and of nothing dispensed, in an area's AMC too: not a
    /// reporting gap counted in the area's `months_unreported` (the store's
    /// own row counts none), nor left out of what it dispensed.
    #[test]
    fn a_store_s_silent_month_is_no_gap_in_an_area_either() {
        use LocationLevel::*;
        // The store issues and dispenses in January, then nothing is
        // recorded there in February and March; F1 dispenses every month.
        let (l, places) = store_and_facility(&[
            ("2026-01-01", "CMS", Kind::Receipt, 900.0),
            ("2026-01-02", "CMS", Kind::Issue, 300.0),
            ("2026-01-02", "CMS", Kind::Dispense, 30.0),
            ("2026-01-01", "F1", Kind::Receipt, 100.0),
            ("2026-01-02", "F1", Kind::Dispense, 10.0),
            ("2026-02-02", "F1", Kind::Dispense, 10.0),
            ("2026-03-02", "F1", Kind::Dispense, 10.0),
        ]);
        let q = StockQuery {
            as_of: crate::calendar::parse_day("2026-03-31"),
            window: 3,
            ..StockQuery::default()
        };
        let rows = stock(&l, &places, &MinMaxBands::default(), &q);
        let cms_row = rows.iter().find(|r| r.location == "CMS").unwrap();
        assert_eq!(
            (cms_row.amc, cms_row.amc_months, cms_row.months_unreported),
            (Some(110.0), 3, 0)
        );
        let rows = stock(
            &l,
            &places,
            &MinMaxBands::default(),
            &StockQuery {
                level: Some(Country),
                ..q
            },
        );
        // What was dispensed: the store's 30 over its three months, F1's 10.
        assert_eq!(
            (rows[0].amc, rows[0].amc_months, rows[0].months_unreported),
            (Some(20.0), 3, 0)
        );
    }

    /// docs/formulas.md 3.5: a month is a reporting gap only when nothing
    /// at all was recorded at the place. An item silent in a month when the
    /// place recorded another one was not used: 0, not a gap (a slow item
    /// at an active facility would otherwise average its months of use
    /// only). Built or appended, and as of a date, alike.
    #[test]
    fn an_item_silent_while_its_place_reports_used_nothing() {
        use LocationLevel::*;
        let hierarchy = vec![
            place("XSY", Country, None),
            place("F1", Facility, Some("XSY")),
            place("F2", Facility, Some("XSY")),
        ];
        let mut n = Names::default();
        let (f1, f2) = (n.locations.id("F1"), n.locations.id("F2"));
        let (amox, ors) = (n.items.id("AMOX"), n.items.id("ORS"));
        let ms = vec![
            movement("2026-01-01", f1, amox, Kind::Receipt, 100.0),
            movement("2026-01-01", f1, ors, Kind::Receipt, 100.0),
            movement("2026-01-01", f2, ors, Kind::Receipt, 100.0),
            movement("2026-01-10", f1, ors, Kind::Dispense, 30.0),
            movement("2026-01-10", f2, ors, Kind::Dispense, 30.0),
            // February: F1 dispenses AMOX only, F2 records nothing.
            movement("2026-02-10", f1, amox, Kind::Dispense, 5.0),
            movement("2026-03-10", f1, ors, Kind::Dispense, 30.0),
            movement("2026-03-10", f2, ors, Kind::Dispense, 30.0),
        ];
        let q = StockQuery {
            as_of: crate::calendar::parse_day("2026-03-31"),
            window: 3,
            items: vec!["ORS".into()],
            ..StockQuery::default()
        };
        let built = Ledger::build(n.clone(), ms.clone());
        let mut appended = Ledger::build(n.clone(), ms[..5].to_vec());
        appended.append(ms[5..].to_vec());
        for l in [&built, &appended] {
            let places = Places::new(hierarchy.clone(), l);
            let rows = stock(l, &places, &MinMaxBands::default(), &q);
            let got: Vec<(&str, Option<f64>, u32, u32)> = rows
                .iter()
                .map(|r| {
                    (
                        r.location.as_str(),
                        r.amc,
                        r.amc_months,
                        r.months_unreported,
                    )
                })
                .collect();
            assert_eq!(
                got,
                [("F1", Some(20.0), 3, 0), ("F2", Some(30.0), 2, 1)],
                "ORS: F1 reported February (AMOX), F2 did not"
            );
            let feb = month_of(crate::calendar::parse_day("2026-02-01").unwrap());
            let f = l.month(f1, ors, feb, month_end(feb)).unwrap();
            assert!(f.movements == 0 && f.place_recorded && f.recorded());
            assert!(!l.month(f2, ors, feb, month_end(feb)).unwrap().recorded());
        }
        // Stockout days a report gave for an item count as the place's
        // report, once the item is managed there (from its first movement).
        let mut l = built.clone();
        let feb = month_of(crate::calendar::parse_day("2026-02-01").unwrap());
        let dec = feb - 2;
        l.set_reported_stockout_days(f2, amox, feb, 3);
        assert!(!l.place_recorded(f2, feb), "AMOX is not managed at F2");
        l.set_reported_stockout_days(f2, ors, dec, 3);
        assert!(
            !l.place_recorded(f2, dec),
            "ORS was not managed at F2 in December"
        );
        l.set_reported_stockout_days(f2, ors, feb, 0);
        assert!(l.place_recorded(f2, feb));
    }

    /// docs/formulas.md 3.4: a store passing on at once what it receives
    /// is out of stock most of the month; its issues are its consumption,
    /// as they are. A facility doing the same is scaled (demand every day).
    #[test]
    fn a_store_s_issues_are_not_scaled_by_its_stockout_days() {
        let (l, places) = store_and_facility(&[
            ("2026-01-01", "CMS", Kind::Receipt, 900.0),
            ("2026-01-02", "CMS", Kind::Issue, 900.0),
            ("2026-01-01", "F1", Kind::Receipt, 100.0),
            ("2026-01-02", "F1", Kind::Dispense, 100.0),
        ]);
        let q = StockQuery {
            as_of: crate::calendar::parse_day("2026-01-31"),
            window: 1,
            ..StockQuery::default()
        };
        let rows = stock(&l, &places, &MinMaxBands::default(), &q);
        let amc: Vec<(&str, Option<u32>, Option<f64>)> = rows
            .iter()
            .map(|r| (r.location.as_str(), r.stockout_days, r.amc))
            .collect();
        assert_eq!(
            amc,
            vec![
                // Out of stock from the end of 2 January: 30 days.
                ("CMS", Some(30), Some(900.0)),
                ("F1", Some(30), Some(100.0 * 31.0 / 1.0)),
            ]
        );
    }

    /// docs/formulas.md 3.5: the months the AMC averages.
    #[test]
    fn amc_window_vectors() {
        for v in equitas_doc_vectors::vectors("amc_window") {
            let as_of = crate::calendar::parse_day(v["as_of"].as_str().unwrap()).unwrap();
            let months: Vec<String> = amc_months(as_of, v["window"].as_u64().unwrap() as u32)
                .into_iter()
                .map(crate::calendar::format_month)
                .collect();
            let want: Vec<&str> = v["months"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_str().unwrap())
                .collect();
            assert_eq!(months, want, "{v}");
        }
    }

    /// Issue 19, finding 9: `--months 6` gives 6 dates, ending at the
    /// as-of date.
    #[test]
    fn availability_dates_end_at_the_as_of_date() {
        let d = |s: &str| crate::calendar::parse_day(s).unwrap();
        let dates: Vec<String> = availability_dates(d("2026-06-15"), 6)
            .into_iter()
            .map(format_day)
            .collect();
        assert_eq!(
            dates,
            [
                "2026-01-31",
                "2026-02-28",
                "2026-03-31",
                "2026-04-30",
                "2026-05-31",
                "2026-06-15"
            ]
        );
        assert_eq!(
            availability_dates(d("2026-06-15"), 0),
            vec![d("2026-06-15")]
        );
        assert_eq!(
            availability_dates(d("2026-06-15"), 1),
            vec![d("2026-06-15")]
        );
    }

    /// Issue 19, finding 9, on one country of facilities F1 and F2:
    /// - a month ending on the as-of date is complete: its consumption is
    ///   in the AMC;
    /// - a row stocked out shows the stockout days of the as-of month so
    ///   far (not those of the month before, 0 when the stockout began
    ///   this month), also for an as-of date before later movements;
    /// - a lot below zero is listed by `lots`, flagged, and the lots add
    ///   up to the row's stock on hand.
    #[test]
    fn month_end_complete_stockout_days_and_negative_lots() {
        let mut n = Names::default();
        let (f1, f2) = (n.locations.id("F1"), n.locations.id("F2"));
        n.items.id("AMOX");
        let (a, b) = (n.lots.id("A"), n.lots.id("B"));
        let d = |s: &str| crate::calendar::parse_day(s).unwrap();
        let mv = |day: &str, location, lot, kind, quantity| Movement {
            at: d(day) as i64 * crate::calendar::MS_PER_DAY + 3_600_000,
            location,
            item: 0,
            lot,
            kind,
            quantity,
            reason: 0,
            source: 0,
            recorded: 0,
        };
        let l = Ledger::build(
            n,
            vec![
                mv("2026-01-05", f1, a, Kind::Receipt, 100.0),
                mv("2026-01-20", f1, a, Kind::Dispense, 30.0),
                mv("2026-02-15", f1, a, Kind::Dispense, 30.0),
                mv("2026-03-20", f1, a, Kind::Dispense, 40.0),
                // Lot B leaves without having arrived: -5.
                mv("2026-03-25", f1, b, Kind::Dispense, 5.0),
                mv("2026-03-01", f2, a, Kind::Receipt, 50.0),
                mv("2026-03-10", f2, a, Kind::Dispense, 50.0),
                mv("2026-03-28", f2, a, Kind::Receipt, 20.0),
            ],
        );
        let places = Places::new(small_country(), &l);
        let row = |as_of: &str, code: &str| {
            let q = StockQuery {
                as_of: Some(d(as_of)),
                window: 2,
                ..StockQuery::default()
            };
            stock(&l, &places, &MinMaxBands::default(), &q)
                .into_iter()
                .find(|r| r.location == code)
                .unwrap()
        };
        let r = row("2026-03-31", "F1");
        // February and March (complete on 31 March): 30, and 45 with 12
        // stockout days (20-31 March): 45 x 31 / 19.
        assert_eq!(r.amc_months, 2);
        assert!((r.amc.unwrap() - (30.0 + 45.0 * 31.0 / 19.0) / 2.0).abs() < 1e-9);
        assert_eq!((r.status, r.stockout_days), (Status::StockedOut, Some(12)));
        assert_eq!(r.stock_on_hand, -5.0);
        // Mid-month: the days so far, and the AMC of January and February.
        let r = row("2026-03-25", "F1");
        assert_eq!((r.stockout_days, r.amc), (Some(6), Some(30.0)));
        // F2 out 10-27 March, refilled on the 28th: as of the 15th, 6 days
        // (10-15) though later movements of March are held.
        assert_eq!(row("2026-03-15", "F2").stockout_days, Some(6));
        assert_eq!(row("2026-03-31", "F2").stockout_days, Some(18));
        let lots = lots(&l, &places, Some("F1"), &[], Some(d("2026-03-31")), None);
        let got: Vec<(&str, f64, bool)> = lots
            .iter()
            .map(|x| (x.lot.as_str(), x.quantity, x.negative))
            .collect();
        assert_eq!(got, vec![("B", -5.0, true)]);
        assert_eq!(lots.iter().map(|x| x.quantity).sum::<f64>(), -5.0);
    }

    /// The hierarchy of the tests below: country XSY > region R1 >
    /// facilities F1, F2.
    fn small_country() -> Vec<Place> {
        use LocationLevel::*;
        vec![
            place("XSY", Country, None),
            place("R1", Region, Some("XSY")),
            place("F1", Facility, Some("R1")),
            place("F2", Facility, Some("R1")),
        ]
    }

    /// An item the catalogue does not hold is flagged at each lot moved,
    /// once the catalogue lists any product; a ledger built without a
    /// catalogue flags nothing (formulas 3.10).
    #[test]
    fn an_item_the_catalogue_does_not_hold_is_flagged() {
        use crate::catalogue::{ItemCatalogue, TradeItemUnit};
        let catalogue = ItemCatalogue::new(
            [("AMOX".to_string(), "Amoxicillin".to_string())],
            &[TradeItemUnit {
                code: "09520000000011".into(),
                gtin: Some("09520000000011".into()),
                product: "AMOX".into(),
                pack_size: Some(10.0),
            }],
        );
        let flagged = |names: Names| {
            let mut n = names;
            let f1 = n.locations.id("F1");
            let (known, recorded, factor) = n.item("09520000000011");
            let (unknown, other, _) = n.item("09999999999999");
            let moves = vec![
                Movement {
                    item: known,
                    recorded,
                    ..receipt(f1, 5.0 * factor, 1)
                },
                Movement {
                    item: unknown,
                    recorded: other,
                    ..receipt(f1, 7.0, 2)
                },
            ];
            let l = Ledger::build(n, moves);
            all_problems(&l, &Places::new(small_country(), &l))
                .iter()
                .map(|p| {
                    (
                        p.kind,
                        l.names.items.name(p.item).to_string(),
                        p.found,
                        p.sources.clone(),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            flagged(Names::with_catalogue(catalogue)),
            [(
                ProblemKind::UnknownItem,
                "09999999999999".to_string(),
                7.0,
                vec![2]
            )]
        );
        assert_eq!(flagged(Names::default()), []);
    }

    fn receipt(location: u32, quantity: f64, source: u64) -> Movement {
        Movement {
            recorded: 0,
            at: crate::calendar::parse_day("2026-01-05").unwrap() as i64
                * crate::calendar::MS_PER_DAY,
            location,
            item: 0,
            lot: 0,
            kind: Kind::Receipt,
            quantity,
            reason: 0,
            source,
        }
    }

    /// A stock report's counts (of no lot) at a place whose stock is kept
    /// by lot count the item whole: the stock on hand is the count, the
    /// difference is an adjustment, and a count that differs from what the
    /// lots held is a count mismatch. A lot counted while stock of no lot
    /// is held is flagged once.
    #[test]
    fn a_count_of_no_lot_beside_lots_counts_the_item_whole() {
        let mut n = Names::default();
        let f1 = n.locations.id("F1");
        n.items.id("AMOX");
        let lot = n.lots.id("L1");
        let day =
            |d: &str| crate::calendar::parse_day(d).unwrap() as i64 * crate::calendar::MS_PER_DAY;
        let m = |at: &str, lot: u32, kind: Kind, quantity: f64, source: u64| Movement {
            at: day(at),
            lot,
            kind,
            quantity,
            source,
            ..receipt(f1, 0.0, 0)
        };
        let d = |s: &str| crate::calendar::parse_day(s).unwrap();
        let beside = |l: &Ledger| -> Vec<(u32, f64, f64, Vec<u64>)> {
            all_problems(l, &Places::new(small_country(), l))
                .iter()
                .filter(|p| p.kind == ProblemKind::CountBesideLots)
                .map(|p| (p.lot, p.expected, p.found, p.sources.clone()))
                .collect()
        };
        let with_lots = vec![
            m("2026-01-05", lot, Kind::Receipt, 98.0, 1),
            m("2026-02-01", 0, Kind::Count, 98.0, 2),
            m("2026-02-10", 0, Kind::Dispense, 30.0, 3),
            m("2026-02-28", 0, Kind::Count, 68.0, 4),
        ];
        let l = Ledger::build(n.clone(), with_lots.clone());
        // Until 2026-12-07: 98 + 98 on Feb 1st, 166 at the end of February.
        assert_eq!(l.stock_on_hand(f1, 0, d("2026-02-01")), 98.0);
        assert_eq!(l.stock_on_hand(f1, 0, d("2026-02-28")), 68.0);
        assert!(beside(&l).is_empty());
        let feb = l
            .month(f1, 0, month_of(d("2026-02-01")), d("2026-02-28"))
            .unwrap();
        assert_eq!(
            (feb.opening, feb.dispensed, feb.adjusted, feb.closing),
            (98.0, 30.0, 0.0, 68.0)
        );
        // The FHIR snapshot of docs/interop.md: 64 counted where the lots
        // held 98 is 64, with a count mismatch (expected 98, found 64).
        let snapshot = vec![with_lots[0], m("2026-10-31", 0, Kind::Count, 64.0, 5)];
        let l = Ledger::build(n.clone(), snapshot.clone());
        assert_eq!(l.stock_on_hand(f1, 0, d("2026-10-31")), 64.0);
        let mismatches: Vec<(f64, f64)> = l
            .problems()
            .iter()
            .filter(|p| p.kind == ProblemKind::CountMismatch)
            .map(|p| (p.expected, p.found))
            .collect();
        assert_eq!(mismatches, [(98.0, 64.0)]);
        assert!(
            !l.problems()
                .iter()
                .any(|p| p.kind == ProblemKind::NegativeBalance),
            "the lots hold what the count of no lot is below"
        );
        let oct = l
            .month(f1, 0, month_of(d("2026-10-31")), d("2026-10-31"))
            .unwrap();
        assert_eq!(
            (oct.opening, oct.adjusted, oct.closing),
            (98.0, -34.0, 64.0)
        );
        // Appended one by one, in any order: the same balances.
        for order in [[0, 1], [1, 0]] {
            let mut a = Ledger::build(n.clone(), vec![snapshot[order[0]]]);
            a.append(vec![snapshot[order[1]]]);
            assert_eq!(a.stock_on_hand(f1, 0, d("2026-10-31")), 64.0, "{order:?}");
            assert_eq!(a.entries(f1, 0, 0), l.entries(f1, 0, 0), "{order:?}");
        }
        // A place that moved from reports to counts by lot: its last
        // report's count stays beside the lot counted after it.
        let moved = vec![
            m("2025-12-31", 0, Kind::Count, 50.0, 7),
            m("2026-01-05", lot, Kind::Receipt, 9.0, 8),
        ];
        let l = Ledger::build(n.clone(), moved.clone());
        assert!(beside(&l).is_empty(), "a receipt after a report adds to it");
        let counted = vec![moved[0], m("2026-01-10", lot, Kind::Count, 50.0, 9)];
        let l = Ledger::build(n.clone(), counted.clone());
        assert_eq!(beside(&l), [(lot, 50.0, 50.0, vec![7, 9])]);
        // A report of 0 holds nothing beside the lot; the lots alone or the
        // report alone: nothing to flag.
        let l = Ledger::build(
            n.clone(),
            vec![m("2025-12-31", 0, Kind::Count, 0.0, 7), counted[1]],
        );
        assert!(beside(&l).is_empty());
        for only in [&counted[1..], &counted[..1]] {
            assert!(beside(&Ledger::build(n.clone(), only.to_vec())).is_empty());
        }
    }

    /// A lot below zero takes its deficit from the others: what is
    /// expiring is never more than the stock on hand.
    #[test]
    fn what_expires_is_never_more_than_what_is_held() {
        let mut n = Names::default();
        let f1 = n.locations.id("F1");
        n.items.id("AMOX");
        let lot = n.lots.id("L1");
        let day = |d: &str| crate::calendar::parse_day(d).unwrap();
        let mut l = Ledger::build(
            n,
            vec![
                receipt(f1, 100.0, 1),
                Movement {
                    at: day("2026-01-10") as i64 * crate::calendar::MS_PER_DAY,
                    kind: Kind::Dispense,
                    quantity: 40.0,
                    ..receipt(f1, 0.0, 2)
                },
            ]
            .into_iter()
            .map(|mut m| {
                // The receipt is of lot L1; the dispensing names no lot.
                if m.kind == Kind::Receipt {
                    m.lot = lot;
                }
                m
            })
            .collect(),
        );
        l.set_expiry(0, lot, day("2026-02-15"));
        let places = Places::new(small_country(), &l);
        let q = StockQuery {
            as_of: Some(day("2026-01-31")),
            ..StockQuery::default()
        };
        let rows = stock(&l, &places, &MinMaxBands::default(), &q);
        let f = rows.iter().find(|r| r.location == "F1").unwrap();
        assert_eq!((f.stock_on_hand, f.expiring), (60.0, 60.0), "{f:?}");
        assert_eq!(f.expired, 0.0, "{f:?}");
        // After its expiry the lot is held, expired: all 60 (3.8), which a
        // scenario does not count as stock to live on (7.1).
        let q = StockQuery {
            as_of: Some(day("2026-02-20")),
            ..StockQuery::default()
        };
        let rows = stock(&l, &places, &MinMaxBands::default(), &q);
        let f = rows.iter().find(|r| r.location == "F1").unwrap();
        assert_eq!((f.stock_on_hand, f.expired), (60.0, 60.0), "{f:?}");
        // The region adds up its places' expired stock.
        let q = StockQuery {
            level: Some(LocationLevel::Country),
            ..q
        };
        let rows = stock(&l, &places, &MinMaxBands::default(), &q);
        assert_eq!(
            rows.iter().map(|r| r.expired).sum::<f64>(),
            60.0,
            "{rows:?}"
        );
    }

    /// Issue 18: a receipt of 1e9 units at a GLN the hierarchy does not
    /// hold is flagged, and in no area's totals; two quantities of 1e308
    /// leave the country's stock finite.
    #[test]
    fn unknown_locations_and_implausible_quantities_are_flagged_not_summed() {
        let mut n = Names::default();
        let (f1, f2) = (n.locations.id("F1"), n.locations.id("F2"));
        let stray = n.locations.id("https://id.gs1.org/414/9520000000002");
        n.items.id("AMOX");
        let l = Ledger::build(
            n,
            vec![
                receipt(f1, 100.0, 1),
                receipt(f2, 50.0, 2),
                receipt(stray, 1e9, 3),
                receipt(f1, 1e308, 4),
                receipt(f2, 1e308, 5),
            ],
        );
        let places = Places::new(small_country(), &l);
        assert!(places.is_unknown(stray) && !places.is_unknown(f1));
        let at = |level| {
            let q = StockQuery {
                level,
                ..StockQuery::default()
            };
            stock(&l, &places, &MinMaxBands::default(), &q)
        };
        for level in [LocationLevel::Country, LocationLevel::Region] {
            let rows = at(Some(level));
            assert_eq!(rows.len(), 1, "{rows:?}");
            assert_eq!(rows[0].stock_on_hand, 150.0);
            assert_eq!(rows[0].problems, 2);
            assert_eq!(rows[0].status, Status::NoConsumption);
        }
        // The stray location's own row is there, flagged.
        let rows = at(None);
        let row = rows
            .iter()
            .find(|r| r.location.ends_with("9520000000002"))
            .unwrap();
        assert_eq!(
            (row.level.as_str(), row.stock_on_hand, row.problems),
            ("unknown", 1e9, 1)
        );
        let p = problems(&l, &places, None);
        let kinds: Vec<(&str, &str, Vec<Source>)> = p
            .iter()
            .map(|r| {
                let sources = r.sources.iter().map(SourceRow::source).collect();
                (r.kind, r.location.as_str(), sources)
            })
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("implausible_quantity", "F1", vec![Source::unpack(4)]),
                ("implausible_quantity", "F2", vec![Source::unpack(5)]),
                (
                    "unknown_location",
                    "https://id.gs1.org/414/9520000000002",
                    vec![Source::unpack(3)]
                ),
            ]
        );
        assert_eq!((p[2].expected, p[2].found), (0.0, 1e9));
        assert!(p[2].description.contains("hierarchy"));
        // Within the country: only what lies in it.
        assert_eq!(problems(&l, &places, Some("XSY")).len(), 2);
    }

    proptest::proptest! {
        /// Whatever the quantities at whatever locations (the hierarchy's or
        /// others), every figure of every stock row is finite (formulas
        /// 3.10).
        #[test]
        fn stock_rows_stay_finite(
            ms in proptest::collection::vec(
                (0u32..3, 0usize..5, proptest::prop_oneof![
                    proptest::num::f64::ANY,
                    proptest::strategy::Just(1e308),
                    proptest::strategy::Just(f64::MAX),
                    0.0..1e9f64,
                ], 0i64..90),
                0..40,
            )
        ) {
            let mut n = Names::default();
            for code in ["F1", "F2", "ELSEWHERE"] {
                n.locations.id(code);
            }
            n.items.id("AMOX");
            let start = crate::calendar::parse_day("2026-01-01").unwrap() as i64;
            let moves: Vec<Movement> = ms
                .iter()
                .enumerate()
                .map(|(i, &(location, k, quantity, day))| Movement {
                    recorded: 0,
                    at: (start + day) * crate::calendar::MS_PER_DAY,
                    location,
                    item: 0,
                    lot: 0,
                    kind: Kind::ALL[k],
                    quantity,
                    reason: 0,
                    source: i as u64,
                })
                .collect();
            let l = Ledger::build(n, moves);
            let places = Places::new(small_country(), &l);
            for level in [None, Some(LocationLevel::Country), Some(LocationLevel::Facility)] {
                let q = StockQuery { level, window: 2, ..StockQuery::default() };
                for r in stock(&l, &places, &MinMaxBands::default(), &q) {
                    let figures = [
                        Some(r.stock_on_hand),
                        r.amc,
                        r.months_of_stock,
                        Some(r.expiring),
                        Some(r.at_risk),
                    ];
                    proptest::prop_assert!(
                        figures.iter().flatten().all(|x| x.is_finite()),
                        "{r:?}"
                    );
                }
            }
        }
    }
}
