//! Disruption scenarios (issue 21, docs/formulas.md 7): if a site, a
//! manufacturer or a producing country stops, or bans exports, which
//! countries run out of which products, when, for how long, and which
//! mitigation would have prevented it.
//!
//! Pure: the scenario document ([`model`]), the inputs the store assembles
//! ([`inputs`]) and the computation ([`engine`]); the rows below are what
//! the API answers and the CLI prints.

pub mod engine;
pub mod inputs;
pub mod model;

pub use engine::{
    Compiled, LevelResult, Month, PairResult, Request, allocate, compile, largest_producer,
    level_shares,
};
pub use inputs::{Inputs, LEVELS, LevelStock, Need, SupplyFlow};
pub use model::{Mitigation, Options, Rule, Scenario, ScenarioError, SpareCapacity};

use chrono::{Days, NaiveDate};
use engine::{DAYS_PER_MONTH, Extras, evaluate};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Rounded to `d` decimals, half away from zero; never -0.
fn round(x: f64, d: i32) -> f64 {
    let m = 10f64.powi(d);
    (x * m).round() / m + 0.0
}

/// What a scenario does to one buying country's supply of one product.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ImpactRow {
    pub country: String,
    pub product: String,
    pub income_group: Option<String>,
    /// Forecast demand, units a month.
    pub demand_per_month: f64,
    /// Stock on hand (or assumed: see `assumptions`), units.
    pub stock: f64,
    /// Shipments on their way, units.
    pub pipeline: f64,
    /// Share of supply through the stopped nodes (0 to 1).
    pub exposure: f64,
    /// Months the stock and pipeline last if the outage never ended
    /// (none: beyond the horizon).
    pub time_to_survive_months: Option<f64>,
    pub time_to_recover_months: f64,
    /// Months to qualify an alternative (none: never, see `alternative`).
    pub time_to_qualify_months: Option<f64>,
    /// not-needed, authorised, to-authorise, no-spare-capacity or never.
    pub alternative: String,
    /// The Simchi-Levi gap, months: how long the outage outlasts the
    /// stock, max(0, min(TTR, TTQ) − TTS), an alternative bounding it only
    /// when it covers the whole ask (docs/formulas.md 7.3). A partial
    /// alternative can still leave nothing unmet: what goes short is
    /// `unmet` and `months_short`.
    pub gap_months: f64,
    pub stockout_date: Option<NaiveDate>,
    /// Months of demand unmet.
    pub months_short: f64,
    /// Demand unmet, units.
    pub unmet: f64,
    /// Unmet demand in treatment courses, where a course is known.
    pub unmet_courses: Option<f64>,
    /// Spare capacity from alternative sources allocated, units a month.
    pub alternative_per_month: f64,
    /// Monte Carlo: share of paths with a stockout.
    pub probability_of_stockout: f64,
    pub expected_unmet: f64,
    pub unmet_p95: f64,
    /// What the row assumed where data were missing.
    pub assumptions: Vec<String>,
    /// Each level inside the country, where the ledger holds stock there
    /// (7.8), from the top.
    pub levels: Vec<LevelRow>,
}

/// One level inside a buying country (7.8): the national store, the
/// regions, the districts or the facilities, with its own stock and its
/// share of the country's demand.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct LevelRow {
    /// `national store`, `region`, `district` or `facility`.
    pub level: String,
    /// Its share of the country's demand (0 to 1).
    pub share_of_demand: f64,
    pub demand_per_month: f64,
    pub stock: f64,
    /// The shipments on their way to its locations, and its share of
    /// those whose receiving level is unknown.
    pub pipeline: f64,
    /// The country's: every level draws on the same supply.
    pub exposure: f64,
    pub time_to_survive_months: Option<f64>,
    pub stockout_date: Option<NaiveDate>,
    pub months_short: f64,
    pub unmet: f64,
    /// Monte Carlo on the country's paths (7.6): share of paths in which
    /// the level runs short.
    pub probability_of_stockout: f64,
    pub expected_unmet: f64,
    pub unmet_p95: f64,
}

fn date(start: NaiveDate, months: f64) -> Option<NaiveDate> {
    start.checked_add_days(Days::new((months.max(0.0) * DAYS_PER_MONTH).floor() as u64))
}

