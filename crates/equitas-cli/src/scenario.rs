//! `equitas scenario ...`: disruption scenarios (issue 21): the operations
//! of `equitas_service::scenario`, from a scenario file (TOML or JSON)
//! and/or shocks given as options, each output stating its method,
//! assumptions and sources. One table mechanism ([`Table`], [`show`]) serves
//! every command.

use crate::op_args::{OpArgs, run};
use crate::output::{Cell, Output, Report, named};
use anyhow::{Context, Result, anyhow, bail};
use chrono::NaiveDate;
use clap::Subcommand;
use equitas_scenario::model::{ExportRestriction, Shock, SpareCapacity, Surge};
use equitas_scenario::{
    AllocationRow, CountryImpactRow, ImpactRow, MitigationRow, Month, NodeRow, Scenario,
};
use equitas_service::scenario::{Allocation, Compare, Countries, Nodes, Projection, Run, node_dim};
use equitas_service::{Answer, Head, Operation};
use equitas_store::Store;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Shocks given as options, added to those of FILE (or making the whole
/// scenario without one). Each is repeatable; a DURATION is months (`6`) or
/// a triangular distribution (`3/6/12`: min/most likely/max); LOSS is the
/// share of capacity lost (`0.5` or `50%`, default all); FROM the first day
/// (default the start). Parts may be left empty (`S:6::2026-03-01`).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct Shocks {
    /// A manufacturing site stops: SITE:DURATION[:LOSS[:FROM]].
    #[arg(long = "site", value_name = "SITE:DURATION[:LOSS[:FROM]]")]
    pub site: Vec<String>,
    /// A manufacturer stops: NAME:DURATION[:LOSS[:FROM]].
    #[arg(long = "manufacturer", value_name = "NAME:DURATION[:LOSS[:FROM]]")]
    pub manufacturer: Vec<String>,
    /// A producing country stops manufacturing (ISO3, or `largest`):
    /// ISO3:DURATION[:LOSS[:FROM]].
    #[arg(long = "producing-country", value_name = "ISO3:DURATION[:LOSS[:FROM]]")]
    pub producing_country: Vec<String>,
    /// A country making active ingredients stops: ISO3:DURATION[:LOSS[:FROM]].
    #[arg(
        long = "ingredient-country",
        value_name = "ISO3:DURATION[:LOSS[:FROM]]"
    )]
    pub ingredient_country: Vec<String>,
    /// Every producer of a WHO region stops: REGION:DURATION[:LOSS[:FROM]].
    #[arg(long = "region-outage", value_name = "REGION:DURATION[:LOSS[:FROM]]")]
    pub region: Vec<String>,
    /// A producing country stops exporting, to every buyer or to those listed:
    /// ISO3:DURATION[:BUYER,BUYER...[:FROM]].
    #[arg(
        long = "export-restriction",
        value_name = "ISO3:DURATION[:BUYERS[:FROM]]"
    )]
    pub export_restriction: Vec<String>,
    /// Demand up in some countries: ISO3,ISO3...:INCREASE:MONTHS[:FROM]
    /// (INCREASE `0.3` or `30%`).
    #[arg(long = "surge", value_name = "COUNTRIES:INCREASE:MONTHS[:FROM]")]
    pub surge: Vec<String>,
    /// Population per country for priority to need per person (7.5): a CSV
    /// with columns iso3, year, population (your own series, e.g. UN WPP or
    /// World Bank SP.POP.TOTL); the latest year of each country is used.
    #[arg(long = "population", value_name = "FILE")]
    pub population: Option<PathBuf>,
    /// What an alternative source can add of a product, units a month, as
    /// you know it (7.4): in place of the sites register's capacity and of
    /// the assumed share. SOURCE (the manufacturer, else the site, as
    /// `equitas scenario nodes` names it):PRODUCT:UNITS.
    #[arg(long = "spare-capacity", value_name = "SOURCE:PRODUCT:UNITS")]
    pub spare_capacity: Vec<String>,
}

fn flag_error(flag: &str, value: &str, why: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("--{flag} {value:?}: {why}")
}

