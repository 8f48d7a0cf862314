//! `equitas supply ...`: supply security (issue 20): the operations of
//! `equitas_service::supply`, printed with names for codes, each stating
//! its method, period and sources.

use crate::op_args::{OpArgs, run};
use crate::output::{Cell, Output, head_report as report, named};
use anyhow::Result;
use clap::Subcommand;
use equitas_service::supply::{
    Concentration, Dependence, Licences, Match, QualifiedSources, Reach, Regional, Regulators,
    SingleSource, SupplyMap,
};
use equitas_store::Store;
use equitas_supply::Tier;
use serde_json::Value;

#[derive(Subcommand, Debug, Clone)]
pub enum SupplyCommand {
    /// Concentration at every tier (manufacturer, site, producing country,
    /// ingredient country) per product, its weakest tier, single-source and
    /// single-country products.
    #[command(
        after_help = "Examples:\n  equitas supply concentration --programme hiv\n  equitas supply concentration --by-country --product efavirenz-600mg-tablet --format csv"
    )]
    Concentration {
        #[command(flatten)]
        args: OpArgs<Concentration>,
        #[command(flatten)]
        out: Output,
    },
    /// The supply map: each product's weight by manufacturer, site and
    /// producing country.
    #[command(
        after_help = "Example:\n  equitas supply map --product efavirenz-600mg-tablet\n  equitas supply map --by-country --country NGA --format csv"
    )]
    Map {
        #[command(flatten)]
        args: OpArgs<SupplyMap>,
        #[command(flatten)]
        out: Output,
    },
    /// Product types of the WHO prequalification list made by a single
    /// manufacturer, with the products per responsible authority.
    #[command(
        after_help = "Example:\n  equitas import who-pq-vaccines prequalified_vaccines.csv\n  equitas supply single-source --format json"
    )]
    SingleSource {
        #[command(flatten)]
        args: OpArgs<SingleSource>,
        #[command(flatten)]
        out: Output,
    },
    /// Qualified manufacturers per product type against the range held to
    /// sustain a market (default 3 to 5).
    #[command(after_help = "Example:\n  equitas supply qualified-sources --rule 3,5")]
    QualifiedSources {
        #[command(flatten)]
        args: OpArgs<QualifiedSources>,
        #[command(flatten)]
        out: Output,
    },
    /// Regulatory reach: the sources authorised for each product in each
    /// country, whether an alternative is authorised, and if not the
    /// fastest pathway's typical time to authorise one.
    #[command(
        after_help = "Example:\n  equitas import authorisations kenya-ma.csv\n  equitas import regulators regulators.csv\n  equitas supply reach --country KEN --on 2026-01-01"
    )]
    Reach {
        #[command(flatten)]
        args: OpArgs<Reach>,
        #[command(flatten)]
        out: Output,
    },
    /// The share of each WHO region's procurement produced inside the region.
    #[command(after_help = "Example:\n  equitas supply regional --programme hiv")]
    Regional {
        #[command(flatten)]
        args: OpArgs<Regional>,
        #[command(flatten)]
        out: Output,
    },
    /// Each buying country's dependence on each producing country.
    #[command(after_help = "Example:\n  equitas supply dependence --country NGA --format csv")]
    Dependence {
        #[command(flatten)]
        args: OpArgs<Dependence>,
        #[command(flatten)]
        out: Output,
    },
    /// Regional manufacturing matchmaking: per WHO region and product, the
    /// demand, what is made in the region, the regional producers and
    /// licences; priority gaps first.
    #[command(
        after_help = "Example:\n  equitas import supply-sites sites.csv\n  equitas import licences licences.csv\n  equitas supply match --programme hiv\n  equitas supply match --weight quantity   (capacity against yearly demand)"
    )]
    Match {
        #[command(flatten)]
        args: OpArgs<Match>,
        #[command(flatten)]
        out: Output,
    },
    /// The regulators register: GBT maturity level and year, WLA status,
    /// reliance pathways and their typical days to authorise.
    #[command(
        after_help = "Example:\n  equitas import regulators regulators.csv\n  equitas supply regulators --country ZAF"
    )]
    Regulators {
        #[command(flatten)]
        args: OpArgs<Regulators>,
        #[command(flatten)]
        out: Output,
    },
    /// The licences register: technology transfers and licences, their
    /// programme, territory, dates and status.
    #[command(
        after_help = "Example:\n  equitas import licences licences.csv\n  equitas supply licences --country KEN\n  equitas supply licences --programme c-tap --format json"
    )]
    Licences {
        #[command(flatten)]
        args: OpArgs<Licences>,
        #[command(flatten)]
        out: Output,
    },
}

fn yes(b: bool) -> Cell {
    if b { "yes" } else { "no" }.to_string().into()
}

fn authorities(m: &std::collections::BTreeMap<String, usize>) -> Cell {
    m.iter()
        .map(|(a, n)| format!("{a}: {n}"))
        .collect::<Vec<_>>()
        .join("; ")
        .into()
}

