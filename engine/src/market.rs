//! Market indicators across countries on the engine: supply concentration
//! (docs/formulas.md 2.2, 2.8), unit prices (2.4, 2.5) and delivery
//! performance (2.9). The procurement lines of every country are exported
//! to Parquet (`procurement/country=XSY/part-0.parquet`), grouped by the
//! scope asked for (product by default) in SQL, and each group's row is
//! computed by a scalar function, `equitas_market`, that calls
//! `equitas_market::analysis` (`concentration_table`, `prices`,
//! `delivery`), the single node's own code, on the group's lines in their
//! original order, and returns the row as the JSON the single node
//! serialises it to.
//!
//! Invariant: the engine's rows equal the single node's over the same
//! lines, every figure to the bit (the lines of a group are summed and
//! sorted in the order the store gave them, whichever engine partition
//! they came from).

use crate::EngineError;
use crate::export::write_parquet;
use chrono::NaiveDate;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanBuilder, Float64Array, Float64Builder, Int64Builder,
    ListArray, StringArray, StringBuilder,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema, SchemaRef};
use datafusion::error::DataFusionError;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::SessionContext;
use equitas_market::analysis::{
    ConcentrationBands, Dataset, Dim, Observation, ReferencePrice, TreatmentCourse, Wage, Weight,
    affordability, concentration_table, delivery, mpr, prices, reference_table,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

/// The dataset's directory under the export root.
pub const PROCUREMENT: &str = "procurement";
/// The scalar function's name in SQL.
pub const UDF: &str = "equitas_market";

/// The columns of a procurement file (the partition column `country`, the
/// buyer country, is in its path). `seq`: the line's position in the
/// store's order, which the single node sums in.
pub fn procurement_schema() -> SchemaRef {
    let t = |n: &str, null| Field::new(n, DataType::Utf8, null);
    let f = |n: &str, null| Field::new(n, DataType::Float64, null);
    Arc::new(Schema::new(vec![
        Field::new("seq", DataType::Int64, false),
        t("product", false),
        t("supplier", false),
        t("site", true),
        t("site_country", true),
        t("mode", true),
        Field::new("originator", DataType::Boolean, true),
        f("pack_size", true),
        f("quantity", false),
        f("value", true),
        // ISO 8601 dates.
        t("order_date", true),
        t("scheduled_date", true),
        t("delivered_date", true),
    ]))
}

/// Writes procurement lines, one file per buyer country, replacing those
/// an earlier export wrote for the same countries; returns the lines and
/// files written.
pub fn write_procurement(obs: &[Observation], out: &Path) -> Result<(usize, usize), EngineError> {
    let mut by_country: BTreeMap<&str, Vec<(usize, &Observation)>> = BTreeMap::new();
    for (i, o) in obs.iter().enumerate() {
        by_country.entry(&o.buyer_country).or_default().push((i, o));
    }
    let mut files = 0;
    for (c, lines) in by_country {
        let dir = country_dir(out, PROCUREMENT, c)?;
        let text = |v: &mut StringBuilder, s: Option<&str>| v.append_option(s);
        let (mut seq, mut product, mut supplier) = (
            Int64Builder::new(),
            StringBuilder::new(),
            StringBuilder::new(),
        );
        let (mut site, mut site_country, mut mode) = (
            StringBuilder::new(),
            StringBuilder::new(),
            StringBuilder::new(),
        );
        let mut originator = BooleanBuilder::new();
        let (mut pack, mut quantity, mut value) = (
            Float64Builder::new(),
            Float64Builder::new(),
            Float64Builder::new(),
        );
        let (mut ordered, mut scheduled, mut delivered) = (
            StringBuilder::new(),
            StringBuilder::new(),
            StringBuilder::new(),
        );
        for (i, o) in &lines {
            seq.append_value(*i as i64);
            product.append_value(&o.product);
            supplier.append_value(&o.supplier);
            text(&mut site, o.site.as_deref());
            text(&mut site_country, o.site_country.as_deref());
            text(&mut mode, o.mode.as_deref());
            originator.append_option(o.originator);
            pack.append_option(o.pack_size);
            quantity.append_value(o.quantity);
            value.append_option(o.value);
            let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
            ordered.append_option(date(o.order_date));
            scheduled.append_option(date(o.scheduled_date));
            delivered.append_option(date(o.delivered_date));
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(seq.finish()),
            Arc::new(product.finish()),
            Arc::new(supplier.finish()),
            Arc::new(site.finish()),
            Arc::new(site_country.finish()),
            Arc::new(mode.finish()),
            Arc::new(originator.finish()),
            Arc::new(pack.finish()),
            Arc::new(quantity.finish()),
            Arc::new(value.finish()),
            Arc::new(ordered.finish()),
            Arc::new(scheduled.finish()),
            Arc::new(delivered.finish()),
        ];
        write_parquet(&dir.join("part-0.parquet"), procurement_schema(), columns)?;
        files += 1;
    }
    Ok((obs.len(), files))
}

/// A market indicator and its settings.
#[derive(Debug, Clone, PartialEq)]
pub enum Indicator {
    /// Shares of `by` (supplier, site, site-country) weighted by `weight`.
    Concentration {
        by: Dim,
        weight: Weight,
        bands: ConcentrationBands,
    },
    /// Unit prices per comparison unit.
    Prices,
    /// Lead times and delays; a line is on time up to `tolerance_days` late.
    Delivery { tolerance_days: i64 },
    /// Median price ratios against reference prices (docs/formulas.md 2.6).
    Mpr(MprSettings),
    /// Days' wages to buy a standard treatment course (docs/formulas.md 2.7).
    Affordability(AffordabilitySettings),
}

/// What the median price ratios need besides the lines: the settings of
/// `equitas market mpr` and the reference prices, one per product
/// ([`reference_table`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MprSettings {
    /// Per product and buyer country, not per product.
    pub by_country: bool,
    /// Fewest price observations for an MPR.
    pub min_observations: usize,
    /// Local currency units per US$.
    pub exchange_rate: f64,
    pub references: Vec<ReferencePrice>,
}

