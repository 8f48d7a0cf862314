//! From the ledger to forecasts, supply plans and stockout risks: the
//! assembly the CLI and the HTTP API share.

use crate::models::Method;
use crate::plan::{LeadTime, Order, PlanInput, PlanMonth, lead_time_for, plan, stockout_risk};
use crate::select::{Choice, Evaluation, choose_all};
use crate::series::{DemandSeries, demand_series, last_complete_month};
use equitas_ledger::Ledger;
use equitas_ledger::calendar::{self, MonthIndex};
use equitas_ledger::places::{Place, Tier};
use equitas_ledger::view::{LotRow, MinMaxBands, Places, lots};
use equitas_model::LocationLevel;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// What to quantify.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// Places: facilities each on their own, or areas of this level.
    pub level: LocationLevel,
    pub items: Vec<String>,
    /// Months of history.
    pub history: usize,
    /// The history ends with this month (`None`: the ledger's last
    /// complete month).
    pub as_of: Option<MonthIndex>,
    pub horizon: usize,
    /// `None`: the automatic choice.
    pub method: Option<Method>,
    pub lead_time: usize,
    pub min_months: Option<f64>,
    pub max_months: Option<f64>,
    pub unit_price: Option<f64>,
    /// Shipments on their way.
    pub pipeline: Vec<Incoming>,
    /// Lead times by item and supplier; items without one use `lead_time`.
    pub lead_times: Vec<LeadTime>,
    /// Plan with this supplier's lead times (default: the shortest).
    pub supplier: Option<String>,
}

/// A shipment on its way.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incoming {
    pub item: String,
    /// Destination location code.
    pub to: String,
    /// Origin location code (`None`: from outside, e.g. a supplier).
    pub from: Option<String>,
    pub arrival: MonthIndex,
    pub quantity: f64,
}

impl Incoming {
    /// Does it bring stock to a location of `area`? One in transit between
    /// two of its locations does too: it has left the stock of the one and
    /// is not yet in the other's, so the area's stock on hand misses it
    /// (until 2026-12-06 only shipments from outside the area counted).
    pub fn enters(&self, places: &Places, area: &str) -> bool {
        places.is_within(&self.to, area)
    }
}

use equitas_ledger::movement::MAX_QUANTITY;

/// Parses a pipeline CSV: `item`, `place` (destination location code or GLN),
/// `arrival` (a day `YYYY-MM-DD`, taken as its month, or a month as
/// [`calendar::read_month`] reads it), `quantity` (non-negative); shipments
/// from outside the hierarchy (suppliers).
pub fn parse_pipeline<R: std::io::Read>(
    r: R,
) -> Result<equitas_model::reference::Parsed<Incoming>, equitas_model::RowError> {
    use equitas_model::RowError;
    use equitas_model::reference::{Table, cell};
    let mut t = Table::new(r)?;
    let (item, place, arrival, quantity) = (
        t.require("item")?,
        t.require("place")?,
        t.require("arrival")?,
        t.require("quantity")?,
    );
    // A file separated by semicolons writes its dates day first.
    let day_first = t.decimal_comma();
    Ok(t.parse(|rec, line| {
        let text = |idx, name: &str| {
            cell(rec, Some(idx))
                .map(str::to_string)
                .ok_or_else(|| RowError::new(line, name, "required value is empty"))
        };
        let mut errors = equitas_model::RowErrors::default();
        let item = errors.field(text(item, "item"));
        let to = errors.field(text(place, "place"));
        // An expected day of arrival falls in its month, whatever the day;
        // a month as stock reports read it otherwise (formulas 3.1).
        let m = errors.field(text(arrival, "arrival").and_then(|a| {
            calendar::read_arrival_month(&a, day_first)
                .map_err(|e| RowError::new(line, "arrival", e.to_string()))
        }));
        let q = errors.field(text(quantity, "quantity").and_then(|q| {
            q.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && (0.0..=MAX_QUANTITY).contains(v))
                .ok_or_else(|| {
                    RowError::new(
                        line,
                        "quantity",
                        format!(
                            "{q:?} is not a number from 0 to {MAX_QUANTITY} (formulas 3.10){}",
                            equitas_model::reference::decimal_comma_hint(&q)
                        ),
                    )
                })
        }));
        let (Some(item), Some(to), Some(m), Some(q)) = (item, to, m, q) else {
            return Err(errors);
        };
        Ok(Incoming {
            item,
            to,
            from: None,
            arrival: m,
            quantity: q,
        })
    }))
}

/// Days after its expected arrival beyond which a shipment still in
/// transit is not counted (4.7): received without a receipt that says so,
/// or lost, rather than on its way.
pub const OVERDUE_DAYS: i32 = 60;

/// Shipments in transit between locations of the hierarchy (issues not yet
/// received), as of a day.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Transit {
    /// Expected in their arrival month.
    pub incoming: Vec<Incoming>,
    /// Expected more than [`OVERDUE_DAYS`] before the day: not counted.
    pub overdue: Vec<Incoming>,
}

/// The shipments in transit of `legs` on `as_of`; legs whose ends are not
/// in the hierarchy are left out.
pub fn incoming_from_transit(
    legs: &[equitas_ledger::transit::Leg],
    places: &Places,
    as_of: equitas_ledger::calendar::Day,
) -> Transit {
    let (t, _) = equitas_ledger::transit::in_transit(legs, as_of);
    let mut out = Transit::default();
    for x in t {
        let (Some(to), Some(from)) = (places.resolve(&x.to), places.resolve(&x.from)) else {
            continue;
        };
        let overdue = x.expected < as_of - OVERDUE_DAYS;
        let i = Incoming {
            item: x.item,
            to: to.code.clone(),
            from: Some(from.code.clone()),
            arrival: calendar::month_of(x.expected),
            quantity: x.quantity,
        };
        if overdue {
            out.overdue.push(i);
        } else {
            out.incoming.push(i);
        }
    }
    out
}

/// Why nothing could be quantified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Empty {
    NoStockData,
    NoSeries,
    /// The as-of month is after the last complete month of the data: its
    /// history would end in months nothing was recorded in.
    AfterData {
        as_of: MonthIndex,
        last_complete: MonthIndex,
    },
    /// The as-of month ends before the first month with data.
    BeforeData {
        as_of: MonthIndex,
        first: MonthIndex,
    },
}

impl Empty {
    /// Whether the as-of month asked for is at fault (not the data).
    pub fn is_as_of(&self) -> bool {
        matches!(self, Empty::AfterData { .. } | Empty::BeforeData { .. })
    }
}

