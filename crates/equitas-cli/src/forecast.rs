//! `equitas forecast` (and `forecast accuracy`), `equitas plan` and
//! `equitas risk`: the operations of `equitas_service::planning`, printed.

use crate::op_args::{OpArgs, run};
use crate::output::{Cell, Output, Report};
use anyhow::Result;
use clap::Subcommand;
use equitas_planning::quantify;
use equitas_service::Head;
use equitas_service::planning::{Forecast, ForecastAccuracy, LeadTimes, Pipeline, Plan, Risk};
use equitas_store::Store;

#[derive(Subcommand, Debug, Clone)]
pub enum ForecastCommand {
    /// Accuracy of every model and of the automatic choice on the last
    /// months of each series (MASE, RMSSE, coverage of the 80% and 95%
    /// intervals), against the naive and moving-average baselines.
    #[command(
        after_help = "Examples:\n  equitas forecast accuracy --level facility\n  equitas forecast accuracy --level district --holdout 3 --format csv"
    )]
    Accuracy {
        #[command(flatten)]
        args: OpArgs<ForecastAccuracy>,
        #[command(flatten)]
        out: Output,
    },
}

#[derive(Subcommand, Debug, Clone)]
pub enum PlanCommand {
    /// The lead times imported (`equitas import lead-times`), as plans and
    /// risks use them: months to order, produce, transport and receive, by
    /// item and supplier.
    #[command(
        name = "lead-times",
        after_help = "Examples:\n  equitas plan lead-times\n  equitas plan lead-times --item SYN-003 --supplier 'Supplier B (illustrative)'"
    )]
    LeadTimes {
        #[command(flatten)]
        args: OpArgs<LeadTimes>,
        #[command(flatten)]
        out: Output,
    },
    /// The shipments expected from suppliers, as imported (`equitas import
    /// pipeline`), as plans and risks count them.
    #[command(
        after_help = "Examples:\n  equitas plan pipeline\n  equitas plan pipeline --within R01 --format csv"
    )]
    Pipeline {
        #[command(flatten)]
        args: OpArgs<Pipeline>,
        #[command(flatten)]
        out: Output,
    },
}

/// How many rows a forecast, a plan or a risk prints.
#[derive(clap::Args, Debug, Clone)]
pub struct ByMonth {
    /// One row per month of each series, its figures month by month,
    /// rather than one row per series (for a spreadsheet: with --format
    /// csv). JSON always holds every month.
    #[arg(long)]
    pub by_month: bool,
}

/// Whether an order is late (placed now, arriving after a month below the
/// minimum, 4.7): its own column, so that a spreadsheet reads the month
/// beside it as a month.
fn late(o: Option<&quantify::NamedOrder>) -> Cell {
    Cell::Maybe(o.map(|o| if o.details.late { "yes" } else { "no" }.to_string()))
}

/// The first columns of every row: the series, and the area a store is
/// planned as (formulas 4.1).
fn series_cells(
    area: &str,
    item: &str,
    name: &Option<String>,
    served: &Option<String>,
) -> Vec<Cell> {
    vec![
        Cell::Text(area.to_string()),
        Cell::Text(item.to_string()),
        Cell::Text(name.clone().unwrap_or_default()),
        Cell::Maybe(served.clone()),
    ]
}

fn period(h: &Head) -> String {
    h.extra
        .get("period")
        .and_then(|v| v.as_str())
        .unwrap_or("-")
        .to_string()
}

/// A plan's or a risk's period, with the day stock on hand is counted on
/// (the end of the as-of month, or the data's last day if earlier).
fn period_and_stock_day(h: &Head) -> String {
    match &h.as_of {
        Some(day) => format!("{}; stock on hand on {day}", period(h)),
        None => period(h),
    }
}