fn impact(c: &Compiled, inp: &Inputs, r: PairResult) -> ImpactRow {
    let mut assumptions = Vec::new();
    if r.stock_assumed {
        assumptions.push(format!(
            "stock: {} months of demand assumed (no stock data)",
            c.options.months_of_stock
        ));
    }
    if r.authorisation_assumed {
        assumptions.push(format!(
            "authorisation: {} days assumed (no pathway time in the regulators register)",
            c.options.authorisation_days
        ));
    }
    if r.spare_assumed {
        assumptions.push(format!(
            "spare capacity: {}% of the volume of a source with no known capacity",
            c.options.spare_capacity * 100.0
        ));
    }
    if inp.lead_times.is_empty() && r.alternative == "to-authorise" {
        assumptions.push(format!(
            "lead time: {} months assumed (none observed)",
            c.options.lead_time_months
        ));
    }
    if !r.levels.is_empty() && r.pipeline_unlocated > 0.0 {
        assumptions.push(format!(
            "pipeline: {} units on their way to a place of unknown level, shared between the levels by their share of demand",
            round(r.pipeline_unlocated, 1)
        ));
    }
    let none = engine::Mc {
        p_stockout: 0.0,
        expected_unmet: 0.0,
        p95: 0.0,
    };
    let mc = r.mc.unwrap_or(none);
    let levels = r
        .levels
        .iter()
        .map(|l| {
            let m = l.mc.unwrap_or(none);
            LevelRow {
                level: l.level.clone(),
                share_of_demand: round(l.share, 4),
                demand_per_month: round(l.demand, 2),
                stock: round(l.stock, 2),
                pipeline: round(l.pipeline, 2),
                exposure: round(r.exposure, 4),
                time_to_survive_months: l.tts.map(|t| round(t, 2)),
                stockout_date: l.first.and_then(|t| date(c.start, t)),
                months_short: round(l.short, 2),
                unmet: round(l.unmet, 1),
                probability_of_stockout: round(m.p_stockout, 4),
                expected_unmet: round(m.expected_unmet, 1),
                unmet_p95: round(m.p95, 1),
            }
        })
        .collect();
    ImpactRow {
        levels,
        income_group: inp.income_groups.get(&r.country).cloned(),
        unmet_courses: inp
            .course_units
            .get(&r.product)
            .filter(|u| **u > 0.0)
            .map(|u| round(r.unmet / u, 1)),
        stockout_date: r.first.and_then(|t| date(c.start, t)),
        country: r.country,
        product: r.product,
        demand_per_month: round(r.demand, 2),
        stock: round(r.stock, 2),
        pipeline: round(r.pipeline, 2),
        exposure: round(r.exposure, 4),
        time_to_survive_months: r.tts.map(|t| round(t, 2)),
        time_to_recover_months: round(r.ttr, 2),
        time_to_qualify_months: r.ttq.map(|t| round(t, 2)),
        alternative: r.alternative.to_string(),
        gap_months: round(r.gap, 2),
        months_short: round(r.short, 2),
        unmet: round(r.unmet, 1),
        alternative_per_month: round(r.allocated, 2),
        probability_of_stockout: round(mc.p_stockout, 4),
        expected_unmet: round(mc.expected_unmet, 1),
        unmet_p95: round(mc.p95, 1),
        assumptions,
    }
}

/// Pairs the scenario leaves untouched, and the rows of those it touches,
/// the most unmet demand first (then country, product).
pub fn run(c: &Compiled, inp: &Inputs, monte_carlo: bool) -> Vec<ImpactRow> {
    let r = evaluate(
        c,
        inp,
        &Extras::default(),
        c.options.allocation,
        monte_carlo,
        None,
    );
    let mut rows: Vec<ImpactRow> = r.into_iter().map(|p| impact(c, inp, p)).collect();
    rows.sort_by(|a, b| {
        b.unmet
            .total_cmp(&a.unmet)
            .then_with(|| (&a.country, &a.product).cmp(&(&b.country, &b.product)))
    });
    rows
}

