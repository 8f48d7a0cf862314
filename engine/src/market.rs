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
    ConcentrationBands, Dataset, Dim, Observation, Weight, concentration_table, delivery, prices,
};
use std::collections::BTreeMap;
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
        if c.is_empty() || c.contains(['/', '\\', '=']) || c.starts_with('.') {
            return Err(EngineError::Invalid(format!(
                "procurement: buyer country {c:?} cannot name a directory"
            )));
        }
        let dir = out.join(PROCUREMENT).join(format!("country={c}"));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|source| EngineError::Io {
                path: dir.clone(),
                source,
            })?;
        }
        std::fs::create_dir_all(&dir).map_err(|source| EngineError::Io {
            path: dir.clone(),
            source,
        })?;
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
        }
    }

    /// [`Indicator::encode`]'s inverse.
    fn decode(s: &str) -> Result<Indicator, String> {
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

    /// The rows of `dims`' groups, as the single node computes them, each
    /// as JSON.
    fn rows(&self, ds: &Dataset, dims: &[Dim]) -> Result<Vec<serde_json::Value>, String> {
        let json = |v: Result<serde_json::Value, serde_json::Error>| v.map_err(|e| e.to_string());
        match self {
            Indicator::Concentration { by, weight, bands } => {
                concentration_table(ds, dims, *by, *weight, bands)
                    .iter()
                    .map(|r| json(serde_json::to_value(r)))
                    .collect()
            }
            Indicator::Prices => prices(ds, dims)
                .iter()
                .map(|r| json(serde_json::to_value(r)))
                .collect(),
            Indicator::Delivery { tolerance_days } => delivery(ds, dims, *tolerance_days)
                .iter()
                .map(|r| json(serde_json::to_value(r)))
                .collect(),
        }
    }
}

/// What is computed: one row per group of `per`.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub per: Vec<Dim>,
    pub indicator: Indicator,
}

impl Request {
    /// Per product, as `equitas market`.
    pub fn per_product(indicator: Indicator) -> Request {
        Request {
            per: vec![Dim::Product],
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

/// The columns of a procurement line the function reads, in its order.
const LINE: [&str; 13] = [
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
            let mut v: serde_json::Value = serde_json::from_str(rows.value(i))
                .map_err(|e| EngineError::Invalid(format!("{UDF} gave {e}")))?;
            if let Some(o) = v.as_object_mut() {
                o.insert("key".to_string(), serde_json::json!(key));
            }
            out.push((key, v));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out.into_iter().map(|(_, v)| v).collect())
}

/// `equitas_market(indicator, seq, product, supplier, site, site_country,
/// mode, originator, pack_size, quantity, value, order_date,
/// scheduled_date, delivered_date)`: the indicator's settings
/// ([`Indicator::encode`]), then the lists of one group's lines (in any
/// order). Returns the group's row as JSON (its `key` empty), or null where
/// the single node gives no row.
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
    let text: Vec<StringArray> = [1, 2, 3, 4, 5, 10, 11, 12]
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
                buyer_country: String::new(),
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
        for i in 0..lists[0].len() {
            let indicator = Indicator::decode(settings.value(i)).map_err(invalid)?;
            let ds = Dataset::from(lines(&lists, i)?);
            match indicator.rows(&ds, &[]).map_err(invalid)?.first() {
                Some(v) => out.append_value(v.to_string()),
                None => out.append_null(),
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}
