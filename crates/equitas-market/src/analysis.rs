//! Market indicators over procurement observations: unit prices, median
//! price ratios, affordability, supplier concentration and delivery
//! performance. Every definition is in docs/formulas.md, section 2.
//!
//! The functions take plain [`Observation`]s (the store builds them from
//! procurement lines) and return rows that carry the number of
//! observations behind each figure.

use crate::concentration::concentration;
use crate::stats::{Summary, median, summarize};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

/// One procurement line as the indicators see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Observation {
    pub product: String,
    pub supplier: String,
    pub buyer_country: String,
    pub site: Option<String>,
    pub site_country: Option<String>,
    pub mode: Option<String>,
    /// True for an originator brand, false for a generic, `None` when the
    /// distinction does not apply (diagnostics) or is unknown.
    pub originator: Option<bool>,
    /// Comparison units per pack.
    pub pack_size: Option<f64>,
    /// Packs.
    pub quantity: f64,
    pub value: Option<f64>,
    pub order_date: Option<NaiveDate>,
    pub scheduled_date: Option<NaiveDate>,
    pub delivered_date: Option<NaiveDate>,
}

impl Observation {
    /// Comparison units bought: packs x units per pack.
    pub fn units(&self) -> Option<f64> {
        self.pack_size
            .filter(|p| *p > 0.0)
            .map(|p| p * self.quantity)
            .filter(|u| *u > 0.0)
    }

    /// Price per comparison unit: line value / (packs x units per pack).
    /// `None` when the value is missing or zero (donations, free goods) or
    /// the pack size is unknown.
    pub fn unit_price(&self) -> Option<f64> {
        let v = self.value.filter(|v| *v > 0.0)?;
        Some(v / self.units()?)
    }
}

/// A dimension to group observations by. Serialised by its name
/// (`product`, `site-country`...), the same word the CLI and API accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dim {
    Product,
    Supplier,
    BuyerCountry,
    Site,
    SiteCountry,
    Mode,
    Year,
}

impl Dim {
    pub const ALL: &'static [Dim] = &[
        Dim::Product,
        Dim::Supplier,
        Dim::BuyerCountry,
        Dim::Site,
        Dim::SiteCountry,
        Dim::Mode,
        Dim::Year,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Dim::Product => "product",
            Dim::Supplier => "supplier",
            Dim::BuyerCountry => "country",
            Dim::Site => "site",
            Dim::SiteCountry => "site-country",
            Dim::Mode => "mode",
            Dim::Year => "year",
        }
    }

    /// The value of this dimension for an observation ("unknown" when
    /// absent), borrowed from the observation where it can be.
    pub fn key(self, o: &Observation) -> Cow<'_, str> {
        fn opt(v: &Option<String>) -> Cow<'_, str> {
            Cow::Borrowed(v.as_deref().unwrap_or("unknown"))
        }
        match self {
            Dim::Product => Cow::Borrowed(&o.product),
            Dim::Supplier => Cow::Borrowed(&o.supplier),
            Dim::BuyerCountry => Cow::Borrowed(&o.buyer_country),
            Dim::Site => opt(&o.site),
            Dim::SiteCountry => opt(&o.site_country),
            Dim::Mode => opt(&o.mode),
            Dim::Year => o.delivered_date.map_or(Cow::Borrowed("unknown"), |d| {
                Cow::Owned(d.year().to_string())
            }),
        }
    }
}

impl Dim {
    /// Whether an observation's value of this dimension is known: those
    /// that are not share the key "unknown", which is no group of its own
    /// in a concentration (formulas 2.2, 2.8).
    pub fn is_known(self, o: &Observation) -> bool {
        match self {
            Dim::Product | Dim::Supplier | Dim::BuyerCountry => true,
            Dim::Site => o.site.is_some(),
            Dim::SiteCountry => o.site_country.is_some(),
            Dim::Mode => o.mode.is_some(),
            Dim::Year => o.delivered_date.is_some(),
        }
    }
}

