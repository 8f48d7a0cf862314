//! `equitas scenario ...`: disruption scenarios (issue 21): the operations
//! of `equitas_service::scenario`, from a scenario file (TOML or JSON), each
//! output stating its method, assumptions and sources.

use crate::op_args::{OpArgs, run};
use crate::output::{Cell, Output, Report};
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use equitas_service::Head;
use equitas_service::scenario::{Allocation, Compare, Countries, Nodes, Projection, Run};
use equitas_store::Store;
use serde_json::Value;
use std::path::PathBuf;

#[derive(Subcommand, Debug, Clone)]
pub enum ScenarioCommand {
    /// What a scenario does to each buying country × product: exposure,
    /// time to survive, to recover and to qualify an alternative, gap,
    /// stockout date, unmet demand, probability of a stockout.
    #[command(
        after_help = "Examples:\n  equitas scenario run data/examples/scenario-largest-producer.toml\n  equitas scenario run my-scenario.json --format csv\n  equitas scenario run   (manufacturing in the largest producing country stops for six months)"
    )]
    Run {
        /// The scenario file (TOML, or JSON); without one, --scenario or the default.
        file: Option<PathBuf>,
        #[command(flatten)]
        args: OpArgs<Run>,
        #[command(flatten)]
        out: Output,
    },
    /// The scenario per buying country: products touched and short, the
    /// largest gap, the first stockout, unmet demand.
    #[command(
        after_help = "Example:\n  equitas scenario countries data/examples/scenario-largest-producer.toml"
    )]
    Countries {
        file: Option<PathBuf>,
        #[command(flatten)]
        args: OpArgs<Countries>,
        #[command(flatten)]
        out: Output,
    },
    /// One country × product month by month under the scenario: demand,
    /// supply, stock with and without the shock, unmet demand.
    #[command(
        after_help = "Example:\n  equitas scenario projection data/examples/scenario-largest-producer.toml --country NGA --product nevirapine-200mg-tablet"
    )]
    Projection {
        file: Option<PathBuf>,
        #[command(flatten)]
        args: OpArgs<Projection>,
        #[command(flatten)]
        out: Output,
    },
    /// Every site, manufacturer and producing country stopped in turn,
    /// ranked by the unmet demand it causes.
    #[command(after_help = "Example:\n  equitas scenario nodes --format csv")]
    Nodes {
        file: Option<PathBuf>,
        #[command(flatten)]
        args: OpArgs<Nodes>,
        #[command(flatten)]
        out: Output,
    },
    /// The scenario's mitigations, each against the same scenario.
    #[command(
        after_help = "Example:\n  equitas scenario compare data/examples/scenario-largest-producer.toml"
    )]
    Compare {
        file: Option<PathBuf>,
        #[command(flatten)]
        args: OpArgs<Compare>,
        #[command(flatten)]
        out: Output,
    },
    /// Scarce spare capacity shared pro rata, by order date or by need:
    /// unmet demand per income group under each rule.
    #[command(
        after_help = "Example:\n  equitas scenario allocation data/examples/scenario-largest-producer.toml"
    )]
    Allocation {
        file: Option<PathBuf>,
        #[command(flatten)]
        args: OpArgs<Allocation>,
        #[command(flatten)]
        out: Output,
    },
}

/// The file's content as the `scenario` parameter.
fn with_file<O: equitas_service::Described>(
    file: &Option<PathBuf>,
    args: &OpArgs<O>,
) -> Result<OpArgs<O>> {
    let mut a = args.clone();
    if let Some(f) = file {
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("cannot read the scenario {}", f.display()))?;
        if !a.set("scenario", text) {
            bail!("give the scenario as FILE or --scenario, not both");
        }
    }
    Ok(a)
}

/// Runs operation `O` on the scenario of FILE (named in any error) or of
/// the options.
fn run_scenario<O: equitas_service::Operation>(
    store: &mut dyn Store,
    file: &Option<PathBuf>,
    args: &OpArgs<O>,
    busy: &str,
) -> Result<equitas_service::Answer<O::Row>> {
    let r = run(store, &with_file(file, args)?, busy);
    match file {
        Some(f) => r.with_context(|| format!("the scenario {}", f.display())),
        None => r,
    }
}