/// The report of a forecast's, a plan's or a risk's answer, a row observed
/// per series; the `served` column (4.1) only where a row has one (stores).
fn series_report<'a, R: serde::Serialize>(
    a: &'a equitas_service::Answer<R>,
    title: &'a str,
    period: String,
    mut columns: Vec<&'static str>,
    mut rows: Vec<Vec<Cell>>,
) -> Report<'a, &'a Vec<R>> {
    let served = columns.iter().position(|&c| c == "served");
    if let Some(k) = served
        && rows
            .iter()
            .all(|r| matches!(r.get(k), Some(Cell::Maybe(None))))
    {
        columns.remove(k);
        rows.iter_mut().for_each(|r| {
            r.remove(k);
        });
    }
    Report::answer(a, title, period, (a.rows.len(), "series"), columns, rows)
}

pub fn forecast(
    store: &mut dyn Store,
    args: &OpArgs<Forecast>,
    by: &ByMonth,
    out: &Output,
) -> Result<()> {
    let a = run(store, args, "forecasting")?;
    let (columns, table) = if by.by_month {
        let rows = a
            .rows
            .iter()
            .flat_map(|x| {
                let c = &x.forecast;
                x.months.iter().enumerate().map(move |(k, month)| {
                    let mut r = series_cells(&x.area, &x.item, &x.item_name, &x.served);
                    r.push(Cell::Text(month.clone()));
                    for v in [&c.mean, &c.lower80, &c.upper80, &c.lower95, &c.upper95] {
                        r.push(Cell::Num(v.get(k).copied(), 0));
                    }
                    r
                })
            })
            .collect();
        let columns = vec![
            "area", "item", "product", "served", "month", "forecast", "low80", "high80", "low95",
            "high95",
        ];
        (columns, rows)
    } else {
        let rows = a
            .rows
            .iter()
            .map(|x| {
                let c = &x.forecast;
                let methods: Vec<&str> = c.combined.iter().map(|m| m.as_str()).collect();
                let mut r = series_cells(&x.area, &x.item, &x.item_name, &x.served);
                r.extend([
                    Cell::Text(methods.join("+")),
                    Cell::Num(c.backtest_rmsse, 2),
                    Cell::Text(c.pattern.class.into()),
                    Cell::Num(c.mean.first().copied(), 0),
                    Cell::Num(c.lower80.first().copied(), 0),
                    Cell::Num(c.upper80.first().copied(), 0),
                    Cell::Num(Some(c.mean.iter().sum()), 0),
                ]);
                r
            })
            .collect();
        let columns = vec![
            "area",
            "item",
            "product",
            "served",
            "method",
            "rmsse",
            "pattern",
            "next",
            "low80",
            "high80",
            "horizon_total",
        ];
        (columns, rows)
    };
    series_report(&a, "Demand forecasts", period(&a.head), columns, table).print(out)
}

pub fn accuracy(
    store: &mut dyn Store,
    args: &OpArgs<ForecastAccuracy>,
    out: &Output,
) -> Result<()> {
    let a = run(store, args, "scoring the series")?;
    let table = a
        .rows
        .iter()
        .map(|r| {
            vec![
                Cell::Text(r.method.clone()),
                Cell::Int(r.series as i64),
                Cell::Num(r.mean_mase, 3),
                Cell::Num(r.median_mase, 3),
                Cell::Num(r.mean_rmsse, 3),
                Cell::Num(r.mean_spl, 3),
                Cell::Num(r.coverage80, 3),
                Cell::Num(r.coverage95, 3),
                Cell::Num(r.relative_to_naive, 3),
                Cell::Num(r.relative_to_moving_average, 3),
            ]
        })
        .collect();
    let series = a
        .head
        .extra
        .get("series")
        .and_then(|v| v.as_u64())
        .unwrap_or(0);
    // The choice's row counts the series scored.
    let scored = a.rows.last().map_or(0, |r| r.series);
    Report {
        title: "Forecast accuracy on held-out months (MASE, RMSSE, scaled pinball loss of the intervals: lower is better; coverage of the 80% and 95% intervals)",
        method: a.head.method_text(),
        period: format!("{scored} of {series} series scored"),
        observations: scored,
        observed: "series scored",
        columns: vec![
            "method",
            "series",
            "mean_mase",
            "median_mase",
            "mean_rmsse",
            "mean_spl",
            "cover80",
            "cover95",
            "vs_naive",
            "vs_moving_avg",
        ],
        rows: table,
        footer: a.notes.clone(),
        data: &a.rows,
    }
    .print(&Output {
        limit: 0,
        ..out.clone()
    })
}

