//! Market concentration across countries on the engine (docs/formulas.md
//! 2.2, 2.8): the procurement lines of every country exported to Parquet
//! (`procurement/country=XSY/part-0.parquet`), grouped by the scope asked
//! for (product by default) in SQL, and each group's concentration
//! computed by a scalar function, `equitas_concentration`, that calls
//! `equitas_market::analysis::concentration_table`, the single node's own
//! code, on the group's lines in their original order.
//!
//! Invariant: the engine's rows equal `concentration_table` over the same
//! lines, every figure to the bit (the lines of a group are summed in the
//! order the store gave them, whichever engine partition they came from).

use crate::EngineError;
use crate::export::write_parquet;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, BooleanBuilder, Float64Array, Float64Builder,
    Int64Array, Int64Builder, ListArray, StringArray, StringBuilder, StructArray,
};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, Field, Fields, Float64Type, Int64Type, Schema, SchemaRef,
};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::ListingOptions;
use datafusion::error::DataFusionError;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::SessionContext;
use equitas_market::analysis::{
    ConcentrationBands, ConcentrationRow, Dataset, Dim, Observation, Weight, concentration_table,
};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

/// The dataset's directory under the export root.
pub const PROCUREMENT: &str = "procurement";
/// The scalar function's name in SQL.
pub const UDF: &str = "equitas_concentration";

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

/// What the concentration is of: one row per group of `per`, shares of
/// `by` weighted by `weight`, banded by `bands`.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub per: Vec<Dim>,
    pub by: Dim,
    pub weight: Weight,
    pub bands: ConcentrationBands,
}

impl Default for Request {
    /// As `equitas market concentration`: per product, by supplier, by value.
    fn default() -> Self {
        Request {
            per: vec![Dim::Product],
            by: Dim::Supplier,
            weight: Weight::Value,
            bands: ConcentrationBands::default(),
        }
    }
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
                "--per year: not computed on the engine (use `equitas market concentration`)"
                    .to_string(),
            ));
        }
    })
}

/// The concentration SQL over the registered `procurement` table.
pub fn sql(r: &Request) -> Result<String, EngineError> {
    if !matches!(r.by, Dim::Supplier | Dim::Site | Dim::SiteCountry) {
        return Err(EngineError::Invalid(format!(
            "--by {}: shares of supplier, site or site-country",
            r.by.as_str()
        )));
    }
    let mut keys = Vec::new();
    for (i, d) in r.per.iter().enumerate() {
        keys.push(format!("{} AS k{i}", column(*d)?));
    }
    let group: Vec<String> = (0..r.per.len()).map(|i| format!("k{i}")).collect();
    let thresholds: Vec<String> = r.bands.thresholds.iter().map(|t| t.to_string()).collect();
    let select = if keys.is_empty() {
        String::new()
    } else {
        format!("{}, ", keys.join(", "))
    };
    let by = if group.is_empty() {
        String::new()
    } else {
        format!("GROUP BY {}", group.join(", "))
    };
    Ok(format!(
        "SELECT {select}{UDF}(array_agg(seq), array_agg(supplier), array_agg(site),
    array_agg(site_country), array_agg(value), array_agg(pack_size), array_agg(quantity),
    '{}', '{}', '{}') AS c
FROM {PROCUREMENT} {by}",
        r.by.as_str(),
        match r.weight {
            Weight::Value => "value",
            Weight::Quantity => "quantity",
        },
        thresholds.join(",")
    ))
}

/// Registers the exported procurement lines under `root` as the table
/// `procurement` of `ctx` (partition column `country`).
pub async fn register(ctx: &SessionContext, root: &Path) -> Result<(), EngineError> {
    let root = std::path::absolute(root).map_err(|source| EngineError::Io {
        path: root.to_path_buf(),
        source,
    })?;
    let dir = root.join(PROCUREMENT);
    if !dir.is_dir() {
        return Err(EngineError::Invalid(format!(
            "{}: no such directory (run `equitas-engine export` first; exports before 2026-12-06 have no procurement lines)",
            dir.display()
        )));
    }
    let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
        .with_file_extension(".parquet")
        .with_table_partition_cols(vec![("country".to_string(), DataType::Utf8)]);
    ctx.deregister_table(PROCUREMENT)?;
    ctx.register_listing_table(
        PROCUREMENT,
        &format!("{}/", dir.display()),
        options,
        Some(procurement_schema()),
        None,
    )
    .await?;
    Ok(())
}