fn strings(h: &Head, key: &str) -> Vec<String> {
    h.extra
        .get(key)
        .and_then(Value::as_array)
        .map(|v| {
            v.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn report<'a, T: serde::Serialize>(
    title: &'a str,
    h: &Head,
    columns: Vec<&'static str>,
    rows: Vec<Vec<Cell>>,
    notes: &[String],
    data: T,
) -> Report<'a, T> {
    let mut footer: Vec<String> = notes.to_vec();
    footer.push(format!(
        "Assumptions: {}",
        strings(h, "assumptions").join("; ")
    ));
    footer.push(format!("Sources: {}", strings(h, "sources").join("; ")));
    Report {
        title,
        method: h.method_text(),
        period: format!(
            "scenario \"{}\" from {}",
            h.extra
                .get("scenario")
                .and_then(Value::as_str)
                .unwrap_or(""),
            h.extra.get("start").and_then(Value::as_str).unwrap_or("?")
        ),
        observations: 0,
        columns,
        rows,
        footer,
        data,
    }
}

fn text(s: &str) -> Cell {
    s.to_string().into()
}

pub fn run_command(store: &mut dyn Store, cmd: &ScenarioCommand) -> Result<()> {
    match cmd {
        ScenarioCommand::Run { file, args, out } => {
            let a = run_scenario(store, file, args, "running the scenario")?;
            let table = a
                .rows
                .iter()
                .map(|r| {
                    vec![
                        text(&r.country),
                        text(&r.product),
                        Cell::Pct(Some(r.exposure)),
                        Cell::Num(r.time_to_survive_months, 1),
                        Cell::Num(Some(r.time_to_recover_months), 1),
                        Cell::Num(r.time_to_qualify_months, 1),
                        text(&r.alternative),
                        Cell::Num(Some(r.gap_months), 1),
                        text(&r.stockout_date.map_or("-".into(), |d| d.to_string())),
                        Cell::Num(Some(r.months_short), 2),
                        Cell::Num(Some(r.unmet), 0),
                        Cell::Pct(Some(r.probability_of_stockout)),
                        Cell::Num(Some(r.expected_unmet), 0),
                        Cell::Num(Some(r.unmet_p95), 0),
                        text(&r.assumptions.join("; ")),
                    ]
                })
                .collect();
            let untouched = a.head.extra.get("untouched").and_then(Value::as_u64);
            let mut notes = a.notes.clone();
            notes.push(format!(
                "{} country × product pairs touched, {} untouched.",
                a.rows.len(),
                untouched.unwrap_or(0)
            ));
            report(
                "Disruption scenario: who runs out of what, when",
                &a.head,
                vec![
                    "country",
                    "product",
                    "exposure",
                    "TTS months",
                    "TTR months",
                    "TTQ months",
                    "alternative",
                    "gap months",
                    "stockout",
                    "months short",
                    "unmet",
                    "P(stockout)",
                    "expected unmet",
                    "unmet p95",
                    "assumptions",
                ],
                table,
                &notes,
                &a.rows,
            )
            .print(out)
        }
        ScenarioCommand::Countries { file, args, out } => {
            let a = run_scenario(store, file, args, "running the scenario")?;
            let table = a
                .rows
                .iter()
                .map(|r| {
                    vec![
                        text(&r.country),
                        text(r.income_group.as_deref().unwrap_or("-")),
                        Cell::Int(r.products as i64),
                        Cell::Int(r.products_short as i64),
                        Cell::Num(Some(r.max_gap_months), 1),
                        text(&r.first_stockout.map_or("-".into(), |d| d.to_string())),
                        Cell::Num(Some(r.unmet), 0),
                        Cell::Num(r.unmet_courses, 0),
                    ]
                })
                .collect();
            report(
                "Disruption scenario by buying country",
                &a.head,
                vec![
                    "country",
                    "income group",
                    "products",
                    "products short",
                    "max gap months",
                    "first stockout",
                    "unmet",
                    "unmet courses",
                ],
                table,
                &a.notes,
                &a.rows,
            )
            .print(out)
        }
        ScenarioCommand::Projection { file, args, out } => {
            let a = run_scenario(store, file, args, "running the scenario")?;
            let table = a
                .rows
                .iter()
                .map(|m| {
                    vec![
                        Cell::Int(m.month as i64),
                        Cell::Num(Some(m.demand), 0),
                        Cell::Num(Some(m.supply), 0),
                        Cell::Num(Some(m.alternative), 0),
                        Cell::Num(Some(m.stock), 0),
                        Cell::Num(Some(m.stock_without), 0),
                        Cell::Num(Some(m.unmet), 0),
                    ]
                })
                .collect();
            let pair = format!(
                "{} × {}",
                a.head
                    .extra
                    .get("country")
                    .and_then(Value::as_str)
                    .unwrap_or("?"),
                a.head
                    .extra
                    .get("product")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
            );
            let mut notes = a.notes.clone();
            notes.push(format!(
                "Pair: {pair}; month 1 is the first month from the start."
            ));
            report(
                "Projection under the scenario",
                &a.head,
                vec![
                    "month",
                    "demand",
                    "supply",
                    "alternative",
                    "stock",
                    "stock without the shock",
                    "unmet",
                ],
                table,
                &notes,
                &a.rows,
            )
            .print(out)
        }
        ScenarioCommand::Nodes { file, args, out } => {
            let a = run_scenario(store, file, args, "stopping every node in turn")?;
            let table = a
                .rows
                .iter()
                .map(|r| {
                    vec![
                        Cell::Int(r.rank as i64),
                        text(&r.kind),
                        text(&r.node),
                        Cell::Int(r.pairs as i64),
                        Cell::Int(r.countries_short as i64),
                        Cell::Num(Some(r.unmet), 0),
                        Cell::Num(r.min_time_to_survive_months, 1),
                        Cell::Num(Some(r.exposed_per_month), 0),
                    ]
                })
                .collect();
            report(
                "Node ranking: unmet demand when each node stops",
                &a.head,
                vec![
                    "rank",
                    "kind",
                    "node",
                    "pairs",
                    "countries short",
                    "unmet",
                    "min TTS months",
                    "units a month through it",
                ],
                table,
                &a.notes,
                &a.rows,
            )
            .print(out)
        }
        ScenarioCommand::Compare { file, args, out } => {
            let a = run_scenario(store, file, args, "comparing mitigations")?;
            let table = a
                .rows
                .iter()
                .map(|r| {
                    vec![
                        text(&r.mitigation),
                        text(&r.kind),
                        Cell::Num(Some(r.unmet_without), 0),
                        Cell::Num(Some(r.unmet_with), 0),
                        Cell::Num(Some(r.reduction), 0),
                        Cell::Pct(r.reduction_share),
                        Cell::Int(r.countries_benefiting as i64),
                        text(
                            &r.beneficiaries
                                .iter()
                                .map(|b| format!("{} {} {}", b.country, b.product, b.reduction))
                                .collect::<Vec<_>>()
                                .join("; "),
                        ),
                        Cell::Num(r.cost, 0),
                        Cell::Num(r.cost_per_unit_averted, 2),
                    ]
                })
                .collect();
            report(
                "Mitigations against the same scenario",
                &a.head,
                vec![
                    "mitigation",
                    "kind",
                    "unmet without",
                    "unmet with",
                    "reduction",
                    "reduction %",
                    "countries helped",
                    "helped most",
                    "cost",
                    "cost per unit averted",
                ],
                table,
                &a.notes,
                &a.rows,
            )
            .print(out)
        }
        ScenarioCommand::Allocation { file, args, out } => {
            let a = run_scenario(store, file, args, "comparing allocation rules")?;
            let table = a
                .rows
                .iter()
                .map(|r| {
                    vec![
                        text(r.rule.as_str()),
                        text(&r.income_group),
                        Cell::Int(r.countries as i64),
                        Cell::Num(Some(r.requested_per_month), 0),
                        Cell::Num(Some(r.allocated_per_month), 0),
                        Cell::Num(Some(r.demand_at_risk), 0),
                        Cell::Num(Some(r.unmet), 0),
                        Cell::Pct(Some(r.unmet_share)),
                        Cell::Pct(Some(r.disparity)),
                    ]
                })
                .collect();
            report(
                "Spare capacity shared: unmet demand by income group under each rule",
                &a.head,
                vec![
                    "rule",
                    "income group",
                    "countries",
                    "asked a month",
                    "allocated a month",
                    "demand at risk",
                    "unmet",
                    "unmet %",
                    "disparity",
                ],
                table,
                &a.notes,
                &a.rows,
            )
            .print(out)
        }
    }
}