/// A scenario error about the one shock a flag made, without the
/// scenario's field path (`shocks[0].loss` -> `loss`).
fn checked(flag: &str, value: &str, s: &Scenario) -> Result<()> {
    s.check().map_err(|e| {
        let t = e.to_string();
        let t = t.strip_prefix("scenario: ").unwrap_or(&t);
        let t = [
            "shocks[0].",
            "export_restrictions[0].",
            "surges[0].",
            "shocks[0]: ",
            "export_restrictions[0]: ",
            "surges[0]: ",
            "spare_capacity[0].",
        ]
        .iter()
        .fold(t.to_string(), |t, p| t.replace(p, ""));
        flag_error(flag, value, t)
    })
}

/// A number, or a percentage (`30%` = 0.3).
fn fraction(s: &str) -> Option<f64> {
    match s.trim().strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().ok().map(|x| x / 100.0),
        None => s.trim().parse().ok(),
    }
}

/// `6` (months) or `3/6/12` (triangular).
fn duration(s: &str) -> Option<(Option<f64>, Option<[f64; 3]>)> {
    let p: Vec<&str> = s.split('/').collect();
    match p.as_slice() {
        [m] => Some((Some(m.trim().parse().ok()?), None)),
        [a, m, b] => Some((
            None,
            Some([
                a.trim().parse().ok()?,
                m.trim().parse().ok()?,
                b.trim().parse().ok()?,
            ]),
        )),
        _ => None,
    }
}

fn day(flag: &str, value: &str, s: &str) -> Result<Option<NaiveDate>> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    s.trim()
        .parse()
        .map(Some)
        .map_err(|_| flag_error(flag, value, format!("{s:?} is not a date (YYYY-MM-DD)")))
}

/// The parts of a flag's value: at least `min`, at most `max`.
fn parts<'a>(flag: &str, value: &'a str, min: usize, max: usize) -> Result<Vec<&'a str>> {
    let p: Vec<&str> = value.split(':').collect();
    if p.len() < min || p.len() > max || p[0].trim().is_empty() {
        let form = match flag {
            "export-restriction" => "ISO3:DURATION[:BUYER,BUYER...[:FROM]]",
            "surge" => "COUNTRY,COUNTRY...:INCREASE:MONTHS[:FROM]",
            _ => "NAME:DURATION[:LOSS[:FROM]]",
        };
        return Err(flag_error(flag, value, format!("expected {form}")));
    }
    Ok(p)
}

fn shock(flag: &str, value: &str) -> Result<Shock> {
    let p = parts(flag, value, 2, 4)?;
    let (months, triangular) = duration(p[1]).ok_or_else(|| {
        flag_error(
            flag,
            value,
            format!(
                "{:?} is not a duration: months (6) or min/most likely/max (3/6/12)",
                p[1]
            ),
        )
    })?;
    let loss = match p.get(2).filter(|x| !x.trim().is_empty()) {
        Some(l) => fraction(l)
            .ok_or_else(|| flag_error(flag, value, format!("{l:?} is not a loss (0.5 or 50%)")))?,
        None => 1.0,
    };
    let name = Some(p[0].trim().to_string());
    let mut s = Shock {
        site: None,
        manufacturer: None,
        producing_country: None,
        ingredient_country: None,
        region: None,
        loss,
        from: day(flag, value, p.get(3).copied().unwrap_or(""))?,
        months,
        triangular,
    };
    match flag {
        "site" => s.site = name,
        "manufacturer" => s.manufacturer = name,
        "producing-country" => s.producing_country = name,
        "ingredient-country" => s.ingredient_country = name,
        _ => s.region = name,
    }
    Ok(s)
}