impl Serialize for Dim {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Written as its name, one of [`Dim::ALL`].
impl schemars::JsonSchema for Dim {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Dim".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = Dim::ALL.iter().map(|d| d.as_str()).collect();
        schemars::json_schema!({"type": "string", "enum": names})
    }
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Dim {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase().replace('_', "-");
        Dim::ALL
            .iter()
            .copied()
            .find(|d| d.as_str() == t || (t == "buyer-country" && *d == Dim::BuyerCountry))
            .ok_or_else(|| {
                format!(
                    "unknown dimension {s:?}; expected one of: {}",
                    Dim::ALL
                        .iter()
                        .map(|d| d.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }
}

/// The key of a group: one value per dimension.
pub type Key = Vec<String>;

/// Observations with their dimension values interned on first use, so
/// that grouping compares small integers instead of strings.
pub struct Dataset {
    obs: Vec<Observation>,
    interned: [OnceLock<Interned>; 7],
}

struct Interned {
    /// Per observation, the id of its value.
    ids: Vec<u32>,
    /// Per id, the value.
    values: Vec<String>,
}

impl From<Vec<Observation>> for Dataset {
    fn from(obs: Vec<Observation>) -> Self {
        Dataset {
            obs,
            interned: Default::default(),
        }
    }
}

impl std::ops::Deref for Dataset {
    type Target = [Observation];
    fn deref(&self) -> &[Observation] {
        &self.obs
    }
}

impl Dataset {
    fn interned(&self, d: Dim) -> &Interned {
        let slot = Dim::ALL.iter().position(|x| *x == d).unwrap_or(0);
        self.interned[slot].get_or_init(|| {
            let mut index: HashMap<Cow<str>, u32> = HashMap::new();
            let mut values = Vec::new();
            let ids = self
                .obs
                .iter()
                .map(|o| {
                    let k = d.key(o);
                    if let Some(id) = index.get(&k) {
                        return *id;
                    }
                    let id = values.len() as u32;
                    values.push(k.to_string());
                    index.insert(k, id);
                    id
                })
                .collect();
            Interned { ids, values }
        })
    }

    /// Groups observations by `dims`, in key order.
    pub fn group(&self, dims: &[Dim]) -> Vec<(Key, Vec<&Observation>)> {
        self.group_indices(dims)
            .into_iter()
            .map(|(k, ix)| (k, ix.into_iter().map(|i| &self.obs[i as usize]).collect()))
            .collect()
    }

    /// The value id of each observation for `d`, and the values by id.
    pub fn ids(&self, d: Dim) -> (&[u32], &[String]) {
        let i = self.interned(d);
        (&i.ids, &i.values)
    }

    /// Groups observation indices by `dims`, in key order.
    pub fn group_indices(&self, dims: &[Dim]) -> Vec<(Key, Vec<u32>)> {
        let parts: Vec<&Interned> = dims.iter().map(|d| self.interned(*d)).collect();
        // Each combination of ids has an index in a dense table (mixed
        // radix), so grouping is an array lookup per observation.
        let cells = parts
            .iter()
            .try_fold(1usize, |acc, p| acc.checked_mul(p.values.len().max(1)));
        let index = |i: usize| {
            parts.iter().fold(0usize, |acc, p| {
                acc * p.values.len().max(1) + p.ids[i] as usize
            })
        };
        let key_of = |ids: &[u32]| -> Key {
            parts
                .iter()
                .zip(ids)
                .map(|(p, &id)| p.values.get(id as usize).cloned().unwrap_or_default())
                .collect()
        };
        let mut out: Vec<(Key, Vec<u32>)> = match cells {
            Some(n) if n <= (1 << 20) => {
                let mut table: Vec<Vec<u32>> = vec![Vec::new(); n];
                for i in 0..self.obs.len() {
                    table[index(i)].push(i as u32);
                }
                table
                    .into_iter()
                    .enumerate()
                    .filter(|(_, g)| !g.is_empty())
                    .map(|(mut cell, g)| {
                        let mut ids = vec![0u32; parts.len()];
                        for (k, p) in parts.iter().enumerate().rev() {
                            let radix = p.values.len().max(1);
                            ids[k] = (cell % radix) as u32;
                            cell /= radix;
                        }
                        (key_of(&ids), g)
                    })
                    .collect()
            }
            // Too many combinations for a dense table (or for a usize, with
            // many dimensions): group by the ids themselves.
            _ => {
                let mut m: HashMap<Vec<u32>, Vec<u32>> = HashMap::new();
                for i in 0..self.obs.len() {
                    let ids: Vec<u32> = parts.iter().map(|p| p.ids[i]).collect();
                    m.entry(ids).or_default().push(i as u32);
                }
                m.into_iter().map(|(ids, g)| (key_of(&ids), g)).collect()
            }
        };
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

/// The period covered by observations (delivery dates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Period {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

pub fn period<'a>(obs: impl IntoIterator<Item = &'a Observation>) -> Period {
    let mut p = Period {
        from: None,
        to: None,
    };
    for d in obs.into_iter().filter_map(|o| o.delivered_date) {
        p.from = Some(p.from.map_or(d, |f| f.min(d)));
        p.to = Some(p.to.map_or(d, |t| t.max(d)));
    }
    p
}

// ------------------------------------------------------------------ prices

/// Unit prices of one group.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PriceRow {
    pub key: Key,
    /// Lines in the group.
    pub lines: usize,
    /// Spread of unit prices over the lines that have one (`n` inside).
    pub unit_price: Option<Summary>,
    /// Total value / total comparison units: the volume-weighted price.
    pub weighted_unit_price: Option<f64>,
    /// Value of the lines that state one (US$): shares of suppliers,
    /// countries... are shares of it.
    pub value_usd: f64,
    pub period: Period,
}

/// Unit prices per group (docs/formulas.md 2.5).
pub fn prices(obs: &Dataset, dims: &[Dim]) -> Vec<PriceRow> {
    obs.group(dims)
        .into_iter()
        .map(|(key, g)| {
            let mut p: Vec<f64> = g.iter().filter_map(|o| o.unit_price()).collect();
            let (mut value, mut units) = (0.0, 0.0);
            for o in &g {
                if let (Some(_), Some(u)) = (o.unit_price(), o.units()) {
                    value += o.value.unwrap_or(0.0);
                    units += u;
                }
            }
            PriceRow {
                key,
                lines: g.len(),
                unit_price: summarize(&mut p),
                weighted_unit_price: (units > 0.0).then(|| value / units),
                value_usd: g.iter().filter_map(|o| o.value).sum(),
                period: period(g.iter().copied()),
            }
        })
        .collect()
}

// ------------------------------------------------------------------ MPR

/// An international reference price per comparison unit, in US$.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferencePrice {
    pub product: String,
    pub price_usd: f64,
    /// Where it comes from, e.g. "MSH 2015 supplier median".
    pub source: String,
}

/// The median price ratio of one product (docs/formulas.md 2.6).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct MprRow {
    pub key: Key,
    /// "originator" or "lowest-priced generic".
    pub kind: &'static str,
    /// Price observations behind the median.
    pub n: usize,
    pub median_local_price: f64,
    pub reference_price_usd: f64,
    pub reference_source: String,
    /// `None` when fewer than the minimum observations.
    pub mpr: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MprReport {
    pub rows: Vec<MprRow>,
    /// The baskets (products with an MPR only): per reference source,
    /// buying country when per country, and kind.
    pub basket: Vec<Basket>,
    pub min_observations: usize,
    pub exchange_rate: f64,
}

/// Median price ratios per product (and buyer country if `by_country`),
/// for originator brands and for lowest-priced generics. Observations are
/// in local currency; `exchange_rate` is local currency units per US$.
pub fn mpr(
    obs: &Dataset,
    refs: &HashMap<String, ReferencePrice>,
    by_country: bool,
    min_observations: usize,
    exchange_rate: f64,
) -> MprReport {
    let dims: &[Dim] = if by_country {
        &[Dim::Product, Dim::BuyerCountry]
    } else {
        &[Dim::Product]
    };
    let mut rows = Vec::new();
    for (key, g) in obs.group(dims) {
        let Some(r) = refs.get(&key[0]) else { continue };
        let irp_local = r.price_usd * exchange_rate;
        for (kind, prices) in kind_prices(&g) {
            let Some(m) = median(&prices) else { continue };
            rows.push(MprRow {
                key: key.clone(),
                kind,
                n: prices.len(),
                median_local_price: m,
                reference_price_usd: r.price_usd,
                reference_source: r.source.clone(),
                mpr: (prices.len() >= min_observations && irp_local > 0.0).then(|| m / irp_local),
            });
        }
    }
    let basket = mpr_basket(rows.iter().map(|r| {
        (
            r.reference_source.as_str(),
            by_country.then(|| r.key[1].as_str()),
            r.kind,
            r.mpr,
        )
    }));
    MprReport {
        rows,
        basket,
        min_observations,
        exchange_rate,
    }
}

/// The unit prices of a group's lines by kind, as WHO/HAI measure them
/// (docs/formulas.md 2.6): **originator** brand, every originator line's;
/// **lowest-priced generic**, the lowest generic price of each buyer
/// country and delivery year (the "outlet" of procurement data). Lines of
/// neither kind (diagnostics, brand unknown) are in neither.
fn kind_prices(g: &[&Observation]) -> [(&'static str, Vec<f64>); 2] {
    let orig: Vec<f64> = g
        .iter()
        .filter(|o| o.originator == Some(true))
        .filter_map(|o| o.unit_price())
        .collect();
    let mut lowest: HashMap<(&str, Option<i32>), f64> = HashMap::new();
    for o in g.iter().filter(|o| o.originator == Some(false)) {
        if let Some(p) = o.unit_price() {
            let k = (o.buyer_country.as_str(), o.delivered_date.map(|d| d.year()));
            let e = lowest.entry(k).or_insert(p);
            *e = e.min(p);
        }
    }
    let mut lpg: Vec<f64> = lowest.into_values().collect();
    lpg.sort_by(f64::total_cmp);
    [("originator", orig), ("lowest-priced generic", lpg)]
}

/// A basket of MPRs (docs/formulas.md 2.6): the median of the MPRs of
/// its products, all against one reference source and, when the MPRs are
/// per buying country, of one country (a WHO/HAI survey's basket is one
/// country's, against one reference list).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Basket {
    pub reference_source: String,
    /// The buying country, when the MPRs are per country.
    pub country: Option<String>,
    /// "originator" or "lowest-priced generic".
    pub kind: &'static str,
    pub median_mpr: f64,
    /// Products with an MPR in the basket.
    pub products: usize,
}

/// The baskets of MPR rows given as (reference source, buying country
/// when per country, kind, MPR): per source, country and kind, the median
/// of the MPRs (rows with one only) and how many there are; in order of
/// source, country, then originator first. Until 2026-12-07 one basket
/// per kind took every row: MPRs against different sources, and, per
/// country, the same product once per country.
pub fn mpr_basket<'a>(
    rows: impl IntoIterator<Item = (&'a str, Option<&'a str>, &'a str, Option<f64>)>,
) -> Vec<Basket> {
    let kinds = ["originator", "lowest-priced generic"];
    let mut groups: BTreeMap<(&str, Option<&str>, usize), Vec<f64>> = BTreeMap::new();
    for (source, country, kind, m) in rows {
        if let (Some(i), Some(m)) = (kinds.iter().position(|k| *k == kind), m) {
            groups.entry((source, country, i)).or_default().push(m);
        }
    }
    groups
        .into_iter()
        .filter_map(|((source, country, i), v)| {
            median(&v).map(|m| Basket {
                reference_source: source.to_string(),
                country: country.map(str::to_string),
                kind: kinds[i],
                median_mpr: m,
                products: v.len(),
            })
        })
        .collect()
}

/// The reference price of each product among `prices`: of source `source`
/// only if given; where a product has several, the first source in
/// alphabetical order.
pub fn reference_table(
    prices: impl IntoIterator<Item = ReferencePrice>,
    source: Option<&str>,
) -> HashMap<String, ReferencePrice> {
    let mut out: HashMap<String, ReferencePrice> = HashMap::new();
    for p in prices {
        if source.is_some_and(|s| s != p.source) {
            continue;
        }
        match out.get(&p.product) {
            Some(q) if q.source <= p.source => {}
            _ => {
                out.insert(p.product.clone(), p);
            }
        }
    }
    out
}

/// A reference price made from procurement lines: the median unit price of
/// a product over the lines that have one (docs/formulas.md 2.6), in the
/// layout `equitas import reference-prices` reads.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PooledPrice {
    pub product: String,
    /// Median unit price, US$ per comparison unit.
    pub price_usd: f64,
    /// Where it comes from: the method, the lines' period and source.
    pub source: String,
    /// The comparison unit (the dosage form, singular), where known.
    pub unit: Option<String>,
    /// The year of the last delivery among the lines with a unit price.
    pub year: Option<i32>,
    /// Lines with a unit price behind the median.
    pub lines: usize,
}

impl PooledPrice {
    /// The columns `equitas import reference-prices` reads.
    pub const COLUMNS: [&'static str; 5] = ["product", "price_usd", "source", "unit", "year"];

    /// The row in those columns, the price as it is (no rounding).
    pub fn record(&self) -> [String; 5] {
        [
            self.product.clone(),
            self.price_usd.to_string(),
            self.source.clone(),
            self.unit.clone().unwrap_or_default(),
            self.year.map(|y| y.to_string()).unwrap_or_default(),
        ]
    }
}

/// Pooled reference prices: per product with at least `min_observations`
/// lines with a unit price, the median of those prices (Hyndman-Fan type 7,
/// as every median here). `source` is the text each row carries; `unit_of`
/// gives a product's comparison unit.
pub fn pooled_prices(
    obs: &Dataset,
    min_observations: usize,
    source: &str,
    unit_of: &dyn Fn(&str) -> Option<String>,
) -> Vec<PooledPrice> {
    obs.group(&[Dim::Product])
        .into_iter()
        .filter_map(|(key, g)| {
            let p: Vec<f64> = g.iter().filter_map(|o| o.unit_price()).collect();
            if p.is_empty() || p.len() < min_observations {
                return None;
            }
            Some(PooledPrice {
                price_usd: median(&p)?,
                source: source.to_string(),
                unit: unit_of(&key[0]),
                year: g
                    .iter()
                    .filter(|o| o.unit_price().is_some())
                    .filter_map(|o| o.delivered_date.map(|d| d.year()))
                    .max(),
                lines: p.len(),
                product: key[0].clone(),
            })
        })
        .collect()
}

// ------------------------------------------------------------ affordability

/// A standard treatment course: how many comparison units it takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreatmentCourse {
    pub product: String,
    pub units: f64,
    pub description: String,
    pub source: String,
}

/// The daily wage of the lowest-paid unskilled government worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Wage {
    pub country: String,
    pub daily_wage: f64,
    pub currency: String,
    /// Local currency units per US$.
    pub exchange_rate: f64,
    pub year: Option<i32>,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct AffordabilityRow {
    pub product: String,
    pub country: String,
    /// `originator` or `lowest-priced generic` (2.6).
    pub kind: &'static str,
    pub course: String,
    /// Price observations behind the median unit price (for a generic,
    /// delivery years).
    pub n: usize,
    pub median_unit_price_usd: f64,
    /// `None` with fewer than the minimum of observations (as the MPR).
    pub course_cost_local: Option<f64>,
    pub currency: String,
    pub days_wages: Option<f64>,
    /// The wage it is set against, and where it comes from.
    pub daily_wage: f64,
    pub exchange_rate: f64,
    pub wage_year: Option<i32>,
    pub wage_source: String,
    /// The first and last years of the prices' deliveries.
    pub price_years: Option<(i32, i32)>,
}

/// Days of wages to buy one standard course, per product, buyer country
/// with a wage and kind, originator brand and lowest-priced generic
/// measured apart as for the MPR (docs/formulas.md 2.7). Prices are in
/// US$. With fewer than `min_observations` prices, the median is given and
/// the days are not.
pub fn affordability(
    obs: &Dataset,
    courses: &HashMap<String, TreatmentCourse>,
    wages: &HashMap<String, Wage>,
    min_observations: usize,
) -> Vec<AffordabilityRow> {
    let mut out = Vec::new();
    for (key, g) in obs.group(&[Dim::Product, Dim::BuyerCountry]) {
        let (Some(c), Some(w)) = (courses.get(&key[0]), wages.get(&key[1])) else {
            continue;
        };
        if w.daily_wage <= 0.0 {
            continue;
        }
        let years = g
            .iter()
            .filter(|o| o.unit_price().is_some())
            .filter_map(|o| o.delivered_date.map(|d| d.year()))
            .fold(None, |r: Option<(i32, i32)>, y| {
                Some(r.map_or((y, y), |(a, b)| (a.min(y), b.max(y))))
            });
        for (kind, p) in kind_prices(&g) {
            let Some(m) = median(&p) else { continue };
            let cost = (p.len() >= min_observations).then_some(m * c.units * w.exchange_rate);
            out.push(AffordabilityRow {
                product: key[0].clone(),
                country: key[1].clone(),
                kind,
                course: c.description.clone(),
                n: p.len(),
                median_unit_price_usd: m,
                course_cost_local: cost,
                currency: w.currency.clone(),
                days_wages: cost.map(|c| c / w.daily_wage),
                daily_wage: w.daily_wage,
                exchange_rate: w.exchange_rate,
                wage_year: w.year,
                wage_source: w.source.clone(),
                price_years: years,
            });
        }
    }
    out
}

// ------------------------------------------------------------ concentration

/// What a concentration is measured over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Weight {
    /// Line value.
    Value,
    /// Comparison units (packs x pack size), so packs of different sizes compare.
    Quantity,
}

impl FromStr for Weight {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "value" => Ok(Weight::Value),
            "quantity" | "units" => Ok(Weight::Quantity),
            _ => Err(format!("unknown weight {s:?}; expected value or quantity")),
        }
    }
}