/// The concentration rows computed by the engine behind `ctx` over the
/// export under `root`, in key order (as `concentration_table`).
pub async fn compute(
    ctx: &SessionContext,
    root: &Path,
    r: &Request,
) -> Result<Vec<ConcentrationRow>, EngineError> {
    let sql = sql(r)?;
    register(ctx, root).await?;
    let batches = ctx.sql(&sql).await?.collect().await?;
    let mut out = Vec::new();
    for b in &batches {
        out.extend(batch_rows(b, r)?);
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

fn batch_rows(b: &RecordBatch, r: &Request) -> Result<Vec<ConcentrationRow>, EngineError> {
    let n = r.per.len();
    let keys: Vec<ArrayRef> = (0..n)
        .map(|i| cast(b.column(i), &DataType::Utf8).map_err(DataFusionError::from))
        .collect::<Result<_, _>>()?;
    let c = b.column(n).as_struct_opt().ok_or_else(|| {
        EngineError::Invalid(format!(
            "concentration column: a struct expected, {}",
            b.column(n).data_type()
        ))
    })?;
    let int = |k: usize| c.column(k).as_primitive::<Int64Type>();
    let num = |k: usize| c.column(k).as_primitive::<Float64Type>();
    let text = |k: usize| c.column(k).as_string::<i32>();
    let flag = |k: usize| c.column(k).as_boolean();
    let mut out = Vec::new();
    for i in 0..b.num_rows() {
        if c.is_null(i) {
            continue;
        }
        out.push(ConcentrationRow {
            key: keys
                .iter()
                .map(|k| k.as_string::<i32>().value(i).to_string())
                .collect(),
            by: r.by,
            weight: r.weight,
            n: int(0).value(i) as usize,
            groups: int(1).value(i) as usize,
            hhi: num(2).value(i),
            effective_number: num(3).value(i),
            top: text(4).value(i).to_string(),
            top_share: num(5).value(i),
            band: text(6).value(i).to_string(),
            single_source: flag(7).value(i),
            single_country: flag(8).value(i),
        });
    }
    Ok(out)
}

/// The function's result fields, those of [`ConcentrationRow`] but the key.
pub fn fields() -> Fields {
    Fields::from(vec![
        Field::new("n", DataType::Int64, false),
        Field::new("groups", DataType::Int64, false),
        Field::new("hhi", DataType::Float64, false),
        Field::new("effective_number", DataType::Float64, false),
        Field::new("top", DataType::Utf8, false),
        Field::new("top_share", DataType::Float64, false),
        Field::new("band", DataType::Utf8, false),
        Field::new("single_source", DataType::Boolean, false),
        Field::new("single_country", DataType::Boolean, false),
    ])
}

/// `equitas_concentration(seq, supplier, site, site_country, value,
/// pack_size, quantity, by, weight, thresholds)`: the first seven lists of
/// one group's lines (in any order), then the dimension shared (`supplier`,
/// `site`, `site-country`), the weight (`value`, `quantity`) and the band
/// thresholds (comma-separated). Null where no line has a positive weight.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ConcentrationUdf {
    signature: Signature,
}

impl Default for ConcentrationUdf {
    fn default() -> Self {
        ConcentrationUdf {
            signature: Signature::any(10, Volatility::Immutable),
        }
    }
}

/// The function, to register in a session or a Ballista function registry.
pub fn udf() -> ScalarUDF {
    ScalarUDF::from(ConcentrationUdf::default())
}

fn invalid(msg: String) -> DataFusionError {
    DataFusionError::Execution(format!("{UDF}: {msg}"))
}

impl ScalarUDFImpl for ConcentrationUdf {
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
            seq,
            supplier,
            site,
            site_country,
            value,
            pack,
            quantity,
            by,
            weight,
            bands,
        ] = &arrays[..]
        else {
            return Err(invalid(format!(
                "10 arguments expected, {} given",
                arrays.len()
            )));
        };
        let lists = |a: &ArrayRef, what: &str| -> datafusion::error::Result<ListArray> {
            a.as_list_opt::<i32>()
                .cloned()
                .ok_or_else(|| invalid(format!("{what}: a list expected, {}", a.data_type())))
        };
        let seq = lists(seq, "seq")?;
        let supplier = lists(supplier, "supplier")?;
        let site = lists(site, "site")?;
        let site_country = lists(site_country, "site_country")?;
        let value = lists(value, "value")?;
        let pack = lists(pack, "pack_size")?;
        let quantity = lists(quantity, "quantity")?;
        let text = |a: &ArrayRef| -> datafusion::error::Result<StringArray> {
            Ok(cast(a, &DataType::Utf8)?.as_string::<i32>().clone())
        };
        let (by, weight, bands) = (text(by)?, text(weight)?, text(bands)?);
        let rows = seq.len();
        let mut results: Vec<Option<ConcentrationRow>> = Vec::with_capacity(rows);
        for i in 0..rows {
            let by: Dim = by.value(i).parse().map_err(invalid)?;
            let weight: Weight = weight.value(i).parse().map_err(invalid)?;
            let thresholds = bands
                .value(i)
                .split(',')
                .map(|t| t.trim().parse::<f64>())
                .collect::<Result<Vec<f64>, _>>()
                .map_err(|e| invalid(format!("band thresholds {:?}: {e}", bands.value(i))))?;
            let bands = ConcentrationBands::from_thresholds(thresholds).map_err(invalid)?;
            let s = cast(&seq.value(i), &DataType::Int64)?;
            let s = s.as_primitive::<Int64Type>();
            let txt = |l: &ListArray| -> datafusion::error::Result<StringArray> {
                Ok(cast(&l.value(i), &DataType::Utf8)?
                    .as_string::<i32>()
                    .clone())
            };
            let num = |l: &ListArray| -> datafusion::error::Result<Float64Array> {
                Ok(cast(&l.value(i), &DataType::Float64)?
                    .as_primitive::<Float64Type>()
                    .clone())
            };
            let (sup, st, sc) = (txt(&supplier)?, txt(&site)?, txt(&site_country)?);
            let (v, p, q) = (num(&value)?, num(&pack)?, num(&quantity)?);
            let opt_t = |a: &StringArray, j: usize| (!a.is_null(j)).then(|| a.value(j).to_string());
            let opt_f = |a: &Float64Array, j: usize| (!a.is_null(j)).then(|| a.value(j));
            // The lines in the store's order: the single node's sums.
            let mut order: Vec<usize> = (0..s.len()).collect();
            order.sort_by_key(|&j| s.value(j));
            let obs: Vec<Observation> = order
                .into_iter()
                .map(|j| Observation {
                    product: String::new(),
                    supplier: sup.value(j).to_string(),
                    buyer_country: String::new(),
                    site: opt_t(&st, j),
                    site_country: opt_t(&sc, j),
                    mode: None,
                    originator: None,
                    pack_size: opt_f(&p, j),
                    quantity: q.value(j),
                    value: opt_f(&v, j),
                    order_date: None,
                    scheduled_date: None,
                    delivered_date: None,
                })
                .collect();
            let ds = Dataset::from(obs);
            results.push(
                concentration_table(&ds, &[], by, weight, &bands)
                    .into_iter()
                    .next(),
            );
        }
        let mut n = Vec::with_capacity(rows);
        let mut groups = Vec::with_capacity(rows);
        let mut hhi = Vec::with_capacity(rows);
        let mut eff = Vec::with_capacity(rows);
        let mut top = Vec::with_capacity(rows);
        let mut share = Vec::with_capacity(rows);
        let mut band = Vec::with_capacity(rows);
        let mut single_source = Vec::with_capacity(rows);
        let mut single_country = Vec::with_capacity(rows);
        let mut valid = Vec::with_capacity(rows);
        for r in &results {
            let d = ConcentrationRow {
                key: Vec::new(),
                by: Dim::Supplier,
                weight: Weight::Value,
                n: 0,
                groups: 0,
                hhi: 0.0,
                effective_number: 0.0,
                top: String::new(),
                top_share: 0.0,
                band: String::new(),
                single_source: false,
                single_country: false,
            };
            let x = r.as_ref().unwrap_or(&d);
            n.push(x.n as i64);
            groups.push(x.groups as i64);
            hhi.push(x.hhi);
            eff.push(x.effective_number);
            top.push(x.top.clone());
            share.push(x.top_share);
            band.push(x.band.clone());
            single_source.push(x.single_source);
            single_country.push(x.single_country);
            valid.push(r.is_some());
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(n)),
            Arc::new(Int64Array::from(groups)),
            Arc::new(Float64Array::from(hhi)),
            Arc::new(Float64Array::from(eff)),
            Arc::new(StringArray::from(top)),
            Arc::new(Float64Array::from(share)),
            Arc::new(StringArray::from(band)),
            Arc::new(BooleanArray::from(single_source)),
            Arc::new(BooleanArray::from(single_country)),
        ];
        let out = StructArray::try_new(fields(), columns, Some(NullBuffer::from(valid)))?;
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}

/// Concentration rows as CSV (the scope's dimensions first, figures
/// unrounded).
pub fn to_csv(rows: &[ConcentrationRow], r: &Request) -> String {
    let mut s = String::new();
    for d in &r.per {
        let _ = write!(s, "{},", d.as_str());
    }
    s.push_str("by,weight,lines,groups,hhi,effective_number,top,top_share,band,single_source,single_country\n");
    for x in rows {
        for k in &x.key {
            let _ = write!(s, "{},", crate::figures::csv_field(k));
        }
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{}",
            x.by.as_str(),
            match x.weight {
                Weight::Value => "value",
                Weight::Quantity => "quantity",
            },
            x.n,
            x.groups,
            x.hhi,
            x.effective_number,
            crate::figures::csv_field(&x.top),
            x.top_share,
            crate::figures::csv_field(&x.band),
            x.single_source,
            x.single_country
        );
    }
    s
}