fn restriction(value: &str) -> Result<ExportRestriction> {
    let flag = "export-restriction";
    let p = parts(flag, value, 2, 4)?;
    let (months, triangular) = duration(p[1]).ok_or_else(|| {
        flag_error(
            flag,
            value,
            format!(
                "{:?} is not a duration: months (6) or min/most likely/max (3/6/12)",
                p[1]
            ),
        )
    })?;
    Ok(ExportRestriction {
        country: p[0].trim().to_string(),
        to: p
            .get(2)
            .map(|b| {
                b.split(',')
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        from: day(flag, value, p.get(3).copied().unwrap_or(""))?,
        months,
        triangular,
    })
}

fn surge(value: &str) -> Result<Surge> {
    let flag = "surge";
    let p = parts(flag, value, 3, 4)?;
    let increase = fraction(p[1]).ok_or_else(|| {
        flag_error(
            flag,
            value,
            format!("{:?} is not an increase (0.3 or 30%)", p[1]),
        )
    })?;
    let months = p[2]
        .trim()
        .parse()
        .map_err(|_| flag_error(flag, value, format!("{:?} is not a number of months", p[2])))?;
    Ok(Surge {
        countries: p[0]
            .split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect(),
        increase,
        from: day(flag, value, p.get(3).copied().unwrap_or(""))?,
        months,
    })
}

/// SOURCE:PRODUCT:UNITS (a source's name may hold colons: the last two
/// parts are the product and the units).
fn spare(value: &str) -> Result<SpareCapacity> {
    let flag = "spare-capacity";
    let form = || flag_error(flag, value, "expected SOURCE:PRODUCT:UNITS (units a month)");
    let mut p = value.rsplitn(3, ':');
    let (Some(units), Some(product), Some(source)) = (p.next(), p.next(), p.next()) else {
        return Err(form());
    };
    if source.trim().is_empty() || product.trim().is_empty() {
        return Err(form());
    }
    let per_month: f64 = units.trim().parse().map_err(|_| {
        flag_error(
            flag,
            value,
            format!("{units:?} is not a number of units a month"),
        )
    })?;
    Ok(SpareCapacity {
        source: source.trim().to_string(),
        product: product.trim().to_string(),
        per_month,
    })
}

/// The latest year's population of each country in a CSV of iso3, year,
/// population (errors name the file and line).
pub fn read_population(path: &Path) -> Result<BTreeMap<String, f64>> {
    let name = path.display();
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot read the population file {name}"))?;
    // Lines counted whatever their endings (errors name the line).
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(equitas_model::reference::Newlines::new(file));
    let h: Vec<String> = r
        .headers()
        .with_context(|| format!("{name}: no header line"))?
        .iter()
        .map(|x| x.trim().to_lowercase())
        .collect();
    let col = |k: &str| {
        h.iter()
            .position(|x| x == k)
            .ok_or_else(|| anyhow!("{name}: no column {k:?} (expected iso3, year, population)"))
    };
    let (ci, cy, cp) = (col("iso3")?, col("year")?, col("population")?);
    let mut latest: BTreeMap<String, (i32, f64)> = BTreeMap::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.with_context(|| format!("{name}, record {}", i + 1))?;
        // The file's line (blank lines and quoted line breaks counted).
        let line = equitas_model::csv_line(&rec);
        let get = |c: usize| rec.get(c).map(str::trim).unwrap_or("");
        let iso3 = get(ci).to_uppercase();
        if iso3.len() != 3 || !iso3.chars().all(|c| c.is_ascii_uppercase()) {
            bail!(
                "{name}, line {line}: iso3 {:?} is not an ISO 3166 alpha-3 code",
                get(ci)
            );
        }
        let year: i32 = get(cy)
            .parse()
            .map_err(|_| anyhow!("{name}, line {line}: year {:?} is not a year", get(cy)))?;
        let pop: f64 = get(cp)
            .parse()
            .ok()
            .filter(|p: &f64| p.is_finite() && *p > 0.0)
            .ok_or_else(|| {
                anyhow!(
                    "{name}, line {line}: population {:?} is not a number above 0",
                    get(cp)
                )
            })?;
        let e = latest.entry(iso3).or_insert((year, pop));
        if year >= e.0 {
            *e = (year, pop);
        }
    }
    if latest.is_empty() {
        bail!("{name}: no population rows");
    }
    Ok(latest.into_iter().map(|(k, (_, p))| (k, p)).collect())
}

impl Shocks {
    /// An error the run found in an event given as an option (a node the
    /// data do not name) names that option and its value, as errors found
    /// in the option alone do, rather than `--scenario` and the event's
    /// place in the scenario built from the options (a user pass,
    /// 2026-12-07). Events of a scenario file, before the options', keep
    /// their place in the file.
    fn name_the_option(&self, with_file: bool, e: anyhow::Error) -> anyhow::Error {
        // With a file, the options' events follow the file's, whose number
        // is not known here: the error keeps its place in the scenario.
        if with_file {
            return e;
        }
        let Some(equitas_service::ServiceError::BadParameter { reason, .. }) =
            e.downcast_ref::<equitas_service::ServiceError>()
        else {
            return e;
        };
        let Some(rest) = reason.strip_prefix("scenario: ") else {
            return e;
        };
        let shocks: Vec<(&str, &String)> = [
            ("site", &self.site),
            ("manufacturer", &self.manufacturer),
            ("producing-country", &self.producing_country),
            ("ingredient-country", &self.ingredient_country),
            ("region-outage", &self.region),
        ]
        .into_iter()
        .flat_map(|(f, vs)| vs.iter().map(move |v| (f, v)))
        .collect();
        let restrictions: Vec<(&str, &String)> = self
            .export_restriction
            .iter()
            .map(|v| ("export-restriction", v))
            .collect();
        let surges: Vec<(&str, &String)> = self.surge.iter().map(|v| ("surge", v)).collect();
        for (prefix, given) in [
            ("shocks[", shocks),
            ("export_restrictions[", restrictions),
            ("surges[", surges),
        ] {
            let Some((i, why)) = rest
                .strip_prefix(prefix)
                .and_then(|r| r.split_once(']'))
                .and_then(|(i, r)| Some((i.parse::<usize>().ok()?, r.split_once(": ")?.1)))
            else {
                continue;
            };
            if let Some((flag, value)) = given.get(i) {
                return anyhow::Error::new(equitas_service::ServiceError::BadParameter {
                    param: format!("--{flag}"),
                    reason: format!("{value:?}: {why}"),
                });
            }
        }
        e
    }

    fn is_empty(&self) -> bool {
        self.site.is_empty()
            && self.manufacturer.is_empty()
            && self.producing_country.is_empty()
            && self.ingredient_country.is_empty()
            && self.region.is_empty()
            && self.export_restriction.is_empty()
            && self.surge.is_empty()
            && self.population.is_none()
            && self.spare_capacity.is_empty()
    }

    /// Adds the shocks given as options to `s`; each checked on its own so
    /// that an error names the option.
    pub fn add_to(&self, s: &mut Scenario) -> Result<()> {
        let lists: [(&str, &Vec<String>); 5] = [
            ("site", &self.site),
            ("manufacturer", &self.manufacturer),
            ("producing-country", &self.producing_country),
            ("ingredient-country", &self.ingredient_country),
            ("region-outage", &self.region),
        ];
        for (flag, values) in lists {
            for v in values {
                let k = shock(flag, v)?;
                let alone = Scenario {
                    shocks: vec![k.clone()],
                    ..Scenario::default()
                };
                checked(flag, v, &alone)?;
                s.shocks.push(k);
            }
        }
        for v in &self.export_restriction {
            let r = restriction(v)?;
            let alone = Scenario {
                export_restrictions: vec![r.clone()],
                ..Scenario::default()
            };
            checked("export-restriction", v, &alone)?;
            s.export_restrictions.push(r);
        }
        for v in &self.surge {
            let u = surge(v)?;
            let alone = Scenario {
                surges: vec![u.clone()],
                ..Scenario::default()
            };
            checked("surge", v, &alone)?;
            s.surges.push(u);
        }
        for v in &self.spare_capacity {
            let c = spare(v)?;
            let alone = Scenario {
                spare_capacity: vec![c.clone()],
                ..Scenario::default()
            };
            checked("spare-capacity", v, &alone)?;
            s.spare_capacity
                .retain(|x| (&x.source, &x.product) != (&c.source, &c.product));
            s.spare_capacity.push(c);
        }
        if let Some(p) = &self.population {
            s.population.extend(read_population(p)?);
        }
        Ok(())
    }
}

#[derive(Subcommand, Debug, Clone)]
pub enum ScenarioCommand {
    /// What a scenario does to each buying country × product: exposure,
    /// time to survive, to recover and to qualify an alternative, gap,
    /// stockout date, unmet demand, probability of a stockout.
    #[command(
        after_help = "Examples:\n  equitas scenario run data/examples/scenario-largest-producer.toml\n  equitas scenario run my-scenario.json --format csv --levels\n  equitas scenario run --producing-country IND:3/6/12 --export-restriction CHN:4:KEN,UGA --surge NGA:30%:3\n  equitas scenario run my-scenario.toml --spare-capacity aspen-pharmacare:tenofovir-disoproxil-fumarate-300mg-tablet:100000\n  equitas scenario run --surge XSY:50%:6 --pipeline shipments.csv --levels   # item,place,arrival (YYYY-MM or the day),quantity\n  equitas scenario run   (manufacturing in the largest producing country stops for six months)"
    )]
    Run {
        /// The scenario file (TOML, or JSON); without one, --scenario, the shocks given as options, or the default.
        file: Option<PathBuf>,
        /// A row per level inside the country (national store, region,
        /// district, facility) below each pair whose stock the ledger holds.
        #[arg(long)]
        levels: bool,
        #[command(flatten)]
        shocks: Shocks,
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
        shocks: Shocks,
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
        shocks: Shocks,
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
        shocks: Shocks,
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
        shocks: Shocks,
        #[command(flatten)]
        args: OpArgs<Compare>,
        #[command(flatten)]
        out: Output,
    },
    /// Scarce spare capacity shared pro rata, by order date or by need:
    /// unmet demand per income group under each rule.
    #[command(
        after_help = "Example:\n  equitas scenario allocation data/examples/scenario-largest-producer.toml --population my-wpp-population.csv"
    )]
    Allocation {
        file: Option<PathBuf>,
        #[command(flatten)]
        shocks: Shocks,
        #[command(flatten)]
        args: OpArgs<Allocation>,
        #[command(flatten)]
        out: Output,
    },
}