/// HHI thresholds that separate concentration bands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConcentrationBands {
    /// Ascending thresholds, e.g. [1000, 1800].
    pub thresholds: Vec<f64>,
    /// One more label than thresholds, e.g. unconcentrated, moderately, highly.
    pub labels: Vec<String>,
}

impl Default for ConcentrationBands {
    /// US DOJ/FTC Merger Guidelines (2023), section 2.1: above 1,800
    /// highly concentrated; 1,000 to 1,800 moderately; below 1,000 not.
    fn default() -> Self {
        ConcentrationBands {
            thresholds: vec![1000.0, 1800.0],
            labels: vec![
                "unconcentrated".into(),
                "moderately concentrated".into(),
                "highly concentrated".into(),
            ],
        }
    }
}

impl ConcentrationBands {
    /// ConcentrationBands from ascending thresholds with generic labels when not the default pair.
    pub fn from_thresholds(t: Vec<f64>) -> Result<Self, String> {
        if t.is_empty()
            || t.windows(2).any(|w| w[0] >= w[1])
            || t.iter().any(|x| !(0.0..=10_000.0).contains(x))
        {
            return Err("band thresholds must be ascending numbers between 0 and 10,000".into());
        }
        let d = ConcentrationBands::default();
        if t == d.thresholds {
            return Ok(d);
        }
        let mut labels = vec![format!("HHI below {}", t[0])];
        for w in t.windows(2) {
            labels.push(format!("HHI {} to {}", w[0], w[1]));
        }
        labels.push(format!("HHI above {}", t[t.len() - 1]));
        Ok(ConcentrationBands {
            thresholds: t,
            labels,
        })
    }

