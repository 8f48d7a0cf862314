//! The monthly ledger figures (docs/formulas.md 3.2 and 3.3) computed by
//! DataFusion SQL over the exported movements, and the same figures from
//! the single-node ledger (`equitas-ledger`), to compare.
//!
//! The SQL follows the ledger step by step (`Ledger::build`):
//!
//! 1. a movement whose quantity is not plausible (not finite, above 1e9,
//!    negative but for an adjustment) counts as a movement of nothing;
//! 2. per lot, in the order of its history (`seq`: time, then the order the
//!    ledger applies movements at the same moment in), a count
//!    starts a segment whose balance is the counted quantity; the balance
//!    after a movement is its segment's count (0 before any) plus the
//!    signed quantities since; the movement's delta is its balance minus
//!    the one before. A count of no lot (lot `""`) counts the item whole:
//!    its segment starts at the count less what the item's other lots held
//!    at that instant, the export's `others` (`Entry::others`, the
//!    ledger's: summing every other lot's balance in SQL took three more
//!    window steps, and the plan past the nesting Ballista decodes, 100
//!    levels), and is an adjustment, not an opening, where they held any;
//! 3. per location, item and day: received, issued, dispensed, adjusted
//!    (adjustments plus the deltas of counts that do not open their lot's
//!    history), the deltas of opening counts (they add to the opening), the
//!    net change, the number of movements;
//! 4. per location and item, day by day: the closing stock on hand (running
//!    sum of the days' net changes); a day whose stock is zero or less
//!    starts a span of stockout days to the next day with movements (or to
//!    the as-of date included);
//! 5. each day is spread over the months from its own to the next day's (or
//!    the as-of month): its flows count in its own month, its stockout span
//!    in every month it covers, and every month from the item's first
//!    movement to the as-of month gets a row;
//! 6. per month: the closing as the running sum of net changes, the opening
//!    as the previous closing plus the opening counts; a month's stockout
//!    days that a stock report stated replace the derived ones.
//!
//! Quantities are summed in another order than the ledger's (partitions
//! run in parallel): the figures are equal to the last bit when quantities
//! are whole numbers, as those of EPCIS events and stock reports are in
//! practice; otherwise they may differ in the last bits, below the
//! rounding of docs/formulas.md (figures are shown rounded, never
//! computed so).

use crate::EngineError;
use crate::export::{MOVEMENTS, REPORTED, movements_schema, reported_schema};
use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::ListingOptions;
use datafusion::prelude::SessionContext;
use equitas_ledger::Ledger;
use equitas_ledger::calendar::{Day, MonthIndex, month_end, month_of, month_start};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

/// The figures of one location and item for one month.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub country: String,
    pub location: String,
    pub item: String,
    /// `year * 12 + month - 1` (equitas_ledger::calendar).
    pub month: MonthIndex,
    pub opening: f64,
    pub received: f64,
    pub issued: f64,
    pub dispensed: f64,
    pub adjusted: f64,
    pub closing: f64,
    /// issued + dispensed (formulas 3.2).
    pub consumption: f64,
    pub stockout_days: u32,
    pub stockout_reported: bool,
    pub movements: u32,
}

impl Figure {
    fn key(&self) -> (&str, &str, &str, MonthIndex) {
        (&self.country, &self.location, &self.item, self.month)
    }
}

/// The single-node figures: `Ledger::month` of every location and item,
/// every month from its first movement to the month of `as_of`, in
/// (country, location, item, month) order. `countries`: the country of
/// each location id.
pub fn single_node(ledger: &Ledger, countries: &[String], as_of: Day) -> Vec<Figure> {
    let last = month_of(as_of);
    let mut out = Vec::new();
    for (loc, item) in ledger.item_keys() {
        let Some(s) = ledger.series(loc, item) else {
            continue;
        };
        for m in s.first_month..=last {
            let Some(f) = ledger.month(loc, item, m, as_of) else {
                continue;
            };
            out.push(Figure {
                country: countries
                    .get(loc as usize)
                    .cloned()
                    .unwrap_or_else(|| crate::export::UNKNOWN_COUNTRY.to_string()),
                location: ledger.names.locations.name(loc).to_string(),
                item: ledger.names.items.name(item).to_string(),
                month: m,
                opening: f.opening,
                received: f.received,
                issued: f.issued,
                dispensed: f.dispensed,
                adjusted: f.adjusted,
                closing: f.closing,
                consumption: f.consumption(),
                stockout_days: f.stockout_days,
                stockout_reported: f.stockout_reported,
                movements: f.movements,
            });
        }
    }
    out.sort_by(|a, b| a.key().cmp(&b.key()));
    out
}