/// What affordability needs besides the lines: the treatment courses and
/// the daily wages (one per country).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AffordabilitySettings {
    pub courses: Vec<TreatmentCourse>,
    pub wages: Vec<Wage>,
    /// Fewest prices for the days' wages (docs/formulas.md 2.7).
    pub min_observations: usize,
}

impl Indicator {
    /// Its settings as the function's text argument.
    fn encode(&self) -> String {
        match self {
            Indicator::Concentration { by, weight, bands } => format!(
                "concentration;{};{};{}",
                by.as_str(),
                match weight {
                    Weight::Value => "value",
                    Weight::Quantity => "quantity",
                },
                bands
                    .thresholds
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            Indicator::Prices => "prices".to_string(),
            Indicator::Delivery { tolerance_days } => format!("delivery;{tolerance_days}"),
            Indicator::Mpr(m) => format!("mpr;{}", json_text(m)),
            Indicator::Affordability(a) => format!("affordability;{}", json_text(a)),
        }
    }

    /// [`Indicator::encode`]'s inverse.
    fn decode(s: &str) -> Result<Indicator, String> {
        let json = |e: serde_json::Error| format!("{s:.40}...: {e}");
        if let Some(m) = s.strip_prefix("mpr;") {
            return serde_json::from_str(m).map(Indicator::Mpr).map_err(json);
        }
        if let Some(a) = s.strip_prefix("affordability;") {
            return serde_json::from_str(a)
                .map(Indicator::Affordability)
                .map_err(json);
        }
        let parts: Vec<&str> = s.split(';').collect();
        match parts[..] {
            ["concentration", by, weight, bands] => {
                let thresholds = bands
                    .split(',')
                    .map(|t| t.trim().parse::<f64>())
                    .collect::<Result<Vec<f64>, _>>()
                    .map_err(|e| format!("band thresholds {bands:?}: {e}"))?;
                Ok(Indicator::Concentration {
                    by: by.parse()?,
                    weight: weight.parse()?,
                    bands: ConcentrationBands::from_thresholds(thresholds)?,
                })
            }
            ["prices"] => Ok(Indicator::Prices),
            ["delivery", t] => Ok(Indicator::Delivery {
                tolerance_days: t.parse().map_err(|e| format!("tolerance {t:?}: {e}"))?,
            }),
            _ => Err(format!("unknown indicator {s:?}")),
        }
    }

    /// The indicator with the lookups its rows need (reference prices,
    /// courses and wages by key), built once and used for every group.
    fn prepare(&self) -> Prepared<'_> {
        match self {
            Indicator::Mpr(m) => {
                Prepared::Mpr(m, reference_table(m.references.iter().cloned(), None))
            }
            Indicator::Affordability(a) => Prepared::Affordability(
                a.min_observations,
                a.courses
                    .iter()
                    .map(|c| (c.product.clone(), c.clone()))
                    .collect(),
                a.wages
                    .iter()
                    .map(|w| (w.country.clone(), w.clone()))
                    .collect(),
            ),
            Indicator::Concentration { by, weight, bands } => Prepared::Concentration {
                by: *by,
                weight: *weight,
                bands,
            },
            Indicator::Prices => Prepared::Prices,
            Indicator::Delivery { tolerance_days } => Prepared::Delivery(*tolerance_days),
        }
    }