    /// The band of an HHI value; a value equal to a threshold belongs to the band below it.
    pub fn label(&self, hhi: f64) -> &str {
        let i = self.thresholds.iter().filter(|t| hhi > **t).count();
        &self.labels[i]
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ConcentrationRow {
    pub key: Key,
    /// What the groups are (supplier, site, site-country).
    pub by: Dim,
    pub weight: Weight,
    /// Lines with a positive weight (those of unknown `by` group too).
    pub n: usize,
    /// `by` groups with a positive weight; the unknown one is none.
    pub groups: usize,
    /// Over the weight of known `by` group.
    pub hhi: f64,
    pub effective_number: f64,
    pub top: String,
    /// The top group's share of the weight of known `by` group.
    pub top_share: f64,
    /// Share of the weight whose `by` group is not known (no site, a site of
    /// unknown country), left out of the groups, the HHI and the shares.
    pub unknown_share: f64,
    pub band: String,
    /// Only one group supplies all the weight of known `by` group.
    pub single_source: bool,
    /// All known manufacturing sites are in one country.
    pub single_country: bool,
}

/// Concentration of supply of each `scope` group across `by` groups
/// (formulas 2.2, 2.8): [`concentration_rows`]'s rows.
pub fn concentration_table(
    obs: &Dataset,
    scope: &[Dim],
    by: Dim,
    weight: Weight,
    bands: &ConcentrationBands,
) -> Vec<ConcentrationRow> {
    concentration_rows(obs, scope, by, weight, bands).0
}

/// The concentration of each `scope` group across `by` groups, and the
/// `scope` groups left without a row. The weight of lines whose `by` group
/// is not known is left out of the groups and shares and counted in the
/// row's unknown share; a `scope` group whose positive weight is all of
/// unknown `by` group has no row, and is in the second list.
pub fn concentration_rows(
    obs: &Dataset,
    scope: &[Dim],
    by: Dim,
    weight: Weight,
    bands: &ConcentrationBands,
) -> (Vec<ConcentrationRow>, Vec<Key>) {
    let mut out = Vec::new();
    let mut unknown_only = Vec::new();
    let (by_ids, by_values) = obs.ids(by);
    for (key, g) in obs.group_indices(scope) {
        let mut w = vec![0.0f64; by_values.len()];
        let mut unknown = 0.0;
        let mut countries = BTreeSet::new();
        let mut n = 0;
        for &i in &g {
            let o = &obs[i as usize];
            let x = match weight {
                Weight::Value => o.value,
                Weight::Quantity => o.units(),
            };
            let Some(x) = x.filter(|x| x.is_finite() && *x > 0.0) else {
                continue;
            };
            n += 1;
            if by.is_known(o) {
                w[by_ids[i as usize] as usize] += x;
            } else {
                unknown += x;
            }
            if let Some(c) = &o.site_country {
                countries.insert(c.as_str());
            }
        }
        // In key order, so that sums (and so every digit) are reproducible.
        let mut w: Vec<(&str, f64)> = w
            .iter()
            .enumerate()
            .filter(|(_, v)| **v > 0.0)
            .map(|(id, v)| (by_values[id].as_str(), *v))
            .collect();
        w.sort_by(|a, b| a.0.cmp(b.0));
        let Some(c) = concentration(w.iter().map(|(_, v)| *v)) else {
            if unknown > 0.0 {
                unknown_only.push(key);
            }
            continue;
        };
        let (top, topw) = w
            .iter()
            .max_by(|a, b| a.1.total_cmp(&b.1).then_with(|| b.0.cmp(a.0)))
            .map(|(k, v)| (k.to_string(), *v))
            .unwrap_or_default();
        out.push(ConcentrationRow {
            key,
            by,
            weight,
            n,
            groups: c.groups,
            hhi: c.hhi,
            effective_number: c.effective_number,
            top,
            top_share: topw / c.total,
            unknown_share: unknown / (c.total + unknown),
            band: bands.label(c.hhi).to_string(),
            single_source: c.groups == 1,
            single_country: countries.len() == 1,
        });
    }
    (out, unknown_only)
}

// ------------------------------------------------------------------ delivery

/// Delivery performance of one group (docs/formulas.md 2.9).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct DeliveryRow {
    pub key: Key,
    pub lines: usize,
    /// Days from order to delivery, over lines with both dates, the
    /// delivery not before the order.
    pub lead_time_days: Option<Summary>,
    /// Lines delivered before their order date (a data error), left out
    /// of the lead time.
    pub delivered_before_order: usize,
    /// Days delivered after the scheduled date (negative: early).
    pub delay_days: Option<Summary>,
    /// Share of lines with a scheduled date delivered no later than it plus the tolerance.
    pub on_time_share: Option<f64>,
    /// Lines by delay band: early/on time, 1-7, 8-30, 31-90, over 90 days late.
    pub delay_histogram: [usize; 5],
    pub period: Period,
}

pub const DELAY_BANDS: [&str; 5] = [
    "on time or early",
    "1-7 days late",
    "8-30 days late",
    "31-90 days late",
    "over 90 days late",
];

fn delay_band(days: i64) -> usize {
    match days {
        i64::MIN..=0 => 0,
        1..=7 => 1,
        8..=30 => 2,
        31..=90 => 3,
        _ => 4,
    }
}

pub fn delivery(obs: &Dataset, dims: &[Dim], tolerance_days: i64) -> Vec<DeliveryRow> {
    obs.group(dims)
        .into_iter()
        .map(|(key, g)| {
            let mut lead: Vec<f64> = Vec::new();
            let mut delay: Vec<f64> = Vec::new();
            let mut hist = [0usize; 5];
            let mut on_time = 0usize;
            let mut before_order = 0usize;
            for o in &g {
                if let (Some(a), Some(b)) = (o.order_date, o.delivered_date) {
                    if b >= a {
                        lead.push((b - a).num_days() as f64);
                    } else {
                        before_order += 1;
                    }
                }
                if let (Some(s), Some(d)) = (o.scheduled_date, o.delivered_date) {
                    let days = (d - s).num_days();
                    delay.push(days as f64);
                    hist[delay_band(days - tolerance_days)] += 1;
                    if days <= tolerance_days {
                        on_time += 1;
                    }
                }
            }
            let with_schedule = delay.len();
            DeliveryRow {
                key,
                lines: g.len(),
                lead_time_days: summarize(&mut lead),
                delivered_before_order: before_order,
                delay_days: summarize(&mut delay),
                on_time_share: (with_schedule > 0).then(|| on_time as f64 / with_schedule as f64),
                delay_histogram: hist,
                period: period(g.iter().copied()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    }

    pub(crate) fn obs(
        product: &str,
        supplier: &str,
        country: &str,
        site_country: &str,
        originator: bool,
        (pack, qty, value): (f64, f64, f64),
    ) -> Observation {
        Observation {
            product: product.into(),
            supplier: supplier.into(),
            buyer_country: country.into(),
            site: Some(format!("{supplier}-site")),
            site_country: Some(site_country.into()),
            mode: Some("Air".into()),
            originator: Some(originator),
            pack_size: Some(pack),
            quantity: qty,
            value: Some(value),
            order_date: d("2020-01-01"),
            scheduled_date: d("2020-03-01"),
            delivered_date: d("2020-03-05"),
        }
    }

    /// docs/formulas.md 2.7: originator brand and lowest-priced generic
    /// apart, the generic's the lowest of each country and year; with too
    /// few prices, the median without the days.
    #[test]
    fn affordability_measures_each_kind_apart_and_needs_enough_prices() {
        let year = |o: Observation, y: &str| Observation {
            delivered_date: d(y),
            ..o
        };
        // Generic: 2018 at 0.1 and 0.3 a unit (lowest 0.1), 2019 at 0.2,
        // 2020 at 0.4: the median of 0.1, 0.2, 0.4 is 0.2. Originator: one
        // line at 1.0.
        let lines = vec![
            year(
                obs("p", "a", "NGA", "IND", false, (10.0, 10.0, 10.0)),
                "2018-05-01",
            ),
            year(
                obs("p", "b", "NGA", "IND", false, (10.0, 10.0, 30.0)),
                "2018-06-01",
            ),
            year(
                obs("p", "a", "NGA", "IND", false, (10.0, 10.0, 20.0)),
                "2019-05-01",
            ),
            year(
                obs("p", "a", "NGA", "IND", false, (10.0, 10.0, 40.0)),
                "2020-05-01",
            ),
            year(
                obs("p", "o", "NGA", "CHE", true, (10.0, 10.0, 100.0)),
                "2020-05-01",
            ),
        ];
        let ds = Dataset::from(lines);
        let courses = HashMap::from([(
            "p".to_string(),
            TreatmentCourse {
                product: "p".into(),
                units: 30.0,
                description: "30 days".into(),
                source: "test".into(),
            },
        )]);
        let wages = HashMap::from([(
            "NGA".to_string(),
            Wage {
                country: "NGA".into(),
                daily_wage: 1000.0,
                currency: "NGN".into(),
                exchange_rate: 160.0,
                year: Some(2014),
                source: "made up".into(),
            },
        )]);
        let rows = affordability(&ds, &courses, &wages, 3);
        let got: Vec<(&str, usize, f64, Option<f64>)> = rows
            .iter()
            .map(|r| (r.kind, r.n, r.median_unit_price_usd, r.days_wages))
            .collect();
        // 0.2 x 30 x 160 / 1000 = 0.96 days; the originator's one price is
        // too few for days.
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].0, got[0].1, got[0].3), ("originator", 1, None));
        assert!((got[0].2 - 1.0).abs() < 1e-12);
        assert_eq!((got[1].0, got[1].1), ("lowest-priced generic", 3));
        assert!((got[1].2 - 0.2).abs() < 1e-12);
        assert!((got[1].3.unwrap() - 0.96).abs() < 1e-12);
        assert_eq!(rows[1].price_years, Some((2018, 2020)));
        assert_eq!(
            (rows[1].daily_wage, rows[1].wage_year),
            (1000.0, Some(2014))
        );
        // With a minimum of 1, the originator's days too: 1.0 x 30 x 160 / 1000.
        let rows = affordability(&ds, &courses, &wages, 1);
        assert!((rows[0].days_wages.unwrap() - 4.8).abs() < 1e-12);
    }

    #[test]
    fn unit_price_is_value_over_units() {
        let o = obs("p", "s", "KEN", "IND", false, (30.0, 100.0, 600.0));
        assert_eq!(o.unit_price(), Some(0.2));
        let mut z = o.clone();
        z.value = Some(0.0);
        assert_eq!(z.unit_price(), None);
        z.value = Some(5.0);
        z.pack_size = None;
        assert_eq!(z.unit_price(), None);
    }

    /// Many dimensions (repeated ones too) have more combinations than a
    /// usize holds: grouped by their ids, with the same groups as few
    /// dimensions give (found by schemathesis: a panic on overflow).
    #[test]
    fn grouping_by_many_dimensions_does_not_overflow() {
        let data: Vec<Observation> = (0..40)
            .map(|i| {
                obs(
                    &format!("p{}", i % 7),
                    &format!("s{}", i % 5),
                    ["KEN", "UGA", "ZAF"][i % 3],
                    ["IND", "CHN"][i % 2],
                    false,
                    (1.0, 1.0, 1.0),
                )
            })
            .collect();
        let ds = Dataset::from(data);
        let many: Vec<Dim> = [
            Dim::Product,
            Dim::Supplier,
            Dim::BuyerCountry,
            Dim::SiteCountry,
        ]
        .iter()
        .cycle()
        .take(40)
        .copied()
        .collect();
        let wide = ds.group_indices(&many);
        let narrow = ds.group_indices(&many[..4]);
        assert_eq!(wide.len(), narrow.len());
        for ((kw, gw), (kn, gn)) in wide.iter().zip(&narrow) {
            assert_eq!(&kw[..4], &kn[..]);
            assert_eq!(gw, gn);
        }
    }

    #[test]
    fn dims_parse_and_name_themselves() {
        for d in Dim::ALL {
            assert_eq!(d.as_str().parse::<Dim>(), Ok(*d));
        }
        assert!(
            "colour"
                .parse::<Dim>()
                .unwrap_err()
                .contains("expected one of: product")
        );
    }

    #[test]
    fn bands_follow_the_merger_guidelines() {
        let b = ConcentrationBands::default();
        assert_eq!(b.label(999.0), "unconcentrated");
        assert_eq!(b.label(1000.0), "unconcentrated");
        assert_eq!(b.label(1800.0), "moderately concentrated");
        assert_eq!(b.label(1800.1), "highly concentrated");
        let c = ConcentrationBands::from_thresholds(vec![1500.0, 2500.0]).unwrap();
        assert_eq!(c.label(2000.0), "HHI 1500 to 2500");
        assert!(ConcentrationBands::from_thresholds(vec![2.0, 1.0]).is_err());
    }

    #[test]
    fn concentration_by_supplier_and_flags() {
        let o = vec![
            obs("p", "a", "KEN", "IND", false, (1.0, 60.0, 60.0)),
            obs("p", "b", "KEN", "IND", false, (1.0, 30.0, 30.0)),
            obs("p", "c", "KEN", "IND", false, (1.0, 10.0, 10.0)),
            obs("q", "a", "KEN", "IND", false, (1.0, 5.0, 5.0)),
            obs("q", "a", "KEN", "CHN", false, (1.0, 5.0, 5.0)),
        ];
        let t = concentration_table(
            &Dataset::from(o),
            &[Dim::Product],
            Dim::Supplier,
            Weight::Value,
            &ConcentrationBands::default(),
        );
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].hhi.round(), 4600.0);
        assert_eq!(t[0].top, "a");
        assert!(!t[0].single_source && t[0].single_country);
        assert!(t[1].single_source && !t[1].single_country);
        assert_eq!(t[1].band, "highly concentrated");
    }

    #[test]
    fn unknown_origin_is_no_group_but_an_unknown_share() {
        // p: 60 made in India, 20 in South Africa, 20 of unknown origin.
        // Over the known 80: shares 0.75 and 0.25, HHI = 75² + 25² = 6,250
        // (not 60² + 20² + 20² = 4,400 with "unknown" as a country),
        // effective number 10,000 / 6,250 = 1.6, unknown share 20 / 100.
        // q: 50 in India, 50 unknown: one country, HHI 10,000, unknown 0.5.
        // r: all unknown: no row, named apart.
        let unknown = |product: &str, value: f64| {
            let mut o = obs(product, "u", "KEN", "IND", false, (1.0, 1.0, value));
            o.site = None;
            o.site_country = None;
            o
        };
        let mut no_country = obs("p", "v", "KEN", "IND", false, (1.0, 1.0, 0.0));
        no_country.site_country = None;
        let o = Dataset::from(vec![
            obs("p", "a", "KEN", "IND", false, (1.0, 1.0, 60.0)),
            obs("p", "b", "KEN", "ZAF", false, (1.0, 1.0, 20.0)),
            unknown("p", 20.0),
            // No weight: changes nothing.
            no_country,
            obs("q", "a", "KEN", "IND", false, (1.0, 1.0, 50.0)),
            unknown("q", 50.0),
            unknown("r", 7.0),
        ]);
        let b = ConcentrationBands::default();
        let (t, left) =
            concentration_rows(&o, &[Dim::Product], Dim::SiteCountry, Weight::Value, &b);
        assert_eq!(left, vec![vec!["r".to_string()]]);
        assert_eq!(t.len(), 2);
        let p = &t[0];
        assert_eq!((p.n, p.groups), (3, 2));
        assert!((p.hhi - 6250.0).abs() < 1e-9, "{}", p.hhi);
        assert!((p.effective_number - 1.6).abs() < 1e-12);
        assert_eq!((p.top.as_str(), p.top_share), ("IND", 0.75));
        assert!((p.unknown_share - 0.2).abs() < 1e-12);
        assert!(!p.single_source && !p.single_country);
        let q = &t[1];
        assert_eq!(
            (q.groups, q.hhi, q.top_share, q.unknown_share),
            (1, 10_000.0, 1.0, 0.5)
        );
        assert!(q.single_source && q.single_country);

        // By site: the unknown site is no group either; by supplier every
        // line's supplier is known.
        let t = concentration_table(&o, &[Dim::Product], Dim::Site, Weight::Value, &b);
        assert_eq!((t[0].groups, t[0].hhi.round()), (2, 6250.0));
        let t = concentration_table(&o, &[Dim::Product], Dim::Supplier, Weight::Value, &b);
        assert_eq!(
            (t[0].groups, t[0].hhi.round(), t[0].unknown_share),
            (3, 4400.0, 0.0)
        );
        assert_eq!(t.len(), 3);
    }

    #[test]
    fn delivery_measures_lead_time_and_delay() {
        let mut a = obs("p", "a", "KEN", "IND", false, (1.0, 1.0, 1.0));
        let mut b = a.clone();
        b.delivered_date = d("2020-02-20");
        a.order_date = None;
        let r = delivery(&Dataset::from(vec![a, b]), &[Dim::Supplier], 0);
        assert_eq!(r[0].lines, 2);
        assert_eq!(r[0].lead_time_days.unwrap().n, 1);
        assert_eq!(r[0].lead_time_days.unwrap().median, 50.0);
        assert_eq!(r[0].on_time_share, Some(0.5));
        assert_eq!(r[0].delay_histogram, [1, 1, 0, 0, 0]);
        let r = delivery(
            &Dataset::from(
                r.iter()
                    .map(|_| obs("p", "a", "KEN", "IND", false, (1.0, 1.0, 1.0)))
                    .collect::<Vec<_>>(),
            ),
            &[Dim::Supplier],
            7,
        );
        assert_eq!(r[0].on_time_share, Some(1.0));
    }
}