/// Registers the exported `movements` and `reported` datasets under `root`
/// as tables of `ctx` (partition columns `country`, `month`), in place of
/// any registered before.
pub async fn register(ctx: &SessionContext, root: &Path) -> Result<(), EngineError> {
    for (name, schema) in [
        (MOVEMENTS, movements_schema()),
        (REPORTED, reported_schema()),
    ] {
        register_dataset(ctx, root, name, schema, &["country", "month"], "").await?;
    }
    Ok(())
}

/// Refuses a dataset whose first Parquet file (in path order) lacks a
/// column of `schema`, naming the file and the column: an export made
/// before the column existed (movements' `others` before 2026-12-07),
/// whose missing column would otherwise be read as nulls.
fn has_every_column(
    dir: &Path,
    schema: &datafusion::arrow::datatypes::Schema,
) -> Result<(), EngineError> {
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    fn first(dir: &Path) -> Option<std::path::PathBuf> {
        let mut entries: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        entries.into_iter().find_map(|p| {
            if p.is_dir() {
                first(&p)
            } else {
                (p.extension().is_some_and(|x| x == "parquet")).then_some(p)
            }
        })
    }
    let Some(path) = first(dir) else {
        return Ok(());
    };
    let io = |source| EngineError::Io {
        path: path.clone(),
        source,
    };
    let file = std::fs::File::open(&path).map_err(io)?;
    let held = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| EngineError::Invalid(format!("{}: {e}", path.display())))?
        .schema()
        .clone();
    match schema
        .fields()
        .iter()
        .find(|f| held.field_with_name(f.name()).is_err())
    {
        Some(f) => Err(EngineError::Invalid(format!(
            "{}: no column `{}` (an export made by an earlier Equitas): run `equitas-engine export` again",
            path.display(),
            f.name()
        ))),
        None => Ok(()),
    }
}

/// Registers the dataset `name` of the export under `root` (its hive-style
/// `partitions` as text columns) as a table of `ctx`, in place of any
/// registered before (a context may compute more than once: figures, then
/// indicators). A missing directory is refused, naming it, with `why` (for
/// a dataset older exports lack) after the advice to export; so is a file
/// lacking a column of `schema` ([`has_every_column`]).
pub async fn register_dataset(
    ctx: &SessionContext,
    root: &Path,
    name: &str,
    schema: datafusion::arrow::datatypes::SchemaRef,
    partitions: &[&str],
    why: &str,
) -> Result<(), EngineError> {
    let root = std::path::absolute(root).map_err(|source| EngineError::Io {
        path: root.to_path_buf(),
        source,
    })?;
    let dir = root.join(name);
    if !dir.is_dir() {
        return Err(EngineError::Invalid(format!(
            "{}: no such directory (run `equitas-engine export` first{why})",
            dir.display()
        )));
    }
    has_every_column(&dir, &schema)?;
    let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
        .with_file_extension(".parquet")
        .with_table_partition_cols(
            partitions
                .iter()
                .map(|p| (p.to_string(), DataType::Utf8))
                .collect(),
        );
    ctx.deregister_table(name)?;
    ctx.register_listing_table(
        name,
        &format!("{}/", dir.display()),
        options,
        Some(schema),
        None,
    )
    .await?;
    Ok(())
}

/// The figures SQL, as of day `as_of`, over the months from `first` (the
/// earliest month with a movement) to the as-of month.
///
/// DataFusion inlines a CTE wherever it is referenced, so each heavy step
/// is referenced once: the movements are sorted once per lot (two window
/// passes), aggregated per day, the days sorted once per item, and every
/// day row spread over the months from its own to the next day's (a join
/// on the small calendar of the months; `range`/`unnest` would be shorter,
/// but Ballista's executors cannot decode `range`).
pub fn sql(as_of: Day, first: MonthIndex) -> String {
    format!(
        "{}\n{}\nORDER BY c.country, c.location, c.item, c.m",
        ctes(as_of, first),
        final_select(false)
    )
}

