//! The computation of a scenario (docs/formulas.md 7): each buying country
//! × product's exposure, time to survive, time to recover, time to qualify
//! an alternative, gap, stockout date, months short and unmet demand, by a
//! month-by-month projection, and by Monte Carlo over the durations, lead
//! times and demand (the random source and demand draws of
//! `equitas_planning::plan`, fixed seed).

use crate::inputs::{Inputs, LevelStock, SupplyFlow};
use crate::model::{Mitigation, Options, Rule, Scenario, ScenarioError};
use chrono::NaiveDate;
use equitas_planning::plan::{PathRng, draw_demand, path_rng};
use rand::Rng;
use rand_distr::{Distribution, Triangular};
use std::collections::{BTreeMap, BTreeSet};

/// Days in an average month (365.25 ÷ 12).
pub const DAYS_PER_MONTH: f64 = 30.4375;

fn months_between(a: NaiveDate, b: NaiveDate) -> f64 {
    (b - a).num_days() as f64 / DAYS_PER_MONTH
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Target {
    Site(String),
    Manufacturer(String),
    Country(String),
    Ingredient(String),
    Region(String),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Dur {
    Fixed(f64),
    Tri(f64, f64, f64),
}

impl Dur {
    fn likely(self) -> f64 {
        match self {
            Dur::Fixed(m) | Dur::Tri(_, m, _) => m,
        }
    }

    fn draw(self, rng: &mut PathRng) -> f64 {
        match self {
            Dur::Fixed(m) => m,
            Dur::Tri(a, m, b) => match Triangular::new(a, b, m) {
                Ok(t) if b > a => t.sample(rng),
                _ => m,
            },
        }
    }
}

/// A loss of capacity at a node (or of exports towards some buyers).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Event {
    pub target: Target,
    pub buyers: Option<BTreeSet<String>>,
    pub loss: f64,
    pub start: f64,
    pub dur: Dur,
}

impl Event {
    fn hits(&self, f: &SupplyFlow) -> bool {
        self.buyers.as_ref().is_none_or(|b| b.contains(&f.buyer)) && self.target.holds(f)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SurgeEv {
    countries: BTreeSet<String>,
    inc: f64,
    start: f64,
    end: f64,
}

/// A scenario resolved against its inputs: months counted from its start.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    pub(crate) events: Vec<Event>,
    pub(crate) surges: Vec<SurgeEv>,
    pub options: Options,
    pub start: NaiveDate,
    /// Spare capacity stated by the scenario, units a month, per (product,
    /// source) (7.4).
    pub(crate) spare: BTreeMap<(String, String), f64>,
    /// Statements about how the scenario was read (the largest producing
    /// country resolved...).
    pub notes: Vec<String>,
}

impl Target {
    /// The scenario field that names it.
    fn field(&self) -> &'static str {
        match self {
            Target::Site(_) => "site",
            Target::Manufacturer(_) => "manufacturer",
            Target::Country(_) => "producing_country",
            Target::Ingredient(_) => "ingredient_country",
            Target::Region(_) => "region",
        }
    }

    /// True if the flow `f` goes through this node.
    fn holds(&self, f: &SupplyFlow) -> bool {
        let is = |o: &Option<String>, v: &String| o.as_ref() == Some(v);
        match self {
            Target::Site(s) => is(&f.site, s),
            Target::Manufacturer(m) => is(&f.manufacturer, m),
            Target::Country(c) => is(&f.country, c),
            Target::Ingredient(c) => f.ingredient_countries.contains(c),
            Target::Region(r) => is(&f.region, r),
        }
    }

    /// The node's names of its kind that the flow `f` has (to suggest one).
    fn of<'f>(&self, f: &'f SupplyFlow) -> Vec<&'f str> {
        match self {
            Target::Site(_) => f.site.as_deref().into_iter().collect(),
            Target::Manufacturer(_) => f.manufacturer.as_deref().into_iter().collect(),
            Target::Country(_) => f.country.as_deref().into_iter().collect(),
            Target::Ingredient(_) => f.ingredient_countries.iter().map(String::as_str).collect(),
            Target::Region(_) => f.region.as_deref().into_iter().collect(),
        }
    }

    fn name(&self) -> &str {
        match self {
            Target::Site(x)
            | Target::Manufacturer(x)
            | Target::Country(x)
            | Target::Ingredient(x)
            | Target::Region(x) => x,
        }
    }
}

/// Why a shock's node is refused: it names none of the supply flows loaded
/// (a typing error would otherwise touch nothing and read as "nothing
/// affected"). The reason suggests the name meant, written another way or
/// spelt close ([`equitas_model::suggest`]: `ind` for `IND`, "Aurobindo
/// Pharma" for `aurobindo-pharma`), else lists some of the names there are. Nothing
/// is refused when no flow is loaded: the answer then says so.
fn unknown_node(target: &Target, flows: &[SupplyFlow]) -> Option<String> {
    if flows.is_empty() || flows.iter().any(|f| target.holds(f)) {
        return None;
    }
    let names: BTreeSet<&str> = flows.iter().flat_map(|f| target.of(f)).collect();
    let what = match target {
        Target::Site(_) => "site",
        Target::Manufacturer(_) => "manufacturer",
        Target::Country(_) => "producing country",
        Target::Ingredient(_) => "ingredient country",
        Target::Region(_) => "producing region",
    };
    let asked = target.name();
    if let Some(like) = equitas_model::suggest::did_you_mean(asked, names.iter().map(|n| (n, *n))) {
        return Some(format!(
            "{asked:?} names no {what} of the supply loaded; did you mean {like:?}?"
        ));
    }
    if names.is_empty() {
        let load = match target {
            Target::Ingredient(_) => {
                "; ingredient countries come from `equitas import ingredient-sources`"
            }
            Target::Region(_) => "; a producing country's region comes from the country codes",
            _ => "",
        };
        return Some(format!(
            "{asked:?}: no supply flow loaded names any {what}{load}"
        ));
    }
    let shown: Vec<&str> = names.iter().take(12).copied().collect();
    Some(format!(
        "{asked:?} names no {what} of the supply loaded ({} known{}: {}{})",
        names.len(),
        if names.len() > shown.len() {
            ", the first"
        } else {
            ""
        },
        shown.join(", "),
        if names.len() > shown.len() { "..." } else { "" }
    ))
}

