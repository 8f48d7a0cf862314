//! `equitas market ...`: prices, median price ratios, affordability,
//! supplier concentration, delivery performance and legal sources: the
//! operations of `equitas_service::market`, printed with names for codes.

use crate::op_args::{OpArgs, run};
use crate::output::{Cell, Output, head_report as report, named};
use anyhow::Result;
use clap::Subcommand;
use equitas_market::analysis::{Dim, Key, PooledPrice};
use equitas_service::Head;
use equitas_service::market::{
    Affordability, Concentration, Delivery, Mpr, PooledPrices, Prices, Products, Sources,
};
use equitas_store::Store;
use serde_json::Value;

fn int(n: i64) -> Cell {
    Cell::Int(n)
}
fn price(v: Option<f64>) -> Cell {
    Cell::Num(v, 4)
}
fn num(v: Option<f64>, decimals: usize) -> Cell {
    Cell::Num(v, decimals)
}
fn pct(f: f64) -> Cell {
    Cell::Pct(Some(f))
}

#[derive(Subcommand, Debug, Clone)]
pub enum MarketCommand {
    /// List products with their codes, programme and number of procurement lines.
    #[command(after_help = "Example:\n  equitas market products --programme hiv")]
    Products {
        #[command(flatten)]
        args: OpArgs<Products>,
        #[command(flatten)]
        out: Output,
    },
    /// Unit prices per comparison unit (tablet, ml, test): median, quartiles, range.
    #[command(
        after_help = "Examples:\n  equitas market prices\n  equitas market prices --by product,year --product efavirenz-600mg-tablet\n  equitas market prices --by product,supplier --format csv > prices.csv"
    )]
    Prices {
        #[command(flatten)]
        args: OpArgs<Prices>,
        #[command(flatten)]
        out: Output,
    },
    /// Median price ratios against international reference prices (WHO/HAI method).
    #[command(
        after_help = "Examples:\n  equitas import reference-prices msh-2015.csv\n  equitas market mpr --min-observations 4\n  equitas market mpr --by-country --exchange-rate 1"
    )]
    Mpr {
        #[command(flatten)]
        args: OpArgs<Mpr>,
        #[command(flatten)]
        out: Output,
    },
    /// Pooled reference prices: each product's median unit price over the
    /// procurement lines selected, as CSV that `import reference-prices` reads.
    #[command(
        after_help = "Examples:\n  equitas market pooled-prices\n  equitas market pooled-prices --from 2014-01-01 --lines-name \"SCMS lines of 2014-2015\" --format csv > pooled.csv\n  equitas import reference-prices pooled.csv\n  equitas market mpr --reference-source \"$(cut -d, -f3 pooled.csv | sed -n 2p)\""
    )]
    PooledPrices {
        #[command(flatten)]
        args: OpArgs<PooledPrices>,
        #[command(flatten)]
        out: Output,
    },
    /// Days' wages of the lowest-paid unskilled government worker to buy one treatment course.
    #[command(
        after_help = "Example:\n  equitas import wages wages.csv\n  equitas market affordability --product efavirenz-600mg-tablet"
    )]
    Affordability {
        #[command(flatten)]
        args: OpArgs<Affordability>,
        #[command(flatten)]
        out: Output,
    },
    /// Supplier concentration: HHI, effective number, single-source and single-country flags.
    #[command(
        after_help = "Examples:\n  equitas market concentration --by site\n  equitas market concentration --per product,country --by supplier --weight quantity\n  equitas market concentration --by site-country --bands 1500,2500"
    )]
    Concentration {
        #[command(flatten)]
        args: OpArgs<Concentration>,
        #[command(flatten)]
        out: Output,
    },
    /// Lead times (order to delivery) and delays against the scheduled date.
    #[command(
        after_help = "Examples:\n  equitas market delivery --by supplier\n  equitas market delivery --by mode,year --tolerance 7"
    )]
    Delivery {
        #[command(flatten)]
        args: OpArgs<Delivery>,
        #[command(flatten)]
        out: Output,
    },
    /// How many sources a country can legally buy from: valid marketing
    /// authorisations per product (0 for a product whose authorisations
    /// loaded are all suspended, expired...), and WHO-prequalified
    /// manufacturers.
    #[command(
        after_help = "Example:\n  equitas import authorisations kenya-ma.csv\n  equitas market sources --country KEN --on 2026-01-01"
    )]
    Sources {
        #[command(flatten)]
        args: OpArgs<Sources>,
        #[command(flatten)]
        out: Output,
    },
}

/// The cell of one dimension value: a code shown by its name (with its
/// own name column in CSV), a year or a transport mode as it is.
fn cell(h: &Head, d: Dim, v: &str) -> Cell {
    match d {
        Dim::Year | Dim::Mode => Cell::Text(v.to_string()),
        _ => named(h, d.as_str(), v),
    }
}