/// The figures' rows (unordered) with the columns `n` and `place_active`
/// of [`final_select`]: whether anything was recorded at the location in
/// the month, for any item (formulas 3.5, 4.1), as `Ledger::month` gives
/// it in `Month::recorded`.
pub fn place_sql(as_of: Day, first: MonthIndex) -> String {
    format!("{}\n{}", ctes(as_of, first), final_select(true))
}

/// The figures' final projection, over the `closed` step of [`ctes`] and
/// the reported stockout days (the rows of [`sql`], unordered). With
/// `place`, two more columns: `n`, the month's length in days, and
/// `place_active`, 1 when anything was recorded at the location that month
/// for any item (a movement, or stockout days reported for an item it
/// manages: a month reported, formulas 3.5), else 0. They are computed here,
/// not in a step of their own, for Ballista's nesting limit
/// ([`crate::indicators::amc_sql`]).
pub fn final_select(place: bool) -> String {
    let extra = if place {
        ",
  c.n,
  MAX(CASE WHEN c.movements > 0 OR r.stockout_days IS NOT NULL THEN 1 ELSE 0 END)
    OVER (PARTITION BY c.country, c.location, c.m) AS place_active"
    } else {
        ""
    };
    format!("{FINAL_SELECT}{extra}\n{FINAL_FROM}")
}

const FINAL_SELECT: &str = "SELECT c.country, c.location, c.item, c.m AS month_index,
  COALESCE(LAG(c.closing) OVER (PARTITION BY c.country, c.location, c.item ORDER BY c.m), 0.0)
    + c.opened AS opening,
  c.received, c.issued, c.dispensed, c.adjusted, c.closing,
  c.issued + c.dispensed AS consumption,
  COALESCE(r.stockout_days, c.derived_days) AS stockout_days,
  r.stockout_days IS NOT NULL AS stockout_reported,
  c.movements";

const FINAL_FROM: &str = "FROM closed c
LEFT JOIN reported r
  ON r.country = c.country AND r.location = c.location AND r.item = c.item
 AND CAST(r.month_index AS BIGINT) = c.m";