impl std::fmt::Display for Empty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let month = calendar::format_month;
        match self {
            Empty::NoStockData => {
                f.write_str("no stock data: capture EPCIS events or import stock reports first")
            }
            Empty::NoSeries => f.write_str("no demand series for these items at this level"),
            Empty::AfterData {
                as_of,
                last_complete,
            } => write!(
                f,
                "{} is after the last complete month of the data, {}",
                month(*as_of),
                month(*last_complete)
            ),
            Empty::BeforeData { as_of, first } => write!(
                f,
                "{} is before the first month with data, {}",
                month(*as_of),
                month(*first)
            ),
        }
    }
}

/// One item in one place, forecast and ready to plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantified {
    pub series: DemandSeries,
    pub choice: Choice,
    pub input: PlanInput,
    /// The supplier lead time used, if one was given.
    pub lead: Option<LeadTime>,
    /// The minimum or maximum asked for lay beyond the other end of the
    /// place's band, which was moved to it.
    pub band_widened: bool,
}

/// The demand series of the request (4.1) that `keep` accepts (a caller's
/// scope), ending with the month `as_of` (default: the ledger's last
/// complete month); an as-of month after that month or before the first
/// month with data is refused. A store serves an area only if `keep`
/// accepts that area's series too: its plan counts the area's figures.
pub fn series(
    ledger: &Ledger,
    places: &Places,
    level: LocationLevel,
    items: &[String],
    history: usize,
    as_of: Option<MonthIndex>,
    keep: &dyn Fn(&DemandSeries) -> bool,
) -> Result<(Vec<DemandSeries>, MonthIndex), Empty> {
    let complete = last_complete_month(ledger).ok_or(Empty::NoStockData)?;
    let last = as_of.unwrap_or(complete);
    if last > complete {
        return Err(Empty::AfterData {
            as_of: last,
            last_complete: complete,
        });
    }
    if let Some(first) = ledger.since().map(calendar::month_of)
        && last < first
    {
        return Err(Empty::BeforeData { as_of: last, first });
    }
    let area = match level {
        LocationLevel::Facility | LocationLevel::Warehouse => None,
        l => Some(l),
    };
    let mut s = demand_series(ledger, places, area, items, last, history.max(1));
    if area.is_none() {
        s.retain(|x| places.get(&x.area).is_some_and(|p| p.level == Some(level)));
    }
    if level == LocationLevel::Warehouse {
        served_demand(ledger, places, items, last, history.max(1), keep, &mut s);
    }
    s.retain(|x| keep(x));
    if s.is_empty() {
        return Err(Empty::NoSeries);
    }
    Ok((s, last))
}

/// The area a store serves (4.1): its parent in the hierarchy, an area
/// (country, region or district) under which no other store that
/// `holds` the item lies directly; or why it serves none, in words.
pub fn serves<'p>(
    places: &'p Places,
    store: &str,
    holds: impl Fn(&str) -> bool,
) -> Result<&'p Place, String> {
    let parent = places
        .get(store)
        .and_then(|p| p.parent.as_deref())
        .ok_or("under no country, region or district")?;
    let area = places
        .get(parent)
        .filter(|a| {
            matches!(
                a.level,
                Some(LocationLevel::Country | LocationLevel::Region | LocationLevel::District)
            )
        })
        .ok_or_else(|| format!("under {parent}, not a country, region or district"))?;
    let others: Vec<&str> = places
        .list
        .iter()
        .filter(|p| {
            p.level == Some(LocationLevel::Warehouse)
                && p.parent.as_deref() == Some(parent)
                && p.code != store
                && holds(&p.code)
        })
        .map(|p| p.code.as_str())
        .collect();
    if others.is_empty() {
        Ok(area)
    } else {
        Err(format!("shares {parent} with {}", others.join(", ")))
    }
}

/// Stores' series made the demand of the area each serves (4.1: what its
/// facilities use, adjusted for their stockouts, 3.4), where that area has
/// a series of the item: a store's own issues fall when it runs out, and
/// the demand it must supply does not. The use recorded since the last
/// month is the area's too: a store's plan counts its area's stock (its
/// echelon, [`quantify`]).
fn served_demand(
    ledger: &Ledger,
    places: &Places,
    items: &[String],
    last: MonthIndex,
    history: usize,
    keep: &dyn Fn(&DemandSeries) -> bool,
    series: &mut [DemandSeries],
) {
    // Which stores hold which items: a store without data of an item
    // shares no area for it.
    let held: std::collections::BTreeSet<(String, String)> = series
        .iter()
        .map(|s| (s.area.clone(), s.item.clone()))
        .collect();
    let mut areas: BTreeMap<LocationLevel, BTreeMap<(String, String), DemandSeries>> =
        BTreeMap::new();
    for s in series.iter_mut() {
        let item = s.item.clone();
        let area = match serves(places, &s.area, |code| {
            held.contains(&(code.to_string(), item.clone()))
        }) {
            Ok(area) => area,
            Err(why) => {
                s.own_why = Some(why);
                continue;
            }
        };
        let Some(level) = area.level else { continue };
        let of_level = areas.entry(level).or_insert_with(|| {
            demand_series(ledger, places, Some(level), items, last, history)
                .into_iter()
                .map(|a| ((a.area.clone(), a.item.clone()), a))
                .collect()
        });
        match of_level.get(&(area.code.clone(), item)) {
            Some(a) if keep(a) => {
                *s = DemandSeries {
                    area: std::mem::take(&mut s.area),
                    area_name: std::mem::take(&mut s.area_name),
                    served: Some(a.area.clone()),
                    ..a.clone()
                };
            }
            Some(_) => s.own_why = Some(format!("{} lies outside your scope", area.code)),
            None => s.own_why = Some(format!("{} has no data of the item", area.code)),
        }
    }
}

/// The day stock is counted on: the end of the as-of month (or the
/// ledger's last day, if earlier or without an as-of month: stock on hand
/// now, every receipt counted; the use recorded since the last complete
/// month is then added back, month 1 being forecast whole: 4.7).
pub fn stock_day(ledger: &Ledger, as_of: Option<MonthIndex>) -> Option<calendar::Day> {
    let through = ledger.through()?;
    Some(as_of.map_or(through, |m| calendar::month_end(m).min(through)))
}

/// The series of a request with their forecasts (4.4-4.5).
#[derive(Debug, Clone, PartialEq)]
pub struct Forecasts {
    /// Each series with its forecast.
    pub made: Vec<(DemandSeries, Choice)>,
    /// The series the method asked for cannot forecast (too short for it).
    pub unfitted: Vec<DemandSeries>,
    /// The series with no data recorded in their whole history (4.1):
    /// their demand is not known, not 0, so they are not forecast.
    pub no_data: Vec<DemandSeries>,
    /// The as-of month: the last of every history.
    pub last: MonthIndex,
}