#[cfg(test)]
mod references {
    use super::*;

    fn price(product: &str, source: &str, usd: f64) -> ReferencePrice {
        ReferencePrice {
            product: product.into(),
            price_usd: usd,
            source: source.into(),
        }
    }

    #[test]
    fn the_first_source_in_alphabetical_order_whatever_the_input_order() {
        let rows = [
            price("A", "MSH", 2.0),
            price("A", "GDF", 1.0),
            price("B", "MSH", 3.0),
        ];
        for order in [[0, 1, 2], [1, 0, 2], [2, 1, 0]] {
            let t = reference_table(order.iter().map(|&i| rows[i].clone()), None);
            assert_eq!(t.len(), 2);
            assert_eq!(t["A"].source, "GDF");
            assert_eq!(t["B"].price_usd, 3.0);
        }
        let msh = reference_table(rows.clone(), Some("MSH"));
        assert_eq!(msh["A"].price_usd, 2.0);
        assert!(reference_table(rows, Some("none")).is_empty());
    }

    #[test]
    fn the_basket_is_the_median_per_kind_of_the_rows_with_an_mpr() {
        let lpg = "lowest-priced generic";
        let rows = [
            ("MSH", None, lpg, Some(1.0)),
            ("MSH", None, "originator", Some(4.0)),
            ("MSH", None, lpg, None),
            ("MSH", None, lpg, Some(3.0)),
            ("MSH", None, "something else", Some(100.0)),
            // Another source is a basket of its own.
            ("pooled", None, lpg, Some(10.0)),
        ];
        let baskets = mpr_basket(rows);
        let got: Vec<(&str, &str, f64, usize)> = baskets
            .iter()
            .map(|b| {
                (
                    b.reference_source.as_str(),
                    b.kind,
                    b.median_mpr,
                    b.products,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("MSH", "originator", 4.0, 1),
                ("MSH", lpg, 2.0, 2),
                ("pooled", lpg, 10.0, 1)
            ]
        );
        // Per country, one basket per country.
        let per = mpr_basket([
            ("MSH", Some("NGA"), lpg, Some(1.0)),
            ("MSH", Some("KEN"), lpg, Some(2.0)),
            ("MSH", Some("NGA"), lpg, Some(3.0)),
        ]);
        let got: Vec<(Option<&str>, f64, usize)> = per
            .iter()
            .map(|b| (b.country.as_deref(), b.median_mpr, b.products))
            .collect();
        assert_eq!(got, vec![(Some("KEN"), 2.0, 1), (Some("NGA"), 2.0, 2)]);
        assert!(mpr_basket([("MSH", None, "originator", None)]).is_empty());
    }
}

#[cfg(test)]
mod formulas_md {
    use super::*;
    use equitas_doc_vectors::vectors;