/// The deterministic projection of one country × product month by month
/// over the horizon, with and without the shock (7.2); none if the
/// scenario does not touch it.
pub fn projection(c: &Compiled, inp: &Inputs, country: &str, product: &str) -> Option<Vec<Month>> {
    let r = evaluate(
        c,
        inp,
        &Extras::default(),
        c.options.allocation,
        false,
        Some((country, product)),
    );
    let p = r
        .into_iter()
        .find(|p| p.country == country && p.product == product)?;
    Some(
        p.months
            .into_iter()
            .map(|m| Month {
                month: m.month,
                demand: round(m.demand, 1),
                supply: round(m.supply, 1),
                alternative: round(m.alternative, 1),
                stock: round(m.stock, 1),
                stock_without: round(m.stock_without, 1),
                unmet: round(m.unmet, 1),
            })
            .collect(),
    )
}

/// A buying country's products under the scenario (7.2, 7.3): the map's figure.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CountryImpactRow {
    pub country: String,
    pub income_group: Option<String>,
    /// Products the scenario touches there.
    pub products: usize,
    /// Of which run short (some demand unmet).
    pub products_short: usize,
    /// The largest gap among its products, months (7.3: the Simchi-Levi
    /// test's, which can be above 0 with nothing unmet).
    pub max_gap_months: f64,
    /// The first stockout among its products.
    pub first_stockout: Option<NaiveDate>,
    pub unmet: f64,
    /// Unmet demand in treatment courses, over the products whose course is known.
    pub unmet_courses: Option<f64>,
}

/// The rows of [`run`] summed up per buying country, the largest gap first
/// (then the most unmet demand, then the country code).
pub fn by_country(rows: &[ImpactRow]) -> Vec<CountryImpactRow> {
    let mut m: BTreeMap<&str, CountryImpactRow> = BTreeMap::new();
    for r in rows {
        let e = m.entry(&r.country).or_insert_with(|| CountryImpactRow {
            country: r.country.clone(),
            income_group: r.income_group.clone(),
            products: 0,
            products_short: 0,
            max_gap_months: 0.0,
            first_stockout: None,
            unmet: 0.0,
            unmet_courses: None,
        });
        e.products += 1;
        if r.unmet > 0.0 {
            e.products_short += 1;
        }
        e.max_gap_months = e.max_gap_months.max(r.gap_months);
        e.first_stockout = match (e.first_stockout, r.stockout_date) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        e.unmet += r.unmet;
        if let Some(c) = r.unmet_courses {
            e.unmet_courses = Some(e.unmet_courses.unwrap_or(0.0) + c);
        }
    }
    let mut out: Vec<CountryImpactRow> = m
        .into_values()
        .map(|mut r| {
            r.unmet = round(r.unmet, 1);
            r.unmet_courses = r.unmet_courses.map(|c| round(c, 1));
            r
        })
        .collect();
    out.sort_by(|a, b| {
        b.max_gap_months
            .total_cmp(&a.max_gap_months)
            .then(b.unmet.total_cmp(&a.unmet))
            .then_with(|| a.country.cmp(&b.country))
    });
    out
}

/// One node of the network, stopped in turn (7.6).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct NodeRow {
    pub rank: usize,
    /// site, manufacturer or producing-country.
    pub kind: String,
    pub node: String,
    /// Country × product pairs supplied through it.
    pub pairs: usize,
    /// Countries that run short of at least one product.
    pub countries_short: usize,
    pub unmet: f64,
    /// The shortest time to survive among the pairs it supplies.
    pub min_time_to_survive_months: Option<f64>,
    /// Demand-weighted exposure: units a month passing through it.
    pub exposed_per_month: f64,
}

