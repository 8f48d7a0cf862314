//! Disruption scenario operations (issue 21, docs/formulas.md 7): the
//! scenario's effect on each buying country × product, the node ranking,
//! the mitigations compared, and the allocation rules compared. The
//! inputs are assembled here from what the store holds ([`inputs`]); the
//! computation is `equitas_scenario`'s.

use crate::error::ServiceError;
use crate::op::{Answer, Ctx, Endpoint, Head, Needs, Operation};
use crate::param::{Args, Kind, Param};
use equitas_ledger::places::Places;
use equitas_ledger::view::{StockQuery, stock};
use equitas_market::analysis::{self, Dim, Weight};
use equitas_model::LocationLevel;
use equitas_planning::quantify::Incoming;
use equitas_scenario::{
    AllocationRow, Compiled, CountryImpactRow, ImpactRow, Inputs, LEVELS, LevelStock,
    MitigationRow, Month, Need, NodeRow, Scenario, SupplyFlow, compile, method,
};
use equitas_store::market::{self as mk, Filter};
use equitas_store::supply as st;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

/// The scenario when none is given: manufacturing in the largest producing
/// country of the data stops for six months, and demand in the demo's
/// synthetic country (XSY, whose stock the ledger holds per level) rises by
/// half for six months (nothing where it is not loaded).
/// Compared with three more months of stock everywhere.
pub const DEFAULT_SCENARIO: &str = r#"{"name": "manufacturing in the largest producing country stops for six months; demand in the demo's synthetic country up 50%", "shocks": [{"producing_country": "largest", "months": 6}], "surges": [{"countries": ["XSY"], "increase": 0.5, "months": 6}], "mitigations": [{"kind": "safety-stock", "months": 3}]}"#;

fn scenario_param() -> Param {
    Param::new(
        "scenario",
        Kind::Text,
        "The scenario, a TOML or JSON document (docs/formulas.md 7.1); on the command line, or the path of a file holding it given as FILE.",
    )
    .default(DEFAULT_SCENARIO)
}

/// Shipments on their way from a file (the command line's): as `equitas
/// plan --pipeline`; without one, those imported (`import pipeline`).
fn pipeline_param() -> Param {
    Param::new(
        "pipeline",
        Kind::Text,
        "Shipments on their way, added to those in transit in the EPCIS events: CSV with item, place (the receiving location), arrival (a month, YYYY-MM or as stock reports write it, or the expected day), quantity (docs/formulas.md 7.1, 7.8; default: those imported, equitas import pipeline).",
    )
    .cli_only()
}

/// A scenario request: the document, read and checked, and the shipments
/// of a pipeline file.
pub struct ScenarioRequest {
    pub scenario: Scenario,
    pub pipeline: Vec<Incoming>,
    /// No pipeline file given: the shipments imported are the pipeline.
    pub imported_pipeline: bool,
}

fn request(a: &Args) -> Result<ScenarioRequest, ServiceError> {
    let text: String = a.value("scenario")?;
    let scenario = Scenario::parse(&text).map_err(|e| a.bad("scenario", e.to_string()))?;
    let pipeline = crate::planning::planning_file(a, "pipeline", |b| {
        equitas_planning::quantify::parse_pipeline(b)
    })?;
    Ok(ScenarioRequest {
        scenario,
        pipeline,
        imported_pipeline: a.get::<std::path::PathBuf>("pipeline")?.is_none(),
    })
}

/// [`request`] of a scenario that must hold an event (a shock, an export
/// restriction or a surge): one without any would run as nothing
/// happening, every pair untouched (formulas 7.1). The node ranking and
/// the allocation rules take one without events (their own).
fn request_with_events(a: &Args) -> Result<ScenarioRequest, ServiceError> {
    let r = request(a)?;
    let s = &r.scenario;
    if s.shocks.is_empty() && s.export_restrictions.is_empty() && s.surges.is_empty() {
        return Err(a.bad(
            "scenario",
            "holds no event: give at least one of [[shocks]], [[export_restrictions]] or [[surges]] (docs/formulas.md 7.1)",
        ));
    }
    Ok(r)
}