/// The scenario parameter from FILE and the shocks given as options.
fn with_file<O: equitas_service::Described>(
    file: &Option<PathBuf>,
    shocks: &Shocks,
    args: &OpArgs<O>,
) -> Result<OpArgs<O>> {
    let mut a = args.clone();
    let text = match file {
        Some(f) => Some(
            std::fs::read_to_string(f)
                .with_context(|| format!("cannot read the scenario {}", f.display()))?,
        ),
        None => None,
    };
    let text = if shocks.is_empty() {
        text
    } else {
        let mut s = match (&text, file) {
            (Some(t), Some(f)) => Scenario::parse(t)
                .map_err(|e| equitas_service::ServiceError::BadParameter {
                    param: "scenario".into(),
                    reason: e.to_string(),
                })
                .with_context(|| format!("the scenario {}", f.display()))?,
            _ => Scenario {
                name: "shocks given on the command line".into(),
                ..Scenario::default()
            },
        };
        shocks.add_to(&mut s)?;
        Some(serde_json::to_string(&s)?)
    };
    if let Some(t) = text
        && !a.set("scenario", t)
    {
        bail!(
            "give the scenario as FILE (with or without shocks as options) or --scenario, not both"
        );
    }
    Ok(a)
}

/// Runs operation `O` on the scenario of FILE (named in any error) or of
/// the options.
fn run_scenario<O: Operation>(
    store: &mut dyn Store,
    file: &Option<PathBuf>,
    shocks: &Shocks,
    args: &OpArgs<O>,
    busy: &str,
) -> Result<Answer<O::Row>> {
    let r = run(store, &with_file(file, shocks, args)?, busy)
        .map_err(|e| shocks.name_the_option(file.is_some(), e));
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

fn text(s: &str) -> Cell {
    s.to_string().into()
}

fn day_cell(d: Option<NaiveDate>) -> Cell {
    text(&d.map_or("-".into(), |d| d.to_string()))
}

/// A row type as a table: its title, columns and cells; rows below it
/// (the levels inside a country), each named, when asked for.
trait Table: serde::Serialize {
    const TITLE: &'static str;
    const COLUMNS: &'static [&'static str];
    /// The row's cells, codes named by the answer's `labels` (`h`).
    fn cells(&self, h: &Head) -> Vec<Cell>;
    fn below(&self, _h: &Head) -> Vec<(String, Vec<Cell>)> {
        Vec::new()
    }
}