/// The `WITH` clause of the figures query (steps 1 to 6, up to the
/// monthly rows `closed`), as of `as_of` over the months from `first`.
/// Its step `cal` is the calendar: `m`, first day `ms`, last day `me` and
/// length in days `n`
/// of every month from `first` to the as-of month. Other queries
/// ([`crate::indicators`]) continue it.
pub fn ctes(as_of: Day, first: MonthIndex) -> String {
    let last = month_of(as_of);
    let mut calendar = String::new();
    for m in first..=last {
        if m > first {
            calendar.push_str(", ");
        }
        let (ms, me) = (month_start(m), month_end(m));
        let _ = write!(calendar, "({m}, {ms}, {me}, {})", me - ms + 1);
    }
    let lot = "PARTITION BY country, location, item, lot ORDER BY seq";
    let item = "PARTITION BY country, location, item";
    let running = "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW";
    format!(
        "WITH mv AS (
  SELECT country, location, item, lot, seq,
    CAST(local_day AS BIGINT) AS d, CAST(month_index AS BIGINT) AS m, kind, quantity, others,
    (NOT isnan(quantity) AND abs(quantity) <= 1e9 AND (quantity >= 0 OR kind = 'adjust')) AS ok
  FROM {MOVEMENTS}
), s AS (
  SELECT *,
    CASE WHEN NOT ok THEN 0.0
         WHEN kind IN ('receipt', 'adjust') THEN quantity
         WHEN kind IN ('issue', 'dispense') THEN -quantity
         ELSE 0.0 END AS flow,
    SUM(CASE WHEN ok AND kind = 'count' THEN 1 ELSE 0 END) OVER ({lot} {running}) AS seg,
    ROW_NUMBER() OVER ({lot}) AS rn
  FROM mv
), b AS (
  SELECT *,
    FIRST_VALUE(CASE WHEN seg > 0 THEN quantity - others ELSE 0.0 END)
      OVER (PARTITION BY country, location, item, lot, seg ORDER BY seq {running})
    + SUM(flow) OVER (PARTITION BY country, location, item, lot, seg ORDER BY seq {running})
      AS balance
  FROM s
), dl AS (
  SELECT *, balance - COALESCE(LAG(balance) OVER ({lot}), 0.0) AS delta,
    rn = 1 AND abs(others) <= 1e-9 AS opens
  FROM b
), daily AS (
  SELECT country, location, item, m, d,
    SUM(CASE WHEN ok AND kind = 'receipt' THEN quantity ELSE 0.0 END) AS received,
    SUM(CASE WHEN ok AND kind = 'issue' THEN quantity ELSE 0.0 END) AS issued,
    SUM(CASE WHEN ok AND kind = 'dispense' THEN quantity ELSE 0.0 END) AS dispensed,
    SUM(CASE WHEN ok AND kind = 'adjust' THEN quantity
             WHEN kind = 'count' AND NOT opens THEN delta ELSE 0.0 END) AS adjusted,
    SUM(CASE WHEN kind = 'count' AND opens THEN delta ELSE 0.0 END) AS opened,
    SUM(delta) AS net,
    COUNT(*) AS movements
  FROM dl GROUP BY country, location, item, m, d
), spans AS (
  SELECT *,
    SUM(net) OVER ({item} ORDER BY d {running}) AS bal,
    LEAD(d, 1, CAST({next} AS BIGINT)) OVER ({item} ORDER BY d) AS next_day,
    LEAD(m, 1, CAST({last} AS BIGINT)) OVER ({item} ORDER BY d) AS next_m
  FROM daily
), cal AS (
  SELECT CAST(column1 AS BIGINT) AS m, CAST(column2 AS BIGINT) AS ms, CAST(column3 AS BIGINT) AS me,
    CAST(column4 AS BIGINT) AS n
  FROM (VALUES {calendar})
), monthly AS (
  SELECT p.country, p.location, p.item, c.m, c.n,
    SUM(CASE WHEN c.m = p.m THEN p.received ELSE 0.0 END) AS received,
    SUM(CASE WHEN c.m = p.m THEN p.issued ELSE 0.0 END) AS issued,
    SUM(CASE WHEN c.m = p.m THEN p.dispensed ELSE 0.0 END) AS dispensed,
    SUM(CASE WHEN c.m = p.m THEN p.adjusted ELSE 0.0 END) AS adjusted,
    SUM(CASE WHEN c.m = p.m THEN p.opened ELSE 0.0 END) AS opened,
    SUM(CASE WHEN c.m = p.m THEN p.net ELSE 0.0 END) AS net,
    SUM(CASE WHEN c.m = p.m THEN p.movements ELSE 0 END) AS movements,
    SUM(CASE WHEN p.bal <= 1e-9
             THEN GREATEST(LEAST(p.next_day, c.me + 1) - GREATEST(p.d, c.ms), 0)
             ELSE 0 END) AS derived_days
  FROM spans p JOIN cal c ON c.m >= p.m AND c.m <= p.next_m
  GROUP BY p.country, p.location, p.item, c.m, c.n
), closed AS (
  SELECT *, SUM(net) OVER ({item} ORDER BY m {running}) AS closing
  FROM monthly
)",
        next = as_of as i64 + 1,
    )
}

/// The span of the data: (earliest month, last day with a movement), or
/// `None` when there is no movement.
pub async fn span(ctx: &SessionContext) -> Result<Option<(MonthIndex, Day)>, EngineError> {
    let batches = ctx
        .sql(&format!(
            "SELECT CAST(MIN(month_index) AS BIGINT), CAST(MAX(local_day) AS BIGINT) FROM {MOVEMENTS}"
        ))
        .await?
        .collect()
        .await?;
    let Some(b) = batches.iter().find(|b| b.num_rows() > 0) else {
        return Ok(None);
    };
    let (first, last) = (
        b.column(0).as_primitive::<Int64Type>(),
        b.column(1).as_primitive::<Int64Type>(),
    );
    if first.is_null(0) || last.is_null(0) {
        return Ok(None);
    }
    Ok(Some((first.value(0) as MonthIndex, last.value(0) as Day)))
}