    /// The scope its rows have, if it is fixed: `--per` must be it.
    fn fixed_per(&self) -> Option<&'static [Dim]> {
        match self {
            Indicator::Mpr(m) if m.by_country => Some(&[Dim::Product, Dim::BuyerCountry]),
            Indicator::Mpr(_) => Some(&[Dim::Product]),
            Indicator::Affordability(_) => Some(&[Dim::Product, Dim::BuyerCountry]),
            _ => None,
        }
    }
}

/// An [`Indicator`] ready to compute rows (see [`Indicator::prepare`]).
enum Prepared<'a> {
    Concentration {
        by: Dim,
        weight: Weight,
        bands: &'a ConcentrationBands,
    },
    Prices,
    Delivery(i64),
    Mpr(&'a MprSettings, HashMap<String, ReferencePrice>),
    Affordability(
        usize,
        HashMap<String, TreatmentCourse>,
        HashMap<String, Wage>,
    ),
}

impl Prepared<'_> {
    /// The rows of `dims`' groups, as the single node computes them, each
    /// as JSON.
    fn rows(&self, ds: &Dataset, dims: &[Dim]) -> Result<Vec<serde_json::Value>, String> {
        match self {
            Prepared::Concentration { by, weight, bands } => {
                json_rows(&concentration_table(ds, dims, *by, *weight, bands))
            }
            Prepared::Prices => json_rows(&prices(ds, dims)),
            Prepared::Delivery(tolerance_days) => json_rows(&delivery(ds, dims, *tolerance_days)),
            // Grouped by product (and buyer country) inside, whatever `dims`.
            Prepared::Mpr(m, refs) => {
                json_rows(&mpr(ds, refs, m.by_country, m.min_observations, m.exchange_rate).rows)
            }
            // Grouped by product and buyer country inside.
            Prepared::Affordability(min, courses, wages) => {
                json_rows(&affordability(ds, courses, wages, *min))
            }
        }
    }
}

/// Each row as the JSON the single node serialises it to.
fn json_rows<T: Serialize>(rows: &[T]) -> Result<Vec<serde_json::Value>, String> {
    rows.iter()
        .map(|r| serde_json::to_value(r).map_err(|e| e.to_string()))
        .collect()
}

/// `v` as JSON text; the settings hold no map with keys other than text,
/// so this does not fail (a non-finite number is written as null and
/// refused when read back).
fn json_text<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()))
}