/// The producing country with the largest supply (ties: the first by code).
pub fn largest_producer(flows: &[SupplyFlow]) -> Option<(String, f64)> {
    let mut by: BTreeMap<&str, f64> = BTreeMap::new();
    let mut total = 0.0;
    for f in flows {
        total += f.per_month;
        if let Some(c) = &f.country {
            *by.entry(c).or_default() += f.per_month;
        }
    }
    by.into_iter()
        .fold(None::<(&str, f64)>, |b, (k, v)| match b {
            Some((_, w)) if w >= v => b,
            _ => Some((k, v)),
        })
        .map(|(k, v)| (k.to_string(), if total > 0.0 { v / total } else { 0.0 }))
}

fn dur(months: Option<f64>, tri: Option<[f64; 3]>) -> Dur {
    match (months, tri) {
        (_, Some([a, m, b])) => Dur::Tri(a, m, b),
        (Some(m), None) => Dur::Fixed(m),
        (None, None) => Dur::Fixed(0.0),
    }
}

/// Resolves a checked scenario against its inputs.
/// Refuses what would otherwise change nothing without a word (a user
/// pass, 2026-12-07): an event dated before the scenario's start (it was
/// run from the start, in full) or after its horizon; a surge country
/// written otherwise than the data write it (one the data lack is noted
/// as not used); a mitigation's country, product or source that the data
/// loaded do not name (the mitigation then showed a reduction of 0). The reason
/// suggests the name meant ([`equitas_model::suggest`]). Nothing is
/// refused by name when no supply is loaded.
fn check_names(
    s: &Scenario,
    inp: &Inputs,
    start: NaiveDate,
    notes: &mut Vec<String>,
) -> Result<(), ScenarioError> {
    let horizon = s.options.horizon_months as f64;
    let dated = s
        .shocks
        .iter()
        .enumerate()
        .map(|(i, k)| (format!("shocks[{i}].from"), k.from))
        .chain(
            s.export_restrictions
                .iter()
                .enumerate()
                .map(|(i, r)| (format!("export_restrictions[{i}].from"), r.from)),
        )
        .chain(
            s.surges
                .iter()
                .enumerate()
                .map(|(i, u)| (format!("surges[{i}].from"), u.from)),
        );
    for (field, from) in dated {
        let Some(d) = from else { continue };
        if d < start {
            return Err(ScenarioError::Field {
                field,
                reason: format!(
                    "{d} is before the scenario's start ({start}): an event starts on or after it (set `start` earlier, or `from` later)"
                ),
            });
        }
        if months_between(start, d) >= horizon {
            return Err(ScenarioError::Field {
                field,
                reason: format!(
                    "{d} is after the scenario's horizon ({} months from {start}): nothing would be seen of it (raise `options.horizon_months`)",
                    s.options.horizon_months
                ),
            });
        }
    }
    if inp.flows.is_empty() {
        return Ok(());
    }
    let buyers = inp.countries();
    let products = inp.products();
    let sources: BTreeSet<&str> = inp.flows.iter().filter_map(|f| f.source()).collect();
    let places: BTreeSet<&str> = buyers
        .iter()
        .copied()
        .chain(inp.flows.iter().filter_map(|f| f.country.as_deref()))
        .collect();
    let known = |field: String, v: &str, set: &BTreeSet<&str>, what: &str| {
        if set.contains(v) {
            return Ok(());
        }
        let like = equitas_model::suggest::did_you_mean(v, set.iter().map(|x| (*x, *x)));
        Err(ScenarioError::Field {
            field,
            reason: match like {
                Some(x) => format!("{v:?} is no {what} of the data loaded; did you mean {x:?}?"),
                None => format!("{v:?} is no {what} of the data loaded"),
            },
        })
    };
    // A surge country written otherwise (`ken`) is refused with the code
    // meant; one the data does not name at all (the default scenario's
    // XSY, the demo's country, on other data) is noted as not used.
    for (i, u) in s.surges.iter().enumerate() {
        for c in &u.countries {
            if buyers.contains(c.as_str()) {
                continue;
            }
            match equitas_model::suggest::did_you_mean(c, buyers.iter().map(|x| (*x, *x))) {
                Some(_) => known(
                    format!("surges[{i}].countries"),
                    c,
                    &buyers,
                    "buying country",
                )?,
                None => notes.push(format!(
                    "surges[{i}]: {c} buys nothing in the data loaded: not used"
                )),
            }
        }
    }
    for (i, m) in s.mitigations.iter().enumerate() {
        let f = |x: &str| format!("mitigations[{i}].{x}");
        match m {
            Mitigation::SafetyStock {
                country, product, ..
            } => {
                if let Some(c) = country {
                    known(f("country"), c, &buyers, "buying country")?;
                }
                if let Some(p) = product {
                    known(f("product"), p, &products, "product")?;
                }
            }
            Mitigation::SecondSource {
                country,
                product,
                source,
                ..
            } => {
                known(f("country"), country, &buyers, "buying country")?;
                known(f("product"), product, &products, "product")?;
                known(
                    f("source"),
                    source,
                    &sources,
                    "source (manufacturer or site)",
                )?;
            }
            Mitigation::RegionalProducer {
                country,
                products: made,
                territory,
                ..
            } => {
                known(f("country"), country, &places, "country")?;
                for p in made {
                    known(f("products"), p, &products, "product")?;
                }
                for c in territory {
                    known(f("territory"), c, &buyers, "buying country")?;
                }
            }
        }
    }
    Ok(())
}