/// Registers the export under `root` and returns the figures SQL as of
/// `as_of` (default: the last day with a movement) with that day, or
/// `None` when there is no movement.
pub(crate) async fn prepare(
    ctx: &SessionContext,
    root: &Path,
    as_of: Option<Day>,
) -> Result<Option<(String, Day)>, EngineError> {
    Ok(resolve(ctx, root, as_of)
        .await?
        .map(|(first, as_of)| (sql(as_of, first), as_of)))
}

/// Registers the export under `root` and returns (the earliest month with
/// a movement, the as-of day: `as_of`, by default the last day with a
/// movement; an earlier day is refused), or `None` when there is no
/// movement.
pub async fn resolve(
    ctx: &SessionContext,
    root: &Path,
    as_of: Option<Day>,
) -> Result<Option<(MonthIndex, Day)>, EngineError> {
    register(ctx, root).await?;
    let Some((first, last)) = span(ctx).await? else {
        return Ok(None);
    };
    let as_of = match as_of {
        Some(d) if d < last => {
            return Err(EngineError::Invalid(format!(
                "as-of date {} is before the last movement ({}): figures are as of a day on or after it",
                equitas_ledger::calendar::format_day(d),
                equitas_ledger::calendar::format_day(last)
            )));
        }
        Some(d) => d,
        None => last,
    };
    Ok(Some((first, as_of)))
}

/// The figures query's plan as the engine ran it, with the rows and time
/// of each operator (`EXPLAIN ANALYZE`), to profile it.
pub async fn explain(
    ctx: &SessionContext,
    root: &Path,
    as_of: Option<Day>,
) -> Result<String, EngineError> {
    let Some((sql, _)) = prepare(ctx, root, as_of).await? else {
        return Ok(NOTHING.to_string());
    };
    explain_sql(ctx, &sql).await
}

/// What `--explain` prints over an export without movements.
pub(crate) const NOTHING: &str = "no movement: nothing to compute\n";

/// The plan of `sql` as the engine ran it (`EXPLAIN ANALYZE`), as text.
pub(crate) async fn explain_sql(ctx: &SessionContext, sql: &str) -> Result<String, EngineError> {
    let batches = ctx
        .sql(&format!("EXPLAIN ANALYZE {sql}"))
        .await?
        .collect()
        .await?;
    Ok(
        datafusion::arrow::util::pretty::pretty_format_batches(&batches)
            .map_err(datafusion::error::DataFusionError::from)?
            .to_string(),
    )
}

/// The figures computed by the engine behind `ctx` (DataFusion in process,
/// or a Ballista cluster) over the export under `root`, as of `as_of`
/// (default: the last day with a movement), in (country, location, item,
/// month) order.
pub async fn compute(
    ctx: &SessionContext,
    root: &Path,
    as_of: Option<Day>,
) -> Result<Vec<Figure>, EngineError> {
    let mut out = Vec::new();
    for b in compute_batches(ctx, root, as_of).await? {
        out.extend(batch_figures(&b)?);
    }
    Ok(out)
}

/// [`compute`] as the engine returns it: Arrow batches in (country,
/// location, item, month) order, each turned into figures by
/// [`batch_figures`] (a large result need not be held twice).
pub async fn compute_batches(
    ctx: &SessionContext,
    root: &Path,
    as_of: Option<Day>,
) -> Result<Vec<RecordBatch>, EngineError> {
    let Some((sql, _)) = prepare(ctx, root, as_of).await? else {
        return Ok(Vec::new());
    };
    Ok(ctx.sql(&sql).await?.collect().await?)
}

/// The figures of one batch of the figures query's result.
pub fn batch_figures(b: &RecordBatch) -> Result<Vec<Figure>, EngineError> {
    let col = |i: usize, t: &DataType| -> Result<ArrayRef, EngineError> {
        Ok(cast(b.column(i), t).map_err(datafusion::error::DataFusionError::from)?)
    };
    let (country, location, item) = (
        col(0, &DataType::Utf8)?,
        col(1, &DataType::Utf8)?,
        col(2, &DataType::Utf8)?,
    );
    let month = col(3, &DataType::Int64)?;
    let f: Vec<ArrayRef> = (4..11)
        .map(|i| col(i, &DataType::Float64))
        .collect::<Result<_, _>>()?;
    let days = col(11, &DataType::Int64)?;
    let reported = col(12, &DataType::Boolean)?;
    let movements = col(13, &DataType::Int64)?;
    let s = |a: &ArrayRef, i| a.as_string::<i32>().value(i).to_string();
    let n = |a: &ArrayRef, i| a.as_primitive::<Int64Type>().value(i);
    let x = |k: usize, i| f[k].as_primitive::<Float64Type>().value(i);
    let mut out = Vec::with_capacity(b.num_rows());
    for i in 0..b.num_rows() {
        out.push(Figure {
            country: s(&country, i),
            location: s(&location, i),
            item: s(&item, i),
            month: n(&month, i) as MonthIndex,
            opening: x(0, i),
            received: x(1, i),
            issued: x(2, i),
            dispensed: x(3, i),
            adjusted: x(4, i),
            closing: x(5, i),
            consumption: x(6, i),
            stockout_days: n(&days, i) as u32,
            stockout_reported: reported.as_boolean().value(i),
            movements: n(&movements, i) as u32,
        });
    }
    Ok(out)
}

