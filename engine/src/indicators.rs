//! Stock indicators that follow from the monthly figures, computed by the
//! same DataFusion / Ballista SQL as the figures ([`crate::figures::ctes`]
//! continued), and the same indicators from the single-node path
//! (`equitas_ledger::view`), to compare:
//!
//! - per country, location, item and month: the stock on hand, the AMC
//!   (docs/formulas.md 3.4–3.5) and the months of stock (3.6) **at the
//!   month's end** (its last day; for the as-of month, the as-of date), so
//!   that a trend can be drawn: what `equitas stock --as-of D` shows for
//!   that location and item on each of those dates;
//! - per country, area (of level country, region or district), item and
//!   month: the availability (3.9) at the same dates, what `equitas
//!   availability --months N` shows.
//!
//! The dates are those of an availability trend (formulas 3.9,
//! `view::availability_dates`): the last day of every month from the
//! earliest month of the export, then the as-of date.
//!
//! In SQL: a month's AMC window is the `window` rows before it in its
//! location's and item's months (every month from the item's first
//! movement has a row, so rows are months; `LAG` finds nothing before the
//! first one, which leaves those months out; a month out of stock all
//! month, or one in which nothing at all was recorded at the location (for
//! any item: a reporting gap), is NULL and left out too), summed oldest first as
//! `equitas_ledger::indicators::amc` does (no sliding-window sum, whose
//! subtractions would round otherwise). A month ending on its date is
//! complete and in its own window; the as-of month, when the as-of date is
//! not its last day, is not (its window is the `window` months before).

use crate::EngineError;
use crate::export::{AREA_LEVELS, LOCATIONS, locations_schema};
use crate::figures::{NOTHING, ctes, explain_sql, final_select, resolve};
use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::prelude::SessionContext;
use equitas_ledger::Ledger;
use equitas_ledger::calendar::{Day, MonthIndex, format_day, format_month, month_end, month_of};
use equitas_ledger::view::{self, MinMaxBands, Places, StockQuery};
use equitas_model::LocationLevel;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

/// The ledger's zero (`equitas_ledger::ledger::EPSILON`): stock above it
/// is in stock, an AMC at most it is no consumption.
const EPSILON: &str = "1e-9";

/// Longest AMC window accepted (months).
pub const MAX_WINDOW: u32 = 36;

/// The stock indicators of one location and item at the end of a month.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    pub country: String,
    pub location: String,
    pub item: String,
    pub month: MonthIndex,
    /// The date they are as of: the month's last day, or the as-of date
    /// in the as-of month.
    pub date: Day,
    pub stock_on_hand: f64,
    /// Average monthly consumption (formulas 3.5); `None`: no usable month.
    pub amc: Option<f64>,
    /// Months the AMC averages.
    pub amc_months: u32,
    /// Months of stock (formulas 3.6); `None` without consumption.
    pub months_of_stock: Option<f64>,
}

impl Indicator {
    fn key(&self) -> (&str, &str, &str, MonthIndex) {
        (&self.country, &self.location, &self.item, self.month)
    }
}

/// Availability of one item in one area at the end of a month.
#[derive(Debug, Clone, PartialEq)]
pub struct Availability {
    pub country: String,
    /// The area's code (a location of the level asked for).
    pub area: String,
    pub item: String,
    pub month: MonthIndex,
    /// The month's last day, or the as-of date in the as-of month.
    pub date: Day,
    /// Facilities managing the item (a movement on or before the date).
    pub facilities: u64,
    /// Of which with stock on hand above zero at the end of the date.
    pub in_stock: u64,
    pub availability: Option<f64>,
}

impl Availability {
    fn key(&self) -> (&str, &str, &str, MonthIndex) {
        (&self.country, &self.area, &self.item, self.month)
    }
}

/// The date month `m`'s indicators are as of: its last day, or `as_of`
/// in the month of `as_of`.
pub fn date_of(m: MonthIndex, as_of: Day) -> Day {
    if m >= month_of(as_of) {
        as_of
    } else {
        month_end(m)
    }
}

