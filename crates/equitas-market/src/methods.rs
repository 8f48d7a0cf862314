//! One-line statements of how each market figure is computed, shown with
//! every output (CLI and HTTP) next to the period and observation count.

use crate::analysis::{ConcentrationBands, DELAY_BANDS, Dim, Weight};

pub fn products() -> String {
    "count of procurement lines per product".into()
}

pub fn prices() -> String {
    "unit price = line value / (packs x units per pack); median and quartiles by Hyndman-Fan type 7 over lines with a price; weighted = total value / total units (docs/formulas.md 2.4, 2.5)".into()
}

pub fn mpr(exchange_rate: f64, min_observations: usize, reference_sources: &[&str]) -> String {
    format!(
        "MPR = median local unit price / (reference unit price x {exchange_rate} local units per US$); lowest-priced generic = median over buyer country-years of the lowest generic price; at least {min_observations} observations (docs/formulas.md 2.6); reference prices: {}",
        reference_sources.join("; ")
    )
}

pub fn pooled_prices(min_observations: usize) -> String {
    format!(
        "pooled reference price = median unit price (US$ per comparison unit) of a product over the lines selected, for products with at least {min_observations} lines with a unit price; unit = the comparison unit read from the dosage form; year = last delivery (docs/formulas.md 2.6)"
    )
}

pub fn affordability(min_observations: usize) -> String {
    format!(
        "days = median unit price x units per course x exchange rate / daily wage of the lowest-paid unskilled government worker, originator brand and lowest-priced generic apart (the lowest generic price of each buyer country and year, as for the MPR); at least {min_observations} prices, else the median only (docs/formulas.md 2.7)"
    )
}

pub fn concentration(by: Dim, weight: Weight, bands: &ConcentrationBands) -> String {
    format!(
        "HHI = sum of squared percentage shares of {by} weighted by {}, over the weight of known {by} (the unknown is left out and shown as its share); effective number = 10,000 / HHI; bands at {:?} (docs/formulas.md 2.2, 2.8)",
        match weight {
            Weight::Value => "value",
            Weight::Quantity => "comparison units",
        },
        bands.thresholds
    )
}

pub fn delivery(tolerance: i64) -> String {
    format!(
        "lead time = delivered - ordered; delay = delivered - scheduled; on time = delay <= {tolerance} days; quartiles by Hyndman-Fan type 7; delay bands {DELAY_BANDS:?} (docs/formulas.md 2.9)"
    )
}

pub fn sources(on: chrono::NaiveDate) -> String {
    format!(
        "per country and product with an authorisation loaded (the authorisation's product code, else the catalogue product its name matches): distinct holders and manufacturers of marketing authorisations valid on {on} (status valid, {on} within valid_from to valid_to); 0 where those loaded are suspended, withdrawn, expired, cancelled, pending or out of their dates (docs/formulas.md 6.3)"
    )
}