pub fn run_command(store: &mut dyn Store, cmd: &SupplyCommand) -> Result<()> {
    match cmd {
        SupplyCommand::Concentration { args, out } => {
            let by_country = args.args()?.flag("by_country")?;
            let a = run(store, args, "")?;
            let mut columns = vec!["product"];
            if by_country {
                columns.push("country");
            }
            columns.extend([
                "n",
                "HHI manufacturer",
                "HHI site",
                "HHI country",
                "HHI ingredient",
                "top country",
                "weakest",
                "band",
                "single source",
                "single country",
            ]);
            let table = a
                .rows
                .iter()
                .map(|r| {
                    let row = &r.row;
                    let mut v: Vec<Cell> = vec![named(&a.head, "product", &row.key[0])];
                    if by_country {
                        v.push(named(&a.head, "country", &row.key[1]));
                    }
                    v.push(Cell::Int(row.n as i64));
                    for t in Tier::ALL {
                        v.push(Cell::Num(row.tier(t).map(|c| c.hhi), 0));
                    }
                    v.push(
                        row.tier(Tier::Country)
                            .map_or(Cell::Maybe(None), |c| named(&a.head, "country", &c.top)),
                    );
                    v.push(row.weakest.as_str().to_string().into());
                    v.push(r.band.clone().into());
                    v.push(yes(row.single_source));
                    v.push(yes(row.single_country));
                    v
                })
                .collect();
            report(
                "Supply concentration at every tier",
                &a.head,
                columns,
                table,
                a.notes.clone(),
                &a.rows,
            )
            .print(out)
        }
        SupplyCommand::Map { args, out } => {
            let by_country = args.args()?.flag("by_country")?;
            let a = run(store, args, "")?;
            let mut columns = vec!["product"];
            if by_country {
                columns.push("country");
            }
            columns.extend([
                "manufacturer",
                "site",
                "producing country",
                "weight",
                "share",
            ]);
            let opt = |field: &str, v: &Option<String>| -> Cell {
                v.as_ref()
                    .map_or(Cell::Maybe(None), |c| named(&a.head, field, c))
            };
            let table = a
                .rows
                .iter()
                .map(|r| {
                    let mut v: Vec<Cell> = vec![named(&a.head, "product", &r.key[0])];
                    if by_country {
                        v.push(named(&a.head, "country", &r.key[1]));
                    }
                    v.extend([
                        opt("manufacturer", &r.manufacturer),
                        opt("site", &r.site),
                        opt("country", &r.country),
                        Cell::Num(Some(r.weight), 0),
                        Cell::Pct(Some(r.share)),
                    ]);
                    v
                })
                .collect();
            report(
                "Supply map",
                &a.head,
                columns,
                table,
                a.notes.clone(),
                &a.rows,
            )
            .print(out)
        }
        SupplyCommand::SingleSource { args, out } => {
            let a = run(store, args, "")?;
            let table = a
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.product_type.clone().into(),
                        r.manufacturer.clone().into(),
                        Cell::Int(r.products as i64),
                        authorities(&r.authorities),
                    ]
                })
                .collect();
            let mut footer = a.notes.clone();
            if let Some(Value::Object(m)) = a.head.extra.get("by_authority") {
                footer.push("Their products per responsible authority:".into());
                for (k, n) in m {
                    footer.push(format!("  {k}: {n}"));
                }
            }
            report(
                "Single-source product types (WHO prequalification)",
                &a.head,
                vec!["product type", "manufacturer", "products", "authorities"],
                table,
                footer,
                &a.rows,
            )
            .print(out)
        }
        SupplyCommand::QualifiedSources { args, out } => {
            let a = run(store, args, "")?;
            let table = a
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.product_type.clone().into(),
                        Cell::Int(r.manufacturers.len() as i64),
                        Cell::Int(r.products as i64),
                        r.rule.as_str().to_string().into(),
                        r.manufacturers.join("; ").into(),
                    ]
                })
                .collect();
            report(
                "Qualified sources per product type (WHO prequalification)",
                &a.head,
                vec![
                    "product type",
                    "sources",
                    "products",
                    "rule",
                    "manufacturers",
                ],
                table,
                a.notes.clone(),
                &a.rows,
            )
            .print(out)
        }
        SupplyCommand::Reach { args, out } => {
            let a = run(store, args, "")?;
            let table = a
                .rows
                .iter()
                .map(|r| {
                    vec![
                        named(&a.head, "country", &r.country),
                        named(&a.head, "product", &r.product),
                        Cell::Int(r.sources as i64),
                        r.rule.as_str().to_string().into(),
                        yes(r.alternative),
                        r.pathway.clone().unwrap_or_else(|| "-".into()).into(),
                        Cell::Num(r.days_to_authorise.map(f64::from), 0),
                    ]
                })
                .collect();
            let mut r = report(
                "Regulatory reach",
                &a.head,
                vec![
                    "country",
                    "product",
                    "sources",
                    "rule",
                    "alternative",
                    "fastest pathway",
                    "days",
                ],
                table,
                a.notes.clone(),
                &a.rows,
            );
            if let Some(on) = a.head.on {
                r.period = format!("authorisations valid on {on}");
            }
            r.print(out)
        }
        SupplyCommand::Regional { args, out } => {
            let a = run(store, args, "")?;
            let table = a
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.region.clone().into(),
                        Cell::Num(Some(r.total), 0),
                        Cell::Num(Some(r.in_region), 0),
                        Cell::Pct(r.share_in_region),
                        Cell::Pct(Some(r.unknown_share)),
                    ]
                })
                .collect();
            report(
                "Share of each region's procurement produced in the region",
                &a.head,
                vec!["region", "total", "in region", "share in region", "unknown"],
                table,
                a.notes.clone(),
                &a.rows,
            )
            .print(out)
        }
        SupplyCommand::Dependence { args, out } => {
            let a = run(store, args, "")?;
            let table = a
                .rows
                .iter()
                .map(|r| {
                    vec![
                        named(&a.head, "country", &r.country),
                        named(&a.head, "country", &r.producer),
                        Cell::Num(Some(r.weight), 0),
                        Cell::Pct(Some(r.share)),
                        Cell::Pct(Some(r.unknown_share)),
                    ]
                })
                .collect();
            report(
                "Dependence of buying countries on producing countries",
                &a.head,
                vec!["country", "producing country", "weight", "share", "unknown"],
                table,
                a.notes.clone(),
                &a.rows,
            )
            .print(out)
        }
        SupplyCommand::Match { args, out } => {
            let a = run(store, args, "")?;
            let table = a
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.region.clone().into(),
                        named(&a.head, "product", &r.product),
                        Cell::Num(Some(r.demand), 0),
                        Cell::Num(Some(r.uncovered), 0),
                        Cell::Int(r.producers.len() as i64),
                        Cell::Int(r.qualified_producers.len() as i64),
                        r.capacity.join("; ").into(),
                        r.capacity_cover
                            .as_ref()
                            .map_or("-".to_string(), |c| {
                                format!("{:.2}-{:.2} ({}s/year)", c.cover_min, c.cover_max, c.unit)
                            })
                            .into(),
                        Cell::Int(r.licences.len() as i64),
                        yes(r.priority),
                    ]
                })
                .collect();
            report(
                "Regional manufacturing matchmaking",
                &a.head,
                vec![
                    "region",
                    "product",
                    "demand",
                    "uncovered",
                    "producers",
                    "qualified",
                    "capacity",
                    "capacity / demand",
                    "licences",
                    "priority",
                ],
                table,
                a.notes.clone(),
                &a.rows,
            )
            .print(out)
        }
        SupplyCommand::Regulators { args, out } => {
            let a = run(store, args, "")?;
            let table = a
                .rows
                .iter()
                .map(|r| {
                    vec![
                        named(&a.head, "country", &r.country),
                        r.authority.clone().into(),
                        r.gbt_level
                            .map_or("-".to_string(), |l| {
                                format!("ML{l} ({})", r.gbt_year.unwrap_or_default())
                            })
                            .into(),
                        r.wla.clone().unwrap_or_else(|| "-".into()).into(),
                        r.pathway.clone().into(),
                        Cell::Num(r.days_to_authorise.map(f64::from), 0),
                        r.provenance.source.clone().into(),
                    ]
                })
                .collect();
            report(
                "Regulatory authorities and reliance pathways",
                &a.head,
                vec![
                    "country",
                    "authority",
                    "GBT level",
                    "WLA",
                    "pathway",
                    "days",
                    "source",
                ],
                table,
                a.notes.clone(),
                &a.rows,
            )
            .print(out)
        }
        SupplyCommand::Licences { args, out } => {
            let a = run(store, args, "")?;
            let table = a
                .rows
                .iter()
                .map(|r| {
                    // A long territory is counted; a short one listed.
                    let territory = match r.territory.len() {
                        0 => "not stated".to_string(),
                        n if n > 6 => format!("{n} countries"),
                        _ => r.territory.join(", "),
                    };
                    vec![
                        r.programme.clone().into(),
                        r.licensor.clone().into(),
                        r.licensee.clone().into(),
                        r.technology.clone().into(),
                        territory.into(),
                        r.start.map(|d| d.to_string()).unwrap_or_default().into(),
                        r.status.clone().into(),
                        r.provenance.source.clone().into(),
                    ]
                })
                .collect();
            report(
                "Technology transfers and licences",
                &a.head,
                vec![
                    "programme",
                    "licensor",
                    "licensee",
                    "technology",
                    "territory",
                    "start",
                    "status",
                    "source",
                ],
                table,
                a.notes.clone(),
                &a.rows,
            )
            .print(out)
        }
    }
}