/// The items asked for (product codes or GTINs) that have none of `series`,
/// as written.
pub fn items_without_series<'r, 's>(
    ledger: &Ledger,
    items: &'r [String],
    series: impl Iterator<Item = &'s DemandSeries> + Clone,
) -> Vec<&'r str> {
    items
        .iter()
        .filter(|i| {
            // A GTIN in any of its forms is its item (3.1).
            let Some(want) = ledger.names.item_id(i) else {
                return true;
            };
            !series
                .clone()
                .any(|s| ledger.names.item_id(&s.item) == Some(want))
        })
        .map(String::as_str)
        .collect()
}

/// The series of the request (4.1) that `keep` keeps (a caller's scope:
/// what is left out is neither fitted nor counted), and their forecasts.
/// Nothing of stock: `quantify` adds it, for plans and risks.
pub fn forecasts(
    ledger: &Ledger,
    places: &Places,
    r: &Request,
    keep: impl Fn(&DemandSeries) -> bool,
) -> Result<Forecasts, Empty> {
    let (s, last) = series(ledger, places, r.level, &r.items, r.history, r.as_of, &keep)?;
    // A series without a single month of data in its history is all
    // imputed: a forecast of it would be a forecast of 0, taken for "no
    // demand" by a plan that then orders nothing. Data: a month recorded
    // (at a store, whose silent months are no issues, one recorded at
    // least) and observed (not out of stock all month): a place that
    // reported other items while this one was out of stock all along
    // observed none of its demand (3.5, 4.1).
    let (s, no_data): (Vec<DemandSeries>, Vec<DemandSeries>) = s
        .into_iter()
        .partition(|x| x.last_reported.is_some() && x.unobserved.iter().any(|u| !u));
    let values: Vec<&[f64]> = s.iter().map(|x| x.values.as_slice()).collect();
    let choices = choose_all(&values, r.horizon.max(1), &Evaluation::default(), r.method);
    let mut f = Forecasts {
        made: Vec::new(),
        unfitted: Vec::new(),
        no_data,
        last,
    };
    for (x, c) in s.into_iter().zip(choices) {
        match c {
            Some(c) => f.made.push((x, c)),
            None => f.unfitted.push(x),
        }
    }
    Ok(f)
}

/// The lots a plan counts (4.7), after the month `last`: each with its
/// quantity and the months until it expires (`None`: no expiry). A lot
/// expired by then is not counted. A lot below zero (a data problem, 3.10:
/// more recorded leaving than arriving) was stock recorded under another
/// lot: its deficit is taken from the other lots of its location that a
/// plan counts, first expiry first (as issues are), so that a location
/// counts what it holds, never below 0 (3.2), and the use since the as-of
/// month, added back, is not counted twice. Until 2026-12-06 such a lot was
/// left out whole: its use counted back, not its deficit.
fn usable(lots: Vec<LotRow>, last: MonthIndex) -> Vec<(f64, Option<usize>)> {
    let mut deficit: std::collections::HashMap<String, f64> = Default::default();
    let mut held: Vec<(String, f64, Option<MonthIndex>)> = Vec::new();
    for l in lots {
        if l.negative {
            *deficit.entry(l.location).or_default() -= l.quantity;
            continue;
        }
        let expiry = l
            .expiry
            .as_deref()
            .and_then(calendar::parse_day)
            .map(calendar::month_of);
        // Expired stock is not used: nothing is taken from it.
        if expiry.is_none_or(|m| m > last) {
            held.push((l.location, l.quantity, expiry));
        }
    }
    // First expiry first within each location; lots without one last.
    held.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(a.2.is_none().cmp(&b.2.is_none()))
            .then(a.2.cmp(&b.2))
    });
    held.into_iter()
        .filter_map(|(location, quantity, expiry)| {
            let owed = deficit.get_mut(&location).map_or(0.0, |d| {
                let take = d.min(quantity).max(0.0);
                *d -= take;
                take
            });
            let left = quantity - owed;
            (left > 0.0).then(|| (left, expiry.map(|m| (m - last) as usize)))
        })
        .collect()
}

/// Plan inputs (4.7) for the series forecast by [`forecasts`], ending with
/// the month `last`.
pub fn quantify(
    ledger: &Ledger,
    places: &Places,
    bands: &MinMaxBands,
    r: &Request,
    forecast: Vec<(DemandSeries, Choice)>,
    last: MonthIndex,
) -> Vec<Quantified> {
    let horizon = r.horizon.max(1);
    let as_of = stock_day(ledger, r.as_of);
    // Stock counted within month 1 (no as-of month, data ending mid-month).
    let within = as_of.is_some_and(|d| d > calendar::month_end(last));
    // Lead times given for a trade item apply to its product.
    let lead_times: Vec<LeadTime> = r
        .lead_times
        .iter()
        .map(|l| LeadTime {
            item: ledger.names.catalogue.resolve(&l.item).0.to_string(),
            ..l.clone()
        })
        .collect();
    let mut out = Vec::new();
    for (x, c) in forecast {
        // A store planned on the area it serves counts that area's stock
        // and shipments too (its echelon, 4.1), against the echelon's band
        // (below).
        let place = x.planned_at();
        let mut on_hand: Vec<(f64, Option<usize>)> = usable(
            lots(
                ledger,
                places,
                Some(place),
                std::slice::from_ref(&x.item),
                as_of,
                None,
            ),
            last,
        );
        // Counted within month 1, stock is already short of what was used
        // since it began, which month 1's forecast counts again: added back
        // (never a use that was not recorded; 4.7).
        if within && x.used_after > 0.0 {
            on_hand.push((x.used_after, None));
        }
        // The band of the place's own tier: a central store's is not a
        // regional store's (formulas 3.7); a store planned as its echelon
        // adds those of the tiers below it (4.1).
        let (bmin, bmax) = match &x.served {
            Some(area) => echelon_band(ledger, places, bands, &x.area, area, &x.item),
            None => bands.get(&x.item, places.tier_of(&x.area)),
        };
        let (min_months, max_months) = months_band(r, (bmin, bmax));
        let sigma = c.sigma.clone();
        // Shipments of a trade item count toward its product, in the
        // product's unit (formulas 3.1).
        let pipeline = r
            .pipeline
            .iter()
            .filter_map(|p| {
                let (item, units) = ledger.names.catalogue.resolve(&p.item);
                (item == x.item && p.enters(places, place)).then_some((p, units))
            })
            // Already due: counted as arriving now.
            .map(|(p, units)| (((p.arrival - last).max(1)) as usize, p.quantity * units))
            .filter(|p| p.0 <= horizon)
            .collect();
        let lead = lead_time_for(&lead_times, &x.item, r.supplier.as_deref()).cloned();
        let input = PlanInput {
            lots: on_hand,
            demand: c.mean.clone(),
            sigma,
            pipeline,
            min_months,
            max_months,
            lead_time: lead.as_ref().map_or(r.lead_time, LeadTime::months),
            unit_price: r.unit_price,
        };
        out.push(Quantified {
            series: x,
            choice: c,
            input,
            lead,
            band_widened: (min_months, max_months)
                != (r.min_months.unwrap_or(bmin), r.max_months.unwrap_or(bmax)),
        });
    }
    out
}

