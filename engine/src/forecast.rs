//! Forecasts of every location's demand on the engine (docs/formulas.md
//! 4.1, 4.4, 4.5): the monthly figures' SQL ([`crate::figures::place_sql`]) gives
//! each month's consumption, stockout days and whether anything was
//! recorded at the location, for any item (formulas 3.5); the months of each (country, location, item) are gathered
//! (`array_agg`) and the scalar function [`UDF`] turns them into the demand
//! series and the automatic choice's forecast, with the same code as the
//! single node (`equitas_planning::series::assemble`,
//! `equitas_planning::select::choose_all`). The function runs where the
//! engine runs the query: in this process, or on a Ballista cluster's
//! executors (which register it, [`crate::cluster`]).
//!
//! Invariant: the engine's forecasts equal the single node's
//! ([`single_node`]: `demand_series` at every location, then
//! `choose_all`) for every series, to the bit, when the quantities are
//! whole numbers (the consumption is then summed exactly in any order).

use crate::EngineError;
use crate::export::{AREA_LEVELS, LOCATIONS};
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Builder, Int64Array, ListArray, ListBuilder, StringArray,
    StructArray,
};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Fields, Float64Type, Int64Type};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::DataFusionError;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::SessionContext;
use equitas_ledger::Ledger;
use equitas_ledger::calendar::{Day, MonthIndex, format_month};
use equitas_ledger::view::Places;
use equitas_model::LocationLevel;
use equitas_planning::select::{Choice, Evaluation, choose_all};
use equitas_planning::series::{MonthCell, assemble, demand_series};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

/// The scalar function's name in SQL.
pub const UDF: &str = "equitas_forecast";

/// Months of history by default (as `equitas forecast`).
pub const HISTORY: usize = 36;
/// Months forecast by default (as `equitas forecast`).
pub const HORIZON: usize = 6;

/// What is forecast: the series of every location (`level` `None`) or of
/// every area of `level` (country, region, district: the sum of what its
/// facilities dispensed, 4.1), ending with `last` (a month) and holding at
/// most `history` months; `horizon` months are forecast after it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Request {
    pub level: Option<LocationLevel>,
    /// `None`: the last month complete at the last movement (4.1).
    pub last: Option<MonthIndex>,
    pub history: usize,
    pub horizon: usize,
}

impl Default for Request {
    fn default() -> Self {
        Request {
            level: None,
            last: None,
            history: HISTORY,
            horizon: HORIZON,
        }
    }
}

/// One series' forecast.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesForecast {
    pub country: String,
    /// The location, or the area's code.
    pub location: String,
    pub item: String,
    /// The series' first month (`year * 12 + month - 1`).
    pub first: MonthIndex,
    /// The series' last month; the forecast starts the month after.
    pub last: MonthIndex,
    /// Months of the series imputed (4.1).
    pub imputed: u32,
    /// The method, or the best of those combined.
    pub method: String,
    /// The methods combined (their median), best first, joined by `+`.
    pub combined: String,
    pub mean: Vec<f64>,
    pub lower80: Vec<f64>,
    pub upper80: Vec<f64>,
    pub lower95: Vec<f64>,
    pub upper95: Vec<f64>,
}

impl SeriesForecast {
    fn key(&self) -> (&str, &str, &str) {
        (&self.country, &self.location, &self.item)
    }

    fn new(
        (country, location, item): (String, String, String),
        first: MonthIndex,
        last: MonthIndex,
        imputed: u32,
        c: Choice,
    ) -> SeriesForecast {
        SeriesForecast {
            country,
            location,
            item,
            first,
            last,
            imputed,
            method: c.method.as_str().to_string(),
            combined: c
                .combined
                .iter()
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join("+"),
            mean: c.mean,
            lower80: c.lower80,
            upper80: c.upper80,
            lower95: c.lower95,
            upper95: c.upper95,
        }
    }
}

