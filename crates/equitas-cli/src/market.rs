//! `equitas market ...`: prices, median price ratios, affordability,
//! supplier concentration, delivery performance and legal sources.

use crate::output::{Cell, Report};

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
use anyhow::{Result, bail};
use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};
use equitas_market::analysis::{self, ConcentrationBands, Dataset, Dim, Key, Period, Weight};
use equitas_market::methods;
use equitas_store::Store;
use equitas_store::market::{self as mk, Filter, Names};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DataFormat {
    Table,
    Csv,
    Json,
}

/// Which procurement lines to analyse, and how to print.
#[derive(Args, Debug, Clone)]
pub struct Scope {
    /// Only this product (code; repeatable). `equitas market products` lists codes.
    #[arg(long = "product", value_name = "CODE")]
    pub products: Vec<String>,
    /// Only products of this programme (hiv, malaria, tb, immunisation...).
    #[arg(long)]
    pub programme: Option<String>,
    /// Only this buyer country (ISO3; repeatable).
    #[arg(long = "country", value_name = "ISO3")]
    pub countries: Vec<String>,
    /// Delivered on or after this date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub from: Option<NaiveDate>,
    /// Delivered on or before this date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub to: Option<NaiveDate>,
    #[arg(long, value_enum, default_value_t = DataFormat::Table)]
    pub format: DataFormat,
    /// Rows shown in a table (0: all). CSV and JSON always hold every row.
    #[arg(long, default_value_t = 30)]
    pub limit: usize,
}

#[derive(Subcommand, Debug, Clone)]
pub enum MarketCommand {
    /// List products with their codes, programme and number of procurement lines.
    #[command(after_help = "Example:\n  equitas market products --programme hiv")]
    Products {
        #[command(flatten)]
        scope: Scope,
    },
    /// Unit prices per comparison unit (tablet, ml, test): median, quartiles, range.
    #[command(
        after_help = "Examples:\n  equitas market prices\n  equitas market prices --by product,year --product efavirenz-600mg-tablet\n  equitas market prices --by product,supplier --format csv > prices.csv"
    )]
    Prices {
        #[command(flatten)]
        scope: Scope,
        /// Group by these dimensions: product, supplier, country, site, site-country, mode, year.
        #[arg(long, value_delimiter = ',', default_value = "product")]
        by: Vec<Dim>,
    },
    /// Median price ratios against international reference prices (WHO/HAI method).
    #[command(
        after_help = "Examples:\n  equitas import reference-prices msh-2015.csv\n  equitas market mpr --min-observations 4\n  equitas market mpr --by-country --exchange-rate 1"
    )]
    Mpr {
        #[command(flatten)]
        scope: Scope,
        /// One MPR per product and buyer country instead of per product.
        #[arg(long)]
        by_country: bool,
        /// Fewest price observations for an MPR to be computed.
        #[arg(long, default_value_t = 4)]
        min_observations: usize,
        /// Local currency units per US$ (prices in the data are US$ for SCMS: 1).
        #[arg(long, default_value_t = 1.0)]
        exchange_rate: f64,
        /// Reference price source to use when several are loaded.
        #[arg(long)]
        reference_source: Option<String>,
    },
    /// Days' wages of the lowest-paid unskilled government worker to buy one treatment course.
    #[command(
        after_help = "Example:\n  equitas import wages wages.csv\n  equitas market affordability --product efavirenz-600mg-tablet"
    )]
    Affordability {
        #[command(flatten)]
        scope: Scope,
    },
    /// Supplier concentration: HHI, effective number, single-source and single-country flags.
    #[command(
        after_help = "Examples:\n  equitas market concentration --by site\n  equitas market concentration --per product,country --by supplier --weight quantity\n  equitas market concentration --by site-country --bands 1500,2500"
    )]
    Concentration {
        #[command(flatten)]
        scope: Scope,
        /// One row per group of these dimensions.
        #[arg(long, value_delimiter = ',', default_value = "product")]
        per: Vec<Dim>,
        /// Shares of what: supplier, site or site-country.
        #[arg(long, default_value = "supplier")]
        by: Dim,
        /// Weight shares by value or by quantity (comparison units).
        #[arg(long, default_value = "value")]
        weight: Weight,
        /// Ascending HHI thresholds between bands (default: 1000,1800, US merger guidelines 2023).
        #[arg(long, value_delimiter = ',')]
        bands: Vec<f64>,
    },
    /// Lead times (order to delivery) and delays against the scheduled date.
    #[command(
        after_help = "Examples:\n  equitas market delivery --by supplier\n  equitas market delivery --by mode,year --tolerance 7"
    )]
    Delivery {
        #[command(flatten)]
        scope: Scope,
        #[arg(long, value_delimiter = ',', default_value = "supplier")]
        by: Vec<Dim>,
        /// Days late still counted as on time.
        #[arg(long, default_value_t = 0)]
        tolerance: i64,
    },
    /// How many sources a country can legally buy from: valid marketing
    /// authorisations per product, and WHO-prequalified manufacturers.
    #[command(
        after_help = "Example:\n  equitas import authorisations kenya-ma.csv\n  equitas market sources --country KEN --on 2026-01-01"
    )]
    Sources {
        /// Only this country (ISO3).
        #[arg(long, value_name = "ISO3")]
        country: Option<String>,
        /// Date on which authorisations must be valid (default: today).
        #[arg(long, value_name = "DATE")]
        on: Option<NaiveDate>,
        #[arg(long, value_enum, default_value_t = DataFormat::Table)]
        format: DataFormat,
    },
}