/// The band of a store planned as its echelon, the `area` it serves (4.1):
/// its own tier's plus those of the stages below it, so that the area's
/// stock can hold every stage's band (an echelon's target is its own
/// stock's and those of every stage below it). The stages below are those
/// of the deepest chain of places holding the item in the area: a place
/// (a facility, or a store with nothing holding the item below it) and,
/// for each area between it and `area`, a store of that area holding the
/// item (a district store, then a regional store). With the default bands
/// (3.7) a central store over regional stores and facilities holds 6-12 +
/// 3-6 + 2-4 = 11-22 months; over regional and district stores, 14-28.
fn echelon_band(
    ledger: &Ledger,
    places: &Places,
    bands: &MinMaxBands,
    store: &str,
    area: &str,
    item: &str,
) -> (f64, f64) {
    let own = bands.get(item, places.tier_of(store));
    let Some((item_id, &area_id)) = ledger.names.item_id(item).zip(places.index_of(area)) else {
        return own;
    };
    // The places within the area holding the item, the store aside.
    let holders: std::collections::BTreeSet<usize> = ledger
        .item_keys()
        .filter(|&(_, i)| i == item_id)
        .filter_map(|(loc, _)| places.place_of(loc))
        .filter(|&p| places.list[p].code != store && places.lineage(p).contains(&area_id))
        .filter(|&p| places.tier(p) != Tier::Area)
        .collect();
    // The widest band of the stores holding the item directly under each
    // area (one stage: two stores side by side are not two stages).
    let mut stores: std::collections::HashMap<usize, (f64, f64)> = Default::default();
    for &p in &holders {
        if matches!(places.tier(p), Tier::Store | Tier::Central)
            && let Some(&parent) = places.list[p]
                .parent
                .as_deref()
                .and_then(|c| places.index_of(c))
        {
            let b = bands.get(item, places.tier(p));
            let e = stores.entry(parent).or_insert(b);
            if b.1 > e.1 {
                *e = b;
            }
        }
    }
    // A store is the stage of its own parent area: the stores beside it
    // are not above it.
    let chain = |p: usize| -> (f64, f64) {
        let tier = places.tier(p);
        let mut band = bands.get(item, tier);
        let above = usize::from(matches!(tier, Tier::Store | Tier::Central));
        for a in places.lineage(p).into_iter().skip(1 + above) {
            if a == area_id {
                break;
            }
            if let Some(&(lo, hi)) = stores.get(&a) {
                band = (band.0 + lo, band.1 + hi);
            }
        }
        band
    };
    let deepest = holders
        .iter()
        .map(|&p| chain(p))
        .fold(None, |best: Option<(f64, f64)>, b| match best {
            Some(x) if x.1 >= b.1 => Some(x),
            _ => Some(b),
        });
    match deepest {
        Some((lo, hi)) => (own.0 + lo, own.1 + hi),
        None => own,
    }
}

/// The minimum and maximum months of stock of a plan: those asked for, else
/// the band of the place's tier. Where the minimum ends above the maximum,
/// both take the minimum if it was asked for (a minimum of 8 months with a
/// band of 3-6 plans 8-8; asked for 5 and 2, 5-5: the safety stock asked
/// for is kept), else the maximum asked for (a maximum of 2 with a band of
/// 3-6 plans 2-2).
fn months_band(r: &Request, (bmin, bmax): (f64, f64)) -> (f64, f64) {
    let (min, max) = (r.min_months.unwrap_or(bmin), r.max_months.unwrap_or(bmax));
    match r.min_months {
        _ if min <= max => (min, max),
        Some(_) => (min, min),
        None => (max, max),
    }
}

/// The shipments of `pipeline` that no plan of `plans` counts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Unused<'p> {
    /// For an item or a place without a plan here.
    pub unplanned: Vec<&'p Incoming>,
    /// Arriving after the plans' last month (`last` + `horizon`).
    pub beyond: Vec<&'p Incoming>,
}

/// The shipments of `pipeline` that no plan of `plans` (months after `last`,
/// `horizon` of them) counts, and why.
pub fn pipeline_unused<'p>(
    ledger: &Ledger,
    places: &Places,
    pipeline: &'p [Incoming],
    plans: &[Quantified],
    last: MonthIndex,
    horizon: usize,
) -> Unused<'p> {
    let mut u = Unused::default();
    for p in pipeline {
        let item = ledger.names.catalogue.resolve(&p.item).0;
        // A store planned as its echelon counts what enters the area it
        // serves (4.1), as its plan does.
        if !plans
            .iter()
            .any(|q| q.series.item == item && p.enters(places, q.series.planned_at()))
        {
            u.unplanned.push(p);
        } else if p.arrival - last > horizon.max(1) as MonthIndex {
            u.beyond.push(p);
        }
    }
    u
}

/// A month of a plan, named.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct NamedMonth {
    pub month: String,
    #[serde(flatten)]
    pub figures: PlanMonth,
}

/// An order, its months named.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct NamedOrder {
    pub order: String,
    pub arrival: String,
    #[serde(flatten)]
    pub details: Order,
}

/// The supply plan of one item in one place.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PlanResult {
    pub area: String,
    pub area_name: String,
    /// A store planned as the area it serves (its echelon: that area's
    /// demand, stock and shipments, with the echelon's band; 4.1): the
    /// area.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub served: Option<String>,
    pub item: String,
    /// The product's name, where the catalogue knows it.
    pub item_name: Option<String>,
    /// The method forecasting, or the best-scored of those combined.
    pub method: Method,
    /// The methods whose forecasts are combined (their median), best
    /// first; one when a single method forecasts.
    pub combined: Vec<Method>,
    pub stock_on_hand: f64,
    pub min_months: f64,
    pub max_months: f64,
    pub lead_time: usize,
    /// The supplier and its lead time by stage, when lead times were given.
    pub supplier_lead_time: Option<LeadTime>,
    pub orders: Vec<NamedOrder>,
    /// Sum of the orders' costs; `None` without a price.
    pub cost: Option<f64>,
    pub months: Vec<NamedMonth>,
}