/// Every node removed in turn for the node outage, ranked by the unmet
/// demand it causes (then the demand through it, then kind and name).
pub fn rank_nodes(c: &Compiled, inp: &Inputs) -> Vec<NodeRow> {
    let mut rows: Vec<NodeRow> = engine::nodes(inp)
        .into_iter()
        .map(|(kind, node)| {
            let s = engine::node_scenario(c, kind, &node);
            let r = evaluate(
                &s,
                inp,
                &Extras::default(),
                c.options.allocation,
                false,
                None,
            );
            let countries: BTreeSet<&str> = r
                .iter()
                .filter(|p| p.unmet > 0.0)
                .map(|p| p.country.as_str())
                .collect();
            NodeRow {
                rank: 0,
                kind: kind.to_string(),
                countries_short: countries.len(),
                pairs: r.len(),
                unmet: round(r.iter().map(|p| p.unmet).sum(), 1),
                min_time_to_survive_months: r
                    .iter()
                    .filter_map(|p| p.tts)
                    .fold(None, |m: Option<f64>, t| Some(m.map_or(t, |m| m.min(t))))
                    .map(|t| round(t, 2)),
                exposed_per_month: round(r.iter().map(|p| p.demand * p.exposure).sum(), 2),
                node,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.unmet
            .total_cmp(&a.unmet)
            .then(b.exposed_per_month.total_cmp(&a.exposed_per_month))
            .then_with(|| (&a.kind, &a.node).cmp(&(&b.kind, &b.node)))
    });
    for (i, r) in rows.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    rows
}

/// A country × product that a mitigation helps.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Beneficiary {
    pub country: String,
    pub product: String,
    pub reduction: f64,
}

/// A mitigation against the same scenario (7.7).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct MitigationRow {
    pub mitigation: String,
    /// safety-stock, second-source or regional-producer.
    pub kind: String,
    pub unmet_without: f64,
    pub unmet_with: f64,
    pub reduction: f64,
    /// Reduction ÷ unmet without (none when nothing was unmet).
    pub reduction_share: Option<f64>,
    pub countries_benefiting: usize,
    /// The five pairs helped most.
    pub beneficiaries: Vec<Beneficiary>,
    /// Where prices are known (safety stock: of the products with a
    /// price, `unpriced` telling how many are left out) or the mitigation
    /// states one.
    pub cost: Option<f64>,
    /// Cost ÷ reduction, when the cost counts every product.
    pub cost_per_unit_averted: Option<f64>,
    /// Products a safety stock holds that have no unit price, left out of
    /// its cost.
    pub unpriced: usize,
}

/// Each mitigation of the scenario against the scenario without it,
/// in the scenario's order (deterministic figures).
pub fn compare(c: &Compiled, s: &Scenario, inp: &Inputs) -> Vec<MitigationRow> {
    let rule = c.options.allocation;
    let base = evaluate(c, inp, &Extras::default(), rule, false, None);
    let before: BTreeMap<(&str, &str), &PairResult> = base
        .iter()
        .map(|p| ((p.country.as_str(), p.product.as_str()), p))
        .collect();
    let total_before: f64 = base.iter().map(|p| p.unmet).sum();
    s.mitigations
        .iter()
        .map(|m| {
            let x = Extras::of(m, c, inp);
            let with = evaluate(c, inp, &x, rule, false, None);
            let total_with: f64 = with.iter().map(|p| p.unmet).sum();
            let mut helped: Vec<Beneficiary> = with
                .iter()
                .filter_map(|p| {
                    let b = before.get(&(p.country.as_str(), p.product.as_str()))?;
                    let d = b.unmet - p.unmet;
                    (d > 1e-9).then(|| Beneficiary {
                        country: p.country.clone(),
                        product: p.product.clone(),
                        reduction: round(d, 1),
                    })
                })
                .collect();
            let countries: BTreeSet<String> = helped.iter().map(|b| b.country.clone()).collect();
            helped.sort_by(|a, b| {
                b.reduction
                    .total_cmp(&a.reduction)
                    .then_with(|| (&a.country, &a.product).cmp(&(&b.country, &b.product)))
            });
            helped.truncate(5);
            let (cost, unpriced) = match m {
                Mitigation::SafetyStock {
                    country,
                    product,
                    months,
                    ..
                } => {
                    // Every product of the country held (or the one named),
                    // at its price; those without one are counted apart
                    // (until 2026-12-07 one of them left no cost at all).
                    let (mut sum, mut priced) = (0.0, 0usize);
                    let mut unpriced: BTreeSet<&str> = BTreeSet::new();
                    for n in inp.needs_of(country.as_deref(), product.as_deref()) {
                        match inp.unit_prices.get(&n.product) {
                            Some(p) => {
                                sum += months * n.per_month * p;
                                priced += 1;
                            }
                            None => {
                                unpriced.insert(&n.product);
                            }
                        }
                    }
                    ((priced > 0).then_some(sum), unpriced.len())
                }
                Mitigation::SecondSource { cost, .. }
                | Mitigation::RegionalProducer { cost, .. } => (*cost, 0),
            };
            let reduction = total_before - total_with;
            MitigationRow {
                mitigation: m.label(),
                kind: m.kind().to_string(),
                unmet_without: round(total_before, 1),
                unmet_with: round(total_with, 1),
                reduction: round(reduction, 1),
                reduction_share: (total_before > 0.0).then(|| round(reduction / total_before, 4)),
                countries_benefiting: countries.len(),
                beneficiaries: helped,
                cost: cost.map(|x| round(x, 2)),
                cost_per_unit_averted: cost
                    .filter(|_| reduction > 1e-9 && unpriced == 0)
                    .map(|x| round(x / reduction, 4)),
                unpriced,
            }
        })
        .collect()
}