fn filter(s: &Scope) -> Filter {
    Filter {
        products: s.products.clone(),
        programme: s.programme.clone(),
        countries: s.countries.clone(),
        from: s.from,
        to: s.to,
    }
}

fn period_text(p: Period) -> String {
    match (p.from, p.to) {
        (Some(a), Some(b)) => format!("deliveries {a} to {b}"),
        _ => "no dated deliveries".into(),
    }
}

/// A people-readable label for a dimension value.
fn label(names: &Names, d: Dim, v: &str) -> String {
    let m = match d {
        Dim::Product => &names.products,
        Dim::Supplier => &names.organisations,
        Dim::BuyerCountry | Dim::SiteCountry => &names.countries,
        Dim::Site => &names.sites,
        Dim::Mode | Dim::Year => return v.to_string(),
    };
    m.get(v).cloned().unwrap_or_else(|| v.to_string())
}

fn labels(names: &Names, dims: &[Dim], key: &Key) -> Vec<Cell> {
    dims.iter()
        .zip(key)
        .map(|(d, v)| Cell::Text(label(names, *d, v)))
        .collect()
}

fn dim_columns(dims: &[Dim]) -> Vec<&'static str> {
    dims.iter().map(|d| d.as_str()).collect()
}

fn load(store: &mut dyn Store, s: &Scope) -> Result<(Dataset, Names)> {
    let obs = Dataset::from(mk::observations(store, &filter(s))?);
    let names = mk::names(store)?;
    if obs.is_empty() {
        bail!(
            "no procurement lines match (load some with `equitas demo` or `equitas import scms FILE`, or widen the filters)"
        );
    }
    Ok((obs, names))
}