impl Table for ImpactRow {
    const TITLE: &'static str = "Disruption scenario: who runs out of what, when";
    const COLUMNS: &'static [&'static str] = &[
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
    ];
    fn cells(&self, h: &Head) -> Vec<Cell> {
        vec![
            named(h, "country", &self.country),
            named(h, "product", &self.product),
            Cell::Pct(Some(self.exposure)),
            Cell::Num(self.time_to_survive_months, 1),
            Cell::Num(Some(self.time_to_recover_months), 1),
            Cell::Num(self.time_to_qualify_months, 1),
            text(&self.alternative),
            Cell::Num(Some(self.gap_months), 1),
            day_cell(self.stockout_date),
            Cell::Num(Some(self.months_short), 2),
            Cell::Num(Some(self.unmet), 0),
            Cell::Pct(Some(self.probability_of_stockout)),
            Cell::Num(Some(self.expected_unmet), 0),
            Cell::Num(Some(self.unmet_p95), 0),
            text(&self.assumptions.join("; ")),
        ]
    }
    fn below(&self, h: &Head) -> Vec<(String, Vec<Cell>)> {
        self.levels
            .iter()
            .map(|l| {
                (
                    l.level.clone(),
                    vec![
                        named(h, "country", &self.country),
                        named(h, "product", &self.product),
                        Cell::Pct(Some(l.exposure)),
                        Cell::Num(l.time_to_survive_months, 1),
                        Cell::Num(None, 1),
                        Cell::Num(None, 1),
                        text("-"),
                        Cell::Num(None, 1),
                        day_cell(l.stockout_date),
                        Cell::Num(Some(l.months_short), 2),
                        Cell::Num(Some(l.unmet), 0),
                        Cell::Pct(Some(l.probability_of_stockout)),
                        Cell::Num(Some(l.expected_unmet), 0),
                        Cell::Num(Some(l.unmet_p95), 0),
                        text(&format!(
                            "{:.1}% of the demand ({:.1} a month), stock {:.0}, pipeline {:.0}",
                            l.share_of_demand * 100.0,
                            l.demand_per_month,
                            l.stock,
                            l.pipeline
                        )),
                    ],
                )
            })
            .collect()
    }
}