pub fn compile(s: &Scenario, inp: &Inputs) -> Result<Compiled, ScenarioError> {
    s.check()?;
    let start = s.start.or(inp.start).ok_or_else(|| ScenarioError::Field {
        field: "start".into(),
        reason: "no start day given and none found in the data".into(),
    })?;
    let at = |d: Option<NaiveDate>| d.map_or(0.0, |d| months_between(start, d).max(0.0));
    let mut notes = Vec::new();
    check_names(s, inp, start, &mut notes)?;
    let mut events = Vec::new();
    for (i, k) in s.shocks.iter().enumerate() {
        let target = if let Some(x) = &k.site {
            Target::Site(x.clone())
        } else if let Some(x) = &k.manufacturer {
            Target::Manufacturer(x.clone())
        } else if let Some(x) = &k.producing_country {
            if x == "largest" {
                let (c, share) =
                    largest_producer(&inp.flows).ok_or_else(|| ScenarioError::Field {
                        field: format!("shocks[{i}].producing_country"),
                        reason: "\"largest\": no producing country is known in the data loaded"
                            .into(),
                    })?;
                notes.push(format!(
                    "shocks[{i}]: the largest producing country is {c} ({:.1}% of the units supplied in the months of lines the scenario reads, options.demand_months)",
                    share * 100.0
                ));
                Target::Country(c)
            } else {
                Target::Country(x.clone())
            }
        } else if let Some(x) = &k.ingredient_country {
            Target::Ingredient(x.clone())
        } else if let Some(x) = &k.region {
            Target::Region(x.clone())
        } else {
            unreachable!("checked: one target")
        };
        let field = format!("shocks[{i}].{}", target.field());
        if let Some(reason) = unknown_node(&target, &inp.flows) {
            return Err(ScenarioError::Field { field, reason });
        }
        events.push(Event {
            target,
            buyers: None,
            loss: k.loss,
            start: at(k.from),
            dur: dur(k.months, k.triangular),
        });
    }
    for (i, r) in s.export_restrictions.iter().enumerate() {
        let target = Target::Country(r.country.clone());
        if let Some(reason) = unknown_node(&target, &inp.flows) {
            return Err(ScenarioError::Field {
                field: format!("export_restrictions[{i}].country"),
                reason,
            });
        }
        // The buyers named must buy something, or the restriction touches
        // nothing without a word (review).
        if !inp.flows.is_empty()
            && let Some(b) =
                r.to.iter()
                    .find(|b| !inp.flows.iter().any(|f| &f.buyer == *b))
        {
            let like = equitas_model::suggest::did_you_mean(
                b,
                inp.flows
                    .iter()
                    .map(|f| (f.buyer.as_str(), f.buyer.as_str())),
            );
            return Err(ScenarioError::Field {
                field: format!("export_restrictions[{i}].to"),
                reason: match like {
                    Some(x) => {
                        format!("{b:?} buys nothing in the supply loaded; did you mean {x:?}?")
                    }
                    None => format!("{b:?} buys nothing in the supply loaded"),
                },
            });
        }
        events.push(Event {
            target,
            buyers: (!r.to.is_empty()).then(|| r.to.iter().cloned().collect()),
            loss: 1.0,
            start: at(r.from),
            dur: dur(r.months, r.triangular),
        });
    }
    let surges = s
        .surges
        .iter()
        .map(|u| {
            let st = at(u.from);
            SurgeEv {
                countries: u.countries.iter().cloned().collect(),
                inc: u.increase,
                start: st,
                end: st + u.months,
            }
        })
        .collect();
    let mut spare = BTreeMap::new();
    for (i, k) in s.spare_capacity.iter().enumerate() {
        let supplies = inp
            .flows
            .iter()
            .any(|f| f.product == k.product && f.source() == Some(k.source.as_str()));
        if supplies {
            notes.push(format!(
                "spare_capacity[{i}]: {} can add {} units a month of {} (stated in the scenario)",
                k.source, k.per_month, k.product
            ));
            spare.insert((k.product.clone(), k.source.clone()), k.per_month);
        } else {
            notes.push(format!(
                "spare_capacity[{i}]: {} supplies no {} in the data loaded: not used",
                k.source, k.product
            ));
        }
    }
    Ok(Compiled {
        events,
        surges,
        options: s.options.clone(),
        start,
        spare,
        notes,
    })
}

/// One month-by-month projection of a country × product (7.2).
pub(crate) struct Run<'a> {
    pub d: f64,
    pub stock: f64,
    pub horizon: usize,
    /// (share of supply, the events that hit it).
    pub groups: &'a [(f64, Vec<usize>)],
    pub loss: &'a [f64],
    /// Each event's (start, end) in months.
    pub win: &'a [(f64, f64)],
    /// (start, end, increase).
    pub surges: &'a [(f64, f64, f64)],
    /// Alternative supply: (first month it arrives, units a month).
    pub alts: &'a [(f64, f64)],
    /// Every month of the horizon recorded here, when given.
    pub trace: Option<&'a std::cell::RefCell<Vec<Month>>>,
}

/// One month of a projection (7.2): what was asked, what came, what was left.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct Month {
    /// 1: the first month from the start.
    pub month: usize,
    pub demand: f64,
    /// Regular supply: what the unaffected share brought.
    pub supply: f64,
    /// Supply from alternative sources.
    pub alternative: f64,
    /// Stock at the month's end with the shock.
    pub stock: f64,
    /// Stock at the month's end without it (supply follows demand: as at the start).
    pub stock_without: f64,
    pub unmet: f64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Outcome {
    pub unmet: f64,
    /// Months from the start to the stockout.
    pub first: Option<f64>,
    /// Months of demand unmet.
    pub short: f64,
}

pub(crate) fn simulate(r: &Run<'_>, mut noise: Option<(&mut PathRng, f64)>) -> Outcome {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for (_, ev) in r.groups {
        for &i in ev {
            lo = lo.min(r.win[i].0);
            hi = hi.max(r.win[i].1);
        }
    }
    for s in r.surges {
        lo = lo.min(s.0);
        hi = hi.max(s.1);
    }
    let mut out = Outcome::default();
    if lo >= hi || lo.is_nan() || hi.is_nan() || r.d <= 0.0 {
        return out;
    }
    let k0 = (lo.max(0.0).floor() as usize + 1).max(1);
    let k1 = if hi.is_finite() {
        (hi.ceil() as usize).min(r.horizon)
    } else {
        r.horizon
    };
    // A trace covers the whole horizon (outside the events nothing changes).
    let (k0, k1) = if r.trace.is_some() {
        (1, r.horizon)
    } else {
        (k0, k1)
    };
    let mut stock = r.stock;
    for k in k0..=k1 {
        let (a, b) = ((k - 1) as f64, k as f64);
        let ov = |s: f64, e: f64| (e.min(b) - s.max(a)).max(0.0);
        let mut lost = 0.0;
        for (w, ev) in r.groups {
            let mut keep = 1.0;
            for &i in ev {
                keep *= 1.0 - r.loss[i] * ov(r.win[i].0, r.win[i].1);
            }
            lost += w * (1.0 - keep);
        }
        let surge: f64 = r.surges.iter().map(|s| s.2 * ov(s.0, s.1)).sum();
        let n = match &mut noise {
            Some((rng, cv)) => draw_demand(rng, 1.0, *cv),
            None => 1.0,
        };
        let base = r.d * n;
        let demand = base * (1.0 + surge);
        if demand <= 0.0 {
            continue;
        }
        let need = base * (lost + surge);
        let alt = r
            .alts
            .iter()
            .map(|&(s, q)| q * ov(s, f64::INFINITY))
            .sum::<f64>()
            .min(need);
        // Demand and supply flow evenly through the month: the stock runs
        // out when the opening stock has covered demand less inflow.
        let inflow = base * (1.0 - lost) + alt;
        let opening = stock;
        let met = (opening + inflow).min(demand);
        stock = opening + inflow - met;
        let unmet = demand - met;
        if let Some(t) = r.trace {
            t.borrow_mut().push(Month {
                month: k,
                demand,
                supply: base * (1.0 - lost),
                alternative: alt,
                stock,
                stock_without: r.stock,
                unmet,
            });
        }
        if unmet > 1e-9 * demand.max(1.0) {
            out.unmet += unmet;
            out.short += unmet / demand;
            if out.first.is_none() {
                // Not before the first event: its month's loss is spread
                // over the month, the stockout not.
                out.first = Some((a + opening / (demand - inflow)).max(lo));
            }
        }
    }
    out
}