pub fn run(store: &mut dyn Store, cmd: MarketCommand) -> Result<()> {
    match cmd {
        MarketCommand::Products { scope } => {
            let (obs, names) = load(store, &scope)?;
            let rows = analysis::prices(&obs, &[Dim::Product]);
            let table: Vec<Vec<Cell>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.key[0].clone().into(),
                        label(&names, Dim::Product, &r.key[0]).into(),
                        int(r.lines as i64),
                    ]
                })
                .collect();
            Report {
                title: "Products with procurement lines",
                method: methods::products(),
                period: period_text(analysis::period(obs.iter())),
                observations: obs.len(),
                columns: vec!["code", "name", "lines"],
                rows: table,
                footer: vec![],
                data: &rows.iter().map(|r| serde_json::json!({"product": r.key[0], "name": label(&names, Dim::Product, &r.key[0]), "lines": r.lines})).collect::<Vec<_>>(),
            }
            .print(scope.format, scope.limit)
        }
        MarketCommand::Prices { scope, by } => {
            let (obs, names) = load(store, &scope)?;
            let rows = analysis::prices(&obs, &by);
            let mut columns = dim_columns(&by);
            columns.extend([
                "lines", "n", "min", "p25", "median", "p75", "max", "weighted",
            ]);
            let table = rows
                .iter()
                .map(|r| {
                    let mut v = labels(&names, &by, &r.key);
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
            Report {
                title: "Unit prices per comparison unit (US$)",
                method: methods::prices(),
                period: period_text(analysis::period(obs.iter())),
                observations: obs.len(),
                columns,
                rows: table,
                footer: vec![],
                data: &rows,
            }
            .print(scope.format, scope.limit)
        }
        MarketCommand::Mpr {
            scope,
            by_country,
            min_observations,
            exchange_rate,
            reference_source,
        } => {
            if !(exchange_rate.is_finite() && exchange_rate > 0.0) {
                bail!("--exchange-rate must be a positive number");
            }
            let (obs, names) = load(store, &scope)?;
            let refs = mk::reference_prices(store, reference_source.as_deref())?;
            if refs.is_empty() {
                bail!(
                    "no reference prices loaded: `equitas import reference-prices FILE` (columns product, price_usd, source)"
                );
            }
            let r = analysis::mpr(&obs, &refs, by_country, min_observations, exchange_rate);
            let dims: &[Dim] = if by_country {
                &[Dim::Product, Dim::BuyerCountry]
            } else {
                &[Dim::Product]
            };
            let mut columns = dim_columns(dims);
            columns.extend(["kind", "n", "median price", "reference", "source", "MPR"]);
            let table = r
                .rows
                .iter()
                .map(|m| {
                    let mut v = labels(&names, dims, &m.key);
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
            let footer = r
                .basket
                .iter()
                .map(|(k, m, n)| format!("Basket ({k}): median MPR {m:.2} over {n} products"))
                .collect();
            Report {
                title: "Median price ratios (WHO/HAI method)",
                method: methods::mpr(exchange_rate, min_observations),
                period: period_text(analysis::period(obs.iter())),
                observations: obs.len(),
                columns,
                rows: table,
                footer,
                data: &r,
            }
            .print(scope.format, scope.limit)
        }
        MarketCommand::Affordability { scope } => {
            let (obs, names) = load(store, &scope)?;
            let courses = mk::courses(store)?;
            let wages = mk::wages(store)?;
            if wages.is_empty() {
                bail!(
                    "no wages loaded: `equitas import wages FILE` (columns country, daily_wage, currency, exchange_rate, source)"
                );
            }
            let rows = analysis::affordability(&obs, &courses, &wages);
            let table = rows
                .iter()
                .map(|a| {
                    vec![
                        label(&names, Dim::Product, &a.product).into(),
                        label(&names, Dim::BuyerCountry, &a.country).into(),
                        a.course.clone().into(),
                        int(a.n as i64),
                        price(Some(a.median_unit_price_usd)),
                        num(Some(a.course_cost_local), 2),
                        a.currency.clone().into(),
                        num(Some(a.days_wages), 1),
                    ]
                })
                .collect();
            Report {
                title: "Affordability: days' wages for one treatment course",
                method: methods::affordability(),
                period: period_text(analysis::period(obs.iter())),
                observations: obs.len(),
                columns: vec![
                    "product",
                    "country",
                    "course",
                    "n",
                    "median price",
                    "course cost",
                    "days",
                ],
                rows: table,
                footer: vec![],
                data: &rows,
            }
            .print(scope.format, scope.limit)
        }
        MarketCommand::Concentration {
            scope,
            per,
            by,
            weight,
            bands,
        } => {
            if !matches!(by, Dim::Supplier | Dim::Site | Dim::SiteCountry) {
                bail!("--by must be supplier, site or site-country");
            }
            let bands = if bands.is_empty() {
                ConcentrationBands::default()
            } else {
                ConcentrationBands::from_thresholds(bands).map_err(anyhow::Error::msg)?
            };
            let (obs, names) = load(store, &scope)?;
            let rows = analysis::concentration_table(&obs, &per, by, weight, &bands);
            let mut columns = dim_columns(&per);
            columns.extend([
                "n",
                "groups",
                "HHI",
                "effective",
                "top",
                "top share",
                "band",
                "single source",
                "single country",
            ]);
            let yes = |b: bool| if b { "yes" } else { "no" }.to_string();
            let table = rows
                .iter()
                .map(|c| {
                    let mut v = labels(&names, &per, &c.key);
                    v.extend([
                        int(c.n as i64),
                        int(c.groups as i64),
                        num(Some(c.hhi), 0),
                        num(Some(c.effective_number), 2),
                        label(&names, by, &c.top).into(),
                        pct(c.top_share),
                        c.band.clone().into(),
                        yes(c.single_source).into(),
                        yes(c.single_country).into(),
                    ]);
                    v
                })
                .collect();
            Report {
                title: "Supplier concentration",
                method: methods::concentration(by, weight, &bands),
                period: period_text(analysis::period(obs.iter())),
                observations: obs.len(),
                columns,
                rows: table,
                footer: vec![],
                data: &rows,
            }
            .print(scope.format, scope.limit)
        }
        MarketCommand::Delivery {
            scope,
            by,
            tolerance,
        } => {
            let (obs, names) = load(store, &scope)?;
            let rows = analysis::delivery(&obs, &by, tolerance);
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
            let table = rows
                .iter()
                .map(|d| {
                    let mut v = labels(&names, &by, &d.key);
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
            Report {
                title: "Delivery performance (days)",
                method: methods::delivery(tolerance),
                period: period_text(analysis::period(obs.iter())),
                observations: obs.len(),
                columns,
                rows: table,
                footer: vec![],
                data: &rows,
            }
            .print(scope.format, scope.limit)
        }
        MarketCommand::Sources {
            country,
            on,
            format,
        } => {
            let on = on.unwrap_or_else(|| chrono::Local::now().date_naive());
            let rows = mk::legal_sources(store, on, country.as_deref())?;
            let pq = mk::prequalified_sources(store, "vaccines")?;
            let names = mk::names(store)?;
            let table: Vec<Vec<Cell>> = rows
                .iter()
                .map(|r| {
                    vec![
                        label(&names, Dim::BuyerCountry, &r.country).into(),
                        label(&names, Dim::Product, &r.product).into(),
                        int(r.authorised_holders),
                        int(r.authorised_manufacturers),
                        int(r.authorisations),
                    ]
                })
                .collect();
            let footer = pq_footer(&pq);
            Report {
                title: "Legal sources",
                method: methods::sources(on),
                period: format!("authorisations valid on {on}"),
                observations: rows.iter().map(|r| r.authorisations as usize).sum(),
                columns: vec!["country", "product", "holders", "manufacturers", "authorisations"],
                rows: table,
                footer,
                data: &serde_json::json!({"authorisations": rows, "prequalified_vaccines": pq.iter().map(|(t, m, n)| serde_json::json!({"product_type": t, "manufacturers": m, "presentations": n})).collect::<Vec<_>>()}),
            }
            .print(format, 0)
        }
    }
}

fn pq_footer(pq: &[(String, i64, i64)]) -> Vec<String> {
    if pq.is_empty() {
        return vec![
            "No WHO prequalification list loaded (`equitas import who-pq-vaccines FILE`).".into(),
        ];
    }
    let mut f = vec![
        "WHO-prequalified vaccine manufacturers (UN procurement can buy from them):".to_string(),
    ];
    for (t, m, n) in pq {
        f.push(format!("  {t}: {m} manufacturer(s), {n} presentation(s)"));
    }
    f
}