pub fn lead_times(store: &mut dyn Store, args: &OpArgs<LeadTimes>, out: &Output) -> Result<()> {
    let a = run(store, args, "")?;
    let table = a
        .rows
        .iter()
        .map(|r| {
            vec![
                Cell::Text(r.item.clone().unwrap_or_else(|| "(every item)".into())),
                Cell::Maybe(r.name.clone()),
                Cell::Text(r.supplier.clone()),
                Cell::Num(Some(r.order_months), 2),
                Cell::Num(Some(r.production_months), 2),
                Cell::Num(Some(r.transport_months), 2),
                Cell::Num(Some(r.receipt_months), 2),
                Cell::Num(Some(r.total_months), 2),
                Cell::Int(r.months as i64),
            ]
        })
        .collect();
    Report::answer(
        &a,
        "Lead times imported, in months, by item and supplier",
        "as imported last".to_string(),
        (a.rows.len(), "lead times"),
        vec![
            "item",
            "name",
            "supplier",
            "order",
            "production",
            "transport",
            "receipt",
            "total",
            "months counted",
        ],
        table,
    )
    .print(out)
}

pub fn pipeline(store: &mut dyn Store, args: &OpArgs<Pipeline>, out: &Output) -> Result<()> {
    let a = run(store, args, "")?;
    let table = a
        .rows
        .iter()
        .map(|r| {
            vec![
                Cell::Text(r.item.clone()),
                Cell::Maybe(r.name.clone()),
                Cell::Text(r.place.clone()),
                Cell::Maybe(r.place_name.clone()),
                Cell::Text(r.arrival.clone()),
                Cell::Num(Some(r.quantity), 0),
            ]
        })
        .collect();
    Report::answer(
        &a,
        "Shipments expected (pipeline imported)",
        // Months as YYYY-MM sort as they run.
        match (
            a.rows.iter().map(|r| &r.arrival).min(),
            a.rows.iter().map(|r| &r.arrival).max(),
        ) {
            (Some(first), Some(last)) if first == last => format!("arriving in {first}"),
            (Some(first), Some(last)) => format!("arriving {first} to {last}"),
            _ => "none expected".to_string(),
        },
        (a.rows.len(), "shipments"),
        vec!["item", "name", "place", "place name", "arrival", "quantity"],
        table,
    )
    .print(out)
}

