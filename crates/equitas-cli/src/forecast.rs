//! `equitas forecast` and `equitas forecast accuracy`.

use crate::market::DataFormat;
use crate::output::{Cell, Report};
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use equitas_ledger::calendar;
use equitas_model::LocationLevel;
use equitas_planning::select::{Choice, Evaluation};
use equitas_planning::{Method, accuracy, quantify};
use equitas_store::Store;
use equitas_store::stock::StockData;
use serde::Serialize;

#[derive(Args, Debug, Clone)]
pub struct SeriesArgs {
    /// Forecast for places of this level (areas add up their facilities);
    /// default: the country.
    #[arg(long, default_value = "country")]
    pub level: LocationLevel,
    /// Only these items (GTIN or product code; repeatable).
    #[arg(long = "item", value_name = "GTIN|CODE")]
    pub items: Vec<String>,
    /// Months of history used (ending with the last complete month).
    #[arg(long, default_value_t = 36)]
    pub history: usize,
    #[arg(long, value_enum, default_value_t = DataFormat::Table)]
    pub format: DataFormat,
    /// Rows shown in a table (0: all). CSV and JSON always hold every row.
    #[arg(long, default_value_t = 40)]
    pub limit: usize,
}

#[derive(Args, Debug, Clone)]
pub struct ForecastArgs {
    #[command(flatten)]
    pub series: SeriesArgs,
    /// Months to forecast.
    #[arg(long, default_value_t = 12)]
    pub horizon: usize,
    /// `auto` (rolling-origin choice) or a method: naive, seasonal_naive,
    /// moving_average, ses, holt, damped_holt, holt_winters, theta, croston,
    /// croston_sba, croston_optimized, tsb, adida, imapa.
    #[arg(long, default_value = "auto")]
    pub method: String,
}

#[derive(Subcommand, Debug, Clone)]
pub enum ForecastCommand {
    /// Accuracy of every model and of the automatic choice on the last
    /// months of each series (MASE), against the naive and moving-average
    /// baselines.
    #[command(
        after_help = "Examples:\n  equitas forecast accuracy --level facility\n  equitas forecast accuracy --level district --holdout 3 --format csv"
    )]
    Accuracy {
        #[command(flatten)]
        series: SeriesArgs,
        /// Months held out at the end of each series.
        #[arg(long, default_value_t = 6)]
        holdout: usize,
    },
}

use crate::stock::load;

fn parse_method(m: &str) -> Result<Option<Method>> {
    match m {
        "auto" => Ok(None),
        m => Ok(Some(Method::from_name(m).with_context(|| {
            format!(
                "--method {m:?}: use auto or one of {}",
                Method::ALL.map(|m| m.as_str()).join(", ")
            )
        })?)),
    }
}

fn request(a: &SeriesArgs, horizon: usize) -> quantify::Request {
    quantify::Request {
        level: a.level,
        items: a.items.clone(),
        history: a.history.max(1),
        horizon: horizon.max(1),
        ..quantify::Request::default()
    }
}

#[derive(Serialize)]
struct Row<'a> {
    area: &'a str,
    area_name: &'a str,
    item: &'a str,
    item_name: Option<&'a str>,
    history_from: &'a str,
    history: &'a [f64],
    imputed_months: usize,
    months: Vec<String>,
    #[serde(flatten)]
    choice: &'a Choice,
}

pub fn forecast(store: &mut dyn Store, a: ForecastArgs) -> Result<()> {
    let forced = parse_method(&a.method)?;
    let data = load(store)?;
    let bar = crate::progress::Bar::spinner("forecasting");
    let req = quantify::Request {
        method: forced,
        ..request(&a.series, a.horizon)
    };
    let (q, last) = quantify::quantify(&data.ledger, &data.places, &data.bands, &req)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    bar.finish_and_clear();
    let months: Vec<String> = (1..=req.horizon as i32)
        .map(|k| calendar::format_month(last + k))
        .collect();
    let mut rows = Vec::new();
    let mut table = Vec::new();
    for x in &q {
        let c = &x.choice;
        let score = c
            .scores
            .iter()
            .find(|sc| sc.method == c.method)
            .map(|sc| sc.mase);
        table.push(vec![
            Cell::Text(x.series.area.clone()),
            Cell::Text(x.series.item.clone()),
            Cell::Text(x.series.item_name.clone().unwrap_or_default()),
            Cell::Text(c.method.as_str().into()),
            Cell::Num(score, 2),
            Cell::Text(c.pattern.class.into()),
            Cell::Num(c.mean.first().copied(), 0),
            Cell::Num(c.lower80.first().copied(), 0),
            Cell::Num(c.upper80.first().copied(), 0),
            Cell::Num(Some(c.mean.iter().sum()), 0),
        ]);
        rows.push(Row {
            area: &x.series.area,
            area_name: &x.series.area_name,
            item: &x.series.item,
            item_name: x.series.item_name.as_deref(),
            history_from: &x.series.first_month,
            history: &x.series.values,
            imputed_months: x.series.imputed.iter().filter(|&&i| i).count(),
            months: months.clone(),
            choice: c,
        });
    }
    Report {
        title: "Demand forecasts",
        method: format!(
            "docs/formulas.md 4.1-4.5: monthly consumption adjusted for stockout days and reporting gaps; {}; 80% and 95% intervals from the rolling-origin errors",
            if forced.is_some() { "method as asked" } else { "method chosen per series by rolling-origin MASE (6 origins, up to 3 months)" }
        ),
        period: format!("history to {}, forecast {} to {}", calendar::format_month(last), months[0], months[months.len() - 1]),
        observations: q.len(),
        columns: vec!["area", "item", "product", "method", "mase", "pattern", "next", "low80", "high80", "horizon_total"],
        rows: table,
        footer: vec![],
        data: &rows,
    }
    .print(a.series.format, a.series.limit)
}