/// The indicators SQL (AMC over `window` months), as of `as_of` over the
/// months from `first`: per location, or with `area` per area of that
/// level (formulas 3.5: the sums over the locations in it of their stock
/// on hand and of their AMC on what they dispensed; the most months any
/// of them averaged). Areas need the table `locations`.
///
/// Few steps: Ballista's scheduler decodes the plan it is sent within
/// protobuf's nesting limit (100 levels; every step of the query nests
/// deeper), which the per-area query exceeded with a step of its own for
/// the adjusted consumption, the AMC and the area sums: the adjusted
/// consumption is computed inside `LAG`, the rest in the final projection
/// (or aggregation). The stores (`stores`: the location names of level
/// warehouse, whose issues are not scaled, 3.4) are a list in the query,
/// not a join, for the same reason.
pub fn amc_sql(
    as_of: Day,
    first: MonthIndex,
    window: u32,
    area: Option<LocationLevel>,
    stores: &[(String, String)],
) -> String {
    let last = month_of(as_of);
    let complete = month_end(last) == as_of;
    let window = window.max(1);
    let lags = if complete { window - 1 } else { window };
    // An area's consumption is what was dispensed in it (formulas 3.2).
    let used_up = if area.is_some() {
        "dispensed"
    } else {
        "consumption"
    };
    let days = "f.n";
    // Per location only: an area's consumption is what was dispensed in it,
    // scaled wherever it was dispensed (4.1).
    // A store's month with nothing recorded is one of no issues (3.5), in
    // an area's sum too (nothing dispensed): never a reporting gap.
    let at_store = is_store(stores);
    let store = if area.is_some() {
        "false".to_string()
    } else {
        at_store.clone()
    };
    let adj = format!(
        "CASE WHEN f.stockout_days >= {days} THEN CAST(NULL AS DOUBLE)
         WHEN f.place_active = 0 AND NOT {at_store} THEN CAST(NULL AS DOUBLE)
         WHEN f.stockout_days = 0 OR {store} THEN f.{used_up}
         ELSE f.{used_up} * CAST({days} AS DOUBLE) / CAST({days} - f.stockout_days AS DOUBLE) END"
    );
    let mut lag_cols = String::new();
    for k in 1..=lags {
        let _ = write!(
            lag_cols,
            ",\n    LAG({adj}, {k}) OVER (PARTITION BY f.country, f.location, f.item ORDER BY f.month_index) AS a{k}"
        );
    }
    // Oldest first, as the single node sums them (a missing month adds 0.0,
    // which changes no sum).
    let sum = |offsets: &[u32]| {
        offsets
            .iter()
            .map(|k| format!("COALESCE(a{k}, 0.0)"))
            .collect::<Vec<_>>()
            .join(" + ")
    };
    let count = |offsets: &[u32]| {
        offsets
            .iter()
            .map(|k| format!("CASE WHEN a{k} IS NULL THEN 0 ELSE 1 END"))
            .collect::<Vec<_>>()
            .join(" + ")
    };
    let full: Vec<u32> = (0..window).rev().collect();
    let (total, used) = if complete {
        (sum(&full), count(&full))
    } else {
        let before: Vec<u32> = (1..=window).rev().collect();
        (
            format!(
                "CASE WHEN m = {last} THEN {} ELSE {} END",
                sum(&before),
                sum(&full)
            ),
            format!(
                "CASE WHEN m = {last} THEN {} ELSE {} END",
                count(&before),
                count(&full)
            ),
        )
    };
    let amc = format!(
        "(CASE WHEN ({used}) > 0 THEN ({total}) / CAST(({used}) AS DOUBLE) ELSE CAST(NULL AS DOUBLE) END)"
    );
    let rest = match area {
        None => format!(
            "SELECT country, location, item, m AS month_index, closing AS stock_on_hand, {amc} AS amc,
  {used} AS amc_months,
  CASE WHEN {amc} > {EPSILON} THEN GREATEST(closing, 0.0) / {amc} ELSE CAST(NULL AS DOUBLE) END
    AS months_of_stock
FROM win"
        ),
        Some(level) => {
            let col = format!("area_{}", level.as_str());
            format!(
                "SELECT w.country, l.{col} AS location, w.item, w.m AS month_index,
  SUM(w.closing) AS stock_on_hand, SUM({amc}) AS amc, MAX({used}) AS amc_months,
  CASE WHEN SUM({amc}) > {EPSILON} THEN GREATEST(SUM(w.closing), 0.0) / SUM({amc})
       ELSE CAST(NULL AS DOUBLE) END AS months_of_stock
FROM win w JOIN {LOCATIONS} l ON l.country = w.country AND l.location = w.location
WHERE l.{col} IS NOT NULL
GROUP BY w.country, l.{col}, w.item, w.m"
            )
        }
    };
    format!(
        "{ctes}, fig AS (
{fig}
), win AS (
  SELECT f.country, f.location, f.item, f.month_index AS m, f.closing,
    {adj} AS a0{lag_cols}
  FROM fig f
)
{rest}
ORDER BY 1, 2, 3, 4",
        ctes = ctes(as_of, first),
        fig = final_select(true),
    )
}