pub fn plan(store: &mut dyn Store, args: &OpArgs<Plan>, by: &ByMonth, out: &Output) -> Result<()> {
    let a = run(store, args, "forecasting and planning")?;
    if by.by_month {
        let table = a
            .rows
            .iter()
            .flat_map(|p| {
                p.months.iter().map(move |m| {
                    let f = &m.figures;
                    // Orders placed this month, and what they bring when.
                    let placed: Vec<&quantify::NamedOrder> =
                        p.orders.iter().filter(|o| o.order == m.month).collect();
                    let mut r = series_cells(&p.area, &p.item, &p.item_name, &p.served);
                    r.extend([
                        Cell::Text(m.month.clone()),
                        Cell::Num(Some(f.opening), 0),
                        Cell::Num(Some(f.pipeline), 0),
                        Cell::Num(Some(f.planned), 0),
                        Cell::Num(Some(f.demand), 0),
                        Cell::Num(Some(f.expiring), 0),
                        Cell::Num(Some(f.unmet), 0),
                        Cell::Num(Some(f.closing), 0),
                        Cell::Num(f.months_of_stock, 1),
                        Cell::Num(Some(p.min_months), 1),
                        Cell::Num(Some(p.max_months), 1),
                        Cell::Num(
                            (!placed.is_empty())
                                .then(|| placed.iter().map(|o| o.details.quantity).sum()),
                            0,
                        ),
                        Cell::Maybe(placed.first().map(|o| o.arrival.clone())),
                        late(placed.first().copied()),
                    ]);
                    r
                })
            })
            .collect();
        return series_report(
            &a,
            "Supply plans, month by month: projected stock and suggested orders",
            period_and_stock_day(&a.head),
            vec![
                "area",
                "item",
                "product",
                "served",
                "month",
                "opening",
                "pipeline",
                "planned",
                "demand",
                "expiring",
                "unmet",
                "closing",
                "months_of_stock",
                "min_months",
                "max_months",
                "order_placed",
                "order_arrives",
                "late",
            ],
            table,
        )
        .print(out);
    }
    let table = a
        .rows
        .iter()
        .map(|p| {
            let first = p.orders.first();
            let mut r = series_cells(&p.area, &p.item, &p.item_name, &p.served);
            r.extend([
                Cell::Num(Some(p.stock_on_hand), 0),
                Cell::Int(p.lead_time as i64),
                Cell::Maybe(first.map(|o| o.order.clone())),
                late(first),
                Cell::Num(first.map(|o| o.details.quantity), 0),
                Cell::Int(p.orders.len() as i64),
                Cell::Num(Some(p.orders.iter().map(|o| o.details.quantity).sum()), 0),
                Cell::Num(p.cost, 2),
                Cell::Num(Some(p.months.iter().map(|m| m.figures.expiring).sum()), 0),
                Cell::Int(p.months.iter().filter(|m| m.figures.unmet > 1e-9).count() as i64),
            ]);
            r
        })
        .collect();
    series_report(
        &a,
        "Supply plans: projected stock and suggested orders",
        period_and_stock_day(&a.head),
        vec![
            "area",
            "item",
            "product",
            "served",
            "soh",
            "lead_months",
            "first_order",
            "late",
            "quantity",
            "orders",
            "total",
            "cost",
            "expiring",
            "unmet_months",
        ],
        table,
    )
    .print(out)
}

pub fn risk(store: &mut dyn Store, args: &OpArgs<Risk>, by: &ByMonth, out: &Output) -> Result<()> {
    let a = run(store, args, "forecasting, planning and simulating")?;
    if by.by_month {
        let table = a
            .rows
            .iter()
            .flat_map(|r| {
                r.months.iter().zip(&r.probability).map(move |(m, p)| {
                    let mut row = series_cells(&r.area, &r.item, &r.item_name, &r.served);
                    row.extend([Cell::Text(m.clone()), Cell::Pct(Some(*p))]);
                    row
                })
            })
            .collect();
        return series_report(
            &a,
            "Stockout risk, month by month: probability of unmet demand",
            period_and_stock_day(&a.head),
            vec!["area", "item", "product", "served", "month", "probability"],
            table,
        )
        .print(out);
    }
    let table = a
        .rows
        .iter()
        .map(|r| {
            let first = r
                .probability
                .iter()
                .position(|&p| p >= 0.5)
                .map(|k| r.months[k].clone());
            let mut row = series_cells(&r.area, &r.item, &r.item_name, &r.served);
            row.extend([
                Cell::Pct(Some(r.max_6)),
                Cell::Pct(Some(r.max_all)),
                Cell::Maybe(first),
                Cell::Pct(r.probability.first().copied()),
                Cell::Pct(r.probability.get(2).copied()),
                Cell::Pct(r.probability.get(5).copied()),
            ]);
            row
        })
        .collect();
    series_report(
        &a,
        "Stockout risk: probability of unmet demand by month, highest first",
        period_and_stock_day(&a.head),
        vec![
            "area",
            "item",
            "product",
            "served",
            "max_6_months",
            "max_all_months",
            "first_50pct",
            "month_1",
            "month_3",
            "month_6",
        ],
        table,
    )
    .print(out)
}