pub fn accuracy_report(store: &mut dyn Store, a: SeriesArgs, holdout: usize) -> Result<()> {
    let data = load(store)?;
    let (s, _) = quantify::series(&data.ledger, &data.places, a.level, &a.items, a.history)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let values: Vec<Vec<f64>> = s.into_iter().map(|x| x.values).collect();
    let bar = crate::progress::Bar::spinner(&format!("scoring {} series", values.len()));
    let rows = accuracy::report(&values, holdout.max(1), &Evaluation::default());
    bar.finish_and_clear();
    let table = rows
        .iter()
        .map(|r| {
            vec![
                Cell::Text(r.method.clone()),
                Cell::Int(r.series as i64),
                Cell::Num(r.mean_mase, 3),
                Cell::Num(r.median_mase, 3),
                Cell::Num(r.relative_to_naive, 3),
                Cell::Num(r.relative_to_moving_average, 3),
            ]
        })
        .collect();
    Report {
        title: "Forecast accuracy on held-out months (MASE; lower is better)",
        method: format!(
            "docs/formulas.md 4.3 and 4.6: each series' last {holdout} months held out; models fitted to the months before; auto = the rolling-origin choice made on those months only"
        ),
        period: format!("{} series at level {}", values.len(), a.level),
        observations: values.len(),
        columns: vec!["method", "series", "mean_mase", "median_mase", "vs_naive", "vs_moving_avg"],
        rows: table,
        footer: vec![],
        data: &rows,
    }
    .print(a.format, 0)
}

#[derive(Args, Debug, Clone)]
pub struct PlanArgs {
    #[command(flatten)]
    pub series: SeriesArgs,
    /// Months planned ahead.
    #[arg(long, default_value_t = 18)]
    pub horizon: usize,
    /// Months from placing an order to receiving it.
    #[arg(long, default_value_t = 4)]
    pub lead_time: usize,
    /// Minimum months of stock (default: the band of the place's tier).
    #[arg(long)]
    pub min: Option<f64>,
    /// Maximum months of stock (default: the band of the place's tier).
    #[arg(long)]
    pub max: Option<f64>,
    /// Price per unit, for the cost of the suggested orders.
    #[arg(long)]
    pub unit_price: Option<f64>,
    /// Shipments on their way: CSV with item, place, arrival (YYYY-MM), quantity.
    #[arg(long, value_name = "FILE")]
    pub pipeline: Option<std::path::PathBuf>,
    /// Lead times by item and supplier: CSV with item (blank: all), supplier,
    /// order_months, production_months, transport_months, receipt_months.
    #[arg(long, value_name = "FILE")]
    pub lead_times: Option<std::path::PathBuf>,
    /// Use this supplier's lead times (default: the shortest for each item).
    #[arg(long)]
    pub supplier: Option<String>,
    /// Leave out shipments in transit between locations (EPCIS shipping
    /// events not yet received), which are otherwise counted as pipeline.
    #[arg(long)]
    pub no_transit: bool,
}

#[derive(Args, Debug, Clone)]
pub struct RiskArgs {
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Monte Carlo paths.
    #[arg(long, default_value_t = 1000)]
    pub paths: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Plan as is, without the suggested orders (the risk if nothing is ordered).
    #[arg(long)]
    pub without_orders: bool,
}

/// Reads a planning input file with `parse`; the first bad row is the
/// error, named as imports name them (FILE:LINE: field: reason).
fn planning_file<T>(
    path: &std::path::Path,
    parse: impl FnOnce(&[u8]) -> Result<equitas_model::reference::Parsed<T>, equitas_model::RowError>,
) -> Result<Vec<T>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let file = path.display().to_string();
    let parsed =
        parse(&bytes).map_err(|e| anyhow::anyhow!(crate::commands::row_error_line(&file, &e)))?;
    if let Some(e) = parsed.errors.first() {
        anyhow::bail!(crate::commands::row_error_line(&file, e));
    }
    Ok(parsed.records.into_iter().map(|r| r.1).collect())
}

