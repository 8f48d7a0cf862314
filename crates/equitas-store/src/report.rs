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
    pub counts: Counts,
    pub value_by_manufacturing_country: Vec<CountryShare>,
    pub concentration: Option<SupplyConcentration>,
}

pub fn overview(c: &mut dyn Conn) -> Result<Overview, StoreError> {
    let counts = repo::counts(c)?;
    let names: BTreeMap<String, String> = repo::list_countries(c)?
        .into_iter()
        .map(|k| (k.iso3, k.name_un.or(k.name_short).unwrap_or(k.name_en)))
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
        counts,
        value_by_manufacturing_country: shares,
        concentration: conc,
    })
}

/// A country as the dashboard names and maps it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CountryRow {
    pub iso3: String,
    /// ISO 3166-1 numeric code (Natural Earth shapes are keyed by it).
    pub numeric: Option<i64>,
    pub name_en: String,
    pub name_fr: Option<String>,
    pub who_region: Option<String>,
    pub income_group: Option<String>,
}

/// Every country, by ISO3 code.
pub fn countries(c: &mut dyn Conn) -> Result<Vec<CountryRow>, StoreError> {
    let mut out = Vec::new();
    c.query_each(
        "SELECT iso3, numeric_code, COALESCE(name_un, name_short, name_en), name_fr, who_region, income_group
         FROM countries ORDER BY iso3",
        &[],
        &mut |r| {
            out.push(CountryRow {
                iso3: r[0].take_text()?,
                numeric: r[1].get()?,
                name_en: r[2].take_text()?,
                name_fr: r[3].take_opt_text()?,
                who_region: r[4].take_opt_text()?,
                income_group: r[5].take_opt_text()?,
            });
            Ok(())
        },
    )?;
    Ok(out)
}
