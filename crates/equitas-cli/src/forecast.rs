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