fn plan_request(
    store: &mut dyn Store,
    data: &StockData,
    a: &PlanArgs,
) -> Result<quantify::Request> {
    let mut pipeline = match &a.pipeline {
        Some(p) => planning_file(p, |b| quantify::parse_pipeline(b))?,
        None => Vec::new(),
    };
    if !a.no_transit
        && let Some(as_of) = data.ledger.through()
    {
        let legs = equitas_store::stock::transit_legs(store)?;
        pipeline.extend(quantify::incoming_from_transit(&legs, &data.places, as_of));
    }
    Ok(quantify::Request {
        lead_time: a.lead_time,
        min_months: a.min,
        max_months: a.max,
        unit_price: a.unit_price,
        pipeline,
        lead_times: match &a.lead_times {
            Some(p) => planning_file(p, |b| equitas_planning::plan::parse_lead_times(b))?,
            None => Vec::new(),
        },
        supplier: a.supplier.clone(),
        ..request(&a.series, a.horizon)
    })
}

pub fn plan(store: &mut dyn Store, a: PlanArgs) -> Result<()> {
    let data = load(store)?;
    let req = plan_request(store, &data, &a)?;
    let bar = crate::progress::Bar::spinner("forecasting and planning");
    let (q, last) = quantify::quantify(&data.ledger, &data.places, &data.bands, &req)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let rows = quantify::plans(&q, last);
    bar.finish_and_clear();
    let table = rows
        .iter()
        .map(|p| {
            let first = p.orders.first();
            vec![
                Cell::Text(p.area.clone()),
                Cell::Text(p.item.clone()),
                Cell::Text(p.item_name.clone().unwrap_or_default()),
                Cell::Num(Some(p.stock_on_hand), 0),
                Cell::Text(first.map_or("-".into(), |o| {
                    format!("{}{}", o.order, if o.details.late { " (late)" } else { "" })
                })),
                Cell::Num(first.map(|o| o.details.quantity), 0),
                Cell::Int(p.orders.len() as i64),
                Cell::Num(Some(p.orders.iter().map(|o| o.details.quantity).sum()), 0),
                Cell::Num(p.cost, 2),
                Cell::Num(Some(p.months.iter().map(|m| m.figures.expiring).sum()), 0),
                Cell::Int(p.months.iter().filter(|m| m.figures.unmet > 1e-9).count() as i64),
            ]
        })
        .collect();
    Report {
        title: "Supply plans: projected stock and suggested orders",
        method: format!(
            "docs/formulas.md 4.7: stock on hand as lots with expiry, the demand forecast (4.4), pipeline shipments; an order arrives when a month would close below the minimum, bringing it to the maximum; lead time {} months",
            req.lead_time
        ),
        period: format!("{} to {}", calendar::format_month(last + 1), calendar::format_month(last + req.horizon as i32)),
        observations: rows.len(),
        columns: vec!["area", "item", "product", "soh", "first_order", "quantity", "orders", "total", "cost", "expiring", "unmet_months"],
        rows: table,
        footer: vec![],
        data: &rows,
    }
    .print(a.series.format, a.series.limit)
}

pub fn risk(store: &mut dyn Store, a: RiskArgs) -> Result<()> {
    let data = load(store)?;
    let delays = equitas_store::market::delivery_delays_months(store)?;
    let req = plan_request(store, &data, &a.plan)?;
    let bar = crate::progress::Bar::spinner(&format!(
        "forecasting, planning and simulating {} paths",
        a.paths
    ));
    let (q, last) = quantify::quantify(&data.ledger, &data.places, &data.bands, &req)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let rows = quantify::risks(&q, last, &delays, a.paths.max(1), a.seed, !a.without_orders);
    bar.finish_and_clear();
    let table = rows
        .iter()
        .map(|r| {
            let first = r
                .probability
                .iter()
                .position(|&p| p >= 0.5)
                .map_or("-".into(), |k| r.months[k].clone());
            vec![
                Cell::Text(r.area.clone()),
                Cell::Text(r.item.clone()),
                Cell::Text(r.item_name.clone().unwrap_or_default()),
                Cell::Pct(Some(r.max_6)),
                Cell::Pct(Some(r.max_all)),
                Cell::Text(first),
                Cell::Pct(r.probability.first().copied()),
                Cell::Pct(r.probability.get(2).copied()),
                Cell::Pct(r.probability.get(5).copied()),
            ]
        })
        .collect();
    Report {
        title: "Stockout risk: probability of unmet demand by month, highest first",
        method: format!(
            "docs/formulas.md 4.8: {} Monte Carlo paths (seed {}), demand drawn around the forecast, {}; {}",
            a.paths,
            a.seed,
            if delays.is_empty() { "no delivery delays known (deliveries on time)".to_string() } else { format!("deliveries delayed as {} observed procurement deliveries", delays.len()) },
            if a.without_orders { "without the suggested orders" } else { "with the suggested orders of the supply plan (4.7)" }
        ),
        period: format!("{} to {}", calendar::format_month(last + 1), calendar::format_month(last + req.horizon as i32)),
        observations: rows.len(),
        columns: vec!["area", "item", "product", "max_6_months", "max_all_months", "first_50pct", "month_1", "month_3", "month_6"],
        rows: table,
        footer: vec![],
        data: &rows,
    }
    .print(a.plan.series.format, a.plan.series.limit)
}