    /// docs/formulas.md, section 2.8.
    #[test]
    fn band_worked_examples() {
        for v in vectors("bands") {
            let t: Vec<f64> = v["thresholds"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            let b = ConcentrationBands::from_thresholds(t).unwrap();
            assert_eq!(
                b.label(v["hhi"].as_f64().unwrap()),
                v["band"].as_str().unwrap(),
                "{v}"
            );
        }
    }

    /// docs/formulas.md, section 2.6 (pooled reference prices).
    #[test]
    fn pooled_price_worked_examples() {
        for v in vectors("pooled_prices") {
            let lines: Vec<Observation> = v["lines"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| Observation {
                    product: l[0].as_str().unwrap().into(),
                    supplier: "s".into(),
                    buyer_country: "KEN".into(),
                    site: None,
                    site_country: None,
                    mode: None,
                    originator: None,
                    pack_size: Some(l[1].as_f64().unwrap()),
                    quantity: l[2].as_f64().unwrap(),
                    value: l[3].as_f64(),
                    order_date: None,
                    scheduled_date: None,
                    delivered_date: NaiveDate::from_ymd_opt(l[4].as_i64().unwrap() as i32, 6, 30),
                })
                .collect();
            let min = v["min_observations"].as_u64().unwrap() as usize;
            let got: Vec<serde_json::Value> =
                pooled_prices(&Dataset::from(lines), min, "src", &|_| None)
                    .into_iter()
                    .map(|r| {
                        serde_json::json!([
                            r.product,
                            (r.price_usd * 10000.0).round() / 10000.0,
                            r.lines,
                            r.year
                        ])
                    })
                    .collect();
            assert_eq!(serde_json::Value::Array(got), v["prices"], "{v}");
        }
    }

    /// docs/formulas.md, section 2.9.
    #[test]
    fn delivery_worked_examples() {
        let date = |x: &serde_json::Value| {
            x.as_str()
                .map(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
        };
        for v in vectors("delivery") {
            let o = Observation {
                product: "p".into(),
                supplier: "s".into(),
                buyer_country: "KEN".into(),
                site: None,
                site_country: None,
                mode: None,
                originator: None,
                pack_size: Some(1.0),
                quantity: 1.0,
                value: Some(1.0),
                order_date: date(&v["ordered"]),
                scheduled_date: date(&v["scheduled"]),
                delivered_date: date(&v["delivered"]),
            };
            let r = &delivery(
                &Dataset::from(vec![o]),
                &[Dim::Product],
                v["tolerance"].as_i64().unwrap(),
            )[0];
            assert_eq!(
                r.delay_days.unwrap().median,
                v["delay"].as_f64().unwrap(),
                "{v}"
            );
            assert_eq!(
                r.lead_time_days.map(|s| s.median),
                v["lead"].as_f64(),
                "{v}"
            );
            assert_eq!(
                r.delivered_before_order as u64,
                v["before_order"].as_u64().unwrap_or(0),
                "{v}"
            );
            assert_eq!(
                r.on_time_share == Some(1.0),
                v["on_time"].as_bool().unwrap(),
                "{v}"
            );
            let band = v["band"].as_u64().unwrap() as usize;
            assert_eq!(r.delay_histogram[band], 1, "{v}");
        }
    }
}
