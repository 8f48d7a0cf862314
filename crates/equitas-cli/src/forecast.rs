//! `equitas forecast` and `equitas forecast accuracy`.

use crate::market::DataFormat;
use crate::output::{Cell, Report};
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use equitas_ledger::calendar;
use equitas_model::LocationLevel;
use equitas_planning::select::{Choice, Evaluation, choose_all};
use equitas_planning::series::{DemandSeries, demand_series, last_complete_month};
use equitas_planning::{Method, accuracy};
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

fn load(store: &mut dyn Store) -> Result<StockData> {
    let bar = crate::progress::Bar::spinner("building the stock ledger");
    let data = equitas_store::stock::load(store).context("cannot read the stock data")?;
    bar.finish_and_clear();
    Ok(data)
}

fn series(data: &StockData, a: &SeriesArgs) -> Result<Vec<DemandSeries>> {
    let Some(last) = last_complete_month(&data.ledger) else {
        bail!("no stock data: capture EPCIS events or import stock reports first");
    };
    let level = (a.level != LocationLevel::Warehouse).then_some(a.level);
    let level = if a.level == LocationLevel::Facility {
        None
    } else {
        level
    };
    let mut s = demand_series(
        &data.ledger,
        &data.places,
        level,
        &a.items,
        last,
        a.history.max(1),
    );
    if a.level == LocationLevel::Facility {
        s.retain(|x| {
            data.places
                .get(&x.area)
                .is_some_and(|p| p.level == Some(LocationLevel::Facility))
        });
    }
    if s.is_empty() {
        bail!("no demand series for these items at this level");
    }
    Ok(s)
}

#[derive(Serialize)]
struct Row<'a> {
    area: &'a str,
    area_name: &'a str,
    item: &'a str,
    history_from: &'a str,
    history: &'a [f64],
    imputed_months: usize,
    months: Vec<String>,
    #[serde(flatten)]
    choice: &'a Choice,
}

pub fn forecast(store: &mut dyn Store, a: ForecastArgs) -> Result<()> {
    let forced = match a.method.as_str() {
        "auto" => None,
        m => Some(Method::from_name(m).with_context(|| {
            format!(
                "--method {m:?}: use auto or one of {}",
                Method::ALL.map(|m| m.as_str()).join(", ")
            )
        })?),
    };
    let data = load(store)?;
    let s = series(&data, &a.series)?;
    let e = Evaluation::default();
    let bar = crate::progress::Bar::spinner(&format!("forecasting {} series", s.len()));
    let values: Vec<&[f64]> = s.iter().map(|x| x.values.as_slice()).collect();
    let choices = choose_all(&values, a.horizon.max(1), &e, forced);
    bar.finish_and_clear();
    let last = last_complete_month(&data.ledger).unwrap_or_default();
    let months: Vec<String> = (1..=a.horizon.max(1) as i32)
        .map(|k| calendar::format_month(last + k))
        .collect();
    let mut rows = Vec::new();
    let mut table = Vec::new();
    for (x, c) in s.iter().zip(&choices) {
        let Some(c) = c else { continue };
        let score = c
            .scores
            .iter()
            .find(|sc| sc.method == c.method)
            .map(|sc| sc.mase);
        table.push(vec![
            Cell::Text(x.area.clone()),
            Cell::Text(x.item.clone()),
            Cell::Text(c.method.as_str().into()),
            Cell::Num(score, 2),
            Cell::Text(c.pattern.class.into()),
            Cell::Num(c.mean.first().copied(), 0),
            Cell::Num(c.lower80.first().copied(), 0),
            Cell::Num(c.upper80.first().copied(), 0),
            Cell::Num(Some(c.mean.iter().sum()), 0),
        ]);
        rows.push(Row {
            area: &x.area,
            area_name: &x.area_name,
            item: &x.item,
            history_from: &x.first_month,
            history: &x.values,
            imputed_months: x.imputed.iter().filter(|&&i| i).count(),
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
        observations: s.len(),
        columns: vec!["area", "item", "method", "mase", "pattern", "next", "low80", "high80", "horizon_total"],
        rows: table,
        footer: vec![],
        data: &rows,
    }
    .print(a.series.format, (a.series.limit > 0).then_some(a.series.limit))
}

pub fn accuracy_report(store: &mut dyn Store, a: SeriesArgs, holdout: usize) -> Result<()> {
    let data = load(store)?;
    let s = series(&data, &a)?;
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
    .print(a.format, None)
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

/// One place and item made ready for planning.
struct Planned {
    series: DemandSeries,
    choice: Choice,
    input: equitas_planning::plan::PlanInput,
}

fn pipeline_file(path: &std::path::Path) -> Result<Vec<(String, String, i32, f64)>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut r = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let h = r.headers()?.clone();
    let col = |n: &str| {
        h.iter()
            .position(|x| x.trim().eq_ignore_ascii_case(n))
            .with_context(|| format!("{}: no column {n:?} (need item, place, arrival, quantity)", path.display()))
    };
    let (ci, cp, ca, cq) = (col("item")?, col("place")?, col("arrival")?, col("quantity")?);
    let mut out = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let line = i + 2;
        let rec = rec.with_context(|| format!("{}:{line}: unreadable", path.display()))?;
        let get = |c: usize| rec.get(c).unwrap_or("").trim().to_string();
        let m = calendar::parse_month(&get(ca))
            .with_context(|| format!("{}:{line}: arrival: {:?} is not YYYY-MM", path.display(), get(ca)))?;
        let q: f64 = get(cq)
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v >= 0.0)
            .with_context(|| format!("{}:{line}: quantity: {:?} is not a non-negative number", path.display(), get(cq)))?;
        out.push((get(ci), get(cp), m, q));
    }
    Ok(out)
}