/// What is computed: one row per group of `per`.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub per: Vec<Dim>,
    pub indicator: Indicator,
}

impl Request {
    /// Per product, as `equitas market`; MPR and affordability per their
    /// own scope.
    pub fn per_product(indicator: Indicator) -> Request {
        Request {
            per: indicator
                .fixed_per()
                .map_or_else(|| vec![Dim::Product], <[Dim]>::to_vec),
            indicator,
        }
    }
}

/// The single node's rows (`equitas_market::analysis`) over `obs`, each
/// as JSON, in key order.
pub fn single_node(
    obs: &[Observation],
    r: &Request,
) -> Result<Vec<serde_json::Value>, EngineError> {
    r.indicator
        .prepare()
        .rows(&Dataset::from(obs.to_vec()), &r.per)
        .map_err(EngineError::Invalid)
}

/// The SQL expression of a scope dimension (as `Dim::key`: "unknown" when
/// absent).
fn column(d: Dim) -> Result<&'static str, EngineError> {
    Ok(match d {
        Dim::Product => "product",
        Dim::Supplier => "supplier",
        Dim::BuyerCountry => "country",
        Dim::Site => "COALESCE(site, 'unknown')",
        Dim::SiteCountry => "COALESCE(site_country, 'unknown')",
        Dim::Mode => "COALESCE(mode, 'unknown')",
        Dim::Year => {
            return Err(EngineError::Invalid(
                "--per year: not computed on the engine (use `equitas market`)".to_string(),
            ));
        }
    })
}

/// The columns of a procurement line the function reads, in its order
/// (`country`: the buyer country, the partition column).
const LINE: [&str; 14] = [
    "seq",
    "product",
    "supplier",
    "site",
    "site_country",
    "mode",
    "originator",
    "pack_size",
    "quantity",
    "value",
    "order_date",
    "scheduled_date",
    "delivered_date",
    "country",
];

/// The indicator's SQL over the registered `procurement` table.
pub fn sql(r: &Request) -> Result<String, EngineError> {
    if let Indicator::Concentration { by, .. } = &r.indicator
        && !matches!(by, Dim::Supplier | Dim::Site | Dim::SiteCountry)
    {
        return Err(EngineError::Invalid(format!(
            "--by {}: shares of supplier, site or site-country",
            by.as_str()
        )));
    }
    if let Some(per) = r.indicator.fixed_per()
        && per != r.per.as_slice()
    {
        let names: Vec<&str> = per.iter().map(|d| d.as_str()).collect();
        return Err(EngineError::Invalid(format!(
            "--per: this indicator is per {} (as `equitas market`)",
            names.join(", ")
        )));
    }
    let mut select = String::new();
    for (i, d) in r.per.iter().enumerate() {
        let _ = write!(select, "{} AS k{i}, ", column(*d)?);
    }
    let lists: Vec<String> = LINE.iter().map(|c| format!("array_agg({c})")).collect();
    let group: Vec<String> = (0..r.per.len()).map(|i| format!("k{i}")).collect();
    let by = if group.is_empty() {
        String::new()
    } else {
        format!("GROUP BY {}", group.join(", "))
    };
    Ok(format!(
        "SELECT {select}{UDF}('{}', {}) AS row FROM {PROCUREMENT} {by}",
        r.indicator.encode(),
        lists.join(", ")
    ))
}

/// Registers the exported procurement lines under `root` as the table
/// `procurement` of `ctx` (partition column `country`).
pub async fn register(ctx: &SessionContext, root: &Path) -> Result<(), EngineError> {
    crate::figures::register_dataset(
        ctx,
        root,
        PROCUREMENT,
        procurement_schema(),
        &["country"],
        "; exports before 2026-12-06 have no procurement lines",
    )
    .await
}

// ------------------------------------------------ reference prices, courses, wages