impl Table for CountryImpactRow {
    const TITLE: &'static str = "Disruption scenario by buying country";
    const COLUMNS: &'static [&'static str] = &[
        "country",
        "income group",
        "products",
        "products short",
        "max gap months",
        "first stockout",
        "unmet",
        "unmet courses",
    ];
    fn cells(&self, h: &Head) -> Vec<Cell> {
        vec![
            named(h, "country", &self.country),
            text(self.income_group.as_deref().unwrap_or("-")),
            Cell::Int(self.products as i64),
            Cell::Int(self.products_short as i64),
            Cell::Num(Some(self.max_gap_months), 1),
            day_cell(self.first_stockout),
            Cell::Num(Some(self.unmet), 0),
            Cell::Num(self.unmet_courses, 0),
        ]
    }
}

impl Table for Month {
    const TITLE: &'static str = "Projection under the scenario";
    const COLUMNS: &'static [&'static str] = &[
        "month",
        "demand",
        "supply",
        "alternative",
        "stock",
        "stock without the shock",
        "unmet",
    ];
    fn cells(&self, _h: &Head) -> Vec<Cell> {
        vec![
            Cell::Int(self.month as i64),
            Cell::Num(Some(self.demand), 0),
            Cell::Num(Some(self.supply), 0),
            Cell::Num(Some(self.alternative), 0),
            Cell::Num(Some(self.stock), 0),
            Cell::Num(Some(self.stock_without), 0),
            Cell::Num(Some(self.unmet), 0),
        ]
    }
}

impl Table for NodeRow {
    const TITLE: &'static str = "Node ranking: unmet demand when each node stops";
    const COLUMNS: &'static [&'static str] = &[
        "rank",
        "kind",
        "node",
        "pairs",
        "countries short",
        "unmet",
        "min TTS months",
        "units a month through it",
    ];
    fn cells(&self, h: &Head) -> Vec<Cell> {
        vec![
            Cell::Int(self.rank as i64),
            text(&self.kind),
            named(h, node_dim(&self.kind), &self.node),
            Cell::Int(self.pairs as i64),
            Cell::Int(self.countries_short as i64),
            Cell::Num(Some(self.unmet), 0),
            Cell::Num(self.min_time_to_survive_months, 1),
            Cell::Num(Some(self.exposed_per_month), 0),
        ]
    }
}