fn prepare(data: &StockData, a: &PlanArgs) -> Result<(Vec<Planned>, i32)> {
    let s = series(data, &a.series)?;
    let last = last_complete_month(&data.ledger).unwrap_or_default();
    let horizon = a.horizon.max(1);
    let values: Vec<&[f64]> = s.iter().map(|x| x.values.as_slice()).collect();
    let bar = crate::progress::Bar::spinner(&format!("forecasting {} series", s.len()));
    let choices = choose_all(&values, horizon, &Evaluation::default(), None);
    bar.finish_and_clear();
    let pipeline = match &a.pipeline {
        Some(p) => pipeline_file(p)?,
        None => Vec::new(),
    };
    let as_of = data.ledger.through();
    let mut out = Vec::new();
    for (x, c) in s.into_iter().zip(choices) {
        let Some(c) = c else { continue };
        let lots: Vec<(f64, Option<usize>)> = equitas_ledger::view::lots(
            &data.ledger,
            &data.places,
            Some(&x.area),
            std::slice::from_ref(&x.item),
            as_of,
            None,
        )
        .into_iter()
        .filter_map(|l| {
            let expiry = l.expiry.as_deref().and_then(calendar::parse_day).map(calendar::month_of);
            match expiry {
                Some(m) if m <= last => None,
                Some(m) => Some((l.quantity, Some((m - last) as usize))),
                None => Some((l.quantity, None)),
            }
        })
        .collect();
        let tier = if a.series.level == LocationLevel::Facility {
            equitas_ledger::view::Tier::Facility
        } else {
            equitas_ledger::view::Tier::Area
        };
        let (bmin, bmax) = data.bands.get(&x.item, tier);
        let sigma = c.upper95.iter().zip(&c.mean).map(|(u, m)| (u - m).max(0.0) / equitas_planning::select::Z95).collect();
        let pipe = pipeline
            .iter()
            .filter(|p| p.0 == x.item && p.1 == x.area && p.2 > last)
            .map(|p| ((p.2 - last) as usize, p.3))
            .filter(|p| p.0 <= horizon)
            .collect();
        let input = equitas_planning::plan::PlanInput {
            lots,
            demand: c.mean.clone(),
            sigma,
            pipeline: pipe,
            min_months: a.min.unwrap_or(bmin),
            max_months: a.max.unwrap_or(bmax),
            lead_time: a.lead_time,
            unit_price: a.unit_price,
        };
        out.push(Planned { series: x, choice: c, input });
    }
    Ok((out, last))
}

#[derive(Serialize)]
struct PlanRow<'a> {
    area: &'a str,
    item: &'a str,
    method: &'a str,
    stock_on_hand: f64,
    min_months: f64,
    max_months: f64,
    lead_time: usize,
    orders: Vec<serde_json::Value>,
    months: Vec<serde_json::Value>,
    cost: Option<f64>,
}

