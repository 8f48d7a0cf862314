//! What a scenario runs on, assembled by the store from what is loaded
//! (procurement flows, registers, the stock ledger): plain values here.

use chrono::NaiveDate;
use std::collections::{BTreeMap, BTreeSet};

/// One flow of supply to a buying country: who made the product where, and
/// how many units a month it brings.
#[derive(Debug, Clone, PartialEq)]
pub struct SupplyFlow {
    pub buyer: String,
    pub product: String,
    pub manufacturer: Option<String>,
    pub site: Option<String>,
    /// The producing country.
    pub country: Option<String>,
    pub ingredient_countries: Vec<String>,
    /// The producing country's region.
    pub region: Option<String>,
    /// Units a month.
    pub per_month: f64,
}

impl SupplyFlow {
    /// The source a country would buy from: the manufacturer, else the site.
    pub fn source(&self) -> Option<&str> {
        self.manufacturer.as_deref().or(self.site.as_deref())
    }
}

/// One buying country's demand for one product.
#[derive(Debug, Clone, PartialEq)]
pub struct Need {
    pub country: String,
    pub product: String,
    /// Forecast demand, units a month.
    pub per_month: f64,
    /// Stock on hand (units), where the ledger holds it.
    pub stock: Option<f64>,
    /// Shipments on their way (units), unaffected by a shock.
    pub pipeline: f64,
}

/// The stock held at one level of the hierarchy inside a country, for one
/// product (7.8): the national store, the regions, the districts or the
/// facilities, each level's locations summed.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelStock {
    /// `national store`, `region`, `district` or `facility`.
    pub level: String,
    /// Stock on hand at the level's locations, units.
    pub stock: f64,
    /// Units a month going out of the level's locations (issues and
    /// dispensing, the ledger's AMC of each location); none when none recorded.
    pub consumption: Option<f64>,
    /// Shipments on their way to the level's locations (their receiving
    /// location known), units: part of the country's [`Need::pipeline`].
    pub pipeline: f64,
}

/// The levels of the hierarchy, from the top, as [`LevelStock::level`] names them.
pub const LEVELS: [&str; 4] = ["national store", "region", "district", "facility"];

/// Everything a scenario reads, with where each came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inputs {
    /// Day 0 when the scenario names none.
    pub start: Option<NaiveDate>,
    pub flows: Vec<SupplyFlow>,
    pub needs: Vec<Need>,
    /// Income group of each country (World Bank: low, lower-middle...).
    pub income_groups: BTreeMap<String, String>,
    /// Population of each country, where known (for need per person).
    pub population: BTreeMap<String, f64>,
    /// (country, product, source) authorised on the start day.
    pub authorised: BTreeSet<(String, String, String)>,
    /// The fastest pathway's days to authorise, per country.
    pub pathway_days: BTreeMap<String, f64>,
    /// Stock per level inside a country, per (country, product), where the
    /// ledger holds it (7.8).
    pub levels: BTreeMap<(String, String), Vec<LevelStock>>,
    /// Known capacity of a source for a product, units a month, per
    /// (product, source), from the sites register (7.4).
    pub capacity: BTreeMap<(String, String), f64>,
    /// Observed procurement lead times, in months.
    pub lead_times: Vec<f64>,
    /// Median price per unit, per product.
    pub unit_prices: BTreeMap<String, f64>,
    /// Units per treatment course, per product.
    pub course_units: BTreeMap<String, f64>,
    /// What the inputs were read from.
    pub sources: Vec<String>,
}

impl Inputs {
    /// The needs a safety stock of `country` and `product` covers (each
    /// left out: every country, every product; formulas 7.7).
    pub fn needs_of<'a>(
        &'a self,
        country: Option<&'a str>,
        product: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Need> + 'a {
        self.needs.iter().filter(move |n| {
            country.is_none_or(|c| n.country == c) && product.is_none_or(|p| n.product == p)
        })
    }

    /// The buying countries the data name: of the supply flows and of the
    /// needs (the stock data's own countries, such as the demo's XSY).
    pub fn countries(&self) -> BTreeSet<&str> {
        self.flows
            .iter()
            .map(|f| f.buyer.as_str())
            .chain(self.needs.iter().map(|n| n.country.as_str()))
            .collect()
    }

    /// The products the data name, of the supply flows and of the needs.
    pub fn products(&self) -> BTreeSet<&str> {
        self.flows
            .iter()
            .map(|f| f.product.as_str())
            .chain(self.needs.iter().map(|n| n.product.as_str()))
            .collect()
    }
}