/// The reference prices' directory (one file, replaced by each export:
/// international prices, the same for every country).
pub const REFERENCE_PRICES: &str = "reference_prices";
/// The treatment courses' directory (one file, replaced by each export).
pub const COURSES: &str = "treatment_courses";
/// The daily wages' directory (`wages/country=XSY/part-0.parquet`).
pub const WAGES: &str = "wages";

fn reference_prices_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("product", DataType::Utf8, false),
        Field::new("source", DataType::Utf8, false),
        Field::new("price_usd", DataType::Float64, false),
    ]))
}

fn courses_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("product", DataType::Utf8, false),
        Field::new("units", DataType::Float64, false),
        Field::new("description", DataType::Utf8, false),
        Field::new("source", DataType::Utf8, false),
    ]))
}

/// The partition column `country` is in the path.
fn wages_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("daily_wage", DataType::Float64, false),
        Field::new("currency", DataType::Utf8, false),
        Field::new("exchange_rate", DataType::Float64, false),
        Field::new("year", DataType::Int64, true),
        Field::new("source", DataType::Utf8, false),
    ]))
}

/// An emptied directory `out/name`.
fn fresh_dir(dir: &Path) -> Result<(), EngineError> {
    let io = |source| EngineError::Io {
        path: dir.to_path_buf(),
        source,
    };
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(io)?;
    }
    std::fs::create_dir_all(dir).map_err(io)
}

/// The emptied directory of country `c` in the dataset `name` under
/// `out` (`name/country=c`), refusing a code that cannot name one.
fn country_dir(out: &Path, name: &str, c: &str) -> Result<std::path::PathBuf, EngineError> {
    crate::export::check_country(name, c)?;
    let dir = out.join(name).join(format!("country={c}"));
    fresh_dir(&dir)?;
    Ok(dir)
}

fn strings<'a>(v: impl Iterator<Item = &'a str>) -> ArrayRef {
    Arc::new(v.map(Some).collect::<StringArray>())
}

fn numbers(v: impl Iterator<Item = f64>) -> ArrayRef {
    Arc::new(v.map(Some).collect::<Float64Array>())
}

/// Writes what MPR and affordability read besides the lines: every
/// reference price (all sources), the treatment courses, and the wages
/// (one file per country, replacing those an earlier export wrote for the
/// same countries). Returns the files written.
pub fn write_market_inputs(
    references: &[ReferencePrice],
    courses: &[TreatmentCourse],
    wages: &[Wage],
    out: &Path,
) -> Result<usize, EngineError> {
    let dir = out.join(REFERENCE_PRICES);
    fresh_dir(&dir)?;
    write_parquet(
        &dir.join("part-0.parquet"),
        reference_prices_schema(),
        vec![
            strings(references.iter().map(|r| r.product.as_str())),
            strings(references.iter().map(|r| r.source.as_str())),
            numbers(references.iter().map(|r| r.price_usd)),
        ],
    )?;
    let dir = out.join(COURSES);
    fresh_dir(&dir)?;
    write_parquet(
        &dir.join("part-0.parquet"),
        courses_schema(),
        vec![
            strings(courses.iter().map(|c| c.product.as_str())),
            numbers(courses.iter().map(|c| c.units)),
            strings(courses.iter().map(|c| c.description.as_str())),
            strings(courses.iter().map(|c| c.source.as_str())),
        ],
    )?;
    std::fs::create_dir_all(out.join(WAGES)).map_err(|source| EngineError::Io {
        path: out.join(WAGES),
        source,
    })?;
    let mut files = 2;
    for w in wages {
        let dir = country_dir(out, WAGES, &w.country)?;
        write_parquet(
            &dir.join("part-0.parquet"),
            wages_schema(),
            vec![
                numbers([w.daily_wage].into_iter()),
                strings([w.currency.as_str()].into_iter()),
                numbers([w.exchange_rate].into_iter()),
                Arc::new(
                    [w.year.map(i64::from)]
                        .into_iter()
                        .collect::<datafusion::arrow::array::Int64Array>(),
                ),
                strings([w.source.as_str()].into_iter()),
            ],
        )?;
        files += 1;
    }
    Ok(files)
}