pub fn plan(store: &mut dyn Store, a: PlanArgs) -> Result<()> {
    let data = load(store)?;
    let (planned, last) = prepare(&data, &a)?;
    let label = |k: usize| calendar::format_month(last + k as i32);
    let mut rows = Vec::new();
    let mut table = Vec::new();
    for p in &planned {
        let (months, orders) = equitas_planning::plan::plan(&p.input);
        let soh: f64 = p.input.lots.iter().map(|l| l.0).sum();
        let cost = if orders.is_empty() { Some(0.0) } else { orders.iter().map(|o| o.cost).sum::<Option<f64>>() };
        let unmet = months.iter().filter(|m| m.unmet > 1e-9).count();
        let expiring: f64 = months.iter().map(|m| m.expiring).sum();
        table.push(vec![
            Cell::Text(p.series.area.clone()),
            Cell::Text(p.series.item.clone()),
            Cell::Num(Some(soh), 0),
            Cell::Text(orders.first().map_or("-".into(), |o| format!("{}{}", label(o.order_month), if o.late { " (late)" } else { "" }))),
            Cell::Num(orders.first().map(|o| o.quantity), 0),
            Cell::Int(orders.len() as i64),
            Cell::Num(Some(orders.iter().map(|o| o.quantity).sum()), 0),
            Cell::Num(cost, 2),
            Cell::Num(Some(expiring), 0),
            Cell::Int(unmet as i64),
        ]);
        rows.push(PlanRow {
            area: &p.series.area,
            item: &p.series.item,
            method: p.choice.method.as_str(),
            stock_on_hand: soh,
            min_months: p.input.min_months,
            max_months: p.input.max_months,
            lead_time: p.input.lead_time,
            orders: orders
                .iter()
                .map(|o| serde_json::json!({"order": label(o.order_month), "arrival": label(o.arrival_month), "quantity": o.quantity, "cost": o.cost, "late": o.late}))
                .collect(),
            months: months
                .iter()
                .map(|m| serde_json::json!({"month": label(m.month), "opening": m.opening, "pipeline": m.pipeline, "planned": m.planned, "demand": m.demand, "expiring": m.expiring, "closing": m.closing, "unmet": m.unmet, "months_of_stock": m.months_of_stock}))
                .collect(),
            cost,
        });
    }
    Report {
        title: "Supply plans: projected stock and suggested orders",
        method: format!(
            "docs/formulas.md 4.7: stock on hand as lots with expiry, the demand forecast (4.4), pipeline shipments; an order arrives when a month would close below the minimum, bringing it to the maximum; lead time {} months",
            a.lead_time
        ),
        period: format!("{} to {}", label(1), label(a.horizon.max(1))),
        observations: planned.len(),
        columns: vec!["area", "item", "soh", "first_order", "quantity", "orders", "total", "cost", "expiring", "unmet_months"],
        rows: table,
        footer: vec![],
        data: &rows,
    }
    .print(a.series.format, (a.series.limit > 0).then_some(a.series.limit))
}

/// Observed delivery delays in months (procurement data), for the risk.
fn delays(store: &mut dyn Store) -> Result<Vec<f64>> {
    let obs = equitas_store::market::observations(store, &equitas_store::market::Filter::default())?;
    Ok(obs
        .iter()
        .filter_map(|o| Some((o.delivered_date? - o.scheduled_date?).num_days()))
        .map(|d| d as f64 / equitas_ledger::indicators::DAYS_PER_MONTH)
        .collect())
}

#[derive(Serialize)]
struct RiskRow<'a> {
    area: &'a str,
    item: &'a str,
    method: &'a str,
    max_6: f64,
    max_18: f64,
    months: Vec<String>,
    probability: Vec<f64>,
}

pub fn risk(store: &mut dyn Store, a: RiskArgs) -> Result<()> {
    let data = load(store)?;
    let delays = delays(store)?;
    let (planned, last) = prepare(&data, &a.plan)?;
    use rayon::prelude::*;
    let bar = crate::progress::Bar::spinner(&format!("simulating {} paths for {} series", a.paths, planned.len()));
    let probs: Vec<Vec<f64>> = planned
        .par_iter()
        .map(|p| {
            let orders = if a.without_orders { Vec::new() } else { equitas_planning::plan::plan(&p.input).1 };
            equitas_planning::plan::stockout_risk(&p.input, &orders, &delays, a.paths, a.seed)
        })
        .collect();
    bar.finish_and_clear();
    let months: Vec<String> = (1..=a.plan.horizon.max(1) as i32).map(|k| calendar::format_month(last + k)).collect();
    let mut rows: Vec<RiskRow> = planned
        .iter()
        .zip(&probs)
        .map(|(p, pr)| RiskRow {
            area: &p.series.area,
            item: &p.series.item,
            method: p.choice.method.as_str(),
            max_6: pr.iter().take(6).cloned().fold(0.0, f64::max),
            max_18: pr.iter().cloned().fold(0.0, f64::max),
            months: months.clone(),
            probability: pr.clone(),
        })
        .collect();
    rows.sort_by(|x, y| y.max_6.total_cmp(&x.max_6).then(y.max_18.total_cmp(&x.max_18)).then(x.area.cmp(y.area)).then(x.item.cmp(y.item)));
    let table = rows
        .iter()
        .map(|r| {
            let first = r.probability.iter().position(|&p| p >= 0.5).map_or("-".into(), |k| r.months[k].clone());
            vec![
                Cell::Text(r.area.to_string()),
                Cell::Text(r.item.to_string()),
                Cell::Pct(Some(r.max_6)),
                Cell::Pct(Some(r.max_18)),
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
        period: format!("{} to {}", months[0], months[months.len() - 1]),
        observations: rows.len(),
        columns: vec!["area", "item", "max_6_months", "max_18_months", "first_50pct", "month_1", "month_3", "month_6"],
        rows: table,
        footer: vec![],
        data: &rows,
    }
    .print(a.plan.series.format, (a.plan.series.limit > 0).then_some(a.plan.series.limit))
}