/// The single node's forecasts of the series of `ledger` (one country's),
/// as `equitas forecast` makes them: `demand_series` of each location on
/// its own (named as the ledger names it) or of each area of `r.level` in
/// `places`, then the automatic choice.
pub fn single_node(
    ledger: &Ledger,
    places: &Places,
    country: &str,
    last: MonthIndex,
    r: &Request,
) -> Vec<SeriesForecast> {
    let unnamed;
    let places = match r.level {
        Some(_) => places,
        None => {
            unnamed = crate::indicators::own_places(ledger, places);
            &unnamed
        }
    };
    let series = demand_series(ledger, places, r.level, &[], last, r.history.max(1));
    let values: Vec<&[f64]> = series.iter().map(|s| s.values.as_slice()).collect();
    let choices = choose_all(&values, r.horizon.max(1), &Evaluation::default(), None);
    let mut out: Vec<SeriesForecast> = series
        .into_iter()
        .zip(choices)
        .filter_map(|(s, c)| {
            let imputed = s.imputed.iter().filter(|&&i| i).count() as u32;
            Some(SeriesForecast::new(
                (country.to_string(), s.area, s.item),
                s.first,
                last,
                imputed,
                c?,
            ))
        })
        .collect();
    out.sort_by(|a, b| a.key().cmp(&b.key()));
    out
}

/// One row's demand series, for the function.
struct Series {
    first: MonthIndex,
    imputed: u32,
    values: Vec<f64>,
}

/// The forecast function: `equitas_forecast(locations, months,
/// consumption, stockout_days, recorded, stores, first, last, horizon,
/// area)`, the first six lists of one series' monthly figures (`stores`:
/// the location is a store, its issues not scaled, 3.4) (one location's, or an
/// area's facilities', in any order), then the window's first and last
/// months, the horizon, and whether the series is an area's (4.1: its
/// facilities' months added, divided by the reporting rate). Returns a
/// struct ([`fields`]), null where the series has no month in the window
/// or nothing to forecast.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ForecastUdf {
    signature: Signature,
}

impl Default for ForecastUdf {
    fn default() -> Self {
        ForecastUdf {
            signature: Signature::any(10, Volatility::Immutable),
        }
    }
}

/// The function, to register in a session or a Ballista function registry.
pub fn udf() -> ScalarUDF {
    ScalarUDF::from(ForecastUdf::default())
}

fn list(name: &str) -> Field {
    Field::new(
        name,
        DataType::List(Arc::new(Field::new("item", DataType::Float64, true))),
        false,
    )
}

/// The fields of the function's result.
pub fn fields() -> Fields {
    Fields::from(vec![
        Field::new("first", DataType::Int64, false),
        Field::new("imputed", DataType::Int64, false),
        Field::new("method", DataType::Utf8, false),
        Field::new("combined", DataType::Utf8, false),
        list("mean"),
        list("lower80"),
        list("upper80"),
        list("lower95"),
        list("upper95"),
    ])
}

fn invalid(msg: String) -> DataFusionError {
    DataFusionError::Execution(format!("{UDF}: {msg}"))
}

impl ScalarUDFImpl for ForecastUdf {
    fn name(&self) -> &str {
        UDF
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(DataType::Struct(fields()))
    }