/// The cells of a row's key.
fn labels(h: &Head, dims: &[Dim], key: &Key) -> Vec<Cell> {
    dims.iter().zip(key).map(|(d, v)| cell(h, *d, v)).collect()
}

fn dim_columns(dims: &[Dim]) -> Vec<&'static str> {
    dims.iter().map(|d| d.as_str()).collect()
}

/// The dimensions an answer's rows are grouped by (from the request given).
fn dims<O: equitas_service::Operation>(args: &OpArgs<O>, name: &str) -> Result<Vec<Dim>> {
    Ok(args.args()?.list(name)?)
}

pub fn run_command(store: &mut dyn Store, cmd: &MarketCommand) -> Result<()> {
    match cmd {
        MarketCommand::Products { args, out } => {
            let a = run(store, args, "")?;
            let table = a
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.product.clone().into(),
                        r.name.clone().unwrap_or_else(|| r.product.clone()).into(),
                        int(r.lines as i64),
                    ]
                })
                .collect();
            report(
                "Products with procurement lines",
                &a.head,
                vec!["code", "name", "lines"],
                table,
                a.notes.clone(),
                &a.rows,
            )
            .print(out)
        }
        MarketCommand::Prices { args, out } => {
            let by = dims(args, "by")?;
            let a = run(store, args, "")?;
            let mut columns = dim_columns(&by);
            columns.extend([
                "lines", "n", "min", "p25", "median", "p75", "max", "weighted",
            ]);
            let table = a
                .rows
                .iter()
                .map(|r| {
                    let mut v = labels(&a.head, &by, &r.key);
                    let s = r.unit_price;
                    v.extend([
                        int(r.lines as i64),
                        int(s.map_or(0, |s| s.n) as i64),
                        price(s.map(|s| s.min)),
                        price(s.map(|s| s.p25)),
                        price(s.map(|s| s.median)),
                        price(s.map(|s| s.p75)),
                        price(s.map(|s| s.max)),
                        price(r.weighted_unit_price),
                    ]);
                    v
                })
                .collect();
            report(
                "Unit prices per comparison unit (US$)",
                &a.head,
                columns,
                table,
                a.notes.clone(),
                &a.rows,
            )
            .print(out)
        }
        MarketCommand::Mpr { args, out } => {
            let by_country = args.args()?.flag("by_country")?;
            let a = run(store, args, "")?;
            let dims: &[Dim] = if by_country {
                &[Dim::Product, Dim::BuyerCountry]
            } else {
                &[Dim::Product]
            };
            let mut columns = dim_columns(dims);
            columns.extend(["kind", "n", "median price", "reference", "source", "MPR"]);
            let table = a
                .rows
                .iter()
                .map(|m| {
                    let mut v = labels(&a.head, dims, &m.key);
                    v.extend([
                        m.kind.to_string().into(),
                        int(m.n as i64),
                        price(Some(m.median_local_price)),
                        price(Some(m.reference_price_usd)),
                        m.reference_source.clone().into(),
                        num(m.mpr, 2),
                    ]);
                    v
                })
                .collect();
            report(
                "Median price ratios (WHO/HAI method)",
                &a.head,
                columns,
                table,
                a.notes.clone(),
                &a.rows,
            )
            .print(out)
        }
        MarketCommand::PooledPrices { args, out } => {
            let a = run(store, args, "")?;
            // The columns `import reference-prices` reads, by their names,
            // prices as they are (no rounding), then the product's name.
            let table = a
                .rows
                .iter()
                .map(|r| {
                    let mut v: Vec<Cell> = r.record().into_iter().map(Cell::from).collect();
                    // The price a number, so that CSV for French writes
                    // its decimal comma (review: it kept its point).
                    v[1] = Cell::Num(Some(r.price_usd), 6);
                    v.push(int(r.lines as i64));
                    v.push(a.head.label("product", &r.product).to_string().into());
                    v
                })
                .collect();
            let mut columns = PooledPrice::COLUMNS.to_vec();
            columns.extend(["lines", "name"]);
            report(
                "Pooled reference prices (US$ per comparison unit)",
                &a.head,
                columns,
                table,
                a.notes.clone(),
                &a.rows,
            )
            .print(out)
        }
        MarketCommand::Affordability { args, out } => {
            let a = run(store, args, "")?;
            let table = a
                .rows
                .iter()
                .map(|r| {
                    vec![
                        cell(&a.head, Dim::Product, &r.product),
                        cell(&a.head, Dim::BuyerCountry, &r.country),
                        r.kind.to_string().into(),
                        r.course.clone().into(),
                        int(r.n as i64),
                        price(Some(r.median_unit_price_usd)),
                        num(r.course_cost_local, 2),
                        r.currency.clone().into(),
                        num(r.days_wages, 1),
                    ]
                })
                .collect();
            report(
                "Affordability: days' wages for one treatment course",
                &a.head,
                vec![
                    "product",
                    "country",
                    "kind",
                    "course",
                    "n",
                    "median price",
                    "course cost",
                    "currency",
                    "days",
                ],
                table,
                a.notes.clone(),
                &a.rows,
            )
            .print(out)
        }
        MarketCommand::Concentration { args, out } => {
            let per = dims(args, "per")?;
            let by: Dim = args.args()?.value("by")?;
            let a = run(store, args, "")?;
            let mut columns = dim_columns(&per);
            columns.extend([
                "n",
                "groups",
                "HHI",
                "effective",
                "top",
                "top share",
                "unknown share",
                "band",
                // One group of `by` supplies it all (single_source; the
                // title says which dimension).
                "single source",
                "single country",
            ]);
            let title = match by {
                Dim::Supplier => "Concentration across suppliers",
                Dim::Site => "Concentration across manufacturing sites",
                Dim::SiteCountry => "Concentration across producing countries",
                Dim::BuyerCountry => "Concentration across buying countries",
                Dim::Product => "Concentration across products",
                Dim::Mode => "Concentration across shipment modes",
                Dim::Year => "Concentration across years",
            };
            let yes = |b: bool| if b { "yes" } else { "no" }.to_string();
            let table = a
                .rows
                .iter()
                .map(|c| {
                    let mut v = labels(&a.head, &per, &c.key);
                    v.extend([
                        int(c.n as i64),
                        int(c.groups as i64),
                        num(Some(c.hhi), 0),
                        num(Some(c.effective_number), 2),
                        cell(&a.head, by, &c.top),
                        pct(c.top_share),
                        pct(c.unknown_share),
                        c.band.clone().into(),
                        yes(c.single_source).into(),
                        yes(c.single_country).into(),
                    ]);
                    v
                })
                .collect();
            report(title, &a.head, columns, table, a.notes.clone(), &a.rows).print(out)
        }
        MarketCommand::Delivery { args, out } => {
            let by = dims(args, "by")?;
            let a = run(store, args, "")?;
            let mut columns = dim_columns(&by);
            columns.extend([
                "lines",
                "n lead",
                "lead p25",
                "lead median",
                "lead p75",
                "n delay",
                "delay median",
                "delay p75",
                "delay max",
                "on time",
            ]);
            let table = a
                .rows
                .iter()
                .map(|d| {
                    let mut v = labels(&a.head, &by, &d.key);
                    let l = d.lead_time_days;
                    let y = d.delay_days;
                    v.extend([
                        int(d.lines as i64),
                        int(l.map_or(0, |s| s.n) as i64),
                        num(l.map(|s| s.p25), 0),
                        num(l.map(|s| s.median), 0),
                        num(l.map(|s| s.p75), 0),
                        int(y.map_or(0, |s| s.n) as i64),
                        num(y.map(|s| s.median), 0),
                        num(y.map(|s| s.p75), 0),
                        num(y.map(|s| s.max), 0),
                        Cell::Pct(d.on_time_share),
                    ]);
                    v
                })
                .collect();
            report(
                "Delivery performance (days)",
                &a.head,
                columns,
                table,
                a.notes.clone(),
                &a.rows,
            )
            .print(out)
        }
        MarketCommand::Sources { args, out } => {
            let a = run(store, args, "")?;
            let table: Vec<Vec<Cell>> = a
                .rows
                .iter()
                .map(|r| {
                    vec![
                        cell(&a.head, Dim::BuyerCountry, &r.country),
                        cell(&a.head, Dim::Product, &r.product),
                        int(r.authorised_holders),
                        int(r.authorised_manufacturers),
                        int(r.authorisations),
                    ]
                })
                .collect();
            let pq: Vec<(String, i64, i64)> = a
                .head
                .extra
                .get("prequalified_vaccines")
                .and_then(Value::as_array)
                .map(|v| {
                    v.iter()
                        .map(|x| {
                            (
                                x["product_type"].as_str().unwrap_or("").to_string(),
                                x["manufacturers"].as_i64().unwrap_or(0),
                                x["presentations"].as_i64().unwrap_or(0),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let mut r = report(
                "Legal sources",
                &a.head,
                vec![
                    "country",
                    "product",
                    "holders",
                    "manufacturers",
                    "authorisations",
                ],
                table,
                [a.notes.clone(), pq_footer(&pq)].concat(),
                &a.rows,
            );
            r.period = match a.head.on {
                Some(on) => format!("authorisations valid on {on}"),
                None => String::new(),
            };
            r.print(out)
        }
    }
}

/// The prequalified vaccines' lines (none when no list is loaded: the
/// answer's note says so).
fn pq_footer(pq: &[(String, i64, i64)]) -> Vec<String> {
    if pq.is_empty() {
        return Vec::new();
    }
    let mut f = vec![
        "WHO-prequalified vaccine manufacturers (UN procurement can buy from them):".to_string(),
    ];
    for (t, m, n) in pq {
        f.push(format!("  {t}: {m} manufacturer(s), {n} presentation(s)"));
    }
    f
}