/// The rows of `sql` over the table `name` registered from `root`, each
/// column as text, numbers or whole numbers as asked.
async fn table(
    ctx: &SessionContext,
    root: &Path,
    name: &str,
    schema: SchemaRef,
    partitions: &[&str],
    sql: &str,
) -> Result<Vec<datafusion::arrow::record_batch::RecordBatch>, EngineError> {
    crate::figures::register_dataset(
        ctx,
        root,
        name,
        schema,
        partitions,
        "; exports before 2026-12-06 have no reference prices, courses or wages",
    )
    .await?;
    Ok(ctx.sql(sql).await?.collect().await?)
}

fn text_column(
    b: &datafusion::arrow::record_batch::RecordBatch,
    i: usize,
) -> Result<StringArray, EngineError> {
    Ok(cast(b.column(i), &DataType::Utf8)
        .map_err(DataFusionError::from)?
        .as_string::<i32>()
        .clone())
}

fn number_column(
    b: &datafusion::arrow::record_batch::RecordBatch,
    i: usize,
) -> Result<Float64Array, EngineError> {
    Ok(cast(b.column(i), &DataType::Float64)
        .map_err(DataFusionError::from)?
        .as_primitive::<Float64Type>()
        .clone())
}

/// The exported reference prices, one per product as the single node
/// chooses them ([`reference_table`]; of `source` only if given), in
/// product order.
pub async fn reference_prices(
    ctx: &SessionContext,
    root: &Path,
    source: Option<&str>,
) -> Result<Vec<ReferencePrice>, EngineError> {
    let mut all = Vec::new();
    for b in table(
        ctx,
        root,
        REFERENCE_PRICES,
        reference_prices_schema(),
        &[],
        "SELECT product, source, price_usd FROM reference_prices",
    )
    .await?
    {
        let (p, s, usd) = (
            text_column(&b, 0)?,
            text_column(&b, 1)?,
            number_column(&b, 2)?,
        );
        for i in 0..b.num_rows() {
            all.push(ReferencePrice {
                product: p.value(i).to_string(),
                source: s.value(i).to_string(),
                price_usd: usd.value(i),
            });
        }
    }
    let mut chosen: Vec<ReferencePrice> = reference_table(all, source).into_values().collect();
    chosen.sort_by(|a, b| a.product.cmp(&b.product));
    Ok(chosen)
}

/// The exported treatment courses, in product order.
pub async fn courses(
    ctx: &SessionContext,
    root: &Path,
) -> Result<Vec<TreatmentCourse>, EngineError> {
    let mut out = Vec::new();
    for b in table(
        ctx,
        root,
        COURSES,
        courses_schema(),
        &[],
        "SELECT product, units, description, source FROM treatment_courses ORDER BY product",
    )
    .await?
    {
        let (p, u, d, s) = (
            text_column(&b, 0)?,
            number_column(&b, 1)?,
            text_column(&b, 2)?,
            text_column(&b, 3)?,
        );
        for i in 0..b.num_rows() {
            out.push(TreatmentCourse {
                product: p.value(i).to_string(),
                units: u.value(i),
                description: d.value(i).to_string(),
                source: s.value(i).to_string(),
            });
        }
    }
    Ok(out)
}