    fn invoke_with_args(
        &self,
        args: ScalarFunctionArgs,
    ) -> datafusion::error::Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [
            locations,
            months,
            consumption,
            days,
            recorded,
            stores,
            first,
            last,
            horizon,
            area,
        ] = &arrays[..]
        else {
            return Err(invalid(format!(
                "10 arguments expected, {} given",
                arrays.len()
            )));
        };
        let area = cast(area, &DataType::Boolean)?;
        let area = area.as_boolean();
        let int = |a: &ArrayRef| -> datafusion::error::Result<Int64Array> {
            Ok(cast(a, &DataType::Int64)?
                .as_primitive::<Int64Type>()
                .clone())
        };
        let (first, last, horizon) = (int(first)?, int(last)?, int(horizon)?);
        let lists = |a: &ArrayRef, what: &str| -> datafusion::error::Result<ListArray> {
            a.as_list_opt::<i32>()
                .cloned()
                .ok_or_else(|| invalid(format!("{what}: a list expected, {}", a.data_type())))
        };
        let (locations, months, consumption, days, recorded, stores) = (
            lists(locations, "locations")?,
            lists(months, "months")?,
            lists(consumption, "consumption")?,
            lists(days, "stockout_days")?,
            lists(recorded, "recorded")?,
            lists(stores, "stores")?,
        );
        let rows = months.len();
        // Each row's series (None: nothing managed in the window).
        let mut series: Vec<Option<Series>> = Vec::with_capacity(rows);
        let mut h = 1usize;
        for i in 0..rows {
            if months.is_null(i) || first.is_null(i) || last.is_null(i) {
                series.push(None);
                continue;
            }
            let (start, end) = (first.value(i) as MonthIndex, last.value(i) as MonthIndex);
            if !horizon.is_null(i) {
                h = h.max(horizon.value(i).max(1) as usize);
            }
            let m = int(&months.value(i))?;
            let c = cast(&consumption.value(i), &DataType::Float64)?;
            let c = c.as_primitive::<Float64Type>();
            let d = int(&days.value(i))?;
            let r = cast(&recorded.value(i), &DataType::Boolean)?;
            let r = r.as_boolean();
            let s = cast(&stores.value(i), &DataType::Boolean)?;
            let s = s.as_boolean();
            let l = cast(&locations.value(i), &DataType::Utf8)?;
            let l = l.as_string::<i32>();
            if [c.len(), d.len(), r.len(), l.len(), s.len()]
                .iter()
                .any(|&k| k != m.len())
            {
                return Err(invalid("lists of different lengths".to_string()));
            }
            let n = (end - start + 1).max(0) as usize;
            // Each location's months, in the locations' name order.
            let mut cells: BTreeMap<&str, Vec<MonthCell>> = BTreeMap::new();
            for j in 0..m.len() {
                let month = m.value(j) as MonthIndex;
                if month < start || month > end || m.is_null(j) {
                    continue;
                }
                cells
                    .entry(l.value(j))
                    .or_insert_with(|| vec![MonthCell::ABSENT; n])[(month - start) as usize] =
                    MonthCell::of(
                        month,
                        c.value(j),
                        d.value(j).max(0) as u32,
                        !r.is_null(j) && r.value(j),
                        !s.is_null(j) && s.value(j),
                    );
            }
            let cells: Vec<Vec<MonthCell>> = cells.into_values().collect();
            let area = !area.is_null(i) && area.value(i);
            series.push(assemble(&cells, area).map(|a| Series {
                first: start + a.first as MonthIndex,
                imputed: a.imputed.iter().filter(|&&x| x).count() as u32,
                values: a.values,
            }));
        }
        let values: Vec<&[f64]> = series
            .iter()
            .map(|s| s.as_ref().map_or(&[][..], |s| s.values.as_slice()))
            .collect();
        let choices = choose_all(&values, h, &Evaluation::default(), None);
        let mut firsts = Vec::with_capacity(rows);
        let mut imputed = Vec::with_capacity(rows);
        let mut method = Vec::with_capacity(rows);
        let mut combined = Vec::with_capacity(rows);
        let mut lists: [ListBuilder<Float64Builder>; 5] =
            std::array::from_fn(|_| ListBuilder::new(Float64Builder::new()));
        let mut valid = Vec::with_capacity(rows);
        for (s, c) in series.iter().zip(choices) {
            match (s, c) {
                (Some(s), Some(c)) => {
                    firsts.push(s.first as i64);
                    imputed.push(s.imputed as i64);
                    method.push(c.method.as_str().to_string());
                    combined.push(
                        c.combined
                            .iter()
                            .map(|m| m.as_str())
                            .collect::<Vec<_>>()
                            .join("+"),
                    );
                    for (b, v) in lists
                        .iter_mut()
                        .zip([&c.mean, &c.lower80, &c.upper80, &c.lower95, &c.upper95])
                    {
                        b.values().append_slice(v);
                        b.append(true);
                    }
                    valid.push(true);
                }
                _ => {
                    firsts.push(0);
                    imputed.push(0);
                    method.push(String::new());
                    combined.push(String::new());
                    for b in lists.iter_mut() {
                        b.append(true);
                    }
                    valid.push(false);
                }
            }
        }
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(firsts)),
            Arc::new(Int64Array::from(imputed)),
            Arc::new(StringArray::from(method)),
            Arc::new(StringArray::from(combined)),
        ];
        for b in lists.iter_mut() {
            columns.push(Arc::new(b.finish()));
        }
        let out = StructArray::try_new(fields(), columns, Some(NullBuffer::from(valid)))?;
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}