/// What availability is given for (formulas 3.9): areas of `level`, every
/// item or only `items`, each item apart or, with `basket`, the WHO SARA
/// mean over them (as `equitas availability --basket`).
#[derive(Debug, Clone, PartialEq)]
pub struct Scope {
    pub level: LocationLevel,
    /// Empty: every item.
    pub items: Vec<String>,
    pub basket: bool,
}

impl From<LocationLevel> for Scope {
    /// Every item, each apart.
    fn from(level: LocationLevel) -> Scope {
        Scope {
            level,
            items: Vec::new(),
            basket: false,
        }
    }
}

/// The name a basket's rows have in the column `item`.
pub const BASKET: &str = "basket";

/// The availability SQL by area, as of `as_of` over the months from
/// `first`: per month, the facilities with a row (a movement on or before
/// the month's date: rows start at the item's first month) and those whose
/// closing stock is above zero; for a basket, the pairs of facility and
/// item so counted, and the mean over the facilities of each one's share.
pub fn availability_sql(as_of: Day, first: MonthIndex, scope: &Scope) -> String {
    let area = format!("area_{}", scope.level.as_str());
    let items = if scope.items.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = scope
            .items
            .iter()
            .map(|i| format!("'{}'", i.replace('\'', "''")))
            .collect();
        format!(" AND f.item IN ({})", list.join(", "))
    };
    let (per, outer) = if scope.basket {
        (
            "f.location",
            format!(
                "SELECT country, area, '{BASKET}' AS item, month_index,
  SUM(facilities) AS facilities, SUM(in_stock) AS in_stock,
  AVG(CAST(in_stock AS DOUBLE) / CAST(facilities AS DOUBLE)) AS availability
FROM counted
GROUP BY country, area, month_index"
            ),
        )
    } else {
        (
            "f.item",
            "SELECT country, area, item, month_index, facilities, in_stock,
  CAST(in_stock AS DOUBLE) / CAST(facilities AS DOUBLE) AS availability
FROM counted"
                .to_string(),
        )
    };
    format!(
        "{ctes}, fig AS (
{fig}
), counted AS (
  SELECT f.country, l.{area} AS area, {per}, f.month_index,
    COUNT(*) AS facilities,
    SUM(CASE WHEN f.closing > {EPSILON} THEN 1 ELSE 0 END) AS in_stock
  FROM fig f JOIN {LOCATIONS} l ON l.country = f.country AND l.location = f.location
  WHERE l.level = 'facility' AND l.{area} IS NOT NULL{items}
  GROUP BY f.country, l.{area}, {per}, f.month_index
)
{outer}
ORDER BY country, area, item, month_index",
        ctes = ctes(as_of, first),
        fig = final_select(false),
    )
}

/// Each ledger location its own place, named as the ledger names it, of
/// the level `places` gives it (a store's issues are not scaled, 3.4): the
/// single node's answers per location, keyed as the engine's.
pub fn own_places(ledger: &Ledger, places: &Places) -> Places {
    let own: Vec<equitas_ledger::view::Place> = (0..ledger.names.locations.len() as u32)
        .map(|l| {
            let name = ledger.names.locations.name(l);
            equitas_ledger::view::Place {
                code: name.to_string(),
                name: name.to_string(),
                level: places.place_of(l).and_then(|p| places.list[p].level),
                parent: None,
                gln: None,
            }
        })
        .collect();
    Places::new(own, ledger)
}

/// SQL true where `column` (a location's name) is one of `stores`.
/// SQL true where the row (`f.country`, `f.location`) is one of `stores`
/// (country, location name), by country as every join of the engine.
pub fn is_store(stores: &[(String, String)]) -> String {
    let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let mut by_country: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for (c, l) in stores {
        by_country.entry(c).or_default().push(quote(l));
    }
    if by_country.is_empty() {
        return "false".into();
    }
    let terms: Vec<String> = by_country
        .into_iter()
        .map(|(c, ls)| {
            format!(
                "(f.country = {} AND f.location IN ({}))",
                quote(c),
                ls.join(", ")
            )
        })
        .collect();
    format!("({})", terms.join(" OR "))
}