/// A country's need for spare capacity (7.5).
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub country: String,
    /// Units a month.
    pub need: f64,
    /// When the country runs out (months; none: never), for `order-date`.
    pub order: Option<f64>,
    pub income_group: Option<String>,
    pub population: Option<f64>,
    /// Units the country would go short over the disruption without an
    /// alternative (its unmet need), for `need`.
    pub unmet: f64,
}

/// Low income first; unknown last.
pub fn income_rank(g: Option<&str>) -> u8 {
    let g = g.unwrap_or("").to_lowercase();
    // "Lower middle income" starts with "low" too: asked first.
    if g.starts_with("lower") {
        1
    } else if g.starts_with("low") {
        0
    } else if g.starts_with("upper") {
        2
    } else if g.starts_with("high") {
        3
    } else {
        4
    }
}

/// What a pair asks of a source under priority to need (7.5): of what it
/// still lacks a month (`left`), no more than prevents the unmet need it
/// has left (`avoidable`: its unmet need less what the sources served
/// before give until the end of its disruption) over the `months` from
/// the source's arrival (`arrival`, months after the pair's first event)
/// to that end. What goes unmet between its stockout (`tts`) and the
/// arrival cannot be prevented by this source: the loss of those months
/// (`loss` a month) less what earlier sources gave in them (`earlier`),
/// left out of the ask.
pub fn need_cap(
    left: f64,
    avoidable: f64,
    loss: f64,
    tts: Option<f64>,
    arrival: f64,
    months: f64,
    earlier: f64,
) -> f64 {
    if months <= 0.0 || avoidable <= 0.0 {
        return 0.0;
    }
    let lost_before = tts.map_or(0.0, |s| (loss * (arrival - s).max(0.0) - earlier).max(0.0));
    ((avoidable - lost_before).max(0.0) / months).min(left)
}

/// Shares `spare` units a month among `requests` by `rule`; no request
/// gets more than its need, and the whole never exceeds `spare` (7.5).
pub fn allocate(rule: Rule, spare: f64, requests: &[Request]) -> Vec<f64> {
    let spare = if spare.is_finite() {
        spare.max(0.0)
    } else {
        0.0
    };
    let need = |r: &Request| {
        if r.need.is_finite() {
            r.need.max(0.0)
        } else {
            0.0
        }
    };
    let total: f64 = requests.iter().map(need).sum();
    if rule == Rule::ProRata {
        if total <= 0.0 {
            return vec![0.0; requests.len()];
        }
        let f = (spare / total).min(1.0);
        return requests.iter().map(|r| need(r) * f).collect();
    }
    let mut order: Vec<usize> = (0..requests.len()).collect();
    // By need: the countries with an unmet need first, by income group;
    // within a group those whose population is known by their unmet need
    // per person, then the others by their unmet need (not comparable);
    // then those whose stock carries them through, likewise.
    let key = |r: &Request| -> (u8, u8, u8, f64) {
        match rule {
            Rule::OrderDate => (0, 0, 0, r.order.unwrap_or(f64::INFINITY)),
            _ => {
                let u = if r.unmet.is_finite() {
                    r.unmet.max(0.0)
                } else {
                    0.0
                };
                let rank = income_rank(r.income_group.as_deref());
                let none = u8::from(u <= 0.0);
                match r.population {
                    Some(p) if p > 0.0 => (none, rank, 0, -u / p),
                    _ => (none, rank, 1, -u),
                }
            }
        }
    };
    order.sort_by(|&i, &j| {
        let (a, b) = (key(&requests[i]), key(&requests[j]));
        a.0.cmp(&b.0)
            .then(a.1.cmp(&b.1))
            .then(a.2.cmp(&b.2))
            .then(a.3.total_cmp(&b.3))
            .then(need(&requests[j]).total_cmp(&need(&requests[i])))
            .then(requests[i].country.cmp(&requests[j].country))
    });
    let mut left = spare;
    let mut out = vec![0.0; requests.len()];
    for i in order {
        let g = need(&requests[i]).min(left);
        out[i] = g;
        left -= g;
    }
    out
}

/// Changes a mitigation makes to the world a scenario runs in.
#[derive(Debug, Clone, Default)]
pub(crate) struct Extras {
    /// More months of stock, per (country, product or "").
    pub stock_months: BTreeMap<(String, String), f64>,
    pub authorised: BTreeSet<(String, String, String)>,
    pub producers: Vec<Producer>,
}

#[derive(Debug, Clone)]
pub(crate) struct Producer {
    pub name: String,
    pub flow: SupplyFlow,
    pub products: Vec<String>,
    pub per_month: f64,
    pub from: f64,
    pub territory: BTreeSet<String>,
}

impl Extras {
    pub(crate) fn of(m: &Mitigation, c: &Compiled, inp: &Inputs) -> Extras {
        let mut x = Extras::default();
        match m {
            Mitigation::SafetyStock {
                country,
                product,
                months,
                ..
            } => {
                x.stock_months.insert(
                    (
                        country.clone().unwrap_or_default(),
                        product.clone().unwrap_or_default(),
                    ),
                    *months,
                );
            }
            Mitigation::SecondSource {
                country,
                product,
                source,
                ..
            } => {
                x.authorised
                    .insert((country.clone(), product.clone(), source.clone()));
            }
            Mitigation::RegionalProducer {
                site,
                country,
                products,
                capacity_per_month,
                from,
                territory,
                ..
            } => {
                let region = inp
                    .flows
                    .iter()
                    .find(|f| f.country.as_ref() == Some(country))
                    .and_then(|f| f.region.clone());
                let mut t: BTreeSet<String> = territory.iter().cloned().collect();
                if t.is_empty() {
                    t.insert(country.clone());
                }
                x.producers.push(Producer {
                    name: site.clone(),
                    flow: SupplyFlow {
                        buyer: String::new(),
                        product: String::new(),
                        manufacturer: Some(site.clone()),
                        site: Some(site.clone()),
                        country: Some(country.clone()),
                        ingredient_countries: vec![],
                        region,
                        per_month: *capacity_per_month,
                    },
                    products: products.clone(),
                    per_month: *capacity_per_month,
                    from: from.map_or(0.0, |d| months_between(c.start, d).max(0.0)),
                    territory: t,
                });
            }
        }
        x
    }
}