/// One income group under one allocation rule (7.5).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct AllocationRow {
    pub rule: Rule,
    pub income_group: String,
    pub countries: usize,
    /// Spare capacity asked for, units a month.
    pub requested_per_month: f64,
    pub allocated_per_month: f64,
    /// Demand during the disruption (demand × time to recover), units.
    pub demand_at_risk: f64,
    pub unmet: f64,
    /// Unmet ÷ demand at risk.
    pub unmet_share: f64,
    /// Highest minus lowest unmet share among the income groups, under this rule.
    pub disparity: f64,
}

/// The scenario under each allocation rule, by income group ("unknown"
/// for countries without one).
pub fn allocation(c: &Compiled, inp: &Inputs) -> Vec<AllocationRow> {
    let mut out = Vec::new();
    for rule in Rule::ALL {
        let r = evaluate(c, inp, &Extras::default(), rule, false, None);
        let mut g: BTreeMap<String, (BTreeSet<&str>, f64, f64, f64, f64)> = BTreeMap::new();
        for p in &r {
            let k = inp
                .income_groups
                .get(&p.country)
                .cloned()
                .unwrap_or_else(|| "unknown".into());
            let e = g.entry(k).or_default();
            e.0.insert(&p.country);
            e.1 += p.requested;
            e.2 += p.allocated;
            e.3 += p.demand * p.ttr;
            e.4 += p.unmet;
        }
        let mut rows: Vec<AllocationRow> = g
            .into_iter()
            .map(|(k, (cs, req, al, risk, un))| AllocationRow {
                rule,
                income_group: k,
                countries: cs.len(),
                requested_per_month: round(req, 2),
                allocated_per_month: round(al, 2),
                demand_at_risk: round(risk, 1),
                unmet: round(un, 1),
                unmet_share: if risk > 0.0 { round(un / risk, 4) } else { 0.0 },
                disparity: 0.0,
            })
            .collect();
        rows.sort_by_key(|r| {
            (
                engine::income_rank(Some(&r.income_group)),
                r.income_group.clone(),
            )
        });
        let known = rows.iter().filter(|r| r.income_group != "unknown");
        let (lo, hi) = known.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), r| {
            (l.min(r.unmet_share), h.max(r.unmet_share))
        });
        let d = if hi >= lo { round(hi - lo, 4) } else { 0.0 };
        for r in &mut rows {
            r.disparity = d;
        }
        out.extend(rows);
    }
    out
}

/// The method statement of the scenario answers.
pub fn method(o: &Options, what: &str) -> String {
    format!(
        "{what} (docs/formulas.md 7): month-by-month projection of each buying country's stock of each product; supply follows demand but for the share through stopped nodes; \
         time to survive with the outage never ending, time to recover the outage's most likely duration, time to qualify an alternative 0 when an unaffected source already authorised has spare capacity, else days to authorise + lead time + {} month(s) ramp-up; \
         spare capacity as stated, else its known capacity less its volume, else (assumed) {}% of its volume, shared {} where it is authorised, then where it arrives before the disruption ends; Monte Carlo {} paths (each level inside a country on its country's), seed {}, demand coefficient of variation {}, horizon {} months; \
         supply and demand a month from the procurement lines of the last {} months up to the last delivery",
        o.ramp_up_months,
        o.spare_capacity * 100.0,
        o.allocation.as_str(),
        o.paths,
        o.seed,
        o.demand_cv,
        o.horizon_months,
        o.demand_months
    )
}

#[cfg(test)]
mod tests;