/// The registered locations of level warehouse, as (country, location
/// name) (stores: their consumption is not scaled by their stockout days,
/// formulas 3.4).
pub async fn stores(ctx: &SessionContext) -> Result<Vec<(String, String)>, EngineError> {
    let batches = ctx
        .sql(&format!(
            "SELECT DISTINCT country, location FROM {LOCATIONS} WHERE level = 'warehouse' ORDER BY country, location"
        ))
        .await?
        .collect()
        .await?;
    let mut out = Vec::new();
    for b in &batches {
        let c = columns(b, &[DataType::Utf8, DataType::Utf8])?;
        let (country, location) = (c[0].as_string::<i32>(), c[1].as_string::<i32>());
        out.extend(
            (0..b.num_rows())
                .filter(|&i| !country.is_null(i) && !location.is_null(i))
                .map(|i| (country.value(i).to_string(), location.value(i).to_string())),
        );
    }
    Ok(out)
}

/// Registers the export's locations (`locations/country=XSY/`) as the
/// table `locations`; an export without them (made before they were
/// exported) is refused, naming the directory.
pub async fn register_locations(ctx: &SessionContext, root: &Path) -> Result<(), EngineError> {
    crate::figures::register_dataset(
        ctx,
        root,
        LOCATIONS,
        locations_schema(),
        &["country"],
        "; each location's level and areas, which exports before 2026-12-06 lack",
    )
    .await
}

fn check_level(level: Option<LocationLevel>) -> Result<(), EngineError> {
    match level {
        Some(l) if !AREA_LEVELS.contains(&l) => Err(EngineError::Invalid(format!(
            "area level {}: give country, region or district",
            l.as_str()
        ))),
        _ => Ok(()),
    }
}

fn check_window(window: u32) -> Result<(), EngineError> {
    if window == 0 || window > MAX_WINDOW {
        return Err(EngineError::Invalid(format!(
            "AMC window of {window} months: give 1 to {MAX_WINDOW}"
        )));
    }
    Ok(())
}

/// The AMC query's plan as run (`EXPLAIN ANALYZE`).
pub async fn explain_amc(
    ctx: &SessionContext,
    root: &Path,
    as_of: Option<Day>,
    window: u32,
    area: Option<LocationLevel>,
) -> Result<String, EngineError> {
    check_window(window)?;
    check_level(area)?;
    let Some((first, as_of)) = resolve(ctx, root, as_of).await? else {
        return Ok(NOTHING.to_string());
    };
    // Each location's level (stores, 3.4) and areas.
    register_locations(ctx, root).await?;
    let stores = stores(ctx).await?;
    explain_sql(ctx, &amc_sql(as_of, first, window, area, &stores)).await
}

fn columns(b: &RecordBatch, types: &[DataType]) -> Result<Vec<ArrayRef>, EngineError> {
    types
        .iter()
        .enumerate()
        .map(|(i, t)| Ok(cast(b.column(i), t).map_err(datafusion::error::DataFusionError::from)?))
        .collect()
}

fn opt(a: &ArrayRef, i: usize) -> Option<f64> {
    (!a.is_null(i)).then(|| a.as_primitive::<Float64Type>().value(i))
}

/// The stock indicators computed by the engine behind `ctx` over the export
/// under `root`, at the end of every month to `as_of` (default: the last
/// day with a movement), the AMC over `window` months (3 in formulas 3.5),
/// in (country, location, item, month) order.
pub async fn compute(
    ctx: &SessionContext,
    root: &Path,
    as_of: Option<Day>,
    window: u32,
) -> Result<Vec<Indicator>, EngineError> {
    compute_by(ctx, root, as_of, window, None).await
}