pub fn plans(q: &[Quantified], last: MonthIndex) -> Vec<PlanResult> {
    let name = |k: usize| calendar::format_month(last + k as MonthIndex);
    q.iter()
        .map(|x| {
            let (months, orders) = plan(&x.input);
            // Without a price there is no cost, even without orders.
            let cost = x
                .input
                .unit_price
                .and_then(|_| orders.iter().try_fold(0.0, |a, o| o.cost.map(|c| a + c)));
            PlanResult {
                area: x.series.area.clone(),
                area_name: x.series.area_name.clone(),
                served: x.series.served.clone(),
                item: x.series.item.clone(),
                item_name: x.series.item_name.clone(),
                method: x.choice.method,
                combined: x.choice.combined.clone(),
                stock_on_hand: x.input.lots.iter().fold(0.0, |a, l| a + l.0),
                min_months: x.input.min_months,
                max_months: x.input.max_months,
                lead_time: x.input.lead_time,
                supplier_lead_time: x.lead.clone(),
                cost,
                orders: orders
                    .into_iter()
                    .map(|o| NamedOrder {
                        order: name(o.order_month),
                        arrival: name(o.arrival_month),
                        details: o,
                    })
                    .collect(),
                months: months
                    .into_iter()
                    .map(|m| NamedMonth {
                        month: name(m.month),
                        figures: m,
                    })
                    .collect(),
            }
        })
        .collect()
}

/// The stockout risk of one item in one place.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct RiskResult {
    pub area: String,
    pub area_name: String,
    /// A store planned as the area it serves (its echelon: that area's
    /// demand, stock and shipments, with the echelon's band; 4.1): the
    /// area.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub served: Option<String>,
    pub item: String,
    /// The product's name, where the catalogue knows it.
    pub item_name: Option<String>,
    /// The method forecasting, or the best-scored of those combined.
    pub method: Method,
    /// The methods whose forecasts are combined (their median), best
    /// first; one when a single method forecasts.
    pub combined: Vec<Method>,
    /// Highest monthly probability over the next 6 months, and over all.
    pub max_6: f64,
    pub max_all: f64,
    pub months: Vec<String>,
    pub probability: Vec<f64>,
}

