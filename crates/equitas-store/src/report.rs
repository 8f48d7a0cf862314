//! The overview of what a database holds, with the first indicators:
//! what the CLI's `demo` and `status` print and the server will serve.
//! Queries run here; the indicator arithmetic is the market crate's.

use crate::repo::{self, Counts};
use crate::{Conn, StoreError};
use equitas_market::concentration;
use serde::Serialize;
use std::collections::BTreeMap;

/// Share of procurement value of one manufacturing country.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountryShare {
    /// ISO3, or `None` for sites whose country is unknown.
    pub country: Option<String>,
    pub name: Option<String>,
    pub value_usd: f64,
    /// Fraction of all procurement value (0 to 1).
    pub share: f64,
}

/// Concentration of procurement value across manufacturing countries.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SupplyConcentration {
    /// Herfindahl-Hirschman Index over manufacturing countries (0 to 10,000),
    /// value-weighted, lines with an unknown site country left out.
    pub hhi: f64,
    pub effective_number: f64,
    pub countries: usize,
    /// Fraction of value whose manufacturing country is unknown.
    pub unknown_share: f64,
    /// Products with procurement value from exactly one known manufacturing country.
    pub single_country_products: usize,
    pub products_with_known_origin: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overview {
    pub counts: CountsView,
    pub value_by_manufacturing_country: Vec<CountryShare>,
    pub concentration: Option<SupplyConcentration>,
}

/// [`Counts`] in a serialisable form.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountsView {
    pub countries: i64,
    pub countries_with_income_group: i64,
    pub who_regions: i64,
    pub regions: i64,
    pub districts: i64,
    pub facilities: i64,
    pub warehouses: i64,
    pub products: i64,
    pub trade_items: i64,
    pub suppliers: i64,
    pub manufacturers: i64,
    pub manufacturing_sites: i64,
    pub manufacturing_sites_with_country: i64,
    pub procurement_lines: i64,
    pub procurement_buyer_countries: i64,
    pub procurement_value_usd: f64,
    pub first_delivery: Option<String>,
    pub last_delivery: Option<String>,
}

impl From<Counts> for CountsView {
    fn from(c: Counts) -> Self {
        CountsView {
            countries: c.countries,
            countries_with_income_group: c.countries_with_income_group,
            who_regions: c.who_regions,
            regions: c.regions,
            districts: c.districts,
            facilities: c.facilities,
            warehouses: c.warehouses,
            products: c.products,
            trade_items: c.trade_items,
            suppliers: c.suppliers,
            manufacturers: c.manufacturers,
            manufacturing_sites: c.sites,
            manufacturing_sites_with_country: c.sites_with_country,
            procurement_lines: c.procurement_lines,
            procurement_buyer_countries: c.procurement_buyer_countries,
            procurement_value_usd: c.procurement_value_usd,
            first_delivery: c.first_delivery,
            last_delivery: c.last_delivery,
        }
    }
}

pub fn overview(c: &mut dyn Conn) -> Result<Overview, StoreError> {
    let counts = repo::counts(c)?;
    let names: BTreeMap<String, String> = repo::list_countries(c)?
        .into_iter()
        .map(|k| (k.iso3, k.name_short.unwrap_or(k.name_en)))
        .collect();
    let by = repo::value_by_manufacturing_country(c)?;
    let total: f64 = by.iter().map(|(_, v)| v).sum();
    let shares: Vec<CountryShare> = by
        .iter()
        .map(|(k, v)| CountryShare {
            country: k.clone(),
            name: k.as_ref().and_then(|k| names.get(k).cloned()),
            value_usd: *v,
            share: if total > 0.0 { v / total } else { 0.0 },
        })
        .collect();
    let known = concentration(by.iter().filter(|(k, _)| k.is_some()).map(|(_, v)| *v));
    let unknown: f64 = by.iter().filter(|(k, _)| k.is_none()).map(|(_, v)| v).sum();
    let mut per_product: BTreeMap<String, usize> = BTreeMap::new();
    for (product, _, v) in repo::product_value_by_manufacturing_country(c)? {
        if v > 0.0 {
            *per_product.entry(product).or_default() += 1;
        }
    }
    let conc = known.map(|k| SupplyConcentration {
        hhi: k.hhi,
        effective_number: k.effective_number,
        countries: k.groups,
        unknown_share: if total > 0.0 { unknown / total } else { 0.0 },
        single_country_products: per_product.values().filter(|n| **n == 1).count(),
        products_with_known_origin: per_product.len(),
    });
    Ok(Overview {
        counts: counts.into(),
        value_by_manufacturing_country: shares,
        concentration: conc,
    })
}