impl Table for MitigationRow {
    const TITLE: &'static str = "Mitigations against the same scenario";
    const COLUMNS: &'static [&'static str] = &[
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
    ];
    fn cells(&self, h: &Head) -> Vec<Cell> {
        vec![
            text(&self.mitigation),
            text(&self.kind),
            Cell::Num(Some(self.unmet_without), 0),
            Cell::Num(Some(self.unmet_with), 0),
            Cell::Num(Some(self.reduction), 0),
            Cell::Pct(self.reduction_share),
            Cell::Int(self.countries_benefiting as i64),
            // Names and rounded units in a table; codes and exact units
            // in CSV, as the other columns of codes.
            Cell::Shown {
                table: self
                    .beneficiaries
                    .iter()
                    .map(|b| {
                        format!(
                            "{} × {}: {}",
                            h.label("country", &b.country),
                            h.label("product", &b.product),
                            crate::format::int(b.reduction.round() as i64)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                csv: self
                    .beneficiaries
                    .iter()
                    .map(|b| format!("{} {} {}", b.country, b.product, b.reduction))
                    .collect::<Vec<_>>()
                    .join("; "),
            },
            Cell::Num(self.cost, 0),
            Cell::Num(self.cost_per_unit_averted, 2),
        ]
    }
}

impl Table for AllocationRow {
    const TITLE: &'static str =
        "Spare capacity shared: unmet demand by income group under each rule";
    const COLUMNS: &'static [&'static str] = &[
        "rule",
        "income group",
        "countries",
        "asked a month",
        "allocated a month",
        "demand at risk",
        "unmet",
        "unmet %",
        "disparity",
    ];
    fn cells(&self, _h: &Head) -> Vec<Cell> {
        vec![
            text(self.rule.as_str()),
            text(&self.income_group),
            Cell::Int(self.countries as i64),
            Cell::Num(Some(self.requested_per_month), 0),
            Cell::Num(Some(self.allocated_per_month), 0),
            Cell::Num(Some(self.demand_at_risk), 0),
            Cell::Num(Some(self.unmet), 0),
            Cell::Pct(Some(self.unmet_share)),
            Cell::Pct(Some(self.disparity)),
        ]
    }
}

/// The columns and cells of `rows`; with `expand`, a `level` column after
/// the first (`country` on a row, the level's name on the rows below it).
fn table<R: Table>(h: &Head, rows: &[R], expand: bool) -> (Vec<&'static str>, Vec<Vec<Cell>>) {
    let mut columns = R::COLUMNS.to_vec();
    if !expand {
        return (columns, rows.iter().map(|r| r.cells(h)).collect());
    }
    columns.insert(1, "level");
    let mut out = Vec::new();
    for r in rows {
        let mut c = r.cells(h);
        c.insert(1, text("country"));
        out.push(c);
        for (name, mut c) in r.below(h) {
            c.insert(1, text(&name));
            out.push(c);
        }
    }
    (columns, out)
}

/// Runs operation `O` and prints its answer as the table of its rows, with
/// the scenario, its notes, assumptions and sources.
fn show<O: Operation>(
    store: &mut dyn Store,
    file: &Option<PathBuf>,
    shocks: &Shocks,
    args: &OpArgs<O>,
    out: &Output,
    busy: &str,
    expand: bool,
) -> Result<()>
where
    O::Row: Table,
{
    let a = run_scenario(store, file, shocks, args, busy)?;
    let h = &a.head;
    let (columns, rows) = table(h, &a.rows, expand);
    let mut footer: Vec<String> = a.notes.clone();
    footer.push(format!(
        "Assumptions: {}",
        strings(h, "assumptions").join("; ")
    ));
    footer.push(format!("Sources: {}", strings(h, "sources").join("; ")));
    Report {
        title: O::Row::TITLE,
        method: h.method_text(),
        period: format!(
            "scenario \"{}\" from {}",
            h.extra
                .get("scenario")
                .and_then(Value::as_str)
                .unwrap_or(""),
            h.extra.get("start").and_then(Value::as_str).unwrap_or("?")
        ),
        // The procurement lines read (0 was printed until 2026-12-07).
        observations: h
            .observations
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(0),
        observed: h.observed.unwrap_or("observations"),
        columns,
        rows,
        footer,
        data: &a.rows,
    }
    .print(out)
}

pub fn run_command(store: &mut dyn Store, cmd: &ScenarioCommand) -> Result<()> {
    use ScenarioCommand as C;
    let busy = "running the scenario";
    match cmd {
        C::Run {
            file,
            levels,
            shocks,
            args,
            out,
        } => show(store, file, shocks, args, out, busy, *levels),
        C::Countries {
            file,
            shocks,
            args,
            out,
        } => show(store, file, shocks, args, out, busy, false),
        C::Projection {
            file,
            shocks,
            args,
            out,
        } => show(store, file, shocks, args, out, busy, false),
        C::Nodes {
            file,
            shocks,
            args,
            out,
        } => show(
            store,
            file,
            shocks,
            args,
            out,
            "stopping every node in turn",
            false,
        ),
        C::Compare {
            file,
            shocks,
            args,
            out,
        } => show(
            store,
            file,
            shocks,
            args,
            out,
            "comparing mitigations",
            false,
        ),
        C::Allocation {
            file,
            shocks,
            args,
            out,
        } => show(
            store,
            file,
            shocks,
            args,
            out,
            "comparing allocation rules",
            false,
        ),
    }
}