/// Monte Carlo risks (4.8), highest first.
pub fn risks(
    q: &[Quantified],
    last: MonthIndex,
    delays: &[f64],
    paths: usize,
    seed: u64,
    with_orders: bool,
) -> Vec<RiskResult> {
    let mut out: Vec<RiskResult> = q
        .par_iter()
        .map(|x| {
            let orders = if with_orders {
                plan(&x.input).1
            } else {
                Vec::new()
            };
            let p = stockout_risk(&x.input, &orders, delays, paths, seed);
            RiskResult {
                area: x.series.area.clone(),
                area_name: x.series.area_name.clone(),
                served: x.series.served.clone(),
                item: x.series.item.clone(),
                item_name: x.series.item_name.clone(),
                method: x.choice.method,
                combined: x.choice.combined.clone(),
                max_6: p.iter().take(6).cloned().fold(0.0, f64::max),
                max_all: p.iter().cloned().fold(0.0, f64::max),
                months: (1..=p.len())
                    .map(|k| calendar::format_month(last + k as MonthIndex))
                    .collect(),
                probability: p,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.max_6
            .total_cmp(&a.max_6)
            .then(b.max_all.total_cmp(&a.max_all))
            .then_with(|| (&a.area, &a.item).cmp(&(&b.area, &b.item)))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lot below zero takes its deficit from the other lots of its
    /// location, first expiry first; never from another location's.
    #[test]
    fn a_lot_below_zero_is_taken_from_the_others_first_expiry_first() {
        let lot = |location: &str, quantity: f64, expiry: Option<&str>| LotRow {
            location: location.into(),
            location_name: String::new(),
            item: "X".into(),
            item_name: None,
            trade_items: vec![],
            lot: String::new(),
            as_of: "2026-10-31".into(),
            quantity,
            negative: quantity < 0.0,
            expiry: expiry.map(str::to_string),
            days_to_expiry: None,
        };
        let last = calendar::parse_month("2026-10").unwrap();
        let got = usable(
            vec![
                lot("A", 50.0, Some("2027-06-30")),
                lot("A", 10.0, Some("2026-12-31")),
                lot("A", 7.0, None),
                lot("A", -20.0, None),
                // Expired by the as-of month: not counted, nothing taken
                // from it.
                lot("A", 500.0, Some("2026-09-30")),
                lot("B", 5.0, Some("2026-12-31")),
                lot("B", -8.0, None),
                lot("C", 4.0, None),
            ],
            last,
        );
        // A: 67 usable, 20 owed: the lot of 2026-12 gives its 10, the one
        // of 2027-06 the other 10. B owes more than it holds: nothing. C: 4.
        assert_eq!(got, [(40.0, Some(8)), (7.0, None), (4.0, None)]);
        let held: f64 = got.iter().map(|l| l.0).sum();
        assert_eq!(held, 67.0 - 20.0 + 4.0);
    }

    #[test]
    fn the_months_band_asked_for_or_the_place_s() {
        let band = |min: Option<f64>, max: Option<f64>| {
            let r = Request {
                level: LocationLevel::Facility,
                items: vec![],
                history: 36,
                as_of: None,
                horizon: 3,
                method: None,
                lead_time: 1,
                min_months: min,
                max_months: max,
                unit_price: None,
                pipeline: vec![],
                lead_times: vec![],
                supplier: None,
            };
            months_band(&r, (3.0, 6.0))
        };
        assert_eq!(band(None, None), (3.0, 6.0));
        assert_eq!(band(Some(4.0), None), (4.0, 6.0));
        assert_eq!(band(Some(8.0), None), (8.0, 8.0));
        assert_eq!(band(None, Some(2.0)), (2.0, 2.0));
        assert_eq!(band(None, Some(9.0)), (3.0, 9.0));
        // Both asked for the wrong way round: the minimum is kept.
        assert_eq!(band(Some(5.0), Some(2.0)), (5.0, 5.0));
        assert_eq!(band(Some(0.0), Some(0.0)), (0.0, 0.0));
    }

    #[test]
    fn stock_is_counted_now_and_month_one_from_then_on() {
        use equitas_ledger::calendar::{MS_PER_DAY, parse_day};
        use equitas_ledger::movement::{Kind, Movement, Names};
        let at = |d: &str| parse_day(d).unwrap() as i64 * MS_PER_DAY + 9 * 3_600_000;
        let mut names = Names::default();
        names.locations.id("F1");
        names.items.id("AMOX");
        names.lots.id("L1");
        let ms = [
            ("2026-01-02", Kind::Receipt, 100.0),
            ("2026-02-10", Kind::Dispense, 20.0),
            ("2026-03-10", Kind::Dispense, 20.0),
            ("2026-04-10", Kind::Dispense, 20.0),
            ("2026-05-10", Kind::Dispense, 20.0),
            ("2026-06-10", Kind::Receipt, 60.0),
            ("2026-06-12", Kind::Dispense, 20.0),
            ("2026-07-05", Kind::Receipt, 40.0),
            ("2026-07-15", Kind::Dispense, 50.0),
        ]
        .into_iter()
        .enumerate()
        .map(|(i, (d, kind, quantity))| Movement {
            recorded: 0,
            at: at(d),
            location: 0,
            item: 0,
            lot: 0,
            kind,
            quantity,
            reason: 0,
            source: i as u64,
        })
        .collect();
        let l = Ledger::build(names, ms);
        let day = |d: &str| parse_day(d).unwrap();
        let june = calendar::parse_month("2026-06").unwrap();
        // The data end on 15 July: June is the last complete month. Stock
        // is counted now: 60 on 30 June, + 40 received, − 50 used = 50.
        assert_eq!(stock_day(&l, None), Some(day("2026-07-15")));
        assert_eq!(l.stock_on_hand(0, 0, day("2026-07-15")), 50.0);
        assert_eq!(stock_day(&l, Some(june)), Some(day("2026-06-30")));
        let places = Places::new(
            vec![equitas_ledger::places::Place {
                code: "F1".into(),
                name: "One".into(),
                level: Some(LocationLevel::Facility),
                parent: None,
                gln: None,
            }],
            &l,
        );
        let r = |as_of| Request {
            level: LocationLevel::Facility,
            items: vec![],
            history: 36,
            as_of,
            horizon: 3,
            method: Some(Method::MovingAverage),
            lead_time: 1,
            min_months: None,
            max_months: None,
            unit_price: None,
            pipeline: vec![],
            lead_times: vec![],
            supplier: None,
        };
        let on_hand = |as_of| {
            let f = forecasts(&l, &places, &r(as_of), |_| true).unwrap();
            assert_eq!(f.made[0].0.used_after, 50.0);
            let q = quantify(
                &l,
                &places,
                &MinMaxBands::default(),
                &r(as_of),
                f.made,
                f.last,
            );
            q[0].input.lots.iter().map(|x| x.0).sum::<f64>()
        };
        // July is forecast whole, so the 50 used in it is added back: 100,
        // June's 60 and the receipt of 5 July, nothing used twice.
        assert_eq!(on_hand(None), 100.0);
        // As of June: stock at its end, 60, nothing added.
        assert_eq!(on_hand(Some(june)), 60.0);
    }

    /// A series with no month of data in its history (every month out of
    /// stock all month: demand unknown, formulas 4.1) is left out of the
    /// forecasts, not forecast as 0 (a plan would order nothing), also
    /// when its place recorded another item every month (a month reported
    /// at the place, 3.5, is no observed demand of an item out of stock).
    #[test]
    fn an_item_out_of_stock_all_history_at_a_reporting_place_has_no_data() {
        use equitas_ledger::calendar::{MS_PER_DAY, parse_day};
        use equitas_ledger::movement::{Kind, Movement, Names};
        let at = |d: &str| parse_day(d).unwrap() as i64 * MS_PER_DAY + 9 * 3_600_000;
        let mut names = Names::default();
        names.locations.id("F1");
        names.items.id("AMOX");
        names.items.id("ORS");
        let mut ms = vec![
            // ORS: used up in January 2025, nothing since.
            (1, "2025-01-02", Kind::Receipt, 50.0),
            (1, "2025-01-20", Kind::Dispense, 50.0),
            (0, "2025-01-02", Kind::Receipt, 1000.0),
        ];
        // AMOX dispensed every month to December.
        let days: Vec<String> = (2..=12).map(|m| format!("2025-{m:02}-10")).collect();
        for d in &days {
            ms.push((0, d.as_str(), Kind::Dispense, 10.0));
        }
        ms.push((0, "2025-12-31", Kind::Dispense, 1.0));
        let ms = ms
            .into_iter()
            .enumerate()
            .map(|(i, (item, d, kind, quantity))| Movement {
                recorded: 0,
                at: at(d),
                location: 0,
                item,
                lot: 0,
                kind,
                quantity,
                reason: 0,
                source: i as u64,
            })
            .collect();
        let l = Ledger::build(names, ms);
        let places = Places::new(
            vec![equitas_ledger::places::Place {
                code: "F1".into(),
                name: "One".into(),
                level: Some(LocationLevel::Facility),
                parent: None,
                gln: None,
            }],
            &l,
        );
        let r = Request {
            level: LocationLevel::Facility,
            items: vec![],
            history: 6,
            as_of: None,
            horizon: 3,
            method: None,
            lead_time: 1,
            min_months: None,
            max_months: None,
            unit_price: None,
            pipeline: vec![],
            lead_times: vec![],
            supplier: None,
        };
        let f = forecasts(&l, &places, &r, |_| true).unwrap();
        let made: Vec<&str> = f.made.iter().map(|x| x.0.item.as_str()).collect();
        let no_data: Vec<&str> = f.no_data.iter().map(|x| x.item.as_str()).collect();
        assert_eq!((made, no_data), (vec!["AMOX"], vec!["ORS"]));
    }

    /// formulas 4.1: a store is planned on the demand of the area it
    /// serves (its parent, with no other store directly under it), not on
    /// its own issues, which fell when it ran short; stores sharing an area,
    /// or serving one without data of the item, keep their own issues.
    #[test]
    fn a_store_is_planned_on_the_demand_of_the_area_it_serves() {
        use equitas_ledger::calendar::{MS_PER_DAY, parse_day};
        use equitas_ledger::movement::{Kind, Movement, Names};
        let at = |d: &str| parse_day(d).unwrap() as i64 * MS_PER_DAY + 9 * 3_600_000;
        let mut names = Names::default();
        for code in ["CMS", "RMS1", "RMS2", "RMS2B", "F1", "F2", "F3"] {
            names.locations.id(code);
        }
        names.items.id("AMOX");
        names.items.id("ORS");
        let mut ms = Vec::new();
        let mut add = |location: u32, day: &str, kind: Kind, quantity: f64| {
            let (item, quantity) = if quantity < 0.0 {
                (1, -quantity)
            } else {
                (0, quantity)
            };
            ms.push(Movement {
                recorded: 0,
                at: at(day),
                location,
                item,
                lot: 0,
                kind,
                quantity,
                reason: 0,
                source: ms.len() as u64,
            })
        };
        for (k, m) in ["2026-01", "2026-02", "2026-03", "2026-04"]
            .iter()
            .enumerate()
        {
            // Facilities never out of stock: 100 a month each.
            for f in [4, 5, 6] {
                add(f, &format!("{m}-01"), Kind::Receipt, 200.0);
                add(f, &format!("{m}-15"), Kind::Dispense, 100.0);
            }
            // RMS1 ran short in March and April: it issued 50, not 200.
            let q = if k < 2 { 200.0 } else { 50.0 };
            for store in [0, 1, 2, 3] {
                add(store, &format!("{m}-01"), Kind::Receipt, q);
                add(store, &format!("{m}-02"), Kind::Issue, q);
            }
            // ORS (a negative quantity here), at RMS1 only: 30 a month.
            add(1, &format!("{m}-01"), Kind::Receipt, -30.0);
            add(1, &format!("{m}-02"), Kind::Issue, -30.0);
        }
        // Used since April: RMS1 issued 7, F1 (in R1) dispensed 5.
        add(1, "2026-05-01", Kind::Receipt, 7.0);
        add(1, "2026-05-03", Kind::Issue, 7.0);
        add(4, "2026-05-02", Kind::Dispense, 5.0);
        let l = Ledger::build(names, ms);
        let place = |code: &str, level, parent: &str| equitas_ledger::places::Place {
            code: code.into(),
            name: code.into(),
            level: Some(level),
            parent: Some(parent.into()).filter(|p: &String| !p.is_empty()),
            gln: None,
        };
        use LocationLevel::*;
        let places = Places::new(
            vec![
                place("XSY", Country, ""),
                place("CMS", Warehouse, "XSY"),
                place("R1", Region, "XSY"),
                place("RMS1", Warehouse, "R1"),
                place("D1", District, "R1"),
                place("F1", Facility, "D1"),
                place("F2", Facility, "D1"),
                place("R2", Region, "XSY"),
                place("RMS2", Warehouse, "R2"),
                place("RMS2B", Warehouse, "R2"),
                place("D2", District, "R2"),
                place("F3", Facility, "D2"),
                place("R3", Region, "XSY"),
            ],
            &l,
        );
        let (s, last) = series(&l, &places, Warehouse, &[], 36, None, &|_| true).unwrap();
        assert_eq!(calendar::format_month(last), "2026-04");
        let of = |code: &str| {
            s.iter()
                .find(|x| x.area == code && x.item == "AMOX")
                .unwrap()
        };
        // RMS1: its region's two facilities, 200 a month, not 200, 200, 50, 50.
        let rms1 = of("RMS1");
        assert_eq!(rms1.values, vec![200.0; 4]);
        // Its plan counts R1's stock (its echelon), so what R1's facilities
        // used since April is added back, not what RMS1 issued (4.7).
        assert_eq!((rms1.served.as_deref(), rms1.used_after), (Some("R1"), 5.0));
        // The central store: every facility of the country.
        assert_eq!(of("CMS").values, vec![300.0; 4]);
        assert_eq!(of("CMS").served.as_deref(), Some("XSY"));
        // Two stores directly under R2: neither serves it alone.
        for store in ["RMS2", "RMS2B"] {
            assert_eq!(of(store).values, vec![200.0, 200.0, 50.0, 50.0]);
            assert_eq!(of(store).served, None);
        }
        assert_eq!(of("RMS2").own_why.as_deref(), Some("shares R2 with RMS2B"));
        // A store without data of the item shares nothing.
        let holds = |code: &str| code != "RMS2B";
        assert_eq!(
            serves(&places, "RMS2", holds).map(|p| p.code.as_str()),
            Ok("R2")
        );
        // Planned as its echelon, a store adds the bands of the tiers below
        // it to its own (3.7's defaults: central 6-12, stores 3-6,
        // facilities 2-4).
        let bands = MinMaxBands::default();
        let band = |store, area| echelon_band(&l, &places, &bands, store, area, "AMOX");
        assert_eq!(band("RMS1", "R1"), (5.0, 10.0));
        assert_eq!(band("CMS", "XSY"), (11.0, 22.0));
        // A district store below a regional store is a stage of its own:
        // RMS2B moved under D2, the chain F3 - RMS2B - RMS2 holds 2-4 +
        // 3-6 + 3-6 below the central store (before, stores counted once:
        // 11-22), and RMS2 (now alone under R2) holds 3-6 + 5-10.
        let mut moved: Vec<equitas_ledger::places::Place> = places.list.clone();
        for p in &mut moved {
            if p.code == "RMS2B" {
                p.parent = Some("D2".into());
            }
        }
        let deeper = Places::new(moved, &l);
        let band = |store, area| echelon_band(&l, &deeper, &bands, store, area, "AMOX");
        assert_eq!(band("CMS", "XSY"), (14.0, 28.0));
        assert_eq!(band("RMS2", "R2"), (8.0, 16.0));
        // RMS1's region has no district store: unchanged.
        assert_eq!(band("RMS1", "R1"), (5.0, 10.0));
        // An item RMS1's region has no data of: its own issues.
        let ors = s.iter().find(|x| x.item == "ORS").unwrap();
        assert_eq!((ors.area.as_str(), ors.served.as_deref()), ("RMS1", None));
        assert_eq!(ors.own_why.as_deref(), Some("R1 has no data of the item"));
        assert_eq!(ors.values, vec![30.0; 4]);
        // Facilities and areas are planned as before.
        let (f, _) = series(&l, &places, Facility, &[], 36, None, &|_| true).unwrap();
        assert!(f.iter().all(|x| x.served.is_none()));
    }

    /// formulas 3.4 in a demand series (4.1): a store's month is its issues,
    /// a facility's the same movements scaled to the days in stock.
    #[test]
    fn a_store_s_demand_is_its_issues_not_scaled() {
        use equitas_ledger::calendar::{MS_PER_DAY, parse_day};
        use equitas_ledger::movement::{Kind, Movement, Names};
        let at = |d: &str| parse_day(d).unwrap() as i64 * MS_PER_DAY + 9 * 3_600_000;
        let mut names = Names::default();
        names.locations.id("CMS");
        names.locations.id("F1");
        names.items.id("AMOX");
        let mut ms = Vec::new();
        // Each month: received on the 1st, all of it gone on the 2nd (out
        // of stock the other 29-30 days), at the store and at the facility.
        for m in ["2026-01", "2026-02", "2026-03"] {
            for (location, kind) in [(0, Kind::Issue), (1, Kind::Dispense)] {
                for (d, kind) in [("01", Kind::Receipt), ("02", kind)] {
                    ms.push(Movement {
                        recorded: 0,
                        at: at(&format!("{m}-{d}")),
                        location,
                        item: 0,
                        lot: 0,
                        kind,
                        quantity: 300.0,
                        reason: 0,
                        source: ms.len() as u64,
                    });
                }
            }
        }
        let l = Ledger::build(names, ms);
        let place = |code: &str, level| equitas_ledger::places::Place {
            code: code.into(),
            name: code.into(),
            level: Some(level),
            parent: None,
            gln: None,
        };
        let places = Places::new(
            vec![
                place("CMS", LocationLevel::Warehouse),
                place("F1", LocationLevel::Facility),
            ],
            &l,
        );
        let values = |level| {
            let (s, _) = series(&l, &places, level, &[], 36, None, &|_| true).unwrap();
            s[0].values.clone()
        };
        // The data end on 2 March: January and February are complete.
        assert_eq!(values(LocationLevel::Warehouse), vec![300.0; 2]);
        // 31 / 1 and 28 / 1 days in stock.
        assert_eq!(
            values(LocationLevel::Facility),
            vec![300.0 * 31.0, 300.0 * 28.0]
        );
    }

    /// formulas 4.7: a shipment between two locations of an area is in
    /// neither's stock; the area counts it on its way, as each place it
    /// goes to does.
    #[test]
    fn a_shipment_inside_an_area_counts_on_its_way() {
        let l = Ledger::build(equitas_ledger::movement::Names::default(), vec![]);
        let place = |code: &str, level, parent: Option<&str>| equitas_ledger::places::Place {
            code: code.into(),
            name: code.into(),
            level: Some(level),
            parent: parent.map(str::to_string),
            gln: None,
        };
        let places = Places::new(
            vec![
                place("XSY", LocationLevel::Country, None),
                place("CMS", LocationLevel::Warehouse, Some("XSY")),
                place("R1", LocationLevel::Region, Some("XSY")),
                place("RMS1", LocationLevel::Warehouse, Some("R1")),
                place("R2", LocationLevel::Region, Some("XSY")),
            ],
            &l,
        );
        let leg = |from: Option<&str>, to: &str| Incoming {
            item: "AMOX".into(),
            to: to.into(),
            from: from.map(str::to_string),
            arrival: 0,
            quantity: 10.0,
        };
        let inside = leg(Some("CMS"), "RMS1");
        assert!(inside.enters(&places, "RMS1"));
        assert!(inside.enters(&places, "R1"));
        // Until 2026-12-06 the country missed it: not in CMS, not in RMS1.
        assert!(inside.enters(&places, "XSY"));
        assert!(!inside.enters(&places, "CMS"));
        assert!(!inside.enters(&places, "R2"));
        let supplier = leg(None, "CMS");
        assert!(supplier.enters(&places, "XSY") && !supplier.enters(&places, "R1"));
    }

    /// formulas 4.7: a shipment never received is on its way until 60 days
    /// after its expected arrival, then overdue (not counted).
    #[test]
    fn a_shipment_long_overdue_is_not_counted() {
        use equitas_ledger::calendar::{MS_PER_DAY, parse_day};
        let l = Ledger::build(equitas_ledger::movement::Names::default(), vec![]);
        let place = |code: &str| equitas_ledger::places::Place {
            code: code.into(),
            name: code.into(),
            level: Some(LocationLevel::Warehouse),
            parent: None,
            gln: None,
        };
        let places = Places::new(vec![place("CMS"), place("RMS1")], &l);
        let legs = vec![equitas_ledger::transit::Leg {
            at: parse_day("2026-01-01").unwrap() as i64 * MS_PER_DAY,
            from: "CMS".into(),
            to: "RMS1".into(),
            item: "AMOX".into(),
            lot: "L1".into(),
            quantity: 100.0,
            receipt: false,
        }];
        // Expected on 15 January (14 days, none matched yet).
        let on = |d: &str| incoming_from_transit(&legs, &places, parse_day(d).unwrap());
        let t = on("2026-01-10");
        assert_eq!((t.incoming.len(), t.overdue.len()), (1, 0));
        // 60 days after 15 January: 16 March still counts, 17 March not.
        assert_eq!(on("2026-03-16").incoming.len(), 1);
        let t = on("2026-03-17");
        assert_eq!((t.incoming.len(), t.overdue.len()), (0, 1));
    }

    #[test]
    fn pipeline_rows_and_their_errors() {
        let csv = "item,place,arrival,quantity\nAMOX,F1,2027-02,40\nAMOX,F1,2027-13,5\nAMOX,,2027-02,5\nAMOX,F1,2027-02,-1\n";
        let p = parse_pipeline(csv.as_bytes()).unwrap();
        assert_eq!(p.records.len(), 1);
        let r = &p.records[0].1;
        assert_eq!(
            (
                r.to.as_str(),
                calendar::format_month(r.arrival),
                r.quantity,
                r.from.clone()
            ),
            ("F1", "2027-02".to_string(), 40.0, None)
        );
        let fields: Vec<(u64, Option<String>)> =
            p.errors.iter().map(|e| (e.line, e.field.clone())).collect();
        assert_eq!(
            fields,
            vec![
                (3, Some("arrival".into())),
                (4, Some("place".into())),
                (5, Some("quantity".into()))
            ]
        );
        assert!(
            parse_pipeline("item,place\n".as_bytes())
                .unwrap_err()
                .to_string()
                .contains("arrival")
        );
    }

    /// An expected day of arrival counts in its month, any day of it; a
    /// month is read as stock reports read it (formulas 3.1); a date that
    /// reads as two days, day or month first, is refused in a file
    /// separated by commas, saying so (read day first in one separated by
    /// semicolons).
    #[test]
    fn an_arrival_is_a_day_or_a_month_as_spreadsheets_write_them() {
        let csv = "item,place,arrival,quantity\n\
                   AMOX,F1,2027-02-15,1\n\
                   AMOX,F1,02/2027,2\n\
                   AMOX,F1,févr. 2027,3\n\
                   AMOX,F1,February 2027,4\n\
                   AMOX,F1,2027-02-31,5\n\
                   AMOX,F1,15/02/2027,6\n\
                   AMOX,F1,01/02/2027,7\n";
        let p = parse_pipeline(csv.as_bytes()).unwrap();
        let read: Vec<(String, f64)> = p
            .records
            .iter()
            .map(|(_, r)| (calendar::format_month(r.arrival), r.quantity))
            .collect();
        let feb = || "2027-02".to_string();
        // 15/02/2027 reads one way only (there is no month 15): February;
        // 01/02/2027 reads as two days, in a file separated by commas.
        assert_eq!(
            read,
            [
                (feb(), 1.0),
                (feb(), 2.0),
                (feb(), 3.0),
                (feb(), 4.0),
                (feb(), 6.0)
            ]
        );
        let errors: Vec<(u64, String)> = p.errors.iter().map(|e| (e.line, e.to_string())).collect();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!((errors[0].0, errors[1].0), (6, 8));
        assert!(errors[0].1.contains("no day"), "{errors:?}");
        assert!(errors[1].1.contains("French"), "{errors:?}");
    }
}