/// The engine's context: DataFusion in this process, or the Ballista
/// scheduler at `scheduler` (`df://host:port`); with the forecast and
/// concentration functions ([`crate::forecast::udf`],
/// [`crate::market::udf`]) registered.
pub async fn context(scheduler: Option<&str>) -> Result<SessionContext, EngineError> {
    match scheduler {
        None => {
            let ctx = SessionContext::new();
            ctx.register_udf(crate::forecast::udf());
            ctx.register_udf(crate::market::udf());
            Ok(ctx)
        }
        #[cfg(feature = "cluster")]
        Some(url) => {
            use ballista::prelude::{SessionConfigExt, SessionContextExt};
            // Ballista 55's adaptive planner (its default) re-plans the
            // figures query without end: thousands of one-task stages, never
            // the result. Its static planner runs it.
            let config = datafusion::prelude::SessionConfig::new_with_ballista()
                .with_ballista_adaptive_query_planner(false);
            let state = datafusion::execution::SessionStateBuilder::new()
                .with_config(config)
                .with_default_features()
                .build();
            let ctx = SessionContext::remote_with_state(url, state).await?;
            ctx.register_udf(crate::forecast::udf());
            ctx.register_udf(crate::market::udf());
            Ok(ctx)
        }
        #[cfg(not(feature = "cluster"))]
        Some(url) => Err(EngineError::Invalid(format!(
            "--scheduler {url}: this equitas-engine was built without Ballista (feature `cluster`)"
        ))),
    }
}

/// Figures as CSV (months as `YYYY-MM`, quantities unrounded).
pub fn to_csv(figures: &[Figure]) -> String {
    let mut s = String::from(
        "country,location,item,month,opening,received,issued,dispensed,adjusted,closing,consumption,stockout_days,stockout_reported,movements\n",
    );
    for f in figures {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            csv_field(&f.country),
            csv_field(&f.location),
            csv_field(&f.item),
            equitas_ledger::calendar::format_month(f.month),
            f.opening,
            f.received,
            f.issued,
            f.dispensed,
            f.adjusted,
            f.closing,
            f.consumption,
            f.stockout_days,
            f.stockout_reported,
            f.movements
        );
    }
    s
}

pub(crate) fn csv_field(v: &str) -> String {
    if v.contains([',', '"', '\n']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}

/// The differences between two sets of figures in the same order (at most
/// `limit` of them, described), empty when equal.
pub fn differences(want: &[Figure], got: &[Figure], limit: usize) -> Vec<String> {
    compare(want, got, limit, "rows", |a, b| a == b)
}

/// The first `limit` pairs of `want` and `got` (in order) that are not
/// `same`, each as text, after a line on their counts if they differ
/// (`noun`: what is counted). Every comparison of the engine with the
/// single node reports through it.
pub(crate) fn compare<T: std::fmt::Debug>(
    want: &[T],
    got: &[T],
    limit: usize,
    noun: &str,
    same: impl Fn(&T, &T) -> bool,
) -> Vec<String> {
    let mut out = Vec::new();
    if want.len() != got.len() {
        out.push(format!(
            "{} {noun} expected, {} computed",
            want.len(),
            got.len()
        ));
    }
    for (a, b) in want.iter().zip(got) {
        if !same(a, b) {
            out.push(format!("expected {a:?}\n     got {b:?}"));
            if out.len() >= limit {
                break;
            }
        }
    }
    out
}