/// [`compute`] per location (`area` `None`) or per area of a level
/// (country, region, district: `location` is then the area's code), which
/// needs the export's locations.
pub async fn compute_by(
    ctx: &SessionContext,
    root: &Path,
    as_of: Option<Day>,
    window: u32,
    area: Option<LocationLevel>,
) -> Result<Vec<Indicator>, EngineError> {
    check_window(window)?;
    check_level(area)?;
    let Some((first, as_of)) = resolve(ctx, root, as_of).await? else {
        return Ok(Vec::new());
    };
    // Each location's level (stores, 3.4) and areas.
    register_locations(ctx, root).await?;
    let stores = stores(ctx).await?;
    let batches = ctx
        .sql(&amc_sql(as_of, first, window, area, &stores))
        .await?
        .collect()
        .await?;
    let (s, i64t, f) = (DataType::Utf8, DataType::Int64, DataType::Float64);
    let mut out = Vec::new();
    for b in &batches {
        let c = columns(
            b,
            &[
                s.clone(),
                s.clone(),
                s.clone(),
                i64t.clone(),
                f.clone(),
                f.clone(),
                i64t.clone(),
                f.clone(),
            ],
        )?;
        for i in 0..b.num_rows() {
            let month = c[3].as_primitive::<Int64Type>().value(i) as MonthIndex;
            out.push(Indicator {
                country: c[0].as_string::<i32>().value(i).to_string(),
                location: c[1].as_string::<i32>().value(i).to_string(),
                item: c[2].as_string::<i32>().value(i).to_string(),
                month,
                date: date_of(month, as_of),
                stock_on_hand: c[4].as_primitive::<Float64Type>().value(i),
                amc: opt(&c[5], i),
                amc_months: c[6].as_primitive::<Int64Type>().value(i) as u32,
                months_of_stock: opt(&c[7], i),
            });
        }
    }
    Ok(out)
}

/// The level of the areas availability is given by: country, region or
/// district.
pub fn area_level(name: &str) -> Result<LocationLevel, EngineError> {
    AREA_LEVELS
        .into_iter()
        .find(|l| l.as_str() == name)
        .ok_or_else(|| {
            EngineError::Invalid(format!(
                "area level {name:?}: give country, region or district"
            ))
        })
}

/// Availability by area of `level` computed by the engine behind `ctx`
/// over the export under `root`, at the end of every month to `as_of`
/// (default: the last day with a movement), in (country, area, item,
/// month) order. Needs the export's locations.
pub async fn availability(
    ctx: &SessionContext,
    root: &Path,
    as_of: Option<Day>,
    scope: impl Into<Scope>,
) -> Result<Vec<Availability>, EngineError> {
    let scope = scope.into();
    check_level(Some(scope.level))?;
    let Some((first, as_of)) = resolve(ctx, root, as_of).await? else {
        return Ok(Vec::new());
    };
    register_locations(ctx, root).await?;
    let batches = ctx
        .sql(&availability_sql(as_of, first, &scope))
        .await?
        .collect()
        .await?;
    let (s, i64t, f) = (DataType::Utf8, DataType::Int64, DataType::Float64);
    let mut out = Vec::new();
    for b in &batches {
        let c = columns(
            b,
            &[
                s.clone(),
                s.clone(),
                s.clone(),
                i64t.clone(),
                i64t.clone(),
                i64t.clone(),
                f.clone(),
            ],
        )?;
        for i in 0..b.num_rows() {
            let month = c[3].as_primitive::<Int64Type>().value(i) as MonthIndex;
            out.push(Availability {
                country: c[0].as_string::<i32>().value(i).to_string(),
                area: c[1].as_string::<i32>().value(i).to_string(),
                item: c[2].as_string::<i32>().value(i).to_string(),
                month,
                date: date_of(month, as_of),
                facilities: c[4].as_primitive::<Int64Type>().value(i) as u64,
                in_stock: c[5].as_primitive::<Int64Type>().value(i) as u64,
                availability: opt(&c[6], i),
            });
        }
    }
    Ok(out)
}

/// Which of `items` have no movement in the export registered in `ctx`
/// (after [`availability`] or any query that registered the movements),
/// and, to name the right codes, a few items that do.
pub async fn unknown_items(
    ctx: &SessionContext,
    items: &[String],
) -> Result<(Vec<String>, Vec<String>), EngineError> {
    let batches = ctx
        .sql(&format!(
            "SELECT DISTINCT item FROM {} ORDER BY item",
            crate::export::MOVEMENTS
        ))
        .await?
        .collect()
        .await?;
    let mut known = std::collections::BTreeSet::new();
    for b in &batches {
        let c = columns(b, &[DataType::Utf8])?;
        let c = c[0].as_string::<i32>();
        known.extend((0..b.num_rows()).map(|i| c.value(i).to_string()));
    }
    let unknown = items
        .iter()
        .filter(|i| !known.contains(*i))
        .cloned()
        .collect();
    Ok((unknown, known.into_iter().take(3).collect()))
}