/// The forecast SQL over the figures SQL `figures` (as of a day in or after
/// the month `last`; with the column `place_active` of
/// [`crate::figures::final_select`]): one row per country, location (or
/// area of `r.level`, over its facilities, joined to the registered
/// `locations`) and item with months in the window, and its forecast. A
/// month is reported when anything was recorded at the location for any
/// item (`Month::recorded`, formulas 3.5 and 4.1).
pub fn sql(figures: &str, last: MonthIndex, r: &Request, stores: &[(String, String)]) -> String {
    // Stores' consumption is not scaled (3.4), per location only: a list,
    // not a join (Ballista's plan nesting limit, see `indicators::amc_sql`).
    let store = match r.level {
        None => crate::indicators::is_store(stores),
        Some(_) => "false".to_string(),
    };
    let first = last - r.history.max(1) as MonthIndex + 1;
    let (place, used, join, area) = match r.level {
        None => (
            "f.location".to_string(),
            "consumption",
            String::new(),
            "false",
        ),
        Some(level) => {
            let col = format!("l.area_{}", level.as_str());
            let join = format!(
                "JOIN {LOCATIONS} l ON l.country = f.country AND l.location = f.location
  AND l.level = 'facility' AND {col} IS NOT NULL"
            );
            (col, "dispensed", join, "true")
        }
    };
    format!(
        "SELECT f.country, {place} AS location, f.item,
  {UDF}(array_agg(f.location), array_agg(f.month_index), array_agg(f.{used}),
        array_agg(f.stockout_days), array_agg(f.place_active = 1),
        array_agg({store}),
        CAST({first} AS BIGINT), CAST({last} AS BIGINT), CAST({h} AS BIGINT), {area}) AS forecast
FROM ({figures}) f {join}
WHERE f.month_index >= {first} AND f.month_index <= {last}
GROUP BY f.country, {place}, f.item
ORDER BY f.country, {place}, f.item",
        h = r.horizon.max(1)
    )
}

/// The forecasts computed by the engine behind `ctx` (which has [`udf`]
/// registered: [`crate::figures::context`] does) over the export under
/// `root`, in (country, location, item) order, and the series' last month.
pub async fn compute(
    ctx: &SessionContext,
    root: &Path,
    r: &Request,
) -> Result<(Vec<SeriesForecast>, Option<MonthIndex>), EngineError> {
    if let Some(level) = r.level
        && !AREA_LEVELS.contains(&level)
    {
        return Err(EngineError::Invalid(format!(
            "--level {}: each location on its own, or areas of level country, region or district",
            level.as_str()
        )));
    }
    // Each location's level (stores, 3.4) and areas.
    crate::indicators::register_locations(ctx, root).await?;
    let stores = crate::indicators::stores(ctx).await?;
    let Some((first, as_of)) = crate::figures::resolve(ctx, root, None).await? else {
        return Ok((Vec::new(), None));
    };
    let figures = crate::figures::place_sql(as_of, first);
    let last = last_month(r.last, as_of)?;
    let batches = ctx
        .sql(&sql(&figures, last, r, &stores))
        .await?
        .collect()
        .await?;
    let mut out = Vec::new();
    for b in &batches {
        out.extend(batch_forecasts(b, last)?);
    }
    Ok((out, Some(last)))
}