/// An unaffected source's spare capacity for one product.
#[derive(Debug, Clone)]
struct PoolSource {
    name: String,
    spare: f64,
    /// The spare capacity is the stated share of its volume (no known capacity).
    assumed: bool,
    from: f64,
    /// Countries it is authorised in beyond the general rule.
    territory: Option<BTreeSet<String>>,
}

/// What a run computes for one country × product, before presentation.
#[derive(Debug, Clone, PartialEq)]
pub struct PairResult {
    pub country: String,
    pub product: String,
    pub demand: f64,
    pub stock: f64,
    pub stock_assumed: bool,
    pub pipeline: f64,
    pub exposure: f64,
    /// Months from the first event to the start of the run.
    pub t_ref: f64,
    pub tts: Option<f64>,
    pub ttr: f64,
    pub ttq: Option<f64>,
    pub alternative: &'static str,
    pub authorisation_assumed: bool,
    pub gap: f64,
    pub first: Option<f64>,
    pub short: f64,
    pub unmet: f64,
    pub requested: f64,
    pub allocated: f64,
    pub mc: Option<Mc>,
    /// The deterministic projection, month by month, of the pair asked for.
    pub months: Vec<Month>,
    /// Spare capacity allocated to it from sources whose capacity is
    /// unknown (the stated share of their volume).
    pub spare_assumed: bool,
    /// Each level inside the country, where the ledger holds stock there (7.8).
    pub levels: Vec<LevelResult>,
    /// With levels: the units on their way to a place of unknown level,
    /// shared between the levels by their share of demand.
    pub pipeline_unlocated: f64,
}

/// What a run computes for one level inside a country (7.8).
#[derive(Debug, Clone, PartialEq)]
pub struct LevelResult {
    pub level: String,
    pub share: f64,
    pub demand: f64,
    pub stock: f64,
    pub pipeline: f64,
    pub tts: Option<f64>,
    pub first: Option<f64>,
    pub short: f64,
    pub unmet: f64,
    /// The Monte Carlo figures of the level, on the country's paths.
    pub mc: Option<Mc>,
}

fn pos(x: f64) -> f64 {
    if x.is_finite() { x.max(0.0) } else { 0.0 }
}

/// Alternative supply scaled to a level's share of demand.
fn scaled(alts: &[(f64, f64)], w: f64) -> Vec<(f64, f64)> {
    alts.iter().map(|&(t, q)| (t, q * w)).collect()
}

/// Each level's share of its country's demand (7.8): its consumption
/// (issues and dispensing) ÷ that of every level; when no level records
/// any, its share of the stock; none at all: equal shares.
pub fn level_shares(levels: &[LevelStock]) -> Vec<f64> {
    let c: Vec<f64> = levels
        .iter()
        .map(|l| l.consumption.map_or(0.0, pos))
        .collect();
    let s: Vec<f64> = levels.iter().map(|l| pos(l.stock)).collect();
    let (tc, ts) = (c.iter().sum::<f64>(), s.iter().sum::<f64>());
    if tc > 0.0 {
        c.iter().map(|x| x / tc).collect()
    } else if ts > 0.0 {
        s.iter().map(|x| x / ts).collect()
    } else {
        vec![1.0 / levels.len().max(1) as f64; levels.len()]
    }
}

/// The Monte Carlo figures of one country × product.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mc {
    pub p_stockout: f64,
    pub expected_unmet: f64,
    pub p95: f64,
}

fn median(v: &[f64]) -> Option<f64> {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if s.is_empty() {
        return None;
    }
    s.sort_by(f64::total_cmp);
    let n = s.len();
    Some(if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    })
}