/// The exported daily wages, in country order.
pub async fn wages(ctx: &SessionContext, root: &Path) -> Result<Vec<Wage>, EngineError> {
    let mut out = Vec::new();
    for b in table(
        ctx,
        root,
        WAGES,
        wages_schema(),
        &["country"],
        "SELECT country, daily_wage, currency, exchange_rate, year, source FROM wages ORDER BY country",
    )
    .await?
    {
        let (c, w, cur, rate, s) = (
            text_column(&b, 0)?,
            number_column(&b, 1)?,
            text_column(&b, 2)?,
            number_column(&b, 3)?,
            text_column(&b, 5)?,
        );
        let year = cast(b.column(4), &DataType::Int64).map_err(DataFusionError::from)?;
        let year = year.as_primitive::<Int64Type>();
        for i in 0..b.num_rows() {
            out.push(Wage {
                country: c.value(i).to_string(),
                daily_wage: w.value(i),
                currency: cur.value(i).to_string(),
                exchange_rate: rate.value(i),
                year: (!year.is_null(i)).then(|| year.value(i)).and_then(|y| i32::try_from(y).ok()),
                source: s.value(i).to_string(),
            });
        }
    }
    Ok(out)
}

/// The rows computed by the engine behind `ctx` over the export under
/// `root`, each the JSON the single node gives (its `key` the group's
/// values), in key order.
pub async fn compute(
    ctx: &SessionContext,
    root: &Path,
    r: &Request,
) -> Result<Vec<serde_json::Value>, EngineError> {
    let sql = sql(r)?;
    register(ctx, root).await?;
    let batches = ctx.sql(&sql).await?.collect().await?;
    let n = r.per.len();
    let mut out: Vec<(Vec<String>, serde_json::Value)> = Vec::new();
    for b in &batches {
        let keys: Vec<ArrayRef> = (0..n)
            .map(|i| cast(b.column(i), &DataType::Utf8).map_err(DataFusionError::from))
            .collect::<Result<_, _>>()?;
        let rows = cast(b.column(n), &DataType::Utf8).map_err(DataFusionError::from)?;
        let rows = rows.as_string::<i32>();
        for i in 0..b.num_rows() {
            if rows.is_null(i) {
                continue;
            }
            let key: Vec<String> = keys
                .iter()
                .map(|k| k.as_string::<i32>().value(i).to_string())
                .collect();
            let group: Vec<serde_json::Value> = serde_json::from_str(rows.value(i))
                .map_err(|e| EngineError::Invalid(format!("{UDF} gave {e}")))?;
            for mut v in group {
                // The group's key, computed from lines without one.
                if let Some(o) = v.as_object_mut()
                    && o.contains_key("key")
                {
                    o.insert("key".to_string(), serde_json::json!(key));
                }
                out.push((key.clone(), v));
            }
        }
    }
    // Stable: a group's rows stay in the single node's order.
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out.into_iter().map(|(_, v)| v).collect())
}

/// The basket of MPR rows as the engine gives them (JSON):
/// [`equitas_market::analysis::mpr_basket`].
pub fn basket(rows: &[serde_json::Value]) -> Vec<equitas_market::analysis::Basket> {
    equitas_market::analysis::mpr_basket(rows.iter().map(|r| {
        (
            r["reference_source"].as_str().unwrap_or_default(),
            r["key"][1].as_str(),
            r["kind"].as_str().unwrap_or_default(),
            r["mpr"].as_f64(),
        )
    }))
}

/// `equitas_market(indicator, seq, product, supplier, site, site_country,
/// mode, originator, pack_size, quantity, value, order_date,
/// scheduled_date, delivered_date, country)`: the indicator's settings
/// ([`Indicator::encode`]), then the lists of one group's lines (in any
/// order). Returns the group's rows as a JSON array (a `key` empty), or
/// null where the single node gives none.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct MarketUdf {
    signature: Signature,
}

impl Default for MarketUdf {
    fn default() -> Self {
        MarketUdf {
            signature: Signature::any(1 + LINE.len(), Volatility::Immutable),
        }
    }
}

/// The function, to register in a session or a Ballista function registry.
pub fn udf() -> ScalarUDF {
    ScalarUDF::from(MarketUdf::default())
}

fn invalid(msg: String) -> DataFusionError {
    DataFusionError::Execution(format!("{UDF}: {msg}"))
}