/// The series' last month: the one asked for (refused after the last
/// month complete at the last movement `as_of`, whose figures are not all
/// in), or that month (4.1).
fn last_month(asked: Option<MonthIndex>, as_of: Day) -> Result<MonthIndex, EngineError> {
    let complete = equitas_ledger::calendar::last_complete_month(as_of);
    match asked {
        Some(m) if m > complete => Err(EngineError::Invalid(format!(
            "--as-of {}: after {}, the last month complete at the last movement ({})",
            format_month(m),
            format_month(complete),
            equitas_ledger::calendar::format_day(as_of)
        ))),
        Some(m) => Ok(m),
        None => Ok(complete),
    }
}

/// The forecasts of one batch of the forecast query's result.
pub fn batch_forecasts(
    b: &RecordBatch,
    last: MonthIndex,
) -> Result<Vec<SeriesForecast>, EngineError> {
    let text = |i: usize| -> Result<ArrayRef, EngineError> {
        Ok(cast(b.column(i), &DataType::Utf8).map_err(DataFusionError::from)?)
    };
    let (country, location, item) = (text(0)?, text(1)?, text(2)?);
    let f = b.column(3).as_struct_opt().ok_or_else(|| {
        EngineError::Invalid(format!(
            "forecast column: a struct expected, {}",
            b.column(3).data_type()
        ))
    })?;
    let s = |a: &ArrayRef, i| a.as_string::<i32>().value(i).to_string();
    let firsts = f.column(0).as_primitive::<Int64Type>();
    let imputed = f.column(1).as_primitive::<Int64Type>();
    let (method, combined) = (
        f.column(2).as_string::<i32>(),
        f.column(3).as_string::<i32>(),
    );
    let values = |k: usize, i: usize| -> Vec<f64> {
        f.column(4 + k)
            .as_list::<i32>()
            .value(i)
            .as_primitive::<Float64Type>()
            .values()
            .to_vec()
    };
    let mut out = Vec::new();
    for i in 0..b.num_rows() {
        if f.is_null(i) {
            continue;
        }
        out.push(SeriesForecast {
            country: s(&country, i),
            location: s(&location, i),
            item: s(&item, i),
            first: firsts.value(i) as MonthIndex,
            last,
            imputed: imputed.value(i) as u32,
            method: method.value(i).to_string(),
            combined: combined.value(i).to_string(),
            mean: values(0, i),
            lower80: values(1, i),
            upper80: values(2, i),
            lower95: values(3, i),
            upper95: values(4, i),
        });
    }
    Ok(out)
}

/// Forecasts as CSV: one row per series and month forecast (`YYYY-MM`),
/// quantities unrounded.
pub fn to_csv(forecasts: &[SeriesForecast]) -> String {
    let mut s = String::from(
        "country,location,item,month,forecast,lower80,upper80,lower95,upper95,method,combined,history_from,imputed_months\n",
    );
    for f in forecasts {
        for k in 0..f.mean.len() {
            let _ = writeln!(
                s,
                "{},{},{},{},{},{},{},{},{},{},{},{},{}",
                crate::figures::csv_field(&f.country),
                crate::figures::csv_field(&f.location),
                crate::figures::csv_field(&f.item),
                format_month(f.last + 1 + k as MonthIndex),
                f.mean[k],
                f.lower80[k],
                f.upper80[k],
                f.lower95[k],
                f.upper95[k],
                f.method,
                f.combined,
                format_month(f.first),
                f.imputed
            );
        }
    }
    s
}

/// The differences between two sets of forecasts in the same order (at
/// most `limit` of them, described), empty when equal.
pub fn differences(want: &[SeriesForecast], got: &[SeriesForecast], limit: usize) -> Vec<String> {
    crate::figures::compare(want, got, limit, "series", |a, b| a == b)
}