/// The availability query's plan as run (`EXPLAIN ANALYZE`).
pub async fn explain_availability(
    ctx: &SessionContext,
    root: &Path,
    as_of: Option<Day>,
    scope: &Scope,
) -> Result<String, EngineError> {
    let Some((first, as_of)) = resolve(ctx, root, as_of).await? else {
        return Ok(NOTHING.to_string());
    };
    register_locations(ctx, root).await?;
    explain_sql(ctx, &availability_sql(as_of, first, scope)).await
}

/// The dates of the indicators from month `first` to the month of `as_of`.
pub fn dates(first: MonthIndex, as_of: Day) -> Vec<Day> {
    (first..=month_of(as_of))
        .map(|m| date_of(m, as_of))
        .collect()
}

/// The single-node indicators of `ledger` at each date of [`dates`] from
/// `first`: `equitas_ledger::view::stock` as of each date (what `equitas
/// stock --as-of D --window W` computes), one row per ledger location (its
/// name, as the export writes it) and item. `countries`: the country of
/// each location id.
pub fn single_node(
    ledger: &Ledger,
    places: &Places,
    countries: &[String],
    first: MonthIndex,
    as_of: Day,
    window: u32,
) -> Vec<Indicator> {
    let places = own_places(ledger, places);
    let country: HashMap<&str, &str> = (0..ledger.names.locations.len() as u32)
        .map(|l| {
            (
                ledger.names.locations.name(l),
                countries
                    .get(l as usize)
                    .map_or(crate::export::UNKNOWN_COUNTRY, String::as_str),
            )
        })
        .collect();
    let bands = MinMaxBands::default();
    let mut out = Vec::new();
    for d in dates(first, as_of) {
        let q = StockQuery {
            as_of: Some(d),
            window,
            ..StockQuery::default()
        };
        for r in view::stock(ledger, &places, &bands, &q) {
            out.push(Indicator {
                country: country
                    .get(r.location.as_str())
                    .copied()
                    .unwrap_or(crate::export::UNKNOWN_COUNTRY)
                    .to_string(),
                location: r.location,
                item: r.item,
                month: month_of(d),
                date: d,
                stock_on_hand: r.stock_on_hand,
                amc: r.amc,
                amc_months: r.amc_months,
                months_of_stock: r.months_of_stock,
            });
        }
    }
    out.sort_by(|a, b| a.key().cmp(&b.key()));
    out
}

/// The single-node indicators of one country's `ledger` (hierarchy
/// `places`) per area of `level` at each date of [`dates`] from `first`:
/// `equitas_ledger::view::stock --level` as of each date (`location`: the
/// area's code).
pub fn single_node_areas(
    ledger: &Ledger,
    places: &Places,
    country: &str,
    level: LocationLevel,
    first: MonthIndex,
    as_of: Day,
    window: u32,
) -> Vec<Indicator> {
    let bands = MinMaxBands::default();
    let mut out = Vec::new();
    for d in dates(first, as_of) {
        let q = StockQuery {
            as_of: Some(d),
            window,
            level: Some(level),
            ..StockQuery::default()
        };
        for r in view::stock(ledger, places, &bands, &q) {
            out.push(Indicator {
                country: country.to_string(),
                location: r.location,
                item: r.item,
                month: month_of(d),
                date: d,
                stock_on_hand: r.stock_on_hand,
                amc: r.amc,
                amc_months: r.amc_months,
                months_of_stock: r.months_of_stock,
            });
        }
    }
    out.sort_by(|a, b| a.key().cmp(&b.key()));
    out
}