fn endpoint(path: &'static str, summary: &'static str) -> Endpoint {
    Endpoint::list(
        path,
        "scenario",
        summary,
        "docs/formulas.md 7",
        vec![scenario_param(), pipeline_param()],
    )
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// A scenario's inputs from the store: the procurement lines' supply flows
/// (6.1) in units a month over the period they span, with each producing
/// country's WHO region; demand = the units a month bought; stock on hand
/// and shipments in transit from the stock ledger, per country; income
/// groups, valid authorisations, regulators' pathways, observed lead times,
/// median unit prices and treatment courses.
/// Returns the procurement lines read too.
/// `extra_pipeline`: shipments on their way from a pipeline file (item,
/// place, arrival, quantity), added to those in transit; `imported`: they
/// are the shipments imported (`import pipeline`), said so in the notes.
pub fn inputs(
    ctx: &mut Ctx<'_>,
    extra_pipeline: &[Incoming],
    imported: bool,
    demand_months: u32,
) -> Result<(Inputs, usize), ServiceError> {
    let (links, obs) = st::flows(ctx.store, &Filter::default(), true, Weight::Quantity)?;
    let regions = st::who_regions(ctx.store)?;
    let period = analysis::period(obs.iter());
    // Supply and demand are those of the last `demand_months` of lines, up
    // to the last delivery (7.1): a product last bought years before is no
    // need today, and a supplier long gone no share of its supply. Until
    // 2026-12-07 every line counted, averaged over the whole file (SCMS:
    // nine years). Lines without a delivery date cannot be placed in the
    // window; with no dated line at all, every line counts, over 1 month.
    let window = period.to.map(|to| {
        let from = to
            .checked_sub_months(chrono::Months::new(demand_months))
            .unwrap_or(chrono::NaiveDate::MIN);
        (from, to)
    });
    let in_window = |o: &analysis::Observation| match (window, o.delivered_date) {
        (None, _) => true,
        (Some((from, _)), Some(d)) => d > from,
        (Some(_), None) => false,
    };
    // The months the window spans, or the lines' own span when shorter.
    let months = match (window, period.from) {
        (Some((from, to)), Some(first)) => {
            ((to - from.max(first)).num_days() as f64 / 30.4375).max(1.0)
        }
        _ => 1.0,
    };
    let windowed = obs.iter().filter(|o| in_window(o)).count();
    let undated = obs.iter().filter(|o| o.delivered_date.is_none()).count();
    let data = ctx.stock()?;
    let as_of = data.ledger.through();
    let mut inp = Inputs {
        start: as_of.map(equitas_ledger::calendar::date_of).or(period.to),
        ..Inputs::default()
    };
    // Flows aggregated by what a shock can hit.
    type Key = (
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let mut flows: BTreeMap<Key, (Vec<String>, f64)> = BTreeMap::new();
    for (l, o) in links.iter().zip(&obs) {
        if !(l.weight.is_finite() && l.weight > 0.0 && in_window(o)) {
            continue;
        }
        let e = flows
            .entry((
                l.key[1].clone(),
                l.key[0].clone(),
                l.manufacturer.clone(),
                l.site.clone(),
                l.country.clone(),
            ))
            .or_insert_with(|| (l.ingredient_countries.clone(), 0.0));
        e.1 += l.weight / months;
    }
    let mut needs: BTreeMap<(String, String), Need> = BTreeMap::new();
    for ((buyer, product, manufacturer, site, country), (ing, per_month)) in flows {
        needs
            .entry((buyer.clone(), product.clone()))
            .or_insert_with(|| Need {
                country: buyer.clone(),
                product: product.clone(),
                per_month: 0.0,
                stock: None,
                pipeline: 0.0,
            })
            .per_month += per_month;
        inp.flows.push(SupplyFlow {
            region: country.as_ref().and_then(|c| regions.get(c).cloned()),
            buyer,
            product,
            manufacturer,
            site,
            country,
            ingredient_countries: ing,
            per_month,
        });
    }
    // Stock on hand per country from the ledger; a country × product the
    // ledger holds but no procurement line names is a need at its AMC.
    let mut with_stock = 0usize;
    let mut located = Located::new();
    let mut pipeline_note: Vec<String> = Vec::new();
    if as_of.is_some() {
        let rows = stock(
            &data.ledger,
            &data.places,
            &data.bands,
            &StockQuery {
                level: Some(LocationLevel::Country),
                ..StockQuery::default()
            },
        );
        for r in rows {
            let key = (r.location.clone(), r.item.clone());
            // Stock to live on: lots past their expiry are held, not used
            // (7.1; until 2026-12-07 they were counted).
            let usable = r.stock_on_hand - r.expired;
            if let Some(n) = needs.get_mut(&key) {
                n.stock = Some(usable);
                with_stock += 1;
            } else if let Some(amc) = r.amc.filter(|a| *a > 0.0) {
                needs.insert(
                    key,
                    Need {
                        country: r.location,
                        product: r.item,
                        per_month: amc,
                        stock: Some(usable),
                        pipeline: 0.0,
                    },
                );
                with_stock += 1;
            }
        }
        if let Some(day) = as_of {
            let t = data.in_transit(ctx.store, day)?;
            let (n, overdue) = (t.incoming.len(), t.overdue.len());
            let a = pipeline(data, &mut needs, &mut located, t.incoming, true);
            pipeline_note.push(format!(
                "shipments in transit (EPCIS): {n}, of which {} to a buying country whose stock the ledger holds ({} to a place of known level){}",
                a.counted,
                a.located,
                if overdue > 0 {
                    format!(
                        "; {overdue} more due over {} days ago not counted (formulas 4.7)",
                        equitas_planning::quantify::OVERDUE_DAYS
                    )
                } else {
                    String::new()
                }
            ));
        }
    }
    if !extra_pipeline.is_empty() {
        let n = extra_pipeline.len();
        let a = pipeline(
            data,
            &mut needs,
            &mut located,
            extra_pipeline.to_vec(),
            false,
        );
        pipeline_note.push(format!(
            "{}: {n} {}, {} to a buying country ({} to a place of known level); the others name no place of the hierarchy or no product it buys: left out",
            if imported {
                "pipeline as imported (equitas import pipeline; a pipeline file given to the command line, --pipeline, replaces it)"
            } else {
                "pipeline file"
            },
            crate::planning::plural(n, "shipment", "shipments"),
            a.counted,
            a.located
        ));
    }
    if as_of.is_some() {
        inp.levels = levels(data, &needs, &located);
    }
    inp.needs = needs.into_values().collect();
    let with_capacity = capacities(ctx, &mut inp)?;
    for c in equitas_store::report::countries(ctx.store)? {
        if let Some(g) = c.income_group {
            inp.income_groups.insert(c.iso3, g);
        }
    }
    if let Some(on) = inp.start {
        for a in st::authorisations(ctx.store, on, None)? {
            if a.valid {
                inp.authorised.insert((a.country, a.product, a.source));
            }
        }
    }
    for r in st::regulators(ctx.store, None)? {
        if let Some(d) = r.days_to_authorise {
            let e = inp
                .pathway_days
                .entry(r.country.clone())
                .or_insert(f64::from(d));
            *e = e.min(f64::from(d));
        }
    }
    let mut prices: HashMap<&str, Vec<f64>> = HashMap::new();
    for o in &obs {
        if let (Some(a), Some(b)) = (o.order_date, o.delivered_date)
            && b >= a
        {
            inp.lead_times.push((b - a).num_days() as f64 / 30.4375);
        }
        if let (Some(v), Some(u)) = (o.value, o.units())
            && v > 0.0
        {
            prices.entry(&o.product).or_default().push(v / u);
        }
    }
    for (p, v) in prices {
        if let Some(m) = median(v) {
            inp.unit_prices.insert(p.to_string(), m);
        }
    }
    for (p, c) in mk::courses(ctx.store)? {
        inp.course_units.insert(p, c.units);
    }
    inp.sources = vec![
        match window {
            Some((from, to)) => format!(
                "procurement lines as imported ({} lines, {} to {}); supply and demand in comparison units a month over the {windowed} delivered after {from} (options.demand_months = {demand_months}){}; lead times and unit prices over all",
                obs.len(),
                period.from.map_or("?".into(), |d| d.to_string()),
                to,
                if undated > 0 {
                    format!(", {undated} without a delivery date not among them")
                } else {
                    String::new()
                },
            ),
            None => format!(
                "procurement lines as imported ({} lines, none dated), in comparison units",
                obs.len()
            ),
        },
        "manufacturing sites' manufacturers and countries (for SCMS: data/scms-manufacturing-sites.csv); WHO regions of the country list".into(),
        format!(
            "stock ledger: stock on hand and shipments in transit for {with_stock} country × product pairs, {} of them per level inside the country",
            inp.levels.len()
        ),
    ];
    inp.sources.extend(pipeline_note);
    inp.sources.extend([
        format!(
            "sites register: known capacity of {with_capacity} source × product pairs (the others: the stated spare capacity share)"
        ),
        format!(
            "marketing authorisations valid on the start day ({}), regulators' pathways ({} countries)",
            inp.authorised.len(),
            inp.pathway_days.len()
        ),
        format!(
            "observed lead times from order to delivery ({} lines); treatment courses as imported",
            inp.lead_times.len()
        ),
    ]);
    // The lines behind the supply and demand (the answer's observations;
    // every line when none is dated).
    Ok((inp, windowed))
}

/// The level (index into [`LEVELS`]) holding a location's stock, and its
/// country (7.8): a warehouse counts at the level it hangs from; a place
/// outside the hierarchy, none.
fn holding_level(places: &Places, code: &str) -> Option<(usize, String)> {
    let here = places.get(code)?;
    let level = |l: LocationLevel| match l {
        LocationLevel::Country => Some(0),
        LocationLevel::Region => Some(1),
        LocationLevel::District => Some(2),
        LocationLevel::Facility => Some(3),
        LocationLevel::Warehouse => None,
    };
    let mut at = level(here.level?);
    let mut p = here;
    for _ in 0..16 {
        if p.level == Some(LocationLevel::Country) {
            return Some((at.unwrap_or(0), p.code.clone()));
        }
        p = places.get(p.parent.as_deref()?)?;
        if at.is_none() {
            at = p.level.and_then(level);
        }
    }
    None
}

/// Units on their way per (country, product) and level (index into [`LEVELS`]).
type Located = BTreeMap<(String, String), BTreeMap<usize, f64>>;

/// What [`pipeline`] counted.
struct Counted {
    counted: usize,
    located: usize,
}

/// Adds shipments on their way to the pipeline of the buying country
/// holding their receiving place (`held`: only where the ledger holds the
/// country's stock), and to the receiving place's level where it has one
/// (7.8). An item is matched as the ledger names it, else by its product.
fn pipeline(
    data: &equitas_store::stock::StockData,
    needs: &mut BTreeMap<(String, String), Need>,
    located: &mut Located,
    shipments: Vec<Incoming>,
    held: bool,
) -> Counted {
    let mut c = Counted {
        counted: 0,
        located: 0,
    };
    for x in shipments {
        if !(x.quantity.is_finite() && x.quantity > 0.0) {
            continue;
        }
        let Some(to) = data.places.resolve(&x.to).map(|p| p.code.clone()) else {
            continue;
        };
        let product = data
            .catalogue
            .get(&x.item)
            .map_or(x.item.clone(), |i| i.product.clone());
        let level = holding_level(&data.places, &to);
        let country = match &level {
            Some((_, c)) => Some(c.clone()),
            None => needs
                .keys()
                .map(|k| &k.0)
                .find(|c| data.places.is_within(&to, c))
                .cloned(),
        };
        let Some(country) = country else { continue };
        let key = [(country.clone(), x.item.clone()), (country, product)]
            .into_iter()
            .find(|k| needs.get(k).is_some_and(|n| !held || n.stock.is_some()));
        let Some(key) = key else { continue };
        if let Some(n) = needs.get_mut(&key) {
            n.pipeline += x.quantity;
            c.counted += 1;
        }
        if let Some((k, _)) = level {
            *located.entry(key).or_default().entry(k).or_default() += x.quantity;
            c.located += 1;
        }
    }
    c
}

/// Stock on hand, units going out and units on their way per level inside
/// each country, for the country × product pairs whose stock the ledger
/// holds (7.8).
fn levels(
    data: &equitas_store::stock::StockData,
    needs: &BTreeMap<(String, String), Need>,
    located: &Located,
) -> BTreeMap<(String, String), Vec<LevelStock>> {
    type Acc = BTreeMap<usize, (f64, Option<f64>, f64)>;
    let mut acc: BTreeMap<(String, String), Acc> = BTreeMap::new();
    for r in stock(
        &data.ledger,
        &data.places,
        &data.bands,
        &StockQuery::default(),
    ) {
        let Some((k, country)) = holding_level(&data.places, &r.location) else {
            continue;
        };
        let key = (country, r.item);
        if needs.get(&key).is_none_or(|n| n.stock.is_none()) {
            continue;
        }
        let e = acc
            .entry(key)
            .or_default()
            .entry(k)
            .or_insert((0.0, None, 0.0));
        e.0 += r.stock_on_hand - r.expired;
        if let Some(a) = r.amc {
            e.1 = Some(e.1.unwrap_or(0.0) + a);
        }
    }
    // Shipments on their way to a level, of a pair held per level.
    for (key, by) in located {
        if let Some(m) = acc.get_mut(key) {
            for (&k, &q) in by {
                m.entry(k).or_insert((0.0, None, 0.0)).2 += q;
            }
        }
    }
    acc.into_iter()
        .map(|(key, m)| {
            let v = m
                .into_iter()
                .map(|(k, (stock, consumption, pipeline))| LevelStock {
                    level: LEVELS[k].to_string(),
                    stock,
                    consumption,
                    pipeline,
                })
                .collect();
            (key, v)
        })
        .collect()
}

/// Each source's known capacity for each product it supplies, units a
/// month (7.4): the lower bound of its register sites' annual capacity in
/// the product's comparison unit (6.5, `capacity_cover`) ÷ 12. Its sites:
/// those its flows name, else the register's sites of its organisation.
/// Returns the pairs with a known capacity.
fn capacities(ctx: &mut Ctx<'_>, inp: &mut Inputs) -> Result<usize, ServiceError> {
    let sites = st::sites(ctx.store)?;
    if sites.is_empty() {
        return Ok(0);
    }
    let units = mk::comparison_units(ctx.store)?;
    let mut by: BTreeMap<(&str, &str), (f64, Vec<&str>)> = BTreeMap::new();
    for f in &inp.flows {
        let Some(src) = f.source() else { continue };
        let e = by.entry((&f.product, src)).or_default();
        e.0 += f.per_month;
        if let Some(s) = &f.site {
            e.1.push(s);
        }
    }
    let mut out = BTreeMap::new();
    for ((product, source), (per_month, codes)) in by {
        let Some(unit) = units.get(product) else {
            continue;
        };
        let makes = |s: &&equitas_supply::registers::Site| s.products.iter().any(|p| p == product);
        let mut here: Vec<&equitas_supply::registers::Site> = sites
            .iter()
            .filter(|s| codes.contains(&s.site.as_str()))
            .filter(makes)
            .collect();
        if here.is_empty() {
            here = sites
                .iter()
                .filter(|s| s.organisation == source)
                .filter(makes)
                .collect();
        }
        if let Some(c) = equitas_supply::matching::capacity_cover(&here, unit, per_month * 12.0) {
            out.insert(
                (product.to_string(), source.to_string()),
                c.capacity_min / 12.0,
            );
        }
    }
    let n = out.len();
    inp.capacity = out;
    Ok(n)
}

/// The inputs and the compiled scenario, or what is missing.
fn prepare(
    ctx: &mut Ctx<'_>,
    r: &ScenarioRequest,
) -> Result<(Inputs, Compiled, usize), ServiceError> {
    let imported;
    let pipeline = if r.imported_pipeline {
        // Scenarios answer unscoped callers only (op::Scoping::Unscoped);
        // the scope is kept all the same, as plans keep it.
        imported = crate::planning::imported_within(ctx.stock()?, ctx.scope());
        &imported
    } else {
        &r.pipeline
    };
    let (mut inp, lines) = inputs(
        ctx,
        pipeline,
        r.imported_pipeline,
        r.scenario.options.demand_months,
    )?;
    inp.population = r.scenario.population.clone();
    if inp.needs.is_empty() {
        return Err(ServiceError::missing(
            "no demand to put at risk: load procurement lines (`equitas demo`, `equitas import scms FILE`) or stock data",
        ));
    }
    let c = compile(&r.scenario, &inp).map_err(|e| ServiceError::BadParameter {
        param: "scenario".into(),
        reason: e.to_string(),
    })?;
    Ok((inp, c, lines))
}

fn head(c: &Compiled, s: &Scenario, inp: &Inputs, lines: usize, what: &str) -> Head {
    let mut h = Head {
        method: Some(method(&c.options, what)),
        observations: Some(lines as i64),
        observed: Some("procurement lines"),
        ..Head::default()
    };
    h.extra.insert("scenario".into(), json!(s.name));
    h.extra.insert("start".into(), json!(c.start.to_string()));
    h.extra.insert("sources".into(), json!(inp.sources));
    let o = &c.options;
    let mut assumptions = vec![
        format!(
            "countries without stock data hold {} months of demand",
            o.months_of_stock
        ),
        format!(
            "an unaffected source can add its known capacity less its volume (sites register); where its capacity is unknown, {}% of its current volume ({} source × product pairs with a known capacity)",
            o.spare_capacity * 100.0,
            inp.capacity.len()
        ),
        format!(
            "{} days to authorise where the regulators register states no pathway time",
            o.authorisation_days
        ),
        "supply follows demand but for the share through the stopped nodes; shipments in transit arrive".into(),
    ];
    if inp.population.is_empty() {
        assumptions.push(
            "priority to need: no population given (`--population FILE`, or `population` in the scenario), so unmet need per capita cannot be computed: the rule falls back to the income group, then the largest ask".into(),
        );
    } else {
        let known = inp
            .needs
            .iter()
            .filter(|n| inp.population.contains_key(&n.country))
            .map(|n| n.country.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        assumptions.push(format!(
            "priority to need: within an income group, the largest ask per person first (population given for {} countries, {known} of them buyers here; the others: the largest ask)",
            inp.population.len()
        ));
    }
    if inp.lead_times.is_empty() {
        assumptions.push(format!(
            "no lead time observed: {} months",
            o.lead_time_months
        ));
    }
    assumptions.extend(c.notes.iter().cloned());
    h.extra.insert("assumptions".into(), json!(assumptions));
    h
}

/// The dimension of `labels` a node of `kind` is named in (`site`,
/// `manufacturer`; a producing country's is `country`).
pub fn node_dim(kind: &str) -> &str {
    match kind {
        "producing-country" => "country",
        k => k,
    }
}

/// The names of the codes an answer shows, as market and supply answers
/// give them (`labels.country["NGA"]`): countries, products, sites and
/// manufacturers, in the caller's language (`Accept-Language`). A code the
/// store has no name for (the demo's synthetic country) is left out.
fn labels<'a>(
    ctx: &mut Ctx<'_>,
    codes: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Value, ServiceError> {
    let names = mk::names(ctx.store, ctx.lang)?;
    let mut out = crate::market::Labels::new(&names);
    for (dim, code) in codes {
        let d = match dim {
            "country" => Dim::BuyerCountry,
            "product" => Dim::Product,
            "site" => Dim::Site,
            "manufacturer" => Dim::Supplier,
            _ => continue,
        };
        out.add(d, dim, code);
    }
    Ok(out.into_value())
}

/// The labels of rows naming a country and a product each.
fn pair_labels<'a>(
    ctx: &mut Ctx<'_>,
    pairs: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<Value, ServiceError> {
    labels(
        ctx,
        pairs.flat_map(|(c, p)| [("country", c), ("product", p)]),
    )
}

/// `GET /api/v1/scenario/run`, `equitas scenario run`.
pub struct Run;

impl Operation for Run {
    type Request = ScenarioRequest;
    type Row = ImpactRow;
    const NEEDS: Needs = Needs::Stock;

    fn endpoint() -> Endpoint {
        endpoint(
            "/api/v1/scenario/run",
            "A disruption scenario: for each buying country × product it touches, exposure, time to survive, to recover and to qualify an alternative, gap, stockout date, unmet demand, and by Monte Carlo the probability of a stockout",
        )
    }

    fn request(a: &Args) -> Result<ScenarioRequest, ServiceError> {
        request_with_events(a)
    }

    fn run(ctx: &mut Ctx<'_>, r: &ScenarioRequest) -> Result<Answer<ImpactRow>, ServiceError> {
        let (inp, c, lines) = prepare(ctx, r)?;
        let rows = equitas_scenario::run(&c, &inp, true);
        let mut h = head(&c, &r.scenario, &inp, lines, "Disruption scenario");
        let l = pair_labels(
            ctx,
            rows.iter()
                .map(|x| (x.country.as_str(), x.product.as_str())),
        )?;
        h.extra.insert("labels".into(), l);
        let untouched = inp.needs.len().saturating_sub(rows.len());
        h.extra.insert("untouched".into(), json!(untouched));
        let touched = rows.len();
        let mut a = Answer::new(h, rows);
        a.notes.push(format!(
            "{touched} country × product pairs touched, {untouched} untouched."
        ));
        Ok(a)
    }
}

/// `GET /api/v1/scenario/countries`, `equitas scenario countries`.
pub struct Countries;

impl Operation for Countries {
    type Request = ScenarioRequest;
    type Row = CountryImpactRow;
    const NEEDS: Needs = Needs::Stock;

    fn endpoint() -> Endpoint {
        endpoint(
            "/api/v1/scenario/countries",
            "A disruption scenario per buying country: products touched and short, the largest gap, the first stockout, unmet demand",
        )
    }

    fn request(a: &Args) -> Result<ScenarioRequest, ServiceError> {
        request_with_events(a)
    }

    fn run(
        ctx: &mut Ctx<'_>,
        r: &ScenarioRequest,
    ) -> Result<Answer<CountryImpactRow>, ServiceError> {
        let (inp, c, lines) = prepare(ctx, r)?;
        let rows = equitas_scenario::by_country(&equitas_scenario::run(&c, &inp, false));
        let mut h = head(
            &c,
            &r.scenario,
            &inp,
            lines,
            "Disruption scenario by country",
        );
        let l = labels(ctx, rows.iter().map(|x| ("country", x.country.as_str())))?;
        h.extra.insert("labels".into(), l);
        Ok(Answer::new(h, rows))
    }
}

/// `GET /api/v1/scenario/projection`, `equitas scenario projection`.
pub struct Projection;

pub struct ProjectionRequest {
    pub scenario: ScenarioRequest,
    pub country: Option<String>,
    pub product: Option<String>,
}

impl Operation for Projection {
    type Request = ProjectionRequest;
    type Row = Month;
    const NEEDS: Needs = Needs::Stock;

    fn endpoint() -> Endpoint {
        let mut e = endpoint(
            "/api/v1/scenario/projection",
            "One buying country × product month by month under the scenario: demand, supply, alternative supply, stock with and without the shock, unmet demand (default: the pair with the most unmet demand)",
        );
        e.params.insert(
            1,
            Param::new(
                "country",
                Kind::Text,
                "The buying country (ISO3); default: that of the pair with the most unmet demand.",
            ),
        );
        e.params.insert(
            2,
            Param::new(
                "product",
                Kind::Text,
                "The product (code); default: that of the pair with the most unmet demand.",
            ),
        );
        e
    }

    fn request(a: &Args) -> Result<ProjectionRequest, ServiceError> {
        Ok(ProjectionRequest {
            scenario: request_with_events(a)?,
            country: a.get("country")?,
            product: a.get("product")?,
        })
    }

    fn run(ctx: &mut Ctx<'_>, r: &ProjectionRequest) -> Result<Answer<Month>, ServiceError> {
        let (inp, c, lines) = prepare(ctx, &r.scenario)?;
        let rows = equitas_scenario::run(&c, &inp, false);
        let pick = rows.iter().find(|x| {
            r.country.as_ref().is_none_or(|k| &x.country == k)
                && r.product.as_ref().is_none_or(|p| &x.product == p)
        });
        // A country or product the data does not name is a parameter
        // error with the name likely meant, not "nothing touched" (a user
        // pass, 2026-12-07: `country=nga`).
        for (param, asked, known) in [
            ("country", &r.country, inp.countries()),
            ("product", &r.product, inp.products()),
        ] {
            if let Some(a) = asked
                && !known.contains(a.as_str())
            {
                let like = equitas_model::suggest::did_you_mean(a, known.iter().map(|k| (*k, *k)));
                return Err(ServiceError::Unknown {
                    param: param.into(),
                    reason: match like {
                        Some(k) => {
                            format!("{a:?} is no {param} of the data loaded; did you mean {k:?}?")
                        }
                        None => format!("{a:?} is no {param} of the data loaded"),
                    },
                });
            }
        }
        let Some(pair) = pick else {
            return Err(ServiceError::missing(format!(
                "the scenario touches no pair of {} and {}",
                r.country.as_deref().unwrap_or("any country"),
                r.product.as_deref().unwrap_or("any product")
            )));
        };
        let months = equitas_scenario::projection(&c, &inp, &pair.country, &pair.product)
            .unwrap_or_default();
        let mut h = head(
            &c,
            &r.scenario.scenario,
            &inp,
            lines,
            "Projection under the scenario (7.2)",
        );
        h.extra.insert("country".into(), json!(pair.country));
        h.extra.insert("product".into(), json!(pair.product));
        let l = pair_labels(
            ctx,
            std::iter::once((pair.country.as_str(), pair.product.as_str())),
        )?;
        h.extra.insert("labels".into(), l);
        let shown = |dim: &str, code: &str| match h.label(dim, code) {
            n if n == code => code.to_string(),
            n => format!("{n} ({code})"),
        };
        let note = format!(
            "Pair: {} × {}; month 1 is the first month from the start.",
            shown("country", &pair.country),
            shown("product", &pair.product)
        );
        let mut a = Answer::new(h, months);
        a.notes.push(note);
        Ok(a)
    }
}

/// `GET /api/v1/scenario/nodes`, `equitas scenario nodes`.
pub struct Nodes;

impl Operation for Nodes {
    type Request = ScenarioRequest;
    type Row = NodeRow;
    const NEEDS: Needs = Needs::Stock;

    fn endpoint() -> Endpoint {
        endpoint(
            "/api/v1/scenario/nodes",
            "Node ranking: each site, manufacturer and producing country stopped in turn, ranked by the unmet demand it causes (the scenario's options apply, its shocks do not)",
        )
    }

    fn request(a: &Args) -> Result<ScenarioRequest, ServiceError> {
        request(a)
    }

    fn run(ctx: &mut Ctx<'_>, r: &ScenarioRequest) -> Result<Answer<NodeRow>, ServiceError> {
        let (inp, c, lines) = prepare(ctx, r)?;
        let rows = equitas_scenario::rank_nodes(&c, &inp);
        let mut h = head(&c, &r.scenario, &inp, lines, "Node ranking (7.7)");
        let l = labels(
            ctx,
            rows.iter().map(|x| (node_dim(&x.kind), x.node.as_str())),
        )?;
        h.extra.insert("labels".into(), l);
        Ok(Answer::new(h, rows))
    }
}

/// `GET /api/v1/scenario/compare`, `equitas scenario compare`.
pub struct Compare;

impl Operation for Compare {
    type Request = ScenarioRequest;
    type Row = MitigationRow;
    const NEEDS: Needs = Needs::Stock;

    fn endpoint() -> Endpoint {
        endpoint(
            "/api/v1/scenario/compare",
            "The scenario's mitigations (safety stock, a second source, a regional producer) each against the same scenario: unmet demand averted, who benefits, cost where known",
        )
    }

    fn request(a: &Args) -> Result<ScenarioRequest, ServiceError> {
        request_with_events(a)
    }

    fn run(ctx: &mut Ctx<'_>, r: &ScenarioRequest) -> Result<Answer<MitigationRow>, ServiceError> {
        let (inp, c, lines) = prepare(ctx, r)?;
        let rows = equitas_scenario::compare(&c, &r.scenario, &inp);
        let mut h = head(&c, &r.scenario, &inp, lines, "Mitigations compared (7.7)");
        let l = pair_labels(
            ctx,
            rows.iter()
                .flat_map(|x| &x.beneficiaries)
                .map(|b| (b.country.as_str(), b.product.as_str())),
        )?;
        h.extra.insert("labels".into(), l);
        let mut a = Answer::new(h, rows);
        if r.scenario.mitigations.is_empty() {
            a.notes.push(
                "the scenario lists no mitigations: add [[mitigations]] (docs/formulas.md 7.7)"
                    .into(),
            );
        }
        // A safety stock's cost says which products have no price, left
        // out of it (a user pass, 2026-12-07: the cost was blank without a
        // word, then missing whole for one product without a price).
        let names = mk::names(ctx.store, ctx.lang)?;
        for (i, m) in r.scenario.mitigations.iter().enumerate() {
            if let equitas_scenario::Mitigation::SafetyStock {
                country, product, ..
            } = m
            {
                // The products the safety stock holds, and those without a price.
                let held: std::collections::BTreeSet<&str> = inp
                    .needs_of(country.as_deref(), product.as_deref())
                    .map(|n| n.product.as_str())
                    .collect();
                let unpriced: Vec<&str> = held
                    .iter()
                    .copied()
                    .filter(|p| !inp.unit_prices.contains_key(*p))
                    .collect();
                if !unpriced.is_empty() {
                    let shown: Vec<String> = unpriced
                        .iter()
                        .take(5)
                        .map(|p| crate::market::name_and_code(&names, Dim::Product, p))
                        .collect();
                    let all = unpriced.len() == held.len();
                    a.notes.push(format!(
                        "mitigations[{i}] ({}): {}, as {} product(s) held have no unit price in the procurement lines: {}{}",
                        m.label(),
                        if all { "no cost" } else { "the cost counts only the products with a price, and no cost per unit averted is given" },
                        unpriced.len(),
                        shown.join("; "),
                        if unpriced.len() > shown.len() { "; ..." } else { "" }
                    ));
                }
            }
        }
        Ok(a)
    }
}

/// `GET /api/v1/scenario/allocation`, `equitas scenario allocation`.
pub struct Allocation;

impl Operation for Allocation {
    type Request = ScenarioRequest;
    type Row = AllocationRow;
    const NEEDS: Needs = Needs::Stock;

    fn endpoint() -> Endpoint {
        endpoint(
            "/api/v1/scenario/allocation",
            "Scarce spare capacity shared pro rata, by order date or by need: unmet demand per income group under each rule and the disparity between groups",
        )
    }

    fn request(a: &Args) -> Result<ScenarioRequest, ServiceError> {
        request(a)
    }

    fn run(ctx: &mut Ctx<'_>, r: &ScenarioRequest) -> Result<Answer<AllocationRow>, ServiceError> {
        let (inp, c, lines) = prepare(ctx, r)?;
        let rows = equitas_scenario::allocation(&c, &inp);
        let h = head(
            &c,
            &r.scenario,
            &inp,
            lines,
            "Allocation rules compared (7.5)",
        );
        Ok(Answer::new(h, rows))
    }
}