/// Row `i`'s lines, from the lists of [`LINE`], in the store's order.
fn lines(lists: &[ListArray], i: usize) -> datafusion::error::Result<Vec<Observation>> {
    let column = |k: usize, t: &DataType| cast(&lists[k].value(i), t);
    let seq = column(0, &DataType::Int64)?;
    let seq = seq.as_primitive::<Int64Type>();
    let text: Vec<StringArray> = [1, 2, 3, 4, 5, 10, 11, 12, 13]
        .iter()
        .map(|&k| Ok(column(k, &DataType::Utf8)?.as_string::<i32>().clone()))
        .collect::<datafusion::error::Result<_>>()?;
    let num: Vec<Float64Array> = [7, 8, 9]
        .iter()
        .map(|&k| {
            Ok(column(k, &DataType::Float64)?
                .as_primitive::<Float64Type>()
                .clone())
        })
        .collect::<datafusion::error::Result<_>>()?;
    let originator = column(6, &DataType::Boolean)?;
    let originator = originator.as_boolean();
    let t = |a: &StringArray, j: usize| (!a.is_null(j)).then(|| a.value(j).to_string());
    let f = |a: &Float64Array, j: usize| (!a.is_null(j)).then(|| a.value(j));
    let date = |a: &StringArray, j: usize| -> datafusion::error::Result<Option<NaiveDate>> {
        t(a, j)
            .map(|d| {
                NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                    .map_err(|e| invalid(format!("date {d:?}: {e}")))
            })
            .transpose()
    };
    let mut order: Vec<usize> = (0..seq.len()).collect();
    order.sort_by_key(|&j| seq.value(j));
    order
        .into_iter()
        .map(|j| {
            Ok(Observation {
                product: text[0].value(j).to_string(),
                supplier: text[1].value(j).to_string(),
                buyer_country: text[8].value(j).to_string(),
                site: t(&text[2], j),
                site_country: t(&text[3], j),
                mode: t(&text[4], j),
                originator: (!originator.is_null(j)).then(|| originator.value(j)),
                pack_size: f(&num[0], j),
                quantity: num[1].value(j),
                value: f(&num[2], j),
                order_date: date(&text[5], j)?,
                scheduled_date: date(&text[6], j)?,
                delivered_date: date(&text[7], j)?,
            })
        })
        .collect()
}

impl ScalarUDFImpl for MarketUdf {
    fn name(&self) -> &str {
        UDF
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(
        &self,
        args: ScalarFunctionArgs,
    ) -> datafusion::error::Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        if arrays.len() != 1 + LINE.len() {
            return Err(invalid(format!(
                "{} arguments expected, {} given",
                1 + LINE.len(),
                arrays.len()
            )));
        }
        let settings = cast(&arrays[0], &DataType::Utf8)?;
        let settings = settings.as_string::<i32>();
        let lists: Vec<ListArray> = arrays[1..]
            .iter()
            .zip(LINE)
            .map(|(a, name)| {
                a.as_list_opt::<i32>()
                    .cloned()
                    .ok_or_else(|| invalid(format!("{name}: a list expected, {}", a.data_type())))
            })
            .collect::<datafusion::error::Result<_>>()?;
        let mut out = StringBuilder::new();
        // The settings are the same on every row (reference prices may be
        // long): read, and their lookups built, once per batch.
        let mut last: Option<(&str, Indicator)> = None;
        let mut prepared: Option<Prepared> = None;
        for i in 0..lists[0].len() {
            let text = settings.value(i);
            if last.as_ref().is_none_or(|(t, _)| *t != text) {
                prepared = None;
                last = Some((text, Indicator::decode(text).map_err(invalid)?));
            }
            let rows = match &last {
                Some((_, indicator)) => prepared
                    .get_or_insert_with(|| indicator.prepare())
                    .rows(&Dataset::from(lines(&lists, i)?), &[])
                    .map_err(invalid)?,
                None => Vec::new(),
            };
            if rows.is_empty() {
                out.append_null();
            } else {
                out.append_value(serde_json::Value::Array(rows).to_string());
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}