/// The single-node availability of one country's `ledger` (hierarchy
/// `places`) by area, for the items of `scope`, at each date of [`dates`] from `first`:
/// `equitas_ledger::view::availability`, what `equitas availability`
/// computes.
pub fn single_node_availability(
    ledger: &Ledger,
    places: &Places,
    country: &str,
    scope: impl Into<Scope>,
    first: MonthIndex,
    as_of: Day,
) -> Vec<Availability> {
    let dates = dates(first, as_of);
    let scope = scope.into();
    let mut out: Vec<Availability> = view::availability(
        ledger,
        places,
        scope.level,
        &scope.items,
        scope.basket,
        &dates,
    )
    .into_iter()
    .map(|r| {
        let date =
            equitas_ledger::calendar::parse_day(&r.date).expect("the view formats its own dates");
        Availability {
            country: country.to_string(),
            area: r.area,
            item: r.item,
            month: month_of(date),
            date,
            facilities: r.facilities as u64,
            in_stock: r.in_stock as u64,
            availability: r.availability,
        }
    })
    .collect();
    out.sort_by(|a, b| a.key().cmp(&b.key()));
    out
}

fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(1.0)
}

fn close_opt(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => close(a, b),
        _ => false,
    }
}

/// The differences between two sets of indicators in the same order (at
/// most `limit`), empty when equal: keys, dates and months used exactly,
/// quantities to 1e-9 relative (far below the display rounding of
/// formulas 3.5 and 3.6; whole-number data gives them to the last bit).
pub fn differences(want: &[Indicator], got: &[Indicator], limit: usize) -> Vec<String> {
    crate::figures::compare(want, got, limit, "rows", |a, b| {
        a.key() == b.key()
            && a.date == b.date
            && a.amc_months == b.amc_months
            && close(a.stock_on_hand, b.stock_on_hand)
            && close_opt(a.amc, b.amc)
            && close_opt(a.months_of_stock, b.months_of_stock)
    })
}

/// [`differences`] for availability (counts exactly, the share to 1e-9 relative).
pub fn availability_differences(
    want: &[Availability],
    got: &[Availability],
    limit: usize,
) -> Vec<String> {
    crate::figures::compare(want, got, limit, "rows", |a, b| {
        a.key() == b.key()
            && a.date == b.date
            && a.facilities == b.facilities
            && a.in_stock == b.in_stock
            && close_opt(a.availability, b.availability)
    })
}

fn num(v: Option<f64>) -> String {
    v.map_or(String::new(), |x| x.to_string())
}

/// Indicators as CSV (months `YYYY-MM`, dates `YYYY-MM-DD`, unrounded; an
/// empty AMC or months of stock: none), per location or, with `area`, per
/// area of that level (columns `level`, `area` for `location`).
pub fn to_csv(rows: &[Indicator], area: Option<LocationLevel>) -> String {
    let mut s = String::from(match area {
        None => "country,location,item,month,date,stock_on_hand,amc,amc_months,months_of_stock\n",
        Some(_) => {
            "country,level,area,item,month,date,stock_on_hand,amc,amc_months,months_of_stock\n"
        }
    });
    for r in rows {
        s.push_str(&crate::figures::csv_field(&r.country));
        if let Some(l) = area {
            s.push(',');
            s.push_str(l.as_str());
        }
        let _ = writeln!(
            s,
            ",{},{},{},{},{},{},{},{}",
            crate::figures::csv_field(&r.location),
            crate::figures::csv_field(&r.item),
            format_month(r.month),
            format_day(r.date),
            r.stock_on_hand,
            num(r.amc),
            r.amc_months,
            num(r.months_of_stock)
        );
    }
    s
}

/// Availability as CSV (`level`: the areas' level).
pub fn availability_csv(rows: &[Availability], level: LocationLevel) -> String {
    let mut s =
        String::from("country,level,area,item,month,date,facilities,in_stock,availability\n");
    for r in rows {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{}",
            crate::figures::csv_field(&r.country),
            level.as_str(),
            crate::figures::csv_field(&r.area),
            crate::figures::csv_field(&r.item),
            format_month(r.month),
            format_day(r.date),
            r.facilities,
            r.in_stock,
            num(r.availability)
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stores in the SQL: by country, names quoted as SQL strings.
    #[test]
    fn stores_are_listed_by_country_and_quoted() {
        assert_eq!(is_store(&[]), "false");
        let s = |c: &str, l: &str| (c.to_string(), l.to_string());
        assert_eq!(
            is_store(&[s("XSA", "CMS"), s("XSB", "St John's"), s("XSA", "RMS1")]),
            "((f.country = 'XSA' AND f.location IN ('CMS', 'RMS1')) OR (f.country = 'XSB' AND f.location IN ('St John''s')))"
        );
    }
}