/// The 95th percentile by nearest rank.
pub fn p95(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let i = ((0.95 * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
    v[i]
}

struct Prep<'a> {
    country: &'a str,
    product: &'a str,
    d: f64,
    stock: f64,
    stock_assumed: bool,
    pipeline: f64,
    groups: Vec<(f64, Vec<usize>)>,
    surges: Vec<(f64, f64, f64)>,
    exposure: f64,
    t_ref: f64,
    ttr: f64,
}

/// Runs the scenario: one result per affected country × product, in
/// country, product order. `mc`: with the Monte Carlo figures.
pub(crate) fn evaluate(
    c: &Compiled,
    inp: &Inputs,
    x: &Extras,
    rule: Rule,
    mc: bool,
    traced_pair: Option<(&str, &str)>,
) -> Vec<PairResult> {
    let o = &c.options;
    let horizon = o.horizon_months as usize;
    let mut by_pair: BTreeMap<(&str, &str), Vec<&SupplyFlow>> = BTreeMap::new();
    for f in &inp.flows {
        if f.per_month.is_finite() && f.per_month > 0.0 {
            by_pair.entry((&f.buyer, &f.product)).or_default().push(f);
        }
    }
    let loss: Vec<f64> = c.events.iter().map(|e| e.loss).collect();
    // Each pair's shares of supply grouped by the events that hit them.
    let mut preps: Vec<Prep> = Vec::new();
    let mut needs: Vec<&crate::inputs::Need> = inp.needs.iter().collect();
    needs.sort_by(|a, b| (&a.country, &a.product).cmp(&(&b.country, &b.product)));
    for n in needs {
        if !(n.per_month.is_finite() && n.per_month > 0.0) {
            continue;
        }
        let flows = by_pair
            .get(&(n.country.as_str(), n.product.as_str()))
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let total: f64 = flows.iter().map(|f| f.per_month).sum();
        let mut groups: BTreeMap<Vec<usize>, f64> = BTreeMap::new();
        for f in flows {
            let hit: Vec<usize> = (0..c.events.len())
                .filter(|&i| c.events[i].hits(f) && c.events[i].loss > 0.0)
                .collect();
            if !hit.is_empty() {
                *groups.entry(hit).or_default() += f.per_month / total;
            }
        }
        let surges: Vec<(f64, f64, f64)> = c
            .surges
            .iter()
            .filter(|s| s.countries.contains(&n.country) && s.inc > 0.0)
            .map(|s| (s.start, s.end, s.inc))
            .collect();
        if groups.is_empty() && surges.is_empty() {
            continue;
        }
        let groups: Vec<(f64, Vec<usize>)> = groups.into_iter().map(|(k, w)| (w, k)).collect();
        let exposure: f64 = groups
            .iter()
            .map(|(w, ev)| w * (1.0 - ev.iter().map(|&i| 1.0 - loss[i]).product::<f64>()))
            .sum();
        let starts = groups
            .iter()
            .flat_map(|g| g.1.iter().map(|&i| c.events[i].start))
            .chain(surges.iter().map(|s| s.0));
        let t_ref = starts.fold(f64::INFINITY, f64::min);
        let ends = groups
            .iter()
            .flat_map(|g| {
                g.1.iter()
                    .map(|&i| c.events[i].start + c.events[i].dur.likely())
            })
            .chain(surges.iter().map(|s| s.1));
        let ttr = ends.fold(t_ref, f64::max) - t_ref;
        let extra = [
            (n.country.clone(), n.product.clone()),
            (n.country.clone(), String::new()),
            (String::new(), n.product.clone()),
            (String::new(), String::new()),
        ]
        .iter()
        .find_map(|k| x.stock_months.get(k))
        .copied()
        .unwrap_or(0.0);
        let (stock, assumed) = match n.stock {
            Some(s) => (s.max(0.0), false),
            None => (o.months_of_stock * n.per_month, true),
        };
        preps.push(Prep {
            country: &n.country,
            product: &n.product,
            d: n.per_month,
            stock: stock + extra * n.per_month,
            stock_assumed: assumed,
            pipeline: n.pipeline.max(0.0),
            groups,
            surges,
            exposure,
            t_ref,
            ttr,
        });
    }
    // Time to survive: the outages never end, no alternative.
    let forever: Vec<(f64, f64)> = c.events.iter().map(|e| (e.start, f64::INFINITY)).collect();
    let likely: Vec<(f64, f64)> = c
        .events
        .iter()
        .map(|e| (e.start, e.start + e.dur.likely()))
        .collect();
    let tts: Vec<Option<f64>> = preps
        .iter()
        .map(|p| {
            simulate(
                &Run {
                    d: p.d,
                    stock: p.stock + p.pipeline,
                    horizon,
                    groups: &p.groups,
                    loss: &loss,
                    win: &forever,
                    surges: &p.surges,
                    alts: &[],
                    trace: None,
                },
                None,
            )
            .first
            .map(|t| t - p.t_ref)
        })
        .collect();
    // The pool of unaffected sources of each product.
    let mut pools: BTreeMap<&str, Vec<PoolSource>> = BTreeMap::new();
    let mut supplied: BTreeSet<(&str, &str, &str)> = BTreeSet::new();
    {
        let mut volume: BTreeMap<(&str, &str), (f64, bool)> = BTreeMap::new();
        for f in &inp.flows {
            let Some(s) = f.source() else { continue };
            if !(f.per_month.is_finite() && f.per_month > 0.0) {
                continue;
            }
            supplied.insert((&f.buyer, &f.product, s));
            let e = volume.entry((&f.product, s)).or_default();
            e.0 += f.per_month;
            e.1 |= c
                .events
                .iter()
                .any(|ev| ev.loss > 0.0 && ev.target.holds(f));
        }
        for ((p, s), (v, hit)) in volume {
            if hit {
                continue;
            }
            // Spare capacity stated by the scenario; else known capacity
            // less what it already makes; else the stated share.
            let key = (p.to_string(), s.to_string());
            let (spare, assumed) = match (c.spare.get(&key), inp.capacity.get(&key)) {
                (Some(x), _) => (*x, false),
                (None, Some(cap)) if cap.is_finite() => ((cap - v).max(0.0), false),
                _ => (o.spare_capacity * v, true),
            };
            if spare > 0.0 {
                pools.entry(p).or_default().push(PoolSource {
                    name: s.to_string(),
                    spare,
                    assumed,
                    from: 0.0,
                    territory: None,
                });
            }
        }
        for pr in &x.producers {
            if c.events
                .iter()
                .any(|ev| ev.loss > 0.0 && ev.target.holds(&pr.flow))
            {
                continue;
            }
            for p in &pr.products {
                if let Some(k) = inp.needs.iter().find(|n| &n.product == p) {
                    pools.entry(&k.product).or_default().push(PoolSource {
                        name: pr.name.clone(),
                        spare: pr.per_month,
                        assumed: false,
                        from: pr.from,
                        territory: Some(pr.territory.clone()),
                    });
                }
            }
        }
    }
    let authorised = |country: &str, product: &str, s: &PoolSource| {
        s.territory.as_ref().is_some_and(|t| t.contains(country))
            || supplied.contains(&(country, product, s.name.as_str()))
            || inp
                .authorised
                .contains(&(country.to_string(), product.to_string(), s.name.clone()))
            || x.authorised
                .contains(&(country.to_string(), product.to_string(), s.name.clone()))
    };
    let lead_det = median(&inp.lead_times).unwrap_or(o.lead_time_months);
    let auth_months = |country: &str| -> (f64, bool) {
        match inp.pathway_days.get(country) {
            Some(d) => (d / DAYS_PER_MONTH, false),
            None => (o.authorisation_days / DAYS_PER_MONTH, true),
        }
    };
    // When a source's supply would first reach pair i (months from the
    // start), and whether it is authorised there already (7.4).
    let arrival = |i: usize, s: &PoolSource, lead: f64| -> (f64, bool) {
        let p = &preps[i];
        let ok = authorised(p.country, p.product, s);
        let q = if ok {
            0.0
        } else {
            auth_months(p.country).0 + lead + o.ramp_up_months
        };
        ((p.t_ref + q).max(s.from), ok)
    };
    // Requests: each pair's loss and surge a month, and what it would go
    // short without an alternative (7.5).
    let requested: Vec<f64> = preps
        .iter()
        .map(|p| p.d * (p.exposure + p.surges.iter().map(|s| s.2).sum::<f64>()))
        .collect();
    let unmet_alone: Vec<f64> = preps
        .iter()
        .map(|p| {
            simulate(
                &Run {
                    d: p.d,
                    stock: p.stock + p.pipeline,
                    horizon,
                    groups: &p.groups,
                    loss: &loss,
                    win: &likely,
                    surges: &p.surges,
                    alts: &[],
                    trace: None,
                },
                None,
            )
            .unmet
        })
        .collect();
    // Each pool's spare capacity shared by the rule: first among the pairs
    // a source is authorised in, then among those that must authorise it;
    // a pair asks only the sources that reach it before its disruption ends.
    let mut alloc: Vec<Vec<(usize, f64)>> = vec![Vec::new(); preps.len()];
    let mut by_product: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, p) in preps.iter().enumerate() {
        by_product.entry(p.product).or_default().push(i);
    }
    for (product, idx) in &by_product {
        let Some(pool) = pools.get(product) else {
            continue;
        };
        let mut left: Vec<f64> = idx.iter().map(|&i| requested[i]).collect();
        // Under priority to need, the unmet need each pair has left that
        // supply can still prevent: it asks no more than that, spread over
        // the months from the source's arrival to the end of its
        // disruption, so that a country whose stock nearly carries it
        // through does not take the whole of its loss from the others
        // (7.5; until 2026-12-07 it did).
        let mut avoidable: Vec<f64> = idx.iter().map(|&i| unmet_alone[i].max(0.0)).collect();
        // What each pair was given before, and from when (months after its
        // first event).
        let mut given: Vec<Vec<(f64, f64)>> = vec![Vec::new(); idx.len()];
        let mut spare: Vec<f64> = pool.iter().map(|s| s.spare).collect();
        for authorised_first in [true, false] {
            for (si, s) in pool.iter().enumerate() {
                let reqs: Vec<Request> = idx
                    .iter()
                    .enumerate()
                    .map(|(k, &i)| {
                        let (t, ok) = arrival(i, s, lead_det);
                        let end = preps[i].t_ref + preps[i].ttr;
                        let usable = ok == authorised_first && t < end;
                        let need = if rule == Rule::Need {
                            let at = t - preps[i].t_ref;
                            let earlier: f64 = given[k]
                                .iter()
                                .map(|&(from, g)| g * (at - from).max(0.0))
                                .sum();
                            need_cap(
                                left[k],
                                avoidable[k],
                                requested[i],
                                tts[i],
                                at,
                                end - t,
                                earlier,
                            )
                        } else {
                            left[k]
                        };
                        Request {
                            country: preps[i].country.to_string(),
                            need: if usable { need } else { 0.0 },
                            order: tts[i].map(|t| t + preps[i].t_ref),
                            income_group: inp.income_groups.get(preps[i].country).cloned(),
                            population: inp.population.get(preps[i].country).copied(),
                            unmet: unmet_alone[i],
                        }
                    })
                    .collect();
                let got = allocate(rule, spare[si], &reqs);
                for (k, &i) in idx.iter().enumerate() {
                    if got[k] > 0.0 {
                        alloc[i].push((si, got[k]));
                        left[k] -= got[k];
                        spare[si] -= got[k];
                        let (t, _) = arrival(i, s, lead_det);
                        let months = preps[i].t_ref + preps[i].ttr - t;
                        avoidable[k] = (avoidable[k] - got[k] * months.max(0.0)).max(0.0);
                        given[k].push((t - preps[i].t_ref, got[k]));
                    }
                }
            }
        }
    }
    // Deterministic run of each pair with its alternatives.
    let mut out = Vec::with_capacity(preps.len());
    let mut alt_specs: Vec<Vec<(f64, f64, bool, f64)>> = Vec::with_capacity(preps.len());
    // Each level's (share of demand, stock and pipeline), for the Monte Carlo.
    let mut level_specs: Vec<Vec<(f64, f64)>> = Vec::with_capacity(preps.len());
    for (i, p) in preps.iter().enumerate() {
        let pool = pools.get(p.product).map(Vec::as_slice).unwrap_or(&[]);
        let (_, assumed) = auth_months(p.country);
        // (units a month, first month, authorised, source's from)
        let specs: Vec<(f64, f64, bool, f64)> = alloc[i]
            .iter()
            .map(|&(si, q)| {
                let (t, ok) = arrival(i, &pool[si], lead_det);
                (q, t, ok, pool[si].from)
            })
            .collect();
        let allocated: f64 = specs.iter().map(|s| s.0).sum();
        let needed = requested[i] > 0.0;
        // The soonest of `of` (months from the pair's first event), and
        // whether it is authorised.
        let soonest = |of: &mut dyn Iterator<Item = (f64, bool)>| {
            of.map(|(t, ok)| (t - p.t_ref, ok))
                .fold((f64::INFINITY, false), |b, s| if s.0 < b.0 { s } else { b })
        };
        let label = |(t, ok): (f64, bool)| {
            if ok && t <= 0.0 {
                "authorised"
            } else {
                "to-authorise"
            }
        };
        let (ttq, alternative, auth_used) = if !needed {
            (Some(0.0), "not-needed", false)
        } else if pool.is_empty() {
            (None, "never", false)
        } else if specs.is_empty() {
            // None allocated: every source comes too late (its time to
            // qualify stated), or others took what came in time.
            let best = soonest(&mut pool.iter().map(|s| arrival(i, s, lead_det)));
            if best.0 >= p.ttr {
                (Some(best.0), label(best), !best.1)
            } else {
                (None, "no-spare-capacity", false)
            }
        } else {
            let best = soonest(&mut specs.iter().map(|s| (s.1, s.2)));
            (Some(best.0), label(best), !best.1)
        };
        let alts: Vec<(f64, f64)> = specs.iter().map(|s| (s.1, s.0)).collect();
        let spare_assumed = alloc[i].iter().any(|&(si, _)| pool[si].assumed);
        // Each level: its share of demand and of the alternative supply, its
        // own stock and the shipments on their way to it; those whose
        // receiving level is unknown shared by demand (7.8).
        let mut unlocated = 0.0;
        let mut level_runs: Vec<(f64, f64)> = Vec::new();
        let levels: Vec<LevelResult> = match inp
            .levels
            .get(&(p.country.to_string(), p.product.to_string()))
        {
            Some(ls) if !ls.is_empty() => {
                let located: f64 = ls.iter().map(|l| pos(l.pipeline)).sum();
                unlocated = (p.pipeline - located).max(0.0);
                level_shares(ls)
                    .into_iter()
                    .zip(ls)
                    .map(|(w, l)| {
                        let pipeline = pos(l.pipeline) + w * unlocated;
                        let stock = pos(l.stock) + pipeline;
                        level_runs.push((w, stock));
                        let run = |win: &[(f64, f64)], alts: &[(f64, f64)]| {
                            simulate(
                                &Run {
                                    d: p.d * w,
                                    stock,
                                    horizon,
                                    groups: &p.groups,
                                    loss: &loss,
                                    win,
                                    surges: &p.surges,
                                    alts,
                                    trace: None,
                                },
                                None,
                            )
                        };
                        let r = run(&likely, &scaled(&alts, w));
                        LevelResult {
                            level: l.level.clone(),
                            share: w,
                            demand: p.d * w,
                            stock: pos(l.stock),
                            pipeline,
                            tts: run(&forever, &[]).first.map(|t| t - p.t_ref),
                            first: r.first,
                            short: r.short,
                            unmet: r.unmet,
                            mc: None,
                        }
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        let traced = traced_pair == Some((p.country, p.product));
        let trace = std::cell::RefCell::new(Vec::new());
        let r = simulate(
            &Run {
                d: p.d,
                stock: p.stock + p.pipeline,
                horizon,
                groups: &p.groups,
                loss: &loss,
                win: &likely,
                surges: &p.surges,
                alts: &alts,
                trace: traced.then_some(&trace),
            },
            None,
        );
        // An alternative bounds the gap only if what it was allocated
        // covers the whole ask.
        let covers = allocated >= requested[i] * (1.0 - 1e-9);
        let bound = ttq.filter(|_| covers).unwrap_or(f64::INFINITY);
        let gap = match tts[i] {
            Some(t) => (p.ttr.min(bound) - t).max(0.0),
            None => 0.0,
        };
        out.push(PairResult {
            country: p.country.to_string(),
            product: p.product.to_string(),
            demand: p.d,
            stock: p.stock,
            stock_assumed: p.stock_assumed,
            pipeline: p.pipeline,
            exposure: p.exposure,
            t_ref: p.t_ref,
            tts: tts[i],
            ttr: p.ttr,
            ttq,
            alternative,
            authorisation_assumed: auth_used && assumed,
            gap,
            first: r.first,
            short: r.short,
            unmet: r.unmet,
            requested: requested[i],
            allocated,
            mc: None,
            months: trace.take(),
            spare_assumed,
            levels,
            pipeline_unlocated: unlocated,
        });
        alt_specs.push(specs);
        level_specs.push(level_runs);
    }
    if !mc {
        return out;
    }
    // Monte Carlo: the events' durations drawn once per path for all pairs;
    // each pair's lead time and demand from its own stream.
    let paths = o.paths as usize;
    let mut rng = path_rng(o.seed);
    let wins: Vec<Vec<(f64, f64)>> = (0..paths)
        .map(|_| {
            c.events
                .iter()
                .map(|e| (e.start, e.start + e.dur.draw(&mut rng)))
                .collect()
        })
        .collect();
    let mut alts: Vec<(f64, f64)> = Vec::new();
    let mut unmet = vec![0.0; paths];
    for (i, p) in preps.iter().enumerate() {
        let mut rng = path_rng(o.seed ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let (auth, _) = auth_months(p.country);
        let mut short = 0usize;
        // Each level on the country's paths: the same durations, lead
        // times and demand draws, its share of them (7.8).
        let levels = &level_specs[i];
        let mut level_unmet = vec![vec![0.0; paths]; levels.len()];
        let mut level_short = vec![0usize; levels.len()];
        for (k, win) in wins.iter().enumerate() {
            alts.clear();
            for &(q, t, ok, from) in &alt_specs[i] {
                let t = if ok || inp.lead_times.is_empty() {
                    t
                } else {
                    let l = inp.lead_times[rng.random_range(0..inp.lead_times.len())];
                    (p.t_ref + auth + l.max(0.0) + o.ramp_up_months).max(from)
                };
                alts.push((t, q));
            }
            let at = |d: f64, stock: f64, alts: &[(f64, f64)], rng: &mut PathRng| {
                simulate(
                    &Run {
                        d,
                        stock,
                        horizon,
                        groups: &p.groups,
                        loss: &loss,
                        win,
                        surges: &p.surges,
                        alts,
                        trace: None,
                    },
                    Some((rng, o.demand_cv)),
                )
            };
            for (j, &(w, stock)) in levels.iter().enumerate() {
                let r = at(p.d * w, stock, &scaled(&alts, w), &mut rng.clone());
                level_unmet[j][k] = r.unmet;
                if r.first.is_some() {
                    level_short[j] += 1;
                }
            }
            let r = at(p.d, p.stock + p.pipeline, &alts, &mut rng);
            unmet[k] = r.unmet;
            if r.first.is_some() {
                short += 1;
            }
        }
        out[i].mc = Some(mc_of(short, &mut unmet));
        for (j, l) in out[i].levels.iter_mut().enumerate() {
            l.mc = Some(mc_of(level_short[j], &mut level_unmet[j]));
        }
    }
    out
}

/// The Monte Carlo figures from the paths with a stockout and each path's
/// unmet demand.
fn mc_of(short: usize, unmet: &mut [f64]) -> Mc {
    let n = unmet.len().max(1) as f64;
    Mc {
        p_stockout: short as f64 / n,
        expected_unmet: unmet.iter().sum::<f64>() / n,
        p95: p95(unmet),
    }
}

/// A node of the supply network: a site, a manufacturer or a producing country.
pub(crate) fn nodes(inp: &Inputs) -> Vec<(&'static str, String)> {
    let mut s: BTreeSet<(&'static str, String)> = BTreeSet::new();
    for f in &inp.flows {
        if !(f.per_month.is_finite() && f.per_month > 0.0) {
            continue;
        }
        if let Some(x) = &f.site {
            s.insert(("site", x.clone()));
        }
        if let Some(x) = &f.manufacturer {
            s.insert(("manufacturer", x.clone()));
        }
        if let Some(x) = &f.country {
            s.insert(("producing-country", x.clone()));
        }
    }
    s.into_iter().collect()
}

/// The scenario with one node stopped from the start for the node outage.
pub(crate) fn node_scenario(c: &Compiled, kind: &str, node: &str) -> Compiled {
    let target = match kind {
        "site" => Target::Site(node.to_string()),
        "manufacturer" => Target::Manufacturer(node.to_string()),
        _ => Target::Country(node.to_string()),
    };
    Compiled {
        events: vec![Event {
            target,
            buyers: None,
            loss: 1.0,
            start: 0.0,
            dur: Dur::Fixed(c.options.node_outage_months),
        }],
        surges: vec![],
        options: c.options.clone(),
        start: c.start,
        spare: c.spare.clone(),
        notes: vec![],
    }
}
